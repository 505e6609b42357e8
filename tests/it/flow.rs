//! Document flow: substitutions, routes, resolutions, inbox.

use docflow::domain::Role;
use serde_json::{json, Value};

use crate::harness::{assert_error, Backend, TestApp};

both_backends!(substitutions_are_recorded_and_scoped);

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
