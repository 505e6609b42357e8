//! `docflow audit --remote URL --log-key KEY`: an outside auditor's check
//! from the public API alone. It needs no database and trusts only the
//! log's public key:
//!
//! 1. every checkpoint the server serves must be signed by that key;
//! 2. the leaf hashes the server serves must give each checkpoint's root;
//! 3. consecutive checkpoints must be consistent (RFC 9162 proofs);
//! 4. the latest checkpoint must be consistent with the one the previous
//!    run verified (kept in a state file), so the log only ever grew.

use std::path::Path;

use anyhow::{bail, Context};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use docflow::core::checkpoint::{open_checkpoint, Checkpoint, NoteVerifier};
use docflow::core::merkle::{self, CompactRange, Hash};
use serde_json::Value;

pub struct Outcome {
    pub ok: bool,
    pub message: String,
}

struct Api {
    base: String,
    http: reqwest::blocking::Client,
}

impl Api {
    fn get(&self, path: &str) -> anyhow::Result<reqwest::blocking::Response> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .with_context(|| format!("GET {path}"))?;
        if !resp.status().is_success() {
            bail!("GET {path}: the server answered {}", resp.status());
        }
        Ok(resp)
    }

    fn json(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self.get(path)?.json()?)
    }

    fn hashes(v: &Value) -> anyhow::Result<Vec<Hash>> {
        v.as_array()
            .context("expected an array of hashes")?
            .iter()
            .map(|h| {
                let bytes = STANDARD.decode(h.as_str().context("hash is not a string")?)?;
                <[u8; 32]>::try_from(bytes).map_err(|_| anyhow::anyhow!("hash is not 32 bytes"))
            })
            .collect()
    }

    fn consistency(&self, from: u64, to: u64) -> anyhow::Result<Vec<Hash>> {
        Self::hashes(
            &self.json(&format!(
                "/api/v1/ledger/proof/consistency?from={from}&to={to}"
            ))?["consistency"],
        )
    }

    fn inclusion(&self, seq: u64, size: u64) -> anyhow::Result<Vec<Hash>> {
        Self::hashes(
            &self.json(&format!(
                "/api/v1/ledger/proof/inclusion?seq={seq}&tree_size={size}"
            ))?["audit_path"],
        )
    }
}

fn fail(message: String) -> anyhow::Result<Outcome> {
    Ok(Outcome { ok: false, message })
}

pub fn run(server: &str, verifier: &NoteVerifier, state_file: &Path) -> anyhow::Result<Outcome> {
    let api = Api {
        base: server.trim_end_matches('/').to_owned(),
        http: reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()?,
    };
    let latest_note = api.get("/api/v1/ledger/checkpoint")?.text()?;
    let latest = match open_checkpoint(verifier, &latest_note) {
        Ok(c) => c,
        Err(e) => {
            return fail(format!(
                "the latest checkpoint does not verify with the log key: {e}"
            ))
        }
    };

    // The previous run's checkpoint: the log must have only grown since.
    let previous: Option<Checkpoint> =
        match std::fs::read_to_string(state_file) {
            Ok(note) => Some(open_checkpoint(verifier, &note).with_context(|| {
                format!("{}: not a checkpoint of this log", state_file.display())
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {}", state_file.display())),
        };
    if let Some(prev) = &previous {
        if latest.size < prev.size {
            return fail(format!(
                "the log shrank: it was {} entries at the last audit, now {}",
                prev.size, latest.size
            ));
        }
        let proof = api.consistency(prev.size, latest.size)?;
        if let Err(e) =
            merkle::verify_consistency(prev.size, latest.size, &prev.root, &latest.root, &proof)
        {
            return fail(format!(
                "the log was rewritten: size {} is not consistent with size {} verified last time ({e})",
                latest.size, prev.size
            ));
        }
    }

    // Replay every leaf, checking each stored checkpoint on the way.
    let mut range = CompactRange::empty();
    let mut prev_cp: Option<Checkpoint> = None;
    let mut after = 0u64;
    let mut checkpoints: std::collections::VecDeque<Value> = Default::default();
    let mut verified_checkpoints = 0u64;
    while range.size() < latest.size {
        let end = (range.size() + 1000).min(latest.size);
        let page = api.json(&format!(
            "/api/v1/ledger/leaves?start={}&end={end}",
            range.size()
        ))?;
        let leaves = page["leaf_hashes"].as_array().context("leaf_hashes")?;
        if leaves.len() as u64 != end - range.size() {
            bail!(
                "the server returned {} leaves for {}..{end}",
                leaves.len(),
                range.size()
            );
        }
        for leaf in leaves {
            let bytes = hex::decode(leaf.as_str().context("leaf hash")?)?;
            let leaf: Hash = bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("leaf hash is not 32 bytes"))?;
            range.append(leaf);
            // Checkpoints of exactly this size.
            loop {
                if checkpoints.is_empty() {
                    let page = api.json(&format!("/api/v1/ledger/checkpoints?after={after}"))?;
                    checkpoints.extend(page.as_array().cloned().unwrap_or_default());
                    if checkpoints.is_empty() {
                        break;
                    }
                }
                let size = checkpoints[0]["tree_size"].as_u64().context("tree_size")?;
                if size > range.size() {
                    break;
                }
                let cp_json = checkpoints.pop_front().context("checkpoint")?;
                after = size;
                let note = cp_json["note"].as_str().context("note")?;
                let cp = match open_checkpoint(verifier, note) {
                    Ok(c) if c.size == size => c,
                    Ok(_) => {
                        return fail(format!(
                            "entry {size}: checkpoint of size {size} signs another size"
                        ))
                    }
                    Err(e) => {
                        return fail(format!(
                            "entry {size}: checkpoint of size {size} does not verify: {e}"
                        ))
                    }
                };
                if cp.root != range.root() {
                    return locate(&api, prev_cp.as_ref(), &cp);
                }
                if let Some(p) = &prev_cp {
                    let proof = api.consistency(p.size, cp.size)?;
                    if merkle::verify_consistency(p.size, cp.size, &p.root, &cp.root, &proof)
                        .is_err()
                    {
                        return fail(format!(
                            "entry {}: checkpoints of size {} and {} are not consistent",
                            cp.size, p.size, cp.size
                        ));
                    }
                }
                prev_cp = Some(cp);
                verified_checkpoints += 1;
            }
        }
    }
    if range.root() != latest.root {
        return fail(format!(
            "the entries do not give the latest checkpoint's root (size {})",
            latest.size
        ));
    }
    if let Some(dir) = state_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(state_file, &latest_note)
        .with_context(|| format!("writing {}", state_file.display()))?;
    let since = match &previous {
        Some(p) => format!("; consistent with the audit at size {}", p.size),
        None => "; first audit of this log".to_owned(),
    };
    Ok(Outcome {
        ok: true,
        message: format!(
            "ok: {} entries, root {}, {verified_checkpoints} checkpoints verified{since}",
            latest.size,
            hex::encode(latest.root)
        ),
    })
}

/// The checkpoint `cp` disagrees with the served leaves: find the first
/// leaf whose inclusion proof (from the server's stored tree) fails.
fn locate(api: &Api, prev: Option<&Checkpoint>, cp: &Checkpoint) -> anyhow::Result<Outcome> {
    let start = prev.map(|p| p.size).unwrap_or(0);
    for seq in (start + 1)..=cp.size {
        let leaves = api.json(&format!(
            "/api/v1/ledger/leaves?start={}&end={seq}",
            seq - 1
        ))?;
        let leaf: Hash = hex::decode(leaves["leaf_hashes"][0].as_str().context("leaf")?)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("leaf hash is not 32 bytes"))?;
        let proof = api.inclusion(seq, cp.size)?;
        if merkle::verify_inclusion(&leaf, seq - 1, cp.size, &proof, &cp.root).is_err() {
            return fail(format!(
                "entry {seq}: changed entry: its leaf hash is not the one the signed checkpoint of size {} covers",
                cp.size
            ));
        }
    }
    fail(format!(
        "entry {}: the served entries do not give the signed root of checkpoint {}",
        cp.size, cp.size
    ))
}
