//! The "Connect a channel" form on the Channels page: a WeChat Official
//! Account or a WeCom Customer Service estate (the same fields, named as
//! each console names them). Checks what it can on the spot, shows the
//! server's complaints next to their fields, and forgets the secrets as
//! soon as the channel is connected.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{CallbackMode, Channel, CreateOfficialAccount, CreateWecomKf, Team};
use shared::TeamId;

use crate::api;
use crate::channel_rules::{self, mode_label, needs_aes_key, ChannelKind, AES_KEY_LEN, MODES};
use crate::components::form_banner::FormBanner;
use crate::components::form_field::FormField;
use crate::form_errors::FormErrors;
use crate::i18n::{t, t_string, use_i18n};
use crate::remote::{LoadStatus, RemoteList};
use crate::state::auth::AuthState;

/// The fields of this form, named as the API names them in `ErrorBody.field`.
const FIELDS: [&str; 9] = [
    "kind",
    "name",
    "app_id",
    "app_secret",
    "token",
    "encoding_aes_key",
    "mode",
    "api_base",
    "team",
];

/// What the person typed. Secrets live here only until the account is connected.
#[derive(Clone, Copy)]
struct Inputs {
    name: RwSignal<String>,
    app_id: RwSignal<String>,
    app_secret: RwSignal<String>,
    token: RwSignal<String>,
    encoding_aes_key: RwSignal<String>,
    mode: RwSignal<CallbackMode>,
    api_base: RwSignal<String>,
    team: RwSignal<Option<TeamId>>,
    kind: RwSignal<ChannelKind>,
}

impl Inputs {
    fn new() -> Self {
        Inputs {
            name: RwSignal::new(String::new()),
            app_id: RwSignal::new(String::new()),
            app_secret: RwSignal::new(String::new()),
            token: RwSignal::new(String::new()),
            encoding_aes_key: RwSignal::new(String::new()),
            mode: RwSignal::new(CallbackMode::Safe),
            api_base: RwSignal::new(String::new()),
            team: RwSignal::new(None),
            kind: RwSignal::new(ChannelKind::OfficialAccount),
        }
    }

    fn request(&self) -> CreateOfficialAccount {
        let api_base = self.api_base.get_untracked().trim().to_owned();
        CreateOfficialAccount {
            name: self.name.get_untracked().trim().to_owned(),
            app_id: self.app_id.get_untracked().trim().to_owned(),
            app_secret: self.app_secret.get_untracked().trim().to_owned(),
            token: self.token.get_untracked().trim().to_owned(),
            encoding_aes_key: self.encoding_aes_key.get_untracked().trim().to_owned(),
            // WeCom always encrypts.
            mode: match self.kind.get_untracked() {
                ChannelKind::OfficialAccount => self.mode.get_untracked(),
                ChannelKind::WecomKf => CallbackMode::Safe,
            },
            api_base: (!api_base.is_empty()).then_some(api_base),
            team: self.team.get_untracked(),
        }
    }

    /// The same fields as WeCom names them.
    fn wecom_request(&self) -> CreateWecomKf {
        let account = self.request();
        CreateWecomKf {
            name: account.name,
            corp_id: account.app_id,
            corp_secret: account.app_secret,
            token: account.token,
            encoding_aes_key: account.encoding_aes_key,
            api_base: account.api_base,
            team: account.team,
        }
    }

    fn clear(&self) {
        for text in [
            self.name,
            self.app_id,
            self.app_secret,
            self.token,
            self.encoding_aes_key,
            self.api_base,
        ] {
            text.try_set(String::new());
        }
        self.mode.try_set(CallbackMode::Safe);
        self.team.try_set(None);
        self.kind.try_set(ChannelKind::OfficialAccount);
    }
}

#[component]
fn TeamSelect(
    teams: RemoteList<Team>,
    team: RwSignal<Option<TeamId>>,
    errors: FormErrors<9>,
) -> impl IntoView {
    let i18n = use_i18n();
    let unavailable = move || teams.status.get() != LoadStatus::Ready;
    // The hint is drawn once; the closure inside it follows the teams' loading.
    let hint = move || {
        move || match teams.status.get() {
            LoadStatus::Loading => view! { {t!(i18n, teams.loading)} }.into_any(),
            LoadStatus::Failed(error) => {
                let code = error.code_str();
                view! { {t!(i18n, channels.teams_failed, code = code)} }.into_any()
            }
            LoadStatus::Ready => view! { {t!(i18n, channels.team_hint)} }.into_any(),
        }
    };
    view! {
        <FormField control="channel-team" label=move || t_string!(i18n, teams.team) hint=hint error=errors.field("team")>
            <select
                id="channel-team"
                name="team"
                disabled=unavailable
                aria-invalid=move || errors.has("team").to_string()
                aria-describedby=move || {
                    if errors.has("team") {
                        "channel-team-error channel-team-hint"
                    } else {
                        "channel-team-hint"
                    }
                }
                on:change=move |ev| team.set(event_target_value(&ev).parse::<TeamId>().ok())
            >
                <option value="" prop:selected=move || team.with(Option::is_none)>
                    {t!(i18n, teams.no_team)}
                </option>
                <For
                    each=move || teams.items.get()
                    key=|t| t.id
                    children=move |t| {
                        let id = t.id;
                        view! {
                            <option value=id.to_string() prop:selected=move || team.get() == Some(id)>
                                {t.name}
                            </option>
                        }
                    }
                />
            </select>
        </FormField>
    }
}

#[component]
pub fn OfficialAccountForm(
    teams: RemoteList<Team>,
    on_connected: Callback<Channel>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let i18n = use_i18n();
    let inputs = Inputs::new();
    let errors = FormErrors::new(FIELDS);
    let busy = RwSignal::new(false);
    let connected = RwSignal::new(None::<String>);
    // A Token Harbour generated: shown once, for WeChat's console.
    let generated = RwSignal::new(None::<String>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        connected.set(None);
        generated.set(None);
        let kind = inputs.kind.get_untracked();
        let request = inputs.request();
        for (field, message) in channel_rules::check(&request, kind) {
            errors.field(field).set(Some(message));
        }
        if errors.any() {
            return;
        }
        busy.set(true);
        let wecom = (kind == ChannelKind::WecomKf).then(|| inputs.wecom_request());
        // `request` (with the secrets) moves into the task and is dropped when it ends.
        spawn_local(async move {
            let connecting = match &wecom {
                Some(wecom) => api::channels::connect_wecom_kf(auth, wecom).await,
                None => api::channels::connect_official_account(auth, &request).await,
            };
            match connecting.map_err(channel_rules::as_form_fields) {
                Ok(connected_channel) => {
                    inputs.clear();
                    let channel = connected_channel.channel;
                    let token = if connected_channel.generated_token.is_some() {
                        t_string!(i18n, channels.token_below)
                    } else {
                        t_string!(i18n, channels.token_same)
                    };
                    let key = if needs_aes_key(channel.mode) {
                        t_string!(i18n, channels.and_aes_key)
                    } else {
                        ""
                    };
                    connected.try_set(Some(format!(
                        "{}{}{token}{key}{}",
                        channel.name,
                        t_string!(i18n, channels.connected_middle),
                        t_string!(i18n, channels.connected_after)
                    )));
                    generated.try_set(connected_channel.generated_token);
                    on_connected.run(channel);
                }
                Err(error) => errors.show(error),
            }
            busy.try_set(false);
        });
    };

    let invalid = move |field: &'static str| move || errors.has(field).to_string();
    let described = move |field: &'static str, ids: &'static str, with_error: &'static str| {
        move || {
            if errors.has(field) {
                Some(with_error)
            } else {
                (!ids.is_empty()).then_some(ids)
            }
        }
    };
    let key_hint = move || {
        let typed = inputs.encoding_aes_key.with(|k| k.trim().chars().count());
        let need = if inputs.kind.get() == ChannelKind::WecomKf || needs_aes_key(inputs.mode.get())
        {
            t_string!(i18n, channels.aes_needed)
        } else {
            t_string!(i18n, channels.aes_optional)
        };
        if typed == 0 {
            view! { {t!(i18n, channels.aes_hint, len = AES_KEY_LEN, need = need)} }.into_any()
        } else {
            view! { {t!(i18n, channels.aes_hint_typed, typed = typed, len = AES_KEY_LEN, need = need)} }
                .into_any()
        }
    };

    view! {
        <form id="official-account-form" class="form-grid" novalidate on:submit=submit>
            <FormField control="channel-kind" label=move || t_string!(i18n, channels.kind) error=errors.field("kind")>
                <select
                    id="channel-kind"
                    name="kind"
                    on:change=move |ev| {
                        if let Some(kind) = ChannelKind::from_value(&event_target_value(&ev)) {
                            inputs.kind.set(kind);
                        }
                    }
                >
                    {ChannelKind::ALL
                        .into_iter()
                        .map(|kind| {
                            view! {
                                <option value=kind.value() prop:selected=move || inputs.kind.get() == kind>
                                    {move || kind.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </FormField>
            <FormField control="channel-name" label=move || t_string!(i18n, channels.name) hint=move || t!(i18n, channels.name_hint) error=errors.field("name")>
                <input
                    id="channel-name"
                    name="name"
                    type="text"
                    autocomplete="off"
                    bind:value=inputs.name
                    aria-invalid=invalid("name")
                    aria-describedby=described("name", "channel-name-hint", "channel-name-error channel-name-hint")
                />
            </FormField>
            <FormField control="channel-app-id" label=move || inputs.kind.get().id_label() error=errors.field("app_id")>
                <input
                    id="channel-app-id"
                    name="app_id"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    autocapitalize="off"
                    placeholder=move || inputs.kind.get().id_placeholder()
                    bind:value=inputs.app_id
                    aria-invalid=invalid("app_id")
                    aria-describedby=described("app_id", "", "channel-app-id-error")
                />
            </FormField>
            <Show when=move || inputs.kind.get() == ChannelKind::OfficialAccount>
            <FormField control="channel-mode" label=move || t_string!(i18n, channels.mode) hint=move || t!(i18n, channels.mode_hint) error=errors.field("mode")>
                <select
                    id="channel-mode"
                    name="mode"
                    aria-invalid=invalid("mode")
                    aria-describedby=described("mode", "channel-mode-hint", "channel-mode-error channel-mode-hint")
                    on:change=move |ev| {
                        if let Ok(mode) = event_target_value(&ev).parse::<CallbackMode>() {
                            inputs.mode.set(mode);
                        }
                    }
                >
                    {MODES
                        .into_iter()
                        .map(|mode| {
                            view! {
                                <option value=mode.as_str() prop:selected=move || inputs.mode.get() == mode>
                                    {move || mode_label(mode)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </FormField>
            </Show>
            <TeamSelect teams=teams team=inputs.team errors=errors />
            <FormField control="channel-app-secret" label=move || inputs.kind.get().secret_label() error=errors.field("app_secret")>
                <input
                    id="channel-app-secret"
                    name="app_secret"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    bind:value=inputs.app_secret
                    aria-invalid=invalid("app_secret")
                    aria-describedby=described("app_secret", "", "channel-app-secret-error")
                />
            </FormField>
            <FormField control="channel-token" label=move || t_string!(i18n, channels.token) optional=true hint=move || t!(i18n, channels.token_hint) error=errors.field("token")>
                <input
                    id="channel-token"
                    name="token"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    bind:value=inputs.token
                    aria-invalid=invalid("token")
                    aria-describedby=described("token", "channel-token-hint", "channel-token-error channel-token-hint")
                />
            </FormField>
            <FormField control="channel-aes-key" label=move || t_string!(i18n, channels.aes_key) class="field-span-2" hint=key_hint error=errors.field("encoding_aes_key")>
                <input
                    id="channel-aes-key"
                    name="encoding_aes_key"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    bind:value=inputs.encoding_aes_key
                    aria-invalid=invalid("encoding_aes_key")
                    aria-describedby=described(
                        "encoding_aes_key",
                        "channel-aes-key-hint",
                        "channel-aes-key-error channel-aes-key-hint",
                    )
                />
            </FormField>
            <FormField control="channel-api-base" label=move || t_string!(i18n, channels.api_base) optional=true class="field-span-2" hint=move || t!(i18n, channels.api_base_hint) error=errors.field("api_base")>
                <input
                    id="channel-api-base"
                    name="api_base"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    autocapitalize="off"
                    placeholder=move || inputs.kind.get().api_placeholder()
                    bind:value=inputs.api_base
                    aria-invalid=invalid("api_base")
                    aria-describedby=described("api_base", "channel-api-base-hint", "channel-api-base-error channel-api-base-hint")
                />
            </FormField>
            <div class="form-submit field-span-2">
                <button type="submit" class="button button-primary" disabled=move || busy.get()>
                    {move || {
                        if busy.get() {
                            t_string!(i18n, channels.connecting)
                        } else {
                            t_string!(i18n, channels.connect)
                        }
                    }}
                </button>
            </div>
            <FormBanner error=errors.form success=connected class="field-wide" />
            <Show when=move || generated.with(Option::is_some)>
                <p class="generated-token field-wide">
                    {t!(i18n, channels.generated_token)}
                    <code data-testid="generated-token">{move || generated.get().unwrap_or_default()}</code>
                </p>
            </Show>
        </form>
    }
}
