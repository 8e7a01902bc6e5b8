//! The store's tests run on both backends: `on_both!` makes a `sqlite` and a `postgres` test
//! of one body taking a [`TestDb`].
//!
//! PostgreSQL: the server is `QUELL_TEST_POSTGRES` (a URL of a database the role may connect
//! to, the role allowed to CREATE DATABASE), by default the local socket
//! `postgresql:///postgres?host=/var/run/postgresql` as the current user. Each test creates
//! its own database (a unique name) and drops it when the [`TestDb`] is dropped, also when
//! the test fails. No server reachable: the PostgreSQL tests fail, saying how to start one.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub kind: Kind,
    /// What `Store::open` takes.
    pub spec: String,
    dir: tempfile::TempDir,
    /// PostgreSQL: the server's admin URL and the test database's name.
    pg: Option<(String, String)>,
}

pub const DEFAULT_POSTGRES: &str = "postgresql:///postgres?host=/var/run/postgresql";

pub fn admin_url() -> String {
    std::env::var("QUELL_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

/// `url` with its database replaced by `db` (the path of a `postgres://` URL).
pub fn with_dbname(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (before_q, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_q.split_once('/').map_or(before_q, |(a, _)| a);
    match query {
        Some(q) => format!("{scheme}://{authority}/{db}?{q}"),
        None => format!("{scheme}://{authority}/{db}"),
    }
}

pub async fn admin_client() -> tokio_postgres::Client {
    let url = admin_url();
    match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
        Ok((client, conn)) => {
            tokio::spawn(conn);
            client
        }
        Err(e) => panic!(
            "the PostgreSQL tests need a server and none answered at {url:?} ({e}).\n\
             Set QUELL_TEST_POSTGRES=postgres://USER@HOST/DB (a role that may CREATE DATABASE), or start \
             the local one as .ci/run does:\n  pg_ctlcluster 15 main start\n  \
             su postgres -c \"createuser --superuser $(id -un)\"\n\
             (these tests never pass silently without a server)"
        ),
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new(kind: Kind) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match kind {
            Kind::Sqlite => TestDb {
                kind,
                spec: dir.path().join("q.db").to_str().unwrap().to_string(),
                dir,
                pg: None,
            },
            Kind::Postgres => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos();
                let name = format!(
                    "quell_test_{}_{}_{}",
                    std::process::id(),
                    SEQ.fetch_add(1, Ordering::Relaxed),
                    nanos
                );
                let admin = admin_client().await;
                // A name made here from integers: DDL takes no parameters.
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e:?}"));
                let url = admin_url();
                TestDb {
                    kind,
                    spec: with_dbname(&url, &name),
                    dir,
                    pg: Some((url, name)),
                }
            }
        }
    }

    /// The SQLite file (SQLite only).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("q.db")
    }

    /// A client on the test's PostgreSQL database (PostgreSQL only).
    pub async fn pg_client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.spec, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((url, name)) = self.pg.take() else {
            return;
        };
        // Drop may run inside a runtime (or while a failed test unwinds): a thread of its own.
        let r = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(conn);
                client
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

/// `on_both!(name, threads, body)` with `async fn body(db: &TestDb)`: the tests
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $threads:literal, $body:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn sqlite() {
                let db = common::TestDb::new(common::Kind::Sqlite).await;
                $body(&db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn postgres() {
                let db = common::TestDb::new(common::Kind::Postgres).await;
                $body(&db).await;
            }
        }
    };
}
