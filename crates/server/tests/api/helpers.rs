//! Starts the real application (the same `start` the binary calls) on port 0 with its own
//! embedded database, and gives tests typed helpers over HTTP.

use bluelamp_server::{Running, start, system_clock};
use bluelamp_store::Store;
use bluelamp_store_sqlite::SqliteStore;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    pub running: Running,
}

pub async fn spawn_app() -> TestApp {
    let dir = std::env::temp_dir().join(format!("bluelamp-api-{}", uuid::Uuid::now_v7()));
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.join("bluelamp.db")).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = start(listener, store.clone(), system_clock())
        .await
        .unwrap();
    TestApp {
        base: format!("http://{}", running.addr),
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        running,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.json().await.unwrap()
    }

    /// Creates a record through the API and returns its JSON.
    pub async fn create(&self, plural: &str, body: Value) -> Value {
        let r = self.post_json(&format!("/api/v1/{plural}"), &body).await;
        let status = r.status();
        let json: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "create {plural}: {json}");
        json
    }

    pub async fn create_person(&self, family: &str, given: &str) -> Value {
        self.create(
            "persons",
            json!({"family_name": family, "given_names": given, "date_of_birth": "1985-03-02"}),
        )
        .await
    }

    pub async fn create_vehicle(&self, vrm: &str) -> Value {
        self.create("objects", json!({"details": {"kind": "vehicle", "vrm": vrm, "make": "Ford", "model": "Focus", "colour": "Blue"}})).await
    }

    pub async fn audit_count(&self) -> usize {
        self.store.audit_entries(0, 1_000_000).await.unwrap().len()
    }

    pub async fn record_count(&self) -> u64 {
        let c = self.store.counts().await.unwrap();
        c.persons + c.objects + c.locations + c.events + c.links
    }
}

/// The field names of a problem's `errors`.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}
