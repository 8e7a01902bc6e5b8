//! `quell replay`: evaluate recorded events against rules.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use quell_events::term;
use quell_rules::engine::RuleMatching;

use crate::alerts::{now_ns, AlertSink};
use crate::cli::InputOpts;
use crate::input::{display_name, for_each_event};
use crate::output::{progress, Out};
use crate::{note, ruleset};

/// Runs `quell replay`.
pub fn run(
    rules: &[PathBuf],
    with_defaults: bool,
    matching: RuleMatching,
    json: bool,
    input: &InputOpts,
    events: Option<&Path>,
    capture: Option<&Path>,
) -> Result<ExitCode> {
    let engine = ruleset::load(rules, with_defaults)?;
    let path = capture.or(events).unwrap_or(Path::new("-"));
    let reader = crate::input::open(path, capture.is_some())?;
    let name = display_name(path);
    let mut sink = AlertSink::new(Out::new(), json);
    let start = Instant::now();
    let mut read = 0u64;
    // Progress on a terminal for long replays: a line rewritten about once a second.
    let show_progress = io::stderr().is_terminal();
    let mut last_report = Instant::now();
    let rep = for_each_event(reader, &name, input, |line, _| {
        let ev = line.event();
        read += 1;
        if show_progress && read % 4096 == 0 && last_report.elapsed().as_secs() >= 1 {
            last_report = Instant::now();
            progress(format_args!(
                "quell: {read} events, {} alerts ...",
                sink.total()
            ));
        }
        // The time is looked up only for an event that raised an alert.
        let mut ts = None;
        for rule in engine.evaluate(ev, matching) {
            let ts = *ts.get_or_insert_with(|| line.timestamp_ns().unwrap_or_else(now_ns));
            sink.emit(rule, ev, ts)?;
        }
        Ok(())
    });
    sink.flush()?;
    let rep = rep?;
    if show_progress && start.elapsed().as_secs() >= 1 {
        progress(format_args!(""));
    }
    let secs = start.elapsed().as_secs_f64();
    note!(
        "quell: {read} events read, {} alerts, {} bad lines, {:.0} events/s",
        sink.total(),
        rep.bad,
        if secs > 0.0 { read as f64 / secs } else { 0.0 }
    );
    for (rule, n) in &sink.counts {
        note!("quell:   {n:>8}  {}", term::escape(rule));
    }
    Ok(ExitCode::SUCCESS)
}
