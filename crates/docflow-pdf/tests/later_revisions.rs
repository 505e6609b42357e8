#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Revisions after docflow's stamp: forged updates that a lenient reading
//! would accept while poppler renders the forgery, and the stricter table
//! for what may follow the stamp. Every forged file is a stamped corpus file
//! with one hand-written incremental update appended.

mod common;

use common::{have, run};
use docflow_pdf::{check_later_revisions, check_revisions, stamp, Attachment, Sheet, Stamp};
use docflow_pdf::{RevisionReport, Violation};

/// reportlab.pdf: page 1 is object 3, the page tree 8, the catalogue 6
/// (classic cross-reference table).
const PAGE: u32 = 3;
const PAGES: u32 = 8;
const CATALOG: u32 = 6;

fn stamped_corpus(file: &str) -> (Vec<u8>, Vec<u8>) {
    let original = std::fs::read(common::corpus_dir().join(file)).unwrap();
    let stamps = [Stamp {
        page: 0,
        lines: vec!["Tasdiqlandi / Approved".into(), "2026-01-15 10:30".into()],
        qr: Some("docflow-qr/1".into()),
    }];
    let sheet = Sheet {
        title: "Buyruq № 17".into(),
        lines: vec!["1. Kelishildi".into()],
        ..Default::default()
    };
    let evidence = Attachment {
        name: "docflow-evidence.json".into(),
        mime: "application/json".into(),
        description: "docflow evidence".into(),
        data: br#"{"doc":"0191"}"#.to_vec(),
    };
    let out = stamp(&original, &stamps, Some(&sheet), Some(&evidence)).unwrap();
    (original, out)
}

fn stamped() -> (Vec<u8>, Vec<u8>) {
    stamped_corpus("reportlab.pdf")
}

fn startxref(pdf: &[u8]) -> usize {
    String::from_utf8_lossy(&pdf[pdf.len() - 40..])
        .rsplit("startxref")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("startxref")
}

/// The body (between `N 0 obj` and `endobj`) of the last definition of `num`.
fn last_body(pdf: &[u8], num: u32) -> String {
    let text = String::from_utf8_lossy(pdf);
    let header = format!("\n{num} 0 obj\n");
    let at = text.rfind(&header).expect("object header") + header.len();
    let end = at + text[at..].find("\nendobj").expect("endobj");
    text[at..end].to_string()
}

/// A content stream drawing `text` in the page's font, typed as a form
/// XObject so that the table itself allows it as a new object: what is
/// under test is the page that points at it.
fn content(text: &str) -> Vec<u8> {
    let data = format!("BT /F1 36 Tf 72 400 Td ({text}) Tj ET");
    format!(
        "<</Type /XObject/Subtype /Form/BBox [0 0 595 842]/Length {}>>\nstream\n{data}\nendstream",
        data.len()
    )
    .into_bytes()
}

/// One body of an update: an object in the cross-reference, or bytes that
/// are in the file but not in it.
enum Part {
    Object(u32, Vec<u8>),
    /// Like `Object`, but the cross-reference entry is off by this many bytes.
    Skewed(u32, Vec<u8>, i64),
    Unlisted(u32, Vec<u8>),
}

/// Appends an update written by hand: the parts, a classic table with one
/// subsection per listed object, and a trailer whose /Prev is the file's
/// last cross-reference. Offsets are the exact byte positions written.
fn append(pdf: &[u8], parts: Vec<Part>) -> Vec<u8> {
    let prev = startxref(pdf);
    let (root, _, size) = common::root_pages_size(pdf);
    let mut out = pdf.to_vec();
    let mut rows = Vec::new();
    let mut max = size;
    for part in parts {
        let (num, body, skew, listed) = match part {
            Part::Object(n, b) => (n, b, 0, true),
            Part::Skewed(n, b, s) => (n, b, s, true),
            Part::Unlisted(n, b) => (n, b, 0, false),
        };
        if listed {
            rows.push((num, out.len() as i64 + skew));
            max = max.max(num + 1);
        }
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, offset) in rows {
        out.extend_from_slice(format!("{num} 1\n{offset:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {max}/Root {} {} R/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n",
            root.0, root.1
        )
        .as_bytes(),
    );
    out
}

fn on(report: &RevisionReport, object: u32, needle: &str) -> bool {
    report
        .violations
        .iter()
        .any(|v| v.object.0 == object && v.reason.contains(needle))
}

/// Page 1 as the stamp left it, with /Contents pointing at object `to`.
fn page_with_contents(stamped: &[u8], to: u32) -> String {
    let page = last_body(stamped, PAGE);
    assert!(page.contains("/Contents 9 0 R"), "{page}");
    page.replace("/Contents 9 0 R", &format!("/Contents {to} 0 R"))
}

/// Page 1 as the stamp left it, with `annots` appended to its /Annots.
fn page_with_annots(stamped: &[u8], annots: &str) -> String {
    let page = last_body(stamped, PAGE);
    let at = page.find("/Annots [").expect("stamped page has /Annots") + "/Annots [".len();
    let close = at + page[at..].find(']').expect("]");
    format!("{} {annots}{}", &page[..close], &page[close..])
}

/// Does poppler show `text` on page 1? `None` when pdftotext is missing.
fn poppler_shows(pdf: &[u8], text: &str) -> Option<bool> {
    if !have("pdftotext") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forged.pdf");
    std::fs::write(&path, pdf).unwrap();
    let (_, out) = run(
        "pdftotext",
        &["-f", "1", "-l", "1", path.to_str().unwrap(), "-"],
    );
    Some(out.contains(text))
}

#[test]
fn well_formed_later_revision_replacing_contents_is_caught_by_the_table() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let forged = append(
        &stamped,
        vec![
            Part::Object(size, content("FORGED")),
            Part::Object(PAGE, page_with_contents(&stamped, size).into_bytes()),
        ],
    );
    assert!(poppler_shows(&forged, "FORGED").unwrap_or(true));
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    assert_eq!(
        report.violations,
        vec![Violation {
            object: (PAGE, 0),
            revision: 1,
            reason: "/Contents changed".into()
        }]
    );
}

#[test]
fn page_that_does_not_parse_is_a_violation() {
    let (original, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let page = page_with_contents(&stamped, size);
    let contents = format!("/Contents {size} 0 R");
    // (what, body, whether poppler renders the forged content)
    let forgeries = [
        (
            "stray token",
            page.replace(&contents, &format!("{contents} 7")),
            true,
        ),
        (
            "bad hex string",
            page.replace("/Rotate 0", "/Z <4G>/Rotate 0"),
            true,
        ),
        (
            "missing >>",
            page.strip_suffix(">>").expect("dictionary").to_string(),
            true,
        ),
        // lopdf and poppler take the last of two equal keys, other readers
        // the first: refused whichever reader the forgery is meant for.
        (
            "duplicate key",
            page.replace(&contents, &format!("{contents}/Contents 9 0 R")),
            false,
        ),
    ];
    for (what, body, rendered) in forgeries {
        assert_ne!(body, page, "{what}");
        let forged = append(
            &stamped,
            vec![
                Part::Object(size, content("FORGED")),
                Part::Object(PAGE, body.into_bytes()),
            ],
        );
        // The forgery is real: poppler recovers and renders the new content.
        if let (true, Some(shown)) = (rendered, poppler_shows(&forged, "FORGED")) {
            assert!(shown, "{what}: poppler does not render the forgery");
        }
        let later = check_later_revisions(&forged, stamped.len()).unwrap();
        assert!(on(&later, PAGE, "does not parse"), "{what}: {later:?}");
        assert!(later.violations.iter().all(|v| v.revision == 1), "{what}");
        // Both tables fail closed, from either prefix.
        let table = check_revisions(&forged, stamped.len()).unwrap();
        assert!(on(&table, PAGE, "does not parse"), "{what}: {table:?}");
        let whole = check_revisions(&forged, original.len()).unwrap();
        assert!(
            whole.violations.iter().any(|v| v.object == (PAGE, 0)
                && v.revision == 2
                && v.reason.contains("does not parse")),
            "{what}: {whole:?}"
        );
    }
}

#[test]
fn xref_entry_three_bytes_off_is_a_violation() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let forged = append(
        &stamped,
        vec![
            Part::Object(size, content("FORGED")),
            Part::Skewed(PAGE, page_with_contents(&stamped, size).into_bytes(), 3),
        ],
    );
    // poppler reconstructs the cross-reference and renders the forged page.
    if let Some(shown) = poppler_shows(&forged, "FORGED") {
        assert!(shown, "poppler does not render the forgery");
    }
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    assert!(on(&report, PAGE, "does not parse at offset"), "{report:?}");
    assert!(
        on(&report, PAGE, "not in the cross-reference"),
        "{report:?}"
    );
}

#[test]
fn object_header_not_in_the_xref_is_a_violation() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let honest = last_body(&stamped, PAGE);
    // A second definition of page 1, with new /Contents, that the
    // cross-reference skips: it points at the honest copy after it.
    let forged = append(
        &stamped,
        vec![
            Part::Object(size, content("FORGED")),
            Part::Unlisted(PAGE, page_with_contents(&stamped, size).into_bytes()),
            Part::Object(PAGE, honest.into_bytes()),
        ],
    );
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    let stray: Vec<&Violation> = report
        .violations
        .iter()
        .filter(|v| v.reason.contains("but not in the cross-reference"))
        .collect();
    assert_eq!(stray.len(), 1, "{report:?}");
    assert_eq!((stray[0].object, stray[0].revision), ((PAGE, 0), 1));
    assert!(
        stray[0]
            .reason
            .starts_with(&format!("object {PAGE} 0 defined at offset ")),
        "{}",
        stray[0].reason
    );
}

#[test]
fn damaged_cross_reference_of_a_later_revision_is_a_violation() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let mut forged = append(
        &stamped,
        vec![
            Part::Object(size, content("FORGED")),
            Part::Object(PAGE, page_with_contents(&stamped, size).into_bytes()),
        ],
    );
    // The update's `xref` keyword becomes `xreg`: no reading of this
    // revision may fall back to one in which the new page disappears.
    let xref = startxref(&forged);
    assert_eq!(&forged[xref..xref + 4], b"xref");
    forged[xref + 3] = b'g';
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    assert_eq!(report.revisions, 1, "{report:?}");
    assert!(
        report.violations.iter().any(|v| v.revision == 1
            && v.object == (0, 0)
            && v.reason.starts_with("its cross-reference does not read")),
        "{report:?}"
    );
    // Its objects are headers no cross-reference points at.
    assert!(
        on(&report, PAGE, "not in the cross-reference"),
        "{report:?}"
    );
    assert!(!check_revisions(&forged, stamped.len()).unwrap().is_clean());
}

#[test]
fn bytes_after_the_last_eof_are_a_violation() {
    let (_, stamped) = stamped();
    let mut forged = stamped.clone();
    forged.extend_from_slice(b"3 0 obj\n<</Type /Page>>\nendobj\n");
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    assert!(
        on(&report, 0, "bytes after the last complete revision"),
        "{report:?}"
    );
    assert!(
        on(&report, PAGE, "not in the cross-reference"),
        "{report:?}"
    );
}

#[test]
fn appended_annotation_is_visible_content_nobody_signed() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let note = format!(
        "<</Type /Annot/Subtype /FreeText/Rect [100 100 300 150]/Contents (FORGED NOTE)/DA (/Helv 12 Tf 0 g)/F 4/P {PAGE} 0 R>>"
    );
    let forged = append(
        &stamped,
        vec![
            Part::Object(size, note.into_bytes()),
            Part::Object(
                PAGE,
                page_with_annots(&stamped, &format!("{size} 0 R")).into_bytes(),
            ),
        ],
    );
    let later = check_later_revisions(&forged, stamped.len()).unwrap();
    assert_eq!(
        later.violations,
        vec![Violation {
            object: (size, 0),
            revision: 1,
            reason: format!(
                "adds visible content nobody signed: annotation {size} 0 R on page {PAGE} 0 R"
            ),
        }]
    );
    assert_eq!(
        later
            .per_revision
            .iter()
            .map(|r| (r.new, r.changed))
            .collect::<Vec<_>>(),
        vec![(1, 1)]
    );
    // The stamping table allows annotations: that is how stamps are added.
    assert!(check_revisions(&forged, stamped.len()).unwrap().is_clean());
}

#[test]
fn new_page_is_visible_content_nobody_signed() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let (page, contents) = (size, size + 1);
    let tree = last_body(&stamped, PAGES);
    let kids_end = tree.find("/Kids [").expect("/Kids")
        + tree[tree.find("/Kids [").unwrap()..].find(']').unwrap();
    let count: i64 = tree
        .split("/Count ")
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("/Count");
    let tree = format!("{} {page} 0 R{}", &tree[..kids_end], &tree[kids_end..])
        .replace(&format!("/Count {count}"), &format!("/Count {}", count + 1));
    let new_page = format!(
        "<</Type /Page/Parent {PAGES} 0 R/MediaBox [0 0 595 842]/Resources <<>>/Contents {contents} 0 R>>"
    );
    let forged = append(
        &stamped,
        vec![
            Part::Object(page, new_page.into_bytes()),
            Part::Object(contents, content("FORGED PAGE")),
            Part::Object(PAGES, tree.into_bytes()),
        ],
    );
    let later = check_later_revisions(&forged, stamped.len()).unwrap();
    assert_eq!(
        later.violations,
        vec![Violation {
            object: (page, 0),
            revision: 1,
            reason: format!(
                "adds visible content nobody signed: page {page} 0 R appended to the page tree (node {PAGES} 0 R)"
            ),
        }]
    );
    assert!(check_revisions(&forged, stamped.len()).unwrap().is_clean());
}

#[test]
fn only_a_hidden_signature_widget_may_be_added() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let widget = |rect: &str, flags: u32, ft: &str| {
        format!(
            "<</Type /Annot/Subtype /Widget{ft}/T (Signature2)/Rect [{rect}]/F {flags}/P {PAGE} 0 R>>"
        )
    };
    let cases = [
        (
            "zero-area signature widget",
            widget("0 0 0 0", 132, "/FT /Sig"),
            true,
        ),
        (
            "hidden signature widget",
            widget("100 100 200 150", 2, "/FT /Sig"),
            true,
        ),
        (
            "no-view signature widget",
            widget("100 100 200 150", 32, "/FT /Sig"),
            true,
        ),
        (
            "visible signature widget",
            widget("100 100 200 150", 4, "/FT /Sig"),
            false,
        ),
        (
            "zero-area text widget",
            widget("0 0 0 0", 2, "/FT /Tx"),
            false,
        ),
        (
            "hidden free text",
            "<</Type /Annot/Subtype /FreeText/Rect [0 0 0 0]/F 2/Contents (x)/DA (/Helv 12 Tf)>>"
                .into(),
            false,
        ),
    ];
    for (what, annot, allowed) in cases {
        let forged = append(
            &stamped,
            vec![
                Part::Object(size, annot.into_bytes()),
                Part::Object(
                    PAGE,
                    page_with_annots(&stamped, &format!("{size} 0 R")).into_bytes(),
                ),
            ],
        );
        let report = check_later_revisions(&forged, stamped.len()).unwrap();
        if allowed {
            assert!(report.is_clean(), "{what}: {:?}", report.violations);
        } else {
            assert!(
                on(&report, size, "adds visible content nobody signed"),
                "{what}: {report:?}"
            );
        }
    }
    // /FT inherited from the parent field counts too.
    let field = format!("<</FT /Sig/T (Signature3)/Kids [{} 0 R]>>", size + 1);
    let kid = format!(
        "<</Type /Annot/Subtype /Widget/Parent {size} 0 R/Rect [10 10 10 40]/P {PAGE} 0 R>>"
    );
    let forged = append(
        &stamped,
        vec![
            Part::Object(size, field.into_bytes()),
            Part::Object(size + 1, kid.into_bytes()),
            Part::Object(
                PAGE,
                page_with_annots(&stamped, &format!("{} 0 R", size + 1)).into_bytes(),
            ),
        ],
    );
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    // (The untyped field dictionary is a new object the table does not know.)
    assert!(
        !report
            .violations
            .iter()
            .any(|v| v.reason.contains("visible")),
        "{report:?}"
    );
}

#[test]
fn replaced_evidence_after_the_stamp_is_a_violation() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let (file, spec, tree) = (size, size + 1, size + 2);
    let catalog = last_body(&stamped, CATALOG);
    let old_tree = catalog
        .split("/EmbeddedFiles ")
        .nth(1)
        .and_then(|t| t.split(" R").next())
        .expect("stamped catalogue has /EmbeddedFiles")
        .to_string();
    let catalog = catalog.replace(
        &format!("/EmbeddedFiles {old_tree} R"),
        &format!("/EmbeddedFiles {tree} 0 R"),
    );
    let data = br#"{"doc":"forged"}"#;
    let mut embedded = format!(
        "<</Type /EmbeddedFile/Subtype /application#2Fjson/Length {}>>\nstream\n",
        data.len()
    )
    .into_bytes();
    embedded.extend_from_slice(data);
    embedded.extend_from_slice(b"\nendstream");
    let forged = append(
        &stamped,
        vec![
            Part::Object(file, embedded),
            Part::Object(
                spec,
                format!("<</Type /Filespec/F (docflow-evidence.json)/UF (docflow-evidence.json)/EF <</F {file} 0 R>>>>")
                    .into_bytes(),
            ),
            Part::Object(
                tree,
                format!("<</Names [(docflow-evidence.json) {spec} 0 R]>>").into_bytes(),
            ),
            Part::Object(CATALOG, catalog.into_bytes()),
        ],
    );
    let later = check_later_revisions(&forged, stamped.len()).unwrap();
    assert_eq!(
        later.violations,
        vec![Violation {
            object: (CATALOG, 0),
            revision: 1,
            reason: "removes or replaces the embedded file \"docflow-evidence.json\"".into(),
        }]
    );
    // The stamping table lets /EmbeddedFiles change: that is how a stamp
    // embeds the evidence.
    assert!(check_revisions(&forged, stamped.len()).unwrap().is_clean());
}

/// A later revision with a cross-reference stream (the kind of update a
/// file with one gets): `objects` and the stream itself, uncompressed.
fn append_with_xref_stream(pdf: &[u8], objects: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let prev = startxref(pdf);
    let (root, _, size) = common::root_pages_size(pdf);
    let mut out = pdf.to_vec();
    let mut rows = Vec::new();
    for (num, body) in objects {
        rows.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let stream_num = size.max(objects.iter().map(|o| o.0 + 1).max().unwrap_or(0));
    let at = out.len();
    rows.push((stream_num, at));
    rows.sort();
    let mut index = String::new();
    let mut data = Vec::new();
    for (num, offset) in &rows {
        index.push_str(&format!("{num} 1 "));
        data.push(1u8);
        data.extend_from_slice(&(*offset as u32).to_be_bytes());
        data.extend_from_slice(&0u16.to_be_bytes());
    }
    out.extend_from_slice(
        format!(
            "{stream_num} 0 obj\n<</Type /XRef/Size {}/Root {} {} R/Prev {prev}/W [1 4 2]/Index [{}]/Length {}>>\nstream\n",
            stream_num + 1,
            root.0,
            root.1,
            index.trim_end(),
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&data);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    out
}

#[test]
fn later_revision_with_a_cross_reference_stream() {
    let (_, stamped) = stamped();
    let size = common::root_pages_size(&stamped).2;
    let honest = last_body(&stamped, PAGE);
    let clean = append_with_xref_stream(&stamped, &[(PAGE, honest.clone().into_bytes())]);
    let report = check_later_revisions(&clean, stamped.len()).unwrap();
    assert!(report.is_clean(), "{:?}", report.violations);
    assert_eq!(report.revisions, 1);
    assert_eq!(report.per_revision[0].end, clean.len());

    let stray = honest.replace("/Contents 9 0 R", &format!("/Contents {size} 0 R 7"));
    let forged = append_with_xref_stream(
        &stamped,
        &[(size, content("FORGED")), (PAGE, stray.into_bytes())],
    );
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    assert!(on(&report, PAGE, "does not parse"), "{report:?}");
}

/// A later revision that puts `page` (page 1's new body) into a new object
/// stream, with a cross-reference stream (rows of type 2 for the page).
fn append_with_object_stream(pdf: &[u8], page: &str) -> Vec<u8> {
    let prev = startxref(pdf);
    let (root, _, size) = common::root_pages_size(pdf);
    let (container, xref_num) = (size, size + 1);
    let head = format!("{PAGE} 0 ");
    let data = format!("{head}{page}");
    let mut out = pdf.to_vec();
    let container_at = out.len();
    out.extend_from_slice(
        format!(
            "{container} 0 obj\n<</Type /ObjStm/N 1/First {}/Length {}>>\nstream\n{data}\nendstream\nendobj\n",
            head.len(),
            data.len()
        )
        .as_bytes(),
    );
    let xref_at = out.len();
    // W [1 4 2]: type, offset or container, generation or index.
    let mut rows = Vec::new();
    let mut row = |kind: u8, field: usize, last: u16| {
        rows.push(kind);
        rows.extend_from_slice(&(field as u32).to_be_bytes());
        rows.extend_from_slice(&last.to_be_bytes());
    };
    row(2, container as usize, 0);
    row(1, container_at, 0);
    row(1, xref_at, 0);
    out.extend_from_slice(
        format!(
            "{xref_num} 0 obj\n<</Type /XRef/Size {}/Root {} {} R/Prev {prev}/W [1 4 2]/Index [{PAGE} 1 {container} 2]/Length {}>>\nstream\n",
            xref_num + 1,
            root.0,
            root.1,
            rows.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&rows);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

#[test]
fn later_revision_with_an_object_stream() {
    let (_, stamped) = stamped();
    let honest = last_body(&stamped, PAGE);
    let clean = append_with_object_stream(&stamped, &honest);
    let report = check_later_revisions(&clean, stamped.len()).unwrap();
    assert!(report.is_clean(), "{:?}", report.violations);
    assert_eq!(report.per_revision.len(), 1);

    let stray = honest.replace("/Contents 9 0 R", "/Contents 9 0 R 7");
    let forged = append_with_object_stream(&stamped, &stray);
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    assert!(
        on(&report, PAGE, "does not parse (object stream"),
        "{report:?}"
    );
}

#[test]
fn prev_that_skips_a_revision_is_a_violation() {
    let (original, stamped) = stamped();
    let honest = last_body(&stamped, PAGE);
    // A later update whose /Prev is the original's cross-reference: the
    // stamp's update falls out of the chain.
    let orig_xref = startxref(&original);
    let mut forged = stamped.clone();
    let at = forged.len();
    forged.extend_from_slice(format!("{PAGE} 0 obj\n{honest}\nendobj\n").as_bytes());
    let xref = forged.len();
    let (root, _, size) = common::root_pages_size(&stamped);
    forged.extend_from_slice(
        format!(
            "xref\n{PAGE} 1\n{at:010} 00000 n\r\ntrailer\n<</Size {size}/Root {} {} R/Prev {orig_xref}>>\nstartxref\n{xref}\n%%EOF\n",
            root.0, root.1
        )
        .as_bytes(),
    );
    let report = check_later_revisions(&forged, stamped.len()).unwrap();
    assert!(on(&report, 0, "/Prev is"), "{report:?}");
}

/// lopdf's reading of every object, streams compared by dictionary and data.
fn reading(pdf: &[u8]) -> Option<Vec<((u32, u16), String)>> {
    let doc = lopdf::Document::load_mem(pdf).ok()?;
    Some(
        doc.objects
            .iter()
            .map(|(id, o)| {
                let shown = match o {
                    lopdf::Object::Stream(s) => format!("{:?} {:?}", s.dict, s.content),
                    other => format!("{other:?}"),
                };
                (*id, shown)
            })
            .collect(),
    )
}

#[test]
fn flipped_bytes_in_a_later_revision_never_read_silently_differently() {
    let (_, stamped) = stamped();
    // Updates restating page 1 and the catalogue as they are, with a
    // table and with a cross-reference stream: any change to what they
    // say is a violation, so a flipped byte must either be refused or
    // change nothing a reader sees.
    let restated = vec![
        (PAGE, last_body(&stamped, PAGE).into_bytes()),
        (CATALOG, last_body(&stamped, CATALOG).into_bytes()),
    ];
    let table = append(
        &stamped,
        restated
            .iter()
            .map(|(n, b)| Part::Object(*n, b.clone()))
            .collect(),
    );
    let stream = append_with_xref_stream(&stamped, &restated);
    for (kind, base) in [("table", table), ("stream", stream)] {
        let report = check_later_revisions(&base, stamped.len()).unwrap();
        assert!(report.is_clean(), "{kind}: {:?}", report.violations);
        let want = reading(&base).expect("lopdf reads the base");
        let span = base.len() - stamped.len();
        let (mut refused, mut harmless) = (0, 0);
        for k in 0..300 {
            let i = stamped.len() + k * span / 300;
            let mut m = base.clone();
            m[i] ^= 1 << (k % 8);
            match check_later_revisions(&m, stamped.len()) {
                Err(_) => refused += 1,
                Ok(r) if !r.is_clean() => refused += 1,
                Ok(_) => {
                    harmless += 1;
                    assert_eq!(
                        reading(&m).as_ref(),
                        Some(&want),
                        "{kind}: byte {i} ({:?} -> {:?}) reads differently but the check is clean",
                        base[i] as char,
                        m[i] as char
                    );
                }
            }
        }
        eprintln!("{kind}: {refused} flips refused, {harmless} harmless");
        assert!(
            refused > harmless,
            "{kind}: {refused} refused, {harmless} harmless"
        );
    }
}
