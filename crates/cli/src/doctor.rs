//! `llm-health doctor`: one zero-token probe per target, then what was found, why something was
//! not found (port closed, not that API, no key, key rejected, base_url of the wrong shape, …),
//! and the fix. Every diagnosis rests on what a request showed, never on a guess: a closed port
//! is a refused TCP connection, a wrong shape is a corrected base_url that answers as the API,
//! "not that API" is a fingerprint of what answers instead.
//!
//! The extra requests are all GETs of version and model lists (what a `reachable` probe sends),
//! made one server at a time: nothing generates, nothing loads a model (see
//! `shared/guide/llm-endpoints.md`).

use crate::paths::{load_config_file, Source, UsageError};
use crate::render::{clean, json_pretty, ms_words, Style};
use monitor::config::{default_base_url, Preset, Target};
use monitor::detect;
use monitor::probe::http::{Http, Reply};
use monitor::probe::{EnvKeys, Prober};
use monitor::redact::Redactor;
use monitor::{Class, Kind, Outcome, ProbeLevel};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// What was found, as a short stable code (`finding` in `--json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Finding {
    Ok,
    Slow,
    Disabled,
    PortClosed,
    DnsFailed,
    Unreachable,
    ConnectTimeout,
    ConnectionDropped,
    Timeout,
    NotThatApi,
    BaseUrlShape,
    NeedsKey,
    KeyRejected,
    KeyUnusable,
    ModelNotFound,
    Redirect,
    Tls,
    Quota,
    RateLimited,
    Overloaded,
    ServerError,
    NotFound,
    BadResponse,
}

impl Finding {
    fn is_ok(self) -> bool {
        matches!(self, Finding::Ok | Finding::Slow | Finding::Disabled)
    }

    fn code(self) -> String {
        // The serde name is the one code: the table shows what `--json` says.
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// A finding before it is tied to its target.
struct Found {
    finding: Finding,
    message: String,
    fix: Option<String>,
}

impl Found {
    fn new(finding: Finding, message: impl Into<String>, fix: Option<String>) -> Found {
        Found {
            finding,
            message: message.into(),
            fix,
        }
    }
}

/// The JSON contract of `doctor --json`: one object per target.
#[derive(Debug, Serialize)]
struct Diagnosis {
    target: String,
    name: String,
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    preset: Option<Preset>,
    base_url: String,
    ok: bool,
    finding: Finding,
    message: String,
    fix: Option<String>,
    /// Whether `check` and `watch` watch it with this configuration: false for a default that
    /// auto-detection did not find, and for a disabled target.
    watched: bool,
    http_status: Option<u16>,
    latency_ms: Option<u64>,
}

impl Diagnosis {
    /// Every string passes the target's redactor once more: a fix line quotes base URLs and
    /// server text, and the probe's redaction covered only what the probe itself produced.
    fn new(target: &Target, outcome: Option<&Outcome>, found: Found, watched: bool) -> Diagnosis {
        let key = EnvKeys::lookup(target).map(|(_, value)| value);
        let redactor = Redactor::new(key.as_deref());
        Diagnosis {
            target: target.id.clone(),
            name: target.name.clone(),
            kind: target.kind,
            preset: target.preset,
            base_url: redactor.redact(&url_text(&target.base_url)),
            ok: found.finding.is_ok(),
            finding: found.finding,
            message: redactor.redact(&found.message),
            fix: found.fix.map(|f| redactor.redact(&f)),
            watched,
            http_status: outcome.and_then(|o| o.http_status),
            latency_ms: outcome.map(|o| o.latency_ms),
        }
    }
}

/// What is diagnosed, in the order it is printed.
enum Subject {
    /// A target `check` and `watch` run on.
    Watched(Target),
    Disabled(Target),
    /// A default local server that auto-detection did not find.
    MissedLocal(Target),
    /// A cloud provider auto-detection left out because its key variable is unset.
    MissedCloud(Target),
}

pub async fn run(config: Option<PathBuf>, as_json: bool) -> anyhow::Result<u8> {
    let prober = Prober::with_env_keys()?;
    let (_, config, source) = load_config_file(config.as_deref(), &prober).await?;
    let detected = matches!(source, Source::Detected);
    if !detected && config.enabled_targets().next().is_none() {
        return Err(UsageError(format!(
            "nothing to diagnose ({source}): the config has no enabled targets"
        ))
        .into());
    }
    let mut subjects: Vec<Subject> = config
        .targets
        .iter()
        .map(|t| {
            if t.enabled {
                Subject::Watched(t.clone())
            } else {
                Subject::Disabled(t.clone())
            }
        })
        .collect();
    if detected {
        // Detection keeps only what it found; the candidates it dropped are what the user
        // asks about when nothing shows up.
        let env = |k: &str| std::env::var(k).ok();
        for (candidate, _) in detect::candidates(&env) {
            if config.target(&candidate.id).is_some() {
                continue;
            }
            subjects.push(if candidate.kind.is_local() {
                Subject::MissedLocal(candidate)
            } else {
                Subject::MissedCloud(candidate)
            });
        }
    }
    let doctor = Doctor {
        prober,
        http: Http::new()?,
    };
    let diagnoses = doctor.diagnose_all(subjects).await?;
    if as_json {
        println!("{}", json_pretty(&diagnoses)?);
    } else {
        print_report(&diagnoses, &source, &Style::detect());
    }
    let watched: Vec<&Diagnosis> = diagnoses.iter().filter(|d| d.watched).collect();
    // Nothing to watch is a problem too: `watch` would have nothing to do.
    let problem = watched.is_empty() || watched.iter().any(|d| !d.ok);
    Ok(u8::from(problem))
}

#[derive(Clone)]
struct Doctor {
    prober: Prober,
    /// For the fingerprint GETs, which go without the target's key: a server that is not the
    /// API the target names has no business seeing it.
    http: Http,
}

/// A fingerprint request gets this long at most (and never more than the target's timeout).
const LOOK_TIMEOUT: Duration = Duration::from_secs(5);

impl Doctor {
    /// Servers are diagnosed concurrently, the targets of one server one after another: a local
    /// server serves one model at a time, and a doctor must not be what makes it queue.
    async fn diagnose_all(&self, subjects: Vec<Subject>) -> anyhow::Result<Vec<Diagnosis>> {
        let mut groups: BTreeMap<String, Vec<(usize, Subject)>> = BTreeMap::new();
        for (i, subject) in subjects.into_iter().enumerate() {
            let key = match &subject {
                Subject::Watched(t) | Subject::MissedLocal(t) => t.server_key(),
                // Nothing is sent for these: each is its own group.
                Subject::Disabled(_) | Subject::MissedCloud(_) => format!("\0{i}"),
            };
            groups.entry(key).or_default().push((i, subject));
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (_, group) in groups {
            let doctor = self.clone();
            tasks.spawn(async move {
                let mut out = Vec::with_capacity(group.len());
                for (i, subject) in group {
                    out.push((i, doctor.diagnose_subject(subject).await));
                }
                out
            });
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.extend(done?);
        }
        all.sort_by_key(|(i, _)| *i);
        Ok(all.into_iter().map(|(_, d)| d).collect())
    }

    async fn diagnose_subject(&self, subject: Subject) -> Diagnosis {
        match subject {
            Subject::Watched(t) => self.diagnose(&t, false, true).await,
            Subject::MissedLocal(t) => self.diagnose(&t, true, false).await,
            Subject::Disabled(t) => Diagnosis::new(
                &t,
                None,
                Found::new(
                    Finding::Disabled,
                    "disabled in the config (`enabled = false`): not probed",
                    None,
                ),
                false,
            ),
            Subject::MissedCloud(t) => {
                let var = t.api_key_env.clone().unwrap_or_default();
                let also = if t.kind == Kind::Gemini {
                    " (nor GOOGLE_API_KEY)"
                } else {
                    ""
                };
                let found = Found::new(
                    Finding::NeedsKey,
                    format!(
                        "not watched: {var} is not set{also}, and auto-detection watches {} only with a key",
                        t.name
                    ),
                    Some(format!("export {var}=...  (make a key {})", key_where(&t))),
                );
                Diagnosis::new(&t, None, found, false)
            }
        }
    }

    /// One zero-token probe, then whatever cheap evidence its class calls for.
    async fn diagnose(&self, target: &Target, default: bool, watched: bool) -> Diagnosis {
        let mut target = target.clone();
        // A doctor costs no tokens and loads no model, whatever level the target is watched at.
        target.probe = ProbeLevel::Reachable;
        let outcome = self.prober.probe(&target).await;
        let found = match outcome.class {
            // It answers: loading its model, or short of credit, is what `answered` reports.
            Class::Ok | Class::Slow | Class::Loading | Class::CreditsLow => {
                answered(&target, &outcome)
            }
            Class::Connect => self.no_connection(&target, &outcome, default).await,
            Class::Timeout => self.timed_out(&target, &outcome).await,
            Class::Auth => auth(&target, &outcome),
            Class::NotFound | Class::BadResponse => self.wrong_place(&target, &outcome).await,
            Class::Tls => tls(&target, &outcome),
            Class::Quota => Found::new(
                Finding::Quota,
                format!(
                    "{} says the quota is used up: {}",
                    target.name, outcome.message
                ),
                Some(match billing_page(&target) {
                    Some(page) => format!("add credit or raise the limit at {page}"),
                    None => format!(
                        "add credit or raise the plan's limit in {}'s billing settings",
                        target.name
                    ),
                }),
            ),
            Class::RateLimited => {
                let wait = outcome
                    .details
                    .retry_after_ms
                    .map(|ms| {
                        format!(
                            " (it asks for {})",
                            humantime::format_duration(Duration::from_millis(ms))
                        )
                    })
                    .unwrap_or_default();
                Found::new(
                    Finding::RateLimited,
                    format!("{} answers, but turns requests away for now (rate limit): {}", target.name, outcome.message),
                    Some(format!("wait and run doctor again{wait}; if it persists, probe less often (`interval`) or raise the plan's rate limit")),
                )
            }
            Class::Overloaded | Class::ServerError => server_side(&target, &outcome),
        };
        Diagnosis::new(&target, Some(&outcome), found, watched)
    }

    /// A probe that got no HTTP answer: the TCP connection, tried again by itself, tells a
    /// closed port from a name that does not resolve from a network that does not route.
    async fn no_connection(&self, target: &Target, outcome: &Outcome, default: bool) -> Found {
        let at = host_port(&target.base_url);
        match reach(&target.base_url, look_timeout(target)).await {
            Reach::Refused => Found::new(
                Finding::PortClosed,
                format!("nothing listens on {at} (connection refused)"),
                Some(self.start_it(target, default).await),
            ),
            Reach::NoName(why) => Found::new(
                Finding::DnsFailed,
                format!("the name {} does not resolve: {why}", host(&target.base_url)),
                Some("check the spelling of the host in base_url, and this machine's DNS or network".into()),
            ),
            Reach::Unreachable(why) => Found::new(
                Finding::Unreachable,
                format!("cannot reach {at}: {why}"),
                Some("check the network route to it (VPN, firewall, the host's address in base_url)".into()),
            ),
            Reach::ConnectTimeout => Found::new(
                Finding::ConnectTimeout,
                format!("connecting to {at} timed out: a firewall drops the packets, or the host is down"),
                Some("check that the host is up and that a firewall lets this port through; check the port in base_url".into()),
            ),
            Reach::Accepts => Found::new(
                Finding::ConnectionDropped,
                format!("something accepts connections on {at}, but the request got no HTTP answer: {}", outcome.message),
                Some(format!("if another program owns port {}, point base_url at {}'s port; if it is the server, look at its log", port(&target.base_url), target.name)),
            ),
        }
    }

    /// The fix for a closed port: start the server, or the port where it already answers.
    async fn start_it(&self, target: &Target, default: bool) -> String {
        let start = match (target.kind, target.preset) {
            (Kind::Ollama, _) => "start Ollama (`ollama serve`, or open the Ollama app)".to_string(),
            (Kind::Lmstudio, _) => {
                "start LM Studio's server (`lms server start`, or Developer → Start Server in the app)".to_string()
            }
            (Kind::OpenaiCompatible, None) => {
                "start the server (e.g. `llama-server`, `vllm serve`)".to_string()
            }
            _ => format!("start the server at {}", url_text(&target.base_url)),
        };
        if default {
            let elsewhere = if target.kind == Kind::Ollama {
                "set OLLAMA_HOST to its address"
            } else {
                "write a config file with a target for its address"
            };
            return format!("{start}; if it listens elsewhere, {elsewhere}");
        }
        // A local server moved off its usual port is common; one request to that port says
        // whether it is there.
        if let Some(usual) = self.usual_address(target).await {
            return format!(
                "{} answers at its usual address: set `base_url = \"{}\"` (or {start})",
                target.name,
                url_text(&usual)
            );
        }
        format!("{start}, or correct the port in base_url")
    }

    /// The kind's default address on this machine, when the target names another port there
    /// and the server answers at the default.
    async fn usual_address(&self, target: &Target) -> Option<url::Url> {
        if !target.kind.is_local() || !monitor::config::is_loopback_host(&target.base_url) {
            return None;
        }
        let usual = url::Url::parse(default_base_url(target.kind, None)?).ok()?;
        if usual.port_or_known_default() == target.base_url.port_or_known_default() {
            return None;
        }
        let mut there = target.clone();
        there.base_url = usual.clone();
        there.model = None;
        there.models.clear();
        let outcome = self.prober.probe(&there).await;
        matches!(outcome.class, Class::Ok | Class::Slow).then_some(usual)
    }

    /// A probe that ran out of time: whether the port accepts connections says whether the
    /// server is hung or the way to it is blocked.
    async fn timed_out(&self, target: &Target, outcome: &Outcome) -> Found {
        let at = host_port(&target.base_url);
        let within = humantime::format_duration(target.timing.timeout);
        match reach(&target.base_url, look_timeout(target)).await {
            Reach::Accepts => Found::new(
                Finding::Timeout,
                format!("{at} accepts connections, but {} sent no complete answer within {within} ({})", target.name, outcome.message),
                Some(if target.is_local_server() {
                    format!("the server is hung or busy: look at its log or restart it; if it is just slow, raise `timeout` for this target (now {within})")
                } else {
                    format!("try again later; if it persists, raise `timeout` for this target (now {within})")
                }),
            ),
            Reach::Refused => Found::new(
                Finding::PortClosed,
                format!("nothing listens on {at} (connection refused after the probe timed out)"),
                Some(self.start_it(target, false).await),
            ),
            Reach::NoName(why) => Found::new(
                Finding::DnsFailed,
                format!("the name {} does not resolve: {why}", host(&target.base_url)),
                Some("check the spelling of the host in base_url, and this machine's DNS or network".into()),
            ),
            Reach::Unreachable(_) | Reach::ConnectTimeout => Found::new(
                Finding::ConnectTimeout,
                format!("connecting to {at} timed out: a firewall drops the packets, or the host is down"),
                Some("check that the host is up and that a firewall lets this port through; check the port in base_url".into()),
            ),
        }
    }

    /// An answer, but not the API's: the model may be missing, the base_url may have the wrong
    /// shape, or another kind of server may answer there. Each is tried in that order.
    async fn wrong_place(&self, target: &Target, outcome: &Outcome) -> Found {
        if outcome.http_status.is_some_and(|s| (300..400).contains(&s)) {
            return Found::new(
                Finding::Redirect,
                format!("{} answers with a redirect to another server: {}", url_text(&target.base_url), outcome.message),
                Some("set base_url to the address it redirects to (probes follow redirects only within one server, so that a key never goes elsewhere)".into()),
            );
        }
        if let Some(found) = self.missing_model(target, outcome).await {
            return found;
        }
        for candidate in shape_candidates(target) {
            let mut there = target.clone();
            there.base_url = candidate.clone();
            there.model = None;
            there.models.clear();
            let alt = self.prober.probe(&there).await;
            if api_answered(&alt) {
                return Found::new(
                    Finding::BaseUrlShape,
                    format!(
                        "{} is not where the API is ({}), but {} answers as {} ({})",
                        url_text(&target.base_url),
                        outcome.message,
                        url_text(&candidate),
                        api_name(target),
                        answer_words(&alt)
                    ),
                    Some(format!("base_url = \"{}\"", url_text(&candidate))),
                );
            }
        }
        if !is_genuine_cloud(target) {
            if let Some(found) = self.something_else(target, outcome).await {
                return found;
            }
        }
        let finding = if outcome.class == Class::NotFound {
            Finding::NotFound
        } else {
            Finding::BadResponse
        };
        Found::new(
            finding,
            format!(
                "{} answers, but not as {}: {}",
                url_text(&target.base_url),
                api_name(target),
                outcome.message
            ),
            Some(format!(
                "check `kind` and base_url against the server's documentation ({})",
                shape_rule(target)
            )),
        )
    }

    /// `not_found` with a model configured: the same probe without the model says whether the
    /// API is fine and only the model is missing, and lists what is there instead.
    async fn missing_model(&self, target: &Target, outcome: &Outcome) -> Option<Found> {
        let model = target.model.as_deref()?;
        if outcome.class != Class::NotFound {
            return None;
        }
        let mut any = target.clone();
        any.model = None;
        any.models.clear();
        let alt = self.prober.probe(&any).await;
        if !matches!(alt.class, Class::Ok | Class::Slow) {
            return None;
        }
        let listed = &alt.details.models;
        let shown: Vec<&str> = listed.iter().take(5).map(String::as_str).collect();
        let more = alt.details.model_count().saturating_sub(shown.len() as u64);
        let list = match (shown.is_empty(), more) {
            (true, _) => "it lists no models".to_string(),
            (false, 0) => format!("it lists {}", shown.join(", ")),
            (false, n) => format!("it lists {} and {n} more", shown.join(", ")),
        };
        let instead = shown
            .first()
            .map(|m| format!("`model = \"{m}\"`"))
            .unwrap_or_else(|| "another model".to_string());
        let fix = match target.kind {
            Kind::Ollama => format!("`ollama pull {model}`, or set {instead}"),
            Kind::Lmstudio => format!("download it (`lms get {model}`), or set {instead}"),
            _ => format!("set {instead} (a model this endpoint and key can use)"),
        };
        Some(Found::new(
            Finding::ModelNotFound,
            format!(
                "{} answers, but model {model:?} is not there: {list}",
                target.name
            ),
            Some(fix),
        ))
    }

    /// What answers at the server root instead, told by fingerprints (GETs of version and model
    /// lists, and of the root page), as a finding when it is not what the target names.
    async fn something_else(&self, target: &Target, outcome: &Outcome) -> Option<Found> {
        let root = root_of(&target.base_url);
        let at = url_text(&root);
        let within = look_timeout(target);
        let seen = self.identify(&root, within).await;
        let redactor = Redactor::new(EnvKeys::lookup(target).map(|(_, v)| v).as_deref());
        let not_it = format!("not {} ({})", api_name(target), outcome.message);
        let found = match seen {
            Seen::Ollama(version) if target.kind != Kind::Ollama => {
                let version = version
                    .map(|v| format!(" {}", redactor.scrub(&v, monitor::redact::FIELD_MAX)))
                    .unwrap_or_default();
                Found::new(
                    Finding::NotThatApi,
                    format!("Ollama{version} answers at {at}, {not_it}"),
                    Some(format!("kind = \"ollama\" and base_url = \"{at}\"")),
                )
            }
            Seen::LmStudio(models) if target.kind != Kind::Lmstudio => Found::new(
                Finding::NotThatApi,
                format!("LM Studio answers at {at} ({models} models at /api/v0/models), {not_it}"),
                Some(format!("kind = \"lmstudio\" and base_url = \"{at}\"")),
            ),
            Seen::OpenaiCompatible(models) => {
                let v1 = format!("{at}/v1");
                let what = format!(
                    "an OpenAI-compatible API answers at {v1} ({models} models at /v1/models)"
                );
                if matches!(target.kind, Kind::Openai | Kind::OpenaiCompatible) {
                    Found::new(
                        Finding::BaseUrlShape,
                        format!(
                            "{what}, but not at {} ({})",
                            url_text(&target.base_url),
                            outcome.message
                        ),
                        Some(format!("base_url = \"{v1}\"")),
                    )
                } else {
                    Found::new(
                        Finding::NotThatApi,
                        format!("{what}, {not_it}"),
                        Some(format!(
                            "kind = \"openai_compatible\" and base_url = \"{v1}\""
                        )),
                    )
                }
            }
            Seen::WebPage(status) => Found::new(
                Finding::NotThatApi,
                format!("a web page (HTML, HTTP {status}) answers at {at}, {not_it}"),
                Some(format!(
                    "this port serves a web page, not the API: point base_url at {}'s API port{}",
                    target.name,
                    usual_port_words(target)
                )),
            ),
            Seen::Other(status, content_type) => Found::new(
                Finding::NotThatApi,
                format!(
                    "something answers at {at} (HTTP {status}, {}), {not_it}",
                    redactor.scrub(&content_type, 80)
                ),
                Some(format!(
                    "check that this port is {}'s{}, and that `kind` names what runs there",
                    target.name,
                    usual_port_words(target)
                )),
            ),
            // What the target names answers its own fingerprint: the failure is something else.
            Seen::Ollama(_) | Seen::LmStudio(_) | Seen::Nothing => return None,
        };
        Some(found)
    }

    /// Ollama first (it serves `/v1` too), then LM Studio (likewise), then any OpenAI-compatible
    /// server, then what the root page is.
    async fn identify(&self, root: &url::Url, within: Duration) -> Seen {
        let version = self.get_json(root, "api/version", within).await;
        if let Some(v) = version.as_ref().and_then(|j| j.get("version")) {
            return Seen::Ollama(v.as_str().map(str::to_string));
        }
        if let Some(models) = self
            .get_json(root, "v1/models", within)
            .await
            .as_ref()
            .and_then(model_count)
        {
            let v0 = self.get_json(root, "api/v0/models", within).await;
            return match v0
                .as_ref()
                .and_then(|j| j.get("data"))
                .and_then(Value::as_array)
            {
                Some(list) => Seen::LmStudio(list.len()),
                None => Seen::OpenaiCompatible(models),
            };
        }
        let Some(page) = self
            .get(root, "", "text/html, text/plain, */*", within)
            .await
        else {
            return Seen::Nothing;
        };
        let content_type = page
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_string();
        let start = String::from_utf8_lossy(&page.body[..page.body.len().min(512)]).to_string();
        if start.starts_with("Ollama is running") {
            Seen::Ollama(None)
        } else if content_type.contains("text/html") || start.trim_start().starts_with('<') {
            Seen::WebPage(page.status)
        } else {
            Seen::Other(page.status, content_type)
        }
    }

    async fn get(
        &self,
        root: &url::Url,
        path: &str,
        accept: &str,
        within: Duration,
    ) -> Option<Reply> {
        let url = format!("{}/{path}", url_text(root));
        let request = self.http.client().get(url).header("accept", accept);
        tokio::time::timeout(within, self.http.send(request))
            .await
            .ok()?
            .ok()
    }

    async fn get_json(&self, root: &url::Url, path: &str, within: Duration) -> Option<Value> {
        let reply = self.get(root, path, "application/json", within).await?;
        if !(200..300).contains(&reply.status) {
            return None;
        }
        serde_json::from_slice(&reply.body).ok()
    }
}

/// What answers at a server root, by its fingerprint.
enum Seen {
    /// `/api/version` has a `version` (or the root says "Ollama is running").
    Ollama(Option<String>),
    /// `/v1/models` lists models and `/api/v0/models` answers: LM Studio's own API.
    LmStudio(usize),
    /// `/v1/models` lists models, nothing more specific answers.
    OpenaiCompatible(usize),
    /// An HTML page, with its status.
    WebPage(u16),
    /// Some other HTTP answer: status and content type.
    Other(u16, String),
    /// No answer at all.
    Nothing,
}

/// `{"data": [...]}` or a bare array (Together): how many models.
fn model_count(json: &Value) -> Option<usize> {
    json.get("data")
        .and_then(Value::as_array)
        .or_else(|| json.as_array())
        .map(Vec::len)
}

/// An ok (or slow) probe, in words.
fn answered(target: &Target, outcome: &Outcome) -> Found {
    let words = answer_words(outcome);
    let model = target
        .model
        .as_deref()
        .map(|m| format!("; model {m:?} is there"))
        .unwrap_or_default();
    let message = format!(
        "{} answers at {}: {words}{model}",
        target.name,
        url_text(&target.base_url)
    );
    if outcome.class == Class::Slow {
        let limit = target.timing.slow_ms;
        return Found::new(
            Finding::Slow,
            format!("{message}, slower than `slow_ms` ({limit} ms)"),
            Some(format!(
                "if it is always this slow, raise `slow_ms` for this target (now {limit})"
            )),
        );
    }
    Found::new(Finding::Ok, message, None)
}

/// Version, models, loaded models and latency of a probe that answered.
fn answer_words(outcome: &Outcome) -> String {
    let d = &outcome.details;
    let mut parts = Vec::new();
    if let Some(v) = &d.server_version {
        parts.push(format!("version {v}"));
    }
    if matches!(outcome.class, Class::Ok | Class::Slow) {
        parts.push(format!("{} models", d.model_count()));
    } else {
        parts.push(outcome.message.clone());
    }
    if !d.loaded_models.is_empty() {
        parts.push(format!("{} loaded", d.loaded_models.len()));
    }
    parts.push(format!("in {}", ms_words(outcome.latency_ms)));
    parts.join(", ")
}

/// Whether a probe met the API: it answered, or answered as the API does to a client whose key
/// it refuses or whose budget is spent (the key is then a separate matter).
fn api_answered(outcome: &Outcome) -> bool {
    match outcome.class {
        Class::Ok | Class::Slow | Class::Loading | Class::CreditsLow => true,
        Class::Auth | Class::Quota | Class::RateLimited => outcome.http_status.is_some(),
        _ => false,
    }
}

/// `auth`: no key, a key that cannot be sent, or a key the server refused.
fn auth(target: &Target, outcome: &Outcome) -> Found {
    match (EnvKeys::lookup(target), outcome.http_status) {
        (None, status) => {
            let asked = match status {
                Some(s) => format!("the server asks for a key (HTTP {s})"),
                None => format!("{} needs an API key", target.name),
            };
            match target.api_key_env.as_deref() {
                Some(var) => Found::new(
                    Finding::NeedsKey,
                    format!("{asked} and {var} is not set"),
                    Some(format!("export {var}=...  (make a key {})", key_where(target))),
                ),
                None => {
                    let var = suggested_var(&target.id);
                    Found::new(
                        Finding::NeedsKey,
                        format!("{asked} and the target names no key variable"),
                        Some(format!("add `api_key_env = \"{var}\"` to target {:?}, then export {var}=...", target.id)),
                    )
                }
            }
        }
        // Refused before anything was sent: the probe says what is wrong with the value.
        (Some((var, _)), None) => Found::new(
            Finding::KeyUnusable,
            outcome.message.clone(),
            Some(format!("set {var} again, with the key alone: export {var}=...")),
        ),
        (Some((var, _)), Some(403)) => Found::new(
            Finding::KeyRejected,
            format!("{} knows the key in {var} but refuses it access: {}", target.name, outcome.message),
            Some(format!(
                "check the key's permissions, project or region, or make a new key {}, then export {var}=...",
                key_where(target)
            )),
        ),
        (Some((var, _)), Some(_)) => Found::new(
            Finding::KeyRejected,
            format!("{} rejected the key in {var}: {}", target.name, outcome.message),
            Some(format!("make a new key {}, then export {var}=...", key_where(target))),
        ),
    }
}

fn tls(target: &Target, outcome: &Outcome) -> Found {
    // The prober asked the server in plain HTTP before saying so: its words are evidence.
    if outcome.message.contains("plain HTTP") && target.base_url.scheme() == "https" {
        let mut plain = target.base_url.clone();
        if plain.set_scheme("http").is_ok() {
            return Found::new(
                Finding::Tls,
                format!("{} speaks plain HTTP, not TLS", host_port(&target.base_url)),
                Some(format!("base_url = \"{}\"", url_text(&plain))),
            );
        }
    }
    Found::new(
        Finding::Tls,
        outcome.message.clone(),
        Some("check that the host in base_url is the one its certificate names; a self-signed certificate must be trusted by this machine (its CA in the system store)".into()),
    )
}

fn server_side(target: &Target, outcome: &Outcome) -> Found {
    let finding = if outcome.class == Class::Overloaded {
        Finding::Overloaded
    } else {
        Finding::ServerError
    };
    let fix = if target.is_local_server() {
        "look at the server's log; restart it if it stays this way".to_string()
    } else {
        match status_page(target) {
            Some(page) => format!("nothing to change here: try again later, and see {page}"),
            None => "nothing to change here: try again later, and see the provider's status page"
                .to_string(),
        }
    };
    Found::new(
        finding,
        format!("{} fails on its side: {}", target.name, outcome.message),
        Some(fix),
    )
}

/// Where `target`'s key is made, as the end of "make a key …".
fn key_where(target: &Target) -> String {
    let page = match (target.kind, target.preset) {
        (Kind::Openai, _) => "https://platform.openai.com/api-keys",
        (Kind::Anthropic, _) => "https://console.anthropic.com/settings/keys",
        (Kind::Gemini, _) => "https://aistudio.google.com/apikey",
        (_, Some(Preset::Groq)) => "https://console.groq.com/keys",
        (_, Some(Preset::Mistral)) => "https://console.mistral.ai/api-keys",
        (_, Some(Preset::Openrouter)) => "https://openrouter.ai/keys",
        (_, Some(Preset::Deepseek)) => "https://platform.deepseek.com/api_keys",
        (_, Some(Preset::Together)) => "https://api.together.ai/settings/api-keys",
        (_, Some(Preset::Azure)) => {
            return "in the Azure portal (your resource → Keys and Endpoint)".into()
        }
        (Kind::Lmstudio, _) => return "in LM Studio (Developer → Server Settings)".into(),
        _ => return format!("with whoever runs {}", url_text(&root_of(&target.base_url))),
    };
    format!("at {page}")
}

fn billing_page(target: &Target) -> Option<&'static str> {
    match (target.kind, target.preset) {
        (Kind::Openai, _) => Some("https://platform.openai.com/settings/organization/billing"),
        (Kind::Anthropic, _) => Some("https://console.anthropic.com/settings/billing"),
        (_, Some(Preset::Openrouter)) => Some("https://openrouter.ai/settings/credits"),
        (_, Some(Preset::Deepseek)) => Some("https://platform.deepseek.com/top_up"),
        _ => None,
    }
}

/// The official status pages `shared/guide/llm-endpoints.md` lists.
fn status_page(target: &Target) -> Option<&'static str> {
    match (target.kind, target.preset) {
        (Kind::Openai, _) => Some("https://status.openai.com"),
        (Kind::Anthropic, _) => Some("https://status.claude.com"),
        (_, Some(Preset::Groq)) => Some("https://groqstatus.com"),
        _ => None,
    }
}

/// A key variable's name for a target that names none: its id, shouted.
fn suggested_var(id: &str) -> String {
    let mut var: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if var.starts_with(|c: char| c.is_ascii_digit()) {
        var.insert(0, '_');
    }
    format!("{var}_API_KEY")
}

fn api_name(target: &Target) -> String {
    match (target.kind, target.preset) {
        (Kind::Ollama, _) => "Ollama's API".into(),
        (Kind::Lmstudio, _) => "LM Studio's API".into(),
        (Kind::Openai, _) => "the OpenAI API".into(),
        (Kind::Anthropic, _) => "the Anthropic API".into(),
        (Kind::Gemini, _) => "the Gemini API".into(),
        (Kind::OpenaiCompatible, Some(p)) => {
            format!("{}'s OpenAI-compatible API", p.display_name())
        }
        (Kind::OpenaiCompatible, None) => "an OpenAI-compatible API".into(),
        (Kind::Llamacpp, _) => "llama.cpp's server API".into(),
        (Kind::Vllm, _) => "vLLM's API".into(),
    }
}

/// How base_url is spelled for the kind, as the official SDKs have it.
fn shape_rule(target: &Target) -> &'static str {
    match target.kind {
        Kind::Openai | Kind::OpenaiCompatible => {
            "its base_url ends where `/models` and `/chat/completions` begin, usually with /v1"
        }
        _ => "its base_url is the server root, without a path",
    }
}

fn usual_port_words(target: &Target) -> &'static str {
    match target.kind {
        Kind::Ollama => " (Ollama listens on 11434 by default)",
        Kind::Lmstudio => " (LM Studio listens on 1234 by default)",
        Kind::Llamacpp => " (llama-server listens on 8080 by default)",
        Kind::Vllm => " (vLLM listens on 8000 by default)",
        _ => "",
    }
}

/// Paths people paste into base_url along with the base: an endpoint's full URL.
const ENDPOINT_TAILS: [&str; 8] = [
    "/chat/completions",
    "/completions",
    "/responses",
    "/embeddings",
    "/models",
    "/messages",
    "/api/chat",
    "/api/generate",
];

/// Corrected spellings of base_url to try, most likely first: an endpoint's tail cut off, `/v1`
/// added where the kind's SDKs have it, the path dropped where they have the server root.
fn shape_candidates(target: &Target) -> Vec<url::Url> {
    let base = &target.base_url;
    let path = base.path().trim_end_matches('/');
    let mut trimmed = path;
    while let Some(tail) = ENDPOINT_TAILS.iter().find(|t| trimmed.ends_with(**t)) {
        trimmed = trimmed[..trimmed.len() - tail.len()].trim_end_matches('/');
    }
    let with_path = |p: &str| {
        let mut u = base.clone();
        u.set_path(p);
        u
    };
    let mut out = Vec::new();
    match (target.kind, target.preset) {
        // Azure's endpoint is the resource root (classic routes) or `/openai/v1`.
        (Kind::OpenaiCompatible, Some(Preset::Azure)) => {
            if !path.is_empty() && !path.ends_with("/openai/v1") {
                out.push(with_path(""));
                out.push(with_path("/openai/v1"));
            }
        }
        (Kind::Openai | Kind::OpenaiCompatible, _) => {
            if trimmed != path {
                out.push(with_path(trimmed));
            }
            if !trimmed.ends_with("/v1") {
                out.push(with_path(&format!("{trimmed}/v1")));
            }
        }
        _ => {
            if !path.is_empty() {
                out.push(with_path(""));
            }
        }
    }
    out.dedup();
    out.retain(|u| url_text(u) != url_text(base));
    out
}

/// The provider's own API at its own host: fingerprinting it as a local server is pointless.
fn is_genuine_cloud(target: &Target) -> bool {
    if target.kind.is_local() {
        return false;
    }
    default_base_url(target.kind, target.preset)
        .and_then(|u| url::Url::parse(u).ok())
        .is_some_and(|u| u.host_str() == target.base_url.host_str())
}

/// How long a connection check or fingerprint may take for `target`.
fn look_timeout(target: &Target) -> Duration {
    target.timing.timeout.min(LOOK_TIMEOUT)
}

/// What a fresh TCP connection to a base_url's host and port met.
enum Reach {
    Accepts,
    Refused,
    NoName(String),
    Unreachable(String),
    ConnectTimeout,
}

async fn reach(url: &url::Url, within: Duration) -> Reach {
    let port = port(url);
    let name = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Reach::NoName("base_url has no host".into()),
    };
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::time::timeout(within, tokio::net::lookup_host((name.as_str(), port))).await {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(e)) => return Reach::NoName(e.to_string()),
            Err(_) => return Reach::NoName("the lookup timed out".into()),
        };
    if addrs.is_empty() {
        return Reach::NoName("no address".into());
    }
    let (mut refused, mut timed_out, mut other) = (false, false, None);
    // A few addresses are enough to tell; a name with dozens would take dozens of timeouts.
    for addr in addrs.iter().take(3) {
        match tokio::time::timeout(within, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Reach::Accepts,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => refused = true,
            Ok(Err(e)) => other = Some(e.to_string()),
            Err(_) => timed_out = true,
        }
    }
    if refused && !timed_out {
        Reach::Refused
    } else if timed_out {
        Reach::ConnectTimeout
    } else {
        Reach::Unreachable(other.unwrap_or_else(|| "no route".into()))
    }
}

fn port(url: &url::Url) -> u16 {
    url.port_or_known_default().unwrap_or(0)
}

fn host(url: &url::Url) -> &str {
    url.host_str().unwrap_or("(no host)")
}

fn host_port(url: &url::Url) -> String {
    format!("{}:{}", host(url), port(url))
}

/// The server root of a base_url.
fn root_of(url: &url::Url) -> url::Url {
    let mut root = url.clone();
    root.set_path("");
    root
}

/// A URL as a config line writes it: without the trailing slash the parser adds to a root.
fn url_text(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

fn print_report(diagnoses: &[Diagnosis], source: &Source, style: &Style) {
    let width = diagnoses.iter().map(|d| d.target.len()).max().unwrap_or(0);
    let (watched, others): (Vec<&Diagnosis>, Vec<&Diagnosis>) =
        diagnoses.iter().partition(|d| d.watched);
    println!("config: {source}");
    let show = |d: &Diagnosis| {
        let (mark, color) = match (d.watched, d.ok) {
            (true, true) => ("✔", "32"),
            (true, false) => ("✖", "31"),
            (false, _) => ("-", "90"),
        };
        let mark = if style.color {
            format!("\x1b[{color}m{mark}\x1b[0m")
        } else {
            mark.to_string()
        };
        let kind = match d.preset {
            Some(p) => format!("{} ({p})", d.kind),
            None => d.kind.to_string(),
        };
        println!(
            "{mark} {:<width$}  {kind}  {}",
            clean(&d.target),
            clean(&d.base_url)
        );
        println!("    {}: {}", d.finding.code(), clean(&d.message));
        if let Some(fix) = &d.fix {
            println!("    fix: {}", clean(fix));
        }
    };
    if !watched.is_empty() {
        println!();
    }
    for d in &watched {
        show(d);
    }
    if !others.is_empty() {
        println!();
        println!(
            "{}",
            style.dim(if matches!(source, Source::Detected) {
                "Not watched (auto-detection found nothing there, or the key is unset):"
            } else {
                "Not watched:"
            })
        );
        for d in &others {
            show(d);
        }
    }
    let bad = watched.iter().filter(|d| !d.ok).count();
    println!();
    if watched.is_empty() {
        println!("Nothing to watch: see the fixes above, or write a config file (`llm-health detect --write FILE`).");
    } else if bad == 0 {
        println!(
            "Ok: {} of {} watched targets.",
            watched.len(),
            watched.len()
        );
    } else {
        println!("Problems: {bad} of {} watched targets.", watched.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &str, base_url: &str) -> Target {
        let config = monitor::config::Config::parse(
            &format!("[[targets]]\nid = \"t\"\nkind = \"{kind}\"\nbase_url = \"{base_url}\"\n"),
            "test",
        )
        .unwrap();
        config.targets[0].clone()
    }

    fn candidates(kind: &str, base_url: &str) -> Vec<String> {
        shape_candidates(&target(kind, base_url))
            .iter()
            .map(url_text)
            .collect()
    }

    #[test]
    fn base_url_shapes_to_try() {
        assert_eq!(
            candidates("openai_compatible", "http://h:8000"),
            ["http://h:8000/v1"]
        );
        assert_eq!(
            candidates("openai_compatible", "http://h:8000/v1/chat/completions"),
            ["http://h:8000/v1"]
        );
        assert_eq!(
            candidates("openai", "http://h/api/chat/completions/"),
            ["http://h/api", "http://h/api/v1"]
        );
        assert!(candidates("openai_compatible", "http://h:8000/v1").is_empty());
        assert_eq!(
            candidates("anthropic", "https://api.anthropic.com/v1"),
            ["https://api.anthropic.com"]
        );
        assert!(candidates("ollama", "http://127.0.0.1:11434").is_empty());
    }

    #[test]
    fn finding_codes_are_the_json_names() {
        assert_eq!(Finding::PortClosed.code(), "port_closed");
        assert_eq!(Finding::BaseUrlShape.code(), "base_url_shape");
        assert_eq!(suggested_var("my-vllm"), "MY_VLLM_API_KEY");
    }
}
