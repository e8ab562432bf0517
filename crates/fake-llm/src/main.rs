//! `fake-llm`: one fake server as its own process, for benchmarks and demos.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use fake_llm::{FakeServer, Fault, Flavor};

#[derive(Parser)]
#[command(
    name = "fake-llm",
    about = "Serve a fake Ollama, LM Studio, OpenAI, Anthropic, Gemini or Azure OpenAI API"
)]
struct Args {
    /// ollama, lmstudio, openai, anthropic, gemini or azure
    #[arg(long)]
    flavor: Flavor,
    /// Address to listen on; port 0 picks a free one (printed on start).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Require this key in the provider's auth header.
    #[arg(long)]
    api_key: Option<String>,
    /// Delay every answer by this many milliseconds.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Installed/listed models, comma-separated (default: the flavor's own).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// Models to mark resident at start (Ollama, LM Studio), comma-separated.
    #[arg(long, value_delimiter = ',')]
    loaded: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = FakeServer::start_on(args.flavor, args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    if !args.models.is_empty() {
        let names: Vec<&str> = args.models.iter().map(String::as_str).collect();
        server.set_models(&names);
    }
    for name in &args.loaded {
        server.load_model(name);
    }
    server.set_api_key(args.api_key.as_deref());
    // Nobody can read the record of a separate process, and under a benchmark
    // it would only grow.
    server.set_recording(false);
    if let Some(ms) = args.latency_ms {
        server.set_fault(Fault::Latency(Duration::from_millis(ms)));
    }

    // Scripts wait for this line to learn the port, so flush it at once.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", server.url())?;
    out.flush()?;
    drop(out);

    // Stdin takes one fault per line (`status 500`, `none`, …), so a test driving this process
    // from another language can script an outage; a closed stdin just ends the control. A plain
    // thread reads it (tokio's stdin would need another tokio feature for the whole workspace).
    let (faults, mut next_fault) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if faults.send(line).is_err() {
                break;
            }
        }
    });
    let control = async {
        while let Some(line) = next_fault.recv().await {
            if line.trim().is_empty() {
                continue;
            }
            match line.parse::<Fault>() {
                Ok(fault) => {
                    server.set_fault(fault);
                    println!("fault {}", line.trim());
                }
                Err(e) => eprintln!("fake-llm: {e}"),
            }
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        stopped = tokio::signal::ctrl_c() => stopped.context("cannot wait for Ctrl-C")?,
        () = control => {}
    }
    server.shutdown().await;
    Ok(())
}
