//! Merging person records into one, and undoing it.
//!
//! A merge keeps one record (the survivor) and retires the other (the merged record) in one
//! audited transaction:
//! - every link of the merged record is ended and re-made on the survivor (same role,
//!   dates, notes and marking), so the events, objects, locations and associates recorded
//!   against either person are found on the survivor; a link between the two is left as
//!   it is;
//! - identifiers, warning markers, flags and other names the survivor lacks are added to
//!   it, with the merged record's own name as an alias, and it lists the records merged
//!   into it (`merged_from`);
//! - both records must carry the same marking, and the caller must be allowed to change
//!   both and every link that moves;
//! - the merged record gets a new version saying where it went, by whom and why
//!   (`merged_into`). It stays, with all its history, and its pages redirect to the
//!   survivor; it can no longer be edited, linked or merged.
//!
//! The `merged_into` note also holds what the merge changed, so that an un-merge restores
//! exactly the state before it: the survivor's and the merged record's content as they
//! were, the re-made links ended, and the original links back in force. Both are new
//! versions: history only grows. An un-merge is refused (409) if the survivor or a re-made
//! link has changed since the merge, since restoring would then lose that change.

use crate::{AppError, Caller, PoleService};
use bluelamp_authz::Action;
use bluelamp_domain::pole::Link;
use bluelamp_domain::{AuditAction, RecordId, RecordKind, ValidationErrors, Version};
use bluelamp_events::envelope::{RecordChange, record_event};
use bluelamp_store::{
    CandidateStatus, Change, DirectoryChange, DirectoryOp, DuplicateCandidate, OpenGate,
    OutboxEvent, ScannedRecord, StoredRecord, WriteOp,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The longest reason accepted.
pub const MAX_REASON: usize = 1_000;

/// What a merge asks for. Both versions are the ones the user compared: a record changed
/// since is a conflict, as for any update.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeRequest {
    pub survivor: RecordId,
    pub survivor_version: Version,
    pub merged: RecordId,
    pub merged_version: Version,
    pub reason: String,
}

/// A link the merge moved: the original (ended) and the copy made on the survivor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedLink {
    pub original: RecordId,
    pub copy: RecordId,
}

/// The note a merge leaves on the merged record (`merged_into` in its body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedInto {
    /// The survivor.
    pub id: RecordId,
    pub at: jiff::Timestamp,
    pub by: String,
    pub reason: String,
    /// The survivor's version before the merge and the one the merge wrote.
    pub survivor_version_before: Version,
    pub survivor_version_after: Version,
    /// The merged record's version before the merge.
    pub merged_version_before: Version,
    pub moved_links: Vec<MovedLink>,
}

impl MergedInto {
    /// The note on a record, if it has been merged into another.
    pub fn of(rec: &StoredRecord) -> Option<MergedInto> {
        if rec.kind != RecordKind::Person {
            return None;
        }
        serde_json::from_value(rec.body.get("merged_into")?.clone()).ok()
    }

    /// The same, for a record read with its body as JSON text. serde_json (SQLite's
    /// bodies) and PostgreSQL's jsonb output both write the key unescaped, so a body without
    /// that text has no note and is not parsed at all: a reindex reads a million persons.
    /// (A body given the key twice by hand reads as having none.)
    pub fn of_json(rec: &ScannedRecord) -> Option<MergedInto> {
        if rec.kind != RecordKind::Person || !rec.body.contains("\"merged_into\"") {
            return None;
        }
        #[derive(Deserialize)]
        struct Note {
            merged_into: Option<MergedInto>,
        }
        serde_json::from_str::<Note>(&rec.body).ok()?.merged_into
    }
}

/// The ids of the records merged into a survivor (`merged_from` in its body).
pub fn merged_from(rec: &StoredRecord) -> Vec<RecordId> {
    rec.body
        .get("merged_from")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// What a merge or un-merge wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeOutcome {
    pub survivor: StoredRecord,
    pub merged: StoredRecord,
    /// Links moved (merge) or moved back (un-merge).
    pub links: usize,
    /// Identifiers added to the survivor (merge only).
    pub identifiers_added: usize,
}

fn reason(text: &str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ValidationErrors::single("reason", "Say why").into());
    }
    if t.chars().count() > MAX_REASON {
        return Err(ValidationErrors::single(
            "reason",
            format!("Enter at most {MAX_REASON} characters"),
        )
        .into());
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ValidationErrors::single("reason", "Remove the control characters").into());
    }
    Ok(t.to_owned())
}

/// The most items a person's list may hold (the domain's limit).
const MAX_LIST: usize = 50;

fn list(body: &Value, field: &str) -> Vec<Value> {
    body.get(field)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The merged record's own name, as an other name of the survivor.
fn own_name(body: &Value) -> Option<Value> {
    let family = body.get("family_name")?.clone();
    Some(json!({
        "family_name": family,
        "given_names": body.get("given_names").cloned().unwrap_or(Value::Null),
        "name_type": "alias",
    }))
}

impl PoleService {
    /// A person record to merge or un-merge: visible to the caller, a person, and one
    /// the caller may change.
    async fn person_to_merge(
        &self,
        caller: &Caller,
        id: RecordId,
        action: AuditAction,
    ) -> Result<StoredRecord, AppError> {
        let rec = self.load_visible(caller, id, action).await?;
        if rec.kind != RecordKind::Person {
            return Err(AppError::NotFound(id));
        }
        self.require(caller, Action::Update, action, rec.kind, &rec.marking)
            .await?;
        Ok(rec)
    }

    /// Every link in force at a record, whoever may see them (a merge moves them all, and
    /// is refused if the caller may not change one). The consultation is audited as part of
    /// the merge.
    async fn all_links(
        &self,
        caller: &Caller,
        id: RecordId,
        action: AuditAction,
    ) -> Result<Vec<StoredRecord>, AppError> {
        let audit = caller
            .audit(self.clock(), AuditAction::View)
            .with_details(json!({ "for": action.as_str() }));
        Ok(self
            .store()
            .consult_with_links(id, false, &OpenGate, audit)
            .await?
            .map(|(_, links)| links.into_iter().map(|l| l.link).collect())
            .unwrap_or_default())
    }

    fn change_event(
        &self,
        caller: &Caller,
        rec: &StoredRecord,
        version: Version,
        change: RecordChange,
    ) -> OutboxEvent {
        record_event(
            rec.id,
            rec.kind,
            version,
            change,
            rec.link.as_ref().map(|l| (l.from, l.to, l.role.as_str())),
            self.clock().now(),
            caller.context.correlation_id.clone(),
        )
    }

    /// Records the pair's new standing in the review queue after a merge or un-merge, and
    /// withdraws the other open pairs of a record merged away (`withdraw`): the check on the
    /// survivor, which runs after the merge, finds the survivor's own. That change is done and
    /// audited already: a failure here only leaves a candidate the queue hides (a merged
    /// record) or shows again, so it is logged, not returned.
    async fn mark_pair(
        &self,
        caller: &Caller,
        x: RecordId,
        y: RecordId,
        status: CandidateStatus,
        withdraw: Option<RecordId>,
    ) {
        let (a, b) = DuplicateCandidate::pair(x, y);
        let mut ops = vec![DirectoryOp::DecideCandidate {
            a,
            b,
            status,
            by: caller.actor().display_name.clone(),
            at: self.clock().now(),
        }];
        ops.extend(withdraw.map(DirectoryOp::WithdrawOpenCandidatesOf));
        let done = self
            .store()
            .directory_apply(DirectoryChange { ops, audit: None })
            .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, status = status.as_str(), "pair not marked in the review queue");
        }
    }

    /// Merges `req.merged` into `req.survivor` (see the module documentation). A link
    /// added to or ended on the merged record while the merge was being made refuses it
    /// (`WriteOp::LinksInForce`); it is then made again from the records as they are, twice
    /// at most, so that the user sees a conflict only if the links keep changing.
    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id, survivor = %req.survivor, merged = %req.merged))]
    pub async fn merge(
        &self,
        caller: &Caller,
        req: MergeRequest,
    ) -> Result<MergeOutcome, AppError> {
        let mut tries = 0;
        loop {
            match self.merge_once(caller, req.clone()).await {
                Err(AppError::LinksChanged { id, .. }) if id == req.merged && tries < 2 => {
                    tracing::info!(merged = %id, "links changed during the merge; merging again");
                    tries += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn merge_once(
        &self,
        caller: &Caller,
        req: MergeRequest,
    ) -> Result<MergeOutcome, AppError> {
        let why = reason(&req.reason)?;
        if req.survivor == req.merged {
            return Err(ValidationErrors::single(
                "merged_id",
                "Choose a different record to merge",
            )
            .into());
        }
        let survivor = self
            .person_to_merge(caller, req.survivor, AuditAction::Merge)
            .await?;
        let merged = self
            .person_to_merge(caller, req.merged, AuditAction::Merge)
            .await?;
        for (rec, field, asked) in [
            (&survivor, "survivor_id", req.survivor_version),
            (&merged, "merged_id", req.merged_version),
        ] {
            if rec.version != asked {
                return Err(AppError::Conflict {
                    id: rec.id,
                    expected: asked,
                    current: rec.version,
                });
            }
            if let Some(note) = MergedInto::of(rec) {
                return Err(ValidationErrors::single(
                    field,
                    format!("This record was merged into {} already", note.id),
                )
                .into());
            }
        }
        // The same marking on both: otherwise the merged record's details would reach
        // people its marking kept them from, or its readers would be sent to a record
        // they may not see.
        if survivor.marking != merged.marking {
            return Err(ValidationErrors::single(
                "merged_id",
                "The two records are marked differently: give them the same marking first",
            )
            .into());
        }
        let links = self
            .all_links(caller, merged.id, AuditAction::Merge)
            .await?;
        let now = self.clock().now();
        let mut ops = Vec::new();
        let mut events = Vec::new();
        let mut moved = Vec::new();
        let access = self.access();
        if links.iter().any(|l| {
            !access
                .decide(caller, Action::Update, RecordKind::Link, &l.marking)
                .allowed
        }) {
            return Err(AppError::Forbidden(
                "This record has links you may not change: someone with wider access must merge it"
                    .into(),
            ));
        }
        for l in &links {
            let Some(ends) = &l.link else { continue };
            if ends.from == survivor.id || ends.to == survivor.id {
                continue; // a link between the two stays as it was
            }
            let mut link: Link = serde_json::from_value(l.body.clone())
                .map_err(|e| AppError::Internal(format!("link {} does not read: {e}", l.id)))?;
            if link.from == merged.id {
                link.from = survivor.id;
            }
            if link.to == merged.id {
                link.to = survivor.id;
            }
            let copy = self.link_record(RecordId::new_at(now), &link, l.marking.clone())?;
            ops.push(WriteOp::End {
                id: l.id,
                base_version: l.version,
            });
            events.push(self.change_event(caller, l, l.version + 1, RecordChange::Ended));
            events.push(record_event(
                copy.id,
                copy.kind,
                1,
                RecordChange::Created,
                copy.link.as_ref().map(|e| (e.from, e.to, e.role.as_str())),
                now,
                caller.context.correlation_id.clone(),
            ));
            moved.push(MovedLink {
                original: l.id,
                copy: copy.id,
            });
            ops.push(WriteOp::Insert(copy));
        }
        // The survivor: the identifiers, warning markers, flags and other names it lacks
        // (the merged record's own name among them), and where it came from.
        let mut survivor_body = survivor.body.clone();
        let mut added = 0;
        let mut errors = ValidationErrors::new();
        for field in ["identifiers", "warning_markers", "flags", "other_names"] {
            let mut items = list(&survivor_body, field);
            let mut incoming = list(&merged.body, field);
            if field == "other_names" {
                let own =
                    |b: &Value| (b.get("family_name").cloned(), b.get("given_names").cloned());
                if own(&merged.body) != own(&survivor.body) {
                    incoming.extend(own_name(&merged.body));
                }
            }
            for item in incoming {
                if !items.contains(&item) {
                    items.push(item);
                    if field == "identifiers" {
                        added += 1;
                    }
                }
            }
            if items.len() > MAX_LIST {
                errors.push(
                    "merged_id",
                    format!(
                        "Together the records have more than {MAX_LIST} {}: remove some first",
                        field.replace('_', " ")
                    ),
                );
            }
            if let Some(obj) = survivor_body.as_object_mut() {
                obj.insert(field.into(), Value::Array(items));
            }
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut from = merged_from(&survivor);
        from.push(merged.id);
        if let Some(obj) = survivor_body.as_object_mut() {
            obj.insert("merged_from".into(), json!(from));
        }
        let survivor_update = WriteOp::Update {
            id: survivor.id,
            base_version: survivor.version,
            marking: survivor.marking.clone(),
            summary: survivor.summary.clone(),
            subtype: survivor.subtype.clone(),
            body: survivor_body,
        };
        events.push(self.change_event(
            caller,
            &survivor,
            survivor.version + 1,
            RecordChange::Updated,
        ));
        let note = MergedInto {
            id: survivor.id,
            at: now,
            by: caller.actor().display_name.clone(),
            reason: why.clone(),
            survivor_version_before: survivor.version,
            survivor_version_after: survivor.version + 1,
            merged_version_before: merged.version,
            moved_links: moved.clone(),
        };
        let mut merged_body = merged.body.clone();
        if let Some(obj) = merged_body.as_object_mut() {
            obj.insert(
                "merged_into".into(),
                serde_json::to_value(&note)
                    .map_err(|e| AppError::Internal(format!("cannot encode merge: {e}")))?,
            );
        }
        let merged_update = WriteOp::Update {
            id: merged.id,
            base_version: merged.version,
            marking: merged.marking.clone(),
            summary: merged.summary.clone(),
            subtype: merged.subtype.clone(),
            body: merged_body,
        };
        // The two records are changed in id order, the order in which a new link holds
        // its ends (`WriteOp::Unchanged`): on PostgreSQL a link between the two added
        // during their merge then waits for it, or it for the link, never both.
        if survivor.id < merged.id {
            ops.extend([survivor_update, merged_update]);
        } else {
            ops.extend([merged_update, survivor_update]);
        }
        events.push(self.change_event(caller, &merged, merged.version + 1, RecordChange::Updated));
        // A link added to the merged record since its links were read would stay on it,
        // out of everyone's sight: the merge is refused instead (tried again, it moves that
        // link too). Only the links between the two stay on it.
        let kept: Vec<RecordId> = links
            .iter()
            .filter(|l| {
                l.link
                    .as_ref()
                    .is_some_and(|e| e.from == survivor.id || e.to == survivor.id)
            })
            .map(|l| l.id)
            .collect();
        ops.push(WriteOp::LinksInForce {
            id: merged.id,
            base_version: merged.version,
            links: kept,
        });
        let audit = caller
            .audit(self.clock(), AuditAction::Merge)
            .with_details(json!({
                "survivor": survivor.id,
                "merged": merged.id,
                "reason": why,
                "links_moved": moved,
                "identifiers_added": added,
            }));
        let written = self.commit(Change { ops, audit, events }).await?;
        let find = |id: RecordId| {
            written
                .iter()
                .find(|r| r.id == id)
                .cloned()
                .ok_or_else(|| AppError::Internal("the merge wrote nothing".into()))
        };
        // The pair leaves the review queue, and so do the merged record's other pairs.
        self.mark_pair(
            caller,
            survivor.id,
            merged.id,
            CandidateStatus::Merged,
            Some(merged.id),
        )
        .await;
        Ok(MergeOutcome {
            survivor: find(survivor.id)?,
            merged: find(merged.id)?,
            links: moved.len(),
            identifiers_added: added,
        })
    }

    /// Undoes the merge of `merged` (at `version`, as the user saw it).
    #[tracing::instrument(skip_all, err(level = "warn"), fields(user.id = %caller.actor().user_id, merged = %merged_id))]
    pub async fn unmerge(
        &self,
        caller: &Caller,
        merged_id: RecordId,
        version: Version,
        reason_text: &str,
    ) -> Result<MergeOutcome, AppError> {
        let why = reason(reason_text)?;
        let merged = self
            .person_to_merge(caller, merged_id, AuditAction::Unmerge)
            .await?;
        if merged.version != version {
            return Err(AppError::Conflict {
                id: merged.id,
                expected: version,
                current: merged.version,
            });
        }
        let Some(note) = MergedInto::of(&merged) else {
            return Err(
                ValidationErrors::single("merged_id", "This record has not been merged").into(),
            );
        };
        let survivor = self
            .person_to_merge(caller, note.id, AuditAction::Unmerge)
            .await?;
        if survivor.version != note.survivor_version_after {
            return Err(AppError::Conflict {
                id: survivor.id,
                expected: note.survivor_version_after,
                current: survivor.version,
            });
        }
        let before = |id: RecordId, v: Version| {
            let audit = caller
                .audit(self.clock(), AuditAction::ViewHistory)
                .with_details(json!({ "for": "unmerge" }));
            async move {
                self.store()
                    .consult_version(id, v, &OpenGate, audit)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("version {v} of {id} is missing")))
            }
        };
        let survivor_before = before(survivor.id, note.survivor_version_before).await?;
        let merged_before = before(merged.id, note.merged_version_before).await?;
        let mut ops = Vec::new();
        let mut events = Vec::new();
        let mut wanted: Vec<RecordId> = Vec::new();
        for m in &note.moved_links {
            wanted.push(m.original);
            wanted.push(m.copy);
        }
        let found = self.store().load(&wanted).await?;
        let get = |id: RecordId| {
            found
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| AppError::Internal(format!("link {id} of the merge is missing")))
        };
        for m in &note.moved_links {
            let copy = get(m.copy)?;
            let original = get(m.original)?;
            ops.push(WriteOp::End {
                id: copy.id,
                base_version: copy.version,
            });
            events.push(self.change_event(caller, copy, copy.version + 1, RecordChange::Ended));
            ops.push(WriteOp::Reopen {
                id: original.id,
                base_version: original.version,
            });
            events.push(self.change_event(
                caller,
                original,
                original.version + 1,
                RecordChange::Updated,
            ));
        }
        for (current, was) in [(&survivor, &survivor_before), (&merged, &merged_before)] {
            ops.push(WriteOp::Update {
                id: current.id,
                base_version: current.version,
                marking: was.marking.clone(),
                summary: was.summary.clone(),
                subtype: current.subtype.clone(),
                body: was.body.clone(),
            });
            events.push(self.change_event(
                caller,
                current,
                current.version + 1,
                RecordChange::Updated,
            ));
        }
        let audit = caller
            .audit(self.clock(), AuditAction::Unmerge)
            .with_details(json!({
                "survivor": survivor.id,
                "merged": merged.id,
                "reason": why,
                "merge_reason": note.reason,
                "links_restored": note.moved_links,
            }));
        let written = self.commit(Change { ops, audit, events }).await?;
        // Someone decided these are two people: the pair does not come back to the queue.
        self.mark_pair(
            caller,
            survivor.id,
            merged.id,
            CandidateStatus::NotDuplicate,
            None,
        )
        .await;
        let find = |id: RecordId| {
            written
                .iter()
                .find(|r| r.id == id)
                .cloned()
                .ok_or_else(|| AppError::Internal("the un-merge wrote nothing".into()))
        };
        Ok(MergeOutcome {
            survivor: find(survivor.id)?,
            merged: find(merged.id)?,
            links: note.moved_links.len(),
            identifiers_added: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bluelamp_domain::Marking;

    fn stored<B>(body: B) -> StoredRecord<B> {
        let id = RecordId(uuid::Uuid::now_v7());
        StoredRecord {
            id,
            kind: RecordKind::Person,
            version: 2,
            marking: Marking::official(),
            summary: "SMITH, Jo".into(),
            subtype: None,
            body,
            link: None,
            status: bluelamp_store::RecordStatus::Active,
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            created_by: "test".into(),
            updated_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            updated_by: "test".into(),
        }
    }

    #[test]
    fn the_note_reads_the_same_from_a_body_and_from_its_text() {
        let note = MergedInto {
            id: RecordId(uuid::Uuid::now_v7()),
            at: "2026-02-01T10:00:00Z".parse().unwrap(),
            by: "ps.one".into(),
            reason: "same person".into(),
            survivor_version_before: 3,
            survivor_version_after: 4,
            merged_version_before: 1,
            moved_links: vec![],
        };
        let bodies = [
            json!({"family_name": "Smith", "merged_into": note}),
            json!({"family_name": "Smith"}),
            // The words inside a value, or a key of something nested, are not the note.
            json!({"family_name": "Smith", "marks": "\"merged_into\""}),
            json!({"family_name": "Smith", "marks": "merged_into"}),
            json!({"family_name": "Smith", "other": {"merged_into": note}}),
            // A note that does not read is no note, either way.
            json!({"family_name": "Smith", "merged_into": {"id": "x"}}),
            json!({"family_name": "Smith", "merged_into": null}),
        ];
        for body in bodies {
            let rec = stored(body);
            let text = rec.clone().map_body(|b| serde_json::to_string(&b).unwrap());
            assert_eq!(
                MergedInto::of_json(&text),
                MergedInto::of(&rec),
                "{}",
                text.body
            );
        }
        let mut merged = stored(serde_json::to_string(&json!({"merged_into": note})).unwrap());
        assert_eq!(MergedInto::of_json(&merged), Some(note));
        merged.kind = RecordKind::Object;
        assert_eq!(MergedInto::of_json(&merged), None);
    }
}
