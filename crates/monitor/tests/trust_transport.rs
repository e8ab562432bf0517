//! Transport failures are classified by what happened, not by words in the URL: a path that
//! says "tls" or "resolve" changes nothing, and `https://` to a plain-HTTP server is a quick
//! `tls` that says what to write instead.

mod common;

use common::{closed_root, prober, target};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::{Class, Outcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Paths holding every word the old text-scanning classifier looked for.
const WORDY_PATHS: [&str; 8] = [
    "/tls/v1",
    "/ssl/v1",
    "/certificate/v1",
    "/handshake/v1",
    "/corrupt%20message/v1",
    "/dns/v1",
    "/resolve/v1",
    "/refused/v1",
];

fn assert_no_path_words(what: &str, o: &Outcome) {
    let message = o.message.to_lowercase();
    for word in [
        "tls",
        "ssl",
        "certificate",
        "handshake",
        "dns",
        "resolve",
        "url (",
    ] {
        assert!(
            !message.contains(word),
            "{what}: {word:?} in the message {:?}",
            o.message
        );
    }
}

#[tokio::test]
async fn a_closed_port_is_refused_whatever_the_path_says() {
    let root = closed_root();
    let p = prober();
    for path in WORDY_PATHS {
        let o = p
            .probe(&target("openai_compatible", &format!("{root}{path}"), ""))
            .await;
        assert_eq!(o.class, Class::Connect, "{path}: {o:#?}");
        assert_eq!(
            o.message, "connection refused (is the server running?)",
            "{path}"
        );
        assert_no_path_words(path, &o);
    }
}

#[tokio::test]
async fn a_dropped_connection_is_dropped_whatever_the_path_says() {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_fault(Fault::Drop);
    let p = prober();
    for path in WORDY_PATHS {
        let o = p
            .probe(&target(
                "openai_compatible",
                &format!("{}{path}", fake.url()),
                "",
            ))
            .await;
        assert_eq!(o.class, Class::Connect, "{path}: {o:#?}");
        assert!(
            o.message.starts_with("connection dropped"),
            "{path}: {}",
            o.message
        );
        assert_no_path_words(path, &o);
    }
}

#[tokio::test]
async fn a_real_server_answers_whatever_the_path_says() {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    let p = prober();
    for path in WORDY_PATHS {
        let o = p
            .probe(&target(
                "openai_compatible",
                &format!("{}{path}", fake.url()),
                "",
            ))
            .await;
        // The fake serves `/v1/models` only: another path is its real 404.
        assert_eq!(o.class, Class::NotFound, "{path}: {o:#?}");
        assert_eq!(o.http_status, Some(404), "{path}");
    }
}

/// A failed lookup is a failed lookup even when the path says "refused"; `.invalid` never
/// resolves (RFC 6761).
#[tokio::test]
async fn a_failed_lookup_is_named_whatever_the_path_says() {
    let p = prober();
    for path in ["/refused/v1", "/tls/v1"] {
        let t = target(
            "openai_compatible",
            &format!("http://no-such-host.invalid{path}"),
            "timeout = \"20s\"",
        );
        let o = p.probe(&t).await;
        assert_eq!(o.class, Class::Connect, "{path}: {o:#?}");
        assert!(
            o.message.starts_with("name lookup failed: "),
            "{path}: {}",
            o.message
        );
        assert!(!o.message.contains("refused"), "{path}: {}", o.message);
    }
}

/// `https://` to a plain-HTTP server (the fake answers a ClientHello with an HTTP 400).
#[tokio::test]
async fn https_to_a_plain_http_server_is_a_quick_tls_failure() {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    let https = fake.url().replace("http://", "https://");
    // A timeout far beyond the test's run: a `timeout` outcome would need all of it.
    let t = target("openai", &format!("{https}/v1"), "timeout = \"10m\"");
    let o = prober().probe(&t).await;
    assert_eq!(o.class, Class::Tls, "{o:#?}");
    assert_eq!(
        o.message,
        "TLS failed: the server answered in plain HTTP — use http://"
    );
}

/// A plain-HTTP server that answers a request head once it has read its blank line, and hangs
/// up without a word on a connection that does not start like HTTP.
async fn closing_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let root = format!("https://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                    if seen.first().is_some_and(|b| !b.is_ascii_alphabetic()) {
                        return;
                    }
                    if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let status = if seen.starts_with(b"HEAD ") || seen.starts_with(b"GET ") {
                    "200 OK"
                } else {
                    "400 Bad Request"
                };
                let reply =
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (root, task)
}

#[tokio::test]
async fn https_to_a_plain_http_server_that_closes_is_a_tls_failure() {
    let (root, server) = closing_server().await;
    let t = target("openai", &format!("{root}/v1"), "timeout = \"10m\"");
    let o = prober().probe(&t).await;
    assert_eq!(o.class, Class::Tls, "{o:#?}");
    assert_eq!(
        o.message,
        "TLS failed: the server answered in plain HTTP — use http://"
    );
    server.abort();
}

/// A server that is not TLS and does not answer plain HTTP either is still a TLS failure, and
/// the message does not claim it speaks HTTP.
#[tokio::test]
async fn https_to_a_server_that_is_neither_says_so() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let root = format!("https://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
        }
    });
    let t = target("openai", &format!("{root}/v1"), "timeout = \"10m\"");
    let o = prober().probe(&t).await;
    assert_eq!(o.class, Class::Tls, "{o:#?}");
    assert!(
        o.message
            .starts_with("TLS failed: the server did not answer in TLS"),
        "{}",
        o.message
    );
    server.abort();
}

/// A plain-HTTP server that reads our ClientHello as the start of a request line and waits
/// silently for the rest (many do), but answers a whole plain request at once.
async fn silent_plain_server() -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let root = format!("https://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 1024];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        let _ = stream
                            .write_all(b"HTTP/1.1 505 HTTP Version Not Supported\r\n\r\n")
                            .await;
                        return;
                    }
                }
            });
        }
    });
    (root, task)
}

#[tokio::test]
async fn https_to_a_silent_plain_http_server_is_a_tls_failure_not_a_timeout() {
    let (root, server) = silent_plain_server().await;
    let t = target("ollama", &root, "timeout = \"10m\"");
    let o = prober().probe(&t).await;
    assert_eq!(o.class, Class::Tls, "{o:#?}");
    assert_eq!(
        o.message,
        "TLS failed: the server answered in plain HTTP — use http://"
    );
    server.abort();
}
