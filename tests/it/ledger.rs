//! The append-only chain of hashes: triggers, audit and concurrent writers.

use docflow::domain::Role;
use docflow::storage::ledger;

use crate::harness::{pdf, Backend, Options, TestApp, TestDb};

both_backends!(
    database_refuses_to_rewrite_the_ledger,
    audit_passes_on_an_intact_chain,
    audit_names_a_changed_entry,
    audit_names_a_missing_entry_and_a_broken_link,
    audit_names_tampered_content,
    audit_names_a_cut_off_tail,
    audit_names_a_forged_checkpoint,
    concurrent_writers_leave_a_gapless_linear_chain,
    two_nodes_on_one_database_share_one_chain,
    grouped_appends_roll_back_only_the_failing_units
);

/// Many units arrive together and are grouped into shared transactions;
/// those that fail (a stale base_version) are rolled back alone.
fn grouped_appends_roll_back_only_the_failing_units(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let meta = r#"{"title":"Xat","kind":"incoming-letter"}"#;
    let created: serde_json::Value = app
        .upload(
            &token,
            meta,
            Some(("x.pdf", "application/pdf", vec![1; 10])),
        )
        .json()
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let base = app.db.count("ledger");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16u8)
            .map(|i| {
                let (app, token, id) = (&app, &token, &id);
                s.spawn(move || {
                    if i % 2 == 0 {
                        app.add_version(token, id, Some("1"), "v.pdf", vec![i; 20])
                            .status()
                            .as_u16()
                    } else {
                        let meta = format!(r#"{{"title":"Xat {i}","kind":"incoming-letter"}}"#);
                        app.upload(
                            token,
                            &meta,
                            Some(("x.pdf", "application/pdf", vec![i; 10])),
                        )
                        .status()
                        .as_u16()
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let versions_ok = statuses.iter().step_by(2).filter(|s| **s == 201).count();
    let conflicts = statuses.iter().step_by(2).filter(|s| **s == 409).count();
    assert_eq!((versions_ok, conflicts), (1, 7), "{statuses:?}");
    assert!(
        statuses.iter().skip(1).step_by(2).all(|s| *s == 201),
        "{statuses:?}"
    );
    assert_eq!(app.db.count("document_versions"), 1 + 1 + 8);
    assert_linear_chain(&app.db, base + 1 + 8);
}

fn seeded(backend: Backend) -> Option<(TestApp, String)> {
    let app = TestApp::start(backend)?;
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    for i in 0..3u8 {
        let meta = format!(r#"{{"title":"Xat {i}","kind":"incoming-letter"}}"#);
        assert_eq!(
            app.upload(
                &token,
                &meta,
                Some(("x.pdf", "application/pdf", vec![i; 100]))
            )
            .status(),
            201
        );
    }
    Some((app, token))
}

fn audit(db: &TestDb) -> (i32, String) {
    let out = db.cli(&["audit"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    (out.status.code().unwrap_or(-1), stdout)
}

fn database_refuses_to_rewrite_the_ledger(backend: Backend) {
    let Some((app, _)) = seeded(backend) else {
        return;
    };
    let before = app.db.snapshot();
    for sql in [
        "UPDATE ledger SET kind = 'forged' WHERE seq = 2",
        "DELETE FROM ledger WHERE seq = 6",
        "DELETE FROM ledger",
        "UPDATE document_versions SET sha256 = sha256",
        "DELETE FROM blobs",
    ] {
        let err = app.db.exec(sql).expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    if backend == Backend::Postgres {
        for table in ["ledger", "document_versions", "blobs"] {
            let err = app
                .db
                .exec(&format!("TRUNCATE {table} CASCADE"))
                .expect_err("truncate");
            assert!(err.contains("append-only"), "{err}");
        }
    }
    assert_eq!(app.db.snapshot(), before);
    assert_eq!(audit(&app.db).0, 0);
}

fn audit_passes_on_an_intact_chain(backend: Backend) {
    let Some((app, _)) = seeded(backend) else {
        return;
    };
    let (code, out) = audit(&app.db);
    assert_eq!(code, 0, "{out}");
    let (seq, head) = ledger::head(&mut app.db.conn()).unwrap();
    assert_eq!(
        out.trim(),
        format!("ok: {seq} entries, head {}", hex::encode(head))
    );
    assert_eq!(seq, 6);
}

/// Acts as an attacker with the table owner's rights: switches the
/// append-only triggers off, runs `sql`, switches them on again.
fn behind_the_triggers(db: &TestDb, table: &str, sql: &str) {
    match db.backend() {
        Backend::Postgres => db
            .exec(&format!(
                "ALTER TABLE {table} DISABLE TRIGGER USER; {sql}; ALTER TABLE {table} ENABLE TRIGGER USER;"
            ))
            .unwrap(),
        Backend::Sqlite => {
            let (update, delete) = match table {
                "ledger" => ("ledger_no_update", "ledger_no_delete"),
                "blobs" => ("blobs_no_update", "blobs_no_delete"),
                other => panic!("no triggers known for {other}"),
            };
            db.exec(&format!(
                "DROP TRIGGER IF EXISTS {update}; DROP TRIGGER IF EXISTS {delete}; PRAGMA foreign_keys = OFF; {sql};"
            ))
            .unwrap()
        }
    }
}

fn audit_names_a_changed_entry(backend: Backend) {
    let Some((app, _)) = seeded(backend) else {
        return;
    };
    // Change the title recorded in entry 5, keeping the rest.
    let row = ledger::get(&mut app.db.conn(), 5).unwrap().unwrap();
    let forged = String::from_utf8(row.body)
        .unwrap()
        .replace("Xat 1", "Xat 9");
    let literal = match backend {
        Backend::Postgres => format!("convert_to('{}', 'UTF8')", forged.replace('\'', "''")),
        Backend::Sqlite => format!("CAST('{}' AS BLOB)", forged.replace('\'', "''")),
    };
    behind_the_triggers(
        &app.db,
        "ledger",
        &format!("UPDATE ledger SET body = {literal} WHERE seq = 5"),
    );
    let (code, out) = audit(&app.db);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 5: changed entry"), "{out}");

    // The attacker also recomputes entry 5's hash: then entry 6 no longer links.
    let fixed = docflow::core::ledger::chain_hash(
        &row.prev_hash.clone().try_into().unwrap(),
        forged.as_bytes(),
    );
    let hash_literal = match backend {
        Backend::Postgres => format!("decode('{}', 'hex')", hex::encode(fixed)),
        Backend::Sqlite => format!("X'{}'", hex::encode(fixed)),
    };
    behind_the_triggers(
        &app.db,
        "ledger",
        &format!("UPDATE ledger SET hash = {hash_literal} WHERE seq = 5"),
    );
    let (code, out) = audit(&app.db);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 6: broken link"), "{out}");
}

fn audit_names_a_missing_entry_and_a_broken_link(backend: Backend) {
    let Some((app, _)) = seeded(backend) else {
        return;
    };
    behind_the_triggers(&app.db, "ledger", "DELETE FROM ledger WHERE seq = 3");
    let (code, out) = audit(&app.db);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 3: missing entry"), "{out}");
}

fn audit_names_tampered_content(backend: Backend) {
    let Some((app, _)) = seeded(backend) else {
        return;
    };
    let target = docflow::core::ledger::sha256_hex(&[1u8; 100]);
    let replacement = match backend {
        Backend::Postgres => "decode('00ff', 'hex')",
        Backend::Sqlite => "X'00ff'",
    };
    behind_the_triggers(
        &app.db,
        "blobs",
        &format!("UPDATE blobs SET data = {replacement} WHERE sha256 = '{target}'"),
    );
    let (code, out) = audit(&app.db);
    assert_eq!(code, 1, "{out}");
    // "Xat 1" was document entry 5.
    assert!(
        out.contains("entry 5: content does not match its hash"),
        "{out}"
    );
    assert!(out.contains(&target), "{out}");
}

pub fn assert_linear_chain(db: &TestDb, expected_entries: i64) {
    let rows = ledger::page(&mut db.conn(), 0, 100_000).unwrap();
    assert_eq!(rows.len() as i64, expected_entries);
    let mut prev = docflow::core::ledger::GENESIS_HASH.to_vec();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.seq, i as i64 + 1, "gapless numbering");
        assert_eq!(
            row.prev_hash, prev,
            "entry {} links to its predecessor",
            row.seq
        );
        prev = row.hash.clone();
    }
    // The tree covers every entry, and its signed root matches a
    // recomputation from the entries themselves.
    let mut conn = db.conn();
    let checkpoint = docflow::storage::transparency::latest_checkpoint(&mut conn)
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.tree_size, expected_entries);
    let leaves: Vec<_> = rows
        .iter()
        .map(|r| docflow::core::merkle::leaf_hash(&r.body))
        .collect();
    let opened = docflow::core::checkpoint::open_checkpoint(
        &crate::harness::log_signer().verifier(),
        &checkpoint.note,
    )
    .unwrap();
    assert_eq!(
        opened.root,
        docflow::core::merkle::root_from_leaves(&leaves)
    );
    assert_eq!(opened.size as i64, expected_entries);
    let (code, out) = audit(db);
    assert_eq!(code, 0, "{out}");
}

fn concurrent_writers_leave_a_gapless_linear_chain(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let tokens: Vec<String> = (0..4)
        .map(|i| app.user("MINFIN", &format!("writer{i}"), &[Role::Registrar]))
        .collect();
    let base = app.db.count("ledger");
    std::thread::scope(|s| {
        for (w, token) in tokens.iter().enumerate() {
            let app = &app;
            s.spawn(move || {
                for i in 0..10u8 {
                    let meta =
                        format!(r#"{{"title":"writer {w} doc {i}","kind":"internal-memo"}}"#);
                    let resp = app.upload(
                        token,
                        &meta,
                        Some(("m.pdf", "application/pdf", vec![w as u8, i])),
                    );
                    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
                }
            });
        }
    });
    assert_linear_chain(&app.db, base + 40);
}

fn two_nodes_on_one_database_share_one_chain(backend: Backend) {
    let Some(first) = TestApp::start(backend) else {
        return;
    };
    let token = first.user("MINFIN", "reg", &[Role::Registrar]);
    // A second server process-equivalent: its own pool and workers, same database.
    let second = TestApp::serve(TestDb::borrowed(&first.db), Options::default());
    let base = first.db.count("ledger");
    std::thread::scope(|s| {
        for (n, app) in [&first, &second].into_iter().enumerate() {
            let token = &token;
            s.spawn(move || {
                for i in 0..15u8 {
                    let meta = format!(r#"{{"title":"node {n} doc {i}","kind":"order"}}"#);
                    let resp = app.upload(
                        token,
                        &meta,
                        Some(("o.pdf", "application/pdf", pdf("order-v1.pdf"))),
                    );
                    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
                }
            });
        }
    });
    assert_linear_chain(&first.db, base + 30);
}

fn audit_names_a_cut_off_tail(backend: Backend) {
    let Some((app, _)) = seeded(backend) else {
        return;
    };
    // Cut off the last entry and everything that refers to it: the chain
    // alone cannot see this, the signed checkpoint of size 6 can.
    app.db
        .exec("CREATE TABLE doomed AS SELECT document_id AS id FROM document_versions WHERE ledger_seq = 6")
        .unwrap();
    match app.db.backend() {
        Backend::Postgres => app.db.exec(
            "ALTER TABLE document_versions DISABLE TRIGGER USER; DELETE FROM document_versions WHERE ledger_seq = 6; \
             ALTER TABLE document_versions ENABLE TRIGGER USER; DELETE FROM documents WHERE id IN (SELECT id FROM doomed)",
        ),
        Backend::Sqlite => app.db.exec(
            "DROP TRIGGER versions_no_delete; PRAGMA foreign_keys = OFF; DELETE FROM document_versions WHERE ledger_seq = 6; \
             DELETE FROM documents WHERE id IN (SELECT id FROM doomed)",
        ),
    }
    .unwrap();
    behind_the_triggers(&app.db, "ledger", "DELETE FROM ledger WHERE seq = 6");
    let (code, out) = audit(&app.db);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 6: missing entry"), "{out}");
    assert!(out.contains("checkpoint of size 6"), "{out}");
}

fn audit_names_a_forged_checkpoint(backend: Backend) {
    let Some((app, _)) = seeded(backend) else {
        return;
    };
    // Re-sign checkpoint 4 with another key: the registered key refuses it.
    let forger = docflow::core::checkpoint::NoteSigner::new(
        "docflow.test/log",
        ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]),
    )
    .unwrap();
    let mut conn = app.db.conn();
    let row = docflow::storage::transparency::checkpoint_at(&mut conn, 4)
        .unwrap()
        .unwrap();
    let body = docflow::core::checkpoint::unverified_note_text(&row.note).unwrap();
    let forged = forger.sign(body).unwrap().replace('\'', "''");
    let table = "checkpoints";
    match backend {
        Backend::Postgres => behind_the_triggers(&app.db, table, &format!("UPDATE checkpoints SET note = '{forged}' WHERE tree_size = 4")),
        Backend::Sqlite => app
            .db
            .exec(&format!("DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = '{forged}' WHERE tree_size = 4"))
            .unwrap(),
    }
    let (code, out) = audit(&app.db);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "entry 4: bad checkpoint: checkpoint of size 4: its signature does not verify"
        ),
        "{out}"
    );
}
