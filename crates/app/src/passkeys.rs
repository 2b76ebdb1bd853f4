//! Passkeys (WebAuthn): a signed-in user registers one (a security key, a phone, Windows
//! Hello, Touch ID), then signs in with it alone: phishing-resistant, and the authenticator
//! checks a PIN or biometric (user verification is required). A deployment may require
//! passkeys (the SECRET tier): other sign-ins then only let the user register one.

use crate::identity::{IdentityService, SignedIn};
use crate::{AppError, Caller};
use bluelamp_domain::{
    Actor, AuditAction, AuditOutcome, RequestContext, Username, ValidationErrors,
};
use bluelamp_store::{Passkey, UserAccount};
use bluelamp_webauthn::{
    AssertionResponse, Credential, RegistrationResponse, RelyingParty, b64, unb64,
};
use serde_json::{Value, json};

/// The scope a session signed in with a passkey carries (a deployment that requires
/// passkeys lets other sessions do nothing but register one).
pub const PASSKEY_SCOPE: &str = "passkey";

/// The answer to any failed passkey sign-in.
pub const PASSKEY_REFUSED: &str =
    "That passkey did not sign you in. Try again, or sign in another way and check your passkeys.";

fn stored(p: &Passkey) -> Result<Credential, AppError> {
    Ok(Credential {
        id: unb64(&p.id, "id").map_err(|e| AppError::Internal(e.to_string()))?,
        public_key: unb64(&p.public_key, "key").map_err(|e| AppError::Internal(e.to_string()))?,
        alg: p.alg,
        sign_count: p.sign_count,
    })
}

impl IdentityService {
    async fn own_account(&self, caller: &Caller) -> Result<UserAccount, AppError> {
        let p = caller
            .principal()
            .ok_or_else(|| AppError::Forbidden("only a user has passkeys".into()))?;
        self.store
            .user(&p.username)
            .await?
            .ok_or_else(|| AppError::Forbidden("no such user".into()))
    }

    /// The options for registering a new passkey (the caller keeps the challenge).
    pub async fn passkey_creation_options(
        &self,
        caller: &Caller,
        rp: &RelyingParty,
        challenge: &[u8],
    ) -> Result<Value, AppError> {
        let account = self.own_account(caller).await?;
        let exclude: Vec<Vec<u8>> = account
            .passkeys
            .iter()
            .filter_map(|p| unb64(&p.id, "id").ok())
            .collect();
        let p = &account.principal;
        Ok(bluelamp_webauthn::creation_options(
            rp,
            p.username.as_str().as_bytes(),
            p.username.as_str(),
            &p.display_name,
            challenge,
            &exclude,
        ))
    }

    /// Verifies and stores a new passkey for the caller (audited).
    pub async fn add_passkey(
        &self,
        caller: &Caller,
        rp: &RelyingParty,
        challenge: &[u8],
        response: &str,
        name: &str,
    ) -> Result<(), AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(ValidationErrors::single(
                "name",
                "Give the passkey a name of 1 to 60 characters, like \"Work laptop\"",
            )
            .into());
        }
        let resp: RegistrationResponse = serde_json::from_str(response).map_err(|_| {
            ValidationErrors::single("credential", "The browser did not send a passkey")
        })?;
        let cred = bluelamp_webauthn::verify_registration(rp, challenge, &resp)
            .map_err(|e| ValidationErrors::single("credential", e.to_string()))?;
        let mut account = self.own_account(caller).await?;
        let id = b64(&cred.id);
        if account.passkeys.iter().any(|p| p.id == id) {
            return Err(ValidationErrors::single(
                "credential",
                "This passkey is registered already",
            )
            .into());
        }
        let now = self.clock.now();
        account.passkeys.push(Passkey {
            id: id.clone(),
            public_key: b64(&cred.public_key),
            alg: cred.alg,
            sign_count: cred.sign_count,
            name: name.to_string(),
            created_at: now,
            last_used_at: None,
        });
        account.updated_at = now;
        let base = account.version;
        let audit = caller
            .audit(&self.clock, AuditAction::ManageUser)
            .with_details(json!({
                "operation": "add_passkey",
                "user": account.principal.username.as_str(),
                "passkey": name,
                "credential": id.chars().take(16).collect::<String>(),
                "algorithm": cred.alg,
            }));
        self.put_account(account, base, audit).await?;
        Ok(())
    }

    /// Removes one of the caller's passkeys (audited).
    pub async fn remove_passkey(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        let mut account = self.own_account(caller).await?;
        let before = account.passkeys.len();
        account.passkeys.retain(|p| p.id != id);
        if account.passkeys.len() == before {
            return Err(
                ValidationErrors::single("passkey", "No passkey of yours has this id").into(),
            );
        }
        account.updated_at = self.clock.now();
        let base = account.version;
        let audit = caller
            .audit(&self.clock, AuditAction::ManageUser)
            .with_details(json!({
                "operation": "remove_passkey",
                "user": account.principal.username.as_str(),
                "credential": id.chars().take(16).collect::<String>(),
            }));
        self.put_account(account, base, audit).await?;
        Ok(())
    }

    /// Signs in with a passkey: the user is the one the authenticator names, the key must be
    /// one they registered, and the signature, origin, site and user verification must all
    /// check out. The same answer for every failure; each is audited.
    pub async fn sign_in_passkey(
        &self,
        rp: &RelyingParty,
        challenge: &[u8],
        response: &str,
        context: &RequestContext,
        service: &str,
    ) -> Result<SignedIn, AppError> {
        let refused = || AppError::Forbidden(PASSKEY_REFUSED.to_string());
        let fail = |actor: Actor, why: String, outcome: AuditOutcome| {
            self.audit(
                actor,
                AuditAction::SignIn,
                outcome,
                service,
                context,
                json!({ "method": "passkey", "reason": why }),
            )
        };
        let unknown = || Actor {
            user_id: "(unknown)".into(),
            display_name: "(passkey attempt)".into(),
        };
        let resp: AssertionResponse = match serde_json::from_str(response) {
            Ok(r) => r,
            Err(_) => {
                self.store
                    .audit_only(fail(
                        unknown(),
                        "malformed response".into(),
                        AuditOutcome::Failed,
                    ))
                    .await?;
                return Err(refused());
            }
        };
        let username = resp
            .response
            .user_handle
            .as_deref()
            .and_then(|h| unb64(h, "userHandle").ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| Username::parse(&s).ok());
        let account = match &username {
            Some(u) => self.store.user(u).await?,
            None => None,
        };
        let Some(mut account) = account else {
            self.store
                .audit_only(fail(unknown(), "no such user".into(), AuditOutcome::Failed))
                .await?;
            return Err(refused());
        };
        let actor = account.principal.actor();
        if account.disabled || account.locked_at.is_some() {
            self.store
                .audit_only(fail(
                    actor,
                    "disabled or locked".into(),
                    AuditOutcome::Denied,
                ))
                .await?;
            return Err(refused());
        }
        let Some(index) = account.passkeys.iter().position(|p| p.id == resp.id) else {
            self.store
                .audit_only(fail(
                    actor,
                    "not a registered passkey".into(),
                    AuditOutcome::Failed,
                ))
                .await?;
            return Err(refused());
        };
        let cred = stored(&account.passkeys[index])?;
        let count = match bluelamp_webauthn::verify_assertion(rp, challenge, &resp, &cred) {
            Ok(c) => c,
            Err(e) => {
                self.store
                    .audit_only(fail(actor, e.to_string(), AuditOutcome::Failed))
                    .await?;
                return Err(refused());
            }
        };
        let now = self.clock.now();
        let name = account.passkeys[index].name.clone();
        account.passkeys[index].sign_count = count;
        account.passkeys[index].last_used_at = Some(now);
        account.last_sign_in_at = Some(now);
        account.failed_sign_ins.clear();
        account.updated_at = now;
        let base = account.version;
        self.open_session(
            account,
            Some(base),
            vec!["read".into(), "write".into(), PASSKEY_SCOPE.into()],
            now + self.policy.absolute_timeout,
            Vec::new(),
            context,
            service,
            json!({ "method": "passkey", "passkey": name }),
        )
        .await
    }

    /// The caller's passkeys.
    pub async fn passkeys(&self, caller: &Caller) -> Result<Vec<Passkey>, AppError> {
        Ok(self.own_account(caller).await?.passkeys)
    }
}
