//! Need-to-know access for Bluelamp: every read, list, search, create, update, link, export
//! and administrative action is decided by the Cedar policies in `policies/*.cedar`, over the
//! entities this crate builds from the signed-in [`Principal`] and a record's kind and
//! [`Marking`].
//!
//! Lists and search cannot ask Cedar about every row, so they use a pre-filter,
//! [`Authorizer::visibility`], which the stores turn into SQL. The pre-filter is the
//! domain's [`Visibility::allows`] predicate, used only when the policies permit the action
//! for the user's roles at all; `tests/agreement.rs` generates random users and records and
//! shows that it agrees with Cedar on every pair.
//!
//! A decision that cannot be evaluated (a policy error) is a denial: access fails closed.

mod entities;

use bluelamp_domain::{Classification, Marking, Principal, RecordKind, Visibility};
use cedar_policy::{PolicyId, PolicySet, Schema, ValidationMode, Validator};
use std::str::FromStr;

/// The policies shipped with Bluelamp, compiled into the binary so a deployment cannot
/// drift from what was tested.
pub const SCHEMA: &str = include_str!("../policies/schema.cedarschema");
pub const POLICIES: [(&str, &str); 2] = [
    ("roles.cedar", include_str!("../policies/roles.cedar")),
    (
        "need_to_know.cedar",
        include_str!("../policies/need_to_know.cedar"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    List,
    Search,
    Export,
    Create,
    Update,
    Link,
    /// Keep a custody record: book in, record reviews, visits, rights and the disposal.
    Custody,
    /// Decide another user's break-glass request for a record.
    ApproveBreakGlass,
    ManageUsers,
    ReadAudit,
}

impl Action {
    pub const RECORD_ACTIONS: [Action; 9] = [
        Action::Read,
        Action::List,
        Action::Search,
        Action::Export,
        Action::Create,
        Action::Update,
        Action::Link,
        Action::Custody,
        Action::ApproveBreakGlass,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::List => "list",
            Action::Search => "search",
            Action::Export => "export",
            Action::Create => "create",
            Action::Update => "update",
            Action::Link => "link",
            Action::Custody => "custody",
            Action::ApproveBreakGlass => "approve_break_glass",
            Action::ManageUsers => "manage_users",
            Action::ReadAudit => "read_audit",
        }
    }
}

/// The answer to one question, with the policies that decided it (for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The ids of the policies that determined the decision: the permits that allowed it, or
    /// the forbids that refused it (empty when nothing permitted it).
    pub policies: Vec<String>,
}

impl Decision {
    pub fn deny_reason(&self) -> String {
        if self.policies.is_empty() {
            "no policy permits this action for the user's roles".to_string()
        } else {
            format!("refused by {}", self.policies.join(", "))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("the Cedar schema does not parse: {0}")]
    Schema(String),
    #[error("policy file {file} does not parse: {message}")]
    Policy { file: String, message: String },
    #[error("policy {id} is declared twice")]
    DuplicateId { id: String },
    #[error("policy in {file} has no @id annotation")]
    MissingId { file: String },
    #[error("the policies do not validate against the schema: {0}")]
    Validation(String),
}

/// Decides what a principal may do. The application depends on this trait, not on Cedar.
pub trait Authorizer: Send + Sync + 'static {
    /// May `principal` do `action` to a record of this kind and marking?
    fn record(
        &self,
        principal: &Principal,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
    ) -> Decision;

    /// As [`Authorizer::record`], for a user who holds an approved, unexpired break-glass
    /// grant for this record. The default ignores the grant (the safe answer).
    fn record_break_glass(
        &self,
        principal: &Principal,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
    ) -> Decision {
        self.record(principal, action, kind, marking)
    }

    /// May `principal` do an administrative `action` (manage users, read the audit trail)?
    fn system(&self, principal: &Principal, action: Action) -> Decision;

    /// The pre-filter for a list or search: `None` when the user's roles do not allow the
    /// action at all, otherwise the predicate every row must pass.
    fn visibility(&self, principal: &Principal, action: Action) -> Option<Visibility>;

    /// The highest classification this deployment may hold.
    fn accredited(&self) -> Classification;
}

/// The Cedar policy engine with Bluelamp's bundled, validated policies.
pub struct CedarAuthorizer {
    policies: PolicySet,
    cedar: cedar_policy::Authorizer,
    accredited: Classification,
}

impl std::fmt::Debug for CedarAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CedarAuthorizer")
            .field("policies", &self.policies.policies().count())
            .field("accredited", &self.accredited)
            .finish()
    }
}

/// Parses the schema.
pub fn schema() -> Result<Schema, AuthzError> {
    Schema::from_cedarschema_str(SCHEMA)
        .map(|(s, _warnings)| s)
        .map_err(|e| AuthzError::Schema(e.to_string()))
}

/// Parses the policy files, naming each policy by its `@id` annotation (so audit records say
/// `need-to-know.compartment-not-held`, not `policy3`), and validates them strictly against
/// the schema.
pub fn load_policies(files: &[(&str, &str)]) -> Result<PolicySet, AuthzError> {
    let mut set = PolicySet::new();
    for (file, text) in files {
        let parsed = PolicySet::from_str(text).map_err(|e| AuthzError::Policy {
            file: (*file).to_string(),
            message: e.to_string(),
        })?;
        for policy in parsed.policies() {
            let id = policy
                .annotation("id")
                .ok_or_else(|| AuthzError::MissingId {
                    file: (*file).to_string(),
                })?
                .to_string();
            set.add(policy.new_id(PolicyId::new(&id)))
                .map_err(|_| AuthzError::DuplicateId { id })?;
        }
    }
    let result = Validator::new(schema()?).validate(&set, ValidationMode::Strict);
    if !result.validation_passed() {
        let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
        return Err(AuthzError::Validation(errors.join("; ")));
    }
    Ok(set)
}

impl CedarAuthorizer {
    /// The bundled policies, for a deployment accredited up to `accredited`.
    pub fn new(accredited: Classification) -> Result<Self, AuthzError> {
        Ok(Self {
            policies: load_policies(&POLICIES)?,
            cedar: cedar_policy::Authorizer::new(),
            accredited,
        })
    }

    fn decide(&self, request: Option<(cedar_policy::Request, cedar_policy::Entities)>) -> Decision {
        let Some((request, entities)) = request else {
            return Decision {
                allowed: false,
                policies: vec!["entities-could-not-be-built".into()],
            };
        };
        let response = self
            .cedar
            .is_authorized(&request, &self.policies, &entities);
        let policies: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|p| p.to_string())
            .collect();
        let errored = response.diagnostics().errors().next().is_some();
        let allowed = response.decision() == cedar_policy::Decision::Allow && !errored;
        Decision { allowed, policies }
    }
}

impl Authorizer for CedarAuthorizer {
    fn record(
        &self,
        principal: &Principal,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
    ) -> Decision {
        self.decide(entities::record_request(
            principal,
            action,
            kind,
            marking,
            self.accredited,
            false,
        ))
    }

    fn record_break_glass(
        &self,
        principal: &Principal,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
    ) -> Decision {
        self.decide(entities::record_request(
            principal,
            action,
            kind,
            marking,
            self.accredited,
            true,
        ))
    }

    fn system(&self, principal: &Principal, action: Action) -> Decision {
        self.decide(entities::system_request(principal, action))
    }

    fn visibility(&self, principal: &Principal, action: Action) -> Option<Visibility> {
        // The role permits do not depend on the record's marking, so asking about the least
        // sensitive record there is tells whether the roles allow the action at all; the
        // forbids are then exactly Visibility::allows.
        let probe = self.record(principal, action, RecordKind::Person, &Marking::official());
        probe.allowed.then(|| principal.visibility())
    }

    fn accredited(&self) -> Classification {
        self.accredited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_policies_parse_validate_and_carry_their_ids() {
        let set = load_policies(&POLICIES).unwrap();
        let ids: Vec<String> = set.policies().map(|p| p.id().to_string()).collect();
        assert!(ids.contains(&"need-to-know.compartment-not-held".to_string()));
        assert!(ids.len() >= 8, "{ids:?}");
    }

    #[test]
    fn a_policy_naming_a_missing_attribute_does_not_load() {
        let bad = "@id(\"bad\") permit(principal, action, resource is Bluelamp::Record) when { resource.colour == \"red\" };";
        let err = load_policies(&[("bad.cedar", bad)]).unwrap_err();
        assert!(matches!(err, AuthzError::Validation(_)), "{err}");
    }

    #[test]
    fn a_policy_without_an_id_does_not_load() {
        let bad = "permit(principal, action, resource);";
        assert!(matches!(
            load_policies(&[("bad.cedar", bad)]).unwrap_err(),
            AuthzError::MissingId { .. }
        ));
    }
}
