//! The conformance suite: the behaviour every storage adapter must show. Each adapter's

// This module is test code that ships in the library so that every adapter runs the same
// suite; panicking on a broken expectation is how it reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! tests invoke [`store_conformance_tests!`] with an expression that yields a fresh, empty
//! store, so SQLite and PostgreSQL are held to exactly the same rules.

use crate::*;
use bluelamp_domain::{
    Actor, AuditAction, AuditOutcome, Classification, Compartment, HandlingCaveat, Marking,
    RecordKind, RequestContext, Restriction, Unit, Visibility,
};
use jiff::Timestamp;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Generates one `#[tokio::test]` per conformance check. `$factory` is an async expression
/// returning `Arc<dyn Store>` over a fresh, empty database; attributes after it (such as
/// `#[ignore = "needs PostgreSQL"]`) are put on every test.
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr $(, #[$attr:meta])*) => {
        $crate::store_conformance_tests!(@tests $factory; [$(#[$attr])*];
            create_then_consult_returns_the_record_and_audits_the_view,
            update_writes_a_new_version_and_keeps_the_old,
            stale_update_is_refused_and_writes_nothing,
            link_to_a_missing_record_is_refused_and_writes_nothing,
            a_change_is_all_or_nothing,
            links_are_found_from_both_ends_and_unlink_keeps_history,
            outbox_events_are_written_with_the_change_and_delivered_once,
            list_filters_pages_and_counts_agree,
            consulting_a_missing_record_is_audited_as_failed,
            audit_subjects_name_the_versions_written,
            marking_round_trips_exactly,
            bulk_change_writes_every_record,
            version_consultation_returns_the_past,
            every_version_keeps_its_own_content,
            concurrent_changes_fail_alone,
            delivered_outbox_events_are_pruned_and_pending_ones_kept,
            list_totals_are_counted_up_to_the_cap,
            list_visibility_in_sql_agrees_with_the_predicate,
            a_refused_consultation_is_audited_and_returns_nothing,
            links_and_versions_the_gate_refuses_are_left_out,
            directory_users_and_sessions,
            references_count_up_once_per_scope,
            audit_search_filters_by_user_record_action_and_time,
            break_glass_grants_are_versioned_and_filtered,
            duplicate_candidates_stay_decided_once_decided,
            scan_reads_every_active_record_of_a_kind_in_pages,
            audit_records_are_sequenced_once_with_their_checkpoint,
            consultations_audited_together_fail_alone,
            written_versions_carry_the_hash_of_their_stored_content,
            checks_refuse_a_change_when_a_record_or_its_links_moved_on,
            a_link_and_a_merge_racing_never_both_commit,
            a_link_between_two_records_racing_their_merge_is_refused_not_failed,
            links_come_in_order_of_role_then_the_other_record,
            links_at_an_end_are_found_by_role_in_force_only,
        );
    };
    (@tests $factory:expr; $attrs:tt; $($name:ident),* $(,)?) => {
        $( $crate::store_conformance_tests!(@one $factory; $attrs; $name); )*
    };
    (@one $factory:expr; [$($attr:tt)*]; $name:ident) => {
        #[tokio::test]
        $($attr)*
        async fn $name() {
            let store: std::sync::Arc<dyn $crate::Store> = $factory.await;
            $crate::conformance::$name(store).await;
        }
    };
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
}

fn audit(action: AuditAction) -> AuditEntry {
    AuditEntry::new(
        t("2026-05-01T10:00:00Z"),
        Actor {
            user_id: "pc.1234".into(),
            display_name: "PC 1234 Jones".into(),
        },
        action,
        "conformance",
        RequestContext {
            correlation_id: Some(Uuid::now_v7().to_string()),
            ..Default::default()
        },
    )
}

fn person(family: &str) -> NewRecord {
    NewRecord {
        id: RecordId(Uuid::now_v7()),
        kind: RecordKind::Person,
        marking: Marking::official(),
        summary: format!("{}, John", family.to_uppercase()),
        subtype: None,
        body: json!({"family_name": family, "given_names": "John"}),
        link: None,
    }
}

fn link(from: RecordId, to: RecordId, role: &str) -> NewRecord {
    NewRecord {
        id: RecordId(Uuid::now_v7()),
        kind: RecordKind::Link,
        marking: Marking::official(),
        summary: role.to_string(),
        subtype: Some(role.to_string()),
        body: json!({"role": role}),
        link: Some(LinkEnds {
            from,
            to,
            role: role.to_string(),
        }),
    }
}

fn create(rec: NewRecord) -> Change {
    Change {
        ops: vec![WriteOp::Insert(rec)],
        audit: audit(AuditAction::Create),
        events: vec![],
    }
}

async fn audit_count(store: &Arc<dyn Store>) -> usize {
    store.audit_entries(0, 100_000).await.unwrap().len()
}

pub async fn create_then_consult_returns_the_record_and_audits_the_view(store: Arc<dyn Store>) {
    let rec = person("Smith");
    let written = store.apply(create(rec.clone())).await.unwrap();
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].version, 1);
    assert_eq!(written[0].created_by, "PC 1234 Jones");

    let before = audit_count(&store).await;
    let got = store
        .consult(rec.id, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap()
        .expect("record exists");
    assert_eq!(got.body, rec.body);
    assert_eq!(got.summary, "SMITH, John");
    assert_eq!(got.kind, RecordKind::Person);
    let entries = store.audit_entries(0, 100).await.unwrap();
    assert_eq!(entries.len(), before + 1, "the view itself is audited");
    let view = &entries.last().unwrap().entry;
    assert_eq!(view.action, AuditAction::View);
    assert_eq!(view.subjects.len(), 1);
    assert_eq!(view.subjects[0].id, rec.id);
    assert_eq!(view.subjects[0].version, 1);
    assert!(
        entries.windows(2).all(|w| w[0].seq < w[1].seq),
        "audit seq increases"
    );
}

pub async fn update_writes_a_new_version_and_keeps_the_old(store: Arc<dyn Store>) {
    let rec = person("Smith");
    store.apply(create(rec.clone())).await.unwrap();
    let updated = store
        .apply(Change {
            ops: vec![WriteOp::Update {
                id: rec.id,
                base_version: 1,
                marking: Marking::official(),
                summary: "SMYTHE, John".into(),
                subtype: None,
                body: json!({"family_name": "Smythe", "given_names": "John"}),
            }],
            audit: audit(AuditAction::Update),
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(updated[0].version, 2);
    let history = store
        .consult_history(rec.id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].version, 1);
    assert_eq!(history[0].change, ChangeKind::Create);
    assert_eq!(history[0].body["family_name"], "Smith");
    assert_eq!(history[1].version, 2);
    assert_eq!(history[1].change, ChangeKind::Update);
    assert_eq!(history[1].body["family_name"], "Smythe");
    assert_eq!(history[1].changed_by, "pc.1234");
    let now = store.load(&[rec.id]).await.unwrap();
    assert_eq!(now[0].summary, "SMYTHE, John");
    assert_eq!(now[0].created_at, t("2026-05-01T10:00:00Z"));
}

pub async fn stale_update_is_refused_and_writes_nothing(store: Arc<dyn Store>) {
    let rec = person("Smith");
    store.apply(create(rec.clone())).await.unwrap();
    let update = |base: Version, name: &str| Change {
        ops: vec![WriteOp::Update {
            id: rec.id,
            base_version: base,
            marking: Marking::official(),
            summary: name.into(),
            subtype: None,
            body: json!({"family_name": name}),
        }],
        audit: audit(AuditAction::Update),
        events: vec![OutboxEvent {
            event_id: Uuid::now_v7(),
            event_type: "pole.person.updated".into(),
            occurred_at: t("2026-05-01T10:00:00Z"),
            payload: json!({}),
        }],
    };
    store.apply(update(1, "A")).await.unwrap();
    let audits = audit_count(&store).await;
    let outbox = store.outbox_pending(1000).await.unwrap().len();
    match store.apply(update(1, "B")).await {
        Err(StoreError::Conflict {
            id,
            expected,
            current,
        }) => {
            assert_eq!(id, rec.id);
            assert_eq!(expected, 1);
            assert_eq!(current, 2);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let now = store.load(&[rec.id]).await.unwrap();
    assert_eq!(now[0].version, 2);
    assert_eq!(now[0].summary, "A");
    assert_eq!(
        audit_count(&store).await,
        audits,
        "no audit row for a refused change"
    );
    assert_eq!(store.outbox_pending(1000).await.unwrap().len(), outbox);
    // Updating a record that does not exist is NotFound, not a conflict.
    let missing = RecordId(Uuid::now_v7());
    let mut change = update(1, "C");
    if let WriteOp::Update { id, .. } = &mut change.ops[0] {
        *id = missing;
    }
    assert!(matches!(store.apply(change).await, Err(StoreError::NotFound(id)) if id == missing));
}

pub async fn link_to_a_missing_record_is_refused_and_writes_nothing(store: Arc<dyn Store>) {
    let p = person("Smith");
    store.apply(create(p.clone())).await.unwrap();
    let audits = audit_count(&store).await;
    let l = link(p.id, RecordId(Uuid::now_v7()), "owner");
    let err = store.apply(create(l.clone())).await.unwrap_err();
    assert!(matches!(err, StoreError::Constraint(_)), "got {err:?}");
    assert!(store.load(&[l.id]).await.unwrap().is_empty());
    assert_eq!(audit_count(&store).await, audits);
}

pub async fn a_change_is_all_or_nothing(store: Arc<dyn Store>) {
    let a = person("Able");
    store.apply(create(a.clone())).await.unwrap();
    let audits = audit_count(&store).await;
    let b = person("Baker");
    // The second insert repeats an existing id, so the whole change must fail.
    let change = Change {
        ops: vec![WriteOp::Insert(b.clone()), WriteOp::Insert(a.clone())],
        audit: audit(AuditAction::Create),
        events: vec![OutboxEvent {
            event_id: Uuid::now_v7(),
            event_type: "pole.person.created".into(),
            occurred_at: t("2026-05-01T10:00:00Z"),
            payload: json!({}),
        }],
    };
    assert!(store.apply(change).await.is_err());
    assert!(
        store.load(&[b.id]).await.unwrap().is_empty(),
        "first insert rolled back"
    );
    assert_eq!(audit_count(&store).await, audits);
    assert!(store.outbox_pending(100).await.unwrap().is_empty());
}

pub async fn links_are_found_from_both_ends_and_unlink_keeps_history(store: Arc<dyn Store>) {
    let p = person("Smith");
    let mut v = person("ignored");
    v.kind = RecordKind::Object;
    v.summary = "Vehicle AB12 CDE".into();
    v.subtype = Some("vehicle".into());
    store.apply(create(p.clone())).await.unwrap();
    store.apply(create(v.clone())).await.unwrap();
    let l = link(p.id, v.id, "owner");
    store.apply(create(l.clone())).await.unwrap();

    let from_person = store
        .consult_with_links(p.id, false, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap()
        .expect("the record exists")
        .1;
    assert_eq!(from_person.len(), 1);
    let rows = store.audit_entries(0, 1000).await.unwrap();
    let shown = &rows.last().unwrap().entry;
    let audited: Vec<_> = shown.subjects.iter().map(|s| s.id).collect();
    assert_eq!(
        audited,
        [p.id, l.id],
        "one audit entry names the record and its links"
    );
    assert!(
        store
            .consult_with_links(
                RecordId(Uuid::now_v7()),
                false,
                &OpenGate,
                audit(AuditAction::View)
            )
            .await
            .unwrap()
            .is_none(),
        "an unknown record is None, not an empty list"
    );
    assert_eq!(from_person[0].other_id, v.id);
    assert_eq!(from_person[0].other_kind, RecordKind::Object);
    assert_eq!(from_person[0].other_summary, "Vehicle AB12 CDE");
    assert!(from_person[0].outgoing);
    let from_vehicle = store
        .consult_with_links(v.id, false, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap()
        .expect("the record exists")
        .1;
    assert_eq!(from_vehicle.len(), 1);
    assert_eq!(from_vehicle[0].other_id, p.id);
    assert!(!from_vehicle[0].outgoing);

    let ended = store
        .apply(Change {
            ops: vec![WriteOp::End {
                id: l.id,
                base_version: 1,
            }],
            audit: audit(AuditAction::Unlink),
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(ended[0].status, RecordStatus::Ended);
    assert_eq!(ended[0].version, 2);
    assert!(
        store
            .consult_with_links(p.id, false, &OpenGate, audit(AuditAction::View))
            .await
            .unwrap()
            .expect("the record exists")
            .1
            .is_empty()
    );
    let all = store
        .consult_with_links(p.id, true, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap()
        .expect("the record exists")
        .1;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].link.status, RecordStatus::Ended);
    let history = store
        .consult_history(l.id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.change).collect::<Vec<_>>(),
        [ChangeKind::Create, ChangeKind::End]
    );
    // Ending an ended link again is a conflict on its version.
    let again = store
        .apply(Change {
            ops: vec![WriteOp::End {
                id: l.id,
                base_version: 1,
            }],
            audit: audit(AuditAction::Unlink),
            events: vec![],
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })));
    // Reopening brings it back in force as a new version; reopening an active one is a
    // conflict.
    let reopened = store
        .apply(Change {
            ops: vec![WriteOp::Reopen {
                id: l.id,
                base_version: 2,
            }],
            audit: audit(AuditAction::Link),
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(reopened[0].status, RecordStatus::Active);
    assert_eq!(reopened[0].version, 3);
    assert_eq!(reopened[0].body, l.body);
    let history = store
        .consult_history(l.id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.change).collect::<Vec<_>>(),
        [ChangeKind::Create, ChangeKind::End, ChangeKind::Update]
    );
    let twice = store
        .apply(Change {
            ops: vec![WriteOp::Reopen {
                id: l.id,
                base_version: 3,
            }],
            audit: audit(AuditAction::Link),
            events: vec![],
        })
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict { .. })));
    assert_eq!(
        store
            .consult_with_links(p.id, false, &OpenGate, audit(AuditAction::View))
            .await
            .unwrap()
            .expect("the record exists")
            .1
            .len(),
        1
    );
}

pub async fn outbox_events_are_written_with_the_change_and_delivered_once(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..3 {
        let rec = person(&format!("Person{i}"));
        let event_id = Uuid::now_v7();
        ids.push(event_id);
        store
            .apply(Change {
                ops: vec![WriteOp::Insert(rec)],
                audit: audit(AuditAction::Create),
                events: vec![OutboxEvent {
                    event_id,
                    event_type: "pole.person.created".into(),
                    occurred_at: t("2026-05-01T10:00:00.123Z"),
                    payload: json!({"eventType": "pole.person.created", "n": i}),
                }],
            })
            .await
            .unwrap();
    }
    assert_eq!(store.outbox_backlog(1000).await.unwrap(), 3);
    assert_eq!(
        store.outbox_backlog(2).await.unwrap(),
        2,
        "the count stops at the cap"
    );
    let pending = store.outbox_pending(2).await.unwrap();
    assert_eq!(pending.len(), 2, "limit respected");
    assert_eq!(pending[0].event.event_id, ids[0], "oldest first");
    assert_eq!(pending[0].event.payload["n"], 0);
    assert_eq!(pending[0].event.occurred_at, t("2026-05-01T10:00:00.123Z"));
    store
        .outbox_mark_delivered(&pending.iter().map(|r| r.seq).collect::<Vec<_>>())
        .await
        .unwrap();
    let rest = store.outbox_pending(100).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].event.event_id, ids[2]);
    store.outbox_mark_delivered(&[rest[0].seq]).await.unwrap();
    assert!(store.outbox_pending(100).await.unwrap().is_empty());
    assert_eq!(store.outbox_backlog(1000).await.unwrap(), 0);
}

pub async fn list_filters_pages_and_counts_agree(store: Arc<dyn Store>) {
    let names = [
        "Smith", "Smyth", "Jones", "Łukasz", "smart", "Brown", "100%_x",
    ];
    for n in names {
        store.apply(create(person(n))).await.unwrap();
    }
    let mut secret = person("Smithson");
    secret.marking = Marking::new(Classification::Secret, vec![], vec![]);
    store.apply(create(secret)).await.unwrap();

    let mut q = ListQuery::new(RecordKind::Person);
    q.per_page = 3;
    let p1 = store
        .consult_list(q.clone(), audit(AuditAction::List))
        .await
        .unwrap();
    assert_eq!(p1.total, 8);
    assert_eq!(p1.items.len(), 3);
    let summaries: Vec<_> = p1.items.iter().map(|r| r.summary.as_str()).collect();
    assert_eq!(summaries, ["100%_X, John", "BROWN, John", "JONES, John"]);
    q.page = 3;
    let p3 = store
        .consult_list(q.clone(), audit(AuditAction::List))
        .await
        .unwrap();
    assert_eq!(p3.items.len(), 2);
    assert_eq!(p3.total, 8);

    let mut sm = ListQuery::new(RecordKind::Person);
    sm.summary_prefix = Some("sm".into());
    let found = store
        .consult_list(sm.clone(), audit(AuditAction::List))
        .await
        .unwrap();
    assert_eq!(
        found.total, 4,
        "Smith, Smyth, smart, Smithson; case-insensitive"
    );
    sm.visibility = Some(Visibility {
        max_rank: Classification::OfficialSensitive.rank(),
        compartments: vec![],
        unit: "CID".into(),
        user_id: "pc.1234".into(),
        supervisor: false,
    });
    let found = store
        .consult_list(sm, audit(AuditAction::List))
        .await
        .unwrap();
    assert_eq!(
        found.total, 3,
        "the SECRET record is filtered out of the total too"
    );

    let mut uni = ListQuery::new(RecordKind::Person);
    uni.summary_prefix = Some("łuk".into());
    assert_eq!(
        store
            .consult_list(uni, audit(AuditAction::List))
            .await
            .unwrap()
            .total,
        1
    );
    let mut wild = ListQuery::new(RecordKind::Person);
    wild.summary_prefix = Some("100%_".into());
    assert_eq!(
        store
            .consult_list(wild, audit(AuditAction::List))
            .await
            .unwrap()
            .total,
        1,
        "LIKE wildcards in the filter are literal"
    );

    let list_audit = store.audit_entries(0, 1000).await.unwrap();
    let last = &list_audit.last().unwrap().entry;
    assert_eq!(last.action, AuditAction::List);
    assert_eq!(last.subjects.len(), 1, "the ids returned are audited");

    let counts = store.counts().await.unwrap();
    assert_eq!(counts.persons, 8);
    assert_eq!(counts.objects, 0);
    assert!(
        store
            .consult_list(ListQuery::new(RecordKind::Event), audit(AuditAction::List))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

pub async fn consulting_a_missing_record_is_audited_as_failed(store: Arc<dyn Store>) {
    let id = RecordId(Uuid::now_v7());
    assert!(
        store
            .consult(id, &OpenGate, audit(AuditAction::View))
            .await
            .unwrap()
            .is_none()
    );
    let entries = store.audit_entries(0, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].entry.outcome, AuditOutcome::Failed);
    assert_eq!(entries[0].entry.details["requested_id"], id.to_string());
}

pub async fn audit_subjects_name_the_versions_written(store: Arc<dyn Store>) {
    let a = person("Able");
    let b = person("Baker");
    let mut entry = audit(AuditAction::Create);
    entry.details = json!({"reason": "test"});
    store
        .apply(Change {
            ops: vec![WriteOp::Insert(a.clone()), WriteOp::Insert(b.clone())],
            audit: entry.clone(),
            events: vec![],
        })
        .await
        .unwrap();
    let rows = store.audit_entries(0, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    let got = &rows[0].entry;
    assert_eq!(got.id, entry.id);
    assert_eq!(got.at, entry.at);
    assert_eq!(got.actor, entry.actor);
    assert_eq!(got.context, entry.context);
    assert_eq!(got.details, json!({"reason": "test"}));
    let subjects: Vec<_> = got.subjects.iter().map(|s| (s.id, s.version)).collect();
    assert_eq!(subjects, [(a.id, 1), (b.id, 1)]);
    let history = store
        .consult_history(a.id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(
        history[0].audit_id, entry.id,
        "each version names its audit entry"
    );
    assert_eq!(
        store.audit_entries(rows[0].seq, 10).await.unwrap().len(),
        1,
        "after is exclusive"
    );
}

pub async fn marking_round_trips_exactly(store: Arc<dyn Store>) {
    let mut rec = person("Covert");
    rec.marking = Marking::new(
        Classification::OfficialSensitive,
        vec![
            Compartment::parse("OP-KESTREL").unwrap(),
            Compartment::parse("PSD").unwrap(),
        ],
        vec![HandlingCaveat::parse("UK EYES ONLY").unwrap()],
    );
    store.apply(create(rec.clone())).await.unwrap();
    let got = store
        .consult(rec.id, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.marking, rec.marking);
    let rows = store.audit_entries(0, 10).await.unwrap();
    assert_eq!(
        rows.last().unwrap().entry.subjects[0].classification,
        Classification::OfficialSensitive
    );
}

pub async fn bulk_change_writes_every_record(store: Arc<dyn Store>) {
    let recs: Vec<NewRecord> = (0..2_500).map(|i| person(&format!("Bulk{i:05}"))).collect();
    let mut ops: Vec<WriteOp> = recs.iter().cloned().map(WriteOp::Insert).collect();
    ops.push(WriteOp::Insert(link(
        recs[0].id,
        recs[1].id,
        "associate_of",
    )));
    let events = recs
        .iter()
        .map(|r| OutboxEvent {
            event_id: Uuid::now_v7(),
            event_type: "pole.person.created".into(),
            occurred_at: t("2026-05-01T10:00:00Z"),
            payload: json!({"id": r.id.to_string()}),
        })
        .collect();
    let written = store
        .apply(Change {
            ops,
            audit: audit(AuditAction::BulkCreate),
            events,
        })
        .await
        .unwrap();
    assert_eq!(written.len(), 2_501);
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.persons, 2_500);
    assert_eq!(counts.links, 1);
    assert_eq!(store.outbox_pending(10_000).await.unwrap().len(), 2_500);
    let loaded = store.load(&[recs[1234].id, recs[2499].id]).await.unwrap();
    assert_eq!(loaded.len(), 2);
    let h = store
        .consult_history(recs[42].id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(h.len(), 1);
}

pub async fn version_consultation_returns_the_past(store: Arc<dyn Store>) {
    let rec = person("Before");
    store.apply(create(rec.clone())).await.unwrap();
    store
        .apply(change(vec![update(
            rec.id,
            1,
            "After",
            Classification::OfficialSensitive,
        )]))
        .await
        .unwrap();
    let v1 = store
        .consult_version(rec.id, 1, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1.summary, "BEFORE, John");
    assert_eq!(v1.marking.classification, Classification::Official);
    assert!(
        store
            .consult_version(rec.id, 3, &OpenGate, audit(AuditAction::View))
            .await
            .unwrap()
            .is_none()
    );
}

fn update(id: RecordId, base_version: Version, family: &str, class: Classification) -> WriteOp {
    WriteOp::Update {
        id,
        base_version,
        marking: Marking::new(class, vec![], vec![]),
        summary: format!("{}, John", family.to_uppercase()),
        subtype: None,
        body: json!({"family_name": family}),
    }
}

fn change(ops: Vec<WriteOp>) -> Change {
    Change {
        ops,
        audit: audit(AuditAction::Update),
        events: vec![],
    }
}

/// After an upgrade through migration 0007: the person `id`, written by the adapter's test
/// as the store wrote it before 0007 (family name "Old", summary "OLD, John", version 1 by
/// "PC 1 Old", its content in both `records` and its version row), is updated, and its
/// history reads both versions with their own content. Each adapter writes the old rows in
/// its own SQL and then calls this.
pub async fn a_record_from_before_0007_keeps_its_history(store: &dyn Store, id: RecordId) {
    store
        .apply(change(vec![update(id, 1, "New", Classification::Official)]))
        .await
        .unwrap();
    let history = store
        .consult_history(id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    let families: Vec<_> = history
        .iter()
        .map(|v| (v.version, v.summary.as_str(), v.body["family_name"].clone()))
        .collect();
    assert_eq!(
        families,
        vec![
            (1, "OLD, John", json!("Old")),
            (2, "NEW, John", json!("New"))
        ]
    );
    assert_eq!(history[0].changed_by_name, "PC 1 Old");
}

/// Migration 0009: the database itself refuses to rewrite or delete a version row. `sql`
/// runs one statement directly on the adapter's database (as a person with a database
/// client would) and returns the database's error text. The one change allowed, the current
/// version's row receiving the record's content once (0007), still works.
pub async fn version_rows_are_written_once(
    store: &dyn Store,
    sql: impl AsyncFn(String) -> Result<(), String>,
) {
    let a = person("One");
    let id = a.id;
    store.apply(create(a)).await.unwrap();
    store
        .apply(change(vec![update(id, 1, "Two", Classification::Official)]))
        .await
        .unwrap();
    // Version 1 is superseded (it has its own content); version 2 is current (its content
    // is the record's).
    let fill = |summary: &str| {
        format!(
            "UPDATE record_versions SET marking = (SELECT marking FROM records WHERE id = '{id}'), \
             summary = {summary}, body = (SELECT body FROM records WHERE id = '{id}') \
             WHERE record_id = '{id}' AND version = 2"
        )
    };
    let refused = [
        format!(
            "UPDATE record_versions SET summary = 'REWRITTEN' WHERE record_id = '{id}' AND version = 1"
        ),
        format!(
            "UPDATE record_versions SET changed_by_name = 'Someone Else' \
             WHERE record_id = '{id}' AND version = 2"
        ),
        fill("'NOT THE RECORD''S SUMMARY'"),
        format!("DELETE FROM record_versions WHERE record_id = '{id}'"),
        // Moving the record on before version 2's content is kept would lose it.
        format!("UPDATE records SET version = 3 WHERE id = '{id}'"),
    ];
    for statement in refused {
        match sql(statement.clone()).await {
            Ok(()) => panic!("the database let through: {statement}"),
            Err(e) => assert!(e.contains("record_versions"), "{statement}: {e}"),
        }
    }
    let current = format!("(SELECT summary FROM records WHERE id = '{id}')");
    sql(fill(&current)).await.unwrap();
    assert!(sql(fill(&current)).await.is_err(), "filled twice");
    // The store goes on as before, and history reads every version's own content.
    store
        .apply(change(vec![update(
            id,
            2,
            "Three",
            Classification::Official,
        )]))
        .await
        .unwrap();
    let history = store
        .consult_history(id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    let summaries: Vec<&str> = history.iter().map(|v| v.summary.as_str()).collect();
    assert_eq!(summaries, ["ONE, John", "TWO, John", "THREE, John"]);
}

/// A record's current content is stored once (migration 0007): whatever changes follow, and
/// however they are grouped, every version read back is the content it was written with.
pub async fn every_version_keeps_its_own_content(store: Arc<dyn Store>) {
    use Classification::{Official, OfficialSensitive};
    let a = person("One");
    let b = person("Alpha");
    // b is created and changed twice in the same change as a's first update.
    store.apply(create(a.clone())).await.unwrap();
    store
        .apply(change(vec![
            update(a.id, 1, "Two", OfficialSensitive),
            WriteOp::Insert(b.clone()),
            update(b.id, 1, "Beta", OfficialSensitive),
            update(b.id, 2, "Gamma", Official),
        ]))
        .await
        .unwrap();
    // A refused change leaves everything as it was.
    let stale = store
        .apply(change(vec![update(a.id, 1, "Stale", Official)]))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    store
        .apply(change(vec![WriteOp::End {
            id: a.id,
            base_version: 2,
        }]))
        .await
        .unwrap();
    store
        .apply(change(vec![WriteOp::Reopen {
            id: a.id,
            base_version: 3,
        }]))
        .await
        .unwrap();
    store
        .apply(change(vec![update(a.id, 4, "Five", Official)]))
        .await
        .unwrap();

    let seen = |versions: Vec<RecordVersion>| {
        versions
            .into_iter()
            .map(|v| {
                (
                    v.version,
                    v.body["family_name"].as_str().unwrap_or("").to_string(),
                    v.summary,
                    v.marking.classification,
                    v.status,
                )
            })
            .collect::<Vec<_>>()
    };
    let row = |v: Version, f: &str, c: Classification, s: RecordStatus| {
        (
            v,
            f.to_string(),
            format!("{}, John", f.to_uppercase()),
            c,
            s,
        )
    };
    let history = store
        .consult_history(a.id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(
        seen(history),
        vec![
            row(1, "One", Official, RecordStatus::Active),
            row(2, "Two", OfficialSensitive, RecordStatus::Active),
            row(3, "Two", OfficialSensitive, RecordStatus::Ended),
            row(4, "Two", OfficialSensitive, RecordStatus::Active),
            row(5, "Five", Official, RecordStatus::Active),
        ]
    );
    let history = store
        .consult_history(b.id, &OpenGate, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(
        seen(history),
        vec![
            row(1, "Alpha", Official, RecordStatus::Active),
            row(2, "Beta", OfficialSensitive, RecordStatus::Active),
            row(3, "Gamma", Official, RecordStatus::Active),
        ]
    );
    // One version at a time reads the same as the history.
    for (v, family) in [(1, "One"), (2, "Two"), (5, "Five")] {
        let got = store
            .consult_version(a.id, v, &OpenGate, audit(AuditAction::View))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.body["family_name"], family, "version {v}");
    }
    // Inserts on either side of a change to another record each keep their own content.
    let (c, d, e) = (person("Cee"), person("Dee"), person("Ee"));
    store
        .apply(change(vec![
            WriteOp::Insert(c.clone()),
            WriteOp::Insert(d.clone()),
            update(a.id, 5, "Six", Official),
            WriteOp::Insert(e.clone()),
        ]))
        .await
        .unwrap();
    let loaded = store.load(&[c.id, d.id, e.id, a.id]).await.unwrap();
    let mut families: Vec<_> = loaded
        .iter()
        .map(|r| r.body["family_name"].as_str().unwrap_or("").to_string())
        .collect();
    families.sort();
    assert_eq!(families, ["Cee", "Dee", "Ee", "Six"]);
}

pub async fn concurrent_changes_fail_alone(store: Arc<dyn Store>) {
    // Many changes at once (they may be committed together); one of them is refused. It must
    // fail alone, and every other change must be written and audited.
    let anchor = person("Anchor");
    store.apply(create(anchor.clone())).await.unwrap();
    let audits = audit_count(&store).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let rec = if i == 17 {
            link(anchor.id, RecordId(Uuid::now_v7()), "owner") // the missing end: refused
        } else {
            person(&format!("Concurrent{i}"))
        };
        tasks.push(tokio::spawn(async move { store.apply(create(rec)).await }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Constraint(_)) => refused += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!((ok, refused), (39, 1));
    assert_eq!(store.counts().await.unwrap().persons, 40);
    assert_eq!(store.counts().await.unwrap().links, 0);
    assert_eq!(audit_count(&store).await, audits + 39);
}

pub async fn delivered_outbox_events_are_pruned_and_pending_ones_kept(store: Arc<dyn Store>) {
    for i in 0..3 {
        store
            .apply(Change {
                ops: vec![WriteOp::Insert(person(&format!("Outbox{i}")))],
                audit: audit(AuditAction::Create),
                events: vec![OutboxEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "pole.person.created".into(),
                    occurred_at: t("2026-05-01T10:00:00Z"),
                    payload: json!({}),
                }],
            })
            .await
            .unwrap();
    }
    let pending = store.outbox_pending(10).await.unwrap();
    store
        .outbox_mark_delivered(&[pending[0].seq, pending[1].seq])
        .await
        .unwrap();
    // Delivered "now" (the database clock), so a cutoff in the past prunes nothing...
    assert_eq!(
        store.outbox_prune(t("2000-01-01T00:00:00Z")).await.unwrap(),
        0
    );
    // ...and a cutoff in the future prunes exactly the delivered ones.
    assert_eq!(
        store.outbox_prune(t("2999-01-01T00:00:00Z")).await.unwrap(),
        2
    );
    let left = store.outbox_pending(10).await.unwrap();
    assert_eq!(left.len(), 1, "an undelivered event is never pruned");
    assert_eq!(left[0].seq, pending[2].seq);
}

pub async fn list_totals_are_counted_up_to_the_cap(store: Arc<dyn Store>) {
    let n = COUNT_CAP as usize + 5;
    let ops = (0..n)
        .map(|i| WriteOp::Insert(person(&format!("Many{i:05}"))))
        .collect();
    store
        .apply(Change {
            ops,
            audit: audit(AuditAction::BulkCreate),
            events: vec![],
        })
        .await
        .unwrap();
    let page = store
        .consult_list(ListQuery::new(RecordKind::Person), audit(AuditAction::List))
        .await
        .unwrap();
    assert_eq!(page.total, COUNT_CAP);
    assert!(!page.total_exact, "more than the cap match");
    let mut q = ListQuery::new(RecordKind::Person);
    q.summary_prefix = Some("many0000".into());
    let page = store
        .consult_list(q, audit(AuditAction::List))
        .await
        .unwrap();
    assert_eq!(
        (page.total, page.total_exact),
        (10, true),
        "Many00000 to Many00009"
    );
    assert_eq!(page.items[0].summary, "MANY00000, John");
}

/// Markings covering every branch of `Visibility::allows`.
fn visibility_markings() -> Vec<Marking> {
    let comp = |c: &str| Compartment::parse(c).unwrap();
    let unit = |u: &str| Unit::parse(u).unwrap();
    let mut out = vec![];
    for class in Classification::ALL {
        for comps in [
            vec![],
            vec![comp("OP-KESTREL")],
            vec![comp("OP-KESTREL"), comp("PSD")],
        ] {
            out.push(Marking::new(class, comps.clone(), vec![]));
            for r in [
                Restriction {
                    teams: vec![unit("MIT")],
                    ..Default::default()
                },
                Restriction {
                    officers: vec!["pc.1234".into()],
                    ..Default::default()
                },
                Restriction {
                    officers: vec!["dc.9".into()],
                    officer_units: vec![unit("CID")],
                    ..Default::default()
                },
                Restriction::default(),
            ] {
                out.push(Marking::new(class, comps.clone(), vec![]).with_restriction(Some(r)));
            }
        }
    }
    out
}

pub async fn list_visibility_in_sql_agrees_with_the_predicate(store: Arc<dyn Store>) {
    let markings = visibility_markings();
    let mut by_summary = std::collections::HashMap::new();
    let mut ops = vec![];
    for (i, m) in markings.iter().enumerate() {
        let mut rec = person(&format!("Vis{i:03}"));
        rec.marking = m.clone();
        by_summary.insert(rec.summary.clone(), m.clone());
        ops.push(WriteOp::Insert(rec));
    }
    store
        .apply(Change {
            ops,
            audit: audit(AuditAction::BulkCreate),
            events: vec![],
        })
        .await
        .unwrap();
    let viewers = [
        (1, vec![], "CID", "pc.1234", false),
        (2, vec!["OP-KESTREL"], "MIT", "dc.77", false),
        (3, vec!["OP-KESTREL", "PSD"], "CID", "ds.5", true),
        (3, vec!["PSD"], "ROADS", "pc.1234", true),
    ];
    for (rank, comps, unit, user, supervisor) in viewers {
        let v = Visibility {
            max_rank: rank,
            compartments: comps.iter().map(|c| c.to_string()).collect(),
            unit: unit.into(),
            user_id: user.into(),
            supervisor,
        };
        let mut q = ListQuery::new(RecordKind::Person);
        q.summary_prefix = Some("vis".into());
        q.per_page = 500;
        q.visibility = Some(v.clone());
        let page = store
            .consult_list(q, audit(AuditAction::List))
            .await
            .unwrap();
        let mut got: Vec<String> = page.items.iter().map(|r| r.summary.clone()).collect();
        got.sort();
        let mut want: Vec<String> = by_summary
            .iter()
            .filter(|(_, m)| v.allows(m))
            .map(|(s, _)| s.clone())
            .collect();
        want.sort();
        assert_eq!(got, want, "viewer {v:?}");
        assert_eq!(
            page.total as usize,
            want.len(),
            "the total counts only visible records"
        );
        assert!(
            !want.is_empty() && want.len() < markings.len(),
            "a meaningful split for {v:?}"
        );
    }
}

/// Refuses anything above OFFICIAL, as a user cleared only to OFFICIAL would be.
struct OfficialOnly;

impl Gate for OfficialOnly {
    fn check(&self, _kind: RecordKind, marking: &Marking) -> GateDecision {
        if marking.classification == Classification::Official {
            GateDecision {
                allowed: true,
                policies: vec!["test.permit".into()],
            }
        } else {
            GateDecision {
                allowed: false,
                policies: vec!["test.clearance".into()],
            }
        }
    }
}

pub async fn a_refused_consultation_is_audited_and_returns_nothing(store: Arc<dyn Store>) {
    let mut rec = person("Hidden");
    rec.marking = Marking::new(Classification::Secret, vec![], vec![]);
    store.apply(create(rec.clone())).await.unwrap();
    let before = audit_count(&store).await;
    let got = store
        .consult(rec.id, &OfficialOnly, audit(AuditAction::View))
        .await
        .unwrap();
    assert!(got.is_none(), "a refused record is not returned");
    let rows = store.audit_entries(0, 100_000).await.unwrap();
    assert_eq!(rows.len(), before + 1, "the refusal is audited");
    let entry = &rows.last().unwrap().entry;
    assert_eq!(entry.outcome, AuditOutcome::Denied);
    assert_eq!(entry.subjects[0].id, rec.id);
    assert_eq!(
        entry.details["decision"]["policies"],
        json!(["test.clearance"])
    );
    assert!(
        store
            .consult_with_links(rec.id, true, &OfficialOnly, audit(AuditAction::View))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .consult_history(rec.id, &OfficialOnly, audit(AuditAction::ViewHistory))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .consult_version(rec.id, 1, &OfficialOnly, audit(AuditAction::View))
            .await
            .unwrap()
            .is_none()
    );
    let allowed = store
        .consult(rec.id, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap();
    assert!(allowed.is_some());
    let entry = store
        .audit_entries(0, 100_000)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .entry;
    assert_eq!(entry.outcome, AuditOutcome::Success);
    assert_eq!(entry.details["decision"]["allowed"], json!(true));
}

pub async fn links_and_versions_the_gate_refuses_are_left_out(store: Arc<dyn Store>) {
    let p = person("Open");
    let mut secret = person("Secret");
    secret.marking = Marking::new(Classification::Secret, vec![], vec![]);
    let other = person("Other");
    let to_secret = link(p.id, secret.id, "associate_of");
    let mut secret_link = link(p.id, other.id, "associate_of");
    secret_link.marking = Marking::new(Classification::Secret, vec![], vec![]);
    let shown = link(p.id, other.id, "sibling_of");
    store
        .apply(Change {
            ops: [
                p.clone(),
                secret,
                other,
                to_secret,
                secret_link,
                shown.clone(),
            ]
            .into_iter()
            .map(WriteOp::Insert)
            .collect(),
            audit: audit(AuditAction::Create),
            events: vec![],
        })
        .await
        .unwrap();
    let (_, links) = store
        .consult_with_links(p.id, true, &OfficialOnly, audit(AuditAction::View))
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<RecordId> = links.iter().map(|l| l.link.id).collect();
    assert_eq!(
        ids,
        vec![shown.id],
        "a link to a SECRET record and a SECRET link are hidden"
    );
    let entry = store
        .audit_entries(0, 100_000)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .entry;
    let subjects: Vec<RecordId> = entry.subjects.iter().map(|s| s.id).collect();
    assert_eq!(
        subjects,
        vec![p.id, shown.id],
        "the audit names only what was shown"
    );

    // A record raised to SECRET: its history and its old OFFICIAL version are refused.
    store
        .apply(Change {
            ops: vec![WriteOp::Update {
                id: p.id,
                base_version: 1,
                marking: Marking::new(Classification::Secret, vec![], vec![]),
                summary: p.summary.clone(),
                subtype: None,
                body: p.body.clone(),
            }],
            audit: audit(AuditAction::Update),
            events: vec![],
        })
        .await
        .unwrap();
    assert!(
        store
            .consult_history(p.id, &OfficialOnly, audit(AuditAction::ViewHistory))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .consult_version(p.id, 1, &OfficialOnly, audit(AuditAction::View))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .consult_history(p.id, &OpenGate, audit(AuditAction::ViewHistory))
            .await
            .unwrap()
            .len(),
        2
    );
}

fn account(name: &str) -> UserAccount {
    UserAccount {
        principal: bluelamp_domain::Principal {
            username: bluelamp_domain::Username::parse(name).unwrap(),
            display_name: format!("PC {name}"),
            roles: [bluelamp_domain::Role::Officer].into(),
            unit: Unit::parse("CID").unwrap(),
            clearance: Classification::OfficialSensitive,
            compartments: [Compartment::parse("OP-KESTREL").unwrap()].into(),
        },
        rank: "PC".into(),
        number: "4721".into(),
        version: 0,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        disabled: false,
        failed_sign_ins: vec![],
        locked_at: None,
        last_sign_in_at: None,
        created_at: t("2026-05-01T10:00:00Z"),
        updated_at: t("2026-05-01T10:00:00Z"),
        totp: None,
        recovery_codes: vec![],
        passkeys: vec![],
    }
}

fn session(name: &str, secret_hash: &str) -> Session {
    Session {
        id_hash: secret_hash.into(),
        kind: SessionKind::Browser,
        username: bluelamp_domain::Username::parse(name).unwrap(),
        csrf_token: "csrf".into(),
        label: String::new(),
        scopes: vec![],
        created_at: t("2026-05-01T10:00:00Z"),
        last_seen_at: t("2026-05-01T10:00:00Z"),
        expires_at: t("2026-05-01T22:00:00Z"),
        ended_at: None,
        source_address: Some("127.0.0.1".into()),
        user_agent: None,
    }
}

pub async fn directory_users_and_sessions(store: Arc<dyn Store>) {
    let before = audit_count(&store).await;
    let put = |account: UserAccount, base_version| DirectoryChange {
        ops: vec![DirectoryOp::PutUser {
            account: Box::new(account),
            base_version,
        }],
        audit: Some(audit(AuditAction::Create)),
    };
    let done = store
        .directory_apply(put(account("pc4721"), None))
        .await
        .unwrap();
    assert_eq!(done.users[0].version, 1);
    assert_eq!(
        audit_count(&store).await,
        before + 1,
        "the user change is audited"
    );
    let err = store
        .directory_apply(put(account("pc4721"), None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Constraint(ref m) if m.contains("already taken")),
        "{err}"
    );
    let got = store
        .user(&bluelamp_domain::Username::parse("pc4721").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.principal,
        account("pc4721").principal,
        "the account round-trips"
    );
    assert_eq!(got.password_hash, account("pc4721").password_hash);

    let mut changed = got.clone();
    changed.rank = "DC".into();
    assert_eq!(
        store
            .directory_apply(put(changed.clone(), Some(1)))
            .await
            .unwrap()
            .users[0]
            .version,
        2
    );
    let stale = store
        .directory_apply(put(changed.clone(), Some(1)))
        .await
        .unwrap_err();
    assert!(
        matches!(stale, StoreError::Constraint(ref m) if m.contains("has changed")),
        "{stale}"
    );
    assert_eq!(
        audit_count(&store).await,
        before + 2,
        "a refused change writes no audit entry"
    );

    store
        .directory_apply(put(account("dc0101"), None))
        .await
        .unwrap();
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .iter()
        .map(|u| u.principal.username.to_string())
        .collect();
    assert_eq!(names, ["dc0101", "pc4721"]);

    // Sessions: create, touch, end one, then disabling the user ends the rest at once.
    for h in ["h1", "h2", "h3"] {
        store
            .directory_apply(DirectoryChange {
                ops: vec![DirectoryOp::CreateSession(Box::new(session("pc4721", h)))],
                audit: Some(audit(AuditAction::Create)),
            })
            .await
            .unwrap();
    }
    store
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::TouchSession {
                id_hash: "h1".into(),
                at: t("2026-05-01T10:20:00Z"),
            }],
            audit: None,
        })
        .await
        .unwrap();
    let s1 = store.session("h1").await.unwrap().unwrap();
    assert_eq!(s1.last_seen_at, t("2026-05-01T10:20:00Z"));
    assert_eq!(s1.ended_at, None);
    let ended = store
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::EndSession {
                id_hash: "h1".into(),
                at: t("2026-05-01T10:30:00Z"),
            }],
            audit: Some(audit(AuditAction::Update)),
        })
        .await
        .unwrap();
    assert_eq!(ended.sessions_ended, 1);
    assert_eq!(
        store.session("h1").await.unwrap().unwrap().ended_at,
        Some(t("2026-05-01T10:30:00Z"))
    );
    let mut disabled = store
        .user(&bluelamp_domain::Username::parse("pc4721").unwrap())
        .await
        .unwrap()
        .unwrap();
    disabled.disabled = true;
    disabled.updated_at = t("2026-05-01T11:00:00Z");
    let done = store.directory_apply(put(disabled, Some(2))).await.unwrap();
    assert_eq!(
        done.sessions_ended, 2,
        "disabling a user ends all their open sessions"
    );
    for h in ["h2", "h3"] {
        assert_eq!(
            store.session(h).await.unwrap().unwrap().ended_at,
            Some(t("2026-05-01T11:00:00Z"))
        );
    }
    assert!(store.session("nope").await.unwrap().is_none());
}

/// `audit_unsequenced(limit)`, asked again for up to ten seconds until it returns at least
/// `want` rows.
async fn unsequenced_at_least(store: &dyn Store, limit: u32, want: usize) -> Vec<AuditRow> {
    for _ in 0..100 {
        let rows = store.audit_unsequenced(limit).await.unwrap();
        if rows.len() >= want {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.audit_unsequenced(limit).await.unwrap()
}

pub async fn audit_records_are_sequenced_once_with_their_checkpoint(store: Arc<dyn Store>) {
    for _ in 0..5 {
        store.audit_only(audit(AuditAction::View)).await.unwrap();
    }
    // On PostgreSQL a record becomes sequenceable once every transaction that began
    // before its own has finished, in any database of the cluster: other tests running
    // beside this one may hold it back for a moment.
    let rows = unsequenced_at_least(store.as_ref(), 3, 3).await;
    assert_eq!(rows.len(), 3, "oldest first, up to the limit");
    assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq));
    let leaves: Vec<LeafRow> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| LeafRow {
            leaf_index: i as i64,
            seq: r.seq,
            leaf_hash: format!("{:064x}", i),
        })
        .collect();
    let cp = CheckpointRow {
        tree_size: 3,
        root: "ab".repeat(32),
        at: t("2026-05-01T10:00:00.123456Z"),
        key_id: "0011223344556677".into(),
        signature: "c2ln".into(),
        frontier: json!({"size": 3, "peaks": [[1, "aa"], [0, "bb"]]}),
    };
    store
        .audit_append(leaves.clone(), cp.clone())
        .await
        .unwrap();
    assert!(
        store
            .audit_append(leaves.clone(), cp.clone())
            .await
            .is_err(),
        "positions are taken once"
    );
    assert_eq!(store.audit_checkpoints().await.unwrap(), vec![cp]);
    let got = store.audit_leaves(0, 10).await.unwrap();
    assert_eq!(
        got.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>(),
        leaves
    );
    assert_eq!(
        got[1].1.as_ref().unwrap().entry,
        rows[1].entry,
        "each leaf comes with its record"
    );
    let rest = unsequenced_at_least(store.as_ref(), 100, 2).await;
    assert_eq!(rest.len(), 2, "only the records without a place remain");
    assert!(rest[0].seq > rows[2].seq);
    assert!(
        store
            .audit_unsequenced_before(rows[2].seq, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Consultations' audit rows queued together are written together (one statement on both
/// adapters); a row that cannot be written (here a second entry with the same id) must fail
/// its own consultation only, and the rest must be kept, in the order they came.
pub async fn consultations_audited_together_fail_alone(store: Arc<dyn Store>) {
    let entries: Vec<AuditEntry> = (0..6)
        .map(|i| audit(AuditAction::View).with_details(json!({ "n": i })))
        .collect();
    let mut queued = entries.clone();
    queued.insert(3, entries[1].clone());
    // Spawned together on the test's one-thread runtime, they all reach the adapter's queue
    // before its writer wakes, so they share a group.
    let handles: Vec<_> = queued
        .into_iter()
        .map(|e| {
            let s = store.clone();
            tokio::spawn(async move { s.audit_only(e).await })
        })
        .collect();
    let mut failed = Vec::new();
    for (i, h) in handles.into_iter().enumerate() {
        if h.await.unwrap().is_err() {
            failed.push(i);
        }
    }
    assert_eq!(failed, [3], "only the duplicate fails");
    let kept = store.audit_entries(0, 100).await.unwrap();
    let ids: Vec<_> = kept.iter().map(|r| r.entry.id).collect();
    let expected: Vec<_> = entries.iter().map(|e| e.id).collect();
    assert_eq!(ids, expected);
}

/// Every version a change writes is named in its audit record with the hash of its content,
/// and that hash is what the record as stored (and read back: PostgreSQL's JSONB reorders
/// keys and re-prints numbers) hashes to. A consultation names the version shown, no hash.
pub async fn written_versions_carry_the_hash_of_their_stored_content(store: Arc<dyn Store>) {
    let mut a = person("Hash");
    // Keys out of order, nesting, floats, unicode, an empty array: what JSONB may reorder or
    // re-print.
    a.body = json!({"z": 1, "given_names": "Zoë", "family_name": "Hash",
        "at": {"lat": 51.501364, "lon": -0.14189, "alt": 1e-7}, "aliases": [], "n": 12345678901i64,
        "zero": -0.0, "big": 1e16, "third": 1.0 / 3.0});
    let b = person("Other");
    let l = link(a.id, b.id, "associate_of");
    store
        .apply(change(vec![
            WriteOp::Insert(a.clone()),
            WriteOp::Insert(b.clone()),
            WriteOp::Insert(l.clone()),
        ]))
        .await
        .unwrap();
    for op in [
        update(b.id, 1, "Other", Classification::Official),
        WriteOp::End {
            id: l.id,
            base_version: 1,
        },
    ] {
        store.apply(change(vec![op])).await.unwrap();
    }
    store
        .consult(a.id, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap();
    let rows = store.audit_entries(0, 100).await.unwrap();
    let mut latest: std::collections::HashMap<RecordId, (Version, String)> = Default::default();
    for row in &rows[..rows.len() - 1] {
        for s in &row.entry.subjects {
            let hash = s
                .content
                .clone()
                .expect("a version written names its content");
            latest.insert(s.id, (s.version, hash));
        }
    }
    assert!(
        rows.last().unwrap().entry.subjects[0].content.is_none(),
        "a consultation names no content"
    );
    assert_eq!(latest.len(), 3);
    for rec in store.load(&[a.id, b.id, l.id]).await.unwrap() {
        let (version, hash) = &latest[&rec.id];
        assert_eq!(rec.version, *version);
        assert_eq!(
            &crate::support::content_hash(&rec).unwrap(),
            hash,
            "{:?} hashes as written",
            rec.kind
        );
    }
    assert_eq!(latest[&b.id].0, 2);
    assert_eq!(latest[&l.id].0, 2, "ending a link writes a version too");
}

pub async fn references_count_up_once_per_scope(store: Arc<dyn Store>) {
    let scope = format!("conformance:{}", Uuid::now_v7());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let scope = scope.clone();
        tasks.push(tokio::spawn(
            async move { store.next_reference(&scope).await },
        ));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap().unwrap());
    }
    got.sort_unstable();
    assert_eq!(
        got,
        (1..=20).collect::<Vec<i64>>(),
        "concurrent requests get distinct numbers with no gaps"
    );
    let other = format!("{scope}:other");
    assert_eq!(
        store.next_reference(&other).await.unwrap(),
        1,
        "each scope counts on its own"
    );
    assert_eq!(store.next_reference(&scope).await.unwrap(), 21);
}

/// Gives every committed audit record its place in the log (with made-up hashes), as the
/// checkpointer would: at least `want` records are expected.
async fn sequence_all(store: &dyn Store, want: usize) {
    let rows = unsequenced_at_least(store, 10_000, want).await;
    let start = store
        .audit_checkpoints()
        .await
        .unwrap()
        .last()
        .map(|c| c.tree_size)
        .unwrap_or(0);
    let leaves: Vec<LeafRow> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| LeafRow {
            leaf_index: start + i as i64,
            seq: r.seq,
            leaf_hash: format!("{:064x}", r.seq),
        })
        .collect();
    let size = start + leaves.len() as i64;
    store
        .audit_append(
            leaves,
            CheckpointRow {
                tree_size: size,
                root: "00".repeat(32),
                at: t("2026-05-03T00:00:00Z"),
                key_id: "0011223344556677".into(),
                signature: "c2ln".into(),
                frontier: json!({"size": size, "peaks": []}),
            },
        )
        .await
        .unwrap();
}

pub async fn audit_search_filters_by_user_record_action_and_time(store: Arc<dyn Store>) {
    let suffix = Uuid::now_v7().simple().to_string();
    let who = format!("pc.{}", &suffix[..12]);
    let target = RecordId(Uuid::now_v7());
    let other = RecordId(Uuid::now_v7());
    let entry = |action: AuditAction, at: &str, ids: &[RecordId]| {
        let mut e = audit(action);
        e.actor.user_id = who.clone();
        e.at = t(at);
        e.subjects = ids
            .iter()
            .map(|id| bluelamp_domain::audit::AuditSubject {
                id: *id,
                kind: RecordKind::Person,
                version: 1,
                classification: bluelamp_domain::Classification::Official,
                content: None,
            })
            .collect();
        e
    };
    for e in [
        entry(AuditAction::View, "2026-05-01T09:00:00Z", &[target]),
        entry(AuditAction::List, "2026-05-01T10:00:00Z", &[other, target]),
        entry(AuditAction::View, "2026-05-01T11:00:00Z", &[other]),
        entry(AuditAction::Update, "2026-05-02T09:00:00Z", &[target]),
    ] {
        store.audit_only(e).await.unwrap();
    }
    sequence_all(store.as_ref(), 4).await;
    let search = |q: AuditQuery| {
        let store = store.clone();
        async move {
            store
                .audit_search(&AuditQuery { limit: 100, ..q })
                .await
                .unwrap()
        }
    };
    let mine = search(AuditQuery {
        user_id: Some(who.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(mine.len(), 4);
    assert!(mine.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let about = search(AuditQuery {
        user_id: Some(who.clone()),
        record_id: Some(target),
        ..Default::default()
    })
    .await;
    assert_eq!(
        about.len(),
        3,
        "every record naming the target, lists included"
    );
    let views = search(AuditQuery {
        user_id: Some(who.clone()),
        action: Some(AuditAction::View),
        ..Default::default()
    })
    .await;
    assert_eq!(views.len(), 2);
    let day = search(AuditQuery {
        user_id: Some(who.clone()),
        from: Some(t("2026-05-01T09:30:00Z")),
        to: Some(t("2026-05-02T00:00:00Z")),
        ..Default::default()
    })
    .await;
    assert_eq!(day.len(), 2);
    let older = search(AuditQuery {
        user_id: Some(who.clone()),
        before_seq: Some(mine[1].seq),
        ..Default::default()
    })
    .await;
    assert_eq!(older.len(), 2, "paging back from a position");
    assert_eq!(
        store
            .audit_search(&AuditQuery {
                user_id: Some(who.clone()),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn break_glass_grants_are_versioned_and_filtered(store: Arc<dyn Store>) {
    let name = format!("bg{}", &Uuid::now_v7().simple().to_string()[20..]);
    store
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::PutUser {
                account: Box::new(account(&name)),
                base_version: None,
            }],
            audit: Some(audit(AuditAction::ManageUser)),
        })
        .await
        .unwrap();
    let grant = AccessGrant {
        id: Uuid::now_v7().to_string(),
        username: bluelamp_domain::Username::parse(&name).unwrap(),
        record_id: RecordId(Uuid::now_v7()),
        reason: "Urgent safeguarding enquiry".into(),
        hours: 4,
        requested_at: t("2026-05-01T10:00:00Z"),
        status: GrantStatus::Pending,
        decided_by: None,
        decided_at: None,
        decision_note: String::new(),
        expires_at: None,
        version: 0,
    };
    let put = |g: AccessGrant, base_version| DirectoryChange {
        ops: vec![DirectoryOp::PutGrant {
            grant: Box::new(g),
            base_version,
        }],
        audit: Some(audit(AuditAction::Create)),
    };
    let done = store
        .directory_apply(put(grant.clone(), None))
        .await
        .unwrap();
    assert_eq!(done.grants[0].version, 1);
    let mut approved = done.grants[0].clone();
    approved.status = GrantStatus::Approved;
    approved.expires_at = Some(t("2026-05-01T14:00:00Z"));
    store
        .directory_apply(put(approved.clone(), Some(1)))
        .await
        .unwrap();
    assert!(
        store.directory_apply(put(approved, Some(1))).await.is_err(),
        "a decision on a stale request is refused"
    );
    let mine = store
        .grants(&GrantFilter {
            username: Some(grant.username.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].version, 2);
    assert!(mine[0].active_at(t("2026-05-01T13:59:59Z")));
    assert!(!mine[0].active_at(t("2026-05-01T14:00:00Z")));
    let pending = store
        .grants(&GrantFilter {
            username: Some(grant.username.clone()),
            status: Some(GrantStatus::Pending),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(pending.is_empty());
    let by_id = store
        .grants(&GrantFilter {
            id: Some(grant.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_id[0].reason, "Urgent safeguarding enquiry");
}

pub async fn scan_reads_every_active_record_of_a_kind_in_pages(store: Arc<dyn Store>) {
    let mut made = Vec::new();
    for i in 0..7 {
        let rec = person(&format!("Scan{i}"));
        made.push(rec.id);
        store.apply(create(rec)).await.unwrap();
    }
    let mut other = person("NotAPerson");
    other.kind = RecordKind::Object;
    other.subtype = Some("vehicle".into());
    let other_id = other.id;
    store.apply(create(other)).await.unwrap();
    // A body with what JSON must escape, text beyond ASCII, nesting and numbers of both
    // kinds, which PostgreSQL prints back from jsonb in its own way.
    let mut rich = person("Wiśniewski");
    rich.body = json!({"family_name": "Wiśniewski", "given_names": "Łukasz \"Luke\"",
        "marks": "line one\nline two\ttab \\ slash", "description": {"height_cm": 181,
        "weight": 2.5e-7, "big": 12345678901_i64, "list": [1, -2.75, null, true]}});
    made.push(rich.id);
    store.apply(create(rich)).await.unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.scan(RecordKind::Person, after, 3).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        assert!(page.iter().all(|r| r.kind == RecordKind::Person));
        after = page.last().map(|r| r.id);
        seen.extend(page.into_iter().map(|r| r.id));
    }
    made.sort();
    let mut mine: Vec<RecordId> = seen.into_iter().filter(|id| made.contains(id)).collect();
    mine.sort();
    assert_eq!(mine, made, "every person once, in pages");

    // The same pages with the bodies as text: the same records, bodies reading the same.
    let mut after = None;
    loop {
        let page = store.scan(RecordKind::Person, after, 3).await.unwrap();
        let text = store.scan_json(RecordKind::Person, after, 3).await.unwrap();
        let decoded: Vec<StoredRecord> = text
            .into_iter()
            .map(|t| t.map_body(|b| serde_json::from_str(&b).unwrap()))
            .collect();
        assert_eq!(decoded, page);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
    }
    let objects = store.scan_json(RecordKind::Object, None, 10).await.unwrap();
    let mine: Vec<_> = objects.iter().filter(|t| t.id == other_id).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].kind, RecordKind::Object);
    assert_eq!(mine[0].subtype.as_deref(), Some("vehicle"));
    assert!(objects.iter().all(|t| t.kind == RecordKind::Object));

    // Loaded by id with the bodies as text: the same records as `load` gives, and an id
    // that names nothing left out as it is there.
    let mut ids = made.clone();
    ids.push(other_id);
    ids.push(RecordId(Uuid::now_v7()));
    let mut loaded = store.load(&ids).await.unwrap();
    let mut text: Vec<StoredRecord> = store
        .load_json(&ids)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.map_body(|b| serde_json::from_str(&b).unwrap()))
        .collect();
    loaded.sort_by_key(|r| r.id);
    text.sort_by_key(|r| r.id);
    assert_eq!(loaded.len(), made.len() + 1);
    assert_eq!(text, loaded);
}

pub async fn duplicate_candidates_stay_decided_once_decided(store: Arc<dyn Store>) {
    let at = t("2026-05-01T10:00:00Z");
    let ids: Vec<RecordId> = (0..4).map(|_| RecordId(Uuid::now_v7())).collect();
    let ours = |cs: Vec<DuplicateCandidate>| {
        cs.into_iter()
            .filter(|c| ids.contains(&c.a))
            .map(|c| (c.a, c.b, c.weight, c.status))
            .collect::<Vec<_>>()
    };
    let open_now = async || {
        ours(
            store
                .duplicate_candidates(CandidateStatus::Open, 10_000)
                .await
                .unwrap(),
        )
    };
    let put = |cs: Vec<DuplicateCandidate>| DirectoryChange {
        ops: vec![DirectoryOp::PutCandidates(cs)],
        audit: None,
    };
    // Given in either order, a pair is stored once, smaller id first.
    store
        .directory_apply(put(vec![
            DuplicateCandidate::new(ids[1], ids[0], 18.5, "surname matches".into(), "scan", at),
            DuplicateCandidate::new(
                ids[2],
                ids[3],
                21.0,
                "date of birth matches".into(),
                "check",
                at,
            ),
        ]))
        .await
        .unwrap();
    let open = open_now().await;
    assert_eq!(
        open,
        [
            (ids[2], ids[3], 21.0, CandidateStatus::Open),
            (ids[0], ids[1], 18.5, CandidateStatus::Open),
        ]
    );
    // Found again: an open pair takes the new score.
    store
        .directory_apply(put(vec![DuplicateCandidate::new(
            ids[0],
            ids[1],
            25.0,
            "identifier matches".into(),
            "check",
            at,
        )]))
        .await
        .unwrap();
    // Decided: it leaves the open list, with who decided, and the audit entry commits
    // with it.
    store
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::DecideCandidate {
                a: ids[2],
                b: ids[3],
                status: CandidateStatus::NotDuplicate,
                by: "PC 1234 Jones".into(),
                at,
            }],
            audit: Some(audit(AuditAction::Update)),
        })
        .await
        .unwrap();
    let open = open_now().await;
    assert_eq!(open, [(ids[0], ids[1], 25.0, CandidateStatus::Open)]);
    let decided = store
        .duplicate_candidates(CandidateStatus::NotDuplicate, 10_000)
        .await
        .unwrap();
    let ours_decided: Vec<_> = decided.iter().filter(|c| c.a == ids[2]).collect();
    assert_eq!(ours_decided.len(), 1);
    assert_eq!(ours_decided[0].decided_by.as_deref(), Some("PC 1234 Jones"));
    assert_eq!(ours_decided[0].reason, "date of birth matches");
    // Found again after a decision: the decision stands.
    store
        .directory_apply(put(vec![DuplicateCandidate::new(
            ids[3],
            ids[2],
            30.0,
            "again".into(),
            "scan",
            at,
        )]))
        .await
        .unwrap();
    let open = open_now().await;
    assert_eq!(open, [(ids[0], ids[1], 25.0, CandidateStatus::Open)]);
    // A record merged away: its open pairs are withdrawn, its decided ones kept, and pairs
    // without it untouched.
    store
        .directory_apply(put(vec![
            DuplicateCandidate::new(ids[1], ids[2], 17.0, "x".into(), "check", at),
            DuplicateCandidate::new(ids[0], ids[3], 19.0, "y".into(), "check", at),
        ]))
        .await
        .unwrap();
    store
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::WithdrawOpenCandidatesOf(ids[2])],
            audit: None,
        })
        .await
        .unwrap();
    let open = open_now().await;
    assert_eq!(
        open,
        [
            (ids[0], ids[1], 25.0, CandidateStatus::Open),
            (ids[0], ids[3], 19.0, CandidateStatus::Open),
        ]
    );
    let decided = store
        .duplicate_candidates(CandidateStatus::NotDuplicate, 10_000)
        .await
        .unwrap();
    assert_eq!(decided.iter().filter(|c| c.a == ids[2]).count(), 1);
    // The pairs that name a record, found from either side, decided ones too, best first.
    let mut of = Vec::new();
    for id in [ids[0], ids[2], ids[3]] {
        let found = store.duplicate_candidates_of(id).await.unwrap();
        of.push(
            found
                .into_iter()
                .map(|c| (c.a, c.b, c.weight, c.status))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        of,
        [
            vec![
                (ids[0], ids[1], 25.0, CandidateStatus::Open),
                (ids[0], ids[3], 19.0, CandidateStatus::Open),
            ],
            vec![(ids[2], ids[3], 21.0, CandidateStatus::NotDuplicate)],
            vec![
                (ids[2], ids[3], 21.0, CandidateStatus::NotDuplicate),
                (ids[0], ids[3], 19.0, CandidateStatus::Open),
            ],
        ]
    );
}

/// `WriteOp::Unchanged` and `WriteOp::LinksInForce` write nothing and refuse the whole
/// change (a conflict, or links changed) when what they hold has moved on.
pub async fn checks_refuse_a_change_when_a_record_or_its_links_moved_on(store: Arc<dyn Store>) {
    let (a, b, c) = (person("Able"), person("Baker"), person("Cole"));
    for p in [&a, &b, &c] {
        store.apply(create(p.clone())).await.unwrap();
    }
    let ab = link(a.id, b.id, "associate_of");
    let with_ends = |l: &NewRecord, a_version: Version| Change {
        ops: vec![
            WriteOp::Unchanged {
                id: a.id,
                base_version: a_version,
            },
            WriteOp::Insert(l.clone()),
        ],
        audit: audit(AuditAction::Link),
        events: vec![],
    };
    // The end as checked: the link is written, and the check returns no record.
    let written = store.apply(with_ends(&ab, 1)).await.unwrap();
    assert_eq!(
        written.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ab.id]
    );
    // The end changed since: nothing is written, nothing audited.
    let update = Change {
        ops: vec![WriteOp::Update {
            id: a.id,
            base_version: 1,
            marking: Marking::official(),
            summary: "ABLE, John".into(),
            subtype: None,
            body: json!({"family_name": "Able", "given_names": "John", "merged_into": "x"}),
        }],
        audit: audit(AuditAction::Update),
        events: vec![],
    };
    store.apply(update).await.unwrap();
    let audits = audit_count(&store).await;
    let late = link(a.id, c.id, "associate_of");
    let err = store.apply(with_ends(&late, 1)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { id, expected: 1, current: 2 } if id == a.id),
        "got {err:?}"
    );
    assert!(store.load(&[late.id]).await.unwrap().is_empty());
    assert_eq!(audit_count(&store).await, audits);
    // A record that is not there.
    let ghost = RecordId(Uuid::now_v7());
    let err = store
        .apply(Change {
            ops: vec![WriteOp::Unchanged {
                id: ghost,
                base_version: 1,
            }],
            audit: audit(AuditAction::Link),
            events: vec![],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(id) if id == ghost),
        "got {err:?}"
    );

    // Links in force at `b`: exactly `ab` passes (in any order of the list, links this
    // change inserted counted); one more, or one fewer, refuses the change.
    let holds = |links: Vec<RecordId>, extra: Vec<WriteOp>| {
        let mut ops = extra;
        ops.push(WriteOp::LinksInForce {
            id: b.id,
            base_version: 1,
            links,
        });
        Change {
            ops,
            audit: audit(AuditAction::Merge),
            events: vec![],
        }
    };
    store.apply(holds(vec![ab.id], vec![])).await.unwrap();
    let cb = link(c.id, b.id, "associate_of");
    store
        .apply(holds(vec![cb.id, ab.id], vec![WriteOp::Insert(cb.clone())]))
        .await
        .unwrap();
    let audits = audit_count(&store).await;
    let extra = link(b.id, c.id, "associate_of");
    let err = store
        .apply(holds(
            vec![ab.id, cb.id],
            vec![WriteOp::Insert(extra.clone())],
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::LinksChanged { id, version: 1 } if id == b.id),
        "got {err:?}"
    );
    assert!(
        store.load(&[extra.id]).await.unwrap().is_empty(),
        "nothing written"
    );
    let err = store.apply(holds(vec![ab.id], vec![])).await.unwrap_err();
    assert!(
        matches!(err, StoreError::LinksChanged { .. }),
        "a link the check did not name: {err:?}"
    );
    // Naming a link that is not there (or no longer in force) refuses it too.
    let ghost = RecordId(Uuid::now_v7());
    let err = store
        .apply(holds(vec![ab.id, cb.id, ghost], vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::LinksChanged { .. }),
        "a link named but not in force: {err:?}"
    );
    assert_eq!(audit_count(&store).await, audits);
    // An ended link is not in force.
    let cb_now = store.load(&[cb.id]).await.unwrap().remove(0);
    store
        .apply(Change {
            ops: vec![WriteOp::End {
                id: cb.id,
                base_version: cb_now.version,
            }],
            audit: audit(AuditAction::Unlink),
            events: vec![],
        })
        .await
        .unwrap();
    store.apply(holds(vec![ab.id], vec![])).await.unwrap();
}

/// A change that links `from` to `to`, holding `held` (in this order) at version 1.
fn link_holding(held: &[RecordId], from: RecordId, to: RecordId) -> Change {
    let mut ops: Vec<WriteOp> = held
        .iter()
        .map(|id| WriteOp::Unchanged {
            id: *id,
            base_version: 1,
        })
        .collect();
    ops.push(WriteOp::Insert(link(from, to, "associate_of")));
    Change {
        ops,
        audit: audit(AuditAction::Link),
        events: vec![],
    }
}

/// A merge-like change: updates `updated` (in this order) from version 1, then holds
/// `merged` to having no links in force.
fn merge_holding(updated: &[RecordId], merged: RecordId) -> Change {
    let mut ops: Vec<WriteOp> = updated
        .iter()
        .map(|id| WriteOp::Update {
            id: *id,
            base_version: 1,
            marking: Marking::official(),
            summary: "MERGED, John".into(),
            subtype: None,
            body: json!({"family_name": "Merged", "merged_into": "elsewhere"}),
        })
        .collect();
    ops.push(WriteOp::LinksInForce {
        id: merged,
        base_version: 1,
        links: vec![],
    });
    Change {
        ops,
        audit: audit(AuditAction::Merge),
        events: vec![],
    }
}

/// Applies a link holding `held` and a merge of `merged` at once; exactly one must commit
/// and the other be refused (the link as a conflict on a record it holds, the merge as
/// links changed on `merged`; on PostgreSQL after waiting for the other), never failed
/// otherwise.
async fn race(
    store: &Arc<dyn Store>,
    (link, held): (Change, &[RecordId]),
    (merge, merged): (Change, RecordId),
    round: usize,
) {
    let (l, m) = tokio::join!(store.apply(link), store.apply(merge));
    match (&l, &m) {
        (Ok(_), Err(StoreError::LinksChanged { id, .. })) if *id == merged => {}
        (Err(StoreError::Conflict { id, .. }), Ok(_)) if held.contains(id) => {}
        _ => panic!("round {round}: the link gave {l:?} and the merge {m:?}"),
    }
}

/// A link holding its end (`Unchanged`) and a merge holding that end's links
/// (`LinksInForce` after its update) never both commit, however they interleave: the link
/// would be left on the merged record. Raced many times over, on fresh records each time
/// (on PostgreSQL, without the share lock `Unchanged` takes, both commit within a few
/// rounds).
pub async fn a_link_and_a_merge_racing_never_both_commit(store: Arc<dyn Store>) {
    let other = person("Other");
    store.apply(create(other.clone())).await.unwrap();
    for round in 0..40 {
        let merged = person("Merged");
        store.apply(create(merged.clone())).await.unwrap();
        let held = [merged.id];
        let link = link_holding(&held, merged.id, other.id);
        let merge = merge_holding(&[merged.id], merged.id);
        race(&store, (link, &held), (merge, merged.id), round).await;
    }
}

/// A link between two records races their merge (which changes both), with the merge's
/// two updates in id order (as `app::merge` makes them) and in the other order. On
/// PostgreSQL the second can deadlock with the link; the store then retries the change, so
/// either way exactly one commits and the other is refused, never failed.
pub async fn a_link_between_two_records_racing_their_merge_is_refused_not_failed(
    store: Arc<dyn Store>,
) {
    for round in 0..100 {
        let (a, b) = (person("First"), person("Second"));
        for p in [&a, &b] {
            store.apply(create(p.clone())).await.unwrap();
        }
        let held = [a.id.min(b.id), a.id.max(b.id)];
        let link = link_holding(&held, a.id, b.id);
        // Half the rounds in id order, half not.
        let order = if round % 2 == 0 {
            held
        } else {
            [held[1], held[0]]
        };
        let merge = merge_holding(&order, b.id);
        race(&store, (link, &held), (merge, b.id), round).await;
    }
}

/// A record's links come by their summary (how the link reads: its role), then the other
/// record's summary, then id, so a page lists them the same way every time.
pub async fn links_come_in_order_of_role_then_the_other_record(store: Arc<dyn Store>) {
    let p = person("Centre");
    store.apply(create(p.clone())).await.unwrap();
    let mut others = Vec::new();
    for family in ["Young", "Adams", "Moss"] {
        let o = person(family);
        store.apply(create(o.clone())).await.unwrap();
        others.push(o);
    }
    // Roles chosen so that neither creation order nor id order is the answer.
    for (o, role) in [
        (&others[0], "witness"),
        (&others[1], "witness"),
        (&others[2], "associate_of"),
    ] {
        store.apply(create(link(p.id, o.id, role))).await.unwrap();
    }
    let links = store
        .consult_with_links(p.id, false, &OpenGate, audit(AuditAction::View))
        .await
        .unwrap()
        .expect("the record exists")
        .1;
    let seen: Vec<(String, String)> = links
        .iter()
        .map(|l| (l.link.summary.clone(), l.other_summary.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("associate_of".to_owned(), "MOSS, John".to_owned()),
            ("witness".to_owned(), "ADAMS, John".to_owned()),
            ("witness".to_owned(), "YOUNG, John".to_owned()),
        ]
    );
}

pub async fn links_at_an_end_are_found_by_role_in_force_only(store: Arc<dyn Store>) {
    let (a, b, home, phone) = (
        person("Ames"),
        person("Bell"),
        person("Home"),
        person("Phone"),
    );
    for r in [&a, &b, &home, &phone] {
        store.apply(create(r.clone())).await.unwrap();
    }
    let a_home = link(a.id, home.id, "resides_at");
    let b_home = link(b.id, home.id, "resides_at");
    let a_phone = link(a.id, phone.id, "user");
    let a_b = link(a.id, b.id, "associate_of");
    let ended = link(b.id, phone.id, "owner");
    for l in [&a_home, &b_home, &a_phone, &a_b, &ended] {
        store.apply(create(l.clone())).await.unwrap();
    }
    store
        .apply(Change {
            ops: vec![WriteOp::End {
                id: ended.id,
                base_version: 1,
            }],
            audit: audit(AuditAction::Unlink),
            events: vec![],
        })
        .await
        .unwrap();
    let ids = |found: Vec<ScannedRecord>| {
        assert!(found.windows(2).all(|w| w[0].id < w[1].id), "in id order");
        found.into_iter().map(|l| l.id).collect::<Vec<_>>()
    };
    let mut expected = vec![a_home.id, b_home.id, a_phone.id];
    expected.sort();
    let from = store
        .links_at(
            LinkEnd::From,
            &[a.id, b.id],
            &["resides_at", "user", "owner"],
        )
        .await
        .unwrap();
    assert!(
        from.iter()
            .all(|l| l.link.is_some() && l.kind == RecordKind::Link)
    );
    assert_eq!(
        ids(from),
        expected,
        "by role, in force only (the owner link ended)"
    );
    let to = store
        .links_at(LinkEnd::To, &[home.id, phone.id, a.id], &["resides_at"])
        .await
        .unwrap();
    let mut expected = vec![a_home.id, b_home.id];
    expected.sort();
    assert_eq!(ids(to), expected, "by the end they point to");
    // Many ids (more than one statement's worth in SQLite), one of them twice and far
    // apart: each link once.
    let mut many: Vec<RecordId> = vec![a.id];
    many.extend((0..450).map(|_| RecordId(Uuid::now_v7())));
    many.push(a.id);
    let mut expected = vec![a_home.id, a_phone.id];
    expected.sort();
    let found = store
        .links_at(LinkEnd::From, &many, &["resides_at", "user"])
        .await
        .unwrap();
    assert_eq!(ids(found), expected);
    assert!(
        store
            .links_at(LinkEnd::From, &[home.id], &["resides_at"])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .links_at(LinkEnd::From, &[a.id], &[])
            .await
            .unwrap()
            .is_empty()
    );
}
