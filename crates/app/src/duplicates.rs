//! Duplicate detection, batch: `bluelamp duplicates scan`. Reads every person with the
//! postcodes of the addresses they are or were linked to as resident, gives each its
//! blocking keys (crates/search), compares only people who share a key, and reports the
//! pairs whose match score reaches the threshold, each with the per-field explanation.
//! Exact name agreements are weighed by how common the name is in the store. The scan is
//! an operator's process and is audited with what it found.

use crate::{AppError, Caller};
use bluelamp_domain::pole::Person;
use bluelamp_domain::{AuditAction, Clock, RecordId, RecordKind};
use bluelamp_search::PersonFeatures;
use bluelamp_search::dedupe::scan_pairs;
use bluelamp_store::Store;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

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
    let homes = residences(store).await?;
    let mut ids: Vec<RecordId> = Vec::new();
    let mut summaries: Vec<String> = Vec::new();
    let mut features: Vec<PersonFeatures> = Vec::new();
    let no_homes: Vec<String> = Vec::new();
    let mut after = None;
    loop {
        let page = store.scan(RecordKind::Person, after, 5_000).await?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        for rec in page {
            if crate::merge::MergedInto::of(&rec).is_some() {
                continue; // history now: its survivor is scanned instead
            }
            // Stored bodies were validated when written; one that no longer reads (a
            // later, stricter rule) is left out rather than stopping the scan.
            match serde_json::from_value::<Person>(rec.body) {
                Ok(p) => {
                    let postcodes = homes.get(&rec.id).unwrap_or(&no_homes);
                    features.push(PersonFeatures::from_person(&p, postcodes));
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
    let found = tokio::task::spawn_blocking(move || {
        let scan = scan_pairs(&features, threshold);
        (scan, features.len())
    })
    .await
    .map_err(|e| AppError::Internal(format!("duplicate scan stopped: {e}")))?;
    let (scan, _) = found;
    let candidates: Vec<Candidate> = scan
        .pairs
        .iter()
        .map(|p| Candidate {
            a: ids[p.a],
            b: ids[p.b],
            a_summary: summaries[p.a].clone(),
            b_summary: summaries[p.b].clone(),
            weight: p.score.weight,
            explanation: p.score.explain(),
        })
        .collect();
    let comparisons = scan.comparisons;
    let skipped_blocks = scan.skipped_blocks;
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

/// The postcodes of the addresses each person is or was linked to as resident (ended links
/// too: a previous address is still evidence), read with two scans (locations, then links).
async fn residences(store: &Arc<dyn Store>) -> Result<HashMap<RecordId, Vec<String>>, AppError> {
    let mut postcodes: HashMap<RecordId, String> = HashMap::new();
    let mut after = None;
    loop {
        let page = store.scan(RecordKind::Location, after, 5_000).await?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        for rec in page {
            if let Some(p) = rec.body.get("postcode").and_then(|v| v.as_str()) {
                postcodes.insert(rec.id, p.to_owned());
            }
        }
        after = Some(last);
    }
    let mut homes: HashMap<RecordId, Vec<String>> = HashMap::new();
    let mut after = None;
    loop {
        let page = store.scan(RecordKind::Link, after, 5_000).await?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        for rec in page {
            let Some(ends) = rec.link else { continue };
            if ends.role != "resides_at" {
                continue;
            }
            if let Some(p) = postcodes.get(&ends.to) {
                let list = homes.entry(ends.from).or_default();
                if !list.contains(p) {
                    list.push(p.clone());
                }
            }
        }
        after = Some(last);
    }
    Ok(homes)
}
