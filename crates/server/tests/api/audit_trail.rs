//! The tamper-evident audit trail: a database administrator edits, deletes, reorders,
//! truncates, inserts and re-hashes audit records directly in the database (dropping the
//! append-only triggers first, as they could), and `verify` names what was done. An
//! untouched log verifies.

use crate::helpers::*;
use bluelamp_app::audit_log::verify;
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};

/// A log with some records and at least two signed checkpoints.
async fn app_with_log() -> TestApp {
    let app = spawn_app().await;
    for name in ["Ash", "Birch", "Cedar"] {
        app.create_person(name, "Trail").await;
    }
    app.running
        .audit
        .checkpoint_round(true)
        .await
        .unwrap()
        .unwrap();
    for name in ["Daly", "Elm", "Fir"] {
        app.create_person(name, "Trail").await;
    }
    app.running
        .audit
        .checkpoint_round(true)
        .await
        .unwrap()
        .unwrap();
    app
}

async fn problems(app: &TestApp) -> Vec<String> {
    verify(app.store.as_ref(), &app.running.audit.public_key())
        .await
        .unwrap()
        .problems
}

/// Runs SQL against the database file as an administrator with full access would.
async fn tamper(app: &TestApp, sql: &str) {
    let mut conn = SqliteConnectOptions::new()
        .filename(&app.db_path)
        .connect()
        .await
        .unwrap();
    conn.execute(
        "DROP TRIGGER IF EXISTS audit_log_is_append_only_update; \
         DROP TRIGGER IF EXISTS audit_log_is_append_only_delete; \
         DROP TRIGGER IF EXISTS audit_leaves_append_only_update; \
         DROP TRIGGER IF EXISTS audit_leaves_append_only_delete;",
    )
    .await
    .unwrap();
    conn.execute(sql).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn an_untouched_log_verifies_and_proofs_check_out() {
    let app = app_with_log().await;
    let report = verify(app.store.as_ref(), &app.running.audit.public_key())
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert!(report.records >= 6 && report.checkpoints >= 2, "{report:?}");
    let cps = app.store.audit_checkpoints().await.unwrap();
    let p = bluelamp_app::audit_log::prove_inclusion(&app.running.audit, 3)
        .await
        .unwrap();
    let proof: Vec<bluelamp_audit::Hash> = p["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    let leaf: bluelamp_audit::Hash = hex::decode(p["leaf_hash"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let root: bluelamp_audit::Hash = hex::decode(p["root"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    assert!(bluelamp_audit::merkle::verify_inclusion(
        &leaf,
        p["leaf_index"].as_u64().unwrap(),
        p["tree_size"].as_u64().unwrap(),
        &proof,
        &root
    ));
    let c = bluelamp_app::audit_log::prove_consistency(
        &app.running.audit,
        cps[0].tree_size,
        cps[1].tree_size,
    )
    .await
    .unwrap();
    assert_eq!(c["type"], json!("consistency"));
    let proof: Vec<bluelamp_audit::Hash> = c["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    let r1: bluelamp_audit::Hash = hex::decode(&cps[0].root).unwrap().try_into().unwrap();
    let r2: bluelamp_audit::Hash = hex::decode(&cps[1].root).unwrap().try_into().unwrap();
    assert!(bluelamp_audit::merkle::verify_consistency(
        cps[0].tree_size as u64,
        cps[1].tree_size as u64,
        &r1,
        &r2,
        &proof
    ));
}

#[tokio::test]
async fn an_edited_record_is_named() {
    let app = app_with_log().await;
    tamper(
        &app,
        "UPDATE audit_log SET user_id = 'someone.else' WHERE seq = 4",
    )
    .await;
    let p = problems(&app).await;
    assert!(
        p[0].contains("audit record 4 ") && p[0].contains("altered"),
        "{p:?}"
    );
}

#[tokio::test]
async fn a_deleted_record_is_named() {
    let app = app_with_log().await;
    tamper(&app, "DELETE FROM audit_log WHERE seq = 2").await;
    let p = problems(&app).await;
    assert!(
        p[0].contains("audit record 2 ") && p[0].contains("deleted"),
        "{p:?}"
    );
}

#[tokio::test]
async fn reordered_records_are_named() {
    let app = app_with_log().await;
    tamper(&app, "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1;").await;
    let p = problems(&app).await;
    assert!(
        p[0].contains("audit record 2 ") && p[0].contains("moved"),
        "{p:?}"
    );
    assert!(p[1].contains("audit record 3 "), "{p:?}");
}

#[tokio::test]
async fn a_truncated_log_is_detected() {
    let app = app_with_log().await;
    let last = app
        .store
        .audit_checkpoints()
        .await
        .unwrap()
        .pop()
        .unwrap()
        .tree_size;
    tamper(
        &app,
        &format!(
            "DELETE FROM audit_leaves WHERE leaf_index >= {}; DELETE FROM audit_log WHERE seq > 3;",
            last - 2
        ),
    )
    .await;
    let p = problems(&app).await;
    assert!(p.iter().any(|x| x.contains("truncated")), "{p:?}");
}

#[tokio::test]
async fn a_record_inserted_into_the_past_is_named() {
    let app = app_with_log().await;
    tamper(&app, "INSERT INTO audit_log (seq, id, at, user_id, user_name, action, outcome, service, subjects, details) \
                  VALUES (0, 'forged-0001', '2026-01-01T00:00:00.000000Z', 'ghost', 'Ghost', 'view', 'success', 'bluelamp-web', '[]', 'null')").await;
    let p = problems(&app).await;
    assert!(
        p.iter().any(|x| x.contains("audit record 0 was inserted")),
        "{p:?}"
    );
}

#[tokio::test]
async fn re_hashing_a_suffix_without_the_key_is_detected() {
    let app = app_with_log().await;
    // The administrator alters a record and recomputes its leaf hash so the leaf matches:
    // only the signed checkpoint, which they cannot re-sign, gives it away.
    tamper(
        &app,
        "UPDATE audit_log SET user_id = 'covered.up' WHERE seq = 5",
    )
    .await;
    let rows = app.store.audit_entries(4, 1).await.unwrap();
    let fresh = hex::encode(bluelamp_audit::merkle::leaf_hash(
        &bluelamp_audit::canonical::record_bytes(5, &rows[0].entry),
    ));
    tamper(
        &app,
        &format!("UPDATE audit_leaves SET leaf_hash = '{fresh}' WHERE seq = 5"),
    )
    .await;
    let p = problems(&app).await;
    assert!(
        !p.iter().any(|x| x.contains("altered")),
        "the leaf itself now matches: {p:?}"
    );
    assert!(
        p[0].contains("does not match the log") && p[0].contains("re-hashed"),
        "{p:?}"
    );
}

#[tokio::test]
async fn a_checkpoint_signed_with_another_key_is_refused() {
    let app = app_with_log().await;
    let other = bluelamp_audit::Signer::generate().unwrap();
    let report = verify(app.store.as_ref(), &other.public_key())
        .await
        .unwrap();
    assert!(
        report.problems[0].contains("not signed by this deployment's key"),
        "{:?}",
        report.problems
    );
}

// The records themselves: each write's audit record keeps the hash of what it wrote, so
// `bluelamp audit records` names a record changed by anything but Bluelamp (the gap the
// version triggers of migration 0009 leave: an UPDATE that keeps the version number).

/// A person updated once, a vehicle, and a link between them (ended later by some tests).
async fn app_with_records() -> (TestApp, String, String, String) {
    let app = spawn_app().await;
    let person = app.create_person("Hollis", "Ada").await;
    let pid = person["id"].as_str().unwrap().to_string();
    let r = app
        .put_json(
            &format!("/api/v1/persons/{pid}"),
            &json!({"base_version": 1, "record": {"family_name": "Hollis", "given_names": "Ada May", "date_of_birth": "1985-03-02"}}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let car = app.create_vehicle("AB12 CDE").await;
    let vid = car["id"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            "/api/v1/links",
            &json!({"from_id": pid, "to_id": vid, "role": "keeper"}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let link: serde_json::Value = r.json().await.unwrap();
    let lid = link["id"].as_str().unwrap().to_string();
    (app, pid, vid, lid)
}

async fn records_report(app: &TestApp) -> bluelamp_app::audit_log::RecordsReport {
    bluelamp_app::audit_log::check_records(app.store.as_ref())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_body_changed_by_hand_into_nonsense_is_left_out_of_a_rebuild_that_goes_on() {
    // Bluelamp validates every body it writes; one changed by hand since no longer reads.
    // Reads of many records and a rebuild leave it out (and say so in the log) and go on
    // with the rest, rather than stopping; the records check names the row and goes on.
    let (app, pid, vid, _) = app_with_records().await;
    // Every change delivered to the live index first, so the rebuild reads all there is.
    outbox_drained(&app).await;
    let before = app.running.search.rebuild().await.unwrap();
    let held = indexed_then_broken(&app, &pid).await;
    // Every read of many records goes on without it: a load, a scan, a list.
    let (bad, car): (bluelamp_domain::RecordId, bluelamp_domain::RecordId) =
        (pid.parse().unwrap(), vid.parse().unwrap());
    let loaded = app.store.load(&[bad, car]).await.unwrap();
    assert_eq!(loaded.iter().map(|r| r.id).collect::<Vec<_>>(), [car]);
    let kind = bluelamp_domain::RecordKind::Person;
    assert!(app.store.scan(kind, None, 100).await.unwrap().is_empty());
    let r = app.get("/api/v1/persons").await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(!r.text().await.unwrap().contains(&pid));
    let after = app.running.search.rebuild().await.unwrap();
    assert_eq!(after.records, before.records, "every record was read");
    assert_eq!(app.running.search.status().await.documents, held - 1);
    let r = app.get("/api/v1/search?q=AB12CDE").await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(r.text().await.unwrap().contains(&vid), "the rest is found");
    let report = records_report(&app).await;
    assert!(!report.ok());
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].contains(&pid) && report.problems[0].contains("cannot be read"),
        "{:?}",
        report.problems
    );
}

/// Once every change is in the index (the person and the vehicle), the person's body is
/// changed by hand into something that is not JSON. Returns the documents the index held.
async fn indexed_then_broken(app: &TestApp, pid: &str) -> u64 {
    outbox_drained(app).await;
    let held = app.running.search.status().await.documents;
    assert_eq!(held, 2, "the person and the vehicle");
    tamper(
        app,
        &format!("UPDATE records SET body = '{{\"family_name\": ' WHERE id = '{pid}'"),
    )
    .await;
    held
}

/// Waits until every change has been delivered (to the live index among others).
async fn outbox_drained(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.store.outbox_backlog(100).await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the outbox never drained"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_live_index_takes_out_a_body_changed_by_hand_and_goes_on() {
    // The index follows the store through the outbox: a batch naming a record whose body
    // no longer reads must not fail (the relay would offer it again and again, and every
    // later change would wait behind it). That record is taken out; the rest are indexed.
    use bluelamp_events::Sink;
    let (app, pid, vid, _) = app_with_records().await;
    let held = indexed_then_broken(&app, &pid).await;
    // The vehicle changed too (by hand here, so that only this batch carries it): finding
    // it under its new registration shows the batch's other record was indexed.
    tamper(
        &app,
        &format!(
            "UPDATE records SET body = json_set(body, '$.details.vrm', 'XY99 ZZZ') WHERE id = '{vid}'"
        ),
    )
    .await;
    let r = app.get("/api/v1/search?q=XY99ZZZ").await;
    assert!(!r.text().await.unwrap().contains(&vid), "not yet indexed");
    let event = |seq: i64, id: &str, kind: &str| bluelamp_events::BusMessage {
        seq,
        event_type: "updated".into(),
        payload: std::sync::Arc::new(json!({"additionalInformation": {"id": id, "kind": kind}})),
    };
    let batch = [event(1, &pid, "person"), event(2, &vid, "object")];
    app.running
        .search
        .deliver(&batch)
        .await
        .expect("the batch is delivered");
    assert_eq!(app.running.search.status().await.documents, held - 1);
    let r = app.get("/api/v1/search?q=XY99ZZZ").await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(
        r.text().await.unwrap().contains(&vid),
        "the rest is indexed as it is now"
    );
    // The duplicate check run after indexing passes over the broken person and still
    // checks the others in the same batch.
    app.create_person("Quartermain", "Zebedee").await;
    let twin = app.create_person("Quartermain", "Zebedee").await;
    let twin: bluelamp_domain::RecordId = twin["id"].as_str().unwrap().parse().unwrap();
    outbox_drained(&app).await;
    let broken: bluelamp_domain::RecordId = pid.parse().unwrap();
    let found = app
        .running
        .search
        .check_persons(&[broken, twin])
        .await
        .expect("the check goes on past the broken person");
    assert_eq!(found, 1, "the twin's pair");
}

#[tokio::test]
async fn a_person_brought_up_to_date_through_a_phone_is_taken_out_when_their_body_no_longer_reads()
{
    // A person is staged again when a phone they use changes (their numbers are in the
    // index). One whose body was changed by hand into nonsense meanwhile is taken out of
    // the index, as when a batch names them, not left as they were.
    use bluelamp_events::Sink;
    let (app, pid, _, _) = app_with_records().await;
    let phone = app
        .create(
            "objects",
            json!({"details": {"kind": "phone", "number": "07700 900654"}}),
        )
        .await;
    let phone = phone["id"].as_str().unwrap().to_string();
    app.create_link(&pid, &phone, "user").await;
    outbox_drained(&app).await;
    let held = app.running.search.status().await.documents;
    assert_eq!(held, 3, "the person, the vehicle and the phone");
    tamper(
        &app,
        &format!("UPDATE records SET body = '{{\"family_name\": ' WHERE id = '{pid}'"),
    )
    .await;
    let batch = [bluelamp_events::BusMessage {
        seq: 1,
        event_type: "updated".into(),
        payload: std::sync::Arc::new(
            json!({"additionalInformation": {"id": phone, "kind": "object"}}),
        ),
    }];
    app.running
        .search
        .deliver(&batch)
        .await
        .expect("the batch is delivered");
    assert_eq!(app.running.search.status().await.documents, held - 1);
    let r = app.get("/api/v1/search?q=07700900654").await;
    assert!(r.text().await.unwrap().contains(&phone), "the phone stays");
}

#[tokio::test]
async fn untouched_records_hold_what_the_trail_says_was_written() {
    let (app, ..) = app_with_records().await;
    let report = records_report(&app).await;
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.checked, 3, "{report:?}");
    assert_eq!(report.unvouched, 0, "{report:?}");
}

#[tokio::test]
async fn a_record_changed_outside_bluelamp_is_named() {
    let (app, pid, vid, lid) = app_with_records().await;
    // The version number kept, so no version trigger fires and history looks whole.
    tamper(
        &app,
        &format!(
            "UPDATE records SET body = json_set(body, '$.given_names', 'Eve') WHERE id = '{pid}'"
        ),
    )
    .await;
    tamper(
        &app,
        &format!("UPDATE records SET summary = 'Van XY99 ZZZ' WHERE id = '{vid}'"),
    )
    .await;
    tamper(
        &app,
        &format!("UPDATE records SET status = 'ended' WHERE id = '{lid}'"),
    )
    .await;
    let report = records_report(&app).await;
    assert_eq!(report.problems.len(), 3, "{:?}", report.problems);
    for id in [&pid, &vid, &lid] {
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains(id.as_str()) && p.contains("changed outside Bluelamp")),
            "{id} named: {:?}",
            report.problems
        );
    }
    assert_eq!(report.checked, 0);
}

#[tokio::test]
async fn a_record_deleted_or_put_in_by_hand_is_found() {
    let (app, pid, vid, _) = app_with_records().await;
    tamper(
        &app,
        &format!("PRAGMA foreign_keys = OFF; DELETE FROM records WHERE id = '{vid}'"),
    )
    .await;
    // A copy of the person under a new id, with no write in the trail.
    let forged = uuid::Uuid::now_v7();
    tamper(
        &app,
        &format!(
            "CREATE TEMP TABLE copied AS SELECT * FROM records WHERE id = '{pid}'; \
             UPDATE copied SET id = '{forged}'; INSERT INTO records SELECT * FROM copied;"
        ),
    )
    .await;
    let report = records_report(&app).await;
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&vid) && p.contains("deleted")),
        "{:?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&forged.to_string())
                && p.contains("put into the database outside Bluelamp")),
        "{:?}",
        report.problems
    );
    assert_eq!(report.unvouched, 0);
}

#[tokio::test]
async fn a_record_written_while_the_check_runs_is_not_reported() {
    // The check reads the trail, then the records; changes and new records committed in
    // between are seen when it looks again, not reported.
    let (app, pid, ..) = app_with_records().await;
    let names = [
        "Bea", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ida", "Jo", "Kit",
    ];
    let report =
        bluelamp_app::audit_log::check_records_interleaved(app.store.as_ref(), async || {
            for (v, name) in (2..12).zip(names) {
                let r = app
                    .put_json(
                        &format!("/api/v1/persons/{pid}"),
                        &json!({"base_version": v, "record": {"family_name": "Hollis", "given_names": format!("Ada {name}"), "date_of_birth": "1985-03-02"}}),
                    )
                    .await;
                assert_eq!(r.status(), reqwest::StatusCode::OK);
                app.create_person(&format!("Later{}", name.to_lowercase()), "Someone")
                    .await;
            }
        })
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.checked, 13);
    assert_eq!(report.unvouched, 0);
}

#[tokio::test]
async fn a_record_whose_classification_column_was_changed_is_left_out_and_named() {
    // Lists filter on the column, decisions on the marking: a row whose two disagree was
    // changed by hand (perhaps to let a record into lists it is kept out of), so it is
    // left out of every read (without stopping the rest), and the records check names it.
    let (app, pid, vid, lid) = app_with_records().await;
    let other = app.create_person("Untouched", "Bea").await;
    let other: bluelamp_domain::RecordId = other["id"].as_str().unwrap().parse().unwrap();
    tamper(
        &app,
        &format!("UPDATE records SET classification = 2 WHERE id IN ('{pid}', '{lid}')"),
    )
    .await;
    // The vehicle's links still answer, without the altered link.
    let r = app.get(&format!("/api/v1/records/{vid}/links")).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(!r.text().await.unwrap().contains(&lid));
    let id: bluelamp_domain::RecordId = pid.parse().unwrap();
    assert!(app.store.load(&[id]).await.unwrap().is_empty(), "left out");
    let kind = bluelamp_domain::RecordKind::Person;
    // A scan (a reindex, a duplicate scan) goes on without it.
    let scanned = app.store.scan(kind, None, 1_000).await.unwrap();
    assert!(scanned.iter().any(|r| r.id == other) && !scanned.iter().any(|r| r.id == id));
    let scanned = app.store.scan_json(kind, None, 1_000).await.unwrap();
    assert!(scanned.iter().any(|r| r.id == other) && !scanned.iter().any(|r| r.id == id));
    let loaded = app.store.load_json(&[id, other]).await.unwrap();
    assert_eq!(loaded.iter().map(|r| r.id).collect::<Vec<_>>(), [other]);
    let r = app.get(&format!("/api/v1/persons/{pid}")).await;
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
    // The list still answers, without it.
    let r = app.get("/api/v1/persons").await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(!r.text().await.unwrap().contains(&pid));
    let report = records_report(&app).await;
    assert!(
        report.problems.iter().any(
            |p| p.contains(&format!("record {pid} is missing or left out"))
                && p.contains("classification column altered")
        ),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn the_scheduled_check_raises_an_alert_for_professional_standards() {
    let (app, pid, ..) = app_with_records().await;
    let clock = bluelamp_server::system_clock();
    let mut raised = Vec::new();
    let clean = bluelamp_app::monitoring::records_check_round(
        app.store.as_ref(),
        clock.as_ref(),
        &mut raised,
    )
    .await
    .unwrap();
    assert!(clean.ok());
    let alerts = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            store
                .audit_search(&bluelamp_store::AuditQuery {
                    action: Some(bluelamp_domain::AuditAction::Alert),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap()
        }
    };
    app.running.audit.checkpoint_round(true).await.unwrap();
    assert!(alerts(&app).await.is_empty(), "no alert while all is well");
    tamper(
        &app,
        &format!(
            "UPDATE records SET body = json_set(body, '$.given_names', 'Eve') WHERE id = '{pid}'"
        ),
    )
    .await;
    let found = bluelamp_app::monitoring::records_check_round(
        app.store.as_ref(),
        clock.as_ref(),
        &mut raised,
    )
    .await
    .unwrap();
    assert_eq!(found.problems.len(), 1);
    let again = bluelamp_app::monitoring::records_check_round(
        app.store.as_ref(),
        clock.as_ref(),
        &mut raised,
    )
    .await
    .unwrap();
    assert_eq!(
        again.problems, found.problems,
        "the same problem, not alerted twice"
    );
    app.running.audit.checkpoint_round(true).await.unwrap();
    let raised = alerts(&app).await;
    assert_eq!(raised.len(), 1);
    assert_eq!(
        raised[0].entry.details["rule"],
        bluelamp_app::monitoring::rule::RECORDS_CHANGED
    );
    let psd = app
        .sign_in_as(&user(
            "ds.psd",
            &["professional_standards"],
            "PSD",
            "SECRET",
            &[],
        ))
        .await;
    let page = text_of(&psd.client, app.url("/alerts")).await;
    assert!(
        page.contains("changed outside Bluelamp") && page.contains(&pid),
        "{page}"
    );
}

#[tokio::test]
async fn the_check_runs_on_its_schedule_alerts_once_and_stops_with_the_server() {
    let (app, pid, ..) = app_with_records().await;
    tamper(
        &app,
        &format!("UPDATE records SET summary = 'Changed' WHERE id = '{pid}'"),
    )
    .await;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(bluelamp_app::monitoring::run_records_check(
        app.store.clone(),
        bluelamp_server::system_clock(),
        std::time::Duration::from_millis(20),
        rx,
    ));
    let alerts = async || {
        app.store
            .audit_entries(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.entry.details["rule"] == "records_changed")
            .count()
    };
    let mut waited = 0;
    while alerts().await == 0 && waited < 250 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
    // Several more rounds find the same problem: still one alert.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(alerts().await, 1);
    // A server that goes away without saying so (the sender dropped) stops it too.
    drop(stop);
    tokio::time::timeout(std::time::Duration::from_secs(5), task)
        .await
        .expect("the check stops")
        .unwrap();
}

/// A link whose stored classification was changed by hand is left out of what a merge
/// reads, yet still in force on the record: the merge is refused (after being made again
/// twice) with a conflict that says the links changed or cannot be read, and nothing moves.
#[tokio::test]
async fn a_merge_of_a_record_with_a_link_changed_by_hand_is_refused_and_says_why() {
    let app = spawn_app().await;
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_string();
    let survivor = id(&app.create_person("Hargreaves", "William").await);
    let merged = id(&app.create_person("Hargreaves", "Bill").await);
    let car = id(&app.create_vehicle("AB12 CDE").await);
    let link = id(&app.create_link(&merged, &car, "owner").await);
    tamper(
        &app,
        &format!("UPDATE records SET classification = classification + 1 WHERE id = '{link}'"),
    )
    .await;
    let reads_for_merge = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            store
                .audit_entries(0, 1_000_000)
                .await
                .unwrap()
                .iter()
                .filter(|r| r.entry.details.get("for") == Some(&json!("merge")))
                .count()
        }
    };
    let before = reads_for_merge(&app).await;
    let r = app.merge((&survivor, 1), (&merged, 1), "Same man").await;
    assert_eq!(r.status(), reqwest::StatusCode::CONFLICT);
    let problem: serde_json::Value = r.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("links to the record"), "{detail}");
    assert!(detail.contains("cannot be read"), "{detail}");
    assert_eq!(problem["current_version"], 1, "{problem}");
    assert_eq!(problem["record_id"], merged.as_str(), "{problem}");
    // Made three times in all (each reads the merged record's links, audited), then given up.
    assert_eq!(reads_for_merge(&app).await - before, 3);
    let m = app.get_json(&format!("/api/v1/persons/{merged}")).await;
    assert_eq!(m["version"], 1, "nothing was written");
}
