//! What later revisions change, judged against what a stamping update may change.

use crate::parse::{self, dict_of, resolve};
use crate::PdfError;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// One change a stamping update is not allowed to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Object number and generation; `(0, 0)` for file-level problems.
    pub object: (u32, u16),
    /// Which revision (1 = the first update after the original) made the change.
    pub revision: usize,
    pub reason: String,
}

/// Result of [`crate::check_revisions`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevisionReport {
    /// Number of incremental updates found after the original.
    pub revisions: usize,
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

/// Offsets just past each `%%EOF` (and its end-of-line) that follows a `startxref`.
fn revision_ends(pdf: &[u8], from: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut pos = from;
    while let Some(rel) = parse::find(&pdf[pos..], b"%%EOF") {
        let at = pos + rel;
        let mut end = at + 5;
        if pdf.get(end) == Some(&b'\r') {
            end += 1;
        }
        if pdf.get(end) == Some(&b'\n') {
            end += 1;
        }
        let before = &pdf[at.saturating_sub(48)..at];
        if parse::rfind(before, b"startxref").is_some() {
            ends.push(end);
        }
        pos = at + 5;
    }
    ends
}

pub(crate) fn check_revisions(pdf: &[u8], original_len: usize) -> Result<RevisionReport, PdfError> {
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
    parse::tail(prefix)?;
    let mut prev = parse::Loaded::open(prefix, parse::STRUCTURE)?;
    let mut report = RevisionReport::default();
    let mut last_end = original_len;
    let ends = revision_ends(pdf, original_len);
    let mut new_all = BTreeSet::new();
    let mut changed_all = BTreeSet::new();
    for (i, &end) in ends.iter().enumerate() {
        let is_last = i + 1 == ends.len();
        let mut next = match parse::Loaded::open(&pdf[..end], parse::STRUCTURE) {
            Ok(d) => d,
            // A `%%EOF` inside a stream (say, an embedded PDF) is no revision end.
            Err(PdfError::Malformed(_)) if !is_last => continue,
            Err(e) => return Err(e),
        };
        report.revisions += 1;
        let rev = report.revisions;
        // Only what this revision defines can differ from the previous one;
        // both sides load those objects and each other's structure.
        let defined = next.defined_since(last_end);
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
        let mut diff = compare(prev.doc(), next.doc(), rev);
        if let (Some(before), Some(after)) = (prev.in_use(), next.in_use()) {
            let flagged: BTreeSet<u32> = diff.violations.iter().map(|v| v.object.0).collect();
            for n in before.difference(&after).filter(|n| !flagged.contains(n)) {
                diff.violations.push(Violation {
                    object: (*n, 0),
                    revision: rev,
                    reason: "object dropped from the cross-reference chain".into(),
                });
            }
        }
        for id in free_entries(&pdf[..end]) {
            diff.violations.push(Violation {
                object: id,
                revision: rev,
                reason: "object freed by a cross-reference entry".into(),
            });
        }
        new_all.extend(diff.new);
        changed_all.extend(diff.changed);
        report.violations.extend(diff.violations);
        prev = next;
        last_end = end;
    }
    if pdf[last_end..]
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
    report.new_objects = new_all.into_iter().collect();
    report.changed_objects = changed_all.into_iter().collect();
    Ok(report)
}

/// Free entries in the last cross-reference section of `rev_bytes` (readers
/// hide them by falling back to older sections, so they are read here
/// directly), as the object numbers and generations they free.
fn free_entries(rev_bytes: &[u8]) -> Vec<ObjectId> {
    let Ok(tail) = parse::tail(rev_bytes) else {
        return Vec::new();
    };
    let Ok((_, rows, _)) = parse::read_section(rev_bytes, tail.startxref) else {
        return Vec::new();
    };
    rows.into_iter()
        .filter_map(|row| match row {
            // The generation stated is the next one to use; the freed object had one less.
            parse::XrefRow::Free { num, generation } if num != 0 => {
                Some((num, generation.saturating_sub(1)))
            }
            _ => None,
        })
        .collect()
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

fn compare(prev: &Document, next: &Document, rev: usize) -> Diff {
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
    let annots_arrays: HashSet<ObjectId> = prev
        .objects
        .values()
        .filter(|o| type_of(o) == Some(b"Page".as_slice()))
        .filter_map(|o| dict_of(o)?.get(b"Annots").ok()?.as_reference().ok())
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

#[allow(clippy::too_many_arguments)]
fn check_changed(
    prev: &Document,
    next: &Document,
    id: ObjectId,
    old: &Object,
    cur: &Object,
    root: Option<ObjectId>,
    annots_arrays: &HashSet<ObjectId>,
    names_dict_id: Option<ObjectId>,
) -> Result<(), String> {
    if matches!(old, Object::Stream(_)) || matches!(cur, Object::Stream(_)) {
        return Err("stream replaced (e.g. a page content stream or resource)".into());
    }
    if let (Object::Array(a), Object::Array(b)) = (old, cur) {
        if annots_arrays.contains(&id) {
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
            Ok(())
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
