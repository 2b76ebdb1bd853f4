//! Single sign-on: turning the validated claims of an OpenID Connect ID token into a
//! Bluelamp user and session. The force's identity provider is authoritative for the users it
//! signs in: their roles, unit, clearance and compartments are taken from the claims at each
//! sign-in (and the change audited); a user an administrator has disabled here stays out.

use crate::AppError;
use crate::identity::{IdentityService, SignedIn};
use bluelamp_domain::{
    Actor, AuditAction, AuditOutcome, Classification, Compartment, Principal, RequestContext, Role,
    Unit, Username,
};
use bluelamp_store::{SessionKind, UserAccount};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Which claims carry what (configurable per deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    /// The user name (an `@domain` suffix is dropped): `preferred_username`.
    pub username: String,
    pub display_name: String,
    /// Bluelamp role names (`custody_officer`, ...), a list; unknown names are ignored.
    pub roles: String,
    pub unit: String,
    /// OFFICIAL, OFFICIAL-SENSITIVE or SECRET.
    pub clearance: String,
    /// A list of compartment names.
    pub compartments: String,
    pub rank: String,
    /// The provider must say a second factor was used (`amr` holds `mfa`, `otp`, `hwk`,
    /// `swk`, `fido` or `sc`).
    pub require_mfa: bool,
    /// A claim that must be `true` (a managed, compliant device), when set.
    pub device_compliance: Option<String>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            username: "preferred_username".into(),
            display_name: "name".into(),
            roles: "roles".into(),
            unit: "unit".into(),
            clearance: "clearance".into(),
            compartments: "compartments".into(),
            rank: "rank".into(),
            require_mfa: true,
            device_compliance: None,
        }
    }
}

/// Second-factor methods (RFC 8176) that count as multi-factor.
const MFA_METHODS: [&str; 6] = ["mfa", "otp", "hwk", "swk", "fido", "sc"];

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn list(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        Some(Value::String(s)) => s
            .split([',', ' '])
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// The principal the claims describe, or why they do not describe one Bluelamp accepts.
pub fn principal_from_claims(
    claims: &Map<String, Value>,
    m: &ClaimMapping,
) -> Result<(Principal, String), String> {
    let raw = text(claims, &m.username).ok_or("the token names no user")?;
    let local = raw.split('@').next().unwrap_or(raw);
    let username = Username::parse(local).map_err(|e| format!("user name {raw:?}: {e}"))?;
    if m.require_mfa {
        let amr = list(claims, "amr");
        if !amr.iter().any(|a| MFA_METHODS.contains(&a.as_str())) {
            return Err("the identity provider did not confirm two-step verification".into());
        }
    }
    if let Some(device) = &m.device_compliance {
        let ok = match claims.get(device) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "compliant"),
            _ => false,
        };
        if !ok {
            return Err("this device is not managed and compliant".into());
        }
    }
    let roles: BTreeSet<Role> = list(claims, &m.roles)
        .iter()
        .filter_map(|r| Role::parse(r).ok())
        .collect();
    if roles.is_empty() {
        return Err("the identity provider gives this user no Bluelamp role".into());
    }
    let unit = text(claims, &m.unit)
        .ok_or("the identity provider gives this user no unit")
        .and_then(|u| Unit::parse(u).map_err(|_| "the unit claim is not a unit"))?;
    let clearance: Classification = text(claims, &m.clearance)
        .ok_or("the identity provider gives this user no vetting clearance")?
        .parse()
        .map_err(|_| "the clearance claim is not OFFICIAL, OFFICIAL-SENSITIVE or SECRET")?;
    let compartments = list(claims, &m.compartments)
        .iter()
        .map(|c| Compartment::parse(c).map_err(|e| format!("compartment {c:?}: {e}")))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let display_name = text(claims, &m.display_name)
        .unwrap_or(username.as_str())
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let rank = text(claims, &m.rank)
        .unwrap_or("")
        .chars()
        .take(40)
        .collect();
    Ok((
        Principal {
            username,
            display_name,
            roles,
            unit,
            clearance,
            compartments,
        },
        rank,
    ))
}

impl IdentityService {
    /// A request to the API with the identity provider's access token (already validated):
    /// the user the claims describe, for this request only. The token may write only if it
    /// carries `write_scope`. A user disabled here is refused whatever the provider says.
    pub async fn authenticate_bearer_claims(
        &self,
        claims: &Map<String, Value>,
        mapping: &ClaimMapping,
        write_scope: &str,
        token: &str,
        context: &RequestContext,
    ) -> Result<Result<crate::identity::Authenticated, String>, AppError> {
        let (principal, rank) = match principal_from_claims(claims, mapping) {
            Ok(p) => p,
            Err(why) => return Ok(Err(why)),
        };
        if self
            .store
            .user(&principal.username)
            .await?
            .is_some_and(|a| a.disabled || a.locked_at.is_some())
        {
            return Ok(Err(
                "the user's Bluelamp account is disabled or locked".into()
            ));
        }
        let now = self.clock.now();
        let at = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_i64)
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
        };
        let scopes_claim = claims
            .get("scp")
            .or_else(|| claims.get("scope"))
            .map(|v| -> Vec<String> {
                match v {
                    Value::String(s) => s.split_whitespace().map(String::from).collect(),
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                    _ => Vec::new(),
                }
            })
            .unwrap_or_default();
        let mut scopes = vec!["read".to_string()];
        if scopes_claim.iter().any(|s| s == write_scope) {
            scopes.push("write".into());
        }
        let session = bluelamp_store::Session {
            id_hash: crate::identity::hash_secret(token),
            kind: SessionKind::ApiToken,
            username: principal.username.clone(),
            csrf_token: String::new(),
            label: "identity provider access token".into(),
            scopes,
            created_at: at("iat").unwrap_or(now),
            last_seen_at: now,
            expires_at: at("exp").unwrap_or(now),
            ended_at: None,
            source_address: context.source_address.clone(),
            user_agent: context.user_agent.clone(),
        };
        Ok(Ok(crate::identity::Authenticated {
            principal,
            session,
            account_rank: rank,
            // The provider authenticated the user (and checked a second factor when the
            // mapping requires one).
            mfa_enrolled: true,
        }))
    }

    /// Records a single sign-on that failed before a user was known (a refused or invalid
    /// response from the identity provider, an expired attempt).
    pub async fn audit_sso_failure(
        &self,
        why: &str,
        context: &RequestContext,
        service: &str,
    ) -> Result<(), AppError> {
        self.store
            .audit_only(self.audit(
                Actor {
                    user_id: "(unknown)".into(),
                    display_name: "(single sign-on attempt)".into(),
                },
                AuditAction::SignIn,
                AuditOutcome::Failed,
                service,
                context,
                json!({ "method": "oidc", "reason": why }),
            ))
            .await?;
        Ok(())
    }

    /// Signs in a user the identity provider has authenticated (claims already validated):
    /// creates or refreshes their account from the claims, and starts a full session.
    pub async fn sign_in_sso(
        &self,
        issuer: &str,
        claims: &Map<String, Value>,
        mapping: &ClaimMapping,
        context: &RequestContext,
        service: &str,
    ) -> Result<SignedIn, AppError> {
        let now = self.clock.now();
        let sub = text(claims, "sub").unwrap_or("").to_string();
        let amr = list(claims, "amr");
        let (principal, rank) = match principal_from_claims(claims, mapping) {
            Ok(p) => p,
            Err(why) => {
                let who = text(claims, &mapping.username).unwrap_or("(unknown)");
                self.store
                    .audit_only(self.audit(
                        Actor {
                            user_id: who.chars().take(64).collect::<String>().to_lowercase(),
                            display_name: "(single sign-on attempt)".into(),
                        },
                        AuditAction::SignIn,
                        AuditOutcome::Denied,
                        service,
                        context,
                        json!({ "method": "oidc", "issuer": issuer, "sub": sub, "reason": why }),
                    ))
                    .await?;
                return Err(AppError::Forbidden(format!(
                    "You cannot sign in to Bluelamp: {why}. Ask force IT to check your account."
                )));
            }
        };
        let existing = self.store.user(&principal.username).await?;
        if existing.as_ref().is_some_and(|a| a.disabled) {
            self.store
                .audit_only(self.audit(
                    principal.actor(),
                    AuditAction::SignIn,
                    AuditOutcome::Denied,
                    service,
                    context,
                    json!({ "method": "oidc", "issuer": issuer, "sub": sub, "reason": "disabled" }),
                ))
                .await?;
            return Err(AppError::Forbidden(
                "Your Bluelamp account is disabled. Ask your supervisor or force IT.".into(),
            ));
        }
        let base = existing.as_ref().map(|a| a.version);
        let changed = existing
            .as_ref()
            .is_none_or(|a| a.principal != principal || a.rank != rank);
        let mut account = existing.unwrap_or_else(|| UserAccount {
            principal: principal.clone(),
            rank: rank.clone(),
            number: String::new(),
            version: 0,
            password_hash: None,
            disabled: false,
            failed_sign_ins: Vec::new(),
            locked_at: None,
            last_sign_in_at: None,
            created_at: now,
            updated_at: now,
            totp: None,
            recovery_codes: Vec::new(),
            passkeys: Vec::new(),
        });
        let before = json!({
            "roles": account.principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "unit": account.principal.unit.as_str(),
            "clearance": account.principal.clearance.as_str(),
            "compartments": account.principal.compartments.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        });
        account.principal = principal.clone();
        account.rank = rank;
        account.last_sign_in_at = Some(now);
        account.updated_at = now;
        // One audit record for the sign-in and the account refresh it made, written with them.
        let refreshed = changed.then(|| {
            json!({
                "created": base.is_none(),
                "before": if base.is_some() { before } else { Value::Null },
                "after": {
                    "roles": principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    "unit": principal.unit.as_str(),
                    "clearance": principal.clearance.as_str(),
                    "compartments": principal.compartments.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                },
            })
        });
        self.open_session(
            account,
            base,
            vec!["read".to_string(), "write".to_string()],
            now + self.policy.absolute_timeout,
            Vec::new(),
            context,
            service,
            json!({
                "method": "oidc", "issuer": issuer, "sub": sub, "amr": amr,
                "account_from_identity_provider": refreshed,
            }),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn good() -> Value {
        json!({"sub": "1", "preferred_username": "PC.Jones@force.police.uk", "name": "PC 1234 Jones",
            "roles": ["officer", "custody_officer", "made_up"], "unit": "RESPONSE",
            "clearance": "OFFICIAL-SENSITIVE", "compartments": ["OP-KESTREL"], "amr": ["pwd", "mfa"]})
    }

    #[test]
    fn claims_map_to_a_principal() {
        let (p, _) = principal_from_claims(&claims(good()), &ClaimMapping::default()).unwrap();
        assert_eq!(p.username.as_str(), "pc.jones");
        assert_eq!(p.roles.len(), 2, "unknown roles are ignored");
        assert_eq!(p.clearance, Classification::OfficialSensitive);
        assert_eq!(p.compartments.len(), 1);
    }

    #[test]
    fn missing_mfa_roles_unit_clearance_or_device_compliance_refuse_sign_in() {
        let m = ClaimMapping::default();
        let without = |k: &str| {
            let mut c = good();
            c.as_object_mut().map(|o| o.remove(k));
            principal_from_claims(&claims(c), &m).unwrap_err()
        };
        assert!(without("amr").contains("two-step"));
        assert!(without("roles").contains("role"));
        assert!(without("unit").contains("unit"));
        assert!(without("clearance").contains("clearance"));
        let strict = ClaimMapping {
            device_compliance: Some("device_compliant".into()),
            ..ClaimMapping::default()
        };
        assert!(
            principal_from_claims(&claims(good()), &strict)
                .unwrap_err()
                .contains("device")
        );
        let mut c = good();
        c["device_compliant"] = json!(true);
        assert!(principal_from_claims(&claims(c), &strict).is_ok());
    }
}
