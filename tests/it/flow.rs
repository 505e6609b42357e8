//! Document flow: substitutions, routes, resolutions, inbox.

use docflow::domain::Role;
use serde_json::{json, Value};

use docflow::core::keys::PrivateKey;
use sha2::{Digest, Sha256};

use crate::harness::{assert_error, example, pdf, Backend, TestApp};

both_backends!(
    substitutions_are_recorded_and_scoped,
    parallel_approval_then_signature_then_registration,
    refused_decisions_leave_no_trace,
    return_for_revision_needs_a_new_version_and_a_fresh_route,
    a_substitute_decides_with_their_own_key,
    resolution_reports_and_control_of_execution,
    route_templates_and_sub_resolutions,
    documents_walk_the_state_table_through_the_api,
    evidence_bundle_verifies_offline,
    stamped_pdf_verifies_offline_and_shows_changes,
    stamp_language_is_set_per_organisation
);

fn substitutions_are_recorded_and_scoped(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let deputy = app.user("MINFIN", "deputy", &[Role::Approver]);
    app.user("MINFIN", "assistant", &[Role::Approver]);
    let admin = app.user("MINFIN", "boss", &[Role::Admin]);
    app.user("ADLIYA", "stranger", &[Role::Approver]);
    let post = |token: &str, body: Value| {
        app.http
            .post(app.url("/api/v1/substitutions"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap()
    };
    let before = app.db.snapshot();
    let period = json!({"substitute": "assistant", "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-15T00:00:00Z"});
    assert_error(
        post(
            &deputy,
            json!({"substitute": "stranger", "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-15T00:00:00Z"}),
        ),
        404,
        "not_found",
    );
    assert_error(
        post(
            &deputy,
            json!({"substitute": "assistant", "starts_at": "2026-12-15T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}),
        ),
        422,
        "unprocessable",
    );
    assert_error(
        post(
            &deputy,
            json!({"substitute": "assistant", "starts_at": "soon", "ends_at": "2026-12-01T00:00:00Z"}),
        ),
        400,
        "bad_request",
    );
    assert_error(
        post(
            &deputy,
            json!({"substitute": "deputy", "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-15T00:00:00Z"}),
        ),
        422,
        "unprocessable",
    );
    let mut for_other = period.clone();
    for_other["user"] = json!("boss");
    assert_error(post(&deputy, for_other), 403, "forbidden");
    assert_eq!(app.db.snapshot(), before);
    let resp = post(&deputy, period);
    assert_eq!(resp.status(), 201);
    let mut limited = json!({"substitute": "deputy", "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-15T00:00:00Z", "kinds": ["order"]});
    limited["user"] = json!("assistant");
    assert_eq!(post(&admin, limited).status(), 201);
    let mine: Value = app.get(&deputy, "/api/v1/substitutions").json().unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 2);
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let mut conn = app.db.conn();
    let id_of = |login: &str, conn: &mut docflow::storage::DbConnection| {
        docflow::storage::orgs::user_by_login(conn, login)
            .unwrap()
            .unwrap()
            .id
    };
    let (deputy_id, assistant_id) = (id_of("deputy", &mut conn), id_of("assistant", &mut conn));
    use docflow::service::substitutions::may_act_for;
    assert!(may_act_for(
        &mut conn,
        &assistant_id,
        &deputy_id,
        "order",
        at("2026-12-05T10:00:00Z")
    )
    .unwrap());
    assert!(!may_act_for(
        &mut conn,
        &assistant_id,
        &deputy_id,
        "order",
        at("2026-12-20T10:00:00Z")
    )
    .unwrap());
    assert!(may_act_for(
        &mut conn,
        &deputy_id,
        &assistant_id,
        "order",
        at("2026-12-05T10:00:00Z")
    )
    .unwrap());
    assert!(!may_act_for(
        &mut conn,
        &deputy_id,
        &assistant_id,
        "internal-memo",
        at("2026-12-05T10:00:00Z")
    )
    .unwrap());
    let kinds: Vec<String> = docflow::storage::ledger::page(&mut conn, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "substitution.created")
            .count(),
        2
    );
}

/// People of the story, each with a registered key.
pub(crate) struct Office {
    pub(crate) app: TestApp,
    pub(crate) registrar: String,
    people: Vec<(String, String, PrivateKey)>,
}

impl Office {
    pub(crate) fn token(&self, login: &str) -> &str {
        &self.people.iter().find(|p| p.0 == login).unwrap().1
    }
    pub(crate) fn key(&self, login: &str) -> &PrivateKey {
        &self.people.iter().find(|p| p.0 == login).unwrap().2
    }
}

pub(crate) fn office(backend: Backend) -> Option<Office> {
    let app = TestApp::start(backend)?;
    let registrar = app.user("MINFIN", "registrar", &[Role::Registrar]);
    let mut people = Vec::new();
    for (login, role, key) in [
        ("deputy1", Role::Approver, "raw/keypair-1"),
        ("deputy2", Role::Approver, "raw/keypair-2"),
        ("minister", Role::Head, "users/alisher"),
        ("assistant", Role::Approver, "users/dilnoza"),
    ] {
        let token = app.user("MINFIN", login, &[role]);
        let public = std::fs::read_to_string(example(&format!("{key}.pub.pem"))).unwrap();
        let resp = app
            .http
            .post(app.url(&format!("/api/v1/users/{login}/keys")))
            .bearer_auth(&registrar)
            .json(&json!({"public_key": public}))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 201);
        let private_file = if key.starts_with("raw/") {
            format!("{key}.pem")
        } else {
            format!("{key}.key")
        };
        let private =
            PrivateKey::from_pkcs8_pem(&std::fs::read_to_string(example(&private_file)).unwrap())
                .unwrap();
        people.push((login.to_owned(), token, private));
    }
    Some(Office {
        app,
        registrar,
        people,
    })
}

pub(crate) fn draft_order(o: &Office) -> String {
    let v: Value = o
        .app
        .upload(
            &o.registrar,
            r#"{"title":"Buyruq: byudjet","kind":"order"}"#,
            Some(("order.pdf", "application/pdf", pdf("order-v1.pdf"))),
        )
        .json()
        .unwrap();
    v["id"].as_str().unwrap().to_owned()
}

pub(crate) fn start_route(
    o: &Office,
    doc: &str,
    version: u32,
    stages: Value,
) -> reqwest::blocking::Response {
    o.app
        .http
        .post(
            o.app
                .url(&format!("/api/v1/documents/{doc}/versions/{version}/route")),
        )
        .bearer_auth(&o.registrar)
        .json(&json!({"stages": stages}))
        .send()
        .unwrap()
}

pub(crate) fn decide(
    o: &Office,
    login: &str,
    route: &str,
    (stage, step): (usize, usize),
    decision: &str,
    comment: Option<&str>,
    on_behalf_of: Option<&str>,
) -> reqwest::blocking::Response {
    let key = o.key(login);
    let fingerprint = key.public_key().fingerprint();
    let sha = hex::encode(Sha256::digest(comment.unwrap_or("").as_bytes()));
    let mut url = format!(
        "/api/v1/routes/{route}/steps/{stage}/{step}/statement?decision={decision}&key_id={fingerprint}&comment_sha256={sha}"
    );
    if let Some(p) = on_behalf_of {
        url.push_str(&format!("&on_behalf_of={p}"));
    }
    let resp = o.app.get(o.token(login), &url);
    if resp.status() != 200 {
        return resp;
    }
    let statement = resp.text().unwrap();
    o.app
        .http
        .post(o.app.url(&format!(
            "/api/v1/routes/{route}/steps/{stage}/{step}/decision"
        )))
        .bearer_auth(o.token(login))
        .json(&json!({
            "decision": decision,
            "comment": comment,
            "on_behalf_of": on_behalf_of,
            "key_id": fingerprint,
            "statement": statement,
            "signature": key.sign(statement.as_bytes()).to_base64(),
        }))
        .send()
        .unwrap()
}

pub(crate) fn two_deputies_then_minister() -> Value {
    json!([
        {"rule": "all", "steps": [
            {"assignee": "deputy1", "action": "approve", "deadline": {"working-days": 2}},
            {"assignee": "deputy2", "action": "approve"}
        ]},
        {"rule": "all", "steps": [{"assignee": "minister", "action": "sign"}]}
    ])
}

fn state_of(o: &Office, doc: &str) -> String {
    let d: Value = o
        .app
        .get(&o.registrar, &format!("/api/v1/documents/{doc}"))
        .json()
        .unwrap();
    d["state"].as_str().unwrap().to_owned()
}

fn parallel_approval_then_signature_then_registration(backend: Backend) {
    let Some(o) = office(backend) else { return };
    let doc = draft_order(&o);
    let resp = start_route(&o, &doc, 1, two_deputies_then_minister());
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
    let route: Value = resp.json().unwrap();
    let route_id = route["id"].as_str().unwrap().to_owned();
    assert_eq!(state_of(&o, &doc), "on-approval");
    // A second route while one is running is an illegal move.
    assert_error(
        start_route(&o, &doc, 1, two_deputies_then_minister()),
        409,
        "conflict",
    );

    let r = decide(&o, "deputy1", &route_id, (0, 0), "approve", None, None);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let r = decide(
        &o,
        "deputy2",
        &route_id,
        (0, 1),
        "approve-with-remarks",
        Some("3-bandni aniqlashtiring"),
        None,
    );
    assert_eq!(r.status(), 201);
    let after: Value = r.json().unwrap();
    assert_eq!(after["route"]["state"], "active");
    assert!(after["receipt"]
        .as_str()
        .unwrap()
        .starts_with("c2sp.org/tlog-proof@v1"));
    let r = decide(&o, "minister", &route_id, (1, 0), "sign", None, None);
    assert_eq!(r.status(), 201);
    let done: Value = r.json().unwrap();
    assert_eq!(done["route"]["state"], "approved");
    assert_eq!(done["route"]["decisions"].as_array().unwrap().len(), 3);
    assert_eq!(state_of(&o, &doc), "signed");
    // Every decision is also a signature on the version.
    let sigs: Value = o
        .app
        .get(
            &o.registrar,
            &format!("/api/v1/documents/{doc}/versions/1/signatures"),
        )
        .json()
        .unwrap();
    let purposes: Vec<&str> = sigs
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["approve", "approve-with-remarks", "sign"]);

    let j = o
        .app
        .http
        .post(o.app.url("/api/v1/journals"))
        .bearer_auth(&o.registrar)
        .json(&json!({"code": "01-07", "name": "Buyruqlar", "kinds": ["order"]}))
        .send()
        .unwrap();
    assert_eq!(j.status(), 201);
    let reg = o
        .app
        .http
        .post(o.app.url(&format!("/api/v1/documents/{doc}/register")))
        .bearer_auth(&o.registrar)
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(reg.status(), 201);
    assert_eq!(state_of(&o, &doc), "registered");
    crate::ledger::assert_linear_chain(&o.app.db, o.app.db.count("ledger"));
}

fn refused_decisions_leave_no_trace(backend: Backend) {
    let Some(o) = office(backend) else { return };
    let doc = draft_order(&o);
    let route: Value = start_route(&o, &doc, 1, two_deputies_then_minister())
        .json()
        .unwrap();
    let route_id = route["id"].as_str().unwrap().to_owned();
    let before = o.app.db.snapshot();
    // Out of order: the minister's step is not active yet.
    let r = decide(&o, "minister", &route_id, (1, 0), "sign", None, None);
    let body = assert_error(r, 409, "conflict");
    assert!(
        body["message"].as_str().unwrap().contains("not active"),
        "{body}"
    );
    // Wrong assignee.
    let body = assert_error(
        decide(&o, "deputy2", &route_id, (0, 0), "approve", None, None),
        403,
        "forbidden",
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not the assignee"),
        "{body}"
    );
    // A decision that does not fit the step, and remarks without a comment.
    assert_error(
        decide(&o, "deputy1", &route_id, (0, 0), "sign", None, None),
        422,
        "unprocessable",
    );
    assert_error(
        decide(
            &o,
            "deputy1",
            &route_id,
            (0, 0),
            "approve-with-remarks",
            None,
            None,
        ),
        422,
        "unprocessable",
    );
    assert_error(
        decide(&o, "deputy1", &route_id, (5, 0), "approve", None, None),
        404,
        "not_found",
    );
    assert_eq!(o.app.db.snapshot(), before, "refusals recorded nothing");
    assert_eq!(
        decide(&o, "deputy1", &route_id, (0, 0), "approve", None, None).status(),
        201
    );
    let before = o.app.db.snapshot();
    // Twice.
    let body = assert_error(
        decide(&o, "deputy1", &route_id, (0, 0), "approve", None, None),
        409,
        "conflict",
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already decided"),
        "{body}"
    );
    assert_eq!(o.app.db.snapshot(), before);
}

fn return_for_revision_needs_a_new_version_and_a_fresh_route(backend: Backend) {
    let Some(o) = office(backend) else { return };
    let doc = draft_order(&o);
    let route: Value = start_route(&o, &doc, 1, two_deputies_then_minister())
        .json()
        .unwrap();
    let old = route["id"].as_str().unwrap().to_owned();
    assert_eq!(
        decide(&o, "deputy1", &old, (0, 0), "approve", None, None).status(),
        201
    );
    // Content cannot change while on approval.
    assert_error(
        o.app
            .add_version(&o.registrar, &doc, None, "v2.pdf", pdf("order-v2.pdf")),
        409,
        "conflict",
    );
    let r = decide(
        &o,
        "deputy2",
        &old,
        (0, 1),
        "return-for-revision",
        Some("Summani tekshiring"),
        None,
    );
    assert_eq!(r.status(), 201);
    assert_eq!(state_of(&o, &doc), "on-rework");
    assert_eq!(
        o.app
            .add_version(&o.registrar, &doc, Some("1"), "v2.pdf", pdf("order-v2.pdf"))
            .status(),
        201
    );
    assert_eq!(state_of(&o, &doc), "draft");
    let before = o.app.db.snapshot();
    // The old route is closed and on a superseded version.
    assert_error(
        decide(&o, "minister", &old, (1, 0), "sign", None, None),
        409,
        "conflict",
    );
    assert_error(
        start_route(&o, &doc, 1, two_deputies_then_minister()),
        409,
        "conflict",
    );
    assert_eq!(o.app.db.snapshot(), before);
    // The new version starts fresh: deputy1 must approve again.
    let fresh: Value = start_route(&o, &doc, 2, two_deputies_then_minister())
        .json()
        .unwrap();
    let fresh = fresh["id"].as_str().unwrap().to_owned();
    assert_eq!(
        decide(&o, "deputy1", &fresh, (0, 0), "approve", None, None).status(),
        201
    );
    let rejected = decide(
        &o,
        "deputy2",
        &fresh,
        (0, 1),
        "reject",
        Some("Kerak emas"),
        None,
    );
    assert_eq!(rejected.status(), 201);
    assert_eq!(state_of(&o, &doc), "aborted");
}

fn a_substitute_decides_with_their_own_key(backend: Backend) {
    let Some(o) = office(backend) else { return };
    let doc = draft_order(&o);
    let route: Value = start_route(&o, &doc, 1, two_deputies_then_minister())
        .json()
        .unwrap();
    let route_id = route["id"].as_str().unwrap().to_owned();
    // Without a substitution the assistant cannot act for deputy1.
    assert_error(
        decide(
            &o,
            "assistant",
            &route_id,
            (0, 0),
            "approve",
            None,
            Some("deputy1"),
        ),
        403,
        "forbidden",
    );
    let now = chrono::Utc::now();
    let resp = o.app.http.post(o.app.url("/api/v1/substitutions")).bearer_auth(o.token("deputy1"))
        .json(&json!({"substitute": "assistant", "starts_at": (now - chrono::Duration::hours(1)).to_rfc3339(), "ends_at": (now + chrono::Duration::days(3)).to_rfc3339(), "kinds": ["order"]}))
        .send().unwrap();
    assert_eq!(resp.status(), 201);
    let r = decide(
        &o,
        "assistant",
        &route_id,
        (0, 0),
        "approve",
        None,
        Some("deputy1"),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let v: Value = r.json().unwrap();
    assert!(v["decision"]["on_behalf_of"].is_string());
    // The statement names both: the signer is the assistant, on behalf of deputy1.
    let sigs: Value = o
        .app
        .get(
            &o.registrar,
            &format!("/api/v1/documents/{doc}/versions/1/signatures"),
        )
        .json()
        .unwrap();
    let statement = sigs[0]["statement"].as_str().unwrap();
    assert!(
        statement.contains("signer: assistant\n") && statement.contains("on-behalf-of: deputy1\n"),
        "{statement}"
    );
}

/// Adds a user with a fresh key pair made here (the private key stays in
/// the test) and the given department.
pub(crate) fn person(o: &mut Office, login: &str, role: Role, department: &str) {
    let token = o.app.user("MINFIN", login, &[role]);
    o.app
        .db
        .exec(&format!(
            "UPDATE users SET department = '{}' WHERE login = '{login}'",
            department.replace('\'', "''")
        ))
        .unwrap();
    let key = PrivateKey::generate(&mut rand::rngs::OsRng);
    let resp = o
        .app
        .http
        .post(o.app.url(&format!("/api/v1/users/{login}/keys")))
        .bearer_auth(&o.registrar)
        .json(&json!({"public_key": key.public_key().to_spki_pem()}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    o.people.push((login.to_owned(), token, key));
}

pub(crate) fn signed_and_registered_order(o: &Office) -> String {
    signed_and_registered_order_in(o, "01-07")
}

/// An order approved, signed and registered in the journal `code` (made here).
fn signed_and_registered_order_in(o: &Office, code: &str) -> String {
    let doc = draft_order(o);
    let route: Value = start_route(o, &doc, 1, two_deputies_then_minister())
        .json()
        .unwrap();
    let r = route["id"].as_str().unwrap().to_owned();
    assert_eq!(
        decide(o, "deputy1", &r, (0, 0), "approve", None, None).status(),
        201
    );
    assert_eq!(
        decide(o, "deputy2", &r, (0, 1), "approve", None, None).status(),
        201
    );
    assert_eq!(
        decide(o, "minister", &r, (1, 0), "sign", None, None).status(),
        201
    );
    let j = o
        .app
        .http
        .post(o.app.url("/api/v1/journals"))
        .bearer_auth(&o.registrar)
        .json(&json!({"code": code, "name": format!("Buyruqlar {code}"), "kinds": ["order"]}))
        .send()
        .unwrap();
    assert_eq!(j.status(), 201);
    let reg = o
        .app
        .http
        .post(o.app.url(&format!("/api/v1/documents/{doc}/register")))
        .bearer_auth(&o.registrar)
        .json(&json!({"journal": code}))
        .send()
        .unwrap();
    assert_eq!(reg.status(), 201);
    doc
}

/// Signs and posts a resolution action; returns the response.
pub(crate) fn act(
    o: &Office,
    login: &str,
    resolution: &str,
    mut body: Value,
) -> reqwest::blocking::Response {
    let key = o.key(login);
    body["key_id"] = json!(key.public_key().fingerprint());
    let resp = o
        .app
        .http
        .post(
            o.app
                .url(&format!("/api/v1/resolutions/{resolution}/statement")),
        )
        .bearer_auth(o.token(login))
        .json(&body)
        .send()
        .unwrap();
    if resp.status() != 200 {
        return resp;
    }
    let statement = resp.text().unwrap();
    body["statement"] = json!(statement);
    body["signature"] = json!(key.sign(statement.as_bytes()).to_base64());
    o.app
        .http
        .post(
            o.app
                .url(&format!("/api/v1/resolutions/{resolution}/actions")),
        )
        .bearer_auth(o.token(login))
        .json(&body)
        .send()
        .unwrap()
}

pub(crate) fn inbox(o: &Office, login: &str) -> Vec<Value> {
    let v: Value = o.app.get(o.token(login), "/api/v1/inbox").json().unwrap();
    v.as_array().unwrap().clone()
}

fn resolution_reports_and_control_of_execution(backend: Backend) {
    let Some(mut o) = office(backend) else { return };
    person(&mut o, "dept1", Role::Executor, "Byudjet boshqarmasi");
    person(&mut o, "dept2", Role::Executor, "Moliya departamenti");
    person(&mut o, "controller", Role::Registrar, "Nazorat bo'limi");
    let doc = signed_and_registered_order(&o);
    let now = chrono::Utc::now();
    let at = |days: i64| (now + chrono::Duration::days(days)).to_rfc3339();
    let body = json!({
        "instruction": "Ijro etilsin. Byudjet loyihasini 3 kun ichida tayyorlang.",
        "deadline": at(5),
        "controller": "controller",
        "executors": [
            {"login": "dept1", "responsible": true, "deadline": at(3)},
            {"login": "dept2", "deadline": at(3)}
        ],
        "author": "minister"
    });
    // The assistant drafts for the minister; it is not in effect until signed.
    let resp = o
        .app
        .http
        .post(o.app.url(&format!("/api/v1/documents/{doc}/resolutions")))
        .bearer_auth(&o.registrar)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
    let res: Value = resp.json().unwrap();
    let rid = res["id"].as_str().unwrap().to_owned();
    assert_eq!(res["state"], "draft");
    assert!(inbox(&o, "dept1").is_empty(), "a draft assigns nothing");
    assert!(inbox(&o, "minister")
        .iter()
        .any(|i| i["kind"] == "resolution-to-sign"));
    let before = o.app.db.snapshot();
    assert_error(
        act(&o, "dept1", &rid, json!({"action": "sign"})),
        403,
        "forbidden",
    );
    assert_error(
        act(
            &o,
            "dept1",
            &rid,
            json!({"action": "report", "text": "tayyor"}),
        ),
        409,
        "conflict",
    );
    assert_eq!(o.app.db.snapshot(), before);
    let signed = act(&o, "minister", &rid, json!({"action": "sign"}));
    assert_eq!(signed.status(), 201, "{}", signed.text().unwrap());
    assert_eq!(signed.json::<Value>().unwrap()["state"], "active");

    let items = inbox(&o, "dept1");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "assignment");
    assert_eq!(items[0]["overdue"], false);
    assert_eq!(act(&o, "dept1", &rid, json!({"action": "report", "text": "Loyiha tayyor", "attachments": [{"document": doc, "version": 1}]})).status(), 201);
    assert_eq!(
        act(
            &o,
            "dept2",
            &rid,
            json!({"action": "report", "text": "Hisob-kitoblar ilova qilindi"})
        )
        .status(),
        201
    );
    let to_accept: Vec<Value> = inbox(&o, "controller")
        .into_iter()
        .filter(|i| i["kind"] == "report-to-accept")
        .collect();
    assert_eq!(to_accept.len(), 2);
    let before = o.app.db.snapshot();
    assert_error(
        act(
            &o,
            "dept2",
            &rid,
            json!({"action": "accept", "executor": "dept1"}),
        ),
        403,
        "forbidden",
    );
    assert_eq!(o.app.db.snapshot(), before);
    assert_eq!(
        act(
            &o,
            "controller",
            &rid,
            json!({"action": "accept", "executor": "dept2"})
        )
        .status(),
        201
    );
    assert_error(
        act(
            &o,
            "controller",
            &rid,
            json!({"action": "accept", "executor": "dept2"}),
        ),
        409,
        "conflict",
    );
    assert_eq!(
        act(
            &o,
            "controller",
            &rid,
            json!({"action": "return", "executor": "dept1", "comment": "Jadvalni qo'shing"})
        )
        .status(),
        201
    );
    assert_eq!(inbox(&o, "dept1")[0]["kind"], "assignment");
    // More time is asked and granted.
    let ext = act(
        &o,
        "dept1",
        &rid,
        json!({"action": "request-extension", "deadline": at(4), "comment": "Ma'lumot kutilmoqda"}),
    );
    assert_eq!(ext.status(), 201, "{}", ext.text().unwrap());
    assert!(inbox(&o, "controller")
        .iter()
        .any(|i| i["kind"] == "extension-to-decide"));
    assert_eq!(
        act(
            &o,
            "minister",
            &rid,
            json!({"action": "approve-extension", "executor": "dept1"})
        )
        .status(),
        201
    );
    assert_eq!(
        act(
            &o,
            "dept1",
            &rid,
            json!({"action": "report", "text": "Jadval qo'shildi"})
        )
        .status(),
        201
    );
    let done = act(
        &o,
        "controller",
        &rid,
        json!({"action": "accept", "executor": "dept1"}),
    );
    assert_eq!(done.status(), 201);
    let done: Value = done.json().unwrap();
    assert_eq!(done["state"], "executed");
    assert_eq!(done["reports"].as_array().unwrap().len(), 3);

    let range = format!("from={}&to={}", urlencode(&at(-1)), urlencode(&at(30)));
    let report: Value = o
        .app
        .get(
            o.token("minister"),
            &format!("/api/v1/reports/execution?{range}"),
        )
        .json()
        .unwrap();
    let rows = report.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    assert!(
        rows.iter()
            .all(|r| r["executed_in_time"] == 1 && r["overdue"] == 0),
        "{report}"
    );
    let csv = o.app.get(
        o.token("minister"),
        &format!("/api/v1/reports/execution?{range}&format=csv"),
    );
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().unwrap();
    assert!(csv.starts_with("department,executor,"));
    assert!(csv.contains("Byudjet boshqarmasi,dept1,"), "{csv}");
    assert_error(
        o.app.get(
            o.token("dept1"),
            &format!("/api/v1/reports/execution?{range}"),
        ),
        403,
        "forbidden",
    );
    crate::ledger::assert_linear_chain(&o.app.db, o.app.db.count("ledger"));
}

pub(crate) fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

fn route_templates_and_sub_resolutions(backend: Backend) {
    let Some(mut o) = office(backend) else { return };
    let tmpl = |name: &str, kind: &str| {
        o.app
            .http
            .post(o.app.url("/api/v1/route-templates"))
            .bearer_auth(&o.registrar)
            .json(&json!({"name": name, "kind": kind, "stages": two_deputies_then_minister()}))
            .send()
            .unwrap()
    };
    assert_eq!(tmpl("Buyruq kelishuvi", "order").status(), 201);
    assert_error(tmpl("Buyruq kelishuvi", "order"), 409, "conflict");
    assert_error(
        o.app.http.post(o.app.url("/api/v1/route-templates")).bearer_auth(&o.registrar)
            .json(&json!({"name": "bad", "kind": "order", "stages": [{"rule": {"quorum": 3}, "steps": [{"assignee": "deputy1", "action": "approve"}]}]})).send().unwrap(),
        422,
        "unprocessable",
    );
    let doc = draft_order(&o);
    let started = o
        .app
        .http
        .post(
            o.app
                .url(&format!("/api/v1/documents/{doc}/versions/1/route")),
        )
        .bearer_auth(&o.registrar)
        .json(&json!({"template": "Buyruq kelishuvi"}))
        .send()
        .unwrap();
    assert_eq!(started.status(), 201);
    let route: Value = started.json().unwrap();
    let active: Vec<Value> = inbox(&o, "deputy1");
    assert!(
        active
            .iter()
            .any(|i| i["kind"] == "route-step" && i["id"] == route["id"]),
        "{active:?}"
    );

    // A sub-resolution stays within its executor's own deadline.
    person(&mut o, "head2", Role::Executor, "Byudjet boshqarmasi");
    person(&mut o, "clerk", Role::Executor, "Byudjet boshqarmasi");
    person(&mut o, "control", Role::Registrar, "Nazorat");
    let registered = signed_and_registered_order_in(&o, "02-01");
    let now = chrono::Utc::now();
    let at = |days: i64| (now + chrono::Duration::days(days)).to_rfc3339();
    let res: Value = o
        .app
        .http
        .post(
            o.app
                .url(&format!("/api/v1/documents/{registered}/resolutions")),
        )
        .bearer_auth(o.token("minister"))
        .json(
            &json!({"instruction": "Ijro uchun", "deadline": at(10), "controller": "control",
                      "executors": [{"login": "head2", "responsible": true, "deadline": at(5)}]}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    let rid = res["id"].as_str().unwrap().to_owned();
    assert_eq!(
        act(&o, "minister", &rid, json!({"action": "sign"})).status(),
        201
    );
    let sub = |deadline: String| {
        o.app.http.post(o.app.url(&format!("/api/v1/documents/{registered}/resolutions"))).bearer_auth(o.token("head2"))
            .json(&json!({"instruction": "Tayyorlang", "deadline": deadline.clone(), "controller": "head2",
                          "executors": [{"login": "clerk", "responsible": true, "deadline": deadline}], "parent": rid}))
            .send().unwrap()
    };
    let before = o.app.db.snapshot();
    assert_error(sub(at(7)), 422, "unprocessable");
    assert_eq!(o.app.db.snapshot(), before);
    let child = sub(at(4));
    assert_eq!(child.status(), 201, "{}", child.text().unwrap());
}

/// Every event the API takes directly, from every state the test can
/// reach, against the rules' own transition table; illegal moves answer
/// 409 and record nothing.
fn documents_walk_the_state_table_through_the_api(backend: Backend) {
    use docflow::domain::{DocumentEvent, DocumentState};
    let Some(o) = office(backend) else { return };
    let post = |doc: &str, event: &str| {
        o.app
            .http
            .post(o.app.url(&format!("/api/v1/documents/{doc}/transition")))
            .bearer_auth(&o.registrar)
            .json(&json!({"event": event}))
            .send()
            .unwrap()
    };
    let table = docflow_flow::document::table();
    let expect = |state: &str, event: DocumentEvent| -> Option<String> {
        let s: DocumentState = state.parse().unwrap();
        table
            .iter()
            .find(|(a, e, _)| *a == s && *e == event)
            .map(|(_, _, n)| n.as_str().to_owned())
    };
    // Documents in several states: draft, on approval, signed, registered.
    let draft = draft_order(&o);
    let on_approval = draft_order(&o);
    assert_eq!(
        start_route(&o, &on_approval, 1, two_deputies_then_minister()).status(),
        201
    );
    let registered = signed_and_registered_order(&o);
    for doc in [&draft, &on_approval, &registered] {
        for (name, event) in [("send", DocumentEvent::Send), ("file", DocumentEvent::File)] {
            let state = state_of(&o, doc);
            let before = o.app.db.snapshot();
            let resp = post(doc, name);
            match expect(&state, event) {
                Some(next) => {
                    assert_eq!(resp.status(), 200, "{name} from {state}");
                    assert_eq!(state_of(&o, doc), next);
                }
                None => {
                    let body = assert_error(resp, 409, "conflict");
                    assert!(
                        body["message"].as_str().unwrap().contains("is not allowed"),
                        "{body}"
                    );
                    assert_eq!(
                        o.app.db.snapshot(),
                        before,
                        "{name} from {state} left a trace"
                    );
                }
            }
        }
    }
    assert_eq!(state_of(&o, &registered), "filed");
    // Abort withdraws a running route; a final state refuses everything.
    assert_eq!(post(&on_approval, "abort").status(), 200);
    let routes: Value = o
        .app
        .get(
            &o.registrar,
            &format!("/api/v1/documents/{on_approval}/routes"),
        )
        .json()
        .unwrap();
    assert_eq!(routes[0]["state"], "cancelled");
    assert_error(post(&on_approval, "abort"), 409, "conflict");
    assert_error(post(&registered, "abort"), 409, "conflict");
    assert_error(post(&draft, "register"), 422, "unprocessable");
}

fn evidence_bundle_verifies_offline(backend: Backend) {
    let Some(o) = office(backend) else { return };
    let doc = signed_and_registered_order(&o);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let bundle = o
        .app
        .get(
            &o.registrar,
            &format!("/api/v1/documents/{doc}/versions/1/evidence"),
        )
        .text()
        .unwrap();
    std::fs::write(path("evidence.json"), &bundle).unwrap();
    std::fs::write(path("order.pdf"), pdf("order-v1.pdf")).unwrap();
    save_log_key(&o, dir.path());
    let verify_with = |bin: &std::path::Path, file: &str, evidence: &str, log_key: &str| {
        std::process::Command::new(bin)
            .args([file, "--evidence", evidence, "--log-key", log_key])
            .arg("--trust-anchors")
            .arg(example("ca/root-ca.crt"))
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let docflow = std::path::PathBuf::from(env!("CARGO_BIN_EXE_docflow"));
    let run = |file: &str, evidence: &str, log_key: &str| {
        docflow_verify(
            dir.path(),
            &[file, "--evidence", evidence, "--log-key", log_key],
        )
    };
    let (code, out) = run("order.pdf", "evidence.json", "log.pub");
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VALID: document"), "{out}");
    for who in [
        "approve: deputy1",
        "sign: minister",
        "content: the file hashes to the signed SHA-256",
    ] {
        assert!(out.contains(who), "missing {who:?}: {out}");
    }
    assert!(
        out.contains("route ") && out.contains("(approved)"),
        "{out}"
    );
    // One changed byte of the file.
    let mut changed = pdf("order-v1.pdf");
    changed[100] ^= 1;
    std::fs::write(path("changed.pdf"), &changed).unwrap();
    let (code, out) = run("changed.pdf", "evidence.json", "log.pub");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CHANGED"), "{out}");
    // Forged evidence: each edit is INVALID and names what is wrong.
    let parsed: Value = serde_json::from_str(&bundle).unwrap();
    let forge = |edit: &dyn Fn(&mut Value), expect: &str| {
        let mut forged = parsed.clone();
        edit(&mut forged);
        std::fs::write(path("forged.json"), forged.to_string()).unwrap();
        let (code, out) = run("order.pdf", "forged.json", "log.pub");
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(expect), "missing {expect:?}: {out}");
        assert!(!out.contains("Дилноза"), "no name is shown unproven: {out}");
    };
    let rewrite_entry = |v: &mut Value, from: &str, to: &str| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        for r in v["entries"].as_array_mut().unwrap() {
            let text = r.as_str().unwrap().to_owned();
            let line = text.lines().nth(1).unwrap().strip_prefix("extra ").unwrap();
            let entry = String::from_utf8(b64.decode(line).unwrap()).unwrap();
            if entry.contains(from) {
                let forged = b64.encode(entry.replacen(from, to, 1));
                *r = json!(text.replacen(line, &forged, 1));
                return;
            }
        }
        panic!("no entry holds {from:?}");
    };
    forge(
        &|v| rewrite_entry(v, "purpose: approve\\n", "purpose: reject\\n"),
        "does not verify with the log key",
    );
    forge(
        &|v| {
            v["entries"].as_array_mut().unwrap().remove(2);
        },
        "the history is not complete",
    );
    forge(
        &|v| {
            let first = v["entries"][1].clone();
            v["entries"].as_array_mut().unwrap().insert(1, first);
        },
        "the history is not complete",
    );
    forge(&|v| v["version"] = json!(7), "records no version 7");
    forge(
        &|v| {
            v["context"].as_array_mut().unwrap().pop();
        },
        "not in the evidence",
    );
    // Another log's key: no receipt verifies.
    let other = docflow::core::checkpoint::NoteSigner::new(
        "docflow.test/log",
        ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]),
    )
    .unwrap();
    std::fs::write(path("other.pub"), other.verifier().to_string()).unwrap();
    let (code, out) = run("order.pdf", "evidence.json", "other.pub");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not verify with the log key"), "{out}");
    // Unusable input.
    std::fs::write(path("garbage.json"), "{not json").unwrap();
    assert_eq!(run("order.pdf", "garbage.json", "log.pub").0, 2);
    assert_eq!(run("missing.pdf", "evidence.json", "log.pub").0, 2);
    // The standalone verifier gives the same answer.
    let standalone = docflow.with_file_name("docflow-verify");
    if standalone.exists() {
        let out = verify_with(&standalone, "order.pdf", "evidence.json", "log.pub");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let out = verify_with(&standalone, "changed.pdf", "evidence.json", "log.pub");
        assert_eq!(out.status.code(), Some(1));
    } else {
        eprintln!("!!!! docflow-verify is not built next to docflow: run the workspace tests (scripts/test) to check it");
    }
}

fn stamped_pdf_verifies_offline_and_shows_changes(backend: Backend) {
    let Some(o) = office(backend) else { return };
    let doc = signed_and_registered_order(&o);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let resp = o.app.get(
        &o.registrar,
        &format!("/api/v1/documents/{doc}/versions/1/stamped.pdf"),
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let stamped = resp.bytes().unwrap().to_vec();
    let original = pdf("order-v1.pdf");
    assert!(
        stamped.starts_with(&original),
        "the original stays a byte-exact prefix"
    );
    std::fs::write(path("stamped.pdf"), &stamped).unwrap();
    save_log_key(&o, dir.path());
    let verify = |file: &str| docflow_verify(dir.path(), &[file, "--log-key", "log.pub"]);
    let (code, out) = verify("stamped.pdf");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("VALID") && out.contains("sign: minister"),
        "{out}"
    );
    let tool = |name: &str| {
        std::process::Command::new("which")
            .arg(name)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if tool("qpdf") {
        let out = std::process::Command::new("qpdf")
            .arg("--check")
            .arg(path("stamped.pdf"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    if tool("pdftotext") {
        let out = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(path("stamped.pdf"))
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Келишув варақаси") && text.contains("Дилноза Юсупова"),
            "{text}"
        );
    }
    // A printed copy: the QR code on the rendered stamp checks with the log key.
    if tool("pdftoppm") && tool("zbarimg") {
        let out = std::process::Command::new("pdftoppm")
            .args(["-r", "200", "-png", "-f", "1", "-l", "1"])
            .arg(path("stamped.pdf"))
            .arg(path("page"))
            .output()
            .unwrap();
        assert!(out.status.success());
        let png = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "png"))
            .unwrap();
        let out = std::process::Command::new("zbarimg")
            .args(["-q", "--raw"])
            .arg(&png)
            .output()
            .unwrap();
        let qr = String::from_utf8_lossy(&out.stdout)
            .trim_end_matches('\n')
            .to_owned();
        assert!(qr.starts_with("docflow-qr/1\n"), "{qr:?}");
        let check = |text: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_docflow"))
                .args(["verify", "--qr", text, "--log-key", "log.pub"])
                .current_dir(dir.path())
                .env_remove("DOCFLOW_LOG_KEY")
                .output()
                .unwrap()
        };
        let ok = check(&qr);
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );
        assert!(String::from_utf8_lossy(&ok.stdout).contains(&doc));
        let forged = check(&qr.replacen("\n1\n", "\n2\n", 1));
        assert_eq!(forged.status.code(), Some(1));
    }
    // One flipped byte in the original part.
    let mut flipped = stamped.clone();
    flipped[200] ^= 0x01;
    std::fs::write(path("flipped.pdf"), &flipped).unwrap();
    let (code, out) = verify("flipped.pdf");
    assert_eq!(code, 1, "{out}");
    // A later update that replaces page 1's content.
    let parsed = lopdf::Document::load_mem(&stamped).unwrap();
    let first = *parsed.get_pages().values().next().unwrap();
    let mut inc = lopdf::IncrementalDocument::create_from(stamped.clone(), parsed);
    let content = inc.new_document.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"BT ET".to_vec(),
    ));
    inc.opt_clone_object_to_new_document(first).unwrap();
    inc.new_document
        .get_dictionary_mut(first)
        .unwrap()
        .set("Contents", content);
    let mut forged = Vec::new();
    inc.save_to(&mut forged).unwrap();
    std::fs::write(path("forged.pdf"), &forged).unwrap();
    let (code, out) = verify("forged.pdf");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("modified after signing"), "{out}");
}

/// Saves the log's public key, as the API serves it, to `dir/log.pub`.
pub(crate) fn save_log_key(o: &Office, dir: &std::path::Path) {
    let key = o
        .app
        .http
        .get(o.app.url("/api/v1/ledger/key"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    std::fs::write(dir.join("log.pub"), key).unwrap();
}

/// Runs `docflow verify ARGS --trust-anchors <the example root>` in `dir`:
/// the exit code and what it printed.
pub(crate) fn docflow_verify(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_docflow"))
        .arg("verify")
        .args(args)
        .arg("--trust-anchors")
        .arg(example("ca/root-ca.crt"))
        .current_dir(dir)
        .env_remove("DOCFLOW_LOG_KEY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The text of a PDF, by poppler's pdftotext (required under CI).
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext failed");
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: pdftotext is not installed; stamp text not checked");
            None
        }
        Err(e) => panic!("pdftotext is required under CI: {e}"),
    }
}

fn stamp_language_is_set_per_organisation(backend: Backend) {
    let Some(mut o) = office(backend) else { return };
    person(&mut o, "dept1", Role::Executor, "Byudjet boshqarmasi");
    person(&mut o, "controller", Role::Registrar, "Nazorat bo'limi");
    let admin = o.app.user("MINFIN", "boss", &[Role::Admin]);
    let stranger = o.app.user("ADLIYA", "boss2", &[Role::Admin]);
    let doc = signed_and_registered_order(&o);
    let deadline = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let resp = o
        .app
        .http
        .post(o.app.url(&format!("/api/v1/documents/{doc}/resolutions")))
        .bearer_auth(&o.registrar)
        .json(&json!({
            "instruction": "Ijro etilsin: smeta loyihasini tayyorlang.",
            "deadline": deadline,
            "controller": "controller",
            "executors": [{"login": "dept1", "responsible": true, "deadline": deadline}],
            "author": "minister"
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
    assert_eq!(
        act(
            &o,
            "dept1",
            &rid,
            json!({"action": "report", "text": "Smeta tayyor"})
        )
        .status(),
        201
    );
    let stamped = || {
        let resp = o.app.get(
            &o.registrar,
            &format!("/api/v1/documents/{doc}/versions/1/stamped.pdf"),
        );
        assert_eq!(resp.status(), 200);
        resp.bytes().unwrap().to_vec()
    };
    let patch = |token: &str, body: Value| {
        o.app
            .http
            .patch(o.app.url("/api/v1/organisation"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap()
    };

    // The default is Uzbek in Cyrillic script.
    let org: Value = o
        .app
        .get(&o.registrar, "/api/v1/organisation")
        .json()
        .unwrap();
    assert_eq!(org["stamp_language"], "uz-Cyrl");
    assert_eq!(org["code"], "MINFIN");
    if let Some(text) = pdf_text(&stamped()) {
        for want in [
            "Келишув варақаси",
            "КЕЛИШИЛДИ",
            "ИМЗОЛАНДИ",
            "Резолюция",
            "Ijro etilsin: smeta loyihasini tayyorlang.",
            "масъул",
            "Smeta tayyor",
        ] {
            assert!(text.contains(want), "{want:?} missing from:\n{text}");
        }
    }

    // Refusals change nothing: wrong role, unknown language, unknown field.
    let before = o.app.db.snapshot();
    assert_error(
        patch(&o.registrar, json!({"stamp_language": "ru"})),
        403,
        "forbidden",
    );
    let resp = patch(&admin, json!({"stamp_language": "klingon"}));
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("stamp_language"),
        "{body}"
    );
    assert_eq!(
        patch(&admin, json!({"stamp_language": "ru", "colour": "red"})).status(),
        400
    );
    for (body, field) in [
        (json!({}), "settings"),
        (json!({"utc_offset": "+25:00"}), "utc_offset"),
        (json!({"utc_offset": "Asia/Tashkent"}), "utc_offset"),
        (
            json!({"stamp_language": "ru", "utc_offset": "5"}),
            "utc_offset",
        ),
    ] {
        let resp = patch(&admin, body.clone());
        assert_eq!(resp.status(), 422, "{body}");
        let err: Value = resp.json().unwrap();
        assert!(
            err["message"].as_str().unwrap().contains(field),
            "{body}: {err}"
        );
    }
    assert_eq!(o.app.db.snapshot(), before);

    // Each language in turn; another organisation's admin changes only theirs.
    for (tag, heading, approved, signed) in [
        ("ru", "Лист согласования", "СОГЛАСОВАНО", "ПОДПИСАНО"),
        ("uz-Latn", "Kelishuv varaqasi", "KELISHILDI", "IMZOLANDI"),
        ("en", "Approval sheet", "APPROVED", "SIGNED"),
    ] {
        let ledger_rows =
            |snap: Vec<(&str, i64)>| snap.into_iter().find(|t| t.0 == "ledger").map(|t| t.1);
        let before = ledger_rows(o.app.db.snapshot()).unwrap();
        let resp = patch(&admin, json!({"stamp_language": tag}));
        assert_eq!(resp.status(), 200);
        let after = ledger_rows(o.app.db.snapshot()).unwrap();
        assert_eq!(after, before + 1, "the change is one ledger entry");
        assert_eq!(resp.json::<Value>().unwrap()["stamp_language"], tag);
        let out = stamped();
        assert!(out.starts_with(&pdf("order-v1.pdf")));
        if let Some(text) = pdf_text(&out) {
            for want in [heading, approved, signed] {
                assert!(text.contains(want), "{tag}: {want:?} missing from:\n{text}");
            }
        }
    }
    let resp = patch(&stranger, json!({"stamp_language": "ru"}));
    assert_eq!(resp.status(), 200);
    let org: Value = o
        .app
        .get(&o.registrar, "/api/v1/organisation")
        .json()
        .unwrap();
    assert_eq!(org["stamp_language"], "en");

    // The stamped file in the last language still verifies.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stamped.pdf"), stamped()).unwrap();
    save_log_key(&o, dir.path());
    let (code, out) = docflow_verify(dir.path(), &["stamped.pdf", "--log-key", "log.pub"]);
    assert_eq!(code, 0, "{out}");
}
