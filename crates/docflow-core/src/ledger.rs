//! The ledger entry: its canonical byte encoding and the chain of hashes.
//!
//! The format is specified in `docs/ledger.md`; this module is its only
//! implementation, shared by the server, `docflow audit` and the offline
//! verifier.
//!
//! An entry is line-based UTF-8 text so that a person can read it and anyone
//! can recompute its hash with `sha256sum`:
//!
//! ```text
//! docflow-ledger-entry/1
//! seq: 7
//! time: 2026-11-25T06:17:28.123456Z
//! kind: document.created
//! subject: document:0193...
//! subject-prev: 0
//! actor: user:0193...
//! data: {"kind":"order","title":"..."}
//! ```

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// First line of every entry; names the format and its version.
pub const ENTRY_HEADER: &str = "docflow-ledger-entry/1";
/// Domain-separation prefix of the chain hash, so that an entry hash can
/// never be confused with any other SHA-256 docflow computes.
pub const CHAIN_PREFIX: &[u8] = b"docflow-ledger-chain/1\n";
/// The `prev` hash of entry 1.
pub const GENESIS_HASH: [u8; 32] = [0u8; 32];

/// One ledger entry, before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, 1..n without gaps.
    pub seq: u64,
    /// Server time of the change, UTC, truncated to microseconds.
    pub time: DateTime<Utc>,
    /// What happened, e.g. `document.created`.
    pub kind: String,
    /// What it happened to, e.g. `document:<uuid>`.
    pub subject: String,
    /// `seq` of the previous entry with the same subject, 0 for the first.
    pub subject_prev: u64,
    /// Who did it: `user:<uuid>` or `system`.
    pub actor: String,
    /// Facts of the change. Always a JSON object; keys are sorted.
    pub data: Map<String, Value>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    #[error("entry is not valid UTF-8")]
    NotUtf8,
    #[error("entry does not start with {ENTRY_HEADER:?}")]
    BadHeader,
    #[error("line {line}: expected field {expected:?}")]
    MissingField { line: usize, expected: &'static str },
    #[error("field {field:?} is malformed: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("entry has bytes after its last field")]
    TrailingBytes,
    #[error("entry is not in canonical form")]
    NotCanonical,
}

const FIELDS: [&str; 7] = [
    "seq",
    "time",
    "kind",
    "subject",
    "subject-prev",
    "actor",
    "data",
];

/// Truncates a time to whole microseconds, the resolution every stored time has.
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    Utc.timestamp_micros(micros).single().unwrap_or(t)
}

/// Formats a time as the ledger writes it: RFC 3339, UTC, six fractional digits, `Z`.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn is_single_line_token(s: &str) -> bool {
    !s.is_empty() && !s.contains(['\n', '\r'])
}

impl Entry {
    /// Checks the fields can be encoded without ambiguity.
    pub fn validate(&self) -> Result<(), EntryError> {
        for (field, value) in [
            ("kind", &self.kind),
            ("subject", &self.subject),
            ("actor", &self.actor),
        ] {
            if !is_single_line_token(value) {
                return Err(EntryError::BadField {
                    field,
                    reason: "must be a non-empty single line".into(),
                });
            }
        }
        Ok(())
    }

    /// The canonical bytes: what the chain hash and the Merkle leaf cover.
    pub fn encode(&self) -> Vec<u8> {
        // serde_json's Map is ordered by key and its compact writer escapes
        // control characters, so `data` is one deterministic line.
        let data = Value::Object(self.data.clone()).to_string();
        format!(
            "{ENTRY_HEADER}\nseq: {}\ntime: {}\nkind: {}\nsubject: {}\nsubject-prev: {}\nactor: {}\ndata: {}\n",
            self.seq,
            format_time(&self.time),
            self.kind,
            self.subject,
            self.subject_prev,
            self.actor,
            data
        )
        .into_bytes()
    }

    /// Parses canonical bytes. Anything that would not re-encode to the same
    /// bytes is refused, so one entry has exactly one encoding.
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let text = std::str::from_utf8(bytes).map_err(|_| EntryError::NotUtf8)?;
        let body = text.strip_suffix('\n').ok_or(EntryError::TrailingBytes)?;
        let mut lines = body.split('\n');
        if lines.next() != Some(ENTRY_HEADER) {
            return Err(EntryError::BadHeader);
        }
        let mut values: Vec<&str> = Vec::with_capacity(FIELDS.len());
        for (i, field) in FIELDS.iter().enumerate() {
            let line = lines.next().ok_or(EntryError::MissingField {
                line: i + 2,
                expected: field,
            })?;
            let value = line
                .strip_prefix(field)
                .and_then(|rest| rest.strip_prefix(": "))
                .ok_or(EntryError::MissingField {
                    line: i + 2,
                    expected: field,
                })?;
            values.push(value);
        }
        if lines.next().is_some() {
            return Err(EntryError::TrailingBytes);
        }
        let parse_u64 = |field: &'static str, v: &str| {
            v.parse::<u64>().map_err(|e| EntryError::BadField {
                field,
                reason: e.to_string(),
            })
        };
        let time = DateTime::parse_from_rfc3339(values[1])
            .map_err(|e| EntryError::BadField {
                field: "time",
                reason: e.to_string(),
            })?
            .with_timezone(&Utc);
        let data = match serde_json::from_str::<Value>(values[6]) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(EntryError::BadField {
                    field: "data",
                    reason: "not a JSON object".into(),
                })
            }
            Err(e) => {
                return Err(EntryError::BadField {
                    field: "data",
                    reason: e.to_string(),
                })
            }
        };
        let entry = Entry {
            seq: parse_u64("seq", values[0])?,
            time,
            kind: values[2].to_owned(),
            subject: values[3].to_owned(),
            subject_prev: parse_u64("subject-prev", values[4])?,
            actor: values[5].to_owned(),
            data,
        };
        if entry.encode() != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }
}

/// The chain hash of an entry: SHA-256(CHAIN_PREFIX ‖ prev ‖ entry bytes).
pub fn chain_hash(prev: &[u8; 32], entry_bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(CHAIN_PREFIX);
    h.update(prev);
    h.update(entry_bytes);
    h.finalize().into()
}

/// SHA-256 of arbitrary bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Entry {
        let Value::Object(data) = json!({"title": "Молия вазирлиги — buyruq", "kind": "order"})
        else {
            unreachable!()
        };
        Entry {
            seq: 1,
            time: DateTime::parse_from_rfc3339("2026-11-25T06:17:28.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            kind: "document.created".into(),
            subject: "document:0193a1b2-0000-7000-8000-000000000001".into(),
            subject_prev: 0,
            actor: "user:0193a1b2-0000-7000-8000-000000000002".into(),
            data,
        }
    }

    #[test]
    fn encoding_is_the_documented_text() {
        let bytes = sample().encode();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "docflow-ledger-entry/1\nseq: 1\ntime: 2026-11-25T06:17:28.123456Z\nkind: document.created\nsubject: document:0193a1b2-0000-7000-8000-000000000001\nsubject-prev: 0\nactor: user:0193a1b2-0000-7000-8000-000000000002\ndata: {\"kind\":\"order\",\"title\":\"Молия вазирлиги — buyruq\"}\n"
        );
    }

    #[test]
    fn decode_round_trips_and_refuses_variants() {
        let e = sample();
        let bytes = e.encode();
        assert_eq!(Entry::decode(&bytes).unwrap(), e);
        let spaced = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("\"kind\":", "\"kind\": ");
        assert_eq!(
            Entry::decode(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        assert!(Entry::decode(&bytes[..bytes.len() - 1]).is_err());
        assert_eq!(Entry::decode(b"hello\n"), Err(EntryError::BadHeader));
        assert_eq!(Entry::decode(&[0xff, b'\n']), Err(EntryError::NotUtf8));
    }

    #[test]
    fn chain_hash_test_vector_matches_docs() {
        // docs/ledger.md recomputes this with sha256sum.
        let bytes = sample().encode();
        let h = chain_hash(&GENESIS_HASH, &bytes);
        assert_eq!(
            hex::encode(h),
            include_str!("../../../docs/vectors/ledger-entry-1.chain-hash").trim()
        );
    }

    #[test]
    fn second_vector_decodes_and_chains_from_the_first() {
        let bytes = include_bytes!("../../../docs/vectors/ledger-entry-2.txt");
        let entry = Entry::decode(bytes).unwrap();
        assert_eq!(entry.seq, 2);
        assert_eq!(entry.subject_prev, 1);
        let first = chain_hash(
            &GENESIS_HASH,
            include_bytes!("../../../docs/vectors/ledger-entry-1.txt"),
        );
        assert_eq!(
            hex::encode(chain_hash(&first, bytes)),
            include_str!("../../../docs/vectors/ledger-entry-2.chain-hash").trim()
        );
    }

    #[test]
    fn newline_in_a_field_is_refused() {
        let mut e = sample();
        e.kind = "a\nb".into();
        assert!(e.validate().is_err());
    }
}
