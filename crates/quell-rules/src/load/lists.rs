//! Lists: Falco's textual list substitution in condition text (`resolve_list`) and the
//! inlining of lists named inside other lists' items.

use super::collector::ListInfo;
use super::exceptions::quote_item;

const BLANKS: &[u8] = b" \t\n\r";
const DELIMS: &[u8] = b" \t\n\r(),=";

fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() || hay.len() - from < needle.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Substitutes one list into `cnd`; true if it occurred.
fn resolve_list(cnd: &mut Vec<u8>, list: &ListInfo) -> bool {
    let name = list.name.as_bytes();
    if name.is_empty() {
        return false;
    }
    let mut used = false;
    let mut start_opt = find_from(cnd, name, 0);
    while let Some(found) = start_opt {
        let mut start = found;
        let mut end = start + name.len();
        let mut next_from = start + 1;
        let before_ok = start == 0 || cnd.get(start - 1).is_some_and(|c| DELIMS.contains(c));
        let after_ok = end >= cnd.len() || cnd.get(end).is_some_and(|c| DELIMS.contains(c));
        if before_ok && after_ok {
            while start > 0 && cnd.get(start - 1).is_some_and(|c| BLANKS.contains(c)) {
                start -= 1;
            }
            while end < cnd.len() && cnd.get(end).is_some_and(|c| BLANKS.contains(c)) {
                end += 1;
            }
            let sub = list
                .items
                .iter()
                .map(|v| quote_item(v))
                .collect::<Vec<_>>()
                .join(", ");
            if sub.is_empty() {
                if start > 0 && cnd.get(start - 1) == Some(&b',') {
                    start -= 1;
                } else if end < cnd.len() && cnd.get(end) == Some(&b',') {
                    end += 1;
                }
            }
            let mut new_cnd = Vec::with_capacity(cnd.len() + sub.len() + 2);
            if start > 0 {
                new_cnd.extend_from_slice(&cnd[..start]);
                new_cnd.push(b' ');
            }
            new_cnd.extend_from_slice(sub.as_bytes());
            new_cnd.push(b' ');
            if end <= cnd.len() {
                new_cnd.extend_from_slice(&cnd[end..]);
            }
            *cnd = new_cnd;
            start += sub.len() + 1;
            next_from = start + 1;
            used = true;
        }
        start_opt = find_from(cnd, name, next_from);
    }
    used
}

/// Falco's `resolve_list` applied for every list in order: each occurrence of a list
/// name delimited by the start/end of the text or one of `` \t\n\r(),=`` is replaced by
/// its items joined with `", "` (each quoted by `quote_item`), consuming surrounding
/// blanks; an empty list also removes an adjacent comma. Works on raw text, inside
/// quoted strings too, as Falco does. `used[i]` is set for each list `lists[i]` found.
pub fn substitute_lists(cond: &str, lists: &[ListInfo], used: &mut [bool]) -> String {
    let mut cnd = cond.as_bytes().to_vec();
    for (i, list) in lists.iter().enumerate() {
        if resolve_list(&mut cnd, list) {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        }
    }
    match String::from_utf8(cnd) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Falco's `compile_list_infos`: an item naming a list whose index is below this
/// list's visibility is replaced by that list's own (raw) items. Returns the expanded
/// lists and, for each list, whether another list inlined it.
pub(crate) fn expand_nested(raw: &[ListInfo]) -> (Vec<ListInfo>, Vec<bool>) {
    let mut used = vec![false; raw.len()];
    let by_name: std::collections::HashMap<&str, usize> = raw
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.as_str(), i))
        .collect();
    let mut out = Vec::with_capacity(raw.len());
    for list in raw {
        let mut items = Vec::with_capacity(list.items.len());
        for item in &list.items {
            match by_name
                .get(item.as_str())
                .and_then(|&i| raw.get(i).map(|r| (i, r)))
            {
                Some((i, r)) if r.index < list.visibility => {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    items.extend(r.items.iter().cloned());
                }
                _ => items.push(item.clone()),
            }
        }
        out.push(ListInfo {
            items,
            ..list.clone()
        });
    }
    (out, used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::result::root_location;
    use proptest::prelude::*;

    fn list(name: &str, items: &[&str], index: usize) -> ListInfo {
        ListInfo {
            name: name.into(),
            items: items.iter().map(|s| s.to_string()).collect(),
            loc: root_location("f"),
            index,
            visibility: index,
        }
    }

    fn sub(cond: &str, lists: &[ListInfo]) -> (String, Vec<bool>) {
        let mut used = vec![false; lists.len()];
        let s = substitute_lists(cond, lists, &mut used);
        (s, used)
    }

    #[test]
    fn basic_substitution() {
        let l = [list("shell_binaries", &["bash", "sh", "my shell"], 0)];
        let (s, u) = sub("proc.name in (shell_binaries)", &l);
        assert_eq!(s, "proc.name in ( bash, sh, \"my shell\" )");
        assert_eq!(u, vec![true]);
    }

    #[test]
    fn blanks_are_consumed() {
        let l = [list("a", &["x"], 0)];
        assert_eq!(sub("proc.name in ( a )", &l).0, "proc.name in ( x )");
        assert_eq!(sub("a", &l).0, "x ");
        assert_eq!(sub("a and b", &l).0, "x and b");
    }

    #[test]
    fn delimiters_required() {
        let l = [list("bin", &["x"], 0)];
        let (s, u) = sub("proc.name in (sbin, bins, bin_x)", &l);
        assert_eq!(s, "proc.name in (sbin, bins, bin_x)");
        assert_eq!(u, vec![false]);
        assert_eq!(sub("fd.name=bin", &l).0, "fd.name= x ");
    }

    #[test]
    fn empty_list_removes_a_comma() {
        let l = [list("e", &[], 0)];
        assert_eq!(sub("proc.name in (a, e)", &l).0, "proc.name in (a  )");
        assert_eq!(sub("proc.name in (e, a)", &l).0, "proc.name in (   a)");
        assert_eq!(sub("proc.name in (e)", &l).0, "proc.name in (  )");
    }

    #[test]
    fn inside_quoted_strings_too() {
        let l = [list("x", &["y"], 0)];
        assert_eq!(
            sub("proc.cmdline contains \"a x b\"", &l).0,
            "proc.cmdline contains \"a y b\""
        );
    }

    #[test]
    fn multiple_occurrences_and_lists() {
        let l = [
            list("a", &["1", "2"], 0),
            list("b", &["3"], 1),
            list("unused", &["z"], 2),
        ];
        let (s, u) = sub("x in (a) or y in (a, b)", &l);
        assert_eq!(s, "x in ( 1, 2 ) or y in ( 1, 2 , 3 )");
        assert_eq!(u, vec![true, true, false]);
    }

    #[test]
    fn nested_lists() {
        let mut c = list("c", &["a", "q", "later"], 2);
        c.visibility = 2;
        let raw = [
            list("a", &["x", "y"], 0),
            list("b", &["a"], 1),
            c,
            list("later", &["z"], 3),
        ];
        let (out, used) = expand_nested(&raw);
        assert_eq!(out[1].items, vec!["x", "y"]);
        assert_eq!(out[2].items, vec!["x", "y", "q", "later"]);
        assert_eq!(used, vec![true, false, false, false]);
    }

    proptest! {
        #[test]
        fn never_panics(cond in ".{0,80}", name in "[a-z,( =]{0,4}", items in proptest::collection::vec("[a-z ]{0,3}", 0..3)) {
            let l = [ListInfo { name, items, loc: root_location("f"), index: 0, visibility: 0 }];
            let mut used = [false];
            let _ = substitute_lists(&cond, &l, &mut used);
        }
    }
}
