//! The Automation page at /admin/automation, for admins and supervisors:
//! the closure switch (typhoon signal 8, black rainstorm or another reason;
//! for every team or one; with its own bilingual reply; until a set time or
//! until ended) and the rules, with an editor and a dry run over the last
//! seven days; and the SLA policies. The server decides who may change what; a supervisor writes
//! their own teams' rules and closures.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ClosureView, NewClosure, Priority, Team};
use shared::assignment::Assignment;
use shared::automation::{Conditions, DryRun, Hours, RuleAction, RuleInput, RuleView, Trigger};
use shared::{Role, TeamId};

use crate::api::{self, ApiError};
use crate::components::admin_only::forbidden_page;
use crate::components::confirm_button::ConfirmButton;
use crate::components::form_banner::FormBanner;
use crate::components::page_header::PageHeader;
use crate::components::sla_policies::SlaPolicies;
use crate::format::{hk_date_time, hk_day_start};
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::RemoteList;
use crate::state::auth::AuthState;

/// Admins and supervisors work here.
pub fn may_automate(auth: AuthState) -> bool {
    auth.user()
        .is_some_and(|u| matches!(u.role, Role::Admin | Role::Supervisor))
}

#[component]
pub fn AutomationPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let forbidden = || {
        forbidden_page(
            "automation_page",
            "Only administrators and supervisors can open this page.",
        )
    };
    view! {
        <Show when=move || may_automate(auth) fallback=forbidden>
            <Automation />
        </Show>
    }
}

#[component]
fn Automation() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let teams = RemoteList::<Team>::new();
    teams.load(api::teams::list(auth));
    // Whom a rule may assign to: for an admin every active person who
    // answers clients, for a supervisor the agents of their teams.
    let users = RemoteList::<Person>::new();
    if auth.is_admin() {
        users.load(async move {
            api::users::list(auth).await.map(|all| {
                all.into_iter()
                    .filter(|u| u.active && u.role != Role::Compliance)
                    .map(|u| Person {
                        id: u.id,
                        name: u.name,
                        teams: (u.role != Role::Admin)
                            .then(|| u.teams.iter().map(|t| t.id).collect()),
                    })
                    .collect()
            })
        });
    } else {
        users.load(async move {
            api::teams::agents(auth).await.map(|all| {
                all.into_iter()
                    .map(|a| Person {
                        id: a.id,
                        name: a.name,
                        teams: Some(a.teams.iter().map(|t| t.id).collect()),
                    })
                    .collect()
            })
        });
    }
    let rules = RemoteList::<RuleView>::new();
    let load_rules = move || rules.load(api::automation::rules(auth));
    load_rules();
    let closures = RemoteList::<ClosureView>::new();
    let load_closures = move || closures.load(api::automation::closures(auth));
    load_closures();
    let editing = RwSignal::new(None::<RuleView>);
    let editor_key = RwSignal::new(0u32);
    let edit = Callback::new(move |rule: Option<RuleView>| {
        editing.set(rule);
        editor_key.update(|k| *k += 1);
    });
    view! {
        <div class="page automation-page">
            <PageHeader
                title=move || t_string!(i18n, nav.automation)
                description=move || t_string!(i18n, rules.description)
            />
            <section class="card" aria-labelledby="closures-title">
                <h2 id="closures-title" class="card-title">{t!(i18n, rules.closures_title)}</h2>
                <ClosureSwitch closures=closures teams=teams reload=Callback::new(move |()| load_closures()) />
            </section>
            <section class="card card-flush" aria-labelledby="rules-title">
                <header class="card-header">
                    <h2 id="rules-title" class="card-title">{t!(i18n, rules.all)}</h2>
                    <button type="button" class="button" on:click=move |_| edit.run(None)>
                        {t!(i18n, rules.new_rule)}
                    </button>
                </header>
                <RulesTable rules=rules teams=teams on_edit=edit reload=Callback::new(move |()| load_rules()) />
            </section>
            <section class="card" aria-labelledby="sla-title">
                <h2 id="sla-title" class="card-title">{t!(i18n, sla.title)}</h2>
                <p class="card-lede">{t!(i18n, sla.description)}</p>
                <SlaPolicies teams=teams />
            </section>
            <section class="card" aria-labelledby="rule-editor-title">
                <h2 id="rule-editor-title" class="card-title">
                    {move || if editing.with(Option::is_some) {
                        t_string!(i18n, rules.edit_title)
                    } else {
                        t_string!(i18n, rules.create_title)
                    }}
                </h2>
                {move || {
                    editor_key.track();
                    let rule = editing.get_untracked();
                    view! {
                        <RuleEditor
                            rule=rule
                            teams=teams
                            users=users
                            on_saved=Callback::new(move |()| {
                                load_rules();
                                edit.run(None);
                            })
                        />
                    }
                }}
            </section>
        </div>
    }
}

/// Someone a rule may assign to: id and name.
/// The team a conversation is in when the action `key` runs: the rule's
/// (`rule_team`, empty for every team), or the last one an action before
/// it transferred it to.
fn team_at(rule_team: String, actions: &[ActionDraft], key: u32) -> Option<TeamId> {
    let mut team = rule_team.parse::<TeamId>().ok();
    for draft in actions.iter().take_while(|d| d.key != key) {
        if draft.kind.get() == "transfer" {
            if let Ok(to) = draft.first.get().parse::<TeamId>() {
                team = Some(to);
            }
        }
    }
    team
}

/// Someone a rule may assign to, with their teams (`None`: an admin, who
/// may be given any team's conversations).
#[derive(Clone, Debug, PartialEq)]
struct Person {
    id: shared::UserId,
    name: String,
    teams: Option<Vec<TeamId>>,
}

impl Person {
    /// May hold the conversations of a rule of `team` (`None`: every team).
    fn serves(&self, team: Option<TeamId>) -> bool {
        match (&self.teams, team) {
            (None, _) | (_, None) => true,
            (Some(teams), Some(team)) => teams.contains(&team),
        }
    }
}

fn team_name(teams: RemoteList<Team>, team: Option<TeamId>) -> Option<String> {
    let team = team?;
    teams
        .items
        .with(|items| items.iter().find(|t| t.id == team).map(|t| t.name.clone()))
}

/// A (local Hong Kong) `datetime-local` value as Unix ms.
fn hk_local(value: &str) -> Option<i64> {
    let (date, time) = value.split_once('T')?;
    let (hh, mm) = time.split_once(':')?;
    let minutes = hh.parse::<i64>().ok()? * 60 + mm.get(..2)?.parse::<i64>().ok()?;
    Some(hk_day_start(date)? + minutes * 60_000)
}

#[component]
fn ClosureSwitch(
    closures: RemoteList<ClosureView>,
    teams: RemoteList<Team>,
    reload: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let reason = RwSignal::new("typhoon".to_owned());
    let text = RwSignal::new(String::new());
    let team = RwSignal::new(String::new());
    let reply_zh = RwSignal::new(String::new());
    let reply_en = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let reason_word = move |reason: &str, text: Option<String>| match reason {
        "typhoon" => t_string!(i18n, rules.reason_typhoon).to_owned(),
        "black_rainstorm" => t_string!(i18n, rules.reason_black_rainstorm).to_owned(),
        _ => text.unwrap_or_default(),
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let optional = |s: RwSignal<String>| {
            let v = s.get_untracked().trim().to_owned();
            (!v.is_empty()).then_some(v)
        };
        let request = NewClosure {
            reason: reason.get_untracked(),
            text: optional(text),
            teams: team.get_untracked().parse().ok().map(|t: TeamId| vec![t]),
            reply_en: optional(reply_en),
            reply_zh: optional(reply_zh),
            ends_at: hk_local(&ends.get_untracked()),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::automation::start_closure(auth, &request).await {
                Ok(_) => {
                    text.try_set(String::new());
                    ends.try_set(String::new());
                    reload.run(());
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let end = move |id: String| {
        spawn_local(async move {
            match api::automation::end_closure(auth, &id).await {
                Ok(_) => reload.run(()),
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <div class="closure-switch">
            <Show
                when=move || closures.items.with(|c| !c.is_empty())
                fallback=move || view! { <p class="closure-none">{t!(i18n, rules.no_closure)}</p> }
            >
                <ul class="closure-list" role="list">
                    <For
                        each=move || closures.items.get()
                        key=|c| (c.id.clone(), c.ends_at)
                        children=move |closure| {
                            let id = closure.id.clone();
                            let scope = match &closure.teams {
                                None => t_string!(i18n, rules.all_teams).to_owned(),
                                Some(ids) => ids
                                    .iter()
                                    .filter_map(|t| team_name(teams, Some(*t)))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            };
                            let until = closure.ends_at.map(hk_date_time);
                            view! {
                                <li class="closure-item" data-closure-id=closure.id.clone()>
                                    <span class="closure-badge">{reason_word(&closure.reason, closure.text.clone())}</span>
                                    <span class="closure-scope">{scope}</span>
                                    <span class="closure-since">
                                        {t!(i18n, rules.since)} " " {hk_date_time(closure.starts_at)}
                                        {until.map(|u| view! { " · " {t!(i18n, rules.until)} " " {u} })}
                                    </span>
                                    <button
                                        type="button"
                                        class="button button-danger closure-end"
                                        on:click=move |_| end(id.clone())
                                    >
                                        {t!(i18n, rules.end_closure)}
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
            <form class="form-grid closure-form" novalidate on:submit=submit>
                <div class="field field-span-2">
                    <label for="closure-reason">{t!(i18n, rules.reason)}</label>
                    <select id="closure-reason" on:change=move |ev| reason.set(event_target_value(&ev))>
                        <option value="typhoon">{t!(i18n, rules.reason_typhoon)}</option>
                        <option value="black_rainstorm">{t!(i18n, rules.reason_black_rainstorm)}</option>
                        <option value="other">{t!(i18n, rules.reason_other)}</option>
                    </select>
                </div>
                <Show when=move || reason.get() == "other">
                    <div class="field field-span-2">
                        <label for="closure-text">{t!(i18n, rules.reason_text)}</label>
                        <input id="closure-text" type="text" maxlength="200" bind:value=text />
                    </div>
                </Show>
                <div class="field field-span-2">
                    <label for="closure-team">{t!(i18n, rules.team)}</label>
                    <TeamSelect id="closure-team" value=team teams=teams />
                </div>
                <div class="field field-span-2">
                    <label for="closure-ends">{t!(i18n, rules.ends_at)}</label>
                    <input id="closure-ends" type="datetime-local" bind:value=ends />
                </div>
                <div class="field field-span-2">
                    <label for="closure-reply-zh">{t!(i18n, rules.reply_zh)}</label>
                    <textarea id="closure-reply-zh" rows="2" bind:value=reply_zh></textarea>
                </div>
                <div class="field field-span-2">
                    <label for="closure-reply-en">{t!(i18n, rules.reply_en)}</label>
                    <textarea id="closure-reply-en" rows="2" bind:value=reply_en></textarea>
                </div>
                <div class="inline-form-actions field-wide">
                    <button type="submit" class="button button-danger" disabled=move || busy.get()>
                        {t!(i18n, rules.start_closure)}
                    </button>
                </div>
                <FormBanner error=error class="field-wide" />
            </form>
        </div>
    }
}

/// Every team, or one: `value` is empty for every team.
#[component]
pub fn TeamSelect(
    id: &'static str,
    value: RwSignal<String>,
    teams: RemoteList<Team>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
            <option value="" prop:selected=move || value.get().is_empty()>{t!(i18n, rules.all_teams)}</option>
            <For
                each=move || teams.items.get()
                key=|team| team.id
                children=move |team| {
                    let id = team.id.to_string();
                    let selected = id.clone();
                    view! {
                        <option value=id prop:selected=move || value.get() == selected>{team.name}</option>
                    }
                }
            />
        </select>
    }
}

fn trigger_word(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, trigger: &Trigger) -> String {
    let minutes = trigger.delay_minutes().unwrap_or_default().to_string();
    match trigger {
        Trigger::MessageReceived { first_only: true } => {
            t_string!(i18n, rules.t_first_message).to_owned()
        }
        Trigger::MessageReceived { .. } => t_string!(i18n, rules.t_message_received).to_owned(),
        Trigger::ConversationCreated => t_string!(i18n, rules.t_conversation_created).to_owned(),
        Trigger::Reopened => t_string!(i18n, rules.t_reopened).to_owned(),
        Trigger::Assigned => t_string!(i18n, rules.t_assigned).to_owned(),
        Trigger::Resolved => t_string!(i18n, rules.t_resolved).to_owned(),
        Trigger::SnoozeEnded => t_string!(i18n, rules.t_snooze_ended).to_owned(),
        Trigger::SlaAtRisk => t_string!(i18n, rules.t_sla_at_risk).to_owned(),
        Trigger::NoAgentReply { .. } => {
            t_string!(i18n, rules.t_no_agent_reply_n).replace("%m", &minutes)
        }
        Trigger::WaitingOver { .. } => {
            t_string!(i18n, rules.t_waiting_over_n).replace("%m", &minutes)
        }
    }
}

#[component]
fn RulesTable(
    rules: RemoteList<RuleView>,
    teams: RemoteList<Team>,
    on_edit: Callback<Option<RuleView>>,
    reload: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let armed = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let remove = move |id: String| {
        error.set(None);
        spawn_local(async move {
            match api::automation::delete_rule(auth, &id).await {
                Ok(_) => reload.try_run(()),
                Err(e) => error.try_set(Some(e)).map(drop),
            };
        });
    };
    view! {
        <FormBanner error=error />
        <Show
            when=move || rules.items.with(|r| !r.is_empty())
            fallback=move || view! { <p class="rules-empty">{t!(i18n, rules.empty)}</p> }
        >
            <div class="table-scroll">
                <table class="data-table rules-table">
                    <caption class="visually-hidden">{t!(i18n, rules.all)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, rules.name)}</th>
                            <th scope="col">{t!(i18n, rules.team)}</th>
                            <th scope="col">{t!(i18n, rules.trigger)}</th>
                            <th scope="col">{t!(i18n, rules.state)}</th>
                            <th scope="col"><span class="visually-hidden">{t!(i18n, rules.actions)}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || rules.items.get()
                            key=|rule| (rule.id.clone(), rule.updated_at)
                            children=move |rule| {
                                let (edit_rule, id) = (rule.clone(), rule.id.clone());
                                let team = team_name(teams, rule.team)
                                    .unwrap_or_else(|| t_string!(i18n, rules.all_teams).to_owned());
                                let trigger = rule.trigger.clone();
                                let enabled = rule.enabled;
                                view! {
                                    <tr data-rule-id=rule.id.clone()>
                                        <th scope="row" class="cell-name">{rule.name.clone()}</th>
                                        <td>{team}</td>
                                        <td>{move || trigger_word(i18n, &trigger)}</td>
                                        <td>
                                            {move || if enabled {
                                                t_string!(i18n, rules.on)
                                            } else {
                                                t_string!(i18n, rules.off)
                                            }}
                                        </td>
                                        <td class="cell-actions">
                                            <button type="button" class="button button-small" on:click=move |_| on_edit.run(Some(edit_rule.clone()))>
                                                {t!(i18n, rules.edit)}
                                            </button>
                                            <ConfirmButton
                                                id=id
                                                armed=armed
                                                text=Signal::derive(move || t_string!(i18n, rules.delete).to_owned())
                                                on_confirm=Callback::new(remove)
                                            />
                                        </td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

/// One action of the rule being edited: its kind and up to two values
/// (the reply's Chinese and English, a user, a team, a label, …).
#[derive(Clone, Copy)]
struct ActionDraft {
    key: u32,
    kind: RwSignal<String>,
    first: RwSignal<String>,
    second: RwSignal<String>,
}

impl ActionDraft {
    fn new(key: u32, kind: &str, first: String, second: String) -> Self {
        ActionDraft {
            key,
            kind: RwSignal::new(kind.to_owned()),
            first: RwSignal::new(first),
            second: RwSignal::new(second),
        }
    }

    fn of(key: u32, action: &RuleAction) -> Self {
        let none = String::new;
        match action {
            RuleAction::AutoReply { text_zh, text_en } => ActionDraft::new(
                key,
                "auto_reply",
                text_zh.clone().unwrap_or_default(),
                text_en.clone().unwrap_or_default(),
            ),
            RuleAction::Assign { user } => {
                ActionDraft::new(key, "assign", user.to_string(), none())
            }
            RuleAction::Transfer { team } => {
                ActionDraft::new(key, "transfer", team.to_string(), none())
            }
            RuleAction::Label { label } => ActionDraft::new(key, "label", label.clone(), none()),
            RuleAction::Priority { priority } => {
                ActionDraft::new(key, "priority", priority.as_str().to_owned(), none())
            }
            RuleAction::Note { text } => ActionDraft::new(key, "note", text.clone(), none()),
            RuleAction::Notify { text } => ActionDraft::new(key, "notify", text.clone(), none()),
            RuleAction::AutoAssign { method } => {
                ActionDraft::new(key, "auto_assign", method.as_str().to_owned(), none())
            }
            RuleAction::Snooze { minutes } => {
                ActionDraft::new(key, "snooze", minutes.to_string(), none())
            }
            RuleAction::Resolve => ActionDraft::new(key, "resolve", none(), none()),
        }
    }

    /// The action, or `None` when a value is missing or not a number.
    fn action(&self) -> Option<RuleAction> {
        let first = self.first.get_untracked().trim().to_owned();
        let second = self.second.get_untracked().trim().to_owned();
        let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Some(match self.kind.get_untracked().as_str() {
            "auto_reply" => RuleAction::AutoReply {
                text_zh: text(&first),
                text_en: text(&second),
            },
            "assign" => RuleAction::Assign {
                user: first.parse().ok()?,
            },
            "transfer" => RuleAction::Transfer {
                team: first.parse().ok()?,
            },
            "label" => RuleAction::Label { label: first },
            "priority" => RuleAction::Priority {
                priority: first.parse().unwrap_or(Priority::High),
            },
            "note" => RuleAction::Note { text: first },
            "notify" => RuleAction::Notify { text: first },
            "auto_assign" => RuleAction::AutoAssign {
                method: first.parse().unwrap_or(Assignment::RoundRobin),
            },
            "snooze" => RuleAction::Snooze {
                minutes: first.parse().ok()?,
            },
            _ => RuleAction::Resolve,
        })
    }
}

fn trigger_kind(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::MessageReceived { first_only: true } => "first_message",
        Trigger::MessageReceived { .. } => "message_received",
        Trigger::ConversationCreated => "conversation_created",
        Trigger::Reopened => "reopened",
        Trigger::Assigned => "assigned",
        Trigger::Resolved => "resolved",
        Trigger::NoAgentReply { .. } => "no_agent_reply",
        Trigger::WaitingOver { .. } => "waiting_over",
        Trigger::SnoozeEnded => "snooze_ended",
        Trigger::SlaAtRisk => "sla_at_risk",
    }
}

fn trigger_of(kind: &str, minutes: i64) -> Trigger {
    match kind {
        "first_message" => Trigger::MessageReceived { first_only: true },
        "conversation_created" => Trigger::ConversationCreated,
        "reopened" => Trigger::Reopened,
        "assigned" => Trigger::Assigned,
        "resolved" => Trigger::Resolved,
        "no_agent_reply" => Trigger::NoAgentReply { minutes },
        "waiting_over" => Trigger::WaitingOver { minutes },
        "snooze_ended" => Trigger::SnoozeEnded,
        "sla_at_risk" => Trigger::SlaAtRisk,
        _ => Trigger::MessageReceived { first_only: false },
    }
}

fn words(text: &str) -> Vec<String> {
    text.split([',', '，', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[component]
fn RuleEditor(
    rule: Option<RuleView>,
    teams: RemoteList<Team>,
    users: RemoteList<Person>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let id = rule.as_ref().map(|r| r.id.clone());
    let name = RwSignal::new(rule.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let team = RwSignal::new(
        rule.as_ref()
            .and_then(|r| r.team)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    );
    let enabled = RwSignal::new(rule.as_ref().is_none_or(|r| r.enabled));
    let stop = RwSignal::new(rule.as_ref().is_some_and(|r| r.stop));
    let trigger = rule
        .as_ref()
        .map(|r| r.trigger.clone())
        .unwrap_or(Trigger::MessageReceived { first_only: false });
    let kind = RwSignal::new(trigger_kind(&trigger).to_owned());
    let minutes = RwSignal::new(trigger.delay_minutes().unwrap_or(30).to_string());
    let conditions = rule
        .as_ref()
        .map(|r| r.conditions.clone())
        .unwrap_or_default();
    let hours = RwSignal::new(
        conditions
            .hours
            .map(|h| h.as_str().to_owned())
            .unwrap_or_default(),
    );
    let channel = RwSignal::new(conditions.channels.first().cloned().unwrap_or_default());
    let keywords = RwSignal::new(conditions.keywords.join(", "));
    let tags = RwSignal::new(conditions.tags.join(", "));
    let next_key = StoredValue::new(0u32);
    let fresh = move || {
        next_key.update_value(|k| *k += 1);
        next_key.get_value()
    };
    let drafts: Vec<ActionDraft> = match &rule {
        Some(rule) => rule
            .actions
            .iter()
            .map(|a| ActionDraft::of(fresh(), a))
            .collect(),
        None => vec![ActionDraft::new(
            fresh(),
            "auto_reply",
            String::new(),
            String::new(),
        )],
    };
    let actions = RwSignal::new(drafts);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(None::<String>);
    let dry = RwSignal::new(None::<DryRun>);
    let busy = RwSignal::new(false);

    let input = move || -> Option<RuleInput> {
        let delay: i64 = minutes.get_untracked().trim().parse().unwrap_or(0);
        let actions: Option<Vec<RuleAction>> = actions
            .get_untracked()
            .iter()
            .map(ActionDraft::action)
            .collect();
        Some(RuleInput {
            name: name.get_untracked(),
            enabled: enabled.get_untracked(),
            team: team.get_untracked().parse().ok(),
            trigger: trigger_of(&kind.get_untracked(), delay),
            conditions: Conditions {
                channels: words(&channel.get_untracked()),
                hours: hours.get_untracked().parse::<Hours>().ok(),
                keywords: words(&keywords.get_untracked()),
                tags: words(&tags.get_untracked()),
                ..Conditions::default()
            },
            actions: actions?,
            stop: stop.get_untracked(),
            position: None,
        })
    };
    let incomplete = move || {
        error.set(Some(ApiError::validation(t_string!(
            i18n,
            rules.incomplete_action
        ))));
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(request) = input() else {
            incomplete();
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        saved.set(None);
        let id = id.clone();
        spawn_local(async move {
            match api::automation::save_rule(auth, id.as_deref(), &request).await {
                Ok(rule) => {
                    saved.try_set(Some(format!(
                        "{}{}",
                        rule.name,
                        t_string!(i18n, rules.saved_after)
                    )));
                    on_saved.run(());
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let run_dry = move |_| {
        let Some(request) = input() else {
            incomplete();
            return;
        };
        error.set(None);
        spawn_local(async move {
            match api::automation::dry_run(auth, &request).await {
                Ok(result) => {
                    dry.try_set(Some(result));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let add_action = move |_| {
        let key = fresh();
        actions.update(|a| a.push(ActionDraft::new(key, "label", String::new(), String::new())));
    };
    view! {
        <form id="rule-form" class="form-grid rule-form" novalidate on:submit=submit>
            <div class="field field-span-2">
                <label for="rule-name">{t!(i18n, rules.name)}</label>
                <input id="rule-name" type="text" maxlength="80" required bind:value=name />
            </div>
            <div class="field field-span-2">
                <label for="rule-team">{t!(i18n, rules.team)}</label>
                <TeamSelect id="rule-team" value=team teams=teams />
            </div>
            <div class="field field-span-2">
                <label for="rule-trigger">{t!(i18n, rules.trigger)}</label>
                <select id="rule-trigger" on:change=move |ev| kind.set(event_target_value(&ev))>
                    {[
                        "message_received", "first_message", "conversation_created", "reopened",
                        "assigned", "resolved", "no_agent_reply", "waiting_over", "snooze_ended",
                        "sla_at_risk",
                    ]
                        .into_iter()
                        .map(|value| {
                            view! {
                                <option value=value prop:selected=move || kind.get() == value>
                                    {move || trigger_word(i18n, &trigger_of(value, 0)).replace(" 0 ", " N ").replace("0 ", "N ")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <Show when=move || matches!(kind.get().as_str(), "no_agent_reply" | "waiting_over")>
                <div class="field field-span-2">
                    <label for="rule-minutes">{t!(i18n, rules.minutes)}</label>
                    <input id="rule-minutes" type="number" min="1" max="10080" inputmode="numeric" bind:value=minutes />
                </div>
            </Show>
            <div class="field field-span-2">
                <label for="rule-hours">{t!(i18n, rules.hours)}</label>
                <select id="rule-hours" on:change=move |ev| hours.set(event_target_value(&ev))>
                    <option value="" prop:selected=move || hours.get().is_empty()>{t!(i18n, rules.any_time)}</option>
                    <option value="in_hours" prop:selected=move || hours.get() == "in_hours">{t!(i18n, rules.in_hours)}</option>
                    <option value="out_of_hours" prop:selected=move || hours.get() == "out_of_hours">{t!(i18n, rules.out_of_hours)}</option>
                    <option value="closed" prop:selected=move || hours.get() == "closed">{t!(i18n, rules.closed)}</option>
                </select>
            </div>
            <div class="field field-span-2">
                <label for="rule-channel">{t!(i18n, rules.channel)}</label>
                <select id="rule-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                    <option value="" prop:selected=move || channel.get().is_empty()>{t!(i18n, rules.any_channel)}</option>
                    <option value="wechat_oa" prop:selected=move || channel.get() == "wechat_oa">{t!(i18n, rules.channel_oa)}</option>
                    <option value="wecom_kf" prop:selected=move || channel.get() == "wecom_kf">{t!(i18n, rules.channel_kf)}</option>
                </select>
            </div>
            <div class="field field-span-2">
                <label for="rule-keywords">{t!(i18n, rules.keywords)}</label>
                <input id="rule-keywords" type="text" bind:value=keywords aria-describedby="rule-keywords-hint" />
                <p id="rule-keywords-hint" class="field-hint">{t!(i18n, rules.keywords_hint)}</p>
            </div>
            <div class="field field-span-2">
                <label for="rule-tags">{t!(i18n, rules.tags)}</label>
                <input id="rule-tags" type="text" bind:value=tags />
            </div>
            <fieldset class="field-wide rule-actions">
                <legend>{t!(i18n, rules.actions)}</legend>
                <For
                    each=move || actions.get()
                    key=|draft| draft.key
                    children=move |draft| {
                        let key = draft.key;
                        view! {
                            <ActionRow
                                draft=draft
                                teams=teams
                                users=users
                                rule_team=Signal::derive(move || team_at(team.get(), &actions.get(), key))
                                on_remove=Callback::new(move |()| actions.update(|a| a.retain(|d| d.key != key)))
                            />
                        }
                    }
                />
                <button type="button" class="button button-small" on:click=add_action>
                    {t!(i18n, rules.add_action)}
                </button>
            </fieldset>
            <div class="checkbox-list field-wide">
                <label class="checkbox">
                    <input type="checkbox" bind:checked=enabled />
                    {t!(i18n, rules.enabled)}
                </label>
                <label class="checkbox">
                    <input type="checkbox" bind:checked=stop />
                    {t!(i18n, rules.stop)}
                </label>
            </div>
            <div class="inline-form-actions field-wide">
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {t!(i18n, rules.save)}
                </button>
                <button type="button" class="button rule-dry-run" on:click=run_dry>
                    {t!(i18n, rules.dry_run)}
                </button>
            </div>
            <FormBanner error=error success=saved class="field-wide" />
            {move || dry.get().map(|result| view! { <DryRunResult result=result /> })}
        </form>
    }
}

#[component]
fn ActionRow(
    draft: ActionDraft,
    teams: RemoteList<Team>,
    users: RemoteList<Person>,
    /// The team the conversation is in when this action runs: only its
    /// members (and admins) are offered.
    rule_team: Signal<Option<TeamId>>,
    on_remove: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = |part: &str| format!("action-{}-{part}", draft.key);
    let kinds = move || {
        let mut kinds = vec![
            ("auto_reply", t_string!(i18n, rules.a_auto_reply)),
            ("label", t_string!(i18n, rules.a_label)),
            ("priority", t_string!(i18n, rules.a_priority)),
            ("transfer", t_string!(i18n, rules.a_transfer)),
            ("note", t_string!(i18n, rules.a_note)),
            ("notify", t_string!(i18n, rules.a_notify)),
            ("auto_assign", t_string!(i18n, rules.a_auto_assign)),
            ("snooze", t_string!(i18n, rules.a_snooze)),
            ("resolve", t_string!(i18n, rules.a_resolve)),
        ];
        kinds.insert(1, ("assign", t_string!(i18n, rules.a_assign)));
        kinds
    };
    let (kind_id, first_id, second_id) = (id("kind"), id("first"), id("second"));
    let value = move || {
        let (first_id, second_id) = (first_id.clone(), second_id.clone());
        match draft.kind.get().as_str() {
            "auto_reply" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.reply_zh)}</label>
                <textarea id=first_id rows="2" bind:value=draft.first></textarea>
                <label for=second_id.clone()>{t!(i18n, rules.reply_en)}</label>
                <textarea id=second_id rows="2" bind:value=draft.second></textarea>
                <p class="field-hint">{t!(i18n, rules.reply_hint)}</p>
            }
            .into_any(),
            "assign" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.a_assign)}</label>
                <select id=first_id on:change=move |ev| draft.first.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    <For
                        each=move || {
                            let team = rule_team.get();
                            users.items.get().into_iter().filter(|p| p.serves(team)).collect::<Vec<_>>()
                        }
                        key=|p| p.id
                        children=move |Person { id, name, .. }| {
                            let value = id.to_string();
                            let selected = value.clone();
                            view! { <option value=value prop:selected=move || draft.first.get() == selected>{name}</option> }
                        }
                    />
                </select>
            }
            .into_any(),
            "transfer" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.a_transfer)}</label>
                <select id=first_id on:change=move |ev| draft.first.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    <For
                        each=move || teams.items.get()
                        key=|t| t.id
                        children=move |t| {
                            let value = t.id.to_string();
                            let selected = value.clone();
                            view! { <option value=value prop:selected=move || draft.first.get() == selected>{t.name}</option> }
                        }
                    />
                </select>
            }
            .into_any(),
            "priority" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.a_priority)}</label>
                <select id=first_id on:change=move |ev| draft.first.set(event_target_value(&ev))>
                    {Priority::ALL
                        .iter()
                        .map(|p| {
                            let word = p.as_str();
                            view! { <option value=word prop:selected=move || draft.first.get() == word>{word}</option> }
                        })
                        .collect_view()}
                </select>
            }
            .into_any(),
            "label" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.a_label)}</label>
                <input id=first_id type="text" maxlength="32" bind:value=draft.first />
            }
            .into_any(),
            "note" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.a_note)}</label>
                <textarea id=first_id rows="2" bind:value=draft.first></textarea>
            }
            .into_any(),
            "notify" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.notify_text)}</label>
                <textarea id=first_id rows="2" bind:value=draft.first></textarea>
            }
            .into_any(),
            "auto_assign" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.a_auto_assign)}</label>
                <select id=first_id on:change=move |ev| draft.first.set(event_target_value(&ev))>
                    {[Assignment::RoundRobin, Assignment::LeastLoaded]
                        .into_iter()
                        .map(|m| {
                            let word = m.as_str();
                            let label = move || match m {
                                Assignment::LeastLoaded => t_string!(i18n, teams.assign_least_loaded),
                                _ => t_string!(i18n, teams.assign_round_robin),
                            };
                            view! { <option value=word prop:selected=move || draft.first.get() == word>{label}</option> }
                        })
                        .collect_view()}
                </select>
            }
            .into_any(),
            "snooze" => view! {
                <label for=first_id.clone()>{t!(i18n, rules.minutes)}</label>
                <input id=first_id type="number" min="1" inputmode="numeric" bind:value=draft.first />
            }
            .into_any(),
            _ => ().into_any(),
        }
    };
    view! {
        <div class="rule-action" data-kind=move || draft.kind.get()>
            <div class="rule-action-head">
                <label for=kind_id.clone() class="visually-hidden">{t!(i18n, rules.action_kind)}</label>
                <select id=kind_id on:change=move |ev| {
                    draft.kind.set(event_target_value(&ev));
                    draft.first.set(String::new());
                    draft.second.set(String::new());
                }>
                    {move || kinds()
                        .into_iter()
                        .map(|(value, label)| view! {
                            <option value=value prop:selected=move || draft.kind.get() == value>{label}</option>
                        })
                        .collect_view()}
                </select>
                <button type="button" class="button button-small" on:click=move |_| on_remove.run(())>
                    {t!(i18n, rules.remove_action)}
                </button>
            </div>
            {value}
        </div>
    }
}

#[component]
fn DryRunResult(result: DryRun) -> impl IntoView {
    let i18n = use_i18n();
    let examined = result.examined;
    let count = result.hits.len();
    view! {
        <section class="dry-run field-wide" aria-live="polite">
            <h3 class="dry-run-title">
                {t!(i18n, rules.dry_run_title)}
            </h3>
            <p class="dry-run-summary">
                {move || t_string!(i18n, rules.dry_run_summary)
                    .replace("%h", &count.to_string())
                    .replace("%e", &examined.to_string())}
            </p>
            <ul class="dry-run-hits" role="list">
                {result
                    .hits
                    .into_iter()
                    .map(|hit| view! {
                        <li>
                            <a href=format!("/inbox/{}", hit.conversation)>{hk_date_time(hit.at)}</a>
                            " · " {hit.why} " → " {hit.actions.join("; ")}
                        </li>
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
