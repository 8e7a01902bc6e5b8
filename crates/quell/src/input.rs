//! Reading events for every command: quell-events' one reader, and how its reports are
//! shown (each bad line by number up to a cap, then a summary; `--strict` stops).

use std::io::BufRead;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use quell_events::{term, Line, LineError, LineRef, ReadError, ReadOptions, RecordReader, Warning};
use quell_rules::Event;
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

/// Where an input's events come from: JSON Lines through quell-events' one reader, or a
/// scap capture (`.scap`, plain or gzip) through quell-scap.
pub enum Source {
    /// JSON Lines (events or Falco alerts).
    Lines(Box<dyn BufRead>),
    /// A capture, as flat events.
    Scap(Box<quell_scap::flat::FlatEvents>),
}

/// Opens an input (`-` is standard input): a capture when `capture` is set or when its first
/// bytes are a scap section header or a gzip header, JSON Lines otherwise.
pub fn open(path: &Path, capture: bool) -> Result<Source> {
    let mut input =
        quell_events::open(path).map_err(|e| anyhow!("{}", term::escape(&e.to_string())))?;
    let head = input.fill_buf().map_err(|e| {
        anyhow!(
            "{}: {}",
            term::escape(&display_name(path)),
            term::escape(&e.to_string())
        )
    })?;
    if !(capture || quell_scap::looks_like_scap(head)) {
        return Ok(Source::Lines(input));
    }
    let reader = quell_scap::ScapReader::new(input).map_err(|e| {
        anyhow!(
            "{}: {}",
            term::escape(&display_name(path)),
            term::escape(&e.to_string())
        )
    })?;
    Ok(Source::Scap(Box::new(quell_scap::flat::FlatEvents::new(
        reader,
    ))))
}

/// Reads every event of an input through `on_line` (a capture's events numbered from 1),
/// reporting bad lines and warnings; an input that cannot be read is an error (for a
/// capture, a bad block: the events before it were read).
pub fn for_each_line(
    input: Source,
    name: &str,
    opts: &InputOpts,
    mut on_line: impl FnMut(Line, &mut Reporter) -> Result<()>,
) -> Result<Reporter> {
    for_each_event(input, name, opts, |line, rep| {
        on_line(line.into_line(), rep)
    })
}

/// One event as a command reads it: borrowed from its JSON line or from a capture reader's
/// state (no copy into an owned event until [`InputEvent::into_line`]).
pub enum InputEvent<'a> {
    /// A JSON Lines event or alert, borrowed from the reader's line.
    Borrowed(LineRef<'a>),
    /// A capture's event (its 1-based number among the flat events), borrowed from the
    /// capture reader.
    Capture(usize, quell_scap::flat::CaptureEvent<'a>),
}

impl InputEvent<'_> {
    /// 1-based line (or capture event) number.
    pub fn number(&self) -> usize {
        match self {
            InputEvent::Borrowed(l) => l.number,
            InputEvent::Capture(n, _) => *n,
        }
    }

    /// Whether the line is a Falco alert rather than an event.
    pub fn is_alert(&self) -> bool {
        match self {
            InputEvent::Borrowed(l) => l.alert.is_some(),
            InputEvent::Capture(..) => false,
        }
    }

    /// The event, for rule evaluation and alerts.
    pub fn event(&self) -> &dyn Event {
        match self {
            InputEvent::Borrowed(l) => &l.event,
            InputEvent::Capture(_, e) => e,
        }
    }

    /// The event's time, when it carries one.
    pub fn timestamp_ns(&self) -> Option<u64> {
        match self {
            InputEvent::Borrowed(l) => l.event.timestamp_ns(),
            InputEvent::Capture(_, e) => e.timestamp_ns(),
        }
    }

    /// The line with an owned event.
    pub fn into_line(self) -> Line {
        match self {
            InputEvent::Borrowed(l) => l.into_line(),
            InputEvent::Capture(number, e) => Line {
                number,
                event: e.to_flat(),
                alert: None,
                warnings: Vec::new(),
            },
        }
    }
}

/// [`for_each_line`] with each JSON Lines event borrowed from the reader.
pub fn for_each_event(
    input: Source,
    name: &str,
    opts: &InputOpts,
    mut on_line: impl FnMut(InputEvent<'_>, &mut Reporter) -> Result<()>,
) -> Result<Reporter> {
    let mut rep = Reporter::new(name, opts.strict);
    let input = match input {
        Source::Lines(r) => r,
        Source::Scap(events) => return for_each_capture_event(*events, rep, name, on_line),
    };
    let mut reader = RecordReader::with_options(input, read_options(opts));
    while let Some(item) = reader.next_ref() {
        match item {
            Ok(line) => {
                rep.warnings(line.number, &line.warnings)?;
                on_line(InputEvent::Borrowed(line), &mut rep)?;
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

fn for_each_capture_event(
    mut events: quell_scap::flat::FlatEvents,
    mut rep: Reporter,
    name: &str,
    mut on_line: impl FnMut(InputEvent<'_>, &mut Reporter) -> Result<()>,
) -> Result<Reporter> {
    let mut number = 0usize;
    while let Some(item) = events.next_ref() {
        match item {
            Ok(event) => {
                number += 1;
                on_line(InputEvent::Capture(number, event), &mut rep)?;
            }
            Err(e) => bail!("{}: {}", term::escape(name), term::escape(&e.to_string())),
        }
    }
    let skipped: u64 = events.stats().skipped.values().sum();
    if skipped > 0 {
        note!(
            "quell: {}: {skipped} syscall exit event(s) of {} type(s) quell does not decode skipped",
            term::escape(name),
            events.stats().skipped.len()
        );
    }
    Ok(rep)
}

/// Reads a file (or `-`, standard input) of events or alerts as triage records: JSON Lines,
/// or a scap capture recognised by its first bytes.
pub fn read_records(path: &Path, what: &str, opts: &InputOpts) -> Result<Vec<Record>> {
    read_records_counted(path, what, opts, &mut |_| {})
}

/// [`read_records`], telling `on_record` how many records were read so far after each one
/// (for progress on long inputs).
pub fn read_records_counted(
    path: &Path,
    what: &str,
    opts: &InputOpts,
    on_record: &mut dyn FnMut(usize),
) -> Result<Vec<Record>> {
    let input = open(path, false).map_err(|e| anyhow!("the {what} file: {e}"))?;
    let name = display_name(path);
    let mut out = Vec::new();
    for_each_line(input, &name, opts, |line, rep| {
        let number = line.number;
        match quell_triage::input::from_line(line, &name) {
            Ok(r) => {
                out.push(r);
                on_record(out.len());
            }
            Err(e) => rep.bad(number, &e.message)?,
        }
        Ok(())
    })?;
    Ok(out)
}
