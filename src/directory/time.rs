//! The host's clock and a channel's opening hours.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A local date and time of day, supplied by the host: the clock is injected so that
/// channel choice is deterministic in tests.
///
/// ```
/// use troubletree::directory::LocalTime;
/// let t = LocalTime::new(2026, 11, 11, 20, 30).expect("a valid time");
/// assert_eq!(t.to_string(), "2026-11-11 20:30");
/// // From a Unix time and a UTC offset (China Standard Time is +8 h).
/// assert_eq!(LocalTime::from_unix(0, 8 * 60).to_string(), "1970-01-01 08:00");
/// ```
///
/// Read back with serde, the fields are checked as [`LocalTime::new`] checks them: a
/// ticket claiming `{"month": 13, "day": 40, "hour": 25}` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawTime")]
#[non_exhaustive]
pub struct LocalTime {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
}

/// The fields of a [`LocalTime`] as written, before they are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
}

impl TryFrom<RawTime> for LocalTime {
    type Error = String;

    fn try_from(t: RawTime) -> Result<Self, String> {
        LocalTime::new(t.year, t.month, t.day, t.hour, t.minute).ok_or_else(|| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} is not a valid local time",
                t.year, t.month, t.day, t.hour, t.minute
            )
        })
    }
}

impl LocalTime {
    /// A time, if the fields are in range.
    pub fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> Option<LocalTime> {
        let valid = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60;
        valid.then_some(LocalTime {
            year,
            month,
            day,
            hour,
            minute,
        })
    }

    /// Local time from seconds since the Unix epoch and the offset from UTC in minutes.
    pub fn from_unix(seconds: i64, utc_offset_minutes: i32) -> LocalTime {
        let local = seconds.saturating_add(i64::from(utc_offset_minutes) * 60);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        // Howard Hinnant's civil-from-days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        LocalTime {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
            hour: u8::try_from(secs / 3600).unwrap_or(0),
            minute: u8::try_from(secs % 3600 / 60).unwrap_or(0),
        }
    }

    /// Parses `YYYY-MM-DD HH:MM`.
    pub fn parse(text: &str) -> Option<LocalTime> {
        let (date, time) = text.trim().split_once([' ', 'T'])?;
        let mut d = date.splitn(3, '-');
        let year = d.next()?.parse().ok()?;
        let month = d.next()?.parse().ok()?;
        let day = d.next()?.parse().ok()?;
        let (hour, minute) = parse_clock(time)?;
        LocalTime::new(year, month, day, hour, minute)
    }

    pub(super) fn minute_of_day(self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }
}

pub(super) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

pub(super) fn parse_clock(text: &str) -> Option<(u8, u8)> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// Opening hours: from `open` to `close`, in minutes since midnight; a `close` before
/// `open` runs past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Hours {
    /// Opening time, minutes after midnight.
    pub open: u16,
    /// Closing time, minutes after midnight.
    pub close: u16,
}

impl Hours {
    pub(super) fn contains(self, minute: u16) -> bool {
        if self.open <= self.close {
            (self.open..self.close).contains(&minute)
        } else {
            minute >= self.open || minute < self.close
        }
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}–{:02}:{:02}",
            self.open / 60,
            self.open % 60,
            self.close / 60,
            self.close % 60
        )
    }
}
