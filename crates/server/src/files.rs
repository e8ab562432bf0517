//! The built UI (`ui/dist`), served as static files: the copy built into the binary, or a
//! directory named by `--ui DIR` / `$LLM_HEALTH_UI_DIR` (for UI development). From a directory
//! only files inside it are ever read: `..`, hidden names and links that lead outside are
//! refused.

use crate::AppState;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable naming the UI directory.
pub const UI_DIR_ENV: &str = "LLM_HEALTH_UI_DIR";

/// `ui/dist`, which the build script builds when it is missing or stale. Release builds carry
/// the files; debug builds read them from the source tree, so a rebuilt UI shows at a reload.
#[derive(rust_embed::Embed)]
#[folder = "../../ui/dist"]
struct Embedded;

/// Where the pages come from.
#[derive(Debug, Clone)]
pub(crate) enum Ui {
    Dir(Arc<Path>),
    Embedded,
}

/// `--ui DIR`, else `$LLM_HEALTH_UI_DIR`, else the built-in copy; `None` when none of them has
/// an `index.html` (the API works without it).
pub(crate) fn find_ui(explicit: Option<&Path>) -> Option<Ui> {
    let dirs = explicit.map(Path::to_path_buf).into_iter().chain(
        std::env::var_os(UI_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    );
    for dir in dirs {
        if dir.join("index.html").is_file() {
            let dir = dir.canonicalize().unwrap_or(dir);
            return Some(Ui::Dir(Arc::from(dir)));
        }
        tracing::warn!(
            "{} has no index.html; serving the built-in UI instead",
            dir.display()
        );
    }
    Embedded::get("index.html").map(|_| Ui::Embedded)
}

const NO_UI: &str = "<!doctype html><meta charset=utf-8><title>LLM Health Monitor</title>
<h1>LLM Health Monitor</h1>
<p>This build has no web UI. Build it with <code>npm ci &amp;&amp; npm run build</code> in
<code>ui/</code> (<code>cargo build</code> does that by itself when Node.js is installed), or
point <code>llm-health serve --ui DIR</code> (or <code>LLM_HEALTH_UI_DIR</code>) at a built copy,
then reload this page.</p>
<p>The API works without it: <a href=\"/api/openapi.json\">/api/openapi.json</a> describes
it, <a href=\"/metrics\">/metrics</a>.</p>";

pub async fn serve_file(State(app): State<AppState>, uri: Uri) -> Response {
    respond(app.ui.as_ref(), uri.path()).await
}

async fn respond(ui: Option<&Ui>, uri_path: &str) -> Response {
    let Some(ui) = ui else {
        return if uri_path == "/" {
            Html(NO_UI).into_response()
        } else {
            not_found()
        };
    };
    let Some(relative) = safe_relative(uri_path) else {
        return not_found();
    };
    let bytes = match ui {
        Ui::Dir(root) => read_inside(root, &relative).await.map(Cow::Owned),
        Ui::Embedded => Embedded::get(&relative).map(|file| file.data),
    };
    let Some(bytes) = bytes else {
        return not_found();
    };
    let cache = if relative.starts_with("assets/") {
        // Vite puts a content hash in every asset name.
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (CONTENT_TYPE, content_type(Path::new(&relative))),
            (CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}

/// The file at `relative` under `root`, if it resolves inside `root`: a link inside the
/// directory may point anywhere.
async fn read_inside(root: &Path, relative: &str) -> Option<Vec<u8>> {
    let real = tokio::fs::canonicalize(root.join(relative)).await.ok()?;
    if !real.starts_with(root) {
        return None;
    }
    tokio::fs::read(&real).await.ok()
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
