//! Typed records: what one kernel record means, decoded once.
//!
//! [`crate::wire::decode`] turns the BPF program's bytes into a [`Record`];
//! the state engine ([`crate::state::State::apply`]) matches on it. The types
//! describe the syscall (its arguments by meaning, Linux values, fds as
//! signed numbers, paths as the program gave them), not the BPF struct
//! layout, so a reader of another capture format builds the same records.
//! Whatever a field cannot tell is its neutral value: an `AT_FDCWD` dirfd
//! for calls without one, empty strings for unread paths, `None` for a
//! socket address or tuple the record does not carry.

use crate::wire::{ProcInfo, SockAddr, Tuple};

/// One record: who (thread, process, credentials, cgroup), when, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Nanoseconds on the clock the state's boot offset converts to the
    /// epoch (`CLOCK_BOOTTIME` for live capture; a reader of epoch times
    /// uses an offset of 0).
    pub ts_boot: u64,
    /// cgroup v2 id of the task (0 when unknown).
    pub cgroup_id: u64,
    /// Thread id.
    pub tid: u32,
    /// Thread-group (process) id.
    pub tgid: u32,
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// What happened.
    pub body: Body,
}

/// What a record reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A successful `execve`/`execveat`: the process runs a new program.
    Exec(Exec),
    /// A new task (process or thread).
    Fork(Fork),
    /// The end of a process.
    Exit {
        /// Wait status (`exit code << 8 | signal`).
        status: i64,
    },
    /// A syscall returned.
    Syscall {
        /// The return value (negative errno on failure).
        res: i64,
        /// The call and its arguments.
        call: Syscall,
    },
}

/// A successful exec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exec {
    /// `execveat` rather than `execve`.
    pub execveat: bool,
    /// The file name as given to the call.
    pub filename: String,
    /// The new program's arguments, `argv[0]` first.
    pub argv: Vec<String>,
    /// The new `comm`, when known.
    pub comm: Option<String>,
    /// The executable's name as the kernel's dentry gives it (`memfd:NAME`
    /// for a memfd); empty when unknown.
    pub exe_dentry: String,
    /// Process details after the exec, when known.
    pub info: Option<ProcInfo>,
}

/// A new task.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fork {
    /// The new task's thread id (negative: the call failed).
    pub child_tid: i64,
    /// The new task's process id (the parent's own for a new thread).
    pub child_tgid: u32,
    /// The new task's details, when known.
    pub info: Option<ProcInfo>,
}

/// Which of the open calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenCall {
    /// `open(path, flags, mode)`.
    Open,
    /// `openat(dirfd, path, flags, mode)`.
    Openat,
    /// `openat2(dirfd, path, how)`.
    Openat2,
    /// `creat(path, mode)`: flags are `O_CREAT|O_WRONLY|O_TRUNC`.
    Creat,
}

/// Which of the dup calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DupCall {
    /// `dup(oldfd)`.
    Dup,
    /// `dup2(oldfd, newfd)`.
    Dup2,
    /// `dup3(oldfd, newfd, flags)`.
    Dup3,
}

/// Which of the rename calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameCall {
    /// `rename(old, new)`.
    Rename,
    /// `renameat(olddirfd, old, newdirfd, new)`.
    Renameat,
    /// `renameat2(olddirfd, old, newdirfd, new, flags)`.
    Renameat2,
}

/// A call on a socket fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetOp {
    /// `bind(fd, addr)`.
    Bind,
    /// `connect(fd, addr)`.
    Connect,
    /// `listen(fd, backlog)`.
    Listen {
        /// The backlog argument.
        backlog: i32,
    },
    /// `sendto(fd, .., addr)`.
    Sendto,
    /// `sendmsg(fd, ..)`.
    Sendmsg,
    /// `recvfrom(fd, ..)`.
    Recvfrom,
    /// `recvmsg(fd, ..)`.
    Recvmsg,
    /// `accept(fd, ..)`: the record is about the accepted socket.
    Accept,
    /// `accept4(fd, .., flags)`: the record is about the accepted socket.
    Accept4,
}

/// A syscall quell decodes, with its arguments by meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Syscall {
    /// An open; the new fd is the result.
    Open {
        /// Which call.
        call: OpenCall,
        /// Directory fd relative paths start from (`AT_FDCWD`: the cwd).
        dirfd: i64,
        /// The path as given.
        path: String,
        /// Open flags (Linux values).
        flags: u64,
        /// Creation mode.
        mode: u64,
    },
    /// `close(fd)`.
    Close {
        /// The fd (`unsigned int` in the kernel).
        fd: u32,
    },
    /// `close_range(first, last, flags)`.
    CloseRange {
        /// First fd.
        first: u32,
        /// Last fd (inclusive).
        last: u32,
        /// `CLOSE_RANGE_*` flags.
        flags: u64,
    },
    /// `pipe(fds)` or `pipe2(fds, flags)`.
    Pipe {
        /// `pipe2` rather than `pipe`.
        pipe2: bool,
        /// `pipe2` flags (0 for `pipe`).
        flags: u64,
        /// The two new fds (read end, write end).
        fds: [i64; 2],
        /// The pipe's inode number (0 when unknown).
        ino: u64,
    },
    /// `socketpair(domain, type, proto, fds)`.
    Socketpair {
        /// Address family.
        domain: u16,
        /// Socket type with its `SOCK_*` flags.
        sock_type: u64,
        /// Protocol.
        proto: u32,
        /// The two new fds.
        fds: [i64; 2],
    },
    /// `memfd_create(name, flags)`; the new fd is the result.
    MemfdCreate {
        /// The name given.
        name: String,
        /// `MFD_*` flags.
        flags: u64,
    },
    /// A dup; the new fd is the result.
    Dup {
        /// Which call.
        call: DupCall,
        /// The fd duplicated.
        oldfd: i64,
        /// The fd asked for (`dup2`, `dup3`; `dup`: unused).
        newfd: i64,
        /// `dup3` flags (0 otherwise).
        flags: u64,
    },
    /// `fcntl(fd, cmd, ..)`; for `F_DUPFD*` the new fd is the result.
    Fcntl {
        /// The fd.
        fd: i64,
        /// The command.
        cmd: u64,
    },
    /// `chdir(path)`.
    Chdir {
        /// The path as given.
        path: String,
    },
    /// `fchdir(fd)`.
    Fchdir {
        /// The directory fd.
        fd: i64,
    },
    /// `unlink(path)`.
    Unlink {
        /// The path as given.
        path: String,
    },
    /// `rmdir(path)`.
    Rmdir {
        /// The path as given.
        path: String,
    },
    /// `unlinkat(dirfd, path, flags)`.
    Unlinkat {
        /// Directory fd.
        dirfd: i64,
        /// The path as given.
        path: String,
        /// `AT_REMOVEDIR` and others.
        flags: u64,
    },
    /// `mkdir(path, mode)`.
    Mkdir {
        /// The path as given.
        path: String,
        /// Mode.
        mode: u64,
    },
    /// `mkdirat(dirfd, path, mode)`.
    Mkdirat {
        /// Directory fd.
        dirfd: i64,
        /// The path as given.
        path: String,
        /// Mode.
        mode: u64,
    },
    /// `chmod(path, mode)`.
    Chmod {
        /// The path as given.
        path: String,
        /// Mode.
        mode: u64,
    },
    /// `fchmodat(dirfd, path, mode)` (also `fchmodat2`, which Falco reports
    /// as `fchmodat`).
    Fchmodat {
        /// Directory fd.
        dirfd: i64,
        /// The path as given.
        path: String,
        /// Mode.
        mode: u64,
    },
    /// `fchmod(fd, mode)`.
    Fchmod {
        /// The fd.
        fd: i64,
        /// Mode.
        mode: u64,
    },
    /// A rename.
    Rename {
        /// Which call.
        call: RenameCall,
        /// Directory fd of the old path (`AT_FDCWD` for `rename`).
        olddirfd: i64,
        /// The old path as given.
        oldpath: String,
        /// Directory fd of the new path.
        newdirfd: i64,
        /// The new path as given.
        newpath: String,
    },
    /// `link(old, new)` or `linkat(olddirfd, old, newdirfd, new, flags)`.
    Link {
        /// `linkat` rather than `link`.
        linkat: bool,
        /// Directory fd of the old path (`AT_FDCWD` for `link`).
        olddirfd: i64,
        /// The existing path as given.
        oldpath: String,
        /// Directory fd of the new path.
        newdirfd: i64,
        /// The new link's path as given.
        newpath: String,
    },
    /// `symlink(target, linkpath)` or `symlinkat(target, linkdirfd, linkpath)`.
    Symlink {
        /// `symlinkat` rather than `symlink`.
        symlinkat: bool,
        /// The link's content.
        target: String,
        /// Directory fd of the link path (`AT_FDCWD` for `symlink`).
        linkdirfd: i64,
        /// The link's path as given.
        linkpath: String,
    },
    /// `socket(domain, type, proto)`; the new fd is the result.
    Socket {
        /// Address family.
        domain: u16,
        /// Socket type with its `SOCK_*` flags.
        sock_type: u64,
        /// Protocol.
        proto: u32,
    },
    /// A call on a socket.
    Net {
        /// Which call.
        op: NetOp,
        /// The socket fd (for accepts the new fd, the result).
        fd: i64,
        /// The address the program gave (`bind`, `connect`, `sendto`).
        addr: Option<SockAddr>,
        /// The socket's addresses after the call, read from the kernel.
        tuple: Option<Tuple>,
    },
    /// `ptrace(request, pid, addr, data)`.
    Ptrace {
        /// The request.
        request: u64,
        /// The target pid.
        pid: i32,
        /// Address argument.
        addr: u64,
        /// Data argument.
        data: u64,
    },
    /// `setuid(uid)`.
    Setuid {
        /// The uid.
        uid: u32,
    },
    /// `setgid(gid)`.
    Setgid {
        /// The gid.
        gid: u32,
    },
    /// `setreuid(ruid, euid)`.
    Setreuid {
        /// Real uid.
        ruid: u32,
        /// Effective uid.
        euid: u32,
    },
    /// `setregid(rgid, egid)`.
    Setregid {
        /// Real gid.
        rgid: u32,
        /// Effective gid.
        egid: u32,
    },
    /// `setresuid(ruid, euid, suid)`.
    Setresuid {
        /// Real uid.
        ruid: u32,
        /// Effective uid.
        euid: u32,
        /// Saved uid.
        suid: u32,
    },
    /// `setresgid(rgid, egid, sgid)`.
    Setresgid {
        /// Real gid.
        rgid: u32,
        /// Effective gid.
        egid: u32,
        /// Saved gid.
        sgid: u32,
    },
    /// `setns(fd, nstype)`.
    Setns {
        /// The namespace fd.
        fd: i64,
        /// `CLONE_NEW*` type.
        nstype: u64,
    },
    /// `unshare(flags)`.
    Unshare {
        /// `CLONE_*` flags.
        flags: u64,
    },
    /// `bpf(cmd, ..)`; for commands that create one, the new fd is the result.
    Bpf {
        /// The command.
        cmd: i32,
    },
    /// `init_module(..)`.
    InitModule,
    /// `finit_module(fd, ..)`.
    FinitModule {
        /// The module file's fd.
        fd: i64,
    },
    /// `userfaultfd(flags)`; the new fd is the result.
    Userfaultfd {
        /// Flags.
        flags: i32,
    },
    /// A failed `execve`/`execveat` (a successful one is [`Body::Exec`]).
    Execve {
        /// `execveat` rather than `execve`.
        execveat: bool,
        /// The file name as given.
        filename: String,
    },
}

impl Syscall {
    /// The Falco event type of the call (`fchmodat2` reads as `fchmodat`,
    /// as in libsinsp).
    pub fn event_type(&self) -> &'static str {
        match self {
            Syscall::Open { call, .. } => match call {
                OpenCall::Open => "open",
                OpenCall::Openat => "openat",
                OpenCall::Openat2 => "openat2",
                OpenCall::Creat => "creat",
            },
            Syscall::Close { .. } => "close",
            Syscall::CloseRange { .. } => "close_range",
            Syscall::Pipe { pipe2: false, .. } => "pipe",
            Syscall::Pipe { pipe2: true, .. } => "pipe2",
            Syscall::Socketpair { .. } => "socketpair",
            Syscall::MemfdCreate { .. } => "memfd_create",
            Syscall::Dup { call, .. } => match call {
                DupCall::Dup => "dup",
                DupCall::Dup2 => "dup2",
                DupCall::Dup3 => "dup3",
            },
            Syscall::Fcntl { .. } => "fcntl",
            Syscall::Chdir { .. } => "chdir",
            Syscall::Fchdir { .. } => "fchdir",
            Syscall::Unlink { .. } => "unlink",
            Syscall::Rmdir { .. } => "rmdir",
            Syscall::Unlinkat { .. } => "unlinkat",
            Syscall::Mkdir { .. } => "mkdir",
            Syscall::Mkdirat { .. } => "mkdirat",
            Syscall::Chmod { .. } => "chmod",
            Syscall::Fchmodat { .. } => "fchmodat",
            Syscall::Fchmod { .. } => "fchmod",
            Syscall::Rename { call, .. } => match call {
                RenameCall::Rename => "rename",
                RenameCall::Renameat => "renameat",
                RenameCall::Renameat2 => "renameat2",
            },
            Syscall::Link { linkat: false, .. } => "link",
            Syscall::Link { linkat: true, .. } => "linkat",
            Syscall::Symlink {
                symlinkat: false, ..
            } => "symlink",
            Syscall::Symlink {
                symlinkat: true, ..
            } => "symlinkat",
            Syscall::Socket { .. } => "socket",
            Syscall::Net { op, .. } => match op {
                NetOp::Bind => "bind",
                NetOp::Connect => "connect",
                NetOp::Listen { .. } => "listen",
                NetOp::Sendto => "sendto",
                NetOp::Sendmsg => "sendmsg",
                NetOp::Recvfrom => "recvfrom",
                NetOp::Recvmsg => "recvmsg",
                NetOp::Accept => "accept",
                NetOp::Accept4 => "accept4",
            },
            Syscall::Ptrace { .. } => "ptrace",
            Syscall::Setuid { .. } => "setuid",
            Syscall::Setgid { .. } => "setgid",
            Syscall::Setreuid { .. } => "setreuid",
            Syscall::Setregid { .. } => "setregid",
            Syscall::Setresuid { .. } => "setresuid",
            Syscall::Setresgid { .. } => "setresgid",
            Syscall::Setns { .. } => "setns",
            Syscall::Unshare { .. } => "unshare",
            Syscall::Bpf { .. } => "bpf",
            Syscall::InitModule => "init_module",
            Syscall::FinitModule { .. } => "finit_module",
            Syscall::Userfaultfd { .. } => "userfaultfd",
            Syscall::Execve {
                execveat: false, ..
            } => "execve",
            Syscall::Execve { execveat: true, .. } => "execveat",
        }
    }
}
