//! Speed of loading rules: the upstream stable and incubating files (what `quell run` and
//! `quell replay -r` load at start-up), measured against the YAML parse alone in the same run
//! (the baseline: the share of loading that is quell's own collecting and compiling).
//!
//! Run: `cargo bench -p quell-rules --bench load`. Needs ../shared/corpus next to the repository.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use quell_rules::engine::Engine;

const RULES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/falco-rules/"
);
const FILES: [&str; 2] = ["falco_rules.yaml", "falco-incubating_rules.yaml"];

fn texts() -> Vec<(&'static str, String)> {
    FILES
        .iter()
        .map(|f| {
            let p = format!("{RULES}{f}");
            let t = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {p}: {e}"));
            (*f, t)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    // Both files load cleanly, so the figures are of a successful load.
    let mut e = Engine::new();
    for (n, t) in &texts {
        let r = e.load(n, t);
        assert!(
            r.successful && r.warnings.is_empty(),
            "{n}: {}",
            r.summary()
        );
    }
    let mut g = c.benchmark_group("load stable + incubating rules");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("yaml parse only (baseline)", |b| {
        b.iter(|| {
            for (n, t) in &texts {
                black_box(quell_rules::yaml::parse_all(n, t).map(|d| d.len()).ok());
            }
        })
    });
    g.bench_function("Engine::load (parse, collect, compile)", |b| {
        b.iter(|| {
            let mut e = Engine::new();
            for (n, t) in &texts {
                black_box(e.load(n, t).successful);
            }
            e
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
