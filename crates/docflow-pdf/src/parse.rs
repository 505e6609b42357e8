//! Reading the input: lopdf does the object parsing, this module adds the few facts
//! about the file's tail that an incremental update needs.

use crate::PdfError;
use lopdf::{Document, Object, ObjectId};
use memchr::memmem;

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
    if !bytes.starts_with(b"%PDF-") && memmem::find(bytes, b"%PDF-").is_none_or(|p| p > 1024) {
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

pub(crate) fn is_ws(b: u8) -> bool {
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
    let sx = memmem::rfind(window, b"startxref")
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

/// Keys followed when loading a document's structure lazily: the catalog,
/// the page tree with what pages inherit, annotation arrays, the name
/// dictionary's embedded-files tree and associated files. Everything a
/// stamping update reads or writes, and nothing that grows with content
/// (page content streams, resources, fonts, images).
pub(crate) const STRUCTURE: &[&[u8]] = &[
    b"Pages",
    b"Kids",
    b"Count",
    b"Annots",
    b"MediaBox",
    b"CropBox",
    b"Rotate",
    b"UserUnit",
    b"Names",
    b"EmbeddedFiles",
    b"AF",
    // Existing annotations' rectangles and names: later stamps stack above
    // earlier docflow stamps.
    b"Rect",
    b"NM",
];

/// [`STRUCTURE`] plus the keys that lead from a file specification to its
/// embedded file's bytes.
pub(crate) const ATTACHMENTS: &[&[u8]] = &[
    b"Pages",
    b"Kids",
    b"Count",
    b"Names",
    b"EmbeddedFiles",
    b"AF",
    b"EF",
    b"F",
    b"UF",
];

/// One cross-reference section: where it starts and the objects it defines.
struct Section {
    offset: usize,
    defined: Vec<u32>,
}

/// A document whose objects are parsed on demand from the cross-reference
/// table, so the cost of reading it follows what is read, not the file's
/// size. lopdf parses each object; this reads the cross-reference chain
/// (tables, streams, hybrid files) and caches decoded object streams.
pub(crate) struct Lazy<'a> {
    reader: lopdf::Reader<'a>,
    sections: Vec<Section>,
    containers: std::collections::HashMap<u32, std::collections::BTreeMap<ObjectId, Object>>,
    /// The keys followed from every object loaded.
    follow: &'static [&'static [u8]],
    /// Whether page-tree nodes' /Kids are followed too (the whole tree).
    whole_tree: bool,
    /// What has been loaded, with the trailer, table and `max_id` set.
    pub doc: Document,
}

fn malformed(what: impl Into<String>) -> PdfError {
    PdfError::Malformed(what.into())
}

pub(crate) fn skip_ws(bytes: &[u8], mut p: usize) -> usize {
    while p < bytes.len() && (is_ws(bytes[p]) || bytes[p] == b'%') {
        if bytes[p] == b'%' {
            while p < bytes.len() && !matches!(bytes[p], b'\r' | b'\n') {
                p += 1;
            }
        } else {
            p += 1;
        }
    }
    p
}

pub(crate) fn token(bytes: &[u8], p: usize) -> (&[u8], usize) {
    let start = skip_ws(bytes, p);
    let mut end = start;
    while end < bytes.len() && !is_ws(bytes[end]) && !b"<>[]()/%".contains(&bytes[end]) {
        end += 1;
    }
    (&bytes[start..end], end)
}

pub(crate) fn int<T: std::str::FromStr>(t: &[u8]) -> Option<T> {
    std::str::from_utf8(t).ok()?.parse().ok()
}

fn new_reader(buffer: &[u8]) -> lopdf::Reader<'_> {
    lopdf::Reader {
        buffer,
        document: Document::new(),
        encryption_state: None,
        raw_objects: std::collections::BTreeMap::new(),
        password: None,
    }
}

/// Parses a direct dictionary (a classic trailer) with lopdf, by presenting
/// it as the only object of a tiny buffer.
fn parse_dictionary(text: &[u8]) -> Result<lopdf::Dictionary, PdfError> {
    let mut buffer = b"1 0 obj\n".to_vec();
    buffer.extend_from_slice(text);
    buffer.extend_from_slice(b"\nendobj\n");
    let mut reader = new_reader(&buffer);
    reader.document.reference_table.insert(
        1,
        lopdf::xref::XrefEntry::Normal {
            offset: 0,
            generation: 0,
        },
    );
    match reader.get_object((1, 0), &mut std::collections::HashSet::new()) {
        Ok(Object::Dictionary(d)) => Ok(d),
        _ => Err(malformed("unreadable trailer dictionary")),
    }
}

/// Parses the indirect object `id` that starts at `offset`, with lopdf,
/// looking only at the bytes from there on.
pub(crate) fn read_object_at(
    bytes: &[u8],
    id: ObjectId,
    offset: usize,
) -> Result<Object, PdfError> {
    let sub = bytes
        .get(offset..)
        .ok_or_else(|| malformed("object offset past the end"))?;
    let mut reader = new_reader(sub);
    reader.document.reference_table.insert(
        id.0,
        lopdf::xref::XrefEntry::Normal {
            offset: 0,
            generation: id.1,
        },
    );
    // As in `load`: a panic in the third-party parser must not reach callers.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.get_object(id, &mut Default::default())
    }))
    .unwrap_or_else(|_| Err(lopdf::Error::IndirectObject { offset }))
    .map_err(map_lopdf)
}

/// One entry of a cross-reference section, as the section states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XrefRow {
    /// `generation` is the one to use if the number is reused.
    Free { num: u32, generation: u16 },
    Normal {
        num: u32,
        offset: u32,
        generation: u16,
    },
    Compressed {
        num: u32,
        container: u32,
        index: u16,
    },
}

/// Reads the cross-reference section at `offset` (a classic table with its
/// trailer, or a cross-reference stream): its dictionary, its rows and, for
/// a stream, the stream object.
#[allow(clippy::type_complexity)]
pub(crate) fn read_section(
    bytes: &[u8],
    offset: usize,
) -> Result<(lopdf::Dictionary, Vec<XrefRow>, Option<(ObjectId, Object)>), PdfError> {
    let start = skip_ws(bytes, offset);
    let Some(at) = bytes.get(start..) else {
        return Err(malformed("cross-reference offset past the end"));
    };
    if at.starts_with(b"xref") {
        let (rows, trailer_at) = table_rows(bytes, start + 4)?;
        let end = memmem::find(&bytes[trailer_at..], b"startxref")
            .map(|e| trailer_at + e)
            .unwrap_or(bytes.len());
        let dict = parse_dictionary(&bytes[trailer_at..end])?;
        return Ok((dict, rows, None));
    }
    // A cross-reference stream: "N G obj << /Type /XRef … >> stream".
    let (n, a) = token(bytes, start);
    let (g, _) = token(bytes, a);
    let (Some(n), Some(g)) = (int::<u32>(n), int::<u16>(g)) else {
        return Err(malformed(
            "startxref points at neither a table nor a stream",
        ));
    };
    let Ok(Object::Stream(stream)) = read_object_at(bytes, (n, g), start) else {
        return Err(malformed("unreadable cross-reference stream"));
    };
    let rows = stream_rows(&stream)?;
    Ok((
        stream.dict.clone(),
        rows,
        Some(((n, g), Object::Stream(stream))),
    ))
}

/// Where the trailer dictionary of the classic table at `offset` starts
/// (just after `trailer`); `None` for a cross-reference stream.
pub(crate) fn trailer_position(bytes: &[u8], offset: usize) -> Option<usize> {
    let start = skip_ws(bytes, offset);
    if !bytes.get(start..)?.starts_with(b"xref") {
        return None;
    }
    table_rows(bytes, start + 4).ok().map(|(_, at)| at)
}

/// The rows of a classic table whose subsections start at `p` (after the
/// `xref` keyword), and the position after its `trailer` keyword.
fn table_rows(bytes: &[u8], mut p: usize) -> Result<(Vec<XrefRow>, usize), PdfError> {
    let mut rows = Vec::new();
    loop {
        let (t, after) = token(bytes, p);
        if t.is_empty() || t == b"trailer" {
            return Ok((rows, after));
        }
        let first: u32 = int(t).ok_or_else(|| malformed("bad xref subsection"))?;
        let (t, after) = token(bytes, after);
        let count: usize = int(t).ok_or_else(|| malformed("bad xref subsection"))?;
        if count > bytes.len() / 18 + 1 {
            return Err(malformed("xref subsection larger than the file"));
        }
        p = after;
        for i in 0..count {
            let (o, a) = token(bytes, p);
            let (g, a) = token(bytes, a);
            let (k, a) = token(bytes, a);
            p = a;
            let num = first.saturating_add(i as u32);
            let (Some(offset), Some(generation)) = (int::<u32>(o), int::<u16>(g)) else {
                return Err(malformed("bad xref entry"));
            };
            rows.push(match k {
                b"n" => XrefRow::Normal {
                    num,
                    offset,
                    generation,
                },
                b"f" => XrefRow::Free { num, generation },
                _ => return Err(malformed("bad xref entry type")),
            });
        }
    }
}

/// The rows of a cross-reference stream (ISO 32000-1 §7.5.8.3).
pub(crate) fn stream_rows(stream: &lopdf::Stream) -> Result<Vec<XrefRow>, PdfError> {
    let data = if stream.dict.has(b"Filter") {
        stream
            .decompressed_content()
            .map_err(|e| malformed(format!("cross-reference stream: {e}")))?
    } else {
        stream.content.clone()
    };
    let w: Vec<usize> = stream
        .dict
        .get(b"W")
        .and_then(Object::as_array)
        .map_err(|_| malformed("cross-reference stream without /W"))?
        .iter()
        .map(|o| o.as_i64().map(|v| v.clamp(0, 8) as usize).unwrap_or(0))
        .collect();
    if w.len() != 3 || w.iter().sum::<usize>() == 0 {
        return Err(malformed("bad /W in cross-reference stream"));
    }
    let size = stream
        .dict
        .get(b"Size")
        .and_then(Object::as_i64)
        .unwrap_or(0);
    let index: Vec<i64> = stream
        .dict
        .get(b"Index")
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(|o| o.as_i64().ok()).collect())
        .unwrap_or_else(|_| vec![0, size]);
    let field = |b: &[u8]| b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    let mut chunks = data.chunks_exact(w.iter().sum::<usize>());
    let mut rows = Vec::new();
    for pair in index.chunks(2) {
        let [first, count] = pair else { break };
        for i in 0..(*count).max(0) {
            let Some(r) = chunks.next() else {
                return Err(malformed("cross-reference stream shorter than /Index"));
            };
            // A zero-width type field means type 1.
            let kind = if w[0] == 0 { 1 } else { field(&r[..w[0]]) };
            let b = field(&r[w[0]..w[0] + w[1]]);
            let c = field(&r[w[0] + w[1]..]);
            let Ok(num) = u32::try_from(first.saturating_add(i)) else {
                continue;
            };
            rows.push(match kind {
                0 => XrefRow::Free {
                    num,
                    generation: u16::try_from(c).unwrap_or(0),
                },
                1 => XrefRow::Normal {
                    num,
                    offset: u32::try_from(b).map_err(|_| malformed("offset too large"))?,
                    generation: u16::try_from(c).unwrap_or(0),
                },
                2 => XrefRow::Compressed {
                    num,
                    container: u32::try_from(b).map_err(|_| malformed("bad container"))?,
                    index: u16::try_from(c).unwrap_or(0),
                },
                // Other types are reserved: readers treat them as null objects.
                _ => continue,
            });
        }
    }
    Ok(rows)
}

impl<'a> Lazy<'a> {
    /// Reads the cross-reference chain and the trailer; loads no object.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Lazy<'a>, PdfError> {
        Self::open_layered(bytes, None)
    }

    /// Reads the cross-reference sections at or after `floor` (one
    /// revision appended to what `below` read) and takes the rest of the
    /// table, and the objects already read, from `below`, a reading of
    /// `bytes[..floor]`. The older part of the file is then read once, the
    /// way it could be read, and the new sections must read cleanly here:
    /// there is no fallback for them. The chain stops at the first /Prev
    /// below `floor` (where it lands is the caller's to check); a chain
    /// that never gets there has only the new sections.
    pub(crate) fn open_over(
        bytes: &'a [u8],
        floor: usize,
        below: &Loaded<'_>,
    ) -> Result<Lazy<'a>, PdfError> {
        Self::open_layered(bytes, Some((floor, below)))
    }

    fn open_layered(
        bytes: &'a [u8],
        layer: Option<(usize, &Loaded<'_>)>,
    ) -> Result<Lazy<'a>, PdfError> {
        if !bytes.starts_with(b"%PDF-") {
            return Err(malformed("no %PDF- header at the start"));
        }
        let tail = tail(bytes)?;
        let mut lazy = Lazy {
            reader: new_reader(bytes),
            sections: Vec::new(),
            containers: Default::default(),
            follow: STRUCTURE,
            whole_tree: false,
            doc: Document::new(),
        };
        let floor = layer.map(|(f, _)| f);
        let mut trailer: Option<lopdf::Dictionary> = None;
        let mut next = Some(tail.startxref);
        let mut seen = std::collections::HashSet::new();
        let mut xref_streams = Vec::new();
        let mut reached_below = false;
        while let Some(offset) = next.take() {
            if floor.is_some_and(|f| offset < f) {
                reached_below = true;
                break;
            }
            if !seen.insert(offset) || seen.len() > 4096 {
                return Err(malformed("cross-reference chain loops"));
            }
            let (dict, defined, stream) = lazy.section(offset)?;
            if let Some(s) = stream {
                xref_streams.push(s);
            }
            // Hybrid files: the stream named by /XRefStm complements this table.
            if let Some(stm) = dict
                .get(b"XRefStm")
                .ok()
                .and_then(|o| o.as_i64().ok())
                .and_then(|v| usize::try_from(v).ok())
            {
                if floor.is_some_and(|f| stm < f) {
                    return Err(malformed("/XRefStm points before the revision"));
                }
                if seen.insert(stm) {
                    let (_, more, stream) = lazy.section(stm)?;
                    xref_streams.extend(stream);
                    lazy.sections.push(Section {
                        offset: stm,
                        defined: more,
                    });
                }
            }
            lazy.sections.push(Section { offset, defined });
            next = match dict.get(b"Prev").ok().map(Object::as_i64) {
                None => None,
                Some(Ok(p)) if p >= 0 && (p as usize) < bytes.len() => Some(p as usize),
                Some(_) => return Err(malformed("bad /Prev offset")),
            };
            if trailer.is_none() {
                trailer = Some(dict);
            }
        }
        if let (true, Some((_, below))) = (reached_below, layer) {
            lazy.take_from(below);
        }
        let mut trailer = trailer.ok_or_else(|| malformed("no trailer"))?;
        if trailer.has(b"Encrypt") {
            return Err(PdfError::Encrypted);
        }
        for key in [
            &b"Prev"[..],
            b"XRefStm",
            b"Type",
            b"W",
            b"Index",
            b"Filter",
            b"DecodeParms",
            b"Length",
        ] {
            trailer.remove(key);
        }
        let table = &mut lazy.reader.document.reference_table;
        table.size = trailer
            .get(b"Size")
            .ok()
            .and_then(|o| o.as_i64().ok())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
            .max(table.max_id().saturating_add(1));
        lazy.doc.reference_table = table.clone();
        lazy.doc.max_id = table.max_id();
        lazy.doc.trailer = trailer.clone();
        lazy.reader.document.trailer = trailer;
        // As lopdf does, the cross-reference streams are objects of the document.
        for (id, obj) in xref_streams {
            lazy.doc.objects.insert(id, obj);
        }
        Ok(lazy)
    }

    /// Adds what `below` knows for the object numbers the sections read so
    /// far do not define: its table entries and the objects it has read.
    fn take_from(&mut self, below: &Loaded<'_>) {
        let (table, objects) = match below {
            Loaded::Lazy(l) => (&l.reader.document.reference_table, &l.doc.objects),
            Loaded::Full(d) => (&d.reference_table, &d.objects),
        };
        let own = &mut self.reader.document.reference_table;
        let defined: std::collections::BTreeSet<u32> = own.entries.keys().copied().collect();
        for (n, e) in &table.entries {
            if !defined.contains(n) {
                own.insert(*n, e.clone());
            }
        }
        for (id, obj) in objects {
            if !defined.contains(&id.0) {
                self.doc.objects.insert(*id, obj.clone());
            }
        }
    }

    /// Reads one cross-reference section at `offset`: its trailer (or
    /// stream dictionary), the object numbers it defines and, for a stream,
    /// the stream object itself. Earlier-read (newer) entries win.
    #[allow(clippy::type_complexity)]
    fn section(
        &mut self,
        offset: usize,
    ) -> Result<(lopdf::Dictionary, Vec<u32>, Option<(ObjectId, Object)>), PdfError> {
        use lopdf::xref::XrefEntry;
        let (dict, rows, stream) = read_section(self.reader.buffer, offset)?;
        let mut defined = Vec::new();
        for row in rows {
            let (num, entry) = match row {
                XrefRow::Free { .. } => continue,
                XrefRow::Normal {
                    num,
                    offset,
                    generation,
                } => (num, XrefEntry::Normal { offset, generation }),
                XrefRow::Compressed {
                    num,
                    container,
                    index,
                } => (num, XrefEntry::Compressed { container, index }),
            };
            if num == 0 {
                continue;
            }
            defined.push(num);
            let table = &mut self.reader.document.reference_table;
            if table.get(num).is_none() {
                table.insert(num, entry);
            }
        }
        Ok((dict, defined, stream))
    }

    /// Object numbers defined by the sections that start at or after `offset`
    /// (the incremental updates appended after that point).
    pub(crate) fn defined_since(&self, offset: usize) -> Vec<ObjectId> {
        let mut out = std::collections::BTreeSet::new();
        for s in self.sections.iter().filter(|s| s.offset >= offset) {
            for n in &s.defined {
                if let Some(id) = self.id_of(*n) {
                    out.insert(id);
                }
            }
        }
        out.into_iter().collect()
    }

    fn id_of(&self, n: u32) -> Option<ObjectId> {
        match self.reader.document.reference_table.get(n)? {
            lopdf::xref::XrefEntry::Normal { generation, .. } => Some((n, *generation)),
            lopdf::xref::XrefEntry::Compressed { .. } => Some((n, 0)),
            _ => None,
        }
    }

    /// Whether the cross-reference table has this object (in use).
    pub(crate) fn has(&self, id: ObjectId) -> bool {
        self.id_of(id.0) == Some(id)
    }

    /// Loads one object if it is not loaded yet. Objects that cannot be
    /// read are left out, as lopdf's full load leaves them out.
    pub(crate) fn load(&mut self, id: ObjectId) {
        if self.doc.objects.contains_key(&id) || !self.has(id) {
            return;
        }
        let obj = match self.reader.document.reference_table.get(id.0) {
            Some(lopdf::xref::XrefEntry::Compressed { container, .. }) => {
                let container = *container;
                if !self.containers.contains_key(&container) {
                    let objects = match self.read_normal((container, 0)) {
                        Some(Object::Stream(mut s)) => lopdf::ObjectStream::new(&mut s)
                            .map(|o| o.objects)
                            .unwrap_or_default(),
                        _ => Default::default(),
                    };
                    self.containers.insert(container, objects);
                }
                self.containers
                    .get(&container)
                    .and_then(|objects| objects.get(&id))
                    .cloned()
            }
            _ => self.read_normal(id),
        };
        if let Some(obj) = obj {
            self.doc.objects.insert(id, obj);
        }
    }

    /// Reads an uncompressed object. From a slice that starts at the object:
    /// lopdf's parser counts lines from the start of its buffer, which would
    /// make every read cost the object's offset. A stream whose /Length is
    /// indirect needs the whole file's table, so it is read that way.
    fn read_normal(&self, id: ObjectId) -> Option<Object> {
        let Some(lopdf::xref::XrefEntry::Normal { offset, .. }) =
            self.reader.document.reference_table.get(id.0)
        else {
            return None;
        };
        let offset = *offset as usize;
        let obj = read_object_at(self.reader.buffer, id, offset)
            .ok()
            .or_else(|| self.reader.get_object(id, &mut Default::default()).ok())?;
        Some(self.with_indirect_length(obj, offset))
    }

    /// A stream whose /Length is a reference comes back from a slice read
    /// without its data (the slice has no table to resolve the reference):
    /// the data is taken here, as lopdf's full load does, so both readings
    /// agree (/Length becomes the number, as there).
    fn with_indirect_length(&self, obj: Object, offset: usize) -> Object {
        let Object::Stream(mut s) = obj else {
            return obj;
        };
        let (Some(start), Ok(length_id)) = (
            s.start_position,
            s.dict.get(b"Length").and_then(Object::as_reference),
        ) else {
            return Object::Stream(s);
        };
        let length = match self.reader.document.reference_table.get(length_id.0) {
            Some(lopdf::xref::XrefEntry::Normal { offset, .. }) => {
                read_object_at(self.reader.buffer, length_id, *offset as usize).ok()
            }
            Some(lopdf::xref::XrefEntry::Compressed { .. }) => self
                .reader
                .get_object(length_id, &mut Default::default())
                .ok(),
            _ => None,
        };
        let from = offset.saturating_add(start);
        let data = length
            .and_then(|l| l.as_i64().ok())
            .and_then(|l| usize::try_from(l).ok())
            .and_then(|l| self.reader.buffer.get(from..from.checked_add(l)?));
        if let Some(data) = data {
            s.set_content(data.to_vec());
        }
        Object::Stream(s)
    }

    /// Loads `roots` and, transitively, what they refer to under the
    /// `follow` keys (and every reference inside arrays reached that way).
    /// A page-tree node's /Kids array is loaded but not walked (pages are
    /// found by [`Lazy::pages`]) unless the whole tree was asked for.
    pub(crate) fn load_closure(&mut self, roots: impl IntoIterator<Item = ObjectId>) {
        let mut stack: Vec<ObjectId> = roots.into_iter().collect();
        let mut visited = std::collections::HashSet::new();
        while let Some(id) = stack.pop() {
            if !visited.insert(id) || visited.len() > 10_000_000 {
                continue;
            }
            self.load(id);
            let Some(obj) = self.doc.objects.get(&id) else {
                continue;
            };
            let mut refs = Vec::new();
            let mut kids_array = None;
            match obj {
                Object::Dictionary(d) if !self.whole_tree && is_pages_node(d) => {
                    for (k, v) in d.iter() {
                        if k.as_slice() == b"Kids" {
                            if let Object::Reference(kids) = v {
                                kids_array = Some(*kids);
                            }
                        } else if self.follow.contains(&k.as_slice()) {
                            follow_refs(v, self.follow, &mut refs, 1);
                        }
                    }
                }
                _ => follow_refs(obj, self.follow, &mut refs, 0),
            }
            if let Some(kids) = kids_array {
                self.load(kids);
            }
            stack.extend(refs);
        }
    }

    /// The number of pages (the root node's /Count) and the ids of the
    /// `wanted` page indices, loading only the page-tree nodes on the way
    /// to them (and, at each level, the kids before them).
    pub(crate) fn pages(
        &mut self,
        wanted: &std::collections::BTreeSet<usize>,
    ) -> Result<(usize, std::collections::BTreeMap<usize, ObjectId>), PdfError> {
        let root = root_id(&self.doc)?;
        let tree = self
            .doc
            .get_dictionary(root)
            .ok()
            .and_then(|c| c.get(b"Pages").ok()?.as_reference().ok())
            .ok_or_else(|| malformed("catalog has no /Pages reference"))?;
        let count = self
            .doc
            .get_dictionary(tree)
            .ok()
            .and_then(|d| d.get(b"Count").ok()?.as_i64().ok())
            .and_then(|c| usize::try_from(c).ok())
            .ok_or_else(|| malformed("page tree has no /Count"))?;
        let mut found = std::collections::BTreeMap::new();
        for &index in wanted.iter().filter(|i| **i < count) {
            found.insert(index, self.page_at(tree, index)?);
        }
        Ok((count, found))
    }

    fn page_at(&mut self, mut node: ObjectId, mut index: usize) -> Result<ObjectId, PdfError> {
        'levels: for _ in 0..64 {
            let kids: Vec<Object> = match self.doc.get_dictionary(node).ok().map(|d| d.get(b"Kids"))
            {
                Some(Ok(k)) => resolve(&self.doc, k)
                    .as_array()
                    .map_err(|_| malformed("/Kids is not an array"))?
                    .clone(),
                _ => return Err(malformed("page-tree node without /Kids")),
            };
            for kid in kids {
                let Object::Reference(kid) = kid else {
                    return Err(malformed("a /Kids entry is not a reference"));
                };
                self.load_closure([kid]);
                let Ok(d) = self.doc.get_dictionary(kid) else {
                    return Err(malformed("a page-tree kid is not a dictionary"));
                };
                if is_pages_node(d) {
                    let c = d
                        .get(b"Count")
                        .ok()
                        .and_then(|c| c.as_i64().ok())
                        .and_then(|c| usize::try_from(c).ok())
                        .ok_or_else(|| malformed("page-tree node without /Count"))?;
                    if index < c {
                        node = kid;
                        continue 'levels;
                    }
                    index -= c;
                } else if index == 0 {
                    return Ok(kid);
                } else {
                    index -= 1;
                }
            }
            return Err(malformed("the page tree is shorter than its /Count"));
        }
        Err(malformed("the page tree is too deep"))
    }

    /// Loads every node of the page tree (for checks that need all pages).
    pub(crate) fn load_whole_page_tree(&mut self) -> Result<(), PdfError> {
        let root = root_id(&self.doc)?;
        self.whole_tree = true;
        self.load_closure([root]);
        Ok(())
    }

    /// Loads the catalog and the structure a stamping update touches.
    pub(crate) fn load_structure(
        &mut self,
        follow: &'static [&'static [u8]],
    ) -> Result<(), PdfError> {
        let root = root_id(&self.doc)?;
        self.follow = follow;
        self.load_closure([root]);
        if !matches!(self.doc.objects.get(&root), Some(Object::Dictionary(_))) {
            return Err(malformed("catalog is not a dictionary"));
        }
        Ok(())
    }
}

fn is_pages_node(d: &lopdf::Dictionary) -> bool {
    d.get(b"Type").and_then(Object::as_name).ok() == Some(b"Pages".as_slice())
}

/// References reachable from `obj` through `follow` keys of dictionaries
/// (for the object itself) and through arrays.
fn follow_refs(obj: &Object, follow: &[&[u8]], out: &mut Vec<ObjectId>, depth: u32) {
    if depth > 32 {
        return;
    }
    match obj {
        Object::Reference(id) => out.push(*id),
        Object::Array(a) => a
            .iter()
            .for_each(|o| follow_refs(o, follow, out, depth + 1)),
        Object::Dictionary(d) => {
            for (k, v) in d.iter() {
                if follow.contains(&k.as_slice()) {
                    follow_refs(v, follow, out, depth + 1);
                }
            }
        }
        Object::Stream(s) => {
            for (k, v) in s.dict.iter() {
                if follow.contains(&k.as_slice()) {
                    follow_refs(v, follow, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// A document with its structure loaded: lazily when the cross-reference
/// chain reads cleanly, else by lopdf's full load (which tolerates more).
pub(crate) enum Loaded<'a> {
    Lazy(Box<Lazy<'a>>),
    Full(Box<Document>),
}

impl<'a> Loaded<'a> {
    pub(crate) fn open(
        bytes: &'a [u8],
        follow: &'static [&'static [u8]],
    ) -> Result<Loaded<'a>, PdfError> {
        match Lazy::open(bytes) {
            Ok(mut lazy) => match lazy.load_structure(follow) {
                Ok(()) => Ok(Loaded::Lazy(Box::new(lazy))),
                Err(_) => load(bytes).map(|d| Loaded::Full(Box::new(d))),
            },
            Err(PdfError::Encrypted) => Err(PdfError::Encrypted),
            Err(_) => load(bytes).map(|d| Loaded::Full(Box::new(d))),
        }
    }

    /// A reading of a later revision: its own cross-reference sections
    /// (at or after `floor`) read by this crate, everything older taken
    /// from `below`. Unlike [`Loaded::open`], no fallback: what does not
    /// read is an error.
    pub(crate) fn open_over(
        bytes: &'a [u8],
        floor: usize,
        below: &Loaded<'_>,
        follow: &'static [&'static [u8]],
    ) -> Result<Loaded<'a>, PdfError> {
        let mut lazy = Lazy::open_over(bytes, floor, below)?;
        lazy.load_structure(follow)?;
        Ok(Loaded::Lazy(Box::new(lazy)))
    }

    /// The cross-reference entry that wins for object number `num`.
    pub(crate) fn entry(&self, num: u32) -> Option<&lopdf::xref::XrefEntry> {
        match self {
            Loaded::Lazy(l) => l.reader.document.reference_table.get(num),
            Loaded::Full(d) => d.reference_table.get(num),
        }
    }

    /// Whether the cross-reference table has this object (in use).
    pub(crate) fn has(&self, id: ObjectId) -> bool {
        match self {
            Loaded::Lazy(l) => l.has(id),
            Loaded::Full(d) => d.objects.contains_key(&id),
        }
    }

    pub(crate) fn doc(&self) -> &Document {
        match self {
            Loaded::Lazy(l) => &l.doc,
            Loaded::Full(d) => d,
        }
    }

    pub(crate) fn into_doc(self) -> Document {
        match self {
            Loaded::Lazy(l) => l.doc,
            Loaded::Full(d) => *d,
        }
    }

    /// Makes sure these objects, and the structure they lead to, are
    /// loaded (if the document has them).
    pub(crate) fn ensure(&mut self, ids: impl IntoIterator<Item = ObjectId>) {
        if let Loaded::Lazy(l) = self {
            l.load_closure(ids);
        }
    }

    /// The page count and the ids of the `wanted` pages. A lazily read file
    /// whose page tree does not add up is walked whole, like lopdf does.
    pub(crate) fn pages(
        &mut self,
        wanted: &std::collections::BTreeSet<usize>,
    ) -> Result<(usize, std::collections::BTreeMap<usize, ObjectId>), PdfError> {
        if let Loaded::Lazy(l) = self {
            if let Ok(found) = l.pages(wanted) {
                return Ok(found);
            }
            l.load_whole_page_tree()?;
        }
        let all: Vec<ObjectId> = self.doc().page_iter().collect();
        let found = wanted
            .iter()
            .filter_map(|i| all.get(*i).map(|id| (*i, *id)))
            .collect();
        Ok((all.len(), found))
    }

    /// Loads every page (a no-op for a fully loaded document).
    pub(crate) fn load_all_pages(&mut self) -> Result<(), PdfError> {
        match self {
            Loaded::Lazy(l) => l.load_whole_page_tree(),
            Loaded::Full(_) => Ok(()),
        }
    }

    /// Objects defined by the updates that start at or after `offset`; for
    /// a fully loaded document, every object.
    pub(crate) fn defined_since(&self, offset: usize) -> Vec<ObjectId> {
        match self {
            Loaded::Lazy(l) => l.defined_since(offset),
            Loaded::Full(d) => d.objects.keys().copied().collect(),
        }
    }

    /// Object numbers in use according to the cross-reference table.
    pub(crate) fn in_use(&self) -> std::collections::BTreeSet<u32> {
        let table = match self {
            Loaded::Lazy(l) => &l.reader.document.reference_table,
            Loaded::Full(d) => &d.reference_table,
        };
        table
            .entries
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e,
                    lopdf::xref::XrefEntry::Normal { .. }
                        | lopdf::xref::XrefEntry::Compressed { .. }
                )
            })
            .map(|(n, _)| *n)
            .collect()
    }
}
