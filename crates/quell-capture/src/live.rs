//! Loading and attaching the BPF program, per-CPU ring buffers, and the
//! poll loop that turns records into events.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

use libbpf_rs::{
    libbpf_sys, Link, MapCore, MapFlags, MapHandle, MapType, Object, ObjectBuilder, PrintLevel,
    RingBuffer, RingBufferBuilder,
};
use quell_events::FlatEvent;

use crate::procfs::Users;
use crate::state::{CgroupResolver, LiveEvent, State};
use crate::{order, syscalls, wire, CaptureConfig, CaptureError, CaptureStats};

/// Pause after a small batch (see [`Capture::poll_live`]): alerts come at most this much later.
const PACE: Duration = Duration::from_millis(10);
/// A batch at least this large is a backlog: read again at once.
const PACE_BYTES: usize = 256 << 10;

static BPF_OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/quell.bpf.o"));

/// Bytes per ring buffer (must equal RINGBUF_BYTES in quell.bpf.c).
const RINGBUF_BYTES: u32 = 8 << 20;

static LIBBPF_LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn libbpf_print(_level: PrintLevel, msg: String) {
    if let Ok(mut log) = LIBBPF_LOG.lock() {
        if log.len() > 200 {
            log.remove(0);
        }
        log.push(msg.trim_end().to_string());
    }
}

fn libbpf_detail() -> String {
    let log = LIBBPF_LOG.lock().map(|l| l.clone()).unwrap_or_default();
    let interesting: Vec<&String> = log
        .iter()
        .filter(|l| {
            l.starts_with("libbpf:") || l.contains("failed to resolve") || l.contains("invalid")
        })
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    interesting
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// When libbpf's messages hold a verifier log (the kernel rejected a
/// program), the verifier's verdict and the whole log. The verdict is the log's
/// last line that says why: the final counters ("processed N insns ...",
/// "verification time ...") are passed over.
fn verifier_verdict(msgs: &[String]) -> Option<(String, String)> {
    let msg = msgs
        .iter()
        .rev()
        .find(|m| m.contains("BEGIN PROG LOAD LOG"))?;
    let start = msg.find("BEGIN PROG LOAD LOG")?;
    let body = &msg[start..];
    let body = body.split("-- END PROG LOAD LOG --").next().unwrap_or(body);
    let verdict = body
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("processed ")
                && !l.starts_with("verification time")
                && !l.starts_with("stack depth")
        })
        .last()?
        .to_string();
    Some((verdict, msg.clone()))
}

/// The error for a failed load: a verifier rejection (with `save_log`, its
/// log saved to a file in the temporary directory; not for the direct
/// program, whose refusal is followed by the portable one) or another failure
/// with libbpf's words.
fn load_error(e: &libbpf_rs::Error, save_log: bool) -> CaptureError {
    let msgs = LIBBPF_LOG.lock().map(|l| l.clone()).unwrap_or_default();
    if let Some((verdict, log)) = verifier_verdict(&msgs) {
        let path = std::env::temp_dir().join(format!("quell-verifier-{}.log", std::process::id()));
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|r| r.trim().to_string())
            .unwrap_or_else(|_| "(unknown release)".into());
        return CaptureError::Rejected {
            release,
            verdict,
            log: save_log
                .then(|| std::fs::write(&path, log).ok().map(|_| path))
                .flatten(),
        };
    }
    let d = libbpf_detail();
    CaptureError::Load(if d.is_empty() {
        format!("{e}")
    } else {
        format!("{e} ({d})")
    })
}

fn possible_cpus() -> u32 {
    // "0-1", "0,2-5"
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default();
    let mut max = 0u32;
    for part in text.trim().split(',') {
        let hi = part
            .rsplit('-')
            .next()
            .and_then(|x| x.trim().parse::<u32>().ok());
        if let Some(hi) = hi {
            max = max.max(hi);
        }
    }
    max + 1
}

/// The boot clock now (ns), the clock of the records' time stamps.
fn boot_now_ns() -> u64 {
    use nix::time::{clock_gettime, ClockId};
    clock_gettime(ClockId::CLOCK_BOOTTIME)
        .map(|t| (t.tv_sec() as u64).saturating_mul(1_000_000_000) + t.tv_nsec() as u64)
        .unwrap_or(u64::MAX)
}

fn boot_offset_ns() -> i128 {
    use nix::time::{clock_gettime, ClockId};
    let ns = |c| {
        clock_gettime(c)
            .map(|t| t.tv_sec() as i128 * 1_000_000_000 + t.tv_nsec() as i128)
            .unwrap_or(0)
    };
    ns(ClockId::CLOCK_REALTIME) - ns(ClockId::CLOCK_BOOTTIME)
}

fn attach_all(obj: &mut Object) -> Result<Vec<Link>, CaptureError> {
    let mut links = Vec::new();
    for p in obj.progs_mut() {
        match p.attach() {
            Ok(l) => links.push(l),
            // sched_prepare_exec exists from Linux 6.10 on; without it
            // execveat is reported as execve.
            Err(_) if p.name().to_string_lossy() == "quell_prepare_exec" => {}
            Err(e) => {
                return Err(CaptureError::Attach(format!(
                    "{}: {e}",
                    p.name().to_string_lossy()
                )))
            }
        }
    }
    Ok(links)
}

fn find_map<'a>(obj: &'a Object, name: &str) -> Option<libbpf_rs::Map<'a>> {
    obj.maps().find(|m| m.name() == name)
}

/// The end of the name libbpf gives the map behind the program's interest
/// bitmap (a global in its own data section; the name's start depends on
/// the object's name).
const INTEREST_SECTION: &str = ".data.interest";

/// What an object built from another version of the program source gets.
const STALE_OBJECT: &str =
    "the embedded BPF object does not match this build of quell-capture; rebuild quell (cargo build)";

/// The program's `config` map (`struct qcfg` in quell.bpf.c): this
/// process's id (never captured), whether only the tree this process starts
/// is followed (below the same id), close skipping, and the paths-only
/// benchmark state.
#[derive(Clone, Copy)]
struct ProgConfig {
    follow: bool,
    skip_closes: bool,
    paths_only: bool,
}

impl ProgConfig {
    fn write(&self, obj: &Object) -> Result<(), CaptureError> {
        let me = std::process::id();
        let mut v = Vec::with_capacity(20);
        for w in [
            me,
            u32::from(self.follow),
            me,
            u32::from(self.skip_closes),
            u32::from(self.paths_only),
        ] {
            v.extend_from_slice(&w.to_le_bytes());
        }
        find_map(obj, "config")
            .ok_or_else(|| CaptureError::Load("map `config` missing".into()))?
            .update(&0u32.to_le_bytes(), &v, MapFlags::ANY)
            .map_err(|e| CaptureError::Load(format!("setting the configuration: {e}")))
    }
}

/// Records copied out of the ring buffers, back to back in one reused arena
/// (no allocation per record), waiting to be sorted and applied.
#[derive(Default)]
struct Sink {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

/// A running capture: the loaded program, its ring buffers and the state engine.
pub struct Capture {
    obj: Object,
    links: Vec<Link>,
    fd_direct: bool,
    /// What the program's `config` map holds (see `set_paths_only`).
    prog_cfg: ProgConfig,
    /// The interest bitmap the capture was started with (see `set_hook_only`).
    interest_bits: Vec<u8>,
    _rings: Vec<MapHandle>,
    rb: RingBuffer<'static>,
    sink: Rc<RefCell<Sink>>,
    /// The previous batch's buffers, kept for their capacity.
    spare: Sink,
    /// Records read but not yet applied (see [`crate::order`]).
    held: order::Reorder,
    /// The records released by the last batch (kept for their capacity).
    released: order::Released,
    state: State,
    delivered: u64,
    decode_errors: u64,
    /// Called with every decoded record after the state applied it (see
    /// [`Capture::set_record_tap`]).
    record_tap: Option<RecordTap>,
}

/// A consumer of every decoded record and the state after it (a capture
/// writer such as `quell run --record out.scap`).
pub type RecordTap = Box<dyn FnMut(&crate::record::Record, &State)>;

impl Capture {
    /// Loads and attaches the program, seeds the process table from `/proc`.
    /// With `cfg.follow_children`, only processes this process starts from now
    /// on (and their descendants) are captured.
    ///
    /// Syscalls are hooked with the generic `sys_exit` BTF tracepoint (every
    /// syscall of every task runs the program; uninteresting ones leave after
    /// the interest-bitmap check).
    /// [`CaptureConfig::hook_only`] and [`CaptureConfig::fd_helper_only`]
    /// are diagnostics for the benchmarks and tests.
    pub fn start(cfg: &CaptureConfig) -> Result<Capture, CaptureError> {
        crate::preflight()?;
        libbpf_rs::set_print(Some((PrintLevel::Warn, libbpf_print)));
        let ncpus = possible_cpus();
        let (interest, _unknown) = syscalls::interest(cfg.event_types.as_ref());
        // Diagnostic for the overhead benchmark: the hook attached, but no
        // syscall of interest (what the tracepoint alone costs).
        let interest = if cfg.hook_only {
            Default::default()
        } else {
            interest
        };
        let interest_bits = syscalls::bitmap(&interest).ok_or_else(|| {
            CaptureError::Load("a syscall of interest is outside the kernel's bitmap".into())
        })?;
        // The directory check reads the fd array directly where the verifier
        // allows it (recent kernels) and through a helper call elsewhere: try
        // the direct program first, then the portable one.
        let load = |direct: bool| -> Result<Object, CaptureError> {
            let mut open = ObjectBuilder::default()
                .open_memory(BPF_OBJECT)
                .map_err(|e| CaptureError::Load(format!("{e}")))?;
            let mut interest_set = false;
            for mut m in open.maps_mut() {
                let name = m.name().to_string_lossy().into_owned();
                if name == "ringbufs" || name == "scratch_map" {
                    m.set_max_entries(ncpus)
                        .map_err(|e| CaptureError::Load(format!("{e}")))?;
                }
                // `.rodata` holds one constant: `fd_direct` (u32)
                if name.ends_with(".rodata") {
                    if let Some(v) = m.initial_value_mut().filter(|v| v.len() == 4) {
                        v.copy_from_slice(&u32::from(direct).to_le_bytes());
                    }
                }
                if name.ends_with(INTEREST_SECTION) {
                    match m.initial_value_mut() {
                        Some(v) if v.len() == interest_bits.len() => {
                            v.copy_from_slice(&interest_bits)
                        }
                        _ => {
                            return Err(CaptureError::Load(format!(
                                "{STALE_OBJECT} (the interest bitmap has another size)"
                            )))
                        }
                    }
                    interest_set = true;
                }
            }
            if !interest_set {
                return Err(CaptureError::Load(format!(
                    "{STALE_OBJECT} (no interest bitmap)"
                )));
            }
            open.load().map_err(|e| load_error(&e, !direct))
        };
        let try_direct = !cfg.fd_helper_only;
        let (mut obj, fd_direct) = match try_direct.then(|| load(true)) {
            Some(Ok(o)) => (o, true),
            _ => {
                if let Ok(mut l) = LIBBPF_LOG.lock() {
                    l.clear();
                }
                (load(false)?, false)
            }
        };

        // configuration
        let prog_cfg = ProgConfig {
            follow: cfg.follow_children,
            skip_closes: cfg.skip_unknown_closes,
            paths_only: false,
        };
        prog_cfg.write(&obj)?;

        // the open prefilter
        if let Some(f) = &cfg.open_filter {
            let pf = find_map(&obj, "pathfilter")
                .ok_or_else(|| CaptureError::Load("map `pathfilter` missing".into()))?;
            pf.update(
                &0u32.to_le_bytes(),
                &crate::prefilter::encode(f),
                MapFlags::ANY,
            )
            .map_err(|e| CaptureError::Load(format!("setting the open prefilter: {e}")))?;
        }

        // one ring buffer per CPU
        let outer = find_map(&obj, "ringbufs")
            .ok_or_else(|| CaptureError::Load("map `ringbufs` missing".into()))?;
        let opts = libbpf_sys::bpf_map_create_opts {
            sz: std::mem::size_of::<libbpf_sys::bpf_map_create_opts>() as libbpf_sys::size_t,
            ..Default::default()
        };
        let mut rings = Vec::new();
        for cpu in 0..ncpus {
            let rb = MapHandle::create(
                MapType::RingBuf,
                Some(format!("quell_rb{cpu}")),
                0,
                0,
                RINGBUF_BYTES,
                &opts,
            )
            .map_err(|e| CaptureError::RingBuffer(format!("{e}")))?;
            use std::os::fd::{AsFd, AsRawFd};
            let fd = rb.as_fd().as_raw_fd() as u32;
            outer
                .update(&cpu.to_le_bytes(), &fd.to_le_bytes(), MapFlags::ANY)
                .map_err(|e| CaptureError::RingBuffer(format!("{e}")))?;
            rings.push(rb);
        }
        let sink: Rc<RefCell<Sink>> = Rc::new(RefCell::new(Sink::default()));
        let mut builder = RingBufferBuilder::new();
        for r in &rings {
            let s = Rc::clone(&sink);
            builder
                .add(r, move |data: &[u8]| {
                    let mut s = s.borrow_mut();
                    let start = s.bytes.len();
                    s.bytes.extend_from_slice(data);
                    s.spans.push((start, data.len()));
                    0
                })
                .map_err(|e| CaptureError::RingBuffer(format!("{e}")))?;
        }
        let rb = builder
            .build()
            .map_err(|e| CaptureError::RingBuffer(format!("{e}")))?;

        // state before attaching, so no early event finds an empty table
        let mut state = State::new(
            Users::load(std::path::Path::new("/")),
            boot_offset_ns(),
            Some("/proc".into()),
        )
        .with_cgroups(CgroupResolver::from_host());
        if !cfg.host_names.is_empty() {
            // resolved before the capture starts, as libsinsp resolves a
            // name the first time a condition compares with it
            state = state.with_host_names(std::sync::Arc::new(crate::dns::HostNames::start(
                &cfg.host_names,
                std::sync::Arc::new(crate::dns::system_resolve),
            )));
        }
        // the program never captures this process: its fd table goes stale
        state.set_unwatched(std::process::id());
        // close records always update the fd tables; they become events only
        // when a rule (or a recording of everything) wants them.
        state.set_deliver_close(
            cfg.event_types
                .as_ref()
                .is_none_or(|t| t.contains("close") || t.contains("close_range")),
        );
        state.seed_from_proc();

        let links = attach_all(&mut obj)?;
        Ok(Capture {
            obj,
            links,
            fd_direct,
            prog_cfg,
            interest_bits,
            _rings: rings,
            rb,
            sink,
            spare: Sink::default(),
            held: order::Reorder::default(),
            released: order::Released::default(),
            state,
            delivered: 0,
            decode_errors: 0,
            record_tap: None,
        })
    }

    /// Waits up to `timeout` for records, then hands every pending event to
    /// `on_event` in time order. Returns how many events were delivered.
    pub fn poll(
        &mut self,
        timeout: Duration,
        on_event: &mut dyn FnMut(FlatEvent),
    ) -> Result<usize, CaptureError> {
        self.poll_live(timeout, &mut |e| on_event(e.to_flat()))
    }

    /// [`Capture::poll`] handing out [`LiveEvent`] views, which extract
    /// process fields only when asked: the cheap way to evaluate rules
    /// ([`LiveEvent::to_flat`] gives the complete event when it is needed).
    pub fn poll_live(
        &mut self,
        timeout: Duration,
        on_event: &mut dyn FnMut(&LiveEvent<'_>),
    ) -> Result<usize, CaptureError> {
        if let Err(e) = self.rb.poll(timeout) {
            if e.kind() != libbpf_rs::ErrorKind::Interrupted {
                return Err(CaptureError::RingBuffer(format!("{e}")));
            }
        }
        // `poll` only reads the rings epoll reported ready, and the program
        // wakes the consumer only when a backlog builds up: read every ring,
        // so records below the mark are delivered after at most `timeout`.
        let _ = self.rb.consume();
        let read = self.sink.borrow().bytes.len();
        let n = self.process_pending(on_event, false);
        // Pace the reads: epoll reports a ring ready while any record waits
        // (level-triggered), so a busy host would have this loop read a few
        // records at a time, costing quell most of a CPU in epoll_wait and
        // per-batch work, taken from the workload. After a small batch, let
        // records gather for a moment; a large one means a backlog: go on.
        if read < PACE_BYTES {
            std::thread::sleep(PACE.min(timeout));
        }
        Ok(n)
    }

    /// Consumes everything already in the ring buffers without waiting.
    pub fn drain(&mut self, on_event: &mut dyn FnMut(FlatEvent)) -> Result<usize, CaptureError> {
        self.drain_live(&mut |e| on_event(e.to_flat()))
    }

    /// [`Capture::drain`] handing out [`LiveEvent`] views.
    pub fn drain_live(
        &mut self,
        on_event: &mut dyn FnMut(&LiveEvent<'_>),
    ) -> Result<usize, CaptureError> {
        let mut total = 0;
        loop {
            let _ = self.rb.consume();
            let n = self.process_pending(on_event, true);
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Applies the records read so far that are older than the reordering
    /// window (all of them with `flush`), in time order across the CPUs.
    fn process_pending(&mut self, on_event: &mut dyn FnMut(&LiveEvent<'_>), flush: bool) -> usize {
        // Swap in the spare buffers, so the callbacks keep filling reused capacity.
        let mut batch = std::mem::take(&mut self.spare);
        std::mem::swap(&mut batch, &mut *self.sink.borrow_mut());
        for &(start, len) in &batch.spans {
            match batch.bytes.get(start..start + len) {
                Some(b) => self.held.push(b),
                None => self.decode_errors += 1,
            }
        }
        batch.bytes.clear();
        batch.spans.clear();
        self.spare = batch;
        let cutoff = if flush {
            u64::MAX
        } else {
            boot_now_ns().saturating_sub(order::WINDOW_NS)
        };
        let mut ready = std::mem::take(&mut self.released);
        self.held.release(cutoff, &mut ready);
        let mut n = 0;
        for b in ready.records() {
            match wire::decode(b) {
                Ok(r) => {
                    if let Some(ev) = self.state.apply_live(&r) {
                        n += 1;
                        on_event(&ev);
                    }
                    if let Some(tap) = self.record_tap.as_mut() {
                        tap(&r, &self.state);
                    }
                }
                Err(_) => self.decode_errors += 1,
            }
        }
        self.released = ready;
        self.delivered += n as u64;
        n
    }

    /// Counters so far: kernel-side totals and what userspace delivered.
    pub fn stats(&self) -> CaptureStats {
        let mut s = CaptureStats {
            delivered: self.delivered,
            decode_errors: self.decode_errors,
            ..Default::default()
        };
        if let Some(m) = find_map(&self.obj, "stats") {
            if let Ok(Some(per_cpu)) = m.lookup_percpu(&0u32.to_le_bytes(), MapFlags::ANY) {
                for v in per_cpu {
                    let g = |o: usize| {
                        v.get(o..o + 8)
                            .and_then(|x| x.try_into().ok())
                            .map(u64::from_le_bytes)
                            .unwrap_or(0)
                    };
                    s.seen += g(0);
                    s.emitted += g(8);
                    s.dropped += g(16);
                    s.filtered += g(24);
                    s.closes_skipped += g(40);
                }
            }
        }
        s
    }

    /// For the overhead benchmark: with `true`, no syscall is of interest
    /// (the programs, if attached, return right after the interest check, and
    /// only process events are captured); with `false`, the interest set the
    /// capture was started with is restored.
    pub fn set_hook_only(&mut self, hook_only: bool) -> Result<(), CaptureError> {
        let map = self
            .obj
            .maps()
            .find(|m| m.name().to_string_lossy().ends_with(INTEREST_SECTION))
            .ok_or_else(|| CaptureError::Load(format!("{STALE_OBJECT} (no interest bitmap)")))?;
        let zeros = vec![0u8; self.interest_bits.len()];
        let bits = if hook_only {
            &zeros
        } else {
            &self.interest_bits
        };
        map.update(&0u32.to_le_bytes(), bits, MapFlags::ANY)
            .map_err(|e| CaptureError::Load(format!("setting the interest bitmap: {e}")))
    }

    /// For the overhead benchmark: with `true`, the programs do on the
    /// syscalls of interest only what any capture of rules on opened paths
    /// must do, read each open's path, and record nothing (no syscall event
    /// reaches userspace; process events still do); with `false`, they work
    /// normally again. The difference to [`Capture::set_hook_only`] is the
    /// cost of the path reads; to normal operation, the cost of everything
    /// else (prefilter, close skipping, records).
    pub fn set_paths_only(&mut self, paths_only: bool) -> Result<(), CaptureError> {
        if self.prog_cfg.paths_only == paths_only {
            return Ok(());
        }
        let next = ProgConfig {
            paths_only,
            ..self.prog_cfg
        };
        next.write(&self.obj)?;
        self.prog_cfg = next;
        Ok(())
    }

    /// Detaches (`false`) or re-attaches (`true`) every program, for the
    /// overhead benchmark's paired runs: detached, no syscall pays the
    /// tracepoint (the kernel turns its slow path off with the last probe).
    /// Processes that start, exec or exit while detached may be missing or
    /// stale in the process table afterwards.
    pub fn set_attached(&mut self, on: bool) -> Result<(), CaptureError> {
        if !on {
            self.links.clear();
        } else if self.links.is_empty() {
            self.links = attach_all(&mut self.obj)?;
        }
        Ok(())
    }

    /// Whether the loaded program reads fd arrays directly (recent kernels)
    /// rather than through a helper call.
    pub fn fd_direct(&self) -> bool {
        self.fd_direct
    }

    /// Hands every decoded record from now on, with the state after applying
    /// it, to `tap` (every record, events or not: a close no rule reads, a
    /// failed fork); `None` removes it.
    pub fn set_record_tap(&mut self, tap: Option<RecordTap>) {
        self.record_tap = tap;
    }

    /// The process table (for tests and diagnostics).
    pub fn state(&self) -> &State {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::verifier_verdict;

    #[test]
    fn a_verifier_log_gives_its_verdict() {
        let log = "libbpf: prog 'quell_sys_exit': BPF program load failed: -E2BIG\n\
                   libbpf: prog 'quell_sys_exit': -- BEGIN PROG LOAD LOG --\n\
                   0: R1=ctx() R10=fp0\n\
                   1853: (77) r3 >>= 33\n\
                   BPF program is too large. Processed 1000001 insn\n\
                   processed 1000001 insns (limit 1000000) max_states_per_insn 27\n\
                   -- END PROG LOAD LOG --";
        let msgs = vec!["libbpf: loading object".to_string(), log.to_string()];
        let (verdict, whole) = verifier_verdict(&msgs).expect("a verifier log");
        assert_eq!(verdict, "BPF program is too large. Processed 1000001 insn");
        assert_eq!(whole, log);
        let access = "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n12: (61) r1 = *(u32 *)(r2 +0)\n\
                      R2 invalid mem access 'scalar'\nverification time 210 usec\n\
                      stack depth 0\nprocessed 13 insns (limit 1000000)\n-- END PROG LOAD LOG --";
        assert_eq!(
            verifier_verdict(&[access.to_string()])
                .map(|v| v.0)
                .as_deref(),
            Some("R2 invalid mem access 'scalar'")
        );
        assert!(verifier_verdict(&["libbpf: failed to find BTF".to_string()]).is_none());
    }
}
