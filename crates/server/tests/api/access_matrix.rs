//! The access matrix: every role × clearance × compartment × relationship (unit) against
//! every kind of record endpoint of the API (read, history, list, search, export), checked
//! against the rules written out independently here, with every refusal audited. (Pages go
//! through the same use cases; `security.rs` drives them for a hand-picked set of users.)

use crate::helpers::*;
use bluelamp_app::Caller;
use bluelamp_domain::{AuditOutcome, Classification, Compartment, Principal, Role, Unit, Username};
use bluelamp_store::{DirectoryChange, DirectoryOp, UserAccount};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The family names (summaries up to the comma) of listed or found records, sorted.
fn families(items: &Value) -> Vec<String> {
    let mut names: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["summary"]
                .as_str()
                .unwrap()
                .split(',')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    names.sort();
    names
}

/// The family names summaries show for these records (upper case), sorted.
fn families_of(names: &[&str]) -> Vec<String> {
    let mut want: Vec<String> = names.iter().map(|s| s.to_uppercase()).collect();
    want.sort();
    want
}

struct Rec {
    name: &'static str,
    class: Classification,
    kestrel: bool,
    teams: &'static [&'static str],
    officers: &'static [&'static str],
    /// The units of the named officers (their supervisors may see the record).
    officer_units: &'static [&'static str],
}

const RECORDS: [Rec; 6] = [
    Rec {
        name: "Mopen",
        class: Classification::Official,
        kestrel: false,
        teams: &[],
        officers: &[],
        officer_units: &[],
    },
    Rec {
        name: "Msensitive",
        class: Classification::OfficialSensitive,
        kestrel: false,
        teams: &[],
        officers: &[],
        officer_units: &[],
    },
    Rec {
        name: "Msecret",
        class: Classification::Secret,
        kestrel: false,
        teams: &[],
        officers: &[],
        officer_units: &[],
    },
    Rec {
        name: "Mkestrel",
        class: Classification::Official,
        kestrel: true,
        teams: &[],
        officers: &[],
        officer_units: &[],
    },
    Rec {
        name: "Mteam",
        class: Classification::Official,
        kestrel: false,
        teams: &["MIT"],
        officers: &[],
        officer_units: &[],
    },
    Rec {
        name: "Moic",
        class: Classification::Official,
        kestrel: false,
        teams: &[],
        officers: &["oic.one"],
        officer_units: &["CID"],
    },
];

const READERS: [Role; 9] = [
    Role::Officer,
    Role::CustodyOfficer,
    Role::Investigator,
    Role::Supervisor,
    Role::IntelligenceAnalyst,
    Role::CaseWorker,
    Role::CallHandler,
    Role::Dispatcher,
    Role::ProfessionalStandards,
];
const EXPORTERS: [Role; 4] = [
    Role::Investigator,
    Role::Supervisor,
    Role::CaseWorker,
    Role::ProfessionalStandards,
];

/// The rules of need to know, written out again.
fn may_read(p: &Principal, r: &Rec) -> bool {
    let role = p.roles.iter().any(|x| READERS.contains(x));
    let cleared = p.clearance >= r.class;
    let compartments = !r.kestrel || p.compartments.iter().any(|c| c.as_str() == "OP-KESTREL");
    let restricted = !r.teams.is_empty() || !r.officers.is_empty();
    let related = !restricted
        || r.teams.contains(&p.unit.as_str())
        || r.officers.contains(&p.username.as_str())
        || (p.has_role(Role::Supervisor) && r.officer_units.contains(&p.unit.as_str()));
    role && cleared && compartments && related
}

fn account(p: Principal) -> UserAccount {
    let now = bluelamp_domain::Clock::now(&bluelamp_domain::SystemClock);
    UserAccount {
        principal: p,
        rank: String::new(),
        number: String::new(),
        version: 0,
        password_hash: None,
        disabled: false,
        failed_sign_ins: vec![],
        locked_at: None,
        last_sign_in_at: None,
        created_at: now,
        updated_at: now,
        totp: None,
        recovery_codes: vec![],
        passkeys: vec![],
    }
}

fn principal(
    name: &str,
    role: Role,
    clearance: Classification,
    kestrel: bool,
    unit: &str,
) -> Principal {
    Principal {
        username: Username::parse(name).unwrap(),
        display_name: format!("Matrix {name}"),
        roles: [role].into(),
        unit: Unit::parse(unit).unwrap(),
        clearance,
        compartments: if kestrel {
            [Compartment::parse("OP-KESTREL").unwrap()].into()
        } else {
            BTreeSet::new()
        },
    }
}

/// A user straight into the directory (no password: hashing 200 would take minutes), and
/// a read-only API token for them.
async fn token_for(app: &TestApp, p: Principal) -> reqwest::Client {
    app.store
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::PutUser {
                account: Box::new(account(p.clone())),
                base_version: None,
            }],
            audit: None,
        })
        .await
        .unwrap();
    let (token, _) = app
        .identity
        .create_token(
            &Caller::user(p, Default::default(), "tests"),
            "matrix",
            false,
            1,
        )
        .await
        .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_role_clearance_compartment_and_relationship_sees_exactly_what_the_rules_allow() {
    let app = spawn_app().await;
    app.store
        .directory_apply(DirectoryChange {
            ops: vec![DirectoryOp::PutUser {
                account: Box::new(account(principal(
                    "oic.one",
                    Role::Investigator,
                    Classification::Official,
                    false,
                    "CID",
                ))),
                base_version: None,
            }],
            audit: None,
        })
        .await
        .unwrap();
    let mit = app
        .sign_in_as(&user(
            "mit.creator",
            &["investigator"],
            "MIT",
            "SECRET",
            &["OP-KESTREL"],
        ))
        .await;
    let mut ids = Vec::new();
    for r in &RECORDS {
        let mut marking = json!({
            "classification": r.class.as_str(),
            "compartments": if r.kestrel { vec!["OP-KESTREL"] } else { vec![] },
        });
        if !r.teams.is_empty() || !r.officers.is_empty() {
            marking["restriction"] = json!({"teams": r.teams, "officers": r.officers});
        }
        // Recorded by someone who may see it: a team-restricted record by that team.
        // One date of birth for all, so that one search finds every record a user may see.
        let body = json!({"family_name": r.name, "given_names": "Matrix", "date_of_birth": "1971-07-07", "marking": marking});
        let rec: Value = if r.teams.is_empty() {
            app.create("persons", body).await
        } else {
            let resp = mit
                .client
                .post(app.url("/api/v1/persons"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::CREATED);
            resp.json().await.unwrap()
        };
        ids.push(rec["id"].as_str().unwrap().to_string());
    }

    // The search index follows the store a moment after each commit.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let all: Value = app
            .get_json("/api/v1/search?dob=07/07/1971&kind=person")
            .await;
        let found = all["results"][0]["total"].as_u64().unwrap_or(0);
        // The test officer may not see the team-restricted ones.
        if found >= 4 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never indexed: {all}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let mut n = 0;
    let mut checked = 0;
    for role in Role::ALL {
        for clearance in Classification::ALL {
            for kestrel in [false, true] {
                for unit in ["MIT", "CID", "RESPONSE"] {
                    n += 1;
                    let name = format!("mx{n}");
                    let p = principal(&name, role, clearance, kestrel, unit);
                    let client = token_for(&app, p.clone()).await;
                    let who = format!("{role:?} {clearance:?} kestrel={kestrel} {unit}");
                    let mut refusals = 0;

                    // The list: exactly the records the rules allow, and a total to match.
                    let list = client
                        .get(app.url("/api/v1/persons?prefix=m&per_page=100"))
                        .send()
                        .await
                        .unwrap();
                    let expected: Vec<&str> = RECORDS
                        .iter()
                        .filter(|r| may_read(&p, r))
                        .map(|r| r.name)
                        .collect();
                    if p.roles.iter().any(|x| READERS.contains(x)) {
                        let list: Value = list.json().await.unwrap();
                        let want = families_of(&expected);
                        assert_eq!(families(&list["items"]), want, "{who}: list");
                        assert_eq!(list["total"], json!(want.len()), "{who}: total");
                    } else {
                        assert_eq!(list.status(), StatusCode::FORBIDDEN, "{who}: list");
                        refusals += 1;
                    }

                    // Search: the same records, counted the same (the index's own copy of
                    // the need-to-know filter).
                    let search = client
                        .get(app.url("/api/v1/search?dob=07/07/1971&kind=person&per_page=100"))
                        .send()
                        .await
                        .unwrap();
                    if p.roles.iter().any(|x| READERS.contains(x)) {
                        assert_eq!(search.status(), StatusCode::OK, "{who}: search");
                        let body: Value = search.json().await.unwrap();
                        let group = &body["results"][0];
                        let want = families_of(&expected);
                        assert_eq!(families(&group["items"]), want, "{who}: search");
                        assert_eq!(group["total"], json!(want.len()), "{who}: search total");
                    } else {
                        assert_eq!(search.status(), StatusCode::FORBIDDEN, "{who}: search");
                        refusals += 1;
                    }

                    for (r, id) in RECORDS.iter().zip(&ids) {
                        let read = may_read(&p, r);
                        let export = read && p.roles.iter().any(|x| EXPORTERS.contains(x));
                        for (path, allowed, refused_status) in [
                            (format!("/api/v1/persons/{id}"), read, StatusCode::NOT_FOUND),
                            (
                                format!("/api/v1/records/{id}/history"),
                                read,
                                StatusCode::NOT_FOUND,
                            ),
                            (
                                format!("/api/v1/records/{id}/export"),
                                export,
                                if read {
                                    StatusCode::FORBIDDEN
                                } else {
                                    StatusCode::NOT_FOUND
                                },
                            ),
                        ] {
                            let resp = client.get(app.url(&path)).send().await.unwrap();
                            let status = resp.status();
                            let body = resp.text().await.unwrap();
                            if allowed {
                                assert_eq!(status, StatusCode::OK, "{who}: {path} ({})", r.name);
                            } else {
                                assert_eq!(status, refused_status, "{who}: {path} ({})", r.name);
                                assert!(
                                    read || !body.to_lowercase().contains(&r.name.to_lowercase()),
                                    "{who}: nothing of {} leaks from {path}",
                                    r.name
                                );
                                refusals += 1;
                            }
                            checked += 1;
                        }
                    }

                    // Every refusal is in the audit trail, against this user.
                    let denied = app
                        .store
                        .audit_entries(0, 1_000_000)
                        .await
                        .unwrap()
                        .iter()
                        .filter(|a| {
                            a.entry.actor.user_id == name && a.entry.outcome == AuditOutcome::Denied
                        })
                        .count();
                    assert_eq!(denied, refusals, "{who}: each refusal audited");
                }
            }
        }
    }
    assert_eq!(n, 11 * 3 * 2 * 3);
    assert_eq!(checked, n * RECORDS.len() * 3);
}

#[tokio::test]
async fn an_export_leaves_out_links_to_records_the_exporter_may_not_see_and_is_audited() {
    let app = spawn_app().await;
    let person = app.create_person("Exported", "Erin").await;
    let pid = person["id"].as_str().unwrap();
    let open_vehicle = app.create_vehicle("EX12ABC").await;
    let kestrel_event = app
        .create(
            "events",
            json!({"event_type": "crime", "title": "Kestrel surveillance", "starts_at": "2026-11-01T10:00:00Z",
                   "marking": {"classification": "OFFICIAL", "compartments": ["OP-KESTREL"]}}),
        )
        .await;
    for (to, role) in [
        (open_vehicle["id"].as_str().unwrap(), "owner"),
        (kestrel_event["id"].as_str().unwrap(), "suspect"),
    ] {
        let r = app
            .post_json(
                "/api/v1/links",
                &json!({"from_id": pid, "to_id": to, "role": role}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let dc = app
        .sign_in_as(&user(
            "dc.export",
            &["investigator"],
            "CID",
            "OFFICIAL-SENSITIVE",
            &[],
        ))
        .await;
    let r = dc
        .client
        .get(app.url(&format!("/api/v1/records/{pid}/export")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let text = r.text().await.unwrap();
    assert!(
        text.contains(open_vehicle["id"].as_str().unwrap()),
        "the visible link is in the export: {text}"
    );
    assert!(
        !text.to_lowercase().contains("kestrel"),
        "nothing of the compartmented event leaks: {text}"
    );
    // Auditors' searches see records once the checkpointer has given them their place.
    app.running.audit.checkpoint_round(true).await.unwrap();
    let exports = app
        .store
        .audit_search(&bluelamp_store::AuditQuery {
            user_id: Some("dc.export".into()),
            action: Some(bluelamp_domain::AuditAction::Export),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!exports.is_empty());
    assert!(
        exports
            .iter()
            .any(|e| e.entry.subjects.iter().any(|s| s.id.to_string() == pid)),
        "the export names the record it disclosed"
    );
    // The page offers the export to an investigator, not to a response officer.
    let page = dc
        .client
        .get(app.url(&format!("/persons/{pid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/records/{pid}/export")));
    let page = app
        .anonymous
        .get(app.url(&format!("/records/{pid}/export")))
        .send()
        .await
        .unwrap();
    assert_ne!(
        page.status(),
        StatusCode::OK,
        "no export without signing in"
    );
}
