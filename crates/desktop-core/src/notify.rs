//! Which desktop notifications to send, as a pure policy: the app feeds it the engine's events and
//! a clock, calls [`Policy::flush`] when [`Policy::next_flush_at`] says, and sends what comes out.
//!
//! What it is for: tell a person once, in plain words, when something they rely on breaks or
//! comes back, and not otherwise. So changes are grouped, a lost network is one notice rather
//! than one per provider, a recovery is told only when its outage was, quiet hours and pauses end
//! with one summary, every target has an hourly cap, and nothing is said about time the machine
//! slept.

use crate::text::{capitalized, clock_words, local_to_utc, name_list};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use monitor::config::{is_loopback_host, Target};
use monitor::words::duration_words;
use monitor::{Class, Event, Status, Transition};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// What the person chose in the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifyPrefs {
    pub enabled: bool,
    pub on_down: bool,
    pub on_recovered: bool,
    /// Off by default: slow or rate-limited still works, and a notice for it is mostly noise.
    pub on_degraded: bool,
    pub quiet_hours: Option<QuietHours>,
    /// Notices mentioning one target in any rolling hour; 0 silences every target.
    pub max_per_target_per_hour: u32,
    /// Target ids nothing is said about.
    pub muted: BTreeSet<String>,
    /// Changes within this long of the first one are told together.
    pub group_window_ms: u64,
    /// How long a cloud target that cannot be reached is held back, in case the others follow
    /// and the cause is this machine's network.
    pub offline_window_ms: u64,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        NotifyPrefs {
            enabled: true,
            on_down: true,
            on_recovered: true,
            on_degraded: false,
            quiet_hours: None,
            max_per_target_per_hour: 4,
            muted: BTreeSet::new(),
            group_window_ms: 3_000,
            offline_window_ms: 30_000,
        }
    }
}

/// A stretch of local time without notifications. It may cross midnight (22:00–07:00);
/// `start == end` means never quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// When the quiet stretch around `at` ends, if `at` is in one.
    fn ends_after(&self, at: DateTime<Utc>, tz: FixedOffset) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz);
        if !self.contains(local.time()) {
            return None;
        }
        let end = local_to_utc(local.date_naive(), self.end, tz);
        Some(if end > at {
            end
        } else {
            end + Duration::days(1)
        })
    }
}

/// How hard a notice asks for attention (freedesktop urgency levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
    pub urgency: Urgency,
    /// Ids of the targets it is about, e.g. to open the dashboard at them on click.
    pub targets: Vec<String>,
}

/// What the policy needs to know of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetMeta {
    pub id: String,
    pub name: String,
    /// Reached over the network: when every cloud target fails to connect at once, the likely
    /// cause is this machine being offline.
    pub cloud: bool,
}

impl From<&Target> for TargetMeta {
    fn from(t: &Target) -> Self {
        TargetMeta {
            id: t.id.clone(),
            name: t.name.clone(),
            cloud: !is_loopback_host(&t.base_url),
        }
    }
}

/// The engine does not count failures for this long after a wake (see `EngineOptions`); nothing
/// that happens in it is told either.
const WAKE_GRACE: Duration = Duration::seconds(30);

/// Failures that mean "could not reach it", which is what a lost network looks like.
fn is_network(class: Class) -> bool {
    matches!(class, Class::Connect | Class::Timeout | Class::Tls)
}

/// What the person was last told about a target, and since when it was so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Told {
    Down { since: DateTime<Utc> },
    Degraded { since: DateTime<Utc> },
}

impl Told {
    /// Whether what was told is still true; when it stops being true without a notice (muted,
    /// silenced, stopped), it is forgotten so that no later "recovered" refers to it.
    fn holds(self, status: Status) -> bool {
        match self {
            Told::Down { .. } => status == Status::Unhealthy,
            Told::Degraded { .. } => status == Status::Degraded,
        }
    }
}

/// One target as the policy follows it.
#[derive(Debug, Clone)]
struct Track {
    status: Status,
    /// The class of the latest transition.
    class: Class,
    /// When `status` began.
    since: DateTime<Utc>,
    /// The status as of the last time this target was reported on or let pass: the "from" of the
    /// next report, so that changes and their reversals within one window cancel out.
    settled: Status,
    told: Option<Told>,
    /// When the change since `settled` is due to be reported; `None` when there is none.
    due: Option<DateTime<Utc>>,
}

impl Track {
    /// Lets the pending change pass without a word.
    fn settle(&mut self) {
        self.settled = self.status;
        self.due = None;
        self.told = self.told.filter(|t| t.holds(self.status));
    }

    fn network_down(&self) -> bool {
        self.status == Status::Unhealthy && is_network(self.class)
    }

    /// Reached, even if it answered with an error: proof that the network works.
    fn reached(&self) -> bool {
        match self.status {
            Status::Healthy | Status::Degraded => true,
            Status::Unhealthy => !is_network(self.class),
            Status::Unknown => false,
        }
    }
}

/// The "you appear to be offline" notice was sent.
#[derive(Debug, Clone, Copy)]
struct Offline {
    /// When the first cloud target became unreachable.
    since: DateTime<Utc>,
    /// When a cloud target was first seen reachable again; "back online" waits a little after it
    /// so that the others can come back too.
    back_since: Option<DateTime<Utc>>,
}

/// A change worth telling about one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Down,
    /// Recovered from an announced down; `still` is the class if it is still degraded.
    Recovered {
        down_for: Duration,
        still: Option<Class>,
    },
    Degraded,
    /// Healthy again after an announced degraded stretch.
    Normal {
        degraded_for: Duration,
    },
}

impl Change {
    fn urgency(self) -> Urgency {
        match self {
            Change::Down => Urgency::Critical,
            Change::Recovered { .. } => Urgency::Normal,
            Change::Degraded | Change::Normal { .. } => Urgency::Low,
        }
    }
}

#[derive(Debug, Clone)]
struct Item {
    id: String,
    name: String,
    change: Change,
    class: Class,
    since: DateTime<Utc>,
}

/// The notification policy. Pure: it never reads a clock and never sends anything.
#[derive(Debug)]
pub struct Policy {
    prefs: NotifyPrefs,
    /// The configured targets, in the order notices list them.
    targets: Vec<TargetMeta>,
    tracks: HashMap<String, Track>,
    /// When the current group of changes is due.
    group_due: Option<DateTime<Utc>>,
    paused_until: Option<DateTime<Utc>>,
    /// Set by a flush that found notifications silenced (pause or quiet hours): when to look
    /// again. The first flush after the silence sums up instead of reporting changes.
    silenced_until: Option<DateTime<Utc>>,
    offline: Option<Offline>,
    /// Stretches the machine slept, through the wake grace: nothing in them is told.
    sleeps: VecDeque<(DateTime<Utc>, DateTime<Utc>)>,
    /// When each target was last mentioned, for the hourly cap.
    sent: HashMap<String, VecDeque<DateTime<Utc>>>,
    /// The same for offline / back online notices, which are about the network, not a target.
    network_sent: VecDeque<DateTime<Utc>>,
    /// The latest time the app gave; "flush now" when the policy has no better answer.
    last_seen: Option<DateTime<Utc>>,
}

/// Sleep stretches kept to recognize late events; a few suffice, since events arrive in order.
const SLEEPS_KEPT: usize = 8;

impl Policy {
    /// `targets` may include disabled ones: only targets the engine reports on take part in
    /// offline detection.
    pub fn new(prefs: NotifyPrefs, targets: Vec<TargetMeta>) -> Policy {
        Policy {
            prefs,
            targets,
            tracks: HashMap::new(),
            group_due: None,
            paused_until: None,
            silenced_until: None,
            offline: None,
            sleeps: VecDeque::new(),
            sent: HashMap::new(),
            network_sent: VecDeque::new(),
            last_seen: None,
        }
    }

    pub fn set_prefs(&mut self, prefs: NotifyPrefs) {
        self.prefs = prefs;
    }

    /// Replaces the configured targets; what is known of removed ones is forgotten.
    pub fn set_targets(&mut self, targets: Vec<TargetMeta>) {
        self.tracks
            .retain(|id, _| targets.iter().any(|t| &t.id == id));
        self.targets = targets;
    }

    /// Pauses notifications until `until`; `None` resumes them. Either way, the end of a pause
    /// that silenced something is summed up at the next flush.
    pub fn pause_until(&mut self, until: Option<DateTime<Utc>>) {
        self.paused_until = until;
        if let Some(silenced) = self.silenced_until {
            // Look again at once: the flush works out whether quiet hours still hold.
            self.silenced_until = Some(match until {
                Some(until) => until.max(silenced),
                None => self.last_seen.unwrap_or(silenced),
            });
        }
    }

    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.paused_until.filter(|&until| until > now)
    }

    /// Takes note of an event. Never emits: changes wait in a buffer for [`Policy::flush`].
    pub fn observe(&mut self, event: &Event, now: DateTime<Utc>) {
        self.seen(now);
        match event {
            Event::Transition(t) => self.observe_transition(t, now),
            Event::Slept { from, to } => self.observe_sleep(*from, *to),
            Event::Checked(_) | Event::Incident(_) => {}
        }
    }

    /// When the app should call [`Policy::flush`] next; `None` when nothing is waiting. A time in
    /// the past means now.
    pub fn next_flush_at(&self) -> Option<DateTime<Utc>> {
        if self.silenced_until.is_some() {
            return self.silenced_until;
        }
        let back = self
            .offline
            .and_then(|o| o.back_since)
            .map(|b| b + self.offline_window());
        self.tracks.values().filter_map(|t| t.due).chain(back).min()
    }

    /// The notices due at `now`. `tz` is the local offset, for quiet hours and clock times.
    pub fn flush(&mut self, now: DateTime<Utc>, tz: FixedOffset) -> Vec<Notice> {
        self.seen(now);
        if !self.prefs.enabled {
            self.tracks.values_mut().for_each(Track::settle);
            self.group_due = None;
            self.silenced_until = None;
            self.offline = None;
            return Vec::new();
        }
        let hour_ago = now - Duration::hours(1);
        for times in self.sent.values_mut().chain([&mut self.network_sent]) {
            while times.front().is_some_and(|&t| t <= hour_ago) {
                times.pop_front();
            }
        }
        if let Some(end) = self.silence_end(now, tz) {
            // Changes stay buffered; the flush after the silence sums them up.
            self.silenced_until = Some(end);
            return Vec::new();
        }
        let summing_up = self.silenced_until.take().is_some();
        if summing_up || self.group_due.is_some_and(|g| g <= now) {
            self.group_due = None;
        }
        let mut due: Vec<String> = self
            .tracks
            .iter()
            .filter(|(_, t)| t.due.is_some_and(|d| summing_up || d <= now))
            .map(|(id, _)| id.clone())
            .collect();
        let held = |id: &String, t: &Track| self.is_cloud(id) && t.network_down();
        let releasing = due
            .iter()
            .any(|id| self.tracks.get(id).is_some_and(|t| held(id, t)));
        if releasing && !self.all_cloud_unreachable() {
            // Cloud targets held back for the same reason are released together, as one notice.
            for (id, track) in &self.tracks {
                if track.due.is_some() && held(id, track) && !due.contains(id) {
                    due.push(id.clone());
                }
            }
        }
        due.sort_by_key(|id| self.order(id));

        let mut notices = Vec::new();
        notices.extend(self.network_notice(&due, now, summing_up));
        if summing_up {
            // Still down and never told, whether or not it changed lately.
            let mut untold: Vec<String> = self
                .tracks
                .iter()
                .filter(|(id, t)| {
                    t.status == Status::Unhealthy && t.told.is_none() && !due.contains(id)
                })
                .map(|(id, _)| id.clone())
                .collect();
            untold.sort_by_key(|id| self.order(id));
            due.extend(untold);
        }
        let items = self.take_items(&due, summing_up);
        notices.extend(self.admit(items).and_then(|items| {
            let notice = render(&items, summing_up, now, tz);
            self.record(&items, now);
            notice
        }));
        notices
    }

    fn seen(&mut self, now: DateTime<Utc>) {
        self.last_seen = Some(self.last_seen.map_or(now, |l| l.max(now)));
    }

    fn group_window(&self) -> Duration {
        window(self.prefs.group_window_ms)
    }

    fn offline_window(&self) -> Duration {
        window(self.prefs.offline_window_ms)
    }

    /// Position in the configured order; targets the policy was not told about come last.
    fn order(&self, id: &str) -> (usize, String) {
        let pos = self.targets.iter().position(|t| t.id == id);
        (pos.unwrap_or(usize::MAX), id.to_string())
    }

    fn meta(&self, id: &str) -> Option<&TargetMeta> {
        self.targets.iter().find(|t| t.id == id)
    }

    fn name(&self, id: &str) -> String {
        self.meta(id)
            .map_or_else(|| id.to_string(), |m| m.name.clone())
    }

    fn is_cloud(&self, id: &str) -> bool {
        self.meta(id).is_some_and(|m| m.cloud)
    }

    fn cloud_ids(&self) -> Vec<String> {
        self.targets
            .iter()
            .filter(|t| t.cloud)
            .map(|t| t.id.clone())
            .collect()
    }

    /// The cloud targets the engine reports a known status for. Disabled targets (never
    /// reported, or stopped at unknown) and ones not checked yet say nothing about the network.
    fn watched_cloud_ids(&self) -> Vec<String> {
        let mut ids = self.cloud_ids();
        ids.retain(|id| {
            self.tracks
                .get(id)
                .is_some_and(|t| t.status != Status::Unknown)
        });
        ids
    }

    /// Every watched cloud target (at least two: one alone proves nothing) fails to connect.
    fn all_cloud_unreachable(&self) -> bool {
        let cloud = self.watched_cloud_ids();
        cloud.len() >= 2
            && cloud
                .iter()
                .all(|id| self.tracks.get(id).is_some_and(Track::network_down))
    }

    fn asleep_at(&self, at: DateTime<Utc>) -> bool {
        self.sleeps
            .iter()
            .any(|&(from, until)| from <= at && at <= until)
    }

    fn observe_transition(&mut self, t: &Transition, now: DateTime<Utc>) {
        let asleep = self.asleep_at(t.at);
        let cloud = self.is_cloud(&t.target);
        let track = self.tracks.entry(t.target.clone()).or_insert(Track {
            status: t.from,
            class: t.class,
            since: t.at,
            settled: t.from,
            told: None,
            due: None,
        });
        if track.status != t.to {
            track.since = t.at;
        }
        track.status = t.to;
        track.class = t.class;
        if t.to == Status::Unknown {
            // Monitoring stopped or the target was disabled: what was told no longer stands, and
            // coming back from unknown is never a recovery.
            track.told = None;
        }
        if asleep || !self.prefs.enabled {
            track.settle();
            return;
        }
        let held = cloud && track.network_down() && self.offline.is_none();
        let due = if held {
            now + self.offline_window()
        } else {
            self.group(now)
        };
        if let Some(track) = self.tracks.get_mut(&t.target) {
            track.due = Some(due);
        }
        if self.offline.is_none() && self.all_cloud_unreachable() {
            // The offline notice need not wait for the hold: every cloud target is down already.
            let group = self.group(now);
            for id in self.cloud_ids() {
                if let Some(due) = self.tracks.get_mut(&id).and_then(|t| t.due.as_mut()) {
                    *due = (*due).min(group);
                }
            }
        }
    }

    /// When the group a change observed at `now` joins is due. A group whose changes were all
    /// let pass (by a sleep) is over, so a later change starts its own.
    fn group(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        if let Some(g) = self.group_due {
            if !self.tracks.values().any(|t| t.due == Some(g)) {
                self.group_due = None;
            }
        }
        *self.group_due.get_or_insert(now + self.group_window())
    }

    fn observe_sleep(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) {
        let until = to + WAKE_GRACE;
        if self.sleeps.len() >= SLEEPS_KEPT {
            self.sleeps.pop_front();
        }
        self.sleeps.push_back((from, until));
        // Buffered changes from before the wake describe a machine that was about to sleep or
        // a network that was still coming up: stale either way.
        for track in self.tracks.values_mut() {
            if track.due.is_some() && track.since <= until {
                track.settle();
            }
        }
    }

    /// When notifications may be shown again, if they are silenced at `now`.
    fn silence_end(&self, now: DateTime<Utc>, tz: FixedOffset) -> Option<DateTime<Utc>> {
        let mut end = now;
        // A pause may end inside quiet hours and quiet hours inside a pause; a few rounds settle it.
        for _ in 0..4 {
            if let Some(until) = self.paused_until.filter(|&u| u > end) {
                end = until;
            } else if let Some(until) = self.prefs.quiet_hours.and_then(|q| q.ends_after(end, tz)) {
                end = until;
            } else {
                break;
            }
        }
        (end > now).then_some(end)
    }

    /// Offline and back online: one notice for all cloud targets when this machine's network is
    /// the likely cause. Settles the cloud targets it speaks for.
    fn network_notice(
        &mut self,
        due: &[String],
        now: DateTime<Utc>,
        summing_up: bool,
    ) -> Option<Notice> {
        let cloud = self.cloud_ids();
        let all_unreachable = self.all_cloud_unreachable();
        let Some(mut offline) = self.offline else {
            if !all_unreachable || !due.iter().any(|id| cloud.contains(id)) {
                return None;
            }
            let cloud = self.watched_cloud_ids();
            let since = cloud
                .iter()
                .filter_map(|id| self.tracks.get(id).map(|t| t.since))
                .min()
                .unwrap_or(now);
            self.offline = Some(Offline {
                since,
                back_since: None,
            });
            for id in &cloud {
                if let Some(track) = self.tracks.get_mut(id) {
                    track.settle();
                    // Told as part of "offline"; no per-target "recovered" follows it.
                    track.told = None;
                }
            }
            let names: Vec<String> = cloud.iter().map(|id| self.name(id)).collect();
            return self.network_admit(
                now,
                Notice {
                    summary: "You appear to be offline".into(),
                    body: format!(
                        "All {} cloud endpoints are unreachable: {}",
                        cloud.len(),
                        name_list(&names)
                    ),
                    urgency: Urgency::Normal,
                    targets: cloud,
                },
            );
        };
        // While offline, cloud changes are not told one by one.
        for id in due.iter().filter(|id| cloud.contains(id)) {
            if let Some(track) = self.tracks.get_mut(id) {
                track.settle();
            }
        }
        let tracks: Vec<&Track> = cloud.iter().filter_map(|id| self.tracks.get(id)).collect();
        if all_unreachable || !tracks.iter().any(|t| t.reached()) {
            offline.back_since = None;
            // Monitoring stopped or every cloud target was disabled: nothing came back online.
            self.offline = (!tracks.iter().all(|t| t.status == Status::Unknown)).then_some(offline);
            return None;
        }
        let back = *offline.back_since.get_or_insert(now);
        self.offline = Some(offline);
        if now < back + self.offline_window() && !summing_up {
            return None;
        }
        self.offline = None;
        let mut still_down = Vec::new();
        for id in &cloud {
            let muted = self.prefs.muted.contains(id);
            if let Some(track) = self
                .tracks
                .get_mut(id)
                .filter(|t| t.status == Status::Unhealthy)
            {
                if !muted {
                    track.told = Some(Told::Down { since: track.since });
                    still_down.push(id.clone());
                }
            }
        }
        let mut body = format!(
            "Cloud endpoints reachable again after {}",
            duration_words((back - offline.since).num_milliseconds())
        );
        let mut urgency = Urgency::Normal;
        if !still_down.is_empty() {
            let names: Vec<String> = still_down.iter().map(|id| self.name(id)).collect();
            body.push_str(&format!("\nStill down: {}", name_list(&names)));
            urgency = Urgency::Critical;
        }
        self.network_admit(
            now,
            Notice {
                summary: "Back online".into(),
                body,
                urgency,
                targets: cloud,
            },
        )
    }

    /// The hourly cap for network notices, so a flapping connection does not flood the desktop.
    fn network_admit(&mut self, now: DateTime<Utc>, notice: Notice) -> Option<Notice> {
        if self.network_sent.len() >= self.prefs.max_per_target_per_hour as usize {
            tracing::debug!(summary = %notice.summary, "network notice dropped: hourly cap reached");
            return None;
        }
        self.network_sent.push_back(now);
        Some(notice)
    }

    /// Decides what each due target's change means, and settles it.
    fn take_items(&mut self, due: &[String], summing_up: bool) -> Vec<Item> {
        let mut items = Vec::new();
        for id in due {
            let covered = self.offline.is_some() && self.is_cloud(id);
            let name = self.name(id);
            let prefs = &self.prefs;
            let Some(track) = self.tracks.get_mut(id) else {
                continue;
            };
            let change = if covered || track.due.is_none() && !summing_up {
                None
            } else {
                change_of(track, prefs, summing_up)
            };
            track.settle();
            if let Some(change) = change {
                items.push(Item {
                    id: id.clone(),
                    name,
                    change,
                    class: track.class,
                    since: track.since,
                });
            }
        }
        items
    }

    /// Mute and the hourly cap; `None` when nothing is left to tell.
    fn admit(&self, items: Vec<Item>) -> Option<Vec<Item>> {
        let cap = self.prefs.max_per_target_per_hour as usize;
        let items: Vec<Item> = items
            .into_iter()
            .filter(|i| !self.prefs.muted.contains(&i.id))
            .filter(|i| {
                let under = self.sent.get(&i.id).map_or(0, VecDeque::len) < cap;
                if !under {
                    tracing::debug!(target_id = %i.id, "notice dropped: hourly cap reached");
                }
                under
            })
            .collect();
        (!items.is_empty()).then_some(items)
    }

    /// Remembers what was told, for later recoveries and for the cap.
    fn record(&mut self, items: &[Item], now: DateTime<Utc>) {
        let on_degraded = self.prefs.on_degraded;
        for item in items {
            self.sent.entry(item.id.clone()).or_default().push_back(now);
            let Some(track) = self.tracks.get_mut(&item.id) else {
                continue;
            };
            track.told = match item.change {
                Change::Down => Some(Told::Down { since: item.since }),
                Change::Degraded => Some(Told::Degraded { since: item.since }),
                // "Still degraded" was said; its end is worth saying only to who asked for it.
                Change::Recovered { still: Some(_), .. } if on_degraded => {
                    Some(Told::Degraded { since: item.since })
                }
                Change::Recovered { .. } | Change::Normal { .. } => None,
            };
        }
    }
}

/// A waiting time from the settings. Capped at a day: a mistyped value must neither overflow the
/// date arithmetic nor hold a notice back for longer than anyone would wait for it.
fn window(ms: u64) -> Duration {
    Duration::milliseconds(ms.min(86_400_000) as i64)
}

/// The change from `settled` to `status` worth telling, given what was told before.
fn change_of(track: &Track, prefs: &NotifyPrefs, summing_up: bool) -> Option<Change> {
    let (from, to) = (track.settled, track.status);
    match (to, track.told) {
        // From anything but down, unknown included: a target down from the start should alert.
        // After a silence, every down never told is told.
        (Status::Unhealthy, told) if !matches!(told, Some(Told::Down { .. })) => {
            (prefs.on_down && (from != Status::Unhealthy || summing_up)).then_some(Change::Down)
        }
        (Status::Healthy | Status::Degraded, Some(Told::Down { since })) => {
            prefs.on_recovered.then_some(Change::Recovered {
                down_for: track.since - since,
                still: (to == Status::Degraded).then_some(track.class),
            })
        }
        (Status::Degraded, None) => (prefs.on_degraded && from == Status::Healthy && !summing_up)
            .then_some(Change::Degraded),
        (Status::Healthy, Some(Told::Degraded { since })) => {
            (!summing_up).then_some(Change::Normal {
                degraded_for: track.since - since,
            })
        }
        _ => None,
    }
}

fn words_for(d: Duration) -> String {
    duration_words(d.num_milliseconds())
}

/// One notice for what a flush found: one target in full sentences, several as one line each.
fn render(items: &[Item], summing_up: bool, now: DateTime<Utc>, tz: FixedOffset) -> Option<Notice> {
    let urgency = items.iter().map(|i| i.change.urgency()).max()?;
    let targets = items.iter().map(|i| i.id.clone()).collect();
    let downs: Vec<&str> = items
        .iter()
        .filter(|i| i.change == Change::Down)
        .map(|i| i.name.as_str())
        .collect();
    let (summary, body) = if summing_up && !downs.is_empty() {
        let lines: Vec<String> = items.iter().map(|i| line(i, Some((now, tz)))).collect();
        (
            format!("Still down: {}", name_list(&downs)),
            lines.join("\n"),
        )
    } else if let [item] = items {
        sentence(item, now, tz)
    } else {
        let lines: Vec<String> = items.iter().map(|i| line(i, None)).collect();
        (counts(items), lines.join("\n"))
    };
    Some(Notice {
        summary,
        body,
        urgency,
        targets,
    })
}

/// "Ollama is down" / "Not running or unreachable (since 14:02)".
fn sentence(item: &Item, now: DateTime<Utc>, tz: FixedOffset) -> (String, String) {
    let (name, words) = (&item.name, item.class.plain_words());
    match item.change {
        Change::Down => (
            format!("{name} is down"),
            format!(
                "{} (since {})",
                capitalized(words),
                clock_words(item.since, now, tz)
            ),
        ),
        Change::Recovered { down_for, still } => {
            let mut body = format!("Was down for {}", words_for(down_for));
            if let Some(class) = still {
                body.push_str(&format!("; still degraded: {}", class.plain_words()));
            }
            (format!("{name} recovered"), body)
        }
        Change::Degraded => (format!("{name} is degraded"), capitalized(words)),
        Change::Normal { degraded_for } => (
            format!("{name} is back to normal"),
            format!("Was degraded for {}", words_for(degraded_for)),
        ),
    }
}

/// "Ollama: down — not running or unreachable"; with `since`, when the down began.
fn line(item: &Item, since: Option<(DateTime<Utc>, FixedOffset)>) -> String {
    let (name, words) = (&item.name, item.class.plain_words());
    match item.change {
        Change::Down => match since {
            Some((now, tz)) => format!(
                "{name}: down since {} — {words}",
                clock_words(item.since, now, tz)
            ),
            None => format!("{name}: down — {words}"),
        },
        Change::Recovered { down_for, still } => {
            let mut line = format!("{name}: recovered after {}", words_for(down_for));
            if let Some(class) = still {
                line.push_str(&format!(", still degraded — {}", class.plain_words()));
            }
            line
        }
        Change::Degraded => format!("{name}: degraded — {words}"),
        Change::Normal { degraded_for } => {
            format!("{name}: back to normal after {}", words_for(degraded_for))
        }
    }
}

/// "2 down, 1 recovered".
fn counts(items: &[Item]) -> String {
    let count = |f: fn(&Change) -> bool| items.iter().filter(|i| f(&i.change)).count();
    [
        (count(|c| matches!(c, Change::Down)), "down"),
        (
            count(|c| matches!(c, Change::Recovered { .. })),
            "recovered",
        ),
        (count(|c| matches!(c, Change::Degraded)), "degraded"),
        (
            count(|c| matches!(c, Change::Normal { .. })),
            "back to normal",
        ),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect::<Vec<_>>()
    .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor::config::Config;
    use Class::*;
    use Status::*;

    const T0: &str = "2024-03-05T14:00:00Z";

    fn at(s: i64) -> DateTime<Utc> {
        T0.parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
    }

    fn secs(t: DateTime<Utc>) -> i64 {
        (t - at(0)).num_seconds()
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    /// A transition of the target named `name` (its id is the name in lower case), observed at
    /// the moment it happened.
    fn tr(name: &str, from: Status, to: Status, class: Class, s: i64) -> (i64, Event) {
        let t = Transition {
            target: id(name),
            at: at(s),
            from,
            to,
            class,
            reason: String::new(),
        };
        (s, Event::Transition(t))
    }

    fn id(name: &str) -> String {
        name.to_lowercase().replace(' ', "-")
    }

    fn local(names: &[&str]) -> Vec<TargetMeta> {
        names.iter().map(|n| meta(n, false)).collect()
    }

    fn meta(name: &str, cloud: bool) -> TargetMeta {
        TargetMeta {
            id: id(name),
            name: name.into(),
            cloud,
        }
    }

    fn policy(targets: Vec<TargetMeta>) -> Policy {
        Policy::new(NotifyPrefs::default(), targets)
    }

    /// Runs events like the app does: each at its time, with a flush whenever `next_flush_at`
    /// has come, and flushes on until `end`. Returns each notice with the second it was sent.
    fn play(
        p: &mut Policy,
        events: &[(i64, Event)],
        end: i64,
        tz: FixedOffset,
    ) -> Vec<(i64, Notice)> {
        let mut out = Vec::new();
        let mut clock = at(-3600);
        let mut flush_until = |p: &mut Policy, until: DateTime<Utc>, out: &mut Vec<_>| {
            for _ in 0..1000 {
                match p.next_flush_at() {
                    Some(due) if due <= until => {
                        clock = clock.max(due);
                        out.extend(p.flush(clock, tz).into_iter().map(|n| (secs(clock), n)));
                    }
                    _ => return,
                }
            }
            panic!("next_flush_at does not move on");
        };
        for (s, event) in events {
            flush_until(p, at(*s), &mut out);
            p.observe(event, at(*s));
        }
        flush_until(p, at(end), &mut out);
        out
    }

    fn summaries(notices: &[(i64, Notice)]) -> Vec<(i64, &str)> {
        notices
            .iter()
            .map(|(s, n)| (*s, n.summary.as_str()))
            .collect()
    }

    #[test]
    fn a_down_target_is_told_with_its_cause() {
        let mut p = policy(local(&["Ollama"]));
        let out = play(
            &mut p,
            &[tr("Ollama", Healthy, Unhealthy, Connect, 120)],
            600,
            utc(),
        );
        assert_eq!(
            out,
            [(
                123,
                Notice {
                    summary: "Ollama is down".into(),
                    body: "Not running or unreachable (since 14:02)".into(),
                    urgency: Urgency::Critical,
                    targets: vec!["ollama".into()],
                }
            )]
        );
        assert_eq!(p.next_flush_at(), None);
    }

    #[test]
    fn a_told_down_is_followed_by_its_recovery() {
        let mut p = policy(local(&["Ollama"]));
        let events = [
            tr("Ollama", Healthy, Unhealthy, Connect, 120),
            tr("Ollama", Unhealthy, Healthy, Ok, 360),
        ];
        let out = play(&mut p, &events, 600, utc());
        let (s, recovered) = &out[1];
        assert_eq!(*s, 363);
        assert_eq!(recovered.summary, "Ollama recovered");
        assert_eq!(recovered.body, "Was down for 4 min");
        assert_eq!(recovered.urgency, Urgency::Normal);
    }

    #[test]
    fn no_recovery_without_a_told_down() {
        // Start-up, and a policy that joins while the target is already down.
        let mut p = policy(local(&["Ollama", "OpenAI"]));
        let events = [
            tr("Ollama", Unknown, Healthy, Ok, 0),
            tr("OpenAI", Unhealthy, Healthy, Ok, 10),
        ];
        assert_eq!(play(&mut p, &events, 600, utc()), []);

        // A down that was not told (turned off) has no recovery either.
        let prefs = NotifyPrefs {
            on_down: false,
            ..NotifyPrefs::default()
        };
        let mut p = Policy::new(prefs, local(&["Ollama"]));
        let events = [
            tr("Ollama", Healthy, Unhealthy, Connect, 0),
            tr("Ollama", Unhealthy, Healthy, Ok, 60),
        ];
        assert_eq!(play(&mut p, &events, 600, utc()), []);
    }

    #[test]
    fn recovering_into_degraded_says_so() {
        let mut p = policy(local(&["Ollama"]));
        let events = [
            tr("Ollama", Healthy, Unhealthy, Timeout, 0),
            tr("Ollama", Unhealthy, Degraded, Slow, 240),
            // Degraded was not asked for, so its end is not told.
            tr("Ollama", Degraded, Healthy, Ok, 400),
        ];
        let out = play(&mut p, &events, 600, utc());
        assert_eq!(
            summaries(&out),
            [(3, "Ollama is down"), (243, "Ollama recovered")]
        );
        assert_eq!(
            out[1].1.body,
            "Was down for 4 min; still degraded: responding slowly"
        );
    }

    #[test]
    fn degraded_is_told_only_when_asked_for() {
        let events = [
            tr("OpenAI", Healthy, Degraded, RateLimited, 0),
            tr("OpenAI", Degraded, Healthy, Ok, 120),
        ];
        let mut p = policy(local(&["OpenAI"]));
        assert_eq!(play(&mut p, &events, 600, utc()), []);

        let prefs = NotifyPrefs {
            on_degraded: true,
            ..NotifyPrefs::default()
        };
        let mut p = Policy::new(prefs.clone(), local(&["OpenAI"]));
        let out = play(&mut p, &events, 600, utc());
        let told: Vec<_> = out
            .iter()
            .map(|(s, n)| (*s, n.summary.as_str(), n.body.as_str(), n.urgency))
            .collect();
        assert_eq!(
            told,
            [
                (3, "OpenAI is degraded", "Rate limited", Urgency::Low),
                (
                    123,
                    "OpenAI is back to normal",
                    "Was degraded for 2 min",
                    Urgency::Low
                ),
            ]
        );

        // Degraded from start-up was never told, so neither is its end.
        let mut p = Policy::new(prefs, local(&["OpenAI"]));
        let events = [
            tr("OpenAI", Unknown, Degraded, Slow, 0),
            tr("OpenAI", Degraded, Healthy, Ok, 120),
        ];
        assert_eq!(play(&mut p, &events, 600, utc()), []);
    }

    #[test]
    fn unknown_is_never_told_but_down_from_the_start_is() {
        let mut p = policy(local(&["Ollama", "OpenAI"]));
        let events = [
            tr("Ollama", Unknown, Healthy, Ok, 0),
            tr("Ollama", Healthy, Unhealthy, Connect, 60),
            // Monitoring stopped, then started again: no "recovered" for the stretch in between.
            tr("Ollama", Unhealthy, Unknown, Ok, 120),
            tr("Ollama", Unknown, Healthy, Ok, 180),
            tr("Ollama", Healthy, Unknown, Ok, 240),
            // Down from the start counts; stopped and started again within one window does not
            // make a "recovered".
            tr("Ollama", Unknown, Unhealthy, Connect, 250),
            tr("Ollama", Unhealthy, Unknown, Ok, 400),
            tr("Ollama", Unknown, Healthy, Ok, 401),
            tr("OpenAI", Unknown, Unhealthy, Auth, 500),
        ];
        let out = play(&mut p, &events, 600, utc());
        assert_eq!(
            summaries(&out),
            [
                (63, "Ollama is down"),
                (253, "Ollama is down"),
                (503, "OpenAI is down")
            ]
        );
        assert_eq!(out[2].1.body, "API key rejected (since 14:08)");
    }

    #[test]
    fn changes_within_the_window_are_one_notice() {
        let mut p = policy(local(&["Ollama", "OpenAI", "LM Studio"]));
        let events = [
            tr("OpenAI", Healthy, Unhealthy, ServerError, 0),
            tr("Ollama", Healthy, Unhealthy, Connect, 240),
            tr("LM Studio", Healthy, Unhealthy, Timeout, 241),
            tr("OpenAI", Unhealthy, Healthy, Ok, 242),
            // After the window: a notice of its own.
            tr("OpenAI", Healthy, Unhealthy, Quota, 250),
        ];
        let out = play(&mut p, &events, 600, utc());
        assert_eq!(
            summaries(&out),
            [
                (3, "OpenAI is down"),
                (243, "2 down, 1 recovered"),
                (253, "OpenAI is down")
            ]
        );
        let grouped = &out[1].1;
        assert_eq!(
            grouped.body,
            "Ollama: down — not running or unreachable\n\
             OpenAI: recovered after 4 min\n\
             LM Studio: down — timing out"
        );
        assert_eq!(grouped.urgency, Urgency::Critical);
        assert_eq!(grouped.targets, ["ollama", "openai", "lm-studio"]);
        assert_eq!(out[2].1.body, "Quota exhausted (since 14:04)");
    }

    #[test]
    fn a_flap_within_the_window_says_nothing() {
        let mut p = policy(local(&["Ollama"]));
        let events = [
            tr("Ollama", Healthy, Unhealthy, Connect, 0),
            tr("Ollama", Unhealthy, Healthy, Ok, 2),
        ];
        assert_eq!(play(&mut p, &events, 600, utc()), []);
    }

    fn cloud_four_and_ollama() -> Vec<TargetMeta> {
        let mut targets: Vec<_> = ["OpenAI", "Anthropic", "Groq", "Gemini"]
            .iter()
            .map(|n| meta(n, true))
            .collect();
        targets.push(meta("Ollama", false));
        targets
    }

    /// The engine's first checks of the targets of `cloud_four_and_ollama`, all fine, long before.
    fn started() -> Vec<(i64, Event)> {
        cloud_four_and_ollama()
            .iter()
            .map(|t| tr(&t.name, Unknown, Healthy, Ok, -600))
            .collect()
    }

    fn all_cloud_down() -> Vec<(i64, Event)> {
        let mut events = started();
        events.extend([
            tr("OpenAI", Healthy, Unhealthy, Connect, 0),
            tr("Anthropic", Healthy, Unhealthy, Timeout, 5),
            tr("Groq", Healthy, Unhealthy, Connect, 9),
            tr("Gemini", Healthy, Unhealthy, Tls, 12),
        ]);
        events
    }

    #[test]
    fn every_cloud_target_unreachable_is_one_offline_notice() {
        let mut p = policy(cloud_four_and_ollama());
        let mut events = all_cloud_down();
        events.push(tr("Ollama", Healthy, Unhealthy, Connect, 12));
        // Coming back one by one: one "back online" once they had time to.
        for (i, name) in ["OpenAI", "Anthropic", "Groq", "Gemini"].iter().enumerate() {
            events.push(tr(name, Unhealthy, Healthy, Ok, 300 + 5 * i as i64));
        }
        let out = play(&mut p, &events, 900, utc());
        assert_eq!(
            summaries(&out),
            [
                (15, "You appear to be offline"),
                (15, "Ollama is down"),
                (333, "Back online")
            ]
        );
        assert_eq!(
            out[0].1.body,
            "All 4 cloud endpoints are unreachable: OpenAI, Anthropic, Groq, Gemini"
        );
        assert_eq!(out[2].1.body, "Cloud endpoints reachable again after 5 min");
        assert_eq!(out[2].1.urgency, Urgency::Normal);
    }

    #[test]
    fn while_offline_cloud_changes_are_not_told_one_by_one() {
        let mut p = policy(cloud_four_and_ollama());
        let mut events = all_cloud_down();
        events.extend([
            // A blip, then down again: neither is told, and it is not yet "back online".
            tr("Groq", Unhealthy, Healthy, Ok, 100),
            tr("Groq", Healthy, Unhealthy, Connect, 110),
            tr("OpenAI", Unhealthy, Healthy, Ok, 300),
            tr("Anthropic", Unhealthy, Healthy, Ok, 301),
            tr("Groq", Unhealthy, Healthy, Ok, 302),
            tr("Gemini", Unhealthy, Healthy, Ok, 303),
        ]);
        let out = play(&mut p, &events, 900, utc());
        assert_eq!(
            summaries(&out),
            [(15, "You appear to be offline"), (333, "Back online")]
        );

        // Groq's down was told in "still down", so its recovery is told too.
        let mut p = policy(cloud_four_and_ollama());
        let mut events = all_cloud_down();
        for name in ["OpenAI", "Anthropic", "Gemini"] {
            events.push(tr(name, Unhealthy, Healthy, Ok, 300));
        }
        events.push(tr("Groq", Unhealthy, Healthy, Ok, 600));
        let out = play(&mut p, &events, 900, utc());
        assert_eq!(
            summaries(&out),
            [
                (15, "You appear to be offline"),
                (333, "Back online"),
                (603, "Groq recovered")
            ]
        );
        assert_eq!(
            out[1].1.body,
            "Cloud endpoints reachable again after 5 min\nStill down: Groq"
        );
    }

    #[test]
    fn disabled_cloud_targets_do_not_block_offline_detection() {
        let mut targets = cloud_four_and_ollama();
        targets.push(meta("Mistral", true)); // disabled: the engine never reports it
        targets.push(meta("Azure", true)); // disabled while running: stopped at unknown
        let mut p = policy(targets);
        let mut events = vec![
            tr("Azure", Unknown, Healthy, Ok, -700),
            tr("Azure", Healthy, Unknown, Ok, -650),
        ];
        events.extend(all_cloud_down());
        let out = play(&mut p, &events, 900, utc());
        assert_eq!(summaries(&out), [(15, "You appear to be offline")]);
        assert_eq!(
            out[0].1.body,
            "All 4 cloud endpoints are unreachable: OpenAI, Anthropic, Groq, Gemini"
        );
    }

    #[test]
    fn some_cloud_targets_unreachable_are_told_after_the_hold() {
        let mut p = policy(cloud_four_and_ollama());
        let mut events = started();
        events.extend([
            tr("OpenAI", Healthy, Unhealthy, Connect, 0),
            tr("Groq", Healthy, Unhealthy, Timeout, 5),
        ]);
        let out = play(&mut p, &events, 900, utc());
        assert_eq!(summaries(&out), [(30, "2 down")]);
        assert_eq!(
            out[0].1.body,
            "OpenAI: down — not running or unreachable\nGroq: down — timing out"
        );

        // Other causes are not held: a rejected key is not the network.
        let mut p = policy(cloud_four_and_ollama());
        let out = play(
            &mut p,
            &[tr("OpenAI", Healthy, Unhealthy, Auth, 0)],
            900,
            utc(),
        );
        assert_eq!(summaries(&out), [(3, "OpenAI is down")]);

        // One cloud target alone proves nothing about the network.
        let mut p = policy(vec![meta("OpenAI", true)]);
        let out = play(
            &mut p,
            &[tr("OpenAI", Healthy, Unhealthy, Connect, 0)],
            900,
            utc(),
        );
        assert_eq!(summaries(&out), [(30, "OpenAI is down")]);
    }

    #[test]
    fn muted_targets_are_never_mentioned_but_count_for_offline() {
        let prefs = NotifyPrefs {
            muted: ["ollama".to_string(), "groq".to_string()].into(),
            ..NotifyPrefs::default()
        };
        let mut p = Policy::new(prefs.clone(), cloud_four_and_ollama());
        let events = [
            tr("Ollama", Healthy, Unhealthy, Connect, 0),
            tr("Ollama", Unhealthy, Healthy, Ok, 60),
            tr("Groq", Healthy, Unhealthy, Auth, 100),
        ];
        assert_eq!(play(&mut p, &events, 900, utc()), []);

        let mut p = Policy::new(prefs, cloud_four_and_ollama());
        let out = play(&mut p, &all_cloud_down(), 900, utc());
        assert_eq!(summaries(&out), [(15, "You appear to be offline")]);
    }

    #[test]
    fn quiet_hours_end_with_one_summary_of_what_is_still_down() {
        let prefs = NotifyPrefs {
            quiet_hours: Some(QuietHours {
                start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
            }),
            ..NotifyPrefs::default()
        };
        let cet = FixedOffset::east_opt(3600).unwrap();
        let h = 3600;
        let mut p = Policy::new(prefs, local(&["Ollama", "OpenAI", "Groq"]));
        // 14:00 UTC is 15:00 local: quiet from +7 h to +16 h.
        let events = [
            tr("Ollama", Healthy, Unhealthy, Connect, 7 * h + 1800),
            tr("OpenAI", Healthy, Unhealthy, Quota, 8 * h),
            tr("Groq", Healthy, Unhealthy, Timeout, 9 * h),
            tr("Groq", Unhealthy, Healthy, Ok, 9 * h + 600),
            // After the summary, as usual: the recovery of a down the summary told.
            tr("Ollama", Unhealthy, Healthy, Ok, 17 * h),
        ];
        let out = play(&mut p, &events, 20 * h, cet);
        assert_eq!(
            summaries(&out),
            [
                (16 * h, "Still down: Ollama, OpenAI"),
                (17 * h + 3, "Ollama recovered")
            ]
        );
        assert_eq!(
            out[0].1.body,
            "Ollama: down since Tue 22:30 — not running or unreachable\n\
             OpenAI: down since Tue 23:00 — quota exhausted"
        );
        assert_eq!(out[1].1.body, "Was down for 9 h 30 min");
    }

    #[test]
    fn a_pause_ends_with_a_summary_and_resuming_early_brings_it_at_once() {
        let mut p = policy(local(&["Ollama", "OpenAI"]));
        p.pause_until(Some(at(3600)));
        assert_eq!(p.paused_until(at(0)), Some(at(3600)));
        let events = [tr("Ollama", Healthy, Unhealthy, Connect, 60)];
        let out = play(&mut p, &events, 7200, utc());
        assert_eq!(summaries(&out), [(3600, "Still down: Ollama")]);
        assert_eq!(p.paused_until(at(3600)), None);

        let mut p = policy(local(&["Ollama", "OpenAI"]));
        p.pause_until(Some(at(3600)));
        p.observe(&tr("Ollama", Healthy, Unhealthy, Connect, 60).1, at(60));
        p.observe(&tr("OpenAI", Healthy, Unhealthy, Connect, 61).1, at(61));
        assert_eq!(p.flush(at(63), utc()), []);
        assert_eq!(p.next_flush_at(), Some(at(3600)));
        p.pause_until(None);
        let due = p.next_flush_at().unwrap();
        assert!(due <= at(63), "{due}");
        let out = p.flush(at(600), utc());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].summary, "Still down: Ollama, OpenAI");
        assert_eq!(p.next_flush_at(), None);
    }

    #[test]
    fn each_target_has_an_hourly_cap() {
        let mut p = policy(local(&["Ollama", "OpenAI"]));
        let mut events = Vec::new();
        for i in 0..3 {
            events.push(tr("Ollama", Healthy, Unhealthy, Connect, 120 * i));
            events.push(tr("Ollama", Unhealthy, Healthy, Ok, 120 * i + 60));
        }
        // Ollama is over its cap: the grouped notice leaves it out.
        events.push(tr("Ollama", Healthy, Unhealthy, Connect, 400));
        events.push(tr("OpenAI", Healthy, Unhealthy, Connect, 401));
        // An hour after its first notice, Ollama may be told about again.
        events.push(tr("Ollama", Unhealthy, Healthy, Ok, 3000));
        events.push(tr("Ollama", Healthy, Unhealthy, Connect, 3700));
        let out = play(&mut p, &events, 4000, utc());
        assert_eq!(
            summaries(&out),
            [
                (3, "Ollama is down"),
                (63, "Ollama recovered"),
                (123, "Ollama is down"),
                (183, "Ollama recovered"),
                (403, "OpenAI is down"),
                (3703, "Ollama is down"),
            ]
        );
        assert_eq!(out[4].1.targets, ["openai"]);
    }

    #[test]
    fn nothing_is_told_about_a_sleep() {
        // A change buffered before the machine slept is stale at the wake.
        let mut p = policy(local(&["Ollama"]));
        p.observe(&tr("Ollama", Healthy, Unhealthy, Connect, 100).1, at(100));
        let slept = Event::Slept {
            from: at(101),
            to: at(400),
        };
        p.observe(&slept, at(405));
        assert_eq!(p.flush(at(405), utc()), []);
        assert_eq!(p.next_flush_at(), None);

        // Down and back within the sleep and its grace: nothing. After the grace: as usual.
        let mut p = policy(local(&["Ollama", "OpenAI"]));
        let events = [
            (405, slept),
            tr("OpenAI", Healthy, Unhealthy, Connect, 410),
            tr("OpenAI", Unhealthy, Healthy, Ok, 425),
            tr("Ollama", Healthy, Unhealthy, Connect, 500),
        ];
        let out = play(&mut p, &events, 900, utc());
        assert_eq!(summaries(&out), [(503, "Ollama is down")]);
    }

    #[test]
    fn turned_off_means_nothing_ever() {
        let prefs = NotifyPrefs {
            enabled: false,
            ..NotifyPrefs::default()
        };
        let mut p = Policy::new(prefs, cloud_four_and_ollama());
        let mut events = all_cloud_down();
        events.push(tr("Ollama", Healthy, Unhealthy, Connect, 20));
        assert_eq!(play(&mut p, &events, 900, utc()), []);
        assert_eq!(p.next_flush_at(), None);
        assert_eq!(p.flush(at(1000), utc()), []);
    }

    #[test]
    fn absurd_windows_do_not_overflow() {
        let prefs = NotifyPrefs {
            group_window_ms: u64::MAX,
            offline_window_ms: u64::MAX,
            ..NotifyPrefs::default()
        };
        let mut p = Policy::new(prefs, cloud_four_and_ollama());
        let out = play(&mut p, &all_cloud_down(), 2 * 86_400, utc());
        // Held a day at most (the start-up group, 10 minutes earlier, sets the time).
        assert_eq!(
            summaries(&out),
            [(86_400 - 600, "You appear to be offline")]
        );
    }

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let night = QuietHours {
            start: t(22, 0),
            end: t(7, 0),
        };
        assert!(night.contains(t(23, 0)) && night.contains(t(6, 59)) && night.contains(t(22, 0)));
        assert!(!night.contains(t(7, 0)) && !night.contains(t(12, 0)));
        let lunch = QuietHours {
            start: t(12, 0),
            end: t(13, 0),
        };
        assert!(lunch.contains(t(12, 30)) && !lunch.contains(t(13, 0)));
        let never = QuietHours {
            start: t(9, 0),
            end: t(9, 0),
        };
        assert!(!never.contains(t(9, 0)) && !never.contains(t(3, 0)));
    }

    #[test]
    fn prefs_read_with_defaults_for_what_is_missing() {
        let prefs: NotifyPrefs = serde_json::from_str("{}").unwrap();
        assert_eq!(prefs, NotifyPrefs::default());
        assert!(prefs.enabled && prefs.on_down && prefs.on_recovered && !prefs.on_degraded);
        assert_eq!(prefs.max_per_target_per_hour, 4);
        let prefs: NotifyPrefs = serde_json::from_str(
            r#"{"quiet_hours": {"start": "22:00", "end": "07:00"}, "muted": ["groq"]}"#,
        )
        .unwrap();
        let quiet = prefs.quiet_hours.unwrap();
        assert_eq!(quiet.start, NaiveTime::from_hms_opt(22, 0, 0).unwrap());
        assert!(prefs.muted.contains("groq"));
        let back: NotifyPrefs =
            serde_json::from_str(&serde_json::to_string(&prefs).unwrap()).unwrap();
        assert_eq!(back, prefs);
    }

    #[test]
    fn cloud_means_not_on_this_machine() {
        let config = Config::parse(
            "[[targets]]\nid = \"local\"\nkind = \"ollama\"\nbase_url = \"http://127.0.0.1:11434\"\n\
             [[targets]]\nid = \"openai\"\nkind = \"openai\"\n",
            "test",
        )
        .unwrap();
        let metas: Vec<TargetMeta> = config.targets.iter().map(TargetMeta::from).collect();
        assert_eq!(
            metas
                .iter()
                .map(|m| (m.id.as_str(), m.cloud))
                .collect::<Vec<_>>(),
            [("local", false), ("openai", true)]
        );
        for (url, loopback) in [
            ("http://localhost:1234/v1", true),
            ("http://LOCALHOST:1234", true),
            ("http://127.0.0.5:8080", true),
            ("http://[::1]:8080", true),
            ("http://192.168.1.20:11434", false),
            ("https://api.openai.com/v1", false),
        ] {
            let url = url::Url::parse(url).unwrap();
            assert_eq!(is_loopback_host(&url), loopback, "{url}");
        }
    }
}
