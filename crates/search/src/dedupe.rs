//! The pairwise part of a duplicate scan, and how its quality is counted.
//!
//! [`scan_pairs`] groups records by their [`blocking_keys`], compares only records that
//! share a key, and keeps the pairs whose match score reaches a threshold. Each pair is
//! compared once however many keys the two share: in the block of the first key they have
//! in common. Blocks larger than [`MAX_BLOCK`] (a very common surname and birth year) are
//! too coarse to compare pairwise and are left out; their members still meet through
//! their other, narrower keys. Blocks are shared out between threads.

use crate::features::PersonFeatures;
use crate::score::{Frequencies, MatchScore, blocking_keys, score_with};
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Blocks bigger than this are skipped (see the module documentation).
pub const MAX_BLOCK: usize = 100;

/// Two records (indexes into the scanned slice, `a < b`) and how well they match.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPair {
    pub a: usize,
    pub b: usize,
    pub score: MatchScore,
}

/// What [`scan_pairs`] did and found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PairScan {
    pub comparisons: u64,
    pub blocks: usize,
    pub skipped_blocks: usize,
    /// Highest score first.
    pub pairs: Vec<ScoredPair>,
}

fn key_hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Every pair of `records` that shares a blocking key and scores at least `threshold`.
/// Exact name agreements are weighed by how common the name is among `records`
/// ([`Frequencies`]).
pub fn scan_pairs(records: &[PersonFeatures], threshold: f64) -> PairScan {
    scan_pairs_capped(records, threshold, MAX_BLOCK)
}

/// [`scan_pairs`] with blocks bigger than `max_block` skipped (the benchmark varies it).
pub fn scan_pairs_capped(records: &[PersonFeatures], threshold: f64, max_block: usize) -> PairScan {
    let freq = Frequencies::of(records);
    // Each record's keys, hashed (a collision only costs an extra comparison).
    let keys: Vec<Vec<u64>> = records
        .iter()
        .map(|f| {
            let mut k: Vec<u64> = blocking_keys(f).iter().map(|s| key_hash(s)).collect();
            k.sort_unstable();
            k.dedup();
            k
        })
        .collect();
    let mut postings: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .flat_map(|(i, ks)| ks.iter().map(move |&k| (k, i as u32)))
        .collect();
    postings.sort_unstable();
    let mut blocks: Vec<&[(u64, u32)]> = postings
        .chunk_by(|x, y| x.0 == y.0)
        .filter(|b| b.len() > 1)
        .collect();
    let oversized: HashSet<u64> = blocks
        .iter()
        .filter(|b| b.len() > max_block)
        .map(|b| b[0].0)
        .collect();
    blocks.retain(|b| b.len() <= max_block);
    // Big blocks first, so threads finish together.
    blocks.sort_unstable_by_key(|b| std::cmp::Reverse(b.len()));
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let results: Vec<(u64, Vec<ScoredPair>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let blocks = &blocks;
                let keys = &keys;
                let oversized = &oversized;
                let freq = &freq;
                s.spawn(move || {
                    let mut comparisons = 0u64;
                    let mut found = Vec::new();
                    for block in blocks.iter().skip(t).step_by(threads) {
                        let key = block[0].0;
                        for (x, &(_, i)) in block.iter().enumerate() {
                            for &(_, j) in &block[x + 1..] {
                                let (i, j) = (i as usize, j as usize);
                                if first_shared(&keys[i], &keys[j], oversized) != Some(key) {
                                    continue;
                                }
                                comparisons += 1;
                                let s = score_with(&records[i], &records[j], Some(freq));
                                if s.weight >= threshold {
                                    found.push(ScoredPair {
                                        a: i.min(j),
                                        b: i.max(j),
                                        score: s,
                                    });
                                }
                            }
                        }
                    }
                    (comparisons, found)
                })
            })
            .collect();
        // A worker that panicked (a bug) panics the scan rather than losing its pairs.
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut scan = PairScan {
        blocks: blocks.len(),
        skipped_blocks: oversized.len(),
        ..PairScan::default()
    };
    for (c, found) in results {
        scan.comparisons += c;
        scan.pairs.extend(found);
    }
    scan.pairs.sort_by(|x, y| {
        y.score
            .weight
            .total_cmp(&x.score.weight)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    scan
}

/// The smallest key two sorted key lists share, leaving out oversized blocks.
fn first_shared(a: &[u64], b: &[u64], skip: &HashSet<u64>) -> Option<u64> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if !skip.contains(&a[i]) {
                    return Some(a[i]);
                }
                i += 1;
                j += 1;
            }
        }
    }
    None
}

/// Precision, recall and F1 of found pairs against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quality {
    /// Pairs found that are the same person.
    pub true_positives: u64,
    /// Pairs found that are different people.
    pub false_positives: u64,
    /// Pairs of records of the same person that were not found.
    pub false_negatives: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Counts `found` pairs (indexes into `entities`) against the truth that records with the
/// same entity are the same person.
pub fn quality(entities: &[u32], found: &[(usize, usize)]) -> Quality {
    let mut per_entity: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
    for e in entities {
        *per_entity.entry(*e).or_default() += 1;
    }
    let true_pairs: u64 = per_entity.values().map(|n| n * (n - 1) / 2).sum();
    let mut q = Quality::default();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for &(a, b) in found {
        let pair = (a.min(b), a.max(b));
        if a == b || !seen.insert(pair) {
            continue;
        }
        match (entities.get(a), entities.get(b)) {
            (Some(x), Some(y)) if x == y => q.true_positives += 1,
            _ => q.false_positives += 1,
        }
    }
    q.false_negatives = true_pairs.saturating_sub(q.true_positives);
    let ratio = |n: u64, d: u64| if d == 0 { 1.0 } else { n as f64 / d as f64 };
    q.precision = ratio(q.true_positives, q.true_positives + q.false_positives);
    q.recall = ratio(q.true_positives, true_pairs);
    q.f1 = if q.precision + q.recall == 0.0 {
        0.0
    } else {
        2.0 * q.precision * q.recall / (q.precision + q.recall)
    };
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use bluelamp_domain::pole::Person;

    fn as_of() -> jiff::Timestamp {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }

    fn labelled(seed: u64, n: u32) -> (Vec<PersonFeatures>, Vec<u32>, Vec<String>) {
        let today = jiff::civil::date(2026, 6, 1);
        let mut features = Vec::new();
        let mut entities = Vec::new();
        let mut variations = Vec::new();
        for p in bluelamp_demo::labelled_persons(seed, n, as_of()) {
            let (person, _) = Person::parse(&p.input, today).unwrap();
            features
                .push(PersonFeatures::from_person(&person, &p.postcodes).with_phones(&p.phones));
            entities.push(p.entity);
            variations.push(p.variation);
        }
        (features, entities, variations)
    }

    #[test]
    fn quality_counts_pairs_against_the_truth() {
        // Entities: 0 0 0 1 2 2 -> true pairs (0,1) (0,2) (1,2) (4,5).
        let entities = [0, 0, 0, 1, 2, 2];
        let q = quality(&entities, &[(0, 1), (1, 0), (4, 5), (3, 4)]);
        assert_eq!(
            (q.true_positives, q.false_positives, q.false_negatives),
            (2, 1, 2)
        );
        assert!((q.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((q.recall - 0.5).abs() < 1e-9);
        assert!((q.f1 - 4.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn each_pair_is_compared_once_and_found_once() {
        let (features, _, _) = labelled(3, 600);
        let scan = scan_pairs(&features, f64::NEG_INFINITY);
        let mut pairs: Vec<(usize, usize)> = scan.pairs.iter().map(|p| (p.a, p.b)).collect();
        let n = pairs.len();
        assert_eq!(n as u64, scan.comparisons);
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), n, "a pair was compared twice");
        assert!(pairs.iter().all(|(a, b)| a < b));
    }

    #[test]
    fn records_sharing_only_a_telephone_number_are_compared() {
        let parse = |family: &str, dob: &str| {
            let input = bluelamp_domain::pole::input::PersonInput {
                family_name: family.into(),
                given_names: "Anna".into(),
                date_of_birth: dob.into(),
                ..Default::default()
            };
            let (p, _) = Person::parse(&input, jiff::civil::date(2026, 6, 1)).unwrap();
            PersonFeatures::from_person(&p, &[])
        };
        // Another family name, and no date of birth on the second: no name or date key
        // in common.
        let (a, b) = (parse("Kowalczyk", "1979-05-02"), parse("Nowak", ""));
        let apart = scan_pairs(&[a.clone(), b.clone()], f64::NEG_INFINITY);
        assert_eq!(apart.comparisons, 0);
        let number = ["+447700900123"];
        let linked = scan_pairs(
            &[a.with_phones(&number), b.with_phones(&number)],
            f64::NEG_INFINITY,
        );
        assert_eq!(linked.comparisons, 1);
        assert_eq!(
            linked.pairs[0]
                .score
                .field("phone")
                .map(|f| f.level.as_str()),
            Some("shared")
        );
    }

    /// The duplicate model on a labelled set with known duplicates (typos, variant
    /// spellings, nicknames, swapped names, initials, partial, transposed and missing
    /// dates of birth, moved and missing addresses, telephone numbers given or changed)
    /// among households of relatives (F1 0.938, precision 0.995 when last measured). The
    /// benchmark (`bench matching`) reports the same at scale; this keeps it from sliding.
    #[test]
    fn the_model_finds_known_duplicates_at_the_default_threshold() {
        let (features, entities, variations) = labelled(20261130, 5_000);
        let scan = scan_pairs(&features, crate::DEFAULT_THRESHOLD);
        let found: Vec<(usize, usize)> = scan.pairs.iter().map(|p| (p.a, p.b)).collect();
        let q = quality(&entities, &found);
        let misses: Vec<String> = {
            let found: HashSet<(usize, usize)> = found.iter().copied().collect();
            let mut out = Vec::new();
            for a in 0..entities.len() {
                for b in a + 1..entities.len() {
                    if entities[a] == entities[b] && !found.contains(&(a, b)) && out.len() < 10 {
                        out.push(format!("{} / {}", variations[a], variations[b]));
                    }
                }
            }
            out
        };
        assert!(
            q.f1 >= 0.92 && q.precision >= 0.98,
            "{q:?}; missed for example: {misses:?}"
        );
    }
}
