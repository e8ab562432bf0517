//! Terminal output: status marks that do not rely on color alone, tables. Durations in words
//! live in `monitor::words`, shared with the desktop app.

use monitor::{Class, Outcome, Status};
use std::borrow::Cow;

/// Text that came from a server (or from a database an older version wrote, before outcomes
/// were scrubbed at birth), made safe to print: no escape sequence, no line break, no bidi
/// override reaches the terminal. Everything printed from stored or received data goes through
/// here; only the program's own color codes are added after it.
pub fn clean(text: &str) -> Cow<'_, str> {
    monitor::redact::sanitize(text)
}

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Color only on a terminal, and never when NO_COLOR is set (no-color.org).
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        Style {
            color: std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    pub fn status(&self, status: Status) -> String {
        let (mark, code) = match status {
            Status::Healthy => ("✔", "32"),
            Status::Degraded => ("▲", "33"),
            Status::Unhealthy => ("✖", "31"),
            Status::Unknown => ("?", "90"),
        };
        let text = format!("{mark} {status}");
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    }

    pub fn dim(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[2m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Pretty JSON in which the characters a terminal could act on but JSON may carry raw (DEL, C1
/// controls, line separators, bidi overrides) are written as `\uXXXX` escapes: the same JSON
/// to a parser, inert on a screen. JSON already escapes the rest of the controls.
pub fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    // The only raw control the pretty printer writes is its own newline.
    let inert = |c: char| c == '\n' || !monitor::redact::needs_care(c);
    if text.chars().all(inert) {
        return Ok(text);
    }
    // Such characters only occur inside JSON strings (outside them JSON is ASCII), where an
    // escape means the same character.
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if inert(c) {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    Ok(out)
}

/// The short description of an outcome: class, then the message if any.
pub fn outcome_words(outcome: &Outcome) -> String {
    let base = if outcome.class == Class::Ok {
        String::new()
    } else {
        outcome.class.plain_words().to_string()
    };
    let message = clean(&outcome.message);
    match (base.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (true, false) => message.into_owned(),
        (false, true) => base,
        (false, false) => format!("{base} — {message}"),
    }
}

/// Left-aligned columns; the last column is cut to fit `width` when one is given.
pub fn table(header: &[&str], rows: &[Vec<String>], width: Option<usize>) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| visible_len(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(visible_len(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cols {
                let used: usize = widths[..i].iter().map(|w| w + 2).sum();
                match width {
                    Some(w) => text.push_str(&fit(cell, w.saturating_sub(used).max(10))),
                    None => text.push_str(cell),
                }
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[i] - visible_len(cell) + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
    out
}

/// Cuts text to `room` visible characters, keeping color codes intact.
pub fn fit(text: &str, room: usize) -> String {
    if visible_len(text) <= room {
        return text.to_string();
    }
    let mut out = String::new();
    let mut shown = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) if shown + 1 >= room => break,
            (false, _) => shown += 1,
        }
        out.push(c);
    }
    out.push('…');
    if text.contains('\x1b') {
        out.push_str("\x1b[0m");
    }
    out
}

/// Milliseconds, with sub-millisecond times shown as such rather than as "0 ms".
pub fn ms_words(ms: u64) -> String {
    if ms == 0 {
        "<1 ms".into()
    } else {
        format!("{ms} ms")
    }
}

/// Length as the terminal shows it: ANSI color codes take no room.
fn visible_len(s: &str) -> usize {
    let mut len = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => len += 1,
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_messages_print_without_control_sequences() {
        let outcome = Outcome {
            at: chrono::Utc::now(),
            class: Class::ServerError,
            http_status: Some(500),
            latency_ms: 1,
            message: "\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07\r\nFAKE LINE\0\u{202e}"
                .into(),
            details: Default::default(),
        };
        let words = outcome_words(&outcome);
        assert!(!words.chars().any(|c| c.is_control()), "{words:?}");
        assert!(!words.contains('\u{202e}'), "{words:?}");
        assert!(
            words.contains("^[[2J") && words.contains(" FAKE LINE"),
            "{words:?}"
        );
    }

    #[test]
    fn json_output_escapes_what_a_terminal_would_act_on() {
        let value = serde_json::json!({"m": "a\u{9b}2J\u{202e}b\u{7f}\x1b", "n": "plain ✔"});
        let text = json_pretty(&value).unwrap();
        assert!(text.contains(r"a\u009b2J\u202eb\u007f\u001b"), "{text}");
        assert!(text.contains("plain ✔"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn fitting_keeps_colors_and_cuts_visible_text() {
        let s = Style { color: true };
        let colored = format!("{} and a long tail", s.status(Status::Healthy));
        let cut = fit(&colored, 12);
        assert_eq!(visible_len(&cut), 12);
        assert!(cut.ends_with("…\x1b[0m"), "{cut:?}");
        assert_eq!(fit("short", 12), "short");
    }

    #[test]
    fn colored_cells_align() {
        let s = Style { color: true };
        let t = table(
            &["A", "B"],
            &[
                vec![s.status(Status::Healthy), "x".into()],
                vec!["plain".into(), "y".into()],
            ],
            None,
        );
        let lines: Vec<_> = t.lines().collect();
        assert_eq!(
            visible_len(lines[1]).saturating_sub(1),
            visible_len(lines[2]).saturating_sub(1)
        );
    }
}
