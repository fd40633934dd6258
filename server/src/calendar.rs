//! A team's calendar on Hong Kong time: business hours per weekday
//! (several windows a day for split shifts and lunch, and windows that run
//! past midnight), Hong Kong's general holidays, the team's exceptions (closed
//! on a date, or other hours such as a Christmas Eve half-day) and closures
//! (typhoon signal 8 or above, a black rainstorm, or an ad-hoc reason). From
//! them it says whether the team is open at an instant, until when, or why
//! not and when it opens again.
//!
//! Asia/Hong_Kong is UTC+8 all year (no daylight saving since 1979), so an
//! instant's local time is a fixed shift. Instants are Unix milliseconds
//! from the injectable clock; nothing here reads the wall clock, so tests
//! jump across days, holidays and closures without sleeping.

use serde::{Deserialize, Serialize};
use time::{Date, Month, Weekday};

/// Hong Kong's offset from UTC.
pub const HK_OFFSET_MS: i64 = 8 * 3_600_000;
const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// How far ahead the next opening is looked for: past any run of holidays
/// and closed days a team could have, without looping for ever on a team
/// that never opens.
const LOOKAHEAD_DAYS: i64 = 62;
/// How far back [`TeamCalendar::closed_since`] looks for the last opening.
const LOOKBACK_DAYS: i64 = 14;

/// A window of business hours on one day, in minutes after local midnight.
/// An `end` at or before `start` runs past midnight: 22:00–06:00 is
/// `{ start: 1320, end: 360 }` and ends the next morning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: u16,
    pub end: u16,
}

impl Window {
    /// `HH:MM–HH:MM`; `None` if either time is not a time of day (24:00 is
    /// allowed as an end) or the window is empty.
    pub fn parse(text: &str) -> Option<Window> {
        let (start, end) = text.split_once(['-', '–'])?;
        let minutes = |hhmm: &str| -> Option<u16> {
            let (h, m) = hhmm.trim().split_once(':')?;
            let digits =
                |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
            if !digits(h) || !digits(m) {
                return None;
            }
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
        };
        let window = Window {
            start: minutes(start)?,
            end: minutes(end)?,
        };
        // 00:00–24:00 is the whole day; 09:00–09:00 is nothing.
        (window.start < 1440 && window.start != window.end).then_some(window)
    }

    /// How long the window lasts, in minutes.
    fn length(self) -> i64 {
        let (start, end) = (i64::from(self.start), i64::from(self.end));
        if end > start {
            end - start
        } else {
            end + 1440 - start
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}–{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// Business hours for each day of the week, Monday first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours {
    pub days: [Vec<Window>; 7],
}

impl WeeklyHours {
    /// The windows of `weekday`.
    pub fn on(&self, weekday: Weekday) -> &[Window] {
        &self.days[usize::from(weekday.number_days_from_monday())]
    }
}

/// One of Hong Kong's general holidays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
    pub name_zh: String,
}

/// What a date holds for a team instead of its weekly hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayRule {
    Closed,
    Hours { windows: Vec<Window> },
}

/// A team's exception on one date: it wins over the weekly hours and over a
/// holiday (a team that works on a holiday says so with hours).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    pub date: Date,
    pub rule: DayRule,
}

/// Why a closure was called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosureReason {
    /// Tropical cyclone signal 8 or above.
    Typhoon,
    BlackRainstorm,
    Other {
        text: String,
    },
}

/// A closure in force from `starts_at` until `ends_at` (or until it is
/// ended by hand, when that is `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closure {
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub reason: ClosureReason,
}

impl Closure {
    fn covers(&self, at: i64) -> bool {
        self.starts_at <= at && self.ends_at.is_none_or(|end| at < end)
    }
}

/// Why a team is closed at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClosedBecause {
    /// Outside the weekly hours (or an exception's).
    OutOfHours,
    /// A general holiday, by its English name.
    Holiday(String),
    /// The team's exception for the date closes it.
    Exception,
    Closure(ClosureReason),
}

/// Whether a team is open at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Open until `until` (Unix ms), or for at least the look-ahead.
    Open { until: Option<i64> },
    /// Closed, and when it opens again (`None`: not within the look-ahead,
    /// or a closure with no end).
    Closed {
        because: ClosedBecause,
        opens_at: Option<i64>,
    },
}

impl Status {
    pub fn is_open(&self) -> bool {
        matches!(self, Status::Open { .. })
    }
}

/// Everything that decides one team's hours.
#[derive(Clone, Debug, Default)]
pub struct TeamCalendar {
    pub hours: WeeklyHours,
    pub holidays: Vec<Holiday>,
    pub exceptions: Vec<Exception>,
    pub closures: Vec<Closure>,
}

/// The local (Hong Kong) date of an instant, and the instant that date began.
pub fn local_date(at: i64) -> (Date, i64) {
    let local = at + HK_OFFSET_MS;
    let day = local.div_euclid(DAY_MS);
    let date = Date::from_julian_day(UNIX_EPOCH_JULIAN + day as i32).unwrap_or(Date::MIN);
    (date, day * DAY_MS - HK_OFFSET_MS)
}

/// The instant a local (Hong Kong) date begins.
pub fn date_start(date: Date) -> i64 {
    i64::from(date.to_julian_day() - UNIX_EPOCH_JULIAN) * DAY_MS - HK_OFFSET_MS
}

/// `YYYY-MM-DD` as a date.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// A date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// 1970-01-01's Julian day number.
const UNIX_EPOCH_JULIAN: i32 = 2_440_588;

impl TeamCalendar {
    /// What decides `date`'s hours: an exception, else a holiday (closed),
    /// else the weekly hours.
    fn day(&self, date: Date) -> (Vec<Window>, Option<ClosedBecause>) {
        if let Some(exception) = self.exceptions.iter().find(|e| e.date == date) {
            return match &exception.rule {
                DayRule::Closed => (Vec::new(), Some(ClosedBecause::Exception)),
                DayRule::Hours { windows } => (windows.clone(), None),
            };
        }
        if let Some(holiday) = self.holidays.iter().find(|h| h.date == date) {
            return (
                Vec::new(),
                Some(ClosedBecause::Holiday(holiday.name.clone())),
            );
        }
        (self.hours.on(date.weekday()).to_vec(), None)
    }

    /// The open intervals (Unix ms, end exclusive) that begin on `date`.
    fn intervals(&self, date: Date) -> Vec<(i64, i64)> {
        let start = date_start(date);
        self.day(date)
            .0
            .into_iter()
            .map(|w| {
                let from = start + i64::from(w.start) * MINUTE_MS;
                (from, from + w.length() * MINUTE_MS)
            })
            .collect()
    }

    /// The open intervals beginning from the day before `from`'s date for
    /// `days` days, merged where they touch, in order.
    fn open_intervals(&self, from: i64, days: i64) -> Vec<(i64, i64)> {
        let (today, _) = local_date(from);
        let mut all: Vec<(i64, i64)> = (-1..days)
            .filter_map(|offset| today.checked_add(time::Duration::days(offset)))
            .flat_map(|date| self.intervals(date))
            .collect();
        all.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(all.len());
        for (start, end) in all {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }

    /// The closure in force at `at`, if any.
    fn closure_at(&self, at: i64) -> Option<&Closure> {
        self.closures.iter().find(|c| c.covers(at))
    }

    /// Whether the team is open at `at`, until when, or why not and when it
    /// opens again.
    pub fn status(&self, at: i64) -> Status {
        let intervals = self.open_intervals(at, LOOKAHEAD_DAYS);
        if let Some(closure) = self.closure_at(at) {
            return Status::Closed {
                because: ClosedBecause::Closure(closure.reason.clone()),
                opens_at: self.next_open(&intervals, at),
            };
        }
        if let Some(&(_, end)) = intervals.iter().find(|(s, e)| *s <= at && at < *e) {
            // Open until the interval ends, or a closure starts before that.
            let closing = self
                .closures
                .iter()
                .map(|c| c.starts_at)
                .filter(|start| *start > at && *start < end)
                .min()
                .unwrap_or(end);
            // A stretch that runs past the look-ahead has no end in sight.
            let horizon = local_date(at).1 + (LOOKAHEAD_DAYS - 1) * DAY_MS;
            let beyond = closing == end && end >= horizon;
            return Status::Open {
                until: (!beyond).then_some(closing),
            };
        }
        let (today, _) = local_date(at);
        let because = match self.day(today).1 {
            Some(reason) => reason,
            None => ClosedBecause::OutOfHours,
        };
        Status::Closed {
            because,
            opens_at: self.next_open(&intervals, at),
        }
    }

    /// When the closed stretch around `at` began: the closure's start when
    /// one is in force, else the end of the last open interval before `at`
    /// (looking back at most [`LOOKBACK_DAYS`]). `None` when the team is
    /// open at `at`, or was not open within the look-back.
    pub fn closed_since(&self, at: i64) -> Option<i64> {
        if let Some(closure) = self.closure_at(at) {
            return Some(closure.starts_at);
        }
        let intervals = self.open_intervals(at - LOOKBACK_DAYS * DAY_MS, LOOKBACK_DAYS + 1);
        if intervals.iter().any(|(s, e)| *s <= at && at < *e) {
            return None;
        }
        intervals
            .iter()
            .map(|&(_, end)| end)
            .filter(|end| *end <= at)
            .max()
    }

    /// Open all day, every day, with no holidays: the hours of a
    /// conversation with no team, which only a closure for every team closes.
    pub fn always_open(closures: Vec<Closure>) -> TeamCalendar {
        let day = vec![Window {
            start: 0,
            end: 1440,
        }];
        TeamCalendar {
            hours: WeeklyHours {
                days: std::array::from_fn(|_| day.clone()),
            },
            closures,
            ..TeamCalendar::default()
        }
    }

    /// The open stretch `at` is in, or the next one: its start and its end
    /// (`None`: it runs past the look-ahead). `None` when the team does not
    /// open again within the look-ahead.
    fn open_stretch(&self, at: i64) -> Option<(i64, Option<i64>)> {
        let start = match self.status(at) {
            Status::Open { until } => return Some((at, until.filter(|end| *end > at))),
            Status::Closed { opens_at, .. } => opens_at?,
        };
        match self.status(start) {
            Status::Open { until } => Some((start, until.filter(|end| *end > start))),
            Status::Closed { .. } => None,
        }
    }

    /// Business time between two instants: the open time, closures left out.
    pub fn open_ms_between(&self, from: i64, to: i64) -> i64 {
        let mut total = 0;
        let mut at = from;
        while at < to {
            let Some((start, end)) = self.open_stretch(at) else {
                break;
            };
            if start >= to {
                break;
            }
            let end = end.unwrap_or(to).min(to);
            total += end - start;
            at = end;
        }
        total
    }

    /// The instant `ms` of business time after `from` (`from` itself for
    /// none); `None` when the team is not open that long within the
    /// look-ahead.
    pub fn after_open_ms(&self, from: i64, ms: i64) -> Option<i64> {
        self.after_open_ms_by(from, ms, i64::MAX)
    }

    /// [`TeamCalendar::after_open_ms`], looking no further than `limit`:
    /// `None` when the instant would come after it.
    pub fn after_open_ms_by(&self, from: i64, ms: i64, limit: i64) -> Option<i64> {
        if ms <= 0 {
            return Some(from).filter(|at| *at <= limit);
        }
        let mut left = ms;
        let mut at = from;
        loop {
            let (start, end) = self.open_stretch(at)?;
            if start > limit {
                return None;
            }
            match end {
                Some(end) if end - start < left => {
                    left -= end - start;
                    at = end;
                }
                _ => return Some(start + left).filter(|at| *at <= limit),
            }
        }
    }

    /// Whether the team is open at `at` or opens again within the look-ahead.
    pub fn opens_again(&self, at: i64) -> bool {
        self.open_stretch(at).is_some()
    }

    /// The first instant after `at` inside an open interval and outside
    /// every closure.
    fn next_open(&self, intervals: &[(i64, i64)], at: i64) -> Option<i64> {
        for &(start, end) in intervals.iter().filter(|(_, end)| *end > at) {
            let mut candidate = start.max(at);
            // Step past closures that cover the candidate.
            while let Some(closure) = self.closure_at(candidate) {
                candidate = closure.ends_at?;
            }
            if candidate < end {
                return Some(candidate);
            }
        }
        None
    }
}

/// Hong Kong's general holidays for 2026 and 2027 (every Sunday is one too;
/// Sundays are left to the weekly hours), as gazetted under the General
/// Holidays Ordinance (Cap. 149) and published by the Government at
/// <https://www.gov.hk/en/about/abouthk/holiday/2026.htm> and
/// <https://www.gov.hk/en/about/abouthk/holiday/2027.htm>; cross-checked
/// against the `holidays` package 0.109 (PyPI), categories public and
/// optional. Admins can add, remove and import others.
pub fn hong_kong_general_holidays() -> Vec<Holiday> {
    use Month::*;
    const DAYS: [(i32, Month, u8, &str, &str); 34] = [
        (2026, January, 1, "The first day of January", "一月一日"),
        (2026, February, 17, "Lunar New Year's Day", "農曆年初一"),
        (
            2026,
            February,
            18,
            "The second day of Lunar New Year",
            "農曆年初二",
        ),
        (
            2026,
            February,
            19,
            "The third day of Lunar New Year",
            "農曆年初三",
        ),
        (2026, April, 3, "Good Friday", "耶穌受難節"),
        (
            2026,
            April,
            4,
            "The day following Good Friday",
            "耶穌受難節翌日",
        ),
        (
            2026,
            April,
            6,
            "The day following Ching Ming Festival",
            "清明節翌日",
        ),
        (
            2026,
            April,
            7,
            "The day following Easter Monday",
            "復活節星期一翌日",
        ),
        (2026, May, 1, "Labour Day", "勞動節"),
        (
            2026,
            May,
            25,
            "The day following the Birthday of the Buddha",
            "佛誕翌日",
        ),
        (2026, June, 19, "Tuen Ng Festival", "端午節"),
        (
            2026,
            July,
            1,
            "Hong Kong Special Administrative Region Establishment Day",
            "香港特別行政區成立紀念日",
        ),
        (
            2026,
            September,
            26,
            "The day following the Chinese Mid-Autumn Festival",
            "中秋節翌日",
        ),
        (2026, October, 1, "National Day", "國慶日"),
        (
            2026,
            October,
            19,
            "The day following Chung Yeung Festival",
            "重陽節翌日",
        ),
        (2026, December, 25, "Christmas Day", "聖誕節"),
        (
            2026,
            December,
            26,
            "The first weekday after Christmas Day",
            "聖誕節後第一個周日",
        ),
        (2027, January, 1, "The first day of January", "一月一日"),
        (2027, February, 6, "Lunar New Year's Day", "農曆年初一"),
        (
            2027,
            February,
            8,
            "The third day of Lunar New Year",
            "農曆年初三",
        ),
        (
            2027,
            February,
            9,
            "The fourth day of Lunar New Year",
            "農曆年初四",
        ),
        (2027, March, 26, "Good Friday", "耶穌受難節"),
        (
            2027,
            March,
            27,
            "The day following Good Friday",
            "耶穌受難節翌日",
        ),
        (2027, March, 29, "Easter Monday", "復活節星期一"),
        (2027, April, 5, "Ching Ming Festival", "清明節"),
        (2027, May, 1, "Labour Day", "勞動節"),
        (2027, May, 13, "The Birthday of the Buddha", "佛誕"),
        (2027, June, 9, "Tuen Ng Festival", "端午節"),
        (
            2027,
            July,
            1,
            "Hong Kong Special Administrative Region Establishment Day",
            "香港特別行政區成立紀念日",
        ),
        (
            2027,
            September,
            16,
            "The day following the Chinese Mid-Autumn Festival",
            "中秋節翌日",
        ),
        (2027, October, 1, "National Day", "國慶日"),
        (2027, October, 8, "Chung Yeung Festival", "重陽節"),
        (2027, December, 25, "Christmas Day", "聖誕節"),
        (
            2027,
            December,
            27,
            "The first weekday after Christmas Day",
            "聖誕節後第一個周日",
        ),
    ];
    DAYS.iter()
        .filter_map(|&(year, month, day, name, name_zh)| {
            Some(Holiday {
                date: Date::from_calendar_date(year, month, day).ok()?,
                name: name.to_owned(),
                name_zh: name_zh.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const HOUR: i64 = 3_600_000;

    /// The instant of `date` at `hh:mm` Hong Kong time.
    fn at(date: Date, hh: i64, mm: i64) -> i64 {
        date_start(date) + hh * HOUR + mm * MINUTE_MS
    }

    fn window(text: &str) -> Window {
        Window::parse(text).unwrap_or_else(|| panic!("{text} is a window"))
    }

    /// Mon–Fri 09:00–13:00 and 14:00–18:00 (lunch), Sat 09:00–13:00.
    fn desk() -> TeamCalendar {
        let weekday = vec![window("09:00-13:00"), window("14:00-18:00")];
        TeamCalendar {
            hours: WeeklyHours {
                days: [
                    weekday.clone(),
                    weekday.clone(),
                    weekday.clone(),
                    weekday.clone(),
                    weekday,
                    vec![window("09:00-13:00")],
                    Vec::new(),
                ],
            },
            holidays: hong_kong_general_holidays(),
            ..TeamCalendar::default()
        }
    }

    #[test]
    fn a_closed_stretch_began_when_the_last_window_ended() {
        let desk = desk();
        // Saturday 2026-12-05 closes at 13:00; Sunday is closed.
        let sunday_noon = at(date!(2026 - 12 - 06), 12, 0);
        assert_eq!(
            desk.closed_since(sunday_noon),
            Some(at(date!(2026 - 12 - 05), 13, 0))
        );
        // Lunch on Monday began at 13:00; open at 10:00.
        assert_eq!(
            desk.closed_since(at(date!(2026 - 12 - 07), 13, 30)),
            Some(at(date!(2026 - 12 - 07), 13, 0))
        );
        assert_eq!(desk.closed_since(at(date!(2026 - 12 - 07), 10, 0)), None);
        // A closure: since it started, even in hours.
        let mut closed = desk.clone();
        let start = at(date!(2026 - 12 - 07), 9, 30);
        closed.closures.push(Closure {
            starts_at: start,
            ends_at: None,
            reason: ClosureReason::Typhoon,
        });
        assert_eq!(
            closed.closed_since(at(date!(2026 - 12 - 07), 10, 0)),
            Some(start)
        );
        // Never open: no start to name.
        assert_eq!(TeamCalendar::default().closed_since(sunday_noon), None);
    }

    #[test]
    fn windows_parse_and_print_in_24_hour_time() {
        assert_eq!(
            window("09:00-18:30"),
            Window {
                start: 540,
                end: 1110
            }
        );
        assert_eq!(window("22:00–06:00").to_string(), "22:00–06:00");
        assert_eq!(window("18:00-24:00").end, 1440);
        assert_eq!(window("00:00-24:00").length(), 1440);
        assert_eq!(Window::parse("25:00-26:00"), None);
        assert_eq!(Window::parse("09:00-09:00"), None);
        assert_eq!(Window::parse("9am-5pm"), None);
        assert_eq!(Window::parse("+9:00-18:00"), None);
    }

    #[test]
    fn dates_read_and_write_as_iso() {
        assert_eq!(parse_date("2026-12-24"), Some(date!(2026 - 12 - 24)));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("24/12/2026"), None);
        assert_eq!(format_date(date!(2027 - 02 - 09)), "2027-02-09");
    }

    #[test]
    fn instants_map_to_hong_kong_dates() {
        // 2026-12-31 16:00 UTC is 2027-01-01 00:00 in Hong Kong.
        let new_year = date!(2027 - 01 - 01);
        assert_eq!(local_date(date_start(new_year)).0, new_year);
        assert_eq!(
            local_date(date_start(new_year) - 1).0,
            date!(2026 - 12 - 31)
        );
        assert_eq!(date_start(date!(1970 - 01 - 01)), -HK_OFFSET_MS);
    }

    #[test]
    fn split_shifts_close_for_lunch_and_say_until_when() {
        let desk = desk();
        let monday = date!(2026 - 12 - 07);
        assert_eq!(
            desk.status(at(monday, 10, 0)),
            Status::Open {
                until: Some(at(monday, 13, 0))
            }
        );
        assert_eq!(
            desk.status(at(monday, 13, 30)),
            Status::Closed {
                because: ClosedBecause::OutOfHours,
                opens_at: Some(at(monday, 14, 0))
            }
        );
        // 18:00 is closed (the end is exclusive); Tuesday 09:00 opens.
        assert_eq!(
            desk.status(at(monday, 18, 0)),
            Status::Closed {
                because: ClosedBecause::OutOfHours,
                opens_at: Some(at(date!(2026 - 12 - 08), 9, 0))
            }
        );
    }

    #[test]
    fn a_night_shift_runs_past_midnight_into_the_next_day() {
        let mut night = desk();
        // Fri 22:00–06:00, and Sat 00:00 is not otherwise open.
        night.hours.days[4].push(window("22:00-06:00"));
        let friday = date!(2026 - 12 - 11);
        let saturday = date!(2026 - 12 - 12);
        assert!(night.status(at(friday, 23, 0)).is_open());
        assert_eq!(
            night.status(at(saturday, 5, 59)),
            Status::Open {
                until: Some(at(saturday, 6, 0))
            }
        );
        assert_eq!(
            night.status(at(saturday, 6, 0)),
            Status::Closed {
                because: ClosedBecause::OutOfHours,
                opens_at: Some(at(saturday, 9, 0))
            }
        );
        // Windows that touch are one stretch: 18:00–24:00 then 00:00–02:00.
        let mut late = desk();
        late.hours.days[0].push(window("18:00-24:00"));
        late.hours.days[1].insert(0, window("00:00-02:00"));
        let monday = date!(2026 - 12 - 07);
        assert_eq!(
            late.status(at(monday, 17, 0)),
            Status::Open {
                until: Some(at(date!(2026 - 12 - 08), 2, 0))
            }
        );
    }

    #[test]
    fn a_holiday_weekend_opens_on_the_first_working_day_after_it() {
        let desk = desk();
        // Easter 2026: Good Friday 3 April to the day following Easter
        // Monday, 7 April; Thursday evening waits until Wednesday morning.
        let thursday = date!(2026 - 04 - 02);
        assert_eq!(
            desk.status(at(thursday, 19, 0)),
            Status::Closed {
                because: ClosedBecause::OutOfHours,
                opens_at: Some(at(date!(2026 - 04 - 08), 9, 0))
            }
        );
        assert_eq!(
            desk.status(at(date!(2026 - 04 - 04), 10, 0)),
            Status::Closed {
                because: ClosedBecause::Holiday("The day following Good Friday".into()),
                opens_at: Some(at(date!(2026 - 04 - 08), 9, 0))
            }
        );
        // Lunar New Year 2027: Saturday the 6th to Tuesday the 9th.
        assert_eq!(
            desk.status(at(date!(2027 - 02 - 05), 18, 30)),
            Status::Closed {
                because: ClosedBecause::OutOfHours,
                opens_at: Some(at(date!(2027 - 02 - 10), 9, 0))
            }
        );
    }

    #[test]
    fn an_exception_closes_a_day_or_gives_it_other_hours() {
        let mut desk = desk();
        let christmas_eve = date!(2026 - 12 - 24);
        desk.exceptions.push(Exception {
            date: christmas_eve,
            rule: DayRule::Hours {
                windows: vec![window("09:00-12:00")],
            },
        });
        assert_eq!(
            desk.status(at(christmas_eve, 11, 0)),
            Status::Open {
                until: Some(at(christmas_eve, 12, 0))
            }
        );
        // Christmas Day and the first weekday after are holidays, then Sunday.
        assert_eq!(
            desk.status(at(christmas_eve, 12, 30)),
            Status::Closed {
                because: ClosedBecause::OutOfHours,
                opens_at: Some(at(date!(2026 - 12 - 28), 9, 0))
            }
        );
        // A team that works on a holiday says so with an exception.
        let boxing_day = date!(2026 - 12 - 26);
        desk.exceptions.push(Exception {
            date: boxing_day,
            rule: DayRule::Hours {
                windows: vec![window("10:00-16:00")],
            },
        });
        assert!(desk.status(at(boxing_day, 12, 0)).is_open());
        let closed_day = date!(2026 - 12 - 29);
        desk.exceptions.push(Exception {
            date: closed_day,
            rule: DayRule::Closed,
        });
        assert_eq!(
            desk.status(at(closed_day, 10, 0)),
            Status::Closed {
                because: ClosedBecause::Exception,
                opens_at: Some(at(date!(2026 - 12 - 30), 9, 0))
            }
        );
    }

    #[test]
    fn a_team_open_only_by_exception_closes_when_the_exception_ends() {
        let christmas_eve = date!(2026 - 12 - 24);
        let team = TeamCalendar {
            exceptions: vec![Exception {
                date: christmas_eve,
                rule: DayRule::Hours {
                    windows: vec![window("09:00-12:00")],
                },
            }],
            ..TeamCalendar::default()
        };
        assert_eq!(
            team.status(at(christmas_eve, 10, 0)),
            Status::Open {
                until: Some(at(christmas_eve, 12, 0))
            }
        );
        // Open round the clock: no end within the look-ahead.
        let mut always = TeamCalendar::default();
        always.hours.days = std::array::from_fn(|_| vec![window("00:00-24:00")]);
        assert_eq!(
            always.status(at(christmas_eve, 10, 0)),
            Status::Open { until: None }
        );
    }

    #[test]
    fn a_closure_shuts_the_desk_until_it_ends_and_shortens_an_open_stretch() {
        let mut desk = desk();
        let tuesday = date!(2026 - 09 - 15);
        desk.closures.push(Closure {
            starts_at: at(tuesday, 11, 20),
            ends_at: Some(at(tuesday, 15, 40)),
            reason: ClosureReason::Typhoon,
        });
        assert_eq!(
            desk.status(at(tuesday, 10, 0)),
            Status::Open {
                until: Some(at(tuesday, 11, 20))
            }
        );
        assert_eq!(
            desk.status(at(tuesday, 12, 0)),
            Status::Closed {
                because: ClosedBecause::Closure(ClosureReason::Typhoon),
                opens_at: Some(at(tuesday, 15, 40))
            }
        );
        // A closure with no end yet: open again only when someone ends it.
        desk.closures.push(Closure {
            starts_at: at(tuesday, 17, 0),
            ends_at: None,
            reason: ClosureReason::BlackRainstorm,
        });
        assert_eq!(
            desk.status(at(tuesday, 17, 30)),
            Status::Closed {
                because: ClosedBecause::Closure(ClosureReason::BlackRainstorm),
                opens_at: None
            }
        );
    }

    #[test]
    fn business_time_skips_lunch_nights_holidays_and_closures() {
        let mut desk = desk();
        let friday = date!(2026 - 12 - 11);
        let monday = date!(2026 - 12 - 14);
        // 12:30 to 14:30 on a weekday: 30 minutes before lunch, 30 after.
        assert_eq!(
            desk.open_ms_between(at(friday, 12, 30), at(friday, 14, 30)),
            60 * MINUTE_MS
        );
        assert_eq!(
            desk.after_open_ms(at(friday, 12, 30), 60 * MINUTE_MS),
            Some(at(friday, 14, 30))
        );
        // Friday 17:50 plus 30 minutes: 10 on Friday, 20 on Saturday morning.
        let saturday = date!(2026 - 12 - 12);
        assert_eq!(
            desk.after_open_ms(at(friday, 17, 50), 30 * MINUTE_MS),
            Some(at(saturday, 9, 20))
        );
        // From Saturday noon, four hours: one on Saturday, none on Sunday,
        // three on Monday.
        assert_eq!(
            desk.after_open_ms(at(saturday, 12, 0), 4 * HOUR),
            Some(at(monday, 12, 0))
        );
        assert_eq!(
            desk.open_ms_between(at(saturday, 12, 0), at(monday, 12, 0)),
            4 * HOUR
        );
        // Christmas Day (Friday) and the day after (Saturday) are holidays,
        // and the desk does not open on Sundays.
        let christmas_eve = date!(2026 - 12 - 24);
        assert_eq!(
            desk.after_open_ms(at(christmas_eve, 17, 30), HOUR),
            Some(at(date!(2026 - 12 - 28), 9, 30))
        );
        // A black rainstorm from 10:00 to 11:00 on Monday stops the count.
        desk.closures.push(Closure {
            starts_at: at(monday, 10, 0),
            ends_at: Some(at(monday, 11, 0)),
            reason: ClosureReason::BlackRainstorm,
        });
        assert_eq!(
            desk.open_ms_between(at(monday, 9, 0), at(monday, 12, 0)),
            2 * HOUR
        );
        assert_eq!(
            desk.after_open_ms(at(monday, 9, 30), HOUR),
            Some(at(monday, 11, 30))
        );
        // Nothing counts backwards, and nothing is due at once.
        assert_eq!(desk.open_ms_between(at(monday, 12, 0), at(monday, 9, 0)), 0);
        assert_eq!(
            desk.after_open_ms(at(monday, 10, 30), 0),
            Some(at(monday, 10, 30))
        );
    }

    #[test]
    fn always_open_counts_every_minute_until_a_closure() {
        let mut open = TeamCalendar::always_open(Vec::new());
        let sunday = date!(2026 - 12 - 13);
        assert_eq!(
            open.after_open_ms(at(sunday, 23, 0), 2 * HOUR),
            Some(at(date!(2026 - 12 - 14), 1, 0))
        );
        open.closures.push(Closure {
            starts_at: at(sunday, 23, 30),
            ends_at: None,
            reason: ClosureReason::Typhoon,
        });
        assert_eq!(open.after_open_ms(at(sunday, 23, 0), 2 * HOUR), None);
        assert_eq!(
            open.open_ms_between(at(sunday, 23, 0), at(sunday, 23, 59)),
            30 * MINUTE_MS
        );
    }

    #[test]
    fn the_built_in_holidays_are_the_gazetted_seventeen_a_year() {
        let holidays = hong_kong_general_holidays();
        for year in [2026, 2027] {
            let of_year: Vec<&Holiday> =
                holidays.iter().filter(|h| h.date.year() == year).collect();
            assert_eq!(of_year.len(), 17, "{year}");
            assert!(of_year.iter().all(|h| h.date.weekday() != Weekday::Sunday));
        }
        assert!(holidays
            .iter()
            .any(|h| h.date == date!(2027 - 02 - 09) && h.name_zh == "農曆年初四"));
    }
}
