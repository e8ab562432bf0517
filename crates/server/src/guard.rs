//! What every request passes before it reaches a route (API.md, "Security"): a `Host` that names
//! this server (DNS rebinding), an `Origin`, if any, of this server (cross-site requests), and
//! JSON bodies only (a cross-site form cannot send one). The access token is checked by the
//! command route itself, on the decoded name that will run ([`Guard::allows`]): a check on the
//! raw path could be passed by spelling a name differently (`import%5Ftoml`).

use crate::error::ServerError;
use axum::extract::{Request, State};
use axum::http::header::{
    HeaderName, AUTHORIZATION, CONTENT_SECURITY_POLICY as CONTENT_SECURITY_POLICY_HEADER,
    CONTENT_TYPE, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use controller::{Access, CommandName};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug)]
pub struct Guard {
    token: String,
    /// `host:port` forms a request may name this server by, lower case.
    hosts: Vec<String>,
}

impl Guard {
    /// `listen` is the bound address (its real port); `allow` holds extra names given with
    /// `--allow-host` (a bare name is accepted with or without the port; `name:port` exactly).
    pub fn new(token: String, listen: SocketAddr, allow: &[String]) -> Guard {
        let port = listen.port();
        let mut hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
            listen.to_string(),
        ];
        for name in allow {
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            let has_port = name.rsplit_once(':').is_some_and(|(_, p)| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(']')
            });
            if !has_port {
                hosts.push(format!("{name}:{port}"));
            }
            hosts.push(name);
        }
        if port == 80 {
            // Browsers leave the default port out of `Host` and `Origin`.
            let bare: Vec<String> = hosts
                .iter()
                .filter_map(|h| h.strip_suffix(":80").map(str::to_string))
                .collect();
            hosts.extend(bare);
        }
        hosts.sort();
        hosts.dedup();
        Guard { token, hosts }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        origin
            .trim()
            .to_ascii_lowercase()
            .strip_prefix("http://")
            .is_some_and(|host| self.hosts.iter().any(|h| h == host))
    }

    /// Whether the request may run `name`: a command that changes something needs the token.
    pub fn allows(&self, name: CommandName, headers: &HeaderMap) -> Result<(), ServerError> {
        if name.access() == Access::Change && !self.token_ok(headers) {
            return Err(ServerError::Unauthorized);
        }
        Ok(())
    }

    fn token_ok(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        constant_time_eq(given.trim().as_bytes(), self.token.as_bytes())
    }

    fn check(&self, req: &Request) -> Result<(), ServerError> {
        let headers = req.headers();
        let host = headers.get(HOST).and_then(|v| v.to_str().ok());
        match host {
            Some(host) if self.host_allowed(host) => {}
            _ => {
                return Err(ServerError::Forbidden(
                    "this server answers only to its own address (the Host header names another); \
                     to reach it by another name, start it with --allow-host NAME"
                        .into(),
                ))
            }
        }
        if let Some(origin) = headers.get(ORIGIN) {
            if !origin.to_str().is_ok_and(|o| self.origin_allowed(o)) {
                return Err(ServerError::Forbidden(
                    "requests from other web pages are refused (the Origin header names another site)"
                        .into(),
                ));
            }
        }
        if req.method() == Method::POST && !is_json(headers) {
            return Err(ServerError::UnsupportedMediaType);
        }
        Ok(())
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Compares without stopping at the first difference, so response time says nothing about how
/// much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The page's content security policy: its own scripts, styles and API only, nothing inline
/// that could run, no plugins, and no framing (clickjacking the Settings form).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Headers on every answer, the API's included (a JSON error must not be sniffed into HTML,
/// nor any page framed).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (CONTENT_SECURITY_POLICY_HEADER, CONTENT_SECURITY_POLICY),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

pub async fn guard(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    match guard.check(&req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(allow: &[&str]) -> Guard {
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        Guard::new("t0k3n".into(), "127.0.0.1:7878".parse().unwrap(), &allow)
    }

    #[test]
    fn hosts_are_this_server_or_allowed_names() {
        let g = guard(&["Monitor.lan", "proxy:9000"]);
        for ok in [
            "127.0.0.1:7878",
            "localhost:7878",
            "LOCALHOST:7878",
            "[::1]:7878",
            "monitor.lan",
            "monitor.lan:7878",
            "proxy:9000",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "evil.com:7878",
            "127.0.0.1:7879",
            "localhost",
            "proxy",
            "proxy:7878",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
        assert!(g.origin_allowed("http://localhost:7878"));
        assert!(!g.origin_allowed("https://localhost:7878"));
        assert!(!g.origin_allowed("http://evil.com"));
        assert!(!g.origin_allowed("null"));
    }

    #[test]
    fn tokens_compare_whole() {
        let g = guard(&[]);
        let mut h = HeaderMap::new();
        assert!(!g.token_ok(&h));
        h.insert(AUTHORIZATION, "Bearer t0k3n".parse().unwrap());
        assert!(g.token_ok(&h));
        h.insert(AUTHORIZATION, "Bearer t0k3".parse().unwrap());
        assert!(!g.token_ok(&h));
        h.insert(AUTHORIZATION, "t0k3n".parse().unwrap());
        assert!(!g.token_ok(&h));
    }
}
