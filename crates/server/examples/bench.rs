//! Bluelamp's benchmarks. Run with `cargo run --release -p bluelamp-server --example bench --
//! <what>`; results go in docs/PERFORMANCE.md. Every figure is measured here, in one run,
//! with its comparison measured in the same run.
//!
//!   store  [--persons N] [--batch B] [--postgres URL]   bulk creation through the store
//!   api-create [--requests N] [--concurrency C]          single creates over HTTP
//!   api-read [--persons N] [--seconds S] [--concurrency C]  record + links + history reads
//!   audit-verify [--records N]                           sequencing, signing and verifying
//!          an audit trail of N records
//!   authz  [--decisions N]                               Cedar decisions and the pre-filter
//!   read-audit [--persons N] [--seconds S] [--concurrency C] [--postgres URL|none]  an
//!          authorised, audited consultation against an unaudited read of the same records,
//!          same run, on SQLite then on PostgreSQL
//!   custody-board [--detainees N] [--requests R] [--warmup W]  the custody suite board for
//!          N detainees booked into one suite: the app call, then the page, the polled
//!          fragment and the API over HTTP, one request at a time
//!   search [--persons N] [--seconds S] [--concurrency C] [--postgres URL]  full reindex
//!          rate, then structured person searches with typos, sound-alikes, nicknames and
//!          partial dates of birth over HTTP, against PostgreSQL pg_trgm + fuzzystrmatch on
//!          the same people, same run (`--index-only`: stop after the reindex and the
//!          in-process searches; `--keep DIR`: load the persons into DIR once and reuse
//!          them on later runs; `--reuse-index`: with `--keep`, search the index built
//!          there by an earlier run instead of rebuilding it)
//!   matching [--entities N] [--seed S] [--max-block B] [--check] [--no-phones]  duplicate
//!          detection on a labelled set of about N real persons with known duplicates:
//!          precision, recall and F1 at the default threshold and around it, recall by kind
//!          of variation, and the scan's time (`--check`: the same for the check run on each
//!          saved person; `--no-phones`: the same set without its telephone numbers)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark, not the product

use bluelamp_demo::{DemoConfig, DemoItem, generate};
use bluelamp_domain::{Actor, AuditAction, AuditEntry, Clock, RecordKind};
use bluelamp_events::envelope::{RecordChange, record_event};
use bluelamp_server::{start, system_clock};
use bluelamp_store::{Change, NewRecord, Store, WriteOp};
use bluelamp_store_postgres::PgStore;
use bluelamp_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("bluelamp-bench-{tag}-{}", uuid::Uuid::now_v7()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// A number written in letters (names may not contain digits): 0 -> "a", 27 -> "bb".
fn letters(mut n: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return s;
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Persons as the store receives them, built before timing starts.
fn person_records(n: u64, clock: &Arc<dyn Clock>) -> Vec<NewRecord> {
    let today = bluelamp_domain::time::london_date(clock.now());
    generate(DemoConfig {
        seed: 7,
        persons: n,
        as_of: clock.now(),
        max_classification: bluelamp_domain::Classification::Secret,
    })
    .filter_map(|item| match item {
        DemoItem::Person(id, input) => {
            let (p, marking) = bluelamp_domain::pole::Person::parse(&input, today).unwrap();
            Some(NewRecord {
                id,
                kind: RecordKind::Person,
                marking,
                summary: p.summary(),
                subtype: None,
                body: serde_json::to_value(&p).unwrap(),
                link: None,
            })
        }
        _ => None,
    })
    .collect()
}

fn changes(records: &[NewRecord], batch: usize, clock: &Arc<dyn Clock>) -> Vec<Change> {
    records
        .chunks(batch)
        .map(|chunk| Change {
            ops: chunk.iter().cloned().map(WriteOp::Insert).collect(),
            audit: AuditEntry::new(
                clock.now(),
                Actor::system("bench"),
                AuditAction::BulkCreate,
                "bench",
                Default::default(),
            ),
            events: chunk
                .iter()
                .map(|r| {
                    record_event(
                        r.id,
                        r.kind,
                        1,
                        RecordChange::Created,
                        None,
                        clock.now(),
                        None,
                    )
                })
                .collect(),
        })
        .collect()
}

/// Applies `changes` with `inflight` of them submitted at a time (a loader that prepares its
/// next batch while the store writes the last), returning persons per second.
async fn time_store(
    store: Arc<dyn Store>,
    changes: Vec<Change>,
    persons: usize,
    inflight: usize,
) -> f64 {
    let queue = Arc::new(std::sync::Mutex::new(changes.into_iter()));
    let started = Instant::now();
    let workers: Vec<_> = (0..inflight.max(1))
        .map(|_| {
            let (store, queue) = (store.clone(), queue.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(c) = next else { break };
                    store.apply(c).await.unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    persons as f64 / started.elapsed().as_secs_f64()
}

async fn fresh_pg(admin: &str) -> String {
    let pool = sqlx::PgPool::connect(admin)
        .await
        .expect("PostgreSQL reachable");
    let name = format!("bluelamp_bench_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// COPY of the same rows into a bare table (no indexes, no version/audit/outbox rows): the
/// practical ceiling for getting bytes into PostgreSQL.
async fn pg_copy_ceiling(url: &str, records: &[NewRecord]) -> f64 {
    use sqlx::postgres::PgPoolCopyExt;
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query("CREATE TABLE bare (id uuid, kind text, version bigint, classification smallint, marking jsonb, summary text, body jsonb)").execute(&pool).await.unwrap();
    let mut text = String::new();
    for r in records {
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('\t', "\\t")
                .replace('\n', "\\n")
        };
        text.push_str(&format!(
            "{}\tperson\t1\t{}\t{}\t{}\t{}\n",
            r.id,
            r.marking.classification.rank(),
            esc(&serde_json::to_string(&r.marking).unwrap()),
            esc(&r.summary),
            esc(&r.body.to_string())
        ));
    }
    let started = Instant::now();
    let mut copy = pool.copy_in_raw("COPY bare FROM STDIN").await.unwrap();
    copy.send(text.as_bytes()).await.unwrap();
    copy.finish().await.unwrap();
    records.len() as f64 / started.elapsed().as_secs_f64()
}

async fn bench_store() {
    let persons: u64 = arg("--persons", "100000").parse().unwrap();
    let batch: usize = arg("--batch", "1000").parse().unwrap();
    let inflight: usize = arg("--inflight", "1").parse().unwrap();
    let pg = arg("--postgres", "postgres://postgres@127.0.0.1:5432/postgres");
    let clock = system_clock();
    println!(
        "# store: bulk creation of {persons} persons in batches of {batch} (each with its version, audit and outbox rows)"
    );
    let records = person_records(persons, &clock);

    let sqlite: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&temp_dir("store").join("bluelamp.db"))
            .await
            .unwrap(),
    );
    let rate = time_store(
        sqlite,
        changes(&records, batch, &clock),
        records.len(),
        inflight,
    )
    .await;
    println!("sqlite (embedded default): {rate:.0} persons/s");

    let single: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&temp_dir("single").join("bluelamp.db"))
            .await
            .unwrap(),
    );
    let few = &records[..records.len().min(5000)];
    let rate = time_store(single, changes(few, 1, &clock), few.len(), 1).await;
    println!("sqlite, one person per transaction: {rate:.0} persons/s");

    match sqlx::PgPool::connect(&pg).await {
        Ok(_) => {
            let url = fresh_pg(&pg).await;
            let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
            let rate = time_store(
                store,
                changes(&records, batch, &clock),
                records.len(),
                inflight,
            )
            .await;
            println!("postgres: {rate:.0} persons/s");
            let ceiling = pg_copy_ceiling(&fresh_pg(&pg).await, &records).await;
            println!("postgres COPY into a bare table (ceiling): {ceiling:.0} rows/s");
        }
        Err(e) => println!("postgres: not measured ({e})"),
    }
}

fn bench_options() -> bluelamp_server::SecurityOptions {
    bluelamp_server::SecurityOptions {
        accredited: bluelamp_domain::Classification::Secret,
        ..Default::default()
    }
}

/// Serves an embedded database and returns a client signed in as a bench user cleared to
/// SECRET with every demo compartment (a session cookie for pages, a token for the API), so
/// every request is authenticated, authorised and audited as in production.
async fn serve_sqlite() -> (
    String,
    Arc<dyn Store>,
    bluelamp_server::Running,
    reqwest::Client,
) {
    let (base, store, running, client, _) = serve_sqlite_as("demo.secret").await;
    (base, store, running, client)
}

/// As [`serve_sqlite`], signed in as the demo user `username`; also returns that user as a
/// caller for in-process calls of the same services.
async fn serve_sqlite_as(
    username: &str,
) -> (
    String,
    Arc<dyn Store>,
    bluelamp_server::Running,
    reqwest::Client,
    bluelamp_app::Caller,
) {
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&temp_dir("api").join("bluelamp.db"))
            .await
            .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let signer = Arc::new(bluelamp_audit::Signer::generate().unwrap());
    let running = start(
        listener,
        store.clone(),
        system_clock(),
        bench_options(),
        signer,
    )
    .await
    .unwrap();
    let (client, caller) = signed_in(&store, username).await;
    (
        format!("http://{}", running.addr),
        store,
        running,
        client,
        caller,
    )
}

/// Creates the demo user `username` in `store` (unless it is there) and signs them in: a
/// client sending their bearer token and session cookie, and the same user as a caller for
/// in-process calls.
async fn signed_in(
    store: &Arc<dyn Store>,
    username: &str,
) -> (reqwest::Client, bluelamp_app::Caller) {
    let (_, identity) =
        bluelamp_server::services(store.clone(), system_clock(), bench_options()).unwrap();
    let user = bluelamp_server::demo_users()
        .into_iter()
        .find(|u| u.username == username)
        .unwrap();
    // A database kept between runs (`search --keep`) already has the user.
    let known = store
        .user(&bluelamp_domain::Username::parse(username).unwrap())
        .await
        .unwrap()
        .is_some();
    if !known {
        identity
            .create_user(
                &bluelamp_app::Caller::system("bench"),
                &user,
                "bench-password-1",
            )
            .await
            .unwrap();
    }
    let signed = identity
        .sign_in(username, "bench-password-1", &Default::default(), "bench")
        .await
        .unwrap();
    let caller = bluelamp_app::Caller::user(signed.principal.clone(), Default::default(), "bench");
    let (token, _) = identity
        .create_token(&caller, "bench", true, 1)
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
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    (client, caller)
}

/// Runs `clients` loops for `seconds`, each timing one call of `f`.
async fn load<F, Fut>(clients: usize, seconds: u64, f: F) -> (Vec<Duration>, f64)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = c;
            while Instant::now() < deadline {
                let t = Instant::now();
                f(i).await;
                lat.push(t.elapsed());
                i += clients;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    let rate = all.len() as f64 / secs;
    (all, rate)
}

async fn bench_api_create() {
    let seconds: u64 = arg("--seconds", "10").parse().unwrap();
    let clients: usize = arg("--concurrency", "8").parse().unwrap();
    let (base, _, _running, client) = serve_sqlite().await;
    println!(
        "# api-create: single POST /api/v1/persons for {seconds} s from {clients} clients (embedded default)"
    );
    let (lat, rate) = load(clients, seconds, move |i| {
        let client = client.clone();
        let url = format!("{base}/api/v1/persons");
        async move {
            let r = client.post(url).json(&serde_json::json!({"family_name": format!("Bench{}", letters(i)), "given_names": "Anna", "date_of_birth": "1985-03-02"})).send().await.unwrap();
            assert_eq!(r.status(), 201);
        }
    })
    .await;
    println!(
        "creates: {rate:.0}/s, p50 {}, p99 {} ({} requests)",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        lat.len()
    );
}

async fn bench_api_read() {
    let persons: u64 = arg("--persons", "10000").parse().unwrap();
    let seconds: u64 = arg("--seconds", "10").parse().unwrap();
    let clients: usize = arg("--concurrency", "32").parse().unwrap();
    let (base, store, _running, client) = serve_sqlite().await;
    let (pole, _) =
        bluelamp_server::services(store.clone(), system_clock(), bench_options()).unwrap();
    let config = DemoConfig {
        seed: 11,
        persons,
        as_of: system_clock().now(),
        max_classification: bluelamp_domain::Classification::Secret,
    };
    bluelamp_server::demo::load(&pole, config, 2000, |_| {})
        .await
        .unwrap();
    // The generator is deterministic: the same config gives the same ids.
    let ids: Vec<_> = generate(config)
        .filter_map(|item| match item {
            DemoItem::Person(id, _) => Some(id),
            _ => None,
        })
        .collect();
    let ids = Arc::new(ids);
    println!(
        "# api-read: {persons} demo persons; {clients} clients for {seconds} s each; every read is audited"
    );

    let (c, b) = (client.clone(), base.clone());
    let (lat, rate) = load(clients, seconds, move |_| {
        let (c, url) = (c.clone(), format!("{b}/healthz"));
        async move {
            assert_eq!(c.get(url).send().await.unwrap().status(), 200);
        }
    })
    .await;
    println!(
        "static /healthz (ceiling): {rate:.0} req/s, p50 {}, p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );

    let (c, b, ids2) = (client.clone(), base.clone(), ids.clone());
    let (lat, rate) = load(clients, seconds, move |i| {
        let (c, b, ids) = (c.clone(), b.clone(), ids2.clone());
        async move {
            let id = ids[i % ids.len()];
            let (r, l, h) = tokio::join!(
                c.get(format!("{b}/api/v1/persons/{id}")).send(),
                c.get(format!("{b}/api/v1/records/{id}/links")).send(),
                c.get(format!("{b}/api/v1/records/{id}/history")).send()
            );
            assert_eq!(r.unwrap().status(), 200);
            assert_eq!(l.unwrap().status(), 200);
            assert_eq!(h.unwrap().status(), 200);
        }
    })
    .await;
    println!(
        "record + links + history (3 requests, in parallel): {rate:.0} reads/s, p50 {}, p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );

    let (c, b, ids3) = (client.clone(), base.clone(), ids.clone());
    let (lat, rate) = load(clients, seconds, move |i| {
        let (c, b, ids) = (c.clone(), b.clone(), ids3.clone());
        async move {
            let id = ids[i % ids.len()];
            assert_eq!(
                c.get(format!("{b}/persons/{id}"))
                    .send()
                    .await
                    .unwrap()
                    .status(),
                200
            );
        }
    })
    .await;
    println!(
        "record page (HTML: record + links): {rate:.0} pages/s, p50 {}, p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
}

#[tokio::main]
async fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("store") => bench_store().await,
        Some("api-create") => bench_api_create().await,
        Some("api-read") => bench_api_read().await,
        Some("authz") => bench_authz(),
        Some("audit-verify") => bench_audit_verify().await,
        Some("read-audit") => bench_read_audit().await,
        Some("custody-board") => bench_custody_board().await,
        Some("search") => bench_search().await,
        Some("matching") => bench_matching(),
        _ => eprintln!(
            "usage: bench store|api-create|api-read|authz|read-audit|audit-verify|custody-board|search|matching [options]; see the top of examples/bench.rs"
        ),
    }
}

/// The demo users as principals (what a decision sees).
fn demo_principals() -> Vec<bluelamp_domain::Principal> {
    use bluelamp_domain::{Compartment, Principal, Role, Unit, Username};
    bluelamp_server::demo_users()
        .into_iter()
        .map(|u| Principal {
            username: Username::parse(&u.username).unwrap(),
            display_name: u.display_name,
            roles: u.roles.iter().map(|r| Role::parse(r).unwrap()).collect(),
            unit: Unit::parse(&u.unit).unwrap(),
            clearance: u.clearance.parse().unwrap(),
            compartments: u
                .compartments
                .iter()
                .map(|c| Compartment::parse(c).unwrap())
                .collect(),
        })
        .collect()
}

fn bench_authz() {
    use bluelamp_authz::{Action, Authorizer, CedarAuthorizer};
    use bluelamp_domain::{Classification, Compartment, Marking, Restriction, Unit};
    let n: usize = arg("--decisions", "200000").parse().unwrap();
    let authz = CedarAuthorizer::new(Classification::Secret).unwrap();
    let users = demo_principals();
    let mut markings = Vec::new();
    for c in Classification::ALL {
        for comps in [vec![], vec!["OP-KESTREL"], vec!["OP-KESTREL", "PSD"]] {
            let m = Marking::new(
                c,
                comps
                    .iter()
                    .map(|x| Compartment::parse(x).unwrap())
                    .collect(),
                vec![],
            );
            markings.push(m.clone());
            markings.push(m.with_restriction(Some(Restriction {
                teams: vec![Unit::parse("MIT").unwrap()],
                officers: vec!["demo.investigator".into()],
                officer_units: vec![Unit::parse("CID").unwrap()],
            })));
        }
    }
    println!(
        "# authz: {n} decisions over {} users x {} markings (release build, one core)",
        users.len(),
        markings.len()
    );
    let t = Instant::now();
    let mut allowed = 0usize;
    for i in 0..n {
        let d = authz.record(
            &users[i % users.len()],
            Action::Read,
            RecordKind::Person,
            &markings[(i / users.len()) % markings.len()],
        );
        allowed += usize::from(d.allowed);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "cedar record decisions: {:.0}/s ({:.1} us each; {allowed} allowed)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
    let visibilities: Vec<_> = users
        .iter()
        .map(|u| authz.visibility(u, Action::List))
        .collect();
    let t = Instant::now();
    let mut shown = 0usize;
    for i in 0..n {
        if let Some(v) = &visibilities[i % users.len()] {
            shown += usize::from(v.allows(&markings[(i / users.len()) % markings.len()]));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "pre-filter predicate (Visibility::allows): {:.0}/s ({:.3} us each; {shown} shown)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}

async fn bench_read_audit() {
    let persons: u64 = arg("--persons", "10000").parse().unwrap();
    let seconds: u64 = arg("--seconds", "10").parse().unwrap();
    let clients: usize = arg("--concurrency", "32").parse().unwrap();
    let pg = arg("--postgres", "postgres://postgres@127.0.0.1:5432/postgres");
    println!(
        "# read-audit: {persons} demo persons; {clients} tasks for {seconds} s each, in-process (no HTTP)"
    );
    let sqlite: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&temp_dir("read-audit").join("bluelamp.db"))
            .await
            .unwrap(),
    );
    read_audit_on("sqlite", sqlite, persons, seconds, clients).await;
    if pg == "none" {
        return;
    }
    match sqlx::PgPool::connect(&pg).await {
        Ok(_) => {
            let url = fresh_pg(&pg).await;
            let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
            read_audit_on("postgres", store, persons, seconds, clients).await;
        }
        Err(e) => println!("postgres: not measured ({e})"),
    }
}

/// Unaudited reads, then authorised and audited consultations of the same records.
async fn read_audit_on(
    name: &str,
    store: Arc<dyn Store>,
    persons: u64,
    seconds: u64,
    clients: usize,
) {
    let (pole, _) =
        bluelamp_server::services(store.clone(), system_clock(), bench_options()).unwrap();
    let config = DemoConfig {
        seed: 13,
        persons,
        as_of: system_clock().now(),
        max_classification: bluelamp_domain::Classification::Secret,
    };
    bluelamp_server::demo::load(&pole, config, 2000, |_| {})
        .await
        .unwrap();
    let ids: Arc<Vec<_>> = Arc::new(
        generate(config)
            .filter_map(|i| match i {
                DemoItem::Person(id, _) => Some(id),
                _ => None,
            })
            .collect(),
    );
    let principal = demo_principals()
        .into_iter()
        .find(|p| p.username.as_str() == "demo.secret")
        .unwrap();
    let caller = bluelamp_app::Caller::user(principal, Default::default(), "bench");
    let (s, i2) = (store.clone(), ids.clone());
    let (lat, rate) = load(clients, seconds, move |i| {
        let (s, ids) = (s.clone(), i2.clone());
        async move {
            let id = ids[i % ids.len()];
            assert_eq!(s.load(&[id]).await.unwrap().len(), 1);
        }
    })
    .await;
    println!(
        "{name}: unaudited read (Store::load): {rate:.0}/s, p50 {}, p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
    let (p, i3, c) = (pole.clone(), ids.clone(), caller.clone());
    let (lat, audited) = load(clients, seconds, move |i| {
        let (p, ids, c) = (p.clone(), i3.clone(), c.clone());
        async move {
            let id = ids[i % ids.len()];
            // Some demo persons are SECRET with a compartment demo.secret lacks: a refusal is
            // audited too, and costs the same.
            let _ = p.get(&c, id, None).await;
        }
    })
    .await;
    println!(
        "{name}: authorised and audited consultation (PoleService::get): {audited:.0}/s, p50 {}, p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
    println!(
        "{name}: audited / unaudited: {:.0}%",
        100.0 * audited / rate
    );
}

async fn bench_audit_verify() {
    let n: usize = arg("--records", "1000000").parse().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&temp_dir("audit").join("bluelamp.db"))
            .await
            .unwrap(),
    );
    println!("# audit-verify: {n} audit records (consultations) on the embedded default");
    let t = Instant::now();
    let tasks = 64;
    let mut handles = Vec::new();
    for w in 0..tasks {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            let actor = Actor {
                user_id: format!("pc.{w}"),
                display_name: format!("PC {w}"),
            };
            for i in (w..n).step_by(tasks) {
                let e = AuditEntry::new(
                    system_clock().now(),
                    actor.clone(),
                    AuditAction::View,
                    "bench",
                    Default::default(),
                )
                .with_details(serde_json::json!({"record": i, "note": "a consultation"}));
                s.audit_only(e).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "written: {:.0} audit records/s ({secs:.1} s)",
        n as f64 / secs
    );
    let signer = Arc::new(bluelamp_audit::Signer::generate().unwrap());
    let log = bluelamp_app::audit_log::AuditLog::new(
        store.clone(),
        system_clock(),
        signer.clone(),
        Default::default(),
    );
    let t = Instant::now();
    let mut checkpoints = 0;
    while log.checkpoint_round(true).await.unwrap().is_some() {
        checkpoints += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "sequenced and signed: {:.0} records/s ({secs:.1} s, {checkpoints} checkpoints of up to 10,000)",
        n as f64 / secs
    );
    let t = Instant::now();
    let report = bluelamp_app::audit_log::verify(store.as_ref(), &signer.public_key())
        .await
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(report.ok(), "{:?}", report.problems);
    println!(
        "verified: {} records, {} checkpoints in {secs:.1} s ({:.0} records/s); 10M records at this rate: {:.0} s",
        report.records,
        report.checkpoints,
        report.records as f64 / secs,
        1e7 * secs / report.records as f64
    );
}

/// `p50, p95, p99, max` of latencies sorted ascending.
fn spread(sorted: &[Duration]) -> String {
    format!(
        "p50 {}, p95 {}, p99 {}, max {}",
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.95)),
        ms(percentile(sorted, 0.99)),
        ms(sorted.last().copied().unwrap_or_default())
    )
}

/// Times `requests` sequential calls of `f` after `warmup` untimed ones; sorted latencies.
async fn sequential<F, Fut>(warmup: usize, requests: usize, mut f: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..warmup {
        f().await;
    }
    let mut lat = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        f().await;
        lat.push(t.elapsed());
    }
    lat.sort();
    lat
}

async fn bench_custody_board() {
    use serde_json::{Value, json};
    let detainees: usize = arg("--detainees", "60").parse().unwrap();
    let requests: usize = arg("--requests", "200").parse().unwrap();
    let warmup: usize = arg("--warmup", "20").parse().unwrap();
    let (base, store, _running, client, caller) = serve_sqlite_as("demo.custody").await;
    let now = system_clock().now();
    let rfc = bluelamp_domain::time::to_rfc3339;
    let minutes_ago = |m: i64| now.checked_sub(jiff::SignedDuration::from_mins(m)).unwrap();
    let t = Instant::now();
    let mut entries = 0;
    for i in 0..detainees {
        let r = client
            .post(format!("{base}/api/v1/persons"))
            .json(
                &json!({"family_name": format!("Board{}", letters(i)), "given_names": "Sam",
                          "date_of_birth": "1990-05-17"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let person: Value = r.json().await.unwrap();
        // Arrivals spread over the last 23 hours, so a few detentions are near their limit.
        let ago = 10 + (i as i64) * (23 * 60 - 10) / (detainees as i64).max(1);
        let intoxicated = i % 4 == 1;
        let r = client
            .post(format!("{base}/api/v1/custody"))
            .json(&json!({
                "person_id": person["id"],
                "booking": {
                    "station": "Central",
                    "arrested_at": rfc(minutes_ago(ago + 25)),
                    "arrest_place": "High Street, Anytown",
                    "arresting_officer": "PC 1234 Jones",
                    "grounds": "Seen leaving the shop with unpaid goods",
                    "arrived_at": rfc(minutes_ago(ago)),
                    "offences": [{"description": "Theft from a shop",
                                  "mode": if i % 3 == 0 { "summary" } else { "either_way" }}],
                    "regime": "pace",
                    "basis": {"type": "arrival"}
                },
                "custody_officer": {"name": "PS 201 Patel", "rank": "sergeant"},
                "risk": {"observation_level": 1 + (i % 3) as u8, "intoxicated": intoxicated,
                         "notes": if intoxicated { "Smells strongly of alcohol" } else { "" }},
                "rights": {"legal_advice_requested": i % 2 == 0, "someone_informed_requested": i % 5 == 0},
                "detention": {"decision": "authorise", "grounds": "To obtain evidence by questioning"}
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let mut rec: Value = r.json().await.unwrap();
        // Most records carry the entries of a night in the suite: visits, a meal, a note, a
        // review, a rest begun; a few are left owing a meal or a rest.
        let roused = if intoxicated {
            json!(true)
        } else {
            Value::Null
        };
        let mut add = Vec::new();
        if i % 2 == 0 || intoxicated {
            add.push(json!({"type": "cell_visit", "roused": roused,
                            "condition": "Awake, calm, asked for water"}));
        }
        if i % 7 != 3 {
            add.push(json!({"type": "meal", "main": i % 3 == 0}));
        }
        if i % 5 == 0 {
            add.push(json!({"type": "note", "text": "Solicitor called; will attend at 10:00"}));
        }
        if i % 6 == 0 {
            add.push(
                json!({"type": "review", "by": {"name": "Insp 12 Khan", "rank": "inspector"},
                            "mode": "telephone", "representations": "None",
                            "decision": "continue_detention", "note": ""}),
            );
        }
        if i % 4 == 0 {
            add.push(json!({"type": "cell_visit", "roused": roused,
                            "condition": "Asleep, breathing normally"}));
        }
        if ago > 10 * 60 && i % 5 != 4 {
            add.push(json!({"type": "rest_started"}));
        }
        for entry in add {
            let id = rec["id"].as_str().unwrap().to_string();
            let r = client
                .post(format!("{base}/api/v1/custody/{id}/entries"))
                .json(&json!({"base_version": rec["version"], "entry": entry}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
            rec = r.json().await.unwrap();
            entries += 1;
        }
    }
    println!(
        "# custody-board: {detainees} detainees booked into CENTRAL over HTTP ({entries} entries after booking; {:.1} s), arrivals over the last 23 hours; one request at a time, {warmup} warm-up then {requests} timed; every board is an audited list",
        t.elapsed().as_secs_f64()
    );

    // (a) The app call the page and the API both make, in process: the audited list, the
    // parse of every record and its PACE clock; no HTTP, no rendering.
    let (pole, _) = bluelamp_server::services(store, system_clock(), bench_options()).unwrap();
    let custody = bluelamp_app::CustodyService::new(pole);
    let rows = custody.board(&caller, "Central").await.unwrap();
    assert_eq!(rows.len(), detainees);
    let near = rows
        .iter()
        .filter(|r| r.status.time_left <= jiff::SignedDuration::from_hours(2))
        .count();
    let lat = sequential(warmup, requests, || {
        let (custody, caller) = (custody.clone(), caller.clone());
        async move {
            let rows = custody.board(&caller, "Central").await.unwrap();
            assert_eq!(rows.len(), detainees);
        }
    })
    .await;
    println!(
        "CustodyService::board (in process; {near} within 2 h of the limit): {}",
        spread(&lat)
    );
    // Of which: the PACE clock of every detainee (pure CPU, no store, no audit).
    let lat = sequential(warmup, requests, || {
        let rows = &rows;
        async move {
            let now = system_clock().now();
            for r in rows {
                std::hint::black_box(bluelamp_domain::custody::status(&r.custody, now));
            }
        }
    })
    .await;
    println!(
        "of which the PACE clock for {detainees} records (domain::custody::status): {}",
        spread(&lat)
    );

    // What the board's alert summary said, as a check that the suite looks like a real one.
    let page = client
        .get(format!("{base}/custody/board?station=CENTRAL"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let alerts = page
        .split_once("role=\"status\">")
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(text, _)| text.replace("<strong>", "").replace("</strong>", ""))
        .unwrap_or_default();
    println!("board summary: {alerts}");

    // (b) Over HTTP on localhost: one client, on the same cores as the server.
    for (what, path, marker) in [
        (
            "GET /custody?station=Central (page)",
            "/custody?station=Central",
            "\">CEN/26/",
        ),
        (
            "GET /custody/board?station=CENTRAL (the fragment htmx polls)",
            "/custody/board?station=CENTRAL",
            "\">CEN/26/",
        ),
        (
            "GET /api/v1/custody?station=Central (JSON)",
            "/api/v1/custody?station=Central",
            "\"custody_number\"",
        ),
    ] {
        let url = format!("{base}{path}");
        let size = client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len();
        let lat = sequential(warmup, requests, || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let r = client.get(url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                let body = r.text().await.unwrap();
                assert_eq!(body.matches(marker).count(), detainees);
            }
        })
        .await;
        println!("{what}, {} KB: {}", size / 1024, spread(&lat));
    }
}

/// One structured person search a user might type for a known person, and that person.
struct PersonSearch {
    target: String,
    family: String,
    given: String,
    dob: String,
    /// typo, sound-alike, nickname, partial-dob
    variant: &'static str,
}

/// A search for `p` as someone would type it with a mistake, deterministically by `i`: a
/// transposition typo in the surname with the year of birth; a sound-alike spelling with
/// the full date; a nickname with the month and year; the surname and an initial with the
/// year.
fn person_search(i: usize, id: &str, p: &bluelamp_domain::pole::Person) -> Option<PersonSearch> {
    use bluelamp_domain::values::DateOfBirth;
    let family = p.family_name.as_str().to_string();
    let given = p
        .given_names
        .as_ref()?
        .as_str()
        .split_whitespace()
        .next()?
        .to_string();
    let (year, month, full) = match p.date_of_birth {
        DateOfBirth::Full(d) => (
            d.year(),
            d.month(),
            format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
        ),
        _ => return None,
    };
    let chars: Vec<char> = family.chars().collect();
    if chars.len() < 4 {
        return None;
    }
    let (family, given, dob, variant) = match i % 4 {
        0 => {
            let mut c = chars.clone();
            c.swap(1, 2);
            (c.into_iter().collect(), given, year.to_string(), "typo")
        }
        1 => {
            let lower = family.to_lowercase();
            let first = lower.chars().next().map_or(0, char::len_utf8);
            let swapped = [
                ("ph", "f"),
                ("y", "i"),
                ("i", "y"),
                ("ck", "k"),
                ("ou", "ow"),
                ("ee", "ea"),
                ("ai", "ay"),
                ("s", "z"),
            ]
            .iter()
            .find(|(a, _)| lower[first..].contains(a))
            .map(|(a, b)| format!("{}{}", &lower[..first], lower[first..].replacen(a, b, 1)))
            .unwrap_or_else(|| format!("{lower}e"));
            (swapped, given, full, "sound-alike")
        }
        2 => {
            let nick = bluelamp_search::variants::variants_of(&given)
                .into_iter()
                .find(|v| !v.eq_ignore_ascii_case(&given))
                .map(str::to_string)
                .unwrap_or(given);
            (family, nick, format!("{month:02}/{year}"), "nickname")
        }
        _ => (
            family,
            given.chars().next()?.to_string(),
            year.to_string(),
            "partial-dob",
        ),
    };
    Some(PersonSearch {
        target: id.to_string(),
        family,
        given,
        dob,
        variant,
    })
}

/// Person search at scale: N demo persons in the embedded database, the index built from
/// them (its rate measured), structured searches with typos, sound-alikes, nicknames and
/// partial dates of birth over HTTP at C concurrent clients (each authenticated, authorised
/// and audited), then the same searches against PostgreSQL with pg_trgm and fuzzystrmatch
/// indexes on the same people, in the same run.
async fn bench_search() {
    let persons: u64 = arg("--persons", "100000").parse().unwrap();
    let seconds: u64 = arg("--seconds", "20").parse().unwrap();
    let clients: usize = arg("--concurrency", "8").parse().unwrap();
    let pg_admin = arg("--postgres", "postgres://postgres@127.0.0.1:5432/postgres");
    let clock = system_clock();
    let today = bluelamp_domain::time::london_date(clock.now());
    println!("generating {persons} persons");
    let mut records = Vec::new();
    let mut searches = Vec::new();
    // A fixed date, not the clock: the generator's ids and ages follow it, and a database
    // kept between runs (`--keep`) must hold the very records this run searches for.
    let as_of: jiff::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    for item in generate(DemoConfig {
        seed: 11,
        persons,
        as_of,
        max_classification: bluelamp_domain::Classification::Secret,
    }) {
        if let DemoItem::Person(id, input) = item {
            let (p, marking) = bluelamp_domain::pole::Person::parse(&input, today).unwrap();
            let n = records.len();
            if n % 97 == 0
                && searches.len() < 4_000
                && let Some(s) = person_search(searches.len(), &id.to_string(), &p)
            {
                searches.push(s);
            }
            records.push(NewRecord {
                id,
                kind: RecordKind::Person,
                marking,
                summary: p.summary(),
                subtype: None,
                body: serde_json::to_value(&p).unwrap(),
                link: None,
            });
        }
    }
    // `--keep DIR` keeps the database between runs (loaded once, when DIR has none), for
    // repeated measurements of the index on the same people.
    let keep = arg("--keep", "");
    let dir = if keep.is_empty() {
        temp_dir("search")
    } else {
        std::path::PathBuf::from(&keep)
    };
    let loaded = dir.join("bluelamp.db").exists();
    std::fs::create_dir_all(&dir).unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.join("bluelamp.db")).await.unwrap());
    if loaded {
        // A database from another --persons (or a load cut short) would search for people
        // it does not hold.
        let held = store.counts().await.unwrap().persons;
        assert_eq!(
            held,
            records.len() as u64,
            "--keep {keep}: the database holds {held} persons, this run generated {}; use another directory",
            records.len()
        );
        println!("reusing the {held} persons already loaded in {keep}");
    } else {
        let started = Instant::now();
        for chunk in records.chunks(5_000) {
            store
                .apply(Change {
                    ops: chunk.iter().cloned().map(WriteOp::Insert).collect(),
                    audit: AuditEntry::new(
                        clock.now(),
                        Actor::system("bench"),
                        AuditAction::BulkCreate,
                        "bench",
                        Default::default(),
                    ),
                    // Loaded without events: the index is built by the rebuild timed below.
                    events: vec![],
                })
                .await
                .unwrap();
        }
        println!(
            "loaded {} persons into SQLite in {:.1} s",
            records.len(),
            started.elapsed().as_secs_f64()
        );
    }

    // The index, built from the store as `bluelamp reindex` builds it.
    let index_dir = dir.join("search");
    {
        let (pole, _) =
            bluelamp_server::services(store.clone(), clock.clone(), bench_options()).unwrap();
        let search = bluelamp_app::search::Search::open(
            store.clone(),
            clock.clone(),
            pole.access().clone(),
            Some(&index_dir),
        )
        .unwrap();
        // `--reuse-index` (with `--keep`) searches the index an earlier run built, to compare
        // builds' searches quickly and alternately on the same people.
        let reuse = std::env::args().any(|a| a == "--reuse-index");
        assert!(
            !reuse || loaded,
            "--reuse-index needs --keep DIR with a database in it"
        );
        if reuse {
            let held = search.status().await.documents;
            assert_eq!(
                held,
                records.len() as u64,
                "--reuse-index: the index in {keep} holds {held} documents; run once without --reuse-index"
            );
            println!("reusing the index already built in {keep}");
        } else {
            let report = search.rebuild().await.unwrap();
            println!(
                "full reindex: {} persons in {:.1} s = {:.0} persons/s",
                report.records,
                report.seconds,
                report.records as f64 / report.seconds
            );
            println!(
                "  of which reading and indexing {:.1} s (waiting for the store {:.1} s), merging into one segment {:.1} s",
                report.staging_seconds,
                report.reading_seconds,
                report.merge_seconds()
            );
        }
        // The index alone, one search at a time, as a system caller (no filter, no audit).
        let index = search.index().clone();
        let requests: Vec<bluelamp_search::index::SearchRequest> = searches
            .iter()
            .map(|s| {
                let text = format!("{} {} {}", s.given, s.family, s.dob);
                bluelamp_search::index::SearchRequest {
                    query: bluelamp_search::query::parse_query(&text, today).unwrap(),
                    gender: None,
                    kind: Some(RecordKind::Person),
                    offset: 0,
                    limit: 10,
                    probe: None,
                }
            })
            .collect();
        let mut lat = Vec::new();
        let inproc: usize = arg("--inproc", "2000").parse().unwrap();
        for r in requests.iter().cycle().take(inproc) {
            let t = Instant::now();
            index.search(r, None).unwrap();
            lat.push(t.elapsed());
        }
        lat.sort();
        println!(
            "index alone, in process, one at a time: p50 {}, p99 {}",
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        );
    }
    let index_bytes: u64 = std::fs::read_dir(&index_dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("index size: {:.0} MB", index_bytes as f64 / 1e6);
    if std::env::args().any(|a| a == "--index-only") {
        return;
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let signer = Arc::new(bluelamp_audit::Signer::generate().unwrap());
    // A server that has been up gave each audit record its place in the Merkle log as it
    // came; a database just loaded has the load's records waiting (each naming thousands
    // of persons), which the server's checkpointer would otherwise work through while the
    // searches are timed. Sequence them first, and say how long that took.
    let started = Instant::now();
    let log = bluelamp_app::audit_log::AuditLog::new(
        store.clone(),
        clock.clone(),
        signer.clone(),
        Default::default(),
    );
    let mut rounds = 0;
    while log.checkpoint_round(true).await.unwrap().is_some() {
        rounds += 1;
    }
    println!(
        "audit log: {rounds} checkpoint round(s) for the records waiting, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let running = bluelamp_server::start_with(
        listener,
        store.clone(),
        clock.clone(),
        bench_options(),
        signer,
        None,
        None,
        Some(&index_dir),
    )
    .await
    .unwrap();
    let base = format!("http://{}", running.addr);
    // As the demo analyst (SECRET, every compartment): sees everything.
    let (client, _) = signed_in(&store, "demo.analyst").await;
    let searches = Arc::new(searches);
    let url_of = |s: &PersonSearch| {
        format!(
            "{base}/api/v1/search?kind=person&per_page=10&family_name={}&given_names={}&dob={}",
            s.family, s.given, s.dob
        )
    };
    // Recall: is the person searched for on the first page?
    let mut found = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for s in searches.iter().take(1_000) {
        let body: serde_json::Value = client
            .get(url_of(s))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let hit = body["results"][0]["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["id"] == s.target.as_str()));
        let e = found.entry(s.variant).or_default();
        e.0 += usize::from(hit);
        e.1 += 1;
    }
    for (variant, (hit, all)) in &found {
        println!("  Bluelamp: target on the first page for {variant}: {hit}/{all}");
    }
    let urls: Arc<Vec<String>> = Arc::new(searches.iter().map(url_of).collect());
    let (lat, rate) = load(clients, seconds, {
        let client = client.clone();
        let urls = urls.clone();
        move |i| {
            let client = client.clone();
            let urls = urls.clone();
            async move {
                let r = client.get(&urls[i % urls.len()]).send().await.unwrap();
                assert_eq!(r.status(), reqwest::StatusCode::OK);
                r.bytes().await.unwrap();
            }
        }
    })
    .await;
    println!(
        "Bluelamp person search over HTTP ({clients} clients, audited): {rate:.0} searches/s, p50 {}, p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
    let _ = running.shutdown.send(true);
    if pg_admin == "none" {
        return;
    }

    // PostgreSQL with pg_trgm and fuzzystrmatch on the same people, queried directly (no
    // HTTP, no authorisation, no audit: its best case).
    let url = fresh_pg(&pg_admin).await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(clients as u32)
        .connect(&url)
        .await
        .unwrap();
    for stmt in [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch",
        "CREATE TABLE person (id uuid PRIMARY KEY, family text NOT NULL, given text NOT NULL, dob date, dob_year int)",
    ] {
        sqlx::query(stmt).execute(&pool).await.unwrap();
    }
    let started = Instant::now();
    for chunk in records.chunks(10_000) {
        let mut ids = Vec::new();
        let mut fam = Vec::new();
        let mut giv = Vec::new();
        let mut dobs: Vec<Option<jiff::civil::Date>> = Vec::new();
        for r in chunk {
            let p: bluelamp_domain::pole::Person = serde_json::from_value(r.body.clone()).unwrap();
            ids.push(r.id.0);
            fam.push(p.family_name.as_str().to_lowercase());
            giv.push(
                p.given_names
                    .as_ref()
                    .map(|g| g.as_str().to_lowercase())
                    .unwrap_or_default(),
            );
            dobs.push(match p.date_of_birth {
                bluelamp_domain::values::DateOfBirth::Full(d) => Some(d),
                _ => None,
            });
        }
        let dob_text: Vec<Option<String>> = dobs.iter().map(|d| d.map(|d| d.to_string())).collect();
        sqlx::query(
            "INSERT INTO person (id, family, given, dob, dob_year) \
             SELECT i, f, g, d::date, extract(year from d::date)::int \
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS t(i, f, g, d)",
        )
        .bind(&ids)
        .bind(&fam)
        .bind(&giv)
        .bind(&dob_text)
        .execute(&pool)
        .await
        .unwrap();
    }
    for stmt in [
        "CREATE INDEX person_family_trgm ON person USING gin (family gin_trgm_ops)",
        "CREATE INDEX person_given_trgm ON person USING gin (given gin_trgm_ops)",
        "CREATE INDEX person_family_dmetaphone ON person (dmetaphone(family))",
        "CREATE INDEX person_dob_year ON person (dob_year)",
        "ANALYZE person",
    ] {
        sqlx::query(stmt).execute(&pool).await.unwrap();
    }
    println!(
        "PostgreSQL: loaded and indexed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The query a team would write: trigram similarity or the same Double Metaphone code on
    // the surname, ranked by name similarity and birth year.
    const PG_SEARCH: &str = "SELECT id FROM person \
        WHERE family % $1 OR dmetaphone(family) = dmetaphone($1) \
        ORDER BY similarity(family, $1) + similarity(given, $2) \
               + CASE WHEN dob_year = $3 THEN 0.5 ELSE 0 END DESC \
        LIMIT 10";
    let year_of = |dob: &str| -> i32 { dob.rsplit('/').next().unwrap().parse().unwrap() };
    let mut pg_found = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for s in searches.iter().take(1_000) {
        let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(PG_SEARCH)
            .bind(s.family.to_lowercase())
            .bind(s.given.to_lowercase())
            .bind(year_of(&s.dob))
            .fetch_all(&pool)
            .await
            .unwrap();
        let hit = rows.iter().any(|(id,)| id.to_string() == s.target);
        let e = pg_found.entry(s.variant).or_default();
        e.0 += usize::from(hit);
        e.1 += 1;
    }
    for (variant, (hit, all)) in &pg_found {
        println!("  PostgreSQL: target in the first 10 for {variant}: {hit}/{all}");
    }
    let (lat, pg_rate) = load(clients, seconds, {
        let pool = pool.clone();
        let searches = searches.clone();
        move |i| {
            let pool = pool.clone();
            let searches = searches.clone();
            async move {
                let s = &searches[i % searches.len()];
                let _: Vec<(uuid::Uuid,)> = sqlx::query_as(PG_SEARCH)
                    .bind(s.family.to_lowercase())
                    .bind(s.given.to_lowercase())
                    .bind(year_of(&s.dob))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            }
        }
    })
    .await;
    println!(
        "PostgreSQL pg_trgm + fuzzystrmatch ({clients} connections, direct): {pg_rate:.0} searches/s, p50 {}, p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
    println!("Bluelamp / PostgreSQL throughput: {:.1}x", rate / pg_rate);
}

fn bench_matching() {
    use bluelamp_search::dedupe::{MAX_BLOCK, quality, scan_pairs_capped};
    use bluelamp_search::{DEFAULT_THRESHOLD, PersonFeatures};
    use std::collections::{BTreeMap, HashSet};
    let entities: u32 = arg("--entities", "100000").parse().unwrap();
    let seed: u64 = arg("--seed", "20261130").parse().unwrap();
    let max_block: usize = arg("--max-block", &MAX_BLOCK.to_string()).parse().unwrap();
    let as_of: jiff::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let today = jiff::civil::date(2026, 6, 1);
    // Leaves the records' telephone numbers out (the set is otherwise the same).
    let phones = !std::env::args().any(|a| a == "--no-phones");
    let t = Instant::now();
    let set = bluelamp_demo::labelled_persons(seed, entities, as_of);
    let features: Vec<PersonFeatures> = set
        .iter()
        .map(|p| {
            let (person, _) = bluelamp_domain::pole::Person::parse(&p.input, today).unwrap();
            let f = PersonFeatures::from_person(&person, &p.postcodes);
            if phones { f.with_phones(&p.phones) } else { f }
        })
        .collect();
    let labels: Vec<u32> = set.iter().map(|p| p.entity).collect();
    println!(
        "labelled set: {} records of {} real persons, built in {:.1} s",
        set.len(),
        entities,
        t.elapsed().as_secs_f64()
    );
    let lowest = 10.0;
    let t = Instant::now();
    let scan = scan_pairs_capped(&features, lowest, max_block);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "scan (blocking + scoring, {} threads): {:.1} s, {} blocks ({} skipped as too big), {} comparisons ({:.0} per record)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        secs,
        scan.blocks,
        scan.skipped_blocks,
        scan.comparisons,
        scan.comparisons as f64 / features.len() as f64
    );
    println!("| threshold | precision | recall | F1 | false pairs | missed pairs |");
    println!("|---|---|---|---|---|---|");
    for th in [12.0, 13.0, 14.0, 15.0, DEFAULT_THRESHOLD, 17.0, 18.0] {
        let found: Vec<(usize, usize)> = scan
            .pairs
            .iter()
            .filter(|p| p.score.weight >= th)
            .map(|p| (p.a, p.b))
            .collect();
        let q = quality(&labels, &found);
        let mark = if th == DEFAULT_THRESHOLD {
            " (default)"
        } else {
            ""
        };
        println!(
            "| {th}{mark} | {:.4} | {:.4} | {:.4} | {} | {} |",
            q.precision, q.recall, q.f1, q.false_positives, q.false_negatives
        );
    }
    // Recall at the default threshold by the variations of the re-recorded record.
    let found: HashSet<(usize, usize)> = scan
        .pairs
        .iter()
        .filter(|p| p.score.weight >= DEFAULT_THRESHOLD)
        .map(|p| (p.a, p.b))
        .collect();
    let mut by_entity: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    for (i, e) in labels.iter().enumerate() {
        by_entity.entry(*e).or_default().push(i);
    }
    let mut by_variation: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for members in by_entity.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let hit = found.contains(&(i.min(j), i.max(j)));
                for v in set[i]
                    .variation
                    .split('+')
                    .chain(set[j].variation.split('+'))
                {
                    if v == "original" {
                        continue;
                    }
                    let e = by_variation.entry(v).or_default();
                    e.0 += 1;
                    e.1 += u64::from(hit);
                }
            }
        }
    }
    println!("| variation | pairs | recall at the default threshold |");
    println!("|---|---|---|");
    for (v, (n, hit)) in by_variation {
        println!("| {v} | {n} | {:.3} |", hit as f64 / n as f64);
    }
    // What the false and the missed pairs look like, field by field: where the model is
    // wrong, in the terms its weights are written in.
    let pattern = |s: &bluelamp_search::MatchScore| {
        s.fields
            .iter()
            .map(|f| match f.field {
                "date_of_birth" if !f.reason.is_empty() => format!("dob: {}", f.reason),
                _ => format!("{}: {}", f.field, f.level),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Pattern -> (pairs, sum of scores, pairs of the other kind with the same pattern on
    // the same side of the threshold): how many true pairs a change aimed at a false
    // pattern would lose, and how many false pairs a change aimed at a missed one would let in.
    type Patterns = std::collections::HashMap<String, (u64, f64, u64)>;
    let show = |title: &str, other: &str, counts: Patterns| {
        let total: u64 = counts.values().map(|c| c.0).sum();
        let mut rows: Vec<(String, (u64, f64, u64))> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
        println!("{title} ({total}), commonest patterns:");
        println!("| pairs | mean score | {other} | fields |");
        println!("|---|---|---|---|");
        for (p, (n, sum, o)) in rows.into_iter().take(12) {
            println!("| {n} | {:.1} | {o} | {p} |", sum / n as f64);
        }
    };
    let mut false_patterns = Patterns::default();
    let mut true_above: std::collections::HashMap<String, u64> = Default::default();
    let mut false_below: std::collections::HashMap<String, u64> = Default::default();
    for p in &scan.pairs {
        let same = labels[p.a] == labels[p.b];
        let above = p.score.weight >= DEFAULT_THRESHOLD;
        match (same, above) {
            (false, true) => {
                let e = false_patterns.entry(pattern(&p.score)).or_default();
                e.0 += 1;
                e.1 += p.score.weight;
            }
            (true, true) => *true_above.entry(pattern(&p.score)).or_default() += 1,
            (false, false) => *false_below.entry(pattern(&p.score)).or_default() += 1,
            (true, false) => {}
        }
    }
    for (p, e) in &mut false_patterns {
        e.2 = true_above.get(p).copied().unwrap_or(0);
    }
    show(
        "false pairs at the default threshold",
        "true pairs found with the same fields",
        false_patterns,
    );
    let freq = bluelamp_search::Frequencies::of(&features);
    let mut missed_patterns = Patterns::default();
    let mut unblocked = 0u64;
    for members in by_entity.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if found.contains(&(i.min(j), i.max(j))) {
                    continue;
                }
                let s = bluelamp_search::score_with(&features[i], &features[j], Some(&freq));
                if s.weight >= DEFAULT_THRESHOLD {
                    unblocked += 1;
                    continue;
                }
                let e = missed_patterns.entry(pattern(&s)).or_default();
                e.0 += 1;
                e.1 += s.weight;
            }
        }
    }
    for (p, e) in &mut missed_patterns {
        e.2 = false_below.get(p).copied().unwrap_or(0);
    }
    println!("missed pairs that would score enough but share no compared block: {unblocked}");
    show(
        "missed pairs scoring below the default threshold",
        "false pairs compared with the same fields (scoring 10 or more)",
        missed_patterns,
    );
    if std::env::args().any(|a| a == "--check") {
        bench_live_check(&set, &labels, today, phones);
    }
}

/// `bench matching --check`: the duplicate check a person's save, page and creation run
/// (`SearchRequest::for_person` against the search index), over the same labelled set:
/// every record is indexed, then each is checked against all the others, and the pairs
/// found at the default threshold are counted as the scan's are. Once with the addresses
/// and numbers the records' links give them in the index and the probe (as built), once
/// without (as before 2 December).
fn bench_live_check(
    set: &[bluelamp_demo::LabelledPerson],
    labels: &[u32],
    today: jiff::civil::Date,
    phones: bool,
) {
    use bluelamp_search::DEFAULT_THRESHOLD;
    use bluelamp_search::index::{IndexRecord, LinkedValues, SearchIndex, SearchRequest};
    println!(
        "| the check weighs | precision | recall | F1 | false pairs | missed pairs | index built | checks |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let no_phones: Vec<String> = Vec::new();
    for with_links in [true, false] {
        let t = Instant::now();
        let index = SearchIndex::in_memory().unwrap();
        let marking = bluelamp_domain::Marking::official();
        let mut people = Vec::with_capacity(set.len());
        let mut docs = Vec::with_capacity(set.len());
        for (i, p) in set.iter().enumerate() {
            let (person, _) = bluelamp_domain::pole::Person::parse(&p.input, today).unwrap();
            let id = bluelamp_domain::RecordId(uuid::Uuid::from_u128(i as u128 + 1));
            let body = serde_json::to_string(&person).unwrap();
            let summary = person.summary();
            let linked = if with_links {
                LinkedValues {
                    postcodes: &p.postcodes,
                    phones: if phones { &p.phones } else { &no_phones },
                }
            } else {
                LinkedValues::default()
            };
            let (doc, features) = index
                .document_and_features(&IndexRecord {
                    id,
                    kind: RecordKind::Person,
                    version: 1,
                    subtype: None,
                    summary: &summary,
                    marking: &marking,
                    body: &body,
                    linked,
                })
                .unwrap();
            docs.push(doc);
            people.push(features.unwrap());
        }
        index.stage_new(docs).unwrap();
        index.commit().unwrap();
        let built = t.elapsed().as_secs_f64();
        let slot = |id: bluelamp_domain::RecordId| usize::try_from(id.0.as_u128() - 1).unwrap();
        let t = Instant::now();
        let mut found = std::collections::HashSet::new();
        for (i, p) in people.iter().enumerate() {
            let req = SearchRequest::for_person(p.clone(), 7);
            for kind in index.search(&req, None).unwrap() {
                for hit in kind.hits {
                    let j = slot(hit.id);
                    if j != i && hit.score >= DEFAULT_THRESHOLD {
                        found.insert((i.min(j), i.max(j)));
                    }
                }
            }
        }
        let found: Vec<(usize, usize)> = found.into_iter().collect();
        let q = bluelamp_search::dedupe::quality(labels, &found);
        println!(
            "| {} | {:.4} | {:.4} | {:.4} | {} | {} | {built:.1} s | {:.1} s |",
            if with_links {
                "addresses and numbers too (as built)"
            } else {
                "the person's own record only (before)"
            },
            q.precision,
            q.recall,
            q.f1,
            q.false_positives,
            q.false_negatives,
            t.elapsed().as_secs_f64()
        );
    }
}
