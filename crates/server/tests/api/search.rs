//! Search over HTTP: the index follows every change through the outbox, finds people by
//! spelling, sound and date of birth and other records by registration, postcode and words,
//! never shows or counts what the caller may not see, audits every search, refuses bad
//! input naming the field, and serves the search page and search as you type.

use crate::helpers::*;
use bluelamp_domain::AuditAction;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn first_id(body: &Value, kind: &str) -> Option<String> {
    ids(body, kind).into_iter().next()
}

#[tokio::test]
async fn people_are_found_by_spelling_sound_and_date_of_birth_as_soon_as_they_are_written() {
    let app = spawn_app().await;
    let smith = app
        .create(
            "persons",
            json!({"family_name": "Smith", "given_names": "John", "date_of_birth": "1980-05-12"}),
        )
        .await;
    let id = smith["id"].as_str().unwrap().to_string();
    app.create_person("Brown", "Mary").await;
    let body = search_until(&app, &app.client, "q=Jon+Smyth+12/05/1980", |b| {
        first_id(b, "person").as_deref() == Some(id.as_str())
    })
    .await;
    let hit = &group(&body, "person").unwrap()["items"][0];
    assert!(
        hit["reason"].as_str().unwrap().contains("date of birth"),
        "{hit}"
    );
    assert_eq!(hit["url"], format!("/api/v1/persons/{id}"));
    assert!(
        body["understood"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "name Jon Smyth")
    );
    // Structured search, nickname.
    search_until(
        &app,
        &app.client,
        "family_name=smith&given_names=Johnny",
        |b| first_id(b, "person").as_deref() == Some(id.as_str()),
    )
    .await;
    // A change reaches the index: the old name no longer finds them by exact surname.
    let r = app
        .put_json(
            &format!("/api/v1/persons/{id}"),
            &json!({"base_version": 1, "record": {"family_name": "Kowalczyk", "given_names": "John", "date_of_birth": "1980-05-12"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    search_until(&app, &app.client, "q=kowalczyk", |b| {
        first_id(b, "person").as_deref() == Some(id.as_str())
    })
    .await;
}

#[tokio::test]
async fn vehicles_locations_and_events_are_found_too() {
    let app = spawn_app().await;
    let car = app.create_vehicle("AB12 CDE").await;
    let home = app
        .create(
            "locations",
            json!({"address_lines": ["12 Acacia Avenue"], "town": "Leeds", "postcode": "LS1 4AP", "location_type": "residential"}),
        )
        .await;
    let crime = app
        .create(
            "events",
            json!({"event_type": "crime", "title": "Burglary", "starts_at": "2026-01-02T03:04:00Z", "narrative": "Entry forced through the garden shed."}),
        )
        .await;
    let car_id = car["id"].as_str().unwrap().to_string();
    search_until(&app, &app.client, "q=AB12*", |b| {
        first_id(b, "object").as_deref() == Some(car_id.as_str())
    })
    .await;
    let home_id = home["id"].as_str().unwrap().to_string();
    let body = search_until(&app, &app.client, "q=LS1+4", |b| {
        first_id(b, "location").as_deref() == Some(home_id.as_str())
    })
    .await;
    assert_eq!(
        group(&body, "location").unwrap()["items"][0]["reason"],
        "postcode sector LS1 4"
    );
    let crime_id = crime["id"].as_str().unwrap().to_string();
    search_until(&app, &app.client, "q=garden+shed&kind=event", |b| {
        first_id(b, "event").as_deref() == Some(crime_id.as_str())
            && b["results"].as_array().unwrap().len() == 1
    })
    .await;
}

#[tokio::test]
async fn hidden_records_are_never_found_or_counted_and_searches_are_audited() {
    let app = spawn_app().await;
    let officer = app
        .sign_in_as(&user(
            "search.officer",
            &["officer"],
            "RESPONSE",
            "OFFICIAL-SENSITIVE",
            &[],
        ))
        .await;
    // Written by the test officer (SECRET, OP-KESTREL): two the officer may see, three not.
    let mut visible = Vec::new();
    for given in ["John", "Jon"] {
        let r = app
            .create(
                "persons",
                json!({"family_name": "Hargreaves", "given_names": given, "date_of_birth": "1984-06-12"}),
            )
            .await;
        visible.push(r["id"].as_str().unwrap().to_string());
    }
    let mut hidden = Vec::new();
    for marking in [
        json!({"classification": "SECRET"}),
        json!({"classification": "OFFICIAL", "compartments": ["OP-KESTREL"]}),
        json!({"classification": "OFFICIAL", "restriction": {"teams": ["CID"]}}),
    ] {
        let r = app
            .create(
                "persons",
                json!({"family_name": "Hargreaves", "given_names": "John", "date_of_birth": "1984-06-12", "marking": marking}),
            )
            .await;
        hidden.push(r["id"].as_str().unwrap().to_string());
    }
    // The test officer sees all five once indexed.
    search_until(&app, &app.client, "q=John+Hargreaves", |b| {
        group(b, "person").is_some_and(|g| g["total"] == 5)
    })
    .await;
    let body = search_until(&app, &officer.client, "q=John+Hargreaves", |_| true).await;
    let g = group(&body, "person").unwrap();
    assert_eq!(g["total"], 2, "{body}");
    let mut found = ids(&body, "person");
    found.sort();
    visible.sort();
    assert_eq!(found, visible);
    // The audit record names the search and exactly the records returned.
    let rows = app.store.audit_entries(0, 1_000_000).await.unwrap();
    let last = rows
        .iter()
        .rev()
        .find(|r| {
            r.entry.actor.user_id == "search.officer" && r.entry.action == AuditAction::Search
        })
        .unwrap();
    assert_eq!(last.entry.details["q"], "John Hargreaves");
    assert_eq!(last.entry.details["counts"]["person"], 2);
    let mut subjects: Vec<String> = last
        .entry
        .subjects
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    subjects.sort();
    assert_eq!(subjects, visible);
    for h in &hidden {
        assert!(!body.to_string().contains(h.as_str()));
    }
}

#[tokio::test]
async fn bad_search_input_is_refused_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, status, field) in [
        ("q=", StatusCode::UNPROCESSABLE_ENTITY, Some("q")),
        (
            "q=smith&dob=31/02/1980",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("dob"),
        ),
        (
            "q=smith&per_page=1000",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("per_page"),
        ),
        (
            "q=smith&kind=link",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("kind"),
        ),
        (
            "q=smith&gender=robot",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("gender"),
        ),
        (
            "given_names=john",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("family_name"),
        ),
        ("q=smith%00", StatusCode::UNPROCESSABLE_ENTITY, Some("q")),
        ("q=smith&colour=red", StatusCode::BAD_REQUEST, None),
    ] {
        let r = app.get(&format!("/api/v1/search?{query}")).await;
        assert_eq!(r.status(), status, "{query}");
        let problem: Value = r.json().await.unwrap();
        if let Some(f) = field {
            assert!(
                problem_fields(&problem).contains(&f.to_string()),
                "{query}: {problem}"
            );
        } else {
            assert!(
                problem["detail"].as_str().unwrap().contains("colour"),
                "{problem}"
            );
        }
    }
    let long = "a".repeat(600);
    let r = app.get(&format!("/api/v1/search?q={long}")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The server is unaffected.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_search_page_suggestions_and_readiness() {
    let app = spawn_app().await;
    let p = app.create_person("Featherstonehaugh", "Imogen").await;
    let id = p["id"].as_str().unwrap().to_string();
    search_until(&app, &app.client, "q=Featherstonehaugh", |b| {
        first_id(b, "person").is_some()
    })
    .await;
    let r = app.get("/search?q=Imogen+Featherstonhaugh").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("/persons/{id}")), "{html}");
    assert!(html.contains("FEATHERSTONEHAUGH") || html.contains("Featherstonehaugh"));
    assert!(html.contains("Searching for: name Imogen Featherstonhaugh"));
    let r = app.get("/search/suggest?q=Featherst").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains(&format!("/persons/{id}")));
    // Bad input on the page: the error summary, not a crash.
    let r = app.get("/search?q=smith&dob=99/99/9999").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("There is a problem"));
    let ready = app.get_json("/readyz").await;
    assert_eq!(ready["search"]["state"], "current");
    assert!(ready["search"]["documents"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn a_rebuild_gives_the_same_results_and_keeps_up_with_changes() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for (f, g) in [
        ("Okafor", "Ruth"),
        ("Okafor", "Chidi"),
        ("O'Connor", "Ruth"),
    ] {
        ids.push(
            app.create_person(f, g).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Every record indexed, then a search to compare.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.running.search.status().await.documents < 3 {
        assert!(std::time::Instant::now() < deadline, "never indexed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = search_until(&app, &app.client, "q=Okafor", |b| {
        group(b, "person").is_some_and(|g| g["total"] == 2)
    })
    .await;
    let report = app.running.search.rebuild().await.unwrap();
    assert!(report.records >= 3);
    let after = search_until(&app, &app.client, "q=Okafor", |_| true).await;
    assert_eq!(before["results"], after["results"]);
    assert_eq!(app.running.search.status().await.documents, 3);
    // A person merged into another is history: a rebuild (which reads bodies as text)
    // leaves it out as the live index does, and finds the survivor.
    let r = app
        .post_json(
            "/api/v1/persons/merges",
            &json!({"survivor_id": ids[0], "survivor_version": 1, "merged_id": ids[1],
                    "merged_version": 1, "reason": "Same person"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.running.search.rebuild().await.unwrap();
    assert_eq!(app.running.search.status().await.documents, 2);
    let after = search_until(&app, &app.client, "q=Okafor", |_| true).await;
    let group = group(&after, "person").unwrap();
    assert_eq!(group["total"], 1, "{after}");
    assert_eq!(group["items"][0]["id"], ids[0].as_str());
}

#[tokio::test]
async fn search_before_create_offers_the_person_already_recorded() {
    let app = spawn_app().await;
    let existing = app
        .create(
            "persons",
            json!({"family_name": "Wiśniewski", "given_names": "Łukasz", "date_of_birth": "1990-01-30",
                   "identifiers": [{"type": "ni", "value": "QQ123456C"}]}),
        )
        .await;
    let id = existing["id"].as_str().unwrap().to_string();
    app.create_person("Wisniewska", "Anna").await;
    search_until(&app, &app.client, "q=Wisniewski", |b| {
        first_id(b, "person").as_deref() == Some(id.as_str())
    })
    .await;
    // The same man typed without accents, a nickname-free spelling and the same NI number.
    let r = app
        .post_json(
            "/api/v1/persons/matches",
            &json!({"family_name": "Wisniewski", "given_names": "Lukasz", "date_of_birth": "1990-01-30",
                    "identifiers": [{"type": "ni", "value": "QQ 12 34 56 C"}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let first = &body["items"][0];
    assert_eq!(first["id"], id.as_str(), "{body}");
    assert_eq!(first["likely"], true);
    assert!(
        first["reason"]
            .as_str()
            .unwrap()
            .contains("National Insurance number matches"),
        "{first}"
    );
    // Someone new: nothing likely.
    let r = app
        .post_json(
            "/api/v1/persons/matches",
            &json!({"family_name": "Featherstonehaugh", "given_names": "Imogen", "date_of_birth": "1961-12-01"}),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["likely"] == false),
        "{body}"
    );
    // Invalid input is refused as a create would be, and nothing is written.
    let before = app.record_count().await;
    let r = app
        .post_json(
            "/api/v1/persons/matches",
            &json!({"family_name": "", "date_of_birth": "1990-02-31"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem_fields(&problem).contains(&"family_name".to_string()),
        "{problem}"
    );
    assert_eq!(app.record_count().await, before);
}
