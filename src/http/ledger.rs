//! The transparency log's endpoints. Checkpoints, the key, proofs and leaf
//! hashes are public (they reveal hashes only); entries need an auditor or
//! admin, and a document's history needs access to the document.

use actix_web::{web, HttpResponse};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::AppState;
use crate::service::ledger as svc;
use crate::service::views::{entry_view, EntryView};

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

/// The latest signed checkpoint (C2SP tlog-checkpoint in a signed note).
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", operation_id = "ledger_checkpoint", tag = "ledger",
    responses((status = 200, description = "signed note", content_type = "text/plain"), (status = 404, body = ErrorBody)))]
pub async fn checkpoint(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let row = blocking(state.pool.clone(), svc::latest_checkpoint).await?;
    Ok(text(row.note))
}

/// The log's public key, in the signed-note verifier key format.
#[utoipa::path(get, path = "/api/v1/ledger/key", operation_id = "ledger_key", tag = "ledger",
    responses((status = 200, description = "verifier key", content_type = "text/plain")))]
pub async fn key(state: web::Data<AppState>) -> HttpResponse {
    text(format!("{}\n", state.log.verifier()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    /// Ledger entry number (1-based); its leaf index is `seq - 1`.
    seq: u64,
    /// Tree size the proof is for (default: the latest checkpoint's).
    tree_size: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionProof {
    pub seq: u64,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// RFC 9162 audit path, leaf side first, base64.
    pub audit_path: Vec<String>,
}

fn b64(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| STANDARD.encode(h)).collect()
}

#[utoipa::path(get, path = "/api/v1/ledger/proof/inclusion", operation_id = "ledger_inclusion", tag = "ledger", params(InclusionQuery),
    responses((status = 200, description = "The inclusion proof", body = InclusionProof), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn inclusion(
    state: web::Data<AppState>,
    query: web::Query<InclusionQuery>,
) -> Result<HttpResponse, ApiError> {
    let InclusionQuery { seq, tree_size } = query.into_inner();
    let (tree_size, path) = blocking(state.pool.clone(), move |c| {
        svc::inclusion(c, seq, tree_size)
    })
    .await?;
    Ok(HttpResponse::Ok().json(InclusionProof {
        seq,
        leaf_index: seq - 1,
        tree_size,
        audit_path: b64(&path),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    /// The older tree size.
    from: u64,
    /// The newer tree size.
    to: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    /// RFC 9162 consistency proof, base64.
    pub consistency: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/proof/consistency", operation_id = "ledger_consistency", tag = "ledger", params(ConsistencyQuery),
    responses((status = 200, description = "The consistency proof", body = ConsistencyProof), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn consistency(
    state: web::Data<AppState>,
    query: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let ConsistencyQuery { from, to } = query.into_inner();
    let proof = blocking(state.pool.clone(), move |c| svc::consistency(c, from, to)).await?;
    Ok(HttpResponse::Ok().json(ConsistencyProof {
        from,
        to,
        consistency: b64(&proof),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LeavesQuery {
    /// First leaf index (0-based, inclusive).
    start: u64,
    /// Last leaf index (exclusive); at most 1000 leaves per request.
    end: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Leaves {
    pub start: u64,
    /// RFC 9162 leaf hashes, lower-case hex.
    pub leaf_hashes: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/leaves", operation_id = "ledger_leaves", tag = "ledger", params(LeavesQuery),
    responses((status = 200, description = "The leaf hashes", body = Leaves), (status = 400, body = ErrorBody)))]
pub async fn leaves(
    state: web::Data<AppState>,
    query: web::Query<LeavesQuery>,
) -> Result<HttpResponse, ApiError> {
    let LeavesQuery { start, end } = query.into_inner();
    let hashes = blocking(state.pool.clone(), move |c| svc::leaves(c, start, end)).await?;
    Ok(HttpResponse::Ok().json(Leaves {
        start,
        leaf_hashes: hashes.iter().map(hex::encode).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CheckpointsQuery {
    /// Only checkpoints of a larger tree size (default 0).
    after: Option<u64>,
    /// At most this many (default and maximum 1000).
    limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    pub tree_size: i64,
    /// The signed note, verbatim.
    pub note: String,
}

/// Stored checkpoints in order of size, for auditors replaying the log.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoints", operation_id = "ledger_checkpoints", tag = "ledger", params(CheckpointsQuery),
    responses((status = 200, description = "Stored checkpoints, oldest first", body = Vec<CheckpointView>), (status = 400, body = ErrorBody)))]
pub async fn checkpoints(
    state: web::Data<AppState>,
    query: web::Query<CheckpointsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let rows = blocking(state.pool.clone(), move |c| {
        svc::checkpoints_after(c, q.after.unwrap_or(0), q.limit.unwrap_or(svc::MAX_PAGE))
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|r| CheckpointView {
                tree_size: r.tree_size,
                note: r.note,
            })
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(get, path = "/api/v1/ledger/entries/{seq}", operation_id = "ledger_entry", tag = "ledger",
    params(("seq" = i64, Path, description = "entry number")),
    responses((status = 200, description = "The entry and its receipt", body = EntryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn entry(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let seq = path.into_inner();
    let (row, receipt) = blocking(state.pool.clone(), move |c| svc::entry(c, &user, seq)).await?;
    Ok(HttpResponse::Ok().json(entry_view(row, &receipt)?))
}

/// Every ledger entry of a document with its receipt. Each entry's
/// `subject_prev` names the document's previous entry, so a gap shows.
#[utoipa::path(get, path = "/api/v1/documents/{id}/history", operation_id = "documents_history", tag = "documents",
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, description = "Its ledger entries, each with a receipt", body = Vec<EntryView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let entries = blocking(state.pool.clone(), move |c| {
        svc::document_history(c, &user, &id)
    })
    .await?;
    let views = entries
        .into_iter()
        .map(|(row, receipt)| entry_view(row, &receipt))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}

/// The evidence bundle of a version (docflow-evidence/1): every signature
/// with its key, chain and receipt, the routes and the document's history,
/// for `docflow verify` offline.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{n}/evidence", operation_id = "documents_evidence", tag = "ledger",
    params(("id" = String, Path), ("n" = i32, Path)),
    responses((status = 200, description = "the bundle", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn evidence(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let log = state.log.clone();
    let bundle = blocking(state.pool.clone(), move |c| {
        crate::service::evidence::bundle(c, &log, &user, &id, n)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(bundle.to_json()))
}

/// The version as a stamped PDF: the original bytes unchanged, then an
/// incremental update with a visible stamp, an approval sheet and the
/// evidence bundle as an embedded file.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{n}/stamped.pdf", operation_id = "documents_stamped", tag = "ledger",
    params(("id" = String, Path), ("n" = i32, Path)),
    responses((status = 200, description = "the stamped PDF", content_type = "application/pdf"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stamped(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let log = state.log.clone();
    let pdf = blocking(state.pool.clone(), move |c| {
        crate::service::evidence::stamped_pdf(c, &log, &user, &id, n)
    })
    .await?;
    Ok(HttpResponse::Ok().content_type("application/pdf").body(pdf))
}
