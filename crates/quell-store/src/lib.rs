//! quell's durable store for `quell serve`: Falco alerts with quell's event context,
//! clusters, decisions, rule-set versions, sensors, tokens and an audit log.
//!
//! One API, [`Store`], with backends chosen by the spec given to [`Store::open`]: a file
//! path is SQLite (embedded, the default); a `postgres://…` URL is PostgreSQL (several
//! `quell serve` processes may share one database). Callers see only the backend-neutral
//! types of this crate.
//!
//! Every method is `async` for tokio callers; blocking database work runs off the runtime
//! (SQLite: one writer thread that commits queued writes together, each in its own
//! savepoint, and a small pool of reader connections used through `spawn_blocking`;
//! PostgreSQL: a pool of connections, one transaction per write).
//! A write method returns only after its transaction is committed.
//!
//! The crate holds no HTTP: the server crate owns requests, authentication and parsing of
//! request bodies into [`NewAlert`]s.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod behaviour;
mod pg;
mod prep;
mod retention;
mod sqlite;
mod types;

use std::sync::Arc;

pub use quell_events::AlertError;
pub use types::*;

/// The schema version this binary writes and the newest it can open (one number for both
/// backends: a migration that concerns one backend is a no-op in the other).
pub const SCHEMA_VERSION: i64 = sqlite::SCHEMA_VERSION;

// The two backends' migrations move together.
const _: () = assert!(pg::SCHEMA_VERSION == sqlite::SCHEMA_VERSION);

/// Errors of the store. The variants are stable: callers may match on them (an HTTP server
/// maps [`Error::InvalidAlert`], [`Error::Invalid`] and [`Error::InvalidCursor`] to 400,
/// [`Error::NotFound`] to 404, the rest to 5xx).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The spec names a backend this build does not have.
    #[error("unsupported store {0:?}")]
    Unsupported(String),
    /// The database was written by a newer quell: its schema is newer than this binary knows.
    #[error("the database's schema is version {found}, newer than this quell knows ({known}): use a newer quell")]
    SchemaTooNew {
        /// The version found in the database.
        found: i64,
        /// The newest version this binary knows ([`SCHEMA_VERSION`]).
        known: i64,
    },
    /// An alert of a batch is not a Falco alert; nothing of the batch was stored.
    #[error("alert {index} of the batch is not a Falco alert: {reason}")]
    InvalidAlert {
        /// 0-based position in the batch.
        index: usize,
        /// Why.
        reason: AlertError,
    },
    /// An argument is invalid (the message says which); nothing was stored.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A pagination cursor this store did not hand out.
    #[error("invalid cursor")]
    InvalidCursor,
    /// The thing a write refers to does not exist (the message says what).
    #[error("not found: {0}")]
    NotFound(String),
    /// The database failed (I/O, corruption, not a database, locked too long).
    #[error("database error: {0}")]
    Database(String),
    /// The store was closed, or its writer stopped.
    #[error("the store is closed")]
    Closed,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(e.to_string())
    }
}

/// The result of the store's methods.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The store: cheap to clone (clones share the backend), safe to use from many tasks.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<sqlite::Sqlite>),
    Postgres(Arc<pg::Pg>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Sqlite(s) => f.debug_struct("Store").field("sqlite", &s.path).finish(),
            Backend::Postgres(p) => f.debug_struct("Store").field("postgres", &p.label).finish(),
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store named by `spec` and applies pending migrations.
    ///
    /// `spec` is a file path (`sqlite://PATH` is accepted too) for SQLite, or a
    /// `postgres://…` / `postgresql://…` URL (libpq's form, e.g.
    /// `postgresql://quell@db.internal/quell` or `postgresql://quell@/quell?host=/var/run/postgresql`
    /// for the local socket) for PostgreSQL; the database must exist, its tables are created.
    /// A database whose schema is newer than [`SCHEMA_VERSION`] is refused with
    /// [`Error::SchemaTooNew`] and left untouched.
    pub async fn open(spec: &str) -> Result<Store> {
        Store::open_with(spec, Options::default()).await
    }

    /// [`Store::open`] with options.
    pub async fn open_with(spec: &str, options: Options) -> Result<Store> {
        let lower = spec.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let p = pg::Pg::open(spec, &options).await?;
            return Ok(Store {
                backend: Backend::Postgres(Arc::new(p)),
            });
        }
        let path = spec.strip_prefix("sqlite://").unwrap_or(spec);
        if path.is_empty() || path == ":memory:" {
            return Err(Error::Invalid(
                "the store needs a file path (an in-memory database cannot be shared by the writer and readers)".into(),
            ));
        }
        let path = std::path::PathBuf::from(path);
        let s = blocking(move || sqlite::Sqlite::open(path, options)).await?;
        Ok(Store {
            backend: Backend::Sqlite(Arc::new(s)),
        })
    }

    /// Waits until every write queued before it is committed, then stops the writer. Other
    /// clones of this store get [`Error::Closed`] for writes afterwards.
    pub async fn close(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let s = Arc::clone(s);
                blocking(move || s.close()).await
            }
            Backend::Postgres(p) => {
                p.close();
                Ok(())
            }
        }
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(sqlite::schema_version).await,
            Backend::Postgres(p) => p.schema_version().await,
        }
    }

    /// Stores a batch of alerts received from `sensor` (the identity the server
    /// authenticated, e.g. its token's name; never taken from the alerts' content).
    ///
    /// Every alert is parsed first with [`quell_events::FalcoAlert::from_json_str`]; if one
    /// is not a Falco alert the whole batch is refused with [`Error::InvalidAlert`] and
    /// nothing is stored. The batch is stored in one transaction: all of it or nothing.
    /// Idempotent: an alert whose key ([`StoredAlert::key`]) is already stored (a retried
    /// batch, or the same alert twice in one batch) is counted as a duplicate and not
    /// stored again. Returns after the batch is committed.
    pub async fn ingest(&self, sensor: &str, alerts: Vec<NewAlert>) -> Result<IngestOutcome> {
        let sensor = sensor.to_string();
        // Parsing and hashing a batch is CPU work: off the runtime too.
        let batch = blocking(move || prep::prepare(&sensor, alerts, now_ns())).await?;
        match &self.backend {
            Backend::Sqlite(s) => s.write(move |c| sqlite::ingest(c, &batch)).await,
            Backend::Postgres(p) => p.ingest(&batch).await,
        }
    }

    /// A page of alerts matching `query`, newest first (by alert time, then by id). A page
    /// reads at most [`Options::scan_budget`] rows: filters that match few of them give a
    /// partial page ([`AlertPage::partial`]) whose `next_cursor` continues the search.
    pub async fn alerts(&self, query: AlertQuery) -> Result<AlertPage> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let budget = s.scan_budget;
                s.read(move |c| sqlite::alerts(c, &query, budget)).await
            }
            Backend::Postgres(p) => p.alerts(&query).await,
        }
    }

    /// One alert by id, with its event context.
    pub async fn alert(&self, id: i64) -> Result<Option<StoredAlert>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::alert(c, id)).await,
            Backend::Postgres(p) => p.alert(id).await,
        }
    }

    /// A page of clusters matching `query`, newest cluster first (by id).
    pub async fn clusters(&self, query: ClusterQuery) -> Result<ClusterPage> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::clusters(c, &query)).await,
            Backend::Postgres(p) => p.clusters(&query).await,
        }
    }

    /// One cluster by id.
    pub async fn cluster(&self, id: i64) -> Result<Option<Cluster>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::cluster(c, id)).await,
            Backend::Postgres(p) => p.cluster(id).await,
        }
    }

    /// A cluster's trend: how many of its alerts fall in each of `buckets` consecutive
    /// intervals of `bucket_ns` starting at `since_ns` (by alert time). At most 1000 buckets;
    /// an unknown cluster gives zeros.
    pub async fn cluster_trend(
        &self,
        cluster_id: i64,
        since_ns: u64,
        bucket_ns: u64,
        buckets: usize,
    ) -> Result<Vec<u64>> {
        if bucket_ns == 0 || buckets == 0 || buckets > 1000 {
            return Err(Error::Invalid(
                "a trend needs a bucket width above 0 and 1 to 1000 buckets".into(),
            ));
        }
        let until = bucket_ns
            .checked_mul(buckets as u64)
            .and_then(|span| span.checked_add(since_ns))
            .filter(|u| i64::try_from(*u).is_ok())
            .ok_or_else(|| Error::Invalid("the trend's time range is out of range".into()))?;
        match &self.backend {
            Backend::Sqlite(s) => {
                s.read(move |c| {
                    sqlite::cluster_trend(c, cluster_id, since_ns, until, bucket_ns, buckets)
                })
                .await
            }
            Backend::Postgres(p) => {
                p.cluster_trend(
                    cluster_id,
                    i64::try_from(since_ns).unwrap_or(i64::MAX),
                    i64::try_from(until).unwrap_or(i64::MAX),
                    i64::try_from(bucket_ns).unwrap_or(i64::MAX),
                    buckets,
                )
                .await
            }
        }
    }

    /// The inbox: a page of clusters by their latest alert, newest first, each with its
    /// latest alert (with context), its latest decision and its trend (the 24 hours before
    /// the end of the hour holding [`InboxQuery::trend_end_ns`], from the per-hour counts
    /// kept at ingest). A page reads at most [`Options::scan_budget`] clusters: filters that
    /// match few of them give a partial page ([`InboxPage::partial`]) whose `next_cursor`
    /// continues the search.
    pub async fn inbox(&self, query: InboxQuery) -> Result<InboxPage> {
        let plan = InboxPlan::of(query, now_ns())?;
        match &self.backend {
            Backend::Sqlite(s) => {
                let budget = s.scan_budget;
                s.read(move |c| sqlite::inbox(c, &plan, budget)).await
            }
            Backend::Postgres(p) => p.inbox(&plan).await,
        }
    }

    /// Alerts stored per rule, most first (then by rule name), read from the clusters'
    /// counts (kept at ingest and by retention): a query over the clusters, not a scan of
    /// the alerts. Rules without a stored alert are left out.
    pub async fn rule_counts(&self) -> Result<Vec<(String, u64)>> {
        const SQL: &str = "SELECT rule, sum(count) AS n FROM clusters GROUP BY rule \
                           HAVING sum(count) > 0 ORDER BY n DESC, rule";
        match &self.backend {
            Backend::Sqlite(s) => {
                s.read(|c| {
                    let mut st = c.prepare_cached(SQL)?;
                    let rows =
                        st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
                    let mut out = Vec::new();
                    for row in rows {
                        let (rule, n) = row?;
                        out.push((rule, u64::try_from(n).unwrap_or(0)));
                    }
                    Ok(out)
                })
                .await
            }
            Backend::Postgres(p) => p.rule_counts(SQL).await,
        }
    }

    /// A number that changes whenever a decision is recorded (the newest decision's id; 0
    /// before any): a cache of verdicts that read the decisions as history is valid while
    /// it stays the same.
    pub async fn decisions_mark(&self) -> Result<i64> {
        match &self.backend {
            Backend::Sqlite(s) => {
                s.read(|c| {
                    Ok(
                        c.query_row("SELECT coalesce(max(id), 0) FROM decisions", [], |r| {
                            r.get(0)
                        })?,
                    )
                })
                .await
            }
            Backend::Postgres(p) => p.decisions_mark().await,
        }
    }

    /// Records a decision on an alert or a cluster (with an audit row). The target must
    /// exist ([`Error::NotFound`]).
    pub async fn decide(&self, decision: NewDecision) -> Result<Decision> {
        let now = now_ns();
        match &self.backend {
            Backend::Sqlite(s) => s.write(move |c| sqlite::decide(c, &decision, now)).await,
            Backend::Postgres(p) => p.decide(&decision, now).await,
        }
    }

    /// The decisions on `target` (every decision when `None`), newest first.
    pub async fn decisions(&self, target: Option<Target>) -> Result<Vec<Decision>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::decisions(c, target)).await,
            Backend::Postgres(p) => p.decisions(target).await,
        }
    }

    /// The decided alerts as triage history: one JSON line per alert whose decision is
    /// benign or real, the alert as received with `"quell.decision": "benign"|"real"` set
    /// at its top level (what `quell triage --history` reads, see quell-triage's input).
    ///
    /// An alert's own latest decision wins; otherwise its cluster's latest decision applies
    /// if the alert was received before it: a decision covers what people saw, so an alert
    /// arriving later in a cluster called benign (perhaps an attacker's) is not exported.
    /// `investigating` is not a decision for history. A `quell.decision` key the sender put
    /// in the alert is replaced (top level) or removed (in `output_fields`): only people's
    /// decisions recorded here reach triage. Oldest alert first.
    pub async fn decisions_as_history(&self) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(sqlite::decisions_as_history).await,
            Backend::Postgres(p) => p.decisions_as_history().await,
        }
    }

    /// Saves a new rule-set version (files and exceptions' provenance) with an audit row.
    /// The store does not validate rules: the caller does, before saving.
    pub async fn save_ruleset(&self, ruleset: NewRuleSet) -> Result<RuleSetSummary> {
        ruleset.check()?;
        let now = now_ns();
        match &self.backend {
            Backend::Sqlite(s) => {
                s.write(move |c| sqlite::save_ruleset(c, &ruleset, now))
                    .await
            }
            Backend::Postgres(p) => p.save_ruleset(&ruleset, now).await,
        }
    }

    /// Every rule-set version, newest first.
    pub async fn rulesets(&self) -> Result<Vec<RuleSetSummary>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(sqlite::rulesets).await,
            Backend::Postgres(p) => p.rulesets().await,
        }
    }

    /// One rule-set version with its files and exceptions.
    pub async fn ruleset(&self, version: i64) -> Result<Option<RuleSet>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::ruleset(c, Some(version))).await,
            Backend::Postgres(p) => p.ruleset(Some(version)).await,
        }
    }

    /// The newest rule-set version, if any.
    pub async fn latest_ruleset(&self) -> Result<Option<RuleSet>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::ruleset(c, None)).await,
            Backend::Postgres(p) => p.ruleset(None).await,
        }
    }

    /// Registers a sensor or updates it (last seen is now). Its first report is audited;
    /// later reports (heartbeats) are not.
    pub async fn report_sensor(&self, report: SensorReport) -> Result<Sensor> {
        report.check()?;
        let now = now_ns();
        match &self.backend {
            Backend::Sqlite(s) => {
                s.write(move |c| sqlite::report_sensor(c, &report, now))
                    .await
            }
            Backend::Postgres(p) => p.report_sensor(&report, now).await,
        }
    }

    /// Every sensor, by name.
    pub async fn sensors(&self) -> Result<Vec<Sensor>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(sqlite::sensors).await,
            Backend::Postgres(p) => p.sensors().await,
        }
    }

    /// Creates a token: 32 random bytes, returned once as text; only its SHA-256 is stored.
    pub async fn create_token(&self, token: NewToken) -> Result<CreatedToken> {
        let plain = prep::new_token()?;
        let hash = prep::token_hash(&plain);
        let now = now_ns();
        let info = match &self.backend {
            Backend::Sqlite(s) => {
                s.write(move |c| sqlite::create_token(c, &token, &hash, now))
                    .await?
            }
            Backend::Postgres(p) => p.create_token(&token, &hash, now).await?,
        };
        Ok(CreatedToken { info, token: plain })
    }

    /// The token `plain` stands for, if it exists and is not revoked.
    pub async fn verify_token(&self, plain: &str) -> Result<Option<TokenInfo>> {
        let hash = prep::token_hash(plain);
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::verify_token(c, &hash)).await,
            Backend::Postgres(p) => p.verify_token(&hash).await,
        }
    }

    /// Revokes a token (with an audit row). `false` if it did not exist or was revoked.
    pub async fn revoke_token(&self, id: i64, actor: &str) -> Result<bool> {
        let actor = actor.to_string();
        let now = now_ns();
        match &self.backend {
            Backend::Sqlite(s) => {
                s.write(move |c| sqlite::revoke_token(c, id, &actor, now))
                    .await
            }
            Backend::Postgres(p) => p.revoke_token(id, &actor, now).await,
        }
    }

    /// Every token (never the token itself), oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(sqlite::tokens).await,
            Backend::Postgres(p) => p.tokens().await,
        }
    }

    /// A page of the audit log, newest first.
    pub async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::audit(c, &query)).await,
            Backend::Postgres(p) => p.audit(&query).await,
        }
    }

    /// Retention: deletes the alerts of every UTC day (of the alert's own time) that ends at
    /// or before `cutoff_ns`; alerts of the cutoff's own day and later stay. PostgreSQL drops
    /// those days' partitions; SQLite deletes the rows in bounded chunks, each its own
    /// transaction. Clusters' counts drop by the alerts deleted and their first seen becomes
    /// their oldest alert still stored (a cluster left empty keeps its times, count 0).
    /// Decisions are kept; a decision on a deleted alert no longer exports history.
    pub async fn expire_before(&self, cutoff_ns: u64) -> Result<Retention> {
        let cutoff = i64::try_from(cutoff_ns).unwrap_or(i64::MAX);
        match &self.backend {
            Backend::Sqlite(s) => {
                let keep_from = retention::keep_from(cutoff);
                let mut out = Retention::default();
                loop {
                    let n = s
                        .write(move |c| retention::sqlite_expire_chunk(c, keep_from))
                        .await?;
                    out.alerts += n;
                    if n < retention::SQLITE_CHUNK as u64 {
                        return Ok(out);
                    }
                }
            }
            Backend::Postgres(p) => p.expire(cutoff).await,
        }
    }
}

/// An inbox query checked, with what both backends need computed once.
pub(crate) struct InboxPlan {
    pub(crate) query: InboxQuery,
    /// The page size (1 to 200).
    pub(crate) limit: usize,
    /// The least severe priority rank kept (0 Emergency … 7 Debug).
    pub(crate) max_prio: Option<i64>,
    /// The trend's first hour (`time_ns / TREND_BUCKET_NS`).
    pub(crate) trend_start_hour: i64,
}

impl InboxPlan {
    fn of(query: InboxQuery, now: u64) -> Result<InboxPlan> {
        let max_prio = match &query.priority {
            None => None,
            Some(p) => Some(
                quell_rules::load::Priority::parse(p)
                    .ok_or_else(|| Error::Invalid(format!("unknown priority {p:?}")))?
                    as i64,
            ),
        };
        if let Some(d) = &query.decision {
            if !matches!(d.as_str(), "benign" | "real" | "investigating" | "none") {
                return Err(Error::Invalid(
                    "a decision filter is benign, real, investigating or none".into(),
                ));
            }
        }
        let end = query.trend_end_ns.unwrap_or(now);
        let end_hour = i64::try_from(end / TREND_BUCKET_NS).unwrap_or(i64::MAX / 2) + 1;
        Ok(InboxPlan {
            limit: query.limit.unwrap_or(50).clamp(1, 200),
            max_prio,
            trend_start_hour: end_hour - TREND_BUCKETS as i64,
            query,
        })
    }
}

/// `spec` fit to show (logs, errors): a PostgreSQL URL's password, in its user part or as
/// a `password=` parameter, is replaced by `***`; a file path is returned as it is.
pub fn redacted(spec: &str) -> String {
    let lower = spec.to_ascii_lowercase();
    if !(lower.starts_with("postgres://") || lower.starts_with("postgresql://")) {
        return spec.to_string();
    }
    let Some((scheme, rest)) = spec.split_once("://") else {
        return spec.to_string();
    };
    let (head, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match head.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (head, None),
    };
    let mut out = format!("{scheme}://");
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            match user.split_once(':') {
                Some((u, _)) => out.push_str(&format!("{u}:***")),
                None => out.push_str(user),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    if let Some(p) = path {
        out.push('/');
        out.push_str(p);
    }
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Runs blocking work off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Database(format!("store task failed: {e}")))?
}

/// Now, in nanoseconds since the epoch (0 if the clock is before 1970).
fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacted_hides_passwords() {
        use super::redacted;
        assert_eq!(
            redacted("postgresql://quell:s3cret@db:5432/quell?sslmode=disable"),
            "postgresql://quell:***@db:5432/quell?sslmode=disable"
        );
        assert_eq!(
            redacted("postgres://u@h/d?password=x&host=/run"),
            "postgres://u@h/d?password=***&host=/run"
        );
        assert_eq!(redacted("postgres://h"), "postgres://h");
        assert_eq!(redacted("/var/lib/quell/q.db"), "/var/lib/quell/q.db");
    }
}
