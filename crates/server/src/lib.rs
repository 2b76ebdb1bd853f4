//! The `bluelamp` binary's wiring: configuration (file, `BLUELAMP_*` environment, flags),
//! choosing the store from the database URL, starting the relay and the HTTP server, and
//! the command-line tasks (`migrate`, `demo-data`). Kept as a library so the black-box tests
//! start exactly what the binary starts.

pub mod config;
pub mod demo;

use bluelamp_app::PoleService;
use bluelamp_domain::{Clock, SystemClock};
use bluelamp_events::{Bus, Relay};
use bluelamp_store::{Store, StoreError};
use bluelamp_store_postgres::PgStore;
use bluelamp_store_sqlite::SqliteStore;
use bluelamp_web::{AppState, caller::DemoIdentity};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Opens the store a URL names: `postgres://...` for PostgreSQL, `sqlite://path` or none
/// (the embedded default, `<data_dir>/bluelamp.db`).
pub async fn open_store(
    database_url: Option<&str>,
    data_dir: &Path,
) -> Result<Arc<dyn Store>, StoreError> {
    match database_url {
        None | Some("") => Ok(Arc::new(
            SqliteStore::open(&data_dir.join("bluelamp.db")).await?,
        )),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => Ok(Arc::new(SqliteStore::open_url(url).await?)),
        Some(_) => Err(StoreError::Unavailable(
            "the database URL must start with postgres://, postgresql:// or sqlite://".into(),
        )),
    }
}

/// Shows a database URL without its password, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A running server: its address, and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: watch::Sender<bool>,
    pub handle: tokio::task::JoinHandle<()>,
    pub bus: Bus,
}

/// Starts the relay and the HTTP server on `listener` over `store`.
pub async fn start(
    listener: TcpListener,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let bus = Bus::default();
    let relay = Relay::new(store.clone(), bus.clone());
    let pole = PoleService::new(store, clock.clone()).with_relay_waker(relay.waker());
    let state = AppState {
        pole,
        demo_identity: Arc::new(DemoIdentity::default()),
        version: env!("CARGO_PKG_VERSION"),
    };
    let app = bluelamp_web::router(state);
    let (shutdown, rx) = watch::channel(false);
    // Delivered events are kept for a week (a consumer can be replayed from the outbox),
    // then pruned.
    let retain = jiff::SignedDuration::from_hours(24 * 7);
    let relay_task =
        tokio::spawn(relay.run(Duration::from_secs(2), retain, clock.clone(), rx.clone()));
    let mut server_rx = rx;
    let handle = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = server_rx.wait_for(|stop| *stop).await;
        })
        .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "server stopped with an error");
        }
        // In-flight requests have finished; deliver what they committed, then stop.
        let _ = relay_task.await;
    });
    Ok(Running {
        addr,
        shutdown,
        handle,
        bus,
    })
}

pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_never_shown() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.example/bluelamp"),
            "postgres://app:***@db.example/bluelamp"
        );
        assert_eq!(
            redact_url("postgres://app@db/bluelamp"),
            "postgres://app@db/bluelamp"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
