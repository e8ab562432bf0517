//! `[notifications]`: the notification policy's settings for the front ends whose settings are
//! this file (`watch`, `serve`); the app also has them in its Settings, and a key written here
//! wins over those.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The `[notifications]` table as written; every key optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NotificationsFile {
    /// `false` sends nothing anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_down: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_recovered: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_degraded: Option<bool>,
    /// A notice when a provider's status page reports an incident on a watched component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_provider_incident: Option<bool>,
    /// Local "HH:MM"; with `quiet_to`, a stretch without notices that ends in one summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_to: Option<String>,
    /// Notices mentioning one target in any rolling hour (default 4); 0 silences every target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_target_per_hour: Option<u32>,
    /// Target ids nothing is said about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<Vec<String>>,
}

/// `[notifications]`, validated: only what the file says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notifications {
    pub enabled: Option<bool>,
    pub on_down: Option<bool>,
    pub on_recovered: Option<bool>,
    pub on_degraded: Option<bool>,
    pub on_provider_incident: Option<bool>,
    pub quiet_hours: Option<(NaiveTime, NaiveTime)>,
    pub max_per_target_per_hour: Option<u32>,
    pub muted: Option<Vec<String>>,
}

pub(super) fn check_notifications<E>(
    written: &NotificationsFile,
    target_ids: &HashSet<String>,
    parse_time: fn(&str) -> Result<NaiveTime, String>,
    invalid: &dyn Fn(&str, String) -> E,
) -> Result<Notifications, E> {
    let quiet_hours = match (&written.quiet_from, &written.quiet_to) {
        (None, None) => None,
        (Some(from), Some(to)) => Some((
            parse_time(from).map_err(|m| invalid("quiet_from", m))?,
            parse_time(to).map_err(|m| invalid("quiet_to", m))?,
        )),
        (Some(_), None) => {
            return Err(invalid(
                "quiet_to",
                "quiet hours need both quiet_from and quiet_to".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(invalid(
                "quiet_from",
                "quiet hours need both quiet_from and quiet_to".into(),
            ))
        }
    };
    super::target_filter(written.muted.as_deref(), target_ids).map_err(|m| invalid("muted", m))?;
    Ok(Notifications {
        enabled: written.enabled,
        on_down: written.on_down,
        on_recovered: written.on_recovered,
        on_degraded: written.on_degraded,
        on_provider_incident: written.on_provider_incident,
        quiet_hours,
        max_per_target_per_hour: written.max_per_target_per_hour,
        muted: written.muted.clone(),
    })
}
