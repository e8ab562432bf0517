use std::fmt;
use std::str::FromStr;

use crate::provider::Provider;
use crate::{
    anthropic, azure, deepseek, gemini, incidentio, llamacpp, lmstudio, ollama, openai, openrouter,
    statuspage, vllm,
};

/// Which remote server the fake imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    Ollama,
    Lmstudio,
    Openai,
    Anthropic,
    Gemini,
    Azure,
    /// llama.cpp's `llama-server`: one model, `/health` that tells loading from ready.
    Llamacpp,
    /// vLLM's OpenAI-compatible server, with Prometheus `/metrics`.
    Vllm,
    /// OpenRouter (`/api/v1`), with key and credit headroom.
    Openrouter,
    /// DeepSeek, with `/user/balance`.
    Deepseek,
    /// An Atlassian Statuspage v2 public page (`status.claude.com`).
    Statuspage,
    /// An incident.io page serving the Statuspage-compatible JSON (`status.openai.com`).
    Incidentio,
}

impl Flavor {
    pub const ALL: [Flavor; 12] = [
        Flavor::Ollama,
        Flavor::Lmstudio,
        Flavor::Openai,
        Flavor::Anthropic,
        Flavor::Gemini,
        Flavor::Azure,
        Flavor::Llamacpp,
        Flavor::Vllm,
        Flavor::Openrouter,
        Flavor::Deepseek,
        Flavor::Statuspage,
        Flavor::Incidentio,
    ];

    /// The lower-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Ollama => "ollama",
            Flavor::Lmstudio => "lmstudio",
            Flavor::Openai => "openai",
            Flavor::Anthropic => "anthropic",
            Flavor::Gemini => "gemini",
            Flavor::Azure => "azure",
            Flavor::Llamacpp => "llamacpp",
            Flavor::Vllm => "vllm",
            Flavor::Openrouter => "openrouter",
            Flavor::Deepseek => "deepseek",
            Flavor::Statuspage => "statuspage",
            Flavor::Incidentio => "incidentio",
        }
    }

    /// What a fresh server lists as installed (local) or available (cloud).
    /// For Azure these are also the deployment names; llama.cpp serves only the
    /// first, under that alias. Status pages have none.
    pub fn default_models(self) -> &'static [&'static str] {
        match self {
            Flavor::Ollama => &["llama3.2:latest", "qwen2.5:7b"],
            Flavor::Lmstudio => &["qwen2.5-7b-instruct", "llama-3.2-1b-instruct"],
            Flavor::Openai | Flavor::Azure => &["gpt-4o-mini", "gpt-4o"],
            Flavor::Anthropic => &["claude-sonnet-4-5", "claude-haiku-4-5"],
            Flavor::Gemini => &["models/gemini-2.5-flash", "models/gemini-2.5-pro"],
            Flavor::Llamacpp => &[llamacpp::DEFAULT_ALIAS],
            Flavor::Vllm => &["Qwen/Qwen2.5-7B-Instruct"],
            Flavor::Openrouter => &["openai/gpt-4o-mini", "anthropic/claude-3.5-haiku"],
            Flavor::Deepseek => &["deepseek-chat", "deepseek-reasoner"],
            Flavor::Statuspage | Flavor::Incidentio => &[],
        }
    }

    /// The path an official SDK's `base_url` ends with (for a status page, the
    /// page root that `/api/v2/...` hangs off).
    pub fn base_path(self) -> &'static str {
        match self {
            Flavor::Openai => "/v1",
            Flavor::Openrouter => "/api/v1",
            _ => "",
        }
    }

    pub(crate) fn provider(self) -> &'static dyn Provider {
        match self {
            Flavor::Ollama => &ollama::Ollama,
            Flavor::Lmstudio => &lmstudio::LmStudio,
            Flavor::Openai => &openai::OpenAi,
            Flavor::Anthropic => &anthropic::Anthropic,
            Flavor::Gemini => &gemini::Gemini,
            Flavor::Azure => &azure::Azure,
            Flavor::Llamacpp => &llamacpp::LlamaCpp,
            Flavor::Vllm => &vllm::Vllm,
            Flavor::Openrouter => &openrouter::OpenRouter,
            Flavor::Deepseek => &deepseek::DeepSeek,
            Flavor::Statuspage => &statuspage::Statuspage,
            Flavor::Incidentio => &incidentio::IncidentIo,
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unknown flavor {0:?}: expected one of ollama, lmstudio, openai, anthropic, gemini, azure, \
     llamacpp, vllm, openrouter, deepseek, statuspage, incidentio"
)]
pub struct UnknownFlavor(String);

impl FromStr for Flavor {
    type Err = UnknownFlavor;

    /// Forgiving about separators, so `llama.cpp`, `incident.io` and `lm-studio` work.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' ', '.'], "");
        Flavor::ALL
            .into_iter()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| UnknownFlavor(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Flavor::ALL {
            assert_eq!(f.name().parse::<Flavor>().ok(), Some(f));
        }
        assert_eq!("llama.cpp".parse::<Flavor>().ok(), Some(Flavor::Llamacpp));
        assert_eq!(
            "incident.io".parse::<Flavor>().ok(),
            Some(Flavor::Incidentio)
        );
        let err = "bard".parse::<Flavor>().err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("statuspage, incidentio")));
    }
}
