//! The Merkle tree of the transparency log, as in RFC 9162 §2.1.
//!
//! Storage model: the server keeps the hash of every *complete aligned
//! subtree* ([`NodeId`]), written once when it becomes complete and never
//! changed. Every proof element and every root is either one such node or
//! the fold of a few of them along the right edge of the tree, so a proof
//! reads O(log n) rows and never scans the log. The functions here are pure:
//! [`inclusion_plan`] / [`consistency_plan`] / [`root_plan`] say which nodes
//! are needed (one query), and [`ProofPlan::assemble`] builds the proof from
//! what the query returned.
//!
//! The verifiers are the RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms; the
//! `reference_*` functions and [`root_from_leaves`] are the recursive
//! definitions of §2.1.1 and exist so that tests and self-checks compare the
//! two independent formulations.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf, an interior node or a root.
pub type Hash = [u8; 32];

/// Proof elements a tree of at most `u64::MAX` leaves can need.
pub const MAX_PROOF_LEN: usize = 64;

/// SHA-256(0x00 ‖ data): the hash of a log entry (RFC 9162 §2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// SHA-256(0x01 ‖ left ‖ right): the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// SHA-256 of the empty string: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// A complete aligned subtree: the leaves `[index·2^level, (index+1)·2^level)`.
/// Level 0 nodes are the leaf hashes themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub const fn new(level: u8, index: u64) -> NodeId {
        NodeId { level, index }
    }

    /// The node holding the hash of leaf `index`.
    pub const fn leaf(index: u64) -> NodeId {
        NodeId { level: 0, index }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("the tree is empty")]
    EmptyTree,
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {new} is smaller than the earlier size {old}")]
    SizeDecreased { old: u64, new: u64 },
    #[error("proof has {got} hashes, expected {expected}")]
    WrongProofLength { expected: usize, got: usize },
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
    #[error("the proof does not lead to the earlier root")]
    OldRootMismatch,
    #[error("node {0:?} is missing from storage")]
    MissingNode(NodeId),
    #[error("a tree of size {size} has {expected} frontier hashes, got {got}")]
    WrongPeakCount {
        size: u64,
        expected: usize,
        got: usize,
    },
}

/// The maximal complete aligned subtrees covering `[start, end)`, left to
/// right. `range_nodes(0, size)` are the frontier ("peaks") of a tree of
/// `size` leaves. Empty when `start >= end`.
pub fn range_nodes(start: u64, end: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        // The largest subtree that starts at `pos` and does not pass `end`.
        let align = pos.trailing_zeros(); // 64 when pos == 0
        let fit = 63 - (end - pos).leading_zeros();
        let level = align.min(fit);
        out.push(NodeId::new(level as u8, pos >> level));
        pos += 1u64 << level;
    }
    out
}

/// MTH of a subtree-shaped range given its `range_nodes`: the nodes are
/// folded from the right, which is how §2.1.1 splits a right-edge range.
fn fold_right(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    match iter.next() {
        None => empty_root(),
        Some(last) => iter.fold(*last, |acc, left| node_hash(left, &acc)),
    }
}

/// The largest power of two strictly smaller than `n`; `n >= 2`.
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Leaf ranges whose MTH form the audit path of `index`, leaf side first.
/// Each range starts at a multiple of a power of two at least its length, so
/// its MTH is the right fold of its `range_nodes`.
fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let (mut lo, mut hi) = (0u64, size);
    let mut out = Vec::new();
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            out.push((mid, hi));
            hi = mid;
        } else {
            out.push((lo, mid));
            lo = mid;
        }
    }
    out.reverse();
    out
}

/// Leaf ranges of SUBPROOF(m, D[0:n], true) (RFC 9162 §2.1.4.1); 0 < m < n.
fn consistency_ranges(old_size: u64, new_size: u64) -> Vec<(u64, u64)> {
    let (mut lo, mut hi, mut m, mut complete) = (0u64, new_size, old_size, true);
    let mut out = Vec::new();
    loop {
        let len = hi - lo;
        if m == len {
            if !complete {
                out.push((lo, hi));
            }
            break;
        }
        let k = split_point(len);
        if m <= k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            lo += k;
            m -= k;
            complete = false;
        }
    }
    out.reverse();
    out
}

/// Number of hashes in the audit path of `index` in a tree of `size`.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    // Levels where the path of `index` and that of the last leaf differ are
    // full siblings; above them, every set bit is a left neighbour.
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = if inner >= 64 {
        0
    } else {
        (index >> inner).count_ones()
    };
    (inner + border) as usize
}

/// Which stored nodes a proof or root needs, and how to combine them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPlan {
    /// Every node to fetch, without duplicates.
    pub needed: Vec<NodeId>,
    /// One entry per output hash: the nodes folded into it, left to right.
    parts: Vec<Vec<NodeId>>,
}

impl ProofPlan {
    fn from_ranges(ranges: &[(u64, u64)]) -> ProofPlan {
        let parts: Vec<Vec<NodeId>> = ranges.iter().map(|&(a, b)| range_nodes(a, b)).collect();
        // Ranges of one proof are disjoint, so this never drops anything.
        let needed = parts.iter().flatten().copied().collect();
        ProofPlan { needed, parts }
    }

    /// Number of hashes [`ProofPlan::assemble`] returns.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Builds the proof (or, for a [`root_plan`], the one-element root) from
    /// the fetched nodes.
    pub fn assemble(
        &self,
        mut lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, ProofError> {
        let mut out = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let hashes = part
                .iter()
                .map(|&id| lookup(id).ok_or(ProofError::MissingNode(id)))
                .collect::<Result<Vec<Hash>, ProofError>>()?;
            out.push(fold_right(&hashes));
        }
        Ok(out)
    }

    /// The single hash of a [`root_plan`].
    pub fn assemble_root(
        &self,
        lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Hash, ProofError> {
        match self.assemble(lookup)?.as_slice() {
            [root] => Ok(*root),
            other => Err(ProofError::WrongProofLength {
                expected: 1,
                got: other.len(),
            }),
        }
    }
}

/// Plan of the audit path PATH(index, D[tree_size]).
pub fn inclusion_plan(index: u64, tree_size: u64) -> Result<ProofPlan, ProofError> {
    if tree_size == 0 {
        return Err(ProofError::EmptyTree);
    }
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index,
            size: tree_size,
        });
    }
    Ok(ProofPlan::from_ranges(&inclusion_ranges(index, tree_size)))
}

/// Plan of the consistency proof PROOF(old_size, D[new_size]). Empty when
/// `old_size` is 0 or equal to `new_size`: those need no proof.
pub fn consistency_plan(old_size: u64, new_size: u64) -> Result<ProofPlan, ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizeDecreased {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(ProofPlan::from_ranges(&[]));
    }
    Ok(ProofPlan::from_ranges(&consistency_ranges(
        old_size, new_size,
    )))
}

/// Plan of the root of a tree of `size` leaves: its frontier, folded.
pub fn root_plan(size: u64) -> ProofPlan {
    let frontier = range_nodes(0, size);
    ProofPlan {
        needed: frontier.clone(),
        parts: vec![frontier],
    }
}

/// The frontier of a tree: its size and the hashes of `range_nodes(0, size)`.
/// Appending leaves needs nothing else, and yields every node that becomes
/// complete so the server can store it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    peaks: Vec<Hash>,
}

impl CompactRange {
    /// The empty tree.
    pub fn empty() -> CompactRange {
        CompactRange::default()
    }

    /// A tree of `size` leaves from the hashes of `range_nodes(0, size)`, in
    /// that order.
    pub fn new(size: u64, peaks: Vec<Hash>) -> Result<CompactRange, ProofError> {
        let expected = size.count_ones() as usize;
        if peaks.len() != expected {
            return Err(ProofError::WrongPeakCount {
                size,
                expected,
                got: peaks.len(),
            });
        }
        Ok(CompactRange { size, peaks })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The frontier hashes, largest subtree first.
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }

    /// The nodes whose hashes [`CompactRange::new`] needs for `size`.
    pub fn nodes_for(size: u64) -> Vec<NodeId> {
        range_nodes(0, size)
    }

    /// MTH of the whole tree.
    pub fn root(&self) -> Hash {
        fold_right(&self.peaks)
    }

    /// Appends one leaf hash. Returns every node that became complete, the
    /// leaf itself (level 0) first. A tree of `u64::MAX` leaves cannot grow:
    /// the call then changes nothing and returns no nodes.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let Some(new_size) = self.size.checked_add(1) else {
            return Vec::new();
        };
        let mut out = vec![(NodeId::leaf(self.size), leaf)];
        let mut cur = leaf;
        let mut level = 0u32;
        // Each trailing one bit of the old size is a peak of the same level
        // that the new node completes.
        while (self.size >> level) & 1 == 1 {
            let Some(left) = self.peaks.pop() else {
                break; // unreachable: `new` checks the peak count
            };
            cur = node_hash(&left, &cur);
            level += 1;
            out.push((NodeId::new(level as u8, self.size >> level), cur));
        }
        self.peaks.push(cur);
        self.size = new_size;
        out
    }
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is at `index` in the tree of
/// `tree_size` leaves with root `root`.
///
/// The proof does not authenticate `tree_size` on its own (trees of
/// different sizes can share a path shape); the signed checkpoint binds size
/// and root together.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if tree_size == 0 {
        return Err(ProofError::EmptyTree);
    }
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index,
            size: tree_size,
        });
    }
    let expected = inclusion_proof_len(index, tree_size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    let (mut fn_, mut sn) = (index, tree_size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: checks that the tree of `old_size` leaves with root
/// `old_root` is a prefix of the tree of `new_size` leaves with `new_root`.
/// Equal sizes need equal roots and an empty proof; size 0 needs the empty
/// root and an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizeDecreased {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                expected: 0,
                got: proof.len(),
            });
        }
        if old_size == 0 && *old_root != empty_root() {
            return Err(ProofError::OldRootMismatch);
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let expected = consistency_ranges(old_size, new_size).len();
    let wrong_len = ProofError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_len);
    }
    // Step 2: a power-of-two old tree is a node of the new one, and its root
    // is the first element of the path.
    let (first, rest) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(wrong_len),
        }
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (first, first);
    for c in rest {
        if sn == 0 {
            return Err(wrong_len);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(wrong_len);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// MTH(D[n]) by the recursive definition of RFC 9162 §2.1.1.
pub fn root_from_leaves(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [leaf] => *leaf,
        _ => {
            let k = split_point(leaves.len() as u64) as usize;
            node_hash(
                &root_from_leaves(&leaves[..k]),
                &root_from_leaves(&leaves[k..]),
            )
        }
    }
}

/// PATH(index, D[n]) by the recursive definition (§2.1.3.1), from all leaves.
pub fn reference_inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    if size == 0 {
        return Err(ProofError::EmptyTree);
    }
    let m = usize::try_from(index)
        .ok()
        .filter(|&m| m < leaves.len())
        .ok_or(ProofError::IndexOutOfRange { index, size })?;
    fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
        if d.len() <= 1 {
            return;
        }
        let k = split_point(d.len() as u64) as usize;
        if m < k {
            path(m, &d[..k], out);
            out.push(root_from_leaves(&d[k..]));
        } else {
            path(m - k, &d[k..], out);
            out.push(root_from_leaves(&d[..k]));
        }
    }
    let mut out = Vec::new();
    path(m, leaves, &mut out);
    Ok(out)
}

/// PROOF(old_size, D[n]) by the recursive definition (§2.1.4.1), from all
/// leaves of the new tree. Empty for `old_size` 0 or `n`.
pub fn reference_consistency_proof(
    leaves: &[Hash],
    old_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    let new_size = leaves.len() as u64;
    if old_size > new_size {
        return Err(ProofError::SizeDecreased {
            old: old_size,
            new: new_size,
        });
    }
    fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
        if m == d.len() {
            if !complete {
                out.push(root_from_leaves(d));
            }
            return;
        }
        let k = split_point(d.len() as u64) as usize;
        if m <= k {
            subproof(m, &d[..k], complete, out);
            out.push(root_from_leaves(&d[k..]));
        } else {
            subproof(m - k, &d[k..], false, out);
            out.push(root_from_leaves(&d[..k]));
        }
    }
    let mut out = Vec::new();
    if old_size > 0 && old_size < new_size {
        // old_size < leaves.len(), so it fits in usize.
        subproof(old_size as usize, leaves, true, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn h(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The RFC 6962 / CT reference leaves.
    fn ct_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|s| leaf_hash(&hex::decode(s).unwrap()))
        .collect()
    }

    /// Roots of the first n CT leaves, n = 0..=8.
    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// (index, size, proof) from transparency-dev/merkle proof/verify_test.go.
    fn ct_inclusion() -> Vec<(u64, u64, Vec<Hash>)> {
        vec![
            (0, 1, vec![]),
            (
                0,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                5,
                8,
                vec![
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                3,
                vec![h(
                    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                )],
            ),
            (
                1,
                5,
                vec![
                    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
        ]
    }

    /// (old, new, proof) from the same file.
    fn ct_consistency() -> Vec<(u64, u64, Vec<Hash>)> {
        vec![
            (1, 1, vec![]),
            (
                1,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                6,
                8,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                5,
                vec![
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
            (
                6,
                7,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
        ]
    }

    /// What the server stores after appending `leaves`: every complete node.
    fn node_store(leaves: &[Hash]) -> (CompactRange, HashMap<NodeId, Hash>) {
        let mut cr = CompactRange::empty();
        let mut store = HashMap::new();
        for leaf in leaves {
            for (id, hash) in cr.append(*leaf) {
                assert!(store.insert(id, hash).is_none(), "{id:?} written twice");
            }
        }
        (cr, store)
    }

    fn flip(h: &Hash, bit: usize) -> Hash {
        let mut out = *h;
        out[bit / 8 % 32] ^= 1 << (bit % 8);
        out
    }

    #[test]
    fn hash_primitives() {
        assert_eq!(empty_root(), h(CT_ROOTS[0]));
        assert_eq!(leaf_hash(b""), h(CT_ROOTS[1]));
        let l = ct_leaves();
        assert_eq!(node_hash(&l[0], &l[1]), h(CT_ROOTS[2]));
    }

    #[test]
    fn ct_reference_roots() {
        let leaves = ct_leaves();
        let (_, store) = node_store(&leaves);
        for (n, want) in CT_ROOTS.iter().enumerate() {
            assert_eq!(root_from_leaves(&leaves[..n]), h(want), "size {n}");
            let (cr, _) = node_store(&leaves[..n]);
            assert_eq!(cr.root(), h(want), "compact range, size {n}");
            let planned = root_plan(n as u64)
                .assemble_root(|id| store.get(&id).copied())
                .unwrap();
            assert_eq!(planned, h(want), "root plan, size {n}");
        }
    }

    #[test]
    fn ct_reference_inclusion_proofs() {
        let leaves = ct_leaves();
        let (_, store) = node_store(&leaves);
        for (index, size, proof) in ct_inclusion() {
            let n = size as usize;
            let root = h(CT_ROOTS[n]);
            assert_eq!(
                reference_inclusion_proof(&leaves[..n], index).unwrap(),
                proof
            );
            let planned = inclusion_plan(index, size)
                .unwrap()
                .assemble(|id| store.get(&id).copied())
                .unwrap();
            assert_eq!(planned, proof, "plan for {index}/{size}");
            let leaf = leaves[index as usize];
            verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
            // Corruptions from the Go test suite.
            let bad_leaf = leaf_hash(b"WrongLeaf");
            assert!(verify_inclusion(&bad_leaf, index, size, &proof, &root).is_err());
            assert!(verify_inclusion(&leaf, index, size, &proof, &empty_root()).is_err());
            assert!(verify_inclusion(&leaf, index + 1, size, &proof, &root).is_err());
            assert!(verify_inclusion(&leaf, index ^ 2, size, &proof, &root).is_err());
            assert!(verify_inclusion(&leaf, index, size * 2, &proof, &root).is_err());
            let mut longer = proof.clone();
            longer.push(root);
            assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
            let mut prefixed = vec![root];
            prefixed.extend(proof.iter().copied());
            assert!(verify_inclusion(&leaf, index, size, &prefixed, &root).is_err());
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], 3);
                assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
            }
            if !proof.is_empty() {
                let short = &proof[..proof.len() - 1];
                assert!(verify_inclusion(&leaf, index, size, short, &root).is_err());
            }
        }
    }

    #[test]
    fn ct_reference_consistency_proofs() {
        let leaves = ct_leaves();
        let (_, store) = node_store(&leaves);
        for (old, new, proof) in ct_consistency() {
            let (r1, r2) = (h(CT_ROOTS[old as usize]), h(CT_ROOTS[new as usize]));
            assert_eq!(
                reference_consistency_proof(&leaves[..new as usize], old).unwrap(),
                proof
            );
            let planned = consistency_plan(old, new)
                .unwrap()
                .assemble(|id| store.get(&id).copied())
                .unwrap();
            assert_eq!(planned, proof, "plan for {old}->{new}");
            verify_consistency(old, new, &r1, &r2, &proof).unwrap();
            if proof.is_empty() {
                continue;
            }
            assert!(verify_consistency(old, new, &r2, &r1, &proof).is_err());
            assert!(verify_consistency(old - 1, new, &r1, &r2, &proof).is_err());
            assert!(verify_consistency(old + 1, new, &r1, &r2, &proof).is_err());
            assert!(verify_consistency(old, new * 2, &r1, &r2, &proof).is_err());
            assert!(verify_consistency(old, new, &r1, &r2, &[]).is_err());
            assert!(verify_consistency(old, new, &r1, &r2, &proof[1..]).is_err());
            let mut longer = proof.clone();
            longer.push(r2);
            assert!(verify_consistency(old, new, &r1, &r2, &longer).is_err());
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], 4);
                assert!(verify_consistency(old, new, &r1, &r2, &bad).is_err());
            }
        }
    }

    #[test]
    fn trivial_consistency_cases() {
        let e = empty_root();
        let x = leaf_hash(b"x");
        verify_consistency(0, 0, &e, &e, &[]).unwrap();
        verify_consistency(0, 5, &e, &x, &[]).unwrap();
        verify_consistency(3, 3, &x, &x, &[]).unwrap();
        assert_eq!(
            verify_consistency(0, 5, &x, &x, &[]),
            Err(ProofError::OldRootMismatch)
        );
        assert_eq!(
            verify_consistency(3, 3, &x, &e, &[]),
            Err(ProofError::RootMismatch)
        );
        assert!(verify_consistency(3, 3, &x, &x, &[x]).is_err());
        assert_eq!(
            verify_consistency(4, 3, &x, &x, &[]),
            Err(ProofError::SizeDecreased { old: 4, new: 3 })
        );
        assert!(consistency_plan(0, 7).unwrap().is_empty());
        assert!(consistency_plan(7, 7).unwrap().is_empty());
        assert!(consistency_plan(8, 7).is_err());
    }

    #[test]
    fn inclusion_edge_cases() {
        let x = leaf_hash(b"x");
        assert_eq!(
            verify_inclusion(&x, 0, 0, &[], &x),
            Err(ProofError::EmptyTree)
        );
        assert_eq!(
            verify_inclusion(&x, 1, 1, &[], &x),
            Err(ProofError::IndexOutOfRange { index: 1, size: 1 })
        );
        verify_inclusion(&x, 0, 1, &[], &x).unwrap();
        assert_eq!(inclusion_plan(0, 0), Err(ProofError::EmptyTree));
        assert!(inclusion_plan(5, 5).is_err());
        assert!(reference_inclusion_proof(&[], 0).is_err());
        assert!(reference_inclusion_proof(&[x], 1).is_err());
        // Huge trees plan without overflow.
        let plan = inclusion_plan(u64::MAX - 1, u64::MAX).unwrap();
        assert_eq!(plan.len(), inclusion_proof_len(u64::MAX - 1, u64::MAX));
        assert!(plan.len() <= MAX_PROOF_LEN);
        assert_eq!(range_nodes(0, u64::MAX).len(), 64);
        let plan = consistency_plan(u64::MAX - 1, u64::MAX).unwrap();
        assert!(plan.len() <= MAX_PROOF_LEN);
    }

    #[test]
    fn missing_node_is_reported() {
        let plan = inclusion_plan(3, 7).unwrap();
        let err = plan.assemble(|_| None).unwrap_err();
        assert_eq!(err, ProofError::MissingNode(plan.needed[0]));
    }

    #[test]
    fn range_nodes_examples() {
        let ids = |v: &[(u8, u64)]| {
            v.iter()
                .map(|&(l, i)| NodeId::new(l, i))
                .collect::<Vec<_>>()
        };
        assert_eq!(range_nodes(0, 0), vec![]);
        assert_eq!(range_nodes(5, 3), vec![]);
        assert_eq!(range_nodes(0, 7), ids(&[(2, 0), (1, 2), (0, 6)]));
        assert_eq!(range_nodes(3, 13), ids(&[(0, 3), (2, 1), (2, 2), (0, 12)]));
        assert_eq!(range_nodes(8, 16), ids(&[(3, 1)]));
        // The examples of docs/transparency.md.
        let plan = inclusion_plan(1, 7).unwrap();
        assert_eq!(
            plan.parts,
            vec![ids(&[(0, 0)]), ids(&[(1, 1)]), ids(&[(1, 2), (0, 6)])]
        );
        let plan = consistency_plan(3, 7).unwrap();
        assert_eq!(
            plan.parts,
            vec![
                ids(&[(0, 2)]),
                ids(&[(0, 3)]),
                ids(&[(1, 0)]),
                ids(&[(1, 2), (0, 6)])
            ]
        );
        assert_eq!(plan.needed, ids(&[(0, 2), (0, 3), (1, 0), (1, 2), (0, 6)]));
        assert_eq!(root_plan(6).needed, ids(&[(2, 0), (1, 2)]));
    }

    #[test]
    fn compact_range_matches_reference_for_every_small_size() {
        let leaves: Vec<Hash> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut cr = CompactRange::empty();
        let mut store = HashMap::new();
        for n in 0..=leaves.len() {
            assert_eq!(cr.size(), n as u64);
            assert_eq!(cr.root(), root_from_leaves(&leaves[..n]), "size {n}");
            // The frontier is exactly the stored nodes of range_nodes(0, n).
            let peaks: Vec<Hash> = CompactRange::nodes_for(n as u64)
                .into_iter()
                .map(|id| store[&id])
                .collect();
            assert_eq!(peaks, cr.peaks());
            assert_eq!(CompactRange::new(n as u64, peaks).unwrap(), cr);
            if let Some(leaf) = leaves.get(n) {
                let added = cr.append(*leaf);
                assert_eq!(added[0], (NodeId::leaf(n as u64), *leaf));
                // One node per trailing one bit of the old size, plus the leaf.
                assert_eq!(added.len(), (n as u64).trailing_ones() as usize + 1);
                store.extend(added);
            }
        }
        // Every complete aligned subtree was stored, and nothing else.
        let expected: usize = (0..9).map(|l| leaves.len() >> l).sum();
        assert_eq!(store.len(), expected);
    }

    #[test]
    fn compact_range_new_checks_peak_count() {
        assert_eq!(
            CompactRange::new(7, vec![[0; 32]; 2]),
            Err(ProofError::WrongPeakCount {
                size: 7,
                expected: 3,
                got: 2
            })
        );
        assert!(CompactRange::new(0, vec![]).is_ok());
        let mut full = CompactRange::new(u64::MAX, vec![[0; 32]; 64]).unwrap();
        assert!(full.append([1; 32]).is_empty());
        assert_eq!(full.size(), u64::MAX);
    }

    #[test]
    fn doc_vectors_match() {
        // docs/transparency.md recomputes these with sha256sum and openssl.
        let entries: [&[u8]; 3] = [
            include_bytes!("../../../docs/vectors/ledger-entry-1.txt"),
            include_bytes!("../../../docs/vectors/merkle-entry-2.txt"),
            include_bytes!("../../../docs/vectors/merkle-entry-3.txt"),
        ];
        for (i, e) in entries.iter().enumerate() {
            let entry = crate::ledger::Entry::decode(e).unwrap();
            assert_eq!(entry.seq, i as u64 + 1);
        }
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let hex_lines: String = leaves.iter().map(|l| hex::encode(l) + "\n").collect();
        assert_eq!(
            hex_lines,
            include_str!("../../../docs/vectors/merkle-leaves.txt")
        );
        assert_eq!(
            hex::encode(root_from_leaves(&leaves[..2])),
            include_str!("../../../docs/vectors/merkle-root-2.txt").trim_end()
        );
        let (cr, _) = node_store(&leaves);
        assert_eq!(
            hex::encode(cr.root()),
            include_str!("../../../docs/vectors/merkle-root-3.txt").trim_end()
        );
    }

    /// The left/right choices the RFC verifier makes for (index, size).
    fn path_shape(index: u64, size: u64) -> Vec<bool> {
        let (mut fn_, mut sn) = (index, size - 1);
        let mut out = Vec::new();
        while sn != 0 {
            let left = fn_ & 1 == 1 || fn_ == sn;
            out.push(left);
            if left {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn planned_proofs_equal_reference_and_verify(
            size in 1u64..3000,
            index_seed in any::<u64>(),
            old_seed in any::<u64>(),
            bit in 0usize..256,
            other in any::<u64>(),
        ) {
            let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let (cr, store) = node_store(&leaves);
            let root = cr.root();
            prop_assert_eq!(root, root_from_leaves(&leaves));
            let lookup = |id: NodeId| store.get(&id).copied();

            // Inclusion.
            let index = index_seed % size;
            let leaf = leaves[index as usize];
            let plan = inclusion_plan(index, size).unwrap();
            let proof = plan.assemble(lookup).unwrap();
            prop_assert_eq!(&proof, &reference_inclusion_proof(&leaves, index).unwrap());
            prop_assert_eq!(proof.len(), inclusion_proof_len(index, size));
            prop_assert!(plan.needed.len() <= 2 * MAX_PROOF_LEN);
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
            prop_assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &root).is_err());
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, bit)).is_err());
            let other_index = other % size;
            if other_index != index {
                prop_assert!(verify_inclusion(&leaf, other_index, size, &proof, &root).is_err());
            }
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], bit);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
            }
            if !proof.is_empty() {
                prop_assert!(verify_inclusion(&leaf, index, size, &proof[1..], &root).is_err());
            }
            // A different size only passes when the verifier would hash the
            // very same path: the proof cannot tell those sizes apart (the
            // signed checkpoint does).
            for other_size in [size - 1, size + 1, size * 2, size / 2, 1 + other % 4096] {
                if other_size == size || other_size <= index {
                    continue;
                }
                if verify_inclusion(&leaf, index, other_size, &proof, &root).is_ok() {
                    prop_assert_eq!(path_shape(index, size), path_shape(index, other_size));
                }
            }

            // Consistency.
            let old = old_seed % (size + 1);
            let old_root = root_from_leaves(&leaves[..old as usize]);
            let plan = consistency_plan(old, size).unwrap();
            let proof = plan.assemble(lookup).unwrap();
            prop_assert_eq!(&proof, &reference_consistency_proof(&leaves, old).unwrap());
            prop_assert!(verify_consistency(old, size, &old_root, &root, &proof).is_ok());
            prop_assert!(verify_consistency(old, size, &flip(&old_root, bit), &root, &proof).is_err());
            // The empty tree is a prefix of every tree, whatever its root.
            if old > 0 {
                prop_assert!(verify_consistency(old, size, &old_root, &flip(&root, bit), &proof).is_err());
            }
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], bit);
                prop_assert!(verify_consistency(old, size, &old_root, &root, &bad).is_err());
            }
            if !proof.is_empty() {
                prop_assert!(verify_consistency(old, size, &old_root, &root, &proof[1..]).is_err());
                let mut longer = proof.clone();
                longer.push(root);
                prop_assert!(verify_consistency(old, size, &old_root, &root, &longer).is_err());
            }
            // The old size is bound by the old root: any other old size fails.
            let other_old = other % (size + 1);
            if other_old != old {
                prop_assert!(verify_consistency(other_old, size, &old_root, &root, &proof).is_err());
            }
        }

        #[test]
        fn range_nodes_tile_the_range(start in 0u64..5000, len in 0u64..5000) {
            let end = start + len;
            let mut pos = start;
            for id in range_nodes(start, end) {
                prop_assert_eq!(id.index << id.level, pos);
                pos += 1u64 << id.level;
            }
            prop_assert_eq!(pos, end);
            prop_assert!(range_nodes(start, end).len() <= 2 * 64);
        }
    }
}
