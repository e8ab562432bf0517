//! The built UI as static files: the right content types, nothing outside the UI directory, and
//! a page that says how to build the UI when there is none.

mod common;

use common::*;
use controller::CommandName as N;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw request, so paths reach the server exactly as written (clients normalize `..`).
async fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn ui_files_are_served_with_their_types_and_nothing_else() {
    let server = TestServer::start(Some(&quick_config(""))).await;
    let r = server.get("/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(r.text().await.unwrap().contains("<title>UI</title>"));

    let r = server.get("/assets/app-1a2b3c.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));

    assert_eq!(server.get("/missing.css").await.status(), 404);
    for path in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..\\secret.txt",
    ] {
        let response = raw_get(server.addr, path).await;
        assert!(
            response.starts_with("HTTP/1.1 404") || response.starts_with("HTTP/1.1 400"),
            "{path}: {response}"
        );
        assert!(!response.contains("outside the UI"), "{path}: {response}");
    }
    // A link out of the UI directory is not followed.
    #[cfg(unix)]
    {
        let ui = server.dir.path().join("ui");
        std::os::unix::fs::symlink(server.dir.path().join("secret.txt"), ui.join("link.txt"))
            .unwrap();
        let response = raw_get(server.addr, "/link.txt").await;
        assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_ui_dir_without_index_is_passed_over_and_the_api_still_works() {
    let missing = tempfile::TempDir::new().unwrap();
    let server = TestServer::start_with(Some(&quick_config("")), |o| {
        o.ui_dir = Some(missing.path().to_path_buf());
    })
    .await;
    // The source tree's built UI, or the page that explains how to build one.
    let r = server.get("/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        server.get(&format!("/api/{}", N::GetState)).await.status(),
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_ui_dir_the_built_in_ui_is_served() {
    let server = TestServer::start_with(Some(&quick_config("")), |o| o.ui_dir = None).await;
    let r = server.get("/").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("LLM Health Monitor"), "{page}");
    // The page's own script, by the hashed name Vite gave it.
    let script = page
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script in the built page")
        .trim_start_matches('.');
    let r = server.get(script).await;
    assert_eq!(r.status(), 200, "{script}");
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    server.stop().await;
}
