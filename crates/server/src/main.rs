//! `bluelamp`: the one binary. See `bluelamp --help`.

use bluelamp_server::config::{FileConfig, Settings};
use bluelamp_server::{
    DEMO_PASSWORD, demo_users, load_or_create_secrets_key, load_or_create_signer, open_store,
    redact_url, services, start_with, system_clock,
};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "bluelamp",
    version,
    about = "Bluelamp: an integrated policing platform over one POLE store (persons, objects, locations, events).",
    long_about = "Bluelamp: an integrated policing platform over one POLE store (persons, objects, locations, events).\n\n\
    With no database URL it keeps everything in an embedded SQLite database in the data directory; give --database-url postgres://... to use PostgreSQL.\n\
    Every setting can also come from a BLUELAMP_* environment variable or the --config file (TOML); flags win over the environment, which wins over the file."
)]
struct Cli {
    /// A TOML configuration file (keys: listen, data_dir, database_url, demo, log_format,
    /// accredited, idle_timeout_minutes, public_url).
    #[arg(long, global = true, env = "BLUELAMP_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct StoreArgs {
    /// Where the embedded database lives [default: ./data].
    #[arg(long, env = "BLUELAMP_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL URL (postgres://user:password@host/db) instead of the embedded database.
    #[arg(long, env = "BLUELAMP_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "BLUELAMP_LOG_FORMAT")]
    log_format: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (pages and the JSON API).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "BLUELAMP_LISTEN")]
        listen: Option<String>,
        /// On first start (an empty database), load synthetic demo data.
        #[arg(long, env = "BLUELAMP_DEMO")]
        demo: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The tamper-evident audit trail: verify it, prove a record is in it, show the public key.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage users from the server's command line (the first administrator, say).
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Rebuild the search index (<data-dir>/search) from the database, then exit. Stop the
    /// server first: it holds the index while it runs (and rebuilds it by itself when it
    /// finds it missing or written by another version).
    Reindex {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Find person records that are likely the same person.
    Duplicates {
        #[command(subcommand)]
        command: DuplicatesCommand,
    },
    /// Load realistic synthetic UK data (deterministic from the seed): persons with their
    /// objects, locations, events and links.
    DemoData {
        /// How many persons, from 1 to 10,000,000.
        #[arg(long, default_value_t = 1000)]
        persons: u64,
        /// The same seed always gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Records written per transaction.
        #[arg(long, default_value_t = 2000)]
        batch: usize,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum DuplicatesCommand {
    /// Compare every person with those who share a blocking key (names that sound alike,
    /// variants, dates of birth, identifiers, an address, a telephone number) and print the
    /// likely pairs, highest score first, with why. Audited.
    Scan {
        /// The match weight a pair must reach [default: the model's threshold, 16].
        #[arg(long)]
        threshold: Option<f64>,
        /// Print at most this many pairs.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the Merkle log from every audit record, check every signed checkpoint, and
    /// name the first tampered, missing, reordered or inserted record. Exits non-zero if
    /// anything is wrong.
    Verify {
        /// The public key to check signatures with (hex), as the monitoring centre holds it
        /// [default: the deployment's own key].
        #[arg(long)]
        public_key: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print, as JSON, an inclusion proof of audit record SEQ against the latest checkpoint,
    /// or a consistency proof between two checkpoints (--from-size and --to-size). Check it
    /// with docs/audit/verify_proof.py.
    Prove {
        #[arg(long)]
        seq: Option<i64>,
        #[arg(long)]
        from_size: Option<i64>,
        #[arg(long)]
        to_size: Option<i64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Send the audit trail and its signed checkpoints to a monitoring centre, in Merkle log
    /// order: JSON lines on standard output, or RFC 5424 syslog over TCP (--syslog). Resume
    /// from the tree size of the last checkpoint the centre checked (--from-leaf). Delivery is
    /// at least once: after a lost connection lines may be sent again (de-duplicate on
    /// leaf_index).
    Feed {
        /// The first leaf to send.
        #[arg(long, default_value_t = 0)]
        from_leaf: i64,
        /// Keep sending new records as they are sequenced, until stopped.
        #[arg(long)]
        follow: bool,
        /// Send to a syslog collector over TCP, HOST:PORT (RFC 5424, octet counting).
        #[arg(long)]
        syslog: Option<String>,
        /// The HOSTNAME field of syslog messages [default: bluelamp].
        #[arg(long, default_value = "bluelamp")]
        hostname: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Check that every record holds what the audit trail says was last written to it (each
    /// write's audit record keeps a hash of the content written), and name any record
    /// changed, rolled back or deleted outside Bluelamp. Run `audit verify` first: this
    /// trusts the trail. Exits non-zero if anything is wrong.
    Records {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the public key that checks this deployment's checkpoints (hex).
    PublicKey {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user with a random first password, printed once. Give it to them in person.
    Add {
        /// Sign-in name: lower-case letters, digits, dots, hyphens, underscores.
        #[arg(long)]
        username: String,
        /// The name shown on records.
        #[arg(long)]
        name: String,
        /// A role (repeat for several): officer, custody_officer, investigator, supervisor,
        /// intelligence_analyst, case_worker, call_handler, dispatcher,
        /// professional_standards, auditor, administrator.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Unit code, for example CID-NORTH.
        #[arg(long)]
        unit: String,
        /// Vetting clearance: OFFICIAL, OFFICIAL-SENSITIVE or SECRET.
        #[arg(long, default_value = "OFFICIAL")]
        clearance: String,
        /// A compartment the user holds (repeat for several).
        #[arg(long = "compartment")]
        compartments: Vec<String>,
        /// Rank or grade.
        #[arg(long, default_value = "")]
        rank: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn init_logging(format: &str) {
    let filter = EnvFilter::try_from_env("BLUELAMP_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bluelamp: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    match cli.command {
        Command::Serve {
            listen,
            demo,
            store,
        } => {
            let settings = Settings::resolve(
                &file,
                listen,
                store.data_dir,
                store.database_url,
                demo,
                store.log_format,
            )?;
            init_logging(&settings.log_format);
            serve(settings).await
        }
        Command::Migrate { store } => {
            let settings = task_settings(&file, store)?;
            open_store(settings.database_url.as_deref(), &settings.data_dir)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "The database is up to date ({}).",
                describe_store(&settings)
            );
            Ok(())
        }
        Command::Audit { command } => audit_command(&file, command).await,
        Command::Users {
            command:
                UsersCommand::Add {
                    username,
                    name,
                    roles,
                    unit,
                    clearance,
                    compartments,
                    rank,
                    store,
                },
        } => {
            let settings = task_settings(&file, store)?;
            let store = open_store(settings.database_url.as_deref(), &settings.data_dir)
                .await
                .map_err(|e| e.to_string())?;
            let (_, identity) =
                services(store, system_clock(), settings.security).map_err(|e| e.to_string())?;
            let password =
                bluelamp_app::identity::generate_password().map_err(|e| e.to_string())?;
            let input = bluelamp_app::identity::UserInput {
                username,
                display_name: name,
                rank,
                number: String::new(),
                roles,
                unit,
                clearance,
                compartments,
                disabled: false,
            };
            let account = identity
                .create_user(
                    &bluelamp_app::Caller::system("users-add"),
                    &input,
                    &password,
                )
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "Created {}. First password (shown once): {password}",
                account.principal.username
            );
            Ok(())
        }
        Command::Reindex { store } => {
            let settings = task_settings(&file, store)?;
            let store = open_store(settings.database_url.as_deref(), &settings.data_dir)
                .await
                .map_err(|e| e.to_string())?;
            let (pole, _) = services(store.clone(), system_clock(), Default::default())
                .map_err(|e| e.to_string())?;
            let dir = settings.data_dir.join("search");
            let search = bluelamp_app::search::Search::open(
                store,
                system_clock(),
                pole.access().clone(),
                Some(&dir),
            )
            .map_err(|e| {
                format!(
                    "cannot open the search index at {}: {} (is the server running? stop it first)",
                    dir.display(),
                    e.detail()
                )
            })?;
            let report = search.rebuild().await.map_err(|e| e.detail())?;
            let rate = report.records as f64 / report.seconds.max(0.001);
            println!(
                "Indexed {} records in {:.1} s ({rate:.0} records/s) at {}",
                report.records,
                report.seconds,
                dir.display()
            );
            Ok(())
        }
        Command::Duplicates {
            command:
                DuplicatesCommand::Scan {
                    threshold,
                    limit,
                    json,
                    store,
                },
        } => {
            let settings = task_settings(&file, store)?;
            let store = open_store(settings.database_url.as_deref(), &settings.data_dir)
                .await
                .map_err(|e| e.to_string())?;
            let started = std::time::Instant::now();
            let report = bluelamp_app::duplicates::scan(
                &store,
                &system_clock(),
                &bluelamp_app::Caller::system("duplicates-scan"),
                threshold.unwrap_or(bluelamp_search::DEFAULT_THRESHOLD),
            )
            .await
            .map_err(|e| e.to_string())?;
            for c in report.candidates.iter().take(limit) {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "a": c.a, "b": c.b, "a_summary": c.a_summary, "b_summary": c.b_summary,
                            "weight": c.weight, "why": c.explanation,
                        })
                    );
                } else {
                    println!(
                        "{:6.1}  {}  {}\n        {}  {}\n        {}",
                        c.weight, c.a, c.a_summary, c.b, c.b_summary, c.explanation
                    );
                }
            }
            eprintln!(
                "{} persons, {} comparisons, {} likely pairs ({} shown) in {:.1} s",
                report.persons,
                report.comparisons,
                report.candidates.len(),
                report.candidates.len().min(limit),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::DemoData {
            persons,
            seed,
            batch,
            store,
        } => {
            if !(1..=10_000_000).contains(&persons) {
                return Err("--persons must be from 1 to 10,000,000".into());
            }
            if !(1..=100_000).contains(&batch) {
                return Err("--batch must be from 1 to 100,000".into());
            }
            let settings = task_settings(&file, store)?;
            let store = open_store(settings.database_url.as_deref(), &settings.data_dir)
                .await
                .map_err(|e| e.to_string())?;
            let (pole, _) =
                services(store, system_clock(), settings.security).map_err(|e| e.to_string())?;
            let step = (persons / 20).max(1);
            let mut next = step;
            let report = bluelamp_server::demo::load(
                &pole,
                demo_config(&pole, seed, persons, settings.security.accredited),
                batch,
                |done| {
                    if done >= next {
                        eprintln!("  {done} of {persons} persons");
                        next = done + step;
                    }
                },
            )
            .await
            .map_err(|e| format!("demo data could not be loaded: {}", e.detail()))?;
            println!(
                "Loaded {} persons ({} records) into {} in {:.1} s ({:.0} records/s).",
                report.persons,
                report.records,
                describe_store(&settings),
                report.seconds,
                report.records as f64 / report.seconds.max(1e-9)
            );
            Ok(())
        }
    }
}

/// `bluelamp audit records`: needs no signing key, only the store.
async fn check_records(store: &dyn bluelamp_store::Store) -> Result<(), String> {
    let started = std::time::Instant::now();
    let report = bluelamp_app::audit_log::check_records(store)
        .await
        .map_err(|e| e.to_string())?;
    if report.unvouched > 0 {
        let first: Vec<String> = report
            .unvouched_ids
            .iter()
            .map(|id| id.to_string())
            .collect();
        println!(
            "{} active record(s), created before the audit trail began keeping content hashes, have no write in it that names their content (written by an earlier version of Bluelamp, or put in by hand with an earlier date). The first: {}",
            report.unvouched,
            first.join(", ")
        );
    }
    if report.ok() {
        println!(
            "Every record the audit trail vouches for holds what was written to it: {} records, checked in {:.1} s.",
            report.checked,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    } else {
        for p in &report.problems {
            println!("CHANGED: {p}");
        }
        Err(format!(
            "{} record(s) do not hold what the audit trail says was written to them; the first: {}",
            report.problems.len(),
            report.problems[0]
        ))
    }
}

async fn audit_command(file: &FileConfig, command: AuditCommand) -> Result<(), String> {
    let store_args = match &command {
        AuditCommand::Verify { store, .. }
        | AuditCommand::Prove { store, .. }
        | AuditCommand::Feed { store, .. }
        | AuditCommand::Records { store }
        | AuditCommand::PublicKey { store } => store.clone(),
    };
    let settings = task_settings(file, store_args)?;
    if let AuditCommand::Records { .. } = command {
        let store = open_store(settings.database_url.as_deref(), &settings.data_dir)
            .await
            .map_err(|e| e.to_string())?;
        return check_records(store.as_ref()).await;
    }
    let signer = bluelamp_server::load_signer(&settings.audit_key_file)?;
    if let AuditCommand::PublicKey { .. } = command {
        println!("{}", hex_key(&signer.public_key()));
        return Ok(());
    }
    let store = open_store(settings.database_url.as_deref(), &settings.data_dir)
        .await
        .map_err(|e| e.to_string())?;
    let log = bluelamp_app::audit_log::AuditLog::new(
        store.clone(),
        system_clock(),
        signer.clone(),
        Default::default(),
    );
    match command {
        AuditCommand::Verify { public_key, .. } => {
            let key = match public_key {
                Some(k) => bluelamp_audit::checkpoint::public_key_from_hex(&k)
                    .map_err(|e| format!("--public-key: {e}"))?,
                None => signer.public_key(),
            };
            let started = std::time::Instant::now();
            let report = bluelamp_app::audit_log::verify(store.as_ref(), &key)
                .await
                .map_err(|e| e.to_string())?;
            if report.ok() {
                println!(
                    "The audit trail is intact: {} records, {} signed checkpoints, checked in {:.1} s.",
                    report.records,
                    report.checkpoints,
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            } else {
                for p in &report.problems {
                    println!("TAMPERED: {p}");
                }
                Err(format!(
                    "the audit trail has been tampered with: {} problem(s); the first is: {}",
                    report.problems.len(),
                    report.problems[0]
                ))
            }
        }
        AuditCommand::Prove {
            seq,
            from_size,
            to_size,
            ..
        } => {
            let proof = match (seq, from_size, to_size) {
                (Some(seq), None, None) => {
                    bluelamp_app::audit_log::prove_inclusion(&log, seq).await
                }
                (None, Some(a), Some(b)) => {
                    bluelamp_app::audit_log::prove_consistency(&log, a, b).await
                }
                _ => {
                    return Err("give either --seq N, or --from-size M and --to-size N".into());
                }
            }
            .map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&proof).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        AuditCommand::Feed {
            from_leaf,
            follow,
            syslog,
            hostname,
            ..
        } => {
            let (tx, rx) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = tx.send(true);
            });
            let report = bluelamp_server::audit_feed::run(
                store,
                system_clock(),
                bluelamp_server::audit_feed::FeedOptions {
                    from_leaf,
                    follow,
                    target: match syslog {
                        Some(address) => {
                            bluelamp_server::audit_feed::FeedTarget::Syslog { address, hostname }
                        }
                        None => bluelamp_server::audit_feed::FeedTarget::Stdout,
                    },
                    batch: 1_000,
                    poll: std::time::Duration::from_secs(2),
                },
                rx,
            )
            .await?;
            eprintln!(
                "sent {} lines; resume with --from-leaf {}",
                report.lines, report.next_leaf
            );
            Ok(())
        }
        AuditCommand::PublicKey { .. } | AuditCommand::Records { .. } => Ok(()),
    }
}

fn hex_key(key: &bluelamp_audit::VerifyingKey) -> String {
    key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Settings for a task that only needs the store (`migrate`, `demo-data`), with logging on.
fn task_settings(file: &FileConfig, store: StoreArgs) -> Result<Settings, String> {
    let settings = Settings::resolve(
        file,
        None,
        store.data_dir,
        store.database_url,
        false,
        store.log_format,
    )?;
    init_logging(&settings.log_format);
    Ok(settings)
}

/// Demo data as of now.
fn demo_config(
    pole: &bluelamp_app::PoleService,
    seed: u64,
    persons: u64,
    accredited: bluelamp_domain::Classification,
) -> bluelamp_demo::DemoConfig {
    bluelamp_demo::DemoConfig {
        seed,
        persons,
        as_of: pole.clock().now(),
        max_classification: accredited,
    }
}

fn describe_store(s: &Settings) -> String {
    match &s.database_url {
        Some(url) => redact_url(url),
        None => format!("{}", s.data_dir.join("bluelamp.db").display()),
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let store = open_store(settings.database_url.as_deref(), &settings.data_dir)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(store = %describe_store(&settings), "store open");
    let mut security = settings.security;
    security.secrets_key = Some(load_or_create_secrets_key(&settings.secrets_key_file)?);
    if settings.demo {
        let (pole, identity) =
            services(store.clone(), system_clock(), security).map_err(|e| e.to_string())?;
        let counts = store.counts().await.map_err(|e| e.to_string())?;
        if counts.persons == 0 {
            eprintln!("Loading demo data (first start)...");
            let r = bluelamp_server::demo::load(
                &pole,
                demo_config(&pole, 42, 2000, security.accredited),
                2000,
                |_| {},
            )
            .await
            .map_err(|e| format!("demo data could not be loaded: {}", e.detail()))?;
            eprintln!("Loaded {} demo persons ({} records).", r.persons, r.records);
        }
        identity
            .ensure_users(&demo_users(), DEMO_PASSWORD)
            .await
            .map_err(|e| format!("demo users could not be created: {}", e.detail()))?;
    }
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let signer = load_or_create_signer(&settings.audit_key_file)?;
    let sso = settings.sso.clone().map(|s| {
        println!(
            "Single sign-on through {} (client {}).",
            s.client.issuer, s.client.client_id
        );
        bluelamp_web::sso::Sso::new(s.client, s.mapping, s.label, s.write_scope)
    });
    let running = start_with(
        listener,
        store,
        system_clock(),
        security,
        signer,
        sso,
        settings.public_url.clone(),
        Some(&settings.data_dir.join("search")),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("Bluelamp is running at http://{}/", running.addr);
    if settings.demo {
        println!("Sign in as any demo user with the password {DEMO_PASSWORD}:");
        for u in demo_users() {
            println!(
                "  {:<20} {:<34} {:<20} {}",
                u.username,
                u.roles.join(", "),
                u.clearance,
                u.compartments.join(", ")
            );
        }
    } else {
        println!(
            "Sign in with your user name and password. To create the first administrator: bluelamp users add --username admin --name \"...\" --role administrator --unit IT"
        );
    }
    println!(
        "Deployment accredited to {}. Press Ctrl+C to stop.",
        security.accredited
    );
    tracing::info!(addr = %running.addr, "listening");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    let _ = running.shutdown.send(true);
    let _ = running.handle.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
