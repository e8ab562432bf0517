//! Integration tests: real HTTP against each fake flavor.

mod anthropic;
mod azure;
mod binary;
mod faults;
mod gemini;
mod lmstudio;
mod observation;
mod ollama;
mod openai;
mod support;
