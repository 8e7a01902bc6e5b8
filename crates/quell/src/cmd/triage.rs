//! `quell triage`: group alerts into clusters and give each a verdict with its reasons.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::input::{parse_line, parse_records, Record};
use quell_triage::{ClusterReport, Lang, Triage};

use crate::ruleset;

/// Reads a JSON Lines file of events or alerts; a bad line is one clear error.
pub fn read_records(path: &Path, what: &str) -> Result<Vec<Record>> {
    let text = std::fs::read(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    let text = String::from_utf8(text)
        .map_err(|_| anyhow::anyhow!("the {what} file {} is not UTF-8 text", path.display()))?;
    parse_records(&text, &path.display().to_string())
        .map_err(|e| anyhow::anyhow!("the {what} file has a bad line: {e}"))
}

/// Progress on stderr for long inputs: a percentage rewritten in place when stderr is a
/// terminal, otherwise a line every few seconds; nothing when quiet.
pub struct Progress {
    quiet: bool,
    tty: bool,
    last: Instant,
    shown: bool,
}

impl Progress {
    /// A reporter.
    pub fn new(quiet: bool) -> Progress {
        Progress {
            quiet,
            tty: std::io::stderr().is_terminal(),
            last: Instant::now(),
            shown: false,
        }
    }

    /// Reports `what` at `done` of `total` (units of the caller's choosing).
    pub fn step(&mut self, what: &str, done: u64, total: u64) {
        if self.quiet {
            return;
        }
        let every = if self.tty {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(5)
        };
        if self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        let pct = if total == 0 {
            100.0
        } else {
            100.0 * done as f64 / total as f64
        };
        if self.tty {
            eprint!("\rquell: {what}: {pct:5.1}%   ");
        } else {
            eprintln!("quell: {what}: {pct:.0}% ({done} of {total})");
        }
        self.shown = true;
    }

    /// Ends a progress line on a terminal.
    pub fn done(&mut self) {
        if self.shown && self.tty && !self.quiet {
            eprint!("\r{:40}\r", "");
        }
        self.shown = false;
    }
}

/// Reads a JSON Lines file line by line, reporting progress by bytes read.
pub fn read_records_progress(
    path: &Path,
    what: &str,
    progress: &mut Progress,
) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    each_record(path, what, progress, &mut |r| out.push(r))?;
    Ok(out)
}

/// Calls `f` with each record of a JSON Lines file, reporting progress by bytes read; a
/// bad line is one clear error.
pub fn each_record(
    path: &Path,
    what: &str,
    progress: &mut Progress,
    f: &mut dyn FnMut(Record),
) -> Result<usize> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let name = path.display().to_string();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let (mut n, mut read, mut count) = (0usize, 0u64, 0usize);
    loop {
        line.clear();
        let k = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
        if k == 0 {
            break;
        }
        n += 1;
        read += k as u64;
        let text = std::str::from_utf8(&line).map_err(|_| {
            anyhow::anyhow!(
                "the {what} file {} is not UTF-8 text (line {n})",
                path.display()
            )
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let rec = parse_line(text.trim_end_matches(['\n', '\r']), n, &name)
            .map_err(|e| anyhow::anyhow!("the {what} file has a bad line: {e}"))?;
        f(rec);
        count += 1;
        if n % 1024 == 0 {
            progress.step(&format!("reading {}", path.display()), read, total);
        }
    }
    progress.done();
    Ok(count)
}

/// Parses one line: the common case (a plain event: no alert, host or decision keys) is
/// parsed once, straight into an event; anything else goes through [`parse_line`].
fn parse_fast(text: &str, n: usize, name: &str) -> Result<Record> {
    let plain = !(text.contains("\"rule\"")
        || text.contains("\"hostname\"")
        || text.contains("quell.decision"));
    if plain {
        if let Ok(event) = quell_events::FlatEvent::from_json_line(text) {
            return Ok(Record {
                event,
                rule: None,
                hostname: None,
                decision: None,
                line: n,
                raw_alert: None,
            });
        }
    }
    parse_line(text, n, name).map_err(|e| anyhow::anyhow!("the events file has a bad line: {e}"))
}

/// A record with the rules it stands for.
type Evaluated = (Record, Vec<String>);

/// Feeds a JSON Lines file into a triage stream: batches of lines are parsed and evaluated
/// on all cores, then pushed in order. Returns the number of records.
fn triage_file(
    path: &Path,
    triage: &Triage,
    stream: &mut quell_triage::triage::Stream,
    progress: &mut Progress,
) -> Result<usize> {
    const BATCH: usize = 8192;
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the events file {}", path.display()))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let name = path.display().to_string();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let (mut n, mut read, mut count) = (0usize, 0u64, 0usize);
    let mut eof = false;
    while !eof {
        let mut batch: Vec<(usize, String)> = Vec::with_capacity(BATCH);
        while batch.len() < BATCH {
            let mut line = Vec::new();
            let k = reader
                .read_until(b'\n', &mut line)
                .with_context(|| format!("cannot read the events file {}", path.display()))?;
            if k == 0 {
                eof = true;
                break;
            }
            n += 1;
            read += k as u64;
            let text = String::from_utf8(line).map_err(|_| {
                anyhow::anyhow!(
                    "the events file {} is not UTF-8 text (line {n})",
                    path.display()
                )
            })?;
            if !text.trim().is_empty() {
                batch.push((n, text));
            }
        }
        let chunk = batch.len().div_ceil(workers).max(1);
        let results: Vec<Vec<Result<Evaluated>>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| {
                    let name = &name;
                    s.spawn(move || {
                        part.iter()
                            .map(|(n, text)| {
                                let r = parse_fast(text.trim_end_matches(['\n', '\r']), *n, name)?;
                                let rules = triage.rules_for(&r);
                                Ok((r, rules))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| vec![Err(anyhow::anyhow!("a worker thread failed"))])
                })
                .collect()
        });
        for part in results {
            for r in part {
                let (rec, rules) = r?;
                stream.push_evaluated(rec, rules);
                count += 1;
            }
        }
        progress.step(&format!("reading {}", path.display()), read, total);
    }
    progress.done();
    Ok(count)
}

/// The catalogue: bundled, plus a user file.
pub fn catalogue(extra: Option<&Path>) -> Result<Catalogue> {
    let mut c = Catalogue::builtin();
    if let Some(p) = extra {
        let text = ruleset::read(p)?;
        c.extend(Catalogue::from_yaml(&text, &p.display().to_string())?);
    }
    Ok(c)
}

/// Prints one report as text.
pub fn print_report(out: &mut dyn Write, r: &ClusterReport, lang: Lang) -> std::io::Result<()> {
    let (verdict_l, reasons_l, confirm_l, alerts_l) = match lang {
        Lang::En => (
            "Verdict",
            "Reasons (effect on the log-odds of a false positive)",
            "Confirm",
            "alerts",
        ),
        Lang::Ja => (
            "判定",
            "理由（誤検知である対数オッズへの影響）",
            "確認事項",
            "件のアラート",
        ),
    };
    let verdict = r.verdict.text(lang);
    writeln!(
        out,
        "cluster {}  \"{}\"  {} {alerts_l}",
        r.cluster, r.rule, r.alerts
    )?;
    writeln!(out, "  {verdict_l}: {verdict} (score {:.2})", r.score)?;
    writeln!(out, "  {}", r.summary)?;
    writeln!(out, "  {reasons_l}:")?;
    for reason in &r.reasons {
        writeln!(
            out,
            "    {:+.2}  {}: {}",
            reason.effect, reason.signal, reason.evidence
        )?;
    }
    writeln!(out, "  {confirm_l}:")?;
    for c in &r.confirm {
        writeln!(out, "    - {c}")?;
    }
    writeln!(out)
}

/// Runs `quell triage`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    rules: &[PathBuf],
    default_rules: bool,
    history: Option<&Path>,
    catalogue_file: Option<&Path>,
    lang: &str,
    json: bool,
    quiet: bool,
    events: &Path,
) -> Result<ExitCode> {
    let Some(lang) = Lang::parse(lang) else {
        bail!("unknown language \"{lang}\": use en or ja")
    };
    let engine = ruleset::load(rules, default_rules)?;
    let cat = catalogue(catalogue_file)?;
    let mut progress = Progress::new(quiet);
    let hist = match history {
        Some(p) => History::build(
            &engine,
            &read_records_progress(p, "history", &mut progress)?,
        ),
        None => History::empty(),
    };
    let host = crate::alerts::host_name();
    let triage = Triage {
        engine: &engine,
        catalogue: &cat,
        history: &hist,
        lang,
        hostname: &host,
    };
    // Streamed: only alerts and the session activities triage weighs are kept in memory;
    // lines are parsed and evaluated against the rules on all cores, in batches.
    let mut stream = triage.stream();
    let n_records = triage_file(events, &triage, &mut stream, &mut progress)?;
    let reports = stream.finish(
        &quell_triage::signals::table().weights(),
        &mut |done, total| progress.step("triage", done as u64, total as u64),
    );
    progress.done();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for r in &reports {
        if json {
            writeln!(out, "{}", r.to_json())?;
        } else {
            print_report(&mut out, r, lang)?;
        }
    }
    out.flush()?;
    if !json && !quiet {
        let n: usize = reports.iter().map(|r| r.alerts).sum();
        match lang {
            Lang::En => eprintln!(
                "quell: {} record(s), {n} alert(s) in {} cluster(s)",
                n_records,
                reports.len()
            ),
            Lang::Ja => eprintln!(
                "quell: {} 件のレコード、{n} 件のアラート、{} クラスタ",
                n_records,
                reports.len()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
