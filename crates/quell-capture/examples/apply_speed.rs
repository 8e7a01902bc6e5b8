//! Measures the state engine alone: `apply` on synthetic openat records.
use quell_capture::procfs::Users;
use quell_capture::state::{Process, State};
use std::time::Instant;

fn rec(tid: u32) -> Vec<u8> {
    // header layout: see wire.rs
    let mut b = vec![0u8; 104];
    b[16..24].copy_from_slice(&3i64.to_le_bytes());
    b[24..32].copy_from_slice(&0xffff_ff9cu64.to_le_bytes());
    b[72..76].copy_from_slice(&tid.to_le_bytes());
    b[76..80].copy_from_slice(&tid.to_le_bytes());
    b[90..92].copy_from_slice(&257u16.to_le_bytes());
    let p = b"/etc/hostname\0";
    b[92..94].copy_from_slice(&(p.len() as u16).to_le_bytes());
    b.extend_from_slice(p);
    b
}

fn main() {
    let mut s = State::new(Users::load(std::path::Path::new("/")), 0, None);
    for pid in 1..8u32 {
        s.insert(Process {
            pid,
            ppid: pid - 1,
            comm: format!("p{pid}"),
            exe: format!("/bin/p{pid}"),
            exepath: format!("/bin/p{pid}"),
            cwd: "/".into(),
            cap_effective: u64::MAX >> 24,
            ..Process::default()
        });
    }
    let r = rec(7);
    let n = 200_000;
    // `apply_speed live`: only the live path (for profiling)
    let live_only = std::env::args().nth(1).as_deref() == Some("live");
    let t = Instant::now();
    let mut fields = 0;
    for _ in 0..if live_only { 0 } else { n } {
        let rr = quell_capture::wire::decode(&r).unwrap();
        if let Some(e) = s.apply(&rr) {
            fields += e.len();
        }
    }
    let el = t.elapsed();
    println!(
        "apply: {n} events in {:?}: {:.0} events/s, {} fields/event",
        el,
        n as f64 / el.as_secs_f64(),
        fields / n.max(1)
    );
    let rules = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/falco-rules/falco_rules.yaml"
    ))
    .unwrap();
    let mut eng = quell_rules::engine::Engine::new();
    eng.load("falco_rules.yaml", &rules);
    let rr = quell_capture::wire::decode(&r).unwrap();
    let ev = s.apply(&rr).unwrap();
    let t = Instant::now();
    let mut hits = 0;
    for _ in 0..if live_only { 0 } else { n } {
        hits += eng
            .evaluate(&ev, quell_rules::engine::RuleMatching::First)
            .len();
    }
    let el = t.elapsed();
    println!(
        "evaluate (stable rules) on a FlatEvent: {n} events in {:?}: {:.0} events/s, {hits} alerts",
        el,
        n as f64 / el.as_secs_f64()
    );

    // What `quell run` does per event: apply the record, evaluate the rules on the live view.
    let t = Instant::now();
    let mut hits = 0;
    for _ in 0..n {
        let rr = quell_capture::wire::decode(&r).unwrap();
        if let Some(v) = s.apply_live(&rr) {
            hits += eng
                .evaluate(&v, quell_rules::engine::RuleMatching::First)
                .len();
        }
    }
    let el = t.elapsed();
    println!(
        "apply_live + evaluate (stable rules): {n} events in {:?}: {:.0} events/s, {hits} alerts",
        el,
        n as f64 / el.as_secs_f64()
    );
}
