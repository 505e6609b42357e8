//! Organisations, users and API tokens.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{new_id, Actor, AuthUser, ServiceError};
use crate::domain::language::StampLanguage;
use crate::domain::organisation::{format_utc_offset, parse_utc_offset, OrgSettings};
use crate::domain::{check_login, check_org_code, check_text, Roles};
use crate::storage::models::{OrgRow, TokenRow, UserRow};
use crate::storage::{self, ledger, orgs, DbConnection, WriteTx};

/// Bearer tokens start with this, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "dft_";

pub fn add_org(
    conn: &mut WriteTx<'_>,
    actor: &Actor,
    code: &str,
    name: &str,
    settings: OrgSettings,
) -> Result<OrgRow, ServiceError> {
    check_org_code(code)?;
    check_text("name", name, 300)?;
    let now = storage::now();
    {
        let c = &mut *conn;
        if orgs::org_by_code(c, code)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "an organisation with code {code} already exists"
            )));
        }
        let row = OrgRow {
            id: new_id(),
            code: code.to_owned(),
            name: name.to_owned(),
            created_at: now.naive_utc(),
            stamp_language: settings.stamp_language.tag().to_owned(),
            utc_offset: format_utc_offset(settings.utc_offset),
        };
        orgs::insert_org(c, &row)?;
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "org.created",
                subject: format!("org:{}", row.id),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("code", json!(row.code)),
                    ("name", json!(row.name)),
                    ("stamp_language", json!(row.stamp_language)),
                    ("utc_offset", json!(row.utc_offset)),
                ]),
            },
        )?;
        Ok(row)
    }
}

/// A change of settings; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsChange {
    pub stamp_language: Option<StampLanguage>,
    pub utc_offset: Option<chrono::FixedOffset>,
}

/// Changes the organisation's settings; PDFs stamped from now on use them.
/// A real change is one ledger entry with the new settings.
/// The caller's organisation, as the API shows it.
pub fn organisation(
    conn: &mut DbConnection,
    user: &AuthUser,
) -> Result<super::views::OrganisationView, ServiceError> {
    orgs::org_by_id(conn, &user.org_id)?
        .map(Into::into)
        .ok_or(ServiceError::NotFound("organisation"))
}

pub fn update_settings(
    conn: &mut WriteTx<'_>,
    actor: &Actor,
    org_id: &str,
    change: SettingsChange,
) -> Result<OrgRow, ServiceError> {
    if change.stamp_language.is_none() && change.utc_offset.is_none() {
        return Err(ServiceError::Invalid(crate::domain::Invalid {
            field: "settings",
            reason: "give stamp_language and/or utc_offset".into(),
        }));
    }
    let now = storage::now();
    {
        let c = &mut *conn;
        let mut org = orgs::org_by_id(c, org_id)?.ok_or(ServiceError::NotFound("organisation"))?;
        let current = settings_of(&org);
        let language = change.stamp_language.unwrap_or(current.stamp_language);
        let offset = change.utc_offset.unwrap_or(current.utc_offset);
        let (language, offset) = (language.tag().to_owned(), format_utc_offset(offset));
        if org.stamp_language == language && org.utc_offset == offset {
            return Ok(org);
        }
        orgs::set_settings(c, &org.id, &language, &offset)?;
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "org.settings-changed",
                subject: format!("org:{}", org.id),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("stamp_language", json!(language)),
                    ("utc_offset", json!(offset)),
                ]),
            },
        )?;
        org.stamp_language = language;
        org.utc_offset = offset;
        Ok(org)
    }
}

/// The stored settings; a value this build cannot read (written by a newer
/// node) counts as the default.
pub fn settings_of(org: &OrgRow) -> OrgSettings {
    let default = OrgSettings::default();
    OrgSettings {
        stamp_language: StampLanguage::parse(&org.stamp_language).unwrap_or(default.stamp_language),
        utc_offset: parse_utc_offset(&org.utc_offset).unwrap_or(default.utc_offset),
    }
}

pub struct NewUser<'a> {
    pub org_code: &'a str,
    pub login: &'a str,
    pub full_name: &'a str,
    pub position: &'a str,
    pub roles: Roles,
    /// The department (for execution reports), in any script.
    pub department: Option<&'a str>,
}

pub fn add_user(
    conn: &mut WriteTx<'_>,
    actor: &Actor,
    new: NewUser<'_>,
) -> Result<(UserRow, OrgRow), ServiceError> {
    check_login(new.login)?;
    check_text("name", new.full_name, 300)?;
    check_text("position", new.position, 300)?;
    if let Some(d) = new.department {
        check_text("department", d, 300)?;
    }
    let now = storage::now();
    {
        let c = &mut *conn;
        let org =
            orgs::org_by_code(c, new.org_code)?.ok_or(ServiceError::NotFound("organisation"))?;
        if orgs::user_by_login(c, new.login)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "a user with login {} already exists",
                new.login
            )));
        }
        let row = UserRow {
            id: new_id(),
            org_id: org.id.clone(),
            login: new.login.to_owned(),
            full_name: new.full_name.to_owned(),
            position: new.position.to_owned(),
            roles: new.roles.to_stored(),
            created_at: now.naive_utc(),
            department: new.department.map(str::to_owned),
        };
        orgs::insert_user(c, &row)?;
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "user.created",
                subject: format!("user:{}", row.id),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("org", json!(org.id)),
                    ("login", json!(row.login)),
                    ("full_name", json!(row.full_name)),
                    ("position", json!(row.position)),
                    ("roles", json!(new.roles.names())),
                    ("department", json!(new.department)),
                ]),
            },
        )?;
        Ok((row, org))
    }
}

/// A token as shown once to whoever asked for it; only its hash is kept.
pub struct IssuedToken {
    pub row: TokenRow,
    pub secret: String,
}

pub fn hash_token(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

pub fn issue_token(
    conn: &mut WriteTx<'_>,
    actor: &Actor,
    login: &str,
    label: &str,
    ttl: Duration,
) -> Result<IssuedToken, ServiceError> {
    check_text("label", label, 200)?;
    if ttl <= Duration::zero() || ttl > Duration::days(3650) {
        return Err(ServiceError::BadRequest(
            "the token lifetime must be between 1 second and 10 years".into(),
        ));
    }
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, raw)
    );
    let now = storage::now();
    {
        let c = &mut *conn;
        let user = orgs::user_by_login(c, login)?.ok_or(ServiceError::NotFound("user"))?;
        let row = TokenRow {
            id: new_id(),
            user_id: user.id.clone(),
            token_hash: hash_token(&secret).to_vec(),
            label: label.to_owned(),
            created_at: now.naive_utc(),
            expires_at: (now + ttl).naive_utc(),
            revoked_at: None,
        };
        orgs::insert_token(c, &row)?;
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "token.issued",
                subject: format!("token:{}", row.id),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("user", json!(user.id)),
                    ("label", json!(row.label)),
                    (
                        "expires_at",
                        json!(docflow_core::ledger::format_time(&(now + ttl))),
                    ),
                ]),
            },
        )?;
        Ok(IssuedToken { row, secret })
    }
}

pub fn revoke_token(
    conn: &mut WriteTx<'_>,
    actor: &Actor,
    token_id: &str,
) -> Result<TokenRow, ServiceError> {
    let now = storage::now();
    {
        let c = &mut *conn;
        let mut token = orgs::token_by_id(c, token_id)?.ok_or(ServiceError::NotFound("token"))?;
        if token.revoked_at.is_some() {
            return Err(ServiceError::Conflict(
                "the token is already revoked".into(),
            ));
        }
        orgs::revoke_token(c, token_id, now.naive_utc())?;
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "token.revoked",
                subject: format!("token:{}", token.id),
                actor: actor.ledger_name(),
                data: ledger::data([("user", json!(token.user_id))]),
            },
        )?;
        token.revoked_at = Some(now.naive_utc());
        Ok(token)
    }
}

/// Finds the user behind a bearer token. Every failure looks the same to
/// the caller, so a token's state is not revealed.
pub fn authenticate(
    conn: &mut DbConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<AuthUser, ServiceError> {
    const BAD: ServiceError =
        ServiceError::Unauthorized("the bearer token is invalid, expired or revoked");
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
        return Err(BAD);
    }
    let hash = hash_token(secret);
    let Some((token, user)) = orgs::token_with_user(conn, &hash)? else {
        return Err(BAD);
    };
    // The lookup is by hash; the comparison is still constant-time so no
    // timing of ours depends on secret bytes.
    let same: bool = token.token_hash.as_slice().ct_eq(hash.as_slice()).into();
    if !same || token.revoked_at.is_some() || token.expires_at <= now.naive_utc() {
        return Err(BAD);
    }
    let roles = Roles::parse_stored(&user.roles)
        .map_err(|e| storage::StorageError::Corrupt(format!("user {}: {e}", user.id)))?;
    Ok(AuthUser {
        user_id: user.id,
        org_id: user.org_id,
        login: user.login,
        roles,
        token_id: token.id,
    })
}
