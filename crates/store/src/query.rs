//! Reads: snapshot, history, incidents, export. Each read runs in one transaction so it sees one
//! consistent state while the writer goes on.

use crate::hist::{exact_percentile, Histogram};
use crate::maintain::{meta, RAW_KEPT_FROM, ROLLED_UNTIL};
use crate::sql;
use crate::timeline;
use crate::{
    ceil_hour, floor_hour, kind_from_str, to_u64, CheckRow, History, Segment, Store, StoreError,
    TargetInfo, TargetSnapshot, HOUR_MS,
};
use chrono::{DateTime, Utc};
use monitor::{Incident, Outcome};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// Up to this long, and while raw checks are all kept, percentiles are computed exactly.
const EXACT_MAX_MS: i64 = 24 * HOUR_MS;

/// Counts and latencies gathered for a range.
#[derive(Default)]
struct Stats {
    checks: u64,
    failures: u64,
    /// Latencies of answered checks (ok or soft), when computing exactly.
    exact: Vec<u64>,
    /// The same as a histogram, when merging roll-ups.
    hist: Histogram,
}

impl Store {
    /// A column of a row of ours; a mismatch means someone else wrote into the file.
    fn get<'r, T>(&self, row: &'r SqliteRow, idx: usize) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        row.try_get(idx)
            .map_err(|e| self.corrupt(format!("column {idx}: {e}")))
    }

    /// The targets given to [`Store::upsert_targets`] (ever, not only the current configuration),
    /// by id. Targets only seen in events have no kind and are left out; see [`Store::snapshot`].
    pub async fn targets(&self) -> Result<Vec<TargetInfo>, StoreError> {
        let rows =
            sqlx::query("SELECT id, kind, name FROM targets WHERE kind IS NOT NULL ORDER BY id")
                .fetch_all(&self.read)
                .await
                .map_err(self.db_err("list targets"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = self.get(&row, 1)?;
            let Some(kind) = kind_from_str(&kind) else {
                tracing::warn!(%kind, "skipping a target of unknown kind in the history database");
                continue;
            };
            out.push(TargetInfo {
                id: self.get(&row, 0)?,
                kind,
                name: self.get::<Option<String>>(&row, 2)?.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// The latest state of every target the store knows, by id. Targets without any check or
    /// transition yet are `Unknown`.
    pub async fn snapshot(&self) -> Result<Vec<TargetSnapshot>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.kind, t.name, s.status, s.since_ms, s.score, s.last_outcome
             FROM targets t LEFT JOIN target_state s ON s.target = t.rid
             ORDER BY t.id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(self.db_err("read snapshot"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let target: String = self.get(&row, 0)?;
            let kind = self
                .get::<Option<String>>(&row, 1)?
                .and_then(|k| kind_from_str(&k));
            let status = match self.get::<Option<i64>>(&row, 3)? {
                Some(code) => self.status(code)?,
                None => monitor::Status::Unknown,
            };
            let since = self
                .get::<Option<i64>>(&row, 4)?
                .map(|ms| self.time(ms))
                .transpose()?;
            // A last outcome this version cannot read (written by another version) only costs
            // the details panel, not the whole snapshot.
            let last = self.get::<Option<String>>(&row, 6)?
                .and_then(|json| match serde_json::from_str::<Outcome>(&json) {
                    Ok(o) => Some(o),
                    Err(e) => {
                        tracing::warn!(%target, error = %e, "unreadable last outcome in the history database");
                        None
                    }
                });
            out.push(TargetSnapshot {
                target,
                kind,
                name: self.get(&row, 2)?,
                status,
                since,
                score: self.get(&row, 5)?,
                last,
            });
        }
        Ok(out)
    }

    /// One target's history over `[from, to)`: status timeline and uptime, check counts, latency
    /// percentiles and incidents. See [`History`] and [`Segment`] for the exact semantics.
    ///
    /// Whole hours already rolled up are read from the hourly roll-ups, the rest (the partial
    /// hours at the edges and hours not rolled up yet) from raw checks. Where raw checks are gone
    /// (older than raw retention), a partial edge hour is left out: only hours wholly inside the
    /// range count there.
    pub async fn history(
        &self,
        target: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<History, StoreError> {
        if from > to {
            return Err(StoreError::BadRange { from, to });
        }
        let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
        let mut tx = self.read.begin().await.map_err(self.db_err("begin"))?;
        let rid: i64 = sqlx::query_scalar("SELECT rid FROM targets WHERE id = ?1")
            .bind(target)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.db_err("look up target"))?
            .ok_or_else(|| StoreError::UnknownTarget {
                path: self.location.to_string(),
                target: target.to_string(),
            })?;

        let spans = self.timeline(&mut tx, rid, f, t).await?;
        let stats = self.stats(&mut tx, rid, f, t).await?;
        let incidents = self.incidents_in(&mut tx, Some(target), from, to).await?;
        tx.commit().await.map_err(self.db_err("end read"))?;

        let mut segments = Vec::with_capacity(spans.len());
        for s in &spans {
            segments.push(Segment {
                from: self.time(s.from)?,
                to: self.time(s.to)?,
                status: s.status,
            });
        }
        let (p50, p90, p99) = if stats.exact.is_empty() {
            (
                stats.hist.percentile(50.0),
                stats.hist.percentile(90.0),
                stats.hist.percentile(99.0),
            )
        } else {
            let mut v = stats.exact;
            v.sort_unstable();
            (
                exact_percentile(&v, 50.0),
                exact_percentile(&v, 90.0),
                exact_percentile(&v, 99.0),
            )
        };
        Ok(History {
            target: target.to_string(),
            from,
            to,
            uptime_pct: timeline::uptime_pct(&spans),
            checks: stats.checks,
            failures: stats.failures,
            error_rate: (stats.checks > 0).then(|| stats.failures as f64 / stats.checks as f64),
            p50_ms: p50,
            p90_ms: p90,
            p99_ms: p99,
            segments,
            incidents,
        })
    }

    async fn timeline(
        &self,
        conn: &mut SqliteConnection,
        rid: i64,
        f: i64,
        t: i64,
    ) -> Result<Vec<timeline::Span>, StoreError> {
        let initial: Option<i64> = sqlx::query_scalar(
            "SELECT to_status FROM transitions WHERE target = ?1 AND at_ms <= ?2
             ORDER BY at_ms DESC, rowid DESC LIMIT 1",
        )
        .bind(rid)
        .bind(f)
        .fetch_optional(&mut *conn)
        .await
        .map_err(self.db_err("read status at range start"))?;
        let initial = match initial {
            Some(code) => self.status(code)?,
            None => monitor::Status::Unknown,
        };
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT at_ms, to_status FROM transitions WHERE target = ?1 AND at_ms > ?2 AND at_ms < ?3
             ORDER BY at_ms, rowid",
        )
        .bind(rid)
        .bind(f)
        .bind(t)
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db_err("read transitions"))?;
        let mut transitions = Vec::with_capacity(rows.len());
        for (at, code) in rows {
            transitions.push((at, self.status(code)?));
        }
        let sleeps: Vec<(i64, i64)> =
            sqlx::query_as("SELECT from_ms, to_ms FROM sleeps WHERE from_ms < ?2 AND to_ms > ?1")
                .bind(f)
                .bind(t)
                .fetch_all(&mut *conn)
                .await
                .map_err(self.db_err("read sleeps"))?;
        Ok(timeline::build(f, t, initial, &transitions, &sleeps))
    }

    async fn stats(
        &self,
        conn: &mut SqliteConnection,
        rid: i64,
        f: i64,
        t: i64,
    ) -> Result<Stats, StoreError> {
        let raw_from = meta(conn, RAW_KEPT_FROM)
            .await
            .map_err(self.db_err("read raw horizon"))?
            .unwrap_or(i64::MIN);
        let rolled_until = meta(conn, ROLLED_UNTIL)
            .await
            .map_err(self.db_err("read roll-up horizon"))?
            .unwrap_or(i64::MIN);
        let mut stats = Stats::default();

        if t - f <= EXACT_MAX_MS && f >= raw_from {
            self.add_raw(conn, rid, f, t, &mut stats, true).await?;
            return Ok(stats);
        }

        // Whole hours that are rolled up come from roll-ups; the rest from raw checks.
        let first_whole = ceil_hour(f);
        let rolled_end = floor_hour(t).min(rolled_until);
        let (raw_a, raw_b) = if first_whole < rolled_end {
            let rows: Vec<(i64, i64, i64, Vec<u8>)> = sqlx::query_as(
                "SELECT checks, ok, soft, hist FROM rollups
                 WHERE target = ?1 AND hour_ms >= ?2 AND hour_ms < ?3",
            )
            .bind(rid)
            .bind(first_whole)
            .bind(rolled_end)
            .fetch_all(&mut *conn)
            .await
            .map_err(self.db_err("read roll-ups"))?;
            for (checks, ok, soft, blob) in rows {
                let checks = to_u64(checks);
                stats.checks += checks;
                stats.failures += checks.saturating_sub(to_u64(ok) + to_u64(soft));
                stats.hist.merge(&self.decode_hist(&blob)?);
            }
            ((f, first_whole), (rolled_end, t))
        } else {
            ((f, t), (t, t))
        };
        // Raw rows before `raw_from` may be partly deleted: never count a half-deleted hour.
        for (a, b) in [raw_a, raw_b] {
            let a = a.max(raw_from);
            if a < b {
                self.add_raw(conn, rid, a, b, &mut stats, false).await?;
            }
        }
        Ok(stats)
    }

    async fn add_raw(
        &self,
        conn: &mut SqliteConnection,
        rid: i64,
        a: i64,
        b: i64,
        stats: &mut Stats,
        exact: bool,
    ) -> Result<(), StoreError> {
        let (checks, failures, latencies): (i64, i64, Option<String>) =
            sqlx::query_as(sql::range_stats())
                .bind(rid)
                .bind(a)
                .bind(b)
                .fetch_one(&mut *conn)
                .await
                .map_err(self.db_err("read checks"))?;
        stats.checks += to_u64(checks);
        stats.failures += to_u64(failures);
        let added = if exact {
            sql::each_latency(latencies.as_deref(), |v| stats.exact.push(v))
        } else {
            sql::each_latency(latencies.as_deref(), |v| stats.hist.add(v))
        };
        added.map_err(|e| self.corrupt(e))
    }

    /// Incidents touching `[from, to]` (an open incident lasts until now), newest first; of one
    /// target, or of all.
    pub async fn incidents(
        &self,
        target: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.read.acquire().await.map_err(self.db_err("connect"))?;
        self.incidents_in(&mut conn, target, from, to).await
    }

    async fn incidents_in(
        &self,
        conn: &mut SqliteConnection,
        target: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Incident>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, i.started_ms, i.ended_ms, i.worst, i.cause, i.message
             FROM incidents i JOIN targets t ON t.rid = i.target
             WHERE (?1 IS NULL OR t.id = ?1)
               AND i.started_ms <= ?3 AND (i.ended_ms IS NULL OR i.ended_ms >= ?2)
             ORDER BY i.started_ms DESC, t.id",
        )
        .bind(target)
        .bind(from.timestamp_millis())
        .bind(to.timestamp_millis())
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db_err("read incidents"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(Incident {
                target: self.get(&row, 0)?,
                started_at: self.time(self.get(&row, 1)?)?,
                ended_at: self
                    .get::<Option<i64>>(&row, 2)?
                    .map(|ms| self.time(ms))
                    .transpose()?,
                worst: self.status(self.get(&row, 3)?)?,
                cause: self.class(self.get(&row, 4)?)?,
                message: self.get(&row, 5)?,
            });
        }
        Ok(out)
    }

    /// Raw checks in `[from, to)`, of one target or all, oldest first (for export). Only checks
    /// within raw retention are still there.
    pub async fn checks(
        &self,
        target: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CheckRow>, StoreError> {
        // `target IN (…)` lets SQLite walk the (target, ts_ms) index once per target instead of
        // scanning the whole table when all targets are wanted.
        let rows = sqlx::query(
            "SELECT t.id, c.ts_ms, c.class, c.status, c.http_status, c.latency_ms, c.message,
                    c.ttft_ms, c.tokens_in, c.tokens_out
             FROM checks c JOIN targets t ON t.rid = c.target
             WHERE c.target IN (SELECT rid FROM targets WHERE ?1 IS NULL OR id = ?1)
               AND c.ts_ms >= ?2 AND c.ts_ms < ?3
             ORDER BY c.ts_ms, c.rowid",
        )
        .bind(target)
        .bind(from.timestamp_millis())
        .bind(to.timestamp_millis())
        .fetch_all(&self.read)
        .await
        .map_err(self.db_err("read checks"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(CheckRow {
                target: self.get(&row, 0)?,
                at: self.time(self.get(&row, 1)?)?,
                class: self.class(self.get(&row, 2)?)?,
                status: self.status(self.get(&row, 3)?)?,
                http_status: self
                    .get::<Option<i64>>(&row, 4)?
                    .and_then(|s| u16::try_from(s).ok()),
                latency_ms: to_u64(self.get(&row, 5)?),
                message: self.get(&row, 6)?,
                ttft_ms: self.get::<Option<i64>>(&row, 7)?.map(to_u64),
                tokens_in: self.get::<Option<i64>>(&row, 8)?.map(to_u64),
                tokens_out: self.get::<Option<i64>>(&row, 9)?.map(to_u64),
            });
        }
        Ok(out)
    }
}
