//! Every class of bad input gets a clear 4xx naming the problem, writes nothing, and leaves
//! the server serving.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Sends `body` to create a person and checks the status, the fields named, and that
/// nothing was written and the server still answers.
async fn refused(
    app: &TestApp,
    body: reqwest::RequestBuilder,
    status: StatusCode,
    fields: &[&str],
) -> Value {
    let records = app.record_count().await;
    let audits = app.audit_count_by("test.officer").await;
    let r = body.send().await.unwrap();
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["status"], status.as_u16());
    let named = problem_fields(&problem);
    for f in fields {
        assert!(named.iter().any(|n| n == f), "{f} not named in {problem}");
    }
    assert_eq!(app.record_count().await, records, "nothing written");
    assert_eq!(
        app.audit_count_by("test.officer").await,
        audits,
        "no audit row for a refused write"
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "still serving"
    );
    problem
}

fn post(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client.post(app.url(path))
}

#[tokio::test]
async fn an_invalid_postcode_is_named() {
    let app = spawn_app().await;
    refused(
        &app,
        post(&app, "/api/v1/locations")
            .json(&json!({"address_lines": ["1 High St"], "postcode": "NOT A POSTCODE"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        &["postcode"],
    )
    .await;
}

#[tokio::test]
async fn an_impossible_date_of_birth_is_named() {
    let app = spawn_app().await;
    refused(
        &app,
        post(&app, "/api/v1/persons")
            .json(&json!({"family_name": "Smith", "date_of_birth": "2023-02-29"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        &["date_of_birth"],
    )
    .await;
}

#[tokio::test]
async fn control_characters_in_a_name_are_refused() {
    let app = spawn_app().await;
    refused(
        &app,
        post(&app, "/api/v1/persons").json(&json!({"family_name": "Smi\u{0007}th"})),
        StatusCode::UNPROCESSABLE_ENTITY,
        &["family_name"],
    )
    .await;
}

#[tokio::test]
async fn a_name_too_long_for_a_name_is_refused() {
    let app = spawn_app().await;
    let long = "a".repeat(5_000);
    refused(
        &app,
        post(&app, "/api/v1/persons").json(&json!({"family_name": long})),
        StatusCode::UNPROCESSABLE_ENTITY,
        &["family_name"],
    )
    .await;
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let huge = format!("{{\"family_name\": \"{}\"}}", "a".repeat(10 * 1024 * 1024));
    refused(
        &app,
        post(&app, "/api/v1/persons")
            .header("content-type", "application/json")
            .body(huge),
        StatusCode::PAYLOAD_TOO_LARGE,
        &[],
    )
    .await;
}

#[tokio::test]
async fn a_wrong_type_names_the_field() {
    let app = spawn_app().await;
    refused(
        &app,
        post(&app, "/api/v1/persons").json(&json!({"family_name": 42})),
        StatusCode::BAD_REQUEST,
        &["family_name"],
    )
    .await;
    let p = refused(
        &app,
        post(&app, "/api/v1/persons")
            .json(&json!({"family_name": "Smith", "description": {"height_cm": "tall"}})),
        StatusCode::BAD_REQUEST,
        &["description.height_cm"],
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("invalid type"),
        "{p}"
    );
}

#[tokio::test]
async fn an_unknown_field_is_refused_by_name() {
    let app = spawn_app().await;
    let p = refused(
        &app,
        post(&app, "/api/v1/persons").json(&json!({"family_name": "Smith", "shoe_size": 9})),
        StatusCode::BAD_REQUEST,
        &[],
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("shoe_size"), "{p}");
}

#[tokio::test]
async fn malformed_json_is_refused_with_its_position() {
    let app = spawn_app().await;
    let p = refused(
        &app,
        post(&app, "/api/v1/persons")
            .header("content-type", "application/json")
            .body("{\"family_name\": \"Smi"),
        StatusCode::BAD_REQUEST,
        &[],
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("not valid JSON"),
        "{p}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused() {
    let app = spawn_app().await;
    refused(
        &app,
        post(&app, "/api/v1/persons")
            .header("content-type", "text/plain")
            .body("family_name=Smith"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        &[],
    )
    .await;
}

#[tokio::test]
async fn every_bad_field_is_named_at_once() {
    let app = spawn_app().await;
    refused(
        &app,
        post(&app, "/api/v1/persons").json(&json!({"family_name": "", "date_of_birth": "1985-13", "gender": "robot", "identifiers": [{"type": "PNC", "value": "2024/0123456A"}], "marking": {"classification": "TOP SECRET"}})),
        StatusCode::UNPROCESSABLE_ENTITY,
        &["family_name", "date_of_birth", "gender", "identifiers.0.value", "marking.classification"],
    )
    .await;
}

#[tokio::test]
async fn bad_ids_and_list_parameters_are_named() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/persons/not-a-uuid").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p: Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&p), ["id"]);
    let r = app.get("/api/v1/persons?per_page=1000&page=0").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&p), ["page", "per_page"]);
    let p = app.create_person("Smith", "John").await;
    let r = app
        .get(&format!(
            "/api/v1/records/{}/links?include_ended=maybe",
            p["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&problem), ["include_ended"]);
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_event_at_a_location_that_does_not_exist_is_refused() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    refused(
        &app,
        post(&app, "/api/v1/events").json(&json!({"event_type": "crime", "title": "Theft", "starts_at": "2026-01-01T10:00:00Z", "location_id": p["id"]})),
        StatusCode::UNPROCESSABLE_ENTITY,
        &["location_id"],
    )
    .await;
}
