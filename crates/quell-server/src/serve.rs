//! Running the server: open the store, bind, serve until SIGTERM or Ctrl-C, then close the
//! store after the requests in flight are answered.

use std::future::Future;
use std::net::SocketAddr;

use quell_store::{CreatedToken, NewToken, Role, Store};

use crate::app::{router, Config};

/// What `quell serve` runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Where to listen (loopback by default in the binary).
    pub listen: SocketAddr,
    /// The store's spec: a SQLite file path.
    pub db: String,
    /// The server's limits.
    pub config: Config,
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
                db: options.db.clone(),
                source,
            })?;
        // The server's triage and the sensors run the same rules: `-r`'s base files
        // become a new version when they differ from the newest one's.
        if !options.config.base_rules.is_empty() {
            crate::rules::sync_base(&store, &options.config.base_rules)
                .await
                .map_err(|source| ServeError::Store {
                    db: options.db.clone(),
                    source,
                })?;
        }
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
        on_ready(listener.local_addr()?);
        serve_on(listener, store.clone(), options.config, stop_signal()).await?;
        store.close().await.map_err(|source| ServeError::Store {
            db: options.db.clone(),
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
            db: db.to_string(),
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
