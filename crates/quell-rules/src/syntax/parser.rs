//! Recursive-descent parser for Falco's condition language, following the
//! structure and quirks of libsinsp's `filter/parser.cpp`: the same token
//! rules, the same order of alternatives, the same n-ary `and`/`or` nodes,
//! the same depth accounting and the same error messages and positions.
//!
//! Positions count bytes: `idx` is 0-based, `line`/`col` are 1-based, and
//! every `\r` or `\n` starts a new line (so `\r\n` counts as two).

use std::fmt;

use super::ast::{BaseOp, Check, Expr, Modifier, Op, Operand, Pos, Rhs, TArg, TransformerKind};
use super::escape::unescape_str;

/// The maximum parser depth Falco configures (libsinsp's own default is 100).
pub const DEFAULT_MAX_DEPTH: u32 = 1000;

/// A syntax error in a condition: Falco's message and where the parser stood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The message, byte for byte as libsinsp words it
    /// (e.g. `"expected a ')' token"`).
    pub message: String,
    /// The parser position when the error was raised (libsinsp's `get_pos()`).
    pub pos: Pos,
}

impl fmt::Display for ParseError {
    /// Writes the message only (Falco's text); the position is in [`ParseError::pos`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a condition with Falco's maximum depth ([`DEFAULT_MAX_DEPTH`]).
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    parse_with_max_depth(input, DEFAULT_MAX_DEPTH)
}

/// Parses a condition with the given maximum recursion depth
/// (`"exceeded max depth limit of <depth>"` beyond it).
///
/// Recursion is bounded by `depth`, so very large values combined with
/// adversarial input need a correspondingly large stack; Falco's 1000 is safe
/// on default thread stacks.
pub fn parse_with_max_depth(input: &str, depth: u32) -> Result<Expr, ParseError> {
    Parser::new(input, depth).run()
}

/// The operators of libsinsp's `supported_operators()`, in its order.
pub fn supported_operators() -> Vec<&'static str> {
    BaseOp::ALL.iter().map(|op| op.as_str()).collect()
}

/// The transformer keywords of `supported_field_transformers(include_val)`, in order.
pub fn supported_field_transformers(include_val: bool) -> Vec<&'static str> {
    let mut v = Vec::with_capacity(TRANSFORMERS.len() + 1);
    if include_val {
        v.push("val");
    }
    v.extend(TRANSFORMERS.iter().map(|k| k.as_str()));
    v
}

/// Field transformers usable on both sides (not `val`), in libsinsp's order.
const TRANSFORMERS: [TransformerKind; 8] = [
    TransformerKind::ToLower,
    TransformerKind::ToUpper,
    TransformerKind::B64,
    TransformerKind::Basename,
    TransformerKind::Len,
    TransformerKind::Join,
    TransformerKind::Concat,
    TransformerKind::GetOpt,
];

/// `(text, needs a following blank)`, per operator class, in libsinsp's order.
const UNARY_OPS: [(&str, bool); 1] = [("exists", false)];
const NUM_OPS: [(&str, bool); 4] = [("<=", false), ("<", false), (">=", false), (">", false)];
const STR_OPS: [(&str, bool); 12] = [
    ("==", false),
    ("=", false),
    ("!=", false),
    ("glob", true),
    ("iglob", true),
    ("contains", true),
    ("icontains", true),
    ("bcontains", true),
    ("startswith", true),
    ("bstartswith", true),
    ("endswith", true),
    ("regex", true),
];
const LIST_OPS: [(&str, bool); 3] = [("intersects", false), ("in", false), ("pmatch", false)];

const MODIFIERS: [(&str, Modifier); 3] = [
    ("oneof", Modifier::OneOf),
    ("anyof", Modifier::AnyOf),
    ("allof", Modifier::AllOf),
];

/// `'a', 'b', ...` as libsinsp's `token_list_to_str`.
fn quoted_list(items: &[&str]) -> String {
    let mut s = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('\'');
        s.push_str(it);
        s.push('\'');
    }
    s
}

// ---------------------------------------------------------------------------
// Token matchers: each returns the length of the (anchored, leftmost-longest)
// match at the start of `s`, or 0. They mirror the RE2 POSIX regexes of
// parser.cpp; every byte class they stop on is ASCII, so match ends are always
// char boundaries.

/// POSIX `[[:space:]]`.
fn is_posix_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `lex_blank`'s set: space, tab, backspace, CR, LF.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x08 | b'\r' | b'\n')
}

/// `[a-zA-Z]+[a-zA-Z0-9_]*`
fn m_ident(s: &[u8]) -> usize {
    match s.first() {
        Some(b) if b.is_ascii_alphabetic() => {
            1 + s[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
        }
        _ => 0,
    }
}

/// `[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`
fn m_field_name(s: &[u8]) -> usize {
    let mut n = m_ident(s);
    if n == 0 {
        return 0;
    }
    let mut segments = 0;
    while s.get(n) == Some(&b'.') {
        let seg = s.get(n + 1..).map(m_ident).unwrap_or(0);
        if seg == 0 {
            break;
        }
        n += 1 + seg;
        segments += 1;
    }
    if segments == 0 {
        0
    } else {
        n
    }
}

/// `not[[:space:]]+`
fn m_not_blank(s: &[u8]) -> usize {
    if !s.starts_with(b"not") {
        return 0;
    }
    let sp = s[3..].iter().take_while(|b| is_posix_space(**b)).count();
    if sp == 0 {
        0
    } else {
        3 + sp
    }
}

/// `[^][\"'[:space:]]+`
fn m_field_arg_bare(s: &[u8]) -> usize {
    s.iter()
        .take_while(|b| !matches!(b, b'[' | b']' | b'"' | b'\'') && !is_posix_space(**b))
        .count()
}

/// `[^()\"'[:space:]=,]+`
fn m_bare_str(s: &[u8]) -> usize {
    s.iter()
        .take_while(|b| {
            !matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_posix_space(**b)
        })
        .count()
}

/// `0[xX][0-9a-fA-F]+`
fn m_hex(s: &[u8]) -> usize {
    if s.len() < 3 || s[0] != b'0' || !(s[1] == b'x' || s[1] == b'X') {
        return 0;
    }
    let d = s[2..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if d == 0 {
        0
    } else {
        2 + d
    }
}

/// `[+\-]?[0-9]+[\.]?[0-9]*([eE][+\-][0-9]+)?`
fn m_num(s: &[u8]) -> usize {
    let digits = |from: usize| {
        s.get(from..)
            .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    let mut n = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let d = digits(n);
    if d == 0 {
        return 0;
    }
    n += d;
    if s.get(n) == Some(&b'.') {
        n += 1;
    }
    n += digits(n);
    if matches!(s.get(n), Some(b'e' | b'E')) && matches!(s.get(n + 1), Some(b'+' | b'-')) {
        let e = digits(n + 2);
        if e > 0 {
            n += 2 + e;
        }
    }
    n
}

type R<T> = Result<T, ParseError>;

struct Parser<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: Pos,
    depth: u32,
    max_depth: u32,
    /// libsinsp's `m_last_token`: the text of the last successful lex (quoted
    /// strings unescaped, transformer keywords without their `(`).
    last: String,
}

fn start_pos() -> Pos {
    Pos {
        idx: 0,
        line: 1,
        col: 1,
    }
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, max_depth: u32) -> Self {
        Parser {
            input,
            bytes: input.as_bytes(),
            pos: start_pos(),
            depth: 0,
            max_depth,
            last: String::new(),
        }
    }

    fn run(mut self) -> R<Expr> {
        if self.input.is_empty() {
            return Err(self.err("filter input string is empty"));
        }
        let res = self.parse_or()?;
        if self.depth > 0 {
            return Err(self.err("parser fatal error: recursion is unbalanced"));
        }
        if self.pos.idx != self.bytes.len() {
            return Err(self.err(format!(
                "unexpected token after '{}', expecting 'or', 'and'",
                self.last
            )));
        }
        Ok(res)
    }

    // ----- infrastructure ---------------------------------------------------

    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError {
            message: msg.into(),
            pos: self.pos,
        }
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos.idx..).unwrap_or(&[])
    }

    /// The byte at the cursor; 0 at the end (like a C string).
    fn cur(&self) -> u8 {
        self.bytes.get(self.pos.idx).copied().unwrap_or(0)
    }

    fn advance(&mut self, n: usize) {
        for &b in self.rest().iter().take(n) {
            self.pos.col += 1;
            if b == b'\r' || b == b'\n' {
                self.pos.col = 1;
                self.pos.line += 1;
            }
            self.pos.idx += 1;
        }
    }

    fn text(&self, from: usize, to: usize) -> String {
        match self.input.get(from..to) {
            Some(s) => s.to_owned(),
            None => String::from_utf8_lossy(self.bytes.get(from..to).unwrap_or(&[])).into_owned(),
        }
    }

    /// Depth guard entry. As in libsinsp, a failed entry leaves the counter
    /// incremented (the guard's destructor never runs).
    fn enter(&mut self) -> R<()> {
        self.depth = self.depth.saturating_add(1);
        if self.depth >= self.max_depth {
            return Err(self.err(format!("exceeded max depth limit of {}", self.max_depth)));
        }
        Ok(())
    }

    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        self.enter()?;
        let r = f(self);
        self.depth = self.depth.saturating_sub(1);
        r
    }

    // ----- lexers -----------------------------------------------------------

    fn lex_blank(&mut self) -> bool {
        let n = self.rest().iter().take_while(|b| is_blank(**b)).count();
        self.advance(n);
        n > 0
    }

    fn lex_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s.as_bytes()) {
            self.last = s.to_owned();
            self.advance(s.len());
            true
        } else {
            false
        }
    }

    fn lex_rgx(&mut self, m: fn(&[u8]) -> usize) -> bool {
        let n = m(self.rest());
        if n == 0 {
            return false;
        }
        let from = self.pos.idx;
        self.last = self.text(from, from + n);
        self.advance(n);
        true
    }

    /// `lex_helper_operator_list`: an operator needing a blank that is matched
    /// without one makes the whole class fail *after* consuming it.
    fn lex_ops(&mut self, ops: &[(&str, bool)]) -> bool {
        for &(op, needs_blank) in ops {
            if self.lex_str(op) {
                return !needs_blank || self.lex_blank();
            }
        }
        false
    }

    /// A quoted string; `last` gets the unescaped value. The cursor passes the
    /// closing quote before unescaping, so escape errors point after it. An
    /// unterminated string (or one cut by NUL) does not match.
    fn lex_quoted(&mut self) -> R<bool> {
        let d = self.cur();
        if d != b'"' && d != b'\'' {
            return Ok(false);
        }
        let start = self.pos.idx;
        let mut prev = b'\\';
        let mut i = start;
        while let Some(&c) = self.bytes.get(i) {
            if c == 0 {
                break;
            }
            if c == d && prev != b'\\' {
                let tok = self.text(start, i + 1);
                self.advance(i + 1 - start);
                self.last = unescape_str(&tok).map_err(|m| self.err(m))?;
                return Ok(true);
            }
            prev = c;
            i += 1;
        }
        Ok(false)
    }

    fn lex_transformer_type(&mut self) -> Option<TransformerKind> {
        for kind in TRANSFORMERS {
            let name = kind.as_str();
            let rest = self.rest();
            if rest.starts_with(name.as_bytes()) && rest.get(name.len()) == Some(&b'(') {
                self.advance(name.len() + 1);
                self.last = name.to_owned();
                return Some(kind);
            }
        }
        None
    }

    // ----- grammar ----------------------------------------------------------

    fn parse_or(&mut self) -> R<Expr> {
        self.guard(|p| {
            p.lex_blank();
            let mut children = vec![p.parse_and()?];
            p.lex_blank();
            while p.lex_str("or") {
                let child = if !p.lex_blank() {
                    if p.lex_str("(") {
                        p.parse_embedded_remainder()?
                    } else {
                        return Err(p.err("expected blank or '(' after 'or'"));
                    }
                } else {
                    p.parse_and()?
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::Or(children)
            } else {
                children.remove(0)
            })
        })
    }

    fn parse_and(&mut self) -> R<Expr> {
        self.guard(|p| {
            p.lex_blank();
            let mut children = vec![p.parse_not()?];
            p.lex_blank();
            while p.lex_str("and") {
                let child = if !p.lex_blank() {
                    if p.lex_str("(") {
                        p.parse_embedded_remainder()?
                    } else {
                        return Err(p.err("expected blank or '(' after 'and'"));
                    }
                } else {
                    p.parse_not()?
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::And(children)
            } else {
                children.remove(0)
            })
        })
    }

    fn parse_not(&mut self) -> R<Expr> {
        self.guard(|p| {
            p.lex_blank();
            let mut negate = false;
            while p.lex_rgx(m_not_blank) {
                negate = !negate;
            }
            let child = if p.lex_str("not(") {
                negate = !negate;
                p.parse_embedded_remainder()?
            } else {
                p.parse_check()?
            };
            Ok(if negate {
                Expr::Not(Box::new(child))
            } else {
                child
            })
        })
    }

    /// The rest of a parenthesised expression, after its `(`.
    fn parse_embedded_remainder(&mut self) -> R<Expr> {
        self.guard(|p| {
            p.lex_blank();
            let child = p.parse_or()?;
            p.lex_blank();
            if !p.lex_str(")") {
                return Err(p.err("expected a ')' token"));
            }
            Ok(child)
        })
    }

    fn parse_check(&mut self) -> R<Expr> {
        self.guard(|p| {
            let pos = p.pos;
            p.lex_blank();
            if p.lex_str("(") {
                return p.parse_embedded_remainder();
            }
            if p.lex_rgx(m_field_name) {
                let name = p.last.clone();
                let left = p.parse_field_remainder(name, pos)?;
                return p.parse_condition(left, pos);
            }
            if let Some(kind) = p.lex_transformer_type() {
                p.lex_blank();
                let left = p.parse_transformer_remainder(kind, pos)?;
                return p.parse_condition(left, pos);
            }
            if p.lex_rgx(m_ident) {
                return Ok(Expr::Ident {
                    name: p.last.clone(),
                    pos,
                });
            }
            Err(p.err("expected a '(' token, a field check, or an identifier"))
        })
    }

    /// `[arg]` after a field name or a transformer's `)`.
    fn parse_bracket_arg(&mut self) -> R<Option<String>> {
        if !self.lex_str("[") {
            return Ok(None);
        }
        if !(self.lex_quoted()? || self.lex_rgx(m_field_arg_bare)) {
            return Err(
                self.err("expected a valid field argument: a quoted string or a bare string")
            );
        }
        let arg = self.last.clone();
        if !self.lex_str("]") {
            return Err(self.err("expected a ']' token"));
        }
        Ok(Some(arg))
    }

    fn parse_field_remainder(&mut self, name: String, pos: Pos) -> R<Operand> {
        self.guard(|p| {
            let arg = p.parse_bracket_arg()?;
            Ok(Operand::Field { name, arg, pos })
        })
    }

    /// Arguments of a transformer after `name(`, its `)` and optional `[arg]`.
    fn parse_transformer_remainder(&mut self, kind: TransformerKind, pos: Pos) -> R<Operand> {
        self.guard(|p| {
            p.lex_blank();
            let mut args = Vec::new();
            loop {
                let arg_pos = p.pos;
                args.push(p.parse_transformer_arg(arg_pos)?);
                p.lex_blank();
                if !p.lex_str(",") {
                    break;
                }
            }
            p.lex_blank();
            if !p.lex_str(")") {
                return Err(p.err("expected a ')' token closing the transformer"));
            }
            let arg = p.parse_bracket_arg()?;
            Ok(Operand::Transformer {
                kind,
                args,
                arg,
                pos,
            })
        })
    }

    fn parse_transformer_arg(&mut self, pos: Pos) -> R<TArg> {
        self.guard(|p| {
            p.lex_blank();
            if p.lex_rgx(m_hex) || p.lex_rgx(m_num) {
                return Ok(TArg::Value(p.last.clone()));
            }
            if p.lex_quoted()? {
                return Ok(TArg::Value(p.last.clone()));
            }
            if p.lex_str("(") {
                return p.parse_transformer_list(pos);
            }
            if let Some(kind) = p.lex_transformer_type() {
                return Ok(TArg::Operand(p.parse_transformer_remainder(kind, pos)?));
            }
            if p.lex_rgx(m_field_name) {
                let name = p.last.clone();
                return Ok(TArg::Operand(p.parse_field_remainder(name, pos)?));
            }
            Err(p.err(
                "expected field transformer argument: \
                 field, transformer, quoted string, number, or transformer list",
            ))
        })
    }

    /// A transformer list after its `(`. As in libsinsp, every element carries
    /// the list's position.
    fn parse_transformer_list(&mut self, pos: Pos) -> R<TArg> {
        let mut items = Vec::new();
        self.lex_blank();
        if self.lex_str(")") {
            return Ok(TArg::List(items));
        }
        items.push(self.parse_transformer_list_arg(pos)?);
        self.lex_blank();
        while self.lex_str(",") {
            self.lex_blank();
            items.push(self.parse_transformer_list_arg(pos)?);
            self.lex_blank();
        }
        if !self.lex_str(")") {
            return Err(self.err("expected ')'"));
        }
        Ok(TArg::List(items))
    }

    fn parse_transformer_list_arg(&mut self, pos: Pos) -> R<TArg> {
        if self.lex_rgx(m_field_name) {
            let name = self.last.clone();
            return Ok(TArg::Operand(self.parse_field_remainder(name, pos)?));
        }
        if let Some(kind) = self.lex_transformer_type() {
            self.lex_blank();
            return Ok(TArg::Operand(self.parse_transformer_remainder(kind, pos)?));
        }
        if self.lex_quoted()? {
            return Ok(TArg::Value(self.last.clone()));
        }
        if self.lex_rgx(m_hex) || self.lex_rgx(m_num) {
            return Ok(TArg::Value(self.last.clone()));
        }
        Err(self.err(
            "expected transformer list argument: field, transformer, quoted string, or number",
        ))
    }

    fn parse_condition(&mut self, lhs: Operand, pos: Pos) -> R<Expr> {
        self.guard(|p| {
            p.lex_blank();
            let check = |base: BaseOp, modifier: Option<Modifier>, rhs: Rhs| {
                Expr::Check(Box::new(Check {
                    pos,
                    lhs,
                    op: Op { base, modifier },
                    rhs,
                }))
            };
            if p.lex_ops(&UNARY_OPS) {
                return Ok(check(BaseOp::Exists, None, Rhs::None));
            }
            p.lex_blank();
            let (text, modifier, rhs) = if p.lex_ops(&NUM_OPS) {
                let op = p.last.clone();
                (op, None, p.parse_num_value_or_transformer()?)
            } else if p.lex_ops(&STR_OPS) {
                let op = p.last.clone();
                match p.lex_modifier() {
                    Some(m) => (op, Some(m), p.parse_list_value()?),
                    None => (op, None, p.parse_str_value_or_transformer(false)?),
                }
            } else if p.lex_ops(&LIST_OPS) {
                let op = p.last.clone();
                (op, None, p.parse_list_value_or_transformer()?)
            } else {
                return Err(p.err(format!(
                    "expected a valid check operator: one of {}",
                    quoted_list(&supported_operators())
                )));
            };
            let base = BaseOp::from_str_exact(&text)
                .ok_or_else(|| p.err(format!("parser fatal error: unknown operator '{text}'")))?;
            Ok(check(base, modifier, rhs))
        })
    }

    /// After a string operator: `oneof`/`anyof`/`allof` followed by a blank,
    /// then `(` or an identifier that is not `and`/`or`/`not`. Otherwise
    /// nothing is consumed and the word is an ordinary string value.
    fn lex_modifier(&mut self) -> Option<Modifier> {
        let (save_pos, save_last) = (self.pos, self.last.clone());
        self.lex_blank();
        for (kw, m) in MODIFIERS {
            if self.lex_str(kw) {
                if self.lex_blank() {
                    let rest = self.rest();
                    let id = m_ident(rest);
                    let is_list = rest.first() == Some(&b'(');
                    let is_ident = id > 0
                        && !matches!(rest.get(..id), Some(b"and") | Some(b"or") | Some(b"not"));
                    if is_list || is_ident {
                        return Some(m);
                    }
                }
                break;
            }
        }
        self.pos = save_pos;
        self.last = save_last;
        None
    }

    fn parse_num_value_or_transformer(&mut self) -> R<Rhs> {
        self.guard(|p| {
            p.lex_blank();
            if let Some(op) = p.try_parse_transformer_or_val()? {
                return Ok(Rhs::Operand(op));
            }
            if p.lex_rgx(m_hex) || p.lex_rgx(m_num) {
                return Ok(Rhs::Value(p.last.clone()));
            }
            Err(p.err(format!(
                "expected a number value or a field with a valid transformer: {}",
                quoted_list(&supported_field_transformers(true))
            )))
        })
    }

    fn parse_str_value_or_transformer(&mut self, no_transformer: bool) -> R<Rhs> {
        self.guard(|p| {
            p.lex_blank();
            if !no_transformer {
                if let Some(op) = p.try_parse_transformer_or_val()? {
                    return Ok(Rhs::Operand(op));
                }
            }
            if p.lex_quoted()? || p.lex_rgx(m_bare_str) {
                return Ok(Rhs::Value(p.last.clone()));
            }
            if no_transformer {
                return Err(p.err("expected a string value"));
            }
            Err(p.err(format!(
                "expected a string value or a field with a valid transformer: {}",
                quoted_list(&supported_field_transformers(true))
            )))
        })
    }

    /// A single list element (string value only).
    fn parse_list_item(&mut self) -> R<String> {
        match self.parse_str_value_or_transformer(true)? {
            Rhs::Value(v) => Ok(v),
            _ => Err(self.err("parser fatal error: null value expr in body of list")),
        }
    }

    /// A parenthesised list after its `(`. As in libsinsp, *any* error on the
    /// first element (including a bad escape in a quoted string) is swallowed
    /// and the list is then expected to be empty.
    fn parse_list_body(&mut self) -> R<Rhs> {
        let mut values = Vec::new();
        self.lex_blank();
        if let Ok(first) = self.parse_list_item() {
            values.push(first);
            self.lex_blank();
            while self.lex_str(",") {
                values.push(self.parse_list_item()?);
                self.lex_blank();
            }
        }
        if !self.lex_str(")") {
            return Err(self.err("expected a ')' token"));
        }
        Ok(Rhs::List(values))
    }

    fn parse_list_value_or_transformer(&mut self) -> R<Rhs> {
        self.guard(|p| {
            p.lex_blank();
            if p.lex_str("(") {
                return p.parse_list_body();
            }
            if let Some(op) = p.try_parse_transformer_or_val()? {
                return Ok(Rhs::Operand(op));
            }
            if p.lex_rgx(m_ident) {
                return Ok(Rhs::Value(p.last.clone()));
            }
            Err(p.err(format!(
                "expected a list, an identifier, or a field with a valid transformer: {}",
                quoted_list(&supported_field_transformers(true))
            )))
        })
    }

    /// `ListValue` after a string operator and its modifier.
    fn parse_list_value(&mut self) -> R<Rhs> {
        self.guard(|p| {
            p.lex_blank();
            if p.lex_str("(") {
                return p.parse_list_body();
            }
            if p.lex_rgx(m_ident) {
                return Ok(Rhs::Value(p.last.clone()));
            }
            Err(p.err("expected a list or an identifier"))
        })
    }

    /// `val(field)` or a transformer, on a right-hand side; `None` if neither starts here.
    fn try_parse_transformer_or_val(&mut self) -> R<Option<Operand>> {
        self.guard(|p| {
            p.lex_blank();
            let pos = p.pos;
            if p.lex_str("val(") {
                p.last = "val".to_owned();
                p.lex_blank();
                let field_pos = p.pos;
                if !p.lex_rgx(m_field_name) {
                    return Err(p.err("expected a field within 'val' transformer"));
                }
                let name = p.last.clone();
                let field = p.parse_field_remainder(name, field_pos)?;
                p.lex_blank();
                if !p.lex_str(")") {
                    return Err(p.err("expected a ')' token closing the transformer"));
                }
                return Ok(Some(Operand::Transformer {
                    kind: TransformerKind::Val,
                    args: vec![TArg::Operand(field)],
                    arg: None,
                    pos,
                }));
            }
            if let Some(kind) = p.lex_transformer_type() {
                p.lex_blank();
                return Ok(Some(p.parse_transformer_remainder(kind, pos)?));
            }
            Ok(None)
        })
    }
}
