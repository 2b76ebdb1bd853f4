//! Custody over HTTP: booking in, the PACE clock, entries refused by the rules, need to know,
//! the board (API and page), overdue visits as the clock moves, and the audit of each entry.

use crate::helpers::{Session, TestApp, problem_fields, spawn_app_at, user};
use bluelamp_domain::{Classification, FixedClock};
use bluelamp_server::SecurityOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

const START: &str = "2026-11-30T10:00:00Z";

struct Suite {
    app: TestApp,
    clock: Arc<FixedClock>,
    sergeant: Session,
}

async fn suite() -> Suite {
    let clock = Arc::new(FixedClock::new(START.parse().unwrap()));
    let app = spawn_app_at(
        SecurityOptions {
            accredited: Classification::Secret,
            ..SecurityOptions::default()
        },
        clock.clone(),
    )
    .await;
    let sergeant = app
        .sign_in_as(&user(
            "ps.patel",
            &["custody_officer"],
            "CUSTODY",
            "OFFICIAL-SENSITIVE",
            &[],
        ))
        .await;
    Suite {
        app,
        clock,
        sergeant,
    }
}

async fn post(s: &Session, app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    s.client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get(s: &Session, app: &TestApp, path: &str) -> reqwest::Response {
    s.client.get(app.url(path)).send().await.unwrap()
}

async fn person(s: &Session, app: &TestApp, family: &str) -> String {
    let r = post(
        s,
        app,
        "/api/v1/persons",
        &json!({"family_name": family, "given_names": "Sam"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn booking(person_id: &str, mode: &str) -> Value {
    json!({
        "person_id": person_id,
        "booking": {
            "station": "Central",
            "arrested_at": "2026-11-30T09:10:00Z",
            "arrest_place": "High Street, Anytown",
            "arresting_officer": "PC 1234 Jones",
            "grounds": "Seen leaving the shop with unpaid goods",
            "arrived_at": "2026-11-30T09:30:00Z",
            "offences": [{"description": "Theft from a shop", "mode": mode}],
            "regime": "pace",
            "basis": {"type": "arrival"}
        },
        "custody_officer": {"name": "PS 201 Patel", "rank": "sergeant"},
        "risk": {"observation_level": 1, "intoxicated": false, "notes": ""},
        "rights": {"legal_advice_requested": true, "someone_informed_requested": false},
        "detention": {"decision": "authorise", "grounds": "To obtain evidence by questioning"}
    })
}

async fn book(s: &Suite, family: &str, mode: &str) -> Value {
    let p = person(&s.sergeant, &s.app, family).await;
    let r = post(&s.sergeant, &s.app, "/api/v1/custody", &booking(&p, mode)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn entry(s: &Suite, rec: &Value, entry: Value) -> reqwest::Response {
    post(
        &s.sergeant,
        &s.app,
        &format!("/api/v1/custody/{}/entries", rec["id"].as_str().unwrap()),
        &json!({"base_version": rec["version"], "entry": entry}),
    )
    .await
}

#[tokio::test]
async fn booking_in_opens_the_clock_numbers_the_record_and_links_the_detainee() {
    let s = suite().await;
    let rec = book(&s, "Ashworth", "either_way").await;
    assert_eq!(rec["custody_number"], "CEN/26/00001");
    assert_eq!(rec["marking"]["classification"], "OFFICIAL-SENSITIVE");
    assert_eq!(rec["status"]["relevant_time"], "2026-11-30T09:30:00Z");
    assert_eq!(rec["status"]["limit"]["at"], "2026-12-01T09:30:00Z");
    assert_eq!(rec["status"]["in_custody"], true);
    let kinds: Vec<&str> = rec["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["risk_assessment", "detention_authorised", "rights_given"]
    );
    // First review within 6 hours of authorising detention (at 10:00).
    assert_eq!(rec["status"]["next_review"]["at"], "2026-11-30T16:00:00Z");

    let second = book(&s, "Bell", "summary").await;
    assert_eq!(
        second["custody_number"], "CEN/26/00002",
        "numbers count up per suite and year"
    );

    // The detainee's person record links to the custody record.
    let detainee = rec["detainee"]["id"].as_str().unwrap();
    let links: Value = get(
        &s.sergeant,
        &s.app,
        &format!("/api/v1/records/{detainee}/links"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        links.to_string().contains("detainee"),
        "the person is linked as detainee: {links}"
    );
}

#[tokio::test]
async fn entries_are_checked_against_pace_and_a_stale_one_writes_nothing() {
    let s = suite().await;
    let rec = book(&s, "Carter", "summary").await;

    let r = entry(
        &s,
        &rec,
        json!({"type": "cell_visit", "roused": null, "condition": "Awake and calm"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v2: Value = r.json().await.unwrap();
    assert_eq!(v2["version"], 2);

    let stale = entry(&s, &rec, json!({"type": "note", "text": "Asked for water"})).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);

    // An extension to 36 hours for a summary-only offence is refused, naming the rule.
    let refused = entry(
        &s,
        &v2,
        json!({"type": "extension", "by": {"name": "Supt Gray", "rank": "superintendent"},
               "until_hours": 36, "grounds": "More interviews"}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem.to_string().contains("indictable"),
        "the refusal says why: {problem}"
    );
    let now: Value = get(
        &s.sergeant,
        &s.app,
        &format!("/api/v1/custody/{}", rec["id"].as_str().unwrap()),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(now["version"], 2, "nothing was written");

    // A malformed entry names its field.
    let bad = entry(
        &s,
        &v2,
        json!({"type": "review", "by": {"name": "Insp Khan", "rank": "admiral"}}),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let problem: Value = bad.json().await.unwrap();
    // Inside a tagged entry serde cannot say which nested field failed; the message does.
    assert_eq!(problem_fields(&problem), ["entry"]);
    assert!(problem["detail"].as_str().unwrap().contains("admiral"));

    // The generic event update cannot overwrite a custody record.
    let r = s
        .sergeant
        .client
        .put(
            s.app
                .url(&format!("/api/v1/events/{}", rec["id"].as_str().unwrap())),
        )
        .json(
            &json!({"base_version": 2, "record": {"event_type": "custody_episode",
            "title": "x", "starts_at": "2026-11-30T09:30:00Z"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn need_to_know_decides_who_reads_and_who_records() {
    let s = suite().await;
    let rec = book(&s, "Dawson", "either_way").await;
    let id = rec["id"].as_str().unwrap();
    let response_officer = s
        .app
        .sign_in_as(&user(
            "pc.reed",
            &["officer"],
            "RESPONSE",
            "OFFICIAL-SENSITIVE",
            &[],
        ))
        .await;
    let uncleared = s
        .app
        .sign_in_as(&user(
            "dt.lowe",
            &["custody_officer"],
            "CUSTODY",
            "OFFICIAL",
            &[],
        ))
        .await;
    assert_eq!(
        get(&response_officer, &s.app, &format!("/api/v1/custody/{id}"))
            .await
            .status(),
        StatusCode::OK,
        "an officer may read a custody record"
    );
    let r = post(
        &response_officer,
        &s.app,
        &format!("/api/v1/custody/{id}/entries"),
        &json!({"base_version": 1, "entry": {"type": "note", "text": "x"}}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "but not keep it");
    assert_eq!(
        get(&uncleared, &s.app, &format!("/api/v1/custody/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "a user not cleared for the marking cannot know it exists"
    );
    let board: Value = get(&uncleared, &s.app, "/api/v1/custody?station=central")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["items"].as_array().unwrap().len(), 0);
    let board: Value = get(&s.sergeant, &s.app, "/api/v1/custody?station=central")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_overdue_visit_shows_once_the_clock_moves_and_release_clears_the_board() {
    let s = suite().await;
    let rec = book(&s, "Evans", "either_way").await;
    let id = rec["id"].as_str().unwrap().to_string();
    let board_page = |sess: &Session| {
        let url = s.app.url("/custody?station=Central");
        let client = sess.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let page = board_page(&s.sergeant).await;
    assert!(page.contains("CEN/26/00001"), "{page}");
    assert!(!page.contains("Overdue"));

    // Sessions end after 30 idle minutes: keep this one busy while the hour passes.
    for _ in 0..2 {
        s.clock.advance(jiff::SignedDuration::from_mins(25));
        assert!(!board_page(&s.sergeant).await.contains("Overdue"));
    }
    s.clock.advance(jiff::SignedDuration::from_mins(11));
    let page = board_page(&s.sergeant).await;
    assert!(page.contains("Overdue"), "a visit an hour old is overdue");
    let now: Value = get(&s.sergeant, &s.app, &format!("/api/v1/custody/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        now["status"]["due"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["what"] == "visit" && d["overdue"] == true)
    );

    // A visit through the page form clears it.
    let r = s
        .sergeant
        .client
        .post(s.app.url(&format!("/custody/{id}/entries")))
        .form(&[
            ("csrf_token", s.sergeant.csrf.as_str()),
            ("form", "visit"),
            ("base_version", "1"),
            ("condition", "Asleep, breathing normally"),
            ("roused", ""),
            ("at", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = board_page(&s.sergeant).await;
    assert!(!page.contains("Overdue"), "{page}");

    // Release needs a fresh risk assessment, then the detainee leaves the board.
    let current: Value = get(&s.sergeant, &s.app, &format!("/api/v1/custody/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let refused = entry(
        &s,
        &current,
        json!({"type": "disposal", "outcome": {"type": "no_further_action"}}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = entry(
        &s,
        &current,
        json!({"type": "risk_assessment", "occasion": "release", "observation_level": 1,
               "intoxicated": false, "notes": "Fit to leave"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let current: Value = r.json().await.unwrap();
    let r = entry(
        &s,
        &current,
        json!({"type": "disposal", "outcome": {"type": "no_further_action"}}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["status"]["in_custody"], false);
    let board: Value = get(&s.sergeant, &s.app, "/api/v1/custody")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["items"].as_array().unwrap().len(), 0);

    // The record page and its printable copy still show the whole record.
    let page = get(&s.sergeant, &s.app, &format!("/custody/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Left custody"));
    let print = get(&s.sergeant, &s.app, &format!("/custody/{id}/print")).await;
    assert_eq!(print.status(), StatusCode::OK);
    let print = print.text().await.unwrap();
    assert!(print.contains("No further action") && print.contains("Cell visit"));

    // Every entry was audited with what it recorded.
    let audited: Vec<String> = s
        .app
        .store
        .audit_entries(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| {
            r.entry
                .details
                .get("custody")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect();
    for code in ["book_in", "cell_visit", "risk_assessment", "disposal"] {
        assert!(audited.iter().any(|c| c == code), "{code} in {audited:?}");
    }
}

#[tokio::test]
async fn booking_in_through_the_pages_names_each_problem() {
    let s = suite().await;
    let r = s
        .sergeant
        .client
        .post(s.app.url("/custody"))
        .form(&[
            ("csrf_token", s.sergeant.csrf.as_str()),
            ("person_id", "not-an-id"),
            ("station", "Central"),
            ("arrested", "2026-11-30T09:10"),
            ("arrived", "2026-11-30T08:10"),
            ("offence1", ""),
            ("officer_name", "PS Patel"),
            ("officer_rank", "sergeant"),
            ("observation_level", "1"),
            ("detention", "authorise"),
            ("classification", "OFFICIAL-SENSITIVE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("href=\"#person_id\""), "{page}");

    let p = person(&s.sergeant, &s.app, "Foster").await;
    let r = s
        .sergeant
        .client
        .post(s.app.url("/custody"))
        .form(&[
            ("csrf_token", s.sergeant.csrf.as_str()),
            ("person_id", p.as_str()),
            ("station", "Central"),
            ("arrested", "2026-11-30T09:10"),
            ("arrived", "2026-11-30T08:10"),
            ("arrest_place", "Market Square"),
            ("arresting_officer", "PC 99 Hill"),
            ("grounds", "Assault witnessed"),
            ("offence1", "Common assault"),
            ("offence1_mode", "summary"),
            ("officer_name", "PS Patel"),
            ("officer_rank", "sergeant"),
            ("observation_level", "1"),
            ("detention", "authorise"),
            ("detention_grounds", "To obtain evidence by questioning"),
            ("classification", "OFFICIAL-SENSITIVE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("href=\"#arrived\""),
        "arrival before arrest is named: {page}"
    );

    let r = s
        .sergeant
        .client
        .post(s.app.url("/custody"))
        .form(&[
            ("csrf_token", s.sergeant.csrf.as_str()),
            ("person_id", p.as_str()),
            ("station", "Central"),
            ("arrested", "2026-11-30T09:10"),
            ("arrived", "2026-11-30T09:40"),
            ("arrest_place", "Market Square"),
            ("arresting_officer", "PC 99 Hill"),
            ("grounds", "Assault witnessed"),
            ("offence1", "Common assault"),
            ("offence1_mode", "summary"),
            ("officer_name", "PS Patel"),
            ("officer_rank", "sergeant"),
            ("observation_level", "2"),
            ("rights_given", "yes"),
            ("detention", "authorise"),
            ("detention_grounds", "To obtain evidence by questioning"),
            ("classification", "OFFICIAL-SENSITIVE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let page = get(&s.sergeant, &s.app, &location)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Detainee booked in"));
    assert!(page.contains("FOSTER"), "{page}");
}

#[tokio::test]
async fn a_person_merged_into_another_is_not_booked_in_and_the_page_says_which_record_to_use() {
    let s = suite().await;
    let kept = person(&s.sergeant, &s.app, "Mercer").await;
    let merged = person(&s.sergeant, &s.app, "Mercer").await;
    let r = s
        .app
        .merge((&kept, 1), (&merged, 1), "Same man, booked twice")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post(
        &s.sergeant,
        &s.app,
        "/api/v1/custody",
        &booking(&merged, "either_way"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem_fields(&problem), ["person_id"]);
    assert!(problem.to_string().contains(&kept), "{problem}");
    let r = post(
        &s.sergeant,
        &s.app,
        "/api/v1/custody",
        &booking(&kept, "either_way"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_booking_racing_the_merge_of_its_detainee_never_leaves_the_detainee_on_the_merged_record()
{
    let s = suite().await;
    for round in 0..12 {
        let kept = person(&s.sergeant, &s.app, "Mercer").await;
        let merged = person(&s.sergeant, &s.app, "Mercer").await;
        let body = booking(&merged, "either_way");
        let (client, url) = (s.sergeant.client.clone(), s.app.url("/api/v1/custody"));
        let booking =
            tokio::spawn(
                async move { client.post(url).json(&body).send().await.unwrap().status() },
            );
        let r = s
            .app
            .merge((&kept, 1), (&merged, 1), "Same man, booked twice")
            .await;
        let booked = booking.await.unwrap();
        // Booked first (then the merge moved the detainee link, or was refused), or refused
        // by name as a merged record; never a bare conflict.
        assert!(
            [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY].contains(&booked),
            "round {round}: booking {booked}"
        );
        if r.status() != StatusCode::OK {
            continue;
        }
        let links = s.app.links_in_force(&merged).await;
        assert!(links.is_empty(), "round {round}: {links:?}");
    }
}
