//! Document endpoints.

use actix_multipart::form::{FieldReader, Limits, MultipartCollect, MultipartForm};
use actix_multipart::{Field, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::AppState;
use crate::domain::fold_for_search;
use crate::service::documents::DocumentFilter;
use crate::service::documents::{self as svc, NewDocument, Upload};
use crate::service::views::{uploaded, DocumentView, UploadedView, VersionView};

/// The `meta` part of a new document may be at most this large (the
/// form's `limit` for it says the same).
const MAX_META_BYTES: usize = 64 * 1024;

/// The `meta` part of `POST /documents`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentMeta {
    pub title: String,
    /// One of `GET /api/v1/document-kinds`.
    pub kind: String,
}

/// Multipart body of `POST /documents` (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateDocumentForm {
    /// JSON: `{"title": "…", "kind": "order"}`.
    meta: DocumentMeta,
    /// The content of version 1.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Multipart body of `POST /documents/{id}/versions` (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AddVersionForm {
    /// The content of the new version.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Optional: the latest version the client has seen; if another version
    /// was added since, the answer is 409.
    base_version: Option<i32>,
}

/// A part read into memory within a limit. Past the limit the rest of the
/// part is read and dropped, so the client sees the 413 rather than a reset
/// connection, and nothing is kept; draining is bounded too, past it the
/// answer is 413 at once.
struct Part {
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
    /// The part was larger than `limit`; `data` is empty.
    too_large: bool,
    limit: usize,
}

async fn read_part(mut field: Field, limit: usize) -> Result<Part, MultipartError> {
    let drain_cap = limit.saturating_mul(2).saturating_add(8 << 20);
    let mut part = Part {
        filename: field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned),
        content_type: field.content_type().map(|m| m.essence_str().to_owned()),
        data: Vec::new(),
        too_large: false,
        limit,
    };
    let mut read = 0usize;
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        read = read.saturating_add(chunk.len());
        if part.too_large || read > limit {
            part.too_large = true;
            part.data = Vec::new();
            if read > drain_cap {
                return Err(MultipartError::Payload(PayloadError::Overflow));
            }
            continue;
        }
        part.data.extend_from_slice(&chunk);
    }
    Ok(part)
}

/// A small part (`meta`, `base_version`) within the form's `limit` for it.
struct Small(Part);

impl<'t> FieldReader<'t> for Small {
    type Future = LocalBoxFuture<'t, Result<Self, MultipartError>>;

    fn read_field(_: &'t HttpRequest, field: Field, limits: &'t mut Limits) -> Self::Future {
        let limit = limits.field_limit_remaining.unwrap_or(MAX_META_BYTES);
        Box::pin(async move { read_part(field, limit).await.map(Small) })
    }
}

/// The `file` part, within the configured `max_upload_bytes`.
struct FilePart(Part);

impl<'t> FieldReader<'t> for FilePart {
    type Future = LocalBoxFuture<'t, Result<Self, MultipartError>>;

    fn read_field(req: &'t HttpRequest, field: Field, _: &'t mut Limits) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(0, |s| s.max_upload_bytes);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Box::pin(async move { read_part(field, limit).await.map(FilePart) })
    }
}

/// The parts of `POST /documents`.
#[derive(MultipartForm)]
#[multipart(deny_unknown_fields, duplicate_field = "deny")]
struct CreateParts {
    #[multipart(limit = "64KiB")]
    meta: Option<Small>,
    file: Option<FilePart>,
}

/// The parts of `POST /documents/{id}/versions`.
#[derive(MultipartForm)]
#[multipart(deny_unknown_fields, duplicate_field = "deny")]
struct VersionParts {
    file: Option<FilePart>,
    #[multipart(limit = "32B")]
    base_version: Option<Small>,
}

fn require_multipart(req: &HttpRequest) -> Result<(), ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "expected Content-Type: multipart/form-data".into(),
        ))
    }
}

/// Reads the form `T` after the caller is authenticated (so a stranger's
/// upload is refused before its body is read as a form); `allowed` names
/// the parts for the error.
async fn read_form<T: MultipartCollect + 'static>(
    req: &HttpRequest,
    payload: web::Payload,
    allowed: &[&str],
) -> Result<T, ApiError> {
    require_multipart(req)?;
    let mut payload = payload.into_inner();
    match MultipartForm::<T>::from_request(req, &mut payload).await {
        Ok(form) => Ok(form.into_inner()),
        Err(e) => Err(match e.as_error::<MultipartError>() {
            Some(MultipartError::UnknownField(name)) => ApiError::BadRequest(format!(
                "unexpected part {name:?}; expected: {}",
                allowed.join(", ")
            )),
            Some(MultipartError::DuplicateField(name)) => {
                ApiError::BadRequest(format!("part {name:?} is given twice"))
            }
            Some(MultipartError::Payload(PayloadError::Overflow)) => {
                ApiError::PayloadTooLarge("the upload is larger than its limit".into())
            }
            Some(other) => ApiError::BadRequest(format!("malformed multipart body: {other}")),
            None => ApiError::BadRequest(format!("malformed multipart body: {e}")),
        }),
    }
}

/// A part that was too large, named in the 413.
fn within_limit(name: &str, part: Option<&Part>) -> Result<(), ApiError> {
    match part {
        Some(p) if p.too_large && name == "file" => Err(ApiError::PayloadTooLarge(format!(
            "the file is larger than the limit of {} bytes",
            p.limit
        ))),
        Some(p) if p.too_large => Err(ApiError::PayloadTooLarge(format!(
            "the {name} part is larger than {} bytes",
            p.limit
        ))),
        _ => Ok(()),
    }
}

/// Hashes the upload on the blocking pool, not on the writer or the
/// async workers.
async fn hashed(file: Part) -> Result<Upload, ApiError> {
    Ok(web::block(move || {
        Upload::new(
            file.filename.as_deref(),
            file.content_type.as_deref(),
            file.data,
        )
    })
    .await?)
}

/// The `meta` part: malformed or mistyped JSON is 400, like a JSON body;
/// a well-formed one that breaks a rule (an unknown kind, an empty title)
/// is refused later with 422.
fn parse_meta(bytes: &[u8]) -> Result<DocumentMeta, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the meta part is not valid JSON: {e}")))?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::BadRequest(format!(
            "the meta part: {}",
            super::plain_serde_message(&e.to_string())
        ))
    })
}

/// Registers a document: its metadata and version 1.
#[utoipa::path(post, path = "/api/v1/documents", operation_id = "documents_create", tag = "documents",
    request_body(content = inline(CreateDocumentForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The document and its version 1", body = UploadedView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    Caller(user): Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let parts: CreateParts = read_form(&req, payload, &["meta", "file"]).await?;
    within_limit("meta", parts.meta.as_ref().map(|p| &p.0))?;
    within_limit("file", parts.file.as_ref().map(|p| &p.0))?;
    let meta = parts
        .meta
        .ok_or_else(|| ApiError::BadRequest("the meta part is missing".into()))?;
    let meta = parse_meta(&meta.0.data)?;
    let file = parts
        .file
        .ok_or_else(|| ApiError::BadRequest("the file part is missing".into()))?
        .0;
    let kinds = state.kinds.clone();
    let upload = hashed(file).await?;
    let (doc, version) = state
        .appender
        .run(move |conn| {
            svc::create(
                conn,
                &kinds,
                &user,
                NewDocument {
                    title: meta.title,
                    kind: meta.kind,
                },
                upload,
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/documents/{}", doc.id)))
        .json(uploaded(doc, version)))
}

/// Adds the next version of a document. Earlier versions never change.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", operation_id = "documents_add_version", tag = "documents",
    params(("id" = String, Path, description = "document id")),
    request_body(content = inline(AddVersionForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The new version", body = UploadedView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_version(
    Caller(user): Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let parts: VersionParts = read_form(&req, payload, &["file", "base_version"]).await?;
    within_limit("file", parts.file.as_ref().map(|p| &p.0))?;
    within_limit("base_version", parts.base_version.as_ref().map(|p| &p.0))?;
    let base_version = match parts.base_version {
        None => None,
        Some(raw) => Some(
            std::str::from_utf8(&raw.0.data)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
                .filter(|v| *v >= 1)
                .ok_or_else(|| {
                    ApiError::BadRequest("base_version must be a positive integer".into())
                })?,
        ),
    };
    let file = parts
        .file
        .ok_or_else(|| ApiError::BadRequest("the file part is missing".into()))?
        .0;
    let id = path.into_inner();
    let upload = hashed(file).await?;
    let (doc, version) = state
        .appender
        .run(move |conn| svc::add_version(conn, &user, &id, base_version, upload))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/documents/{}/versions/{}", doc.id, version.version),
        ))
        .json(uploaded(doc, version)))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", operation_id = "documents_get", tag = "documents",
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, description = "The document", body = DocumentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let doc = blocking(state.pool.clone(), move |conn| svc::get(conn, &user, &id)).await?;
    Ok(HttpResponse::Ok().json(DocumentView::from(doc)))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", operation_id = "documents_versions", tag = "documents",
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, description = "Its versions, oldest first", body = Vec<VersionView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn versions(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let rows = blocking(state.pool.clone(), move |conn| {
        svc::versions(conn, &user, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(VersionView::from).collect::<Vec<_>>()))
}

/// The exact bytes of a version, with its `Content-Type` and an `ETag` that
/// is its SHA-256.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{n}/content", operation_id = "documents_content", tag = "documents",
    params(("id" = String, Path, description = "document id"), ("n" = i32, Path, description = "version number")),
    responses(
        (status = 200, description = "the content", content_type = "application/octet-stream"),
        (status = 304, description = "not modified (If-None-Match)"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn content(
    Caller(user): Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let (row, data) = blocking(state.pool.clone(), move |conn| {
        svc::content(conn, &user, &id, n)
    })
    .await?;
    let etag = format!("\"{}\"", row.sha256);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::ETAG, etag))
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .insert_header(("X-Content-SHA256", row.sha256.clone()))
        .insert_header(header::ContentDisposition {
            disposition: header::DispositionType::Attachment,
            parameters: vec![header::DispositionParam::FilenameExt(
                header::ExtendedValue {
                    charset: header::Charset::Ext("UTF-8".into()),
                    language_tag: None,
                    value: row.filename.clone().into_bytes(),
                },
            )],
        });
    if matches {
        return Ok(resp.finish());
    }
    let content_type = HeaderValue::from_str(&row.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok(resp
        .insert_header((header::CONTENT_TYPE, content_type))
        .body(data))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this kind.
    kind: Option<String>,
    /// Only this state.
    state: Option<String>,
    /// Title contains this text (case-insensitive, any script).
    q: Option<String>,
    /// Only documents registered by this user id.
    created_by: Option<String>,
    /// Registered at or after this time (RFC 3339).
    created_from: Option<String>,
    /// Registered before this time (RFC 3339).
    created_to: Option<String>,
    /// Page size, 1..=200 (default 50).
    limit: Option<i64>,
    /// How many to skip (default 0).
    offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    pub items: Vec<DocumentView>,
    /// All matches, not only this page.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

fn parse_naive_time(field: &str, v: &Option<String>) -> Result<Option<NaiveDateTime>, ApiError> {
    Ok(super::parse_time(field, v.as_deref())?.map(|t| t.naive_utc()))
}

/// The caller's organisation's documents, newest first.
#[utoipa::path(get, path = "/api/v1/documents", operation_id = "documents_list", tag = "documents", params(ListQuery),
    responses((status = 200, description = "One page of documents", body = DocumentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    Caller(user): Caller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 200".into(),
        ));
    }
    if offset < 0 {
        return Err(ApiError::BadRequest("offset must not be negative".into()));
    }
    let filter = DocumentFilter {
        created_from: parse_naive_time("created_from", &q.created_from)?,
        created_to: parse_naive_time("created_to", &q.created_to)?,
        kind: q.kind,
        state: q.state,
        created_by: q.created_by,
        title_contains: q.q.filter(|s| !s.is_empty()).map(|s| fold_for_search(&s)),
    };
    let (rows, total) = blocking(state.pool.clone(), move |conn| {
        svc::list(conn, &user, &filter, limit, offset)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DocumentPage {
        items: rows.into_iter().map(DocumentView::from).collect(),
        total,
        limit,
        offset,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: String,
    pub login: String,
    pub organisation: String,
    pub roles: Vec<&'static str>,
}

/// Who the bearer token belongs to.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "users_me", tag = "users",
    responses((status = 200, description = "The token's user", body = MeView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(Caller(user): Caller) -> HttpResponse {
    HttpResponse::Ok().json(MeView {
        roles: user.roles.names(),
        id: user.user_id,
        login: user.login,
        organisation: user.org_id,
    })
}

/// The document kinds this installation accepts.
#[utoipa::path(get, path = "/api/v1/document-kinds", operation_id = "document_kinds_list", tag = "documents",
    responses((status = 200, description = "The accepted document kinds", body = Vec<String>)))]
pub async fn kinds(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.kinds.list())
}
