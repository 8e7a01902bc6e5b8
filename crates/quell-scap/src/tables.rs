//! The tables a capture carries before its events: machine info, threads (process list),
//! open fds, users and groups, network interfaces. Layouts follow libscap's savefile reader
//! (`scap_savefile.c`), versions 1 to 9 of the process list, 1 and 2 of the others.
//! Every read is bounds-checked against the block body; an entry that runs past it is an
//! error naming the block, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{At, ScapError};

/// A bounds-checked little-endian cursor over a block body.
pub(crate) struct Cur<'a> {
    b: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cur<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Cur { b, pos: 0 }
    }
    pub(crate) fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn arr<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|s| s.try_into().ok())
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.arr::<1>().map(|a| a[0])
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.arr().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.arr().map(u32::from_le_bytes)
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.arr().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.arr().map(i64::from_le_bytes)
    }
    /// A `u16` length and that many bytes (not NUL-terminated on disk).
    fn str16(&mut self) -> Option<String> {
        let n = self.u16()? as usize;
        self.take(n).map(lossy)
    }
    fn bytes16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }
    fn ipv4(&mut self) -> Option<Ipv4Addr> {
        // Stored as in memory: network byte order.
        self.arr::<4>().map(Ipv4Addr::from)
    }
    fn ipv6(&mut self) -> Option<Ipv6Addr> {
        self.arr::<16>().map(Ipv6Addr::from)
    }
}

/// Text from capture bytes: a trailing NUL dropped, invalid UTF-8 replaced.
pub(crate) fn lossy(b: &[u8]) -> String {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    String::from_utf8_lossy(b).into_owned()
}

/// NUL-separated strings (argv, environment, cgroups), empty trailing part dropped: the
/// live capture's one splitter, which reads the same layout from the kernel.
pub use quell_capture::wire::split_args as split_nul;

/// The section header: format version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// Major version (1).
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Bytes of pcapng options after the fixed header (skipped; libscap writes none, some
    /// tools add comments).
    pub options_len: usize,
}

/// The machine the capture was taken on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Machine {
    /// CPUs.
    pub num_cpus: u32,
    /// Memory in bytes.
    pub memory_bytes: u64,
    /// Highest pid.
    pub max_pid: u64,
    /// Host name.
    pub hostname: String,
    /// Boot time, ns since the epoch (0 when the writer predates the field).
    pub boot_ts_epoch: u64,
}

/// One thread of the process list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadEntry {
    /// Thread id.
    pub tid: i64,
    /// Process (thread group) id.
    pub pid: i64,
    /// Parent's thread id.
    pub ptid: i64,
    /// Session id (version 6 on).
    pub sid: Option<i64>,
    /// Process group id in its namespace (version 8 on).
    pub vpgid: Option<i64>,
    /// Command name (`comm`).
    pub comm: String,
    /// `argv[0]`.
    pub exe: String,
    /// Full executable path (version 7 on).
    pub exepath: Option<String>,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// fd limit.
    pub fdlimit: u64,
    /// Thread flags.
    pub flags: u32,
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// Environment (version 3 on).
    pub env: Vec<String>,
    /// Thread id in its pid namespace (version 4 on).
    pub vtid: Option<i64>,
    /// Process id in its pid namespace (version 4 on).
    pub vpid: Option<i64>,
    /// `subsys=path` cgroups (version 4 on).
    pub cgroups: Vec<String>,
    /// Root directory (version 5 on).
    pub root: Option<String>,
    /// Start time of the pid namespace's init (version 9, libs 0.10 on).
    pub pidns_init_start_ts: Option<u64>,
    /// Controlling terminal (version 9, libs 0.10 on).
    pub tty: Option<u32>,
    /// Login uid (version 9).
    pub loginuid: Option<u32>,
    /// Effective capabilities (version 9).
    pub cap_effective: Option<u64>,
}

/// What an fd of the fd list is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdTarget {
    /// IPv4 socket with both ends.
    Ipv4 {
        /// Source address and port.
        src: (Ipv4Addr, u16),
        /// Destination address and port.
        dst: (Ipv4Addr, u16),
        /// Layer-4 protocol code.
        l4: u8,
    },
    /// Listening IPv4 socket.
    Ipv4Server {
        /// Local address and port.
        local: (Ipv4Addr, u16),
        /// Layer-4 protocol code.
        l4: u8,
    },
    /// IPv6 socket with both ends.
    Ipv6 {
        /// Source address and port.
        src: (Ipv6Addr, u16),
        /// Destination address and port.
        dst: (Ipv6Addr, u16),
        /// Layer-4 protocol code.
        l4: u8,
    },
    /// Listening IPv6 socket.
    Ipv6Server {
        /// Local address and port.
        local: (Ipv6Addr, u16),
        /// Layer-4 protocol code.
        l4: u8,
    },
    /// Unix socket.
    Unix {
        /// Kernel address of this end.
        source: u64,
        /// Kernel address of the peer.
        dest: u64,
        /// Path, when bound.
        path: String,
    },
    /// A file, with its open flags when the writer recorded them (`FILE_V2`).
    File {
        /// Open flags (libscap's PPM_O_* bits).
        open_flags: Option<u32>,
        /// Path.
        name: String,
    },
    /// Another kind with a name: `code` is libscap's fd type (2 directory, 7 fifo, 9 event,
    /// 10 unsupported, 11 signalfd, 12 eventpoll, 13 inotify, 14 timerfd, 15 netlink, 17 bpf,
    /// 18 userfaultfd, 19 io_uring, 20 memfd, 21 pidfd).
    Named {
        /// fd type code.
        code: u8,
        /// Name.
        name: String,
    },
    /// An fd type this reader does not know (its payload length is unknown, so the rest of a
    /// version-1 block is not read).
    Unknown(u8),
}

/// One open fd of one process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdEntry {
    /// Owning thread (process).
    pub tid: i64,
    /// fd number.
    pub fd: i64,
    /// Inode.
    pub ino: u64,
    /// What it is.
    pub target: FdTarget,
}

/// A user of the user list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// Name.
    pub name: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

/// A group of the user list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// gid.
    pub gid: u32,
    /// Name.
    pub name: String,
}

/// A network interface address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Interface name.
    pub name: String,
    /// Address.
    pub addr: IpAddr,
    /// Netmask.
    pub netmask: IpAddr,
}

/// Everything a capture section says before (and, for later sections, between) its events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    /// Section header.
    pub section: Section,
    /// Machine info, when present.
    pub machine: Option<Machine>,
    /// Threads at capture start.
    pub threads: Vec<ThreadEntry>,
    /// Their open fds.
    pub fds: Vec<FdEntry>,
    /// Users.
    pub users: Vec<User>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Interface addresses.
    pub interfaces: Vec<Interface>,
}

fn short(at: At, what: &str, entry: usize) -> ScapError {
    ScapError::corrupt(at, format!("entry {entry} ends inside its {what}"))
}

pub(crate) fn machine(at: At, body: &[u8]) -> Result<Machine, ScapError> {
    let mut c = Cur::new(body);
    let err = |f: &str| ScapError::corrupt(at, format!("machine info ends inside its {f}"));
    let num_cpus = c.u32().ok_or_else(|| err("cpu count"))?;
    let memory_bytes = c.u64().ok_or_else(|| err("memory size"))?;
    let max_pid = c.u64().ok_or_else(|| err("max pid"))?;
    let host = c.take(128).ok_or_else(|| err("host name"))?;
    let end = host.iter().position(|&b| b == 0).unwrap_or(host.len());
    let hostname = String::from_utf8_lossy(host.get(..end).unwrap_or(host)).into_owned();
    // Older writers end here; the boot time came later.
    let boot_ts_epoch = c.u64().unwrap_or(0);
    Ok(Machine {
        num_cpus,
        memory_bytes,
        max_pid,
        hostname,
        boot_ts_epoch,
    })
}

/// Process-list version from the block type (1..=9).
pub(crate) fn proclist_version(block_type: u32) -> Option<u8> {
    Some(match block_type {
        0x202 | 0x8000_ABCD => 1,
        0x207 | 0x8013_ABCD => 2,
        0x209 | 0x8014_ABCD => 3,
        0x210 => 4,
        0x211 => 5,
        0x212 => 6,
        0x213 => 7,
        0x214 => 8,
        0x215 => 9,
        _ => return None,
    })
}

pub(crate) fn proclist(
    at: At,
    version: u8,
    body: &[u8],
    out: &mut Vec<ThreadEntry>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body);
    let mut n = 0usize;
    // Entries are at least 24 bytes; what is left after the last one is padding (< 4 bytes).
    while c.remaining() >= 4 {
        let start = c.pos;
        let sub_len = if version >= 9 {
            Some(c.u32().ok_or_else(|| short(at, "length", n))? as usize)
        } else {
            None
        };
        let e = proc_entry(&mut c, version, sub_len.map(|l| start.saturating_add(l)))
            .ok_or_else(|| short(at, "fields", n))?;
        if let Some(l) = sub_len {
            let consumed = c.pos - start;
            if consumed > l {
                return Err(ScapError::corrupt(
                    at,
                    format!(
                        "entry {n} (tid {}) is {consumed} bytes, its length says {l}",
                        e.tid
                    ),
                ));
            }
            c.take(l - consumed)
                .ok_or_else(|| short(at, "unknown trailing fields", n))?;
        }
        out.push(e);
        n += 1;
    }
    Ok(())
}

fn proc_entry(c: &mut Cur<'_>, v: u8, end: Option<usize>) -> Option<ThreadEntry> {
    let mut e = ThreadEntry {
        tid: c.i64()?,
        pid: c.i64()?,
        ptid: c.i64()?,
        ..ThreadEntry::default()
    };
    if v >= 6 {
        e.sid = Some(c.i64()?);
    }
    if v >= 8 {
        e.vpgid = Some(c.i64()?);
    }
    e.comm = c.str16()?;
    e.exe = c.str16()?;
    if v >= 7 {
        e.exepath = Some(c.str16()?);
    }
    e.args = split_nul(c.bytes16()?);
    e.cwd = c.str16()?;
    e.fdlimit = c.u64()?;
    e.flags = c.u32()?;
    e.uid = c.u32()?;
    e.gid = c.u32()?;
    if v >= 2 {
        let _vmsize = c.u32()?;
        let _vmrss = c.u32()?;
        let _vmswap = c.u32()?;
        let _pfmajor = c.u64()?;
        let _pfminor = c.u64()?;
        if v >= 3 {
            e.env = split_nul(c.bytes16()?);
        }
        if v >= 4 {
            e.vtid = Some(c.i64()?);
            e.vpid = Some(c.i64()?);
            e.cgroups = split_nul(c.bytes16()?);
            if v >= 5 {
                e.root = Some(c.str16()?);
            }
        }
    }
    // Version 9 optional fields, each present only if the entry's length covers it. Writers
    // of libs < 0.10 put loginuid, exe_writable and three capability sets (29 bytes) here;
    // later ones put pidns_init_start_ts and tty first.
    let Some(end) = end else { return Some(e) };
    let fits = |c: &Cur<'_>, n: usize| c.pos + n <= end;
    if end.saturating_sub(c.pos) > 29 {
        if fits(c, 8) {
            e.pidns_init_start_ts = Some(c.u64()?);
        }
        if fits(c, 4) {
            e.tty = Some(c.u32()?);
        }
    }
    if fits(c, 4) {
        e.loginuid = Some(c.u32()?);
    }
    if fits(c, 1) {
        let _exe_writable = c.u8()?;
    }
    if fits(c, 8) {
        let _inh = c.u64()?;
    }
    if fits(c, 8) {
        let _perm = c.u64()?;
    }
    if fits(c, 8) {
        e.cap_effective = Some(c.u64()?);
    }
    Some(e)
}

pub(crate) fn fdlist(
    at: At,
    v2: bool,
    body: &[u8],
    out: &mut Vec<FdEntry>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body);
    let tid = c
        .i64()
        .ok_or_else(|| ScapError::corrupt(at, "fd list ends inside its thread id"))?;
    let mut n = 0usize;
    while c.remaining() >= 4 {
        let start = c.pos;
        let sub_len = if v2 {
            Some(c.u32().ok_or_else(|| short(at, "length", n))? as usize)
        } else {
            None
        };
        let fd = c.i64().ok_or_else(|| short(at, "fd number", n))?;
        let ino = c.u64().ok_or_else(|| short(at, "inode", n))?;
        let code = c.u8().ok_or_else(|| short(at, "type", n))?;
        let target = fd_target(&mut c, code, sub_len.map(|l| start.saturating_add(l)))
            .ok_or_else(|| short(at, "payload", n))?;
        let unknown = matches!(target, FdTarget::Unknown(_));
        out.push(FdEntry {
            tid,
            fd,
            ino,
            target,
        });
        n += 1;
        match sub_len {
            Some(l) => {
                let consumed = c.pos - start;
                if consumed > l {
                    return Err(ScapError::corrupt(
                        at,
                        format!("entry {n} (fd {fd}) is {consumed} bytes, its length says {l}"),
                    ));
                }
                c.take(l - consumed)
                    .ok_or_else(|| short(at, "unknown trailing fields", n))?;
            }
            // Without entry lengths an unknown type's payload cannot be skipped.
            None if unknown => break,
            None => {}
        }
    }
    Ok(())
}

fn fd_target(c: &mut Cur<'_>, code: u8, end: Option<usize>) -> Option<FdTarget> {
    Some(match code {
        3 => {
            let (sip, dip) = (c.ipv4()?, c.ipv4()?);
            let (sp, dp) = (c.u16()?, c.u16()?);
            FdTarget::Ipv4 {
                src: (sip, sp),
                dst: (dip, dp),
                l4: c.u8()?,
            }
        }
        5 => {
            let ip = c.ipv4()?;
            let port = c.u16()?;
            FdTarget::Ipv4Server {
                local: (ip, port),
                l4: c.u8()?,
            }
        }
        4 => {
            let (sip, dip) = (c.ipv6()?, c.ipv6()?);
            let (sp, dp) = (c.u16()?, c.u16()?);
            FdTarget::Ipv6 {
                src: (sip, sp),
                dst: (dip, dp),
                l4: c.u8()?,
            }
        }
        6 => {
            let ip = c.ipv6()?;
            let port = c.u16()?;
            FdTarget::Ipv6Server {
                local: (ip, port),
                l4: c.u8()?,
            }
        }
        8 => FdTarget::Unix {
            source: c.u64()?,
            dest: c.u64()?,
            path: c.str16()?,
        },
        16 => {
            let open_flags = Some(c.u32()?);
            let name = c.str16()?;
            if end.is_some_and(|e| c.pos + 4 <= e) {
                let _dev = c.u32()?;
            }
            FdTarget::File { open_flags, name }
        }
        1 => FdTarget::File {
            open_flags: None,
            name: c.str16()?,
        },
        2 | 7 | 9..=15 | 17..=21 => FdTarget::Named {
            code,
            name: c.str16()?,
        },
        other => FdTarget::Unknown(other),
    })
}

pub(crate) fn userlist(
    at: At,
    v2: bool,
    body: &[u8],
    users: &mut Vec<User>,
    groups: &mut Vec<Group>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body);
    let mut n = 0usize;
    while c.remaining() >= 4 {
        let start = c.pos;
        let sub_len = if v2 {
            Some(c.u32().ok_or_else(|| short(at, "length", n))? as usize)
        } else {
            None
        };
        let kind = c.u8().ok_or_else(|| short(at, "type", n))?;
        if kind == 0 {
            let u = (|| {
                Some(User {
                    uid: c.u32()?,
                    gid: c.u32()?,
                    name: c.str16()?,
                    home: c.str16()?,
                    shell: c.str16()?,
                })
            })()
            .ok_or_else(|| short(at, "user fields", n))?;
            users.push(u);
        } else {
            let g = (|| {
                Some(Group {
                    gid: c.u32()?,
                    name: c.str16()?,
                })
            })()
            .ok_or_else(|| short(at, "group fields", n))?;
            groups.push(g);
        }
        if let Some(l) = sub_len {
            let consumed = c.pos - start;
            if consumed > l {
                return Err(ScapError::corrupt(
                    at,
                    format!("entry {n} is {consumed} bytes, its length says {l}"),
                ));
            }
            c.take(l - consumed)
                .ok_or_else(|| short(at, "unknown trailing fields", n))?;
        }
        n += 1;
    }
    Ok(())
}

pub(crate) fn iflist(
    at: At,
    v2: bool,
    body: &[u8],
    out: &mut Vec<Interface>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body);
    let mut n = 0usize;
    while c.remaining() >= 4 {
        // Version 2 entries start with their length, not counting the length itself.
        let end = if v2 {
            let l = c.u32().ok_or_else(|| short(at, "length", n))? as usize;
            Some(c.pos.saturating_add(l))
        } else {
            None
        };
        let kind = c.u16().ok_or_else(|| short(at, "type", n))?;
        let namelen = c.u16().ok_or_else(|| short(at, "name length", n))? as usize;
        let (addr, netmask, speed) = match kind {
            1 | 3 => {
                let a = c.ipv4().ok_or_else(|| short(at, "address", n))?;
                let m = c.ipv4().ok_or_else(|| short(at, "netmask", n))?;
                c.ipv4().ok_or_else(|| short(at, "broadcast", n))?;
                (IpAddr::V4(a), IpAddr::V4(m), kind == 1)
            }
            2 | 4 => {
                let a = c.ipv6().ok_or_else(|| short(at, "address", n))?;
                let m = c.ipv6().ok_or_else(|| short(at, "netmask", n))?;
                c.ipv6().ok_or_else(|| short(at, "broadcast", n))?;
                (IpAddr::V6(a), IpAddr::V6(m), kind == 2)
            }
            other => {
                return Err(ScapError::corrupt(
                    at,
                    format!("entry {n} has unknown interface type {other}"),
                ))
            }
        };
        if speed {
            c.u64().ok_or_else(|| short(at, "link speed", n))?;
        }
        let name = c.take(namelen).ok_or_else(|| short(at, "name", n))?;
        out.push(Interface {
            name: lossy(name),
            addr,
            netmask,
        });
        if let Some(e) = end {
            if c.pos > e {
                return Err(ScapError::corrupt(
                    at,
                    format!("entry {n} runs past its stated length"),
                ));
            }
            c.take(e - c.pos)
                .ok_or_else(|| short(at, "unknown trailing fields", n))?;
        }
        n += 1;
    }
    Ok(())
}
