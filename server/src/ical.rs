//! Holidays as iCalendar (RFC 5545), with the `icalendar` crate: exported
//! as all-day events (SUMMARY the English name, `X-HARBOUR-NAME-ZH` the
//! Chinese one, DTEND the day after, as RFC 5545 wants), and imported from
//! any calendar's all-day events (the Government's `.ics` files included),
//! each event judged on its own so one bad event loses nothing else.

use crate::calendar::{format_date, Holiday};
use chrono::{Datelike, NaiveDate};
use icalendar::{Calendar, Component, DatePerhapsTime, Event, EventLike};
use shared::api::HolidayView;

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

/// One event that could not be taken as a holiday, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Refused {
    /// The event's place in the file, from 1.
    pub event: usize,
    pub uid: Option<String>,
    pub reason: String,
}

/// The holidays a calendar file holds, and the events it could not use.
/// `Err` only when the text is not an iCalendar at all.
pub fn import(text: &str) -> Result<(Vec<Holiday>, Vec<Refused>), String> {
    let calendar: Calendar = text.parse()?;
    let mut holidays = Vec::new();
    let mut refused = Vec::new();
    for (i, event) in calendar.events().enumerate() {
        let refuse = |reason: &str| Refused {
            event: i + 1,
            uid: event.get_uid().map(str::to_owned),
            reason: reason.to_owned(),
        };
        let name = event.get_summary().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            refused.push(refuse("The event has no SUMMARY to name the holiday."));
            continue;
        }
        let date = match event.get_start() {
            Some(DatePerhapsTime::Date(date)) => date,
            Some(DatePerhapsTime::DateTime(_)) => {
                refused.push(refuse("The event has a time; a holiday is a whole day."));
                continue;
            }
            None => {
                refused.push(refuse("The event has no DTSTART date."));
                continue;
            }
        };
        let Some(date) = from_chrono(date) else {
            refused.push(refuse("The event's date is out of range."));
            continue;
        };
        let name_zh = event
            .property_value(NAME_ZH)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(name);
        holidays.push(Holiday {
            date,
            name: name.chars().take(120).collect(),
            name_zh: name_zh.chars().take(120).collect(),
        });
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
    }
}
