//! A small live-like scenario for the writer's tests: quell-capture's state applies typed
//! records (what `quell run` sees), and `RecordWriter` writes each one after it, as the
//! record tap of `quell run --record out.scap` does.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use quell_capture::procfs::Users;
use quell_capture::record::{Body, Exec, Fork, NetOp, OpenCall, Record, RenameCall, Syscall};
use quell_capture::state::{FdInfo, FdKind, Process, State};
use quell_capture::wire::{SockAddr, Tuple};
use quell_events::FlatEvent;
use quell_scap::write::RecordWriter;

pub fn state() -> State {
    let users = Users::parse(
        "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
        "root:x:0:\nalice:x:1000:\n",
    );
    // boot clock = epoch + 1.7e18 ns
    let mut s = State::new(users, 1_700_000_000_000_000_000, None);
    let tty = FdInfo {
        kind: FdKind::File,
        name: "/dev/pts/0".into(),
        nameraw: "/dev/pts/0".into(),
        flags: 0o2,
        sock: None,
    };
    s.insert(Process {
        pid: 1,
        ppid: 0,
        vpid: 1,
        comm: "systemd".into(),
        exe: "/sbin/init".into(),
        exepath: "/usr/lib/systemd/systemd".into(),
        cwd: "/".into(),
        loginuid: u32::MAX,
        ..Process::default()
    });
    // a process whose command line and environment are longer than libscap's reader takes
    // from a process list (4096 bytes each): the writer cuts them, sysdig still reads
    s.insert(Process {
        pid: 50,
        ppid: 1,
        vpid: 50,
        comm: "rustc".into(),
        exe: "/usr/bin/rustc".into(),
        exepath: "/usr/bin/rustc".into(),
        args: (0..1000).map(|i| format!("--arg-{i}")).collect(),
        env: (0..1000).map(|i| format!("VAR{i}=value")).collect(),
        cwd: format!("/{}", "d/".repeat(700)),
        ..Process::default()
    });
    s.insert(Process {
        pid: 100,
        ppid: 1,
        vpid: 100,
        sid: 100,
        comm: "bash".into(),
        exe: "-bash".into(),
        exepath: "/usr/bin/bash".into(),
        args: vec!["--login".into()],
        cwd: "/home/alice".into(),
        uid: 1000,
        gid: 1000,
        loginuid: 1000,
        fds: [(0, tty.clone()), (1, tty.clone()), (2, tty)]
            .into_iter()
            .collect(),
        ..Process::default()
    });
    s
}

fn rec(ts: u64, tid: u32, tgid: u32, uid: u32, body: Body) -> Record {
    Record {
        ts_boot: ts,
        cgroup_id: 0,
        tid,
        tgid,
        uid,
        gid: 1000,
        body,
    }
}

fn sys(res: i64, call: Syscall) -> Body {
    Body::Syscall { res, call }
}

fn open(path: &str, flags: u64) -> Syscall {
    Syscall::Open {
        call: OpenCall::Openat,
        dirfd: -100,
        path: path.into(),
        flags,
        mode: 0o644,
    }
}

/// bash (100, alice) forks 200, which runs `cat /etc/shadow`, opens, connects, unlinks,
/// links, renames, chmods, becomes root, fails an exec, attaches ptrace, starts a thread
/// that opens a file, and exits.
pub fn scenario() -> Vec<Record> {
    let ip = |a: [u8; 4]| IpAddr::V4(Ipv4Addr::from(a));
    let mut v = vec![
        rec(
            1_000,
            100,
            100,
            1000,
            Body::Fork(Fork {
                child_tid: 200,
                child_tgid: 200,
                info: None,
            }),
        ),
        rec(
            2_000,
            200,
            200,
            1000,
            Body::Exec(Exec {
                execveat: false,
                filename: "/bin/cat".into(),
                argv: vec!["cat".into(), "/etc/shadow".into()],
                comm: Some("cat".into()),
                exe_dentry: "cat".into(),
                info: None,
                env: vec!["HOME=/home/alice".into()],
            }),
        ),
        rec(
            3_000,
            200,
            200,
            1000,
            sys(3, open("/etc/shadow", 0o2000000)),
        ),
        rec(4_000, 200, 200, 1000, sys(0, Syscall::Close { fd: 3 })),
        rec(5_000, 200, 200, 1000, sys(3, open("notes.txt", 0o1101))),
        rec(
            5_500,
            200,
            200,
            1000,
            sys(-13, open("/root/.ssh/id_rsa", 0)),
        ),
        rec(
            6_000,
            200,
            200,
            1000,
            sys(
                4,
                Syscall::Socket {
                    domain: 2,
                    sock_type: 1,
                    proto: 0,
                },
            ),
        ),
        rec(
            7_000,
            200,
            200,
            1000,
            sys(
                0,
                Syscall::Net {
                    op: NetOp::Connect,
                    fd: 4,
                    addr: Some(SockAddr::Ip(ip([10, 0, 0, 2]), 443)),
                    tuple: Some(Tuple {
                        family: 2,
                        sock_type: 1,
                        proto: 6,
                        laddr: ip([10, 0, 0, 1]),
                        lport: 40000,
                        raddr: ip([10, 0, 0, 2]),
                        rport: 443,
                    }),
                },
            ),
        ),
        rec(
            8_000,
            200,
            200,
            1000,
            sys(
                0,
                Syscall::Unlinkat {
                    dirfd: -100,
                    path: "/var/log/syslog".into(),
                    flags: 0,
                },
            ),
        ),
        rec(
            9_000,
            200,
            200,
            1000,
            sys(
                0,
                Syscall::Symlink {
                    symlinkat: false,
                    target: "/etc/shadow".into(),
                    linkdirfd: -100,
                    linkpath: "shadow_link".into(),
                },
            ),
        ),
        rec(
            10_000,
            200,
            200,
            1000,
            sys(
                0,
                Syscall::Rename {
                    call: RenameCall::Renameat2,
                    olddirfd: -100,
                    oldpath: "a.txt".into(),
                    newdirfd: -100,
                    newpath: "/tmp/b.txt".into(),
                },
            ),
        ),
        rec(
            11_000,
            200,
            200,
            1000,
            sys(
                0,
                Syscall::Chmod {
                    path: "/tmp/x".into(),
                    mode: 0o4755,
                },
            ),
        ),
        rec(12_000, 200, 200, 0, sys(0, Syscall::Setuid { uid: 0 })),
        rec(
            13_000,
            200,
            200,
            0,
            sys(
                -2,
                Syscall::Execve {
                    execveat: false,
                    filename: "/nope".into(),
                },
            ),
        ),
        rec(
            14_000,
            200,
            200,
            0,
            sys(
                0,
                Syscall::Ptrace {
                    request: 16,
                    pid: 100,
                    addr: 0,
                    data: 0,
                },
            ),
        ),
        rec(
            15_000,
            200,
            200,
            0,
            Body::Fork(Fork {
                child_tid: 201,
                child_tgid: 200,
                info: None,
            }),
        ),
        rec(16_000, 201, 200, 0, sys(5, open("/etc/passwd", 0))),
        rec(
            17_000,
            200,
            200,
            0,
            sys(
                0,
                Syscall::Mkdir {
                    path: "d".into(),
                    mode: 0o755,
                },
            ),
        ),
        rec(
            17_500,
            200,
            200,
            0,
            sys(0, Syscall::Chdir { path: "d".into() }),
        ),
        rec(17_800, 200, 200, 0, sys(6, open("inner.txt", 0o101))),
    ];
    v.push(rec(18_000, 200, 200, 0, Body::Exit { status: 0 }));
    v
}

/// Applies the scenario live-style; returns the live events (as `quell run` evaluates
/// them) and the capture written from the same records.
pub fn record_scenario() -> (Vec<FlatEvent>, Vec<u8>) {
    let mut s = state();
    let mut w = RecordWriter::start(Vec::new(), &s, "quell-test").expect("start");
    let mut live = Vec::new();
    for r in scenario() {
        if let Some(e) = s.apply(&r) {
            live.push(e);
        }
        w.record(&r, &s).expect("record");
    }
    (live, w.finish().expect("finish"))
}

/// A field as text ("" when missing).
pub fn txt(e: &FlatEvent, k: &str) -> String {
    e.get(k).map(|v| v.to_string()).unwrap_or_default()
}
