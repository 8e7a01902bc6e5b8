//! The indexed ancestor fields' keys (`proc.aname[N]`, `proc.apid[N]`, `proc.aexepath[N]`),
//! spelled once for every crate: a capture interns them, triage reads them for every alert
//! several times, and a key written out at each read was a measurable share of triage.

use std::borrow::Cow;

/// How many ancestor levels the keys are spelled out for (1 to 16), as many as the live
/// capture gives.
pub const ANCESTOR_LEVELS: usize = 16;

/// `proc.aname[1]` to `proc.aname[16]`.
pub const ANAME: [&str; ANCESTOR_LEVELS] = [
    "proc.aname[1]",
    "proc.aname[2]",
    "proc.aname[3]",
    "proc.aname[4]",
    "proc.aname[5]",
    "proc.aname[6]",
    "proc.aname[7]",
    "proc.aname[8]",
    "proc.aname[9]",
    "proc.aname[10]",
    "proc.aname[11]",
    "proc.aname[12]",
    "proc.aname[13]",
    "proc.aname[14]",
    "proc.aname[15]",
    "proc.aname[16]",
];

/// `proc.apid[1]` to `proc.apid[16]`.
pub const APID: [&str; ANCESTOR_LEVELS] = [
    "proc.apid[1]",
    "proc.apid[2]",
    "proc.apid[3]",
    "proc.apid[4]",
    "proc.apid[5]",
    "proc.apid[6]",
    "proc.apid[7]",
    "proc.apid[8]",
    "proc.apid[9]",
    "proc.apid[10]",
    "proc.apid[11]",
    "proc.apid[12]",
    "proc.apid[13]",
    "proc.apid[14]",
    "proc.apid[15]",
    "proc.apid[16]",
];

/// `proc.aexepath[1]` to `proc.aexepath[16]`.
pub const AEXEPATH: [&str; ANCESTOR_LEVELS] = [
    "proc.aexepath[1]",
    "proc.aexepath[2]",
    "proc.aexepath[3]",
    "proc.aexepath[4]",
    "proc.aexepath[5]",
    "proc.aexepath[6]",
    "proc.aexepath[7]",
    "proc.aexepath[8]",
    "proc.aexepath[9]",
    "proc.aexepath[10]",
    "proc.aexepath[11]",
    "proc.aexepath[12]",
    "proc.aexepath[13]",
    "proc.aexepath[14]",
    "proc.aexepath[15]",
    "proc.aexepath[16]",
];

/// The key of ancestor field `base` (`proc.aname`, `proc.apid`, `proc.aexepath`, or any
/// other) at `level`: one of the tables above for levels 1 to [`ANCESTOR_LEVELS`], else
/// written out.
pub fn ancestor_key(base: &str, level: usize) -> Cow<'static, str> {
    let table = match base {
        "proc.aname" => &ANAME,
        "proc.apid" => &APID,
        "proc.aexepath" => &AEXEPATH,
        _ => return format!("{base}[{level}]").into(),
    };
    match level.checked_sub(1).and_then(|i| table.get(i)) {
        Some(k) => (*k).into(),
        None => format!("{base}[{level}]").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_spelled_as_written_out() {
        for base in ["proc.aname", "proc.apid", "proc.aexepath", "proc.acmdline"] {
            for level in 0..=20 {
                assert_eq!(ancestor_key(base, level), format!("{base}[{level}]"));
            }
        }
    }
}
