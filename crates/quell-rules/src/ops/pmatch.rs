//! `pmatch`: path-prefix search over `/`-separated components, after libsinsp's
//! `path_prefix_map` (`prefix_search.h`, `prefix_search.cpp`).
//!
//! Rules:
//! - A path is split on `/` and empty components are dropped, so `/var//run/`,
//!   `var/run` and `/var/run` are the same components; every path (and every
//!   search path) is then rooted, so `/` and the empty string match everything.
//! - A path matches when some search path's components are a prefix of its
//!   components: `/var/run` matches `/var/run` and `/var/run/docker.sock`, not
//!   `/var/runx` nor `/var`.
//! - A search-path component containing `?`, `*` or `[` is a glob matched with
//!   [`fnmatch`](super::fnmatch::fnmatch()) (flags 0) against one path component only.
//!
//! Difference from libsinsp: its glob-component loop advances the path
//! iterator once per glob sibling that matched without a full match, so with
//! several glob siblings at one level its answer depends on hash-map order.
//! This implementation tries every sibling against the same component.

use std::collections::HashMap;

use super::fnmatch::Glob;
use super::strings::c_str;

/// A set of search paths for `pmatch`.
#[derive(Clone, Debug, Default)]
pub struct PathPrefixSet {
    root: Node,
}

/// A trie level: plain components by name, glob components in insertion order.
#[derive(Clone, Debug, Default)]
struct Node {
    dirs: HashMap<String, Entry>,
    globs: Vec<(String, Glob, Entry)>,
}

/// What a component leads to: the end of a search path, or a deeper level.
#[derive(Clone, Debug)]
enum Entry {
    Terminal,
    Sub(Box<Node>),
}

fn components(path: &str) -> impl Iterator<Item = &str> {
    c_str(path).split('/').filter(|c| !c.is_empty())
}

fn is_glob(c: &str) -> bool {
    c.contains(['?', '*', '['])
}

impl Node {
    fn add(&mut self, comps: &[&str]) {
        let Some((first, rest)) = comps.split_first() else {
            return;
        };
        let entry = if is_glob(first) {
            match self.globs.iter_mut().find(|(k, _, _)| k == first) {
                Some((_, _, e)) => e,
                None => {
                    self.globs
                        .push(((*first).to_string(), Glob::new(first, false), fresh(rest)));
                    return;
                }
            }
        } else {
            match self.dirs.get_mut(*first) {
                Some(e) => e,
                None => {
                    self.dirs.insert((*first).to_string(), fresh(rest));
                    return;
                }
            }
        };
        match entry {
            // A shorter search path already covers this one.
            Entry::Terminal => {}
            Entry::Sub(sub) => {
                if rest.is_empty() {
                    // This path is a prefix of everything below: drop them.
                    *entry = Entry::Terminal;
                } else {
                    sub.add(rest);
                }
            }
        }
    }

    fn matches(&self, comps: &[&str]) -> bool {
        let Some((first, rest)) = comps.split_first() else {
            return false;
        };
        if let Some(e) = self.dirs.get(*first) {
            if e.matches(rest) {
                return true;
            }
        }
        self.globs
            .iter()
            .any(|(_, g, e)| g.matches(first) && e.matches(rest))
    }
}

/// A new entry for the remaining components of a search path.
fn fresh(rest: &[&str]) -> Entry {
    if rest.is_empty() {
        Entry::Terminal
    } else {
        let mut n = Node::default();
        n.add(rest);
        Entry::Sub(Box::new(n))
    }
}

impl Entry {
    fn matches(&self, rest: &[&str]) -> bool {
        match self {
            Entry::Terminal => true,
            // Path exhausted above a deeper search path: `/var` vs `/var/run`.
            Entry::Sub(n) => !rest.is_empty() && n.matches(rest),
        }
    }
}

impl PathPrefixSet {
    /// Builds the set from the `pmatch` list values.
    pub fn new(paths: &[String]) -> PathPrefixSet {
        let mut set = PathPrefixSet::default();
        for p in paths {
            set.add(p);
        }
        set
    }

    /// Adds one search path.
    pub fn add(&mut self, path: &str) {
        let mut comps: Vec<&str> = vec!["root"];
        comps.extend(components(path));
        self.root.add(&comps);
    }

    /// Whether some search path is a component-wise prefix of `path`.
    pub fn matches(&self, path: &str) -> bool {
        let mut comps: Vec<&str> = vec!["root"];
        comps.extend(components(path));
        self.root.matches(&comps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(paths: &[&str]) -> PathPrefixSet {
        PathPrefixSet::new(&paths.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn header_examples() {
        let s = set(&["/var/run", "/etc", "/lib", "/usr/lib"]);
        assert!(s.matches("/var/run/docker"));
        assert!(s.matches("/var/run"));
        assert!(!s.matches("/var/runx"));
        assert!(!s.matches("/boot"));
        assert!(!s.matches("/var/lib/messages"));
        assert!(!s.matches("/var")); // partial match of /var/run only
        assert!(s.matches("/usr/lib/x.so"));
        assert!(!s.matches("/usr"));
    }

    /// The cases of libsinsp's `filter_op_pmatch.ut.cpp`, on `/opt/dir/subdir/file.txt`.
    #[test]
    fn libsinsp_cases() {
        let path = "/opt/dir/subdir/file.txt";
        let cases: &[(&[&str], bool)] = &[
            (&["/opt/dir"], true),
            (&["/opt/dir/subdir"], true),
            (&["/opt/dir2"], false),
            (&["/opt/dir", "/opt/dir2"], true),
            (&["/opt/dir3", "/opt/dir2"], false),
            (&["/opt/*"], true),
            (&["/opt/*/subdir"], true),
            (&["/opt/di?/subdir"], true),
            (&["/opt/dii?/subdir"], false),
            (&["/opt/di[r]/subdir"], true),
            (&["/opt/di[!r]/subdir"], false),
            (&["/opt/di/subdir"], false),
            (&["/opt/di[t]/subdir"], false),
            (&["/opt/*/subdir2"], false),
            (&["/opt/*/*"], true),
            (&["/opt/*/*/subsubdir"], false),
        ];
        for (paths, want) in cases {
            assert_eq!(set(paths).matches(path), *want, "{paths:?}");
        }
    }

    #[test]
    fn empty_components_and_roots() {
        let s = set(&["/var//run/"]);
        assert!(s.matches("/var/run/x"));
        assert!(s.matches("//var///run"));
        assert!(s.matches("var/run/x")); // relative paths are rooted too
        assert!(set(&["/"]).matches("/anything/at/all"));
        assert!(set(&[""]).matches("/x"));
        assert!(set(&["/"]).matches(""));
        assert!(!set(&["/a"]).matches(""));
        assert!(!set(&[]).matches("/"));
        // A component literally named like the internal root marker.
        assert!(set(&["/root"]).matches("/root/.bashrc"));
        assert!(!set(&["/root"]).matches("/"));
    }

    #[test]
    fn order_of_insertion_does_not_matter() {
        for paths in [["/usr", "/usr/lib"], ["/usr/lib", "/usr"]] {
            let s = set(&paths);
            assert!(s.matches("/usr/bin/x"), "{paths:?}");
            assert!(s.matches("/usr"), "{paths:?}");
        }
    }

    #[test]
    fn glob_siblings_are_all_tried() {
        // libsinsp may miss this one depending on hash order (see module docs).
        let s = set(&["/a/x*/foo", "/a/*y/bar"]);
        assert!(s.matches("/a/xy/bar"));
        assert!(s.matches("/a/xy/foo"));
        assert!(!s.matches("/a/xy/baz"));
        // A glob never spans components: '*' stops at '/'.
        assert!(!set(&["/a/*/c"]).matches("/a/b/x/c"));
        // Plain and glob entries at one level: the plain one failing falls back.
        let s = set(&["/a/b/c", "/a/?/d"]);
        assert!(s.matches("/a/b/d"));
        assert!(s.matches("/a/b/c/e"));
    }

    /// Reference: some search path's components are a prefix of the path's.
    fn reference(paths: &[String], path: &str) -> bool {
        let pc: Vec<&str> = components(path).collect();
        paths.iter().any(|sp| {
            let sc: Vec<&str> = components(sp).collect();
            sc.len() <= pc.len()
                && sc.iter().zip(&pc).all(|(s, p)| {
                    if is_glob(s) {
                        super::super::fnmatch::fnmatch(s, p, false)
                    } else {
                        s == p
                    }
                })
        })
    }

    proptest! {
        #[test]
        fn agrees_with_reference(
            paths in proptest::collection::vec("(/[ab*?]{0,2}){0,3}/?", 0..5),
            path in "(/[ab]{0,2}){0,4}/?",
        ) {
            let s = PathPrefixSet::new(&paths);
            prop_assert_eq!(s.matches(&path), reference(&paths, &path));
        }

        #[test]
        fn never_panics(paths in proptest::collection::vec("\\PC{0,20}", 0..5), path in "\\PC{0,30}") {
            let s = PathPrefixSet::new(&paths);
            let _ = s.matches(&path);
        }
    }
}
