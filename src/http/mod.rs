//! HTTP API: thin handlers that parse, authorise and call a service function.
//! All routes are declared in [`routes`].

pub mod auth;
pub mod documents;
pub mod error;
pub mod flow;
pub mod inbox;
pub mod ledger;
pub mod openapi;
pub mod organisation;
pub mod registration;
pub mod resolutions;
pub mod signatures;
pub mod substitutions;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpResponse, HttpServer};
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

/// Every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/api/openapi.json", web::get().to(openapi::serve))
        .service(
            web::scope("/api/v1")
                .route("/me", web::get().to(documents::me))
                .route("/organisation", web::get().to(organisation::get))
                .route("/organisation", web::patch().to(organisation::update))
                .route("/document-kinds", web::get().to(documents::kinds))
                .route("/documents", web::post().to(documents::create))
                .route("/documents", web::get().to(documents::list))
                .route("/documents/{id}", web::get().to(documents::get))
                .route(
                    "/documents/{id}/versions",
                    web::post().to(documents::add_version),
                )
                .route(
                    "/documents/{id}/versions",
                    web::get().to(documents::versions),
                )
                .route(
                    "/documents/{id}/versions/{n}/content",
                    web::get().to(documents::content),
                )
                .route("/documents/{id}/history", web::get().to(ledger::history))
                .route(
                    "/documents/{id}/versions/{n}/evidence",
                    web::get().to(ledger::evidence),
                )
                .route(
                    "/documents/{id}/versions/{n}/stamped.pdf",
                    web::get().to(ledger::stamped),
                )
                .route(
                    "/documents/{id}/versions/{n}/statement",
                    web::get().to(signatures::statement),
                )
                .route(
                    "/documents/{id}/versions/{n}/signatures",
                    web::post().to(signatures::sign),
                )
                .route(
                    "/documents/{id}/versions/{n}/signatures",
                    web::get().to(signatures::signatures),
                )
                .route("/users/{login}/keys", web::post().to(signatures::add_key))
                .route("/users/{login}/keys", web::get().to(signatures::list_keys))
                .route("/keys/{id}/revoke", web::post().to(signatures::revoke_key))
                .route("/auth/challenge", web::post().to(signatures::challenge))
                .route("/auth/token", web::post().to(signatures::token))
                .route(
                    "/documents/{id}/versions/{n}/route",
                    web::post().to(flow::start),
                )
                .route(
                    "/documents/{id}/routes",
                    web::get().to(flow::routes_of_document),
                )
                .route(
                    "/documents/{id}/transition",
                    web::post().to(flow::transition),
                )
                .route("/routes/{id}", web::get().to(flow::get))
                .route(
                    "/routes/{id}/steps/{stage}/{step}/statement",
                    web::get().to(flow::decision_statement),
                )
                .route(
                    "/routes/{id}/steps/{stage}/{step}/decision",
                    web::post().to(flow::decide),
                )
                .route(
                    "/documents/{id}/resolutions",
                    web::post().to(resolutions::draft),
                )
                .route(
                    "/documents/{id}/resolutions",
                    web::get().to(resolutions::of_document),
                )
                .route("/resolutions/{id}", web::get().to(resolutions::get))
                .route(
                    "/resolutions/{id}/statement",
                    web::post().to(resolutions::statement),
                )
                .route(
                    "/resolutions/{id}/actions",
                    web::post().to(resolutions::act),
                )
                .route("/inbox", web::get().to(inbox::inbox))
                .route("/reports/execution", web::get().to(inbox::execution))
                .route("/route-templates", web::post().to(flow::add_template))
                .route("/route-templates", web::get().to(flow::templates))
                .route("/calendar/{day}", web::put().to(flow::set_calendar_day))
                .route("/substitutions", web::post().to(substitutions::create))
                .route("/substitutions", web::get().to(substitutions::list))
                .route("/journals", web::post().to(registration::add_journal))
                .route("/journals", web::get().to(registration::journals))
                .route(
                    "/documents/{id}/register",
                    web::post().to(registration::register),
                )
                .route(
                    "/documents/{id}/registration",
                    web::get().to(registration::registration),
                )
                .route("/ledger/checkpoint", web::get().to(ledger::checkpoint))
                .route("/ledger/checkpoints", web::get().to(ledger::checkpoints))
                .route("/ledger/key", web::get().to(ledger::key))
                .route("/ledger/leaves", web::get().to(ledger::leaves))
                .route("/ledger/entries/{seq}", web::get().to(ledger::entry))
                .route("/ledger/proof/inclusion", web::get().to(ledger::inclusion))
                .route(
                    "/ledger/proof/consistency",
                    web::get().to(ledger::consistency),
                ),
        );
}

/// Errors of actix's own extractors, in the API's error format.
fn extractor_errors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| ApiError::BadRequest(format!("bad query parameter: {e}")).into()),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|e, _| ApiError::BadRequest(format!("bad path parameter: {e}")).into()),
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
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = error::ErrorBody)))]
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
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
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
