//! `bluelamp`: the one binary. See `bluelamp --help`.

use bluelamp_server::config::{FileConfig, Settings};
use bluelamp_server::{open_store, redact_url, start, system_clock};
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
    /// A TOML configuration file (keys: listen, data_dir, database_url, demo, log_format).
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
            let pole = bluelamp_app::PoleService::new(store, system_clock());
            let step = (persons / 20).max(1);
            let mut next = step;
            let report = bluelamp_server::demo::load(
                &pole,
                demo_config(&pole, seed, persons),
                batch,
                |done| {
                    if done >= next {
                        eprintln!("  {done} of {persons} persons");
                        next = done + step;
                    }
                },
            )
            .await
            .map_err(|e| format!("demo data could not be loaded: {e}"))?;
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
) -> bluelamp_demo::DemoConfig {
    bluelamp_demo::DemoConfig {
        seed,
        persons,
        as_of: pole.clock().now(),
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
    if settings.demo {
        let counts = store.counts().await.map_err(|e| e.to_string())?;
        if counts.persons == 0 {
            eprintln!("Loading demo data (first start)...");
            let pole = bluelamp_app::PoleService::new(store.clone(), system_clock());
            let r = bluelamp_server::demo::load(&pole, demo_config(&pole, 42, 2000), 2000, |_| {})
                .await
                .map_err(|e| format!("demo data could not be loaded: {e}"))?;
            eprintln!("Loaded {} demo persons ({} records).", r.persons, r.records);
        }
    }
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let running = start(listener, store, system_clock())
        .await
        .map_err(|e| e.to_string())?;
    println!("Bluelamp is running at http://{}/", running.addr);
    println!(
        "Sign-in is not built yet: every request acts as the demo user PC 4721 Demo. Press Ctrl+C to stop."
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
