//! Where every command's output goes: one mechanism for the whole binary.
//!
//! - [`Out`] is standard output. Everything written passes through
//!   `quell_events::term::escape_lines`, so no control character, escape sequence or bidi
//!   override from an event, a rules file or a path reaches the terminal live. JSON keeps
//!   its meaning: such characters can only stand inside its strings, where the escapes
//!   written (`\u001b`, `\r`, `\u202e`) are JSON escapes of the same characters (serde
//!   escapes C0 controls itself, but writes C1 controls and bidi overrides raw). YAML is
//!   written with escapes already (`quell_triage::emit::yaml_scalar`).
//! - [`note!`](crate::note) writes one diagnostic line to standard error, escaped the same
//!   way. A failed write to standard error never panics: it is remembered.
//! - Write failures are errors, never panics: [`Out`] records a failed flush when it is
//!   dropped, and [`finish`] turns what happened into the exit status: a broken pipe on
//!   standard output is a clean exit 0 (the reader went away, as with `| head`), any other
//!   failure (a full disk: `> /dev/full`) is exit 1 with one line on standard error when
//!   that is still possible. A failed write to standard error alone turns a success into
//!   exit 1 (diagnostics were lost); a broken pipe there leaves the status as it was.

use std::fmt;
use std::io::{self, BufWriter, Stdout, Write};
use std::process::ExitCode;
use std::sync::Mutex;

use quell_events::term;

/// The first failed write to standard output or standard error not returned as an error.
static FAILED: Mutex<Option<(Stream, io::ErrorKind, String)>> = Mutex::new(None);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

fn record(stream: Stream, e: &io::Error) {
    if let Ok(mut f) = FAILED.lock() {
        f.get_or_insert((stream, e.kind(), e.to_string()));
    }
}

/// Standard output, buffered, made safe for a terminal (see the module documentation).
pub struct Out {
    w: BufWriter<Stdout>,
}

impl Out {
    /// Standard output.
    pub fn new() -> Out {
        Out {
            w: BufWriter::with_capacity(1 << 16, io::stdout()),
        }
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

/// A write error that says what failed; its kind (a broken pipe) is kept.
fn output_error(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write the output: {e}"))
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.w
            .write_all(term::escape_lines(&text).as_bytes())
            .map_err(output_error)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush().map_err(output_error)
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        if let Err(e) = self.w.flush() {
            record(Stream::Stdout, &e);
        }
    }
}

/// Writes one line to standard error, made safe for a terminal; a failed write is
/// remembered for the exit status, never a panic. Use through [`note!`](crate::note).
pub fn note(args: fmt::Arguments<'_>) {
    let text = args.to_string();
    let mut line = term::escape_lines(&text).into_owned();
    line.push('\n');
    if let Err(e) = io::stderr().lock().write_all(line.as_bytes()) {
        record(Stream::Stderr, &e);
    }
}

/// Rewrites the progress line on standard error (a terminal): `\r` and the text, escaped.
pub fn progress(args: fmt::Arguments<'_>) {
    let text = args.to_string();
    let line = format!("\r{}", term::escape(&text));
    if let Err(e) = io::stderr().lock().write_all(line.as_bytes()) {
        record(Stream::Stderr, &e);
    }
}

/// Writes one diagnostic line to standard error (escaped; never panics).
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::output::note(format_args!($($arg)*))
    };
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The exit status for a command's result, after every output was written or failed.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    let code = match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => return ExitCode::SUCCESS,
        Err(e) => {
            note!("quell: error: {e:#}");
            return ExitCode::from(1);
        }
    };
    let failed = FAILED.lock().ok().and_then(|f| f.clone());
    match failed {
        None => code,
        // The reader went away: what the command decided stands.
        Some((_, io::ErrorKind::BrokenPipe, _)) => code,
        Some((Stream::Stdout, _, msg)) => {
            note!("quell: error: cannot write the output: {msg}");
            ExitCode::from(1)
        }
        // Diagnostics were lost: the run is not a clean success.
        Some((Stream::Stderr, _, _)) if code == ExitCode::SUCCESS => ExitCode::from(1),
        Some((Stream::Stderr, _, _)) => code,
    }
}
