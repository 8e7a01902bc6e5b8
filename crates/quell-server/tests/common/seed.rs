//! The seed story (examples/seed.jsonl) as a quell sensor sends it to the server: shared
//! by the tests (`common`) and the assistant's benchmark (`benches/assistant.rs`, by
//! `#[path]`).
#![allow(dead_code)]

use serde_json::json;

/// The bundled rules (what `quell serve` triages with by default).
pub fn engine() -> quell_rules::engine::Engine {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../quell/rules/default_rules.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut e = quell_rules::engine::Engine::new();
    e.load("default_rules.yaml", &text);
    e
}

/// The seed story (examples/seed.jsonl) as `quell run --server` sends it: every alert the
/// bundled rules raise, as Falco JSON with the sensor's event context (process, lineage,
/// the session's recent process starts, fed by every event before it). Lines of a sensor
/// batch.
pub fn seed_batch() -> Vec<String> {
    seed_batch_of(&seed_text())
}

/// examples/seed.jsonl.
pub fn seed_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/seed.jsonl"
    ))
    .unwrap()
}

/// [`seed_batch`] of a recording's text.
pub fn seed_batch_of(seed: &str) -> Vec<String> {
    let engine = engine();
    let records = quell_triage::input::parse_records(seed, "seed").unwrap();
    let mut log = quell_sensor::SessionLog::default();
    let mut lines = Vec::new();
    for r in &records {
        // The live event resolves the process itself as ancestor level 0 and its parent as
        // level 1; a recorded event holds only the levels it wrote.
        let get = |k: &str| {
            let plain = match k {
                "proc.apid[0]" => Some("proc.pid"),
                "proc.aname[0]" => Some("proc.name"),
                "proc.aexepath[0]" => Some("proc.exepath"),
                "proc.acmdline[0]" => Some("proc.cmdline"),
                "proc.acmdline[1]" => Some("proc.pcmdline"),
                _ => None,
            };
            r.event
                .get(k)
                .or_else(|| plain.and_then(|p| r.event.get(p)))
                .map(quell_rules::Value::borrowed)
        };
        let ty = r
            .event
            .get("evt.type")
            .and_then(|v| v.as_str().map(str::to_string));
        log.observe(ty.as_deref(), &get);
        for rule in engine.evaluate(&r.event, quell_rules::engine::RuleMatching::All) {
            let ts = r.event.timestamp_ns().unwrap();
            let alert = quell_events::FalcoAlert::new(rule, &r.event, ts, "shop-host");
            lines.push(json!({"alert": alert.to_json(), "context": log.context(&get)}).to_string());
        }
    }
    lines
}
