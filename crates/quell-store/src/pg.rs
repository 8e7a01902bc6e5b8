//! The PostgreSQL backend: a pool of connections (deadpool-postgres over tokio-postgres),
//! one transaction per write, alerts partitioned by day of their own time.
//!
//! Several `quell serve` processes may share one database: every write is a transaction that
//! is correct under concurrent writers (unique constraints with `ON CONFLICT DO NOTHING`, no
//! read-then-write checks; rows locked in a fixed order), and a transaction PostgreSQL aborts
//! for a deadlock or a serialization failure is retried.
//!
//! Strings that come from outside (alerts' fields, names, reasons, rule files) are stored as
//! `BYTEA` holding their UTF-8: PostgreSQL's `TEXT` cannot hold a NUL character, which an
//! alert may carry; the JSON columns (`raw`, `context`, details) are `TEXT`, their NULs being
//! escaped by JSON.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use serde_json::Value as Json;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::prep::Batch;
use crate::retention::{day_bounds, day_of};
use crate::{
    AlertPage, AlertQuery, AuditEntry, AuditQuery, Cluster, ClusterPage, ClusterQuery, Decision,
    Error, ExceptionProvenance, InboxPage, IngestOutcome, NewDecision, NewRuleSet, NewToken,
    Options, Result, Retention, Role, RuleFile, RuleSet, RuleSetSummary, Sensor, SensorReport,
    StoredAlert, Target, TokenInfo, Verdict,
};

/// The newest schema version this backend knows: the same number as SQLite's (one version
/// number for the store; a migration that concerns one backend only is a no-op in the other).
pub(crate) const SCHEMA_VERSION: i64 = 4;

/// The advisory lock class of quell (`QUEL`); key 0 guards migrations, key 1 partition DDL.
const LOCK_CLASS: i32 = 0x5155_454c;
const LOCK_MIGRATE: i32 = 0;
const LOCK_PARTITIONS: i32 = 1;

/// Migrations: version n is `MIGRATIONS[n - 1]`, applied in order at open, in one transaction
/// under an advisory lock (two processes starting at once do not both migrate). Add new
/// versions at the end; never edit a released one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE clusters (
    id BIGSERIAL PRIMARY KEY,
    rule BYTEA NOT NULL,
    hostname BYTEA NOT NULL,
    image BYTEA NOT NULL,            -- '' for the host
    count BIGINT NOT NULL,
    first_ns BIGINT NOT NULL,
    last_ns BIGINT NOT NULL,
    UNIQUE (rule, hostname, image)
);
-- Partitioned by the alert's own time, one partition per UTC day, created at ingest. The
-- idempotency key is unique together with the time (a unique constraint on a partitioned
-- table must include the partition key): the key covers the whole alert, its time included,
-- so a retry has the same time and lands in the same partition, and the dedup stays exact.
CREATE TABLE alerts (
    id BIGSERIAL NOT NULL,
    key BYTEA NOT NULL,              -- SHA-256, 32 bytes (hex in the API)
    received_ns BIGINT NOT NULL,
    time_ns BIGINT NOT NULL,
    rule BYTEA NOT NULL,
    priority TEXT NOT NULL,
    hostname BYTEA NOT NULL,
    container_id BYTEA,
    container_image BYTEA,
    k8s_ns BYTEA,
    source BYTEA NOT NULL,
    sensor BYTEA NOT NULL,
    cluster_id BIGINT NOT NULL REFERENCES clusters(id),
    output BYTEA NOT NULL,
    raw TEXT NOT NULL,
    context TEXT,
    UNIQUE (key, time_ns)
) PARTITION BY RANGE (time_ns);
CREATE INDEX alerts_id ON alerts (id);
CREATE INDEX alerts_time ON alerts (time_ns, id);
CREATE INDEX alerts_rule ON alerts (rule, time_ns);
CREATE INDEX alerts_host ON alerts (hostname, time_ns);
CREATE INDEX alerts_container ON alerts (container_id, time_ns);
CREATE INDEX alerts_image ON alerts (container_image, time_ns);
CREATE INDEX alerts_ns ON alerts (k8s_ns, time_ns);
CREATE INDEX alerts_cluster ON alerts (cluster_id, time_ns);
CREATE TABLE decisions (
    id BIGSERIAL PRIMARY KEY,
    target_kind TEXT NOT NULL,       -- 'alert' | 'cluster'
    target_id BIGINT NOT NULL,
    verdict TEXT NOT NULL,
    actor BYTEA NOT NULL,
    at_ns BIGINT NOT NULL,
    reason BYTEA NOT NULL
);
CREATE INDEX decisions_target ON decisions (target_kind, target_id, id);
CREATE TABLE rulesets (
    version BIGSERIAL PRIMARY KEY,
    author BYTEA NOT NULL,
    at_ns BIGINT NOT NULL,
    comment BYTEA NOT NULL
);
CREATE TABLE ruleset_files (
    version BIGINT NOT NULL REFERENCES rulesets(version),
    name BYTEA NOT NULL,
    contents BYTEA NOT NULL,
    PRIMARY KEY (version, name)
);
CREATE TABLE ruleset_exceptions (
    version BIGINT NOT NULL REFERENCES rulesets(version),
    rule BYTEA NOT NULL,
    name BYTEA NOT NULL,
    proposer BYTEA NOT NULL,
    verification TEXT,
    comment BYTEA NOT NULL,
    expires_ns BIGINT,
    PRIMARY KEY (version, rule, name)
);
CREATE TABLE sensors (
    id BIGSERIAL PRIMARY KEY,
    name BYTEA NOT NULL UNIQUE,
    host BYTEA NOT NULL,
    kernel BYTEA NOT NULL,
    quell_version BYTEA NOT NULL,
    first_ns BIGINT NOT NULL,
    last_ns BIGINT NOT NULL,
    drops TEXT NOT NULL
);
CREATE TABLE tokens (
    id BIGSERIAL PRIMARY KEY,
    name BYTEA NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_ns BIGINT NOT NULL,
    created_by BYTEA NOT NULL,
    revoked_ns BIGINT
);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at_ns BIGINT NOT NULL,
    actor BYTEA NOT NULL,
    action TEXT NOT NULL,
    target BYTEA NOT NULL,
    detail TEXT NOT NULL
);
"#,
    // 2: SQLite's migration 2 made the idempotency key unique with the alert time; here
    // alerts have been unique on (key, time_ns) since version 1 (the partition key must be
    // in the constraint). Nothing to do: the version number is shared by both backends.
    r#"SELECT 1"#,
    // 3 (SQLite's 3 adds its recent table, a SQLite matter): no foreign key from alerts to
    // clusters. It made PostgreSQL look up and lock (KEY SHARE, a multixact when batches share a cluster) the cluster row of every inserted
    // alert: about 15 % of the server's CPU at ingest (BENCHMARKS.md). The store itself is
    // what keeps the reference: an alert's cluster id comes from the clusters table in the
    // alert's own transaction, and clusters are never deleted (retention keeps them, at a
    // count of 0).
    r#"ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_cluster_id_fkey"#,
    // 4: behaviour clusters and the inbox (see SQLite's 4): the cluster key gains the
    // behaviour signature (clusters made before keep their alerts, with an empty one); a
    // cluster keeps its latest alert (id, priority and its rank, namespace), sorted by last
    // seen (indexed by its hour: an update that leaves the hour is a HOT update, no index
    // touched); `cluster_hours` counts each cluster's alerts per hour, kept at ingest.
    r#"
ALTER TABLE clusters ADD COLUMN signature BYTEA NOT NULL DEFAULT ''::bytea,
    ADD COLUMN last_id BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN priority TEXT NOT NULL DEFAULT '',
    ADD COLUMN prio INT NOT NULL DEFAULT 8,
    ADD COLUMN namespace BYTEA,
    ADD COLUMN last_hour BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clusters DROP CONSTRAINT clusters_rule_hostname_image_key;
ALTER TABLE clusters ADD CONSTRAINT clusters_key UNIQUE (rule, hostname, image, signature);
UPDATE clusters c SET last_id = coalesce((SELECT max(a.id) FROM alerts a
    WHERE a.cluster_id = c.id AND a.time_ns = c.last_ns), 0);
UPDATE clusters c SET priority = a.priority, namespace = a.k8s_ns FROM alerts a WHERE a.id = c.last_id;
UPDATE clusters SET prio = CASE priority WHEN 'Emergency' THEN 0 WHEN 'Alert' THEN 1
    WHEN 'Critical' THEN 2 WHEN 'Error' THEN 3 WHEN 'Warning' THEN 4 WHEN 'Notice' THEN 5
    WHEN 'Informational' THEN 6 WHEN 'Debug' THEN 7 ELSE 8 END;
UPDATE clusters SET last_hour = last_ns / 3600000000000;
CREATE INDEX clusters_last ON clusters (last_hour);
CREATE TABLE cluster_hours (
    cluster_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,            -- time_ns / 3600e9
    count BIGINT NOT NULL,
    PRIMARY KEY (cluster_id, hour)
);
INSERT INTO cluster_hours (cluster_id, hour, count)
    SELECT cluster_id, time_ns / 3600000000000, count(*) FROM alerts GROUP BY 1, 2;
"#,
];

/// An error inside the backend: PostgreSQL's (kept whole so its SQLSTATE decides on a
/// retry) or the store's.
#[derive(Debug)]
pub(crate) enum PgErr {
    Pg(tokio_postgres::Error),
    Store(Error),
}

impl From<tokio_postgres::Error> for PgErr {
    fn from(e: tokio_postgres::Error) -> Self {
        PgErr::Pg(e)
    }
}

impl From<Error> for PgErr {
    fn from(e: Error) -> Self {
        PgErr::Store(e)
    }
}

impl From<PgErr> for Error {
    fn from(e: PgErr) -> Self {
        match e {
            PgErr::Store(e) => e,
            PgErr::Pg(e) => pg_error(&e),
        }
    }
}

/// tokio-postgres' own message is terse ("db error"): take the server's when there is one.
fn pg_error(e: &tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => Error::Database(format!("PostgreSQL {}: {}", db.code().code(), db.message())),
        None => Error::Database(format!("PostgreSQL: {e}")),
    }
}

type PResult<T> = std::result::Result<T, PgErr>;

impl PgErr {
    fn code(&self) -> Option<&SqlState> {
        match self {
            PgErr::Pg(e) => e.code(),
            PgErr::Store(_) => None,
        }
    }

    /// PostgreSQL aborted the transaction for a conflict with another: run it again.
    fn retryable(&self) -> bool {
        matches!(
            self.code(),
            Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
        )
    }
}

/// Transactions aborted for a conflict are run again at most this many times.
const RETRIES: usize = 8;

/// Runs `$body` (which uses `$t`, a transaction) and commits, retrying on a deadlock or a
/// serialization failure.
macro_rules! in_tx {
    ($pg:expr, |$t:ident| $body:expr) => {{
        let mut attempt = 0usize;
        loop {
            let mut client = $pg.client().await?;
            let r: PResult<_> = async {
                let $t = client.transaction().await?;
                let v = $body;
                $t.commit().await?;
                Ok(v)
            }
            .await;
            match r {
                Err(e) if e.retryable() && attempt < RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(5 << attempt.min(6))).await;
                }
                r => break r.map_err(Error::from),
            }
        }
    }};
}

pub(crate) struct Pg {
    pool: Pool,
    /// Where (host and database; never the password), for `Debug`.
    pub(crate) label: String,
    /// Days whose partition this process knows exists.
    partitions: Mutex<HashSet<i64>>,
    /// Rows an alert query reads at most for one page ([`Options::scan_budget`]).
    scan_budget: usize,
}

fn pool_error(e: deadpool_postgres::PoolError) -> Error {
    match e {
        deadpool_postgres::PoolError::Closed => Error::Closed,
        deadpool_postgres::PoolError::Backend(e) => pg_error(&e),
        other => Error::Database(format!("PostgreSQL pool: {other}")),
    }
}

impl Pg {
    /// Connects, migrates (refusing a newer schema untouched), builds the pool.
    pub(crate) async fn open(spec: &str, options: &Options) -> Result<Pg> {
        let pg = Pg::connect(spec, options)?;
        pg.migrate(SCHEMA_VERSION).await?;
        Ok(pg)
    }

    /// The pool, without touching the database (connections are made when first used).
    fn connect(spec: &str, options: &Options) -> Result<Pg> {
        let cfg: tokio_postgres::Config = spec
            .parse()
            .map_err(|e| Error::Invalid(format!("not a PostgreSQL connection URL: {e}")))?;
        let label = format!(
            "{:?}/{}",
            cfg.get_hosts(),
            cfg.get_dbname().unwrap_or_default()
        );
        let manager = Manager::from_config(
            cfg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pg_connections.max(1))
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(10)))
            .wait_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| Error::Database(format!("PostgreSQL pool: {e}")))?;
        Ok(Pg {
            pool,
            label,
            partitions: Mutex::new(HashSet::new()),
            scan_budget: options.scan_budget.max(1),
        })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Closes the pool: calls afterwards get [`Error::Closed`]; connections in use finish
    /// their work.
    pub(crate) fn close(&self) {
        self.pool.close();
    }

    /// Applies the migrations up to version `target` (the binary's, [`SCHEMA_VERSION`],
    /// except in tests that build an older database); refuses a database newer than this
    /// binary, untouched.
    async fn migrate(&self, target: i64) -> Result<()> {
        let mut client = self.client().await?;
        let r: PResult<()> = async {
            let t = client.transaction().await?;
            t.execute(
                "SELECT pg_advisory_xact_lock($1, $2)",
                &[&LOCK_CLASS, &LOCK_MIGRATE],
            )
            .await?;
            t.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
                .await?;
            let found: Option<i64> = t
                .query_one("SELECT max(version) FROM schema_version", &[])
                .await?
                .get(0);
            let found = found.unwrap_or(0);
            if found > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew {
                    found,
                    known: SCHEMA_VERSION,
                }
                .into());
            }
            for (i, sql) in MIGRATIONS.iter().enumerate() {
                let v = i as i64 + 1;
                if v > found && v <= target {
                    t.batch_execute(sql).await?;
                    t.execute("DELETE FROM schema_version", &[]).await?;
                    t.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&v])
                        .await?;
                }
            }
            t.commit().await?;
            Ok(())
        }
        .await;
        r.map_err(Error::from)
    }

    pub(crate) async fn schema_version(&self) -> Result<i64> {
        let c = self.client().await?;
        let v: Option<i64> = c
            .query_one("SELECT max(version) FROM schema_version", &[])
            .await
            .map_err(|e| pg_error(&e))?
            .get(0);
        Ok(v.unwrap_or(0))
    }

    /// Creates the day partitions `days` need (each in its own short transaction, under the
    /// partition lock: two processes creating one partition at once do not collide).
    async fn ensure_partitions(&self, days: &BTreeSet<i64>) -> Result<()> {
        let missing: Vec<i64> = {
            let known = self.partitions.lock().map_err(|_| Error::Closed)?;
            days.iter()
                .filter(|d| !known.contains(d))
                .copied()
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let mut client = self.client().await?;
        for day in missing {
            let (lo, hi) = day_bounds(day);
            let hi = hi.map_or_else(|| "MAXVALUE".to_string(), |h| h.to_string());
            // DDL takes no parameters; the name and bounds are integers computed here.
            let ddl = format!(
                "CREATE TABLE IF NOT EXISTS alerts_d{day} PARTITION OF alerts FOR VALUES FROM ({lo}) TO ({hi})"
            );
            let r: PResult<()> = async {
                let t = client.transaction().await?;
                t.execute(
                    "SELECT pg_advisory_xact_lock($1, $2)",
                    &[&LOCK_CLASS, &LOCK_PARTITIONS],
                )
                .await?;
                t.batch_execute(&ddl).await?;
                t.commit().await?;
                Ok(())
            }
            .await;
            r?;
            self.partitions
                .lock()
                .map_err(|_| Error::Closed)?
                .insert(day);
        }
        Ok(())
    }

    pub(crate) async fn ingest(&self, batch: &Batch) -> Result<IngestOutcome> {
        let days: BTreeSet<i64> = batch.alerts.iter().map(|a| day_of(a.time_ns)).collect();
        let mut attempt = 0;
        loop {
            self.ensure_partitions(&days).await?;
            match in_tx!(self, |t| ingest_tx(&t, batch).await?) {
                Err(Error::Database(m)) if attempt < 2 && m.contains(" 23514:") => {
                    // A partition was dropped behind this process's back: forget what it knew.
                    attempt += 1;
                    self.partitions.lock().map_err(|_| Error::Closed)?.clear();
                }
                r => return r,
            }
        }
    }

    pub(crate) async fn expire(&self, cutoff_ns: i64) -> Result<Retention> {
        let out = in_tx!(self, |t| expire_tx(&t, cutoff_ns).await?)?;
        let mut known = self.partitions.lock().map_err(|_| Error::Closed)?;
        known.retain(|d| day_bounds(*d).1.is_none_or(|hi| hi > cutoff_ns));
        Ok(out)
    }

    pub(crate) async fn alerts(&self, q: &AlertQuery) -> Result<AlertPage> {
        let c = self.client().await?;
        alerts(&c, q, self.scan_budget).await.map_err(Error::from)
    }

    pub(crate) async fn alert(&self, id: i64) -> Result<Option<StoredAlert>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {ALERT_COLUMNS}, context FROM alerts WHERE id = $1"
            ))
            .await
            .map_err(|e| pg_error(&e))?;
        let row = c.query_opt(&st, &[&id]).await.map_err(|e| pg_error(&e))?;
        row.map(|r| alert_row(&r)).transpose()
    }

    pub(crate) async fn clusters(&self, q: &ClusterQuery) -> Result<ClusterPage> {
        let c = self.client().await?;
        clusters(&c, q).await.map_err(Error::from)
    }

    pub(crate) async fn cluster(&self, id: i64) -> Result<Option<Cluster>> {
        let c = self.client().await?;
        let r: PResult<Option<Cluster>> = async {
            let row = c
                .query_opt(&format!("{CLUSTER_SELECT} WHERE c.id = $1"), &[&id])
                .await?;
            match row {
                Some(r) => Ok(Some(cluster_row(&r)?)),
                None => Ok(None),
            }
        }
        .await;
        r.map_err(Error::from)
    }

    pub(crate) async fn cluster_trend(
        &self,
        cluster_id: i64,
        since: i64,
        until: i64,
        bucket: i64,
        buckets: usize,
    ) -> Result<Vec<u64>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT (time_ns - $2) / $4, count(*) FROM alerts
                 WHERE cluster_id = $1 AND time_ns >= $2 AND time_ns < $3 GROUP BY 1",
                &[&cluster_id, &since, &until, &bucket],
            )
            .await
            .map_err(|e| pg_error(&e))?;
        let mut out = vec![0u64; buckets];
        for r in rows {
            let b: i64 = r.get(0);
            let n: i64 = r.get(1);
            if let Some(slot) = usize::try_from(b).ok().and_then(|b| out.get_mut(b)) {
                *slot = un(n);
            }
        }
        Ok(out)
    }

    pub(crate) async fn inbox(&self, q: &crate::InboxPlan) -> Result<InboxPage> {
        let c = self.client().await?;
        inbox(&c, q, self.scan_budget).await.map_err(Error::from)
    }

    pub(crate) async fn rule_counts(&self, sql: &str) -> Result<Vec<(String, u64)>> {
        let c = self.client().await?;
        // `sum` of a bigint is numeric in PostgreSQL: cast back to int8.
        let sql = sql.replace("sum(count) AS n", "sum(count)::int8 AS n");
        let rows = c.query(&sql, &[]).await.map_err(|e| pg_error(&e))?;
        // Rules are bytes here (ordered bytewise, as SQLite's text).
        rows.iter()
            .map(|r| Ok((text(r, 0)?, un(r.get(1)))))
            .collect()
    }

    pub(crate) async fn decisions_mark(&self) -> Result<i64> {
        let c = self.client().await?;
        let row = c
            .query_one("SELECT coalesce(max(id), 0)::int8 FROM decisions", &[])
            .await
            .map_err(|e| pg_error(&e))?;
        Ok(row.get(0))
    }

    pub(crate) async fn decide(&self, d: &NewDecision, now: u64) -> Result<Decision> {
        in_tx!(self, |t| decide_tx(&t, d, now).await?)
    }

    pub(crate) async fn decisions(&self, target: Option<Target>) -> Result<Vec<Decision>> {
        let c = self.client().await?;
        let rows = match target {
            Some(t) => {
                let (kind, id) = target_parts(t);
                c.query(
                    &format!(
                        "SELECT {DECISION_COLUMNS} FROM decisions WHERE target_kind = $1 AND target_id = $2
                         ORDER BY id DESC"
                    ),
                    &[&kind, &id],
                )
                .await
            }
            None => {
                c.query(
                    &format!("SELECT {DECISION_COLUMNS} FROM decisions ORDER BY id DESC"),
                    &[],
                )
                .await
            }
        }
        .map_err(|e| pg_error(&e))?;
        rows.iter().map(decision_row).collect()
    }

    pub(crate) async fn decisions_as_history(&self) -> Result<Vec<String>> {
        let c = self.client().await?;
        // No decision at all (the usual start): no join over the alerts to plan and run.
        let any = c
            .query_opt("SELECT 1 FROM decisions LIMIT 1", &[])
            .await
            .map_err(|e| pg_error(&e))?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        // The same rule as SQLite's (see there): an alert's own latest decision, else its
        // cluster's latest if the alert was received before that decision.
        let rows = c
            .query(
                "WITH latest AS (
                   SELECT DISTINCT ON (target_kind, target_id) target_kind, target_id, verdict, at_ns
                   FROM decisions ORDER BY target_kind, target_id, id DESC
                 ),
                 decided AS (
                   SELECT target_id AS id FROM latest WHERE target_kind = 'alert'
                   UNION
                   SELECT a.id FROM latest l JOIN alerts a
                     ON a.cluster_id = l.target_id AND a.received_ns <= l.at_ns
                   WHERE l.target_kind = 'cluster'
                 )
                 SELECT a.raw, coalesce(own.verdict, cl.verdict) AS v
                 FROM decided JOIN alerts a ON a.id = decided.id
                 LEFT JOIN latest own ON own.target_kind = 'alert' AND own.target_id = a.id
                 LEFT JOIN latest cl ON cl.target_kind = 'cluster' AND cl.target_id = a.cluster_id
                   AND a.received_ns <= cl.at_ns
                 WHERE coalesce(own.verdict, cl.verdict) IN ('benign', 'real')
                 ORDER BY a.time_ns, a.id",
                &[],
            )
            .await
            .map_err(|e| pg_error(&e))?;
        let mut out = Vec::new();
        for r in rows {
            let raw: String = r.get(0);
            let verdict: String = r.get(1);
            if let Some(line) = crate::prep::history_line(&raw, verdict) {
                out.push(line);
            }
        }
        Ok(out)
    }

    pub(crate) async fn save_ruleset(&self, r: &NewRuleSet, now: u64) -> Result<RuleSetSummary> {
        in_tx!(self, |t| save_ruleset_tx(&t, r, now).await?)
    }

    pub(crate) async fn rulesets(&self) -> Result<Vec<RuleSetSummary>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT r.version, r.author, r.at_ns, r.comment,
                   (SELECT count(*) FROM ruleset_files f WHERE f.version = r.version),
                   (SELECT count(*) FROM ruleset_exceptions e WHERE e.version = r.version)
                 FROM rulesets r ORDER BY r.version DESC",
                &[],
            )
            .await
            .map_err(|e| pg_error(&e))?;
        rows.iter()
            .map(|r| {
                Ok(RuleSetSummary {
                    version: r.try_get(0).map_err(|e| pg_error(&e))?,
                    author: text(r, 1)?,
                    at_ns: un(r.try_get(2).map_err(|e| pg_error(&e))?),
                    comment: text(r, 3)?,
                    files: usize::try_from(r.get::<_, i64>(4)).unwrap_or(0),
                    exceptions: usize::try_from(r.get::<_, i64>(5)).unwrap_or(0),
                })
            })
            .collect()
    }

    pub(crate) async fn ruleset(&self, version: Option<i64>) -> Result<Option<RuleSet>> {
        let c = self.client().await?;
        let head = match version {
            Some(v) => {
                c.query_opt(
                    "SELECT version, author, at_ns, comment FROM rulesets WHERE version = $1",
                    &[&v],
                )
                .await
            }
            None => {
                c.query_opt(
                    "SELECT version, author, at_ns, comment FROM rulesets ORDER BY version DESC LIMIT 1",
                    &[],
                )
                .await
            }
        }
        .map_err(|e| pg_error(&e))?;
        let Some(head) = head else {
            return Ok(None);
        };
        let version: i64 = head.get(0);
        let files = c
            .query(
                "SELECT name, contents FROM ruleset_files WHERE version = $1 ORDER BY name",
                &[&version],
            )
            .await
            .map_err(|e| pg_error(&e))?
            .iter()
            .map(|r| Ok(RuleFile::new(text(r, 0)?, text(r, 1)?)))
            .collect::<Result<Vec<_>>>()?;
        let exceptions = c
            .query(
                "SELECT rule, name, proposer, verification, comment, expires_ns FROM ruleset_exceptions
                 WHERE version = $1 ORDER BY rule, name",
                &[&version],
            )
            .await
            .map_err(|e| pg_error(&e))?
            .iter()
            .map(|r| {
                let verification: Option<String> = r.get(3);
                let expires: Option<i64> = r.get(5);
                let mut e = ExceptionProvenance::new(text(r, 0)?, text(r, 1)?, text(r, 2)?);
                e.verification = verification.and_then(|t| serde_json::from_str(&t).ok());
                e.comment = text(r, 4)?;
                e.expires_ns = expires.map(un);
                Ok(e)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(RuleSet {
            version,
            author: text(&head, 1)?,
            at_ns: un(head.get(2)),
            comment: text(&head, 3)?,
            files,
            exceptions,
        }))
    }

    pub(crate) async fn report_sensor(&self, s: &SensorReport, now: u64) -> Result<Sensor> {
        in_tx!(self, |t| report_sensor_tx(&t, s, now).await?)
    }

    pub(crate) async fn sensors(&self) -> Result<Vec<Sensor>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {SENSOR_COLUMNS} FROM sensors ORDER BY name"),
                &[],
            )
            .await
            .map_err(|e| pg_error(&e))?;
        rows.iter().map(sensor_row).collect()
    }

    pub(crate) async fn create_token(
        &self,
        tk: &NewToken,
        hash: &str,
        now: u64,
    ) -> Result<TokenInfo> {
        in_tx!(self, |t| {
            let id: i64 = t
                .query_one(
                    "INSERT INTO tokens (name, role, hash, created_ns, created_by)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        &tk.name.as_bytes(),
                        &tk.role.as_str(),
                        &hash,
                        &ns(now),
                        &tk.actor.as_bytes(),
                    ],
                )
                .await?
                .get(0);
            audit_row(
                &t,
                now,
                &tk.actor,
                "token.create",
                &format!("token:{id}"),
                &serde_json::json!({"name": tk.name, "role": tk.role.as_str()}),
            )
            .await?;
            TokenInfo {
                id,
                name: tk.name.clone(),
                role: tk.role,
                created_ns: now,
                created_by: tk.actor.clone(),
                revoked_ns: None,
            }
        })
    }

    pub(crate) async fn verify_token(&self, hash: &str) -> Result<Option<TokenInfo>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1 AND revoked_ns IS NULL"
            ))
            .await
            .map_err(|e| pg_error(&e))?;
        let row = c.query_opt(&st, &[&hash]).await.map_err(|e| pg_error(&e))?;
        row.map(|r| token_row(&r)).transpose()
    }

    pub(crate) async fn revoke_token(&self, id: i64, actor: &str, now: u64) -> Result<bool> {
        in_tx!(self, |t| {
            let n = t
                .execute(
                    "UPDATE tokens SET revoked_ns = $2 WHERE id = $1 AND revoked_ns IS NULL",
                    &[&id, &ns(now)],
                )
                .await?;
            if n > 0 {
                audit_row(
                    &t,
                    now,
                    actor,
                    "token.revoke",
                    &format!("token:{id}"),
                    &serde_json::json!({}),
                )
                .await?;
            }
            n > 0
        })
    }

    pub(crate) async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"),
                &[],
            )
            .await
            .map_err(|e| pg_error(&e))?;
        rows.iter().map(token_row).collect()
    }

    pub(crate) async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let c = self.client().await?;
        let limit = i64::try_from(crate::sqlite::limit_of(q.limit)).unwrap_or(100);
        let rows = c
            .query(
                "SELECT id, at_ns, actor, action, target, detail FROM audit
                 WHERE id < $1 ORDER BY id DESC LIMIT $2",
                &[&q.before_id.unwrap_or(i64::MAX), &limit],
            )
            .await
            .map_err(|e| pg_error(&e))?;
        rows.iter()
            .map(|r| {
                let detail: String = r.get(5);
                Ok(AuditEntry {
                    id: r.get(0),
                    at_ns: un(r.get(1)),
                    actor: text(r, 2)?,
                    action: r.get(3),
                    target: text(r, 4)?,
                    detail: serde_json::from_str(&detail).unwrap_or(Json::Null),
                })
            })
            .collect()
    }
}

fn ns(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn un(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A `BYTEA` column holding UTF-8 (every string stored came from a Rust `String`).
fn text(r: &Row, i: usize) -> Result<String> {
    let b: Vec<u8> = r.try_get(i).map_err(|e| pg_error(&e))?;
    String::from_utf8(b).map_err(|_| Error::Database(format!("column {i} is not UTF-8")))
}

fn opt_text(r: &Row, i: usize) -> Result<Option<String>> {
    let b: Option<Vec<u8>> = r.try_get(i).map_err(|e| pg_error(&e))?;
    b.map(|b| String::from_utf8(b).map_err(|_| Error::Database(format!("column {i} is not UTF-8"))))
        .transpose()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

async fn audit_row(
    t: &deadpool_postgres::Transaction<'_>,
    at: u64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &Json,
) -> PResult<()> {
    t.execute(
        "INSERT INTO audit (at_ns, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        &[
            &ns(at),
            &actor.as_bytes(),
            &action,
            &target.as_bytes(),
            &detail.to_string(),
        ],
    )
    .await?;
    Ok(())
}

async fn ingest_tx(t: &deadpool_postgres::Transaction<'_>, b: &Batch) -> PResult<IngestOutcome> {
    let mut out = IngestOutcome::default();
    if b.alerts.is_empty() {
        return Ok(out);
    }
    let keys: Vec<Vec<u8>> = b.alerts.iter().map(|a| unhex(&a.key)).collect();
    // The first of each key within the batch; later ones are duplicates of it.
    let mut first_of: HashMap<&[u8], usize> = HashMap::new();
    let mut uniq: Vec<usize> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        if !first_of.contains_key(k.as_slice()) {
            first_of.insert(k.as_slice(), i);
            uniq.push(i);
        }
    }

    // Clusters: find those of the batch, create the missing ones (in a fixed order, so
    // concurrent batches do not deadlock on the unique index), find them again.
    let image = |i: usize| b.alerts[i].container_image.as_deref().unwrap_or("");
    let key_of = |i: usize| {
        let a = &b.alerts[i];
        (
            a.rule.as_str(),
            a.hostname.as_str(),
            image(i),
            a.signature.as_str(),
        )
    };
    let mut cluster_of: BTreeMap<ClusterKey<'_>, Option<i64>> = BTreeMap::new();
    let mut first_time: HashMap<ClusterKey<'_>, i64> = HashMap::new();
    for &i in &uniq {
        let a = &b.alerts[i];
        let k = key_of(i);
        cluster_of.insert(k, None);
        first_time.entry(k).or_insert(a.time_ns);
    }
    let find = t
        .prepare_cached(
            "SELECT c.id, c.rule, c.hostname, c.image, c.signature FROM clusters c
             JOIN unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[]) AS u(r, h, i, s)
               ON c.rule = u.r AND c.hostname = u.h AND c.image = u.i AND c.signature = u.s",
        )
        .await?;
    for round in 0..2 {
        let want: Vec<ClusterKey<'_>> = cluster_of
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        if want.is_empty() {
            break;
        }
        if round == 1 {
            let create = t
                .prepare_cached(
                    "INSERT INTO clusters (rule, hostname, image, signature, count, first_ns, last_ns,
                       last_hour)
                     SELECT r, h, i, s, 0, t, t, t / 3600000000000
                     FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::int8[])
                       AS u(r, h, i, s, t)
                     ORDER BY r, h, i, s
                     ON CONFLICT (rule, hostname, image, signature) DO NOTHING",
                )
                .await?;
            let times: Vec<i64> = want.iter().map(|k| first_time[k]).collect();
            t.execute(&create, &cluster_params(&want, Some(&times)).as_refs())
                .await?;
        }
        for r in t
            .query(&find, &cluster_params(&want, None).as_refs())
            .await?
        {
            let id: i64 = r.get(0);
            let key: (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) =
                (r.get(1), r.get(2), r.get(3), r.get(4));
            if let Some(slot) = cluster_of.iter_mut().find(|(k, _)| {
                k.0.as_bytes() == key.0
                    && k.1.as_bytes() == key.1
                    && k.2.as_bytes() == key.2
                    && k.3.as_bytes() == key.3
            }) {
                *slot.1 = Some(id);
            }
        }
    }

    // Ids in the batch's order, taken before the insert (which runs in key order, the order
    // in which concurrent batches lock the unique index).
    // Every statement of the batch is prepared once per connection (`prepare_cached`): a
    // batch costs its statements' executions, no parsing or planning.
    let next_ids = t
        .prepare_cached(
            "SELECT nextval(pg_get_serial_sequence('alerts', 'id')) FROM generate_series(1, $1::int8)",
        )
        .await?;
    let ids: Vec<i64> = t
        .query(&next_ids, &[&(uniq.len() as i64)])
        .await?
        .iter()
        .map(|r| r.get::<_, i64>(0))
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .collect();
    let mut c_ids = Vec::with_capacity(uniq.len());
    for &i in &uniq {
        let a = &b.alerts[i];
        let _ = a;
        let id = cluster_of[&key_of(i)]
            .ok_or_else(|| Error::Database("a cluster could not be created".into()))?;
        c_ids.push(id);
    }
    let pick = |f: &dyn Fn(usize) -> Vec<u8>| uniq.iter().map(|&i| f(i)).collect::<Vec<_>>();
    let opt = |f: &dyn Fn(usize) -> Option<Vec<u8>>| {
        uniq.iter().map(|&i| f(i)).collect::<Vec<Option<Vec<u8>>>>()
    };
    let a = |i: usize| &b.alerts[i];
    let p_key: Vec<Vec<u8>> = uniq.iter().map(|&i| keys[i].clone()).collect();
    let p_time: Vec<i64> = uniq.iter().map(|&i| a(i).time_ns).collect();
    let p_rule = pick(&|i| a(i).rule.as_bytes().to_vec());
    let p_prio: Vec<&str> = uniq.iter().map(|&i| a(i).priority).collect();
    let p_host = pick(&|i| a(i).hostname.as_bytes().to_vec());
    let p_cid = opt(&|i| a(i).container_id.as_ref().map(|s| s.as_bytes().to_vec()));
    let p_img = opt(&|i| a(i).container_image.as_ref().map(|s| s.as_bytes().to_vec()));
    let p_ns = opt(&|i| a(i).k8s_namespace.as_ref().map(|s| s.as_bytes().to_vec()));
    let p_src = pick(&|i| a(i).source.as_bytes().to_vec());
    let p_out = pick(&|i| a(i).output.as_bytes().to_vec());
    let p_raw: Vec<&str> = uniq.iter().map(|&i| a(i).raw.as_str()).collect();
    let p_ctx: Vec<Option<&str>> = uniq.iter().map(|&i| a(i).context.as_deref()).collect();
    let insert = t
        .prepare_cached(
            "INSERT INTO alerts (id, key, received_ns, time_ns, rule, priority, hostname,
               container_id, container_image, k8s_ns, source, sensor, cluster_id, output, raw, context)
             SELECT u.id, u.key, $15, u.time_ns, u.rule, u.priority, u.hostname, u.cid, u.img, u.ns,
               u.src, $16, u.cluster, u.output, u.raw, u.ctx
             FROM unnest($1::int8[], $2::bytea[], $3::int8[], $4::bytea[], $5::text[], $6::bytea[],
               $7::bytea[], $8::bytea[], $9::bytea[], $10::bytea[], $11::int8[], $12::bytea[],
               $13::text[], $14::text[])
               AS u(id, key, time_ns, rule, priority, hostname, cid, img, ns, src, cluster, output, raw, ctx)
             ORDER BY u.key
             ON CONFLICT (key, time_ns) DO NOTHING
             RETURNING id",
        )
        .await?;
    let sensor = b.sensor.as_bytes();
    let stored: HashSet<i64> = t
        .query(
            &insert,
            &[
                &ids,
                &p_key,
                &p_time,
                &p_rule,
                &p_prio,
                &p_host,
                &p_cid,
                &p_img,
                &p_ns,
                &p_src,
                &c_ids,
                &p_out,
                &p_raw,
                &p_ctx,
                &b.received_ns,
                &sensor,
            ],
        )
        .await?
        .iter()
        .map(|r| r.get::<_, i64>(0))
        .collect();

    // Alerts stored before: their ids.
    let mut id_of: HashMap<Vec<u8>, i64> = HashMap::new();
    let mut dup_keys = Vec::new();
    let mut dup_times = Vec::new();
    for (n, &i) in uniq.iter().enumerate() {
        if stored.contains(&ids[n]) {
            id_of.insert(keys[i].clone(), ids[n]);
        } else {
            dup_keys.push(keys[i].clone());
            dup_times.push(b.alerts[i].time_ns);
        }
    }
    if !dup_keys.is_empty() {
        let stored_before = t
            .prepare_cached(
                "SELECT a.key, a.id FROM alerts a
                 JOIN unnest($1::bytea[], $2::int8[]) AS u(key, time_ns)
                   ON a.key = u.key AND a.time_ns = u.time_ns",
            )
            .await?;
        for r in t.query(&stored_before, &[&dup_keys, &dup_times]).await? {
            id_of.insert(r.get(0), r.get(1));
        }
    }
    for (i, k) in keys.iter().enumerate() {
        let id = *id_of
            .get(k)
            .ok_or_else(|| Error::Database("a duplicate alert was not found".into()))?;
        if first_of.get(k.as_slice()) == Some(&i) && stored.contains(&id) {
            out.stored += 1;
        } else {
            out.duplicates += 1;
        }
        out.ids.push(id);
    }

    // Cluster counts, last: rows locked in id order, held for the shortest time. Each
    // cluster's latest alert of the batch (by time, then id) and the counts per hour.
    let mut agg: BTreeMap<i64, (i64, i64, i64, i64, usize)> = BTreeMap::new();
    let mut hours: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for (n, &i) in uniq.iter().enumerate() {
        if stored.contains(&ids[n]) {
            let tm = b.alerts[i].time_ns;
            let e = agg.entry(c_ids[n]).or_insert((0, tm, tm, ids[n], i));
            e.0 += 1;
            e.1 = e.1.min(tm);
            if (tm, ids[n]) >= (e.2, e.3) {
                e.2 = tm;
                e.3 = ids[n];
                e.4 = i;
            }
            *hours
                .entry((c_ids[n], tm / crate::TREND_BUCKET_NS as i64))
                .or_default() += 1;
        }
    }
    if !agg.is_empty() {
        let cid: Vec<i64> = agg.keys().copied().collect();
        let cn: Vec<i64> = agg.values().map(|v| v.0).collect();
        let cf: Vec<i64> = agg.values().map(|v| v.1).collect();
        let cl: Vec<i64> = agg.values().map(|v| v.2).collect();
        let clid: Vec<i64> = agg.values().map(|v| v.3).collect();
        let cprio: Vec<&str> = agg.values().map(|v| b.alerts[v.4].priority).collect();
        let crank: Vec<i32> = agg
            .values()
            .map(|v| i32::try_from(b.alerts[v.4].prio).unwrap_or(8))
            .collect();
        let cns: Vec<Option<&[u8]>> = agg
            .values()
            .map(|v| b.alerts[v.4].k8s_namespace.as_deref().map(str::as_bytes))
            .collect();
        let lock = t
            .prepare_cached(
                "SELECT 1 FROM clusters WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            )
            .await?;
        t.execute(&lock, &[&cid]).await?;
        let update = t
            .prepare_cached(
                "UPDATE clusters c SET count = c.count + u.n, first_ns = least(c.first_ns, u.f),
                   last_ns = greatest(c.last_ns, u.l),
                   last_id = CASE WHEN u.l >= c.last_ns THEN u.lid ELSE c.last_id END,
                   priority = CASE WHEN u.l >= c.last_ns THEN u.p ELSE c.priority END,
                   prio = CASE WHEN u.l >= c.last_ns THEN u.pr ELSE c.prio END,
                   namespace = CASE WHEN u.l >= c.last_ns THEN u.ns ELSE c.namespace END,
                   last_hour = greatest(c.last_hour, u.l / 3600000000000)
                 FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[],
                   $6::text[], $7::int4[], $8::bytea[]) AS u(id, n, f, l, lid, p, pr, ns)
                 WHERE c.id = u.id",
            )
            .await?;
        t.execute(&update, &[&cid, &cn, &cf, &cl, &clid, &cprio, &crank, &cns])
            .await?;
        // The trend's counts, in key order (concurrent batches lock them in one order).
        let hid: Vec<i64> = hours.keys().map(|k| k.0).collect();
        let hh: Vec<i64> = hours.keys().map(|k| k.1).collect();
        let hn: Vec<i64> = hours.values().copied().collect();
        let upsert = t
            .prepare_cached(
                "INSERT INTO cluster_hours (cluster_id, hour, count)
                 SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS u(c, h, n)
                 ORDER BY c, h
                 ON CONFLICT (cluster_id, hour) DO UPDATE SET count = cluster_hours.count + excluded.count",
            )
            .await?;
        t.execute(&upsert, &[&hid, &hh, &hn]).await?;
    }
    Ok(out)
}

/// Parameters of the cluster statements: rules, hosts, images (and first times).
struct Params(Vec<Box<dyn ToSql + Sync + Send>>);

impl Params {
    fn as_refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// A cluster's key: rule, host, image, behaviour signature.
type ClusterKey<'a> = (&'a str, &'a str, &'a str, &'a str);

fn cluster_params(keys: &[ClusterKey<'_>], times: Option<&[i64]>) -> Params {
    let col = |n: usize| -> Vec<Vec<u8>> {
        keys.iter()
            .map(|k| [k.0, k.1, k.2, k.3][n].as_bytes().to_vec())
            .collect()
    };
    let mut p: Vec<Box<dyn ToSql + Sync + Send>> = vec![
        Box::new(col(0)),
        Box::new(col(1)),
        Box::new(col(2)),
        Box::new(col(3)),
    ];
    if let Some(t) = times {
        p.push(Box::new(t.to_vec()));
    }
    Params(p)
}

async fn expire_tx(t: &deadpool_postgres::Transaction<'_>, cutoff: i64) -> PResult<Retention> {
    t.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_CLASS, &LOCK_PARTITIONS],
    )
    .await?;
    let names: Vec<String> = t
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'alerts'::regclass",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut old: Vec<i64> = names
        .iter()
        .filter_map(|n| n.strip_prefix("alerts_d")?.parse::<i64>().ok())
        .filter(|d| day_bounds(*d).1.is_some_and(|hi| hi <= cutoff))
        .collect();
    old.sort_unstable();
    let mut out = Retention::default();
    if old.is_empty() {
        return Ok(out);
    }
    // Ingest waits while partitions go; counts taken under the lock are exact.
    t.batch_execute("LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE")
        .await?;
    let mut dropped: BTreeMap<i64, i64> = BTreeMap::new();
    for day in &old {
        for r in t
            .query(
                &format!("SELECT cluster_id, count(*) FROM alerts_d{day} GROUP BY cluster_id"),
                &[],
            )
            .await?
        {
            let n: i64 = r.get(1);
            *dropped.entry(r.get(0)).or_default() += n;
            out.alerts += un(n);
        }
        t.batch_execute(&format!("DROP TABLE alerts_d{day}"))
            .await?;
        out.partitions += 1;
    }
    let cid: Vec<i64> = dropped.keys().copied().collect();
    let cn: Vec<i64> = dropped.values().copied().collect();
    t.execute(
        "UPDATE clusters c SET count = c.count - u.n,
           first_ns = coalesce((SELECT min(a.time_ns) FROM alerts a WHERE a.cluster_id = c.id), c.first_ns)
         FROM unnest($1::int8[], $2::int8[]) AS u(id, n) WHERE c.id = u.id",
        &[&cid, &cn],
    )
    .await?;
    // The trend's counts of the days dropped (whole days: every hour before the cutoff's day).
    t.execute(
        "DELETE FROM cluster_hours WHERE hour < $1",
        &[&(crate::retention::keep_from(cutoff) / crate::TREND_BUCKET_NS as i64)],
    )
    .await?;
    Ok(out)
}

const ALERT_COLUMNS: &str =
    "id, encode(key, 'hex'), received_ns, time_ns, rule, priority, hostname, container_id,
    container_image, k8s_ns, source, sensor, cluster_id, output, raw";

fn alert_row(r: &Row) -> Result<StoredAlert> {
    let context: Option<String> = r.try_get(15).map_err(|e| pg_error(&e))?;
    Ok(StoredAlert {
        id: r.get(0),
        key: r.get(1),
        received_ns: un(r.get(2)),
        time_ns: un(r.get(3)),
        rule: text(r, 4)?,
        priority: r.get(5),
        hostname: text(r, 6)?,
        container_id: opt_text(r, 7)?,
        container_image: opt_text(r, 8)?,
        k8s_namespace: opt_text(r, 9)?,
        source: text(r, 10)?,
        sensor: text(r, 11)?,
        cluster_id: r.get(12),
        output: text(r, 13)?,
        raw: r.get(14),
        context: context.and_then(|t| serde_json::from_str(&t).ok()),
    })
}

/// Builds a statement's parameters as `$n` placeholders.
struct Sql {
    text: String,
    args: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Sql {
    fn new(text: String) -> Sql {
        Sql {
            text,
            args: Vec::new(),
        }
    }

    /// Appends `clause` with each `?` replaced by the placeholder of `v`.
    fn add(&mut self, clause: &str, v: impl ToSql + Sync + Send + 'static) {
        self.args.push(Box::new(v));
        self.text
            .push_str(&clause.replace('?', &format!("${}", self.args.len())));
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.args
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

fn bytes(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

async fn alerts(
    c: &deadpool_postgres::Object,
    q: &AlertQuery,
    budget: usize,
) -> PResult<AlertPage> {
    // As SQLite's (`sqlite::alerts`): one filter is sought through its index (the first
    // present of cluster, host, rule, namespace, container; else the time index), with the
    // time range and the cursor, in an inner query that reads at most `budget` rows; the
    // other filters are checked on each of those rows. Only the matching rows come back,
    // and the last row read (`n = budget`) when the budget ran out: a rare combination or a
    // text found in few alerts costs a bounded scan and a partial page with a cursor, never
    // a scan of the whole table in one request.
    let mut sql = Sql::new(String::new());
    let mut seek: Option<&str> = None;
    let mut check: Vec<String> = Vec::new();
    // Adds `clause` (with `?` placeholders for `vals`) to the seek or to the checks.
    let mut filter = |sql: &mut Sql, name: &'static str, clause: &str, vals: Vec<Boxed>| {
        let mut text = String::new();
        let mut parts = clause.split('?');
        text.push_str(parts.next().unwrap_or(""));
        for (v, rest) in vals.into_iter().zip(parts) {
            sql.args.push(v);
            text.push_str(&format!("${}", sql.args.len()));
            text.push_str(rest);
        }
        if !name.is_empty() && seek.is_none() {
            seek = Some(name);
            sql.text.push_str(&format!(" AND {text}"));
        } else {
            check.push(text);
        }
    };
    if let Some(v) = q.cluster_id {
        filter(&mut sql, "cluster", "cluster_id = ?", vec![Box::new(v)]);
    }
    if let Some(v) = &q.host {
        filter(&mut sql, "host", "hostname = ?", vec![Box::new(bytes(v))]);
    }
    if let Some(v) = &q.rule {
        filter(&mut sql, "rule", "rule = ?", vec![Box::new(bytes(v))]);
    }
    if let Some(v) = &q.namespace {
        filter(
            &mut sql,
            "namespace",
            "k8s_ns = ?",
            vec![Box::new(bytes(v))],
        );
    }
    if let Some(v) = &q.container {
        filter(
            &mut sql,
            "container",
            "(container_id = ? OR container_image = ?)",
            vec![Box::new(bytes(v)), Box::new(bytes(v))],
        );
    }
    if let Some(v) = &q.priority {
        // An unknown priority matches nothing (SQLite's marker has a NUL, which TEXT refuses).
        let p = crate::sqlite::stored_priority(v);
        if p.contains('\0') {
            filter(&mut sql, "", "false", vec![]);
        } else {
            filter(&mut sql, "", "priority = ?", vec![Box::new(p)]);
        }
    }
    if let Some(v) = &q.sensor {
        filter(&mut sql, "", "sensor = ?", vec![Box::new(bytes(v))]);
    }
    if let Some(v) = &q.text {
        // Literal: position() has no wildcards.
        filter(
            &mut sql,
            "",
            "(position(? in output) > 0 OR position(? in rule) > 0)",
            vec![Box::new(bytes(v)), Box::new(bytes(v))],
        );
    }
    if let Some(v) = q.since_ns {
        sql.add(" AND time_ns >= ?", ns(v));
    }
    if let Some(v) = q.until_ns {
        sql.add(" AND time_ns < ?", ns(v));
    }
    if let Some(cur) = &q.cursor {
        let (t, id) = crate::sqlite::parse_alert_cursor(cur)?;
        sql.add(" AND (time_ns < ?", t);
        sql.add(" OR (time_ns = ?", t);
        sql.add(" AND id < ?))", id);
    }
    let limit = crate::sqlite::limit_of(q.limit);
    let budget = budget.max(limit + 1);
    let context = if q.with_context {
        "context"
    } else {
        "NULL::text"
    };
    let seek_where = std::mem::take(&mut sql.text);
    sql.text = if check.is_empty() {
        format!(
            "SELECT {ALERT_COLUMNS}, {context}, true, 0::int8 FROM alerts WHERE true{seek_where}
             ORDER BY time_ns DESC, id DESC LIMIT {}",
            limit + 1
        )
    } else {
        // The inner query reads at most `budget` rows in page order and numbers them, carrying
        // only their time, id and whether they match (so that the numbering does not copy
        // whole rows); the matches and the last row read are joined back to their rows, in
        // the same order, until `limit + 1` of them.
        format!(
            "SELECT {ALERT_COLUMNS}, {context}, s.hit, s.n
             FROM (
               SELECT t, i, hit, row_number() OVER (ORDER BY t DESC, i DESC) AS n
               FROM (SELECT time_ns AS t, id AS i, {hit} AS hit FROM alerts WHERE true{seek_where}
                     ORDER BY time_ns DESC, id DESC LIMIT {budget}) AS r
             ) AS s
             JOIN alerts a ON a.time_ns = s.t AND a.id = s.i
             WHERE s.hit OR s.n = {budget}
             ORDER BY s.t DESC, s.i DESC LIMIT {}",
            limit + 1,
            hit = check.join(" AND "),
        )
    };
    let st = c.prepare_cached(&sql.text).await?;
    let rows = c.query(&st, &sql.refs()).await?;
    let mut alerts = Vec::new();
    let mut last_read: Option<(i64, i64)> = None;
    for r in &rows {
        let n: i64 = r.get(17);
        if usize::try_from(n).is_ok_and(|n| n == budget) {
            last_read = Some((r.get(3), r.get(0)));
        }
        if r.get::<_, bool>(16) {
            alerts.push(alert_row(r)?);
        }
    }
    let (next_cursor, partial) = if alerts.len() > limit {
        alerts.truncate(limit);
        let cursor = alerts
            .last()
            .map(|a| format!("a{}.{}", ns(a.time_ns), a.id));
        (cursor, false)
    } else if let Some((t, id)) = last_read {
        // The budget ran out: the search goes on from the last row read.
        (Some(format!("a{t}.{id}")), true)
    } else {
        (None, false)
    };
    Ok(AlertPage {
        alerts,
        next_cursor,
        partial,
    })
}

/// A statement parameter.
type Boxed = Box<dyn ToSql + Sync + Send>;

fn target_parts(t: Target) -> (&'static str, i64) {
    match t {
        Target::Alert(id) => ("alert", id),
        Target::Cluster(id) => ("cluster", id),
    }
}

const DECISION_COLUMNS: &str = "id, target_kind, target_id, verdict, actor, at_ns, reason";

fn decision_row(r: &Row) -> Result<Decision> {
    decision_row_at(r, 0)
}

/// A decision in the columns from `b` on (in `DECISION_COLUMNS`' order).
fn decision_row_at(r: &Row, b: usize) -> Result<Decision> {
    let kind: String = r.get(b + 1);
    let tid: i64 = r.get(b + 2);
    let verdict: String = r.get(b + 3);
    Ok(Decision {
        id: r.get(b),
        target: if kind == "cluster" {
            Target::Cluster(tid)
        } else {
            Target::Alert(tid)
        },
        verdict: Verdict::parse(&verdict)
            .ok_or_else(|| Error::Database(format!("unknown verdict {verdict:?}")))?,
        actor: text(r, b + 4)?,
        at_ns: un(r.get(b + 5)),
        reason: text(r, b + 6)?,
    })
}

/// A cluster with its latest decision (one statement, not one per cluster).
const CLUSTER_SELECT: &str =
    "SELECT c.id, c.rule, c.hostname, c.image, c.count, c.first_ns, c.last_ns,
   d.id, d.target_kind, d.target_id, d.verdict, d.actor, d.at_ns, d.reason,
   c.signature, c.last_id, c.priority, c.namespace
 FROM clusters c LEFT JOIN LATERAL (
   SELECT id, target_kind, target_id, verdict, actor, at_ns, reason FROM decisions
   WHERE target_kind = 'cluster' AND target_id = c.id ORDER BY id DESC LIMIT 1
 ) d ON true";

fn cluster_row(r: &Row) -> Result<Cluster> {
    let id: i64 = r.get(0);
    let image = text(r, 3)?;
    let decided: Option<i64> = r.get(7);
    Ok(Cluster {
        id,
        rule: text(r, 1)?,
        hostname: text(r, 2)?,
        container_image: (!image.is_empty()).then_some(image),
        signature: text(r, 14)?,
        count: un(r.get(4)),
        first_seen_ns: un(r.get(5)),
        last_seen_ns: un(r.get(6)),
        decision: match decided {
            Some(_) => Some(decision_row_at(r, 7)?),
            None => None,
        },
    })
}

async fn clusters(c: &deadpool_postgres::Object, q: &ClusterQuery) -> PResult<ClusterPage> {
    let mut sql = Sql::new(format!("{CLUSTER_SELECT} WHERE true"));
    if let Some(v) = &q.rule {
        sql.add(" AND c.rule = ?", bytes(v));
    }
    if let Some(v) = &q.host {
        sql.add(" AND c.hostname = ?", bytes(v));
    }
    if let Some(v) = &q.image {
        sql.add(" AND c.image = ?", bytes(v));
    }
    if let Some(v) = q.since_ns {
        sql.add(" AND c.last_ns >= ?", ns(v));
    }
    if let Some(v) = q.until_ns {
        sql.add(" AND c.first_ns < ?", ns(v));
    }
    if let Some(cur) = &q.cursor {
        let id: i64 = cur
            .strip_prefix('c')
            .and_then(|s| s.parse().ok())
            .ok_or(Error::InvalidCursor)?;
        sql.add(" AND c.id < ?", id);
    }
    let limit = crate::sqlite::limit_of(q.limit);
    sql.text
        .push_str(&format!(" ORDER BY c.id DESC LIMIT {}", limit + 1));
    let st = c.prepare_cached(&sql.text).await?;
    let rows = c.query(&st, &sql.refs()).await?;
    let mut clusters = rows.iter().map(cluster_row).collect::<Result<Vec<_>>>()?;
    let next_cursor = if clusters.len() > limit {
        clusters.truncate(limit);
        clusters.last().map(|k| format!("c{}", k.id))
    } else {
        None
    };
    Ok(ClusterPage {
        clusters,
        next_cursor,
    })
}

/// The inbox, as SQLite's (`sqlite::inbox`): clusters by last seen, the filters checked on
/// at most `budget` clusters read in that order (an inner query numbers them; the matches
/// and the last one read come back).
async fn inbox(
    c: &deadpool_postgres::Object,
    q: &crate::InboxPlan,
    budget: usize,
) -> PResult<InboxPage> {
    let mut sql = Sql::new(String::new());
    let mut check: Vec<String> = Vec::new();
    let mut filter = |sql: &mut Sql, clause: &str, vals: Vec<Boxed>| {
        let mut text = String::new();
        let mut parts = clause.split('?');
        text.push_str(parts.next().unwrap_or(""));
        for (v, rest) in vals.into_iter().zip(parts) {
            sql.args.push(v);
            text.push_str(&format!("${}", sql.args.len()));
            text.push_str(rest);
        }
        check.push(text);
    };
    if let Some(v) = &q.query.rule {
        filter(&mut sql, "rule = ?", vec![Box::new(bytes(v))]);
    }
    if let Some(v) = &q.query.host {
        filter(&mut sql, "hostname = ?", vec![Box::new(bytes(v))]);
    }
    if let Some(v) = &q.query.image {
        filter(&mut sql, "image = ?", vec![Box::new(bytes(v))]);
    }
    if let Some(v) = &q.query.namespace {
        filter(&mut sql, "namespace = ?", vec![Box::new(bytes(v))]);
    }
    if let Some(p) = q.max_prio {
        filter(
            &mut sql,
            "prio <= ?",
            vec![Box::new(i32::try_from(p).unwrap_or(8))],
        );
    }
    if let Some(v) = q.query.since_ns {
        filter(&mut sql, "last_ns >= ?", vec![Box::new(ns(v))]);
    }
    if let Some(v) = q.query.until_ns {
        filter(&mut sql, "first_ns < ?", vec![Box::new(ns(v))]);
    }
    if let Some(d) = &q.query.decision {
        filter(
            &mut sql,
            "coalesce((SELECT verdict FROM decisions WHERE target_kind = 'cluster'
               AND target_id = clusters.id ORDER BY id DESC LIMIT 1), 'none') = ?",
            vec![Box::new(d.clone())],
        );
    }
    if let Some(v) = &q.query.text {
        filter(
            &mut sql,
            "(position(? in rule) > 0 OR position(? in hostname) > 0 OR position(? in image) > 0
              OR position(? in coalesce(namespace, ''::bytea)) > 0)",
            vec![
                Box::new(bytes(v)),
                Box::new(bytes(v)),
                Box::new(bytes(v)),
                Box::new(bytes(v)),
            ],
        );
    }
    let mut seek = String::new();
    if let Some(cur) = &q.query.cursor {
        let (t, id) = crate::sqlite::parse_inbox_cursor(cur)?;
        let before = std::mem::take(&mut sql.text);
        sql.add(" AND last_hour <= ?", t / crate::TREND_BUCKET_NS as i64);
        sql.add(" AND (last_ns < ?", t);
        sql.add(" OR (last_ns = ?", t);
        sql.add(" AND id < ?))", id);
        seek = std::mem::replace(&mut sql.text, before);
    }
    let limit = q.limit;
    let budget = budget.max(limit + 1);
    let hit = if check.is_empty() {
        "true".to_string()
    } else {
        check.join(" AND ")
    };
    let read = if check.is_empty() { limit + 1 } else { budget };
    sql.text = format!(
        "SELECT c.id, c.rule, c.hostname, c.image, c.count, c.first_ns, c.last_ns,
           d.id, d.target_kind, d.target_id, d.verdict, d.actor, d.at_ns, d.reason,
           c.signature, c.last_id, c.priority, c.namespace, s.hit, s.n
         FROM (
           SELECT i, t, hit, row_number() OVER (ORDER BY t DESC, i DESC) AS n
           FROM (SELECT id AS i, last_ns AS t, coalesce({hit}, false) AS hit FROM clusters WHERE true{seek}
                 ORDER BY last_hour DESC, last_ns DESC, id DESC LIMIT {read}) AS r
         ) AS s
         JOIN clusters c ON c.id = s.i
         LEFT JOIN LATERAL (
           SELECT id, target_kind, target_id, verdict, actor, at_ns, reason FROM decisions
           WHERE target_kind = 'cluster' AND target_id = c.id ORDER BY id DESC LIMIT 1
         ) d ON true
         WHERE s.hit OR s.n = {read}
         ORDER BY s.t DESC, s.i DESC LIMIT {}",
        limit + 1
    );
    let st = c.prepare_cached(&sql.text).await?;
    let rows = c.query(&st, &sql.refs()).await?;
    let mut found = Vec::new();
    let mut last_read: Option<(i64, i64)> = None;
    for r in &rows {
        let n: i64 = r.get(19);
        if usize::try_from(n).is_ok_and(|n| n == read) && !check.is_empty() {
            last_read = Some((r.get(6), r.get(0)));
        }
        if r.get::<_, bool>(18) {
            let last_id: i64 = r.get(15);
            let priority: String = r.get(16);
            found.push((cluster_row(r)?, last_id, priority, opt_text(r, 17)?));
        }
    }
    let (next_cursor, partial) = if found.len() > limit {
        found.truncate(limit);
        let cursor = found
            .last()
            .map(|k| format!("k{}.{}", ns(k.0.last_seen_ns), k.0.id));
        (cursor, false)
    } else if let Some((t, id)) = last_read {
        (Some(format!("k{t}.{id}")), true)
    } else {
        (None, false)
    };
    let cids: Vec<i64> = found.iter().map(|k| k.0.id).collect();
    let lids: Vec<i64> = found.iter().map(|k| k.1).collect();
    let mut latest: HashMap<i64, StoredAlert> = HashMap::new();
    let mut trends: HashMap<i64, Vec<u64>> = HashMap::new();
    if !found.is_empty() {
        let st = c
            .prepare_cached(&format!(
                "SELECT {ALERT_COLUMNS}, context FROM alerts WHERE id = ANY($1)"
            ))
            .await?;
        for r in c.query(&st, &[&lids]).await? {
            let a = alert_row(&r)?;
            latest.insert(a.id, a);
        }
        let st = c
            .prepare_cached(
                "SELECT cluster_id, hour, count FROM cluster_hours
                 WHERE cluster_id = ANY($1) AND hour >= $2 AND hour < $3",
            )
            .await?;
        let end = q.trend_start_hour + crate::TREND_BUCKETS as i64;
        for r in c.query(&st, &[&cids, &q.trend_start_hour, &end]).await? {
            let (cid, h, n): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
            let slot = trends
                .entry(cid)
                .or_insert_with(|| vec![0; crate::TREND_BUCKETS]);
            if let Some(x) = usize::try_from(h - q.trend_start_hour)
                .ok()
                .and_then(|i| slot.get_mut(i))
            {
                *x = un(n);
            }
        }
    }
    let clusters = found
        .into_iter()
        .map(
            |(cluster, last_id, priority, namespace)| crate::InboxCluster {
                latest: latest.remove(&last_id),
                trend: trends
                    .remove(&cluster.id)
                    .unwrap_or_else(|| vec![0; crate::TREND_BUCKETS]),
                cluster,
                priority,
                namespace,
                latest_alert_id: last_id,
                trend_start_ns: un(q
                    .trend_start_hour
                    .saturating_mul(crate::TREND_BUCKET_NS as i64)),
            },
        )
        .collect();
    Ok(InboxPage {
        clusters,
        next_cursor,
        partial,
    })
}

async fn decide_tx(
    t: &deadpool_postgres::Transaction<'_>,
    d: &NewDecision,
    now: u64,
) -> PResult<Decision> {
    let (kind, id) = target_parts(d.target);
    // The target is locked (KEY SHARE) so that retention cannot drop it meanwhile.
    let exists = match d.target {
        Target::Alert(_) => {
            t.query_opt("SELECT 1 FROM alerts WHERE id = $1 FOR KEY SHARE", &[&id])
                .await?
        }
        Target::Cluster(_) => {
            t.query_opt("SELECT 1 FROM clusters WHERE id = $1 FOR KEY SHARE", &[&id])
                .await?
        }
    };
    if exists.is_none() {
        return Err(Error::NotFound(format!("{kind} {id}")).into());
    }
    let did: i64 = t
        .query_one(
            "INSERT INTO decisions (target_kind, target_id, verdict, actor, at_ns, reason)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &kind,
                &id,
                &d.verdict.as_str(),
                &d.actor.as_bytes(),
                &ns(now),
                &d.reason.as_bytes(),
            ],
        )
        .await?
        .get(0);
    audit_row(
        t,
        now,
        &d.actor,
        "decision.create",
        &format!("{kind}:{id}"),
        &serde_json::json!({"decision": did, "verdict": d.verdict.as_str(), "reason": d.reason}),
    )
    .await?;
    Ok(Decision {
        id: did,
        target: d.target,
        verdict: d.verdict,
        actor: d.actor.clone(),
        at_ns: now,
        reason: d.reason.clone(),
    })
}

async fn save_ruleset_tx(
    t: &deadpool_postgres::Transaction<'_>,
    r: &NewRuleSet,
    now: u64,
) -> PResult<RuleSetSummary> {
    let version: i64 = t
        .query_one(
            "INSERT INTO rulesets (author, at_ns, comment) VALUES ($1, $2, $3) RETURNING version",
            &[&r.author.as_bytes(), &ns(now), &r.comment.as_bytes()],
        )
        .await?
        .get(0);
    for file in &r.files {
        t.execute(
            "INSERT INTO ruleset_files (version, name, contents) VALUES ($1, $2, $3)",
            &[&version, &file.name.as_bytes(), &file.contents.as_bytes()],
        )
        .await?;
    }
    for x in &r.exceptions {
        t.execute(
            "INSERT INTO ruleset_exceptions (version, rule, name, proposer, verification, comment, expires_ns)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &version,
                &x.rule.as_bytes(),
                &x.name.as_bytes(),
                &x.proposer.as_bytes(),
                &x.verification.as_ref().map(Json::to_string),
                &x.comment.as_bytes(),
                &x.expires_ns.map(ns),
            ],
        )
        .await?;
    }
    audit_row(
        t,
        now,
        &r.author,
        "ruleset.save",
        &format!("ruleset:{version}"),
        &serde_json::json!({
            "comment": r.comment,
            "files": r.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            "exceptions": r.exceptions.len(),
        }),
    )
    .await?;
    Ok(RuleSetSummary {
        version,
        author: r.author.clone(),
        at_ns: now,
        comment: r.comment.clone(),
        files: r.files.len(),
        exceptions: r.exceptions.len(),
    })
}

const SENSOR_COLUMNS: &str = "id, name, host, kernel, quell_version, first_ns, last_ns, drops";

fn sensor_row(r: &Row) -> Result<Sensor> {
    let drops: String = r.get(7);
    Ok(Sensor {
        id: r.get(0),
        name: text(r, 1)?,
        host: text(r, 2)?,
        kernel: text(r, 3)?,
        quell_version: text(r, 4)?,
        first_seen_ns: un(r.get(5)),
        last_seen_ns: un(r.get(6)),
        drops: serde_json::from_str(&drops).unwrap_or_default(),
    })
}

async fn report_sensor_tx(
    t: &deadpool_postgres::Transaction<'_>,
    s: &SensorReport,
    now: u64,
) -> PResult<Sensor> {
    let drops = serde_json::to_string(&s.drops).map_err(|e| Error::Invalid(e.to_string()))?;
    let name = s.name.as_bytes();
    // The first report registers (and is audited); concurrent first reports from two
    // servers register once.
    let new = t
        .query_opt(
            "INSERT INTO sensors (name, host, kernel, quell_version, first_ns, last_ns, drops)
             VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING id",
            &[
                &name,
                &s.host.as_bytes(),
                &s.kernel.as_bytes(),
                &s.quell_version.as_bytes(),
                &ns(now),
                &drops,
            ],
        )
        .await?;
    if new.is_some() {
        audit_row(
            t,
            now,
            &s.name,
            "sensor.register",
            &format!("sensor:{}", s.name),
            &serde_json::json!({"host": s.host, "kernel": s.kernel, "quell_version": s.quell_version}),
        )
        .await?;
    } else {
        t.execute(
            "UPDATE sensors SET host = $2, kernel = $3, quell_version = $4,
               last_ns = greatest(last_ns, $5), drops = $6 WHERE name = $1",
            &[
                &name,
                &s.host.as_bytes(),
                &s.kernel.as_bytes(),
                &s.quell_version.as_bytes(),
                &ns(now),
                &drops,
            ],
        )
        .await?;
    }
    let row = t
        .query_one(
            &format!("SELECT {SENSOR_COLUMNS} FROM sensors WHERE name = $1"),
            &[&name],
        )
        .await?;
    Ok(sensor_row(&row)?)
}

const TOKEN_COLUMNS: &str = "id, name, role, created_ns, created_by, revoked_ns";

fn token_row(r: &Row) -> Result<TokenInfo> {
    let role: String = r.get(2);
    let revoked: Option<i64> = r.get(5);
    Ok(TokenInfo {
        id: r.get(0),
        name: text(r, 1)?,
        role: Role::parse(&role)
            .ok_or_else(|| Error::Database(format!("unknown role {role:?}")))?,
        created_ns: un(r.get(3)),
        created_by: text(r, 4)?,
        revoked_ns: revoked.map(un),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewAlert, NewDecision, Target, Verdict};

    /// A database of its own on the test server (`QUELL_TEST_POSTGRES`, as the store's
    /// integration tests), dropped afterwards, also when the test fails.
    struct Db {
        admin: String,
        name: String,
        spec: String,
    }

    impl Db {
        async fn new() -> Db {
            let admin = std::env::var("QUELL_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgresql:///postgres?host=/var/run/postgresql".into());
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let name = format!("quell_unit_{}_{nanos}", std::process::id());
            let c = client(&admin).await;
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            // The URL with the database replaced: `scheme://authority/name?query`.
            let (scheme, rest) = admin.split_once("://").unwrap();
            let (head, query) = rest.split_once('?').unwrap_or((rest, ""));
            let authority = head.split_once('/').map_or(head, |(a, _)| a);
            let spec = format!("{scheme}://{authority}/{name}?{query}");
            Db { admin, name, spec }
        }
    }

    impl Drop for Db {
        fn drop(&mut self) {
            let (admin, name) = (self.admin.clone(), self.name.clone());
            let r = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    client(&admin)
                        .await
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                })
            })
            .join();
            if !matches!(r, Ok(Ok(()))) && !std::thread::panicking() {
                panic!("could not drop the test database: {r:?}");
            }
        }
    }

    async fn client(url: &str) -> tokio_postgres::Client {
        let (c, conn) = tokio_postgres::connect(url, NoTls)
            .await
            .unwrap_or_else(|e| panic!("no PostgreSQL at {url:?} ({e}): see the crate README"));
        tokio::spawn(conn);
        c
    }

    fn batch(range: std::ops::Range<u64>) -> Batch {
        let alerts = range
            .map(|i| {
                NewAlert::new(
                    serde_json::json!({
                        "rule": format!("R{}", i % 3), "priority": "Warning", "hostname": "h",
                        "time": format!("2024-01-01T00:00:{:02}.{:09}Z", i % 60, i),
                        "output": format!("o {i}"),
                        "output_fields": {"container.image.repository": "img"},
                    })
                    .to_string(),
                )
            })
            .collect();
        crate::prep::prepare("s", alerts, 7).unwrap()
    }

    type Rows = Vec<(i64, Vec<u8>, String, i64)>;

    async fn rows(c: &tokio_postgres::Client) -> Rows {
        c.query(
            "SELECT id, key, raw, cluster_id FROM alerts ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
    }

    /// Foreign keys to clusters: on `alerts` and on each of its partitions.
    async fn foreign_keys(c: &tokio_postgres::Client) -> i64 {
        c.query_one(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'clusters'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    }

    /// Stores a batch as schema 3 did (clusters by rule, host and image only).
    async fn ingest_v3(pg: &Pg, b: &Batch) {
        let days: BTreeSet<i64> = b.alerts.iter().map(|a| day_of(a.time_ns)).collect();
        pg.ensure_partitions(&days).await.unwrap();
        let c = pg.client().await.unwrap();
        for a in &b.alerts {
            let image = a.container_image.as_deref().unwrap_or("").as_bytes();
            let cluster: i64 = c
                .query_one(
                    "INSERT INTO clusters (rule, hostname, image, count, first_ns, last_ns)
                     VALUES ($1, $2, $3, 1, $4, $4)
                     ON CONFLICT (rule, hostname, image) DO UPDATE SET count = clusters.count + 1,
                       first_ns = least(clusters.first_ns, excluded.first_ns),
                       last_ns = greatest(clusters.last_ns, excluded.last_ns)
                     RETURNING id",
                    &[
                        &a.rule.as_bytes(),
                        &a.hostname.as_bytes(),
                        &image,
                        &a.time_ns,
                    ],
                )
                .await
                .unwrap()
                .get(0);
            c.execute(
                "INSERT INTO alerts (key, received_ns, time_ns, rule, priority, hostname,
                   container_id, container_image, k8s_ns, source, sensor, cluster_id, output, raw)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &unhex(&a.key),
                    &b.received_ns,
                    &a.time_ns,
                    &a.rule.as_bytes(),
                    &a.priority,
                    &a.hostname.as_bytes(),
                    &a.container_id.as_deref().map(str::as_bytes),
                    &a.container_image.as_deref().map(str::as_bytes),
                    &a.k8s_namespace.as_deref().map(str::as_bytes),
                    &a.source.as_bytes(),
                    &b.sensor.as_bytes(),
                    &cluster,
                    &a.output.as_bytes(),
                    &a.raw,
                ],
            )
            .await
            .unwrap();
        }
    }

    /// A database at the previous schema version, with alerts, clusters and a decision, is
    /// migrated by the current code with everything kept (ids, keys, clusters, decisions;
    /// retries still duplicates); a database marked newer than the binary is then refused
    /// and left untouched.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_previous_schema_is_migrated_and_a_newer_one_refused() {
        let db = Db::new().await;
        let options = Options::default();
        let old = Pg::connect(&db.spec, &options).unwrap();
        old.migrate(SCHEMA_VERSION - 1).await.unwrap();
        assert_eq!(old.schema_version().await.unwrap(), SCHEMA_VERSION - 1);
        ingest_v3(&old, &batch(0..50)).await;
        let decided = old
            .decide(
                &NewDecision::new(Target::Cluster(1), Verdict::Benign, "ana", "known job"),
                9,
            )
            .await
            .unwrap();
        old.close();
        let c = client(&db.spec).await;
        let before = rows(&c).await;
        assert_eq!(before.len(), 50);
        // While the newest migration is the one dropping the foreign key, the previous
        // version has it (on `alerts` and its one partition).
        if MIGRATIONS
            .last()
            .is_some_and(|m| m.contains("DROP CONSTRAINT IF EXISTS alerts_cluster_id_fkey"))
        {
            assert_eq!(foreign_keys(&c).await, 2);
        }

        let pg = Pg::open(&db.spec, &options).await.unwrap();
        assert_eq!(pg.schema_version().await.unwrap(), SCHEMA_VERSION);
        assert_eq!(rows(&c).await, before);
        assert_eq!(foreign_keys(&c).await, 0);
        assert_eq!(pg.decisions(None).await.unwrap(), vec![decided]);
        // Schema 4: the clusters are kept with an empty behaviour signature, their latest
        // alert found; the hourly counts made.
        let clusters: Vec<(i64, Vec<u8>, i64, i64, String)> = c
            .query(
                "SELECT id, signature, count, last_id, priority FROM clusters ORDER BY id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        assert_eq!(clusters.len(), 3);
        for k in &clusters {
            let latest: i64 = c
                .query_one(
                    "SELECT id FROM alerts WHERE cluster_id = $1 ORDER BY time_ns DESC, id DESC LIMIT 1",
                    &[&k.0],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(
                (k.1.as_slice(), k.2, k.3, k.4.as_str()),
                (&b""[..], 17 - i64::from(k.0 == 3), latest, "Warning")
            );
        }
        let hours: i64 = c
            .query_one("SELECT sum(count)::int8 FROM cluster_hours", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(hours, 50);
        // A retry of what the old schema stored, and more: the old alerts are duplicates
        // with their ids, the new ones follow.
        let out = pg.ingest(&batch(40..60)).await.unwrap();
        assert_eq!((out.stored, out.duplicates), (10, 10));
        assert_eq!(
            out.ids[..10],
            before[40..].iter().map(|r| r.0).collect::<Vec<_>>()[..]
        );
        let counts: i64 = c
            .query_one("SELECT sum(count)::int8 FROM clusters", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(counts, 60);
        pg.close();

        // Marked newer than this binary: refused, nothing changed.
        c.execute(
            "UPDATE schema_version SET version = $1",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
        let kept = rows(&c).await;
        match Pg::open(&db.spec, &options).await {
            Err(Error::SchemaTooNew { found, known }) => {
                assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            other => panic!("a newer schema was opened: {:?}", other.map(|p| p.label)),
        }
        let v: i64 = c
            .query_one("SELECT version FROM schema_version", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(v, SCHEMA_VERSION + 1);
        assert_eq!(rows(&c).await, kept);
    }
}
