//! The completions and man pages that scripts/package ships, made by the real binary: every
//! subcommand `--help` lists is in each of them, so a new subcommand cannot be left out.

use std::process::{Command, Output};

fn llm_health(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_llm-health"))
        .args(args)
        .output()
        .expect("running llm-health");
    assert!(
        out.status.success(),
        "llm-health {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The subcommands of `llm-health --help`, but `help`.
fn visible_subcommands() -> Vec<String> {
    let help = String::from_utf8(llm_health(&["--help"]).stdout).unwrap();
    let names: Vec<String> = help
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .filter(|name| name != "help")
        .collect();
    assert!(
        ["check", "serve", "completions"]
            .iter()
            .all(|name| names.iter().any(|n| n == name)),
        "{help}"
    );
    names
}

#[test]
fn completions_cover_every_subcommand_in_each_shell() {
    let subcommands = visible_subcommands();
    for shell in ["bash", "zsh", "fish"] {
        let script = String::from_utf8(llm_health(&["completions", shell]).stdout).unwrap();
        assert!(script.contains("llm-health"), "{shell}: {script}");
        for name in &subcommands {
            assert!(script.contains(name.as_str()), "{shell} lacks {name}");
        }
        assert!(
            !script.contains("generate-man"),
            "{shell} offers the hidden generate-man"
        );
    }
}

#[test]
fn man_pages_are_one_per_subcommand_and_the_main_page_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    llm_health(&["generate-man", out.to_str().unwrap()]);
    let page = |name: &str| {
        let path = out.join(format!("{name}.1"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let main = page("llm-health");
    assert!(main.contains(".TH llm-health 1 "), "{main}");
    for name in visible_subcommands() {
        // roff escapes the hyphens of names.
        assert!(
            main.contains(&name.replace('-', "\\-")),
            "llm-health.1 lacks {name}"
        );
        let sub = page(&format!("llm-health-{name}"));
        assert!(sub.contains(".SH NAME"), "llm-health-{name}.1: {sub}");
    }
    page("llm-health-config-validate");
    assert!(!out.join("llm-health-generate-man.1").exists());
    assert!(!out.join("llm-health-help.1").exists());
}
