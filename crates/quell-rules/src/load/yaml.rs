//! A small YAML node tree with positions, built from `yaml-rust2`'s event parser.
//!
//! Every node carries the mark where it starts (1-based line and column, byte offset),
//! so the loader can say where a problem is. Semantics follow what Falco's YAML library
//! (yaml-cpp) does with rules files: plain `~`/`null`/empty scalars are null, everything
//! else is a string (a bare `=` is the string `"="`), aliases are expanded, and a file
//! may hold several documents.
//!
//! This is the one YAML reader of the workspace: every crate that reads YAML given by a
//! user (rules files, the benign catalogue, exception proposals) parses it with
//! [`parse`] or [`parse_all`], so every YAML input gets the same limits: at most
//! [`MAX_NODES`] nodes after alias expansion (a "billion laughs" document is refused
//! after a bounded amount of work), at most [`MAX_DEPTH`] levels of nesting, and errors
//! that name the file, line and column.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};

use super::result::{make_diag, root_location};
use crate::diagnostic::{Code, Diagnostic, Location, Position};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Expanding aliases may not produce more nodes than this (guards against
/// "billion laughs" documents).
pub const MAX_NODES: usize = 2_000_000;

/// Deepest nesting of collections accepted (deeper documents are refused rather than
/// risking the stack in recursive consumers).
pub const MAX_DEPTH: usize = 256;

/// Where a node starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
    /// 0-based byte offset into the content.
    pub offset: usize,
}

/// The shape of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// `~`, `null`, an empty plain value.
    Null,
    /// Any other scalar, as text.
    Scalar(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (duplicate keys are kept; lookups see the first).
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: Kind,
    /// Where it starts.
    pub mark: Mark,
    /// True for a scalar written plain (unquoted, not a block scalar): only those
    /// can be YAML numbers or booleans.
    pub plain: bool,
}

impl Node {
    /// The value for `key` when this node is a mapping with that (scalar) key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node for `key`.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.kind, Kind::Scalar(s) if s == key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// True when this node is a mapping holding `key` (with any value, null included).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// True for a null node (`~`, `null`, an empty plain value).
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    /// The text of a scalar.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(v) => Some(v),
            _ => None,
        }
    }

    /// The entries of a mapping, in document order.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(v) => Some(v),
            _ => None,
        }
    }
}

/// A YAML syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub message: String,
    pub mark: Mark,
}

/// Converts the parser's markers (line, character column) into positions in the
/// original content, undoing any padding added by [`parse_documents`].
struct Positions<'a> {
    content: &'a str,
    line_starts: Vec<usize>,
    line_ascii: Vec<bool>,
    /// Spaces inserted at the start of a line (1-based line number → count).
    pad: HashMap<usize, usize>,
}

impl<'a> Positions<'a> {
    fn new(content: &'a str) -> Positions<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(
            content
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let line_ascii = line_starts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let e = line_starts.get(i + 1).copied().unwrap_or(content.len());
                content.as_bytes().get(s..e).is_some_and(|l| l.is_ascii())
            })
            .collect();
        Positions {
            content,
            line_starts,
            line_ascii,
            pad: HashMap::new(),
        }
    }

    fn mark(&self, m: &Marker) -> Mark {
        let line = m.line().max(1);
        let col = m
            .col()
            .saturating_sub(self.pad.get(&line).copied().unwrap_or(0));
        let len = self.content.len();
        let offset = match self.line_starts.get(line - 1) {
            None => len,
            Some(&start) => {
                let end = self.line_starts.get(line).copied().unwrap_or(len);
                if self.line_ascii.get(line - 1).copied().unwrap_or(false) {
                    (start + col).min(end)
                } else {
                    self.content
                        .get(start..end)
                        .and_then(|l| l.char_indices().nth(col).map(|(b, _)| start + b))
                        .unwrap_or(end)
                }
            }
        };
        Mark {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(col).unwrap_or(u32::MAX - 1).saturating_add(1),
            offset,
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        mark: Mark,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        mark: Mark,
        anchor: usize,
    },
}

struct Builder<'a> {
    pos: &'a Positions<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    docs: Vec<Option<Node>>,
    current: Option<Node>,
    in_doc: bool,
    nodes: usize,
    too_big: Option<(Mark, String)>,
}

fn count_nodes(n: &Node) -> usize {
    // Iterative, so deep documents cannot overflow the stack.
    let mut total = 0usize;
    let mut todo = vec![n];
    while let Some(x) = todo.pop() {
        total += 1;
        match &x.kind {
            Kind::Seq(v) => todo.extend(v.iter()),
            Kind::Map(v) => {
                for (k, val) in v {
                    todo.push(k);
                    todo.push(val);
                }
            }
            _ => {}
        }
    }
    total
}

impl Builder<'_> {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
            None => self.current = Some(node),
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, marker: Marker) {
        if self.too_big.is_some() {
            return;
        }
        let mark = self.pos.mark(&marker);
        match ev {
            Event::DocumentStart => {
                self.in_doc = true;
                self.current = None;
            }
            Event::DocumentEnd => {
                if self.in_doc {
                    self.docs.push(self.current.take());
                }
                self.in_doc = false;
                self.stack.clear();
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.nodes += 1;
                let is_null_tag = tag.as_ref().is_some_and(|t| t.suffix == "null");
                let plain = style == TScalarStyle::Plain;
                let kind = if is_null_tag
                    || (plain
                        && tag.is_none()
                        && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
                {
                    Kind::Null
                } else {
                    Kind::Scalar(value)
                };
                self.push_node(
                    Node {
                        kind,
                        mark,
                        plain: plain && tag.is_none(),
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => {
                self.nodes += 1;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    mark,
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.nodes += 1;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    mark,
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        mark,
                        anchor,
                    }) => (
                        Node {
                            kind: Kind::Seq(items),
                            mark,
                            plain: false,
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        mut entries,
                        key,
                        mark,
                        anchor,
                    }) => {
                        // The parser marks a block mapping where it recognises the first
                        // key; report the mapping where that key starts instead.
                        let mark = entries
                            .first()
                            .map(|(k, _)| k.mark)
                            .or(key.as_ref().map(|k| k.mark))
                            .map_or(mark, |m| {
                                if (m.line, m.column) < (mark.line, mark.column) {
                                    m
                                } else {
                                    mark
                                }
                            });
                        if let Some(k) = key {
                            // A key without a value: treat the value as null.
                            let m = k.mark;
                            entries.push((
                                k,
                                Node {
                                    kind: Kind::Null,
                                    mark: m,
                                    plain: true,
                                },
                            ));
                        }
                        (
                            Node {
                                kind: Kind::Map(entries),
                                mark,
                                plain: false,
                            },
                            anchor,
                        )
                    }
                    None => return,
                };
                self.push_node(node, anchor);
            }
            Event::Alias(id) => {
                let node = match self.anchors.get(&id) {
                    Some(n) => {
                        let c = count_nodes(n);
                        self.nodes = self.nodes.saturating_add(c);
                        if self.nodes > MAX_NODES {
                            self.too_big = Some((mark, format!("document too large (more than {MAX_NODES} nodes after alias expansion)")));
                            return;
                        }
                        let mut n = n.clone();
                        n.mark = mark;
                        n
                    }
                    None => Node {
                        kind: Kind::Null,
                        mark,
                        plain: true,
                    },
                };
                self.push_node(node, 0);
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        if self.nodes > MAX_NODES && self.too_big.is_none() {
            self.too_big = Some((
                mark,
                format!("document too large (more than {MAX_NODES} nodes after alias expansion)"),
            ));
        }
        if self.stack.len() > MAX_DEPTH && self.too_big.is_none() {
            self.too_big = Some((
                mark,
                format!("document nesting too deep (more than {MAX_DEPTH} levels)"),
            ));
        }
    }
}

/// How many lines [`parse_documents`] may pad before giving up.
const MAX_PADDING_RETRIES: usize = 256;

/// Parses every document of `content`. `None` stands for an empty document.
///
/// yaml-cpp (Falco's parser) ignores indentation inside flow collections; yaml-rust2
/// rejects a flow continuation line indented less than its block context (e.g. a closing
/// `  ]` under `  items: [`, as in upstream `falco-sandbox_rules.yaml`). That error can
/// only occur inside a flow collection, where leading blanks carry no meaning, so the
/// offending line is padded with a space and the text parsed again; positions are
/// reported against the original text.
pub(crate) fn parse_documents(content: &str) -> Result<Vec<Option<Node>>, YamlError> {
    // yaml-rust2 recurses once per level of block nesting, so a deeply nested document
    // could overflow the stack. Block nesting is bounded by the width of a line's
    // indentation-and-indicator prefix; refuse absurd widths, and parse on a thread with
    // a stack large enough for the rest.
    let mut widest = (0usize, 0usize);
    for (i, line) in content.split('\n').enumerate() {
        let w = line
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'-' | b'?' | b':'))
            .count();
        if w > widest.0 {
            widest = (w, i);
            if w > MAX_PREFIX {
                break;
            }
        }
    }
    if widest.0 > MAX_PREFIX {
        let line = u32::try_from(widest.1 + 1).unwrap_or(u32::MAX);
        let offset = content
            .split('\n')
            .take(widest.1)
            .map(|l| l.len() + 1)
            .sum();
        return Err(YamlError {
            message: format!("yaml: error at line {line}, column 1: document nesting too deep (indentation beyond {MAX_PREFIX} columns)"),
            mark: Mark { line, column: 1, offset },
        });
    }
    if widest.0 <= SMALL_PREFIX {
        return parse_documents_here(content);
    }
    let owned = content.to_string();
    let worker = std::thread::Builder::new()
        .stack_size(PARSER_STACK)
        .spawn(move || parse_documents_here(&owned));
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(result)) => result,
        _ => Err(YamlError {
            message: "yaml: error at line 1, column 1: could not run the YAML parser".to_string(),
            mark: Mark {
                line: 1,
                column: 1,
                offset: 0,
            },
        }),
    }
}

/// Indentation prefixes wider than this are refused (see [`parse_documents`]).
const MAX_PREFIX: usize = 1000;
/// Up to this width the parser runs on the caller's stack.
const SMALL_PREFIX: usize = 48;
/// Stack for the parser thread (virtual memory; only what is used is committed).
const PARSER_STACK: usize = 256 << 20;

fn parse_documents_here(content: &str) -> Result<Vec<Option<Node>>, YamlError> {
    let mut pos = Positions::new(content);
    let mut work: Option<String> = None;
    let mut retries = 0;
    loop {
        let text = work.as_deref().unwrap_or(content);
        let e = match parse_once(text, &pos) {
            Ok(docs) => return Ok(docs),
            Err(ParseFail::TooBig(mark, what)) => {
                return Err(YamlError {
                    message: format!(
                        "yaml: error at line {}, column {}: {what}",
                        mark.line, mark.column
                    ),
                    mark,
                })
            }
            Err(ParseFail::Scan(e)) => e,
        };
        let marker = *e.marker();
        if !matches!(
            e.info(),
            "invalid indentation" | "invalid indentation in flow construct"
        ) || retries >= MAX_PADDING_RETRIES
        {
            let mark = pos.mark(&marker);
            return Err(YamlError {
                message: format!(
                    "yaml: error at line {}, column {}: {}",
                    mark.line,
                    mark.column,
                    e.info()
                ),
                mark,
            });
        }
        retries += 1;
        let line = marker.line().max(1);
        let mut w = work.take().unwrap_or_else(|| content.to_string());
        let start = if line <= 1 {
            0
        } else {
            w.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .nth(line - 2)
                .map_or(w.len(), |(i, _)| i + 1)
        };
        w.insert(start.min(w.len()), ' ');
        *pos.pad.entry(line).or_insert(0) += 1;
        work = Some(w);
    }
}

enum ParseFail {
    Scan(yaml_rust2::ScanError),
    TooBig(Mark, String),
}

fn parse_once(text: &str, pos: &Positions<'_>) -> Result<Vec<Option<Node>>, ParseFail> {
    let mut b = Builder {
        pos,
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
        current: None,
        in_doc: false,
        nodes: 0,
        too_big: None,
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, true).map_err(ParseFail::Scan)?;
    match b.too_big {
        Some((mark, what)) => Err(ParseFail::TooBig(mark, what)),
        None => Ok(b.docs),
    }
}

impl Mark {
    /// This mark as a [`Position`] in the file called `name`.
    pub fn position(&self, name: &str) -> Position {
        Position {
            name: name.to_string(),
            line: self.line,
            column: self.column,
            offset: self.offset,
        }
    }
}

impl Node {
    /// Keys that occur more than once in this mapping (scalar keys only), each as
    /// (the first occurrence, the repeated one). Lookups ([`Node::get`]) see the
    /// first, as yaml-cpp's do.
    pub fn duplicate_keys(&self) -> Vec<(&Node, &Node)> {
        let Some(entries) = self.as_map() else {
            return Vec::new();
        };
        let mut first: HashMap<&str, &Node> = HashMap::new();
        let mut out = Vec::new();
        for (k, _) in entries {
            if let Some(name) = k.as_scalar() {
                match first.get(name) {
                    Some(f) => out.push((*f, k)),
                    None => {
                        first.insert(name, k);
                    }
                }
            }
        }
        out
    }
}

/// Parses a YAML text given by a user with the workspace's limits, and returns its
/// first document (`None` for an empty text or an empty first document). Any
/// document after the first is parsed (so its errors are reported) and ignored.
///
/// The error is a `LOAD_ERR_YAML_PARSE` diagnostic whose position names `name` and
/// the line and column of the problem; its snippet shows that line.
pub fn parse(name: &str, text: &str) -> Result<Option<Node>, Diagnostic> {
    Ok(parse_all(name, text)?.into_iter().next().flatten())
}

/// Like [`parse`], every document of a multi-document text (`---`).
pub fn parse_all(name: &str, text: &str) -> Result<Vec<Option<Node>>, Diagnostic> {
    parse_documents(text).map_err(|e| {
        let locations = vec![
            root_location(name),
            Location {
                item_type: "value for".into(),
                item_name: String::new(),
                position: e.mark.position(name),
            },
        ];
        make_diag(Code::LoadErrYamlParse, e.message, locations)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Node {
        let docs = parse_documents(src).expect("parses");
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.into_iter().next().flatten().expect("non-empty")
    }

    #[test]
    fn scalars_nulls_and_equals() {
        let n = one("a: =\nb: ~\nc:\nd: 'null'\ne: [=, contains]\nf: \"\"\n");
        assert_eq!(n.get("a").and_then(Node::as_scalar), Some("="));
        assert!(n.get("b").is_some_and(Node::is_null));
        assert!(n.get("c").is_some_and(Node::is_null));
        assert_eq!(n.get("d").and_then(Node::as_scalar), Some("null"));
        let e = n.get("e").and_then(Node::as_seq).expect("seq");
        assert_eq!(e[0].as_scalar(), Some("="));
        assert_eq!(e[1].as_scalar(), Some("contains"));
        assert_eq!(n.get("f").and_then(Node::as_scalar), Some(""));
        assert!(n.get("zz").is_none());
    }

    #[test]
    fn marks_are_one_based_with_byte_offsets() {
        let src = "- list: a\n  items: [x, y]\n- rule: é\n  desc: d\n";
        let n = one(src);
        let items = n.as_seq().expect("seq");
        let list = &items[0];
        assert_eq!((list.mark.line, list.mark.column), (1, 3));
        let it = list.get("items").expect("items");
        assert_eq!((it.mark.line, it.mark.column), (2, 10));
        assert_eq!(&src[it.mark.offset..it.mark.offset + 1], "[");
        let desc = items[1].get("desc").expect("desc");
        assert_eq!(desc.mark.line, 4);
        assert_eq!(&src[desc.mark.offset..desc.mark.offset + 1], "d");
    }

    #[test]
    fn multi_documents_and_empty_ones() {
        let docs = parse_documents("- a: 1\n---\n---\n- b: 2\n").expect("parses");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].is_some());
        assert!(docs[1].as_ref().is_none_or(Node::is_null));
        assert!(docs[2].is_some());
        assert!(parse_documents("")
            .expect("empty")
            .iter()
            .all(|d| d.as_ref().is_none_or(Node::is_null)));
    }

    #[test]
    fn aliases_expand() {
        let n = one("a: &x [1, 2]\nb: *x\n");
        assert_eq!(
            n.get("b").and_then(Node::as_seq).map(<[Node]>::len),
            Some(2)
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse_documents("- rule: x\n  desc: [a, b\n").expect_err("must fail");
        assert!(
            e.message.starts_with("yaml: error at line"),
            "{}",
            e.message
        );
        assert!(e.mark.line >= 2);
    }

    #[test]
    fn lenient_flow_indentation() {
        let src = "- list: a\n  items: [\n    x, y\n  ]\n- list: b\n  items: [z,\n  w]\n";
        let n = one(src);
        let items = n.as_seq().expect("seq");
        assert_eq!(
            items[0]
                .get("items")
                .and_then(Node::as_seq)
                .map(<[Node]>::len),
            Some(2)
        );
        let w = &items[1].get("items").and_then(Node::as_seq).expect("seq")[1];
        assert_eq!(w.as_scalar(), Some("w"));
        assert_eq!((w.mark.line, w.mark.column), (7, 3));
        assert_eq!(&src[w.mark.offset..w.mark.offset + 1], "w");
        // Genuine errors are still reported.
        assert!(parse_documents("- a: [b\n").is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        // yaml-rust2 refuses deep flow nesting itself ("recursion limit exceeded").
        assert!(parse_documents(&deep).is_err());
        // Deep block nesting: parsed on a big stack, then refused by the tree builder.
        let deep = (0..450)
            .map(|i| format!("{}- b:\n", "  ".repeat(i)))
            .collect::<String>();
        let e = parse_documents(&deep).expect_err("too deep");
        assert!(e.message.contains("nesting too deep"), "{}", e.message);
        // Beyond the prefix bound: refused before parsing.
        let deeper = (0..600)
            .map(|i| format!("{}- b:\n", "  ".repeat(i)))
            .collect::<String>();
        let e = parse_documents(&deeper).expect_err("too deep");
        assert!(
            e.message.contains("indentation beyond 1000 columns"),
            "{}",
            e.message
        );
        assert_eq!(e.mark.line, 501);
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_documents(&ok).is_ok());
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut src = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            src.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        assert!(parse_documents(&src).is_err());
    }

    #[test]
    fn public_parse_names_the_file_and_refuses_alias_bombs() {
        // 9 levels of 10 aliases each: 10^9 nodes once expanded.
        let mut src = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            src.push_str(&format!("{c}: &{c} [{refs}]\n"));
            prev = c;
        }
        let d = parse("bomb.yaml", &src).expect_err("refused");
        assert_eq!(d.code, Code::LoadErrYamlParse);
        assert!(d.message.contains("document too large"), "{}", d.message);
        let p = d.position().expect("position");
        assert_eq!(p.name, "bomb.yaml");
        assert!(p.line >= 2, "{p:?}");
        let sources = [("bomb.yaml".to_string(), src.clone())];
        let snippet = d.snippet(&sources).expect("a snippet");
        assert!(snippet.contains('*'), "{snippet}");
        let d = parse("x.yaml", "a: [b\n").expect_err("syntax");
        assert_eq!(d.position().map(|p| p.name.as_str()), Some("x.yaml"));
        let n = parse("ok.yaml", "a: 1\nb: '2'\nc: |\n  3\n")
            .expect("ok")
            .expect("doc");
        assert!(n.get("a").is_some_and(|v| v.plain));
        assert!(n.get("b").is_some_and(|v| !v.plain));
        assert!(n.get("c").is_some_and(|v| !v.plain));
        assert!(parse("e.yaml", "").expect("empty").is_none());
    }

    #[test]
    fn duplicate_keys_are_found_and_the_first_wins() {
        let n = one("a: 1\nb: 2\na: 3\n");
        let d = n.duplicate_keys();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].0.mark.line, d[0].1.mark.line), (1, 3));
        assert_eq!(n.get("a").and_then(Node::as_scalar), Some("1"));
        assert!(one("a: 1\nb: 2\n").duplicate_keys().is_empty());
    }
}
