//! Duplicate detection, batch: `bluelamp duplicates scan`. Reads every person with the
//! postcodes of the addresses they are linked to as resident and the numbers of the
//! phones they use or own (links in force, within the person's marking), gives each its
//! blocking keys (crates/search), compares only people who share a key, and reports the
//! pairs whose match score reaches the threshold, each with the per-field explanation.
//! Exact name agreements are weighed by how common the name is in the store. The scan is
//! an operator's process and is audited with what it found; the pairs go to the review
//! queue (with those the check on each new or changed person finds, `app::search`).
//!
//! The review queue: open candidates whose two records the reviewer may both see (and
//! that are not merged), highest score first; a reviewer compares the two side by side and
//! merges them (`app::merge`) or records that they are two people.

use crate::{AppError, Caller};
use bluelamp_domain::pole::{Location, Object, ObjectDetails, Person};
use bluelamp_domain::{AuditAction, Clock, Marking, RecordId, RecordKind};
use bluelamp_search::PersonFeatures;
use bluelamp_search::dedupe::scan_pairs;
use bluelamp_search::index::LinkedValues;
use bluelamp_store::{
    CandidateStatus, DirectoryChange, DirectoryOp, DuplicateCandidate, LinkEnd, RecordStatus,
    ScannedRecord, Store, StoredRecord,
};
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
    let links = linked(store).await?;
    let mut ids: Vec<RecordId> = Vec::new();
    let mut summaries: Vec<String> = Vec::new();
    let mut features: Vec<PersonFeatures> = Vec::new();
    let mut after = None;
    loop {
        let page = store.scan_json(RecordKind::Person, after, 5_000).await?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        for rec in page {
            if crate::merge::MergedInto::of_json(&rec).is_some() {
                continue; // history now: its survivor is scanned instead
            }
            // Stored bodies were validated when written; one that no longer reads (a
            // later, stricter rule) is left out rather than stopping the scan.
            match serde_json::from_str::<Person>(&rec.body) {
                Ok(p) => {
                    let l = links
                        .get(&rec.id)
                        .map(|g| linked_for(g, &rec.marking))
                        .unwrap_or_default();
                    features
                        .push(PersonFeatures::from_person(&p, &l.postcodes).with_phones(&l.phones));
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
    let now = clock.now();
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
    for chunk in candidates.chunks(1_000) {
        let found = chunk
            .iter()
            .map(|c| {
                DuplicateCandidate::new(c.a, c.b, c.weight, c.explanation.clone(), "scan", now)
            })
            .collect();
        store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::PutCandidates(found)],
                audit: None,
            })
            .await?;
    }
    Ok(ScanReport {
        persons: ids.len(),
        comparisons,
        skipped_blocks,
        candidates,
    })
}

/// The roles of a link from a person that make an address (`resides_at`) or a telephone
/// number (`user`, `owner`) theirs.
pub const EVIDENCE_ROLES: [&str; 3] = ["resides_at", "user", "owner"];

/// What a person's links say about them: the postcodes of the addresses they are linked
/// to as resident and the numbers of the phones they use or own (links in force: an
/// unlinked address was recorded in error, or is no longer theirs to be known by).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Linked {
    pub postcodes: Vec<String>,
    pub phones: Vec<String>,
}

impl Linked {
    /// As the search index takes them.
    pub fn values(&self) -> LinkedValues<'_> {
        LinkedValues {
            postcodes: &self.postcodes,
            phones: &self.phones,
        }
    }

    fn add(&mut self, value: &EndValue) {
        let (list, v) = match value {
            EndValue::Postcode(p) => (&mut self.postcodes, p),
            EndValue::Phone(n) => (&mut self.phones, n),
        };
        if !list.contains(v) {
            list.push(v.clone());
        }
    }
}

/// What the record at a link's far end gives the person: an address's postcode or a
/// phone's number.
#[derive(Debug, Clone, PartialEq)]
enum EndValue {
    Postcode(String),
    Phone(String),
}

/// Whether a link from a person to a phone with this role makes the number theirs (the
/// scan and the side-by-side comparison read a person's numbers alike).
pub fn phone_role(role: &str) -> bool {
    matches!(role, "user" | "owner")
}

/// What a record in force may give a person linked to it: an address its postcode, a
/// phone its number (its body decoded once, straight into its type).
fn end_value(end: &ScannedRecord) -> Option<EndValue> {
    if end.status != RecordStatus::Active {
        return None;
    }
    match end.kind {
        RecordKind::Location => {
            let l: Location = serde_json::from_str(&end.body).ok()?;
            Some(EndValue::Postcode(l.postcode?.as_str().to_owned()))
        }
        RecordKind::Object if end.subtype.as_deref() == Some("phone") => {
            match serde_json::from_str::<Object>(&end.body) {
                Ok(Object {
                    details:
                        ObjectDetails::Phone {
                            number: Some(n), ..
                        },
                    ..
                }) => Some(EndValue::Phone(n.as_str().to_owned())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a link with `role` makes `value` the person's: an address they are resident
/// at, a phone they use or own.
fn gives(role: &str, value: &EndValue) -> bool {
    match value {
        EndValue::Postcode(_) => role == "resides_at",
        EndValue::Phone(_) => phone_role(role),
    }
}

/// A value a link gives a person, with the markings of the link and its far end when
/// either is more than plain OFFICIAL (most are not, and carry none).
#[derive(Debug, Clone)]
struct Given {
    value: EndValue,
    markings: Option<Box<(Marking, Marking)>>,
}

impl Given {
    fn new(value: EndValue, link: &Marking, end: &Marking) -> Self {
        let plain = Marking::official();
        let markings =
            (*link != plain || *end != plain).then(|| Box::new((link.clone(), end.clone())));
        Self { value, markings }
    }

    /// Whether the value may be weighed for a person marked `person` ([`weighed`]).
    fn carried_by(&self, person: &Marking) -> bool {
        self.markings
            .as_ref()
            .is_none_or(|m| weighed(&m.0, &m.1, person))
    }
}

/// Whether what a link marked `link` to a record marked `end` gives a person marked `person`
/// may be weighed in their duplicate scores: the link and the record are each within the
/// person's marking, so that anyone shown a pair's score on the strength of seeing the
/// person is cleared, by the markings, for what it was computed from (an address on a
/// SECRET link does not say "an address in common" to an OFFICIAL reader). The scan, the
/// search index and the side-by-side comparison all ask this.
pub fn weighed(link: &Marking, end: &Marking, person: &Marking) -> bool {
    link.within(person) && end.within(person)
}

/// What `given` says about a person marked `marking`.
fn linked_for(given: &[Given], marking: &Marking) -> Linked {
    let mut linked = Linked::default();
    for g in given.iter().filter(|g| g.carried_by(marking)) {
        linked.add(&g.value);
    }
    linked
}

/// What their links say about each of `persons` (id and marking), read with two queries:
/// their links with [`EVIDENCE_ROLES`], then the records those point to. How the search
/// index gives a person their addresses and numbers; the batch scan reads everyone's at
/// once ([`scan`]) and weighs them alike.
pub async fn linked_to(
    store: &Arc<dyn Store>,
    persons: &[(RecordId, &Marking)],
) -> Result<HashMap<RecordId, Linked>, AppError> {
    if persons.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<RecordId> = persons.iter().map(|(id, _)| *id).collect();
    let links = store.links_at(LinkEnd::From, &ids, &EVIDENCE_ROLES).await?;
    let mut far: Vec<RecordId> = links
        .iter()
        .filter_map(|l| Some(l.link.as_ref()?.to))
        .collect();
    far.sort();
    far.dedup();
    let ends: HashMap<RecordId, ScannedRecord> = store
        .load_json(&far)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut given: HashMap<RecordId, Vec<Given>> = HashMap::new();
    for l in &links {
        let Some(ends_of) = &l.link else { continue };
        let Some(end) = ends.get(&ends_of.to) else {
            continue;
        };
        if let Some(v) = end_value(end).filter(|v| gives(&ends_of.role, v)) {
            given
                .entry(ends_of.from)
                .or_default()
                .push(Given::new(v, &l.marking, &end.marking));
        }
    }
    Ok(persons
        .iter()
        .filter_map(|(id, marking)| Some((*id, linked_for(given.get(id)?, marking))))
        .collect())
}

/// For each person, what their links give them (before their own marking is applied),
/// read with three scans (locations, objects, then links).
async fn linked(store: &Arc<dyn Store>) -> Result<HashMap<RecordId, Vec<Given>>, AppError> {
    let mut values: HashMap<RecordId, (EndValue, Marking)> = HashMap::new();
    for kind in [RecordKind::Location, RecordKind::Object] {
        each_record(store, kind, |rec| {
            if let Some(v) = end_value(&rec) {
                values.insert(rec.id, (v, rec.marking));
            }
        })
        .await?;
    }
    let mut given: HashMap<RecordId, Vec<Given>> = HashMap::new();
    each_record(store, RecordKind::Link, |rec| {
        let Some(ends) = rec.link else { return };
        let Some((value, end_marking)) = values.get(&ends.to) else {
            return;
        };
        if gives(&ends.role, value) {
            given.entry(ends.from).or_default().push(Given::new(
                value.clone(),
                &rec.marking,
                end_marking,
            ));
        }
    })
    .await?;
    Ok(given)
}

/// Hands every record in force of `kind` to `each` (its body as text), reading them a
/// page at a time.
async fn each_record(
    store: &Arc<dyn Store>,
    kind: RecordKind,
    mut each: impl FnMut(ScannedRecord),
) -> Result<(), AppError> {
    let mut after = None;
    loop {
        let page = store.scan_json(kind, after, 5_000).await?;
        let Some(last) = page.last().map(|r| r.id) else {
            return Ok(());
        };
        page.into_iter().for_each(&mut each);
        after = Some(last);
    }
}

/// A pair in the review queue, with both records as they are now.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub candidate: DuplicateCandidate,
    pub a: StoredRecord,
    pub b: StoredRecord,
}

/// How many open candidates the review queue reads to fill a page.
const REVIEW_READ: u32 = 2_000;

/// The review queue as `caller` may see it: open candidates whose two records they may
/// both read and which are both still in force (not merged), highest score first, at most
/// `limit`. Audited as a list of the records shown.
pub async fn review_queue(
    pole: &crate::PoleService,
    caller: &Caller,
    limit: usize,
) -> Result<Vec<ReviewItem>, AppError> {
    let store = pole.store();
    let open = store
        .duplicate_candidates(CandidateStatus::Open, REVIEW_READ)
        .await?;
    let mut ids: Vec<RecordId> = open.iter().flat_map(|c| [c.a, c.b]).collect();
    ids.sort_by_key(|i| i.0);
    ids.dedup();
    let records: HashMap<RecordId, StoredRecord> = store
        .load(&ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let find = |id: RecordId| records.get(&id);
    let access = pole.access();
    let visible = |r: &StoredRecord| {
        r.kind == RecordKind::Person
            && crate::merge::MergedInto::of(r).is_none()
            && access
                .decide(caller, bluelamp_authz::Action::Read, r.kind, &r.marking)
                .allowed
    };
    let mut items = Vec::new();
    for c in open {
        if items.len() >= limit {
            break;
        }
        if let (Some(a), Some(b)) = (find(c.a), find(c.b))
            && visible(a)
            && visible(b)
        {
            items.push(ReviewItem {
                candidate: c,
                a: a.clone(),
                b: b.clone(),
            });
        }
    }
    let subjects = items
        .iter()
        .flat_map(|i| [bluelamp_store::subject(&i.a), bluelamp_store::subject(&i.b)])
        .collect();
    let mut audit = caller
        .audit(pole.clock(), AuditAction::List)
        .with_details(json!({ "duplicate_review_queue": items.len() }));
    audit.subjects = subjects;
    store.audit_only(audit).await?;
    Ok(items)
}

/// Records that a candidate pair are two people: it leaves the queue, and a later scan or
/// check does not bring it back. Needs the right to change both records; audited.
pub async fn not_duplicate(
    pole: &crate::PoleService,
    caller: &Caller,
    x: RecordId,
    y: RecordId,
) -> Result<(), AppError> {
    if x == y {
        return Err(
            bluelamp_domain::ValidationErrors::single("b", "Choose two different records").into(),
        );
    }
    let (a, b) = DuplicateCandidate::pair(x, y);
    let mut subjects = Vec::new();
    for id in [a, b] {
        let rec = pole.load_visible(caller, id, AuditAction::Update).await?;
        subjects.push(bluelamp_store::subject(&rec));
        if rec.kind != RecordKind::Person {
            return Err(AppError::NotFound(id));
        }
        pole.require(
            caller,
            bluelamp_authz::Action::Update,
            AuditAction::Update,
            rec.kind,
            &rec.marking,
        )
        .await?;
    }
    let mut audit = caller
        .audit(pole.clock(), AuditAction::Update)
        .with_details(json!({ "duplicate_candidate": [a, b], "decision": "not_duplicate" }));
    audit.subjects = subjects;
    pole.store()
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::DecideCandidate {
                a,
                b,
                status: CandidateStatus::NotDuplicate,
                by: caller.actor().display_name.clone(),
                at: pole.clock().now(),
            }],
            audit: Some(audit),
        })
        .await?;
    Ok(())
}
