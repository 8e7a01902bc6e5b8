//! The sensor side of `quell serve`: what `quell run --server URL --token-file F` runs
//! besides the capture.
//!
//! - [`spool`]: a bounded queue of alerts on disk (segment files, checksummed, synced, an
//!   acknowledged position), so the capture never waits for the network and nothing is
//!   lost while the server is away;
//! - [`client`]: HTTP(S) to the server (ureq over rustls, certificates always verified);
//! - [`context`]: quell's event context sent with each alert (process, lineage, the
//!   session's recent process starts);
//! - [`rules`]: compiling the server's rule set and the watcher thread that long-polls for
//!   a new version and hands it to the capture loop;
//! - [`Sensor`]: the three threads (sender, heartbeat, rules watcher) and what the capture
//!   loop calls: [`Sensor::observe`], [`Sensor::emit`], [`Sensor::sync`],
//!   [`Sensor::finish`].
//!
//! The library is synchronous (threads, no async runtime) like the capture loop it serves,
//! and has no capture code: events are read through a field getter.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod context;
pub mod rules;
pub mod spool;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

pub use client::{Client, ClientError};
pub use context::{Getter, SessionLog};
pub use rules::{EngineCheck, Reload, Reloads, RulesStatus};
pub use spool::{Spool, SpoolError, SpoolStats};

/// Where the sensor's messages go (stderr in the binary): one sentence each.
pub type Say = Arc<dyn Fn(&str) + Send + Sync>;

/// The default size of the spool (`--spool-max-bytes`).
pub const DEFAULT_SPOOL_BYTES: u64 = 256 << 20;

/// How a sensor is set up.
#[derive(Clone)]
pub struct SensorConfig {
    /// The server's base URL (`http://127.0.0.1:8765`).
    pub server: String,
    /// The bearer token (a `sensor` token from `quell token new`).
    pub token: String,
    /// A PEM file of the CA that signed the server's certificate (instead of the public roots).
    pub ca_file: Option<PathBuf>,
    /// The spool's directory.
    pub spool_dir: PathBuf,
    /// The spool's size limit in bytes.
    pub spool_max_bytes: u64,
    /// This host's name, as heartbeats report it.
    pub host: String,
    /// The kernel release.
    pub kernel: String,
    /// quell's version.
    pub quell_version: String,
    /// How often the sensor reports itself.
    pub heartbeat_every: Duration,
    /// How long one long poll for a new rule set waits on the server.
    pub rules_wait: Duration,
    /// Alerts per request at most.
    pub batch_max_records: usize,
    /// Payload bytes per request at most (a single larger alert is sent alone).
    pub batch_max_bytes: usize,
    /// Where messages go.
    pub say: Say,
}

impl std::fmt::Debug for SensorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SensorConfig")
            .field("server", &self.server)
            .field("spool_dir", &self.spool_dir)
            .field("spool_max_bytes", &self.spool_max_bytes)
            .finish_non_exhaustive()
    }
}

impl SensorConfig {
    /// A configuration with the defaults: 10 s heartbeats, 25 s long polls, batches of 500
    /// alerts or 4 MiB, messages to stderr.
    pub fn new(server: &str, token: &str, spool_dir: PathBuf) -> SensorConfig {
        SensorConfig {
            server: server.to_string(),
            token: token.to_string(),
            ca_file: None,
            spool_dir,
            spool_max_bytes: DEFAULT_SPOOL_BYTES,
            host: String::new(),
            kernel: kernel_release(),
            quell_version: env!("CARGO_PKG_VERSION").to_string(),
            heartbeat_every: Duration::from_secs(10),
            rules_wait: Duration::from_secs(25),
            batch_max_records: 500,
            batch_max_bytes: 4 << 20,
            say: Arc::new(|m| eprintln!("{m}")),
        }
    }
}

/// The running kernel's release (`/proc/sys/kernel/osrelease`), empty if unreadable.
pub fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Why a sensor could not start.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// The spool could not be opened.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// The client's configuration is unusable.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A thread could not be started.
    #[error("cannot start the sensor's threads: {0}")]
    Thread(std::io::Error),
}

/// The rules a sensor starts with (see [`Sensor::fetch_rules`]).
#[derive(Debug)]
pub enum RulesAtStart {
    /// The server's active version, compiled.
    Server(Box<Reload>),
    /// The server has no rule set: local rules.
    NoneOnServer,
    /// The server could not be asked: local rules, and the watcher keeps asking.
    Unreachable(String),
    /// The server's version does not compile: local rules until a version that does.
    Refused {
        /// The version.
        version: i64,
        /// Its revision.
        revision: String,
        /// Why.
        error: String,
    },
}

/// What was delivered and what is left, at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Alerts the server acknowledged in this run.
    pub delivered: u64,
    /// Alerts left in the spool (delivered by the next run).
    pub pending: u64,
    /// Alerts the spool dropped (full, too large, corrupt) in this run.
    pub dropped: u64,
    /// Alerts the server refused as malformed (a 4xx other than 401, 403, 408, 413, 429).
    pub rejected: u64,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    /// Set by [`Sensor::finish`]: the sender gives up at this instant.
    deadline: Mutex<Option<Instant>>,
    kernel_drops: AtomicU64,
    delivered: AtomicU64,
    rejected: AtomicU64,
    wake: Condvar,
    wake_lock: Mutex<bool>,
}

impl Shared {
    fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self) {
        let mut w = self.wake_lock.lock().unwrap_or_else(|e| e.into_inner());
        *w = true;
        self.wake.notify_all();
    }

    fn wait(&self, d: Duration) {
        let w = self.wake_lock.lock().unwrap_or_else(|e| e.into_inner());
        let (mut w, _) = self
            .wake
            .wait_timeout_while(w, d, |woken| !*woken)
            .unwrap_or_else(|e| e.into_inner());
        *w = false;
    }
}

/// A running sensor: the spool and the threads that deliver it, report the sensor and
/// watch the rules.
pub struct Sensor {
    cfg: SensorConfig,
    client: Client,
    spool: Arc<Mutex<Spool>>,
    shared: Arc<Shared>,
    status: Arc<Mutex<RulesStatus>>,
    sessions: SessionLog,
    sender: Option<JoinHandle<()>>,
    heartbeat: Option<JoinHandle<()>>,
    watcher_stop: Arc<AtomicBool>,
    append_failed: bool,
    line: Vec<u8>,
}

impl std::fmt::Debug for Sensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sensor")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sensor {
    /// Opens the spool (what an earlier run left is delivered first) and starts the sender
    /// and the heartbeat threads. The server need not be up.
    pub fn start(cfg: SensorConfig) -> Result<Sensor, SensorError> {
        let client = Client::new(&cfg.server, &cfg.token, cfg.ca_file.as_deref())?;
        let spool = Spool::open(&cfg.spool_dir, cfg.spool_max_bytes)?;
        let left = spool.stats().pending;
        if left > 0 {
            (cfg.say)(&format!(
                "quell: {left} alerts left in the spool by an earlier run are delivered first"
            ));
        }
        let spool = Arc::new(Mutex::new(spool));
        let shared = Arc::new(Shared::default());
        let status = Arc::new(Mutex::new(RulesStatus {
            source: "local".into(),
            ..RulesStatus::default()
        }));
        let sender = {
            let (spool, shared, client, cfg) =
                (spool.clone(), shared.clone(), client.clone(), cfg.clone());
            std::thread::Builder::new()
                .name("quell-sender".into())
                .spawn(move || send_loop(&spool, &shared, &client, &cfg))
                .map_err(SensorError::Thread)?
        };
        let heartbeat = {
            let (spool, shared, client, cfg, status) = (
                spool.clone(),
                shared.clone(),
                client.clone(),
                cfg.clone(),
                status.clone(),
            );
            std::thread::Builder::new()
                .name("quell-heartbeat".into())
                .spawn(move || {
                    let mut said = false;
                    while !shared.stop.load(Ordering::Relaxed) {
                        let report = heartbeat(&cfg, &spool, &shared, &status);
                        match client.post_heartbeat(&report, Duration::from_secs(10)) {
                            Ok(()) => said = false,
                            Err(e) if !said => {
                                (cfg.say)(&format!("quell: heartbeat not delivered: {e}"));
                                said = true;
                            }
                            Err(_) => {}
                        }
                        rules::sleep_unless(&shared.stop, cfg.heartbeat_every);
                    }
                })
                .map_err(SensorError::Thread)?
        };
        Ok(Sensor {
            cfg,
            client,
            spool,
            shared,
            status,
            sessions: SessionLog::default(),
            sender: Some(sender),
            heartbeat: Some(heartbeat),
            watcher_stop: Arc::new(AtomicBool::new(false)),
            append_failed: false,
            line: Vec::new(),
        })
    }

    /// Asks the server for its active rule set once (waiting at most `timeout`) and
    /// compiles it. On anything but [`RulesAtStart::Server`] the caller uses its local rules.
    pub fn fetch_rules(&self, timeout: Duration) -> RulesAtStart {
        let client = self.client.clone();
        // The agent's own timeout bounds the request; a thread keeps this call bounded even
        // while the name resolves slowly.
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("quell-rules-fetch".into())
            .spawn(move || {
                let _ = tx.send(client.active_rules(None, Duration::ZERO));
            });
        if let Err(e) = spawned {
            return RulesAtStart::Unreachable(e.to_string());
        }
        let answer = match rx.recv_timeout(timeout) {
            Ok(a) => a,
            Err(_) => {
                return RulesAtStart::Unreachable(format!(
                    "no answer within {} s",
                    timeout.as_secs()
                ))
            }
        };
        match answer {
            Ok(client::Active::Unchanged) => RulesAtStart::NoneOnServer,
            Ok(client::Active::Version(set)) => match rules::compile(&set) {
                Ok(engine) => {
                    let mut st = lock(&self.status);
                    st.source = "server".into();
                    st.version = Some(set.version);
                    st.revision = Some(set.revision.clone());
                    RulesAtStart::Server(Box::new(Reload {
                        version: set.version,
                        revision: set.revision,
                        engine,
                    }))
                }
                Err(error) => {
                    lock(&self.status).refused = Some(rules::RefusedVersion {
                        version: set.version,
                        error: error.clone(),
                    });
                    RulesAtStart::Refused {
                        version: set.version,
                        revision: set.revision,
                        error,
                    }
                }
            },
            Err(e) => RulesAtStart::Unreachable(e.to_string()),
        }
    }

    /// Starts the rules watcher: each revision newer than `after` that compiles arrives on the
    /// returned channel (take it between events); `check` looks at each engine first.
    pub fn watch_rules(
        &mut self,
        after: Option<String>,
        check: Option<EngineCheck>,
    ) -> Result<Reloads, SensorError> {
        let (tx, rx) = mpsc::channel();
        let w = rules::Watcher {
            client: self.client.clone(),
            status: self.status.clone(),
            tx,
            stop: self.watcher_stop.clone(),
            wait: self.cfg.rules_wait,
            check,
            after,
            say: self.cfg.say.clone(),
        };
        // Not joined at the end: it may be inside a long poll; it stops at its next turn
        // (or with the process).
        std::thread::Builder::new()
            .name("quell-rules".into())
            .spawn(move || w.run())
            .map_err(SensorError::Thread)?;
        Ok(rx)
    }

    /// Records the rules in use as local (after the server's were not usable at start).
    pub fn set_local_rules(&self) {
        let mut st = lock(&self.status);
        st.source = "local".into();
        st.version = None;
        st.revision = None;
    }

    /// The rules status the heartbeats report.
    pub fn rules_status(&self) -> RulesStatus {
        lock(&self.status).clone()
    }

    /// Sees one event (for the sessions' recent process starts). Cheap unless it is an exec.
    pub fn observe(&mut self, evt_type: Option<&str>, get: Getter<'_>) {
        self.sessions.observe(evt_type, get);
    }

    /// Spools one alert (`alert`: the Falco JSON object as `quell run --json` writes it) with
    /// the event's context. Never blocks on the network; a full spool drops its oldest.
    pub fn emit(&mut self, alert: &[u8], get: Getter<'_>) {
        let ctx = self.sessions.context(get);
        self.emit_with_context(alert, &ctx);
    }

    /// Spools one alert with a context already built.
    pub fn emit_with_context(&mut self, alert: &[u8], context: &Json) {
        self.line.clear();
        self.line.extend_from_slice(b"{\"alert\":");
        self.line.extend_from_slice(alert);
        self.line.extend_from_slice(b",\"context\":");
        // Serialising a Value into a vector cannot fail.
        let _ = serde_json::to_writer(&mut self.line, context);
        self.line.push(b'}');
        let r = lock(&self.spool).append(&self.line);
        match r {
            Ok(_) => self.append_failed = false,
            Err(e) => {
                if !self.append_failed {
                    (self.cfg.say)(&format!("quell: cannot spool an alert (it is lost): {e}"));
                }
                self.append_failed = true;
            }
        }
    }

    /// Makes the alerts spooled so far durable and wakes the sender. Call it after each
    /// round of the capture loop.
    pub fn sync(&mut self) {
        let r = lock(&self.spool).sync();
        if let Err(e) = r {
            if !self.append_failed {
                (self.cfg.say)(&format!("quell: cannot sync the spool: {e}"));
            }
            self.append_failed = true;
        }
        self.shared.notify();
    }

    /// The kernel ring buffers' drop counter, reported in heartbeats.
    pub fn set_kernel_drops(&self, n: u64) {
        self.shared.kernel_drops.store(n, Ordering::Relaxed);
    }

    /// The spool's counters now.
    pub fn spool_stats(&self) -> SpoolStats {
        lock(&self.spool).stats()
    }

    /// Alerts the server acknowledged so far.
    pub fn delivered(&self) -> u64 {
        self.shared.delivered.load(Ordering::Relaxed)
    }

    /// Stops: syncs the spool, lets the sender deliver for at most `flush_for`, sends a last
    /// heartbeat if time is left, and says what is left in the spool.
    pub fn finish(mut self, flush_for: Duration) -> Summary {
        self.sync();
        let deadline = Instant::now() + flush_for;
        *lock(&self.shared.deadline) = Some(deadline);
        self.shared.stop.store(true, Ordering::Relaxed);
        self.watcher_stop.store(true, Ordering::Relaxed);
        self.shared.notify();
        if let Some(h) = self.sender.take() {
            let _ = h.join();
        }
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if !left.is_zero() {
            let report = heartbeat(&self.cfg, &self.spool, &self.shared, &self.status);
            let _ = self
                .client
                .post_heartbeat(&report, left.min(Duration::from_secs(5)));
        }
        let st = lock(&self.spool).stats();
        Summary {
            delivered: self.shared.delivered.load(Ordering::Relaxed),
            pending: st.pending,
            dropped: st.dropped,
            rejected: self.shared.rejected.load(Ordering::Relaxed),
        }
    }
}

/// The heartbeat's body.
fn heartbeat(
    cfg: &SensorConfig,
    spool: &Mutex<Spool>,
    shared: &Shared,
    status: &Mutex<RulesStatus>,
) -> Json {
    let st = lock(spool).stats();
    let rules = lock(status).clone();
    json!({
        "host": cfg.host,
        "kernel": cfg.kernel,
        "quell_version": cfg.quell_version,
        "drops": {
            "kernel": shared.kernel_drops.load(Ordering::Relaxed),
            "spool": st.dropped,
        },
        "spool": {"pending": st.pending, "bytes": st.bytes},
        "rules": rules,
    })
}

/// The sender thread: delivers the spool in order, one batch at a time, resending the same
/// bytes until the server acknowledges them.
fn send_loop(spool: &Mutex<Spool>, shared: &Shared, client: &Client, cfg: &SensorConfig) {
    let mut max_records = cfg.batch_max_records.max(1);
    let mut said_error = false;
    let mut said_read = false;
    let expired = || shared.deadline().is_some_and(|d| Instant::now() >= d);
    loop {
        if expired() {
            return;
        }
        let read = lock(spool).read_batch(max_records, cfg.batch_max_bytes);
        let batch = match read {
            Ok(Some(b)) => b,
            Ok(None) => {
                if shared.stop.load(Ordering::Relaxed) {
                    return;
                }
                shared.wait(Duration::from_millis(500));
                continue;
            }
            Err(e) => {
                if !said_read {
                    (cfg.say)(&format!("quell: cannot read the spool: {e}"));
                    said_read = true;
                }
                if shared.stop.load(Ordering::Relaxed) {
                    return;
                }
                shared.wait(Duration::from_secs(1));
                continue;
            }
        };
        said_read = false;
        let n = batch.records.len();
        let mut body = Vec::with_capacity(batch.records.iter().map(|r| r.len() + 1).sum());
        for r in &batch.records {
            body.extend_from_slice(r);
            body.push(b'\n');
        }
        let mut backoff = Duration::from_millis(200);
        loop {
            let timeout = match shared.deadline() {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(30),
            }
            .min(Duration::from_secs(30));
            if timeout.is_zero() {
                return;
            }
            match client.post_alerts(&body, timeout) {
                Ok(()) => {
                    if let Err(e) = lock(spool).ack(&batch) {
                        (cfg.say)(&format!("quell: cannot record a delivery in the spool (the server drops the repeat): {e}"));
                    }
                    shared.delivered.fetch_add(n as u64, Ordering::Relaxed);
                    if said_error {
                        (cfg.say)("quell: the server takes alerts again");
                        said_error = false;
                    }
                    max_records = cfg.batch_max_records.max(1);
                    break;
                }
                Err(ClientError::Status { status: 413, .. }) if n > 1 => {
                    max_records = (n / 2).max(1);
                    break;
                }
                Err(e) if e.retryable() => {
                    if !said_error {
                        (cfg.say)(&format!(
                            "quell: alerts not delivered yet, kept in the spool (retrying): {e}"
                        ));
                        said_error = true;
                    }
                    let d = match shared.deadline() {
                        Some(dl) => backoff.min(dl.saturating_duration_since(Instant::now())),
                        None => backoff,
                    };
                    std::thread::sleep(d);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(e) => {
                    (cfg.say)(&format!(
                        "quell: the server refused a batch of {n} alerts, which are dropped: {e}"
                    ));
                    shared.rejected.fetch_add(n as u64, Ordering::Relaxed);
                    if let Err(e) = lock(spool).ack(&batch) {
                        (cfg.say)(&format!("quell: cannot record a refusal in the spool: {e}"));
                    }
                    break;
                }
            }
        }
    }
}
