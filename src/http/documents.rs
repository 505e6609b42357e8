//! Document endpoints.

use actix_multipart::Multipart;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
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

/// The `meta` part of a new document may be at most this large.
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

struct FilePart {
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

#[derive(Default)]
struct Parts {
    meta: Option<Vec<u8>>,
    base_version: Option<Vec<u8>>,
    file: Option<FilePart>,
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

/// Reads the parts, holding the file within `max` bytes. Over the limit,
/// the rest of the body is read and dropped (so the client sees the 413
/// rather than a reset connection) and nothing is stored.
async fn read_parts(mut payload: Multipart, max: u64, allowed: &[&str]) -> Result<Parts, ApiError> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut parts = Parts::default();
    let mut too_large: Option<&'static str> = None;
    // Draining is bounded too: past this, we stop reading and answer 413.
    let drain_cap = max.saturating_mul(2).saturating_add(8 << 20);
    let mut drained = 0usize;
    while let Some(field) = payload.next().await {
        let mut field =
            field.map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        if too_large.is_none() && !allowed.contains(&name.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "unexpected part {name:?}; expected: {}",
                allowed.join(", ")
            )));
        }
        let limit = if name == "file" { max } else { MAX_META_BYTES };
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?;
            if too_large.is_some() {
                drained = drained.saturating_add(chunk.len());
                if drained > drain_cap {
                    return Err(ApiError::PayloadTooLarge(format!(
                        "the upload is larger than the limit of {max} bytes"
                    )));
                }
                continue;
            }
            if data.len() + chunk.len() > limit {
                too_large = Some(if name == "file" { "file" } else { "meta" });
                data = Vec::new();
                continue;
            }
            data.extend_from_slice(&chunk);
        }
        if too_large.is_some() {
            continue;
        }
        let duplicate = match name.as_str() {
            "file" => parts
                .file
                .replace(FilePart {
                    filename: field
                        .content_disposition()
                        .and_then(|cd| cd.get_filename())
                        .map(str::to_owned),
                    content_type: field.content_type().map(|m| m.essence_str().to_owned()),
                    data,
                })
                .is_some(),
            "meta" => parts.meta.replace(data).is_some(),
            _ => parts.base_version.replace(data).is_some(),
        };
        if duplicate {
            return Err(ApiError::BadRequest(format!(
                "part {name:?} is given twice"
            )));
        }
    }
    match too_large {
        Some("file") => Err(ApiError::PayloadTooLarge(format!(
            "the file is larger than the limit of {max} bytes"
        ))),
        Some(part) => Err(ApiError::PayloadTooLarge(format!(
            "the {part} part is larger than {MAX_META_BYTES} bytes"
        ))),
        None => Ok(parts),
    }
}

/// Hashes the upload on the blocking pool, not on the writer or the
/// async workers.
async fn hashed(file: FilePart) -> Result<Upload, ApiError> {
    Ok(web::block(move || {
        Upload::new(
            file.filename.as_deref(),
            file.content_type.as_deref(),
            file.data,
        )
    })
    .await?)
}

fn parse_meta(bytes: &[u8]) -> Result<DocumentMeta, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the meta part is not valid JSON: {e}")))?;
    serde_json::from_value(value)
        .map_err(|e| ApiError::Unprocessable(format!("the meta part: {e}")))
}

/// Registers a document: its metadata and version 1.
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents",
    request_body(content = inline(CreateDocumentForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, body = UploadedView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    Caller(user): Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    require_multipart(&req)?;
    let parts = read_parts(payload, state.max_upload_bytes, &["meta", "file"]).await?;
    let meta = parts
        .meta
        .ok_or_else(|| ApiError::BadRequest("the meta part is missing".into()))?;
    let meta = parse_meta(&meta)?;
    let file = parts
        .file
        .ok_or_else(|| ApiError::BadRequest("the file part is missing".into()))?;
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
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents",
    params(("id" = String, Path, description = "document id")),
    request_body(content = inline(AddVersionForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, body = UploadedView),
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
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    require_multipart(&req)?;
    let parts = read_parts(payload, state.max_upload_bytes, &["file", "base_version"]).await?;
    let base_version = match parts.base_version {
        None => None,
        Some(raw) => Some(
            std::str::from_utf8(&raw)
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
        .ok_or_else(|| ApiError::BadRequest("the file part is missing".into()))?;
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

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, body = DocumentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
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

#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "documents",
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, body = Vec<VersionView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
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
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{n}/content", tag = "documents",
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
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(ListQuery),
    responses((status = 200, body = DocumentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
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
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)),
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
#[utoipa::path(get, path = "/api/v1/document-kinds", tag = "documents",
    responses((status = 200, body = Vec<String>)))]
pub async fn kinds(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.kinds.list())
}
