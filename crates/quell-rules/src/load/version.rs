//! Semantic versions as libsinsp's `sinsp_version` reads them (`x.y.z`, anything after
//! the third number ignored), and its compatibility rule.

use std::fmt;

/// A `major.minor.patch` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

/// Reads an unsigned number like `%u` in `sscanf`: leading blanks, optional `+`, digits.
fn scan_number(s: &str) -> Option<(u64, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let end = t
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    let n = t[..end].parse().ok()?;
    Some((n, &t[end..]))
}

impl Version {
    /// Parses `x.y.z` (trailing text after the patch number is ignored, as in libsinsp).
    pub fn parse(s: &str) -> Option<Version> {
        let (major, rest) = scan_number(s)?;
        let rest = rest.strip_prefix('.')?;
        let (minor, rest) = scan_number(rest)?;
        let rest = rest.strip_prefix('.')?;
        let (patch, _) = scan_number(rest)?;
        Some(Version {
            major,
            minor,
            patch,
        })
    }

    /// libsinsp's `compatible_with`: same major and `self >= required`.
    pub fn compatible_with(&self, required: &Version) -> bool {
        self.major == required.major && self >= required
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_compare() {
        assert_eq!(
            Version::parse("0.57.0"),
            Some(Version {
                major: 0,
                minor: 57,
                patch: 0
            })
        );
        assert_eq!(
            Version::parse("1.2.3-rc1").map(|v| v.to_string()),
            Some("1.2.3".into())
        );
        assert_eq!(Version::parse("not-a-number"), None);
        assert_eq!(Version::parse("1.2"), None);
        assert_eq!(Version::parse(""), None);
        assert_eq!(Version::parse("1..2"), None);
        let eng = Version {
            major: 0,
            minor: 63,
            patch: 0,
        };
        assert!(eng.compatible_with(&Version::parse("0.57.0").expect("v")));
        assert!(eng.compatible_with(&eng));
        assert!(!eng.compatible_with(&Version::parse("0.64.0").expect("v")));
        assert!(!eng.compatible_with(&Version::parse("1.0.0").expect("v")));
        assert!(Version::parse("99999999999999999999999.1.1").is_none());
    }
}
