//! Keeps API keys out of everything a probe reports. Servers echo keys back in error bodies
//! ("Incorrect API key provided: sk-abc…"), so every message derived from a response passes
//! through here before it can reach a log, the database or the screen.

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

impl Redactor {
    pub fn new(key: Option<&str>) -> Self {
        Redactor {
            key: key
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_string),
        }
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
        map_tokens(text, |token| token.contains(head) || token.contains(tail))
    }
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
    fn keeps_quotes_and_spacing() {
        let r = Redactor::new(Some(KEY));
        assert_eq!(
            r.redact(&format!("bad key \"{KEY}\", try again")),
            "bad key \"[redacted]\", try again"
        );
    }
}
