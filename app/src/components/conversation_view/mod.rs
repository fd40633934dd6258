//! The open conversation: header with actions, the timeline (paged back as
//! the agent scrolls up), the composer with presence (hidden for
//! compliance, who read only) and the contact panel. Tells colleagues it
//! is being viewed, marks it read, and refetches when live events touch it
//! or the connection comes back.

mod conversation_data;
mod keep_fresh;

use leptos::prelude::*;
use shared::{ConversationId, ErrorBody, ErrorCode, Role};

use crate::api::{ApiError, Origin};
use crate::canned::CannedContext;
use crate::components::composer::Composer;
use crate::components::contact_panel::ContactPanel;
use crate::components::conversation_header::ConversationHeader;
use crate::components::error_state::ErrorState;
use crate::components::icon::{Icon, IconKind};
use crate::components::message_timeline::MessageTimeline;
use crate::i18n::td_string;
use crate::labels::contact_label;
use crate::remote::LoadStatus;
use crate::state::auth::AuthState;
use crate::state::live::LiveState;
use conversation_data::ConversationData;
use keep_fresh::keep_fresh;

#[component]
pub fn ConversationView(
    id: ConversationId,
    /// A message position to open at (from search).
    focus: Signal<Option<i64>>,
    now: Signal<i64>,
    /// Called with a sentence when the conversation left the user's sight.
    on_gone: Callback<String>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let data = ConversationData::new(auth, id, focus, on_gone);
    let ConversationData {
        messages,
        has_older,
        loading_older,
        window,
        summary,
        contact,
        colleagues,
        ..
    } = data;
    let read_only = Signal::derive(move || auth.user().is_some_and(|u| u.role == Role::Compliance));
    data.load_all();
    keep_fresh(data, live, now);

    let contact_name = Signal::derive(move || {
        summary.with(|s| match s {
            Some(s) => contact_label(s.contact_name.as_deref(), &s.open_id),
            None => td_string!(crate::language::current_locale(), timeline.conversation).to_owned(),
        })
    });
    let names =
        Signal::derive(move || colleagues.with(|c| c.iter().map(|c| c.name.clone()).collect()));
    let canned_context = Signal::derive(move || {
        let person = contact.value.get();
        CannedContext {
            contact_name: summary.with(|s| s.as_ref().and_then(|s| s.contact_name.clone())),
            contact_phone: person.as_ref().and_then(|c| c.phone.clone()),
            contact_email: person.as_ref().and_then(|c| c.email.clone()),
            agent_name: auth.user().map(|u| u.name),
            channel_name: summary.with(|s| s.as_ref().map(|s| s.channel_name.clone())),
        }
    });
    // No composer under "that conversation does not exist".
    let missing = move || matches!(messages.status.get(), LoadStatus::Failed(e) if e.status == 404);

    view! {
        <section class="inbox-pane inbox-conversation" aria-labelledby="conversation-title" data-id=id.to_string()>
            <div class="conversation-main">
                <ConversationHeader
                    id=id
                    summary=summary
                    contact=contact_name
                    window=window
                    colleagues=colleagues
                    read_only=read_only
                    now=now
                    on_gone=on_gone
                />
                <MessageTimeline
                    messages=messages
                    has_older=has_older
                    loading_older=loading_older
                    on_load_older=Callback::new(move |()| data.load_older())
                    focus=focus
                    contact=contact_name
                    names=names
                    now=now
                    on_retry=Callback::new(move |()| data.fetch_newest(true))
                />
                <Show
                    when=move || !read_only.get() && !missing()
                    fallback=move || {
                        read_only
                            .get()
                            .then(|| {
                                view! {
                                    <p class="read-only-note">
                                        {move || td_string!(crate::language::current_locale(), timeline.read_only)}
                                    </p>
                                }
                            })
                    }
                >
                    <Composer
                        conversation=id
                        window=window
                        colleagues=colleagues.into()
                        canned_context=canned_context
                        now=now
                        on_change=Callback::new(move |()| data.refresh())
                    />
                </Show>
            </div>
            <ContactPanel
                contact=contact
                conversation=id
                read_only=read_only
                audits=Signal::derive(move || {
                    auth.user().is_some_and(|u| matches!(u.role, Role::Compliance | Role::Admin))
                })
                now=now
                on_retry=Callback::new(move |()| data.load_contact())
            />
        </section>
    }
}

/// In place of a conversation the address names by something that is not
/// a conversation id: what one that does not exist shows (the server's
/// "not found"), with the way back, and nothing to fetch or act on.
#[component]
pub fn MissingConversation() -> impl IntoView {
    let error = ApiError {
        status: 404,
        body: ErrorBody {
            field: Some("conversation".to_owned()),
            ..ErrorBody::new(ErrorCode::NotFound, "That conversation was not found.")
        },
        origin: Origin::Server,
    };
    view! {
        <section class="inbox-pane inbox-conversation" aria-labelledby="conversation-title">
            <div class="conversation-main">
                <header class="conversation-header">
                    <div class="conversation-header-top">
                        <a
                            class="button button-ghost conversation-back"
                            href="/inbox"
                            aria-label=move || td_string!(crate::language::current_locale(), conversation.back)
                        >
                            <Icon kind=IconKind::Back />
                        </a>
                        <div class="conversation-heading">
                            <h2 id="conversation-title" class="conversation-title">
                                <span class="conversation-title-name">{move || td_string!(crate::language::current_locale(), timeline.conversation)}</span>
                            </h2>
                        </div>
                    </div>
                </header>
                <div class="timeline" tabindex="0" aria-label=move || td_string!(crate::language::current_locale(), timeline.messages)>
                    <div class="timeline-content">
                        <ErrorState error=error />
                    </div>
                </div>
            </div>
        </section>
    }
}
