//! What `--version`, the app's About and `get_state` show, in one place: the package version,
//! the git commit it was built from and the build date (set by `build.rs`).

/// The package version, as Cargo knows it.
pub const PACKAGE: &str = env!("CARGO_PKG_VERSION");
/// The short commit hash; `unknown` when built outside a git checkout (a source tarball).
pub const COMMIT: &str = env!("LLM_HEALTH_COMMIT");
/// The build date, `YYYY-MM-DD` in UTC (from `SOURCE_DATE_EPOCH` when set, for reproducible
/// builds).
pub const BUILD_DATE: &str = env!("LLM_HEALTH_BUILD_DATE");
/// `0.1.0 (commit 1a2b3c4, built 2026-12-02)`, for `--version` and the About section.
pub const VERSION: &str = env!("LLM_HEALTH_VERSION");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_package_commit_and_date() {
        assert!(VERSION.starts_with(PACKAGE), "{VERSION}");
        assert!(VERSION.contains(COMMIT), "{VERSION}");
        assert!(VERSION.contains(BUILD_DATE), "{VERSION}");
        let date: Vec<&str> = BUILD_DATE.split('-').collect();
        assert_eq!(date.len(), 3, "{BUILD_DATE}");
        assert!(date.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())));
        assert!(!COMMIT.is_empty());
    }
}
