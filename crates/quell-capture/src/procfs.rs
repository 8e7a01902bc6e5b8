//! Reading process state from `/proc` (the table's seed, and the fallback
//! for processes first seen mid-life) and user/group names from the host's
//! `/etc/passwd` and `/etc/group`.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::state::{FdInfo, FdKind, Process};

/// uid → name and gid → name.
#[derive(Clone, Debug, Default)]
pub struct Users {
    /// User names by uid.
    pub users: HashMap<u32, String>,
    /// Group names by gid.
    pub groups: HashMap<u32, String>,
}

impl Users {
    /// Parses `passwd` and `group` file contents (`name:x:id:...` lines).
    pub fn parse(passwd: &str, group: &str) -> Users {
        let table = |text: &str| {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let mut it = l.split(':');
                    let name = it.next()?;
                    let _ = it.next()?;
                    let id = it.next()?.trim().parse::<u32>().ok()?;
                    Some((id, name.to_string()))
                })
                .fold(HashMap::new(), |mut m, (id, n)| {
                    m.entry(id).or_insert(n);
                    m
                })
        };
        Users {
            users: table(passwd),
            groups: table(group),
        }
    }

    /// Reads the files below `root` when its `etc/passwd` exists (a
    /// container's root through `/proc/PID/root`).
    pub fn load_existing(root: &Path) -> Option<Users> {
        let p = fs::read_to_string(root.join("etc/passwd")).ok()?;
        let g = fs::read_to_string(root.join("etc/group")).unwrap_or_default();
        Some(Users::parse(&p, &g))
    }

    /// Reads the host's files (missing files give empty tables).
    pub fn load(root: &Path) -> Users {
        let p = fs::read_to_string(root.join("etc/passwd")).unwrap_or_default();
        let g = fs::read_to_string(root.join("etc/group")).unwrap_or_default();
        Users::parse(&p, &g)
    }
}

/// Values from `/proc/PID/status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `Name:`
    pub name: String,
    /// `PPid:`
    pub ppid: u32,
    /// real and effective uid.
    pub uid: (u32, u32),
    /// real and effective gid.
    pub gid: (u32, u32),
    /// innermost `NSpid:` value.
    pub vpid: u32,
    /// `CapInh:`, `CapPrm:`, `CapEff:`.
    pub caps: (u64, u64, u64),
}

/// Parses `/proc/PID/status`.
pub fn parse_status(text: &str) -> Status {
    let mut s = Status::default();
    for l in text.lines() {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let v = v.trim();
        let nums = || {
            v.split_whitespace()
                .filter_map(|x| x.parse::<u32>().ok())
                .collect::<Vec<_>>()
        };
        let hex = || u64::from_str_radix(v, 16).unwrap_or(0);
        match k {
            "Name" => s.name = v.to_string(),
            "PPid" => s.ppid = v.parse().unwrap_or(0),
            "Uid" => {
                let n = nums();
                s.uid = (
                    n.first().copied().unwrap_or(0),
                    n.get(1).copied().unwrap_or(0),
                );
            }
            "Gid" => {
                let n = nums();
                s.gid = (
                    n.first().copied().unwrap_or(0),
                    n.get(1).copied().unwrap_or(0),
                );
            }
            "NSpid" => s.vpid = nums().last().copied().unwrap_or(0),
            "CapInh" => s.caps.0 = hex(),
            "CapPrm" => s.caps.1 = hex(),
            "CapEff" => s.caps.2 = hex(),
            _ => {}
        }
    }
    s
}

/// `(sid, tty_nr, starttime_ticks)` from `/proc/PID/stat` (the comm field may hold spaces and parentheses).
pub fn parse_stat(text: &str) -> Option<(u32, u32, u64)> {
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // after ')': state(0) ppid(1) pgrp(2) session(3) tty_nr(4) ... starttime(19)
    Some((
        f.get(3)?.parse().ok()?,
        f.get(4)?.parse::<i64>().ok()? as u32,
        f.get(19)?.parse().ok()?,
    ))
}

fn epoch_ns(s: i64, ns: i64) -> u64 {
    u64::try_from(s)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|s| s.checked_add(u64::try_from(ns).ok()?))
        .unwrap_or(0)
}

/// Bytes of a process environment kept, as the exec record keeps them
/// (Falco's drivers and its /proc scan bound the environment to 4096 bytes).
pub const MAX_ENV: usize = 4096;

/// The environment in `/proc/PID/environ` (the first [`MAX_ENV`] bytes,
/// NUL-separated `NAME=value` entries); empty when unreadable (a kernel
/// thread, or a process that has gone).
pub fn read_environ(path: &Path) -> Vec<String> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(MAX_ENV);
    if let Ok(f) = fs::File::open(path) {
        let _ = f.take(MAX_ENV as u64).read_to_end(&mut buf);
    }
    crate::wire::split_args(&buf)
}

/// Reads one process from `/proc/PID`; `None` when it vanished or is
/// unreadable. `start_ns` is set to the start time in ns *since boot* (the
/// caller converts it to the epoch).
pub fn read_process(proc_root: &Path, pid: u32) -> Option<Process> {
    let dir = proc_root.join(pid.to_string());
    let status = parse_status(&fs::read_to_string(dir.join("status")).ok()?);
    let cmdline = fs::read(dir.join("cmdline")).unwrap_or_default();
    let env = read_environ(&dir.join("environ"));
    let args = crate::wire::split_args(&cmdline);
    let exepath = fs::read_link(dir.join("exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cwd = fs::read_link(dir.join("cwd"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (sid, tty, start_ticks) = fs::read_to_string(dir.join("stat"))
        .ok()
        .and_then(|t| parse_stat(&t))
        .unwrap_or((0, 0, 0));
    let loginuid = fs::read_to_string(dir.join("loginuid"))
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
        .unwrap_or(u32::MAX);
    let cgroup = fs::read_to_string(dir.join("cgroup")).unwrap_or_default();
    let exe_from_memfd = exepath.starts_with("/memfd:");
    let mut p = Process {
        pid,
        ppid: status.ppid,
        vpid: status.vpid,
        comm: status.name,
        exe: args.first().cloned().unwrap_or_default(),
        exepath: if exe_from_memfd {
            exepath.trim_start_matches('/').to_string()
        } else {
            exepath
        },
        args: args.into_iter().skip(1).collect(),
        env,
        cwd,
        tty,
        sid,
        uid: status.uid.1,
        gid: status.gid.1,
        loginuid,
        cap_inheritable: status.caps.0,
        cap_permitted: status.caps.1,
        cap_effective: status.caps.2,
        exe_from_memfd,
        container: crate::container::match_proc_cgroup(&cgroup),
        ..Process::default()
    };
    // /proc reports start times in USER_HZ ticks (100 per second on Linux).
    p.start_ns = start_ticks.saturating_mul(10_000_000);
    if let Ok(md) = fs::metadata(dir.join("exe")) {
        use std::os::unix::fs::MetadataExt;
        p.exe_ino = md.ino();
        p.exe_ctime = epoch_ns(md.ctime(), md.ctime_nsec());
        p.exe_mtime = epoch_ns(md.mtime(), md.mtime_nsec());
    }
    p.fds = read_fds(&dir);
    Some(p)
}

/// The fd table of process `pid` as `/proc` shows it now (empty when it is
/// gone).
pub fn read_fd_table(proc_root: &Path, pid: u32) -> HashMap<i64, FdInfo> {
    read_fds(&proc_root.join(pid.to_string()))
}

/// The open flags of fd `fd` from `/proc/PID/fdinfo/FD` (`flags:` in octal,
/// `O_CLOEXEC` included), 0 when unreadable.
fn fd_flags(dir: &Path, fd: &std::ffi::OsStr) -> u64 {
    fs::read_to_string(dir.join("fdinfo").join(fd))
        .ok()
        .and_then(|t| parse_fdinfo_flags(&t))
        .unwrap_or(0)
}

/// The `flags:` line of an fdinfo file (octal).
pub fn parse_fdinfo_flags(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 8).ok())
}

/// Reads a process's fd table from `/proc/PID/fd` (file and socket fds),
/// with each fd's open flags, so an exec drops the close-on-exec ones.
fn read_fds(dir: &Path) -> HashMap<i64, FdInfo> {
    let mut fds = HashMap::new();
    let Ok(rd) = fs::read_dir(dir.join("fd")) else {
        return fds;
    };
    for e in rd.flatten() {
        let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Ok(target) = fs::read_link(e.path()) else {
            continue;
        };
        let t = target.to_string_lossy().into_owned();
        let info = if t.starts_with('/') {
            let kind = if fs::metadata(e.path()).map(|m| m.is_dir()).unwrap_or(false) {
                FdKind::Directory
            } else {
                FdKind::File
            };
            FdInfo {
                kind,
                name: t,
                ..FdInfo::default()
            }
        } else if t.starts_with("socket:") {
            FdInfo {
                kind: FdKind::Socket,
                ..FdInfo::default()
            }
        } else if t.starts_with("pipe:") {
            FdInfo {
                kind: FdKind::Pipe,
                name: t,
                ..FdInfo::default()
            }
        } else if let Some(rest) = t.strip_prefix("/memfd:") {
            FdInfo {
                kind: FdKind::Memfd,
                name: format!("memfd:{rest}"),
                ..FdInfo::default()
            }
        } else {
            FdInfo {
                kind: FdKind::Other,
                name: t,
                ..FdInfo::default()
            }
        };
        let flags = fd_flags(dir, &e.file_name());
        fds.insert(fd, FdInfo { flags, ..info });
    }
    fds
}

/// Every numeric entry of `/proc`.
pub fn list_pids(proc_root: &Path) -> Vec<u32> {
    fs::read_dir(proc_root)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/PID/environ` is read up to the bound the exec records have.
    #[test]
    fn environ_is_read_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("environ");
        std::fs::write(&p, b"HOME=/root\0TERM=xterm\0").unwrap();
        assert_eq!(read_environ(&p), ["HOME=/root", "TERM=xterm"]);
        let mut big = Vec::new();
        for i in 0..1000 {
            big.extend_from_slice(format!("V{i}=xxxxxxxx\0").as_bytes());
        }
        std::fs::write(&p, &big).unwrap();
        let env = read_environ(&p);
        let bytes: usize = env.iter().map(|e| e.len() + 1).sum();
        assert!(bytes <= MAX_ENV + 1, "{bytes}");
        assert_eq!(env[0], "V0=xxxxxxxx");
        assert!(read_environ(&dir.path().join("gone")).is_empty());
    }

    #[test]
    fn users_and_groups() {
        let u = Users::parse(
            "root:x:0:0:root:/root:/bin/bash\n#c\nbad\ndaemon:x:1:1::/:/sbin/nologin\n",
            "root:x:0:\nadm:x:4:syslog\n",
        );
        assert_eq!(u.users.get(&0).map(String::as_str), Some("root"));
        assert_eq!(u.users.get(&1).map(String::as_str), Some("daemon"));
        assert_eq!(u.groups.get(&4).map(String::as_str), Some("adm"));
        assert_eq!(u.users.len(), 2);
    }

    #[test]
    fn status_and_stat() {
        let s = parse_status("Name:\tbash\nPPid:\t12\nUid:\t1000\t0\t0\t0\nGid:\t5\t6\t6\t6\nNSpid:\t300\t1\nCapEff:\t000001ffffffffff\n");
        assert_eq!(s.name, "bash");
        assert_eq!(s.ppid, 12);
        assert_eq!(s.uid, (1000, 0));
        assert_eq!(s.gid, (5, 6));
        assert_eq!(s.vpid, 1);
        assert_eq!(s.caps.2, 0x1ffffffffff);
        let stat = "42 (a (b) c) S 1 42 40 34817 42 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0";
        assert_eq!(parse_stat(stat), Some((40, 34817, 777)));
        assert_eq!(parse_stat("nonsense"), None);
    }

    #[test]
    fn fd_flags_come_from_fdinfo() {
        assert_eq!(
            parse_fdinfo_flags("pos:\t0\nflags:\t02100002\nmnt_id:\t24\n"),
            Some(0o2100002)
        );
        assert_eq!(parse_fdinfo_flags("pos:\t0\n"), None);
        // a close-on-exec fd of this process reads as such
        let f = std::fs::File::open("/proc/self/status").unwrap();
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd() as i64;
        let t = read_fd_table(Path::new("/proc"), std::process::id());
        assert_ne!(t[&fd].flags & crate::flags::O_CLOEXEC, 0, "{:?}", t[&fd]);
    }

    #[test]
    fn reads_own_process() {
        let me = std::process::id();
        let p = read_process(Path::new("/proc"), me).expect("own /proc entry");
        assert_eq!(p.pid, me);
        assert!(!p.comm.is_empty());
        assert!(p.exepath.starts_with('/'));
        assert!(p.fds.contains_key(&0) || p.fds.contains_key(&1) || p.fds.contains_key(&2));
        assert!(read_process(Path::new("/proc"), u32::MAX).is_none());
    }
}
