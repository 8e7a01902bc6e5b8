//! Live capture tests: start a capture, run a shell script as a child, and
//! check the events of the child's process tree.
//!
//! They need root and a kernel with BPF, BTF and raw tracepoints. Where
//! `quell_capture::check_support` says capture cannot run they are reported
//! as ignored (see `main`); otherwise any failure to capture is a test
//! failure.

#[path = "common/live_harness.rs"]
#[macro_use]
mod live_harness;

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use quell_capture::{Capture, CaptureConfig, FlatEvent};

static SERIAL: Mutex<()> = Mutex::new(());

/// Fails the test, saying why, when live capture cannot run here (the
/// harness has then reported it as ignored unless `QUELL_LIVE_TESTS=1`).
fn require_live() {
    if let Err(e) = quell_capture::check_support() {
        panic!("live capture cannot run here: {e}");
    }
}

/// The lock that serializes live tests (after [`require_live`]).
fn live_test() -> Option<std::sync::MutexGuard<'static, ()>> {
    require_live();
    Some(SERIAL.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The open prefilter of a rules file's text.
fn open_filter_of(rules: &str) -> quell_rules::prefilter::OpenFilter {
    let mut engine = quell_rules::engine::Engine::new();
    assert!(engine.load("r.yaml", rules).successful);
    quell_rules::prefilter::open_filter(engine.rules())
}

/// The open prefilter of a rule on one path (`kept`), and a path in the same
/// directory that the filter drops (named by `p`).
fn kept_and_dropped(
    kept: &str,
    p: &dyn Fn(&str) -> String,
) -> (quell_rules::prefilter::OpenFilter, String) {
    let rules = format!(
        "- rule: r\n  desc: d\n  condition: evt.type = openat and fd.name = {kept}\n  output: o\n  priority: WARNING\n"
    );
    let filter = open_filter_of(&rules);
    let buf = quell_capture::prefilter::encode(&filter);
    let dropped = (0..10)
        .map(|i| p(&format!("dropped-{i}")))
        .find(|n| !quell_capture::prefilter::kernel_keeps(&buf, 1, n.as_bytes()))
        .expect("a path the filter drops");
    (filter, dropped)
}

/// Runs `sh -c script` under capture and returns the events of its process tree.
fn trace(script: &str) -> Option<Vec<FlatEvent>> {
    trace_cfg(script, None)
}

/// [`trace`] with an open prefilter (and close skipping) in force.
fn trace_cfg(
    script: &str,
    open_filter: Option<quell_rules::prefilter::OpenFilter>,
) -> Option<Vec<FlatEvent>> {
    let _g = live_test()?;
    let skip_unknown_closes = open_filter.is_some();
    let mut cap = Capture::start(&CaptureConfig {
        event_types: None,
        follow_children: true,
        open_filter,
        skip_unknown_closes,
        ..CaptureConfig::default()
    })
    .unwrap_or_else(|e| panic!("running as root, capture must start: {e}"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .spawn()
        .expect("spawn sh");
    let root = child.id() as i64;
    let mut evs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        cap.poll(Duration::from_millis(50), &mut |e| evs.push(e))
            .expect("poll");
        if child.try_wait().expect("wait").is_some() || Instant::now() > deadline {
            break;
        }
    }
    cap.drain(&mut |e| evs.push(e)).expect("drain");
    let st = cap.stats();
    assert_eq!(st.dropped, 0, "no drops expected in a small test: {st:?}");
    assert_eq!(st.decode_errors, 0);
    let in_tree = |e: &FlatEvent| {
        let is = |k: &str| matches!(e.get(k), Some(quell_rules::Value::Int(p)) if *p == root);
        is("proc.pid") || (1..=16).any(|n| is(&format!("proc.apid[{n}]")))
    };
    Some(evs.into_iter().filter(in_tree).collect())
}

fn s(e: &FlatEvent, k: &str) -> String {
    e.get(k)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "<NA>".into())
}

fn find(evs: &[FlatEvent], pred: impl Fn(&FlatEvent) -> bool) -> Option<&FlatEvent> {
    evs.iter().find(|e| pred(e))
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("quell-live-")
        .tempdir()
        .expect("tempdir")
}

fn truncation_open_flags_and_paths() {
    let d = scratch();
    let dir = d.path().display().to_string();
    let Some(evs) = trace(&format!("cd {dir} && : > syslog && echo x >> notes.txt")) else {
        return;
    };
    let t = find(&evs, |e| {
        s(e, "evt.type") == "openat" && s(e, "fd.filename") == "syslog"
    })
    .expect("openat of syslog captured");
    assert_eq!(
        s(t, "fd.name"),
        format!("{dir}/syslog"),
        "relative path resolved against cwd"
    );
    assert_eq!(s(t, "evt.arg.flags"), "O_TRUNC|O_CREAT|O_WRONLY");
    assert_eq!(s(t, "evt.is_open_write"), "true");
    assert_eq!(s(t, "fd.typechar"), "f");
    assert_eq!(s(t, "proc.name"), "sh");
    // libsinsp's form: the working directory with a trailing slash
    assert_eq!(s(t, "proc.cwd"), format!("{dir}/"));
    assert_eq!(s(t, "user.name"), "root");
    assert_eq!(s(t, "container.id"), "host");
    let a = find(&evs, |e| {
        s(e, "evt.type") == "openat" && s(e, "fd.filename") == "notes.txt"
    })
    .expect("append open");
    assert!(
        !s(a, "evt.arg.flags").contains("O_TRUNC"),
        "near miss: append has no O_TRUNC"
    );
    assert!(s(a, "evt.arg.flags").contains("O_APPEND"));
}

fn exec_ancestry_and_cmdline() {
    let d = scratch();
    let dir = d.path().display().to_string();
    let script = format!(
        "cp /bin/sh {dir}/httpd && {dir}/httpd -c 'sh -c \"cat /etc/hostname > /dev/null\"; true'"
    );
    let Some(evs) = trace(&script) else { return };
    let cat = find(&evs, |e| {
        s(e, "evt.type") == "execve" && s(e, "proc.name") == "cat"
    })
    .expect("exec of cat");
    assert_eq!(s(cat, "proc.cmdline"), "cat /etc/hostname");
    assert_eq!(s(cat, "proc.pname"), "sh");
    assert_eq!(s(cat, "proc.aname[2]"), "httpd");
    assert_eq!(s(cat, "proc.aname[3]"), "sh");
    let sh = find(&evs, |e| {
        s(e, "evt.type") == "execve" && s(e, "proc.name") == "sh" && s(e, "proc.pname") == "httpd"
    })
    .expect("shell spawned by httpd");
    assert!(
        s(sh, "proc.exepath").starts_with('/'),
        "{}",
        s(sh, "proc.exepath")
    );
    assert!(s(sh, "proc.pcmdline").starts_with("httpd -c"));
    let rd = find(&evs, |e| {
        s(e, "evt.type") == "openat" && s(e, "fd.name") == "/etc/hostname"
    })
    .expect("read");
    assert_eq!(s(rd, "evt.is_open_read"), "true");
    assert_eq!(s(rd, "proc.pname"), "sh");
}

fn unlink_symlink_and_rename_targets() {
    let d = scratch();
    let dir = d.path().display().to_string();
    let script = format!(
        "cd {dir} && touch a.log && rm a.log && ln -s /etc/shadow link && touch b && mv b c"
    );
    let Some(evs) = trace(&script) else { return };
    let u = find(&evs, |e| {
        s(e, "evt.type") == "unlinkat" && s(e, "evt.arg.name") == "a.log"
    })
    .expect("unlinkat");
    assert_eq!(s(u, "fs.path.name"), format!("{dir}/a.log"));
    assert_eq!(s(u, "evt.res"), "SUCCESS");
    assert_eq!(s(u, "proc.name"), "rm");
    let l = find(&evs, |e| s(e, "evt.type").starts_with("symlink")).expect("symlink");
    assert_eq!(s(l, "evt.arg.target"), "/etc/shadow");
    assert_eq!(s(l, "fs.path.target"), format!("{dir}/link"));
    let r = find(&evs, |e| s(e, "evt.type").starts_with("rename")).expect("rename");
    assert_eq!(s(r, "fs.path.source"), format!("{dir}/b"));
    assert_eq!(s(r, "fs.path.target"), format!("{dir}/c"));
}

fn ptrace_and_memfd_exec() {
    // perl is part of Debian's essential set; it issues the raw syscalls.
    let script = "sleep 5 >/dev/null 2>&1 & P=$!; \
        perl -e 'syscall(101, 16, $ARGV[0] + 0, 0, 0); syscall(101, 2, 999999, 0, 0);' $P; kill -9 $P; \
        perl -e 'my $n = \"quelltest\"; my $fd = syscall(319, $n, 0); die \"memfd\" if $fd < 0; \
                 open(my $o, \">&=\", $fd) or die; open(my $i, \"<\", \"/bin/true\") or die; binmode $i; \
                 my $d = do { local $/; <$i> }; syswrite($o, $d) or die; exec {\"/proc/self/fd/$fd\"} \"quelltest\" or die \"exec: $!\";'";
    let Some(evs) = trace(script) else { return };
    let att = find(&evs, |e| {
        s(e, "evt.type") == "ptrace" && s(e, "evt.arg.request") == "PTRACE_ATTACH"
    })
    .expect("ptrace attach");
    assert_eq!(s(att, "proc.name"), "perl");
    assert_eq!(s(att, "evt.res"), "SUCCESS");
    let peek = find(&evs, |e| {
        s(e, "evt.type") == "ptrace" && s(e, "evt.arg.request") == "PTRACE_PEEKDATA"
    })
    .expect("near miss: peekdata");
    assert_eq!(s(peek, "evt.res"), "ESRCH");
    let m = find(&evs, |e| s(e, "evt.type") == "memfd_create").expect("memfd_create");
    assert_eq!(s(m, "fd.name"), "memfd:quelltest");
    let x = find(&evs, |e| {
        s(e, "evt.type").starts_with("execve") && s(e, "proc.is_exe_from_memfd") == "true"
    })
    .expect("exec from memfd");
    assert!(
        s(x, "proc.exepath").starts_with("memfd:quelltest"),
        "{}",
        s(x, "proc.exepath")
    );
    assert_eq!(s(x, "proc.pname"), "sh");
    let others = evs
        .iter()
        .filter(|e| s(e, "evt.type") == "execve" && s(e, "proc.name") == "sleep")
        .all(|e| s(e, "proc.is_exe_from_memfd") == "false");
    assert!(others, "near miss: a normal exec is not from a memfd");
}

fn loopback_connect_tuple() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = l.local_addr().expect("addr").port();
    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port}; echo hi >&3; exec 3>&-");
    let accept = std::thread::spawn(move || l.accept().map(|_| ()));
    // bash understands /dev/tcp; sh (dash) does not
    let Some(evs) = trace(&format!("bash -c '{script}'")) else {
        return;
    };
    let _ = accept.join();
    // The C library may connect to a unix socket first (nscd, on hosts that
    // have one): take the connect to the listener's port.
    let connects: Vec<&FlatEvent> = evs
        .iter()
        .filter(|e| s(e, "evt.type") == "connect")
        .collect();
    let c = connects
        .iter()
        .copied()
        .find(|e| s(e, "evt.arg.addr").ends_with(&format!(":{port}")))
        .unwrap_or_else(|| panic!("a connect to port {port} among {connects:?}"));
    assert_eq!(s(c, "proc.name"), "bash");
    assert_eq!(s(c, "fd.sip"), "127.0.0.1", "{c:?}");
    assert_eq!(s(c, "fd.sport"), port.to_string(), "{c:?}");
    assert_eq!(s(c, "fd.l4proto"), "tcp");
    assert_eq!(s(c, "fd.typechar"), "4");
    assert!(
        s(c, "fd.name").ends_with(&format!("->127.0.0.1:{port}")),
        "{}",
        s(c, "fd.name")
    );
    assert_eq!(s(c, "evt.res"), "SUCCESS");
}

/// An fd closed and its number reused by a pipe (and by an eventfd, which
/// quell does not decode) must not keep the closed file's name.
fn closed_fd_reused_by_pipe_has_no_stale_name() {
    // perl: open /etc/hostname (fd N), close it, pipe() reuses N, write to the
    // pipe, dup(N) (an event that reports fd N); then the same with eventfd2
    // (syscall 290), which quell does not capture: dup must not name the file.
    let script = "perl -e '
        open(my $f, \"<\", \"/etc/hostname\") or die; my $n = fileno($f); close($f);
        pipe(my $r, my $w) or die; die \"not reused\" unless fileno($r) == $n;
        syswrite($w, \"x\"); syscall(32, $n) >= 0 or die \"dup\";
        close($r); close($w);
        open(my $g, \"<\", \"/etc/hostname\") or die; my $m = fileno($g); close($g);
        my $e = syscall(290, 0, 0); die \"eventfd reuse\" unless $e == $m;
        syscall(32, $e) >= 0 or die \"dup2\";'";
    let Some(evs) = trace(script) else { return };
    let opens: Vec<&FlatEvent> = evs
        .iter()
        .filter(|e| s(e, "evt.type") == "openat" && s(e, "fd.name") == "/etc/hostname")
        .collect();
    assert_eq!(opens.len(), 2, "two opens of /etc/hostname");
    let n = s(opens[0], "fd.num");
    let closes = evs
        .iter()
        .filter(|e| s(e, "evt.type") == "close" && s(e, "evt.arg.fd") == n)
        .count();
    assert!(closes >= 2, "the closes of fd {n} are captured");
    let pipe = find(&evs, |e| s(e, "evt.type").starts_with("pipe")).expect("pipe captured");
    assert_eq!(s(pipe, "fd.num"), n, "the pipe reused fd {n}");
    assert_eq!(s(pipe, "fd.typechar"), "p");
    let dups: Vec<&FlatEvent> = evs.iter().filter(|e| s(e, "evt.type") == "dup").collect();
    assert_eq!(dups.len(), 2, "{dups:?}");
    assert_eq!(s(dups[0], "fd.num"), n);
    assert!(
        s(dups[0], "fd.name").starts_with("pipe:["),
        "dup of the pipe: {}",
        s(dups[0], "fd.name")
    );
    assert_eq!(s(dups[0], "fd.type"), "pipe");
    assert_eq!(
        s(dups[1], "fd.name"),
        "<NA>",
        "an eventfd on a closed file's number has no name"
    );
}

/// execveat is reported as execveat, execve as execve.
fn execveat_is_reported_as_execveat() {
    let script = "/bin/true; perl -e '
        my $argv = pack(\"p x8\", \"quell-execveat\");
        my $p = \"/bin/true\"; syscall(322, -100, $p, $argv, 0, 0); die \"execveat: $!\";'";
    let Some(evs) = trace(script) else { return };
    let at = find(&evs, |e| s(e, "evt.type") == "execveat").unwrap_or_else(|| {
        panic!(
            "execveat event: {:?}",
            evs.iter()
                .map(|e| (s(e, "evt.type"), s(e, "proc.exe")))
                .collect::<Vec<_>>()
        )
    });
    assert_eq!(s(at, "proc.exe"), "quell-execveat");
    assert_eq!(s(at, "evt.arg.filename"), "/bin/true");
    let plain = find(&evs, |e| {
        s(e, "evt.type") == "execve" && s(e, "proc.exe") == "/bin/true"
    });
    assert!(plain.is_some(), "near miss: a plain execve stays execve");
}

/// A binary written into an overlay mount (the upper layer) and run from it
/// has proc.is_exe_upper_layer = true; one from the lower layer and a host
/// binary have false. Executable times are filled.
fn exe_in_overlay_upper_layer() {
    let d = scratch();
    let o = d.path().display().to_string();
    let script = format!(
        "set -e; mkdir -p {o}/l {o}/u {o}/w {o}/m; cp /bin/true {o}/l/lowerbin; \
         exec unshare --mount --propagation private sh -c '\
         mount -t overlay overlay -o lowerdir={o}/l,upperdir={o}/u,workdir={o}/w {o}/m && \
         cp /bin/true {o}/m/upperbin && {o}/m/upperbin && {o}/m/lowerbin && /bin/true'"
    );
    let Some(evs) = trace(&script) else { return };
    let exec_of = |name: &str| {
        find(&evs, |e| {
            s(e, "evt.type") == "execve" && s(e, "proc.name") == name
        })
        .unwrap_or_else(|| panic!("exec of {name}"))
    };
    let up = exec_of("upperbin");
    assert_eq!(s(up, "proc.is_exe_upper_layer"), "true");
    assert_eq!(s(exec_of("lowerbin"), "proc.is_exe_upper_layer"), "false");
    let t = exec_of("true");
    assert_eq!(s(t, "proc.is_exe_upper_layer"), "false");
    // times: the copy's ctime is recent, /bin/true's mtime is older than its exec
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64;
    let ctime: u64 = s(up, "proc.exe_ino.ctime")
        .parse()
        .expect("ctime of upperbin");
    assert!(now - ctime < 120_000_000_000, "ctime {ctime} now {now}");
    let mtime: u64 = s(t, "proc.exe_ino.mtime").parse().expect("mtime of true");
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata("/bin/true").expect("stat /bin/true");
    assert_eq!(
        mtime,
        md.mtime() as u64 * 1_000_000_000 + md.mtime_nsec() as u64,
        "mtime as stat(2) gives it"
    );
    assert!(mtime < now);
    let dur: u64 = s(t, "proc.duration").parse().expect("proc.duration");
    assert!(dur < 10_000_000_000, "a fresh exec is new: {dur}");
}

/// Creates a cgroup named as docker names it in the v2 hierarchy, moves a shell
/// into it, enters new mount/PID/UTS namespaces with its own root filesystem
/// and deletes /var/log/dpkg.log there.
fn container_cgroup_gives_container_id() {
    require_live();
    let Some(unified) = std::fs::read_to_string("/proc/self/mountinfo")
        .ok()
        .and_then(|t| quell_capture::state::find_cgroup2_mount(&t))
    else {
        panic!("running as root, a cgroup2 (unified) mount is expected");
    };
    let id = "5e1f0c0ffee0d15ea5e0000000000000000000000000000000000000000c0de1";
    let cg = format!("{unified}/docker-{id}.scope");
    let _ = std::fs::create_dir(&cg);
    let root = scratch();
    let r = root.path().display().to_string();
    let script = container_script(&cg, &r);
    let evs = trace(&script);
    let _ = std::fs::remove_dir(&cg);
    let Some(evs) = evs else { return };
    let rm = find(&evs, |e| {
        s(e, "evt.type") == "unlinkat" && s(e, "fs.path.name") == "/var/log/dpkg.log"
    })
    .unwrap_or_else(|| panic!("unlinkat in the container: {} events", evs.len()));
    assert_eq!(s(rm, "container.id"), &id[..12]);
    assert_eq!(s(rm, "container.type"), "docker");
    assert_eq!(
        s(rm, "container.name"),
        "<NA>",
        "no runtime metadata: name stays missing"
    );
    assert_eq!(
        s(rm, "proc.vpid"),
        "1",
        "rm is the init of the new pid namespace"
    );
    assert!(!std::path::Path::new(&format!("{r}/var/log/dpkg.log")).exists());
}

/// Shell script building the "container": see the test above.
pub fn container_script(cgroup: &str, rootfs: &str) -> String {
    format!(
        r#"set -e
R={rootfs}
mkdir -p $R/var/log $R/proc $R/tmp
echo 'log' > $R/var/log/dpkg.log
for d in usr bin sbin lib lib64 etc; do
  if [ -L /$d ]; then ln -s "$(readlink /$d)" $R/$d; elif [ -d /$d ]; then mkdir -p $R/$d; fi
done
echo $$ > {cgroup}/cgroup.procs
exec unshare --mount --pid --uts --fork --propagation private sh -c '
  set -e
  hostname quell-ctr
  for d in usr bin sbin lib lib64 etc; do
    if [ -d /$d ] && [ ! -L /$d ]; then mount --rbind /$d {rootfs}/$d; fi
  done
  exec chroot {rootfs} /bin/rm /var/log/dpkg.log'
"#
    )
}

/// The BPF program's prefilter decides as `prefilter::kernel_keeps`, its
/// model, on paths around every kind of atom, unclean and relative paths,
/// over-long paths and bloom/bigram near misses. The paths do not exist, so
/// every open fails and only the path decides.
fn the_kernel_prefilter_decides_as_its_model() {
    let rules = "- rule: r\n  desc: d\n  condition: evt.type = openat and (fd.name in (/etc/quell-x1) or fd.name startswith /etc/quell-pre/ or fd.name endswith .qlog or fd.filename = quell-f or fd.name contains qq.. or fd.name contains zy- or fd.name startswith /opt/q8/ or fd.name startswith /opt/quell-sixt/ or fd.name = /etc/q16 or fd.name = /etc/quell-exact)\n  output: o\n  priority: WARNING\n";
    let filter = open_filter_of(rules);
    let buf = quell_capture::prefilter::encode(&filter);
    let mut paths: Vec<String> = [
        "/etc/quell-x1",
        "/etc/quell-x1b",
        "/etc/quell-x",
        "/etc/quell-pre/a",
        "/etc/quell-pre",
        "/etc/quell-prex/a",
        "/var/quell/a.qlog",
        "/var/quell/aqlog",
        "/var/quell/a.qlogx",
        "/srv/quell-f",
        "/srv/xquell-f",
        "/srv/quell-fx",
        "/srv/aqq..b",
        "/srv/qq",
        "/srv/q-q",
        "/etc//quell-x1",
        "/srv/./x",
        "/srv/../x",
        "/srv/.hidden",
        "/srv/dir/",
        "quell-rel/x",
        "/usr/lib/quell-none",
        "/tmp/quell-z",
        "/srv/\u{e9}/quell",
        "/a",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.push(format!("/srv/{}", "a/".repeat(125))); // 255 bytes
    paths.push(format!("/srv/{}b", "a/".repeat(125))); // 256 bytes
    for i in 0..40 {
        paths.push(format!("/opt/quell-{i}/file-{}.dat", i * 7919));
    }
    // the walk goes eight bytes at a time: atoms, near misses and unclean
    // pairs at every offset around the word boundaries
    for n in 0..10 {
        let a = "a".repeat(n);
        paths.push(format!("/srv/{a}qq..b"));
        paths.push(format!("/srv/{a}qq.b"));
        paths.push(format!("/srv/{a}zy-b"));
        paths.push(format!("/srv/{a}zyb"));
        paths.push(format!("/srv/{a}q/q..b"));
        paths.push(format!("/{a}/.x"));
        paths.push(format!("/{a}//x"));
        paths.push(format!("/{a}/x./y"));
    }
    for p in [
        "/opt/q8/",
        "/opt/q8/x",
        "/opt/q8",
        "/opt/q8x/y",
        "/opt/quell-sixt/a",
        "/opt/quell-sixt",
        "/opt/quell-sixtx/a",
        "/etc/q16",
        "/etc/q16x",
        "/etc/q1",
        "/etc/quell-exact",
        "/etc/quell-exac",
        "/etc/quell-exactt",
        "/srv/a\u{1}b",
        "/srv/a.\u{1}/b",
        "/srv/a/\u{1}.b",
        "/x.qlog",
        "/.qlog",
    ] {
        paths.push(p.to_string());
    }
    let d = scratch();
    let list = d.path().join("paths");
    std::fs::write(&list, paths.join("\n") + "\n").unwrap();
    let script = format!(
        "perl -e 'open(L, \"<\", \"{}\") or die; while (<L>) {{ chomp; open(my $f, \"<\", $_) }}'",
        list.display()
    );
    let Some(evs) = trace_cfg(&script, Some(filter)) else {
        return;
    };
    let kept: std::collections::BTreeSet<String> = evs
        .iter()
        .filter(|e| s(e, "evt.type") == "openat")
        .map(|e| s(e, "evt.arg.name"))
        .collect();
    let (mut k, mut dropped) = (0, 0);
    for p in &paths {
        let model = quell_capture::prefilter::kernel_keeps(&buf, 1, p.as_bytes());
        assert_eq!(
            kept.contains(p),
            model,
            "{p:?}: kernel kept {}, model says {model}",
            kept.contains(p)
        );
        if model {
            k += 1;
        } else {
            dropped += 1;
        }
    }
    eprintln!(
        "prefilter: kernel and model agree on {} paths ({k} kept, {dropped} dropped)",
        paths.len()
    );
    assert!(k >= 40 && dropped >= 60, "kept {k}, dropped {dropped}");
}

/// The benchmarks' switches: opens made while the programs are detached
/// (`set_attached`), attached with no syscall of interest (`set_hook_only`)
/// or reading open paths only (`set_paths_only`) are not recorded; back to
/// normal, they are again.
fn bench_switches_record_no_syscall_until_normal_again() {
    let Some(_g) = live_test() else { return };
    let d = scratch();
    let p = |n: &str| d.path().join(n);
    let mut cap = Capture::start(&CaptureConfig {
        event_types: None,
        follow_children: true,
        open_filter: None,
        skip_unknown_closes: false,
        ..CaptureConfig::default()
    })
    .unwrap_or_else(|e| panic!("running as root, capture must start: {e}"));
    // each phase: the script creates its file, then waits for the go of the next
    let phases = [
        "before",
        "while_detached",
        "hook_only",
        "paths_only",
        "after",
    ];
    let script = phases
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if i == 0 {
                format!(": > {f}")
            } else {
                format!("wait_for go{i}; : > {f}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "wait_for() {{ while [ ! -e \"$1\" ]; do sleep 0.02; done; }}; {script}"
        ))
        .current_dir(d.path())
        .spawn()
        .expect("spawn sh");
    let mut evs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let wait_file = |cap: &mut Capture, evs: &mut Vec<FlatEvent>, f: &str| {
        while !p(f).exists() {
            assert!(Instant::now() < deadline, "the script did not create {f}");
            cap.poll(Duration::from_millis(20), &mut |e| evs.push(e))
                .expect("poll");
        }
    };
    for (i, f) in phases.iter().enumerate() {
        if i > 0 {
            std::fs::write(p(&format!("go{i}")), "").unwrap();
        }
        wait_file(&mut cap, &mut evs, f);
        // the state for the next phase
        match phases.get(i + 1).copied() {
            Some("while_detached") => cap.set_attached(false).expect("detach"),
            Some("hook_only") => {
                cap.set_attached(true).expect("attach again");
                cap.set_hook_only(true).expect("hook only");
            }
            Some("paths_only") => {
                cap.set_hook_only(false).expect("interest back");
                cap.set_paths_only(true).expect("paths only");
            }
            Some(_) => cap.set_paths_only(false).expect("normal again"),
            None => {}
        }
    }
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the script did not finish");
        cap.poll(Duration::from_millis(20), &mut |e| evs.push(e))
            .expect("poll");
    }
    cap.drain(&mut |e| evs.push(e)).expect("drain");
    let opened = |name: &str| {
        evs.iter().any(|e| {
            s(e, "evt.type") == "openat" && s(e, "fd.name") == p(name).display().to_string()
        })
    };
    assert!(opened("before"), "the open before the switches is seen");
    assert!(!opened("while_detached"), "nothing is seen while detached");
    assert!(
        !opened("hook_only"),
        "no syscall is recorded with no syscall of interest"
    );
    assert!(
        !opened("paths_only"),
        "no syscall is recorded while reading paths only"
    );
    assert!(
        opened("after"),
        "the open after going back to normal is seen"
    );
}

/// On the kernels this project runs on (6.18), the program reads fd arrays
/// directly, without a helper call; older kernels get the portable program.
fn recent_kernels_get_the_direct_fd_reads() {
    let Some(_g) = live_test() else { return };
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut v = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|x| x.parse::<u32>().unwrap_or(0));
    let (major, minor) = (v.next().unwrap_or(0), v.next().unwrap_or(0));
    let cap = Capture::start(&CaptureConfig {
        follow_children: true,
        ..CaptureConfig::default()
    })
    .unwrap_or_else(|e| panic!("running as root, capture must start: {e}"));
    if (major, minor) >= (6, 18) {
        assert!(
            cap.fd_direct(),
            "kernel {release}: the direct program was refused"
        );
    } else {
        eprintln!(
            "kernel {}: direct fd reads {}",
            release.trim(),
            cap.fd_direct()
        );
    }
}

/// Close skipping for processes whose fork quell never saw (older than the
/// capture): the first close or kept record in view starts the kernel's entry
/// for their fd table from the fds open then, so an fd userspace learnt from
/// /proc still has its close reported (no stale name when the number is
/// reused), while the closes of fds only dropped opens made stay in the kernel.
fn closes_of_processes_older_than_the_capture_are_skipped_once_their_table_is_known() {
    let Some(_g) = live_test() else { return };
    let d = scratch();
    let p = |n: &str| d.path().join(n).display().to_string();
    let (filter, dropped) = kept_and_dropped(&p("kept"), &p);
    for f in ["early", "kept", &dropped] {
        std::fs::write(p(f), "x").unwrap();
    }
    let wait_go = format!(
        "until (-e '{}') {{ select(undef, undef, undef, 0.02) }}",
        p("go")
    );
    let loop200 = format!("for (1 .. 200) {{ open(my $y, '<', '{dropped}') or die; close($y) }}");
    // first a close (of an fd known from /proc), then closes of dropped opens
    let by_close = format!(
        "open(my $early, '<', '{early}') or die; {wait_go} close($early); {loop200}",
        early = p("early")
    );
    // first a kept open; then the fd known from /proc is closed and its
    // number reused by a dropped open, which dup names
    let by_record = format!(
        "open(my $early, '<', '{early}') or die; my $e = fileno($early); {wait_go}
         open(my $k, '<', '{kept}') or die; close($k); close($early);
         open(my $x, '<', '{dropped}') or die; die 'no reuse' unless fileno($x) == $e;
         syscall(32, $e) >= 0 or die 'dup'; {loop200}",
        early = p("early"),
        kept = p("kept"),
    );
    // started before the capture: quell sees no fork for them
    let mut children: Vec<std::process::Child> = [by_close, by_record]
        .iter()
        .map(|s| {
            Command::new("perl")
                .arg("-e")
                .arg(s)
                .spawn()
                .expect("spawn perl")
        })
        .collect();
    let pids: Vec<i64> = children.iter().map(|c| c.id() as i64).collect();
    let mut cap = Capture::start(&CaptureConfig {
        event_types: None,
        follow_children: false,
        open_filter: Some(filter),
        skip_unknown_closes: true,
        ..CaptureConfig::default()
    })
    .unwrap_or_else(|e| panic!("running as root, capture must start: {e}"));
    let mut evs: Vec<(usize, FlatEvent)> = Vec::new();
    let mut keep = |e: FlatEvent| {
        if let Some(quell_rules::Value::Int(x)) = e.get("proc.pid") {
            if let Some(i) = pids.iter().position(|p| p == x) {
                evs.push((i, e));
            }
        }
    };
    std::fs::write(p("go"), "").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    for c in children.iter_mut() {
        while c.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "a perl script did not finish");
            cap.poll(Duration::from_millis(20), &mut keep)
                .expect("poll");
        }
        assert!(c.wait().expect("wait").success(), "a perl script failed");
    }
    cap.drain(&mut keep).expect("drain");
    let closes = |i: usize| {
        evs.iter()
            .filter(|(j, e)| *j == i && s(e, "evt.type") == "close")
            .count()
    };
    assert!(
        (1..20).contains(&closes(0)),
        "started by a close: that close is reported, the 200 of dropped opens are not: {}",
        closes(0)
    );
    assert!(
        (2..20).contains(&closes(1)),
        "started by a kept open: the closes of the kept and the early fd are reported, the 200 of dropped opens are not: {}",
        closes(1)
    );
    let mine: Vec<&FlatEvent> = evs
        .iter()
        .filter(|(j, _)| *j == 1)
        .map(|(_, e)| e)
        .collect();
    assert!(
        mine.iter()
            .any(|e| s(e, "evt.type") == "openat" && s(e, "fd.name") == p("kept")),
        "the kept open is captured"
    );
    let dup = mine
        .iter()
        .find(|e| s(e, "evt.type") == "dup")
        .expect("dup captured");
    assert_eq!(
        s(dup, "fd.name"),
        "<NA>",
        "the fd known from /proc was closed and its number reused by a dropped open"
    );
}

/// Closes of fds that dropped opens returned stay in the kernel without a map
/// lookup (the per-CPU cache of such fds). Once a kept record names the same
/// number (dup2 onto it), the cache is no longer trusted: the close of that
/// number reaches userspace, or the number would keep the kept file's name
/// after the next dropped open reused it.
fn a_dropped_opens_fd_that_a_kept_record_replaced_has_its_close_captured() {
    let d = scratch();
    let p = |n: &str| d.path().join(n).display().to_string();
    let (filter, dropped) = kept_and_dropped(&p("kept"), &p);
    for f in ["kept", &dropped] {
        std::fs::write(p(f), "x").unwrap();
    }
    // fd K: the kept file; fd N: a dropped open, then dup2(K, N), close(N),
    // a dropped open that reuses N, and dup(N), whose event names N
    let script = format!(
        "perl -e '
        for (1 .. 20) {{ open(my $y, \"<\", \"{dropped}\") or die; close($y) }}
        open(my $k, \"<\", \"{kept}\") or die; my $kn = fileno($k);
        open(my $x, \"<\", \"{dropped}\") or die; my $n = fileno($x);
        syscall(33, $kn, $n) == $n or die \"dup2\";
        syscall(3, $n) == 0 or die \"close\";
        open(my $z, \"<\", \"{dropped}\") or die; die \"no reuse\" unless fileno($z) == $n;
        syscall(32, $n) >= 0 or die \"dup\";'",
        kept = p("kept"),
    );
    let Some(evs) = trace_cfg(&script, Some(filter)) else {
        return;
    };
    let at = |t: &str| {
        evs.iter()
            .position(|e| s(e, "evt.type") == t)
            .unwrap_or_else(|| panic!("{t} captured"))
    };
    let (i_dup2, i_dup) = (at("dup2"), at("dup"));
    assert_eq!(
        s(&evs[i_dup2], "fd.name"),
        p("kept"),
        "dup2 names the kept file"
    );
    // dup reports the fd it duplicates: N, reused by the last dropped open
    let n = s(&evs[i_dup], "fd.num");
    assert!(
        evs[i_dup2..i_dup]
            .iter()
            .any(|e| s(e, "evt.type") == "close" && s(e, "evt.arg.fd") == n),
        "the close of fd {n} between dup2 and dup is captured"
    );
    assert_ne!(
        s(&evs[i_dup], "fd.name"),
        p("kept"),
        "fd {n}, reused by a dropped open, keeps no stale name"
    );
    // the loop's 20 opens all got the number the kept open got after them
    let kept = find(&evs, |e| {
        s(e, "evt.type") == "openat" && s(e, "fd.name") == p("kept")
    })
    .expect("the kept open is captured");
    let kn = s(kept, "fd.num");
    let closes_of_loop = evs
        .iter()
        .filter(|e| s(e, "evt.type") == "close" && s(e, "evt.arg.fd") == kn)
        .count();
    assert!(
        closes_of_loop <= 2,
        "the 20 closes of fd {kn} after dropped opens stay in the kernel: {closes_of_loop} captured"
    );
}

live_tests![
    truncation_open_flags_and_paths,
    exec_ancestry_and_cmdline,
    unlink_symlink_and_rename_targets,
    ptrace_and_memfd_exec,
    loopback_connect_tuple,
    closed_fd_reused_by_pipe_has_no_stale_name,
    execveat_is_reported_as_execveat,
    exe_in_overlay_upper_layer,
    container_cgroup_gives_container_id,
    the_kernel_prefilter_decides_as_its_model,
    bench_switches_record_no_syscall_until_normal_again,
    recent_kernels_get_the_direct_fd_reads,
    closes_of_processes_older_than_the_capture_are_skipped_once_their_table_is_known,
    a_dropped_opens_fd_that_a_kept_record_replaced_has_its_close_captured,
];
