#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Malformed input must give errors, never panics.

mod common;

use docflow_pdf::{attachment, check_later_revisions, check_revisions, stamp, Stamp};

fn one_stamp() -> Vec<Stamp> {
    vec![Stamp {
        page: 0,
        lines: vec!["Oʻzbekiston".into()],
        qr: Some("q".into()),
    }]
}

fn exercise(bytes: &[u8], original_len: usize) {
    let _ = stamp(bytes, &one_stamp(), None, None);
    let _ = check_revisions(bytes, original_len.min(bytes.len()));
    let _ = check_later_revisions(bytes, original_len.min(bytes.len()));
    let _ = attachment(bytes, "evidence.json");
}

#[test]
fn truncated_and_mutated_inputs_never_panic() {
    let files = ["reportlab.pdf", "qpdf-objstm.pdf", "signed.pdf"];
    for f in files {
        let original = std::fs::read(common::corpus_dir().join(f)).unwrap();
        let stamped = stamp(&original, &one_stamp(), None, None).unwrap();
        let step = (stamped.len() / 100).max(1);
        for cut in (0..stamped.len()).step_by(step) {
            exercise(&stamped[..cut], original.len());
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for i in (0..stamped.len()).step_by(step) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut m = stamped.clone();
            m[i] = (seed & 0xff) as u8;
            exercise(&m, original.len());
            // Digits matter most in PDFs (offsets, lengths, object numbers).
            let mut d = stamped.clone();
            d[i] = b'0' + (seed % 10) as u8;
            exercise(&d, original.len());
        }
    }
    exercise(b"", 0);
    exercise(b"%PDF-1.7\n%%EOF\n", 15);
    exercise(b"%PDF-1.7\nstartxref\n999999\n%%EOF\n", 10);
}
