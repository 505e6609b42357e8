//! Several `docflow serve` processes on one database, and outside audits.

use std::process::Command;

use docflow::domain::Role;
use serde_json::Value;

use crate::harness::{pdf, Backend, Node, TestApp, TestDb};

both_backends!(
    two_server_processes_append_to_one_linear_log,
    remote_audit_proves_growth_and_names_an_altered_entry,
    receipts_verify_offline_on_the_command_line
);

fn upload(
    http: &reqwest::blocking::Client,
    base: &str,
    token: &str,
    title: &str,
) -> reqwest::blocking::Response {
    let form = reqwest::blocking::multipart::Form::new()
        .text(
            "meta",
            serde_json::json!({"title": title, "kind": "order"}).to_string(),
        )
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(pdf("order-v1.pdf"))
                .file_name("o.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    http.post(format!("{base}/api/v1/documents"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .unwrap()
}

fn two_server_processes_append_to_one_linear_log(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let tokens: Vec<String> = (0..4)
        .map(|i| app.user("MINFIN", &format!("w{i}"), &[Role::Registrar]))
        .collect();
    let nodes = [Node::start(&app.db), Node::start(&app.db)];
    let base = app.db.count("ledger");
    let http = reqwest::blocking::Client::new();
    std::thread::scope(|s| {
        for (i, token) in tokens.iter().enumerate() {
            let node = &nodes[i % 2];
            let http = &http;
            s.spawn(move || {
                for n in 0..8 {
                    let resp = upload(http, &node.base, token, &format!("writer {i} doc {n}"));
                    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
                }
            });
        }
    });
    crate::ledger::assert_linear_chain(&app.db, base + 32);
    // Both nodes serve the same signed head.
    let heads: Vec<String> = nodes
        .iter()
        .map(|n| {
            http.get(format!("{}/api/v1/ledger/checkpoint", n.base))
                .send()
                .unwrap()
                .text()
                .unwrap()
        })
        .collect();
    assert_eq!(heads[0], heads[1]);
}

fn remote_audit(db: &TestDb, base: &str, state: &std::path::Path) -> (i32, String) {
    let key = db.dir.path().join("log.vkey");
    std::fs::write(&key, crate::harness::log_signer().verifier().to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args([
            "audit",
            "--remote",
            base,
            "--log-key",
            key.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn remote_audit_proves_growth_and_names_an_altered_entry(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    for i in 0..3 {
        assert_eq!(
            upload(&app.http, &app.base, &token, &format!("doc {i}")).status(),
            201
        );
    }
    let state = app.db.dir.path().join("audit.state");
    let (code, out) = remote_audit(&app.db, &app.base, &state);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 6 entries"), "{out}");
    assert!(out.contains("first audit"), "{out}");
    assert_eq!(upload(&app.http, &app.base, &token, "doc 3").status(), 201);
    let (code, out) = remote_audit(&app.db, &app.base, &state);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("consistent with the audit at size 6"), "{out}");

    // Alter entry 5 behind the triggers' back.
    let row = docflow::storage::ledger::get(&mut app.db.conn(), 5)
        .unwrap()
        .unwrap();
    let forged = String::from_utf8(row.body)
        .unwrap()
        .replace("doc 1", "doc X");
    let sql = match backend {
        Backend::Postgres => format!(
            "ALTER TABLE ledger DISABLE TRIGGER USER; UPDATE ledger SET body = convert_to('{}', 'UTF8') WHERE seq = 5; ALTER TABLE ledger ENABLE TRIGGER USER;",
            forged.replace('\'', "''")
        ),
        Backend::Sqlite => format!(
            "DROP TRIGGER ledger_no_update; UPDATE ledger SET body = CAST('{}' AS BLOB) WHERE seq = 5;",
            forged.replace('\'', "''")
        ),
    };
    app.db.exec(&sql).unwrap();
    let (code, out) = remote_audit(&app.db, &app.base, &state);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 5: changed entry"), "{out}");
}

fn receipts_verify_offline_on_the_command_line(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let created: Value = upload(&app.http, &app.base, &token, "Buyruq")
        .json()
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let history: Value = app
        .get(&token, &format!("/api/v1/documents/{id}/history"))
        .json()
        .unwrap();
    let receipt = history[0]["receipt"].as_str().unwrap();
    let dir = &app.db.dir;
    std::fs::write(dir.path().join("receipt.txt"), receipt).unwrap();
    let key = app
        .http
        .get(app.url("/api/v1/ledger/key"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    std::fs::write(dir.path().join("log.pub"), &key).unwrap();
    let verify = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_docflow"))
            .args(["ledger", "verify-receipt", file, "--log-key", "log.pub"])
            .current_dir(dir.path())
            .env_remove("DOCFLOW_LOG_KEY")
            .output()
            .unwrap()
    };
    let out = verify("receipt.txt");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("valid: entry 4 (document.created"),
        "{stdout}"
    );
    // One changed byte anywhere makes it invalid.
    for at in [30, receipt.len() / 2, receipt.len() - 10] {
        let mut bytes = receipt.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        std::fs::write(dir.path().join("forged.txt"), &bytes).unwrap();
        let out = verify("forged.txt");
        assert_eq!(
            out.status.code(),
            Some(1),
            "byte {at}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("INVALID"));
    }
}
