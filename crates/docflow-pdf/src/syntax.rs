//! A strict reading of PDF object syntax (ISO 32000-1 §7.2, §7.3) for the
//! objects of later revisions. lopdf, poppler and other readers each recover
//! from malformed syntax their own way (one skips a stray token, another
//! drops the object; a bad hex string or an unclosed dictionary is patched
//! up or refused), so a forged object can read as one thing to the revision
//! check and as another to a viewer. Here an object is accepted only when
//! there is nothing to recover from. Duplicate dictionary keys are refused
//! for the same reason: which of the two a reader takes differs.

use crate::parse::is_ws;
use lopdf::ObjectId;
use std::collections::BTreeSet;

/// Why an object's syntax is refused, with the offset where it went wrong.
pub(crate) type Syntax<T> = Result<T, String>;

const DELIMITERS: &[u8] = b"()<>[]{}/%";
/// Deeper nesting than this is refused (and would risk the stack).
const MAX_DEPTH: u32 = 64;

fn is_regular(b: u8) -> bool {
    !is_ws(b) && !DELIMITERS.contains(&b)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dictionary,
    Other,
}

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

fn shown(t: &[u8]) -> String {
    let t = &t[..t.len().min(24)];
    String::from_utf8_lossy(t).into_owned()
}

fn is_uint(t: &[u8]) -> bool {
    !t.is_empty() && t.iter().all(u8::is_ascii_digit)
}

/// `[+-]?digits`, `[+-]?digits.digits?` or `[+-]?.digits`.
fn is_number(t: &[u8]) -> bool {
    let t = t
        .strip_prefix(b"+")
        .or_else(|| t.strip_prefix(b"-"))
        .unwrap_or(t);
    let (int, frac) = match t.iter().position(|&b| b == b'.') {
        Some(dot) => (&t[..dot], Some(&t[dot + 1..])),
        None => (t, None),
    };
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match frac {
        None => is_uint(int),
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
    }
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.p).copied()
    }

    fn at(&self, s: &[u8]) -> bool {
        self.b.get(self.p..).is_some_and(|r| r.starts_with(s))
    }

    fn fail<T>(&self, what: impl std::fmt::Display) -> Syntax<T> {
        Err(format!("{what} (at offset {})", self.p))
    }

    /// Skips whitespace and comments.
    fn skip(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'%' {
                while self.peek().is_some_and(|b| !matches!(b, b'\r' | b'\n')) {
                    self.p += 1;
                }
            } else if is_ws(b) {
                self.p += 1;
            } else {
                break;
            }
        }
    }

    /// The run of regular characters at the cursor (possibly empty).
    fn regular(&mut self) -> &'a [u8] {
        // A position past the end (a /Length too large) reads as the end.
        self.p = self.p.min(self.b.len());
        let start = self.p;
        while self.peek().is_some_and(is_regular) {
            self.p += 1;
        }
        &self.b[start..self.p]
    }

    /// What comes next, for messages.
    fn next_token(&self) -> String {
        let mut c = Cursor {
            b: self.b,
            p: self.p,
        };
        match c.peek() {
            None => "the end".into(),
            Some(b) if !is_regular(b) => format!("'{}'", b as char),
            Some(_) => format!("'{}'", shown(c.regular())),
        }
    }

    fn value(&mut self, depth: u32) -> Syntax<Kind> {
        self.skip();
        if depth > MAX_DEPTH {
            return self.fail("objects nested too deeply");
        }
        match self.peek() {
            None => self.fail("the object ends early"),
            Some(b'<') if self.at(b"<<") => {
                self.p += 2;
                self.dictionary_body(depth)?;
                Ok(Kind::Dictionary)
            }
            Some(b'<') => {
                self.p += 1;
                loop {
                    match self.peek() {
                        None => return self.fail("unterminated hex string"),
                        Some(b'>') => break,
                        Some(b) if b.is_ascii_hexdigit() || is_ws(b) => self.p += 1,
                        Some(b) => {
                            return self.fail(format!(
                                "bad character '{}' in a hex string",
                                b.escape_ascii()
                            ))
                        }
                    }
                }
                self.p += 1;
                Ok(Kind::Other)
            }
            Some(b'(') => {
                self.literal()?;
                Ok(Kind::Other)
            }
            Some(b'[') => {
                self.p += 1;
                loop {
                    self.skip();
                    match self.peek() {
                        None => return self.fail("array not closed"),
                        Some(b']') => break,
                        Some(_) => {
                            self.value(depth + 1)?;
                        }
                    }
                }
                self.p += 1;
                Ok(Kind::Other)
            }
            Some(b'/') => {
                self.name()?;
                Ok(Kind::Other)
            }
            Some(b) if !is_regular(b) => self.fail(format!("unexpected '{}'", b as char)),
            Some(_) => {
                let start = self.p;
                let t = self.regular();
                if matches!(t, b"true" | b"false" | b"null") {
                    return Ok(Kind::Other);
                }
                if is_uint(t) {
                    // `N G R`, or else just the integer.
                    let after = self.p;
                    self.skip();
                    let g = self.regular();
                    if is_uint(g) {
                        self.skip();
                        if self.regular() == b"R" {
                            return Ok(Kind::Other);
                        }
                    }
                    self.p = after;
                    return Ok(Kind::Other);
                }
                if is_number(t) {
                    return Ok(Kind::Other);
                }
                self.p = start;
                self.fail(format!("unexpected token '{}'", shown(t)))
            }
        }
    }

    /// After `<<`: keys (names, each once) and values up to `>>`.
    fn dictionary_body(&mut self, depth: u32) -> Syntax<()> {
        let mut keys = BTreeSet::new();
        loop {
            self.skip();
            match self.peek() {
                None => return self.fail("dictionary not closed"),
                Some(b'>') if self.at(b">>") => {
                    self.p += 2;
                    return Ok(());
                }
                Some(b'/') => {
                    let key = self.name()?;
                    self.skip();
                    if self.at(b">>") {
                        return self.fail(format!("key /{} has no value", shown(&key)));
                    }
                    if !keys.insert(key.clone()) {
                        return self.fail(format!("duplicate key /{}", shown(&key)));
                    }
                    self.value(depth + 1)?;
                }
                Some(_) => {
                    return self.fail(format!(
                        "a dictionary key is not a name: {}",
                        self.next_token()
                    ))
                }
            }
        }
    }

    /// A name at `/`, decoded (`#xx` escapes), so `/A#42` and `/AB` are one key.
    fn name(&mut self) -> Syntax<Vec<u8>> {
        self.p += 1;
        let raw = self.regular();
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'#' {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => out.push(b),
                    None => return self.fail("bad # escape in a name"),
                }
                i += 3;
            } else {
                out.push(raw[i]);
                i += 1;
            }
        }
        Ok(out)
    }

    /// A literal string at `(`: balanced parentheses, escapes skipped.
    fn literal(&mut self) -> Syntax<()> {
        let start = self.p;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.p += 1;
            match b {
                b'\\' => self.p += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        self.p = start;
        self.fail("unterminated string")
    }
}

/// Checks `N G obj <object> endobj`, or `N G obj <dictionary> stream` and
/// its end of line, at `offset`: the header must name `id`. Returns where a
/// stream's data starts.
pub(crate) fn indirect(bytes: &[u8], offset: usize, id: ObjectId) -> Syntax<Option<usize>> {
    let mut c = Cursor {
        b: bytes,
        p: offset,
    };
    c.skip();
    let header = c.p;
    let n = c.regular();
    c.skip();
    let g = c.regular();
    c.skip();
    let obj = c.regular();
    if !(is_uint(n) && is_uint(g) && obj == b"obj") {
        c.p = header;
        return c.fail(format!("no object starts there: {}", c.next_token()));
    }
    let found = (
        std::str::from_utf8(n)
            .ok()
            .and_then(|s| s.parse::<u32>().ok()),
        std::str::from_utf8(g)
            .ok()
            .and_then(|s| s.parse::<u16>().ok()),
    );
    if found != (Some(id.0), Some(id.1)) {
        c.p = header;
        return c.fail(format!("the object there is {} {}", shown(n), shown(g)));
    }
    let kind = c.value(0)?;
    c.skip();
    let before = c.p;
    match c.regular() {
        b"endobj" => Ok(None),
        b"stream" if kind == Kind::Dictionary => {
            if c.at(b"\r\n") {
                Ok(Some(c.p + 2))
            } else if c.at(b"\n") {
                Ok(Some(c.p + 1))
            } else {
                c.fail("'stream' is not followed by an end of line")
            }
        }
        _ => {
            c.p = before;
            c.fail(format!("{} where endobj should be", c.next_token()))
        }
    }
}

/// Checks that a stream's data, `length` bytes from `data_start`, is
/// followed by `endstream` and `endobj`, as its /Length says.
pub(crate) fn stream_end(bytes: &[u8], data_start: usize, length: usize) -> Syntax<()> {
    let mut c = Cursor {
        b: bytes,
        p: data_start.saturating_add(length),
    };
    if c.at(b"\r\n") {
        c.p += 2;
    } else if c.at(b"\n") || c.at(b"\r") {
        c.p += 1;
    }
    if c.regular() != b"endstream" {
        return c.fail("the stream's data does not end where its /Length says");
    }
    c.skip();
    if c.regular() != b"endobj" {
        return c.fail(format!("{} where endobj should be", c.next_token()));
    }
    Ok(())
}

/// Checks a classic trailer: a dictionary at `at` (just after `trailer`),
/// then `startxref`.
pub(crate) fn trailer(bytes: &[u8], at: usize) -> Syntax<()> {
    let mut c = Cursor { b: bytes, p: at };
    c.skip();
    if !c.at(b"<<") {
        return c.fail("the trailer is not a dictionary");
    }
    c.value(0)?;
    c.skip();
    if c.regular() != b"startxref" {
        return c.fail("stray data after the trailer dictionary");
    }
    Ok(())
}

/// Checks one object of an object stream's data, at `at` (relative to
/// the decoded data).
pub(crate) fn compressed(data: &[u8], at: usize) -> Syntax<()> {
    let mut c = Cursor { b: data, p: at };
    c.value(0).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(body: &str) -> Syntax<Option<usize>> {
        indirect(format!("3 0 obj\n{body}\nendobj\n").as_bytes(), 0, (3, 0))
    }

    #[test]
    fn well_formed_objects_pass() {
        for body in [
            "<</Type /Page/Contents 9 0 R/MediaBox [0 0 595.2756 841.8898]/Annots [18 0 R]>>",
            "<< /A (a (nested) \\) string) /B <0aF3 4> /C -.5 /D +3 /E true /F null /G [] >>",
            "[1 2 0 R /x#20y <<>>]",
            "42",
            "<< /A#42 1 /AC 2 >> % comment",
        ] {
            assert_eq!(obj(body), Ok(None), "{body}");
        }
    }

    #[test]
    fn what_readers_recover_from_is_refused() {
        for (body, want) in [
            ("<</Contents 13 0 R 7 /Type /Page>>", "not a name"),
            ("<</Z <4G> /Type /Page>>", "hex string"),
            ("<</Type /Page /Annots [1 0 R]", "not a name"),
            (
                "<</Contents 9 0 R /Contents 24 0 R>>",
                "duplicate key /Contents",
            ),
            ("<</AB 1 /A#42 2>>", "duplicate key /AB"),
            ("<</A 1>> 7", "where endobj should be"),
            ("<</A (open>>", "unterminated string"),
            ("<</A 1.2.3>>", "unexpected token"),
            ("<</A>>", "no value"),
            ("<</A {1}>>", "unexpected '{'"),
        ] {
            let got = obj(body);
            assert!(
                got.as_ref().is_err_and(|e| e.contains(want)),
                "{body}: {got:?}"
            );
        }
        assert!(indirect(b"4 0 obj 1 endobj", 0, (3, 0)).is_err());
        assert!(indirect(b"  xref", 0, (3, 0)).is_err());
    }

    #[test]
    fn streams_end_at_their_length() {
        let s = b"5 0 obj\n<</Length 3>>stream\nabc\nendstream\nendobj\n";
        let start = indirect(s, 0, (5, 0)).ok().flatten();
        assert_eq!(start, Some(28));
        assert!(stream_end(s, 28, 3).is_ok());
        assert!(stream_end(s, 28, 2).is_err());
    }
}
