//! What the person chose in the settings. The serde shape is stored in users' settings files and
//! read by the page, so fields are only ever added, with defaults.

use crate::local_time::local_to_utc;
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use ts_rs::TS;
use utoipa::ToSchema;

/// The notification settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(default)]
pub struct NotifyPrefs {
    pub enabled: bool,
    pub on_down: bool,
    pub on_recovered: bool,
    /// Off by default: slow or rate-limited still works, and a notice for it is mostly noise.
    pub on_degraded: bool,
    /// Off by default: a status page is the provider's word, not ours, and our probes tell
    /// whether the endpoint works.
    pub on_provider_incident: bool,
    pub quiet_hours: Option<QuietHours>,
    /// Notices mentioning one target in any rolling hour; 0 silences every target.
    pub max_per_target_per_hour: u32,
    /// Target ids nothing is said about.
    pub muted: BTreeSet<String>,
    /// Changes within this long of the first one are told together.
    // Optional in TypeScript: the page sends the settings it shows, and it does not show this.
    #[ts(type = "number", optional = nullable)]
    pub group_window_ms: u64,
    /// How long a cloud target that cannot be reached is held back, in case the others follow
    /// and the cause is this machine's network.
    #[ts(type = "number", optional = nullable)]
    pub offline_window_ms: u64,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        NotifyPrefs {
            enabled: true,
            on_down: true,
            on_recovered: true,
            on_degraded: false,
            on_provider_incident: false,
            quiet_hours: None,
            max_per_target_per_hour: 4,
            muted: BTreeSet::new(),
            group_window_ms: 3_000,
            offline_window_ms: 30_000,
        }
    }
}

impl NotifyPrefs {
    /// These preferences with what a config file's `[notifications]` says on top.
    pub fn with_file(&self, file: &monitor::config::Notifications) -> NotifyPrefs {
        let mut prefs = self.clone();
        let set = |slot: &mut bool, value: Option<bool>| {
            if let Some(v) = value {
                *slot = v;
            }
        };
        set(&mut prefs.enabled, file.enabled);
        set(&mut prefs.on_down, file.on_down);
        set(&mut prefs.on_recovered, file.on_recovered);
        set(&mut prefs.on_degraded, file.on_degraded);
        set(&mut prefs.on_provider_incident, file.on_provider_incident);
        if let Some((start, end)) = file.quiet_hours {
            prefs.quiet_hours = Some(QuietHours { start, end });
        }
        if let Some(cap) = file.max_per_target_per_hour {
            prefs.max_per_target_per_hour = cap;
        }
        if let Some(muted) = &file.muted {
            prefs.muted.extend(muted.iter().cloned());
        }
        prefs
    }

    pub(crate) fn group_window(&self) -> Duration {
        capped_window(self.group_window_ms)
    }

    pub(crate) fn offline_window(&self) -> Duration {
        capped_window(self.offline_window_ms)
    }
}

/// Capped at a day: a mistyped value must neither overflow the date arithmetic nor hold a notice
/// back for longer than anyone would wait for it.
fn capped_window(ms: u64) -> Duration {
    Duration::milliseconds(ms.min(86_400_000) as i64)
}

/// A stretch of local time without notifications. It may cross midnight (22:00–07:00);
/// `start == end` means never quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct QuietHours {
    /// Local wall-clock time, "HH:MM" or "HH:MM:SS".
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// When the quiet stretch around `at` ends, if `at` is in one.
    pub(crate) fn ends_after(&self, at: DateTime<Utc>, tz: FixedOffset) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz);
        if !self.contains(local.time()) {
            return None;
        }
        let end = local_to_utc(local.date_naive(), self.end, tz);
        Some(if end > at {
            end
        } else {
            end + Duration::days(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ts_rs::Config;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let night = QuietHours {
            start: t(22, 0),
            end: t(7, 0),
        };
        assert!(night.contains(t(23, 0)) && night.contains(t(6, 59)) && night.contains(t(22, 0)));
        assert!(!night.contains(t(7, 0)) && !night.contains(t(12, 0)));
        let lunch = QuietHours {
            start: t(12, 0),
            end: t(13, 0),
        };
        assert!(lunch.contains(t(12, 30)) && !lunch.contains(t(13, 0)));
        let never = QuietHours {
            start: t(9, 0),
            end: t(9, 0),
        };
        assert!(!never.contains(t(9, 0)) && !never.contains(t(3, 0)));
    }

    #[test]
    fn quiet_hours_end_at_the_next_local_end_time() {
        let night = QuietHours {
            start: t(22, 0),
            end: t(7, 0),
        };
        let cet = FixedOffset::east_opt(3600).unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 23:30 local, before midnight: the end is tomorrow's 07:00 local.
        assert_eq!(
            night.ends_after(at("2024-03-05T22:30:00Z"), cet),
            Some(at("2024-03-06T06:00:00Z"))
        );
        // 03:00 local, after midnight: today's 07:00 local.
        assert_eq!(
            night.ends_after(at("2024-03-06T02:00:00Z"), cet),
            Some(at("2024-03-06T06:00:00Z"))
        );
        assert_eq!(night.ends_after(at("2024-03-06T12:00:00Z"), cet), None);
    }

    #[test]
    fn prefs_read_with_defaults_for_what_is_missing() {
        let prefs: NotifyPrefs = serde_json::from_str("{}").unwrap();
        assert_eq!(prefs, NotifyPrefs::default());
        assert!(prefs.enabled && prefs.on_down && prefs.on_recovered && !prefs.on_degraded);
        assert!(!prefs.on_provider_incident);
        assert_eq!(prefs.max_per_target_per_hour, 4);
        let prefs: NotifyPrefs = serde_json::from_str(
            r#"{"quiet_hours": {"start": "22:00", "end": "07:00"}, "muted": ["groq"]}"#,
        )
        .unwrap();
        let quiet = prefs.quiet_hours.unwrap();
        assert_eq!(quiet.start, t(22, 0));
        assert!(prefs.muted.contains("groq"));
        let back: NotifyPrefs =
            serde_json::from_str(&serde_json::to_string(&prefs).unwrap()).unwrap();
        assert_eq!(back, prefs);
    }

    #[test]
    fn the_config_file_wins() {
        let config = monitor::config::Config::parse(
            "[notifications]\non_provider_incident = true\non_degraded = true\n",
            "test",
        )
        .unwrap();
        let prefs = NotifyPrefs::default().with_file(&config.notifications);
        assert!(prefs.on_provider_incident && prefs.on_degraded && prefs.on_down);
        let config = monitor::config::Config::parse("", "test").unwrap();
        let prefs = NotifyPrefs {
            on_provider_incident: true,
            ..NotifyPrefs::default()
        };
        assert_eq!(prefs.with_file(&config.notifications), prefs);
    }

    /// The shape stored in settings files: renaming or retyping a field loses users' settings.
    #[test]
    fn prefs_keep_their_stored_shape() {
        let prefs = NotifyPrefs {
            quiet_hours: Some(QuietHours {
                start: t(22, 0),
                end: t(7, 30),
            }),
            muted: ["groq".to_string()].into(),
            ..NotifyPrefs::default()
        };
        assert_eq!(
            serde_json::to_value(&prefs).unwrap(),
            serde_json::json!({
                "enabled": true,
                "on_down": true,
                "on_recovered": true,
                "on_degraded": false,
                "on_provider_incident": false,
                "quiet_hours": {"start": "22:00:00", "end": "07:30:00"},
                "max_per_target_per_hour": 4,
                "muted": ["groq"],
                "group_window_ms": 3000,
                "offline_window_ms": 30000
            })
        );
    }

    /// The same as the hand-written types of `ui/src/types.ts`.
    #[test]
    fn typescript_matches_the_page() {
        let cfg = Config::default();
        let strip_docs = |decl: String| {
            decl.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("/*") && !l.starts_with('*'))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            strip_docs(QuietHours::decl(&cfg)),
            "type QuietHours = { start: string, end: string, };"
        );
        assert_eq!(
            strip_docs(NotifyPrefs::decl(&cfg)),
            "type NotifyPrefs = { enabled: boolean, on_down: boolean, on_recovered: boolean, \
             on_degraded: boolean, on_provider_incident: boolean, \
             quiet_hours: QuietHours | null, \
             max_per_target_per_hour: number, muted: Array<string>, \
             group_window_ms?: number, offline_window_ms?: number, };"
        );
    }
}
