//! Access decisions for use cases: every use case asks here before it shows or writes
//! anything, and a refusal is audited before it is returned.

use crate::{AppError, Authority, Caller};
use bluelamp_authz::{Action, Authorizer, Decision};
use bluelamp_domain::audit::AuditSubject;
use bluelamp_domain::{
    AuditAction, AuditEntry, AuditOutcome, Clock, Marking, RecordKind, Visibility,
};
use bluelamp_store::{Gate, GateDecision, Store};
use serde_json::json;
use std::sync::Arc;

/// The authorizer and what it needs to audit refusals.
#[derive(Clone)]
pub struct Access {
    authz: Arc<dyn Authorizer>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

/// A gate over a caller's authority, for one action.
pub struct CallerGate<'a> {
    authz: &'a dyn Authorizer,
    caller: &'a Caller,
    action: Action,
}

impl Gate for CallerGate<'_> {
    fn check_record(
        &self,
        id: bluelamp_domain::RecordId,
        kind: RecordKind,
        marking: &Marking,
    ) -> GateDecision {
        let plain = self.check(kind, marking);
        if plain.allowed {
            return plain;
        }
        // A break-glass grant for this very record may lift need to know (reading only).
        let (Authority::User(p), Some(grant)) = (
            &self.caller.authority,
            self.caller.grants.iter().find(|g| g.record_id == id),
        ) else {
            return plain;
        };
        let d = self.authz.record_break_glass(p, self.action, kind, marking);
        if d.allowed {
            let mut policies = d.policies;
            policies.push(format!("break-glass:{}", grant.id));
            GateDecision {
                allowed: true,
                policies,
            }
        } else {
            plain
        }
    }

    fn check(&self, kind: RecordKind, marking: &Marking) -> GateDecision {
        match &self.caller.authority {
            Authority::User(p) => {
                let d = self.authz.record(p, self.action, kind, marking);
                GateDecision {
                    allowed: d.allowed,
                    policies: d.policies,
                }
            }
            Authority::System(process) => GateDecision {
                allowed: true,
                policies: vec![format!("system:{process}")],
            },
        }
    }
}

/// Details for an audit entry recording a decision.
pub fn decision_details(d: &Decision) -> serde_json::Value {
    json!({ "allowed": d.allowed, "policies": d.policies })
}

impl Access {
    pub fn new(authz: Arc<dyn Authorizer>, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            authz,
            store,
            clock,
        }
    }

    pub fn authorizer(&self) -> &Arc<dyn Authorizer> {
        &self.authz
    }

    pub fn gate<'a>(&'a self, caller: &'a Caller, action: Action) -> CallerGate<'a> {
        CallerGate {
            authz: self.authz.as_ref(),
            caller,
            action,
        }
    }

    /// The decision on one record for this caller (system processes are always allowed).
    pub fn decide(
        &self,
        caller: &Caller,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
    ) -> Decision {
        match &caller.authority {
            Authority::User(p) => self.authz.record(p, action, kind, marking),
            // A system process is not subject to need to know, but not even an operator's
            // load may store more than the deployment is accredited for.
            Authority::System(_)
                if matches!(action, Action::Create | Action::Update | Action::Link)
                    && marking.classification > self.authz.accredited() =>
            {
                Decision {
                    allowed: false,
                    policies: vec!["accreditation.above-deployment-tier".into()],
                }
            }
            Authority::System(process) => Decision {
                allowed: true,
                policies: vec![format!("system:{process}")],
            },
        }
    }

    /// The pre-filter for a list or search; `Ok(None)` for a system process (no filter).
    /// A user whose roles do not allow the action at all is refused (and audited).
    pub async fn visibility(
        &self,
        caller: &Caller,
        action: Action,
        audit_action: AuditAction,
    ) -> Result<Option<Visibility>, AppError> {
        match &caller.authority {
            Authority::System(_) => Ok(None),
            Authority::User(p) => match self.authz.visibility(p, action) {
                Some(v) => Ok(Some(v)),
                None => {
                    let d = Decision {
                        allowed: false,
                        policies: vec![],
                    };
                    Err(self
                        .refuse(caller, audit_action, vec![], &d, "search or list records")
                        .await)
                }
            },
        }
    }

    /// Decides an administrative action for the caller; a refusal is audited.
    pub async fn require_system_action(
        &self,
        caller: &Caller,
        action: Action,
        audit_action: AuditAction,
        what: &str,
    ) -> Result<Decision, AppError> {
        let d = match &caller.authority {
            Authority::User(p) => self.authz.system(p, action),
            Authority::System(process) => Decision {
                allowed: true,
                policies: vec![format!("system:{process}")],
            },
        };
        if d.allowed {
            Ok(d)
        } else {
            Err(self.refuse(caller, audit_action, vec![], &d, what).await)
        }
    }

    /// Audits a refusal and returns the error to give the caller. If the audit record
    /// cannot be written the error says so instead (the refusal still stands).
    pub async fn refuse(
        &self,
        caller: &Caller,
        audit_action: AuditAction,
        subjects: Vec<AuditSubject>,
        decision: &Decision,
        what: &str,
    ) -> AppError {
        let mut entry: AuditEntry = caller
            .audit(&self.clock, audit_action)
            .with_details(json!({ "decision": decision_details(decision), "attempted": what }));
        entry.outcome = AuditOutcome::Denied;
        entry.subjects = subjects;
        if let Err(e) = self.store.audit_only(entry).await {
            return e.into();
        }
        AppError::Forbidden(format!("You may not {what}: {}", decision.deny_reason()))
    }

    /// Audits a refusal that must look like a missing record, and returns `NotFound`.
    pub async fn hide(
        &self,
        caller: &Caller,
        audit_action: AuditAction,
        subject: AuditSubject,
        decision: &Decision,
    ) -> AppError {
        let mut entry: AuditEntry = caller
            .audit(&self.clock, audit_action)
            .with_details(json!({ "decision": decision_details(decision) }));
        entry.outcome = AuditOutcome::Denied;
        let id = subject.id;
        entry.subjects = vec![subject];
        if let Err(e) = self.store.audit_only(entry).await {
            return e.into();
        }
        AppError::NotFound(id)
    }
}
