//! Durations in words, one way for every reader (terminal, tray, notifications), so the same
//! stretch of time never reads differently in two places.

use chrono::{DateTime, Utc};

/// When a unit of [`DURATION_UNITS`] is followed by the next smaller one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NextUnit {
    Always,
    /// Only when it is not zero ("2 h", "2 h 5 min").
    UnlessZero,
    Never,
}

/// One unit of duration words, largest first. The UI reads the same table (generated), so a
/// stretch of time never reads differently in two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct DurationUnit {
    pub word: &'static str,
    #[ts(type = "number")]
    pub seconds: i64,
    pub next: NextUnit,
}

pub const DURATION_UNITS: [DurationUnit; 4] = [
    DurationUnit {
        word: "d",
        seconds: 86_400,
        next: NextUnit::Always,
    },
    DurationUnit {
        word: "h",
        seconds: 3600,
        next: NextUnit::UnlessZero,
    },
    DurationUnit {
        word: "min",
        seconds: 60,
        next: NextUnit::Never,
    },
    DurationUnit {
        word: "s",
        seconds: 1,
        next: NextUnit::Never,
    },
];

/// "12 s", "4 min", "2 h 5 min", "3 d 4 h": at most two units, because a reader wants the size
/// of a stretch, not its exact length.
pub fn duration_words(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let last = DURATION_UNITS.len() - 1;
    let i = DURATION_UNITS
        .iter()
        .position(|u| s >= u.seconds)
        .unwrap_or(last);
    let unit = DURATION_UNITS[i];
    let mut words = format!("{} {}", s / unit.seconds, unit.word);
    if let Some(smaller) = DURATION_UNITS.get(i + 1) {
        let rest = (s % unit.seconds) / smaller.seconds;
        if unit.next == NextUnit::Always || (unit.next == NextUnit::UnlessZero && rest != 0) {
            words.push_str(&format!(" {rest} {}", smaller.word));
        }
    }
    words
}

/// How long ago `since` was, or "—" when nothing is known.
pub fn since_words(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    since
        .map(|s| duration_words((now - s).num_milliseconds()))
        .unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_words() {
        assert_eq!(duration_words(12_000), "12 s");
        assert_eq!(duration_words(45_000), "45 s");
        assert_eq!(duration_words(4 * 60_000 + 5_000), "4 min");
        assert_eq!(duration_words(2 * 3_600_000), "2 h");
        assert_eq!(duration_words(2 * 3_600_000 + 5 * 60_000), "2 h 5 min");
        assert_eq!(duration_words(3 * 86_400_000 + 4 * 3_600_000), "3 d 4 h");
        // A clock that stepped back must not show a negative stretch.
        assert_eq!(duration_words(-5_000), "0 s");
        assert_eq!(duration_words(500), "0 s");
        assert_eq!(duration_words(3 * 86_400_000), "3 d 0 h");
    }

    #[test]
    fn since_words_knows_when_nothing_is_known() {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(since_words(None, now), "—");
        assert_eq!(
            since_words(Some(now - chrono::Duration::seconds(150)), now),
            "2 min"
        );
    }
}
