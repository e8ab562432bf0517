//! What the dashboard shows: one target's history with its latency series, and the same for
//! every target at once. The desktop app and the HTTP server both answer with these.

use crate::open::READ_CONNECTIONS;
use crate::series::{Buckets, Horizons, Plan, Stats, TargetSet};
use crate::timeline;
use crate::{History, Range, Segment, Store, StoreError, TargetInfo};
use chrono::{DateTime, Utc};
use monitor::Kind;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use std::collections::HashMap;
use ts_rs::TS;
use utoipa::ToSchema;

/// Latency points when the caller does not say.
pub const DEFAULT_BUCKETS: u32 = 120;
/// More points than any chart is wide.
pub const MAX_BUCKETS: u32 = 1000;

/// A time window as the UI asks for it: a named range ending now, or explicit ends. Every field
/// may be left out (or null).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "RangeArgs")]
#[schema(as = RangeArgs)]
pub struct WindowArgs {
    /// One of `1h 6h 24h 7d 30d`; `24h` when absent.
    #[ts(optional, as = "Option<Range>")]
    #[schema(value_type = Option<Range>)]
    pub range: Option<String>,
    /// Overrides the start (default: `to` minus the range).
    #[ts(optional)]
    pub from: Option<DateTime<Utc>>,
    /// Overrides the end (default: now).
    #[ts(optional)]
    pub to: Option<DateTime<Utc>>,
    /// Latency points, 120 when absent, clamped to 1..=1000.
    #[ts(optional)]
    pub buckets: Option<u32>,
}

/// A resolved window: `[from, to)` split into `buckets` latency points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub buckets: u32,
}

impl WindowArgs {
    pub fn resolve(&self, now: DateTime<Utc>) -> Result<Window, StoreError> {
        let range = match &self.range {
            Some(r) => r.parse::<Range>()?,
            None => Range::H24,
        };
        // The history keeps milliseconds: a window in finer units would not match its buckets.
        let to = whole_ms(self.to.unwrap_or(now));
        let from = whole_ms(self.from.unwrap_or(to - range.duration()));
        if from > to {
            return Err(StoreError::BadRange { from, to });
        }
        Ok(Window {
            from,
            to,
            buckets: self
                .buckets
                .unwrap_or(DEFAULT_BUCKETS)
                .clamp(1, MAX_BUCKETS),
        })
    }
}

/// The incident list's arguments: one target or all, over a range ending now (the last 30 days
/// when absent), at most `limit` (500 when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct IncidentArgs {
    /// A target's id; every target when absent or null.
    #[ts(optional = nullable)]
    pub target: Option<String>,
    /// One of `1h 6h 24h 7d 30d`; `30d` when absent.
    #[ts(optional, as = "Option<Range>")]
    #[schema(value_type = Option<Range>)]
    pub range: Option<String>,
    /// At most this many incidents, 500 when absent.
    #[ts(optional)]
    pub limit: Option<usize>,
}

const DEFAULT_INCIDENT_RANGE: &str = "30d";
const DEFAULT_INCIDENT_LIMIT: usize = 500;

impl IncidentArgs {
    fn window(&self, now: DateTime<Utc>) -> Result<Window, StoreError> {
        WindowArgs {
            range: Some(
                self.range
                    .clone()
                    .unwrap_or_else(|| DEFAULT_INCIDENT_RANGE.into()),
            ),
            ..WindowArgs::default()
        }
        .resolve(now)
    }
}

fn whole_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// RFC 3339 exactly as chrono writes it, built as one string: chrono's own `Serialize` goes
/// through the formatter a character at a time, which was a tenth of a timeline's JSON time.
fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// One bucket of the latency series: checks in `[from, to)`, failures among them (hard
/// severity, as in [`History`]), and percentiles of the answered ones. Buckets narrower than
/// 5 minutes are read from raw checks (exact); wider ones from 5-minute roll-ups, buckets an hour
/// wide or more from hourly ones, and stretches whose raw checks retention removed from hourly
/// roll-ups (within 2 %; a rolled-up slot counts in the bucket holding its middle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct LatencyPoint {
    #[serde(serialize_with = "rfc3339")]
    pub from: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub to: DateTime<Utc>,
    #[ts(type = "number")]
    pub checks: u64,
    #[ts(type = "number")]
    pub failures: u64,
    #[ts(type = "number | null")]
    #[schema(required = true)]
    pub p50_ms: Option<u64>,
    #[ts(type = "number | null")]
    #[schema(required = true)]
    pub p90_ms: Option<u64>,
}

/// A target's [`History`] with its name, kind and latency series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct HistoryView {
    #[serde(flatten)]
    pub history: History,
    pub name: String,
    pub kind: Kind,
    pub latency: Vec<LatencyPoint>,
}

/// Every target's view over one window, in the order asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TimelineView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub targets: Vec<HistoryView>,
    /// Maintenance windows and snoozes within the window, drawn as bands. The store knows
    /// none: the core fills them in.
    #[serde(default)]
    pub maintenance: Vec<monitor::config::MaintenanceBand>,
    /// What the targets' providers reported within the window, newest first: context bands,
    /// never part of a target's status.
    #[serde(default)]
    pub provider_incidents: Vec<crate::ProviderIncidentSpan>,
}

impl Store {
    /// The incidents list of the UI, newest first (see [`IncidentArgs`] for the defaults).
    pub async fn recent_incidents(
        &self,
        args: &IncidentArgs,
        now: DateTime<Utc>,
    ) -> Result<Vec<monitor::Incident>, StoreError> {
        let window = args.window(now)?;
        let mut list = self
            .incidents(args.target.as_deref(), window.from, window.to)
            .await?;
        list.truncate(args.limit.unwrap_or(DEFAULT_INCIDENT_LIMIT));
        Ok(list)
    }

    /// Providers' incidents as [`Store::recent_incidents`] reads targets' own: one target or all,
    /// over the range (30 days when absent), newest first, at most `limit`.
    pub async fn recent_provider_incidents(
        &self,
        args: &IncidentArgs,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::ProviderIncidentSpan>, StoreError> {
        let window = args.window(now)?;
        let mut list = self
            .provider_incidents(args.target.as_deref(), window.from, window.to)
            .await?;
        list.truncate(args.limit.unwrap_or(DEFAULT_INCIDENT_LIMIT));
        Ok(list)
    }

    /// One target's history over `[from, to)`: status timeline and uptime, check counts, latency
    /// percentiles and incidents. See [`History`] and [`Segment`] for the exact semantics.
    ///
    /// Up to an hour, read from raw checks (exact percentiles). Longer: whole hours already rolled
    /// up are read from the hourly roll-ups, whole 5 minutes of the rest from the 5-minute ones,
    /// and only the partial 5 minutes at the edges and what is not rolled up yet from raw checks.
    /// Where raw checks are gone (older than raw retention), a partial edge hour is left out:
    /// only hours wholly inside the range count there.
    pub async fn history(
        &self,
        target: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<History, StoreError> {
        let mut read = self.read_histories(&[target], from, to, None).await?;
        Ok(read.remove(0).0)
    }

    /// One target's latency series: `buckets` equal-width buckets over `[from, to)`.
    pub async fn latency(
        &self,
        target: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        buckets: u32,
    ) -> Result<Vec<LatencyPoint>, StoreError> {
        if from > to {
            return Err(StoreError::BadRange { from, to });
        }
        let mut tx = self
            .read_pool()
            .begin()
            .await
            .map_err(self.db_err("begin"))?;
        let set = self.target_set(&mut tx, &[target]).await?;
        let horizons = Horizons::read(self, &mut tx).await?;
        let buckets = Buckets::new(from.timestamp_millis(), to.timestamp_millis(), buckets);
        let fetched = self
            .fetch(&mut tx, &set, &buckets.plan(horizons), buckets)
            .await?;
        tx.commit().await.map_err(self.db_err("end read"))?;
        let mut series = self.bucket_stats(&set, fetched, buckets)?;
        self.points(buckets, series.remove(0))
    }

    pub async fn history_view(
        &self,
        target: &TargetInfo,
        window: &Window,
    ) -> Result<HistoryView, StoreError> {
        let mut views = self.timeline(std::slice::from_ref(target), window).await?;
        Ok(views.targets.remove(0))
    }

    /// Every target's view over one window, in the order given. Targets are read together, a
    /// handful of statements per group: per-statement overhead, not SQLite, is what reading fifty
    /// targets one by one spends its time on. The groups are read concurrently over the read pool
    /// (one per core), each in its own consistent transaction.
    pub async fn timeline(
        &self,
        targets: &[TargetInfo],
        window: &Window,
    ) -> Result<TimelineView, StoreError> {
        let ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
        let groups = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(READ_CONNECTIONS as usize);
        let per_group = ids.len().div_ceil(groups).max(1);
        let histories =
            futures_util::future::try_join_all(ids.chunks(per_group).map(|chunk| {
                self.read_histories(chunk, window.from, window.to, Some(window.buckets))
            }));
        let provider_incidents = async {
            let mut conn = self
                .read_pool()
                .acquire()
                .await
                .map_err(self.db_err("connect"))?;
            self.provider_incidents_in(&mut conn, Some(&ids), window.from, window.to)
                .await
        };
        let (reads, provider_incidents) =
            futures_util::future::try_join(histories, provider_incidents).await?;
        Ok(TimelineView {
            from: window.from,
            to: window.to,
            targets: targets
                .iter()
                .zip(reads.into_iter().flatten())
                .map(|(t, (history, latency))| HistoryView {
                    history,
                    name: t.name.clone(),
                    kind: t.kind,
                    latency,
                })
                .collect(),
            maintenance: Vec::new(),
            provider_incidents,
        })
    }

    /// Histories and, with `buckets`, latency series of `ids`, from one transaction. When the
    /// series reads the checks the totals need (see [`Plan::can_total`]: nearly always, unless the
    /// totals are exact and the series is not), the totals are summed from it instead of being
    /// read again.
    async fn read_histories(
        &self,
        ids: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        buckets: Option<u32>,
    ) -> Result<Vec<(History, Vec<LatencyPoint>)>, StoreError> {
        if from > to {
            return Err(StoreError::BadRange { from, to });
        }
        let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
        let mut tx = self
            .read_pool()
            .begin()
            .await
            .map_err(self.db_err("begin"))?;
        let set = self.target_set(&mut tx, ids).await?;
        let horizons = Horizons::read(self, &mut tx).await?;
        let spans = self.status_spans(&mut tx, &set, f, t).await?;
        let totals_plan = Plan::totals(f, t, horizons);
        let whole = Buckets::new(f, t, 1);
        let series = match buckets {
            Some(n) => {
                let buckets = Buckets::new(f, t, n);
                let plan = buckets.plan(horizons);
                let fetched = self.fetch(&mut tx, &set, &plan, buckets).await?;
                Some((buckets, plan, fetched))
            }
            None => None,
        };
        let totals = if series
            .as_ref()
            .is_some_and(|(_, plan, _)| plan.can_total(&totals_plan))
        {
            None
        } else {
            Some(self.fetch(&mut tx, &set, &totals_plan, whole).await?)
        };
        let incidents = self.incidents_of(&mut tx, &set, from, to).await?;
        tx.commit().await.map_err(self.db_err("end read"))?;

        // Parsing and merging happen after the transaction, with the connection back in the
        // pool. (Doing them on blocking threads was measured: no faster, a fifth more CPU.)
        let series = match series {
            Some((buckets, plan, fetched)) => {
                Some((buckets, plan, self.bucket_stats(&set, fetched, buckets)?))
            }
            None => None,
        };
        let totals: Vec<Stats> = match (totals, &series) {
            (Some(fetched), _) => self
                .bucket_stats(&set, fetched, whole)?
                .iter()
                .map(|one| Stats::total(one, &totals_plan))
                .collect(),
            // The series read the checks the totals need: sum it instead of reading again, with
            // the totals' exactness (a day of fine buckets is all raw, so its totals are exact).
            (None, Some((_, _, per_target))) => per_target
                .iter()
                .map(|buckets| Stats::total(buckets, &totals_plan))
                .collect(),
            (None, None) => Vec::new(),
        };
        let mut series = series.map(|(b, _, s)| (b, s.into_iter()));
        let mut out = Vec::with_capacity(ids.len());
        for (((id, spans), totals), incidents) in ids.iter().zip(spans).zip(totals).zip(incidents) {
            let mut segments = Vec::with_capacity(spans.len());
            for s in &spans {
                segments.push(Segment {
                    from: self.time(s.from)?,
                    to: self.time(s.to)?,
                    status: s.status,
                });
            }
            let (checks, failures) = (totals.checks, totals.failures);
            let [p50, p90, p99] = totals.percentiles([50.0, 90.0, 99.0]);
            let history = History {
                target: id.to_string(),
                from,
                to,
                uptime_pct: timeline::uptime_pct(&spans),
                checks,
                failures,
                error_rate: (checks > 0).then(|| failures as f64 / checks as f64),
                p50_ms: p50,
                p90_ms: p90,
                p99_ms: p99,
                segments,
                incidents,
            };
            let latency = match &mut series {
                Some((b, it)) => self.points(*b, it.next().unwrap_or_default())?,
                None => Vec::new(),
            };
            out.push((history, latency));
        }
        Ok(out)
    }

    /// The targets' row ids, in the order asked for; an id the store does not know is an error.
    async fn target_set(
        &self,
        conn: &mut SqliteConnection,
        ids: &[&str],
    ) -> Result<TargetSet, StoreError> {
        let json = serde_json::to_string(ids).map_err(|e| self.corrupt(e.to_string()))?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id, rid FROM targets WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(json)
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db_err("look up targets"))?;
        let known: HashMap<String, i64> = rows.into_iter().collect();
        let mut rids = Vec::with_capacity(ids.len());
        for id in ids {
            let rid = known.get(*id).ok_or_else(|| StoreError::UnknownTarget {
                path: self.location.to_string(),
                target: id.to_string(),
            })?;
            rids.push(*rid);
        }
        Ok(TargetSet::new(rids))
    }

    fn points(&self, buckets: Buckets, stats: Vec<Stats>) -> Result<Vec<LatencyPoint>, StoreError> {
        let mut out = Vec::with_capacity(stats.len());
        for (i, s) in (0u32..).zip(stats) {
            let (checks, failures) = (s.checks, s.failures);
            let [p50, p90] = s.percentiles([50.0, 90.0]);
            out.push(LatencyPoint {
                from: self.time(buckets.bound(i))?,
                to: self.time(buckets.bound(i + 1))?,
                checks,
                failures,
                p50_ms: p50,
                p90_ms: p90,
            });
        }
        Ok(out)
    }
}
