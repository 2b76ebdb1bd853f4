//! The audit entry every write (and every consultation) carries. The store commits it in
//! the same transaction as the change it describes, so no code path changes data unaudited.
//! The field names follow the HMPPS audit shape (who, what, when, subjectId, subjectType,
//! service, correlationId, details) plus outcome and the records' markings. The Security
//! issue adds hash chaining and signed checkpoints over these entries.

use crate::{Classification, RecordId, RecordKind, Version};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who acted. Until sign-in lands this is the fixed demo identity or the CLI operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// A stable user identifier (`demo.officer`, a directory object id, `system:cli`).
    pub user_id: String,
    /// The name shown on pages and in history.
    pub display_name: String,
}

impl Actor {
    pub fn system(process: &str) -> Self {
        Self {
            user_id: format!("system:{process}"),
            display_name: format!("Bluelamp ({process})"),
        }
    }
}

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestContext {
    pub correlation_id: Option<String>,
    pub source_address: Option<String>,
    pub user_agent: Option<String>,
    /// The session (or API token) acted through: a public id, not the secret.
    #[serde(default)]
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Create,
    Update,
    Link,
    Unlink,
    /// A consultation: a record (and version) was shown to someone.
    View,
    /// A record's history was shown.
    ViewHistory,
    /// A list or filter query; `subjects` holds the ids returned.
    List,
    /// A search (the box, a structured person search, search before create); `details`
    /// holds what was searched for and the counts, `subjects` the records returned.
    Search,
    /// Bulk load (demo data, migration).
    BulkCreate,
    /// A sign-in attempt (outcome success, failed or denied).
    SignIn,
    SignOut,
    /// A session ended by its idle timeout or lifetime.
    SessionExpired,
    /// A change to a user (create, update, disable, release, password) or a refused attempt.
    ManageUser,
    /// A personal API token was issued.
    CreateToken,
    /// The audit trail itself was searched or read (auditors' pages, the monitoring feed).
    ReadAudit,
    /// Protective monitoring raised an alert for professional standards (details: the rule,
    /// the user, why, and the audit records that triggered it).
    Alert,
    /// Professional standards closed an alert (details: the alert's seq and the outcome).
    AlertClosed,
    /// A user asked to read a record outside their need to know (break glass), with a reason.
    BreakGlassRequest,
    /// A second person approved or refused a break-glass request.
    BreakGlassDecision,
    /// A record (with its links and history) was exported for disclosure.
    Export,
    /// Person records were merged into one (details: survivor, merged, the reason, what
    /// moved).
    Merge,
    /// A merge was undone (details: survivor, merged, the reason, what was restored).
    Unmerge,
}

impl AuditAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Link => "link",
            AuditAction::Unlink => "unlink",
            AuditAction::View => "view",
            AuditAction::ViewHistory => "view_history",
            AuditAction::List => "list",
            AuditAction::Search => "search",
            AuditAction::BulkCreate => "bulk_create",
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::SessionExpired => "session_expired",
            AuditAction::ManageUser => "manage_user",
            AuditAction::CreateToken => "create_token",
            AuditAction::ReadAudit => "read_audit",
            AuditAction::Alert => "alert",
            AuditAction::AlertClosed => "alert_closed",
            AuditAction::BreakGlassRequest => "break_glass_request",
            AuditAction::BreakGlassDecision => "break_glass_decision",
            AuditAction::Export => "export",
            AuditAction::Merge => "merge",
            AuditAction::Unmerge => "unmerge",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    Denied,
    Failed,
}

/// One record an audited action touched or showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSubject {
    pub id: RecordId,
    pub kind: RecordKind,
    /// The version shown or written.
    pub version: Version,
    pub classification: Classification,
    /// For a version written: the SHA-256 (hex) of its content as stored (kind, marking,
    /// summary, sub-type, body, link ends and status, in canonical JSON), so that a later
    /// change to the record made outside Bluelamp is found (`bluelamp audit records`).
    /// Absent for a version shown, and for versions written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: Uuid,
    /// When, UTC to the microsecond.
    pub at: Timestamp,
    pub actor: Actor,
    pub action: AuditAction,
    pub outcome: AuditOutcome,
    /// The records touched. For a write the store fills in the versions it wrote.
    pub subjects: Vec<AuditSubject>,
    /// The service that acted (`bluelamp-web`, `bluelamp-cli`).
    pub service: String,
    pub context: RequestContext,
    /// Free-form details: the filter of a list, the fields changed, a reason given.
    pub details: serde_json::Value,
}

impl AuditEntry {
    pub fn new(
        at: Timestamp,
        actor: Actor,
        action: AuditAction,
        service: &str,
        context: RequestContext,
    ) -> Self {
        Self {
            id: crate::RecordId::new_at(at).0,
            at,
            actor,
            action,
            outcome: AuditOutcome::Success,
            subjects: Vec::new(),
            service: service.to_string(),
            context,
            details: serde_json::Value::Null,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}
