//! Intent recognition: one data table of phrases per intent and language, matched on a
//! normalised question. No model; an unrecognised question is [`Intent::Unknown`].

use quell_triage::Lang;
use serde::Serialize;

/// What a question asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Is this likely a false positive, and why.
    FalsePositive,
    /// Why did this rule fire (the condition clause by clause).
    WhyFired,
    /// What happened in this session.
    Timeline,
    /// Write an exception so that this no longer alerts.
    WriteException,
    /// What would this exception silence (blast radius).
    Silence,
    /// Is this (pasted) exception right.
    CheckException,
    /// What should I check next.
    NextSteps,
    /// What does rule R detect.
    RuleDetects,
    /// Which rules alert most.
    TopRules,
    /// Not recognised: the answer lists what can be answered.
    Unknown,
}

impl Intent {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::FalsePositive => "false_positive",
            Intent::WhyFired => "why_fired",
            Intent::Timeline => "timeline",
            Intent::WriteException => "write_exception",
            Intent::Silence => "silence",
            Intent::CheckException => "check_exception",
            Intent::NextSteps => "next_steps",
            Intent::RuleDetects => "rule_detects",
            Intent::TopRules => "top_rules",
            Intent::Unknown => "unknown",
        }
    }

    /// Every answerable intent, in the order the help lists them.
    pub const ANSWERABLE: [Intent; 9] = [
        Intent::FalsePositive,
        Intent::WhyFired,
        Intent::Timeline,
        Intent::WriteException,
        Intent::Silence,
        Intent::CheckException,
        Intent::NextSteps,
        Intent::RuleDetects,
        Intent::TopRules,
    ];

    /// One line saying what the intent answers, with an example question.
    pub fn help(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Intent::FalsePositive, Lang::En) => "is this likely a false positive, and why? (the verdict with its reasons)",
            (Intent::WhyFired, Lang::En) => "why did this rule fire? (the condition clause by clause with the event's values)",
            (Intent::Timeline, Lang::En) => "what happened in this session? (the timeline)",
            (Intent::WriteException, Lang::En) => "write an exception so that this no longer alerts (verified, both forms)",
            (Intent::Silence, Lang::En) => "what would this exception silence? (blast radius over the events given)",
            (Intent::CheckException, Lang::En) => "is this exception right? (paste the YAML after the question; checked as `quell tune --check`)",
            (Intent::NextSteps, Lang::En) => "what should I check next?",
            (Intent::RuleDetects, Lang::En) => "what does rule R detect?",
            (Intent::TopRules, Lang::En) => "which rules alert most?",
            (Intent::FalsePositive, Lang::Ja) => "このイベントは誤検知の可能性が高いですか？（判定と理由）",
            (Intent::WhyFired, Lang::Ja) => "なぜこのルールが発火したのですか？（条件を句ごとに、イベントの値とともに）",
            (Intent::Timeline, Lang::Ja) => "このセッションで何が起きましたか？（時系列）",
            (Intent::WriteException, Lang::Ja) => "これがアラートにならないように例外を書いて（検証済み、2 つの形式）",
            (Intent::Silence, Lang::Ja) => "この例外で何が抑止されますか？（与えたイベント全体での影響範囲）",
            (Intent::CheckException, Lang::Ja) => "この例外は正しいですか？（質問の後に YAML を貼り付け。`quell tune --check` と同じ検査）",
            (Intent::NextSteps, Lang::Ja) => "次に何を確認すべきですか？",
            (Intent::RuleDetects, Lang::Ja) => "ルール R は何を検知しますか？",
            (Intent::TopRules, Lang::Ja) => "どのルールのアラートが最も多いですか？",
            (Intent::Unknown, Lang::En) => "(not recognised)",
            (Intent::Unknown, Lang::Ja) => "（認識できない質問）",
        }
    }
}

/// The phrase table, the one place recognition is defined. A phrase is one or more
/// parts joined by `+`; it matches when every part occurs in the normalised question
/// (English parts are matched on word boundaries, Japanese ones anywhere: Japanese is
/// written without spaces). A question's intent is the one whose matching phrases cover
/// the most characters; ties go to the earlier row.
pub const PHRASES: &[(Intent, Lang, &[&str])] = &[
    (
        Intent::Silence,
        Lang::En,
        &[
            "what+would+silence",
            "what+exception+silence",
            "blast radius",
            "what+would+suppress",
            "what+would+hide",
            "what+would+mute",
            "impact+exception",
            "what+else+silence",
            "silence+what",
        ],
    ),
    (
        Intent::Silence,
        Lang::Ja,
        &[
            "何が+抑止され",
            "何を+抑止",
            "影響範囲",
            "何が+消え",
            "どのアラート+消え",
            "何が+止ま",
            "何が+抑制され",
            "どれが+抑止",
            "何が+出なくな",
        ],
    ),
    (
        Intent::CheckException,
        Lang::En,
        &[
            "exception+right",
            "exception+correct",
            "exception+valid",
            "check+exception",
            "verify+exception",
            "review+exception",
            "exception+ok",
            "exception+work",
            "is this exception",
            "exception+wrong",
            "does this exception",
        ],
    ),
    (
        Intent::CheckException,
        Lang::Ja,
        &[
            "例外+正しい",
            "例外+合って",
            "例外+確認して",
            "例外+検証",
            "例外+大丈夫",
            "例外+問題",
            "例外+間違",
            "例外+チェック",
            "例外+動き",
        ],
    ),
    (
        Intent::WriteException,
        Lang::En,
        &[
            "exception+write",
            "exception+make",
            "exception+create",
            "exception+generate",
            "exception+give",
            "exception+propose",
            "exception+need",
            "exception+add",
            "no longer alert",
            "stop+alert",
            "stop+alerting",
            "silence this",
            "suppress this",
            "suppress it",
            "tune",
            "whitelist",
            "allowlist",
            "mute this",
            "not alert again",
            "stop+firing",
        ],
    ),
    (
        Intent::WriteException,
        Lang::Ja,
        &[
            "例外+書",
            "例外+作",
            "例外+生成",
            "例外+追加",
            "例外+ほしい",
            "例外+欲しい",
            "例外+下さい",
            "例外+ください",
            "アラートにならない",
            "アラートが出ない",
            "アラートを出さない",
            "抑止して",
            "抑制して",
            "除外して",
            "除外したい",
            "ホワイトリスト",
            "通知しない",
            "鳴らない",
        ],
    ),
    (
        Intent::FalsePositive,
        Lang::En,
        &[
            "false positive",
            "false alarm",
            "benign",
            "is this real",
            "is it real",
            "legit",
            "legitimate",
            "malicious",
            "an attack",
            "true positive",
            "should i worry",
            "harmless",
            "noise",
            "fp",
        ],
    ),
    (
        Intent::FalsePositive,
        Lang::Ja,
        &[
            "誤検知",
            "誤報",
            "過検知",
            "良性",
            "無害",
            "本物",
            "攻撃",
            "フォールスポジティブ",
            "問題ない",
            "心配",
            "危険",
        ],
    ),
    (
        Intent::WhyFired,
        Lang::En,
        &[
            "why+fire",
            "why+fired",
            "why+alert",
            "why+trigger",
            "why+triggered",
            "why+match",
            "why+matched",
            "what triggered",
            "which clause",
            "explain+condition",
            "explain+rule+fire",
            "condition",
            "why did",
        ],
    ),
    (
        Intent::WhyFired,
        Lang::Ja,
        &[
            "なぜ+発火",
            "なぜ+検知され",
            "なぜ+アラート",
            "どうして+発火",
            "どうして+検知され",
            "どうして+アラート",
            "条件",
            "発火",
            "どの句",
            "なぜ+一致",
            "マッチ",
        ],
    ),
    (
        Intent::Timeline,
        Lang::En,
        &[
            "timeline",
            "what happened",
            "session",
            "sequence of events",
            "what else+ran",
            "before and after",
            "process tree",
            "what did+do",
            "walk me through",
            "history of",
        ],
    ),
    (
        Intent::Timeline,
        Lang::Ja,
        &[
            "何が起き",
            "なにが起き",
            "何が起こ",
            "時系列",
            "タイムライン",
            "セッション",
            "経緯",
            "前後",
            "何があった",
            "何をした",
            "流れ",
        ],
    ),
    (
        Intent::NextSteps,
        Lang::En,
        &[
            "check next",
            "what should i check",
            "what to check",
            "what should i do",
            "investigate",
            "follow up",
            "next step",
            "next steps",
            "what now",
            "what to look at",
            "what should i look",
        ],
    ),
    (
        Intent::NextSteps,
        Lang::Ja,
        &[
            "次に",
            "何を確認",
            "なにを確認",
            "確認すべき",
            "調べるべき",
            "調査",
            "どうすれば",
            "対応",
            "次は",
            "何を見",
        ],
    ),
    (
        Intent::RuleDetects,
        Lang::En,
        &[
            "what does+rule+detect",
            "what does+detect",
            "rule+about",
            "describe+rule",
            "what is the rule",
            "what is rule",
            "rule+mean",
            "rule+purpose",
            "what+rule+look for",
        ],
    ),
    (
        Intent::RuleDetects,
        Lang::Ja,
        &[
            "ルール+検知",
            "ルール+検出",
            "ルール+とは",
            "ルール+説明",
            "ルール+意味",
            "ルール+何を",
            "何を検知",
            "何を検出",
        ],
    ),
    (
        Intent::TopRules,
        Lang::En,
        &[
            "which rules+most",
            "which rule+most",
            "top rules",
            "most alerts",
            "noisiest",
            "most frequent",
            "alert most",
            "most common",
            "rules+ranking",
            "busiest rule",
        ],
    ),
    (
        Intent::TopRules,
        Lang::Ja,
        &[
            "一番多い",
            "最も多い",
            "多いルール",
            "ランキング",
            "上位",
            "頻繁",
            "よく+アラート",
            "多く+アラート",
            "最多",
        ],
    ),
];

/// The language of a question: Japanese when it holds kana or kanji, English otherwise.
pub fn detect_lang(question: &str) -> Lang {
    if question.chars().any(is_japanese) {
        Lang::Ja
    } else {
        Lang::En
    }
}

fn is_japanese(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff // hiragana, katakana
        | 0x31f0..=0x31ff
        | 0x3400..=0x4dbf // CJK extension A
        | 0x4e00..=0x9fff // CJK unified ideographs
        | 0xff66..=0xff9f) // half-width katakana
}

/// Normalises a question for matching: full-width ASCII to ASCII, the ideographic space to
/// a space, lower case, punctuation (ASCII and Japanese) to spaces, runs of spaces to one;
/// padded with a space at each end so that English phrases match on word boundaries.
pub fn normalise(question: &str) -> String {
    let mut out = String::with_capacity(question.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for c in question.chars() {
        let c = match c as u32 {
            0xff01..=0xff5e => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        };
        let space = c.is_whitespace()
            || (c.is_ascii_punctuation() && c != '\'' && c != '-')
            || "、。？！「」『』（）・…〜―：；【】".contains(c);
        if space {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            for l in c.to_lowercase() {
                out.push(l);
            }
            last_space = false;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

fn part_matches(norm: &str, part: &str) -> bool {
    if part.chars().any(is_japanese) {
        norm.contains(part)
    } else {
        // Word boundaries: the question is padded and its punctuation made spaces, so a
        // part matches at the start of a word; a trailing letter run ("alerting",
        // "fired") is allowed only for parts of four letters or more.
        let needle = format!(" {part}");
        norm.match_indices(&needle).any(|(i, _)| {
            let rest = &norm[i + needle.len()..];
            rest.starts_with(' ')
                || (part.len() >= 4 && rest.starts_with(|c: char| c.is_alphabetic()))
        })
    }
}

/// The intent of a question (already separated from any pasted YAML) and its score.
pub fn recognise(question: &str) -> (Intent, usize) {
    let norm = normalise(question);
    let mut best = (Intent::Unknown, 0usize);
    for intent in Intent::ANSWERABLE {
        let mut score = 0usize;
        for (_, _, phrases) in PHRASES.iter().filter(|(i, _, _)| *i == intent) {
            for phrase in phrases.iter() {
                let parts: Vec<&str> = phrase.split('+').collect();
                if parts.iter().all(|p| part_matches(&norm, p)) {
                    score += parts.iter().map(|p| p.chars().count()).sum::<usize>();
                }
            }
        }
        if score > best.1 {
            best = (intent, score);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_width_case_and_punctuation() {
        assert_eq!(
            normalise("ＷＲＩＴＥ　an Exception！"),
            " write an exception "
        );
        assert_eq!(normalise("誤検知ですか？"), " 誤検知ですか ");
    }

    #[test]
    fn detects_japanese() {
        assert_eq!(detect_lang("これは誤検知？"), Lang::Ja);
        assert_eq!(detect_lang("カタカナ"), Lang::Ja);
        assert_eq!(detect_lang("is this benign?"), Lang::En);
    }

    #[test]
    fn word_boundaries_hold() {
        // "fp" must not match inside another word; "tune" must not match "fortune".
        assert_eq!(recognise("fortune favours the bold").0, Intent::Unknown);
        assert_eq!(recognise("is this an fp").0, Intent::FalsePositive);
    }
}
