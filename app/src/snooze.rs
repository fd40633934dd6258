//! Snooze presets in Hong Kong time: in an hour, tomorrow at 09:00, next
//! Monday at 09:00; and reading a custom `datetime-local` value.

const HK_OFFSET_MS: i64 = 8 * 60 * 60 * 1000;
const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The start of the Hong Kong day containing `ms`, in epoch ms.
fn hk_midnight(ms: i64) -> i64 {
    (ms + HK_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - HK_OFFSET_MS
}

pub fn in_one_hour(now: i64) -> i64 {
    now + HOUR_MS
}

/// 09:00 tomorrow, Hong Kong time.
pub fn tomorrow_morning(now: i64) -> i64 {
    hk_midnight(now) + DAY_MS + 9 * HOUR_MS
}

/// 09:00 on the coming Monday (a week on when today is Monday).
pub fn next_monday_morning(now: i64) -> i64 {
    let days = 7 - crate::format::hk_weekday(now);
    hk_midnight(now) + days * DAY_MS + 9 * HOUR_MS
}

/// Reads "2026-11-28T14:30" (as `<input type=datetime-local>` gives it) as
/// Hong Kong time.
pub fn parse_hk_local(value: &str) -> Option<i64> {
    let (date, time) = value.trim().split_once('T')?;
    let mut date_parts = date.split('-').map(str::parse::<i64>);
    let (year, month, day) = (
        date_parts.next()?.ok()?,
        date_parts.next()?.ok()?,
        date_parts.next()?.ok()?,
    );
    let mut time_parts = time.split(':').map(str::parse::<i64>);
    let (hour, minute) = (time_parts.next()?.ok()?, time_parts.next()?.ok()?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * DAY_MS + hour * HOUR_MS + minute * 60_000 - HK_OFFSET_MS)
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::hk_date_time;

    // 2026-11-27 09:00 HKT, a Friday.
    const FRIDAY_MORNING: i64 = 1_795_741_200_000;

    #[test]
    fn presets_land_on_hong_kong_mornings() {
        assert_eq!(
            hk_date_time(tomorrow_morning(FRIDAY_MORNING)),
            "2026-11-28 09:00 HKT"
        );
        assert_eq!(
            hk_date_time(next_monday_morning(FRIDAY_MORNING)),
            "2026-11-30 09:00 HKT"
        );
        assert_eq!(
            hk_date_time(in_one_hour(FRIDAY_MORNING)),
            "2026-11-27 10:00 HKT"
        );
        // Late on Sunday night in Hong Kong (still Sunday afternoon in UTC).
        let sunday_late = FRIDAY_MORNING + 2 * DAY_MS + 14 * HOUR_MS;
        assert_eq!(
            hk_date_time(tomorrow_morning(sunday_late)),
            "2026-11-30 09:00 HKT"
        );
        assert_eq!(
            hk_date_time(next_monday_morning(sunday_late)),
            "2026-11-30 09:00 HKT"
        );
    }

    #[test]
    fn custom_times_are_read_as_hong_kong_time() {
        assert_eq!(parse_hk_local("2026-11-27T09:00"), Some(FRIDAY_MORNING));
        assert_eq!(parse_hk_local("2026-13-01T09:00"), None);
        assert_eq!(parse_hk_local("tomorrow"), None);
    }
}
