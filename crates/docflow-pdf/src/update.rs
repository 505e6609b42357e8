//! Building and serialising the one incremental update section that `stamp` appends.

use crate::draw::{self, StampLayout};
use crate::font::Font;
use crate::parse::{self, resolve, XrefKind};
use crate::ser::{self, name, real, stream, text_string};
use crate::{Attachment, PdfError, Sheet, Stamp};
use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;

/// Prefix of `/NM` for our stamps; later stamping updates stack above these.
pub(crate) const NM_PREFIX: &str = "docflow-stamp-";
const MARGIN: f64 = 18.0;
const GAP: f64 = 6.0;

/// New and re-written objects of the update, by id.
pub(crate) struct Update {
    objects: BTreeMap<ObjectId, Object>,
    next: u32,
}

impl Update {
    pub(crate) fn alloc(&mut self) -> ObjectId {
        let id = (self.next, 0);
        self.next = self.next.saturating_add(1);
        id
    }

    pub(crate) fn put(&mut self, id: ObjectId, obj: Object) {
        self.objects.insert(id, obj);
    }

    /// Latest version of an object: ours if we already rewrote it, else the original.
    fn current<'a>(&'a self, doc: &'a Document, id: ObjectId) -> Option<&'a Object> {
        self.objects.get(&id).or_else(|| doc.objects.get(&id))
    }
}

/// Page geometry in the orientation a reader sees it.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    bx: [f64; 4],
    rotate: u32,
}

impl Geometry {
    fn display_size(&self) -> (f64, f64) {
        let (w, h) = (self.bx[2] - self.bx[0], self.bx[3] - self.bx[1]);
        if self.rotate % 180 == 90 {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// Maps a rectangle given in displayed coordinates (origin bottom-left of the
    /// page as shown) to user space.
    fn user_rect(&self, u: f64, v: f64, w: f64, h: f64) -> [f64; 4] {
        let [x0, y0, x1, y1] = self.bx;
        match self.rotate {
            90 => [x1 - v - h, y0 + u, x1 - v, y0 + u + w],
            180 => [x1 - u - w, y1 - v - h, x1 - u, y1 - v],
            270 => [x0 + v, y1 - u - w, x0 + v + h, y1 - u],
            _ => [x0 + u, y0 + v, x0 + u + w, y0 + v + h],
        }
    }

    /// Top edge, in displayed coordinates, of a user-space rectangle.
    fn display_top(&self, r: [f64; 4]) -> f64 {
        let [x0, y0, x1, y1] = self.bx;
        match self.rotate {
            90 => x1 - r[0],
            180 => y1 - r[1],
            270 => r[2] - x0,
            _ => r[3] - y0,
        }
    }

    /// Form matrix that turns the appearance upright on the displayed page.
    fn matrix(&self) -> [f64; 6] {
        match self.rotate {
            90 => [0.0, 1.0, -1.0, 0.0, 0.0, 0.0],
            180 => [-1.0, 0.0, 0.0, -1.0, 0.0, 0.0],
            270 => [0.0, -1.0, 1.0, 0.0, 0.0, 0.0],
            _ => [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        }
    }
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn rect(doc: &Document, o: &Object) -> Option<[f64; 4]> {
    let arr = resolve(doc, o).as_array().ok()?;
    if arr.len() != 4 {
        return None;
    }
    let mut v = [0.0; 4];
    for (slot, item) in v.iter_mut().zip(arr) {
        *slot = number(resolve(doc, item))?;
    }
    let r = [
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ];
    (r[2] - r[0] > 1.0 && r[3] - r[1] > 1.0).then_some(r)
}

/// An attribute of a page, inherited through /Parent (§7.7.3.4).
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut d = page;
    for _ in 0..32 {
        if let Ok(v) = d.get(key) {
            return Some(v);
        }
        let parent = d.get(b"Parent").ok()?;
        d = resolve(doc, parent).as_dict().ok()?;
    }
    None
}

fn geometry(doc: &Document, page: &Dictionary) -> Geometry {
    let media = inherited(doc, page, b"MediaBox")
        .and_then(|o| rect(doc, o))
        .unwrap_or([0.0, 0.0, 612.0, 792.0]);
    // The visible region is the CropBox clipped to the MediaBox.
    let bx = inherited(doc, page, b"CropBox")
        .and_then(|o| rect(doc, o))
        .map(|c| {
            [
                c[0].max(media[0]),
                c[1].max(media[1]),
                c[2].min(media[2]),
                c[3].min(media[3]),
            ]
        })
        .filter(|c| c[2] - c[0] > 1.0 && c[3] - c[1] > 1.0)
        .unwrap_or(media);
    let rot = inherited(doc, page, b"Rotate")
        .and_then(|o| number(resolve(doc, o)))
        .unwrap_or(0.0);
    let rotate = ((((rot / 90.0).round() as i64) % 4 + 4) % 4 * 90) as u32;
    Geometry { bx, rotate }
}

pub(crate) fn stamp(
    original: &[u8],
    stamps: &[Stamp],
    sheet: Option<&Sheet>,
    attachment: Option<&Attachment>,
) -> Result<Vec<u8>, PdfError> {
    let tail = parse::tail(original)?;
    let mut loaded = parse::Loaded::open(original, parse::STRUCTURE)?;
    let wanted: std::collections::BTreeSet<usize> = stamps.iter().map(|s| s.page).collect();
    let (page_count, pages) = loaded.pages(&wanted)?;
    for s in stamps {
        if s.page >= page_count || !pages.contains_key(&s.page) {
            return Err(PdfError::PageOutOfRange {
                page: s.page,
                count: page_count,
            });
        }
    }
    let doc = loaded.into_doc();
    let root_id = parse::root_id(&doc)?;
    let catalog = doc
        .get_dictionary(root_id)
        .map_err(|_| PdfError::Malformed("catalog is not a dictionary".into()))?;
    if let Some(a) = attachment {
        if a.name.is_empty() {
            return Err(PdfError::InvalidInput("attachment name is empty".into()));
        }
    }

    let trailer_size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .unwrap_or(0);
    let first_free = u32::try_from(trailer_size)
        .unwrap_or(0)
        .max(doc.max_id.saturating_add(1))
        .max(doc.reference_table.size);
    let mut up = Update {
        objects: BTreeMap::new(),
        next: first_free,
    };
    let digest = identity(original);

    let mut texts: Vec<&str> = stamps
        .iter()
        .flat_map(|s| s.lines.iter().map(String::as_str))
        .collect();
    if let Some(sh) = sheet {
        texts.push(draw::heading(sh));
        texts.push(draw::SHEET_FIXED_CHARS);
        texts.push(&sh.title);
        texts.extend(sh.lines.iter().map(String::as_str));
    }
    let font = if stamps.is_empty() && sheet.is_none() {
        None
    } else {
        let f = Font::for_texts(texts.into_iter())?;
        let id = f.write(&mut up);
        Some((f, id))
    };

    if let Some((font, font_id)) = &font {
        add_stamps(&doc, &mut up, &pages, stamps, font, *font_id, &digest)?;
        if let Some(sh) = sheet {
            add_sheet(&doc, &mut up, catalog, page_count, sh, font, *font_id)?;
        }
    }
    if let Some(a) = attachment {
        add_attachment(&doc, &mut up, root_id, a)?;
    }
    Ok(serialise(original, &doc, tail, root_id, up, &digest))
}

/// A digest that identifies the original for annotation names and the file
/// /ID: its length, first and last 64 KiB. Not a security property (callers
/// hash the whole original themselves), and it keeps stamping independent
/// of the original's size.
fn identity(original: &[u8]) -> Vec<u8> {
    const EDGE: usize = 64 * 1024;
    let mut h = Sha256::new();
    h.update((original.len() as u64).to_be_bytes());
    h.update(&original[..original.len().min(EDGE)]);
    h.update(&original[original.len().saturating_sub(EDGE)..]);
    h.finalize().to_vec()
}

fn font_resources(font_id: ObjectId) -> Object {
    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Reference(font_id));
    let mut res = Dictionary::new();
    res.set("Font", Object::Dictionary(fonts));
    Object::Dictionary(res)
}

fn add_stamps(
    doc: &Document,
    up: &mut Update,
    pages: &BTreeMap<usize, ObjectId>,
    stamps: &[Stamp],
    font: &Font,
    font_id: ObjectId,
    digest: &[u8],
) -> Result<(), PdfError> {
    let mut by_page: BTreeMap<usize, Vec<(usize, &Stamp)>> = BTreeMap::new();
    for (i, s) in stamps.iter().enumerate() {
        by_page.entry(s.page).or_default().push((i, s));
    }
    for (page_index, list) in by_page {
        let page_id = pages
            .get(&page_index)
            .copied()
            .ok_or_else(|| PdfError::Malformed("page tree changed".into()))?;
        let page = doc
            .get_dictionary(page_id)
            .map_err(|_| PdfError::Malformed(format!("page {page_index} is not a dictionary")))?;
        let geo = geometry(doc, page);
        let (dw, dh) = geo.display_size();

        // Existing annotations: keep them, and stack above earlier docflow stamps.
        let annots_obj = page.get(b"Annots").ok();
        let existing: Vec<Object> = annots_obj
            .map(|o| resolve(doc, o))
            .and_then(|o| o.as_array().ok())
            .cloned()
            .unwrap_or_default();
        let mut base = MARGIN;
        for a in &existing {
            let Ok(ad) = resolve(doc, a).as_dict() else {
                continue;
            };
            let ours = ad
                .get(b"NM")
                .and_then(Object::as_str)
                .is_ok_and(|nm| parse::decode_text(nm).starts_with(NM_PREFIX));
            if let (true, Some(r)) = (ours, ad.get(b"Rect").ok().and_then(|o| rect(doc, o))) {
                base = base.max(geo.display_top(r) + GAP);
            }
        }

        let mut new_refs = Vec::new();
        let (mut u, mut v, mut col_w) = (MARGIN, base, 0.0f64);
        for (index, s) in list {
            let layout = StampLayout::new(font, &s.lines, s.qr.as_deref(), dw - 2.0 * MARGIN)?;
            let (w, h) = (layout.width, layout.height);
            if v + h > dh - MARGIN && v > base {
                // Column full: continue in the next column to the right.
                u += col_w + GAP;
                v = base;
                col_w = 0.0;
            }
            if u + w > dw - MARGIN {
                // No room left on the page; overlapping beats dropping the stamp.
                u = MARGIN;
            }
            let r = geo.user_rect(u, v, w, h);
            v += h + GAP;
            col_w = col_w.max(w);

            let mut form = Dictionary::new();
            form.set("Type", name("XObject"));
            form.set("Subtype", name("Form"));
            form.set("FormType", Object::Integer(1));
            form.set(
                "BBox",
                Object::Array(vec![real(0.0), real(0.0), real(w), real(h)]),
            );
            form.set(
                "Matrix",
                Object::Array(geo.matrix().iter().map(|m| real(*m)).collect()),
            );
            form.set("Resources", font_resources(font_id));
            let form_id = up.alloc();
            up.put(form_id, stream(form, layout.content(font).into_bytes()));

            let mut ap = Dictionary::new();
            ap.set("N", Object::Reference(form_id));
            let mut annot = Dictionary::new();
            annot.set("Type", name("Annot"));
            annot.set("Subtype", name("Stamp"));
            annot.set("Rect", Object::Array(r.iter().map(|x| real(*x)).collect()));
            // Print, and keep it from being edited or moved in viewers.
            annot.set("F", Object::Integer(4 | 128));
            annot.set("P", Object::Reference(page_id));
            let nm = format!(
                "{NM_PREFIX}{}-{index}",
                digest[..8]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
            annot.set("NM", text_string(&nm));
            annot.set("Contents", text_string(&s.lines.join("\n")));
            annot.set("AP", Object::Dictionary(ap));
            let annot_id = up.alloc();
            up.put(annot_id, Object::Dictionary(annot));
            new_refs.push(Object::Reference(annot_id));
        }

        match annots_obj {
            Some(Object::Reference(arr_id)) => {
                // Indirect /Annots: a new version of that array; the page stays as is.
                let mut arr = match up.current(doc, *arr_id) {
                    Some(Object::Array(a)) => a.clone(),
                    _ => {
                        return Err(PdfError::Malformed(format!(
                            "/Annots of page {page_index} is not an array"
                        )))
                    }
                };
                arr.extend(new_refs);
                up.put(*arr_id, Object::Array(arr));
            }
            _ => {
                let mut new_page = page.clone();
                let mut arr = existing;
                arr.extend(new_refs);
                new_page.set("Annots", Object::Array(arr));
                up.put(page_id, Object::Dictionary(new_page));
            }
        }
    }
    Ok(())
}

fn add_sheet(
    doc: &Document,
    up: &mut Update,
    catalog: &Dictionary,
    page_count: usize,
    sheet: &Sheet,
    font: &Font,
    font_id: ObjectId,
) -> Result<(), PdfError> {
    let pages_id = catalog
        .get(b"Pages")
        .and_then(Object::as_reference)
        .map_err(|_| PdfError::Malformed("catalog has no /Pages reference".into()))?;
    let mut pages_node = match up.current(doc, pages_id) {
        Some(Object::Dictionary(d)) => d.clone(),
        _ => return Err(PdfError::Malformed("/Pages is not a dictionary".into())),
    };
    let contents = draw::sheet_pages(
        font,
        draw::heading(sheet),
        &sheet.title,
        &sheet.lines,
        sheet.qr.as_deref(),
    )?;
    let mut kids = match pages_node.get(b"Kids").map(|k| resolve(doc, k)) {
        Ok(Object::Array(a)) => a.clone(),
        _ => return Err(PdfError::Malformed("/Pages has no /Kids array".into())),
    };
    let old_count = pages_node
        .get(b"Count")
        .and_then(Object::as_i64)
        .unwrap_or(page_count as i64);
    for content in &contents {
        let content_id = up.alloc();
        up.put(
            content_id,
            stream(Dictionary::new(), content.clone().into_bytes()),
        );
        let mut page = Dictionary::new();
        page.set("Type", name("Page"));
        page.set("Parent", Object::Reference(pages_id));
        page.set(
            "MediaBox",
            Object::Array(vec![
                real(0.0),
                real(0.0),
                real(draw::SHEET_W),
                real(draw::SHEET_H),
            ]),
        );
        // Explicit, so an inherited /Rotate of the original cannot turn the sheet.
        page.set("Rotate", Object::Integer(0));
        page.set("Resources", font_resources(font_id));
        page.set("Contents", Object::Reference(content_id));
        let page_id = up.alloc();
        up.put(page_id, Object::Dictionary(page));
        kids.push(Object::Reference(page_id));
    }
    pages_node.set("Kids", Object::Array(kids));
    pages_node.set(
        "Count",
        Object::Integer(old_count.saturating_add(contents.len() as i64)),
    );
    up.put(pages_id, Object::Dictionary(pages_node));
    Ok(())
}

/// Collects the (key, value) pairs of a name tree, bounded against cycles.
fn name_tree_entries(doc: &Document, node: &Object, out: &mut Vec<(Vec<u8>, Object)>) {
    let mut stack = vec![(node.clone(), 0u32)];
    let mut seen = HashSet::new();
    while let Some((n, depth)) = stack.pop() {
        if let Object::Reference(id) = n {
            if !seen.insert(id) {
                continue;
            }
        }
        let Ok(d) = resolve(doc, &n).as_dict() else {
            continue;
        };
        if let Ok(names) = d.get(b"Names").map(|o| resolve(doc, o)) {
            if let Ok(arr) = names.as_array() {
                for pair in arr.chunks(2) {
                    if let [Object::String(k, _), v] = pair {
                        out.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        if depth < 16 {
            if let Ok(kids) = d.get(b"Kids").map(|o| resolve(doc, o)) {
                if let Ok(arr) = kids.as_array() {
                    stack.extend(arr.iter().rev().map(|k| (k.clone(), depth + 1)));
                }
            }
        }
    }
}

fn add_attachment(
    doc: &Document,
    up: &mut Update,
    root_id: ObjectId,
    a: &Attachment,
) -> Result<(), PdfError> {
    let mut catalog = match up.current(doc, root_id) {
        Some(Object::Dictionary(d)) => d.clone(),
        _ => return Err(PdfError::Malformed("catalog is not a dictionary".into())),
    };

    let mut params = Dictionary::new();
    params.set("Size", Object::Integer(a.data.len() as i64));
    let md5 = {
        use md5::Digest as _;
        md5::Md5::digest(&a.data).to_vec()
    };
    params.set("CheckSum", Object::String(md5, StringFormat::Hexadecimal));
    let mut ef = Dictionary::new();
    ef.set("Type", name("EmbeddedFile"));
    ef.set("Subtype", name(&a.mime));
    ef.set("Params", Object::Dictionary(params));
    let ef_id = up.alloc();
    up.put(ef_id, stream(ef, a.data.clone()));

    let ascii_name: String = a
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut efd = Dictionary::new();
    efd.set("F", Object::Reference(ef_id));
    efd.set("UF", Object::Reference(ef_id));
    let mut fs = Dictionary::new();
    fs.set("Type", name("Filespec"));
    fs.set(
        "F",
        Object::String(ascii_name.into_bytes(), StringFormat::Literal),
    );
    fs.set("UF", text_string(&a.name));
    fs.set("Desc", text_string(&a.description));
    fs.set("AFRelationship", name("Data"));
    fs.set("EF", Object::Dictionary(efd));
    let fs_id = up.alloc();
    up.put(fs_id, Object::Dictionary(fs));

    // A new /EmbeddedFiles root holding the old entries plus ours, sorted by key.
    let names_obj = catalog.get(b"Names").ok().cloned();
    let mut names_dict = names_obj
        .as_ref()
        .and_then(|o| resolve(doc, o).as_dict().ok())
        .cloned()
        .unwrap_or_default();
    let mut entries = Vec::new();
    if let Ok(old_root) = names_dict.get(b"EmbeddedFiles") {
        name_tree_entries(doc, old_root, &mut entries);
    }
    let key = match text_string(&a.name) {
        Object::String(k, _) => k,
        _ => a.name.as_bytes().to_vec(),
    };
    entries.retain(|(k, _)| parse::decode_text(k) != a.name);
    entries.push((key, Object::Reference(fs_id)));
    entries.sort_by(|x, y| x.0.cmp(&y.0));
    let mut flat = Vec::with_capacity(entries.len() * 2);
    for (k, v) in entries {
        flat.push(Object::String(k, StringFormat::Hexadecimal));
        flat.push(v);
    }
    let mut tree = Dictionary::new();
    tree.set("Names", Object::Array(flat));
    let tree_id = up.alloc();
    up.put(tree_id, Object::Dictionary(tree));
    names_dict.set("EmbeddedFiles", Object::Reference(tree_id));
    match names_obj {
        Some(Object::Reference(_)) => {
            // Keep the old names dictionary untouched; point the catalog at a copy.
            let nd_id = up.alloc();
            up.put(nd_id, Object::Dictionary(names_dict));
            catalog.set("Names", Object::Reference(nd_id));
        }
        _ => catalog.set("Names", Object::Dictionary(names_dict)),
    }

    let mut af = catalog
        .get(b"AF")
        .ok()
        .and_then(|o| resolve(doc, o).as_array().ok())
        .cloned()
        .unwrap_or_default();
    af.push(Object::Reference(fs_id));
    catalog.set("AF", Object::Array(af));
    up.put(root_id, Object::Dictionary(catalog));
    Ok(())
}

fn serialise(
    original: &[u8],
    doc: &Document,
    tail: parse::Tail,
    root_id: ObjectId,
    mut up: Update,
    digest: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len() + 64 * 1024);
    out.extend_from_slice(original);
    if !tail.ends_with_eol {
        out.push(b'\n');
    }
    let mut offsets: BTreeMap<u32, (u16, usize)> = BTreeMap::new();
    let mut body_hash = Sha256::new();
    body_hash.update(digest);
    for (id, obj) in &up.objects {
        let start = out.len();
        offsets.insert(id.0, (id.1, start));
        let _ = writeln!(out, "{} {} obj", id.0, id.1);
        ser::write_object(&mut out, obj);
        out.extend_from_slice(b"\nendobj\n");
        body_hash.update(&out[start..]);
    }

    // /ID: the first element stays (it identifies the document), the second changes
    // with every revision (§14.4).
    let new_half = body_hash.finalize()[..16].to_vec();
    let first = match doc.trailer.get(b"ID").and_then(Object::as_array) {
        Ok(arr) => match arr.first() {
            Some(Object::String(s, _)) => s.clone(),
            _ => digest[..16].to_vec(),
        },
        Err(_) => digest[..16].to_vec(),
    };
    let mut trailer = Dictionary::new();
    trailer.set("Root", Object::Reference(root_id));
    if let Ok(info) = doc.trailer.get(b"Info") {
        trailer.set("Info", info.clone());
    }
    trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(first, StringFormat::Hexadecimal),
            Object::String(new_half, StringFormat::Hexadecimal),
        ]),
    );
    trailer.set("Prev", Object::Integer(tail.startxref as i64));

    match tail.kind {
        XrefKind::Table => {
            let xref_at = out.len();
            trailer.set("Size", Object::Integer(i64::from(up.next)));
            out.extend_from_slice(b"xref\n");
            for run in runs(&offsets) {
                let _ = writeln!(out, "{} {}", run[0].0, run.len());
                for (_, (gen, off)) in run {
                    let _ = write!(out, "{off:010} {gen:05} n\r\n");
                }
            }
            out.extend_from_slice(b"trailer\n");
            ser::write_object(&mut out, &Object::Dictionary(trailer));
            let _ = write!(out, "\nstartxref\n{xref_at}\n%%EOF\n");
        }
        XrefKind::Stream => {
            let xref_id = up.alloc();
            let xref_at = out.len();
            offsets.insert(xref_id.0, (0, xref_at));
            let max_off = offsets.values().map(|v| v.1).max().unwrap_or(0);
            let mut w2 = 1usize;
            while w2 < 8 && (max_off >> (8 * w2)) > 0 {
                w2 += 1;
            }
            let mut index = Vec::new();
            let mut data = Vec::new();
            for run in runs(&offsets) {
                index.push(Object::Integer(i64::from(run[0].0)));
                index.push(Object::Integer(run.len() as i64));
                for (_, (gen, off)) in run {
                    data.push(1u8);
                    data.extend_from_slice(&(off as u64).to_be_bytes()[8 - w2..]);
                    data.extend_from_slice(&gen.to_be_bytes());
                }
            }
            trailer.set("Type", name("XRef"));
            trailer.set("Size", Object::Integer(i64::from(up.next)));
            trailer.set("Index", Object::Array(index));
            trailer.set(
                "W",
                Object::Array(vec![
                    Object::Integer(1),
                    Object::Integer(w2 as i64),
                    Object::Integer(2),
                ]),
            );
            let _ = writeln!(out, "{} 0 obj", xref_id.0);
            ser::write_object(&mut out, &Object::Stream(lopdf::Stream::new(trailer, data)));
            let _ = write!(out, "\nendobj\nstartxref\n{xref_at}\n%%EOF\n");
        }
    }
    out
}

/// Groups (number, (gen, offset)) entries into runs of consecutive object numbers.
fn runs(offsets: &BTreeMap<u32, (u16, usize)>) -> Vec<Vec<(u32, (u16, usize))>> {
    let mut out: Vec<Vec<(u32, (u16, usize))>> = Vec::new();
    for (&n, &v) in offsets {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|l| l.0.checked_add(1) == Some(n)) => {
                run.push((n, v))
            }
            _ => out.push(vec![(n, v)]),
        }
    }
    out
}
