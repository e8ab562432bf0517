//! The time retention and roll-ups go by.
//!
//! Both delete or hide by the wall clock, and the wall clock jumps: NTP fixing a bad RTC, a
//! manual change, a year ahead and back. Believed at once, a jump a year ahead deletes a year of
//! history in one maintenance run. So maintenance goes by a *trusted* now: monotonic time plus
//! the smallest wall-minus-monotonic offset seen over the last [`TRUST_AFTER`] of monotonic time.
//!
//! - The clock going back is believed at once (the minimum drops): retention then deletes less.
//! - The clock going ahead is believed once it has stayed ahead for `TRUST_AFTER`. A jump that is
//!   undone within that time never reaches retention. A real one — the machine slept (monotonic
//!   time stops in suspend), or was off — is caught up a little later, which only keeps history
//!   a little longer than asked.
//! - Across restarts it starts from the trusted time the last maintenance stored
//!   ([`Store::trusted_seed`]), so a clock that is wrong when the monitor starts is not believed
//!   either.
//!
//! The trusted time is never later than the wall clock.

use chrono::{DateTime, Utc};
use monitor::engine::WallClock;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long the wall clock must stay ahead before maintenance believes it.
pub const TRUST_AFTER: Duration = Duration::from_secs(24 * 3600);

/// See the module documentation. Call [`TrustedClock::now`] inside a Tokio runtime.
pub struct TrustedClock {
    wall: Arc<dyn WallClock>,
    base: Instant,
    trust_after: Duration,
    /// (monotonic ms since `base`, wall − monotonic ms), offsets strictly increasing: a
    /// sliding-window minimum, whose front is the smallest offset of the window, with the time
    /// each offset was first seen.
    offsets: VecDeque<(i64, i64)>,
}

impl std::fmt::Debug for TrustedClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedClock")
            .field("offsets", &self.offsets)
            .finish_non_exhaustive()
    }
}

impl TrustedClock {
    /// `seed`: the trusted time of the last maintenance, if any (see [`Store::trusted_seed`]).
    pub fn new(wall: Arc<dyn WallClock>, seed: Option<DateTime<Utc>>) -> TrustedClock {
        TrustedClock::with_trust_after(wall, seed, TRUST_AFTER)
    }

    pub fn with_trust_after(
        wall: Arc<dyn WallClock>,
        seed: Option<DateTime<Utc>>,
        trust_after: Duration,
    ) -> TrustedClock {
        let mut clock = TrustedClock {
            wall,
            base: Instant::now(),
            trust_after,
            offsets: VecDeque::new(),
        };
        if let Some(seed) = seed {
            // As if the clock had said `seed` just now; a wall clock behind it wins in `now`.
            clock.offsets.push_back((0, seed.timestamp_millis()));
        }
        clock
    }

    /// The wall clock as far as it can be trusted; never later than the wall clock.
    pub fn now(&mut self) -> DateTime<Utc> {
        let wall = self.wall.now();
        let mono = i64::try_from(self.base.elapsed().as_millis()).unwrap_or(i64::MAX);
        let offset = wall.timestamp_millis().saturating_sub(mono);
        while self.offsets.back().is_some_and(|&(_, o)| o > offset) {
            self.offsets.pop_back();
        }
        // An equal offset keeps its first time: that is how long it has held.
        if self.offsets.back().is_none_or(|&(_, o)| o < offset) {
            self.offsets.push_back((mono, offset));
        }
        // The front leaves once the next sample was already in force when the window began.
        let window_start =
            mono.saturating_sub(i64::try_from(self.trust_after.as_millis()).unwrap_or(i64::MAX));
        while self.offsets.len() > 1 && self.offsets[1].0 <= window_start {
            self.offsets.pop_front();
        }
        let min = self.offsets.front().map_or(offset, |&(_, o)| o);
        DateTime::from_timestamp_millis(mono.saturating_add(min))
            .unwrap_or(wall)
            .min(wall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    /// Wall time = a start + paused Tokio time + a settable jump.
    struct Wall {
        start: i64,
        at: Instant,
        jump: AtomicI64,
    }
    impl WallClock for Wall {
        fn now(&self) -> DateTime<Utc> {
            let ms = self.start
                + self.at.elapsed().as_millis() as i64
                + self.jump.load(Ordering::SeqCst);
            DateTime::from_timestamp_millis(ms).unwrap()
        }
    }

    const T: i64 = 1_709_251_200_000;
    const YEAR: i64 = 365 * 24 * 3_600_000;

    fn wall() -> Arc<Wall> {
        Arc::new(Wall {
            start: T,
            at: Instant::now(),
            jump: AtomicI64::new(0),
        })
    }

    fn ms(t: DateTime<Utc>) -> i64 {
        t.timestamp_millis()
    }

    #[tokio::test(start_paused = true)]
    async fn a_jump_ahead_undone_within_the_window_is_never_believed() {
        let w = wall();
        let mut c = TrustedClock::new(w.clone(), None);
        assert_eq!(ms(c.now()), T);
        tokio::time::advance(Duration::from_secs(60)).await;
        w.jump.store(YEAR, Ordering::SeqCst);
        for _ in 0..120 {
            tokio::time::advance(Duration::from_secs(60)).await;
            let now = ms(c.now());
            assert!(now <= T + 3 * 3_600_000, "believed the jump: {now}");
        }
        w.jump.store(0, Ordering::SeqCst);
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(ms(c.now()), ms(w.now()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_jump_that_stays_is_believed_after_the_window_and_back_at_once() {
        let w = wall();
        let mut c = TrustedClock::new(w.clone(), None);
        c.now();
        w.jump.store(8 * 3_600_000, Ordering::SeqCst); // slept overnight
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(ms(c.now()) < ms(w.now()) - 7 * 3_600_000);
        for _ in 0..(24 * 60 + 1) {
            tokio::time::advance(Duration::from_secs(60)).await;
            c.now();
        }
        assert_eq!(ms(c.now()), ms(w.now()), "a lasting jump is caught up");
        w.jump.store(-YEAR, Ordering::SeqCst);
        assert_eq!(ms(c.now()), ms(w.now()), "going back is believed at once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_restart_with_a_clock_far_ahead_starts_from_the_stored_time() {
        let w = wall();
        w.jump.store(YEAR, Ordering::SeqCst);
        let seed = DateTime::from_timestamp_millis(T).unwrap();
        let mut c = TrustedClock::new(w.clone(), Some(seed));
        assert_eq!(ms(c.now()), T);
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(ms(c.now()), T + 3_600_000);
    }
}
