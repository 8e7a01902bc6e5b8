//! Reading a stream of flat JSON lines with bounded memory: the one reader every command uses.

use std::collections::HashSet;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use quell_rules::fields_table::registry;
use serde_json::{Map, Value as Json};

use crate::flat::{EventError, FlatEvent};
use crate::view::{EventRef, Parser};

/// The default longest line, in bytes (4 MiB): far above any real event (the longest line
/// of the corpus recordings is under 8 KiB), small enough that a file without line breaks
/// (`/dev/zero`, a binary) cannot make quell allocate without bound.
pub const DEFAULT_MAX_LINE_BYTES: usize = 4 << 20;

/// At most this many distinct unknown keys are remembered per reader (for reporting each
/// once); later new keys are still kept in the events but no longer reported.
const MAX_REPORTED_KEYS: usize = 1024;

/// How a [`RecordReader`] reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// The longest line accepted, in bytes (without its line break). A longer line is a
    /// [`Problem::TooLong`], reported as soon as the limit is passed, and skipped without
    /// being held in memory.
    pub max_line_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Why a line is not an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The line is longer than [`ReadOptions::max_line_bytes`].
    #[error("longer than {limit} bytes")]
    TooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The line is not UTF-8.
    #[error("not valid UTF-8: {0}")]
    NotUtf8(String),
    /// The line is not an event or an alert.
    #[error(transparent)]
    Event(#[from] EventError),
}

impl Problem {
    /// A stable code for the problem.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::TooLong { .. } => "EVT_LINE_TOO_LONG",
            Problem::NotUtf8(_) => "EVT_NOT_UTF8",
            Problem::Event(EventError::Json(_)) => "EVT_BAD_JSON",
            Problem::Event(EventError::NotAnObject(_)) => "EVT_NOT_AN_OBJECT",
            Problem::Event(EventError::BadValue { .. }) => "EVT_BAD_VALUE",
            Problem::Event(EventError::BadAlert(_)) => "EVT_BAD_ALERT",
        }
    }
}

/// A line that could not be read as an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    pub problem: Problem,
}

/// What a reader reports about a line it reads all the same.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Warning {
    /// A key that is not a field name: no rule can match on it, so a typo (`fs.path.nmae`)
    /// silently matches nothing. Reported once per key and reader.
    #[error("`{key}` is not a field name: no rule condition can use it")]
    UnknownField {
        /// The key as written.
        key: String,
    },
    /// A key given twice in one object (or two spellings of one field): the last value is
    /// the one used; other JSON readers may take the first.
    #[error("key `{key}` appears more than once: the last value is used")]
    DuplicateKey {
        /// The key as written.
        key: String,
    },
}

impl Warning {
    /// A stable code for the warning.
    pub fn code(&self) -> &'static str {
        match self {
            Warning::UnknownField { .. } => "EVT_UNKNOWN_FIELD",
            Warning::DuplicateKey { .. } => "EVT_DUPLICATE_KEY",
        }
    }
}

/// Why reading stopped or a line was skipped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A bad line: reading goes on with the next one (unless the caller is strict).
    #[error(transparent)]
    Bad(#[from] LineError),
    /// The input could not be read: the stream ends here.
    #[error("read error after line {line}: {source}")]
    Io {
        /// The last line read before the error.
        line: usize,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// One line read: its number, the event, the alert object for an alert line, and warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    /// The event.
    pub event: FlatEvent,
    /// For a Falco alert line, the object as read.
    pub alert: Option<Map<String, Json>>,
    /// What the reader reports about this line (each unknown key only the first time).
    pub warnings: Vec<Warning>,
}

/// One line read by [`RecordReader::next_ref`]: like [`Line`], with the event borrowed from
/// the reader (valid until the next line is read).
#[derive(Debug)]
pub struct LineRef<'a> {
    /// 1-based line number.
    pub number: usize,
    /// The event.
    pub event: EventRef<'a>,
    /// For a Falco alert line, the object as read.
    pub alert: Option<Map<String, Json>>,
    /// What the reader reports about this line (each unknown key only the first time).
    pub warnings: Vec<Warning>,
}

impl LineRef<'_> {
    /// The line with its event copied into an owned [`FlatEvent`].
    pub fn into_line(self) -> Line {
        Line {
            number: self.number,
            event: self.event.to_flat(),
            alert: self.alert,
            warnings: self.warnings,
        }
    }
}

/// Why an input cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The path is a directory.
    #[error("{}: is a directory, not a file of events", path.display())]
    Directory {
        /// The path.
        path: PathBuf,
    },
    /// The path cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// The size of the reads `open` makes.
const READ_SIZE: usize = 1 << 18;

/// Opens an input of events: `-` is standard input, anything else a file (a directory is
/// an error, not an empty stream).
pub fn open(path: &Path) -> Result<Box<dyn BufRead>, OpenError> {
    if path == Path::new("-") {
        return Ok(Box::new(io::BufReader::with_capacity(
            READ_SIZE,
            io::stdin(),
        )));
    }
    let io_err = |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    if file.metadata().map_err(io_err)?.is_dir() {
        return Err(OpenError::Directory {
            path: path.to_path_buf(),
        });
    }
    Ok(Box::new(io::BufReader::with_capacity(READ_SIZE, file)))
}

/// Reads flat JSON events and Falco alerts, one per line, with bounded memory. Blank lines
/// are skipped; a UTF-8 byte order mark before the first line is ignored; `\r\n` line ends
/// are accepted. A bad line yields [`ReadError::Bad`] naming its line number and reading
/// goes on with the next line; an I/O error yields [`ReadError::Io`] and ends the stream.
/// Whether a bad line or a warning is fatal (`--strict`) is the caller's choice.
///
/// [`RecordReader::next_ref`] gives each event borrowed from the reader's buffers (no
/// allocation per line once they have grown); the [`Iterator`] gives owned [`Line`]s.
#[derive(Debug)]
pub struct RecordReader<R: BufRead> {
    input: R,
    opts: ReadOptions,
    line: usize,
    buf: Vec<u8>,
    /// The last line, checked as UTF-8 (its allocation goes back to `buf` for the next).
    text: String,
    /// The event's span of `text` (without a byte order mark and surrounding blanks).
    span: (usize, usize),
    parser: Parser,
    done: bool,
    skip_rest: bool,
    reported: HashSet<String>,
}

/// What became of a line.
enum Parsed {
    Blank,
    Bad(Problem),
    Event {
        alert: Option<Map<String, Json>>,
        warnings: Vec<Warning>,
    },
}

/// The outcome of reading one line's bytes.
enum Raw {
    Eof,
    Line,
    TooLong,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader over `input` with the default options.
    pub fn new(input: R) -> Self {
        Self::with_options(input, ReadOptions::default())
    }

    /// A reader over `input`.
    pub fn with_options(input: R, opts: ReadOptions) -> Self {
        RecordReader {
            input,
            opts,
            line: 0,
            buf: Vec::new(),
            text: String::new(),
            span: (0, 0),
            parser: Parser::new(),
            done: false,
            skip_rest: false,
            reported: HashSet::new(),
        }
    }

    /// The number of the last line read (1-based; 0 before the first).
    pub fn line(&self) -> usize {
        self.line
    }

    /// Reads the next line's bytes into `buf` (without the line break), holding at most
    /// `max_line_bytes` of it. Past the limit the line is reported at once ([`Raw::TooLong`])
    /// and its rest is read and dropped by the next call, so an input without line breaks
    /// (`/dev/zero`) costs time but no memory.
    fn read_raw(&mut self) -> io::Result<Raw> {
        if self.buf.capacity() == 0 {
            self.buf = std::mem::take(&mut self.text).into_bytes();
        }
        self.buf.clear();
        let max = self.opts.max_line_bytes;
        let mut any = false;
        loop {
            let avail = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                self.skip_rest = false;
                return Ok(if any { Raw::Line } else { Raw::Eof });
            }
            let (chunk, used, end) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            if self.skip_rest {
                self.input.consume(used);
                if end {
                    self.skip_rest = false;
                }
                continue;
            }
            any = true;
            if self.buf.len() + chunk.len() > max {
                self.input.consume(used);
                self.skip_rest = !end;
                self.buf.clear();
                self.buf.shrink_to(max.min(1 << 20));
                return Ok(Raw::TooLong);
            }
            self.buf.extend_from_slice(chunk);
            self.input.consume(used);
            if end {
                return Ok(Raw::Line);
            }
        }
    }

    fn parse(&mut self, number: usize) -> Parsed {
        let bytes = std::mem::take(&mut self.buf);
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let problem = Problem::NotUtf8(e.utf8_error().to_string());
                // A byte order mark before the first line is not an error.
                let bytes = e.into_bytes();
                let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").filter(|_| number == 1);
                let problem = match rest.map(std::str::from_utf8) {
                    Some(Err(e)) => Problem::NotUtf8(e.to_string()),
                    _ => problem,
                };
                self.buf = bytes;
                return Parsed::Bad(problem);
            }
        };
        self.text = text;
        let mut t = self.text.as_str();
        if number == 1 {
            t = t.strip_prefix('\u{feff}').unwrap_or(t);
        }
        let trimmed = t.trim();
        if trimmed.is_empty() {
            return Parsed::Blank;
        }
        let start = trimmed.as_ptr() as usize - self.text.as_ptr() as usize;
        self.span = (start, start + trimmed.len());
        let alert = match self.parser.parse(trimmed, registry()) {
            Ok(a) => a,
            Err(e) => return Parsed::Bad(Problem::Event(e)),
        };
        let mut warnings: Vec<Warning> = self
            .parser
            .duplicate_keys()
            .map(|key| Warning::DuplicateKey { key })
            .collect();
        let reported = &mut self.reported;
        for key in self.parser.new_unknown_keys(|key| {
            reported.len() < MAX_REPORTED_KEYS && reported.insert(key.to_string())
        }) {
            warnings.push(Warning::UnknownField { key });
        }
        Parsed::Event { alert, warnings }
    }

    /// The next line, its event borrowed from the reader (see [`LineRef`]); `None` at the
    /// end of the input. Bad lines and I/O errors are reported as by the [`Iterator`].
    #[allow(clippy::should_implement_trait)]
    pub fn next_ref(&mut self) -> Option<Result<LineRef<'_>, ReadError>> {
        let (alert, warnings) = loop {
            if self.done {
                return None;
            }
            match self.read_raw() {
                Ok(Raw::Eof) => self.done = true,
                Ok(Raw::TooLong) => {
                    self.line += 1;
                    return Some(Err(ReadError::Bad(LineError {
                        line: self.line,
                        problem: Problem::TooLong {
                            limit: self.opts.max_line_bytes,
                        },
                    })));
                }
                Ok(Raw::Line) => {
                    self.line += 1;
                    match self.parse(self.line) {
                        Parsed::Blank => {}
                        Parsed::Bad(problem) => {
                            return Some(Err(ReadError::Bad(LineError {
                                line: self.line,
                                problem,
                            })))
                        }
                        Parsed::Event { alert, warnings } => break (alert, warnings),
                    }
                }
                Err(source) => {
                    self.done = true;
                    return Some(Err(ReadError::Io {
                        line: self.line,
                        source,
                    }));
                }
            }
        };
        let line = self.text.get(self.span.0..self.span.1).unwrap_or_default();
        Some(Ok(LineRef {
            number: self.line,
            event: self.parser.view(line),
            alert,
            warnings,
        }))
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = Result<Line, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_ref().map(|r| r.map(LineRef::into_line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Read;

    fn read(text: &[u8]) -> Vec<Result<Line, ReadError>> {
        RecordReader::new(text).collect()
    }

    fn read_with(text: &[u8], max: usize) -> Vec<Result<Line, ReadError>> {
        RecordReader::with_options(
            text,
            ReadOptions {
                max_line_bytes: max,
            },
        )
        .collect()
    }

    fn bad_lines(out: &[Result<Line, ReadError>]) -> Vec<(usize, String)> {
        out.iter()
            .filter_map(|r| match r {
                Err(ReadError::Bad(e)) => Some((e.line, e.problem.to_string())),
                _ => None,
            })
            .collect()
    }

    fn good(out: &[Result<Line, ReadError>]) -> Vec<&Line> {
        out.iter().filter_map(|r| r.as_ref().ok()).collect()
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let input = b"{\"evt.type\":\"open\"}\n\
                      not json\n\
                      \n\
                      [1,2]\n\
                      {\"proc.pid\":\"abc\"}\n\
                      {\"evt.type\":\"close\"}\n\
                      \xff\xfe\n\
                      {\"evt.type\":\"read\"}";
        let out = read(input);
        assert_eq!(out.len(), 7);
        let errs = bad_lines(&out);
        let lines: Vec<usize> = errs.iter().map(|e| e.0).collect();
        assert_eq!(lines, [2, 4, 5, 7]);
        assert!(errs[0].1.starts_with("not valid JSON"), "{}", errs[0].1);
        assert!(
            errs[1].1.contains("expected a JSON object"),
            "{}",
            errs[1].1
        );
        assert!(errs[2].1.contains("proc.pid"), "{}", errs[2].1);
        assert!(errs[3].1.contains("UTF-8"), "{}", errs[3].1);
        let types: Vec<&str> = good(&out)
            .iter()
            .map(|l| {
                l.event
                    .get("evt.type")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            })
            .collect();
        assert_eq!(types, ["open", "close", "read"]);
        assert_eq!(good(&out)[1].number, 6);
        let e = out[1].as_ref().unwrap_err();
        assert!(e.to_string().starts_with("line 2: "));
        match e {
            ReadError::Bad(l) => assert_eq!(l.problem.code(), "EVT_BAD_JSON"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn crlf_and_trailing_blank_lines() {
        let out = read(b"{\"evt.num\":1}\r\n{\"evt.num\":2}\r\n\r\n\n");
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|r| r.is_ok()));
    }

    #[test]
    fn a_byte_order_mark_is_ignored_on_the_first_line_only() {
        let out = read(b"\xEF\xBB\xBF{\"evt.num\":1}\n\xEF\xBB\xBF{\"evt.num\":2}\n");
        assert!(out[0].is_ok(), "{:?}", out[0]);
        assert_eq!(
            bad_lines(&out).len(),
            1,
            "a BOM inside the stream is not a line start"
        );
    }

    #[test]
    fn long_lines_are_reported_by_number_and_skipped() {
        let long = format!("{{\"proc.name\":\"{}\"}}", "a".repeat(200));
        let text = format!("{{\"evt.num\":1}}\n{long}\n{{\"evt.num\":3}}\n{long}");
        let out = read_with(text.as_bytes(), 100);
        assert_eq!(
            bad_lines(&out),
            [
                (2, "longer than 100 bytes".to_string()),
                (4, "longer than 100 bytes".to_string())
            ]
        );
        let nums: Vec<usize> = good(&out).iter().map(|l| l.number).collect();
        assert_eq!(nums, [1, 3]);
        // A line of exactly the limit is read.
        let exact = format!("{{\"proc.name\":\"{}\"}}", "b".repeat(100 - 16));
        assert_eq!(exact.len(), 100);
        assert!(read_with(exact.as_bytes(), 100)[0].is_ok());
        // The default limit reads long real lines.
        assert!(read(long.as_bytes())[0].is_ok());
    }

    #[test]
    fn input_without_line_breaks_is_reported_early_with_bounded_memory() {
        // 64 MiB of NUL bytes: one endless line, as `/dev/zero` gives.
        let zeros = io::BufReader::new(io::repeat(0).take(64 << 20));
        let mut r = RecordReader::with_options(
            zeros,
            ReadOptions {
                max_line_bytes: 1 << 20,
            },
        );
        match r.next() {
            Some(Err(ReadError::Bad(e))) => {
                assert_eq!(e.line, 1);
                assert_eq!(e.problem.code(), "EVT_LINE_TOO_LONG");
            }
            other => panic!("{other:?}"),
        }
        assert!(r.buf.capacity() <= 1 << 20, "{}", r.buf.capacity());
        assert!(r.next().is_none());
        assert!(r.buf.capacity() <= 1 << 20, "{}", r.buf.capacity());
    }

    #[test]
    fn unknown_fields_are_reported_once_per_key() {
        let text = b"{\"evt.type\":\"unlinkat\",\"fs.path.nmae\":\"/var/log/x\",\"quell.decision\":\"fp\"}\n\
                     {\"evt.type\":\"unlinkat\",\"fs.path.nmae\":\"/var/log/y\",\"other.key\":1}\n";
        let out = read(text);
        let warns: Vec<Vec<Warning>> = good(&out).iter().map(|l| l.warnings.clone()).collect();
        assert_eq!(
            warns,
            [
                vec![Warning::UnknownField {
                    key: "fs.path.nmae".into()
                }],
                vec![Warning::UnknownField {
                    key: "other.key".into()
                }],
            ]
        );
        assert_eq!(warns[0][0].code(), "EVT_UNKNOWN_FIELD");
        // Alert lines: their output fields are checked, not the alert's own keys.
        let out = read(
            br#"{"rule":"r","output":"o","priority":"Warning","output_fields":{"proc.nmae":"x"}}"#,
        );
        assert_eq!(
            good(&out)[0].warnings,
            [Warning::UnknownField {
                key: "proc.nmae".into()
            }]
        );
        assert!(good(&out)[0].alert.is_some());
    }

    #[test]
    fn duplicate_keys_are_reported() {
        let out = read(
            br#"{"proc.name":"a","proc.name":"b","proc.aname[2]":"x","proc.aname[02]":"y"}
{"rule":"r","output_fields":{"fd.name":"/a","fd.name":"/b"},"rule":"s"}"#,
        );
        let lines = good(&out);
        assert_eq!(
            lines[0].warnings,
            [
                Warning::DuplicateKey {
                    key: "proc.name".into()
                },
                Warning::DuplicateKey {
                    key: "proc.aname[02]".into()
                }
            ]
        );
        // The last occurrence in the line wins, for one spelling or two of a field.
        assert_eq!(
            lines[0].event.get("proc.name").and_then(|v| v.as_str()),
            Some("b")
        );
        assert_eq!(
            lines[0].event.get("proc.aname[2]").and_then(|v| v.as_str()),
            Some("y")
        );
        // A later null makes the field missing; every occurrence is converted.
        let out = read(
            br#"{"proc.name":"a","proc.name":null}
{"proc.pid":"x","proc.pid":1}"#,
        );
        assert_eq!(good(&out)[0].event.get("proc.name"), None);
        assert_eq!(
            good(&out)[0].warnings,
            [Warning::DuplicateKey {
                key: "proc.name".into()
            }]
        );
        assert_eq!(bad_lines(&out).len(), 1, "{out:?}");
        assert!(bad_lines(&out)[0].1.contains("proc.pid"), "{out:?}");
        let keys: Vec<String> = lines[1].warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            keys,
            [
                "key `fd.name` appears more than once: the last value is used",
                "key `rule` appears more than once: the last value is used"
            ]
        );
    }

    #[test]
    fn open_refuses_directories_and_reports_missing_files() {
        let dir = std::env::temp_dir();
        match open(&dir) {
            Err(e @ OpenError::Directory { .. }) => {
                assert!(e
                    .to_string()
                    .ends_with("is a directory, not a file of events"))
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a directory opened as events"),
        }
        let missing = dir.join("quell-events-no-such-file.jsonl");
        assert!(matches!(open(&missing), Err(OpenError::Io { .. })));
    }

    #[test]
    fn read_errors_end_the_stream() {
        struct Failing(usize);
        impl io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    self.0 += 1;
                    let line = b"{\"evt.num\":1}\n";
                    buf[..line.len()].copy_from_slice(line);
                    return Ok(line.len());
                }
                Err(io::Error::from_raw_os_error(21))
            }
        }
        let out: Vec<_> = RecordReader::new(io::BufReader::new(Failing(0))).collect();
        assert_eq!(out.len(), 2);
        assert!(out[0].is_ok());
        assert!(
            matches!(out[1], Err(ReadError::Io { line: 1, .. })),
            "{:?}",
            out[1]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_bytes_never_panic_and_number_every_line(
            chunks in prop::collection::vec(prop_oneof![
                prop::collection::vec(any::<u8>(), 0..64),
                Just(b"\xEF\xBB\xBF".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(vec![0u8; 40]),
                Just(br#"{"evt.type":"open","fd.name":"/etc/shadow"}"#.to_vec()),
                Just(br#"{"rule":"r","output_fields":{"proc.name":"x\u001b[2J"}}"#.to_vec()),
                Just(br#"{"a":1,"a":2,"fs.path.nmae":"\u202e"}"#.to_vec()),
            ], 0..24),
            max in 1usize..200,
        ) {
            let bytes: Vec<u8> = chunks.concat();
            let lines = bytes.split(|b| *b == b'\n').count();
            let mut last = 0;
            for item in read_with(&bytes, max) {
                let n = match item {
                    Ok(l) => l.number,
                    Err(ReadError::Bad(e)) => e.line,
                    Err(ReadError::Io { .. }) => unreachable!("reading a slice cannot fail"),
                };
                prop_assert!(n > last && n <= lines, "line {} after {} of {}", n, last, lines);
                last = n;
            }
        }
    }

    #[test]
    fn every_corpus_file_reads_without_errors() {
        let dir = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus/events"
        ));
        let mut files = 0;
        let mut events = 0;
        for entry in std::fs::read_dir(dir).expect("corpus events directory") {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
                continue;
            }
            files += 1;
            let f = open(&path).unwrap();
            for r in RecordReader::new(f) {
                match r {
                    Ok(line) => {
                        events += 1;
                        let ev = line.event;
                        assert!(
                            ev.get("evt.type").is_some(),
                            "{}: event without evt.type",
                            path.display()
                        );
                        assert!(
                            line.warnings.is_empty(),
                            "{}:{}: {:?}",
                            path.display(),
                            line.number,
                            line.warnings
                        );
                        // Every corpus event round-trips.
                        let again = FlatEvent::from_json_line(&ev.to_json_line()).unwrap();
                        assert_eq!(again, ev);
                    }
                    Err(e) => panic!("{}: {e}", path.display()),
                }
            }
        }
        assert!(files >= 5, "found {files} corpus files");
        assert!(events > 5000, "read {events} events");
    }
}
