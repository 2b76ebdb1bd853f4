//! Starts the real application (the same `start` the binary calls) on port 0 with its own
//! embedded database, and gives tests typed helpers over HTTP.

use bluelamp_app::Caller;
use bluelamp_app::identity::{IdentityService, UserInput};
use bluelamp_server::{Running, SecurityOptions, services, system_clock};
use bluelamp_store::Store;
use bluelamp_store_sqlite::SqliteStore;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestApp {
    pub base: String,
    /// Signed in as the test officer: a session cookie for pages, a bearer token for the API.
    pub client: Client,
    /// The CSRF token of `client`'s browser session.
    pub csrf: String,
    /// No credentials at all.
    pub anonymous: Client,
    pub store: Arc<dyn Store>,
    pub identity: IdentityService,
    pub running: Running,
    /// The embedded database file (tamper tests edit it directly).
    pub db_path: std::path::PathBuf,
}

/// The password every test user has.
pub const PASSWORD: &str = "correct-horse-battery";

/// A test user: roles, unit, clearance and compartments.
pub fn user(
    username: &str,
    roles: &[&str],
    unit: &str,
    clearance: &str,
    compartments: &[&str],
) -> UserInput {
    UserInput {
        username: username.into(),
        display_name: format!("Test {username}"),
        rank: "PC".into(),
        number: String::new(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        unit: unit.into(),
        clearance: clearance.into(),
        compartments: compartments.iter().map(|c| c.to_string()).collect(),
        disabled: false,
    }
}

/// A user's signed-in clients.
pub struct Session {
    pub client: Client,
    pub csrf: String,
    pub token: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(SecurityOptions {
        accredited: bluelamp_domain::Classification::Secret,
        ..SecurityOptions::default()
    })
    .await
}

pub async fn spawn_app_with(options: SecurityOptions) -> TestApp {
    spawn_app_at(options, system_clock()).await
}

pub async fn spawn_app_at(
    options: SecurityOptions,
    clock: Arc<dyn bluelamp_domain::Clock>,
) -> TestApp {
    spawn_app_full(options, clock, None).await
}

/// With single sign-on through `sso`.
pub async fn spawn_app_sso(options: SecurityOptions, sso: bluelamp_web::sso::Sso) -> TestApp {
    spawn_app_full(options, system_clock(), Some(sso)).await
}

async fn spawn_app_full(
    mut options: SecurityOptions,
    clock: Arc<dyn bluelamp_domain::Clock>,
    sso: Option<bluelamp_web::sso::Sso>,
) -> TestApp {
    // Protective monitoring looks at the trail once at start; tests that exercise it run
    // its rounds themselves, so no alert lands in the middle of another test's counts.
    options.monitoring.every_seconds = 3_600;
    // The server and the tests' own services seal and open secrets with the same key.
    options
        .secrets_key
        .get_or_insert_with(|| bluelamp_app::secrets::SecretsKey::generate().unwrap());
    let dir = std::env::temp_dir().join(format!("bluelamp-api-{}", uuid::Uuid::now_v7()));
    let db_path = dir.join("bluelamp.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db_path).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let signer = Arc::new(bluelamp_audit::Signer::generate().unwrap());
    let running = bluelamp_server::start_with(
        listener,
        store.clone(),
        clock.clone(),
        options,
        signer,
        sso,
        None,
        None,
    )
    .await
    .unwrap();
    let (_, identity) = services(store.clone(), clock, options).unwrap();
    let mut app = TestApp {
        base: format!("http://{}", running.addr),
        client: Client::new(),
        csrf: String::new(),
        anonymous: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        identity,
        running,
        db_path,
    };
    let officer = app
        .sign_in_as(&user(
            "test.officer",
            &["officer", "supervisor"],
            "CID",
            "SECRET",
            &["OP-KESTREL", "PSD"],
        ))
        .await;
    app.client = officer.client;
    app.csrf = officer.csrf;
    app
}

impl TestApp {
    /// Creates the user (if new) and signs them in: a browser session and a read-write API
    /// token, both sent by the returned client (the cookie for pages, the token for the API).
    pub async fn sign_in_as(&self, input: &UserInput) -> Session {
        let name = bluelamp_domain::Username::parse(&input.username).unwrap();
        if self.store.user(&name).await.unwrap().is_none() {
            self.identity
                .create_user(&Caller::system("tests"), input, PASSWORD)
                .await
                .unwrap();
        }
        let signed = self
            .identity
            .sign_in(&input.username, PASSWORD, &Default::default(), "tests")
            .await
            .unwrap();
        let caller = Caller::user(signed.principal.clone(), Default::default(), "tests");
        let (token, _) = self
            .identity
            .create_token(&caller, "tests", true, 1)
            .await
            .unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers.insert(
            reqwest::header::COOKIE,
            format!("bluelamp_session={}", signed.secret)
                .parse()
                .unwrap(),
        );
        Session {
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
            csrf: signed.session.csrf_token,
            token,
        }
    }

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

    /// Links two records through the API; returns the link.
    pub async fn create_link(&self, from: &str, to: &str, role: &str) -> Value {
        self.create("links", json!({"from_id": from, "to_id": to, "role": role}))
            .await
    }

    /// Asks the API to merge `merged` (at `merged_version`) into `survivor`.
    pub async fn merge(
        &self,
        (survivor, survivor_version): (&str, i64),
        (merged, merged_version): (&str, i64),
        reason: &str,
    ) -> Response {
        self.post_json(
            "/api/v1/persons/merges",
            &json!({"survivor_id": survivor, "survivor_version": survivor_version,
                    "merged_id": merged, "merged_version": merged_version, "reason": reason}),
        )
        .await
    }

    /// The ids of the links in force that start or end at `id`, read from the store.
    pub async fn links_in_force(&self, id: &str) -> Vec<bluelamp_domain::RecordId> {
        let audit = bluelamp_domain::AuditEntry::new(
            system_clock().now(),
            bluelamp_domain::Actor::system("test"),
            bluelamp_domain::AuditAction::View,
            "test",
            Default::default(),
        );
        let (_, links) = self
            .store
            .consult_with_links(id.parse().unwrap(), false, &bluelamp_store::OpenGate, audit)
            .await
            .unwrap()
            .unwrap();
        links.iter().map(|l| l.link.id).collect()
    }

    /// Audit records made by one user (background processes, such as protective
    /// monitoring raising alerts, write records of their own at any moment).
    pub async fn audit_count_by(&self, user_id: &str) -> usize {
        self.store
            .audit_entries(0, 1_000_000)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.entry.actor.user_id == user_id)
            .count()
    }

    pub async fn record_count(&self) -> u64 {
        let c = self.store.counts().await.unwrap();
        c.persons + c.objects + c.locations + c.events + c.links
    }
}

/// The field names of a problem's `errors`.
/// What `client` (any signed-in or anonymous client) gets for a GET of `url`, as text.
pub async fn text_of(client: &Client, url: String) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// What `client` gets for a GET of `url`, as JSON.
pub async fn json_of(client: &Client, url: String) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

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

/// Posts a page's form as the test officer's browser session (with its CSRF token).
pub async fn post_form(app: &TestApp, path: &str, pairs: &[(&str, &str)]) -> Response {
    let mut pairs = pairs.to_vec();
    pairs.push(("csrf_token", app.csrf.as_str()));
    app.client
        .post(app.url(path))
        .form(&pairs)
        .send()
        .await
        .unwrap()
}

/// Searches until `done` holds (the index follows the store a moment after each commit).
pub async fn search_until(
    app: &TestApp,
    client: &Client,
    query: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = client
            .get(app.url(&format!("/api/v1/search?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "search {query}");
        let body: Value = r.json().await.unwrap();
        if done(&body) {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search {query} never matched: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub fn group<'a>(body: &'a Value, kind: &str) -> Option<&'a Value> {
    body["results"]
        .as_array()
        .and_then(|a| a.iter().find(|g| g["kind"] == kind))
}

pub fn ids(body: &Value, kind: &str) -> Vec<String> {
    group(body, kind)
        .and_then(|g| g["items"].as_array())
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}
