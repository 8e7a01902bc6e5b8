//! Migrations, all-or-nothing batches, reopening, concurrent ingest, stable pagination,
//! hostile strings, retention, and decisions exported as triage history, on both backends
//! (see `common`).

mod common;

use common::{Kind, TestDb};

use std::collections::BTreeSet;

use proptest::prelude::*;
use quell_store::{
    AlertError, AlertQuery, ClusterQuery, Error, NewAlert, NewDecision, Store, Target, Verdict,
    SCHEMA_VERSION,
};
use serde_json::json;

fn alert(rule: &str, host: &str, t_s: u64, cmd: &str) -> String {
    json!({
        "hostname": host,
        "output": format!("Warning shell {cmd}"),
        "output_fields": {"proc.cmdline": cmd, "proc.exepath": "/usr/bin/rm", "fs.path.name": "/var/log/dpkg.log"},
        "priority": "Warning",
        "rule": rule,
        "source": "syscall",
        "tags": [],
        // Seconds since 2024-01-01T00:00:00Z, days included.
        "time": quell_rules::output::falco_time(1_704_067_200_000_000_000 + t_s * 1_000_000_000),
    })
    .to_string()
}

async fn count(store: &Store) -> usize {
    let mut n = 0;
    let mut q = AlertQuery::default();
    q.limit = Some(1000);
    loop {
        let page = store.alerts(q.clone()).await.unwrap();
        n += page.alerts.len();
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return n,
        }
    }
}

on_both!(
    migrations_and_a_newer_schema_is_refused,
    2,
    migrations_and_a_newer_schema_is_refused
);
async fn migrations_and_a_newer_schema_is_refused(db: &TestDb) {
    // Several processes opening a new database at once: one migrates, the others wait for
    // it (PostgreSQL's advisory lock; SQLite's immediate transaction) and find it done.
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let spec = db.spec.clone();
            tokio::spawn(async move { Store::open(&spec).await })
        })
        .collect();
    for o in opens {
        let s = o.await.unwrap().unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
        s.close().await.unwrap();
    }
    let store = Store::open(&db.spec).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    store
        .ingest("s", vec![NewAlert::new(alert("R", "h", 1, "x"))])
        .await
        .unwrap();
    store.close().await.unwrap();
    drop(store);
    // Opening again applies nothing and keeps the data.
    let store = Store::open(&db.spec).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(count(&store).await, 1);
    store.close().await.unwrap();
    drop(store);
    if db.kind == Kind::Postgres {
        // A database written by a newer quell is refused, and left as it was.
        let c = db.pg_client().await;
        c.execute(
            "UPDATE schema_version SET version = $1",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
        assert_eq!(
            Store::open(&db.spec).await.unwrap_err(),
            Error::SchemaTooNew {
                found: SCHEMA_VERSION + 1,
                known: SCHEMA_VERSION
            }
        );
        let v: i64 = c
            .query_one("SELECT version FROM schema_version", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(v, SCHEMA_VERSION + 1);
        // Not a PostgreSQL URL; no server there.
        assert!(matches!(
            Store::open("postgresql://[not a host").await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            Store::open("postgresql://quell@127.0.0.1:1/quell").await,
            Err(Error::Database(_))
        ));
        return;
    }
    // A database written by a newer quell is refused, and left as it was (journal mode
    // included: set back to the rollback journal here, it stays so).
    {
        let c = rusqlite::Connection::open(&db.spec).unwrap();
        c.execute(
            "UPDATE schema_version SET version = ?1",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
        let mode: String = c
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }
    assert_eq!(
        Store::open(&db.spec).await.unwrap_err(),
        Error::SchemaTooNew {
            found: SCHEMA_VERSION + 1,
            known: SCHEMA_VERSION
        }
    );
    let c = rusqlite::Connection::open(&db.spec).unwrap();
    let v: i64 = c
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1);
    let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    assert_eq!(page, 16384, "a new database gets 16 KiB pages");
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    // Not a database; no file.
    let junk = db.path().with_file_name("junk.db");
    std::fs::write(&junk, b"this is not a sqlite database, not at all........").unwrap();
    assert!(matches!(
        Store::open(junk.to_str().unwrap()).await,
        Err(Error::Database(_))
    ));
    assert!(matches!(
        Store::open(":memory:").await,
        Err(Error::Invalid(_))
    ));
}

on_both!(
    a_batch_that_fails_midway_stores_nothing,
    2,
    a_batch_that_fails_midway_stores_nothing
);
async fn a_batch_that_fails_midway_stores_nothing(db: &TestDb) {
    let store = Store::open(&db.spec).await.unwrap();
    // An alert that is not a Falco alert, third of five: refused whole, with its index.
    let mut batch: Vec<NewAlert> = (0..5)
        .map(|i| NewAlert::new(alert("R", "h", i, "x")))
        .collect();
    batch[2] = NewAlert::new(r#"{"rule":"R","priority":"Warning"}"#);
    assert_eq!(
        store.ingest("s", batch).await.unwrap_err(),
        Error::InvalidAlert {
            index: 2,
            reason: AlertError::Missing("time")
        }
    );
    assert_eq!(count(&store).await, 0);
    // A failure inside the database after two alerts were inserted: a trigger aborts the
    // third insert. Nothing of the batch stays, clusters included; the next batch works.
    match db.kind {
        Kind::Sqlite => {
            // New alerts are inserted into `alerts_recent` (migration 3).
            let c = rusqlite::Connection::open(&db.spec).unwrap();
            c.execute_batch(
                "CREATE TRIGGER boom BEFORE INSERT ON alerts_recent WHEN NEW.rule = 'boom'
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .unwrap();
        }
        Kind::Postgres => {
            db.pg_client()
                .await
                .batch_execute(
                    "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
                       $$ BEGIN RAISE EXCEPTION 'boom'; END $$;
                     CREATE TRIGGER boom BEFORE INSERT ON alerts FOR EACH ROW
                       WHEN (NEW.rule = convert_to('boom', 'UTF8')) EXECUTE FUNCTION boom();",
                )
                .await
                .unwrap();
        }
    }
    let batch = vec![
        NewAlert::new(alert("R", "h", 1, "a")),
        NewAlert::new(alert("R2", "h", 2, "b")),
        NewAlert::new(alert("boom", "h", 3, "c")),
        NewAlert::new(alert("R", "h", 4, "d")),
    ];
    assert!(matches!(
        store.ingest("s", batch).await,
        Err(Error::Database(_))
    ));
    assert_eq!(count(&store).await, 0);
    assert!(store
        .clusters(ClusterQuery::default())
        .await
        .unwrap()
        .clusters
        .is_empty());
    let ok = store
        .ingest("s", vec![NewAlert::new(alert("R", "h", 1, "a"))])
        .await
        .unwrap();
    assert_eq!((ok.stored, ok.duplicates), (1, 0));
    // Failing and succeeding writes queued together: only the failing one is undone.
    let mut tasks = Vec::new();
    for i in 0..20u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let rule = if i % 2 == 0 { "boom" } else { "fine" };
            store
                .ingest("s", vec![NewAlert::new(alert(rule, "h", 100 + i, "z"))])
                .await
        }));
    }
    let mut fine = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        if i % 2 == 0 {
            assert!(matches!(r, Err(Error::Database(_))), "{r:?}");
        } else {
            assert_eq!(r.unwrap().stored, 1);
            fine += 1;
        }
    }
    assert_eq!(count(&store).await, 1 + fine);
    let mut q = AlertQuery::default();
    q.rule = Some("boom".into());
    assert!(store.alerts(q).await.unwrap().alerts.is_empty());
    store.close().await.unwrap();
    assert_eq!(
        store
            .ingest("s", vec![NewAlert::new(alert("R", "h", 9, "late"))])
            .await
            .unwrap_err(),
        Error::Closed
    );
}

on_both!(
    reopen_after_drop_keeps_everything,
    2,
    reopen_after_drop_keeps_everything
);
async fn reopen_after_drop_keeps_everything(db: &TestDb) {
    let (ids, cluster) = {
        let store = Store::open(&db.spec).await.unwrap();
        let out = store
            .ingest(
                "s",
                (0..50)
                    .map(|i| NewAlert::new(alert("R", "h", i, "x")).with_context(json!({"i": i})))
                    .collect(),
            )
            .await
            .unwrap();
        let cluster = store.alert(out.ids[0]).await.unwrap().unwrap().cluster_id;
        store
            .decide(NewDecision::new(
                Target::Cluster(cluster),
                Verdict::Benign,
                "a",
                "why",
            ))
            .await
            .unwrap();
        // Dropped without close: what was acknowledged is committed.
        (out.ids, cluster)
    };
    let store = Store::open(&db.spec).await.unwrap();
    assert_eq!(count(&store).await, 50);
    let a = store.alert(ids[7]).await.unwrap().unwrap();
    assert_eq!(a.raw, alert("R", "h", 7, "x"));
    assert_eq!(a.context, Some(json!({"i": 7})));
    let k = store.cluster(cluster).await.unwrap().unwrap();
    assert_eq!(k.count, 50);
    assert_eq!(k.decision.unwrap().verdict, Verdict::Benign);
    // Still idempotent across the reopen.
    let again = store
        .ingest("s", vec![NewAlert::new(alert("R", "h", 7, "x"))])
        .await
        .unwrap();
    assert_eq!(
        (again.stored, again.duplicates, again.ids[0]),
        (0, 1, ids[7])
    );
}

on_both!(
    concurrent_ingest_from_three_tasks_stores_each_alert_once,
    3,
    concurrent_ingest_from_three_tasks_stores_each_alert_once
);
async fn concurrent_ingest_from_three_tasks_stores_each_alert_once(db: &TestDb) {
    let store = Store::open(&db.spec).await.unwrap();
    let mut tasks = Vec::new();
    for sender in 0..3u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let (mut stored, mut dups) = (0, 0);
            for b in 0..20u64 {
                // Senders 0 and 2 send the same alerts (same sensor, so the same keys);
                // every batch is sent twice (a retry).
                let batch: Vec<NewAlert> = (0..25u64)
                    .map(|i| {
                        NewAlert::new(alert("R", "h", b * 25 + i, &format!("c{}", sender % 2)))
                    })
                    .collect();
                for _ in 0..2 {
                    let o = store.ingest("s", batch.clone()).await.unwrap();
                    assert_eq!(o.ids.len(), 25);
                    stored += o.stored;
                    dups += o.duplicates;
                }
            }
            (stored, dups)
        }));
    }
    let mut stored = 0;
    let mut dups = 0;
    for t in tasks {
        let (s, d) = t.await.unwrap();
        stored += s;
        dups += d;
    }
    // 3 senders × 20 batches × 25 alerts × 2 tries, of which 20 × 25 × 2 are distinct.
    let mut distinct = BTreeSet::new();
    for sender in 0..3u64 {
        for t in 0..500u64 {
            distinct.insert(alert("R", "h", t, &format!("c{}", sender % 2)));
        }
    }
    assert_eq!(distinct.len(), 1000);
    assert_eq!(stored, distinct.len());
    assert_eq!(stored + dups, 3 * 20 * 25 * 2);
    assert_eq!(count(&store).await, distinct.len());
    let k = &store
        .clusters(ClusterQuery::default())
        .await
        .unwrap()
        .clusters[0];
    assert_eq!(k.count as usize, distinct.len());
    store.close().await.unwrap();
}

on_both!(
    pagination_is_stable_under_concurrent_ingest,
    2,
    pagination_is_stable_under_concurrent_ingest
);
async fn pagination_is_stable_under_concurrent_ingest(db: &TestDb) {
    let store = Store::open(&db.spec).await.unwrap();
    // Several alerts share a time: the id breaks the tie.
    let first: Vec<NewAlert> = (0..300u64)
        .map(|i| NewAlert::new(alert("R", "h", 1000 + i / 3, &format!("x{i}"))))
        .collect();
    let out = store.ingest("s", first).await.unwrap();
    let before: BTreeSet<i64> = out.ids.iter().copied().collect();
    let mut q = AlertQuery::default();
    q.limit = Some(7);
    let mut seen = Vec::new();
    let mut round = 0u64;
    loop {
        let page = store.alerts(q.clone()).await.unwrap();
        seen.extend(page.alerts.iter().map(|a| a.id));
        // Meanwhile: newer, older and same-time alerts arrive.
        round += 1;
        store
            .ingest(
                "s",
                vec![
                    NewAlert::new(alert("R", "h", 5000 + round, "new")),
                    NewAlert::new(alert("R", "h", round, "old")),
                    NewAlert::new(alert("R", "h", 1050, &format!("same{round}"))),
                ],
            )
            .await
            .unwrap();
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an alert was returned twice");
    assert!(
        before.is_subset(&unique),
        "an alert stored before was skipped"
    );
    let mut q = AlertQuery::default();
    q.cursor = Some("a-nonsense".into());
    assert_eq!(store.alerts(q).await.unwrap_err(), Error::InvalidCursor);
    let mut q = ClusterQuery::default();
    q.cursor = Some("zzz".into());
    assert_eq!(store.clusters(q).await.unwrap_err(), Error::InvalidCursor);
}

on_both!(
    decisions_become_triage_history,
    2,
    decisions_become_triage_history
);
async fn decisions_become_triage_history(db: &TestDb) {
    let store = Store::open(&db.spec).await.unwrap();
    // The sender tries to pre-decide its own alerts: ignored.
    let forged = |t: u64, host: &str| {
        let mut v: serde_json::Value =
            serde_json::from_str(&alert("Clear Log Activities", host, t, "rm")).unwrap();
        v["quell.decision"] = json!("benign");
        v["output_fields"]["quell.decision"] = json!("benign");
        v.to_string()
    };
    let out = store
        .ingest(
            "s",
            vec![
                NewAlert::new(forged(1, "a")),
                NewAlert::new(forged(2, "a")),
                NewAlert::new(forged(3, "a")),
                NewAlert::new(forged(4, "b")),
                NewAlert::new(forged(5, "c")),
            ],
        )
        .await
        .unwrap();
    let cluster_a = store.alert(out.ids[0]).await.unwrap().unwrap().cluster_id;
    // Nothing decided: nothing exported, whatever the alerts say about themselves.
    assert!(store.decisions_as_history().await.unwrap().is_empty());
    // The alert's own decision wins over its cluster's; the latest wins.
    for (target, verdict, who, why) in [
        (Target::Cluster(cluster_a), Verdict::Benign, "alice", ""),
        (Target::Alert(out.ids[1]), Verdict::Benign, "bob", ""),
        (
            Target::Alert(out.ids[1]),
            Verdict::Real,
            "bob",
            "second look",
        ),
        (Target::Alert(out.ids[3]), Verdict::Real, "bob", ""),
        (Target::Alert(out.ids[4]), Verdict::Investigating, "bob", ""),
    ] {
        store
            .decide(NewDecision::new(target, verdict, who, why))
            .await
            .unwrap();
    }
    let lines = store.decisions_as_history().await.unwrap();
    assert_eq!(lines.len(), 4);
    let text = lines.join("\n");
    let recs = quell_triage::parse_records(&text, "history").unwrap();
    let got: Vec<(Option<String>, Option<quell_triage::Decision>)> = recs
        .iter()
        .map(|r| (r.hostname.clone(), r.decision))
        .collect();
    use quell_triage::Decision as D;
    assert_eq!(
        got,
        [
            (Some("a".into()), Some(D::Benign)),
            (Some("a".into()), Some(D::Real)),
            (Some("a".into()), Some(D::Benign)),
            (Some("b".into()), Some(D::Real)),
        ]
    );
    assert!(recs
        .iter()
        .all(|r| r.rule.as_deref() == Some("Clear Log Activities")));
    // The sender's value in output_fields is gone, so triage cannot read it instead.
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["output_fields"].get("quell.decision").is_none());
    }
    // An alert arriving in the benign cluster after the decision is not covered by it.
    let late = store
        .ingest("s", vec![NewAlert::new(forged(9, "a"))])
        .await
        .unwrap();
    assert_eq!(
        store.alert(late.ids[0]).await.unwrap().unwrap().cluster_id,
        cluster_a
    );
    assert_eq!(store.decisions_as_history().await.unwrap(), lines);
    // History built from it counts the decisions.
    let h = quell_triage::history::History::build(&quell_rules::engine::Engine::new(), &recs);
    assert_eq!(h.total, 4);
}

on_both!(
    two_stores_on_one_database_store_each_alert_once,
    3,
    two_stores_on_one_database_store_each_alert_once
);
/// Two stores on one database, as two `quell serve` processes: three senders split between
/// them, every batch retried on the other one at the same time. Each alert is stored once and
/// the clusters count each once.
async fn two_stores_on_one_database_store_each_alert_once(db: &TestDb) {
    let a = Store::open(&db.spec).await.unwrap();
    let b = Store::open(&db.spec).await.unwrap();
    let mut tasks = Vec::new();
    for sender in 0..3u64 {
        let (first, other) = if sender % 2 == 0 {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        tasks.push(tokio::spawn(async move {
            let (mut stored, mut dups) = (0, 0);
            for n in 0..10u64 {
                // Three rules on three hosts: several clusters per batch, in varying order.
                let batch: Vec<NewAlert> = (0..40u64)
                    .map(|i| {
                        let t = n * 40 + i;
                        NewAlert::new(alert(
                            &format!("R{}", (t + sender) % 3),
                            &format!("h{}", (t * 7 + sender) % 3),
                            t,
                            &format!("s{sender}"),
                        ))
                    })
                    .collect();
                let (x, y) = tokio::join!(
                    first.ingest("s", batch.clone()),
                    other.ingest("s", batch.clone())
                );
                let (x, y) = (x.unwrap(), y.unwrap());
                assert_eq!(x.ids, y.ids, "both servers name each alert by the same id");
                stored += x.stored + y.stored;
                dups += x.duplicates + y.duplicates;
            }
            (stored, dups)
        }));
    }
    let (mut stored, mut dups) = (0, 0);
    for t in tasks {
        let (s, d) = t.await.unwrap();
        stored += s;
        dups += d;
    }
    assert_eq!(stored, 3 * 10 * 40);
    assert_eq!(dups, 3 * 10 * 40);
    assert_eq!(count(&a).await, 1200);
    assert_eq!(count(&b).await, 1200);
    let total: u64 = b
        .clusters(ClusterQuery::default())
        .await
        .unwrap()
        .clusters
        .iter()
        .map(|k| k.count)
        .sum();
    assert_eq!(total, 1200);
    a.close().await.unwrap();
    b.close().await.unwrap();
}

on_both!(
    retention_deletes_whole_days_and_keeps_clusters_consistent,
    2,
    retention_deletes_whole_days_and_keeps_clusters_consistent
);
async fn retention_deletes_whole_days_and_keeps_clusters_consistent(db: &TestDb) {
    const DAY: u64 = 86_400;
    const T0: u64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z
    let store = Store::open(&db.spec).await.unwrap();
    // Alert times are seconds since 2024-01-01: days 0, 1 and 2; rule "Old" only on day 0.
    let batch: Vec<NewAlert> = [
        ("R", 10),
        ("R", DAY - 1),
        ("Old", 20),
        ("R", DAY),
        ("R", DAY + 5),
        ("R", 2 * DAY + 1),
    ]
    .iter()
    .map(|(r, t)| NewAlert::new(alert(r, "h", *t, "x")))
    .collect();
    let out = store.ingest("s", batch).await.unwrap();
    assert_eq!(out.stored, 6);
    // A second store (another server) knows day 0 already.
    let other = Store::open(&db.spec).await.unwrap();
    other
        .ingest("s", vec![NewAlert::new(alert("R", "h", 30, "x"))])
        .await
        .unwrap();
    let cluster = |name: &'static str| {
        let store = store.clone();
        async move {
            let mut q = ClusterQuery::default();
            q.rule = Some(name.into());
            store.clusters(q).await.unwrap().clusters.remove(0)
        }
    };
    let r = cluster("R").await;
    assert_eq!((r.count, r.first_seen_ns), (6, T0 + 10_000_000_000));
    // The inbox's hourly counts of day 0 (the trend ending at 23:59 of day 0).
    let day0_trend = |store: Store| async move {
        let mut q = quell_store::InboxQuery::default();
        q.rule = Some("R".into());
        q.trend_end_ns = Some(T0 + (DAY - 1) * 1_000_000_000);
        store.inbox(q).await.unwrap().clusters[0]
            .trend
            .iter()
            .sum::<u64>()
    };
    assert_eq!(day0_trend(store.clone()).await, 3);
    // A cutoff inside day 1: day 0 goes (4 alerts), day 1 stays whole.
    let gone = store
        .expire_before(T0 + (DAY + 3600) * 1_000_000_000)
        .await
        .unwrap();
    assert_eq!(gone.alerts, 4);
    assert_eq!(
        gone.partitions,
        if db.kind == Kind::Postgres { 1 } else { 0 }
    );
    assert_eq!(count(&store).await, 3);
    let r = cluster("R").await;
    assert_eq!(
        (r.count, r.first_seen_ns, r.last_seen_ns),
        (
            3,
            T0 + DAY * 1_000_000_000,
            T0 + (2 * DAY + 1) * 1_000_000_000
        )
    );
    assert_eq!(
        day0_trend(store.clone()).await,
        0,
        "day 0's hourly counts go too"
    );
    let old = cluster("Old").await;
    assert_eq!(
        (old.count, old.first_seen_ns),
        (0, T0 + 20_000_000_000),
        "an emptied cluster stays, count 0"
    );
    // Nothing more to do at the same cutoff.
    let again = store
        .expire_before(T0 + (DAY + 3600) * 1_000_000_000)
        .await
        .unwrap();
    assert_eq!((again.alerts, again.partitions), (0, 0));
    // The other server still ingests an alert of the dropped day (its partition is made again).
    let late = other
        .ingest("s", vec![NewAlert::new(alert("R", "h", 40, "x"))])
        .await
        .unwrap();
    assert_eq!(late.stored, 1);
    assert_eq!(count(&store).await, 4);
    let r = cluster("R").await;
    assert_eq!((r.count, r.first_seen_ns), (4, T0 + 40_000_000_000));
    other.close().await.unwrap();
    store.close().await.unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Attacker-chosen strings anywhere in an alert are stored and returned byte for byte,
    /// and a literal text search finds them.
    #[test]
    fn hostile_strings_round_trip_byte_for_byte_sqlite(
        rule in "\\PC{1,40}|[\\x00-\\x1f'\"%_\\\\;]{1,20}",
        host in any::<String>(),
        value in any::<String>(),
        key in any::<String>(),
        ws in "[ \t\r\n]{0,3}",
        escape_unicode in any::<bool>(),
    ) {
        hostile(Kind::Sqlite, rule, host, value, key, ws, escape_unicode)?;
    }

    /// The same on PostgreSQL.
    #[test]
    fn hostile_strings_round_trip_byte_for_byte_postgres(
        rule in "\\PC{1,40}|[\\x00-\\x1f'\"%_\\\\;]{1,20}",
        host in any::<String>(),
        value in any::<String>(),
        key in any::<String>(),
        ws in "[ \t\r\n]{0,3}",
        escape_unicode in any::<bool>(),
    ) {
        hostile(Kind::Postgres, rule, host, value, key, ws, escape_unicode)?;
    }
}

fn hostile(
    kind: Kind,
    rule: String,
    host: String,
    value: String,
    key: String,
    ws: String,
    escape_unicode: bool,
) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = TestDb::new(kind).await;
        let store = Store::open(&db.spec).await.unwrap();
        let mut of = serde_json::Map::new();
        of.insert(key.clone(), json!(value));
        of.insert("container.image.repository".into(), json!(value));
        let obj = json!({
            "hostname": host, "output": value, "output_fields": of, "priority": "Critical",
            "rule": rule, "time": "2024-05-01T00:00:00Z", "tags": [value],
        });
        let mut raw = format!("{ws}{obj}{ws}");
        if escape_unicode {
            // The same JSON written with \u escapes for every non-ASCII character.
            raw = raw
                .chars()
                .map(|c| {
                    if c.is_ascii() {
                        c.to_string()
                    } else {
                        let mut b = [0u16; 2];
                        c.encode_utf16(&mut b)
                            .iter()
                            .map(|u| format!("\\u{u:04x}"))
                            .collect()
                    }
                })
                .collect();
        }
        let ctx = json!({"lineage": [value, host]});
        let out = store
            .ingest(
                &host,
                vec![NewAlert::new(raw.clone()).with_context(ctx.clone())],
            )
            .await
            .unwrap();
        let a = store.alert(out.ids[0]).await.unwrap().unwrap();
        prop_assert_eq!(&a.raw, &raw);
        prop_assert_eq!(&a.rule, &rule);
        prop_assert_eq!(&a.hostname, &host);
        prop_assert_eq!(&a.sensor, &host);
        prop_assert_eq!(&a.output, &value);
        prop_assert_eq!(a.container_image.as_deref(), Some(value.as_str()));
        prop_assert_eq!(a.context.as_ref(), Some(&ctx));
        let mut q = AlertQuery::default();
        q.host = Some(host.clone());
        q.rule = Some(rule.clone());
        q.text = Some(value.clone());
        let page = store.alerts(q).await.unwrap();
        prop_assert_eq!(page.alerts.len(), 1);
        prop_assert_eq!(&page.alerts[0].raw, &raw);
        let mut q = ClusterQuery::default();
        q.image = Some(value.clone());
        let clusters = store.clusters(q).await.unwrap().clusters;
        prop_assert_eq!(clusters.len(), 1);
        prop_assert_eq!(&clusters[0].rule, &rule);
        let dup = store
            .ingest(&host, vec![NewAlert::new(raw.clone())])
            .await
            .unwrap();
        prop_assert_eq!(dup.duplicates, 1);
        store.close().await.unwrap();
        Ok(())
    })
}
