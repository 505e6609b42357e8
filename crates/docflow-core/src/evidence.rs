//! The evidence bundle (`docflow-evidence/2`, docs/evidence.md): what a
//! verifier needs to check a signed document version offline.
//!
//! The bundle holds receipts, certificates and texts, and nothing that a
//! verifier would have to take on trust: every fact it shows (the title, the
//! signers' names, the route, the registration number) is read from a
//! ledger entry whose receipt verifies against the verifier's pinned log
//! key, or from a statement signed by a person's key. Format 1 carried such
//! facts as plain JSON fields beside the receipts; format 2 dropped them.
//! The checks themselves live in `docflow-verify`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "docflow-evidence/2";
/// The format before stamps were bound to the evidence.
pub const FORMAT_1: &str = "docflow-evidence/1";
/// The name of the evidence file embedded in a stamped PDF.
pub const EVIDENCE_NAME: &str = "docflow-evidence.json";
/// At most this many receipts in either list: far more than any document's
/// history, and a bound on what a hostile file can make a verifier do.
pub const MAX_RECEIPTS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    /// The document's id (a UUID); every fact about it is in `entries`.
    pub document: String,
    /// The version this bundle is about.
    pub version: u64,
    /// Receipts (C2SP tlog-proof) of every ledger entry about the document,
    /// oldest first: creation, versions, registration, routes, signatures,
    /// decisions, resolutions. Their `subject-prev` links must form one
    /// unbroken chain from the document's first entry.
    pub entries: Vec<String>,
    /// Receipts of the entries that name what `entries` refers to: the
    /// organisation (`org.created`, `org.settings-changed`), the people
    /// (`user.created`) and the signing keys (`key.registered`,
    /// `key.revoked`), each subject oldest first.
    pub context: Vec<String>,
    /// X.509 certificates of the signing keys registered with one.
    #[serde(default)]
    pub certificates: Vec<CertificateEvidence>,
    /// Texts that signed statements bind by SHA-256 (execution reports),
    /// keyed by that lower-case hex SHA-256.
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
    /// What the stamped PDF draws beyond the proven facts.
    pub stamp: StampEvidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateEvidence {
    /// The key's fingerprint (SHA-256 of its SPKI DER), as `key.registered`
    /// and the statements name it.
    pub key: String,
    /// PEM leaf certificate.
    pub certificate: String,
    /// PEM intermediates, leaf side first.
    #[serde(default)]
    pub chain: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampEvidence {
    /// The layout the stamps were drawn with (`docflow-stamp/1`): a
    /// verifier redraws them with the same layout and compares bytes.
    pub layout: String,
    /// The QR code's text: a note signed by the log key whose body is
    /// `docflow-qr/1`, the document, the version, its SHA-256 and the
    /// ledger entry of the last signature, one per line.
    pub qr: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("the evidence is not valid JSON of {FORMAT}: {0}")]
    Malformed(String),
    #[error("the evidence is {FORMAT_1}, made by a docflow from before stamps and names were bound to the log; ask the issuer for a new copy (this verifier reads {FORMAT})")]
    Outdated,
    #[error("unsupported evidence format {0:?} (this verifier reads {FORMAT})")]
    UnsupportedFormat(String),
    #[error("the evidence holds {0} receipts, more than the {MAX_RECEIPTS} a verifier reads")]
    TooLarge(usize),
}

impl Bundle {
    pub fn parse(bytes: &[u8]) -> Result<Bundle, BundleError> {
        // The format first, so an older or newer bundle gets a clear answer
        // rather than a complaint about its fields.
        #[derive(Deserialize)]
        struct Head {
            format: String,
        }
        let head: Head =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))?;
        match head.format.as_str() {
            FORMAT => {}
            FORMAT_1 => return Err(BundleError::Outdated),
            other => return Err(BundleError::UnsupportedFormat(other.to_owned())),
        }
        let bundle: Bundle =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))?;
        let receipts = bundle.entries.len() + bundle.context.len();
        if bundle.entries.len() > MAX_RECEIPTS || bundle.context.len() > MAX_RECEIPTS {
            return Err(BundleError::TooLarge(receipts));
        }
        Ok(bundle)
    }

    /// The one encoding docflow writes and embeds: pretty JSON, fields in
    /// declaration order, texts in key order. A stamped PDF embeds exactly
    /// these bytes, so a verifier that redraws the stamps embeds them too.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        Bundle {
            format: FORMAT.into(),
            document: "0193f2a4-5c1e-7b2a-9d3e-0123456789ab".into(),
            version: 1,
            entries: vec!["c2sp.org/tlog-proof@v1\n".into()],
            context: Vec::new(),
            certificates: Vec::new(),
            texts: BTreeMap::from([("ab".into(), "text".into())]),
            stamp: StampEvidence {
                layout: "docflow-stamp/1".into(),
                qr: "note".into(),
            },
        }
    }

    #[test]
    fn round_trips_and_refuses_other_formats_and_fields() {
        let b = sample();
        assert_eq!(Bundle::parse(b.to_json().as_bytes()), Ok(b.clone()));
        let old = b.to_json().replace(FORMAT, FORMAT_1);
        assert_eq!(Bundle::parse(old.as_bytes()), Err(BundleError::Outdated));
        let newer = b.to_json().replace(FORMAT, "docflow-evidence/9");
        assert!(matches!(
            Bundle::parse(newer.as_bytes()),
            Err(BundleError::UnsupportedFormat(_))
        ));
        let extra = b.to_json().replacen('{', "{\"title\": \"x\",", 1);
        assert!(matches!(
            Bundle::parse(extra.as_bytes()),
            Err(BundleError::Malformed(_))
        ));
        assert!(Bundle::parse(b"\xff").is_err());
    }
}
