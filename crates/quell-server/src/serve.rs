//! Running the server: open the store, bind, serve until SIGTERM or Ctrl-C, then close the
//! store after the requests in flight are answered.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

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
    /// TLS: the certificate chain and the private key, PEM files (`--tls-cert`, `--tls-key`).
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
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
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
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
///
/// Each connection is served by hyper's HTTP/1.1 server with a timer, so that a request's
/// head (request line and headers) must arrive within [`Config::header_timeout`]: a client
/// that trickles its headers, or opens a connection and sends a partial head, is
/// disconnected instead of holding the connection forever (a body that trickles gets 408
/// after [`Config::body_timeout`]).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    store: Store,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let header_timeout = config.header_timeout;
    let (app, _routes) = router(store, config);
    // Connections hold a receiver; the sender's `closed()` resolves when all are gone.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // A connection that failed before it was accepted (reset, too many open
                // files): keep serving the others, after a pause if resources ran out.
                Err(e) => {
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
                    ) {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    // Ask every connection to finish its request in flight and close, then wait for them.
    let _ = stop_tx.send(true);
    drop(stop_rx);
    stop_tx.closed().await;
    Ok(())
}

/// How long a client may take to complete the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A rustls server configuration (ring, TLS 1.2 and 1.3, HTTP/1.1) from a PEM certificate
/// chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, ServeError> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("the certificate file is not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(
            "the certificate file holds no certificate".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| ServeError::Tls(format!("the key file holds no private key: {e}")))?;
    // ring (pure Rust and assembly; aws-lc-rs would need cmake and a C toolchain). rustls
    // marks ring's provider deprecated for lacking post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(format!("the certificate and key do not go together: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener that hands axum TLS connections: TCP connections are accepted on a task and
/// each handshake runs on its own task (at most [`TLS_HANDSHAKE_TIMEOUT`]), so a slow or
/// failed handshake delays no one else.
struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    fn new(tcp: tokio::net::TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = tx.closed() => return,
                    a = tcp.accept() => a,
                };
                let (stream, addr) = match accepted {
                    Ok(a) => a,
                    // Out of file descriptors and the like: wait rather than spin.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        let _ = tx.send((tls, addr)).await;
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accepting task ended: no more connections.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// [`serve_on`] over TLS.
pub async fn serve_on_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<ServerConfig>,
    store: Store,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (app, _routes) = router(store, config);
    axum::serve(TlsListener::new(listener, tls)?, app)
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

/// What [`run`] tells its caller once it listens.
#[derive(Clone)]
#[non_exhaustive]
pub struct Ready {
    /// The address bound.
    pub addr: SocketAddr,
    /// When the store had no admin token (none, or all revoked): the one [`run`] just
    /// created (named `admin`), to be shown once; only its hash is stored.
    pub first_admin_token: Option<String>,
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready")
            .field("addr", &self.addr)
            .field(
                "first_admin_token",
                &self.first_admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Creates an admin token named `admin` when the store has no admin token that is not
/// revoked, and returns it.
pub async fn first_admin_token(store: &Store) -> Result<Option<String>, quell_store::Error> {
    let tokens = store.tokens().await?;
    if tokens
        .iter()
        .any(|t| t.role == Role::Admin && t.revoked_ns.is_none())
    {
        return Ok(None);
    }
    let created = store
        .create_token(NewToken::new("admin", Role::Admin, "quell serve"))
        .await?;
    Ok(Some(created.token))
}

/// `quell serve`: opens the store (applying migrations), creates a first admin token when
/// the store has none ([`first_admin_token`]), binds `options.listen`, calls `on_ready`
/// with the bound address (and that token), serves until SIGTERM or Ctrl-C, then closes
/// the store once every acknowledged batch is committed. Blocks the calling thread.
pub fn run(options: ServeOptions, on_ready: impl FnOnce(Ready)) -> Result<(), ServeError> {
    let tls = match &options.tls {
        Some((cert, key)) => {
            let read = |p: &std::path::Path| {
                std::fs::read(p)
                    .map_err(|e| ServeError::Tls(format!("cannot read {}: {e}", p.display())))
            };
            Some(tls_config(&read(cert)?, &read(key)?)?)
        }
        None => None,
    };
    let mut options = options;
    options.config.secure_cookies = tls.is_some();
    let rt = runtime()?;
    rt.block_on(async move {
        let store = Store::open(&options.db)
            .await
            .map_err(|source| ServeError::Store {
                db: quell_store::redacted(&options.db),
                source,
            })?;
        // The server's triage and the sensors run the same rules: `-r`'s base files
        // become a new version when they differ from the newest one's.
        if !options.config.base_rules.is_empty() {
            crate::rules::sync_base(&store, &options.config.base_rules)
                .await
                .map_err(|source| ServeError::Store {
                    db: quell_store::redacted(&options.db),
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
        let first_admin_token =
            first_admin_token(&store)
                .await
                .map_err(|source| ServeError::Store {
                    db: quell_store::redacted(&options.db),
                    source,
                })?;
        on_ready(Ready {
            addr: listener.local_addr()?,
            first_admin_token,
        });
        match tls {
            Some(tls) => {
                serve_on_tls(listener, tls, store.clone(), options.config, stop_signal()).await?
            }
            None => serve_on(listener, store.clone(), options.config, stop_signal()).await?,
        }
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
