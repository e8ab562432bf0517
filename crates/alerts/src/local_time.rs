//! Local wall-clock time with a fixed offset, which is all quiet hours need and all the callers
//! know (the app reads the current offset; a headless `serve` is told one).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};

/// The moment a local wall-clock time names. A fixed offset has no gaps or repeats, so there is
/// always exactly one.
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, tz: FixedOffset) -> DateTime<Utc> {
    date.and_time(time).and_utc() - Duration::seconds(i64::from(tz.local_minus_utc()))
}

/// The morning a person means by "until tomorrow".
const MORNING: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => panic!("08:00 is a valid time"),
};

/// The next local 08:00 at least an hour away: tomorrow morning in the day and evening, this
/// morning when "tomorrow" is said after midnight, and never a pause that ends almost at once.
pub fn pause_until_tomorrow(now: DateTime<Utc>, tz: FixedOffset) -> DateTime<Utc> {
    let morning = local_to_utc(now.with_timezone(&tz).date_naive(), MORNING, tz);
    if morning - now >= Duration::hours(1) {
        morning
    } else {
        morning + Duration::days(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_east_and_west_of_utc() {
        let date = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        let seven = NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let cet = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(local_to_utc(date, seven, cet), at("2024-03-05T06:00:00Z"));
        let pst = FixedOffset::west_opt(8 * 3600).unwrap();
        assert_eq!(local_to_utc(date, seven, pst), at("2024-03-05T15:00:00Z"));
        // Before midnight UTC in the east: the day before.
        let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
        assert_eq!(local_to_utc(date, seven, tokyo), at("2024-03-04T22:00:00Z"));
    }
}
