//! What a stranger or a careless client meets: logins that cannot be
//! listed, rate limits, a valid OpenAPI document, 400 for mistyped input
//! wherever it comes from, 405 for a wrong method, an inbox that agrees with
//! the execution report, and refusals that speak the API's language.

use std::collections::BTreeSet;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use docflow::core::keys::PrivateKey;
use docflow::domain::Role;
use serde_json::{json, Value};

use crate::flow::{
    act, decide, draft_order, inbox, office, person, signed_and_registered_order, start_route,
    two_deputies_then_minister, urlencode,
};
use crate::harness::{assert_error, example, pdf, Backend, Options, TestApp, TestDb};

both_backends!(
    unknown_logins_are_answered_like_known_ones,
    co_executors_overdue_work_stays_in_the_inbox,
    refusals_name_people_steps_states_and_actions
);

fn read(path: &str) -> String {
    std::fs::read_to_string(example(path)).unwrap()
}

fn post(app: &TestApp, path: &str, body: Value) -> reqwest::blocking::Response {
    app.http.post(app.url(path)).json(&body).send().unwrap()
}

fn challenge(app: &TestApp, body: Value) -> reqwest::blocking::Response {
    post(app, "/api/v1/auth/challenge", body)
}

fn token(app: &TestApp, statement: &str, signature: &str) -> reqwest::blocking::Response {
    post(
        app,
        "/api/v1/auth/token",
        json!({"statement": statement, "signature": signature}),
    )
}

/// What a client can see of a challenge besides its values: the answer's
/// fields and the statement's line names.
fn shape(c: &Value) -> (Vec<String>, Vec<String>) {
    let mut fields: Vec<String> = c.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    let lines = c["statement"]
        .as_str()
        .unwrap()
        .lines()
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect();
    (fields, lines)
}

fn ok_json(resp: reqwest::blocking::Response) -> Value {
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn is_key_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn unknown_logins_are_answered_like_known_ones(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let registrar = app.user("MINFIN", "registrar", &[Role::Registrar]);
    app.user("MINFIN", "a.karimov", &[Role::Approver]);
    let resp = app
        .http
        .post(app.url("/api/v1/users/a.karimov/keys"))
        .bearer_auth(&registrar)
        .json(&json!({"public_key": read("raw/keypair-1.pub.pem")}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    let key_id = resp.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let private = PrivateKey::from_pkcs8_pem(&read("raw/keypair-1.pem")).unwrap();
    let other = PrivateKey::from_pkcs8_pem(&read("raw/keypair-2.pem")).unwrap();
    let issued = |app: &TestApp| app.db.count("challenges") + app.db.count("login_decoys");
    let before = app.db.snapshot();

    let known = ok_json(challenge(&app, json!({"login": "a.karimov"})));
    assert_eq!(known["key_id"], key_id.as_str());
    // Nobody at all, and a user without a key: the same answer, a key id
    // like any other, the same one each time, and one stored challenge
    // each, as for a real login.
    let mut decoy_keys = BTreeSet::new();
    for login in ["nobody", "registrar"] {
        let n = issued(&app);
        let first = ok_json(challenge(&app, json!({"login": login})));
        assert_eq!(shape(&first), shape(&known), "{first}");
        assert!(is_key_id(&first["key_id"]), "{first}");
        assert_ne!(first["key_id"], key_id.as_str());
        assert!(first["statement"].as_str().unwrap().contains(&format!(
            "login: {login}\nkey: {}\n",
            first["key_id"].as_str().unwrap()
        )));
        let again = ok_json(challenge(&app, json!({"login": login})));
        assert_eq!(
            again["key_id"], first["key_id"],
            "the same login, the same key"
        );
        assert_ne!(again["statement"], first["statement"], "a fresh nonce");
        assert_eq!(issued(&app), n + 2, "each challenge is stored");
        decoy_keys.insert(first["key_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(decoy_keys.len(), 2, "each login its own decoy key");
    // Naming a key: a login it is not theirs, or no login at all, gets a
    // statement for that key too.
    for login in ["nobody", "registrar"] {
        let c = ok_json(challenge(&app, json!({"login": login, "key_id": key_id})));
        assert_eq!(c["key_id"], key_id.as_str());
        assert_eq!(shape(&c), shape(&known));
    }
    assert_eq!(
        app.db.snapshot(),
        before,
        "challenges write no ledger entry"
    );

    // Only the token refuses, exactly as it refuses a bad signature.
    let real = known["statement"].as_str().unwrap();
    let bad_signature = token(&app, real, &other.sign(real.as_bytes()).to_base64());
    assert!(bad_signature.headers().get("www-authenticate").is_some());
    let refusal = assert_error(bad_signature, 401, "unauthorized");
    for login in ["nobody", "registrar"] {
        let decoy = ok_json(challenge(&app, json!({"login": login})));
        let text = decoy["statement"].as_str().unwrap();
        let resp = token(&app, text, &private.sign(text.as_bytes()).to_base64());
        assert!(resp.headers().get("www-authenticate").is_some());
        assert_eq!(assert_error(resp, 401, "unauthorized"), refusal);
        // A statement changed after it was issued: the answer of a real one.
        let changed = text.replace(&format!("login: {login}\n"), "login: zzz\n");
        let real_changed = real.replace("login: a.karimov\n", "login: zzz\n");
        let sig = STANDARD.encode([7u8; 64]);
        assert_eq!(
            assert_error(token(&app, &changed, &sig), 422, "unprocessable"),
            assert_error(token(&app, &real_changed, &sig), 422, "unprocessable"),
        );
    }
    // The genuine login still works.
    let resp = token(&app, real, &private.sign(real.as_bytes()).to_base64());
    assert_eq!(resp.status(), 200, "{}", resp.text().unwrap());

    // Another node on the same database gives the same decoy key.
    let second = TestApp::serve(TestDb::borrowed(&app.db), Options::default());
    let there = ok_json(challenge(&second, json!({"login": "nobody"})));
    assert!(decoy_keys.contains(there["key_id"].as_str().unwrap()));
}

#[test]
fn login_endpoints_are_rate_limited() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let first = ok_json(challenge(&app, json!({"login": "someone"})));
    for _ in 1..10 {
        assert_eq!(challenge(&app, json!({"login": "someone"})).status(), 200);
    }
    let resp = challenge(&app, json!({"login": "someone"}));
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = assert_error(resp, 429, "too_many_requests");
    assert!(
        body["message"].as_str().unwrap().contains("login"),
        "{body}"
    );
    // Another login still may.
    assert_eq!(
        challenge(&app, json!({"login": "someone-else"})).status(),
        200
    );
    // One address, many logins: 60 a minute (12 are spent above).
    let mut passed = 0;
    let limited = (0..100).find_map(|i| {
        let resp = challenge(&app, json!({"login": format!("user{i}")}));
        if resp.status() == 429 {
            return Some(assert_error(resp, 429, "too_many_requests"));
        }
        assert_eq!(resp.status(), 200);
        passed += 1;
        None
    });
    let body = limited.expect("the address is limited");
    assert!(
        body["message"].as_str().unwrap().contains("address"),
        "{body}"
    );
    assert!((40..=60).contains(&passed), "{passed} passed");
    // The token endpoint counts the login its statement names.
    let text = first["statement"].as_str().unwrap();
    let bad = STANDARD.encode([7u8; 64]);
    for _ in 0..10 {
        assert_error(token(&app, text, &bad), 401, "unauthorized");
    }
    assert_error(token(&app, text, &bad), 429, "too_many_requests");
}

#[test]
fn the_openapi_document_passes_a_linter() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let resp = app.http.get(app.url("/api/openapi.json")).send().unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["servers"][0]["url"], "/");
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} repeats");
            let responses = op["responses"].as_object().unwrap();
            assert_eq!(
                responses["500"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{method} {path}"
            );
            for (status, r) in responses {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
        }
    }
    for path in ["/api/v1/auth/challenge", "/api/v1/auth/token"] {
        let r = &doc["paths"][path]["post"]["responses"]["429"];
        assert!(r["headers"]["Retry-After"].is_object(), "{path}: {r}");
    }

    // The linter: openapi-spec-validator (PyPI; .ci/run installs it).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &text).unwrap();
    match std::process::Command::new("openapi-spec-validator")
        .arg(&file)
        .output()
    {
        Ok(out) if out.status.success() => {
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(said.contains("OK"), "{said}");
        }
        Ok(out) => panic!(
            "openapi-spec-validator refuses the document:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but openapi-spec-validator cannot run ({e}): pip install openapi-spec-validator")
        }
        Err(e) => eprintln!(
            "\n!!!! openapi-spec-validator cannot run ({e}): the OpenAPI document was NOT linted.\n!!!! pip install openapi-spec-validator\n"
        ),
    }
}

#[test]
fn mistyped_input_is_400_wherever_it_comes_from() {
    let Some(app) = TestApp::start_with(
        Backend::Sqlite,
        Options {
            max_upload_bytes: 4096,
        },
    ) else {
        return;
    };
    let reg = app.user("MINFIN", "reg", &[Role::Registrar]);
    let adm = app.user("MINFIN", "adm", &[Role::Admin]);
    let file = || Some(("x.pdf", "application/pdf", vec![b'%'; 100]));
    let created = app.upload(&reg, r#"{"title":"Xat","kind":"order"}"#, file());
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.db.snapshot();
    let no_internals = |body: &Value| {
        let m = body["message"].as_str().unwrap();
        for word in [
            "i32",
            "u64",
            "usize",
            "struct",
            "DocumentMeta",
            "can not parse",
            "Json deserialize",
        ] {
            assert!(!m.contains(word), "{word:?} in {m:?}");
        }
        m.to_owned()
    };

    // A wrong type in a JSON body, and the same in the multipart meta part.
    let resp = app
        .http
        .patch(app.url("/api/v1/organisation"))
        .bearer_auth(&adm)
        .json(&json!({"stamp_language": 5}))
        .send()
        .unwrap();
    no_internals(&assert_error(resp, 400, "bad_request"));
    for meta in [r#"{"title":5,"kind":"order"}"#, r#"["not","an","object"]"#] {
        let m = no_internals(&assert_error(
            app.upload(&reg, meta, file()),
            400,
            "bad_request",
        ));
        assert!(m.contains("meta"), "{m}");
    }
    // Well-formed but against a rule stays 422.
    assert_error(
        app.upload(&reg, r#"{"title":"Xat","kind":"poem"}"#, file()),
        422,
        "unprocessable",
    );

    // Query and path parameters are named, not described in serde's words.
    for (path, message) in [
        (
            "/api/v1/documents?limit=abc".to_owned(),
            "limit must be a non-negative integer",
        ),
        (
            "/api/v1/ledger/leaves?start=x&end=2".to_owned(),
            "start must be a non-negative integer",
        ),
        (
            format!("/api/v1/documents/{id}/versions/abc/content"),
            "version must be a positive integer",
        ),
        (
            "/api/v1/ledger/entries/first".to_owned(),
            "seq must be a positive integer",
        ),
        (
            "/api/v1/routes/r/steps/x/0/statement?decision=approve&key_id=k&comment_sha256=c"
                .to_owned(),
            "stage must be a non-negative integer (stages count from 0)",
        ),
    ] {
        let body = assert_error(app.get(&adm, &path), 400, "bad_request");
        assert_eq!(no_internals(&body), message, "{path}");
    }
    let body = assert_error(
        app.get(&adm, "/api/v1/documents?colour=red"),
        400,
        "bad_request",
    );
    assert!(no_internals(&body).contains("colour"), "{body}");

    // The multipart answers of before, now from MultipartForm.
    let send = |form: reqwest::blocking::multipart::Form| {
        app.http
            .post(app.url("/api/v1/documents"))
            .bearer_auth(&reg)
            .multipart(form)
            .send()
            .unwrap()
    };
    use reqwest::blocking::multipart::{Form, Part};
    let meta = || Part::text(r#"{"title":"Xat","kind":"order"}"#);
    let pdf_part = || Part::bytes(vec![b'%'; 10]).file_name("x.pdf");
    let m = assert_error(
        send(Form::new().part("file", pdf_part())),
        400,
        "bad_request",
    );
    assert!(m["message"].as_str().unwrap().contains("meta"), "{m}");
    let m = assert_error(send(Form::new().part("meta", meta())), 400, "bad_request");
    assert!(m["message"].as_str().unwrap().contains("file"), "{m}");
    let m = assert_error(
        send(
            Form::new()
                .part("meta", meta())
                .part("file", pdf_part())
                .text("colour", "red"),
        ),
        400,
        "bad_request",
    );
    assert!(m["message"].as_str().unwrap().contains("colour"), "{m}");
    let m = assert_error(
        send(
            Form::new()
                .part("meta", meta())
                .part("meta", meta())
                .part("file", pdf_part()),
        ),
        400,
        "bad_request",
    );
    assert!(m["message"].as_str().unwrap().contains("twice"), "{m}");
    let big_meta = format!(r#"{{"title":"{}","kind":"order"}}"#, "x".repeat(70 * 1024));
    let m = assert_error(
        send(
            Form::new()
                .part("meta", Part::text(big_meta))
                .part("file", pdf_part()),
        ),
        413,
        "payload_too_large",
    );
    assert!(m["message"].as_str().unwrap().contains("meta"), "{m}");
    let m = assert_error(
        send(
            Form::new()
                .part("meta", meta())
                .part("file", Part::bytes(vec![1; 5000]).file_name("b.pdf")),
        ),
        413,
        "payload_too_large",
    );
    assert!(m["message"].as_str().unwrap().contains("4096"), "{m}");
    let resp = app
        .http
        .post(app.url("/api/v1/documents"))
        .bearer_auth(&reg)
        .json(&json!({"title": "x", "kind": "order"}))
        .send()
        .unwrap();
    assert_error(resp, 415, "unsupported_media_type");
    let m = assert_error(
        app.add_version(&reg, &id, Some("abc"), "v.pdf", vec![1]),
        400,
        "bad_request",
    );
    assert_eq!(m["message"], "base_version must be a positive integer");
    assert_eq!(app.db.snapshot(), before, "refusals stored nothing");
    // And a good one still goes through.
    assert_eq!(
        app.add_version(&reg, &id, Some("1"), "v2.pdf", pdf("order-v2.pdf"))
            .status(),
        201
    );
}

#[test]
fn a_wrong_method_is_405_with_allow() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[Role::Registrar]);
    for (method, path, allow) in [
        ("DELETE", "/api/v1/documents", "POST, GET"),
        (
            "PUT",
            "/api/v1/documents/0193f2a4-0000-7000-8000-000000000000",
            "GET",
        ),
        ("GET", "/api/v1/auth/token", "POST"),
        ("DELETE", "/api/v1/organisation", "GET, PATCH"),
        ("POST", "/healthz", "GET"),
        ("POST", "/api/openapi.json", "GET"),
    ] {
        let resp = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(resp.headers()["allow"], allow, "{method} {path}");
        let body = assert_error(resp, 405, "method_not_allowed");
        assert!(body["message"].as_str().unwrap().contains(method), "{body}");
    }
    // A path that does not exist is still 404.
    assert_error(app.get(&token, "/api/v1/no-such-thing"), 404, "not_found");
    assert_error(app.get(&token, "/nothing"), 404, "not_found");
}

fn co_executors_overdue_work_stays_in_the_inbox(backend: Backend) {
    let Some(mut o) = office(backend) else { return };
    person(&mut o, "resp", Role::Executor, "Byudjet boshqarmasi");
    person(&mut o, "co", Role::Executor, "Moliya departamenti");
    person(&mut o, "controller", Role::Registrar, "Nazorat bo'limi");
    let doc = signed_and_registered_order(&o);
    let now = chrono::Utc::now();
    let at = |days: i64| (now + chrono::Duration::days(days)).to_rfc3339();
    let resp = o
        .app
        .http
        .post(o.app.url(&format!("/api/v1/documents/{doc}/resolutions")))
        .bearer_auth(o.token("minister"))
        .json(&json!({
            "instruction": "Ijro etilsin.",
            "deadline": at(-1),
            "controller": "controller",
            "executors": [
                {"login": "resp", "responsible": true, "deadline": at(-2)},
                {"login": "co", "deadline": at(-1)}
            ]
        }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
    let rid = resp.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        act(&o, "minister", &rid, json!({"action": "sign"})).status(),
        201
    );
    let report = |o: &crate::flow::Office, login: &str| -> Value {
        let range = format!("from={}&to={}", urlencode(&at(-10)), urlencode(&at(10)));
        let rows: Value = o
            .app
            .get(
                o.token("minister"),
                &format!("/api/v1/reports/execution?{range}"),
            )
            .json()
            .unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["executor"] == login)
            .unwrap()
            .clone()
    };
    let assignments = |login: &str| -> Vec<Value> {
        inbox(&o, login)
            .into_iter()
            .filter(|i| i["kind"] == "assignment" && i["id"] == rid.as_str())
            .collect()
    };

    // The responsible executor reports and the controller accepts: the
    // resolution is executed.
    assert_eq!(
        act(
            &o,
            "resp",
            &rid,
            json!({"action": "report", "text": "Bajarildi"})
        )
        .status(),
        201
    );
    let done = act(
        &o,
        "controller",
        &rid,
        json!({"action": "accept", "executor": "resp"}),
    );
    assert_eq!(done.status(), 201);
    assert_eq!(done.json::<Value>().unwrap()["state"], "executed");

    // The co-executor's work is still open and late: the report counts it,
    // and the inbox shows it.
    assert_eq!(report(&o, "co")["overdue"], 1);
    let open = assignments("co");
    assert_eq!(open.len(), 1, "{:?}", inbox(&o, "co"));
    assert_eq!(open[0]["overdue"], true);
    assert!(assignments("resp").is_empty());

    // They report; the controller sees it to accept, and accepts it.
    assert_eq!(
        act(
            &o,
            "co",
            &rid,
            json!({"action": "report", "text": "Kech bo'lsa ham"})
        )
        .status(),
        201
    );
    assert!(assignments("co").is_empty());
    assert!(inbox(&o, "controller")
        .iter()
        .any(|i| i["kind"] == "report-to-accept" && i["id"] == rid.as_str()));
    assert_eq!(
        act(
            &o,
            "controller",
            &rid,
            json!({"action": "accept", "executor": "co"})
        )
        .status(),
        201
    );
    assert!(inbox(&o, "controller")
        .iter()
        .all(|i| i["id"] != rid.as_str()));
    let row = report(&o, "co");
    assert_eq!(
        (row["overdue"].as_u64(), row["executed_late"].as_u64()),
        (Some(0), Some(1))
    );
}

fn refusals_name_people_steps_states_and_actions(backend: Backend) {
    let Some(mut o) = office(backend) else { return };
    let id_of = |app: &TestApp, token: &str| -> String {
        app.get(token, "/api/v1/me").json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let message = |resp: reqwest::blocking::Response, status: u16, code: &str| -> String {
        let body = assert_error(resp, status, code);
        let m = body["message"].as_str().unwrap().to_owned();
        for internal in ["Pending", "Active", "Assigned", "AcceptReport", "'0"] {
            assert!(!m.contains(internal), "{internal:?} in {m:?}");
        }
        m
    };
    let doc = draft_order(&o);
    let route: Value = start_route(&o, &doc, 1, two_deputies_then_minister())
        .json()
        .unwrap();
    let rid = route["id"].as_str().unwrap().to_owned();
    let m = message(
        decide(&o, "deputy2", &rid, (0, 0), "approve", None, None),
        403,
        "forbidden",
    );
    assert_eq!(
        m,
        "deputy2 (Дилноза Юсупова) is not the assignee of stage 0, step 0"
    );
    assert!(!m.contains(&id_of(&o.app, o.token("deputy2"))));
    assert_eq!(
        message(
            decide(&o, "minister", &rid, (1, 0), "sign", None, None),
            409,
            "conflict"
        ),
        "stage 1, step 0 is not active (pending)"
    );
    assert_eq!(
        message(
            decide(&o, "deputy1", &rid, (0, 0), "sign", None, None),
            422,
            "unprocessable"
        ),
        "decision 'sign' does not fit this step, whose action is 'approve'"
    );

    person(&mut o, "resp", Role::Executor, "Byudjet boshqarmasi");
    person(&mut o, "controller", Role::Registrar, "Nazorat bo'limi");
    let doc = signed_and_registered_order(&o);
    let at = |days: i64| (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
    let resp = o
        .app
        .http
        .post(o.app.url(&format!("/api/v1/documents/{doc}/resolutions")))
        .bearer_auth(o.token("minister"))
        .json(&json!({
            "instruction": "Ijro etilsin.",
            "deadline": at(5),
            "controller": "controller",
            "executors": [{"login": "resp", "responsible": true, "deadline": at(3)}]
        }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    let res = resp.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        message(
            act(&o, "resp", &res, json!({"action": "report", "text": "x"})),
            409,
            "conflict"
        ),
        "the resolution is draft, not in effect for this action"
    );
    assert_eq!(
        act(&o, "minister", &res, json!({"action": "sign"})).status(),
        201
    );
    assert_eq!(
        message(
            act(&o, "minister", &res, json!({"action": "sign"})),
            409,
            "conflict"
        ),
        "cannot sign: the resolution is active"
    );
    let m = message(
        act(
            &o,
            "resp",
            &res,
            json!({"action": "accept", "executor": "resp"}),
        ),
        403,
        "forbidden",
    );
    assert_eq!(
        m,
        "resp (Дилноза Юсупова) is not the controller of this resolution"
    );
    assert!(!m.contains(&id_of(&o.app, o.token("resp"))));
    assert_eq!(
        message(
            act(
                &o,
                "controller",
                &res,
                json!({"action": "accept", "executor": "resp"})
            ),
            409,
            "conflict"
        ),
        "cannot accept: the assignment is assigned"
    );
}
