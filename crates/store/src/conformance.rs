//! The conformance suite: the behaviour every storage adapter must show. Each adapter's

// This module is test code that ships in the library so that every adapter runs the same
// suite; panicking on a broken expectation is how it reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! tests invoke [`store_conformance_tests!`] with an expression that yields a fresh, empty
//! store, so SQLite and PostgreSQL are held to exactly the same rules.

use crate::*;
use bluelamp_domain::{
    Actor, AuditAction, AuditOutcome, Classification, Compartment, HandlingCaveat, Marking,
    RecordKind, RequestContext,
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
            concurrent_changes_fail_alone,
            delivered_outbox_events_are_pruned_and_pending_ones_kept,
            list_totals_are_counted_up_to_the_cap,
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
        .consult(rec.id, audit(AuditAction::View))
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
        .consult_history(rec.id, audit(AuditAction::ViewHistory))
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
        .consult_with_links(p.id, false, audit(AuditAction::View))
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
            .consult_with_links(RecordId(Uuid::now_v7()), false, audit(AuditAction::View))
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
        .consult_with_links(v.id, false, audit(AuditAction::View))
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
            .consult_with_links(p.id, false, audit(AuditAction::View))
            .await
            .unwrap()
            .expect("the record exists")
            .1
            .is_empty()
    );
    let all = store
        .consult_with_links(p.id, true, audit(AuditAction::View))
        .await
        .unwrap()
        .expect("the record exists")
        .1;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].link.status, RecordStatus::Ended);
    let history = store
        .consult_history(l.id, audit(AuditAction::ViewHistory))
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
    sm.max_classification_rank = Some(Classification::OfficialSensitive.rank());
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
            .consult(id, audit(AuditAction::View))
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
        .consult_history(a.id, audit(AuditAction::ViewHistory))
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
        .consult(rec.id, audit(AuditAction::View))
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
        .consult_history(recs[42].id, audit(AuditAction::ViewHistory))
        .await
        .unwrap();
    assert_eq!(h.len(), 1);
}

pub async fn version_consultation_returns_the_past(store: Arc<dyn Store>) {
    let rec = person("Before");
    store.apply(create(rec.clone())).await.unwrap();
    store
        .apply(Change {
            ops: vec![WriteOp::Update {
                id: rec.id,
                base_version: 1,
                marking: Marking::new(Classification::OfficialSensitive, vec![], vec![]),
                summary: "AFTER, John".into(),
                subtype: None,
                body: json!({"family_name": "After"}),
            }],
            audit: audit(AuditAction::Update),
            events: vec![],
        })
        .await
        .unwrap();
    let v1 = store
        .consult_version(rec.id, 1, audit(AuditAction::View))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1.summary, "BEFORE, John");
    assert_eq!(v1.marking.classification, Classification::Official);
    assert!(
        store
            .consult_version(rec.id, 3, audit(AuditAction::View))
            .await
            .unwrap()
            .is_none()
    );
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
