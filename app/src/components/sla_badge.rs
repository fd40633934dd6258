//! Where a conversation's SLA stands, in the list and the header: "First
//! reply 12m left", amber once past its warning, red once breached
//! ("overdue 3m"), grey while paused. Due times count business hours, so
//! the time left is to the due instant the server worked out.

use leptos::prelude::*;
use shared::sla::{SlaMetric, SlaPause, SlaStatus};

use crate::format::{hk_date_time, short_duration};
use crate::i18n::td_string;
use crate::language::current_locale;

/// A metric in the reader's language.
pub fn metric_label(metric: SlaMetric) -> &'static str {
    let locale = current_locale();
    match metric {
        SlaMetric::FirstResponse => td_string!(locale, sla.first_response),
        SlaMetric::NextResponse => td_string!(locale, sla.next_response),
        SlaMetric::Resolution => td_string!(locale, sla.resolution),
    }
}

/// "12m left", "overdue 3m" or "paused" at `now`.
fn standing(sla: &SlaStatus, now: i64) -> String {
    let locale = current_locale();
    if let Some(due) = sla.breached_at.or(sla.due_at.filter(|due| *due <= now)) {
        return format!(
            "{}{}",
            td_string!(locale, sla.overdue_before),
            short_duration(now - due)
        );
    }
    let left = |ms: i64| {
        format!(
            "{}{}{}",
            td_string!(locale, sla.left_before),
            short_duration(ms),
            td_string!(locale, sla.left_after)
        )
    };
    match (sla.paused, sla.due_at) {
        (None, Some(due)) => left(due - now),
        // Due only after WeChat's window closes: what is left stands still.
        (None, None) => left(sla.left_ms),
        (Some(_), _) => td_string!(locale, sla.paused).to_owned(),
    }
}

/// The badge's tooltip: the target, and when it is due, breached or why
/// it is paused.
fn explain(sla: &SlaStatus) -> String {
    let locale = current_locale();
    let target = format!(
        "{}{}{}",
        td_string!(locale, sla.target_before),
        sla.target_ms / 60_000,
        td_string!(locale, sla.target_after)
    );
    let when = match (sla.breached_at, sla.paused, sla.due_at) {
        (Some(at), _, _) => format!(
            "{}{}{}",
            td_string!(locale, sla.breached_before),
            hk_date_time(at),
            td_string!(locale, sla.breached_after)
        ),
        (None, Some(SlaPause::Pending), _) => td_string!(locale, sla.paused_pending).to_owned(),
        (None, Some(SlaPause::WindowClosed), _) => td_string!(locale, sla.paused_window).to_owned(),
        (None, Some(SlaPause::Closed), _) => td_string!(locale, sla.paused_closed).to_owned(),
        (None, None, Some(due)) => format!(
            "{}{}",
            td_string!(locale, sla.due_before),
            hk_date_time(due)
        ),
        (None, None, None) => td_string!(locale, sla.window_first).to_owned(),
    };
    [metric_label(sla.metric).to_owned(), target, when]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

#[component]
pub fn SlaBadge(sla: SlaStatus, now: Signal<i64>) -> impl IntoView {
    let breached = {
        let sla = sla.clone();
        move || sla.breached(now.get())
    };
    let at_risk = {
        let sla = sla.clone();
        move || sla.at_risk(now.get()) && !sla.breached(now.get())
    };
    let paused = sla.paused.is_some() && sla.breached_at.is_none();
    let title = explain(&sla);
    let metric = metric_label(sla.metric);
    let metric_key = sla.metric.as_str();
    view! {
        <span
            class="sla-badge"
            class:is-at-risk=at_risk
            class:is-breached=breached
            class:is-paused=paused
            data-metric=metric_key
            title=title.clone()
        >
            <span class="sla-metric">{metric}</span>
            " "
            <span class="sla-time">{move || standing(&sla, now.get())}</span>
            <span class="visually-hidden">{format!(" ({title})")}</span>
        </span>
    }
}
