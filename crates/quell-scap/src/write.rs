//! Writes scap captures that libscap-based readers (sysdig 0.29, Falco) read, and that
//! [`crate::ScapReader`] reads back.
//!
//! [`ScapWriter`] writes the container: a section header, machine info, the user and group
//! list, the process list (version 9 blocks), one fd list per process (version 2), then one
//! event block per event (version 2, with a parameter count; the with-flags kind only when
//! an event has flags, as libscap writes them). Event parameters are given by name and
//! checked against [`crate::schema`], the one table of event layouts: a name out of place
//! is an error, never a silently shifted parameter.
//!
//! [`RecordWriter`] turns quell's live records (`quell_capture::record::Record`, with the
//! state after each) into libscap's enter and exit events, choosing the event versions
//! sysdig 0.29.3 (libs of March 2022, event ids below 336) knows, and writing only the
//! parameters those versions have. Layouts are facts from libs' `scap_savefile.c` and
//! `driver/event_table.c`; no code of theirs is used.

use std::io::{self, Write};
use std::net::IpAddr;

use quell_capture::container::match_cgroup;
use quell_capture::record::{Body, NetOp, OpenCall, Record, RenameCall, Syscall as Call};
use quell_capture::state::{FdInfo, FdKind, Process, State};
use quell_capture::wire::{SockAddr as WireAddr, Tuple};

use crate::file::{BYTE_ORDER_MAGIC, SHB};
use crate::schema;
use crate::tables::{FdEntry, FdTarget, Group, Machine, Tables, ThreadEntry, User};

/// Machine info block.
pub const MI_BLOCK: u32 = 0x201;
/// Process list, version 9.
pub const PL_BLOCK_V9: u32 = 0x215;
/// fd list, version 2 (entries with lengths).
pub const FDL_BLOCK_V2: u32 = 0x218;
/// User and group list, version 2.
pub const UL_BLOCK_V2: u32 = 0x220;
/// Event block, version 2 (with a parameter count).
pub const EV_BLOCK_V2: u32 = 0x216;
/// Event block with flags, version 2.
pub const EVF_BLOCK_V2: u32 = 0x217;

/// The first event id sysdig 0.29.3's tables do not know (`PPM_EVENT_MAX` of libs in
/// March 2022): the writer never writes one.
pub const OLD_EVENT_MAX: u16 = 336;

/// Longest parameter written (a `u16` length); longer values are cut.
const MAX_PARAM: usize = u16::MAX as usize;

/// One event parameter's value, in libscap's encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param<'a> {
    /// 8-byte signed (`PT_INT64`, `PT_ERRNO`, `PT_FD`, `PT_PID`).
    I64(i64),
    /// 8-byte unsigned.
    U64(u64),
    /// 4-byte signed.
    I32(i32),
    /// 4-byte unsigned (`PT_UINT32`, `PT_FLAGS32`, `PT_UID`, `PT_GID`, `PT_MODE`).
    U32(u32),
    /// 2-byte unsigned (`PT_FLAGS16`).
    U16(u16),
    /// 1-byte unsigned (`PT_UINT8`, `PT_FLAGS8`, `PT_SIGTYPE`).
    U8(u8),
    /// A NUL-terminated string (`PT_CHARBUF`, `PT_FSPATH`, `PT_FSRELPATH`).
    Str(&'a str),
    /// Raw bytes (`PT_BYTEBUF`, socket addresses and tuples, dynamic parameters).
    Bytes(Vec<u8>),
}

impl Param<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Param::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
            Param::U64(v) => out.extend_from_slice(&v.to_le_bytes()),
            Param::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Param::U32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Param::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            Param::U8(v) => out.push(*v),
            Param::Str(s) => {
                let b = s.as_bytes();
                // Up to the first NUL (a C string cannot hold one), cut to fit.
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                out.extend_from_slice(b.get(..end.min(MAX_PARAM - 1)).unwrap_or_default());
                out.push(0);
            }
            Param::Bytes(b) => out.extend_from_slice(b.get(..b.len().min(MAX_PARAM)).unwrap_or(b)),
        }
    }
}

/// NUL-separated list (argv, environment, cgroups), each entry NUL-terminated, as the
/// driver writes them.
pub fn nul_list(items: &[String]) -> Vec<u8> {
    let mut v = Vec::new();
    for i in items {
        v.extend_from_slice(i.as_bytes());
        v.push(0);
    }
    v
}

/// One event to write.
#[derive(Clone, Debug)]
pub struct EventOut<'a> {
    /// Time, ns since the epoch.
    pub ts: u64,
    /// Thread id.
    pub tid: u64,
    /// CPU.
    pub cpu: u16,
    /// Block flags (0: a plain event block).
    pub flags: u32,
    /// ppm event id.
    pub etype: u16,
    /// Parameters by name, in the event's order (a prefix of [`crate::schema`]'s list).
    pub params: Vec<(&'static str, Param<'a>)>,
}

/// Writes a scap capture to `W`.
pub struct ScapWriter<W: Write> {
    out: W,
    block: Vec<u8>,
    data: Vec<u8>,
    events: u64,
}

impl<W: Write> std::fmt::Debug for ScapWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapWriter")
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn str16(out: &mut Vec<u8>, s: &str) {
    bytes16(out, s.as_bytes());
}

/// libscap's reader limits for table strings (`SCAP_MAX_PATH_SIZE`, `SCAP_MAX_ARGS_SIZE`,
/// `SCAP_MAX_ENV_SIZE`, `SCAP_MAX_CGROUPS_SIZE`, `MAX_CREDENTIALS_STR_LEN`): a longer value
/// makes sysdig refuse the whole capture, so the writer cuts it.
const MAX_PATH: usize = 1024;
const MAX_LIST: usize = 4096;
const MAX_CRED: usize = 255;

/// `s` cut to at most `max` bytes, at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A NUL-separated list of at most `max` bytes: whole entries while they fit.
fn cut_list(items: &[String], max: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in items {
        if v.len() + i.len() + 1 > max {
            break;
        }
        v.extend_from_slice(i.as_bytes());
        v.push(0);
    }
    v
}

fn bytes16(out: &mut Vec<u8>, b: &[u8]) {
    let b = b.get(..b.len().min(MAX_PARAM)).unwrap_or(b);
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

impl<W: Write> ScapWriter<W> {
    /// Starts a capture: writes the section header (version 1.2, section length unknown).
    pub fn new(out: W) -> io::Result<Self> {
        let mut w = ScapWriter {
            out,
            block: Vec::with_capacity(4096),
            data: Vec::with_capacity(4096),
            events: 0,
        };
        let mut b = Vec::with_capacity(16);
        b.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        w.block_out(SHB, &b)?;
        Ok(w)
    }

    /// Events written so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Writes one block: header, body, padding to 4 bytes, trailing length.
    fn block_out(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let pad = (4 - body.len() % 4) % 4;
        let total = 12 + body.len() + pad;
        let total = u32::try_from(total)
            .ok()
            .filter(|&t| t <= crate::file::MAX_BLOCK_LEN)
            .ok_or_else(|| invalid(format!("a block of {total} bytes is too large")))?;
        self.out.write_all(&block_type.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&total.to_le_bytes())
    }

    /// Writes the tables a capture carries before its events: machine info (when given),
    /// users and groups, the process list, and one fd list per thread that has fds.
    pub fn tables(&mut self, t: &Tables) -> io::Result<()> {
        if let Some(m) = &t.machine {
            self.machine(m)?;
        }
        self.users(&t.users, &t.groups)?;
        self.threads(&t.threads)?;
        let mut tids: Vec<i64> = t.fds.iter().map(|f| f.tid).collect();
        tids.sort_unstable();
        tids.dedup();
        for tid in tids {
            let fds: Vec<&FdEntry> = t.fds.iter().filter(|f| f.tid == tid).collect();
            self.fds(tid, &fds)?;
        }
        Ok(())
    }

    /// Machine info (`boot_ts_epoch` goes where newer writers put it, the first reserved
    /// field; older readers ignore it).
    pub fn machine(&mut self, m: &Machine) -> io::Result<()> {
        let mut b = Vec::with_capacity(180);
        b.extend_from_slice(&m.num_cpus.to_le_bytes());
        b.extend_from_slice(&m.memory_bytes.to_le_bytes());
        b.extend_from_slice(&m.max_pid.to_le_bytes());
        let mut host = [0u8; 128];
        let h = m.hostname.as_bytes();
        let n = h.len().min(127);
        host[..n].copy_from_slice(&h[..n]);
        b.extend_from_slice(&host);
        b.extend_from_slice(&m.boot_ts_epoch.to_le_bytes());
        b.extend_from_slice(&[0u8; 24]);
        self.block_out(MI_BLOCK, &b)
    }

    /// The user and group list (version 2 entries: length, type, fields).
    pub fn users(&mut self, users: &[User], groups: &[Group]) -> io::Result<()> {
        let mut b = Vec::new();
        for u in users {
            let mut e = vec![0u8];
            e.extend_from_slice(&u.uid.to_le_bytes());
            e.extend_from_slice(&u.gid.to_le_bytes());
            str16(&mut e, cut(&u.name, MAX_CRED));
            str16(&mut e, cut(&u.home, MAX_PATH));
            str16(&mut e, cut(&u.shell, MAX_PATH));
            b.extend_from_slice(&(e.len() as u32 + 4).to_le_bytes());
            b.extend_from_slice(&e);
        }
        for g in groups {
            let mut e = vec![1u8];
            e.extend_from_slice(&g.gid.to_le_bytes());
            str16(&mut e, cut(&g.name, MAX_CRED));
            b.extend_from_slice(&(e.len() as u32 + 4).to_le_bytes());
            b.extend_from_slice(&e);
        }
        self.block_out(UL_BLOCK_V2, &b)
    }

    /// The process list in libscap's version-9 layout of March 2022 (ending with the login
    /// uid and the writable-executable flag). Strings and lists longer than libscap's reader
    /// accepts are cut (lists at an entry). Entries that would overflow one block are
    /// written in further blocks.
    pub fn threads(&mut self, threads: &[ThreadEntry]) -> io::Result<()> {
        let mut b = Vec::new();
        for t in threads {
            let mut e = Vec::with_capacity(256);
            for v in [
                t.tid,
                t.pid,
                t.ptid,
                t.sid.unwrap_or(0),
                t.vpgid.unwrap_or(0),
            ] {
                e.extend_from_slice(&v.to_le_bytes());
            }
            str16(&mut e, cut(&t.comm, MAX_PATH));
            str16(&mut e, cut(&t.exe, MAX_PATH));
            str16(
                &mut e,
                cut(t.exepath.as_deref().unwrap_or(&t.exe), MAX_PATH),
            );
            bytes16(&mut e, &cut_list(&t.args, MAX_LIST));
            str16(&mut e, cut(&t.cwd, MAX_PATH));
            e.extend_from_slice(&t.fdlimit.to_le_bytes());
            e.extend_from_slice(&t.flags.to_le_bytes());
            e.extend_from_slice(&t.uid.to_le_bytes());
            e.extend_from_slice(&t.gid.to_le_bytes());
            e.extend_from_slice(&[0u8; 12]); // vm size, rss, swap (kB)
            e.extend_from_slice(&[0u8; 16]); // major and minor page faults
            bytes16(&mut e, &cut_list(&t.env, MAX_LIST));
            e.extend_from_slice(&t.vtid.unwrap_or(t.tid).to_le_bytes());
            e.extend_from_slice(&t.vpid.unwrap_or(t.pid).to_le_bytes());
            bytes16(&mut e, &cut_list(&t.cgroups, MAX_LIST));
            str16(&mut e, cut(t.root.as_deref().unwrap_or("/"), MAX_PATH));
            e.extend_from_slice(&t.loginuid.unwrap_or(u32::MAX).to_le_bytes());
            e.push(0); // executable writable: not known
            if b.len() + e.len() + 4 > (crate::file::MAX_BLOCK_LEN as usize) / 2 {
                self.block_out(PL_BLOCK_V9, &std::mem::take(&mut b))?;
            }
            b.extend_from_slice(&(e.len() as u32 + 4).to_le_bytes());
            b.extend_from_slice(&e);
        }
        self.block_out(PL_BLOCK_V9, &b)
    }

    /// One process's fd list (version 2). Entries of types the reader would not know
    /// ([`FdTarget::Unknown`]) are left out.
    pub fn fds(&mut self, tid: i64, fds: &[&FdEntry]) -> io::Result<()> {
        let mut b = Vec::new();
        b.extend_from_slice(&tid.to_le_bytes());
        for f in fds {
            let mut e = Vec::with_capacity(64);
            e.extend_from_slice(&f.fd.to_le_bytes());
            e.extend_from_slice(&f.ino.to_le_bytes());
            match &f.target {
                // Sockets: type code, addresses, then ports, then the l4 protocol.
                FdTarget::Ipv4 { src, dst, l4 } => socket_entry(
                    &mut e,
                    3,
                    &[&src.0.octets(), &dst.0.octets()],
                    &[src.1, dst.1],
                    *l4,
                ),
                FdTarget::Ipv4Server { local, l4 } => {
                    socket_entry(&mut e, 5, &[&local.0.octets()], &[local.1], *l4)
                }
                FdTarget::Ipv6 { src, dst, l4 } => socket_entry(
                    &mut e,
                    4,
                    &[&src.0.octets(), &dst.0.octets()],
                    &[src.1, dst.1],
                    *l4,
                ),
                FdTarget::Ipv6Server { local, l4 } => {
                    socket_entry(&mut e, 6, &[&local.0.octets()], &[local.1], *l4)
                }
                FdTarget::Unix { source, dest, path } => {
                    e.push(8);
                    e.extend_from_slice(&source.to_le_bytes());
                    e.extend_from_slice(&dest.to_le_bytes());
                    str16(&mut e, cut(path, MAX_PATH - 1));
                }
                FdTarget::File {
                    open_flags: Some(fl),
                    name,
                } => {
                    e.push(16);
                    e.extend_from_slice(&fl.to_le_bytes());
                    str16(&mut e, cut(name, MAX_PATH - 1));
                    e.extend_from_slice(&0u32.to_le_bytes()); // device: not known
                }
                FdTarget::File {
                    open_flags: None,
                    name,
                } => {
                    e.push(1);
                    str16(&mut e, cut(name, MAX_PATH - 1));
                }
                FdTarget::Named { code, name } => {
                    e.push(*code);
                    str16(&mut e, cut(name, MAX_PATH - 1));
                }
                FdTarget::Unknown(_) => continue,
            }
            b.extend_from_slice(&(e.len() as u32 + 4).to_le_bytes());
            b.extend_from_slice(&e);
        }
        self.block_out(FDL_BLOCK_V2, &b)
    }

    /// One event. Its parameters must be, in order, the first ones [`crate::schema`] lists
    /// for its type (fewer is allowed: older layouts are prefixes of newer ones).
    pub fn event(&mut self, ev: &EventOut<'_>) -> io::Result<()> {
        let info = schema::info(ev.etype)
            .ok_or_else(|| invalid(format!("event type {} is not in quell's table", ev.etype)))?;
        if ev.params.len() > info.params.len() {
            return Err(invalid(format!(
                "event type {} ({}) has {} parameters, not {}",
                ev.etype,
                info.name,
                info.params.len(),
                ev.params.len()
            )));
        }
        for (i, ((given, _), want)) in ev.params.iter().zip(info.params).enumerate() {
            if given != want {
                return Err(invalid(format!(
                    "event type {} ({}): parameter {i} is `{want}`, not `{given}`",
                    ev.etype, info.name
                )));
            }
        }
        let large = schema::is_large(ev.etype);
        let lsize = if large { 4 } else { 2 };
        self.data.clear();
        let mut lens = Vec::with_capacity(ev.params.len());
        for (_, p) in &ev.params {
            let s = self.data.len();
            p.encode(&mut self.data);
            lens.push(self.data.len() - s);
        }
        let len = 26 + lens.len() * lsize + self.data.len();
        let len32 = u32::try_from(len).map_err(|_| invalid(format!("event of {len} bytes")))?;
        let b = &mut self.block;
        b.clear();
        b.extend_from_slice(&ev.cpu.to_le_bytes());
        if ev.flags != 0 {
            b.extend_from_slice(&ev.flags.to_le_bytes());
        }
        b.extend_from_slice(&ev.ts.to_le_bytes());
        b.extend_from_slice(&ev.tid.to_le_bytes());
        b.extend_from_slice(&len32.to_le_bytes());
        b.extend_from_slice(&ev.etype.to_le_bytes());
        b.extend_from_slice(&(lens.len() as u32).to_le_bytes());
        for l in lens {
            if large {
                b.extend_from_slice(&(l as u32).to_le_bytes());
            } else {
                b.extend_from_slice(&(l as u16).to_le_bytes());
            }
        }
        b.extend_from_slice(&self.data);
        let block = std::mem::take(&mut self.block);
        let kind = if ev.flags != 0 {
            EVF_BLOCK_V2
        } else {
            EV_BLOCK_V2
        };
        let r = self.block_out(kind, &block);
        self.block = block;
        r?;
        self.events += 1;
        Ok(())
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and gives the output back.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

// ---------------------------------------------------------------------------------------
// Live records to libscap events.
// ---------------------------------------------------------------------------------------

/// libscap's `PPM_O_*` open flags from Linux `O_*` values.
pub fn ppm_open_flags(f: u64) -> u32 {
    let mut r = match f & 0o3 {
        0 => 1,     // PPM_O_RDONLY
        1 => 2,     // PPM_O_WRONLY
        _ => 1 | 2, // PPM_O_RDWR
    };
    const MAP: &[(u64, u32)] = &[
        (0o100, 1 << 2),       // O_CREAT
        (0o2000, 1 << 3),      // O_APPEND
        (0o10000, 1 << 4),     // O_DSYNC
        (0o200, 1 << 5),       // O_EXCL
        (0o4000, 1 << 6),      // O_NONBLOCK
        (0o4010000, 1 << 7),   // O_SYNC (includes O_DSYNC)
        (0o1000, 1 << 8),      // O_TRUNC
        (0o40000, 1 << 9),     // O_DIRECT
        (0o200000, 1 << 10),   // O_DIRECTORY
        (0o100000, 1 << 11),   // O_LARGEFILE
        (0o2000000, 1 << 12),  // O_CLOEXEC
        (0o20200000, 1 << 13), // O_TMPFILE (includes O_DIRECTORY)
    ];
    for &(linux, ppm) in MAP {
        if f & linux == linux {
            r |= ppm;
        }
    }
    r
}

/// Linux `O_*` open flags from libscap's `PPM_O_*` (the inverse of [`ppm_open_flags`];
/// `PPM_O_F_CREATED` has no Linux flag and is left out).
pub fn linux_open_flags(f: u64) -> u64 {
    let mut r = match f & 3 {
        2 => 0o1,
        3 => 0o2,
        _ => 0,
    };
    const MAP: &[(u32, u64)] = &[
        (1 << 2, 0o100),
        (1 << 3, 0o2000),
        (1 << 4, 0o10000),
        (1 << 5, 0o200),
        (1 << 6, 0o4000),
        (1 << 7, 0o4010000),
        (1 << 8, 0o1000),
        (1 << 9, 0o40000),
        (1 << 10, 0o200000),
        (1 << 11, 0o100000),
        (1 << 12, 0o2000000),
        (1 << 13, 0o20200000),
    ];
    for &(ppm, linux) in MAP {
        if f & u64::from(ppm) != 0 {
            r |= linux;
        }
    }
    r
}

/// libscap's `PPM_CL_*` flags from Linux `CLONE_*` values (clone, unshare, setns).
pub fn ppm_clone_flags(f: u64) -> u32 {
    const MAP: &[(u64, u32)] = &[
        (0x400, 1 << 0),        // CLONE_FILES
        (0x200, 1 << 1),        // CLONE_FS
        (0x8000_0000, 1 << 2),  // CLONE_IO
        (0x0800_0000, 1 << 3),  // CLONE_NEWIPC
        (0x4000_0000, 1 << 4),  // CLONE_NEWNET
        (0x0002_0000, 1 << 5),  // CLONE_NEWNS
        (0x2000_0000, 1 << 6),  // CLONE_NEWPID
        (0x0400_0000, 1 << 7),  // CLONE_NEWUTS
        (0x8000, 1 << 8),       // CLONE_PARENT
        (0x0010_0000, 1 << 9),  // CLONE_PARENT_SETTID
        (0x2000, 1 << 10),      // CLONE_PTRACE
        (0x800, 1 << 11),       // CLONE_SIGHAND
        (0x0004_0000, 1 << 12), // CLONE_SYSVSEM
        (0x0001_0000, 1 << 13), // CLONE_THREAD
        (0x0080_0000, 1 << 14), // CLONE_UNTRACED
        (0x100, 1 << 15),       // CLONE_VM
        (0x1000_0000, 1 << 20), // CLONE_NEWUSER
        (0x0020_0000, 1 << 23), // CLONE_CHILD_CLEARTID
        (0x0100_0000, 1 << 24), // CLONE_CHILD_SETTID
        (0x0008_0000, 1 << 25), // CLONE_SETTLS
        (0x4000, 1 << 27),      // CLONE_VFORK
        (0x0200_0000, 1 << 28), // CLONE_NEWCGROUP
    ];
    MAP.iter()
        .filter(|(l, _)| f & l != 0)
        .fold(0, |acc, (_, p)| acc | p)
}

/// libscap's `PPM_PTRACE_*` request code from the Linux request.
pub fn ppm_ptrace_request(r: u64) -> u16 {
    match r {
        0 => 1,
        1 => 2,
        2 => 3,
        3 => 4,
        4 => 5,
        5 => 6,
        6 => 7,
        7 => 8,
        8 => 9,
        9 => 10,
        12 => 26,
        13 => 27,
        14 => 28,
        15 => 29,
        16 => 11,
        17 => 12,
        18 => 30,
        19 => 31,
        24 => 13,
        0x4200 => 14,
        0x4201 => 15,
        0x4202 => 16,
        0x4203 => 17,
        0x4204 => 18,
        0x4205 => 19,
        0x4206 => 20,
        0x4207 => 21,
        0x4208 => 22,
        0x4209 => 23,
        0x420a => 24,
        0x420b => 25,
        _ => 0,
    }
}

/// libscap's `PPM_FCNTL_*` command from the Linux command (the ones libsinsp acts on and
/// the common ones; others are `PPM_FCNTL_UNKNOWN`).
fn ppm_fcntl_cmd(c: u64) -> u8 {
    match c {
        0 => 1,     // F_DUPFD
        1 => 2,     // F_GETFD
        2 => 3,     // F_SETFD
        3 => 4,     // F_GETFL
        4 => 5,     // F_SETFL
        1030 => 26, // F_DUPFD_CLOEXEC
        _ => 0,
    }
}

/// A socket address parameter: family byte, then address and port (or the unix path).
pub fn sockaddr_param(a: &WireAddr) -> Vec<u8> {
    let mut v = Vec::with_capacity(20);
    match a {
        WireAddr::Ip(IpAddr::V4(ip), port) => {
            v.push(2);
            v.extend_from_slice(&ip.octets());
            v.extend_from_slice(&port.to_le_bytes());
        }
        WireAddr::Ip(IpAddr::V6(ip), port) => {
            v.push(10);
            v.extend_from_slice(&ip.octets());
            v.extend_from_slice(&port.to_le_bytes());
        }
        WireAddr::Unix(path) => {
            v.push(1);
            v.extend_from_slice(path.as_bytes());
            v.push(0);
        }
        WireAddr::Other(f) => v.push(*f as u8),
    }
    v
}

/// A socket tuple parameter with `src` the client end and `dst` the server end.
pub fn tuple_param(src: (IpAddr, u16), dst: (IpAddr, u16)) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    match (src.0, dst.0) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            v.push(2);
            v.extend_from_slice(&s.octets());
            v.extend_from_slice(&src.1.to_le_bytes());
            v.extend_from_slice(&d.octets());
            v.extend_from_slice(&dst.1.to_le_bytes());
        }
        (s, d) => {
            let six = |ip: IpAddr| match ip {
                IpAddr::V4(a) => a.to_ipv6_mapped(),
                IpAddr::V6(a) => a,
            };
            v.push(10);
            v.extend_from_slice(&six(s).octets());
            v.extend_from_slice(&src.1.to_le_bytes());
            v.extend_from_slice(&six(d).octets());
            v.extend_from_slice(&dst.1.to_le_bytes());
        }
    }
    v
}

fn unix_tuple(path: &str) -> Vec<u8> {
    let mut v = vec![1u8];
    v.extend_from_slice(&[0u8; 16]);
    v.extend_from_slice(path.as_bytes());
    v.push(0);
    v
}

/// The `cgroups` entry that gives a container's id back through quell's matcher, when
/// one of the runtimes' usual layouts does.
fn container_cgroups(p: &Process) -> Vec<String> {
    let Some(c) = &p.container else {
        return Vec::new();
    };
    let id = &c.full_id;
    for path in [
        format!("/docker/{id}"),
        format!("/system.slice/docker-{id}.scope"),
        format!("/libpod-{id}.scope"),
        format!("/kubepods/cri-containerd-{id}.scope"),
        format!("/kubepods/crio-{id}.scope"),
    ] {
        if match_cgroup(&path).is_some_and(|m| m.full_id == *id && m.id == c.id) {
            return vec![format!("cpuset={path}")];
        }
    }
    Vec::new()
}

/// An fd list socket entry: its type code, addresses, ports and l4 protocol code.
fn socket_entry(e: &mut Vec<u8>, code: u8, addrs: &[&[u8]], ports: &[u16], l4: u8) {
    e.push(code);
    for a in addrs {
        e.extend_from_slice(a);
    }
    for p in ports {
        e.extend_from_slice(&p.to_le_bytes());
    }
    e.push(l4);
}

/// libscap's l4 protocol code of a socket (`SCAP_L4_*`: 2 tcp, 3 udp, 4 icmp, 5 raw).
fn l4_code(sock_type: u16, proto: u16) -> u8 {
    match (sock_type, proto) {
        (_, 6) | (1, 0) => 2,
        (_, 17) | (2, 0) => 3,
        (_, 1) | (_, 58) => 4,
        (3, _) => 5,
        _ => 0,
    }
}

/// The fd list entry of one live fd, when libscap has a type for it.
fn fd_target(f: &FdInfo) -> Option<FdTarget> {
    Some(match f.kind {
        FdKind::File => FdTarget::File {
            open_flags: Some(ppm_open_flags(f.flags)),
            name: f.name.clone(),
        },
        FdKind::Directory => FdTarget::Named {
            code: 2,
            name: f.name.clone(),
        },
        FdKind::Pipe => FdTarget::Named {
            code: 7,
            name: f.name.clone(),
        },
        FdKind::Socket => {
            let s = f.sock.as_ref()?;
            let l4 = l4_code(s.sock_type, s.proto);
            match (s.family, s.local, s.remote) {
                (1, _, _) => FdTarget::Unix {
                    source: 0,
                    dest: 0,
                    path: s.unix_path.clone().unwrap_or_default(),
                },
                (_, Some(l), Some(r)) => {
                    let (src, dst) = if s.server_side { (r, l) } else { (l, r) };
                    match (src.0, dst.0) {
                        (IpAddr::V4(a), IpAddr::V4(b)) => FdTarget::Ipv4 {
                            src: (a, src.1),
                            dst: (b, dst.1),
                            l4,
                        },
                        (IpAddr::V6(a), IpAddr::V6(b)) => FdTarget::Ipv6 {
                            src: (a, src.1),
                            dst: (b, dst.1),
                            l4,
                        },
                        _ => return None,
                    }
                }
                (_, Some((IpAddr::V4(a), port)), None) => FdTarget::Ipv4Server {
                    local: (a, port),
                    l4,
                },
                (_, Some((IpAddr::V6(a), port)), None) => FdTarget::Ipv6Server {
                    local: (a, port),
                    l4,
                },
                _ => return None,
            }
        }
        FdKind::Memfd | FdKind::Other => return None,
    })
}

/// The tables of a capture from quell's live state: the machine, the host's users and
/// groups, every process in the table (one entry per process, its main thread) and their
/// fds. What the state does not know is written as libscap's neutral values (see the crate
/// README).
pub fn tables_from_state(state: &State, hostname: &str) -> Tables {
    let mut t = Tables {
        machine: Some(Machine {
            num_cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            memory_bytes: 0,
            max_pid: std::fs::read_to_string("/proc/sys/kernel/pid_max")
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(4_194_304),
            hostname: hostname.to_string(),
            boot_ts_epoch: state.epoch_ns(0),
        }),
        ..Tables::default()
    };
    let mut users: Vec<_> = state.users().users.iter().collect();
    users.sort();
    t.users = users
        .into_iter()
        .map(|(&uid, name)| User {
            uid,
            gid: uid,
            name: name.clone(),
            home: String::new(),
            shell: String::new(),
        })
        .collect();
    let mut groups: Vec<_> = state.users().groups.iter().collect();
    groups.sort();
    t.groups = groups
        .into_iter()
        .map(|(&gid, name)| Group {
            gid,
            name: name.clone(),
        })
        .collect();
    let mut procs: Vec<&Process> = state.processes().filter(|p| p.dead_at.is_none()).collect();
    procs.sort_by_key(|p| p.pid);
    for p in procs {
        t.threads.push(thread_entry(p));
        let mut fds: Vec<_> = p.fds.iter().collect();
        fds.sort_by_key(|(n, _)| **n);
        for (&fd, f) in fds {
            if let Some(target) = fd_target(f) {
                t.fds.push(FdEntry {
                    tid: i64::from(p.pid),
                    fd,
                    ino: 0,
                    target,
                });
            }
        }
    }
    t
}

fn thread_entry(p: &Process) -> ThreadEntry {
    ThreadEntry {
        tid: i64::from(p.pid),
        pid: i64::from(p.pid),
        ptid: i64::from(p.ppid),
        sid: Some(i64::from(p.sid)),
        vpgid: Some(0),
        comm: p.comm.clone(),
        exe: p.exe.clone(),
        exepath: Some(p.exepath.clone()),
        args: p.args.clone(),
        cwd: p.cwd.clone(),
        fdlimit: 1024,
        flags: 0,
        uid: p.uid,
        gid: p.gid,
        env: p.env.clone(),
        vtid: Some(i64::from(p.vpid)),
        vpid: Some(i64::from(p.vpid)),
        cgroups: container_cgroups(p),
        root: Some("/".to_string()),
        pidns_init_start_ts: None,
        tty: None,
        loginuid: Some(p.loginuid),
        cap_effective: None,
    }
}

/// Counts of what [`RecordWriter`] did with the records it was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordStats {
    /// Records written (as an enter and an exit event, or one process-exit event).
    pub written: u64,
    /// Records of calls sysdig 0.29's event table has no event for (`close_range`,
    /// `memfd_create`, `send*`/`recv*`, `bpf`, `init_module`, `finit_module`,
    /// `setreuid`, `setregid`), and failed forks: not written.
    pub skipped: u64,
}

/// Writes quell's live records as a scap capture.
pub struct RecordWriter<W: Write> {
    w: ScapWriter<W>,
    stats: RecordStats,
}

impl<W: Write> std::fmt::Debug for RecordWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordWriter")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

type Params<'a> = Vec<(&'static str, Param<'a>)>;

impl<W: Write> RecordWriter<W> {
    /// Starts a capture: the section header and the tables of `state` (the processes that
    /// exist when recording starts).
    pub fn start(out: W, state: &State, hostname: &str) -> io::Result<Self> {
        let tables = tables_from_state(state, hostname);
        let mut w = ScapWriter::new(out)?;
        w.tables(&tables)?;
        Ok(RecordWriter {
            w,
            stats: RecordStats::default(),
        })
    }

    /// Counts so far.
    pub fn stats(&self) -> &RecordStats {
        &self.stats
    }

    /// Flushes and gives the output back.
    pub fn finish(self) -> io::Result<W> {
        self.w.into_inner()
    }

    fn pair(
        &mut self,
        ts: u64,
        tid: u64,
        enter: (u16, Params<'_>),
        exit: (u16, Params<'_>),
    ) -> io::Result<()> {
        for (etype, params) in [enter, exit] {
            debug_assert!(etype < OLD_EVENT_MAX);
            self.w.event(&EventOut {
                ts,
                tid,
                cpu: 0,
                flags: 0,
                etype,
                params,
            })?;
        }
        self.stats.written += 1;
        Ok(())
    }

    /// Writes one record (after `state` applied it) as libscap's enter and exit events.
    pub fn record(&mut self, r: &Record, state: &State) -> io::Result<()> {
        let ts = state.epoch_ns(r.ts_boot);
        // Every thread's events are written under its process's id (its main thread):
        // quell keeps processes, not threads, and a reader then gives every event the
        // process fields (parent, ancestors) quell saw live; `thread.tid` is the pid.
        let tid = u64::from(r.tgid);
        let proc_ = state.process(r.tgid);
        let empty = Process::default();
        let p = proc_.unwrap_or(&empty);
        match &r.body {
            Body::Exec(x) => {
                let args = nul_list(&p.args);
                let exit = exec_exit(0, r, p, args);
                if x.execveat {
                    self.pair(
                        ts,
                        tid,
                        (
                            330,
                            vec![
                                ("dirfd", Param::I64(-100)),
                                ("pathname", Param::Str(&x.filename)),
                                ("flags", Param::U32(0)),
                            ],
                        ),
                        (331, exit),
                    )
                } else {
                    self.pair(
                        ts,
                        tid,
                        (292, vec![("filename", Param::Str(&x.filename))]),
                        (293, exit),
                    )
                }
            }
            Body::Fork(f) => {
                if f.child_tid < 0 {
                    self.stats.skipped += 1;
                    return Ok(());
                }
                let thread = f.child_tgid == r.tgid;
                let flags = if thread { 1 << 13 } else { 0 };
                let exit = vec![
                    ("res", Param::I64(f.child_tid)),
                    ("exe", Param::Str(&p.exe)),
                    ("args", Param::Bytes(nul_list(&p.args))),
                    ("tid", Param::I64(i64::from(r.tid))),
                    ("pid", Param::I64(i64::from(r.tgid))),
                    ("ptid", Param::I64(i64::from(p.ppid))),
                    ("cwd", Param::Str(&p.cwd)),
                    ("fdlimit", Param::I64(1024)),
                    ("pgft_maj", Param::U64(0)),
                    ("pgft_min", Param::U64(0)),
                    ("vm_size", Param::U32(0)),
                    ("vm_rss", Param::U32(0)),
                    ("vm_swap", Param::U32(0)),
                    ("comm", Param::Str(&p.comm)),
                    ("cgroups", Param::Bytes(nul_list(&container_cgroups(p)))),
                    ("flags", Param::U32(flags)),
                    ("uid", Param::U32(r.uid)),
                    ("gid", Param::U32(r.gid)),
                    ("vtid", Param::I64(i64::from(r.tid))),
                    ("vpid", Param::I64(i64::from(p.vpid))),
                ];
                self.pair(ts, tid, (222, Vec::new()), (223, exit))
            }
            Body::Exit { status } => {
                let params = vec![
                    ("status", Param::I64(*status)),
                    ("ret", Param::I64((status >> 8) & 0xff)),
                    ("sig", Param::U8((status & 0x7f) as u8)),
                    ("core", Param::U8(u8::from(status & 0x80 != 0))),
                ];
                self.w.event(&EventOut {
                    ts,
                    tid,
                    cpu: 0,
                    flags: 0,
                    etype: 186,
                    params,
                })?;
                self.stats.written += 1;
                Ok(())
            }
            Body::Syscall { res, call } => match syscall_events(*res, call, r, p) {
                Some((enter, exit)) => self.pair(ts, tid, enter, exit),
                None => {
                    self.stats.skipped += 1;
                    Ok(())
                }
            },
        }
    }
}

fn exec_exit<'a>(res: i64, r: &Record, p: &'a Process, args: Vec<u8>) -> Params<'a> {
    vec![
        ("res", Param::I64(res)),
        ("exe", Param::Str(&p.exe)),
        ("args", Param::Bytes(args)),
        ("tid", Param::I64(i64::from(r.tid))),
        ("pid", Param::I64(i64::from(r.tgid))),
        ("ptid", Param::I64(i64::from(p.ppid))),
        ("cwd", Param::Str(&p.cwd)),
        ("fdlimit", Param::U64(1024)),
        ("pgft_maj", Param::U64(0)),
        ("pgft_min", Param::U64(0)),
        ("vm_size", Param::U32(0)),
        ("vm_rss", Param::U32(0)),
        ("vm_swap", Param::U32(0)),
        ("comm", Param::Str(&p.comm)),
        ("cgroups", Param::Bytes(nul_list(&container_cgroups(p)))),
        ("env", Param::Bytes(nul_list(&p.env))),
        ("tty", Param::I32(p.tty as i32)),
        ("vpgid", Param::I64(0)),
        ("loginuid", Param::I32(p.loginuid as i32)),
        // sysdig 0.29's execve exit ends here (later layouts add capabilities, the
        // executable's inode and times, uid, gid: a credential change by a set-user-ID
        // executable is not in this capture).
        ("flags", Param::U32(0)),
    ]
}

type Pair<'a> = ((u16, Params<'a>), (u16, Params<'a>));

/// The enter and exit events of one syscall record; `None` for calls sysdig 0.29's table
/// has no event for.
fn syscall_events<'a>(res: i64, call: &'a Call, r: &Record, p: &'a Process) -> Option<Pair<'a>> {
    use Param::{Bytes, Str, I64, U32};
    let rs = || ("res", I64(res));
    let none = Vec::new;
    Some(match call {
        Call::Open {
            call,
            dirfd,
            path,
            flags,
            mode,
        } => {
            let fl = ppm_open_flags(*flags);
            let mode = *mode as u32;
            match call {
                OpenCall::Open => (
                    (
                        2,
                        vec![("name", Str(path)), ("flags", U32(fl)), ("mode", U32(mode))],
                    ),
                    (
                        3,
                        vec![
                            ("fd", I64(res)),
                            ("name", Str(path)),
                            ("flags", U32(fl)),
                            ("mode", U32(mode)),
                            ("dev", U32(0)),
                        ],
                    ),
                ),
                OpenCall::Openat => (
                    (
                        306,
                        vec![
                            ("dirfd", I64(*dirfd)),
                            ("name", Str(path)),
                            ("flags", U32(fl)),
                            ("mode", U32(mode)),
                        ],
                    ),
                    (
                        307,
                        vec![
                            ("fd", I64(res)),
                            ("dirfd", I64(*dirfd)),
                            ("name", Str(path)),
                            ("flags", U32(fl)),
                            ("mode", U32(mode)),
                            ("dev", U32(0)),
                        ],
                    ),
                ),
                OpenCall::Openat2 => (
                    (
                        326,
                        vec![
                            ("dirfd", I64(*dirfd)),
                            ("name", Str(path)),
                            ("flags", U32(fl)),
                            ("mode", U32(mode)),
                            ("resolve", U32(0)),
                        ],
                    ),
                    (
                        327,
                        vec![
                            ("fd", I64(res)),
                            ("dirfd", I64(*dirfd)),
                            ("name", Str(path)),
                            ("flags", U32(fl)),
                            ("mode", U32(mode)),
                            ("resolve", U32(0)),
                        ],
                    ),
                ),
                OpenCall::Creat => (
                    (58, vec![("name", Str(path)), ("mode", U32(mode))]),
                    (
                        59,
                        vec![
                            ("fd", I64(res)),
                            ("name", Str(path)),
                            ("mode", U32(mode)),
                            ("dev", U32(0)),
                        ],
                    ),
                ),
            }
        }
        Call::Close { fd } => ((4, vec![("fd", I64(i64::from(*fd)))]), (5, vec![rs()])),
        Call::Pipe { fds, ino, .. } => (
            (60, none()),
            (
                61,
                vec![
                    rs(),
                    ("fd1", I64(fds[0])),
                    ("fd2", I64(fds[1])),
                    ("ino", Param::U64(*ino)),
                ],
            ),
        ),
        Call::Socketpair {
            domain,
            sock_type,
            proto,
            fds,
        } => (
            (
                42,
                vec![
                    ("domain", U32(u32::from(*domain))),
                    ("type", U32(*sock_type as u32)),
                    ("proto", U32(*proto)),
                ],
            ),
            (
                43,
                vec![
                    rs(),
                    ("fd1", I64(fds[0])),
                    ("fd2", I64(fds[1])),
                    ("source", Param::U64(0)),
                    ("peer", Param::U64(0)),
                ],
            ),
        ),
        // sysdig 0.29 knows one dup event: dup2 and dup3 are written as `dup`.
        Call::Dup { oldfd, .. } => ((124, vec![("fd", I64(*oldfd))]), (125, vec![rs()])),
        Call::Fcntl { fd, cmd } => (
            (
                150,
                vec![("fd", I64(*fd)), ("cmd", Param::U8(ppm_fcntl_cmd(*cmd)))],
            ),
            (151, vec![rs()]),
        ),
        Call::Chdir { path } => ((94, none()), (95, vec![rs(), ("path", Str(path))])),
        Call::Fchdir { fd } => ((96, vec![("fd", I64(*fd))]), (97, vec![rs()])),
        Call::Unlink { path } => ((300, none()), (301, vec![rs(), ("path", Str(path))])),
        Call::Rmdir { path } => ((278, none()), (279, vec![rs(), ("path", Str(path))])),
        Call::Unlinkat { dirfd, path, flags } => (
            (302, none()),
            (
                303,
                vec![
                    rs(),
                    ("dirfd", I64(*dirfd)),
                    ("name", Str(path)),
                    // PPM_AT_REMOVEDIR has Linux's value
                    ("flags", U32((*flags & 0x200) as u32)),
                ],
            ),
        ),
        Call::Mkdir { path, mode } => (
            (276, vec![("mode", U32(*mode as u32))]),
            (277, vec![rs(), ("path", Str(path))]),
        ),
        Call::Mkdirat { dirfd, path, mode } => (
            (304, none()),
            (
                305,
                vec![
                    rs(),
                    ("dirfd", I64(*dirfd)),
                    ("path", Str(path)),
                    ("mode", U32(*mode as u32)),
                ],
            ),
        ),
        Call::Chmod { path, mode } => (
            (314, none()),
            (
                315,
                vec![rs(), ("filename", Str(path)), ("mode", U32(*mode as u32))],
            ),
        ),
        Call::Fchmodat { dirfd, path, mode } => (
            (312, none()),
            (
                313,
                vec![
                    rs(),
                    ("dirfd", I64(*dirfd)),
                    ("filename", Str(path)),
                    ("mode", U32(*mode as u32)),
                ],
            ),
        ),
        Call::Fchmod { fd, mode } => (
            (316, none()),
            (
                317,
                vec![rs(), ("fd", I64(*fd)), ("mode", U32(*mode as u32))],
            ),
        ),
        Call::Rename {
            call,
            olddirfd,
            oldpath,
            newdirfd,
            newpath,
        } => match call {
            RenameCall::Rename => (
                (174, none()),
                (
                    175,
                    vec![rs(), ("oldpath", Str(oldpath)), ("newpath", Str(newpath))],
                ),
            ),
            RenameCall::Renameat | RenameCall::Renameat2 => {
                let two = *call == RenameCall::Renameat2;
                let mut x = vec![
                    rs(),
                    ("olddirfd", I64(*olddirfd)),
                    ("oldpath", Str(oldpath)),
                    ("newdirfd", I64(*newdirfd)),
                    ("newpath", Str(newpath)),
                ];
                if two {
                    x.push(("flags", U32(0)));
                }
                (
                    (if two { 318 } else { 176 }, none()),
                    (if two { 319 } else { 177 }, x),
                )
            }
        },
        Call::Link {
            linkat,
            olddirfd,
            oldpath,
            newdirfd,
            newpath,
        } => {
            if *linkat {
                (
                    (310, none()),
                    (
                        311,
                        vec![
                            rs(),
                            ("olddir", I64(*olddirfd)),
                            ("oldpath", Str(oldpath)),
                            ("newdir", I64(*newdirfd)),
                            ("newpath", Str(newpath)),
                            ("flags", U32(0)),
                        ],
                    ),
                )
            } else {
                (
                    (308, none()),
                    (
                        309,
                        vec![rs(), ("oldpath", Str(oldpath)), ("newpath", Str(newpath))],
                    ),
                )
            }
        }
        Call::Symlink {
            symlinkat,
            target,
            linkdirfd,
            linkpath,
        } => {
            if *symlinkat {
                (
                    (180, none()),
                    (
                        181,
                        vec![
                            rs(),
                            ("target", Str(target)),
                            ("linkdirfd", I64(*linkdirfd)),
                            ("linkpath", Str(linkpath)),
                        ],
                    ),
                )
            } else {
                (
                    (178, none()),
                    (
                        179,
                        vec![rs(), ("target", Str(target)), ("linkpath", Str(linkpath))],
                    ),
                )
            }
        }
        Call::Socket {
            domain,
            sock_type,
            proto,
        } => (
            (
                18,
                vec![
                    ("domain", U32(u32::from(*domain))),
                    ("type", U32(*sock_type as u32)),
                    ("proto", U32(*proto)),
                ],
            ),
            (19, vec![("fd", I64(res))]),
        ),
        Call::Net {
            op,
            fd,
            addr,
            tuple,
        } => net_events(res, *op, *fd, addr.as_ref(), tuple.as_ref(), p)?,
        Call::Ptrace {
            request,
            pid,
            addr,
            data,
        } => {
            // PT_DYN: an index byte (0: a 64-bit value), then the value.
            let dynp = |v: u64| {
                let mut b = vec![0u8];
                b.extend_from_slice(&v.to_le_bytes());
                Bytes(b)
            };
            (
                (
                    168,
                    vec![
                        ("request", Param::U16(ppm_ptrace_request(*request))),
                        ("pid", I64(i64::from(*pid))),
                    ],
                ),
                (
                    169,
                    vec![rs(), ("addr", dynp(*addr)), ("data", dynp(*data))],
                ),
            )
        }
        Call::Setuid { uid } => ((198, vec![("uid", U32(*uid))]), (199, vec![rs()])),
        Call::Setgid { gid } => ((200, vec![("gid", U32(*gid))]), (201, vec![rs()])),
        Call::Setresuid { ruid, euid, suid } => (
            (
                192,
                vec![
                    ("ruid", U32(*ruid)),
                    ("euid", U32(*euid)),
                    ("suid", U32(*suid)),
                ],
            ),
            (193, vec![rs()]),
        ),
        Call::Setresgid { rgid, egid, sgid } => (
            (
                194,
                vec![
                    ("rgid", U32(*rgid)),
                    ("egid", U32(*egid)),
                    ("sgid", U32(*sgid)),
                ],
            ),
            (195, vec![rs()]),
        ),
        Call::Setns { fd, nstype } => (
            (
                240,
                vec![("fd", I64(*fd)), ("nstype", U32(ppm_clone_flags(*nstype)))],
            ),
            (241, vec![rs()]),
        ),
        Call::Unshare { flags } => (
            (284, vec![("flags", U32(ppm_clone_flags(*flags)))]),
            (285, vec![rs()]),
        ),
        Call::Userfaultfd { flags } => (
            (320, none()),
            (321, vec![rs(), ("flags", U32(*flags as u32))]),
        ),
        Call::Execve { execveat, filename } => {
            let exit = exec_exit(res, r, p, nul_list(&p.args));
            if *execveat {
                (
                    (
                        330,
                        vec![
                            ("dirfd", I64(-100)),
                            ("pathname", Str(filename)),
                            ("flags", U32(0)),
                        ],
                    ),
                    (331, exit),
                )
            } else {
                ((292, vec![("filename", Str(filename))]), (293, exit))
            }
        }
        Call::CloseRange { .. }
        | Call::MemfdCreate { .. }
        | Call::Bpf { .. }
        | Call::InitModule
        | Call::FinitModule { .. }
        | Call::Setreuid { .. }
        | Call::Setregid { .. } => return None,
    })
}

fn net_events<'a>(
    res: i64,
    op: NetOp,
    fd: i64,
    addr: Option<&WireAddr>,
    tuple: Option<&Tuple>,
    p: &Process,
) -> Option<Pair<'a>> {
    use Param::{Bytes, I64, U32};
    let rs = ("res", I64(res));
    let addr_b = addr.map(sockaddr_param).unwrap_or_default();
    // The tuple as libscap orders it: client end first.
    let tuple_b = |client_is_local: bool| -> Vec<u8> {
        match tuple {
            Some(t) if t.family == 1 => {
                let path = p
                    .fds
                    .get(&fd)
                    .and_then(|f| f.sock.as_ref())
                    .and_then(|s| s.unix_path.clone())
                    .or_else(|| match addr {
                        Some(WireAddr::Unix(u)) => Some(u.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                unix_tuple(&path)
            }
            Some(t) => {
                let l = (t.laddr, t.lport);
                let rm = (t.raddr, t.rport);
                if client_is_local {
                    tuple_param(l, rm)
                } else {
                    tuple_param(rm, l)
                }
            }
            None => Vec::new(),
        }
    };
    Some(match op {
        NetOp::Bind => (
            (20, vec![("fd", I64(fd))]),
            (21, vec![rs, ("addr", Bytes(addr_b))]),
        ),
        NetOp::Connect => (
            (22, vec![("fd", I64(fd)), ("addr", Bytes(addr_b))]),
            (23, vec![rs, ("tuple", Bytes(tuple_b(true)))]),
        ),
        NetOp::Listen { backlog } => (
            (24, vec![("fd", I64(fd)), ("backlog", U32(backlog as u32))]),
            (25, vec![rs]),
        ),
        NetOp::Accept | NetOp::Accept4 => {
            let x = vec![
                ("fd", I64(res)),
                ("tuple", Bytes(tuple_b(false))),
                ("queuepct", Param::U8(0)),
                ("queuelen", U32(0)),
                ("queuemax", U32(0)),
            ];
            if op == NetOp::Accept {
                ((246, Vec::new()), (247, x))
            } else {
                ((248, vec![("flags", Param::I32(0))]), (249, x))
            }
        }
        NetOp::Sendto | NetOp::Sendmsg | NetOp::Recvfrom | NetOp::Recvmsg => return None,
    })
}

/// Creates a capture file for writing, gzip-compressed when its name ends in `.gz`.
pub fn create_file(path: &std::path::Path) -> io::Result<Box<dyn Write>> {
    let f = io::BufWriter::with_capacity(256 << 10, std::fs::File::create(path)?);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        Ok(Box::new(flate2::write::GzEncoder::new(
            f,
            flate2::Compression::default(),
        )))
    } else {
        Ok(Box::new(f))
    }
}
