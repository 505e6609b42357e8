//! Stamped output checked by tools no one here wrote: qpdf, pdftotext,
//! pdfdetach. Missing tools fail under CI=true and are skipped loudly
//! otherwise.

use std::process::Command;

use docflow_stamp::{check_revisions, embedded_evidence, stamp, StampRequest};

fn tool(name: &str) -> bool {
    let ok = Command::new("which")
        .arg(name)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but {name} is not installed");
        }
        eprintln!("!!!! {name} is not installed: SKIPPING its checks");
    }
    ok
}

fn original() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/order-v1.pdf"
    ))
    .unwrap()
}

fn request(evidence: &[u8]) -> StampRequest<'_> {
    StampRequest {
        stamp: vec![
            "ИМЗОЛАНДИ / IMZOLANDI — Жамшид Қўчқоров, Вазир".into(),
            "2026-11-25 10:00 UTC (15:00 Тошкент) · key 3f2a…".into(),
            "sha256 27c39394… · ledger entry 42".into(),
        ],
        sheet_title: "Лист согласования / Kelishuv varaqasi".into(),
        sheet: vec![
            "1. Ботир Усмонов, Вазир ўринбосари — approve, 2026-11-24 09:12 UTC".into(),
            "2. Санжар Холматов — approve with remarks: «3-бандда муддатни аниқлаштиринг»".into(),
            "3. Жамшид Қўчқоров, Вазир — sign, 2026-11-25 10:00 UTC".into(),
            "Resolution: Ijro etilsin. Budget: executed in time.".into(),
        ],
        evidence,
        qr: Some("docflow-qr/1 0193a1b2-0000-7000-8000-000000000001 1 27c39394c89990b1 42".into()),
    }
}

#[test]
fn stamped_output_keeps_the_original_and_passes_external_tools() {
    let original = original();
    let evidence = br#"{"format":"docflow-evidence/1"}"#;
    let stamped = stamp(&original, &request(evidence)).unwrap();
    assert!(
        stamped.starts_with(&original),
        "the original is a byte-exact prefix"
    );
    assert_eq!(
        embedded_evidence(&stamped).unwrap().as_deref(),
        Some(evidence.as_slice())
    );
    assert_eq!(check_revisions(&stamped, original.len()).unwrap(), vec![]);
    let dir = tempfile::tempdir().unwrap();
    if let Ok(keep) = std::env::var("DOCFLOW_KEEP_PDF") {
        std::fs::write(&keep, &stamped).unwrap();
    }
    let path = dir.path().join("stamped.pdf");
    std::fs::write(&path, &stamped).unwrap();
    if tool("qpdf") {
        let out = Command::new("qpdf")
            .arg("--check")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if tool("pdftotext") {
        let out = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for expected in [
            "Лист согласования",
            "Kelishuv varaqasi",
            "Санжар Холматов",
            "муддатни аниқлаштиринг",
            "Ijro etilsin",
        ] {
            assert!(
                text.contains(expected),
                "pdftotext lacks {expected:?}:\n{text}"
            );
        }
    }
    if tool("pdftoppm") && tool("zbarimg") {
        let prefix = dir.path().join("page");
        let out = Command::new("pdftoppm")
            .args(["-r", "200", "-png"])
            .arg(&path)
            .arg(&prefix)
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "png") {
                let out = Command::new("zbarimg")
                    .args(["-q", "--raw"])
                    .arg(&p)
                    .output()
                    .unwrap();
                found.push(String::from_utf8_lossy(&out.stdout).into_owned());
            }
        }
        assert!(
            found
                .iter()
                .filter(|t| t.contains("docflow-qr/1 0193a1b2"))
                .count()
                >= 2,
            "the QR code is on the stamped page and on the sheet: {found:?}"
        );
    }
    if tool("pdfdetach") {
        let out = Command::new("pdfdetach")
            .arg("-list")
            .arg(&path)
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("docflow-evidence.json"));
    }
}

#[test]
fn a_later_update_that_replaces_page_content_is_a_violation() {
    let original = original();
    let stamped = stamp(&original, &request(b"{}")).unwrap();
    // Another tool's update: new content for page 1.
    let doc = lopdf::Document::load_mem(&stamped).unwrap();
    let mut inc = lopdf::IncrementalDocument::create_from(stamped.clone(), doc.clone());
    let first_page = *doc.get_pages().values().next().unwrap();
    let content = inc.new_document.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"BT ET".to_vec(),
    ));
    inc.opt_clone_object_to_new_document(first_page).unwrap();
    inc.new_document
        .get_dictionary_mut(first_page)
        .unwrap()
        .set("Contents", content);
    let mut forged = Vec::new();
    inc.save_to(&mut forged).unwrap();
    let violations = check_revisions(&forged, original.len()).unwrap();
    assert!(
        violations.iter().any(|v| v.reason.contains("/Contents")),
        "{violations:?}"
    );
}

#[test]
fn malformed_truncated_and_garbage_input_is_an_error_not_a_panic() {
    let original = original();
    for cut in (0..original.len()).step_by(37) {
        let _ = stamp(&original[..cut], &request(b"{}"));
    }
    let mut flipped = original.clone();
    for i in (0..flipped.len()).step_by(11) {
        flipped[i] ^= 0x55;
        let _ = stamp(&flipped, &request(b"{}"));
        flipped[i] ^= 0x55;
    }
    assert!(stamp(b"not a pdf", &request(b"{}")).is_err());
}
