//! Flat events from a capture: the capture's tables plus its clone/execve/open/... events
//! kept in a process and fd table, each syscall exit turned into a [`FlatEvent`] with Falco
//! field names (the keys of `../shared/corpus/events`, made by sysdig from the same files).
//!
//! **Minimal state of its own.** quell's one process/fd state engine is
//! `quell_capture::state`; it applies typed records now, but per process, with credentials
//! and a cgroup id on every record and live field semantics. Until captures are moved onto
//! it (see the crate README), this module keeps the smallest table that gives the flat fields of
//! the event types in [`crate::schema`]: threads (from the process list, clone/fork/vfork,
//! execve, procexit, setuid/setgid, chdir) and per-process fds (from the fd list, open*,
//! creat, socket, connect, accept, bind, pipe, dup*, memfd_create, close). It reuses
//! quell-capture's container matcher, errno names and path resolution. What it leaves out
//! is listed in the crate README ("Stated exceptions").
//!
//! Enter and exit events are paired as libsinsp pairs them: the last enter event of each
//! thread is kept, and an exit event whose type is that enter's plus one reads the
//! parameters it lacks from it (old captures carry `fd` or `name` only in the enter event).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use quell_capture::container::{match_cgroup, HOST_ID};
use quell_capture::flags::{chmod_mode, mode as mode_text, res_text};
use quell_capture::state::resolve;
use quell_events::FlatEvent;
use quell_rules::fields_table::registry;
use quell_rules::{FieldType, Value};

use crate::event::{dec_int, dec_sockaddr, dec_tuple, dec_uint, Event, SockAddr, SockTuple};
use crate::schema::{self, Dir};
use crate::tables::{lossy, split_nul, FdTarget, Tables};

/// Every key a flat event from a capture can carry (the fields `quell replay -e` can give a
/// rule). A rule reading any other field sees it missing on every capture event; the
/// differential against sysdig (`crates/quell/tests/differential_scap.rs`) lists such pairs as
/// skipped. `tests/flat.rs` checks that the corpus captures' events carry no other key.
pub const FIELDS: &[&str] = &[
    "container.id",
    "container.name",
    "evt.arg.filename",
    "evt.arg.flags",
    "evt.arg.linkpath",
    "evt.arg.mode",
    "evt.arg.name",
    "evt.arg.newpath",
    "evt.arg.oldpath",
    "evt.arg.path",
    "evt.arg.target",
    "evt.arg.uid",
    "evt.failed",
    "evt.is_open_exec",
    "evt.is_open_read",
    "evt.is_open_write",
    "evt.num",
    "evt.rawres",
    "evt.rawtime",
    "evt.res",
    "evt.type",
    "fd.cip",
    "fd.connected",
    "fd.cport",
    "fd.directory",
    "fd.filename",
    "fd.l4proto",
    "fd.lip",
    "fd.lport",
    "fd.name",
    "fd.name_changed",
    "fd.num",
    "fd.rip",
    "fd.rport",
    "fd.sip",
    "fd.sockfamily",
    "fd.sport",
    "fd.type",
    "fd.typechar",
    "group.gid",
    "group.name",
    "proc.aname[1]",
    "proc.aname[2]",
    "proc.aname[3]",
    "proc.aname[4]",
    "proc.aname[5]",
    "proc.aname[6]",
    "proc.aname[7]",
    "proc.aname[8]",
    "proc.aname[9]",
    "proc.aname[10]",
    "proc.aname[11]",
    "proc.aname[12]",
    "proc.aname[13]",
    "proc.aname[14]",
    "proc.aname[15]",
    "proc.aname[16]",
    "proc.aexe[1]",
    "proc.aexe[2]",
    "proc.aexepath[1]",
    "proc.aexepath[2]",
    "proc.apid[1]",
    "proc.apid[2]",
    "proc.apid[3]",
    "proc.apid[4]",
    "proc.apid[5]",
    "proc.apid[6]",
    "proc.apid[7]",
    "proc.apid[8]",
    "proc.apid[9]",
    "proc.apid[10]",
    "proc.apid[11]",
    "proc.apid[12]",
    "proc.apid[13]",
    "proc.apid[14]",
    "proc.apid[15]",
    "proc.apid[16]",
    "proc.args",
    "proc.cmdline",
    "proc.cwd",
    "proc.exe",
    "proc.exepath",
    "proc.name",
    "proc.pcmdline",
    "proc.pexe",
    "proc.pexepath",
    "proc.pid",
    "proc.pname",
    "proc.ppid",
    "proc.sid",
    "proc.sname",
    "proc.tty",
    "proc.vpid",
    "thread.tid",
    "user.loginname",
    "user.loginuid",
    "user.name",
    "user.uid",
];

/// Counts of what the conversion did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlatStats {
    /// Events numbered (every event but user/group table updates), as `evt.num` counts.
    pub events: u64,
    /// Flat events produced (syscall exits of decoded types).
    pub flat: u64,
    /// Exit events of types quell does not decode, by ppm id: skipped.
    pub skipped: BTreeMap<u16, u64>,
    /// Exit events whose enter event was not the thread's previous event.
    pub unpaired: u64,
}

#[derive(Clone, Debug, Default)]
struct Thread {
    pid: i64,
    ptid: i64,
    sid: Option<i64>,
    vpid: Option<i64>,
    comm: String,
    exe: String,
    exepath: Option<String>,
    args: Vec<String>,
    cwd: String,
    uid: u32,
    gid: u32,
    loginuid: Option<u32>,
    tty: Option<u32>,
    container: Option<String>,
    exited: bool,
}

impl Thread {
    /// A thread first seen in an event: ids unknown, as libsinsp shows them.
    fn unknown(tid: i64) -> Self {
        Thread {
            pid: tid,
            ptid: -1,
            uid: u32::MAX,
            gid: u32::MAX,
            ..Thread::default()
        }
    }

    fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
    Ipv4,
    Ipv6,
    Unix,
    Pipe,
    Other(&'static str, &'static str),
}

#[derive(Clone, Debug)]
struct Fd {
    kind: Kind,
    name: String,
    l4: Option<&'static str>,
    /// Client and server ends.
    client: Option<(IpAddr, u16)>,
    server: Option<(IpAddr, u16)>,
    /// Whether this process is the server side (accepted or bound/listening).
    server_side: bool,
    connected: bool,
    /// Protocol from `socket()`, shown once the socket is connected, accepted or bound.
    l4_pending: Option<&'static str>,
}

impl Fd {
    fn named(kind: Kind, name: String) -> Self {
        Fd {
            kind,
            name,
            l4: None,
            client: None,
            server: None,
            server_side: false,
            connected: false,
            l4_pending: None,
        }
    }
}

fn l4_name(code: u8) -> Option<&'static str> {
    // libscap's l4 protocol codes.
    match code {
        1 => Some("tcp"),
        2 => Some("udp"),
        3 => Some("icmp"),
        4 => Some("raw"),
        _ => None,
    }
}

fn endpoint(ip: IpAddr, port: u16) -> String {
    format!("{ip}:{port}")
}

fn fd_from_table(t: &FdTarget) -> Fd {
    match t {
        FdTarget::Ipv4 { src, dst, l4 } => Fd {
            kind: Kind::Ipv4,
            name: format!(
                "{}->{}",
                endpoint(src.0.into(), src.1),
                endpoint(dst.0.into(), dst.1)
            ),
            l4: l4_name(*l4),
            client: Some((src.0.into(), src.1)),
            server: Some((dst.0.into(), dst.1)),
            server_side: false,
            connected: true,
            l4_pending: None,
        },
        FdTarget::Ipv6 { src, dst, l4 } => Fd {
            kind: Kind::Ipv6,
            name: format!(
                "{}->{}",
                endpoint(src.0.into(), src.1),
                endpoint(dst.0.into(), dst.1)
            ),
            l4: l4_name(*l4),
            client: Some((src.0.into(), src.1)),
            server: Some((dst.0.into(), dst.1)),
            server_side: false,
            connected: true,
            l4_pending: None,
        },
        FdTarget::Ipv4Server { local, l4 } => Fd {
            kind: Kind::Ipv4,
            name: endpoint(local.0.into(), local.1),
            l4: l4_name(*l4),
            client: None,
            server: Some((local.0.into(), local.1)),
            server_side: true,
            connected: false,
            l4_pending: None,
        },
        FdTarget::Ipv6Server { local, l4 } => Fd {
            kind: Kind::Ipv6,
            name: endpoint(local.0.into(), local.1),
            l4: l4_name(*l4),
            client: None,
            server: Some((local.0.into(), local.1)),
            server_side: true,
            connected: false,
            l4_pending: None,
        },
        FdTarget::Unix { source, dest, path } => {
            Fd::named(Kind::Unix, format!("{source:x}->{dest:x} {path}"))
        }
        FdTarget::File { name, .. } => Fd::named(Kind::File, name.clone()),
        FdTarget::Named { code, name } => {
            let kind = match code {
                2 => Kind::Directory,
                7 => Kind::Pipe,
                9 => Kind::Other("event", "e"),
                11 => Kind::Other("signalfd", "s"),
                12 => Kind::Other("eventpoll", "l"),
                13 => Kind::Other("inotify", "i"),
                14 => Kind::Other("timerfd", "t"),
                15 => Kind::Other("netlink", "n"),
                17 => Kind::Other("bpf", "b"),
                18 => Kind::Other("userfaultfd", "u"),
                19 => Kind::Other("io_uring", "r"),
                20 => Kind::Other("memfd", "m"),
                21 => Kind::Other("pidfd", "P"),
                _ => Kind::Other("unknown", "o"),
            };
            Fd::named(kind, name.clone())
        }
        FdTarget::Unknown(_) => Fd::named(Kind::Other("unknown", "o"), String::new()),
    }
}

/// The last enter event of a thread, owned.
#[derive(Clone, Debug, Default)]
struct Enter {
    etype: u16,
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl Enter {
    fn param(&self, name: &str) -> Option<&[u8]> {
        let i = schema::info(self.etype)?
            .params
            .iter()
            .position(|p| *p == name)?;
        let &(s, e) = self.spans.get(i)?;
        self.data.get(s..e).filter(|b| !b.is_empty())
    }
}

/// An exit event with its enter event, parameters looked up in the exit event first.
struct Pair<'e, 'a> {
    ev: &'e Event<'a>,
    enter: Option<&'e Enter>,
}

impl Pair<'_, '_> {
    fn raw(&self, name: &str) -> Option<&[u8]> {
        self.ev
            .param(name)
            .or_else(|| self.enter.and_then(|e| e.param(name)))
    }
    fn int(&self, name: &str) -> Option<i64> {
        self.raw(name).and_then(dec_int)
    }
    fn uint(&self, name: &str) -> Option<u64> {
        self.raw(name).and_then(dec_uint)
    }
    fn text(&self, name: &str) -> Option<String> {
        self.raw(name).map(lossy)
    }
    fn list(&self, name: &str) -> Vec<String> {
        self.raw(name).map(split_nul).unwrap_or_default()
    }
    fn sockaddr(&self, name: &str) -> Option<SockAddr> {
        self.raw(name).and_then(dec_sockaddr)
    }
    fn tuple(&self, name: &str) -> Option<SockTuple> {
        self.raw(name).and_then(dec_tuple)
    }
}

// libscap's PPM_O_* open flags (not the kernel's O_* values).
const O_RDONLY: u64 = 1;
const O_WRONLY: u64 = 2;
const O_CREAT: u64 = 1 << 2;
const O_DIRECTORY: u64 = 1 << 10;
const O_TMPFILE: u64 = 1 << 13;
// libscap's PPM_CL_* clone flags.
const CLONE_THREAD: u64 = 1 << 13;
const CLONE_FLAGS: &[(u64, &str)] = &[
    (1 << 0, "CLONE_FILES"),
    (1 << 1, "CLONE_FS"),
    (1 << 2, "CLONE_IO"),
    (1 << 3, "CLONE_NEWIPC"),
    (1 << 4, "CLONE_NEWNET"),
    (1 << 5, "CLONE_NEWNS"),
    (1 << 6, "CLONE_NEWPID"),
    (1 << 7, "CLONE_NEWUTS"),
    (1 << 8, "CLONE_PARENT"),
    (1 << 9, "CLONE_PARENT_SETTID"),
    (1 << 10, "CLONE_PTRACE"),
    (1 << 11, "CLONE_SIGHAND"),
    (1 << 12, "CLONE_SYSVSEM"),
    (1 << 13, "CLONE_THREAD"),
    (1 << 14, "CLONE_UNTRACED"),
    (1 << 15, "CLONE_VM"),
    (1 << 20, "CLONE_NEWUSER"),
    (1 << 23, "CLONE_CHILD_CLEARTID"),
    (1 << 24, "CLONE_CHILD_SETTID"),
    (1 << 25, "CLONE_SETTLS"),
    (1 << 26, "CLONE_STOPPED"),
    (1 << 27, "CLONE_VFORK"),
    (1 << 28, "CLONE_NEWCGROUP"),
];

fn open_flags_text(f: u64) -> String {
    // Rendered by the live capture's one renderer (libsinsp's order), from Linux values.
    if f == 0 {
        return "O_NONE".to_string();
    }
    let mut t = quell_capture::flags::open_flags(crate::write::linux_open_flags(f));
    if f & (1 << 14) != 0 {
        t.push_str(if t.is_empty() {
            "O_F_CREATED"
        } else {
            "|O_F_CREATED"
        });
    }
    t
}

fn clone_flags_text(f: u64) -> String {
    CLONE_FLAGS
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join("|")
}

/// `AT_FDCWD` as the drivers pass it in a dirfd parameter.
const AT_FDCWD: i64 = -100;
/// Bounds the thread table of a hostile or endless capture: exited threads are dropped
/// first when it is reached (and the kept enter events with them).
const MAX_THREADS: usize = 1 << 18;
/// Bounds one process's fd table: past it, new fd numbers are not remembered.
const MAX_FDS: usize = 1 << 16;
/// Bounds the user, group and container name tables fed by events.
const MAX_NAMES: usize = 1 << 16;
/// An enter event with more parameter bytes than this is not kept for pairing (real ones
/// hold a path or two).
const MAX_ENTER_BYTES: usize = 64 << 10;

/// Turns a capture's items into flat events. Feed it [`Tables`] and events in file order.
#[derive(Debug, Default)]
pub struct Converter {
    threads: HashMap<i64, Thread>,
    fds: HashMap<i64, HashMap<i64, Fd>>,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
    containers: HashMap<String, String>,
    enters: HashMap<i64, Enter>,
    stats: FlatStats,
}

/// What an exit event did to an fd, for the `fd.*` fields.
struct FdUse {
    num: i64,
    fd: Option<Fd>,
    name_changed: bool,
}

impl Converter {
    /// An empty converter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts so far.
    pub fn stats(&self) -> &FlatStats {
        &self.stats
    }

    /// Seeds (or, for a later section, reseeds) the state from a section's tables.
    pub fn tables(&mut self, t: &Tables) {
        self.threads.clear();
        self.fds.clear();
        self.enters.clear();
        self.users = t.users.iter().map(|u| (u.uid, u.name.clone())).collect();
        self.groups = t.groups.iter().map(|g| (g.gid, g.name.clone())).collect();
        for e in &t.threads {
            let th = Thread {
                pid: e.pid,
                ptid: e.ptid,
                sid: e.sid,
                vpid: e.vpid,
                comm: e.comm.clone(),
                exe: e.exe.clone(),
                exepath: e.exepath.clone().filter(|s| !s.is_empty()),
                args: e.args.clone(),
                cwd: e.cwd.clone(),
                uid: e.uid,
                gid: e.gid,
                loginuid: e.loginuid,
                tty: e.tty,
                container: container_of(&e.cgroups),
                exited: false,
            };
            self.threads.insert(e.tid, th);
        }
        for f in &t.fds {
            // fd lists are per process; the tid of a list is its main thread.
            let pid = self.threads.get(&f.tid).map_or(f.tid, |t| t.pid);
            self.fds
                .entry(pid)
                .or_default()
                .insert(f.fd, fd_from_table(&f.target));
        }
    }

    /// Applies one event; returns its flat form when it is a syscall exit quell decodes.
    pub fn event(&mut self, ev: &Event<'_>) -> Option<FlatEvent> {
        let tid = ev.tid as i64;
        if (354..=361).contains(&ev.etype) {
            // User and group table updates are not numbered events.
            self.user_event(ev);
            return None;
        }
        self.stats.events += 1;
        let num = self.stats.events;
        let Some(info) = ev.info() else {
            if ev.etype % 2 == 1 {
                *self.stats.skipped.entry(ev.etype).or_default() += 1;
            }
            return None;
        };
        match info.dir {
            Dir::Enter => {
                let size: usize = (0..ev.nparams())
                    .filter_map(|i| ev.raw(i))
                    .map(<[u8]>::len)
                    .sum();
                if size > MAX_ENTER_BYTES {
                    self.enters.remove(&tid);
                    return None;
                }
                if self.enters.len() >= MAX_THREADS && !self.enters.contains_key(&tid) {
                    self.enters.clear();
                }
                let e = self.enters.entry(tid).or_default();
                e.etype = ev.etype;
                e.data.clear();
                e.spans.clear();
                for i in 0..ev.nparams() {
                    let b = ev.raw(i).unwrap_or_default();
                    let s = e.data.len();
                    e.data.extend_from_slice(b);
                    e.spans.push((s, e.data.len()));
                }
                return None;
            }
            Dir::Meta => {
                self.meta_event(ev, info.name);
                return None;
            }
            Dir::Exit => {}
        }
        let enter = self
            .enters
            .remove(&tid)
            .filter(|e| e.etype.wrapping_add(1) == ev.etype);
        if enter.is_none()
            && schema::info(ev.etype.wrapping_sub(1)).is_some_and(|i| !i.params.is_empty())
        {
            self.stats.unpaired += 1;
        }
        let p = Pair {
            ev,
            enter: enter.as_ref(),
        };
        let mut out = Pairs(Vec::with_capacity(64));
        set_num(&mut out, "evt.num", i128::from(num));
        set_num(&mut out, "evt.rawtime", i128::from(ev.ts));
        out.set_static("evt.type", Value::Str(Cow::Borrowed(info.name)));
        let res = ["res", "fd"]
            .iter()
            .find(|n| info.params.first() == Some(*n))
            .and_then(|n| p.int(n));
        if let Some(r) = res {
            set_num(&mut out, "evt.rawres", i128::from(r));
            set_text(&mut out, "evt.res", res_text(r));
            out.set_static("evt.failed", Value::Bool(r < 0));
        }
        self.thread_mut(tid);
        let mut open = (false, false, false);
        let fd_use = self.apply(tid, info.name, &p, res, &mut out, &mut open);
        out.set_static("evt.is_open_read", Value::Bool(open.0));
        out.set_static("evt.is_open_write", Value::Bool(open.1));
        out.set_static("evt.is_open_exec", Value::Bool(open.2));
        self.proc_fields(tid, &mut out);
        if let Some(u) = fd_use {
            fd_fields(&mut out, &u);
        }
        self.stats.flat += 1;
        Some(FlatEvent::from_pairs(out.0))
    }

    fn user_event(&mut self, ev: &Event<'_>) {
        if self.users.len() >= MAX_NAMES || self.groups.len() >= MAX_NAMES {
            self.users.clear();
            self.groups.clear();
        }
        match ev.etype {
            354 => {
                if let (Some(uid), Some(name)) = (ev.uint("uid"), ev.text("name")) {
                    self.users.insert(uid as u32, name);
                }
            }
            356 => {
                if let Some(uid) = ev.uint("uid") {
                    self.users.remove(&(uid as u32));
                }
            }
            358 => {
                if let (Some(gid), Some(name)) = (ev.uint("gid"), ev.text("name")) {
                    self.groups.insert(gid as u32, name);
                }
            }
            _ => {
                if let Some(gid) = ev.uint("gid") {
                    self.groups.remove(&(gid as u32));
                }
            }
        }
    }

    fn meta_event(&mut self, ev: &Event<'_>, name: &str) {
        match name {
            "procexit" => {
                let tid = ev.tid as i64;
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.exited = true;
                    if t.pid == tid {
                        // The process is gone: its fds with it (the thread stays for
                        // its children's ancestry until the table is full).
                        self.fds.remove(&tid);
                    }
                }
                self.enters.remove(&tid);
            }
            "container" => {
                // Old captures: JSON `{"container": {"id": ..., "name": ...}}`, or id/name
                // parameters.
                if let Some(json) = ev.text("json") {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&json) {
                        let c = v.get("container").unwrap_or(&v);
                        if self.containers.len() >= MAX_NAMES {
                            self.containers.clear();
                        }
                        if let (Some(id), Some(n)) = (
                            c.get("id").and_then(|x| x.as_str()),
                            c.get("name").and_then(|x| x.as_str()),
                        ) {
                            self.containers.insert(id.to_string(), n.to_string());
                        }
                    }
                } else if let (Some(id), Some(n)) = (ev.text("id"), ev.text("name")) {
                    self.containers.insert(id, n);
                }
            }
            _ => {}
        }
    }

    fn thread_mut(&mut self, tid: i64) -> &mut Thread {
        if self.threads.len() >= MAX_THREADS && !self.threads.contains_key(&tid) {
            self.threads.retain(|_, t| !t.exited);
            if self.threads.len() >= MAX_THREADS {
                self.threads.clear();
            }
        }
        self.threads
            .entry(tid)
            .or_insert_with(|| Thread::unknown(tid))
    }

    fn pid_of(&self, tid: i64) -> i64 {
        self.threads.get(&tid).map_or(tid, |t| t.pid)
    }

    fn fd_get(&self, tid: i64, fd: i64) -> Option<&Fd> {
        self.fds.get(&self.pid_of(tid))?.get(&fd)
    }

    fn fd_put(&mut self, tid: i64, fd: i64, f: Fd) -> bool {
        let pid = self.pid_of(tid);
        if self.fds.len() >= MAX_THREADS && !self.fds.contains_key(&pid) {
            self.fds.clear();
        }
        let table = self.fds.entry(pid).or_default();
        if table.len() >= MAX_FDS && !table.contains_key(&fd) {
            return false;
        }
        let changed = table.get(&fd).is_none_or(|old| old.name != f.name);
        table.insert(fd, f);
        changed
    }

    /// Base directory for a path relative to `dirfd`.
    fn base(&self, tid: i64, dirfd: Option<i64>) -> String {
        match dirfd {
            Some(d) if d != AT_FDCWD => self
                .fd_get(tid, d)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            _ => self
                .threads
                .get(&tid)
                .map(|t| t.cwd.clone())
                .unwrap_or_default(),
        }
    }

    /// State changes and `evt.arg.*` fields of one exit event.
    fn apply(
        &mut self,
        tid: i64,
        name: &str,
        p: &Pair<'_, '_>,
        res: Option<i64>,
        out: &mut Pairs,
        open: &mut (bool, bool, bool),
    ) -> Option<FdUse> {
        let ok = res.is_some_and(|r| r >= 0);
        const PATH_ARGS: [(&str, &str); 7] = [
            ("path", "evt.arg.path"),
            ("oldpath", "evt.arg.oldpath"),
            ("newpath", "evt.arg.newpath"),
            ("target", "evt.arg.target"),
            ("linkpath", "evt.arg.linkpath"),
            ("filename", "evt.arg.filename"),
            ("name", "evt.arg.name"),
        ];
        for (param, key) in PATH_ARGS {
            if let Some(v) = p.text(param) {
                set_text(out, key, v);
            }
        }
        match name {
            "clone" | "fork" | "vfork" | "clone3" => {
                let flags = p.uint("flags").unwrap_or(0);
                set_text(out, "evt.arg.flags", clone_flags_text(flags));
                if let Some(uid) = p.uint("uid") {
                    set_text(out, "evt.arg.uid", uid.to_string());
                }
                self.on_clone(tid, p, res.unwrap_or(-1), flags);
                None
            }
            "execve" | "execveat" => {
                if ok {
                    self.on_execve(tid, p);
                }
                None
            }
            "open" | "openat" | "openat2" | "creat" => {
                let flags = if name == "creat" {
                    O_CREAT | O_WRONLY
                } else {
                    p.uint("flags").unwrap_or(0)
                };
                let mode = p.uint("mode").unwrap_or(0);
                if name != "creat" {
                    set_text(out, "evt.arg.flags", open_flags_text(flags));
                }
                set_text(out, "evt.arg.mode", mode_text(mode));
                *open = (
                    flags & O_RDONLY != 0,
                    flags & O_WRONLY != 0,
                    flags & (O_CREAT | O_TMPFILE) != 0 && mode & 0o111 != 0,
                );
                let raw = p.text("name").unwrap_or_default();
                let dirfd = p.int("dirfd");
                let path = resolve(&self.base(tid, dirfd), &raw);
                let fd = res.unwrap_or(-1);
                if fd < 0 {
                    return Some(FdUse {
                        num: fd,
                        fd: None,
                        name_changed: false,
                    });
                }
                let kind = if flags & O_DIRECTORY != 0 {
                    Kind::Directory
                } else {
                    Kind::File
                };
                let f = Fd::named(kind, path);
                let changed = self.fd_put(tid, fd, f.clone());
                Some(FdUse {
                    num: fd,
                    fd: Some(f),
                    name_changed: changed,
                })
            }
            "socket" => {
                let fd = res.unwrap_or(-1);
                let domain = p.uint("domain").unwrap_or(0);
                let ty = p.uint("type").unwrap_or(0) & 0xf;
                let kind = match domain {
                    1 => Kind::Unix,
                    2 => Kind::Ipv4,
                    10 => Kind::Ipv6,
                    16 => Kind::Other("netlink", "n"),
                    _ => Kind::Other("unknown", "o"),
                };
                let mut f = Fd::named(kind, String::new());
                if matches!(f.kind, Kind::Ipv4 | Kind::Ipv6) {
                    f.l4_pending = match ty {
                        1 => Some("tcp"),
                        2 => Some("udp"),
                        3 => Some("raw"),
                        _ => None,
                    };
                }
                if fd < 0 {
                    return Some(FdUse {
                        num: fd,
                        fd: None,
                        name_changed: false,
                    });
                }
                self.fd_put(tid, fd, f.clone());
                Some(FdUse {
                    num: fd,
                    fd: Some(f),
                    name_changed: false,
                })
            }
            "connect" => {
                let fd = p.int("fd")?;
                let mut f = self
                    .fd_get(tid, fd)
                    .cloned()
                    .unwrap_or_else(|| Fd::named(Kind::Other("unknown", "o"), String::new()));
                let r = res.unwrap_or(-1);
                f.l4 = f.l4.or(f.l4_pending);
                match p.tuple("tuple") {
                    Some(SockTuple::Ip { src, dst }) => {
                        f.kind = if src.0.is_ipv4() {
                            Kind::Ipv4
                        } else {
                            Kind::Ipv6
                        };
                        f.client = Some(src);
                        f.server = Some(dst);
                        f.server_side = false;
                        f.name = format!("{}->{}", endpoint(src.0, src.1), endpoint(dst.0, dst.1));
                        f.connected = r >= 0 || r == -115;
                    }
                    Some(SockTuple::Unix { src, dst, path }) => {
                        f.kind = Kind::Unix;
                        f.name = format!("{src:x}->{dst:x} {path}");
                        f.connected = r >= 0;
                    }
                    _ => {
                        if let Some(SockAddr::Ip(ip, port)) = p.sockaddr("addr") {
                            f.server = Some((ip, port));
                        }
                    }
                }
                // A failed connect is shown with its target but changes nothing.
                let changed = if r >= 0 || r == -115 {
                    self.fd_put(tid, fd, f.clone())
                } else {
                    false
                };
                Some(FdUse {
                    num: fd,
                    fd: Some(f),
                    name_changed: changed,
                })
            }
            "accept" | "accept4" => {
                let fd = res.unwrap_or(-1);
                if fd < 0 {
                    return Some(FdUse {
                        num: fd,
                        fd: None,
                        name_changed: false,
                    });
                }
                let mut f = Fd::named(Kind::Other("unknown", "o"), String::new());
                match p.tuple("tuple") {
                    Some(SockTuple::Ip { src, dst }) => {
                        f.kind = if src.0.is_ipv4() {
                            Kind::Ipv4
                        } else {
                            Kind::Ipv6
                        };
                        f.client = Some(src);
                        f.server = Some(dst);
                        f.server_side = true;
                        f.l4 = Some("tcp");
                        f.connected = true;
                        f.name = format!("{}->{}", endpoint(src.0, src.1), endpoint(dst.0, dst.1));
                    }
                    Some(SockTuple::Unix { src, dst, path }) => {
                        f.kind = Kind::Unix;
                        f.connected = true;
                        f.name = format!("{src:x}->{dst:x} {path}");
                    }
                    _ => {}
                }
                let changed = self.fd_put(tid, fd, f.clone());
                Some(FdUse {
                    num: fd,
                    fd: Some(f),
                    name_changed: changed,
                })
            }
            "bind" => {
                let fd = p.int("fd")?;
                let mut f = self
                    .fd_get(tid, fd)
                    .cloned()
                    .unwrap_or_else(|| Fd::named(Kind::Other("unknown", "o"), String::new()));
                f.l4 = f.l4.or(f.l4_pending);
                if ok {
                    match p.sockaddr("addr") {
                        Some(SockAddr::Ip(ip, port)) => {
                            f.server = Some((ip, port));
                            f.server_side = true;
                            f.name = endpoint(ip, port);
                        }
                        Some(SockAddr::Unix(path)) => f.name = path,
                        _ => {}
                    }
                }
                let changed = self.fd_put(tid, fd, f.clone());
                Some(FdUse {
                    num: fd,
                    fd: Some(f),
                    name_changed: changed,
                })
            }
            "close" => {
                let fd = p.int("fd")?;
                let pid = self.pid_of(tid);
                let f = if ok {
                    self.fds.get_mut(&pid).and_then(|t| t.remove(&fd))
                } else {
                    self.fd_get(tid, fd).cloned()
                };
                Some(FdUse {
                    num: fd,
                    fd: f,
                    name_changed: false,
                })
            }
            "fcntl" => {
                // F_DUPFD and F_DUPFD_CLOEXEC (libscap's PPM_FCNTL_* numbers 1 and 26) make
                // the result a copy of `fd`, as dup does; the event shows `fd`.
                let fd = p.int("fd")?;
                let f = self.fd_get(tid, fd).cloned();
                let new = res.unwrap_or(-1);
                let dup = new >= 0 && matches!(p.uint("cmd"), Some(1 | 26));
                if let (true, Some(f)) = (dup, f.clone()) {
                    self.fd_put(tid, new, f);
                }
                // libsinsp shows the new fd of a dup, the fd operated on otherwise.
                Some(FdUse {
                    num: if dup { new } else { fd },
                    fd: f,
                    name_changed: false,
                })
            }
            "chmod" | "fchmod" | "fchmodat" => {
                if let Some(m) = p.uint("mode") {
                    set_text(out, "evt.arg.mode", chmod_mode(m));
                }
                let fd = p.int("fd")?;
                Some(FdUse {
                    num: fd,
                    fd: self.fd_get(tid, fd).cloned(),
                    name_changed: false,
                })
            }
            "dup" | "dup2" | "dup3" => {
                let old = p.int("oldfd").or_else(|| p.int("fd"))?;
                let new = res.unwrap_or(-1);
                let f = self.fd_get(tid, old).cloned();
                if let (true, Some(f)) = (new >= 0, f.clone()) {
                    self.fd_put(tid, new, f);
                }
                // libsinsp shows the new fd, or the fd asked to duplicate (the enter event's)
                // when that fd is unknown or the call failed.
                Some(FdUse {
                    num: if new >= 0 && f.is_some() { new } else { old },
                    fd: f,
                    name_changed: false,
                })
            }
            "pipe" | "pipe2" => {
                let ino = p.uint("ino").unwrap_or(0);
                for k in ["fd1", "fd2"] {
                    if let Some(fd) = p.int(k).filter(|&f| f >= 0 && ok) {
                        self.fd_put(tid, fd, Fd::named(Kind::Pipe, format!("pipe:[{ino}]")));
                    }
                }
                None
            }
            "memfd_create" => {
                let fd = res.unwrap_or(-1);
                if fd >= 0 {
                    let n = p.text("name").unwrap_or_default();
                    self.fd_put(
                        tid,
                        fd,
                        Fd::named(Kind::Other("memfd", "m"), format!("memfd:{n}")),
                    );
                }
                None
            }
            "chdir" => {
                if ok {
                    if let Some(path) = p.text("path") {
                        let t = self.thread_mut(tid);
                        t.cwd = resolve(&t.cwd, &path);
                    }
                }
                None
            }
            "fchdir" => {
                let fd = p.int("fd")?;
                let f = self.fd_get(tid, fd).cloned();
                if let (true, Some(n)) = (ok, f.as_ref().map(|f| f.name.clone())) {
                    self.thread_mut(tid).cwd = n;
                }
                // The event shows the fd it changed into, as libsinsp does.
                Some(FdUse {
                    num: fd,
                    fd: f,
                    name_changed: false,
                })
            }
            "setuid" | "setresuid" | "setreuid" => {
                if let Some(uid) = p.uint("euid").or_else(|| p.uint("uid")) {
                    set_text(out, "evt.arg.uid", uid.to_string());
                    if ok && uid != u64::from(u32::MAX) {
                        self.thread_mut(tid).uid = uid as u32;
                    }
                }
                None
            }
            "setgid" | "setresgid" | "setregid" => {
                if let Some(gid) = p.uint("egid").or_else(|| p.uint("gid")) {
                    if ok && gid != u64::from(u32::MAX) {
                        self.thread_mut(tid).gid = gid as u32;
                    }
                }
                None
            }
            _ => {
                if let Some(f) = p.uint("flags") {
                    set_text(out, "evt.arg.flags", f.to_string());
                }
                // Calls that use an fd (fcntl, listen, ...) show it.
                let fd = p.int("fd")?;
                Some(FdUse {
                    num: fd,
                    fd: self.fd_get(tid, fd).cloned(),
                    name_changed: false,
                })
            }
        }
    }

    fn on_clone(&mut self, tid: i64, p: &Pair<'_, '_>, res: i64, flags: u64) {
        let thread = flags & CLONE_THREAD != 0;
        let from_params = |base: Thread| -> Thread {
            let mut t = base;
            if let Some(v) = p.text("exe") {
                t.exe = v;
            }
            t.args = p.list("args");
            if let Some(v) = p.text("cwd") {
                t.cwd = v;
            }
            if let Some(v) = p.text("comm") {
                t.comm = v;
            } else if t.comm.is_empty() {
                t.comm = t
                    .exe
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(15)
                    .collect();
            }
            if let Some(v) = p.uint("uid") {
                t.uid = v as u32;
            }
            if let Some(v) = p.uint("gid") {
                t.gid = v as u32;
            }
            let cg = p.list("cgroups");
            if !cg.is_empty() {
                t.container = container_of(&cg);
            }
            t.exited = false;
            t
        };
        match res {
            0 => {
                // The child: its own event describes it.
                let pid = p.int("pid").unwrap_or(tid);
                let base = self.threads.get(&tid).cloned().unwrap_or_default();
                let mut t = from_params(base);
                t.pid = pid;
                t.ptid = if thread {
                    pid
                } else {
                    p.int("ptid").unwrap_or(-1)
                };
                if let Some(v) = p.int("vpid") {
                    t.vpid = Some(v);
                }
                if thread && !self.threads.contains_key(&pid) {
                    // The process's main thread, first seen through its new thread.
                    let mut main = t.clone();
                    main.ptid = -1;
                    self.threads.insert(pid, main);
                }
                self.threads.insert(tid, t);
                self.copy_fds(p.int("ptid"), pid, thread);
            }
            r if r > 0 => {
                // A caller first seen here: its clone describes it.
                self.threads.entry(tid).or_insert_with(|| {
                    let mut me = from_params(Thread::unknown(tid));
                    me.pid = p.int("pid").unwrap_or(tid);
                    me.ptid = p.int("ptid").unwrap_or(-1);
                    me
                });
                if self.threads.contains_key(&r) {
                    return;
                }
                // The parent returns first: build the child from the parent.
                let parent = self.threads.get(&tid).cloned().unwrap_or_default();
                let ppid = parent.pid;
                let host_ns = parent.vpid.is_none_or(|v| v == ppid);
                let mut t = from_params(parent);
                t.pid = if thread { ppid } else { r };
                t.ptid = if thread { ppid } else { tid };
                if host_ns {
                    // Outside a pid namespace a process's virtual pid is its pid (quell's
                    // own recordings carry only the parent's side of a fork).
                    t.vpid = Some(t.pid);
                }
                self.threads.insert(r, t);
                if !thread {
                    self.copy_fds(Some(tid), r, false);
                }
            }
            _ => {}
        }
    }

    fn copy_fds(&mut self, parent_tid: Option<i64>, child_pid: i64, thread: bool) {
        if thread || self.fds.contains_key(&child_pid) {
            return;
        }
        let Some(ptid) = parent_tid else { return };
        let ppid = self.pid_of(ptid);
        if let Some(table) = self.fds.get(&ppid).cloned() {
            self.fds.insert(child_pid, table);
        }
    }

    fn on_execve(&mut self, tid: i64, p: &Pair<'_, '_>) {
        let filename = p.text("filename");
        let t = self.thread_mut(tid);
        if let Some(v) = p.text("exe") {
            t.exe = v;
        }
        t.args = p.list("args");
        // The working directory is the process's own (libsinsp ignores the parameter).
        if let Some(v) = p.int("pid") {
            t.pid = v;
        }
        if let Some(v) = p.int("ptid") {
            t.ptid = v;
        }
        t.comm = p.text("comm").unwrap_or_else(|| {
            t.exe
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .chars()
                .take(15)
                .collect()
        });
        let cwd = t.cwd.clone();
        t.exepath = p
            .text("trusted_exepath")
            .filter(|s| !s.is_empty())
            .or_else(|| filename.map(|f| resolve(&cwd, &f)));
        if let Some(v) = p.uint("tty") {
            t.tty = Some(v as u32);
        }
        if let Some(v) = p.uint("loginuid") {
            t.loginuid = Some(v as u32);
        }
        if let Some(v) = p.uint("uid") {
            t.uid = v as u32;
        }
        if let Some(v) = p.uint("gid") {
            t.gid = v as u32;
        }
        let cg = p.list("cgroups");
        if !cg.is_empty() {
            t.container = container_of(&cg);
        }
    }

    /// `proc.*`, `thread.*`, `user.*`, `group.*`, `container.*` from the thread table.
    fn proc_fields(&self, tid: i64, out: &mut Pairs) {
        set_num(out, "thread.tid", i128::from(tid));
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let main = self.threads.get(&t.pid);
        set_num(out, "proc.pid", i128::from(t.pid));
        let ppid = main.map_or(t.ptid, |m| m.ptid);
        set_num(out, "proc.ppid", i128::from(ppid));
        if let Some(v) = t.vpid {
            set_num(out, "proc.vpid", i128::from(v));
        }
        set_text(out, "proc.name", t.comm.clone());
        set_text(out, "proc.exe", t.exe.clone());
        if let Some(e) = &t.exepath {
            set_text(out, "proc.exepath", e.clone());
        }
        set_text(out, "proc.args", t.args.join(" "));
        set_text(out, "proc.cmdline", t.cmdline());
        // Threads share their process's working directory.
        // libsinsp keeps a working directory with a trailing `/` (captures' process tables
        // carry it; quell's own recordings do not).
        let cwd = main.map_or(&t.cwd, |m| &m.cwd);
        if cwd.is_empty() || cwd.ends_with('/') {
            set_text(out, "proc.cwd", cwd.clone());
        } else {
            set_text(out, "proc.cwd", format!("{cwd}/"));
        }
        set_num(out, "proc.tty", i128::from(t.tty.unwrap_or(0)));
        set_num(out, "proc.sid", i128::from(t.sid.unwrap_or(-1)));
        // The session leader: the farthest ancestor (or the process) in the same session.
        let mut leader = main.unwrap_or(t);
        let mut steps = 0;
        while let Some(a) = self.threads.get(&leader.ptid) {
            if a.sid != t.sid || steps > 64 {
                break;
            }
            leader = a;
            steps += 1;
        }
        set_text(out, "proc.sname", leader.comm.clone());
        // The parent: of a thread, the thread that made it (its process's main thread).
        if let Some(a) = self.threads.get(&t.ptid) {
            set_text(out, "proc.pname", a.comm.clone());
            set_text(out, "proc.pcmdline", a.cmdline());
            set_text(out, "proc.pexe", a.exe.clone());
            if let Some(e) = &a.exepath {
                set_text(out, "proc.pexepath", e.clone());
            }
        }
        // Ancestors: from the process's parent up.
        let mut cur = self.threads.get(&ppid);
        let mut seen = vec![tid, t.pid];
        for level in 1..=ANCESTORS {
            let Some(a) = cur else { break };
            if let (Some(n), Some(pk)) = (ANAME.get(level - 1), APID.get(level - 1)) {
                set_text(out, n, a.comm.clone());
                set_num(out, pk, i128::from(a.pid));
            }
            // executables of the first two ancestors, as the live capture gives them
            if let (Some(ek), Some(pk)) = (AEXE.get(level - 1), AEXEPATH.get(level - 1)) {
                set_text(out, ek, a.exe.clone());
                if let Some(e) = &a.exepath {
                    set_text(out, pk, e.clone());
                }
            }
            if seen.contains(&a.ptid) {
                break;
            }
            seen.push(a.ptid);
            cur = self.threads.get(&a.ptid);
        }
        set_num(out, "user.uid", i128::from(t.uid));
        if let Some(n) = self.users.get(&t.uid) {
            set_text(out, "user.name", n.clone());
        }
        // Unknown login uid: -1, as libsinsp shows it for captures without one.
        set_num(
            out,
            "user.loginuid",
            i128::from(t.loginuid.map_or(-1, |l| l as i32)),
        );
        if let Some(l) = t.loginuid {
            if let Some(n) = self.users.get(&l) {
                set_text(out, "user.loginname", n.clone());
            }
        }
        set_num(out, "group.gid", i128::from(t.gid));
        if let Some(n) = self.groups.get(&t.gid) {
            set_text(out, "group.name", n.clone());
        }
        match &t.container {
            Some(id) => {
                set_text(out, "container.id", id.clone());
                if let Some(n) = self.containers.get(id) {
                    set_text(out, "container.name", n.clone());
                }
            }
            None => {
                set_text(out, "container.id", HOST_ID.to_string());
                set_text(out, "container.name", HOST_ID.to_string());
            }
        }
    }
}

/// Ancestor levels given (`proc.aname[N]`, `proc.apid[N]`), as many as the live capture's.
pub const ANCESTORS: usize = 16;
const ANAME: [&str; 16] = [
    "proc.aname[1]",
    "proc.aname[2]",
    "proc.aname[3]",
    "proc.aname[4]",
    "proc.aname[5]",
    "proc.aname[6]",
    "proc.aname[7]",
    "proc.aname[8]",
    "proc.aname[9]",
    "proc.aname[10]",
    "proc.aname[11]",
    "proc.aname[12]",
    "proc.aname[13]",
    "proc.aname[14]",
    "proc.aname[15]",
    "proc.aname[16]",
];
const APID: [&str; 16] = [
    "proc.apid[1]",
    "proc.apid[2]",
    "proc.apid[3]",
    "proc.apid[4]",
    "proc.apid[5]",
    "proc.apid[6]",
    "proc.apid[7]",
    "proc.apid[8]",
    "proc.apid[9]",
    "proc.apid[10]",
    "proc.apid[11]",
    "proc.apid[12]",
    "proc.apid[13]",
    "proc.apid[14]",
    "proc.apid[15]",
    "proc.apid[16]",
];
const AEXE: [&str; 2] = ["proc.aexe[1]", "proc.aexe[2]"];
const AEXEPATH: [&str; 2] = ["proc.aexepath[1]", "proc.aexepath[2]"];

fn container_of(cgroups: &[String]) -> Option<String> {
    cgroups.iter().find_map(|c| {
        let path = c.split_once('=').map_or(c.as_str(), |(_, p)| p);
        match_cgroup(path).map(|r| r.id)
    })
}

fn fd_fields(out: &mut Pairs, u: &FdUse) {
    set_num(out, "fd.num", i128::from(u.num));
    let Some(f) = &u.fd else { return };
    let (ty, ch) = match f.kind {
        Kind::File => ("file", "f"),
        Kind::Directory => ("directory", "d"),
        Kind::Ipv4 => ("ipv4", "4"),
        Kind::Ipv6 => ("ipv6", "6"),
        Kind::Unix => ("unix", "u"),
        Kind::Pipe => ("pipe", "p"),
        Kind::Other(t, c) => (t, c),
    };
    set_text(out, "fd.type", ty.to_string());
    set_text(out, "fd.typechar", ch.to_string());
    set_text(out, "fd.name", f.name.clone());
    out.set_static("fd.connected", Value::Bool(f.connected));
    out.set_static("fd.name_changed", Value::Bool(u.name_changed));
    match f.kind {
        // libsinsp: a directory fd is its own directory and has no file name.
        Kind::Directory => set_text(out, "fd.directory", f.name.clone()),
        Kind::File => {
            if let Some((dir, file)) = f.name.rsplit_once('/') {
                set_text(
                    out,
                    "fd.directory",
                    if dir.is_empty() {
                        "/".to_string()
                    } else {
                        dir.to_string()
                    },
                );
                set_text(out, "fd.filename", file.to_string());
            }
        }
        Kind::Ipv4 | Kind::Ipv6 => {
            set_text(out, "fd.sockfamily", "ip".to_string());
            if let Some(l4) = f.l4 {
                set_text(out, "fd.l4proto", l4.to_string());
            }
            if let Some((ip, port)) = f.client {
                set_ip(out, "fd.cip", ip);
                set_num(out, "fd.cport", i128::from(port));
            }
            if let Some((ip, port)) = f.server {
                set_ip(out, "fd.sip", ip);
                set_num(out, "fd.sport", i128::from(port));
            }
            let (local, remote) = if f.server_side {
                (f.server, f.client)
            } else {
                (f.client, f.server)
            };
            if let (Some(l), Some(r)) = (local, remote) {
                set_ip(out, "fd.lip", l.0);
                set_num(out, "fd.lport", i128::from(l.1));
                set_ip(out, "fd.rip", r.0);
                set_num(out, "fd.rport", i128::from(r.1));
            }
        }
        Kind::Unix => set_text(out, "fd.sockfamily", "unix".to_string()),
        _ => {}
    }
}

/// The fields of one event as they are produced; sorted once into a [`FlatEvent`] (a later
/// value under the same key wins, as with [`FlatEvent::set`]).
struct Pairs(Vec<(Cow<'static, str>, Value<'static>)>);

impl Pairs {
    fn set_static(&mut self, key: &'static str, v: Value<'static>) {
        self.0.push((Cow::Borrowed(key), v));
    }
}

/// A field's registry type, looked up once per key.
fn field_type(key: &'static str) -> Option<FieldType> {
    thread_local! {
        static TYPES: std::cell::RefCell<HashMap<&'static str, Option<FieldType>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    TYPES.with(|t| {
        *t.borrow_mut()
            .entry(key)
            .or_insert_with(|| registry().resolve_text(key).ok().map(|f| f.ty))
    })
}

fn set_num(out: &mut Pairs, key: &'static str, v: i128) {
    let val = match field_type(key) {
        Some(FieldType::Uint) => Value::Uint(v.clamp(0, i128::from(u64::MAX)) as u64),
        Some(FieldType::Int) | None => {
            Value::Int(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
        }
        Some(_) => Value::Str(Cow::Owned(v.to_string())),
    };
    out.set_static(key, val);
}

/// Text; empty text is left out, as the flat form leaves out what libsinsp shows as empty.
fn set_text(out: &mut Pairs, key: &'static str, v: String) {
    if !v.is_empty() {
        out.set_static(key, Value::Str(Cow::Owned(v)));
    }
}

fn set_ip(out: &mut Pairs, key: &'static str, ip: IpAddr) {
    out.set_static(key, Value::Ip(ip));
}

/// Iterator of flat events over a capture: tables seed the state, events are converted,
/// types quell does not decode are skipped (and counted in [`Converter::stats`]).
pub struct FlatEvents {
    reader: crate::ScapReader,
    conv: Converter,
}

impl std::fmt::Debug for FlatEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlatEvents")
            .field("stats", self.conv.stats())
            .finish_non_exhaustive()
    }
}

impl FlatEvents {
    /// Flat events of a reader's capture.
    pub fn new(reader: crate::ScapReader) -> Self {
        FlatEvents {
            reader,
            conv: Converter::new(),
        }
    }
    /// Conversion counts so far.
    pub fn stats(&self) -> &FlatStats {
        self.conv.stats()
    }
    /// Reader counts so far.
    pub fn read_stats(&self) -> &crate::ReadStats {
        self.reader.stats()
    }
}

impl Iterator for FlatEvents {
    type Item = Result<FlatEvent, crate::ScapError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.next() {
                Ok(Some(crate::Item::Tables(t))) => self.conv.tables(t),
                Ok(Some(crate::Item::Event(e))) => {
                    if let Some(f) = self.conv.event(&e) {
                        return Some(Ok(f));
                    }
                }
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
