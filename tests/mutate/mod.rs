//! A differential mutation engine that hunts for false accepts of
//! `docflow verify`: files it still calls VALID although a PDF reader shows
//! something else.
//!
//! Shared by the suite (`tests/it/false_accepts.rs`) and the bench
//! (`benches/mutations.rs`), which include this file with `#[path]`.
//!
//! - [`Subject`]: one stamped PDF made by the real server, the original
//!   version's bytes (their length is where the original ends), the
//!   detached evidence bundle and the log's public key.
//! - [`Prepared::new`] reads the subject once: the objects after the
//!   original, page 1, the sheet's content stream, the stamp's appearance
//!   stream, the embedded evidence, and a benign base (the stamped file with
//!   an appended hidden signature widget, which must stay VALID).
//! - [`mutation`] makes case `index` of the campaign with seed `seed`: a
//!   pure function of both, so any case can be made again. Cases go round
//!   the [`FAMILIES`] in turn; each family draws its parameters from a
//!   xorshift64* generator seeded from `(seed, index)`.
//! - [`Oracle`] renders the unmutated file once with `pdftoppm -r 40 -gray`
//!   and extracts its text with `pdftotext -enc UTF-8`.
//! - [`run`] verifies every case (in parallel, a 20 s timeout each) and
//!   judges it: exit 1 (INVALID) and 2 (unusable) are fine; VALID (exit 0)
//!   is a false accept unless the file renders every page byte for byte as
//!   the unmutated one and gives the same text (a stamped PDF), or the
//!   edited bundle is semantically the same JSON (a detached bundle); any
//!   other exit (a panic) or a timeout is a failure. Each false accept or
//!   failure is described and its input saved for reproduction.
//!
//! The byte-level PDF editing here is deliberately independent of
//! docflow-pdf: updates are written by hand, the way an attacker would.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The stream every "forged content" mutation draws.
pub const FORGED: &[u8] = b"BT /F1 28 Tf 50 760 Td (FORGED TEXT: PAY 1,000,000 USD) Tj ET";

/// How long one `docflow verify` (or poppler run) may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// The subject and the campaign

/// What the mutations start from.
#[derive(Clone)]
pub struct Subject {
    /// `GET …/versions/1/stamped.pdf`.
    pub stamped: Vec<u8>,
    /// `GET …/versions/1/content`: the stamped file starts with these bytes.
    pub original: Vec<u8>,
    /// `GET …/versions/1/evidence`.
    pub evidence: Vec<u8>,
    /// `GET /api/v1/ledger/key`.
    pub log_key: String,
    /// The `docflow` binary.
    pub docflow: PathBuf,
    /// `--trust-anchors` for every verification.
    pub trust_anchors: PathBuf,
}

impl Subject {
    pub fn original_len(&self) -> usize {
        self.original.len()
    }
}

/// How many cases to run: `DOCFLOW_MUTATIONS`, else `default`.
pub fn cases_from_env(default: usize) -> usize {
    std::env::var("DOCFLOW_MUTATIONS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The seed: `DOCFLOW_MUTATION_SEED` (decimal or 0x-hex), else `default`.
pub fn seed_from_env(default: u64) -> u64 {
    std::env::var("DOCFLOW_MUTATION_SEED")
        .ok()
        .and_then(|v| {
            let v = v.trim();
            match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => v.parse().ok(),
            }
        })
        .unwrap_or(default)
}

/// A seed from the clock, for runs that should explore.
pub fn clock_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    splitmix(t)
}

// ---------------------------------------------------------------------------
// Randomness

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xorshift64*.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(splitmix(seed).max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..hi` (`lo < hi`).
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo))
    }

    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// PDF bytes, read and written by hand

pub fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

pub fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

pub fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

/// The token that starts at or after `at`: its range (empty at the end).
pub fn next_token(b: &[u8], mut at: usize) -> (usize, usize) {
    while at < b.len() && is_ws(b[at]) {
        at += 1;
    }
    if at >= b.len() {
        return (at, at);
    }
    let start = at;
    match b[at] {
        b'%' => {
            while at < b.len() && b[at] != b'\n' && b[at] != b'\r' {
                at += 1;
            }
        }
        b'(' => {
            let mut depth = 0usize;
            while at < b.len() {
                match b[at] {
                    b'\\' => at += 1,
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            at += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
        }
        b'<' if b.get(at + 1) == Some(&b'<') => at += 2,
        b'>' if b.get(at + 1) == Some(&b'>') => at += 2,
        b'<' => {
            while at < b.len() && b[at] != b'>' {
                at += 1;
            }
            at = (at + 1).min(b.len());
        }
        b'[' | b']' | b'{' | b'}' | b'>' | b')' => at += 1,
        b'/' => {
            at += 1;
            while at < b.len() && !is_ws(b[at]) && !is_delim(b[at]) {
                at += 1;
            }
        }
        _ => {
            while at < b.len() && !is_ws(b[at]) && !is_delim(b[at]) {
                at += 1;
            }
        }
    }
    (start, at.min(b.len()))
}

/// Every token in `b[from..to]`.
pub fn tokens(b: &[u8], from: usize, to: usize) -> Vec<(usize, usize)> {
    let slice = &b[..to.min(b.len())];
    let mut out = Vec::new();
    let mut at = from;
    loop {
        let (s, e) = next_token(slice, at);
        if s >= e {
            break;
        }
        out.push((s, e));
        at = e;
    }
    out
}

fn int_at(b: &[u8], (s, e): (usize, usize)) -> Option<u64> {
    std::str::from_utf8(&b[s..e]).ok()?.parse().ok()
}

/// One `N G obj … endobj` in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obj {
    pub num: u32,
    pub gen: u16,
    /// Where `N` starts.
    pub start: usize,
    /// Just past `endobj`.
    pub end: usize,
    /// Where the dictionary part ends: the `stream` keyword, or `endobj`.
    pub head_end: usize,
    /// The stream's data, if it is one.
    pub data: Option<(usize, usize)>,
}

/// The objects defined in `pdf[from..]`, in file order: headers at the
/// start of a line, each ended by its `endobj` (a stream's data, when its
/// /Length is direct and right, is skipped).
pub fn objects(pdf: &[u8], from: usize) -> Vec<Obj> {
    let mut out = Vec::new();
    let mut at = from;
    while let Some(q) = find(pdf, b" obj", at) {
        // Back to the start of "N G".
        let line = pdf[..q]
            .iter()
            .rposition(|&c| c == b'\n' || c == b'\r')
            .map_or(0, |p| p + 1)
            .max(from);
        let head = &pdf[line..q + 4];
        let toks = tokens(head, 0, head.len());
        let ok = toks.len() == 3
            && int_at(head, toks[0]).is_some()
            && int_at(head, toks[1]).is_some()
            && pdf.get(q + 4).is_none_or(|&c| is_ws(c) || is_delim(c));
        if !ok {
            at = q + 4;
            continue;
        }
        let num = int_at(head, toks[0]).unwrap_or(0) as u32;
        let gen = int_at(head, toks[1]).unwrap_or(0) as u16;
        let Some(endobj) = find(pdf, b"endobj", q + 4) else {
            break;
        };
        let mut head_end = endobj;
        let mut data = None;
        let mut end = endobj + 6;
        if let Some(s) = find(&pdf[..endobj], b"stream", q + 4) {
            let mut d = s + 6;
            if pdf.get(d) == Some(&b'\r') {
                d += 1;
            }
            if pdf.get(d) == Some(&b'\n') {
                d += 1;
            }
            head_end = s;
            let ends_there = |e: usize| {
                let mut e = e;
                while e < pdf.len() && is_ws(pdf[e]) {
                    e += 1;
                }
                pdf[e..].starts_with(b"endstream")
            };
            let data_end = match direct_length(pdf, q + 4, s) {
                Some(l) if d + l <= pdf.len() && ends_there(d + l) => d + l,
                _ => find(pdf, b"endstream", d).unwrap_or(d),
            };
            data = Some((d, data_end));
            if let Some(e) = find(pdf, b"endobj", data_end) {
                end = e + 6;
            }
        }
        out.push(Obj {
            num,
            gen,
            start: line + (toks[0].0),
            end,
            head_end,
            data,
        });
        at = end;
    }
    out
}

/// A direct integer `/Length` in `pdf[from..to]`.
fn direct_length(pdf: &[u8], from: usize, to: usize) -> Option<usize> {
    let toks = tokens(pdf, from, to);
    let i = toks.iter().position(|&(s, e)| &pdf[s..e] == b"/Length")?;
    let v = *toks.get(i + 1)?;
    if toks.get(i + 3).is_some_and(|&(s, e)| &pdf[s..e] == b"R") {
        return None;
    }
    int_at(pdf, v).map(|n| n as usize)
}

/// The last definition of object `num` in the file.
pub fn latest(pdf: &[u8], num: u32) -> Option<Obj> {
    objects(pdf, 0).into_iter().rfind(|o| o.num == num)
}

/// The dictionary text (`<< … >>`) of an object, without header or stream.
pub fn dict_text(pdf: &[u8], o: &Obj) -> Vec<u8> {
    let toks = tokens(pdf, o.start, o.head_end);
    let (Some(first), Some(last)) = (toks.get(3), toks.last()) else {
        return Vec::new();
    };
    pdf[first.0..last.1].to_vec()
}

/// The revisions after `from`: each ends just past a `%%EOF` (and its end
/// of line) that follows a `startxref`.
pub fn revision_ends(pdf: &[u8], from: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = from;
    while let Some(p) = find(pdf, b"%%EOF", at) {
        let mut end = p + 5;
        if pdf.get(end) == Some(&b'\r') {
            end += 1;
        }
        if pdf.get(end) == Some(&b'\n') {
            end += 1;
        }
        if rfind(&pdf[p.saturating_sub(48)..p], b"startxref").is_some() {
            ends.push(end);
        }
        at = p + 5;
    }
    ends
}

/// The value of the last `startxref` in the file.
pub fn last_startxref(pdf: &[u8]) -> Option<usize> {
    let p = rfind(pdf, b"startxref")?;
    let t = next_token(pdf, p + 9);
    int_at(pdf, t).map(|v| v as usize)
}

/// Position of the last classic `xref` keyword in `pdf[from..to]`.
fn xref_keyword(pdf: &[u8], from: usize, to: usize) -> Option<usize> {
    let seg = &pdf[from..to];
    let mut best = None;
    for (i, w) in seg.windows(5).enumerate() {
        if w == b"xref\n" || w == b"xref\r" || w == b"xref " {
            let before = if i == 0 { b'\n' } else { seg[i - 1] };
            if before == b'\n' || before == b'\r' {
                best = Some(from + i);
            }
        }
    }
    best
}

/// A subsection's rows: (offset, generation, in use).
type Rows = Vec<(u64, u16, bool)>;

/// A classic cross-reference table: its subsections' rows, where the
/// trailer keyword is, and whether it read to the end.
struct Table {
    /// (first number, rows (offset, generation, in use)).
    sections: Vec<(u32, Rows)>,
    trailer: usize,
}

fn read_table(pdf: &[u8], xref: usize, to: usize) -> Option<Table> {
    let mut at = xref + 4;
    let mut sections = Vec::new();
    loop {
        let t = next_token(&pdf[..to], at);
        if t.0 >= t.1 {
            return None;
        }
        if &pdf[t.0..t.1] == b"trailer" {
            return Some(Table {
                sections,
                trailer: t.0,
            });
        }
        let first = int_at(pdf, t)? as u32;
        let c = next_token(&pdf[..to], t.1);
        let count = int_at(pdf, c)? as usize;
        at = c.1;
        let mut rows = Vec::with_capacity(count);
        for _ in 0..count {
            let o = next_token(&pdf[..to], at);
            let g = next_token(&pdf[..to], o.1);
            let k = next_token(&pdf[..to], g.1);
            let off = int_at(pdf, o)?;
            let gen = int_at(pdf, g)? as u16;
            let used = match &pdf[k.0..k.1] {
                b"n" => true,
                b"f" => false,
                _ => return None,
            };
            rows.push((off, gen, used));
            at = k.1;
        }
        sections.push((first, rows));
    }
}

/// The top-level entries of a dictionary's text: (key token, value range).
pub fn entries(dict: &[u8]) -> Vec<((usize, usize), (usize, usize))> {
    let toks = tokens(dict, 0, dict.len());
    let mut out = Vec::new();
    let mut i = 1;
    while i < toks.len() {
        let (s, e) = toks[i];
        if &dict[s..e] == b">>" {
            break;
        }
        if dict[s] != b'/' || i + 1 >= toks.len() {
            i += 1;
            continue;
        }
        let vend = value_end(dict, &toks, i + 1);
        out.push(((s, e), (toks[i + 1].0, vend)));
        i = toks.iter().position(|t| t.0 >= vend).unwrap_or(toks.len());
    }
    out
}

fn entry(dict: &[u8], key: &str) -> Option<((usize, usize), (usize, usize))> {
    let key_tok = format!("/{key}");
    entries(dict)
        .into_iter()
        .find(|&((s, e), _)| &dict[s..e] == key_tok.as_bytes())
}

/// Replaces the value after `/Key` in a dictionary's text (top level),
/// or adds `/Key value` before its closing `>>`.
pub fn set_key(dict: &[u8], key: &str, value: &[u8]) -> Vec<u8> {
    if let Some((k, v)) = entry(dict, key) {
        let mut out = dict[..k.1].to_vec();
        out.push(b' ');
        out.extend_from_slice(value);
        out.extend_from_slice(&dict[v.1..]);
        return out;
    }
    let close = rfind(dict, b">>").unwrap_or(dict.len());
    let mut out = dict[..close].to_vec();
    out.extend_from_slice(format!(" /{key} ").as_bytes());
    out.extend_from_slice(value);
    out.push(b' ');
    out.extend_from_slice(&dict[close..]);
    out
}

/// The value text after `/Key` at the top level of a dictionary.
pub fn get_key(dict: &[u8], key: &str) -> Option<Vec<u8>> {
    entry(dict, key).map(|(_, v)| dict[v.0..v.1].to_vec())
}

/// A dictionary's text without `/Key` and its value.
pub fn remove_key(dict: &[u8], key: &str) -> Vec<u8> {
    match entry(dict, key) {
        Some((k, v)) => splice(dict, k.0, v.1, b""),
        None => dict.to_vec(),
    }
}

/// The end of the value that starts at token `i` (a reference `N G R`, or
/// a balanced array or dictionary, or one token).
fn value_end(b: &[u8], toks: &[(usize, usize)], i: usize) -> usize {
    let Some(&(s, e)) = toks.get(i) else {
        return b.len();
    };
    let t = &b[s..e];
    if t == b"<<" || t == b"[" {
        let mut depth = 0i32;
        for &(s2, e2) in &toks[i..] {
            match &b[s2..e2] {
                b"<<" | b"[" => depth += 1,
                b">>" | b"]" => {
                    depth -= 1;
                    if depth == 0 {
                        return e2;
                    }
                }
                _ => {}
            }
        }
        return b.len();
    }
    if toks.get(i + 2).is_some_and(|&(s2, e2)| &b[s2..e2] == b"R") && int_at(b, (s, e)).is_some() {
        return toks[i + 2].1;
    }
    e
}

/// `N G R` → N.
pub fn reference(v: &[u8]) -> Option<u32> {
    let toks = tokens(v, 0, v.len());
    (toks.len() == 3 && &v[toks[2].0..toks[2].1] == b"R")
        .then(|| int_at(v, toks[0]))
        .flatten()
        .map(|n| n as u32)
}

/// The references in a value's text (`[12 0 R 18 0 R]` → 12, 18).
pub fn references(v: &[u8]) -> Vec<u32> {
    let toks = tokens(v, 0, v.len());
    toks.windows(3)
        .filter(|w| &v[w[2].0..w[2].1] == b"R")
        .filter_map(|w| int_at(v, w[0]).map(|n| n as u32))
        .collect()
}

/// The last trailer dictionary's text (or the dictionary of the
/// cross-reference stream the last `startxref` names).
pub fn last_trailer(pdf: &[u8]) -> Vec<u8> {
    if let Some(x) = last_startxref(pdf) {
        if !pdf.get(x..).is_some_and(|r| r.starts_with(b"xref")) {
            if let Some(o) = objects(pdf, x).into_iter().next().filter(|o| o.start == x) {
                let d = dict_text(pdf, &o);
                let mut d = remove_key(&d, "Type");
                for k in ["W", "Index", "Length", "Filter", "DecodeParms"] {
                    d = remove_key(&d, k);
                }
                return d;
            }
        }
    }
    let Some(t) = rfind(pdf, b"trailer") else {
        return b"<< >>".to_vec();
    };
    let toks = tokens(pdf, t + 7, pdf.len());
    let end = value_end(pdf, &toks, 0);
    toks.first()
        .map_or(b"<< >>".to_vec(), |&(s, _)| pdf[s..end].to_vec())
}

/// A stream object's body: `dict` with /Length set (and any /Filter and
/// /DecodeParms removed), then the data.
pub fn stream_body(dict: &[u8], data: &[u8]) -> Vec<u8> {
    let mut d = remove_key(dict, "Filter");
    d = remove_key(&d, "DecodeParms");
    d = set_key(&d, "Length", data.len().to_string().as_bytes());
    let mut out = d;
    out.extend_from_slice(b"\nstream\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// Objects of an update: `(number, body)`.
pub type Objects = Vec<(u32, Vec<u8>)>;

/// Appends one incremental update, written by hand: each `(number, body)`
/// as `N 0 obj body endobj`, a classic cross-reference table listing them,
/// and a trailer copied from the last one with /Size and /Prev updated.
pub fn append_update(pdf: &[u8], objs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    append_update_with(pdf, objs, Writer::default())
}

/// How [`append_update_with`] writes the update's cross-reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Writer {
    /// A cross-reference stream (uncompressed, `/W [1 4 2]`) instead of a
    /// classic table and trailer.
    pub xref_stream: bool,
    /// Another catalogue for the trailer's /Root.
    pub root: Option<u32>,
}

/// [`append_update`], with the cross-reference written as `w` says.
pub fn append_update_with(pdf: &[u8], objs: &[(u32, Vec<u8>)], w: Writer) -> Vec<u8> {
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets = BTreeMap::new();
    for (num, body) in objs {
        offsets.insert(*num, out.len());
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let prev = last_startxref(pdf).unwrap_or(0);
    let trailer = last_trailer(pdf);
    let mut size = get_key(&trailer, "Size")
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<u32>().ok())
        .unwrap_or(0)
        .max(next_number(pdf))
        .max(offsets.keys().max().map_or(0, |m| m + 1));
    let mut t = remove_key(&trailer, "XRefStm");
    if let Some(r) = w.root {
        t = set_key(&t, "Root", format!("{r} 0 R").as_bytes());
    }
    t = set_key(&t, "Prev", prev.to_string().as_bytes());
    let xref = out.len();
    if w.xref_stream {
        let own = size;
        size += 1;
        offsets.insert(own, xref);
        let mut index = Vec::new();
        let mut rows = Vec::new();
        for (num, off) in &offsets {
            index.push(format!("{num} 1"));
            rows.push(1u8);
            rows.extend_from_slice(&(*off as u32).to_be_bytes());
            rows.extend_from_slice(&0u16.to_be_bytes());
        }
        t = set_key(&t, "Size", size.to_string().as_bytes());
        t = set_key(&t, "Type", b"/XRef");
        t = set_key(&t, "W", b"[1 4 2]");
        t = set_key(&t, "Index", format!("[{}]", index.join(" ")).as_bytes());
        out.extend_from_slice(format!("{own} 0 obj\n").as_bytes());
        out.extend_from_slice(&stream_body(&t, &rows));
        out.extend_from_slice(b"\nendobj\n");
    } else {
        out.extend_from_slice(b"xref\n");
        for (num, off) in &offsets {
            out.extend_from_slice(format!("{num} 1\n{off:010} 00000 n \n").as_bytes());
        }
        t = set_key(&t, "Size", size.to_string().as_bytes());
        out.extend_from_slice(b"trailer\n");
        out.extend_from_slice(&t);
    }
    out.extend_from_slice(format!("\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

/// The next free object number.
pub fn next_number(pdf: &[u8]) -> u32 {
    let size = get_key(&last_trailer(pdf), "Size")
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<u32>().ok())
        .unwrap_or(0);
    let max = objects(pdf, 0).iter().map(|o| o.num + 1).max().unwrap_or(0);
    size.max(max)
}

/// Rewrites every classic cross-reference table after `from` to match
/// the file as it is now: each in-use row points at its object's header
/// in its revision (the one nearest the row's stated offset), each
/// trailer's /Prev at the revision before (the first keeps its own), each
/// `startxref` at its table. Revisions whose table does not read are
/// copied as they are.
pub fn rewrite_xrefs(pdf: &[u8], from: usize) -> Vec<u8> {
    let ends = revision_ends(pdf, from);
    let mut out = pdf[..from].to_vec();
    let mut start = from;
    let mut prev_xref: Option<usize> = None;
    for end in ends {
        let seg_start_new = out.len();
        let fixed = (|| {
            let xref = xref_keyword(pdf, start, end)?;
            let table = read_table(pdf, xref, end)?;
            let trailer_toks = tokens(pdf, table.trailer + 7, end);
            let trailer_end = value_end(pdf, &trailer_toks, 0);
            let mut trailer = pdf[trailer_toks.first()?.0..trailer_end].to_vec();
            let headers: Vec<Obj> = objects(&pdf[..xref], start);
            let mut text = b"xref\n".to_vec();
            for (first, rows) in &table.sections {
                text.extend_from_slice(format!("{first} {}\n", rows.len()).as_bytes());
                for (i, &(off, gen, used)) in rows.iter().enumerate() {
                    let num = first + i as u32;
                    let new_off = if used {
                        headers
                            .iter()
                            .filter(|o| o.num == num && o.gen == gen)
                            .min_by_key(|o| (o.start as i64 - off as i64).unsigned_abs())
                            .map_or(off, |o| (seg_start_new + (o.start - start)) as u64)
                    } else {
                        off
                    };
                    let kind = if used { 'n' } else { 'f' };
                    text.extend_from_slice(format!("{new_off:010} {gen:05} {kind} \n").as_bytes());
                }
            }
            if let Some(p) = prev_xref {
                trailer = set_key(&trailer, "Prev", p.to_string().as_bytes());
            }
            let xref_new = seg_start_new + (xref - start);
            let mut seg = pdf[start..xref].to_vec();
            seg.extend_from_slice(&text);
            seg.extend_from_slice(b"trailer\n");
            seg.extend_from_slice(&trailer);
            seg.extend_from_slice(format!("\nstartxref\n{xref_new}\n%%EOF\n").as_bytes());
            Some((seg, xref_new))
        })();
        match fixed {
            Some((seg, xref_new)) => {
                out.extend_from_slice(&seg);
                prev_xref = Some(xref_new);
            }
            None => {
                out.extend_from_slice(&pdf[start..end]);
                prev_xref = xref_keyword(pdf, start, end).map(|x| seg_start_new + (x - start));
            }
        }
        start = end;
    }
    out.extend_from_slice(&pdf[start..]);
    out
}

/// Appends a cross-reference update that lists every object defined after
/// `from` at its header as the file stands (the last definition of each
/// number), with /Prev at the last table: "fixes" offsets that an edit
/// moved without touching the tables before.
pub fn append_fixed_xref(pdf: &[u8], from: usize) -> Vec<u8> {
    let mut last: BTreeMap<u32, (u16, usize)> = BTreeMap::new();
    for o in objects(pdf, from) {
        last.insert(o.num, (o.gen, o.start));
    }
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let prev = last_xref_position(pdf, from);
    let trailer = last_trailer(pdf);
    let size = get_key(&trailer, "Size")
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<u32>().ok())
        .unwrap_or(0)
        .max(last.keys().max().map_or(0, |m| m + 1));
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, (gen, off)) in &last {
        out.extend_from_slice(format!("{num} 1\n{off:010} {gen:05} n \n").as_bytes());
    }
    let mut t = set_key(&trailer, "Size", size.to_string().as_bytes());
    t = set_key(&t, "Prev", prev.to_string().as_bytes());
    out.extend_from_slice(b"trailer\n");
    out.extend_from_slice(&t);
    out.extend_from_slice(format!("\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

/// Where the last cross-reference section after `from` is as the file
/// stands: a classic table's `xref`, or a cross-reference stream's header.
fn last_xref_position(pdf: &[u8], from: usize) -> usize {
    let table = xref_keyword(pdf, from, pdf.len()).unwrap_or(0);
    let stream = objects(pdf, from)
        .into_iter()
        .filter(|o| {
            let d = dict_text(pdf, o);
            get_key(&d, "Type").is_some_and(|t| t == b"/XRef")
        })
        .map(|o| o.start)
        .next_back()
        .unwrap_or(0);
    table.max(stream)
}

/// After an in-place edit: leave the cross-references as they are, rewrite
/// them, or append an update that lists the moved objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    None,
    Rewrite,
    Append,
}

impl Fix {
    pub fn apply(self, pdf: Vec<u8>, from: usize) -> Vec<u8> {
        match self {
            Fix::None => pdf,
            Fix::Rewrite => rewrite_xrefs(&pdf, from),
            Fix::Append => append_fixed_xref(&pdf, from),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Fix::None => "xref as it was",
            Fix::Rewrite => "xref rewritten",
            Fix::Append => "fixed-up xref appended",
        }
    }
}

pub fn splice(pdf: &[u8], from: usize, to: usize, with: &[u8]) -> Vec<u8> {
    let mut out = pdf[..from].to_vec();
    out.extend_from_slice(with);
    out.extend_from_slice(&pdf[to..]);
    out
}

/// An object's stream replaced by `data` (no filter, /Length fixed); the
/// file's cross-references as `fix` says.
pub fn replace_stream(pdf: &[u8], o: &Obj, data: &[u8], fix: Fix, from: usize) -> Vec<u8> {
    let dict = dict_text(pdf, o);
    let body = stream_body(&dict, data);
    let mut new = format!("{} {} obj\n", o.num, o.gen).into_bytes();
    new.extend_from_slice(&body);
    new.extend_from_slice(b"\nendobj");
    fix.apply(splice(pdf, o.start, o.end, &new), from)
}

// ---------------------------------------------------------------------------
// Syntax mutations of one object

/// What to do to one object's syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// A token replaced by another.
    ReplaceToken,
    /// A stray `7` inserted.
    StrayToken,
    /// A hex string broken (`<4G>`), or `/Z <4G>` added.
    BreakHex,
    /// One `>>` dropped.
    DropClose,
}

const TOKEN_POOL: &[&str] = &[
    "0",
    "1",
    "7",
    "-1",
    "2147483648",
    "0.5",
    "/Z",
    "/Contents",
    "/Annots",
    "/Type",
    "/Page",
    "/Font",
    "null",
    "true",
    "R",
    "[",
    "]",
    "<<",
    ">>",
    "()",
    "<>",
    "<4G>",
    "obj",
    "endobj",
    "stream",
    "%",
];

/// The object's bytes after one syntax mutation, and what was done.
pub fn mutate_syntax(pdf: &[u8], o: &Obj, what: Syntax, rng: &mut Rng) -> (Vec<u8>, String) {
    let toks = tokens(pdf, o.start, o.head_end);
    let text = |t: (usize, usize)| String::from_utf8_lossy(&pdf[t.0..t.1]).into_owned();
    let short = |s: String| s.chars().take(40).collect::<String>();
    match what {
        Syntax::ReplaceToken if !toks.is_empty() => {
            let i = rng.below(toks.len());
            let t = toks[i];
            let old = text(t);
            let new = match int_at(pdf, t) {
                Some(n) if rng.coin() => {
                    if rng.coin() {
                        (n + 1).to_string()
                    } else {
                        n.saturating_sub(1).to_string()
                    }
                }
                _ => rng.pick(TOKEN_POOL).to_string(),
            };
            (
                splice(pdf, t.0, t.1, new.as_bytes()),
                format!("token {i} {:?} replaced by {new:?}", short(old)),
            )
        }
        Syntax::StrayToken if !toks.is_empty() => {
            let i = rng.range(3.min(toks.len() - 1), toks.len());
            let at = toks[i].1;
            (
                splice(pdf, at, at, b" 7"),
                format!("stray token 7 after token {i} {:?}", short(text(toks[i]))),
            )
        }
        Syntax::BreakHex => {
            let hex: Vec<(usize, usize)> = toks
                .iter()
                .copied()
                .filter(|&(s, e)| pdf[s] == b'<' && pdf.get(s + 1) != Some(&b'<') && e > s + 1)
                .collect();
            if !hex.is_empty() && rng.coin() {
                let t = *rng.pick(&hex);
                if rng.coin() {
                    (
                        splice(pdf, t.0, t.1, b"<4G>"),
                        format!("hex string {:?} replaced by <4G>", short(text(t))),
                    )
                } else {
                    let at = rng.range(t.0 + 1, t.1);
                    (
                        splice(pdf, at, at, b"G"),
                        format!("G inserted in hex string {:?}", short(text(t))),
                    )
                }
            } else {
                let close = toks
                    .iter()
                    .rev()
                    .find(|&&(s, e)| &pdf[s..e] == b">>")
                    .map_or(o.head_end, |t| t.0);
                (
                    splice(pdf, close, close, b" /Z <4G> "),
                    "/Z <4G> added to the dictionary".into(),
                )
            }
        }
        Syntax::DropClose => {
            let closes: Vec<(usize, usize)> = toks
                .iter()
                .copied()
                .filter(|&(s, e)| &pdf[s..e] == b">>")
                .collect();
            if closes.is_empty() {
                return (
                    splice(pdf, o.start, o.start, b" "),
                    "no >> to drop (a space added)".into(),
                );
            }
            let k = rng.below(closes.len());
            let t = closes[k];
            (
                splice(pdf, t.0, t.1, b""),
                format!("dropped >> number {} of {}", k + 1, closes.len()),
            )
        }
        _ => (
            splice(pdf, o.start, o.start, b" "),
            "empty object (a space added)".into(),
        ),
    }
}

// ---------------------------------------------------------------------------
// What the subject is made of

/// The subject, read once.
pub struct Prepared {
    pub subject: Subject,
    /// The stamped file with one appended update that adds a hidden,
    /// zero-area signature widget to page 1: what a later signer may do.
    pub benign: Vec<u8>,
    pub page1: u32,
    pub pages: u32,
    pub catalog: u32,
    pub sheet_contents: Option<u32>,
    pub stamp_appearance: Option<u32>,
    pub embedded_file: Option<u32>,
    pub filespec: Option<u32>,
    pub evidence: Value,
}

impl Prepared {
    pub fn new(subject: Subject) -> Prepared {
        let pdf = &subject.stamped;
        let trailer = last_trailer(pdf);
        let catalog = get_key(&trailer, "Root")
            .and_then(|v| reference(&v))
            .unwrap_or_else(|| panic!("the trailer names the catalogue"));
        let cat = latest_dict(pdf, catalog);
        let pages = get_key(&cat, "Pages")
            .and_then(|v| reference(&v))
            .unwrap_or_else(|| panic!("the catalogue names the page tree"));
        let kids = get_key(&latest_dict(pdf, pages), "Kids")
            .map(|k| references(&k))
            .unwrap_or_default();
        let page1 = *kids.first().unwrap_or_else(|| panic!("a first page"));
        let last_page = *kids.last().unwrap_or_else(|| panic!("a last page"));
        let sheet_contents = get_key(&latest_dict(pdf, last_page), "Contents")
            .and_then(|v| references(&v).into_iter().last());
        let stamp_appearance = get_key(&latest_dict(pdf, page1), "Annots")
            .map(|a| references(&a))
            .unwrap_or_default()
            .into_iter()
            .find(|&a| {
                let d = latest_dict(pdf, a);
                find(&d, b"docflow-stamp-", 0).is_some()
            })
            .and_then(|a| get_key(&latest_dict(pdf, a), "AP"))
            .and_then(|ap| get_key(&ap, "N"))
            .and_then(|n| reference(&n));
        let embedded = get_key(&cat, "Names")
            .and_then(|n| get_key(&n, "EmbeddedFiles"))
            .and_then(|e| reference(&e))
            .map(|tree| latest_dict(pdf, tree))
            .and_then(|tree| get_key(&tree, "Names"))
            .and_then(|names| references(&names).into_iter().next());
        let embedded_file = embedded
            .map(|fs| latest_dict(pdf, fs))
            .and_then(|fs| get_key(&fs, "EF"))
            .and_then(|ef| get_key(&ef, "F"))
            .and_then(|f| reference(&f));
        let evidence = serde_json::from_slice(&subject.evidence)
            .unwrap_or_else(|e| panic!("the bundle is JSON: {e}"));
        let benign = benign_update(pdf, page1);
        Prepared {
            benign,
            page1,
            pages,
            catalog,
            sheet_contents,
            stamp_appearance,
            embedded_file,
            filespec: embedded,
            evidence,
            subject,
        }
    }

    pub fn original_len(&self) -> usize {
        self.subject.original.len()
    }
}

/// The dictionary of the last definition of object `num`.
pub fn latest_dict(pdf: &[u8], num: u32) -> Vec<u8> {
    latest(pdf, num)
        .map(|o| dict_text(pdf, &o))
        .unwrap_or_default()
}

/// A hidden, zero-area signature widget on page 1 whose appearance draws
/// the forged text (which no reader may show).
pub fn benign_update(pdf: &[u8], page1: u32) -> Vec<u8> {
    let n = next_number(pdf);
    let (widget, ap) = (n, n + 1);
    let page = add_annotation(&latest_dict(pdf, page1), widget);
    let w = format!(
        "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [0 0 0 0] /F 2 /P {page1} 0 R /AP << /N {ap} 0 R >> >>"
    );
    append_update(
        pdf,
        &[
            (page1, page),
            (widget, w.into_bytes()),
            (ap, form_xobject(FORGED_IN_BOX)),
        ],
    )
}

/// The forged text placed inside a 500 × 100 form.
pub const FORGED_IN_BOX: &[u8] = b"BT /F1 28 Tf 10 40 Td (FORGED TEXT: PAY 1,000,000 USD) Tj ET";

/// A form XObject (500 × 100) that draws `content` with Helvetica as /F1.
pub fn form_xobject(content: &[u8]) -> Vec<u8> {
    stream_body(
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 500 100] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        content,
    )
}

/// A page dictionary with `annot` added to its /Annots (direct arrays only).
pub fn add_annotation(page: &[u8], annot: u32) -> Vec<u8> {
    let refs = get_key(page, "Annots").unwrap_or_else(|| b"[]".to_vec());
    let inner = refs
        .strip_prefix(b"[")
        .and_then(|r| r.strip_suffix(b"]"))
        .map(<[u8]>::to_vec)
        .unwrap_or_else(|| refs.clone());
    let mut v = b"[".to_vec();
    v.extend_from_slice(&inner);
    v.extend_from_slice(format!(" {annot} 0 R]").as_bytes());
    set_key(page, "Annots", &v)
}

/// Helvetica as /F1 in a page's resources (copied inline).
fn with_helvetica(page: &[u8], pdf: &[u8]) -> Vec<u8> {
    let mut res = get_key(page, "Resources").unwrap_or_else(|| b"<< >>".to_vec());
    if let Some(r) = reference(&res) {
        res = latest_dict(pdf, r);
    }
    let mut fonts = get_key(&res, "Font").unwrap_or_else(|| b"<< >>".to_vec());
    if let Some(r) = reference(&fonts) {
        fonts = latest_dict(pdf, r);
    }
    fonts = set_key(
        &fonts,
        "F1",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    );
    res = set_key(&res, "Font", &fonts);
    set_key(page, "Resources", &res)
}

/// An update that redefines page 1 with a forged content stream: in place
/// of its /Contents, or after them (`keep`), with Helvetica as /F1.
pub fn page_contents_update(pdf: &[u8], page1: u32, keep: bool) -> Vec<u8> {
    append_update(pdf, &page_contents_objects(pdf, page1, keep))
}

pub fn page_contents_objects(pdf: &[u8], page1: u32, keep: bool) -> Vec<(u32, Vec<u8>)> {
    let n = next_number(pdf);
    let page = latest_dict(pdf, page1);
    let contents = match (keep, get_key(&page, "Contents")) {
        (true, Some(old)) => {
            let inner = old
                .strip_prefix(b"[")
                .and_then(|r| r.strip_suffix(b"]"))
                .map(<[u8]>::to_vec)
                .unwrap_or(old);
            let mut v = b"[".to_vec();
            v.extend_from_slice(&inner);
            v.extend_from_slice(format!(" {n} 0 R]").as_bytes());
            v
        }
        _ => format!("{n} 0 R").into_bytes(),
    };
    let page = with_helvetica(&set_key(&page, "Contents", &contents), pdf);
    vec![(page1, page), (n, stream_body(b"<< >>", FORGED))]
}

/// An update that adds a visible FreeText annotation to page 1.
pub fn freetext_update(pdf: &[u8], page1: u32) -> Vec<u8> {
    append_update(pdf, &freetext_objects(pdf, page1))
}

pub fn freetext_objects(pdf: &[u8], page1: u32) -> Vec<(u32, Vec<u8>)> {
    let n = next_number(pdf);
    let (annot, ap) = (n, n + 1);
    let a = format!(
        "<< /Type /Annot /Subtype /FreeText /Rect [50 700 550 800] /Contents (FORGED TEXT: PAY 1,000,000 USD) /DA (/Helv 28 Tf 1 0 0 rg) /F 4 /P {page1} 0 R /AP << /N {ap} 0 R >> >>"
    );
    let page = add_annotation(&latest_dict(pdf, page1), annot);
    vec![
        (page1, page),
        (annot, a.into_bytes()),
        (ap, form_xobject(FORGED_IN_BOX)),
    ]
}

/// An update that adds a page with the forged text at the end.
pub fn new_page_update(pdf: &[u8], pages: u32) -> Vec<u8> {
    append_update(pdf, &new_page_objects(pdf, pages))
}

pub fn new_page_objects(pdf: &[u8], pages: u32) -> Vec<(u32, Vec<u8>)> {
    let n = next_number(pdf);
    let (page, contents) = (n, n + 1);
    let tree = latest_dict(pdf, pages);
    let mut kids = get_key(&tree, "Kids").unwrap_or_else(|| b"[]".to_vec());
    if kids.ends_with(b"]") {
        kids.pop();
        kids.extend_from_slice(format!(" {page} 0 R]").as_bytes());
    }
    let count = get_key(&tree, "Count")
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let tree = set_key(
        &set_key(&tree, "Kids", &kids),
        "Count",
        (count + 1).to_string().as_bytes(),
    );
    let p = format!(
        "<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents {contents} 0 R >>"
    );
    vec![
        (pages, tree),
        (page, p.into_bytes()),
        (contents, stream_body(b"<< >>", FORGED)),
    ]
}

fn array_items(v: &[u8]) -> Vec<Vec<u8>> {
    let inner = v
        .strip_prefix(b"[")
        .and_then(|r| r.strip_suffix(b"]"))
        .unwrap_or(b"");
    let toks = tokens(inner, 0, inner.len());
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let end = value_end(inner, &toks, i);
        out.push(inner[toks[i].0..end].to_vec());
        i = toks.iter().position(|t| t.0 >= end).unwrap_or(toks.len());
    }
    out
}

fn array_of(items: &[Vec<u8>]) -> Vec<u8> {
    let mut v = b"[".to_vec();
    v.extend_from_slice(&items.join(&b' '));
    v.push(b']');
    v
}

/// An update that edits page 1's /Annots: the stamp dropped, repeated or
/// moved, the array made indirect, or an annotation added whose subtype,
/// /Rect, /F and appearance are drawn at random (some invisible, some not,
/// some ambiguous: a reversed or indirect /Rect, a real or indirect /F).
pub fn annots_objects(pdf: &[u8], page1: u32, rng: &mut Rng) -> (Vec<(u32, Vec<u8>)>, String) {
    let n = next_number(pdf);
    let page = latest_dict(pdf, page1);
    let mut items = get_key(&page, "Annots")
        .map(|a| match reference(&a) {
            Some(r) => latest_dict_or_value(pdf, r),
            None => a,
        })
        .map(|a| array_items(&a))
        .unwrap_or_default();
    let mut objs = Vec::new();
    let what = match rng.below(6) {
        0 if !items.is_empty() => {
            let i = rng.below(items.len());
            items.remove(i);
            format!("annotation {i} dropped from page 1")
        }
        1 if !items.is_empty() => {
            let i = rng.below(items.len());
            let x = items[i].clone();
            items.push(x);
            format!("annotation {i} listed twice on page 1")
        }
        2 if items.len() > 1 => {
            items.reverse();
            "page 1's annotations reversed".to_string()
        }
        3 => {
            objs.push((n + 3, array_of(&items)));
            let page = set_key(&page, "Annots", format!("{} 0 R", n + 3).as_bytes());
            return (
                vec![(page1, page)].into_iter().chain(objs).collect(),
                "page 1's /Annots made an indirect array".into(),
            );
        }
        _ => {
            let (annot, ap, extra) = (n, n + 1, n + 2);
            let subtype = *rng.pick(&[
                "/Widget /FT /Sig /T (Signature2)",
                "/Widget /FT /Sig /T (Signature2)",
                "/Widget",
                "/Link",
                "/Stamp",
                "/Square /C [1 0 0]",
            ]);
            let rect = *rng.pick(&[
                "[0 0 0 0]",
                "[0 0 0 0]",
                "[50 700 550 800]",
                "[550 800 50 700]",
                "[550 700 50 800]",
                "[300 400 300 700]",
                "[0 0 1 1]",
                "INDIRECT",
            ]);
            let flags = *rng.pick(&["2", "2", "4", "0", "2.0", "INDIRECT", "34", "32", "1", "6"]);
            let rect_v = if rect == "INDIRECT" {
                let r = *rng.pick(&["[0 0 0 0]", "[50 700 550 800]"]);
                objs.push((extra, r.as_bytes().to_vec()));
                format!("{extra} 0 R")
            } else {
                rect.to_string()
            };
            let flags_v = if flags == "INDIRECT" {
                let f = *rng.pick(&["2", "4"]);
                objs.push((extra + 1, f.as_bytes().to_vec()));
                format!("{} 0 R", extra + 1)
            } else {
                flags.to_string()
            };
            let with_ap = rng.below(4) != 0;
            let ap_v = if with_ap {
                objs.push((ap, form_xobject(FORGED_IN_BOX)));
                format!(" /AP << /N {ap} 0 R >>")
            } else {
                String::new()
            };
            objs.push((
                annot,
                format!(
                    "<< /Type /Annot /Subtype {subtype} /Rect {rect_v} /F {flags_v} /P {page1} 0 R{ap_v} >>"
                )
                .into_bytes(),
            ));
            items.push(format!("{annot} 0 R").into_bytes());
            let inline = |v: &str, what: &str| {
                if v.ends_with(" 0 R") {
                    format!("{what} {v} (indirect)")
                } else {
                    format!("{what} {v}")
                }
            };
            format!(
                "annotation {subtype} added to page 1, {}, {}, {}",
                inline(&rect_v, "/Rect"),
                inline(&flags_v, "/F"),
                if with_ap {
                    "appearance draws the forged text"
                } else {
                    "no appearance"
                }
            )
        }
    };
    let page = set_key(&page, "Annots", &array_of(&items));
    let mut all = vec![(page1, page)];
    all.extend(objs);
    (all, what)
}

/// An update that redefines page 1 with one attribute changed or added
/// that changes how it looks (or, for /Tabs and /StructParents, does not).
pub fn page_attrs_objects(pdf: &[u8], page1: u32, rng: &mut Rng) -> (Vec<(u32, Vec<u8>)>, String) {
    let page = latest_dict(pdf, page1);
    let (key, value): (&str, &[u8]) = *rng.pick(&[
        ("Rotate", b"90".as_slice()),
        ("Rotate", b"180".as_slice()),
        ("CropBox", b"[0 400 595 842]".as_slice()),
        ("MediaBox", b"[0 0 300 300]".as_slice()),
        ("UserUnit", b"2".as_slice()),
        ("Resources", b"<< >>".as_slice()),
        ("Contents", b"[]".as_slice()),
        ("Tabs", b"/S".as_slice()),
        ("StructParents", b"0".as_slice()),
    ]);
    (
        vec![(page1, set_key(&page, key, value))],
        format!("page 1 given /{key} {}", String::from_utf8_lossy(value)),
    )
}

/// The value of object `num`: its dictionary, or its whole body.
fn latest_dict_or_value(pdf: &[u8], num: u32) -> Vec<u8> {
    match latest(pdf, num) {
        Some(o) => {
            let toks = tokens(pdf, o.start, o.head_end);
            match (toks.get(3), toks.last()) {
                (Some(a), Some(b)) => pdf[a.0..b.1].to_vec(),
                _ => Vec::new(),
            }
        }
        None => Vec::new(),
    }
}

/// An update that redefines the root of the page tree: its /Count
/// changed (the one change the table allows a page-tree node), or its
/// /Kids reordered, repeated or cut.
pub fn page_tree_objects(pdf: &[u8], pages: u32, rng: &mut Rng) -> (Vec<(u32, Vec<u8>)>, String) {
    let tree = latest_dict(pdf, pages);
    let count = get_key(&tree, "Count")
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let mut kids = get_key(&tree, "Kids")
        .map(|k| array_items(&k))
        .unwrap_or_default();
    let mut objs = Vec::new();
    let branch = rng.below(6);
    let (tree, what) = if branch == 5 {
        // Inherited by every page that does not set it itself.
        let (key, value): (&str, &[u8]) = *rng.pick(&[
            ("Rotate", b"90".as_slice()),
            ("CropBox", b"[0 0 300 300]".as_slice()),
            ("MediaBox", b"[0 0 300 300]".as_slice()),
            ("Resources", b"<< >>".as_slice()),
        ]);
        (
            set_key(&tree, key, value),
            format!(
                "page-tree root given /{key} {}",
                String::from_utf8_lossy(value)
            ),
        )
    } else if branch < 3 {
        let n = next_number(pdf);
        let c = match rng.below(8) {
            0 => (count - 1).to_string(),
            1 => (count + 1).to_string(),
            2 => "0".to_string(),
            3 => "1".to_string(),
            4 => "-1".to_string(),
            5 => format!("{count}.0"),
            6 => {
                objs.push((n, (count - 1).to_string().into_bytes()));
                format!("{n} 0 R")
            }
            _ => "2147483648".to_string(),
        };
        (
            set_key(&tree, "Count", c.as_bytes()),
            format!("page-tree root's /Count {count} set to {c}"),
        )
    } else {
        let what = match rng.below(3) {
            0 => {
                kids.reverse();
                "page-tree root's /Kids reversed"
            }
            1 if !kids.is_empty() => {
                let x = kids[0].clone();
                kids.push(x);
                "page-tree root's first kid listed twice"
            }
            _ => {
                kids.pop();
                "page-tree root's last kid dropped"
            }
        };
        (set_key(&tree, "Kids", &array_of(&kids)), what.to_string())
    };
    let mut all = vec![(pages, tree)];
    all.extend(objs);
    (all, what)
}

/// An update around the catalogue: a new catalogue named by the trailer's
/// /Root (with the old /Names and /AF, so the evidence is still found) or
/// the catalogue redefined, whose page tree holds a forged page; or the
/// catalogue given an action, a script, a layout.
pub fn catalog_objects(p: &Prepared, pdf: &[u8], rng: &mut Rng) -> (Objects, Option<u32>, String) {
    let n = next_number(pdf);
    let cat = latest_dict(pdf, p.catalog);
    let forged_tree = |tree: u32, page: u32, contents: u32| {
        vec![
            (
                tree,
                format!("<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>").into_bytes(),
            ),
            (
                page,
                format!(
                    "<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents {contents} 0 R >>"
                )
                .into_bytes(),
            ),
            (contents, stream_body(b"<< >>", FORGED)),
        ]
    };
    match rng.below(5) {
        0 => {
            let new_cat = set_key(&cat, "Pages", format!("{} 0 R", n + 1).as_bytes());
            let mut objs = vec![(n, new_cat)];
            objs.extend(forged_tree(n + 1, n + 2, n + 3));
            (
                objs,
                Some(n),
                "trailer /Root set to a new catalogue whose pages are forged".into(),
            )
        }
        1 => {
            let new_cat = set_key(&cat, "Pages", format!("{n} 0 R").as_bytes());
            let mut objs = vec![(p.catalog, new_cat)];
            objs.extend(forged_tree(n, n + 1, n + 2));
            (
                objs,
                None,
                "catalogue redefined with a forged page tree".into(),
            )
        }
        2 => (
            vec![
                (
                    p.catalog,
                    set_key(&cat, "OpenAction", format!("{n} 0 R").as_bytes()),
                ),
                (n, b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>".to_vec()),
            ],
            None,
            "catalogue given an /OpenAction script".into(),
        ),
        3 => {
            let names = get_key(&cat, "Names").unwrap_or_else(|| b"<< >>".to_vec());
            let names = set_key(&names, "JavaScript", format!("{n} 0 R").as_bytes());
            (
                vec![
                    (p.catalog, set_key(&cat, "Names", &names)),
                    (n, format!("<< /Names [(a) {} 0 R] >>", n + 1).into_bytes()),
                    (
                        n + 1,
                        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>".to_vec(),
                    ),
                ],
                None,
                "a document-level script in the catalogue's /Names".into(),
            )
        }
        _ => {
            let key = *rng.pick(&["PageLayout", "PageMode", "Lang"]);
            let value: &[u8] = match key {
                "PageLayout" => b"/TwoColumnLeft",
                "PageMode" => b"/FullScreen",
                _ => b"(en)",
            };
            (
                vec![(p.catalog, set_key(&cat, key, value))],
                None,
                format!("catalogue given /{key}"),
            )
        }
    }
}

/// How an edited bundle goes back into the stamped file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embed {
    /// An appended update redefines the embedded file's stream.
    Redefine,
    /// An appended update adds a new embedded file, file specification and
    /// name tree and points the catalogue's /Names and /AF at them (the
    /// catalogue changes a later revision may make).
    NewFile,
    /// In place: the stamping revision's stream replaced, xref rewritten.
    InPlace,
}

pub fn reembed(p: &Prepared, pdf: &[u8], json: &[u8], how: Embed) -> Vec<u8> {
    let ef_dict = |len: usize| {
        format!("<< /Type /EmbeddedFile /Subtype /application#2Fjson /Params << /Size {len} >> >>")
            .into_bytes()
    };
    match how {
        Embed::Redefine => {
            let num = p
                .embedded_file
                .unwrap_or_else(|| panic!("an embedded evidence file"));
            append_update(pdf, &[(num, stream_body(&ef_dict(json.len()), json))])
        }
        Embed::InPlace => {
            let num = p
                .embedded_file
                .unwrap_or_else(|| panic!("an embedded evidence file"));
            let o = objects(pdf, p.original_len())
                .into_iter()
                .find(|o| o.num == num)
                .unwrap_or_else(|| panic!("the embedded file in the stamping revision"));
            let mut new = format!("{} {} obj\n", o.num, o.gen).into_bytes();
            new.extend_from_slice(&stream_body(&ef_dict(json.len()), json));
            new.extend_from_slice(b"\nendobj");
            rewrite_xrefs(&splice(pdf, o.start, o.end, &new), p.original_len())
        }
        Embed::NewFile => {
            let n = next_number(pdf);
            let (ef, fs, tree) = (n, n + 1, n + 2);
            let spec = format!(
                "<< /Type /Filespec /F (docflow-evidence.json) /UF (docflow-evidence.json) /AFRelationship /Data /EF << /F {ef} 0 R /UF {ef} 0 R >> >>"
            );
            let names = format!(
                "<< /Names [<{}> {fs} 0 R] >>",
                hex::encode_upper(b"docflow-evidence.json")
            );
            let cat = latest_dict(pdf, p.catalog);
            let cat = set_key(
                &set_key(
                    &cat,
                    "Names",
                    format!("<< /EmbeddedFiles {tree} 0 R >>").as_bytes(),
                ),
                "AF",
                format!("[{fs} 0 R]").as_bytes(),
            );
            append_update(
                pdf,
                &[
                    (p.catalog, cat),
                    (ef, stream_body(&ef_dict(json.len()), json)),
                    (fs, spec.into_bytes()),
                    (tree, names.into_bytes()),
                ],
            )
        }
    }
}

// ---------------------------------------------------------------------------
// JSON edits

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::from("$");
    for p in path {
        match p {
            Seg::Key(k) => s.push_str(&format!(".{k}")),
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn paths(v: &Value, at: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(at.clone());
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Seg::Index(i));
                paths(x, at, out);
                at.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                at.push(Seg::Key(k.clone()));
                paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    let mut cur = v;
    for p in path {
        cur = match p {
            Seg::Key(k) => &mut cur[k.as_str()],
            Seg::Index(i) => &mut cur[*i],
        };
    }
    cur
}

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One edit of the value at a random JSON path: a string gets one
/// character changed, a number +1, an array an element dropped, duplicated
/// or moved, an object a key dropped or added.
pub fn mutate_json(v: &Value, rng: &mut Rng) -> (Value, String) {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    let mut out = v.clone();
    let target = at_mut(&mut out, &path);
    let where_ = path_text(&path);
    let what = match target {
        Value::String(s) => {
            let chars: Vec<char> = s.chars().collect();
            if chars.is_empty() {
                *s = "x".into();
                "empty string set to \"x\"".to_string()
            } else {
                let i = rng.below(chars.len());
                let old = chars[i];
                let new = if old.is_ascii_digit() {
                    char::from(b'0' + ((old as u8 - b'0' + 1 + rng.below(9) as u8) % 10))
                } else if old.is_ascii_alphanumeric() || old == '+' || old == '/' {
                    loop {
                        let c = char::from(*rng.pick(BASE64));
                        if c != old {
                            break c;
                        }
                    }
                } else if old == '\n' {
                    ' '
                } else {
                    'x'
                };
                let mut c = chars;
                c[i] = new;
                *s = c.into_iter().collect();
                format!("character {i} {old:?} changed to {new:?}")
            }
        }
        Value::Number(n) => {
            let new = match n.as_u64() {
                Some(u) => Value::from(u + 1),
                None => Value::from(n.as_f64().unwrap_or(0.0) + 1.0),
            };
            let d = format!("{n} + 1");
            *target = new;
            d
        }
        Value::Bool(b) => {
            *b = !*b;
            "boolean negated".into()
        }
        Value::Null => {
            *target = Value::from("x");
            "null set to \"x\"".into()
        }
        Value::Array(a) if a.is_empty() => {
            a.push(Value::from("x"));
            "empty array given an element \"x\"".into()
        }
        Value::Array(a) => match rng.below(3) {
            0 => {
                let i = rng.below(a.len());
                a.remove(i);
                format!("element {i} dropped")
            }
            1 => {
                let i = rng.below(a.len());
                let j = rng.below(a.len() + 1);
                let x = a[i].clone();
                a.insert(j, x);
                format!("element {i} duplicated at {j}")
            }
            _ => {
                let i = rng.below(a.len());
                let x = a.remove(i);
                let j = rng.below(a.len() + 1);
                a.insert(j, x);
                format!("element {i} moved to {j}")
            }
        },
        Value::Object(o) => {
            if !o.is_empty() && rng.coin() {
                let keys: Vec<String> = o.keys().cloned().collect();
                let k = rng.pick(&keys).clone();
                o.remove(&k);
                format!("key {k:?} dropped")
            } else {
                // In `texts`, a well-formed key; elsewhere an unknown field.
                let k = if where_ == "$.texts" {
                    hex::encode([0x5a; 32])
                } else {
                    "note".to_string()
                };
                o.insert(k.clone(), Value::from("Smeta tayyor"));
                format!("key {k:?} added")
            }
        }
    };
    (out, format!("{where_}: {what}"))
}

/// The bundle's meaning as JSON: absent `certificates`, `texts` and
/// `chain` are their defaults (`[]`, `{}`, `null`), as the format defines;
/// a PEM's whitespace means nothing (RFC 7468 parsers ignore it); the
/// order of `context` means nothing (the verifier orders those entries by
/// the sequence numbers their receipts prove), nor do the order and
/// repetition of `certificates` (looked up by key).
pub fn canonical(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(o) = &mut v {
        if o.get("certificates") == Some(&Value::Array(Vec::new())) {
            o.remove("certificates");
        }
        if o.get("texts") == Some(&Value::Object(Default::default())) {
            o.remove("texts");
        }
        if let Some(Value::Array(certs)) = o.get_mut("certificates") {
            for c in certs.iter_mut() {
                if let Value::Object(c) = c {
                    if c.get("chain") == Some(&Value::Null) {
                        c.remove("chain");
                    }
                    for pem in ["certificate", "chain"] {
                        if let Some(Value::String(s)) = c.get_mut(pem) {
                            s.retain(|ch| !ch.is_whitespace());
                        }
                    }
                }
            }
            certs.sort_by_key(|c| c.to_string());
            certs.dedup();
        }
        if let Some(Value::Array(context)) = o.get_mut("context") {
            context.sort_by_key(|c| c.to_string());
        }
    }
    v
}

// ---------------------------------------------------------------------------
// Cases

/// What a case verifies.
#[derive(Debug, Clone)]
pub enum Input {
    /// `docflow verify FILE.pdf --log-key … --trust-anchors …`.
    Stamped(Vec<u8>),
    /// `docflow verify original.pdf --evidence FILE.json …`; `same` when
    /// the edited bundle means the same as the reference.
    Detached { json: Vec<u8>, same: bool },
}

#[derive(Debug, Clone)]
pub struct Mutation {
    pub index: usize,
    pub family: &'static str,
    pub description: String,
    pub input: Input,
}

/// The families, taken in turn.
pub const FAMILIES: &[&str] = &[
    "bit-flip",
    "truncate",
    "duplicate-range",
    "delete-range",
    "object-token",
    "object-stray-token",
    "object-hex",
    "object-drop-close",
    "object-forged-stream",
    "update-page-contents",
    "update-freetext",
    "update-new-page",
    "update-annots",
    "update-page-attrs",
    "update-page-tree",
    "update-catalog",
    "evidence-detached",
    "evidence-embedded",
];

fn per_case_rng(seed: u64, index: usize) -> Rng {
    Rng::new(seed ^ splitmix(index as u64 ^ 0xD0CF_10A7))
}

/// Case `index` of the campaign `seed`.
pub fn mutation(p: &Prepared, seed: u64, index: usize) -> Mutation {
    let mut rng = per_case_rng(seed, index);
    let family = FAMILIES[index % FAMILIES.len()];
    let orig = p.original_len();
    let stamped = &p.subject.stamped;
    let (input, description) = match family {
        "bit-flip" => {
            let at = if rng.coin() {
                rng.below(orig)
            } else {
                rng.range(orig, stamped.len())
            };
            let bit = rng.below(8);
            let mut out = stamped.clone();
            out[at] ^= 1 << bit;
            let part = if at < orig { "original" } else { "after it" };
            (
                Input::Stamped(out),
                format!("bit {bit} of byte {at} flipped ({part})"),
            )
        }
        "truncate" => {
            let len = if rng.coin() {
                stamped.len() - 1 - rng.below(200.min(stamped.len() - 1))
            } else {
                rng.below(stamped.len())
            };
            (
                Input::Stamped(stamped[..len].to_vec()),
                format!("truncated to {len} of {} bytes", stamped.len()),
            )
        }
        "duplicate-range" => {
            let base = pick_base(p, &mut rng);
            let len = rng.range(1, 4096.min(base.len()));
            let from = rng.below(base.len() - len);
            let at = if rng.coin() {
                base.len()
            } else {
                rng.below(base.len() + 1)
            };
            let out = splice(base, at, at, &base[from..from + len]);
            (
                Input::Stamped(out),
                format!(
                    "{} bytes {from}..{} inserted again at {at}{}",
                    len,
                    from + len,
                    base_name(p, base)
                ),
            )
        }
        "delete-range" => {
            let base = pick_base(p, &mut rng);
            let len = rng.range(1, 4096.min(base.len() - orig));
            let from = if rng.coin() {
                rng.range(orig, base.len() - len)
            } else {
                rng.below(base.len() - len)
            };
            (
                Input::Stamped(splice(base, from, from + len, b"")),
                format!("bytes {from}..{} deleted{}", from + len, base_name(p, base)),
            )
        }
        "object-token" | "object-stray-token" | "object-hex" | "object-drop-close" => {
            let what = match family {
                "object-token" => Syntax::ReplaceToken,
                "object-stray-token" => Syntax::StrayToken,
                "object-hex" => Syntax::BreakHex,
                _ => Syntax::DropClose,
            };
            let (base, o) = pick_object(p, &mut rng, |_| true);
            let fix = *rng.pick(&[Fix::None, Fix::Rewrite, Fix::Rewrite, Fix::Append]);
            let (out, what) = mutate_syntax(base, &o, what, &mut rng);
            (
                Input::Stamped(fix.apply(out, orig)),
                format!(
                    "object {} {} at {}: {what}; {}{}",
                    o.num,
                    o.gen,
                    o.start,
                    fix.name(),
                    base_name(p, base)
                ),
            )
        }
        "object-forged-stream" => {
            let (base, o) = pick_object(p, &mut rng, |o| o.data.is_some());
            let fix = *rng.pick(&[Fix::None, Fix::Rewrite, Fix::Rewrite, Fix::Append]);
            let forged = if rng.coin() { FORGED } else { FORGED_IN_BOX };
            (
                Input::Stamped(replace_stream(base, &o, forged, fix, orig)),
                format!(
                    "object {} {}: stream replaced by the forged text; {}{}",
                    o.num,
                    o.gen,
                    fix.name(),
                    base_name(p, base)
                ),
            )
        }
        "update-page-contents"
        | "update-freetext"
        | "update-new-page"
        | "update-annots"
        | "update-page-attrs"
        | "update-page-tree"
        | "update-catalog" => {
            let base = pick_base(p, &mut rng);
            let mut w = Writer {
                xref_stream: rng.below(3) == 0,
                root: None,
            };
            let (objs, mut d) = match family {
                "update-page-contents" => {
                    let keep = rng.coin();
                    let d = if keep {
                        format!(
                            "page {} redefined: forged stream after its /Contents",
                            p.page1
                        )
                    } else {
                        format!("page {} redefined: forged stream as its /Contents", p.page1)
                    };
                    (page_contents_objects(base, p.page1, keep), d)
                }
                "update-freetext" => (
                    freetext_objects(base, p.page1),
                    format!("FreeText annotation added to page {}", p.page1),
                ),
                "update-new-page" => (
                    new_page_objects(base, p.pages),
                    "forged page added".to_string(),
                ),
                "update-annots" => annots_objects(base, p.page1, &mut rng),
                "update-page-attrs" => page_attrs_objects(base, p.page1, &mut rng),
                "update-page-tree" => page_tree_objects(base, p.pages, &mut rng),
                _ => {
                    let (objs, root, d) = catalog_objects(p, base, &mut rng);
                    w.root = root;
                    (objs, d)
                }
            };
            if w.xref_stream {
                d.push_str(", cross-reference stream");
            }
            d.push_str(base_name(p, base));
            let out = append_update_with(base, &objs, w);
            // A third of them: one syntax mutation in the appended objects.
            let out = if rng.below(3) == 0 {
                let objs: Vec<Obj> = objects(&out, base.len())
                    .into_iter()
                    .filter(|o| objs.iter().any(|(n, _)| *n == o.num))
                    .collect();
                let o = rng.pick(&objs).clone();
                let what = *rng.pick(&[
                    Syntax::ReplaceToken,
                    Syntax::StrayToken,
                    Syntax::BreakHex,
                    Syntax::DropClose,
                ]);
                let fix = if w.xref_stream {
                    Fix::Append
                } else {
                    *rng.pick(&[Fix::Rewrite, Fix::Rewrite, Fix::None, Fix::Append])
                };
                let (m, what) = mutate_syntax(&out, &o, what, &mut rng);
                d.push_str(&format!(
                    "; then object {} {}: {what}; {}",
                    o.num,
                    o.gen,
                    fix.name()
                ));
                fix.apply(m, orig)
            } else {
                out
            };
            (Input::Stamped(out), d)
        }
        "evidence-detached" => {
            let (v, d) = mutate_json(&p.evidence, &mut rng);
            let same = canonical(&v) == canonical(&p.evidence);
            let json = serde_json::to_vec_pretty(&v).unwrap_or_default();
            (
                Input::Detached { json, same },
                format!("detached bundle, {d}"),
            )
        }
        "evidence-embedded" => {
            let (v, d) = mutate_json(&p.evidence, &mut rng);
            let json = serde_json::to_vec_pretty(&v).unwrap_or_default();
            let how = *rng.pick(&[Embed::Redefine, Embed::NewFile, Embed::InPlace]);
            let base = if how == Embed::InPlace {
                stamped
            } else {
                pick_base(p, &mut rng)
            };
            (
                Input::Stamped(reembed(p, base, &json, how)),
                format!("embedded bundle ({how:?}), {d}{}", base_name(p, base)),
            )
        }
        _ => unreachable!("a family without cases"),
    };
    Mutation {
        index,
        family,
        description,
        input,
    }
}

/// A base and one of its objects after the original that `keep` admits:
/// in the stamping revision, or (on the benign base, mostly) in the later
/// revision that adds the hidden widget.
fn pick_object<'a>(
    p: &'a Prepared,
    rng: &mut Rng,
    keep: impl Fn(&Obj) -> bool,
) -> (&'a Vec<u8>, Obj) {
    let base = if rng.coin() {
        &p.benign
    } else {
        &p.subject.stamped
    };
    let from = if base == &p.benign && rng.below(3) != 0 {
        p.subject.stamped.len()
    } else {
        p.original_len()
    };
    let objs: Vec<Obj> = objects(base, from).into_iter().filter(keep).collect();
    (base, rng.pick(&objs).clone())
}

fn pick_base<'a>(p: &'a Prepared, rng: &mut Rng) -> &'a Vec<u8> {
    if rng.below(3) == 0 {
        &p.benign
    } else {
        &p.subject.stamped
    }
}

fn base_name(p: &Prepared, base: &[u8]) -> &'static str {
    if base.len() == p.benign.len() && base == p.benign.as_slice() {
        " (on the benign update)"
    } else {
        ""
    }
}

// ---------------------------------------------------------------------------
// Running

/// A process's end: its exit code (None: a signal), stdout, stderr.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `cmd` to its end or `timeout` (then kills that child and says so).
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Ran, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{cmd:?} did not start: {e}"))?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let mut nap = Duration::from_micros(200);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {timeout:?}"));
            }
            Ok(None) => {
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("waiting: {e}")),
        }
    };
    Ok(Ran {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// What `docflow verify` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    Unusable,
    /// Any other exit, a signal or a timeout.
    Failed(String),
}

/// A scratch directory with what every verification needs.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new(s: &Subject) -> Workdir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
        std::fs::write(dir.path().join("log.pub"), &s.log_key)
            .unwrap_or_else(|e| panic!("log.pub: {e}"));
        std::fs::write(dir.path().join("original.pdf"), &s.original)
            .unwrap_or_else(|e| panic!("original.pdf: {e}"));
        Workdir { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs `docflow verify` on a case's input.
pub fn verify(s: &Subject, w: &Workdir, input: &Input) -> (Verdict, String) {
    let mut cmd = Command::new(&s.docflow);
    cmd.arg("verify");
    match input {
        Input::Stamped(pdf) => {
            std::fs::write(w.path("case.pdf"), pdf).unwrap_or_else(|e| panic!("case.pdf: {e}"));
            cmd.arg("case.pdf");
        }
        Input::Detached { json, .. } => {
            std::fs::write(w.path("case.json"), json).unwrap_or_else(|e| panic!("case.json: {e}"));
            cmd.args(["original.pdf", "--evidence", "case.json"]);
        }
    }
    cmd.args(["--log-key", "log.pub", "--trust-anchors"])
        .arg(&s.trust_anchors)
        .current_dir(w.dir.path())
        .env_remove("DOCFLOW_LOG_KEY")
        .env_remove("DOCFLOW_TRUST_ANCHORS")
        .env_remove("DOCFLOW_CRLS")
        .env_remove("DOCFLOW_CONFIG");
    match run_with_timeout(&mut cmd, TIMEOUT) {
        Err(e) => (Verdict::Failed(e), String::new()),
        Ok(r) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&r.stdout),
                String::from_utf8_lossy(&r.stderr)
            );
            let v = match r.code {
                Some(0) => Verdict::Valid,
                Some(1) => Verdict::Invalid,
                Some(2) => Verdict::Unusable,
                Some(c) => Verdict::Failed(format!("exit code {c}")),
                None => Verdict::Failed("killed by a signal".into()),
            };
            (v, text)
        }
    }
}

/// Poppler's view of a PDF: every page rendered, and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `pdftoppm -r 40 -gray` to stdout: the pages' PGM images, in order.
    pub render: (Option<i32>, Vec<u8>),
    /// `pdftotext -enc UTF-8 FILE -`.
    pub text: (Option<i32>, Vec<u8>),
}

impl Seen {
    /// How many pages the render holds (PGM images).
    pub fn pages(&self) -> usize {
        let b = &self.render.1;
        let mut n = 0;
        let mut at = 0;
        while b.get(at..at + 2) == Some(b"P5") {
            let t: Vec<(usize, usize)> = {
                let mut v = Vec::new();
                let mut p = at + 2;
                for _ in 0..3 {
                    let t = next_token(b, p);
                    v.push(t);
                    p = t.1;
                }
                v
            };
            let (Some(w), Some(h)) = (int_at(b, t[0]), int_at(b, t[1])) else {
                break;
            };
            at = t[2].1 + 1 + (w * h) as usize;
            n += 1;
        }
        n
    }
}

/// Whether poppler's tools are on PATH.
pub fn poppler_available() -> bool {
    ["pdftoppm", "pdftotext"].iter().all(|t| {
        Command::new(t)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
}

/// Renders and extracts `pdf` (written to `path`).
pub fn seen(pdf: &[u8], path: &Path) -> Result<Seen, String> {
    std::fs::write(path, pdf).map_err(|e| e.to_string())?;
    let render = run_with_timeout(
        Command::new("pdftoppm")
            .args(["-r", "40", "-gray"])
            .arg(path),
        TIMEOUT,
    )
    .map_err(|e| format!("pdftoppm: {e}"))?;
    let text = run_with_timeout(
        Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(path)
            .arg("-"),
        TIMEOUT,
    )
    .map_err(|e| format!("pdftotext: {e}"))?;
    Ok(Seen {
        render: (render.code, render.stdout),
        text: (text.code, text.stdout),
    })
}

/// The reference view, made once.
pub struct Oracle {
    pub reference: Seen,
}

impl Oracle {
    pub fn new(s: &Subject) -> Oracle {
        let w = Workdir::new(s);
        let reference = seen(&s.stamped, &w.path("reference.pdf"))
            .unwrap_or_else(|e| panic!("poppler runs: {e}"));
        assert_eq!(
            (reference.render.0, reference.text.0),
            (Some(0), Some(0)),
            "poppler does not read the unmutated stamped file"
        );
        assert!(reference.pages() >= 2, "the stamped file renders pages");
        Oracle { reference }
    }

    /// Why `got` differs from the reference, if it does.
    pub fn difference(&self, got: &Seen) -> Option<String> {
        let r = &self.reference;
        if got == r {
            return None;
        }
        let mut why = Vec::new();
        if got.render != r.render {
            why.push(format!(
                "pdftoppm: exit {:?}, {} page(s), {} bytes (reference: exit {:?}, {} page(s), {} bytes)",
                got.render.0,
                got.pages(),
                got.render.1.len(),
                r.render.0,
                r.pages(),
                r.render.1.len()
            ));
        }
        if got.text != r.text {
            let a = String::from_utf8_lossy(&got.text.1);
            let b = String::from_utf8_lossy(&r.text.1);
            let line = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(a.lines().count().min(b.lines().count()));
            why.push(format!(
                "pdftotext: exit {:?}, first different line {}: {:?} (reference: {:?})",
                got.text.0,
                line + 1,
                a.lines().nth(line).unwrap_or(""),
                b.lines().nth(line).unwrap_or("")
            ));
        }
        Some(why.join("; "))
    }
}

/// One case that went wrong.
#[derive(Debug, Clone)]
pub struct Finding {
    pub index: usize,
    pub family: &'static str,
    pub description: String,
    /// What is wrong.
    pub problem: String,
    /// The input as saved, to reproduce it.
    pub saved: PathBuf,
    /// What `docflow verify` printed.
    pub output: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "case {} [{}] {}\n  {}\n  saved: {}\n  docflow verify said: {}",
            self.index,
            self.family,
            self.description,
            self.problem,
            self.saved.display(),
            self.output
                .lines()
                .take(12)
                .collect::<Vec<_>>()
                .join("\n    ")
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub valid: usize,
    pub invalid: usize,
    pub unusable: usize,
    pub failed: usize,
}

/// The campaign's result.
#[derive(Debug, Clone)]
pub struct Summary {
    pub seed: u64,
    pub cases: usize,
    pub counts: Counts,
    pub per_family: BTreeMap<&'static str, Counts>,
    /// VALID, but poppler shows something else (or the bundle means
    /// something else).
    pub false_accepts: Vec<Finding>,
    /// A panic, another exit code or a timeout.
    pub failures: Vec<Finding>,
    /// The benign base's verdict (expected VALID).
    pub benign: Verdict,
    /// Cases rendered by poppler (the VALID stamped ones).
    pub rendered: usize,
    /// VALID detached bundles whose bytes differ from the logged one's but
    /// whose meaning does not ([`canonical`]).
    pub equivalent_bundles: usize,
    pub elapsed: Duration,
}

impl Summary {
    pub fn cases_per_second(&self) -> f64 {
        self.cases as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn report(&self) -> String {
        let c = &self.counts;
        let mut s = format!(
            "mutations: seed {:#x}, {} cases in {:.1} s ({:.1} cases/s): {} VALID, {} INVALID, {} unusable, {} failed; {} rendered, {} VALID bundles equivalent to the logged one; false accepts: {}; benign base: {:?}\n",
            self.seed,
            self.cases,
            self.elapsed.as_secs_f64(),
            self.cases_per_second(),
            c.valid,
            c.invalid,
            c.unusable,
            c.failed,
            self.rendered,
            self.equivalent_bundles,
            self.false_accepts.len(),
            self.benign
        );
        s.push_str("| family | cases | VALID | INVALID | unusable | failed |\n|---|---:|---:|---:|---:|---:|\n");
        for (f, k) in &self.per_family {
            s.push_str(&format!(
                "| {f} | {} | {} | {} | {} | {} |\n",
                k.valid + k.invalid + k.unusable + k.failed,
                k.valid,
                k.invalid,
                k.unusable,
                k.failed
            ));
        }
        for f in &self.false_accepts {
            s.push_str(&format!("FALSE ACCEPT: {f}\n"));
        }
        for f in &self.failures {
            s.push_str(&format!("FAILURE: {f}\n"));
        }
        s
    }
}

/// One case, judged: a finding is `(true, …)` for a false accept.
struct Judged {
    index: usize,
    family: &'static str,
    verdict: Verdict,
    finding: Option<(bool, Finding)>,
    rendered: bool,
    equivalent: bool,
}

/// Runs `cases` cases of campaign `seed` on `workers` threads; inputs of
/// findings are saved under `save_dir`.
pub fn run(p: &Prepared, oracle: &Oracle, seed: u64, cases: usize, save_dir: &Path) -> Summary {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let started = Instant::now();
    let benign = {
        let w = Workdir::new(&p.subject);
        verify(&p.subject, &w, &Input::Stamped(p.benign.clone())).0
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Judged>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let w = Workdir::new(&p.subject);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= cases {
                        break;
                    }
                    let m = mutation(p, seed, i);
                    let (verdict, output) = verify(&p.subject, &w, &m.input);
                    let mut rendered = false;
                    let problem = match (&verdict, &m.input) {
                        (Verdict::Failed(why), _) => Some((false, why.clone())),
                        (Verdict::Valid, Input::Detached { same, .. }) => (!same).then(|| {
                            (
                                true,
                                "VALID for a bundle that differs from the logged one".to_string(),
                            )
                        }),
                        (Verdict::Valid, Input::Stamped(pdf)) => {
                            rendered = true;
                            match seen(pdf, &w.path("seen.pdf")) {
                                Err(e) => Some((true, format!("VALID, but poppler: {e}"))),
                                Ok(got) => oracle.difference(&got).map(|d| {
                                    (true, format!("VALID, but poppler shows another file: {d}"))
                                }),
                            }
                        }
                        _ => None,
                    };
                    let finding = problem.map(|(accept, problem)| {
                        let saved = save(save_dir, seed, &m, &output, &problem);
                        (
                            accept,
                            Finding {
                                index: i,
                                family: m.family,
                                description: m.description.clone(),
                                problem,
                                saved,
                                output: output.clone(),
                            },
                        )
                    });
                    let equivalent = verdict == Verdict::Valid
                        && matches!(&m.input, Input::Detached { same: true, json }
                            if json != &p.subject.evidence);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Judged {
                            index: i,
                            family: m.family,
                            verdict,
                            finding,
                            rendered,
                            equivalent,
                        });
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|r| r.index);
    let mut summary = Summary {
        seed,
        cases,
        counts: Counts::default(),
        per_family: BTreeMap::new(),
        false_accepts: Vec::new(),
        failures: Vec::new(),
        benign,
        rendered: 0,
        equivalent_bundles: 0,
        elapsed: Duration::ZERO,
    };
    for Judged {
        family,
        verdict,
        finding,
        rendered,
        equivalent,
        ..
    } in results
    {
        summary.equivalent_bundles += usize::from(equivalent);
        let fam = summary.per_family.entry(family).or_default();
        for k in [&mut summary.counts, fam] {
            match verdict {
                Verdict::Valid => k.valid += 1,
                Verdict::Invalid => k.invalid += 1,
                Verdict::Unusable => k.unusable += 1,
                Verdict::Failed(_) => k.failed += 1,
            }
        }
        summary.rendered += usize::from(rendered);
        match finding {
            Some((true, f)) => summary.false_accepts.push(f),
            Some((false, f)) => summary.failures.push(f),
            None => {}
        }
    }
    summary.elapsed = started.elapsed();
    summary
}

/// Saves a case's input (and a note of what it is) under `dir`.
fn save(dir: &Path, seed: u64, m: &Mutation, output: &str, problem: &str) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    let stem = format!("{}-seed{seed:x}-case{}", m.family, m.index);
    let path = match &m.input {
        Input::Stamped(pdf) => {
            let p = dir.join(format!("{stem}.pdf"));
            let _ = std::fs::write(&p, pdf);
            p
        }
        Input::Detached { json, .. } => {
            let p = dir.join(format!("{stem}.json"));
            let _ = std::fs::write(&p, json);
            p
        }
    };
    let _ = std::fs::write(
        dir.join(format!("{stem}.txt")),
        format!(
            "{}\n{problem}\n\nfile: {}\n\ndocflow verify:\n{output}\n",
            m.description,
            path.display()
        ),
    );
    path
}
