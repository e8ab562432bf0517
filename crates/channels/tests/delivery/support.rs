use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alerts::{Alert, AlertItem, AlertKind, Change, Urgency};
use channels::{DispatchOptions, Dispatcher, KeyringUrl};
use chrono::{DateTime, FixedOffset, Utc};
use fake_llm::{Receiver, RecordedRequest, Shape};
use monitor::config::{AlertChannel, ChannelKind, Destination, NoticeEvent, SecretUrl};
use monitor::{Class, Kind, Status};

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(10);

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap()
}

/// The moment of the contract's example.
pub fn now() -> DateTime<Utc> {
    at("2026-12-01T18:14:30Z")
}

pub fn kind_of(id: &str) -> Option<Kind> {
    match id {
        "local-ollama" => Some(Kind::Ollama),
        "openai" => Some(Kind::Openai),
        "gemini" => Some(Kind::Gemini),
        _ => None,
    }
}

pub async fn receiver(shape: Shape) -> Receiver {
    Receiver::start(shape).await.expect("bind receiver")
}

/// Short waits, so retries take milliseconds.
pub fn fast() -> DispatchOptions {
    DispatchOptions {
        queue_capacity: 16,
        backoff: [50, 100, 150, 200].map(Duration::from_millis).to_vec(),
        max_retry_after: Duration::from_secs(5),
        http_timeout: Duration::from_secs(3),
        command_timeout: Duration::from_secs(5),
        test_timeout: Duration::from_secs(3),
    }
}

pub fn channel(id: &str, kind: ChannelKind, url: &str) -> AlertChannel {
    AlertChannel {
        id: id.into(),
        name: format!("{id} channel"),
        kind,
        destination: Destination::Url(SecretUrl::parse(url).expect("a URL")),
        token_env: None,
        events: NoticeEvent::default_set(),
        targets: None,
        enabled: true,
    }
}

pub fn command_channel(id: &str, argv: &[&str]) -> AlertChannel {
    AlertChannel {
        destination: Destination::Command(argv.iter().map(|s| s.to_string()).collect()),
        ..channel(id, ChannelKind::Command, "http://unused.invalid")
    }
}

pub fn no_keyring() -> KeyringUrl {
    Arc::new(|_: &str| None)
}

pub fn dispatcher(channels: &[AlertChannel]) -> Dispatcher {
    Dispatcher::with_options(channels, no_keyring(), fast()).expect("dispatcher")
}

pub fn item(target: &str, name: &str, change: Change) -> AlertItem {
    let (from, to, class) = match change {
        Change::Down | Change::Unreachable => (Status::Healthy, Status::Unhealthy, Class::Connect),
        Change::Recovered | Change::WasDown => (Status::Unhealthy, Status::Healthy, Class::Ok),
        Change::Degraded => (Status::Healthy, Status::Degraded, Class::Slow),
        Change::BackToNormal => (Status::Degraded, Status::Healthy, Class::Ok),
        Change::ProviderIncident => (Status::Healthy, Status::Healthy, Class::Ok),
    };
    AlertItem {
        target: target.into(),
        name: name.into(),
        change,
        from,
        to,
        class,
        since: at("2026-12-01T18:14:27Z"),
        down_for_ms: (change == Change::Recovered).then_some(240_000),
        degraded_for_ms: (change == Change::BackToNormal).then_some(60_000),
    }
}

pub fn alert(kind: AlertKind, items: Vec<AlertItem>) -> Alert {
    Alert {
        kind,
        urgency: Urgency::Critical,
        at: now(),
        targets: items.iter().map(|i| i.target.clone()).collect(),
        items,
        offline: None,
        provider_incident: None,
    }
}

pub fn ollama_down() -> Alert {
    alert(
        AlertKind::Down,
        vec![item("local-ollama", "Ollama", Change::Down)],
    )
}

pub fn ollama_recovered() -> Alert {
    alert(
        AlertKind::Recovered,
        vec![item("local-ollama", "Ollama", Change::Recovered)],
    )
}

pub fn send(d: &Dispatcher, alert: &Alert) {
    d.send_alert(alert, &kind_of, now(), utc());
}

/// The `event` and `title` of each webhook request, in order.
pub fn events(requests: &[RecordedRequest]) -> Vec<(String, String)> {
    requests
        .iter()
        .map(|r| {
            let json = r.json().expect("a JSON body");
            (
                json["event"].as_str().unwrap_or_default().to_string(),
                json["title"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub fn set(events: &[NoticeEvent]) -> BTreeSet<NoticeEvent> {
    events.iter().copied().collect()
}

/// Every log line written on this thread while the guard lives. The tests run on a
/// current-thread runtime, so the channels' tasks log here too.
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn capture_logs() -> (Logs, tracing::subscriber::DefaultGuard) {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = Arc::clone(&buffer);
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || Sink(Arc::clone(&writer)))
        .finish();
    (Logs(buffer), tracing::subscriber::set_default(subscriber))
}

/// A port nothing listens on: connecting is refused.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
