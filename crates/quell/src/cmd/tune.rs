//! `quell tune`: synthesize a verified Falco exception for a rule from events a person
//! judged benign, or (`--check`) verify an exception written elsewhere.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use quell_triage::check::check_named;
use quell_triage::input::Record;
use quell_triage::synth::{synthesize_with_progress, Options};
use quell_triage::verify::{RulesFile, Verification, Verifier};
use serde_json::{json, Value as Json};

use std::io::Write;

use crate::cli::InputOpts;
use crate::input::read_records_counted;
use crate::output::Out;
use crate::progress::Progress;
use crate::{note, ruleset};

/// quell's true-positive catalogue (bundled with quell-triage) as records; a line that
/// does not parse is an error, never an empty keep set.
pub fn true_positives() -> Result<Vec<Record>> {
    quell_triage::keep::true_positives()
        .context("quell's bundled true-positive catalogue does not parse")
}

/// The rules files in load order: the `-r` files, or the bundled defaults (first, with `default_rules`).
pub fn rules_files(files: &[PathBuf], default_rules: bool) -> Result<Vec<RulesFile>> {
    let mut out = Vec::new();
    if files.is_empty() || default_rules {
        out.push(RulesFile {
            name: ruleset::DEFAULT_RULES_NAME.into(),
            text: ruleset::DEFAULT_RULES.into(),
        });
    }
    for f in files {
        out.push(RulesFile {
            name: f.display().to_string(),
            text: ruleset::read(f)?,
        });
    }
    Ok(out)
}

/// The verification figures as JSON.
pub fn verification_json(v: &Verification) -> Json {
    json!({
        "loads": v.loads,
        "errors": v.errors,
        "warnings": v.warnings,
        "benign_total": v.benign_total,
        "benign_silenced": v.benign_silenced,
        "benign_not_alerting": v.benign_not_alerting,
        "keep_total": v.keep_total,
        "keep_alerting": v.keep_alerting,
        "keep_silenced": v.keep_silenced,
        "benign_still_alerting": v.benign_still_alerting,
        "blast_radius": v.blast_radius,
        "blocking": v.blocking,
        "mutations": v.mutations,
        "mutations_silenced": v.mutations_silenced,
        "passed": v.passed,
    })
}

fn summary(v: &Verification) -> String {
    format!(
        "loads: {}; benign silenced {} of {}; keep still alerting {} of {}; blast radius {} of {} past alerts ({} outside the benign set, {} triaged likely_real or uncertain, {} marked real); near-attacks still alerting {} of {}",
        if v.loads { "yes" } else { "no" },
        v.benign_silenced,
        v.benign_total,
        v.keep_alerting,
        v.keep_total,
        v.blast_radius.silenced,
        v.blast_radius.history_alerts,
        v.blast_radius.outside_benign_set,
        v.blast_radius.blocking,
        v.blast_radius.marked_real,
        v.mutations.iter().filter(|m| !m.silenced).count(),
        v.mutations.len()
    )
}

/// The details people read under the summary: what the blast radius holds outside the
/// benign set, what refuses the candidate, which near-attacks it silences.
fn details(v: &Verification) -> Vec<String> {
    let mut out = Vec::new();
    for c in &v.blast_radius.clusters {
        if c.count > c.in_benign_set {
            out.push(format!(
                "  also silences {} past alert(s) of cluster {} ({}), e.g. {}",
                c.count - c.in_benign_set,
                c.cluster,
                c.verdict.map_or("not triaged", |v| v.as_str()),
                c.examples.first().map(String::as_str).unwrap_or("")
            ));
        }
    }
    for b in &v.blocking {
        out.push(format!(
            "  refused: it would silence {} (\"{}\", {})",
            b.description, b.rule, b.verdict
        ));
    }
    for m in v.mutations.iter().filter(|m| m.silenced) {
        out.push(format!(
            "  silences the near-attack {}{}: {}",
            m.kind,
            if m.avoidable {
                ""
            } else {
                " (an exception cannot see what ran before; triage does)"
            },
            m.description
        ));
    }
    out
}

/// Arguments of `quell tune`.
pub struct TuneArgs<'a> {
    /// `-r` files.
    pub rules: &'a [PathBuf],
    /// `--default-rules`.
    pub default_rules: bool,
    /// `--rule`.
    pub rule: Option<&'a str>,
    /// `--benign`.
    pub benign: Option<&'a Path>,
    /// `--keep`.
    pub keep: Option<&'a Path>,
    /// `--history`.
    pub history: Option<&'a Path>,
    /// `--legacy`.
    pub legacy: bool,
    /// `--json`.
    pub json: bool,
    /// `-o`.
    pub output: Option<&'a Path>,
    /// `--check`.
    pub check: Option<&'a Path>,
    /// `--no-builtin-keep`.
    pub no_builtin_keep: bool,
    /// `--progress`: progress on stderr even when it is not a terminal.
    pub progress: bool,
    /// `-q`: no progress.
    pub quiet: bool,
    /// `--strict`, `--max-line-bytes`.
    pub input: &'a InputOpts,
}

/// Reads one input file, reporting the records read as `reading WHAT`.
fn read_with_progress(
    path: &Path,
    what: &str,
    input: &InputOpts,
    progress: &Mutex<Progress>,
) -> Result<Vec<Record>> {
    let step = format!("reading {what}");
    let mut read = 0u64;
    let recs = read_records_counted(path, what, input, &mut |n| {
        read = n as u64;
        if let Ok(mut p) = progress.lock() {
            p.step(&step, read, 0);
        }
    })?;
    if let Ok(mut p) = progress.lock() {
        p.finish(&step, read, 0);
    }
    Ok(recs)
}

/// Runs `quell tune`.
pub fn run(a: &TuneArgs<'_>) -> Result<ExitCode> {
    // The bundled signals decide which alerts count as likely real: refuse to start without them.
    quell_triage::signals::table()?;
    let rules = rules_files(a.rules, a.default_rules)?;
    let progress = Mutex::new(Progress::new(a.quiet, a.progress));
    let benign = match a.benign {
        Some(p) => read_with_progress(p, "benign", a.input, &progress)?,
        None => Vec::new(),
    };
    let mut keep = if a.no_builtin_keep {
        Vec::new()
    } else {
        true_positives()?
    };
    let builtin_keep = keep.len();
    if let Some(p) = a.keep {
        keep.extend(read_with_progress(p, "keep", a.input, &progress)?);
    }
    let history = match a.history {
        Some(p) => read_with_progress(p, "history", a.input, &progress)?,
        None => Vec::new(),
    };
    if let Some(file) = a.check {
        return run_check(a, &rules, file, &benign, &keep, &history);
    }
    let Some(rule) = a.rule else {
        bail!("say which rule to tune with --rule NAME (or check a file with --check FILE)")
    };
    let Some(benign_path) = a.benign else {
        bail!("give the events a person judged benign with --benign FILE")
    };
    if benign.is_empty() {
        bail!(
            "the benign file {} holds no events quell can read (a capture's events of types quell does not decode are skipped, as said above): give at least one event or alert of \"{rule}\"",
            benign_path.display()
        );
    }
    let vf = Verifier::new(&rules, rule, &benign, &keep, &history)?;
    let mut provenance = vec![format!(
        "benign: {} event(s) from {} ({} alerting for the rule)",
        benign.len(),
        benign_path.display(),
        vf.benign_alerting().count()
    )];
    provenance.push(format!(
        "keep: quell's true-positive catalogue ({builtin_keep} recorded attack events){}",
        a.keep
            .map(|p| format!(" + {}", p.display()))
            .unwrap_or_default()
    ));
    if let Some(h) = a.history {
        provenance.push(format!(
            "history: {} record(s) from {}",
            history.len(),
            h.display()
        ));
    }
    provenance.push(format!(
        "rules: {}; generated by quell {}",
        rules
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        env!("CARGO_PKG_VERSION")
    ));
    // The last figures of the verification, for the phase's closing line.
    let verified = Mutex::new((0u64, 0u64));
    let synthesized = synthesize_with_progress(
        &vf,
        &Options {
            legacy: a.legacy,
            provenance,
            max_alternatives: 5,
        },
        &|done, total| {
            if let Ok(mut p) = progress.lock() {
                p.step("verifying candidates", done as u64, total as u64);
            }
            if let Ok(mut l) = verified.lock() {
                *l = (done as u64, total as u64);
            }
        },
    );
    if let (Ok(mut p), Ok(l)) = (progress.lock(), verified.lock()) {
        p.finish("verifying candidates", l.0, l.1);
    }
    let proposal = match synthesized {
        Ok(p) => p,
        Err(e) => {
            note!("quell: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let best = &proposal.best;
    if a.json {
        let alts: Vec<Json> = proposal
            .alternatives
            .iter()
            .map(|c| json!({"template": c.template, "generality": c.generality, "names": c.exceptions.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), "yaml": c.yaml, "verification": verification_json(&c.verification)}))
            .collect();
        let mut out = Out::new();
        writeln!(
            out,
            "{}",
            json!({
                "rule": proposal.rule,
                "template": best.template,
                "generality": best.generality,
                "names": best.exceptions.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
                "yaml": best.yaml,
                "verification": verification_json(&best.verification),
                "alternatives": alts,
            })
        )?;
        out.flush()?;
    } else if a.output.is_none() {
        let mut out = Out::new();
        write!(out, "{}", best.yaml)?;
        out.flush()?;
    }
    if let Some(o) = a.output {
        std::fs::write(o, &best.yaml).with_context(|| format!("cannot write {}", o.display()))?;
    }
    if !a.json {
        note!(
            "quell: verified ({}): {}",
            best.template,
            summary(&best.verification)
        );
        for d in details(&best.verification) {
            note!("quell: {d}");
        }
        if let Some(o) = a.output {
            note!(
                "quell: wrote {}: load it after your rules (e.g. -r RULES -r {})",
                o.display(),
                o.display()
            );
        }
        for (i, c) in proposal.alternatives.iter().enumerate() {
            note!(
                "quell: alternative {} ({}): {}: {}",
                i + 1,
                c.template,
                if c.verification.passed {
                    "passes"
                } else {
                    "FAILS"
                },
                summary(&c.verification)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_check(
    a: &TuneArgs<'_>,
    rules: &[RulesFile],
    file: &Path,
    benign: &[Record],
    keep: &[Record],
    history: &[Record],
) -> Result<ExitCode> {
    let text = ruleset::read(file)?;
    let report = check_named(
        rules,
        &file.display().to_string(),
        &text,
        benign,
        keep,
        history,
    )?;
    let mut out = Out::new();
    if a.json {
        let per: Vec<Json> = report
            .rules
            .iter()
            .map(|r| {
                json!({
                    "rule": r.rule,
                    "verification": r.verification.as_ref().map(verification_json),
                    "corrected": r.corrected.as_ref().map(|c| json!({"yaml": c.yaml, "how": c.how, "verification": verification_json(&c.verification)})),
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            json!({"ok": report.ok, "problems": report.problems, "rules": per})
        )?;
    } else {
        if report.ok {
            writeln!(out, "{}: OK: loads after the rules with no error and no warning, and passes verification.", file.display())?;
        } else {
            writeln!(
                out,
                "{}: {} problem(s):",
                file.display(),
                report.problems.len()
            )?;
        }
        for (i, p) in report.problems.iter().enumerate() {
            writeln!(out, "  {}. {}\n     fix: {}", i + 1, p.what, p.fix)?;
        }
        for r in &report.rules {
            if let Some(v) = &r.verification {
                writeln!(
                    out,
                    "\nAs written, for \"{}\": {}",
                    quell_events::term::escape(&r.rule),
                    summary(v)
                )?;
            }
            if let Some(c) = &r.corrected {
                writeln!(
                    out,
                    "\nCorrected block ({}), verified: {}\n",
                    c.how,
                    summary(&c.verification)
                )?;
                write!(out, "{}", c.yaml)?;
            }
        }
    }
    out.flush()?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
