//! Running the server: open the store, bind, serve until SIGTERM or Ctrl-C, then close the
//! store after the requests in flight are answered.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use quell_store::{CreatedToken, NewToken, Role, Store};

use crate::app::{router, Config};

/// What `quell serve` runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Where to listen (loopback by default in the binary).
    pub listen: SocketAddr,
    /// The store's spec: a SQLite file path or a `postgres://` URL.
    pub db: String,
    /// The server's limits.
    pub config: Config,
    /// Keep alerts this long (by the alert's own time, whole UTC days): older ones are
    /// deleted at start and then every [`RETENTION_PERIOD`]. `None` keeps everything.
    pub retention: Option<Duration>,
}

/// How often retention runs while the server is up.
pub const RETENTION_PERIOD: Duration = Duration::from_secs(3600);

/// Parses a retention such as `30d`, `12h`, `90m` or `3600s` (a whole number and a unit).
pub fn parse_retention(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{text:?}: a retention is a whole number and a unit, e.g. 30d"))?;
    let secs = match unit {
        "d" => n.checked_mul(86_400),
        "h" => n.checked_mul(3_600),
        "m" => n.checked_mul(60),
        "s" => Some(n),
        _ => return Err(format!("{text:?}: the unit is d, h, m or s (e.g. 30d)")),
    }
    .ok_or_else(|| format!("{text:?}: too long"))?;
    if secs == 0 {
        return Err(format!("{text:?}: a retention must be above 0"));
    }
    Ok(Duration::from_secs(secs))
}

/// Runs retention once: deletes alerts older than `keep` (whole UTC days, see
/// [`Store::expire_before`]).
pub async fn expire_once(
    store: &Store,
    keep: Duration,
) -> Result<quell_store::Retention, quell_store::Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let cutoff = now.saturating_sub(keep).as_nanos();
    store
        .expire_before(u64::try_from(cutoff).unwrap_or(u64::MAX))
        .await
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address is taken by another process.
    #[error("cannot listen on {0}: the address is already in use (another `quell serve`? choose another with --listen)")]
    AddrInUse(SocketAddr),
    /// Binding failed for another reason.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The store could not be opened or closed.
    #[error("store {db}: {source}")]
    Store {
        /// The store's spec.
        db: String,
        /// Why.
        source: quell_store::Error,
    },
    /// The runtime or the listener failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn runtime() -> Result<tokio::runtime::Runtime, ServeError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Serves the API on `listener` over `store` until `shutdown` completes, then waits for
/// the requests in flight.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    store: Store,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (app, _routes) = router(store, config);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `quell serve`: opens the store (applying migrations), binds `options.listen`, calls
/// `on_ready` with the bound address, serves until SIGTERM or Ctrl-C, then closes the store
/// once every acknowledged batch is committed. Blocks the calling thread.
pub fn run(options: ServeOptions, on_ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let rt = runtime()?;
    rt.block_on(async move {
        let store = Store::open(&options.db)
            .await
            .map_err(|source| ServeError::Store {
                db: quell_store::redacted(&options.db),
                source,
            })?;
        let listener = match tokio::net::TcpListener::bind(options.listen).await {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(ServeError::AddrInUse(options.listen))
            }
            Err(source) => {
                return Err(ServeError::Bind {
                    addr: options.listen,
                    source,
                })
            }
        };
        let spec = quell_store::redacted(&options.db);
        if let Some(keep) = options.retention {
            // Before serving, then every hour; a failure is reported and tried again later.
            // Several servers on one PostgreSQL may each run it: it is idempotent.
            let store = store.clone();
            tokio::spawn(async move {
                loop {
                    match expire_once(&store, keep).await {
                        Ok(r) if r.alerts > 0 || r.partitions > 0 => eprintln!(
                            "quell serve: retention ({} s) deleted {} alerts ({} partitions) of {}",
                            keep.as_secs(),
                            r.alerts,
                            r.partitions,
                            quell_events::term::escape(&spec)
                        ),
                        Ok(_) => {}
                        Err(quell_store::Error::Closed) => return,
                        Err(e) => eprintln!("quell serve: retention failed: {e}"),
                    }
                    tokio::time::sleep(RETENTION_PERIOD).await;
                }
            });
        }
        on_ready(listener.local_addr()?);
        serve_on(listener, store.clone(), options.config, stop_signal()).await?;
        store.close().await.map_err(|source| ServeError::Store {
            db: quell_store::redacted(&options.db),
            source,
        })
    })
}

/// `quell token new`: creates a token of `role` named `name` in the store `db` (opening
/// and migrating it if needed) and returns it; only its hash is stored.
pub fn new_token(
    db: &str,
    name: &str,
    role: Role,
    actor: &str,
) -> Result<CreatedToken, ServeError> {
    let rt = runtime()?;
    rt.block_on(async {
        let err = |source| ServeError::Store {
            db: quell_store::redacted(db),
            source,
        };
        let store = Store::open(db).await.map_err(err)?;
        let created = store
            .create_token(NewToken::new(name, role, actor))
            .await
            .map_err(err)?;
        store.close().await.map_err(err)?;
        Ok(created)
    })
}
