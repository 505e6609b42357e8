//! Statements, signatures and login by key.
//!
//! The server issues the exact statement to sign (with a fresh nonce and
//! time) and remembers it; a signature is accepted only over those bytes,
//! by the caller's own usable key, before the statement expires, once.

use chrono::Duration;
use docflow_core::checkpoint::NoteSigner;
use docflow_core::keys::{PrivateKey, Signature};
use docflow_core::statement::{new_nonce, LoginFields, LoginStatement, Purpose, Statement};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::admin::{self, IssuedToken};
use super::keys::{check_key_at, TrustStore};
use super::signing::{
    issue, parse_key_id, parse_signature, record, take_challenge, verify_submission, Expected,
    Submission,
};
use super::{Actor, AuthUser, ServiceError};
use crate::domain::may_sign;
use crate::storage::models::{ChallengeRow, KeyRow, LoginDecoyRow, SignatureRow};
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

/// The answer to a login that has no usable key.
///
/// `POST /auth/challenge` answers every login alike, so it cannot tell
/// anyone which logins exist: a login that does not exist, or has no key
/// the server would pick, gets a decoy challenge of the same shape, stored
/// like a real one (in `login_decoys`), naming a decoy key. The decoy key is
/// an Ed25519 key whose seed is an HMAC-SHA-256 of the login under a secret
/// derived from the log's signing key, which every node of one database
/// shares: the same login always gets the same decoy key, on every node, as
/// a real user always gets their own key. Only `POST /auth/token` refuses a
/// decoy, with the answer to a bad signature (401).
pub struct LoginDecoys {
    secret: [u8; 32],
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl LoginDecoys {
    /// The decoys of the server whose log signs with `log`.
    pub fn new(log: &NoteSigner) -> LoginDecoys {
        LoginDecoys {
            secret: hmac(
                log.signer_key_string().as_bytes(),
                b"docflow login decoys v1",
            ),
        }
    }

    /// The decoy key of `login`; its private half is never used.
    fn key(&self, login: &str) -> PrivateKey {
        PrivateKey::from_seed(&hmac(&self.secret, login.as_bytes()))
    }
}

/// Issues a login challenge for `login`'s key (`key_id`, or the user's only
/// active key). The answer says nothing about whether the login exists: a
/// decoy ([`LoginDecoys`]) answers a login that does not, a `key_id` that
/// is not the user's, and, without `key_id`, a user without exactly one
/// usable active key. Whoever names their own key learns whether it is
/// usable (revoked, expired certificate), as before.
pub fn login_challenge(
    conn: &mut DbConnection,
    trust: &TrustStore,
    decoys: &LoginDecoys,
    login: &str,
    key_id: Option<&str>,
) -> Result<(String, String, chrono::DateTime<chrono::Utc>), ServiceError> {
    let now = storage::now();
    let expires = now + Duration::minutes(LOGIN_TTL_MINUTES);
    if let Some(id) = key_id {
        parse_key_id(id)?;
    }
    write_tx_unsealed(conn, |c| {
        // The same queries for every login, known or not.
        let user = orgs::user_by_login(c, login)?;
        let keys = store::keys_of_user(c, user.as_ref().map_or("", |u| u.id.as_str()))?;
        let key: Option<KeyRow> = match key_id {
            Some(id) => keys.into_iter().find(|k| k.id == id),
            None => {
                let active: Vec<_> = keys
                    .into_iter()
                    .filter(|k| k.revoked_at.is_none())
                    .collect();
                <[_; 1]>::try_from(active).ok().map(|[only]| only)
            }
        };
        let key = match key {
            Some(key) => match check_key_at(trust, &key, now) {
                Ok(_) => Some(key),
                // A key the caller did not name tells them nothing.
                Err(e @ (ServiceError::Storage(_) | ServiceError::Internal(_))) => return Err(e),
                Err(_) if key_id.is_none() => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let (user_id, key_bytes) = match (&user, &key) {
            (Some(u), Some(k)) => (Some(u.id.clone()), parse_key_id(&k.id)?),
            _ => {
                let bytes = match key_id {
                    Some(id) => parse_key_id(id)?,
                    None => decoys.key(login).public_key().fingerprint_bytes(),
                };
                (None, bytes)
            }
        };
        let nonce = new_nonce(&mut rand::rngs::OsRng);
        let statement = LoginStatement::new(LoginFields {
            login: login.to_owned(),
            key: key_bytes,
            issued_at: now,
            nonce,
            extra: Vec::new(),
        })
        .map_err(|e| ServiceError::Unprocessable(e.to_string()))?
        .encode();
        let key_id = hex::encode(key_bytes);
        store::prune_decoys(c, (now - Duration::days(1)).naive_utc())?;
        match user_id {
            Some(user_id) => store::insert_challenge(
                c,
                &ChallengeRow {
                    nonce: hex::encode(nonce),
                    user_id,
                    key_id: key_id.clone(),
                    purpose: Purpose::Login.as_str().to_owned(),
                    statement: statement.clone(),
                    issued_at: now.naive_utc(),
                    expires_at: expires.naive_utc(),
                    used_at: None,
                },
            )?,
            None => store::insert_decoy(
                c,
                &LoginDecoyRow {
                    nonce: hex::encode(nonce),
                    login: login.to_owned(),
                    key_id: key_id.clone(),
                    statement: statement.clone(),
                    issued_at: now.naive_utc(),
                    expires_at: expires.naive_utc(),
                },
            )?,
        }
        Ok((statement, key_id, expires))
    })
}

/// The refusal of a signed decoy challenge: the checks of a real one, in
/// the same order and with the same answers, ending where a bad signature
/// ends (401).
fn refuse_decoy(
    c: &mut DbConnection,
    decoys: &LoginDecoys,
    decoy: &LoginDecoyRow,
    statement_text: &str,
    signature: &Signature,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceError {
    if decoy.statement != statement_text {
        return ServiceError::Unprocessable(
            "the statement differs from the one issued with its nonce".into(),
        );
    }
    if decoy.expires_at <= now.naive_utc() {
        return ServiceError::Unprocessable("the statement has expired; fetch a new one".into());
    }
    // The work a real one does: the user, the key, the signature.
    let _ = orgs::user_by_login(c, &decoy.login);
    let _ = store::key(c, &decoy.key_id);
    let _ = decoys
        .key(&decoy.login)
        .public_key()
        .verify(statement_text.as_bytes(), signature);
    ServiceError::Unauthorized(BAD_LOGIN_SIGNATURE)
}

const BAD_LOGIN_SIGNATURE: &str = "the login signature does not verify";

/// Exchanges a signed login statement for a bearer token.
pub fn login_token(
    conn: &mut WriteTx<'_>,
    trust: &TrustStore,
    decoys: &LoginDecoys,
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
        if let Some(decoy) = store::decoy(c, &hex::encode(fields.nonce))? {
            return Err(refuse_decoy(
                c,
                decoys,
                &decoy,
                statement_text,
                &signature,
                now,
            ));
        }
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
            .map_err(|_| ServiceError::Unauthorized(BAD_LOGIN_SIGNATURE))?;
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
