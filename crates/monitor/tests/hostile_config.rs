//! The config parser on random TOML: whatever the text (a file the user half wrote, an import
//! from elsewhere), `ConfigFile::parse_checked` answers with a config or an error naming a line,
//! and never panics. Documents are assembled from the real keys and plausible and hostile
//! values, so most get past TOML syntax and reach the checks behind it.

use monitor::config::ConfigFile;
use proptest::prelude::*;
use proptest::test_runner::Config;

const TABLES: &[&str] = &[
    "[[targets]]",
    "[defaults]",
    "[engine]",
    "[targets]",
    "[[defaults]]",
    "[x]",
];

const KEYS: &[&str] = &[
    "id",
    "name",
    "kind",
    "preset",
    "base_url",
    "api_key_env",
    "probe",
    "model",
    "api_version",
    "enabled",
    "interval",
    "timeout",
    "slow_ms",
    "failure_threshold",
    "success_threshold",
    "backoff_max",
    "max_concurrent_probes",
    "unknown_key",
    "targets",
    "\"quoted key\"",
    "a.b",
];

const VALUES: &[&str] = &[
    "\"ollama\"",
    "\"lmstudio\"",
    "\"openai\"",
    "\"anthropic\"",
    "\"gemini\"",
    "\"openai_compatible\"",
    "\"groq\"",
    "\"azure\"",
    "\"reachable\"",
    "\"inference\"",
    "\"http://127.0.0.1:11434\"",
    "\"https://api.openai.com/v1\"",
    "\"ftp://x\"",
    "\"http://\"",
    "\"http://[::1]:99999\"",
    "\"\"",
    "\"t\"",
    "\"t\"",
    "\"5s\"",
    "\"0s\"",
    "\"500ms\"",
    "\"1h 30m\"",
    "\"18446744073709551615s\"",
    "\"99999999999999 years\"",
    "\"-1s\"",
    "\"5 parsecs\"",
    "\"1ns\"",
    "0",
    "1",
    "-1",
    "18446744073709551615",
    "9223372036854775807",
    "1.5",
    "nan",
    "inf",
    "true",
    "false",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "\"\\u001b[2J\"",
    "\"\\u0000\"",
    "'''\nmulti\n'''",
    "\"sk-proj-abcdefghijklmnopqrstuvwxyz012345\"",
];

/// A small fast RNG: a case draws a few dozen choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn document(seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut text = String::new();
    let lines = rng.next() % 24;
    for _ in 0..lines {
        match rng.next() % 10 {
            0 | 1 => text.push_str(rng.pick(TABLES)),
            2 => {
                // Noise: a fragment of TOML syntax, or any character at all.
                let noise = ["=", "[", "]", "\"", "'", "#", "\\", "{", "}", ",", "\t"];
                text.push_str(rng.pick(&noise));
                if let Some(c) = char::from_u32(rng.next() as u32 % 0x11_0000) {
                    text.push(c);
                }
            }
            _ => {
                text.push_str(rng.pick(KEYS));
                text.push_str(" = ");
                text.push_str(rng.pick(VALUES));
            }
        }
        text.push('\n');
    }
    text
}

proptest! {
    #![proptest_config(Config { cases: 250_000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn random_toml_never_panics_the_config_parser(seed in any::<u64>()) {
        let text = document(seed);
        if let Err(e) = ConfigFile::parse_checked(&text, "fuzz.toml") {
            // Every error is a sentence, whatever the input.
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn the_generator_reaches_past_toml_syntax() {
    // Most documents must parse as TOML, and some must make whole configs, or the property
    // above tests only the TOML crate.
    let (mut toml_ok, mut configs) = (0, 0);
    for seed in 0..5000u64 {
        let text = document(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if text.parse::<toml::Table>().is_ok() {
            toml_ok += 1;
        }
        if ConfigFile::parse_checked(&text, "t").is_ok() {
            configs += 1;
        }
    }
    assert!(toml_ok > 500, "{toml_ok}");
    assert!(configs > 20, "{configs}");
}
