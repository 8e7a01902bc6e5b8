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
//!   [`fnmatch`](super::fnmatch) (flags 0) against one path component only.
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
