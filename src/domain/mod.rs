//! Domain types and rules: no I/O, no database, no HTTP.

pub mod language;
pub mod organisation;

use serde::{Deserialize, Serialize};

/// A rule the input broke; names the field so the client can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// What a user may do. A user has one or more roles, within one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages the organisation's users and keys.
    Admin,
    /// Registers documents and their versions.
    Registrar,
    /// Decides on documents along approval routes.
    Approver,
    /// Executes resolutions and reports.
    Executor,
    /// Reads everything in the organisation, including the ledger.
    Auditor,
    /// Issues resolutions.
    Head,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Registrar,
        Role::Approver,
        Role::Executor,
        Role::Auditor,
        Role::Head,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Registrar => "registrar",
            Role::Approver => "approver",
            Role::Executor => "executor",
            Role::Auditor => "auditor",
            Role::Head => "head",
        }
    }

    pub fn parse(s: &str) -> Result<Role, Invalid> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                invalid(
                    "role",
                    format!("unknown role {s:?}; known: {}", known.join(", ")),
                )
            })
    }
}

/// A user's roles: sorted, without duplicates, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Result<Roles, Invalid> {
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(invalid("role", "a user needs at least one role"));
        }
        Ok(Roles(roles))
    }

    /// Parses the stored form, `admin,registrar`.
    pub fn parse_stored(s: &str) -> Result<Roles, Invalid> {
        Roles::new(
            s.split(',')
                .filter(|p| !p.is_empty())
                .map(Role::parse)
                .collect::<Result<_, _>>()?,
        )
    }

    pub fn to_stored(&self) -> String {
        self.names().join(",")
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|r| r.as_str()).collect()
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }
}

/// Who may read any ledger entry of the instance.
pub const READS_LEDGER: &[Role] = &[Role::Admin, Role::Auditor];

/// Who may register and revoke other users' signing keys.
pub const MANAGES_KEYS: &[Role] = &[Role::Admin, Role::Registrar];

/// Who may create registration journals.
pub const MANAGES_JOURNALS: &[Role] = &[Role::Admin, Role::Registrar];

/// Who may register documents and add versions.
pub const REGISTERS_DOCUMENTS: &[Role] = &[Role::Admin, Role::Registrar];

/// Which roles may make a signature of each purpose. Signing as author is
/// open to every role that handles documents; decisions on a route belong
/// to approvers and heads; resolutions to heads; reports to executors.
pub fn may_sign(purpose: docflow_core::statement::Purpose, roles: &Roles) -> Result<(), String> {
    use docflow_core::statement::Purpose as P;
    let allowed: &[Role] = match purpose {
        P::Sign => &[
            Role::Admin,
            Role::Registrar,
            Role::Approver,
            Role::Head,
            Role::Executor,
        ],
        P::Approve | P::ApproveWithRemarks | P::Reject | P::ReturnForRevision => {
            &[Role::Approver, Role::Head]
        }
        P::Resolution => &[Role::Head],
        P::Report => &[Role::Executor],
        P::Accept => &[Role::Head, Role::Registrar],
        P::Login => &[],
    };
    if roles.has_any(allowed) {
        Ok(())
    } else {
        let names: Vec<_> = allowed.iter().map(|r| r.as_str()).collect();
        Err(format!(
            "a {} signature needs one of the roles: {}",
            purpose.as_str(),
            names.join(", ")
        ))
    }
}

/// Document states and the rules of document flow live in `docflow-flow`.
pub use docflow_flow::document::{transition, DocumentEvent, DocumentState};

/// The document kinds an installation accepts (configurable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentKinds(Vec<String>);

/// Kinds that arrive from outside: registered on arrival, with the
/// correspondent's own number and date.
pub const INCOMING_KINDS: [&str; 2] = ["incoming-letter", "citizen-appeal"];

/// The kinds every Uzbek government office handles.
pub const DEFAULT_KINDS: [&str; 6] = [
    "incoming-letter",
    "outgoing-letter",
    "internal-memo",
    "order",
    "instruction",
    "citizen-appeal",
];

impl Default for DocumentKinds {
    fn default() -> Self {
        DocumentKinds(DEFAULT_KINDS.iter().map(|k| (*k).to_owned()).collect())
    }
}

impl DocumentKinds {
    pub fn new(kinds: Vec<String>) -> Result<DocumentKinds, Invalid> {
        if kinds.is_empty() {
            return Err(invalid("document_kinds", "the list is empty"));
        }
        for k in &kinds {
            if !is_slug(k, 64) {
                return Err(invalid(
                    "document_kinds",
                    format!("{k:?} must be lower-case letters, digits and '-'"),
                ));
            }
        }
        Ok(DocumentKinds(kinds))
    }

    pub fn list(&self) -> &[String] {
        &self.0
    }

    pub fn check(&self, kind: &str) -> Result<(), Invalid> {
        if self.0.iter().any(|k| k == kind) {
            Ok(())
        } else {
            Err(invalid(
                "kind",
                format!(
                    "unknown document kind {kind:?}; known: {}",
                    self.0.join(", ")
                ),
            ))
        }
    }
}

fn is_slug(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Journal index: `01-07`, `K/12`. Short, and the same in every script.
pub fn check_journal_code(code: &str) -> Result<(), Invalid> {
    let ok = (1..=20).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'.' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "code",
            "1 to 20 characters: Latin letters, digits, '-', '/', '.' or '_'",
        ))
    }
}

/// Organisation code: `MINFIN`, `ADLIYA-01`. Upper-case ASCII so it is the
/// same in every script the organisation's name is written in.
pub fn check_org_code(code: &str) -> Result<(), Invalid> {
    let ok = (2..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "code",
            "2 to 32 characters: upper-case Latin letters, digits, '-' or '_'",
        ))
    }
}

/// Login: `a.karimov`. Lower-case ASCII, so it is typed the same everywhere.
pub fn check_login(login: &str) -> Result<(), Invalid> {
    let ok = (2..=64).contains(&login.len())
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_'
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "login",
            "2 to 64 characters: lower-case Latin letters, digits, '.', '-' or '_'",
        ))
    }
}

/// Free text that a person reads: names, positions, titles. Any script
/// (Uzbek Cyrillic and Latin, Russian), one line, no control characters.
pub fn check_text(field: &'static str, value: &str, max_chars: usize) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(invalid(
            field,
            format!("longer than {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "must be one line without control characters",
        ));
    }
    Ok(())
}

/// The searchable form of a title: Unicode lower case, so "БУЙРУҚ" finds
/// "буйруқ" on both backends alike.
pub fn fold_for_search(s: &str) -> String {
    s.to_lowercase()
}

/// A file name as given by the client, reduced to its last path component.
pub fn clean_filename(name: Option<&str>) -> String {
    let base = name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect::<String>();
    if base.trim().is_empty() {
        "content".to_owned()
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_sorted_and_deduplicated() {
        let r = Roles::new(vec![Role::Registrar, Role::Admin, Role::Registrar]).unwrap();
        assert_eq!(r.to_stored(), "admin,registrar");
        assert_eq!(Roles::parse_stored("admin,registrar").unwrap(), r);
        assert!(Roles::parse_stored("admin,boss").is_err());
        assert!(Roles::new(vec![]).is_err());
    }

    #[test]
    fn names_in_every_script_are_accepted() {
        for name in [
            "Молия вазирлиги",
            "Moliya vazirligi",
            "Министерство финансов",
            "Ўзбекистон",
        ] {
            check_text("name", name, 300).unwrap();
        }
        assert!(check_text("name", "  ", 300).is_err());
        assert!(check_text("name", "a\nb", 300).is_err());
        assert_eq!(fold_for_search("БУЙРУҚ Order"), "буйруқ order");
    }

    #[test]
    fn codes_and_logins() {
        check_org_code("MINFIN").unwrap();
        assert!(check_org_code("minfin").is_err());
        check_login("a.karimov").unwrap();
        assert!(check_login("A.Karimov").is_err());
        assert!(check_login("x").is_err());
    }

    #[test]
    fn kinds() {
        let k = DocumentKinds::default();
        k.check("order").unwrap();
        assert!(k.check("poem").is_err());
        assert!(DocumentKinds::new(vec!["Bad Kind".into()]).is_err());
    }

    #[test]
    fn filenames_lose_their_directories() {
        assert_eq!(clean_filename(Some("C:\\docs\\buyruq.pdf")), "buyruq.pdf");
        assert_eq!(clean_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_filename(None), "content");
    }
}
