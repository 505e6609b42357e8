//! Stamped PDFs: the original bytes, untouched, followed by one PDF
//! incremental update that adds a visible stamp on the last page, an
//! appended approval sheet, and the evidence bundle as an embedded file;
//! and the check of what later revisions of a file change.
//!
//! Text is set in DejaVu Sans (free licence, `fonts/`), embedded as a
//! Type0/CIDFontType2 font with Identity-H encoding and a ToUnicode map, so
//! Uzbek Cyrillic and Latin, Russian and English render and can be
//! extracted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lopdf::{
    dictionary, Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, StringFormat,
};

const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// Name of the embedded evidence file.
pub const EVIDENCE_NAME: &str = "docflow-evidence.json";

#[derive(Debug, thiserror::Error)]
pub enum StampError {
    #[error("the PDF is encrypted; docflow stamps only unencrypted PDFs")]
    Encrypted,
    #[error("the PDF cannot be read: {0}")]
    Malformed(String),
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the font cannot be read: {0}")]
    Font(String),
}

fn malformed(e: impl std::fmt::Display) -> StampError {
    StampError::Malformed(e.to_string())
}

/// What to add.
pub struct StampRequest<'a> {
    /// Lines of the visible stamp on the last page.
    pub stamp: Vec<String>,
    /// Title and lines of the appended approval sheet.
    pub sheet_title: String,
    pub sheet: Vec<String>,
    /// The evidence bundle (JSON) to embed.
    pub evidence: &'a [u8],
    /// Text of a QR code drawn on the stamp and the sheet (a signed record
    /// a printed copy can be checked with).
    pub qr: Option<String>,
}

/// Draws `text` as a QR code whose lower-left corner is at (`x`, `y`),
/// `size` points wide (quiet zone included), as filled rectangles.
fn qr_drawing(text: &str, x: f64, y: f64, size: f64) -> Result<String, StampError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| StampError::Malformed(format!("QR code: {e}")))?;
    let width = code.width();
    let modules = code.to_colors();
    let quiet = 4usize;
    let cell = size / (width + 2 * quiet) as f64;
    let mut out = String::from("q 0 0 0 rg\n");
    for (i, color) in modules.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (row, col) = (i / width, i % width);
        let cx = x + (col + quiet) as f64 * cell;
        let cy = y + size - (row + quiet + 1) as f64 * cell;
        let _ = writeln!(out, "{cx:.3} {cy:.3} {cell:.3} {cell:.3} re");
    }
    out.push_str("f Q\n");
    Ok(out)
}

/// Glyphs used, for the font's widths and ToUnicode map.
struct FontUse<'f> {
    face: ttf_parser::Face<'f>,
    used: BTreeMap<u16, char>,
}

impl<'f> FontUse<'f> {
    fn new() -> Result<FontUse<'f>, StampError> {
        let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| StampError::Font(e.to_string()))?;
        Ok(FontUse {
            face,
            used: BTreeMap::new(),
        })
    }

    /// The text as 2-byte glyph ids (Identity-H), recording what is used.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let gid = self.face.glyph_index(c).map(|g| g.0).unwrap_or(0);
            self.used.entry(gid).or_insert(c);
            out.extend_from_slice(&gid.to_be_bytes());
        }
        out
    }

    fn width(&self, gid: u16) -> i64 {
        let units = i64::from(self.face.units_per_em().max(1));
        let advance = i64::from(
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        );
        advance * 1000 / units
    }

    /// Text width in points at `size`.
    fn text_width(&self, text: &str, size: f64) -> f64 {
        text.chars()
            .map(|c| self.width(self.face.glyph_index(c).map(|g| g.0).unwrap_or(0)) as f64)
            .sum::<f64>()
            * size
            / 1000.0
    }

    /// Adds the font objects; returns the Type0 font's id.
    fn add_to(&self, doc: &mut Document) -> ObjectId {
        let mut file = Stream::new(
            dictionary! { "Length1" => FONT.len() as i64 },
            FONT.to_vec(),
        );
        let _ = file.compress();
        let file_id = doc.add_object(file);
        let descriptor = doc.add_object(dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => "DejaVuSans",
            "Flags" => 32,
            "FontBBox" => vec![(-1021).into(), (-463).into(), 1793.into(), 1232.into()],
            "ItalicAngle" => 0,
            "Ascent" => 928,
            "Descent" => -236,
            "CapHeight" => 729,
            "StemV" => 80,
            "FontFile2" => file_id,
        });
        let mut widths = Vec::new();
        for &gid in self.used.keys() {
            widths.push(Object::Integer(i64::from(gid)));
            widths.push(Object::Array(vec![Object::Integer(self.width(gid))]));
        }
        let cid_font = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => "DejaVuSans",
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::string_literal("Adobe"),
                "Ordering" => Object::string_literal("Identity"),
                "Supplement" => 0,
            },
            "FontDescriptor" => descriptor,
            "DW" => 600,
            "W" => widths,
            "CIDToGIDMap" => "Identity",
        });
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<(&u16, &char)> = self.used.iter().collect();
        for chunk in entries.chunks(100) {
            let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
            for (gid, c) in chunk {
                let mut utf16 = [0u16; 2];
                let units: String = c
                    .encode_utf16(&mut utf16)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                let _ = writeln!(cmap, "<{gid:04X}> <{units}>");
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        let to_unicode = doc.add_object(Stream::new(Dictionary::new(), cmap.into_bytes()));
        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => "DejaVuSans",
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![cid_font.into()],
            "ToUnicode" => to_unicode,
        })
    }
}

fn hex_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2 + 2);
    s.push('<');
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s.push('>');
    s
}

/// Wraps `text` to lines no wider than `width` points at `size`.
fn wrap(font: &FontUse<'_>, text: &str, width: f64, size: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if font.text_width(&candidate, size) > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line = word.to_owned();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn rect(obj: &Object) -> Option<[f64; 4]> {
    let arr = obj.as_array().ok()?;
    let n: Vec<f64> = arr
        .iter()
        .filter_map(|o| match o {
            Object::Integer(i) => Some(*i as f64),
            Object::Real(r) => Some(f64::from(*r)),
            _ => None,
        })
        .collect();
    (n.len() == 4).then(|| [n[0], n[1], n[2], n[3]])
}

/// Stamps `original`: returns the original bytes followed by one
/// incremental update.
pub fn stamp(original: &[u8], request: &StampRequest<'_>) -> Result<Vec<u8>, StampError> {
    let prev = Document::load_mem(original).map_err(malformed)?;
    if prev.is_encrypted() {
        return Err(StampError::Encrypted);
    }
    let pages = prev.get_pages();
    let (&_, &last_page) = pages.iter().next_back().ok_or(StampError::NoPages)?;
    let media = prev
        .get_dictionary(last_page)
        .ok()
        .and_then(|d| d.get(b"MediaBox").ok().and_then(rect))
        .unwrap_or([0.0, 0.0, 595.0, 842.0]);
    let catalog_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(malformed)?;
    let pages_id = prev
        .get_dictionary(catalog_id)
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(malformed)?;
    let mut inc = IncrementalDocument::create_from(original.to_vec(), prev);
    let mut font = FontUse::new()?;

    // The stamp: a box at the bottom of the last page, as a Stamp
    // annotation with its own appearance; the page's content is untouched.
    let size = 7.0;
    let box_width = 260.0;
    let mut stamp_lines = Vec::new();
    for l in &request.stamp {
        stamp_lines.extend(wrap(&font, l, box_width - 12.0, size));
    }
    let qr_size = if request.qr.is_some() { 72.0 } else { 0.0 };
    let text_width = box_width;
    let box_width = text_width + qr_size;
    let box_height = (10.0 + stamp_lines.len() as f64 * (size + 2.0)).max(qr_size + 4.0);
    let mut ap = format!(
        "q 0.1 0.2 0.6 RG 1 w 0.5 0.5 {:.1} {:.1} re S Q\n",
        box_width - 1.0,
        box_height - 1.0
    );
    if let Some(qr) = &request.qr {
        ap.push_str(&qr_drawing(qr, text_width, 2.0, qr_size)?);
    }
    let _ = writeln!(ap, "BT /F1 {size} Tf 0.1 0.2 0.6 rg");
    for (i, line) in stamp_lines.iter().enumerate() {
        let y = box_height - 6.0 - (i as f64 + 1.0) * (size + 2.0) + 2.0;
        // The text sits in the left part; the QR code, if any, on the right.
        let encoded = font.encode(line);
        let _ = writeln!(ap, "1 0 0 1 6 {y:.1} Tm {} Tj", hex_string(&encoded));
    }
    ap.push_str("ET\n");
    let (x0, y0) = (media[0] + 20.0, media[1] + 20.0);
    let stamp_rect = vec![
        x0.into(),
        y0.into(),
        (x0 + box_width).into(),
        (y0 + box_height).into(),
    ];

    // The approval sheet: appended page(s) with the whole record.
    let page_w = 595.0;
    let page_h = 842.0;
    let mut sheet_lines = Vec::new();
    for l in &request.sheet {
        sheet_lines.extend(wrap(&font, l, page_w - 100.0, 9.0));
    }
    let per_page = ((page_h - 120.0) / 12.0) as usize;
    let mut sheet_contents = Vec::new();
    for (n, chunk) in sheet_lines.chunks(per_page.max(1)).enumerate() {
        let mut content = String::from("BT\n");
        let title = if n == 0 {
            request.sheet_title.clone()
        } else {
            format!("{} ({})", request.sheet_title, n + 1)
        };
        let _ = writeln!(
            content,
            "/F1 14 Tf 1 0 0 1 50 {:.1} Tm {} Tj",
            page_h - 60.0,
            hex_string(&font.encode(&title))
        );
        for (i, line) in chunk.iter().enumerate() {
            let y = page_h - 90.0 - i as f64 * 12.0;
            let _ = writeln!(
                content,
                "/F1 9 Tf 1 0 0 1 50 {y:.1} Tm {} Tj",
                hex_string(&font.encode(line))
            );
        }
        content.push_str("ET\n");
        sheet_contents.push(content);
    }
    if let (Some(qr), Some(first)) = (&request.qr, sheet_contents.first_mut()) {
        first.push_str(&qr_drawing(qr, page_w - 150.0, page_h - 150.0, 110.0)?);
    }
    if sheet_contents.is_empty() {
        sheet_contents.push(format!(
            "BT /F1 14 Tf 1 0 0 1 50 {:.1} Tm {} Tj ET\n",
            page_h - 60.0,
            hex_string(&font.encode(&request.sheet_title))
        ));
    }

    let doc = &mut inc.new_document;
    let font_id = font.add_to(doc);
    let resources = dictionary! { "Font" => dictionary! { "F1" => font_id } };
    let mut ap_stream = Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), box_width.into(), box_height.into()],
            "Resources" => resources.clone(),
        },
        ap.into_bytes(),
    );
    let _ = ap_stream.compress();
    let ap_id = doc.add_object(ap_stream);
    let annot_id = doc.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Stamp",
        "Rect" => stamp_rect,
        "F" => 4,
        "Name" => "Approved",
        "Contents" => Object::String(request.stamp.join("\n").into_bytes(), StringFormat::Literal),
        "P" => last_page,
        "AP" => dictionary! { "N" => ap_id },
    });
    let mut new_pages = Vec::new();
    for content in sheet_contents {
        let mut stream = Stream::new(Dictionary::new(), content.into_bytes());
        let _ = stream.compress();
        let content_id = doc.add_object(stream);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), page_w.into(), page_h.into()],
            "Resources" => resources.clone(),
            "Contents" => content_id,
        });
        new_pages.push(page_id);
    }
    let mut file = Stream::new(
        dictionary! {
            "Type" => "EmbeddedFile",
            "Subtype" => "application/json",
            "Params" => dictionary! { "Size" => request.evidence.len() as i64 },
        },
        request.evidence.to_vec(),
    );
    let _ = file.compress();
    let file_id = doc.add_object(file);
    let filespec_id = doc.add_object(dictionary! {
        "Type" => "Filespec",
        "F" => Object::string_literal(EVIDENCE_NAME),
        "UF" => Object::string_literal(EVIDENCE_NAME),
        "Desc" => Object::string_literal("docflow evidence bundle (docflow-evidence/1)"),
        "AFRelationship" => "Data",
        "EF" => dictionary! { "F" => file_id, "UF" => file_id },
    });

    // New versions of the objects that must change.
    inc.opt_clone_object_to_new_document(last_page)
        .map_err(malformed)?;
    inc.opt_clone_object_to_new_document(pages_id)
        .map_err(malformed)?;
    inc.opt_clone_object_to_new_document(catalog_id)
        .map_err(malformed)?;
    let prev_doc = inc.get_prev_documents().clone();
    let doc = &mut inc.new_document;
    {
        let page = doc.get_dictionary_mut(last_page).map_err(malformed)?;
        let mut annots = match page.get(b"Annots") {
            Ok(Object::Array(a)) => a.clone(),
            Ok(Object::Reference(r)) => prev_doc
                .get_object(*r)
                .and_then(Object::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        annots.push(annot_id.into());
        page.set("Annots", annots);
    }
    {
        let pages = doc.get_dictionary_mut(pages_id).map_err(malformed)?;
        let mut kids = pages
            .get(b"Kids")
            .and_then(Object::as_array)
            .cloned()
            .map_err(malformed)?;
        kids.extend(new_pages.iter().map(|&id| Object::Reference(id)));
        let count =
            pages.get(b"Count").and_then(Object::as_i64).unwrap_or(0) + new_pages.len() as i64;
        pages.set("Kids", kids);
        pages.set("Count", count);
    }
    {
        let catalog = doc.get_dictionary_mut(catalog_id).map_err(malformed)?;
        let mut names = match catalog.get(b"Names") {
            Ok(Object::Dictionary(d)) => d.clone(),
            Ok(Object::Reference(r)) => prev_doc.get_dictionary(*r).cloned().unwrap_or_default(),
            _ => Dictionary::new(),
        };
        let evidence_leaf = dictionary! {
            "Names" => vec![Object::string_literal(EVIDENCE_NAME), filespec_id.into()],
            "Limits" => vec![Object::string_literal(EVIDENCE_NAME), Object::string_literal(EVIDENCE_NAME)],
        };
        let tree = match names.get(b"EmbeddedFiles") {
            // An existing tree keeps its files: a new root over both.
            Ok(existing) => {
                let old = existing.clone();
                dictionary! { "Kids" => vec![old, Object::Dictionary(evidence_leaf)] }
            }
            Err(_) => {
                dictionary! { "Names" => vec![Object::string_literal(EVIDENCE_NAME), filespec_id.into()] }
            }
        };
        names.set("EmbeddedFiles", tree);
        catalog.set("Names", names);
        let mut af = catalog
            .get(b"AF")
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default();
        af.push(filespec_id.into());
        catalog.set("AF", af);
    }
    let mut out = Vec::with_capacity(original.len() + 512 * 1024);
    inc.save_to(&mut out).map_err(malformed)?;
    Ok(out)
}

/// The embedded evidence of a stamped PDF, if any.
pub fn embedded_evidence(pdf: &[u8]) -> Result<Option<Vec<u8>>, StampError> {
    let doc = Document::load_mem(pdf).map_err(malformed)?;
    for (_, object) in doc.objects.iter() {
        let Ok(dict) = object.as_dict() else { continue };
        if dict.get(b"Type").and_then(Object::as_name).ok() != Some(b"Filespec".as_slice()) {
            continue;
        }
        let name = dict
            .get(b"UF")
            .or_else(|_| dict.get(b"F"))
            .and_then(Object::as_str)
            .unwrap_or(b"");
        if name != EVIDENCE_NAME.as_bytes() {
            continue;
        }
        let file_id = dict
            .get(b"EF")
            .and_then(Object::as_dict)
            .and_then(|ef| ef.get(b"F"))
            .and_then(Object::as_reference)
            .map_err(malformed)?;
        let stream = doc
            .get_object(file_id)
            .and_then(Object::as_stream)
            .map_err(malformed)?;
        return stream.get_plain_content().map(Some).map_err(malformed);
    }
    Ok(None)
}

/// A change after the original that docflow does not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub object: ObjectId,
    pub reason: String,
}

/// Checks what the revisions after `original_len` bytes change: new objects
/// may be anything but scripts and actions; changed objects may only be the
/// catalogue (`Names`, `AF`), page-tree nodes (`Kids`, `Count`) and pages
/// (`Annots`), with every other entry as it was. Lists every violation.
pub fn check_revisions(pdf: &[u8], original_len: usize) -> Result<Vec<Violation>, StampError> {
    let original = pdf
        .get(..original_len)
        .ok_or_else(|| StampError::Malformed("the file is shorter than its original".into()))?;
    let before = Document::load_mem(original).map_err(malformed)?;
    let after = Document::load_mem(pdf).map_err(malformed)?;
    let mut violations = Vec::new();
    for (&id, object) in &after.objects {
        match before.objects.get(&id) {
            None => {
                if let Ok(d) = object
                    .as_dict()
                    .or_else(|_| object.as_stream().map(|s| &s.dict))
                {
                    for key in [
                        b"JS".as_slice(),
                        b"JavaScript",
                        b"OpenAction",
                        b"AA",
                        b"Launch",
                    ] {
                        if d.has(key) {
                            violations.push(Violation {
                                object: id,
                                reason: format!("adds /{}", String::from_utf8_lossy(key)),
                            });
                        }
                    }
                    if d.get(b"S")
                        .and_then(Object::as_name)
                        .ok()
                        .is_some_and(|s| s == b"JavaScript" || s == b"Launch")
                    {
                        violations.push(Violation {
                            object: id,
                            reason: "adds a script action".into(),
                        });
                    }
                }
            }
            Some(old) if old == object => {}
            Some(old) => {
                let allowed: &[&[u8]] = match (old.as_dict(), object.as_dict()) {
                    (Ok(o), Ok(_)) => match o.get(b"Type").and_then(Object::as_name).ok() {
                        Some(b"Catalog") => &[b"Names", b"AF"],
                        Some(b"Pages") => &[b"Kids", b"Count"],
                        Some(b"Page") => &[b"Annots"],
                        _ => &[],
                    },
                    _ => &[],
                };
                let (Ok(o), Ok(n)) = (old.as_dict(), object.as_dict()) else {
                    violations.push(Violation {
                        object: id,
                        reason: "replaces an object of the original (content or resources)".into(),
                    });
                    continue;
                };
                let keys: std::collections::BTreeSet<&[u8]> = o
                    .iter()
                    .map(|(k, _)| k.as_slice())
                    .chain(n.iter().map(|(k, _)| k.as_slice()))
                    .collect();
                for key in keys {
                    if o.get(key).ok() != n.get(key).ok() && !allowed.contains(&key) {
                        violations.push(Violation {
                            object: id,
                            reason: format!(
                                "changes /{} of an original object",
                                String::from_utf8_lossy(key)
                            ),
                        });
                    }
                }
                if let (Ok(Object::Array(a)), Ok(Object::Array(b))) =
                    (o.get(b"Kids"), n.get(b"Kids"))
                {
                    if !b.starts_with(a) {
                        violations.push(Violation {
                            object: id,
                            reason: "reorders or removes pages".into(),
                        });
                    }
                }
            }
        }
    }
    for id in before.objects.keys() {
        if !after.objects.contains_key(id) {
            violations.push(Violation {
                object: *id,
                reason: "deletes an object of the original".into(),
            });
        }
    }
    Ok(violations)
}
