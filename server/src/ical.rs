//! Holidays as iCalendar (RFC 5545), with the `icalendar` crate: exported
//! as all-day events (SUMMARY the English name, `X-HARBOUR-NAME-ZH` the
//! Chinese one, DTEND the day after, as RFC 5545 wants), and imported from
//! any calendar's all-day events (the Government's `.ics` files included),
//! each event judged on its own so one bad event loses nothing else.

use crate::calendar::{format_date, Holiday};
use chrono::{Datelike, NaiveDate};
use icalendar::{Calendar, Component, DatePerhapsTime, Event, EventLike};
use shared::api::HolidayView;

/// The longest event taken as holidays, in days.
const MAX_DAYS: i64 = 31;
/// The most holidays one file may add.
const MAX_HOLIDAYS: usize = 1_000;

/// The property that carries a holiday's Chinese name.
const NAME_ZH: &str = "X-HARBOUR-NAME-ZH";

/// The holidays as an iCalendar file.
pub fn export(holidays: &[HolidayView]) -> String {
    let mut calendar = Calendar::new();
    calendar.name("Hong Kong general holidays (Harbour)");
    for holiday in holidays {
        let Some(date) = crate::calendar::parse_date(&holiday.date).and_then(to_chrono) else {
            continue;
        };
        let mut event = Event::new();
        event
            .uid(&format!("holiday-{}@harbour", holiday.date))
            .summary(&holiday.name)
            .starts(date)
            .add_property(NAME_ZH, &holiday.name_zh);
        if let Some(next) = date.succ_opt() {
            event.ends(next);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// One event that could not be taken as a holiday: its place, its code
/// (for the app's words) and the English reason (for integrators).
pub type Refused = shared::api::RefusedEvent;

/// The holidays a calendar file holds, and the events it could not use.
/// `Err` only when the text is not an iCalendar at all.
pub fn import(text: &str) -> Result<(Vec<Holiday>, Vec<Refused>), String> {
    let calendar: Calendar = text.parse()?;
    let mut holidays = Vec::new();
    let mut refused = Vec::new();
    for (i, event) in calendar.events().enumerate() {
        let refuse = |code: &str, reason: &str| Refused {
            event: i + 1,
            uid: event.get_uid().map(str::to_owned),
            code: code.to_owned(),
            reason: reason.to_owned(),
        };
        let name = event.get_summary().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            refused.push(refuse(
                "no_summary",
                "The event has no SUMMARY to name the holiday.",
            ));
            continue;
        }
        if event.property_value("RRULE").is_some() || event.property_value("DURATION").is_some() {
            refused.push(refuse(
                "repeats",
                "The event repeats or has a duration; list each holiday as its own all-day event.",
            ));
            continue;
        }
        if event
            .property_value("STATUS")
            .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
        {
            refused.push(refuse("cancelled", "The event is cancelled."));
            continue;
        }
        let start = match event.get_start() {
            Some(DatePerhapsTime::Date(date)) => date,
            Some(DatePerhapsTime::DateTime(_)) => {
                refused.push(refuse(
                    "has_time",
                    "The event has a time; a holiday is a whole day.",
                ));
                continue;
            }
            None => {
                refused.push(refuse("no_date", "The event has no DTSTART date."));
                continue;
            }
        };
        // DTEND is exclusive (RFC 5545); a missing or same-day end is one day.
        let days = match event.get_end() {
            Some(DatePerhapsTime::Date(end)) => (end - start).num_days().max(1),
            _ => 1,
        };
        if days > MAX_DAYS {
            refused.push(refuse(
                "too_long",
                "The event lasts more than a month; a holiday is a day or a few.",
            ));
            continue;
        }
        let name_zh = event
            .property_value(NAME_ZH)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(name);
        for offset in 0..days {
            let Some(date) = start
                .checked_add_days(chrono::Days::new(offset.unsigned_abs()))
                .and_then(from_chrono)
            else {
                refused.push(refuse("out_of_range", "The event's date is out of range."));
                break;
            };
            holidays.push(Holiday {
                date,
                name: name.chars().take(120).collect(),
                name_zh: name_zh.chars().take(120).collect(),
            });
        }
        if holidays.len() > MAX_HOLIDAYS {
            return Err(format!("a calendar of more than {MAX_HOLIDAYS} holidays"));
        }
    }
    Ok((holidays, refused))
}

fn to_chrono(date: time::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        date.year(),
        u32::from(u8::from(date.month())),
        u32::from(date.day()),
    )
}

fn from_chrono(date: NaiveDate) -> Option<time::Date> {
    crate::calendar::parse_date(&format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    ))
}

/// A holiday as the API shows it.
pub fn view(holiday: &Holiday) -> HolidayView {
    HolidayView {
        date: format_date(holiday.date),
        name: holiday.name.clone(),
        name_zh: holiday.name_zh.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::hong_kong_general_holidays;

    #[test]
    fn exported_holidays_import_back_unchanged() {
        let holidays: Vec<HolidayView> = hong_kong_general_holidays().iter().map(view).collect();
        let text = export(&holidays);
        assert!(text.contains("BEGIN:VCALENDAR") && text.contains("DTSTART;VALUE=DATE:20260217"));
        let (back, refused) = import(&text).expect("a calendar");
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(back.iter().map(view).collect::<Vec<_>>(), holidays);
    }

    #[test]
    fn timed_or_unnamed_events_are_refused_one_by_one() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n\
            BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Staff party\r\nDTSTART:20261224T180000Z\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20261231\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:c\r\nSUMMARY:New Year's Eve half day\r\nDTSTART;VALUE=DATE:20261231\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let (holidays, refused) = import(text).expect("a calendar");
        assert_eq!(holidays.len(), 1);
        assert_eq!(holidays[0].name_zh, "New Year's Eve half day");
        assert_eq!(
            refused
                .iter()
                .map(|r| (r.event, r.uid.as_deref()))
                .collect::<Vec<_>>(),
            [(1, Some("a")), (2, Some("b"))]
        );
        assert!(import("not a calendar").is_err());
        // A multi-day event is each of its days (DTEND exclusive).
        let lunar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n\
            BEGIN:VEVENT\r\nUID:lny\r\nSUMMARY:Lunar New Year\r\nDTSTART;VALUE=DATE:20270206\r\nDTEND;VALUE=DATE:20270210\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:r\r\nSUMMARY:Every Friday\r\nDTSTART;VALUE=DATE:20270108\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let (days, refused) = import(lunar).expect("a calendar");
        assert_eq!(
            days.iter().map(|h| format_date(h.date)).collect::<Vec<_>>(),
            ["2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09"]
        );
        assert_eq!(refused.len(), 1);
    }
}
