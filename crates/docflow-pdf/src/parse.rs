//! Reading the input: lopdf does the object parsing, this module adds the few facts
//! about the file's tail that an incremental update needs.

use crate::PdfError;
use lopdf::{Document, Object, ObjectId};

/// Kind of the last cross-reference section, which decides the kind we append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XrefKind {
    Table,
    Stream,
}

/// Facts about the end of a complete revision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tail {
    /// Offset of the last cross-reference section (the value after `startxref`).
    pub startxref: usize,
    pub kind: XrefKind,
    /// Whether the bytes end with an end-of-line after `%%EOF`.
    pub ends_with_eol: bool,
}

/// Loads a document, turning every failure (and any panic inside the third-party
/// parser, which must never reach our callers) into a [`PdfError`].
pub(crate) fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    if !bytes.starts_with(b"%PDF-") && find(bytes, b"%PDF-").is_none_or(|p| p > 1024) {
        return Err(PdfError::Malformed("no %PDF- header".into()));
    }
    let result = std::panic::catch_unwind(|| Document::load_mem(bytes));
    let doc = match result {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => return Err(map_lopdf(e)),
        Err(_) => return Err(PdfError::Malformed("parser failure".into())),
    };
    // lopdf decrypts files with an empty user password and drops /Encrypt; either way
    // we must not write an unencrypted update into an encrypted file.
    if doc.encryption_state.is_some() || doc.trailer.has(b"Encrypt") {
        return Err(PdfError::Encrypted);
    }
    Ok(doc)
}

pub(crate) fn map_lopdf(e: lopdf::Error) -> PdfError {
    use lopdf::Error as E;
    match e {
        E::Decryption(_)
        | E::InvalidPassword
        | E::AlreadyEncrypted
        | E::UnsupportedSecurityHandler(_) => PdfError::Encrypted,
        other => PdfError::Malformed(other.to_string()),
    }
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

/// Parses `startxref N %%EOF` at the end of `bytes` (trailing whitespace allowed).
pub(crate) fn tail(bytes: &[u8]) -> Result<Tail, PdfError> {
    let mut end = bytes.len();
    while end > 0 && is_ws(bytes[end - 1]) {
        end -= 1;
    }
    let ends_with_eol = end < bytes.len() && matches!(bytes.last(), Some(b'\n' | b'\r'));
    let body = &bytes[..end];
    if !body.ends_with(b"%%EOF") {
        return Err(PdfError::Malformed("does not end with %%EOF".into()));
    }
    let window_start = body.len().saturating_sub(1024);
    let window = &body[window_start..];
    let sx = rfind(window, b"startxref")
        .ok_or_else(|| PdfError::Malformed("no startxref before %%EOF".into()))?;
    let digits: Vec<u8> = window[sx + 9..]
        .iter()
        .copied()
        .skip_while(|b| is_ws(*b))
        .take_while(u8::is_ascii_digit)
        .collect();
    let startxref: usize = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| PdfError::Malformed("bad startxref offset".into()))?;
    if startxref >= bytes.len() {
        return Err(PdfError::Malformed("startxref points past the end".into()));
    }
    let mut p = startxref;
    while p < bytes.len() && is_ws(bytes[p]) {
        p += 1;
    }
    let kind = if bytes[p..].starts_with(b"xref") {
        XrefKind::Table
    } else if bytes[p..].first().is_some_and(u8::is_ascii_digit) {
        XrefKind::Stream
    } else {
        return Err(PdfError::Malformed(
            "startxref does not point at a cross-reference section".into(),
        ));
    };
    Ok(Tail {
        startxref,
        kind,
        ends_with_eol,
    })
}

/// Follows references (bounded, so reference cycles cannot loop forever).
pub(crate) fn resolve<'a>(doc: &'a Document, mut obj: &'a Object) -> &'a Object {
    for _ in 0..32 {
        match obj {
            Object::Reference(id) => match doc.objects.get(id) {
                Some(o) => obj = o,
                None => return &Object::Null,
            },
            _ => return obj,
        }
    }
    &Object::Null
}

/// The dictionary of an object or of a stream.
pub(crate) fn dict_of(obj: &Object) -> Option<&lopdf::Dictionary> {
    match obj {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

pub(crate) fn root_id(doc: &Document) -> Result<ObjectId, PdfError> {
    doc.trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| PdfError::Malformed("trailer has no /Root reference".into()))
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding,
/// approximated by Latin-1, which agrees on all printable ASCII).
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}
