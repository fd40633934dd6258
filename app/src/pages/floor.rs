//! The supervisor's floor at /floor (issue 14 §5), tablet first: per team
//! the clients waiting and for how long, who holds nobody's, the agents
//! taking conversations and a closure in force; the conversations waiting
//! longest, and those under SLA pressure (breached, then past their
//! warning), each a tap away from the conversation (to reassign it there);
//! today's figures (new, first replies and resolves with median and p90,
//! SLA breaches), each opening onto the conversations behind it; and every
//! agent with their load against their capacity and their day. Supervisors see
//! their own teams; admins and compliance every team. It follows live
//! events and agents coming online and going (both over the socket), and
//! looks again every minute in case a node died without a word.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::assignment::{
    median_and_p90, AgentView, Availability, FigureItem, FloorTeam, FloorView, TodayFigures,
    Waiting,
};
use shared::Role;
use shared::{ConversationId, UserId};
use std::collections::HashMap;

use crate::api::{self, ApiError};
use crate::components::error_state::ErrorState;
use crate::components::form_banner::FormBanner;
use crate::components::page_header::PageHeader;
use crate::components::skeleton_rows::SkeletonRows;
use crate::components::sla_badge::SlaBadge;
use crate::components::waiting_badge::WaitingBadge;
use crate::debounce::Debounce;
use crate::format::{hk_clock, short_duration};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::pages::teams::{method_label, AssignmentSelect};
use crate::state::auth::AuthState;
use crate::state::live::LiveState;

/// Who may watch the floor.
pub fn may_watch(auth: AuthState) -> bool {
    auth.user()
        .is_some_and(|u| matches!(u.role, Role::Admin | Role::Supervisor | Role::Compliance))
}

/// The agents whose queues are open, kept above the floor so a reload
/// (every event) leaves them open.
#[derive(Clone, Copy)]
struct Opened {
    queues: RwSignal<std::collections::HashSet<UserId>>,
}

impl Default for Opened {
    fn default() -> Self {
        Opened {
            queues: RwSignal::new(Default::default()),
        }
    }
}

/// The agent picked in each waiting conversation's "Give to…" menu and
/// not given yet, kept above the floor so a redraw (any event) keeps it.
#[derive(Clone, Copy)]
struct Picks(StoredValue<HashMap<ConversationId, UserId>>);

impl Picks {
    fn of(self, conversation: ConversationId) -> Option<UserId> {
        self.0
            .try_with_value(|picks| picks.get(&conversation).copied())
            .flatten()
    }

    fn set(self, conversation: ConversationId, user: Option<UserId>) {
        self.0.try_update_value(|picks| match user {
            Some(user) => picks.insert(conversation, user),
            None => picks.remove(&conversation),
        });
    }
}

/// How often the floor looks again without a word from the socket (a
/// node that died took its agents' sockets without telling anyone).
const LOOK_EVERY_MS: u32 = 60_000;

#[component]
pub fn FloorPage() -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let i18n = use_i18n();
    let floor = RwSignal::new(None::<Result<FloorView, ApiError>>);
    // The agents whose queues are open stay open as the floor is read again.
    provide_context(Opened::default());
    provide_context(Picks(StoredValue::new(HashMap::new())));
    let load = move || {
        spawn_local(async move {
            let got = api::teams::floor(auth).await;
            // Only a change redraws the floor: a look that finds the same
            // keeps open menus, focus and today's open figures as they are.
            floor.try_maybe_update(|shown| {
                let changed = shown.as_ref() != Some(&got);
                if changed {
                    *shown = Some(got);
                }
                (changed, ())
            });
        });
    };
    load();
    let soon = Debounce::new(300);
    Effect::new(move |first: Option<()>| {
        live.recent.track();
        live.connections.track();
        live.roster.track();
        if first.is_some() {
            soon.call(load);
        }
    });
    let every = gloo_timers::callback::Interval::new(LOOK_EVERY_MS, load);
    let every = StoredValue::new_local(Some(every));
    on_cleanup(move || {
        every.try_update_value(Option::take);
    });
    let now = crate::clock::use_now(std::time::Duration::from_secs(1));

    view! {
        <div class="page floor-page">
            <PageHeader
                title=move || t_string!(i18n, floor.title)
                description=move || t_string!(i18n, floor.description)
            />
            {move || match floor.get() {
                None => view! { <SkeletonRows rows=4 label=move || t_string!(i18n, floor.loading) /> }.into_any(),
                Some(Err(error)) => view! { <ErrorState error=error on_retry=Callback::new(move |()| load()) /> }.into_any(),
                Some(Ok(view)) => view! { <Floor view=view now=now /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Floor(view: FloorView, now: Signal<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let FloorView { teams, agents, .. } = view;
    let no_teams = teams.is_empty();
    let no_agents = agents.is_empty();
    let days = agent_days(&teams);
    let agent_rows = agents.clone();
    view! {
        <section aria-labelledby="floor-teams-title">
            <h2 id="floor-teams-title" class="section-title">{t!(i18n, floor.teams)}</h2>
            {no_teams.then(|| view! { <p class="muted">{t!(i18n, floor.no_teams)}</p> })}
            <div class="floor-teams">
                {teams
                    .into_iter()
                    .map(|team| {
                        let members: Vec<AgentView> = agents
                            .iter()
                            .filter(|a| shared::assignment::in_team(a, team.id))
                            .cloned()
                            .collect();
                        view! { <TeamCard team=team agents=members now=now /> }
                    })
                    .collect_view()}
            </div>
        </section>
        <section class="card card-flush" aria-labelledby="floor-agents-title">
            <header class="card-header">
                <h2 id="floor-agents-title" class="card-title">{t!(i18n, floor.agents)}</h2>
            </header>
            {if no_agents {
                view! { <p class="card-body muted">{t!(i18n, floor.no_agents)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="data-table floor-agents">
                            <caption class="visually-hidden">{t!(i18n, floor.agents)}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{t!(i18n, floor.agent)}</th>
                                    <th scope="col">{t!(i18n, floor.state)}</th>
                                    <th scope="col">{t!(i18n, floor.load)}</th>
                                    <th scope="col">{t!(i18n, floor.agent_today)}</th>
                                    <th scope="col">{t!(i18n, nav.teams)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {agent_rows
                                    .into_iter()
                                    .map(|agent| {
                                        let day = days.get(&agent.id).copied().unwrap_or_default();
                                        view! { <AgentRow agent=agent day=day now=now /> }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn TeamCard(
    team: FloorTeam,
    /// The team's agents, to give a conversation to.
    agents: Vec<AgentView>,
    now: Signal<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let team_agents = agents;
    let sla_agents = team_agents.clone();
    let auth = expect_context::<AuthState>();
    // Admins and the team's supervisors change how it hands out work here.
    let may_change = auth.user().is_some_and(|u| {
        u.role == Role::Admin
            || (u.role == Role::Supervisor && u.teams.iter().any(|t| t.id == team.id))
    });
    let assignment = team.assignment;
    let closure = team.closure.clone().map(|reason| {
        let locale = crate::language::current_locale();
        let reason = match reason.as_str() {
            "typhoon" => td_string!(locale, automation.typhoon).to_owned(),
            "black_rainstorm" => td_string!(locale, automation.black_rainstorm).to_owned(),
            _ => reason,
        };
        view! { <span class="badge badge-warning floor-closure">{reason}</span> }
    });
    let longest = team.longest_wait_since;
    let name = team.name.clone();
    // Breached first, then at risk: the five most pressing.
    let pressing: Vec<_> = team
        .sla_breached
        .iter()
        .chain(&team.sla_at_risk)
        .take(5)
        .cloned()
        .collect();
    let today = team.today.clone();
    view! {
        <article class="card floor-team" data-team-id=team.id.to_string()>
            <header class="floor-team-head">
                <h3 class="floor-team-name">{team.name.clone()}</h3>
                {closure}
            </header>
            <dl class="floor-figures">
                <div class="floor-figure" class:is-busy={team.waiting > 0}>
                    <dt>{t!(i18n, floor.waiting)}</dt>
                    <dd class="floor-waiting">{team.waiting}</dd>
                </div>
                <div class="floor-figure">
                    <dt>{t!(i18n, floor.unassigned)}</dt>
                    <dd class="floor-unassigned">{team.unassigned}</dd>
                </div>
                <div class="floor-figure">
                    <dt>{t!(i18n, floor.longest)}</dt>
                    <dd>{move || longest.map_or_else(|| "—".to_owned(), |since| short_duration(now.get() - since))}</dd>
                </div>
                <div class="floor-figure">
                    <dt>{t!(i18n, floor.online)}</dt>
                    <dd class="floor-online">{team.agents_online}</dd>
                </div>
                <div class="floor-figure" class:is-breached={!team.sla_breached.is_empty()}>
                    <dt>{t!(i18n, floor.sla_breached)}</dt>
                    <dd class="floor-sla-breached">{team.sla_breached.len()}</dd>
                </div>
                <div class="floor-figure" class:is-at-risk={!team.sla_at_risk.is_empty()}>
                    <dt>{t!(i18n, floor.sla_at_risk)}</dt>
                    <dd class="floor-sla-at-risk">{team.sla_at_risk.len()}</dd>
                </div>
            </dl>
            {if may_change {
                view! {
                    <div class="floor-method">
                        <AssignmentSelect id=team.id name=team.name.clone() current=assignment />
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <p class="floor-method">
                        {move || t_string!(i18n, floor.method).replace("%m", method_label(i18n, assignment))}
                    </p>
                }
                    .into_any()
            }}
            <ul class="floor-waits" aria-label=move || t_string!(i18n, floor.longest_list).replace("%t", &team.name)>
                {team
                    .longest
                    .into_iter()
                    .map(|waiting| view! { <WaitItem waiting=waiting agents=team_agents.clone() sla=false may_give=may_change now=now /> })
                    .collect_view()}
            </ul>
            {(!pressing.is_empty()).then(|| {
                let label = t_string!(i18n, floor.sla_list).replace("%t", &name);
                view! {
                    <ul class="floor-waits floor-sla-list" aria-label=label>
                        {pressing
                            .into_iter()
                            .map(|waiting| view! { <WaitItem waiting=waiting agents=sla_agents.clone() sla=true may_give=may_change now=now /> })
                            .collect_view()}
                    </ul>
                }
            })}
            <Today figures=today />
        </article>
    }
}

#[component]
fn AgentRow(
    agent: AgentView,
    /// Today's first replies and resolves.
    day: (usize, usize),
    now: Signal<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = if agent.online {
        "online"
    } else if agent.connected && agent.availability == Availability::Away {
        "away"
    } else {
        "offline"
    };
    let label = move || match state {
        "online" => t_string!(i18n, floor.is_online).to_owned(),
        "away" => t_string!(i18n, availability.away).to_owned(),
        _ => match agent.offline_since {
            Some(since) => {
                t_string!(i18n, floor.offline_for).replace("%d", &short_duration(now.get() - since))
            }
            None => t_string!(i18n, floor.is_offline).to_owned(),
        },
    };
    let opened = expect_context::<Opened>();
    let user = agent.id;
    let agent_load = agent.load;
    let open = Signal::derive(move || opened.queues.with(|q| q.contains(&user)));
    let full = agent.load >= agent.capacity;
    let percent = (agent.load * 100 / agent.capacity.max(1)).min(100);
    let teams = agent
        .teams
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <tr data-user-id=agent.id.to_string() data-state=state>
            <th scope="row">
                <button
                    type="button"
                    class="link-button agent-open"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| {
                        opened.queues.update(|q| {
                            if !q.remove(&user) {
                                q.insert(user);
                            }
                        })
                    }
                >
                    {agent.name.clone()}
                </button>
            </th>
            <td><span class=format!("agent-state agent-state-{state}")>{label}</span></td>
            <td>
                <span class="load" class:is-full=full>
                    <span class="load-figure">{format!("{} / {}", agent.load, agent.capacity)}</span>
                    <span class="load-bar" aria-hidden="true">
                        <span class="load-fill" style:width=format!("{percent}%")></span>
                    </span>
                </span>
            </td>
            <td class="agent-today">
                {move || t_string!(i18n, floor.agent_day)
                    .replace("%f", &day.0.to_string())
                    .replace("%r", &day.1.to_string())}
            </td>
            <td>{teams}</td>
        </tr>
        <Show when=move || open.get()>
            <tr class="agent-queue-row" data-queue-of=user.to_string()>
                <td colspan="5">
                    <AgentQueue user=user load=agent_load now=now />
                </td>
            </tr>
        </Show>
    }
}

/// One of today's figures: its words and value, and the conversations
/// behind it a tap away.
#[component]
fn Figure(
    key: &'static str,
    label: String,
    value: String,
    items: Vec<FigureItem>,
) -> impl IntoView {
    let i18n = use_i18n();
    let empty = items.is_empty();
    view! {
        <details class="floor-today-figure" data-figure=key>
            <summary>
                <span class="floor-today-label">{label}</span>
                <span class="floor-today-value">{value}</span>
            </summary>
            {if empty {
                view! { <p class="muted floor-today-none">{t!(i18n, floor.none_today)}</p> }.into_any()
            } else {
                view! {
                    <ul class="floor-today-items">
                        {items
                            .into_iter()
                            .map(|item| {
                                let who = crate::labels::contact_label(item.contact_name.as_deref(), &item.open_id);
                                let took = item.ms.map(short_duration);
                                view! {
                                    <li>
                                        <a href=format!("/inbox/{}", item.id) data-id=item.id.to_string()>
                                            <span class="floor-wait-who">{who}</span>
                                            <time class="floor-today-at">{hk_clock(item.at)}</time>
                                            {took.map(|took| view! { <span class="floor-today-took">{took}</span> })}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </details>
    }
}

/// "median 4m · p90 12m", or a dash with nothing to measure.
fn spread(items: &[FigureItem]) -> String {
    let times: Vec<i64> = items.iter().filter_map(|i| i.ms).collect();
    match median_and_p90(&times) {
        Some((median, p90)) => t_string!(use_i18n(), floor.spread)
            .replace("%m", &short_duration(median))
            .replace("%p", &short_duration(p90)),
        None => "—".to_owned(),
    }
}

/// A team's day so far, Hong Kong time.
#[component]
fn Today(figures: TodayFigures) -> impl IntoView {
    let i18n = use_i18n();
    let TodayFigures {
        came_in,
        first_responses,
        resolved,
        breaches,
    } = figures;
    let first_value = format!("{} · {}", first_responses.len(), spread(&first_responses));
    let resolved_value = format!("{} · {}", resolved.len(), spread(&resolved));
    view! {
        <section class="floor-today">
            <h4 class="floor-today-title">{t!(i18n, floor.today)}</h4>
            <Figure key="came_in" label=t_string!(i18n, floor.came_in).to_owned() value=came_in.len().to_string() items=came_in />
            <Figure key="first_responses" label=t_string!(i18n, floor.first_replies).to_owned() value=first_value items=first_responses />
            <Figure key="resolved" label=t_string!(i18n, floor.resolved).to_owned() value=resolved_value items=resolved />
            <Figure key="breaches" label=t_string!(i18n, floor.breaches).to_owned() value=breaches.len().to_string() items=breaches />
        </section>
    }
}

/// Per agent, today's first replies and resolves across the teams shown.
fn agent_days(teams: &[FloorTeam]) -> HashMap<UserId, (usize, usize)> {
    let mut days: HashMap<UserId, (usize, usize)> = HashMap::new();
    for team in teams {
        for agent in team.today.first_responses.iter().filter_map(|i| i.agent) {
            days.entry(agent).or_default().0 += 1;
        }
        for agent in team.today.resolved.iter().filter_map(|i| i.agent) {
            days.entry(agent).or_default().1 += 1;
        }
    }
    days
}

/// A conversation on a team's card: a tap opens it; the "Give to…" menu
/// (the device's own picker on a tablet) lists the team's agents, online
/// first with their load, and assigns it there and then.
#[component]
fn WaitItem(
    waiting: Waiting,
    agents: Vec<AgentView>,
    sla: bool,
    /// Admins and the team's supervisors give conversations away here;
    /// compliance only looks.
    may_give: bool,
    now: Signal<i64>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let id = waiting.id;
    let held = waiting.assignee_name.is_some();
    let who = crate::labels::contact_label(waiting.contact_name.as_deref(), &waiting.open_id);
    let holder = waiting
        .assignee_name
        .clone()
        .unwrap_or_else(|| t_string!(i18n, floor.nobody).to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(None::<String>);
    let mut agents = agents;
    agents.sort_by_key(|a| (!a.online, a.load * 100 / a.capacity.max(1)));
    let names: Vec<(UserId, String)> = agents.iter().map(|a| (a.id, a.name.clone())).collect();
    let menu = NodeRef::<leptos::html::Select>::new();
    let busy = RwSignal::new(false);
    // Picking an agent only chooses; the button gives. Browsing the menu
    // with the arrow keys (which fires `change` in some browsers) must not
    // hand the client to whoever it passes.
    // A pick outlives a redraw of the floor.
    let picks = expect_context::<Picks>();
    let kept = picks
        .of(id)
        .filter(|user| agents.iter().any(|a| a.id == *user));
    let picked = RwSignal::new(kept);
    let pick = move |user: Option<UserId>| {
        picked.set(user);
        picks.set(id, user);
    };
    let give = move || {
        let Some(user) = picked.get_untracked() else {
            return;
        };
        let name = names
            .iter()
            .find(|(id, _)| *id == user)
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let action = shared::api::ConversationAction::Assign { user, note: None };
            match api::conversations::act(auth, id, action).await {
                Ok(_) => {
                    done.try_set(Some(name));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            // Back to "Give to…", so the same agent can be picked again.
            if let Some(menu) = menu.try_get_untracked().flatten() {
                menu.set_value("");
            }
            picked.try_set(None);
            picks.set(id, None);
            busy.try_set(false);
        });
    };
    let badge = if sla {
        waiting
            .sla
            .clone()
            .map(|sla| view! { <SlaBadge sla=sla now=now /> }.into_any())
    } else {
        Some(view! { <WaitingBadge since=waiting.waiting_since now=now /> }.into_any())
    };
    let label = format!("{}{}", t_string!(i18n, floor.give_to_before), who);
    let give_label = format!("{}{}", t_string!(i18n, floor.give_before), who);
    view! {
        <li class="floor-wait-item" data-held=held.to_string()>
            <div class="floor-wait-row">
                <a class="floor-wait" href=format!("/inbox/{id}") data-id=id.to_string()>
                    <span class="floor-wait-who">{who.clone()}</span>
                    <span class="floor-wait-holder">
                        {move || done.get().unwrap_or_else(|| holder.clone())}
                    </span>
                    {badge}
                </a>
                {may_give.then(|| view! {
                <div class="floor-give-to">
                <select
                    node_ref=menu
                    class="select-compact floor-reassign"
                    aria-label=label
                    disabled=move || busy.get()
                    on:change=move |ev| pick(event_target_value(&ev).parse::<UserId>().ok())
                >
                    <option value="" selected=kept.is_none()>{t!(i18n, floor.give_to)}</option>
                    {agents
                        .iter()
                        .map(|agent| {
                            let state = if agent.online {
                                t_string!(i18n, floor.is_online)
                            } else {
                                t_string!(i18n, floor.is_offline)
                            };
                            let text = format!("{} · {} / {} · {state}", agent.name, agent.load, agent.capacity);
                            let chosen = kept == Some(agent.id);
                            view! { <option value=agent.id.to_string() selected=chosen>{text}</option> }
                        })
                        .collect_view()}
                </select>
                <button
                    type="button"
                    class="button floor-give"
                    aria-label=give_label
                    disabled=move || busy.get() || picked.get().is_none()
                    on:click=move |_| give()
                >
                    {t!(i18n, floor.give)}
                </button>
                </div>
                })}
            </div>
            <FormBanner error=error />
        </li>
    }
}

/// An agent's open and pending conversations, loaded when asked for.
#[component]
fn AgentQueue(
    user: UserId,
    /// Their open and pending conversations in every team: those of teams
    /// the watcher does not supervise are counted, not listed.
    load: i64,
    now: Signal<i64>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let page = RwSignal::new(None::<Result<Vec<shared::api::ConversationSummary>, ApiError>>);
    spawn_local(async move {
        let got = api::conversations::held_by(auth, user)
            .await
            .map(|p| p.conversations);
        page.try_set(Some(got));
    });
    view! {
        {move || match page.get() {
            None => view! { <p class="muted">{t!(i18n, floor.loading)}</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorState error=error /> }.into_any(),
            Some(Ok(list)) if list.is_empty() && load == 0 => {
                view! { <p class="muted">{t!(i18n, floor.holds_none)}</p> }.into_any()
            }
            Some(Ok(list)) => {
                let shown = list.len() as i64;
                // Admins and compliance see every team: nothing is elsewhere.
                let supervises = auth.user().is_some_and(|u| u.role == Role::Supervisor);
                let elsewhere = if supervises { load - shown } else { 0 };
                view! {
                <ul class="floor-today-items agent-queue">
                    {list
                        .into_iter()
                        .map(|c| {
                            let who = crate::labels::contact_label(c.contact_name.as_deref(), &c.open_id);
                            view! {
                                <li>
                                    <a href=format!("/inbox/{}", c.id) data-id=c.id.to_string()>
                                        <span class="floor-wait-who">{who}</span>
                                        {c.waiting_since.map(|since| view! { <WaitingBadge since=since now=now /> })}
                                        {c.sla.map(|sla| view! { <SlaBadge sla=sla now=now /> })}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                {(elsewhere > 0).then(|| view! {
                    <p class="muted agent-elsewhere">
                        {move || if shown == 0 {
                            t_string!(i18n, floor.held_only_elsewhere)
                        } else {
                            t_string!(i18n, floor.held_elsewhere)
                        }
                        .replace("%n", &elsewhere.to_string())}
                    </p>
                })}
                }
                .into_any()
            }
        }}
    }
}
