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

/// How a local server is told apart from anything else on its port: by an answer only it
/// gives, to one GET that generates nothing. llama.cpp and LocalAI share 8080; each is asked
/// what only it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recognize {
    /// Ollama and LM Studio: their own zero-token probe (version, models, loaded set).
    Probe,
    /// llama.cpp: `GET /props` with `default_generation_settings` (or 503 "Loading model").
    LlamacppProps,
    /// LocalAI: `GET /readyz` answering 200.
    LocalaiReady,
    /// vLLM: `GET /v1/models` whose models are `owned_by: "vllm"`.
    VllmModels,
    /// KoboldCpp: `GET /api/v1/model` → `{"result": "koboldcpp/…"}`.
    KoboldModel,
    /// Jan, text-generation-webui: `GET /v1/models` in OpenAI's shape on their own port.
    OpenaiModels,
}

/// One local server looked for at its usual address.
#[derive(Debug, Clone)]
pub struct LocalCandidate {
    pub target: Target,
    pub recognize: Recognize,
}

/// The local servers looked for, in a fixed order, at their default ports (Ollama's as
/// `OLLAMA_HOST` says).
pub fn local_candidates(env: &(dyn Fn(&str) -> Option<String> + Sync)) -> Vec<LocalCandidate> {
    let ollama_url = env("OLLAMA_HOST")
        .and_then(|h| ollama_host_url(&h))
        .unwrap_or_else(|| "http://127.0.0.1:11434".into());
    let list: [(&str, Kind, Option<Preset>, &str, Recognize); 8] = [
        (
            "local-ollama",
            Kind::Ollama,
            None,
            &ollama_url,
            Recognize::Probe,
        ),
        (
            "local-lmstudio",
            Kind::Lmstudio,
            None,
            "http://127.0.0.1:1234",
            Recognize::Probe,
        ),
        (
            "local-llamacpp",
            Kind::Llamacpp,
            None,
            "http://127.0.0.1:8080",
            Recognize::LlamacppProps,
        ),
        (
            "local-localai",
            Kind::OpenaiCompatible,
            Some(Preset::LocalAi),
            "http://127.0.0.1:8080/v1",
            Recognize::LocalaiReady,
        ),
        (
            "local-vllm",
            Kind::Vllm,
            None,
            "http://127.0.0.1:8000",
            Recognize::VllmModels,
        ),
        (
            "local-jan",
            Kind::OpenaiCompatible,
            Some(Preset::Jan),
            "http://127.0.0.1:1337/v1",
            Recognize::OpenaiModels,
        ),
        (
            "local-koboldcpp",
            Kind::OpenaiCompatible,
            Some(Preset::Koboldcpp),
            "http://127.0.0.1:5001/v1",
            Recognize::KoboldModel,
        ),
        (
            "local-text-generation-webui",
            Kind::OpenaiCompatible,
            Some(Preset::TextGenerationWebui),
            "http://127.0.0.1:5000/v1",
            Recognize::OpenaiModels,
        ),
    ];
    list.into_iter()
        .map(|(id, kind, preset, url, recognize)| LocalCandidate {
            target: target(id, kind, preset, url),
            recognize,
        })
        .collect()
}

/// Candidates in a fixed order: local servers, then cloud providers.
pub fn candidates(
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Vec<(Target, Option<&'static str>)> {
    let mut out: Vec<(Target, Option<&'static str>)> = local_candidates(env)
        .into_iter()
        .map(|c| (c.target, None))
        .collect();
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
    let mut found = detect_local(prober, &local_candidates(env)).await;
    for (target, key_var) in candidates(env) {
        if target.is_self_hosted() {
            continue;
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

/// Looks for each local candidate by its own answer, one after the other (they are on this
/// machine: a closed port answers at once).
pub async fn detect_local(prober: &Prober, candidates: &[LocalCandidate]) -> Vec<Detection> {
    let mut found = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let (answers, note) = recognize(prober, candidate).await;
        found.push(Detection {
            target: candidate.target.clone(),
            found: answers,
            note,
        });
    }
    found
}

async fn recognize(prober: &Prober, candidate: &LocalCandidate) -> (bool, String) {
    let target = &candidate.target;
    let at = target.base_url.as_str().trim_end_matches('/');
    if candidate.recognize == Recognize::Probe {
        let mut quick = target.clone();
        quick.timing.timeout = LOCAL_TIMEOUT;
        let outcome = prober.probe(&quick).await;
        let answers = !matches!(
            outcome.class,
            Class::Connect | Class::Timeout | Class::Tls | Class::BadResponse | Class::NotFound
        );
        return if answers {
            let models = outcome.details.model_count();
            let loaded = outcome.details.loaded_models.len();
            (
                true,
                format!("answering at {at} ({models} models, {loaded} loaded)"),
            )
        } else {
            (false, format!("not found at {at} ({})", outcome.message))
        };
    }
    let path = match candidate.recognize {
        Recognize::LlamacppProps => "/props",
        Recognize::LocalaiReady => "/readyz",
        Recognize::KoboldModel => "/api/v1/model",
        Recognize::VllmModels | Recognize::OpenaiModels | Recognize::Probe => "/v1/models",
    };
    let mut url = target.base_url.clone();
    url.set_path(path);
    let request = prober.http().client().get(url).timeout(LOCAL_TIMEOUT);
    let reply = match prober.http().send(request).await {
        Ok(reply) => reply,
        Err(failure) => return (false, format!("not found at {at} ({})", failure.message)),
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&reply.body).ok();
    let ok = (200..300).contains(&reply.status);
    let text =
        |v: &serde_json::Value, p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    let model_ids = || {
        json.as_ref()
            .and_then(|j| j.get("data"))
            .and_then(|d| d.as_array())
            .map(|d| d.iter().filter_map(|m| text(m, "/id")).collect::<Vec<_>>())
    };
    let recognized: Option<String> = match candidate.recognize {
        Recognize::LlamacppProps => match &json {
            Some(j) if ok && j.get("default_generation_settings").is_some() => Some(
                text(j, "/model_alias")
                    .map(|m| format!("model {m}"))
                    .unwrap_or_else(|| "a model".into()),
            ),
            _ if reply.status == 503 && crate::probe::llamacpp::is_loading(&reply.body) => {
                Some("loading its model".into())
            }
            _ => None,
        },
        Recognize::LocalaiReady => ok.then(|| "ready".to_string()),
        Recognize::KoboldModel => json
            .as_ref()
            .filter(|_| ok)
            .and_then(|j| text(j, "/result"))
            .map(|m| format!("model {m}")),
        Recognize::VllmModels => model_ids()
            .filter(|_| ok)
            .filter(|_| {
                json.as_ref()
                    .and_then(|j| j.pointer("/data/0/owned_by"))
                    .and_then(|o| o.as_str())
                    == Some("vllm")
            })
            .map(|ids| format!("{} models", ids.len())),
        Recognize::OpenaiModels => model_ids()
            .filter(|_| ok)
            .map(|ids| format!("{} models", ids.len())),
        Recognize::Probe => None,
    };
    match recognized {
        Some(what) => (true, format!("answering at {at} ({what})")),
        None => (
            false,
            format!(
                "not found at {at} (HTTP {} to {path} is not what {} answers)",
                reply.status, target.name
            ),
        ),
    }
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
    let status = crate::config::default_status_page(kind, preset);
    Target {
        id: id.to_string(),
        name: crate::config::default_name(kind, preset, id),
        kind,
        preset,
        // The built-in defaults are valid URLs.
        base_url: Url::parse(base)
            .unwrap_or_else(|_| Url::parse("http://127.0.0.1/").expect("static URL parses")),
        api_key_env: crate::config::default_key_env(kind, preset).map(str::to_string),
        probe: ProbeLevel::Reachable,
        model: None,
        models: Vec::new(),
        api_version: None,
        enabled: true,
        timing: Timing::default(),
        status_page: status.and_then(|(page, _)| Url::parse(page).ok()),
        status_component: status.and_then(|(_, component)| component.map(str::to_string)),
        min_credits: None,
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
