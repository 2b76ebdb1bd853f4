//! POLE records: create, change, link, unlink, consult, history and lists.

use crate::access::{Access, decision_details};
use crate::diff::{FieldChange, diff};
use crate::{AppError, Caller};
use bluelamp_authz::{Action, Authorizer};
use bluelamp_domain::pole::input::{
    EventInput, LinkInput, LocationInput, ObjectInput, PersonInput,
};
use bluelamp_domain::pole::{Event, Link, Location, Object, Person};
use bluelamp_domain::{
    AuditAction, Clock, Marking, RecordId, RecordKind, ValidationErrors, Version, time,
};
use bluelamp_events::envelope::{RecordChange, record_event};
use bluelamp_store::{
    Change, Counts, LinkEnds, LinkView, ListQuery, NewRecord, OutboxEvent, Page, RecordVersion,
    Store, StoredRecord, WriteOp, subject,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

/// What a client sends to create or replace a POLE entity.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordInput {
    Person(PersonInput),
    Object(ObjectInput),
    Location(LocationInput),
    Event(EventInput),
}

impl RecordInput {
    pub fn kind(&self) -> RecordKind {
        match self {
            RecordInput::Person(_) => RecordKind::Person,
            RecordInput::Object(_) => RecordKind::Object,
            RecordInput::Location(_) => RecordKind::Location,
            RecordInput::Event(_) => RecordKind::Event,
        }
    }
}

/// One item of a bulk load (demo data, migration), with the id it is to have.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkItem {
    Record(RecordId, RecordInput),
    Link(RecordId, LinkInput),
}

/// What an export discloses.
#[derive(Debug, Clone)]
pub struct ExportBundle {
    pub exported_at: jiff::Timestamp,
    pub exported_by: bluelamp_domain::Actor,
    pub record: StoredRecord,
    pub links: Vec<LinkView>,
    pub history: Vec<RecordVersion>,
}

/// A version of a record with what changed from the one before.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub version: RecordVersion,
    pub changes: Vec<FieldChange>,
}

/// An entity that passed validation, ready to store.
struct Parsed {
    kind: RecordKind,
    marking: Marking,
    summary: String,
    subtype: Option<String>,
    body: Value,
    location_id: Option<RecordId>,
}

fn to_body<T: serde::Serialize>(entity: &T) -> Result<Value, AppError> {
    serde_json::to_value(entity)
        .map_err(|e| AppError::Internal(format!("cannot encode entity: {e}")))
}

#[derive(Clone)]
pub struct PoleService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    access: Access,
    wake: Option<Arc<Notify>>,
}

impl PoleService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, authz: Arc<dyn Authorizer>) -> Self {
        Self {
            access: Access::new(authz, store.clone(), clock.clone()),
            store,
            clock,
            wake: None,
        }
    }

    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Fills in the units of the officers a restricted marking names (a supervisor in one
    /// of those units may see the record); an unknown user name is a validation error.
    async fn resolve_restriction(&self, marking: &mut Marking) -> Result<(), AppError> {
        let Some(r) = marking.restriction.as_mut() else {
            return Ok(());
        };
        let mut errors = ValidationErrors::new();
        let mut units = Vec::new();
        for (i, officer) in r.officers.iter().enumerate() {
            let found = match bluelamp_domain::Username::parse(officer) {
                Ok(name) => self.store.user(&name).await?,
                Err(_) => None,
            };
            match found {
                Some(account) => units.push(account.principal.unit),
                None => errors.push(
                    format!("marking.restriction.officers.{i}"),
                    "No user has this user name",
                ),
            }
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        r.officer_units = units;
        r.normalise();
        Ok(())
    }

    /// Refuses a write the policies do not allow (audited), or returns the permit.
    pub(crate) async fn require(
        &self,
        caller: &Caller,
        action: Action,
        audit_action: AuditAction,
        kind: RecordKind,
        marking: &Marking,
    ) -> Result<bluelamp_authz::Decision, AppError> {
        let d = self.access.decide(caller, action, kind, marking);
        if d.allowed {
            Ok(d)
        } else {
            let what = format!(
                "{} a {} marked {}",
                match action {
                    Action::Create => "record",
                    Action::Link => "record",
                    _ => "change",
                },
                kind.as_str(),
                marking.banner()
            );
            Err(self
                .access
                .refuse(caller, audit_action, vec![], &d, &what)
                .await)
        }
    }

    /// Loads a record the caller is about to change, refusing (as not found, audited) when
    /// they may not see it.
    pub(crate) async fn load_visible(
        &self,
        caller: &Caller,
        id: RecordId,
        audit_action: AuditAction,
    ) -> Result<StoredRecord, AppError> {
        let current = self
            .store
            .load(&[id])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound(id))?;
        let d = self
            .access
            .decide(caller, Action::Read, current.kind, &current.marking);
        if !d.allowed {
            return Err(self
                .access
                .hide(caller, audit_action, subject(&current), &d)
                .await);
        }
        Ok(current)
    }

    /// Wakes the outbox relay after each commit.
    pub fn with_relay_waker(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn parse(&self, input: &RecordInput) -> Result<Parsed, AppError> {
        let today = time::london_date(self.clock.now());
        Ok(match input {
            RecordInput::Person(i) => {
                let (p, marking) = Person::parse(i, today)?;
                Parsed {
                    kind: RecordKind::Person,
                    marking,
                    summary: p.summary(),
                    subtype: None,
                    body: to_body(&p)?,
                    location_id: None,
                }
            }
            RecordInput::Object(i) => {
                let (o, marking) = Object::parse(i)?;
                Parsed {
                    kind: RecordKind::Object,
                    marking,
                    summary: o.summary(),
                    subtype: Some(o.kind().to_string()),
                    body: to_body(&o)?,
                    location_id: None,
                }
            }
            RecordInput::Location(i) => {
                let (l, marking) = Location::parse(i)?;
                Parsed {
                    kind: RecordKind::Location,
                    marking,
                    summary: l.summary(),
                    subtype: Some(l.location_type.as_str().to_string()),
                    body: to_body(&l)?,
                    location_id: None,
                }
            }
            RecordInput::Event(i) => {
                let (ev, marking) = Event::parse(i)?;
                Parsed {
                    kind: RecordKind::Event,
                    marking,
                    summary: ev.summary(),
                    subtype: Some(ev.event_type.as_str().to_string()),
                    body: to_body(&ev)?,
                    location_id: ev.location_id,
                }
            }
        })
    }

    /// Refuses an event whose location is not a location record.
    async fn check_location(&self, caller: &Caller, parsed: &Parsed) -> Result<(), AppError> {
        if let Some(loc) = parsed.location_id {
            let found = self.store.load(&[loc]).await?;
            match found.first() {
                Some(r)
                    if r.kind == RecordKind::Location
                        && self
                            .access
                            .decide(caller, Action::Read, r.kind, &r.marking)
                            .allowed => {}
                _ => {
                    return Err(
                        ValidationErrors::single("location_id", "No location has this id").into(),
                    );
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn commit(&self, change: Change) -> Result<Vec<StoredRecord>, AppError> {
        let written = self.store.apply(change).await?;
        if let Some(w) = &self.wake {
            w.notify_one();
        }
        Ok(written)
    }

    /// Commits a change that writes one record, and returns it.
    async fn commit_one(&self, change: Change) -> Result<StoredRecord, AppError> {
        self.commit(change)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("store wrote nothing".into()))
    }

    fn event_for(&self, caller: &Caller, rec: &NewRecord) -> OutboxEvent {
        let link = rec.link.as_ref().map(|l| (l.from, l.to, l.role.as_str()));
        record_event(
            rec.id,
            rec.kind,
            1,
            RecordChange::Created,
            link,
            self.clock.now(),
            caller.context.correlation_id.clone(),
        )
    }

    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id, kind = %input.kind()))]
    pub async fn create(
        &self,
        caller: &Caller,
        input: RecordInput,
    ) -> Result<StoredRecord, AppError> {
        let mut parsed = self.parse(&input)?;
        self.check_location(caller, &parsed).await?;
        self.resolve_restriction(&mut parsed.marking).await?;
        let decision = self
            .require(
                caller,
                Action::Create,
                AuditAction::Create,
                parsed.kind,
                &parsed.marking,
            )
            .await?;
        let rec = NewRecord {
            id: RecordId::new_at(self.clock.now()),
            kind: parsed.kind,
            marking: parsed.marking,
            summary: parsed.summary,
            subtype: parsed.subtype,
            body: parsed.body,
            link: None,
        };
        let event = self.event_for(caller, &rec);
        self.commit_one(Change {
            ops: vec![WriteOp::Insert(rec)],
            audit: caller
                .audit(&self.clock, AuditAction::Create)
                .with_details(json!({ "decision": decision_details(&decision) })),
            events: vec![event],
        })
        .await
    }

    /// Replaces a record's content, provided nobody has changed it since `base_version`.
    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id, record.id = %id))]
    pub async fn update(
        &self,
        caller: &Caller,
        id: RecordId,
        base_version: Version,
        input: RecordInput,
    ) -> Result<StoredRecord, AppError> {
        let current = self.load_visible(caller, id, AuditAction::Update).await?;
        if current.kind != input.kind() {
            // Asking to replace a person with a vehicle: the record the client named does not
            // exist as that kind.
            return Err(AppError::NotFound(id));
        }
        if let Some(note) = crate::merge::MergedInto::of(&current) {
            return Err(ValidationErrors::single(
                "record",
                format!(
                    "This record was merged into {}: change that record instead",
                    note.id
                ),
            )
            .into());
        }
        if crate::custody::is_custody_record(&current) {
            // Replacing the body would lose the custody entries: they are append-only and
            // go through the custody use cases, which check them against PACE.
            return Err(ValidationErrors::single(
                "event_type",
                "This is a custody record: add to it from its custody page, it cannot be edited as an event",
            )
            .into());
        }
        let mut parsed = self.parse(&input)?;
        // A survivor of merges keeps its list of the records merged into it.
        if let (Some(from), Some(obj)) =
            (current.body.get("merged_from"), parsed.body.as_object_mut())
        {
            obj.insert("merged_from".into(), from.clone());
        }
        self.check_location(caller, &parsed).await?;
        self.resolve_restriction(&mut parsed.marking).await?;
        self.require(
            caller,
            Action::Update,
            AuditAction::Update,
            current.kind,
            &current.marking,
        )
        .await?;
        let decision = self
            .require(
                caller,
                Action::Update,
                AuditAction::Update,
                current.kind,
                &parsed.marking,
            )
            .await?;
        let changed: Vec<String> = diff(&current.body, &parsed.body)
            .into_iter()
            .map(|c| c.field)
            .collect();
        let marking_changed = current.marking != parsed.marking;
        let event = record_event(
            id,
            current.kind,
            base_version + 1,
            RecordChange::Updated,
            None,
            self.clock.now(),
            caller.context.correlation_id.clone(),
        );
        let audit = caller
            .audit(&self.clock, AuditAction::Update)
            .with_details(json!({
                "fields_changed": changed,
                "marking_changed": marking_changed,
                "base_version": base_version,
                "decision": decision_details(&decision),
            }));
        self.commit_one(Change {
            ops: vec![WriteOp::Update {
                id,
                base_version,
                marking: parsed.marking,
                summary: parsed.summary,
                subtype: parsed.subtype,
                body: parsed.body,
            }],
            audit,
            events: vec![event],
        })
        .await
    }

    pub(crate) fn link_record(
        &self,
        id: RecordId,
        link: &Link,
        marking: Marking,
    ) -> Result<NewRecord, AppError> {
        Ok(NewRecord {
            id,
            kind: RecordKind::Link,
            marking,
            summary: link.role.label().to_string(),
            subtype: Some(link.role.as_str().to_string()),
            body: to_body(link)?,
            link: Some(LinkEnds {
                from: link.from,
                to: link.to,
                role: link.role.as_str().to_string(),
            }),
        })
    }

    /// Links two records with a role. Both ends must exist and suit the role.
    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id))]
    pub async fn link(&self, caller: &Caller, input: LinkInput) -> Result<StoredRecord, AppError> {
        let (link, mut marking) = Link::parse(&input)?;
        let mut wanted = vec![link.from, link.to];
        wanted.extend(link.asserted_by);
        let found = self.store.load(&wanted).await?;
        // A record the caller may not see is, to them, a record that does not exist.
        let kind_of = |id: RecordId| {
            found
                .iter()
                .find(|r| r.id == id)
                .filter(|r| {
                    self.access
                        .decide(caller, Action::Read, r.kind, &r.marking)
                        .allowed
                })
                .map(|r| r.kind)
        };
        let mut errors = ValidationErrors::new();
        for (field, id) in [("from_id", link.from), ("to_id", link.to)] {
            if kind_of(id).is_none() {
                continue; // not known to the caller: said below, as for any missing record
            }
            if let Some(note) = found
                .iter()
                .find(|r| r.id == id)
                .and_then(crate::merge::MergedInto::of)
            {
                errors.push(
                    field,
                    format!("This person was merged into {}: link that record", note.id),
                );
            }
        }
        if kind_of(link.from).is_none() {
            errors.push("from_id", "No record has this id");
        }
        if kind_of(link.to).is_none() {
            errors.push("to_id", "No record has this id");
        }
        if let Some(a) = link.asserted_by
            && kind_of(a).is_none()
        {
            errors.push("asserted_by", "No record has this id");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        if let (Some(f), Some(t)) = (kind_of(link.from), kind_of(link.to)) {
            link.check_ends(f, t)?;
        }
        self.resolve_restriction(&mut marking).await?;
        let decision = self
            .require(
                caller,
                Action::Link,
                AuditAction::Link,
                RecordKind::Link,
                &marking,
            )
            .await?;
        let rec = self.link_record(RecordId::new_at(self.clock.now()), &link, marking)?;
        let event = self.event_for(caller, &rec);
        // Both ends as checked above: a merge committed since (which changes the merged
        // record) refuses the link rather than leave it on a record nobody sees. In id
        // order, the order in which a merge changes its two records, so that on PostgreSQL
        // a link between them and their merge never each wait for the other.
        let mut ends: Vec<(RecordId, Version)> = found
            .iter()
            .filter(|r| r.id == link.from || r.id == link.to)
            .map(|r| (r.id, r.version))
            .collect();
        ends.sort_unstable();
        ends.dedup();
        let mut ops: Vec<WriteOp> = ends
            .into_iter()
            .map(|(id, base_version)| WriteOp::Unchanged { id, base_version })
            .collect();
        ops.push(WriteOp::Insert(rec));
        self.commit_one(Change {
            ops,
            audit: caller
                .audit(&self.clock, AuditAction::Link)
                .with_details(json!({ "decision": decision_details(&decision) })),
            events: vec![event],
        })
        .await
    }

    /// Ends a link. It stays in both records' history.
    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id, link.id = %id))]
    pub async fn unlink(
        &self,
        caller: &Caller,
        id: RecordId,
        base_version: Version,
    ) -> Result<StoredRecord, AppError> {
        let current = self.load_visible(caller, id, AuditAction::Unlink).await?;
        let Some(ends) = current.link.clone() else {
            return Err(AppError::NotFound(id));
        };
        self.require(
            caller,
            Action::Update,
            AuditAction::Unlink,
            current.kind,
            &current.marking,
        )
        .await?;
        let event = record_event(
            id,
            RecordKind::Link,
            base_version + 1,
            RecordChange::Ended,
            Some((ends.from, ends.to, &ends.role)),
            self.clock.now(),
            caller.context.correlation_id.clone(),
        );
        self.commit_one(Change {
            ops: vec![WriteOp::End { id, base_version }],
            audit: caller.audit(&self.clock, AuditAction::Unlink),
            events: vec![event],
        })
        .await
    }

    /// Shows a record (audited). `kind`, when given, must match: a person id asked for as an
    /// object is not found.
    pub async fn get(
        &self,
        caller: &Caller,
        id: RecordId,
        kind: Option<RecordKind>,
    ) -> Result<StoredRecord, AppError> {
        let audit = caller.audit(&self.clock, AuditAction::View);
        let gate = self.access.gate(caller, Action::Read);
        match self.store.consult(id, &gate, audit).await? {
            Some(r) if kind.is_none_or(|k| k == r.kind) => Ok(r),
            _ => Err(AppError::NotFound(id)),
        }
    }

    /// Every version of a record, oldest first, each with the fields it changed.
    pub async fn history(
        &self,
        caller: &Caller,
        id: RecordId,
    ) -> Result<Vec<HistoryEntry>, AppError> {
        let versions = self
            .store
            .consult_history(
                id,
                &self.access.gate(caller, Action::Read),
                caller.audit(&self.clock, AuditAction::ViewHistory),
            )
            .await?;
        if versions.is_empty() {
            return Err(AppError::NotFound(id));
        }
        let mut out: Vec<HistoryEntry> = Vec::with_capacity(versions.len());
        let mut previous: Option<(Value, Marking)> = None;
        for v in versions {
            let mut changes = match &previous {
                None => Vec::new(),
                Some((body, _)) => diff(body, &v.body),
            };
            if let Some((_, m)) = &previous
                && *m != v.marking
            {
                changes.push(FieldChange {
                    field: "marking".into(),
                    before: Some(m.banner()),
                    after: Some(v.marking.banner()),
                });
            }
            if v.change == bluelamp_store::ChangeKind::End {
                changes.push(FieldChange {
                    field: "status".into(),
                    before: Some("active".into()),
                    after: Some("ended".into()),
                });
            }
            previous = Some((v.body.clone(), v.marking.clone()));
            out.push(HistoryEntry {
                version: v,
                changes,
            });
        }
        Ok(out)
    }

    pub async fn version(
        &self,
        caller: &Caller,
        id: RecordId,
        version: Version,
    ) -> Result<RecordVersion, AppError> {
        self.store
            .consult_version(
                id,
                version,
                &self.access.gate(caller, Action::Read),
                caller.audit(&self.clock, AuditAction::View),
            )
            .await?
            .ok_or(AppError::NotFound(id))
    }

    /// Shows a record with its links (one audited consultation). `kind`, when given, must
    /// match, as for [`PoleService::get`].
    pub async fn get_with_links(
        &self,
        caller: &Caller,
        id: RecordId,
        kind: Option<RecordKind>,
        include_ended: bool,
    ) -> Result<(StoredRecord, Vec<LinkView>), AppError> {
        let audit = caller.audit(&self.clock, AuditAction::View);
        match self
            .store
            .consult_with_links(
                id,
                include_ended,
                &self.access.gate(caller, Action::Read),
                audit,
            )
            .await?
        {
            Some((r, links)) if kind.is_none_or(|k| k == r.kind) => Ok((r, links)),
            _ => Err(AppError::NotFound(id)),
        }
    }

    /// Whether the caller may export this record (to offer it on the record page).
    pub fn may_export(&self, caller: &Caller, rec: &StoredRecord) -> bool {
        self.access
            .decide(caller, Action::Export, rec.kind, &rec.marking)
            .allowed
    }

    /// A record with the links and history the caller may see, for disclosure (a case file,
    /// a subject access request). Needs the export permission as well as need to know; the
    /// export is audited with every record it contains. A record the caller may not see is
    /// not found; one they may see but not export is refused.
    pub async fn export(&self, caller: &Caller, id: RecordId) -> Result<ExportBundle, AppError> {
        let current = self.load_visible(caller, id, AuditAction::Export).await?;
        let d = self
            .access
            .decide(caller, Action::Export, current.kind, &current.marking);
        if !d.allowed {
            return Err(self
                .access
                .refuse(
                    caller,
                    AuditAction::Export,
                    vec![subject(&current)],
                    &d,
                    "export this record",
                )
                .await);
        }
        let gate = self.access.gate(caller, Action::Export);
        let (record, links) = self
            .store
            .consult_with_links(
                id,
                true,
                &gate,
                caller.audit(&self.clock, AuditAction::Export),
            )
            .await?
            .ok_or(AppError::NotFound(id))?;
        let history = self
            .store
            .consult_history(id, &gate, caller.audit(&self.clock, AuditAction::Export))
            .await?;
        Ok(ExportBundle {
            exported_at: self.clock.now(),
            exported_by: caller.actor(),
            record,
            links,
            history,
        })
    }

    pub async fn list(&self, caller: &Caller, mut query: ListQuery) -> Result<Page, AppError> {
        query.visibility = self
            .access
            .visibility(caller, Action::List, AuditAction::List)
            .await?;
        let audit = caller
            .audit(&self.clock, AuditAction::List)
            .with_details(json!({
                "kind": query.kind.as_str(),
                "subtype": query.subtype,
                "summary_prefix": query.summary_prefix,
                "page": query.page,
                "per_page": query.per_page,
            }));
        Ok(self.store.consult_list(query, audit).await?)
    }

    /// How many records of each kind the caller may see (counted up to the list cap, so
    /// counts never reveal records they may not).
    pub async fn counts(&self, caller: &Caller) -> Result<Counts, AppError> {
        let visibility = self
            .access
            .visibility(caller, Action::List, AuditAction::List)
            .await?;
        let mut counts = Counts::default();
        for kind in RecordKind::ALL {
            let mut q = ListQuery::new(kind);
            q.visibility = visibility.clone();
            let (n, _exact) = self.store.count(&q).await?;
            counts.add(kind.as_str(), i64::try_from(n).unwrap_or(i64::MAX));
        }
        Ok(counts)
    }

    /// Loads many records in one audited change (demo data, migration). Every item is
    /// validated exactly as a single create would be; one bad item refuses the whole batch,
    /// naming the item.
    pub async fn bulk_create(
        &self,
        caller: &Caller,
        items: Vec<BulkItem>,
    ) -> Result<usize, AppError> {
        let mut ops = Vec::with_capacity(items.len());
        let mut kinds: HashMap<RecordId, RecordKind> = HashMap::with_capacity(items.len());
        let mut pending_links: Vec<(usize, Link)> = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let prefix = format!("items.{i}");
            match item {
                BulkItem::Record(id, input) => {
                    let parsed = self.parse(&input).map_err(|e| prefixed(&prefix, e))?;
                    if !self
                        .access
                        .decide(caller, Action::Create, parsed.kind, &parsed.marking)
                        .allowed
                    {
                        self.require(
                            caller,
                            Action::Create,
                            AuditAction::BulkCreate,
                            parsed.kind,
                            &parsed.marking,
                        )
                        .await?;
                    }
                    kinds.insert(id, parsed.kind);
                    ops.push(WriteOp::Insert(NewRecord {
                        id,
                        kind: parsed.kind,
                        marking: parsed.marking,
                        summary: parsed.summary,
                        subtype: parsed.subtype,
                        body: parsed.body,
                        link: None,
                    }));
                }
                BulkItem::Link(id, input) => {
                    let (link, marking) =
                        Link::parse(&input).map_err(|e| prefixed(&prefix, AppError::Invalid(e)))?;
                    ops.push(WriteOp::Insert(self.link_record(id, &link, marking)?));
                    pending_links.push((i, link));
                }
            }
        }
        // Link ends outside the batch come from the store.
        let outside: Vec<RecordId> = pending_links
            .iter()
            .flat_map(|(_, l)| [l.from, l.to])
            .filter(|id| !kinds.contains_key(id))
            .collect();
        if !outside.is_empty() {
            for r in self.store.load(&outside).await? {
                kinds.insert(r.id, r.kind);
            }
        }
        for (i, link) in &pending_links {
            match (kinds.get(&link.from), kinds.get(&link.to)) {
                (Some(f), Some(t)) => link
                    .check_ends(*f, *t)
                    .map_err(|e| prefixed(&format!("items.{i}"), AppError::Invalid(e)))?,
                _ => {
                    return Err(ValidationErrors::single(
                        format!("items.{i}.to_id"),
                        "No record has this id",
                    )
                    .into());
                }
            }
        }
        let at = self.clock.now();
        let events = ops
            .iter()
            .filter_map(|op| match op {
                WriteOp::Insert(r) => Some(record_event(
                    r.id,
                    r.kind,
                    1,
                    RecordChange::Created,
                    r.link.as_ref().map(|l| (l.from, l.to, l.role.as_str())),
                    at,
                    caller.context.correlation_id.clone(),
                )),
                _ => None,
            })
            .collect();
        let n = ops.len();
        self.commit(Change {
            ops,
            audit: caller.audit(&self.clock, AuditAction::BulkCreate),
            events,
        })
        .await?;
        Ok(n)
    }
}

fn prefixed(prefix: &str, e: AppError) -> AppError {
    match e {
        AppError::Invalid(v) => {
            let mut out = ValidationErrors::new();
            out.extend_prefixed(prefix, v);
            AppError::Invalid(out)
        }
        other => other,
    }
}
