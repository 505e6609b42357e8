//! HTTP API: thin handlers that parse, authorise and call a service function.
//! All routes are declared in [`routes`].

pub mod auth;
pub mod documents;
pub mod error;
pub mod flow;
pub mod inbox;
pub mod ledger;
pub mod limits;
pub mod openapi;
pub mod organisation;
pub mod registration;
pub mod resolutions;
pub mod signatures;
pub mod substitutions;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpRequest, HttpResponse, HttpServer};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::DocumentKinds;
use crate::service::Pool;
use error::{blocking, ApiError};

/// An RFC 3339 time from a request field; `field` names it in the error.
pub fn parse_time(
    field: &str,
    value: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    value
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| ApiError::BadRequest(format!("{field}: not an RFC 3339 time: {e}")))
        })
        .transpose()
}

/// What every handler shares.
pub struct AppState {
    pub pool: Pool,
    /// Signs a checkpoint after every write.
    pub log: std::sync::Arc<docflow_core::checkpoint::NoteSigner>,
    /// Runs the units of work that append to the ledger, grouped.
    pub appender: crate::service::appender::Appender,
    /// Trust anchors and CRLs for X.509 keys.
    pub trust: std::sync::Arc<crate::service::keys::TrustStore>,
    pub kinds: DocumentKinds,
    pub max_upload_bytes: u64,
    pub backend: &'static str,
}

/// A path and the methods it takes: `resource!("/x", get => h, post => g)`.
/// Any other method answers 405 with `Allow` (see [`allowing`]).
macro_rules! resource {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {
        allowing(
            web::resource($path)$(.route(web::$method().to($handler)))+,
            &[$(stringify!($method)),+],
        )
    };
}

/// The resource, answering a method it does not take with 405, an `Allow`
/// header listing `methods` and the usual JSON error body.
fn allowing(resource: actix_web::Resource, methods: &[&str]) -> actix_web::Resource {
    let allow = methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    resource.default_service(web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                allow,
            })
        }
    }))
}

/// Every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use documents as docs;
    cfg.service(resource!("/healthz", get => healthz))
        .service(resource!("/api/openapi.json", get => openapi::serve))
        .service(
            web::scope("/api/v1")
                .service(resource!("/me", get => docs::me))
                .service(resource!("/organisation",
                    get => organisation::get, patch => organisation::update))
                .service(resource!("/document-kinds", get => docs::kinds))
                .service(resource!("/documents", post => docs::create, get => docs::list))
                .service(resource!("/documents/{id}", get => docs::get))
                .service(resource!("/documents/{id}/versions",
                    post => docs::add_version, get => docs::versions))
                .service(resource!("/documents/{id}/versions/{n}/content", get => docs::content))
                .service(resource!("/documents/{id}/history", get => ledger::history))
                .service(
                    resource!("/documents/{id}/versions/{n}/evidence", get => ledger::evidence),
                )
                .service(resource!("/documents/{id}/versions/{n}/stamped.pdf",
                    get => ledger::stamped))
                .service(resource!("/documents/{id}/versions/{n}/statement",
                    get => signatures::statement))
                .service(resource!("/documents/{id}/versions/{n}/signatures",
                    post => signatures::sign, get => signatures::signatures))
                .service(resource!("/users/{login}/keys",
                    post => signatures::add_key, get => signatures::list_keys))
                .service(resource!("/keys/{id}/revoke", post => signatures::revoke_key))
                .service(resource!("/auth/challenge", post => signatures::challenge))
                .service(resource!("/auth/token", post => signatures::token))
                .service(resource!("/documents/{id}/versions/{n}/route", post => flow::start))
                .service(resource!("/documents/{id}/routes", get => flow::routes_of_document))
                .service(resource!("/documents/{id}/transition", post => flow::transition))
                .service(resource!("/routes/{id}", get => flow::get))
                .service(resource!("/routes/{id}/steps/{stage}/{step}/statement",
                    get => flow::decision_statement))
                .service(resource!("/routes/{id}/steps/{stage}/{step}/decision",
                    post => flow::decide))
                .service(resource!("/documents/{id}/resolutions",
                    post => resolutions::draft, get => resolutions::of_document))
                .service(resource!("/resolutions/{id}", get => resolutions::get))
                .service(resource!("/resolutions/{id}/statement", post => resolutions::statement))
                .service(resource!("/resolutions/{id}/actions", post => resolutions::act))
                .service(resource!("/inbox", get => inbox::inbox))
                .service(resource!("/reports/execution", get => inbox::execution))
                .service(resource!("/route-templates",
                    post => flow::add_template, get => flow::templates))
                .service(resource!("/calendar/{day}", put => flow::set_calendar_day))
                .service(resource!("/substitutions",
                    post => substitutions::create, get => substitutions::list))
                .service(resource!("/journals",
                    post => registration::add_journal, get => registration::journals))
                .service(resource!("/documents/{id}/register", post => registration::register))
                .service(resource!("/documents/{id}/registration",
                    get => registration::registration))
                .service(resource!("/ledger/checkpoint", get => ledger::checkpoint))
                .service(resource!("/ledger/checkpoints", get => ledger::checkpoints))
                .service(resource!("/ledger/key", get => ledger::key))
                .service(resource!("/ledger/leaves", get => ledger::leaves))
                .service(resource!("/ledger/entries/{seq}", get => ledger::entry))
                .service(resource!("/ledger/proof/inclusion", get => ledger::inclusion))
                .service(resource!("/ledger/proof/consistency", get => ledger::consistency)),
        );
}

/// Integer path parameters, and what a value must be: a bad one is named
/// in the answer instead of serde's words (a test checks that this covers
/// every integer path parameter of the OpenAPI document).
const PATH_INTEGERS: &[(&str, &str)] = &[
    ("n", "version must be a positive integer"),
    (
        "stage",
        "stage must be a non-negative integer (stages count from 0)",
    ),
    (
        "step",
        "step must be a non-negative integer (steps count from 0)",
    ),
    ("seq", "seq must be a positive integer"),
];

/// Integer query parameters (likewise checked against the document).
const QUERY_INTEGERS: &[&str] = &[
    "limit",
    "offset",
    "seq",
    "tree_size",
    "from",
    "to",
    "start",
    "end",
    "after",
];

/// What is wrong with a request's path: the first integer parameter that
/// is not one.
fn path_message(req: &HttpRequest) -> String {
    req.match_info()
        .iter()
        .find_map(|(name, value)| {
            PATH_INTEGERS
                .iter()
                .find(|(n, _)| *n == name)
                .filter(|_| value.parse::<i64>().is_err())
                .map(|(_, message)| (*message).to_owned())
        })
        .unwrap_or_else(|| "bad path parameter".to_owned())
}

/// What is wrong with a request's query string, in its parameters' names.
fn query_message(req: &HttpRequest, e: &actix_web::error::QueryPayloadError) -> String {
    let actix_web::error::QueryPayloadError::Deserialize(de) = e else {
        return "bad query string".to_owned();
    };
    let text = de.to_string();
    // serde names unknown, missing and repeated fields itself; a value of
    // the wrong type it does not name, so find the parameter here.
    if text.contains("field `") {
        return format!("bad query parameter: {}", plain_serde_message(&text));
    }
    let bad_integer = url::form_urlencoded::parse(req.query_string().as_bytes()).find(|(k, v)| {
        QUERY_INTEGERS.contains(&k.as_ref())
            && v.parse::<i64>().is_err()
            && v.parse::<u64>().is_err()
    });
    match bad_integer {
        Some((name, _)) => format!("{name} must be a non-negative integer"),
        None => format!("bad query parameter: {}", plain_serde_message(&text)),
    }
}

/// A serde message without Rust's type names: `expected u64` becomes
/// `expected an integer`, `expected struct DocumentMeta` `expected an
/// object`.
pub fn plain_serde_message(text: &str) -> String {
    const INTEGERS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("expected ") {
        let (head, tail) = rest.split_at(i + "expected ".len());
        out.push_str(head);
        let word_end = |s: &str| {
            s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(s.len())
        };
        let w = word_end(tail);
        let word = &tail[..w];
        if INTEGERS.contains(&word) {
            out.push_str("an integer");
            rest = &tail[w..];
        } else if word == "f32" || word == "f64" {
            out.push_str("a number");
            rest = &tail[w..];
        } else if let Some(after) = tail
            .strip_prefix("struct ")
            .or_else(|| tail.strip_prefix("tuple struct "))
        {
            out.push_str("an object");
            rest = &after[word_end(after)..];
        } else if let Some(after) = tail.strip_prefix("enum ") {
            out.push_str("one of the documented values");
            rest = &after[word_end(after)..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Errors of actix's own extractors, in the API's error format: 400 for
/// input that is malformed or of the wrong type, naming the parameter.
fn extractor_errors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|e, req| ApiError::BadRequest(query_message(req, &e)).into()),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|_, req| ApiError::BadRequest(path_message(req)).into()),
    )
    .app_data(
        web::JsonConfig::default()
            .limit(1 << 20)
            .error_handler(|e, _| {
                use actix_web::error::JsonPayloadError as J;
                match e {
                    J::ContentType => ApiError::UnsupportedMediaType(
                        "expected Content-Type: application/json".into(),
                    ),
                    J::Overflow { .. } | J::OverflowKnownLength { .. } => {
                        ApiError::PayloadTooLarge("the JSON body is too large".into())
                    }
                    J::Deserialize(de) => ApiError::BadRequest(format!(
                        "malformed JSON: {}",
                        plain_serde_message(&de.to_string())
                    )),
                    other => ApiError::BadRequest(format!("malformed JSON: {other}")),
                }
                .into()
            }),
    );
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such endpoint".into()))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

/// Liveness and readiness: answers 200 only if the database answers.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "service",
    responses((status = 200, description = "The service and its database answer", body = Health), (status = 503, body = error::ErrorBody)))]
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backend = state.backend;
    blocking(state.pool.clone(), crate::service::ping)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        database: backend,
    }))
}

/// Builds the server on a bound listener (tests bind port 0).
pub fn server(state: AppState, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
    // Per node, shared by its workers.
    let limits = web::Data::new(limits::RateLimits::default());
    let decoys = web::Data::new(crate::service::signatures::LoginDecoys::new(&state.log));
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(limits.clone())
            .app_data(decoys.clone())
            .configure(extractor_errors)
            .configure(routes)
            .default_service(web::to(not_found))
            .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
    })
    .workers(workers.max(1))
    .listen(listener)?
    .run();
    Ok(server)
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    use super::*;

    /// Every integer parameter of the API is one the error handlers name.
    #[test]
    fn every_integer_parameter_is_named_in_errors() {
        let doc = serde_json::to_value(openapi::ApiDoc::openapi()).unwrap();
        let mut seen = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let ty = &p["schema"]["type"];
                    let integer = ty == "integer"
                        || ty
                            .as_array()
                            .is_some_and(|t| t.iter().any(|t| t == "integer"));
                    if !integer {
                        continue;
                    }
                    seen += 1;
                    let name = p["name"].as_str().unwrap();
                    match p["in"].as_str().unwrap() {
                        "path" => assert!(
                            PATH_INTEGERS.iter().any(|(n, _)| *n == name),
                            "path parameter {name}"
                        ),
                        _ => assert!(QUERY_INTEGERS.contains(&name), "query parameter {name}"),
                    }
                }
            }
        }
        assert!(seen > 10, "{seen}");
    }

    #[test]
    fn serde_messages_lose_rust_type_names() {
        assert_eq!(
            plain_serde_message("invalid type: string \"x\", expected u64 at line 1 column 9"),
            "invalid type: string \"x\", expected an integer at line 1 column 9"
        );
        assert_eq!(
            plain_serde_message("invalid type: sequence, expected struct DocumentMeta"),
            "invalid type: sequence, expected an object"
        );
        assert_eq!(
            plain_serde_message("invalid type: integer `5`, expected a string"),
            "invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            plain_serde_message("expected f64, expected enum Action"),
            "expected a number, expected one of the documented values"
        );
    }
}
