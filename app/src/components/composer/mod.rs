//! The box under an open conversation: a reply to the client or an internal
//! note (`n`). Ctrl/⌘+Enter sends. `/shortcut` inserts a canned response
//! with its variables filled in; `@name` in a note mentions a colleague.
//! While replying it holds the conversation's reply lock; while a colleague
//! holds it the reply box is locked with their name and a Take over button.
//! A reply can also be an image, chosen with "Attach image", or pasted or
//! dropped on the reply box (asked first), and on WeCom Customer Service a
//! file ("Attach file"). While a colleague has the client's WeCom session,
//! "Take back" asks WeCom for it.

mod caret;
mod draft;
mod image_drop;
pub mod mentions;
mod outgoing_file;
pub mod outgoing_image;
mod reply_lock;
mod send;
mod suggestion_menu;
mod suggestions;
mod take_back;

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{CannedResponse, Colleague, ReplyWindow, WindowRefusal};
use shared::ConversationId;

use crate::api;
use crate::canned::CannedContext;
use crate::components::attach_image::{AttachFile, AttachImage};
use crate::components::canned_save::CannedSave;
use crate::components::emoji_picker::EmojiPicker;
use crate::components::form_banner::FormBanner;
use crate::components::icon::{Icon, IconKind};
use crate::components::presence_line::PresenceLine;
use crate::components::reply_window_summary::ReplyWindowSummary;
use crate::i18n::{t, t_string, use_i18n};
use crate::labels::{window_summary, WindowTone};
use crate::remote::RemoteValue;
use crate::shortcuts::Shortcut;
use crate::state::auth::AuthState;
use crate::state::inbox::{on_shortcut, InboxState};
use crate::state::live::LiveState;
use draft::Draft;
pub use draft::Mode;
use image_drop::DropZone;
use reply_lock::{hold_reply_lock, locked_by};
use send::{SendConfirmation, Sender, Source};
use suggestion_menu::{Menu, SuggestionMenu};
use take_back::TakeBack;

#[component]
pub fn Composer(
    conversation: ConversationId,
    window: RemoteValue<ReplyWindow>,
    colleagues: Signal<Vec<Colleague>>,
    canned_context: Signal<CannedContext>,
    now: Signal<i64>,
    /// Called after the server queued a reply, added a note, or refused: time to refetch.
    on_change: Callback<()>,
) -> impl IntoView {
    let auth = expect_context::<AuthState>();
    let live = expect_context::<LiveState>();
    let inbox = expect_context::<InboxState>();
    let draft = Draft::new();
    let canned = RwSignal::new(Vec::<CannedResponse>::new());
    let saving_canned = RwSignal::new(false);

    spawn_local(async move {
        if let Ok(list) = api::canned::list(auth).await {
            canned.try_set(list);
        }
    });

    let locked_by = locked_by(auth, live, conversation);
    // Why a reply cannot go out now, once the window is known.
    let refusal = move || {
        window.value.with(|w| {
            w.as_ref().and_then(|w| match window_summary(w, now.get()) {
                (WindowTone::Closed, sentence) => Some(sentence),
                _ => None,
            })
        })
    };
    // Who has the client's WeCom session in the WeCom client, if anyone (a
    // memo: a refetched window naming the same person keeps Take back, and
    // its open question, where they are).
    let held_by = Memo::new(move |_| {
        window
            .value
            .with(|w| match w.as_ref().and_then(|w| w.refused.as_ref()) {
                Some(WindowRefusal::HeldInWecom { servicer }) => Some(servicer.clone()),
                _ => None,
            })
    });
    let sends_files = move || {
        window
            .value
            .with(|w| w.as_ref().is_some_and(|w| w.sends_files))
    };
    let replying = move || draft.replying();
    let may_take_back = Memo::new(move |_| replying() && locked_by().is_none());
    let closed = move || replying() && refusal().is_some();
    let locked = move || replying() && locked_by().is_some();
    let disabled = move || closed() || locked();
    hold_reply_lock(live, conversation, move || {
        replying() && draft.has_text() && !locked()
    });

    let sender = Sender::new(
        auth,
        conversation,
        draft,
        colleagues,
        Signal::derive(disabled),
        on_change,
    );
    let menu = Menu::new(draft, canned, colleagues, canned_context);
    let drop_zone = DropZone::new(sender, Signal::derive(replying), Signal::derive(disabled));

    on_shortcut(inbox, move |shortcut| {
        let wanted = match shortcut {
            Shortcut::Reply => Mode::Reply,
            Shortcut::Note => Mode::Note,
            _ => return,
        };
        draft.switch_mode(wanted);
        draft.focus_end();
    });

    let i18n = use_i18n();
    let placeholder = move || {
        if draft.mode.get() == Mode::Note {
            t_string!(i18n, composer.note_placeholder)
        } else if let Some(name) = locked_by() {
            if name.is_empty() {
                t_string!(i18n, composer.colleague_replying)
            } else {
                t_string!(i18n, composer.colleague_replying_take_over)
            }
        } else if closed() {
            t_string!(i18n, composer.paused)
        } else {
            t_string!(i18n, composer.reply_placeholder)
        }
    };
    view! {
        <form
            class="composer"
            class:is-note=move || !replying()
            class:is-drop-target=move || drop_zone.target.get()
            novalidate
            on:submit=move |ev: SubmitEvent| {
                ev.prevent_default();
                sender.send_text(false);
            }
            aria-label=move || {
                if replying() {
                    t_string!(i18n, composer.reply)
                } else {
                    t_string!(i18n, composer.internal_note)
                }
            }
            on:dragenter=move |ev| drop_zone.drag_enter(ev)
            on:dragover=move |ev| drop_zone.drag_over(ev)
            on:dragleave=move |ev| drop_zone.drag_leave(ev)
            on:drop=move |ev| drop_zone.drop_file(ev)
        >
            <Show when=move || drop_zone.target.get()>
                <div class="composer-drop-hint" aria-hidden="true">
                    <Icon kind=IconKind::Image />
                    <span>{t!(i18n, composer.drop_image)}</span>
                    <span class="composer-drop-detail">{t!(i18n, composer.drop_detail)}</span>
                </div>
            </Show>
            <PresenceLine conversation=conversation can_write=true />
            <div class="composer-top">
                <ModeSwitch draft=draft />
                // Once closed, the refusal below says why; once is enough.
                <Show when=move || replying() && refusal().is_none()>
                    <ReplyWindowSummary window=window now=now />
                </Show>
            </div>
            {move || {
                (replying() && locked_by().is_none())
                    .then(refusal)
                    .flatten()
                    .map(|sentence| view! { <p class="composer-refusal" role="status">{sentence}</p> })
            }}
            {move || {
                may_take_back
                    .get()
                    .then(|| held_by.get())
                    .flatten()
                    .map(|servicer| view! { <TakeBack conversation=conversation servicer=servicer on_change=on_change /> })
            }}
            <ComposerText
                draft=draft
                menu=menu
                sender=sender
                drop_zone=drop_zone
                disabled=Signal::derive(disabled)
                placeholder=Signal::derive(placeholder)
            />
            <ComposerFooter
                draft=draft
                sender=sender
                disabled=Signal::derive(disabled)
                sends_files=Signal::derive(sends_files)
                saving_canned=saving_canned
            />
            <Show when=move || saving_canned.get()>
                <CannedSave
                    body=Signal::derive(move || draft.text.get())
                    on_saved=Callback::new(move |saved: CannedResponse| {
                        canned.update(|list| list.push(saved));
                        saving_canned.set(false);
                    })
                    on_cancel=Callback::new(move |()| saving_canned.set(false))
                />
            </Show>
            <div id="composer-error">
                <FormBanner error=sender.error class="composer-error" />
            </div>
            <SendConfirmation sender=sender draft=draft />
        </form>
    }
}

/// Reply or note, as a pair of radio buttons (`r` and `n` on the keyboard).
#[component]
fn ModeSwitch(draft: Draft) -> impl IntoView {
    let replying = move || draft.replying();
    let i18n = use_i18n();
    view! {
        <div class="composer-modes" role="radiogroup" aria-label=move || t_string!(i18n, composer.write_a)>
            <button
                type="button"
                class="composer-mode mode-reply"
                role="radio"
                aria-checked=move || replying().to_string()
                on:click=move |_| draft.switch_mode(Mode::Reply)
            >
                {t!(i18n, composer.reply)}
                <kbd class="kbd">"r"</kbd>
            </button>
            <button
                type="button"
                class="composer-mode mode-note"
                role="radio"
                aria-checked=move || (!replying()).to_string()
                on:click=move |_| draft.switch_mode(Mode::Note)
            >
                {t!(i18n, composer.note)}
                <kbd class="kbd">"n"</kbd>
            </button>
        </div>
    }
}

/// Emoji, Attach image (and file), the hint, "Save as canned" and Send.
#[component]
fn ComposerFooter(
    draft: Draft,
    sender: Sender,
    disabled: Signal<bool>,
    /// The channel sends files (WeCom Customer Service).
    sends_files: Signal<bool>,
    saving_canned: RwSignal<bool>,
) -> impl IntoView {
    let emoji_open = RwSignal::new(false);
    let i18n = use_i18n();
    let busy = sender.busy;
    let replying = move || draft.replying();
    let disabled = move || disabled.get();
    view! {
        <div class="composer-footer">
            <div class="composer-tools">
                <EmojiPicker
                    open=emoji_open
                    disabled=Signal::derive(disabled)
                    on_pick=Callback::new(move |emoji: String| draft.insert_at_caret(&emoji))
                />
                <Show when=replying>
                    <AttachImage
                        sending=sender.sending_image.into()
                        disabled=Signal::derive(move || disabled() || busy.get() || sender.sending_file.get())
                        on_file=Callback::new(move |file| sender.take_file(file, Source::Chosen))
                    />
                </Show>
                <Show when=move || replying() && sends_files.get()>
                    <AttachFile
                        sending=sender.sending_file.into()
                        disabled=Signal::derive(move || disabled() || busy.get() || sender.sending_image.get())
                        on_file=Callback::new(move |file| sender.take_any_file(file))
                    />
                </Show>
            </div>
            <p class="composer-hint" id="composer-hint">
                {move || {
                    if replying() {
                        t_string!(i18n, composer.reply_hint)
                    } else {
                        t_string!(i18n, composer.note_hint)
                    }
                }}
            </p>
            <Show when=move || draft.has_text() && !saving_canned.get()>
                <button type="button" class="button button-ghost button-small canned-save-toggle" on:click=move |_| saving_canned.set(true)>
                    {t!(i18n, composer.save_canned)}
                </button>
            </Show>
            <button
                type="submit"
                class="button button-primary composer-send"
                disabled=move || busy.get() || sender.sending_image.get() || sender.sending_file.get() || disabled()
            >
                <Icon kind=IconKind::Send />
                <span>{move || match (busy.get(), replying()) {
                    (true, _) => t_string!(i18n, composer.sending),
                    (false, true) => t_string!(i18n, composer.send),
                    (false, false) => t_string!(i18n, composer.add_note),
                }}</span>
            </button>
        </div>
    }
}

/// The text itself, with its label and the suggestion menu.
#[component]
fn ComposerText(
    draft: Draft,
    menu: Menu,
    sender: Sender,
    drop_zone: DropZone,
    disabled: Signal<bool>,
    placeholder: Signal<&'static str>,
) -> impl IntoView {
    let replying = move || draft.replying();
    let i18n = use_i18n();
    let keydown = move |ev: KeyboardEvent| {
        if !menu.keydown(&ev) && ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            sender.send_text(false);
        }
    };
    let text_invalid = move || {
        sender
            .error
            .with(|e| e.as_ref().is_some_and(|e| e.field() == Some("text")))
    };

    view! {
        <div class="composer-field">
            <label class="visually-hidden" for="composer-text">
                {move || {
                    if replying() {
                        t_string!(i18n, composer.reply_label)
                    } else {
                        t_string!(i18n, composer.note_label)
                    }
                }}
            </label>
            <textarea
                id="composer-text"
                name="text"
                rows="3"
                node_ref=draft.textarea
                placeholder=placeholder
                aria-invalid=move || text_invalid().then_some("true")
                aria-describedby="composer-hint composer-error"
                // A textbox may say it offers a list, and names it while it
                // is there; `aria-expanded` belongs to comboboxes, which a
                // textarea cannot be.
                aria-autocomplete="list"
                aria-controls=move || menu.is_open().then_some("composer-suggestions")
                disabled=disabled
                prop:value=move || draft.text.get()
                on:input=move |ev| {
                    draft.text.set(event_target_value(&ev));
                    menu.reset();
                    draft.sync_caret();
                }
                on:click=move |_| draft.sync_caret()
                on:keyup=move |ev: KeyboardEvent| {
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                        draft.sync_caret();
                    }
                }
                on:keydown=keydown
                on:paste=move |ev| drop_zone.paste(ev)
            ></textarea>
            <SuggestionMenu menu=menu />
        </div>
    }
}
