//! Retention: alerts are deleted by whole UTC days of their own time (the alert's `time`,
//! not when it was received), on both backends, so both keep the same alerts. PostgreSQL
//! drops the day partitions that end at or before the cutoff; SQLite deletes the same rows
//! in bounded chunks, each its own transaction, so ingest keeps flowing meanwhile.
//!
//! Clusters stay consistent: a cluster's count drops by the alerts deleted and its first
//! seen becomes its oldest alert still stored; a cluster with no alert left keeps its first
//! and last seen, with a count of 0, so decisions on it still name it.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use crate::Result;

/// A UTC day in nanoseconds.
pub(crate) const DAY_NS: i64 = 86_400_000_000_000;

/// The day (since the epoch) of a time.
pub(crate) fn day_of(t_ns: i64) -> i64 {
    t_ns.div_euclid(DAY_NS)
}

/// A day's range `[from, to)`; `to` is `None` for the last day an `i64` can start.
pub(crate) fn day_bounds(day: i64) -> (i64, Option<i64>) {
    (
        day.saturating_mul(DAY_NS),
        day.checked_add(1).and_then(|d| d.checked_mul(DAY_NS)),
    )
}

/// The first alert time kept by a cutoff: the start of the cutoff's day (alerts of the days
/// that end at or before the cutoff go).
pub(crate) fn keep_from(cutoff_ns: i64) -> i64 {
    day_bounds(day_of(cutoff_ns)).0
}

/// Rows deleted per SQLite transaction.
pub(crate) const SQLITE_CHUNK: i64 = 5_000;

/// Deletes at most [`SQLITE_CHUNK`] alerts older than `keep_from`, adjusting their clusters;
/// returns how many went.
pub(crate) fn sqlite_expire_chunk(c: &Connection, keep_from: i64) -> Result<u64> {
    // Every alert in one table, so that both the deletion and the clusters' new first
    // seen see them all.
    crate::sqlite::merge_recent(c)?;
    let mut del = c.prepare_cached(
        "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE time_ns < ?1 LIMIT ?2)
         RETURNING cluster_id",
    )?;
    let mut per_cluster: BTreeMap<i64, i64> = BTreeMap::new();
    let mut rows = del.query(params![keep_from, SQLITE_CHUNK])?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        *per_cluster.entry(r.get(0)?).or_default() += 1;
        n += 1;
    }
    drop(rows);
    let mut upd = c.prepare_cached(
        "UPDATE clusters SET count = count - ?2,
           first_ns = coalesce((SELECT min(time_ns) FROM alerts WHERE cluster_id = ?1), first_ns)
         WHERE id = ?1",
    )?;
    for (id, k) in per_cluster {
        upd.execute(params![id, k])?;
    }
    // The trend's counts of those hours (whole days go: every hour before `keep_from`).
    c.prepare_cached("DELETE FROM cluster_hours WHERE hour < ?1")?
        .execute([keep_from / crate::TREND_BUCKET_NS as i64])?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_cutoffs() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_NS - 1), 0);
        assert_eq!(day_of(DAY_NS), 1);
        assert_eq!(day_bounds(2), (2 * DAY_NS, Some(3 * DAY_NS)));
        assert_eq!(day_bounds(day_of(i64::MAX)).1, None);
        assert_eq!(keep_from(3 * DAY_NS + 5), 3 * DAY_NS);
        assert_eq!(keep_from(3 * DAY_NS), 3 * DAY_NS);
    }
}
