//! Integration tests: real HTTP against each fake flavor.

mod anthropic;
mod azure;
mod binary;
mod deepseek;
mod faults;
mod gemini;
mod llamacpp;
mod lmstudio;
mod observation;
mod ollama;
mod openai;
mod openrouter;
mod status_pages;
mod support;
mod vllm;
