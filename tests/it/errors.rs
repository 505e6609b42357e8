//! Every error status, each leaving the database exactly as it was.

use docflow::domain::Role;
use serde_json::Value;

use crate::harness::{assert_error, pdf, Backend, Options, TestApp};

both_backends!(
    bad_requests_are_400,
    missing_bad_expired_and_revoked_tokens_are_401,
    wrong_role_is_403,
    other_organisations_documents_are_404,
    stale_base_version_is_409,
    oversized_upload_is_413_and_stores_nothing,
    wrong_media_type_is_415,
    invalid_metadata_is_422,
    internal_errors_are_500_without_the_cause
);

const META: &str = r#"{"title":"Xat","kind":"incoming-letter"}"#;

fn file() -> Option<(&'static str, &'static str, Vec<u8>)> {
    Some(("x.pdf", "application/pdf", pdf("order-v1.pdf")))
}

fn created_id(app: &TestApp, token: &str) -> String {
    let resp = app.upload(token, META, file());
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().unwrap();
    v["id"].as_str().unwrap().to_owned()
}

fn bad_requests_are_400(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let id = created_id(&app, &token);
    let before = app.db.snapshot();

    assert_error(app.upload(&token, "{not json", file()), 400, "bad_request");
    assert_error(app.upload(&token, META, None), 400, "bad_request");
    assert_error(
        app.upload(&token, META, Some(("e.pdf", "application/pdf", vec![]))),
        400,
        "bad_request",
    );
    assert_error(
        app.add_version(&token, &id, Some("one"), "v.pdf", vec![1, 2]),
        400,
        "bad_request",
    );
    assert_error(
        app.get(&token, "/api/v1/documents?limit=0"),
        400,
        "bad_request",
    );
    assert_error(
        app.get(&token, "/api/v1/documents?limit=abc"),
        400,
        "bad_request",
    );
    assert_error(
        app.get(&token, "/api/v1/documents?colour=red"),
        400,
        "bad_request",
    );
    assert_error(
        app.get(&token, "/api/v1/documents?created_from=yesterday"),
        400,
        "bad_request",
    );
    assert_error(
        app.get(
            &token,
            &format!("/api/v1/documents/{id}/versions/x/content"),
        ),
        400,
        "bad_request",
    );
    // An unexpected part.
    let form = reqwest::blocking::multipart::Form::new()
        .text("meta", META)
        .text("colour", "red");
    let resp = app
        .http
        .post(app.url("/api/v1/documents"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .unwrap();
    assert_error(resp, 400, "bad_request");
    // A multipart content type with a garbled body.
    let resp = app
        .http
        .post(app.url("/api/v1/documents"))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body("this is not multipart")
        .send()
        .unwrap();
    assert_error(resp, 400, "bad_request");
    assert_eq!(app.db.snapshot(), before);
}

fn missing_bad_expired_and_revoked_tokens_are_401(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let before = app.db.snapshot();
    let resp = app.http.get(app.url("/api/v1/documents")).send().unwrap();
    assert!(resp.headers().get("www-authenticate").is_some());
    assert_error(resp, 401, "unauthorized");
    assert_error(
        app.get("dft_not-a-real-token", "/api/v1/documents"),
        401,
        "unauthorized",
    );
    assert_error(app.get("garbage", "/api/v1/documents"), 401, "unauthorized");
    let resp = app
        .http
        .get(app.url("/api/v1/documents"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .unwrap();
    assert_error(resp, 401, "unauthorized");
    assert_error(app.upload("dft_wrong", META, file()), 401, "unauthorized");
    assert_eq!(app.db.snapshot(), before);

    // Expired: backdate the token's expiry as the owner could.
    let expired = app.user("MINFIN", "late", &[Role::Registrar]);
    app.db
        .exec("UPDATE api_tokens SET expires_at = '2000-01-01 00:00:00' WHERE label = 'test' AND user_id = (SELECT id FROM users WHERE login = 'late')")
        .unwrap();
    assert_error(app.get(&expired, "/api/v1/documents"), 401, "unauthorized");

    // Revoked through the CLI.
    assert_eq!(app.get(&token, "/api/v1/documents").status(), 200);
    let list = app.db.cli(&["admin", "token", "list", "--login", "reg"]);
    let listing = String::from_utf8(list.stdout).unwrap();
    let token_id = listing.split('\t').next().unwrap().trim().to_owned();
    let out = app.db.cli(&["admin", "token", "revoke", "--id", &token_id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_error(app.get(&token, "/api/v1/documents"), 401, "unauthorized");
}

fn wrong_role_is_403(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let registrar = app.user("MINFIN", "reg", &[Role::Registrar]);
    let auditor = app.user("MINFIN", "aud", &[Role::Auditor]);
    let id = created_id(&app, &registrar);
    let before = app.db.snapshot();
    assert_error(app.upload(&auditor, META, file()), 403, "forbidden");
    assert_error(
        app.add_version(&auditor, &id, None, "v.pdf", vec![1]),
        403,
        "forbidden",
    );
    // Reading is allowed to every role of the organisation.
    assert_eq!(
        app.get(&auditor, &format!("/api/v1/documents/{id}"))
            .status(),
        200
    );
    assert_eq!(app.db.snapshot(), before);
}

fn other_organisations_documents_are_404(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let ours = app.user("MINFIN", "reg", &[Role::Registrar]);
    let theirs = app.user("ADLIYA", "stranger", &[Role::Registrar, Role::Admin]);
    let id = created_id(&app, &ours);
    let before = app.db.snapshot();
    for path in [
        format!("/api/v1/documents/{id}"),
        format!("/api/v1/documents/{id}/versions"),
        format!("/api/v1/documents/{id}/versions/1/content"),
    ] {
        assert_error(app.get(&theirs, &path), 404, "not_found");
    }
    assert_error(
        app.add_version(&theirs, &id, None, "v.pdf", vec![1]),
        404,
        "not_found",
    );
    // The same answer as for an id that does not exist at all.
    assert_error(
        app.get(
            &ours,
            "/api/v1/documents/0193f2a4-0000-7000-8000-000000000000",
        ),
        404,
        "not_found",
    );
    assert_error(
        app.get(&ours, &format!("/api/v1/documents/{id}/versions/9/content")),
        404,
        "not_found",
    );
    assert_error(app.get(&ours, "/api/v1/no-such-thing"), 404, "not_found");
    assert_eq!(app.db.snapshot(), before);
}

fn stale_base_version_is_409(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let id = created_id(&app, &token);
    assert_eq!(
        app.add_version(&token, &id, Some("1"), "v2.pdf", pdf("order-v2.pdf"))
            .status(),
        201
    );
    let before = app.db.snapshot();
    // Someone else's version 2 landed first: editing "on top of 1" conflicts.
    assert_error(
        app.add_version(&token, &id, Some("1"), "v2b.pdf", vec![7; 30]),
        409,
        "conflict",
    );
    assert_eq!(app.db.snapshot(), before);
}

fn oversized_upload_is_413_and_stores_nothing(backend: Backend) {
    let Some(app) = TestApp::start_with(
        backend,
        Options {
            max_upload_bytes: 4096,
        },
    ) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let id = created_id(&app, &token);
    let before = app.db.snapshot();
    assert_error(
        app.upload(
            &token,
            META,
            Some(("big.pdf", "application/pdf", vec![b'x'; 4097])),
        ),
        413,
        "payload_too_large",
    );
    assert_error(
        app.add_version(&token, &id, None, "big.pdf", vec![b'y'; 1 << 20]),
        413,
        "payload_too_large",
    );
    assert_eq!(app.db.snapshot(), before);
    // Exactly at the limit is fine.
    assert_eq!(
        app.upload(
            &token,
            META,
            Some(("ok.pdf", "application/pdf", vec![b'z'; 4096]))
        )
        .status(),
        201
    );
}

fn wrong_media_type_is_415(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let before = app.db.snapshot();
    let resp = app
        .http
        .post(app.url("/api/v1/documents"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "x", "kind": "order"}))
        .send()
        .unwrap();
    assert_error(resp, 415, "unsupported_media_type");
    assert_eq!(app.db.snapshot(), before);
}

fn invalid_metadata_is_422(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let before = app.db.snapshot();
    // Well-formed metadata that breaks a rule.
    for meta in [
        r#"{"title":"Xat","kind":"poem"}"#,
        r#"{"title":"   ","kind":"order"}"#,
        r#"{"title":"two\nlines","kind":"order"}"#,
    ] {
        assert_error(app.upload(&token, meta, file()), 422, "unprocessable");
    }
    // Metadata of the wrong shape is malformed input, 400 as in a JSON body.
    for meta in [
        r#"{"kind":"order"}"#,
        r#"{"title":"Xat"}"#,
        r#"{"title":"Xat","kind":"order","secret":1}"#,
        r#"["not","an","object"]"#,
    ] {
        assert_error(app.upload(&token, meta, file()), 400, "bad_request");
    }
    assert_eq!(app.db.snapshot(), before);
}

fn internal_errors_are_500_without_the_cause(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    let before = app.db.snapshot();
    // Break the schema behind the server's back.
    app.db
        .exec("ALTER TABLE blobs RENAME TO blobs_gone")
        .unwrap();
    let body = assert_error(app.upload(&token, META, file()), 500, "internal");
    let message = body["message"].as_str().unwrap();
    assert!(!message.contains("blobs"), "the cause leaked: {message}");
    app.db
        .exec("ALTER TABLE blobs_gone RENAME TO blobs")
        .unwrap();
    assert_eq!(
        app.db.snapshot(),
        before,
        "the failed request left nothing behind"
    );
}
