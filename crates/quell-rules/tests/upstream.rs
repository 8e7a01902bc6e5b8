//! The upstream Falco rules files load cleanly and compile to Falco's strings.
use crate::common::{show, upstream};
use quell_rules::engine::Engine;

const FILES: [&str; 3] = [
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

#[test]
fn each_file_alone_loads_with_no_diagnostics() {
    for f in FILES {
        let mut e = Engine::new();
        let r = e.load(f, &upstream(f));
        assert!(
            r.successful && r.errors.is_empty() && r.warnings.is_empty(),
            "{f}:\n{}",
            show(&r)
        );
        assert!(!e.rules().is_empty(), "{f}: no rules compiled");
        // Falco's schema check passes too (`schema_valid: true` in `falco -V`).
        assert_eq!(r.schema_validation, vec!["ok"], "{f}");
        assert_eq!(r.to_json(&e)["schema_valid"], true, "{f}");
    }
}

#[test]
fn all_three_together_load_with_no_diagnostics() {
    let mut e = Engine::new();
    for f in FILES {
        let r = e.load(f, &upstream(f));
        assert!(
            r.successful && r.errors.is_empty() && r.warnings.is_empty(),
            "{f}:\n{}",
            show(&r)
        );
    }
    // 25 + 31 + 37 rules, every one compiled (12 duplicated macro names do not duplicate rules).
    assert_eq!(e.rules().len(), 93);
    assert_eq!(e.rules().iter().filter(|r| !r.enabled).count(), 12);
}

#[test]
fn stable_rule_counts_and_evttypes() {
    let mut e = Engine::new();
    let r = e.load("falco_rules.yaml", &upstream("falco_rules.yaml"));
    assert!(r.successful, "{}", show(&r));
    assert_eq!(e.rules().len(), 25);
    let mut all = std::collections::BTreeSet::new();
    for rule in e.rules() {
        let names = rule
            .evttypes
            .names()
            .unwrap_or_else(|| panic!("{} has no evttype restriction", rule.name));
        all.extend(names.iter().cloned());
    }
    let expected = "connect dup dup2 dup3 execve execveat finit_module init_module link linkat open openat openat2 ptrace sendmsg sendto socket symlink symlinkat";
    assert_eq!(all.into_iter().collect::<Vec<_>>().join(" "), expected);
}

#[test]
fn clear_log_activities_compiles_to_falcos_string() {
    let mut e = Engine::new();
    let r = e.load("falco_rules.yaml", &upstream("falco_rules.yaml"));
    assert!(r.successful, "{}", show(&r));
    let rule = e.rule("Clear Log Activities").expect("rule");
    // falco-compat.md §3.5, derived by hand from the macro bodies.
    let expected = "((evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = f and fd.num >= 0) and (fd.directory in (/var/log, /dev/log) or fd.filename in (syslog, auth.log, secure, kern.log, cron, user.log, dpkg.log, last.log, yum.log, access_log, mysql.log, mysqld.log)) and evt.arg.flags contains O_TRUNC and not (proc.name = containerd and (fd.name startswith /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/ or fd.name startswith /var/lib/rancher/k3s/agent/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots or fd.name startswith /var/lib/containerd/tmpmounts/ or fd.name startswith /var/lib/rancher/k3s/agent/containerd/tmpmounts/)) and not (container.image.repository endswith splunk/fluentd-hec or container.image.repository endswith fluent/fluentd-kubernetes-daemonset or container.image.repository endswith openshift3/ose-logging-fluentd or container.image.repository endswith containernetworking/azure-npm) and not evt.num = 0)";
    assert_eq!(rule.condition_compiled, expected);
}

/// More stable rules, expanded by hand from falco_rules.yaml: a macro with a quoted `<NA>` list
/// (`proc_name_exists`), a one-check macro (`container`) and an empty list substituted as `()`.
#[test]
fn more_stable_rules_compile_to_hand_derived_strings() {
    let mut e = Engine::new();
    let r = e.load("falco_rules.yaml", &upstream("falco_rules.yaml"));
    assert!(r.successful, "{}", show(&r));
    let cases = [
        (
            "PTRACE anti-debug attempt",
            "(evt.type = ptrace and evt.arg.request contains PTRACE_TRACEME and not proc.name in (<NA>, N/A))",
        ),
        (
            "Packet socket created in container",
            "(evt.type = socket and container.id != host and evt.arg.domain contains AF_PACKET and not proc.name in ())",
        ),
    ];
    for (name, expected) in cases {
        let rule = e.rule(name).unwrap_or_else(|| panic!("no rule {name}"));
        assert_eq!(rule.condition_compiled, expected, "{name}");
    }
}

#[test]
fn stable_rules_need_only_a_few_paths_opened() {
    let mut e = Engine::new();
    let r = e.load("falco_rules.yaml", &upstream("falco_rules.yaml"));
    assert!(r.successful);
    let f = quell_rules::prefilter::open_filter(e.rules());
    for (rule, p) in &f.reasons {
        eprintln!("{rule}: {p:?}");
    }
    // no stable rule looks at creat
    assert!(!f.admits("creat", "/var/log/syslog"));
    for t in ["open", "openat", "openat2"] {
        // the paths the stable rules read or truncate
        for p in [
            "/etc/shadow",
            "/etc/pam.d/common-auth",
            "/var/log/syslog",
            "/srv/app/dpkg.log",
            "/sys/fs/cgroup/x/release_agent",
            "/etc/../etc/shadow",
        ] {
            assert!(f.admits(t, p), "{t} {p}");
        }
        // and paths no stable rule looks at
        for p in [
            "/tmp/build/a.o",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/etc/hostname",
        ] {
            assert!(!f.admits(t, p), "{t} {p}");
        }
    }
}
