//! `[[maintenance]]`: stretches of time when a target is expected to be down (a nightly model
//! update, a planned upgrade), so nothing is said about it then, and one summary after. One-off
//! (`start` + `end`) or weekly (`days` + `from` + `to`, in a time zone).

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Utc, Weekday,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};

/// One `[[maintenance]]` entry as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct MaintenanceFile {
    /// What it is for, shown on the timeline ("nightly model update").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The targets it covers; all when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// One-off: RFC 3339 with an offset, e.g. "2026-12-24T22:00:00+01:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub start: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    #[schema(value_type = Option<String>)]
    pub end: Option<DateTime<FixedOffset>>,
    /// Weekly: the days it starts on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<Day>>,
    /// Weekly: local "HH:MM"; a `to` before `from` ends the next day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Weekly: an IANA zone ("Europe/Berlin"); this machine's zone when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    #[serde(alias = "monday")]
    Mon,
    #[serde(alias = "tuesday")]
    Tue,
    #[serde(alias = "wednesday")]
    Wed,
    #[serde(alias = "thursday")]
    Thu,
    #[serde(alias = "friday")]
    Fri,
    #[serde(alias = "saturday")]
    Sat,
    #[serde(alias = "sunday")]
    Sun,
}

impl Day {
    fn weekday(self) -> Weekday {
        match self {
            Day::Mon => Weekday::Mon,
            Day::Tue => Weekday::Tue,
            Day::Wed => Weekday::Wed,
            Day::Thu => Weekday::Thu,
            Day::Fri => Weekday::Fri,
            Day::Sat => Weekday::Sat,
            Day::Sun => Weekday::Sun,
        }
    }
}

/// A stretch of maintenance or a snooze, as the timeline draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, utoipa::ToSchema)]
pub struct MaintenanceBand {
    /// The targets it covers; `null`: every target.
    pub targets: Option<Vec<String>>,
    /// The window's name, if it has one.
    pub name: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// A snooze from the tray or the page rather than a configured window.
    pub snooze: bool,
}

/// A maintenance window, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Maintenance {
    pub name: Option<String>,
    /// `None`: every target.
    pub targets: Option<BTreeSet<String>>,
    pub schedule: Schedule,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Once {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    Weekly {
        /// Indexed by `Weekday::num_days_from_monday`.
        days: [bool; 7],
        from: NaiveTime,
        to: NaiveTime,
        zone: Zone,
    },
}

/// The zone a weekly window's times are in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    /// This machine's zone, as the system names it (so DST is followed).
    Local,
    Named(chrono_tz::Tz),
}

/// The most days a window is looked for across, so a year-long timeline stays cheap.
const MAX_DAYS: i64 = 400;

impl Maintenance {
    pub fn covers_target(&self, id: &str) -> bool {
        self.targets.as_ref().is_none_or(|t| t.contains(id))
    }

    /// The window `at` falls in, as `[start, end)`.
    pub fn window_at(&self, at: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.windows_between(at - Duration::days(2), at + Duration::seconds(1))
            .into_iter()
            .find(|(start, end)| *start <= at && at < *end)
    }

    /// Every window overlapping `[from, to)`, in order.
    pub fn windows_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        match &self.schedule {
            Schedule::Once { start, end } => {
                if *start < to && from < *end {
                    vec![(*start, *end)]
                } else {
                    Vec::new()
                }
            }
            Schedule::Weekly {
                days,
                from: start_time,
                to: end_time,
                zone,
            } => {
                let (first, last) = match zone {
                    Zone::Local => (
                        from.with_timezone(&Local).date_naive(),
                        to.with_timezone(&Local).date_naive(),
                    ),
                    Zone::Named(tz) => (
                        from.with_timezone(tz).date_naive(),
                        to.with_timezone(tz).date_naive(),
                    ),
                };
                // A window that crosses midnight began the day before `from`.
                let mut day = first - Duration::days(1);
                let last = last.min(first + Duration::days(MAX_DAYS));
                let mut windows = Vec::new();
                while day <= last {
                    if days[day.weekday().num_days_from_monday() as usize] {
                        let end_day = if end_time <= start_time {
                            day + Duration::days(1)
                        } else {
                            day
                        };
                        let start = zone.to_utc(day, *start_time);
                        let end = zone.to_utc(end_day, *end_time);
                        if start < to && from < end {
                            windows.push((start, end));
                        }
                    }
                    day += Duration::days(1);
                }
                windows
            }
        }
    }
}

impl Zone {
    /// The moment a local time names. In a spring-forward gap, the moment the clock jumps to;
    /// in a fall-back repeat, the first.
    fn to_utc(self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let naive = date.and_time(time);
        match self {
            Zone::Local => resolve(&Local, naive),
            Zone::Named(tz) => resolve(&tz, naive),
        }
    }
}

fn resolve<Tz: TimeZone>(tz: &Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = naive;
    // Gaps are at most a few hours; step forward until the local time exists.
    for _ in 0..24 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
    naive.and_utc()
}

pub(super) fn parse_time(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text.trim(), "%H:%M:%S"))
        .map_err(|_| format!("{text:?} is not a time of day; write \"HH:MM\", e.g. \"01:30\""))
}

/// Validates the `[[maintenance]]` entries; `invalid(i, key, message)` makes the error for key
/// `key` of entry `i`.
pub(super) fn check_maintenance<E>(
    written: &[MaintenanceFile],
    target_ids: &HashSet<String>,
    invalid: &dyn Fn(usize, &str, String) -> E,
) -> Result<Vec<Maintenance>, E> {
    let mut windows = Vec::with_capacity(written.len());
    for (i, m) in written.iter().enumerate() {
        let targets = super::target_filter(m.targets.as_deref(), target_ids)
            .map_err(|m| invalid(i, "targets", m))?;
        let weekly = m.days.is_some() || m.from.is_some() || m.to.is_some();
        let once = m.start.is_some() || m.end.is_some();
        let schedule = match (once, weekly) {
            (true, true) => {
                return Err(invalid(
                    i,
                    if m.start.is_some() { "start" } else { "end" },
                    "give either start + end (one-off) or days + from + to (weekly), not both"
                        .into(),
                ))
            }
            (false, false) => {
                return Err(invalid(
                    i,
                    "start",
                    "needs start + end (one-off), or days + from + to (weekly)".into(),
                ))
            }
            (true, false) => {
                let (Some(start), Some(end)) = (m.start, m.end) else {
                    let missing = if m.start.is_none() { "start" } else { "end" };
                    return Err(invalid(
                        i,
                        missing,
                        "a one-off window needs both start and end".into(),
                    ));
                };
                if end <= start {
                    return Err(invalid(i, "end", "must be after start".into()));
                }
                if m.timezone.is_some() {
                    return Err(invalid(
                        i,
                        "timezone",
                        "applies to weekly windows; start and end carry their own offset".into(),
                    ));
                }
                Schedule::Once {
                    start: start.with_timezone(&Utc),
                    end: end.with_timezone(&Utc),
                }
            }
            (false, true) => {
                let days_written = m.days.as_deref().unwrap_or_default();
                if days_written.is_empty() {
                    return Err(invalid(
                        i,
                        "days",
                        "a weekly window needs days, e.g. days = [\"sat\", \"sun\"]".into(),
                    ));
                }
                let mut days = [false; 7];
                for d in days_written {
                    days[d.weekday().num_days_from_monday() as usize] = true;
                }
                let time = |key: &str, text: &Option<String>| match text {
                    None => Err(invalid(
                        i,
                        key,
                        "a weekly window needs from and to, e.g. from = \"01:00\", to = \"03:00\""
                            .into(),
                    )),
                    Some(text) => parse_time(text).map_err(|m| invalid(i, key, m)),
                };
                let from = time("from", &m.from)?;
                let to = time("to", &m.to)?;
                if from == to {
                    return Err(invalid(
                        i,
                        "to",
                        "equals from, so the window would be empty".into(),
                    ));
                }
                let zone = match &m.timezone {
                    None => Zone::Local,
                    Some(name) => Zone::Named(name.trim().parse().map_err(|_| {
                        invalid(
                            i,
                            "timezone",
                            format!(
                                "{name:?} is not a time zone; write an IANA name such as \"Europe/Berlin\" or \"UTC\""
                            ),
                        )
                    })?),
                };
                Schedule::Weekly {
                    days,
                    from,
                    to,
                    zone,
                }
            }
        };
        windows.push(Maintenance {
            name: m.name.clone().filter(|n| !n.trim().is_empty()),
            targets,
            schedule,
        });
    }
    Ok(windows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn weekly(days: &[Weekday], from: &str, to: &str, tz: &str) -> Maintenance {
        let mut set = [false; 7];
        for d in days {
            set[d.num_days_from_monday() as usize] = true;
        }
        Maintenance {
            name: None,
            targets: None,
            schedule: Schedule::Weekly {
                days: set,
                from: parse_time(from).unwrap(),
                to: parse_time(to).unwrap(),
                zone: Zone::Named(tz.parse().unwrap()),
            },
        }
    }

    #[test]
    fn a_weekly_window_follows_its_zone_across_dst() {
        // Saturdays 01:00-03:00 in Berlin: UTC+1 in winter, UTC+2 in summer.
        let m = weekly(&[Weekday::Sat], "01:00", "03:00", "Europe/Berlin");
        assert_eq!(
            m.window_at(at("2026-12-05T00:30:00Z")),
            Some((at("2026-12-05T00:00:00Z"), at("2026-12-05T02:00:00Z")))
        );
        assert_eq!(
            m.window_at(at("2026-07-04T00:30:00Z")),
            Some((at("2026-07-03T23:00:00Z"), at("2026-07-04T01:00:00Z")))
        );
        assert_eq!(m.window_at(at("2026-12-05T02:00:00Z")), None);
        assert_eq!(m.window_at(at("2026-12-06T00:30:00Z")), None, "a Sunday");
    }

    #[test]
    fn a_window_may_cross_midnight() {
        let m = weekly(&[Weekday::Fri], "22:00", "02:00", "UTC");
        // Friday 2026-12-04 22:00 to Saturday 02:00.
        assert_eq!(
            m.window_at(at("2026-12-05T01:00:00Z")),
            Some((at("2026-12-04T22:00:00Z"), at("2026-12-05T02:00:00Z")))
        );
        let week = m.windows_between(at("2026-11-30T00:00:00Z"), at("2026-12-14T00:00:00Z"));
        assert_eq!(week.len(), 2);
    }

    #[test]
    fn a_one_off_window_is_half_open() {
        let m = Maintenance {
            name: None,
            targets: Some(["ollama".to_string()].into()),
            schedule: Schedule::Once {
                start: at("2026-12-24T21:00:00Z"),
                end: at("2026-12-25T05:00:00Z"),
            },
        };
        assert!(m.window_at(at("2026-12-24T21:00:00Z")).is_some());
        assert!(m.window_at(at("2026-12-25T05:00:00Z")).is_none());
        assert!(m.covers_target("ollama"));
        assert!(!m.covers_target("openai"));
    }
}
