//! The search index: a tantivy projection of the POLE store.
//!
//! One document per current person, object, location and event (links are found through
//! the records they join). A document holds what search matches on (folded names and their
//! sound-alike codes, name-variant groups, date-of-birth terms, identifiers, registrations,
//! phone numbers, postcodes at three precisions, folded words) and the record's marking as
//! access terms, so that the need-to-know pre-filter runs inside the index: a record the
//! user may not see is never a candidate, so it can change neither a count nor a rank.
//!
//! Ranking never uses corpus statistics (no BM25: its inverse document frequencies would
//! let hidden records move visible ones). Candidates are gathered with constant-score
//! clauses weighted like the match model, and persons are then re-ranked by the
//! Fellegi-Sunter score of [`crate::score`] against the query, with its explanation as the
//! reason shown.
//!
//! The index holds nothing that is not in the store: it can always be thrown away and
//! rebuilt.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use bluelamp_domain::pole::{Event, Location, Object, ObjectDetails, Person};
use bluelamp_domain::values::{DateOfBirth, Gender};
use bluelamp_domain::{Classification, Marking, RecordId, RecordKind, Version, Visibility};
use jiff::civil::Date;
use serde::Serialize;
/// A document of the index, as [`SearchIndex::document`] builds it.
pub use tantivy::TantivyDocument;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::dob::{DobQuery, DobQueryMatch, matches_query};
use crate::features::{NameFeatures, PersonFeatures};
use crate::normalise::fold;
use crate::query::{ParsedQuery, PostcodeQuery, dob_of_query};
use crate::score::{FieldScore, Frequencies, score_with};
use crate::union::SeekingUnion;
use crate::variants::variant_groups;

/// Bumped whenever the schema or what is indexed changes: an index written by another
/// version is rebuilt from the store.
pub const SCHEMA_VERSION: u32 = 12;

/// The `acl_open` term of a restricted record (an open one has "1").
const RESTRICTED: &str = "0";

/// At most this many person candidates are re-ranked by the match model; a search that
/// finds more says these are the best of more.
pub const PERSON_CANDIDATES: usize = 100;

/// Persons read per telephone number to tell a shared line from a person's own
/// ([`PHONE_LINE_FAMILIES`](crate::score::PHONE_LINE_FAMILIES)).
const LINE_SAMPLE: usize = 32;

/// Counts of other kinds are exact; pages of them are served up to this far.
pub const MAX_OFFSET: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    Other(String),
}

impl From<tantivy::directory::error::OpenDirectoryError> for IndexError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        IndexError::Other(e.to_string())
    }
}

impl From<tantivy::query::QueryParserError> for IndexError {
    fn from(e: tantivy::query::QueryParserError) -> Self {
        IndexError::Other(e.to_string())
    }
}

pub type IndexResult<T> = Result<T, IndexError>;

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    subtype: Field,
    summary: Field,
    features: Field,
    version: Field,
    acl_rank: Field,
    acl_comp: Field,
    acl_open: Field,
    acl_team: Field,
    acl_officer: Field,
    acl_ounit: Field,
    words: Field,
    p_fam: Field,
    p_fcode: Field,
    p_given: Field,
    p_gvar: Field,
    p_gcode: Field,
    p_dob: Field,
    p_year: Field,
    ident: Field,
    vrm: Field,
    phone: Field,
    pc: Field,
    /// A person's telephone numbers (from their links): how a duplicate check gathers the
    /// records that share one whatever their names.
    p_tel: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stored_string = STRING | STORED;
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        // The id as its 16 bytes, not its 36-character text: a rebuild builds the term
        // dictionary of every id, and shorter keys make that much cheaper.
        id: b.add_bytes_field("id", INDEXED | STORED),
        kind: b.add_text_field("kind", STRING),
        subtype: b.add_text_field("subtype", STORED),
        summary: b.add_text_field("summary", STORED),
        // The match features in their compact stored form (`crate::encoding`).
        features: b.add_bytes_field("features", STORED),
        version: b.add_i64_field("version", STORED),
        acl_rank: b.add_u64_field("acl_rank", INDEXED | FAST | STORED),
        acl_comp: b.add_text_field("acl_comp", STRING),
        acl_open: b.add_text_field("acl_open", STRING),
        acl_team: b.add_text_field("acl_team", STRING),
        acl_officer: b.add_text_field("acl_officer", STRING),
        acl_ounit: b.add_text_field("acl_ounit", STRING),
        words: b.add_text_field("words", words),
        p_fam: b.add_text_field("p_fam", STRING),
        p_fcode: b.add_text_field("p_fcode", STRING),
        p_given: b.add_text_field("p_given", STRING),
        p_gvar: b.add_text_field("p_gvar", STRING),
        p_gcode: b.add_text_field("p_gcode", STRING),
        p_dob: b.add_text_field("p_dob", STRING),
        p_year: b.add_u64_field("p_year", INDEXED),
        ident: b.add_text_field("ident", stored_string.clone()),
        vrm: b.add_text_field("vrm", stored_string.clone()),
        phone: b.add_text_field("phone", stored_string.clone()),
        pc: b.add_text_field("pc", stored_string),
        p_tel: b.add_text_field("p_tel", STRING),
    };
    (b.build(), fields)
}

/// A record as the index takes it.
#[derive(Debug, Clone, Copy)]
pub struct IndexRecord<'a> {
    pub id: RecordId,
    pub kind: RecordKind,
    pub version: Version,
    pub subtype: Option<&'a str>,
    pub summary: &'a str,
    pub marking: &'a Marking,
    /// The body as JSON text, decoded once, straight into its kind's type.
    pub body: &'a str,
    /// For a person, what their links say about them (read from the store with the record
    /// by whoever indexes it); empty for other kinds.
    pub linked: LinkedValues<'a>,
}

/// The postcodes of the addresses a person is linked to as resident and the numbers of the
/// phones they use or own: part of their match features, as the batch scan reads them.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkedValues<'a> {
    pub postcodes: &'a [String],
    pub phones: &'a [String],
}

/// The body as `T`, or `None` when it does not read as one.
fn read<T: serde::de::DeserializeOwned>(body: &str) -> Option<T> {
    serde_json::from_str(body).ok()
}

/// One change to apply to the index.
#[derive(Debug, Clone)]
pub enum IndexOp {
    /// Add the record, replacing any earlier document for it.
    Put(TantivyDocument),
    /// Remove the record's document (deleted, merged away).
    Remove(RecordId),
}

/// A search over the index: what was typed, parsed, and which kind to page through.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: ParsedQuery,
    /// A structured person search's gender (scored; never a filter).
    pub gender: Option<Gender>,
    /// Only this kind; `None` gives the first page of every kind.
    pub kind: Option<RecordKind>,
    pub offset: usize,
    pub limit: usize,
    /// A person being checked for duplicates ([`SearchRequest::for_person`]): candidates
    /// are gathered by the query (the person's own name, date of birth and identifiers),
    /// then ranked against everything the index holds of the person (other names, place of
    /// birth, height, ethnicity, nationality) with the match model, not only against what
    /// the query says. With the addresses and numbers the person's links give them, as the
    /// index holds everyone's ([`LinkedValues`]): everyone sharing one of their numbers is
    /// gathered too, whatever their names, and a number more than
    /// [`PHONE_LINE_FAMILIES`](crate::score::PHONE_LINE_FAMILIES) family names share weighs nothing, as in the batch scan.
    /// Unlike the scan, without name-frequency weights.
    pub probe: Option<PersonFeatures>,
}

impl SearchRequest {
    /// The duplicate check of a person: the query says what a search for them would (their
    /// own name, date of birth, identifiers, gender), and the person is the probe the
    /// candidates are ranked against. One person, described once.
    pub fn for_person(person: PersonFeatures, limit: usize) -> Self {
        let mut query = ParsedQuery::default();
        if let Some(g) = &person.name.display_given {
            query.names.extend(g.split_whitespace().map(str::to_owned));
        }
        query.names.push(person.name.display_family.clone());
        query.dob = crate::query::dob_query_of(&person.dob);
        query.identifiers = person
            .identifiers
            .iter()
            .map(|(t, value)| crate::query::IdentifierQuery {
                id_type: Some(*t),
                value: value.clone(),
            })
            .collect();
        SearchRequest {
            query,
            gender: Some(person.gender),
            kind: Some(RecordKind::Person),
            offset: 0,
            limit,
            probe: Some(person),
        }
    }
}

/// One record found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: RecordId,
    #[serde(serialize_with = "kind_str")]
    pub kind: RecordKind,
    /// The version indexed (the one a consultation of this result names).
    pub version: Version,
    pub classification: Classification,
    pub subtype: Option<String>,
    pub summary: String,
    /// How well it matched: for persons the match model's weight, otherwise the sum of the
    /// matching clauses' weights.
    pub score: f64,
    /// Why it matched ("surname sounds like Smith; year of birth matches").
    pub reason: String,
    /// Per-field scores for persons (empty for other kinds).
    pub fields: Vec<FieldScore>,
}

fn kind_str<S: serde::Serializer>(k: &RecordKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

/// The hits of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindResults {
    #[serde(serialize_with = "kind_str")]
    pub kind: RecordKind,
    /// How many records of this kind match (for persons, up to [`PERSON_CANDIDATES`]).
    pub total: usize,
    /// False when there were more than could be counted.
    pub total_exact: bool,
    pub hits: Vec<Hit>,
}

/// The searchable kinds, in the order results are shown.
pub const SEARCHABLE: [RecordKind; 4] = [
    RecordKind::Person,
    RecordKind::Object,
    RecordKind::Location,
    RecordKind::Event,
];

/// The tantivy index and its one writer.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

/// Small doc-store blocks: a search reads the stored fields of up to
/// [`PERSON_CANDIDATES`] scattered documents, and each read decompresses a whole block, so
/// blocks of a few documents each cost far less than tantivy's default 16 KB.
fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_blocksize: 2_048,
        // Uncompressed: decompressing a block per candidate cost a tenth of a search.
        docstore_compression: tantivy::store::Compressor::None,
        ..Default::default()
    }
}

/// The term that marks a record with no given names (in `p_given`) or no date of birth
/// (in `p_dob`): unknown is not a disagreement.
const NONE: &str = "-";

/// The file beside the index that says which schema wrote it.
const VERSION_FILE: &str = "bluelamp-schema-version";

/// The writer's memory, with one indexing thread: a full rebuild of a million persons fits
/// in one segment, so it needs no merge afterwards (with two threads and 128 MB it wrote a
/// dozen segments, merged them as it went and again at the end, on the same two cores that
/// read and build the documents). Used only while documents are being indexed: the memory
/// is given back at each commit.
const WRITER_MEMORY: usize = 512 * 1024 * 1024;
const WRITER_THREADS: usize = 1;

impl SearchIndex {
    /// Opens the index in `dir`, creating it when there is none. The flag is true when the
    /// index is new (or was written by another schema version and has been discarded): it
    /// must be rebuilt from the store before its results are complete.
    pub fn open(dir: &Path) -> IndexResult<(Self, bool)> {
        std::fs::create_dir_all(dir)?;
        let version_path = dir.join(VERSION_FILE);
        let current = std::fs::read_to_string(&version_path)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok());
        let (schema, f) = schema();
        let fresh = current != Some(SCHEMA_VERSION);
        if fresh {
            // Another version's index (or a half-made one): start again.
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_file() {
                    std::fs::remove_file(&path)?;
                }
            }
        }
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .open_or_create(directory)?;
        if fresh {
            std::fs::write(&version_path, SCHEMA_VERSION.to_string())?;
        }
        Ok((
            Self::from_index(index, f, WRITER_THREADS, WRITER_MEMORY)?,
            fresh,
        ))
    }

    /// An index in memory (tests, and deployments that rebuild on every start).
    pub fn in_memory() -> IndexResult<Self> {
        let (schema, f) = schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()?;
        Self::from_index(index, f, 1, 20 * 1024 * 1024)
    }

    fn from_index(index: Index, f: Fields, threads: usize, memory: usize) -> IndexResult<Self> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer_with_num_threads(threads, memory)?;
        Ok(Self {
            reader,
            writer: Mutex::new(writer),
            f,
        })
    }

    fn writer(&self) -> IndexResult<std::sync::MutexGuard<'_, IndexWriter>> {
        self.writer
            .lock()
            .map_err(|_| IndexError::Other("the index writer was poisoned by a panic".into()))
    }

    /// The term a record's document is found (and replaced, and removed) by.
    fn id_term(&self, id: RecordId) -> Term {
        Term::from_field_bytes(self.f.id, id.0.as_bytes())
    }

    /// The match features the index holds for a person (`None` when it holds no person
    /// with this id, or their stored features do not read): how the search sink tells
    /// whether a change to a record linked to them changed them.
    pub fn person_features(&self, id: RecordId) -> IndexResult<Option<PersonFeatures>> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(self.id_term(id), IndexRecordOption::Basic);
        let Some((_, address)) = searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(doc
            .get_first(self.f.features)
            .and_then(|v| v.as_bytes())
            .and_then(|b| crate::encoding::decode(b).ok()))
    }

    /// The record a document is for.
    fn doc_id(&self, doc: &TantivyDocument) -> Option<RecordId> {
        doc.get_first(self.f.id)
            .and_then(|v| v.as_bytes())
            .and_then(|b| uuid::Uuid::from_slice(b).ok())
            .map(RecordId)
    }

    /// Applies changes without committing them: searches do not see them until
    /// [`SearchIndex::commit`].
    pub fn stage(&self, ops: Vec<IndexOp>) -> IndexResult<()> {
        let writer = self.writer()?;
        for op in ops {
            match op {
                IndexOp::Put(doc) => {
                    if let Some(id) = self.doc_id(&doc) {
                        writer.delete_term(self.id_term(id));
                    }
                    writer.add_document(doc)?;
                }
                IndexOp::Remove(id) => {
                    writer.delete_term(self.id_term(id));
                }
            }
        }
        Ok(())
    }

    /// Stages documents for records known not to be in the index (a rebuild, after
    /// [`SearchIndex::stage_clear`]): no delete is queued for each, which at a million
    /// records is most of a rebuild's cost.
    pub fn stage_new(&self, docs: Vec<TantivyDocument>) -> IndexResult<()> {
        let writer = self.writer()?;
        for doc in docs {
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Makes staged changes durable and visible to searches.
    pub fn commit(&self) -> IndexResult<()> {
        self.writer()?.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Merges every segment into one (after a rebuild): each search visits every segment,
    /// walking its term dictionary for typo and sound-alike terms, so one segment is the
    /// fastest to search. Searches continue meanwhile; later changes add small segments
    /// that tantivy's merge policy folds in as they accumulate.
    pub fn merge_all(&self) -> IndexResult<()> {
        let merging = {
            let mut writer = self.writer()?;
            let ids = writer.index().searchable_segment_ids()?;
            (ids.len() > 1).then(|| writer.merge(&ids))
        };
        // Waited for without the writer, so changes keep being indexed meanwhile.
        if let Some(m) = merging {
            m.wait()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// How many segments searches visit.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Removes every document (staged: a rebuild stages the new documents, then commits
    /// both at once, so searches see the old index until the new one is complete).
    pub fn stage_clear(&self) -> IndexResult<()> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Throws away staged changes (a rebuild that failed half way).
    pub fn rollback(&self) -> IndexResult<()> {
        self.writer()?.rollback()?;
        Ok(())
    }

    /// How many records are searchable.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The document for a record, or `None` for a kind that is not indexed (links) or a
    /// body that no longer reads as its kind.
    pub fn document(&self, r: &IndexRecord<'_>) -> Option<TantivyDocument> {
        self.document_and_features(r).map(|(doc, _)| doc)
    }

    /// [`SearchIndex::document`], with a person's match features as they were built for it
    /// (the duplicate check after a change uses them rather than reading the body again).
    pub fn document_and_features(
        &self,
        r: &IndexRecord<'_>,
    ) -> Option<(TantivyDocument, Option<PersonFeatures>)> {
        let f = &self.f;
        let mut person_features = None;
        let mut doc = TantivyDocument::default();
        doc.add_bytes(f.id, r.id.0.as_bytes());
        doc.add_text(f.kind, r.kind.as_str());
        doc.add_i64(f.version, r.version);
        if let Some(s) = r.subtype {
            doc.add_text(f.subtype, s);
        }
        doc.add_text(f.summary, r.summary);
        add_access(&mut doc, f, r.marking);
        let mut words = String::new();
        match r.kind {
            RecordKind::Person => {
                let person = read::<Person>(r.body)?;
                let features = PersonFeatures::from_person(&person, r.linked.postcodes)
                    .with_phones(r.linked.phones);
                add_person(&mut doc, f, &features);
                doc.add_bytes(f.features, &crate::encoding::encode(&features));
                person_features = Some(features);
            }
            RecordKind::Object => {
                let object = read::<Object>(r.body)?;
                add_object(&mut doc, f, &object, &mut words);
            }
            RecordKind::Location => {
                let location = read::<Location>(r.body)?;
                add_location(&mut doc, f, &location, &mut words);
            }
            RecordKind::Event => {
                let event = read::<Event>(r.body)?;
                words.push_str(event.title.as_str());
                words.push(' ');
                words.push_str(event.event_type.label());
                if let Some(n) = &event.narrative {
                    words.push(' ');
                    words.push_str(n.as_str());
                }
            }
            RecordKind::Link => return None,
        }
        if !words.is_empty() {
            doc.add_text(f.words, fold(&words));
        }
        Some((doc, person_features))
    }

    /// Searches as someone with `visibility` (`None`: a system process, no filter).
    pub fn search(
        &self,
        req: &SearchRequest,
        visibility: Option<&Visibility>,
    ) -> IndexResult<Vec<KindResults>> {
        let searcher = self.reader.searcher();
        let access = self.access_filter(&searcher, visibility)?;
        let kinds: Vec<RecordKind> = match req.kind {
            Some(k) if SEARCHABLE.contains(&k) => vec![k],
            Some(_) => vec![],
            None => SEARCHABLE.to_vec(),
        };
        let limit = req.limit.clamp(1, 100);
        let offset = req.offset.min(MAX_OFFSET);
        let mut out = Vec::new();
        for kind in kinds {
            let results = if kind == RecordKind::Person {
                self.search_persons(&searcher, req, &access, offset, limit)?
            } else {
                self.search_other(&searcher, kind, &req.query, &access, offset, limit)?
            };
            if let Some(r) = results {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The need-to-know pre-filter, as clauses that exclude what the user may not see:
    /// a classification above their clearance, a compartment they lack, and a restricted
    /// record (`acl_open` 0) naming none of their team, themselves or (for a supervisor)
    /// their unit. Mirrors [`Visibility::allows`]; a property test holds the two together.
    ///
    /// Exclusions, not a conjunction with what may be seen: what may be seen is nearly
    /// everything, and intersecting a search's candidates with a union over nearly every
    /// document walked that union's postings on each search; what is excluded is few
    /// documents (none at all for a user cleared for everything), checked per candidate.
    fn access_filter(
        &self,
        searcher: &tantivy::Searcher,
        visibility: Option<&Visibility>,
    ) -> IndexResult<Vec<(Occur, Box<dyn Query>)>> {
        let Some(v) = visibility else {
            return Ok(Vec::new());
        };
        let f = &self.f;
        let max = u64::try_from(v.max_rank).unwrap_or(0);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::MustNot,
            Box::new(RangeQuery::new(
                std::ops::Bound::Excluded(Term::from_field_u64(f.acl_rank, max)),
                std::ops::Bound::Unbounded,
            )),
        )];
        // Every compartment anything in the index carries, less those the user holds.
        let mut lacking: BTreeSet<String> = BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(f.acl_comp)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                let name = String::from_utf8_lossy(stream.key()).into_owned();
                if !v.compartments.contains(&name) {
                    lacking.insert(name);
                }
            }
        }
        for c in lacking {
            clauses.push((Occur::MustNot, term_query(f.acl_comp, &c)));
        }
        let mut closed: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, term_query(f.acl_open, RESTRICTED)),
            (Occur::MustNot, term_query(f.acl_team, &v.unit)),
            (Occur::MustNot, term_query(f.acl_officer, &v.user_id)),
        ];
        if v.supervisor {
            closed.push((Occur::MustNot, term_query(f.acl_ounit, &v.unit)));
        }
        clauses.push((Occur::MustNot, Box::new(BooleanQuery::new(closed))));
        Ok(clauses)
    }

    fn filtered(
        &self,
        kind: RecordKind,
        access: &[(Occur, Box<dyn Query>)],
        criteria: Vec<(Occur, Box<dyn Query>)>,
    ) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                term_query(self.f.kind, kind.as_str()),
                0.0,
            )),
        )];
        clauses.extend(access.iter().map(|(o, q)| (*o, q.box_clone())));
        clauses.extend(criteria);
        BooleanQuery::new(clauses)
    }

    fn search_persons(
        &self,
        searcher: &tantivy::Searcher,
        req: &SearchRequest,
        access: &[(Occur, Box<dyn Query>)],
        offset: usize,
        limit: usize,
    ) -> IndexResult<Option<KindResults>> {
        let f = &self.f;
        let q = &req.query;
        let names = q.family_and_given();
        // Candidates: the family name agrees (exactly, in part, with a typo or by sound), or
        // the first given name does (names swapped), or the given name and the full date of
        // birth agree (a changed surname), or an identifier does. Within them, agreeing
        // given names and dates of birth rank first. Driving retrieval by the family name
        // keeps it narrow (the way a duplicate scan blocks), so a common given name or an
        // initial never makes a search walk a large part of the index.
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some((family, given)) = &names {
            let mut by_name: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Should, family_any(f, family, 1.0))];
            // Besides the family name, something else must agree (or be unknown on the
            // record): a given name, its variant, sound or initial, or the date of birth.
            // A record whose given name and date of birth both disagree scores below zero
            // anyway; requiring this keeps a common surname from gathering thousands.
            let mut also: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            if let Some(g) = given {
                if let Some(first) = g.split_whitespace().next() {
                    by_name.push((Occur::Should, family_any(f, first, 0.6)));
                }
                given_clauses(f, g, &mut also);
                given_clauses(f, family, &mut also);
                also.push((Occur::Should, boosted(term_query(f.p_given, NONE), 0.5)));
                if let Some(d @ DobQuery::Date(_)) = q.dob {
                    // A changed surname: the given name and the full date of birth agree.
                    let mut given_any = Vec::new();
                    given_clauses(f, g, &mut given_any);
                    let both: Vec<(Occur, Box<dyn Query>)> = vec![
                        (Occur::Must, Box::new(SeekingUnion::new(given_any))),
                        (Occur::Must, dob_clauses(f, &d)),
                    ];
                    alternatives.push((Occur::Should, Box::new(BooleanQuery::new(both))));
                }
            }
            if let Some(d) = &q.dob {
                also.push((Occur::Should, dob_clauses(f, d)));
                also.push((Occur::Should, boosted(term_query(f.p_dob, NONE), 0.5)));
            }
            let by_name: Box<dyn Query> = Box::new(BooleanQuery::new(by_name));
            alternatives.push((
                Occur::Should,
                if also.is_empty() {
                    by_name
                } else {
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, by_name),
                        // Sought once for each person the family name gathers, never
                        // walked: see [`SeekingUnion`].
                        (Occur::Must, Box::new(SeekingUnion::new(also))),
                    ]))
                },
            ));
        }
        for id in &q.identifiers {
            alternatives.push((Occur::Should, boosted(term_query(f.ident, &id.value), 20.0)));
        }
        // Who else shares the person's numbers, to tell a shared line (which weighs
        // nothing) from their own, as the batch scan counts it.
        let lines = match &req.probe {
            Some(p) if !p.phones.is_empty() => Some(self.phone_lines(searcher, access, &p.phones)?),
            _ => None,
        };
        // A person checked for duplicates: the records sharing a telephone number with them,
        // whatever their names (the batch scan's `tel:` blocks), unless it is a shared line
        // (the scan skips such a block: its many would crowd out the candidates).
        for number in req.probe.iter().flat_map(|p| &p.phones) {
            if lines.as_ref().is_none_or(|l| !l.shared_line(number)) {
                alternatives.push((Occur::Should, boosted(term_query(f.p_tel, number), 3.0)));
            }
        }
        let criteria: Vec<(Occur, Box<dyn Query>)> = if !alternatives.is_empty() {
            let mut c: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, Box::new(BooleanQuery::new(alternatives)))];
            // Identifiers found with a date of birth rank by it too.
            if names.is_none()
                && let Some(d) = &q.dob
            {
                c.push((Occur::Should, dob_clauses(f, d)));
            }
            c
        } else if let Some(d) = &q.dob {
            vec![(Occur::Must, dob_clauses(f, d))]
        } else {
            return Ok(None);
        };
        let query = self.filtered(RecordKind::Person, access, criteria);
        let found = searcher.search(
            &query,
            &TopDocs::with_limit(PERSON_CANDIDATES).order_by_score(),
        )?;
        let gathered = found.len();

        let query_features = names
            .as_ref()
            .map(|(family, given)| NameFeatures::new(family, given.as_deref(), None));
        let from_query;
        let probe = match &req.probe {
            Some(person) => person,
            None => {
                from_query = Self::probe_of(req, query_features.clone());
                &from_query
            }
        };
        let mut scored = Vec::with_capacity(found.len());
        for (_, address) in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            let candidate = match doc.get_first(f.features).and_then(|v| v.as_bytes()) {
                Some(bytes) => crate::encoding::decode(bytes),
                None => Err(crate::encoding::DecodeError("none stored")),
            };
            let candidate = match candidate {
                Ok(c) => c,
                Err(e) => {
                    // The index was written by this schema version, so this is damage: the
                    // person is left out of this search, and said (a rebuild mends it).
                    tracing::warn!(record.id = ?self.doc_id(&doc), error = %e, "a person's stored match features do not read; rebuild the index (bluelamp reindex)");
                    continue;
                }
            };
            let mut s = score_with(probe, &candidate, lines.as_ref());
            // A probe made from the query is held to what the query said; a person's own
            // probe (a duplicate check) is scored as it stands.
            if req.probe.is_none() {
                held_to_query(&mut s, q, query_features.is_none(), &candidate);
            }
            s.weight = s.fields.iter().map(|x| x.weight).sum();
            if s.weight <= 0.0 {
                continue;
            }
            let id = self
                .doc_id(&doc)
                .ok_or_else(|| IndexError::Other("a document has no record id".into()))?;
            scored.push((shown_score(s.weight), id, s, doc));
        }
        // Ranked by the score as shown, then by summary and id; only the page's hits are
        // built (their explanations are the costly part).
        let summary = |doc: &TantivyDocument| {
            doc.get_first(f.summary)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        scored.sort_by_cached_key(|(score, id, _, doc)| {
            (std::cmp::Reverse(OrderedScore(*score)), summary(doc), id.0)
        });
        let total = scored.len();
        let page = scored
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, _, s, doc)| {
                self.hit(&doc, RecordKind::Person, s.weight, s.explain(), s.fields)
            })
            .collect::<IndexResult<Vec<_>>>()?;
        Ok(Some(KindResults {
            kind: RecordKind::Person,
            total,
            total_exact: gathered < PERSON_CANDIDATES,
            hits: page,
        }))
    }

    /// The family names of the persons (that the searcher may see) linked to each of
    /// `numbers`, counted as the batch scan counts them ([`Frequencies::of_lines`]). Up to
    /// [`LINE_SAMPLE`] persons per number are read: a person's or a household's number has
    /// a few, and a shared line shows more than [`PHONE_LINE_FAMILIES`](crate::score::PHONE_LINE_FAMILIES) family names long
    /// before that.
    fn phone_lines(
        &self,
        searcher: &tantivy::Searcher,
        access: &[(Occur, Box<dyn Query>)],
        numbers: &[String],
    ) -> IndexResult<Frequencies> {
        let mut sharing = Vec::new();
        for number in numbers {
            let query = self.filtered(
                RecordKind::Person,
                access,
                vec![(Occur::Must, term_query(self.f.p_tel, number))],
            );
            for (_, address) in
                searcher.search(&query, &TopDocs::with_limit(LINE_SAMPLE).order_by_score())?
            {
                let doc: TantivyDocument = searcher.doc(address)?;
                if let Some(Ok(features)) = doc
                    .get_first(self.f.features)
                    .and_then(|v| v.as_bytes())
                    .map(crate::encoding::decode)
                {
                    sharing.push(features);
                }
            }
        }
        Ok(Frequencies::of_lines(&sharing))
    }

    /// What a person search's query says about the person sought, as match features.
    fn probe_of(req: &SearchRequest, name: Option<NameFeatures>) -> PersonFeatures {
        let q = &req.query;
        PersonFeatures {
            name: name.unwrap_or_else(|| NameFeatures::new("", None, None)),
            aliases: vec![],
            dob: q
                .dob
                .as_ref()
                .and_then(dob_of_query)
                .unwrap_or(DateOfBirth::Unknown),
            gender: req.gender.unwrap_or(Gender::NotKnown),
            identifiers: q
                .identifiers
                .iter()
                .filter_map(|i| i.id_type.map(|t| (t, i.value.clone())))
                .collect(),
            postcodes: vec![],
            phones: vec![],
            ethnicity: None,
            nationality: None,
            place_of_birth: None,
            height_cm: None,
        }
    }

    fn search_other(
        &self,
        searcher: &tantivy::Searcher,
        kind: RecordKind,
        q: &ParsedQuery,
        access: &[(Occur, Box<dyn Query>)],
        offset: usize,
        limit: usize,
    ) -> IndexResult<Option<KindResults>> {
        let f = &self.f;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match kind {
            RecordKind::Object => {
                for v in &q.vrms {
                    any.push((Occur::Should, boosted(vrm_query(f, v)?, 10.0)));
                }
                for p in &q.phones {
                    any.push((Occur::Should, boosted(term_query(f.phone, p), 10.0)));
                }
                for id in &q.identifiers {
                    any.push((Occur::Should, boosted(term_query(f.ident, &id.value), 10.0)));
                }
            }
            RecordKind::Location => {
                for p in &q.postcodes {
                    any.push((Occur::Should, boosted(term_query(f.pc, &p.term()), 10.0)));
                }
                for id in &q.identifiers {
                    any.push((Occur::Should, boosted(term_query(f.ident, &id.value), 10.0)));
                }
            }
            _ => {}
        }
        if let Some(w) = words_query(f, &q.words) {
            any.push((Occur::Should, w));
        }
        if any.is_empty() {
            return Ok(None);
        }
        let query = self.filtered(
            kind,
            access,
            vec![(Occur::Must, Box::new(BooleanQuery::new(any)))],
        );
        let (found, total) = searcher.search(
            &query,
            &(
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
                Count,
            ),
        )?;
        let mut hits = Vec::with_capacity(found.len());
        for (s, address) in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            let reason = other_reason(f, &doc, q);
            hits.push(self.hit(&doc, kind, f64::from(s), reason, vec![])?);
        }
        Ok(Some(KindResults {
            kind,
            total,
            total_exact: true,
            hits,
        }))
    }

    fn hit(
        &self,
        doc: &TantivyDocument,
        kind: RecordKind,
        score: f64,
        reason: String,
        fields: Vec<FieldScore>,
    ) -> IndexResult<Hit> {
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let id = self
            .doc_id(doc)
            .ok_or_else(|| IndexError::Other("a document has no record id".into()))?;
        let version = doc
            .get_first(self.f.version)
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        let classification = doc
            .get_first(self.f.acl_rank)
            .and_then(|v| v.as_u64())
            .and_then(|r| i16::try_from(r).ok())
            .and_then(Classification::from_rank)
            .unwrap_or(Classification::Secret);
        Ok(Hit {
            id,
            kind,
            version,
            classification,
            subtype: text(self.f.subtype),
            summary: text(self.f.summary).unwrap_or_default(),
            score: shown_score(score),
            reason,
            fields,
        })
    }

    /// Ids of the records a search with only the access filter returns (`None`: every
    /// record), for tests of the pre-filter.
    pub fn visible_ids(&self, visibility: Option<&Visibility>) -> IndexResult<Vec<RecordId>> {
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(tantivy::query::AllQuery))];
        clauses.extend(self.access_filter(&searcher, visibility)?);
        let filter = BooleanQuery::new(clauses);
        let limit = usize::try_from(searcher.num_docs()).unwrap_or(1).max(1);
        let found: Vec<(f32, DocAddress)> =
            searcher.search(&filter, &TopDocs::with_limit(limit).order_by_score())?;
        let mut ids = Vec::with_capacity(found.len());
        for (_, a) in found {
            let doc: TantivyDocument = searcher.doc(a)?;
            if let Some(id) = self.doc_id(&doc) {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

pub(crate) fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

pub(crate) fn boosted(q: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, score))
}

fn add_access(doc: &mut TantivyDocument, f: &Fields, m: &Marking) {
    doc.add_u64(
        f.acl_rank,
        u64::try_from(m.classification.rank()).unwrap_or(u64::MAX),
    );
    for c in &m.compartments {
        doc.add_text(f.acl_comp, c.as_str());
    }
    match &m.restriction {
        None => doc.add_text(f.acl_open, "1"),
        Some(r) => {
            doc.add_text(f.acl_open, RESTRICTED);
            for t in &r.teams {
                doc.add_text(f.acl_team, t.as_str());
            }
            for o in &r.officers {
                doc.add_text(f.acl_officer, o);
            }
            for u in &r.officer_units {
                doc.add_text(f.acl_ounit, u.as_str());
            }
        }
    }
}

/// A person search's score held to what was typed: without names in the query, the name
/// fields say nothing; a date-of-birth range or age is scored as a range; an identifier
/// typed without a recognisable type counts when it is one of the person's.
fn held_to_query(
    s: &mut crate::score::MatchScore,
    q: &ParsedQuery,
    no_names: bool,
    candidate: &PersonFeatures,
) {
    if no_names {
        s.fields
            .retain(|x| !matches!(x.field, "family_name" | "given_name" | "name_order"));
    }
    if let Some(dq) = &q.dob
        && dob_of_query(dq).is_none()
    {
        s.fields.retain(|x| x.field != "date_of_birth");
        s.fields.push(range_field(&candidate.dob, dq));
    }
    // An identifier typed without a recognisable type still counts when it is one
    // of the person's.
    for id in q.identifiers.iter().filter(|i| i.id_type.is_none()) {
        if candidate.identifiers.iter().any(|(_, v)| *v == id.value) {
            s.fields.insert(
                0,
                FieldScore {
                    field: "identifier",
                    level: "agree".into(),
                    weight: 19.0,
                    reason: format!("reference {} matches", id.value),
                },
            );
        }
    }
}

fn add_person(doc: &mut TantivyDocument, f: &Fields, features: &PersonFeatures) {
    let mut seen: BTreeSet<(u32, String)> = BTreeSet::new();
    let mut add = |doc: &mut TantivyDocument, slot: u32, field: Field, value: String| {
        if !value.is_empty() && seen.insert((slot, value.clone())) {
            doc.add_text(field, value);
        }
    };
    for n in features.names() {
        for k in &n.family_keys {
            add(doc, 0, f.p_fam, k.clone());
        }
        for c in &n.family_codes {
            add(doc, 1, f.p_fcode, c.clone());
        }
        for g in &n.given {
            add(doc, 2, f.p_given, g.clone());
        }
        if let Some(first) = n.first_given() {
            for group in variant_groups(first) {
                add(doc, 3, f.p_gvar, group.to_string());
            }
            let initial = first.chars().next().unwrap_or(' ');
            add(doc, 2, f.p_given, format!("i:{initial}"));
            if first.chars().count() == 1 {
                // Only an initial recorded: what a search by a full given name looks for.
                add(doc, 2, f.p_given, format!("o:{initial}"));
            }
        }
        for c in &n.given_codes {
            add(doc, 4, f.p_gcode, c.clone());
        }
    }
    if features.name.given.is_empty() {
        add(doc, 2, f.p_given, NONE.to_owned());
    }
    match features.dob {
        DateOfBirth::Full(d) => {
            doc.add_text(
                f.p_dob,
                format!("d:{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            );
            doc.add_text(f.p_dob, format!("ym:{:04}-{:02}", d.year(), d.month()));
            doc.add_text(f.p_dob, format!("y:{:04}", d.year()));
            doc.add_u64(f.p_year, u64::try_from(d.year()).unwrap_or(0));
        }
        DateOfBirth::MonthYear { year, month } => {
            doc.add_text(f.p_dob, format!("pm:{year:04}-{month:02}"));
            doc.add_text(f.p_dob, format!("ym:{year:04}-{month:02}"));
            doc.add_text(f.p_dob, format!("y:{year:04}"));
            doc.add_u64(f.p_year, u64::try_from(year).unwrap_or(0));
        }
        DateOfBirth::Year(year) => {
            doc.add_text(f.p_dob, format!("py:{year:04}"));
            doc.add_text(f.p_dob, format!("y:{year:04}"));
            doc.add_u64(f.p_year, u64::try_from(year).unwrap_or(0));
        }
        DateOfBirth::Unknown => doc.add_text(f.p_dob, NONE),
    }
    for (_, value) in &features.identifiers {
        add(doc, 5, f.ident, value.clone());
        add(doc, 5, f.ident, crate::query::compact(value));
    }
    for number in &features.phones {
        add(doc, 6, f.p_tel, number.clone());
    }
}

fn add_object(doc: &mut TantivyDocument, f: &Fields, o: &Object, words: &mut String) {
    let mut w = |s: &str| {
        words.push_str(s);
        words.push(' ');
    };
    match &o.details {
        ObjectDetails::Vehicle {
            vrm,
            make,
            model,
            colour,
            vin,
        } => {
            doc.add_text(f.vrm, vrm.as_str());
            if let Some(v) = vin {
                doc.add_text(f.ident, v.as_str());
            }
            for s in [make, model, colour].into_iter().flatten() {
                w(s.as_str());
            }
        }
        ObjectDetails::Phone {
            number,
            imei,
            make,
            model,
        } => {
            if let Some(n) = number {
                doc.add_text(f.phone, n.as_str());
            }
            if let Some(i) = imei {
                doc.add_text(f.ident, i.as_str());
            }
            for s in [make, model].into_iter().flatten() {
                w(s.as_str());
            }
        }
        // A kind in words and, when there is one, a reference to look up.
        ObjectDetails::Weapon {
            weapon_type: kind,
            serial_number: reference,
        }
        | ObjectDetails::Document {
            document_type: kind,
            number: reference,
            ..
        }
        | ObjectDetails::Property {
            category: kind,
            serial_number: reference,
        } => {
            w(kind.as_str());
            if let Some(r) = reference {
                doc.add_text(f.ident, crate::query::compact(r.as_str()));
            }
        }
        ObjectDetails::Drugs {
            drug_type,
            quantity,
        } => {
            w(drug_type.as_str());
            if let Some(q) = quantity {
                w(q.as_str());
            }
        }
    }
    if let Some(d) = &o.description {
        w(d.as_str());
    }
}

fn add_location(doc: &mut TantivyDocument, f: &Fields, l: &Location, words: &mut String) {
    for line in &l.address_lines {
        words.push_str(line.as_str());
        words.push(' ');
    }
    if let Some(t) = &l.town {
        words.push_str(t.as_str());
        words.push(' ');
    }
    if let Some(p) = &l.postcode {
        doc.add_text(f.pc, PostcodeQuery::Full(p.as_str().to_owned()).term());
        doc.add_text(f.pc, PostcodeQuery::Sector(p.sector().to_owned()).term());
        doc.add_text(
            f.pc,
            PostcodeQuery::District(p.district().to_owned()).term(),
        );
        words.push_str(p.as_str());
        words.push(' ');
    }
    if let Some(u) = &l.uprn {
        doc.add_text(f.ident, u.as_str());
    }
    if let Some(d) = &l.description {
        words.push_str(d.as_str());
    }
}

/// Records whose family name agrees with `family` in any way [`family_clauses`] looks for.
fn family_any(f: &Fields, family: &str, scale: f32) -> Box<dyn Query> {
    let mut clauses = Vec::new();
    family_clauses(f, family, scale, scale >= 1.0, &mut clauses);
    if clauses.is_empty() {
        return Box::new(tantivy::query::EmptyQuery);
    }
    Box::new(BooleanQuery::new(clauses))
}

/// A family name's clauses: the whole name or a part of it (8), a typo of it (4, when
/// `typos`), a sound-alike code (3). `scale` lowers them for the swapped reading, which
/// looks for no typos (walking the term dictionary for them is most of a search's cost).
/// Soundex, coarser, counts in the score but does not gather candidates.
fn family_clauses(
    f: &Fields,
    family: &str,
    scale: f32,
    typos: bool,
    out: &mut Vec<(Occur, Box<dyn Query>)>,
) {
    let n = NameFeatures::new(family, None, None);
    for k in &n.family_keys {
        out.push((Occur::Should, boosted(term_query(f.p_fam, k), 8.0 * scale)));
        let len = k.chars().count();
        if typos && len >= 4 {
            let distance = if len >= 8 { 2 } else { 1 };
            out.push((
                Occur::Should,
                boosted(
                    Box::new(FuzzyTermQuery::new(
                        Term::from_field_text(f.p_fam, k),
                        distance,
                        true,
                    )),
                    4.0 * scale,
                ),
            ));
        }
    }
    for c in &n.family_codes {
        out.push((
            Occur::Should,
            boosted(term_query(f.p_fcode, c), 3.0 * scale),
        ));
    }
}

/// A score as a hit shows it: to two decimal places.
fn shown_score(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}

/// A score ordered as `f64::total_cmp` orders it, to sort by.
struct OrderedScore(f64);

impl PartialEq for OrderedScore {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for OrderedScore {}

impl PartialOrd for OrderedScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Given names' clauses: each given name (6), its variants (4), its sound-alike code (2) and
/// its initial (1). A typo in a given name is weighed by the match model once the family
/// name has found the record.
fn given_clauses(f: &Fields, given: &str, out: &mut Vec<(Occur, Box<dyn Query>)>) {
    let n = NameFeatures::new("x", Some(given), None);
    for g in &n.given {
        if g.chars().count() > 1 {
            out.push((Occur::Should, boosted(term_query(f.p_given, g), 6.0)));
        }
    }
    if let Some(first) = n.first_given() {
        if first.chars().count() > 1 {
            for group in variant_groups(first) {
                out.push((
                    Occur::Should,
                    boosted(term_query(f.p_gvar, &group.to_string()), 4.0),
                ));
            }
        }
        // An initial agrees only where one side is no more than an initial (as the match
        // model has it): a full name looks for records with only its initial ("o:"), not
        // for everyone whose name starts with the same letter ("i:", a tenth of persons,
        // whose posting list would be walked on every search).
        if let Some(i) = first.chars().next() {
            let term = if first.chars().count() > 1 {
                format!("o:{i}")
            } else {
                format!("i:{i}")
            };
            out.push((Occur::Should, boosted(term_query(f.p_given, &term), 1.0)));
        }
    }
    for c in &n.given_codes {
        out.push((Occur::Should, boosted(term_query(f.p_gcode, c), 2.0)));
    }
}

/// A date-of-birth query's clauses: the exact terms it allows (5), with day and month
/// swapped (4), partial records it could be (3); a range or age matches on birth years.
fn dob_clauses(f: &Fields, q: &DobQuery) -> Box<dyn Query> {
    let mut terms: Vec<(String, f32)> = Vec::new();
    match *q {
        DobQuery::Date(d) => {
            terms.push((
                format!("d:{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
                5.0,
            ));
            if d.day() <= 12 && d.day() != d.month() {
                terms.push((
                    format!("d:{:04}-{:02}-{:02}", d.year(), d.day(), d.month()),
                    4.0,
                ));
            }
            terms.push((format!("pm:{:04}-{:02}", d.year(), d.month()), 3.0));
            terms.push((format!("py:{:04}", d.year()), 3.0));
        }
        DobQuery::MonthYear { year, month } => {
            terms.push((format!("ym:{year:04}-{month:02}"), 5.0));
            terms.push((format!("py:{year:04}"), 3.0));
        }
        DobQuery::Year(year) => terms.push((format!("y:{year:04}"), 5.0)),
        DobQuery::Range { .. } | DobQuery::AgeAt { .. } | DobQuery::AgeBetween { .. } => {
            let Some((from, to)) = q.interval() else {
                return Box::new(tantivy::query::EmptyQuery);
            };
            let y = |d: Date| u64::try_from(d.year()).unwrap_or(0);
            return boosted(
                Box::new(RangeQuery::new(
                    std::ops::Bound::Included(Term::from_field_u64(f.p_year, y(from))),
                    std::ops::Bound::Included(Term::from_field_u64(f.p_year, y(to))),
                )),
                3.0,
            );
        }
    }
    Box::new(BooleanQuery::new(
        terms
            .into_iter()
            .map(|(t, s)| (Occur::Should, boosted(term_query(f.p_dob, &t), s)))
            .collect(),
    ))
}

/// How a recorded date of birth stands to a range or age query.
fn range_field(dob: &DateOfBirth, q: &DobQuery) -> FieldScore {
    let (level, weight, reason) = match matches_query(dob, q) {
        DobQueryMatch::Yes | DobQueryMatch::Transposed => {
            ("in_range", 5.75, "date of birth in range")
        }
        DobQueryMatch::Possible => (
            "possibly_in_range",
            2.0,
            "partial date of birth could be in range",
        ),
        DobQueryMatch::No if *dob == DateOfBirth::Unknown => ("unknown", 0.0, ""),
        DobQueryMatch::No => ("out_of_range", -4.28, "date of birth out of range"),
    };
    FieldScore {
        field: "date_of_birth",
        level: level.into(),
        weight,
        reason: reason.into(),
    }
}

/// Every word must match: exactly (2) or, for words of five letters or more, with one typo
/// (1); the last word may also be the start of a word, for search as you type.
fn words_query(f: &Fields, words: &[String]) -> Option<Box<dyn Query>> {
    if words.is_empty() {
        return None;
    }
    let mut all: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let term = Term::from_field_text(f.words, w);
        let mut one: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Should, boosted(term_query(f.words, w), 2.0))];
        if w.chars().count() >= 5 {
            one.push((
                Occur::Should,
                boosted(Box::new(FuzzyTermQuery::new(term.clone(), 1, true)), 1.0),
            ));
        }
        if i + 1 == words.len() && w.chars().count() >= 2 {
            one.push((
                Occur::Should,
                boosted(Box::new(FuzzyTermQuery::new_prefix(term, 0, false)), 1.0),
            ));
        }
        all.push((Occur::Must, Box::new(BooleanQuery::new(one))));
    }
    Some(Box::new(BooleanQuery::new(all)))
}

/// A registration query: exact, or a pattern with `*` (any run) and `?` (one character).
fn vrm_query(f: &Fields, pattern: &str) -> IndexResult<Box<dyn Query>> {
    if !pattern.contains(['*', '?']) {
        return Ok(term_query(f.vrm, pattern));
    }
    let regex: String = pattern
        .chars()
        .map(|c| match c {
            '*' => "[A-Z0-9]*".to_owned(),
            '?' => "[A-Z0-9]".to_owned(),
            c => c.to_string(),
        })
        .collect();
    Ok(Box::new(RegexQuery::from_pattern(&regex, f.vrm)?))
}

/// Why an object, location or event matched.
fn other_reason(f: &Fields, doc: &TantivyDocument, q: &ParsedQuery) -> String {
    let values = |field: Field| -> Vec<String> {
        doc.get_all(field)
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let mut reasons: Vec<String> = Vec::new();
    let vrms = values(f.vrm);
    for p in &q.vrms {
        if vrms.iter().any(|v| wildcard_match(p, v)) {
            reasons.push(format!("registration matches {p}"));
        }
    }
    let phones = values(f.phone);
    for p in &q.phones {
        if phones.contains(p) {
            reasons.push(format!("phone number {p}"));
        }
    }
    let idents = values(f.ident);
    for id in &q.identifiers {
        if idents.contains(&id.value) {
            reasons.push(format!("reference {} matches", id.value));
        }
    }
    let pcs = values(f.pc);
    for p in &q.postcodes {
        if pcs.contains(&p.term()) {
            reasons.push(match p {
                PostcodeQuery::Full(s) => format!("postcode {s}"),
                PostcodeQuery::Sector(s) => format!("postcode sector {s}"),
                PostcodeQuery::District(s) => format!("postcode district {s}"),
            });
        }
    }
    if reasons.is_empty() && !q.words.is_empty() {
        reasons.push(format!("words match: {}", q.words.join(", ")));
    }
    reasons.join("; ")
}

/// Whether `value` fits a pattern with `*` and `?`.
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    fn go(p: &[u8], v: &[u8]) -> bool {
        match (p.first(), v.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], v) || (!v.is_empty() && go(p, &v[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &v[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &v[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), value.as_bytes())
}

#[cfg(test)]
mod tests;
