//! Sign-in, sessions, API tokens and user administration.
//!
//! - Passwords are hashed with Argon2id (RustCrypto defaults: 19 MiB, 2 passes) on the
//!   blocking pool, never on the async runtime; a new password must be at least 8 characters
//!   and not one of the bundled common passwords.
//! - Five failed sign-ins within 15 minutes lock the account until an administrator
//!   releases it. Every refusal gives the same answer and costs the same hash whether or not
//!   the user exists, so the sign-in page does not reveal who has an account.
//! - A session's secret is 256 random bits, held only by the browser (cookie) or client
//!   (bearer token); the store keeps its SHA-256. Sessions end after 30 minutes idle
//!   (configurable down to 15) and 12 hours after sign-in; disabling a user ends them all.
//! - Every sign-in, failure, sign-out, expiry, token and change to a user is audited.

use crate::access::{Access, decision_details};
use crate::{AppError, Authority, Caller};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use bluelamp_authz::Action;
use bluelamp_domain::{
    Actor, AuditAction, AuditEntry, AuditOutcome, Classification, Clock, Compartment, Principal,
    RequestContext, Role, Unit, Username, ValidationErrors, Version,
};
use bluelamp_store::{
    DirectoryChange, DirectoryOp, Session, SessionKind, Store, StoreError, UserAccount,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, OnceLock};

/// The answer to every failed sign-in, whatever the reason.
pub const SIGN_IN_REFUSED: &str = "The user name or password is not right, or the account is locked or disabled. After 5 failed attempts in 15 minutes an account is locked until an administrator releases it.";

/// Session and lockout rules (CJIS floor: 5 failures in 15 minutes; 30 minutes idle, 15 for
/// high assurance; re-authentication every 12 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_timeout: SignedDuration,
    pub absolute_timeout: SignedDuration,
    pub lockout_failures: usize,
    pub lockout_window: SignedDuration,
    /// Activity is written at most this often per session.
    pub touch_interval: SignedDuration,
    /// The longest an API token may live.
    pub max_token_days: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: SignedDuration::from_mins(30),
            absolute_timeout: SignedDuration::from_hours(12),
            lockout_failures: 5,
            lockout_window: SignedDuration::from_mins(15),
            touch_interval: SignedDuration::from_secs(60),
            max_token_days: 90,
        }
    }
}

/// A successful sign-in: the secret to hand to the browser, once. When `mfa_required`, the
/// session only lets the user enter their second factor (see
/// [`IdentityService::complete_mfa`]).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub secret: String,
    pub session: Session,
    pub principal: Principal,
    pub mfa_required: bool,
}

/// The scope of a session that has passed the password but not the second factor.
pub const MFA_PENDING: &str = "mfa-pending";

/// The answer to a wrong second factor.
pub const CODE_REFUSED: &str = "The code is not right, or has been used already. Enter the current code from your authenticator app, or one of your recovery codes.";

/// A request's authenticated user.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    pub session: Session,
    pub account_rank: String,
    /// The user has set up two-step verification.
    pub mfa_enrolled: bool,
}

impl Authenticated {
    /// A short, public id of the session for audit records (not the secret).
    pub fn session_ref(&self) -> String {
        session_ref(&self.session.id_hash)
    }
}

pub fn session_ref(id_hash: &str) -> String {
    id_hash.chars().take(16).collect()
}

/// Why a session did not authenticate; the edges answer all of them alike (sign in again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRefused {
    Unknown,
    Ended,
    Expired,
    IdleTimeout,
    UserBlocked,
    WrongKind,
    /// Signed in with the password; the second factor is still to come.
    MfaPending,
}

/// What an administrator enters for a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub rank: String,
    pub number: String,
    pub roles: Vec<String>,
    pub unit: String,
    pub clearance: String,
    pub compartments: Vec<String>,
    pub disabled: bool,
}

fn random_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(format!("no randomness available: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A random first password (for `bluelamp users add`): 20 characters, about 120 bits.
pub fn generate_password() -> Result<String, AppError> {
    let s = random_secret()?;
    Ok(s.chars().take(20).collect())
}

/// The hex SHA-256 of a secret: what the store keeps.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The CSRF token of a browser session, derived from its secret (so checking a form needs
/// no database read, and the token changes with every sign-in).
pub fn csrf_token_for(secret: &str) -> String {
    let digest = Sha256::digest(format!("bluelamp-csrf:{secret}").as_bytes());
    hex::encode(&digest[..16])
}

/// A recovery code as typed (any case, with or without its hyphen or spaces).
fn normalise_recovery(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// The rules for a new password: 8 to 256 characters, not a common password, not the user
/// name.
pub fn check_password(username: &str, password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < 8 {
        return Err("Enter a password of at least 8 characters".into());
    }
    if n > 256 {
        return Err("Enter a password of at most 256 characters".into());
    }
    let lower = password.to_lowercase();
    if common_passwords().contains(lower.as_str()) {
        return Err("This password is too common: choose another".into());
    }
    if lower == username.to_lowercase() {
        return Err("The password must not be the user name".into());
    }
    Ok(())
}

async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("cannot hash password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// What `seal_stored_totp` found: seeds sealed now, sealed seeds this key opens, users whose
/// sealed seed it does not open, users whose clear seed could not be sealed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SealReport {
    pub sealed: usize,
    pub opened: usize,
    pub unopenable: Vec<String>,
    pub failed: Vec<String>,
}

impl SealReport {
    /// Every sealed seed failed to open: the key is not the one they were sealed with.
    pub fn wrong_key(&self) -> bool {
        self.opened == 0 && !self.unopenable.is_empty()
    }
}

#[derive(Clone)]
pub struct IdentityService {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    access: Access,
    pub(crate) policy: SessionPolicy,
    /// A hash to verify against when the user does not exist, so that costs the same.
    dummy_hash: Arc<OnceLock<String>>,
    /// Seals authenticator-app seeds at rest.
    secrets: Arc<crate::secrets::SecretBox>,
}

impl IdentityService {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        access: Access,
        policy: SessionPolicy,
        secrets: Arc<crate::secrets::SecretBox>,
    ) -> Self {
        Self {
            store,
            clock,
            access,
            policy,
            dummy_hash: Arc::new(OnceLock::new()),
            secrets,
        }
    }

    /// What a user's app seed is sealed for: it opens only in that user's row.
    fn totp_context(username: &Username) -> String {
        format!("totp:{}", username.as_str())
    }

    /// A user's authenticator-app seed, opened from its sealed form. A seed in the clear is
    /// refused here (someone able to write to the database could otherwise plant one they
    /// know): `seal_stored_totp` seals those an earlier release stored, at start.
    fn totp_seed(
        &self,
        username: &Username,
        totp: &bluelamp_store::TotpEnrolment,
    ) -> Result<Vec<u8>, AppError> {
        self.secrets
            .open(&Self::totp_context(username), &totp.secret)
    }

    /// At start: seals every authenticator-app seed still stored as plain base32 (written
    /// before seeds were sealed), each as an audited change to its user, and checks that
    /// this server's key opens the sealed ones. A user whose seed cannot be sealed or opened
    /// is reported and the others go on.
    pub async fn seal_stored_totp(&self) -> Result<SealReport, AppError> {
        let mut report = SealReport::default();
        for mut account in self.store.users().await? {
            let Some(mut totp) = account.totp.clone() else {
                continue;
            };
            let username = account.principal.username.clone();
            if crate::secrets::SecretBox::is_sealed(&totp.secret) {
                match self.totp_seed(&username, &totp) {
                    Ok(_) => report.opened += 1,
                    Err(_) => report.unopenable.push(username.as_str().to_string()),
                }
                continue;
            }
            let sealed = async {
                let seed = crate::totp::base32_decode(&totp.secret).ok_or_else(|| {
                    AppError::Internal("the stored seed is not valid base32".into())
                })?;
                totp.secret = self.secrets.seal(&Self::totp_context(&username), &seed)?;
                let base = account.version;
                account.totp = Some(totp);
                account.updated_at = self.clock.now();
                let audit = Caller::system("secrets")
                    .audit(&self.clock, AuditAction::ManageUser)
                    .with_details(json!({
                        "operation": "mfa_secret_sealed",
                        "user": username.as_str(),
                    }));
                self.put_account(account, base, audit).await
            }
            .await;
            match sealed {
                Ok(_) => report.sealed += 1,
                Err(e) => {
                    tracing::error!(user = username.as_str(), error = %e.detail(), "could not seal an authenticator-app seed");
                    report.failed.push(username.as_str().to_string());
                }
            }
        }
        Ok(report)
    }

    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    async fn dummy_hash(&self) -> String {
        if let Some(h) = self.dummy_hash.get() {
            return h.clone();
        }
        let h = hash_password("bluelamp-no-such-user".into())
            .await
            .unwrap_or_default();
        let _ = self.dummy_hash.set(h.clone());
        h
    }

    pub(crate) fn audit(
        &self,
        actor: Actor,
        action: AuditAction,
        outcome: AuditOutcome,
        service: &str,
        context: &RequestContext,
        details: serde_json::Value,
    ) -> AuditEntry {
        let mut e = AuditEntry::new(self.clock.now(), actor, action, service, context.clone())
            .with_details(details);
        e.outcome = outcome;
        e
    }

    /// Signs a user in with a password. Every refusal returns [`SIGN_IN_REFUSED`].
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        context: &RequestContext,
        service: &str,
    ) -> Result<SignedIn, AppError> {
        let now = self.clock.now();
        let refused = || AppError::Forbidden(SIGN_IN_REFUSED.to_string());
        let name = Username::parse(username).ok();
        let account = match &name {
            Some(n) => self.store.user(n).await?,
            None => None,
        };
        let hash = match account.as_ref().and_then(|a| a.password_hash.clone()) {
            Some(h) => h,
            None => self.dummy_hash().await,
        };
        let password_ok = verify_password(password.to_string(), hash).await;
        let attempted = Actor {
            user_id: username
                .trim()
                .chars()
                .take(64)
                .collect::<String>()
                .to_lowercase(),
            display_name: "(sign-in attempt)".into(),
        };
        let Some(mut account) = account else {
            self.store
                .audit_only(self.audit(
                    attempted,
                    AuditAction::SignIn,
                    AuditOutcome::Failed,
                    service,
                    context,
                    json!({ "reason": "unknown user" }),
                ))
                .await?;
            return Err(refused());
        };
        let actor = account.principal.actor();
        if account.disabled || account.locked_at.is_some() {
            let reason = if account.disabled {
                "disabled"
            } else {
                "locked"
            };
            self.store
                .audit_only(self.audit(
                    actor,
                    AuditAction::SignIn,
                    AuditOutcome::Denied,
                    service,
                    context,
                    json!({ "reason": reason, "password_correct": password_ok }),
                ))
                .await?;
            return Err(refused());
        }
        let base = account.version;
        if !password_ok || account.password_hash.is_none() {
            let lock = self.count_failure(&mut account, now);
            let audit = self.audit(
                actor,
                AuditAction::SignIn,
                AuditOutcome::Failed,
                service,
                context,
                json!({
                    "reason": "wrong password",
                    "failures_in_window": account.failed_sign_ins.len(),
                    "locked": lock,
                }),
            );
            self.put_account(account, base, audit).await?;
            return Err(refused());
        }
        account.failed_sign_ins.clear();
        account.updated_at = now;
        let mfa_required = account.totp.as_ref().is_some_and(|t| t.confirmed);
        if !mfa_required {
            account.last_sign_in_at = Some(now);
        }
        let (scopes, expires) = if mfa_required {
            // Five minutes to enter the code; nothing else can be done with this session.
            (
                vec![MFA_PENDING.to_string()],
                now + SignedDuration::from_mins(5),
            )
        } else {
            (
                vec!["read".to_string(), "write".to_string()],
                now + self.policy.absolute_timeout,
            )
        };
        self.open_session(
            account,
            Some(base),
            scopes,
            expires,
            Vec::new(),
            context,
            service,
            json!({ "method": "password", "mfa": if mfa_required { "pending" } else { "not enrolled" } }),
        )
        .await
    }

    /// The second step of signing in: a code from the authenticator app (or a recovery code)
    /// for a session that has passed the password. Success ends that session and starts a
    /// full one with a new secret; a wrong code counts towards the lockout.
    pub async fn complete_mfa(
        &self,
        pending_secret: &str,
        typed: &str,
        context: &RequestContext,
    ) -> Result<SignedIn, AppError> {
        let now = self.clock.now();
        let refused = || AppError::Forbidden(CODE_REFUSED.to_string());
        let expired =
            || AppError::Forbidden("Your sign-in has expired. Sign in again.".to_string());
        let id_hash = hash_secret(pending_secret);
        let Some(pending) = self.store.session(&id_hash).await? else {
            return Err(expired());
        };
        if pending.ended_at.is_some()
            || now >= pending.expires_at
            || !pending.scopes.iter().any(|s| s == MFA_PENDING)
        {
            return Err(expired());
        }
        let Some(mut account) = self.store.user(&pending.username).await? else {
            return Err(expired());
        };
        if account.disabled || account.locked_at.is_some() {
            return Err(expired());
        }
        let Some(mut totp) = account.totp.clone().filter(|t| t.confirmed) else {
            return Err(expired());
        };
        let base = account.version;
        let mut ctx = context.clone();
        ctx.session_id = Some(session_ref(&id_hash));
        // A seed that does not open (a replaced key file) matches no code; recovery codes
        // still let the user in.
        let matched_step = match self.totp_seed(&pending.username, &totp) {
            Ok(secret) => crate::totp::verify(&secret, typed, now.as_second(), totp.last_step),
            Err(e) => {
                tracing::error!(user = pending.username.as_str(), error = %e.detail(), "authenticator-app seed does not open");
                None
            }
        };
        let recovery_hash = hash_secret(&normalise_recovery(typed));
        let method = if let Some(step) = matched_step {
            totp.last_step = Some(step);
            account.totp = Some(totp);
            "totp"
        } else if let Some(pos) = account
            .recovery_codes
            .iter()
            .position(|h| constant_time_eq(h, &recovery_hash))
        {
            account.recovery_codes.remove(pos);
            "recovery_code"
        } else {
            let lock = self.count_failure(&mut account, now);
            let audit = self.audit(
                account.principal.actor(),
                AuditAction::SignIn,
                AuditOutcome::Failed,
                "bluelamp-web",
                &ctx,
                json!({ "reason": "wrong second factor", "stage": "mfa", "locked": lock }),
            );
            self.put_account(account, base, audit).await?;
            return Err(refused());
        };
        account.failed_sign_ins.clear();
        account.last_sign_in_at = Some(now);
        account.updated_at = now;
        let details = json!({ "method": method, "stage": "mfa", "recovery_codes_left": account.recovery_codes.len() });
        self.open_session(
            account,
            Some(base),
            vec!["read".into(), "write".into()],
            now + self.policy.absolute_timeout,
            vec![DirectoryOp::EndSession { id_hash, at: now }],
            &ctx,
            "bluelamp-web",
            details,
        )
        .await
    }

    /// Starts (or restarts) setting up an authenticator app for the caller: a new secret,
    /// returned as base32 with its `otpauth://` URI. Not in force until confirmed.
    pub async fn begin_totp(&self, caller: &Caller) -> Result<(String, String), AppError> {
        let p = caller
            .principal()
            .ok_or_else(|| AppError::Forbidden("only a signed-in user sets up an app".into()))?;
        let mut account = self
            .store
            .user(&p.username)
            .await?
            .ok_or_else(|| AppError::Internal("the signed-in user has no account".into()))?;
        if account.totp.as_ref().is_some_and(|t| t.confirmed) {
            return Err(AppError::Invalid(ValidationErrors::single(
                "code",
                "Two-step verification is already set up; an administrator can reset it",
            )));
        }
        let mut raw = [0u8; 20];
        getrandom::fill(&mut raw)
            .map_err(|e| AppError::Internal(format!("no randomness available: {e}")))?;
        let secret = crate::totp::base32_encode(&raw);
        let base = account.version;
        account.totp = Some(bluelamp_store::TotpEnrolment {
            secret: self.secrets.seal(&Self::totp_context(&p.username), &raw)?,
            confirmed: false,
            last_step: None,
            created_at: self.clock.now(),
        });
        account.updated_at = self.clock.now();
        let audit = caller
            .audit(&self.clock, AuditAction::ManageUser)
            .with_details(json!({ "operation": "mfa_setup_started", "user": p.username.as_str() }));
        self.put_account(account, base, audit).await?;
        let uri = crate::totp::otpauth_uri("Bluelamp", p.username.as_str(), &secret);
        Ok((secret, uri))
    }

    /// The caller's app secret while set-up is under way (to show the QR code again).
    pub async fn pending_totp(
        &self,
        caller: &Caller,
    ) -> Result<Option<(String, String)>, AppError> {
        let Some(p) = caller.principal() else {
            return Ok(None);
        };
        let account = self.store.user(&p.username).await?;
        let Some(totp) = account.and_then(|a| a.totp).filter(|t| !t.confirmed) else {
            return Ok(None);
        };
        let secret = crate::totp::base32_encode(&self.totp_seed(&p.username, &totp)?);
        let uri = crate::totp::otpauth_uri("Bluelamp", p.username.as_str(), &secret);
        Ok(Some((secret, uri)))
    }

    /// Finishes setting up the app with a code from it; returns ten recovery codes, shown
    /// once (only their hashes are kept).
    pub async fn confirm_totp(
        &self,
        caller: &Caller,
        typed: &str,
    ) -> Result<Vec<String>, AppError> {
        let p = caller
            .principal()
            .ok_or_else(|| AppError::Forbidden("only a signed-in user sets up an app".into()))?;
        let mut account = self
            .store
            .user(&p.username)
            .await?
            .ok_or_else(|| AppError::Internal("the signed-in user has no account".into()))?;
        let Some(mut totp) = account.totp.clone().filter(|t| !t.confirmed) else {
            return Err(AppError::Invalid(ValidationErrors::single(
                "code",
                "Start setting up the app first",
            )));
        };
        let secret = self.totp_seed(&p.username, &totp)?;
        let now = self.clock.now();
        let Some(step) = crate::totp::verify(&secret, typed, now.as_second(), None) else {
            return Err(AppError::Invalid(ValidationErrors::single(
                "code",
                "The code is not right: enter the 6 digits the app shows now",
            )));
        };
        totp.confirmed = true;
        totp.last_step = Some(step);
        let mut codes = Vec::with_capacity(10);
        for _ in 0..10 {
            let mut raw = [0u8; 5];
            getrandom::fill(&mut raw)
                .map_err(|e| AppError::Internal(format!("no randomness available: {e}")))?;
            let b32 = crate::totp::base32_encode(&raw).to_lowercase();
            codes.push(format!("{}-{}", &b32[..4], &b32[4..8]));
        }
        let base = account.version;
        account.totp = Some(totp);
        account.recovery_codes = codes
            .iter()
            .map(|c| hash_secret(&normalise_recovery(c)))
            .collect();
        account.updated_at = now;
        let audit = caller
            .audit(&self.clock, AuditAction::ManageUser)
            .with_details(json!({ "operation": "mfa_enrolled", "user": p.username.as_str(), "method": "totp" }));
        self.put_account(account, base, audit).await?;
        Ok(codes)
    }

    /// Removes a user's two-step verification (administrators; the user sets it up again).
    pub async fn reset_mfa(
        &self,
        caller: &Caller,
        username: &str,
    ) -> Result<UserAccount, AppError> {
        self.admin_change(
            caller,
            username,
            "reset two-step verification",
            "mfa_reset",
            |a| {
                a.totp = None;
                a.recovery_codes.clear();
            },
        )
        .await
    }

    /// Opens a browser session for a user who has just proved who they are: the account as
    /// updated by the sign-in, any `extra` directory writes, the new session and the sign-in
    /// audit record (with `details`) are written as one change.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_session(
        &self,
        account: UserAccount,
        base: Option<Version>,
        scopes: Vec<String>,
        expires_at: Timestamp,
        extra: Vec<DirectoryOp>,
        context: &RequestContext,
        service: &str,
        details: serde_json::Value,
    ) -> Result<SignedIn, AppError> {
        let principal = account.principal.clone();
        let mfa_required = scopes.iter().any(|s| s == MFA_PENDING);
        let (secret, session) = self.new_session(
            &principal.username,
            SessionKind::Browser,
            String::new(),
            scopes,
            expires_at,
            context,
        )?;
        let mut ctx = context.clone();
        ctx.session_id = Some(session_ref(&session.id_hash));
        let audit = self.audit(
            principal.actor(),
            AuditAction::SignIn,
            AuditOutcome::Success,
            service,
            &ctx,
            details,
        );
        let mut ops = vec![DirectoryOp::PutUser {
            account: Box::new(account),
            base_version: base,
        }];
        ops.extend(extra);
        ops.push(DirectoryOp::CreateSession(Box::new(session.clone())));
        self.store
            .directory_apply(DirectoryChange {
                ops,
                audit: Some(audit),
            })
            .await?;
        Ok(SignedIn {
            secret,
            session,
            principal,
            mfa_required,
        })
    }

    /// Counts a failed attempt (wrong password or code) against the account; enough of them
    /// within the lockout window lock it. Returns whether it is now locked.
    fn count_failure(&self, account: &mut UserAccount, now: Timestamp) -> bool {
        let window_start = now - self.policy.lockout_window;
        account.failed_sign_ins.retain(|t| *t > window_start);
        account.failed_sign_ins.push(now);
        let lock = account.failed_sign_ins.len() >= self.policy.lockout_failures;
        if lock {
            account.locked_at = Some(now);
        }
        account.updated_at = now;
        lock
    }

    /// An administrator's change to another user's account: checked, applied, audited.
    async fn admin_change(
        &self,
        caller: &Caller,
        username: &str,
        what: &str,
        operation: &str,
        change: impl FnOnce(&mut UserAccount),
    ) -> Result<UserAccount, AppError> {
        let decision = self.require_admin(caller, what).await?;
        let mut account = self.get_user(caller, username).await?;
        let base = account.version;
        change(&mut account);
        account.updated_at = self.clock.now();
        let audit = caller.audit(&self.clock, AuditAction::ManageUser).with_details(json!({
            "operation": operation, "user": account.principal.username.as_str(), "decision": decision,
        }));
        self.put_account(account, base, audit).await
    }

    pub(crate) async fn put_account(
        &self,
        account: UserAccount,
        base: Version,
        audit: AuditEntry,
    ) -> Result<UserAccount, AppError> {
        let done = self
            .store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::PutUser {
                    account: Box::new(account),
                    base_version: Some(base),
                }],
                audit: Some(audit),
            })
            .await?;
        done.users
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("directory wrote no user".into()))
    }

    pub(crate) fn new_session(
        &self,
        username: &Username,
        kind: SessionKind,
        label: String,
        scopes: Vec<String>,
        expires_at: Timestamp,
        context: &RequestContext,
    ) -> Result<(String, Session), AppError> {
        let now = self.clock.now();
        let secret = match kind {
            SessionKind::Browser => random_secret()?,
            SessionKind::ApiToken => format!("blp_{}", random_secret()?),
        };
        let session = Session {
            id_hash: hash_secret(&secret),
            kind,
            username: username.clone(),
            csrf_token: csrf_token_for(&secret),
            label,
            scopes,
            created_at: now,
            last_seen_at: now,
            expires_at,
            ended_at: None,
            source_address: context.source_address.clone(),
            user_agent: context.user_agent.clone(),
        };
        Ok((secret, session))
    }

    /// Authenticates a browser session cookie or an API bearer token.
    pub async fn authenticate(
        &self,
        secret: &str,
        kind: SessionKind,
        context: &RequestContext,
    ) -> Result<Result<Authenticated, SessionRefused>, AppError> {
        let now = self.clock.now();
        let id_hash = hash_secret(secret);
        let Some(session) = self.store.session(&id_hash).await? else {
            return Ok(Err(SessionRefused::Unknown));
        };
        if session.kind != kind {
            return Ok(Err(SessionRefused::WrongKind));
        }
        if session.ended_at.is_some() {
            return Ok(Err(SessionRefused::Ended));
        }
        if session.scopes.iter().any(|s| s == MFA_PENDING) {
            return Ok(Err(SessionRefused::MfaPending));
        }
        let expired = if now >= session.expires_at {
            Some(SessionRefused::Expired)
        } else if kind == SessionKind::Browser
            && now.duration_since(session.last_seen_at) >= self.policy.idle_timeout
        {
            Some(SessionRefused::IdleTimeout)
        } else {
            None
        };
        let account = self.store.user(&session.username).await?;
        let Some(account) = account.filter(|a| !a.disabled && a.locked_at.is_none()) else {
            return Ok(Err(SessionRefused::UserBlocked));
        };
        if let Some(why) = expired {
            let mut ctx = context.clone();
            ctx.session_id = Some(session_ref(&id_hash));
            let audit = self.audit(
                account.principal.actor(),
                AuditAction::SessionExpired,
                AuditOutcome::Success,
                "bluelamp-web",
                &ctx,
                json!({ "reason": match why { SessionRefused::IdleTimeout => "idle timeout", _ => "session lifetime reached" } }),
            );
            self.store
                .directory_apply(DirectoryChange {
                    ops: vec![DirectoryOp::EndSession { id_hash, at: now }],
                    audit: Some(audit),
                })
                .await?;
            return Ok(Err(why));
        }
        if now.duration_since(session.last_seen_at) >= self.policy.touch_interval {
            self.store
                .directory_apply(DirectoryChange {
                    ops: vec![DirectoryOp::TouchSession {
                        id_hash: id_hash.clone(),
                        at: now,
                    }],
                    audit: None,
                })
                .await?;
        }
        Ok(Ok(Authenticated {
            mfa_enrolled: account.totp.as_ref().is_some_and(|t| t.confirmed),
            principal: account.principal,
            session,
            account_rank: account.rank,
        }))
    }

    /// Ends the caller's session.
    pub async fn sign_out(&self, caller: &Caller, id_hash: &str) -> Result<(), AppError> {
        let audit = caller.audit(&self.clock, AuditAction::SignOut);
        self.store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::EndSession {
                    id_hash: id_hash.to_string(),
                    at: self.clock.now(),
                }],
                audit: Some(audit),
            })
            .await?;
        Ok(())
    }

    /// Ends every session and token of the caller.
    pub async fn sign_out_everywhere(&self, caller: &Caller) -> Result<u64, AppError> {
        let Some(p) = caller.principal() else {
            return Ok(0);
        };
        let audit = caller
            .audit(&self.clock, AuditAction::SignOut)
            .with_details(json!({ "everywhere": true }));
        let done = self
            .store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::EndUserSessions {
                    username: p.username.clone(),
                    at: self.clock.now(),
                }],
                audit: Some(audit),
            })
            .await?;
        Ok(done.sessions_ended)
    }

    /// Creates a personal API token for the caller, returning its secret (shown once).
    pub async fn create_token(
        &self,
        caller: &Caller,
        label: &str,
        write: bool,
        days: i64,
    ) -> Result<(String, Session), AppError> {
        let Some(p) = caller.principal() else {
            return Err(AppError::Forbidden(
                "only a signed-in user may hold a token".into(),
            ));
        };
        let mut errors = ValidationErrors::new();
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 80 {
            errors.push("label", "Enter a name for the token of 1 to 80 characters");
        }
        if !(1..=self.policy.max_token_days).contains(&days) {
            errors.push(
                "days",
                format!(
                    "Enter a lifetime of 1 to {} days",
                    self.policy.max_token_days
                ),
            );
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut scopes = vec!["read".to_string()];
        if write {
            scopes.push("write".into());
        }
        let expires = self.clock.now() + SignedDuration::from_hours(24 * days);
        let (secret, session) = self.new_session(
            &p.username,
            SessionKind::ApiToken,
            label.to_string(),
            scopes.clone(),
            expires,
            &caller.context,
        )?;
        let audit = caller
            .audit(&self.clock, AuditAction::CreateToken)
            .with_details(json!({ "label": label, "scopes": scopes, "expires_at": expires.to_string(), "token": session_ref(&session.id_hash) }));
        self.store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::CreateSession(Box::new(session.clone()))],
                audit: Some(audit),
            })
            .await?;
        Ok((secret, session))
    }

    // ------------------------------------------------------------ administration

    fn parse_user(&self, input: &UserInput) -> Result<(Principal, String, String), AppError> {
        let mut errors = ValidationErrors::new();
        let username = errors.check("username", Username::parse(&input.username));
        let display = input.display_name.trim().to_string();
        if display.is_empty() || display.chars().count() > 100 {
            errors.push(
                "display_name",
                "Enter the name to show, of 1 to 100 characters",
            );
        }
        let mut roles = BTreeSet::new();
        for (i, r) in input.roles.iter().enumerate() {
            if let Some(r) = errors.check(&format!("roles.{i}"), Role::parse(r)) {
                roles.insert(r);
            }
        }
        if input.roles.is_empty() {
            errors.push("roles", "Choose at least one role");
        }
        let unit = errors.check("unit", Unit::parse(&input.unit));
        let clearance = errors.check("clearance", input.clearance.parse::<Classification>());
        let mut compartments = BTreeSet::new();
        for (i, c) in input.compartments.iter().enumerate() {
            if let Some(c) = errors.check(&format!("compartments.{i}"), Compartment::parse(c)) {
                compartments.insert(c);
            }
        }
        let rank = input.rank.trim().chars().take(40).collect::<String>();
        let number = input.number.trim().chars().take(20).collect::<String>();
        match (username, unit, clearance) {
            (Some(username), Some(unit), Some(clearance)) if errors.is_empty() => Ok((
                Principal {
                    username,
                    display_name: display,
                    roles,
                    unit,
                    clearance,
                    compartments,
                },
                rank,
                number,
            )),
            _ => Err(errors.into()),
        }
    }

    async fn require_admin(
        &self,
        caller: &Caller,
        what: &str,
    ) -> Result<serde_json::Value, AppError> {
        let d = self
            .access
            .require_system_action(caller, Action::ManageUsers, AuditAction::ManageUser, what)
            .await?;
        Ok(decision_details(&d))
    }

    /// Every user (administrators only).
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<UserAccount>, AppError> {
        self.require_admin(caller, "list users").await?;
        Ok(self.store.users().await?)
    }

    pub async fn get_user(&self, caller: &Caller, username: &str) -> Result<UserAccount, AppError> {
        self.require_admin(caller, "see a user").await?;
        let name = Username::parse(username)
            .map_err(|e| AppError::Invalid(ValidationErrors::single("username", e)))?;
        self.store.user(&name).await?.ok_or_else(|| {
            AppError::Invalid(ValidationErrors::single(
                "username",
                "No user has this user name",
            ))
        })
    }

    /// Creates a user with a first password (administrators, or a system process).
    pub async fn create_user(
        &self,
        caller: &Caller,
        input: &UserInput,
        password: &str,
    ) -> Result<UserAccount, AppError> {
        let decision = self.require_admin(caller, "create a user").await?;
        let (principal, rank, number) = self.parse_user(input)?;
        check_password(principal.username.as_str(), password)
            .map_err(|e| AppError::Invalid(ValidationErrors::single("password", e)))?;
        let now = self.clock.now();
        let account = UserAccount {
            principal,
            rank,
            number,
            version: 0,
            password_hash: Some(hash_password(password.to_string()).await?),
            disabled: input.disabled,
            failed_sign_ins: vec![],
            locked_at: None,
            last_sign_in_at: None,
            created_at: now,
            updated_at: now,
            totp: None,
            recovery_codes: vec![],
            passkeys: vec![],
        };
        let audit = caller
            .audit(&self.clock, AuditAction::ManageUser)
            .with_details(json!({
                "operation": "create",
                "user": account.principal.username.as_str(),
                "roles": account.principal.roles,
                "clearance": account.principal.clearance,
                "compartments": account.principal.compartments,
                "unit": account.principal.unit,
                "decision": decision,
            }));
        let done = self
            .store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::PutUser {
                    account: Box::new(account),
                    base_version: None,
                }],
                audit: Some(audit),
            })
            .await
            .map_err(|e| match e {
                StoreError::Constraint(m) => {
                    AppError::Invalid(ValidationErrors::single("username", m))
                }
                other => other.into(),
            })?;
        done.users
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("directory wrote no user".into()))
    }

    /// Changes a user's details, roles, clearance or compartments, or disables them
    /// (which ends their sessions at once). The user name cannot change.
    pub async fn update_user(
        &self,
        caller: &Caller,
        username: &str,
        base_version: Version,
        input: &UserInput,
    ) -> Result<UserAccount, AppError> {
        let decision = self.require_admin(caller, "change a user").await?;
        let mut account = self.get_user(caller, username).await?;
        let mut input = input.clone();
        input.username = account.principal.username.to_string();
        let (principal, rank, number) = self.parse_user(&input)?;
        let before = json!({
            "roles": account.principal.roles, "clearance": account.principal.clearance,
            "compartments": account.principal.compartments, "unit": account.principal.unit,
            "disabled": account.disabled,
        });
        account.principal = principal;
        account.rank = rank;
        account.number = number;
        account.disabled = input.disabled;
        account.updated_at = self.clock.now();
        let audit = caller
            .audit(&self.clock, AuditAction::ManageUser)
            .with_details(json!({
                "operation": "update",
                "user": account.principal.username.as_str(),
                "before": before,
                "after": {
                    "roles": account.principal.roles, "clearance": account.principal.clearance,
                    "compartments": account.principal.compartments, "unit": account.principal.unit,
                    "disabled": account.disabled,
                },
                "decision": decision,
            }));
        self.put_account(account, base_version, audit).await
    }

    /// Releases a locked account (administrators).
    pub async fn release_lock(
        &self,
        caller: &Caller,
        username: &str,
    ) -> Result<UserAccount, AppError> {
        self.admin_change(
            caller,
            username,
            "release a locked account",
            "release_lock",
            |a| {
                a.locked_at = None;
                a.failed_sign_ins.clear();
            },
        )
        .await
    }

    /// Sets a user's password: an administrator resetting it, or the user changing their own.
    pub async fn set_password(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> Result<(), AppError> {
        let own = caller
            .principal()
            .is_some_and(|p| p.username.as_str() == username.trim().to_lowercase());
        let decision = if own {
            json!({ "allowed": true, "policies": ["own-password"] })
        } else {
            self.require_admin(caller, "reset a password").await?
        };
        let name = Username::parse(username)
            .map_err(|e| AppError::Invalid(ValidationErrors::single("username", e)))?;
        let mut account = self.store.user(&name).await?.ok_or_else(|| {
            AppError::Invalid(ValidationErrors::single(
                "username",
                "No user has this user name",
            ))
        })?;
        check_password(name.as_str(), password)
            .map_err(|e| AppError::Invalid(ValidationErrors::single("password", e)))?;
        let base = account.version;
        account.password_hash = Some(hash_password(password.to_string()).await?);
        account.updated_at = self.clock.now();
        let audit = caller
            .audit(&self.clock, AuditAction::ManageUser)
            .with_details(json!({
                "operation": "set_password", "user": name.as_str(), "decision": decision,
            }));
        self.put_account(account, base, audit).await?;
        Ok(())
    }

    /// A user changes their own password, giving the current one (so a session left open
    /// cannot be used to take the account over). A wrong current password counts towards
    /// the lockout like a failed sign-in.
    pub async fn change_own_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
    ) -> Result<(), AppError> {
        let Some(p) = caller.principal() else {
            return Err(AppError::Forbidden("only a user has a password".into()));
        };
        let mut account = self
            .store
            .user(&p.username)
            .await?
            .ok_or_else(|| AppError::Forbidden("no such user".into()))?;
        let Some(hash) = account.password_hash.clone() else {
            return Err(ValidationErrors::single(
                "current_password",
                "You sign in with your force account, so there is no Bluelamp password to change",
            )
            .into());
        };
        if !verify_password(current.to_string(), hash).await {
            let now = self.clock.now();
            let lock = self.count_failure(&mut account, now);
            let base = account.version;
            let audit = caller
                .audit(&self.clock, AuditAction::ManageUser)
                .with_details(json!({
                    "operation": "change_own_password", "user": p.username.as_str(),
                    "refused": "wrong current password", "locked": lock,
                }));
            let mut audit = audit;
            audit.outcome = AuditOutcome::Denied;
            self.put_account(account, base, audit).await?;
            return Err(ValidationErrors::single(
                "current_password",
                "Your current password is not right",
            )
            .into());
        }
        self.set_password(caller, p.username.as_str(), new).await
    }

    /// Creates each user that does not exist yet (demo start-up, first administrator).
    /// Returns the names created.
    pub async fn ensure_users(
        &self,
        users: &[UserInput],
        password: &str,
    ) -> Result<Vec<String>, AppError> {
        let caller = Caller {
            authority: Authority::System("demo-users"),
            context: RequestContext::default(),
            service: "bluelamp-cli",
            grants: Vec::new(),
        };
        let mut created = Vec::new();
        for u in users {
            let name = Username::parse(&u.username)
                .map_err(|e| AppError::Invalid(ValidationErrors::single("username", e)))?;
            if self.store.user(&name).await?.is_none() {
                self.create_user(&caller, u, password).await?;
                created.push(name.to_string());
            }
        }
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passwords_are_refused() {
        assert!(check_password("pc4721", "short").is_err());
        assert!(check_password("pc4721", "password1").is_err(), "common");
        assert!(
            check_password("pc4721", "PASSWORD1").is_err(),
            "common whatever the case"
        );
        assert!(
            check_password("pc4721x", "pc4721x").is_err(),
            "the user name"
        );
        assert!(check_password("pc4721", "kestrel-harbour-lamp").is_ok());
        assert!(common_passwords().len() > 10_000);
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_compare_in_constant_time() {
        let a = csrf_token_for("secret-a");
        let b = csrf_token_for("secret-b");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(constant_time_eq(&a, &csrf_token_for("secret-a")));
        assert!(!constant_time_eq(&a, &b));
        assert!(!constant_time_eq(&a, "short"));
    }

    #[test]
    fn secrets_carry_256_bits_and_only_their_hash_is_kept() {
        let s = random_secret().unwrap();
        assert_eq!(s.len(), 43, "32 bytes in unpadded base64url");
        assert_ne!(s, random_secret().unwrap());
        assert_eq!(hash_secret(&s).len(), 64);
    }
}
