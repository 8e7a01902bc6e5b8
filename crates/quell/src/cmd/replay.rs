//! `quell replay`: evaluate recorded events against rules.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use quell_events::EventReader;
use quell_rules::engine::RuleMatching;

use crate::alerts::{now_ns, AlertSink};
use crate::ruleset;

/// Runs `quell replay`.
pub fn run(
    rules: &[PathBuf],
    with_defaults: bool,
    matching: RuleMatching,
    json: bool,
    strict: bool,
    events: Option<&Path>,
) -> Result<ExitCode> {
    let engine = ruleset::load(rules, with_defaults)?;
    let input: Box<dyn BufRead> = match events {
        None => Box::new(BufReader::new(io::stdin())),
        Some(p) if p == Path::new("-") => Box::new(BufReader::new(io::stdin())),
        Some(p) => {
            Box::new(BufReader::new(File::open(p).with_context(|| {
                format!("cannot open events file {}", p.display())
            })?))
        }
    };
    let name = events
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<stdin>".into());
    let stdout = io::stdout().lock();
    let mut sink = AlertSink::new(io::BufWriter::new(stdout), json);
    let start = Instant::now();
    let (mut read, mut bad) = (0u64, 0u64);
    // Progress on a terminal for long replays: a line rewritten about once a second.
    let progress = io::stderr().is_terminal();
    let mut last_report = Instant::now();
    for item in EventReader::new(input) {
        let ev = match item {
            Ok(ev) => ev,
            Err(e) => {
                bad += 1;
                eprintln!(
                    "quell: {name}:{}: skipped bad event line: {}",
                    e.line, e.message
                );
                if strict {
                    sink.flush()?;
                    anyhow::bail!(
                        "{name}:{}: bad event line (--strict): {}",
                        e.line,
                        e.message
                    );
                }
                continue;
            }
        };
        read += 1;
        if progress && read % 4096 == 0 && last_report.elapsed().as_secs() >= 1 {
            last_report = Instant::now();
            eprint!("\rquell: {read} events, {} alerts ...", sink.total());
        }
        let ts = ev.timestamp_ns().unwrap_or_else(now_ns);
        for rule in engine.evaluate(&ev, matching) {
            sink.emit(rule, &ev, ts)?;
        }
    }
    sink.flush()?;
    if progress && start.elapsed().as_secs() >= 1 {
        eprint!("\r");
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "quell: {read} events read, {} alerts, {bad} bad lines, {:.0} events/s",
        sink.total(),
        if secs > 0.0 { read as f64 / secs } else { 0.0 }
    );
    for (rule, n) in &sink.counts {
        eprintln!("quell:   {n:>8}  {rule}");
    }
    Ok(ExitCode::SUCCESS)
}
