//! `quell demo`: the story end to end. An operator deletes the package manager's log on
//! purpose and "Clear Log Activities" fires; quell triages the alert (likely false
//! positive, and why), synthesizes and verifies an exception, applies it (a local rules
//! file loaded after the defaults), the same action raises no alert, and an attack
//! variant (a web shell that downloads a payload which deletes the same log) still alerts.
//!
//! Live when quell runs as root with BPF; otherwise from recordings bundled in the binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use quell_rules::engine::{Engine, RuleMatching};
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::input::{parse_records, Record};
use quell_triage::synth::{synthesize, Options};
use quell_triage::verify::{RulesFile, Verifier};
use quell_triage::{Lang, Triage, Verdict};

use crate::alerts::alert_line;
use crate::cmd::triage::print_report;
use crate::cmd::tune::true_positives;
use crate::ruleset;

const RULE: &str = "Clear Log Activities";
const SETUP: &str = include_str!("../../demo/setup.sh");
const OPERATOR: &str = include_str!("../../demo/operator.sh");
const ATTACK: &str = include_str!("../../demo/attack.sh");
const REC_OPERATOR_1: &str = include_str!("../../demo/operator-1.jsonl");
const REC_OPERATOR_2: &str = include_str!("../../demo/operator-2.jsonl");
const REC_ATTACK: &str = include_str!("../../demo/attack.jsonl");

fn heading(out: &mut dyn Write, n: usize, en: &str, ja: &str, lang: Lang) -> std::io::Result<()> {
    let t = if lang == Lang::Ja { ja } else { en };
    writeln!(out, "\n== {n}. {t} ==")
}

fn alerts_for(engine: &Engine, records: &[Record], rule: &str) -> Vec<String> {
    records
        .iter()
        .flat_map(|r| {
            engine
                .evaluate(&r.event, RuleMatching::All)
                .into_iter()
                .filter(|c| c.name == rule)
                .map(|c| alert_line(c, &r.event, r.event.timestamp_ns().unwrap_or(0)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Records one step live with `quell run --record`.
fn record_live(dir: &Path, name: &str, script: &str, env: &[(&str, String)]) -> Result<String> {
    let exe = std::env::current_exe().context("cannot find the quell executable")?;
    let script_path = dir.join(format!("{name}.sh"));
    std::fs::write(&script_path, script)?;
    let rec = dir.join(format!("{name}.jsonl"));
    let status = Command::new(exe)
        .arg("run")
        .arg("--record")
        .arg(&rec)
        .arg("--")
        .arg("setsid")
        .arg("sh")
        .arg(&script_path)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .context("cannot start quell run")?;
    if !status.success() {
        bail!("live capture of the {name} step failed ({status})");
    }
    ruleset::read(&rec)
}

fn sh(script: &str, env: &[(&str, String)]) -> Result<()> {
    let st = Command::new("sh")
        .arg("-c")
        .arg(script)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .status()?;
    if !st.success() {
        bail!("the demo setup failed ({st})");
    }
    Ok(())
}

/// Runs the three steps live; returns the three recordings.
fn live(dir: &Path) -> Result<(String, String, String)> {
    let s = "/var/log/quell-demo".to_string();
    let w = dir.join("scratch").display().to_string();
    let env = vec![
        ("S", s.clone()),
        ("W", w.clone()),
        ("P", "18766".to_string()),
    ];
    let fresh = |env: &[(&str, String)]| -> Result<()> {
        let _ = std::fs::remove_dir_all(&s);
        let _ = std::fs::remove_dir_all(&w);
        sh(SETUP, env)
    };
    fresh(&env)?;
    let op1 = record_live(dir, "operator-1", OPERATOR, &env)?;
    fresh(&env)?;
    let op2 = record_live(dir, "operator-2", OPERATOR, &env)?;
    fresh(&env)?;
    let mut server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "18766",
            "--directory",
        ])
        .arg(format!("{w}/srv"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot start the loopback payload server (python3)")?;
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let attack = record_live(dir, "attack", ATTACK, &env);
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&s);
    let _ = std::fs::remove_dir_all(&w);
    Ok((op1, op2, attack?))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs `quell demo`.
pub fn run(recorded: bool, lang: &str) -> Result<ExitCode> {
    let Some(lang) = Lang::parse(lang) else {
        bail!("unknown language \"{lang}\": use en or ja")
    };
    let dir: PathBuf = std::env::temp_dir().join(format!("quell-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let live_ok = !recorded && is_root() && quell_capture::check_support().is_ok();
    let (op1, op2, attack, how) = if live_ok {
        match live(&dir) {
            Ok((a, b, c)) => (a, b, c, "live capture (root, BPF): each step below was just run and recorded with `quell run --record`".to_string()),
            Err(e) => (
                REC_OPERATOR_1.to_string(),
                REC_OPERATOR_2.to_string(),
                REC_ATTACK.to_string(),
                format!("live capture failed ({e:#}); replaying the recording bundled in this binary instead"),
            ),
        }
    } else {
        let why = if recorded {
            "--recorded was given"
        } else {
            "live capture needs root and BPF"
        };
        (
            REC_OPERATOR_1.to_string(),
            REC_OPERATOR_2.to_string(),
            REC_ATTACK.to_string(),
            format!("{why}: replaying the recording bundled in this binary (recorded live with `quell run --record` by crates/quell/demo/record-demo.sh)"),
        )
    };
    writeln!(out, "quell demo: {how}.")?;
    writeln!(out, "The story runs on this host: an operator's shell, and a stand-in web server named httpd (the issue's story has them in an httpd container).")?;
    let op1 = parse_records(&op1, "operator-1.jsonl")?;
    let op2 = parse_records(&op2, "operator-2.jsonl")?;
    let attack = parse_records(&attack, "attack.jsonl")?;

    let defaults = vec![RulesFile {
        name: ruleset::DEFAULT_RULES_NAME.into(),
        text: ruleset::DEFAULT_RULES.into(),
    }];
    let engine = quell_triage::verify::load_rules(&defaults)?;

    heading(
        &mut out,
        1,
        "The alert: an operator deletes dpkg.log on purpose",
        "アラート：運用担当者が意図的に dpkg.log を削除",
        lang,
    )?;
    let first = alerts_for(&engine, &op1, RULE);
    if first.is_empty() {
        bail!("the operator step raised no \"{RULE}\" alert; the demo cannot go on");
    }
    for a in &first {
        writeln!(out, "{a}")?;
    }

    heading(&mut out, 2, "Triage", "トリアージ", lang)?;
    let cat = Catalogue::builtin();
    let hist = History::empty();
    let host = hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reports = Triage {
        engine: &engine,
        catalogue: &cat,
        history: &hist,
        lang,
        hostname: &host,
    }
    .run(&op1);
    for r in reports.iter().filter(|r| r.rule == RULE) {
        print_report(&mut out, r, lang)?;
    }

    heading(
        &mut out,
        3,
        "A synthesized exception, verified before it is shown",
        "例外の自動生成（表示前に検証済み）",
        lang,
    )?;
    let mut keep = true_positives();
    let builtin = keep.len();
    keep.extend(attack.iter().cloned());
    let history: Vec<Record> = op1.iter().chain(&attack).cloned().collect();
    let vf = Verifier::new(&defaults, RULE, &op1, &keep, &history)?;
    let prop = synthesize(
        &vf,
        &Options {
            provenance: vec![
                "benign: the operator's deletion (operator-1.jsonl), judged benign by a person".into(),
                format!("keep: quell's true-positive catalogue ({builtin} events) + the attack variant (attack.jsonl)"),
            ],
            ..Options::default()
        },
    )?;
    write!(out, "{}", prop.best.yaml)?;
    let v = &prop.best.verification;
    writeln!(
        out,
        "verification: loads={} benign silenced {}/{} keep still alerting {}/{} blast radius {} of {} past alerts",
        v.loads, v.benign_silenced, v.benign_total, v.keep_alerting, v.keep_total, v.blast_radius.silenced, v.blast_radius.history_alerts
    )?;

    heading(
        &mut out,
        4,
        "Applying it: a local rules file loaded after the defaults",
        "適用：デフォルトの後に読み込むローカルルールファイル",
        lang,
    )?;
    let local = dir.join("quell_rules.local.yaml");
    std::fs::write(&local, &prop.best.yaml)
        .with_context(|| format!("cannot write {}", local.display()))?;
    writeln!(
        out,
        "wrote {}  (quell replay --default-rules -r {} ...)",
        local.display(),
        local.display()
    )?;
    let mut tuned_rules = defaults.clone();
    tuned_rules.push(RulesFile {
        name: local.display().to_string(),
        text: ruleset::read(&local)?,
    });
    let tuned = quell_triage::verify::load_rules(&tuned_rules)?;

    heading(
        &mut out,
        5,
        "The same action again: no alert",
        "同じ操作をもう一度：アラートなし",
        lang,
    )?;
    let again = alerts_for(&tuned, &op2, RULE);
    let before = alerts_for(&engine, &op2, RULE);
    writeln!(
        out,
        "without the exception: {} alert(s); with it: {} alert(s)",
        before.len(),
        again.len()
    )?;

    heading(
        &mut out,
        6,
        "The attack variant: a web shell downloads a payload that deletes the same log",
        "攻撃パターン：Web シェルがペイロードを取得し、同じログを削除",
        lang,
    )?;
    let attack_alerts = alerts_for(&tuned, &attack, RULE);
    for a in &attack_alerts {
        writeln!(out, "{a}")?;
    }
    writeln!(
        out,
        "with the exception applied: {} \"{RULE}\" alert(s) still raised",
        attack_alerts.len()
    )?;
    let areports = Triage {
        engine: &tuned,
        catalogue: &cat,
        history: &hist,
        lang,
        hostname: &host,
    }
    .run(&attack);
    for r in areports.iter().filter(|r| r.rule == RULE) {
        print_report(&mut out, r, lang)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let story_holds = again.is_empty()
        && !before.is_empty()
        && !attack_alerts.is_empty()
        && areports
            .iter()
            .filter(|r| r.rule == RULE)
            .all(|r| r.verdict == Verdict::LikelyReal);
    writeln!(
        out,
        "\n{}",
        if story_holds {
            "The story holds: the benign action is silenced, the attack still alerts and is triaged as likely real."
        } else {
            "The story did NOT hold on this run: see the figures above."
        }
    )?;
    Ok(if story_holds {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
