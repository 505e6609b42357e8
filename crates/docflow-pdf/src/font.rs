//! DejaVu Sans, subset to the glyphs in use and embedded as a Type0 / CIDFontType2
//! font with Identity-H encoding, so Uzbek (Cyrillic and Latin), Russian and English
//! text renders everywhere and extracts through the ToUnicode CMap.

use crate::ser::{name, stream};
use crate::update::Update;
use crate::PdfError;
use lopdf::{Dictionary, Object, ObjectId};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

static DEJAVU: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The subset: characters map to CIDs, which equal glyph ids in the subset font.
pub(crate) struct Font {
    /// char -> CID (new glyph id).
    cids: BTreeMap<char, u16>,
    /// CID -> advance width in 1/1000 em.
    widths: BTreeMap<u16, f64>,
    /// CID -> the text it stands for (for ToUnicode).
    unicode: BTreeMap<u16, String>,
    program: Vec<u8>,
    tag: String,
    bbox: [i64; 4],
    ascent: i64,
    descent: i64,
    cap_height: i64,
}

impl Font {
    /// Builds the subset holding every character of `texts`.
    pub(crate) fn for_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Result<Font, PdfError> {
        let face = ttf_parser::Face::parse(DEJAVU, 0).map_err(|e| PdfError::Font(e.to_string()))?;
        let upem = f64::from(face.units_per_em().max(1));
        let chars: BTreeSet<char> = texts
            .flat_map(str::chars)
            .filter(|c| !c.is_control())
            .collect();
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut cids = BTreeMap::new();
        let mut widths = BTreeMap::new();
        let mut unicode = BTreeMap::new();
        // Missing characters fall back to '?' rather than an invisible .notdef box.
        let fallback = face.glyph_index('?').map_or(0, |g| g.0);
        for c in chars {
            let old = face.glyph_index(c).map_or(fallback, |g| g.0);
            let cid = remapper.remap(old);
            let adv = face
                .glyph_hor_advance(ttf_parser::GlyphId(old))
                .map_or(0.0, f64::from);
            cids.insert(c, cid);
            widths.insert(cid, adv * 1000.0 / upem);
            unicode.entry(cid).or_insert_with(|| c.to_string());
        }
        let program = subsetter::subset(DEJAVU, 0, &remapper)
            .map_err(|e| PdfError::Font(format!("{e:?}")))?;
        // Subset tag: six capitals derived from the glyph set, as §9.6.4 asks.
        let digest = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            for (c, cid) in &cids {
                h.update(u32::from(*c).to_be_bytes());
                h.update(cid.to_be_bytes());
            }
            h.finalize()
        };
        let tag: String = digest[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let scale = |v: i16| (f64::from(v) * 1000.0 / upem).round() as i64;
        let bb = face.global_bounding_box();
        Ok(Font {
            cids,
            widths,
            unicode,
            program,
            tag,
            bbox: [
                scale(bb.x_min),
                scale(bb.y_min),
                scale(bb.x_max),
                scale(bb.y_max),
            ],
            ascent: scale(face.ascender()),
            descent: scale(face.descender()),
            cap_height: scale(face.capital_height().unwrap_or(face.ascender())),
        })
    }

    /// Width of `s` at `size` points.
    pub(crate) fn width(&self, s: &str, size: f64) -> f64 {
        s.chars()
            .filter_map(|c| self.cids.get(&c))
            .map(|cid| self.widths.get(cid).copied().unwrap_or(0.0))
            .sum::<f64>()
            * size
            / 1000.0
    }

    /// `s` as a hex string operand for `Tj` (two bytes per CID under Identity-H).
    pub(crate) fn encode(&self, s: &str) -> String {
        let mut out = String::from("<");
        for c in s.chars() {
            if let Some(cid) = self.cids.get(&c) {
                let _ = write!(out, "{cid:04X}");
            }
        }
        out.push('>');
        out
    }

    /// Greedy word wrap to `max_width` points; overlong words are split by character.
    pub(crate) fn wrap(&self, text: &str, size: f64, max_width: f64) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            // Leading spaces indent every line of the paragraph.
            let body = para.trim_start_matches(' ');
            let indent = &para[..para.len() - body.len()];
            let max_width = (max_width - self.width(indent, size)).max(size);
            let first = lines.len();
            let mut line = String::new();
            for word in body.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size) <= max_width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if !line.is_empty() && self.width(&next, size) > max_width {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = next;
                    }
                }
            }
            lines.push(line);
            if !indent.is_empty() {
                for l in &mut lines[first..] {
                    l.insert_str(0, indent);
                }
            }
        }
        lines
    }

    /// Adds the font's objects via `alloc`/`put` and returns the Type0 font's id.
    pub(crate) fn write(&self, up: &mut Update) -> ObjectId {
        let base = format!("{}+DejaVuSans", self.tag);
        let file_id = up.alloc();
        let mut fd = Dictionary::new();
        fd.set("Length1", Object::Integer(self.program.len() as i64));
        up.put(file_id, stream(fd, self.program.clone()));

        let desc_id = up.alloc();
        let mut desc = Dictionary::new();
        desc.set("Type", name("FontDescriptor"));
        desc.set("FontName", name(&base));
        // Nonsymbolic: the glyphs are ordinary Latin/Cyrillic text.
        desc.set("Flags", Object::Integer(32));
        desc.set(
            "FontBBox",
            Object::Array(self.bbox.iter().map(|v| Object::Integer(*v)).collect()),
        );
        desc.set("ItalicAngle", Object::Integer(0));
        desc.set("Ascent", Object::Integer(self.ascent));
        desc.set("Descent", Object::Integer(self.descent));
        desc.set("CapHeight", Object::Integer(self.cap_height));
        desc.set("StemV", Object::Integer(80));
        desc.set("FontFile2", Object::Reference(file_id));
        up.put(desc_id, Object::Dictionary(desc));

        let cid_id = up.alloc();
        let mut cid = Dictionary::new();
        cid.set("Type", name("Font"));
        cid.set("Subtype", name("CIDFontType2"));
        cid.set("BaseFont", name(&base));
        let mut info = Dictionary::new();
        info.set("Registry", Object::string_literal("Adobe"));
        info.set("Ordering", Object::string_literal("Identity"));
        info.set("Supplement", Object::Integer(0));
        cid.set("CIDSystemInfo", Object::Dictionary(info));
        cid.set("FontDescriptor", Object::Reference(desc_id));
        cid.set("DW", Object::Integer(1000));
        let mut w = Vec::new();
        for (c, width) in &self.widths {
            w.push(Object::Integer(i64::from(*c)));
            w.push(Object::Array(vec![Object::Integer(width.round() as i64)]));
        }
        cid.set("W", Object::Array(w));
        cid.set("CIDToGIDMap", name("Identity"));
        up.put(cid_id, Object::Dictionary(cid));

        let cmap_id = up.alloc();
        up.put(
            cmap_id,
            stream(Dictionary::new(), self.to_unicode().into_bytes()),
        );

        let font_id = up.alloc();
        let mut f = Dictionary::new();
        f.set("Type", name("Font"));
        f.set("Subtype", name("Type0"));
        f.set("BaseFont", name(&base));
        f.set("Encoding", name("Identity-H"));
        f.set(
            "DescendantFonts",
            Object::Array(vec![Object::Reference(cid_id)]),
        );
        f.set("ToUnicode", Object::Reference(cmap_id));
        up.put(font_id, Object::Dictionary(f));
        font_id
    }

    fn to_unicode(&self) -> String {
        let mut s = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<_> = self.unicode.iter().collect();
        // At most 100 entries per bfchar block (CMap syntax limit).
        for chunk in entries.chunks(100) {
            let _ = writeln!(s, "{} beginbfchar", chunk.len());
            for (cid, text) in chunk {
                let mut hex = String::new();
                for u in text.encode_utf16() {
                    let _ = write!(hex, "{u:04X}");
                }
                let _ = writeln!(s, "<{cid:04X}> <{hex}>");
            }
            s.push_str("endbfchar\n");
        }
        s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::Font;

    #[test]
    fn wrapping_keeps_a_paragraphs_indent_on_every_line() {
        let text = "    калит d1d636b2bef9bc83 · журнал ёзуви 12 · имзо ва журнал квитанцияси файлга илова қилинган";
        let font = Font::for_texts([text].into_iter()).unwrap_or_else(|e| panic!("{e}"));
        let lines = font.wrap(text, 11.0, 200.0);
        assert!(lines.len() > 1, "{lines:?}");
        for l in &lines {
            assert!(l.starts_with("    ") && !l.starts_with("     "), "{l:?}");
            assert!(font.width(l, 11.0) <= 200.0 + 1e-6, "{l:?}");
        }
        let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
        assert_eq!(
            font.wrap("no indent", 11.0, 200.0),
            vec!["no indent".to_owned()]
        );
    }
}
