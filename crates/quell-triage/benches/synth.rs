//! Synthesis for a cluster of 10,000 benign events against a history of 100,000 events
//! (target: under one second), over quell's default rules.

use criterion::{criterion_group, criterion_main, Criterion};
use quell_triage::input::{parse_records, Record};
use quell_triage::synth::{synthesize, Options};
use quell_triage::verify::{RulesFile, Verifier};

const DEFAULT_RULES: &str = include_str!("../../quell/rules/default_rules.yaml");

fn event(i: usize, parent: &str, path: &str, ty: &str) -> String {
    format!(
        concat!(
            r#"{{"evt.type":"{ty}","evt.rawres":0,"evt.rawtime":{t},"proc.pid":{pid},"proc.sid":{sid},"proc.name":"rm","proc.exepath":"/usr/bin/rm","#,
            r#""proc.pname":"{parent}","proc.aname[1]":"{parent}","proc.aname[2]":"sshd","proc.tty":34816,"proc.cmdline":"rm -f {path}","#,
            r#""fs.path.name":"{path}","user.name":"root","container.id":"host"}}"#
        ),
        ty = ty,
        t = 1_700_000_000_000_000_000u64 + i as u64 * 1_000_000,
        pid = 1000 + i % 30000,
        sid = 500 + i % 97,
        parent = parent,
        path = path
    )
}

fn records(n: usize, f: impl Fn(usize) -> String) -> Vec<Record> {
    let text: Vec<String> = (0..n).map(f).collect();
    parse_records(&text.join("\n"), "bench").unwrap()
}

fn bench(c: &mut Criterion) {
    let rules = vec![RulesFile {
        name: "default_rules.yaml".into(),
        text: DEFAULT_RULES.into(),
    }];
    // The cluster: an operator's cleanup of rotated dpkg logs, 10,000 alerts.
    let benign = records(10_000, |i| {
        event(
            i,
            "bash",
            &format!("/var/log/dpkg.log.{}", i % 7 + 1),
            "unlinkat",
        )
    });
    // Keep: the same deletions from a web server's shell.
    let keep = records(50, |i| {
        event(
            i,
            "sh",
            &format!("/var/log/dpkg.log.{}", i % 7 + 1),
            "unlinkat",
        )
    });
    // History: 100,000 events, a fifth of them alerts of the rule in several clusters.
    let history = records(100_000, |i| match i % 5 {
        0 => event(
            i,
            ["bash", "cron", "sh"][i % 3],
            &format!("/var/log/app{}.log", i % 11),
            "unlinkat",
        ),
        1 => event(i, "bash", "/tmp/scratch", "unlinkat"),
        2 => event(i, "bash", &format!("/srv/data/{i}"), "unlinkat"),
        3 => event(i, "bash", "/var/tmp/x", "openat"),
        _ => event(i, "bash", "/home/u/file", "execve"),
    });
    let mut group = c.benchmark_group("synthesis");
    group.sample_size(10);
    group.bench_function(
        "10k benign, 100k history (Verifier::new + synthesize)",
        |b| {
            b.iter(|| {
                let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &history)
                    .unwrap();
                let p = synthesize(&vf, &Options::default()).unwrap();
                assert!(p.best.verification.passed);
                p
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
