//! Reads: snapshot, history, incidents, export. Each read runs in one transaction so it sees one
//! consistent state while the writer goes on.

use crate::series::TargetSet;
use crate::timeline;
use crate::{
    kind_from_str, to_u64, Beat, CheckRow, Store, StoreError, TargetInfo, TargetSnapshot,
    MAX_RECENT_CHECKS,
};
use chrono::{DateTime, Utc};
use monitor::{Incident, Outcome};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

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
                .fetch_all(&self.read_pool())
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
        .fetch_all(&self.read_pool())
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

    /// Each target's status timeline over `[f, t)` (see [`Segment`](crate::Segment)), in `set`
    /// order.
    pub(crate) async fn status_spans(
        &self,
        conn: &mut SqliteConnection,
        set: &TargetSet,
        f: i64,
        t: i64,
    ) -> Result<Vec<Vec<timeline::Span>>, StoreError> {
        let initial: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT j.value,
                    (SELECT x.to_status FROM transitions x WHERE x.target = j.value AND x.at_ms <= ?2
                     ORDER BY x.at_ms DESC, x.rowid DESC LIMIT 1)
             FROM json_each(?1) j",
        )
        .bind(&set.json)
        .bind(f)
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db_err("read status at range start"))?;
        let mut starts = vec![monitor::Status::Unknown; set.rids.len()];
        for (rid, code) in initial {
            if let (Some(p), Some(code)) = (set.pos(rid), code) {
                starts[p] = self.status(code)?;
            }
        }
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT target, at_ms, to_status FROM transitions
             WHERE target IN (SELECT value FROM json_each(?1)) AND at_ms > ?2 AND at_ms < ?3
             ORDER BY target, at_ms, rowid",
        )
        .bind(&set.json)
        .bind(f)
        .bind(t)
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db_err("read transitions"))?;
        let mut transitions: Vec<Vec<(i64, monitor::Status)>> = vec![Vec::new(); set.rids.len()];
        for (rid, at, code) in rows {
            if let Some(p) = set.pos(rid) {
                transitions[p].push((at, self.status(code)?));
            }
        }
        let sleeps: Vec<(i64, i64)> =
            sqlx::query_as("SELECT from_ms, to_ms FROM sleeps WHERE from_ms < ?2 AND to_ms > ?1")
                .bind(f)
                .bind(t)
                .fetch_all(&mut *conn)
                .await
                .map_err(self.db_err("read sleeps"))?;
        Ok(starts
            .into_iter()
            .zip(&transitions)
            .map(|(initial, tr)| timeline::build(f, t, initial, tr, &sleeps))
            .collect())
    }

    /// Each target's incidents touching `[from, to]`, newest first, in `set` order.
    pub(crate) async fn incidents_of(
        &self,
        conn: &mut SqliteConnection,
        set: &TargetSet,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Vec<Incident>>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, i.started_ms, i.ended_ms, i.worst, i.cause, i.message, i.target
             FROM incidents i JOIN targets t ON t.rid = i.target
             WHERE i.target IN (SELECT value FROM json_each(?1))
               AND i.started_ms <= ?3 AND (i.ended_ms IS NULL OR i.ended_ms >= ?2)
             ORDER BY i.started_ms DESC",
        )
        .bind(&set.json)
        .bind(from.timestamp_millis())
        .bind(to.timestamp_millis())
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db_err("read incidents"))?;
        let mut out = vec![Vec::new(); set.rids.len()];
        for row in rows {
            if let Some(p) = set.pos(self.get(&row, 6)?) {
                out[p].push(self.incident(&row)?);
            }
        }
        Ok(out)
    }

    /// Incidents touching `[from, to]` (an open incident lasts until now), newest first; of one
    /// target, or of all.
    pub async fn incidents(
        &self,
        target: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self
            .read_pool()
            .acquire()
            .await
            .map_err(self.db_err("connect"))?;
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
        rows.iter().map(|row| self.incident(row)).collect()
    }

    /// An incident from columns id, started, ended, worst, cause, message.
    fn incident(&self, row: &SqliteRow) -> Result<Incident, StoreError> {
        let started_at = self.time(self.get(row, 1)?)?;
        Ok(Incident {
            target: self.get(row, 0)?,
            started_at,
            // Rows written before `write` clamped the end can still end before they start.
            ended_at: self
                .get::<Option<i64>>(row, 2)?
                .map(|ms| self.time(ms).map(|t| t.max(started_at)))
                .transpose()?,
            worst: self.status(self.get(row, 3)?)?,
            cause: self.class(self.get(row, 4)?)?,
            message: self.get(row, 5)?,
        })
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
        .fetch_all(&self.read_pool())
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

    /// Each target's last `limit` checks (at most [`MAX_RECENT_CHECKS`]), oldest first, in one
    /// consistent read. A target without checks yet has an empty list.
    pub async fn recent_checks(
        &self,
        ids: &[&str],
        limit: usize,
    ) -> Result<Vec<Vec<Beat>>, StoreError> {
        let limit = i64::try_from(limit.min(MAX_RECENT_CHECKS)).unwrap_or(0);
        let mut tx = self
            .read_pool()
            .begin()
            .await
            .map_err(self.db_err("begin"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            // One target at a time: its newest rows are a short walk down the (target, ts_ms)
            // index, where a window over every target would read all their checks.
            let rows = sqlx::query(
                "SELECT c.ts_ms, c.class, c.status, c.latency_ms FROM checks c
                 WHERE c.target = (SELECT rid FROM targets WHERE id = ?1)
                 ORDER BY c.ts_ms DESC, c.rowid DESC LIMIT ?2",
            )
            .bind(id)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .map_err(self.db_err("read recent checks"))?;
            let mut beats = Vec::with_capacity(rows.len());
            for row in rows.iter().rev() {
                beats.push(Beat {
                    at: self.time(self.get(row, 0)?)?,
                    class: self.class(self.get(row, 1)?)?,
                    status: self.status(self.get(row, 2)?)?,
                    latency_ms: to_u64(self.get(row, 3)?),
                });
            }
            out.push(beats);
        }
        tx.commit().await.map_err(self.db_err("end read"))?;
        Ok(out)
    }
}
