//! quell's true-positive catalogue: attack events recorded live from malicious scenarios,
//! which every synthesized exception must keep alerting on (the built-in keep set). It is
//! data bundled with the crate (`data/true_positives.jsonl`); it parses completely or not
//! at all: a line that does not parse is an error, never a silently smaller keep set.

use crate::input::{parse_records, InputError, Record};

/// The catalogue's text (JSON Lines, one recorded event per line).
pub const TRUE_POSITIVES: &str = include_str!("../data/true_positives.jsonl");

/// The name the catalogue's records carry in messages.
pub const SOURCE_NAME: &str = "<bundled>/true_positives.jsonl";

/// The catalogue as records; an error names the line that does not parse.
pub fn true_positives() -> Result<Vec<Record>, InputError> {
    parse_records(TRUE_POSITIVES, SOURCE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_catalogue_parses_completely() {
        let recs = true_positives().expect("every line of the bundled catalogue parses");
        let lines = TRUE_POSITIVES
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        assert!(lines >= 50, "{lines}");
        assert_eq!(recs.len(), lines);
        // A broken line is an error naming it, not an empty keep set.
        let broken = format!("{TRUE_POSITIVES}{{\"evt.type\": \n");
        let e = parse_records(&broken, SOURCE_NAME).unwrap_err();
        assert_eq!(e.line, lines + 1);
    }
}
