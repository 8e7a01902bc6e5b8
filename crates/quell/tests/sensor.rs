//! A sensor whose server goes away: `quell serve` (the binary, on a loopback port) and the
//! sensor library (quell-sensor: spool, sender, heartbeats) driven directly with alerts
//! numbered in order. The server is killed (SIGKILL, its pid only) for 30 s while alerts
//! keep coming, then restarted on the same database; afterwards every alert is stored, in
//! the order sent, none twice, with its context; the sensor is registered with its drop
//! counters, in `GET /api/v1/sensors` and in `/metrics`.

mod common;
mod server_common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use server_common::{http, serve, stop, token};

fn alert(seq: u64) -> String {
    json!({
        "hostname": "sensor-host", "output": format!("alert {seq}"),
        "output_fields": {"seq": seq, "proc.name": "sh"},
        "priority": "Warning", "rule": "Away test", "source": "syscall", "tags": [],
        "time": format!("2026-07-31T12:{:02}:{:02}.{:09}Z", (seq / 60) % 60, seq % 60, seq),
    })
    .to_string()
}

/// Every stored alert, oldest id first: (id, alert object).
fn stored(addr: &str, viewer: &str) -> Vec<(i64, Json)> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/alerts?limit=1000&cursor={c}"),
            None => "/api/v1/alerts?limit=1000".to_string(),
        };
        let (st, body) = http(addr, "GET", &path, viewer);
        assert_eq!(st, 200, "{body}");
        let page: Json = serde_json::from_str(&body).unwrap();
        for a in page["alerts"].as_array().unwrap() {
            all.push((a["id"].as_i64().unwrap(), a["alert"].clone()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    all.sort_by_key(|(id, _)| *id);
    all
}

struct Emitter {
    sensor: quell_sensor::Sensor,
    next: u64,
}

impl Emitter {
    /// Spools one alert every 50 ms for `d`.
    fn run_for(&mut self, d: Duration) {
        let start = Instant::now();
        while start.elapsed() < d {
            let a = alert(self.next);
            self.sensor
                .emit_with_context(a.as_bytes(), &json!({"seq": self.next}));
            self.sensor.sync();
            self.next += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_delivered(&self, n: u64, within: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < within {
            if self.sensor.delivered() >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

#[test]
fn server_away_for_30_s_every_alert_delivered_in_order_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quell.db");
    let db = db.to_str().unwrap();
    let sensor_token = token(db, "sensor", "edge-1");
    let viewer = token(db, "viewer", "console");
    let (mut server, addr) = serve(db, "127.0.0.1:0");

    let said = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = said.clone();
    let mut cfg = quell_sensor::SensorConfig::new(
        &format!("http://{addr}"),
        &sensor_token,
        dir.path().join("spool"),
    );
    cfg.spool_max_bytes = 16 << 20;
    cfg.host = "sensor-host".into();
    cfg.heartbeat_every = Duration::from_secs(1);
    cfg.say = Arc::new(move |m: &str| log.lock().unwrap().push(m.to_string()));
    let mut em = Emitter {
        sensor: quell_sensor::Sensor::start(cfg).unwrap(),
        next: 0,
    };

    // Up: delivered as they come.
    em.run_for(Duration::from_secs(2));
    let before = em.next;
    assert!(
        em.wait_delivered(before, Duration::from_secs(20)),
        "not delivered while the server is up: {:?}",
        said.lock().unwrap()
    );

    // Away for 30 s (SIGKILL: perhaps in the middle of a batch), alerts keep coming.
    server.kill().unwrap();
    server.wait().unwrap();
    em.run_for(Duration::from_secs(30));
    assert_eq!(
        em.sensor.delivered(),
        before,
        "nothing can be delivered while the server is away"
    );
    assert!(em.sensor.spool_stats().pending >= em.next - before);

    // Back on the same database and port.
    let (mut server, addr2) = serve(db, &addr);
    assert_eq!(addr2, addr);
    em.run_for(Duration::from_secs(2));
    let total = em.next;
    let summary = em.sensor.finish(Duration::from_secs(60));
    assert_eq!(
        (summary.pending, summary.dropped, summary.rejected),
        (0, 0, 0),
        "{summary:?} {:?}",
        said.lock().unwrap()
    );
    assert_eq!(summary.delivered, total);

    let alerts = stored(&addr, &viewer);
    let seqs: Vec<u64> = alerts
        .iter()
        .map(|(_, a)| a["output_fields"]["seq"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = (0..total).collect();
    assert_eq!(
        seqs, want,
        "every alert, in the order sent (by id), none twice"
    );
    // The context travelled with the alert.
    let (id, _) = alerts[(total / 2) as usize];
    let (st, body) = http(&addr, "GET", &format!("/api/v1/alerts/{id}"), &viewer);
    assert_eq!(st, 200, "{body}");
    let one: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(one["context"]["seq"], one["alert"]["output_fields"]["seq"]);
    assert_eq!(one["sensor"], "edge-1");

    // Registered, with its drop counters.
    let (st, body) = http(&addr, "GET", "/api/v1/sensors", &viewer);
    assert_eq!(st, 200, "{body}");
    let sensors: Json = serde_json::from_str(&body).unwrap();
    let s = &sensors["sensors"][0];
    assert_eq!(s["name"], "edge-1");
    assert_eq!(s["host"], "sensor-host");
    assert_eq!(s["drops"], json!({"kernel": 0, "spool": 0}));
    assert_eq!(s["spool"]["pending"], 0);
    assert_eq!(s["rules"]["source"], "local");
    let (st, metrics) = http(&addr, "GET", "/metrics", &viewer);
    assert_eq!(st, 200);
    assert!(
        metrics.contains("quell_sensor_drops{sensor=\"edge-1\",kind=\"spool\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("quell_sensors 1"), "{metrics}");
    stop(&mut server);
}
