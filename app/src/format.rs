//! Time formatting in Hong Kong time (UTC+8, no daylight saving), 24-hour,
//! as UI.md asks for absolute times, and short relative times for lists.

use crate::i18n::td_string;

const HK_OFFSET_MS: i64 = 8 * 60 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const MINUTE_MS: i64 = 60 * 1000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// "14:03:27" for a moment given in milliseconds since the Unix epoch.
pub fn hk_time(epoch_ms: i64) -> String {
    let local = epoch_ms + HK_OFFSET_MS;
    let secs_of_day = local.rem_euclid(DAY_MS) / 1000;
    format!(
        "{:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// "2025-11-27" in Hong Kong.
pub fn hk_date(epoch_ms: i64) -> String {
    let days = (epoch_ms + HK_OFFSET_MS).div_euclid(DAY_MS);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// 0 for Monday … 6 for Sunday, in Hong Kong.
pub fn hk_weekday(ms: i64) -> i64 {
    // 1970-01-01 was a Thursday (3).
    ((ms + HK_OFFSET_MS).div_euclid(DAY_MS) + 3).rem_euclid(7)
}

/// "2025-11-27 14:03 HKT", for titles and tooltips.
pub fn hk_date_time(epoch_ms: i64) -> String {
    let time = hk_time(epoch_ms);
    format!("{} {} HKT", hk_date(epoch_ms), &time[..5])
}

/// "14:03", for message times.
pub fn hk_clock(epoch_ms: i64) -> String {
    hk_time(epoch_ms)[..5].to_owned()
}

/// "14:03" today, "2025-11-27 14:03" on other days (Hong Kong dates).
pub fn hk_clock_or_date(epoch_ms: i64, now_ms: i64) -> String {
    if hk_date(epoch_ms) == hk_date(now_ms) {
        hk_clock(epoch_ms)
    } else {
        format!("{} {}", hk_date(epoch_ms), hk_clock(epoch_ms))
    }
}

/// A span of time in a few characters: "<1m", "12m", "3h", "2d".
pub fn short_duration(ms: i64) -> String {
    let ms = ms.max(0);
    let locale = crate::language::current_locale();
    if ms < MINUTE_MS {
        td_string!(locale, time.under_one_minute_short).to_owned()
    } else if ms < HOUR_MS {
        format!("{}{}", ms / MINUTE_MS, td_string!(locale, time.m_after))
    } else if ms < DAY_MS {
        format!("{}{}", ms / HOUR_MS, td_string!(locale, time.h_after))
    } else {
        format!("{}{}", ms / DAY_MS, td_string!(locale, time.d_after))
    }
}

/// How long ago, as lists show it: "now", "2m", "3h", "5d", then the date.
pub fn relative_age(epoch_ms: i64, now_ms: i64) -> String {
    let elapsed = (now_ms - epoch_ms).max(0);
    if elapsed < MINUTE_MS {
        td_string!(crate::language::current_locale(), time.now).to_owned()
    } else if elapsed < 7 * DAY_MS {
        short_duration(elapsed)
    } else {
        hk_date(epoch_ms)
    }
}

/// A count with thousands separated, as lists show it: "10,000".
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Time left until a deadline: "31 h", "45 min", "under a minute".
pub fn time_left(until_ms: i64, now_ms: i64) -> String {
    let left = until_ms - now_ms;
    let locale = crate::language::current_locale();
    if left >= HOUR_MS {
        format!("{}{}", left / HOUR_MS, td_string!(locale, time.hours_after))
    } else if left >= MINUTE_MS {
        format!(
            "{}{}",
            left / MINUTE_MS,
            td_string!(locale, time.minutes_after)
        )
    } else {
        td_string!(locale, time.under_a_minute).to_owned()
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The first millisecond of a Hong Kong date written `2025-11-27` (as a
/// date input gives it); `None` for anything else.
pub fn hk_day_start(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * DAY_MS - HK_OFFSET_MS)
}

/// The last millisecond of that Hong Kong date.
pub fn hk_day_end(date: &str) -> Option<i64> {
    hk_day_start(date).map(|start| start + DAY_MS - 1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of
/// `civil_from_days`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_input_is_a_hong_kong_day() {
        let start = hk_day_start("2026-12-07").expect("date");
        assert_eq!(hk_date(start), "2026-12-07");
        assert_eq!(hk_time(start), "00:00:00");
        assert_eq!(hk_date(start - 1), "2026-12-06");
        let end = hk_day_end("2026-12-07").expect("date");
        assert_eq!(hk_date(end), "2026-12-07");
        assert_eq!(hk_date(end + 1), "2026-12-08");
        assert_eq!(
            hk_date(hk_day_start("2024-02-29").expect("leap day")),
            "2024-02-29"
        );
        assert_eq!(hk_day_start("7 Dec"), None);
        assert_eq!(hk_day_start("2026-13-01"), None);
    }

    #[test]
    fn counts_are_grouped_in_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(10_000), "10,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn midnight_utc_is_eight_in_the_morning_in_hong_kong() {
        assert_eq!(hk_time(0), "08:00:00");
        assert_eq!(hk_date(0), "1970-01-01");
    }

    #[test]
    fn late_utc_evening_is_the_next_day_in_hong_kong() {
        // 2024-02-29T20:30:00Z
        let ms = 1_709_238_600_000;
        assert_eq!(hk_date_time(ms), "2024-03-01 04:30 HKT");
    }

    #[test]
    fn relative_ages_are_short() {
        let now = 1_709_238_600_000;
        assert_eq!(relative_age(now - 20_000, now), "now");
        assert_eq!(relative_age(now - 2 * MINUTE_MS - 5, now), "2m");
        assert_eq!(relative_age(now - 3 * HOUR_MS, now), "3h");
        assert_eq!(relative_age(now - 2 * DAY_MS, now), "2d");
        assert_eq!(relative_age(now + 5_000, now), "now");
        assert_eq!(relative_age(now - 30 * DAY_MS, now), "2024-01-31");
    }

    #[test]
    fn time_left_rounds_down() {
        let now = 0;
        assert_eq!(time_left(31 * HOUR_MS + 59 * MINUTE_MS, now), "31 h");
        assert_eq!(time_left(45 * MINUTE_MS + 10, now), "45 min");
        assert_eq!(time_left(30_000, now), "under a minute");
    }

    #[test]
    fn message_times_show_the_date_on_other_days() {
        let now = 1_709_238_600_000; // 2024-03-01 04:30 HKT
        assert_eq!(hk_clock_or_date(now - HOUR_MS, now), "03:30");
        assert_eq!(hk_clock_or_date(now - 5 * HOUR_MS, now), "2024-02-29 23:30");
    }
}
