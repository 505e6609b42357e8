#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Stamping the corpus and checking the results with our own reader and with tools
//! no one here wrote (qpdf, poppler, zbar).

mod common;

use common::{corpus, have, run};
use docflow_pdf::{attachment, check_revisions, stamp, Attachment, PdfError, Sheet, Stamp};
use sha2::{Digest, Sha256};

const QR_TEXT: &str = "https://docflow.example.uz/v/0191-ABCD";
const CYR: &str = "Тасдиқланди: Ўзбекистон ҳокимияти, ғалаба";
const LAT: &str = "Tasdiqlandi: Oʻzbekiston gʻalaba";
const RUS: &str = "Согласовано: Иванов И.И.";

fn stamps(pages: usize) -> Vec<Stamp> {
    let mut v = vec![
        Stamp {
            page: 0,
            lines: vec![CYR.into(), LAT.into(), "Approved 2026-01-15 10:30".into()],
            qr: Some(QR_TEXT.into()),
        },
        Stamp {
            page: 0,
            lines: vec![RUS.into()],
            qr: None,
        },
    ];
    if pages > 1 {
        v.push(Stamp {
            page: pages - 1,
            lines: vec!["Last page stamp".into()],
            qr: None,
        });
    }
    v
}

fn sheet(lines: usize) -> Sheet {
    Sheet {
        heading: String::new(),
        title: "Buyruq № 17 / Приказ № 17".into(),
        lines: (0..lines)
            .map(|i| {
                format!(
                    "{}. Kelishildi — Согласовано: xodim {i}, boʻlim ҳисоб-китоб",
                    i + 1
                )
            })
            .collect(),
        qr: Some("sheet-qr-0191".into()),
    }
}

fn evidence() -> Attachment {
    Attachment {
        name: "evidence.json".into(),
        mime: "application/json".into(),
        description: "docflow evidence".into(),
        data: br#"{"doc":"0191","signatures":[]}"#.to_vec(),
    }
}

fn page_count(pdf: &[u8]) -> usize {
    lopdf::Document::load_mem(pdf).unwrap().get_pages().len()
}

#[test]
fn corpus_stamps_pass_every_check() {
    let tools = (
        have("qpdf"),
        have("pdftotext"),
        have("pdftoppm"),
        have("zbarimg"),
        have("pdfdetach"),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (name, original) in corpus() {
        let pages = page_count(&original);
        // Every producer's file takes the lazy path, not the full-load fallback.
        assert!(
            docflow_pdf::reads_lazily(&original),
            "{name}: read by the fallback"
        );
        let out = stamp(
            &original,
            &stamps(pages),
            Some(&sheet(90)),
            Some(&evidence()),
        )
        .unwrap_or_else(|e| panic!("{name}: stamp failed: {e}"));
        assert!(
            out.starts_with(&original),
            "{name}: original is not a prefix"
        );

        assert!(
            docflow_pdf::reads_lazily(&out),
            "{name}: output read by the fallback"
        );
        let report = check_revisions(&out, original.len()).unwrap();
        assert_eq!(report.revisions, 1, "{name}");
        assert!(report.is_clean(), "{name}: {:?}", report.violations);
        assert_eq!(
            attachment(&out, "evidence.json").unwrap(),
            Some(evidence().data),
            "{name}"
        );
        // 90 lines paginate onto at least two sheet pages.
        assert!(page_count(&out) >= pages + 2, "{name}: sheet pages missing");

        // A second stamping on top of the first: both updates are allowed ones.
        let again = stamp(&out, &stamps(1), None, None).unwrap();
        let r2 = check_revisions(&again, original.len()).unwrap();
        assert_eq!(r2.revisions, 2, "{name}");
        assert!(r2.is_clean(), "{name}: {:?}", r2.violations);

        let path = dir.path().join(format!("{}.pdf", name.replace(' ', "_")));
        std::fs::write(&path, &again).unwrap();
        let p = path.to_str().unwrap();
        if tools.0 {
            let (ok, msg) = run("qpdf", &["--check", p]);
            if !ok || msg.contains("WARNING") {
                failures.push(format!("{name}: qpdf --check: {msg}"));
            }
        }
        if tools.1 {
            let (ok, text) = run("pdftotext", &["-enc", "UTF-8", p, "-"]);
            for want in [
                CYR,
                LAT,
                RUS,
                "Лист согласования / Kelishuv varaqasi",
                "Приказ № 17",
            ] {
                if !ok || !text.contains(want) {
                    failures.push(format!("{name}: pdftotext lacks {want:?}"));
                }
            }
        }
        if tools.2 && tools.3 {
            let png = dir.path().join("page");
            let (ok, msg) = run(
                "pdftoppm",
                &[
                    "-r",
                    "150",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-png",
                    "-singlefile",
                    p,
                    png.to_str().unwrap(),
                ],
            );
            let png = format!("{}.png", png.display());
            let (_, codes) = run("zbarimg", &["-q", "--raw", &png]);
            if !ok || !codes.contains(QR_TEXT) {
                failures.push(format!("{name}: QR not decoded ({msg} {codes})"));
            }
        }
        if tools.4 {
            let (ok, list) = run("pdfdetach", &["-list", p]);
            if !ok || !list.contains("evidence.json") {
                failures.push(format!("{name}: pdfdetach -list: {list}"));
            }
        }
        eprintln!(
            "checked {name} ({} -> {} bytes)",
            original.len(),
            again.len()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn signed_pdf_stays_valid_after_stamping() {
    if !have("pdfsig") {
        return;
    }
    let original = std::fs::read(common::corpus_dir().join("signed.pdf")).unwrap();
    let out = stamp(&original, &stamps(3), Some(&sheet(5)), Some(&evidence())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (label, bytes) in [("before", &original), ("after", &out)] {
        let p = dir.path().join(format!("{label}.pdf"));
        std::fs::write(&p, bytes).unwrap();
        let (_, msg) = run("pdfsig", &[p.to_str().unwrap()]);
        assert!(
            msg.contains("Signature is Valid"),
            "{label} stamping, pdfsig says: {msg}"
        );
    }
}

#[test]
fn encrypted_input_is_refused() {
    let bytes = std::fs::read(common::corpus_dir().join("encrypted.pdf")).unwrap();
    assert!(matches!(
        stamp(&bytes, &stamps(1), None, None),
        Err(PdfError::Encrypted)
    ));
    assert!(matches!(
        check_revisions(&bytes, bytes.len()),
        Err(PdfError::Encrypted)
    ));
}

#[test]
fn stamp_on_missing_page_is_an_error() {
    let original = common::lopdf_pdf(1);
    let bad = [Stamp {
        page: 5,
        lines: vec!["x".into()],
        qr: None,
    }];
    assert!(matches!(
        stamp(&original, &bad, None, None),
        Err(PdfError::PageOutOfRange { page: 5, count: 1 })
    ));
}

#[test]
fn flipped_original_byte_is_detectable() {
    let original = std::fs::read(common::corpus_dir().join("reportlab.pdf")).unwrap();
    let stored = Sha256::digest(&original);
    let out = stamp(&original, &stamps(3), None, Some(&evidence())).unwrap();
    assert_eq!(Sha256::digest(&out[..original.len()]), stored);
    assert!(check_revisions(&out, original.len()).unwrap().is_clean());

    // Flip one byte inside the original part: the prefix hash differs.
    let mut tampered = out.clone();
    let at = original.len() / 2;
    tampered[at] ^= 0x20;
    assert_ne!(Sha256::digest(&tampered[..original.len()]), stored);
    // A wrong original length is not a revision boundary.
    assert!(matches!(
        check_revisions(&out, original.len() - 3),
        Err(PdfError::NotARevision(_))
    ));
}

#[test]
fn replaced_content_stream_is_a_violation() {
    let original = std::fs::read(common::corpus_dir().join("reportlab.pdf")).unwrap();
    let out = stamp(&original, &stamps(3), None, None).unwrap();
    let doc = lopdf::Document::load_mem(&original).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let content = doc.get_page_contents(page)[0];
    let body = b"<< /Length 35 >>\nstream\nBT /F1 30 Tf 72 400 Td (X) Tj ET\n\nendstream".to_vec();
    let tampered = common::append_update(&out, &[(content, body)]);
    let report = check_revisions(&tampered, original.len()).unwrap();
    assert_eq!(report.revisions, 2);
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.object == content && v.revision == 2),
        "{:?}",
        report.violations
    );
}

#[test]
fn open_action_and_javascript_are_violations() {
    let original = common::lopdf_pdf(1);
    let (root, pages, size) = common::root_pages_size(&original);
    let catalog = format!(
        "<< /Type /Catalog /Pages {} {} R /OpenAction {size} 0 R >>",
        pages.0, pages.1
    );
    let js = b"<< /S /JavaScript /JS (app.alert(1)) >>".to_vec();
    let tampered =
        common::append_update(&original, &[(root, catalog.into_bytes()), ((size, 0), js)]);
    let report = check_revisions(&tampered, original.len()).unwrap();
    assert!(
        report.violations.iter().any(|v| v.object == root),
        "{report:?}"
    );
    assert!(
        report.violations.iter().any(|v| v.object == (size, 0)),
        "{report:?}"
    );
}

#[test]
fn freed_object_is_a_violation() {
    let original = common::lopdf_pdf(1);
    // An update whose xref marks object 2 free.
    let startxref = String::from_utf8_lossy(&original[original.len() - 40..])
        .rsplit("startxref")
        .next()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap();
    let (root, _, size) = common::root_pages_size(&original);
    let mut out = original.clone();
    let xref = out.len();
    out.extend_from_slice(
        format!(
            "xref\n2 1\n0000000000 00001 f\r\ntrailer\n<< /Size {size} /Root {} {} R /Prev {startxref} >>\nstartxref\n{xref}\n%%EOF\n",
            root.0, root.1
        )
        .as_bytes(),
    );
    let report = check_revisions(&out, original.len()).unwrap();
    assert!(!report.is_clean(), "{report:?}");
}

#[test]
fn existing_attachment_tree_is_merged() {
    let original = common::lopdf_pdf(1);
    let first = stamp(&original, &[], None, Some(&evidence())).unwrap();
    let mut second_file = evidence();
    second_file.name = "qaror-ўзбек.txt".into();
    second_file.data = b"second".to_vec();
    let second = stamp(&first, &[], None, Some(&second_file)).unwrap();
    assert_eq!(
        attachment(&second, "evidence.json").unwrap(),
        Some(evidence().data)
    );
    assert_eq!(
        attachment(&second, "qaror-ўзбек.txt").unwrap(),
        Some(b"second".to_vec())
    );
    assert_eq!(attachment(&second, "missing").unwrap(), None);
    let report = check_revisions(&second, original.len()).unwrap();
    assert_eq!(report.revisions, 2);
    assert!(report.is_clean(), "{:?}", report.violations);
}

#[test]
fn stamps_on_one_page_do_not_overlap() {
    let original = common::lopdf_pdf(1);
    let many: Vec<Stamp> = (0..12)
        .map(|i| Stamp {
            page: 0,
            lines: vec![format!("Stamp {i}"), LAT.into()],
            qr: (i % 3 == 0).then(|| format!("qr {i}")),
        })
        .collect();
    let out = stamp(&original, &many, None, None).unwrap();
    let out = stamp(&out, &many[..2], None, None).unwrap();
    let doc = lopdf::Document::load_mem(&out).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let annots = doc.get_page_annotations(page).unwrap();
    let rects: Vec<[f32; 4]> = annots
        .iter()
        .map(|a| {
            let r = a.get(b"Rect").unwrap().as_array().unwrap();
            let v: Vec<f32> = r.iter().map(|x| x.as_float().unwrap()).collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect();
    assert_eq!(rects.len(), 14);
    for (i, a) in rects.iter().enumerate() {
        assert!(
            a[0] >= 0.0 && a[1] >= 0.0 && a[2] <= 595.0 && a[3] <= 842.0,
            "{a:?}"
        );
        for b in &rects[i + 1..] {
            let overlap = a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
            assert!(!overlap, "{a:?} overlaps {b:?}");
        }
    }
}

#[test]
fn output_without_trailing_eol_and_no_id() {
    // Original ends right after %%EOF and has no /ID: we add a newline and an /ID.
    let mut original = common::lopdf_pdf(1);
    while original.last() == Some(&b'\n') || original.last() == Some(&b'\r') {
        original.pop();
    }
    let out = stamp(&original, &stamps(1), None, None).unwrap();
    assert!(out.starts_with(&original));
    let doc = lopdf::Document::load_mem(&out).unwrap();
    assert!(doc.trailer.get(b"ID").is_ok());
    assert!(check_revisions(&out, original.len()).unwrap().is_clean());
}

#[test]
fn update_that_cuts_the_xref_chain_is_a_violation() {
    let original = common::lopdf_pdf(1);
    let out = stamp(&original, &stamps(1), Some(&sheet(3)), Some(&evidence())).unwrap();
    let (root, pages, size) = common::root_pages_size(&out);
    // A later update that restates the catalogue but has no /Prev: every
    // other object falls out of the cross-reference chain.
    let mut cut = out.clone();
    let at = cut.len();
    cut.extend_from_slice(
        format!(
            "{} {} obj\n<< /Type /Catalog /Pages {} {} R >>\nendobj\n",
            root.0, root.1, pages.0, pages.1
        )
        .as_bytes(),
    );
    let xref = cut.len();
    cut.extend_from_slice(
        format!(
            "xref\n0 1\n0000000000 65535 f\r\n{} 1\n{at:010} {:05} n\r\ntrailer\n<< /Size {size} /Root {} {} R >>\nstartxref\n{xref}\n%%EOF\n",
            root.0, root.1, root.0, root.1
        )
        .as_bytes(),
    );
    let report = check_revisions(&cut, original.len()).unwrap();
    assert_eq!(report.revisions, 2);
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.revision == 2 && v.object == pages),
        "{:?}",
        report.violations
    );
    // The stamping update alone is clean.
    assert!(check_revisions(&out, original.len()).unwrap().is_clean());
}

/// Three levels: a root with three intermediate nodes of four pages each,
/// the middle node's /Kids an indirect array; `root_count` is what the root
/// claims (12 is the truth).
fn nested_pdf(root_count: i64) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.7");
    let root = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut nodes: Vec<Object> = Vec::new();
    for n in 0..3 {
        let node = doc.new_object_id();
        let mut kids: Vec<Object> = Vec::new();
        for i in 0..4 {
            let text = format!(
                "BT /F1 24 Tf 72 700 Td (nested page {}) Tj ET",
                n * 4 + i + 1
            );
            let c = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
            let p = doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => node, "Contents" => c,
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            });
            if n == 0 && i == 0 {
                // The first page has a link, in an indirect /Annots array.
                let link = doc.add_object(dictionary! {
                    "Type" => "Annot", "Subtype" => "Link",
                    "Rect" => vec![72.into(), 690.into(), 300.into(), 720.into()],
                    "Border" => vec![0.into(), 0.into(), 0.into()],
                });
                let annots = doc.add_object(Object::Array(vec![link.into()]));
                if let Ok(Object::Dictionary(d)) = doc.get_object_mut(p) {
                    d.set("Annots", annots);
                }
            }
            kids.push(p.into());
        }
        let kids = if n == 1 {
            Object::Reference(doc.add_object(Object::Array(kids)))
        } else {
            Object::Array(kids)
        };
        doc.objects.insert(
            node,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Parent" => root, "Kids" => kids, "Count" => 4,
            }),
        );
        nodes.push(node.into());
    }
    doc.objects.insert(
        root,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => nodes, "Count" => root_count,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let cat = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => root });
    doc.trailer.set("Root", cat);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn stamps_land_on_their_pages_in_a_nested_page_tree() {
    // Honest /Count: the lazy walk; a lying one: the whole tree is walked.
    for root_count in [12, 20] {
        let original = nested_pdf(root_count);
        let wanted = [0usize, 5, 6, 11];
        let stamps: Vec<Stamp> = wanted
            .iter()
            .map(|&page| Stamp {
                page,
                lines: vec![format!("Stamp on page index {page}")],
                qr: None,
            })
            .collect();
        let out = stamp(&original, &stamps, Some(&sheet(3)), None).unwrap();
        let report = check_revisions(&out, original.len()).unwrap();
        assert!(report.is_clean(), "{root_count}: {:?}", report.violations);
        let doc = lopdf::Document::load_mem(&out).unwrap();
        let pages: Vec<_> = doc.page_iter().collect();
        assert_eq!(
            pages.len(),
            12 + 1,
            "{root_count}: twelve pages and a sheet page"
        );
        for (index, page) in pages.iter().take(12).enumerate() {
            let has_annots = doc.get_dictionary(*page).unwrap().has(b"Annots");
            assert_eq!(
                has_annots,
                wanted.contains(&index),
                "{root_count}: page {index}"
            );
        }
        // Page 12 does not exist, whatever the root claims.
        let missing = Stamp {
            page: 12,
            lines: vec!["x".into()],
            qr: None,
        };
        assert!(
            matches!(
                stamp(&original, &[missing], None, None),
                Err(docflow_pdf::PdfError::PageOutOfRange { .. })
            ),
            "{root_count}"
        );
    }
}
