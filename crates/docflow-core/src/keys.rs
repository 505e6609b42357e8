//! Ed25519 keys and signatures: parsing, encoding, fingerprints, signing
//! and strict verification.
//!
//! Formats are the ones `openssl` reads and writes, so a person can check
//! anything docflow does with the openssl CLI (see `docs/signatures.md`):
//!
//! * public key: SubjectPublicKeyInfo (RFC 5280, RFC 8410), DER or PEM
//!   (`-----BEGIN PUBLIC KEY-----`), as `openssl pkey -pubout` writes it;
//! * private key: PKCS#8 (RFC 5208, RFC 8410), PEM
//!   (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm ed25519`
//!   writes it;
//! * signature: pure Ed25519 (RFC 8032) over the raw message bytes, 64 raw
//!   bytes, standard padded base64 at API boundaries.
//!
//! A key's fingerprint is the lower-case hex SHA-256 of its SPKI DER, which
//! is what `openssl pkey -pubin -in key.pub.pem -outform DER | sha256sum`
//! prints.

use base64::Engine as _;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;
pub use zeroize::Zeroizing;

pub use rand_core::CryptoRngCore;

/// Dotted form of id-Ed25519 (RFC 8410).
pub const ED25519_OID: &str = "1.3.101.112";
/// Length of a raw Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a raw Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an Ed25519 SubjectPublicKeyInfo in DER.
pub const SPKI_DER_LEN: usize = 44;

/// DER of SubjectPublicKeyInfo { AlgorithmIdentifier { id-Ed25519 },
/// BIT STRING (0 unused bits) of 32 bytes }, up to the key bytes. RFC 8410
/// says the parameters are absent, so every Ed25519 SPKI has exactly these
/// 12 bytes in front of the key: this makes the encoding (and hence the
/// fingerprint) a function of the key alone.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// DER of OneAsymmetricKey v1 { version 0, id-Ed25519, OCTET STRING {
/// OCTET STRING of 32 bytes } }, up to the seed: the exact form
/// `openssl genpkey -algorithm ed25519` writes.
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// PEM label of a SubjectPublicKeyInfo.
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";
/// PEM label of an unencrypted PKCS#8 private key.
pub const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY";

/// Upper bound on PEM input, far above any key or certificate bundle we
/// expect, so hostile input cannot make us allocate without bound.
const MAX_PEM_INPUT: usize = 1 << 20;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PemError {
    #[error("PEM input is larger than {MAX_PEM_INPUT} bytes")]
    TooLarge,
    #[error("no PEM block labelled {label:?}")]
    NoBlock { label: String },
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    #[error("PEM block {label:?} has invalid base64: {reason}")]
    Base64 { label: String, reason: String },
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("PEM: {0}")]
    Pem(#[from] PemError),
    #[error("expected one PEM block labelled {expected:?}, found {found}")]
    WrongPemLabel {
        expected: &'static str,
        found: String,
    },
    #[error("key is malformed: {0}")]
    Malformed(String),
    #[error("key algorithm {oid} ({name}) is not Ed25519 ({ED25519_OID})")]
    UnsupportedAlgorithm { oid: String, name: String },
    #[error("Ed25519 public key is not a valid curve point")]
    InvalidPoint,
    #[error("Ed25519 public key has small order and is refused")]
    WeakKey,
    #[error("private key is encrypted; decrypt it first (openssl pkey -in key.pem)")]
    EncryptedPrivateKey,
    #[error("signature encoding: {0}")]
    BadSignatureEncoding(String),
    #[error("signature does not verify")]
    BadSignature,
}

/// Decodes every PEM block labelled `label` in `text`, in order.
///
/// Text outside blocks is ignored (openssl and CA tools put comments such
/// as `subject=...` there), as are blocks with other labels. CRLF line
/// ends and surrounding blank space are tolerated; RFC 7468 headers,
/// unterminated or nested blocks and bad base64 are errors.
pub fn decode_pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, PemError> {
    Ok(pem_blocks(text)?
        .into_iter()
        .filter(|b| b.label == label)
        .map(|b| b.der.to_vec())
        .collect())
}

/// One decoded PEM block. The buffer is wiped on drop because a block may
/// hold a private key.
struct PemBlock {
    label: String,
    der: Zeroizing<Vec<u8>>,
}

/// Every PEM block in `text`, in order. This finds where each block begins
/// and ends (text between blocks is allowed); pem-rfc7468 decodes each.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, PemError> {
    if text.len() > MAX_PEM_INPUT {
        return Err(PemError::TooLarge);
    }
    let mut blocks = Vec::new();
    // (label, the block's normalised text, line of BEGIN) being read.
    let mut open: Option<(String, Zeroizing<String>, usize)> = None;
    for (i, raw_line) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line).trim();
        let syntax = |reason: String| PemError::Syntax {
            line: line_no,
            reason,
        };
        if let Some(rest) = line.strip_prefix("-----BEGIN ") {
            if open.is_some() {
                return Err(syntax("BEGIN inside an open block".into()));
            }
            let label = rest
                .strip_suffix("-----")
                .ok_or_else(|| syntax("BEGIN line does not end with -----".into()))?;
            let mut block = Zeroizing::new(String::new());
            block.push_str(line);
            block.push('\n');
            open = Some((label.to_owned(), block, line_no));
        } else if let Some(rest) = line.strip_prefix("-----END ") {
            let (label, mut block, _) = open
                .take()
                .ok_or_else(|| syntax("END without BEGIN".into()))?;
            if rest.strip_suffix("-----") != Some(label.as_str()) {
                return Err(syntax(format!("END does not match BEGIN {label:?}")));
            }
            block.push_str(line);
            block.push('\n');
            let (_, der) =
                pem_rfc7468::decode_vec(block.as_bytes()).map_err(|e| PemError::Base64 {
                    label: label.clone(),
                    reason: e.to_string(),
                })?;
            blocks.push(PemBlock {
                label,
                der: Zeroizing::new(der),
            });
        } else if let Some((_, block, _)) = open.as_mut() {
            if line.contains(':') {
                // RFC 1421 headers (Proc-Type, DEK-Info) mean legacy encryption.
                return Err(syntax("PEM headers are not supported".into()));
            }
            if !line.is_empty() {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    if let Some((label, _, begin_line)) = open {
        return Err(PemError::Syntax {
            line: begin_line,
            reason: format!("block {label:?} has no END line"),
        });
    }
    Ok(blocks)
}

/// Encodes `der` as one PEM block with 64-column base64 and LF line ends,
/// as openssl writes it.
pub fn encode_pem(label: &str, der: &[u8]) -> String {
    let mut out = String::new();
    encode_pem_into(&mut out, label, der);
    out
}

fn encode_pem_into(out: &mut String, label: &str, der: &[u8]) {
    // A label is one of docflow's constants, always valid; encoding cannot
    // fail on it.
    if let Ok(pem) = pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der) {
        out.push_str(&Zeroizing::new(pem));
    }
}

/// The one block labelled `expected` in a PEM text; any other shape is an
/// error naming what was found, so "you gave me a certificate" is clear.
fn single_pem_block(text: &str, expected: &'static str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let blocks = pem_blocks(text)?;
    let mut matching = blocks.iter().filter(|b| b.label == expected);
    match (matching.next(), matching.next()) {
        (Some(block), None) => Ok(block.der.clone()),
        (Some(_), Some(_)) => Err(KeyError::WrongPemLabel {
            expected,
            found: format!("several {expected:?} blocks"),
        }),
        (None, _) if blocks.is_empty() => Err(PemError::NoBlock {
            label: expected.to_owned(),
        }
        .into()),
        (None, _) => Err(KeyError::WrongPemLabel {
            expected,
            found: blocks
                .iter()
                .map(|b| format!("{:?}", b.label))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// True when the input looks like PEM rather than DER (DER of a SEQUENCE
/// starts with 0x30, never with '-').
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN ")
}

/// Lower-case hex SHA-256 of SubjectPublicKeyInfo DER: the key fingerprint.
pub fn fingerprint_of_spki_der(spki_der: &[u8]) -> String {
    hex::encode(Sha256::digest(spki_der))
}

/// An Ed25519 public key that decodes to a curve point of large order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    /// From the 32 raw key bytes of RFC 8032.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPoint)?;
        // Small-order keys would let one signature verify for many messages;
        // verify_strict refuses them too, but refusing at registration gives
        // the user a clear error early.
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(PublicKey(key))
    }

    /// From SubjectPublicKeyInfo DER. Only the RFC 8410 encoding is accepted
    /// (no parameters, nothing after the structure), so one key has one DER
    /// and one fingerprint.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        if let Some(raw) = der
            .strip_prefix(&SPKI_PREFIX)
            .and_then(|rest| <&[u8; PUBLIC_KEY_LEN]>::try_from(rest).ok())
        {
            return PublicKey::from_bytes(raw);
        }
        // Not the canonical form: parse it only to say what it is instead.
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| KeyError::Malformed(format!("not a SubjectPublicKeyInfo: {e}")))?;
        let oid = spki.algorithm.algorithm.to_id_string();
        if oid != ED25519_OID {
            let name = x509_parser::objects::oid2sn(
                &spki.algorithm.algorithm,
                x509_parser::objects::oid_registry(),
            )
            .unwrap_or("unknown")
            .to_owned();
            return Err(KeyError::UnsupportedAlgorithm { oid, name });
        }
        if !rest.is_empty() {
            return Err(KeyError::Malformed(
                "bytes after the SubjectPublicKeyInfo".into(),
            ));
        }
        Err(KeyError::Malformed(
            "Ed25519 SubjectPublicKeyInfo is not in RFC 8410 form (parameters must be absent, key 32 bytes)"
                .into(),
        ))
    }

    /// From PEM text with exactly one `PUBLIC KEY` block.
    pub fn from_spki_pem(text: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_spki_der(&single_pem_block(text, PUBLIC_KEY_LABEL)?)
    }

    /// From PEM or DER, whichever `bytes` is.
    pub fn parse(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        if looks_like_pem(bytes) {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| KeyError::Malformed("PEM text is not UTF-8".into()))?;
            PublicKey::from_spki_pem(text)
        } else {
            PublicKey::from_spki_der(bytes)
        }
    }

    /// The 32 raw key bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.0.as_bytes()
    }

    /// The ed25519-dalek key, for callers that need more than this module offers.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// SubjectPublicKeyInfo DER (RFC 8410), 44 bytes.
    pub fn to_spki_der(&self) -> [u8; SPKI_DER_LEN] {
        let mut der = [0u8; SPKI_DER_LEN];
        der[..SPKI_PREFIX.len()].copy_from_slice(&SPKI_PREFIX);
        der[SPKI_PREFIX.len()..].copy_from_slice(self.0.as_bytes());
        der
    }

    /// SubjectPublicKeyInfo PEM, byte for byte what `openssl pkey -pubout` writes.
    pub fn to_spki_pem(&self) -> String {
        encode_pem(PUBLIC_KEY_LABEL, &self.to_spki_der())
    }

    /// SHA-256 of the SPKI DER, raw.
    pub fn fingerprint_bytes(&self) -> [u8; 32] {
        Sha256::digest(self.to_spki_der()).into()
    }

    /// SHA-256 of the SPKI DER, 64 lower-case hex digits.
    pub fn fingerprint(&self) -> String {
        hex::encode(self.fingerprint_bytes())
    }

    /// Strict Ed25519 verification (RFC 8032 pure Ed25519, with
    /// ed25519-dalek's `verify_strict`: canonical S, no small-order R or key),
    /// so a signature has one accepted form and cannot be malleated.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0
            .verify_strict(message, &sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// [`PublicKey::verify`] with the signature in standard padded base64.
    pub fn verify_base64(&self, message: &[u8], signature_b64: &str) -> Result<(), KeyError> {
        self.verify(message, &Signature::from_base64(signature_b64)?)
    }
}

/// A raw 64-byte Ed25519 signature (R ‖ S).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({})", self.to_base64())
    }
}

impl Signature {
    pub fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Signature {
        Signature(bytes)
    }

    /// From a slice that must be exactly 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Signature, KeyError> {
        <[u8; SIGNATURE_LEN]>::try_from(bytes)
            .map(Signature)
            .map_err(|_| {
                KeyError::BadSignatureEncoding(format!(
                    "{} bytes, expected {SIGNATURE_LEN}",
                    bytes.len()
                ))
            })
    }

    /// From standard base64 with padding and no whitespace (88 characters).
    pub fn from_base64(text: &str) -> Result<Signature, KeyError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|e| KeyError::BadSignatureEncoding(format!("base64: {e}")))?;
        Signature::from_slice(&bytes)
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0
    }

    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

/// An Ed25519 private key. Only clients hold these; the server never does.
/// Its memory is wiped on drop (ed25519-dalek zeroizes `SigningKey`).
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

impl std::fmt::Debug for PrivateKey {
    // Never print key material, even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey(public {})", self.public_key().fingerprint())
    }
}

impl PrivateKey {
    /// A new key from a cryptographically secure generator (e.g. `OsRng`).
    pub fn generate(rng: &mut impl CryptoRngCore) -> PrivateKey {
        PrivateKey(SigningKey::generate(rng))
    }

    /// From the 32-byte RFC 8032 seed.
    pub fn from_seed(seed: &[u8; 32]) -> PrivateKey {
        PrivateKey(SigningKey::from_bytes(seed))
    }

    /// From PKCS#8 DER, v1 (openssl's form) or v2 with the public key (which
    /// must then match the seed).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        SigningKey::from_pkcs8_der(der)
            .map(PrivateKey)
            .map_err(|e| KeyError::Malformed(format!("PKCS#8 Ed25519 private key: {e}")))
    }

    /// From PEM text with exactly one `PRIVATE KEY` block, as
    /// `openssl genpkey -algorithm ed25519` writes it.
    pub fn from_pkcs8_pem(text: &str) -> Result<PrivateKey, KeyError> {
        match single_pem_block(text, PRIVATE_KEY_LABEL) {
            Ok(der) => PrivateKey::from_pkcs8_der(&der),
            Err(KeyError::WrongPemLabel { found, .. })
                if found.contains("ENCRYPTED PRIVATE KEY") =>
            {
                Err(KeyError::EncryptedPrivateKey)
            }
            Err(e) => Err(e),
        }
    }

    /// PKCS#8 v1 DER, the 48 bytes openssl writes. Wiped when dropped.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let mut der = Zeroizing::new(Vec::with_capacity(PKCS8_V1_PREFIX.len() + 32));
        der.extend_from_slice(&PKCS8_V1_PREFIX);
        der.extend_from_slice(self.0.as_bytes());
        der
    }

    /// PKCS#8 PEM, byte for byte what `openssl genpkey` would write for this
    /// key. Wiped when dropped.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        // Reserved up front (the PEM is 119 bytes) so the text is never
        // reallocated, which would leave an unwiped copy behind.
        let mut out = Zeroizing::new(String::with_capacity(128));
        encode_pem_into(&mut out, PRIVATE_KEY_LABEL, &self.to_pkcs8_der());
        out
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Pure Ed25519 (RFC 8032, no pre-hash, no context) over `message`.
    /// Deterministic: the same key and message give the same signature.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with `openssl genpkey -algorithm ed25519` and
    // `openssl pkey -pubout`; the fingerprint with
    // `openssl pkey -pubin -outform DER | sha256sum`.
    const OPENSSL_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIMSD9FZbtxsTfrd83yj3Jf+Shb652rt1Z4t8cXG7ofUS
-----END PRIVATE KEY-----
";
    const OPENSSL_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGO7jpNQMGFxODQ6AdZx6dZBHxEPsN72cgfUcr+TMMtc=
-----END PUBLIC KEY-----
";
    const OPENSSL_FINGERPRINT: &str =
        "45dd58ebab1a88538ae901b96c1197aefe667b49be4d7bf5ce96f538a9887087";

    /// A deterministic stand-in for OsRng, so tests need no extra crate.
    struct CounterRng(u64);
    impl rand_core::RngCore for CounterRng {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for b in dest {
                *b = (self.next_u64() >> 56) as u8;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for CounterRng {}

    #[test]
    fn openssl_private_key_parses_and_matches_its_public_key() {
        let sk = PrivateKey::from_pkcs8_pem(OPENSSL_PRIVATE_PEM).unwrap();
        let pk = PublicKey::from_spki_pem(OPENSSL_PUBLIC_PEM).unwrap();
        assert_eq!(sk.public_key(), pk);
        assert_eq!(pk.fingerprint(), OPENSSL_FINGERPRINT);
        // Our encoders write exactly what openssl wrote.
        assert_eq!(sk.to_pkcs8_pem().as_str(), OPENSSL_PRIVATE_PEM);
        assert_eq!(pk.to_spki_pem(), OPENSSL_PUBLIC_PEM);
        assert_eq!(PublicKey::parse(OPENSSL_PUBLIC_PEM.as_bytes()).unwrap(), pk);
        assert_eq!(PublicKey::parse(&pk.to_spki_der()).unwrap(), pk);
        assert_eq!(
            fingerprint_of_spki_der(&pk.to_spki_der()),
            OPENSSL_FINGERPRINT
        );
    }

    #[test]
    fn generated_key_round_trips_and_signs() {
        let sk = PrivateKey::generate(&mut CounterRng(7));
        let again = PrivateKey::from_pkcs8_pem(&sk.to_pkcs8_pem()).unwrap();
        assert_eq!(again.public_key(), sk.public_key());
        let pk = PublicKey::from_spki_pem(&sk.public_key().to_spki_pem()).unwrap();
        let sig = sk.sign(b"docflow");
        assert_eq!(sig, again.sign(b"docflow"), "Ed25519 is deterministic");
        pk.verify(b"docflow", &sig).unwrap();
        pk.verify_base64(b"docflow", &sig.to_base64()).unwrap();
        assert_eq!(pk.verify(b"docflow!", &sig), Err(KeyError::BadSignature));
        let mut bent = sig.to_bytes();
        bent[10] ^= 1;
        assert_eq!(
            pk.verify(b"docflow", &Signature::from_bytes(bent)),
            Err(KeyError::BadSignature)
        );
        let other = PrivateKey::generate(&mut CounterRng(8)).public_key();
        assert_ne!(other, pk);
        assert_eq!(other.verify(b"docflow", &sig), Err(KeyError::BadSignature));
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let sk = PrivateKey::from_seed(&seed);
        assert_eq!(
            hex::encode(sk.public_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex::encode(sk.sign(b"").to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn other_algorithms_are_refused_by_name() {
        // `openssl ecparam -name prime256v1 -genkey | openssl ec -pubout`
        let p256 = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEupje2vAdV7dYoA0vUBWP92VRbAxA
GaXLIkAFffUPfcsYzBhLPlqbo7GhYajfRhkjpQiypoyanHtlH08E0y8EYA==
-----END PUBLIC KEY-----
";
        match PublicKey::from_spki_pem(p256) {
            Err(KeyError::UnsupportedAlgorithm { oid, .. }) => {
                assert_eq!(oid, "1.2.840.10045.2.1")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn wrong_pem_shapes_are_refused() {
        let pk = PrivateKey::from_seed(&[1; 32]).public_key();
        let pem = pk.to_spki_pem();
        assert!(matches!(
            PublicKey::from_spki_pem(&pem.replace("PUBLIC KEY", "CERTIFICATE")),
            Err(KeyError::WrongPemLabel { .. })
        ));
        assert!(matches!(
            PublicKey::from_spki_pem(&format!("{pem}{pem}")),
            Err(KeyError::WrongPemLabel { .. })
        ));
        assert!(matches!(
            PublicKey::from_spki_pem("hello"),
            Err(KeyError::Pem(PemError::NoBlock { .. }))
        ));
        assert!(matches!(
            PublicKey::from_spki_pem(&pem[..pem.len() - 10]),
            Err(KeyError::Pem(PemError::Syntax { .. }))
        ));
        assert!(matches!(
            PublicKey::from_spki_pem(&pem.replacen("MCow", "MCo*", 1)),
            Err(KeyError::Pem(PemError::Base64 { .. }))
        ));
        // CRLF and comments around the block are fine.
        let crlf = format!("comment\r\n{}", pem.replace('\n', "\r\n"));
        assert_eq!(PublicKey::from_spki_pem(&crlf).unwrap(), pk);
        let sk_pem = PrivateKey::from_seed(&[1; 32]).to_pkcs8_pem();
        let encrypted = sk_pem.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&encrypted).unwrap_err(),
            KeyError::EncryptedPrivateKey
        );
    }

    #[test]
    fn malformed_der_is_refused() {
        let der = PrivateKey::from_seed(&[2; 32]).public_key().to_spki_der();
        assert!(matches!(
            PublicKey::from_spki_der(&der[..40]),
            Err(KeyError::Malformed(_))
        ));
        let mut long = der.to_vec();
        long.push(0);
        assert!(matches!(
            PublicKey::from_spki_der(&long),
            Err(KeyError::Malformed(_))
        ));
        assert!(PublicKey::from_spki_der(b"").is_err());
        assert!(PublicKey::parse(b"\x30\x00").is_err());
        assert!(PrivateKey::from_pkcs8_der(&der).is_err());
    }

    #[test]
    fn small_order_and_invalid_points_are_refused() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::WeakKey));
        // y = 2 is not on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert_eq!(
            PublicKey::from_bytes(&off_curve),
            Err(KeyError::InvalidPoint)
        );
    }

    #[test]
    fn signature_encoding_is_strict() {
        let sig = PrivateKey::from_seed(&[3; 32]).sign(b"x");
        let b64 = sig.to_base64();
        assert_eq!(b64.len(), 88);
        assert_eq!(Signature::from_base64(&b64).unwrap(), sig);
        for bad in [
            &b64[..86],             // no padding
            &format!(" {b64}"),     // whitespace
            &format!("{b64}AAAA"),  // too long
            &b64.replace('=', "A"), // wrong length
            "!!!!",                 // not base64
            "",
        ] {
            assert!(
                matches!(
                    Signature::from_base64(bad),
                    Err(KeyError::BadSignatureEncoding(_))
                ),
                "{bad:?}"
            );
        }
        assert!(Signature::from_slice(&[0; 63]).is_err());
    }

    #[test]
    fn debug_output_hides_the_private_key() {
        let sk = PrivateKey::from_seed(&[4; 32]);
        let shown = format!("{sk:?}");
        assert!(!shown.contains(&hex::encode([4u8; 32])));
        assert!(shown.contains(&sk.public_key().fingerprint()));
    }
}
