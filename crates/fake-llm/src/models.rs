//! Plausible metadata for model names, derived from the name itself so that
//! any name a test installs with `set_models` gets consistent details.

/// A local (GGUF) model as Ollama and LM Studio describe it.
pub(crate) struct LocalModel {
    pub family: String,
    pub params: f64,
    pub quant: &'static str,
    pub bits_per_weight: f64,
    pub size: u64,
    pub max_context: u64,
}

impl LocalModel {
    pub fn of(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        let base = lower.split(':').next().unwrap_or(&lower);
        let params = params_in(&lower).unwrap_or_else(|| default_params(base));
        let family = family_of(base);
        let (quant, bits_per_weight, effective_bits) = if params >= 3.0 {
            ("Q4_K_M", 4.0, 4.85)
        } else {
            ("Q8_0", 8.0, 8.5)
        };
        let max_context = match family.as_str() {
            "llama" => 131_072,
            "qwen2" | "qwen3" => 32_768,
            _ => 8_192,
        };
        LocalModel {
            size: (params * 1e9 * effective_bits / 8.0) as u64 + 31_337 * name.len() as u64,
            family,
            params,
            quant,
            bits_per_weight,
            max_context,
        }
    }

    /// "3.2B", "7B": the form both Ollama and LM Studio display.
    pub fn params_string(&self) -> String {
        if self.params.fract() == 0.0 {
            format!("{}B", self.params as u64)
        } else {
            format!("{:.1}B", self.params)
        }
    }

    /// Share of the model held in GPU memory once loaded: big models spill to
    /// system RAM, which is what `size_vram < size` in `/api/ps` reports.
    pub fn vram_share(&self) -> f64 {
        if self.params >= 7.0 {
            0.72
        } else {
            1.0
        }
    }
}

/// "7b", "0.5b", "70B" anywhere in the name, as a token between separators.
fn params_in(name: &str) -> Option<f64> {
    name.split([':', '-', '_', '/', '@'])
        .filter_map(|tok| tok.strip_suffix('b'))
        .find_map(|num| num.parse::<f64>().ok().filter(|p| *p > 0.0))
}

fn default_params(base: &str) -> f64 {
    if base.starts_with("llama3.2") {
        3.2
    } else {
        7.0
    }
}

/// Ollama's `details.family`: the leading letters, except that the whole
/// Qwen 2.x line reports "qwen2".
fn family_of(base: &str) -> String {
    let repo = base.rsplit('/').next().unwrap_or(base);
    let letters: String = repo.chars().take_while(char::is_ascii_alphabetic).collect();
    match letters.as_str() {
        "" => "unknown".to_owned(),
        "qwen" if repo.starts_with("qwen3") => "qwen3".to_owned(),
        "qwen" => "qwen2".to_owned(),
        _ => letters,
    }
}

/// A stable sha256-looking digest, so listings do not change between calls.
pub(crate) fn digest(name: &str) -> String {
    (0u64..4)
        .map(|seed| {
            let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for b in name.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            format!("{h:016x}")
        })
        .collect()
}

/// "claude-sonnet-4-5" → "Claude Sonnet 4.5"; "models/gemini-2.5-flash" →
/// "Gemini 2.5 Flash"; "qwen2.5-7b-instruct" → "Qwen2.5 7B Instruct".
pub(crate) fn display_name(id: &str) -> String {
    let id = id.rsplit('/').next().unwrap_or(id);
    let mut words: Vec<String> = Vec::new();
    for part in id.split(['-', '_']) {
        let numeric = !part.is_empty() && part.chars().all(|c| c.is_ascii_digit() || c == '.');
        let prev_numeric = words
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit() || c == '.'));
        if numeric && prev_numeric {
            if let Some(last) = words.last_mut() {
                last.push('.');
                last.push_str(part);
            }
            continue;
        }
        let word = if params_in(part).is_some() {
            part.to_ascii_uppercase()
        } else {
            let mut cs = part.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        };
        words.push(word);
    }
    words.join(" ")
}

/// Unix seconds of a model's release, when we know it; listings need one.
pub(crate) fn created_unix(id: &str) -> i64 {
    match id {
        "gpt-4o-mini" => 1_721_172_741,
        "gpt-4o" => 1_715_367_049,
        "claude-sonnet-4-5" => 1_759_104_000,
        "claude-haiku-4-5" => 1_760_486_400,
        _ => 1_735_689_600,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_details_from_names() {
        let q = LocalModel::of("qwen2.5:7b");
        assert_eq!(q.family, "qwen2");
        assert_eq!(q.params_string(), "7B");
        assert!(q.vram_share() < 1.0);
        let l = LocalModel::of("llama3.2:latest");
        assert_eq!(l.family, "llama");
        assert_eq!(l.params_string(), "3.2B");
        assert_eq!(LocalModel::of("llama-3.2-1b-instruct").quant, "Q8_0");
        assert_eq!(digest("x").len(), 64);
        assert_eq!(display_name("claude-sonnet-4-5"), "Claude Sonnet 4.5");
        assert_eq!(display_name("models/gemini-2.5-flash"), "Gemini 2.5 Flash");
        assert_eq!(display_name("qwen2.5-7b-instruct"), "Qwen2.5 7B Instruct");
    }
}
