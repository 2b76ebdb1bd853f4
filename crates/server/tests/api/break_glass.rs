//! Break glass: a user asks to read a record outside their need to know; it is refused until
//! a second person who can see the record approves; the grant lets them read that one record
//! (not list or change it) until it expires; it never overrides clearance; all of it is
//! audited and alerted.

use crate::helpers::*;
use bluelamp_domain::{AuditAction, Classification, FixedClock};
use bluelamp_server::SecurityOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::test]
async fn a_second_person_approves_time_limited_read_access_to_one_record() {
    let clock = Arc::new(FixedClock::new("2026-11-30T10:00:00Z".parse().unwrap()));
    let app = spawn_app_at(
        SecurityOptions {
            accredited: Classification::Secret,
            ..SecurityOptions::default()
        },
        clock.clone(),
    )
    .await;
    // test.officer holds OP-KESTREL; the record is in it.
    let rec = app
        .create(
            "persons",
            json!({"family_name": "Kestrel", "given_names": "Kim",
                   "marking": {"classification": "OFFICIAL", "compartments": ["OP-KESTREL"]}}),
        )
        .await;
    let id = rec["id"].as_str().unwrap().to_string();
    let secret = app
        .create(
            "persons",
            json!({"family_name": "Covert", "given_names": "Cal",
                   "marking": {"classification": "SECRET"}}),
        )
        .await;
    let secret_id = secret["id"].as_str().unwrap().to_string();
    let pc = app
        .sign_in_as(&user(
            "pc.urgent",
            &["officer"],
            "RESPONSE",
            "OFFICIAL-SENSITIVE",
            &[],
        ))
        .await;
    let read = |sess: &Session, rid: &str| {
        let url = app.url(&format!("/api/v1/persons/{rid}"));
        let c = sess.client.clone();
        async move { c.get(url).send().await.unwrap().status() }
    };
    assert_eq!(read(&pc, &id).await, StatusCode::NOT_FOUND);

    // The 404 page offers break glass, the same for hidden and missing records.
    let page = pc
        .client
        .get(app.url(&format!("/persons/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/break-glass?record={id}")));

    let ask = |rid: String| {
        let url = app.url("/api/v1/break-glass");
        let c = pc.client.clone();
        async move {
            c.post(url)
                .json(&json!({"record_id": rid, "hours": 2,
                    "reason": "Missing child enquiry: this person was seen with the child"}))
                .send()
                .await
                .unwrap()
        }
    };
    let short = pc
        .client
        .post(app.url("/api/v1/break-glass"))
        .json(&json!({"record_id": id, "hours": 2, "reason": "need it"}))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem_fields(&short.json::<Value>().await.unwrap()),
        ["reason"]
    );

    let r = ask(id.clone()).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let grant: Value = r.json().await.unwrap();
    assert_eq!(grant["status"], "pending");
    let missing = ask(uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(
        missing.status(),
        StatusCode::ACCEPTED,
        "asking about a record that does not exist looks the same"
    );
    let secret_ask: Value = ask(secret_id.clone()).await.json().await.unwrap();
    assert_eq!(
        read(&pc, &id).await,
        StatusCode::NOT_FOUND,
        "not before approval"
    );

    // A supervisor outside the compartment cannot see, so cannot decide, the request.
    let outsider = app
        .sign_in_as(&user("ps.out", &["supervisor"], "RESPONSE", "SECRET", &[]))
        .await;
    let list: Value = outsider
        .client
        .get(app.url("/api/v1/break-glass"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed: Vec<&str> = list["to_decide"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["record_id"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&id.as_str()), "{list}");
    let r = outsider
        .client
        .post(app.url(&format!(
            "/api/v1/break-glass/{}/decision",
            grant["id"].as_str().unwrap()
        )))
        .json(&json!({"base_version": 1, "approve": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A supervisor in the compartment approves.
    let sup = app
        .sign_in_as(&user(
            "ds.kestrel",
            &["supervisor"],
            "CID",
            "SECRET",
            &["OP-KESTREL"],
        ))
        .await;
    let list: Value = sup
        .client
        .get(app.url("/api/v1/break-glass"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["to_decide"].as_array().unwrap().len() >= 2);
    let decide = |gid: &str| {
        let url = app.url(&format!("/api/v1/break-glass/{gid}/decision"));
        let c = sup.client.clone();
        async move {
            c.post(url)
                .json(&json!({"base_version": 1, "approve": true, "note": "Agreed: urgent"}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = decide(grant["id"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let approved: Value = r.json().await.unwrap();
    assert_eq!(approved["expires_at"], "2026-11-30T12:00:00.000Z");
    assert_eq!(
        decide(grant["id"].as_str().unwrap()).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "decided once"
    );
    assert_eq!(
        decide(secret_ask["id"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );

    // Now the officer reads that one record, and the consultation names the grant.
    assert_eq!(read(&pc, &id).await, StatusCode::OK);
    let audit = app.store.audit_entries(0, 1_000_000).await.unwrap();
    let view = audit
        .iter()
        .rev()
        .find(|r| r.entry.action == AuditAction::View && r.entry.actor.user_id == "pc.urgent")
        .unwrap();
    let policies = view.entry.details["decision"]["policies"].to_string();
    assert!(
        policies.contains(&format!("break-glass:{}", grant["id"].as_str().unwrap())),
        "{policies}"
    );
    // Not in lists, not changeable, and never beyond clearance.
    let listed = pc
        .client
        .get(app.url("/api/v1/persons?prefix=kestrel"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains("KESTREL"));
    let r = pc
        .client
        .put(app.url(&format!("/api/v1/persons/{id}")))
        .json(&json!({"base_version": 1, "record": {"family_name": "Changed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        read(&pc, &secret_id).await,
        StatusCode::NOT_FOUND,
        "break glass never lifts the clearance rule"
    );

    // Request and decisions raised alerts.
    // (The background round may have raised some already: count what is in the trail.)
    app.running.monitor.run_once().await.unwrap();
    app.running.audit.checkpoint_round(true).await.unwrap();
    let bg = app
        .store
        .audit_search(&bluelamp_store::AuditQuery {
            action: Some(AuditAction::Alert),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .iter()
        .filter(|a| a.entry.details["rule"] == "break_glass")
        .count();
    assert_eq!(bg, 3 + 2, "three requests and two decisions");

    // The grant expires (keep the API token alive: it lasts a day).
    clock.advance(jiff::SignedDuration::from_mins(121));
    assert_eq!(read(&pc, &id).await, StatusCode::NOT_FOUND);
}
