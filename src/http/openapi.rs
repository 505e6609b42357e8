//! The OpenAPI 3 document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
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
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth),
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
