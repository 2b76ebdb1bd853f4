//! The pages, driven as a browser without JavaScript would: GET a form, POST it, follow the
//! redirect. (The browser tests in tests/browser drive the same pages in Chromium.)

use crate::helpers::*;
use reqwest::StatusCode;

/// Posts a form as the signed-in test officer, with the session's CSRF token as every page
/// form carries it.
#[tokio::test]
async fn create_a_person_through_the_form_and_see_the_record_page() {
    let app = spawn_app().await;
    let form = app.get("/persons/new").await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("Family name"));
    let r = post_form(
        &app,
        "/persons",
        &[
            ("family_name", "Łukasz-Smith"),
            ("given_names", "Anna"),
            ("dob-day", "2"),
            ("dob-month", "3"),
            ("dob-year", "1985"),
            ("ni", "QQ 12 34 56 C"),
            ("warning_markers", "VI"),
            ("classification", "OFFICIAL"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/persons/"), "{location}");
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("ŁUKASZ-SMITH, Anna"));
    assert!(page.contains("2 March 1985"));
    assert!(page.contains("QQ123456C"));
    assert!(page.contains("Violent (VI)"));
    assert!(page.contains("Record created"));
}

#[tokio::test]
async fn a_form_with_errors_comes_back_with_a_summary_and_the_values_kept() {
    let app = spawn_app().await;
    let r = post_form(
        &app,
        "/persons",
        &[
            ("family_name", ""),
            ("given_names", "Anna"),
            ("dob-day", "31"),
            ("dob-month", "2"),
            ("dob-year", "1985"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("There is a problem"));
    assert!(page.contains("<title>Error:"));
    assert!(page.contains("href=\"#family_name\""));
    assert!(page.contains("href=\"#dob-day\""));
    assert!(
        page.contains("value=\"Anna\""),
        "what the user typed is kept"
    );
    assert_eq!(app.record_count().await, 0);
}

#[tokio::test]
async fn link_a_person_to_a_vehicle_through_the_pages() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    app.create_vehicle("AB12CDE").await;
    let pid = p["id"].as_str().unwrap();
    let search = app
        .get(&format!(
            "/records/{pid}/links/new?role=owner:out&target_kind=objects&q=vehicle+ab12"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        search.contains("Vehicle AB12 CDE"),
        "the candidate is offered"
    );
    let vid = search
        .split("name=\"target_id\" type=\"radio\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = post_form(
        &app,
        &format!("/records/{pid}/links"),
        &[
            ("role", "owner:out"),
            ("target_id", &vid),
            ("target_kind", "objects"),
            ("q", "vehicle"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(r.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Owner of"));
    assert!(page.contains("Vehicle AB12 CDE (Ford Focus, blue)"));
    let vehicle_page = app
        .get(&format!("/objects/{vid}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(vehicle_page.contains("Owned by"));
    assert!(vehicle_page.contains("SMITH, John"));
}

#[tokio::test]
async fn the_record_to_link_is_found_however_its_name_was_typed() {
    let app = spawn_app().await;
    let officer = app.create_person("Smith", "John").await;
    let witness = app.create_person("Wiśniewski", "Łukasz").await;
    let (oid, wid) = (
        officer["id"].as_str().unwrap(),
        witness["id"].as_str().unwrap(),
    );
    // Misspelt, without its accents, given name first: no summary starts like that, the
    // search finds it (once the index has it), with the reason.
    let url = format!(
        "/records/{oid}/links/new?role=associate_of:out&target_kind=persons&q=lukasz+wisniewsky"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let page = loop {
        let page = app.get(&url).await.text().await.unwrap();
        if page.contains(wid) || std::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(page.contains(&format!("value=\"{wid}\"")), "{page}");
    assert!(page.contains("WIŚNIEWSKI, Łukasz"), "{page}");
    assert!(
        page.contains("Person, OFFICIAL: "),
        "the reason is shown: {page}"
    );
    // The record the link starts from is never offered, found either way.
    let own = format!("/records/{oid}/links/new?role=associate_of:out&target_kind=persons&q=smith");
    let page = app.get(&own).await.text().await.unwrap();
    assert!(!page.contains(&format!("value=\"{oid}\"")), "{page}");
    // What nothing matches says so.
    let none =
        format!("/records/{oid}/links/new?role=associate_of:out&target_kind=persons&q=zzyzx");
    let page = app.get(&none).await.text().await.unwrap();
    assert!(page.contains("No records match"), "{page}");
}

#[tokio::test]
async fn an_edit_based_on_an_old_version_is_refused_with_an_explanation() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    let id = p["id"].as_str().unwrap();
    let edit = app
        .get(&format!("/persons/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("name=\"base_version\" value=\"1\""));
    let ok = post_form(
        &app,
        &format!("/persons/{id}"),
        &[
            ("base_version", "1"),
            ("family_name", "Smyth"),
            ("classification", "OFFICIAL"),
        ],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let stale = post_form(
        &app,
        &format!("/persons/{id}"),
        &[
            ("base_version", "1"),
            ("family_name", "Jones"),
            ("classification", "OFFICIAL"),
        ],
    )
    .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(
        stale
            .text()
            .await
            .unwrap()
            .contains("Someone else changed this record")
    );
    let history = app
        .get(&format!("/records/{id}/history"))
        .await
        .text()
        .await
        .unwrap();
    assert!(history.contains("Version 2: Changed"));
    assert!(history.contains("Smyth"));
}

#[tokio::test]
async fn an_unknown_page_is_a_helpful_404() {
    let app = spawn_app().await;
    let r = app
        .get("/persons/0190a000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Page not found"));
    assert_eq!(
        app.get("/nowhere/at/all").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn list_pages_render_for_every_kind() {
    let app = spawn_app().await;
    app.create_person("Smith", "John").await;
    for path in [
        "/",
        "/persons",
        "/objects",
        "/locations",
        "/events",
        "/objects/new",
        "/objects/new?kind=vehicle",
        "/locations/new",
        "/events/new",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn an_oversized_form_is_refused_with_a_page_and_nothing_is_written() {
    let app = spawn_app().await;
    let huge = "a".repeat(2 * 1024 * 1024);
    let r = post_form(&app, "/persons", &[("family_name", huge.as_str())]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The form could not be read")
    );
    assert_eq!(app.record_count().await, 0);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn control_characters_typed_into_a_form_are_named_beside_the_field() {
    let app = spawn_app().await;
    let r = post_form(
        &app,
        "/locations",
        &[
            ("address_line_1", "1 High\u{0000} Street"),
            ("postcode", "LS6 1AA"),
            ("location_type", "residential"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("id=\"address_line_1-error\""),
        "the message is by the field"
    );
    assert_eq!(app.record_count().await, 0);
}

#[tokio::test]
async fn an_impossible_event_date_is_named_on_the_form() {
    let app = spawn_app().await;
    let r = post_form(
        &app,
        "/events",
        &[
            ("event_type", "crime"),
            ("title", "Theft"),
            ("starts-day", "30"),
            ("starts-month", "2"),
            ("starts-year", "2026"),
            ("starts-time", "25:00"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("href=\"#starts-day\""));
    assert_eq!(app.record_count().await, 0);
}

#[tokio::test]
async fn a_link_added_through_the_page_keeps_its_dates_and_a_bad_date_is_named() {
    let app = spawn_app().await;
    let p = app.create_person("Smith", "John").await;
    let l = app
        .create(
            "locations",
            serde_json::json!({"address_lines": ["12 High Street"], "postcode": "LS6 1AA"}),
        )
        .await;
    let (pid, lid) = (p["id"].as_str().unwrap(), l["id"].as_str().unwrap());
    let bad = post_form(
        &app,
        &format!("/records/{pid}/links"),
        &[
            ("role", "resides_at:out"),
            ("target_id", lid),
            ("from-day", "31"),
            ("from-month", "2"),
            ("from-year", "2020"),
        ],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad.text().await.unwrap();
    assert!(
        page.contains("id=\"from-error\""),
        "the message is by the date"
    );
    assert!(page.contains("value=\"31\""), "what was typed is kept");
    assert_eq!(app.store.counts().await.unwrap().links, 0);

    let ok = post_form(
        &app,
        &format!("/records/{pid}/links"),
        &[
            ("role", "resides_at:out"),
            ("target_id", lid),
            ("from-day", "1"),
            ("from-month", "3"),
            ("from-year", "2020"),
        ],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let person = app
        .get(&format!("/persons/{pid}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(person.contains("Resides at"));
    assert!(person.contains("Since 1 March 2020"));
}
