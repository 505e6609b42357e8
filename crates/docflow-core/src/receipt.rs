//! Receipts: offline proof that a ledger entry is in the log, in the C2SP
//! tlog-proof@v1 format.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64(ledger entry bytes)>
//! index <0-based leaf index = seq - 1>
//! <base64 audit path hash, leaf side first>   (zero or more lines)
//!
//! <signed checkpoint note, verbatim>
//! ```
//!
//! tlog-proof leaves the `extra` data to the application ("data necessary
//! to reconstruct the record hash"). docflow puts the entry itself there and
//! requires it: the verifier hashes it into the leaf, so nothing in it is
//! trusted without the inclusion proof and the checkpoint signature.

use base64::{engine::general_purpose::STANDARD, Engine as _};

use crate::checkpoint::{
    decode_base64_strict, decode_hash, parse_canonical_u64, unverified_note_text, Checkpoint,
    CheckpointError, NoteVerifier,
};
use crate::ledger::{Entry, EntryError};
use crate::merkle::{leaf_hash, verify_inclusion, Hash, ProofError, MAX_PROOF_LEN};

/// First line of every receipt.
pub const RECEIPT_HEADER: &str = "c2sp.org/tlog-proof@v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    #[error("line {line} of the receipt: {reason}")]
    Malformed { line: usize, reason: &'static str },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("checkpoint is from log {found:?}, expected {expected:?}")]
    OriginMismatch { expected: String, found: String },
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("entry in the receipt: {0}")]
    Entry(#[from] EntryError),
    #[error("entry has seq {seq} but sits at index {index}; seq must be index + 1")]
    SeqMismatch { index: u64, seq: u64 },
}

/// A receipt as carried on the wire; nothing in it is trusted until
/// [`Receipt::verify`] succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The canonical ledger entry bytes (the Merkle leaf data).
    pub entry: Vec<u8>,
    /// 0-based leaf index = ledger seq - 1.
    pub index: u64,
    /// RFC 9162 audit path of `index` in the checkpoint's tree.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint_note: String,
}

/// What a successful [`Receipt::verify`] establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The checkpoint, signed by the verifier's key.
    pub checkpoint: Checkpoint,
    /// Leaf index of the entry, `< checkpoint.size`.
    pub index: u64,
    /// The entry, decoded; `entry.seq == index + 1`.
    pub entry: Entry,
    /// Its canonical bytes, as hashed into the leaf.
    pub entry_bytes: Vec<u8>,
}

/// Cuts the next `\n`-terminated line off `rest`.
fn next_line<'a>(rest: &mut &'a str, line: usize) -> Result<&'a str, ReceiptError> {
    let (head, tail) = rest.split_once('\n').ok_or(ReceiptError::Malformed {
        line,
        reason: "missing or unterminated line",
    })?;
    *rest = tail;
    Ok(head)
}

impl Receipt {
    /// The text form. An empty `entry` cannot be encoded (tlog-proof omits
    /// an empty `extra` line), so such a receipt does not parse back.
    pub fn encode(&self) -> String {
        let mut out = format!(
            "{RECEIPT_HEADER}\nextra {}\nindex {}\n",
            STANDARD.encode(&self.entry),
            self.index
        );
        for h in &self.proof {
            out.push_str(&STANDARD.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint_note);
        out
    }

    /// Parses the text form strictly: exact header, required non-empty
    /// `extra`, canonical index and base64, at most 64 proof hashes, and a
    /// syntactically valid checkpoint note (its signature is checked by
    /// [`Receipt::verify`]).
    pub fn parse(text: &str) -> Result<Receipt, ReceiptError> {
        let malformed = |line, reason| ReceiptError::Malformed { line, reason };
        let mut rest = text;
        if next_line(&mut rest, 1)? != RECEIPT_HEADER {
            return Err(malformed(1, "not a c2sp.org/tlog-proof@v1 receipt"));
        }
        let extra = next_line(&mut rest, 2)?
            .strip_prefix("extra ")
            .ok_or(malformed(
                2,
                "docflow receipts carry the entry in an extra line",
            ))?;
        let entry = decode_base64_strict(extra)
            .filter(|e| !e.is_empty())
            .ok_or(malformed(2, "extra is not non-empty canonical base64"))?;
        let index = next_line(&mut rest, 3)?
            .strip_prefix("index ")
            .and_then(parse_canonical_u64)
            .ok_or(malformed(3, "expected \"index <decimal>\""))?;
        let mut proof = Vec::new();
        loop {
            let line_no = 4 + proof.len();
            let line = next_line(&mut rest, line_no)?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LEN {
                return Err(malformed(line_no, "more proof hashes than any tree needs"));
            }
            let hash = decode_hash(line).ok_or(malformed(
                line_no,
                "proof hash is not canonical base64 of 32 bytes",
            ))?;
            proof.push(hash);
        }
        let body = unverified_note_text(rest).map_err(CheckpointError::from)?;
        Checkpoint::parse(body)?;
        Ok(Receipt {
            entry,
            index,
            proof,
            checkpoint_note: rest.to_owned(),
        })
    }

    /// Checks the checkpoint signature, its origin (if given), that the
    /// index is inside the tree, the inclusion proof against the signed
    /// root, and that the entry is a canonical ledger entry whose seq is
    /// `index + 1`.
    pub fn verify(
        &self,
        verifier: &NoteVerifier,
        expected_origin: Option<&str>,
    ) -> Result<VerifiedReceipt, ReceiptError> {
        let body = verifier
            .open(&self.checkpoint_note)
            .map_err(CheckpointError::from)?;
        let checkpoint = Checkpoint::parse(&body)?;
        if let Some(expected) = expected_origin {
            if checkpoint.origin != expected {
                return Err(ReceiptError::OriginMismatch {
                    expected: expected.to_owned(),
                    found: checkpoint.origin,
                });
            }
        }
        verify_inclusion(
            &leaf_hash(&self.entry),
            self.index,
            checkpoint.size,
            &self.proof,
            &checkpoint.root,
        )?;
        let entry = Entry::decode(&self.entry)?;
        if self.index.checked_add(1) != Some(entry.seq) {
            return Err(ReceiptError::SeqMismatch {
                index: self.index,
                seq: entry.seq,
            });
        }
        Ok(VerifiedReceipt {
            checkpoint,
            index: self.index,
            entry,
            entry_bytes: self.entry.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{sign_checkpoint, NoteSigner};
    use crate::merkle::{inclusion_plan, CompactRange, NodeId};
    use chrono::{DateTime, Utc};
    use ed25519_dalek::SigningKey;
    use proptest::prelude::*;
    use serde_json::{Map, Value};
    use std::collections::HashMap;

    const ORIGIN: &str = "docflow.example/log";

    fn entry(seq: u64) -> Vec<u8> {
        let mut data = Map::new();
        data.insert("n".into(), Value::from(seq));
        Entry {
            seq,
            time: DateTime::parse_from_rfc3339("2026-11-25T06:17:28.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            kind: "document.created".into(),
            subject: format!("document:{seq}"),
            subject_prev: 0,
            actor: "system".into(),
            data,
        }
        .encode()
    }

    fn signer() -> NoteSigner {
        NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[42; 32])).unwrap()
    }

    /// A log of `entries`, and the receipt of each, built the way the server
    /// does: compact range, stored nodes, plan, assemble.
    fn receipts(entries: &[Vec<u8>]) -> Vec<Receipt> {
        let mut cr = CompactRange::empty();
        let mut store: HashMap<NodeId, Hash> = HashMap::new();
        for e in entries {
            store.extend(cr.append(leaf_hash(e)));
        }
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size: cr.size(),
            root: cr.root(),
            extensions: vec![],
        };
        let note = sign_checkpoint(&signer(), &cp).unwrap();
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| Receipt {
                entry: e.clone(),
                index: i as u64,
                proof: inclusion_plan(i as u64, cr.size())
                    .unwrap()
                    .assemble(|id| store.get(&id).copied())
                    .unwrap(),
                checkpoint_note: note.clone(),
            })
            .collect()
    }

    fn log(n: u64) -> Vec<Vec<u8>> {
        (1..=n).map(entry).collect()
    }

    #[test]
    fn receipts_round_trip_and_verify() {
        let v = signer().verifier();
        for r in receipts(&log(11)) {
            let text = r.encode();
            assert_eq!(Receipt::parse(&text).unwrap(), r);
            let ok = r.verify(&v, Some(ORIGIN)).unwrap();
            assert_eq!(ok.index, r.index);
            assert_eq!(ok.entry.seq, r.index + 1);
            assert_eq!(ok.entry_bytes, r.entry);
            assert_eq!(ok.checkpoint.size, 11);
            r.verify(&v, None).unwrap();
        }
        let text = receipts(&log(5))[2].encode();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "));
        assert!(text.contains("\nindex 2\n"));
    }

    #[test]
    fn single_entry_log_has_an_empty_proof() {
        let r = receipts(&log(1)).remove(0);
        assert!(r.proof.is_empty());
        let text = r.encode();
        assert!(text.contains("\nindex 0\n\n"));
        Receipt::parse(&text)
            .unwrap()
            .verify(&signer().verifier(), Some(ORIGIN))
            .unwrap();
    }

    #[test]
    fn wrong_key_origin_entry_or_seq_is_refused() {
        let r = receipts(&log(6)).remove(3);
        let other = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[43; 32])).unwrap();
        assert!(matches!(
            r.verify(&other.verifier(), None),
            Err(ReceiptError::Checkpoint(CheckpointError::Note(_)))
        ));
        assert!(matches!(
            r.verify(&signer().verifier(), Some("other.example/log")),
            Err(ReceiptError::OriginMismatch { .. })
        ));
        let mut swapped = r.clone();
        swapped.entry = entry(5);
        assert!(matches!(
            swapped.verify(&signer().verifier(), None),
            Err(ReceiptError::Proof(ProofError::RootMismatch))
        ));
        let mut beyond = r.clone();
        beyond.index = 6;
        assert!(matches!(
            beyond.verify(&signer().verifier(), None),
            Err(ReceiptError::Proof(ProofError::IndexOutOfRange { .. }))
        ));
        // A log whose entry at index 1 claims seq 7: included, but refused.
        let mut entries = log(3);
        entries[1] = entry(7);
        let r = receipts(&entries).remove(1);
        assert_eq!(
            r.verify(&signer().verifier(), None),
            Err(ReceiptError::SeqMismatch { index: 1, seq: 7 })
        );
        // A leaf that is not a ledger entry.
        let mut entries = log(2);
        entries[0] = b"not an entry".to_vec();
        let r = receipts(&entries).remove(0);
        assert!(matches!(
            r.verify(&signer().verifier(), None),
            Err(ReceiptError::Entry(_))
        ));
    }

    #[test]
    fn cosigned_checkpoint_still_verifies() {
        let mut r = receipts(&log(4)).remove(1);
        let witness = NoteSigner::new("witness.example", SigningKey::from_bytes(&[7; 32])).unwrap();
        let body = signer().verifier().open(&r.checkpoint_note).unwrap();
        let cosig = witness.sign(&body).unwrap();
        r.checkpoint_note.push_str(&cosig[body.len() + 1..]);
        let parsed = Receipt::parse(&r.encode()).unwrap();
        parsed.verify(&signer().verifier(), Some(ORIGIN)).unwrap();
        parsed.verify(&witness.verifier(), Some(ORIGIN)).unwrap();
    }

    #[test]
    fn malformed_receipts_are_refused() {
        let good = receipts(&log(5))[1].encode();
        let bad = [
            String::new(),
            good.replacen("tlog-proof@v1", "tlog-proof@v2", 1),
            good.replacen("\nextra ", "\nextra  ", 1),
            good.replacen("\nindex 1\n", "\nindex 01\n", 1),
            good.replacen("\nindex 1\n", "\nindex +1\n", 1),
            good.replacen("\nindex 1\n", "\nindex\n", 1),
            good.replacen("\n\n", "\n", 1),
            good.replacen("\n\n", "\n\n\n", 1),
            good.replacen('\n', "\r\n", 1),
            good[..good.len() - 1].to_string(),
            {
                // No extra line: valid tlog-proof, but docflow needs the entry.
                let start = good.find("\nextra ").unwrap() + 1;
                let end = start + good[start..].find('\n').unwrap() + 1;
                format!("{}{}", &good[..start], &good[end..])
            },
            {
                // 65 proof lines.
                let cut = good.find("\nindex 1\n").unwrap() + "\nindex 1\n".len();
                let line = format!("{}\n", STANDARD.encode([0u8; 32]));
                format!("{}{}{}", &good[..cut], line.repeat(65), &good[cut..])
            },
        ];
        for b in &bad {
            assert!(Receipt::parse(b).is_err(), "{b:?} parsed");
        }
        let mut empty = receipts(&log(2)).remove(0);
        empty.entry.clear();
        assert!(Receipt::parse(&empty.encode()).is_err());
    }

    #[test]
    fn doc_vector_matches() {
        let text = include_str!("../../../docs/vectors/receipt-entry-1.tlog-proof");
        let vkey = include_str!("../../../docs/vectors/checkpoint-key.vkey").trim_end();
        let v = NoteVerifier::parse(vkey).unwrap();
        let r = Receipt::parse(text).unwrap();
        assert_eq!(r.encode(), text);
        assert_eq!(
            r.entry,
            include_bytes!("../../../docs/vectors/ledger-entry-1.txt")
        );
        assert_eq!(
            r.checkpoint_note,
            include_str!("../../../docs/vectors/checkpoint-note.txt")
        );
        let ok = r.verify(&v, Some("docflow.example/test-log")).unwrap();
        assert_eq!((ok.index, ok.entry.seq, ok.checkpoint.size), (0, 1, 3));
        // The proof is what the server would assemble for that tree.
        let leaves: Vec<Hash> = [
            include_bytes!("../../../docs/vectors/ledger-entry-1.txt").as_slice(),
            include_bytes!("../../../docs/vectors/merkle-entry-2.txt"),
            include_bytes!("../../../docs/vectors/merkle-entry-3.txt"),
        ]
        .iter()
        .map(|e| leaf_hash(e))
        .collect();
        assert_eq!(
            r.proof,
            crate::merkle::reference_inclusion_proof(&leaves, 0).unwrap()
        );
    }

    /// Flips `mask` in byte `i`; true when the result is refused.
    fn refused(text: &str, i: usize, mask: u8) -> bool {
        let mut b = text.as_bytes().to_vec();
        b[i] ^= mask;
        match std::str::from_utf8(&b) {
            Err(_) => true,
            Ok(s) => Receipt::parse(s)
                .and_then(|r| r.verify(&signer().verifier(), Some(ORIGIN)))
                .is_err(),
        }
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let text = receipts(&log(3))[0].encode();
        for i in 0..text.len() {
            for mask in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80] {
                assert!(refused(&text, i, mask), "byte {i} ^ {mask:#04x} accepted");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_byte_changes_are_refused(
            n in 1u64..40,
            which in any::<u64>(),
            pos in any::<usize>(),
            mask in 1u8..=255,
        ) {
            let all = receipts(&log(n));
            let text = all[(which % n) as usize].encode();
            prop_assert!(refused(&text, pos % text.len(), mask));
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,300}") {
            if let Ok(r) = Receipt::parse(&s) {
                let _ = r.verify(&signer().verifier(), None);
            }
        }
    }
}
