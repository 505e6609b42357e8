//! The transparency log through the API: checkpoints, proofs, receipts.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use docflow::core::checkpoint::{open_checkpoint, NoteVerifier};
use docflow::core::merkle::{self, Hash};
use docflow::core::receipt::Receipt;
use docflow::domain::Role;
use serde_json::Value;

use crate::harness::{assert_error, Backend, TestApp};

both_backends!(
    checkpoints_and_proofs_verify_with_the_public_key,
    entries_come_with_receipts_that_verify_offline,
    document_history_links_every_event
);

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            STANDARD
                .decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect()
}

fn verifier(app: &TestApp) -> NoteVerifier {
    let text = app
        .http
        .get(app.url("/api/v1/ledger/key"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    NoteVerifier::parse(text.trim()).unwrap()
}

fn seeded(backend: Backend) -> Option<(TestApp, String, String)> {
    let app = TestApp::start(backend)?;
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let mut id = String::new();
    for i in 0..4u8 {
        let meta = format!(r#"{{"title":"Buyruq {i}","kind":"order"}}"#);
        let v: Value = app
            .upload(
                &token,
                &meta,
                Some(("b.pdf", "application/pdf", vec![i; 50])),
            )
            .json()
            .unwrap();
        id = v["id"].as_str().unwrap().to_owned();
    }
    Some((app, token, id))
}

fn checkpoints_and_proofs_verify_with_the_public_key(backend: Backend) {
    let Some((app, _, _)) = seeded(backend) else {
        return;
    };
    let verifier = verifier(&app);
    let note = app
        .http
        .get(app.url("/api/v1/ledger/checkpoint"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let checkpoint = open_checkpoint(&verifier, &note).unwrap();
    let entries = app.db.count("ledger") as u64;
    assert_eq!(checkpoint.size, entries);
    assert_eq!(checkpoint.origin, "docflow.test/log");

    // Every entry's inclusion proof verifies against the signed root.
    let leaves: Value = app
        .http
        .get(app.url(&format!("/api/v1/ledger/leaves?start=0&end={entries}")))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let leaf_hashes: Vec<Hash> = leaves["leaf_hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    assert_eq!(merkle::root_from_leaves(&leaf_hashes), checkpoint.root);
    for seq in 1..=entries {
        let proof: Value = app
            .http
            .get(app.url(&format!("/api/v1/ledger/proof/inclusion?seq={seq}")))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(proof["leaf_index"], seq - 1);
        let path = hashes(&proof["audit_path"]);
        merkle::verify_inclusion(
            &leaf_hashes[(seq - 1) as usize],
            seq - 1,
            entries,
            &path,
            &checkpoint.root,
        )
        .unwrap();
        // The same proof does not prove another leaf.
        let other = (seq % entries) as usize;
        if other != (seq - 1) as usize {
            assert!(merkle::verify_inclusion(
                &leaf_hashes[other],
                seq - 1,
                entries,
                &path,
                &checkpoint.root
            )
            .is_err());
        }
    }

    // Consistency between every stored checkpoint and the latest.
    let all: Value = app
        .http
        .get(app.url("/api/v1/ledger/checkpoints"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let all = all.as_array().unwrap();
    assert!(all.len() >= 2);
    for older in all {
        let old = open_checkpoint(&verifier, older["note"].as_str().unwrap()).unwrap();
        let proof: Value = app
            .http
            .get(app.url(&format!(
                "/api/v1/ledger/proof/consistency?from={}&to={entries}",
                old.size
            )))
            .send()
            .unwrap()
            .json()
            .unwrap();
        merkle::verify_consistency(
            old.size,
            entries,
            &old.root,
            &checkpoint.root,
            &hashes(&proof["consistency"]),
        )
        .unwrap();
    }

    // Numbers past the end are empty or not found, never an error of ours.
    let far: Value = app
        .http
        .get(app.url("/api/v1/ledger/checkpoints?after=9223372036854775808"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(far, serde_json::json!([]));
    assert_error(
        app.http.get(app.url("/api/v1/ledger/proof/inclusion?seq=18446744073709551615&tree_size=18446744073709551615")).send().unwrap(),
        404,
        "not_found",
    );
    for bad in [
        "/api/v1/ledger/proof/inclusion?seq=0",
        "/api/v1/ledger/proof/inclusion?seq=x",
        "/api/v1/ledger/proof/consistency?from=3&to=2",
        "/api/v1/ledger/leaves?start=5&end=5",
    ] {
        assert_error(
            app.http.get(app.url(bad)).send().unwrap(),
            400,
            "bad_request",
        );
    }
    assert_error(
        app.http
            .get(app.url(&format!(
                "/api/v1/ledger/proof/inclusion?seq=1&tree_size={}",
                entries + 1
            )))
            .send()
            .unwrap(),
        404,
        "not_found",
    );
}

fn entries_come_with_receipts_that_verify_offline(backend: Backend) {
    let Some((app, registrar, _)) = seeded(backend) else {
        return;
    };
    let auditor = app.user("MINFIN", "aud", &[Role::Auditor]);
    assert_error(
        app.http
            .get(app.url("/api/v1/ledger/entries/1"))
            .send()
            .unwrap(),
        401,
        "unauthorized",
    );
    assert_error(
        app.get(&registrar, "/api/v1/ledger/entries/1"),
        403,
        "forbidden",
    );
    assert_error(
        app.get(&auditor, "/api/v1/ledger/entries/999"),
        404,
        "not_found",
    );
    let entry: Value = app
        .get(&auditor, "/api/v1/ledger/entries/5")
        .json()
        .unwrap();
    assert_eq!(entry["seq"], 5);
    assert_eq!(entry["kind"], "document.created");
    let body = entry["body"].as_str().unwrap();
    assert_eq!(
        entry["leaf_hash"],
        hex::encode(merkle::leaf_hash(body.as_bytes()))
    );

    let verifier = verifier(&app);
    let text = entry["receipt"].as_str().unwrap();
    let verified = Receipt::parse(text)
        .unwrap()
        .verify(&verifier, Some("docflow.test/log"))
        .unwrap();
    assert_eq!(verified.index, 4);
    assert_eq!(verified.entry_bytes, body.as_bytes());
    // Any changed byte breaks it.
    let bytes = text.as_bytes();
    for i in (0..bytes.len()).step_by(7) {
        let mut forged = bytes.to_vec();
        forged[i] ^= 0x01;
        let Ok(forged) = String::from_utf8(forged) else {
            continue;
        };
        let ok =
            Receipt::parse(&forged).and_then(|r| r.verify(&verifier, Some("docflow.test/log")));
        assert!(ok.is_err(), "a receipt changed at byte {i} still verified");
    }
}

fn document_history_links_every_event(backend: Backend) {
    let Some((app, token, id)) = seeded(backend) else {
        return;
    };
    for n in 0..2u8 {
        assert_eq!(
            app.add_version(&token, &id, None, "v.pdf", vec![100 + n; 20])
                .status(),
            201
        );
    }
    let history: Value = app
        .get(&token, &format!("/api/v1/documents/{id}/history"))
        .json()
        .unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["kind"], "document.created");
    assert_eq!(history[0]["subject_prev"], 0);
    for pair in history.windows(2) {
        assert_eq!(
            pair[1]["subject_prev"], pair[0]["seq"],
            "each event links to the previous one"
        );
    }
    let verifier = verifier(&app);
    for e in history {
        Receipt::parse(e["receipt"].as_str().unwrap())
            .unwrap()
            .verify(&verifier, None)
            .unwrap();
    }
    let stranger = app.user("ADLIYA", "stranger", &[Role::Auditor]);
    assert_error(
        app.get(&stranger, &format!("/api/v1/documents/{id}/history")),
        404,
        "not_found",
    );
}
