//! Rule-set versions as the server serves them: base and local files, the rule set in
//! effect now (exceptions past their expiry removed), and the active version, cached and
//! announced on a `watch` channel whenever it changes (a save, a rollback, an expiry).
//!
//! - **Base and local files** are told apart by name: a base file is stored as
//!   `base/NN-NAME` ([`BASE_PREFIX`], `NN` its place in `quell serve -r`'s order), every
//!   other file is local. Files load in this order: base files by name (so in `-r`'s
//!   order), then local files by name (as Falco loads a `rules.d` directory).
//! - **In effect**: an exception whose provenance has an expiry at or before now is removed
//!   from its rule's `exceptions` in the local files (positions from quell-rules' YAML
//!   reader; the text is cut whole lines at a time and the result re-read and compared
//!   with the expected tree, so a cut that would change anything else is refused). Base
//!   files are never edited.
//! - **Revision**: `V.E`, the version and how many of its exceptions had expired. It only
//!   grows while time does; a sensor passes the last one it got back as `after`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quell_rules::engine::Engine;
use quell_rules::yaml::{Kind, Node};
use quell_store::{RuleFile, RuleSet, Store};
use serde::Serialize;
use tokio::sync::{watch, Mutex};

/// The name prefix of a base file (`base/00-falco_rules.yaml`).
pub const BASE_PREFIX: &str = "base/";

/// How long a cached active version is trusted before the store is read again: another
/// `quell serve` on the same database may have saved a version meanwhile.
pub const RECHECK: Duration = Duration::from_secs(2);

/// Whether the stored file `name` is a base file (read-only in the console).
pub fn is_base(name: &str) -> bool {
    name.starts_with(BASE_PREFIX)
}

/// The stored name of the `index`-th base file whose own name (a path) is `name`:
/// `base/NN-FILE`, `FILE` its last path component with characters other than ASCII
/// letters, digits, `.`, `_` and `-` replaced by `_`.
pub fn base_name(index: usize, name: &str) -> String {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let file: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let file = if file.is_empty() {
        "rules.yaml".to_string()
    } else {
        file
    };
    format!("{BASE_PREFIX}{index:02}-{file}")
}

/// The base files `(name, text)` in load order, as stored files.
pub fn base_files(files: &[(String, String)]) -> Vec<RuleFile> {
    files
        .iter()
        .enumerate()
        .map(|(i, (name, text))| RuleFile::new(base_name(i, name), text.clone()))
        .collect()
}

/// `files` in load order: base files by name, then local files by name.
pub fn load_order(files: &[RuleFile]) -> Vec<&RuleFile> {
    let mut v: Vec<&RuleFile> = files.iter().collect();
    v.sort_by(|a, b| (!is_base(&a.name), &a.name).cmp(&(!is_base(&b.name), &b.name)));
    v
}

/// One file of the rule set in effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectiveFile {
    /// The stored name.
    pub name: String,
    /// `base` (from `quell serve -r`, read-only) or `local` (editable).
    pub kind: &'static str,
    /// The text in effect (a local file without its expired exceptions).
    pub contents: String,
}

/// An exception whose expiry has passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expired {
    /// Its rule.
    pub rule: String,
    /// Its name.
    pub name: String,
    /// When it expired (nanoseconds since the epoch).
    pub expires_ns: u64,
    /// How many entries of that name were removed from the rule's `exceptions` in local files.
    pub removed: usize,
}

/// A rule-set version as in effect at some time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InEffect {
    /// The files in load order.
    pub files: Vec<EffectiveFile>,
    /// The exceptions past their expiry, by rule then name.
    pub expired: Vec<Expired>,
    /// The next expiry still to come, if any.
    pub next_expiry_ns: Option<u64>,
}

/// Why an exception could not be removed from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutError {
    /// The file.
    pub file: String,
    /// 1-based line of the entry (0 when unknown).
    pub line: u32,
    /// 1-based column of the entry.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// `rs` as in effect at `now_ns`: local files with the entries of expired exceptions
/// removed. A file whose entries cannot be cut is served unchanged and its exception is
/// reported with `removed: 0` (a save refuses such exceptions, see [`check_expiring`]).
pub fn in_effect(rs: &RuleSet, now_ns: u64) -> InEffect {
    let mut expired = Vec::new();
    let mut next: Option<u64> = None;
    for e in &rs.exceptions {
        match e.expires_ns {
            Some(t) if t <= now_ns => expired.push((e.rule.clone(), e.name.clone(), t)),
            Some(t) => next = Some(next.map_or(t, |n: u64| n.min(t))),
            None => {}
        }
    }
    let targets: Vec<(String, String)> = expired
        .iter()
        .map(|(r, n, _)| (r.clone(), n.clone()))
        .collect();
    let mut removed_counts = vec![0usize; targets.len()];
    let mut files = Vec::new();
    for f in load_order(&rs.files) {
        let base = is_base(&f.name);
        let contents = if base || targets.is_empty() {
            f.contents.clone()
        } else {
            match remove_exceptions(&f.name, &f.contents, &targets) {
                Ok((text, counts)) => {
                    for (acc, c) in removed_counts.iter_mut().zip(counts) {
                        *acc += c;
                    }
                    text
                }
                Err(_) => f.contents.clone(),
            }
        };
        files.push(EffectiveFile {
            name: f.name.clone(),
            kind: if base { "base" } else { "local" },
            contents,
        });
    }
    InEffect {
        files,
        expired: expired
            .into_iter()
            .zip(removed_counts)
            .map(|((rule, name, expires_ns), removed)| Expired {
                rule,
                name,
                expires_ns,
                removed,
            })
            .collect(),
        next_expiry_ns: next,
    }
}

/// Checks that every exception of `rs` with an expiry can be removed from the local
/// files when it expires (each alone and all together): written in block style, one
/// entry per `- ` line. The errors name the file, line and column of the entry.
pub fn check_expiring(rs_files: &[RuleFile], expiring: &[(String, String)]) -> Vec<CutError> {
    let mut errors = Vec::new();
    if expiring.is_empty() {
        return errors;
    }
    for f in rs_files.iter().filter(|f| !is_base(&f.name)) {
        for t in expiring {
            if let Err(e) = remove_exceptions(&f.name, &f.contents, std::slice::from_ref(t)) {
                if !errors.contains(&e) {
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() {
            if let Err(e) = remove_exceptions(&f.name, &f.contents, expiring) {
                errors.push(e);
            }
        }
    }
    errors
}

/// Whether two nodes hold the same YAML (positions ignored).
pub(crate) fn same(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Null, Kind::Null) => true,
        (Kind::Scalar(x), Kind::Scalar(y)) => x == y,
        (Kind::Seq(x), Kind::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Kind::Map(x), Kind::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => false,
    }
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// True when the text before `offset` on its line is only blanks and `-` (a block
/// sequence entry or a block mapping key begins the line).
fn begins_line(text: &str, offset: usize) -> bool {
    let start = line_start(text, offset);
    text.get(start..offset)
        .is_some_and(|p| p.chars().all(|c| c == ' ' || c == '\t' || c == '-'))
}

/// The rule of a top-level item (`- rule: NAME`).
fn rule_of(item: &Node) -> Option<&str> {
    item.get("rule").and_then(Node::as_scalar)
}

/// Removes from `text` (the file `file`) every entry of the `exceptions` of a rule item
/// named by `targets` (rule, exception name). Returns the new text and how many entries
/// were removed per target. An `exceptions` sequence left empty becomes `[]`.
pub fn remove_exceptions(
    file: &str,
    text: &str,
    targets: &[(String, String)],
) -> Result<(String, Vec<usize>), CutError> {
    let err = |node: Option<&Node>, message: String| CutError {
        file: file.to_string(),
        line: node.map_or(0, |n| n.mark.line),
        column: node.map_or(0, |n| n.mark.column),
        message,
    };
    let docs = quell_rules::yaml::parse_all(file, text).map_err(|d| {
        let (line, column) = d.position().map_or((0, 0), |p| (p.line, p.column));
        CutError {
            file: file.to_string(),
            line,
            column,
            message: d.message.clone(),
        }
    })?;
    let mut counts = vec![0usize; targets.len()];
    // (start, end) byte ranges to delete; (offset, text) insertions.
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut inserts: Vec<(usize, &'static str)> = Vec::new();
    let mut expected = docs.clone();
    for (di, doc) in docs.iter().enumerate() {
        let Some(items) = doc.as_ref().and_then(Node::as_seq) else {
            continue;
        };
        for (ii, item) in items.iter().enumerate() {
            let Some(rule) = rule_of(item) else { continue };
            if !targets.iter().any(|(r, _)| r == rule) {
                continue;
            }
            let Some(entries) = item.as_map() else {
                continue;
            };
            let Some(ki) = entries
                .iter()
                .position(|(k, _)| matches!(&k.kind, Kind::Scalar(s) if s == "exceptions"))
            else {
                continue;
            };
            let (key, seq) = &entries[ki];
            let Some(excs) = seq.as_seq() else { continue };
            let mut remove = Vec::new();
            for (ei, exc) in excs.iter().enumerate() {
                let Some(name) = exc.get("name").and_then(Node::as_scalar) else {
                    continue;
                };
                if let Some(ti) = targets.iter().position(|(r, n)| r == rule && n == name) {
                    remove.push(ei);
                    counts[ti] += 1;
                }
            }
            if remove.is_empty() {
                continue;
            }
            // Where the text after an entry resumes: the next entry, else the rule's next
            // key, else the next item, else the end of the text (a single document only).
            let after_seq = entries
                .get(ki + 1)
                .map(|(k, _)| k.mark.offset)
                .or_else(|| items.get(ii + 1).map(|n| n.mark.offset));
            let after_seq = match after_seq {
                Some(o) => o,
                None if docs.len() == 1 => text.len(),
                None => {
                    return Err(err(
                        Some(&excs[remove[0]]),
                        "the exception is the last entry of a document in a multi-document file: move it before the rule's other keys or into its own file".into(),
                    ))
                }
            };
            for &ei in &remove {
                let exc = &excs[ei];
                let start = exc.mark.offset;
                let end = excs.get(ei + 1).map_or(after_seq, |n| n.mark.offset);
                let end_line = if end >= text.len() {
                    text.len()
                } else {
                    line_start(text, end)
                };
                let start_line = line_start(text, start);
                if !begins_line(text, start)
                    || (end < text.len() && !begins_line(text, end))
                    || end_line <= start_line
                {
                    return Err(err(
                        Some(exc),
                        format!(
                            "exception {:?} of rule {:?} is not written in block style (one `- name: …` entry per line): write it so, or give it no expiry",
                            exc.get("name").and_then(Node::as_scalar).unwrap_or(""),
                            rule
                        ),
                    ));
                }
                cuts.push((start_line, end_line));
            }
            if remove.len() == excs.len() {
                // `exceptions:` with nothing after it would be null: make it `[]`.
                let from = key.mark.offset;
                let colon = text[from..]
                    .find(':')
                    .map(|i| from + i + 1)
                    .filter(|&c| !text[from..c].contains('\n'))
                    .ok_or_else(|| err(Some(key), "cannot find `exceptions:`".into()))?;
                inserts.push((colon, " []"));
            }
            // The tree expected after the cut.
            if let Some(Some(d)) = expected.get_mut(di) {
                if let Kind::Seq(items) = &mut d.kind {
                    if let Kind::Map(es) = &mut items[ii].kind {
                        if let Kind::Seq(v) = &mut es[ki].1.kind {
                            let mut i = 0;
                            v.retain(|_| {
                                let keep = !remove.contains(&i);
                                i += 1;
                                keep
                            });
                        }
                    }
                }
            }
        }
    }
    if cuts.is_empty() {
        return Ok((text.to_string(), counts));
    }
    // Apply from the end so earlier offsets stay valid.
    let mut edits: Vec<(usize, usize, &str)> = cuts.iter().map(|&(s, e)| (s, e, "")).collect();
    edits.extend(inserts.iter().map(|&(o, t)| (o, o, t)));
    edits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut out = text.to_string();
    let mut floor = usize::MAX;
    for (s, e, t) in edits {
        if e > floor {
            return Err(err(None, "overlapping entries".into()));
        }
        out.replace_range(s..e, t);
        floor = s;
    }
    let reread = quell_rules::yaml::parse_all(file, &out).map_err(|d| {
        err(
            None,
            format!(
                "the text without the exception does not parse: {}",
                d.message
            ),
        )
    })?;
    let equal = reread.len() == expected.len()
        && reread.iter().zip(&expected).all(|(a, b)| match (a, b) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        });
    if !equal {
        return Err(err(
            None,
            "removing the exception would change more than the exception (write it in block style, one `- name: …` entry per line)".into(),
        ));
    }
    Ok((out, counts))
}

/// The active version: the newest stored version as in effect, and an engine of it.
#[derive(Debug)]
pub struct Active {
    /// The stored version (files as stored).
    pub set: RuleSet,
    /// As in effect when it was computed.
    pub effect: InEffect,
    /// quell-rules' engine of the files in effect (for the server's triage).
    pub engine: Arc<Engine>,
}

impl Active {
    /// `(version, expired count)`: grows with every save and every expiry.
    pub fn revision(&self) -> (i64, usize) {
        (self.set.version, self.effect.expired.len())
    }
}

/// Loads `files` in order into a new engine; the diagnostics of each file.
pub fn load_engine<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Engine, Vec<quell_rules::diagnostic::LoadResult>) {
    let mut engine = Engine::new();
    let results = files
        .into_iter()
        .map(|(name, text)| engine.load(name, text))
        .collect();
    (engine, results)
}

struct Cached {
    active: Arc<Active>,
    checked: Instant,
}

/// The active version, cached, and the channel that announces each change of it.
pub struct Rules {
    tx: watch::Sender<u64>,
    cache: Mutex<Option<Cached>>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            tx: watch::channel(0).0,
            cache: Mutex::new(None),
        }
    }
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules").finish_non_exhaustive()
    }
}

/// Now, in nanoseconds since the epoch.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Rules {
    /// A receiver that sees every change of the active version (save, rollback, expiry).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// The active version (`None` before the first save). The cache is used while it is
    /// younger than [`RECHECK`] and no expiry has passed, unless `force`; when the
    /// version or the set of expired exceptions changed, subscribers are notified.
    pub async fn active(
        &self,
        store: &Store,
        force: bool,
    ) -> Result<Option<Arc<Active>>, quell_store::Error> {
        let now = now_ns();
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            if !force
                && c.checked.elapsed() < RECHECK
                && c.active.effect.next_expiry_ns.is_none_or(|t| now < t)
            {
                return Ok(Some(c.active.clone()));
            }
        }
        let Some(set) = store.latest_ruleset().await? else {
            *cache = None;
            return Ok(None);
        };
        let effect = in_effect(&set, now);
        if let Some(c) = cache.as_mut() {
            if c.active.set == set && c.active.effect == effect {
                c.checked = Instant::now();
                return Ok(Some(c.active.clone()));
            }
        }
        let files: Vec<(String, String)> = effect
            .files
            .iter()
            .map(|f| (f.name.clone(), f.contents.clone()))
            .collect();
        let engine = tokio::task::spawn_blocking(move || {
            load_engine(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).0
        })
        .await
        .map_err(|e| quell_store::Error::Database(format!("loading the rules failed: {e}")))?;
        let active = Arc::new(Active {
            set,
            effect,
            engine: Arc::new(engine),
        });
        *cache = Some(Cached {
            active: active.clone(),
            checked: Instant::now(),
        });
        drop(cache);
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
        Ok(Some(active))
    }
}

/// At `quell serve`'s start: if the newest version's base files differ from `base` (names
/// and contents), saves a new version with these base files and the newest version's
/// local files and exceptions (author `quell serve`). Returns the version saved, if any.
pub async fn sync_base(
    store: &Store,
    base: &[(String, String)],
) -> Result<Option<i64>, quell_store::Error> {
    let wanted = base_files(base);
    let latest = store.latest_ruleset().await?;
    let (mut files, exceptions, had) = match latest {
        Some(rs) => {
            let mut current: Vec<RuleFile> = rs
                .files
                .iter()
                .filter(|f| is_base(&f.name))
                .cloned()
                .collect();
            current.sort_by(|a, b| a.name.cmp(&b.name));
            if current == wanted {
                return Ok(None);
            }
            let local: Vec<RuleFile> = rs.files.into_iter().filter(|f| !is_base(&f.name)).collect();
            (local, rs.exceptions, Some(rs.version))
        }
        None => (Vec::new(), Vec::new(), None),
    };
    let names: Vec<&str> = base.iter().map(|(n, _)| n.as_str()).collect();
    let comment = match had {
        Some(v) => format!(
            "base files of quell serve -r changed ({}); local files and exceptions kept from version {v}",
            names.join(", ")
        ),
        None => format!("base files of quell serve -r ({})", names.join(", ")),
    };
    let mut all = wanted;
    all.append(&mut files);
    let mut new = quell_store::NewRuleSet::new("quell serve", comment, all);
    new.exceptions = exceptions;
    Ok(Some(store.save_ruleset(new).await?.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: &str = "\
- rule: Shell in container
  exceptions:
  - name: ops_probe
    fields: [proc.name]
    values: [[probe]]
  - name: backup
    fields: [proc.name]
    values: [[backup]]
  override:
    exceptions: append
- rule: Other
  exceptions:
  - name: ops_probe
    fields: [proc.name]
    values: [[x]]
  append: true
";

    fn t(r: &str, n: &str) -> (String, String) {
        (r.to_string(), n.to_string())
    }

    #[test]
    fn removes_one_entry_and_nothing_else() {
        let (out, counts) =
            remove_exceptions("l.yaml", LOCAL, &[t("Shell in container", "ops_probe")]).unwrap();
        assert_eq!(counts, vec![1]);
        assert!(!out.contains("[[probe]]"), "{out}");
        assert!(out.contains("[[backup]]") && out.contains("[[x]]"), "{out}");
        assert_eq!(out.matches("ops_probe").count(), 1, "{out}");
    }

    #[test]
    fn removing_every_entry_leaves_an_empty_sequence() {
        let (out, counts) = remove_exceptions(
            "l.yaml",
            LOCAL,
            &[
                t("Shell in container", "ops_probe"),
                t("Shell in container", "backup"),
                t("Other", "ops_probe"),
            ],
        )
        .unwrap();
        assert_eq!(counts, vec![1, 1, 1]);
        let doc = quell_rules::yaml::parse("l.yaml", &out).unwrap().unwrap();
        for item in doc.as_seq().unwrap() {
            assert_eq!(
                item.get("exceptions").unwrap().as_seq().unwrap().len(),
                0,
                "{out}"
            );
        }
        // The rule's other keys are intact.
        assert!(out.contains("override:\n    exceptions: append"), "{out}");
        assert!(out.contains("append: true"), "{out}");
    }

    #[test]
    fn flow_style_is_refused_not_mangled() {
        let text = "- rule: R\n  exceptions: [{name: a, fields: [proc.name], values: [[x]]}]\n";
        let e = remove_exceptions("l.yaml", text, &[t("R", "a")]).unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        assert!(e.message.contains("block style"), "{e:?}");
    }

    #[test]
    fn base_files_keep_their_order_and_come_first() {
        let files = vec![
            RuleFile::new("a_local.yaml", ""),
            RuleFile::new(base_name(1, "/etc/falco/z.yaml"), ""),
            RuleFile::new(base_name(0, "<bundled>/default_rules.yaml"), ""),
        ];
        let names: Vec<&str> = load_order(&files).iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "base/00-default_rules.yaml",
                "base/01-z.yaml",
                "a_local.yaml"
            ]
        );
        assert_eq!(base_name(2, "we ird\u{1b}.yaml"), "base/02-we_ird_.yaml");
    }
}
