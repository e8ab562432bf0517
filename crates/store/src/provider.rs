//! Providers' incidents as checks saw them: each reported incident becomes a span from its start
//! (as the page says) to the first check that no longer saw it. Context beside a target's own
//! history; nothing here changes a status.

use crate::{locked, Store, StoreError};
use chrono::{DateTime, Utc};
use monitor::{ProviderIncident, ProviderStatus};
use serde::{Deserialize, Serialize};
use sqlx::{Sqlite, SqliteConnection, Transaction};
use ts_rs::TS;
use utoipa::ToSchema;

/// One provider incident over the time a target's checks saw it reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct ProviderIncidentSpan {
    /// The target whose status page reported it.
    pub target: String,
    /// Who reported it ("OpenAI"), or the page's address when the page names no one.
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub impact: Option<String>,
    /// The page's latest word on it (investigating, monitoring, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub status: Option<String>,
    pub started_at: DateTime<Utc>,
    /// The first check that no longer saw it reported; `null` while it is.
    #[schema(required = true)]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(nullable = false)]
    pub url: Option<String>,
}

/// A check's view of its provider's incidents, for [`Store::write`].
pub(crate) struct Reported<'a> {
    pub rid: i64,
    pub ts: i64,
    /// `None`: the target follows no status page (any incident still open ends here).
    pub status: Option<&'a ProviderStatus>,
}

fn key(i: &ProviderIncident) -> String {
    match (&i.id, i.started_at) {
        (Some(id), _) => id.clone(),
        (None, Some(at)) => format!("{}@{}", i.name, at.timestamp_millis()),
        (None, None) => i.name.clone(),
    }
}

impl Store {
    /// Records what each check's status page said, in order. A target's checks repeat the same
    /// list almost always: only a change (compared with what this process last wrote) costs a
    /// statement.
    pub(crate) async fn write_provider_incidents(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        reported: &[Reported<'_>],
    ) -> Result<Vec<(i64, Vec<ProviderIncident>)>, StoreError> {
        let mut written: Vec<(i64, Vec<ProviderIncident>)> = Vec::new();
        for r in reported {
            let now: &[ProviderIncident] = r.status.map_or(&[], |s| s.incidents.as_slice());
            let before = written
                .iter()
                .rev()
                .find(|(rid, _)| *rid == r.rid)
                .map(|(_, list)| list.clone())
                .or_else(|| locked(&self.shared.provider_seen).get(&r.rid).cloned());
            // A page that could not be read says "unknown" with no incidents: that is not
            // the end of what it reported before.
            let unread = r.status.is_some_and(ProviderStatus::is_unread);
            if unread || before.as_deref() == Some(now) {
                continue;
            }
            self.record_reported(tx, r, now).await?;
            written.push((r.rid, now.to_vec()));
        }
        Ok(written)
    }

    async fn record_reported(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        r: &Reported<'_>,
        incidents: &[ProviderIncident],
    ) -> Result<(), StoreError> {
        let provider = r
            .status
            .and_then(|s| s.provider.clone().or_else(|| s.page.clone()))
            .unwrap_or_default();
        let mut keys = Vec::with_capacity(incidents.len());
        for i in incidents {
            let key = key(i);
            // A page that gives no start: the first check that saw it.
            let started = i
                .started_at
                .map_or(r.ts, |t| t.timestamp_millis().min(r.ts));
            sqlx::query(
                "INSERT INTO provider_incidents
                     (target, key, provider, id, name, impact, status, url, started_ms, ended_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL)
                 ON CONFLICT(target, key) DO UPDATE SET
                     provider = excluded.provider, name = excluded.name,
                     impact = excluded.impact, status = excluded.status, url = excluded.url,
                     ended_ms = NULL",
            )
            .bind(r.rid)
            .bind(&key)
            .bind(&provider)
            .bind(&i.id)
            .bind(&i.name)
            .bind(&i.impact)
            .bind(&i.status)
            .bind(&i.url)
            .bind(started)
            .execute(&mut **tx)
            .await
            .map_err(self.db_err("record a provider incident"))?;
            keys.push(key);
        }
        let keys = serde_json::to_string(&keys)
            .map_err(|e| self.corrupt(format!("cannot encode incident keys: {e}")))?;
        sqlx::query(
            "UPDATE provider_incidents SET ended_ms = MAX(?2, started_ms)
             WHERE target = ?1 AND ended_ms IS NULL
               AND key NOT IN (SELECT value FROM json_each(?3))",
        )
        .bind(r.rid)
        .bind(r.ts)
        .bind(keys)
        .execute(&mut **tx)
        .await
        .map_err(self.db_err("end provider incidents"))?;
        Ok(())
    }

    /// Provider incidents touching `[from, to]`, newest first, of the targets `ids` (all when
    /// `None`).
    pub(crate) async fn provider_incidents_in(
        &self,
        conn: &mut SqliteConnection,
        ids: Option<&[&str]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ProviderIncidentSpan>, StoreError> {
        let ids = ids
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| self.corrupt(format!("cannot encode target ids: {e}")))?;
        let rows: Vec<ProviderRow> = sqlx::query_as(
            "SELECT t.id, p.provider, p.id, p.name, p.impact, p.status, p.url, p.started_ms,
                    p.ended_ms
             FROM provider_incidents p JOIN targets t ON t.rid = p.target
             WHERE (?1 IS NULL OR t.id IN (SELECT value FROM json_each(?1)))
               AND p.started_ms <= ?3 AND (p.ended_ms IS NULL OR p.ended_ms >= ?2)
             ORDER BY p.started_ms DESC, t.id",
        )
        .bind(ids)
        .bind(from.timestamp_millis())
        .bind(to.timestamp_millis())
        .fetch_all(&mut *conn)
        .await
        .map_err(self.db_err("read provider incidents"))?;
        rows.into_iter()
            .map(|row| {
                let started_at = self.time(row.7)?;
                Ok(ProviderIncidentSpan {
                    target: row.0,
                    provider: row.1,
                    id: row.2,
                    name: row.3,
                    impact: row.4,
                    status: row.5,
                    url: row.6,
                    started_at,
                    ended_at: row.8.map(|ms| self.time(ms)).transpose()?,
                })
            })
            .collect()
    }

    /// Provider incidents touching `[from, to]`, newest first; of one target, or of all.
    pub async fn provider_incidents(
        &self,
        target: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ProviderIncidentSpan>, StoreError> {
        let mut conn = self
            .read_pool()
            .acquire()
            .await
            .map_err(self.db_err("connect"))?;
        let one = target.map(|t| [t]);
        self.provider_incidents_in(&mut conn, one.as_ref().map(|a| &a[..]), from, to)
            .await
    }
}

type ProviderRow = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);
