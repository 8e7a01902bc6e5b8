//! `quell demo`: the story end to end, in a container. An operator enters an httpd
//! container through the runtime with a terminal and deletes the package manager's log on
//! purpose; "Clear Log Activities" fires; quell triages the alert (likely false positive, and
//! why), synthesizes and verifies an exception, applies it (a local rules file loaded after
//! the defaults), the same action raises no alert, and an attack variant (a web shell in the
//! same container downloads and runs a payload, then deletes the same log) still alerts.
//!
//! Live when quell runs as root with BPF: `demo/setup.sh` creates a scratch container (a
//! docker-named cgroup v2 scope, mount/PID/UTS namespaces, a chroot rootfs), each step is
//! recorded with `quell run --record`, and `demo/teardown.sh` removes everything, also on
//! failure. Otherwise the recordings bundled in the binary are replayed (and the output says
//! so); `demo/record-demo.sh` makes them the same way.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use quell_rules::engine::{Engine, RuleMatching};
use quell_triage::catalogue::Catalogue;
use quell_triage::evidence::lineage;
use quell_triage::history::History;
use quell_triage::input::{parse_records, text, Record};
use quell_triage::synth::{synthesize, Options};
use quell_triage::verify::{RulesFile, Verifier};
use quell_triage::{Lang, Triage, Verdict};

use crate::alerts::alert_line;
use crate::cmd::triage::print_report;
use crate::cmd::tune::true_positives;
use crate::ruleset;

const RULE: &str = "Clear Log Activities";
/// The demo's scripts, written next to each other in a scratch directory for a live run.
const SCRIPTS: &[(&str, &str)] = &[
    ("setup.sh", include_str!("../../demo/setup.sh")),
    ("teardown.sh", include_str!("../../demo/teardown.sh")),
    ("operator.sh", include_str!("../../demo/operator.sh")),
    ("attack.sh", include_str!("../../demo/attack.sh")),
];
const REC_OPERATOR_1: &str = include_str!("../../demo/operator-1.jsonl");
const REC_OPERATOR_2: &str = include_str!("../../demo/operator-2.jsonl");
const REC_ATTACK: &str = include_str!("../../demo/attack.jsonl");

fn tr<'a>(lang: Lang, en: &'a str, ja: &'a str) -> &'a str {
    if lang == Lang::Ja {
        ja
    } else {
        en
    }
}

fn heading(out: &mut dyn Write, n: usize, en: &str, ja: &str, lang: Lang) -> std::io::Result<()> {
    writeln!(out, "\n== {n}. {} ==", tr(lang, en, ja))
}

/// The alerts `rule` raises over `records`: (alert line, record).
fn alerts_for<'a>(engine: &Engine, records: &'a [Record], rule: &str) -> Vec<(String, &'a Record)> {
    records
        .iter()
        .flat_map(|r| {
            engine
                .evaluate(&r.event, RuleMatching::All)
                .into_iter()
                .filter(|c| c.name == rule)
                .map(|c| {
                    (
                        alert_line(c, &r.event, r.event.timestamp_ns().unwrap_or(0)),
                        r,
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The process tree of an event, the process first: `rm ← sh ← runc ← script`.
fn tree(r: &Record) -> String {
    lineage(&r.event)
        .into_iter()
        .take(5)
        .map(|(_, name, _)| quell_events::term::escape(&name).into_owned())
        .collect::<Vec<_>>()
        .join(" ← ")
}

/// The container an event ran in, if any.
fn container_of(r: &Record) -> Option<String> {
    text(&r.event, "container.id").filter(|c| !c.is_empty() && c != "host")
}

/// Records one step live with `quell run --record`, its process tree started with `setsid`.
fn record_live(dir: &Path, name: &str, script: &Path, env: &[(&str, String)]) -> Result<String> {
    let exe = std::env::current_exe().context("cannot find the quell executable")?;
    let rec = dir.join(format!("{name}.jsonl"));
    let status = Command::new(exe)
        .arg("run")
        .arg("--record")
        .arg(&rec)
        .arg("--")
        .arg("setsid")
        .arg("sh")
        .arg(script)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("cannot start quell run")?;
    if !status.success() {
        bail!("live capture of the {name} step failed ({status})");
    }
    ruleset::read(&rec)
}

/// The scratch container; torn down (its cgroup's processes killed, the cgroup and the
/// scratch directory removed) when dropped, so also on an error or an interrupted run.
struct Container {
    teardown: PathBuf,
    root: PathBuf,
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg(&self.teardown)
            .env("T", &self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status();
    }
}

/// The loopback payload server (outside the recorded process trees); stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    let l =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot find a free loopback port")?;
    Ok(l.local_addr()?.port())
}

fn serve(dir: &Path, port: u16) -> Result<Server> {
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .arg("--directory")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start the loopback payload server (python3)")?;
    let mut server = Server(child);
    let t0 = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if t0.elapsed() > Duration::from_secs(5) || matches!(server.0.try_wait(), Ok(Some(_))) {
            bail!("the loopback payload server (python3 -m http.server) did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

/// Where the container lives: under /run (like a runtime's state) when it exists, so that
/// the stand-in runtime does not run from a temporary directory, else in the demo's
/// scratch directory.
fn container_root(dir: &Path) -> PathBuf {
    let run = Path::new("/run");
    if run.is_dir() {
        run.join(format!("quell-demo-{}", std::process::id()))
    } else {
        dir.join("ctr")
    }
}

/// Runs the three steps live in a scratch container; returns the three recordings.
fn live(dir: &Path, stop: &AtomicBool) -> Result<(String, String, String)> {
    for (name, text) in SCRIPTS {
        std::fs::write(dir.join(name), text)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    }
    let root = container_root(dir);
    std::fs::create_dir(&root).with_context(|| format!("cannot create {}", root.display()))?;
    let ctr = Container {
        teardown: dir.join("teardown.sh"),
        root: root.clone(),
    };
    let t = root.display().to_string();
    let st = Command::new("sh")
        .arg(dir.join("setup.sh"))
        .env("T", &t)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .context("cannot run the container setup")?;
    if !st.success() {
        bail!("the container setup failed ({st})");
    }
    // Each step starts from the same log.
    let log = root.join("rootfs/var/log/dpkg.log");
    let reset = || -> Result<()> {
        std::fs::copy(root.join("dpkg.log.orig"), &log)
            .with_context(|| format!("cannot restore {}", log.display()))?;
        if stop.load(Ordering::Relaxed) {
            bail!("interrupted");
        }
        Ok(())
    };
    let env = vec![("T", t.clone())];
    reset()?;
    let op1 = record_live(dir, "operator-1", &dir.join("operator.sh"), &env)?;
    reset()?;
    let op2 = record_live(dir, "operator-2", &dir.join("operator.sh"), &env)?;
    reset()?;
    let port = free_port()?;
    let server = serve(&root.join("srv"), port)?;
    let env = vec![("T", t), ("P", port.to_string())];
    let attack = record_live(dir, "attack", &dir.join("attack.sh"), &env)?;
    drop(server);
    drop(ctr);
    if stop.load(Ordering::Relaxed) {
        bail!("interrupted");
    }
    Ok((op1, op2, attack))
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
pub fn run(recorded: bool, lang: Lang) -> Result<ExitCode> {
    let dir: PathBuf = std::env::temp_dir().join(format!("quell-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let result = story(&dir, recorded, lang);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn story(dir: &Path, recorded: bool, lang: Lang) -> Result<ExitCode> {
    let mut out = crate::output::Out::new();
    let live_ok = !recorded && is_root() && super::run::live_capture_available();
    let bundled = || {
        (
            REC_OPERATOR_1.to_string(),
            REC_OPERATOR_2.to_string(),
            REC_ATTACK.to_string(),
        )
    };
    let ((op1, op2, attack), how) = if live_ok {
        writeln!(
            out,
            "{}",
            tr(
                lang,
                "quell demo: creating a scratch container and recording each step live...",
                "quell demo: 一時的なコンテナを作成し、各ステップをライブで記録しています...",
            )
        )?;
        out.flush()?;
        // Ctrl-C stops the run cleanly: the container is torn down before quell exits.
        let stop = Arc::new(AtomicBool::new(false));
        super::run::stop_on_signals(Arc::clone(&stop));
        match live(dir, &stop) {
            Ok(r) => (
                r,
                tr(
                    lang,
                    "live capture (root, BPF): each step below was just run in a scratch container and recorded with `quell run --record`",
                    "ライブキャプチャ（root、BPF）：以下の各ステップは一時的なコンテナで実行し、`quell run --record` で記録したものです",
                )
                .to_string(),
            ),
            Err(e) if stop.load(Ordering::Relaxed) => {
                bail!("interrupted ({e:#}): the scratch container, its cgroup and its files were removed")
            }
            Err(e) => (
                bundled(),
                match lang {
                    Lang::Ja => format!("ライブキャプチャに失敗しました（{e:#}）。代わりにこのバイナリに同梱の記録を再生します"),
                    _ => format!("live capture failed ({e:#}); replaying the recording bundled in this binary instead"),
                },
            ),
        }
    } else {
        let why = match (recorded, lang) {
            (true, Lang::Ja) => "--recorded が指定されました",
            (true, _) => "--recorded was given",
            (false, Lang::Ja) => "ライブキャプチャには root 権限と BPF が必要です",
            (false, _) => "live capture needs root and BPF",
        };
        (
            bundled(),
            match lang {
                Lang::Ja => format!("{why}。このバイナリに同梱の記録を再生します（crates/quell/demo/record-demo.sh が同じコンテナの筋書きを `quell run --record` でライブ記録したもの）"),
                _ => format!("{why}: replaying the recording bundled in this binary (the same container story, recorded live with `quell run --record` by crates/quell/demo/record-demo.sh)"),
            },
        )
    };
    writeln!(out, "quell demo: {how}{}", tr(lang, ".", "。"))?;
    let op1 = parse_records(&op1, "operator-1.jsonl")?;
    let op2 = parse_records(&op2, "operator-2.jsonl")?;
    let attack = parse_records(&attack, "attack.jsonl")?;

    let defaults = vec![RulesFile {
        name: ruleset::DEFAULT_RULES_NAME.into(),
        text: ruleset::DEFAULT_RULES.into(),
    }];
    let engine = quell_triage::verify::load_rules(&defaults)?;
    let first = alerts_for(&engine, &op1, RULE);
    let Some((_, first_rec)) = first.first() else {
        bail!("the operator step raised no \"{RULE}\" alert; the demo cannot go on");
    };
    let ctr = container_of(first_rec);
    match (ctr, lang) {
        (None, Lang::Ja) => writeln!(out, "この記録ではコンテナが見えません。筋書きはこのホスト上で実行されています。")?,
        (None, _) => writeln!(out, "No container is seen in this recording: the story ran on this host.")?,
        (Some(ctr), Lang::Ja) => writeln!(
            out,
            "舞台は httpd コンテナ {ctr} です（cgroup v2 の docker 名のスコープ、専用の mount・PID・UTS 名前空間、chroot したルートファイルシステム。\n削除されるのはこのコンテナの /var/log/dpkg.log で、ホストのものではありません）。運用担当者はランタイム（runc）経由で端末付きのシェルに入り、\nWeb サーバーの代役 httpd も同じコンテナで動きます。"
        )?,
        (Some(ctr), _) => writeln!(
            out,
            "The stage: httpd container {ctr} (a docker-named cgroup v2 scope, its own mount, PID and UTS namespaces,\na chroot rootfs; the dpkg.log deleted is the container's, never the host's). The operator enters it through\nthe runtime (runc) with a terminal; a stand-in web server named httpd runs in the same container."
        )?,
    }

    heading(
        &mut out,
        1,
        "The alert: an operator deletes dpkg.log on purpose",
        "アラート：運用担当者が意図的に dpkg.log を削除",
        lang,
    )?;
    writeln!(
        out,
        "{}{}",
        tr(lang, "process tree: ", "プロセスツリー："),
        tree(first_rec)
    )?;
    for (a, _) in &first {
        writeln!(out, "{a}")?;
    }

    heading(&mut out, 2, "Triage", "トリアージ", lang)?;
    let cat = Catalogue::builtin();
    let hist = History::empty();
    let host = crate::alerts::host_name();
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
    let op_benign = reports
        .iter()
        .filter(|r| r.rule == RULE)
        .all(|r| r.verdict == Verdict::LikelyFalsePositive);

    heading(
        &mut out,
        3,
        "A synthesized exception, verified before it is shown",
        "例外の自動生成（表示前に検証済み）",
        lang,
    )?;
    // The attack is history, not a keep set: tune triages the history itself and refuses
    // any exception that would silence an alert outside the benign set it does not rate benign.
    let keep = true_positives()?;
    let builtin = keep.len();
    let history: Vec<Record> = op1.iter().chain(&attack).cloned().collect();
    let vf = Verifier::new(&defaults, RULE, &op1, &keep, &history)?;
    let prop = synthesize(
        &vf,
        &Options {
            provenance: vec![
                "benign: the operator's deletion (operator-1.jsonl), judged benign by a person".into(),
                format!("keep: quell's true-positive catalogue ({builtin} events)"),
                "history: the operator's and the web shell's recordings (operator-1.jsonl, attack.jsonl), triaged by quell".into(),
            ],
            ..Options::default()
        },
    )?;
    write!(out, "{}", prop.best.yaml)?;
    let v = &prop.best.verification;
    match lang {
        Lang::Ja => writeln!(
            out,
            "検証：読み込み {} / 良性イベントの抑止 {}/{} / 維持すべきアラート {}/{} / 影響範囲 過去のアラート {} 件中 {} 件を抑止",
            if v.loads { "可" } else { "不可" },
            v.benign_silenced, v.benign_total, v.keep_alerting, v.keep_total, v.blast_radius.history_alerts, v.blast_radius.silenced
        )?,
        _ => writeln!(
            out,
            "verification: loads={} benign silenced {}/{} keep still alerting {}/{} blast radius {} of {} past alerts",
            v.loads, v.benign_silenced, v.benign_total, v.keep_alerting, v.keep_total, v.blast_radius.silenced, v.blast_radius.history_alerts
        )?,
    }

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
        "{} {}  (quell replay --default-rules -r {} ...)",
        tr(lang, "wrote", "書き込み先："),
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
    if let Some((_, r)) = before.first() {
        writeln!(
            out,
            "{}{}",
            tr(lang, "process tree: ", "プロセスツリー："),
            tree(r)
        )?;
    }
    match lang {
        Lang::Ja => writeln!(
            out,
            "例外なし：アラート {} 件、例外あり：アラート {} 件",
            before.len(),
            again.len()
        )?,
        _ => writeln!(
            out,
            "without the exception: {} alert(s); with it: {} alert(s)",
            before.len(),
            again.len()
        )?,
    }

    heading(
        &mut out,
        6,
        "The attack variant: a web shell in the same container downloads and runs a payload, then deletes the same log",
        "攻撃パターン：同じコンテナの Web シェルがペイロードを取得・実行し、同じログを削除",
        lang,
    )?;
    let attack_alerts = alerts_for(&tuned, &attack, RULE);
    if let Some((_, r)) = attack_alerts.first() {
        writeln!(
            out,
            "{}{}",
            tr(lang, "process tree: ", "プロセスツリー："),
            tree(r)
        )?;
    }
    for (a, _) in &attack_alerts {
        writeln!(out, "{a}")?;
    }
    match lang {
        Lang::Ja => writeln!(
            out,
            "例外を適用した状態でも \"{RULE}\" のアラートが {} 件発生",
            attack_alerts.len()
        )?,
        _ => writeln!(
            out,
            "with the exception applied: {} \"{RULE}\" alert(s) still raised",
            attack_alerts.len()
        )?,
    }
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
    let attack_real = areports
        .iter()
        .filter(|r| r.rule == RULE)
        .all(|r| r.verdict == Verdict::LikelyReal);
    let checks: [(bool, &str, &str); 4] = [
        (
            op_benign,
            "the operator's deletion is triaged as likely a false positive",
            "運用担当者の削除が誤検知の可能性が高いと判定される",
        ),
        (
            !before.is_empty() && again.is_empty(),
            "the same action again raises no alert with the exception",
            "例外の適用後、同じ操作でアラートが出ない",
        ),
        (
            !attack_alerts.is_empty(),
            "the attack still alerts with the exception",
            "例外の適用後も攻撃はアラートになる",
        ),
        (
            attack_real,
            "the attack is triaged as likely real",
            "攻撃が実際の攻撃の可能性が高いと判定される",
        ),
    ];
    let story_holds = checks.iter().all(|c| c.0);
    if story_holds {
        writeln!(
            out,
            "\n{}",
            tr(
                lang,
                "The story holds: the operator's deletion is triaged as likely benign and silenced by a verified exception; the attack still alerts and is triaged as likely real.",
                "筋書きどおりです：運用担当者の削除は誤検知の可能性が高いと判定され、検証済みの例外で抑止されました。攻撃は引き続きアラートになり、実際の攻撃の可能性が高いと判定されました。",
            )
        )?;
    } else {
        writeln!(
            out,
            "\n{}",
            tr(
                lang,
                "The story did NOT hold on this run:",
                "今回の実行では筋書きどおりになりませんでした：",
            )
        )?;
        for (_, en, ja) in checks.iter().filter(|c| !c.0) {
            writeln!(
                out,
                "  - {}{}",
                tr(lang, "not met: ", "未達："),
                tr(lang, en, ja)
            )?;
        }
    }
    Ok(if story_holds {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
