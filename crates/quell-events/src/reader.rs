//! Reading a stream of flat JSON lines.

use std::io::BufRead;

use crate::flat::FlatEvent;

/// A line that could not be read as an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    pub message: String,
}

/// Reads flat JSON events, one per line. Blank lines are skipped. A bad line yields an
/// `Err` naming its line number and reading goes on with the next line; an I/O error ends
/// the stream after being reported. Whether a bad line is fatal (`--strict`) is the caller's choice.
#[derive(Debug)]
pub struct EventReader<R: BufRead> {
    input: R,
    line: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> EventReader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        EventReader {
            input,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    /// The number of the last line read (1-based; 0 before the first).
    pub fn line(&self) -> usize {
        self.line
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<FlatEvent, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.line += 1;
                    let line = self.line;
                    let text = match std::str::from_utf8(&self.buf) {
                        Ok(t) => t,
                        Err(e) => {
                            return Some(Err(LineError {
                                line,
                                message: format!("not valid UTF-8: {e}"),
                            }))
                        }
                    };
                    let text = text.trim();
                    if text.is_empty() {
                        continue;
                    }
                    return Some(FlatEvent::from_json_line(text).map_err(|e| LineError {
                        line,
                        message: e.to_string(),
                    }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(LineError {
                        line: self.line + 1,
                        message: format!("read error: {e}"),
                    }));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn read(text: &[u8]) -> Vec<Result<FlatEvent, LineError>> {
        EventReader::new(text).collect()
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
        let errs: Vec<(usize, String)> = out
            .iter()
            .filter_map(|r| r.as_ref().err().map(|e| (e.line, e.message.clone())))
            .collect();
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
        let types: Vec<&str> = out
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|e| e.get("evt.type").and_then(|v| v.as_str()).unwrap_or(""))
            .collect();
        assert_eq!(types, ["open", "close", "read"]);
        let e = out[1].as_ref().unwrap_err();
        assert!(e.to_string().starts_with("line 2: "));
    }

    #[test]
    fn crlf_and_trailing_blank_lines() {
        let out = read(b"{\"evt.num\":1}\r\n{\"evt.num\":2}\r\n\r\n\n");
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|r| r.is_ok()));
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
            let f = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
            for r in EventReader::new(f) {
                match r {
                    Ok(ev) => {
                        events += 1;
                        assert!(
                            ev.get("evt.type").is_some(),
                            "{}: event without evt.type",
                            path.display()
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
