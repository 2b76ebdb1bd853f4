//! The user directory and sessions: who may sign in, with what roles and clearance, and the
//! sessions and API tokens they hold. Changes to users are audited in the same transaction,
//! like changes to records; the secrets of sessions and tokens are never stored, only their
//! SHA-256 hashes.

use bluelamp_domain::{AuditEntry, Principal, Username, Version};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A user account as the directory holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAccount {
    pub principal: Principal,
    /// Rank or grade as shown on pages ("PC", "DS", "Police staff").
    pub rank: String,
    /// Collar or staff number.
    #[serde(default)]
    pub number: String,
    /// Grows by one per change; updates name the version they were based on.
    pub version: Version,
    /// Argon2id hash (PHC string) of the local password; `None` for single-sign-on users.
    pub password_hash: Option<String>,
    /// A disabled user cannot sign in and has no sessions.
    pub disabled: bool,
    /// Failed sign-ins still inside the lockout window.
    #[serde(default)]
    pub failed_sign_ins: Vec<Timestamp>,
    /// Locked after too many failures, until an administrator releases it.
    pub locked_at: Option<Timestamp>,
    pub last_sign_in_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Two-step verification with an authenticator app (TOTP), once set up.
    #[serde(default)]
    pub totp: Option<TotpEnrolment>,
    /// Hex SHA-256 of each unused recovery code.
    #[serde(default)]
    pub recovery_codes: Vec<String>,
    /// Passkeys (WebAuthn credentials) the user has registered.
    #[serde(default)]
    pub passkeys: Vec<Passkey>,
}

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkey {
    /// The credential id, base64url.
    pub id: String,
    /// The COSE public key as the authenticator sent it, base64url.
    pub public_key: String,
    pub alg: i64,
    pub sign_count: u32,
    /// A name the user gave it ("Work laptop").
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// A user's authenticator-app secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, as the authenticator app holds it.
    pub secret: String,
    /// False until the user has typed a code from the app (enrolment is then complete).
    pub confirmed: bool,
    /// The last time step a code was accepted for (a code works once).
    pub last_step: Option<i64>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A browser session (cookie), with a CSRF token and an idle timeout.
    Browser,
    /// A personal API token (bearer), scoped and with an expiry.
    ApiToken,
}

impl SessionKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::ApiToken => "api_token",
        }
    }
}

/// A signed-in session or an API token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Hex SHA-256 of the secret the client holds.
    pub id_hash: String,
    pub kind: SessionKind,
    pub username: Username,
    /// The token forms must carry (browser sessions).
    pub csrf_token: String,
    /// A name the user gave an API token.
    #[serde(default)]
    pub label: String,
    /// What an API token may do (`read`, `write`); browser sessions hold every scope.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the user authenticated.
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// Absolute end (re-authentication after 12 h; an API token's expiry).
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub source_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Where a break-glass request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    Pending,
    Approved,
    Refused,
}

impl GrantStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            GrantStatus::Pending => "pending",
            GrantStatus::Approved => "approved",
            GrantStatus::Refused => "refused",
        }
    }
}

/// Break glass: a user's request to read one record outside their need to know, with the
/// reason, and a second person's decision. An approved grant lets the user read that one
/// record (not list, search, change or export it) until it expires; it never overrides the
/// vetting clearance the record's classification needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessGrant {
    /// UUIDv7.
    pub id: String,
    pub username: Username,
    pub record_id: bluelamp_domain::RecordId,
    pub reason: String,
    /// How long the access lasts once approved.
    pub hours: u32,
    pub requested_at: Timestamp,
    pub status: GrantStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    #[serde(default)]
    pub decision_note: String,
    /// Set when approved.
    pub expires_at: Option<Timestamp>,
    pub version: Version,
}

impl AccessGrant {
    /// Approved and not yet expired at `now`.
    pub fn active_at(&self, now: Timestamp) -> bool {
        self.status == GrantStatus::Approved && self.expires_at.is_some_and(|e| e > now)
    }
}

/// Which grants to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GrantFilter {
    pub id: Option<String>,
    pub username: Option<Username>,
    pub status: Option<GrantStatus>,
}

/// Where a duplicate candidate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStatus {
    /// Waiting for someone to look at it.
    Open,
    /// Someone decided these are two people.
    NotDuplicate,
    /// The two were merged.
    Merged,
}

impl CandidateStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            CandidateStatus::Open => "open",
            CandidateStatus::NotDuplicate => "not_duplicate",
            CandidateStatus::Merged => "merged",
        }
    }
}

/// Two person records that may be one person, found by the duplicate scan or by the check
/// on a new or changed person, for someone to review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    /// The pair, the smaller id first (a pair is stored once).
    pub a: bluelamp_domain::RecordId,
    pub b: bluelamp_domain::RecordId,
    /// The match score (log2 likelihood ratio) when last found.
    pub weight: f64,
    /// The model's explanation.
    pub reason: String,
    /// `scan` or `check`.
    pub found_by: String,
    pub found_at: Timestamp,
    pub status: CandidateStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
}

impl DuplicateCandidate {
    /// Two records in the order a pair is stored (the smaller id first).
    pub fn pair(
        x: bluelamp_domain::RecordId,
        y: bluelamp_domain::RecordId,
    ) -> (bluelamp_domain::RecordId, bluelamp_domain::RecordId) {
        if x.0 <= y.0 { (x, y) } else { (y, x) }
    }

    /// An open candidate for the pair, in stored order.
    pub fn new(
        x: bluelamp_domain::RecordId,
        y: bluelamp_domain::RecordId,
        weight: f64,
        reason: String,
        found_by: &str,
        found_at: Timestamp,
    ) -> Self {
        let (a, b) = Self::pair(x, y);
        Self {
            a,
            b,
            weight,
            reason,
            found_by: found_by.to_owned(),
            found_at,
            status: CandidateStatus::Open,
            decided_by: None,
            decided_at: None,
        }
    }
}

/// One write to the directory.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryOp {
    /// Creates the user (`base_version: None`) or replaces it, provided it is still at
    /// `base_version`. The store sets the new version. Disabling a user ends every one of
    /// their sessions in the same transaction.
    PutUser {
        account: Box<UserAccount>,
        base_version: Option<Version>,
    },
    CreateSession(Box<Session>),
    /// Records activity on a session (for the idle timeout).
    TouchSession {
        id_hash: String,
        at: Timestamp,
    },
    EndSession {
        id_hash: String,
        at: Timestamp,
    },
    /// Signs a user out everywhere.
    EndUserSessions {
        username: Username,
        at: Timestamp,
    },
    /// Creates a break-glass request (`base_version: None`) or records its decision,
    /// provided it is still at `base_version`.
    PutGrant {
        grant: Box<AccessGrant>,
        base_version: Option<Version>,
    },
    /// Records duplicate candidates: a new pair is open; an open pair takes the new score;
    /// a pair already decided is left as decided.
    PutCandidates(Vec<DuplicateCandidate>),
    /// Records a decision on a candidate (`status` not open).
    DecideCandidate {
        a: bluelamp_domain::RecordId,
        b: bluelamp_domain::RecordId,
        status: CandidateStatus,
        by: String,
        at: Timestamp,
    },
    /// Withdraws the open candidates that pair this record with any other (it was merged
    /// away: the check on its survivor finds the survivor's own). Decided pairs are kept.
    WithdrawOpenCandidatesOf(bluelamp_domain::RecordId),
}

/// Directory writes applied atomically, with the audit entry describing them (touches of a
/// session alone need none).
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryChange {
    pub ops: Vec<DirectoryOp>,
    pub audit: Option<AuditEntry>,
}

/// What a directory change wrote: the users as stored (with their new versions) and how
/// many sessions it ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirectoryOutcome {
    pub users: Vec<UserAccount>,
    pub grants: Vec<AccessGrant>,
    pub sessions_ended: u64,
}

/// A record's position in the audit trail's Merkle log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafRow {
    pub leaf_index: i64,
    /// The audit_log record at this position.
    pub seq: i64,
    /// Hex SHA-256 leaf hash of the record's canonical encoding.
    pub leaf_hash: String,
}

/// A signed tree head, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointRow {
    pub tree_size: i64,
    /// Hex Merkle root.
    pub root: String,
    pub at: Timestamp,
    pub key_id: String,
    /// Base64 Ed25519 signature.
    pub signature: String,
    /// The tree's perfect subtrees at this size (to resume appending after a restart).
    pub frontier: serde_json::Value,
}
