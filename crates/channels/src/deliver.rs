//! One delivery of one notice to one channel, and nothing else: no retries, no queue. Each kind
//! speaks its receiver's format: the notice's JSON (webhook), ntfy's headers, Slack's and
//! Discord's message JSON, or a program's stdin and environment.

use crate::error::DeliveryError;
use crate::notice::Notice;
use crate::KeyringUrl;
use chrono::Utc;
use monitor::config::{AlertChannel, ChannelKind, Destination, NoticeEvent, SecretUrl};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use url::Url;

/// The variable serve's access token may be in: a program run for a notice has no business
/// with it.
const TOKEN_VARIABLE: &str = "LLM_HEALTH_TOKEN";

/// Discord refuses a message longer than this (in characters).
const DISCORD_MAX: usize = 2000;
/// Slack truncates messages beyond 40,000 characters; stay well below.
const SLACK_MAX: usize = 39_000;
/// ntfy turns a message of more than 4,096 bytes into an attachment.
const NTFY_MAX_BYTES: usize = 4000;

/// A channel as it runs: its configuration and what it needs to reach its receiver.
pub(crate) struct Channel {
    pub config: AlertChannel,
    keyring: KeyringUrl,
    http: reqwest::Client,
}

/// What a request carries, per kind.
struct Payload {
    content_type: &'static str,
    body: Vec<u8>,
    headers: HeaderMap,
}

impl Channel {
    pub fn new(config: AlertChannel, keyring: KeyringUrl, http: reqwest::Client) -> Channel {
        Channel {
            config,
            keyring,
            http,
        }
    }

    pub fn kind(&self) -> &'static str {
        self.config.kind.as_str()
    }

    /// Sends `notice` once: an HTTP request within `http_limit`, or a program run within
    /// `command_limit`.
    pub async fn deliver(
        &self,
        notice: &Notice,
        http_limit: Duration,
        command_limit: Duration,
    ) -> Result<(), DeliveryError> {
        match (&self.config.kind, &self.config.destination) {
            (ChannelKind::Command, Destination::Command(argv)) => {
                run_command(argv, notice, command_limit).await
            }
            (ChannelKind::Command, _) => Err(DeliveryError::Spawn {
                program: "(none)".into(),
                reason: "the channel names no program".into(),
            }),
            (kind, _) => {
                let url = self.url().await?;
                let token = self.token()?;
                let payload = payload(*kind, notice, token.as_deref());
                let secrets = [
                    url.as_str(),
                    url.path(),
                    url.query().unwrap_or_default(),
                    token.as_deref().unwrap_or_default(),
                ];
                self.post(&url, payload, http_limit, &secrets).await
            }
        }
    }

    /// The receiver's URL: from the configuration, read from its variable or from the keyring
    /// at each delivery, so a rotated URL needs no restart.
    async fn url(&self) -> Result<Url, DeliveryError> {
        let text = match &self.config.destination {
            Destination::Url(url) => return Ok(url.expose().clone()),
            Destination::UrlEnv(var) => std::env::var(var)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| DeliveryError::UrlEnvUnset(var.clone()))?,
            Destination::Keyring => {
                // The keyring may wait on D-Bus: never on this task's thread.
                let (keyring, id) = (self.keyring.clone(), self.config.id.clone());
                tokio::task::spawn_blocking(move || keyring(&id))
                    .await
                    .ok()
                    .flatten()
                    .filter(|v| !v.trim().is_empty())
                    .ok_or(DeliveryError::NoKeyringUrl)?
            }
            Destination::Command(_) => {
                return Err(DeliveryError::BadUrl(
                    "is missing: this channel runs a program".into(),
                ))
            }
        };
        SecretUrl::parse(&text)
            .map(|url| url.expose().clone())
            .map_err(DeliveryError::BadUrl)
    }

    /// ntfy's access token, when `token_env` names a variable that is set.
    fn token(&self) -> Result<Option<String>, DeliveryError> {
        let Some(var) = &self.config.token_env else {
            return Ok(None);
        };
        let token = std::env::var(var)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        match token {
            Some(t) if HeaderValue::from_str(&format!("Bearer {t}")).is_err() => {
                Err(DeliveryError::BadToken(var.clone()))
            }
            token => Ok(token),
        }
    }

    async fn post(
        &self,
        url: &Url,
        payload: Payload,
        limit: Duration,
        secrets: &[&str],
    ) -> Result<(), DeliveryError> {
        let sent = self
            .http
            .post(url.clone())
            .timeout(limit)
            .headers(payload.headers)
            .header(CONTENT_TYPE, payload.content_type)
            .body(payload.body)
            .send()
            .await;
        let response = sent.map_err(|e| DeliveryError::transport(e, limit, secrets))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(DeliveryError::Status {
            status: status.as_u16(),
            retry_after: retry_after(response.headers()),
        })
    }
}

/// The request for `kind`.
fn payload(kind: ChannelKind, notice: &Notice, token: Option<&str>) -> Payload {
    let json = |value: &serde_json::Value| Payload {
        content_type: "application/json",
        body: value.to_string().into_bytes(),
        headers: HeaderMap::new(),
    };
    match kind {
        // A Notice is plain data: serializing it cannot fail.
        ChannelKind::Webhook | ChannelKind::Command => Payload {
            content_type: "application/json",
            body: serde_json::to_vec(notice).unwrap_or_default(),
            headers: HeaderMap::new(),
        },
        ChannelKind::Slack => json(&serde_json::json!({ "text": slack_text(notice) })),
        ChannelKind::Discord => json(&serde_json::json!({
            "content": discord_content(notice),
            // A target named "@everyone" pings nobody.
            "allowed_mentions": { "parse": [] },
        })),
        ChannelKind::Ntfy => {
            let mut headers = HeaderMap::new();
            headers.insert("Title", header_text(&notice.title));
            headers.insert(
                "Priority",
                HeaderValue::from(u16::from(ntfy_priority(notice.event))),
            );
            headers.insert("Tags", HeaderValue::from_static(ntfy_tags(notice.event)));
            if let Some(token) = token {
                // Checked by `Channel::token`.
                if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                    value.set_sensitive(true);
                    headers.insert(AUTHORIZATION, value);
                }
            }
            Payload {
                content_type: "text/plain; charset=utf-8",
                body: cut_bytes(&notice.body, NTFY_MAX_BYTES).into_bytes(),
                headers,
            }
        }
    }
}

/// ntfy's priority: 5 (urgent) for a down, 4 for going offline and what is still down, 3 (the
/// default) for recoveries and tests, 2 for degraded and a provider's incident.
pub(crate) fn ntfy_priority(event: NoticeEvent) -> u8 {
    match event {
        NoticeEvent::Down => 5,
        NoticeEvent::Offline | NoticeEvent::StillDown => 4,
        NoticeEvent::Recovered
        | NoticeEvent::Online
        | NoticeEvent::MaintenanceSummary
        | NoticeEvent::Test => 3,
        NoticeEvent::Degraded | NoticeEvent::ProviderIncident => 2,
    }
}

/// ntfy's tags, emoji short codes it shows before the title.
pub(crate) fn ntfy_tags(event: NoticeEvent) -> &'static str {
    match event {
        NoticeEvent::Down => "rotating_light",
        NoticeEvent::Recovered => "white_check_mark",
        NoticeEvent::Degraded => "warning",
        NoticeEvent::Offline => "electric_plug",
        NoticeEvent::Online => "globe_with_meridians",
        NoticeEvent::StillDown => "red_circle",
        NoticeEvent::MaintenanceSummary => "wrench",
        NoticeEvent::ProviderIncident => "information_source",
        NoticeEvent::Test => "test_tube",
    }
}

/// A header value for any text: ASCII as it is, anything else as an RFC 2047 encoded word,
/// which ntfy decodes (since 2.4). Line breaks become spaces.
fn header_text(text: &str) -> HeaderValue {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        if let Ok(value) = HeaderValue::from_str(&text) {
            return value;
        }
    }
    let encoded = format!("=?UTF-8?B?{}?=", base64(text.as_bytes()));
    HeaderValue::from_str(&encoded).unwrap_or(HeaderValue::from_static("LLM Health Monitor"))
}

/// Standard base64 with padding (RFC 4648), for encoded words.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Slack's mrkdwn: the title in bold, `&`, `<` and `>` escaped as Slack asks.
pub(crate) fn slack_text(notice: &Notice) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let text = format!("*{}*\n{}", escape(&notice.title), escape(&notice.body));
    cut_chars(&text, SLACK_MAX)
}

/// Discord's markdown: the title in bold, markdown characters in names escaped, at most 2000
/// characters.
pub(crate) fn discord_content(notice: &Notice) -> String {
    let escape = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if matches!(c, '\\' | '*' | '_' | '~' | '|' | '`' | '>' | '#') {
                out.push('\\');
            }
            out.push(c);
        }
        out
    };
    let text = format!("**{}**\n{}", escape(&notice.title), escape(&notice.body));
    cut_chars(&text, DISCORD_MAX)
}

/// At most `max` characters, ending in `…` when cut.
fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// At most `max` bytes, cut at a character boundary, ending in `…` when cut.
fn cut_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// `Retry-After` as seconds (whole or not) or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    (at.with_timezone(&Utc) - Utc::now())
        .to_std()
        .ok()
        .or(Some(Duration::ZERO))
}

/// Runs the program with the notice's JSON on stdin, within `limit`; a non-zero exit is a
/// failure. No shell: `argv` is the program and its arguments.
async fn run_command(
    argv: &[String],
    notice: &Notice,
    limit: Duration,
) -> Result<(), DeliveryError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(DeliveryError::Spawn {
            program: "(none)".into(),
            reason: "the channel names no program".into(),
        });
    };
    let json = serde_json::to_vec(notice).unwrap_or_default();
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("LLM_HEALTH_EVENT", notice.event.as_str())
        .env("LLM_HEALTH_TITLE", env_text(&notice.title))
        .env("LLM_HEALTH_BODY", env_text(&notice.body))
        .env("LLM_HEALTH_TARGETS", notice.target_ids().join(","))
        .env_remove(TOKEN_VARIABLE)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        // What a program prints is its own; it may well hold what it was given.
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| DeliveryError::Spawn {
        program: program.clone(),
        reason: e.to_string(),
    })?;
    let stdin = child.stdin.take();
    let run = async {
        if let Some(mut stdin) = stdin {
            // A program that does not read its stdin may exit first: that is not a failure.
            let _ = stdin.write_all(&json).await;
            let _ = stdin.shutdown().await;
        }
        child.wait().await
    };
    let outcome = tokio::time::timeout(limit, run).await;
    match outcome {
        Err(_) => {
            let _ = child.kill().await;
            Err(DeliveryError::CommandTimeout(limit))
        }
        Ok(Err(e)) => Err(DeliveryError::Exit(format!(
            "could not be waited for ({e})"
        ))),
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(DeliveryError::Exit(match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was ended by a signal".into(),
        })),
    }
}

/// Environment values cannot hold NUL.
fn env_text(text: &str) -> String {
    text.replace('\0', " ")
}

/// How channels talk HTTP: the workspace's reqwest with rustls, no redirects (a webhook URL is a
/// credential; a receiver that moved says so with a 3xx, shown to the user), bounded connects.
pub(crate) fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("llm-health-monitor/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(1)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn titles_go_in_headers_whatever_they_hold() {
        assert_eq!(header_text("Ollama is down"), "Ollama is down");
        assert_eq!(
            header_text("Müller is down"),
            "=?UTF-8?B?TcO8bGxlciBpcyBkb3du?="
        );
        assert_eq!(header_text("a\nb"), "a b");
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(500)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn long_messages_are_cut_to_fit() {
        let long = "é".repeat(3000);
        let cut = cut_chars(&long, DISCORD_MAX);
        assert_eq!(cut.chars().count(), DISCORD_MAX);
        assert!(cut.ends_with('…'));
        let cut = cut_bytes(&long, NTFY_MAX_BYTES);
        assert!(cut.len() <= NTFY_MAX_BYTES);
        assert!(cut.ends_with('…'));
        assert_eq!(cut_chars("short", 10), "short");
    }
}
