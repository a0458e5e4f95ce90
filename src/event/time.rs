//! [`Timestamp`]: an instant in UTC, written as RFC 3339.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An instant, in milliseconds since the Unix epoch (UTC), written as RFC 3339:
/// `2026-05-06T02:01:01Z`, with `.123` milliseconds when they are not zero.
///
/// Reading accepts any RFC 3339 date-time from year 0 to 9999: `T`, `t` or a space
/// between date and time, any number of fraction digits (kept to the millisecond,
/// truncated), `Z`, `z` or an offset such as `+08:00`.
///
/// ```
/// use troubletree::event::Timestamp;
/// let t: Timestamp = "2026-05-06T10:01:01.5+08:00".parse()?;
/// assert_eq!(t.to_string(), "2026-05-06T02:01:01.500Z");
/// assert_eq!(t.unix_ms(), 1_778_032_861_500);
/// assert_eq!(Timestamp::from_unix_ms(1_778_032_861_000).to_string(), "2026-05-06T02:01:01Z");
/// # Ok::<(), troubletree::event::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A text that is not an RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an RFC 3339 date-time such as 2026-05-06T02:01:01Z: {reason}")]
pub struct TimestampError {
    text: String,
    reason: &'static str,
}

/// The first and last instants a timestamp can hold: years 0 to 9999.
const MIN_MS: i64 = -62_167_219_200_000;
const MAX_MS: i64 = 253_402_300_799_999;

impl Timestamp {
    /// The instant `ms` milliseconds after 1970-01-01T00:00:00Z, kept within years 0
    /// to 9999.
    pub fn from_unix_ms(ms: i64) -> Timestamp {
        Timestamp(ms.clamp(MIN_MS, MAX_MS))
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn unix_ms(self) -> i64 {
        self.0
    }

    /// The instant `ms` milliseconds later (or earlier, when negative), kept within
    /// years 0 to 9999.
    pub fn plus_ms(self, ms: i64) -> Timestamp {
        Timestamp::from_unix_ms(self.0.saturating_add(ms))
    }

    /// Reads an RFC 3339 date-time.
    ///
    /// # Errors
    ///
    /// A [`TimestampError`] naming what is wrong.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        parse(text.as_bytes()).map_err(|reason| TimestampError {
            text: text.chars().take(64).collect(),
            reason,
        })
    }
}

fn parse(b: &[u8]) -> Result<Timestamp, &'static str> {
    fn digits(b: &[u8], at: usize, n: usize) -> Result<i64, &'static str> {
        let part = b.get(at..at + n).ok_or("it ends too early")?;
        let mut v = 0i64;
        for &c in part {
            if !c.is_ascii_digit() {
                return Err("a digit is expected");
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Ok(v)
    }
    let sep = |at: usize, c: u8| -> Result<(), &'static str> {
        if b.get(at) == Some(&c) {
            Ok(())
        } else {
            Err("a separator is missing or misplaced")
        }
    };
    let year = digits(b, 0, 4)?;
    sep(4, b'-')?;
    let month = digits(b, 5, 2)?;
    sep(7, b'-')?;
    let day = digits(b, 8, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return Err("the date and the time must be separated by T");
    }
    let hour = digits(b, 11, 2)?;
    sep(13, b':')?;
    let minute = digits(b, 14, 2)?;
    sep(16, b':')?;
    let second = digits(b, 17, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("no such date");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("no such time of day");
    }
    let mut at = 19;
    let mut ms = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                ms = ms * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return Err("a fraction needs digits");
        }
        for _ in (at - start)..3 {
            ms *= 10;
        }
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let h = digits(b, at + 1, 2)?;
            sep(at + 3, b':')?;
            let m = digits(b, at + 4, 2)?;
            if h > 23 || m > 59 {
                return Err("no such offset");
            }
            at += 6;
            let minutes = h * 60 + m;
            if sign == b'-' { -minutes } else { minutes }
        }
        _ => return Err("a time zone (Z or an offset such as +08:00) is required"),
    };
    if at != b.len() {
        return Err("something follows the date-time");
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60;
    let ms = seconds * 1_000 + ms;
    if !(MIN_MS..=MAX_MS).contains(&ms) {
        return Err("outside years 0 to 9999");
    }
    Ok(Timestamp(ms))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(1_000);
        let seconds = self.0.div_euclid(1_000);
        let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
        let s = seconds.rem_euclid(86_400);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            s / 3_600,
            s / 60 % 60,
            s % 60
        )?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 date-time such as \"2026-05-06T02:01:01Z\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        Timestamp::parse(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_over_the_whole_range() {
        for days in (-719_528..2_932_897).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn texts_read_and_write_back() {
        for (text, ms, shown) in [
            ("1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"),
            (
                "2024-02-29T23:59:59.999Z",
                1_709_251_199_999,
                "2024-02-29T23:59:59.999Z",
            ),
            (
                "2026-05-06 10:00:00+08:00",
                1_778_032_800_000,
                "2026-05-06T02:00:00Z",
            ),
            (
                "2026-05-06t02:00:00.1234567z",
                1_778_032_800_123,
                "2026-05-06T02:00:00.123Z",
            ),
            ("1969-12-31T23:59:59.5Z", -500, "1969-12-31T23:59:59.500Z"),
            ("0000-01-01T00:00:00Z", MIN_MS, "0000-01-01T00:00:00Z"),
            (
                "9999-12-31T23:59:59.999Z",
                MAX_MS,
                "9999-12-31T23:59:59.999Z",
            ),
        ] {
            let t = Timestamp::parse(text).expect(text);
            assert_eq!(t.unix_ms(), ms, "{text}");
            assert_eq!(t.to_string(), shown);
        }
    }

    #[test]
    fn malformed_texts_are_refused_with_a_reason() {
        for text in [
            "",
            "2026-05-06",
            "2026-05-06T02:00:00",
            "2026-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-05-06T24:00:00Z",
            "2026-05-06T02:00:00.Z",
            "2026-05-06T02:00:00Zx",
            "2026-05-06T02:00:00+8:00",
            "0000-01-01T00:00:00+00:01",
            "+026-05-06T02:00:00Z",
            "٢٠٢٦-05-06T02:00:00Z",
        ] {
            let err = Timestamp::parse(text).expect_err(text);
            assert!(err.to_string().contains("RFC 3339"), "{err}");
        }
    }
}
