//! The process table: processes (seeded from `/proc`, created on first
//! sight), their containers from the cgroup, the sweep of exited processes,
//! and the ancestor walk.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::container::ContainerRef;
use crate::procfs::{self, Users};

use super::{FdInfo, State};

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
    /// Environment (`NAME=value` entries) as the image was started with it:
    /// from the exec record (at most 4096 bytes, as Falco bounds it), or
    /// `/proc/PID/environ` for processes that pre-date the capture (same
    /// bound); inherited across forks.
    pub env: Vec<String>,
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

/// How many ancestor levels events carry at most.
pub(super) const MAX_ANCESTORS: usize = 16;
/// Exited processes stay in the table this long (ns), for late events and ancestry.
const DEAD_GRACE_NS: u64 = 10_000_000_000;

impl State {
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

    /// Every process in the table (no order).
    pub fn processes(&self) -> impl Iterator<Item = &Process> {
        self.procs.values()
    }

    /// The host's user and group names the table was built with.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// A record's boot-clock time in ns since the epoch.
    pub fn epoch_ns(&self, ts_boot: u64) -> u64 {
        self.epoch(ts_boot)
    }

    /// Number of processes in the table.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    pub(super) fn ensure(&mut self, tgid: u32) {
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

    pub(super) fn refresh_container(&mut self, tgid: u32, cgroup_id: u64) {
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

    pub(super) fn sweep(&mut self, now: u64) {
        if now.saturating_sub(self.last_sweep) < 1_000_000_000 {
            return;
        }
        self.last_sweep = now;
        self.procs.retain(|_, p| {
            p.dead_at
                .is_none_or(|d| now.saturating_sub(d) < DEAD_GRACE_NS)
        });
    }

    /// The process `tgid`'s parent as the ancestor walk sees it.
    pub(super) fn parent_of(&self, p: &Process) -> Option<&Process> {
        if p.ppid == 0 || p.ppid == p.pid {
            return None;
        }
        self.procs.get(&p.ppid)
    }

    /// Walks the ancestors of `p`: `visit(level, pid, ancestor)` for levels
    /// 1..=MAX_ANCESTORS, stopping at pid 0, a loop, or a process missing from
    /// the table (reported once, as `None`, when it is the parent). `visit`
    /// returns false to stop early.
    pub(super) fn walk_ancestors<'s>(
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup2_mount_from_mountinfo() {
        let mi = "30 23 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n31 23 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assert_eq!(
            find_cgroup2_mount(mi).as_deref(),
            Some("/sys/fs/cgroup/unified")
        );
        assert_eq!(find_cgroup2_mount("garbage"), None);
    }
}
