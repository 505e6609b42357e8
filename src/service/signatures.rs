//! Statements, signatures and login by key.
//!
//! The server issues the exact statement to sign (with a fresh nonce and
//! time) and remembers it; a signature is accepted only over those bytes,
//! by the caller's own usable key, before the statement expires, once.

use chrono::Duration;
use docflow_core::statement::{new_nonce, LoginFields, LoginStatement, Purpose, Statement};

use super::admin::{self, IssuedToken};
use super::keys::{check_key_at, TrustStore};
use super::signing::{
    issue, parse_key_id, parse_signature, record, take_challenge, verify_submission, Expected,
    Submission,
};
use super::{Actor, AuthUser, ServiceError};
use crate::domain::may_sign;
use crate::storage::models::{ChallengeRow, SignatureRow};
use crate::storage::{
    self, documents, keys as store, orgs, write_tx_unsealed, DbConnection, WriteTx,
};

pub use super::signing::STATEMENT_TTL_MINUTES;
/// How long a login challenge can be answered.
pub const LOGIN_TTL_MINUTES: i64 = 5;
/// Lifetime of a token obtained by key login.
pub const KEY_LOGIN_TOKEN_HOURS: i64 = 12;

fn parse_purpose(purpose: &str) -> Result<Purpose, ServiceError> {
    purpose
        .parse::<Purpose>()
        .map_err(|_| ServiceError::Unprocessable(format!("unknown purpose {purpose:?}")))
}

/// Issues the statement `user` may sign with `key_id` for a version.
pub fn issue_statement(
    conn: &mut DbConnection,
    trust: &TrustStore,
    user: &AuthUser,
    document_id: &str,
    version: i32,
    purpose: &str,
    key_id: &str,
) -> Result<String, ServiceError> {
    let purpose = parse_purpose(purpose)?;
    may_sign(purpose, &user.roles).map_err(ServiceError::Forbidden)?;
    issue(
        conn,
        trust,
        user,
        document_id,
        version,
        purpose,
        key_id,
        Vec::new(),
    )
}

/// A plain signature on a version (`sign`, or a decision outside a route).
#[allow(clippy::too_many_arguments)]
pub fn submit(
    conn: &mut WriteTx<'_>,
    trust: &TrustStore,
    user: &AuthUser,
    document_id: &str,
    version: i32,
    sub: Submission,
) -> Result<SignatureRow, ServiceError> {
    // The purpose must be one the caller's roles allow; decisions on a
    // route carry extra lines and go through the route instead.
    let purpose = Statement::parse(&sub.statement)
        .map(|s| s.purpose())
        .map_err(|e| ServiceError::Unprocessable(format!("statement: {e}")))?;
    if purpose == Purpose::Login {
        return Err(ServiceError::Unprocessable(
            "a login statement can never sign a document".into(),
        ));
    }
    may_sign(purpose, &user.roles).map_err(ServiceError::Forbidden)?;
    let now = storage::now();
    {
        let c = &mut *conn;
        let expected = Expected {
            purposes: &[purpose],
            extra: Vec::new(),
        };
        let verified =
            verify_submission(c, trust, user, document_id, version, &expected, &sub, now)?;
        let row = record(c, user, &verified, serde_json::Map::new(), now)?;
        // The signature that a route left pending makes the document signed.
        if purpose == Purpose::Sign {
            if let Some(doc) = documents::document_in_org(c, &user.org_id, document_id)? {
                if doc.state == crate::domain::DocumentState::PendingSign.as_str()
                    && doc.latest_version == version
                {
                    super::documents::apply(c, &doc, crate::domain::DocumentEvent::Sign, now)?;
                }
            }
        }
        Ok(row)
    }
}

pub fn list(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
    version: i32,
) -> Result<Vec<(SignatureRow, String)>, ServiceError> {
    let doc = documents::document_in_org(conn, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    documents::version(conn, &doc.id, version)?.ok_or(ServiceError::NotFound("version"))?;
    let rows = store::signatures_of_version(conn, &doc.id, version)?;
    rows.into_iter()
        .map(|r| {
            let login = orgs::user_by_id(conn, &r.user_id)?
                .map(|u| u.login)
                .unwrap_or_default();
            Ok((r, login))
        })
        .collect()
}

/// Issues a login challenge for `login`'s key (`key_id`, or the user's only
/// active key).
pub fn login_challenge(
    conn: &mut DbConnection,
    trust: &TrustStore,
    login: &str,
    key_id: Option<&str>,
) -> Result<(String, String, chrono::DateTime<chrono::Utc>), ServiceError> {
    let now = storage::now();
    let expires = now + Duration::minutes(LOGIN_TTL_MINUTES);
    write_tx_unsealed(conn, |c| {
        let user = orgs::user_by_login(c, login)?.ok_or(ServiceError::NotFound("user"))?;
        let key = match key_id {
            Some(id) => {
                parse_key_id(id)?;
                store::key(c, id)?
                    .filter(|k| k.user_id == user.id)
                    .ok_or(ServiceError::NotFound("key"))?
            }
            None => {
                let active: Vec<_> = store::keys_of_user(c, &user.id)?
                    .into_iter()
                    .filter(|k| k.revoked_at.is_none())
                    .collect();
                match <[_; 1]>::try_from(active) {
                    Ok([only]) => only,
                    Err(v) if v.is_empty() => return Err(ServiceError::NotFound("key")),
                    Err(_) => {
                        return Err(ServiceError::Unprocessable(
                            "the user has several keys: name one with key_id".into(),
                        ))
                    }
                }
            }
        };
        check_key_at(trust, &key, now)?;
        let key_bytes = parse_key_id(&key.id)?;
        let nonce = new_nonce(&mut rand::rngs::OsRng);
        let statement = LoginStatement::new(LoginFields {
            login: user.login.clone(),
            key: key_bytes,
            issued_at: now,
            nonce,
            extra: Vec::new(),
        })
        .map_err(|e| ServiceError::Unprocessable(e.to_string()))?
        .encode();
        store::insert_challenge(
            c,
            &ChallengeRow {
                nonce: hex::encode(nonce),
                user_id: user.id.clone(),
                key_id: key.id.clone(),
                purpose: Purpose::Login.as_str().to_owned(),
                statement: statement.clone(),
                issued_at: now.naive_utc(),
                expires_at: expires.naive_utc(),
                used_at: None,
            },
        )?;
        Ok((statement, key.id, expires))
    })
}

/// Exchanges a signed login statement for a bearer token.
pub fn login_token(
    conn: &mut WriteTx<'_>,
    trust: &TrustStore,
    statement_text: &str,
    signature_b64: &str,
) -> Result<IssuedToken, ServiceError> {
    let statement = match Statement::parse(statement_text) {
        Ok(Statement::Login(s)) => s,
        Ok(Statement::Document(_)) => {
            return Err(ServiceError::Unprocessable(
                "a document statement can never log in".into(),
            ))
        }
        Err(e) => return Err(ServiceError::Unprocessable(format!("statement: {e}"))),
    };
    let signature = parse_signature(signature_b64)?;
    let fields = statement.fields().clone();
    let now = storage::now();
    {
        let c = &mut *conn;
        let challenge = take_challenge(c, &fields.nonce, statement_text, now)?;
        if challenge.purpose != Purpose::Login.as_str() {
            return Err(ServiceError::Unprocessable(
                "the nonce was not issued for login".into(),
            ));
        }
        let user =
            orgs::user_by_id(c, &challenge.user_id)?.ok_or(ServiceError::NotFound("user"))?;
        if user.login != fields.login || challenge.key_id != hex::encode(fields.key) {
            return Err(ServiceError::Unprocessable(
                "the statement does not match its challenge".into(),
            ));
        }
        let key = store::key(c, &challenge.key_id)?.ok_or(ServiceError::NotFound("key"))?;
        let (_, public) = check_key_at(trust, &key, now)?;
        public
            .verify(statement_text.as_bytes(), &signature)
            .map_err(|_| ServiceError::Unauthorized("the login signature does not verify"))?;
        // Nested: a savepoint inside this transaction, under the same lock.
        admin::issue_token(
            conn,
            &Actor::KeyLogin(key.id.clone()),
            &fields.login,
            "key-login",
            Duration::hours(KEY_LOGIN_TOKEN_HOURS),
        )
    }
}

/// A signature just recorded, with the receipt of its ledger entry: run
/// once the group is sealed (the appender's `run_then`).
pub fn signed_view(
    conn: &mut DbConnection,
    row: SignatureRow,
    signer: String,
) -> Result<super::views::SignatureView, ServiceError> {
    let (_, receipt) = super::ledger::receipt(conn, row.ledger_seq)?;
    Ok(super::views::signature_view(
        row,
        signer,
        Some(receipt.encode()),
    ))
}
