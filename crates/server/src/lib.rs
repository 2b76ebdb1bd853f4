//! The `bluelamp` binary's wiring: configuration (file, `BLUELAMP_*` environment, flags),
//! choosing the store from the database URL, starting the relay and the HTTP server, and
//! the command-line tasks (`migrate`, `demo-data`). Kept as a library so the black-box tests
//! start exactly what the binary starts.

pub mod audit_feed;
pub mod config;
pub mod demo;

use bluelamp_app::PoleService;
use bluelamp_app::identity::{IdentityService, SessionPolicy, UserInput};
use bluelamp_authz::{Authorizer, CedarAuthorizer};
use bluelamp_domain::{Classification, Clock, SystemClock};
use bluelamp_events::{Bus, Relay};
use bluelamp_store::{Store, StoreError};
use bluelamp_store_postgres::PgStore;
use bluelamp_store_sqlite::SqliteStore;
use bluelamp_web::AppState;
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
    /// The audit trail's checkpointer (tests force rounds and verify through it).
    pub audit: bluelamp_app::audit_log::AuditLog,
    /// Protective monitoring (tests run rounds through it).
    pub monitor: bluelamp_app::monitoring::Monitor,
    pub shutdown: watch::Sender<bool>,
    pub handle: tokio::task::JoinHandle<()>,
    pub bus: Bus,
    /// The search index (tests wait for it).
    pub search: bluelamp_app::search::Search,
}

/// How a deployment is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityOptions {
    /// The highest classification the deployment may hold.
    pub accredited: Classification,
    pub sessions: SessionPolicy,
    /// Served behind TLS (cookies Secure, HSTS).
    pub tls: bool,
    /// Every user must set up two-step verification (TOTP) before doing anything else.
    pub require_mfa: bool,
    /// Every user must sign in with a passkey (the SECRET tier); other sign-ins only let
    /// them register one.
    pub require_webauthn: bool,
    /// Protective-monitoring thresholds.
    pub monitoring: bluelamp_app::monitoring::MonitoringPolicy,
    /// Seals authenticator-app seeds in the database. `serve` loads it from
    /// `secrets_key_file`; `None` (tests, benchmarks, one-off commands) uses a key that dies
    /// with the process.
    pub secrets_key: Option<bluelamp_app::secrets::SecretsKey>,
}

impl Default for SecurityOptions {
    fn default() -> Self {
        Self {
            accredited: Classification::OfficialSensitive,
            sessions: SessionPolicy::default(),
            tls: false,
            require_mfa: false,
            require_webauthn: false,
            monitoring: Default::default(),
            secrets_key: None,
        }
    }
}

/// The authorizer with the bundled policies. Fails only if the policies shipped in the
/// binary do not validate, which the tests rule out.
pub fn authorizer(accredited: Classification) -> Result<Arc<dyn Authorizer>, String> {
    CedarAuthorizer::new(accredited)
        .map(|a| Arc::new(a) as Arc<dyn Authorizer>)
        .map_err(|e| e.to_string())
}

/// At start: seals the seeds stored in the clear, and stops the start if the key opens none
/// of the sealed ones (a replaced or missing key file would otherwise lock every enrolled
/// user out and seal new seeds under the wrong key).
async fn check_sealed_seeds(identity: &IdentityService) -> std::io::Result<()> {
    let report = identity.seal_stored_totp().await.map_err(|e| {
        std::io::Error::other(format!("cannot check the sealed seeds: {}", e.detail()))
    })?;
    if report.wrong_key() {
        return Err(std::io::Error::other(format!(
            "the secrets key does not open any of the {} authenticator-app seeds sealed in \
             the database: restore the key file they were sealed with (secrets_key_file)",
            report.unopenable.len()
        )));
    }
    if report.sealed > 0 {
        tracing::info!(
            users = report.sealed,
            "sealed authenticator-app seeds stored in the clear"
        );
    }
    if !report.unopenable.is_empty() || !report.failed.is_empty() {
        tracing::error!(unopenable = ?report.unopenable, not_sealed = ?report.failed, "some users' authenticator-app seeds need an administrator to reset them");
    }
    Ok(())
}

/// The use cases over a store, for the server and the command-line tasks.
pub fn services(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    options: SecurityOptions,
) -> std::io::Result<(PoleService, IdentityService)> {
    let authz = authorizer(options.accredited).map_err(std::io::Error::other)?;
    let pole = PoleService::new(store.clone(), clock.clone(), authz);
    let secrets = match &options.secrets_key {
        Some(key) => bluelamp_app::secrets::SecretBox::new(key),
        None => bluelamp_app::secrets::SecretBox::ephemeral(),
    }
    .map(Arc::new)
    .map_err(std::io::Error::other)?;
    let identity = IdentityService::new(
        store,
        clock,
        pole.access().clone(),
        options.sessions,
        secrets,
    );
    Ok((pole, identity))
}

/// The demo users `serve --demo` creates: one per role, and the extremes of clearance.
pub fn demo_users() -> Vec<UserInput> {
    let u = |username: &str,
             name: &str,
             rank: &str,
             roles: &[&str],
             unit: &str,
             clearance: &str,
             comps: &[&str]| UserInput {
        username: username.into(),
        display_name: name.into(),
        rank: rank.into(),
        number: String::new(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        unit: unit.into(),
        clearance: clearance.into(),
        compartments: comps.iter().map(|c| c.to_string()).collect(),
        disabled: false,
    };
    vec![
        u(
            "demo.officer",
            "Alex Morgan",
            "PC",
            &["officer"],
            "RESPONSE",
            "OFFICIAL-SENSITIVE",
            &[],
        ),
        u(
            "demo.official",
            "Sam Patel",
            "PCSO",
            &["officer"],
            "NEIGHBOURHOOD",
            "OFFICIAL",
            &[],
        ),
        u(
            "demo.custody",
            "Jo Williams",
            "PS",
            &["custody_officer"],
            "CUSTODY",
            "OFFICIAL-SENSITIVE",
            &[],
        ),
        u(
            "demo.investigator",
            "Chris Evans",
            "DC",
            &["investigator"],
            "CID",
            "OFFICIAL-SENSITIVE",
            &["OP-KESTREL"],
        ),
        u(
            "demo.supervisor",
            "Priya Shah",
            "DS",
            &["supervisor", "investigator"],
            "CID",
            "OFFICIAL-SENSITIVE",
            &["OP-KESTREL"],
        ),
        u(
            "demo.analyst",
            "Ruth Okafor",
            "",
            &["intelligence_analyst"],
            "INTEL",
            "SECRET",
            &["OP-KESTREL", "OP-HERON", "OP-MERLIN", "OP-FALCON"],
        ),
        u(
            "demo.caseworker",
            "Tom Hughes",
            "",
            &["case_worker"],
            "CJU",
            "OFFICIAL-SENSITIVE",
            &[],
        ),
        u(
            "demo.callhandler",
            "Megan Price",
            "",
            &["call_handler"],
            "CONTROL",
            "OFFICIAL",
            &[],
        ),
        u(
            "demo.dispatcher",
            "Dan Ellis",
            "",
            &["dispatcher"],
            "CONTROL",
            "OFFICIAL",
            &[],
        ),
        u(
            "demo.psd",
            "Helen Ward",
            "DI",
            &["professional_standards"],
            "PSD",
            "SECRET",
            &["PSD"],
        ),
        u(
            "demo.auditor",
            "Ian Brooks",
            "",
            &["auditor"],
            "PSD",
            "SECRET",
            &[],
        ),
        u(
            "demo.admin",
            "Kate Fisher",
            "",
            &["administrator"],
            "IT",
            "OFFICIAL",
            &[],
        ),
        u(
            "demo.secret",
            "Mark Stone",
            "DCI",
            &["investigator", "supervisor"],
            "MIT",
            "SECRET",
            &["OP-KESTREL", "OP-HERON", "OP-MERLIN", "OP-FALCON", "PSD"],
        ),
    ]
}

/// The password of every demo user. Demo deployments only: they hold no real data.
pub const DEMO_PASSWORD: &str = "bluelamp-demo";

/// Starts the relay and the HTTP server on `listener` over `store`.
pub async fn start(
    listener: TcpListener,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    options: SecurityOptions,
    signer: Arc<bluelamp_audit::Signer>,
) -> std::io::Result<Running> {
    start_with(listener, store, clock, options, signer, None, None, None).await
}

/// [`start`], with single sign-on through an OpenID Connect provider, and the search index
/// in `search_dir` (in memory, rebuilt at start, when `None`).
#[allow(clippy::too_many_arguments)]
pub async fn start_with(
    listener: TcpListener,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    options: SecurityOptions,
    signer: Arc<bluelamp_audit::Signer>,
    sso: Option<bluelamp_web::sso::Sso>,
    public_url: Option<String>,
    search_dir: Option<&Path>,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let audit = bluelamp_app::audit_log::AuditLog::new(
        store.clone(),
        clock.clone(),
        signer,
        Default::default(),
    );
    let bus = Bus::default();
    let relay = Relay::new(store.clone(), bus.clone());
    let (pole, identity) = services(store, clock.clone(), options)?;
    // Only with the deployment's key, never a throwaway one.
    if options.secrets_key.is_some() {
        check_sealed_seeds(&identity).await?;
    }
    let search = bluelamp_app::search::Search::open(
        pole.store().clone(),
        clock.clone(),
        pole.access().clone(),
        search_dir,
    )
    .map_err(|e| {
        std::io::Error::other(format!(
            "cannot open the search index: {} (is another Bluelamp using this data directory?)",
            e.detail()
        ))
    })?;
    let relay = relay.with_sink(Arc::new(search.clone()));
    let pole = pole.with_relay_waker(relay.waker());
    let records_store = pole.store().clone();
    let monitor = bluelamp_app::monitoring::Monitor::new(
        pole.store().clone(),
        clock.clone(),
        options.monitoring,
    );
    let state = AppState {
        sso,
        require_webauthn: options.require_webauthn,
        public_url,
        passkey_challenges: Default::default(),
        break_glass: bluelamp_app::break_glass::BreakGlass::new(
            pole.store().clone(),
            clock.clone(),
            pole.access().clone(),
        ),
        alerts: bluelamp_app::monitoring::Alerts::new(
            pole.store().clone(),
            clock.clone(),
            pole.access().clone(),
        ),
        custody: bluelamp_app::CustodyService::new(pole.clone()),
        search: search.clone(),
        audit: bluelamp_app::audit_trail::AuditTrail::new(
            pole.store().clone(),
            clock.clone(),
            pole.access().clone(),
        ),
        pole,
        identity,
        tls: options.tls,
        require_mfa: options.require_mfa,
        version: env!("CARGO_PKG_VERSION"),
    };
    let app = bluelamp_web::router(state);
    let (shutdown, rx) = watch::channel(false);
    // Delivered events are kept for a week (a consumer can be replayed from the outbox),
    // then pruned.
    let retain = jiff::SignedDuration::from_hours(24 * 7);
    let relay_task =
        tokio::spawn(relay.run(Duration::from_secs(2), retain, clock.clone(), rx.clone()));
    let audit_task = tokio::spawn(audit.clone().run(rx.clone()));
    if search.needs_rebuild() {
        // A new (or discarded) index fills from the store in the background; searches
        // answer meanwhile, flagged incomplete.
        let rebuilding = search.clone();
        tokio::spawn(async move {
            if let Err(e) = rebuilding.rebuild().await {
                tracing::error!(error = %e, "could not build the search index; run `bluelamp reindex`");
            }
        });
    }
    let monitor_task = tokio::spawn(monitor.clone().run(
        Duration::from_secs(options.monitoring.every_seconds.max(1)),
        rx.clone(),
    ));
    if options.monitoring.records_check_hours > 0 {
        // Not awaited at shutdown: a check cut short writes nothing.
        tokio::spawn(bluelamp_app::monitoring::run_records_check(
            records_store,
            clock.clone(),
            Duration::from_secs(3600 * u64::from(options.monitoring.records_check_hours)),
            rx.clone(),
        ));
    }
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
        // In-flight requests have finished; deliver what they committed, sign a last
        // checkpoint over their audit records, then stop.
        let _ = relay_task.await;
        let _ = audit_task.await;
        let _ = monitor_task.await;
    });
    Ok(Running {
        addr,
        audit,
        monitor,
        shutdown,
        handle,
        bus,
        search,
    })
}

/// The deployment's audit signing key, which must already exist (the audit commands never
/// create one: a new key would make every existing checkpoint look forged).
pub fn load_signer(path: &Path) -> Result<Arc<bluelamp_audit::Signer>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => bluelamp_audit::Signer::from_hex(&text)
            .map(Arc::new)
            .map_err(|e| format!("the audit signing key {} is not valid: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "there is no audit signing key at {}: the server creates it on first start (or set audit_key_file)",
            path.display()
        )),
        Err(e) => Err(format!(
            "cannot read the audit signing key {}: {e}",
            path.display()
        )),
    }
}

/// The deployment's audit signing key: read from `path`, or created there (readable by its
/// owner only) on first start. Whoever holds it can sign checkpoints; keep a copy of the
/// public key (`bluelamp audit public-key`) with the monitoring centre.
pub fn load_or_create_signer(path: &Path) -> Result<Arc<bluelamp_audit::Signer>, String> {
    load_or_create_key(
        path,
        "audit signing key",
        || {
            bluelamp_audit::Signer::generate()
                .map(|s| s.secret_hex())
                .map_err(|e| e.to_string())
        },
        |text| bluelamp_audit::Signer::from_hex(text).map_err(|e| e.to_string()),
    )
    .map(Arc::new)
}

/// Loads the key that seals secrets in the database, creating it (owner-only) on first
/// start. Losing it means users set up their authenticator apps again.
pub fn load_or_create_secrets_key(
    path: &Path,
) -> Result<bluelamp_app::secrets::SecretsKey, String> {
    load_or_create_key(
        path,
        "secrets key",
        bluelamp_app::secrets::SecretsKey::generate_hex,
        bluelamp_app::secrets::SecretsKey::from_hex,
    )
}

/// Reads the key file at `path` with `parse`, or, when there is none, writes a new key from
/// `generate` there, readable by the owner only, and parses that.
fn load_or_create_key<T>(
    path: &Path,
    what: &str,
    generate: impl FnOnce() -> Result<String, String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, String> {
    let read = |text: &str| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(path = %path.display(), "the {what} can be read by others than its owner: chmod 600 it");
            }
        }
        parse(text).map_err(|e| format!("the {what} {} is not valid: {e}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => read(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let text = generate()?;
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            // Written whole to a private temporary file, then linked into place, which fails
            // if another process got there first: a crash never leaves a half-written key,
            // and two first starts never end up with two keys.
            let tmp = dir.join(format!(".{what}-{}.tmp", uuid::Uuid::now_v7()).replace(' ', "-"));
            let written = (|| {
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(&tmp)?;
                use std::io::Write;
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                std::fs::hard_link(&tmp, path)
            })();
            let _ = std::fs::remove_file(&tmp);
            match written {
                Ok(()) => {
                    if let Ok(d) = std::fs::File::open(dir) {
                        let _ = d.sync_all();
                    }
                    tracing::info!(path = %path.display(), "created the {what}");
                    parse(&text)
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?;
                    read(&text)
                }
                Err(e) => Err(format!("cannot create the {what} {}: {e}", path.display())),
            }
        }
        Err(e) => Err(format!("cannot read the {what} {}: {e}", path.display())),
    }
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

    #[test]
    fn key_files_are_created_owner_only_once_and_checked_when_read() {
        let dir = std::env::temp_dir().join(format!("bluelamp-keys-{}", uuid::Uuid::now_v7()));
        let path = dir.join("nested").join("secrets.key");
        let first = load_or_create_secrets_key(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            load_or_create_secrets_key(&path).unwrap(),
            first,
            "read back"
        );
        std::fs::write(&path, "not a key").unwrap();
        let err = load_or_create_secrets_key(&path).unwrap_err();
        assert!(
            err.contains("secrets key") && err.contains("hexadecimal"),
            "{err}"
        );
        // Several first starts at once agree on one key.
        let racing = dir.join("race").join("secrets.key");
        let keys: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| load_or_create_secrets_key(&racing).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]));
        let signer = dir.join("audit-signing.key");
        let a = load_or_create_signer(&signer).unwrap();
        let b = load_or_create_signer(&signer).unwrap();
        assert_eq!(a.secret_hex(), b.secret_hex());
    }
}
