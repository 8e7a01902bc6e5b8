//! # quell-capture: live syscall capture with eBPF
//!
//! A C BPF program (`src/bpf/quell.bpf.c`, compiled by clang from `build.rs`,
//! CO-RE against the running kernel's BTF) hooks the raw tracepoints
//! `sys_exit` and `sched_process_{fork,exec,exit}`. An interest bitmap filled
//! from the event types the loaded rules need lets uninteresting syscalls
//! leave after a few instructions. Records go through one BPF ring buffer per
//! CPU to userspace, where the state engine ([`state`]) keeps a process table
//! (seeded from `/proc`), fd tables and working directories, derives the
//! container from the cgroup, and turns each record into an event carrying
//! Falco field names: a [`LiveEvent`] view ([`Capture::poll_live`]) that
//! extracts process fields only when a rule reads them, or a complete
//! [`quell_events::FlatEvent`] ([`Capture::poll`], [`LiveEvent::to_flat`]).
//!
//! Details worth knowing:
//! - fd tables: successful `close`/`close_range` drop entries (a bare header
//!   record; an event only when a rule names `close` or everything is
//!   recorded); `open*`, `socket`, `accept*`, `dup*`, `memfd_create`, `pipe*`
//!   and `socketpair` replace entry N; a `dup` of an fd the table does not
//!   know and `userfaultfd` remove entry N, so a reused number never keeps a
//!   closed file's name.
//! - open prefilter ([`prefilter`]): given the rules' necessary condition on
//!   opened paths ([`quell_rules::prefilter`]), the program leaves in the
//!   kernel the opens no rule can match and no fd-table reader can need
//!   (clean absolute paths outside every atom, not directories); they are
//!   counted as `filtered`. Recording (`--record`) captures every open.
//!   Closes of fds no record reported stay in the kernel too (a per-fd-table
//!   bitmap, with a per-CPU cache in front of it for the fds a thread got
//!   from dropped opens), unless a rule matches `close` or the run records.
//! - `execveat` is told from `execve` in `sched_prepare_exec` (Linux ≥ 6.10),
//!   before the ELF loader rewrites the syscall number; on older kernels every
//!   exec reads as `execve`.
//! - `proc.is_exe_upper_layer`: at exec, the executable's inode is checked for
//!   overlayfs (superblock magic) and, through CO-RE on `struct ovl_inode`,
//!   for an upper-layer dentry. Not on overlayfs: false. On overlayfs with a
//!   kernel lacking the type: missing (never a guessed false). Processes seeded
//!   from `/proc` leave it missing. `proc.exe_ino.ctime`/`mtime` come from the
//!   same inode (or `stat` of `/proc/PID/exe` when seeding); `proc.duration`
//!   and `proc.pid.ts` from the process start time.
//!
//! The BPF program and its loader ([`Capture`], [`capture`]) are the default
//! `bpf` feature, which needs clang and libbpf to build. Without it the rest
//! (the syscall table, [`wire`] decoding into typed [`record`]s, the
//! [`state`] engine and its [`LiveEvent`] view, [`CaptureConfig::for_rules`])
//! builds anywhere, and [`check_support`] says capture was not built in.

pub mod availability;
pub mod container;
pub mod dns;
pub mod flags;
#[cfg(feature = "bpf")]
mod live;
pub mod order;
pub mod prefilter;
pub mod procfs;
pub mod record;
pub mod state;
pub mod syscalls;
mod table;
pub mod wire;

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[cfg(feature = "bpf")]
pub use live::{Capture, RecordTap};
pub use quell_events::FlatEvent;
pub use state::LiveEvent;

/// What to capture.
#[derive(Clone, Debug, Default)]
pub struct CaptureConfig {
    /// Event types the rules need (`openat`, `execve`, ...); `None` captures
    /// every syscall quell decodes. The state engine's own needs are added.
    pub event_types: Option<BTreeSet<String>>,
    /// Capture only processes this process starts after [`Capture::start`],
    /// and their descendants; otherwise the whole host (minus quell itself).
    pub follow_children: bool,
    /// Opens the rules need (see [`prefilter`]); `None` keeps every open.
    pub open_filter: Option<quell_rules::prefilter::OpenFilter>,
    /// Leave in the kernel the closes of fds no record told userspace about.
    /// Only when no rule matches `close` events and nothing is recorded: a
    /// rule on `close` alone would miss them.
    pub skip_unknown_closes: bool,
    /// Load the portable program only (fd arrays read through a helper
    /// call), even where the kernel accepts direct reads
    /// ([`Capture::fd_direct`]): a diagnostic for tests.
    pub fd_helper_only: bool,
    /// Attach everything but mark no syscall as interesting: only process
    /// events are captured, and a run measures what the `sys_exit`
    /// tracepoint alone costs every syscall (for the overhead benchmark).
    pub hook_only: bool,
    /// Host names the rules compare `fd.*ip.name` fields with
    /// ([`dns::condition_names`]): resolved at start and refreshed, they give
    /// those fields to events whose addresses they resolve to.
    pub host_names: BTreeSet<String>,
}

impl CaptureConfig {
    /// What the enabled `rules` need captured: their event types (plus the
    /// state engine's own), the open prefilter derived from their conditions,
    /// and whether closes of fds userspace never saw can stay in the kernel.
    /// With `record`, everything is captured instead (every syscall quell
    /// decodes, every open, every close): a recording must replay with other
    /// rules. `follow_children` is left false.
    pub fn for_rules(rules: &[quell_rules::compile::CompiledRule], record: bool) -> CaptureConfig {
        if record {
            return CaptureConfig {
                host_names: dns::condition_names(rules),
                ..CaptureConfig::default()
            };
        }
        CaptureConfig {
            host_names: dns::condition_names(rules),
            event_types: rule_event_types(rules),
            open_filter: Some(quell_rules::prefilter::open_filter(rules)),
            skip_unknown_closes: !quell_rules::prefilter::unknown_closes_needed(rules),
            ..CaptureConfig::default()
        }
    }
}

/// The event types the enabled rules can match; `None` when some rule can
/// match every type.
pub fn rule_event_types(rules: &[quell_rules::compile::CompiledRule]) -> Option<BTreeSet<String>> {
    use quell_rules::compile::EvtTypes;
    let mut set = BTreeSet::new();
    for r in rules.iter().filter(|r| r.enabled) {
        match &r.evttypes {
            EvtTypes::Only(types) => set.extend(types.iter().cloned()),
            EvtTypes::AllBut(_) => return None,
        }
    }
    Some(set)
}

/// Counters reported at the end of a capture, as Falco reports drops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Records the kernel program produced (after filtering).
    pub seen: u64,
    /// Records written into the ring buffers.
    pub emitted: u64,
    /// Records lost because a ring buffer was full.
    pub dropped: u64,
    /// Opens the prefilter left in the kernel (no rule could match them).
    pub filtered: u64,
    /// Closes of fds userspace never knew, left in the kernel.
    pub closes_skipped: u64,
    /// Events handed to the caller.
    pub delivered: u64,
    /// Records userspace could not decode.
    pub decode_errors: u64,
}

/// Why capture cannot run. Each message says what is missing and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// quell-capture was built without its `bpf` feature.
    #[error("this build has no live capture (quell-capture was built without its `bpf` feature, which needs clang and libbpf); rebuild with it, or use `quell replay` with recorded events")]
    NotBuilt,
    /// Not root / missing capabilities.
    #[error("live capture needs root (CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON) to load eBPF programs; run quell as root, e.g. with sudo")]
    NotPrivileged,
    /// No kernel BTF.
    #[error("this kernel does not expose BTF type information (/sys/kernel/btf/vmlinux is missing), which live capture needs; use a kernel built with CONFIG_DEBUG_INFO_BTF=y")]
    NoBtf,
    /// Not x86_64.
    #[error("live capture supports x86_64 only, not {0}; use `quell replay` with recorded events instead")]
    Unsupported(String),
    /// The kernel refused to load the program.
    #[error("the kernel refused quell's eBPF program: {0}; check that BPF is enabled (CONFIG_BPF_SYSCALL) and not blocked by lockdown or a security policy")]
    Load(String),
    /// The kernel's verifier rejected the program (a quell bug on this
    /// kernel): the verifier's last words, and where its whole log was saved.
    #[error("the kernel's BPF verifier rejected quell's capture program on Linux {release}: {verdict}; this is a quell bug on this kernel, please report it{}", .log.as_ref().map(|p| format!(" with the verifier's log, saved in {}", p.display())).unwrap_or_default())]
    Rejected {
        /// The running kernel's release.
        release: String,
        /// The verifier's verdict (the last line of its log that says why).
        verdict: String,
        /// The whole verifier log, when it could be written.
        log: Option<std::path::PathBuf>,
    },
    /// A tracepoint could not be attached.
    #[error("could not attach to a kernel tracepoint ({0}); raw tracepoints (CONFIG_BPF_EVENTS) are required")]
    Attach(String),
    /// Ring buffer setup or polling failed.
    #[error("BPF ring buffer error: {0}; BPF ring buffers need Linux 5.8 or later")]
    RingBuffer(String),
}

/// Captures until `stop` becomes true, then drains the buffers and returns
/// the counters.
///
/// ```no_run
/// use std::sync::atomic::AtomicBool;
/// let stop = AtomicBool::new(false);
/// let cfg = quell_capture::CaptureConfig::default();
/// let stats = quell_capture::capture(&cfg, &stop, &mut |ev| println!("{}", ev.to_json_line()))?;
/// eprintln!("{} events, {} dropped", stats.delivered, stats.dropped);
/// # Ok::<(), quell_capture::CaptureError>(())
/// ```
#[cfg(feature = "bpf")]
pub fn capture(
    cfg: &CaptureConfig,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(FlatEvent),
) -> Result<CaptureStats, CaptureError> {
    let mut cap = Capture::start(cfg)?;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        cap.poll(std::time::Duration::from_millis(100), on_event)?;
    }
    cap.drain(on_event)?;
    Ok(cap.stats())
}

/// Sets `flag` when SIGINT or SIGTERM arrives (instead of terminating).
pub fn stop_on_signals(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&flag))?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, flag)?;
    Ok(())
}

/// A state the overhead benchmark asks `quell run` for (see [`BenchSignals`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchState {
    /// The programs detached: no syscall pays the tracepoint.
    Detached,
    /// The programs attached with the rules' interest set (normal operation).
    Attached,
    /// The programs attached with no syscall of interest: what the hook alone
    /// costs every syscall ([`Capture::set_hook_only`]).
    HookOnly,
    /// The programs attached, reading each open's path and recording no
    /// syscall: the least work a capture of these rules does
    /// ([`Capture::set_paths_only`]).
    PathsOnly,
}

/// For the overhead benchmarks: flags set by SIGUSR1 ("detach the
/// programs"), SIGUSR2 ("attach them"), SIGWINCH ("attach them, with no
/// syscall of interest") and SIGURG ("attach them, reading open paths
/// only"), for a loop that applies [`BenchSignals::take`].
pub struct BenchSignals {
    flags: [(Arc<AtomicBool>, BenchState); 4],
}

impl BenchSignals {
    /// Installs the handlers.
    pub fn install() -> std::io::Result<BenchSignals> {
        use signal_hook::consts::{SIGURG, SIGUSR1, SIGUSR2, SIGWINCH};
        let flags = [
            (SIGUSR1, BenchState::Detached),
            (SIGUSR2, BenchState::Attached),
            (SIGWINCH, BenchState::HookOnly),
            (SIGURG, BenchState::PathsOnly),
        ]
        .map(|(sig, st)| (sig, Arc::new(AtomicBool::new(false)), st));
        for (sig, flag, _) in &flags {
            signal_hook::flag::register(*sig, Arc::clone(flag))?;
        }
        Ok(BenchSignals {
            flags: flags.map(|(_, f, st)| (f, st)),
        })
    }

    /// The states asked for since the last call, in a fixed order.
    pub fn take(&self) -> Vec<BenchState> {
        self.flags
            .iter()
            .filter(|(f, _)| f.swap(false, std::sync::atomic::Ordering::Relaxed))
            .map(|(_, st)| *st)
            .collect()
    }
}

/// Whether live capture can run here, checked without loading anything:
/// built with the `bpf` feature, the privileges (CAP_SYS_ADMIN, or CAP_BPF
/// and CAP_PERFMON), kernel BTF, x86_64. The error says what is missing.
/// `quell run` asks it before starting; the live test harnesses report the
/// tests they cannot run as ignored, with this reason.
pub fn check_support() -> Result<(), CaptureError> {
    if !cfg!(feature = "bpf") {
        return Err(CaptureError::NotBuilt);
    }
    preflight()
}

/// The privileges, BTF and architecture checks of [`check_support`].
pub(crate) fn preflight() -> Result<(), CaptureError> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let caps = procfs::parse_status(&status).caps.2;
    let has = |bit: u32| caps & (1u64 << bit) != 0;
    // CAP_SYS_ADMIN (21), or CAP_BPF (39) with CAP_PERFMON (38)
    if !(has(21) || (has(39) && has(38))) {
        return Err(CaptureError::NotPrivileged);
    }
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Err(CaptureError::NoBtf);
    }
    if !cfg!(target_arch = "x86_64") {
        return Err(CaptureError::Unsupported(
            std::env::consts::ARCH.to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(yaml: &str) -> quell_rules::engine::Engine {
        let mut e = quell_rules::engine::Engine::new();
        e.load("t.yaml", yaml);
        e
    }

    const OPEN_RULE: &str = "- rule: shadow\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n  output: o\n  priority: INFO\n";

    #[test]
    fn the_rules_decide_what_is_captured_unless_recording() {
        let e = engine(OPEN_RULE);
        let c = CaptureConfig::for_rules(e.rules(), false);
        assert_eq!(
            c.event_types,
            Some(["openat".to_string()].into_iter().collect())
        );
        assert!(c.open_filter.is_some());
        assert!(c.skip_unknown_closes);
        assert!(!c.follow_children && !c.hook_only && !c.fd_helper_only);
        // a recording captures everything: it must replay with other rules
        let r = CaptureConfig::for_rules(e.rules(), true);
        assert!(r.event_types.is_none() && r.open_filter.is_none() && !r.skip_unknown_closes);
        // a rule on close keeps every close
        let close = format!(
            "{OPEN_RULE}- rule: c\n  desc: d\n  condition: evt.type = close\n  output: o\n  priority: INFO\n"
        );
        let e = engine(&close);
        assert!(!CaptureConfig::for_rules(e.rules(), false).skip_unknown_closes);
        // a rule on every event type: every syscall
        let any =
            "- rule: a\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n";
        assert!(CaptureConfig::for_rules(engine(any).rules(), false)
            .event_types
            .is_none());
    }
}
