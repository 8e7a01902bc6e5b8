//! Flat events from a capture: the capture's tables plus its clone/execve/open/... events
//! kept in a process and fd table, each syscall exit turned into a [`FlatEvent`] with Falco
//! field names (the keys of `../shared/corpus/events`, made by sysdig from the same files).
//!
//! **A state of its own.** quell's live process/fd state engine is `quell_capture::state`;
//! it applies typed records per process (not per thread), with credentials and a cgroup id on
//! every record and live field semantics (DESIGN.md, "Captures (.scap)", says why captures
//! are not on it). This module keeps the smallest table that gives the flat fields of
//! the event types in [`crate::schema`]: threads (from the process list, clone/fork/vfork,
//! execve, procexit, setuid/setgid, chdir) and per-process fds (from the fd list, open*,
//! creat, socket, connect, accept, bind, pipe, dup*, memfd_create, close). It reuses
//! quell-capture's container matcher, errno names and path resolution. What it leaves out
//! is listed in the crate README ("Stated exceptions").
//!
//! Enter and exit events are paired as libsinsp pairs them: the last enter event of each
//! thread is kept, and an exit event whose type is that enter's plus one reads the
//! parameters it lacks from it (old captures carry `fd` or `name` only in the enter event).
//!
//! Each exit's own fields are decoded into one buffer reused from event to event, by field
//! id; [`CaptureEvent`] (from [`Converter::apply_event`] or [`FlatEvents::next_ref`]) reads
//! them and the process's fields, the latter from the thread table when asked. The owned
//! [`FlatEvent`] is its copy ([`CaptureEvent::to_flat`], the [`FlatEvents`] iterator).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::OnceLock;

use quell_capture::container::{match_cgroup, HOST_ID};
use quell_capture::flags::{chmod_mode, mode as mode_text, res_text};
use quell_capture::state::resolve;
use quell_events::{field_from, timestamp_from, FlatEvent};
use quell_rules::compile::evttypes::{self, EvtTypeId};
use quell_rules::fields_table::registry;
use quell_rules::{Event as RuleEvent, FieldRef, FieldType, Value};

use crate::event::{dec_int, dec_sockaddr, dec_tuple, dec_uint, Event, SockAddr, SockTuple};
use crate::schema::{self, Dir};
use crate::tables::{lossy, split_nul, FdTarget, Tables};

/// The event's own fields (from the call and its fd), before the process's.
const OWN: &[&str] = &[
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
];

/// The process's fields, read from the thread table when a rule asks (ancestors apart).
const PROC: &[&str] = &[
    "container.id",
    "container.name",
    "group.gid",
    "group.name",
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

/// Ancestor levels given (`proc.aname[N]`, `proc.apid[N]`), as many as the live capture's.
pub const ANCESTORS: usize = quell_events::ANCESTOR_LEVELS;
use quell_events::{ANAME, APID};
/// Executables of the first two ancestors, as the live capture gives them.
const AEXE: [&str; 2] = ["proc.aexe[1]", "proc.aexe[2]"];
const AEXEPATH: [&str; 2] = ["proc.aexepath[1]", "proc.aexepath[2]"];

const N_FIELDS: usize = OWN.len() + PROC.len() + 2 * ANCESTORS + AEXE.len() + AEXEPATH.len();

/// The groups above, one after the other (a field's id is its index).
const fn concat(parts: &[&[&'static str]]) -> [&'static str; N_FIELDS] {
    let mut out = [""; N_FIELDS];
    let (mut k, mut i) = (0, 0);
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N_FIELDS);
    out
}

const ALL: [&str; N_FIELDS] = concat(&[OWN, PROC, &ANAME, &APID, &AEXE, &AEXEPATH]);

/// Every key a flat event from a capture can carry (the fields `quell replay -e` can give a
/// rule). A rule reading any other field sees it missing on every capture event; the
/// differential against sysdig (`crates/quell/tests/differential_scap.rs`) lists such pairs as
/// skipped. `tests/flat.rs` checks that the corpus captures' events carry no other key.
/// Made of the event's own fields, the process's and the ancestor levels (in that order: a
/// field's index here is its id).
pub const FIELDS: &[&str] = &ALL;

/// The fields that describe the process, user, fd and container an event belongs to (with
/// its type and result): what the differentials of quell's capture state against sysdig's
/// reading of the same capture compare, event by event (`tests/flat.rs` on the corpus
/// captures, `crates/quell/tests/differential_scap.rs` on quell's own recordings): one list.
pub const STATE_FIELDS: &[&str] = &[
    "evt.type",
    "evt.rawres",
    "proc.pid",
    "proc.ppid",
    "proc.vpid",
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.args",
    "proc.cmdline",
    "proc.pname",
    "proc.pcmdline",
    "proc.cwd",
    "proc.tty",
    "proc.sid",
    "proc.sname",
    "proc.aname[1]",
    "proc.aname[2]",
    "proc.apid[1]",
    "thread.tid",
    "user.uid",
    "user.name",
    "user.loginuid",
    "user.loginname",
    "group.gid",
    "group.name",
    "fd.num",
    "fd.type",
    "fd.typechar",
    "fd.name",
    "fd.directory",
    "fd.filename",
    "fd.l4proto",
    "fd.sockfamily",
    "fd.cip",
    "fd.sip",
    "fd.lip",
    "fd.rip",
    "fd.cport",
    "fd.sport",
    "fd.lport",
    "fd.rport",
    "container.id",
    "container.name",
];

/// A field's id: its index in [`FIELDS`].
type Id = u16;

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The id of a key (at compile time: a key that is not in [`FIELDS`] does not build).
const fn id_of(key: &str) -> Id {
    let mut i = 0;
    while i < ALL.len() {
        if same(ALL[i], key) {
            return i as Id;
        }
        i += 1;
    }
    panic!("not a capture field")
}

/// `f!("evt.num")`: a field id, resolved at compile time.
macro_rules! f {
    ($k:literal) => {{
        const ID: Id = id_of($k);
        ID
    }};
}

const FIRST_PROC: Id = OWN.len() as Id;
const ANAME_1: Id = f!("proc.aname[1]");
const APID_1: Id = f!("proc.apid[1]");
const AEXE_1: Id = f!("proc.aexe[1]");
const AEXEPATH_1: Id = f!("proc.aexepath[1]");

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
    // libscap's l4 protocol codes (0 unknown, 1 not a socket).
    match code {
        2 => Some("tcp"),
        3 => Some("udp"),
        4 => Some("icmp"),
        5 => Some("raw"),
        _ => None,
    }
}

fn endpoint(ip: IpAddr, port: u16) -> String {
    format!("{ip}:{port}")
}

/// A socket of the fd list with both ends (this side the client).
fn connected_socket(kind: Kind, src: (IpAddr, u16), dst: (IpAddr, u16), l4: u8) -> Fd {
    Fd {
        kind,
        name: format!("{}->{}", endpoint(src.0, src.1), endpoint(dst.0, dst.1)),
        l4: l4_name(l4),
        client: Some(src),
        server: Some(dst),
        server_side: false,
        connected: true,
        l4_pending: None,
    }
}

/// A listening socket of the fd list.
fn server_socket(kind: Kind, local: (IpAddr, u16), l4: u8) -> Fd {
    Fd {
        kind,
        name: endpoint(local.0, local.1),
        l4: l4_name(l4),
        client: None,
        server: Some(local),
        server_side: true,
        connected: false,
        l4_pending: None,
    }
}

fn fd_from_table(t: &FdTarget) -> Fd {
    let ip = |(a, p): (std::net::Ipv4Addr, u16)| (IpAddr::V4(a), p);
    let ip6 = |(a, p): (std::net::Ipv6Addr, u16)| (IpAddr::V6(a), p);
    match t {
        FdTarget::Ipv4 { src, dst, l4 } => connected_socket(Kind::Ipv4, ip(*src), ip(*dst), *l4),
        FdTarget::Ipv6 { src, dst, l4 } => connected_socket(Kind::Ipv6, ip6(*src), ip6(*dst), *l4),
        FdTarget::Ipv4Server { local, l4 } => server_socket(Kind::Ipv4, ip(*local), *l4),
        FdTarget::Ipv6Server { local, l4 } => server_socket(Kind::Ipv6, ip6(*local), *l4),
        // The fd list names a unix socket by its path alone (empty when unbound), as
        // libsinsp shows it; the ends are named only by a connect or accept.
        FdTarget::Unix { path, .. } => Fd::named(Kind::Unix, path.clone()),
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

/// The state's tables: looked up several times per event (SipHash showed in profiles).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Turns a capture's items into flat events. Feed it [`Tables`] and events in file order.
#[derive(Debug, Default)]
pub struct Converter {
    threads: Map<i64, Thread>,
    fds: Map<i64, Map<i64, Fd>>,
    users: Map<u32, String>,
    groups: Map<u32, String>,
    containers: Map<String, String>,
    enters: Map<i64, Enter>,
    /// An emptied enter event kept for the next one (its buffers reused).
    spare_enter: Option<Enter>,
    stats: FlatStats,
    /// The current event's own fields (reused from event to event).
    buf: EvBuf,
    /// The current event's thread and type id (its process fields are read from the
    /// thread table when asked).
    cur_tid: i64,
    cur_type: Option<EvtTypeId>,
}

/// What an exit event did to an fd, for the `fd.*` fields.
struct FdUse {
    num: i64,
    fd: FdSrc,
    name_changed: bool,
}

/// Where the fd an event shows is described.
enum FdSrc {
    /// Nowhere (the fd was not made): no `fd.*` fields but `fd.num`.
    None,
    /// In a copy (an fd changed or dropped by the call).
    Owned(Fd),
    /// In the process's fd table under this number, as the event left it.
    Table(i64),
}

impl From<Option<Fd>> for FdSrc {
    fn from(f: Option<Fd>) -> Self {
        f.map_or(FdSrc::None, FdSrc::Owned)
    }
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
    /// (An owned copy of [`Converter::apply_event`]'s view.)
    pub fn event(&mut self, ev: &Event<'_>) -> Option<FlatEvent> {
        self.apply_event(ev).map(|e| e.to_flat())
    }

    /// Applies one event; returns a view of its flat form (valid until the next event) when
    /// it is a syscall exit quell decodes. The event's own fields are decoded now into a
    /// reused buffer; its process fields are read from the thread table when asked.
    pub fn apply_event(&mut self, ev: &Event<'_>) -> Option<CaptureEvent<'_>> {
        self.apply_raw(ev).then(|| self.current())
    }

    /// The view of the last event [`Converter::apply_event`] gave.
    fn current(&self) -> CaptureEvent<'_> {
        CaptureEvent { conv: self }
    }

    /// Applies one event; true when it is a syscall exit quell decodes (the current event).
    fn apply_raw(&mut self, ev: &Event<'_>) -> bool {
        let tid = ev.tid as i64;
        if (354..=361).contains(&ev.etype) {
            // User and group table updates are not numbered events.
            self.user_event(ev);
            return false;
        }
        self.stats.events += 1;
        let num = self.stats.events;
        let Some(info) = ev.info() else {
            if ev.etype % 2 == 1 {
                *self.stats.skipped.entry(ev.etype).or_default() += 1;
            }
            return false;
        };
        match info.dir {
            Dir::Enter => {
                let size: usize = (0..ev.nparams())
                    .filter_map(|i| ev.raw(i))
                    .map(<[u8]>::len)
                    .sum();
                if size > MAX_ENTER_BYTES {
                    self.enters.remove(&tid);
                    return false;
                }
                if self.enters.len() >= MAX_THREADS && !self.enters.contains_key(&tid) {
                    self.enters.clear();
                }
                let spare = &mut self.spare_enter;
                let e = self
                    .enters
                    .entry(tid)
                    .or_insert_with(|| spare.take().unwrap_or_default());
                e.etype = ev.etype;
                e.data.clear();
                e.spans.clear();
                for i in 0..ev.nparams() {
                    let b = ev.raw(i).unwrap_or_default();
                    let s = e.data.len();
                    e.data.extend_from_slice(b);
                    e.spans.push((s, e.data.len()));
                }
                return false;
            }
            Dir::Meta => {
                self.meta_event(ev, info.name);
                return false;
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
        let mut out = std::mem::take(&mut self.buf);
        out.clear();
        out.num(f!("evt.num"), i128::from(num));
        out.num(f!("evt.rawtime"), i128::from(ev.ts));
        // A generic event is the syscall its `ID` names (libscap's syscall codes).
        let name = if info.params.first() == Some(&"ID") {
            p.uint("ID").and_then(schema::syscall_name)
        } else {
            None
        };
        out.stat(f!("evt.type"), name.unwrap_or(info.name));
        let res = ["res", "fd"]
            .iter()
            .find(|n| info.params.first() == Some(*n))
            .and_then(|n| p.int(n));
        if let Some(r) = res {
            out.num(f!("evt.rawres"), i128::from(r));
            if r >= 0 {
                static SUCCESS: OnceLock<String> = OnceLock::new();
                out.text(f!("evt.res"), SUCCESS.get_or_init(|| res_text(0)));
            } else {
                out.text(f!("evt.res"), &res_text(r));
            }
            out.boolean(f!("evt.failed"), r < 0);
        } else {
            // A call without a result (a generic event) did not fail, as libsinsp shows it.
            out.boolean(f!("evt.failed"), false);
        }
        self.thread_mut(tid);
        let mut open = (false, false, false);
        let fd_use = self.apply(tid, name.unwrap_or(info.name), &p, res, &mut out, &mut open);
        out.boolean(f!("evt.is_open_read"), open.0);
        out.boolean(f!("evt.is_open_write"), open.1);
        out.boolean(f!("evt.is_open_exec"), open.2);
        if let Some(u) = fd_use {
            let fd = match &u.fd {
                FdSrc::None => None,
                FdSrc::Owned(f) => Some(f),
                FdSrc::Table(n) => self.fd_get(tid, *n),
            };
            fd_fields(&mut out, u.num, fd, u.name_changed);
        }
        if let Some(mut e) = enter {
            e.data.clear();
            e.spans.clear();
            self.spare_enter = Some(e);
        }
        self.buf = out;
        self.cur_tid = tid;
        self.cur_type = match name {
            Some(n) => evttypes::type_id(n),
            None => type_id_of(ev.etype),
        };
        self.stats.flat += 1;
        true
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

    /// Puts `f` at `fd` in the thread's process's table; whether the name changed.
    fn fd_put(&mut self, tid: i64, fd: i64, f: Fd) -> bool {
        self.fd_store(tid, fd, f).unwrap_or(false)
    }

    /// [`Converter::fd_put`], giving `f` back when the table is full.
    fn fd_store(&mut self, tid: i64, fd: i64, f: Fd) -> Result<bool, Box<Fd>> {
        let pid = self.pid_of(tid);
        if self.fds.len() >= MAX_THREADS && !self.fds.contains_key(&pid) {
            self.fds.clear();
        }
        let table = self.fds.entry(pid).or_default();
        if table.len() >= MAX_FDS && !table.contains_key(&fd) {
            return Err(Box::new(f));
        }
        let changed = table.get(&fd).is_none_or(|old| old.name != f.name);
        table.insert(fd, f);
        Ok(changed)
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
        out: &mut EvBuf,
        open: &mut (bool, bool, bool),
    ) -> Option<FdUse> {
        let ok = res.is_some_and(|r| r >= 0);
        const PATH_ARGS: [(&str, Id); 7] = [
            ("path", f!("evt.arg.path")),
            ("oldpath", f!("evt.arg.oldpath")),
            ("newpath", f!("evt.arg.newpath")),
            ("target", f!("evt.arg.target")),
            ("linkpath", f!("evt.arg.linkpath")),
            ("filename", f!("evt.arg.filename")),
            ("name", f!("evt.arg.name")),
        ];
        // Which of them the exit's type or its enter's has, once per type (most calls have
        // none: read, futex, mmap, ...), rather than a search by name per event.
        static HAS: OnceLock<Vec<u8>> = OnceLock::new();
        let has = HAS.get_or_init(|| {
            (0..schema::EVENT_MAX)
                .map(|id| {
                    let names = |t: u16| schema::info(t).map(|i| i.params).unwrap_or_default();
                    PATH_ARGS
                        .iter()
                        .enumerate()
                        .fold(0u8, |m, (k, (param, _))| {
                            let here = names(id).contains(param)
                                || names(id.wrapping_sub(1)).contains(param);
                            m | (u8::from(here) << k)
                        })
                })
                .collect()
        });
        let mask = has.get(usize::from(p.ev.etype)).copied().unwrap_or(0);
        for (k, (param, key)) in PATH_ARGS.iter().enumerate() {
            if mask & (1 << k) != 0 {
                if let Some(v) = p.raw(param) {
                    out.bytes(*key, v);
                }
            }
        }
        match name {
            "clone" | "fork" | "vfork" | "clone3" => {
                let flags = p.uint("flags").unwrap_or(0);
                out.text(f!("evt.arg.flags"), &clone_flags_text(flags));
                if let Some(uid) = p.uint("uid") {
                    out.text(f!("evt.arg.uid"), &uid.to_string());
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
                    out.text(f!("evt.arg.flags"), &open_flags_text(flags));
                }
                out.text(f!("evt.arg.mode"), &mode_text(mode));
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
                        fd: FdSrc::None,
                        name_changed: false,
                    });
                }
                let kind = if flags & O_DIRECTORY != 0 {
                    Kind::Directory
                } else {
                    Kind::File
                };
                let f = Fd::named(kind, path);
                // Shown from the table when it took the fd (a copy otherwise).
                let (fd_src, changed) = match self.fd_store(tid, fd, f) {
                    Ok(changed) => (FdSrc::Table(fd), changed),
                    Err(f) => (FdSrc::Owned(*f), false),
                };
                Some(FdUse {
                    num: fd,
                    fd: fd_src,
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
                        fd: FdSrc::None,
                        name_changed: false,
                    });
                }
                self.fd_put(tid, fd, f.clone());
                Some(FdUse {
                    num: fd,
                    fd: FdSrc::Owned(f),
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
                    fd: FdSrc::Owned(f),
                    name_changed: changed,
                })
            }
            "accept" | "accept4" => {
                let fd = res.unwrap_or(-1);
                if fd < 0 {
                    return Some(FdUse {
                        num: fd,
                        fd: FdSrc::None,
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
                    fd: FdSrc::Owned(f),
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
                    fd: FdSrc::Owned(f),
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
                    fd: f.into(),
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
                    fd: f.into(),
                    name_changed: false,
                })
            }
            "chmod" | "fchmod" | "fchmodat" => {
                if let Some(m) = p.uint("mode") {
                    out.text(f!("evt.arg.mode"), &chmod_mode(m));
                }
                let fd = p.int("fd")?;
                Some(FdUse {
                    num: fd,
                    fd: FdSrc::Table(fd),
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
                    fd: f.into(),
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
                    fd: f.into(),
                    name_changed: false,
                })
            }
            "mmap" | "mmap2" => {
                // libsinsp (as sysdig 0.29 shows it) gives a mapping neither the fd mapped
                // nor its flags.
                None
            }
            "sendto" | "sendmsg" => {
                // A datagram socket (or one whose address was never seen) learns its ends
                // from the tuple of a successful send: this side is the client.
                let fd = p.int("fd")?;
                if let (true, Some(SockTuple::Ip { src, dst })) = (ok, p.tuple("tuple")) {
                    let cur = self.fd_get(tid, fd).cloned();
                    if let Some(mut f) = cur.filter(|f| {
                        matches!(f.kind, Kind::Ipv4 | Kind::Ipv6)
                            && (f.name.is_empty() || f.l4.or(f.l4_pending) != Some("tcp"))
                    }) {
                        f.l4 = f.l4.or(f.l4_pending);
                        // An unspecified source (a send before the kernel chose one) keeps
                        // the address a connect gave.
                        let src = match f.client {
                            Some((ip, _)) if src.0.is_unspecified() => (ip, src.1),
                            _ => src,
                        };
                        f.client = Some(src);
                        f.server = Some(dst);
                        f.server_side = false;
                        f.name = format!("{}->{}", endpoint(src.0, src.1), endpoint(dst.0, dst.1));
                        f.connected = true;
                        let changed = self.fd_put(tid, fd, f);
                        return Some(FdUse {
                            num: fd,
                            fd: FdSrc::Table(fd),
                            name_changed: changed,
                        });
                    }
                }
                Some(FdUse {
                    num: fd,
                    fd: FdSrc::Table(fd),
                    name_changed: false,
                })
            }
            "setuid" | "setresuid" | "setreuid" => {
                if let Some(uid) = p.uint("euid").or_else(|| p.uint("uid")) {
                    out.text(f!("evt.arg.uid"), &uid.to_string());
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
                    out.text(f!("evt.arg.flags"), &f.to_string());
                }
                // Calls that use an fd (fcntl, listen, ...) show it.
                let fd = p.int("fd")?;
                Some(FdUse {
                    num: fd,
                    fd: FdSrc::Table(fd),
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

    /// One of the process's fields (`proc.*`, `thread.*`, `user.*`, `group.*`,
    /// `container.*`, ancestors) of thread `tid`, read from the thread table.
    fn proc_value(&self, tid: i64, id: Id) -> Option<Value<'_>> {
        if id == f!("thread.tid") {
            return Some(num_value(id, i128::from(tid)));
        }
        let t = self.threads.get(&tid)?;
        let main = self.threads.get(&t.pid);
        let num = |v: i64| Some(num_value(id, i128::from(v)));
        // Empty text is left out, as the flat form leaves out what libsinsp shows as empty.
        fn text(s: &str) -> Option<Value<'_>> {
            (!s.is_empty()).then_some(Value::Str(Cow::Borrowed(s)))
        }
        let owned = |s: String| (!s.is_empty()).then_some(Value::Str(Cow::Owned(s)));
        let ppid = main.map_or(t.ptid, |m| m.ptid);
        // The parent: of a thread, the thread that made it (its process's main thread).
        let parent = || self.threads.get(&t.ptid);
        match id {
            f::PROC_PID => num(t.pid),
            f::PROC_PPID => num(ppid),
            f::PROC_VPID => num(t.vpid?),
            f::PROC_NAME => text(&t.comm),
            f::PROC_EXE => text(&t.exe),
            f::PROC_EXEPATH => text(t.exepath.as_deref()?),
            f::PROC_ARGS => owned(t.args.join(" ")),
            f::PROC_CMDLINE => owned(t.cmdline()),
            f::PROC_CWD => {
                // Threads share their process's working directory, which libsinsp keeps
                // with a trailing `/` (captures' process tables carry it; quell's own
                // recordings do not).
                let cwd = main.map_or(&t.cwd, |m| &m.cwd);
                if cwd.is_empty() || cwd.ends_with('/') {
                    text(cwd)
                } else {
                    owned(format!("{cwd}/"))
                }
            }
            f::PROC_TTY => num(i64::from(t.tty.unwrap_or(0))),
            f::PROC_SID => num(t.sid.unwrap_or(-1)),
            f::PROC_SNAME => {
                // The session leader: the farthest ancestor (or the process) in the same
                // session.
                let mut leader = main.unwrap_or(t);
                let mut steps = 0;
                while let Some(a) = self.threads.get(&leader.ptid) {
                    if a.sid != t.sid || steps > 64 {
                        break;
                    }
                    leader = a;
                    steps += 1;
                }
                text(&leader.comm)
            }
            f::PROC_PNAME => text(&parent()?.comm),
            f::PROC_PCMDLINE => owned(parent()?.cmdline()),
            f::PROC_PEXE => text(&parent()?.exe),
            f::PROC_PEXEPATH => text(parent()?.exepath.as_deref()?),
            f::USER_UID => num(i64::from(t.uid)),
            f::USER_NAME => text(self.users.get(&t.uid)?),
            // Unknown login uid: -1, as libsinsp shows it for captures without one.
            f::USER_LOGINUID => num(i64::from(t.loginuid.map_or(-1, |l| l as i32))),
            f::USER_LOGINNAME => text(self.users.get(&t.loginuid?)?),
            f::GROUP_GID => num(i64::from(t.gid)),
            f::GROUP_NAME => text(self.groups.get(&t.gid)?),
            f::CONTAINER_ID => text(t.container.as_deref().unwrap_or(HOST_ID)),
            f::CONTAINER_NAME => match &t.container {
                Some(id) => text(self.containers.get(id)?),
                None => text(HOST_ID),
            },
            _ => {
                // Ancestors: from the process's parent up.
                let level = |first: Id, n: usize| {
                    let i = usize::from(id.checked_sub(first)?);
                    (i < n).then_some(i + 1)
                };
                if let Some(l) = level(ANAME_1, ANCESTORS) {
                    text(&self.ancestor(tid, t, ppid, l)?.comm)
                } else if let Some(l) = level(APID_1, ANCESTORS) {
                    num(self.ancestor(tid, t, ppid, l)?.pid)
                } else if let Some(l) = level(AEXE_1, AEXE.len()) {
                    text(&self.ancestor(tid, t, ppid, l)?.exe)
                } else if let Some(l) = level(AEXEPATH_1, AEXEPATH.len()) {
                    text(self.ancestor(tid, t, ppid, l)?.exepath.as_deref()?)
                } else {
                    None
                }
            }
        }
    }

    /// The ancestor at `level` (1: the parent process) of thread `tid` of process `t`,
    /// walking up from `ppid`, stopping at a loop.
    fn ancestor(&self, tid: i64, t: &Thread, ppid: i64, level: usize) -> Option<&Thread> {
        let mut seen = [0i64; ANCESTORS + 2];
        seen[0] = tid;
        seen[1] = t.pid;
        let mut cur = self.threads.get(&ppid);
        for l in 1..=ANCESTORS {
            let a = cur?;
            if l == level {
                return Some(a);
            }
            // `seen` holds l + 1 ids here
            if seen.get(..=l)?.contains(&a.ptid) {
                return None;
            }
            *seen.get_mut(l + 1)? = a.ptid;
            cur = self.threads.get(&a.ptid);
        }
        None
    }
}

/// Ids of the process fields (for matching on them).
mod f {
    use super::{id_of, Id};
    pub const PROC_PID: Id = id_of("proc.pid");
    pub const PROC_PPID: Id = id_of("proc.ppid");
    pub const PROC_VPID: Id = id_of("proc.vpid");
    pub const PROC_NAME: Id = id_of("proc.name");
    pub const PROC_EXE: Id = id_of("proc.exe");
    pub const PROC_EXEPATH: Id = id_of("proc.exepath");
    pub const PROC_ARGS: Id = id_of("proc.args");
    pub const PROC_CMDLINE: Id = id_of("proc.cmdline");
    pub const PROC_CWD: Id = id_of("proc.cwd");
    pub const PROC_TTY: Id = id_of("proc.tty");
    pub const PROC_SID: Id = id_of("proc.sid");
    pub const PROC_SNAME: Id = id_of("proc.sname");
    pub const PROC_PNAME: Id = id_of("proc.pname");
    pub const PROC_PCMDLINE: Id = id_of("proc.pcmdline");
    pub const PROC_PEXE: Id = id_of("proc.pexe");
    pub const PROC_PEXEPATH: Id = id_of("proc.pexepath");
    pub const USER_UID: Id = id_of("user.uid");
    pub const USER_NAME: Id = id_of("user.name");
    pub const USER_LOGINUID: Id = id_of("user.loginuid");
    pub const USER_LOGINNAME: Id = id_of("user.loginname");
    pub const GROUP_GID: Id = id_of("group.gid");
    pub const GROUP_NAME: Id = id_of("group.name");
    pub const CONTAINER_ID: Id = id_of("container.id");
    pub const CONTAINER_NAME: Id = id_of("container.name");
}

fn container_of(cgroups: &[String]) -> Option<String> {
    cgroups.iter().find_map(|c| {
        let path = c.split_once('=').map_or(c.as_str(), |(_, p)| p);
        match_cgroup(path).map(|r| r.id)
    })
}

fn fd_fields(out: &mut EvBuf, num: i64, fd: Option<&Fd>, name_changed: bool) {
    out.num(f!("fd.num"), i128::from(num));
    let Some(f) = fd else { return };
    let (ty, ch) = match f.kind {
        Kind::File => ("file", "f"),
        Kind::Directory => ("directory", "d"),
        Kind::Ipv4 => ("ipv4", "4"),
        Kind::Ipv6 => ("ipv6", "6"),
        Kind::Unix => ("unix", "u"),
        Kind::Pipe => ("pipe", "p"),
        Kind::Other(t, c) => (t, c),
    };
    out.stat(f!("fd.type"), ty);
    out.stat(f!("fd.typechar"), ch);
    out.text(f!("fd.name"), &f.name);
    out.boolean(f!("fd.connected"), f.connected);
    out.boolean(f!("fd.name_changed"), name_changed);
    match f.kind {
        // libsinsp: a directory fd is its own directory and has no file name.
        Kind::Directory => out.text(f!("fd.directory"), &f.name),
        Kind::File => {
            if let Some((dir, file)) = f.name.rsplit_once('/') {
                out.text(f!("fd.directory"), if dir.is_empty() { "/" } else { dir });
                out.text(f!("fd.filename"), file);
            }
        }
        Kind::Ipv4 | Kind::Ipv6 => {
            out.stat(f!("fd.sockfamily"), "ip");
            if let Some(l4) = f.l4 {
                out.stat(f!("fd.l4proto"), l4);
            }
            if let Some((ip, port)) = f.client {
                out.ip(f!("fd.cip"), ip);
                out.num(f!("fd.cport"), i128::from(port));
            }
            if let Some((ip, port)) = f.server {
                out.ip(f!("fd.sip"), ip);
                out.num(f!("fd.sport"), i128::from(port));
            }
            let (local, remote) = if f.server_side {
                (f.server, f.client)
            } else {
                (f.client, f.server)
            };
            if let (Some(l), Some(r)) = (local, remote) {
                out.ip(f!("fd.lip"), l.0);
                out.num(f!("fd.lport"), i128::from(l.1));
                out.ip(f!("fd.rip"), r.0);
                out.num(f!("fd.rport"), i128::from(r.1));
            }
        }
        Kind::Unix => out.stat(f!("fd.sockfamily"), "unix"),
        _ => {}
    }
}

/// One of the event's own fields as the buffer holds it (text in the buffer's scratch).
#[derive(Clone, Copy, Debug, Default)]
enum Own {
    #[default]
    Missing,
    Int(i64),
    Uint(u64),
    Bool(bool),
    Ip(IpAddr),
    Static(&'static str),
    Text(usize, usize),
}

/// The current event's own fields ([`OWN`]), by id; reused from event to event (a later
/// value under the same key wins, as with [`FlatEvent::set`]).
#[derive(Debug, Default)]
struct EvBuf {
    slots: Vec<Own>,
    /// Ids set since [`EvBuf::clear`].
    set: Vec<Id>,
    scratch: String,
}

impl EvBuf {
    fn clear(&mut self) {
        if self.slots.len() != OWN.len() {
            self.slots = vec![Own::Missing; OWN.len()];
        }
        for &i in &self.set {
            if let Some(s) = self.slots.get_mut(usize::from(i)) {
                *s = Own::Missing;
            }
        }
        self.set.clear();
        self.scratch.clear();
    }

    fn put(&mut self, id: Id, v: Own) {
        if let Some(s) = self.slots.get_mut(usize::from(id)) {
            if matches!(s, Own::Missing) {
                self.set.push(id);
            }
            *s = v;
        }
    }

    /// A number, as its field's registry type wants it.
    fn num(&mut self, id: Id, v: i128) {
        let own = match num_value(id, v) {
            Value::Uint(u) => Own::Uint(u),
            Value::Int(i) => Own::Int(i),
            other => {
                let a = self.scratch.len();
                let _ = write!(self.scratch, "{}", other.as_str().unwrap_or_default());
                Own::Text(a, self.scratch.len())
            }
        };
        self.put(id, own);
    }

    /// Text; empty text is left out, as the flat form leaves out what libsinsp shows as
    /// empty.
    fn text(&mut self, id: Id, v: &str) {
        if !v.is_empty() {
            let a = self.scratch.len();
            self.scratch.push_str(v);
            self.put(id, Own::Text(a, self.scratch.len()));
        }
    }

    /// A string parameter's bytes (NUL terminator dropped, invalid UTF-8 replaced), as
    /// [`crate::tables`] reads text.
    fn bytes(&mut self, id: Id, b: &[u8]) {
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        self.text(id, &String::from_utf8_lossy(b));
    }

    fn stat(&mut self, id: Id, v: &'static str) {
        if !v.is_empty() {
            self.put(id, Own::Static(v));
        }
    }

    fn boolean(&mut self, id: Id, v: bool) {
        self.put(id, Own::Bool(v));
    }

    fn ip(&mut self, id: Id, v: IpAddr) {
        self.put(id, Own::Ip(v));
    }

    fn get(&self, id: Id) -> Option<Value<'_>> {
        Some(match *self.slots.get(usize::from(id))? {
            Own::Missing => return None,
            Own::Int(i) => Value::Int(i),
            Own::Uint(u) => Value::Uint(u),
            Own::Bool(b) => Value::Bool(b),
            Own::Ip(ip) => Value::Ip(ip),
            Own::Static(s) => Value::Str(Cow::Borrowed(s)),
            Own::Text(a, b) => Value::Str(Cow::Borrowed(self.scratch.get(a..b)?)),
        })
    }
}

/// Each field's registry type, by id.
fn field_type(id: Id) -> Option<FieldType> {
    static TYPES: OnceLock<Vec<Option<FieldType>>> = OnceLock::new();
    let types = TYPES.get_or_init(|| {
        FIELDS
            .iter()
            .map(|k| registry().resolve_text(k).ok().map(|f| f.ty))
            .collect()
    });
    types.get(usize::from(id)).copied().flatten()
}

/// A number as field `id`'s type wants it.
fn num_value(id: Id, v: i128) -> Value<'static> {
    match field_type(id) {
        Some(FieldType::Uint) => Value::Uint(v.clamp(0, i128::from(u64::MAX)) as u64),
        Some(FieldType::Int) | None => {
            Value::Int(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
        }
        Some(_) => Value::Str(Cow::Owned(v.to_string())),
    }
}

/// The ids of [`FIELDS`] by key.
fn field_id(key: &str) -> Option<Id> {
    static INDEX: OnceLock<Map<&'static str, Id>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            FIELDS
                .iter()
                .enumerate()
                .map(|(i, k)| (*k, i as Id))
                .collect()
        })
        .get(key)
        .copied()
}

/// Falco's type id of each ppm event type quell decodes, by ppm id.
fn type_id_of(etype: u16) -> Option<EvtTypeId> {
    static IDS: OnceLock<Vec<Option<EvtTypeId>>> = OnceLock::new();
    IDS.get_or_init(|| {
        (0..schema::EVENT_MAX)
            .map(|i| schema::info(i).and_then(|e| evttypes::type_id(e.name)))
            .collect()
    })
    .get(usize::from(etype))
    .copied()
    .flatten()
}

/// One flat event of a capture as [`Converter::apply_event`] holds it, valid until the next
/// event: the event's own fields from the converter's buffer, its process's fields read from
/// the thread table when asked (text borrowed, not copied).
///
/// It reads as the [`FlatEvent`] of the same event does ([`quell_rules::Event`] with the
/// same rules: ancestor fallbacks, unindexed ancestor lists, timestamp renderings), and
/// [`CaptureEvent::to_flat`] copies it into one.
#[derive(Clone, Copy)]
pub struct CaptureEvent<'a> {
    conv: &'a Converter,
}

impl std::fmt::Debug for CaptureEvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> CaptureEvent<'a> {
    fn get_id(&self, id: Id) -> Option<Value<'a>> {
        let conv = self.conv;
        if id < FIRST_PROC {
            conv.buf.get(id)
        } else {
            conv.proc_value(conv.cur_tid, id)
        }
    }

    /// The value under a key, as [`FlatEvent::get`] of [`CaptureEvent::to_flat`] gives it.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.get_id(field_id(key)?)
    }

    /// The event type (`evt.type`).
    pub fn evt_type(&self) -> Option<&'a str> {
        match self.conv.buf.get(f!("evt.type"))? {
            Value::Str(Cow::Borrowed(s)) => Some(s),
            _ => None,
        }
    }

    /// Every field and its value, in the order of [`FIELDS`].
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Value<'a>)> + 'a {
        let this = *self;
        FIELDS
            .iter()
            .enumerate()
            .filter_map(move |(i, k)| Some((*k, this.get_id(i as Id)?)))
    }

    /// The event time in nanoseconds (`evt.rawtime`).
    pub fn timestamp_ns(&self) -> Option<u64> {
        timestamp_from(&|k| self.get(k))
    }

    /// The event as an owned [`FlatEvent`].
    pub fn to_flat(&self) -> FlatEvent {
        FlatEvent::from_pairs(self.iter().map(|(k, v)| (Cow::Borrowed(k), v.into_owned())))
    }
}

impl RuleEvent for CaptureEvent<'_> {
    fn evt_type(&self) -> Option<&str> {
        CaptureEvent::evt_type(self)
    }

    fn evt_type_id(&self) -> Option<EvtTypeId> {
        self.conv.cur_type
    }

    fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
        field_from(f, &|k| self.get(k))
    }
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

    /// The next flat event as a view into the converter (valid until the next call): the
    /// fast path of `quell replay -e`, where the iterator gives owned copies.
    pub fn next_ref(&mut self) -> Option<Result<CaptureEvent<'_>, crate::ScapError>> {
        loop {
            match self.reader.next() {
                Ok(Some(crate::Item::Tables(t))) => self.conv.tables(t),
                Ok(Some(crate::Item::Event(e))) => {
                    if self.conv.apply_raw(&e) {
                        break;
                    }
                }
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(self.conv.current()))
    }
}

impl Iterator for FlatEvents {
    type Item = Result<FlatEvent, crate::ScapError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_ref().map(|r| r.map(|e| e.to_flat()))
    }
}
