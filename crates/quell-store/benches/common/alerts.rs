//! The generated alerts of the store and HTTP load benchmarks (one definition, included by
//! `store_load.rs` and by quell-server's `http_ingest.rs` with `#[path]`).

use quell_rules::output::{falco_time, text_time};
use serde_json::{json, Value as Json};

/// Alert time of alert 0, seconds since the epoch (2024-06-01).
pub const T0_S: u64 = 1_717_200_000;

/// Alert number `i` as Falco's JSON text, and a small event context like a sensor's: 40
/// rules, 200 hosts, 60 images (a third on the host), varied commands; about 700 bytes.
/// The same `i` gives the same text (so a run is reproducible).
pub fn alert(i: u64) -> (String, Json) {
    let ns = (T0_S * 1_000_000_000) + i * 2_000_000; // 500 alerts a second of alert time
    let rule = format!("Rule number {}", i % 40);
    let host = format!("node-{:03}", (i * 7) % 200);
    let image = (i % 3 != 0).then(|| format!("registry.example/team/app-{}", (i * 13) % 60));
    let cmd = format!(
        "sh -c 'curl -s http://svc-{}/health | grep ok' #{i}",
        i % 97
    );
    let mut of = serde_json::Map::new();
    of.insert("evt.time".into(), json!(ns));
    of.insert("proc.cmdline".into(), json!(cmd));
    of.insert("proc.name".into(), json!("sh"));
    of.insert("proc.pname".into(), json!("python3"));
    of.insert("user.name".into(), json!("www-data"));
    of.insert(
        "fd.name".into(),
        json!(format!("/var/lib/app/{}.db", i % 1000)),
    );
    if let Some(img) = &image {
        of.insert(
            "container.id".into(),
            json!(format!("{:012x}", (i * 13) % 60 + 0xabc000)),
        );
        of.insert("container.image.repository".into(), json!(img));
        of.insert(
            "k8s.ns.name".into(),
            json!(format!("ns-{}", (i * 13) % 60 % 8)),
        );
        of.insert(
            "k8s.pod.name".into(),
            json!(format!("app-{}-7d9f", (i * 13) % 60)),
        );
    }
    let raw = json!({
        "hostname": host,
        "output": format!("{}: Warning {rule} ({cmd} user=www-data parent=python3)", text_time(ns)),
        "output_fields": of,
        "priority": if i % 10 == 0 { "Critical" } else { "Warning" },
        "rule": rule,
        "source": "syscall",
        "tags": ["host", "container", "mitre_execution"],
        "time": falco_time(ns),
    })
    .to_string();
    let context = json!({
        "lineage": ["systemd", "containerd-shim", "python3", "sh"],
        "session": [{"evt.type": "execve", "proc.name": "curl"}],
    });
    (raw, context)
}
