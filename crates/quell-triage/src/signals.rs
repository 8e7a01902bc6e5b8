//! The signals table: every piece of evidence triage weighs, with its weight and its text
//! in English and Japanese, read from `data/signals.yaml` (bundled). Weights live only
//! there; [`Weights`] can override them (the fitting routine does).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use quell_rules::yaml::{self, Node};

use crate::triage::Lang;

/// The bundled table.
pub const BUILTIN: &str = include_str!("../data/signals.yaml");

/// Which way a signal points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Toward a false positive: weight >= 0.
    Benign,
    /// Toward a real attack: weight <= 0.
    Attack,
}

/// Whether a benign signal is evidence that a person (or program) at the same terminal as
/// an attacker could not produce: "likely false positive" needs at least one such signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Anyone with a shell can produce it (a tty, a package install before the alert...):
    /// it moves the score but never alone makes a likely false positive. Attack signals
    /// are always `never`.
    Never,
    /// Not forgeable from a terminal: people's recorded decisions. (Repetition across hosts
    /// and days is forgeable by a worm or a person repeating the act: `prevalence_common`
    /// is `unattended`.)
    Always,
    /// Only when nobody entered the session: no controlling terminal and no login or
    /// runtime `exec` entry in the lineage (a scheduler's job, a service's own child, an
    /// agent started by init), or when the matching catalogue entry says
    /// `anchor: always` (an act harmless whoever runs it; in a session somebody entered,
    /// only when the strict person test finds nothing in the whole of it).
    Unattended,
    /// Only in a person's session quell saw as events with nothing in it toward an attack
    /// (no download, dropped binary, unusual connection, credential read or other alert)
    /// and no package manager run in it: housekeeping data removed by a session that has
    /// nothing to hide (the seed story's operator). After an install in the same session,
    /// removing the package log hides the install: then it does not anchor.
    QuietSession,
}

/// One signal.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    /// Its id (`interactive_session`).
    pub id: String,
    /// Which way it points.
    pub kind: Kind,
    /// Its weight in log-odds.
    pub weight: f64,
    /// For an attack signal: whether its presence alone rules out "likely false positive"
    /// (evidence of an attack in the lineage or the session, not only a sensitive target
    /// the rule itself names). `veto: false` in the table for the others; benign signals
    /// never veto.
    pub veto: bool,
    /// For a benign signal: when it anchors a likely false positive (`anchor:` in the
    /// table: never, always, unattended, quiet_session; default never).
    pub anchor: Anchor,
    /// Evidence text, English (with `{name}` holes).
    pub en: String,
    /// Evidence text, Japanese.
    pub ja: String,
    /// What to confirm, English.
    pub confirm_en: Option<String>,
    /// What to confirm, Japanese.
    pub confirm_ja: Option<String>,
}

/// The table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Signals in file order.
    pub signals: Vec<Signal>,
}

/// Signal weights by id (a fitted set, or the table's).
pub type Weights = BTreeMap<String, f64>;

/// Why a signals table was refused; the text names the entry.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SignalsError {
    /// Not YAML, or refused by the loader (node limit, duplicate key, …).
    #[error("signals: {0}")]
    Yaml(String),
    /// The document is not a list of signals.
    #[error("signals: expected a list")]
    NotAList,
    /// The n-th entry (1-based) has no id.
    #[error("signals: entry {0} has no id")]
    NoId(usize),
    /// An entry is malformed.
    #[error("signals: `{id}`: {problem}")]
    Entry {
        /// The signal's id.
        id: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// Parses a table; errors name the entry.
pub fn parse(src: &str) -> Result<Table, SignalsError> {
    // quell-rules' loader, the workspace's one YAML parser (positions, bounded aliases).
    let doc = yaml::parse("signals", src).map_err(|d| SignalsError::Yaml(d.message))?;
    let Some(items) = doc.as_ref().and_then(Node::as_seq) else {
        return Err(SignalsError::NotAList);
    };
    let mut signals: Vec<Signal> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let s = |k: &str| it.get(k).and_then(Node::as_scalar).map(str::to_string);
        let id = s("id").ok_or(SignalsError::NoId(i + 1))?;
        let kind = match s("kind").as_deref() {
            Some("benign") => Kind::Benign,
            Some("attack") => Kind::Attack,
            _ => return Err(entry(&id, "kind must be benign or attack")),
        };
        let weight = it
            .get("weight")
            .filter(|n| n.plain)
            .and_then(Node::as_scalar)
            .and_then(|w| w.parse::<f64>().ok())
            .filter(|w| w.is_finite())
            .ok_or_else(|| entry(&id, "weight must be a number"))?;
        if (kind == Kind::Benign && weight < 0.0) || (kind == Kind::Attack && weight > 0.0) {
            return Err(entry(&id, "the weight's sign contradicts its kind"));
        }
        let veto = match it.get("veto").map(|n| (n.plain, n.as_scalar())) {
            None => kind == Kind::Attack,
            Some((true, Some("true"))) if kind == Kind::Attack => true,
            Some((true, Some("true"))) => return Err(entry(&id, "a benign signal cannot veto")),
            Some((true, Some("false"))) => false,
            _ => return Err(entry(&id, "veto must be true or false")),
        };
        let anchor = match it.get("anchor").map(|n| (n.plain, n.as_scalar())) {
            None => Anchor::Never,
            Some((true, Some(a))) if kind == Kind::Benign => match a {
                "never" => Anchor::Never,
                "always" => Anchor::Always,
                "unattended" => Anchor::Unattended,
                "quiet_session" => Anchor::QuietSession,
                _ => {
                    return Err(entry(
                        &id,
                        "anchor must be never, always, unattended or quiet_session",
                    ))
                }
            },
            Some((true, Some(_))) => return Err(entry(&id, "an attack signal cannot anchor")),
            _ => {
                return Err(entry(
                    &id,
                    "anchor must be never, always, unattended or quiet_session",
                ))
            }
        };
        let en = s("en").ok_or_else(|| entry(&id, "no en text"))?;
        let ja = s("ja").ok_or_else(|| entry(&id, "no ja text"))?;
        if signals.iter().any(|x| x.id == id) {
            return Err(entry(&id, "appears twice"));
        }
        signals.push(Signal {
            id,
            kind,
            weight,
            veto,
            anchor,
            en,
            ja,
            confirm_en: s("confirm_en"),
            confirm_ja: s("confirm_ja"),
        });
    }
    Ok(Table { signals })
}

fn entry(id: &str, problem: &'static str) -> SignalsError {
    SignalsError::Entry {
        id: id.to_string(),
        problem,
    }
}

/// The bundled table, parsed once. A parse failure is an error for the caller to report
/// (`quell triage` and `quell tune` check it before they start); a unit test checks that the
/// bundled file parses.
pub fn table() -> Result<&'static Table, SignalsError> {
    static T: OnceLock<Result<Table, SignalsError>> = OnceLock::new();
    T.get_or_init(|| parse(BUILTIN))
        .as_ref()
        .map_err(Clone::clone)
}

/// The bundled table inside the library, where a caller has already checked [`table`]. If it
/// failed to parse, the table is empty: no signal anchors, so nothing can be called "likely
/// false positive" (the safe side), and every unknown signal counts as attack evidence.
pub(crate) fn bundled() -> &'static Table {
    static EMPTY: Table = Table {
        signals: Vec::new(),
    };
    table().unwrap_or(&EMPTY)
}

impl Table {
    /// A signal by id.
    pub fn get(&self, id: &str) -> Option<&Signal> {
        self.signals.iter().find(|s| s.id == id)
    }
    /// Whether signal `id` vetoes "likely false positive" (see [`Signal::veto`]).
    pub fn vetoes(&self, id: &str) -> bool {
        self.get(id).is_some_and(|s| s.veto)
    }
    /// When signal `id` anchors a likely false positive (see [`Signal::anchor`]).
    pub fn anchor(&self, id: &str) -> Anchor {
        self.get(id).map_or(Anchor::Never, |s| s.anchor)
    }
    /// The table's weights.
    pub fn weights(&self) -> Weights {
        self.signals
            .iter()
            .map(|s| (s.id.clone(), s.weight))
            .collect()
    }
}

/// Fills `{name}` holes from `vars`; unknown holes are left as they are.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A signal's text in a language, filled.
pub fn text(id: &str, lang: Lang, vars: &[(&str, &str)]) -> String {
    match bundled().get(id) {
        Some(s) => fill(if lang == Lang::Ja { &s.ja } else { &s.en }, vars),
        None => id.to_string(),
    }
}

/// A signal's confirm text in a language, filled.
pub fn confirm(id: &str, lang: Lang, vars: &[(&str, &str)]) -> Option<String> {
    let s = bundled().get(id)?;
    let t = if lang == Lang::Ja {
        s.confirm_ja.as_ref()
    } else {
        s.confirm_en.as_ref()
    }?;
    Some(fill(t, vars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_parses_with_both_languages_and_signs() {
        let t = parse(BUILTIN).unwrap();
        assert_eq!(&t, table().unwrap());
        assert!(t.signals.len() >= 15);
        for s in &t.signals {
            assert!(s.ja.chars().any(|c| c > '\u{3000}'), "{}", s.id);
            assert_ne!(s.en, s.ja);
            assert_eq!(s.confirm_en.is_some(), s.confirm_ja.is_some(), "{}", s.id);
            match s.kind {
                Kind::Benign => assert!(s.weight >= 0.0),
                Kind::Attack => assert!(s.weight <= 0.0),
            }
        }
    }

    #[test]
    fn bad_tables_are_refused() {
        for bad in [
            "- id: a\n  kind: benign\n  weight: -1\n  en: x\n  ja: y",
            "- id: a\n  kind: attack\n  weight: 1\n  en: x\n  ja: y",
            "- id: a\n  kind: odd\n  weight: 1\n  en: x\n  ja: y",
            "- id: a\n  kind: benign\n  weight: 1\n  en: x",
            "- id: a\n  kind: benign\n  weight: \"1\"\n  en: x\n  ja: y",
            "- id: a\n  kind: benign\n  weight: .nan\n  en: x\n  ja: y",
            "- id: a\n  kind: benign\n  weight: 1\n  veto: true\n  en: x\n  ja: y",
            "- id: a\n  kind: attack\n  weight: -1\n  veto: yes\n  en: x\n  ja: y",
            "- id: a\n  kind: attack\n  weight: -1\n  anchor: always\n  en: x\n  ja: y",
            "- id: a\n  kind: benign\n  weight: 1\n  anchor: sometimes\n  en: x\n  ja: y",
            "- id: a\n  kind: benign\n  weight: 1\n  anchor: \"always\"\n  en: x\n  ja: y",
            "{}",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // an alias bomb in an otherwise valid entry: refused by the loader's node limit
        let mut bomb = String::from(
            "- id: a\n  kind: benign\n  weight: 1\n  en: x\n  ja: y\n  l0: &l0 [x, x]\n",
        );
        for l in 1..8 {
            let refs = vec![format!("*l{}", l - 1); 9].join(", ");
            bomb.push_str(&format!("  l{l}: &l{l} [{refs}]\n"));
        }
        let e = parse(&bomb).unwrap_err().to_string();
        assert!(e.starts_with("signals: "), "{e}");
        assert!(parse(
            &bomb
                .replace("  l7:", "  #l7:")
                .replace("  l6:", "  #l6:")
                .replace("  l5:", "  #l5:")
        )
        .is_ok());
        let ok = parse("- id: a\n  kind: attack\n  weight: -1\n  veto: false\n  en: x\n  ja: y")
            .unwrap();
        assert!(!ok.signals[0].veto);
        let ok =
            parse("- id: a\n  kind: benign\n  weight: 1\n  anchor: unattended\n  en: x\n  ja: y")
                .unwrap();
        assert_eq!(ok.signals[0].anchor, Anchor::Unattended);
    }

    /// Issue 11: a person at a terminal, or what the person ran before, never alone
    /// anchors a likely false positive; only evidence not forgeable from that terminal does.
    #[test]
    fn only_unforgeable_signals_anchor() {
        let t = table().unwrap();
        for s in &t.signals {
            if s.kind == Kind::Attack {
                assert_eq!(s.anchor, Anchor::Never, "{}", s.id);
            }
        }
        for id in [
            "interactive_session",
            "session_maintenance",
            "session_quiet",
        ] {
            assert_eq!(t.anchor(id), Anchor::Never, "{id}");
        }
        assert_eq!(t.anchor("known_benign"), Anchor::Unattended);
        assert_eq!(t.anchor("history_benign"), Anchor::Always);
    }

    #[test]
    fn filling() {
        assert_eq!(
            fill("a {x} b {y} {z}", &[("x", "1"), ("y", "{x}")]),
            "a 1 b {x} {z}"
        );
        assert_eq!(fill("open {", &[]), "open {");
        assert_eq!(fill("日本{x}語", &[("x", "の")]), "日本の語");
    }
}
