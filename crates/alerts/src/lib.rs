//! When to tell a person about their LLM endpoints, as a pure policy: the caller feeds it the
//! engine's events and a clock, calls [`Policy::flush`] when [`Policy::next_flush_at`] says, and
//! delivers the [`Alert`]s that come out (the desktop as notifications, later webhooks as JSON).
//!
//! What it is for: tell a person once, in plain words, when something they rely on breaks or
//! comes back, and not otherwise. So changes close together are told together (`grouping`), a
//! lost network is one alert rather than one per provider (`offline`), a recovery is told only
//! when its outage was (`changes`), a provider's incident is told once however many targets share
//! its status page (`provider`), pauses and quiet hours end with one summary (`silence`),
//! every target has an hourly cap (`caps`), and nothing is said about time the machine slept
//! (`sleep`).
//!
//! No wording lives here: an [`Alert`] carries what happened, and each channel words it.

mod alert;
mod caps;
mod changes;
mod grouping;
pub mod local_time;
mod maintenance;
mod offline;
mod policy;
mod prefs;
mod provider;
mod record;
#[cfg(any(test, feature = "script"))]
pub mod script;
mod silence;
mod sleep;
mod targets;

pub use alert::{
    Alert, AlertItem, AlertKind, Change, OfflineStretch, ProviderIncidentAlert, Urgency,
};
pub use policy::Policy;
pub use prefs::{NotifyPrefs, QuietHours};
pub use targets::TargetMeta;

#[cfg(test)]
mod maintenance_tests;
#[cfg(test)]
mod provider_tests;
#[cfg(test)]
mod tests;
