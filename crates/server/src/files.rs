//! The built UI (`ui/dist`), served as static files. Only files inside the UI directory are ever
//! read: `..`, hidden names and links that lead outside are refused.

use crate::AppState;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use std::path::{Path, PathBuf};

/// The environment variable naming the UI directory.
pub const UI_DIR_ENV: &str = "LLM_HEALTH_UI_DIR";

/// Where the UI is looked for, first match wins: `--ui DIR`, `$LLM_HEALTH_UI_DIR`,
/// `<exe dir>/../share/llm-health/ui` (an installed layout), and the source tree's `ui/dist`.
pub fn candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = explicit.map(Path::to_path_buf).into_iter().collect();
    if let Some(dir) = std::env::var_os(UI_DIR_ENV).filter(|v| !v.is_empty()) {
        out.push(PathBuf::from(dir));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        out.push(exe_dir.join("../share/llm-health/ui"));
    }
    out.push(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../ui/dist"
    )));
    out
}

/// The first candidate holding an `index.html`, made absolute; `None` when there is no built UI
/// anywhere (the API works without it).
pub fn find_ui(explicit: Option<&Path>) -> Option<PathBuf> {
    let found = candidates(explicit)
        .into_iter()
        .find(|dir| dir.join("index.html").is_file())?;
    if let Some(dir) = explicit.filter(|dir| !dir.join("index.html").is_file()) {
        tracing::warn!(
            "{} has no index.html; looking elsewhere for the UI",
            dir.display()
        );
    }
    Some(found.canonicalize().unwrap_or(found))
}

const NO_UI: &str = "<!doctype html><meta charset=utf-8><title>LLM Health Monitor</title>
<h1>LLM Health Monitor</h1>
<p>The web UI is not built. Build it with <code>npm ci &amp;&amp; npm run build</code> in
<code>ui/</code>, or point <code>llm-health serve --ui DIR</code> (or <code>LLM_HEALTH_UI_DIR</code>)
at a built copy, then reload this page.</p>
<p>The API works without it: <a href=\"/api/openapi.json\">/api/openapi.json</a> describes
it, <a href=\"/metrics\">/metrics</a>.</p>";

pub async fn serve_file(State(app): State<AppState>, uri: Uri) -> Response {
    respond(app.ui_dir.as_deref(), uri.path()).await
}

async fn respond(root: Option<&Path>, uri_path: &str) -> Response {
    let Some(root) = root else {
        return if uri_path == "/" {
            Html(NO_UI).into_response()
        } else {
            not_found()
        };
    };
    let Some(relative) = safe_relative(uri_path) else {
        return not_found();
    };
    let path = root.join(&relative);
    // A link inside the directory may point anywhere: only what resolves inside is served.
    let Ok(real) = tokio::fs::canonicalize(&path).await else {
        return not_found();
    };
    if !real.starts_with(root) {
        return not_found();
    }
    match tokio::fs::read(&real).await {
        Ok(bytes) => {
            let cache = if relative.starts_with("assets/") {
                // Vite puts a content hash in every asset name.
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [(CONTENT_TYPE, content_type(&real)), (CACHE_CONTROL, cache)],
                bytes,
            )
                .into_response()
        }
        Err(_) => not_found(),
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// The request path as a path relative to the UI directory, or `None` when it could leave it or
/// names something hidden: every segment percent-decoded, none empty-then-dotted, no `..`, no
/// backslash or NUL.
fn safe_relative(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let part = percent_decode(raw)?;
        if part.starts_with('.') || part.contains(['\\', '/', '\0', ':']) {
            return None;
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return Some("index.html".into());
    }
    Some(parts.join("/"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(safe_relative("/").as_deref(), Some("index.html"));
        assert_eq!(
            safe_relative("/assets/app-1a2b.js").as_deref(),
            Some("assets/app-1a2b.js")
        );
        assert_eq!(safe_relative("/a%20b.css").as_deref(), Some("a b.css"));
        for bad in [
            "/../etc/passwd",
            "/assets/../../x",
            "/%2e%2e/x",
            "/..%2fx",
            "/a%5c..%5cb",
            "/.env",
            "/%00",
            "/c:/x",
            "/bad%zz",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn without_a_ui_the_root_says_how_to_build_it() {
        let r = respond(None, "/").await;
        assert_eq!(r.status(), StatusCode::OK);
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        let page = String::from_utf8_lossy(&body);
        assert!(
            page.contains("npm run build") && page.contains("--ui DIR"),
            "{page}"
        );
        assert_eq!(
            respond(None, "/app.js").await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("a.JS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("x.unknown")),
            "application/octet-stream"
        );
    }
}
