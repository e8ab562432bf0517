//! Durations in words, one way for every reader (terminal, tray, notifications), so the same
//! stretch of time never reads differently in two places.

use chrono::{DateTime, Utc};

/// "12 s", "4 min", "2 h 5 min", "3 d 4 h": at most two units, because a reader wants the size
/// of a stretch, not its exact length.
pub fn duration_words(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => {
            let m = (s % 3600) / 60;
            if m == 0 {
                format!("{} h", s / 3600)
            } else {
                format!("{} h {m} min", s / 3600)
            }
        }
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
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
