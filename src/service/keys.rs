//! Users' signing keys: raw Ed25519 public keys or X.509 certificates with
//! their chains. Only public parts are stored.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, NaiveDateTime, Utc};
use docflow_core::keys::PublicKey;
use docflow_core::x509::{self, CertError};
use serde_json::json;

use super::{Actor, AuthUser, ServiceError};
use crate::domain::{check_text, MANAGES_KEYS};
use crate::storage::models::{KeyRow, UserRow};
use crate::storage::{self, keys as store, ledger, orgs, DbConnection, WriteTx};

/// Trust anchors and CRLs that X.509 keys are validated against.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    pub anchors: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
}

/// A key as submitted for registration.
#[derive(Debug, Clone)]
pub enum KeyInput {
    /// PEM SubjectPublicKeyInfo of an Ed25519 key.
    PublicKey(String),
    /// A certificate (PEM or DER) and its intermediates (PEM bundle or DERs).
    Certificate {
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    },
}

fn cert_error(e: CertError) -> ServiceError {
    ServiceError::Certificate {
        reason: e.code(),
        message: e.to_string(),
    }
}

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// Checks that `actor` may manage `target`'s keys: the operator, or an
/// admin or registrar of the same organisation.
fn may_manage(actor: &Actor, target: &UserRow) -> Result<(), ServiceError> {
    match actor {
        Actor::Operator => Ok(()),
        Actor::KeyLogin(_) => Err(ServiceError::Forbidden("not allowed".into())),
        Actor::User(u) if u.org_id != target.org_id => Err(ServiceError::NotFound("user")),
        Actor::User(u) => u.require_any(MANAGES_KEYS),
    }
}

fn concat_der(chain: &[Vec<u8>]) -> Vec<u8> {
    // Length-prefixed so the stored chain splits back exactly.
    let mut out = Vec::new();
    for der in chain {
        out.extend_from_slice(&(der.len() as u32).to_be_bytes());
        out.extend_from_slice(der);
    }
    out
}

pub fn split_chain(stored: &[u8]) -> Result<Vec<Vec<u8>>, ServiceError> {
    let mut out = Vec::new();
    let mut rest = stored;
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(4).ok_or_else(|| {
            storage::StorageError::Corrupt("stored certificate chain is truncated".into())
        })?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let (der, tail) = tail.split_at_checked(len).ok_or_else(|| {
            storage::StorageError::Corrupt("stored certificate chain is truncated".into())
        })?;
        out.push(der.to_vec());
        rest = tail;
    }
    Ok(out)
}

pub fn register(
    conn: &mut WriteTx<'_>,
    trust: &TrustStore,
    actor: &Actor,
    login: &str,
    input: KeyInput,
) -> Result<KeyRow, ServiceError> {
    let now = storage::now();
    let mut row = match &input {
        KeyInput::PublicKey(pem) => {
            let key = PublicKey::from_spki_pem(pem)
                .map_err(|e| ServiceError::Unprocessable(format!("public_key: {e}")))?;
            KeyRow {
                id: key.fingerprint(),
                user_id: String::new(),
                form: "ed25519".into(),
                spki: key.to_spki_der().to_vec(),
                certificate: None,
                chain: None,
                subject: None,
                issuer: None,
                serial: None,
                not_before: None,
                not_after: None,
                created_at: naive(now),
                created_by: actor.ledger_name(),
                revoked_at: None,
                revocation_reason: None,
                ledger_seq: 0,
            }
        }
        KeyInput::Certificate { certificate, chain } => {
            let leaf = x509::parse_cert_input(certificate).map_err(cert_error)?;
            let valid = x509::validate_chain(&leaf, chain, &trust.anchors, &trust.crls, now)
                .map_err(cert_error)?;
            KeyRow {
                id: valid.fingerprint.clone(),
                user_id: String::new(),
                form: "x509".into(),
                spki: valid.spki_der.clone(),
                certificate: Some(leaf),
                chain: Some(concat_der(chain)),
                subject: Some(valid.subject.clone()),
                issuer: Some(valid.issuer.clone()),
                serial: Some(valid.serial_hex.clone()),
                not_before: Some(naive(valid.not_before)),
                not_after: Some(naive(valid.not_after)),
                created_at: naive(now),
                created_by: actor.ledger_name(),
                revoked_at: None,
                revocation_reason: None,
                ledger_seq: 0,
            }
        }
    };
    {
        let c = &mut *conn;
        let user = orgs::user_by_login(c, login)?.ok_or(ServiceError::NotFound("user"))?;
        may_manage(actor, &user)?;
        if store::key(c, &row.id)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "key {} is already registered",
                row.id
            )));
        }
        row.user_id = user.id.clone();
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "key.registered",
                subject: format!("key:{}", row.id),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("user", json!(user.id)),
                    ("login", json!(user.login)),
                    ("form", json!(row.form)),
                    ("spki", json!(STANDARD.encode(&row.spki))),
                    ("subject", json!(row.subject)),
                    ("issuer", json!(row.issuer)),
                    ("serial", json!(row.serial)),
                ]),
            },
        )?;
        row.ledger_seq = appended.seq;
        store::insert_key(c, &row)?;
        Ok(row)
    }
}

pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    login: &str,
) -> Result<Vec<KeyRow>, ServiceError> {
    let user = orgs::user_by_login(conn, login)?.ok_or(ServiceError::NotFound("user"))?;
    match actor {
        Actor::User(u) if u.org_id != user.org_id => return Err(ServiceError::NotFound("user")),
        _ => {}
    }
    Ok(store::keys_of_user(conn, &user.id)?)
}

/// Revokes a key from `at` (default now; never in the future). Signatures
/// made before `at` stay valid; none is accepted after it.
pub fn revoke(
    conn: &mut WriteTx<'_>,
    actor: &Actor,
    key_id: &str,
    reason: &str,
    at: Option<DateTime<Utc>>,
) -> Result<KeyRow, ServiceError> {
    check_text("reason", reason, 500)?;
    let now = storage::now();
    let at = at
        .map(docflow_core::ledger::truncate_to_micros)
        .unwrap_or(now);
    if at > now {
        return Err(ServiceError::Unprocessable(
            "the revocation time must not be in the future".into(),
        ));
    }
    {
        let c = &mut *conn;
        let mut key = store::key(c, key_id)?.ok_or(ServiceError::NotFound("key"))?;
        let owner = orgs::user_by_id(c, &key.user_id)?.ok_or(ServiceError::NotFound("key"))?;
        if matches!(actor, Actor::User(u) if u.org_id != owner.org_id) {
            return Err(ServiceError::NotFound("key"));
        }
        may_manage(actor, &owner)?;
        if key.revoked_at.is_some() {
            return Err(ServiceError::Conflict("the key is already revoked".into()));
        }
        store::revoke_key(c, key_id, naive(at), reason)?;
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "key.revoked",
                subject: format!("key:{key_id}"),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("reason", json!(reason)),
                    ("revoked_at", json!(docflow_core::ledger::format_time(&at))),
                ]),
            },
        )?;
        key.revoked_at = Some(naive(at));
        key.revocation_reason = Some(reason.to_owned());
        Ok(key)
    }
}

/// The caller's key, usable for a signature made at `at`: not another
/// user's, not revoked by then, and (for certificates) still valid then.
pub fn usable_key(
    conn: &mut DbConnection,
    trust: &TrustStore,
    user: &AuthUser,
    key_id: &str,
    at: DateTime<Utc>,
) -> Result<(KeyRow, PublicKey), ServiceError> {
    let key = store::key(conn, key_id)?.ok_or(ServiceError::NotFound("key"))?;
    if key.user_id != user.user_id {
        return Err(ServiceError::Forbidden(
            "the key is not the caller's".into(),
        ));
    }
    check_key_at(trust, &key, at)
}

pub fn check_key_at(
    trust: &TrustStore,
    key: &KeyRow,
    at: DateTime<Utc>,
) -> Result<(KeyRow, PublicKey), ServiceError> {
    if let Some(revoked) = key.revoked_at {
        if revoked <= naive(at) {
            return Err(ServiceError::Unprocessable(format!(
                "key {} was revoked at {revoked} UTC",
                key.id
            )));
        }
    }
    if let Some(cert) = &key.certificate {
        let chain = split_chain(key.chain.as_deref().unwrap_or(&[]))?;
        x509::validate_chain(cert, &chain, &trust.anchors, &trust.crls, at).map_err(cert_error)?;
    }
    let public = PublicKey::from_spki_der(&key.spki)
        .map_err(|e| storage::StorageError::Corrupt(format!("key {}: {e}", key.id)))?;
    Ok((key.clone(), public))
}
