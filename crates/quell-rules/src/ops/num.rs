//! Parsing right-hand-side values for numeric, boolean and IP fields.
//!
//! libsinsp converts a numeric RHS with `sscanf(str, "%" PRId64 "%c", ...)`
//! (`sinsp_numparser::parsed64`, `parseu64`, ... in `utils.cpp`) and requires
//! exactly one conversion, so it accepts: leading white space, an optional `+`
//! or `-`, decimal digits, and nothing after them. Out-of-range values saturate
//! (glibc's `strtol`). `1.5`, `1e3`, `12abc`, an empty string and `0x10` are
//! errors there: `<str> is not a valid number`.

use super::ValueError;

/// The libsinsp error for a bad number.
fn not_a_number(s: &str) -> ValueError {
    ValueError::NotANumber(s.to_string())
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
pub fn parse_int(s: &str) -> Result<i64, ValueError> {
    let (neg, rest) = sign_and_rest(s);
    let parsed = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        Some(hex) => magnitude(hex, 16),
        None => magnitude(rest, 10),
    };
    let (mag, of) = parsed.ok_or_else(|| not_a_number(s))?;
    Ok(to_i64(neg, mag, of))
}

/// Exactly libsinsp's `parsed64`: decimal only (see the module docs).
pub fn parse_int_sinsp(s: &str) -> Result<i64, ValueError> {
    let (neg, rest) = sign_and_rest(s);
    let (mag, of) = magnitude(rest, 10).ok_or_else(|| not_a_number(s))?;
    Ok(to_i64(neg, mag, of))
}

/// Parses an unsigned integer RHS like libsinsp's `parseu64`
/// (`sscanf("%" PRIu64 "%c")`): decimal, optional sign, where a `-` negates
/// modulo 2^64 (`-1` is `u64::MAX`, as `strtoul` does); overflow saturates to
/// `u64::MAX`. Like [`parse_int`], hex `0x..` is also accepted.
pub fn parse_uint(s: &str) -> Result<u64, ValueError> {
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
pub fn parse_bool(s: &str) -> Result<bool, ValueError> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ValueError::NotABoolean(s.to_string())),
    }
}

/// An IP address RHS (`fd.ip = 10.0.0.1`, `fd.sip != ::1`): a string with a
/// `.` is read as IPv4 (dotted quad), otherwise as IPv6, like libsinsp (so an
/// IPv4-mapped `::ffff:1.2.3.4` is rejected there and here).
/// Errors: `unrecognized IPv4 address <s>` / `unrecognized IPv6 address <s>`.
pub fn parse_ip(s: &str) -> Result<std::net::IpAddr, ValueError> {
    if s.contains('.') {
        s.parse::<std::net::Ipv4Addr>()
            .map(std::net::IpAddr::V4)
            .map_err(|_| ValueError::Ipv4Address(s.to_string()))
    } else {
        s.parse::<std::net::Ipv6Addr>()
            .map(std::net::IpAddr::V6)
            .map_err(|_| ValueError::Ipv6Address(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Answers checked against glibc `sscanf("%" SCNd64 "%c")` / `SCNu64`.
    #[test]
    fn like_sscanf() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("12", 12),
            (" 12", 12),
            ("\t7", 7),
            ("+5", 5),
            ("-0", 0),
            ("-1", -1),
            ("00012", 12),
            ("-22", -22),
            ("4294967295", 4_294_967_295),
            ("99999999999999999999", i64::MAX),
            ("9223372036854775808", i64::MAX),
            ("-99999999999999999999", i64::MIN),
            ("-9223372036854775808", i64::MIN),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_int_sinsp(s), Ok(v), "{s:?}");
            assert_eq!(parse_int(s), Ok(v), "{s:?}");
        }
        for bad in [
            "", "-", "+-1", "12 ", "1.5", "1e3", "0x10", "abc", "12abc", "- 1",
        ] {
            let e = parse_int_sinsp(bad).unwrap_err();
            assert_eq!(e, ValueError::NotANumber(bad.to_string()), "{bad:?}");
            assert_eq!(e.to_string(), format!("{bad} is not a valid number"));
        }
    }

    #[test]
    fn hex_is_an_extension() {
        assert_eq!(parse_int("0x10"), Ok(16));
        assert_eq!(parse_int("0XfF"), Ok(255));
        assert_eq!(parse_int("-0x10"), Ok(-16));
        assert_eq!(parse_int("0x7fffffffffffffff"), Ok(i64::MAX));
        assert_eq!(parse_int("0xffffffffffffffffff"), Ok(i64::MAX));
        assert!(parse_int("0x").is_err());
        assert!(parse_int("0xg").is_err());
        assert!(parse_int_sinsp("0x10").is_err());
    }

    #[test]
    fn unsigned_like_strtoul() {
        assert_eq!(parse_uint("12"), Ok(12));
        assert_eq!(parse_uint("-1"), Ok(u64::MAX));
        assert_eq!(parse_uint("-2"), Ok(u64::MAX - 1));
        assert_eq!(parse_uint("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_uint("18446744073709551616"), Ok(u64::MAX));
        assert_eq!(parse_uint("-99999999999999999999"), Ok(u64::MAX));
        assert_eq!(
            parse_uint("9223372036854775808"),
            Ok(9_223_372_036_854_775_808)
        );
        assert_eq!(parse_uint("0x10"), Ok(16));
        assert_eq!(parse_uint("x"), Err(ValueError::NotANumber("x".into())));
    }

    #[test]
    fn bools_and_ips() {
        assert_eq!(parse_bool("true"), Ok(true));
        assert_eq!(parse_bool("false"), Ok(false));
        let e = parse_bool("True").unwrap_err();
        assert_eq!(e, ValueError::NotABoolean("True".into()));
        assert_eq!(
            e.to_string(),
            "filter error: unrecognized boolean value True"
        );
        assert_eq!(
            parse_ip("142.251.111.147").unwrap().to_string(),
            "142.251.111.147"
        );
        assert_eq!(parse_ip("0:0:0:0:0:0:0:1").unwrap().to_string(), "::1");
        assert_eq!(
            parse_ip("1.2.3").unwrap_err().to_string(),
            "unrecognized IPv4 address 1.2.3"
        );
        assert_eq!(
            parse_ip("::ffff:1.2.3.4").unwrap_err(),
            ValueError::Ipv4Address("::ffff:1.2.3.4".into())
        );
        assert_eq!(
            parse_ip("zz").unwrap_err().to_string(),
            "unrecognized IPv6 address zz"
        );
        assert!(parse_ip("10.0.0.0/8").is_err());
    }

    proptest! {
        #[test]
        fn decimal_roundtrip(v in any::<i64>()) {
            prop_assert_eq!(parse_int(&v.to_string()), Ok(v));
            prop_assert_eq!(parse_int_sinsp(&v.to_string()), Ok(v));
        }

        #[test]
        fn unsigned_roundtrip(v in any::<u64>()) {
            prop_assert_eq!(parse_uint(&v.to_string()), Ok(v));
            prop_assert_eq!(parse_uint(&format!("{v:#x}")), Ok(v));
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = parse_int(&s);
            let _ = parse_int_sinsp(&s);
            let _ = parse_uint(&s);
            let _ = parse_bool(&s);
            let _ = parse_ip(&s);
        }
    }
}
