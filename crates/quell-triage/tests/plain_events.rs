//! Triage's fast path for plain events (issue 11 item 7): an event no rule matched and that
//! cannot be an activity is counted in its session where the reader lies, without an owned
//! copy. These tests hold it to the slow path: the same reports on the live recordings, a
//! prefilter that never hides an activity, and borrowed and owned events that read alike.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use quell_events::{EventRef, FlatEvent, RecordReader};
use quell_rules::engine::{Engine, RuleMatching};
use quell_triage::catalogue::Catalogue;
use quell_triage::evidence::activity;
use quell_triage::history::History;
use quell_triage::input::{from_line, Fields};
use quell_triage::triage::cannot_be_activity;
use quell_triage::{Lang, Triage};

const DEFAULT_RULES: &str = include_str!("../../quell/rules/default_rules.yaml");

/// Every live recording under crates/quell/tests (name, text), decompressed with gzip.
fn recordings() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("directory") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.to_string_lossy().ends_with(".jsonl.gz")
                && p.to_string_lossy().contains("/recordings/")
            {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../quell/tests"),
        &mut files,
    );
    files.sort();
    assert!(files.len() > 50, "recordings found: {}", files.len());
    files
        .iter()
        .map(|f| {
            let o = Command::new("gzip")
                .arg("-dc")
                .arg(f)
                .output()
                .expect("gzip");
            assert!(o.status.success(), "{}", f.display());
            (
                f.display().to_string(),
                String::from_utf8(o.stdout).expect("utf-8"),
            )
        })
        .collect()
}

fn engine() -> Engine {
    let mut e = Engine::new();
    assert!(e.load("default_rules.yaml", DEFAULT_RULES).successful);
    e
}

/// The fields the fast path reads.
const READ: &[&str] = &[
    "hostname",
    "container.id",
    "proc.sid",
    "proc.pid",
    "evt.type",
    "fd.name",
];

/// Checks one event read both ways; returns (fast-pathable, an activity).
fn check_event(ev: &EventRef<'_>, owned: &FlatEvent, cat: &Catalogue, at: &str) -> (bool, bool) {
    for k in READ {
        assert_eq!(ev.value(k), owned.value(k), "{at}: field {k}");
    }
    let fast = cannot_be_activity(ev);
    assert_eq!(
        fast,
        cannot_be_activity(owned),
        "{at}: borrowed and owned disagree"
    );
    let is_maint = |n: &str| cat.entry_for_actor(n).is_some();
    let act = activity(owned, &is_maint).is_some();
    assert!(
        !(act && fast),
        "{at}: an activity the fast path would skip: {owned:?}"
    );
    (fast, act)
}

#[test]
fn the_prefilter_never_hides_an_activity_on_the_recordings() {
    let cat = Catalogue::builtin();
    let (mut fast, mut acts, mut lines) = (0usize, 0usize, 0usize);
    for (name, text) in recordings() {
        let mut reader = RecordReader::new(text.as_bytes());
        while let Some(item) = reader.next_ref() {
            let line = item.expect("a recording's line");
            let owned = line.event.to_flat();
            let (f, a) = check_event(
                &line.event,
                &owned,
                &cat,
                &format!("{name}:{}", line.number),
            );
            fast += usize::from(f);
            acts += usize::from(a);
            lines += 1;
        }
    }
    // Not vacuous: both kinds occur, and the fast path takes most events.
    assert!(acts > 100, "{acts} activities in {lines} events");
    assert!(fast * 2 > lines, "{fast} of {lines} events fast");
}

/// Triage of one text pushed record by record (the slow path), or through the fast path
/// for plain events, as `quell triage` reads it: the reports as JSON.
fn triage_text(engine: &Engine, text: &str, fast: bool) -> (Vec<String>, usize) {
    with_triage(engine, |t| stream_text(t, engine, text, fast))
}

/// Runs `f` with the triage these tests use: the built-in catalogue, no history, English.
fn with_triage<R>(engine: &Engine, f: impl FnOnce(&Triage) -> R) -> R {
    let cat = Catalogue::builtin();
    let hist = History::empty();
    f(&Triage {
        engine,
        catalogue: &cat,
        history: &hist,
        lang: Lang::En,
        hostname: "h",
    })
}

fn stream_text(t: &Triage, engine: &Engine, text: &str, fast: bool) -> (Vec<String>, usize) {
    let weights = quell_triage::signals::table().expect("signals").weights();
    let mut stream = t.stream();
    let mut taken = 0;
    let mut reader = RecordReader::new(text.as_bytes());
    while let Some(item) = reader.next_ref() {
        let line = item.expect("a recording's line");
        let rules: Vec<String> = engine
            .evaluate(&line.event, RuleMatching::First)
            .into_iter()
            .map(|c| c.name.clone())
            .collect();
        if fast && line.alert.is_none() && rules.is_empty() && stream.count_if_plain(&line.event) {
            taken += 1;
            continue;
        }
        let r = from_line(line.into_line(), "x").expect("record");
        stream.push_evaluated(r, rules);
    }
    let reports = stream
        .finish(&weights, &mut |_, _| {})
        .iter()
        .map(|r| r.to_json().to_string())
        .collect();
    (reports, taken)
}

/// Triage of one text in the batch form (`Triage::run`, every record kept): the reports as
/// JSON.
fn triage_batch(engine: &Engine, text: &str, name: &str) -> Vec<String> {
    let records = quell_triage::input::parse_records(text, name).expect("records");
    with_triage(engine, |t| {
        t.run(&records)
            .iter()
            .map(|r| r.to_json().to_string())
            .collect()
    })
}

#[test]
fn reports_are_the_same_with_and_without_the_fast_path() {
    let engine = engine();
    let all = recordings();
    // All recordings as one input (sessions of different recordings stay apart by their
    // ids, as in `quell triage` of a concatenation).
    let joined: String = all
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let (slow, none) = triage_text(&engine, &joined, false);
    let (fast, taken) = triage_text(&engine, &joined, true);
    assert_eq!(none, 0);
    assert!(taken > 1000, "fast path taken {taken} times");
    assert!(slow.len() > 10, "{} reports", slow.len());
    assert_eq!(slow, fast);
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/etc/shadow".to_string()),
        Just("/etc/sudoers.d/x".to_string()),
        Just("/root/.ssh/id_rsa".to_string()),
        Just("/home/a/.ssh/id_ed25519.pub".to_string()),
        Just("/etc/ssh/ssh_host_rsa_key".to_string()),
        Just("/tmp/x".to_string()),
        Just("/dev/shm/p".to_string()),
        Just("/var/tmp/.a/b".to_string()),
        Just("/usr/lib/libc.so".to_string()),
        Just("<NA>".to_string()),
        Just(String::new()),
        "/[a-z./_]{0,20}",
    ]
}

fn event_line() -> impl Strategy<Value = String> {
    let ty = prop_oneof![
        Just("execve"),
        Just("execveat"),
        Just("connect"),
        Just("sendto"),
        Just("sendmsg"),
        Just("dup2"),
        Just("open"),
        Just("openat"),
        Just("openat2"),
        Just("close"),
        Just("unlinkat"),
        Just("clone"),
    ];
    let name = prop_oneof![
        Just("bash"),
        Just("curl"),
        Just("sshd"),
        Just("cat"),
        Just("python3"),
        Just("apt-get")
    ];
    (
        ty,
        proptest::option::of(path()),
        name,
        path(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(-3i64..5),
        proptest::option::of(prop_oneof![
            Just("10.0.0.1"),
            Just("203.0.113.7"),
            Just("127.0.0.1")
        ]),
        proptest::option::of(0i64..4000),
    )
        .prop_map(|(ty, fd, name, exe, rd, wr, fdnum, ip, sid)| {
            let mut m = serde_json::Map::new();
            m.insert("evt.type".into(), ty.into());
            if let Some(fd) = fd {
                m.insert("fd.name".into(), fd.into());
            }
            m.insert("proc.name".into(), name.into());
            m.insert("proc.exepath".into(), exe.into());
            m.insert(
                "proc.cmdline".into(),
                format!("{name} -s http://203.0.113.7/x").into(),
            );
            m.insert("evt.is_open_read".into(), rd.into());
            m.insert("evt.is_open_write".into(), wr.into());
            if let Some(n) = fdnum {
                m.insert("fd.num".into(), n.into());
                m.insert("evt.arg.newfd".into(), n.into());
            }
            if let Some(ip) = ip {
                m.insert("fd.sip".into(), ip.into());
                m.insert("fd.type".into(), "ipv4".into());
                m.insert("fd.l4proto".into(), if rd { "udp" } else { "tcp" }.into());
            }
            if let Some(sid) = sid {
                m.insert("proc.sid".into(), sid.into());
                m.insert("proc.pid".into(), (sid + 1).into());
            }
            serde_json::Value::Object(m).to_string()
        })
}

proptest! {
    #[test]
    fn generated_events_read_alike_and_no_activity_is_hidden(lines in proptest::collection::vec(event_line(), 1..20)) {
        let cat = Catalogue::builtin();
        let text = lines.join("\n");
        let mut reader = RecordReader::new(text.as_bytes());
        while let Some(item) = reader.next_ref() {
            let line = item.expect("a generated line");
            let owned = line.event.to_flat();
            check_event(&line.event, &owned, &cat, &format!("line {}", line.number));
        }
    }
}

/// `Triage::run` (every record kept) and the streaming form `quell triage` uses (records
/// that are no activity only counted) give the same reports: over every live recording and
/// over the seed story, whose operator's shell starts with an event that is no activity (its
/// session's leader seen only there).
#[test]
fn streaming_and_batch_triage_agree() {
    let engine = engine();
    let seed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed.jsonl"),
    )
    .expect("examples/seed.jsonl");
    let mut inputs = recordings();
    inputs.push(("seed".to_string(), seed));
    let mut quiet = 0;
    for (name, text) in &inputs {
        let batch = triage_batch(&engine, text, name);
        let (streamed, _) = triage_text(&engine, text, true);
        assert_eq!(batch, streamed, "{name}");
        quiet += batch.iter().filter(|r| r.contains("person_quiet")).count();
    }
    // Not vacuous: the signal that depends on the leader being seen occurs.
    assert!(quiet > 0, "no person_quiet in any report");
}

/// Session 20 (the blind holdout23): a package's maintainer script that copies a shell and
/// gives the copy the setuid bit leaves a root shell, whatever package manager ran it: not
/// the package manager's known work. The copy is an execution that is no activity, which
/// the streaming form `quell triage` uses only counts: it must see the copy as the batch
/// form does. A copy of the package's own helper is still the package manager's work.
#[test]
fn a_setuid_copy_of_a_shell_is_no_package_work_in_either_form() {
    let engine = engine();
    let lines = |src: &str| {
        let base = r#""proc.sid":7100,"user.name":"root","proc.tty":0"#;
        [
            format!(r#"{{"evt.type":"execve","evt.rawres":0,"evt.rawtime":1000,"proc.pid":7101,"proc.name":"dpkg","proc.exepath":"/usr/bin/dpkg","proc.cmdline":"dpkg --configure vendorctl","proc.pname":"apt-get","proc.ppid":7100,{base}}}"#),
            format!(r#"{{"evt.type":"execve","evt.rawres":0,"evt.rawtime":1010,"proc.pid":7102,"proc.name":"vendorctl.posti","proc.exepath":"/usr/bin/dash","proc.cmdline":"vendorctl.posti /var/lib/dpkg/info/vendorctl.postinst configure","proc.pname":"dpkg","proc.ppid":7101,"proc.aname[2]":"apt-get",{base}}}"#),
            format!(r#"{{"evt.type":"execve","evt.rawres":0,"evt.rawtime":1020,"proc.pid":7103,"proc.name":"cp","proc.exepath":"/usr/bin/cp","proc.cmdline":"cp {src} /opt/vendorctl/bin/.helper","proc.pname":"vendorctl.posti","proc.ppid":7102,"proc.aname[2]":"dpkg","proc.aname[3]":"apt-get",{base}}}"#),
            format!(r#"{{"evt.type":"execve","evt.rawres":0,"evt.rawtime":1030,"proc.pid":7104,"proc.name":"chmod","proc.exepath":"/usr/bin/chmod","proc.cmdline":"chmod 4755 /opt/vendorctl/bin/.helper","proc.pname":"vendorctl.posti","proc.ppid":7102,"proc.aname[2]":"dpkg","proc.aname[3]":"apt-get",{base}}}"#),
            format!(r#"{{"evt.type":"fchmodat","evt.rawres":0,"evt.rawtime":1040,"proc.pid":7104,"proc.name":"chmod","proc.exepath":"/usr/bin/chmod","proc.cmdline":"chmod 4755 /opt/vendorctl/bin/.helper","proc.pname":"vendorctl.posti","proc.ppid":7102,"proc.aname[2]":"dpkg","proc.aname[3]":"apt-get","fs.path.name":"/opt/vendorctl/bin/.helper","evt.arg.filename":"/opt/vendorctl/bin/.helper","evt.arg.mode":"S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID",{base}}}"#),
        ]
        .join("\n")
    };
    let setuid = |reports: &[String]| -> serde_json::Value {
        let found: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| serde_json::from_str(r).expect("report"))
            .filter(|r: &serde_json::Value| r["rule"] == "Setuid or Setgid Bit Set")
            .collect();
        assert_eq!(found.len(), 1, "{reports:#?}");
        found[0].clone()
    };
    let known = |r: &serde_json::Value| r.to_string().contains("\"known_benign\"");
    for (src, shell) in [
        ("/bin/bash", true),
        ("/usr/bin/python3.11", true),
        ("/opt/vendorctl/share/helper", false),
    ] {
        let text = lines(src);
        let batch = triage_batch(&engine, &text, src);
        let (streamed, _) = triage_text(&engine, &text, true);
        assert_eq!(batch, streamed, "{src}");
        let r = setuid(&streamed);
        assert_eq!(known(&r), !shell, "{src}: {r:#}");
        if shell {
            assert_ne!(r["verdict"], "likely_false_positive", "{src}: {r:#}");
        }
    }
}
