//! quell's table of the ppm event types it decodes: id, Falco event type name and parameter
//! names in order (facts from libs' `driver/event_table.c`, written here in quell's own
//! form). Even ids are enter events, odd ids exit events, except the direction-less
//! metadata events marked [`Dir::Meta`]. A type not listed is skipped by the flat layer and
//! counted; in a version-1 event block its parameters cannot be split (their count is
//! inferred from this table, as libscap infers it from its own).

use std::sync::OnceLock;

/// Direction of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Syscall entry.
    Enter,
    /// Syscall exit.
    Exit,
    /// An event that is neither (process exit, container, user added, ...).
    Meta,
}

/// One event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventInfo {
    /// ppm event id.
    pub id: u16,
    /// Falco's `evt.type`.
    pub name: &'static str,
    /// Direction.
    pub dir: Dir,
    /// Parameter lengths are `u32` (large payload events), not `u16`.
    pub large: bool,
    /// Parameter names in order.
    pub params: &'static [&'static str],
}

/// First id libscap does not know (events at or past it are skipped).
pub const EVENT_MAX: u16 = 454;

const fn ev(id: u16, name: &'static str, params: &'static [&'static str]) -> EventInfo {
    EventInfo {
        id,
        name,
        dir: if id % 2 == 0 { Dir::Enter } else { Dir::Exit },
        large: false,
        params,
    }
}
const fn meta(
    id: u16,
    name: &'static str,
    large: bool,
    params: &'static [&'static str],
) -> EventInfo {
    EventInfo {
        id,
        name,
        dir: Dir::Meta,
        large,
        params,
    }
}

// Parameter lists shared by several versions.
const NONE: &[&str] = &[];
const EXEC_BASE: &[&str] = &["res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit"];
const EXEC_13: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "pgft_maj", "pgft_min",
    "vm_size", "vm_rss", "vm_swap",
];
const EXEC_14: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "pgft_maj", "pgft_min",
    "vm_size", "vm_rss", "vm_swap", "env",
];
const EXEC_15: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "pgft_maj", "pgft_min",
    "vm_size", "vm_rss", "vm_swap", "comm", "env",
];
const EXEC_16: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "pgft_maj", "pgft_min",
    "vm_size", "vm_rss", "vm_swap", "comm", "cgroups", "env",
];
const EXEC_17: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "pgft_maj", "pgft_min",
    "vm_size", "vm_rss", "vm_swap", "comm", "cgroups", "env", "tty",
];
const EXECVEAT_X: &[&str] = &[
    "res",
    "exe",
    "args",
    "tid",
    "pid",
    "ptid",
    "cwd",
    "fdlimit",
    "pgft_maj",
    "pgft_min",
    "vm_size",
    "vm_rss",
    "vm_swap",
    "comm",
    "cgroups",
    "env",
    "tty",
    "vpgid",
    "loginuid",
    "flags",
    "cap_inheritable",
    "cap_permitted",
    "cap_effective",
    "exe_ino",
    "exe_ino_ctime",
    "exe_ino_mtime",
    "uid",
    "trusted_exepath",
    "pgid",
    "gid",
];
const EXECVE_19_X: &[&str] = &[
    "res",
    "exe",
    "args",
    "tid",
    "pid",
    "ptid",
    "cwd",
    "fdlimit",
    "pgft_maj",
    "pgft_min",
    "vm_size",
    "vm_rss",
    "vm_swap",
    "comm",
    "cgroups",
    "env",
    "tty",
    "vpgid",
    "loginuid",
    "flags",
    "cap_inheritable",
    "cap_permitted",
    "cap_effective",
    "exe_ino",
    "exe_ino_ctime",
    "exe_ino_mtime",
    "uid",
    "trusted_exepath",
    "pgid",
    "gid",
    "filename",
];
const CLONE_11: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "flags", "uid", "gid",
];
const CLONE_16: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "pgft_maj", "pgft_min",
    "vm_size", "vm_rss", "vm_swap", "flags", "uid", "gid",
];
const CLONE_17: &[&str] = &[
    "res", "exe", "args", "tid", "pid", "ptid", "cwd", "fdlimit", "pgft_maj", "pgft_min",
    "vm_size", "vm_rss", "vm_swap", "comm", "flags", "uid", "gid",
];
const CLONE_20: &[&str] = &[
    "res",
    "exe",
    "args",
    "tid",
    "pid",
    "ptid",
    "cwd",
    "fdlimit",
    "pgft_maj",
    "pgft_min",
    "vm_size",
    "vm_rss",
    "vm_swap",
    "comm",
    "cgroups",
    "flags",
    "uid",
    "gid",
    "vtid",
    "vpid",
    "pidns_init_start_ts",
];
const ACCEPT_5: &[&str] = &["fd", "tuple", "queuepct", "queuelen", "queuemax"];
const USER: &[&str] = &["uid", "gid", "name", "home", "shell", "container_id"];
const GROUP: &[&str] = &["gid", "name", "container_id"];

/// The decoded event types.
pub static EVENTS: &[EventInfo] = &[
    ev(2, "open", &["name", "flags", "mode"]),
    ev(3, "open", &["fd", "name", "flags", "mode", "dev", "ino"]),
    ev(4, "close", &["fd"]),
    ev(5, "close", &["res", "fd"]),
    ev(12, "execve", NONE),
    ev(13, "execve", EXEC_BASE),
    ev(14, "clone", NONE),
    ev(15, "clone", CLONE_11),
    meta(16, "procexit", false, NONE),
    ev(18, "socket", &["domain", "type", "proto"]),
    ev(19, "socket", &["fd", "domain", "type", "proto", "flags"]),
    ev(20, "bind", &["fd"]),
    ev(21, "bind", &["res", "addr", "fd"]),
    ev(22, "connect", &["fd", "addr"]),
    ev(23, "connect", &["res", "tuple", "fd", "addr"]),
    ev(24, "listen", &["fd", "backlog"]),
    ev(25, "listen", &["res", "fd", "backlog"]),
    ev(26, "accept", NONE),
    ev(27, "accept", &["fd", "tuple", "queuepct"]),
    ev(42, "socketpair", &["domain", "type", "proto"]),
    ev(
        43,
        "socketpair",
        &[
            "res", "fd1", "fd2", "source", "peer", "domain", "type", "proto",
        ],
    ),
    ev(56, "accept", &["flags"]),
    ev(57, "accept", &["fd", "tuple", "queuepct"]),
    ev(58, "creat", &["name", "mode"]),
    ev(
        59,
        "creat",
        &["fd", "name", "mode", "dev", "ino", "creat_flags"],
    ),
    ev(60, "pipe", NONE),
    ev(61, "pipe", &["res", "fd1", "fd2", "ino"]),
    ev(94, "chdir", NONE),
    ev(95, "chdir", &["res", "path"]),
    ev(96, "fchdir", &["fd"]),
    ev(97, "fchdir", &["res", "fd"]),
    ev(98, "mkdir", &["path", "mode"]),
    ev(99, "mkdir", &["res"]),
    ev(100, "rmdir", &["path"]),
    ev(101, "rmdir", &["res"]),
    ev(102, "openat", &["dirfd", "name", "flags", "mode"]),
    ev(103, "openat", &["fd"]),
    ev(104, "link", &["oldpath", "newpath"]),
    ev(105, "link", &["res"]),
    ev(106, "linkat", &["olddir", "oldpath", "newdir", "newpath"]),
    ev(107, "linkat", &["res"]),
    ev(108, "unlink", &["path"]),
    ev(109, "unlink", &["res"]),
    ev(110, "unlinkat", &["dirfd", "name"]),
    ev(111, "unlinkat", &["res"]),
    ev(124, "dup", &["fd"]),
    ev(125, "dup", &["res"]),
    ev(150, "fcntl", &["fd", "cmd"]),
    ev(151, "fcntl", &["res", "fd", "cmd", "arg"]),
    meta(
        152,
        "switch",
        false,
        &[
            "next", "pgft_maj", "pgft_min", "vm_size", "vm_rss", "vm_swap",
        ],
    ),
    ev(154, "execve", NONE),
    ev(155, "execve", EXEC_13),
    ev(156, "clone", NONE),
    ev(157, "clone", CLONE_16),
    ev(168, "ptrace", &["request", "pid"]),
    ev(169, "ptrace", &["res", "addr", "data", "request", "pid"]),
    ev(172, "execve", NONE),
    ev(173, "execve", EXEC_14),
    ev(174, "rename", NONE),
    ev(175, "rename", &["res", "oldpath", "newpath"]),
    ev(176, "renameat", NONE),
    ev(
        177,
        "renameat",
        &["res", "olddirfd", "oldpath", "newdirfd", "newpath"],
    ),
    ev(178, "symlink", NONE),
    ev(179, "symlink", &["res", "target", "linkpath"]),
    ev(180, "symlinkat", NONE),
    ev(
        181,
        "symlinkat",
        &["res", "target", "linkdirfd", "linkpath"],
    ),
    ev(182, "fork", NONE),
    ev(183, "fork", CLONE_16),
    ev(184, "vfork", NONE),
    ev(185, "vfork", CLONE_16),
    meta(
        186,
        "procexit",
        false,
        &["status", "ret", "sig", "core", "reaper_tid"],
    ),
    ev(192, "setresuid", &["ruid", "euid", "suid"]),
    ev(193, "setresuid", &["res", "ruid", "euid", "suid"]),
    ev(194, "setresgid", &["rgid", "egid", "sgid"]),
    ev(195, "setresgid", &["res", "rgid", "egid", "sgid"]),
    ev(198, "setuid", &["uid"]),
    ev(199, "setuid", &["res", "uid"]),
    ev(200, "setgid", &["gid"]),
    ev(201, "setgid", &["res", "gid"]),
    ev(214, "execve", NONE),
    ev(215, "execve", EXEC_15),
    ev(216, "clone", NONE),
    ev(217, "clone", CLONE_17),
    ev(218, "fork", NONE),
    ev(219, "fork", CLONE_17),
    ev(220, "vfork", NONE),
    ev(221, "vfork", CLONE_17),
    ev(222, "clone", NONE),
    ev(223, "clone", CLONE_20),
    ev(224, "fork", NONE),
    ev(225, "fork", CLONE_20),
    ev(226, "vfork", NONE),
    ev(227, "vfork", CLONE_20),
    meta(228, "container", false, &["id", "type", "name", "image"]),
    ev(230, "execve", NONE),
    ev(231, "execve", EXEC_16),
    meta(234, "procinfo", false, &["cpu_usr", "cpu_sys"]),
    ev(240, "setns", &["fd", "nstype"]),
    ev(241, "setns", &["res", "fd", "nstype"]),
    ev(246, "accept", NONE),
    ev(247, "accept", ACCEPT_5),
    ev(248, "accept", &["flags"]),
    ev(249, "accept", ACCEPT_5),
    meta(272, "container", false, &["json"]),
    ev(276, "mkdir", &["mode"]),
    ev(277, "mkdir", &["res", "path", "mode"]),
    ev(278, "rmdir", NONE),
    ev(279, "rmdir", &["res", "path"]),
    ev(282, "execve", NONE),
    ev(283, "execve", EXEC_17),
    ev(284, "unshare", &["flags"]),
    ev(285, "unshare", &["res", "flags"]),
    ev(288, "execve", &["filename"]),
    ev(289, "execve", EXEC_17),
    ev(292, "execve", &["filename"]),
    ev(293, "execve", EXECVE_19_X),
    ev(300, "unlink", NONE),
    ev(301, "unlink", &["res", "path"]),
    ev(302, "unlinkat", NONE),
    ev(303, "unlinkat", &["res", "dirfd", "name", "flags"]),
    ev(304, "mkdirat", NONE),
    ev(305, "mkdirat", &["res", "dirfd", "path", "mode"]),
    ev(306, "openat", &["dirfd", "name", "flags", "mode"]),
    ev(
        307,
        "openat",
        &["fd", "dirfd", "name", "flags", "mode", "dev", "ino"],
    ),
    ev(308, "link", NONE),
    ev(309, "link", &["res", "oldpath", "newpath"]),
    ev(310, "linkat", NONE),
    ev(
        311,
        "linkat",
        &["res", "olddir", "oldpath", "newdir", "newpath", "flags"],
    ),
    ev(312, "fchmodat", NONE),
    ev(313, "fchmodat", &["res", "dirfd", "filename", "mode"]),
    ev(314, "chmod", NONE),
    ev(315, "chmod", &["res", "filename", "mode"]),
    ev(316, "fchmod", NONE),
    ev(317, "fchmod", &["res", "fd", "mode"]),
    ev(318, "renameat2", NONE),
    ev(
        319,
        "renameat2",
        &["res", "olddirfd", "oldpath", "newdirfd", "newpath", "flags"],
    ),
    ev(320, "userfaultfd", NONE),
    ev(321, "userfaultfd", &["res", "flags"]),
    meta(324, "container", true, &["json"]),
    ev(
        326,
        "openat2",
        &["dirfd", "name", "flags", "mode", "resolve"],
    ),
    ev(
        327,
        "openat2",
        &[
            "fd", "dirfd", "name", "flags", "mode", "resolve", "dev", "ino",
        ],
    ),
    ev(330, "execveat", &["dirfd", "pathname", "flags"]),
    ev(331, "execveat", EXECVEAT_X),
    ev(334, "clone3", NONE),
    ev(335, "clone3", CLONE_20),
    meta(354, "useradded", false, USER),
    meta(356, "userdeleted", false, USER),
    meta(358, "groupadded", false, GROUP),
    meta(360, "groupdeleted", false, GROUP),
    ev(362, "dup2", &["fd"]),
    ev(363, "dup2", &["res", "oldfd", "newfd"]),
    ev(364, "dup3", &["fd"]),
    ev(365, "dup3", &["res", "oldfd", "newfd", "flags"]),
    ev(366, "dup", &["fd"]),
    ev(367, "dup", &["res", "oldfd"]),
    ev(388, "accept4", &["flags"]),
    ev(
        389,
        "accept4",
        &["fd", "tuple", "queuepct", "queuelen", "queuemax", "flags"],
    ),
    ev(392, "pipe2", NONE),
    ev(393, "pipe2", &["res", "fd1", "fd2", "ino", "flags"]),
    meta(402, "asyncevent", true, &["plugin_id", "name", "data"]),
    ev(404, "memfd_create", NONE),
    ev(405, "memfd_create", &["fd", "name", "flags"]),
    ev(410, "init_module", NONE),
    ev(411, "init_module", &["res", "img", "length", "uargs"]),
    ev(412, "finit_module", NONE),
    ev(413, "finit_module", &["res", "fd", "uargs", "flags"]),
    ev(426, "setreuid", NONE),
    ev(427, "setreuid", &["res", "ruid", "euid"]),
    ev(428, "setregid", NONE),
    ev(429, "setregid", &["res", "rgid", "egid"]),
    ev(450, "close_range", NONE),
    ev(451, "close_range", &["res", "first", "last", "flags"]),
];

/// Event types whose parameter lengths are `u32` even when this table does not decode them
/// (plugin events).
const LARGE_ONLY: &[u16] = &[322];

/// The entry for an event id.
pub fn info(id: u16) -> Option<&'static EventInfo> {
    static INDEX: OnceLock<Vec<u16>> = OnceLock::new();
    let idx = INDEX.get_or_init(|| {
        let mut v = vec![u16::MAX; EVENT_MAX as usize];
        for (i, e) in EVENTS.iter().enumerate() {
            if let Some(slot) = v.get_mut(e.id as usize) {
                *slot = i as u16;
            }
        }
        v
    });
    let i = *idx.get(id as usize)?;
    EVENTS.get(i as usize)
}

/// Whether an event id's parameter lengths are 32-bit.
pub fn is_large(id: u16) -> bool {
    info(id).is_some_and(|e| e.large) || LARGE_ONLY.contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_below_the_maximum() {
        let mut seen = std::collections::BTreeSet::new();
        for e in EVENTS {
            assert!(e.id < EVENT_MAX, "{}", e.id);
            assert!(seen.insert(e.id), "duplicate id {}", e.id);
            assert_eq!(info(e.id), Some(e));
        }
    }

    #[test]
    fn enter_and_exit_pairs_share_a_name() {
        for e in EVENTS.iter().filter(|e| e.dir == Dir::Exit) {
            if let Some(enter) = info(e.id - 1) {
                assert_eq!(enter.name, e.name, "ids {} and {}", e.id - 1, e.id);
            }
        }
    }
}
