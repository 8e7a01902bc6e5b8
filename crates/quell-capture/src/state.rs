//! The state engine: a process table (seeded from `/proc`, kept current from
//! exec/fork/exit records), per-process fd tables and working directories,
//! and the conversion of each kernel record into an event carrying every
//! field quell can extract.
//!
//! [`State::apply_live`] returns a [`LiveEvent`]: the record's own fields
//! (`evt.*`, `fd.*`, `fs.path.*`) are decoded eagerly into a small reused
//! buffer, while the process fields (`proc.*`, `user.*`, `group.*`,
//! `container.*`, ancestors) are read from the process table only when a rule
//! asks for them. [`LiveEvent::to_flat`] builds the complete
//! [`FlatEvent`] (for alerts' records and `--record`); [`State::apply`] is
//! `apply_live` + `to_flat`. Both read identically, field by field.
//!
//! Everything here is pure apart from the optional `/proc` fallback for
//! processes first seen mid-life, so it is unit-tested from synthetic records.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use quell_events::FlatEvent;
use quell_rules::fields_table::registry;
use quell_rules::{Event, FieldRef, FieldType, Value};

use crate::container::{ContainerRef, MetadataProvider, HOST_ID};
use crate::flags;
use crate::procfs::{self, Users};
use crate::syscalls;
use crate::wire::{self, blob_str, Kind, ProcInfo, Record, SockAddr, Tuple};

/// What an fd refers to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FdKind {
    /// Unknown or untracked.
    #[default]
    Other,
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A socket (details in [`FdInfo::sock`]).
    Socket,
    /// A pipe.
    Pipe,
    /// A memfd.
    Memfd,
}

/// A socket's known addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SockInfo {
    /// Address family (2, 10, 1).
    pub family: u16,
    /// Socket type (1 stream, 2 dgram, 3 raw).
    pub sock_type: u16,
    /// Protocol number (0 when not given).
    pub proto: u16,
    /// Local address and port.
    pub local: Option<(IpAddr, u16)>,
    /// Remote address and port.
    pub remote: Option<(IpAddr, u16)>,
    /// Unix socket path.
    pub unix_path: Option<String>,
    /// Whether connect succeeded (or the socket was accepted).
    pub connected: bool,
    /// True for listening and accepted sockets: the local end is the server.
    pub server_side: bool,
}

/// One entry of a process's fd table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdInfo {
    /// What it is.
    pub kind: FdKind,
    /// Resolved name (absolute path for files).
    pub name: String,
    /// The name as the program gave it.
    pub nameraw: String,
    /// Open flags (Linux values).
    pub flags: u64,
    /// Socket details.
    pub sock: Option<SockInfo>,
}

/// One process (thread group) as the table holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Process {
    /// Process id (tgid).
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Process id in its own pid namespace.
    pub vpid: u32,
    /// `comm` (`proc.name`).
    pub comm: String,
    /// `argv[0]` (`proc.exe`).
    pub exe: String,
    /// Full executable path (`proc.exepath`).
    pub exepath: String,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// Controlling terminal (`tty_nr` encoding).
    pub tty: u32,
    /// Session id.
    pub sid: u32,
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// Login uid (`u32::MAX` when unset).
    pub loginuid: u32,
    /// Capabilities.
    pub cap_inheritable: u64,
    /// Capabilities.
    pub cap_permitted: u64,
    /// Capabilities.
    pub cap_effective: u64,
    /// Executable inode.
    pub exe_ino: u64,
    /// Executable is a memfd.
    pub exe_from_memfd: bool,
    /// Executable is in an overlayfs upper layer (`None`: not known).
    pub exe_upper_layer: Option<bool>,
    /// Executable's ctime, ns since the epoch (0 if unknown).
    pub exe_ctime: u64,
    /// Executable's mtime, ns since the epoch (0 if unknown).
    pub exe_mtime: u64,
    /// Container the process belongs to (from its cgroup), `None` for the host.
    pub container: Option<ContainerRef>,
    /// cgroup v2 id last seen for it.
    pub cgroup_id: u64,
    /// Start time, ns since the epoch (0 if unknown).
    pub start_ns: u64,
    /// fd table.
    pub fds: HashMap<i64, FdInfo>,
    /// When it exited (ns since the epoch).
    pub dead_at: Option<u64>,
}

impl Process {
    /// `proc.cmdline`: name and arguments.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
}

/// Resolves cgroup v2 ids to paths below the unified hierarchy's mount point.
#[derive(Debug, Default)]
pub struct CgroupResolver {
    root: Option<PathBuf>,
    cache: HashMap<u64, Option<String>>,
}

impl CgroupResolver {
    /// A resolver for the cgroup2 mount found in `/proc/self/mountinfo`.
    pub fn from_host() -> Self {
        let root = std::fs::read_to_string("/proc/self/mountinfo")
            .ok()
            .and_then(|t| find_cgroup2_mount(&t))
            .map(PathBuf::from);
        CgroupResolver {
            root,
            cache: HashMap::new(),
        }
    }

    /// The cgroup path (relative to the hierarchy root, starting with `/`) of an id.
    pub fn path(&mut self, id: u64) -> Option<String> {
        if id <= 1 {
            return None;
        }
        if let Some(p) = self.cache.get(&id) {
            return p.clone();
        }
        let root = self.root.clone()?;
        // One walk fills the cache for every cgroup that exists now.
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(ft) = e.file_type() else { continue };
                if !ft.is_dir() {
                    continue;
                }
                let p = e.path();
                if let Ok(md) = e.metadata() {
                    use std::os::unix::fs::MetadataExt;
                    if let Ok(rel) = p.strip_prefix(&root) {
                        self.cache
                            .insert(md.ino(), Some(format!("/{}", rel.to_string_lossy())));
                    }
                }
                if depth < 16 {
                    stack.push((p, depth + 1));
                }
            }
        }
        self.cache.entry(id).or_insert(None).clone()
    }
}

/// The mount point of the cgroup2 filesystem, from `/proc/self/mountinfo` text.
pub fn find_cgroup2_mount(mountinfo: &str) -> Option<String> {
    mountinfo.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        if post.split_whitespace().next()? != "cgroup2" {
            return None;
        }
        pre.split_whitespace().nth(4).map(str::to_string)
    })
}

/// x86_64 numbers of the close calls (handled before the generic path).
const NR_CLOSE: u16 = 3;
const NR_CLOSE_RANGE: u16 = 436;
/// `close_range` flag: mark close-on-exec instead of closing.
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;

/// How many ancestor levels events carry at most.
const MAX_ANCESTORS: usize = 16;
/// Exited processes stay in the table this long (ns), for late events and ancestry.
const DEAD_GRACE_NS: u64 = 10_000_000_000;

/// FNV-1a: the field-type cache hashes short fixed keys on every field set,
/// where SipHash showed up in profiles.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_usize(&mut self, x: usize) {
        self.0 = (self.0.rotate_left(5) ^ x as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_usize(x as usize);
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// One decoded field of the record itself.
type Pair = (Cow<'static, str>, Value<'static>);

/// The process table and the record → event conversion.
pub struct State {
    procs: FnvMap<u32, Process>,
    users: Users,
    /// Each container's own user and group names (its `/etc/passwd` and
    /// `/etc/group`, read through `/proc/PID/root` of its first process
    /// seen), by full container id.
    container_users: HashMap<String, Users>,
    boot_offset_ns: i128,
    evt_num: u64,
    cgroups: CgroupResolver,
    meta: MetadataProvider,
    proc_root: Option<PathBuf>,
    /// Field types by key identity (address and length of the static key).
    types: FnvMap<(usize, usize), FieldType>,
    last_sweep: u64,
    /// The current record's own fields (reused from record to record).
    base: Vec<Pair>,
    /// The current event's time (ns since the epoch), for `proc.duration`.
    now: u64,
    /// Whether close records become events (else they only update fd tables).
    deliver_close: bool,
    /// A process whose syscalls are not captured (quell itself): records do
    /// not keep its fd table, so a child it forks gets the table `/proc`
    /// shows when the fork is applied.
    unwatched: Option<u32>,
}

impl State {
    /// An empty table. `boot_offset_ns` converts boot-clock times to the epoch;
    /// `proc_root` (normally `/proc`) is read for processes first seen mid-life.
    pub fn new(users: Users, boot_offset_ns: i128, proc_root: Option<PathBuf>) -> Self {
        State {
            procs: FnvMap::default(),
            users,
            container_users: HashMap::new(),
            boot_offset_ns,
            evt_num: 0,
            cgroups: CgroupResolver::default(),
            meta: MetadataProvider::default(),
            proc_root,
            types: FnvMap::default(),
            last_sweep: 0,
            base: Vec::with_capacity(64),
            now: 0,
            deliver_close: true,
            unwatched: None,
        }
    }

    /// Whether `close`/`close_range` records are handed out as events (the
    /// default) or only drop fd table entries (when no rule reads them).
    pub fn set_deliver_close(&mut self, on: bool) {
        self.deliver_close = on;
    }

    /// Names the process whose syscalls the capture leaves out (quell
    /// itself): its fd table is re-read from `/proc` when it forks, instead of
    /// being inherited as seeded at start-up (which would give its children
    /// names of fds it closed since).
    pub fn set_unwatched(&mut self, pid: u32) {
        self.unwatched = Some(pid);
    }

    /// Uses the host's cgroup2 mount to resolve container ids.
    pub fn with_cgroups(mut self, c: CgroupResolver) -> Self {
        self.cgroups = c;
        self
    }

    /// Uses a metadata provider (runtime files below another root).
    pub fn with_metadata(mut self, m: MetadataProvider) -> Self {
        self.meta = m;
        self
    }

    /// Seeds the table from every process in `/proc`.
    pub fn seed_from_proc(&mut self) {
        let Some(root) = self.proc_root.clone() else {
            return;
        };
        for pid in procfs::list_pids(&root) {
            if let Some(mut p) = procfs::read_process(&root, pid) {
                p.start_ns = self.boot_to_epoch(p.start_ns);
                self.procs.insert(pid, p);
            }
        }
    }

    /// Adds or replaces a process (tests, seeding).
    pub fn insert(&mut self, p: Process) {
        self.procs.insert(p.pid, p);
    }

    /// A process by pid.
    pub fn process(&self, pid: u32) -> Option<&Process> {
        self.procs.get(&pid)
    }

    /// Number of processes in the table.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// A /proc start time (ns since boot) in ns since the epoch; 0 stays 0.
    fn boot_to_epoch(&self, ns: u64) -> u64 {
        if ns == 0 {
            0
        } else {
            self.epoch(ns)
        }
    }

    fn epoch(&self, ts_boot: u64) -> u64 {
        let t = ts_boot as i128 + self.boot_offset_ns;
        t.clamp(0, u64::MAX as i128) as u64
    }

    fn ensure(&mut self, tgid: u32) {
        if self.procs.contains_key(&tgid) {
            return;
        }
        let p = self
            .proc_root
            .as_ref()
            .and_then(|r| procfs::read_process(r, tgid))
            .map(|mut p| {
                p.start_ns = self.boot_to_epoch(p.start_ns);
                p
            })
            .unwrap_or(Process {
                pid: tgid,
                loginuid: u32::MAX,
                ..Process::default()
            });
        self.procs.insert(tgid, p);
    }

    fn refresh_container(&mut self, tgid: u32, cgroup_id: u64) {
        let Some(p) = self.procs.get(&tgid) else {
            return;
        };
        if p.cgroup_id == cgroup_id {
            return;
        }
        let found = self
            .cgroups
            .path(cgroup_id)
            .and_then(|path| crate::container::match_cgroup(&path));
        if let Some(p) = self.procs.get_mut(&tgid) {
            p.cgroup_id = cgroup_id;
            // Keep a container found from /proc (v1 lines) when v2 shows none.
            if found.is_some() || self.cgroups.root.is_some() && p.container.is_none() {
                p.container = found;
            }
        }
    }

    fn sweep(&mut self, now: u64) {
        if now.saturating_sub(self.last_sweep) < 1_000_000_000 {
            return;
        }
        self.last_sweep = now;
        self.procs.retain(|_, p| {
            p.dead_at
                .is_none_or(|d| now.saturating_sub(d) < DEAD_GRACE_NS)
        });
    }

    /// Applies one decoded record: updates the tables and returns the event
    /// with all its fields. Same as [`State::apply_live`] + [`LiveEvent::to_flat`].
    pub fn apply(&mut self, r: &Record<'_>) -> Option<FlatEvent> {
        self.apply_live(r).map(|e| e.to_flat())
    }

    /// Applies one decoded record: updates the tables and returns a view of the
    /// event that extracts process fields on demand. `None` for records that
    /// are not events (a fork of a new thread with a bad child id, an unknown
    /// syscall).
    pub fn apply_live(&mut self, r: &Record<'_>) -> Option<LiveEvent<'_>> {
        let now = self.epoch(r.ts_boot);
        // close records carry neither credentials nor the cgroup (see the BPF program)
        let close = r.kind == Kind::Syscall && matches!(r.sysno, NR_CLOSE | NR_CLOSE_RANGE);
        if close && !self.deliver_close {
            self.apply_close(r, None);
            return None;
        }
        self.sweep(now);
        self.now = now;
        self.evt_num += 1;
        self.ensure(r.tgid);
        if !close {
            self.refresh_container(r.tgid, r.cgroup_id);
            if let Some(p) = self.procs.get_mut(&r.tgid) {
                p.uid = r.uid;
                p.gid = r.gid;
            }
        }
        let mut ev = Ev::new(self);
        ev.num("evt.num", self.evt_num as i128);
        ev.num("evt.rawtime", now as i128);
        ev.text_static("evt.dir", "<");
        ev.num("thread.tid", r.tid as i128);
        let handled = match r.kind {
            Kind::Exec => {
                self.on_exec(r, now, &mut ev);
                Some(())
            }
            Kind::Fork => self.on_fork(r, &mut ev),
            Kind::Exit => {
                self.on_exit(r, now, &mut ev);
                Some(())
            }
            Kind::Syscall => self.on_syscall(r, &mut ev),
        };
        ev.done(self);
        handled?;
        // Container metadata is looked up (and cached) now, so the view can
        // read it without mutating the state.
        if let Some(c) = self.procs.get(&r.tgid).and_then(|p| p.container.clone()) {
            let _ = self.meta.get(&c);
            if !self.container_users.contains_key(&c.full_id) {
                if let Some(root) = &self.proc_root {
                    let fs_root = root.join(r.tgid.to_string()).join("root");
                    if let Some(u) = Users::load_existing(&fs_root) {
                        self.container_users.insert(c.full_id.clone(), u);
                    }
                }
            }
        }
        let state: &State = self;
        Some(LiveEvent {
            state,
            tgid: r.tgid,
            process: state.procs.get(&r.tgid),
        })
    }

    fn on_exec(&mut self, r: &Record<'_>, now: u64, ev: &mut Ev) {
        let filename = blob_str(r.blobs[0]);
        let argv = wire::split_args(r.blobs[1]);
        let info = ProcInfo::parse(r.blobs[2]);
        let comm = info_comm(r.blobs[2]);
        let exe_dentry = blob_str(r.blobs[3]);
        let parent_cwd = self
            .procs
            .get(&r.tgid)
            .map(|p| p.cwd.clone())
            .unwrap_or_default();
        let ppid_cwd: Option<String> = info
            .as_ref()
            .and_then(|i| self.procs.get(&i.ppid))
            .map(|pp| pp.cwd.clone());
        let p = self.procs.entry(r.tgid).or_default();
        p.pid = r.tgid;
        p.dead_at = None;
        if p.cwd.is_empty() {
            p.cwd = parent_cwd;
        }
        if p.cwd.is_empty() {
            if let Some(root) = &self.proc_root {
                if let Ok(c) = std::fs::read_link(root.join(r.tgid.to_string()).join("cwd")) {
                    p.cwd = c.to_string_lossy().into_owned();
                }
            }
        }
        if p.cwd.is_empty() {
            if let Some(pp) = ppid_cwd {
                p.cwd = pp;
            }
        }
        p.exe = argv.first().cloned().unwrap_or_else(|| filename.clone());
        p.args = argv.into_iter().skip(1).collect();
        p.exe_from_memfd = exe_dentry.starts_with("memfd:");
        p.exepath = if p.exe_from_memfd {
            exe_dentry.clone()
        } else {
            resolve(&p.cwd, &filename)
        };
        p.comm = comm.unwrap_or_else(|| basename(&filename).chars().take(15).collect());
        if let Some(i) = info {
            p.ppid = i.ppid;
            p.loginuid = i.loginuid;
            p.tty = i.tty;
            p.sid = i.sid;
            p.vpid = i.vpid;
            p.cap_inheritable = i.cap_inheritable;
            p.cap_permitted = i.cap_permitted;
            p.cap_effective = i.cap_effective;
            p.exe_ino = i.exe_ino;
            p.exe_upper_layer = i.exe_upper_layer;
            p.exe_ctime = i.exe_ctime;
            p.exe_mtime = i.exe_mtime;
        } else {
            p.exe_upper_layer = None;
            p.exe_ctime = 0;
            p.exe_mtime = 0;
        }
        if p.start_ns == 0 {
            p.start_ns = now;
        }
        // close-on-exec fds go away
        p.fds.retain(|_, f| f.flags & flags::O_CLOEXEC == 0);
        ev.text_static(
            "evt.type",
            if r.sysno == 322 { "execveat" } else { "execve" },
        );
        ev.res(0);
        ev.text("evt.arg.filename", &filename);
        ev.text("evt.arg.exe", &p.exe.clone());
        let args = p.args.join(" ");
        ev.text("evt.arg.args", &args);
    }

    fn on_fork(&mut self, r: &Record<'_>, ev: &mut Ev) -> Option<()> {
        let child_tid = u32::try_from(r.res).ok()?;
        let child_tgid = r.args[0] as u32;
        ev.text_static("evt.type", "clone");
        ev.res(r.res);
        if child_tgid == r.tgid {
            // a new thread of the same process
            ev.text("evt.arg.flags", "CLONE_THREAD");
            return Some(());
        }
        let info = ProcInfo::parse(r.blobs[0]);
        if self.unwatched == Some(r.tgid) {
            if let Some(root) = &self.proc_root {
                let fds = procfs::read_fd_table(root, r.tgid);
                if let Some(p) = self.procs.get_mut(&r.tgid) {
                    p.fds = fds;
                }
            }
        }
        let parent = self.procs.get(&r.tgid).cloned().unwrap_or_default();
        let mut c = Process {
            pid: child_tgid,
            dead_at: None,
            start_ns: self.epoch(r.ts_boot),
            ..parent
        };
        if let Some(i) = info {
            c.ppid = i.ppid;
            c.vpid = i.vpid;
            c.sid = i.sid;
            c.tty = i.tty;
            c.loginuid = i.loginuid;
        } else {
            c.ppid = r.tgid;
        }
        let _ = child_tid;
        self.procs.insert(child_tgid, c);
        Some(())
    }

    /// Drops the fd table entries a successful close/close_range removed
    /// (close_range with CLOSE_RANGE_CLOEXEC marks them close-on-exec instead).
    fn apply_close(&mut self, r: &Record<'_>, ev: Option<&mut Ev>) {
        let Some(p) = self.procs.get_mut(&r.tgid) else {
            return;
        };
        let fd = (r.args[0] as u32) as i64;
        if r.sysno == NR_CLOSE {
            if let Some(ev) = ev {
                ev.num("evt.arg.fd", (r.args[0] as i32) as i128);
                ev.res(r.res);
                if let Some(info) = p.fds.get(&fd) {
                    ev.fd(fd, info, false);
                }
            }
            if r.res == 0 {
                p.fds.remove(&fd);
            }
            return;
        }
        // close_range(first, last, flags)
        let last = (r.args[1] as u32) as i64;
        let cloexec = r.args[2] & CLOSE_RANGE_CLOEXEC != 0;
        if let Some(ev) = ev {
            ev.num("evt.arg.first", fd as i128);
            ev.num("evt.arg.last", last as i128);
            ev.num("evt.arg.flags", r.args[2] as i128);
            ev.res(r.res);
        }
        if r.res != 0 {
            return;
        }
        if cloexec {
            for (_, f) in p.fds.iter_mut().filter(|(n, _)| (fd..=last).contains(*n)) {
                f.flags |= flags::O_CLOEXEC;
            }
        } else {
            p.fds.retain(|n, _| !(fd..=last).contains(n));
        }
    }

    fn on_exit(&mut self, r: &Record<'_>, now: u64, ev: &mut Ev) {
        ev.text_static("evt.type", "procexit");
        ev.num("evt.arg.status", r.res as i128);
        let code = (r.res >> 8) & 0xff;
        let sig = r.res & 0x7f;
        ev.num("evt.arg.ret", code as i128);
        ev.num("evt.arg.sig", sig as i128);
        if let Some(p) = self.procs.get_mut(&r.tgid) {
            p.dead_at = Some(now);
        }
    }

    /// A successful `dup*` or `fcntl(F_DUPFD*)` of `old` gave `new` (`new` <
    /// 0: it failed): the new entry is a copy of the old one, close-on-exec
    /// only when the call asked; when the table does not know `old`, `new`
    /// is dropped so it keeps no stale name.
    fn apply_dup(&mut self, t: u32, old: i64, new: i64, cloexec: bool, ev: &mut Ev) {
        let info = self.fd_name(t, old).cloned();
        if let Some(info) = info {
            ev.fd(old, &info, false);
            if new >= 0 {
                let mut n = info;
                n.flags = if cloexec {
                    n.flags | flags::O_CLOEXEC
                } else {
                    n.flags & !flags::O_CLOEXEC
                };
                if let Some(p) = self.procs.get_mut(&t) {
                    p.fds.insert(new, n);
                }
            }
        } else {
            ev.num("fd.num", old as i128);
            if new >= 0 {
                if let Some(p) = self.procs.get_mut(&t) {
                    p.fds.remove(&new);
                }
            }
        }
    }

    fn fd_name(&self, tgid: u32, fd: i64) -> Option<&FdInfo> {
        self.procs.get(&tgid)?.fds.get(&fd)
    }

    /// Resolves a path given with a dirfd (`AT_FDCWD` = cwd) for process `tgid`.
    fn resolve_at(&self, tgid: u32, dirfd: i64, path: &str) -> String {
        if path.starts_with('/') {
            return normalize(path);
        }
        let p = self.procs.get(&tgid);
        let base = if dirfd == flags::AT_FDCWD {
            p.map(|p| p.cwd.as_str()).unwrap_or("")
        } else {
            // (an fd from a call quell does not capture, such as
            // fcntl(F_DUPFD), is unknown: the path stays as given)
            p.and_then(|p| p.fds.get(&dirfd))
                .map(|f| f.name.as_str())
                .unwrap_or("")
        };
        if base.is_empty() {
            return path.to_string();
        }
        resolve(base, path)
    }

    /// The target of `/proc/PID/<link>` when it is an absolute path (a live
    /// capture only; the process may have moved on since the record, so this
    /// is only for rare calls: `fchdir` to an fd the table does not know).
    fn proc_link(&self, tgid: u32, link: &str) -> Option<String> {
        let root = self.proc_root.as_ref()?;
        let t = std::fs::read_link(root.join(tgid.to_string()).join(link)).ok()?;
        let t = t.to_str()?;
        t.starts_with('/').then(|| t.to_string())
    }

    fn on_syscall(&mut self, r: &Record<'_>, ev: &mut Ev) -> Option<()> {
        let name = syscalls::name_of(r.sysno)?;
        let t = r.tgid;
        let a = r.args;
        let res = r.res;
        let as_fd = |x: u64| (x as i32) as i64;
        ev.text_static(
            "evt.type",
            if name == "fchmodat2" {
                "fchmodat"
            } else {
                name
            },
        );
        if matches!(name, "close" | "close_range") {
            self.apply_close(r, Some(ev));
            return Some(());
        }
        ev.res(res);
        match name {
            "pipe" | "pipe2" | "socketpair" => {
                let (fd1, fd2) = (as_fd(a[4]), as_fd(a[5]));
                let cloexec = match name {
                    "pipe2" => a[1] & flags::O_CLOEXEC != 0,
                    "socketpair" => a[1] & flags::O_CLOEXEC != 0,
                    _ => false,
                };
                if res == 0 {
                    ev.num("evt.arg.fd1", fd1 as i128);
                    ev.num("evt.arg.fd2", fd2 as i128);
                }
                let info = if name == "socketpair" {
                    ev.text("evt.arg.domain", flags::family(a[0] as u16));
                    ev.num("evt.arg.type", (a[1] & 0xf) as i128);
                    ev.num("evt.arg.proto", (a[2] as u32) as i128);
                    FdInfo {
                        kind: FdKind::Socket,
                        sock: Some(SockInfo {
                            family: a[0] as u16,
                            sock_type: (a[1] & 0xf) as u16,
                            proto: a[2] as u16,
                            connected: true,
                            ..SockInfo::default()
                        }),
                        ..FdInfo::default()
                    }
                } else {
                    if name == "pipe2" {
                        ev.num("evt.arg.flags", (a[1] as i32) as i128);
                    }
                    if res == 0 && a[3] != 0 {
                        ev.num("evt.arg.ino", a[3] as i128);
                    }
                    FdInfo {
                        kind: FdKind::Pipe,
                        name: if a[3] != 0 {
                            format!("pipe:[{}]", a[3])
                        } else {
                            String::new()
                        },
                        ..FdInfo::default()
                    }
                };
                let info = FdInfo {
                    flags: if cloexec { flags::O_CLOEXEC } else { 0 },
                    ..info
                };
                if res == 0 && fd1 >= 0 && fd2 >= 0 {
                    ev.fd(fd1, &info, true);
                    if let Some(p) = self.procs.get_mut(&t) {
                        p.fds.insert(fd2, info.clone());
                        p.fds.insert(fd1, info);
                    }
                }
            }
            "open" | "openat" | "openat2" | "creat" => {
                let raw = blob_str(r.blobs[0]);
                let (dirfd, fl, mode) = match name {
                    "open" => (flags::AT_FDCWD, a[1], a[2]),
                    "openat" => (as_fd(a[0]), a[1 + 1], a[3]),
                    "openat2" => {
                        let how = r.blobs[1];
                        let g = |o: usize| {
                            how.get(o..o + 8)
                                .and_then(|s| s.try_into().ok())
                                .map(u64::from_le_bytes)
                                .unwrap_or(0)
                        };
                        (as_fd(a[0]), g(0), g(8))
                    }
                    _ => (
                        flags::AT_FDCWD,
                        flags::O_CREAT | flags::O_WRONLY | flags::O_TRUNC,
                        a[1],
                    ),
                };
                let path = self.resolve_at(t, dirfd, &raw);
                ev.num("evt.arg.fd", res as i128);
                if name != "open" && name != "creat" {
                    ev.num("evt.arg.dirfd", dirfd as i128);
                }
                ev.text("evt.arg.name", &raw);
                ev.text("evt.arg.flags", &flags::open_flags(fl));
                ev.text("evt.arg.mode", &flags::mode(mode));
                let acc = fl & flags::O_ACCMODE;
                ev.boolean(
                    "evt.is_open_read",
                    acc == flags::O_RDONLY || acc == flags::O_RDWR,
                );
                ev.boolean(
                    "evt.is_open_write",
                    acc == flags::O_WRONLY || acc == flags::O_RDWR,
                );
                ev.boolean(
                    "evt.is_open_exec",
                    fl & (flags::O_CREAT | flags::O_TMPFILE) != 0 && mode & 0o111 != 0,
                );
                let kind = if fl & flags::O_DIRECTORY != 0 {
                    FdKind::Directory
                } else {
                    FdKind::File
                };
                let info = FdInfo {
                    kind,
                    name: path,
                    nameraw: raw,
                    flags: fl,
                    sock: None,
                };
                ev.fd(res, &info, true);
                if res >= 0 {
                    if let Some(p) = self.procs.get_mut(&t) {
                        p.fds.insert(res, info);
                    }
                }
            }
            "memfd_create" => {
                let n = blob_str(r.blobs[0]);
                ev.text("evt.arg.name", &n);
                ev.text("evt.arg.flags", &flags::memfd_flags(a[1]));
                ev.num("evt.arg.fd", res as i128);
                let info = FdInfo {
                    kind: FdKind::Memfd,
                    name: format!("memfd:{n}"),
                    nameraw: n,
                    flags: if a[1] & 1 != 0 { flags::O_CLOEXEC } else { 0 },
                    sock: None,
                };
                ev.fd(res, &info, true);
                if res >= 0 {
                    if let Some(p) = self.procs.get_mut(&t) {
                        p.fds.insert(res, info);
                    }
                }
            }
            "dup" | "dup2" | "dup3" => {
                let old = as_fd(a[0]);
                ev.num("evt.arg.oldfd", old as i128);
                if name != "dup" {
                    ev.num("evt.arg.newfd", as_fd(a[1]) as i128);
                }
                if name == "dup3" {
                    ev.text(
                        "evt.arg.flags",
                        if a[2] & flags::O_CLOEXEC != 0 {
                            "O_CLOEXEC"
                        } else {
                            ""
                        },
                    );
                }
                let cloexec = name == "dup3" && a[2] & flags::O_CLOEXEC != 0;
                self.apply_dup(t, old, res, cloexec, ev);
            }
            "fcntl" => {
                let fd = as_fd(a[0]);
                ev.num("evt.arg.fd", fd as i128);
                ev.text_static("evt.arg.cmd", flags::fcntl_cmd(a[1]));
                // Only the commands that make a new fd change the table (the
                // kernel program passes no other).
                if matches!(a[1], flags::F_DUPFD | flags::F_DUPFD_CLOEXEC) {
                    self.apply_dup(t, fd, res, a[1] == flags::F_DUPFD_CLOEXEC, ev);
                } else if let Some(info) = self.fd_name(t, fd).cloned() {
                    ev.fd(fd, &info, false);
                }
            }
            "chdir" | "fchdir" => {
                let new = if name == "chdir" {
                    let raw = blob_str(r.blobs[0]);
                    ev.text("evt.arg.path", &raw);
                    Some(self.resolve_at(t, flags::AT_FDCWD, &raw))
                } else {
                    ev.num("evt.arg.fd", as_fd(a[0]) as i128);
                    self.fd_name(t, as_fd(a[0]))
                        .map(|f| f.name.clone())
                        .or_else(|| self.proc_link(t, "cwd"))
                };
                if res == 0 {
                    if let (Some(new), Some(p)) = (new, self.procs.get_mut(&t)) {
                        p.cwd = new;
                    }
                }
            }
            "unlink" | "rmdir" | "unlinkat" | "mkdir" | "mkdirat" | "chmod" | "fchmodat"
            | "fchmodat2" => {
                let raw = blob_str(r.blobs[0]);
                let at = matches!(name, "unlinkat" | "mkdirat" | "fchmodat" | "fchmodat2");
                let dirfd = if at { as_fd(a[0]) } else { flags::AT_FDCWD };
                let path = self.resolve_at(t, dirfd, &raw);
                if at {
                    ev.num("evt.arg.dirfd", dirfd as i128);
                }
                match name {
                    "unlinkat" => {
                        ev.text("evt.arg.name", &raw);
                        ev.text(
                            "evt.arg.flags",
                            if a[2] & 0x200 != 0 {
                                "AT_REMOVEDIR"
                            } else {
                                ""
                            },
                        );
                    }
                    "chmod" | "fchmodat" | "fchmodat2" => {
                        ev.text("evt.arg.filename", &raw);
                        ev.text(
                            "evt.arg.mode",
                            &flags::mode(if name == "chmod" { a[1] } else { a[2] }),
                        );
                    }
                    "mkdir" => {
                        ev.text("evt.arg.path", &raw);
                        ev.text("evt.arg.mode", &flags::mode(a[1]));
                    }
                    "mkdirat" => {
                        ev.text("evt.arg.path", &raw);
                        ev.text("evt.arg.mode", &flags::mode(a[2]));
                    }
                    _ => ev.text("evt.arg.path", &raw),
                }
                ev.text("fs.path.name", &path);
                ev.text("fs.path.nameraw", &raw);
            }
            "fchmod" => {
                ev.num("evt.arg.fd", as_fd(a[0]) as i128);
                ev.text("evt.arg.mode", &flags::mode(a[1]));
                if let Some(info) = self.fd_name(t, as_fd(a[0])).cloned() {
                    ev.fd(as_fd(a[0]), &info, false);
                }
            }
            "rename" | "renameat" | "renameat2" | "link" | "linkat" => {
                let old = blob_str(r.blobs[0]);
                let new = blob_str(r.blobs[1]);
                let (od, nd) = if matches!(name, "rename" | "link") {
                    (flags::AT_FDCWD, flags::AT_FDCWD)
                } else {
                    (as_fd(a[0]), as_fd(a[2]))
                };
                ev.text("evt.arg.oldpath", &old);
                ev.text("evt.arg.newpath", &new);
                if od != flags::AT_FDCWD || matches!(name, "renameat" | "renameat2" | "linkat") {
                    ev.num(
                        if name == "linkat" {
                            "evt.arg.olddir"
                        } else {
                            "evt.arg.olddirfd"
                        },
                        od as i128,
                    );
                    ev.num(
                        if name == "linkat" {
                            "evt.arg.newdir"
                        } else {
                            "evt.arg.newdirfd"
                        },
                        nd as i128,
                    );
                }
                let src = self.resolve_at(t, od, &old);
                let dst = self.resolve_at(t, nd, &new);
                ev.text("fs.path.source", &src);
                ev.text("fs.path.target", &dst);
                ev.text("fs.path.sourceraw", &old);
                ev.text("fs.path.targetraw", &new);
            }
            "symlink" | "symlinkat" => {
                let target = blob_str(r.blobs[0]);
                let link = blob_str(r.blobs[1]);
                let ld = if name == "symlinkat" {
                    as_fd(a[1])
                } else {
                    flags::AT_FDCWD
                };
                ev.text("evt.arg.target", &target);
                ev.text("evt.arg.linkpath", &link);
                if name == "symlinkat" {
                    ev.num("evt.arg.linkdirfd", ld as i128);
                }
                let dst = self.resolve_at(t, ld, &link);
                ev.text("fs.path.source", &target);
                ev.text("fs.path.target", &dst);
                ev.text("fs.path.sourceraw", &target);
                ev.text("fs.path.targetraw", &link);
            }
            "socket" => {
                ev.num("evt.arg.fd", res as i128);
                ev.text("evt.arg.domain", flags::family(a[0] as u16));
                ev.num("evt.arg.type", (a[1] & 0xf) as i128);
                ev.num("evt.arg.proto", (a[2] as u32) as i128);
                let sock = SockInfo {
                    family: a[0] as u16,
                    sock_type: (a[1] & 0xf) as u16,
                    proto: a[2] as u16,
                    ..SockInfo::default()
                };
                let info = FdInfo {
                    kind: FdKind::Socket,
                    flags: if a[1] & 0o2000000 != 0 {
                        flags::O_CLOEXEC
                    } else {
                        0
                    },
                    sock: Some(sock),
                    ..FdInfo::default()
                };
                ev.fd(res, &info, false);
                if res >= 0 {
                    if let Some(p) = self.procs.get_mut(&t) {
                        p.fds.insert(res, info);
                    }
                }
            }
            "bind" | "connect" | "listen" | "sendto" | "sendmsg" | "recvfrom" | "recvmsg"
            | "accept" | "accept4" => {
                let accepted = matches!(name, "accept" | "accept4");
                let fd = if accepted { res } else { as_fd(a[0]) };
                let addr = if matches!(name, "bind" | "connect" | "sendto") {
                    SockAddr::parse(r.blobs[0])
                } else {
                    None
                };
                let tuple = Tuple::parse(r.blobs[1]);
                if !accepted {
                    ev.num("evt.arg.fd", fd as i128);
                } else {
                    ev.num("evt.arg.fd", res as i128);
                }
                if let Some(a) = &addr {
                    ev.text("evt.arg.addr", &sockaddr_text(a));
                }
                if name == "listen" {
                    ev.num("evt.arg.backlog", (a[1] as i32) as i128);
                }
                if accepted && res < 0 {
                    return Some(());
                }
                let mut info = if accepted {
                    FdInfo {
                        kind: FdKind::Socket,
                        ..FdInfo::default()
                    }
                } else {
                    self.fd_name(t, fd).cloned().unwrap_or(FdInfo {
                        kind: FdKind::Socket,
                        ..FdInfo::default()
                    })
                };
                if info.kind != FdKind::Socket && tuple.is_none() {
                    ev.num("fd.num", fd as i128);
                    return Some(());
                }
                info.kind = FdKind::Socket;
                let before = info.name.clone();
                let mut s = info.sock.clone().unwrap_or_default();
                if let Some(tu) = &tuple {
                    s.family = tu.family;
                    s.sock_type = tu.sock_type;
                    s.proto = tu.proto;
                    if tu.family == 2 || tu.family == 10 {
                        s.local = Some((tu.laddr, tu.lport));
                        if tu.rport != 0 || !tu.raddr.is_unspecified() {
                            s.remote = Some((tu.raddr, tu.rport));
                        }
                    }
                }
                match (&addr, name) {
                    (Some(SockAddr::Ip(ip, port)), "connect" | "sendto")
                        if s.remote.is_none() || name == "sendto" =>
                    {
                        s.remote = Some((*ip, *port));
                    }
                    (Some(SockAddr::Ip(ip, port)), "bind") if s.local.is_none() => {
                        s.local = Some((*ip, *port))
                    }
                    (Some(SockAddr::Unix(path)), _) => {
                        s.family = 1;
                        s.unix_path = Some(path.clone());
                    }
                    _ => {}
                }
                match name {
                    "connect" if res == 0 => s.connected = true,
                    "listen" | "bind" => s.server_side = true,
                    _ if accepted => {
                        s.server_side = true;
                        s.connected = true;
                    }
                    _ => {}
                }
                info.sock = Some(s);
                info.name = sock_name(info.sock.as_ref());
                if let Some(tu) = &tuple {
                    if name == "connect" && tu.family == 2 {
                        ev.text("evt.arg.tuple", &info.name);
                    }
                }
                let changed = info.name != before || accepted;
                ev.fd(fd, &info, changed);
                if let Some(p) = self.procs.get_mut(&t) {
                    p.fds.insert(fd, info);
                }
            }
            "ptrace" => {
                ev.text("evt.arg.request", flags::ptrace_request(a[0]));
                ev.num("evt.arg.pid", (a[1] as i32) as i128);
                ev.text("evt.arg.addr", &format!("{:X}", a[2]));
                ev.text("evt.arg.data", &format!("{:X}", a[3]));
            }
            "setuid" | "setgid" => {
                let k = if name == "setuid" {
                    "evt.arg.uid"
                } else {
                    "evt.arg.gid"
                };
                ev.num(k, (a[0] as u32) as i128);
            }
            "setreuid" | "setregid" | "setresuid" | "setresgid" => {
                let (rk, ek, sk) = if name.contains("uid") {
                    ("evt.arg.ruid", "evt.arg.euid", "evt.arg.suid")
                } else {
                    ("evt.arg.rgid", "evt.arg.egid", "evt.arg.sgid")
                };
                ev.num(rk, (a[0] as u32) as i128);
                ev.num(ek, (a[1] as u32) as i128);
                if name.starts_with("setres") {
                    ev.num(sk, (a[2] as u32) as i128);
                }
            }
            "setns" => {
                ev.num("evt.arg.fd", as_fd(a[0]) as i128);
                ev.text("evt.arg.nstype", &flags::clone_flags(a[1]));
            }
            "unshare" => ev.text("evt.arg.flags", &flags::clone_flags(a[0])),
            "bpf" => {
                ev.num("evt.arg.cmd", (a[0] as i32) as i128);
                ev.num("evt.arg.fd", res as i128);
            }
            "finit_module" => {
                ev.num("evt.arg.fd", as_fd(a[0]) as i128);
                if let Some(info) = self.fd_name(t, as_fd(a[0])).cloned() {
                    ev.fd(as_fd(a[0]), &info, false);
                }
            }
            "userfaultfd" => {
                ev.num("evt.arg.flags", (a[0] as i32) as i128);
                if res >= 0 {
                    if let Some(p) = self.procs.get_mut(&t) {
                        p.fds.remove(&res);
                    }
                }
            }
            "execve" | "execveat" => {
                // only failed execs arrive here
                ev.text("evt.arg.filename", &blob_str(r.blobs[0]));
            }
            _ => {}
        }
        Some(())
    }

    /// The process `tgid`'s parent as the ancestor walk sees it.
    fn parent_of(&self, p: &Process) -> Option<&Process> {
        if p.ppid == 0 || p.ppid == p.pid {
            return None;
        }
        self.procs.get(&p.ppid)
    }

    /// Walks the ancestors of `p`: `visit(level, pid, ancestor)` for levels
    /// 1..=MAX_ANCESTORS, stopping at pid 0, a loop, or a process missing from
    /// the table (reported once, as `None`, when it is the parent). `visit`
    /// returns false to stop early.
    fn walk_ancestors<'s>(
        &'s self,
        p: &Process,
        mut visit: impl FnMut(usize, u32, Option<&'s Process>) -> bool,
    ) {
        let mut seen = [0u32; MAX_ANCESTORS + 1];
        seen[0] = p.pid;
        let mut n = 1;
        let mut cur = p.ppid;
        let mut level = 1usize;
        while level <= MAX_ANCESTORS && cur != 0 && !seen[..n].contains(&cur) {
            let Some(a) = self.procs.get(&cur) else {
                if level == 1 {
                    visit(1, cur, None);
                }
                break;
            };
            if !visit(level, cur, Some(a)) {
                break;
            }
            if let Some(slot) = seen.get_mut(n) {
                *slot = cur;
                n += 1;
            }
            cur = a.ppid;
            level += 1;
        }
    }

    /// One ancestor field (`proc.aname`, `proc.apid`, `proc.aexe`,
    /// `proc.aexepath`) at `level` (1..=MAX_ANCESTORS).
    fn ancestor_value(&self, p: &Process, name: &str, level: usize) -> Option<Value<'_>> {
        let key = ancestor_key(name, level)?;
        let mut out = None;
        self.walk_ancestors(p, |l, pid, a| {
            if l < level {
                return true;
            }
            if l == level {
                out = match (a, name) {
                    (None, "proc.apid") => Some(num_value(proc_key_type(key), pid as i128)),
                    (None, _) => None,
                    (Some(a), _) => ancestor_field(a, name, level, key),
                };
            }
            false
        });
        out
    }

    /// A process field that is not an ancestor level; `None` when absent.
    fn proc_value<'s>(&'s self, p: &'s Process, key: &str) -> Option<Value<'s>> {
        let ty = proc_key_type(key);
        let num = |v: i128| Some(num_value(ty, v));
        let text = |v: Cow<'s, str>| text_value(ty, v);
        let b = |v: bool| Some(bool_value(ty, v));
        // a container's names come from its own files (the host's when
        // they could not be read)
        let users = p
            .container
            .as_ref()
            .and_then(|c| self.container_users.get(&c.full_id))
            .unwrap_or(&self.users);
        let user = |id: u32| users.users.get(&id).map(|n| Cow::Borrowed(n.as_str()));
        match key {
            "proc.pid" => num(p.pid as i128),
            "proc.ppid" => num(p.ppid as i128),
            "proc.vpid" => num(p.vpid as i128),
            "proc.name" => text(Cow::Borrowed(&p.comm)),
            "proc.exe" => text(Cow::Borrowed(&p.exe)),
            "proc.exepath" => text(Cow::Borrowed(&p.exepath)),
            "proc.args" => text(Cow::Owned(p.args.join(" "))),
            "proc.cmdline" => text(Cow::Owned(p.cmdline())),
            "proc.cwd" => text(Cow::Borrowed(&p.cwd)),
            "proc.tty" => num(p.tty as i128),
            "proc.sid" => num(p.sid as i128),
            "proc.sname" => text(Cow::Borrowed(&self.procs.get(&p.sid)?.comm)),
            "proc.is_exe_from_memfd" => b(p.exe_from_memfd),
            "proc.is_exe_upper_layer" => b(p.exe_upper_layer?),
            "proc.exe_ino" if p.exe_ino != 0 => num(p.exe_ino as i128),
            "proc.exe_ino.ctime" if p.exe_ctime != 0 => num(p.exe_ctime as i128),
            "proc.exe_ino.mtime" if p.exe_mtime != 0 => num(p.exe_mtime as i128),
            "proc.exe_ino.ctime_duration_proc_start"
                if p.exe_ctime != 0 && p.start_ns >= p.exe_ctime =>
            {
                num((p.start_ns - p.exe_ctime) as i128)
            }
            "proc.duration" if p.start_ns != 0 && self.now >= p.start_ns => {
                num((self.now - p.start_ns) as i128)
            }
            "proc.pid.ts" if p.start_ns != 0 => num(p.start_ns as i128),
            "thread.cap_effective" => text(Cow::Owned(flags::caps(p.cap_effective))),
            "thread.cap_permitted" => text(Cow::Owned(flags::caps(p.cap_permitted))),
            "thread.cap_inheritable" => text(Cow::Owned(flags::caps(p.cap_inheritable))),
            "user.uid" => num(p.uid as i128),
            "user.name" => text(user(p.uid)?),
            "user.loginuid" => num(if p.loginuid == u32::MAX {
                -1
            } else {
                p.loginuid as i128
            }),
            "user.loginname" => text(user(p.loginuid)?),
            "group.gid" => num(p.gid as i128),
            "group.name" => text(Cow::Borrowed(users.groups.get(&p.gid)?)),
            "proc.pname" => text(Cow::Borrowed(&self.parent_of(p)?.comm)),
            "proc.pcmdline" => text(Cow::Owned(self.parent_of(p)?.cmdline())),
            "proc.pexe" => text(Cow::Borrowed(&self.parent_of(p)?.exe)),
            "proc.pexepath" => text(Cow::Borrowed(&self.parent_of(p)?.exepath)),
            "container.id" => match &p.container {
                None => text(Cow::Borrowed(HOST_ID)),
                Some(c) => text(Cow::Borrowed(&c.id)),
            },
            "container.full_id" => text(Cow::Borrowed(&p.container.as_ref()?.full_id)),
            "container.type" => text(Cow::Borrowed(p.container.as_ref()?.runtime)),
            "container.name" => match &p.container {
                None => text(Cow::Borrowed("host")),
                Some(c) => text(Cow::Borrowed(self.meta.cached(c)?.name.as_deref()?)),
            },
            "container.image"
            | "container.image.repository"
            | "container.image.tag"
            | "k8s.pod.name"
            | "k8s.ns.name"
            | "k8s.pod.uid" => {
                let m = self.meta.cached(p.container.as_ref()?)?;
                let v = match key {
                    "container.image" => &m.image,
                    "container.image.repository" => &m.image_repository,
                    "container.image.tag" => &m.image_tag,
                    "k8s.pod.name" => &m.pod_name,
                    "k8s.ns.name" => &m.pod_namespace,
                    _ => &m.pod_uid,
                };
                text(Cow::Borrowed(v.as_deref()?))
            }
            "container.privileged" => b(self.meta.cached(p.container.as_ref()?)?.privileged?),
            _ => None,
        }
    }

    /// Every process-derived field of process `tgid`, appended to `out`.
    fn proc_pairs(&self, tgid: u32, out: &mut Vec<Pair>) {
        let Some(p) = self.procs.get(&tgid) else {
            return;
        };
        for key in PROC_KEYS {
            if let Some(v) = self.proc_value(p, key) {
                out.push((Cow::Borrowed(*key), v.into_owned()));
            }
        }
        self.walk_ancestors(p, |level, pid, a| {
            for name in ANCESTOR_NAMES {
                let Some(key) = ancestor_key(name, level) else {
                    continue;
                };
                let v = match a {
                    None if name == "proc.apid" => Some(num_value(proc_key_type(key), pid as i128)),
                    None => None,
                    Some(a) => ancestor_field(a, name, level, key).map(Value::into_owned),
                };
                if let Some(v) = v {
                    out.push((Cow::Borrowed(key), v));
                }
            }
            true
        });
    }
}

/// A record turned into an event, reading process fields from the state on
/// demand. Implements [`Event`]; it reads exactly as [`LiveEvent::to_flat`]
/// does.
pub struct LiveEvent<'a> {
    state: &'a State,
    tgid: u32,
    /// The process of the event, looked up once.
    process: Option<&'a Process>,
}

impl<'a> LiveEvent<'a> {
    /// The value stored under a canonical key (as [`FlatEvent::get`] would give it).
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        if let Some((_, v)) = self.state.base.iter().rev().find(|(k, _)| k == key) {
            return Some(v.borrowed());
        }
        if key == "evt.args" {
            return self.args_text().map(|t| Value::Str(Cow::Owned(t)));
        }
        let p = self.process?;
        if key.ends_with(']') {
            if let Some((name, level)) = split_ancestor_key(key) {
                return self.state.ancestor_value(p, name, level);
            }
        }
        self.state.proc_value(p, key)
    }

    /// The event time in nanoseconds since the epoch.
    pub fn timestamp_ns(&self) -> Option<u64> {
        quell_events::timestamp_from(&|k| self.get(k))
    }

    /// `evt.args`: the event's arguments as `name=value` pairs in the
    /// record's order (what `evt.arg.*` hold), built only when asked for.
    fn args_text(&self) -> Option<String> {
        let mut out = String::new();
        for (k, v) in &self.state.base {
            let Some(name) = k.strip_prefix("evt.arg.") else {
                continue;
            };
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
            out.push('=');
            out.push_str(&v.to_string());
        }
        (!out.is_empty()).then_some(out)
    }

    /// The complete event, with every field.
    pub fn to_flat(&self) -> FlatEvent {
        let mut pairs = Vec::with_capacity(self.state.base.len() + 64);
        pairs.extend(self.state.base.iter().cloned());
        if let Some(t) = self.args_text() {
            pairs.push((Cow::Borrowed("evt.args"), Value::Str(Cow::Owned(t))));
        }
        self.state.proc_pairs(self.tgid, &mut pairs);
        FlatEvent::from_pairs(pairs)
    }
}

impl Event for LiveEvent<'_> {
    fn evt_type(&self) -> Option<&str> {
        self.state
            .base
            .iter()
            .rev()
            .find(|(k, _)| k == "evt.type")
            .and_then(|(_, v)| v.as_str())
    }

    fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
        quell_events::field_from(f, &|k| self.get(k))
    }
}

/// Process fields every event may carry, ancestor levels apart.
const PROC_KEYS: &[&str] = &[
    "proc.pid",
    "proc.ppid",
    "proc.vpid",
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.args",
    "proc.cmdline",
    "proc.cwd",
    "proc.tty",
    "proc.sid",
    "proc.sname",
    "proc.is_exe_from_memfd",
    "proc.is_exe_upper_layer",
    "proc.exe_ino",
    "proc.exe_ino.ctime",
    "proc.exe_ino.mtime",
    "proc.exe_ino.ctime_duration_proc_start",
    "proc.duration",
    "proc.pid.ts",
    "thread.cap_effective",
    "thread.cap_permitted",
    "thread.cap_inheritable",
    "user.uid",
    "user.name",
    "user.loginuid",
    "user.loginname",
    "group.gid",
    "group.name",
    "proc.pname",
    "proc.pcmdline",
    "proc.pexe",
    "proc.pexepath",
    "container.id",
    "container.name",
    "container.full_id",
    "container.type",
    "container.image",
    "container.image.repository",
    "container.image.tag",
    "k8s.pod.name",
    "k8s.ns.name",
    "k8s.pod.uid",
    "container.privileged",
];

/// Ancestor fields events carry, one key per level.
const ANCESTOR_NAMES: [&str; 4] = ["proc.aname", "proc.apid", "proc.aexe", "proc.aexepath"];

macro_rules! levels {
    ($name:literal) => {
        [
            concat!($name, "[1]"),
            concat!($name, "[2]"),
            concat!($name, "[3]"),
            concat!($name, "[4]"),
            concat!($name, "[5]"),
            concat!($name, "[6]"),
            concat!($name, "[7]"),
            concat!($name, "[8]"),
            concat!($name, "[9]"),
            concat!($name, "[10]"),
            concat!($name, "[11]"),
            concat!($name, "[12]"),
            concat!($name, "[13]"),
            concat!($name, "[14]"),
            concat!($name, "[15]"),
            concat!($name, "[16]"),
        ]
    };
}

static ANAME_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.aname");
static APID_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.apid");
static AEXE_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.aexe");
static AEXEPATH_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.aexepath");

/// The static key of an ancestor field at `level` (1..=MAX_ANCESTORS); `None`
/// for levels events do not carry (`proc.aexe*` stop at level 2).
fn ancestor_key(name: &str, level: usize) -> Option<&'static str> {
    let table = match name {
        "proc.aname" => &ANAME_KEYS,
        "proc.apid" => &APID_KEYS,
        "proc.aexe" | "proc.aexepath" if level > 2 => return None,
        "proc.aexe" => &AEXE_KEYS,
        "proc.aexepath" => &AEXEPATH_KEYS,
        _ => return None,
    };
    table.get(level.checked_sub(1)?).copied()
}

/// `proc.aname[3]` → (`proc.aname`, 3), for canonical ancestor keys only.
fn split_ancestor_key(key: &str) -> Option<(&'static str, usize)> {
    let (name, rest) = key.split_once('[')?;
    let digits = rest.strip_suffix(']')?;
    let name = ANCESTOR_NAMES.iter().find(|n| **n == name)?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let level: usize = digits.parse().ok()?;
    ancestor_key(name, level)?;
    Some((name, level))
}

fn ancestor_field<'s>(
    a: &'s Process,
    name: &str,
    level: usize,
    key: &'static str,
) -> Option<Value<'s>> {
    let ty = proc_key_type(key);
    match name {
        "proc.aname" => text_value(ty, Cow::Borrowed(&a.comm)),
        "proc.apid" => Some(num_value(ty, a.pid as i128)),
        "proc.aexe" if level <= 2 => text_value(ty, Cow::Borrowed(&a.exe)),
        "proc.aexepath" if level <= 2 => text_value(ty, Cow::Borrowed(&a.exepath)),
        _ => None,
    }
}

/// The registry type of a process-derived key (looked up once per key).
fn proc_key_type(key: &str) -> Option<FieldType> {
    static TYPES: OnceLock<FnvMap<&'static str, Option<FieldType>>> = OnceLock::new();
    let table = TYPES.get_or_init(|| {
        let mut m = FnvMap::default();
        let all = PROC_KEYS.iter().chain(
            ANAME_KEYS
                .iter()
                .chain(APID_KEYS.iter())
                .chain(AEXE_KEYS.iter())
                .chain(AEXEPATH_KEYS.iter()),
        );
        for k in all {
            m.insert(*k, registry().resolve_text(k).ok().map(|f| f.ty));
        }
        m
    });
    match table.get(key) {
        Some(t) => *t,
        None => registry().resolve_text(key).ok().map(|f| f.ty),
    }
}

/// A number stored under a field of type `ty`.
fn num_value(ty: Option<FieldType>, v: i128) -> Value<'static> {
    match ty {
        Some(FieldType::Uint) => Value::Uint(v.clamp(0, u64::MAX as i128) as u64),
        Some(FieldType::Int) | None => {
            Value::Int(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
        }
        Some(FieldType::Bool) => Value::Bool(v != 0),
        Some(_) => own(&v.to_string()),
    }
}

/// Text stored under a field of type `ty`; `None` when it cannot be (a bad IP).
fn text_value(ty: Option<FieldType>, v: Cow<'_, str>) -> Option<Value<'_>> {
    Some(match ty {
        Some(FieldType::Int) => v
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .unwrap_or_else(|_| Value::Str(v)),
        Some(FieldType::Uint) => v
            .trim()
            .parse::<u64>()
            .map(Value::Uint)
            .unwrap_or_else(|_| Value::Str(v)),
        Some(FieldType::Ip) => Value::Ip(v.parse::<IpAddr>().ok()?),
        Some(FieldType::Bool) => Value::Bool(v == "true"),
        _ => Value::Str(v),
    })
}

/// A boolean stored under a field of type `ty`.
fn bool_value(ty: Option<FieldType>, b: bool) -> Value<'static> {
    match ty {
        Some(FieldType::Bool) | None => Value::Bool(b),
        _ => own(if b { "true" } else { "false" }),
    }
}

/// The comm stored after the 80-byte `struct qproc` body, if present.
fn info_comm(b: &[u8]) -> Option<String> {
    let c = b.get(wire::PROC_LEN..)?;
    let s = blob_str(c);
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

fn sockaddr_text(a: &SockAddr) -> String {
    match a {
        SockAddr::Ip(IpAddr::V4(ip), port) => format!("{ip}:{port}"),
        SockAddr::Ip(IpAddr::V6(ip), port) => format!("{ip}:{port}"),
        SockAddr::Unix(p) => p.clone(),
        SockAddr::Other(f) => format!("family {f}"),
    }
}

/// An address and port, when known.
type Endpoint = Option<(IpAddr, u16)>;

fn ends(s: &SockInfo) -> (Endpoint, Endpoint) {
    // (client, server)
    if s.server_side {
        (s.remote, s.local)
    } else {
        (s.local, s.remote)
    }
}

fn sock_name(s: Option<&SockInfo>) -> String {
    let Some(s) = s else { return String::new() };
    if s.family == 1 {
        return s.unix_path.clone().unwrap_or_default();
    }
    let (c, sv) = ends(s);
    let f = |e: Option<(IpAddr, u16)>| match e {
        Some((ip, port)) => format!("{ip}:{port}"),
        None => String::new(),
    };
    match (c, sv) {
        (None, None) => String::new(),
        (c, sv) => format!("{}->{}", f(c), f(sv)),
    }
}

/// `fd.l4proto` text.
fn l4proto(s: &SockInfo) -> &'static str {
    match (s.proto, s.sock_type) {
        (6, _) => "tcp",
        (17, _) => "udp",
        (1, _) | (58, _) => "icmp",
        (0, 1) => "tcp",
        (0, 2) => "udp",
        (_, 3) => "raw",
        _ => "unknown",
    }
}

/// Joins a relative path to a base directory and normalises the result.
pub fn resolve(base: &str, path: &str) -> String {
    if path.starts_with('/') || base.is_empty() {
        return normalize(path);
    }
    normalize(&format!("{base}/{path}"))
}

/// Removes `.`, `..` and repeated slashes from an absolute path, lexically.
pub fn normalize(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn dirname(p: &str) -> String {
    match p.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => p[..i].to_string(),
        None => String::new(),
    }
}

/// Collects the record's own fields into the state's reused buffer, coercing
/// each value to its field's registry type so a recorded event reads back
/// identical.
struct Ev {
    pairs: Vec<Pair>,
    types: FnvMap<(usize, usize), FieldType>,
}

impl Ev {
    fn new(state: &mut State) -> Ev {
        let mut pairs = std::mem::take(&mut state.base);
        pairs.clear();
        Ev {
            pairs,
            types: std::mem::take(&mut state.types),
        }
    }

    fn done(self, state: &mut State) {
        state.types = self.types;
        state.base = self.pairs;
    }

    fn ty(&mut self, key: &'static str) -> Option<FieldType> {
        // Static keys with the same address and length have the same text.
        let id = (key.as_ptr() as usize, key.len());
        if let Some(t) = self.types.get(&id) {
            return Some(*t);
        }
        let f = registry().resolve_text(key).ok()?;
        self.types.insert(id, f.ty);
        Some(f.ty)
    }

    fn put(&mut self, key: &'static str, v: Value<'static>) {
        self.pairs.push((Cow::Borrowed(key), v));
    }

    fn text(&mut self, key: &'static str, v: &str) {
        let ty = self.ty(key);
        if let Some(val) = text_value(ty, Cow::Borrowed(v)) {
            self.put(key, val.into_owned());
        }
    }

    /// [`Ev::text`] for fixed text: no copy.
    fn text_static(&mut self, key: &'static str, v: &'static str) {
        let ty = self.ty(key);
        if let Some(val) = text_value(ty, Cow::Borrowed(v)) {
            self.put(key, val);
        }
    }

    fn num(&mut self, key: &'static str, v: i128) {
        let ty = self.ty(key);
        self.put(key, num_value(ty, v));
    }

    fn boolean(&mut self, key: &'static str, b: bool) {
        let ty = self.ty(key);
        self.put(key, bool_value(ty, b));
    }

    fn ip(&mut self, key: &'static str, ip: IpAddr) {
        match self.ty(key) {
            Some(FieldType::Ip) | None => self.put(key, Value::Ip(ip)),
            _ => self.put(key, own(&ip.to_string())),
        }
    }

    fn res(&mut self, res: i64) {
        self.num("evt.rawres", res as i128);
        if res >= 0 {
            self.text_static("evt.res", "SUCCESS");
        } else {
            self.text("evt.res", &flags::res_text(res));
        }
        self.boolean("evt.failed", res < 0);
    }

    /// fd.* fields for `fd` described by `info`.
    fn fd(&mut self, fd: i64, info: &FdInfo, name_changed: bool) {
        self.num("fd.num", fd as i128);
        let (ty, ch) = match info.kind {
            FdKind::File => ("file", "f"),
            FdKind::Directory => ("directory", "d"),
            FdKind::Pipe => ("pipe", "p"),
            FdKind::Memfd => ("memfd", "m"),
            FdKind::Socket => match info.sock.as_ref().map(|s| s.family) {
                Some(2) => ("ipv4", "4"),
                Some(10) => ("ipv6", "6"),
                Some(1) => ("unix", "u"),
                Some(16) => ("netlink", "n"),
                _ => ("unknown", "o"),
            },
            FdKind::Other => ("unknown", "o"),
        };
        self.text_static("fd.type", ty);
        self.text_static("fd.typechar", ch);
        self.text("fd.name", &info.name);
        self.boolean("fd.name_changed", name_changed);
        match info.kind {
            FdKind::File | FdKind::Directory => {
                self.text("fd.nameraw", &info.nameraw);
                if info.kind == FdKind::Directory {
                    self.text("fd.directory", &info.name);
                } else {
                    self.text("fd.directory", &dirname(&info.name));
                    self.text("fd.filename", basename(&info.name));
                }
            }
            FdKind::Socket => {
                let Some(s) = &info.sock else { return };
                self.boolean("fd.connected", s.connected);
                if s.family == 1 {
                    self.text_static("fd.sockfamily", "unix");
                    return;
                }
                if s.family != 2 && s.family != 10 {
                    return;
                }
                self.text_static("fd.sockfamily", "ip");
                self.text_static("fd.l4proto", l4proto(s));
                let (c, sv) = ends(s);
                if let Some((ip, port)) = c {
                    self.ip("fd.cip", ip);
                    self.num("fd.cport", port as i128);
                }
                if let Some((ip, port)) = sv {
                    self.ip("fd.sip", ip);
                    self.num("fd.sport", port as i128);
                }
                if let Some((ip, port)) = s.local {
                    self.ip("fd.lip", ip);
                    self.num("fd.lport", port as i128);
                }
                if let Some((ip, port)) = s.remote {
                    self.ip("fd.rip", ip);
                    self.num("fd.rport", port as i128);
                }
            }
            _ => {}
        }
    }
}

fn own(s: &str) -> Value<'static> {
    Value::Str(Cow::Owned(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{build, parse};

    fn state() -> State {
        let users = Users::parse(
            "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n",
            "root:x:0:\nalice:x:1000:\n",
        );
        let mut s = State::new(users, 0, None);
        s.insert(Process {
            pid: 100,
            ppid: 1,
            comm: "bash".into(),
            exe: "-bash".into(),
            exepath: "/usr/bin/bash".into(),
            cwd: "/home/alice".into(),
            loginuid: 1000,
            ..Process::default()
        });
        s.insert(Process {
            pid: 1,
            comm: "init".into(),
            exe: "/sbin/init".into(),
            loginuid: u32::MAX,
            ..Process::default()
        });
        s
    }

    fn qproc(ppid: u32, comm: &str) -> Vec<u8> {
        let mut p = vec![0u8; wire::PROC_LEN];
        p[0..4].copy_from_slice(&ppid.to_le_bytes());
        p[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut c = [0u8; 16];
        c[..comm.len()].copy_from_slice(comm.as_bytes());
        p.extend_from_slice(&c);
        p
    }

    fn apply(s: &mut State, b: &[u8]) -> FlatEvent {
        s.apply(&parse(b).unwrap()).unwrap()
    }

    fn txt(e: &FlatEvent, k: &str) -> String {
        match e.get(k) {
            Some(v) => v.to_string(),
            None => "<NA>".into(),
        }
    }

    #[test]
    fn fchdir_to_an_unknown_fd_reads_the_cwd_from_proc() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("100")).unwrap();
        std::os::unix::fs::symlink("/srv/other", root.join("100/cwd")).unwrap();
        let mut s = state();
        s.proc_root = Some(root.clone());
        // fchdir(9) = 0 with fd 9 unknown, then a relative open
        apply(&mut s, &build(0, 81, 100, 100, 0, [9, 0, 0, 0, 0, 0], &[]));
        let o = build(0, 257, 100, 100, 6, [0xffff_ff9c, 0, 0, 0, 0, 0], &[b"y\0"]);
        assert_eq!(txt(&apply(&mut s, &o), "fd.name"), "/srv/other/y");
        // a dirfd the table does not know: the path stays as given
        let o = build(0, 257, 100, 100, 7, [8, 0, 0, 0, 0, 0], &[b"z\0"]);
        assert_eq!(txt(&apply(&mut s, &o), "fd.name"), "z");
    }

    /// A process in a container gets user and group names from the
    /// container's own /etc/passwd and /etc/group, not the host's.
    #[test]
    fn container_users_come_from_the_containers_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let etc = root.join("300/root/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("passwd"),
            "root:x:0:0::/:/bin/sh\nwww:x:1000:1000::/:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(etc.join("group"), "root:x:0:\nwww-data:x:1000:\n").unwrap();
        let mut s = state();
        s.proc_root = Some(root);
        let c = crate::container::match_cgroup(&format!("/docker/{}", "ab".repeat(32)));
        for (pid, container) in [(300, c), (301, None)] {
            s.insert(Process {
                pid,
                ppid: 1,
                comm: "app".into(),
                container,
                ..Process::default()
            });
        }
        for (pid, user, group) in [(300, "www", "www-data"), (301, "alice", "alice")] {
            let o = build(
                0,
                257,
                pid,
                pid,
                -2,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/x\0"],
            );
            let mut b = o.clone();
            // the record's uid and gid (header offsets 80, 84): 1000
            b[80..84].copy_from_slice(&1000u32.to_le_bytes());
            b[84..88].copy_from_slice(&1000u32.to_le_bytes());
            let e = apply(&mut s, &b);
            assert_eq!(txt(&e, "user.uid"), "1000");
            assert_eq!(txt(&e, "user.name"), user, "pid {pid}");
            assert_eq!(txt(&e, "group.name"), group, "pid {pid}");
        }
    }

    /// `grep -r` and `find` walk a tree through directory fds duplicated
    /// with `fcntl(F_DUPFD_CLOEXEC)`, opening entries relative to them and
    /// (`find -execdir`) changing into them with `fchdir`.
    #[test]
    fn opens_relative_to_a_duplicated_directory_fd_get_the_full_path() {
        let mut s = state();
        // openat(AT_FDCWD, "/srv/keys", O_DIRECTORY|O_CLOEXEC) = 4
        let o = build(
            0,
            257,
            100,
            100,
            4,
            [0xffff_ff9c, 0, 0o2200000, 0, 0, 0],
            &[b"/srv/keys\0"],
        );
        apply(&mut s, &o);
        // fcntl(4, F_DUPFD_CLOEXEC, 3) = 5, close(4)
        let e = apply(
            &mut s,
            &build(0, 72, 100, 100, 5, [4, 1030, 3, 0, 0, 0], &[]),
        );
        assert_eq!(txt(&e, "evt.type"), "fcntl");
        assert_eq!(txt(&e, "evt.arg.cmd"), "F_DUPFD_CLOEXEC");
        assert_eq!(txt(&e, "fd.name"), "/srv/keys");
        apply(&mut s, &build(0, 3, 100, 100, 0, [4, 0, 0, 0, 0, 0], &[]));
        // openat(5, "sub", O_DIRECTORY) = 6; fcntl(6, F_DUPFD, 0) = 7
        let o = build(0, 257, 100, 100, 6, [5, 0, 0o200000, 0, 0, 0], &[b"sub\0"]);
        assert_eq!(txt(&apply(&mut s, &o), "fd.name"), "/srv/keys/sub");
        apply(&mut s, &build(0, 72, 100, 100, 7, [6, 0, 0, 0, 0, 0], &[]));
        let fds = &s.process(100).unwrap().fds;
        assert_ne!(fds[&5].flags & flags::O_CLOEXEC, 0);
        assert_eq!(fds[&7].flags & flags::O_CLOEXEC, 0, "F_DUPFD: no cloexec");
        // openat(7, "id_ed25519", O_RDONLY) = 3
        let o = build(0, 257, 100, 100, 3, [7, 0, 0, 0, 0, 0], &[b"id_ed25519\0"]);
        let e = apply(&mut s, &o);
        assert_eq!(txt(&e, "fd.name"), "/srv/keys/sub/id_ed25519");
        assert_eq!(txt(&e, "fd.directory"), "/srv/keys/sub");
        // fchdir(7) = 0: the cwd is the directory, and a relative open follows it
        apply(&mut s, &build(0, 81, 100, 100, 0, [7, 0, 0, 0, 0, 0], &[]));
        assert_eq!(s.process(100).unwrap().cwd, "/srv/keys/sub");
        let o = build(
            0,
            257,
            100,
            100,
            8,
            [0xffff_ff9c, 0, 0, 0, 0, 0],
            &[b"./id_ed25519\0"],
        );
        let e = apply(&mut s, &o);
        assert_eq!(txt(&e, "fd.name"), "/srv/keys/sub/id_ed25519");
        assert_eq!(txt(&e, "proc.cwd"), "/srv/keys/sub");
        // a failed fcntl adds nothing; a dup of an unknown fd drops a stale entry
        apply(
            &mut s,
            &build(0, 72, 100, 100, -9, [40, 0, 0, 0, 0, 0], &[]),
        );
        assert!(!s.process(100).unwrap().fds.contains_key(&-9));
        apply(&mut s, &build(0, 72, 100, 100, 3, [40, 0, 0, 0, 0, 0], &[]));
        assert!(!s.process(100).unwrap().fds.contains_key(&3));
    }

    /// quell's own fds are not kept by records: a child it forks gets the
    /// table `/proc` shows at the fork, not the one seeded at start-up.
    #[test]
    fn a_child_of_the_unwatched_process_gets_its_current_fds() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("100/fd")).unwrap();
        std::fs::create_dir_all(root.join("100/fdinfo")).unwrap();
        std::os::unix::fs::symlink("/dev/null", root.join("100/fd/0")).unwrap();
        std::fs::write(root.join("100/fdinfo/0"), "pos:\t0\nflags:\t0100002\n").unwrap();
        let mut s = state();
        s.proc_root = Some(root);
        // seeded long ago: fds quell has closed since
        let stale = |n: &str| FdInfo {
            kind: FdKind::Other,
            name: n.into(),
            ..FdInfo::default()
        };
        let mut me = s.process(100).unwrap().clone();
        me.fds.insert(4, stale("anon_inode:bpf-map"));
        me.fds.insert(5, stale("anon_inode:bpf-prog"));
        s.insert(me.clone());
        s.set_unwatched(100);
        let f = build(
            2,
            0,
            100,
            100,
            200,
            [200, 0, 0, 0, 0, 0],
            &[&qproc(100, "bash")],
        );
        apply(&mut s, &f);
        let c = s.process(200).unwrap();
        assert!(
            !c.fds.contains_key(&4) && !c.fds.contains_key(&5),
            "{:?}",
            c.fds
        );
        assert_eq!(c.fds[&0].name, "/dev/null");
        assert_eq!(c.fds[&0].flags, 0o100002);
        // any other parent passes its table on as it is
        s.insert(Process { pid: 300, ..me });
        let f = build(
            2,
            0,
            300,
            300,
            301,
            [301, 0, 0, 0, 0, 0],
            &[&qproc(300, "bash")],
        );
        apply(&mut s, &f);
        assert!(s.process(301).unwrap().fds.contains_key(&4));
    }

    #[test]
    fn fork_exec_open_with_ancestry_and_paths() {
        let mut s = state();
        // bash (100) forks 200
        let f = build(
            2,
            0,
            100,
            100,
            200,
            [200, 0, 0, 0, 0, 0],
            &[&qproc(100, "bash")],
        );
        let e = apply(&mut s, &f);
        assert_eq!(txt(&e, "evt.type"), "clone");
        // 200 execs cat
        let x = build(
            1,
            59,
            200,
            200,
            0,
            [200, 0, 0, 0, 0, 0],
            &[
                b"/bin/cat\0",
                b"cat\0notes.txt\0",
                &qproc(100, "cat"),
                b"cat\0",
            ],
        );
        let e = apply(&mut s, &x);
        assert_eq!(txt(&e, "evt.type"), "execve");
        assert_eq!(txt(&e, "proc.name"), "cat");
        assert_eq!(txt(&e, "proc.cmdline"), "cat notes.txt");
        assert_eq!(txt(&e, "proc.pname"), "bash");
        assert_eq!(txt(&e, "proc.aname[2]"), "init");
        assert_eq!(txt(&e, "proc.apid[1]"), "100");
        assert_eq!(
            txt(&e, "proc.cwd"),
            "/home/alice",
            "cwd inherited from the parent"
        );
        assert_eq!(txt(&e, "proc.exepath"), "/bin/cat");
        assert_eq!(txt(&e, "container.id"), "host");
        // openat(AT_FDCWD, "../alice/./notes.txt", O_RDONLY|O_CLOEXEC) = 3
        let o = build(
            0,
            257,
            200,
            200,
            3,
            [0xffff_ff9c, 0, 0o2000000, 0, 0, 0],
            &[b"../alice/./notes.txt\0"],
        );
        let e = apply(&mut s, &o);
        assert_eq!(txt(&e, "fd.name"), "/home/alice/notes.txt");
        assert_eq!(txt(&e, "fd.nameraw"), "../alice/./notes.txt");
        assert_eq!(txt(&e, "fd.directory"), "/home/alice");
        assert_eq!(txt(&e, "fd.filename"), "notes.txt");
        assert_eq!(txt(&e, "fd.typechar"), "f");
        assert_eq!(txt(&e, "evt.arg.flags"), "O_RDONLY|O_CLOEXEC");
        assert_eq!(e.get("evt.is_open_read"), Some(&Value::Bool(true)));
        assert_eq!(e.get("evt.is_open_write"), Some(&Value::Bool(false)));
        assert_eq!(txt(&e, "user.name"), "root");
        assert_eq!(txt(&e, "user.loginuid"), "-1");
        // openat relative to that fd as dirfd is a file, but directory fds work:
        let d = build(
            0,
            257,
            200,
            200,
            4,
            [0xffff_ff9c, 0, 0o200000, 0, 0, 0],
            &[b"/etc\0"],
        );
        apply(&mut s, &d);
        let o2 = build(
            0,
            257,
            200,
            200,
            5,
            [4, 0, 0o1101, 0o644, 0, 0],
            &[b"shadow\0"],
        );
        let e = apply(&mut s, &o2);
        assert_eq!(txt(&e, "fd.name"), "/etc/shadow");
        assert_eq!(txt(&e, "evt.arg.flags"), "O_TRUNC|O_CREAT|O_WRONLY");
        assert_eq!(e.get("evt.is_open_write"), Some(&Value::Bool(true)));
        // exec closes O_CLOEXEC fds only
        let x2 = build(
            1,
            59,
            200,
            200,
            0,
            [200, 0, 0, 0, 0, 0],
            &[b"/bin/true\0", b"true\0", &qproc(100, "true"), b"true\0"],
        );
        apply(&mut s, &x2);
        let fds = &s.process(200).unwrap().fds;
        assert!(!fds.contains_key(&3) && fds.contains_key(&5));
    }

    #[test]
    fn unlinkat_chdir_and_failed_open() {
        let mut s = state();
        let c = build(0, 80, 100, 100, 0, [0; 6], &[b"/var/log\0"]);
        apply(&mut s, &c);
        assert_eq!(s.process(100).unwrap().cwd, "/var/log");
        let u = build(
            0,
            263,
            100,
            100,
            0,
            [0xffff_ff9c, 0, 0, 0, 0, 0],
            &[b"dpkg.log\0"],
        );
        let e = apply(&mut s, &u);
        assert_eq!(txt(&e, "evt.type"), "unlinkat");
        assert_eq!(txt(&e, "evt.arg.name"), "dpkg.log");
        assert_eq!(txt(&e, "fs.path.name"), "/var/log/dpkg.log");
        assert_eq!(txt(&e, "evt.res"), "SUCCESS");
        let o = build(0, 2, 100, 100, -2, [0, 0, 0, 0, 0, 0], &[b"/nope\0"]);
        let e = apply(&mut s, &o);
        assert_eq!(txt(&e, "evt.res"), "ENOENT");
        assert_eq!(txt(&e, "fd.num"), "-2");
        assert_eq!(e.get("evt.failed"), Some(&Value::Bool(true)));
        assert!(!s.process(100).unwrap().fds.contains_key(&-2));
    }

    #[test]
    fn connect_accept_and_dup() {
        let mut s = state();
        // socket(AF_INET, SOCK_STREAM, 0) = 3
        apply(&mut s, &build(0, 41, 100, 100, 3, [2, 1, 0, 0, 0, 0], &[]));
        let mut sa = vec![2u8, 0, 0x1f, 0x90, 127, 0, 0, 1];
        sa.extend_from_slice(&[0; 8]);
        let mut tu = vec![0u8; wire::TUPLE_LEN];
        tu[0] = 2;
        tu[2] = 1;
        tu[4] = 6;
        tu[6..8].copy_from_slice(&45000u16.to_le_bytes());
        tu[8..10].copy_from_slice(&8080u16.to_le_bytes());
        tu[12..16].copy_from_slice(&[127, 0, 0, 1]);
        tu[28..32].copy_from_slice(&[127, 0, 0, 1]);
        let e = apply(
            &mut s,
            &build(0, 42, 100, 100, 0, [3, 0, 16, 0, 0, 0], &[&sa, &tu]),
        );
        assert_eq!(txt(&e, "fd.name"), "127.0.0.1:45000->127.0.0.1:8080");
        assert_eq!(txt(&e, "fd.sport"), "8080");
        assert_eq!(txt(&e, "fd.cport"), "45000");
        assert_eq!(txt(&e, "fd.l4proto"), "tcp");
        assert_eq!(txt(&e, "fd.typechar"), "4");
        assert_eq!(e.get("fd.connected"), Some(&Value::Bool(true)));
        assert_eq!(
            e.get("fd.sip"),
            Some(&Value::Ip("127.0.0.1".parse().unwrap()))
        );
        // dup2(3, 1)
        let e = apply(&mut s, &build(0, 33, 100, 100, 1, [3, 1, 0, 0, 0, 0], &[]));
        assert_eq!(txt(&e, "fd.type"), "ipv4");
        assert_eq!(
            s.process(100).unwrap().fds.get(&1).unwrap().name,
            "127.0.0.1:45000->127.0.0.1:8080"
        );
        // accept on the server: tuple local=server
        let mut tu2 = tu.clone();
        tu2[6..8].copy_from_slice(&8080u16.to_le_bytes());
        tu2[8..10].copy_from_slice(&45000u16.to_le_bytes());
        let e = apply(
            &mut s,
            &build(0, 43, 100, 100, 7, [5, 0, 0, 0, 0, 0], &[&[], &tu2]),
        );
        assert_eq!(txt(&e, "fd.name"), "127.0.0.1:45000->127.0.0.1:8080");
        assert_eq!(txt(&e, "fd.sport"), "8080");
        assert_eq!(txt(&e, "fd.num"), "7");
    }

    #[test]
    fn ptrace_symlink_memfd_exit() {
        let mut s = state();
        let e = apply(
            &mut s,
            &build(0, 101, 100, 100, 0, [16, 4242, 0, 0, 0, 0], &[]),
        );
        assert_eq!(txt(&e, "evt.arg.request"), "PTRACE_ATTACH");
        assert_eq!(txt(&e, "evt.arg.pid"), "4242");
        let e = apply(
            &mut s,
            &build(
                0,
                266,
                100,
                100,
                0,
                [0, 0xffff_ff9c, 0, 0, 0, 0],
                &[b"/etc\0", b"link\0"],
            ),
        );
        assert_eq!(txt(&e, "evt.arg.target"), "/etc");
        assert_eq!(txt(&e, "evt.arg.linkpath"), "link");
        assert_eq!(txt(&e, "fs.path.target"), "/home/alice/link");
        let e = apply(
            &mut s,
            &build(0, 319, 100, 100, 3, [0, 1, 0, 0, 0, 0], &[b"prog\0"]),
        );
        assert_eq!(txt(&e, "fd.name"), "memfd:prog");
        assert_eq!(txt(&e, "evt.arg.flags"), "MFD_CLOEXEC");
        let x = build(
            1,
            59,
            100,
            100,
            0,
            [100, 0, 0, 0, 0, 0],
            &[
                b"/proc/self/fd/3\0",
                b"prog\0",
                &qproc(1, "3"),
                b"memfd:prog (deleted)\0",
            ],
        );
        let e = apply(&mut s, &x);
        assert_eq!(e.get("proc.is_exe_from_memfd"), Some(&Value::Bool(true)));
        assert_eq!(txt(&e, "proc.exepath"), "memfd:prog (deleted)");
        let e = apply(&mut s, &build(3, 0, 100, 100, 256, [1, 0, 0, 0, 0, 0], &[]));
        assert_eq!(txt(&e, "evt.type"), "procexit");
        assert_eq!(txt(&e, "evt.arg.ret"), "1");
        assert!(s.process(100).unwrap().dead_at.is_some());
    }

    /// `evt.args` (outputs printed `<NA>`): the record's arguments in order.
    #[test]
    fn evt_args_lists_the_arguments() {
        let mut s = state();
        let o = build(
            0,
            257,
            100,
            100,
            3,
            [0xffff_ff9c, 0, 0o1101, 0o644, 0, 0],
            &[b"x.log\0"],
        );
        let r = parse(&o).unwrap();
        let v = s.apply_live(&r).unwrap();
        let want = "fd=3 dirfd=-100 name=x.log flags=O_TRUNC|O_CREAT|O_WRONLY mode=0644";
        assert_eq!(
            v.get("evt.args").map(|x| x.to_string()).as_deref(),
            Some(want)
        );
        let f = v.to_flat();
        assert_eq!(txt(&f, "evt.args"), want);
    }

    #[test]
    fn close_drops_the_fd_and_reuse_gets_no_stale_name() {
        let mut s = state();
        // openat(AT_FDCWD, "/etc/shadow") = 3
        let o = build(
            0,
            257,
            100,
            100,
            3,
            [0xffff_ff9c, 0, 0, 0, 0, 0],
            &[b"/etc/shadow\0"],
        );
        apply(&mut s, &o);
        assert_eq!(s.process(100).unwrap().fds[&3].name, "/etc/shadow");
        // close(3) = 0: an event naming the file it closed, then the entry is gone
        let e = apply(&mut s, &build(0, 3, 100, 100, 0, [3, 0, 0, 0, 0, 0], &[]));
        assert_eq!(txt(&e, "evt.type"), "close");
        assert_eq!(txt(&e, "evt.arg.fd"), "3");
        assert_eq!(txt(&e, "fd.name"), "/etc/shadow");
        assert!(!s.process(100).unwrap().fds.contains_key(&3));
        // a failed close changes nothing
        apply(&mut s, &o);
        apply(&mut s, &build(0, 3, 100, 100, -9, [3, 0, 0, 0, 0, 0], &[]));
        assert!(s.process(100).unwrap().fds.contains_key(&3));
        // quiet mode: no event, the entry still goes
        s.set_deliver_close(false);
        let r = build(0, 3, 100, 100, 0, [3, 0, 0, 0, 0, 0], &[]);
        assert!(s.apply(&parse(&r).unwrap()).is_none());
        assert!(!s.process(100).unwrap().fds.contains_key(&3));
        // an fd the table does not know (eventfd, ...) reused by dup: dup(3) = 4
        // where 4 was a stale file entry
        apply(
            &mut s,
            &build(
                0,
                257,
                100,
                100,
                4,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/etc/passwd\0"],
            ),
        );
        let e = apply(&mut s, &build(0, 32, 100, 100, 4, [3, 0, 0, 0, 0, 0], &[]));
        assert_eq!(txt(&e, "fd.name"), "<NA>");
        assert!(!s.process(100).unwrap().fds.contains_key(&4));
    }

    #[test]
    fn pipe_replaces_the_entry_and_close_range() {
        let mut s = state();
        apply(
            &mut s,
            &build(
                0,
                257,
                100,
                100,
                3,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/etc/shadow\0"],
            ),
        );
        // pipe2(fds, O_CLOEXEC) = 0 -> fds 3, 5 (3 reused without a close seen)
        let e = apply(
            &mut s,
            &build(
                0,
                293,
                100,
                100,
                0,
                [0x7fff_0000, 0o2000000, 0, 4242, 3, 5],
                &[],
            ),
        );
        assert_eq!(txt(&e, "evt.type"), "pipe2");
        assert_eq!(txt(&e, "fd.name"), "pipe:[4242]");
        assert_eq!(txt(&e, "fd.typechar"), "p");
        let p = s.process(100).unwrap();
        assert_eq!(p.fds[&3].name, "pipe:[4242]");
        assert_eq!(p.fds[&5].kind, FdKind::Pipe);
        assert_ne!(p.fds[&3].flags & flags::O_CLOEXEC, 0);
        // a failed pipe touches nothing
        apply(
            &mut s,
            &build(0, 22, 100, 100, -24, [0x7fff_0000, 0, 0, 0, 7, 8], &[]),
        );
        assert!(!s.process(100).unwrap().fds.contains_key(&7));
        // socketpair(AF_UNIX, SOCK_STREAM, 0, sv) = 0 -> 6, 7
        let e = apply(&mut s, &build(0, 53, 100, 100, 0, [1, 1, 0, 0, 6, 7], &[]));
        assert_eq!(txt(&e, "fd.typechar"), "u");
        // close_range(5, 6, CLOSE_RANGE_CLOEXEC) marks, close_range(4, ~0, 0) closes
        apply(&mut s, &build(0, 436, 100, 100, 0, [5, 6, 4, 0, 0, 0], &[]));
        let p = s.process(100).unwrap();
        assert_ne!(p.fds[&6].flags & flags::O_CLOEXEC, 0);
        assert!(p.fds.contains_key(&5));
        let e = apply(
            &mut s,
            &build(0, 436, 100, 100, 0, [4, u32::MAX as u64, 0, 0, 0, 0], &[]),
        );
        assert_eq!(txt(&e, "evt.type"), "close_range");
        let p = s.process(100).unwrap();
        assert!(p.fds.contains_key(&3));
        assert!(!p.fds.contains_key(&5) && !p.fds.contains_key(&6) && !p.fds.contains_key(&7));
    }

    #[test]
    fn execveat_upper_layer_and_exe_times() {
        let mut s = state();
        let mut q = qproc(1, "evil");
        q[36..40].copy_from_slice(&(wire::QP_UPPER_KNOWN | wire::QP_UPPER).to_le_bytes());
        q.resize(wire::PROC_EXT_LEN, 0);
        q[96..104].copy_from_slice(&500u64.to_le_bytes());
        q[104..112].copy_from_slice(&400u64.to_le_bytes());
        let x = build(
            1,
            322,
            100,
            100,
            0,
            [100, 0, 0, 0, 0, 0],
            &[b"/tmp/evil\0", b"evil\0", &q, b"evil\0"],
        );
        let e = apply(&mut s, &x);
        assert_eq!(txt(&e, "evt.type"), "execveat");
        assert_eq!(e.get("proc.is_exe_upper_layer"), Some(&Value::Bool(true)));
        assert_eq!(txt(&e, "proc.exe_ino.ctime"), "500");
        assert_eq!(txt(&e, "proc.exe_ino.mtime"), "400");
        // the record time is 1000 ns after boot, offset 0: the process is new
        assert_eq!(txt(&e, "proc.duration"), "0");
        assert_eq!(txt(&e, "proc.exe_ino.ctime_duration_proc_start"), "500");
        // known and false; then unknown (an old record without flags): missing, not false
        let mut q2 = qproc(1, "true");
        q2[36..40].copy_from_slice(&wire::QP_UPPER_KNOWN.to_le_bytes());
        let x = build(
            1,
            59,
            100,
            100,
            0,
            [100, 0, 0, 0, 0, 0],
            &[b"/bin/true\0", b"true\0", &q2, b"true\0"],
        );
        let e = apply(&mut s, &x);
        assert_eq!(txt(&e, "evt.type"), "execve");
        assert_eq!(e.get("proc.is_exe_upper_layer"), Some(&Value::Bool(false)));
        assert_eq!(e.get("proc.exe_ino.ctime"), None);
        let x = build(
            1,
            59,
            100,
            100,
            0,
            [100, 0, 0, 0, 0, 0],
            &[b"/bin/true\0", b"true\0", &qproc(1, "true"), b"true\0"],
        );
        let e = apply(&mut s, &x);
        assert_eq!(e.get("proc.is_exe_upper_layer"), None);
    }

    #[test]
    fn events_round_trip_through_json() {
        let mut s = state();
        let mut evs = vec![];
        evs.push(apply(
            &mut s,
            &build(
                0,
                257,
                100,
                100,
                3,
                [0xffff_ff9c, 0, 0o1101, 0o644, 0, 0],
                &[b"x.log\0"],
            ),
        ));
        evs.push(apply(
            &mut s,
            &build(0, 41, 100, 100, 4, [2, 2, 17, 0, 0, 0], &[]),
        ));
        evs.push(apply(
            &mut s,
            &build(0, 101, 100, 100, -1, [0, 0, 0, 0, 0, 0], &[]),
        ));
        evs.push(apply(
            &mut s,
            &build(3, 0, 100, 100, 0, [1, 0, 0, 0, 0, 0], &[]),
        ));
        for e in evs {
            let line = e.to_json_line();
            let back = FlatEvent::from_json_line(&line).unwrap();
            assert_eq!(back, e, "{line}");
        }
    }

    #[test]
    fn path_helpers() {
        assert_eq!(normalize("/etc/../etc/./shadow"), "/etc/shadow");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(resolve("/a/b", "../c"), "/a/c");
        assert_eq!(resolve("", "rel"), "rel");
        assert_eq!(dirname("/x"), "/");
        assert_eq!(basename("/a/b.c"), "b.c");
        let mi = "30 23 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n31 23 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assert_eq!(
            find_cgroup2_mount(mi).as_deref(),
            Some("/sys/fs/cgroup/unified")
        );
        assert_eq!(find_cgroup2_mount("garbage"), None);
    }

    /// Every field a rule can name, read through the live view, equals the
    /// same field read from the complete event.
    fn assert_view_matches(s: &mut State, rec: &[u8]) {
        let Ok(r) = parse(rec) else { return };
        let Some(view) = s.apply_live(&r) else {
            return;
        };
        let flat = view.to_flat();
        assert_eq!(view.evt_type(), flat.evt_type());
        assert_eq!(view.timestamp_ns(), flat.timestamp_ns());
        let mut names: Vec<String> = flat.iter().map(|(k, _)| k.to_string()).collect();
        for d in registry().descriptors() {
            names.push(d.name.to_string());
        }
        for a in [
            "proc.aname",
            "proc.apid",
            "proc.aexe",
            "proc.aexepath",
            "proc.acmdline",
        ] {
            for l in 0..=18 {
                names.push(format!("{a}[{l}]"));
            }
            names.push(format!("{a}[03]"));
        }
        for (k, v) in flat.iter() {
            assert_eq!(view.get(k).as_ref(), Some(v), "get({k})");
        }
        for n in names {
            let Ok(f) = registry().resolve_text(&n) else {
                continue;
            };
            assert_eq!(view.field(&f), flat.field(&f), "field {n}");
        }
    }

    #[test]
    fn live_view_reads_like_the_flat_event() {
        let mut s = state();
        s.insert(Process {
            pid: 300,
            ppid: 100,
            sid: 100,
            comm: "runc".into(),
            uid: 1000,
            gid: 1000,
            exe_ino: 5,
            cap_effective: 0x3,
            container: Some(ContainerRef {
                id: "3ad7b26ded6d".into(),
                full_id: "3ad7b26ded6d".repeat(5),
                runtime: "docker",
            }),
            ..Process::default()
        });
        let q = qproc(100, "sh");
        let recs = [
            build(2, 0, 100, 100, 200, [200, 0, 0, 0, 0, 0], &[&q]),
            build(
                1,
                59,
                200,
                200,
                0,
                [200, 0, 0, 0, 0, 0],
                &[b"/bin/sh\0", b"sh\0-c\0id\0", &q],
            ),
            build(
                0,
                257,
                200,
                200,
                3,
                [0xffff_ff9c, 0, 0o1101, 0o644, 0, 0],
                &[b"x.log\0"],
            ),
            build(
                0,
                257,
                300,
                300,
                -13,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/etc/shadow\0"],
            ),
            build(0, 41, 300, 300, 4, [2, 1, 6, 0, 0, 0], &[]),
            build(0, 101, 100, 100, 0, [16, 300, 0, 0, 0, 0], &[]),
            build(0, 117, 100, 100, 0, [1, 2, 3, 0, 0, 0], &[]),
            build(
                0,
                257,
                999,
                999,
                3,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/tmp/y\0"],
            ),
            build(3, 0, 200, 200, 256, [1, 0, 0, 0, 0, 0], &[]),
        ];
        for r in &recs {
            assert_view_matches(&mut s, r);
        }
        // the parent-missing quirk and a container process are covered
        let r = parse(&recs[3]).unwrap();
        let v = s.apply_live(&r).unwrap();
        assert_eq!(
            v.get("container.type"),
            Some(Value::Str(Cow::Borrowed("docker")))
        );
        assert_eq!(
            v.get("proc.aname[2]"),
            Some(Value::Str(Cow::Borrowed("init")))
        );
        assert_eq!(v.get("proc.aname[3]"), None);
        // the record's uid (0) replaced the seeded one
        assert_eq!(v.get("user.name"), Some(Value::Str(Cow::Borrowed("root"))));
        assert_eq!(v.get("user.loginuid"), Some(Value::Int(0)));
    }

    /// Events of every record kind and syscall quell decodes, from a process
    /// in a described container: what `quell run` can produce.
    pub(crate) fn corpus_fields() -> std::collections::BTreeSet<String> {
        use quell_rules::field::ArgKind;
        let dir = tempfile::tempdir().unwrap();
        let full = "3ad7b26ded6d".repeat(5) + "abcd";
        let d = dir.path().join("var/lib/docker/containers").join(&full);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("config.v2.json"),
            r#"{"Name":"/web","Config":{"Image":"nginx:1.25","Labels":{"io.kubernetes.pod.name":"p","io.kubernetes.pod.namespace":"n","io.kubernetes.pod.uid":"u"}},"HostConfig":{"Privileged":true}}"#,
        )
        .unwrap();
        let mut s = state().with_metadata(MetadataProvider::with_root(dir.path()));
        s.insert(Process {
            pid: 300,
            ppid: 100,
            sid: 100,
            comm: "sh".into(),
            loginuid: 1000,
            exe_ino: 5,
            exe_ctime: 1,
            exe_mtime: 1,
            start_ns: 1,
            container: crate::container::match_cgroup(&format!("/docker/{full}")),
            ..Process::default()
        });
        let mut tu = vec![0u8; wire::TUPLE_LEN];
        tu[0] = 2;
        tu[2] = 1;
        tu[4] = 6;
        tu[6..8].copy_from_slice(&45000u16.to_le_bytes());
        tu[8..10].copy_from_slice(&8080u16.to_le_bytes());
        tu[12..16].copy_from_slice(&[127, 0, 0, 1]);
        tu[28..32].copy_from_slice(&[127, 0, 0, 1]);
        let sa = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut q = qproc(100, "sh");
        q[36..40].copy_from_slice(&wire::QP_UPPER_KNOWN.to_le_bytes());
        q.resize(wire::PROC_EXT_LEN, 0);
        q[96..104].copy_from_slice(&500u64.to_le_bytes());
        let mut recs = vec![
            build(2, 0, 300, 300, 301, [301, 0, 0, 0, 0, 0], &[&q]),
            build(
                1,
                59,
                300,
                300,
                0,
                [300, 0, 0, 0, 0, 0],
                &[b"/bin/sh\0", b"sh\0-c\0id\0", &q, b"sh\0"],
            ),
            build(0, 41, 300, 300, 4, [2, 1, 6, 0, 0, 0], &[]),
            build(0, 42, 300, 300, 0, [4, 0, 16, 0, 0, 0], &[&sa, &tu]),
            build(3, 0, 300, 300, 0, [0; 6], &[]),
        ];
        for (nr, _) in syscalls::SYSCALLS {
            let blobs: [&[u8]; 2] = [b"/etc/x/../shadow\0", b"/tmp/y\0"];
            for fd in [4u64, 0xffff_ff9c] {
                recs.push(build(
                    0,
                    *nr,
                    300,
                    300,
                    5,
                    [fd, 0o1101, fd, 0o755, 7, 8],
                    &blobs,
                ));
            }
            recs.push(build(0, *nr, 300, 300, -2, [4, 0, 0, 0, 0, 0], &blobs));
        }
        // filter-only fields (fd.net, fd.port, ...) exist only in conditions:
        // read them through a rule each
        let mut engine = quell_rules::engine::Engine::new();
        let mut yaml = String::new();
        for d in registry().descriptors().iter().filter(|d| d.filter_only) {
            yaml.push_str(&format!(
                "- rule: {n}\n  desc: d\n  condition: evt.type = connect and {n} exists\n  output: o\n  priority: INFO\n",
                n = d.name
            ));
        }
        engine.load("filter-only.yaml", &yaml);
        let mut out = std::collections::BTreeSet::new();
        for rec in &recs {
            let r = parse(rec).unwrap();
            let Some(view) = s.apply_live(&r) else {
                continue;
            };
            let flat = view.to_flat();
            for r in engine.rules() {
                if engine.matches(r, &view) {
                    out.insert(r.name.clone());
                }
            }
            for d in registry().descriptors() {
                let produced = match d.arg {
                    ArgKind::DottedName | ArgKind::Key => flat.iter().any(|(k, _)| {
                        k.strip_prefix(d.name)
                            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
                    }),
                    ArgKind::Index => registry()
                        .resolve(d.name, Some("1"))
                        .is_ok_and(|f| view.field(&f).is_some()),
                    _ => registry()
                        .resolve(d.name, None)
                        .is_ok_and(|f| view.field(&f).is_some()),
                };
                if produced {
                    out.insert(d.name.to_string());
                }
            }
        }
        out
    }

    /// The registry's list of fields not available live and what `quell
    /// run` produces are complementary: a field is produced by some event of
    /// every record kind and syscall quell decodes, or marked with why not.
    #[test]
    fn every_registry_field_is_produced_live_or_marked_unavailable() {
        let produced = corpus_fields();
        let mut wrong = vec![];
        for d in registry().descriptors() {
            let marked = quell_rules::fields_table::not_live_reason(d.name);
            match (produced.contains(d.name), marked) {
                (true, Some(why)) => {
                    wrong.push(format!("{} is produced but marked `{why}`", d.name))
                }
                (false, None) => wrong.push(format!("{} is neither produced nor marked", d.name)),
                _ => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    proptest::proptest! {
        #[test]
        fn live_view_matches_on_random_records(
            recs in proptest::collection::vec((0u16..4,
                proptest::sample::select(syscalls::SYSCALLS.iter().map(|x| x.0).collect::<Vec<_>>()),
                proptest::sample::select(vec![1u32, 100, 200, 4242]),
                -20i64..10, proptest::array::uniform6(proptest::sample::select(vec![0u64, 1, 3, 100, 200, 0xffff_ff9c, 0o1101])),
                proptest::sample::select(vec![&b"/etc/passwd\0"[..], b"rel/../x\0", b"", b"\0"])), 1..8)
        ) {
            let mut s = state();
            let q = qproc(100, "child");
            for (kind, sysno, tg, res, a, path) in recs {
                let blobs: [&[u8]; 3] = if kind == 2 { [&q, &[], &[]] } else { [path, path, &q] };
                let rec = build(kind, sysno, tg, tg, res, a, &blobs);
                assert_view_matches(&mut s, &rec);
            }
        }

        #[test]
        fn apply_never_panics(kind in 0u16..4, sysno in proptest::sample::select(syscalls::SYSCALLS.iter().map(|x| x.0).collect::<Vec<_>>()),
                               res in proptest::num::i64::ANY, a in proptest::array::uniform6(proptest::num::u64::ANY),
                               b0 in proptest::collection::vec(proptest::num::u8::ANY, 0..100),
                               b1 in proptest::collection::vec(proptest::num::u8::ANY, 0..100)) {
            let mut s = state();
            let rec = build(kind, sysno, 100, 100, res, a, &[&b0, &b1, &b0, &b1]);
            if let Ok(r) = parse(&rec) {
                let _ = s.apply(&r);
            }
        }
    }
}
