//! Checkpoints (C2SP tlog-checkpoint) and the signed notes that carry them
//! (C2SP signed-note), with Ed25519 keys in the golang.org/x/mod/sumdb/note
//! key formats.
//!
//! A checkpoint body is
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <base64 root hash>
//! [extension lines]
//! ```
//!
//! and a signed note is `body ‖ "\n" ‖ signature lines`, each line being
//! `— <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>\n`. The
//! signature covers the body bytes exactly, final newline included.
//!
//! Parsing is strict: anything that would not be written back byte for byte
//! is refused, so one checkpoint has exactly one encoding.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// Signature type byte of Ed25519 in signed notes and key strings.
pub const ALG_ED25519: u8 = 0x01;
/// Starts every signature line: U+2014 EM DASH and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// More signature lines than this and a note is refused, so a hostile note
/// cannot make a verifier spin. The spec asks for at least 16.
pub const MAX_SIGNATURES: usize = 100;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("key name {0:?} is empty or contains a space, '+' or a control character")]
    InvalidName(String),
    #[error("malformed key string: {0}")]
    MalformedKey(&'static str),
    #[error("unsupported key algorithm {0:#04x}")]
    UnsupportedAlgorithm(u8),
    #[error("key id in the key string does not match the key")]
    KeyIdMismatch,
    #[error("the Ed25519 public key is invalid or weak")]
    InvalidPublicKey,
    #[error("note text {0}")]
    MalformedText(&'static str),
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("signature by {name}+{key_id:08x} does not verify")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("note is not signed by {name}+{key_id:08x}")]
    NotSigned { name: String, key_id: u32 },
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("checkpoint body does not end with a newline")]
    MissingFinalNewline,
    #[error("checkpoint body has no {0} line")]
    MissingLine(&'static str),
    #[error("checkpoint origin is empty or contains a control character")]
    BadOrigin,
    #[error("checkpoint tree size is not a canonical decimal u64")]
    BadSize,
    #[error("checkpoint root is not the canonical base64 of 32 bytes")]
    BadRoot,
    #[error("checkpoint extension line {0} is empty or contains a control character")]
    BadExtension(usize),
}

/// A log's signed statement of its size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Names the log; by convention equal to the log's key name.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque extra lines, each non-empty; docflow writes none.
    pub extensions: Vec<String>,
}

/// No control characters: the signed-note rule for text, applied per line.
fn is_clean_line(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c < '\u{20}')
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n` and the extension lines.
    pub fn to_body(&self) -> Result<String, CheckpointError> {
        if !is_clean_line(&self.origin) {
            return Err(CheckpointError::BadOrigin);
        }
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for (i, ext) in self.extensions.iter().enumerate() {
            if !is_clean_line(ext) {
                return Err(CheckpointError::BadExtension(i + 1));
            }
            body.push_str(ext);
            body.push('\n');
        }
        Ok(body)
    }

    /// Parses a note text. Refuses anything [`Checkpoint::to_body`] would not
    /// write: leading zeros, `+`, non-canonical base64, empty lines, CR, ...
    pub fn parse(body: &str) -> Result<Checkpoint, CheckpointError> {
        let text = body
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingFinalNewline)?;
        let mut lines = text.split('\n');
        let origin = lines.next().ok_or(CheckpointError::MissingLine("origin"))?;
        if !is_clean_line(origin) {
            return Err(CheckpointError::BadOrigin);
        }
        let size = lines.next().ok_or(CheckpointError::MissingLine("size"))?;
        let size = parse_canonical_u64(size).ok_or(CheckpointError::BadSize)?;
        let root = lines.next().ok_or(CheckpointError::MissingLine("root"))?;
        let root = decode_hash(root).ok_or(CheckpointError::BadRoot)?;
        let mut extensions = Vec::new();
        for (i, ext) in lines.enumerate() {
            if !is_clean_line(ext) {
                return Err(CheckpointError::BadExtension(i + 1));
            }
            extensions.push(ext.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// ASCII decimal without sign or leading zeros (except "0" itself).
pub(crate) fn parse_canonical_u64(s: &str) -> Option<u64> {
    let digits_only = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// Standard padded base64 that re-encodes to the same text.
pub(crate) fn decode_base64_strict(s: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(s).ok()?;
    // The engine already refuses bad padding and stray trailing bits; the
    // round trip makes canonical form an explicit, local guarantee.
    (STANDARD.encode(&bytes) == s).then_some(bytes)
}

/// A 32-byte hash in strict base64.
pub(crate) fn decode_hash(s: &str) -> Option<Hash> {
    decode_base64_strict(s)?.try_into().ok()
}

/// Key names: non-empty, no Unicode space, no `+`, no control character.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < '\u{20}')
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(NoteError::InvalidName(name.to_owned()))
    }
}

/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4], big-endian.
pub fn ed25519_key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Eight lower-case hex digits, as the key strings write the id.
fn parse_key_id(s: &str) -> Option<u32> {
    let ok = s.len() == 8 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !ok {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// base64(0x01 ‖ 32 bytes) → the 32 bytes.
fn parse_typed_key(s: &str) -> Result<[u8; 32], NoteError> {
    let raw = decode_base64_strict(s).ok_or(NoteError::MalformedKey("key is not base64"))?;
    match raw.split_first() {
        None => Err(NoteError::MalformedKey("key is empty")),
        Some((&ALG_ED25519, key)) => key
            .try_into()
            .map_err(|_| NoteError::MalformedKey("Ed25519 key is not 32 bytes")),
        Some((&alg, _)) => Err(NoteError::UnsupportedAlgorithm(alg)),
    }
}

fn encode_typed_key(key: &[u8; 32]) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.push(ALG_ED25519);
    raw.extend_from_slice(key);
    STANDARD.encode(raw)
}

/// Checks note text can be signed: newline-terminated, no control
/// characters besides newline (valid UTF-8 is given by `&str`).
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::MalformedText("does not end with a newline"));
    }
    if text.chars().any(|c| c < '\u{20}' && c != '\n') {
        return Err(NoteError::MalformedText("contains a control character"));
    }
    Ok(())
}

/// One syntactically valid signature line.
struct SignatureLine<'a> {
    name: &'a str,
    key_id: u32,
    /// Key id ‖ signature, at least 5 bytes.
    raw: Vec<u8>,
}

/// Splits a note into its text and parsed signature lines, checking syntax
/// only (no key is consulted).
fn split_note(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), NoteError> {
    if note.chars().any(|c| c < '\u{20}' && c != '\n') {
        return Err(NoteError::MalformedNote("contains a control character"));
    }
    // Signature lines are never empty, so the last blank line separates.
    let split = note.rfind("\n\n").ok_or(NoteError::MalformedNote(
        "no blank line before the signatures",
    ))?;
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::MalformedNote(
            "signature block is empty or unterminated",
        ));
    }
    let mut out = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        if out.len() == MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(NoteError::MalformedNote(
                "signature line does not start with an em dash",
            ))?;
        let (name, b64) = rest.split_once(' ').ok_or(NoteError::MalformedNote(
            "signature line has no space after the name",
        ))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::MalformedNote(
                "invalid key name in a signature line",
            ));
        }
        let raw = decode_base64_strict(b64).ok_or(NoteError::MalformedNote(
            "signature is not canonical base64",
        ))?;
        if raw.len() < 5 {
            return Err(NoteError::MalformedNote("signature is too short"));
        }
        let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        out.push(SignatureLine { name, key_id, raw });
    }
    Ok((text, out))
}

/// The text of a note whose syntax is valid, WITHOUT checking any
/// signature: for parsing ahead of verification only.
pub fn unverified_note_text(note: &str) -> Result<&str, NoteError> {
    split_note(note).map(|(text, _)| text)
}

/// A public key that checks signed notes: `<name>+<key id>+<base64(0x01 ‖ key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    pub fn new(name: impl Into<String>, key: VerifyingKey) -> Result<NoteVerifier, NoteError> {
        let name = name.into();
        check_name(&name)?;
        if key.is_weak() {
            return Err(NoteError::InvalidPublicKey);
        }
        let key_id = ed25519_key_id(&name, &key);
        Ok(NoteVerifier { name, key_id, key })
    }

    /// Parses a verifier key string.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, NoteError> {
        let (name, rest) = vkey
            .split_once('+')
            .ok_or(NoteError::MalformedKey("expected name+id+key"))?;
        let (id, key64) = rest
            .split_once('+')
            .ok_or(NoteError::MalformedKey("expected name+id+key"))?;
        check_name(name)?;
        let key_id =
            parse_key_id(id).ok_or(NoteError::MalformedKey("key id is not 8 hex digits"))?;
        let key = parse_typed_key(key64)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| NoteError::InvalidPublicKey)?;
        let v = NoteVerifier::new(name, key)?;
        if v.key_id != key_id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(v)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Verifies a signed note and returns its text (the signed body).
    ///
    /// Signatures by other keys are ignored but must be well-formed. Every
    /// line with this key's name and id must verify, and at least one must.
    pub fn open(&self, note: &str) -> Result<String, NoteError> {
        let (text, sigs) = split_note(note)?;
        let mut verified = false;
        for line in &sigs {
            if line.name != self.name || line.key_id != self.key_id {
                continue;
            }
            let invalid = || NoteError::InvalidSignature {
                name: self.name.clone(),
                key_id: self.key_id,
            };
            let sig = line
                .raw
                .get(4..)
                .and_then(|s| Signature::from_slice(s).ok())
                .ok_or_else(invalid)?;
            self.key
                .verify_strict(text.as_bytes(), &sig)
                .map_err(|_| invalid())?;
            verified = true;
        }
        if !verified {
            return Err(NoteError::NotSigned {
                name: self.name.clone(),
                key_id: self.key_id,
            });
        }
        Ok(text.to_owned())
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_typed_key(self.key.as_bytes())
        )
    }
}

impl std::str::FromStr for NoteVerifier {
    type Err = NoteError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoteVerifier::parse(s)
    }
}

/// A private key that signs notes:
/// `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ 32-byte seed)>`.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl fmt::Debug for NoteSigner {
    // Never print the seed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    pub fn new(name: impl Into<String>, key: SigningKey) -> Result<NoteSigner, NoteError> {
        let name = name.into();
        check_name(&name)?;
        let key_id = ed25519_key_id(&name, &key.verifying_key());
        Ok(NoteSigner { name, key_id, key })
    }

    /// Parses a signer key string; the key id must match the derived key.
    pub fn from_signer_key(skey: &str) -> Result<NoteSigner, NoteError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::MalformedKey("expected PRIVATE+KEY+name+id+key"))?;
        let (name, rest) = rest
            .split_once('+')
            .ok_or(NoteError::MalformedKey("expected PRIVATE+KEY+name+id+key"))?;
        let (id, key64) = rest
            .split_once('+')
            .ok_or(NoteError::MalformedKey("expected PRIVATE+KEY+name+id+key"))?;
        check_name(name)?;
        let key_id =
            parse_key_id(id).ok_or(NoteError::MalformedKey("key id is not 8 hex digits"))?;
        let seed = parse_typed_key(key64)?;
        let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed))?;
        if signer.key_id != key_id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(signer)
    }

    /// The signer key string. It holds the private key.
    pub fn signer_key_string(&self) -> String {
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_typed_key(self.key.as_bytes())
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `body` (which must end in a newline) and returns the note:
    /// the body, a blank line and this key's signature line.
    pub fn sign(&self, body: &str) -> Result<String, NoteError> {
        check_text(body)?;
        let sig = self.key.sign(body.as_bytes());
        let mut raw = Vec::with_capacity(68);
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{body}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(raw)
        ))
    }
}

/// The signed note of a checkpoint.
pub fn sign_checkpoint(
    signer: &NoteSigner,
    checkpoint: &Checkpoint,
) -> Result<String, CheckpointError> {
    Ok(signer.sign(&checkpoint.to_body()?)?)
}

/// Verifies a checkpoint note with `verifier` and parses its body. The
/// caller decides whether `origin` must equal the key name.
pub fn open_checkpoint(verifier: &NoteVerifier, note: &str) -> Result<Checkpoint, CheckpointError> {
    let body = verifier.open(note)?;
    Checkpoint::parse(&body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // golang.org/x/mod/sumdb/note: the documented example key and note.
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                              then you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
    // C2SP signed-note example key and note.
    const FOO_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    const FOO_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

    fn peter_note() -> String {
        format!("{PETER_TEXT}\n{PETER_SIG}")
    }

    fn test_signer(name: &str, seed: u8) -> NoteSigner {
        NoteSigner::new(name, SigningKey::from_bytes(&[seed; 32])).unwrap()
    }

    fn sample_checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "docflow.example/log".into(),
            size: 3,
            root: crate::merkle::leaf_hash(b"root"),
            extensions: vec![],
        }
    }

    #[test]
    fn go_reference_signature_is_reproduced() {
        let signer = NoteSigner::from_signer_key(PETER_SKEY).unwrap();
        assert_eq!(signer.key_id(), 0xc74f20a3);
        assert_eq!(signer.name(), "PeterNeumann");
        assert_eq!(signer.signer_key_string(), PETER_SKEY);
        assert_eq!(signer.verifier().to_string(), PETER_VKEY);
        // Ed25519 is deterministic: the exact published note comes out.
        assert_eq!(signer.sign(PETER_TEXT).unwrap(), peter_note());
        let v = NoteVerifier::parse(PETER_VKEY).unwrap();
        assert_eq!(v, signer.verifier());
        assert_eq!(v.open(&peter_note()).unwrap(), PETER_TEXT);
        assert!(!format!("{signer:?}").contains("AYEK"));
    }

    #[test]
    fn doubly_signed_note_opens_with_either_key() {
        let note = format!("{PETER_TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        let peter = NoteVerifier::parse(PETER_VKEY).unwrap();
        let enoch = NoteVerifier::parse(ENOCH_VKEY).unwrap();
        assert_eq!(enoch.key_id(), 0xaf0cfe78);
        assert_eq!(peter.open(&note).unwrap(), PETER_TEXT);
        assert_eq!(enoch.open(&note).unwrap(), PETER_TEXT);
        // A note signed only by someone else is not signed by us.
        let only_enoch = format!("{PETER_TEXT}\n{ENOCH_SIG}");
        assert!(matches!(
            peter.open(&only_enoch),
            Err(NoteError::NotSigned { .. })
        ));
    }

    #[test]
    fn c2sp_example_note_verifies() {
        let v = NoteVerifier::parse(FOO_VKEY).unwrap();
        assert_eq!(v.to_string(), FOO_VKEY);
        assert_eq!(v.open(FOO_NOTE).unwrap(), "This is an example message.\n");
    }

    #[test]
    fn mangled_key_strings_are_refused() {
        // As in note_test.go: every proper substring and every byte + 1.
        for key in [PETER_VKEY, PETER_SKEY] {
            let parse = |s: &str| {
                if key == PETER_VKEY {
                    NoteVerifier::parse(s).is_ok()
                } else {
                    NoteSigner::from_signer_key(s).is_ok()
                }
            };
            assert!(parse(key));
            let b = key.as_bytes();
            for i in 0..=b.len() {
                for j in i + 1..=b.len() {
                    if (i, j) != (0, b.len()) {
                        let s = std::str::from_utf8(&b[i..j]).unwrap();
                        assert!(!parse(s), "{s:?} accepted");
                    }
                }
            }
            for i in 0..b.len() {
                let mut m = b.to_vec();
                m[i] += 1;
                let s = std::str::from_utf8(&m).unwrap();
                assert!(!parse(s), "{s:?} accepted");
            }
        }
        // Wrong key length and unknown algorithm, each with a matching id.
        assert!(NoteVerifier::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err());
        let long = format!("PeterNeumann+00000000+{}", STANDARD.encode([1u8; 34]));
        assert_eq!(
            NoteVerifier::parse(&long),
            Err(NoteError::MalformedKey("Ed25519 key is not 32 bytes"))
        );
        assert_eq!(
            NoteVerifier::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(NoteError::UnsupportedAlgorithm(0x65))
        );
        // Upper-case id: Go's %08x never writes it, so it is not canonical.
        assert!(NoteVerifier::parse(&PETER_VKEY.replace("c74f20a3", "C74F20A3")).is_err());
    }

    #[test]
    fn key_names_are_validated() {
        for bad in [
            "",
            "a b",
            "a+b",
            "a\tb",
            "a\u{a0}b",
            "a\u{2003}b",
            "a\u{0}b",
        ] {
            assert!(
                matches!(
                    NoteSigner::new(bad, SigningKey::from_bytes(&[1; 32])),
                    Err(NoteError::InvalidName(_))
                ),
                "{bad:?}"
            );
        }
        assert!(NoteSigner::new("example.com/log-1", SigningKey::from_bytes(&[1; 32])).is_ok());
        assert!(NoteSigner::new("журнал", SigningKey::from_bytes(&[1; 32])).is_ok());
    }

    #[test]
    fn tampered_notes_are_refused() {
        let signer = test_signer("docflow.example/log", 7);
        let v = signer.verifier();
        let note = signer.sign("hello\nworld\n").unwrap();
        assert_eq!(v.open(&note).unwrap(), "hello\nworld\n");

        // Changed body.
        let changed = note.replacen("hello", "hellO", 1);
        assert_eq!(
            v.open(&changed),
            Err(NoteError::InvalidSignature {
                name: v.name().into(),
                key_id: v.key_id()
            })
        );
        // Changed signature bytes, same key id.
        let (text, sig_line) = note.split_at(note.rfind('\u{2014}').unwrap());
        let b64 = sig_line.trim_end().rsplit(' ').next().unwrap();
        let mut raw = STANDARD.decode(b64).unwrap();
        raw[10] ^= 1;
        let bad_sig = format!("{text}\u{2014} {} {}\n", v.name(), STANDARD.encode(&raw));
        assert!(matches!(
            v.open(&bad_sig),
            Err(NoteError::InvalidSignature { .. })
        ));
        // Truncated signature with a matching key id.
        let short = format!(
            "{text}\u{2014} {} {}\n",
            v.name(),
            STANDARD.encode(&raw[..40])
        );
        assert!(matches!(
            v.open(&short),
            Err(NoteError::InvalidSignature { .. })
        ));
        // Changed key id: an unknown key, so the note is unsigned for us.
        let mut raw = STANDARD.decode(b64).unwrap();
        raw[0] ^= 1;
        let other_id = format!("{text}\u{2014} {} {}\n", v.name(), STANDARD.encode(&raw));
        assert!(matches!(
            v.open(&other_id),
            Err(NoteError::NotSigned { .. })
        ));
        // A good signature plus a bad one from the same key: refused.
        let both = format!("{note}{}", &bad_sig[text.len()..]);
        assert!(matches!(
            v.open(&both),
            Err(NoteError::InvalidSignature { .. })
        ));
        // Same key, other name.
        let renamed = signer.sign("hello\nworld\n").unwrap().replace(
            "\u{2014} docflow.example/log ",
            "\u{2014} docflow.example/log2 ",
        );
        assert!(matches!(v.open(&renamed), Err(NoteError::NotSigned { .. })));
        // Another key with the same name.
        let impostor = test_signer("docflow.example/log", 8);
        let forged = impostor.sign("hello\nworld\n").unwrap();
        assert!(matches!(v.open(&forged), Err(NoteError::NotSigned { .. })));
    }

    #[test]
    fn malformed_notes_are_refused() {
        let signer = test_signer("log", 9);
        let v = signer.verifier();
        let note = signer.sign("a\n").unwrap();
        let sig_line = &note["a\n\n".len()..];
        let cases = [
            "".to_string(),
            "a\n".to_string(),
            format!("a\n{sig_line}"),
            format!("a\n\n{}", sig_line.trim_end()),
            format!("a\n\n{sig_line}\n"),
            format!("a\r\n\n{sig_line}"),
            format!("a\n\n{}", sig_line.replacen('\u{2014}', "-", 1)),
            format!("a\n\n{}", sig_line.replacen(' ', "  ", 1)),
            format!("a\n\n{}", sig_line.replacen("log ", "log", 1)),
            format!("a\n\n{}", sig_line.replacen('=', "", 1)),
            format!("a\n\n{sig_line}\u{2014} other AAAA\n"),
            format!("a\n\n{sig_line}\u{2014} other\n"),
            format!("a\n\n{sig_line}\u{2014} a+b AAAAAAA=\n"),
        ];
        for case in &cases {
            assert!(v.open(case).is_err(), "{case:?} opened");
        }
        let many = format!("a\n\n{}", sig_line.repeat(MAX_SIGNATURES + 1));
        assert_eq!(v.open(&many), Err(NoteError::TooManySignatures));
        let enough = format!("a\n\n{}", sig_line.repeat(16));
        assert_eq!(v.open(&enough).unwrap(), "a\n");
        // Text with empty lines is fine for notes: the last blank line splits.
        let poem = signer.sign("one\n\ntwo\n").unwrap();
        assert_eq!(v.open(&poem).unwrap(), "one\n\ntwo\n");
        assert!(signer.sign("no newline").is_err());
        assert!(signer.sign("tab\there\n").is_err());
    }

    #[test]
    fn checkpoint_round_trip() {
        let signer = test_signer("docflow.example/log", 3);
        let mut cp = sample_checkpoint();
        let note = sign_checkpoint(&signer, &cp).unwrap();
        assert_eq!(open_checkpoint(&signer.verifier(), &note).unwrap(), cp);
        cp.extensions = vec!["ext one".into(), "— ext two".into()];
        let note = sign_checkpoint(&signer, &cp).unwrap();
        assert_eq!(open_checkpoint(&signer.verifier(), &note).unwrap(), cp);
        assert_eq!(unverified_note_text(&note).unwrap(), cp.to_body().unwrap());
        let body = cp.to_body().unwrap();
        assert!(body.starts_with("docflow.example/log\n3\n"));
        assert!(body.ends_with("\next one\n— ext two\n"));
    }

    #[test]
    fn checkpoint_parse_is_strict() {
        let good = sample_checkpoint().to_body().unwrap();
        assert_eq!(Checkpoint::parse(&good).unwrap(), sample_checkpoint());
        let root = STANDARD.encode(sample_checkpoint().root);
        let bad = [
            good.trim_end().to_string(),
            good.replace("\n3\n", "\n03\n"),
            good.replace("\n3\n", "\n+3\n"),
            good.replace("\n3\n", "\n3 \n"),
            good.replace("\n3\n", "\n\n"),
            good.replace("\n3\n", "\n18446744073709551616\n"),
            good.replace("docflow.example/log", ""),
            good.replace('\n', "\r\n"),
            good.replace(&root, &root[..root.len() - 1]),
            good.replace(&root, &STANDARD.encode([0u8; 31])),
            good.replace(&root, &STANDARD.encode([0u8; 33])),
            good.replace(&root, &root.replace('=', "")),
            format!("{good}\n"),
            format!("{good}ext\n\n"),
            "origin\n3\n".to_string(),
            "origin\n".to_string(),
            "\n".to_string(),
        ];
        for b in &bad {
            assert!(Checkpoint::parse(b).is_err(), "{b:?} parsed");
        }
        // Non-canonical trailing bits in the last base64 character.
        let zero = format!("o\n1\n{}\n", STANDARD.encode([0u8; 32]));
        assert!(Checkpoint::parse(&zero).is_ok());
        assert!(Checkpoint::parse(&zero.replace("AA=", "AB=")).is_err());
        assert_eq!(
            Checkpoint::parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
                .unwrap()
                .root,
            crate::merkle::empty_root()
        );
        let mut cp = sample_checkpoint();
        cp.origin = "a\nb".into();
        assert!(cp.to_body().is_err());
        cp.origin = "ok".into();
        cp.extensions = vec![String::new()];
        assert!(cp.to_body().is_err());
    }

    #[test]
    fn every_changed_byte_of_a_checkpoint_note_is_refused() {
        let signer = test_signer("docflow.example/log", 4);
        let v = signer.verifier();
        let note = sign_checkpoint(&signer, &sample_checkpoint()).unwrap();
        let bytes = note.as_bytes();
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80] {
                let mut m = bytes.to_vec();
                m[i] ^= mask;
                if let Ok(s) = std::str::from_utf8(&m) {
                    assert!(open_checkpoint(&v, s).is_err(), "byte {i} ^ {mask:#x}");
                }
            }
        }
    }

    #[test]
    fn doc_vectors_match() {
        use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
        let skey = include_str!("../../../docs/vectors/checkpoint-key.skey").trim_end();
        let vkey = include_str!("../../../docs/vectors/checkpoint-key.vkey").trim_end();
        let body = include_str!("../../../docs/vectors/checkpoint-body.txt");
        let note = include_str!("../../../docs/vectors/checkpoint-note.txt");
        let root = include_str!("../../../docs/vectors/merkle-root-3.txt").trim_end();

        let signer = NoteSigner::from_signer_key(skey).unwrap();
        let verifier = NoteVerifier::parse(vkey).unwrap();
        assert_eq!(signer.verifier(), verifier);
        assert_eq!(verifier.name(), "docflow.example/test-log");
        // The openssl keys are the same key pair.
        let pem_sk =
            SigningKey::from_pkcs8_pem(include_str!("../../../docs/vectors/checkpoint-key.pem"))
                .unwrap();
        assert_eq!(pem_sk.to_bytes(), signer.key.to_bytes());
        let pem_pk = VerifyingKey::from_public_key_pem(include_str!(
            "../../../docs/vectors/checkpoint-key.pub.pem"
        ))
        .unwrap();
        assert_eq!(&pem_pk, verifier.verifying_key());
        // The seed is SHA-256 of a public phrase: this key protects nothing.
        let seed: [u8; 32] =
            Sha256::digest(b"docflow test vector key: public, never use it").into();
        assert_eq!(signer.key.to_bytes(), seed);

        let cp = Checkpoint {
            origin: verifier.name().into(),
            size: 3,
            root: hex::decode(root).unwrap().try_into().unwrap(),
            extensions: vec![],
        };
        assert_eq!(cp.to_body().unwrap(), body);
        assert_eq!(sign_checkpoint(&signer, &cp).unwrap(), note);
        assert_eq!(open_checkpoint(&verifier, note).unwrap(), cp);
    }

    proptest! {
        #[test]
        fn notes_round_trip(lines in proptest::collection::vec("[^\\x00-\\x1f]{1,20}", 1..5)) {
            let signer = test_signer("prop.example/log", 5);
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let note = signer.sign(&text).unwrap();
            prop_assert_eq!(signer.verifier().open(&note).unwrap(), text);
        }

        #[test]
        fn checkpoints_round_trip(origin in "[!-~]{1,40}", size in any::<u64>(), root in any::<[u8; 32]>()) {
            let cp = Checkpoint { origin, size, root, extensions: vec![] };
            let body = cp.to_body().unwrap();
            prop_assert_eq!(Checkpoint::parse(&body).unwrap(), cp);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,200}") {
            let _ = Checkpoint::parse(&s);
            let _ = NoteVerifier::parse(&s);
            let _ = NoteSigner::from_signer_key(&s);
            let _ = NoteVerifier::parse(PETER_VKEY).unwrap().open(&s);
        }
    }
}
