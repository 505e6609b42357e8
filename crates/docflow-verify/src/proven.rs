//! The proven view of a document version: every fact a verifier may show,
//! each read from a ledger entry whose receipt verifies against the pinned
//! log key, or from a statement a person signed.
//!
//! [`Proven::build`] refuses a bundle it cannot fully establish (a receipt
//! that does not verify, a gap or duplicate in the document's chain of
//! entries, a person or key named but not logged) with the reason; it never
//! fills a gap with a default. The stamps ([`crate::layout`]) and the report
//! are drawn from this view only.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, Utc};
use docflow_core::checkpoint::NoteVerifier;
use docflow_core::evidence::Bundle;
use docflow_core::keys::{fingerprint_of_spki_der, PublicKey, Signature};
use docflow_core::ledger::Entry;
use docflow_core::receipt::Receipt;
use docflow_core::statement::{DocumentFields, DocumentStatement, Purpose};
use docflow_flow::resolution::ResolutionSpec;
use docflow_flow::route::{Action, Decision, RouteSpec, Rule};
use serde_json::{Map, Value};

use crate::language::{parse_utc_offset, StampLanguage};

/// The stamp layouts this verifier can redraw. A layout names both what is
/// drawn and the bytes docflow-pdf writes for it; a change of either gets a
/// new name, and the old one stays here so old files still verify.
pub const LAYOUTS: &[&str] = &["docflow-stamp/1"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub login: String,
    pub name: String,
    pub position: String,
    /// The `user.created` entry.
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: String,
    pub code: String,
    pub name: String,
    pub stamp_language: StampLanguage,
    pub utc_offset: FixedOffset,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub created_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub reg_number: String,
    pub journal: String,
    pub at: DateTime<Utc>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: u64,
    pub sha256: String,
    pub size: u64,
    pub content_type: String,
    pub filename: String,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The fingerprint.
    pub id: String,
    pub form: String,
    pub spki: Vec<u8>,
    pub user: String,
    /// For X.509 keys, the certificate's subject, issuer and serial as
    /// the server logged them when it registered the key.
    pub certificate: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub seq: u64,
}

/// A signature the log recorded, with what its statement says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub seq: u64,
    /// The entry's time: when the server recorded it.
    pub time: DateTime<Utc>,
    pub fields: DocumentFields,
    pub statement: String,
    pub signature: String,
    pub signer: Person,
    pub key: Key,
    /// The person the signer acted for, when the statement says so.
    pub on_behalf_of: Option<Person>,
}

impl Signed {
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.fields
            .extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub assignee: Person,
    pub action: Action,
    /// Index into [`Proven::signatures`] of its decision.
    pub decision: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub rule: Rule,
    pub steps: Vec<Step>,
}

/// A route's outcome, computed from its logged stages and decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Rejected,
    Returned,
    /// Still waiting at this stage (0-based).
    Active(usize),
}

impl Outcome {
    /// The name the flow model and the stamps use.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Rejected => "rejected",
            Outcome::Returned => "returned",
            Outcome::Active(_) => "active",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub id: String,
    pub version: u64,
    pub seq: u64,
    pub stages: Vec<Stage>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executor {
    pub person: Person,
    pub responsible: bool,
    /// After approved extensions.
    pub deadline: DateTime<Utc>,
    pub reported: Option<DateTime<Utc>>,
    pub accepted: Option<DateTime<Utc>>,
    /// The flow model's assignment state: `assigned`, `reported`,
    /// `on-rework`, `executed`.
    pub state: String,
    /// Open past its deadline at the evidence's last entry, or done late.
    pub late: bool,
    /// The last report's time and text, bound by its signed SHA-256.
    pub report: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub id: String,
    pub seq: u64,
    pub author: Person,
    pub controller: Person,
    pub instruction: String,
    pub deadline: DateTime<Utc>,
    /// The flow model's resolution state: `draft`, `active`, `executed`.
    pub state: String,
    pub executors: Vec<Executor>,
}

/// What the evidence proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// The pinned log's name.
    pub origin: String,
    pub organisation: Organisation,
    pub document: Document,
    pub registration: Option<Registration>,
    pub version: Version,
    /// Every signature on the document, in log order.
    pub signatures: Vec<Signed>,
    /// Routes on this version.
    pub routes: Vec<Route>,
    pub resolutions: Vec<Resolution>,
    /// The document's last entry in the evidence: what it shows is the
    /// state as of this entry.
    pub as_of: (u64, DateTime<Utc>),
    /// The largest checkpoint a receipt carries.
    pub checkpoint_size: u64,
    pub layout: String,
    /// The QR record, a note signed by the log.
    pub qr: String,
    /// Problems with single signatures (a key revoked before signing, a
    /// signature that does not verify): the view still stands, the
    /// document is invalid.
    pub problems: BTreeMap<usize, Vec<String>>,
}

impl Proven {
    /// Signatures on the version this evidence is about, in log order.
    pub fn version_signatures(&self) -> impl Iterator<Item = (usize, &Signed)> {
        self.signatures
            .iter()
            .enumerate()
            .filter(|(_, s)| s.fields.version == self.version.number)
    }

}

/// The ledger entry of the last signature on `version` (0: none): what the
/// QR record names.
fn last_signature_seq(signatures: &[Signed], version: u64) -> u64 {
    signatures
        .iter()
        .filter(|s| s.fields.version == version)
        .map(|s| s.seq)
        .max()
        .unwrap_or(0)
}

/// The QR record's body for a version.
pub fn qr_record(document: &str, version: u64, sha256: &str, last_entry: u64) -> String {
    format!("docflow-qr/1\n{document}\n{version}\n{sha256}\n{last_entry}\n")
}

fn str_of<'a>(data: &'a Map<String, Value>, key: &str, seq: u64) -> Result<&'a str, String> {
    data.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("ledger entry {seq} lacks the text field {key:?}"))
}

fn u64_of(data: &Map<String, Value>, key: &str, seq: u64) -> Result<u64, String> {
    data.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("ledger entry {seq} lacks the number field {key:?}"))
}

fn time_of(text: &str, seq: u64) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("ledger entry {seq} holds a time that is not RFC 3339"))
}

/// Verifies every receipt and returns the entries, with the largest
/// checkpoint size seen.
fn open_receipts(
    receipts: &[String],
    log: &NoteVerifier,
    list: &str,
    checkpoint_size: &mut u64,
) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::with_capacity(receipts.len());
    for (i, text) in receipts.iter().enumerate() {
        let verified = Receipt::parse(text)
            .and_then(|r| r.verify(log, None))
            .map_err(|e| format!("{list} receipt {i} does not verify with the log key: {e}"))?;
        *checkpoint_size = (*checkpoint_size).max(verified.checkpoint.size);
        entries.push(verified.entry);
    }
    Ok(entries)
}

/// Builds the view, or says why the evidence does not establish it.
pub fn build(bundle: &Bundle, log: &NoteVerifier) -> Result<Proven, String> {
    if !LAYOUTS.contains(&bundle.stamp.layout.as_str()) {
        return Err(format!(
            "unknown stamp layout {:?}: this verifier redraws {}",
            bundle.stamp.layout,
            LAYOUTS.join(", ")
        ));
    }
    let mut checkpoint_size = 0;
    let entries = open_receipts(&bundle.entries, log, "history", &mut checkpoint_size)?;
    let context = open_receipts(&bundle.context, log, "context", &mut checkpoint_size)?;
    let subject = format!("document:{}", bundle.document);

    // The document's chain: its first entry, then each entry linking to the
    // one before, so nothing is left out or repeated in between.
    let mut prev = 0u64;
    for e in &entries {
        if e.subject != subject {
            return Err(format!(
                "ledger entry {} is about {}, not this document",
                e.seq, e.subject
            ));
        }
        if e.subject_prev != prev {
            return Err(if prev == 0 {
                format!(
                    "the history does not start with the document's first entry (entry {} follows entry {})",
                    e.seq, e.subject_prev
                )
            } else {
                format!(
                    "the history is not complete: entry {} follows entry {}, but the evidence goes on from entry {prev}",
                    e.seq, e.subject_prev
                )
            });
        }
        prev = e.seq;
    }
    let Some(first) = entries.first() else {
        return Err("the evidence holds no history of the document".into());
    };
    if first.kind != "document.created" {
        return Err(format!(
            "the document's first entry {} is {}, not document.created",
            first.seq, first.kind
        ));
    }
    let last = entries.last().unwrap_or(first);
    let as_of = (last.seq, last.time);

    // Context entries: each once, each subject in log order.
    let mut seen = BTreeSet::new();
    for e in &context {
        if !seen.insert(e.seq) {
            return Err(format!("ledger entry {} is in the evidence twice", e.seq));
        }
    }
    let mut people: BTreeMap<String, Person> = BTreeMap::new();
    let mut org_entries: Vec<&Entry> = Vec::new();
    let mut keys: BTreeMap<String, Key> = BTreeMap::new();
    let mut ordered = context.iter().collect::<Vec<_>>();
    ordered.sort_by_key(|e| e.seq);
    for e in ordered {
        let d = &e.data;
        match e.kind.as_str() {
            "user.created" => {
                let id = e
                    .subject
                    .strip_prefix("user:")
                    .ok_or_else(|| format!("ledger entry {} is not about a user", e.seq))?;
                people.insert(
                    id.to_owned(),
                    Person {
                        id: id.to_owned(),
                        login: str_of(d, "login", e.seq)?.to_owned(),
                        name: str_of(d, "full_name", e.seq)?.to_owned(),
                        position: str_of(d, "position", e.seq)?.to_owned(),
                        seq: e.seq,
                    },
                );
            }
            "org.created" | "org.settings-changed" => org_entries.push(e),
            "key.registered" => {
                let id = e
                    .subject
                    .strip_prefix("key:")
                    .ok_or_else(|| format!("ledger entry {} is not about a key", e.seq))?;
                let spki = base64::engine::general_purpose::STANDARD
                    .decode(str_of(d, "spki", e.seq)?)
                    .map_err(|_| {
                        format!("ledger entry {} holds a key that is not base64", e.seq)
                    })?;
                if fingerprint_of_spki_der(&spki) != id {
                    return Err(format!(
                        "ledger entry {} registers a key whose fingerprint is not {id}",
                        e.seq
                    ));
                }
                let certificate = match (d.get("subject"), d.get("serial")) {
                    (Some(Value::String(s)), Some(Value::String(n))) => Some(format!(
                        "{s} (serial {n}, issued by {})",
                        d.get("issuer").and_then(Value::as_str).unwrap_or("")
                    )),
                    _ => None,
                };
                keys.insert(
                    id.to_owned(),
                    Key {
                        id: id.to_owned(),
                        form: str_of(d, "form", e.seq)?.to_owned(),
                        spki,
                        user: str_of(d, "user", e.seq)?.to_owned(),
                        certificate,
                        revoked_at: None,
                        seq: e.seq,
                    },
                );
            }
            "key.revoked" => {
                let id = e.subject.strip_prefix("key:").unwrap_or("");
                let at = time_of(str_of(d, "revoked_at", e.seq)?, e.seq)?;
                let key = keys.get_mut(id).ok_or_else(|| {
                    format!(
                        "ledger entry {} revokes a key the evidence does not register",
                        e.seq
                    )
                })?;
                key.revoked_at = Some(key.revoked_at.map_or(at, |t| t.min(at)));
            }
            other => {
                return Err(format!(
                    "context entry {} is {other}, which the evidence has no use for",
                    e.seq
                ))
            }
        }
    }
    let person = |id: &str, what: &str| -> Result<Person, String> {
        people
            .get(id)
            .cloned()
            .ok_or_else(|| format!("{what} (user {id}) is not in the evidence"))
    };
    let by_login = |login: &str, what: &str| -> Result<Person, String> {
        people
            .values()
            .find(|p| p.login == login)
            .cloned()
            .ok_or_else(|| format!("{what} {login} is not in the evidence"))
    };

    // The document, its versions and registration.
    let d = &first.data;
    let org_id = str_of(d, "org", first.seq)?.to_owned();
    let document = Document {
        id: bundle.document.clone(),
        title: str_of(d, "title", first.seq)?.to_owned(),
        kind: str_of(d, "kind", first.seq)?.to_owned(),
        created_seq: first.seq,
    };
    let mut versions: BTreeMap<u64, Version> = BTreeMap::new();
    let mut registration = None;
    for e in &entries {
        let d = &e.data;
        match e.kind.as_str() {
            "document.created" | "document.version-added" => {
                if e.kind == "document.created" && e.seq != first.seq {
                    return Err(format!("ledger entry {} creates the document again", e.seq));
                }
                let number = u64_of(d, "version", e.seq)?;
                let v = Version {
                    number,
                    sha256: str_of(d, "sha256", e.seq)?.to_owned(),
                    size: u64_of(d, "size", e.seq)?,
                    content_type: str_of(d, "content_type", e.seq)?.to_owned(),
                    filename: str_of(d, "filename", e.seq)?.to_owned(),
                    seq: e.seq,
                };
                if versions.insert(number, v).is_some() {
                    return Err(format!(
                        "ledger entry {} adds version {number} again",
                        e.seq
                    ));
                }
            }
            "document.registered" => {
                registration = Some(Registration {
                    reg_number: str_of(d, "reg_number", e.seq)?.to_owned(),
                    journal: str_of(d, "journal", e.seq)?.to_owned(),
                    at: e.time,
                    seq: e.seq,
                });
            }
            _ => {}
        }
    }
    let version = versions.get(&bundle.version).cloned().ok_or_else(|| {
        format!(
            "the history records no version {} of the document",
            bundle.version
        )
    })?;

    // The organisation: created, then its settings as last changed.
    let org_subject = format!("org:{org_id}");
    let mut organisation: Option<Organisation> = None;
    for e in org_entries {
        if e.subject != org_subject {
            return Err(format!(
                "context entry {} is about another organisation",
                e.seq
            ));
        }
        let d = &e.data;
        let language = StampLanguage::parse(str_of(d, "stamp_language", e.seq)?)
            .ok_or_else(|| format!("ledger entry {} names an unknown stamp language", e.seq))?;
        let offset = parse_utc_offset(str_of(d, "utc_offset", e.seq)?)
            .map_err(|why| format!("ledger entry {}: {why}", e.seq))?;
        match (e.kind.as_str(), &mut organisation) {
            ("org.created", None) => {
                organisation = Some(Organisation {
                    id: org_id.clone(),
                    code: str_of(d, "code", e.seq)?.to_owned(),
                    name: str_of(d, "name", e.seq)?.to_owned(),
                    stamp_language: language,
                    utc_offset: offset,
                })
            }
            ("org.settings-changed", Some(o)) => {
                o.stamp_language = language;
                o.utc_offset = offset;
            }
            _ => {
                return Err(format!(
                    "context entry {} ({}) is out of order for the organisation",
                    e.seq, e.kind
                ))
            }
        }
    }
    let organisation = organisation
        .ok_or_else(|| "the organisation's creation entry is not in the evidence".to_owned())?;

    // Signatures: the statement and signature exactly as logged.
    let mut signatures = Vec::new();
    let mut problems: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.kind == "signature.added") {
        let d = &e.data;
        let statement = str_of(d, "statement", e.seq)?.to_owned();
        let signature = str_of(d, "signature", e.seq)?.to_owned();
        let fields = DocumentStatement::parse(&statement)
            .map_err(|err| format!("the statement of entry {} is malformed: {err}", e.seq))?
            .into_fields();
        if fields.document != document.id {
            return Err(format!(
                "the statement of entry {} is about another document",
                e.seq
            ));
        }
        if fields.purpose == Purpose::Login {
            return Err(format!("entry {} records a login statement", e.seq));
        }
        let key_id = hex::encode(fields.key);
        let key = keys.get(&key_id).cloned().ok_or_else(|| {
            format!(
                "the key {} that signed entry {} is not in the evidence",
                &key_id[..16],
                e.seq
            )
        })?;
        let signer = person(&key.user, "the key's owner")?;
        if signer.login != fields.signer {
            return Err(format!(
                "entry {}: the statement names signer {}, but the key is {}'s",
                e.seq, fields.signer, signer.login
            ));
        }
        let on_behalf_of = match fields
            .extra
            .iter()
            .find(|(k, _)| k == "on-behalf-of")
            .map(|(_, v)| v.as_str())
        {
            Some(login) => Some(by_login(login, "the person acted for")?),
            None => None,
        };
        let mut own = Vec::new();
        match versions.get(&fields.version) {
            Some(v) if v.sha256 == hex::encode(fields.sha256) => {}
            Some(_) => own.push(format!(
                "the statement names other content than version {}",
                fields.version
            )),
            None => own.push(format!(
                "the statement names version {}, which the history does not record",
                fields.version
            )),
        }
        match (
            PublicKey::from_spki_der(&key.spki),
            Signature::from_base64(&signature),
        ) {
            (Ok(k), Ok(sig)) if k.verify(statement.as_bytes(), &sig).is_ok() => {}
            _ => own.push("the signature does not verify with the key".to_owned()),
        }
        if let Some(revoked) = key.revoked_at {
            if revoked <= fields.issued_at {
                own.push(format!(
                    "the key was revoked ({}) before the signature",
                    docflow_core::ledger::format_time(&revoked)
                ));
            }
        }
        if !own.is_empty() {
            problems.insert(signatures.len(), own);
        }
        signatures.push(Signed {
            seq: e.seq,
            time: e.time,
            fields,
            statement,
            signature,
            signer,
            key,
            on_behalf_of,
        });
    }

    let routes = build_routes(
        &entries,
        &signatures,
        &person,
        &mut problems,
        bundle.version,
    )?;
    let resolutions =
        build_resolutions(&entries, &signatures, &person, &by_login, bundle, as_of.1)?;

    // The QR record must say what the stamps print.
    let record = qr_record(
        &document.id,
        version.number,
        &version.sha256,
        last_signature_seq(&signatures, version.number),
    );
    match log.open(&bundle.stamp.qr) {
        Ok(body) if body == record => {}
        Ok(_) => return Err("the QR record names another document, version or entry".into()),
        Err(e) => {
            return Err(format!(
                "the QR record does not verify with the log key: {e}"
            ))
        }
    }
    Ok(Proven {
        origin: log.name().to_owned(),
        organisation,
        document,
        registration,
        version,
        signatures,
        routes,
        resolutions,
        as_of,
        checkpoint_size,
        layout: bundle.stamp.layout.clone(),
        qr: bundle.stamp.qr.clone(),
        problems,
    })
}

fn needed(rule: Rule, steps: usize) -> usize {
    match rule {
        Rule::All => steps,
        Rule::Any => 1,
        Rule::Quorum(n) => usize::try_from(n).unwrap_or(usize::MAX),
    }
}

fn build_routes(
    entries: &[Entry],
    signatures: &[Signed],
    person: &dyn Fn(&str, &str) -> Result<Person, String>,
    problems: &mut BTreeMap<usize, Vec<String>>,
    version: u64,
) -> Result<Vec<Route>, String> {
    let mut routes = Vec::new();
    for e in entries.iter().filter(|e| e.kind == "route.started") {
        let d = &e.data;
        let id = str_of(d, "route", e.seq)?.to_owned();
        let route_version = u64_of(d, "version", e.seq)?;
        if route_version != version {
            continue;
        }
        let spec: RouteSpec = d
            .get("spec")
            .cloned()
            .ok_or_else(|| format!("ledger entry {} lacks the route", e.seq))
            .and_then(|v| {
                serde_json::from_value(v)
                    .map_err(|err| format!("the route in entry {} does not read: {err}", e.seq))
            })?;
        let mut stages = Vec::new();
        for stage in &spec.stages {
            let mut steps = Vec::new();
            for step in &stage.steps {
                steps.push(Step {
                    assignee: person(&step.assignee, "a step's assignee")?,
                    action: step.action,
                    decision: None,
                });
            }
            stages.push(Stage {
                rule: stage.rule,
                steps,
            });
        }
        for (i, s) in signatures.iter().enumerate() {
            if s.extra("route") != Some(id.as_str()) || problems.contains_key(&i) {
                continue;
            }
            let mut own = Vec::new();
            let place = s.extra("step").and_then(|p| {
                let (a, b) = p.split_once('.')?;
                Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?))
            });
            let decision: Option<Decision> = s.extra("decision").and_then(Decision::from_name);
            match (place, decision) {
                (Some((a, b)), Some(decision)) => {
                    match stages.get_mut(a).and_then(|st| st.steps.get_mut(b)) {
                        None => own.push(format!("decides step {a}.{b}, which the route lacks")),
                        Some(step) => {
                            let by_assignee = s.signer.id == step.assignee.id
                                || s.on_behalf_of.as_ref().map(|p| &p.id)
                                    == Some(&step.assignee.id);
                            if !by_assignee {
                                own.push(format!(
                                    "decides step {a}.{b}, whose assignee is {}",
                                    step.assignee.login
                                ));
                            } else if !decision.fits(step.action) {
                                own.push(format!("a decision that does not fit step {a}.{b}"));
                            } else if let Some(j) = step.decision {
                                own.push(format!(
                                    "step {a}.{b} was already decided in entry {}",
                                    signatures[j].seq
                                ));
                            } else {
                                step.decision = Some(i);
                            }
                        }
                    }
                }
                _ => own.push("a route decision without a readable step or decision".into()),
            }
            if !own.is_empty() {
                problems.entry(i).or_default().extend(own);
            }
        }
        let outcome = outcome(&stages, signatures);
        routes.push(Route {
            id,
            version: route_version,
            seq: e.seq,
            stages,
            outcome,
        });
    }
    Ok(routes)
}

fn decision_of(s: &Signed) -> Option<Decision> {
    s.extra("decision").and_then(Decision::from_name)
}

/// Stage by stage: a negative decision ends the route; a stage with the
/// positive decisions its rule needs lets the next one begin.
fn outcome(stages: &[Stage], signatures: &[Signed]) -> Outcome {
    for (i, stage) in stages.iter().enumerate() {
        let mut positives = 0;
        for step in &stage.steps {
            match step.decision.and_then(|j| decision_of(&signatures[j])) {
                Some(Decision::Reject) => return Outcome::Rejected,
                Some(Decision::ReturnForRevision) => return Outcome::Returned,
                Some(_) => positives += 1,
                None => {}
            }
        }
        if positives < needed(stage.rule, stage.steps.len()) {
            return Outcome::Active(i);
        }
    }
    Outcome::Approved
}

/// Replays each resolution through the flow model's own state machine,
/// with the drafted spec and the signed actions in log order, so the sheet
/// and the server judge execution by one rule.
fn build_resolutions(
    entries: &[Entry],
    signatures: &[Signed],
    person: &dyn Fn(&str, &str) -> Result<Person, String>,
    by_login: &dyn Fn(&str, &str) -> Result<Person, String>,
    bundle: &Bundle,
    as_of: DateTime<Utc>,
) -> Result<Vec<Resolution>, String> {
    let mut bound_texts = BTreeSet::new();
    let mut resolutions = Vec::new();
    for e in entries.iter().filter(|e| e.kind == "resolution.drafted") {
        let d = &e.data;
        let id = str_of(d, "resolution", e.seq)?.to_owned();
        let author = person(str_of(d, "author", e.seq)?, "the resolution's author")?;
        let spec: ResolutionSpec = d
            .get("spec")
            .cloned()
            .ok_or_else(|| format!("ledger entry {} lacks the resolution", e.seq))
            .and_then(|v| {
                serde_json::from_value(v).map_err(|err| {
                    format!("the resolution in entry {} does not read: {err}", e.seq)
                })
            })?;
        let controller = person(&spec.controller, "the controller")?;
        let mut res = docflow_flow::resolution::Resolution::new(
            spec.clone(),
            &author.id,
            &author.id,
            None,
            e.time,
        )
        .map_err(|err| format!("the resolution in entry {} is not valid: {err}", e.seq))?;
        let mut reports: BTreeMap<String, (DateTime<Utc>, String)> = BTreeMap::new();
        for s in signatures
            .iter()
            .filter(|s| s.extra("resolution") == Some(id.as_str()))
        {
            let me = s.signer.id.as_str();
            let at = s.time;
            let target = || -> Result<String, String> {
                let login = s
                    .extra("executor")
                    .ok_or_else(|| format!("the action in entry {} names no executor", s.seq))?;
                Ok(by_login(login, "the executor")?.id)
            };
            let done = match s.extra("action") {
                Some("sign") => res.sign(me, at),
                Some("report") => {
                    if let Some(text) = s.extra("content-sha256").and_then(|sha| {
                        bound_texts.insert(sha.to_owned());
                        bundle.texts.get(sha)
                    }) {
                        reports.insert(me.to_owned(), (at, text.clone()));
                    }
                    res.report(me, at)
                }
                Some("accept") => res.accept_report(&target()?, me, at).map(|_| ()),
                Some("return") => res.return_report(&target()?, me, at),
                Some("request-extension") => {
                    let deadline = s
                        .extra("deadline")
                        .ok_or_else(|| format!("the request in entry {} names no deadline", s.seq))
                        .and_then(|t| time_of(t, s.seq))?;
                    res.request_extension(me, deadline, at)
                }
                Some("approve-extension") => res.decide_extension(&target()?, me, true, at),
                Some("refuse-extension") => res.decide_extension(&target()?, me, false, at),
                other => {
                    return Err(format!(
                        "entry {} records an unknown resolution action {other:?}",
                        s.seq
                    ))
                }
            };
            done.map_err(|err| {
                format!(
                    "entry {} records a resolution action the rules refuse: {err}",
                    s.seq
                )
            })?;
        }
        let mut executors = Vec::new();
        for a in res.assignments() {
            executors.push(Executor {
                person: person(&a.user, "an executor")?,
                responsible: a.responsible,
                deadline: a.deadline,
                reported: a.reported_at,
                accepted: a.accepted_at,
                state: a.state.as_str().to_owned(),
                late: a.is_overdue(as_of) || a.completed_late(),
                report: reports.remove(&a.user),
            });
        }
        resolutions.push(Resolution {
            id,
            seq: e.seq,
            author,
            controller,
            instruction: spec.instruction,
            deadline: res.deadline(),
            state: res.state().as_str().to_owned(),
            executors,
        });
    }
    // Every text must be one a signed report binds; a text nobody signed
    // has no place in the evidence.
    for (sha, text) in &bundle.texts {
        let short = &sha[..sha.len().min(16)];
        if docflow_core::ledger::sha256_hex(text.as_bytes()) != *sha {
            return Err(format!("the text filed under {short} has another SHA-256"));
        }
        if !bound_texts.contains(sha) {
            return Err(format!(
                "the text filed under {short} is bound by no signed report"
            ));
        }
    }
    Ok(resolutions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use docflow_core::checkpoint::NoteSigner;

    #[test]
    fn the_qr_record_vector_is_what_the_code_signs() {
        let body = include_str!("../../../docs/vectors/qr-record-1.txt");
        let note = include_str!("../../../docs/vectors/qr-record-1.note");
        let skey = include_str!("../../../docs/vectors/checkpoint-key.skey").trim_end();
        assert_eq!(
            qr_record(
                "0193f2a4-5c1e-7b2a-9d3e-0123456789ab",
                1,
                "ff1cbc4c29f26438853512628849fd36dbd9712395214f669681ea2cd3af9861",
                12
            ),
            body
        );
        let signer = NoteSigner::from_signer_key(skey).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(signer.sign(body).unwrap_or_default(), note);
        assert_eq!(signer.verifier().open(note).ok().as_deref(), Some(body));
    }

    #[test]
    fn a_route_waits_until_its_rule_is_met_and_ends_on_a_refusal() {
        let person = Person {
            id: "u".into(),
            login: "u".into(),
            name: "U".into(),
            position: "P".into(),
            seq: 1,
        };
        let stage = |rule, n| Stage {
            rule,
            steps: (0..n)
                .map(|_| Step {
                    assignee: person.clone(),
                    action: Action::Approve,
                    decision: None,
                })
                .collect(),
        };
        assert_eq!(outcome(&[stage(Rule::All, 2)], &[]), Outcome::Active(0));
        assert_eq!(outcome(&[], &[]), Outcome::Approved);
        assert_eq!(needed(Rule::Quorum(2), 3), 2);
        assert_eq!(needed(Rule::Any, 3), 1);
    }
}
