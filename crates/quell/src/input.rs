//! Reading events for every command: quell-events' one reader, and how its reports are
//! shown (each bad line by number up to a cap, then a summary; `--strict` stops).

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Result};
use quell_events::{term, Line, LineError, LineRef, ReadError, ReadOptions, RecordReader, Warning};
use quell_triage::input::Record;

use crate::cli::InputOpts;
use crate::note;

/// At most this many bad lines and warnings are shown per input; the rest are counted and
/// summed up at the end (a binary file gives a summary, not one line per byte run).
pub const MAX_SHOWN: usize = 20;

/// How an input's problems are shown: each up to [`MAX_SHOWN`], then counted.
pub struct Reporter {
    name: String,
    strict: bool,
    shown: usize,
    /// Bad lines skipped.
    pub bad: u64,
    /// Warnings given.
    pub warnings: u64,
}

impl Reporter {
    /// A reporter for the input called `name`.
    pub fn new(name: &str, strict: bool) -> Self {
        Reporter {
            name: name.to_string(),
            strict,
            shown: 0,
            bad: 0,
            warnings: 0,
        }
    }

    fn show(&mut self, line: usize, what: &str, text: &str) {
        if self.shown < MAX_SHOWN {
            self.shown += 1;
            note!(
                "quell: {}:{line}: {what}: {}",
                term::escape(&self.name),
                term::escape(text)
            );
        }
    }

    /// A bad line: shown, and an error with `--strict`.
    pub fn bad_line(&mut self, e: &LineError) -> Result<()> {
        let mut text = e.problem.to_string();
        if matches!(e.problem, quell_events::Problem::TooLong { .. }) {
            text.push_str(" (raise the limit with --max-line-bytes)");
        }
        self.bad(e.line, &text)
    }

    /// A bad line described by `text`.
    pub fn bad(&mut self, line: usize, text: &str) -> Result<()> {
        self.bad += 1;
        if self.strict {
            bail!(
                "{}:{line}: bad event line (--strict): {}",
                term::escape(&self.name),
                term::escape(text)
            );
        }
        self.show(line, "skipped bad event line", text);
        Ok(())
    }

    /// A line's warnings: shown, and an error with `--strict`.
    pub fn warnings(&mut self, line: usize, warnings: &[Warning]) -> Result<()> {
        for w in warnings {
            self.warnings += 1;
            if self.strict {
                bail!(
                    "{}:{line}: {} (--strict)",
                    term::escape(&self.name),
                    term::escape(&w.to_string())
                );
            }
            self.show(line, "warning", &w.to_string());
        }
        Ok(())
    }

    /// Says how many problems were not shown.
    pub fn finish(&self) {
        let total = self.bad + self.warnings;
        let hidden = total.saturating_sub(self.shown as u64);
        if hidden > 0 {
            note!(
                "quell: {}: {hidden} more problem(s) not shown ({} bad line(s) and {} warning(s) in all)",
                term::escape(&self.name),
                self.bad,
                self.warnings
            );
        }
    }
}

/// The name an input is reported under.
pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// The reader options the command line asked for.
pub fn read_options(opts: &InputOpts) -> ReadOptions {
    ReadOptions {
        max_line_bytes: opts.max_line_bytes,
    }
}

/// Reads every line of an input through `on_line`, reporting bad lines and warnings; an
/// input that cannot be opened or read is an error.
pub fn for_each_line(
    input: Box<dyn BufRead>,
    name: &str,
    opts: &InputOpts,
    mut on_line: impl FnMut(Line, &mut Reporter) -> Result<()>,
) -> Result<Reporter> {
    for_each_event(input, name, opts, |line, rep| {
        on_line(line.into_line(), rep)
    })
}

/// [`for_each_line`] with each event borrowed from the reader (no copy into an owned event).
pub fn for_each_event(
    input: Box<dyn BufRead>,
    name: &str,
    opts: &InputOpts,
    mut on_line: impl FnMut(LineRef<'_>, &mut Reporter) -> Result<()>,
) -> Result<Reporter> {
    let mut rep = Reporter::new(name, opts.strict);
    let mut reader = RecordReader::with_options(input, read_options(opts));
    while let Some(item) = reader.next_ref() {
        match item {
            Ok(line) => {
                rep.warnings(line.number, &line.warnings)?;
                on_line(line, &mut rep)?;
            }
            Err(ReadError::Bad(e)) => rep.bad_line(&e)?,
            Err(e @ ReadError::Io { .. }) => {
                rep.finish();
                bail!("{}: {e}", term::escape(name));
            }
        }
    }
    rep.finish();
    Ok(rep)
}

/// Reads a JSON Lines file (or `-`, standard input) of events or alerts as triage records.
pub fn read_records(path: &Path, what: &str, opts: &InputOpts) -> Result<Vec<Record>> {
    let input = quell_events::open(path)
        .map_err(|e| anyhow::anyhow!("the {what} file: {}", term::escape(&e.to_string())))?;
    let name = display_name(path);
    let mut out = Vec::new();
    for_each_line(input, &name, opts, |line, rep| {
        let number = line.number;
        match quell_triage::input::from_line(line, &name) {
            Ok(r) => out.push(r),
            Err(e) => rep.bad(number, &e.message)?,
        }
        Ok(())
    })?;
    Ok(out)
}
