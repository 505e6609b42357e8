//! What later revisions change, judged against what a stamping update may change.

use crate::parse::{self, dict_of, resolve};
use crate::{syntax, PdfError};
use lopdf::{Dictionary, Document, Object, ObjectId};
use memchr::memmem;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// One change a later revision is not allowed to make, or one reason its
/// bytes cannot be trusted to read the same in every reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Object number and generation; `(0, 0)` for file-level problems.
    pub object: (u32, u16),
    /// Which revision (1 = the first update after the checked prefix) made the change.
    pub revision: usize,
    pub reason: String,
}

/// What one later revision does, to describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RevisionSummary {
    /// Objects it adds.
    pub new: usize,
    /// Existing objects it gives new versions (allowed or not).
    pub changed: usize,
    /// Offset just past its `%%EOF` (and end of line).
    pub end: usize,
}

/// Result of [`crate::check_revisions`] and [`crate::check_later_revisions`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevisionReport {
    /// Number of incremental updates found after the checked prefix
    /// (one whose cross-reference does not read counts, and is a violation).
    pub revisions: usize,
    /// One entry per revision that could be read, in file order.
    pub per_revision: Vec<RevisionSummary>,
    /// Objects added by the updates.
    pub new_objects: Vec<(u32, u16)>,
    /// Existing objects the updates gave new versions (allowed or not).
    pub changed_objects: Vec<(u32, u16)>,
    pub violations: Vec<Violation>,
}

impl RevisionReport {
    /// True when every later change is one a stamping update may make.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Which allowed-changes table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rules {
    /// What a stamping update may change (docflow's own stamp).
    Stamping,
    /// The same, and nothing visible may be added: for revisions after
    /// docflow's stamp, which nobody signed.
    AfterStamp,
}

/// Offsets just past each `%%EOF` (and its end-of-line) that follows a `startxref`.
fn revision_ends(pdf: &[u8], from: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    for at in memmem::find_iter(&pdf[from..], b"%%EOF").map(|p| from + p) {
        let mut end = at + 5;
        if pdf.get(end) == Some(&b'\r') {
            end += 1;
        }
        if pdf.get(end) == Some(&b'\n') {
            end += 1;
        }
        let before = &pdf[at.saturating_sub(48)..at];
        if memmem::rfind(before, b"startxref").is_some() {
            ends.push(end);
        }
    }
    ends
}

/// One incremental update after the checked prefix, as its own
/// cross-reference section(s) state it.
struct Rev {
    /// Its bytes: from the end of the one before to just past its `%%EOF`.
    start: usize,
    end: usize,
    /// Its cross-reference section (`startxref`) and, in a hybrid file, the
    /// stream named by /XRefStm.
    xref: usize,
    xref_stm: Option<usize>,
    /// The /Prev it states, if any.
    prev: Option<usize>,
    rows: Vec<parse::XrefRow>,
}

/// Reads the revision that ends at `end` and whose bytes start at `start`:
/// its `startxref` must point at a cross-reference section inside them.
fn read_revision(pdf: &[u8], start: usize, end: usize) -> Result<Rev, String> {
    let bytes = &pdf[..end];
    let tail = parse::tail(bytes).map_err(|e| e.to_string())?;
    let xref = tail.startxref;
    if xref < start {
        return Err(format!(
            "startxref {xref} points before the revision's own bytes (from {start})"
        ));
    }
    let (dict, mut rows, _) = parse::read_section(bytes, xref)
        .map_err(|e| format!("the cross-reference section at {xref}: {e}"))?;
    let xref_stm = match dict.get(b"XRefStm") {
        Err(_) => None,
        Ok(o) => {
            let stm = o
                .as_i64()
                .ok()
                .and_then(|v| usize::try_from(v).ok())
                .filter(|v| (start..end).contains(v))
                .ok_or_else(|| "/XRefStm does not point inside the revision".to_string())?;
            let (_, more, _) = parse::read_section(bytes, stm)
                .map_err(|e| format!("the cross-reference stream at {stm}: {e}"))?;
            rows.extend(more);
            Some(stm)
        }
    };
    let prev = match dict.get(b"Prev") {
        Err(_) => None,
        Ok(o) => Some(
            o.as_i64()
                .ok()
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| "/Prev is not an offset".to_string())?,
        ),
    };
    Ok(Rev {
        start,
        end,
        xref,
        xref_stm,
        prev,
        rows,
    })
}

/// The revisions after `from`, and why the last one does not read, if it
/// does not. A `%%EOF` whose revision does not read is skipped unless it is
/// the last: it may sit inside a stream (say, an embedded PDF). Skipping
/// hides nothing: objects in the skipped bytes are found by the header
/// scan, and a revision that points at a skipped section fails to read.
fn find_revisions(pdf: &[u8], from: usize) -> (Vec<Rev>, Option<String>) {
    let ends = revision_ends(pdf, from);
    let mut revs: Vec<Rev> = Vec::new();
    let mut start = from;
    for (i, &end) in ends.iter().enumerate() {
        match read_revision(pdf, start, end) {
            Ok(rev) => {
                start = end;
                revs.push(rev);
            }
            Err(_) if i + 1 < ends.len() => continue,
            Err(why) => return (revs, Some(why)),
        }
    }
    (revs, None)
}

pub(crate) fn check_revisions(
    pdf: &[u8],
    original_len: usize,
    rules: Rules,
) -> Result<RevisionReport, PdfError> {
    if original_len > pdf.len() || original_len == 0 {
        return Err(PdfError::NotARevision(original_len));
    }
    let prefix = &pdf[..original_len];
    let mut body_end = prefix.len();
    while body_end > 0 && matches!(prefix[body_end - 1], b'\r' | b'\n' | b' ' | b'\t') {
        body_end -= 1;
    }
    if !prefix[..body_end].ends_with(b"%%EOF") {
        return Err(PdfError::NotARevision(original_len));
    }
    let prefix_tail = parse::tail(prefix)?;
    // The checked prefix may be read however it reads (it is hash-checked
    // by the caller); what follows is read strictly, on top of it.
    let mut prev = parse::Loaded::open(prefix, parse::STRUCTURE)?;
    let mut report = RevisionReport::default();
    let (revs, unreadable) = find_revisions(pdf, original_len);
    let mut new_all = BTreeSet::new();
    let mut changed_all = BTreeSet::new();
    // Every object a later revision defines, with the last revision to define it.
    let mut defined_by: BTreeMap<ObjectId, usize> = BTreeMap::new();
    let mut read_all = true;
    report.revisions = revs.len() + usize::from(unreadable.is_some());
    for (i, rev) in revs.iter().enumerate() {
        let r = i + 1;
        let flag = |report: &mut RevisionReport, object: ObjectId, reason: String| {
            report.violations.push(Violation {
                object,
                revision: r,
                reason,
            })
        };
        // An update's /Prev names the cross-reference of the revision before it.
        let wanted = if i == 0 {
            prefix_tail.startxref
        } else {
            revs[i - 1].xref
        };
        match rev.prev {
            Some(p) if p == wanted => {}
            Some(p) => flag(
                &mut report,
                (0, 0),
                format!(
                    "its cross-reference's /Prev is {p}, not the previous revision's cross-reference at {wanted}"
                ),
            ),
            None => flag(
                &mut report,
                (0, 0),
                "its cross-reference has no /Prev: the revisions before it are cut off".into(),
            ),
        }
        let bytes = &pdf[..rev.end];
        let mut next = match parse::Loaded::open_over(bytes, rev.start, &prev, parse::STRUCTURE) {
            Ok(n) => n,
            Err(PdfError::Encrypted) => {
                flag(
                    &mut report,
                    (0, 0),
                    "later revision encrypts the document".into(),
                );
                read_all = false;
                break;
            }
            Err(e) => {
                flag(
                    &mut report,
                    (0, 0),
                    format!("its cross-reference or document structure does not read: {e}"),
                );
                read_all = false;
                break;
            }
        };
        for (object, reason) in entry_problems(bytes, rev, &mut next) {
            flag(&mut report, object, reason);
        }
        // Only what this revision defines can differ from the previous one;
        // both sides load those objects and each other's structure.
        let defined = next.defined_since(rev.start);
        next.ensure(defined.iter().copied());
        next.ensure(prev.doc().objects.keys().copied().collect::<Vec<_>>());
        prev.ensure(next.doc().objects.keys().copied().collect::<Vec<_>>());
        // A changed array may be a page's indirect /Annots: telling needs
        // every page, so only then is the whole page tree read.
        if defined
            .iter()
            .any(|id| matches!(prev.doc().objects.get(id), Some(Object::Array(_))))
        {
            prev.load_all_pages()?;
            next.ensure(prev.doc().objects.keys().copied().collect::<Vec<_>>());
        }
        let mut diff = compare(prev.doc(), next.doc(), r, rules);
        let (before, after) = (prev.in_use(), next.in_use());
        let flagged: BTreeSet<u32> = diff.violations.iter().map(|v| v.object.0).collect();
        for n in before.difference(&after).filter(|n| !flagged.contains(n)) {
            diff.violations.push(Violation {
                object: (*n, 0),
                revision: r,
                reason: "object dropped from the cross-reference chain".into(),
            });
        }
        let in_use = defined_numbers(rev);
        for row in &rev.rows {
            // The generation stated is the next one to use; the freed object had one less.
            // (A hybrid file's table marks as free what its /XRefStm defines.)
            if let parse::XrefRow::Free { num, generation } = *row {
                if num != 0 && !in_use.contains(&num) {
                    diff.violations.push(Violation {
                        object: (num, generation.saturating_sub(1)),
                        revision: r,
                        reason: "object freed by a cross-reference entry".into(),
                    });
                }
            }
        }
        report.per_revision.push(RevisionSummary {
            new: diff.new.len(),
            changed: diff.changed.len(),
            end: rev.end,
        });
        new_all.extend(diff.new);
        changed_all.extend(diff.changed);
        report.violations.extend(diff.violations);
        for id in defined {
            defined_by.insert(id, r);
        }
        prev = next;
    }
    let last_end = revs.last().map_or(original_len, |r| r.end);
    if let Some(why) = &unreadable {
        report.violations.push(Violation {
            object: (0, 0),
            revision: report.revisions,
            reason: format!("its cross-reference does not read: {why}"),
        });
    } else if read_all
        && pdf[last_end..]
            .iter()
            .any(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t' | b'\0'))
    {
        report.violations.push(Violation {
            object: (0, 0),
            revision: report.revisions + 1,
            reason: format!(
                "{} bytes after the last complete revision",
                pdf.len() - last_end
            ),
        });
    }
    report
        .violations
        .extend(stray_headers(pdf, original_len, &revs));
    if read_all && unreadable.is_none() && !revs.is_empty() {
        report
            .violations
            .extend(disagreements(pdf, &mut prev, &defined_by, revs.len()));
    }
    report.new_objects = new_all.into_iter().collect();
    report.changed_objects = changed_all.into_iter().collect();
    Ok(report)
}

/// Each object the revision's cross-reference defines must be there, at its
/// offset, with its number, in syntax with nothing to recover from, and
/// read; each number at most once. (object, reason) pairs.
fn entry_problems(
    bytes: &[u8],
    rev: &Rev,
    next: &mut parse::Loaded<'_>,
) -> Vec<(ObjectId, String)> {
    use lopdf::xref::XrefEntry;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut containers: BTreeMap<u32, Vec<(u32, u16)>> = BTreeMap::new();
    for row in &rev.rows {
        let num = match *row {
            parse::XrefRow::Free { .. } => continue,
            parse::XrefRow::Normal { num, .. } | parse::XrefRow::Compressed { num, .. } => num,
        };
        if num != 0 && !seen.insert(num) {
            out.push((
                (num, 0),
                "defined twice in the revision's cross-reference".to_string(),
            ));
        }
        match *row {
            parse::XrefRow::Normal {
                num,
                offset,
                generation,
            } if num != 0 => {
                let id = (num, generation);
                let offset = offset as usize;
                if let Err(why) = entry_problem(bytes, id, offset, next) {
                    out.push((id, format!("does not parse at offset {offset}: {why}")));
                }
            }
            parse::XrefRow::Compressed {
                num,
                container,
                index,
            } if num != 0 => containers.entry(container).or_default().push((num, index)),
            _ => {}
        }
    }
    // The cross-reference streams themselves, listed in their rows or not.
    for at in std::iter::once(rev.xref).chain(rev.xref_stm) {
        match parse::trailer_position(bytes, at) {
            Some(t) => {
                if let Err(why) = syntax::trailer(bytes, t) {
                    out.push(((0, 0), format!("its trailer does not parse: {why}")));
                }
            }
            None => {
                let (n, a) = parse::token(bytes, at);
                let (g, _) = parse::token(bytes, a);
                if let (Some(n), Some(g)) = (parse::int::<u32>(n), parse::int::<u16>(g)) {
                    if !seen.contains(&n) {
                        if let Err(why) = entry_problem(bytes, (n, g), at, next) {
                            out.push(((n, g), format!("does not parse at offset {at}: {why}")));
                        }
                    }
                }
            }
        }
    }
    for (container, members) in containers {
        let data = container_data(bytes, next, container);
        for (num, index) in members {
            let id = (num, 0);
            let winner = matches!(
                next.entry(num),
                Some(XrefEntry::Compressed { container: c, index: i }) if *c == container && *i == index
            );
            let problem = match &data {
                Err(why) => Some(why.clone()),
                Ok((data, offsets)) => match offsets.get(&num) {
                    None => Some(format!("not in object stream {container}")),
                    Some(&at) => syntax::compressed(data, at).err(),
                },
            }
            .or_else(|| {
                winner
                    .then(|| {
                        next.ensure([id]);
                        (!next.doc().objects.contains_key(&id))
                            .then(|| format!("not read from object stream {container}"))
                    })
                    .flatten()
            });
            if let Some(why) = problem {
                out.push((
                    id,
                    format!("does not parse (object stream {container}): {why}"),
                ));
            }
        }
    }
    out
}

/// The object numbers a revision's cross-reference defines (in use).
fn defined_numbers(rev: &Rev) -> BTreeSet<u32> {
    rev.rows
        .iter()
        .filter_map(|row| match *row {
            parse::XrefRow::Normal { num, .. } | parse::XrefRow::Compressed { num, .. } => {
                Some(num)
            }
            parse::XrefRow::Free { .. } => None,
        })
        .collect()
}

/// Why the object `id` at `offset` does not read, if it does not.
fn entry_problem(
    bytes: &[u8],
    id: ObjectId,
    offset: usize,
    next: &mut parse::Loaded<'_>,
) -> Result<(), String> {
    if offset >= bytes.len() {
        return Err("the offset is past the end of the revision".into());
    }
    let data_start = syntax::indirect(bytes, offset, id)?;
    let parsed = parse::read_object_at(bytes, id, offset).map_err(|e| e.to_string())?;
    // The object as the revision check reads it (the data of a stream with
    // an indirect /Length comes from there), when this entry is the one in use.
    let in_use = matches!(
        next.entry(id.0),
        Some(lopdf::xref::XrefEntry::Normal { offset: o, generation: g })
            if *o as usize == offset && *g == id.1
    );
    let read = if in_use {
        next.ensure([id]);
        next.doc().objects.get(&id).cloned()
    } else {
        Some(parsed)
    };
    let Some(read) = read else {
        return Err("it is not read".into());
    };
    if let (Some(start), Object::Stream(s)) = (data_start, &read) {
        if s.dict.get(b"Length").and_then(Object::as_reference).is_ok() {
            return Err("its stream /Length does not resolve".into());
        }
        syntax::stream_end(bytes, start, s.content.len())?;
    }
    Ok(())
}

/// The decoded data of object stream `container` and where each of its
/// objects starts in it.
#[allow(clippy::type_complexity)]
fn container_data(
    bytes: &[u8],
    next: &parse::Loaded<'_>,
    container: u32,
) -> Result<(Vec<u8>, BTreeMap<u32, usize>), String> {
    let Some(lopdf::xref::XrefEntry::Normal { offset, generation }) = next.entry(container) else {
        return Err(format!(
            "object stream {container} is not in the cross-reference"
        ));
    };
    let stream = match parse::read_object_at(bytes, (container, *generation), *offset as usize) {
        Ok(Object::Stream(s)) => s,
        _ => return Err(format!("object stream {container} does not read")),
    };
    let data = if stream.dict.has(b"Filter") {
        stream
            .decompressed_content()
            .map_err(|e| format!("object stream {container}: {e}"))?
    } else {
        stream.content.clone()
    };
    let first = stream
        .dict
        .get(b"First")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| format!("object stream {container} has no /First"))?;
    let count = stream
        .dict
        .get(b"N")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| format!("object stream {container} has no /N"))?;
    let mut offsets = BTreeMap::new();
    let mut p = 0;
    let head = data.get(..first).unwrap_or(&data);
    for _ in 0..count {
        let (n, a) = parse::token(head, p);
        let (o, b) = parse::token(head, a);
        p = b;
        match (parse::int::<u32>(n), parse::int::<usize>(o)) {
            (Some(n), Some(o)) => {
                offsets.entry(n).or_insert(first.saturating_add(o));
            }
            _ => return Err(format!("object stream {container} has a bad header")),
        }
    }
    Ok((data, offsets))
}

/// Every `N G obj` header after `from` that no cross-reference section of
/// a later revision points at: a reader that reconstructs the
/// cross-reference (poppler and qpdf do, when it looks damaged to them)
/// would find and may use it.
fn stray_headers(pdf: &[u8], from: usize, revs: &[Rev]) -> Vec<Violation> {
    let mut pointed = BTreeSet::new();
    for rev in revs {
        pointed.insert(parse::skip_ws(pdf, rev.xref));
        if let Some(stm) = rev.xref_stm {
            pointed.insert(parse::skip_ws(pdf, stm));
        }
        for row in &rev.rows {
            if let parse::XrefRow::Normal { offset, .. } = *row {
                pointed.insert(parse::skip_ws(pdf, offset as usize));
            }
        }
    }
    object_headers(pdf, from)
        .into_iter()
        .filter(|(at, _)| !pointed.contains(at))
        .map(|(at, id)| Violation {
            object: id,
            revision: revs
                .iter()
                .position(|r| (r.start..r.end).contains(&at))
                .map_or(revs.len() + 1, |i| i + 1),
            reason: format!(
                "object {} {} defined at offset {at} but not in the cross-reference (a reader that reconstructs it, such as poppler, may use it)",
                id.0, id.1
            ),
        })
        .collect()
}

/// Positions and ids of the `N G obj` headers in `pdf[from..]`, found the
/// way a reconstructing reader finds them: two integers and `obj`,
/// separated by whitespace, whatever comes before or after.
fn object_headers(pdf: &[u8], from: usize) -> Vec<(usize, ObjectId)> {
    let back = |end: usize, pred: fn(u8) -> bool| {
        let mut p = end;
        while p > from && pred(pdf[p - 1]) {
            p -= 1;
        }
        p
    };
    let ws: fn(u8) -> bool = parse::is_ws;
    let digit: fn(u8) -> bool = |b| b.is_ascii_digit();
    let mut out = Vec::new();
    for q in memmem::find_iter(&pdf[from..], b"obj").map(|q| from + q) {
        let w1 = back(q, ws);
        let g = back(w1, digit);
        let w2 = back(g, ws);
        let n = back(w2, digit);
        if w1 == q || g == w1 || w2 == g || n == w2 {
            continue;
        }
        let num = std::str::from_utf8(&pdf[n..w2])
            .ok()
            .and_then(|s| s.parse().ok());
        let gen = std::str::from_utf8(&pdf[g..w1])
            .ok()
            .and_then(|s| s.parse().ok());
        if let (Some(num), Some(gen)) = (num, gen) {
            out.push((n, (num, gen)));
        }
    }
    out
}

/// The two readings must agree: every object a later revision defines, as
/// read here, against lopdf's full load of the whole file (which reads
/// every object by its own parser, from the whole buffer).
fn disagreements(
    pdf: &[u8],
    last: &mut parse::Loaded<'_>,
    defined_by: &BTreeMap<ObjectId, usize>,
    revisions: usize,
) -> Vec<Violation> {
    let full = match parse::load(pdf) {
        Ok(d) => d,
        Err(e) => {
            return vec![Violation {
                object: (0, 0),
                revision: revisions,
                reason: format!(
                    "lopdf's full load of the file fails ({e}) where the revisions read: the readers disagree"
                ),
            }]
        }
    };
    let ids: Vec<ObjectId> = defined_by
        .keys()
        .copied()
        .filter(|id| last.has(*id))
        .collect();
    last.ensure(ids.iter().copied());
    let mut out = Vec::new();
    for id in ids {
        // What does not read here is reported as not parsing already.
        let Some(lazy) = last.doc().objects.get(&id) else {
            continue;
        };
        let reason = match full.objects.get(&id) {
            None => "lopdf's full load of the file does not have it: the readers disagree",
            Some(f) if !same(f, lazy) => {
                "lopdf's full load of the file reads it differently: the readers disagree"
            }
            Some(_) => continue,
        };
        out.push(Violation {
            object: id,
            revision: defined_by.get(&id).copied().unwrap_or(revisions),
            reason: reason.into(),
        });
    }
    out
}

struct Diff {
    new: Vec<ObjectId>,
    changed: Vec<ObjectId>,
    violations: Vec<Violation>,
}

/// Equality that ignores where a stream sat in the file.
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

fn type_of(obj: &Object) -> Option<&[u8]> {
    dict_of(obj).and_then(|d| d.get(b"Type").ok()?.as_name().ok())
}

fn subtype_of(obj: &Object) -> Option<&[u8]> {
    dict_of(obj).and_then(|d| d.get(b"Subtype").ok()?.as_name().ok())
}

/// Keys whose values differ between two dictionaries.
fn changed_keys(a: &Dictionary, b: &Dictionary) -> BTreeSet<Vec<u8>> {
    let mut keys = BTreeSet::new();
    for (k, v) in a.iter() {
        if b.get(k).map_or(true, |w| !same(v, w)) {
            keys.insert(k.clone());
        }
    }
    for (k, _) in b.iter() {
        if !a.has(k) {
            keys.insert(k.clone());
        }
    }
    keys
}

/// The resolved array at `key` (empty when absent), for "entries only appended" checks.
fn array_at(doc: &Document, d: &Dictionary, key: &[u8]) -> Option<Vec<Object>> {
    match d.get(key) {
        Err(_) => Some(Vec::new()),
        Ok(o) => resolve(doc, o).as_array().ok().cloned(),
    }
}

fn appended_only(old: &[Object], new: &[Object]) -> bool {
    new.len() >= old.len() && old.iter().zip(new).all(|(a, b)| same(a, b))
}

fn name_key(k: &[u8]) -> String {
    String::from_utf8_lossy(k).into_owned()
}

/// Active content that a stamping update must never bring in.
fn forbidden_content(obj: &Object, depth: u32) -> Option<String> {
    if depth > 32 {
        return None;
    }
    match obj {
        Object::Dictionary(d) => forbidden_in_dict(d, depth),
        Object::Stream(s) => forbidden_in_dict(&s.dict, depth),
        Object::Array(a) => a.iter().find_map(|o| forbidden_content(o, depth + 1)),
        _ => None,
    }
}

fn forbidden_in_dict(d: &Dictionary, depth: u32) -> Option<String> {
    for key in [&b"JS"[..], b"JavaScript", b"OpenAction", b"AA", b"A"] {
        if d.has(key) {
            return Some(format!("adds /{}", name_key(key)));
        }
    }
    if let Ok(s) = d.get(b"S").and_then(Object::as_name) {
        if matches!(s, b"JavaScript" | b"Launch" | b"SubmitForm" | b"ImportData") {
            return Some(format!("adds a /{} action", name_key(s)));
        }
    }
    d.iter().find_map(|(_, v)| forbidden_content(v, depth + 1))
}

/// Kinds of new object that are allowed on their own.
fn allowed_kind(obj: &Object) -> bool {
    let t = type_of(obj);
    let st = subtype_of(obj);
    match t {
        Some(b"Annot") => true,
        Some(b"Font" | b"FontDescriptor" | b"EmbeddedFile" | b"Filespec" | b"XRef" | b"ObjStm") => {
            true
        }
        Some(b"Page" | b"Pages") => true,
        Some(b"XObject") => st == Some(b"Form"),
        Some(_) => false,
        // Untyped annotations and forms are common enough to recognise by subtype.
        None => matches!(st, Some(b"Stamp" | b"FreeText" | b"Form")),
    }
}

fn is_name_tree_node(obj: &Object) -> bool {
    match obj {
        Object::Dictionary(d) => {
            type_of(obj).is_none()
                && (d.has(b"Names") || d.has(b"Kids"))
                && d.iter()
                    .all(|(k, _)| matches!(k.as_slice(), b"Names" | b"Kids" | b"Limits"))
        }
        _ => false,
    }
}

fn references(obj: &Object, out: &mut Vec<ObjectId>, depth: u32) {
    if depth > 64 {
        return;
    }
    match obj {
        Object::Reference(id) => out.push(*id),
        Object::Array(a) => a.iter().for_each(|o| references(o, out, depth + 1)),
        Object::Dictionary(d) => d.iter().for_each(|(_, o)| references(o, out, depth + 1)),
        Object::Stream(s) => s
            .dict
            .iter()
            .for_each(|(_, o)| references(o, out, depth + 1)),
        _ => {}
    }
}

fn compare(prev: &Document, next: &Document, rev: usize, rules: Rules) -> Diff {
    let mut violations = Vec::new();
    let mut flag = |id: ObjectId, reason: String| {
        violations.push(Violation {
            object: id,
            revision: rev,
            reason,
        })
    };
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for (id, obj) in &next.objects {
        match prev.objects.get(id) {
            None => new.push(*id),
            Some(old) if !same(old, obj) => changed.push(*id),
            Some(_) => {}
        }
    }
    for id in prev.objects.keys() {
        if !next.objects.contains_key(id) {
            flag(
                *id,
                "object deleted (freed or dropped from the cross-reference)".into(),
            );
        }
    }

    let root_prev = parse::root_id(prev).ok();
    let root_next = parse::root_id(next).ok();
    if root_prev != root_next {
        flag(root_next.unwrap_or((0, 0)), "trailer /Root changed".into());
    }
    if next.trailer.has(b"Encrypt") || next.encryption_state.is_some() {
        flag((0, 0), "later revision encrypts the document".into());
    }
    if let (Ok(a), Ok(b)) = (prev.trailer.get(b"Info"), next.trailer.get(b"Info")) {
        if a != b {
            flag((0, 0), "trailer /Info replaced".into());
        }
    }

    // Roles of existing objects, from the previous revision.
    // (Every page is loaded when this matters: see check_revisions.)
    // Indirect /Annots arrays, with the page they belong to.
    let annots_arrays: BTreeMap<ObjectId, ObjectId> = prev
        .objects
        .iter()
        .filter(|(_, o)| type_of(o) == Some(b"Page".as_slice()))
        .filter_map(|(id, o)| Some((dict_of(o)?.get(b"Annots").ok()?.as_reference().ok()?, *id)))
        .collect();
    let names_dict_id = root_prev
        .and_then(|r| prev.get_dictionary(r).ok())
        .and_then(|c| c.get(b"Names").ok()?.as_reference().ok());

    // Objects whose (new) references may bring in untyped helper objects.
    let mut allowed: BTreeSet<ObjectId> = BTreeSet::new();
    for id in &changed {
        let (Some(old), Some(cur)) = (prev.objects.get(id), next.objects.get(id)) else {
            continue;
        };
        match check_changed(
            prev,
            next,
            *id,
            old,
            cur,
            root_prev,
            &annots_arrays,
            names_dict_id,
        ) {
            Ok(()) => {
                allowed.insert(*id);
            }
            Err(reason) => flag(*id, reason),
        }
    }
    if rules == Rules::AfterStamp {
        for (id, reason) in visible_additions(prev, next, &changed, &annots_arrays) {
            flag(id, reason);
        }
        // The stamping table lets /EmbeddedFiles change (a stamp adds the
        // evidence); after the stamp, what is embedded must stay.
        let names_changed = names_dict_id.is_some_and(|n| changed.contains(&n));
        if let (Some(root), true) = (
            root_next,
            root_prev.is_some_and(|r| changed.contains(&r)) || names_changed,
        ) {
            let before = embedded_files(prev, root_prev);
            let after = embedded_files(next, root_next);
            for (name, spec) in &before {
                if after.get(name).is_none_or(|s| !same(s, spec)) {
                    flag(
                        root,
                        format!(
                            "removes or replaces the embedded file {:?}",
                            parse::decode_text(name)
                        ),
                    );
                }
            }
        }
    }

    let new_set: BTreeSet<ObjectId> = new.iter().copied().collect();
    for id in &new {
        let Some(obj) = next.objects.get(id) else {
            continue;
        };
        if let Some(reason) = forbidden_content(obj, 0) {
            // Annotations may not carry actions either, so /A is flagged here too.
            flag(*id, reason);
            continue;
        }
        if allowed_kind(obj) {
            allowed.insert(*id);
        }
    }
    // Untyped helpers (content streams, CMaps, font programs, arrays, name-tree nodes,
    // name dictionaries) are allowed when an allowed object refers to them.
    let mut frontier: Vec<ObjectId> = allowed.iter().copied().collect();
    while let Some(id) = frontier.pop() {
        let mut refs = Vec::new();
        if let Some(o) = next.objects.get(&id) {
            references(o, &mut refs, 0);
        }
        for r in refs {
            if new_set.contains(&r) && !allowed.contains(&r) {
                let ok = next
                    .objects
                    .get(&r)
                    .is_some_and(|o| type_of(o).is_none() && forbidden_content(o, 0).is_none());
                if ok {
                    allowed.insert(r);
                    frontier.push(r);
                }
            }
        }
    }
    for id in &new {
        let Some(obj) = next.objects.get(id) else {
            continue;
        };
        if !allowed.contains(id) && forbidden_content(obj, 0).is_none() {
            let kind = type_of(obj).map_or_else(|| "untyped".to_string(), name_key);
            let reason = if is_name_tree_node(obj) {
                "name-tree node not referenced from an allowed object".to_string()
            } else {
                format!("new object of a kind not allowed here ({kind})")
            };
            flag(*id, reason);
        }
    }
    Diff {
        new,
        changed,
        violations,
    }
}

/// The entries of the catalogue's /EmbeddedFiles name tree, by key.
fn embedded_files(doc: &Document, root: Option<ObjectId>) -> BTreeMap<Vec<u8>, Object> {
    let mut entries = BTreeMap::new();
    let Some(tree) = root
        .and_then(|r| doc.get_dictionary(r).ok())
        .and_then(|c| resolve(doc, c.get(b"Names").ok()?).as_dict().ok())
        .and_then(|n| n.get(b"EmbeddedFiles").ok())
    else {
        return entries;
    };
    let mut stack = vec![(tree.clone(), 0u32)];
    let mut seen = BTreeSet::new();
    while let Some((node, depth)) = stack.pop() {
        if let Object::Reference(id) = node {
            if !seen.insert(id) {
                continue;
            }
        }
        let Ok(d) = resolve(doc, &node).as_dict() else {
            continue;
        };
        if let Ok(names) = d
            .get(b"Names")
            .map(|o| resolve(doc, o))
            .and_then(Object::as_array)
        {
            for pair in names.chunks(2) {
                if let [Object::String(k, _), v] = pair {
                    entries.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        if depth < 16 {
            if let Ok(kids) = d
                .get(b"Kids")
                .map(|o| resolve(doc, o))
                .and_then(Object::as_array)
            {
                stack.extend(kids.iter().map(|k| (k.clone(), depth + 1)));
            }
        }
    }
    entries
}

fn reference(id: ObjectId) -> String {
    format!("{} {} R", id.0, id.1)
}

/// What the changed objects append that a viewer shows: annotations on an
/// existing page (in its /Annots, direct or indirect) and kids of a
/// page-tree node. Appending is all [`check_changed`] lets through; what
/// else changed is reported there.
fn visible_additions(
    prev: &Document,
    next: &Document,
    changed: &[ObjectId],
    annots_arrays: &BTreeMap<ObjectId, ObjectId>,
) -> Vec<(ObjectId, String)> {
    let mut out = Vec::new();
    let mut annotations = |page: ObjectId, old: &[Object], new: &[Object]| {
        if !appended_only(old, new) {
            return;
        }
        for a in &new[old.len()..] {
            if hidden_signature_widget(next, a) {
                continue;
            }
            let (object, what) = match a {
                Object::Reference(r) => (*r, format!("annotation {}", reference(*r))),
                _ => (page, "an annotation (a direct dictionary)".to_string()),
            };
            out.push((
                object,
                format!(
                    "adds visible content nobody signed: {what} on page {}",
                    reference(page)
                ),
            ));
        }
    };
    let mut kids_added = Vec::new();
    for id in changed {
        let (Some(old), Some(cur)) = (prev.objects.get(id), next.objects.get(id)) else {
            continue;
        };
        match (old, cur) {
            (Object::Array(a), Object::Array(b)) => {
                if let Some(page) = annots_arrays.get(id) {
                    annotations(*page, a, b);
                }
            }
            (Object::Dictionary(a), Object::Dictionary(b)) => {
                match a.get(b"Type").and_then(Object::as_name).ok() {
                    Some(b"Page") => {
                        if let (Some(x), Some(y)) =
                            (array_at(prev, a, b"Annots"), array_at(next, b, b"Annots"))
                        {
                            annotations(*id, &x, &y);
                        }
                    }
                    Some(b"Pages") => {
                        if let (Some(x), Some(y)) =
                            (array_at(prev, a, b"Kids"), array_at(next, b, b"Kids"))
                        {
                            if appended_only(&x, &y) {
                                kids_added.extend(y[x.len()..].iter().map(|k| (*id, k.clone())));
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for (node, kid) in kids_added {
        let (object, what) = match kid {
            Object::Reference(r) => (r, format!("page {}", reference(r))),
            _ => (node, "a page".to_string()),
        };
        out.push((
            object,
            format!(
                "adds visible content nobody signed: {what} appended to the page tree (node {})",
                reference(node)
            ),
        ));
    }
    out
}

/// A signature field's widget that is not shown: /Subtype /Widget, /FT
/// /Sig on it or a parent field, and a /Rect of zero area or the Hidden
/// (bit 2) or NoView (bit 6) flag in /F.
fn hidden_signature_widget(doc: &Document, annot: &Object) -> bool {
    let Ok(d) = resolve(doc, annot).as_dict() else {
        return false;
    };
    if d.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Widget".as_slice()) {
        return false;
    }
    // /FT is inherited down the field hierarchy.
    let mut node = d;
    let mut signature = false;
    for _ in 0..32 {
        if let Ok(ft) = node.get(b"FT") {
            signature = resolve(doc, ft).as_name().ok() == Some(b"Sig".as_slice());
            break;
        }
        match node
            .get(b"Parent")
            .ok()
            .and_then(|p| resolve(doc, p).as_dict().ok())
        {
            Some(parent) => node = parent,
            None => break,
        }
    }
    if !signature {
        return false;
    }
    let flags = d
        .get(b"F")
        .ok()
        .and_then(|f| resolve(doc, f).as_i64().ok())
        .unwrap_or(0);
    if flags & (2 | 32) != 0 {
        return true;
    }
    let rect: Option<Vec<f64>> = d
        .get(b"Rect")
        .ok()
        .and_then(|r| resolve(doc, r).as_array().ok())
        .and_then(|a| {
            a.iter()
                .map(|v| match resolve(doc, v) {
                    Object::Integer(i) => Some(*i as f64),
                    Object::Real(r) => Some(f64::from(*r)),
                    _ => None,
                })
                .collect()
        });
    matches!(rect.as_deref(), Some([x0, y0, x1, y1]) if (x1 - x0) * (y1 - y0) == 0.0)
}

#[allow(clippy::too_many_arguments)]
fn check_changed(
    prev: &Document,
    next: &Document,
    id: ObjectId,
    old: &Object,
    cur: &Object,
    root: Option<ObjectId>,
    annots_arrays: &BTreeMap<ObjectId, ObjectId>,
    names_dict_id: Option<ObjectId>,
) -> Result<(), String> {
    if matches!(old, Object::Stream(_)) || matches!(cur, Object::Stream(_)) {
        return Err("stream replaced (e.g. a page content stream or resource)".into());
    }
    if let (Object::Array(a), Object::Array(b)) = (old, cur) {
        if annots_arrays.contains_key(&id) {
            return if appended_only(a, b) {
                Ok(())
            } else {
                Err("/Annots array changed other than by appending".into())
            };
        }
        return Err("array changed".into());
    }
    let (Object::Dictionary(a), Object::Dictionary(b)) = (old, cur) else {
        return Err("object replaced by one of another type".into());
    };
    let keys = changed_keys(a, b);
    let only = |allowed: &[&[u8]]| -> Result<(), String> {
        match keys.iter().find(|k| !allowed.contains(&k.as_slice())) {
            Some(k) => Err(format!("/{} changed", name_key(k))),
            None => Ok(()),
        }
    };
    if Some(id) == root {
        only(&[b"Names", b"AF"])?;
        let old_af = array_at(prev, a, b"AF").unwrap_or_default();
        let new_af = array_at(next, b, b"AF").unwrap_or_default();
        if !appended_only(&old_af, &new_af) {
            return Err("/AF changed other than by appending".into());
        }
        let empty = Dictionary::new();
        let old_names = a
            .get(b"Names")
            .ok()
            .and_then(|o| resolve(prev, o).as_dict().ok())
            .unwrap_or(&empty);
        let new_names = b
            .get(b"Names")
            .ok()
            .and_then(|o| resolve(next, o).as_dict().ok())
            .unwrap_or(&empty);
        if let Some(k) = changed_keys(old_names, new_names)
            .iter()
            .find(|k| k.as_slice() != b"EmbeddedFiles")
        {
            return Err(format!("/Names /{} changed", name_key(k)));
        }
        return Ok(());
    }
    if Some(id) == names_dict_id {
        return only(&[b"EmbeddedFiles"]);
    }
    match a.get(b"Type").and_then(Object::as_name).ok() {
        Some(b"Page") => {
            only(&[b"Annots"])?;
            let old_annots = array_at(prev, a, b"Annots").unwrap_or_default();
            let new_annots = array_at(next, b, b"Annots").unwrap_or_default();
            if appended_only(&old_annots, &new_annots) {
                Ok(())
            } else {
                Err("page /Annots changed other than by appending".into())
            }
        }
        Some(b"Pages") => {
            only(&[b"Kids", b"Count"])?;
            let old_kids = array_at(prev, a, b"Kids").unwrap_or_default();
            let new_kids = array_at(next, b, b"Kids").unwrap_or_default();
            if !appended_only(&old_kids, &new_kids) {
                return Err("/Kids changed other than by appending".into());
            }
            // Viewers take the number of pages from /Count: it may grow only
            // by the pages the appended kids bring (a forged /Count hides
            // or repeats pages without touching any page).
            let count = |doc: &Document, d: &Dictionary| -> Option<i64> {
                d.get(b"Count")
                    .ok()
                    .and_then(|o| resolve(doc, o).as_i64().ok())
            };
            let added: Option<i64> = new_kids[old_kids.len()..]
                .iter()
                .map(|k| {
                    let kid = dict_of(resolve(next, k))?;
                    match kid.get(b"Type").and_then(Object::as_name).ok() {
                        Some(b"Page") => Some(1),
                        Some(b"Pages") => count(next, kid).filter(|n| *n >= 0),
                        _ => None,
                    }
                })
                .sum();
            match (count(prev, a), count(next, b), added) {
                (Some(before), Some(after), Some(added))
                    if before.checked_add(added) == Some(after) =>
                {
                    Ok(())
                }
                (before, after, _) => Err(format!(
                    "/Count changed from {} to {} but the appended kids bring {} pages",
                    before.map_or("none".into(), |n| n.to_string()),
                    after.map_or("none".into(), |n| n.to_string()),
                    added.map_or("an unknown number of".into(), |n| n.to_string())
                )),
            }
        }
        _ => Err("existing object modified".into()),
    }
}

/// Finds an embedded file by name in the `/EmbeddedFiles` name tree.
pub(crate) fn attachment(pdf: &[u8], name: &str) -> Result<Option<Vec<u8>>, PdfError> {
    let doc = parse::Loaded::open(pdf, parse::ATTACHMENTS)?.into_doc();
    let root = parse::root_id(&doc)?;
    let Ok(catalog) = doc.get_dictionary(root) else {
        return Err(PdfError::Malformed("catalog is not a dictionary".into()));
    };
    let Some(tree) = catalog
        .get(b"Names")
        .ok()
        .and_then(|n| resolve(&doc, n).as_dict().ok())
        .and_then(|n| n.get(b"EmbeddedFiles").ok())
    else {
        return Ok(None);
    };
    let mut entries: BTreeMap<String, Object> = BTreeMap::new();
    let mut stack = vec![(tree.clone(), 0u32)];
    let mut seen = HashSet::new();
    while let Some((node, depth)) = stack.pop() {
        if let Object::Reference(id) = node {
            if !seen.insert(id) {
                continue;
            }
        }
        let Ok(d) = resolve(&doc, &node).as_dict() else {
            continue;
        };
        if let Ok(arr) = d
            .get(b"Names")
            .map(|o| resolve(&doc, o))
            .and_then(Object::as_array)
        {
            for pair in arr.chunks(2) {
                if let [Object::String(k, _), v] = pair {
                    entries
                        .entry(parse::decode_text(k))
                        .or_insert_with(|| v.clone());
                }
            }
        }
        if depth < 16 {
            if let Ok(kids) = d
                .get(b"Kids")
                .map(|o| resolve(&doc, o))
                .and_then(Object::as_array)
            {
                stack.extend(kids.iter().map(|k| (k.clone(), depth + 1)));
            }
        }
    }
    let Some(spec) = entries.get(name) else {
        return Ok(None);
    };
    let spec = resolve(&doc, spec)
        .as_dict()
        .map_err(|_| PdfError::Malformed("file specification is not a dictionary".into()))?;
    let ef = spec
        .get(b"EF")
        .ok()
        .and_then(|o| resolve(&doc, o).as_dict().ok())
        .ok_or_else(|| PdfError::Malformed("file specification has no /EF".into()))?;
    let file = ef
        .get(b"UF")
        .or_else(|_| ef.get(b"F"))
        .map(|o| resolve(&doc, o))
        .and_then(Object::as_stream)
        .map_err(|_| PdfError::Malformed("embedded file is not a stream".into()))?;
    let data = if file.dict.has(b"Filter") {
        file.decompressed_content()
            .map_err(|e| PdfError::Malformed(format!("embedded file: {e}")))?
    } else {
        file.content.clone()
    };
    Ok(Some(data))
}
