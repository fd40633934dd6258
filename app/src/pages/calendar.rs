//! Hours and holidays at /admin/calendar, for admins and supervisors: a
//! team's week of business hours (several windows a day, a window may run
//! past midnight), its dated exceptions (closed, or special hours such as
//! Christmas Eve's half day), whether it is open now, and Hong Kong's
//! general holidays, with iCalendar import and export. Supervisors set their
//! own teams' hours; holidays are the admins'. Every change is an event on
//! the server, which decides who may change what.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{HolidayImport, HolidayView, HoursException, Team, TeamHours, TeamStatus};
use shared::TeamId;

use crate::api::{self, ApiError};
use crate::components::admin_only::forbidden_page;
use crate::components::confirm_button::ConfirmButton;
use crate::components::error_state::ErrorState;
use crate::components::form_banner::FormBanner;
use crate::components::page_header::PageHeader;
use crate::format::{hk_clock_or_date, hk_date_time, hk_day_start, hk_weekday};
use crate::i18n::{t, t_string, use_i18n, Locale};
use crate::pages::automation::may_automate;
use crate::remote::{LoadStatus, RemoteList};
use crate::state::auth::AuthState;

#[component]
pub fn CalendarPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let forbidden = || {
        forbidden_page(
            "automation_page",
            "Only administrators and supervisors can open this page.",
        )
    };
    view! {
        <Show when=move || may_automate(auth) fallback=forbidden>
            <Calendar />
        </Show>
    }
}

/// The day's name, Monday (0) to Sunday (6).
fn day_name(i18n: leptos_i18n::I18nContext<Locale>, day: i64) -> &'static str {
    match day {
        0 => t_string!(i18n, calendar.day_0),
        1 => t_string!(i18n, calendar.day_1),
        2 => t_string!(i18n, calendar.day_2),
        3 => t_string!(i18n, calendar.day_3),
        4 => t_string!(i18n, calendar.day_4),
        5 => t_string!(i18n, calendar.day_5),
        _ => t_string!(i18n, calendar.day_6),
    }
}

/// "2026-12-24 · Thursday".
fn dated(i18n: leptos_i18n::I18nContext<Locale>, date: &str) -> String {
    match hk_day_start(date) {
        Some(ms) => format!("{date} · {}", day_name(i18n, hk_weekday(ms))),
        None => date.to_owned(),
    }
}

/// A day's windows as typed ("9:00-13:00, 14:00 – 18:00"; commas,
/// Chinese commas or spaces between them; full-width colons and any dash
/// or tilde), each written back as "09:00–13:00"; `None` when one of them
/// is not a window the server takes (it also checks overlaps).
pub fn windows_of(text: &str) -> Option<Vec<String>> {
    const DASHES: [char; 5] = ['-', '–', '—', '~', '～'];
    // Spaces around a dash belong to the window, not between two.
    let mut joined = String::with_capacity(text.len());
    let mut after_dash = false;
    for c in text.chars() {
        let c = if c == '：' { ':' } else { c };
        if DASHES.contains(&c) {
            joined.truncate(joined.trim_end().len());
            joined.push('-');
            after_dash = true;
        } else if c.is_whitespace() && after_dash {
            continue;
        } else {
            joined.push(c);
            after_dash = false;
        }
    }
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.split_once(':')?;
        let digits =
            |x: &str| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
    };
    joined
        .split([',', '，', '、', ';', '；'])
        .flat_map(str::split_whitespace)
        .map(|w| {
            let (start, end) = w.split_once('-')?;
            let (start, end) = (minutes(start)?, minutes(end)?);
            // 00:00–24:00 is the whole day; 09:00–09:00 is nothing.
            (start < 1440 && start != end).then(|| {
                format!(
                    "{:02}:{:02}–{:02}:{:02}",
                    start / 60,
                    start % 60,
                    end / 60,
                    end % 60
                )
            })
        })
        .collect()
}

/// The teams this user may set hours for: all for an admin, a
/// supervisor's own.
fn own_teams(auth: AuthState, teams: &[Team]) -> Vec<Team> {
    let Some(user) = auth.user() else {
        return Vec::new();
    };
    teams
        .iter()
        .filter(|t| auth.is_admin() || user.teams.iter().any(|r| r.id == t.id))
        .cloned()
        .collect()
}

#[component]
fn Calendar() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let teams = RemoteList::<Team>::new();
    teams.load(api::teams::list(auth));
    let holidays = RemoteList::<HolidayView>::new();
    let load_holidays = move || holidays.load(api::calendar::holidays(auth));
    load_holidays();
    let picked = RwSignal::new(None::<TeamId>);
    let mine = Memo::new(move |_| teams.items.with(|all| own_teams(auth, all)));
    // The team picked, or the first of the user's until they pick one.
    let chosen = Memo::new(move |_| {
        picked
            .get()
            .or_else(|| mine.with(|m| m.first().map(|t| t.id)))
    });
    view! {
        <div class="page calendar-page">
            <PageHeader
                title=move || t_string!(i18n, nav.calendar)
                description=move || t_string!(i18n, calendar.description)
            />
            <section class="card" aria-labelledby="hours-title">
                <header class="calendar-team-header">
                    <h2 id="hours-title" class="card-title">{t!(i18n, calendar.hours_title)}</h2>
                    <label class="calendar-team-pick">
                        <span>{t!(i18n, rules.team)}</span>
                        <select
                            id="calendar-team"
                            on:change=move |ev| picked.set(event_target_value(&ev).parse().ok())
                        >
                            <For
                                each=move || mine.get()
                                key=|team| team.id
                                children=move |team| {
                                    let id = team.id;
                                    view! {
                                        <option value=id.to_string() prop:selected=move || chosen.get() == Some(id)>
                                            {team.name}
                                        </option>
                                    }
                                }
                            />
                        </select>
                    </label>
                </header>
                {move || match (teams.status.get(), chosen.get()) {
                    (LoadStatus::Failed(error), _) => view! { <ErrorState error=error /> }.into_any(),
                    (LoadStatus::Loading, None) => {
                        view! { <p class="muted" role="status">{t!(i18n, calendar.loading)}</p> }.into_any()
                    }
                    (_, None) => view! { <p class="muted">{t!(i18n, calendar.no_team)}</p> }.into_any(),
                    (_, Some(team)) => view! { <TeamCalendar team=team holidays=holidays /> }.into_any(),
                }}
            </section>
            <section class="card" aria-labelledby="holidays-title">
                <h2 id="holidays-title" class="card-title">{t!(i18n, calendar.holidays_title)}</h2>
                <p class="card-lede">{t!(i18n, calendar.holidays_lede)}</p>
                {move || match holidays.status.get() {
                    LoadStatus::Failed(error) => Some(view! { <ErrorState error=error /> }),
                    _ => None,
                }}
                <Holidays holidays=holidays reload=Callback::new(move |()| load_holidays()) />
            </section>
        </div>
    }
}

/// One team's week, exceptions and standing now. The week's form is built
/// once, so saving an exception keeps what is being typed in it.
#[component]
fn TeamCalendar(team: TeamId, holidays: RemoteList<HolidayView>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let week = RwSignal::new(None::<Result<Vec<Vec<String>>, ApiError>>);
    let exceptions = RwSignal::new(Vec::<HoursException>::new());
    let status = RwSignal::new(None::<TeamStatus>);
    let look_now = move || {
        spawn_local(async move {
            if let Ok(now) = api::calendar::status(auth, team).await {
                status.try_set(Some(now));
            }
        });
    };
    // The week is read once; saves hand back the exceptions.
    spawn_local(async move {
        match api::calendar::hours(auth, team).await {
            Ok(hours) => {
                exceptions.try_set(hours.exceptions);
                week.try_set(Some(Ok(hours.weekly)));
            }
            Err(error) => {
                week.try_set(Some(Err(error)));
            }
        }
    });
    // The standing is read at once (an effect's first run), again when
    // holidays are added or removed, and when the moment it names passes.
    Effect::new(move |_| {
        holidays.items.track();
        look_now();
    });
    let now = crate::clock::use_now(std::time::Duration::from_secs(30));
    Effect::new(move |_| {
        let now = now.get();
        let turned = status.with_untracked(|s| {
            s.as_ref()
                .and_then(|s| s.until.or(s.opens_at))
                .is_some_and(|at| at <= now)
        });
        if turned {
            look_now();
        }
    });
    let saved = Callback::new(move |fresh: TeamHours| {
        exceptions.try_set(fresh.exceptions);
        look_now();
    });
    view! {
        <StatusLine status=status holidays=holidays />
        {move || match week.get() {
            None => view! { <p class="muted" role="status">{t!(i18n, calendar.loading)}</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorState error=error /> }.into_any(),
            Some(Ok(weekly)) => view! {
                <WeekForm team=team weekly=weekly on_saved=saved />
                <h3 class="form-title calendar-subtitle">{t!(i18n, calendar.exceptions_title)}</h3>
                <Exceptions team=team exceptions=exceptions on_saved=saved />
            }
                .into_any(),
        }}
    }
}

/// "Open now, until 18:00" or "Closed now: public holiday (Christmas Day) ·
/// opens 2026-12-28 09:00 HKT".
#[component]
fn StatusLine(
    status: RwSignal<Option<TeamStatus>>,
    holidays: RemoteList<HolidayView>,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = move || {
        let status = status.get()?;
        if status.open {
            let line = match status.until {
                Some(until) => format!(
                    "{}{}",
                    t_string!(i18n, calendar.open_until),
                    hk_clock_or_date(until, crate::clock::now_ms())
                ),
                None => t_string!(i18n, calendar.open_always).to_owned(),
            };
            return Some((true, line));
        }
        let why = match status.because.as_deref() {
            Some("holiday") => {
                let english = status.holiday.clone().unwrap_or_default();
                let chinese = i18n.get_locale() != Locale::en;
                let name = holidays.items.with(|all| {
                    all.iter().find(|h| h.name == english).map(|h| {
                        if chinese {
                            h.name_zh.clone()
                        } else {
                            h.name.clone()
                        }
                    })
                });
                match name {
                    Some(name) => format!("{} ({name})", t_string!(i18n, calendar.closed_holiday)),
                    None => t_string!(i18n, calendar.closed_holiday).to_owned(),
                }
            }
            Some("exception") => t_string!(i18n, calendar.closed_exception).to_owned(),
            Some("closure") => t_string!(i18n, calendar.closed_closure).to_owned(),
            _ => t_string!(i18n, calendar.closed_hours).to_owned(),
        };
        let opens = status
            .opens_at
            .map(|at| {
                format!(
                    " · {}{}",
                    t_string!(i18n, calendar.opens_at),
                    hk_date_time(at)
                )
            })
            .unwrap_or_default();
        Some((false, format!("{why}{opens}")))
    };
    view! {
        <p class="calendar-status" data-open=move || text().map(|(open, _)| open.to_string()) role="status">
            {move || text().map(|(_, line)| view! {
                <span class="calendar-status-dot" aria-hidden="true"></span>
                {line}
            })}
        </p>
    }
}

/// Seven text fields, Monday first; an empty one is a closed day.
#[component]
fn WeekForm(
    team: TeamId,
    weekly: Vec<Vec<String>>,
    on_saved: Callback<TeamHours>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let days: Vec<RwSignal<String>> = (0..7)
        .map(|d| RwSignal::new(weekly.get(d).map(|w| w.join(", ")).unwrap_or_default()))
        .collect();
    let bad = RwSignal::new(None::<usize>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let fields = days.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        done.set(false);
        error.set(None);
        let mut week = Vec::with_capacity(7);
        for (i, day) in fields.iter().enumerate() {
            match windows_of(&day.get_untracked()) {
                Some(windows) => week.push(windows),
                None => {
                    bad.set(Some(i));
                    focus(&format!("hours-day-{i}"));
                    return;
                }
            }
        }
        bad.set(None);
        busy.set(true);
        let written = fields.clone();
        spawn_local(async move {
            match api::calendar::set_hours(auth, team, week).await {
                Ok(fresh) => {
                    // Written back as the server keeps them: "09:00–13:00".
                    for (field, day) in written.iter().zip(&fresh.weekly) {
                        field.try_set(day.join(", "));
                    }
                    done.try_set(true);
                    on_saved.try_run(fresh);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <form class="calendar-week" novalidate on:submit=submit>
            <p class="field-hint">{t!(i18n, calendar.hours_hint)}</p>
            {days
                .into_iter()
                .enumerate()
                .map(|(i, value)| {
                    let id = format!("hours-day-{i}");
                    let error_id = format!("hours-day-{i}-error");
                    let wrong = move || bad.get() == Some(i);
                    view! {
                        <div class="calendar-day field">
                            <label for=id.clone()>{move || day_name(i18n, i as i64)}</label>
                            <input
                                id=id
                                type="text"
                                autocomplete="off"
                                placeholder=move || t_string!(i18n, calendar.closed_all_day)
                                aria-invalid=move || wrong().to_string()
                                aria-describedby=move || wrong().then(|| error_id.clone())
                                bind:value=value
                            />
                            {move || wrong().then(|| view! {
                                <p class="field-error" id=format!("hours-day-{i}-error")>{t!(i18n, calendar.bad_windows)}</p>
                            })}
                        </div>
                    }
                })
                .collect_view()}
            <div class="inline-form-actions">
                <button type="submit" class="button" disabled=move || busy.get()>
                    {t!(i18n, calendar.save_hours)}
                </button>
                <span class="calendar-saved" role="status">
                    {move || done.get().then(|| t_string!(i18n, calendar.hours_saved))}
                </span>
            </div>
            <FormBanner error=error />
        </form>
    }
}

fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// The team's dated exceptions, and a form to add or replace one.
#[component]
fn Exceptions(
    team: TeamId,
    exceptions: RwSignal<Vec<HoursException>>,
    on_saved: Callback<TeamHours>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let date = RwSignal::new(String::new());
    let closed = RwSignal::new(true);
    let windows = RwSignal::new(String::new());
    // Which field is wrong: "date" or "windows".
    let bad = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        let day = date.get_untracked().trim().to_owned();
        if hk_day_start(&day).is_none() {
            bad.set(Some("date"));
            focus("exception-date");
            return;
        }
        let is_closed = closed.get_untracked();
        let parsed = if is_closed {
            Some(Vec::new())
        } else {
            windows_of(&windows.get_untracked()).filter(|w| !w.is_empty())
        };
        let Some(parsed) = parsed else {
            bad.set(Some("windows"));
            focus("exception-windows");
            return;
        };
        bad.set(None);
        let exception = HoursException {
            date: day,
            closed: is_closed,
            windows: parsed,
        };
        busy.set(true);
        spawn_local(async move {
            match api::calendar::set_exception(auth, team, &exception).await {
                Ok(fresh) => {
                    date.try_set(String::new());
                    windows.try_set(String::new());
                    on_saved.try_run(fresh);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let remove = move |day: String| {
        spawn_local(async move {
            match api::calendar::remove_exception(auth, team, &day).await {
                Ok(()) => {
                    exceptions.try_update(|all| all.retain(|e| e.date != day));
                    if let Ok(fresh) = api::calendar::hours(auth, team).await {
                        on_saved.try_run(fresh);
                    }
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <Show
            when=move || exceptions.with(|e| !e.is_empty())
            fallback=move || view! { <p class="muted">{t!(i18n, calendar.no_exceptions)}</p> }
        >
            <ul class="calendar-exceptions" role="list">
                <For
                    each=move || exceptions.get()
                    key=|e| (e.date.clone(), e.closed, e.windows.clone())
                    children=move |e| {
                        let day = e.date.clone();
                        let (shown, label_date) = (e.date.clone(), e.date.clone());
                        let windows = e.windows.join(", ");
                        let closed = e.closed;
                        view! {
                            <li class="calendar-exception" data-date=e.date.clone() data-closed=e.closed.to_string()>
                                <span class="calendar-exception-date">{move || dated(i18n, &shown)}</span>
                                <span class="calendar-exception-what">
                                    {move || if closed {
                                        t_string!(i18n, calendar.closed_all_day).to_owned()
                                    } else {
                                        windows.clone()
                                    }}
                                </span>
                                <button
                                    type="button"
                                    class="button button-small button-ghost"
                                    aria-label=move || format!("{}{}", t_string!(i18n, calendar.remove_exception_before), label_date)
                                    on:click=move |_| remove(day.clone())
                                >
                                    {t!(i18n, calendar.remove)}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </Show>
        <form class="form-grid calendar-exception-form" novalidate on:submit=submit>
            <div class="field">
                <label for="exception-date">{t!(i18n, calendar.date)}</label>
                <input
                    id="exception-date"
                    type="date"
                    required
                    aria-invalid=move || (bad.get() == Some("date")).to_string()
                    aria-describedby=move || (bad.get() == Some("date")).then_some("exception-date-error")
                    bind:value=date
                />
                {move || (bad.get() == Some("date")).then(|| view! {
                    <p class="field-error" id="exception-date-error">{t!(i18n, field_error.date)}</p>
                })}
            </div>
            <fieldset class="field calendar-exception-kind">
                <legend>{t!(i18n, calendar.that_day)}</legend>
                <label class="check">
                    <input type="radio" name="exception-kind" value="closed" prop:checked=move || closed.get() on:change=move |_| closed.set(true) />
                    {t!(i18n, calendar.closed_all_day)}
                </label>
                <label class="check">
                    <input type="radio" name="exception-kind" value="hours" prop:checked=move || !closed.get() on:change=move |_| closed.set(false) />
                    {t!(i18n, calendar.special_hours)}
                </label>
            </fieldset>
            <Show when=move || !closed.get()>
                <div class="field field-span-2">
                    <label for="exception-windows">{t!(i18n, calendar.windows)}</label>
                    <input
                        id="exception-windows"
                        type="text"
                        autocomplete="off"
                        placeholder="09:00–13:00"
                        aria-invalid=move || (bad.get() == Some("windows")).to_string()
                        aria-describedby=move || (bad.get() == Some("windows")).then_some("exception-windows-error")
                        bind:value=windows
                    />
                    {move || (bad.get() == Some("windows")).then(|| view! {
                        <p class="field-error" id="exception-windows-error">{t!(i18n, calendar.bad_windows)}</p>
                    })}
                </div>
            </Show>
            <div class="inline-form-actions field-wide">
                <button type="submit" class="button" disabled=move || busy.get()>
                    {t!(i18n, calendar.save_exception)}
                </button>
            </div>
            <FormBanner error=error class="field-wide" />
        </form>
    }
}

/// The holidays of a year; admins add, remove and import, and everyone
/// here may export.
#[component]
fn Holidays(holidays: RemoteList<HolidayView>, reload: Callback<()>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let admin = auth.is_admin();
    let this_year = crate::format::hk_date(crate::clock::now_ms())[..4].to_owned();
    let year = RwSignal::new(this_year.clone());
    let years = Memo::new(move |_| {
        let mut years: Vec<String> = holidays
            .items
            .with(|all| all.iter().map(|h| h.date[..4].to_owned()).collect());
        years.push(this_year.clone());
        years.push(year.get());
        years.sort();
        years.dedup();
        years
    });
    let shown = move || {
        let y = year.get();
        holidays.items.with(|all| {
            all.iter()
                .filter(|h| h.date.starts_with(&y))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let error = RwSignal::new(None::<ApiError>);
    let armed = RwSignal::new(None::<String>);
    let remove = move |date: String| {
        spawn_local(async move {
            match api::calendar::remove_holiday(auth, &date).await {
                Ok(()) => reload.try_run(()),
                Err(e) => error.try_set(Some(e)).map(drop),
            };
        });
    };
    let export = move |_| {
        spawn_local(async move {
            if let Err(e) = api::calendar::export_holidays(auth).await {
                error.try_set(Some(e));
            }
        });
    };
    let chinese = move || i18n.get_locale() != Locale::en;
    let added = Callback::new(move |date: String| {
        if let Some(y) = date.get(..4) {
            year.set(y.to_owned());
        }
        reload.run(());
    });
    view! {
        <div class="calendar-holidays-bar">
            <label class="calendar-year">
                <span>{t!(i18n, calendar.year)}</span>
                <select id="holiday-year" on:change=move |ev| year.set(event_target_value(&ev))>
                    <For
                        each=move || years.get()
                        key=|y| y.clone()
                        children=move |y| {
                            let (value, shown) = (y.clone(), y.clone());
                            view! { <option value=y prop:selected=move || year.get() == value>{shown}</option> }
                        }
                    />
                </select>
            </label>
            <button type="button" class="button holiday-export" on:click=export>
                {t!(i18n, calendar.export)}
            </button>
        </div>
        <div class="table-scroll">
            <table class="data-table holiday-table">
                <caption class="visually-hidden">{t!(i18n, calendar.holidays_title)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, calendar.date)}</th>
                        <th scope="col">{t!(i18n, calendar.holiday_name)}</th>
                        {admin.then(|| view! { <th scope="col"><span class="visually-hidden">{t!(i18n, rules.actions)}</span></th> })}
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=shown
                        key=|h| (h.date.clone(), h.name.clone(), h.name_zh.clone())
                        children=move |holiday| {
                            let date = holiday.date.clone();
                            let shown_date = holiday.date.clone();
                            let (en, zh) = (holiday.name.clone(), holiday.name_zh.clone());
                            let name = move || if chinese() { zh.clone() } else { en.clone() };
                            let label = {
                                let name = name.clone();
                                Callback::new(move |armed: bool| {
                                    let before = if armed {
                                        t_string!(i18n, calendar.confirm_remove_holiday_before)
                                    } else {
                                        t_string!(i18n, calendar.remove_holiday_before)
                                    };
                                    format!("{before}{}", name())
                                })
                            };
                            view! {
                                <tr data-date=holiday.date.clone()>
                                    <th scope="row">{move || dated(i18n, &shown_date)}</th>
                                    <td>{name.clone()}</td>
                                    {admin.then(|| view! {
                                        <td class="cell-actions">
                                            <ConfirmButton
                                                id=date.clone()
                                                armed=armed
                                                text=Signal::derive(move || t_string!(i18n, calendar.remove).to_owned())
                                                label=label
                                                class="holiday-remove"
                                                on_confirm=Callback::new(remove)
                                            />
                                        </td>
                                    })}
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </div>
        <FormBanner error=error />
        {admin.then(|| view! {
            <AddHoliday added=added />
            <ImportHolidays reload=reload />
        })}
    }
}

#[component]
fn AddHoliday(
    /// The date added.
    added: Callback<String>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let date = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let name_zh = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let holiday = HolidayView {
            date: date.get_untracked().trim().to_owned(),
            name: name.get_untracked(),
            name_zh: name_zh.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::calendar::add_holiday(auth, &holiday).await {
                Ok(saved) => {
                    date.try_set(String::new());
                    name.try_set(String::new());
                    name_zh.try_set(String::new());
                    added.try_run(saved.date);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <form class="form-grid holiday-form" novalidate on:submit=submit>
            <h3 class="form-title field-wide">{t!(i18n, calendar.add_holiday)}</h3>
            <div class="field">
                <label for="holiday-date">{t!(i18n, calendar.date)}</label>
                <input id="holiday-date" type="date" required bind:value=date />
            </div>
            <div class="field">
                <label for="holiday-name">{t!(i18n, calendar.name_en)}</label>
                <input id="holiday-name" type="text" maxlength="120" required bind:value=name />
            </div>
            <div class="field field-span-2">
                <label for="holiday-name-zh">{t!(i18n, calendar.name_zh)}</label>
                <input id="holiday-name-zh" type="text" maxlength="120" required bind:value=name_zh />
            </div>
            <div class="inline-form-actions field-wide">
                <button type="submit" class="button" disabled=move || busy.get()>
                    {t!(i18n, calendar.add_holiday)}
                </button>
            </div>
            <FormBanner error=error class="field-wide" />
        </form>
    }
}

/// Reads a chosen `.ics` file and adds its all-day events; says what was
/// added, kept and refused (each refused event by its place and why).
#[component]
fn ImportHolidays(reload: Callback<()>) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let input = NodeRef::<leptos::html::Input>::new();
    let error = RwSignal::new(None::<ApiError>);
    let outcome = RwSignal::new(None::<HolidayImport>);
    let busy = RwSignal::new(false);
    let chosen = move |_| {
        let Some(element) = input.get_untracked() else {
            return;
        };
        let Some(file) = element.files().and_then(|files| files.get(0)) else {
            return;
        };
        element.set_value("");
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let name = file.name();
            let read = crate::components::composer::outgoing_image::read_bytes(&file, &name).await;
            let result = match read {
                Ok(bytes) => api::calendar::import_holidays(auth, &bytes).await,
                Err(sentence) => Err(ApiError::validation(sentence)),
            };
            match result {
                Ok(done) => {
                    outcome.try_set(Some(done));
                    reload.try_run(());
                }
                Err(e) => {
                    outcome.try_set(None);
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let refused_word = move |code: &str| match code {
        "no_summary" => t_string!(i18n, calendar.refused_no_summary),
        "repeats" => t_string!(i18n, calendar.refused_repeats),
        "cancelled" => t_string!(i18n, calendar.refused_cancelled),
        "has_time" => t_string!(i18n, calendar.refused_has_time),
        "no_date" => t_string!(i18n, calendar.refused_no_date),
        "too_long" => t_string!(i18n, calendar.refused_too_long),
        _ => t_string!(i18n, calendar.refused_other),
    };
    view! {
        <div class="holiday-import">
            <h3 class="form-title">{t!(i18n, calendar.import_title)}</h3>
            <label class="button holiday-import-pick" class:is-busy=move || busy.get()>
                {t!(i18n, calendar.import)}
                <input
                    node_ref=input
                    id="holiday-import"
                    class="visually-hidden"
                    type="file"
                    accept=".ics,text/calendar"
                    aria-disabled=move || busy.get().to_string()
                    on:change=chosen
                />
            </label>
            // Always there, so what the import did is read out when it fills.
            <div class="holiday-import-outcome" role="status">
                {move || outcome.get().map(|done| {
                    let summary = t_string!(i18n, calendar.imported)
                        .replace("%a", &done.added.len().to_string())
                        .replace("%u", &done.unchanged.to_string())
                        .replace("%r", &done.refused.len().to_string());
                    view! {
                        <p>{summary}</p>
                        {(!done.refused.is_empty()).then(|| view! {
                            <ul class="holiday-refused">
                                {done.refused.iter().map(|r| {
                                    let line = format!(
                                        "{}{}{}{}",
                                        t_string!(i18n, calendar.event_before),
                                        r.event,
                                        t_string!(i18n, calendar.event_after),
                                        refused_word(&r.code),
                                    );
                                    view! { <li>{line}</li> }
                                }).collect_view()}
                            </ul>
                        })}
                    }
                })}
            </div>
            <FormBanner error=error />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::windows_of;

    #[test]
    fn windows_are_read_as_typed_and_written_back_the_same_way() {
        assert_eq!(
            windows_of("9:00-13:00, 14:00–18:00"),
            Some(vec!["09:00–13:00".to_owned(), "14:00–18:00".to_owned()])
        );
        assert_eq!(
            windows_of("22:00-06:00"),
            Some(vec!["22:00–06:00".to_owned()])
        );
        assert_eq!(
            windows_of("09:00～12:30，13:30-18:00").map(|w| w.len()),
            Some(2)
        );
        assert_eq!(windows_of("  "), Some(Vec::new()));
        assert_eq!(windows_of("9-5"), None);
        assert_eq!(windows_of("25:00-26:00"), None);
        assert_eq!(windows_of("09:00"), None);
        assert_eq!(
            windows_of("9：00 – 13:00 14:00 —18:00"),
            Some(vec!["09:00–13:00".to_owned(), "14:00–18:00".to_owned()])
        );
        assert_eq!(
            windows_of("00:00-24:00"),
            Some(vec!["00:00–24:00".to_owned()])
        );
        assert_eq!(windows_of("09:00-09:00"), None);
        assert_eq!(windows_of("24:00-06:00"), None);
    }
}
