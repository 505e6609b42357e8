//! `docflow audit`: recompute the chain from the database and check every
//! stored hash and every stored content's SHA-256.
//!
//! The checks themselves are the core crate's (`Entry::decode`,
//! `chain_hash`); this module only pages through the tables.

use std::collections::HashMap;
use std::fmt;

use docflow_core::checkpoint::{open_checkpoint, NoteVerifier};
use docflow_core::ledger::{chain_hash, sha256_hex, Entry, GENESIS_HASH};
use docflow_core::merkle::{self, CompactRange, Hash, NodeId};

use crate::storage::transparency::{self, CheckpointRow};

use crate::storage::{documents, ledger, DbConnection, StorageError};

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
    /// A signed checkpoint is invalid or does not match the entries.
    BadCheckpoint,
    /// A stored Merkle tree node does not match the entries.
    BadTreeNode,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProblemKind::ChangedEntry => "changed entry",
            ProblemKind::MissingEntry => "missing entry",
            ProblemKind::BrokenLink => "broken link",
            ProblemKind::ContentMismatch => "content does not match its hash",
            ProblemKind::BadCheckpoint => "bad checkpoint",
            ProblemKind::BadTreeNode => "bad tree node",
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
    pub checkpoints: i64,
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
        checkpoints: 0,
        problem: None,
    };
    if let Some(p) = check_chain(conn, &mut report, progress)? {
        report.problem = Some(p);
        return Ok(report);
    }
    if let Some(p) = check_tree(conn, &mut report)? {
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

/// Replays the entries into a Merkle tree: every stored node must match,
/// and every stored checkpoint must be validly signed, carry the root of the
/// entries up to its size, and be consistent with the one before it.
fn check_tree(
    conn: &mut DbConnection,
    report: &mut Report,
) -> Result<Option<Problem>, StorageError> {
    let verifier = match transparency::registered_key(conn)? {
        Some(text) => match NoteVerifier::parse(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                return Ok(Some(Problem {
                    seq: 0,
                    kind: ProblemKind::BadCheckpoint,
                    detail: format!("the registered log key is malformed: {e}"),
                }))
            }
        },
        None => None,
    };
    let mut range = CompactRange::empty();
    let mut previous: Option<(u64, Hash)> = None;
    let mut pending: std::collections::VecDeque<CheckpointRow> = Default::default();
    let mut checkpoints_after = 0u64;
    let mut after = 0i64;
    let bad = |seq: u64, kind, detail: String| {
        Ok(Some(Problem {
            seq: i64::try_from(seq).unwrap_or(i64::MAX),
            kind,
            detail,
        }))
    };
    loop {
        let rows = ledger::page(conn, after, PAGE)?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        let mut built: Vec<(NodeId, Hash)> = Vec::with_capacity(rows.len() * 2);
        let mut at_checkpoint: Vec<(u64, Hash)> = Vec::new();
        for row in &rows {
            built.extend(range.append(merkle::leaf_hash(&row.body)));
            at_checkpoint.push((range.size(), range.root()));
        }
        let ids: Vec<NodeId> = built.iter().map(|(id, _)| *id).collect();
        let stored = transparency::nodes(conn, &ids)?;
        for (id, hash) in &built {
            let first_leaf = id.index << id.level;
            match stored.get(id) {
                Some(h) if h == hash => {}
                Some(h) => {
                    return bad(
                        first_leaf + 1,
                        ProblemKind::BadTreeNode,
                        format!(
                            "stored node {id:?} is {} but the entries give {}",
                            hex::encode(h),
                            hex::encode(hash)
                        ),
                    )
                }
                // Nodes past the last checkpoint may not be written yet.
                None if first_leaf + (1u64 << id.level) > transparency::tree_size(conn)? => {}
                None => {
                    return bad(
                        first_leaf + 1,
                        ProblemKind::BadTreeNode,
                        format!("stored node {id:?} is missing"),
                    )
                }
            }
        }
        // Checkpoints whose size falls within this page.
        loop {
            if pending.is_empty() {
                pending.extend(transparency::checkpoints_after(
                    conn,
                    checkpoints_after,
                    PAGE,
                )?);
            }
            let Some(cp) = pending.front().cloned() else {
                break;
            };
            let size = u64::try_from(cp.tree_size).unwrap_or(0);
            if size > range.size() {
                break;
            }
            pending.pop_front();
            checkpoints_after = size;
            let Some((_, root)) = at_checkpoint.iter().find(|(s, _)| *s == size).copied() else {
                continue;
            };
            if let Some(p) = check_checkpoint(conn, verifier.as_ref(), &cp, size, root, previous)? {
                return Ok(Some(p));
            }
            previous = Some((size, root));
            report.checkpoints += 1;
        }
    }
    // A checkpoint beyond the entries means the end of the log was cut off.
    if pending.is_empty() {
        pending.extend(transparency::checkpoints_after(conn, checkpoints_after, 1)?);
    }
    if let Some(cp) = pending.front() {
        return bad(
            range.size() + 1,
            ProblemKind::MissingEntry,
            format!(
                "checkpoint of size {} was signed, but the log has only {} entries",
                cp.tree_size,
                range.size()
            ),
        );
    }
    Ok(None)
}

fn check_checkpoint(
    conn: &mut DbConnection,
    verifier: Option<&NoteVerifier>,
    cp: &CheckpointRow,
    size: u64,
    root: Hash,
    previous: Option<(u64, Hash)>,
) -> Result<Option<Problem>, StorageError> {
    let problem = |detail: String| {
        Ok(Some(Problem {
            seq: cp.tree_size,
            kind: ProblemKind::BadCheckpoint,
            detail: format!("checkpoint of size {size}: {detail}"),
        }))
    };
    let Some(verifier) = verifier else {
        return problem("no log key is registered to check it with".into());
    };
    let signed = match open_checkpoint(verifier, &cp.note) {
        Ok(c) => c,
        Err(e) => return problem(format!("its signature does not verify: {e}")),
    };
    if signed.size != size || signed.root != root || cp.root.as_slice() != root.as_slice() {
        return problem(format!(
            "it signs root {} but the entries give {}",
            hex::encode(signed.root),
            hex::encode(root)
        ));
    }
    if let Some((old_size, old_root)) = previous {
        let proof = transparency::consistency_proof(conn, old_size, size)?;
        if let Err(e) = merkle::verify_consistency(old_size, size, &old_root, &root, &proof) {
            return problem(format!(
                "not consistent with the checkpoint of size {old_size}: {e}"
            ));
        }
    }
    Ok(None)
}
