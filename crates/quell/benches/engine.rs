//! Engine throughput: loading and compiling the upstream rules, and evaluating the
//! corpus events against them (the hot path of `quell replay` and `quell run`).
//!
//! Run: `cargo bench -p quell --bench engine`. Needs ../shared/corpus next to the repository.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use quell_events::FlatEvent;
use quell_rules::engine::{Engine, RuleMatching};

const RULES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/falco-rules/"
);
const EVENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/events/"
);
const FILES: [&str; 3] = [
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

fn read(p: String) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {p}: {e}"))
}

fn engine() -> Engine {
    let mut e = Engine::new();
    for f in FILES {
        let r = e.load(f, &read(format!("{RULES}{f}")));
        assert!(r.successful, "{f} failed to load");
    }
    e
}

fn events() -> Vec<FlatEvent> {
    let mut out = Vec::new();
    for f in [
        "502Error.jsonl",
        "curl_google.jsonl",
        "sample.jsonl",
        "test_ipv6_client.jsonl",
    ] {
        for line in read(format!("{EVENTS}{f}")).lines() {
            out.push(FlatEvent::from_json_line(line).expect("corpus event"));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let texts: Vec<(String, String)> = FILES
        .iter()
        .map(|f| (f.to_string(), read(format!("{RULES}{f}"))))
        .collect();
    c.bench_function("load+compile 3 upstream files", |b| {
        b.iter(|| {
            let mut e = Engine::new();
            for (n, t) in &texts {
                black_box(e.load(n, t));
            }
        })
    });

    let e = engine();
    let evs = events();
    let mut g = c.benchmark_group("evaluate upstream rules (93) on corpus events");
    g.throughput(Throughput::Elements(evs.len() as u64));
    for (name, m) in [("first", RuleMatching::First), ("all", RuleMatching::All)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for ev in &evs {
                    n += e.evaluate(ev, m).len();
                }
                black_box(n)
            })
        });
    }
    g.bench_function("parse jsonl lines", |b| {
        let lines = read(format!("{EVENTS}502Error.jsonl"));
        b.iter(|| {
            lines
                .lines()
                .map(|l| FlatEvent::from_json_line(l).is_ok() as usize)
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
