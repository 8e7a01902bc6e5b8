//! `quell run`: capture live syscalls with eBPF and evaluate them against rules.
//!
//! Without a command, the whole host is watched until SIGINT/SIGTERM; with
//! `-- CMD ARGS`, CMD is started and only its process tree is watched, until
//! CMD exits. Either way the buffers are drained and statistics printed.

#[cfg(feature = "live")]
use std::cell::RefCell;
#[cfg(feature = "live")]
use std::fs::File;
#[cfg(feature = "live")]
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
#[cfg(feature = "live")]
use std::rc::Rc;
#[cfg(feature = "live")]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "live")]
use std::sync::Arc;
#[cfg(feature = "live")]
use std::time::{Duration, Instant};

#[cfg(feature = "live")]
use anyhow::Context;
use anyhow::Result;
#[cfg(feature = "live")]
use quell_capture::{Capture, CaptureConfig, LiveEvent};
#[cfg(feature = "live")]
use quell_rules::engine::Engine;
use quell_rules::engine::RuleMatching;

use crate::cli::{RecordFormat, SensorOpts};

#[cfg(feature = "live")]
use crate::alerts::{now_ns, AlertSink};
#[cfg(feature = "live")]
use crate::ruleset;

/// Exit status for "capture is not possible here" (not root, no BPF, ...).
const EXIT_UNSUPPORTED: u8 = 2;

#[cfg(feature = "live")]
/// `1` in an environment variable: the switches of the benchmarks and tests.
fn env_on(name: &str) -> bool {
    std::env::var(name).as_deref() == Ok("1")
}

/// The spool's directory when `--spool-dir` is not given.
#[cfg(feature = "live")]
fn default_spool_dir() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("/var/lib"));
    state.join("quell/spool")
}

/// Starts the sensor of `quell run --server` and picks the rules: the server's active
/// version when it has one that compiles, else the local ones (`-r`, or the bundled rules).
#[cfg(feature = "live")]
fn start_sensor(
    opts: &SensorOpts,
    rules: &[PathBuf],
    with_defaults: bool,
) -> Result<(quell_sensor::Sensor, Engine, Option<String>)> {
    let server = opts.server.as_deref().unwrap_or_default();
    let token_file = opts
        .token_file
        .as_deref()
        .context("--server needs --token-file")?;
    let token = ruleset::read(token_file)?;
    let spool_dir = opts.spool_dir.clone().unwrap_or_else(default_spool_dir);
    let mut cfg = quell_sensor::SensorConfig::new(server, &token, spool_dir);
    cfg.spool_max_bytes = opts.spool_max_bytes;
    cfg.ca_file = opts.ca_file.clone();
    cfg.host = crate::alerts::host_name();
    cfg.say = Arc::new(|m: &str| crate::note!("{}", quell_events::term::escape(m)));
    let sensor = quell_sensor::Sensor::start(cfg).context("cannot start the sensor")?;
    let local = || -> Result<Engine> {
        sensor.set_local_rules();
        ruleset::load(rules, with_defaults)
    };
    let server_name = quell_events::term::escape(server);
    Ok(match sensor.fetch_rules(Duration::from_secs(5)) {
        quell_sensor::RulesAtStart::Server(r) => {
            crate::note!(
                "quell: evaluating the rules of version {} from {server_name}",
                r.version
            );
            let revision = Some(r.revision);
            (sensor, r.engine, revision)
        }
        quell_sensor::RulesAtStart::NoneOnServer => {
            crate::note!("quell: {server_name} has no rule set yet: evaluating the local rules until one is saved there");
            let e = local()?;
            (sensor, e, None)
        }
        quell_sensor::RulesAtStart::Unreachable(why) => {
            crate::note!(
                "quell: cannot fetch the rules from {server_name} ({}): evaluating the local rules; alerts are spooled and delivered when it answers, and its rules are fetched then",
                quell_events::term::escape(&why)
            );
            let e = local()?;
            (sensor, e, None)
        }
        quell_sensor::RulesAtStart::Refused {
            version,
            revision,
            error,
        } => {
            crate::note!(
                "quell: the rules of version {version} from {server_name} are refused ({}): evaluating the local rules",
                quell_events::term::escape(&error)
            );
            let e = local()?;
            (sensor, e, Some(revision))
        }
    })
}

/// What a new rule set needs captured that the running capture does not collect (the
/// capture is configured once, at start): a warning, or `None`.
#[cfg(feature = "live")]
fn capture_gap(running: &CaptureConfig, record: bool, engine: &Engine) -> Option<String> {
    if record {
        return None;
    }
    let want = CaptureConfig::for_rules(engine.rules(), false);
    let mut gaps = Vec::new();
    if let Some(have) = &running.event_types {
        match &want.event_types {
            None => gaps.push("every event type".to_string()),
            Some(w) => {
                let missing: Vec<&str> = w.difference(have).map(String::as_str).collect();
                if !missing.is_empty() {
                    gaps.push(format!("the event types {}", missing.join(", ")));
                }
            }
        }
    }
    if let Some(have) = &running.open_filter {
        if want.open_filter.as_ref() != Some(have) {
            gaps.push("opens the running prefilter may leave in the kernel".into());
        }
    }
    if !want.host_names.is_subset(&running.host_names) {
        gaps.push("host names resolved at start only".into());
    }
    (!gaps.is_empty()).then(|| {
        format!(
            "it may need {} that this capture, configured at start, does not collect: restart `quell run` to collect them",
            gaps.join("; ")
        )
    })
}

/// Runs `quell run`.
#[cfg(feature = "live")]
pub fn run(
    rules: &[PathBuf],
    with_defaults: bool,
    matching: RuleMatching,
    json: bool,
    record: Option<(&Path, RecordFormat)>,
    server: Option<&SensorOpts>,
    command: &[String],
) -> Result<ExitCode> {
    if let Err(e) = quell_capture::check_support() {
        crate::note!("quell: {e}");
        return Ok(ExitCode::from(EXIT_UNSUPPORTED));
    }
    let (mut sensor, mut engine, version) = match server {
        Some(opts) => {
            let (s, e, v) = start_sensor(opts, rules, with_defaults)?;
            (Some(s), e, v)
        }
        None => (None, ruleset::load(rules, with_defaults)?, None),
    };
    let mut recorder = match record {
        Some((p, RecordFormat::Jsonl)) => {
            Some(BufWriter::new(File::create(p).with_context(|| {
                format!("cannot create record file {}", p.display())
            })?))
        }
        _ => None,
    };
    let scap_path = record.and_then(|(p, f)| (f == RecordFormat::Scap).then_some(p));
    let scap_out = match scap_path {
        Some(p) => Some(
            quell_scap::write::create_file(p)
                .with_context(|| format!("cannot create capture file {}", p.display()))?,
        ),
        None => None,
    };
    // What the rules need captured (a recording captures everything). The
    // benchmarks' and tests' switches: QUELL_CAPTURE_NO_PREFILTER=1 sends
    // every open, QUELL_CAPTURE_EMPTY_INTEREST=1 attaches with no syscall of
    // interest, QUELL_CAPTURE_FD_HELPER=1 loads the portable program only.
    let mut cfg = CaptureConfig::for_rules(engine.rules(), record.is_some());
    cfg.follow_children = !command.is_empty();
    if env_on("QUELL_CAPTURE_NO_PREFILTER") {
        cfg.open_filter = None;
    }
    cfg.hook_only = env_on("QUELL_CAPTURE_EMPTY_INTEREST");
    cfg.fd_helper_only = env_on("QUELL_CAPTURE_FD_HELPER");
    report_never_firing(&engine);
    let reloads = match &mut sensor {
        Some(ref mut s) => {
            let running = cfg.clone();
            let recording = record.is_some();
            let check: quell_sensor::EngineCheck =
                Box::new(move |e: &Engine| capture_gap(&running, recording, e));
            Some(s.watch_rules(version, Some(check))?)
        }
        None => None,
    };
    let mut cap = match Capture::start(&cfg) {
        Ok(c) => c,
        Err(e) => {
            crate::note!("quell: {e}");
            return Ok(ExitCode::from(EXIT_UNSUPPORTED));
        }
    };
    // A scap recording: the tables of the processes that exist now, then every record.
    let scap = match (scap_out, scap_path) {
        (Some(out), Some(p)) => {
            let host = hostname::get()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default();
            let w = quell_scap::write::RecordWriter::start(out, cap.state(), &host)
                .with_context(|| format!("writing the capture file {}", p.display()))?;
            let shared = Rc::new(RefCell::new(ScapRecording {
                writer: Some(w),
                error: None,
            }));
            let tap = Rc::clone(&shared);
            cap.set_record_tap(Some(Box::new(move |r, state| {
                let mut rec = tap.borrow_mut();
                let ScapRecording { writer, error } = &mut *rec;
                if let (Some(w), None) = (writer.as_mut(), error.as_ref()) {
                    if let Err(e) = w.record(r, state) {
                        *error = Some(e);
                    }
                }
            })));
            Some((shared, p))
        }
        _ => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    quell_capture::stop_on_signals(Arc::clone(&stop)).context("cannot install signal handlers")?;
    if command.is_empty() {
        // Host mode runs until stopped: say that it is ready and how to stop it.
        let enabled = engine.rules().iter().filter(|r| r.enabled).count();
        crate::note!(
            "quell: watching every process on this host with {enabled} rules; stop with Ctrl-C or SIGTERM"
        );
    }

    let mut child = match command.split_first() {
        None => None,
        Some((prog, args)) => Some(
            std::process::Command::new(prog)
                .args(args)
                .spawn()
                .with_context(|| format!("cannot start `{prog}`"))?,
        ),
    };

    let mut sink = AlertSink::new(crate::output::Out::new(), json);
    let mut write_err: Option<io::Error> = None;
    let start = Instant::now();
    let host = crate::alerts::host_name();
    let mut alert_json = Vec::new();
    // Shared by the event callback (spooling alerts) and the loop (syncing the spool).
    let sensor = RefCell::new(sensor);
    // Rules read the live view, which extracts only the fields they ask for;
    // the complete event is built only for `--record`.
    let mut on_event = |ev: &LiveEvent<'_>| {
        if write_err.is_some() {
            return;
        }
        // A new rule set from the server takes effect between two events.
        if let Some(rx) = &reloads {
            while let Ok(r) = rx.try_recv() {
                engine = r.engine;
            }
        }
        let get = |k: &str| ev.get(k);
        if let Some(s) = sensor.borrow_mut().as_mut() {
            s.observe(quell_rules::field::Event::evt_type(ev), &get);
        }
        if let Some(w) = recorder.as_mut() {
            if let Err(e) = writeln!(w, "{}", ev.to_flat().to_json_line()) {
                write_err = Some(e);
                return;
            }
        }
        let ts = ev.timestamp_ns().unwrap_or_else(now_ns);
        for rule in engine.evaluate(ev, matching) {
            if let Err(e) = sink.emit(rule, ev, ts) {
                write_err = Some(e);
                return;
            }
            if let Some(s) = sensor.borrow_mut().as_mut() {
                alert_json.clear();
                quell_events::FalcoAlert::write_json_line(&mut alert_json, rule, ev, ts, &host);
                s.emit(&alert_json, &get);
            }
        }
    };
    // Benchmark control (scripts/bench-capture-pairs.sh and
    // bench-capture-interleave.sh), host mode only: with QUELL_BENCH_TOGGLE=1,
    // SIGUSR1 detaches the programs, SIGUSR2 re-attaches them, SIGWINCH
    // attaches them with no syscall of interest and SIGURG attaches them
    // reading open paths only, so that runs in each state need no restart;
    // each switch is acknowledged on stderr with the counters.
    let toggle = (command.is_empty() && env_on("QUELL_BENCH_TOGGLE"))
        .then(quell_capture::BenchSignals::install)
        .transpose()
        .context("cannot install the benchmark's signal handlers")?;
    let mut child_status = None;
    let mut synced = Instant::now();
    loop {
        cap.poll_live(Duration::from_millis(100), &mut on_event)?;
        // Spooled alerts are made durable (and the sender woken) every 50 ms at most.
        if synced.elapsed() >= Duration::from_millis(50) {
            if let Some(s) = sensor.borrow_mut().as_mut() {
                s.sync();
                s.set_kernel_drops(cap.stats().dropped);
            }
            synced = Instant::now();
        }
        if let Some(signals) = &toggle {
            use quell_capture::BenchState;
            for state in signals.take() {
                cap.set_hook_only(state == BenchState::HookOnly)?;
                cap.set_paths_only(state == BenchState::PathsOnly)?;
                cap.set_attached(state != BenchState::Detached)?;
                let s = cap.stats();
                crate::note!(
                    "quell: bench: {} ({} events, {} dropped so far)",
                    match state {
                        BenchState::Detached => "detached",
                        BenchState::Attached => "attached",
                        BenchState::HookOnly => "hook-only",
                        BenchState::PathsOnly => "paths-only",
                    },
                    s.delivered,
                    s.dropped
                );
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(c) = child.as_mut() {
            if let Some(st) = c.try_wait().context("waiting for the command")? {
                child_status = Some(st);
                break;
            }
        }
    }
    cap.drain_live(&mut on_event)?;
    let sensor = sensor.into_inner();
    if let Some(s) = &sensor {
        s.set_kernel_drops(cap.stats().dropped);
    }
    if let Some(e) = write_err {
        return Err(e).context("writing output");
    }
    sink.flush()?;
    if let Some(w) = recorder.as_mut() {
        w.flush().context("writing the record file")?;
    }
    if let Some((shared, p)) = scap {
        cap.set_record_tap(None);
        let mut rec = shared.borrow_mut();
        if let Some(e) = rec.error.take() {
            return Err(e).with_context(|| format!("writing the capture file {}", p.display()));
        }
        if let Some(w) = rec.writer.take() {
            let stats = w.stats().clone();
            w.finish()
                .with_context(|| format!("writing the capture file {}", p.display()))?;
            if stats.skipped > 0 {
                crate::note!(
                    "quell: {} records were not written to {} (calls sysdig 0.29's event table has no event for, failed forks; see crates/quell-scap/README.md)",
                    stats.skipped,
                    quell_events::term::escape(&p.display().to_string())
                );
            }
        }
    }
    let stats = cap.stats();
    let secs = start.elapsed().as_secs_f64();
    crate::note!(
        "quell: {} events in {:.1}s ({:.0} events/s), {} dropped, {} alerts; left in the kernel: {} opens no rule needs, {} closes of fds quell never saw",
        stats.delivered,
        secs,
        if secs > 0.0 {
            stats.delivered as f64 / secs
        } else {
            0.0
        },
        stats.dropped,
        sink.total(),
        stats.filtered,
        stats.closes_skipped
    );
    if stats.dropped > 0 {
        crate::note!(
            "quell: warning: {} events were lost because the ring buffers were full",
            stats.dropped
        );
    }
    for (rule, n) in &sink.counts {
        crate::note!("quell:   {n:>8}  {rule}");
    }
    if let (Some(s), Some(opts)) = (sensor, server) {
        let flush = Duration::from_secs(opts.flush_timeout);
        let sum = s.finish(flush);
        let to = quell_events::term::escape(opts.server.as_deref().unwrap_or_default());
        crate::note!(
            "quell: {} alerts delivered to {to} in this run; {} left in the spool{}",
            sum.delivered,
            sum.pending,
            if sum.pending > 0 {
                " (the next `quell run --server` with the same spool delivers them)"
            } else {
                ""
            }
        );
        if sum.dropped > 0 {
            crate::note!(
                "quell: warning: {} alerts were dropped because the spool was full (--spool-max-bytes)",
                sum.dropped
            );
        }
        if sum.rejected > 0 {
            crate::note!(
                "quell: warning: the server refused {} alerts as malformed",
                sum.rejected
            );
        }
    }
    if let Some(st) = child_status {
        if !st.success() {
            crate::note!("quell: the command exited with {st}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A scap recording in progress: its writer and the first write error.
#[cfg(feature = "live")]
struct ScapRecording {
    writer: Option<quell_scap::write::RecordWriter<Box<dyn Write>>>,
    error: Option<io::Error>,
}

/// Says once, at start-up, which enabled rules can never fire under live
/// capture and why (fields `quell run` does not produce, event types it does
/// not capture).
#[cfg(feature = "live")]
fn report_never_firing(engine: &Engine) {
    let never = quell_capture::availability::never_firing(engine.rules());
    if never.is_empty() {
        return;
    }
    let enabled = engine.rules().iter().filter(|r| r.enabled).count();
    crate::note!(
        "quell: {} of {enabled} enabled rules can never fire under live capture:",
        never.len()
    );
    for n in &never {
        crate::note!(
            "quell:   {}: {}",
            quell_events::term::escape(&n.rule),
            quell_events::term::escape(&n.why.join("; "))
        );
    }
}

/// `quell run` in a build without live capture: says so, exit 2.
#[cfg(not(feature = "live"))]
pub fn run(
    _rules: &[PathBuf],
    _with_defaults: bool,
    _matching: RuleMatching,
    _json: bool,
    _record: Option<(&Path, RecordFormat)>,
    _server: Option<&SensorOpts>,
    _command: &[String],
) -> Result<ExitCode> {
    crate::note!("quell: this quell was built without live capture (the `live` cargo feature, which needs clang and libbpf); rebuild it with default features to use `quell run`");
    Ok(ExitCode::from(EXIT_UNSUPPORTED))
}

/// Whether this build and this machine can capture live (the demo's choice
/// between recording live and replaying its bundled recording).
pub fn live_capture_available() -> bool {
    #[cfg(feature = "live")]
    {
        quell_capture::check_support().is_ok()
    }
    #[cfg(not(feature = "live"))]
    {
        false
    }
}

/// Sets `flag` on SIGINT or SIGTERM instead of terminating (live builds;
/// elsewhere nothing is installed and the signals keep their default).
pub fn stop_on_signals(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    #[cfg(feature = "live")]
    {
        let _ = quell_capture::stop_on_signals(flag);
    }
    #[cfg(not(feature = "live"))]
    {
        let _ = flag;
    }
}
