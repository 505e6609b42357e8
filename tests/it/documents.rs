//! The happy path of documents and versions.

use docflow::domain::Role;
use serde_json::Value;

use crate::harness::{pdf, Backend, TestApp};

both_backends!(
    create_fetch_and_version_a_document,
    list_filters_and_pagination,
    content_is_deduplicated,
    health_and_openapi
);

fn create_fetch_and_version_a_document(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "a.karimov", &[Role::Registrar]);
    let v1 = pdf("order-v1.pdf");
    let resp = app.upload(
        &token,
        r#"{"title":"Буйруқ № 15: Молия вазирлиги, Moliya vazirligi, Министерство финансов","kind":"order"}"#,
        Some(("буйруқ-15.pdf", "application/pdf", v1.clone())),
    );
    assert_eq!(resp.status(), 201);
    assert!(resp.headers().get("location").is_some());
    let created: Value = resp.json().unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["version"], 1);
    assert_eq!(created["sha256"], docflow::core::ledger::sha256_hex(&v1));
    assert_eq!(
        created["document"]["title"],
        "Буйруқ № 15: Молия вазирлиги, Moliya vazirligi, Министерство финансов"
    );

    let doc: Value = app
        .get(&token, &format!("/api/v1/documents/{id}"))
        .json()
        .unwrap();
    assert_eq!(doc["kind"], "order");
    assert_eq!(doc["state"], "draft");
    assert_eq!(doc["latest_version"], 1);

    let v2 = pdf("order-v2.pdf");
    let resp = app.add_version(&token, &id, Some("1"), "buyruq-15-final.pdf", v2.clone());
    assert_eq!(resp.status(), 201);
    let added: Value = resp.json().unwrap();
    assert_eq!(added["version"], 2);
    assert_eq!(added["sha256"], docflow::core::ledger::sha256_hex(&v2));
    assert_eq!(added["document"]["latest_version"], 2);

    let versions: Value = app
        .get(&token, &format!("/api/v1/documents/{id}/versions"))
        .json()
        .unwrap();
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["filename"], "буйруқ-15.pdf");
    assert_eq!(versions[1]["filename"], "buyruq-15-final.pdf");
    assert!(
        versions[0]["ledger_seq"].as_i64().unwrap() < versions[1]["ledger_seq"].as_i64().unwrap()
    );

    for (n, bytes) in [(1, &v1), (2, &v2)] {
        let resp = app.get(
            &token,
            &format!("/api/v1/documents/{id}/versions/{n}/content"),
        );
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(
            etag,
            format!("\"{}\"", docflow::core::ledger::sha256_hex(bytes))
        );
        assert_eq!(&resp.bytes().unwrap()[..], &bytes[..]);
        // A client that has it already gets 304 and no body.
        let again = app
            .http
            .get(app.url(&format!("/api/v1/documents/{id}/versions/{n}/content")))
            .bearer_auth(&token)
            .header("If-None-Match", &etag)
            .send()
            .unwrap();
        assert_eq!(again.status(), 304);
    }

    // One entry per change: org, user, token, document, version.
    assert_eq!(app.db.count("ledger"), 5);
    let me: Value = app.get(&token, "/api/v1/me").json().unwrap();
    assert_eq!(me["login"], "a.karimov");
    assert_eq!(me["roles"], serde_json::json!(["registrar"]));
}

fn list_filters_and_pagination(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "registrar", &[Role::Registrar]);
    let other = app.user("ADLIYA", "other", &[Role::Registrar]);
    let titles = [
        ("БУЙРУҚ № 1", "order"),
        ("буйруқ № 2", "order"),
        ("Xat: Moliya vazirligiga", "outgoing-letter"),
        ("Письмо гражданина", "citizen-appeal"),
        ("Buyruq 100% tayyor", "order"),
    ];
    for (i, (title, kind)) in titles.iter().enumerate() {
        let meta = serde_json::json!({"title": title, "kind": kind}).to_string();
        let resp = app.upload(
            &token,
            &meta,
            Some(("f.pdf", "application/pdf", vec![i as u8 + 1; 10])),
        );
        assert_eq!(resp.status(), 201);
    }
    let resp = app.upload(
        &other,
        r#"{"title":"Буйруқ of another ministry","kind":"order"}"#,
        Some(("f.pdf", "application/pdf", vec![9; 10])),
    );
    assert_eq!(resp.status(), 201);

    let list = |q: &str| -> Value {
        let resp = app.get(&token, &format!("/api/v1/documents{q}"));
        assert_eq!(resp.status(), 200);
        resp.json().unwrap()
    };
    let all = list("");
    assert_eq!(
        all["total"], 5,
        "another organisation's documents are not listed"
    );
    // Newest first.
    assert_eq!(all["items"][0]["title"], "Buyruq 100% tayyor");

    let orders = list("?kind=order");
    assert_eq!(orders["total"], 3);
    // Case-insensitive in Cyrillic, on both backends.
    let q = list("?q=%D0%B1%D1%83%D0%B9%D1%80%D1%83%D2%9B"); // "буйруқ"
    assert_eq!(q["total"], 2, "{q}");
    // '%' is a literal, not a wildcard.
    assert_eq!(list("?q=100%25")["total"], 1);
    assert_eq!(list("?q=0%25")["total"], 1);
    assert_eq!(list("?q=%25%25")["total"], 0);

    let page1 = list("?limit=2");
    let page2 = list("?limit=2&offset=2");
    let page3 = list("?limit=2&offset=4");
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    assert_eq!(page2["items"].as_array().unwrap().len(), 2);
    assert_eq!(page3["items"].as_array().unwrap().len(), 1);
    let mut ids: Vec<String> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned())
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "pages do not overlap");

    assert_eq!(list("?created_from=2000-01-01T00:00:00Z")["total"], 5);
    assert_eq!(list("?created_to=2000-01-01T00:00:00Z")["total"], 0);
    assert_eq!(list("?state=draft&kind=citizen-appeal")["total"], 1);
}

fn content_is_deduplicated(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "registrar", &[Role::Registrar]);
    let bytes = pdf("order-v1.pdf");
    for title in ["first", "second"] {
        let meta = serde_json::json!({"title": title, "kind": "order"}).to_string();
        assert_eq!(
            app.upload(
                &token,
                &meta,
                Some(("a.pdf", "application/pdf", bytes.clone()))
            )
            .status(),
            201
        );
    }
    assert_eq!(app.db.count("documents"), 2);
    assert_eq!(app.db.count("document_versions"), 2);
    assert_eq!(app.db.count("blobs"), 1, "the same bytes are stored once");
}

fn health_and_openapi(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let health: Value = app
        .http
        .get(app.url("/healthz"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["status"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(health["database"], expected);
    let spec: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/documents",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/versions",
        "/api/v1/documents/{id}/versions/{n}/content",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let kinds: Value = app
        .http
        .get(app.url("/api/v1/document-kinds"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(kinds.as_array().unwrap().len(), 6);
}
