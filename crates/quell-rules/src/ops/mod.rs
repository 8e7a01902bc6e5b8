//! Operator and transformer primitives with Falco's (libsinsp's) semantics.
//!
//! Pure functions over strings, bytes and addresses; the evaluator calls them.
//! Each submodule documents the exact upstream behaviour it reproduces and any
//! known difference.
//!
//! - [`mod@fnmatch`]: `glob` / `iglob` (POSIX `fnmatch`, glibc C locale).
//! - [`pmatch`]: `pmatch` path-prefix sets.
//! - [`net`]: CIDR networks for `PT_IPNET` fields.
//! - [`strings`]: C-string cutting, `contains`/`icontains`/`startswith`/`endswith`,
//!   `bcontains`/`bstartswith` and their hex operand, full-match `regex`.
//! - [`transform`]: `tolower`, `toupper`, `b64`, `basename`, `len`, `join`,
//!   `concat`, `getopt`.
//! - [`num`]: numeric, boolean and IP right-hand-side parsing.

mod error;
pub mod fnmatch;
pub mod net;
pub mod num;
pub mod pmatch;
pub mod strings;
pub mod transform;

pub use self::error::ValueError;
pub use self::fnmatch::{fnmatch, Glob};
pub use self::net::IpNet;
pub use self::num::{parse_bool, parse_int, parse_int_sinsp, parse_ip, parse_uint};
pub use self::pmatch::PathPrefixSet;
pub use self::strings::{
    bcontains, bstartswith, c_str, compile_regex, contains, endswith, icontains, parse_hex,
    re2_posix, startswith, HEX_ONLY_ERROR,
};
pub use self::transform::{
    b64_decode, basename, concat, getopt_list, getopt_select, getopt_selector, join, len_bytes,
    len_list, len_str, tolower, toupper, OptString,
};
