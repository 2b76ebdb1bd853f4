//! The Cedar entities and requests built from Bluelamp's domain types. Every attribute the
//! schema declares is set here, so strict validation of the policies holds at run time.

use crate::Action;
use bluelamp_domain::{Classification, Marking, Principal, RecordKind};
use cedar_policy::{
    Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, Request, RestrictedExpression,
};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

fn uid(type_name: &str, id: &str) -> Option<EntityUid> {
    let t = EntityTypeName::from_str(type_name).ok()?;
    Some(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> RestrictedExpression {
    RestrictedExpression::new_set(
        items
            .into_iter()
            .map(|s| RestrictedExpression::new_string(s.to_string())),
    )
}

fn user_uid(user_id: &str) -> Option<EntityUid> {
    uid("Bluelamp::User", user_id)
}

/// The user entity and its role parents.
fn user_entities(principal: &Principal) -> Option<(EntityUid, Vec<Entity>)> {
    let me = user_uid(principal.username.as_str())?;
    let mut out = Vec::with_capacity(principal.roles.len() + 2);
    let mut parents = HashSet::new();
    for role in &principal.roles {
        let r = uid("Bluelamp::Role", role.as_str())?;
        parents.insert(r.clone());
        out.push(Entity::new_no_attrs(r, HashSet::new()));
    }
    let attrs = HashMap::from([
        (
            "clearance".to_string(),
            RestrictedExpression::new_long(i64::from(principal.clearance.rank())),
        ),
        (
            "compartments".to_string(),
            strings(principal.compartments.iter().map(|c| c.as_str())),
        ),
        (
            "unit".to_string(),
            RestrictedExpression::new_string(principal.unit.as_str().to_string()),
        ),
    ]);
    out.push(Entity::new(me.clone(), attrs, parents).ok()?);
    Some((me, out))
}

fn action_uid(action: Action) -> Option<EntityUid> {
    uid("Bluelamp::Action", action.as_str())
}

pub(crate) fn record_request(
    principal: &Principal,
    action: Action,
    kind: RecordKind,
    marking: &Marking,
    accredited: Classification,
    break_glass: bool,
) -> Option<(Request, Entities)> {
    let (me, mut entities) = user_entities(principal)?;
    let record = uid("Bluelamp::Record", "the-record")?;
    let restriction = marking.restriction.as_ref();
    let officers = restriction
        .map(|r| {
            r.officers
                .iter()
                .filter_map(|o| user_uid(o))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let attrs = HashMap::from([
        (
            "kind".to_string(),
            RestrictedExpression::new_string(kind.as_str().to_string()),
        ),
        (
            "classification".to_string(),
            RestrictedExpression::new_long(i64::from(marking.classification.rank())),
        ),
        (
            "compartments".to_string(),
            strings(marking.compartments.iter().map(|c| c.as_str())),
        ),
        (
            "restricted".to_string(),
            RestrictedExpression::new_bool(restriction.is_some()),
        ),
        (
            "teams".to_string(),
            strings(
                restriction
                    .map(|r| r.teams.iter().map(|t| t.as_str()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
        ),
        (
            "officers".to_string(),
            RestrictedExpression::new_set(
                officers
                    .into_iter()
                    .map(RestrictedExpression::new_entity_uid),
            ),
        ),
        (
            "officer_units".to_string(),
            strings(
                restriction
                    .map(|r| {
                        r.officer_units
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            ),
        ),
    ]);
    entities.push(Entity::new(record.clone(), attrs, HashSet::new()).ok()?);
    let context = Context::from_pairs([
        (
            "accredited".to_string(),
            RestrictedExpression::new_long(i64::from(accredited.rank())),
        ),
        (
            "break_glass".to_string(),
            RestrictedExpression::new_bool(break_glass),
        ),
    ])
    .ok()?;
    let request = Request::new(me, action_uid(action)?, record, context, None).ok()?;
    let entities = Entities::from_entities(entities, None).ok()?;
    Some((request, entities))
}

pub(crate) fn system_request(principal: &Principal, action: Action) -> Option<(Request, Entities)> {
    let (me, mut entities) = user_entities(principal)?;
    let system = uid("Bluelamp::System", "bluelamp")?;
    entities.push(Entity::new_no_attrs(system.clone(), HashSet::new()));
    let request = Request::new(me, action_uid(action)?, system, Context::empty(), None).ok()?;
    let entities = Entities::from_entities(entities, None).ok()?;
    Some((request, entities))
}
