//! Duplicate detection, batch: `bluelamp duplicates scan`. Reads every person, gives each
//! its blocking keys (crates/search), compares only people who share a key, and reports the
//! pairs whose match score reaches the threshold, each with the per-field explanation. The
//! scan is an operator's process and is audited with what it found.

use crate::{AppError, Caller};
use bluelamp_domain::pole::Person;
use bluelamp_domain::{AuditAction, Clock, RecordId, RecordKind};
use bluelamp_search::{PersonFeatures, blocking_keys, score};
use bluelamp_store::Store;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Blocks bigger than this (a very common surname and year) are too coarse to compare
/// pairwise; their members still meet through their other, narrower keys.
pub const MAX_BLOCK: usize = 500;

/// One likely pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub a: RecordId,
    pub b: RecordId,
    pub a_summary: String,
    pub b_summary: String,
    pub weight: f64,
    pub explanation: String,
}

/// What a scan did.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanReport {
    pub persons: usize,
    pub comparisons: u64,
    pub skipped_blocks: usize,
    /// Highest score first.
    pub candidates: Vec<Candidate>,
}

/// Scans every person for likely duplicates scoring at least `threshold`.
pub async fn scan(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    caller: &Caller,
    threshold: f64,
) -> Result<ScanReport, AppError> {
    let mut ids: Vec<RecordId> = Vec::new();
    let mut summaries: Vec<String> = Vec::new();
    let mut features: Vec<PersonFeatures> = Vec::new();
    let mut after = None;
    loop {
        let page = store.scan(RecordKind::Person, after, 5_000).await?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        for rec in page {
            // Stored bodies were validated when written; one that no longer reads (a
            // later, stricter rule) is left out rather than stopping the scan.
            match serde_json::from_value::<Person>(rec.body) {
                Ok(p) => {
                    features.push(PersonFeatures::from_person(&p, &[]));
                    ids.push(rec.id);
                    summaries.push(rec.summary);
                }
                Err(e) => {
                    tracing::warn!(record.id = %rec.id, error = %e, "person skipped by the duplicate scan")
                }
            }
        }
        after = Some(last);
    }
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in features.iter().enumerate() {
        for k in blocking_keys(f) {
            blocks.entry(k).or_default().push(i);
        }
    }
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut candidates = Vec::new();
    let mut comparisons = 0u64;
    let mut skipped_blocks = 0;
    for members in blocks.values() {
        if members.len() > MAX_BLOCK {
            skipped_blocks += 1;
            continue;
        }
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let pair = if i < j { (i, j) } else { (j, i) };
                if i == j || !seen.insert(pair) {
                    continue;
                }
                comparisons += 1;
                let s = score(&features[pair.0], &features[pair.1]);
                if s.weight >= threshold {
                    candidates.push(Candidate {
                        a: ids[pair.0],
                        b: ids[pair.1],
                        a_summary: summaries[pair.0].clone(),
                        b_summary: summaries[pair.1].clone(),
                        weight: s.weight,
                        explanation: s.explain(),
                    });
                }
            }
        }
    }
    candidates.sort_by(|x, y| y.weight.total_cmp(&x.weight));
    let audit = caller.audit(clock, AuditAction::List).with_details(json!({
        "duplicates_scan": {
            "persons": ids.len(),
            "comparisons": comparisons,
            "threshold": threshold,
            "candidates": candidates.len(),
            "pairs": candidates.iter().take(1_000).map(|c| [c.a, c.b]).collect::<Vec<_>>(),
        }
    }));
    store.audit_only(audit).await?;
    Ok(ScanReport {
        persons: ids.len(),
        comparisons,
        skipped_blocks,
        candidates,
    })
}
