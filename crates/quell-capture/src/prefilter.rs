//! The kernel side of the open prefilter: [`quell_rules::prefilter::OpenFilter`]
//! encoded into the `pathfilter` map the BPF program reads, and a model of the
//! program's decision so that tests can check it against the rules.
//!
//! Layout (`struct qpathf` in `bpf/quell.bpf.c`): 4 activity bytes (open,
//! openat, openat2, creat), the first bytes of substring atoms (4 slots,
//! unused ones repeat the first) and their mode (0: no substring atom, 1: the
//! slots hold them all, 2: more than 4, every word is looked up), the bigram
//! table's shift, 2 padding bytes and the bloom filter's mask; a 256-bit
//! bitmap of prefix lengths (bit L - 1 for an atom of L bytes); a bitmap of
//! the hashed first two bytes of substring atoms; and a bloom filter (two
//! bits per hash) of exact atoms, prefix atoms and the last four bytes of
//! suffix atoms. The bigram table and the bloom filter have room for 65,536
//! bits each but use only as many as their atoms need (256 bits per bigram
//! atom, 32 per bloom atom, at least 512): a ruleset with a few dozen atoms
//! keeps the whole filter in a few cache lines. A suffix atom shorter than
//! four bytes counts as a substring atom (ending with it implies containing
//! it). False positives only let a record through.
//!
//! The program walks a path eight bytes at a time: hashes take little-endian
//! words (the last one zero-padded), "//" and "/." (unclean paths, always
//! kept) are found with word arithmetic, and bigrams are looked up only in
//! words that hold a substring atom's first byte.

use quell_rules::prefilter::{OpenFilter, PathAtom, PathPred, OPEN_TYPES};
use std::collections::BTreeSet;

/// Size of `struct qpathf`.
pub const LEN: usize = 16 + 32 + 8192 + 8192;
const FIRST: usize = 4;
const FIRST_MODE: usize = 8;
const BIGRAM_SHIFT: usize = 9;
const BLOOM_MASK: usize = 12;
const BIGRAM_MUL: u32 = 0x9e37_79b1;
const PREFIX_LEN: usize = 16;
const BIGRAM: usize = PREFIX_LEN + 32;
const BLOOM: usize = BIGRAM + 8192;
/// Longest path the kernel decides on (longer ones are kept).
pub const MAX_PATH: usize = 255;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const WORD_MUL: u64 = 0x9e37_79b9_7f4a_7c15;
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const EXACT: u64 = 1;
const PREFIX: u64 = 2;
const SUFFIX: u64 = 3;

fn word_step(h: u64, w: u64) -> u64 {
    let h = (h ^ w).wrapping_mul(WORD_MUL);
    h ^ (h >> 32)
}

/// The little-endian word of up to eight bytes, zero-padded.
fn word(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(b)
}

/// The hash of a whole string (the kernel's hash of its first `len` bytes).
fn path_hash(bytes: &[u8]) -> u64 {
    bytes
        .chunks(8)
        .fold(FNV_OFFSET, |h, c| word_step(h, word(c)))
}

fn suffix_hash(last4: &[u8]) -> u64 {
    word_step(FNV_OFFSET, word(last4))
}

/// 0x80 in every byte equal to `c`, plus the borrow's extra marks: the
/// program's word arithmetic, bit for bit.
fn bytes_eq(w: u64, c: u8) -> u64 {
    let x = w ^ (c as u64).wrapping_mul(ONES);
    x.wrapping_sub(ONES) & !x & HIGHS
}

fn low_bytes(n: usize) -> u64 {
    if n >= 8 {
        !0
    } else {
        (1u64 << (n * 8)) - 1
    }
}

fn mix(h: u64, kind: u64, len: u64) -> u64 {
    let mut m = h ^ (kind << 56) ^ (len << 48);
    m ^= m >> 33;
    m = m.wrapping_mul(0xff51_afd7_ed55_8ccd);
    m ^ (m >> 33)
}

fn set(buf: &mut [u8], base: usize, i: usize) {
    buf[base + (i >> 3)] |= 1 << (i & 7);
}

fn get(buf: &[u8], base: usize, i: usize) -> bool {
    buf[base + (i >> 3)] & (1 << (i & 7)) != 0
}

fn bloom_mask(buf: &[u8]) -> u64 {
    u32::from_le_bytes(buf[BLOOM_MASK..BLOOM_MASK + 4].try_into().unwrap()) as u64
}

fn bloom_add(buf: &mut [u8], h: u64, kind: u64, len: usize) {
    let (m, mask) = (mix(h, kind, len as u64), bloom_mask(buf));
    set(buf, BLOOM, (m & mask) as usize);
    set(buf, BLOOM, ((m >> 32) & mask) as usize);
}

fn bloom_has(buf: &[u8], h: u64, kind: u64, len: usize) -> bool {
    let (m, mask) = (mix(h, kind, len as u64), bloom_mask(buf));
    get(buf, BLOOM, (m & mask) as usize) && get(buf, BLOOM, ((m >> 32) & mask) as usize)
}

/// The bigram table's bit for the byte pair (a, b).
fn bigram_bit(buf: &[u8], a: u64, b: u64) -> usize {
    ((((a << 8) | b) as u32).wrapping_mul(BIGRAM_MUL) >> (buf[BIGRAM_SHIFT] & 31)) as usize
}

/// Bits for `n` atoms, `per` each: a power of two from 512 to 65,536.
fn table_bits(n: usize, per: usize) -> u32 {
    (n.max(1) * per).next_power_of_two().clamp(512, 65_536) as u32
}

/// Encodes the filter; an open type whose predicate the kernel cannot check
/// (too long an atom, a NUL byte, "any path") is left inactive (every open kept).
pub fn encode(filter: &OpenFilter) -> Vec<u8> {
    let mut buf = vec![0u8; LEN];
    let mut first = BTreeSet::new();
    // the tables' sizes, from the atoms of every type that will be active
    let active: Vec<(usize, &BTreeSet<PathAtom>)> = OPEN_TYPES
        .iter()
        .enumerate()
        .filter_map(|(slot, t)| match filter.per_type.get(*t) {
            Some(PathPred::Any(atoms)) if atoms.iter().all(encodable) => Some((slot, atoms)),
            _ => None,
        })
        .collect();
    let all: BTreeSet<&PathAtom> = active.iter().flat_map(|(_, a)| a.iter()).collect();
    let bigrams = all.iter().filter(|a| is_bigram(a)).count();
    // a path looks up a bigram per byte of some words, the bloom filter a
    // few times: the bigram table gets more bits per atom
    buf[BIGRAM_SHIFT] = (32 - table_bits(bigrams, 256).trailing_zeros()) as u8;
    buf[BLOOM_MASK..BLOOM_MASK + 4]
        .copy_from_slice(&(table_bits(all.len() - bigrams, 32) - 1).to_le_bytes());
    for (slot, atoms) in active {
        for a in atoms {
            if let Some(b) = add(&mut buf, a) {
                first.insert(b);
            }
        }
        buf[slot] = 1;
    }
    let first: Vec<u8> = first.into_iter().collect();
    if first.len() > 4 {
        buf[FIRST_MODE] = 2;
    } else if let Some(&f0) = first.first() {
        buf[FIRST_MODE] = 1;
        for i in 0..4 {
            buf[FIRST + i] = *first.get(i).unwrap_or(&f0);
        }
    }
    buf
}

fn is_bigram(a: &PathAtom) -> bool {
    match a {
        PathAtom::Suffix(s) => s.len() < 4,
        PathAtom::Contains(_) => true,
        _ => false,
    }
}

fn encodable(a: &PathAtom) -> bool {
    let (s, fits) = match a {
        PathAtom::Exact(s) | PathAtom::Prefix(s) => (s, !s.is_empty() && s.len() <= MAX_PATH),
        PathAtom::Suffix(s) | PathAtom::Contains(s) => (s, s.len() >= 2),
    };
    fits && !s.as_bytes().contains(&0)
}

/// Adds one atom; returns the first byte of a substring (bigram) atom.
fn add(buf: &mut [u8], a: &PathAtom) -> Option<u8> {
    match a {
        PathAtom::Exact(s) => bloom_add(buf, path_hash(s.as_bytes()), EXACT, s.len()),
        PathAtom::Prefix(s) => {
            set(buf, PREFIX_LEN, s.len() - 1);
            bloom_add(buf, path_hash(s.as_bytes()), PREFIX, s.len());
        }
        PathAtom::Suffix(s) if s.len() >= 4 => {
            bloom_add(buf, suffix_hash(&s.as_bytes()[s.len() - 4..]), SUFFIX, 4);
        }
        // a short suffix is checked as a substring: ending with it implies containing it
        PathAtom::Suffix(s) | PathAtom::Contains(s) => {
            let b = s.as_bytes();
            let i = bigram_bit(buf, b[0] as u64, b[1] as u64);
            set(buf, BIGRAM, i);
            return Some(b[0]);
        }
    }
    None
}

/// What the BPF program decides for an open of `path` (the string the call
/// was given) by open type `slot` (index in [`OPEN_TYPES`]): `true` keeps
/// the record. Mirrors `pf_keep` in the program, step for step.
pub fn kernel_keeps(buf: &[u8], slot: usize, path: &[u8]) -> bool {
    if buf.len() != LEN || slot >= 4 || buf[slot] == 0 {
        return true;
    }
    let len = path.iter().position(|&c| c == 0).unwrap_or(path.len());
    let path = &path[..len];
    if len == 0 || len > MAX_PATH || path[0] != b'/' {
        return true;
    }
    if len > 1 && path[len - 1] == b'/' {
        return true;
    }
    let (mut h, mut keep) = (FNV_OFFSET, false);
    let (mut carry_sl, mut carry_f, mut prev) = (0u64, 0u64, 0u64);
    let mode = buf[FIRST_MODE];
    for (k, chunk) in path.chunks(8).enumerate() {
        let w = word(chunk);
        let sl = bytes_eq(w, b'/');
        let ds = sl | bytes_eq(w, b'.');
        if ((sl << 8) | carry_sl) & ds != 0 {
            return true;
        }
        carry_sl = sl >> 56;
        let fm = if mode == 1 {
            buf[FIRST..FIRST + 4]
                .iter()
                .fold(0, |m, &f| m | bytes_eq(w, f))
        } else {
            0
        };
        if mode == 2 || fm != 0 || carry_f != 0 {
            for j in 0..8 {
                let c = (w >> (j * 8)) & 0xff;
                keep |= get(buf, BIGRAM, bigram_bit(buf, prev, c));
                prev = c;
            }
        }
        carry_f = fm >> 56;
        prev = w >> 56;
        let pl = buf[PREFIX_LEN + k];
        for j in 0..8 {
            if (pl >> j) & 1 != 0 {
                keep |= bloom_has(
                    buf,
                    word_step(h, w & low_bytes(j + 1)),
                    PREFIX,
                    k * 8 + j + 1,
                );
            }
        }
        h = word_step(h, w);
    }
    keep || bloom_has(buf, h, EXACT, len)
        || (len >= 4 && bloom_has(buf, suffix_hash(&path[len - 4..]), SUFFIX, 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn filter(atoms: &[PathAtom]) -> OpenFilter {
        let set: BTreeSet<PathAtom> = atoms.iter().cloned().collect();
        OpenFilter {
            per_type: OPEN_TYPES
                .iter()
                .map(|t| (t.to_string(), PathPred::Any(set.clone())))
                .collect::<BTreeMap<_, _>>(),
            reasons: vec![],
        }
    }

    fn sample() -> Vec<PathAtom> {
        vec![
            PathAtom::Exact("/etc/shadow".into()),
            PathAtom::Prefix("/etc/pam.d/".into()),
            PathAtom::Prefix("/var/log/".into()),
            PathAtom::Suffix("/dpkg.log".into()),
            PathAtom::Suffix("release_agent".into()),
            PathAtom::Contains("../".into()),
        ]
    }

    #[test]
    fn keeps_what_the_atoms_name_and_drops_the_rest() {
        let f = filter(&sample());
        let buf = encode(&f);
        for p in [
            "/etc/shadow",
            "/etc/pam.d/sshd",
            "/var/log/x",
            "/srv/dpkg.log",
            "/sys/fs/cgroup/release_agent",
            "/a/b../c",
            // not clean or not absolute: always kept
            "/tmp//x",
            "/tmp/./x",
            "/tmp/../etc/shadow",
            "/tmp/.hidden",
            "relative/x",
            "/tmp/dir/",
        ] {
            assert!(kernel_keeps(&buf, 1, p.as_bytes()), "{p}");
        }
        for p in [
            "/etc/shadowx",
            "/etc/pam.dx",
            "/tmp/t1.tmp",
            "/etc/hostname",
            "/",
        ] {
            assert!(!kernel_keeps(&buf, 1, p.as_bytes()), "{p}");
        }
        let long = format!("/{}", "a".repeat(300));
        assert!(kernel_keeps(&buf, 1, long.as_bytes()));
    }

    #[test]
    fn top_or_unencodable_predicates_leave_the_type_inactive() {
        let mut f = filter(&sample());
        f.per_type.insert("openat".into(), PathPred::Top);
        f.per_type.insert(
            "open".into(),
            PathPred::Any([PathAtom::Suffix("x".into())].into()),
        );
        let buf = encode(&f);
        assert_eq!(&buf[..4], &[0, 0, 1, 1]);
        assert!(kernel_keeps(&buf, 0, b"/tmp/x"));
        assert!(kernel_keeps(&buf, 1, b"/tmp/x"));
        assert!(!kernel_keeps(&buf, 2, b"/tmp/x"));
        // an empty predicate (no rule on the type) drops every clean absolute path
        let buf = encode(&filter(&[]));
        assert!(!kernel_keeps(&buf, 3, b"/etc/shadow"));
    }

    #[test]
    fn tables_take_as_many_bits_as_their_atoms_need() {
        let buf = encode(&filter(&sample()));
        // 5 bloom atoms and 1 bigram atom: the smallest tables (512 bits)
        assert_eq!(bloom_mask(&buf), 511);
        assert_eq!(buf[BIGRAM_SHIFT], 23);
        assert!(buf[BLOOM + 64..].iter().all(|&b| b == 0));
        assert!(buf[BIGRAM + 64..BLOOM].iter().all(|&b| b == 0));
        let many: Vec<PathAtom> = (0..5000)
            .map(|i| PathAtom::Exact(format!("/etc/f{i}")))
            .chain((0..100).map(|i| PathAtom::Contains(format!("{i}x"))))
            .collect();
        let f = filter(&many);
        let buf = encode(&f);
        assert_eq!(bloom_mask(&buf), 65_535);
        assert_eq!(buf[BIGRAM_SHIFT], 32 - 15);
        assert_eq!(buf[FIRST_MODE], 2);
        for a in &many {
            if let PathAtom::Exact(p) = a {
                assert!(kernel_keeps(&buf, 1, p.as_bytes()), "{p}");
            }
        }
        assert!(kernel_keeps(&buf, 1, b"/srv/a42xb"));
        // paths free of the substring atoms' digit pairs: only the bloom
        // filter's false positives keep them
        let letters = |i: usize| -> String {
            [i % 26, i / 26 % 26, i / 676]
                .iter()
                .map(|&d| (b'a' + d as u8) as char)
                .collect()
        };
        let dropped = (0..1000)
            .filter(|&i| {
                !kernel_keeps(&buf, 1, format!("/srv/data/n{}.bin", letters(i)).as_bytes())
            })
            .count();
        assert!(dropped > 800, "{dropped}");
    }

    fn path() -> impl Strategy<Value = String> {
        let seg = prop::sample::select(vec![
            "etc",
            "shadow",
            "pam.d",
            "var",
            "log",
            "dpkg.log",
            "tmp",
            "a",
            "..",
            ".",
            "",
            "release_agent",
            "b..",
            "x.log",
            "sshd",
        ]);
        (prop::bool::weighted(0.9), prop::collection::vec(seg, 0..6)).prop_map(|(abs, v)| {
            let p = v.join("/");
            if abs {
                format!("/{p}")
            } else {
                p
            }
        })
    }

    proptest! {
        /// Whatever the predicate admits (after the capture's lexical
        /// normalisation) the kernel keeps.
        #[test]
        fn the_kernel_keeps_every_admitted_path(p in path(), extra in "[a-z/._]{0,12}") {
            let mut atoms = sample();
            atoms.push(PathAtom::Prefix(format!("/{extra}")));
            atoms.push(PathAtom::Suffix(format!("{extra}.log")));
            let f = filter(&atoms);
            let buf = encode(&f);
            let resolved = crate::state::normalize(&p);
            if p.starts_with('/') && f.admits("openat", &resolved) {
                prop_assert!(kernel_keeps(&buf, 1, p.as_bytes()), "{} ({})", p, resolved);
            }
        }
    }
}

/// The whole chain on synthetic opens: rules → filter → kernel model, against
/// the state engine and the rules' own evaluation of the same record.
#[cfg(test)]
mod soundness {
    use super::*;
    use crate::procfs::Users;
    use crate::state::{Process, State};
    use crate::wire::{build, decode};
    use quell_rules::engine::{Engine, RuleMatching};

    fn corpus(file: &str) -> Option<String> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/falco-rules")
            .join(file);
        std::fs::read_to_string(p).ok()
    }

    const COMMS: [&str; 8] = [
        "cat", "httpd", "nginx", "sshd", "bash", "apt", "python3", "vim",
    ];
    const SEGS: [&str; 24] = [
        "etc",
        "shadow",
        "pam.d",
        "sudoers",
        "sudoers.d",
        "var",
        "log",
        "syslog",
        "dpkg.log",
        "root",
        ".ssh",
        "id_rsa",
        "home",
        "alice",
        "tmp",
        "..",
        ".",
        "release_agent",
        "x",
        "auth.log",
        "",
        "proc",
        "environ",
        "b..",
    ];
    const FLAGS: [u64; 5] = [0, 0o1, 0o1101, 0o2, 0o2000000];

    fn state() -> State {
        let users = Users::parse("root:x:0:0::/:/bin/sh\n", "root:x:0:\n");
        let mut s = State::new(users, 60_000_000_000, None);
        s.insert(Process {
            pid: 1,
            comm: "init".into(),
            exe: "/sbin/init".into(),
            loginuid: u32::MAX,
            ..Process::default()
        });
        for (i, c) in COMMS.iter().enumerate() {
            s.insert(Process {
                pid: 100 + i as u32,
                ppid: 1,
                comm: c.to_string(),
                exe: c.to_string(),
                exepath: format!("/usr/bin/{c}"),
                cwd: "/home/alice".into(),
                loginuid: u32::MAX,
                start_ns: 1,
                ..Process::default()
            });
        }
        s
    }

    /// Checks every sampled open: when a rule matches it, the kernel keeps it.
    /// Returns (rule matches, records the kernel would drop).
    fn check(rules: &str, samples: usize) -> (usize, usize) {
        let mut engine = Engine::new();
        let r = engine.load("rules.yaml", rules);
        assert!(r.successful, "{}", r.summary());
        let filter = quell_rules::prefilter::open_filter(engine.rules());
        let buf = encode(&filter);
        let mut s = state();
        let (mut matched, mut dropped) = (0, 0);
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for k in 0..samples {
            let nseg = 1 + next(4);
            let mut path: String = (0..nseg)
                .map(|_| format!("/{}", SEGS[next(SEGS.len())]))
                .collect();
            if next(10) == 0 {
                path.remove(0); // relative
            }
            let flags = FLAGS[next(FLAGS.len())];
            let pid = 100 + next(COMMS.len()) as u32;
            let (sysno, slot) = [(2u16, 0usize), (257, 1), (85, 3)][next(3)];
            let res = if next(4) == 0 {
                -2
            } else {
                3 + (k % 50) as i64
            };
            let args = match sysno {
                257 => [0xffff_ff9c, 0, flags, 0o644, 0, 0],
                _ => [0, flags, 0o644, 0, 0, 0],
            };
            let mut p = path.clone().into_bytes();
            p.push(0);
            let rec = build(0, sysno, pid, pid, res, args, &[&p]);
            let ev = s.apply(&decode(&rec).unwrap()).unwrap();
            let hits = engine.evaluate(&ev, RuleMatching::All);
            let keep = kernel_keeps(&buf, slot, path.as_bytes());
            if !hits.is_empty() {
                matched += 1;
                assert!(
                    keep,
                    "the kernel would drop {path:?} (sysno {sysno}, flags {flags:o}, pid {pid}) that {:?} matches",
                    hits.iter().map(|r| &r.name).collect::<Vec<_>>()
                );
            }
            dropped += usize::from(!keep);
        }
        (matched, dropped)
    }

    #[test]
    fn no_open_a_stable_rule_matches_is_dropped() {
        let rules = corpus("falco_rules.yaml")
            .expect("../shared/corpus must be next to the repository (the tests' reference data)");
        let (matched, dropped) = check(&rules, 40_000);
        eprintln!("stable rules: {matched} opens matched, {dropped} of 40000 dropped");
        assert!(
            matched > 100,
            "the samples must exercise the rules ({matched})"
        );
        assert!(
            dropped > 10_000,
            "the filter must drop something ({dropped})"
        );
    }

    #[test]
    fn no_open_an_incubating_or_sandbox_rule_matches_is_dropped() {
        for f in ["falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"] {
            let rules = corpus(f).expect(
                "../shared/corpus must be next to the repository (the tests' reference data)",
            );
            let (matched, dropped) = check(&rules, 20_000);
            eprintln!("{f}: {matched} opens matched, {dropped} of 20000 dropped");
        }
    }

    #[test]
    fn consumer_rules_keep_the_opens_they_read() {
        // a rule on close that reads fd.name: the open of that file is kept
        let rules = "- rule: secret closed\n  desc: d\n  condition: evt.type = close and fd.directory = /srv/secret\n  output: \"%fd.name\"\n  priority: WARNING\n";
        let mut engine = Engine::new();
        assert!(engine.load("r.yaml", rules).successful);
        let buf = encode(&quell_rules::prefilter::open_filter(engine.rules()));
        assert!(kernel_keeps(&buf, 1, b"/srv/secret/k"));
        assert!(!kernel_keeps(&buf, 1, b"/srv/public/k"));
        let mut s = state();
        let open = build(
            0,
            257,
            100,
            100,
            7,
            [0xffff_ff9c, 0, 0, 0, 0, 0],
            &[b"/srv/secret/k\0"],
        );
        s.apply(&decode(&open).unwrap());
        let close = build(0, 3, 100, 100, 0, [7, 0, 0, 0, 0, 0], &[]);
        let ev = s.apply(&decode(&close).unwrap()).unwrap();
        assert_eq!(engine.evaluate(&ev, RuleMatching::All).len(), 1);
    }
}
