//! Break glass: a user asks to read one record outside their need to know, giving a reason;
//! a second person (a supervisor or professional standards, who must pass need to know for
//! the record themselves, and is not the requester) approves or refuses; an approved grant
//! lets the requester read that one record until it expires (1 to 12 hours). It lifts
//! compartments and restrictions, never the vetting clearance the classification needs, and
//! never for lists, searches, changes or exports. The request, the decision and every use
//! are audited; protective monitoring raises an alert on each request and decision.
//!
//! Asking never reveals whether a record exists: the answer is the same for a hidden record,
//! a missing one and a mistyped id; only an approver who can see the record can approve.

use crate::access::decision_details;
use crate::{Access, ActiveGrant, AppError, Caller};
use bluelamp_authz::Action;
use bluelamp_domain::{AuditAction, Clock, RecordId, Role, Username, ValidationErrors};
use bluelamp_store::{
    AccessGrant, DirectoryChange, DirectoryOp, GrantFilter, GrantStatus, Store, StoredRecord,
    subject,
};
use jiff::SignedDuration;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// The longest a grant may last.
pub const MAX_HOURS: u32 = 12;
/// The shortest reason accepted: enough to say what and why.
pub const MIN_REASON_CHARS: usize = 20;

/// A request waiting for a decision, with the record as the approver sees it.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    pub grant: AccessGrant,
    pub record: StoredRecord,
}

#[derive(Clone)]
pub struct BreakGlass {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    access: Access,
    /// Each user's approved grants, as last read, and when: every request asks, and most
    /// users have none. Expiry is still checked at each use; a decision made on this node
    /// clears the requester's entry at once, one made on another node shows within
    /// [`GRANT_CACHE_TTL`].
    cache: Arc<std::sync::Mutex<GrantCache>>,
}

/// Approved grants by user, with when they were read.
type GrantCache = HashMap<Username, (std::time::Instant, Vec<AccessGrant>)>;

/// How long a user's approved grants are reused before they are read again.
pub const GRANT_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl BreakGlass {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, access: Access) -> Self {
        Self {
            store,
            clock,
            access,
            cache: Arc::default(),
        }
    }

    fn username(caller: &Caller) -> Result<Username, AppError> {
        caller
            .principal()
            .map(|p| p.username.clone())
            .ok_or_else(|| AppError::Forbidden("Only a person can ask for access".into()))
    }

    fn cache_lock(&self) -> std::sync::MutexGuard<'_, GrantCache> {
        match self.cache.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Asks for access to a record. The same answer whether or not the record exists.
    pub async fn request(
        &self,
        caller: &Caller,
        record_id: &str,
        reason: &str,
        hours: &str,
    ) -> Result<AccessGrant, AppError> {
        let username = Self::username(caller)?;
        let mut e = ValidationErrors::new();
        let record_id = e.check(
            "record_id",
            record_id
                .trim()
                .parse::<RecordId>()
                .map_err(|_| "Enter the id of the record you need".to_string()),
        );
        let reason = reason.trim();
        if reason.chars().count() < MIN_REASON_CHARS {
            e.push(
                "reason",
                format!(
                    "Say why you need this record now (at least {MIN_REASON_CHARS} characters)"
                ),
            );
        } else if reason.chars().count() > 2_000 || reason.chars().any(char::is_control) {
            e.push(
                "reason",
                "The reason must be at most 2,000 characters, on one line",
            );
        }
        let hours = e.check(
            "hours",
            hours
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=MAX_HOURS).contains(h))
                .ok_or_else(|| format!("Choose from 1 to {MAX_HOURS} hours")),
        );
        let (Some(record_id), Some(hours)) = (record_id, hours) else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let record = self.store.load(&[record_id]).await?.into_iter().next();
        if let Some(r) = &record
            && self
                .access
                .decide(caller, Action::Read, r.kind, &r.marking)
                .allowed
        {
            return Err(ValidationErrors::single(
                "record_id",
                "You can already see this record: open it from its page",
            )
            .into());
        }
        let now = self.clock.now();
        let grant = AccessGrant {
            id: RecordId::new_at(now).to_string(),
            username,
            record_id,
            reason: reason.to_string(),
            hours,
            requested_at: now,
            status: GrantStatus::Pending,
            decided_by: None,
            decided_at: None,
            decision_note: String::new(),
            expires_at: None,
            version: 0,
        };
        let mut audit = caller
            .audit(&self.clock, AuditAction::BreakGlassRequest)
            .with_details(json!({
                "grant_id": grant.id,
                "record_id": record_id,
                "reason": grant.reason,
                "hours": hours,
                "record_exists": record.is_some(),
            }));
        audit.subjects = record.iter().map(subject).collect();
        let done = self
            .store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::PutGrant {
                    grant: Box::new(grant),
                    base_version: None,
                }],
                audit: Some(audit),
            })
            .await?;
        done.grants
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("the request was not stored".into()))
    }

    /// The caller's own requests, newest first.
    pub async fn mine(&self, caller: &Caller) -> Result<Vec<AccessGrant>, AppError> {
        let username = Self::username(caller)?;
        Ok(self
            .store
            .grants(&GrantFilter {
                username: Some(username),
                ..Default::default()
            })
            .await?)
    }

    /// Whether the caller's roles let them decide requests at all.
    pub fn may_decide(caller: &Caller) -> bool {
        caller.principal().is_some_and(|p| {
            p.has_role(Role::Supervisor) || p.has_role(Role::ProfessionalStandards)
        })
    }

    /// Pending requests this caller may decide: for records they can see, from other users.
    pub async fn to_decide(&self, caller: &Caller) -> Result<Vec<PendingRequest>, AppError> {
        let Some(me) = caller.principal() else {
            return Ok(Vec::new());
        };
        if !Self::may_decide(caller) {
            return Ok(Vec::new());
        }
        let pending = self
            .store
            .grants(&GrantFilter {
                status: Some(GrantStatus::Pending),
                ..Default::default()
            })
            .await?;
        let ids: Vec<RecordId> = pending.iter().map(|g| g.record_id).collect();
        let records = self.store.load(&ids).await?;
        Ok(pending
            .into_iter()
            .filter(|g| g.username != me.username)
            .filter_map(|g| {
                let record = records.iter().find(|r| r.id == g.record_id)?.clone();
                self.access
                    .decide(
                        caller,
                        Action::ApproveBreakGlass,
                        record.kind,
                        &record.marking,
                    )
                    .allowed
                    .then_some(PendingRequest { grant: g, record })
            })
            .collect())
    }

    /// Approves or refuses a request (audited). Refused as not found when the caller may not
    /// decide it.
    pub async fn decide(
        &self,
        caller: &Caller,
        grant_id: &str,
        base_version: i64,
        approve: bool,
        note: &str,
    ) -> Result<AccessGrant, AppError> {
        let me = Self::username(caller)?;
        let not_found = || {
            AppError::Invalid(ValidationErrors::single(
                "grant",
                "No request you can decide has this number",
            ))
        };
        let grant = self
            .store
            .grants(&GrantFilter {
                id: Some(grant_id.to_string()),
                ..Default::default()
            })
            .await?
            .into_iter()
            .next()
            .ok_or_else(not_found)?;
        if grant.username == me {
            return Err(ValidationErrors::single(
                "grant",
                "Someone else must decide your own request",
            )
            .into());
        }
        let record = self
            .store
            .load(&[grant.record_id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(not_found)?;
        let d = self.access.decide(
            caller,
            Action::ApproveBreakGlass,
            record.kind,
            &record.marking,
        );
        if !d.allowed {
            return Err(self
                .access
                .refuse(
                    caller,
                    AuditAction::BreakGlassDecision,
                    vec![subject(&record)],
                    &d,
                    "decide this request",
                )
                .await);
        }
        if grant.status != GrantStatus::Pending {
            return Err(ValidationErrors::single("grant", "This request has been decided").into());
        }
        let note = note.trim();
        if !approve && note.is_empty() {
            return Err(ValidationErrors::single("note", "Say why you are refusing").into());
        }
        if note.chars().count() > 2_000 {
            return Err(ValidationErrors::single("note", "At most 2,000 characters").into());
        }
        let now = self.clock.now();
        let mut decided = grant.clone();
        decided.status = if approve {
            GrantStatus::Approved
        } else {
            GrantStatus::Refused
        };
        decided.decided_by = Some(me.as_str().to_string());
        decided.decided_at = Some(now);
        decided.decision_note = note.to_string();
        decided.expires_at = approve.then(|| {
            now.saturating_add(SignedDuration::from_hours(i64::from(grant.hours)))
                .unwrap_or(now)
        });
        let mut audit = caller
            .audit(&self.clock, AuditAction::BreakGlassDecision)
            .with_details(json!({
                "grant_id": grant.id,
                "requested_by": grant.username,
                "approved": approve,
                "note": note,
                "expires_at": decided.expires_at.map(bluelamp_domain::time::to_rfc3339),
                "decision": decision_details(&d),
            }));
        audit.subjects = vec![subject(&record)];
        let done = self
            .store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::PutGrant {
                    grant: Box::new(decided),
                    base_version: Some(base_version),
                }],
                audit: Some(audit),
            })
            .await?;
        self.cache_lock().remove(&grant.username);
        done.grants
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("the decision was not stored".into()))
    }

    /// The grants in force for a user now (checked on every request).
    pub async fn active_for(&self, username: &Username) -> Result<Vec<ActiveGrant>, AppError> {
        let now = self.clock.now();
        let cached = self
            .cache_lock()
            .get(username)
            .and_then(|(at, grants)| (at.elapsed() < GRANT_CACHE_TTL).then(|| grants.clone()));
        let approved = match cached {
            Some(g) => g,
            None => {
                let g = self
                    .store
                    .grants(&GrantFilter {
                        username: Some(username.clone()),
                        status: Some(GrantStatus::Approved),
                        ..Default::default()
                    })
                    .await?;
                let mut cache = self.cache_lock();
                if cache.len() > 10_000 {
                    cache.retain(|_, (at, _)| at.elapsed() < GRANT_CACHE_TTL);
                }
                cache.insert(username.clone(), (std::time::Instant::now(), g.clone()));
                g
            }
        };
        Ok(approved
            .into_iter()
            .filter(|g| g.active_at(now))
            .map(|g| ActiveGrant {
                id: g.id,
                record_id: g.record_id,
            })
            .collect())
    }
}
