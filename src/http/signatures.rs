//! Keys, statements, signatures and login by key.

use actix_web::{web, HttpRequest, HttpResponse};

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::limits::RateLimits;
use super::{parse_time, AppState};
use crate::service::keys::{self as keys_svc, KeyInput};
use crate::service::signatures::{self as svc, LoginDecoys};
use crate::service::signing::Submission;
use crate::service::views::time;
use crate::service::views::{signature_view, KeyView, SignatureView};
use crate::service::Actor;

/// One of `public_key` (PEM) or `certificate` (PEM, or base64 DER) with
/// an optional `chain` of intermediates (PEM bundle).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub public_key: Option<String>,
    pub certificate: Option<String>,
    pub chain: Option<String>,
}

pub fn key_input(new: NewKey) -> Result<KeyInput, ApiError> {
    match (new.public_key, new.certificate, new.chain) {
        (Some(pem), None, None) => Ok(KeyInput::PublicKey(pem)),
        (None, Some(cert), chain) => {
            let certificate = if cert.contains("-----BEGIN") {
                cert.into_bytes()
            } else {
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, cert.trim())
                    .map_err(|e| {
                        ApiError::BadRequest(format!(
                            "certificate: neither PEM nor base64 DER: {e}"
                        ))
                    })?
            };
            let chain = match chain {
                None => Vec::new(),
                Some(pem) => docflow_core::x509::pem_bundle_to_der(&pem)
                    .map_err(|e| ApiError::Unprocessable(format!("chain: {e}")))?,
            };
            Ok(KeyInput::Certificate { certificate, chain })
        }
        _ => Err(ApiError::Unprocessable(
            "give either public_key, or certificate with an optional chain".into(),
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/users/{login}/keys", operation_id = "keys_add", tag = "keys",
    params(("login" = String, Path)), request_body = NewKey,
    responses((status = 201, description = "The registered key", body = KeyView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_key(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewKey>,
) -> Result<HttpResponse, ApiError> {
    let input = key_input(body.into_inner())?;
    let login = path.into_inner();
    let trust = state.trust.clone();
    let row = state
        .appender
        .run(move |c| keys_svc::register(c, &trust, &Actor::User(user), &login, input))
        .await?;
    Ok(HttpResponse::Created().json(KeyView::from(row)))
}

#[utoipa::path(get, path = "/api/v1/users/{login}/keys", operation_id = "keys_list", tag = "keys",
    params(("login" = String, Path)),
    responses((status = 200, description = "The user's keys", body = Vec<KeyView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_keys(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let login = path.into_inner();
    let rows = blocking(state.pool.clone(), move |c| {
        keys_svc::list(c, &Actor::User(user), &login)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(KeyView::from).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub reason: String,
    /// From when the key is revoked (RFC 3339, not in the future; default now).
    pub revoked_at: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/keys/{id}/revoke", operation_id = "keys_revoke", tag = "keys",
    params(("id" = String, Path, description = "key fingerprint")), request_body = Revocation,
    responses((status = 200, description = "The revoked key", body = KeyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_key(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Revocation>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let at = parse_time("revoked_at", body.revoked_at.as_deref())?;
    let row = state
        .appender
        .run(move |c| keys_svc::revoke(c, &Actor::User(user), &id, &body.reason, at))
        .await?;
    Ok(HttpResponse::Ok().json(KeyView::from(row)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// `sign`, `approve`, `approve-with-remarks`, `reject`, `return-for-revision`, …
    purpose: String,
    /// The fingerprint of the caller's key that will sign.
    key_id: String,
}

/// The exact bytes to sign: a fresh statement with a server time and nonce.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{n}/statement", operation_id = "signatures_statement", tag = "signatures",
    params(("id" = String, Path), ("n" = i32, Path), StatementQuery),
    responses((status = 200, description = "the statement", content_type = "text/plain"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn statement(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let q = query.into_inner();
    let trust = state.trust.clone();
    let text = blocking(state.pool.clone(), move |c| {
        svc::issue_statement(c, &trust, &user, &id, n, &q.purpose, &q.key_id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSignature {
    pub key_id: String,
    /// The statement exactly as fetched.
    pub statement: String,
    /// Pure Ed25519 over the statement bytes, base64.
    pub signature: String,
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{n}/signatures", operation_id = "signatures_sign", tag = "signatures",
    params(("id" = String, Path), ("n" = i32, Path)), request_body = NewSignature,
    responses((status = 201, description = "The recorded signature with its receipt", body = SignatureView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sign(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    body: web::Json<NewSignature>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let b = body.into_inner();
    let trust = state.trust.clone();
    let signer = user.login.clone();
    let view = state
        .appender
        .run_then(
            move |c| {
                svc::submit(
                    c,
                    &trust,
                    &user,
                    &id,
                    n,
                    Submission {
                        key_id: b.key_id,
                        statement: b.statement,
                        signature: b.signature,
                    },
                )
            },
            move |c, row| svc::signed_view(c, row, signer),
        )
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{n}/signatures", operation_id = "signatures_list", tag = "signatures",
    params(("id" = String, Path), ("n" = i32, Path)),
    responses((status = 200, description = "The version's signatures", body = Vec<SignatureView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn signatures(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let rows = blocking(state.pool.clone(), move |c| svc::list(c, &user, &id, n)).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|(r, login)| signature_view(r, login, None))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    pub login: String,
    /// Which of the user's keys (default: the only active one).
    pub key_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Challenge {
    /// The login statement to sign, exactly.
    pub statement: String,
    pub key_id: String,
    pub expires_at: String,
}

/// A login statement to sign.
///
/// Every login gets one, whether it exists or not: a wrong login, or a key
/// that is not the login's, fails only at `POST /auth/token` (401). At most
/// 10 a minute per login and 60 per client address (429 with
/// `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/challenge", operation_id = "auth_challenge", tag = "auth", request_body = ChallengeRequest,
    responses((status = 200, description = "The login statement to sign", body = Challenge), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn challenge(
    state: web::Data<AppState>,
    limits: web::Data<RateLimits>,
    decoys: web::Data<LoginDecoys>,
    req: HttpRequest,
    body: web::Json<ChallengeRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    limits.check("challenge", Some(&b.login), req.peer_addr().map(|a| a.ip()))?;
    let trust = state.trust.clone();
    let decoys = decoys.into_inner();
    let (statement, key_id, expires) = blocking(state.pool.clone(), move |c| {
        svc::login_challenge(c, &trust, &decoys, &b.login, b.key_id.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Challenge {
        statement,
        key_id,
        expires_at: docflow_core::ledger::format_time(&expires),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub statement: String,
    /// Pure Ed25519 over the statement bytes, base64.
    pub signature: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub token: String,
    pub token_id: String,
    pub expires_at: String,
}

/// A bearer token for a signed login statement.
///
/// At most 10 a minute per login and 60 per client address (429 with
/// `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/token", operation_id = "auth_token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, description = "A bearer token", body = TokenView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn token(
    state: web::Data<AppState>,
    limits: web::Data<RateLimits>,
    decoys: web::Data<LoginDecoys>,
    req: HttpRequest,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let login = docflow_core::statement::Statement::parse(&b.statement)
        .ok()
        .map(|s| s.login_name().to_owned());
    limits.check("token", login.as_deref(), req.peer_addr().map(|a| a.ip()))?;
    let trust = state.trust.clone();
    let decoys = decoys.into_inner();
    let issued = state
        .appender
        .run(move |c| svc::login_token(c, &trust, &decoys, &b.statement, &b.signature))
        .await?;
    Ok(HttpResponse::Ok().json(TokenView {
        token: issued.secret,
        token_id: issued.row.id,
        expires_at: time(issued.row.expires_at),
    }))
}
