//! `quell triage`: group alerts into clusters and give each a verdict with its reasons.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use quell_events::term::escape;
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::{ClusterReport, Lang, Triage};

use crate::cli::InputOpts;
use crate::input::{display_name, for_each_event, read_records, InputEvent};
use crate::output::Out;
use crate::progress::Progress;
use crate::{note, ruleset};

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
        escape(&r.cluster),
        escape(&r.rule),
        r.alerts
    )?;
    writeln!(out, "  {verdict_l}: {verdict} (score {:.2})", r.score)?;
    writeln!(out, "  {}", escape(&r.summary))?;
    writeln!(out, "  {reasons_l}:")?;
    for reason in &r.reasons {
        writeln!(
            out,
            "    {:+.2}  {}: {}",
            reason.effect,
            escape(&reason.signal),
            escape(&reason.evidence)
        )?;
    }
    writeln!(out, "  {confirm_l}:")?;
    for c in &r.confirm {
        writeln!(out, "    - {}", escape(c))?;
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
    lang: Lang,
    json: bool,
    input: &InputOpts,
    quiet: bool,
    progress: bool,
    events: &Path,
) -> Result<ExitCode> {
    // The bundled signals decide every verdict: refuse to start without them.
    let signals = quell_triage::signals::table()?;
    let engine = ruleset::load(rules, default_rules)?;
    let cat = catalogue(catalogue_file)?;
    let mut progress = Progress::new(quiet, progress);
    let hist = match history {
        Some(p) => History::build(&engine, &read_records(p, "history", input)?),
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
    // Streamed: only alerts and the session activities triage weighs are kept in memory.
    let mut stream = triage.stream();
    let name = display_name(events);
    let input_stream =
        crate::input::open(events, false).map_err(|e| anyhow::anyhow!("the events file: {e}"))?;
    let mut n_records = 0usize;
    for_each_event(input_stream, &name, input, |line, rep| {
        let number = line.number();
        // An event's rules are found on the borrowed event (as `Triage::rules_for` would on
        // the record: first match); an alert line stands for the rule it names.
        let rules: Option<Vec<String>> = (!line.is_alert()).then(|| {
            engine
                .evaluate(line.event(), quell_rules::engine::RuleMatching::First)
                .into_iter()
                .map(|c| c.name.clone())
                .collect()
        });
        // A plain event no rule matched and that cannot be an activity is only counted in
        // its session, read where it lies: most events are, and copying them costs.
        if let (Some(rules), InputEvent::Borrowed(l)) = (&rules, &line) {
            if rules.is_empty() && stream.count_if_plain(&l.event) {
                n_records += 1;
                progress.step("reading events", n_records as u64, 0);
                return Ok(());
            }
        }
        match quell_triage::input::from_line(line.into_line(), &name) {
            Ok(r) => {
                match rules {
                    Some(rules) => stream.push_evaluated(r, rules),
                    None => stream.push(r),
                }
                n_records += 1;
                progress.step("reading events", n_records as u64, 0);
            }
            Err(e) => rep.bad(number, &e.message)?,
        }
        Ok(())
    })?;
    progress.finish("reading events", n_records as u64, 0);
    let mut judged = 0u64;
    let reports = stream.finish(&signals.weights(), &mut |done, total| {
        judged = total as u64;
        progress.step("judging alerts", done as u64, total as u64)
    });
    progress.finish("judging alerts", judged, judged);
    let mut out = Out::new();
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
            Lang::En => note!(
                "quell: {} record(s), {n} alert(s) in {} cluster(s)",
                n_records,
                reports.len()
            ),
            Lang::Ja => note!(
                "quell: {} 件のレコード、{n} 件のアラート、{} クラスタ",
                n_records,
                reports.len()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
