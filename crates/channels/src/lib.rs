//! Where notices go besides the desktop: a webhook (the notice as JSON), ntfy, Slack and Discord
//! incoming webhooks, and a program run with the notice on stdin (`[[alerts]]` in the config).
//!
//! The notification policy (`alerts`) decides what to tell; [`notices`] turns one of its alerts
//! into the notices to send, worded as the desktop words them, one per event; the
//! [`Dispatcher`] hands each to every channel that wants it. Each channel has its own task and
//! bounded queue, so a slow, failing or hung receiver delays nothing but its own notices; a
//! failed delivery is retried with backoff (and `Retry-After`), and logged with the channel's id
//! and kind, never its URL or token.
//!
//! ```no_run
//! # async fn demo(config: monitor::config::Config, alert: alerts::Alert) {
//! use std::sync::Arc;
//! let dispatcher = channels::Dispatcher::new(&config.alerts, Arc::new(|_id: &str| None))
//!     .expect("a Tokio runtime");
//! let kind_of = |id: &str| config.targets.iter().find(|t| t.id == id).map(|t| t.kind);
//! let tz = *chrono::Local::now().offset();
//! dispatcher.send_alert(&alert, &kind_of, chrono::Utc::now(), tz);
//! # }
//! ```

mod deliver;
mod dispatch;
mod error;
mod notice;

use std::sync::Arc;

pub use dispatch::{DispatchOptions, Dispatcher};
pub use error::{DeliveryError, SetupError};
pub use notice::{narrow, notices, Notice, NoticeTarget, Outgoing};

/// Reads a channel's URL from the OS keyring by channel id (`None`: nothing stored). Called on
/// a blocking thread.
pub type KeyringUrl = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;
