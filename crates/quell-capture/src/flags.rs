//! Rendering of syscall arguments the way Falco prints them: open flags,
//! modes, errno names, socket families, ptrace requests, clone flags and
//! capability sets.

/// `AT_FDCWD` as a signed fd.
pub const AT_FDCWD: i64 = -100;
/// Linux x86_64 open flags.
pub const O_ACCMODE: u64 = 0o3;
/// Read only.
pub const O_RDONLY: u64 = 0;
/// Write only.
pub const O_WRONLY: u64 = 0o1;
/// Read/write.
pub const O_RDWR: u64 = 0o2;
/// Create.
pub const O_CREAT: u64 = 0o100;
/// Exclusive create.
pub const O_EXCL: u64 = 0o200;
/// Truncate.
pub const O_TRUNC: u64 = 0o1000;
/// Append.
pub const O_APPEND: u64 = 0o2000;
/// Non-blocking.
pub const O_NONBLOCK: u64 = 0o4000;
/// Data sync.
pub const O_DSYNC: u64 = 0o10000;
/// Direct I/O.
pub const O_DIRECT: u64 = 0o40000;
/// Large file.
pub const O_LARGEFILE: u64 = 0o100000;
/// Must be a directory.
pub const O_DIRECTORY: u64 = 0o200000;
/// Do not follow symlinks.
pub const O_NOFOLLOW: u64 = 0o400000;
/// No atime update.
pub const O_NOATIME: u64 = 0o1000000;
/// Close on exec.
pub const O_CLOEXEC: u64 = 0o2000000;
/// Full sync (includes O_DSYNC).
pub const O_SYNC: u64 = 0o4010000;
/// Path only.
pub const O_PATH: u64 = 0o10000000;
/// Unnamed temporary file (includes O_DIRECTORY).
pub const O_TMPFILE: u64 = 0o20200000;

/// Open flags as Falco prints them (`O_TRUNC|O_CREAT|O_WRONLY`, `O_RDONLY|O_CLOEXEC`).
pub fn open_flags(f: u64) -> String {
    let mut out: Vec<&str> = Vec::new();
    let has = |bit: u64| f & bit == bit;
    if has(O_LARGEFILE) {
        out.push("O_LARGEFILE");
    }
    if has(O_TMPFILE) {
        out.push("O_TMPFILE");
    } else if has(O_DIRECTORY) {
        out.push("O_DIRECTORY");
    }
    if has(O_DIRECT) {
        out.push("O_DIRECT");
    }
    if has(O_TRUNC) {
        out.push("O_TRUNC");
    }
    if has(O_SYNC) {
        out.push("O_SYNC");
    }
    if has(O_NONBLOCK) {
        out.push("O_NONBLOCK");
    }
    if has(O_EXCL) {
        out.push("O_EXCL");
    }
    if !has(O_SYNC) && has(O_DSYNC) {
        out.push("O_DSYNC");
    }
    if has(O_APPEND) {
        out.push("O_APPEND");
    }
    if has(O_CREAT) {
        out.push("O_CREAT");
    }
    match f & O_ACCMODE {
        O_RDWR => out.push("O_RDWR"),
        O_WRONLY => out.push("O_WRONLY"),
        O_RDONLY => out.push("O_RDONLY"),
        _ => {}
    }
    if has(O_CLOEXEC) {
        out.push("O_CLOEXEC");
    }
    if has(O_NOFOLLOW) {
        out.push("O_NOFOLLOW");
    }
    if has(O_NOATIME) {
        out.push("O_NOATIME");
    }
    if has(O_PATH) {
        out.push("O_PATH");
    }
    out.join("|")
}

/// A file mode in octal with a leading 0 (`0644`; `0` for none).
pub fn mode(m: u64) -> String {
    let m = m & 0o7777;
    if m == 0 {
        "0".to_string()
    } else {
        format!("0{m:o}")
    }
}

/// The permission bits of `chmod`, `fchmod` and `fchmodat` in the order of
/// libsinsp's `chmod_mode` table.
const CHMOD_MODE: &[(u64, &str)] = &[
    (0o1, "S_IXOTH"),
    (0o2, "S_IWOTH"),
    (0o4, "S_IROTH"),
    (0o10, "S_IXGRP"),
    (0o20, "S_IWGRP"),
    (0o40, "S_IRGRP"),
    (0o100, "S_IXUSR"),
    (0o200, "S_IWUSR"),
    (0o400, "S_IRUSR"),
    (0o1000, "S_ISVTX"),
    (0o2000, "S_ISGID"),
    (0o4000, "S_ISUID"),
];

/// The `mode` of `chmod`, `fchmod` and `fchmodat` as Falco gives
/// `evt.arg.mode`: the names of the set bits joined by `|`, lowest bit
/// first (`04755` → `S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID`),
/// and for no bit the number in C's `%#o` (`0`). Bits beyond `07777` are
/// not named (the driver keeps only these).
pub fn chmod_mode(m: u64) -> String {
    let m = m & 0o7777;
    let names: Vec<&str> = CHMOD_MODE
        .iter()
        .filter(|(bit, _)| m & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        mode(m)
    } else {
        names.join("|")
    }
}

/// The bits [`chmod_mode`] names, back from its text (`None` when a part
/// is not one of its names or numbers).
pub fn chmod_bits(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    text.split('|').try_fold(0u64, |acc, part| {
        CHMOD_MODE
            .iter()
            .find(|(_, n)| *n == part)
            .map(|(bit, _)| acc | bit)
    })
}

/// The `mode` of `chmod`-like calls as `evt.args` shows it: the number in
/// `%#o` with the names in parentheses (`04755(S_IXOTH|...|S_ISUID)`), or
/// only the number when no bit is set.
pub fn chmod_mode_arg(m: u64) -> String {
    let m = m & 0o7777;
    if m == 0 {
        mode(m)
    } else {
        format!("{}({})", mode(m), chmod_mode(m))
    }
}

/// The `mode` of `mkdir` and `mkdirat` as Falco prints it: a 32-bit number
/// in upper-case hexadecimal without prefix (`0755` → `1ED`), as libsinsp's
/// `PF_HEX` format.
pub fn hex_mode(m: u64) -> String {
    format!("{:X}", m & 0xffff_ffff)
}

/// memfd_create flags.
pub fn memfd_flags(f: u64) -> String {
    let mut out = Vec::new();
    for (bit, n) in [
        (1u64, "MFD_CLOEXEC"),
        (2, "MFD_ALLOW_SEALING"),
        (4, "MFD_HUGETLB"),
        (8, "MFD_NOEXEC_SEAL"),
        (16, "MFD_EXEC"),
    ] {
        if f & bit != 0 {
            out.push(n);
        }
    }
    out.join("|")
}

/// Clone / unshare / setns namespace flags.
pub fn clone_flags(f: u64) -> String {
    const T: &[(u64, &str)] = &[
        (0x0000_0100, "CLONE_VM"),
        (0x0000_0200, "CLONE_FS"),
        (0x0000_0400, "CLONE_FILES"),
        (0x0000_0800, "CLONE_SIGHAND"),
        (0x0000_2000, "CLONE_PTRACE"),
        (0x0000_8000, "CLONE_PARENT"),
        (0x0001_0000, "CLONE_THREAD"),
        (0x0002_0000, "CLONE_NEWNS"),
        (0x0004_0000, "CLONE_SYSVSEM"),
        (0x0200_0000, "CLONE_NEWCGROUP"),
        (0x0400_0000, "CLONE_NEWUTS"),
        (0x0800_0000, "CLONE_NEWIPC"),
        (0x1000_0000, "CLONE_NEWUSER"),
        (0x2000_0000, "CLONE_NEWPID"),
        (0x4000_0000, "CLONE_NEWNET"),
        (0x8000_0000, "CLONE_IO"),
    ];
    T.iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join("|")
}

/// Socket family name.
pub fn family(f: u16) -> &'static str {
    match f {
        0 => "AF_UNSPEC",
        1 => "AF_UNIX",
        2 => "AF_INET",
        10 => "AF_INET6",
        16 => "AF_NETLINK",
        17 => "AF_PACKET",
        _ => "AF_UNKNOWN",
    }
}

/// `fcntl` command: duplicate an fd.
pub const F_DUPFD: u64 = 0;
/// `fcntl` command: duplicate an fd, close-on-exec.
pub const F_DUPFD_CLOEXEC: u64 = 1030;

/// `fcntl` command name (`evt.arg.cmd`).
pub fn fcntl_cmd(c: u64) -> &'static str {
    match c {
        F_DUPFD => "F_DUPFD",
        1 => "F_GETFD",
        2 => "F_SETFD",
        3 => "F_GETFL",
        4 => "F_SETFL",
        5 => "F_GETLK",
        6 => "F_SETLK",
        7 => "F_SETLKW",
        8 => "F_SETOWN",
        9 => "F_GETOWN",
        10 => "F_SETSIG",
        11 => "F_GETSIG",
        1024 => "F_SETLEASE",
        1025 => "F_GETLEASE",
        1026 => "F_NOTIFY",
        F_DUPFD_CLOEXEC => "F_DUPFD_CLOEXEC",
        1031 => "F_SETPIPE_SZ",
        1032 => "F_GETPIPE_SZ",
        _ => "F_UNKNOWN",
    }
}

/// ptrace request name.
pub fn ptrace_request(r: u64) -> &'static str {
    match r {
        0 => "PTRACE_TRACEME",
        1 => "PTRACE_PEEKTEXT",
        2 => "PTRACE_PEEKDATA",
        3 => "PTRACE_PEEKUSR",
        4 => "PTRACE_POKETEXT",
        5 => "PTRACE_POKEDATA",
        6 => "PTRACE_POKEUSR",
        7 => "PTRACE_CONT",
        8 => "PTRACE_KILL",
        9 => "PTRACE_SINGLESTEP",
        12 => "PTRACE_GETREGS",
        13 => "PTRACE_SETREGS",
        14 => "PTRACE_GETFPREGS",
        15 => "PTRACE_SETFPREGS",
        16 => "PTRACE_ATTACH",
        17 => "PTRACE_DETACH",
        18 => "PTRACE_GETFPXREGS",
        19 => "PTRACE_SETFPXREGS",
        24 => "PTRACE_SYSCALL",
        25 => "PTRACE_GET_THREAD_AREA",
        26 => "PTRACE_SET_THREAD_AREA",
        30 => "PTRACE_ARCH_PRCTL",
        31 => "PTRACE_SYSEMU",
        32 => "PTRACE_SYSEMU_SINGLESTEP",
        33 => "PTRACE_SINGLEBLOCK",
        0x4200 => "PTRACE_SETOPTIONS",
        0x4201 => "PTRACE_GETEVENTMSG",
        0x4202 => "PTRACE_GETSIGINFO",
        0x4203 => "PTRACE_SETSIGINFO",
        0x4204 => "PTRACE_GETREGSET",
        0x4205 => "PTRACE_SETREGSET",
        0x4206 => "PTRACE_SEIZE",
        0x4207 => "PTRACE_INTERRUPT",
        0x4208 => "PTRACE_LISTEN",
        0x4209 => "PTRACE_PEEKSIGINFO",
        _ => "PTRACE_UNKNOWN",
    }
}

const CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability set as space-separated names.
pub fn caps(set: u64) -> String {
    CAPS.iter()
        .enumerate()
        .filter(|(i, _)| set & (1u64 << i) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `evt.res` text: `SUCCESS` for non-negative results, else the errno name.
pub fn res_text(res: i64) -> String {
    if res >= 0 {
        return "SUCCESS".to_string();
    }
    let n = match res.unsigned_abs() {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        7 => "E2BIG",
        8 => "ENOEXEC",
        9 => "EBADF",
        10 => "ECHILD",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        18 => "EXDEV",
        19 => "ENODEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        25 => "ENOTTY",
        26 => "ETXTBSY",
        27 => "EFBIG",
        28 => "ENOSPC",
        29 => "ESPIPE",
        30 => "EROFS",
        31 => "EMLINK",
        32 => "EPIPE",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        39 => "ENOTEMPTY",
        40 => "ELOOP",
        88 => "ENOTSOCK",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        98 => "EADDRINUSE",
        99 => "EADDRNOTAVAIL",
        100 => "ENETDOWN",
        101 => "ENETUNREACH",
        103 => "ECONNABORTED",
        104 => "ECONNRESET",
        106 => "EISCONN",
        107 => "ENOTCONN",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        113 => "EHOSTUNREACH",
        114 => "EALREADY",
        115 => "EINPROGRESS",
        _ => return res.to_string(),
    };
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flag_text() {
        assert_eq!(open_flags(O_RDONLY | O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
        assert_eq!(
            open_flags(O_WRONLY | O_CREAT | O_TRUNC),
            "O_TRUNC|O_CREAT|O_WRONLY"
        );
        assert_eq!(open_flags(O_RDWR | O_APPEND), "O_APPEND|O_RDWR");
        assert_eq!(
            open_flags(O_RDONLY | O_DIRECTORY | O_CLOEXEC),
            "O_DIRECTORY|O_RDONLY|O_CLOEXEC"
        );
        assert_eq!(open_flags(O_SYNC | O_WRONLY), "O_SYNC|O_WRONLY");
    }

    #[test]
    fn other_renderings() {
        assert_eq!(mode(0o644), "0644");
        assert_eq!(mode(0), "0");
        assert_eq!(res_text(3), "SUCCESS");
        assert_eq!(res_text(-2), "ENOENT");
        assert_eq!(res_text(-115), "EINPROGRESS");
        assert_eq!(res_text(-4000), "-4000");
        assert_eq!(res_text(i64::MIN), i64::MIN.to_string());
        assert_eq!(ptrace_request(16), "PTRACE_ATTACH");
        assert_eq!(ptrace_request(0x4206), "PTRACE_SEIZE");
        assert_eq!(caps(1 | (1 << 21)), "CAP_CHOWN CAP_SYS_ADMIN");
        assert_eq!(caps(0), "");
        assert_eq!(
            clone_flags(0x2000_0000 | 0x0002_0000),
            "CLONE_NEWNS|CLONE_NEWPID"
        );
        assert_eq!(family(17), "AF_PACKET");
        assert_eq!(memfd_flags(3), "MFD_CLOEXEC|MFD_ALLOW_SEALING");
    }

    /// libsinsp resolves `PT_MODE` with the `chmod_mode` table (lowest bit
    /// first, `|` between) and falls back to `%#o` when no name applies;
    /// `mkdir`'s mode is `PT_UINT32` in `PF_HEX`.
    #[test]
    fn chmod_and_mkdir_modes_as_falco_prints_them() {
        assert_eq!(
            chmod_mode(0o4755),
            "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"
        );
        assert_eq!(chmod_mode(0o4000), "S_ISUID");
        assert_eq!(chmod_mode(0o2000), "S_ISGID");
        assert_eq!(chmod_mode(0o6000), "S_ISGID|S_ISUID");
        assert_eq!(chmod_mode(0o1777).split('|').count(), 10);
        assert_eq!(chmod_mode(0o644), "S_IROTH|S_IRGRP|S_IWUSR|S_IRUSR");
        assert_eq!(chmod_mode(0), "0");
        // file-type bits are not permissions
        assert_eq!(chmod_mode(0o100000 | 0o4000), "S_ISUID");
        assert_eq!(
            chmod_mode_arg(0o4755),
            format!("04755({})", chmod_mode(0o4755))
        );
        assert_eq!(chmod_mode_arg(0), "0");
        for m in [0, 0o4755, 0o2000, 0o1777, 0o644] {
            assert_eq!(chmod_bits(&chmod_mode(m)), Some(m));
        }
        assert_eq!(chmod_bits("S_ISUID|bogus"), None);
        assert_eq!(hex_mode(0o755), "1ED");
        assert_eq!(hex_mode(0o777), "1FF");
        assert_eq!(hex_mode(0), "0");
    }
}
