//! Small pieces of wording and local time shared by the tray and the notifications, so both say
//! a time or a list of names the same way.

use chrono::{DateTime, Datelike, FixedOffset, Utc};

/// How many names a list shows before it says "and N more": tooltips and notification titles
/// are cut by the desktop, and a cut name is worse than a count.
const MAX_NAMES: usize = 4;

/// "Ollama, OpenAI" or "A, B, C, D and 2 more".
pub(crate) fn name_list<S: AsRef<str>>(names: &[S]) -> String {
    let shown: Vec<&str> = names.iter().take(MAX_NAMES).map(AsRef::as_ref).collect();
    let mut list = shown.join(", ");
    if names.len() > MAX_NAMES {
        list.push_str(&format!(" and {} more", names.len() - MAX_NAMES));
    }
    list
}

/// A moment in local time, as short as it can be without being ambiguous: "15:20" today,
/// "Tue 08:00" within the week, "12 Mar 08:00" further away.
pub(crate) fn clock_words(at: DateTime<Utc>, now: DateTime<Utc>, tz: FixedOffset) -> String {
    let (at, now) = (at.with_timezone(&tz), now.with_timezone(&tz));
    let days_apart = (at.date_naive() - now.date_naive()).num_days();
    if days_apart == 0 {
        at.format("%H:%M").to_string()
    } else if days_apart.abs() < 7 {
        at.format("%a %H:%M").to_string()
    } else {
        format!("{} {}", at.day(), at.format("%b %H:%M"))
    }
}

/// "not running or unreachable" → "Not running or unreachable": plain words start a sentence in a
/// notification body.
pub(crate) fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `text` cut to at most `max` characters, ending in "…" when cut. Characters rather than bytes:
/// what is bounded is the width a menu shows.
pub(crate) fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn long_lists_end_with_a_count() {
        assert_eq!(name_list(&["A", "B"]), "A, B");
        assert_eq!(name_list(&["A", "B", "C", "D"]), "A, B, C, D");
        assert_eq!(
            name_list(&["A", "B", "C", "D", "E", "F"]),
            "A, B, C, D and 2 more"
        );
        assert_eq!(name_list::<&str>(&[]), "");
    }

    #[test]
    fn clock_words_add_the_day_only_when_needed() {
        let tz = FixedOffset::east_opt(2 * 3600).unwrap();
        let now = at("2024-03-05T10:00:00Z"); // Tuesday 12:00 local
        assert_eq!(clock_words(at("2024-03-05T13:20:00Z"), now, tz), "15:20");
        // 23:30 UTC is already Wednesday in UTC+2.
        assert_eq!(
            clock_words(at("2024-03-05T23:30:00Z"), now, tz),
            "Wed 01:30"
        );
        assert_eq!(
            clock_words(at("2024-03-20T06:00:00Z"), now, tz),
            "20 Mar 08:00"
        );
    }

    #[test]
    fn shortened_counts_characters_and_marks_the_cut() {
        assert_eq!(shortened("Ollama — up", 20), "Ollama — up");
        assert_eq!(shortened("Ollama — up 4 min", 10), "Ollama —…");
        assert_eq!(shortened("Élevé — ça", 8), "Élevé —…");
        assert_eq!(shortened("abc", 0), "…");
    }

    #[test]
    fn capitalizes_the_first_letter_only() {
        assert_eq!(capitalized("quota exhausted"), "Quota exhausted");
        assert_eq!(capitalized("TLS handshake failed"), "TLS handshake failed");
        assert_eq!(capitalized(""), "");
    }
}
