//! Roll-ups (hourly and 5-minute) and retention.
//!
//! Three horizons, kept in `meta`, make the roll-ups trustworthy:
//! - `rolled_until_ms`: every hour before it is in `rollups` for every target. Checks that arrive
//!   later for such an hour are added to its roll-up by `write` itself.
//! - `fine_rolled_until_ms`: the same for the 5-minute slots of `rollups_5m`, from the raw horizon
//!   on (they are kept, and deleted, with the raw checks).
//! - `raw_kept_from_ms`: raw checks and 5-minute roll-ups before it may be gone. It never passes
//!   either roll-up horizon, so no check is ever deleted before it is rolled up.

use crate::hist::Histogram;
use crate::sql;
use crate::{
    floor_hour, to_i64, to_u64, MaintenanceReport, Retention, Store, StoreError, FIVE_MIN_MS,
    HOUR_MS,
};
use chrono::{DateTime, Utc};
use monitor::{Class, Severity};
use sqlx::{Sqlite, SqliteConnection, Transaction};

pub(crate) const ROLLED_UNTIL: &str = "rolled_until_ms";
pub(crate) const FINE_ROLLED_UNTIL: &str = "fine_rolled_until_ms";
pub(crate) const RAW_KEPT_FROM: &str = "raw_kept_from_ms";
/// The `now` of the last maintenance: where the next run's trusted clock starts (`clock.rs`).
pub(crate) const MAINTAINED_AT: &str = "maintained_at_ms";
/// When history last restarted in a recreated file (`recover.rs`).
pub(crate) const RESTARTED_AT: &str = "history_restarted_ms";

/// A slot is rolled up once it ended at least this long ago, so the writer's last batches for it
/// (flushed every 250 ms) are in.
const SETTLE_MS: i64 = 2 * 60 * 1000;

/// Time rolled per transaction, so a first roll over weeks of data does not hold the writer for
/// the whole time.
const SPAN_PER_TRANSACTION_MS: i64 = 24 * HOUR_MS;

/// The two kinds of roll-up: same columns, different slot length, table and horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tier {
    Hour,
    /// 5 minutes.
    Fine,
}

impl Tier {
    pub fn ms(self) -> i64 {
        match self {
            Tier::Hour => HOUR_MS,
            Tier::Fine => FIVE_MIN_MS,
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Tier::Hour => "rollups",
            Tier::Fine => "rollups_5m",
        }
    }

    /// The column holding a slot's first millisecond.
    pub fn column(self) -> &'static str {
        match self {
            Tier::Hour => "hour_ms",
            Tier::Fine => "start_ms",
        }
    }

    pub fn horizon(self) -> &'static str {
        match self {
            Tier::Hour => ROLLED_UNTIL,
            Tier::Fine => FINE_ROLLED_UNTIL,
        }
    }

    /// The start of the slot holding `ms` (right for negative times too).
    pub fn floor(self, ms: i64) -> i64 {
        ms.div_euclid(self.ms()) * self.ms()
    }

    pub fn ceil(self, ms: i64) -> i64 {
        let f = self.floor(ms);
        if f == ms {
            f
        } else {
            f + self.ms()
        }
    }

    /// The tier's place in per-tier tables (`sql.rs`).
    pub fn slot(self) -> usize {
        match self {
            Tier::Hour => 0,
            Tier::Fine => 1,
        }
    }
}

pub(crate) async fn meta(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM meta WHERE key = ?1")
        .bind(key)
        .fetch_optional(conn)
        .await
}

pub(crate) async fn set_meta(
    conn: &mut SqliteConnection,
    key: &str,
    value: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await
    .map(|_| ())
}

/// slot start, checks, ok, soft, latency sum, latencies (see `sql::rollup_stats`).
type SlotRow = (i64, i64, i64, i64, i64, Option<String>);

/// One target's hour or 5 minutes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rollup {
    pub start_ms: i64,
    pub checks: u64,
    pub ok: u64,
    pub soft: u64,
    pub hard: u64,
    /// Sum over ok and soft checks, like `hist`.
    pub latency_sum_ms: u64,
    pub hist: Histogram,
}

impl Rollup {
    pub fn empty(start_ms: i64) -> Self {
        Rollup {
            start_ms,
            ..Rollup::default()
        }
    }

    pub fn add(&mut self, class: Class, latency_ms: u64) {
        self.checks += 1;
        match class.severity() {
            Severity::Ok => self.ok += 1,
            Severity::Soft => self.soft += 1,
            Severity::Hard => {
                self.hard += 1;
                return;
            }
        }
        self.latency_sum_ms = self.latency_sum_ms.saturating_add(latency_ms);
        self.hist.add(latency_ms);
    }
}

pub(crate) async fn load_rollup(
    store: &Store,
    tx: &mut Transaction<'static, Sqlite>,
    tier: Tier,
    rid: i64,
    start_ms: i64,
) -> Result<Option<Rollup>, StoreError> {
    let row: Option<(i64, i64, i64, i64, i64, Vec<u8>)> = sqlx::query_as(sql::load_rollup(tier))
        .bind(rid)
        .bind(start_ms)
        .fetch_optional(&mut **tx)
        .await
        .map_err(store.db_err("read roll-up"))?;
    row.map(|(checks, ok, soft, hard, sum, blob)| {
        Ok(Rollup {
            start_ms,
            checks: to_u64(checks),
            ok: to_u64(ok),
            soft: to_u64(soft),
            hard: to_u64(hard),
            latency_sum_ms: to_u64(sum),
            hist: store.decode_hist(&blob)?,
        })
    })
    .transpose()
}

/// Slots of `tier` that ended before this are complete (see `SETTLE_MS`).
fn limit(tier: Tier, now_ms: i64) -> i64 {
    tier.floor(now_ms - SETTLE_MS)
}

/// Roll-ups written per statement by [`store_rollups`].
const ROLLUPS_PER_STATEMENT: usize = 64;

/// Writes (or replaces) one target's roll-ups, many per statement: a first roll of a day of
/// 5-minute slots is 288 rows per target, and one round trip per row would cost more than
/// SQLite's inserts.
pub(crate) async fn store_rollups(
    store: &Store,
    tx: &mut Transaction<'static, Sqlite>,
    tier: Tier,
    rid: i64,
    rollups: &[Rollup],
) -> Result<(), StoreError> {
    for chunk in rollups.chunks(ROLLUPS_PER_STATEMENT) {
        let mut sql = format!(
            "INSERT OR REPLACE INTO {} (target, {}, checks, ok, soft, hard, latency_sum_ms, hist) VALUES ",
            tier.table(),
            tier.column()
        );
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?,?,?)"
            } else {
                ",(?,?,?,?,?,?,?,?)"
            });
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(rid)
                .bind(r.start_ms)
                .bind(to_i64(r.checks))
                .bind(to_i64(r.ok))
                .bind(to_i64(r.soft))
                .bind(to_i64(r.hard))
                .bind(to_i64(r.latency_sum_ms))
                .bind(r.hist.encode());
        }
        q.execute(&mut **tx)
            .await
            .map_err(store.db_err("write roll-ups"))?;
    }
    Ok(())
}

impl Store {
    /// Where a new run's [`TrustedClock`](crate::TrustedClock) starts: the `now` of the last
    /// maintenance, or for a file from before that was kept, the latest check recorded.
    pub async fn trusted_seed(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let ms: Option<i64> = sqlx::query_scalar(
            "SELECT COALESCE((SELECT value FROM meta WHERE key = ?1),
                             (SELECT MAX(last_ts_ms) FROM target_state))",
        )
        .bind(MAINTAINED_AT)
        .fetch_one(&self.read_pool())
        .await
        .map_err(self.db_err("read the last maintenance time"))?;
        ms.map(|ms| self.time(ms)).transpose()
    }

    /// A horizon later than `now` was set by a clock that was ahead (or an older version that
    /// believed it): it would keep the hours up to it out of the raw reads and their checks out
    /// of normal roll-ups. Pull both back to `now`'s hour; the hours after it are rolled again
    /// from their raw checks when they are complete, which replaces any roll-up written for them
    /// meanwhile.
    async fn pull_back_horizons(&self, now_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let rolled = meta(&mut tx, ROLLED_UNTIL)
            .await
            .map_err(self.db_err("read roll-up horizon"))?;
        let fine = meta(&mut tx, FINE_ROLLED_UNTIL)
            .await
            .map_err(self.db_err("read 5-minute roll-up horizon"))?;
        let kept = meta(&mut tx, RAW_KEPT_FROM)
            .await
            .map_err(self.db_err("read raw horizon"))?;
        let now_hour = floor_hour(now_ms);
        if rolled.is_some_and(|r| r > now_hour)
            || fine.is_some_and(|r| r > Tier::Fine.floor(now_ms))
            || kept.is_some_and(|k| k > now_hour)
        {
            tracing::warn!(
                rolled_until_ms = ?rolled,
                fine_rolled_until_ms = ?fine,
                raw_kept_from_ms = ?kept,
                now_ms,
                "history horizons were in the future (the clock was ahead); pulling them back"
            );
            let limit = limit(Tier::Hour, now_ms);
            if rolled.is_some_and(|r| r > limit) {
                set_meta(&mut tx, ROLLED_UNTIL, limit)
                    .await
                    .map_err(self.db_err("pull back roll-up horizon"))?;
            }
            let fine_limit = self::limit(Tier::Fine, now_ms);
            if fine.is_some_and(|r| r > fine_limit) {
                set_meta(&mut tx, FINE_ROLLED_UNTIL, fine_limit)
                    .await
                    .map_err(self.db_err("pull back 5-minute roll-up horizon"))?;
            }
            if kept.is_some_and(|k| k > limit) {
                // The run ahead deleted the raw rows that existed then, so every raw row there
                // is now came after it and is whole: the horizon goes back to the first of them,
                // or checks written in the hour before `limit` would read as missing.
                let first: Option<i64> = sqlx::query_scalar("SELECT min(ts_ms) FROM checks")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(self.db_err("read the first raw check"))?;
                let back = first.map_or(limit, |first| first.min(limit));
                set_meta(&mut tx, RAW_KEPT_FROM, back)
                    .await
                    .map_err(self.db_err("pull back raw horizon"))?;
            }
        }
        tx.commit().await.map_err(self.db_err("commit"))
    }

    /// The engine records a sleep when the wall clock ran ahead of monotonic time, which is also
    /// what a clock set ahead looks like. Once the clock is back, such a "sleep" ends in the
    /// future and would make everything up to that end, the present included, read as unknown.
    /// Called with the wall clock (not the trusted one, which may lag a real sleep's end): every
    /// sleep ending after `now` (+ a minute) ends instead at the first check after its start,
    /// or at `now` if there is none yet.
    pub async fn end_future_sleeps(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now_ms = now.timestamp_millis();
        let mut tx = self.begin_write().await?;
        let future: Vec<(i64, i64)> =
            sqlx::query_as("SELECT from_ms, to_ms FROM sleeps WHERE to_ms > ?1")
                .bind(now_ms + 60_000)
                .fetch_all(&mut *tx)
                .await
                .map_err(self.db_err("read sleeps"))?;
        let rids = if future.is_empty() {
            Vec::new()
        } else {
            self.rids(&mut tx).await?
        };
        for &(from, to) in &future {
            let mut end = now_ms;
            for &rid in &rids {
                let first: Option<i64> = sqlx::query_scalar(
                    "SELECT MIN(ts_ms) FROM checks WHERE target = ?1 AND ts_ms > ?2 AND ts_ms <= ?3",
                )
                .bind(rid)
                .bind(from)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(self.db_err("find the first check after a sleep"))?;
                end = end.min(first.unwrap_or(now_ms));
            }
            tracing::warn!(
                from_ms = from,
                to_ms = to,
                now_ms,
                "a recorded sleep ends in the future: the clock had jumped ahead; ending it at {end}"
            );
            sqlx::query("UPDATE OR IGNORE sleeps SET to_ms = ?3 WHERE from_ms = ?1 AND to_ms = ?2")
                .bind(from)
                .bind(to)
                .bind(end.max(from))
                .execute(&mut *tx)
                .await
                .map_err(self.db_err("end a sleep in the future"))?;
        }
        tx.commit().await.map_err(self.db_err("commit"))?;
        Ok(future.len() as u64)
    }

    async fn rids(&self, conn: &mut SqliteConnection) -> Result<Vec<i64>, StoreError> {
        sqlx::query_scalar("SELECT rid FROM targets ORDER BY rid")
            .fetch_all(conn)
            .await
            .map_err(self.db_err("list targets"))
    }

    async fn earliest_check(
        &self,
        conn: &mut SqliteConnection,
        rids: &[i64],
    ) -> Result<Option<i64>, StoreError> {
        let mut earliest: Option<i64> = None;
        for &rid in rids {
            // Per target, so the (target, ts_ms) index answers instead of a table scan.
            let m: Option<i64> =
                sqlx::query_scalar("SELECT MIN(ts_ms) FROM checks WHERE target = ?1")
                    .bind(rid)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(self.db_err("find the oldest check"))?;
            earliest = match (earliest, m) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(earliest)
    }

    /// Rolls every complete slot of `tier` not yet rolled, a day per transaction; returns the
    /// tier's horizon. The hourly tier starts at the oldest check; the 5-minute one at the raw
    /// horizon at the earliest, since before it raw checks may be gone and 5-minute roll-ups are
    /// neither read nor kept there.
    async fn roll(
        &self,
        tier: Tier,
        now_ms: i64,
        report: &mut MaintenanceReport,
    ) -> Result<i64, StoreError> {
        let limit = limit(tier, now_ms);
        // Each step reads the horizon and the targets inside its own write transaction, so a
        // concurrent `write` (or another process) can never slip checks in between reading them
        // and advancing the horizon.
        loop {
            let mut tx = self.begin_write().await?;
            let rids = self.rids(&mut tx).await?;
            let rolled = meta(&mut tx, tier.horizon())
                .await
                .map_err(self.db_err("read roll-up horizon"))?;
            let start = match rolled {
                Some(r) => r,
                None => {
                    let earliest = self.earliest_check(&mut tx, &rids).await?;
                    let earliest = match tier {
                        Tier::Hour => earliest,
                        Tier::Fine => {
                            let kept = meta(&mut tx, RAW_KEPT_FROM)
                                .await
                                .map_err(self.db_err("read raw horizon"))?;
                            earliest.map(|e| kept.map_or(e, |k| e.max(k)))
                        }
                    };
                    earliest.map(|e| tier.floor(e)).unwrap_or(limit).min(limit)
                }
            };
            if start >= limit {
                if rolled.is_none() {
                    // Nothing to roll yet: still fix the horizon, so checks that arrive late for
                    // a slot before it are merged into roll-ups by `write`.
                    set_meta(&mut tx, tier.horizon(), start)
                        .await
                        .map_err(self.db_err("set roll-up horizon"))?;
                }
                tx.commit().await.map_err(self.db_err("commit"))?;
                return Ok(start);
            }
            let end = (start + SPAN_PER_TRANSACTION_MS).min(limit);
            for &rid in &rids {
                let rows: Vec<SlotRow> = sqlx::query_as(sql::rollup_stats(tier))
                    .bind(rid)
                    .bind(start)
                    .bind(end)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(self.db_err("read checks to roll up"))?;
                let mut slots = Vec::with_capacity(rows.len());
                for (slot, checks, ok, soft, sum, latencies) in rows {
                    let mut hist = Histogram::new();
                    sql::each_latency(latencies.as_deref(), |v| hist.add(v))
                        .map_err(|e| self.corrupt(e))?;
                    let (checks, ok, soft) = (to_u64(checks), to_u64(ok), to_u64(soft));
                    slots.push(Rollup {
                        start_ms: slot,
                        checks,
                        ok,
                        soft,
                        hard: checks.saturating_sub(ok + soft),
                        latency_sum_ms: to_u64(sum),
                        hist,
                    });
                }
                store_rollups(self, &mut tx, tier, rid, &slots).await?;
                match tier {
                    Tier::Hour => report.rollups_written += slots.len() as u64,
                    Tier::Fine => report.fine_rollups_written += slots.len() as u64,
                }
            }
            set_meta(&mut tx, tier.horizon(), end)
                .await
                .map_err(self.db_err("advance roll-up horizon"))?;
            tx.commit().await.map_err(self.db_err("commit"))?;
            if tier == Tier::Hour {
                report.hours_rolled += to_u64((end - start) / HOUR_MS);
            }
        }
    }

    pub(crate) fn decode_hist(&self, blob: &[u8]) -> Result<Histogram, StoreError> {
        Histogram::decode(blob).map_err(|e| self.corrupt(format!("roll-up histogram: {}", e.0)))
    }

    /// Rolls up every complete hour and 5-minute slot not yet rolled (slots that ended before
    /// `now` − 2 min), then applies retention: raw checks and 5-minute roll-ups older than
    /// `retention.raw` and hourly roll-ups older than
    /// `retention.rollups` are deleted (cut at hour boundaries), as are transitions, closed
    /// incidents and sleeps older than `retention.rollups` — except each target's latest
    /// transition, which still says what its status is. Idempotent: a second run with the same
    /// `now` changes nothing.
    ///
    /// Everything here goes by `now`: pass a [`TrustedClock`](crate::TrustedClock)'s time, not
    /// the raw wall clock, or a clock jump ahead deletes history. Horizons found later than `now`
    /// (the clock was ahead and came back) are pulled back to it.
    pub async fn maintain(
        &self,
        now: DateTime<Utc>,
        retention: &Retention,
    ) -> Result<MaintenanceReport, StoreError> {
        let now_ms = now.timestamp_millis();
        let mut report = MaintenanceReport::default();
        self.pull_back_horizons(now_ms).await?;
        let rolled_until = self.roll(Tier::Hour, now_ms, &mut report).await?;
        report.rolled_until = Some(self.time(rolled_until)?);
        let fine_until = self.roll(Tier::Fine, now_ms, &mut report).await?;
        report.fine_rolled_until = Some(self.time(fine_until)?);

        let raw_cutoff = floor_hour(now_ms.saturating_sub(retention.raw.num_milliseconds()))
            .min(rolled_until)
            .min(fine_until);
        let keep_cutoff = floor_hour(now_ms.saturating_sub(retention.rollups.num_milliseconds()));
        let mut tx = self.begin_write().await?;
        let rids = self.rids(&mut tx).await?;
        // Raw checks and 5-minute roll-ups go together; hourly roll-ups are kept longer.
        let deletes = [
            (
                "DELETE FROM checks WHERE target = ?1 AND ts_ms < ?2",
                raw_cutoff,
                "delete old checks",
            ),
            (
                "DELETE FROM rollups_5m WHERE target = ?1 AND start_ms < ?2",
                raw_cutoff,
                "delete old 5-minute roll-ups",
            ),
            (
                "DELETE FROM rollups WHERE target = ?1 AND hour_ms < ?2",
                keep_cutoff,
                "delete old roll-ups",
            ),
        ];
        let mut deleted = [0u64; 3];
        for &rid in &rids {
            for ((sql, cutoff, what), count) in deletes.iter().zip(&mut deleted) {
                *count += sqlx::query(sql)
                    .bind(rid)
                    .bind(*cutoff)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db_err(what))?
                    .rows_affected();
            }
        }
        let [checks, fine, hourly] = deleted;
        report.checks_deleted += checks;
        report.fine_rollups_deleted += fine;
        report.rollups_deleted += hourly;
        let kept_from = meta(&mut tx, RAW_KEPT_FROM)
            .await
            .map_err(self.db_err("read raw horizon"))?;
        if kept_from.is_none_or(|k| k < raw_cutoff) {
            set_meta(&mut tx, RAW_KEPT_FROM, raw_cutoff)
                .await
                .map_err(self.db_err("advance raw horizon"))?;
        }
        sqlx::query(
            "DELETE FROM transitions WHERE at_ms < ?1 AND rowid NOT IN (
                 SELECT (SELECT x.rowid FROM transitions x WHERE x.target = t.rid
                         ORDER BY x.at_ms DESC, x.rowid DESC LIMIT 1)
                 FROM targets t)",
        )
        .bind(keep_cutoff)
        .execute(&mut *tx)
        .await
        .map_err(self.db_err("delete old transitions"))?;
        sqlx::query("DELETE FROM incidents WHERE ended_ms IS NOT NULL AND ended_ms < ?1")
            .bind(keep_cutoff)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("delete old incidents"))?;
        sqlx::query("DELETE FROM provider_incidents WHERE ended_ms IS NOT NULL AND ended_ms < ?1")
            .bind(keep_cutoff)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("delete old provider incidents"))?;
        sqlx::query("DELETE FROM sleeps WHERE to_ms < ?1")
            .bind(keep_cutoff)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("delete old sleeps"))?;
        set_meta(&mut tx, MAINTAINED_AT, now_ms)
            .await
            .map_err(self.db_err("record the maintenance time"))?;
        tx.commit().await.map_err(self.db_err("commit"))?;
        Ok(report)
    }
}
