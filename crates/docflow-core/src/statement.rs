//! What a signature covers: the signed statement.
//!
//! A user never signs raw document bytes or a JSON blob. They sign a short
//! statement text that says who signs what, for what purpose, with which
//! key and when; the document itself enters through its SHA-256. The format
//! is specified in `docs/signatures.md`; this module is its only
//! implementation.
//!
//! ```text
//! docflow-statement/1
//! purpose: approve-with-remarks
//! document: 0193f2a4-5c1e-7b2a-9d3e-0123456789ab
//! version: 1
//! sha256: <64 lower-case hex: SHA-256 of the version's content>
//! key: <64 lower-case hex: fingerprint of the signing key>
//! signer: a.karimov
//! issued-at: 2026-11-25T10:00:00.000000Z
//! nonce: <64 lower-case hex: 32 random bytes>
//! remarks-sha256: <64 lower-case hex>
//! ```
//!
//! A login statement proves possession of a key and names no document:
//!
//! ```text
//! docflow-statement/1
//! purpose: login
//! login: a.karimov
//! key: <64 hex>
//! issued-at: 2026-11-25T10:00:00.000000Z
//! nonce: <64 hex>
//! ```
//!
//! The text is canonical: UTF-8, every line ends with `\n`, fields in this
//! fixed order, one space after each colon, no trailing blank space. Each
//! statement has exactly one encoding, [`Statement::parse`] refuses every
//! other text, and the first line separates it from every other thing
//! docflow hashes or signs.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};

use crate::keys::{CryptoRngCore, KeyError, PrivateKey, PublicKey, Signature};
use crate::ledger::{format_time, truncate_to_micros};

/// First line of every statement; names the format and its version.
pub const STATEMENT_HEADER: &str = "docflow-statement/1";
/// Longest statement [`Statement::parse`] reads. Real ones are about 400 bytes.
pub const MAX_STATEMENT_LEN: usize = 16 * 1024;
/// Most extra lines a statement may have.
pub const MAX_EXTRA_FIELDS: usize = 16;
/// Longest extra key, in bytes.
pub const MAX_EXTRA_KEY_LEN: usize = 64;
/// Longest extra value, in characters.
pub const MAX_EXTRA_VALUE_CHARS: usize = 512;

/// Names of the fixed fields. Extra lines may not reuse them, so a reader
/// can never mistake an extra line for a fixed one.
const RESERVED_KEYS: [&str; 9] = [
    "purpose",
    "document",
    "version",
    "sha256",
    "key",
    "signer",
    "issued-at",
    "nonce",
    "login",
];

/// Why a statement is made. The purpose decides the set of fields: `login`
/// has its own, every other purpose has the document fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Signs the document as its author or final signatory.
    Sign,
    /// Approves (визирует) a version during review.
    Approve,
    /// Approves with remarks; the remarks are bound by an extra line.
    ApproveWithRemarks,
    /// Rejects the version.
    Reject,
    /// Returns the version to its author for revision.
    ReturnForRevision,
    /// Puts a resolution (резолюция) on the document.
    Resolution,
    /// Reports the execution of an assignment.
    Report,
    /// Accepts a report or an incoming document.
    Accept,
    /// Proves possession of a key when logging in; names no document.
    Login,
}

impl Purpose {
    pub const ALL: [Purpose; 9] = [
        Purpose::Sign,
        Purpose::Approve,
        Purpose::ApproveWithRemarks,
        Purpose::Reject,
        Purpose::ReturnForRevision,
        Purpose::Resolution,
        Purpose::Report,
        Purpose::Accept,
        Purpose::Login,
    ];

    /// The text on the `purpose:` line.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Sign => "sign",
            Purpose::Approve => "approve",
            Purpose::ApproveWithRemarks => "approve-with-remarks",
            Purpose::Reject => "reject",
            Purpose::ReturnForRevision => "return-for-revision",
            Purpose::Resolution => "resolution",
            Purpose::Report => "report",
            Purpose::Accept => "accept",
            Purpose::Login => "login",
        }
    }

    /// True for every purpose that is about a document version.
    pub fn is_document(self) -> bool {
        self != Purpose::Login
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Purpose {
    type Err = StatementError;

    fn from_str(s: &str) -> Result<Purpose, StatementError> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| StatementError::UnknownPurpose(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StatementError {
    #[error("statement is not valid UTF-8")]
    NotUtf8,
    #[error("statement is longer than {MAX_STATEMENT_LEN} bytes")]
    TooLarge,
    #[error("statement does not end with a newline")]
    MissingFinalNewline,
    #[error("statement does not start with {STATEMENT_HEADER:?}")]
    BadHeader,
    #[error("line {line}: expected field {expected:?}")]
    MissingField { line: usize, expected: &'static str },
    #[error("unknown purpose {0:?}")]
    UnknownPurpose(String),
    #[error("field {field:?} is malformed: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("extra field {key:?}: {reason}")]
    BadExtra { key: String, reason: String },
    #[error("statement is not in canonical form")]
    NotCanonical,
    #[error("expected a {expected} statement, got a {found} statement")]
    WrongKind {
        expected: &'static str,
        found: &'static str,
    },
    #[error("the statement names key {named}, not the key that signed it ({used})")]
    KeyMismatch { named: String, used: String },
    #[error("signature: {0}")]
    Signature(#[from] KeyError),
}

fn bad(field: &'static str, reason: impl Into<String>) -> StatementError {
    StatementError::BadField {
        field,
        reason: reason.into(),
    }
}

/// The fields of a statement about a document version, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFields {
    /// Any purpose but [`Purpose::Login`].
    pub purpose: Purpose,
    /// Document id: a UUID in canonical lower-case hyphenated text.
    pub document: String,
    /// Version number, from 1.
    pub version: u64,
    /// SHA-256 of the version's content bytes.
    pub sha256: [u8; 32],
    /// Fingerprint of the signing key (see [`PublicKey::fingerprint_bytes`]).
    pub key: [u8; 32],
    /// Login of the signer.
    pub signer: String,
    /// When the statement was made; stored truncated to microseconds.
    pub issued_at: DateTime<Utc>,
    /// 32 random bytes, so that no two statements are alike.
    pub nonce: [u8; 32],
    /// Extra lines after `nonce`, in order.
    pub extra: Vec<(String, String)>,
}

/// The fields of a login statement, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFields {
    /// Login of the user proving possession of the key.
    pub login: String,
    /// Fingerprint of the key.
    pub key: [u8; 32],
    pub issued_at: DateTime<Utc>,
    /// For login: the server's challenge nonce.
    pub nonce: [u8; 32],
    pub extra: Vec<(String, String)>,
}

/// A validated document statement. Its fields are private so that every
/// value encodes to text that parses back to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentStatement(DocumentFields);

/// A validated login statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginStatement(LoginFields);

/// A validated statement of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    Document(DocumentStatement),
    Login(LoginStatement),
}

/// 32 random bytes for the `nonce` line.
pub fn new_nonce(rng: &mut impl CryptoRngCore) -> [u8; 32] {
    let mut nonce = [0u8; 32];
    rng.fill_bytes(&mut nonce);
    nonce
}

/// Same rule as the server's logins: 2 to 64 of `a-z 0-9 . - _`.
fn check_login(field: &'static str, login: &str) -> Result<(), StatementError> {
    let ok = (2..=64).contains(&login.len())
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(bad(
            field,
            "2 to 64 characters: lower-case Latin letters, digits, '.', '-' or '_'",
        ))
    }
}

/// Canonical UUID text: 8-4-4-4-12 lower-case hex digits.
fn check_uuid(value: &str) -> Result<(), StatementError> {
    let ok = value.len() == 36
        && value.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        });
    if ok {
        Ok(())
    } else {
        Err(bad(
            "document",
            "not a UUID in lower-case hyphenated form (8-4-4-4-12 hex digits)",
        ))
    }
}

/// Truncates to microseconds and keeps the year to four digits, so the
/// time has one RFC 3339 form.
fn normalize_time(t: DateTime<Utc>) -> Result<DateTime<Utc>, StatementError> {
    if !(1970..=9999).contains(&t.year()) {
        return Err(bad("issued-at", "year outside 1970..=9999"));
    }
    Ok(truncate_to_micros(t))
}

/// Characters that would let one line look like two, or reorder what a
/// person reads: control characters, line and paragraph separators, the
/// BOM and bidirectional formatting characters.
fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn check_extra(extra: &[(String, String)]) -> Result<(), StatementError> {
    if extra.len() > MAX_EXTRA_FIELDS {
        return Err(StatementError::BadExtra {
            key: String::new(),
            reason: format!("more than {MAX_EXTRA_FIELDS} extra fields"),
        });
    }
    for (i, (key, value)) in extra.iter().enumerate() {
        let fail = |reason: &str| StatementError::BadExtra {
            key: key.clone(),
            reason: reason.to_owned(),
        };
        let key_ok = !key.is_empty()
            && key.len() <= MAX_EXTRA_KEY_LEN
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !key_ok {
            return Err(fail(
                "key must be 1 to 64 of a-z 0-9 '-', starting with a letter",
            ));
        }
        if RESERVED_KEYS.contains(&key.as_str()) {
            return Err(fail("key is the name of a fixed field"));
        }
        if extra[..i].iter().any(|(k, _)| k == key) {
            return Err(fail("key appears twice"));
        }
        if value.is_empty() || value.chars().count() > MAX_EXTRA_VALUE_CHARS {
            return Err(fail("value must be 1 to 512 characters"));
        }
        if value.chars().any(is_forbidden_char) {
            return Err(fail(
                "value must be one line without control or bidirectional formatting characters",
            ));
        }
        if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
            return Err(fail("value must not start or end with blank space"));
        }
    }
    Ok(())
}

fn push_line(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(": ");
    out.push_str(value);
    out.push('\n');
}

fn push_extra(out: &mut String, extra: &[(String, String)]) {
    for (k, v) in extra {
        push_line(out, k, v);
    }
}

impl DocumentStatement {
    /// Validates the fields. `issued_at` is truncated to microseconds.
    pub fn new(mut fields: DocumentFields) -> Result<DocumentStatement, StatementError> {
        if !fields.purpose.is_document() {
            return Err(bad("purpose", "login is not a document purpose"));
        }
        check_uuid(&fields.document)?;
        if fields.version == 0 {
            return Err(bad("version", "versions are numbered from 1"));
        }
        check_login("signer", &fields.signer)?;
        fields.issued_at = normalize_time(fields.issued_at)?;
        check_extra(&fields.extra)?;
        Ok(DocumentStatement(fields))
    }

    pub fn fields(&self) -> &DocumentFields {
        &self.0
    }

    pub fn into_fields(self) -> DocumentFields {
        self.0
    }

    /// The canonical text, i.e. the bytes that are signed.
    pub fn encode(&self) -> String {
        let f = &self.0;
        let mut out = String::with_capacity(512);
        out.push_str(STATEMENT_HEADER);
        out.push('\n');
        push_line(&mut out, "purpose", f.purpose.as_str());
        push_line(&mut out, "document", &f.document);
        push_line(&mut out, "version", &f.version.to_string());
        push_line(&mut out, "sha256", &hex::encode(f.sha256));
        push_line(&mut out, "key", &hex::encode(f.key));
        push_line(&mut out, "signer", &f.signer);
        push_line(&mut out, "issued-at", &format_time(&f.issued_at));
        push_line(&mut out, "nonce", &hex::encode(f.nonce));
        push_extra(&mut out, &f.extra);
        out
    }

    /// Parses a statement that must be about a document.
    pub fn parse(text: &str) -> Result<DocumentStatement, StatementError> {
        match Statement::parse(text)? {
            Statement::Document(s) => Ok(s),
            Statement::Login(_) => Err(StatementError::WrongKind {
                expected: "document",
                found: "login",
            }),
        }
    }
}

impl LoginStatement {
    /// Validates the fields. `issued_at` is truncated to microseconds.
    pub fn new(mut fields: LoginFields) -> Result<LoginStatement, StatementError> {
        check_login("login", &fields.login)?;
        fields.issued_at = normalize_time(fields.issued_at)?;
        check_extra(&fields.extra)?;
        Ok(LoginStatement(fields))
    }

    pub fn fields(&self) -> &LoginFields {
        &self.0
    }

    pub fn into_fields(self) -> LoginFields {
        self.0
    }

    /// The canonical text, i.e. the bytes that are signed.
    pub fn encode(&self) -> String {
        let f = &self.0;
        let mut out = String::with_capacity(320);
        out.push_str(STATEMENT_HEADER);
        out.push('\n');
        push_line(&mut out, "purpose", Purpose::Login.as_str());
        push_line(&mut out, "login", &f.login);
        push_line(&mut out, "key", &hex::encode(f.key));
        push_line(&mut out, "issued-at", &format_time(&f.issued_at));
        push_line(&mut out, "nonce", &hex::encode(f.nonce));
        push_extra(&mut out, &f.extra);
        out
    }

    /// Parses a statement that must be a login statement.
    pub fn parse(text: &str) -> Result<LoginStatement, StatementError> {
        match Statement::parse(text)? {
            Statement::Login(s) => Ok(s),
            Statement::Document(_) => Err(StatementError::WrongKind {
                expected: "login",
                found: "document",
            }),
        }
    }
}

/// Reads the lines of a statement body in order.
struct Lines<'a> {
    iter: std::str::Split<'a, char>,
    /// 1-based number of the line `iter` yields next.
    next_line: usize,
}

impl<'a> Lines<'a> {
    fn new(body: &'a str) -> Lines<'a> {
        Lines {
            iter: body.split('\n'),
            next_line: 1,
        }
    }

    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        let line = self.iter.next()?;
        let n = self.next_line;
        self.next_line += 1;
        Some((n, line))
    }

    /// The value of the next line, which must be `field: value`.
    fn field(&mut self, field: &'static str) -> Result<&'a str, StatementError> {
        let missing = StatementError::MissingField {
            line: self.next_line,
            expected: field,
        };
        let (_, line) = self.next_line().ok_or(missing.clone())?;
        line.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(": "))
            .ok_or(missing)
    }

    /// The remaining lines as (key, value) extras.
    fn extras(mut self) -> Result<Vec<(String, String)>, StatementError> {
        let mut extra = Vec::new();
        while let Some((n, line)) = self.next_line() {
            if extra.len() >= MAX_EXTRA_FIELDS {
                return Err(StatementError::BadExtra {
                    key: String::new(),
                    reason: format!("more than {MAX_EXTRA_FIELDS} extra fields"),
                });
            }
            let (k, v) = line
                .split_once(": ")
                .ok_or_else(|| StatementError::BadExtra {
                    key: String::new(),
                    reason: format!("line {n} is not \"key: value\""),
                })?;
            extra.push((k.to_owned(), v.to_owned()));
        }
        Ok(extra)
    }
}

fn parse_hex32(field: &'static str, value: &str) -> Result<[u8; 32], StatementError> {
    // hex::decode accepts upper case; the canonical form is lower case only.
    if value.len() != 64
        || !value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(bad(field, "expected 64 lower-case hex digits"));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(value, &mut out).map_err(|e| bad(field, e.to_string()))?;
    Ok(out)
}

fn parse_time(value: &str) -> Result<DateTime<Utc>, StatementError> {
    Ok(DateTime::parse_from_rfc3339(value)
        .map_err(|e| bad("issued-at", e.to_string()))?
        .with_timezone(&Utc))
}

fn parse_version(value: &str) -> Result<u64, StatementError> {
    // u64's parser takes "+1"; the canonical-form check below refuses it
    // together with leading zeros.
    value
        .parse::<u64>()
        .map_err(|e| bad("version", e.to_string()))
}

impl Statement {
    /// Validates and wraps document fields.
    pub fn document(fields: DocumentFields) -> Result<Statement, StatementError> {
        DocumentStatement::new(fields).map(Statement::Document)
    }

    /// Validates and wraps login fields.
    pub fn login(fields: LoginFields) -> Result<Statement, StatementError> {
        LoginStatement::new(fields).map(Statement::Login)
    }

    /// The canonical text, i.e. the bytes that are signed.
    pub fn encode(&self) -> String {
        match self {
            Statement::Document(s) => s.encode(),
            Statement::Login(s) => s.encode(),
        }
    }

    /// Parses canonical bytes; see [`Statement::parse`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<Statement, StatementError> {
        if bytes.len() > MAX_STATEMENT_LEN {
            return Err(StatementError::TooLarge);
        }
        Statement::parse(std::str::from_utf8(bytes).map_err(|_| StatementError::NotUtf8)?)
    }

    /// Parses a canonical statement. Any text that would not re-encode to
    /// exactly itself is refused, so a statement has one encoding and
    /// `parse(t)?.encode() == t`.
    pub fn parse(text: &str) -> Result<Statement, StatementError> {
        if text.len() > MAX_STATEMENT_LEN {
            return Err(StatementError::TooLarge);
        }
        let body = text
            .strip_suffix('\n')
            .ok_or(StatementError::MissingFinalNewline)?;
        let mut lines = Lines::new(body);
        match lines.next_line() {
            Some((_, STATEMENT_HEADER)) => {}
            _ => return Err(StatementError::BadHeader),
        }
        let purpose: Purpose = lines.field("purpose")?.parse()?;
        // The purpose picks the field list, so a login statement can never
        // be read as a document statement or the other way round.
        let statement = if purpose.is_document() {
            let document = lines.field("document")?.to_owned();
            let version = parse_version(lines.field("version")?)?;
            let sha256 = parse_hex32("sha256", lines.field("sha256")?)?;
            let key = parse_hex32("key", lines.field("key")?)?;
            let signer = lines.field("signer")?.to_owned();
            let issued_at = parse_time(lines.field("issued-at")?)?;
            let nonce = parse_hex32("nonce", lines.field("nonce")?)?;
            let extra = lines.extras()?;
            Statement::document(DocumentFields {
                purpose,
                document,
                version,
                sha256,
                key,
                signer,
                issued_at,
                nonce,
                extra,
            })?
        } else {
            let login = lines.field("login")?.to_owned();
            let key = parse_hex32("key", lines.field("key")?)?;
            let issued_at = parse_time(lines.field("issued-at")?)?;
            let nonce = parse_hex32("nonce", lines.field("nonce")?)?;
            let extra = lines.extras()?;
            Statement::login(LoginFields {
                login,
                key,
                issued_at,
                nonce,
                extra,
            })?
        };
        // Catches every remaining variant: "+1", leading zeros, other time
        // spellings, lost sub-microsecond digits.
        if statement.encode() != text {
            return Err(StatementError::NotCanonical);
        }
        Ok(statement)
    }

    pub fn purpose(&self) -> Purpose {
        match self {
            Statement::Document(s) => s.0.purpose,
            Statement::Login(_) => Purpose::Login,
        }
    }

    /// Fingerprint of the key the statement says signs it.
    pub fn key(&self) -> &[u8; 32] {
        match self {
            Statement::Document(s) => &s.0.key,
            Statement::Login(s) => &s.0.key,
        }
    }

    /// Login of the signer (`signer:` or `login:`).
    pub fn login_name(&self) -> &str {
        match self {
            Statement::Document(s) => &s.0.signer,
            Statement::Login(s) => &s.0.login,
        }
    }

    pub fn issued_at(&self) -> DateTime<Utc> {
        match self {
            Statement::Document(s) => s.0.issued_at,
            Statement::Login(s) => s.0.issued_at,
        }
    }

    pub fn nonce(&self) -> &[u8; 32] {
        match self {
            Statement::Document(s) => &s.0.nonce,
            Statement::Login(s) => &s.0.nonce,
        }
    }

    pub fn extra(&self) -> &[(String, String)] {
        match self {
            Statement::Document(s) => &s.0.extra,
            Statement::Login(s) => &s.0.extra,
        }
    }

    /// The value of an extra line, if present.
    pub fn extra_value(&self, key: &str) -> Option<&str> {
        self.extra()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Signs the canonical text with pure Ed25519. Refuses a key other than
    /// the one the statement names, since such a signature never verifies.
    pub fn sign(&self, key: &PrivateKey) -> Result<Signature, StatementError> {
        self.check_key(&key.public_key())?;
        Ok(key.sign(self.encode().as_bytes()))
    }

    /// Checks that `public_key` is the key the statement names and that
    /// `signature` is its Ed25519 signature over the canonical text.
    pub fn verify(
        &self,
        public_key: &PublicKey,
        signature: &Signature,
    ) -> Result<(), StatementError> {
        self.check_key(public_key)?;
        public_key.verify(self.encode().as_bytes(), signature)?;
        Ok(())
    }

    fn check_key(&self, public_key: &PublicKey) -> Result<(), StatementError> {
        let used = public_key.fingerprint_bytes();
        if &used != self.key() {
            return Err(StatementError::KeyMismatch {
                named: hex::encode(self.key()),
                used: hex::encode(used),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn time(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn doc_fields() -> DocumentFields {
        DocumentFields {
            purpose: Purpose::ApproveWithRemarks,
            document: "0193f2a4-5c1e-7b2a-9d3e-0123456789ab".into(),
            version: 3,
            sha256: [0xab; 32],
            key: [0x01; 32],
            signer: "a.karimov".into(),
            issued_at: time("2026-11-25T10:00:00.123456789Z"),
            nonce: [0x5a; 32],
            extra: vec![("remarks-sha256".into(), "cd".repeat(32))],
        }
    }

    fn login_fields() -> LoginFields {
        LoginFields {
            login: "d.yusupova".into(),
            key: [0x02; 32],
            issued_at: time("2026-11-25T10:00:00Z"),
            nonce: [0x07; 32],
            extra: vec![],
        }
    }

    #[test]
    fn encoding_is_the_documented_text() {
        let s = Statement::document(doc_fields()).unwrap();
        assert_eq!(
            s.encode(),
            format!(
                "docflow-statement/1\npurpose: approve-with-remarks\ndocument: 0193f2a4-5c1e-7b2a-9d3e-0123456789ab\nversion: 3\nsha256: {}\nkey: {}\nsigner: a.karimov\nissued-at: 2026-11-25T10:00:00.123456Z\nnonce: {}\nremarks-sha256: {}\n",
                "ab".repeat(32),
                "01".repeat(32),
                "5a".repeat(32),
                "cd".repeat(32)
            )
        );
        let l = Statement::login(login_fields()).unwrap();
        assert_eq!(
            l.encode(),
            format!(
                "docflow-statement/1\npurpose: login\nlogin: d.yusupova\nkey: {}\nissued-at: 2026-11-25T10:00:00.000000Z\nnonce: {}\n",
                "02".repeat(32),
                "07".repeat(32)
            )
        );
        for s in [s, l] {
            assert_eq!(Statement::parse(&s.encode()).unwrap(), s);
        }
    }

    #[test]
    fn every_purpose_round_trips() {
        for p in Purpose::ALL {
            assert_eq!(p.as_str().parse::<Purpose>().unwrap(), p);
            if p.is_document() {
                let s = Statement::document(DocumentFields {
                    purpose: p,
                    ..doc_fields()
                })
                .unwrap();
                assert_eq!(Statement::parse(&s.encode()).unwrap().purpose(), p);
            }
        }
        assert!(Statement::document(DocumentFields {
            purpose: Purpose::Login,
            ..doc_fields()
        })
        .is_err());
    }

    #[test]
    fn login_and_document_statements_never_cross() {
        let login = Statement::login(login_fields()).unwrap().encode();
        let doc = Statement::document(doc_fields()).unwrap().encode();
        assert!(matches!(
            DocumentStatement::parse(&login),
            Err(StatementError::WrongKind { .. })
        ));
        assert!(matches!(
            LoginStatement::parse(&doc),
            Err(StatementError::WrongKind { .. })
        ));
        // Relabelling the purpose does not help: the fields do not fit.
        let relabelled = login.replace("purpose: login", "purpose: sign");
        assert!(matches!(
            Statement::parse(&relabelled),
            Err(StatementError::MissingField {
                expected: "document",
                ..
            })
        ));
        let relabelled = doc.replace("purpose: approve-with-remarks", "purpose: login");
        assert!(matches!(
            Statement::parse(&relabelled),
            Err(StatementError::MissingField {
                expected: "login",
                ..
            })
        ));
    }

    #[test]
    fn non_canonical_variants_are_refused() {
        let text = Statement::document(doc_fields()).unwrap().encode();
        let sha = "ab".repeat(32);
        let variants: Vec<(&str, String)> = vec![
            ("CRLF", text.replace('\n', "\r\n")),
            ("no final newline", text[..text.len() - 1].to_owned()),
            ("extra final newline", format!("{text}\n")),
            ("BOM", format!("\u{feff}{text}")),
            (
                "order",
                text.replace("version: 3\n", "")
                    .replace("sha256:", "version: 3\nsha256:"),
            ),
            (
                "unknown field",
                text.replace("version: 3\n", "version: 3\ncolour: red\n"),
            ),
            (
                "duplicate field",
                text.replace("version: 3\n", "version: 3\nversion: 3\n"),
            ),
            (
                "duplicate as extra",
                format!("{text}nonce: {}\n", "5a".repeat(32)),
            ),
            ("uppercase hex", text.replace(&sha, &sha.to_uppercase())),
            ("short hex", text.replace(&sha, &sha[..62])),
            ("bad hex", text.replace(&sha, &format!("zz{}", &sha[2..]))),
            ("leading zero", text.replace("version: 3", "version: 03")),
            ("plus sign", text.replace("version: 3", "version: +3")),
            ("version 0", text.replace("version: 3", "version: 0")),
            (
                "trailing space",
                text.replace("signer: a.karimov", "signer: a.karimov "),
            ),
            ("two spaces", text.replace("signer: a", "signer:  a")),
            ("no space", text.replace("signer: a", "signer:a")),
            ("upper-case login", text.replace("a.karimov", "A.Karimov")),
            (
                "upper-case uuid",
                text.replace("0193f2a4-5c1e", "0193F2A4-5C1E"),
            ),
            (
                "uuid without hyphens",
                text.replace(
                    "0193f2a4-5c1e-7b2a-9d3e-0123456789ab",
                    "0193f2a45c1e7b2a9d3e0123456789ab",
                ),
            ),
            (
                "time offset",
                text.replace("10:00:00.123456Z", "10:00:00.123456+00:00"),
            ),
            (
                "time millis",
                text.replace("10:00:00.123456Z", "10:00:00.123Z"),
            ),
            (
                "time nanos",
                text.replace("10:00:00.123456Z", "10:00:00.123456000Z"),
            ),
            ("lower-case t", text.replace("2026-11-25T", "2026-11-25t")),
            ("header", text.replace("statement/1", "statement/2")),
            (
                "unknown purpose",
                text.replace("approve-with-remarks", "veto"),
            ),
            ("empty extra", format!("{text}note: \n")),
            ("extra without value", format!("{text}note\n")),
            ("extra upper key", format!("{text}Note: x\n")),
            ("extra tab", format!("{text}note: a\tb\n")),
            ("extra bidi", format!("{text}note: a\u{202e}b\n")),
            ("blank line", format!("{text}\nnote: x\n")),
            ("CR in value", text.replace("a.karimov", "a.karimov\r")),
        ];
        for (name, variant) in variants {
            assert!(Statement::parse(&variant).is_err(), "{name} was accepted");
        }
        assert_eq!(
            Statement::parse_bytes(b"\xffdocflow-statement/1\n"),
            Err(StatementError::NotUtf8)
        );
        assert_eq!(
            Statement::parse(&"x".repeat(MAX_STATEMENT_LEN + 1)),
            Err(StatementError::TooLarge)
        );
    }

    #[test]
    fn extras_are_ordered_and_checked() {
        let mut f = doc_fields();
        f.extra = vec![
            ("zeta".into(), "Молия вазирлиги: buyruq №5".into()),
            ("alpha".into(), "x".into()),
        ];
        let s = Statement::document(f.clone()).unwrap();
        assert!(s
            .encode()
            .ends_with("zeta: Молия вазирлиги: buyruq №5\nalpha: x\n"));
        assert_eq!(Statement::parse(&s.encode()).unwrap(), s);
        assert_eq!(s.extra_value("alpha"), Some("x"));
        for bad_extra in [
            ("key", "x"),
            ("a", ""),
            ("a", " x"),
            ("a", "x\u{a0}"),
            ("a", "x\ny"),
            ("a", "x\u{2028}y"),
            ("-a", "x"),
            ("a_b", "x"),
            ("", "x"),
        ] {
            f.extra = vec![(bad_extra.0.into(), bad_extra.1.into())];
            assert!(Statement::document(f.clone()).is_err(), "{bad_extra:?}");
        }
        f.extra = vec![("a".into(), "1".into()), ("a".into(), "2".into())];
        assert!(Statement::document(f.clone()).is_err());
        f.extra = (0..=MAX_EXTRA_FIELDS)
            .map(|i| (format!("k{i}"), "v".into()))
            .collect();
        assert!(Statement::document(f).is_err());
    }

    #[test]
    fn sign_and_verify_bind_the_key() {
        let sk = PrivateKey::from_seed(&[9; 32]);
        let other = PrivateKey::from_seed(&[10; 32]);
        let mut f = doc_fields();
        f.key = sk.public_key().fingerprint_bytes();
        let s = Statement::document(f).unwrap();
        let sig = s.sign(&sk).unwrap();
        s.verify(&sk.public_key(), &sig).unwrap();
        assert!(matches!(
            s.verify(&other.public_key(), &other.sign(s.encode().as_bytes())),
            Err(StatementError::KeyMismatch { .. })
        ));
        assert!(matches!(
            s.sign(&other),
            Err(StatementError::KeyMismatch { .. })
        ));
        let Statement::Document(d) = &s else {
            unreachable!()
        };
        let mut changed = d.fields().clone();
        changed.version += 1;
        let changed = Statement::document(changed).unwrap();
        assert_eq!(
            changed.verify(&sk.public_key(), &sig),
            Err(StatementError::Signature(KeyError::BadSignature))
        );
    }

    #[test]
    fn vectors_match_docs() {
        let sk =
            PrivateKey::from_pkcs8_pem(include_str!("../../../docs/vectors/key-1.pem")).unwrap();
        let pk =
            PublicKey::from_spki_pem(include_str!("../../../docs/vectors/key-1.pub.pem")).unwrap();
        assert_eq!(sk.public_key(), pk);
        assert_eq!(
            pk.fingerprint(),
            include_str!("../../../docs/vectors/key-1.fingerprint").trim()
        );
        // Both key files are exactly what our encoders write.
        assert_eq!(
            sk.to_pkcs8_pem().as_str(),
            include_str!("../../../docs/vectors/key-1.pem")
        );
        assert_eq!(
            pk.to_spki_pem(),
            include_str!("../../../docs/vectors/key-1.pub.pem")
        );
        let vectors: [(&str, &[u8], &str, Purpose); 2] = [
            (
                include_str!("../../../docs/vectors/statement-1.txt"),
                include_bytes!("../../../docs/vectors/statement-1.sig"),
                include_str!("../../../docs/vectors/statement-1.sig.b64"),
                Purpose::Sign,
            ),
            (
                include_str!("../../../docs/vectors/statement-2.txt"),
                include_bytes!("../../../docs/vectors/statement-2.sig"),
                include_str!("../../../docs/vectors/statement-2.sig.b64"),
                Purpose::Login,
            ),
        ];
        for (text, sig_raw, sig_b64, purpose) in vectors {
            let s = Statement::parse(text).unwrap();
            assert_eq!(s.purpose(), purpose);
            assert_eq!(s.encode(), text);
            assert_eq!(s.key(), &pk.fingerprint_bytes());
            let sig = s.sign(&sk).unwrap();
            assert_eq!(&sig.to_bytes()[..], sig_raw);
            assert_eq!(sig.to_base64(), sig_b64.trim_end_matches('\n'));
            s.verify(&pk, &Signature::from_slice(sig_raw).unwrap())
                .unwrap();
        }
        let Statement::Document(d) = Statement::parse(vectors[0].0).unwrap() else {
            panic!("statement-1 is a document statement")
        };
        assert_eq!(
            hex::encode(d.fields().sha256),
            crate::ledger::sha256_hex(include_bytes!(
                "../../../docs/vectors/statement-1.content.txt"
            ))
        );
    }

    fn arb_login() -> impl Strategy<Value = String> {
        "[a-z0-9._-]{2,64}"
    }

    fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
        // 1970 to 9999, with nanoseconds that the constructor truncates.
        (0i64..253_402_300_799, 0u32..1_000_000_000)
            .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap())
    }

    fn arb_extra() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::btree_map(
            "x-[a-z0-9-]{0,20}",
            // Letters of Uzbek Latin and Cyrillic, Russian, digits, punctuation.
            "[A-Za-z0-9ЁёЎўҚқҒғҲҳА-яʻ'.,:;№()\\-]([A-Za-z0-9ЁёЎўҚқҒғҲҳА-яʻ'.,:;№() \\-]{0,40}[A-Za-z0-9А-я.])?",
            0..4,
        )
        .prop_map(|m| m.into_iter().collect())
    }

    fn arb_statement() -> impl Strategy<Value = Statement> {
        let doc = (
            proptest::sample::select(Purpose::ALL[..8].to_vec()),
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            1u64..,
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
            arb_login(),
            arb_time(),
            any::<[u8; 32]>(),
            arb_extra(),
        )
            .prop_map(
                |(purpose, document, version, sha256, key, signer, issued_at, nonce, extra)| {
                    Statement::document(DocumentFields {
                        purpose,
                        document,
                        version,
                        sha256,
                        key,
                        signer,
                        issued_at,
                        nonce,
                        extra,
                    })
                    .unwrap()
                },
            );
        let login = (
            arb_login(),
            any::<[u8; 32]>(),
            arb_time(),
            any::<[u8; 32]>(),
            arb_extra(),
        )
            .prop_map(|(login, key, issued_at, nonce, extra)| {
                Statement::login(LoginFields {
                    login,
                    key,
                    issued_at,
                    nonce,
                    extra,
                })
                .unwrap()
            });
        prop_oneof![doc, login]
    }

    proptest! {
        #[test]
        fn parse_inverts_encode(s in arb_statement()) {
            let text = s.encode();
            prop_assert_eq!(Statement::parse(&text)?, s);
        }

        /// Whatever mutated text is accepted re-encodes to itself.
        #[test]
        fn accepted_text_is_canonical(
            s in arb_statement(),
            at in any::<proptest::sample::Index>(),
            op in 0u8..3,
            c in proptest::char::any(),
        ) {
            let mut chars: Vec<char> = s.encode().chars().collect();
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
            let text: String = chars.into_iter().collect();
            if let Ok(parsed) = Statement::parse(&text) {
                prop_assert_eq!(parsed.encode(), text);
            }
        }
    }
}
