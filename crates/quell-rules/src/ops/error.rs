//! Why an operand constant is refused: one typed error for the operator primitives
//! ([`super::num`], [`super::net`], [`super::strings`], [`super::transform`]). Each
//! variant's `Display` is libsinsp's wording, which diagnostics carry as their message.

/// Why a right-hand-side constant (or a transformer argument) is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not a number (`12abc`, `0x10` where only decimal is read).
    #[error("{0} is not a valid number")]
    NotANumber(String),
    /// Neither `true` nor `false`.
    #[error("filter error: unrecognized boolean value {0}")]
    NotABoolean(String),
    /// A string with a `.` that is not a dotted-quad IPv4 address.
    #[error("unrecognized IPv4 address {0}")]
    Ipv4Address(String),
    /// A string without a `.` that is not an IPv6 address.
    #[error("unrecognized IPv6 address {0}")]
    Ipv6Address(String),
    /// The address part of a network is not an address.
    #[error("unrecognized IP address {0}")]
    IpAddress(String),
    /// A bare IPv4 address where a network (`/prefix`) is needed.
    #[error("unrecognized IP network {0}")]
    IpNetwork(String),
    /// The prefix of a network is not a number, or too long for its family.
    #[error("invalid netmask {0}")]
    Netmask(String),
    /// A `bcontains` / `bstartswith` operand that is not an even run of hex digits.
    #[error("{}", super::HEX_ONLY_ERROR)]
    HexOnly,
    /// A `regex` operand that does not compile (the regex engine's reason).
    #[error("invalid regex pattern: {0}")]
    Regex(String),
    /// A `getopt(...)[x]` selector that is not exactly one byte.
    #[error("getopt() field argument must be a single option character")]
    GetoptSelector,
}
