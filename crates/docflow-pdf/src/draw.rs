//! Content streams: the stamp's appearance, the approval sheet pages, QR codes.

use crate::font::Font;
use crate::PdfError;
use std::fmt::Write;

pub(crate) const STAMP_FONT: f64 = 9.0;
pub(crate) const STAMP_LEADING: f64 = 11.0;
pub(crate) const STAMP_PAD: f64 = 6.0;
/// Big enough that a QR of a URL-sized payload has modules of ~4 px at 150 dpi.
pub(crate) const STAMP_QR: f64 = 80.0;

/// The fixed heading of the approval sheet, in Russian and Uzbek (Latin).
pub(crate) const SHEET_HEADING: &str = "Лист согласования / Kelishuv varaqasi";

/// The sheet's heading, or the bilingual default.
pub(crate) fn heading(sheet: &crate::Sheet) -> &str {
    if sheet.heading.trim().is_empty() {
        SHEET_HEADING
    } else {
        &sheet.heading
    }
}

fn num(v: f64) -> String {
    let mut out = Vec::new();
    crate::ser::write_real(&mut out, v);
    String::from_utf8_lossy(&out).into_owned()
}

/// Dark-module matrix of a QR code (quiet zone not included).
pub(crate) struct Qr {
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    pub(crate) fn new(text: &str) -> Result<Qr, PdfError> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| PdfError::InvalidInput(format!("QR code: {e}")))?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Qr {
            width: code.width(),
            dark,
        })
    }

    /// Draws the code with its 4-module quiet zone into the square (x, y, side).
    pub(crate) fn draw(&self, out: &mut String, x: f64, y: f64, side: f64) {
        let modules = self.width + 8;
        let m = side / modules as f64;
        let _ = writeln!(
            out,
            "q 1 1 1 rg {} {} {} {} re f 0 0 0 rg",
            num(x),
            num(y),
            num(side),
            num(side)
        );
        for row in 0..self.width {
            for col in 0..self.width {
                if self
                    .dark
                    .get(row * self.width + col)
                    .copied()
                    .unwrap_or(false)
                {
                    // Row 0 is the top; PDF's y axis points up.
                    let mx = x + (col + 4) as f64 * m;
                    let my = y + side - (row + 5) as f64 * m;
                    let _ = writeln!(out, "{} {} {} {} re", num(mx), num(my), num(m), num(m));
                }
            }
        }
        out.push_str("f Q\n");
    }
}

/// A laid-out stamp: wrapped lines and the box size in points.
pub(crate) struct StampLayout {
    pub lines: Vec<String>,
    pub qr: Option<Qr>,
    pub width: f64,
    pub height: f64,
}

impl StampLayout {
    pub(crate) fn new(
        font: &Font,
        lines: &[String],
        qr: Option<&str>,
        max_width: f64,
    ) -> Result<StampLayout, PdfError> {
        let qr = qr.map(Qr::new).transpose()?;
        let qr_w = if qr.is_some() {
            STAMP_QR + STAMP_PAD
        } else {
            0.0
        };
        // Text column: at most 300 pt, at least something readable.
        let text_max = (max_width - 2.0 * STAMP_PAD - qr_w).clamp(60.0, 300.0);
        let wrapped: Vec<String> = lines
            .iter()
            .flat_map(|l| font.wrap(l, STAMP_FONT, text_max))
            .collect();
        let text_w = wrapped
            .iter()
            .map(|l| font.width(l, STAMP_FONT))
            .fold(0.0, f64::max);
        let width = 2.0 * STAMP_PAD + text_w.max(40.0) + qr_w;
        let text_h = wrapped.len() as f64 * STAMP_LEADING;
        let inner = if qr.is_some() {
            text_h.max(STAMP_QR)
        } else {
            text_h.max(STAMP_LEADING)
        };
        Ok(StampLayout {
            lines: wrapped,
            qr,
            width,
            height: inner + 2.0 * STAMP_PAD,
        })
    }

    /// The appearance stream content, in form space (0,0)-(width,height).
    pub(crate) fn content(&self, font: &Font) -> String {
        let (w, h) = (self.width, self.height);
        let mut s = String::new();
        // Opaque white background so the stamp stays legible over page content.
        let _ = writeln!(s, "q 1 1 1 rg 0 0 {} {} re f Q", num(w), num(h));
        let _ = writeln!(
            s,
            "q 0.05 0.2 0.55 RG 1.2 w 0.6 0.6 {} {} re S Q",
            num(w - 1.2),
            num(h - 1.2)
        );
        if !self.lines.is_empty() {
            let top = h - STAMP_PAD - STAMP_FONT;
            let _ = writeln!(
                s,
                "BT /F1 {} Tf {} TL 0.05 0.2 0.55 rg {} {} Td",
                num(STAMP_FONT),
                num(STAMP_LEADING),
                num(STAMP_PAD),
                num(top)
            );
            for (i, line) in self.lines.iter().enumerate() {
                if i > 0 {
                    s.push_str("T* ");
                }
                let _ = writeln!(s, "{} Tj", font.encode(line));
            }
            s.push_str("ET\n");
        }
        if let Some(qr) = &self.qr {
            let x = w - STAMP_PAD - STAMP_QR;
            let y = (h - STAMP_QR) / 2.0;
            qr.draw(&mut s, x, y, STAMP_QR);
        }
        s
    }
}

pub(crate) const SHEET_W: f64 = 595.28;
pub(crate) const SHEET_H: f64 = 841.89;
const SHEET_MARGIN: f64 = 56.0;
const BODY_SIZE: f64 = 11.0;
const BODY_LEADING: f64 = 15.0;
const SHEET_QR: f64 = 110.0;

/// Content streams of the approval sheet, one per page.
pub(crate) fn sheet_pages(
    font: &Font,
    heading: &str,
    title: &str,
    lines: &[String],
    qr: Option<&str>,
) -> Result<Vec<String>, PdfError> {
    let qr = qr.map(Qr::new).transpose()?;
    let text_w = SHEET_W - 2.0 * SHEET_MARGIN;
    let body: Vec<String> = lines
        .iter()
        .flat_map(|l| font.wrap(l, BODY_SIZE, text_w))
        .collect();
    let title_lines = font.wrap(title, 12.0, text_w);
    let first_top = SHEET_H - SHEET_MARGIN - 18.0 - 8.0 - title_lines.len() as f64 * 16.0 - 10.0;
    let other_top = SHEET_H - SHEET_MARGIN - 18.0 - 10.0;
    let bottom = SHEET_MARGIN + 20.0;

    // Split the body into pages; the QR needs room at the bottom of the last page.
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut current = Vec::new();
    let mut y = first_top;
    for line in body {
        if y - BODY_LEADING < bottom {
            pages.push(std::mem::take(&mut current));
            y = other_top;
        }
        current.push(line);
        y -= BODY_LEADING;
    }
    let qr_fits = y - SHEET_QR - 10.0 >= bottom;
    pages.push(current);
    if qr.is_some() && !qr_fits {
        pages.push(Vec::new());
    }
    let total = pages.len();
    let mut out = Vec::with_capacity(total);
    for (i, page_lines) in pages.iter().enumerate() {
        let mut s = String::new();
        let mut y = SHEET_H - SHEET_MARGIN - 14.0;
        let _ = writeln!(
            s,
            "BT /F1 14 Tf {} {} Td {} Tj ET",
            num(SHEET_MARGIN),
            num(y),
            font.encode(heading)
        );
        y -= 12.0;
        let _ = writeln!(
            s,
            "q 0.3 w {} {} m {} {} l S Q",
            num(SHEET_MARGIN),
            num(y),
            num(SHEET_W - SHEET_MARGIN),
            num(y)
        );
        y -= 16.0;
        if i == 0 {
            for t in &title_lines {
                let _ = writeln!(
                    s,
                    "BT /F1 12 Tf {} {} Td {} Tj ET",
                    num(SHEET_MARGIN),
                    num(y),
                    font.encode(t)
                );
                y -= 16.0;
            }
            y -= 10.0;
        }
        if !page_lines.is_empty() {
            let _ = writeln!(
                s,
                "BT /F1 {} Tf {} TL {} {} Td",
                num(BODY_SIZE),
                num(BODY_LEADING),
                num(SHEET_MARGIN),
                num(y)
            );
            for (j, line) in page_lines.iter().enumerate() {
                if j > 0 {
                    s.push_str("T* ");
                }
                let _ = writeln!(s, "{} Tj", font.encode(line));
            }
            s.push_str("ET\n");
        }
        if i + 1 == total {
            if let Some(qr) = &qr {
                qr.draw(&mut s, SHEET_W - SHEET_MARGIN - SHEET_QR, bottom, SHEET_QR);
            }
        }
        let footer = format!("{}/{}", i + 1, total);
        let _ = writeln!(
            s,
            "BT /F1 9 Tf {} {} Td {} Tj ET",
            num(SHEET_W / 2.0 - font.width(&footer, 9.0) / 2.0),
            num(SHEET_MARGIN / 2.0),
            font.encode(&footer)
        );
        out.push(s);
    }
    Ok(out)
}

/// Characters the sheet draws besides the caller's text (page footers).
pub(crate) const SHEET_FIXED_CHARS: &str = "0123456789/";
