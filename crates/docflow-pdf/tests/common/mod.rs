//! Shared test helpers: the corpus, generated documents and external tools.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Is `tool` on PATH? Missing tools fail the test under CI=true, else skip loudly.
pub fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("required tool `{tool}` is missing (CI=true)");
        }
        eprintln!("!!!!! SKIPPING checks that need `{tool}`: not installed !!!!!");
    }
    found
}

/// Runs a command, returning (success, stdout+stderr).
pub fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    match Command::new(cmd).args(args).output() {
        Ok(o) => (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(e) => (false, format!("{cmd}: {e}")),
    }
}

/// A PDF 1.3 written by lopdf (classic xref table), with `pages` pages.
pub fn lopdf_pdf(pages: usize) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.3");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut kids: Vec<Object> = Vec::new();
    for i in 0..pages {
        let content = format!("BT /F1 24 Tf 72 700 Td (lopdf page {}) Tj ET", i + 1);
        let c = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        let p = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => c,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(p.into());
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
        }),
    );
    let cat = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", cat);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("lopdf writes to a Vec");
    out
}

/// The catalogue's id, the page-tree root's id and the trailer's /Size.
pub fn root_pages_size(pdf: &[u8]) -> ((u32, u16), (u32, u16), u32) {
    let doc = lopdf::Document::load_mem(pdf).expect("load");
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let pages = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let size = doc.trailer.get(b"Size").unwrap().as_i64().unwrap() as u32;
    (root, pages, size)
}

/// Every corpus document: (name, bytes). Encrypted files are left out.
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("encrypted") {
            continue;
        }
        out.push((name, std::fs::read(&p).expect("read corpus file")));
    }
    out.push(("lopdf-1.3.pdf (generated)".into(), lopdf_pdf(2)));
    out.push(("lopdf-300-pages.pdf (generated)".into(), lopdf_pdf(300)));
    out
}

/// Appends a raw incremental update (classic table) that gives object `id` the
/// serialised body `body`, the way a third party might.
pub fn append_update(pdf: &[u8], objects: &[((u32, u16), Vec<u8>)]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).expect("load");
    let text = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(64)..]).into_owned();
    let startxref: usize = text
        .rsplit("startxref")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("startxref");
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let size = doc.trailer.get(b"Size").unwrap().as_i64().unwrap() as u32;
    let mut out = pdf.to_vec();
    let mut offs = Vec::new();
    for ((n, g), body) in objects {
        offs.push((*n, *g, out.len()));
        out.extend_from_slice(format!("{n} {g} obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    let mut max = size;
    for (n, g, off) in offs {
        out.extend_from_slice(format!("{n} 1\n{off:010} {g:05} n\r\n").as_bytes());
        max = max.max(n + 1);
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {max} /Root {} {} R /Prev {startxref} >>\nstartxref\n{xref}\n%%EOF\n",
            root.0, root.1
        )
        .as_bytes(),
    );
    out
}
