//! Auto-detection for a first run with no config: the local servers at their usual addresses
//! (only if they answer as what they claim to be) and every cloud provider whose usual key
//! variable is set.

use crate::config::{default_base_url, Config, Preset, Target, Timing};
use crate::domain::{Class, Kind, ProbeLevel};
use crate::probe::Prober;
use std::time::Duration;
use url::Url;

/// How long a local server gets to answer during detection: it is on this machine.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct Detection {
    pub target: Target,
    /// Whether it is worth watching: a local server that answered, or a cloud key that is set.
    pub found: bool,
    /// Why, in a few words.
    pub note: String,
}

/// Candidates in a fixed order: local servers, then cloud providers.
pub fn candidates(
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Vec<(Target, Option<&'static str>)> {
    let mut out = Vec::new();
    let ollama_url = env("OLLAMA_HOST")
        .and_then(|h| ollama_host_url(&h))
        .unwrap_or_else(|| "http://127.0.0.1:11434".into());
    out.push((
        target("local-ollama", Kind::Ollama, None, &ollama_url),
        None,
    ));
    out.push((
        target(
            "local-lmstudio",
            Kind::Lmstudio,
            None,
            "http://127.0.0.1:1234",
        ),
        None,
    ));
    let cloud: [(&str, Kind, Option<Preset>, &[&'static str]); 8] = [
        ("openai", Kind::Openai, None, &["OPENAI_API_KEY"]),
        ("anthropic", Kind::Anthropic, None, &["ANTHROPIC_API_KEY"]),
        (
            "gemini",
            Kind::Gemini,
            None,
            &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        ),
        (
            "groq",
            Kind::OpenaiCompatible,
            Some(Preset::Groq),
            &["GROQ_API_KEY"],
        ),
        (
            "mistral",
            Kind::OpenaiCompatible,
            Some(Preset::Mistral),
            &["MISTRAL_API_KEY"],
        ),
        (
            "openrouter",
            Kind::OpenaiCompatible,
            Some(Preset::Openrouter),
            &["OPENROUTER_API_KEY"],
        ),
        (
            "deepseek",
            Kind::OpenaiCompatible,
            Some(Preset::Deepseek),
            &["DEEPSEEK_API_KEY"],
        ),
        (
            "together",
            Kind::OpenaiCompatible,
            Some(Preset::Together),
            &["TOGETHER_API_KEY"],
        ),
    ];
    for (id, kind, preset, vars) in cloud {
        let Some(base) = default_base_url(kind, preset) else {
            continue;
        };
        let mut t = target(id, kind, preset, base);
        let set = vars
            .iter()
            .copied()
            .find(|v| env(v).is_some_and(|k| !k.trim().is_empty()));
        t.api_key_env = Some(set.unwrap_or(vars[0]).to_string());
        out.push((t, set));
    }
    out
}

/// Probes the local candidates and reports which endpoints exist.
pub async fn detect(
    prober: &Prober,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Vec<Detection> {
    let mut found = Vec::new();
    for (target, key_var) in candidates(env) {
        if target.kind.is_local() {
            let mut quick = target.clone();
            quick.timing.timeout = LOCAL_TIMEOUT;
            let outcome = prober.probe(&quick).await;
            let answers = !matches!(
                outcome.class,
                Class::Connect | Class::Timeout | Class::Tls | Class::BadResponse | Class::NotFound
            );
            let note = if answers {
                let models = outcome.details.model_count();
                let loaded = outcome.details.loaded_models.len();
                format!(
                    "answering at {} ({models} models, {loaded} loaded)",
                    target.base_url
                )
            } else {
                format!("not found at {} ({})", target.base_url, outcome.message)
            };
            found.push(Detection {
                target,
                found: answers,
                note,
            });
        } else {
            let note = match key_var {
                Some(var) => format!("{var} is set"),
                None => format!(
                    "{} is not set",
                    target.api_key_env.as_deref().unwrap_or("its key variable")
                ),
            };
            found.push(Detection {
                target,
                found: key_var.is_some(),
                note,
            });
        }
    }
    found
}

/// The configuration made of what was found.
pub fn config_from(detections: &[Detection]) -> Config {
    Config {
        targets: detections
            .iter()
            .filter(|d| d.found)
            .map(|d| d.target.clone())
            .collect(),
        ..Config::default()
    }
}

fn target(id: &str, kind: Kind, preset: Option<Preset>, base: &str) -> Target {
    let name = match (kind, preset) {
        (_, Some(p)) => p.display_name(),
        (Kind::Ollama, _) => "Ollama",
        (Kind::Lmstudio, _) => "LM Studio",
        (Kind::Openai, _) => "OpenAI",
        (Kind::Anthropic, _) => "Anthropic",
        (Kind::Gemini, _) => "Gemini",
        (Kind::OpenaiCompatible, None) => id,
    };
    Target {
        id: id.to_string(),
        name: name.to_string(),
        kind,
        preset,
        // The built-in defaults are valid URLs.
        base_url: Url::parse(base)
            .unwrap_or_else(|_| Url::parse("http://127.0.0.1/").expect("static URL parses")),
        api_key_env: crate::config::default_key_env(kind, preset).map(str::to_string),
        probe: ProbeLevel::Reachable,
        model: None,
        api_version: None,
        enabled: true,
        timing: Timing::default(),
    }
}

/// `OLLAMA_HOST` as Ollama reads it: `host`, `host:port` or a URL; a listen-everywhere address
/// is reached on loopback.
fn ollama_host_url(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let with_scheme = if v.contains("://") {
        v.to_string()
    } else {
        format!("http://{v}")
    };
    let mut url = Url::parse(&with_scheme).ok()?;
    if url.port().is_none() {
        url.set_port(Some(11434)).ok()?;
    }
    if matches!(url.host_str(), Some("0.0.0.0") | Some("[::]") | Some("::")) {
        url.set_host(Some("127.0.0.1")).ok()?;
    }
    Some(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_host_forms() {
        assert_eq!(
            ollama_host_url("0.0.0.0").as_deref(),
            Some("http://127.0.0.1:11434")
        );
        assert_eq!(
            ollama_host_url("10.0.0.5:8080").as_deref(),
            Some("http://10.0.0.5:8080")
        );
        assert_eq!(
            ollama_host_url("https://ollama.example.com").as_deref(),
            Some("https://ollama.example.com:11434")
        );
    }

    #[test]
    fn cloud_candidates_follow_key_variables() {
        let env = |k: &str| (k == "GOOGLE_API_KEY" || k == "GROQ_API_KEY").then(|| "x".to_string());
        let c = candidates(&env);
        let set: Vec<_> = c
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(t, v)| (t.id.as_str(), v.unwrap()))
            .collect();
        assert_eq!(
            set,
            vec![("gemini", "GOOGLE_API_KEY"), ("groq", "GROQ_API_KEY")]
        );
        let gemini = &c.iter().find(|(t, _)| t.id == "gemini").unwrap().0;
        assert_eq!(gemini.api_key_env.as_deref(), Some("GOOGLE_API_KEY"));
    }
}
