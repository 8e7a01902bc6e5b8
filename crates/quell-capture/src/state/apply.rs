//! Syscall application: what each record (exec, fork, exit, syscall) does
//! to the process and fd tables, and the record's own fields (`evt.*`,
//! `fd.*`, `fs.path.*`) it writes into the event. One `match` on the typed
//! [`Syscall`]: the wire layout is `wire.rs`'s business.

use std::net::IpAddr;

use crate::flags;
use crate::procfs;
use crate::record::{DupCall, Exec, Fork, NetOp, OpenCall, RenameCall, Syscall};
use crate::wire::SockAddr;

use super::fd::{basename, resolve, sock_name};
use super::view::Ev;
use super::{FdInfo, FdKind, Process, SockInfo, State};

impl State {
    pub(super) fn on_exec(&mut self, tgid: u32, x: &Exec, now: u64, ev: &mut Ev) {
        let filename = &x.filename;
        let parent_cwd = self
            .procs
            .get(&tgid)
            .map(|p| p.cwd.clone())
            .unwrap_or_default();
        let ppid_cwd: Option<String> = x
            .info
            .as_ref()
            .and_then(|i| self.procs.get(&i.ppid))
            .map(|pp| pp.cwd.clone());
        let p = self.procs.entry(tgid).or_default();
        p.pid = tgid;
        p.dead_at = None;
        if p.cwd.is_empty() {
            p.cwd = parent_cwd;
        }
        if p.cwd.is_empty() {
            if let Some(root) = &self.proc_root {
                if let Ok(c) = std::fs::read_link(root.join(tgid.to_string()).join("cwd")) {
                    p.cwd = c.to_string_lossy().into_owned();
                }
            }
        }
        if p.cwd.is_empty() {
            if let Some(pp) = ppid_cwd {
                p.cwd = pp;
            }
        }
        p.exe = x.argv.first().unwrap_or(filename).clone();
        p.args = x.argv.iter().skip(1).cloned().collect();
        p.env = x.env.clone();
        p.exe_from_memfd = x.exe_dentry.starts_with("memfd:");
        p.exepath = if p.exe_from_memfd {
            x.exe_dentry.clone()
        } else {
            resolve(&p.cwd, filename)
        };
        p.comm = x
            .comm
            .clone()
            .unwrap_or_else(|| basename(filename).chars().take(15).collect());
        if let Some(i) = &x.info {
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
        ev.text_static("evt.type", if x.execveat { "execveat" } else { "execve" });
        ev.res(0);
        ev.text("evt.arg.filename", filename);
        ev.text("evt.arg.exe", &p.exe.clone());
        let args = p.args.join(" ");
        ev.text("evt.arg.args", &args);
    }

    /// `None` when the fork failed (no event).
    pub(super) fn on_fork(&mut self, tgid: u32, f: &Fork, now: u64, ev: &mut Ev) -> Option<()> {
        u32::try_from(f.child_tid).ok()?;
        let child_tgid = f.child_tgid;
        ev.text_static("evt.type", "clone");
        ev.res(f.child_tid);
        if child_tgid == tgid {
            // a new thread of the same process
            ev.text("evt.arg.flags", "CLONE_THREAD");
            return Some(());
        }
        if self.unwatched == Some(tgid) {
            if let Some(root) = &self.proc_root {
                let fds = procfs::read_fd_table(root, tgid);
                if let Some(p) = self.procs.get_mut(&tgid) {
                    p.fds = fds;
                }
            }
        }
        let parent = self.procs.get(&tgid).cloned().unwrap_or_default();
        let mut c = Process {
            pid: child_tgid,
            dead_at: None,
            start_ns: now,
            ..parent
        };
        if let Some(i) = &f.info {
            c.ppid = i.ppid;
            c.vpid = i.vpid;
            c.sid = i.sid;
            c.tty = i.tty;
            c.loginuid = i.loginuid;
        } else {
            c.ppid = tgid;
        }
        self.procs.insert(child_tgid, c);
        Some(())
    }

    pub(super) fn on_exit(&mut self, tgid: u32, status: i64, now: u64, ev: &mut Ev) {
        ev.text_static("evt.type", "procexit");
        ev.num("evt.arg.status", status as i128);
        let code = (status >> 8) & 0xff;
        let sig = status & 0x7f;
        ev.num("evt.arg.ret", code as i128);
        ev.num("evt.arg.sig", sig as i128);
        if let Some(p) = self.procs.get_mut(&tgid) {
            p.dead_at = Some(now);
        }
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

    /// Puts `info` at `fd` in process `t`'s table.
    fn set_fd(&mut self, t: u32, fd: i64, info: FdInfo) {
        if let Some(p) = self.procs.get_mut(&t) {
            p.fds.insert(fd, info);
        }
    }

    /// The `fd.*` fields of an fd the call only uses, when the table knows it.
    fn used_fd(&self, t: u32, fd: i64, ev: &mut Ev) {
        if let Some(info) = self.fd_name(t, fd) {
            ev.fd(fd, info, false);
        }
    }

    pub(super) fn on_syscall(&mut self, t: u32, res: i64, call: &Syscall, ev: &mut Ev) {
        ev.text_static("evt.type", call.event_type());
        if matches!(call, Syscall::Close { .. } | Syscall::CloseRange { .. }) {
            self.apply_close(t, call, res, Some(ev));
            return;
        }
        ev.res(res);
        match call {
            Syscall::Pipe {
                pipe2,
                flags: fl,
                fds: [fd1, fd2],
                ino,
            } => {
                if res == 0 {
                    ev.num("evt.arg.fd1", *fd1 as i128);
                    ev.num("evt.arg.fd2", *fd2 as i128);
                }
                if *pipe2 {
                    ev.num("evt.arg.flags", (*fl as i32) as i128);
                }
                if res == 0 && *ino != 0 {
                    ev.num("evt.arg.ino", *ino as i128);
                }
                let info = FdInfo {
                    kind: FdKind::Pipe,
                    name: if *ino != 0 {
                        format!("pipe:[{ino}]")
                    } else {
                        String::new()
                    },
                    flags: fl & flags::O_CLOEXEC,
                    ..FdInfo::default()
                };
                self.new_fd_pair(t, res, [*fd1, *fd2], info, ev);
            }
            Syscall::Socketpair {
                domain,
                sock_type,
                proto,
                fds: [fd1, fd2],
            } => {
                if res == 0 {
                    ev.num("evt.arg.fd1", *fd1 as i128);
                    ev.num("evt.arg.fd2", *fd2 as i128);
                }
                ev.text("evt.arg.domain", flags::family(*domain));
                ev.num("evt.arg.type", (sock_type & 0xf) as i128);
                ev.num("evt.arg.proto", *proto as i128);
                let info = FdInfo {
                    kind: FdKind::Socket,
                    flags: sock_type & flags::O_CLOEXEC,
                    sock: Some(SockInfo {
                        family: *domain,
                        sock_type: (sock_type & 0xf) as u16,
                        proto: *proto as u16,
                        connected: true,
                        ..SockInfo::default()
                    }),
                    ..FdInfo::default()
                };
                self.new_fd_pair(t, res, [*fd1, *fd2], info, ev);
            }
            Syscall::Open {
                call: oc,
                dirfd,
                path: raw,
                flags: fl,
                mode,
            } => {
                let (fl, mode) = (*fl, *mode);
                let path = self.resolve_at(t, *dirfd, raw);
                ev.num("evt.arg.fd", res as i128);
                if matches!(oc, OpenCall::Openat | OpenCall::Openat2) {
                    ev.num("evt.arg.dirfd", *dirfd as i128);
                }
                ev.text("evt.arg.name", raw);
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
                    nameraw: raw.clone(),
                    flags: fl,
                    sock: None,
                };
                ev.fd(res, &info, true);
                if res >= 0 {
                    self.set_fd(t, res, info);
                }
            }
            Syscall::MemfdCreate { name, flags: fl } => {
                ev.text("evt.arg.name", name);
                ev.text("evt.arg.flags", &flags::memfd_flags(*fl));
                ev.num("evt.arg.fd", res as i128);
                let info = FdInfo {
                    kind: FdKind::Memfd,
                    name: format!("memfd:{name}"),
                    nameraw: name.clone(),
                    flags: if fl & 1 != 0 { flags::O_CLOEXEC } else { 0 },
                    sock: None,
                };
                ev.fd(res, &info, true);
                if res >= 0 {
                    self.set_fd(t, res, info);
                }
            }
            Syscall::Dup {
                call: dc,
                oldfd,
                newfd,
                flags: fl,
            } => {
                ev.num("evt.arg.oldfd", *oldfd as i128);
                if *dc != DupCall::Dup {
                    ev.num("evt.arg.newfd", *newfd as i128);
                }
                let cloexec = *dc == DupCall::Dup3 && fl & flags::O_CLOEXEC != 0;
                if *dc == DupCall::Dup3 {
                    ev.text("evt.arg.flags", if cloexec { "O_CLOEXEC" } else { "" });
                }
                self.apply_dup(t, *oldfd, res, cloexec, ev);
            }
            Syscall::Fcntl { fd, cmd } => {
                ev.num("evt.arg.fd", *fd as i128);
                ev.text_static("evt.arg.cmd", flags::fcntl_cmd(*cmd));
                // Only the commands that make a new fd change the table (the
                // kernel program passes no other).
                if matches!(*cmd, flags::F_DUPFD | flags::F_DUPFD_CLOEXEC) {
                    self.apply_dup(t, *fd, res, *cmd == flags::F_DUPFD_CLOEXEC, ev);
                } else {
                    self.used_fd(t, *fd, ev);
                }
            }
            Syscall::Chdir { path } => {
                ev.text("evt.arg.path", path);
                let new = self.resolve_at(t, flags::AT_FDCWD, path);
                self.set_cwd(t, res, Some(new));
            }
            Syscall::Fchdir { fd } => {
                ev.num("evt.arg.fd", *fd as i128);
                let new = self
                    .fd_name(t, *fd)
                    .map(|f| f.name.clone())
                    .or_else(|| self.proc_link(t, "cwd"));
                self.set_cwd(t, res, new);
            }
            Syscall::Unlink { path } | Syscall::Rmdir { path } => {
                ev.text("evt.arg.path", path);
                self.fs_path(t, flags::AT_FDCWD, path, ev);
            }
            Syscall::Unlinkat {
                dirfd,
                path,
                flags: fl,
            } => {
                ev.num("evt.arg.dirfd", *dirfd as i128);
                ev.text("evt.arg.name", path);
                let removedir = fl & 0x200 != 0;
                ev.text("evt.arg.flags", if removedir { "AT_REMOVEDIR" } else { "" });
                self.fs_path(t, *dirfd, path, ev);
            }
            Syscall::Mkdir { path, mode } => {
                ev.text("evt.arg.path", path);
                ev.text("evt.arg.mode", &flags::hex_mode(*mode));
                self.fs_path(t, flags::AT_FDCWD, path, ev);
            }
            Syscall::Mkdirat { dirfd, path, mode } => {
                ev.num("evt.arg.dirfd", *dirfd as i128);
                ev.text("evt.arg.path", path);
                ev.text("evt.arg.mode", &flags::hex_mode(*mode));
                self.fs_path(t, *dirfd, path, ev);
            }
            Syscall::Chmod { path, mode } => {
                ev.text("evt.arg.filename", path);
                ev.text("evt.arg.mode", &flags::chmod_mode(*mode));
                self.fs_path(t, flags::AT_FDCWD, path, ev);
            }
            Syscall::Fchmodat { dirfd, path, mode } => {
                ev.num("evt.arg.dirfd", *dirfd as i128);
                ev.text("evt.arg.filename", path);
                ev.text("evt.arg.mode", &flags::chmod_mode(*mode));
                self.fs_path(t, *dirfd, path, ev);
            }
            Syscall::Fchmod { fd, mode } => {
                ev.num("evt.arg.fd", *fd as i128);
                ev.text("evt.arg.mode", &flags::chmod_mode(*mode));
                self.used_fd(t, *fd, ev);
            }
            Syscall::Rename {
                call: rc,
                olddirfd,
                oldpath,
                newdirfd,
                newpath,
            } => {
                let dirfds = (*rc != RenameCall::Rename || *olddirfd != flags::AT_FDCWD)
                    .then_some(("evt.arg.olddirfd", "evt.arg.newdirfd"));
                self.two_paths(t, (*olddirfd, oldpath), (*newdirfd, newpath), dirfds, ev);
            }
            Syscall::Link {
                linkat,
                olddirfd,
                oldpath,
                newdirfd,
                newpath,
            } => {
                let dirfds = (*linkat || *olddirfd != flags::AT_FDCWD)
                    .then_some(("evt.arg.olddir", "evt.arg.newdir"));
                self.two_paths(t, (*olddirfd, oldpath), (*newdirfd, newpath), dirfds, ev);
            }
            Syscall::Symlink {
                symlinkat,
                target,
                linkdirfd,
                linkpath,
            } => {
                ev.text("evt.arg.target", target);
                ev.text("evt.arg.linkpath", linkpath);
                if *symlinkat {
                    ev.num("evt.arg.linkdirfd", *linkdirfd as i128);
                }
                let dst = self.resolve_at(t, *linkdirfd, linkpath);
                ev.text("fs.path.source", target);
                ev.text("fs.path.target", &dst);
                ev.text("fs.path.sourceraw", target);
                ev.text("fs.path.targetraw", linkpath);
            }
            Syscall::Socket {
                domain,
                sock_type,
                proto,
            } => {
                ev.num("evt.arg.fd", res as i128);
                ev.text("evt.arg.domain", flags::family(*domain));
                ev.num("evt.arg.type", (sock_type & 0xf) as i128);
                ev.num("evt.arg.proto", *proto as i128);
                let info = FdInfo {
                    kind: FdKind::Socket,
                    flags: sock_type & flags::O_CLOEXEC,
                    sock: Some(SockInfo {
                        family: *domain,
                        sock_type: (sock_type & 0xf) as u16,
                        proto: *proto as u16,
                        ..SockInfo::default()
                    }),
                    ..FdInfo::default()
                };
                ev.fd(res, &info, false);
                if res >= 0 {
                    self.set_fd(t, res, info);
                }
            }
            Syscall::Net {
                op,
                fd,
                addr,
                tuple,
            } => self.on_net(t, res, *op, *fd, addr.as_ref(), tuple.as_ref(), ev),
            Syscall::Ptrace {
                request,
                pid,
                addr,
                data,
            } => {
                ev.text("evt.arg.request", flags::ptrace_request(*request));
                ev.num("evt.arg.pid", *pid as i128);
                ev.text("evt.arg.addr", &format!("{addr:X}"));
                ev.text("evt.arg.data", &format!("{data:X}"));
            }
            Syscall::Setuid { uid } => ev.num("evt.arg.uid", *uid as i128),
            Syscall::Setgid { gid } => ev.num("evt.arg.gid", *gid as i128),
            Syscall::Setreuid { ruid, euid } => {
                ev.num("evt.arg.ruid", *ruid as i128);
                ev.num("evt.arg.euid", *euid as i128);
            }
            Syscall::Setregid { rgid, egid } => {
                ev.num("evt.arg.rgid", *rgid as i128);
                ev.num("evt.arg.egid", *egid as i128);
            }
            Syscall::Setresuid { ruid, euid, suid } => {
                ev.num("evt.arg.ruid", *ruid as i128);
                ev.num("evt.arg.euid", *euid as i128);
                ev.num("evt.arg.suid", *suid as i128);
            }
            Syscall::Setresgid { rgid, egid, sgid } => {
                ev.num("evt.arg.rgid", *rgid as i128);
                ev.num("evt.arg.egid", *egid as i128);
                ev.num("evt.arg.sgid", *sgid as i128);
            }
            Syscall::Setns { fd, nstype } => {
                ev.num("evt.arg.fd", *fd as i128);
                ev.text("evt.arg.nstype", &flags::clone_flags(*nstype));
            }
            Syscall::Unshare { flags: fl } => ev.text("evt.arg.flags", &flags::clone_flags(*fl)),
            Syscall::Bpf { cmd } => {
                ev.num("evt.arg.cmd", *cmd as i128);
                ev.num("evt.arg.fd", res as i128);
            }
            Syscall::FinitModule { fd } => {
                ev.num("evt.arg.fd", *fd as i128);
                self.used_fd(t, *fd, ev);
            }
            Syscall::Userfaultfd { flags: fl } => {
                ev.num("evt.arg.flags", *fl as i128);
                if res >= 0 {
                    if let Some(p) = self.procs.get_mut(&t) {
                        p.fds.remove(&res);
                    }
                }
            }
            // only failed execs arrive as syscalls
            Syscall::Execve { filename, .. } => ev.text("evt.arg.filename", filename),
            Syscall::InitModule | Syscall::Close { .. } | Syscall::CloseRange { .. } => {}
        }
    }

    /// A successful `pipe*`/`socketpair` put `info` at both `fds`.
    fn new_fd_pair(&mut self, t: u32, res: i64, [fd1, fd2]: [i64; 2], info: FdInfo, ev: &mut Ev) {
        if res == 0 && fd1 >= 0 && fd2 >= 0 {
            ev.fd(fd1, &info, true);
            if let Some(p) = self.procs.get_mut(&t) {
                p.fds.insert(fd2, info.clone());
                p.fds.insert(fd1, info);
            }
        }
    }

    /// A successful `chdir`/`fchdir` moved process `t` to `new` (when known).
    fn set_cwd(&mut self, t: u32, res: i64, new: Option<String>) {
        if res == 0 {
            if let (Some(new), Some(p)) = (new, self.procs.get_mut(&t)) {
                p.cwd = new;
            }
        }
    }

    /// `fs.path.name`/`fs.path.nameraw` of a call on one path.
    fn fs_path(&self, t: u32, dirfd: i64, raw: &str, ev: &mut Ev) {
        let path = self.resolve_at(t, dirfd, raw);
        ev.text("fs.path.name", &path);
        ev.text("fs.path.nameraw", raw);
    }

    /// The arguments and `fs.path.*` fields of a rename or link, with the
    /// dirfd arguments under the keys `dirfds` names.
    fn two_paths(
        &self,
        t: u32,
        (od, old): (i64, &str),
        (nd, new): (i64, &str),
        dirfds: Option<(&'static str, &'static str)>,
        ev: &mut Ev,
    ) {
        ev.text("evt.arg.oldpath", old);
        ev.text("evt.arg.newpath", new);
        if let Some((ok, nk)) = dirfds {
            ev.num(ok, od as i128);
            ev.num(nk, nd as i128);
        }
        let src = self.resolve_at(t, od, old);
        let dst = self.resolve_at(t, nd, new);
        ev.text("fs.path.source", &src);
        ev.text("fs.path.target", &dst);
        ev.text("fs.path.sourceraw", old);
        ev.text("fs.path.targetraw", new);
    }

    /// A call on a socket: the arguments, and the socket's addresses in the
    /// fd table as the call and the kernel's tuple show them.
    #[allow(clippy::too_many_arguments)]
    fn on_net(
        &mut self,
        t: u32,
        res: i64,
        op: NetOp,
        fd: i64,
        addr: Option<&SockAddr>,
        tuple: Option<&crate::wire::Tuple>,
        ev: &mut Ev,
    ) {
        let accepted = matches!(op, NetOp::Accept | NetOp::Accept4);
        ev.num("evt.arg.fd", fd as i128);
        if let Some(a) = addr {
            ev.text("evt.arg.addr", &sockaddr_text(a));
        }
        if let NetOp::Listen { backlog } = op {
            ev.num("evt.arg.backlog", backlog as i128);
        }
        if accepted && res < 0 {
            return;
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
            return;
        }
        info.kind = FdKind::Socket;
        let before = info.name.clone();
        let mut s = info.sock.clone().unwrap_or_default();
        if let Some(tu) = tuple {
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
        match (addr, op) {
            (Some(SockAddr::Ip(ip, port)), NetOp::Connect | NetOp::Sendto)
                if s.remote.is_none() || op == NetOp::Sendto =>
            {
                s.remote = Some((*ip, *port));
            }
            (Some(SockAddr::Ip(ip, port)), NetOp::Bind) if s.local.is_none() => {
                s.local = Some((*ip, *port))
            }
            (Some(SockAddr::Unix(path)), _) => {
                s.family = 1;
                s.unix_path = Some(path.clone());
            }
            _ => {}
        }
        match op {
            NetOp::Connect if res == 0 => s.connected = true,
            NetOp::Listen { .. } | NetOp::Bind => s.server_side = true,
            _ if accepted => {
                s.server_side = true;
                s.connected = true;
            }
            _ => {}
        }
        info.sock = Some(s);
        info.name = sock_name(info.sock.as_ref());
        if let Some(tu) = tuple {
            if op == NetOp::Connect && tu.family == 2 {
                ev.text("evt.arg.tuple", &info.name);
            }
        }
        let changed = info.name != before || accepted;
        ev.fd(fd, &info, changed);
        self.set_fd(t, fd, info);
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

#[cfg(test)]
mod tests {
    use super::super::testutil::{apply, qproc, state, txt};
    use super::*;
    use crate::syscalls;
    use crate::wire::{self, build, decode};
    use quell_rules::Value;

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
            "/home/alice/",
            "cwd inherited from the parent (libsinsp's form: a trailing slash)"
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

    proptest::proptest! {

        #[test]
        fn apply_never_panics(kind in 0u16..4, sysno in proptest::sample::select(syscalls::SYSCALLS.iter().map(|x| x.0).collect::<Vec<_>>()),
                               res in proptest::num::i64::ANY, a in proptest::array::uniform6(proptest::num::u64::ANY),
                               b0 in proptest::collection::vec(proptest::num::u8::ANY, 0..100),
                               b1 in proptest::collection::vec(proptest::num::u8::ANY, 0..100)) {
            let mut s = state();
            let rec = build(kind, sysno, 100, 100, res, a, &[&b0, &b1, &b0, &b1]);
            if let Ok(r) = decode(&rec) {
                let _ = s.apply(&r);
            }
        }
    }
}
