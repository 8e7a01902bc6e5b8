//! The SQLite backend: WAL, one writer thread that commits queued writes together (each in
//! its own savepoint, so one failing write does not undo the others), a small pool of
//! reader connections used from `spawn_blocking`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value as Json;

use crate::prep::Batch;
use crate::{
    AlertPage, AlertQuery, AuditEntry, AuditQuery, Cluster, ClusterPage, ClusterQuery, Decision,
    Error, ExceptionProvenance, InboxPage, IngestOutcome, NewDecision, NewRuleSet, NewToken,
    Options, Result, Role, RuleFile, RuleSet, RuleSetSummary, Sensor, SensorReport, StoredAlert,
    Target, TokenInfo, Verdict,
};

/// The newest schema version this backend knows.
pub(crate) const SCHEMA_VERSION: i64 = 4;

/// Migrations: version n is `MIGRATIONS[n - 1]`, applied in order in one transaction each.
/// Add new versions at the end; never edit a released one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE clusters (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    hostname TEXT NOT NULL,
    image TEXT NOT NULL,            -- '' for the host
    count INTEGER NOT NULL,
    first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL,
    UNIQUE (rule, hostname, image)
);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL UNIQUE,      -- SHA-256, 32 bytes (hex in the API)
    received_ns INTEGER NOT NULL,
    time_ns INTEGER NOT NULL,
    rule TEXT NOT NULL,
    priority TEXT NOT NULL,
    hostname TEXT NOT NULL,
    container_id TEXT,
    container_image TEXT,
    k8s_ns TEXT,
    source TEXT NOT NULL,
    sensor TEXT NOT NULL,
    cluster_id INTEGER NOT NULL REFERENCES clusters(id),
    output TEXT NOT NULL,
    raw TEXT NOT NULL,
    context TEXT
);
CREATE INDEX alerts_time ON alerts (time_ns, id);
CREATE INDEX alerts_rule ON alerts (rule, time_ns);
CREATE INDEX alerts_host ON alerts (hostname, time_ns);
CREATE INDEX alerts_container ON alerts (container_id, time_ns);
CREATE INDEX alerts_image ON alerts (container_image, time_ns);
CREATE INDEX alerts_ns ON alerts (k8s_ns, time_ns);
CREATE INDEX alerts_cluster ON alerts (cluster_id, time_ns);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    target_kind TEXT NOT NULL,      -- 'alert' | 'cluster'
    target_id INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ns INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX decisions_target ON decisions (target_kind, target_id, id);
CREATE TABLE rulesets (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    author TEXT NOT NULL,
    at_ns INTEGER NOT NULL,
    comment TEXT NOT NULL
);
CREATE TABLE ruleset_files (
    version INTEGER NOT NULL REFERENCES rulesets(version),
    name TEXT NOT NULL,
    contents TEXT NOT NULL,
    PRIMARY KEY (version, name)
);
CREATE TABLE ruleset_exceptions (
    version INTEGER NOT NULL REFERENCES rulesets(version),
    rule TEXT NOT NULL,
    name TEXT NOT NULL,
    proposer TEXT NOT NULL,
    verification TEXT,
    comment TEXT NOT NULL,
    expires_ns INTEGER,
    PRIMARY KEY (version, rule, name)
);
CREATE TABLE sensors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    kernel TEXT NOT NULL,
    quell_version TEXT NOT NULL,
    first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL,
    drops TEXT NOT NULL
);
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_ns INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    revoked_ns INTEGER
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at_ns INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#,
    // 2: the idempotency key is unique together with the alert time, `(time_ns, key)`, not
    // alone. The key hashes the whole alert, its time included, so two alerts with one key have
    // one time and the constraint is the same; but a B-tree ordered by random hashes took a
    // write into a random page for every alert (most pages of that index dirtied, and written
    // to the WAL, by every commit), while alerts arrive roughly in time order, so the new index
    // is written near its end. SQLite cannot drop a table's UNIQUE constraint: the table is
    // rebuilt (ids kept).
    r#"
CREATE TABLE alerts_v2 (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL,             -- SHA-256, 32 bytes (hex in the API); unique with time_ns
    received_ns INTEGER NOT NULL,
    time_ns INTEGER NOT NULL,
    rule TEXT NOT NULL,
    priority TEXT NOT NULL,
    hostname TEXT NOT NULL,
    container_id TEXT,
    container_image TEXT,
    k8s_ns TEXT,
    source TEXT NOT NULL,
    sensor TEXT NOT NULL,
    cluster_id INTEGER NOT NULL REFERENCES clusters(id),
    output TEXT NOT NULL,
    raw TEXT NOT NULL,
    context TEXT
);
INSERT INTO alerts_v2 SELECT id, key, received_ns, time_ns, rule, priority, hostname,
    container_id, container_image, k8s_ns, source, sensor, cluster_id, output, raw, context
    FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_v2 RENAME TO alerts;
CREATE UNIQUE INDEX alerts_key ON alerts (time_ns, key);
CREATE INDEX alerts_time ON alerts (time_ns, id);
CREATE INDEX alerts_rule ON alerts (rule, time_ns);
CREATE INDEX alerts_host ON alerts (hostname, time_ns);
CREATE INDEX alerts_container ON alerts (container_id, time_ns);
CREATE INDEX alerts_image ON alerts (container_image, time_ns);
CREATE INDEX alerts_ns ON alerts (k8s_ns, time_ns);
CREATE INDEX alerts_cluster ON alerts (cluster_id, time_ns);
"#,
    // 3 (PostgreSQL's 3 drops its alerts' foreign key, a PostgreSQL matter): new alerts
    // land in `alerts_recent`, whose two indexes are both ordered by time and so written
    // near their ends, and the writer moves them into `alerts` in batches of
    // thousands (`Options::merge_rows`). A commit into `alerts` itself dirtied a page of every
    // secondary index for each distinct value it inserted (hosts, rules, clusters, images...),
    // hundreds of 16 KiB pages per commit of 500 alerts, all written to the WAL: most of the
    // writer's time and about 34 KB of disk writes per alert. Moving many commits' alerts at
    // once shares those pages among many more alerts. Readers see both tables
    // (`alerts_all`, or both arms of a query); an alert keeps its id when it moves.
    r#"
CREATE TABLE alerts_recent (
    id INTEGER PRIMARY KEY,        -- given by the writer: above every id of both tables
    key BLOB NOT NULL,
    received_ns INTEGER NOT NULL,
    time_ns INTEGER NOT NULL,
    rule TEXT NOT NULL,
    priority TEXT NOT NULL,
    hostname TEXT NOT NULL,
    container_id TEXT,
    container_image TEXT,
    k8s_ns TEXT,
    source TEXT NOT NULL,
    sensor TEXT NOT NULL,
    cluster_id INTEGER NOT NULL,   -- no foreign key: it would make emptying the table visit
                                   -- every row; the move into `alerts` checks it
    output TEXT NOT NULL,
    raw TEXT NOT NULL,
    context TEXT
);
CREATE UNIQUE INDEX alerts_recent_key ON alerts_recent (time_ns, key);
CREATE INDEX alerts_recent_time ON alerts_recent (time_ns, id);
CREATE VIEW alerts_all AS
    SELECT id, key, received_ns, time_ns, rule, priority, hostname, container_id,
        container_image, k8s_ns, source, sensor, cluster_id, output, raw, context FROM alerts
    UNION ALL
    SELECT id, key, received_ns, time_ns, rule, priority, hostname, container_id,
        container_image, k8s_ns, source, sensor, cluster_id, output, raw, context
        FROM alerts_recent;
"#,
    // 4: behaviour clusters and the inbox. A cluster's key gains quell-triage's behaviour
    // signature (computed at ingest from the alert and its event context): an operator's
    // deletion and a web shell's deletion in one container are two clusters. Clusters
    // made before keep their alerts, with an empty signature. A cluster also keeps its
    // latest alert (id, priority and its rank, namespace) for the inbox, sorted by last
    // seen (indexed by its hour, which changes at most once an hour, rather than by the time,
    // which changes with every alert); `cluster_hours` counts each cluster's alerts per hour
    // of their time, kept at ingest in the same transaction, so a trend reads no alert. SQLite cannot drop a
    // UNIQUE constraint: the table is rebuilt, ids kept (foreign keys are off during
    // migrations and checked before the commit).
    r#"
CREATE TABLE clusters_v4 (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    hostname TEXT NOT NULL,
    image TEXT NOT NULL,            -- '' for the host
    signature TEXT NOT NULL,        -- '' for clusters made before schema 4
    count INTEGER NOT NULL,
    first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL,
    last_id INTEGER NOT NULL DEFAULT 0,
    priority TEXT NOT NULL DEFAULT '',
    prio INTEGER NOT NULL DEFAULT 8,
    namespace TEXT,
    last_hour INTEGER NOT NULL DEFAULT 0,   -- last_ns / 3600e9: the inbox's order, indexed
    UNIQUE (rule, hostname, image, signature)
);
INSERT INTO clusters_v4 (id, rule, hostname, image, signature, count, first_ns, last_ns)
    SELECT id, rule, hostname, image, '', count, first_ns, last_ns FROM clusters;
DROP TABLE clusters;
ALTER TABLE clusters_v4 RENAME TO clusters;
UPDATE clusters SET last_id = coalesce((SELECT max(a.id) FROM alerts_all a
    WHERE a.cluster_id = clusters.id AND a.time_ns = clusters.last_ns), 0);
UPDATE clusters SET
    priority = coalesce((SELECT a.priority FROM alerts_all a WHERE a.id = clusters.last_id), ''),
    namespace = (SELECT a.k8s_ns FROM alerts_all a WHERE a.id = clusters.last_id);
UPDATE clusters SET prio = CASE priority WHEN 'Emergency' THEN 0 WHEN 'Alert' THEN 1
    WHEN 'Critical' THEN 2 WHEN 'Error' THEN 3 WHEN 'Warning' THEN 4 WHEN 'Notice' THEN 5
    WHEN 'Informational' THEN 6 WHEN 'Debug' THEN 7 ELSE 8 END;
UPDATE clusters SET last_hour = last_ns / 3600000000000;
CREATE INDEX clusters_last ON clusters (last_hour);
CREATE TABLE cluster_hours (
    cluster_id INTEGER NOT NULL,
    hour INTEGER NOT NULL,          -- time_ns / 3600e9
    count INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, hour)
) WITHOUT ROWID;
INSERT INTO cluster_hours (cluster_id, hour, count)
    SELECT cluster_id, time_ns / 3600000000000, count(*) FROM alerts_all GROUP BY 1, 2;
"#,
];

/// Every column of `alerts` and `alerts_recent`, in their order.
const STORED_COLUMNS: &str = "id, key, received_ns, time_ns, rule, priority, hostname, \
    container_id, container_image, k8s_ns, source, sensor, cluster_id, output, raw, context";

/// Moves every alert of `alerts_recent` into `alerts` (ids kept), in the caller's
/// transaction; returns how many moved.
pub(crate) fn merge_recent(c: &Connection) -> Result<usize> {
    let moved = c.execute(
        &format!(
            "INSERT INTO alerts ({STORED_COLUMNS}) SELECT {STORED_COLUMNS} FROM alerts_recent \
             ORDER BY id"
        ),
        [],
    )?;
    c.execute("DELETE FROM alerts_recent", [])?;
    Ok(moved)
}

/// At least as many alerts as `alerts_recent` holds (ids there are dense: the writer gives
/// them in order), read from its id index alone.
fn recent_rows(c: &Connection) -> Result<usize> {
    let n: i64 = c.query_row(
        "SELECT coalesce((SELECT max(id) FROM alerts_recent) - (SELECT min(id) FROM alerts_recent) + 1, 0)",
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

type Reply = Box<dyn FnOnce(Option<Error>) + Send>;

/// A queued write: run in the writer's transaction, or failed without running.
trait Job: Send {
    /// Runs; says whether it succeeded and gives the reply to send once the outcome of
    /// the commit is known.
    fn run(self: Box<Self>, c: &Connection) -> (bool, Reply);
    /// Answers with `e` without running.
    fn fail(self: Box<Self>, e: Error);
}

struct WriteJob<F, T> {
    f: F,
    tx: tokio::sync::oneshot::Sender<Result<T>>,
}

impl<F, T> Job for WriteJob<F, T>
where
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, c: &Connection) -> (bool, Reply) {
        let WriteJob { f, tx } = *self;
        let r = f(c);
        let ok = r.is_ok();
        let reply: Reply = Box::new(move |commit_error| {
            let _ = tx.send(match commit_error {
                None => r,
                Some(e) => Err(e),
            });
        });
        (ok, reply)
    }

    fn fail(self: Box<Self>, e: Error) {
        let _ = self.tx.send(Err(e));
    }
}

pub(crate) struct Sqlite {
    pub(crate) path: PathBuf,
    jobs: Mutex<Option<mpsc::Sender<Box<dyn Job>>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
    max_readers: usize,
    pub(crate) scan_budget: usize,
}

/// A connection with `cache_kib` KiB of page cache.
fn connect(path: &PathBuf, cache_kib: i64) -> Result<Connection> {
    let c = Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    c.pragma_update(None, "foreign_keys", true)?;
    // SQLite's default cache (2 MiB) makes every index insert into a large table a read
    // system call; a negative size is in KiB.
    c.pragma_update(None, "cache_size", -cache_kib)?;
    Ok(c)
}

/// Page cache of the writer and of each reader, KiB.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
const READER_CACHE_KIB: i64 = 16 * 1024;
/// The largest memory map of the database file a reader makes, bytes (address space, not
/// memory: the pages stay the kernel's page cache).
const READER_MMAP_BYTES: i64 = 1 << 30;

impl Sqlite {
    /// Opens the database, migrates it, starts the writer. Blocking.
    pub(crate) fn open(path: PathBuf, options: Options) -> Result<Sqlite> {
        let mut w = connect(&path, WRITER_CACHE_KIB)?;
        // Larger pages: fewer system calls per alert (takes effect only on a new database).
        w.pragma_update(None, "page_size", 16384)?;
        // FULL (the default, `Options::full_sync`): a commit is fsynced to the disk before it
        // is acknowledged. NORMAL in WAL mode: a commit is in the WAL file, written through
        // the operating system, when acknowledged; it survives the process being killed, and
        // only a power loss or OS crash can lose the last commits (never corrupting the
        // database).
        w.pragma_update(
            None,
            "synchronous",
            if options.full_sync { "FULL" } else { "NORMAL" },
        )?;
        // Before anything is changed: a database from a newer quell is refused untouched.
        migrate(&mut w)?;
        // WAL: readers do not block the writer.
        let mode: String = w.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Database(format!(
                "could not switch the database to WAL (journal mode {mode})"
            )));
        }
        // Each job runs in a savepoint, whose journal of the pages it changes is a temporary
        // file by default: kept in memory instead (one job's pages).
        w.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint the WAL into the database every ~64 MiB rather than every 4 MiB.
        w.pragma_update(None, "wal_autocheckpoint", 4096)?;
        let max_group = options.max_group.max(1);
        let merge_rows = options.merge_rows.max(1);
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let writer = std::thread::Builder::new()
            .name("quell-store-writer".into())
            .spawn(move || writer_loop(w, rx, max_group, merge_rows))
            .map_err(|e| Error::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(Sqlite {
            path,
            jobs: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            readers: Mutex::new(Vec::new()),
            max_readers: options.readers.max(1),
            scan_budget: options.scan_budget.max(1),
        })
    }

    /// Stops the writer after the queued writes. Blocking.
    pub(crate) fn close(&self) -> Result<()> {
        drop(self.jobs.lock().map_err(|_| Error::Closed)?.take());
        let handle = self.writer.lock().map_err(|_| Error::Closed)?.take();
        if let Some(h) = handle {
            h.join()
                .map_err(|_| Error::Database("the writer thread panicked".into()))?;
        }
        Ok(())
    }

    /// Runs `f` in the writer's transaction; returns once it is committed.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<T>>();
        let job: Box<dyn Job> = Box::new(WriteJob { f, tx });
        {
            let guard = self.jobs.lock().map_err(|_| Error::Closed)?;
            guard
                .as_ref()
                .ok_or(Error::Closed)?
                .send(job)
                .map_err(|_| Error::Closed)?;
        }
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Runs `f` on a reader connection off the runtime.
    pub(crate) async fn read<T: Send + 'static>(
        self: &std::sync::Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = std::sync::Arc::clone(self);
        crate::blocking(move || {
            let pooled = me.readers.lock().map_err(|_| Error::Closed)?.pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = connect(&me.path, READER_CACHE_KIB)?;
                    // Reads through a memory map: a page of the database file is then read
                    // without a system call (a history of thousands of alerts, read on a
                    // reader whose cache is cold, was a `pread` per page).
                    let _: i64 = c.query_row(
                        &format!("PRAGMA mmap_size = {READER_MMAP_BYTES}"),
                        [],
                        |r| r.get(0),
                    )?;
                    c
                }
            };
            let r = f(&conn);
            let mut pool = me.readers.lock().map_err(|_| Error::Closed)?;
            if pool.len() < me.max_readers {
                pool.push(conn);
            }
            r
        })
        .await
    }
}

fn writer_loop(
    conn: Connection,
    rx: mpsc::Receiver<Box<dyn Job>>,
    max_group: usize,
    merge_rows: usize,
) {
    while let Ok(first) = rx.recv() {
        // Between groups: move the recent alerts once there are enough of them (migration
        // 3). A failure leaves them where they are, still read, and is tried again later.
        if recent_rows(&conn).is_ok_and(|n| n >= merge_rows)
            && conn.execute_batch("BEGIN IMMEDIATE").is_ok()
        {
            let end = match merge_recent(&conn) {
                Ok(_) => "COMMIT",
                Err(_) => "ROLLBACK",
            };
            if conn.execute_batch(end).is_err() {
                let _ = conn.execute_batch("ROLLBACK");
            }
        }
        let mut jobs = vec![first];
        while jobs.len() < max_group {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let e = Error::from(e);
            for job in jobs {
                job.fail(e.clone());
            }
            continue;
        }
        let mut replies: Vec<Reply> = Vec::with_capacity(jobs.len());
        let mut broken: Option<Error> = None;
        for job in jobs {
            if let Some(e) = &broken {
                job.fail(e.clone());
                continue;
            }
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                let e = Error::from(e);
                job.fail(e.clone());
                broken = Some(e);
                continue;
            }
            let (ok, reply) = job.run(&conn);
            let end = if ok {
                conn.execute_batch("RELEASE job")
            } else {
                conn.execute_batch("ROLLBACK TO job; RELEASE job")
            };
            replies.push(reply);
            if let Err(e) = end {
                broken = Some(Error::from(e));
            }
        }
        let commit = match broken {
            Some(e) => Err(e),
            None => conn.execute_batch("COMMIT").map_err(Error::from),
        };
        match commit {
            Ok(()) => replies.into_iter().for_each(|reply| reply(None)),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                replies.into_iter().for_each(|reply| reply(Some(e.clone())));
            }
        }
    }
}

/// Applies pending migrations; refuses a database newer than this binary.
fn migrate(c: &mut Connection) -> Result<()> {
    // A migration may rebuild a table others refer to (4: `clusters`): foreign keys are off
    // meanwhile (they cannot be switched inside a transaction) and checked before the commit.
    let enforced: bool = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    c.pragma_update(None, "foreign_keys", false)?;
    let r = migrate_tx(c);
    c.pragma_update(None, "foreign_keys", enforced)?;
    r
}

fn migrate_tx(c: &mut Connection) -> Result<()> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let found: Option<i64> =
        tx.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))?;
    let found = found.unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let v = i as i64 + 1;
        if v > found {
            tx.execute_batch(sql)?;
            tx.execute("DELETE FROM schema_version", [])?;
            tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [v])?;
        }
    }
    let broken: Option<String> = tx
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .optional()?;
    if let Some(table) = broken {
        return Err(Error::Database(format!(
            "a migration left a broken reference in {table}"
        )));
    }
    tx.commit()?;
    Ok(())
}

pub(crate) fn schema_version(c: &Connection) -> Result<i64> {
    Ok(c.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))?)
}

fn ns(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn un(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn audit_row(
    c: &Connection,
    at: u64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &Json,
) -> Result<()> {
    c.execute(
        "INSERT INTO audit (at_ns, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ns(at), actor, action, target, detail.to_string()],
    )?;
    Ok(())
}

pub(crate) fn ingest(c: &Connection, batch: &Batch) -> Result<IngestOutcome> {
    let mut out = IngestOutcome::default();
    // The key is unique with the alert time (migration 2): looked up by both.
    let mut find = c.prepare_cached(
        "SELECT id FROM alerts WHERE time_ns = ?2 AND key = unhex(?1)
         UNION ALL SELECT id FROM alerts_recent WHERE time_ns = ?2 AND key = unhex(?1)",
    )?;
    // Ids continue above both tables' (the newest alerts are in `alerts_recent`, unless
    // it was just merged).
    let mut next_id: i64 = c.query_row(
        "SELECT max(coalesce((SELECT max(id) FROM alerts), 0),
                    coalesce((SELECT max(id) FROM alerts_recent), 0)) + 1",
        [],
        |r| r.get(0),
    )?;
    // A cluster keeps its latest alert (by time; the later id on a tie): the expressions
    // of the update all read the row as it was.
    let mut cluster = c.prepare_cached(
        "INSERT INTO clusters (rule, hostname, image, signature, count, first_ns, last_ns,
           last_id, priority, prio, namespace, last_hour)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (rule, hostname, image, signature) DO UPDATE SET
           count = count + 1,
           first_ns = min(first_ns, excluded.first_ns),
           last_ns = max(last_ns, excluded.last_ns),
           last_id = CASE WHEN excluded.last_ns >= last_ns THEN excluded.last_id ELSE last_id END,
           priority = CASE WHEN excluded.last_ns >= last_ns THEN excluded.priority ELSE priority END,
           prio = CASE WHEN excluded.last_ns >= last_ns THEN excluded.prio ELSE prio END,
           namespace = CASE WHEN excluded.last_ns >= last_ns THEN excluded.namespace ELSE namespace END
         RETURNING id, last_hour",
    )?;
    // The indexed hour is written only when it moves (an assignment, even of the same value,
    // would rewrite the index entry for every alert).
    let mut hour_moved =
        c.prepare_cached("UPDATE clusters SET last_hour = ?2 WHERE id = ?1 AND last_hour < ?2")?;
    let mut hours: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut insert = c.prepare_cached(
        "INSERT INTO alerts_recent (key, received_ns, time_ns, rule, priority, hostname,
           container_id, container_image, k8s_ns, source, sensor, cluster_id, output, raw,
           context, id)
         VALUES (unhex(?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for a in &batch.alerts {
        if let Some(id) = find
            .query_row(params![a.key, a.time_ns], |r| r.get::<_, i64>(0))
            .optional()?
        {
            out.duplicates += 1;
            out.ids.push(id);
            continue;
        }
        let image = a.container_image.as_deref().unwrap_or("");
        let hour = a.time_ns / crate::TREND_BUCKET_NS as i64;
        let (cluster_id, last_hour): (i64, i64) = cluster.query_row(
            params![
                a.rule,
                a.hostname,
                image,
                a.signature,
                a.time_ns,
                next_id,
                a.priority,
                a.prio,
                a.k8s_namespace,
                hour
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if hour > last_hour {
            hour_moved.execute(params![cluster_id, hour])?;
        }
        *hours.entry((cluster_id, hour)).or_default() += 1;
        insert.execute(params![
            a.key,
            batch.received_ns,
            a.time_ns,
            a.rule,
            a.priority,
            a.hostname,
            a.container_id,
            a.container_image,
            a.k8s_namespace,
            a.source,
            batch.sensor,
            cluster_id,
            a.output,
            a.raw,
            a.context,
            next_id,
        ])?;
        out.stored += 1;
        out.ids.push(next_id);
        next_id += 1;
    }
    // The trend's counts, in the same transaction: one row per cluster and hour.
    let mut hour = c.prepare_cached(
        "INSERT INTO cluster_hours (cluster_id, hour, count) VALUES (?1, ?2, ?3)
         ON CONFLICT (cluster_id, hour) DO UPDATE SET count = count + excluded.count",
    )?;
    for ((cid, h), n) in hours {
        hour.execute(params![cid, h, n])?;
    }
    Ok(out)
}

const ALERT_COLUMNS: &str =
    "id, lower(hex(key)), received_ns, time_ns, rule, priority, hostname, container_id,
    container_image, k8s_ns, source, sensor, cluster_id, output, raw";

fn alert_row(r: &Row<'_>, context: Option<String>) -> rusqlite::Result<StoredAlert> {
    Ok(StoredAlert {
        id: r.get(0)?,
        key: r.get(1)?,
        received_ns: un(r.get(2)?),
        time_ns: un(r.get(3)?),
        rule: r.get(4)?,
        priority: r.get(5)?,
        hostname: r.get(6)?,
        container_id: r.get(7)?,
        container_image: r.get(8)?,
        k8s_namespace: r.get(9)?,
        source: r.get(10)?,
        sensor: r.get(11)?,
        cluster_id: r.get(12)?,
        output: r.get(13)?,
        raw: r.get(14)?,
        context: context.and_then(|t| serde_json::from_str(&t).ok()),
    })
}

pub(crate) fn limit_of(l: Option<usize>) -> usize {
    l.unwrap_or(100).clamp(1, 1000)
}

/// A cursor: `a<time>.<id>` for alerts, `c<id>` for clusters.
pub(crate) fn parse_alert_cursor(s: &str) -> Result<(i64, i64)> {
    let rest = s.strip_prefix('a').ok_or(Error::InvalidCursor)?;
    let (t, id) = rest.split_once('.').ok_or(Error::InvalidCursor)?;
    Ok((
        t.parse().map_err(|_| Error::InvalidCursor)?,
        id.parse().map_err(|_| Error::InvalidCursor)?,
    ))
}

pub(crate) fn alerts(c: &Connection, q: &AlertQuery, budget: usize) -> Result<AlertPage> {
    use rusqlite::types::Value as V;
    // One filter is sought through its index (the first present of cluster, host, rule,
    // namespace, container; else the time index), with the time range and the cursor; the
    // others are checked on each row read, and at most `budget` rows are read for a page.
    // A rare combination or a text found in few alerts thus costs a bounded scan and a
    // partial page with a cursor, never a scan of the whole table in one request.
    let mut args: Vec<V> = Vec::new();
    let mut arg = |v: V| {
        args.push(v);
        format!("?{}", args.len())
    };
    let mut seek: Option<String> = None;
    let mut check: Vec<String> = Vec::new();
    let mut filter = |clause: String, seekable: bool| {
        if seekable && seek.is_none() {
            seek = Some(clause);
        } else {
            check.push(clause);
        }
    };
    if let Some(v) = q.cluster_id {
        filter(format!("cluster_id = {}", arg(V::Integer(v))), true);
    }
    if let Some(v) = &q.host {
        filter(format!("hostname = {}", arg(V::Text(v.clone()))), true);
    }
    if let Some(v) = &q.rule {
        filter(format!("rule = {}", arg(V::Text(v.clone()))), true);
    }
    if let Some(v) = &q.namespace {
        filter(format!("k8s_ns = {}", arg(V::Text(v.clone()))), true);
    }
    if let Some(v) = &q.container {
        let (a, b) = (arg(V::Text(v.clone())), arg(V::Text(v.clone())));
        filter(
            format!("(container_id = {a} OR container_image = {b})"),
            true,
        );
    }
    if let Some(v) = &q.priority {
        let p = stored_priority(v);
        filter(format!("priority = {}", arg(V::Text(p))), false);
    }
    if let Some(v) = &q.sensor {
        filter(format!("sensor = {}", arg(V::Text(v.clone()))), false);
    }
    if let Some(v) = &q.text {
        let (a, b) = (arg(V::Text(v.clone())), arg(V::Text(v.clone())));
        filter(
            format!("(instr(output, {a}) > 0 OR instr(rule, {b}) > 0)"),
            false,
        );
    }
    let mut sql_where = String::from(" WHERE 1");
    if let Some(s) = &seek {
        sql_where.push_str(&format!(" AND {s}"));
    }
    if let Some(v) = q.since_ns {
        sql_where.push_str(&format!(" AND time_ns >= {}", arg(V::Integer(ns(v)))));
    }
    if let Some(v) = q.until_ns {
        sql_where.push_str(&format!(" AND time_ns < {}", arg(V::Integer(ns(v)))));
    }
    if let Some(cur) = &q.cursor {
        let (t, id) = parse_alert_cursor(cur)?;
        let (a, b, i) = (arg(V::Integer(t)), arg(V::Integer(t)), arg(V::Integer(id)));
        sql_where.push_str(&format!(
            " AND (time_ns < {a} OR (time_ns = {b} AND id < {i}))"
        ));
    }
    let limit = limit_of(q.limit);
    let budget = budget.max(limit + 1);
    let hit = if check.is_empty() {
        "1".to_string()
    } else {
        check.join(" AND ")
    };
    // Both tables, each read in time order through its own index, merged by SQLite (a
    // compound with ORDER BY is a merge of its arms, so LIMIT stops both early; a view
    // under ORDER BY would sort every match first).
    let context = if q.with_context { "context" } else { "NULL" };
    let sql = format!(
        "SELECT {ALERT_COLUMNS}, {context}, {hit} FROM alerts{sql_where}
         UNION ALL
         SELECT {ALERT_COLUMNS}, {context}, {hit} FROM alerts_recent{sql_where}
         ORDER BY time_ns DESC, id DESC LIMIT {}",
        if check.is_empty() { limit + 1 } else { budget }
    );
    let mut st = c.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    let mut alerts = Vec::new();
    let mut read = 0usize;
    let mut last_read: Option<(i64, i64)> = None;
    while let Some(r) = rows.next()? {
        read += 1;
        last_read = Some((r.get(3)?, r.get(0)?));
        if r.get::<_, bool>(16)? {
            let context: Option<String> = r.get(15)?;
            alerts.push(alert_row(r, context)?);
            if alerts.len() > limit {
                break;
            }
        }
    }
    let (next_cursor, partial) = if alerts.len() > limit {
        alerts.truncate(limit);
        let cursor = alerts
            .last()
            .map(|a| format!("a{}.{}", ns(a.time_ns), a.id));
        (cursor, false)
    } else if !check.is_empty() && read >= budget {
        // The budget ran out: the search goes on from the last row read.
        (last_read.map(|(t, id)| format!("a{t}.{id}")), true)
    } else {
        (None, false)
    };
    Ok(AlertPage {
        alerts,
        next_cursor,
        partial,
    })
}

/// A priority as stored (`Warning`: stored priorities went through
/// [`quell_events::FalcoAlert::from_json`]), or a value no alert has.
pub(crate) fn stored_priority(s: &str) -> String {
    quell_rules::load::Priority::parse(s).map_or_else(|| "\0none".into(), |p| p.as_str().into())
}

pub(crate) fn alert(c: &Connection, id: i64) -> Result<Option<StoredAlert>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS}, context FROM alerts_all WHERE id = ?1"
    ))?;
    Ok(st
        .query_row([id], |r| {
            let context: Option<String> = r.get(15)?;
            alert_row(r, context)
        })
        .optional()?)
}

fn verdict_of(s: &str) -> rusqlite::Result<Verdict> {
    Verdict::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown verdict {s:?}").into(),
        )
    })
}

fn decision_row(r: &Row<'_>) -> rusqlite::Result<Decision> {
    let kind: String = r.get(1)?;
    let tid: i64 = r.get(2)?;
    let verdict: String = r.get(3)?;
    Ok(Decision {
        id: r.get(0)?,
        target: if kind == "cluster" {
            Target::Cluster(tid)
        } else {
            Target::Alert(tid)
        },
        verdict: verdict_of(&verdict)?,
        actor: r.get(4)?,
        at_ns: un(r.get(5)?),
        reason: r.get(6)?,
    })
}

const DECISION_COLUMNS: &str = "id, target_kind, target_id, verdict, actor, at_ns, reason";

fn latest_decision(c: &Connection, kind: &str, id: i64) -> Result<Option<Decision>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE target_kind = ?1 AND target_id = ?2
         ORDER BY id DESC LIMIT 1"
    ))?;
    Ok(st.query_row(params![kind, id], decision_row).optional()?)
}

fn cluster_row(c: &Connection, r: &Row<'_>) -> Result<Cluster> {
    let id: i64 = r.get(0)?;
    let image: String = r.get(3)?;
    Ok(Cluster {
        id,
        rule: r.get(1)?,
        hostname: r.get(2)?,
        container_image: (!image.is_empty()).then_some(image),
        signature: r.get(7)?,
        count: un(r.get(4)?),
        first_seen_ns: un(r.get(5)?),
        last_seen_ns: un(r.get(6)?),
        decision: latest_decision(c, "cluster", id)?,
    })
}

const CLUSTER_COLUMNS: &str = "id, rule, hostname, image, count, first_ns, last_ns, signature";

pub(crate) fn clusters(c: &Connection, q: &ClusterQuery) -> Result<ClusterPage> {
    use rusqlite::types::Value as V;
    let mut sql = format!("SELECT {CLUSTER_COLUMNS} FROM clusters WHERE 1");
    let mut args: Vec<V> = Vec::new();
    let mut add = |clause: &str, v: V, sql: &mut String| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(v) = &q.rule {
        add(" AND rule = ?", V::Text(v.clone()), &mut sql);
    }
    if let Some(v) = &q.host {
        add(" AND hostname = ?", V::Text(v.clone()), &mut sql);
    }
    if let Some(v) = &q.image {
        add(" AND image = ?", V::Text(v.clone()), &mut sql);
    }
    if let Some(v) = q.since_ns {
        add(" AND last_ns >= ?", V::Integer(ns(v)), &mut sql);
    }
    if let Some(v) = q.until_ns {
        add(" AND first_ns < ?", V::Integer(ns(v)), &mut sql);
    }
    if let Some(cur) = &q.cursor {
        let id: i64 = cur
            .strip_prefix('c')
            .and_then(|s| s.parse().ok())
            .ok_or(Error::InvalidCursor)?;
        add(" AND id < ?", V::Integer(id), &mut sql);
    }
    let limit = limit_of(q.limit);
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
    let mut st = c.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    let mut clusters = Vec::new();
    while let Some(r) = rows.next()? {
        clusters.push(cluster_row(c, r)?);
    }
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

pub(crate) fn cluster(c: &Connection, id: i64) -> Result<Option<Cluster>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {CLUSTER_COLUMNS} FROM clusters WHERE id = ?1"
    ))?;
    let mut rows = st.query([id])?;
    match rows.next()? {
        Some(r) => Ok(Some(cluster_row(c, r)?)),
        None => Ok(None),
    }
}

/// An inbox cursor: `k<last_ns>.<id>`.
pub(crate) fn parse_inbox_cursor(s: &str) -> Result<(i64, i64)> {
    let rest = s.strip_prefix('k').ok_or(Error::InvalidCursor)?;
    let (t, id) = rest.split_once('.').ok_or(Error::InvalidCursor)?;
    Ok((
        t.parse().map_err(|_| Error::InvalidCursor)?,
        id.parse().map_err(|_| Error::InvalidCursor)?,
    ))
}

/// The inbox: clusters by last seen (then id), newest first, read through `clusters_last`
/// (by hour, then sorted within the hour);
/// the filters are checked on each cluster read, at most `budget` of them per page (a
/// partial page with a cursor past that), as alert pages do.
pub(crate) fn inbox(c: &Connection, q: &crate::InboxPlan, budget: usize) -> Result<InboxPage> {
    use rusqlite::types::Value as V;
    let mut args: Vec<V> = Vec::new();
    let mut arg = |v: V| {
        args.push(v);
        format!("?{}", args.len())
    };
    let mut check: Vec<String> = Vec::new();
    if let Some(v) = &q.query.rule {
        check.push(format!("rule = {}", arg(V::Text(v.clone()))));
    }
    if let Some(v) = &q.query.host {
        check.push(format!("hostname = {}", arg(V::Text(v.clone()))));
    }
    if let Some(v) = &q.query.image {
        check.push(format!("image = {}", arg(V::Text(v.clone()))));
    }
    if let Some(v) = &q.query.namespace {
        check.push(format!("namespace = {}", arg(V::Text(v.clone()))));
    }
    if let Some(p) = q.max_prio {
        check.push(format!("prio <= {}", arg(V::Integer(p))));
    }
    if let Some(v) = q.query.since_ns {
        check.push(format!("last_ns >= {}", arg(V::Integer(ns(v)))));
    }
    if let Some(v) = q.query.until_ns {
        check.push(format!("first_ns < {}", arg(V::Integer(ns(v)))));
    }
    if let Some(d) = &q.query.decision {
        check.push(format!(
            "coalesce((SELECT verdict FROM decisions WHERE target_kind = 'cluster'
               AND target_id = clusters.id ORDER BY id DESC LIMIT 1), 'none') = {}",
            arg(V::Text(d.clone()))
        ));
    }
    if let Some(v) = &q.query.text {
        let parts: Vec<String> = ["rule", "hostname", "image", "coalesce(namespace, '')"]
            .iter()
            .map(|col| format!("instr({col}, {}) > 0", arg(V::Text(v.clone()))))
            .collect();
        check.push(format!("({})", parts.join(" OR ")));
    }
    let mut sql_where = String::from(" WHERE 1");
    if let Some(cur) = &q.query.cursor {
        let (t, id) = parse_inbox_cursor(cur)?;
        let (a, b, i) = (arg(V::Integer(t)), arg(V::Integer(t)), arg(V::Integer(id)));
        let h = arg(V::Integer(t / crate::TREND_BUCKET_NS as i64));
        sql_where.push_str(&format!(
            " AND last_hour <= {h} AND (last_ns < {a} OR (last_ns = {b} AND id < {i}))"
        ));
    }
    let limit = q.limit;
    let budget = budget.max(limit + 1);
    let hit = if check.is_empty() {
        "1".to_string()
    } else {
        check.join(" AND ")
    };
    let sql = format!(
        "SELECT {CLUSTER_COLUMNS}, last_id, priority, namespace, coalesce({hit}, 0) FROM clusters{sql_where}
         ORDER BY last_hour DESC, last_ns DESC, id DESC LIMIT {}",
        if check.is_empty() { limit + 1 } else { budget }
    );
    let mut st = c.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    let mut found: Vec<(Cluster, i64, String, Option<String>)> = Vec::new();
    let mut read = 0usize;
    let mut last_read: Option<(i64, i64)> = None;
    while let Some(r) = rows.next()? {
        read += 1;
        last_read = Some((r.get(6)?, r.get(0)?));
        if r.get::<_, bool>(11)? {
            found.push((cluster_row(c, r)?, r.get(8)?, r.get(9)?, r.get(10)?));
            if found.len() > limit {
                break;
            }
        }
    }
    drop(rows);
    let (next_cursor, partial) = if found.len() > limit {
        found.truncate(limit);
        let cursor = found
            .last()
            .map(|k| format!("k{}.{}", ns(k.0.last_seen_ns), k.0.id));
        (cursor, false)
    } else if !check.is_empty() && read >= budget {
        (last_read.map(|(t, id)| format!("k{t}.{id}")), true)
    } else {
        (None, false)
    };
    let mut hours = c.prepare_cached(
        "SELECT hour, count FROM cluster_hours WHERE cluster_id = ?1 AND hour >= ?2 AND hour < ?3",
    )?;
    let mut clusters = Vec::with_capacity(found.len());
    for (cluster, last_id, priority, namespace) in found {
        let mut trend = vec![0u64; crate::TREND_BUCKETS];
        let rows = hours.query_map(
            params![
                cluster.id,
                q.trend_start_hour,
                q.trend_start_hour + crate::TREND_BUCKETS as i64
            ],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        for row in rows {
            let (h, n) = row?;
            if let Some(slot) = usize::try_from(h - q.trend_start_hour)
                .ok()
                .and_then(|i| trend.get_mut(i))
            {
                *slot = un(n);
            }
        }
        clusters.push(crate::InboxCluster {
            latest: alert(c, last_id)?,
            cluster,
            priority,
            namespace,
            latest_alert_id: last_id,
            trend_start_ns: un(q
                .trend_start_hour
                .saturating_mul(crate::TREND_BUCKET_NS as i64)),
            trend,
        });
    }
    Ok(InboxPage {
        clusters,
        next_cursor,
        partial,
    })
}

pub(crate) fn cluster_trend(
    c: &Connection,
    cluster_id: i64,
    since: u64,
    until: u64,
    bucket: u64,
    buckets: usize,
) -> Result<Vec<u64>> {
    let mut st = c.prepare_cached(
        "SELECT (time_ns - ?2) / ?4, count(*) FROM alerts_all
         WHERE cluster_id = ?1 AND time_ns >= ?2 AND time_ns < ?3 GROUP BY 1",
    )?;
    let mut out = vec![0u64; buckets];
    let rows = st.query_map(params![cluster_id, ns(since), ns(until), ns(bucket)], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (b, n) = row?;
        if let Some(slot) = usize::try_from(b).ok().and_then(|b| out.get_mut(b)) {
            *slot = un(n);
        }
    }
    Ok(out)
}

fn target_parts(t: Target) -> (&'static str, i64) {
    match t {
        Target::Alert(id) => ("alert", id),
        Target::Cluster(id) => ("cluster", id),
    }
}

pub(crate) fn decide(c: &Connection, d: &NewDecision, now: u64) -> Result<Decision> {
    let (kind, id) = target_parts(d.target);
    let table = if kind == "alert" {
        "alerts_all"
    } else {
        "clusters"
    };
    let exists: Option<i64> = c
        .query_row(&format!("SELECT 1 FROM {table} WHERE id = ?1"), [id], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Err(Error::NotFound(format!("{kind} {id}")));
    }
    c.execute(
        "INSERT INTO decisions (target_kind, target_id, verdict, actor, at_ns, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![kind, id, d.verdict.as_str(), d.actor, ns(now), d.reason],
    )?;
    let did = c.last_insert_rowid();
    audit_row(
        c,
        now,
        &d.actor,
        "decision.create",
        &format!("{kind}:{id}"),
        &serde_json::json!({"decision": did, "verdict": d.verdict.as_str(), "reason": d.reason}),
    )?;
    Ok(Decision {
        id: did,
        target: d.target,
        verdict: d.verdict,
        actor: d.actor.clone(),
        at_ns: now,
        reason: d.reason.clone(),
    })
}

pub(crate) fn decisions(c: &Connection, target: Option<Target>) -> Result<Vec<Decision>> {
    let mut out = Vec::new();
    match target {
        Some(t) => {
            let (kind, id) = target_parts(t);
            let mut st = c.prepare_cached(&format!(
                "SELECT {DECISION_COLUMNS} FROM decisions WHERE target_kind = ?1 AND target_id = ?2
                 ORDER BY id DESC"
            ))?;
            for d in st.query_map(params![kind, id], decision_row)? {
                out.push(d?);
            }
        }
        None => {
            let mut st = c.prepare_cached(&format!(
                "SELECT {DECISION_COLUMNS} FROM decisions ORDER BY id DESC"
            ))?;
            for d in st.query_map([], decision_row)? {
                out.push(d?);
            }
        }
    }
    Ok(out)
}

pub(crate) fn decisions_as_history(c: &Connection) -> Result<Vec<String>> {
    // Each alert's effective verdict: its own latest decision, else its cluster's latest if
    // the alert was received before that decision was made (a decision covers what people
    // saw: an alert arriving later in a cluster called benign, perhaps an attacker's, is not
    // benign history). Driven by the decisions (the alerts decided on and those of decided
    // clusters), so an export does not read every alert when few are decided.
    // Each table is read through its own index: a join with the `alerts_all` view made
    // SQLite materialise the whole view (every alert's text) first, seconds at 1 M alerts.
    let arm = |table: &str| {
        format!(
            "SELECT a.raw, a.time_ns, a.id, coalesce(own.verdict, cl.verdict) AS v
             FROM decided CROSS JOIN {table} a ON a.id = decided.id
             LEFT JOIN latest own ON own.target_kind = 'alert' AND own.target_id = a.id
             LEFT JOIN latest cl ON cl.target_kind = 'cluster' AND cl.target_id = a.cluster_id
               AND a.received_ns <= cl.at_ns"
        )
    };
    let mut st = c.prepare_cached(&format!(
        "WITH latest AS (
           SELECT target_kind, target_id, verdict, at_ns FROM decisions d
           WHERE id = (SELECT max(id) FROM decisions e
                       WHERE e.target_kind = d.target_kind AND e.target_id = d.target_id)
         ),
         decided AS (
           SELECT target_id AS id FROM latest WHERE target_kind = 'alert'
           UNION
           SELECT a.id FROM latest l JOIN alerts a
             ON a.cluster_id = l.target_id AND a.received_ns <= l.at_ns
           WHERE l.target_kind = 'cluster'
           UNION
           SELECT a.id FROM latest l JOIN alerts_recent a
             ON a.cluster_id = l.target_id AND a.received_ns <= l.at_ns
           WHERE l.target_kind = 'cluster'
         )
         SELECT raw, v FROM ({} UNION ALL {})
         WHERE v IN ('benign', 'real')
         ORDER BY time_ns, id",
        arm("alerts"),
        arm("alerts_recent")
    ))?;
    let mut out = Vec::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let raw: String = r.get(0)?;
        let verdict: String = r.get(1)?;
        if let Some(line) = crate::prep::history_line(&raw, verdict) {
            out.push(line);
        }
    }
    Ok(out)
}

pub(crate) fn save_ruleset(c: &Connection, r: &NewRuleSet, now: u64) -> Result<RuleSetSummary> {
    c.execute(
        "INSERT INTO rulesets (author, at_ns, comment) VALUES (?1, ?2, ?3)",
        params![r.author, ns(now), r.comment],
    )?;
    let version = c.last_insert_rowid();
    let mut f = c.prepare_cached(
        "INSERT INTO ruleset_files (version, name, contents) VALUES (?1, ?2, ?3)",
    )?;
    for file in &r.files {
        f.execute(params![version, file.name, file.contents])?;
    }
    let mut e = c.prepare_cached(
        "INSERT INTO ruleset_exceptions (version, rule, name, proposer, verification, comment, expires_ns)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for x in &r.exceptions {
        e.execute(params![
            version,
            x.rule,
            x.name,
            x.proposer,
            x.verification.as_ref().map(Json::to_string),
            x.comment,
            x.expires_ns.map(ns),
        ])?;
    }
    audit_row(
        c,
        now,
        &r.author,
        "ruleset.save",
        &format!("ruleset:{version}"),
        &serde_json::json!({
            "comment": r.comment,
            "files": r.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            "exceptions": r.exceptions.len(),
        }),
    )?;
    Ok(RuleSetSummary {
        version,
        author: r.author.clone(),
        at_ns: now,
        comment: r.comment.clone(),
        files: r.files.len(),
        exceptions: r.exceptions.len(),
    })
}

pub(crate) fn rulesets(c: &Connection) -> Result<Vec<RuleSetSummary>> {
    let mut st = c.prepare_cached(
        "SELECT r.version, r.author, r.at_ns, r.comment,
           (SELECT count(*) FROM ruleset_files f WHERE f.version = r.version),
           (SELECT count(*) FROM ruleset_exceptions e WHERE e.version = r.version)
         FROM rulesets r ORDER BY r.version DESC",
    )?;
    let rows = st.query_map([], |r| {
        Ok(RuleSetSummary {
            version: r.get(0)?,
            author: r.get(1)?,
            at_ns: un(r.get(2)?),
            comment: r.get(3)?,
            files: usize::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
            exceptions: usize::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn ruleset(c: &Connection, version: Option<i64>) -> Result<Option<RuleSet>> {
    let head = match version {
        Some(v) => c
            .query_row(
                "SELECT version, author, at_ns, comment FROM rulesets WHERE version = ?1",
                [v],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?,
        None => c
            .query_row(
                "SELECT version, author, at_ns, comment FROM rulesets ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?,
    };
    let Some((version, author, at, comment)) = head else {
        return Ok(None);
    };
    let at: i64 = at;
    let mut st = c.prepare_cached(
        "SELECT name, contents FROM ruleset_files WHERE version = ?1 ORDER BY name",
    )?;
    let files = st
        .query_map([version], |r| {
            Ok(RuleFile::new(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut st = c.prepare_cached(
        "SELECT rule, name, proposer, verification, comment, expires_ns FROM ruleset_exceptions
         WHERE version = ?1 ORDER BY rule, name",
    )?;
    let exceptions = st
        .query_map([version], |r| {
            let verification: Option<String> = r.get(3)?;
            let expires: Option<i64> = r.get(5)?;
            let mut e = ExceptionProvenance::new(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            );
            e.verification = verification.and_then(|t| serde_json::from_str(&t).ok());
            e.comment = r.get(4)?;
            e.expires_ns = expires.map(un);
            Ok(e)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(RuleSet {
        version,
        author,
        at_ns: un(at),
        comment,
        files,
        exceptions,
    }))
}

fn drops_of(text: &str) -> BTreeMap<String, u64> {
    serde_json::from_str(text).unwrap_or_default()
}

fn sensor_row(r: &Row<'_>) -> rusqlite::Result<Sensor> {
    let drops: String = r.get(7)?;
    Ok(Sensor {
        id: r.get(0)?,
        name: r.get(1)?,
        host: r.get(2)?,
        kernel: r.get(3)?,
        quell_version: r.get(4)?,
        first_seen_ns: un(r.get(5)?),
        last_seen_ns: un(r.get(6)?),
        drops: drops_of(&drops),
    })
}

const SENSOR_COLUMNS: &str = "id, name, host, kernel, quell_version, first_ns, last_ns, drops";

pub(crate) fn report_sensor(c: &Connection, s: &SensorReport, now: u64) -> Result<Sensor> {
    let drops = serde_json::to_string(&s.drops).map_err(|e| Error::Invalid(e.to_string()))?;
    let known: Option<i64> = c
        .query_row("SELECT id FROM sensors WHERE name = ?1", [&s.name], |r| {
            r.get(0)
        })
        .optional()?;
    match known {
        Some(id) => {
            c.execute(
                "UPDATE sensors SET host = ?2, kernel = ?3, quell_version = ?4, last_ns = ?5,
                   drops = ?6 WHERE id = ?1",
                params![id, s.host, s.kernel, s.quell_version, ns(now), drops],
            )?;
        }
        None => {
            c.execute(
                "INSERT INTO sensors (name, host, kernel, quell_version, first_ns, last_ns, drops)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
                params![s.name, s.host, s.kernel, s.quell_version, ns(now), drops],
            )?;
            audit_row(
                c,
                now,
                &s.name,
                "sensor.register",
                &format!("sensor:{}", s.name),
                &serde_json::json!({"host": s.host, "kernel": s.kernel, "quell_version": s.quell_version}),
            )?;
        }
    }
    Ok(c.query_row(
        &format!("SELECT {SENSOR_COLUMNS} FROM sensors WHERE name = ?1"),
        [&s.name],
        sensor_row,
    )?)
}

pub(crate) fn sensors(c: &Connection) -> Result<Vec<Sensor>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {SENSOR_COLUMNS} FROM sensors ORDER BY name"
    ))?;
    let rows = st.query_map([], sensor_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenInfo> {
    let role: String = r.get(2)?;
    let revoked: Option<i64> = r.get(5)?;
    Ok(TokenInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown role {role:?}").into(),
            )
        })?,
        created_ns: un(r.get(3)?),
        created_by: r.get(4)?,
        revoked_ns: revoked.map(un),
    })
}

const TOKEN_COLUMNS: &str = "id, name, role, created_ns, created_by, revoked_ns";

pub(crate) fn create_token(
    c: &Connection,
    t: &NewToken,
    hash: &str,
    now: u64,
) -> Result<TokenInfo> {
    c.execute(
        "INSERT INTO tokens (name, role, hash, created_ns, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![t.name, t.role.as_str(), hash, ns(now), t.actor],
    )?;
    let id = c.last_insert_rowid();
    audit_row(
        c,
        now,
        &t.actor,
        "token.create",
        &format!("token:{id}"),
        &serde_json::json!({"name": t.name, "role": t.role.as_str()}),
    )?;
    Ok(TokenInfo {
        id,
        name: t.name.clone(),
        role: t.role,
        created_ns: now,
        created_by: t.actor.clone(),
        revoked_ns: None,
    })
}

pub(crate) fn verify_token(c: &Connection, hash: &str) -> Result<Option<TokenInfo>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1 AND revoked_ns IS NULL"
    ))?;
    Ok(st.query_row([hash], token_row).optional()?)
}

pub(crate) fn revoke_token(c: &Connection, id: i64, actor: &str, now: u64) -> Result<bool> {
    let n = c.execute(
        "UPDATE tokens SET revoked_ns = ?2 WHERE id = ?1 AND revoked_ns IS NULL",
        params![id, ns(now)],
    )?;
    if n > 0 {
        audit_row(
            c,
            now,
            actor,
            "token.revoke",
            &format!("token:{id}"),
            &serde_json::json!({}),
        )?;
    }
    Ok(n > 0)
}

pub(crate) fn tokens(c: &Connection) -> Result<Vec<TokenInfo>> {
    let mut st = c.prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"))?;
    let rows = st.query_map([], token_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn audit(c: &Connection, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let mut st = c.prepare_cached(
        "SELECT id, at_ns, actor, action, target, detail FROM audit
         WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(
        params![
            q.before_id.unwrap_or(i64::MAX),
            i64::try_from(limit_of(q.limit)).unwrap_or(100)
        ],
        |r| {
            let detail: String = r.get(5)?;
            Ok(AuditEntry {
                id: r.get(0)?,
                at_ns: un(r.get(1)?),
                actor: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                detail: serde_json::from_str(&detail).unwrap_or(Json::Null),
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewAlert;

    fn alert(i: u64) -> NewAlert {
        NewAlert::new(
            serde_json::json!({
                "rule": format!("R{}", i % 3), "priority": "Warning", "hostname": "h",
                "time": format!("2024-01-01T00:00:{:02}.{:09}Z", i % 60, i),
                "output": format!("o {i}"),
                "output_fields": {"container.image.repository": "img", "k8s.ns.name": "ns"},
            })
            .to_string(),
        )
    }

    fn batch(range: std::ops::Range<u64>) -> Batch {
        crate::prep::prepare("s", range.map(alert).collect(), 7).unwrap()
    }

    /// Stores a batch as schema 1 did: straight into `alerts`, ids given by SQLite.
    fn ingest_v1(c: &Connection, batch: &Batch) {
        for a in &batch.alerts {
            let image = a.container_image.as_deref().unwrap_or("");
            let cluster: i64 = c
                .query_row(
                    "INSERT INTO clusters (rule, hostname, image, count, first_ns, last_ns)
                     VALUES (?1, ?2, ?3, 1, ?4, ?4)
                     ON CONFLICT (rule, hostname, image) DO UPDATE SET count = count + 1,
                       first_ns = min(first_ns, excluded.first_ns),
                       last_ns = max(last_ns, excluded.last_ns)
                     RETURNING id",
                    params![a.rule, a.hostname, image, a.time_ns],
                    |r| r.get(0),
                )
                .unwrap();
            c.execute(
                "INSERT INTO alerts (key, received_ns, time_ns, rule, priority, hostname,
                   container_id, container_image, k8s_ns, source, sensor, cluster_id, output,
                   raw, context)
                 VALUES (unhex(?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    a.key,
                    batch.received_ns,
                    a.time_ns,
                    a.rule,
                    a.priority,
                    a.hostname,
                    a.container_id,
                    a.container_image,
                    a.k8s_namespace,
                    a.source,
                    batch.sensor,
                    cluster,
                    a.output,
                    a.raw,
                    a.context,
                ],
            )
            .unwrap();
        }
    }

    /// A database written by schema 1 (the key unique alone) is migrated to the newest
    /// schema (2: unique with the alert time; 3: a recent table beside) with every alert,
    /// id and cluster kept; retries still dedup and new alerts take the next ids.
    #[test]
    fn migrations_keep_alerts_and_dedup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let mut c = Connection::open(&path).unwrap();
            let tx = c.transaction().unwrap();
            tx.execute_batch(MIGRATIONS[0]).unwrap();
            tx.execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL);
                 INSERT INTO schema_version (version) VALUES (1);",
            )
            .unwrap();
            ingest_v1(&tx, &batch(0..50));
            tx.commit().unwrap();
        }
        let mut c = Connection::open(&path).unwrap();
        let before: Vec<(i64, Vec<u8>, String)> = c
            .prepare("SELECT id, key, raw FROM alerts ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(before.len(), 50);
        migrate(&mut c).unwrap();
        assert_eq!(schema_version(&c).unwrap(), SCHEMA_VERSION);
        let after: Vec<(i64, Vec<u8>, String)> = c
            .prepare("SELECT id, key, raw FROM alerts ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(before, after);
        // Schema 4: the clusters are kept (ids, counts, every alert's cluster) with an empty
        // behaviour signature, their latest alert found, and the hourly counts made.
        let clusters: Vec<(i64, String, i64, i64, String)> = c
            .prepare("SELECT id, signature, count, last_id, priority FROM clusters ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let latest: Vec<i64> = c
            .prepare(
                "SELECT (SELECT id FROM alerts a WHERE a.cluster_id = k.id
                   ORDER BY time_ns DESC, id DESC LIMIT 1) FROM clusters k ORDER BY k.id",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(clusters.len(), 3);
        for (k, want) in clusters.iter().zip(&latest) {
            assert_eq!(
                (k.1.as_str(), k.2, k.3, k.4.as_str()),
                ("", 17 - i64::from(k.0 == 3), *want, "Warning")
            );
        }
        let per_cluster: i64 = c
            .query_row(
                "SELECT count(*) FROM alerts a JOIN clusters k ON k.id = a.cluster_id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(per_cluster, 50);
        let hours: i64 = c
            .query_row("SELECT sum(count) FROM cluster_hours", [], |r| r.get(0))
            .unwrap();
        assert_eq!(hours, 50);
        let indexes: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            indexes,
            [
                "alerts_cluster",
                "alerts_container",
                "alerts_host",
                "alerts_image",
                "alerts_key",
                "alerts_ns",
                "alerts_rule",
                "alerts_time"
            ]
        );
        // A retry of what schema 1 stored, and more: the old alerts are duplicates.
        let tx = c.transaction().unwrap();
        let out = ingest(&tx, &batch(40..60)).unwrap();
        assert_eq!((out.stored, out.duplicates), (10, 10));
        assert_eq!(out.ids, (41..=60).collect::<Vec<i64>>());
        // The index refuses a second row with the same time and key.
        let again = tx.execute(
            "INSERT INTO alerts SELECT NULL, key, received_ns, time_ns, rule, priority, hostname,
               container_id, container_image, k8s_ns, source, sensor, cluster_id, output, raw,
               context FROM alerts WHERE id = 1",
            [],
        );
        assert!(again.is_err(), "{again:?}");
        tx.commit().unwrap();
        let count: i64 = c
            .query_row("SELECT sum(count) FROM clusters", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 60);
        // Migrating again changes nothing.
        migrate(&mut c).unwrap();
        assert_eq!(schema_version(&c).unwrap(), SCHEMA_VERSION);
    }
}
