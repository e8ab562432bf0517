//! Keys as people store them: with a trailing newline from `echo`, a CR from a Windows file, or
//! something pasted that no header can carry. Whitespace is trimmed wherever a key comes from;
//! a key that is still unusable is named by where it came from, never quoted.

mod common;

use common::{assert_no_key_fragment, Cloud, KEY};
use monitor::config::Target;
use monitor::probe::{usable_key, EnvKeys, KeySource, Prober};
use monitor::Class;
use std::sync::Arc;

/// A key source standing in for the keyring: gives the same key to every target.
struct Stored(String);

impl KeySource for Stored {
    fn key_for(&self, _: &Target) -> Option<String> {
        Some(self.0.clone())
    }
}

/// The target of `cloud` on `root`, reading its key from `var`.
fn target_reading(cloud: Cloud, root: &str, var: &str) -> Target {
    let mut target = cloud.target(root, "");
    target.api_key_env = Some(var.to_string());
    target
}

#[tokio::test]
async fn a_key_with_a_trailing_newline_is_sent_trimmed() {
    for (i, cloud) in Cloud::ALL.into_iter().enumerate() {
        for (j, tail) in ["\n", "\r\n", " \t\n"].into_iter().enumerate() {
            let fake = cloud.fake().await;
            // A variable of its own per case: tests of this binary run in parallel.
            let var = format!("TRUST_KEYS_TRAILING_{i}_{j}");
            std::env::set_var(&var, format!("{KEY}{tail}"));
            let prober = Prober::new(Arc::new(EnvKeys)).unwrap();
            let outcome = prober
                .probe(&target_reading(cloud, &fake.url(), &var))
                .await;
            assert_eq!(outcome.class, Class::Ok, "{cloud:?} {tail:?}: {outcome:#?}");
            let (header, value) = cloud.key_header(KEY);
            let requests = fake.requests();
            assert!(!requests.is_empty(), "{cloud:?}");
            for r in &requests {
                assert_eq!(
                    r.header(header),
                    Some(value.as_str()),
                    "{cloud:?} {tail:?}: {r:#?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_stored_key_is_trimmed_too() {
    let fake = Cloud::Anthropic.fake().await;
    let prober = Prober::new(Arc::new(Stored(format!("  {KEY}\r\n")))).unwrap();
    let outcome = prober
        .probe(&Cloud::Anthropic.target(&fake.url(), ""))
        .await;
    assert_eq!(outcome.class, Class::Ok, "{outcome:#?}");
}

#[tokio::test]
async fn an_unusable_key_names_its_variable_and_is_not_quoted() {
    let fake = Cloud::Openai.fake().await;
    let var = "TRUST_KEYS_CONTROL_CHARACTER";
    let key = format!("{}\u{7}{}", &KEY[..20], &KEY[20..]);
    std::env::set_var(var, &key);
    let prober = Prober::new(Arc::new(EnvKeys)).unwrap();
    let outcome = prober
        .probe(&target_reading(Cloud::Openai, &fake.url(), var))
        .await;
    assert_eq!(outcome.class, Class::Auth, "{outcome:#?}");
    assert_eq!(
        outcome.message,
        "API key in TRUST_KEYS_CONTROL_CHARACTER is not usable as a header: contains a control character"
    );
    assert_no_key_fragment("message", &outcome.message, &key);
    assert!(
        fake.requests().is_empty(),
        "nothing is sent with a broken key"
    );
}

#[tokio::test]
async fn an_unusable_stored_key_says_it_is_the_stored_one() {
    let fake = Cloud::Gemini.fake().await;
    let prober = Prober::new(Arc::new(Stored(format!("{KEY}\u{201d}")))).unwrap();
    let outcome = prober.probe(&Cloud::Gemini.target(&fake.url(), "")).await;
    assert_eq!(outcome.class, Class::Auth, "{outcome:#?}");
    assert_eq!(
        outcome.message,
        "the stored API key of this target is not usable as a header: contains a character outside ASCII"
    );
}

#[test]
fn usable_keys_are_trimmed_and_checked() {
    assert_eq!(usable_key(" k-1\r\n"), Ok(Some("k-1".to_string())));
    assert_eq!(usable_key(" \n"), Ok(None));
    assert_eq!(usable_key("a\nb"), Err("contains a control character"));
    assert_eq!(usable_key("a\u{0}b"), Err("contains a control character"));
    assert_eq!(usable_key("a\u{7f}b"), Err("contains a control character"));
    assert_eq!(
        usable_key("sk-\u{2013}x"),
        Err("contains a character outside ASCII")
    );
}

#[test]
fn an_environment_key_is_read_trimmed() {
    let mut target = Cloud::Openai.target("http://127.0.0.1:9", "");
    target.api_key_env = Some("TRUST_KEYS_ORIGIN".into());
    std::env::set_var("TRUST_KEYS_ORIGIN", "abc\n");
    assert_eq!(EnvKeys.key_for(&target).as_deref(), Some("abc"));
    std::env::set_var("TRUST_KEYS_ORIGIN", "\r\n");
    assert_eq!(EnvKeys.key_for(&target), None, "only whitespace is no key");
}
