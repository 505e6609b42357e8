#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `stamp` is a pure function of its inputs: verifiers regenerate docflow's
//! stamping update from the original and the evidence and compare it byte for
//! byte, so the same inputs must give the same bytes in every run, process
//! and machine.

mod common;

use docflow_pdf::{stamp, Attachment, Sheet, Stamp};
use sha2::{Digest, Sha256};

/// SHA-256 of the stamped corpus files below.
///
/// A change of the bytes docflow-pdf writes (layout, fonts, serialisation,
/// compression, even a dependency upgrade that compresses differently)
/// needs a new stamp layout version: verifiers regenerate stamps byte for
/// byte, and files stamped before must keep verifying with the layout they
/// were stamped with. Do not just update these constants.
const PINNED: &[(&str, &str)] = &[
    // Classic cross-reference table.
    (
        "reportlab.pdf",
        "db932ff02426181ae9b7434cf62b01b558e291ba3af3731dc1f809fe742de291",
    ),
    // Cross-reference stream and object streams.
    (
        "qpdf-objstm.pdf",
        "1861c43b25870953130c0c1c0c4476d2e9e02536fcfc04b73891ac94280fbb92",
    ),
];

fn stamps() -> Vec<Stamp> {
    vec![
        Stamp {
            page: 0,
            lines: vec![
                "Тасдиқланди: Ўзбекистон ҳокимияти".into(),
                "Tasdiqlandi: Oʻzbekiston gʻalaba".into(),
                "2026-01-15 10:30 UTC (15:30 Тошкент)".into(),
            ],
            qr: Some("docflow-qr/1\n0191-ABCD\n3\nsha256\n12".into()),
        },
        Stamp {
            page: 0,
            lines: vec!["Согласовано: Иванов И.И.".into()],
            qr: None,
        },
    ]
}

fn sheet() -> Sheet {
    Sheet {
        heading: String::new(),
        title: "Buyruq № 17 / Приказ № 17".into(),
        lines: (0..40)
            .map(|i| format!("{}. Kelishildi — Согласовано: xodim {i}", i + 1))
            .collect(),
        qr: Some("sheet-qr-0191".into()),
    }
}

fn evidence() -> Attachment {
    Attachment {
        name: "docflow-evidence.json".into(),
        mime: "application/json".into(),
        description: "docflow evidence".into(),
        data: br#"{"doc":"0191","signatures":[{"step":1}]}"#.to_vec(),
    }
}

fn stamped(file: &str) -> Vec<u8> {
    let original = std::fs::read(common::corpus_dir().join(file)).unwrap();
    stamp(&original, &stamps(), Some(&sheet()), Some(&evidence()))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn stamped_bytes_are_pinned() {
    let mut wrong = Vec::new();
    for (file, want) in PINNED {
        let got = hex(&Sha256::digest(stamped(file)));
        if got != *want {
            wrong.push(format!("{file}: {got}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "the stamped bytes changed (that needs a new stamp layout version):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn stamping_twice_gives_the_same_bytes() {
    for (name, original) in common::corpus() {
        let once = stamp(&original, &stamps(), Some(&sheet()), Some(&evidence())).unwrap();
        // Another thread: hash maps are seeded per map and per thread, so an
        // order that leaked into the output would show here.
        let again = std::thread::spawn(move || {
            stamp(&original, &stamps(), Some(&sheet()), Some(&evidence())).unwrap()
        })
        .join()
        .unwrap();
        assert!(once == again, "{name}: stamping twice gave different bytes");
    }
}
