use bluelamp_domain::{AuditEntry, Marking, RecordId, RecordKind, Version, Visibility};
use jiff::Timestamp;
use serde_json::Value;
use uuid::Uuid;

/// Whether a record is in force. Only links end (an unlink); other records stay active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    Active,
    Ended,
}

impl RecordStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordStatus::Active => "active",
            RecordStatus::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(RecordStatus::Active),
            "ended" => Some(RecordStatus::Ended),
            _ => None,
        }
    }
}

/// The two ends of a link and its role, kept in indexed columns so a record's links are
/// found without reading every link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEnds {
    pub from: RecordId,
    pub to: RecordId,
    pub role: String,
}

/// Which end of a link a lookup matches ([`crate::Store::links_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEnd {
    /// The record the link starts at (a person resident at an address).
    From,
    /// The record it points to (the address).
    To,
}

impl LinkEnd {
    /// The column holding this end (the same name in both adapters).
    pub fn column(self) -> &'static str {
        match self {
            LinkEnd::From => "link_from",
            LinkEnd::To => "link_to",
        }
    }
}

/// A record as the store holds it now. `body` is the entity's validated JSON form; the store
/// does not interpret it. It is decoded (`Value`), except for a process that reads every
/// record of a kind, which takes it as text ([`ScannedRecord`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord<B = Value> {
    pub id: RecordId,
    pub kind: RecordKind,
    pub version: Version,
    pub marking: Marking,
    /// A one-line description for lists ("SMITH, John (1985-03-02)").
    pub summary: String,
    /// A kind-specific sub-type for filters: object kind, event type, location type.
    pub subtype: Option<String>,
    pub body: B,
    pub link: Option<LinkEnds>,
    pub status: RecordStatus,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

impl StoredRecord {
    /// The row a new record becomes: version 1, active, created and updated by the actor of
    /// the change that writes it.
    pub fn first_version(new: NewRecord, audit: &bluelamp_domain::AuditEntry) -> Self {
        Self {
            id: new.id,
            kind: new.kind,
            version: 1,
            marking: new.marking,
            summary: new.summary,
            subtype: new.subtype,
            body: new.body,
            link: new.link,
            status: RecordStatus::Active,
            created_at: audit.at,
            created_by: audit.actor.display_name.clone(),
            updated_at: audit.at,
            updated_by: audit.actor.display_name.clone(),
        }
    }
}

impl<B> StoredRecord<B> {
    /// The same record with its body made into another form (text decoded, say).
    pub fn map_body<C>(self, f: impl FnOnce(B) -> C) -> StoredRecord<C> {
        StoredRecord {
            id: self.id,
            kind: self.kind,
            version: self.version,
            marking: self.marking,
            summary: self.summary,
            subtype: self.subtype,
            body: f(self.body),
            link: self.link,
            status: self.status,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        }
    }
}

/// What a change did to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    End,
}

impl ChangeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::End => "end",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "create" => Some(ChangeKind::Create),
            "update" => Some(ChangeKind::Update),
            "end" => Some(ChangeKind::End),
            _ => None,
        }
    }
}

/// One version of a record, kept for ever (what did we know, when).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordVersion {
    pub id: RecordId,
    pub kind: RecordKind,
    pub version: Version,
    pub marking: Marking,
    pub summary: String,
    pub body: Value,
    pub status: RecordStatus,
    pub change: ChangeKind,
    pub changed_at: Timestamp,
    pub changed_by: String,
    pub changed_by_name: String,
    /// The audit entry that recorded this change.
    pub audit_id: Uuid,
}

/// A record as [`crate::Store::scan_json`] and [`crate::Store::load_json`] read it, for a
/// process that decodes bodies itself (a reindex reads a million persons; the live index
/// must go on past a body that no longer reads): its body left as JSON text, so that it
/// is decoded once, straight into the type the reader wants, instead of into a
/// `serde_json::Value` first and then again into that type. The text is SQLite's column as written; PostgreSQL
/// prints it from jsonb (keys reordered, its own spacing), so it is for decoding, never for
/// hashing or comparing as text.
pub type ScannedRecord = StoredRecord<String>;

#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    pub id: RecordId,
    pub kind: RecordKind,
    pub marking: Marking,
    pub summary: String,
    pub subtype: Option<String>,
    pub body: Value,
    pub link: Option<LinkEnds>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Insert(NewRecord),
    /// Replace a record's content, provided it is still at `base_version`.
    Update {
        id: RecordId,
        base_version: Version,
        marking: Marking,
        summary: String,
        subtype: Option<String>,
        body: Value,
    },
    /// End a link (unlink), provided it is still at `base_version`. The link stays in the
    /// history.
    End {
        id: RecordId,
        base_version: Version,
    },
    /// Bring an ended record back into force, provided it is still at `base_version` (an
    /// un-merge restores the links a merge moved). Recorded as an update.
    Reopen {
        id: RecordId,
        base_version: Version,
    },
    /// Writes nothing: the change is refused with a conflict unless the record is still at
    /// `base_version` (a new link holds the records it joins as they were when it was
    /// checked: neither merged since). On PostgreSQL the record's row is held until the
    /// change commits, so a change of that record waits for it.
    Unchanged {
        id: RecordId,
        base_version: Version,
    },
    /// Writes nothing: the change is refused ([`crate::StoreError::LinksChanged`]) unless
    /// the links in force that start or end at `id`, at this point
    /// of the change, are exactly `links` (a merge holds the merged record to the links it
    /// read and moved: a link added meanwhile would be left on a record nobody sees). Put
    /// it after an update of `id` in the same change: on PostgreSQL that update waits for a
    /// link being added (which holds `id` with [`WriteOp::Unchanged`]) to commit, so it is
    /// seen here.
    LinksInForce {
        id: RecordId,
        base_version: Version,
        links: Vec<RecordId>,
    },
}

impl WriteOp {
    pub fn id(&self) -> RecordId {
        match self {
            WriteOp::Insert(r) => r.id,
            WriteOp::Update { id, .. }
            | WriteOp::End { id, .. }
            | WriteOp::Reopen { id, .. }
            | WriteOp::Unchanged { id, .. }
            | WriteOp::LinksInForce { id, .. } => *id,
        }
    }
}

/// An event for the information bus, already in its envelope (the events crate owns it).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub occurred_at: Timestamp,
    pub payload: Value,
}

/// Everything one user action writes: applied atomically or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub ops: Vec<WriteOp>,
    pub audit: AuditEntry,
    pub events: Vec<OutboxEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub seq: i64,
    pub event: OutboxEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub seq: i64,
    pub entry: AuditEntry,
}

/// A link seen from one of its ends.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    pub link: StoredRecord,
    /// The record at the other end.
    pub other_id: RecordId,
    pub other_kind: RecordKind,
    pub other_summary: String,
    pub other_marking: Marking,
    /// True when the link points away from the record asked about.
    pub outgoing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// By summary, A to Z.
    #[default]
    Summary,
    /// Most recently changed first.
    RecentlyUpdated,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub kind: RecordKind,
    /// Only records whose sub-type is this.
    pub subtype: Option<String>,
    /// Only records whose summary starts with this text (case-insensitive).
    pub summary_prefix: Option<String>,
    /// Only records this visibility allows (the authz pre-filter, applied in SQL so counts
    /// and pages never include a record the user may not see). `None` only for system
    /// processes.
    pub visibility: Option<Visibility>,
    pub order: ListOrder,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl ListQuery {
    pub fn new(kind: RecordKind) -> Self {
        Self {
            kind,
            subtype: None,
            summary_prefix: None,
            visibility: None,
            order: ListOrder::Summary,
            page: 1,
            per_page: 25,
        }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<StoredRecord>,
    /// How many records match, up to [`COUNT_CAP`].
    pub total: u64,
    /// False when more than [`COUNT_CAP`] match (then `total` is the cap).
    pub total_exact: bool,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub persons: u64,
    pub objects: u64,
    pub locations: u64,
    pub events: u64,
    pub links: u64,
}

impl Counts {
    /// Adds a `SELECT kind, COUNT(*) ... GROUP BY kind` row; unknown kinds are ignored.
    pub fn add(&mut self, kind: &str, n: i64) {
        let n = u64::try_from(n).unwrap_or(0);
        match kind.parse::<RecordKind>() {
            Ok(RecordKind::Person) => self.persons = n,
            Ok(RecordKind::Object) => self.objects = n,
            Ok(RecordKind::Location) => self.locations = n,
            Ok(RecordKind::Event) => self.events = n,
            Ok(RecordKind::Link) => self.links = n,
            Err(_) => {}
        }
    }
}

/// Lower-cased summary used for ordering and prefix filters, so both backends sort alike.
pub fn sort_key(summary: &str) -> String {
    summary.to_lowercase()
}

/// Lists count at most this many matches: beyond it the total is reported as "more than"
/// (`Page::total_exact` false), because counting a million index entries on every page
/// view costs more than the page itself.
pub const COUNT_CAP: u64 = 10_000;

/// The half-open range of sort keys that start with `prefix`: `[low, high)`. A range on the
/// `(kind, sort_key)` index, where `LIKE` could not use it; both backends compare sort keys
/// byte-wise (SQLite's BINARY, PostgreSQL's COLLATE "C"), and U+10FFFF is the largest
/// character, so every key that starts with the prefix sorts below `high`.
pub fn prefix_bounds(prefix: &str) -> (String, String) {
    let low = sort_key(prefix);
    let mut high = low.clone();
    high.push(char::MAX);
    (low, high)
}

/// The application's access decision on one record, made by a [`Gate`] between reading the
/// record and auditing the consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateDecision {
    pub allowed: bool,
    /// The policies that decided it, for the audit record.
    pub policies: Vec<String>,
}

/// Decides, for a consultation, whether a record of this kind and marking may be shown. The
/// store calls it after reading and before auditing, so the audit record carries the
/// decision and a refused record is never returned.
pub trait Gate: Send + Sync {
    fn check(&self, kind: RecordKind, marking: &Marking) -> GateDecision;

    /// The decision on one named record: as [`Gate::check`], unless the gate knows something
    /// about this record in particular (a break-glass grant).
    fn check_record(&self, _id: RecordId, kind: RecordKind, marking: &Marking) -> GateDecision {
        self.check(kind, marking)
    }
}

/// A gate that shows everything: for system processes (the relay, an operator's CLI
/// command) and the conformance suite, never for a person's request.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenGate;

impl Gate for OpenGate {
    fn check(&self, _kind: RecordKind, _marking: &Marking) -> GateDecision {
        GateDecision {
            allowed: true,
            policies: vec!["system".into()],
        }
    }
}

/// A search of the audit trail (auditors' pages): every filter given must match. Newest
/// first; `before_seq` pages back through older records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// The acting user's id (user name, or `system:<process>`).
    pub user_id: Option<String>,
    /// Records that name this record among their subjects.
    pub record_id: Option<RecordId>,
    pub action: Option<bluelamp_domain::AuditAction>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub to: Option<Timestamp>,
    /// Only records older than this position in the trail.
    pub before_seq: Option<i64>,
    pub limit: u32,
}
