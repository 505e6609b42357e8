//! Signing a document statement, for every action that takes one (a
//! signature, a route decision, a resolution action): issuing the exact
//! statement, checking a signed one, and recording it with its ledger
//! entry. Shared by signatures, flow and resolutions, and depending on none
//! of them.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::Duration;
use docflow_core::keys::Signature;
use docflow_core::statement::{new_nonce, DocumentFields, DocumentStatement, Purpose, Statement};
use serde_json::json;

use super::keys::{usable_key, TrustStore};
use super::{new_id, Actor, AuthUser, ServiceError};
use crate::storage::models::{ChallengeRow, KeyRow, SignatureRow};
use crate::storage::{
    self, documents, keys as store, ledger, write_tx_unsealed, DbConnection, WriteTx,
};

/// How long an issued statement can be signed.
pub const STATEMENT_TTL_MINUTES: i64 = 15;

pub(super) fn parse_key_id(key_id: &str) -> Result<[u8; 32], ServiceError> {
    let bytes = hex::decode(key_id)
        .ok()
        .filter(|_| key_id.bytes().all(|b| !b.is_ascii_uppercase()))
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            ServiceError::BadRequest("key_id must be 64 lower-case hex digits".into())
        })?;
    Ok(bytes)
}

/// Issues a statement with `extra` lines (route decisions, resolutions…);
/// the caller has already checked that `user` may make it.
#[allow(clippy::too_many_arguments)]
pub fn issue(
    conn: &mut DbConnection,
    trust: &TrustStore,
    user: &AuthUser,
    document_id: &str,
    version: i32,
    purpose: Purpose,
    key_id: &str,
    extra: Vec<(String, String)>,
) -> Result<String, ServiceError> {
    if !purpose.is_document() {
        return Err(ServiceError::Unprocessable(
            "a login statement comes from POST /api/v1/auth/challenge".into(),
        ));
    }
    let key_bytes = parse_key_id(key_id)?;
    let now = storage::now();
    write_tx_unsealed(conn, |c| {
        let doc = documents::document_in_org(c, &user.org_id, document_id)?
            .ok_or(ServiceError::NotFound("document"))?;
        let v =
            documents::version(c, &doc.id, version)?.ok_or(ServiceError::NotFound("version"))?;
        usable_key(c, trust, user, key_id, now)?;
        let sha256: [u8; 32] = hex::decode(&v.sha256)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| storage::StorageError::Corrupt(format!("version hash {}", v.sha256)))?;
        let nonce = new_nonce(&mut rand::rngs::OsRng);
        let statement = DocumentStatement::new(DocumentFields {
            purpose,
            document: doc.id.clone(),
            version: u64::try_from(version).unwrap_or(0),
            sha256,
            key: key_bytes,
            signer: user.login.clone(),
            issued_at: now,
            nonce,
            extra,
        })
        .map_err(|e| ServiceError::Unprocessable(e.to_string()))?
        .encode();
        store::prune_challenges(c, (now - Duration::days(1)).naive_utc())?;
        store::insert_challenge(
            c,
            &ChallengeRow {
                nonce: hex::encode(nonce),
                user_id: user.user_id.clone(),
                key_id: key_id.to_owned(),
                purpose: purpose.as_str().to_owned(),
                statement: statement.clone(),
                issued_at: now.naive_utc(),
                expires_at: (now + Duration::minutes(STATEMENT_TTL_MINUTES)).naive_utc(),
                used_at: None,
            },
        )?;
        Ok(statement)
    })
}

/// Finds the challenge a statement answers and checks it is still good.
pub(super) fn take_challenge(
    conn: &mut DbConnection,
    nonce: &[u8; 32],
    statement: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ChallengeRow, ServiceError> {
    let nonce = hex::encode(nonce);
    let challenge = store::challenge(conn, &nonce)?.ok_or_else(|| {
        ServiceError::Unprocessable("the statement's nonce was not issued by this server".into())
    })?;
    if challenge.statement != statement {
        return Err(ServiceError::Unprocessable(
            "the statement differs from the one issued with its nonce".into(),
        ));
    }
    if challenge.used_at.is_some() {
        return Err(ServiceError::Conflict(
            "the statement's nonce was already used".into(),
        ));
    }
    if challenge.expires_at <= now.naive_utc() {
        return Err(ServiceError::Unprocessable(
            "the statement has expired; fetch a new one".into(),
        ));
    }
    if !store::use_challenge(conn, &nonce, now.naive_utc())? {
        return Err(ServiceError::Conflict(
            "the statement's nonce was already used".into(),
        ));
    }
    Ok(challenge)
}

pub(super) fn parse_signature(b64: &str) -> Result<Signature, ServiceError> {
    Signature::from_base64(b64).map_err(|e| ServiceError::BadRequest(format!("signature: {e}")))
}

pub struct Submission {
    pub key_id: String,
    pub statement: String,
    pub signature: String,
}

/// A signed statement that passed every check, ready to record.
pub struct Verified {
    pub statement: DocumentStatement,
    pub signature: Signature,
    pub key: KeyRow,
}

/// What the action being signed requires of its statement.
pub struct Expected<'a> {
    /// The purposes acceptable here.
    pub purposes: &'a [Purpose],
    /// The extra lines, exactly.
    pub extra: Vec<(String, String)>,
}

/// Checks a signed statement for `document_id`/`version` by `user`:
/// issued by this server to this user, unexpired and unused (its nonce is
/// used up here), for that content, by the user's usable key, and with the
/// purpose and extra lines the action requires. Runs inside the caller's
/// write transaction, so a refusal records nothing.
#[allow(clippy::too_many_arguments)]
pub fn verify_submission(
    c: &mut DbConnection,
    trust: &TrustStore,
    user: &AuthUser,
    document_id: &str,
    version: i32,
    expected: &Expected<'_>,
    sub: &Submission,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Verified, ServiceError> {
    let statement = match Statement::parse(&sub.statement) {
        Ok(Statement::Document(s)) => s,
        Ok(Statement::Login(_)) => {
            return Err(ServiceError::Unprocessable(
                "a login statement can never sign a document".into(),
            ))
        }
        Err(e) => return Err(ServiceError::Unprocessable(format!("statement: {e}"))),
    };
    let fields = statement.fields();
    if fields.document != document_id
        || i64::try_from(fields.version).ok() != Some(i64::from(version))
    {
        return Err(ServiceError::Unprocessable(
            "the statement is for another document or version".into(),
        ));
    }
    if !expected.purposes.contains(&fields.purpose) {
        return Err(ServiceError::Unprocessable(format!(
            "a {} statement does not fit this action",
            fields.purpose.as_str()
        )));
    }
    if fields.extra != expected.extra {
        return Err(ServiceError::Unprocessable(
            "the statement's extra lines do not match this action".into(),
        ));
    }
    let key_bytes = parse_key_id(&sub.key_id)?;
    if fields.key != key_bytes {
        return Err(ServiceError::Unprocessable(
            "the statement names another key".into(),
        ));
    }
    if fields.signer != user.login {
        return Err(ServiceError::Forbidden(
            "the statement names another signer".into(),
        ));
    }
    let signature = parse_signature(&sub.signature)?;
    let doc = documents::document_in_org(c, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    let v = documents::version(c, &doc.id, version)?.ok_or(ServiceError::NotFound("version"))?;
    if hex::encode(fields.sha256) != v.sha256 {
        return Err(ServiceError::Unprocessable(
            "the statement names other content".into(),
        ));
    }
    let challenge = take_challenge(c, &fields.nonce, &sub.statement, now)?;
    if challenge.user_id != user.user_id {
        return Err(ServiceError::Forbidden(
            "the statement was issued to another user".into(),
        ));
    }
    let (key, public) = usable_key(c, trust, user, &sub.key_id, now)?;
    public
        .verify(sub.statement.as_bytes(), &signature)
        .map_err(|_| ServiceError::Unprocessable("the signature does not verify".into()))?;
    Ok(Verified {
        statement: statement.clone(),
        signature,
        key,
    })
}

/// Records a verified signature and its ledger entry; `facts` are added
/// to the entry's data (route, step, decision…).
pub fn record(
    c: &mut WriteTx<'_>,
    user: &AuthUser,
    verified: &Verified,
    facts: serde_json::Map<String, serde_json::Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SignatureRow, ServiceError> {
    let fields = verified.statement.fields();
    let version = i32::try_from(fields.version).unwrap_or(i32::MAX);
    let mut data = ledger::data([
        ("version", json!(version)),
        ("purpose", json!(fields.purpose.as_str())),
        ("key", json!(verified.key.id)),
        ("signer", json!(user.login)),
        ("statement", json!(verified.statement.encode())),
        (
            "signature",
            json!(STANDARD.encode(verified.signature.as_bytes())),
        ),
    ]);
    data.extend(facts);
    let appended = ledger::append(
        c,
        now,
        ledger::NewEntry {
            kind: "signature.added",
            subject: format!("document:{}", fields.document),
            actor: Actor::User(user.clone()).ledger_name(),
            data,
        },
    )?;
    let row = SignatureRow {
        id: new_id(),
        document_id: fields.document.clone(),
        version,
        key_id: verified.key.id.clone(),
        user_id: user.user_id.clone(),
        purpose: fields.purpose.as_str().to_owned(),
        statement: verified.statement.encode(),
        signature: verified.signature.as_bytes().to_vec(),
        nonce: hex::encode(fields.nonce),
        signed_at: fields.issued_at.naive_utc(),
        ledger_seq: appended.seq,
    };
    store::insert_signature(c, &row)?;
    Ok(row)
}
