//! Decoding of the records the BPF program writes into its ring buffers.
//!
//! Layout (little-endian, mirrored from `src/bpf/quell.bpf.c`): a 104-byte
//! header `struct qhdr`, then up to [`BLOBS`] blobs back to back whose lengths
//! are in the header. Every read is bounds-checked: a malformed record is an
//! error, never a panic.
//!
//! [`parse`] splits the bytes into a [`RawRecord`] (header and blobs);
//! [`decode`] goes on to the typed [`Record`]: the one place that knows
//! which raw argument or blob of which syscall holds what.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::flags;
use crate::record::{Body, DupCall, Exec, Fork, NetOp, OpenCall, Record, RenameCall, Syscall};

pub use crate::table::{BLOBS, HDR_LEN, PROC_EXT_LEN, PROC_LEN, PROC_WITH_COMM_LEN, TUPLE_LEN};
use crate::table::{HDR_BLOB_LEN_OFF, HDR_KIND_OFF};

/// `qproc.flags`: whether the executable is in an overlayfs upper layer is known.
pub const QP_UPPER_KNOWN: u32 = 1;
/// `qproc.flags`: the executable is in an overlayfs upper layer.
pub const QP_UPPER: u32 = 2;

/// What produced a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A syscall exit (raw tracepoint `sys_exit`).
    Syscall,
    /// `sched_process_exec`: a successful execve/execveat.
    Exec,
    /// `sched_process_fork`: a new task.
    Fork,
    /// `sched_process_exit`: the end of a process.
    Exit,
}

/// A decoding failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the header needs.
    #[error("record of {0} bytes is shorter than the {HDR_LEN}-byte header")]
    Short(usize),
    /// Unknown record kind.
    #[error("unknown record kind {0}")]
    Kind(u16),
    /// A syscall number quell does not decode.
    #[error("syscall record of unknown syscall number {0}")]
    Syscall(u16),
    /// The blob lengths run past the end of the record.
    #[error(
        "blob {index} ({len} bytes at offset {offset}) runs past the end of a {total}-byte record"
    )]
    Blob {
        /// Blob slot.
        index: usize,
        /// Its length.
        len: usize,
        /// Its offset.
        offset: usize,
        /// Record length.
        total: usize,
    },
}

/// One record split into header fields and blobs, borrowing the blobs from
/// the ring buffer bytes ([`RawRecord::decode`] gives their meaning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// Nanoseconds since boot (`CLOCK_BOOTTIME`).
    pub ts_boot: u64,
    /// cgroup v2 id of the task.
    pub cgroup_id: u64,
    /// Syscall return value; child tid for forks; exit code for exits.
    pub res: i64,
    /// Raw syscall arguments (exec: `args[0]` = old pid; fork: `args[0]` = child tgid).
    pub args: [u64; 6],
    /// Thread id.
    pub tid: u32,
    /// Thread-group (process) id.
    pub tgid: u32,
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// Record kind.
    pub kind: Kind,
    /// x86_64 syscall number (syscall records; 59 for exec).
    pub sysno: u16,
    /// The blobs, empty when absent.
    pub blobs: [&'a [u8]; BLOBS],
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    b.get(o..o + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .unwrap_or(0)
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    b.get(o..o + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    b.get(o..o + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

/// Decodes one record into its typed form.
pub fn decode(b: &[u8]) -> Result<Record, WireError> {
    parse(b)?.decode()
}

/// Splits one record into header fields and blobs.
pub fn parse(b: &[u8]) -> Result<RawRecord<'_>, WireError> {
    if b.len() < HDR_LEN {
        return Err(WireError::Short(b.len()));
    }
    let kind = match u16_at(b, HDR_KIND_OFF) {
        0 => Kind::Syscall,
        1 => Kind::Exec,
        2 => Kind::Fork,
        3 => Kind::Exit,
        k => return Err(WireError::Kind(k)),
    };
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64_at(b, 24 + 8 * i);
    }
    let mut blobs: [&[u8]; BLOBS] = [&[]; BLOBS];
    let mut off = HDR_LEN;
    for (i, blob) in blobs.iter_mut().enumerate() {
        let len = u16_at(b, HDR_BLOB_LEN_OFF + 2 * i) as usize;
        let end = off
            .checked_add(len)
            .filter(|&e| e <= b.len())
            .ok_or(WireError::Blob {
                index: i,
                len,
                offset: off,
                total: b.len(),
            })?;
        *blob = &b[off..end];
        off = end;
    }
    Ok(RawRecord {
        ts_boot: u64_at(b, 0),
        cgroup_id: u64_at(b, 8),
        res: u64_at(b, 16) as i64,
        args,
        tid: u32_at(b, 72),
        tgid: u32_at(b, 76),
        uid: u32_at(b, 80),
        gid: u32_at(b, 84),
        kind,
        sysno: u16_at(b, HDR_KIND_OFF + 2),
        blobs,
    })
}

impl RawRecord<'_> {
    /// The record's meaning: which argument or blob of the call holds what.
    pub fn decode(&self) -> Result<Record, WireError> {
        let body = match self.kind {
            Kind::Exec => Body::Exec(Exec {
                execveat: self.sysno == 322,
                filename: blob_str(self.blobs[0]),
                argv: split_args(self.blobs[1]),
                comm: self.blobs[2]
                    .get(PROC_LEN..)
                    .map(blob_str)
                    .filter(|c| !c.is_empty()),
                exe_dentry: blob_str(self.blobs[3]),
                info: ProcInfo::parse(self.blobs[2]),
            }),
            Kind::Fork => Body::Fork(Fork {
                child_tid: self.res,
                child_tgid: self.args[0] as u32,
                info: ProcInfo::parse(self.blobs[0]),
            }),
            Kind::Exit => Body::Exit { status: self.res },
            Kind::Syscall => Body::Syscall {
                res: self.res,
                call: self.syscall()?,
            },
        };
        Ok(Record {
            ts_boot: self.ts_boot,
            cgroup_id: self.cgroup_id,
            tid: self.tid,
            tgid: self.tgid,
            uid: self.uid,
            gid: self.gid,
            body,
        })
    }

    fn syscall(&self) -> Result<Syscall, WireError> {
        let name = crate::syscalls::name_of(self.sysno).ok_or(WireError::Syscall(self.sysno))?;
        let a = self.args;
        let fd = |x: u64| i64::from(x as i32);
        let s0 = || blob_str(self.blobs[0]);
        let s1 = || blob_str(self.blobs[1]);
        let tuple = || Tuple::parse(self.blobs[1]);
        let net = |op: NetOp, fd: i64, addr: bool| Syscall::Net {
            op,
            fd,
            addr: if addr {
                SockAddr::parse(self.blobs[0])
            } else {
                None
            },
            tuple: tuple(),
        };
        Ok(match name {
            "open" => Syscall::Open {
                call: OpenCall::Open,
                dirfd: flags::AT_FDCWD,
                path: s0(),
                flags: a[1],
                mode: a[2],
            },
            "openat" => Syscall::Open {
                call: OpenCall::Openat,
                dirfd: fd(a[0]),
                path: s0(),
                flags: a[2],
                mode: a[3],
            },
            "openat2" => {
                // struct open_how { u64 flags; u64 mode; u64 resolve; }
                let how = |o: usize| u64_at(self.blobs[1], o);
                Syscall::Open {
                    call: OpenCall::Openat2,
                    dirfd: fd(a[0]),
                    path: s0(),
                    flags: how(0),
                    mode: how(8),
                }
            }
            "creat" => Syscall::Open {
                call: OpenCall::Creat,
                dirfd: flags::AT_FDCWD,
                path: s0(),
                flags: flags::O_CREAT | flags::O_WRONLY | flags::O_TRUNC,
                mode: a[1],
            },
            "close" => Syscall::Close { fd: a[0] as u32 },
            "close_range" => Syscall::CloseRange {
                first: a[0] as u32,
                last: a[1] as u32,
                flags: a[2],
            },
            "pipe" | "pipe2" => Syscall::Pipe {
                pipe2: name == "pipe2",
                flags: if name == "pipe2" { a[1] } else { 0 },
                fds: [fd(a[4]), fd(a[5])],
                ino: a[3],
            },
            "socketpair" => Syscall::Socketpair {
                domain: a[0] as u16,
                sock_type: a[1],
                proto: a[2] as u32,
                fds: [fd(a[4]), fd(a[5])],
            },
            "memfd_create" => Syscall::MemfdCreate {
                name: s0(),
                flags: a[1],
            },
            "dup" | "dup2" | "dup3" => Syscall::Dup {
                call: match name {
                    "dup" => DupCall::Dup,
                    "dup2" => DupCall::Dup2,
                    _ => DupCall::Dup3,
                },
                oldfd: fd(a[0]),
                newfd: fd(a[1]),
                flags: if name == "dup3" { a[2] } else { 0 },
            },
            "fcntl" => Syscall::Fcntl {
                fd: fd(a[0]),
                cmd: a[1],
            },
            "chdir" => Syscall::Chdir { path: s0() },
            "fchdir" => Syscall::Fchdir { fd: fd(a[0]) },
            "unlink" => Syscall::Unlink { path: s0() },
            "rmdir" => Syscall::Rmdir { path: s0() },
            "unlinkat" => Syscall::Unlinkat {
                dirfd: fd(a[0]),
                path: s0(),
                flags: a[2],
            },
            "mkdir" => Syscall::Mkdir {
                path: s0(),
                mode: a[1],
            },
            "mkdirat" => Syscall::Mkdirat {
                dirfd: fd(a[0]),
                path: s0(),
                mode: a[2],
            },
            "chmod" => Syscall::Chmod {
                path: s0(),
                mode: a[1],
            },
            "fchmodat" | "fchmodat2" => Syscall::Fchmodat {
                dirfd: fd(a[0]),
                path: s0(),
                mode: a[2],
            },
            "fchmod" => Syscall::Fchmod {
                fd: fd(a[0]),
                mode: a[1],
            },
            "rename" | "renameat" | "renameat2" => {
                let at = name != "rename";
                Syscall::Rename {
                    call: match name {
                        "rename" => RenameCall::Rename,
                        "renameat" => RenameCall::Renameat,
                        _ => RenameCall::Renameat2,
                    },
                    olddirfd: if at { fd(a[0]) } else { flags::AT_FDCWD },
                    oldpath: s0(),
                    newdirfd: if at { fd(a[2]) } else { flags::AT_FDCWD },
                    newpath: s1(),
                }
            }
            "link" | "linkat" => {
                let at = name == "linkat";
                Syscall::Link {
                    linkat: at,
                    olddirfd: if at { fd(a[0]) } else { flags::AT_FDCWD },
                    oldpath: s0(),
                    newdirfd: if at { fd(a[2]) } else { flags::AT_FDCWD },
                    newpath: s1(),
                }
            }
            "symlink" | "symlinkat" => {
                let at = name == "symlinkat";
                Syscall::Symlink {
                    symlinkat: at,
                    target: s0(),
                    linkdirfd: if at { fd(a[1]) } else { flags::AT_FDCWD },
                    linkpath: s1(),
                }
            }
            "socket" => Syscall::Socket {
                domain: a[0] as u16,
                sock_type: a[1],
                proto: a[2] as u32,
            },
            "bind" => net(NetOp::Bind, fd(a[0]), true),
            "connect" => net(NetOp::Connect, fd(a[0]), true),
            "listen" => net(
                NetOp::Listen {
                    backlog: a[1] as i32,
                },
                fd(a[0]),
                false,
            ),
            "sendto" => net(NetOp::Sendto, fd(a[0]), true),
            "sendmsg" => net(NetOp::Sendmsg, fd(a[0]), false),
            "recvfrom" => net(NetOp::Recvfrom, fd(a[0]), false),
            "recvmsg" => net(NetOp::Recvmsg, fd(a[0]), false),
            "accept" => net(NetOp::Accept, self.res, false),
            "accept4" => net(NetOp::Accept4, self.res, false),
            "ptrace" => Syscall::Ptrace {
                request: a[0],
                pid: a[1] as i32,
                addr: a[2],
                data: a[3],
            },
            "setuid" => Syscall::Setuid { uid: a[0] as u32 },
            "setgid" => Syscall::Setgid { gid: a[0] as u32 },
            "setreuid" => Syscall::Setreuid {
                ruid: a[0] as u32,
                euid: a[1] as u32,
            },
            "setregid" => Syscall::Setregid {
                rgid: a[0] as u32,
                egid: a[1] as u32,
            },
            "setresuid" => Syscall::Setresuid {
                ruid: a[0] as u32,
                euid: a[1] as u32,
                suid: a[2] as u32,
            },
            "setresgid" => Syscall::Setresgid {
                rgid: a[0] as u32,
                egid: a[1] as u32,
                sgid: a[2] as u32,
            },
            "setns" => Syscall::Setns {
                fd: fd(a[0]),
                nstype: a[1],
            },
            "unshare" => Syscall::Unshare { flags: a[0] },
            "bpf" => Syscall::Bpf { cmd: a[0] as i32 },
            "init_module" => Syscall::InitModule,
            "finit_module" => Syscall::FinitModule { fd: fd(a[0]) },
            "userfaultfd" => Syscall::Userfaultfd { flags: a[0] as i32 },
            "execve" | "execveat" => Syscall::Execve {
                execveat: name == "execveat",
                filename: s0(),
            },
            _ => return Err(WireError::Syscall(self.sysno)),
        })
    }
}

/// Text of a NUL-terminated string blob (lossy UTF-8, up to the first NUL).
pub fn blob_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Splits a NUL-separated argument area (`mm->arg_start..arg_end`) into arguments.
pub fn split_args(b: &[u8]) -> Vec<String> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// Process details carried by exec and fork records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcInfo {
    /// Parent process id (`real_parent->tgid`).
    pub ppid: u32,
    /// Login uid (`u32::MAX` when unset).
    pub loginuid: u32,
    /// Controlling terminal, encoded as in `/proc/PID/stat` `tty_nr`.
    pub tty: u32,
    /// Session id in the task's pid namespace.
    pub sid: u32,
    /// Process id in the task's pid namespace.
    pub vpid: u32,
    /// Thread id in the task's pid namespace.
    pub vtid: u32,
    /// Depth of the task's pid namespace (0 = initial).
    pub pidns_level: u32,
    /// Real uid.
    pub ruid: u32,
    /// Real gid.
    pub rgid: u32,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Inode number of the executable.
    pub exe_ino: u64,
    /// Task start time, ns since boot (monotonic).
    pub start_time: u64,
    /// Whether the executable is in an overlayfs upper layer (exec records;
    /// `None` when the kernel could not tell).
    pub exe_upper_layer: Option<bool>,
    /// The executable's ctime, ns since the epoch (exec records; 0 unknown).
    pub exe_ctime: u64,
    /// The executable's mtime, ns since the epoch (exec records; 0 unknown).
    pub exe_mtime: u64,
}

impl ProcInfo {
    /// Decodes `struct qproc`; `None` when the blob is too short.
    pub fn parse(b: &[u8]) -> Option<ProcInfo> {
        if b.len() < PROC_LEN {
            return None;
        }
        let flags = u32_at(b, 36);
        Some(ProcInfo {
            exe_upper_layer: (flags & QP_UPPER_KNOWN != 0).then_some(flags & QP_UPPER != 0),
            exe_ctime: u64_at(b, PROC_WITH_COMM_LEN),
            exe_mtime: u64_at(b, PROC_WITH_COMM_LEN + 8),
            ppid: u32_at(b, 0),
            loginuid: u32_at(b, 4),
            tty: u32_at(b, 8),
            sid: u32_at(b, 12),
            vpid: u32_at(b, 16),
            vtid: u32_at(b, 20),
            pidns_level: u32_at(b, 24),
            ruid: u32_at(b, 28),
            rgid: u32_at(b, 32),
            cap_inheritable: u64_at(b, 40),
            cap_permitted: u64_at(b, 48),
            cap_effective: u64_at(b, 56),
            exe_ino: u64_at(b, 64),
            start_time: u64_at(b, 72),
        })
    }
}

/// A socket's addresses, read from the kernel socket behind an fd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuple {
    /// Address family (2 = AF_INET, 10 = AF_INET6, 1 = AF_UNIX).
    pub family: u16,
    /// Socket type (1 = SOCK_STREAM, 2 = SOCK_DGRAM, 3 = SOCK_RAW).
    pub sock_type: u16,
    /// Protocol (6 = TCP, 17 = UDP, ...).
    pub proto: u16,
    /// Local address.
    pub laddr: IpAddr,
    /// Local port.
    pub lport: u16,
    /// Remote address.
    pub raddr: IpAddr,
    /// Remote port.
    pub rport: u16,
}

impl Tuple {
    /// Decodes `struct qtuple`; `None` when too short.
    pub fn parse(b: &[u8]) -> Option<Tuple> {
        if b.len() < TUPLE_LEN {
            return None;
        }
        let family = u16_at(b, 0);
        let addr = |o: usize| -> IpAddr {
            if family == 10 {
                let mut a = [0u8; 16];
                a.copy_from_slice(&b[o..o + 16]);
                IpAddr::V6(Ipv6Addr::from(a))
            } else {
                IpAddr::V4(Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]))
            }
        };
        Some(Tuple {
            family,
            sock_type: u16_at(b, 2),
            proto: u16_at(b, 4),
            lport: u16_at(b, 6),
            rport: u16_at(b, 8),
            laddr: addr(12),
            raddr: addr(28),
        })
    }
}

/// A socket address read from user memory (`struct sockaddr_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// AF_INET / AF_INET6 address and port.
    Ip(IpAddr, u16),
    /// AF_UNIX path (abstract names start with `@`).
    Unix(String),
    /// Another family.
    Other(u16),
}

impl SockAddr {
    /// Decodes a user `struct sockaddr`; `None` when too short.
    pub fn parse(b: &[u8]) -> Option<SockAddr> {
        let family = u16::from_le_bytes(b.get(0..2)?.try_into().ok()?);
        match family {
            2 => {
                let port = u16::from_be_bytes(b.get(2..4)?.try_into().ok()?);
                let ip: [u8; 4] = b.get(4..8)?.try_into().ok()?;
                Some(SockAddr::Ip(IpAddr::V4(Ipv4Addr::from(ip)), port))
            }
            10 => {
                let port = u16::from_be_bytes(b.get(2..4)?.try_into().ok()?);
                let ip: [u8; 16] = b.get(8..24)?.try_into().ok()?;
                Some(SockAddr::Ip(IpAddr::V6(Ipv6Addr::from(ip)), port))
            }
            1 => {
                let path = b.get(2..).unwrap_or(&[]);
                if path.first() == Some(&0) {
                    let rest = &path[1..];
                    let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
                    Some(SockAddr::Unix(format!(
                        "@{}",
                        String::from_utf8_lossy(&rest[..end])
                    )))
                } else {
                    Some(SockAddr::Unix(blob_str(path)))
                }
            }
            f => Some(SockAddr::Other(f)),
        }
    }
}

/// Builds a record (for tests of the decoder and the state engine).
#[cfg(test)]
pub(crate) fn build(
    kind: u16,
    sysno: u16,
    tid: u32,
    tgid: u32,
    res: i64,
    args: [u64; 6],
    blobs: &[&[u8]],
) -> Vec<u8> {
    let mut b = vec![0u8; HDR_LEN];
    b[0..8].copy_from_slice(&1_000u64.to_le_bytes());
    b[16..24].copy_from_slice(&res.to_le_bytes());
    for (i, a) in args.iter().enumerate() {
        b[24 + 8 * i..32 + 8 * i].copy_from_slice(&a.to_le_bytes());
    }
    b[72..76].copy_from_slice(&tid.to_le_bytes());
    b[76..80].copy_from_slice(&tgid.to_le_bytes());
    b[88..90].copy_from_slice(&kind.to_le_bytes());
    b[90..92].copy_from_slice(&sysno.to_le_bytes());
    for (i, bl) in blobs.iter().enumerate().take(BLOBS) {
        b[92 + 2 * i..94 + 2 * i].copy_from_slice(&(bl.len() as u16).to_le_bytes());
    }
    for bl in blobs.iter().take(BLOBS) {
        b.extend_from_slice(bl);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_header_and_blobs() {
        let b = build(
            0,
            257,
            10,
            9,
            3,
            [0xffffff9c, 0x1000, 0o1101, 0o644, 0, 0],
            &[b"/tmp/x\0", b"ab"],
        );
        let r = parse(&b).unwrap();
        assert_eq!(r.kind, Kind::Syscall);
        assert_eq!(r.sysno, 257);
        assert_eq!((r.tid, r.tgid, r.res), (10, 9, 3));
        assert_eq!(r.args[2], 0o1101);
        assert_eq!(blob_str(r.blobs[0]), "/tmp/x");
        assert_eq!(r.blobs[1], b"ab");
        assert!(r.blobs[2].is_empty());
    }

    #[test]
    fn rejects_short_and_overlong() {
        assert_eq!(parse(&[0u8; 10]), Err(WireError::Short(10)));
        let mut b = build(0, 2, 1, 1, 0, [0; 6], &[b"abc"]);
        b.truncate(b.len() - 1);
        assert!(matches!(parse(&b), Err(WireError::Blob { index: 0, .. })));
        let b = build(9, 2, 1, 1, 0, [0; 6], &[]);
        assert_eq!(parse(&b), Err(WireError::Kind(9)));
    }

    #[test]
    fn args_split() {
        assert_eq!(
            split_args(b"sh\0-c\0echo hi\0"),
            vec!["sh", "-c", "echo hi"]
        );
        assert_eq!(split_args(b""), Vec::<String>::new());
        assert_eq!(split_args(b"a\0\0b\0"), vec!["a", "", "b"]);
    }

    #[test]
    fn sockaddrs() {
        let mut v4 = vec![2u8, 0, 0x1f, 0x90, 127, 0, 0, 1];
        v4.extend_from_slice(&[0; 8]);
        assert_eq!(
            SockAddr::parse(&v4),
            Some(SockAddr::Ip("127.0.0.1".parse().unwrap(), 8080))
        );
        let mut un = vec![1u8, 0];
        un.extend_from_slice(b"/run/x.sock\0\0\0");
        assert_eq!(
            SockAddr::parse(&un),
            Some(SockAddr::Unix("/run/x.sock".into()))
        );
        assert_eq!(SockAddr::parse(&[2, 0, 1]), None);
        assert_eq!(SockAddr::parse(&[]), None);
    }

    #[test]
    fn tuple_and_proc() {
        let mut t = vec![0u8; TUPLE_LEN];
        t[0] = 2;
        t[2] = 1;
        t[4] = 6;
        t[6..8].copy_from_slice(&40000u16.to_le_bytes());
        t[8..10].copy_from_slice(&80u16.to_le_bytes());
        t[12..16].copy_from_slice(&[127, 0, 0, 1]);
        t[28..32].copy_from_slice(&[10, 0, 0, 2]);
        let tu = Tuple::parse(&t).unwrap();
        assert_eq!(tu.lport, 40000);
        assert_eq!(tu.raddr, "10.0.0.2".parse::<IpAddr>().unwrap());
        assert!(Tuple::parse(&t[..10]).is_none());
        let mut p = vec![0u8; PROC_LEN];
        p[0..4].copy_from_slice(&77u32.to_le_bytes());
        p[56..64].copy_from_slice(&0x1ffu64.to_le_bytes());
        let pi = ProcInfo::parse(&p).unwrap();
        assert_eq!(pi.ppid, 77);
        assert_eq!(pi.cap_effective, 0x1ff);
        assert_eq!(pi.exe_upper_layer, None, "flags 0: unknown");
        assert_eq!((pi.exe_ctime, pi.exe_mtime), (0, 0), "short blob: no times");
        assert!(ProcInfo::parse(&p[..79]).is_none());
        // the extended layout: flags, comm, then ctime and mtime
        p[36..40].copy_from_slice(&(QP_UPPER_KNOWN | QP_UPPER).to_le_bytes());
        p.resize(PROC_EXT_LEN, 0);
        p[96..104].copy_from_slice(&1_700_000_000_123u64.to_le_bytes());
        p[104..112].copy_from_slice(&1_600_000_000_456u64.to_le_bytes());
        let pi = ProcInfo::parse(&p).unwrap();
        assert_eq!(pi.exe_upper_layer, Some(true));
        assert_eq!(pi.exe_ctime, 1_700_000_000_123);
        assert_eq!(pi.exe_mtime, 1_600_000_000_456);
        p[36..40].copy_from_slice(&QP_UPPER_KNOWN.to_le_bytes());
        assert_eq!(ProcInfo::parse(&p).unwrap().exe_upper_layer, Some(false));
    }

    /// The decoder puts each raw argument and blob where the call's meaning
    /// says: a record built by hand (as a reader of another capture format
    /// would) equals the decoded one.
    #[test]
    fn decodes_arguments_by_meaning() {
        use crate::record::{Body, NetOp, OpenCall, Record, Syscall};
        let b = build(
            0,
            257,
            10,
            9,
            3,
            [0xffff_ff9c, 0x1000, 0o1101, 0o644, 0, 0],
            &[b"/tmp/x\0"],
        );
        let want = Record {
            ts_boot: 1_000,
            cgroup_id: 0,
            tid: 10,
            tgid: 9,
            uid: 0,
            gid: 0,
            body: Body::Syscall {
                res: 3,
                call: Syscall::Open {
                    call: OpenCall::Openat,
                    dirfd: -100,
                    path: "/tmp/x".into(),
                    flags: 0o1101,
                    mode: 0o644,
                },
            },
        };
        assert_eq!(decode(&b), Ok(want));
        // openat2's flags and mode come from the open_how blob
        let mut how = 0o2u64.to_le_bytes().to_vec();
        how.extend_from_slice(&0o600u64.to_le_bytes());
        let b = build(0, 437, 1, 1, 4, [5, 0, 0, 0, 0, 0], &[b"k\0", &how]);
        let Body::Syscall { call, .. } = decode(&b).unwrap().body else {
            panic!("not a syscall")
        };
        assert_eq!(
            call,
            Syscall::Open {
                call: OpenCall::Openat2,
                dirfd: 5,
                path: "k".into(),
                flags: 0o2,
                mode: 0o600,
            }
        );
        // linkat(olddirfd, old, newdirfd, new): dirfds from args 0 and 2
        let b = build(0, 265, 1, 1, 0, [7, 0, 8, 0, 0, 0], &[b"a\0", b"b\0"]);
        let Body::Syscall { call, .. } = decode(&b).unwrap().body else {
            panic!("not a syscall")
        };
        assert_eq!(
            call,
            Syscall::Link {
                linkat: true,
                olddirfd: 7,
                oldpath: "a".into(),
                newdirfd: 8,
                newpath: "b".into(),
            }
        );
        // accept: the record is about the accepted fd (the result)
        let b = build(0, 43, 1, 1, 6, [3, 0, 0, 0, 0, 0], &[]);
        let Body::Syscall { call, .. } = decode(&b).unwrap().body else {
            panic!("not a syscall")
        };
        assert_eq!(
            call,
            Syscall::Net {
                op: NetOp::Accept,
                fd: 6,
                addr: None,
                tuple: None,
            }
        );
        // exec, fork and exit records
        let b = build(1, 322, 1, 1, 0, [0; 6], &[b"/bin/x\0", b"x\0-v\0"]);
        let Body::Exec(x) = decode(&b).unwrap().body else {
            panic!("not an exec")
        };
        assert!(x.execveat);
        assert_eq!((x.filename.as_str(), x.argv.len()), ("/bin/x", 2));
        assert_eq!((x.comm, x.info), (None, None));
        let b = build(2, 0, 1, 1, 77, [76, 0, 0, 0, 0, 0], &[]);
        assert_eq!(
            decode(&b).unwrap().body,
            Body::Fork(crate::record::Fork {
                child_tid: 77,
                child_tgid: 76,
                info: None
            })
        );
        let b = build(3, 0, 1, 1, 256, [0; 6], &[]);
        assert_eq!(decode(&b).unwrap().body, Body::Exit { status: 256 });
    }

    /// Every syscall of the table decodes, as the event type it is named
    /// by (`fchmodat2` as `fchmodat`, as libsinsp reports it); a number
    /// outside the table is an error.
    #[test]
    fn every_table_syscall_decodes_to_its_event_type() {
        use crate::record::Body;
        for (nr, name) in crate::table::SYSCALLS {
            let b = build(0, *nr, 1, 1, 0, [3, 0, 4, 0, 0, 0], &[b"p\0", b"q\0"]);
            let Ok(r) = decode(&b) else {
                panic!("{name} ({nr}) does not decode")
            };
            let Body::Syscall { call, .. } = r.body else {
                panic!("{name}: not a syscall")
            };
            let want = if *name == "fchmodat2" {
                "fchmodat"
            } else {
                name
            };
            assert_eq!(call.event_type(), want, "{nr}");
        }
        let b = build(0, 0, 1, 1, 0, [0; 6], &[]);
        assert_eq!(decode(&b), Err(WireError::Syscall(0)));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decode(&bytes);
            if let Ok(r) = parse(&bytes) {
                let _ = ProcInfo::parse(r.blobs[2]);
                let _ = Tuple::parse(r.blobs[1]);
                let _ = SockAddr::parse(r.blobs[0]);
                let _ = split_args(r.blobs[1]);
            }
        }
    }
}
