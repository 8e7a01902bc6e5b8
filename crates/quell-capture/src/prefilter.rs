//! The kernel side of the open prefilter: [`quell_rules::prefilter::OpenFilter`]
//! encoded into the `pathfilter` map the BPF program reads, and a model of the
//! program's decision so that tests can check it against the rules.
//!
//! Layout (`struct qpathf` in `bpf/quell.bpf.c`): 4 activity bytes (open,
//! openat, openat2, creat), 4 padding bytes, a 256-bit bitmap of prefix
//! lengths, a 256-bit bitmap of suffix lengths, a 65,536-bit bitmap of the
//! first two bytes of substring atoms, and a 65,536-bit bloom filter of the
//! hashes of exact, prefix and suffix atoms (two bits each). False positives
//! of the bloom filter and the bigram bitmap only let a record through.

use quell_rules::prefilter::{OpenFilter, PathAtom, PathPred, OPEN_TYPES};

/// Size of `struct qpathf`.
pub const LEN: usize = 8 + 32 + 32 + 8192 + 8192;
const PREFIX_LEN: usize = 8;
const SUFFIX_LEN: usize = 40;
const BIGRAM: usize = 72;
const BLOOM: usize = BIGRAM + 8192;
/// Longest path the kernel decides on (longer ones are kept).
pub const MAX_PATH: usize = 255;
/// Longest suffix atom the kernel checks.
pub const MAX_SUFFIX: usize = 128;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;
const EXACT: u64 = 1;
const PREFIX: u64 = 2;
const SUFFIX: u64 = 3;

fn fnv(h: u64, c: u8) -> u64 {
    (h ^ c as u64).wrapping_mul(FNV_PRIME)
}

fn fnv_all<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    bytes.into_iter().fold(FNV_OFFSET, |h, &c| fnv(h, c))
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

fn bloom_add(buf: &mut [u8], h: u64, kind: u64, len: usize) {
    let m = mix(h, kind, len as u64);
    set(buf, BLOOM, (m & 0xffff) as usize);
    set(buf, BLOOM, ((m >> 16) & 0xffff) as usize);
}

fn bloom_has(buf: &[u8], h: u64, kind: u64, len: usize) -> bool {
    let m = mix(h, kind, len as u64);
    get(buf, BLOOM, (m & 0xffff) as usize) && get(buf, BLOOM, ((m >> 16) & 0xffff) as usize)
}

/// Encodes the filter; an open type whose predicate the kernel cannot check
/// (too long an atom, "any path") is left inactive (every open kept).
pub fn encode(filter: &OpenFilter) -> Vec<u8> {
    let mut buf = vec![0u8; LEN];
    for (slot, t) in OPEN_TYPES.iter().enumerate() {
        let Some(PathPred::Any(atoms)) = filter.per_type.get(*t) else {
            continue;
        };
        if !atoms.iter().all(encodable) {
            continue;
        }
        for a in atoms {
            add(&mut buf, a);
        }
        buf[slot] = 1;
    }
    buf
}

fn encodable(a: &PathAtom) -> bool {
    match a {
        PathAtom::Exact(s) => !s.is_empty() && s.len() <= MAX_PATH,
        PathAtom::Prefix(s) => !s.is_empty() && s.len() <= MAX_PATH,
        PathAtom::Suffix(s) => !s.is_empty() && s.len() <= MAX_SUFFIX,
        PathAtom::Contains(s) => s.len() >= 2,
    }
}

fn add(buf: &mut [u8], a: &PathAtom) {
    match a {
        PathAtom::Exact(s) => bloom_add(buf, fnv_all(s.as_bytes()), EXACT, s.len()),
        PathAtom::Prefix(s) => {
            set(buf, PREFIX_LEN, s.len());
            bloom_add(buf, fnv_all(s.as_bytes()), PREFIX, s.len());
        }
        PathAtom::Suffix(s) => {
            set(buf, SUFFIX_LEN, s.len());
            bloom_add(buf, fnv_all(s.as_bytes().iter().rev()), SUFFIX, s.len());
        }
        PathAtom::Contains(s) => {
            let b = s.as_bytes();
            set(buf, BIGRAM, ((b[0] as usize) << 8) | b[1] as usize);
        }
    }
}

/// What the BPF program decides for an open of `path` (the string the call
/// was given) by open type `slot` (index in [`OPEN_TYPES`]): `true` keeps
/// the record. Mirrors `pf_keep` in the program, line for line.
pub fn kernel_keeps(buf: &[u8], slot: usize, path: &[u8]) -> bool {
    if buf.len() != LEN || slot >= 4 || buf[slot] == 0 {
        return true;
    }
    let len = path.iter().position(|&c| c == 0).unwrap_or(path.len());
    let path = &path[..len];
    if len == 0 || len > MAX_PATH || path[0] != b'/' {
        return true;
    }
    let mut h = FNV_OFFSET;
    let mut prev = 0u8;
    let mut c = 0u8;
    for (i, &b) in path.iter().enumerate() {
        c = b;
        if prev == b'/' && (c == b'/' || c == b'.') {
            return true;
        }
        if i > 0 && get(buf, BIGRAM, ((prev as usize) << 8) | c as usize) {
            return true;
        }
        h = fnv(h, c);
        if get(buf, PREFIX_LEN, i + 1) && bloom_has(buf, h, PREFIX, i + 1) {
            return true;
        }
        prev = c;
    }
    if len > 1 && c == b'/' {
        return true;
    }
    if bloom_has(buf, h, EXACT, len) {
        return true;
    }
    let mut h = FNV_OFFSET;
    for i in 0..len.min(MAX_SUFFIX) {
        h = fnv(h, path[len - 1 - i]);
        if get(buf, SUFFIX_LEN, i + 1) && bloom_has(buf, h, SUFFIX, i + 1) {
            return true;
        }
    }
    false
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
        for p in ["/etc/shadowx", "/etc/pam.dx", "/tmp/t1.tmp", "/etc/hostname", "/"] {
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
            PathPred::Any([PathAtom::Suffix("x".repeat(200))].into()),
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

    fn path() -> impl Strategy<Value = String> {
        let seg = prop::sample::select(vec![
            "etc", "shadow", "pam.d", "var", "log", "dpkg.log", "tmp", "a", "..", ".", "", "release_agent",
            "b..", "x.log", "sshd",
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
