//! Registration journals: gapless numbers per journal and year.

use docflow::domain::Role;
use serde_json::{json, Value};

use crate::harness::{assert_error, Backend, TestApp};

both_backends!(
    incoming_documents_are_registered_with_their_correspondent,
    concurrent_registrations_get_gapless_unique_numbers,
    numbering_restarts_each_year
);

fn journal(app: &TestApp, token: &str, code: &str, kinds: &[&str]) -> reqwest::blocking::Response {
    app.http
        .post(app.url("/api/v1/journals"))
        .bearer_auth(token)
        .json(&json!({"code": code, "name": format!("Kiruvchi xatlar {code}"), "kinds": kinds}))
        .send()
        .unwrap()
}

fn incoming(app: &TestApp, token: &str, title: &str) -> String {
    let meta = json!({"title": title, "kind": "incoming-letter"}).to_string();
    let v: Value = app
        .upload(
            token,
            &meta,
            Some(("x.pdf", "application/pdf", title.as_bytes().to_vec())),
        )
        .json()
        .unwrap();
    v["id"].as_str().unwrap().to_owned()
}

fn register(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::blocking::Response {
    app.http
        .post(app.url(&format!("/api/v1/documents/{id}/register")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .unwrap()
}

fn correspondent() -> Value {
    json!({"correspondent": "Адлия вазирлиги", "correspondent_number": "12/345", "correspondent_date": "2026-11-20"})
}

fn incoming_documents_are_registered_with_their_correspondent(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let reg = app.user("MINFIN", "reg", &[Role::Registrar]);
    let aud = app.user("MINFIN", "aud", &[Role::Auditor]);
    assert_error(
        journal(&app, &aud, "01-07", &["incoming-letter"]),
        403,
        "forbidden",
    );
    assert_eq!(
        journal(&app, &reg, "01-07", &["incoming-letter", "citizen-appeal"]).status(),
        201
    );
    assert_error(
        journal(&app, &reg, "01-07", &["incoming-letter"]),
        409,
        "conflict",
    );
    assert_error(journal(&app, &reg, "02", &["poems"]), 422, "unprocessable");
    let id = incoming(&app, &reg, "Xat 1");
    let before = app.db.snapshot();
    assert_error(register(&app, &reg, &id, json!({})), 422, "unprocessable");
    assert_error(register(&app, &aud, &id, correspondent()), 403, "forbidden");
    assert_error(
        register(
            &app,
            &reg,
            &id,
            json!({"correspondent": "X", "correspondent_number": "1", "correspondent_date": "yesterday"}),
        ),
        422,
        "unprocessable",
    );
    assert_eq!(app.db.snapshot(), before);
    let resp = register(&app, &reg, &id, correspondent());
    assert_eq!(resp.status(), 201);
    let r: Value = resp.json().unwrap();
    assert_eq!(r["reg_number"], "01-07/1");
    assert_eq!(r["correspondent"], "Адлия вазирлиги");
    let doc: Value = app
        .get(&reg, &format!("/api/v1/documents/{id}"))
        .json()
        .unwrap();
    assert_eq!(doc["state"], "registered");
    assert_error(register(&app, &reg, &id, correspondent()), 409, "conflict");
    let fetched: Value = app
        .get(&reg, &format!("/api/v1/documents/{id}/registration"))
        .json()
        .unwrap();
    assert_eq!(fetched["number"], 1);
    // An order that is still a draft cannot be registered yet.
    let v: Value = app
        .upload(
            &reg,
            r#"{"title":"Buyruq","kind":"order"}"#,
            Some(("o.pdf", "application/pdf", vec![1])),
        )
        .json()
        .unwrap();
    assert_error(
        register(&app, &reg, v["id"].as_str().unwrap(), json!({})),
        409,
        "conflict",
    );
}

fn concurrent_registrations_get_gapless_unique_numbers(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let reg = app.user("MINFIN", "reg", &[Role::Registrar]);
    assert_eq!(
        journal(&app, &reg, "01-07", &["incoming-letter"]).status(),
        201
    );
    let ids: Vec<String> = (0..24)
        .map(|i| incoming(&app, &reg, &format!("Xat {i}")))
        .collect();
    let numbers: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(6)
            .map(|chunk| {
                let (app, reg) = (&app, &reg);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| {
                            let resp = register(app, reg, id, correspondent());
                            assert_eq!(resp.status(), 201);
                            resp.json::<Value>().unwrap()["number"].as_i64().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut sorted = numbers.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=24).collect::<Vec<_>>());
    crate::ledger::assert_linear_chain(&app.db, app.db.count("ledger"));
}

fn numbering_restarts_each_year(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let reg = app.user("MINFIN", "reg", &[Role::Registrar]);
    let j: Value = journal(&app, &reg, "K", &["incoming-letter"])
        .json()
        .unwrap();
    let id = j["id"].as_str().unwrap();
    let mut conn = app.db.conn();
    use docflow::storage::journals::next_number;
    assert_eq!(next_number(&mut conn, id, 2026).unwrap(), 1);
    assert_eq!(next_number(&mut conn, id, 2026).unwrap(), 2);
    assert_eq!(next_number(&mut conn, id, 2027).unwrap(), 1);
}
