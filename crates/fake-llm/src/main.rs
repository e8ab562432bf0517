//! `fake-llm`: one fake server as its own process, for benchmarks and demos; `fake-llm receiver`:
//! a notice receiver (webhook, ntfy, Slack, Discord) that prints every request it gets.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fake_llm::{FakeIncident, FakeServer, Fault, Flavor, Receiver, Shape};

#[derive(Parser)]
#[command(
    name = "fake-llm",
    about = "Serve a fake Ollama, LM Studio, llama.cpp, vLLM, OpenAI, Anthropic, Gemini, Azure \
             OpenAI, OpenRouter or DeepSeek API, or a Statuspage or incident.io status page",
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// ollama, lmstudio, llamacpp, vllm, openai, anthropic, gemini, azure, openrouter,
    /// deepseek, statuspage or incidentio
    #[arg(long, required = true)]
    flavor: Option<Flavor>,
    /// Address to listen on; port 0 picks a free one (printed on start).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Require this key in the provider's auth header.
    #[arg(long)]
    api_key: Option<String>,
    /// Delay every answer by this many milliseconds.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Installed/listed models, comma-separated (default: the flavor's own); for
    /// llama.cpp the first is the alias of its one model.
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// Models to mark resident at start (Ollama, LM Studio), comma-separated.
    #[arg(long, value_delimiter = ',')]
    loaded: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Receive notices: print each request as one JSON line (method, path, query, headers, body,
    /// json) after a first `listening on URL` line. Stdin takes one fault per line.
    Receiver {
        /// webhook, ntfy, slack or discord: how it answers
        #[arg(long, default_value = "webhook")]
        shape: Shape,
        /// Address to listen on; port 0 picks a free one (printed on start).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Require `Authorization: Bearer <TOKEN>`.
        #[arg(long)]
        token: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Command::Receiver {
        shape,
        listen,
        token,
    }) = args.command
    {
        return receive(shape, listen, token).await;
    }
    let flavor = args.flavor.context("--flavor is required")?;
    let server = FakeServer::start_on(flavor, args.listen)
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

    let mut incidents: Vec<FakeIncident> = Vec::new();
    let control = control(|line| {
        if let Some(page) = PageLine::parse(line) {
            page?.apply(&mut incidents);
            server.set_incidents(&incidents);
        } else {
            server.set_fault(line.parse::<Fault>()?);
        }
        Ok(())
    });
    tokio::select! {
        stopped = tokio::signal::ctrl_c() => stopped.context("cannot wait for Ctrl-C")?,
        () = control => {}
    }
    server.shutdown().await;
    Ok(())
}

/// A status page's incidents, scripted on stdin like a fault:
/// `incident ID STATUS IMPACT COMPONENT_IDS NAME…` adds or updates one, started now (component
/// ids comma-separated, `-` for none; status `resolved` resolves it), and `incidents none` clears them.
enum PageLine {
    Upsert(FakeIncident),
    Clear,
}

impl PageLine {
    /// `None` when the line is not about the page (a fault, then).
    fn parse(line: &str) -> Option<anyhow::Result<PageLine>> {
        let line = line.trim();
        if line == "incidents none" {
            return Some(Ok(PageLine::Clear));
        }
        let rest = line.strip_prefix("incident ")?;
        let mut words = rest.split_whitespace();
        let mut next = |what: &str| {
            words.next().map(str::to_string).with_context(|| {
                format!("incident needs {what}: incident ID STATUS IMPACT COMPONENT_IDS NAME…")
            })
        };
        Some((|| {
            let id = next("an id")?;
            let status = next("a status")?;
            let impact = next("an impact")?;
            let components = next("component ids (or -)")?;
            let name = rest
                .splitn(5, char::is_whitespace)
                .nth(4)
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .context("incident needs a name")?
                .to_string();
            Ok(PageLine::Upsert(FakeIncident {
                id,
                name,
                status,
                impact,
                started_at: chrono::Utc::now(),
                component_ids: components
                    .split(',')
                    .filter(|c| *c != "-" && !c.is_empty())
                    .map(str::to_string)
                    .collect(),
            }))
        })())
    }

    /// An update keeps the incident's start, as a page's does.
    fn apply(self, incidents: &mut Vec<FakeIncident>) {
        match self {
            PageLine::Clear => incidents.clear(),
            PageLine::Upsert(mut new) => match incidents.iter_mut().find(|i| i.id == new.id) {
                Some(old) => {
                    new.started_at = old.started_at;
                    *old = new;
                }
                None => incidents.push(new),
            },
        }
    }
}

/// Stdin takes one fault per line (`status 500`, `none`, …), so a test driving this process
/// from another language can script an outage; a closed stdin just ends the control. A plain
/// thread reads it (tokio's stdin would need another tokio feature for the whole workspace).
async fn control(apply: impl FnMut(&str) -> anyhow::Result<()>) {
    let mut apply = apply;
    let (faults, mut next_fault) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if faults.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = next_fault.recv().await {
        if line.trim().is_empty() {
            continue;
        }
        match apply(&line) {
            Ok(()) => println!("fault {}", line.trim()),
            Err(e) => eprintln!("fake-llm: {e:#}"),
        }
    }
    std::future::pending::<()>().await
}

async fn receive(shape: Shape, listen: SocketAddr, token: Option<String>) -> anyhow::Result<()> {
    let receiver = Receiver::start_on(shape, listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    receiver.require_token(token.as_deref());
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", receiver.url())?;
    out.flush()?;
    drop(out);
    let control = control(|line| {
        receiver.set_fault(line.parse::<Fault>()?);
        Ok(())
    });
    tokio::select! {
        stopped = tokio::signal::ctrl_c() => stopped.context("cannot wait for Ctrl-C")?,
        printed = print(&receiver) => printed.context("cannot write to stdout")?,
        () = control => {}
    }
    receiver.shutdown().await;
    Ok(())
}

/// Prints every request as one JSON line as it arrives; ends only when stdout fails.
async fn print(receiver: &Receiver) -> std::io::Result<()> {
    let mut printed = 0;
    loop {
        let got = receiver
            .wait_for(printed + 1, Duration::from_secs(3600))
            .await;
        let mut out = std::io::stdout().lock();
        for request in got.iter().skip(printed) {
            writeln!(out, "{}", fake_llm::request_json(request))?;
        }
        out.flush()?;
        printed = got.len();
    }
}
