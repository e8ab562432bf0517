//! Alert channels end to end: real HTTP to real receivers (`fake_llm::Receiver`), real programs
//! for the command channel.

mod command;
mod filters;
mod lifecycle;
mod retries;
mod secrets;
mod shapes;
mod support;
