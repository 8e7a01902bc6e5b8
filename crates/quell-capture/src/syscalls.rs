//! x86_64 syscall numbers for the event types quell captures, and the
//! interest set derived from the event types the loaded rules need.

use std::collections::BTreeSet;

pub use crate::table::SYSCALLS;

/// Event types the state engine always needs (process tree, cwd, fd tables).
pub const STATE_TYPES: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "close",
    "close_range",
    "pipe",
    "pipe2",
    "socketpair",
    "userfaultfd",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "chdir",
    "fchdir",
    "socket",
    "bind",
    "connect",
    "accept",
    "accept4",
    "memfd_create",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
];

/// The Falco event type name of an x86_64 syscall number.
pub fn name_of(nr: u16) -> Option<&'static str> {
    SYSCALLS.iter().find(|(n, _)| *n == nr).map(|(_, s)| *s)
}

/// The x86_64 number of a syscall event type.
pub fn number_of(name: &str) -> Option<u16> {
    SYSCALLS.iter().find(|(_, s)| *s == name).map(|(n, _)| *n)
}

/// The syscall numbers to enable in the kernel's interest bitmap: every
/// decodable syscall when `types` is `None` (all event types), else the named
/// types plus what the state engine needs. Also returns the names in `types`
/// that quell cannot capture (unknown or not syscalls, e.g. `procexit`).
pub fn interest(types: Option<&BTreeSet<String>>) -> (BTreeSet<u16>, Vec<String>) {
    let mut set = BTreeSet::new();
    let mut unknown = Vec::new();
    match types {
        None => set.extend(SYSCALLS.iter().map(|(n, _)| *n)),
        Some(types) => {
            for t in types {
                match number_of(t) {
                    Some(n) => {
                        set.insert(n);
                        // fchmodat2 reports as fchmodat, as libsinsp does.
                        if t == "fchmodat" {
                            set.insert(452);
                        }
                    }
                    None if matches!(
                        t.as_str(),
                        "clone" | "fork" | "vfork" | "clone3" | "procexit"
                    ) => {}
                    None => unknown.push(t.clone()),
                }
            }
            for t in STATE_TYPES {
                if let Some(n) = number_of(t) {
                    set.insert(n);
                }
            }
        }
    }
    (set, unknown)
}

/// How many syscall numbers the kernel program's interest bitmap covers.
pub const BITMAP_SYSCALLS: usize = 512;

/// The kernel program's interest bitmap for `set`: bit `n % 64` of
/// little-endian word `n / 64` is syscall `n`. `None` when a number does
/// not fit (no such syscall on x86_64).
pub fn bitmap(set: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let mut words = [0u64; BITMAP_SYSCALLS / 64];
    for &n in set {
        let n = usize::from(n);
        if n >= BITMAP_SYSCALLS {
            return None;
        }
        words[n / 64] |= 1 << (n % 64);
    }
    Some(words.iter().flat_map(|w| w.to_le_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for (n, s) in SYSCALLS {
            assert_eq!(name_of(*n), Some(*s));
            assert_eq!(number_of(s), Some(*n));
        }
        assert_eq!(name_of(0), None);
        assert_eq!(number_of("read"), None);
    }

    #[test]
    fn every_rule_event_type_is_covered() {
        // falco-compat.md §3.2: the union of evt.type values of the three upstream files.
        let union = "accept accept4 bpf chmod connect creat dup dup2 dup3 execve execveat fchmod fchmodat \
                     finit_module init_module link linkat listen mkdir mkdirat open openat openat2 ptrace recvfrom \
                     recvmsg rename renameat renameat2 rmdir sendmsg sendto setns setuid socket symlink symlinkat \
                     unlink unlinkat unshare userfaultfd";
        let names: Vec<&str> = union.split_whitespace().collect();
        assert_eq!(names.len(), 41);
        for n in names {
            assert!(number_of(n).is_some(), "{n} not captured");
        }
    }

    #[test]
    fn interest_adds_state_and_reports_unknown() {
        let types: BTreeSet<String> = ["ptrace", "read", "procexit"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (set, unknown) = interest(Some(&types));
        assert!(set.contains(&101));
        assert!(set.contains(&257), "state needs openat");
        assert!(!set.contains(&44), "sendto not requested");
        assert_eq!(unknown, vec!["read".to_string()]);
        let (all, _) = interest(None);
        assert_eq!(all.len(), SYSCALLS.len());
    }

    #[test]
    fn bitmap_places_each_number_in_its_word_and_bit() {
        let set: BTreeSet<u16> = [0, 3, 63, 64, 257, 511].into_iter().collect();
        let b = bitmap(&set).unwrap();
        assert_eq!(b.len(), 64);
        let word = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
        assert_eq!(word(0), 1 | 1 << 3 | 1 << 63);
        assert_eq!(word(1), 1);
        assert_eq!(word(4), 1 << 1);
        assert_eq!(word(7), 1 << 63);
        assert_eq!((2..7).filter(|&i| i != 4).map(word).sum::<u64>(), 0);
        assert!(bitmap(&[512].into_iter().collect()).is_none());
        let (all, _) = interest(None);
        let b = bitmap(&all).unwrap();
        let ones: u32 = b.iter().map(|x| x.count_ones()).sum();
        assert_eq!(ones as usize, all.len());
    }
}
