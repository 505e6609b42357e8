//! `docflow audit`: recompute the chain from the database and check every
//! stored hash and every stored content's SHA-256.
//!
//! The checks themselves are the core crate's (`Entry::decode`,
//! `chain_hash`); this module only pages through the tables.

use std::collections::HashMap;
use std::fmt;

use docflow_core::ledger::{chain_hash, sha256_hex, Entry, GENESIS_HASH};

use super::{documents, ledger, DbConnection, StorageError};

const PAGE: i64 = 1000;
/// Content is read a few blobs at a time: each may be up to the upload limit.
const BLOB_PAGE: i64 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The entry's bytes, fields or hash were changed after it was written.
    ChangedEntry,
    /// A number is missing from 1..n.
    MissingEntry,
    /// The entry does not link to the previous one (prev hash or subject link).
    BrokenLink,
    /// Stored content does not match the SHA-256 it was recorded with.
    ContentMismatch,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProblemKind::ChangedEntry => "changed entry",
            ProblemKind::MissingEntry => "missing entry",
            ProblemKind::BrokenLink => "broken link",
            ProblemKind::ContentMismatch => "content does not match its hash",
        })
    }
}

/// The first thing found wrong, named by its ledger entry number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub seq: i64,
    pub kind: ProblemKind,
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {}: {}: {}", self.seq, self.kind, self.detail)
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub entries: i64,
    pub head: [u8; 32],
    pub blobs: i64,
    pub problem: Option<Problem>,
}

/// Progress, for a bar or plain lines.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    Start { entries: i64, blobs: i64 },
    Entries(i64),
    Blobs(i64),
}

pub fn run(
    conn: &mut DbConnection,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, StorageError> {
    let total_entries = ledger::count(conn)?;
    let total_blobs = documents::blob_count(conn)?;
    progress(Progress::Start {
        entries: total_entries,
        blobs: total_blobs,
    });
    let mut report = Report {
        entries: 0,
        head: GENESIS_HASH,
        blobs: 0,
        problem: None,
    };
    if let Some(p) = check_chain(conn, &mut report, progress)? {
        report.problem = Some(p);
        return Ok(report);
    }
    report.problem = check_content(conn, &mut report, progress)?;
    Ok(report)
}

fn check_chain(
    conn: &mut DbConnection,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<Problem>, StorageError> {
    let mut expected: i64 = 1;
    let mut prev = GENESIS_HASH;
    // Last entry seen per subject, to check each entry's subject link.
    let mut last_of_subject: HashMap<String, i64> = HashMap::new();
    let problem = |seq, kind, detail: String| Ok(Some(Problem { seq, kind, detail }));
    loop {
        let rows = ledger::page(conn, expected - 1, PAGE)?;
        let Some(last) = rows.last() else { break };
        let (from, upto) = (expected - 1, last.seq);
        let mut recorded: HashMap<i64, Entry> = HashMap::new();
        for row in rows {
            if row.seq != expected {
                return problem(
                    expected,
                    ProblemKind::MissingEntry,
                    format!("the next stored entry is {}", row.seq),
                );
            }
            if row.prev_hash.as_slice() != prev.as_slice() {
                return problem(
                    row.seq,
                    ProblemKind::BrokenLink,
                    format!(
                        "its previous hash {} is not entry {}'s hash {}",
                        hex::encode(&row.prev_hash),
                        row.seq - 1,
                        hex::encode(prev)
                    ),
                );
            }
            let entry = match Entry::decode(&row.body) {
                Ok(e) => e,
                Err(e) => {
                    return problem(
                        row.seq,
                        ProblemKind::ChangedEntry,
                        format!("its bytes do not decode: {e}"),
                    )
                }
            };
            let mismatch = if entry.seq != row.seq as u64 {
                Some("seq")
            } else if entry.kind != row.kind {
                Some("kind")
            } else if entry.subject != row.subject {
                Some("subject")
            } else if entry.subject_prev != row.subject_prev as u64 {
                Some("subject-prev")
            } else if entry.time.naive_utc() != row.recorded_at {
                Some("time")
            } else {
                None
            };
            if let Some(field) = mismatch {
                return problem(
                    row.seq,
                    ProblemKind::ChangedEntry,
                    format!("the stored {field} differs from the entry's bytes"),
                );
            }
            let computed = chain_hash(&prev, &row.body);
            if row.hash.as_slice() != computed.as_slice() {
                return problem(
                    row.seq,
                    ProblemKind::ChangedEntry,
                    format!(
                        "stored hash {} but its bytes hash to {}",
                        hex::encode(&row.hash),
                        hex::encode(computed)
                    ),
                );
            }
            let subject_prev = last_of_subject.get(&row.subject).copied().unwrap_or(0);
            if row.subject_prev != subject_prev {
                return problem(
                    row.seq,
                    ProblemKind::BrokenLink,
                    format!(
                        "links to entry {} as {}'s previous event, but that is entry {}",
                        row.subject_prev, row.subject, subject_prev
                    ),
                );
            }
            last_of_subject.insert(row.subject.clone(), row.seq);
            prev = computed;
            expected += 1;
            recorded.insert(row.seq, entry);
        }
        if let Some(p) = check_versions(conn, from, upto, &recorded)? {
            return Ok(Some(p));
        }
        report.entries = upto;
        report.head = prev;
        progress(Progress::Entries(upto));
    }
    // A version recorded by an entry beyond the head means entries were cut off.
    let orphans = documents::versions_by_ledger_range(conn, report.entries, i64::MAX)?;
    if let Some(v) = orphans.iter().min_by_key(|v| v.ledger_seq) {
        return problem(
            report.entries + 1,
            ProblemKind::MissingEntry,
            format!(
                "document {} version {} was recorded by entry {}, which is gone",
                v.document_id, v.version, v.ledger_seq
            ),
        );
    }
    Ok(None)
}

/// Each version row must match what its ledger entry recorded.
fn check_versions(
    conn: &mut DbConnection,
    after: i64,
    upto: i64,
    recorded: &HashMap<i64, Entry>,
) -> Result<Option<Problem>, StorageError> {
    let mut rows = documents::versions_by_ledger_range(conn, after, upto)?;
    rows.sort_by_key(|v| v.ledger_seq);
    for v in rows {
        let Some(entry) = recorded.get(&v.ledger_seq) else {
            continue;
        };
        let same = entry.subject == format!("document:{}", v.document_id)
            && entry.data.get("version").and_then(|x| x.as_i64()) == Some(i64::from(v.version))
            && entry.data.get("sha256").and_then(|x| x.as_str()) == Some(v.sha256.as_str())
            && entry.data.get("size").and_then(|x| x.as_i64()) == Some(v.size);
        if !same {
            return Ok(Some(Problem {
                seq: v.ledger_seq,
                kind: ProblemKind::ChangedEntry,
                detail: format!(
                    "document {} version {} (sha256 {}) differs from what the entry recorded",
                    v.document_id, v.version, v.sha256
                ),
            }));
        }
    }
    Ok(None)
}

fn check_content(
    conn: &mut DbConnection,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<Problem>, StorageError> {
    let mut after = String::new();
    loop {
        let page = documents::blob_page(conn, &after, BLOB_PAGE)?;
        let Some((last, _, _)) = page.last() else {
            return Ok(None);
        };
        let next_after = last.clone();
        for (sha256, size, data) in page {
            let computed = sha256_hex(&data);
            if computed != sha256 || usize::try_from(size).ok() != Some(data.len()) {
                let users = documents::versions_with_content(conn, &sha256)?;
                let (seq, whose) = match users.first() {
                    Some(v) => (
                        v.ledger_seq,
                        format!("document {} version {}", v.document_id, v.version),
                    ),
                    None => (0, "unreferenced content".to_owned()),
                };
                return Ok(Some(Problem {
                    seq,
                    kind: ProblemKind::ContentMismatch,
                    detail: format!(
                        "{whose}: stored as {sha256} ({size} bytes) but the bytes hash to {computed} ({} bytes)",
                        data.len()
                    ),
                }));
            }
            report.blobs += 1;
        }
        progress(Progress::Blobs(report.blobs));
        after = next_after;
    }
}
