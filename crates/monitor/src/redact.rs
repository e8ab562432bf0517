//! Keeps API keys out of everything a probe reports. Servers echo keys back in error bodies
//! ("Incorrect API key provided: sk-abc…"), and a hostile or broken one can put them in any
//! field (model ids, versions), so every string derived from a response passes through here
//! before it can reach a log, the database or the screen. The same pass makes server text safe
//! to print: a terminal obeys escape sequences, so text from a server must not carry any.

use std::borrow::Cow;

/// Replaces a key, and tokens that are recognizably fragments of it, with `[redacted]`.
#[derive(Clone, Default)]
pub struct Redactor {
    key: Option<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor { .. }")
    }
}

/// Shorter fragments than this are too common to be evidence of a key.
const MIN_FRAGMENT: usize = 6;
const MASK: &str = "[redacted]";

/// Longest server-controlled field kept (a model id, a version): real ones are far shorter, and
/// every copy of an outcome (events, SSE, the database) carries it.
pub const FIELD_MAX: usize = 256;
/// Longest outcome message kept.
pub const MESSAGE_MAX: usize = 1024;

impl Redactor {
    pub fn new(key: Option<&str>) -> Self {
        Redactor {
            key: key
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_string),
        }
    }

    /// What every server-controlled string goes through before it leaves a probe: cut to `max`
    /// bytes, control characters made visible, then redacted.
    pub fn scrub(&self, text: &str, max: usize) -> String {
        // Cut first with room to spare, so a 15 MiB "model id" costs no 15 MiB passes; a key
        // cut in half there still shows its head, which `redact` catches.
        let rough = truncate(text, max.saturating_mul(4));
        let clean = sanitize(&rough);
        truncate(&self.redact(&clean), max).into_owned()
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        if let Some(key) = &self.key {
            if key.len() >= 4 {
                out = out.replace(key.as_str(), MASK);
            }
            out = self.redact_fragments(&out, key);
        }
        redact_key_shapes(&out)
    }

    /// Providers often echo a masked key (`sk-abc1***********wxyz`): its visible head or tail
    /// still identifies the key, so a token containing either goes.
    fn redact_fragments(&self, text: &str, key: &str) -> String {
        if key.len() < 2 * MIN_FRAGMENT {
            return text.to_string();
        }
        let head = &key[..key.char_indices().nth(8).map_or(key.len(), |(i, _)| i)];
        let tail_start = key
            .char_indices()
            .rev()
            .nth(MIN_FRAGMENT - 1)
            .map_or(0, |(i, _)| i);
        let tail = &key[tail_start..];
        let pieces = key_pieces(key);
        map_tokens(text, |token| {
            token.contains(head)
                || token.contains(tail)
                || pieces.iter().any(|p| token.contains(p))
                || masked_echo_of(token, key)
        })
    }
}

/// Any run of this many characters of the key is a piece of it, wherever it sits: a server may
/// echo the key with a character changed or inserted (a mangled copy, a control character made
/// visible), and then neither its head nor its tail is intact.
const PIECE: usize = 10;

/// Every `PIECE`-character run of `key`.
fn key_pieces(key: &str) -> Vec<&str> {
    let bounds: Vec<usize> = key
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(key.len()))
        .collect();
    bounds
        .windows(PIECE + 1)
        .map(|w| &key[w[0]..w[PIECE]])
        .collect()
}

/// Runs of these stand for hidden characters in a masked key (`sk-abc1****wxyz`, `sk-…wxyz`).
fn is_mask_char(c: char) -> bool {
    matches!(c, '*' | '•' | '…' | '.' | '·')
}

/// Whether `token` is a masked echo of `key`: visible ends around a run of mask characters, the
/// head a prefix of the key or the tail a suffix of it. Providers show as little as the last
/// four characters, which is too short for the fragment rule but still a piece of the key.
fn masked_echo_of(token: &str, key: &str) -> bool {
    // An ellipsis hides as much as three dots do.
    let weight = |c: char| if c == '…' { 3 } else { 1 };
    let Some((start, _)) = token.char_indices().find(|&(i, c)| {
        is_mask_char(c)
            && token[i..]
                .chars()
                .take_while(|&c| is_mask_char(c))
                .map(weight)
                .sum::<usize>()
                >= 3
    }) else {
        return false;
    };
    let keyish = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    // The visible characters right before and right after the mask.
    let before = &token[..start];
    let head = &before[before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| keyish(c))
        .last()
        .map_or(before.len(), |(i, _)| i)..];
    let after = token[start..].trim_start_matches(is_mask_char);
    let tail = &after[..after.find(|c: char| !keyish(c)).unwrap_or(after.len())];
    // The tail may run on into other text (`****wxyzerror`): any 4+ characters right after the
    // mask that end the key are its end.
    let tail_is_keys_end = tail
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .skip(3)
        .any(|end| key.ends_with(&tail[..end]));
    (head.len() >= 3 && key.starts_with(head)) || tail_is_keys_end
}

/// Makes text safe to print on a terminal or write as one log line: line breaks and tabs become
/// a space (so a server cannot forge a line), other C0 controls and DEL their caret form (`^[`
/// for ESC: visible, but no longer an escape), C1 controls and bidirectional overrides (which
/// reorder what the reader sees) U+FFFD.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_care) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut last_space = false;
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' | '\x0b' | '\x0c' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
                continue;
            }
            '\0'..='\x1f' => {
                out.push('^');
                out.push(char::from(c as u8 ^ 0x40));
            }
            '\x7f' => out.push_str("^?"),
            c if needs_care(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
        last_space = c == ' ';
    }
    Cow::Owned(out)
}

/// Whether `sanitize` changes `c`.
pub fn needs_care(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{2028}' | '\u{2029}'
            | '\u{200e}' | '\u{200f}' | '\u{061c}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}')
}

/// `text` cut to at most `max` bytes at a character boundary, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let room = max.saturating_sub('…'.len_utf8());
    let cut = (0..=room)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    Cow::Owned(format!("{}…", &text[..cut]))
}

/// Whatever the key, anything shaped like a well-known secret is masked too: a server may echo a
/// different key than ours (a proxy's, another header's).
fn redact_key_shapes(text: &str) -> String {
    map_tokens(text, |token| {
        let t = token.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_');
        let prefixed = ["sk-", "sk_", "gsk_", "xai-", "AIza", "pk-", "rk-"]
            .iter()
            .any(|p| t.starts_with(p) && t.len() >= 20);
        let bearerish = t.len() >= 32
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && t.chars().any(|c| c.is_ascii_digit())
            && t.chars().any(|c| c.is_ascii_alphabetic());
        prefixed || bearerish
    })
}

/// Rebuilds `text` with every whitespace-separated token for which `is_secret` holds masked,
/// keeping the original whitespace.
fn map_tokens(text: &str, is_secret: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token_start: Option<usize> = None;
    let flush = |out: &mut String, token: &str| {
        if is_secret(token) {
            out.push_str(MASK);
        } else {
            out.push_str(token);
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || c == '"' || c == '\'' || c == ',' {
            if let Some(s) = token_start.take() {
                flush(&mut out, &text[s..i]);
            }
            out.push(c);
        } else if token_start.is_none() {
            token_start = Some(i);
        }
    }
    if let Some(s) = token_start {
        flush(&mut out, &text[s..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-Abc123Def456Ghi789Jkl012Mno345";

    #[test]
    fn removes_the_key_and_its_masked_echo() {
        let r = Redactor::new(Some(KEY));
        let msg = format!("Incorrect API key provided: {KEY}. You can find your key at ...");
        let out = r.redact(&msg);
        assert!(!out.contains("Abc123Def456"), "{out}");
        assert!(out.contains("Incorrect API key provided"));
        let masked = "Incorrect API key provided: sk-proj-*****************Mno345.";
        let out = r.redact(masked);
        assert!(!out.contains("Mno345"), "{out}");
    }

    #[test]
    fn masks_key_shaped_tokens_even_without_a_key() {
        let r = Redactor::new(None);
        let out = r.redact("key AIzaSyD-abcdefghijklmnopqrstuvwx1234 is invalid");
        assert!(!out.contains("AIzaSy"), "{out}");
        assert_eq!(r.redact("connection refused"), "connection refused");
        assert_eq!(r.redact("model llama3.2:latest"), "model llama3.2:latest");
    }

    #[test]
    fn a_mangled_echo_with_neither_end_intact_goes_too() {
        let key = "sk-proj-PropTestKey0123456789abcdefWXYZ";
        let r = Redactor::new(Some(key));
        // A character inserted near the head and the end cut off: only the middle survives.
        for echoed in [
            "sk\u{fffd}proj-PropTestKey01234…",
            "key=xsk-proj_PropTestKey0123456789ab",
            "TestKey0123456789",
        ] {
            let out = r.scrub(echoed, 1024);
            assert!(!out.contains("PropTestKe"), "{echoed} -> {out}");
            assert!(!out.contains("Key0123456"), "{echoed} -> {out}");
        }
        assert_eq!(r.redact("gpt-4o-mini"), "gpt-4o-mini");
    }

    #[test]
    fn masked_echoes_showing_only_the_ends_go_too() {
        let key = "sk-abc1Def2Ghi3Jkl4Mno5Pqr6Stu7wxyz";
        let r = Redactor::new(Some(key));
        for echo in [
            "sk-abc1****wxyz",
            "llama3.2:sk-abc1****wxyz",
            "(sk-…wxyz)",
            "****7wxyz",
        ] {
            let out = r.redact(&format!("you sent {echo}."));
            assert!(!out.contains("wxyz") && !out.contains("abc1"), "{out}");
        }
        assert_eq!(r.redact("loading... done"), "loading... done");
    }

    #[test]
    fn scrubbed_text_is_printable_one_line_and_bounded() {
        let r = Redactor::new(None);
        let out = r.scrub("a\x1b[2J\r\nFAKE\u{7}\0\u{202e}\u{9b}\x7fz", 100);
        assert_eq!(out, "a^[[2J FAKE^G^@\u{fffd}\u{fffd}^?z");
        let long = r.scrub(&"é".repeat(10_000), FIELD_MAX);
        assert!(
            long.len() <= FIELD_MAX && long.ends_with('…'),
            "{}",
            long.len()
        );
    }

    #[test]
    fn keeps_quotes_and_spacing() {
        let r = Redactor::new(Some(KEY));
        assert_eq!(
            r.redact(&format!("bad key \"{KEY}\", try again")),
            "bad key \"[redacted]\", try again"
        );
    }
}
