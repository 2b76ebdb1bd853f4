//! Protective monitoring: each rule raises an alert in the audit trail, once; professional
//! standards see the alerts and close them, and the closing is audited too.

use crate::helpers::*;
use bluelamp_app::monitoring::{Monitor, MonitoringPolicy, rule};
use bluelamp_domain::{Actor, AuditAction, AuditEntry, Classification, FixedClock, RequestContext};
use bluelamp_server::SecurityOptions;
use bluelamp_store::Store;
use bluelamp_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

fn rules_of(alerts: &[AuditEntry]) -> Vec<String> {
    let mut r: Vec<String> = alerts
        .iter()
        .map(|a| a.details["rule"].as_str().unwrap().to_string())
        .collect();
    r.sort();
    r
}

#[tokio::test]
async fn volume_flagged_records_denials_and_name_searches_raise_alerts_once() {
    let app = spawn_app_with(SecurityOptions {
        accredited: Classification::Secret,
        monitoring: MonitoringPolicy {
            consultations_per_hour: 5,
            denials_per_15_minutes: 3,
            // The test runs the rounds itself.
            every_seconds: 3_600,
            ..MonitoringPolicy::default()
        },
        ..SecurityOptions::default()
    })
    .await;
    // Start the monitor's window before anything happens.
    app.running.monitor.run_once().await.unwrap();

    // Volume: six consultations in an hour against a threshold of five.
    let mut ids = Vec::new();
    for n in ["Ash", "Beech", "Cherry", "Damson", "Elder", "Fig"] {
        ids.push(
            app.create_person(n, "Volume").await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    for id in &ids {
        assert_eq!(
            app.get(&format!("/api/v1/persons/{id}")).await.status(),
            StatusCode::OK
        );
    }
    let alerts = app.running.monitor.run_once().await.unwrap();
    assert_eq!(rules_of(&alerts), [rule::VOLUME]);
    assert!(
        alerts[0].details["summary"]
            .as_str()
            .unwrap()
            .contains("records in an hour")
    );
    // Once per hour, not once per further view.
    app.get(&format!("/api/v1/persons/{}", ids[0])).await;
    assert!(app.running.monitor.run_once().await.unwrap().is_empty());

    // A flagged person.
    let vip = app
        .create(
            "persons",
            json!({"family_name": "Famous", "given_names": "Val", "flags": ["VIP"]}),
        )
        .await;
    let vip_id = vip["id"].as_str().unwrap();
    app.get(&format!("/api/v1/persons/{vip_id}")).await;
    let alerts = app.running.monitor.run_once().await.unwrap();
    assert_eq!(rules_of(&alerts), [rule::FLAGGED_RECORD]);
    assert_eq!(alerts[0].subjects[0].id.to_string(), vip_id);

    // Repeated refusals: an OFFICIAL-cleared user trying sensitive records.
    let sensitive = app
        .create(
            "persons",
            json!({"family_name": "Hidden", "given_names": "Harry",
                   "marking": {"classification": "OFFICIAL-SENSITIVE"}}),
        )
        .await;
    let hidden_id = sensitive["id"].as_str().unwrap();
    let nosy = app
        .sign_in_as(&user("pc.nosy", &["officer"], "RESPONSE", "OFFICIAL", &[]))
        .await;
    for _ in 0..3 {
        let r = nosy
            .client
            .get(app.url(&format!("/api/v1/persons/{hidden_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let alerts = app.running.monitor.run_once().await.unwrap();
    assert_eq!(rules_of(&alerts), [rule::REPEATED_DENIALS]);
    assert_eq!(alerts[0].details["user_id"], "pc.nosy");

    // Searching for one's own surname, and for a colleague's.
    let okafor = app
        .sign_in_as(&user("okafor", &["officer"], "RESPONSE", "OFFICIAL", &[]))
        .await;
    app.sign_in_as(&user("mensah", &["officer"], "RESPONSE", "OFFICIAL", &[]))
        .await;
    for prefix in ["Okafor", "mensah", "Smith"] {
        let r = okafor
            .client
            .get(app.url(&format!("/api/v1/persons?prefix={prefix}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let alerts = app.running.monitor.run_once().await.unwrap();
    assert_eq!(
        rules_of(&alerts),
        [rule::OWN_OR_COLLEAGUE_NAME, rule::OWN_OR_COLLEAGUE_NAME]
    );
    let summaries: Vec<&str> = alerts
        .iter()
        .map(|a| a.details["summary"].as_str().unwrap())
        .collect();
    assert!(summaries.iter().any(|s| s.contains("their own surname")));
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("the surname of mensah"))
    );

    // Professional standards see the alerts (once sequenced into the log, which the
    // checkpointer does within seconds) and close one; the closing is audited.
    app.running.audit.checkpoint_round(true).await.unwrap();
    let psd = app
        .sign_in_as(&user(
            "ds.psd",
            &["professional_standards"],
            "PSD",
            "SECRET",
            &[],
        ))
        .await;
    let page = psd
        .client
        .get(app.url("/alerts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Open (5)"), "{page}");
    let seq = app
        .store
        .audit_search(&bluelamp_store::AuditQuery {
            action: Some(AuditAction::Alert),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .seq;
    let r = psd
        .client
        .post(app.url("/alerts/close"))
        .form(&[
            ("csrf_token", psd.csrf.as_str()),
            ("alert", &seq.to_string()),
            ("outcome", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an outcome is needed"
    );
    let r = psd
        .client
        .post(app.url("/alerts/close"))
        .form(&[
            ("csrf_token", psd.csrf.as_str()),
            ("alert", &seq.to_string()),
            (
                "outcome",
                "Spoke to the officer: a colleague's name, a genuine enquiry",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.running.audit.checkpoint_round(true).await.unwrap();
    let page = psd
        .client
        .get(app.url("/alerts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Open (4)") && page.contains("a genuine enquiry"));
    let closes = app
        .store
        .audit_search(&bluelamp_store::AuditQuery {
            action: Some(AuditAction::AlertClosed),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0].entry.actor.user_id, "ds.psd");
    // An officer cannot see the alerts.
    let r = app.client.get(app.url("/alerts")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn use_at_an_hour_unusual_for_the_user_raises_an_alert() {
    let dir = std::env::temp_dir().join(format!("bluelamp-mon-{}", uuid::Uuid::now_v7()));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("b.db")).await.unwrap());
    let clock = Arc::new(FixedClock::new("2026-11-20T10:00:00Z".parse().unwrap()));
    let act = |at: &str| {
        let mut e = AuditEntry::new(
            at.parse().unwrap(),
            Actor {
                user_id: "pc.days".into(),
                display_name: "PC Days".into(),
            },
            AuditAction::View,
            "tests",
            RequestContext::default(),
        );
        e.details = Value::Null;
        e
    };
    // Thirty days of day shifts: 10:00 to 15:00.
    for day in 1..=19 {
        for hour in 10..=15 {
            store
                .audit_only(act(&format!("2026-11-{day:02}T{hour:02}:00:00Z")))
                .await
                .unwrap();
        }
    }
    let monitor = Monitor::new(
        store.clone(),
        clock.clone(),
        MonitoringPolicy {
            min_history: 100,
            consultations_per_hour: 1_000,
            ..MonitoringPolicy::default()
        },
    );
    assert!(monitor.run_once().await.unwrap().is_empty());
    store.audit_only(act("2026-11-20T11:00:00Z")).await.unwrap();
    assert!(
        monitor.run_once().await.unwrap().is_empty(),
        "a usual hour raises nothing"
    );
    clock.set("2026-11-21T03:10:00Z".parse().unwrap());
    store.audit_only(act("2026-11-21T03:05:00Z")).await.unwrap();
    let alerts = monitor.run_once().await.unwrap();
    assert_eq!(rules_of(&alerts), [rule::UNUSUAL_HOUR]);
    assert!(
        alerts[0].details["summary"]
            .as_str()
            .unwrap()
            .contains("03:05")
    );
}
