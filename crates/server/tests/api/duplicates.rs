//! `bluelamp duplicates scan`: likely pairs are found across spellings, nicknames and
//! accents, relatives are not, and the scan is audited.

use crate::helpers::*;
use bluelamp_app::Caller;
use serde_json::json;

#[tokio::test]
async fn the_scan_finds_the_same_person_recorded_twice_but_not_their_relatives() {
    let app = spawn_app().await;
    let mut ids = std::collections::HashMap::new();
    for (key, family, given, dob) in [
        ("william", "Hargreaves", "William", "1984-06-12"),
        ("bill", "Hargreaves", "Bill", "1984-06-12"),
        ("lukasz", "Wiśniewski", "Łukasz", "1990-01-30"),
        ("lukasz2", "Wisniewski", "Lukasz", "1990-01-30"),
        ("father", "Okonkwo", "Chidi", "1961-03-04"),
        ("son", "Okonkwo", "Chidi", "1992-11-20"),
        ("other", "Patel", "Anjali", "1975-09-09"),
    ] {
        let rec = app
            .create(
                "persons",
                json!({"family_name": family, "given_names": given, "date_of_birth": dob}),
            )
            .await;
        ids.insert(key, rec["id"].as_str().unwrap().to_string());
    }
    let report = bluelamp_app::duplicates::scan(
        &app.store,
        &bluelamp_server::system_clock(),
        &Caller::system("tests"),
        bluelamp_search::DEFAULT_THRESHOLD,
    )
    .await
    .unwrap();
    let pairs: Vec<(String, String)> = report
        .candidates
        .iter()
        .map(|c| {
            let (a, b) = (c.a.to_string(), c.b.to_string());
            if a < b { (a, b) } else { (b, a) }
        })
        .collect();
    let pair = |x: &str, y: &str| {
        let (a, b) = (ids[x].clone(), ids[y].clone());
        if a < b { (a, b) } else { (b, a) }
    };
    assert!(pairs.contains(&pair("william", "bill")), "{report:?}");
    assert!(pairs.contains(&pair("lukasz", "lukasz2")), "{report:?}");
    assert!(
        !pairs.contains(&pair("father", "son")),
        "a father and son are two people"
    );
    assert_eq!(pairs.len(), 2, "{report:?}");
    let bill = report
        .candidates
        .iter()
        .find(|c| {
            pair("william", "bill") == {
                let (a, b) = (c.a.to_string(), c.b.to_string());
                if a < b { (a, b) } else { (b, a) }
            }
        })
        .unwrap();
    assert!(bill.explanation.contains("form of"), "{}", bill.explanation);
    let audited = app
        .store
        .audit_entries(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .any(|r| r.entry.details.get("duplicates_scan").is_some());
    assert!(audited);
}
