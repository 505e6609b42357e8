//! Working days and deadlines.
//!
//! Deadlines in Uzbek office work are counted in working days in local
//! time (UTC+5, no daylight saving), so the calendar carries a fixed UTC
//! offset and every "end of day" is 23:59:59 local time, returned in UTC.
//!
//! Which days are off is configuration, not code:
//! * `weekend`: weekly days off (Saturday and Sunday for a five-day week);
//! * `annual_holidays`: fixed-date public holidays, repeating every year;
//! * `holidays`: dated days off for one year only — the moving religious
//!   holidays (Ramazon Hayit, Qurbon Hayit, whose dates follow the lunar
//!   calendar) and the days off the government transfers each year;
//! * `extra_working_days`: dates that are working days although they would
//!   otherwise be off (a Saturday worked in exchange for a transferred day).
//!
//! The calendar does not move a holiday that falls on a weekend by itself:
//! such transfers are announced by decree each year and go into `holidays`
//! and `extra_working_days`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Upper bound for a working-day count; nothing in office work takes ten
/// years, and the bound keeps a hostile `WorkingDays(u32::MAX)` cheap.
pub const MAX_WORKING_DAYS: u32 = 2_600;

/// How far we look for working days before giving up, in calendar days.
/// Only reached by calendars that (almost) never work.
const MAX_SCAN_DAYS: u32 = 40_000;

/// Uzbekistan's offset from UTC (UTC+5 all year).
pub const UZBEKISTAN_UTC_OFFSET_MINUTES: i32 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("UTC offset {0} minutes is outside -18h..=+18h")]
    BadUtcOffset(i32),
    #[error("every weekday is a weekend day")]
    NoWorkingWeekday,
    #[error("{0} is both a holiday and an extra working day")]
    HolidayAndWorkingDay(NaiveDate),
    #[error("{0} working days is more than the maximum of {MAX_WORKING_DAYS}")]
    TooManyWorkingDays(u32),
    #[error("no working day found within {MAX_SCAN_DAYS} days")]
    NoWorkingDayFound,
    #[error("date out of the supported range")]
    OutOfRange,
    #[error("invalid month-day '{0}', expected MM-DD")]
    BadMonthDay(String),
}

/// A day of the year without a year ("03-21"), for holidays that repeat.
/// February 29 is allowed and only matches in leap years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    /// `None` unless the day exists in some year (2000 is a leap year).
    pub fn new(month: u32, day: u32) -> Option<MonthDay> {
        NaiveDate::from_ymd_opt(2000, month, day).map(|_| MonthDay { month, day })
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn day(self) -> u32 {
        self.day
    }

    pub fn of(date: NaiveDate) -> MonthDay {
        MonthDay {
            month: date.month(),
            day: date.day(),
        }
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl FromStr for MonthDay {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CalendarError::BadMonthDay(s.to_owned());
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        if m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let month = m.parse().map_err(|_| bad())?;
        let day = d.parse().map_err(|_| bad())?;
        MonthDay::new(month, day).ok_or_else(bad)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The serde/configuration form of a [`WorkingCalendar`]: plain fields,
/// checked when converted.
///
/// ```json
/// {"weekend": ["Sat", "Sun"], "annual-holidays": ["01-01", "03-21"],
///  "holidays": ["2026-03-20"], "extra-working-days": ["2026-03-28"],
///  "utc-offset-minutes": 300}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CalendarConfig {
    pub weekend: Vec<Weekday>,
    #[serde(default)]
    pub annual_holidays: BTreeSet<MonthDay>,
    #[serde(default)]
    pub holidays: BTreeSet<NaiveDate>,
    #[serde(default)]
    pub extra_working_days: BTreeSet<NaiveDate>,
    pub utc_offset_minutes: i32,
}

/// A validated working-day calendar. Build it with [`WorkingCalendar::new`],
/// [`WorkingCalendar::default_uzbekistan`] or from a [`CalendarConfig`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarConfig", into = "CalendarConfig")]
pub struct WorkingCalendar {
    /// Kept as a bit per weekday (Monday = bit 0) so lookups are cheap.
    weekend: u8,
    annual_holidays: BTreeSet<MonthDay>,
    holidays: BTreeSet<NaiveDate>,
    extra_working_days: BTreeSet<NaiveDate>,
    utc_offset_minutes: i32,
}

impl TryFrom<CalendarConfig> for WorkingCalendar {
    type Error = CalendarError;

    fn try_from(c: CalendarConfig) -> Result<Self, Self::Error> {
        WorkingCalendar::new(
            c.weekend,
            c.annual_holidays,
            c.holidays,
            c.extra_working_days,
            c.utc_offset_minutes,
        )
    }
}

impl From<WorkingCalendar> for CalendarConfig {
    fn from(c: WorkingCalendar) -> Self {
        CalendarConfig {
            weekend: c.weekend(),
            annual_holidays: c.annual_holidays,
            holidays: c.holidays,
            extra_working_days: c.extra_working_days,
            utc_offset_minutes: c.utc_offset_minutes,
        }
    }
}

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl WorkingCalendar {
    pub fn new(
        weekend: impl IntoIterator<Item = Weekday>,
        annual_holidays: BTreeSet<MonthDay>,
        holidays: BTreeSet<NaiveDate>,
        extra_working_days: BTreeSet<NaiveDate>,
        utc_offset_minutes: i32,
    ) -> Result<WorkingCalendar, CalendarError> {
        if utc_offset_minutes.unsigned_abs() > 18 * 60 {
            return Err(CalendarError::BadUtcOffset(utc_offset_minutes));
        }
        let weekend = weekend
            .into_iter()
            .fold(0u8, |bits, d| bits | (1 << d.num_days_from_monday()));
        // With a working weekday in every week, the day-by-day search in
        // `add_working_days` ends unless the holiday lists are absurd, and
        // MAX_SCAN_DAYS covers that case.
        if weekend == 0x7f {
            return Err(CalendarError::NoWorkingWeekday);
        }
        if let Some(d) = holidays.intersection(&extra_working_days).next() {
            return Err(CalendarError::HolidayAndWorkingDay(*d));
        }
        Ok(WorkingCalendar {
            weekend,
            annual_holidays,
            holidays,
            extra_working_days,
            utc_offset_minutes,
        })
    }

    /// Saturday and Sunday off, UTC+5, and the fixed-date public holidays of
    /// Uzbekistan: New Year (01-01), Women's Day (03-08), Navruz (03-21),
    /// Day of Remembrance (05-09), Independence Day (09-01), Teachers' Day
    /// (10-01), Constitution Day (12-08).
    ///
    /// Year-agnostic, so NOT complete: Ramazon Hayit and Qurbon Hayit move
    /// every year and the government transfers days off by decree; add them
    /// per year with [`WorkingCalendar::with_holiday`] and
    /// [`WorkingCalendar::with_extra_working_day`] (or in configuration).
    pub fn default_uzbekistan() -> WorkingCalendar {
        let annual = [(1, 1), (3, 8), (3, 21), (5, 9), (9, 1), (10, 1), (12, 8)]
            .into_iter()
            .filter_map(|(m, d)| MonthDay::new(m, d))
            .collect();
        WorkingCalendar {
            weekend: (1 << 5) | (1 << 6),
            annual_holidays: annual,
            holidays: BTreeSet::new(),
            extra_working_days: BTreeSet::new(),
            utc_offset_minutes: UZBEKISTAN_UTC_OFFSET_MINUTES,
        }
    }

    /// Adds a one-off day off; it stops being an extra working day.
    pub fn with_holiday(mut self, date: NaiveDate) -> WorkingCalendar {
        self.extra_working_days.remove(&date);
        self.holidays.insert(date);
        self
    }

    /// Makes `date` a working day; it stops being a one-off holiday.
    pub fn with_extra_working_day(mut self, date: NaiveDate) -> WorkingCalendar {
        self.holidays.remove(&date);
        self.extra_working_days.insert(date);
        self
    }

    pub fn weekend(&self) -> Vec<Weekday> {
        WEEK.into_iter()
            .filter(|d| self.weekend & (1 << d.num_days_from_monday()) != 0)
            .collect()
    }

    pub fn annual_holidays(&self) -> &BTreeSet<MonthDay> {
        &self.annual_holidays
    }

    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    pub fn extra_working_days(&self) -> &BTreeSet<NaiveDate> {
        &self.extra_working_days
    }

    pub fn utc_offset_minutes(&self) -> i32 {
        self.utc_offset_minutes
    }

    /// An extra working day always works; otherwise holidays and the
    /// weekend are off.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.extra_working_days.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) || self.annual_holidays.contains(&MonthDay::of(date)) {
            return false;
        }
        self.weekend & (1 << date.weekday().num_days_from_monday()) == 0
    }

    fn offset(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.utc_offset_minutes))
    }

    /// The calendar date at `instant` in the calendar's local time.
    pub fn local_date(&self, instant: DateTime<Utc>) -> Result<NaiveDate, CalendarError> {
        instant
            .naive_utc()
            .checked_add_signed(self.offset())
            .map(|t| t.date())
            .ok_or(CalendarError::OutOfRange)
    }

    /// 23:59:59 local time on `date`, as a UTC instant.
    pub fn end_of_day(&self, date: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
        let last_second = NaiveTime::from_hms_opt(23, 59, 59).ok_or(CalendarError::OutOfRange)?;
        date.and_time(last_second)
            .checked_sub_signed(self.offset())
            .map(|t| Utc.from_utc_datetime(&t))
            .ok_or(CalendarError::OutOfRange)
    }

    /// The end (23:59:59 local) of the `n`-th working day after the local
    /// date of `from`. Today does not count for `n >= 1`: a task received on
    /// Monday with 1 working day is due Tuesday evening. `n == 0` means "by
    /// the end of today", or of the next working day if today is off.
    pub fn add_working_days(
        &self,
        from: DateTime<Utc>,
        n: u32,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if n > MAX_WORKING_DAYS {
            return Err(CalendarError::TooManyWorkingDays(n));
        }
        let mut day = self.local_date(from)?;
        let mut remaining = n;
        let mut scanned = 0u32;
        // For n == 0 today itself is the first candidate.
        let mut candidate_is_today = n == 0;
        loop {
            if !candidate_is_today {
                day = day.succ_opt().ok_or(CalendarError::OutOfRange)?;
                scanned += 1;
                if scanned > MAX_SCAN_DAYS {
                    return Err(CalendarError::NoWorkingDayFound);
                }
            }
            candidate_is_today = false;
            if self.is_working_day(day) {
                if remaining <= 1 {
                    return self.end_of_day(day);
                }
                remaining -= 1;
            }
        }
    }
}

/// A deadline as written in a route template: a fixed instant or a number
/// of working days counted from when the step becomes active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deadline {
    At(DateTime<Utc>),
    WorkingDays(u32),
}

impl Deadline {
    pub fn resolve(
        &self,
        calendar: &WorkingCalendar,
        from: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, CalendarError> {
        match *self {
            Deadline::At(t) => Ok(t),
            Deadline::WorkingDays(n) => calendar.add_working_days(from, n),
        }
    }
}

/// How a task stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timeliness {
    NoDeadline,
    /// Open, deadline not yet passed.
    InTime,
    /// Open, deadline passed.
    Overdue,
    CompletedInTime,
    /// Completed after the deadline ("executed late").
    CompletedLate,
}

/// Open tasks are overdue once `now` is past `due`; completed ones are late
/// if completed after `due`. Completing exactly at `due` is in time.
pub fn timeliness(
    due: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Timeliness {
    match (due, completed_at) {
        (None, _) => Timeliness::NoDeadline,
        (Some(d), None) if now > d => Timeliness::Overdue,
        (Some(_), None) => Timeliness::InTime,
        (Some(d), Some(c)) if c > d => Timeliness::CompletedLate,
        (Some(_), Some(_)) => Timeliness::CompletedInTime,
    }
}

/// Not completed and the deadline has passed (for inboxes and reminders).
pub fn is_overdue(
    due: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    timeliness(due, completed_at, now) == Timeliness::Overdue
}

/// Completed, but after the deadline (for execution-discipline statistics).
pub fn completed_late(due: Option<DateTime<Utc>>, completed_at: Option<DateTime<Utc>>) -> bool {
    matches!((due, completed_at), (Some(d), Some(c)) if c > d)
}

/// Either overdue now or completed late: the deadline was missed.
pub fn missed_deadline(
    due: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    is_overdue(due, completed_at, now) || completed_late(due, completed_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A UTC instant given in Tashkent local time.
    fn tashkent(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        let local = date(y, m, d).and_hms_opt(h, min, 0).unwrap();
        Utc.from_utc_datetime(&(local - TimeDelta::hours(5)))
    }

    fn end_of(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        // 23:59:59 in Tashkent is 18:59:59 UTC.
        Utc.from_utc_datetime(&date(y, m, d).and_hms_opt(18, 59, 59).unwrap())
    }

    #[test]
    fn default_calendar_has_the_fixed_holidays_and_weekend() {
        let cal = WorkingCalendar::default_uzbekistan();
        // 2026-03-20 is a Friday, 03-21 a Saturday, 03-23 a Monday.
        for d in [
            date(2026, 1, 1),
            date(2026, 3, 8),
            date(2026, 3, 21),
            date(2026, 5, 9),
            date(2026, 9, 1),
            date(2026, 10, 1),
            date(2026, 12, 8),
            date(2026, 3, 22), // Sunday
        ] {
            assert!(!cal.is_working_day(d), "{d}");
        }
        assert!(cal.is_working_day(date(2026, 3, 20)));
        assert!(cal.is_working_day(date(2026, 3, 23)));
        assert_eq!(cal.weekend(), vec![Weekday::Sat, Weekday::Sun]);
        assert_eq!(cal.utc_offset_minutes(), 300);
    }

    #[test]
    fn extra_working_day_overrides_weekend_and_annual_holiday() {
        let cal = WorkingCalendar::default_uzbekistan()
            .with_extra_working_day(date(2026, 3, 28))
            .with_extra_working_day(date(2026, 1, 1));
        assert!(cal.is_working_day(date(2026, 3, 28)));
        assert!(cal.is_working_day(date(2026, 1, 1)));
        // Only that year.
        assert!(!cal.is_working_day(date(2027, 1, 1)));
    }

    #[test]
    fn one_off_holiday_is_off_only_that_year() {
        // Ramazon Hayit 2026 (example date).
        let cal = WorkingCalendar::default_uzbekistan().with_holiday(date(2026, 3, 20));
        assert!(!cal.is_working_day(date(2026, 3, 20)));
        assert!(cal.is_working_day(date(2027, 3, 19)));
    }

    #[test]
    fn add_working_days_counts_from_the_next_day() {
        let cal = WorkingCalendar::default_uzbekistan();
        // Monday 2026-06-01 10:00 Tashkent.
        let mon = tashkent(2026, 6, 1, 10, 0);
        assert_eq!(cal.add_working_days(mon, 0).unwrap(), end_of(2026, 6, 1));
        assert_eq!(cal.add_working_days(mon, 1).unwrap(), end_of(2026, 6, 2));
        assert_eq!(cal.add_working_days(mon, 4).unwrap(), end_of(2026, 6, 5));
        // Skips the weekend.
        assert_eq!(cal.add_working_days(mon, 5).unwrap(), end_of(2026, 6, 8));
    }

    #[test]
    fn zero_days_on_a_day_off_is_the_next_working_day() {
        let cal = WorkingCalendar::default_uzbekistan();
        // Saturday 2026-06-06.
        let sat = tashkent(2026, 6, 6, 12, 0);
        assert_eq!(cal.add_working_days(sat, 0).unwrap(), end_of(2026, 6, 8));
        assert_eq!(cal.add_working_days(sat, 1).unwrap(), end_of(2026, 6, 8));
        assert_eq!(cal.add_working_days(sat, 2).unwrap(), end_of(2026, 6, 9));
    }

    #[test]
    fn local_date_not_utc_date_is_used() {
        let cal = WorkingCalendar::default_uzbekistan();
        // 2026-06-05 20:00 UTC is already Saturday 01:00 in Tashkent.
        let t = Utc.from_utc_datetime(&date(2026, 6, 5).and_hms_opt(20, 0, 0).unwrap());
        assert_eq!(cal.local_date(t).unwrap(), date(2026, 6, 6));
        assert_eq!(cal.add_working_days(t, 0).unwrap(), end_of(2026, 6, 8));
    }

    #[test]
    fn holidays_are_skipped() {
        let cal = WorkingCalendar::default_uzbekistan();
        // Monday 2026-08-31; Tuesday 09-01 is Independence Day.
        let t = tashkent(2026, 8, 31, 9, 0);
        assert_eq!(cal.add_working_days(t, 1).unwrap(), end_of(2026, 9, 2));
    }

    #[test]
    fn too_many_days_is_an_error_not_a_hang() {
        let cal = WorkingCalendar::default_uzbekistan();
        let t = tashkent(2026, 6, 1, 9, 0);
        assert_eq!(
            cal.add_working_days(t, u32::MAX),
            Err(CalendarError::TooManyWorkingDays(u32::MAX))
        );
        assert!(cal.add_working_days(t, MAX_WORKING_DAYS).is_ok());
    }

    #[test]
    fn a_calendar_without_working_days_errors() {
        let all_days: BTreeSet<MonthDay> = (1..=12)
            .flat_map(|m| (1..=31).filter_map(move |d| MonthDay::new(m, d)))
            .collect();
        let cal = WorkingCalendar::new(
            [Weekday::Sat, Weekday::Sun],
            all_days,
            BTreeSet::new(),
            BTreeSet::new(),
            300,
        )
        .unwrap();
        let t = tashkent(2026, 6, 1, 9, 0);
        assert_eq!(
            cal.add_working_days(t, 1),
            Err(CalendarError::NoWorkingDayFound)
        );
    }

    #[test]
    fn near_the_end_of_time_is_out_of_range() {
        let cal = WorkingCalendar::default_uzbekistan();
        assert_eq!(
            cal.add_working_days(DateTime::<Utc>::MAX_UTC, 1),
            Err(CalendarError::OutOfRange)
        );
        assert!(cal.add_working_days(DateTime::<Utc>::MIN_UTC, 1).is_ok());
    }

    #[test]
    fn invalid_calendars_are_refused() {
        let none = BTreeSet::<NaiveDate>::new;
        let no_md = BTreeSet::<MonthDay>::new;
        assert_eq!(
            WorkingCalendar::new(WEEK, no_md(), none(), none(), 0),
            Err(CalendarError::NoWorkingWeekday)
        );
        assert_eq!(
            WorkingCalendar::new([], no_md(), none(), none(), 24 * 60),
            Err(CalendarError::BadUtcOffset(24 * 60))
        );
        let d = date(2026, 1, 2);
        assert_eq!(
            WorkingCalendar::new([], no_md(), [d].into(), [d].into(), 0),
            Err(CalendarError::HolidayAndWorkingDay(d))
        );
    }

    #[test]
    fn calendar_config_round_trips_through_json() {
        let cal = WorkingCalendar::default_uzbekistan()
            .with_holiday(date(2026, 3, 20))
            .with_extra_working_day(date(2026, 3, 28));
        let json = serde_json::to_value(&cal).unwrap();
        assert_eq!(json["weekend"], serde_json::json!(["Sat", "Sun"]));
        assert_eq!(json["annual-holidays"][2], "03-21");
        assert_eq!(json["holidays"][0], "2026-03-20");
        assert_eq!(json["utc-offset-minutes"], 300);
        let back: WorkingCalendar = serde_json::from_value(json).unwrap();
        assert_eq!(back, cal);

        let cfg = r#"{"weekend":["Sun"],"annual-holidays":["02-29"],"utc-offset-minutes":300}"#;
        let six_day: WorkingCalendar = serde_json::from_str(cfg).unwrap();
        assert!(six_day.is_working_day(date(2026, 6, 6)));
        assert!(!six_day.is_working_day(date(2028, 2, 29)));

        for bad in [
            r#"{"weekend":["Mon","Tue","Wed","Thu","Fri","Sat","Sun"],"utc-offset-minutes":0}"#,
            r#"{"weekend":[],"annual-holidays":["02-30"],"utc-offset-minutes":0}"#,
            r#"{"weekend":[],"annual-holidays":["2-3"],"utc-offset-minutes":0}"#,
            r#"{"weekend":[],"utc-offset-minutes":5000}"#,
            r#"{"weekend":[],"utc-offset-minutes":0,"surprise":1}"#,
        ] {
            assert!(
                serde_json::from_str::<WorkingCalendar>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn deadline_resolves_and_serialises() {
        let cal = WorkingCalendar::default_uzbekistan();
        let mon = tashkent(2026, 6, 1, 10, 0);
        let fixed = end_of(2026, 7, 1);
        assert_eq!(Deadline::At(fixed).resolve(&cal, mon).unwrap(), fixed);
        assert_eq!(
            Deadline::WorkingDays(2).resolve(&cal, mon).unwrap(),
            end_of(2026, 6, 3)
        );
        assert_eq!(
            serde_json::to_string(&Deadline::WorkingDays(3)).unwrap(),
            r#"{"working-days":3}"#
        );
        let d: Deadline = serde_json::from_str(r#"{"at":"2026-07-01T18:59:59Z"}"#).unwrap();
        assert_eq!(d, Deadline::At(fixed));
    }

    #[test]
    fn timeliness_cases() {
        let due = end_of(2026, 6, 1);
        let before = due - TimeDelta::hours(1);
        let after = due + TimeDelta::seconds(1);
        assert_eq!(timeliness(None, None, after), Timeliness::NoDeadline);
        assert_eq!(timeliness(Some(due), None, before), Timeliness::InTime);
        assert_eq!(timeliness(Some(due), None, due), Timeliness::InTime);
        assert_eq!(timeliness(Some(due), None, after), Timeliness::Overdue);
        assert_eq!(
            timeliness(Some(due), Some(due), after),
            Timeliness::CompletedInTime
        );
        assert_eq!(
            timeliness(Some(due), Some(after), after),
            Timeliness::CompletedLate
        );
        assert!(is_overdue(Some(due), None, after));
        assert!(!is_overdue(Some(due), Some(after), after));
        assert!(completed_late(Some(due), Some(after)));
        assert!(!completed_late(Some(due), None));
        assert!(!completed_late(None, Some(after)));
        assert!(missed_deadline(Some(due), Some(after), after));
        assert!(missed_deadline(Some(due), None, after));
        assert!(!missed_deadline(Some(due), Some(before), after));
    }

    #[test]
    fn month_day_parsing() {
        assert_eq!(
            "03-21".parse::<MonthDay>().unwrap(),
            MonthDay::new(3, 21).unwrap()
        );
        assert_eq!(MonthDay::new(3, 21).unwrap().to_string(), "03-21");
        for bad in ["", "3-21", "03/21", "13-01", "04-31", "aa-bb", "03-21-1"] {
            assert!(bad.parse::<MonthDay>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn result_is_a_working_day_end_and_monotonic(
            secs in 1_600_000_000i64..2_000_000_000i64,
            n in 0u32..40,
        ) {
            let cal = WorkingCalendar::default_uzbekistan();
            let from = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
            let due = cal.add_working_days(from, n).unwrap();
            let local_due = cal.local_date(due).unwrap();
            prop_assert!(cal.is_working_day(local_due));
            prop_assert_eq!(due, cal.end_of_day(local_due).unwrap());
            prop_assert!(due >= from);
            let next = cal.add_working_days(from, n + 1).unwrap();
            // n = 0 and n = 1 coincide when today is a day off.
            let today_off = !cal.is_working_day(cal.local_date(from).unwrap());
            if n >= 1 || !today_off {
                prop_assert!(next > due);
            } else {
                prop_assert_eq!(next, due);
            }
            // Exactly n working days lie strictly between today and the due
            // date's day, inclusive of the due day (for n >= 1).
            if n >= 1 {
                let today = cal.local_date(from).unwrap();
                let count = today
                    .iter_days()
                    .skip(1)
                    .take_while(|d| *d <= local_due)
                    .filter(|d| cal.is_working_day(*d))
                    .count();
                prop_assert_eq!(count, n as usize);
            }
        }
    }
}
