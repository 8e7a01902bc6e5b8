//! Reading the corpus captures (../shared/corpus/scap) end to end, and hostile variants of
//! them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use quell_scap::{Item, ScapError, ScapReader};

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scap")
        .join(name)
}

struct Summary {
    events: u64,
    by_type: BTreeMap<u16, u64>,
    unsplit: u64,
    threads: usize,
    fds: usize,
    users: usize,
    groups: usize,
    interfaces: usize,
    host: String,
    options_len: usize,
}

fn read_all(r: &mut ScapReader) -> Result<Summary, ScapError> {
    let mut s = Summary {
        events: 0,
        by_type: BTreeMap::new(),
        unsplit: 0,
        threads: 0,
        fds: 0,
        users: 0,
        groups: 0,
        interfaces: 0,
        host: String::new(),
        options_len: 0,
    };
    while let Some(item) = r.next()? {
        match item {
            Item::Tables(t) => {
                s.threads += t.threads.len();
                s.fds += t.fds.len();
                s.users += t.users.len();
                s.groups += t.groups.len();
                s.interfaces += t.interfaces.len();
                s.host = t
                    .machine
                    .as_ref()
                    .map(|m| m.hostname.clone())
                    .unwrap_or_default();
                s.options_len = t.section.options_len;
            }
            Item::Event(e) => {
                s.events += 1;
                *s.by_type.entry(e.etype).or_default() += 1;
                if e.info().is_some() && e.nparams() == 0 && !e.info().unwrap().params.is_empty() {
                    s.unsplit += 1;
                }
            }
        }
    }
    Ok(s)
}

/// Event block counts from walking the block framing alone (8-byte headers and lengths).
const COUNTS: &[(&str, u64)] = &[
    ("502Error.scap", 22381),
    ("curl_google.scap", 1536),
    ("curl_google_comments.scap", 1536),
    ("sample.scap", 572),
    ("single_ipv6_conn.scap", 1728),
    ("test_ipv6_client.scap", 326),
];

#[test]
fn every_corpus_capture_reads_to_the_end() {
    for (name, count) in COUNTS {
        let mut r = ScapReader::open(&corpus(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = read_all(&mut r).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.events, *count, "{name}");
        assert!(s.threads > 0, "{name}: no threads");
        assert!(s.fds > 0, "{name}: no fds");
        assert!(s.users > 0 && s.groups > 0, "{name}: no users or groups");
        assert!(s.interfaces > 0, "{name}: no interfaces");
        assert!(!s.host.is_empty(), "{name}: no host name");
        assert_eq!(r.stats().sections, 1, "{name}");
        eprintln!(
            "{name}: {} events, {} threads, {} fds, {} users, {} groups, {} ifs, host {}, types {:?}",
            s.events, s.threads, s.fds, s.users, s.groups, s.interfaces, s.host, s.by_type
        );
    }
}

#[test]
fn the_section_header_with_options_reads_like_the_plain_one() {
    let mut a = ScapReader::open(&corpus("curl_google.scap")).unwrap();
    let mut b = ScapReader::open(&corpus("curl_google_comments.scap")).unwrap();
    let (sa, sb) = (read_all(&mut a).unwrap(), read_all(&mut b).unwrap());
    assert_eq!(sa.options_len, 0);
    assert!(
        sb.options_len > 0,
        "the comments file carries pcapng options"
    );
    assert_eq!(sa.by_type, sb.by_type);
    assert_eq!(sa.threads, sb.threads);
}
