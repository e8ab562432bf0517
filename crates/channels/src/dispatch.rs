//! The dispatcher: one task and one bounded queue per channel, so a slow, failing or hung
//! receiver delays only its own notices, and handing notices over never waits.

use crate::deliver::{http_client, Channel};
use crate::error::{DeliveryError, SetupError};
use crate::notice::{narrow, notices, Notice, Outgoing};
use crate::KeyringUrl;
use alerts::Alert;
use chrono::{DateTime, FixedOffset, Utc};
use monitor::config::AlertChannel;
use monitor::Kind;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How hard the dispatcher tries. The defaults suit real receivers; tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchOptions {
    /// Notices a channel holds while it is busy; beyond, the oldest is dropped (and logged).
    pub queue_capacity: usize,
    /// The waits between tries: a notice is tried once more than there are waits.
    pub backoff: Vec<Duration>,
    /// The longest `Retry-After` obeyed; a longer one is cut to this.
    pub max_retry_after: Duration,
    /// One HTTP request, from connecting to the answer's headers.
    pub http_timeout: Duration,
    /// One run of a command channel's program, after which it is killed.
    pub command_timeout: Duration,
    /// The whole of a "Send test notice" (one try, keyring read included).
    pub test_timeout: Duration,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            queue_capacity: 64,
            // 5 tries over about 15 s.
            backoff: [1, 2, 4, 8].map(Duration::from_secs).to_vec(),
            max_retry_after: Duration::from_secs(300),
            http_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(30),
            test_timeout: Duration::from_secs(10),
        }
    }
}

/// Sends notices to the configured channels. Built from the channel list; a new list is a new
/// dispatcher. Dropping it lets every channel finish what is queued (retries included) and
/// then its task ends; [`Dispatcher::shutdown`] bounds that wait.
pub struct Dispatcher {
    channels: Vec<Running>,
    options: DispatchOptions,
}

struct Running {
    channel: Arc<Channel>,
    /// `None` for a disabled channel, which only sends test notices.
    queue: Option<Arc<Queue>>,
    task: Option<JoinHandle<()>>,
}

impl Dispatcher {
    /// Starts a task per enabled channel on the current Tokio runtime. `keyring` reads the URL
    /// of a channel whose URL the app keeps in the OS keyring, by channel id; it may block (it
    /// is called on a blocking thread).
    pub fn new(channels: &[AlertChannel], keyring: KeyringUrl) -> Result<Dispatcher, SetupError> {
        Dispatcher::with_options(channels, keyring, DispatchOptions::default())
    }

    pub fn with_options(
        channels: &[AlertChannel],
        keyring: KeyringUrl,
        options: DispatchOptions,
    ) -> Result<Dispatcher, SetupError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SetupError::NoRuntime)?;
        let http = http_client().map_err(|e| SetupError::Client(e.without_url().to_string()))?;
        let channels = channels
            .iter()
            .map(|config| {
                let channel = Arc::new(Channel::new(
                    config.clone(),
                    Arc::clone(&keyring),
                    http.clone(),
                ));
                if !config.enabled {
                    return Running {
                        channel,
                        queue: None,
                        task: None,
                    };
                }
                let queue = Arc::new(Queue::new(options.queue_capacity.max(1)));
                let task = runtime.spawn(work(
                    Arc::clone(&channel),
                    Arc::clone(&queue),
                    options.clone(),
                ));
                Running {
                    channel,
                    queue: Some(queue),
                    task: Some(task),
                }
            })
            .collect();
        Ok(Dispatcher { channels, options })
    }

    /// Whether no channel is enabled, so nothing would ever be sent.
    pub fn is_idle(&self) -> bool {
        self.channels.iter().all(|c| c.queue.is_none())
    }

    /// Queues the notices of `alert` for every enabled channel, each cut to the channel's
    /// targets (so a grouped alert says only what the channel is about) and filtered by its
    /// events. Never waits.
    pub fn send_alert(
        &self,
        alert: &Alert,
        kind_of: &dyn Fn(&str) -> Option<Kind>,
        now: DateTime<Utc>,
        tz: FixedOffset,
    ) {
        let mut whole: Option<Vec<Outgoing>> = None;
        for running in &self.channels {
            let Some(queue) = &running.queue else {
                continue;
            };
            let config = &running.channel.config;
            let outgoing = match &config.targets {
                None => whole
                    .get_or_insert_with(|| notices(alert, kind_of, now, tz))
                    .clone(),
                Some(targets) => match narrow(alert, targets) {
                    Some(part) => notices(&part, kind_of, now, tz),
                    None => continue,
                },
            };
            for o in outgoing.into_iter().filter(|o| o.wanted_by(&config.events)) {
                push(&running.channel, queue, o.notice);
            }
        }
    }

    /// Queues notices already made for every enabled channel whose events they match and whose
    /// targets they concern (any of theirs; a notice about no target concerns every channel).
    /// Never waits.
    pub fn send(&self, outgoing: &[Outgoing]) {
        for running in &self.channels {
            let Some(queue) = &running.queue else {
                continue;
            };
            let config = &running.channel.config;
            for o in outgoing {
                let about = &o.notice.targets;
                let concerns =
                    about.is_empty() || about.iter().any(|t| config.covers_target(&t.id));
                if concerns && o.wanted_by(&config.events) {
                    push(&running.channel, queue, o.notice.clone());
                }
            }
        }
    }

    /// Sends one `test` notice to the channel now, enabled or not: one try, within
    /// `test_timeout`, past the queue and the filters. For a "Send test notice" button; the
    /// error's text holds neither URL nor token.
    pub async fn test(&self, channel_id: &str) -> Result<(), DeliveryError> {
        let running = self
            .channels
            .iter()
            .find(|c| c.channel.config.id == channel_id)
            .ok_or_else(|| DeliveryError::UnknownChannel(channel_id.to_string()))?;
        let channel = &running.channel;
        let notice = Notice::test(&channel.config.name, Utc::now());
        let limit = self.options.test_timeout;
        let sent = tokio::time::timeout(limit, channel.deliver(&notice, limit, limit)).await;
        let outcome = match sent {
            Ok(outcome) => outcome,
            Err(_) => Err(DeliveryError::Timeout(limit)),
        };
        match &outcome {
            Ok(()) => tracing::info!(
                channel = %channel.config.id,
                kind = channel.kind(),
                "test notice delivered"
            ),
            Err(e) => tracing::warn!(
                channel = %channel.config.id,
                kind = channel.kind(),
                error = %e,
                "test notice failed"
            ),
        }
        outcome
    }

    /// Stops taking notices and waits up to `grace` for the channels to deliver what they hold;
    /// then whatever is still trying is stopped.
    pub async fn shutdown(mut self, grace: Duration) {
        let tasks: Vec<JoinHandle<()>> = self
            .channels
            .iter_mut()
            .filter_map(|c| {
                if let Some(queue) = &c.queue {
                    queue.close();
                }
                c.task.take()
            })
            .collect();
        let deadline = tokio::time::Instant::now() + grace;
        for mut task in tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        // Each task delivers what is queued, then ends: nothing is lost by a config change.
        for c in &self.channels {
            if let Some(queue) = &c.queue {
                queue.close();
            }
        }
    }
}

fn push(channel: &Channel, queue: &Queue, notice: Notice) {
    if let Some(dropped) = queue.push(notice) {
        tracing::warn!(
            channel = %channel.config.id,
            kind = channel.kind(),
            dropped = dropped.event.as_str(),
            capacity = queue.capacity,
            "alert channel queue full: dropped its oldest notice"
        );
    }
}

/// A channel's task: deliver each notice in order, retrying with backoff.
async fn work(channel: Arc<Channel>, queue: Arc<Queue>, options: DispatchOptions) {
    while let Some(notice) = queue.pop().await {
        deliver_with_retries(&channel, &notice, &options).await;
    }
}

async fn deliver_with_retries(channel: &Channel, notice: &Notice, options: &DispatchOptions) {
    let (id, kind, event) = (
        channel.config.id.as_str(),
        channel.kind(),
        notice.event.as_str(),
    );
    let tries = options.backoff.len() + 1;
    for attempt in 1..=tries {
        let outcome = channel
            .deliver(notice, options.http_timeout, options.command_timeout)
            .await;
        let error = match outcome {
            Ok(()) => {
                tracing::debug!(channel = id, kind, event, attempt, "notice delivered");
                return;
            }
            Err(e) => e,
        };
        let wait = options.backoff.get(attempt - 1).copied();
        match wait {
            Some(backoff) if error.is_retryable() => {
                let wait = error
                    .retry_after()
                    .map_or(backoff, |asked| asked.min(options.max_retry_after));
                tracing::warn!(
                    channel = id,
                    kind,
                    event,
                    attempt,
                    retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %error,
                    "notice delivery failed; will retry"
                );
                tokio::time::sleep(wait).await;
            }
            _ => {
                tracing::error!(
                    channel = id,
                    kind,
                    event,
                    attempt,
                    error = %error,
                    "notice delivery failed; giving up"
                );
                return;
            }
        }
    }
}

/// A bounded queue that drops its oldest item when full, for one consumer.
struct Queue {
    inner: Mutex<QueueInner>,
    ready: Notify,
    capacity: usize,
}

struct QueueInner {
    items: VecDeque<Notice>,
    closed: bool,
}

impl Queue {
    fn new(capacity: usize) -> Queue {
        Queue {
            inner: Mutex::new(QueueInner {
                items: VecDeque::new(),
                closed: false,
            }),
            ready: Notify::new(),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a notice; returns the one dropped to make room, if any.
    fn push(&self, notice: Notice) -> Option<Notice> {
        let dropped = {
            let mut inner = self.lock();
            if inner.closed {
                return None;
            }
            let dropped = if inner.items.len() >= self.capacity {
                inner.items.pop_front()
            } else {
                None
            };
            inner.items.push_back(notice);
            dropped
        };
        self.ready.notify_one();
        dropped
    }

    /// The next notice; `None` once closed and empty.
    async fn pop(&self) -> Option<Notice> {
        loop {
            {
                let mut inner = self.lock();
                if let Some(notice) = inner.items.pop_front() {
                    return Some(notice);
                }
                if inner.closed {
                    return None;
                }
            }
            // A push between the unlock and here leaves a permit, so this does not miss it.
            self.ready.notified().await;
        }
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(title: &str) -> Notice {
        let mut n = Notice::test("x", Utc::now());
        n.title = title.into();
        n
    }

    /// The core's owner task keeps it, and a command's task borrows it.
    #[test]
    fn a_dispatcher_can_be_shared_across_tasks() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<Dispatcher>();
    }

    #[tokio::test]
    async fn a_full_queue_drops_its_oldest() {
        let q = Queue::new(2);
        assert!(q.push(notice("1")).is_none());
        assert!(q.push(notice("2")).is_none());
        assert_eq!(q.push(notice("3")).map(|n| n.title), Some("1".into()));
        q.close();
        assert!(q.push(notice("4")).is_none(), "closed: not taken");
        assert_eq!(q.pop().await.map(|n| n.title), Some("2".into()));
        assert_eq!(q.pop().await.map(|n| n.title), Some("3".into()));
        assert_eq!(q.pop().await, None);
    }

    #[tokio::test]
    async fn a_waiting_consumer_wakes_on_push() {
        let q = Arc::new(Queue::new(4));
        let consumer = tokio::spawn({
            let q = Arc::clone(&q);
            async move { q.pop().await.map(|n| n.title) }
        });
        tokio::task::yield_now().await;
        q.push(notice("a"));
        assert_eq!(consumer.await.unwrap(), Some("a".into()));
    }
}
