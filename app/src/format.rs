//! Time formatting in Hong Kong time (UTC+8, no daylight saving), 24-hour,
//! as UI.md asks for absolute times.

const HK_OFFSET_MS: i64 = 8 * 60 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

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

/// "2025-11-27 14:03 HKT", for titles and tooltips.
pub fn hk_date_time(epoch_ms: i64) -> String {
    let time = hk_time(epoch_ms);
    format!("{} {} HKT", hk_date(epoch_ms), &time[..5])
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
