//! Reading the audit trail: auditors search it by user, record, action and time (and are
//! audited doing so); other roles are refused; the monitoring feed carries every record and
//! signed checkpoint in log order, recomputable by a consumer, as JSON lines and as syslog.

use crate::helpers::*;
use bluelamp_audit::merkle;
use bluelamp_server::audit_feed::{FeedOptions, FeedTarget, run};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tokio::io::AsyncReadExt;

async fn auditor(app: &TestApp) -> Session {
    app.sign_in_as(&user("aud.one", &["auditor"], "PSD", "OFFICIAL", &[]))
        .await
}

#[tokio::test]
async fn an_auditor_finds_who_viewed_a_record_and_the_search_is_audited() {
    let app = spawn_app().await;
    let person = app.create_person("Audited", "Person").await;
    let id = person["id"].as_str().unwrap();
    let page = app.get(&format!("/api/v1/persons/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let aud = auditor(&app).await;
    // Searches see records once the checkpointer has given them their place in the log.
    app.running.audit.checkpoint_round(true).await.unwrap();

    let found: Value = aud
        .client
        .get(app.url(&format!("/api/v1/audit?record={id}&action=view")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = found["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{found}");
    assert!(items.iter().all(|i| i["entry"]["action"] == "view"));
    assert!(
        items
            .iter()
            .any(|i| i["entry"]["actor"]["user_id"] == "test.officer"),
        "{found}"
    );
    let seqs: Vec<i64> = items.iter().map(|i| i["seq"].as_i64().unwrap()).collect();

    // The search is itself in the trail, with what it asked and what it returned.
    app.running.audit.checkpoint_round(true).await.unwrap();
    let reads: Value = aud
        .client
        .get(app.url("/api/v1/audit?user=aud.one&action=read_audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = reads["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["entry"]["details"]["search"]["record_id"] == id)
        .expect("the first search is audited");
    assert_eq!(
        first["entry"]["details"]["returned_seqs"],
        serde_json::json!(seqs)
    );

    // The auditors' page shows the same, and pivots on users and records.
    let html = aud
        .client
        .get(app.url(&format!("/audit?record={id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("test.officer") && html.contains("/audit?user=test.officer"));
    let bad = aud
        .client
        .get(app.url("/api/v1/audit?from=last+tuesday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        problem_fields(&bad.json::<Value>().await.unwrap()),
        ["from"]
    );
}

#[tokio::test]
async fn officers_cannot_read_the_trail_and_the_attempt_is_audited() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/audit").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/audit/feed").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = app.client.get(app.url("/audit")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let refused = app
        .store
        .audit_entries(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.entry.action == bluelamp_domain::AuditAction::ReadAudit
                && r.entry.outcome == bluelamp_domain::AuditOutcome::Denied
        })
        .count();
    assert_eq!(refused, 3);
}

/// Recomputes every checkpoint root in a feed from its records, as a monitoring centre would.
fn check_feed(lines: &[Value]) -> usize {
    let mut leaves = Vec::new();
    let mut checked = 0;
    for l in lines {
        match l["type"].as_str().unwrap() {
            "audit_record" => {
                assert_eq!(l["leaf_index"].as_u64().unwrap() as usize, leaves.len());
                let hash = merkle::leaf_hash(l["canonical"].as_str().unwrap().as_bytes());
                assert_eq!(hex::encode(hash), l["leaf_hash"].as_str().unwrap());
                leaves.push(hash);
            }
            "checkpoint" => {
                assert_eq!(l["tree_size"].as_u64().unwrap() as usize, leaves.len());
                assert_eq!(
                    hex::encode(merkle::root(&leaves)),
                    l["root"].as_str().unwrap()
                );
                checked += 1;
            }
            other => panic!("unexpected line {other}"),
        }
    }
    checked
}

#[tokio::test]
async fn the_feed_carries_records_and_checkpoints_a_consumer_can_recompute_and_resume() {
    let app = spawn_app().await;
    for n in ["One", "Two", "Three"] {
        app.create_person(n, "Feed").await;
    }
    app.running
        .audit
        .checkpoint_round(true)
        .await
        .unwrap()
        .unwrap();
    let aud = auditor(&app).await;
    let r = aud
        .client
        .get(app.url("/api/v1/audit/feed?from_leaf=0&limit=10000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(check_feed(&lines), 1, "one checkpoint, recomputed");
    let size = lines.last().unwrap()["tree_size"].as_i64().unwrap();

    // More records and a second checkpoint; the consumer resumes from the first one's size.
    app.create_person("Four", "Feed").await;
    app.running
        .audit
        .checkpoint_round(true)
        .await
        .unwrap()
        .unwrap();
    let more: Vec<Value> = aud
        .client
        .get(app.url(&format!("/api/v1/audit/feed?from_leaf={size}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(more[0]["leaf_index"].as_i64().unwrap(), size);
    let mut all = lines.clone();
    all.extend(more);
    assert_eq!(check_feed(&all), 2);

    // The same feed as syslog over TCP to a collector.
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = collector.local_addr().unwrap().to_string();
    let receive = tokio::spawn(async move {
        let (mut sock, _) = collector.accept().await.unwrap();
        let mut buf = String::new();
        sock.read_to_string(&mut buf).await.unwrap();
        buf
    });
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let report = run(
        app.store.clone(),
        bluelamp_server::system_clock(),
        FeedOptions {
            from_leaf: 0,
            follow: false,
            target: FeedTarget::Syslog {
                address,
                hostname: "force-hq".into(),
            },
            batch: 3,
            poll: Duration::from_millis(50),
        },
        rx,
    )
    .await
    .unwrap();
    let received = receive.await.unwrap();
    // Octet-counted frames: "<len> <msg>" back to back.
    let mut rest = received.as_str();
    let mut frames = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest.split_once(' ').unwrap();
        let len: usize = len.parse().unwrap();
        frames.push(&tail[..len]);
        rest = &tail[len..];
    }
    assert_eq!(frames.len() as u64, report.lines);
    for f in &frames {
        let pri: u32 = f[1..f.find('>').unwrap()].parse().unwrap();
        assert!((108..=110).contains(&pri), "facility 13 (log audit): {f}");
        assert!(f.contains(" force-hq bluelamp - "), "{f}");
    }
    let json_lines: Vec<Value> = frames
        .iter()
        .map(|f| serde_json::from_str(&f[f.find("] {").unwrap() + 2..]).unwrap())
        .collect();
    assert_eq!(check_feed(&json_lines), 2);
    assert_eq!(
        report.next_leaf,
        json_lines
            .iter()
            .filter(|l| l["type"] == "audit_record")
            .count() as i64
    );
}
