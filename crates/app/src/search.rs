//! Search: the tantivy index (crates/search) kept in step with the store, and audited
//! searches over it.
//!
//! Keeping in step: the index is a [`Sink`] of the outbox relay. For each batch of events it
//! loads the records they name as they are now ([`Store::load_json`]), replaces their
//! documents (or removes them when they are gone), with each person's addresses and numbers
//! read from their links ([`Store::links_at`]), brings up to date the persons a link or a
//! linked address or phone in the batch changed, and commits before the relay marks the
//! batch delivered; so a crash at any point either leaves the batch pending (offered again)
//! or already in the index, and a repeat only replaces a document with the same one.
//! Nothing is lost or doubled. A record whose body no longer reads (changed by hand) is
//! taken out of the index with a warning, as a rebuild leaves it out, rather than failing
//! the batch: the relay would offer it again and again, and every later change would wait.
//!
//! Rebuilding ([`Search::rebuild`], `bluelamp reindex`, and on start when the index is new
//! or was written by another version): every record is read with [`Store::scan_json`] (its
//! body as text, decoded once into its type) and staged
//! behind a cleared index, so searches keep answering from the old index until the new one
//! commits. Records that change while it runs are noted and indexed again, as they are
//! then, just before the commit.
//!
//! Searching: the caller's need-to-know pre-filter goes into the index query (so hidden
//! records change no count and no rank); every search is audited with what was asked, the
//! counts and the records returned, and nothing is returned unless that audit record
//! committed.

use crate::duplicates::{EVIDENCE_ROLES, Linked, linked_to};
use crate::merge::MergedInto;
use crate::{Access, AppError, Caller};
use bluelamp_authz::Action;
use bluelamp_domain::audit::AuditSubject;
use bluelamp_domain::values::Gender;
use bluelamp_domain::{AuditAction, Clock, RecordId, RecordKind, ValidationErrors, time};
use bluelamp_events::{BusMessage, Sink};
use bluelamp_search::index::{
    Hit, IndexOp, IndexRecord, KindResults, SEARCHABLE, SearchIndex, SearchRequest,
};
use bluelamp_search::query::{ParsedQuery, parse_dob_query, parse_query};
use bluelamp_search::{DobQuery, PersonFeatures};
use bluelamp_store::{LinkEnd, ScannedRecord, Store, StoredRecord};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Records read per page by a rebuild.
const REBUILD_PAGE: u32 = 5_000;

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    /// The search box.
    pub q: String,
    /// A structured person search: family name, given names, date of birth (as the box
    /// takes it: `12/05/1980`, `05/1980`, `1980`, `1975-1980`), age now, gender.
    pub family_name: String,
    pub given_names: String,
    pub dob: String,
    pub age: Option<u8>,
    pub gender: String,
    /// Only this kind (`person`, `object`, `location`, `event`).
    pub kind: Option<RecordKind>,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

/// What a search found: per kind, the count and a page of hits.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    pub results: Vec<KindResults>,
    /// The query as understood (shown back to the user).
    pub understood: ParsedQuery,
    /// False while the index is being rebuilt: results may be incomplete.
    pub complete: bool,
}

impl SearchOutcome {
    pub fn total(&self) -> usize {
        self.results.iter().map(|r| r.total).sum()
    }
}

/// How the index stands, for `/readyz` and operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchStatus {
    pub documents: u64,
    pub rebuilding: bool,
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildReport {
    pub records: u64,
    pub seconds: f64,
    /// Of which reading, indexing and committing every record.
    pub staging_seconds: f64,
    /// Of the staging, the time spent waiting for the store's pages and the links of their
    /// persons (the rest is the index's: building documents, indexing them, committing).
    pub reading_seconds: f64,
}

impl RebuildReport {
    /// Of the whole, the time spent merging the new segments into one.
    pub fn merge_seconds(&self) -> f64 {
        self.seconds - self.staging_seconds
    }
}

/// What a batch of events staged: the persons indexed with their match features (the
/// duplicate check's input), the first `named` of them named by the events themselves,
/// the rest reached through a link or a linked record that changed them.
#[derive(Debug, Default)]
struct Staged {
    persons: Vec<(RecordId, PersonFeatures)>,
    named: usize,
}

impl Staged {
    /// The persons to check for duplicates: all of them, or when there are more than
    /// [`CHECK_BATCH`] (an address many live at was corrected), those the events named, or
    /// when those too are more (a bulk load), none: the batch scan finds their pairs.
    fn to_check(&self) -> &[(RecordId, PersonFeatures)] {
        if self.persons.len() <= CHECK_BATCH {
            &self.persons
        } else if self.named <= CHECK_BATCH {
            &self.persons[..self.named]
        } else {
            &[]
        }
    }
}

#[derive(Default)]
struct State {
    /// Records changed while a rebuild ran.
    touched: HashSet<RecordId>,
}

/// The search index and its use cases.
#[derive(Clone)]
pub struct Search {
    index: Arc<SearchIndex>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    access: Access,
    state: Arc<tokio::sync::Mutex<State>>,
    /// Whether a rebuild runs. Set only while `state` is held, so the sink and a rebuild,
    /// which hold it, see it settled; searches read it without waiting for that lock,
    /// which the sink holds while it reads and stages a batch.
    rebuilding: Arc<std::sync::atomic::AtomicBool>,
    fresh: bool,
}

fn index_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn join_error(e: tokio::task::JoinError) -> AppError {
    AppError::Internal(format!("search task failed: {e}"))
}

impl Search {
    /// Opens the index in `dir` (or in memory when `None`, rebuilt on every start).
    pub fn open(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        access: Access,
        dir: Option<&Path>,
    ) -> Result<Self, AppError> {
        let (index, fresh) = match dir {
            Some(d) => SearchIndex::open(d).map_err(index_error)?,
            None => (SearchIndex::in_memory().map_err(index_error)?, true),
        };
        Ok(Self {
            index: Arc::new(index),
            store,
            clock,
            access,
            state: Arc::default(),
            rebuilding: Arc::default(),
            fresh,
        })
    }

    /// The index itself (benchmarks time it without the use case around it).
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Whether the index was created empty (or discarded) when opened and so must be rebuilt
    /// before its results are complete.
    pub fn needs_rebuild(&self) -> bool {
        self.fresh
    }

    pub async fn status(&self) -> SearchStatus {
        SearchStatus {
            documents: self.index.len(),
            rebuilding: self.is_rebuilding(),
        }
    }

    fn is_rebuilding(&self) -> bool {
        self.rebuilding.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Only with `state` held.
    fn set_rebuilding(&self, on: bool) {
        self.rebuilding
            .store(on, std::sync::atomic::Ordering::Release);
    }

    /// Rebuilds the index from the store (see the module documentation).
    pub async fn rebuild(&self) -> Result<RebuildReport, AppError> {
        let started = Instant::now();
        {
            let mut st = self.state.lock().await;
            if self.is_rebuilding() {
                return Err(AppError::Forbidden(
                    "the search index is already being rebuilt".into(),
                ));
            }
            self.set_rebuilding(true);
            st.touched.clear();
            let index = self.index.clone();
            let cleared = tokio::task::spawn_blocking(move || index.stage_clear())
                .await
                .map_err(join_error)
                .and_then(|r| r.map_err(index_error));
            if let Err(e) = cleared {
                self.set_rebuilding(false);
                return Err(e);
            }
        }
        let staged = self.stage_everything().await;
        let mut st = self.state.lock().await;
        let finished = match staged {
            Ok((records, reading)) => {
                let touched: Vec<RecordId> = st.touched.drain().collect();
                match self.stage_ids(&touched, true).await {
                    Ok(_) => self.commit().await.map(|()| (records, reading)),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        let (records, reading) = match finished {
            Ok(done) => done,
            Err(e) => {
                // Still holding the state: no sink can commit the half-staged rebuild
                // before it is thrown away.
                let index = self.index.clone();
                let _ = tokio::task::spawn_blocking(move || index.rollback()).await;
                self.set_rebuilding(false);
                tracing::error!(error = %e, "search index rebuild failed; the old index is kept");
                return Err(e);
            }
        };
        self.set_rebuilding(false);
        drop(st);
        let staging_seconds = started.elapsed().as_secs_f64();
        let index = self.index.clone();
        // One segment searches fastest. A slower index is still a correct one, so a failed
        // merge is logged, not fatal.
        match tokio::task::spawn_blocking(move || index.merge_all()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not merge the rebuilt index"),
            Err(e) => tracing::warn!(error = %e, "could not merge the rebuilt index"),
        }
        let seconds = started.elapsed().as_secs_f64();
        let report = RebuildReport {
            records,
            seconds,
            staging_seconds,
            reading_seconds: reading.as_secs_f64(),
        };
        tracing::info!(
            records,
            seconds,
            merge_seconds = report.merge_seconds(),
            "search index rebuilt"
        );
        Ok(report)
    }

    /// Stages every searchable record; returns how many were read and how long was spent
    /// waiting for the store's pages.
    async fn stage_everything(&self) -> Result<(u64, std::time::Duration), AppError> {
        let mut records = 0u64;
        let mut reading = std::time::Duration::ZERO;
        // Pipelined: while one page's documents are built and staged on a blocking thread,
        // the next page is read from the store.
        let mut staging: Option<
            tokio::task::JoinHandle<Result<(), bluelamp_search::index::IndexError>>,
        > = None;
        for kind in SEARCHABLE {
            let mut after = None;
            loop {
                let asked = Instant::now();
                let page = self.store.scan_json(kind, after, REBUILD_PAGE).await?;
                // A page of persons with the addresses and numbers their links give them
                // (looked up page by page: reading every link of the store first, as the
                // batch scan does, measured about 1.6 times as slow again).
                let linked = self.linked_of(&page).await?;
                reading += asked.elapsed();
                if let Some(previous) = staging.take() {
                    previous.await.map_err(join_error)?.map_err(index_error)?;
                }
                let Some(last) = page.last().map(|r| r.id) else {
                    break;
                };
                after = Some(last);
                records += u64::try_from(page.len()).unwrap_or(0);
                let index = self.index.clone();
                staging = Some(tokio::task::spawn_blocking(move || {
                    let docs = page
                        .iter()
                        .filter(|r| searchable(r))
                        .filter_map(|r| {
                            document(&index, r, &linked, "left out of the rebuilt index")
                        })
                        .map(|(doc, _)| doc)
                        .collect();
                    index.stage_new(docs)
                }));
            }
        }
        if let Some(previous) = staging {
            previous.await.map_err(join_error)?.map_err(index_error)?;
        }
        Ok((records, reading))
    }

    /// Stages the records as they are now: a document for each that exists, a removal for
    /// each that does not, and the persons whose addresses or numbers may have changed with
    /// them ([`Search::persons_touched`]). Links themselves make no document. A person
    /// reached only that way is staged when what the index holds of them changed (always,
    /// with `all_touched`: a rebuild's last pass, whose new documents the index does not
    /// show yet). Returns `None` when nothing was staged.
    async fn stage_ids(
        &self,
        ids: &[RecordId],
        all_touched: bool,
    ) -> Result<Option<Staged>, AppError> {
        if ids.is_empty() {
            return Ok(None);
        }
        // Bodies as text, each decoded once, straight into its type: one that does not read
        // as its kind (changed by hand) is taken out of the index with a warning, as a
        // rebuild leaves it out, instead of failing the batch, which the relay would offer
        // again and again while every later change waited behind it.
        let mut records = self.store.load_json(ids).await?;
        let links: HashSet<RecordId> = records
            .iter()
            .filter(|r| r.kind == RecordKind::Link)
            .map(|r| r.id)
            .collect();
        let mut seen: HashSet<RecordId> = HashSet::with_capacity(ids.len());
        let named: Vec<RecordId> = ids
            .iter()
            .filter(|id| !links.contains(id) && seen.insert(**id))
            .copied()
            .collect();
        let touched: Vec<RecordId> = self
            .persons_touched(&records)
            .await?
            .into_iter()
            .filter(|id| seen.insert(*id))
            .collect();
        if named.is_empty() && touched.is_empty() {
            return Ok(None);
        }
        if !touched.is_empty() {
            records.extend(self.store.load_json(&touched).await?);
        }
        let linked = self.linked_of(&records).await?;
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            let by_id: HashMap<RecordId, &ScannedRecord> =
                records.iter().map(|r| (r.id, r)).collect();
            let mut ops: Vec<IndexOp> = Vec::with_capacity(named.len() + touched.len());
            let mut staged = Staged::default();
            for id in &named {
                match by_id.get(id) {
                    Some(r) if searchable(r) => {
                        match document(&index, r, &linked, "taken out of the index") {
                            Some((doc, features)) => {
                                ops.push(IndexOp::Put(doc));
                                staged.persons.extend(features.map(|f| (*id, f)));
                            }
                            None => ops.push(IndexOp::Remove(*id)),
                        }
                    }
                    _ => ops.push(IndexOp::Remove(*id)),
                }
            }
            staged.named = staged.persons.len();
            for id in &touched {
                let Some(r) = by_id.get(id).filter(|r| searchable(r)) else {
                    continue; // not in the index: nothing of theirs to bring up to date
                };
                let Some((doc, Some(features))) =
                    document(&index, r, &linked, "taken out of the index")
                else {
                    ops.push(IndexOp::Remove(*id));
                    continue;
                };
                if all_touched || index.person_features(*id)?.as_ref() != Some(&features) {
                    ops.push(IndexOp::Put(doc));
                    staged.persons.push((*id, features));
                }
            }
            if ops.is_empty() {
                return Ok(None);
            }
            index.stage(ops).map(|()| Some(staged))
        })
        .await
        .map_err(join_error)?
        .map_err(index_error)
    }

    /// The persons (by id) whose addresses or numbers these records, as they are now, may
    /// have changed: where a link with [`EVIDENCE_ROLES`] starts (made or ended), and who is
    /// linked so to an address or an object among them (a phone's number corrected, or an
    /// object that is a phone no longer).
    async fn persons_touched(&self, records: &[ScannedRecord]) -> Result<Vec<RecordId>, AppError> {
        let mut persons: Vec<RecordId> = records
            .iter()
            .filter_map(|r| r.link.as_ref())
            .filter(|l| EVIDENCE_ROLES.contains(&l.role.as_str()))
            .map(|l| l.from)
            .collect();
        let ends: Vec<RecordId> = records
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::Location | RecordKind::Object))
            .map(|r| r.id)
            .collect();
        if !ends.is_empty() {
            persons.extend(
                self.store
                    .links_at(LinkEnd::To, &ends, &EVIDENCE_ROLES)
                    .await?
                    .into_iter()
                    .filter_map(|l| Some(l.link?.from)),
            );
        }
        persons.sort();
        persons.dedup();
        Ok(persons)
    }

    /// What their links say about the persons among `records` (others have none).
    async fn linked_of(
        &self,
        records: &[ScannedRecord],
    ) -> Result<HashMap<RecordId, Linked>, AppError> {
        let persons: Vec<(RecordId, &bluelamp_domain::Marking)> = records
            .iter()
            .filter(|r| r.kind == RecordKind::Person && searchable(r))
            .map(|r| (r.id, &r.marking))
            .collect();
        linked_to(&self.store, &persons).await
    }

    async fn commit(&self) -> Result<(), AppError> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.commit())
            .await
            .map_err(join_error)?
            .map_err(index_error)
    }

    /// Searches as the caller; audited (see the module documentation).
    pub async fn search(
        &self,
        caller: &Caller,
        input: &SearchInput,
    ) -> Result<SearchOutcome, AppError> {
        let today = time::london_date(self.clock.now());
        let (query, gender) = understand(input, today)?;
        let per_page = input.per_page.clamp(1, 100);
        let page = input.page.max(1);
        let names = query.family_and_given();
        let details = json!({
            "q": input.q,
            "family_name": names.as_ref().map(|(f, _)| f),
            "given_names": names.as_ref().and_then(|(_, g)| g.as_ref()),
            "dob": input.dob,
            "age": input.age,
            "gender": input.gender,
            "kind": input.kind.map(|k| k.as_str()),
            "page": page,
            "per_page": per_page,
        });
        let req = SearchRequest {
            query: query.clone(),
            gender,
            kind: input.kind,
            offset: usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX),
            limit: usize::try_from(per_page).unwrap_or(25),
            probe: None,
        };
        let (results, complete) = self.run(caller, req, details).await?;
        Ok(SearchOutcome {
            results,
            understood: query,
            complete,
        })
    }

    /// Search before create: the persons the caller may see who best match a person about
    /// to be created (by names, date of birth and identifiers), best first, at most five,
    /// each with its score, why, and whether it is likely the same person. Audited as a
    /// search. Invalid input is refused as creating it would be.
    pub async fn before_create(
        &self,
        caller: &Caller,
        input: &bluelamp_domain::pole::input::PersonInput,
    ) -> Result<Vec<LikelyMatch>, AppError> {
        let today = time::london_date(self.clock.now());
        let (person, _) = bluelamp_domain::pole::Person::parse(input, today)?;
        let details = json!({
            "before_create": true,
            "family_name": person.family_name.as_str(),
            "given_names": person.given_names.as_ref().map(|g| g.as_str()),
            "dob": person.date_of_birth.as_string(),
        });
        let features = PersonFeatures::from_person(&person, &[]);
        self.matches_for(caller, features, details, None, 5).await
    }

    /// The people already recorded (that the caller may see) most likely to be the same
    /// person as `rec`, other than itself and those a reviewer has decided are someone else:
    /// the check a record page shows as "possible duplicates", kept current by the index.
    /// Audited as a search.
    pub async fn likely_duplicates(
        &self,
        caller: &Caller,
        rec: &StoredRecord,
    ) -> Result<Vec<LikelyMatch>, AppError> {
        let person: bluelamp_domain::pole::Person = serde_json::from_value(rec.body.clone())
            .map_err(|e| AppError::Internal(format!("person {} does not read: {e}", rec.id)))?;
        // Ranked as the index holds everyone else: with the addresses and numbers the
        // person's links give them.
        let linked = linked_to(&self.store, &[(rec.id, &rec.marking)])
            .await?
            .remove(&rec.id)
            .unwrap_or_default();
        let features =
            PersonFeatures::from_person(&person, &linked.postcodes).with_phones(&linked.phones);
        self.likely_duplicates_of(caller, rec.id, &features).await
    }

    /// [`Search::likely_duplicates`] of the person recorded as `id`, already read.
    async fn likely_duplicates_of(
        &self,
        caller: &Caller,
        rec_id: RecordId,
        person: &PersonFeatures,
    ) -> Result<Vec<LikelyMatch>, AppError> {
        const SHOWN: usize = 6;
        let details = json!({ "duplicates_of": rec_id });
        let found = self
            .matches_for(caller, person.clone(), details.clone(), Some(rec_id), SHOWN)
            .await?;
        let all_likely = found.iter().all(|m| m.likely);
        let full = found.len() == SHOWN;
        let mut likely: Vec<LikelyMatch> = found.into_iter().filter(|m| m.likely).collect();
        // A pair a reviewer has decided is two people is not offered again (the decisions
        // are read only when there is something to leave out: most pages have no match).
        if likely.is_empty() {
            return Ok(likely);
        }
        let decided: Vec<RecordId> = self
            .store
            .duplicate_candidates_of(rec_id)
            .await?
            .into_iter()
            .filter(|c| c.status == bluelamp_store::CandidateStatus::NotDuplicate)
            .map(|c| if c.a == rec_id { c.b } else { c.a })
            .collect();
        let before = likely.len();
        likely.retain(|m| !decided.contains(&m.hit.id));
        // Those left out took places among the first six: when every place held a likely
        // match, there may be more behind them. Look again, far enough to pass every
        // decided pair (a second search, audited as such).
        if likely.len() < before && full && all_likely {
            let wider = (SHOWN + decided.len()).min(100);
            likely = self
                .matches_for(caller, person.clone(), details, Some(rec_id), wider)
                .await?
                .into_iter()
                .filter(|m| m.likely && !decided.contains(&m.hit.id))
                .take(SHOWN)
                .collect();
        }
        Ok(likely)
    }

    async fn matches_for(
        &self,
        caller: &Caller,
        features: PersonFeatures,
        mut details: serde_json::Value,
        exclude: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<LikelyMatch>, AppError> {
        let req = SearchRequest::for_person(features, limit + usize::from(exclude.is_some()));
        details["identifiers"] = json!(req.query.identifiers.len());
        let (results, _) = self.run(caller, req, details).await?;
        Ok(results
            .into_iter()
            .flat_map(|r| r.hits)
            .filter(|hit| Some(hit.id) != exclude)
            .take(limit)
            .map(|hit| LikelyMatch {
                likely: hit.score >= bluelamp_search::DEFAULT_THRESHOLD,
                hit,
            })
            .collect())
    }

    /// Runs a search under the caller's need-to-know filter and audits it: `details` plus
    /// the counts per kind and whether the index was complete, with the records returned
    /// as subjects. Nothing is returned unless the audit record committed.
    async fn run(
        &self,
        caller: &Caller,
        req: SearchRequest,
        mut details: serde_json::Value,
    ) -> Result<(Vec<KindResults>, bool), AppError> {
        let visibility = self
            .access
            .visibility(caller, Action::Search, AuditAction::Search)
            .await?;
        let index = self.index.clone();
        let results = tokio::task::spawn_blocking(move || index.search(&req, visibility.as_ref()))
            .await
            .map_err(join_error)?
            .map_err(index_error)?;
        let complete = !self.is_rebuilding();
        details["counts"] = results
            .iter()
            .map(|r| (r.kind.as_str().to_owned(), json!(r.total)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        details["complete"] = json!(complete);
        let mut audit = caller
            .audit(&self.clock, AuditAction::Search)
            .with_details(details);
        audit.subjects = results
            .iter()
            .flat_map(|r| r.hits.iter())
            .map(|h| AuditSubject {
                id: h.id,
                kind: h.kind,
                version: h.version,
                classification: h.classification,
                content: None,
            })
            .collect();
        self.store.audit_only(audit).await?;
        Ok((results, complete))
    }
}

/// Persons already recorded who may be the person about to be created.
#[derive(Debug, Clone, PartialEq)]
pub struct LikelyMatch {
    pub hit: Hit,
    /// The match weight reaches the duplicate threshold: probably the same person.
    pub likely: bool,
}

/// Whether a record is found by search: in force, and not merged into another (its
/// survivor is found instead; an un-merge brings it back).
fn searchable(r: &ScannedRecord) -> bool {
    r.status == bluelamp_store::RecordStatus::Active && MergedInto::of_json(r).is_none()
}

/// The document for a record read with its body as text, or `None` (with a warning saying
/// what became of the record) for a body that no longer reads as its kind: Bluelamp
/// validated it when it wrote it, so it was changed by hand since (`bluelamp audit
/// records` names it). The record is left out, and said, rather than stopping the index.
fn document(
    index: &SearchIndex,
    r: &ScannedRecord,
    linked: &HashMap<RecordId, Linked>,
    what_happens: &str,
) -> Option<(
    bluelamp_search::index::TantivyDocument,
    Option<PersonFeatures>,
)> {
    let doc = index.document_and_features(&IndexRecord {
        id: r.id,
        kind: r.kind,
        version: r.version,
        subtype: r.subtype.as_deref(),
        summary: &r.summary,
        marking: &r.marking,
        body: &r.body,
        linked: linked.get(&r.id).map(Linked::values).unwrap_or_default(),
    });
    // Links make no document by design; anything else that makes none did not read.
    if doc.is_none() && r.kind != RecordKind::Link {
        tracing::warn!(record.id = %r.id, kind = r.kind.as_str(), "a record whose body does not read is {what_happens}");
    }
    doc
}

/// The search as the index takes it: the box, with the structured fields on top. Bad
/// input is refused naming the field.
fn understand(
    input: &SearchInput,
    today: jiff::civil::Date,
) -> Result<(ParsedQuery, Option<Gender>), AppError> {
    let mut errors = ValidationErrors::new();
    let mut query = match parse_query(&input.q, today) {
        Ok(q) => q,
        Err(e) => {
            errors.push("q", e.to_string());
            ParsedQuery::default()
        }
    };
    let mut field = |name: &str, value: &str| -> Option<String> {
        let v = value.trim();
        if v.len() > 100 || v.chars().any(char::is_control) {
            errors.push(
                name,
                "Must be 100 characters or fewer, with no control characters",
            );
            return None;
        }
        (!v.is_empty()).then(|| v.to_owned())
    };
    let family = field("family_name", &input.family_name);
    let given = field("given_names", &input.given_names);
    let dob = field("dob", &input.dob);
    let gender_text = field("gender", &input.gender);
    if let Some(f) = family {
        query.names = given
            .iter()
            .flat_map(|g| g.split_whitespace().map(str::to_owned))
            .chain(std::iter::once(f))
            .collect();
        query.family_first = false;
    } else if given.is_some() {
        errors.push(
            "family_name",
            "Enter a family name to search by given names",
        );
    }
    if let Some(d) = dob {
        match parse_dob_query(&d, today) {
            Some(q) => query.dob = Some(q),
            None => errors.push(
                "dob",
                "Enter a date of birth like 12/05/1980, 05/1980, 1980 or a range like 1975-1980",
            ),
        }
    }
    if let Some(age) = input.age {
        if age > 130 {
            errors.push("age", "Enter an age of 130 or under");
        } else {
            query.dob = Some(DobQuery::AgeAt { age, on: today });
        }
    }
    let gender = match gender_text {
        None => None,
        Some(g) => match Gender::parse(&g) {
            Ok(g) => Some(g),
            Err(e) => {
                errors.push("gender", e);
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if query.is_empty() {
        return Err(ValidationErrors::single(
            "q",
            "Enter a name, date of birth, reference, registration, phone number, postcode or words to search for",
        )
        .into());
    }
    Ok((query, gender))
}

/// The records a batch of events is about, each once (links too: they make no document,
/// but a person's addresses and numbers come from theirs).
fn event_ids(batch: &[BusMessage]) -> Vec<RecordId> {
    let mut ids: Vec<RecordId> = Vec::new();
    for m in batch {
        let info = &m.payload["additionalInformation"];
        if let Some(id) = info["id"].as_str().and_then(|s| s.parse::<RecordId>().ok())
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

#[async_trait::async_trait]
impl Sink for Search {
    fn name(&self) -> &'static str {
        "search index"
    }

    async fn deliver(&self, batch: &[BusMessage]) -> Result<(), String> {
        let ids = event_ids(batch);
        if ids.is_empty() {
            return Ok(());
        }
        // Held throughout, so a rebuild's final commit and this one never interleave.
        let mut st = self.state.lock().await;
        // While a rebuild runs, the index does not show what it staged: a person is not
        // compared with it.
        let staged = self
            .stage_ids(&ids, self.is_rebuilding())
            .await
            .map_err(|e| e.to_string())?;
        if self.is_rebuilding() {
            // The rebuild commits these with everything else (and stages them again,
            // as they are then).
            st.touched.extend(ids);
            return Ok(());
        }
        let Some(staged) = staged else {
            return Ok(());
        };
        self.commit().await.map_err(|e| e.to_string())?;
        drop(st);
        // The duplicate check on new and changed persons, as just loaded. Its failure must
        // not stop the index following the store: it is logged, and the batch scan finds
        // the pairs.
        let persons = staged.to_check();
        if !persons.is_empty()
            && let Err(e) = self.check(persons).await
        {
            tracing::warn!(error = %e, "duplicate check skipped");
        }
        Ok(())
    }
}

/// A batch with more persons than this (a bulk load or migration) is left to the batch
/// scan rather than checked one person at a time.
pub const CHECK_BATCH: usize = 64;

impl Search {
    /// The duplicate check: each person (in force, not merged) is matched against everyone
    /// in the index, and the likely pairs are recorded for review (`found_by: check`).
    /// Runs as the system, with every record in reach; each search is audited as such. A
    /// body that does not read as a person is passed over (with a warning) rather than
    /// failing the check for everyone.
    pub async fn check_persons(&self, ids: &[RecordId]) -> Result<usize, AppError> {
        let records = self.store.load_json(ids).await?;
        let linked = self.linked_of(&records).await?;
        let persons: Vec<(RecordId, PersonFeatures)> = records
            .iter()
            .filter(|r| r.kind == RecordKind::Person && searchable(r))
            .filter_map(|r| {
                let (_, features) =
                    document(&self.index, r, &linked, "left out of the duplicate check")?;
                Some((r.id, features?))
            })
            .collect();
        self.check(&persons).await
    }

    /// [`Search::check_persons`] of persons whose features are already built (the index's
    /// batch, as just indexed).
    async fn check(&self, persons: &[(RecordId, PersonFeatures)]) -> Result<usize, AppError> {
        let caller = Caller::system("duplicate-check");
        let now = self.clock.now();
        let mut found = Vec::new();
        for (id, person) in persons {
            // One person's failure does not stop the check for the others.
            let matches = match self.likely_duplicates_of(&caller, *id, person).await {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(record.id = %id, error = %e, "duplicate check failed for a person");
                    continue;
                }
            };
            for m in matches {
                found.push(bluelamp_store::DuplicateCandidate::new(
                    *id,
                    m.hit.id,
                    m.hit.score,
                    m.hit.reason,
                    "check",
                    now,
                ));
            }
        }
        let n = found.len();
        if n > 0 {
            self.store
                .directory_apply(bluelamp_store::DirectoryChange {
                    ops: vec![bluelamp_store::DirectoryOp::PutCandidates(found)],
                    audit: None,
                })
                .await?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(q: &str) -> SearchInput {
        SearchInput {
            q: q.into(),
            page: 1,
            per_page: 25,
            ..Default::default()
        }
    }

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 30)
    }

    #[test]
    fn structured_fields_override_the_box() {
        let mut i = input("");
        i.family_name = "Smith".into();
        i.given_names = "John Paul".into();
        i.dob = "1980".into();
        let (q, _) = understand(&i, today()).unwrap();
        assert_eq!(q.names, ["John", "Paul", "Smith"]);
        assert_eq!(q.dob, Some(DobQuery::Year(1980)));
        i.age = Some(45);
        let (q, _) = understand(&i, today()).unwrap();
        assert!(matches!(q.dob, Some(DobQuery::AgeAt { age: 45, .. })));
    }

    #[test]
    fn bad_input_names_the_field() {
        let mut i = input("smith");
        i.dob = "31/02/1980".into();
        i.gender = "robot".into();
        let AppError::Invalid(e) = understand(&i, today()).unwrap_err() else {
            panic!("not a validation error");
        };
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["dob", "gender"]);
        let AppError::Invalid(e) = understand(&input("  "), today()).unwrap_err() else {
            panic!("not a validation error");
        };
        assert_eq!(e.0[0].field, "q");
        assert!(matches!(
            understand(&input(&"x".repeat(600)), today()),
            Err(AppError::Invalid(_))
        ));
    }

    #[test]
    fn a_large_batch_checks_the_persons_its_events_named_first() {
        let person = |n: u128| {
            let id = RecordId(uuid::Uuid::from_u128(n));
            let input: bluelamp_domain::pole::input::PersonInput =
                serde_json::from_value(json!({"family_name": "Smith"})).unwrap();
            let (p, _) = bluelamp_domain::pole::Person::parse(&input, today()).unwrap();
            (id, PersonFeatures::from_person(&p, &[]))
        };
        let staged = |named: usize, touched: usize| Staged {
            persons: (0..named + touched)
                .map(|n| person(n as u128 + 1))
                .collect(),
            named,
        };
        // Few enough: everyone.
        assert_eq!(staged(2, 3).to_check().len(), 5);
        assert_eq!(staged(0, CHECK_BATCH).to_check().len(), CHECK_BATCH);
        // An address many live at corrected beside a saved person: the saved person.
        let crowded = staged(1, CHECK_BATCH);
        assert_eq!(crowded.to_check().len(), 1);
        assert_eq!(crowded.to_check()[0].0, crowded.persons[0].0);
        // A bulk load: nobody (the batch scan finds their pairs).
        assert!(staged(CHECK_BATCH + 1, 0).to_check().is_empty());
    }

    #[test]
    fn events_name_each_record_once() {
        let id = RecordId::new_at(jiff::Timestamp::UNIX_EPOCH);
        let msg = |kind: &str| BusMessage {
            seq: 1,
            event_type: "x".into(),
            payload: Arc::new(
                json!({ "additionalInformation": { "id": id.to_string(), "kind": kind } }),
            ),
        };
        assert_eq!(event_ids(&[msg("person"), msg("person")]), [id]);
        assert_eq!(event_ids(&[msg("link")]), [id]);
    }
}
