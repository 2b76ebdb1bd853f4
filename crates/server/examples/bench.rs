//! Bluelamp's benchmarks. Run with `cargo run --release -p bluelamp-server --example bench --
//! <what>`; results go in docs/PERFORMANCE.md. Every figure is measured here, in one run,
//! with its comparison measured in the same run.
//!
//!   store  [--persons N] [--batch B] [--postgres URL]   bulk creation through the store
//!   api-create [--requests N] [--concurrency C]          single creates over HTTP
//!   api-read [--persons N] [--seconds S] [--concurrency C]  record + links + history reads
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark, not the product

use bluelamp_app::PoleService;
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

async fn time_store(store: Arc<dyn Store>, changes: Vec<Change>, persons: usize) -> f64 {
    let started = Instant::now();
    for c in changes {
        store.apply(c).await.unwrap();
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
    let rate = time_store(sqlite, changes(&records, batch, &clock), records.len()).await;
    println!("sqlite (embedded default): {rate:.0} persons/s");

    let single: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&temp_dir("single").join("bluelamp.db"))
            .await
            .unwrap(),
    );
    let few = &records[..records.len().min(5000)];
    let rate = time_store(single, changes(few, 1, &clock), few.len()).await;
    println!("sqlite, one person per transaction: {rate:.0} persons/s");

    match sqlx::PgPool::connect(&pg).await {
        Ok(_) => {
            let url = fresh_pg(&pg).await;
            let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
            let rate = time_store(store, changes(&records, batch, &clock), records.len()).await;
            println!("postgres: {rate:.0} persons/s");
            let ceiling = pg_copy_ceiling(&fresh_pg(&pg).await, &records).await;
            println!("postgres COPY into a bare table (ceiling): {ceiling:.0} rows/s");
        }
        Err(e) => println!("postgres: not measured ({e})"),
    }
}

async fn serve_sqlite() -> (String, Arc<dyn Store>, bluelamp_server::Running) {
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&temp_dir("api").join("bluelamp.db"))
            .await
            .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = start(listener, store.clone(), system_clock())
        .await
        .unwrap();
    (format!("http://{}", running.addr), store, running)
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
    let (base, _, _running) = serve_sqlite().await;
    let client = reqwest::Client::new();
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
    let (base, store, _running) = serve_sqlite().await;
    let pole = PoleService::new(store.clone(), system_clock());
    let config = DemoConfig {
        seed: 11,
        persons,
        as_of: system_clock().now(),
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
    let client = reqwest::Client::new();
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
        _ => eprintln!(
            "usage: bench store|api-create|api-read [options]; see the top of examples/bench.rs"
        ),
    }
}
