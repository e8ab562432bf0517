use std::fmt;
use std::str::FromStr;

use crate::provider::Provider;
use crate::{anthropic, azure, gemini, lmstudio, ollama, openai};

/// Which remote server the fake imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    Ollama,
    Lmstudio,
    Openai,
    Anthropic,
    Gemini,
    Azure,
}

impl Flavor {
    pub const ALL: [Flavor; 6] = [
        Flavor::Ollama,
        Flavor::Lmstudio,
        Flavor::Openai,
        Flavor::Anthropic,
        Flavor::Gemini,
        Flavor::Azure,
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
        }
    }

    /// What a fresh server lists as installed (local) or available (cloud).
    /// For Azure these are also the deployment names.
    pub fn default_models(self) -> &'static [&'static str] {
        match self {
            Flavor::Ollama => &["llama3.2:latest", "qwen2.5:7b"],
            Flavor::Lmstudio => &["qwen2.5-7b-instruct", "llama-3.2-1b-instruct"],
            Flavor::Openai | Flavor::Azure => &["gpt-4o-mini", "gpt-4o"],
            Flavor::Anthropic => &["claude-sonnet-4-5", "claude-haiku-4-5"],
            Flavor::Gemini => &["models/gemini-2.5-flash", "models/gemini-2.5-pro"],
        }
    }

    /// The path an official SDK's `base_url` ends with.
    pub fn base_path(self) -> &'static str {
        match self {
            Flavor::Openai => "/v1",
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
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown flavor {0:?}: expected one of ollama, lmstudio, openai, anthropic, gemini, azure")]
pub struct UnknownFlavor(String);

impl FromStr for Flavor {
    type Err = UnknownFlavor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        Flavor::ALL
            .into_iter()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| UnknownFlavor(s.to_owned()))
    }
}
