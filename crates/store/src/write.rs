//! Writing events: one transaction per batch.

use crate::maintain::{self, Rollup, Tier};
use crate::provider::Reported;
use crate::sql::{self, INSERT_SIZES};
use crate::{locked, to_i64, Store, StoreError, TargetInfo};
use monitor::{Event, Outcome, Status};
use sqlx::{Sqlite, Transaction};
use std::collections::HashMap;

/// One `checks` row waiting for its multi-row insert.
struct CheckValues<'a> {
    rid: i64,
    ts: i64,
    class: i64,
    status: i64,
    http_status: Option<i64>,
    latency_ms: i64,
    message: Option<&'a str>,
    ttft_ms: Option<i64>,
    tokens_in: Option<i64>,
    tokens_out: Option<i64>,
}

/// What a batch leaves as a target's latest state.
#[derive(Default)]
struct Latest<'a> {
    status: Option<Status>,
    since_ms: Option<i64>,
    /// `since_ms` came from the batch's first check, which cannot know whether the status was
    /// already in force before the batch: if the stored status is the same, the stored `since` wins.
    since_tentative: bool,
    score: Option<f64>,
    last_ts_ms: Option<i64>,
    /// Encoded once per batch, not once per check.
    last_outcome: Option<&'a Outcome>,
}

impl Store {
    /// Records the configured targets' kind and name, creating rows for new ones. Targets missing
    /// from `targets` are kept: their history stays readable.
    pub async fn upsert_targets(&self, targets: &[TargetInfo]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for t in targets {
            sqlx::query(
                "INSERT INTO targets (id, kind, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name",
            )
            .bind(&t.id)
            .bind(t.kind.as_str())
            .bind(&t.name)
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("upsert target"))?;
        }
        tx.commit().await.map_err(self.db_err("commit"))
    }

    /// Writes events in one transaction, in order. Unknown target ids get a row (without kind or
    /// name) automatically. A check older than a roll-up horizon — it arrived after its hour or
    /// 5 minutes were rolled up — is added to that roll-up too, so roll-ups always agree with raw
    /// rows.
    pub async fn write(&self, events: &[Event]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let horizons: (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT value FROM meta WHERE key = ?1), (SELECT value FROM meta WHERE key = ?2)",
        )
        .bind(Tier::Hour.horizon())
        .bind(Tier::Fine.horizon())
        .fetch_one(&mut *tx)
        .await
        .map_err(self.db_err("read roll-up horizons"))?;
        let rolled_until = [(Tier::Hour, horizons.0), (Tier::Fine, horizons.1)];
        let mut rids: HashMap<&str, i64> = HashMap::new();
        let mut latest: HashMap<i64, Latest> = HashMap::new();
        let mut late: HashMap<(Tier, i64, i64), Vec<(monitor::Class, u64)>> = HashMap::new();
        let mut rows: Vec<CheckValues> = Vec::with_capacity(events.len());
        let mut reported: Vec<Reported> = Vec::new();

        for event in events {
            match event {
                Event::Checked(c) => {
                    let rid = self.rid(&mut tx, &mut rids, &c.target).await?;
                    let o = &c.outcome;
                    let ts = o.at.timestamp_millis();
                    let tokens = o.details.tokens;
                    rows.push(CheckValues {
                        rid,
                        ts,
                        class: i64::from(o.class.code()),
                        status: i64::from(c.status.code()),
                        http_status: o.http_status.map(i64::from),
                        latency_ms: to_i64(o.latency_ms),
                        message: (!o.message.is_empty()).then_some(o.message.as_str()),
                        ttft_ms: o.details.ttft_ms.map(to_i64),
                        tokens_in: tokens.map(|t| to_i64(t.input)),
                        tokens_out: tokens.map(|t| to_i64(t.output)),
                    });
                    for (tier, until) in rolled_until {
                        if until.is_some_and(|r| ts < r) {
                            late.entry((tier, rid, tier.floor(ts)))
                                .or_default()
                                .push((o.class, o.latency_ms));
                        }
                    }

                    reported.push(Reported {
                        rid,
                        ts,
                        status: o.details.provider_status.as_ref(),
                    });

                    let l = latest.entry(rid).or_default();
                    if l.status != Some(c.status) {
                        l.since_tentative = l.status.is_none();
                        l.status = Some(c.status);
                        l.since_ms = Some(ts);
                    }
                    l.score = Some(c.score);
                    l.last_ts_ms = Some(ts);
                    l.last_outcome = Some(o);
                }
                Event::Transition(t) => {
                    let rid = self.rid(&mut tx, &mut rids, &t.target).await?;
                    let at = t.at.timestamp_millis();
                    sqlx::query(
                        "INSERT INTO transitions (target, at_ms, from_status, to_status, class, reason)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .bind(rid)
                    .bind(at)
                    .bind(i64::from(t.from.code()))
                    .bind(i64::from(t.to.code()))
                    .bind(i64::from(t.class.code()))
                    .bind(&t.reason)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db_err("insert transition"))?;
                    let l = latest.entry(rid).or_default();
                    l.status = Some(t.to);
                    l.since_ms = Some(at);
                    l.since_tentative = false;
                }
                Event::Incident(i) => {
                    let rid = self.rid(&mut tx, &mut rids, &i.target).await?;
                    sqlx::query(
                        "INSERT INTO incidents (target, started_ms, ended_ms, worst, cause, message)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT(target, started_ms) DO UPDATE SET
                             ended_ms = excluded.ended_ms, worst = excluded.worst,
                             cause = excluded.cause, message = excluded.message",
                    )
                    .bind(rid)
                    .bind(i.started_at.timestamp_millis())
                    // A clock set back while the incident was open would end it before it began.
                    .bind(i.ended_at.map(|t| t.max(i.started_at).timestamp_millis()))
                    .bind(i64::from(i.worst.code()))
                    .bind(i64::from(i.cause.code()))
                    .bind(&i.message)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db_err("upsert incident"))?;
                }
                Event::Slept { from, to } => {
                    sqlx::query("INSERT OR IGNORE INTO sleeps (from_ms, to_ms) VALUES (?1, ?2)")
                        .bind(from.timestamp_millis())
                        .bind(to.timestamp_millis())
                        .execute(&mut *tx)
                        .await
                        .map_err(self.db_err("insert sleep"))?;
                }
            }
        }

        // One target's checks side by side: they go to the same place in `checks_by_target_ts`,
        // one after the other into the page the last one left warm, and the batch dirties about
        // a tenth fewer index pages (measured: WAL frames per commit), each a 4 KB write.
        rows.sort_by_key(|r| r.rid);
        self.insert_checks(&mut tx, &rows).await?;
        let provider_seen = self.write_provider_incidents(&mut tx, &reported).await?;

        for ((tier, rid, slot), checks) in late {
            let mut r = maintain::load_rollup(self, &mut tx, tier, rid, slot)
                .await?
                .unwrap_or_else(|| Rollup::empty(slot));
            for (class, latency) in checks {
                r.add(class, latency);
            }
            maintain::store_rollups(self, &mut tx, tier, rid, std::slice::from_ref(&r)).await?;
        }

        self.update_states(&mut tx, latest).await?;

        tx.commit().await.map_err(self.db_err("commit"))?;
        // Only now are new targets' rows, and what was written of providers' incidents, there
        // for good.
        locked(&self.shared.provider_seen).extend(provider_seen);
        let mut known = locked(&self.shared.rids);
        for (id, rid) in rids {
            if !known.contains_key(id) {
                known.insert(id.to_string(), rid);
            }
        }
        Ok(())
    }

    /// Every target's latest state in one statement: per statement, sqlx's round trip to its
    /// connection thread costs more than SQLite's update itself.
    async fn update_states(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        latest: HashMap<i64, Latest<'_>>,
    ) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(latest.len());
        let mut tentative = Vec::new();
        for (rid, l) in latest {
            let Some(status) = l.status else { continue };
            let last_outcome = l
                .last_outcome
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| self.corrupt(format!("cannot encode the outcome as JSON: {e}")))?;
            if l.since_tentative {
                tentative.push(rid.to_string());
            }
            rows.push((rid, status, l.since_ms, l.score, l.last_ts_ms, last_outcome));
        }
        if rows.is_empty() {
            return Ok(());
        }
        let mut sql = String::with_capacity(600 + rows.len() * 16);
        sql.push_str(
            "INSERT INTO target_state (target, status, since_ms, score, last_ts_ms, last_outcome) VALUES ",
        );
        for i in 0..rows.len() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?)"
            } else {
                ",(?,?,?,?,?,?)"
            });
        }
        // A tentative `since` (from the batch's first check) yields to the stored one when the
        // status did not change.
        sql.push_str(
            " ON CONFLICT(target) DO UPDATE SET
                 since_ms = CASE WHEN excluded.target IN (SELECT value FROM json_each(?))
                                      AND target_state.status = excluded.status
                                 THEN target_state.since_ms ELSE excluded.since_ms END,
                 status = excluded.status,
                 score = COALESCE(excluded.score, target_state.score),
                 last_ts_ms = COALESCE(excluded.last_ts_ms, target_state.last_ts_ms),
                 last_outcome = COALESCE(excluded.last_outcome, target_state.last_outcome)",
        );
        let mut q = sqlx::query(&sql);
        for (rid, status, since, score, last_ts, last_outcome) in rows {
            q = q
                .bind(rid)
                .bind(i64::from(status.code()))
                .bind(since)
                .bind(score)
                .bind(last_ts)
                .bind(last_outcome);
        }
        q.bind(format!("[{}]", tentative.join(",")))
            .execute(&mut **tx)
            .await
            .map_err(self.db_err("update target state"))?;
        Ok(())
    }

    /// Multi-row inserts: per statement, sqlx's round trip to its connection thread costs more than
    /// SQLite's insert itself.
    async fn insert_checks(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        rows: &[CheckValues<'_>],
    ) -> Result<(), StoreError> {
        let mut rest = rows;
        for size in INSERT_SIZES {
            while rest.len() >= size {
                let (chunk, tail) = rest.split_at(size);
                rest = tail;
                let mut q = sqlx::query(sql::insert_checks(size));
                for r in chunk {
                    q = q
                        .bind(r.rid)
                        .bind(r.ts)
                        .bind(r.class)
                        .bind(r.status)
                        .bind(r.http_status)
                        .bind(r.latency_ms)
                        .bind(r.message)
                        .bind(r.ttft_ms)
                        .bind(r.tokens_in)
                        .bind(r.tokens_out);
                }
                q.execute(&mut **tx)
                    .await
                    .map_err(self.db_err("insert checks"))?;
            }
        }
        Ok(())
    }

    async fn rid<'a>(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        cache: &mut HashMap<&'a str, i64>,
        target: &'a str,
    ) -> Result<i64, StoreError> {
        if let Some(&rid) = cache.get(target) {
            return Ok(rid);
        }
        if let Some(&rid) = crate::locked(&self.shared.rids).get(target) {
            cache.insert(target, rid);
            return Ok(rid);
        }
        // DO UPDATE (a no-op) rather than DO NOTHING so RETURNING yields the existing row too.
        let rid: i64 = sqlx::query_scalar(
            "INSERT INTO targets (id) VALUES (?1)
             ON CONFLICT(id) DO UPDATE SET id = excluded.id
             RETURNING rid",
        )
        .bind(target)
        .fetch_one(&mut **tx)
        .await
        .map_err(self.db_err("look up target"))?;
        cache.insert(target, rid);
        Ok(rid)
    }
}
