//! Shared by every stage: the clock and the calendar. The clock is never read here: the edges
//! (the CLI, the service's main loop) give a [`Clock`] built on their [`TimeProvider`], in
//! the style of rustls' `TimeProvider`; tests give a fixed one. The calendar: RFC 3339 in UTC,
//! PDF dates (ISO 32000-1 §7.9.4) and XMP dates (ISO 8601) in the desk's offset, the desk's
//! calendar date, day and month arithmetic — all by the `time` crate.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Where "now" comes from (the system clock at the edges; a fixed instant in tests).
pub trait TimeProvider: Send + Sync + fmt::Debug {
    fn now(&self) -> SystemTime;
}

/// A provider that always says the same instant.
#[derive(Clone, Copy, Debug)]
pub struct FixedTime(pub SystemTime);

impl TimeProvider for FixedTime {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// The desk's clock: the instant from its provider, and the desk's calendar (its offset from
/// UTC, `[sign] utc_offset_minutes`: +420 in Viet Nam). Days and months — the folder a batch
/// is filed under, "today" for expiry, report months — are the desk's, not UTC's.
#[derive(Clone, Debug)]
pub struct Clock {
    provider: Arc<dyn TimeProvider>,
    utc_offset_minutes: i32,
}

impl Clock {
    /// A clock on `provider` whose calendar is `utc_offset_minutes` from UTC (within ±14 h;
    /// beyond that the calendar is taken as UTC, which config validation already refuses).
    pub fn new(provider: Arc<dyn TimeProvider>, utc_offset_minutes: i32) -> Self {
        let utc_offset_minutes = if utc_offset_minutes.abs() <= 14 * 60 {
            utc_offset_minutes
        } else {
            0
        };
        Self {
            provider,
            utc_offset_minutes,
        }
    }

    /// A clock stopped at `at` (tests, re-verification "as of" a date).
    pub fn fixed(at: SystemTime, utc_offset_minutes: i32) -> Self {
        Self::new(Arc::new(FixedTime(at)), utc_offset_minutes)
    }

    /// The same calendar, stopped at `at`.
    pub fn at(&self, at: SystemTime) -> Self {
        Self::fixed(at, self.utc_offset_minutes)
    }

    pub fn now(&self) -> SystemTime {
        self.provider.now()
    }

    pub fn utc_offset_minutes(&self) -> i32 {
        self.utc_offset_minutes
    }

    /// Now as `YYYY-MM-DDTHH:MM:SSZ` (what the index and the audit log store).
    pub fn now_rfc3339(&self) -> String {
        rfc3339(since_epoch(self.now()))
    }

    /// Seconds since the epoch (0 before it).
    pub fn epoch_secs(&self) -> u64 {
        since_epoch(self.now()).as_secs()
    }

    /// The desk's calendar date today, `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        local_date(self.now(), self.utc_offset_minutes)
    }

    /// Now on the desk's calendar as (year, month, day, hour, minute, second): what a ZIP
    /// member's date holds (it has no zone). The epoch when out of range.
    pub fn local_parts(&self) -> (u16, u8, u8, u8, u8, u8) {
        match local(self.now(), self.utc_offset_minutes) {
            Ok(t) => (
                u16::try_from(t.year()).unwrap_or(1970),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            ),
            Err(_) => (1970, 1, 1, 0, 0, 0),
        }
    }
}

/// Why a time could not be written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeError {
    #[error("UTC offset {0} min is beyond ±14 h")]
    Offset(i32),
    #[error("{0} s from the epoch is outside the years 0–9999")]
    OutOfRange(i64),
}

fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default()
}

/// `t` in local time at `offset_minutes` from UTC, years 0–9999.
fn local(t: SystemTime, offset_minutes: i32) -> Result<OffsetDateTime, TimeError> {
    let offset = UtcOffset::from_whole_seconds(offset_minutes.saturating_mul(60))
        .ok()
        .filter(|_| offset_minutes.abs() <= 14 * 60)
        .ok_or(TimeError::Offset(offset_minutes))?;
    let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    };
    let dt = OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| TimeError::OutOfRange(secs))?
        .to_offset(offset);
    if !(0..=9999).contains(&dt.year()) {
        return Err(TimeError::OutOfRange(secs));
    }
    Ok(dt)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (`@<seconds>` past the year 9999).
pub fn rfc3339(since_epoch: Duration) -> String {
    match local(SystemTime::UNIX_EPOCH + since_epoch, 0) {
        Ok(dt) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        Err(_) => format!("@{}", since_epoch.as_secs()),
    }
}

/// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDThh:mm:ss[.fff]` with `Z`, `±hh:mm` or
/// nothing (UTC). Seconds since the epoch; `None` for anything else or before 1970.
pub fn parse_rfc3339(s: &str) -> Option<Duration> {
    let num = |t: &str| {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u16>().ok())
            .flatten()
    };
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let date = parse_iso_date(date)?;
    let (mut h, mut mi, mut sec, mut offset) = (0u16, 0u16, 0u16, 0i64);
    if let Some(t) = time {
        let (clock, off) = if let Some(c) = t.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else if let Some(i) = t.rfind(['+', '-']) {
            let (c, o) = t.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o.get(1..)?.split_once(':')?;
            (
                c,
                sign * (i64::from(num(oh)?) * 3600 + i64::from(num(om)?) * 60),
            )
        } else {
            (t, 0)
        };
        let clock = clock.split('.').next()?;
        let mut c = clock.splitn(3, ':');
        h = num(c.next()?)?;
        mi = num(c.next()?)?;
        sec = c.next().map_or(Some(0), num)?;
        offset = off;
    }
    let dt = date
        .with_hms(
            u8::try_from(h).ok()?,
            u8::try_from(mi).ok()?,
            u8::try_from(sec).ok()?,
        )
        .ok()?
        .assume_utc();
    let secs = dt.unix_timestamp() - offset;
    Some(Duration::from_secs(u64::try_from(secs).ok()?))
}

/// `D:YYYYMMDDHHmmSS+HH'mm'` (ISO 32000-1 §7.9.4): `t` in local time at `offset_minutes`.
pub fn pdf_date(t: SystemTime, offset_minutes: i32) -> Result<String, TimeError> {
    let [y, mo, d, h, mi, s, oh, om, sign] = fields(t, offset_minutes)?;
    let sign = if sign < 0 { '-' } else { '+' };
    Ok(format!(
        "D:{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{sign}{oh:02}'{om:02}'"
    ))
}

/// `YYYY-MM-DDTHH:MM:SS+HH:MM` (ISO 8601, as XMP writes dates): `t` at `offset_minutes`.
pub fn xmp_date(t: SystemTime, offset_minutes: i32) -> Result<String, TimeError> {
    let [y, mo, d, h, mi, s, oh, om, sign] = fields(t, offset_minutes)?;
    let sign = if sign < 0 { '-' } else { '+' };
    Ok(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{oh:02}:{om:02}"
    ))
}

/// Year, month, day, hour, minute, second, offset hours and minutes, and the offset's sign.
fn fields(t: SystemTime, offset_minutes: i32) -> Result<[i32; 9], TimeError> {
    let dt = local(t, offset_minutes)?;
    let off = offset_minutes.abs();
    Ok([
        dt.year(),
        i32::from(u8::from(dt.month())),
        i32::from(dt.day()),
        i32::from(dt.hour()),
        i32::from(dt.minute()),
        i32::from(dt.second()),
        off / 60,
        off % 60,
        offset_minutes.signum(),
    ])
}

/// The calendar date `YYYY-MM-DD` at `offset_minutes` from UTC of instant `t` (`0000-01-01`
/// when out of range).
pub fn local_date(t: SystemTime, offset_minutes: i32) -> String {
    local(t, offset_minutes).map_or_else(|_| "0000-01-01".into(), |dt| iso(dt.date()))
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A `YYYY-MM-DD` date that exists in the calendar.
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let mut it = s.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some()
        || y.len() != 4
        || m.len() != 2
        || d.len() != 2
        || !(y.bytes().chain(m.bytes()).chain(d.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// `YYYY-MM-DD` plus `n` days.
pub fn add_days(iso_date: &str, n: u32) -> Option<String> {
    let d = parse_iso_date(iso_date)?;
    d.checked_add(time::Duration::days(i64::from(n))).map(iso)
}

/// `YYYY-MM-DD` plus `n` months, clamped to the last day of the month reached.
pub fn add_months(iso_date: &str, n: u32) -> Option<String> {
    let d = parse_iso_date(iso_date)?;
    let total = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + i64::from(n);
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    let last = month.length(year);
    Date::from_calendar_date(year, month, d.day().min(last))
        .ok()
        .map(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANOI: i32 = 7 * 60;

    fn at(s: &str) -> SystemTime {
        SystemTime::UNIX_EPOCH + parse_rfc3339(s).expect("test time")
    }

    #[test]
    fn parse_rfc3339_takes_dates_times_and_offsets() {
        let d = |s| parse_rfc3339(s).map(rfc3339);
        assert_eq!(d("2040-01-01").as_deref(), Some("2040-01-01T00:00:00Z"));
        assert_eq!(
            d("2026-12-03T08:30:00Z").as_deref(),
            Some("2026-12-03T08:30:00Z")
        );
        assert_eq!(
            d("2026-12-03T08:30:00+07:00").as_deref(),
            Some("2026-12-03T01:30:00Z")
        );
        assert_eq!(d("2026-02-30"), None);
        assert_eq!(d("tomorrow"), None);
        assert_eq!(d("2026-12-03T08:30:00+07"), None);
        assert_eq!(d("+026-12-03"), None);
    }

    #[test]
    fn desk_calendar_turns_the_day_at_local_midnight_not_utc() {
        // 17:00 UTC on the 31st is 00:00 on the 1st in Hà Nội: a new day and a new month
        let c = Clock::fixed(at("2026-01-31T17:00:00Z"), HANOI);
        assert_eq!(c.today(), "2026-02-01");
        assert_eq!(c.at(at("2026-01-31T16:59:59Z")).today(), "2026-01-31");
        // and the year
        assert_eq!(c.at(at("2026-12-31T17:30:00Z")).today(), "2027-01-01");
        // UTC itself still says the old day
        assert_eq!(
            Clock::fixed(at("2026-01-31T17:00:00Z"), 0).today(),
            "2026-01-31"
        );
        assert_eq!(c.now_rfc3339(), "2026-01-31T17:00:00Z");
    }

    #[test]
    fn pdf_and_xmp_dates_carry_the_offset() {
        let t = at("2026-12-31T17:30:05Z");
        assert_eq!(pdf_date(t, HANOI).as_deref(), Ok("D:20270101003005+07'00'"));
        assert_eq!(
            xmp_date(t, HANOI).as_deref(),
            Ok("2027-01-01T00:30:05+07:00")
        );
        assert_eq!(pdf_date(t, -90).as_deref(), Ok("D:20261231160005-01'30'"));
        assert_eq!(pdf_date(t, 15 * 60), Err(TimeError::Offset(900)));
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(300_000_000_000);
        assert!(matches!(pdf_date(far, 0), Err(TimeError::OutOfRange(_))));
    }

    #[test]
    fn months_clamp_and_days_roll_over() {
        assert_eq!(add_months("2024-08-31", 6).as_deref(), Some("2025-02-28"));
        assert_eq!(add_months("2023-08-31", 6).as_deref(), Some("2024-02-29"));
        assert_eq!(add_months("2023-12-15", 1).as_deref(), Some("2024-01-15"));
        assert_eq!(add_months("bad", 1), None);
        assert_eq!(add_days("2024-02-15", 30).as_deref(), Some("2024-03-16"));
        assert_eq!(add_days("2023-02-15", 30).as_deref(), Some("2023-03-17"));
        assert_eq!(add_days("2023-12-31", 1).as_deref(), Some("2024-01-01"));
        assert_eq!(add_days("2023-02-29", 1), None);
    }
}
