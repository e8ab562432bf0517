//! For the build scripts of the crates that carry the web UI (`llm-health-server` embeds it,
//! the Tauri app bundles it): a fresh checkout builds `ui/dist` by itself, so that a plain
//! `cargo build --release -p llm-health` gives a binary that serves the dashboard.
//!
//! The UI is rebuilt when `ui/dist/index.html` is missing or older than any of its sources.
//! When Node.js is missing or too old for the UI's toolchain, the build stops with one
//! paragraph saying what to install.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// What the UI is built from, relative to `ui/`: a change to any of these rebuilds it.
const SOURCES: &[&str] = &[
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

/// Builds `ui/dist` when it is missing or stale, and tells Cargo when to look again. Exits the
/// build script with a message when the UI cannot be built.
pub fn ensure_ui_built() {
    let Some(ui) = find_ui_dir() else {
        // A crate published on its own has no UI sources next to it: nothing to build, and
        // the binary says at run time that it has no UI.
        println!("cargo:warning=no ui/ folder above this crate; the web UI is not built");
        return;
    };
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", ui.join(source).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        ui.join("dist/index.html").display()
    );
    if !is_stale(&ui) {
        return;
    }
    // Cargo may run the server's and the app's build scripts at once; one builds, the other
    // waits and then finds the UI fresh.
    let lock = File::open(ui.join("package.json")).and_then(|f| f.lock().map(|()| f));
    if let Err(err) = &lock {
        fail(&format!(
            "cannot read {}: {err}",
            ui.join("package.json").display()
        ));
    }
    if !is_stale(&ui) {
        return;
    }
    let required = required_node(&ui);
    match node_version() {
        None => fail(&format!(
            "Building the web UI (ui/dist) needs Node.js {required} with npm, and `node` was not \
             found. {}",
            INSTALL_NODE
        )),
        Some(found) if !satisfies(&found, &required) => fail(&format!(
            "Building the web UI (ui/dist) needs Node.js {required}, and this machine has \
             {}. {}",
            found
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("."),
            INSTALL_NODE
        )),
        Some(_) => {}
    }
    if needs_install(&ui) {
        npm(&ui, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    npm(&ui, &["run", "build", "--silent"]);
    println!(
        "cargo:warning=built the web UI into {}",
        ui.join("dist").display()
    );
}

const INSTALL_NODE: &str = "Install it: on Debian 13 or Ubuntu 24.04 and later `sudo apt \
    install nodejs npm`; on older releases Node 22 from https://nodejs.org/en/download (or \
    NodeSource's packages). Or build the UI elsewhere (`npm ci && npm run build` in ui/) and copy \
    ui/dist here.";

fn find_ui_dir() -> Option<PathBuf> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    manifest
        .ancestors()
        .map(|dir| dir.join("ui"))
        .find(|ui| ui.join("package.json").is_file())
}

fn is_stale(ui: &Path) -> bool {
    let Some(built) = modified(&ui.join("dist/index.html")) else {
        return true;
    };
    SOURCES
        .iter()
        .filter_map(|source| newest(&ui.join(source)))
        .any(|changed| changed > built)
}

/// `npm ci` when there is no `node_modules`, or when the lock file changed after npm last
/// installed (npm writes `node_modules/.package-lock.json` at every install).
fn needs_install(ui: &Path) -> bool {
    match (
        modified(&ui.join("node_modules/.package-lock.json")),
        modified(&ui.join("package-lock.json")),
    ) {
        (Some(installed), Some(locked)) => locked > installed,
        _ => true,
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file, or of anything under a folder.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    let own = meta.modified().ok();
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest(&entry.path()))
        .chain(own)
        .max()
}

fn npm(ui: &Path, args: &[&str]) {
    let program = if cfg!(windows) { "npm.cmd" } else { "npm" };
    match Command::new(program).args(args).current_dir(ui).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            // npm's stdout goes to stderr: Cargo reads a build script's stdout as directives.
            eprintln!("{}", String::from_utf8_lossy(&out.stdout));
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            fail(&format!(
                "`npm {}` in {} failed ({}); its output is above.",
                args.join(" "),
                ui.display(),
                out.status
            ))
        }
        Err(err) => fail(&format!(
            "cannot run npm ({err}). Building the web UI needs npm beside Node.js. {INSTALL_NODE}"
        )),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("\nllm-health: {message}\n");
    std::process::exit(1);
}

/// The Node versions the UI's toolchain accepts: `engines.node` of `ui/package.json`.
fn required_node(ui: &Path) -> String {
    let text = std::fs::read_to_string(ui.join("package.json")).unwrap_or_default();
    engines_node(&text).unwrap_or_else(|| ">=20.19.0".into())
}

/// The `"node"` value inside `"engines"`, read without a JSON parser (build scripts compile
/// their dependencies for the host a second time; this is all that is needed of the file).
fn engines_node(package_json: &str) -> Option<String> {
    let engines = &package_json[package_json.find("\"engines\"")?..];
    let engines = &engines[..engines.find('}')?];
    let node = &engines[engines.find("\"node\"")? + 6..];
    let start = node.find('"')? + 1;
    let end = start + node[start..].find('"')?;
    Some(node[start..end].to_string())
}

fn node_version() -> Option<Vec<u64>> {
    let out = Command::new("node").arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    parse_version(String::from_utf8(out.stdout).ok()?.trim())
}

fn parse_version(text: &str) -> Option<Vec<u64>> {
    let text = text.trim().trim_start_matches('v');
    let mut parts: Vec<u64> = text
        .split(['.', '-', '+', '~'])
        .take(3)
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    parts.resize(3, 0);
    Some(parts)
}

/// Whether `version` meets a range of the form npm's `engines` uses here: alternatives joined
/// by `||`, each `^A.B.C` (that major, at least A.B.C) or `>=A.B.C`.
fn satisfies(version: &[u64], range: &str) -> bool {
    range.split("||").any(|alternative| {
        let alternative = alternative.trim();
        if let Some(min) = alternative.strip_prefix('^').and_then(parse_version) {
            version.first() == min.first() && version >= min.as_slice()
        } else if let Some(min) = alternative.strip_prefix(">=").and_then(parse_version) {
            version >= min.as_slice()
        } else {
            false
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VITE: &str = "^20.19.0 || ^22.12.0 || >=24.0.0";

    #[test]
    fn node_ranges_as_vite_states_them() {
        for (version, ok) in [
            ("v18.19.0", false),
            ("v20.18.3", false),
            ("v20.19.0", true),
            ("v20.20.2", true),
            ("v21.7.3", false),
            ("v22.11.0", false),
            ("v22.12.0", true),
            ("v23.5.0", false),
            ("v24.1.0", true),
        ] {
            let parsed = parse_version(version).expect(version);
            assert_eq!(satisfies(&parsed, VITE), ok, "{version}");
        }
        assert_eq!(parse_version("20.19.2+dfsg-1"), Some(vec![20, 19, 2]));
        assert_eq!(parse_version("node"), None);
    }

    #[test]
    fn engines_node_is_read_from_package_json() {
        let json = r#"{ "name": "x", "engines": { "npm": ">=10", "node": "^20.19.0 || ^22.12.0 || >=24.0.0" }, "x": {} }"#;
        assert_eq!(engines_node(json).as_deref(), Some(VITE));
        assert_eq!(engines_node(r#"{"name": "x"}"#), None);
    }

    #[test]
    fn the_ui_declares_the_node_it_needs() {
        let ui = find_ui_dir().expect("ui/ above this crate");
        let text = std::fs::read_to_string(ui.join("package.json")).expect("ui/package.json");
        assert_eq!(engines_node(&text).as_deref(), Some(VITE));
    }
}
