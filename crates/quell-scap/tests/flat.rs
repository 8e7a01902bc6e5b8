//! The flat events quell reads from each corpus capture against the same capture converted
//! by sysdig (`../shared/corpus/events/*.jsonl`, made by `tools/scap2jsonl`).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use quell_events::FlatEvent;
use quell_scap::flat::{FlatEvents, STATE_FIELDS};
use quell_scap::ScapReader;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

/// (capture, its sysdig conversion). curl_google_comments.scap is compared with
/// curl_google.jsonl: the same events with pcapng options in the section header, which
/// sysdig 0.29.3 cannot read.
pub const PAIRS: &[(&str, &str)] = &[
    ("502Error.scap", "502Error.jsonl"),
    ("curl_google.scap", "curl_google.jsonl"),
    ("curl_google_comments.scap", "curl_google.jsonl"),
    ("sample.scap", "sample.jsonl"),
    ("single_ipv6_conn.scap", "single_ipv6_conn.jsonl"),
    ("test_ipv6_client.scap", "test_ipv6_client.jsonl"),
];

fn quell_events(scap: &str) -> Vec<FlatEvent> {
    let r = ScapReader::open(&shared(&format!("corpus/scap/{scap}"))).expect("open");
    FlatEvents::new(r).map(|e| e.expect("read")).collect()
}

fn sysdig_events(jsonl: &str) -> Vec<FlatEvent> {
    std::fs::read_to_string(shared(&format!("corpus/events/{jsonl}")))
        .expect("jsonl")
        .lines()
        .map(|l| FlatEvent::from_json_line(l).expect("line"))
        .collect()
}

fn num(e: &FlatEvent) -> i64 {
    match e.get("evt.num") {
        Some(quell_rules::Value::Int(n)) => *n,
        Some(quell_rules::Value::Uint(n)) => *n as i64,
        other => panic!("evt.num {other:?}"),
    }
}

/// Normalised JSON text of a value (so `Int(3)` from quell and from the JSON line compare).
fn show(e: &FlatEvent, k: &str) -> Option<String> {
    let mut one = FlatEvent::new();
    one.set(k.to_string(), e.get(k)?.clone());
    let v: serde_json::Value = serde_json::from_str(&one.to_json_line()).ok()?;
    v.get(k).map(|x| x.to_string())
}

/// Mismatches per field: (count, first example).
fn compare(scap: &str, jsonl: &str, fields: &[&str]) -> (usize, BTreeMap<String, (usize, String)>) {
    let mine: HashMap<i64, FlatEvent> = quell_events(scap)
        .into_iter()
        .map(|e| (num(&e), e))
        .collect();
    let theirs = sysdig_events(jsonl);
    let mut compared = 0;
    let mut bad: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for t in &theirs {
        let Some(m) = mine.get(&num(t)) else { continue };
        compared += 1;
        for f in fields {
            let (a, b) = (show(m, f), show(t, f));
            if a != b {
                let e = bad.entry(f.to_string()).or_insert((0, String::new()));
                if e.0 == 0 {
                    e.1 = format!(
                        "evt.num {} {}: quell {:?} sysdig {:?}",
                        num(t),
                        show(t, "evt.type").unwrap_or_default(),
                        a,
                        b
                    );
                }
                e.0 += 1;
            }
        }
    }
    (compared, bad)
}

/// Every field compared: the event's own fields, the state fields the differentials share
/// ([`STATE_FIELDS`]), and two more of the fd.
fn all_fields() -> Vec<&'static str> {
    [
        "evt.num",
        "evt.rawtime",
        "evt.res",
        "evt.failed",
        "evt.is_open_read",
        "evt.is_open_write",
        "evt.is_open_exec",
        "evt.arg.flags",
        "evt.arg.name",
        "evt.arg.path",
        "evt.arg.mode",
        "evt.arg.uid",
    ]
    .into_iter()
    .chain(STATE_FIELDS.iter().copied())
    .chain(["fd.connected", "fd.name_changed"])
    .collect()
}

/// Fields where quell's flat events differ from sysdig's on the corpus, and why. Every
/// other field of [`all_fields`] must be equal on every event both sides produce.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("502Error.scap", "fd.lip", "accept: sysdig 0.29 reports the client end as local on the accepting side; quell the server end"),
    ("502Error.scap", "fd.lport", "as fd.lip"),
    ("502Error.scap", "fd.rip", "as fd.lip"),
    ("502Error.scap", "fd.rport", "as fd.lip"),
    ("502Error.scap", "fd.num", "failed accept: sysdig shows fd -1, quell the error code as evt.rawres"),
    ("502Error.scap", "fd.name", "failed accept: sysdig shows \"NULL\" from the empty tuple"),
    ("502Error.scap", "fd.typechar", "failed accept: sysdig shows a type for the fd that was not made"),
    ("502Error.scap", "fd.directory", "failed accept: sysdig shows \"/\" for the fd that was not made"),
    ("502Error.scap", "user.loginuid", "no login uid in this capture: sysdig shows 0 here (-1 in the others); quell -1"),
    ("502Error.scap", "user.loginname", "as user.loginuid"),
    ("502Error.scap", "fd.cip", "sendmsg on a UDP socket whose tuple is 0.0.0.0:55441->127.0.0.1:514: sysdig shows addresses the capture does not hold (192.168.128.156, 145.216.3.255); quell the tuple's"),
    ("502Error.scap", "fd.sip", "as fd.cip"),
    ("502Error.scap", "fd.connected", "first sendmsg of that socket: sysdig shows it unconnected and connected from the next one on; quell connected from the first successful send"),
    ("502Error.scap", "group.gid", "thread 13700, seen only in futex calls: sysdig shows 4294967296 (a 33-bit value), quell gid 0 from the process list (both name the group root)"),
    ("curl_google.scap", "fd.num", "pipe: sysdig shows the first fd of the pair; quell no fd fields"),
    ("curl_google.scap", "fd.type", "as fd.num"),
    ("curl_google.scap", "fd.typechar", "as fd.num"),
    ("curl_google.scap", "fd.connected", "as fd.num"),
    ("curl_google.scap", "fd.name_changed", "as fd.num"),
    ("curl_google.scap", "fd.name", "close of a pipe end: sysdig shows no name, quell pipe:[ino]"),
    ("curl_google.scap", "fd.directory", "open of a relative path in a process whose cwd the capture never gave: sysdig shows a directory, quell none"),
    ("curl_google.scap", "group.gid", "sysdig shows 8589934591 (a 33-bit value) for one clone; quell the unknown gid 4294967295"),
    ("sample.scap", "user.loginuid", "the process list holds no login uid: sysdig shows -420151296 for every process, quell -1 (unknown)"),
    ("sample.scap", "group.gid", "two threads seen only in futex calls: sysdig shows 25769803776 (6<<32), quell 0 from the process list (both name the group root)"),
    ("sample.scap", "fd.cport", "unbound unix socket from the fd list: sysdig shows client port 0, quell no port"),
    ("single_ipv6_conn.scap", "fd.lip", "as 502Error fd.lip"),
    ("single_ipv6_conn.scap", "fd.lport", "as 502Error fd.lip"),
    ("single_ipv6_conn.scap", "fd.rip", "as 502Error fd.lip"),
    ("single_ipv6_conn.scap", "fd.rport", "as 502Error fd.lip"),
    ("single_ipv6_conn.scap", "fd.cport", "bind: sysdig shows client port 0 on a bound socket; quell no client end"),
    ("single_ipv6_conn.scap", "fd.sip", "second bind of a port-0 address: sysdig keeps no server end, quell the bound address"),
    ("single_ipv6_conn.scap", "fd.sport", "as fd.sip"),
    ("single_ipv6_conn.scap", "fd.l4proto", "as fd.sip"),
    ("test_ipv6_client.scap", "fd.cip", "sendto on an unconnected UDP socket with tuple ::0->::1:2345: sysdig fills the unspecified source with ::1, quell keeps the tuple's ::"),
    ("test_ipv6_client.scap", "fd.lip", "as fd.cip"),
    ("test_ipv6_client.scap", "fd.directory", "write to fd 1, which neither the fd list nor an event made: sysdig shows directory \"/\" and type char o, quell no fd fields but fd.num"),
    ("test_ipv6_client.scap", "fd.typechar", "as fd.directory"),
    ("test_ipv6_client.scap", "fd.name", "second connect of a UDP socket: sysdig names the enter event's address, quell the exit event's tuple"),
    ("test_ipv6_client.scap", "fd.name_changed", "as fd.name"),
    ("test_ipv6_client.scap", "fd.sip", "as fd.name"),
    ("test_ipv6_client.scap", "fd.sport", "as fd.name"),
    ("test_ipv6_client.scap", "fd.rip", "as fd.name"),
    ("test_ipv6_client.scap", "fd.rport", "as fd.name"),
];

fn allowed(scap: &str, field: &str) -> bool {
    let scap = if scap == "curl_google_comments.scap" {
        "curl_google.scap"
    } else {
        scap
    };
    EXCEPTIONS.iter().any(|(s, f, _)| *s == scap && *f == field)
}

#[test]
fn flat_fields_equal_sysdig_except_the_stated_ones() {
    let mut total = 0;
    for (scap, jsonl) in PAIRS {
        let (n, bad) = compare(scap, jsonl, &all_fields());
        // Every event of the conversion is compared: quell decodes all of them.
        assert_eq!(n, sysdig_events(jsonl).len(), "{scap}: events compared");
        total += n;
        eprintln!(
            "{scap}: {n} events compared, {} field(s) differ as stated",
            bad.len()
        );
        let unexpected: Vec<String> = bad
            .iter()
            .filter(|(f, _)| !allowed(scap, f))
            .map(|(f, (c, ex))| format!("{f}: {c} event(s), e.g. {ex}"))
            .collect();
        assert!(unexpected.is_empty(), "{scap}: {unexpected:#?}");
    }
    // The exit events of the six captures (curl_google's counted twice), every line of the
    // conversions.
    assert_eq!(total, 5677, "events compared");
}

/// quell produces exactly the events sysdig shows: every syscall exit of every corpus
/// capture (generic calls named by their syscall code included), none more.
#[test]
fn every_exit_event_sysdig_shows_is_produced_and_no_other() {
    for (scap, jsonl) in PAIRS {
        let mine: Vec<i64> = quell_events(scap).iter().map(num).collect();
        let theirs: Vec<i64> = sysdig_events(jsonl).iter().map(num).collect();
        assert_eq!(
            mine.len(),
            theirs.len(),
            "{scap}: events quell and sysdig give"
        );
        assert_eq!(mine, theirs, "{scap}: event numbers");
        let r = ScapReader::open(&shared(&format!("corpus/scap/{scap}"))).expect("open");
        let mut it = FlatEvents::new(r);
        while it.next().is_some() {}
        assert!(
            it.stats().skipped.is_empty(),
            "{scap}: exit types skipped: {:?}",
            it.stats().skipped
        );
    }
}

#[test]
fn the_capture_with_pcapng_options_gives_the_same_flat_events() {
    let a: Vec<String> = quell_events("curl_google.scap")
        .iter()
        .map(|e| e.to_json_line())
        .collect();
    let b: Vec<String> = quell_events("curl_google_comments.scap")
        .iter()
        .map(|e| e.to_json_line())
        .collect();
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn every_key_a_capture_event_carries_is_listed_in_fields() {
    let listed: std::collections::BTreeSet<&str> =
        quell_scap::flat::FIELDS.iter().copied().collect();
    let mut seen = std::collections::BTreeSet::new();
    for (scap, _) in PAIRS {
        for e in quell_events(scap) {
            for (k, _) in e.iter() {
                assert!(
                    listed.contains(k),
                    "{scap}: flat events carry {k}, which flat::FIELDS does not list"
                );
                seen.insert(k.to_string());
            }
        }
    }
    // The corpus exercises most of the list (not all: e.g. evt.arg.linkpath needs a symlink).
    assert!(seen.len() >= 50, "only {} keys seen", seen.len());
}

/// The view `quell replay -e` evaluates (`FlatEvents::next_ref`: own fields from a reused
/// buffer, process fields read from the thread table) reads, field by field, as its owned
/// copy, for every field it can carry and the derived ones (ancestor fallbacks and lists,
/// time renderings); its event type id is the one of its type name.
#[test]
fn the_capture_view_reads_as_its_owned_copy() {
    use quell_rules::compile::evttypes::type_id;
    use quell_rules::fields_table::registry;
    use quell_rules::Event;
    let derived = [
        "proc.aname",
        "proc.apid",
        "proc.aname[0]",
        "proc.aname[1]",
        "proc.apid[1]",
        "proc.aexe",
        "evt.time",
        "evt.rawtime.s",
        "fd.nameraw",
    ];
    let refs: Vec<_> = quell_scap::flat::FIELDS
        .iter()
        .chain(&derived)
        .map(|k| registry().resolve_text(k).expect(k))
        .collect();
    let mut events = 0;
    let mut values = 0;
    for (scap, _) in PAIRS {
        let r = ScapReader::open(&shared(&format!("corpus/scap/{scap}"))).expect("open");
        let mut it = FlatEvents::new(r);
        while let Some(view) = it.next_ref() {
            let view = view.expect("read");
            let owned = view.to_flat();
            events += 1;
            assert_eq!(view.evt_type_id(), view.evt_type().and_then(type_id));
            assert_eq!(view.evt_type_id(), owned.evt_type_id(), "{scap}");
            assert_eq!(view.timestamp_ns(), owned.timestamp_ns());
            for f in &refs {
                let v = view.field(f);
                values += usize::from(v.is_some());
                assert_eq!(v, owned.field(f), "{scap}: {}", f.key);
            }
        }
    }
    assert!(
        // Generic calls (futex, epoll_pwait, ...) carry no fd or arguments: fewer values.
        events > 1000 && values > 40 * events,
        "{events} events, {values} values"
    );
}
