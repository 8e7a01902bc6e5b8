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
    let mut record = quell_triage::input::parse_line(raw, 1, "alert").ok()?;
    record.decision = None;
    if let Some(ctx) = context {
        quell_store::behaviour::add_context(&mut record.event, ctx);
    }
    let hostname = record.hostname.clone().unwrap_or_default();
    let triage = Triage {
        engine,
        catalogue,
        history: hist,
        lang,
        hostname: &hostname,
    };
    let report = triage
        .run(std::slice::from_ref(&record))
        .into_iter()
        .next()?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
