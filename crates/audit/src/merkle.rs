//! RFC 6962 Merkle tree hashing and proofs (the algorithms of RFC 9162 §2.1).

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH(D[n]) over leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]): the inclusion proof of leaf `index`; `None` when out of range.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
        if d.len() <= 1 {
            return;
        }
        let k = split(d.len());
        if m < k {
            path(m, &d[..k], out);
            out.push(root(&d[k..]));
        } else {
            path(m - k, &d[k..], out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    path(index, leaves, &mut out);
    Some(out)
}

/// PROOF(m, D[n]): that the tree of the first `m` leaves is a prefix of the tree of all of
/// them. `None` unless 1 <= m <= n.
pub fn consistency_proof(leaves: &[Hash], m: usize) -> Option<Vec<Hash>> {
    if m == 0 || m > leaves.len() {
        return None;
    }
    fn subproof(m: usize, d: &[Hash], whole: bool, out: &mut Vec<Hash>) {
        let n = d.len();
        if m == n {
            if !whole {
                out.push(root(d));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(m, &d[..k], whole, out);
            out.push(root(&d[k..]));
        } else {
            subproof(m - k, &d[k..], false, out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    subproof(m, leaves, true, &mut out);
    Some(out)
}

fn lsb(x: u64) -> bool {
    x & 1 == 1
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with this `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if lsb(f) || f == s {
            r = node_hash(p, &r);
            if !lsb(f) {
                while !lsb(f) && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Verifies that the tree of `m` leaves with `root_m` is a prefix of the tree of `n` leaves
/// with `root_n` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(m: u64, n: u64, root_m: &Hash, root_n: &Hash, proof: &[Hash]) -> bool {
    if m == 0 || m > n {
        return false;
    }
    if m == n {
        return proof.is_empty() && root_m == root_n;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if m.is_power_of_two() {
        path.push(*root_m);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (m - 1, n - 1);
    while lsb(f) {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if lsb(f) || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if !lsb(f) {
                while !lsb(f) && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *root_m && sr == *root_n && s == 0
}

/// An append-only tree kept as its perfect subtrees (at most 64 hashes), so the root of a
/// log of any length is known after each append without keeping the leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (height, hash) of each perfect subtree, largest first.
    peaks: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(h, left)) = self.peaks.last() {
            if h != node.0 {
                break;
            }
            self.peaks.pop();
            node = (h + 1, node_hash(&left, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
    }

    /// The frontier as JSON (`{"size": n, "peaks": [[height, "hex"], ...]}`), stored with
    /// each checkpoint so appending resumes after a restart without rereading the log.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "size": self.size,
            "peaks": self.peaks.iter().map(|(h, x)| serde_json::json!([h, hex::encode(x)])).collect::<Vec<_>>(),
        })
    }

    /// Reads [`Frontier::to_json`]; `None` if it is not one.
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        let size = v.get("size")?.as_u64()?;
        let mut peaks = Vec::new();
        for p in v.get("peaks")?.as_array()? {
            let h = u32::try_from(p.get(0)?.as_u64()?).ok()?;
            let x: Hash = hex::decode(p.get(1)?.as_str()?).ok()?.try_into().ok()?;
            peaks.push((h, x));
        }
        // The peaks must describe exactly `size` leaves, largest first.
        let total: u64 = peaks.iter().map(|(h, _)| 1u64 << h).sum();
        let descending = peaks.windows(2).all(|w| w[0].0 > w[1].0);
        (total == size && descending).then_some(Self { size, peaks })
    }

    /// The root of everything pushed so far (MTH).
    pub fn root(&self) -> Hash {
        let mut iter = self.peaks.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some(&(_, last)) => iter.fold(last, |acc, (_, left)| node_hash(left, &acc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The Certificate Transparency reference leaves and tree heads for sizes 0 to 8
    /// (the vectors every RFC 6962 implementation checks against).
    const CT_LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
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

    fn ct_leaves() -> Vec<Hash> {
        CT_LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect()
    }

    #[test]
    fn roots_match_the_rfc_6962_reference_for_every_size() {
        let leaves = ct_leaves();
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), h(CT_ROOTS[0]));
        for n in 0..=8 {
            assert_eq!(root(&leaves[..n]), h(CT_ROOTS[n]), "size {n}");
            if n > 0 {
                frontier.push(leaves[n - 1]);
                assert_eq!(frontier.root(), h(CT_ROOTS[n]), "frontier at size {n}");
            }
        }
    }

    #[test]
    fn inclusion_proofs_match_the_reference() {
        let leaves = ct_leaves();
        assert_eq!(
            inclusion_proof(&leaves, 0).unwrap(),
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ]
        );
        assert_eq!(
            inclusion_proof(&leaves, 5).unwrap(),
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
        assert!(inclusion_proof(&leaves, 8).is_none());
    }

    #[test]
    fn every_proof_in_trees_of_every_shape_verifies_and_a_changed_one_does_not() {
        let leaves: Vec<Hash> = (0u8..40)
            .map(|i| leaf_hash(&[i, i.wrapping_mul(7)]))
            .collect();
        for n in 1..=leaves.len() {
            let d = &leaves[..n];
            let r = root(d);
            for i in 0..n {
                let p = inclusion_proof(d, i).unwrap();
                assert!(
                    verify_inclusion(&d[i], i as u64, n as u64, &p, &r),
                    "leaf {i} of {n}"
                );
                assert!(
                    !verify_inclusion(&d[i], i as u64 + n as u64, n as u64, &p, &r),
                    "index past the end"
                );
                if n > 1 {
                    let other = (i + 1) % n;
                    assert!(
                        !verify_inclusion(&d[other], i as u64, n as u64, &p, &r),
                        "wrong leaf"
                    );
                }
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0] = node_hash(first, first);
                    assert!(!verify_inclusion(&d[i], i as u64, n as u64, &bad, &r));
                }
            }
            for m in 1..=n {
                let p = consistency_proof(d, m).unwrap();
                let rm = root(&d[..m]);
                assert!(
                    verify_consistency(m as u64, n as u64, &rm, &r, &p),
                    "{m} -> {n}"
                );
                if m < n {
                    let forged = root(&leaves[1..=m]);
                    assert!(
                        !verify_consistency(m as u64, n as u64, &forged, &r, &p),
                        "a rewritten prefix {m} -> {n}"
                    );
                    assert!(!verify_consistency(m as u64, n as u64, &rm, &forged, &p));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn the_frontier_always_agrees_with_the_recursive_root(n in 0usize..300) {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&(i as u64).to_be_bytes())).collect();
            let mut f = Frontier::new();
            for l in &leaves {
                f.push(*l);
            }
            prop_assert_eq!(f.size(), n as u64);
            prop_assert_eq!(f.root(), root(&leaves));
            prop_assert_eq!(Frontier::from_json(&f.to_json()), Some(f.clone()));
        }
    }
}
