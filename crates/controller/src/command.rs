//! Every command of the page, written down once: its name, its arguments, its reply, whether it
//! changes anything (and so needs `serve`'s token), and what a shell must have for it. Both
//! transports (the app's IPC and `serve`'s HTTP), the generated TypeScript and the OpenAPI
//! document read this list; nothing else spells a command's name.

use crate::error::CoreError;
use crate::views::{Healthy, Incidents, ProviderIncidents, RecentChecks, SettingsView, StateView};
use alerts::NotifyPrefs;
use monitor::config::{ConfigFile, TargetFile};
use monitor::round::TestResult;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use store::{HistoryView, IncidentArgs, TimelineView, WindowArgs};
use ts_rs::TS;
use utoipa::ToSchema;

/// Whether a command only reads, or changes the configuration or what the monitor does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// No token needed; `serve` also answers it to `GET /api/<name>?<args>`.
    Read,
    /// `serve` asks for the token (`Authorization: Bearer …`).
    Change,
}

/// What only some shells have. A command that needs one is refused, with the reason, by a shell
/// without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// The OS keyring for API keys (the app; `serve` reads environment variables).
    Keyring,
    /// Desktop notifications and the preferences kept beside them (the app).
    Notifications,
    /// A window of its own, and start at login (the app).
    Desktop,
}

impl Capability {
    /// Why a shell without it has no such command, as the refusal says.
    pub fn missing_reason(self) -> &'static str {
        match self {
            Capability::Keyring => {
                "`llm-health serve` reads API keys from the environment variables the targets \
                 name (api_key_env)"
            }
            Capability::Notifications => {
                "`llm-health serve` has no desktop notifications; its policy is `[notifications]` in the config file"
            }
            Capability::Desktop => "`llm-health serve` has no window and no login to start at",
        }
    }
}

/// The arguments of a command that takes none (`{}`, `null` or nothing at all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS, ToSchema)]
pub struct CheckNowArgs {
    /// One target, or every one when absent.
    #[serde(default)]
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveSettingsArgs {
    pub config: ConfigFile,
    /// Left out (null) to keep what is set; a browser has none to send.
    #[serde(default)]
    pub notifications: Option<NotifyPrefs>,
    #[serde(default)]
    pub start_at_login: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, TS, ToSchema)]
pub struct UpsertTargetArgs {
    /// Added, or replacing the target with the same id.
    pub target: TargetFile,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct TargetIdArgs {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct SetEnabledArgs {
    pub id: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportTomlArgs {
    /// A whole file in the engine's TOML format; it replaces the targets.
    pub text_toml: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, TS, ToSchema)]
pub struct AnswerOffersArgs {
    /// The offered endpoints the user picked, possibly none.
    pub targets: Vec<TargetFile>,
}

#[derive(Clone, PartialEq, Deserialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestTargetArgs {
    /// The target as the form has it, not saved.
    pub target: TargetFile,
    /// A key typed into the form, used for this probe only.
    #[serde(default)]
    pub api_key: Option<String>,
}

/// The typed key never reaches a log through `{:?}`.
impl std::fmt::Debug for TestTargetArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestTargetArgs")
            .field("target", &self.target)
            .field("api_key", &self.api_key.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The last checks of one target or of every configured one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecentChecksArgs {
    /// A target's id; every configured target when absent or null.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub target: Option<String>,
    /// At most this many checks per target (30 when absent, 500 at most).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<usize>,
}

/// Which usable targets `healthy` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthyArgs {
    /// Only targets of this kind.
    #[serde(default)]
    #[ts(optional)]
    pub kind: Option<monitor::Kind>,
    /// `true`: only servers the user runs; `false`: only cloud APIs; absent: both.
    #[serde(default)]
    #[ts(optional)]
    pub local: Option<bool>,
}

/// One target's history over a window (see [`WindowArgs`] for the window).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct HistoryArgs {
    pub target: String,
    #[serde(default)]
    #[ts(optional, as = "Option<store::Range>")]
    #[schema(value_type = Option<store::Range>)]
    pub range: Option<String>,
    #[serde(default)]
    #[ts(optional, type = "string")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    #[ts(optional, type = "string")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    #[ts(optional)]
    pub buckets: Option<u32>,
}

impl HistoryArgs {
    pub fn window(&self) -> WindowArgs {
        WindowArgs {
            range: self.range.clone(),
            from: self.from,
            to: self.to,
            buckets: self.buckets,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct SetApiKeyArgs {
    pub target: String,
    pub key: String,
}

impl std::fmt::Debug for SetApiKeyArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetApiKeyArgs")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct DeleteApiKeyArgs {
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct SetMutedArgs {
    pub id: String,
    pub muted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct SnoozeArgs {
    /// The target.
    pub id: String,
    /// Minutes to snooze for; 0 snoozes until tomorrow morning; absent (null) ends the snooze.
    #[serde(default)]
    pub minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct ChannelIdArgs {
    /// The channel's id (`id` in `[[alerts]]`, or `alert-<n>`).
    pub id: String,
}

#[derive(Clone, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct SetChannelUrlArgs {
    /// The channel's id; its `[[alerts]]` entry names no `url` or `url_env`.
    pub id: String,
    /// The webhook's (or ntfy topic's) URL, kept in the OS keyring.
    pub url: String,
}

/// The URL never reaches a log through `{:?}`.
impl std::fmt::Debug for SetChannelUrlArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetChannelUrlArgs")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS, ToSchema)]
pub struct PauseArgs {
    /// Minutes to pause for; 0 pauses until tomorrow morning; absent (null) resumes.
    #[serde(default)]
    pub minutes: Option<u32>,
}

/// What the generated documents say of one command.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub name: CommandName,
    pub access: Access,
    pub needs: Option<Capability>,
    pub doc: &'static str,
    /// TypeScript names of the arguments and the reply (as ts-rs names them).
    pub args_ts: String,
    pub reply_ts: String,
    /// OpenAPI schemas of the arguments and the reply, with the types they refer to.
    pub args_schema: fn() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    pub reply_schema: fn() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    /// Every named schema the two above refer to, for `components.schemas`.
    pub schemas: fn(
        &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ),
    /// Hands the arguments' and the reply's types to the TypeScript generator.
    pub ts_types: fn(&mut crate::typescript::Collector),
}

/// The list itself. Each line: the command (its wire name is the variant in snake_case), its
/// arguments, its reply, its access, and what it needs from the shell.
macro_rules! commands {
    ($( $(#[doc = $doc:literal])+ $variant:ident($args:ty) -> $reply:ty, $access:ident $(, needs $cap:ident)?; )+) => {
        /// A command of the page with its arguments.
        #[derive(Debug, Clone)]
        pub enum Command {
            $( $(#[doc = $doc])+ $variant($args), )+
        }

        /// A command's name: `get_state`, `check_now`, …
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            strum::EnumString, strum::IntoStaticStr, strum::EnumIter, strum::Display,
        )]
        #[strum(serialize_all = "snake_case")]
        pub enum CommandName {
            $( $variant, )+
        }

        impl Command {
            pub fn name(&self) -> CommandName {
                match self {
                    $( Command::$variant(_) => CommandName::$variant, )+
                }
            }
        }

        impl CommandName {
            pub fn access(self) -> Access {
                match self {
                    $( CommandName::$variant => Access::$access, )+
                }
            }

            pub fn needs(self) -> Option<Capability> {
                match self {
                    $( CommandName::$variant => commands!(@needs $($cap)?), )+
                }
            }

            fn build(self, args: Parser<'_>) -> Result<Command, CoreError> {
                Ok(match self {
                    $( CommandName::$variant => Command::$variant(args.parse(self)?), )+
                })
            }

            pub fn spec(self) -> CommandSpec {
                match self {
                    $( CommandName::$variant => CommandSpec {
                        name: self,
                        access: Access::$access,
                        needs: commands!(@needs $($cap)?),
                        doc: concat!($($doc, "\n"),+),
                        args_ts: <$args as TS>::name(&ts_rs::Config::default()),
                        reply_ts: <$reply as TS>::name(&ts_rs::Config::default()),
                        args_schema: <$args as utoipa::PartialSchema>::schema,
                        reply_schema: <$reply as utoipa::PartialSchema>::schema,
                        schemas: |out| {
                            <$args as utoipa::ToSchema>::schemas(out);
                            <$reply as utoipa::ToSchema>::schemas(out);
                            out.push((<$args as utoipa::ToSchema>::name().into_owned(), <$args as utoipa::PartialSchema>::schema()));
                            if let Some(name) = crate::command::named_schema::<$reply>() {
                                out.push((name, <$reply as utoipa::PartialSchema>::schema()));
                            }
                        },
                        ts_types: |collector| {
                            ts_rs::TypeVisitor::visit::<$args>(collector);
                            ts_rs::TypeVisitor::visit::<$reply>(collector);
                        },
                    }, )+
                }
            }
        }

    };
    (@needs) => { None };
    (@needs $cap:ident) => { Some(Capability::$cap) };
}

commands! {
    /// The whole state: every target's status and last check, pause, where settings live, and
    /// the first-run offers.
    GetState(NoArgs) -> StateView, Read;
    /// Probes one target, or every one, now.
    CheckNow(CheckNowArgs) -> (), Change;
    /// The configuration as written, notification preferences, and where each key comes from
    /// (never the key).
    GetSettings(NoArgs) -> SettingsView, Read;
    /// Replaces the configuration (and, in the app, notification preferences and start at
    /// login); probing restarts with it.
    SaveSettings(SaveSettingsArgs) -> (), Change;
    /// Adds a target, or replaces the one with the same id.
    UpsertTarget(UpsertTargetArgs) -> (), Change;
    /// Removes a target (its history stays).
    RemoveTarget(TargetIdArgs) -> (), Change;
    /// Turns probing of a target on or off.
    SetTargetEnabled(SetEnabledArgs) -> (), Change;
    /// Replaces the targets with those of a TOML file; an error names its line and key.
    ImportToml(ImportTomlArgs) -> (), Change;
    /// The configuration as the engine's TOML.
    ExportToml(NoArgs) -> String, Read;
    /// First run: adds the offered endpoints the user picked (possibly none), and makes no
    /// offer again.
    AnswerOffers(AnswerOffersArgs) -> (), Change;
    /// "Test connection": one probe of a target as the form has it, saving nothing.
    TestTarget(TestTargetArgs) -> TestResult, Change;
    /// One target's history: uptime, percentiles, status segments, incidents, latency series.
    History(HistoryArgs) -> HistoryView, Read;
    /// Every configured target's history over one window, in configuration order.
    Timeline(WindowArgs) -> TimelineView, Read;
    /// Incidents of one target or all, newest first.
    Incidents(IncidentArgs) -> Incidents, Read;
    /// What the targets' providers reported on their status pages, of one target or all, newest
    /// first: context, never part of a target's status.
    ProviderIncidents(IncidentArgs) -> ProviderIncidents, Read;
    /// Each target's last checks (30 unless `limit` says), oldest first: the heartbeat strip.
    RecentChecks(RecentChecksArgs) -> RecentChecks, Read;
    /// The usable targets (healthy or degraded), best first; `kind` and `local` narrow them.
    Healthy(HealthyArgs) -> Healthy, Read;
    /// Mutes or unmutes one target's notifications.
    SetMuted(SetMutedArgs) -> (), Change;
    /// Pauses notifications for some minutes, until tomorrow morning (0), or resumes (null).
    PauseNotifications(PauseArgs) -> (), Change;
    /// Stores a target's API key in the OS keyring and checks the target again.
    SetApiKey(SetApiKeyArgs) -> (), Change, needs Keyring;
    /// Removes a target's API key from the OS keyring.
    DeleteApiKey(DeleteApiKeyArgs) -> (), Change, needs Keyring;
    /// Stores an alert channel's URL in the OS keyring (the channel's entry names no URL).
    SetChannelUrl(SetChannelUrlArgs) -> (), Change, needs Keyring;
    /// Hides the window to the tray.
    HideWindow(NoArgs) -> (), Change, needs Desktop;
    /// Silences one target's notices for some minutes, until tomorrow morning (0), or ends the
    /// snooze (null); what happened meanwhile is summed up when it ends.
    SnoozeTarget(SnoozeArgs) -> (), Change;
    /// "Send test notice": one `test` notice to an alert channel, now; fails with the reason
    /// when it was not delivered.
    TestAlertChannel(ChannelIdArgs) -> (), Change;
}

/// The component name of a reply's schema, for replies that are named types (not `()`, a
/// string or a list).
pub(crate) fn named_schema<T: utoipa::ToSchema>() -> Option<String> {
    let name = T::name();
    let plain = ["", "()", "String", "Vec", "str", "Unit"];
    (!plain.contains(&name.as_ref())).then(|| name.into_owned())
}

/// Where a command's arguments come from.
enum Parser<'a> {
    /// A JSON object (a POST body, an IPC payload), with the key a caller typed, if any.
    Json {
        value: serde_json::Value,
        secret: Option<String>,
    },
    /// A query string (`serve`'s GET for reads).
    Query(&'a str),
}

/// A parse error can quote the value it choked on: a typed key, or anything shaped like one, is
/// masked first.
fn bad_arguments(command: CommandName, message: String, secret: Option<&str>) -> CoreError {
    CoreError::BadArguments {
        command,
        message: monitor::redact::Redactor::new(secret).redact(&message),
    }
}

impl Parser<'_> {
    fn parse<T: DeserializeOwned>(self, name: CommandName) -> Result<T, CoreError> {
        match self {
            Parser::Json { value, secret } => serde_json::from_value(value)
                .map_err(|e| bad_arguments(name, e.to_string(), secret.as_deref())),
            Parser::Query(query) => serde_urlencoded::from_str(query)
                .map_err(|e| bad_arguments(name, e.to_string(), None)),
        }
    }
}

impl CommandName {
    /// Every command, in the order of the list.
    pub fn all() -> impl Iterator<Item = CommandName> {
        <CommandName as strum::IntoEnumIterator>::iter()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The command of this exact name; anything else is refused before anything runs.
    pub fn parse(name: &str) -> Result<CommandName, CoreError> {
        name.parse()
            .map_err(|_| CoreError::UnknownCommand(name.to_string()))
    }

    /// The command with arguments from a JSON text (an HTTP body); no body, or `null`, is no
    /// arguments.
    pub fn from_json(self, body: &[u8]) -> Result<Command, CoreError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return self.from_value(serde_json::Value::Null);
        }
        let value =
            serde_json::from_slice(body).map_err(|e| bad_arguments(self, e.to_string(), None))?;
        self.from_value(value)
    }

    /// The command with arguments as a JSON value (an IPC payload); `null` is no arguments.
    pub fn from_value(self, value: serde_json::Value) -> Result<Command, CoreError> {
        let value = match value {
            serde_json::Value::Null => serde_json::Value::Object(Default::default()),
            value => value,
        };
        // The key a caller typed is read first, so that no error about the arguments can
        // quote it.
        let secret = ["apiKey", "key", "url"]
            .iter()
            .find_map(|k| value.get(k)?.as_str().map(str::to_string));
        self.build(Parser::Json { value, secret })
    }

    /// The command with arguments from a query string (`range=7d&buckets=50`).
    pub fn from_query(self, query: &str) -> Result<Command, CoreError> {
        self.build(Parser::Query(query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_variants_in_snake_case_and_parse_back() {
        assert_eq!(
            CommandName::ImportToml.as_str(),
            ["import", "toml"].join("_")
        );
        for name in CommandName::all() {
            assert_eq!(CommandName::parse(name.as_str()).ok(), Some(name));
        }
        for bad in [
            "import%5Ftoml",
            "Import_Toml",
            "get_state ",
            "",
            "../get_state",
        ] {
            assert!(
                matches!(CommandName::parse(bad), Err(CoreError::UnknownCommand(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn reads_never_change_anything() {
        use CommandName as N;
        let reads = [
            N::GetState,
            N::GetSettings,
            N::ExportToml,
            N::History,
            N::Timeline,
            N::Incidents,
            N::ProviderIncidents,
            N::RecentChecks,
            N::Healthy,
        ];
        for name in CommandName::all() {
            assert_eq!(
                name.access() == Access::Read,
                reads.contains(&name),
                "{name}"
            );
        }
    }

    #[test]
    fn arguments_come_as_json_or_as_a_query() {
        let c = CommandName::History
            .from_query("target=a&range=7d&buckets=50")
            .expect("valid");
        let Command::History(args) = c else {
            panic!("{c:?}")
        };
        assert_eq!(args.buckets, Some(50));
        assert!(CommandName::GetState.from_json(b"").is_ok());
        assert!(CommandName::GetState.from_json(b"null").is_ok());
        assert!(CommandName::GetState.from_json(b"{\"x\":1}").is_err());
        let Command::ImportToml(args) = CommandName::ImportToml
            .from_json(br#"{"textToml":"x"}"#)
            .expect("valid")
        else {
            panic!()
        };
        assert_eq!(args.text_toml, "x");
    }

    #[test]
    fn a_typed_key_is_never_quoted_by_an_argument_error() {
        let err = CommandName::TestTarget
            .from_json(br#"{"apiKey":"hunter2-typed","target":{"id":"x","kind":"hunter2-typed"}}"#)
            .expect_err("bad kind");
        let text = err.to_string();
        assert!(!text.contains("hunter2-typed"), "{text}");
        assert!(text.contains(CommandName::TestTarget.as_str()), "{text}");
    }
}
