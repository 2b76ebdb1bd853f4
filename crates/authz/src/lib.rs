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
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::RwLock;

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
    decided: DecisionCache,
}

/// The most principals whose decisions are remembered, and the most markings remembered for
/// each principal, action and kind. Past either bound that part of the cache starts again.
const CACHED_PRINCIPALS: usize = 4_096;
const CACHED_MARKINGS: usize = 1_024;

/// Record decisions already made. A record decision is a function of the principal's
/// attributes, the action, the record's kind and marking, whether a break-glass grant
/// applies and the deployment's accreditation, and of nothing else: the policies are
/// compiled in and the entities are built from those arguments alone (no clock, no
/// request context). So the same question always gets the same answer and can be
/// remembered; building the entities, not evaluating the policies, is most of a decision's
/// cost, and a user reading a case asks the same question record after record.
///
/// Keys are the values themselves, compared in full, never a hash of them: a collision
/// must not be able to give one user another's decision. A principal whose roles, clearance
/// or compartments change is a different key, so nothing needs invalidating.
#[derive(Default)]
struct DecisionCache {
    by_principal: RwLock<HashMap<Principal, PrincipalDecisions>>,
}

type PrincipalDecisions = HashMap<(Action, RecordKind, bool), HashMap<Marking, Decision>>;

impl DecisionCache {
    fn get(
        &self,
        principal: &Principal,
        question: (Action, RecordKind, bool),
        marking: &Marking,
    ) -> Option<Decision> {
        // A poisoned lock only means another decision panicked; the map is still whole
        // (inserts are single calls), but ask Cedar rather than trust it.
        let map = self.by_principal.read().ok()?;
        map.get(principal)?.get(&question)?.get(marking).cloned()
    }

    fn put(
        &self,
        principal: &Principal,
        question: (Action, RecordKind, bool),
        marking: &Marking,
        decision: &Decision,
    ) {
        let Ok(mut map) = self.by_principal.write() else {
            return;
        };
        if !map.contains_key(principal) && map.len() >= CACHED_PRINCIPALS {
            map.clear();
        }
        let markings = map
            .entry(principal.clone())
            .or_default()
            .entry(question)
            .or_default();
        if markings.len() >= CACHED_MARKINGS {
            markings.clear();
        }
        markings.insert(marking.clone(), decision.clone());
    }
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
            decided: DecisionCache::default(),
        })
    }

    /// A record decision, remembered (see [`DecisionCache`]).
    fn record_decision(
        &self,
        principal: &Principal,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
        break_glass: bool,
    ) -> Decision {
        let question = (action, kind, break_glass);
        if let Some(d) = self.decided.get(principal, question, marking) {
            return d;
        }
        let d = self.record_uncached(principal, action, kind, marking, break_glass);
        self.decided.put(principal, question, marking, &d);
        d
    }

    /// A record decision asked of Cedar, bypassing the cache.
    fn record_uncached(
        &self,
        principal: &Principal,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
        break_glass: bool,
    ) -> Decision {
        self.decide(entities::record_request(
            principal,
            action,
            kind,
            marking,
            self.accredited,
            break_glass,
        ))
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
        // Cedar reports the deciding policies as a set, in no fixed order; sorted, the same
        // question always gives the same audit record.
        let mut policies: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|p| p.to_string())
            .collect();
        policies.sort_unstable();
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
        self.record_decision(principal, action, kind, marking, false)
    }

    fn record_break_glass(
        &self,
        principal: &Principal,
        action: Action,
        kind: RecordKind,
        marking: &Marking,
    ) -> Decision {
        self.record_decision(principal, action, kind, marking, true)
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

    fn grid() -> (Vec<Principal>, Vec<Marking>) {
        use bluelamp_domain::{Compartment, Restriction, Role, Unit, Username};
        let comp = |c: &str| Compartment::parse(c).unwrap();
        let mut principals = Vec::new();
        for roles in [
            vec![Role::Officer],
            vec![Role::Supervisor],
            vec![Role::IntelligenceAnalyst],
            vec![Role::Auditor],
        ] {
            for clearance in Classification::ALL {
                for comps in [vec![], vec![comp("OP-KESTREL")]] {
                    principals.push(Principal {
                        username: Username::parse("pc101").unwrap(),
                        display_name: "PC 101".into(),
                        roles: roles.iter().copied().collect(),
                        unit: Unit::parse("CID").unwrap(),
                        clearance,
                        compartments: comps.into_iter().collect(),
                    });
                }
            }
        }
        let mut markings = Vec::new();
        for c in Classification::ALL {
            for comps in [vec![], vec![comp("OP-KESTREL")], vec![comp("CHIS")]] {
                for restriction in [
                    None,
                    Some(Restriction {
                        teams: vec![Unit::parse("CID").unwrap()],
                        ..Default::default()
                    }),
                    Some(Restriction {
                        officers: vec!["pc101".into()],
                        ..Default::default()
                    }),
                ] {
                    markings
                        .push(Marking::new(c, comps.clone(), vec![]).with_restriction(restriction));
                }
            }
        }
        (principals, markings)
    }

    #[test]
    fn a_remembered_decision_is_the_one_cedar_gives() {
        let authz = CedarAuthorizer::new(Classification::Secret).unwrap();
        let (principals, markings) = grid();
        let mut allowed = 0;
        // Twice over: the first pass fills the cache, the second answers from it.
        for _ in 0..2 {
            for p in &principals {
                for m in &markings {
                    for a in [Action::Read, Action::Update] {
                        for glass in [false, true] {
                            let fresh = authz.record_uncached(p, a, RecordKind::Person, m, glass);
                            let given = if glass {
                                authz.record_break_glass(p, a, RecordKind::Person, m)
                            } else {
                                authz.record(p, a, RecordKind::Person, m)
                            };
                            assert_eq!(given, fresh, "{p:?} {m:?} {a:?} glass {glass}");
                            allowed += usize::from(given.allowed);
                        }
                    }
                }
            }
        }
        // Both answers occur, so the comparison above could have failed either way.
        assert!(allowed > 0 && allowed < 2 * principals.len() * markings.len() * 4);
    }

    #[test]
    fn a_principal_whose_clearance_changes_is_asked_again() {
        let authz = CedarAuthorizer::new(Classification::Secret).unwrap();
        let (principals, _) = grid();
        let mut officer = principals[0].clone();
        officer.clearance = Classification::Secret;
        let secret = Marking::new(Classification::Secret, vec![], vec![]);
        assert!(
            authz
                .record(&officer, Action::Read, RecordKind::Person, &secret)
                .allowed
        );
        officer.clearance = Classification::Official;
        let d = authz.record(&officer, Action::Read, RecordKind::Person, &secret);
        assert!(!d.allowed);
        assert_eq!(d.policies, ["need-to-know.clearance-below-classification"]);
    }

    #[test]
    fn the_cache_starts_again_when_full_and_still_answers_rightly() {
        let authz = CedarAuthorizer::new(Classification::Secret).unwrap();
        let (principals, markings) = grid();
        let p = &principals[0];
        // More distinct markings than one principal's share of the cache holds.
        let many: Vec<Marking> = (0..CACHED_MARKINGS + 10)
            .map(|i| {
                let team = bluelamp_domain::Unit::parse(&format!("T{i}")).unwrap();
                Marking::new(Classification::Official, vec![], vec![]).with_restriction(Some(
                    bluelamp_domain::Restriction {
                        teams: vec![team],
                        ..Default::default()
                    },
                ))
            })
            .chain(markings)
            .collect();
        for m in &many {
            assert_eq!(
                authz.record(p, Action::Read, RecordKind::Event, m),
                authz.record_uncached(p, Action::Read, RecordKind::Event, m, false)
            );
        }
        let held: usize = authz
            .decided
            .by_principal
            .read()
            .unwrap()
            .values()
            .flat_map(|q| q.values())
            .map(HashMap::len)
            .sum();
        assert!(held <= CACHED_MARKINGS, "{held}");
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
