//! The UI's TypeScript, generated from the Rust types (ts-rs) into `ui/src/generated/`: every
//! shape the page sends or receives, the command list, and the tables the UI shows (class and
//! status words, provider kinds and presets with their defaults, engine defaults, duration
//! units). `cargo test -p controller` fails when the files there are stale;
//! `UPDATE_GENERATED=1 cargo test -p controller generated` writes them.

use crate::command::{Access, Capability, CommandName};
use monitor::config::{default_base_url, default_key_env, Preset, Timing};
use monitor::words::DURATION_UNITS;
use monitor::{Class, ComponentStatus, Kind, Severity, Status};
use serde_json::json;
use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use ts_rs::{TypeVisitor, TS};

const HEADER: &str =
    "// Generated from the Rust types by crates/controller/src/typescript.rs: do not edit.\n\
// After changing a Rust type, run `UPDATE_GENERATED=1 cargo test -p controller generated`.\n";

/// Gathers the declarations of a set of types and of every type they name.
pub struct Collector {
    cfg: ts_rs::Config,
    seen: HashSet<TypeId>,
    decls: BTreeMap<String, String>,
}

impl Collector {
    fn new() -> Collector {
        Collector {
            // JSON carries every number as a double; the history's counts fit in one.
            cfg: ts_rs::Config::new().with_large_int("number"),
            seen: HashSet::new(),
            decls: BTreeMap::new(),
        }
    }
}

impl TypeVisitor for Collector {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        if T::output_path().is_some() {
            let mut decl = T::docs().unwrap_or_default();
            decl.push_str("export ");
            decl.push_str(&T::decl(&self.cfg));
            self.decls.insert(T::ident(&self.cfg), decl);
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

/// Every generated file: its name under `ui/src/generated/` and its text.
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        ("types.ts", types()),
        ("commands.ts", commands()),
        ("tables.ts", tables()),
    ]
}

fn types() -> String {
    let mut collector = Collector::new();
    for name in CommandName::all() {
        (name.spec().ts_types)(&mut collector);
    }
    // What arrives as live events rather than as replies.
    collector.visit::<monitor::Event>();
    collector.visit::<Access>();
    collector.visit::<Capability>();
    collector.visit::<monitor::words::DurationUnit>();
    let mut out = String::from(HEADER);
    for decl in collector.decls.values() {
        out.push('\n');
        out.push_str(decl.trim_end());
        out.push('\n');
    }
    out
}

fn commands() -> String {
    let mut out = String::from(HEADER);
    let mut names = Vec::new();
    out.push_str("import type * as T from \"./types\";\n\n");
    out.push_str("/** Every command of the page: its arguments and its reply. */\n");
    out.push_str("export interface Commands {\n");
    for name in CommandName::all() {
        let spec = name.spec();
        let doc: Vec<&str> = spec.doc.split_whitespace().collect();
        out.push_str(&format!("  /** {} */\n", doc.join(" ")));
        out.push_str(&format!(
            "  {}: {{ args: {}; reply: {} }};\n",
            name.as_str(),
            qualified(&spec.args_ts),
            qualified(&spec.reply_ts)
        ));
        names.push(json!({
            "name": name.as_str(),
            "access": spec.access,
            "needs": spec.needs,
        }));
    }
    out.push_str("}\n\nexport type CommandName = keyof Commands;\n\n");
    out.push_str("/** Whether each command changes anything (and so needs `serve`'s token), and what it needs from the shell. */\n");
    out.push_str(&format!(
        "export const COMMANDS: readonly {{ name: CommandName; access: T.Access; needs: T.Capability | null }}[] = {};\n",
        pretty(&json!(names))
    ));
    out
}

/// A ts-rs type name with the generated types qualified (`T.StateView`); builtins stay.
fn qualified(ts: &str) -> String {
    let builtin = ["null", "string", "number", "boolean", "Array"];
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            if !builtin.contains(&word.as_str()) && word.starts_with(char::is_uppercase) {
                out.push_str("T.");
            }
            out.push_str(word);
            word.clear();
        }
    };
    for c in ts.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Ollama => "Ollama",
        Kind::Lmstudio => "LM Studio",
        Kind::Openai => "OpenAI",
        Kind::Anthropic => "Anthropic",
        Kind::Gemini => "Gemini",
        Kind::OpenaiCompatible => "OpenAI-compatible",
        Kind::Llamacpp => "llama.cpp",
        Kind::Vllm => "vLLM",
    }
}

fn tables() -> String {
    let classes: serde_json::Map<String, serde_json::Value> = Class::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), json!(c.plain_words())))
        .collect();
    let component_statuses: serde_json::Map<String, serde_json::Value> = ComponentStatus::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), json!(c.words())))
        .collect();
    let hard: Vec<&str> = Class::ALL
        .iter()
        .filter(|c| c.severity() == Severity::Hard)
        .map(|c| c.as_str())
        .collect();
    let soft: Vec<&str> = Class::ALL
        .iter()
        .filter(|c| c.severity() == Severity::Soft)
        .map(|c| c.as_str())
        .collect();
    let badness: serde_json::Map<String, serde_json::Value> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(s.badness())))
        .collect();
    let kinds: Vec<serde_json::Value> = Kind::ALL
        .iter()
        .map(|&k| {
            json!({
                "kind": k,
                "label": kind_label(k),
                "local": k.is_local(),
                "baseUrl": default_base_url(k, None),
                "keyEnv": default_key_env(k, None),
            })
        })
        .collect();
    let presets: Vec<serde_json::Value> = Preset::ALL
        .iter()
        .map(|&p| {
            json!({
                "preset": p,
                "label": p.display_name(),
                "baseUrl": p.default_base_url(),
                "keyEnv": p.key_env(),
                "local": p.is_local(),
            })
        })
        .collect();
    let defaults = Timing::default();
    let engine_defaults = json!({
        "interval": humantime::format_duration(defaults.interval).to_string(),
        "timeout": humantime::format_duration(defaults.timeout).to_string(),
        "slow_ms": defaults.slow_ms,
        "failure_threshold": defaults.failure_threshold,
        "success_threshold": defaults.success_threshold,
        "backoff_max": humantime::format_duration(defaults.backoff_max).to_string(),
        "confirm_interval": humantime::format_duration(defaults.confirm_interval).to_string(),
        "degraded_after": defaults.degraded_after,
    });
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let ranges: serde_json::Map<String, serde_json::Value> = store::Range::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                json!(r.duration().num_milliseconds()),
            )
        })
        .collect();
    let mut out = String::from(HEADER);
    out.push_str(
        "import type { Class, ComponentStatus, DurationUnit, Kind, Preset, Range, Status, TimingFile } from \"./types\";\n",
    );
    let mut table = |doc: &str, decl: &str, value: serde_json::Value| {
        out.push_str(&format!(
            "\n/** {doc} */\nexport const {decl} = {};\n",
            pretty(&value)
        ));
    };
    table(
        "Every status, in the order the engine lists them.",
        "STATUSES: readonly Status[]",
        json!(statuses),
    );
    table(
        "\"Worst of\" order, as the engine's `Status::badness`: the overall status is the worst.",
        "BADNESS: Readonly<Record<Status, number>>",
        json!(badness),
    );
    table(
        "Each class in plain words, as notifications and the tray say it.",
        "CLASS_WORDS: Readonly<Record<Class, string>>",
        json!(classes),
    );
    table(
        "Each status page component status in words, as the tray and notices say it.",
        "COMPONENT_STATUS_WORDS: Readonly<Record<ComponentStatus, string>>",
        json!(component_statuses),
    );
    table(
        "Hard failures count toward the failure threshold (and the history's `failures`).",
        "HARD_FAILURES: readonly Class[]",
        json!(hard),
    );
    table(
        "Soft classes make a target degraded, never unhealthy.",
        "SOFT_FAILURES: readonly Class[]",
        json!(soft),
    );
    table(
        "Provider kinds with what a target of that kind falls back to.",
        "KINDS: readonly { kind: Kind; label: string; local: boolean; baseUrl: string | null; keyEnv: string | null }[]",
        json!(kinds),
    );
    table(
        "Presets of `openai_compatible` with their defaults (Azure has no shared endpoint).",
        "PRESETS: readonly { preset: Preset; label: string; baseUrl: string | null; keyEnv: string | null; local: boolean }[]",
        json!(presets),
    );
    table(
        "What every target inherits unless the config or the target sets its own.",
        "ENGINE_DEFAULTS: Required<TimingFile>",
        engine_defaults,
    );
    table(
        "The ranges of the history, shortest first.",
        "RANGES: readonly Range[]",
        json!(store::Range::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()),
    );
    table(
        "Each range of the history and its length in milliseconds.",
        "RANGE_MS: Readonly<Record<Range, number>>",
        json!(ranges),
    );
    table(
        "Units of duration words, largest first (crates/monitor/src/words.rs).",
        "DURATION_UNITS: readonly DurationUnit[]",
        json!(DURATION_UNITS),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn generated_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/generated")
    }

    /// The UI compiles against these files; a Rust type that changed without them is a UI that
    /// reads the wrong shape.
    #[test]
    fn generated_typescript_is_fresh() {
        let dir = generated_dir();
        let update = std::env::var_os("UPDATE_GENERATED").is_some();
        let mut stale = Vec::new();
        for (name, text) in files() {
            let path = dir.join(name);
            if update {
                std::fs::create_dir_all(&dir).expect("create ui/src/generated");
                std::fs::write(&path, &text).expect("write a generated file");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(name);
            }
        }
        assert!(
            stale.is_empty(),
            "ui/src/generated/{stale:?} are stale: run `UPDATE_GENERATED=1 cargo test -p controller generated`"
        );
    }

    #[test]
    fn every_command_and_shape_is_declared() {
        let types = types();
        for shape in [
            "StateView",
            "SettingsView",
            "TimelineView",
            "MonitorEvent",
            "TargetFile",
            "ProviderIncidentSpan",
            "Beat",
            "Candidate",
        ] {
            assert!(types.contains(&format!("export type {shape} =")), "{shape}");
        }
        assert!(!types.contains("bigint"), "JSON numbers are numbers");
        let commands = commands();
        for name in CommandName::all() {
            assert!(
                commands.contains(&format!("  {}: {{", name.as_str())),
                "{name}"
            );
        }
    }

    #[test]
    fn type_names_are_qualified_but_builtins_are_not() {
        assert_eq!(qualified("Array<Incident>"), "Array<T.Incident>");
        assert_eq!(qualified("null"), "null");
        assert_eq!(qualified("string"), "string");
    }
}
