//! Who may do what: every endpoint against anonymous, a token of another
//! organisation (holding every role), a wrong role and the right role.

use docflow::core::keys::PrivateKey;
use docflow::domain::Role;
use serde_json::{json, Value};

use crate::harness::{example, pdf, Backend, TestApp};

both_backends!(every_endpoint_against_every_kind_of_caller);

/// Method, path, body, wrong-role token, right-role token, and the
/// expected status for anonymous, another organisation, wrong, right.
type Row<'a> = (&'a str, String, Body, &'a str, &'a str, [u16; 4]);

#[derive(Clone, Copy)]
enum Body {
    None,
    Version,
    NewKey,
    Revoke,
    Signature,
    Route,
    Settings,
}

fn every_endpoint_against_every_kind_of_caller(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let all = [
        Role::Admin,
        Role::Registrar,
        Role::Approver,
        Role::Executor,
        Role::Auditor,
        Role::Head,
    ];
    let other = app.user("ADLIYA", "stranger", &all);
    let reg = app.user("MINFIN", "reg", &[Role::Registrar]);
    let appr = app.user("MINFIN", "appr", &[Role::Approver]);
    let aud = app.user("MINFIN", "aud", &[Role::Auditor]);
    let adm = app.user("MINFIN", "adm", &[Role::Admin]);
    app.user("MINFIN", "newcomer", &[Role::Executor]);
    let read = |p: &str| std::fs::read_to_string(example(p)).unwrap();
    let add_key = |token: &str, login: &str, file: &str| {
        let resp = app
            .http
            .post(app.url(&format!("/api/v1/users/{login}/keys")))
            .bearer_auth(token)
            .json(&json!({"public_key": read(file)}))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 201);
        resp.json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let appr_key = add_key(&reg, "appr", "raw/keypair-1.pub.pem");
    let admin_other = app.user("ADLIYA", "stranger-admin", &[Role::Admin]);
    let other_key = add_key(&admin_other, "stranger", "raw/keypair-2.pub.pem");
    let created: Value = app
        .upload(
            &reg,
            r#"{"title":"Buyruq","kind":"order"}"#,
            Some(("o.pdf", "application/pdf", pdf("order-v1.pdf"))),
        )
        .json()
        .unwrap();
    let doc = created["id"].as_str().unwrap().to_owned();
    let appr_private = PrivateKey::from_pkcs8_pem(&read("raw/keypair-1.pem")).unwrap();

    let v1 = format!("/api/v1/documents/{doc}/versions/1");
    // Each row: method, path, body, wrong-role token, right-role token, and
    // the expected status for anonymous, other organisation, wrong, right.
    let rows: Vec<Row> = vec![
        (
            "GET",
            "/api/v1/me".into(),
            Body::None,
            "aud",
            "reg",
            [401, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/documents".into(),
            Body::None,
            "aud",
            "reg",
            [401, 200, 200, 200],
        ),
        (
            "GET",
            format!("/api/v1/documents/{doc}"),
            Body::None,
            "aud",
            "reg",
            [401, 404, 200, 200],
        ),
        (
            "POST",
            format!("/api/v1/documents/{doc}/versions"),
            Body::Version,
            "aud",
            "reg",
            [401, 404, 403, 201],
        ),
        (
            "GET",
            format!("/api/v1/documents/{doc}/versions"),
            Body::None,
            "aud",
            "reg",
            [401, 404, 200, 200],
        ),
        (
            "GET",
            format!("{v1}/content"),
            Body::None,
            "aud",
            "reg",
            [401, 404, 200, 200],
        ),
        (
            "GET",
            format!("/api/v1/documents/{doc}/history"),
            Body::None,
            "aud",
            "reg",
            [401, 404, 200, 200],
        ),
        (
            "GET",
            format!("{v1}/statement?purpose=approve&key_id={appr_key}"),
            Body::None,
            "aud",
            "appr",
            [401, 404, 403, 200],
        ),
        (
            "POST",
            format!("{v1}/signatures"),
            Body::Signature,
            "aud",
            "appr",
            [401, 403, 403, 201],
        ),
        (
            "GET",
            format!("{v1}/signatures"),
            Body::None,
            "aud",
            "appr",
            [401, 404, 200, 200],
        ),
        (
            "POST",
            "/api/v1/users/newcomer/keys".into(),
            Body::NewKey,
            "appr",
            "reg",
            [401, 404, 403, 201],
        ),
        (
            "GET",
            "/api/v1/users/appr/keys".into(),
            Body::None,
            "aud",
            "reg",
            [401, 404, 200, 200],
        ),
        (
            "GET",
            "/api/v1/ledger/entries/1".into(),
            Body::None,
            "reg",
            "aud",
            [401, 200, 403, 200],
        ),
        ("GET", "/api/v1/organisation".into(), Body::None, "aud", "reg", [401, 200, 200, 200]),
        // Another organisation's admin changes their own organisation (200).
        ("PATCH", "/api/v1/organisation".into(), Body::Settings, "reg", "adm", [401, 200, 403, 200]),
        ("GET", "/api/v1/inbox".into(), Body::None, "aud", "reg", [401, 200, 200, 200]),
        ("GET", "/api/v1/journals".into(), Body::None, "aud", "reg", [401, 200, 200, 200]),
        ("GET", "/api/v1/substitutions".into(), Body::None, "aud", "reg", [401, 200, 200, 200]),
        ("GET", "/api/v1/route-templates".into(), Body::None, "aud", "reg", [401, 200, 200, 200]),
        ("GET", format!("/api/v1/documents/{doc}/routes"), Body::None, "aud", "reg", [401, 404, 200, 200]),
        ("GET", format!("/api/v1/documents/{doc}/resolutions"), Body::None, "aud", "reg", [401, 404, 200, 200]),
        ("GET", "/api/v1/reports/execution?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z".into(), Body::None, "reg", "aud", [401, 200, 403, 200]),
        ("POST", format!("/api/v1/documents/{doc}/versions/2/route"), Body::Route, "aud", "reg", [401, 404, 403, 201]),
        ("GET", "/api/v1/routes/ROUTE".into(), Body::None, "aud", "reg", [401, 404, 200, 200]),
        ("GET", "/api/v1/routes/ROUTE/steps/0/0/statement?decision=approve&key_id=APPRKEY&comment_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(), Body::None, "reg", "appr", [401, 404, 403, 200]),
        (
            "POST",
            format!("/api/v1/keys/{appr_key}/revoke"),
            Body::Revoke,
            "appr",
            "reg",
            [401, 404, 403, 200],
        ),
    ];
    let token_of = |name: &str| match name {
        "reg" => reg.clone(),
        "appr" => appr.clone(),
        "aud" => aud.clone(),
        "adm" => adm.clone(),
        other => panic!("{other}"),
    };
    let mut new_key_files = [
        "users/alisher.pub.pem",
        "users/rustam.pub.pem",
        "users/dilnoza.pub.pem",
        "bad/expired.pub.pem",
    ]
    .into_iter();
    let mut route_id = String::new();
    for (method, path, body, wrong, right, expected) in rows {
        let path = path
            .replace("ROUTE", &route_id)
            .replace("APPRKEY", &appr_key);
        let callers: [(&str, Option<String>); 4] = [
            ("anonymous", None),
            ("another organisation", Some(other.clone())),
            ("wrong role", Some(token_of(wrong))),
            ("right role", Some(token_of(right))),
        ];
        for ((who, token), want) in callers.into_iter().zip(expected) {
            let mut req = match method {
                "GET" => app.http.get(app.url(&path)),
                "PATCH" => app.http.patch(app.url(&path)),
                _ => app.http.post(app.url(&path)),
            };
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            req = match body {
                Body::None => req,
                Body::Version => req.multipart(
                    reqwest::blocking::multipart::Form::new().part(
                        "file",
                        reqwest::blocking::multipart::Part::bytes(format!("v {who}").into_bytes())
                            .file_name("v.pdf"),
                    ),
                ),
                Body::NewKey => {
                    req.json(&json!({"public_key": read(new_key_files.next().unwrap())}))
                }
                Body::Revoke => req.json(&json!({"reason": "test"})),
                Body::Settings => req.json(&json!({"stamp_language": "ru"})),
                Body::Route => req.json(&json!({"stages": [{"rule": "all", "steps": [{"assignee": "appr", "action": "approve"}]}]})),
                Body::Signature => {
                    // A genuine statement for the right caller; the others
                    // offer it with the same signature.
                    let statement = app
                        .get(
                            &appr,
                            &format!("{v1}/statement?purpose=approve&key_id={appr_key}"),
                        )
                        .text()
                        .unwrap();
                    let signature = appr_private.sign(statement.as_bytes()).to_base64();
                    req.json(&json!({"key_id": appr_key, "statement": statement, "signature": signature}))
                }
            };
            let resp = req.send().unwrap();
            let got = resp.status().as_u16();
            let text = resp.text().unwrap_or_default();
            assert_eq!(got, want, "{method} {path} as {who}: {text}");
            if matches!(body, Body::Route) && got == 201 {
                route_id = serde_json::from_str::<Value>(&text).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            }
        }
    }
    // The other organisation's own key is invisible here too.
    let resp = app
        .http
        .post(app.url(&format!("/api/v1/keys/{other_key}/revoke")))
        .bearer_auth(&reg)
        .json(&json!({"reason": "x"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 404);

    // Public endpoints answer anyone.
    for path in [
        "/healthz",
        "/api/openapi.json",
        "/api/v1/document-kinds",
        "/api/v1/ledger/checkpoint",
        "/api/v1/ledger/key",
        "/api/v1/ledger/checkpoints",
        "/api/v1/ledger/leaves?start=0&end=2",
        "/api/v1/ledger/proof/inclusion?seq=1",
        "/api/v1/ledger/proof/consistency?from=1&to=2",
    ] {
        assert_eq!(
            app.http.get(app.url(path)).send().unwrap().status(),
            200,
            "{path}"
        );
    }
}
