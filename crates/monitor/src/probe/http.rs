//! The one HTTP client every probe shares: bounded bodies, no credentials sent across hosts,
//! streamed replies read line by line with time to first token measured.

use super::classify::{http_failure, maybe_plain_http, transport_failure, Failure};
use crate::domain::{Class, Kind};
use bytes::{Bytes, BytesMut};
use chrono::Utc;
use reqwest::header::HeaderMap;
use reqwest::{redirect, RequestBuilder};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Largest body a probe reads. Model lists of big aggregators run to a few MB; anything far
/// beyond is not an API answering.
pub const BODY_CAP: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Result<serde_json::Value, Failure> {
        serde_json::from_slice(&self.body).map_err(|e| Failure {
            http_status: Some(self.status),
            ..Failure::bad_response(format!("response is not JSON ({e})"))
        })
    }
}

/// What one line of a streamed reply meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// Nothing of note (keep-alives, metadata).
    Nothing,
    /// Carried generated content: the first such line marks time to first token.
    Token,
    /// The stream is complete; stop reading.
    Done,
}

#[derive(Debug)]
pub struct Streamed {
    pub status: u16,
    pub headers: HeaderMap,
    pub ttft: Option<Duration>,
    /// Whether the stream ended properly (a `Done` line), rather than being cut.
    pub completed: bool,
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    body_cap: usize,
}

impl Http {
    pub fn new() -> Result<Http, reqwest::Error> {
        Http::with_body_cap(BODY_CAP)
    }

    pub fn with_body_cap(body_cap: usize) -> Result<Http, reqwest::Error> {
        // Redirects within the same server (a trailing slash, a moved path, http→https) are
        // followed; a redirect anywhere else is returned as-is and classified, because following
        // it would hand our key to a server the user never named.
        let policy = redirect::Policy::custom(|attempt| {
            let same_server = attempt
                .previous()
                .first()
                .is_some_and(|first| same_server(first, attempt.url()));
            if attempt.previous().len() > 5 || !same_server {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .redirect(policy)
            .user_agent(concat!("llm-health-monitor/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(2)
            .connect_timeout(Duration::from_secs(30))
            .dns_resolver(Arc::new(SystemResolver))
            .build()?;
        Ok(Http { client, body_cap })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and reads the whole body, up to the cap. Any status comes back as a
    /// `Reply`; only transport problems and oversize bodies are failures.
    pub async fn send(&self, request: RequestBuilder) -> Result<Reply, Failure> {
        let mut response = self.response(request).await?;
        let status = response.status().as_u16();
        // Taken, not cloned: the response needs its headers no more.
        let headers = std::mem::take(response.headers_mut());
        match response.content_length() {
            Some(len) if len > self.body_cap as u64 => return Err(self.too_big(status)),
            // A body of announced size within the cap is taken as it came (hyper then hands
            // over the bytes it read, usually without a copy). Sending more than announced is
            // a broken body, which hyper refuses.
            Some(_) => {
                let body = response.bytes().await.map_err(|e| Failure {
                    http_status: Some(status),
                    ..transport_failure(&e)
                })?;
                return Ok(Reply {
                    status,
                    headers,
                    body,
                });
            }
            None => {}
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Failure {
            http_status: Some(status),
            ..transport_failure(&e)
        })? {
            if body.len() + chunk.len() > self.body_cap {
                return Err(self.too_big(status));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: body.freeze(),
        })
    }

    /// Sends a request and requires a 2xx answer, classifying anything else for `kind`.
    pub async fn send_ok(&self, kind: Kind, request: RequestBuilder) -> Result<Reply, Failure> {
        let reply = self.send(request).await?;
        if (200..300).contains(&reply.status) {
            Ok(reply)
        } else {
            Err(http_failure(
                kind,
                reply.status,
                &reply.headers,
                &reply.body,
                Utc::now(),
            ))
        }
    }

    /// Sends a streaming request and feeds each line (SSE or NDJSON) to `on_line`. Time to first
    /// token runs from the moment the request is sent to the first line `on_line` calls a token.
    pub async fn stream_lines(
        &self,
        kind: Kind,
        request: RequestBuilder,
        mut on_line: impl FnMut(&str) -> Result<Line, Failure>,
    ) -> Result<Streamed, Failure> {
        let started = Instant::now();
        let mut response = self.response(request).await?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if !(200..300).contains(&status) {
            let mut body = BytesMut::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                if body.len() + chunk.len() > 64 * 1024 {
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            return Err(http_failure(kind, status, &headers, &body, Utc::now()));
        }
        let mut ttft = None;
        let mut pending = BytesMut::new();
        // How much of `pending` is known to hold no newline: only new bytes are searched, or a
        // long line (up to the body cap) would be rescanned on every chunk, quadratically.
        let mut scanned = 0usize;
        let mut total = 0usize;
        loop {
            let chunk = response.chunk().await.map_err(|e| Failure {
                http_status: Some(status),
                ..transport_failure(&e)
            })?;
            let Some(chunk) = chunk else {
                // The stream ended: a last line without a newline still counts.
                let rest = std::mem::take(&mut pending);
                let completed = !rest.is_empty()
                    && handle_line(&rest, &mut on_line, &mut ttft, started, status)?;
                return Ok(Streamed {
                    status,
                    headers,
                    ttft,
                    completed,
                });
            };
            total += chunk.len();
            if total > self.body_cap {
                return Err(self.too_big(status));
            }
            pending.extend_from_slice(&chunk);
            while let Some(pos) = pending[scanned..].iter().position(|&b| b == b'\n') {
                let line = pending.split_to(scanned + pos + 1);
                scanned = 0;
                if handle_line(&line, &mut on_line, &mut ttft, started, status)? {
                    return Ok(Streamed {
                        status,
                        headers,
                        ttft,
                        completed: true,
                    });
                }
            }
            scanned = pending.len();
        }
    }

    fn too_big(&self, status: u16) -> Failure {
        Failure {
            http_status: Some(status),
            ..Failure::bad_response(format!(
                "response larger than {} MiB",
                self.body_cap / (1024 * 1024)
            ))
        }
    }
}

/// A name lookup that failed, as its own type: classification knows it by its type, never by
/// words in an error's text (which holds the URL).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LookupFailed(std::io::Error);

/// The system resolver (getaddrinfo on a blocking thread, as reqwest's default), failing with
/// [`LookupFailed`].
struct SystemResolver;

impl reqwest::dns::Resolve for SystemResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(addrs) => {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
                }
                Err(e) => {
                    Err(Box::new(LookupFailed(e)) as Box<dyn std::error::Error + Send + Sync>)
                }
            }
        })
    }
}

impl Http {
    /// Sends a request; a failure without a response is classified. An https request to this
    /// machine or the local network ([`is_nearby`]) that has no answer after [`SLOW_LOCAL_TLS`]
    /// is checked for a plain-HTTP server
    /// meanwhile: one that waits silently for a request line after our ClientHello would
    /// otherwise show only as a `timeout`, after the whole timeout.
    async fn response(&self, request: RequestBuilder) -> Result<reqwest::Response, Failure> {
        let request = request.build().map_err(|e| transport_failure(&e))?;
        let local_https = (request.url().scheme() == "https" && is_nearby(request.url()))
            .then(|| request.url().clone());
        let sending = self.client.execute(request);
        tokio::pin!(sending);
        let sent = match local_https {
            None => sending.await,
            Some(url) => tokio::select! {
                sent = &mut sending => sent,
                () = tokio::time::sleep(SLOW_LOCAL_TLS) => {
                    if answers_plain_http(&url).await {
                        return Err(plain_http_failure());
                    }
                    sending.await
                }
            },
        };
        match sent {
            Ok(response) => Ok(response),
            Err(e) => Err(sent_failure(&e).await),
        }
    }
}

/// This machine, or one on the local network: where self-hosted servers (llama.cpp, vLLM, a
/// box with a GPU) run in plain HTTP, and where asking costs no cloud API a connection.
fn is_nearby(url: &url::Url) -> bool {
    if crate::config::is_loopback_host(url) {
        return true;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_private() || ip.is_link_local(),
        // Unique local (fc00::/7) and link-local (fe80::/10) addresses.
        Some(url::Host::Ipv6(ip)) => {
            let first = ip.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d.ends_with(".local") || d.ends_with(".lan") || d.ends_with(".home.arpa")
        }
        None => false,
    }
}

/// A TLS handshake with a server nearby takes milliseconds; one still without an answer after
/// this may be a plain-HTTP server waiting for a request line.
const SLOW_LOCAL_TLS: Duration = Duration::from_secs(1);

fn plain_http_failure() -> Failure {
    Failure::new(
        Class::Tls,
        "TLS failed: the server answered in plain HTTP — use http://",
    )
}

/// How long the plain-HTTP question may take: a server that speaks HTTP refuses it at once.
const PLAIN_HTTP_QUESTION: Duration = Duration::from_secs(2);

/// Classifies a request that got no response. When TLS to an https URL failed in a way a
/// plain-HTTP server causes, the server is asked in plain HTTP, so that the outcome can say
/// what is wrong and what to write instead.
async fn sent_failure(err: &reqwest::Error) -> Failure {
    let failure = transport_failure(err);
    let https = err.url().filter(|u| u.scheme() == "https");
    if let Some(url) = https.filter(|_| maybe_plain_http(err)) {
        if answers_plain_http(url).await {
            return plain_http_failure();
        }
    }
    failure
}

/// Whether the server at `url`'s host and port answers plain HTTP with an HTTP status line.
///
/// The question is a request head no server acts on: version `HTTP/9.9`, which every HTTP/1
/// server refuses while parsing (400 or 505), before any handler runs. So nothing is served,
/// logged as a request or loaded, and nothing but the host goes in clear (no path, no key).
async fn answers_plain_http(url: &url::Url) -> bool {
    let Some(port) = url.port_or_known_default() else {
        return false;
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return false,
    };
    let host_header = url.host_str().unwrap_or_default();
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .ok()?;
        let head =
            format!("HEAD / HTTP/9.9\r\nHost: {host_header}:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        let mut start = [0u8; 5];
        stream.read_exact(&mut start).await.ok()?;
        Some(&start == b"HTTP/")
    };
    tokio::time::timeout(PLAIN_HTTP_QUESTION, ask)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Whether a redirect from `from` to `to` stays on the server the user named. The host alone is
/// not enough: another port on the same host is another server (reqwest strips Authorization
/// there, but not the custom key headers `x-api-key`, `api-key`, `x-goog-api-key`). An upgrade
/// to https on its default port is the same server; a downgrade to http would send the key in
/// clear.
fn same_server(from: &url::Url, to: &url::Url) -> bool {
    if from.host_str() != to.host_str() {
        return false;
    }
    match (from.scheme(), to.scheme()) {
        (a, b) if a == b => from.port_or_known_default() == to.port_or_known_default(),
        ("http", "https") => to.port_or_known_default() == Some(443),
        _ => false,
    }
}

/// Returns true when the line ends the stream.
fn handle_line(
    raw: &[u8],
    on_line: &mut impl FnMut(&str) -> Result<Line, Failure>,
    ttft: &mut Option<Duration>,
    started: Instant,
    status: u16,
) -> Result<bool, Failure> {
    let text = String::from_utf8_lossy(raw);
    let line = text.trim();
    if line.is_empty() {
        return Ok(false);
    }
    match on_line(line).map_err(|f| Failure {
        http_status: f.http_status.or(Some(status)),
        ..f
    })? {
        Line::Nothing => Ok(false),
        Line::Token => {
            ttft.get_or_insert_with(|| started.elapsed());
            Ok(false)
        }
        Line::Done => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_nearby, same_server};

    #[test]
    fn nearby_is_this_machine_and_the_local_network_never_a_cloud_api() {
        let near = |u: &str| is_nearby(&u.parse().unwrap());
        for yes in [
            "https://localhost:11434",
            "https://127.0.0.1:8080",
            "https://[::1]:8000",
            "https://192.168.1.20:8000",
            "https://10.0.0.5",
            "https://172.16.3.4:1234",
            "https://169.254.1.1",
            "https://[fd12:3456::1]:8000",
            "https://[fe80::1]",
            "https://gpu-box.local:8000",
            "https://nas.lan",
        ] {
            assert!(near(yes), "{yes}");
        }
        for no in [
            "https://api.openai.com/v1",
            "https://8.8.8.8",
            "https://172.32.0.1",
            "https://[2001:db8::1]",
            "https://generativelanguage.googleapis.com",
        ] {
            assert!(!near(no), "{no}");
        }
    }

    #[test]
    fn redirects_are_followed_only_within_the_server() {
        let same = |a: &str, b: &str| same_server(&a.parse().unwrap(), &b.parse().unwrap());
        assert!(same("http://h:8080/v1/models", "http://h:8080/v1/models/"));
        assert!(same("http://h/v1", "https://h/v1"));
        assert!(same("https://h/v1", "https://h:443/v2"));
        assert!(
            !same("http://h:8080/v1", "http://h:8081/v1"),
            "another port"
        );
        assert!(
            !same("http://h:8080/v1", "https://h:8443/v1"),
            "another port"
        );
        assert!(!same("https://h/v1", "http://h/v1"), "key in clear");
        assert!(!same("https://a.example/v1", "https://b.example/v1"));
    }
}
