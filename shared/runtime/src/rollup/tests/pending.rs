//! Pending deltas (PostgreSQL): writers that find a village locked leave theirs for later,
//! none is lost between merges or among concurrent writers, and the background merger
//! moves them into the totals on its own timing.

use super::*;

const V1: &str = "420625100201";
const V2: &str = "420625101202";

/// Inserts one status-1 person with no date and `fen` into each of `villages`.
async fn add<C: ConnectionTrait>(conn: &C, villages: &[&str], fen: i64) {
    let values: Vec<String> = villages
        .iter()
        .map(|v| format!("('{v}', 1, NULL, {fen})"))
        .collect();
    conn.execute_unprepared(&format!(
        "INSERT INTO people (village_code, status, seen_on, fen) VALUES {}",
        values.join(", ")
    ))
    .await
    .unwrap();
}

/// Adds as [`add`] does, then merges as a commit would.
async fn add_and_merge<C: ConnectionTrait>(
    txn: &C,
    rollups: &Rollups,
    villages: &[&str],
    fen: i64,
) {
    add(txn, villages, fen).await;
    rollups.refresh(txn).await.unwrap();
}

/// The table a summary reads for the rollup on this backend.
fn live() -> String {
    Source::Rollups
        .table("people_rollup", "people")
        .sql_name(backend())
        .into_owned()
}

/// Whether `table` answers every date from the floor on as the rows do.
async fn answers_as_the_rows(conn: &DatabaseConnection, table: &str) -> bool {
    for by in ["2026-10-01", "2026-10-02", "2026-11-30", "2027-01-01"] {
        if seen_by(conn, table, by).await != seen_by(conn, "people", by).await {
            return false;
        }
    }
    true
}

#[tokio::test]
async fn a_writer_that_finds_a_village_locked_leaves_its_deltas_pending_and_summaries_add_them() {
    // SQLite has one writer at a time: there is no lock to find taken.
    if !on_postgres() {
        assert_eq!(live(), "people_rollup");
        // Nothing is ever pending: the triggers add a write into the totals as it writes.
        let (conn, scratch) = source().await;
        let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
        let txn = conn.begin().await.unwrap();
        add(&txn, &[V1, V2], 3).await;
        assert_eq!(rollups.pending_rows(&txn).await.unwrap(), 0);
        let now = [(V1.to_string(), 3, 153), (V2.to_string(), 2, 4)];
        assert_eq!(seen_by(&txn, "people_rollup", "2026-12-06").await, now);
        txn.commit().await.unwrap();
        assert_eq!(seen_by(&conn, "people_rollup", "2026-12-06").await, now);
        assert!(answers_as_the_rows(&conn, "people_rollup").await);
        if let Some(scratch) = scratch {
            scratch.drop_now(conn).await;
        }
        return;
    }
    assert_eq!(live(), "people_rollup_live");
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    // The first writer merges village 1 and holds its lock for as long as it stays open.
    let first = conn.begin().await.unwrap();
    add_and_merge(&first, &rollups, &[V1], 3).await;
    // The second writes both villages and takes one away from village 1: it gets village
    // 2's lock, not village 1's, and commits without waiting for the first.
    let second = conn.begin().await.unwrap();
    add(&second, &[V1, V2], 20).await;
    second
        .execute_unprepared("DELETE FROM people WHERE fen = 100")
        .await
        .unwrap();
    rollups.refresh(&second).await.unwrap();
    second.commit().await.unwrap();
    // Village 1's two delta rows (+1 with no date, −1 under the folded day) are pending.
    assert_eq!((pending(&conn, V1).await, pending(&conn, V2).await), (2, 0));
    assert_eq!(rollups.pending_rows(&conn).await.unwrap(), 2);
    let now = [(V1.to_string(), 2, 70), (V2.to_string(), 2, 21)];
    assert_eq!(seen_by(&conn, &live(), "2026-12-06").await, now);
    assert!(answers_as_the_rows(&conn, &live()).await);
    assert!(
        !answers_as_the_rows(&conn, "people_rollup").await,
        "the rollup alone lags"
    );
    // The first commits what it merged before the second's deltas were there: they stay.
    first.commit().await.unwrap();
    assert_eq!(pending(&conn, V1).await, 2);
    let now = [(V1.to_string(), 3, 73), (V2.to_string(), 2, 21)];
    assert_eq!(seen_by(&conn, &live(), "2026-12-06").await, now);
    assert!(answers_as_the_rows(&conn, &live()).await);
    // The comparison verify makes counts them in: no difference.
    assert!(
        sql::differences(&conn, &rollups.defs()[0])
            .await
            .unwrap()
            .is_empty()
    );
    // A later write, to village 2 only, finds village 1's lock free and merges its
    // pending deltas too: the rollup alone is exact again.
    let third = conn.begin().await.unwrap();
    add_and_merge(&third, &rollups, &[V2], 1).await;
    third.commit().await.unwrap();
    assert_eq!((pending(&conn, V1).await, pending(&conn, V2).await), (0, 0));
    assert_eq!(rollups.pending_rows(&conn).await.unwrap(), 0);
    assert!(answers_as_the_rows(&conn, "people_rollup").await);
    assert_eq!(rollups.verify(&conn).await.unwrap(), []);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

/// The trap the merge avoids: deltas committed by a writer without the lock while the
/// holder merges. Under READ COMMITTED each statement reads a new snapshot, so an UPDATE of
/// the totals from the deltas followed by a DELETE of the deltas would delete those
/// committed between the two statements without adding them. The merge is one statement
/// (`DELETE … RETURNING` feeding the update), so no commit falls between reading a delta
/// and deleting it; a commit can only fall between two of the holder's merges, provoked
/// here: the later merge moves the deltas it sees, all of them, added.
#[tokio::test]
async fn deltas_committed_between_two_merges_of_the_lock_holder_are_added_not_lost() {
    if !on_postgres() {
        return;
    }
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    let first = conn.begin().await.unwrap();
    add_and_merge(&first, &rollups, &[V1], 3).await;
    let second = conn.begin().await.unwrap();
    add_and_merge(&second, &rollups, &[V1], 20).await;
    second.commit().await.unwrap();
    assert_eq!(pending(&conn, V1).await, 1);
    // The holder writes again and merges again (its lock is its own): its own delta and the
    // second's committed one go in one statement.
    add_and_merge(&first, &rollups, &[V1], 5).await;
    assert_eq!(pending(&first, V1).await, 0);
    first.commit().await.unwrap();
    assert_eq!(pending(&conn, V1).await, 0);
    let now = [(V1.to_string(), 5, 178), (V2.to_string(), 1, 1)];
    assert_eq!(seen_by(&conn, "people_rollup", "2026-12-06").await, now);
    assert!(answers_as_the_rows(&conn, "people_rollup").await);
    assert_eq!(rollups.verify(&conn).await.unwrap(), []);

    // A rebuild drops the deltas left pending with their table and counts their rows.
    let first = conn.begin().await.unwrap();
    add_and_merge(&first, &rollups, &[V2], 7).await;
    let second = conn.begin().await.unwrap();
    add_and_merge(&second, &rollups, &[V2], 8).await;
    second.commit().await.unwrap();
    first.commit().await.unwrap();
    assert_eq!(pending(&conn, V2).await, 1);
    let rebuilt = ensure(&conn, day("2026-12-06"), true, defs).await.unwrap();
    assert_eq!(pending(&conn, V2).await, 0);
    let now = [(V1.to_string(), 5, 178), (V2.to_string(), 3, 16)];
    assert_eq!(seen_by(&conn, "people_rollup", "2026-12-06").await, now);
    assert!(answers_as_the_rows(&conn, "people_rollup").await);
    assert_eq!(rebuilt.verify(&conn).await.unwrap(), []);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

#[tokio::test]
async fn concurrent_writers_of_the_same_villages_lose_no_delta() {
    if !on_postgres() {
        return;
    }
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    // Six writers, fifteen transactions each, every one in both villages; every third
    // also takes away what the writer added in its previous one.
    let fen = |writer: i64, i: i64| 1000 + 100 * writer + i;
    let removed = |i: i64| i % 3 == 2;
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let (conn, rollups) = (conn.clone(), rollups.clone());
            tokio::spawn(async move {
                for i in 0..15 {
                    let txn = conn.begin().await.unwrap();
                    add(&txn, &[V1, V2], fen(writer, i)).await;
                    if removed(i) {
                        let sql = format!("DELETE FROM people WHERE fen = {}", fen(writer, i - 1));
                        txn.execute_unprepared(&sql).await.unwrap();
                    }
                    rollups.refresh(&txn).await.unwrap();
                    txn.commit().await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let added: i64 = (0..6)
        .flat_map(|w| (0..15).filter(|i| !removed(i + 1)).map(move |i| fen(w, i)))
        .sum();
    let now = [
        (V1.to_string(), 2 + 60, 150 + added),
        (V2.to_string(), 1 + 60, 1 + added),
    ];
    assert_eq!(seen_by(&conn, &live(), "2026-12-06").await, now);
    assert!(answers_as_the_rows(&conn, &live()).await);
    assert_eq!(rollups.verify(&conn).await.unwrap(), []);
    assert_eq!((pending(&conn, V1).await, pending(&conn, V2).await), (0, 0));
    assert_eq!(seen_by(&conn, "people_rollup", "2026-12-06").await, now);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

#[tokio::test]
async fn the_merger_moves_committed_deltas_into_the_totals_with_no_further_write() {
    if !on_postgres() {
        // SQLite's triggers add into the totals in place: no merger runs.
        assert!(!Rollups::merged_in_background(backend()));
        return;
    }
    assert!(Rollups::merged_in_background(backend()));
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    let timing = MergeTiming::default();
    let merger = Merger::spawn("test", conn.clone(), rollups.clone(), timing);
    // Two writes as the write path makes them: commit, then wake the merger.
    for fen in [20, 30] {
        let txn = conn.begin().await.unwrap();
        add(&txn, &[V1, V2], fen).await;
        txn.execute_unprepared("DELETE FROM people WHERE fen = 7")
            .await
            .unwrap();
        txn.commit().await.unwrap();
        rollups.written();
    }
    // Summaries count the pending deltas at once; the bare totals follow within a round.
    let now = [(V1.to_string(), 4, 200), (V2.to_string(), 3, 51)];
    assert_eq!(seen_by(&conn, &live(), "2026-12-06").await, now);
    merged_within(&conn, 10 * timing.idle_look).await;
    assert_eq!(seen_by(&conn, "people_rollup", "2026-12-06").await, now);
    assert!(answers_as_the_rows(&conn, "people_rollup").await);
    assert_eq!(rollups.verify(&conn).await.unwrap(), []);
    // Stopped, it merges nothing more: a new write stays pending.
    merger.stop();
    add(&conn, &[V2], 5).await;
    rollups.written();
    assert_eq!(pending(&conn, V2).await, 1);
    rollups.merge_pending(&conn).await.unwrap();
    assert_eq!(pending(&conn, V2).await, 0);
    assert_eq!(
        seen_by(&conn, "people_rollup", "2026-12-06").await,
        [(V1.to_string(), 4, 200), (V2.to_string(), 4, 56)]
    );
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

/// Waits until no delta of V1 or V2 is pending, failing after `bound`.
async fn merged_within(conn: &DatabaseConnection, bound: std::time::Duration) {
    let deadline = std::time::Instant::now() + bound;
    while pending(conn, V1).await + pending(conn, V2).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "deltas still pending after {bound:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_merger_keeps_its_timing_a_woken_merge_after_the_gather_and_an_idle_look() {
    if !on_postgres() {
        return;
    }
    use std::time::Duration;
    let hour = Duration::from_secs(3600);
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    // Woken, with no idle look for an hour: only the wake can merge, after its gather.
    let timing = MergeTiming {
        gather: Duration::from_millis(20),
        idle_look: hour,
        vacuum_every: hour,
        ..MergeTiming::default()
    };
    let merger = Merger::spawn("test", conn.clone(), rollups.clone(), timing);
    add(&conn, &[V1], 11).await;
    rollups.written();
    merged_within(&conn, Duration::from_secs(2)).await;
    merger.stop();
    // Not woken (a write by another replica), with a gather of an hour: only the idle look
    // can merge, and it comes on its own interval.
    let timing = MergeTiming {
        gather: hour,
        idle_look: Duration::from_millis(50),
        vacuum_every: hour,
        ..MergeTiming::default()
    };
    let merger = Merger::spawn("test", conn.clone(), rollups.clone(), timing);
    add(&conn, &[V2], 12).await;
    // (The default look, every 5 s, would miss this bound.)
    merged_within(&conn, Duration::from_secs(2)).await;
    merger.stop();
    assert!(answers_as_the_rows(&conn, "people_rollup").await);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

/// The merger vacuums a delta table after merging writes: the rows the merge deleted are
/// cleared and the emptied pages given back, so summaries reading the table do not scan
/// them.
#[tokio::test]
async fn the_merger_vacuums_the_delta_tables_it_emptied() {
    if !on_postgres() {
        return;
    }
    use std::time::Duration;
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    let delta_pages = async |conn: &DatabaseConnection| -> i64 {
        let row = conn
            .query_one_raw(Statement::from_string(
                backend(),
                "SELECT CAST(pg_relation_size('people_rollup_delta') / 8192 AS BIGINT) AS n",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    };
    // Enough deltas to fill many pages, left pending by a write that does not merge.
    let villages: Vec<String> = (200..400).map(|n| format!("420625100{n}")).collect();
    let villages: Vec<&str> = villages.iter().map(String::as_str).collect();
    for _ in 0..10 {
        add(&conn, &villages, 5).await;
    }
    assert!(delta_pages(&conn).await > 5);
    let timing = MergeTiming {
        gather: Duration::from_millis(20),
        idle_look: Duration::from_secs(3600),
        vacuum_every: Duration::ZERO,
        ..MergeTiming::default()
    };
    let merger = Merger::spawn("test", conn.clone(), rollups.clone(), timing);
    rollups.written();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while rollups.pending_rows(&conn).await.unwrap() > 0 || delta_pages(&conn).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the emptied delta table kept {} pages",
            delta_pages(&conn).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    merger.stop();
    assert!(answers_as_the_rows(&conn, "people_rollup").await);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

#[tokio::test]
async fn more_villages_pending_than_one_merge_locks_are_merged_in_turns() {
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    // One statement adds a person to each of 30,000 villages (a province's): taking all
    // their advisory locks in one transaction failed with "out of shared memory" on a
    // server with the default lock table; in turns of DEFAULT_SCOPES_PER_MERGE it does not.
    let villages: Vec<String> = (0..30_000).map(|i| format!("5000{i:08}")).collect();
    let names: Vec<&str> = villages.iter().map(String::as_str).collect();
    add(&conn, &names, 7).await;
    if on_postgres() {
        let left: i64 = conn
            .query_one_raw(Statement::from_string(
                backend(),
                "SELECT COUNT(*) FROM people_rollup_delta".to_string(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        assert!(left >= villages.len() as i64, "{left}");
    }
    rollups.merge_pending(&conn).await.unwrap();
    assert_eq!(rollups.pending_rows(&conn).await.unwrap(), 0);
    let total: i64 = conn
        .query_one_raw(Statement::from_string(
            backend(),
            "SELECT CAST(SUM(fen) AS BIGINT) FROM people_rollup WHERE village_code LIKE '5000%'"
                .to_string(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(total, 7 * villages.len() as i64);
    assert_eq!(rollups.verify(&conn).await.unwrap(), []);
    // A smaller turn (`XK_ROLLUP_MERGE_SCOPES`) takes more turns and leaves nothing either.
    add(&conn, &names[..50], 1).await;
    let small = rollups.clone().with_scopes_per_merge(7);
    small.merge_pending(&conn).await.unwrap();
    assert_eq!(small.pending_rows(&conn).await.unwrap(), 0);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}
