//! The syntax tree of Falco's condition language (libsinsp `filter/ast.h`).
//!
//! Every node that Falco positions carries a [`Pos`]. `Display` renders the
//! canonical string form of libsinsp's `ast::as_string`, which is what Falco
//! reports as `condition_compiled`.

/// A position in a condition string: byte index (0-based), line and column (1-based).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pos {
    /// Byte offset from the start of the condition text.
    pub idx: usize,
    /// Line, 1-based.
    pub line: u32,
    /// Column, 1-based.
    pub col: u32,
}

/// A boolean expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `a and b and c` (n-ary, as the parser flattens it).
    And(Vec<Expr>),
    /// `a or b or c` (n-ary).
    Or(Vec<Expr>),
    /// `not a`.
    Not(Box<Expr>),
    /// A bare identifier: a macro reference until macros are resolved.
    Ident {
        /// The identifier.
        name: String,
        /// Where it starts.
        pos: Pos,
    },
    /// A field check: `lhs op rhs`.
    Check(Box<Check>),
}

/// A check of a field (or transformed field) against a value, a list or another field.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Where the check starts (its left-hand side).
    pub pos: Pos,
    /// The left-hand side.
    pub lhs: Operand,
    /// The operator, with its modifier if any.
    pub op: Op,
    /// The right-hand side (`Rhs::None` for `exists`).
    pub rhs: Rhs,
}

/// A comparison operator as written, with an optional string-operator modifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// The operator.
    pub base: BaseOp,
    /// `oneof`, `anyof` or `allof`, for string operators followed by a list.
    pub modifier: Option<Modifier>,
}

/// The 20 operators of `supported_operators()`. `=` and `==` are kept apart
/// because Falco's canonical string form keeps what the author wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BaseOp {
    /// `exists`
    Exists,
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `==`
    EqEq,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `glob`
    Glob,
    /// `iglob`
    IGlob,
    /// `contains`
    Contains,
    /// `icontains`
    IContains,
    /// `bcontains`
    BContains,
    /// `startswith`
    StartsWith,
    /// `bstartswith`
    BStartsWith,
    /// `endswith`
    EndsWith,
    /// `regex`
    Regex,
    /// `intersects`
    Intersects,
    /// `in`
    In,
    /// `pmatch`
    PMatch,
}

impl BaseOp {
    /// The operator's text as Falco spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            BaseOp::Exists => "exists",
            BaseOp::Le => "<=",
            BaseOp::Lt => "<",
            BaseOp::Ge => ">=",
            BaseOp::Gt => ">",
            BaseOp::EqEq => "==",
            BaseOp::Eq => "=",
            BaseOp::Ne => "!=",
            BaseOp::Glob => "glob",
            BaseOp::IGlob => "iglob",
            BaseOp::Contains => "contains",
            BaseOp::IContains => "icontains",
            BaseOp::BContains => "bcontains",
            BaseOp::StartsWith => "startswith",
            BaseOp::BStartsWith => "bstartswith",
            BaseOp::EndsWith => "endswith",
            BaseOp::Regex => "regex",
            BaseOp::Intersects => "intersects",
            BaseOp::In => "in",
            BaseOp::PMatch => "pmatch",
        }
    }

    /// All operators, in the order of libsinsp's `supported_operators()`.
    pub const ALL: [BaseOp; 20] = [
        BaseOp::Exists,
        BaseOp::Le,
        BaseOp::Lt,
        BaseOp::Ge,
        BaseOp::Gt,
        BaseOp::EqEq,
        BaseOp::Eq,
        BaseOp::Ne,
        BaseOp::Glob,
        BaseOp::IGlob,
        BaseOp::Contains,
        BaseOp::IContains,
        BaseOp::BContains,
        BaseOp::StartsWith,
        BaseOp::BStartsWith,
        BaseOp::EndsWith,
        BaseOp::Regex,
        BaseOp::Intersects,
        BaseOp::In,
        BaseOp::PMatch,
    ];

    /// Parses an operator from its text (trimmed), e.g. `"startswith"`.
    pub fn from_str_exact(s: &str) -> Option<BaseOp> {
        BaseOp::ALL.iter().copied().find(|op| op.as_str() == s)
    }

    /// `in`, `intersects` and `pmatch` take a list on their right-hand side.
    pub fn is_list_op(self) -> bool {
        matches!(self, BaseOp::In | BaseOp::Intersects | BaseOp::PMatch)
    }

    /// Operators that accept a `oneof`/`anyof`/`allof` modifier.
    pub fn accepts_modifier(self) -> bool {
        matches!(
            self,
            BaseOp::EqEq
                | BaseOp::Eq
                | BaseOp::Ne
                | BaseOp::Contains
                | BaseOp::IContains
                | BaseOp::BContains
                | BaseOp::StartsWith
                | BaseOp::BStartsWith
                | BaseOp::EndsWith
                | BaseOp::Glob
                | BaseOp::IGlob
                | BaseOp::Regex
        )
    }
}

/// String-operator modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// Exactly one element of the list matches.
    OneOf,
    /// At least one element matches.
    AnyOf,
    /// Every element matches.
    AllOf,
}

impl Modifier {
    /// The modifier's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

/// A field, or a transformer applied to fields and values.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// `proc.name`, `proc.aname[2]`, `evt.arg.flags`, `fd.name`.
    Field {
        /// Dotted field name as written.
        name: String,
        /// The bracketed argument, unescaped, if any.
        arg: Option<String>,
        /// Where the field name starts.
        pos: Pos,
    },
    /// `tolower(proc.name)`, `join(",", (a, b))`, `getopt(proc.args, "t:")[t]`, or `val(proc.pname)`.
    Transformer {
        /// Which transformer.
        kind: TransformerKind,
        /// Its arguments.
        args: Vec<TArg>,
        /// The bracketed argument after the closing parenthesis, if any.
        arg: Option<String>,
        /// Where the transformer keyword starts.
        pos: Pos,
    },
}

/// Field transformers, plus `val()` (a right-hand-side field reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransformerKind {
    /// `val(field)`: the field's value as a right-hand side.
    Val,
    /// `tolower`
    ToLower,
    /// `toupper`
    ToUpper,
    /// `b64` (base64 decode)
    B64,
    /// `basename`
    Basename,
    /// `len`
    Len,
    /// `join(sep, (list))`
    Join,
    /// `concat(a, b, ...)`
    Concat,
    /// `getopt(args, optstring)[opt]`
    GetOpt,
}

impl TransformerKind {
    /// The transformer's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformerKind::Val => "val",
            TransformerKind::ToLower => "tolower",
            TransformerKind::ToUpper => "toupper",
            TransformerKind::B64 => "b64",
            TransformerKind::Basename => "basename",
            TransformerKind::Len => "len",
            TransformerKind::Join => "join",
            TransformerKind::Concat => "concat",
            TransformerKind::GetOpt => "getopt",
        }
    }
}

/// An argument of a transformer.
#[derive(Clone, Debug, PartialEq)]
pub enum TArg {
    /// A field or a nested transformer.
    Operand(Operand),
    /// A quoted string (unescaped) or a number, kept as text.
    Value(String),
    /// A parenthesised list of arguments (`join(",", (a, proc.name))`).
    List(Vec<TArg>),
}

/// The right-hand side of a check.
#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    /// No right-hand side (`exists`).
    None,
    /// A single value (quoted strings unescaped; bare words and numbers as written;
    /// an identifier after a list operator, such as `in my_list`, also lands here).
    Value(String),
    /// A parenthesised list of values.
    List(Vec<String>),
    /// A field given through `val()` or a transformer.
    Operand(Operand),
}
