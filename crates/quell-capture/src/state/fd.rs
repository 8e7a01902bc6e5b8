//! fd tables: what each fd refers to, how closes and dups change the
//! table, socket names, and the resolution of paths given relative to a
//! directory fd or the working directory.

use std::net::IpAddr;

use crate::flags;
use crate::record::Syscall;

use super::view::Ev;
use super::State;

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

/// `close_range` flag: mark close-on-exec instead of closing.
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;

impl State {
    /// Drops the fd table entries a successful close/close_range removed
    /// (close_range with CLOSE_RANGE_CLOEXEC marks them close-on-exec
    /// instead); with `ev`, writes the call's fields.
    pub(super) fn apply_close(&mut self, tgid: u32, call: &Syscall, res: i64, ev: Option<&mut Ev>) {
        let Some(p) = self.procs.get_mut(&tgid) else {
            return;
        };
        match *call {
            Syscall::Close { fd } => {
                let fd = i64::from(fd);
                if let Some(ev) = ev {
                    ev.num("evt.arg.fd", (fd as i32) as i128);
                    ev.res(res);
                    if let Some(info) = p.fds.get(&fd) {
                        ev.fd(fd, info, false);
                    }
                }
                if res == 0 {
                    p.fds.remove(&fd);
                }
            }
            Syscall::CloseRange { first, last, flags } => {
                let (first, last) = (i64::from(first), i64::from(last));
                if let Some(ev) = ev {
                    ev.num("evt.arg.first", first as i128);
                    ev.num("evt.arg.last", last as i128);
                    ev.num("evt.arg.flags", flags as i128);
                    ev.res(res);
                }
                if res != 0 {
                    return;
                }
                if flags & CLOSE_RANGE_CLOEXEC != 0 {
                    for (_, f) in p
                        .fds
                        .iter_mut()
                        .filter(|(n, _)| (first..=last).contains(*n))
                    {
                        f.flags |= crate::flags::O_CLOEXEC;
                    }
                } else {
                    p.fds.retain(|n, _| !(first..=last).contains(n));
                }
            }
            _ => {}
        }
    }

    /// A successful `dup*` or `fcntl(F_DUPFD*)` of `old` gave `new` (`new` <
    /// 0: it failed): the new entry is a copy of the old one, close-on-exec
    /// only when the call asked; when the table does not know `old`, `new`
    /// is dropped so it keeps no stale name.
    pub(super) fn apply_dup(&mut self, t: u32, old: i64, new: i64, cloexec: bool, ev: &mut Ev) {
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

    pub(super) fn fd_name(&self, tgid: u32, fd: i64) -> Option<&FdInfo> {
        self.procs.get(&tgid)?.fds.get(&fd)
    }

    /// Resolves a path given with a dirfd (`AT_FDCWD` = cwd) for process `tgid`.
    pub(super) fn resolve_at(&self, tgid: u32, dirfd: i64, path: &str) -> String {
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
}

/// An address and port, when known.
type Endpoint = Option<(IpAddr, u16)>;

pub(super) fn ends(s: &SockInfo) -> (Endpoint, Endpoint) {
    // (client, server)
    if s.server_side {
        (s.remote, s.local)
    } else {
        (s.local, s.remote)
    }
}

pub(super) fn sock_name(s: Option<&SockInfo>) -> String {
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
pub(super) fn l4proto(s: &SockInfo) -> &'static str {
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

pub(super) fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

pub(super) fn dirname(p: &str) -> String {
    match p.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => p[..i].to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{apply, state, txt};
    use super::*;
    use crate::wire::{build, decode};

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
        assert_eq!(txt(&e, "proc.cwd"), "/srv/keys/sub/");
        // a failed fcntl adds nothing; a dup of an unknown fd drops a stale entry
        apply(
            &mut s,
            &build(0, 72, 100, 100, -9, [40, 0, 0, 0, 0, 0], &[]),
        );
        assert!(!s.process(100).unwrap().fds.contains_key(&-9));
        apply(&mut s, &build(0, 72, 100, 100, 3, [40, 0, 0, 0, 0, 0], &[]));
        assert!(!s.process(100).unwrap().fds.contains_key(&3));
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
        assert!(s.apply(&decode(&r).unwrap()).is_none());
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
    fn path_helpers() {
        assert_eq!(normalize("/etc/../etc/./shadow"), "/etc/shadow");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(resolve("/a/b", "../c"), "/a/c");
        assert_eq!(resolve("", "rel"), "rel");
        assert_eq!(dirname("/x"), "/");
        assert_eq!(basename("/a/b.c"), "b.c");
    }
}
