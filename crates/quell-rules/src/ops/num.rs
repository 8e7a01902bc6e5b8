//! Parsing right-hand-side values for numeric, boolean and IP fields.
//!
//! libsinsp converts a numeric RHS with `sscanf(str, "%" PRId64 "%c", ...)`
//! (`sinsp_numparser::parsed64`, `parseu64`, ... in `utils.cpp`) and requires
//! exactly one conversion, so it accepts: leading white space, an optional `+`
//! or `-`, decimal digits, and nothing after them. Out-of-range values saturate
//! (glibc's `strtol`). `1.5`, `1e3`, `12abc`, an empty string and `0x10` are
//! errors there: `<str> is not a valid number`.

/// The libsinsp error for a bad number.
fn not_a_number(s: &str) -> String {
    format!("{s} is not a valid number")
}

/// Splits `s` as `sscanf` would see it: skips leading white space, reads an
/// optional sign, then returns (negative, rest).
fn sign_and_rest(s: &str) -> (bool, &str) {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if let Some(r) = t.strip_prefix('-') {
        (true, r)
    } else if let Some(r) = t.strip_prefix('+') {
        (false, r)
    } else {
        (false, t)
    }
}

/// Accumulates digits of `radix` into a saturating u64 magnitude; `None` if
/// `digits` is empty or has a non-digit.
fn magnitude(digits: &str, radix: u32) -> Option<(u64, bool)> {
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        let d = u64::from(c.to_digit(radix)?);
        match v
            .checked_mul(u64::from(radix))
            .and_then(|x| x.checked_add(d))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    Some((if overflow { u64::MAX } else { v }, overflow))
}

fn to_i64(neg: bool, mag: u64, overflow: bool) -> i64 {
    if neg {
        if overflow || mag > i64::MAX as u64 + 1 {
            i64::MIN
        } else {
            (mag as i128).wrapping_neg() as i64
        }
    } else if overflow || mag > i64::MAX as u64 {
        i64::MAX
    } else {
        mag as i64
    }
}

/// Parses a signed integer RHS (`fd.num >= 0`, `evt.rawres < 0`, `proc.tty != 0`).
///
/// Accepts what libsinsp accepts (see the module docs) and, in addition, hex
/// `0x..` / `0X..` after the optional sign, which the condition grammar lets
/// through (`HexNumber`). Note: libsinsp itself rejects hex for numeric
/// fields at compile time; use [`parse_int_sinsp`] for the exact behaviour.
/// Out-of-range values saturate to `i64::MIN` / `i64::MAX`, as glibc does.
pub fn parse_int(s: &str) -> Result<i64, String> {
    let (neg, rest) = sign_and_rest(s);
    let parsed = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        Some(hex) => magnitude(hex, 16),
        None => magnitude(rest, 10),
    };
    let (mag, of) = parsed.ok_or_else(|| not_a_number(s))?;
    Ok(to_i64(neg, mag, of))
}

/// Exactly libsinsp's `parsed64`: decimal only (see the module docs).
pub fn parse_int_sinsp(s: &str) -> Result<i64, String> {
    let (neg, rest) = sign_and_rest(s);
    let (mag, of) = magnitude(rest, 10).ok_or_else(|| not_a_number(s))?;
    Ok(to_i64(neg, mag, of))
}

/// Parses an unsigned integer RHS like libsinsp's `parseu64`
/// (`sscanf("%" PRIu64 "%c")`): decimal, optional sign, where a `-` negates
/// modulo 2^64 (`-1` is `u64::MAX`, as `strtoul` does); overflow saturates to
/// `u64::MAX`. Like [`parse_int`], hex `0x..` is also accepted.
pub fn parse_uint(s: &str) -> Result<u64, String> {
    let (neg, rest) = sign_and_rest(s);
    let parsed = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        Some(hex) => magnitude(hex, 16),
        None => magnitude(rest, 10),
    };
    let (mag, of) = parsed.ok_or_else(|| not_a_number(s))?;
    Ok(if of {
        u64::MAX
    } else if neg {
        mag.wrapping_neg()
    } else {
        mag
    })
}

/// A boolean RHS: exactly `true` or `false`
/// (else `filter error: unrecognized boolean value <s>`).
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("filter error: unrecognized boolean value {s}")),
    }
}

/// An IP address RHS (`fd.ip = 10.0.0.1`, `fd.sip != ::1`): a string with a
/// `.` is read as IPv4 (dotted quad), otherwise as IPv6, like libsinsp (so an
/// IPv4-mapped `::ffff:1.2.3.4` is rejected there and here).
/// Errors: `unrecognized IPv4 address <s>` / `unrecognized IPv6 address <s>`.
pub fn parse_ip(s: &str) -> Result<std::net::IpAddr, String> {
    if s.contains('.') {
        s.parse::<std::net::Ipv4Addr>()
            .map(std::net::IpAddr::V4)
            .map_err(|_| format!("unrecognized IPv4 address {s}"))
    } else {
        s.parse::<std::net::Ipv6Addr>()
            .map(std::net::IpAddr::V6)
            .map_err(|_| format!("unrecognized IPv6 address {s}"))
    }
}
