//! The OpenAPI 3 document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Object, Ref, RefOr, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use super::{
    documents, error, flow, inbox, ledger, organisation, registration, resolutions, signatures,
    substitutions,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// What every error status means, as each response of that status says
/// unless its operation says more.
fn error_description(status: &str) -> Option<&'static str> {
    Some(match status {
        "400" => "Malformed input, or input of the wrong type; the message names the part",
        "401" => "No valid bearer token (or, at /auth/token, a signature that does not verify)",
        "403" => "The caller's roles or position do not allow this",
        "404" => "Not found, or not in the caller's organisation",
        "409" => "Conflicts with the current state (already done, superseded, replayed)",
        "413" => "The body or a part of it is larger than its limit",
        "415" => "The body has the wrong Content-Type",
        "422" => "Well-formed input that breaks a rule; the message says which",
        "429" => "Too many requests; try again after Retry-After seconds",
        "500" => "Internal error; the cause is in the server log, never in the answer",
        "503" => "The database does not answer",
        _ => return None,
    })
}

/// Every operation lists 500 (and the login endpoints 429 with
/// `Retry-After`) with the error body, and every response has a
/// description.
struct Responses;

impl Modify for Responses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = |status: &str| {
            ResponseBuilder::new()
                .description(error_description(status).unwrap_or_default())
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations: [&mut Option<Operation>; 8] = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for op in operations.into_iter().flatten() {
                let responses = &mut op.responses.responses;
                responses
                    .entry("500".to_owned())
                    .or_insert_with(|| RefOr::T(error("500")));
                for (status, response) in responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if response.description.is_empty() {
                        response.description =
                            error_description(status).unwrap_or("Success").to_owned();
                    }
                    if status == "429" {
                        let mut retry_after = Header::new(Object::with_type(Type::Integer));
                        retry_after.description =
                            Some("Seconds until a request may pass again".to_owned());
                        response
                            .headers
                            .insert("Retry-After".to_owned(), retry_after);
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "docflow",
        description = "Electronic document flow with digital signatures and a verifiable ledger."
    ),
    paths(
        super::healthz,
        documents::me,
        organisation::get,
        organisation::update,
        documents::kinds,
        documents::create,
        documents::list,
        documents::get,
        documents::add_version,
        documents::versions,
        documents::content,
        ledger::history,
        ledger::evidence,
        ledger::stamped,
        ledger::checkpoint,
        ledger::checkpoints,
        ledger::key,
        ledger::leaves,
        ledger::entry,
        ledger::inclusion,
        ledger::consistency,
        signatures::add_key,
        signatures::list_keys,
        signatures::revoke_key,
        signatures::statement,
        signatures::sign,
        signatures::signatures,
        signatures::challenge,
        signatures::token,
        registration::add_journal,
        registration::journals,
        registration::register,
        registration::registration,
        substitutions::create,
        substitutions::list,
        flow::start,
        flow::routes_of_document,
        flow::get,
        flow::decision_statement,
        flow::decide,
        flow::add_template,
        flow::templates,
        flow::set_calendar_day,
        flow::transition,
        resolutions::draft,
        resolutions::of_document,
        resolutions::get,
        resolutions::statement,
        resolutions::act,
        inbox::inbox,
        inbox::execution,
    ),
    servers((url = "/", description = "This server (paths are relative to it)")),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth, &Responses),
    tags(
        (name = "documents", description = "Documents and their immutable versions"),
        (name = "users", description = "The signed-in user"),
        (name = "keys", description = "Users' signing keys (public parts only)"),
        (name = "signatures", description = "Statements and signatures"),
        (name = "auth", description = "Login by key"),
        (name = "registration", description = "Registration journals and numbers"),
        (name = "flow", description = "Approval routes, resolutions, substitutions, inbox"),
        (name = "ledger", description = "The transparency log: checkpoints, proofs, entries"),
        (name = "service", description = "Health")
    )
)]
pub struct ApiDoc;

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
