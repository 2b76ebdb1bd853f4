use crate::helpers::*;
use bluelamp_domain::AuditAction;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_then_read_a_person_and_the_read_is_audited() {
    let app = spawn_app().await;
    let created = app.create_person("Smith", "John William").await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["summary"], "SMITH, John William");
    assert_eq!(created["marking"]["classification"], "OFFICIAL");
    let id = created["id"].as_str().unwrap();

    // The test officer's own records (the duplicate check audits its searches as the
    // system, at its own pace).
    let before = app.audit_count_by("test.officer").await;
    let got = app.get_json(&format!("/api/v1/persons/{id}")).await;
    assert_eq!(got["data"]["family_name"], "Smith");
    assert_eq!(got["data"]["date_of_birth"], "1985-03-02");
    let audit: Vec<_> = app
        .store
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.actor.user_id == "test.officer")
        .collect();
    assert_eq!(audit.len(), before + 1);
    let last = &audit.last().unwrap().entry;
    assert_eq!(last.action, AuditAction::View);
    assert_eq!(last.subjects[0].id.to_string(), id);
    assert_eq!(last.service, "bluelamp-api");
    assert!(
        last.context.correlation_id.is_some(),
        "the request id is in the audit record"
    );
}

#[tokio::test]
async fn a_record_of_one_kind_is_not_found_as_another() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    let r = app
        .get(&format!("/api/v1/objects/{}", p["id"].as_str().unwrap()))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn update_writes_a_version_and_a_stale_update_is_refused_with_409() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    let id = p["id"].as_str().unwrap();
    let path = format!("/api/v1/persons/{id}");
    let r = app
        .put_json(
            &path,
            &json!({"base_version": 1, "record": {"family_name": "Smyth", "given_names": "John"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v2: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v2["version"], 2);

    let audits = app.audit_count_by("test.officer").await;
    let r = app
        .put_json(
            &path,
            &json!({"base_version": 1, "record": {"family_name": "Jones"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["current_version"], 2);
    assert_eq!(problem["record_id"], id, "the version is this record's");
    assert_eq!(
        app.audit_count_by("test.officer").await,
        audits,
        "nothing written, not even an audit row"
    );
    let now = app.get_json(&path).await;
    assert_eq!(now["data"]["family_name"], "Smyth");

    let history = app.get_json(&format!("/api/v1/records/{id}/history")).await;
    let h = history.as_array().unwrap();
    assert_eq!(h.len(), 2);
    let changes = h[1]["changes"].as_array().unwrap();
    let fields: Vec<&str> = changes
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["date_of_birth", "family_name"],
        "the update also cleared the date of birth"
    );
    assert_eq!(changes[1]["before"], "Smith");
    assert_eq!(changes[1]["after"], "Smyth");
    assert_eq!(h[1]["changed_by_name"], "Test test.officer");
    let v1 = app
        .get_json(&format!("/api/v1/records/{id}/versions/1"))
        .await;
    assert_eq!(v1["data"]["family_name"], "Smith");
}

#[tokio::test]
async fn link_a_person_to_a_vehicle_and_see_it_from_both_ends_then_unlink() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    let v = app.create_vehicle("AB12CDE").await;
    assert_eq!(v["summary"], "Vehicle AB12 CDE (Ford Focus, blue)");
    let (pid, vid) = (p["id"].as_str().unwrap(), v["id"].as_str().unwrap());
    let link = app
        .create(
            "links",
            json!({"from_id": pid, "to_id": vid, "role": "owner", "valid_from": "2024-01-01"}),
        )
        .await;
    let from_person = app.get_json(&format!("/api/v1/records/{pid}/links")).await;
    assert_eq!(from_person[0]["label"], "Owner of");
    assert_eq!(
        from_person[0]["other"]["summary"],
        "Vehicle AB12 CDE (Ford Focus, blue)"
    );
    let from_vehicle = app.get_json(&format!("/api/v1/records/{vid}/links")).await;
    assert_eq!(from_vehicle[0]["label"], "Owned by");
    assert_eq!(from_vehicle[0]["direction"], "incoming");

    let lid = link["id"].as_str().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/links/{lid}/end"),
            &json!({"base_version": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        app.get_json(&format!("/api/v1/records/{pid}/links"))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = app
        .get_json(&format!("/api/v1/records/{pid}/links?include_ended=true"))
        .await;
    assert_eq!(all[0]["link"]["status"], "ended");
    let again = app
        .post_json(
            &format!("/api/v1/links/{lid}/end"),
            &json!({"base_version": 1}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_link_whose_role_does_not_suit_its_ends_names_the_role() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    let v = app.create_vehicle("AB12CDE").await;
    let r = app
        .post_json(
            "/api/v1/links",
            &json!({"from_id": v["id"], "to_id": p["id"], "role": "suspect"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&problem), ["role"]);
    let r = app.post_json("/api/v1/links", &json!({"from_id": p["id"], "to_id": "0190a000-0000-7000-8000-000000000000", "role": "owner"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&problem), ["to_id"]);
    assert_eq!(app.store.counts().await.unwrap().links, 0);
}

#[tokio::test]
async fn lists_page_and_filter_and_count_every_kind() {
    let app = spawn_app().await;
    for (f, g) in [
        ("Smith", "Ann"),
        ("Smyth", "Bob"),
        ("Jones", "Cat"),
        ("Smart", "Dan"),
    ] {
        app.create_person(f, g).await;
    }
    app.create("locations", json!({"address_lines": ["12 High Street"], "town": "Leeds", "postcode": "ls6 1aa", "location_type": "residential"})).await;
    app.create("events", json!({"event_type": "crime", "title": "Burglary at 12 High Street", "starts_at": "2026-03-01T21:14:00Z"})).await;
    let page = app.get_json("/api/v1/persons?per_page=2&page=2").await;
    assert_eq!(page["total"], 4);
    assert_eq!(page["total_pages"], 2);
    assert_eq!(page["items"][0]["summary"], "SMITH, Ann");
    let sm = app.get_json("/api/v1/persons?prefix=sm").await;
    assert_eq!(sm["total"], 3);
    let ev = app.get_json("/api/v1/events?subtype=crime").await;
    assert_eq!(ev["total"], 1);
    let loc = app.get_json("/api/v1/locations").await;
    assert_eq!(loc["items"][0]["summary"], "12 High Street, Leeds LS6 1AA");
}

#[tokio::test]
async fn every_change_reaches_the_bus_as_a_thin_event() {
    let app = spawn_app().await;
    let mut rx = app.running.bus.subscribe();
    let p = app.create_person("Smith", "John").await;
    let msg = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.event_type, "pole.person.created");
    assert_eq!(msg.payload["additionalInformation"]["id"], p["id"]);
    assert!(
        msg.payload.get("data").is_none() && !msg.payload.to_string().contains("Smith"),
        "events never carry record content"
    );
    assert!(msg.payload["correlationId"].is_string());
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/persons",
        "/api/v1/persons/{id}",
        "/api/v1/objects",
        "/api/v1/locations/{id}",
        "/api/v1/events",
        "/api/v1/links",
        "/api/v1/links/{id}/end",
        "/api/v1/records/{id}/history",
        "/api/v1/records/{id}/links",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["schemas"].get("PersonInput").is_some());
    let docs = app.get("/api/docs").await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("/api/v1/persons/{id}"));
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get_json("/healthz").await["status"], "ok");
    let ready = app.get_json("/readyz").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["store"], "sqlite");
}

#[tokio::test]
async fn responses_carry_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let r = app.get("/").await;
    assert!(r.headers().get("x-request-id").is_some());
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}
