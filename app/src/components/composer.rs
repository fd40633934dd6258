//! The box under an open conversation: a reply to the client or an internal
//! note (`n`). Ctrl/⌘+Enter sends. `/shortcut` inserts a canned response
//! with its variables filled in; `@name` in a note mentions a colleague.
//! While replying it holds the conversation's reply lock (renewed every
//! 5 s); while a colleague holds it the reply box is locked with their
//! name and a Take over button. A reply moments after a colleague's asks
//! first; refusals and errors keep the text so nothing is lost. A reply can
//! also be an image, chosen with "Attach image", or pasted or dropped on the
//! reply box (asked first).

use leptos::ev::{DragEvent, KeyboardEvent, SubmitEvent};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{CannedResponse, Colleague, ReplyWindow};
use shared::ws::ClientMessage;
use shared::{ErrorBody, ErrorCode};
use wasm_bindgen::JsValue;

use crate::api::{self, ApiError};
use crate::canned::CannedContext;
use crate::caret::{byte_offset, splice, utf16_offset};
use crate::components::attach_image::{pasted_image, AttachImage};
use crate::components::canned_save::CannedSave;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::emoji_picker::EmojiPicker;
use crate::components::icon::{Icon, IconKind};
use crate::components::presence_line::PresenceLine;
use crate::components::reply_window_summary::ReplyWindowSummary;
use crate::labels::{window_summary, WindowTone};
use crate::mentions::mentioned_ids;
use crate::outgoing_image::{self, OutgoingImage};
use crate::remote::RemoteValue;
use crate::shortcuts::Shortcut;
use crate::state::auth::AuthState;
use crate::state::inbox::{on_shortcut, InboxState};
use crate::state::live::LiveState;
use crate::suggestions::{suggestions, Suggestion};

/// How often the reply lock is renewed while there is text (the server
/// lets it lapse after 15 s).
const LOCK_RENEW_MS: u64 = 5_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Reply,
    Note,
}

/// What the confirmation dialog, when open, is asking about.
#[derive(Clone, Debug, PartialEq)]
enum Pending {
    /// A colleague replied moments ago (the server's sentence): send the text too?
    RecentText(String),
    /// The same, for an image.
    RecentImage(String, OutgoingImage),
    /// An image was pasted: send it?
    Pasted(OutgoingImage),
    /// An image was dropped on the composer: send it?
    Dropped(OutgoingImage),
}

/// Where an image to send came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The Attach image button: sent straight away.
    Chosen,
    /// Pasted or dropped: asked about first.
    Pasted,
    Dropped,
}

/// Whether a drag carries files (not text or a link being moved about).
fn carries_files(ev: &DragEvent) -> bool {
    ev.data_transfer()
        .is_some_and(|data| data.types().includes(&JsValue::from_str("Files"), 0))
}

/// A refusal of an image before it uploads, shown like the server's.
fn image_refusal(sentence: String) -> ApiError {
    let mut body = ErrorBody::new(ErrorCode::Validation, sentence);
    body.field = Some("image".to_owned());
    ApiError { status: 0, body }
}

#[component]
pub fn Composer(
    conversation: String,
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
    let conversation = StoredValue::new(conversation);
    let mode = RwSignal::new(Mode::Reply);
    // The draft of the other mode, kept while this one is written.
    let other_draft = StoredValue::new(String::new());
    let text = RwSignal::new(String::new());
    let caret = RwSignal::new(0_usize);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let confirm = RwSignal::new(None::<Pending>);
    let sending_image = RwSignal::new(false);
    let canned = RwSignal::new(Vec::<CannedResponse>::new());
    let menu_index = RwSignal::new(0_usize);
    let menu_dismissed = RwSignal::new(false);
    let emoji_open = RwSignal::new(false);
    let saving_canned = RwSignal::new(false);
    let holding = StoredValue::new(false);
    let textarea = NodeRef::<html::Textarea>::new();

    spawn_local(async move {
        if let Ok(list) = api::canned::list(auth).await {
            canned.try_set(list);
        }
    });

    let me = move || auth.user().map(|u| u.id);
    let locked_by = move || {
        live.presence.with(|all| {
            conversation.with_value(|id| {
                all.get(id)
                    .and_then(|p| p.lock.as_ref())
                    .filter(|l| Some(l.holder.id) != me())
                    .map(|l| l.holder.name.clone())
            })
        })
    };
    // Why a reply cannot go out now, once the window is known.
    let refusal = move || {
        window.value.with(|w| {
            w.as_ref().and_then(|w| match window_summary(w, now.get()) {
                (WindowTone::Closed, sentence) => Some(sentence),
                _ => None,
            })
        })
    };
    let replying = move || mode.get() == Mode::Reply;
    let closed = move || replying() && refusal().is_some();
    let locked = move || replying() && locked_by().is_some();
    let disabled = move || closed() || locked();

    let release_lock = move || {
        if holding.get_value() {
            holding.set_value(false);
            let id = conversation.get_value();
            live.tell(ClientMessage::Typing {
                conversation: id.clone(),
                typing: false,
            });
            live.tell(ClientMessage::Unlock { conversation: id });
        }
    };
    let claim_lock = move || {
        let id = conversation.get_value();
        if !holding.get_value() {
            holding.set_value(true);
            live.tell(ClientMessage::Typing {
                conversation: id.clone(),
                typing: true,
            });
        }
        live.tell(ClientMessage::Lock { conversation: id });
    };
    // Hold the lock while a reply is being written; let go when it is not.
    Effect::new(move |_| {
        let composing = replying() && text.with(|t| !t.trim().is_empty()) && !locked();
        if composing {
            if !holding.get_value() {
                claim_lock();
            }
        } else {
            release_lock();
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if holding.try_get_value().unwrap_or(false) {
                claim_lock();
            }
        },
        std::time::Duration::from_millis(LOCK_RENEW_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    on_cleanup(release_lock);

    // A reply and a note are separate drafts: switching swaps them.
    let switch_mode = move |wanted: Mode| {
        if mode.get_untracked() != wanted {
            let current = text.get_untracked();
            let other = other_draft
                .try_update_value(|d| std::mem::replace(d, current))
                .unwrap_or_default();
            caret.set(other.len());
            text.set(other);
            mode.set(wanted);
        }
    };
    let menu = Memo::new(move |_| {
        if menu_dismissed.get() {
            return Vec::new();
        }
        text.with(|t| {
            canned.with(|c| {
                colleagues.with(|people| {
                    canned_context
                        .with(|ctx| suggestions(t, caret.get(), mode.get(), c, people, ctx))
                })
            })
        })
    });

    let focus_at = move |bytes: usize| {
        request_animation_frame(move || {
            if let Some(area) = textarea.get_untracked() {
                let _ = area.focus();
                let at = text.with_untracked(|t| utf16_offset(t, bytes));
                let _ = area.set_selection_range(at, at);
            }
        });
    };
    let sync_caret = move || {
        if let Some(area) = textarea.get_untracked() {
            let units = area.selection_start().ok().flatten().unwrap_or(0);
            caret.set(text.with_untracked(|t| byte_offset(t, units)));
        }
    };
    let insert_at_caret = move |insert: String| {
        let at = caret.get_untracked();
        let (next, after) = text.with_untracked(|t| splice(t, at, at, &insert));
        text.set(next);
        caret.set(after);
        focus_at(after);
    };
    let choose = move |suggestion: Suggestion| {
        let (next, after) = text
            .with_untracked(|t| splice(t, suggestion.start, suggestion.end, &suggestion.insert));
        text.set(next);
        caret.set(after);
        menu_index.set(0);
        focus_at(after);
    };

    let send = move |confirm_recent: bool| {
        if busy.get_untracked() || sending_image.get_untracked() || disabled() {
            return;
        }
        let body = text.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        busy.set(true);
        error.set(None);
        let id = conversation.get_value();
        let note = mode.get_untracked() == Mode::Note;
        let mentions = colleagues.with_untracked(|c| mentioned_ids(&body, c));
        spawn_local(async move {
            let outcome = if note {
                api::conversations::add_note(auth, id, body, mentions)
                    .await
                    .map(|_| ())
            } else {
                api::conversations::reply(auth, id, body, confirm_recent)
                    .await
                    .map(|_| ())
            };
            busy.try_set(false);
            match outcome {
                Ok(()) => {
                    text.try_set(String::new());
                    caret.try_set(0);
                    confirm.try_set(None);
                    on_change.run(());
                }
                Err(failure) if failure.code() == ErrorCode::RecentReply => {
                    confirm.try_set(Some(Pending::RecentText(failure.message().to_owned())));
                }
                Err(failure) => {
                    let refused = failure.status == 409;
                    confirm.try_set(None);
                    error.try_set(Some(failure));
                    if refused {
                        on_change.run(());
                    }
                }
            }
        });
    };

    // Images go out on their own; the text being written stays as it is.
    let send_image = move |image: OutgoingImage, confirm_recent: bool| {
        if busy.get_untracked() || sending_image.get_untracked() || disabled() {
            return;
        }
        sending_image.set(true);
        error.set(None);
        confirm.set(None);
        let id = conversation.get_value();
        spawn_local(async move {
            let outcome = api::conversations::send_image(
                auth,
                id,
                image.content_type,
                &image.bytes,
                confirm_recent,
            )
            .await;
            sending_image.try_set(false);
            // The Attach button was disabled under the keyboard's focus: give it
            // to the reply box rather than leave it nowhere.
            if document()
                .active_element()
                .is_none_or(|e| e.tag_name() == "BODY")
            {
                if let Some(Some(area)) = textarea.try_get_untracked() {
                    let _ = area.focus();
                }
            }
            match outcome {
                Ok(_) => on_change.run(()),
                Err(failure) if failure.code() == ErrorCode::RecentReply => {
                    let message = failure.message().to_owned();
                    confirm.try_set(Some(Pending::RecentImage(message, image)));
                }
                Err(failure) => {
                    let refused = failure.status == 409;
                    error.try_set(Some(failure));
                    if refused {
                        on_change.run(());
                    }
                }
            }
        });
    };
    // A chosen file goes straight out; a pasted or dropped one is asked about first.
    let take_file = move |file: web_sys::File, source: Source| {
        if sending_image.get_untracked() || disabled() {
            return;
        }
        error.set(None);
        // Reading counts as sending, so a second choice waits its turn.
        sending_image.set(true);
        spawn_local(async move {
            let read = outgoing_image::read(file).await;
            sending_image.try_set(false);
            match read {
                Ok(image) => match source {
                    Source::Chosen => send_image(image, false),
                    Source::Pasted => {
                        confirm.try_set(Some(Pending::Pasted(image)));
                    }
                    Source::Dropped => {
                        confirm.try_set(Some(Pending::Dropped(image)));
                    }
                },
                Err(sentence) => {
                    error.try_set(Some(image_refusal(sentence)));
                }
            }
        });
    };
    let paste = move |ev: leptos::ev::ClipboardEvent| {
        if let Some(file) = replying().then(|| pasted_image(&ev)).flatten() {
            ev.prevent_default();
            take_file(file, Source::Pasted);
        }
    };

    // Dropping a file on the composer: replies only, when Attach image is
    // available; highlighted while a file is over it. Entering and leaving
    // the composer's children fire too, hence the count.
    let can_drop = move || {
        replying() && !disabled() && !busy.get_untracked() && !sending_image.get_untracked()
    };
    let drag_depth = StoredValue::new(0_u32);
    let drop_target = RwSignal::new(false);
    let drag_enter = move |ev: DragEvent| {
        if !carries_files(&ev) {
            return;
        }
        ev.prevent_default();
        drag_depth.update_value(|depth| *depth += 1);
        drop_target.set(can_drop());
    };
    let drag_over = move |ev: DragEvent| {
        if !carries_files(&ev) {
            return;
        }
        // Claimed even when refused, so the browser does not open the file
        // in place of Harbour.
        ev.prevent_default();
        let accept = can_drop();
        if let Some(data) = ev.data_transfer() {
            data.set_drop_effect(if accept { "copy" } else { "none" });
        }
        if drop_target.get_untracked() != accept {
            drop_target.set(accept);
        }
    };
    let drag_leave = move |ev: DragEvent| {
        if !carries_files(&ev) {
            return;
        }
        let left = drag_depth
            .try_update_value(|depth| {
                *depth = depth.saturating_sub(1);
                *depth == 0
            })
            .unwrap_or(true);
        if left {
            drop_target.set(false);
        }
    };
    let drop_file = move |ev: DragEvent| {
        if !carries_files(&ev) {
            return;
        }
        ev.prevent_default();
        drag_depth.set_value(0);
        drop_target.set(false);
        if !can_drop() {
            return;
        }
        let Some(files) = ev.data_transfer().and_then(|data| data.files()) else {
            return;
        };
        match files.length() {
            0 => {}
            1 => {
                if let Some(file) = files.get(0) {
                    take_file(file, Source::Dropped);
                }
            }
            _ => error.set(Some(image_refusal("Drop one image at a time.".to_owned()))),
        }
    };

    let keydown = move |ev: KeyboardEvent| {
        let items = menu.get_untracked();
        if !items.is_empty() {
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    menu_index.update(|i| *i = (*i + 1) % items.len());
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    menu_index.update(|i| *i = (*i + items.len() - 1) % items.len());
                    return;
                }
                "Enter" | "Tab" if !(ev.ctrl_key() || ev.meta_key()) => {
                    ev.prevent_default();
                    let index = menu_index.get_untracked().min(items.len() - 1);
                    choose(items[index].clone());
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    ev.stop_propagation();
                    menu_dismissed.set(true);
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            send(false);
        }
    };

    on_shortcut(inbox, move |shortcut| {
        let wanted = match shortcut {
            Shortcut::Reply => Mode::Reply,
            Shortcut::Note => Mode::Note,
            _ => return,
        };
        switch_mode(wanted);
        let end = text.with_untracked(String::len);
        focus_at(end);
    });

    let placeholder = move || {
        if mode.get() == Mode::Note {
            "Write an internal note. Type @ to mention a colleague."
        } else if let Some(name) = locked_by() {
            if name.is_empty() {
                "A colleague is replying."
            } else {
                "A colleague is replying. Take over to reply instead."
            }
        } else if closed() {
            "Replies are paused for this conversation."
        } else {
            "Write a reply… Type / for a canned response."
        }
    };
    let text_invalid =
        move || error.with(|e| e.as_ref().is_some_and(|e| e.field() == Some("text")));
    let can_write = true;

    view! {
        <form
            class="composer"
            class:is-note=move || mode.get() == Mode::Note
            class:is-drop-target=move || drop_target.get()
            novalidate
            on:submit=move |ev: SubmitEvent| {
                ev.prevent_default();
                send(false);
            }
            aria-label=move || if mode.get() == Mode::Note { "Internal note" } else { "Reply" }
            on:dragenter=drag_enter
            on:dragover=drag_over
            on:dragleave=drag_leave
            on:drop=drop_file
        >
            <Show when=move || drop_target.get()>
                <div class="composer-drop-hint" aria-hidden="true">
                    <Icon kind=IconKind::Image />
                    <span>"Drop the image to send it to the client"</span>
                    <span class="composer-drop-detail">"JPG, PNG or GIF, up to 2 MB. You confirm before it goes out."</span>
                </div>
            </Show>
            <PresenceLine conversation=conversation.get_value() can_write=can_write />
            <div class="composer-top">
                <div class="composer-modes" role="radiogroup" aria-label="Write a">
                    <button
                        type="button"
                        class="composer-mode mode-reply"
                        role="radio"
                        aria-checked=move || replying().to_string()
                        on:click=move |_| switch_mode(Mode::Reply)
                    >
                        "Reply"
                        <kbd class="kbd">"r"</kbd>
                    </button>
                    <button
                        type="button"
                        class="composer-mode mode-note"
                        role="radio"
                        aria-checked=move || (!replying()).to_string()
                        on:click=move |_| switch_mode(Mode::Note)
                    >
                        "Note"
                        <kbd class="kbd">"n"</kbd>
                    </button>
                </div>
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
            <div class="composer-field">
                <label class="visually-hidden" for="composer-text">
                    {move || if replying() { "Reply to the client" } else { "Internal note for colleagues" }}
                </label>
                <textarea
                    id="composer-text"
                    name="text"
                    rows="3"
                    node_ref=textarea
                    placeholder=placeholder
                    aria-invalid=move || text_invalid().then_some("true")
                    aria-describedby="composer-hint composer-error"
                    aria-autocomplete="list"
                    aria-controls="composer-suggestions"
                    aria-expanded=move || (!menu.with(Vec::is_empty)).to_string()
                    disabled=disabled
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        menu_dismissed.set(false);
                        menu_index.set(0);
                        sync_caret();
                    }
                    on:click=move |_| sync_caret()
                    on:keyup=move |ev: KeyboardEvent| {
                        if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                            sync_caret();
                        }
                    }
                    on:keydown=keydown
                    on:paste=paste
                ></textarea>
                <Show when=move || !menu.with(Vec::is_empty)>
                    <ul class="suggestion-menu" id="composer-suggestions" role="listbox" aria-label="Suggestions">
                        {move || {
                            menu.get()
                                .into_iter()
                                .enumerate()
                                .map(|(index, suggestion)| {
                                    let active = move || menu_index.get() == index;
                                    let chosen = suggestion.clone();
                                    view! {
                                        <li
                                            role="option"
                                            class="suggestion"
                                            class:is-active=active
                                            aria-selected=move || active().to_string()
                                            on:mousedown=move |ev| {
                                                ev.prevent_default();
                                                choose(chosen.clone());
                                            }
                                        >
                                            <span class="suggestion-label">{suggestion.label}</span>
                                            <span class="suggestion-detail">{suggestion.detail}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                </Show>
            </div>
            <div class="composer-footer">
                <div class="composer-tools">
                    <EmojiPicker open=emoji_open disabled=Signal::derive(disabled) on_pick=Callback::new(insert_at_caret) />
                    <Show when=replying>
                        <AttachImage
                            sending=sending_image.into()
                            disabled=Signal::derive(move || disabled() || busy.get())
                            on_file=Callback::new(move |file| take_file(file, Source::Chosen))
                        />
                    </Show>
                </div>
                <p class="composer-hint" id="composer-hint">
                    {move || if replying() {
                        "Ctrl+Enter to send · / canned responses"
                    } else {
                        "Only colleagues see notes · @ to mention"
                    }}
                </p>
                <Show when=move || text.with(|t| !t.trim().is_empty()) && !saving_canned.get()>
                    <button type="button" class="button button-ghost button-small canned-save-toggle" on:click=move |_| saving_canned.set(true)>
                        "Save as canned"
                    </button>
                </Show>
                <button
                    type="submit"
                    class="button button-primary composer-send"
                    disabled=move || busy.get() || sending_image.get() || disabled()
                >
                    <Icon kind=IconKind::Send />
                    <span>{move || match (busy.get(), replying()) {
                        (true, _) => "Sending…",
                        (false, true) => "Send",
                        (false, false) => "Add note",
                    }}</span>
                </button>
            </div>
            <Show when=move || saving_canned.get()>
                <CannedSave
                    body=Signal::derive(move || text.get())
                    on_saved=Callback::new(move |saved: CannedResponse| {
                        canned.update(|list| list.push(saved));
                        saving_canned.set(false);
                    })
                    on_cancel=Callback::new(move |()| saving_canned.set(false))
                />
            </Show>
            <div id="composer-error">
                {move || {
                    error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="form-error composer-error" role="alert" data-code=e.code_str()>
                                    {e.message().to_owned()}
                                </p>
                            }
                        })
                }}
            </div>
            {move || confirm.get().map(|pending| {
                let (title, message, confirm_label) = match &pending {
                    Pending::RecentText(message) => ("Send this reply too?", message.clone(), "Send anyway"),
                    Pending::RecentImage(message, _) => ("Send this image too?", message.clone(), "Send anyway"),
                    Pending::Pasted(image) => (
                        "Send the pasted image?",
                        format!("{} goes to the client as soon as you send it.", image.describe()),
                        "Send image",
                    ),
                    Pending::Dropped(image) => (
                        "Send the dropped image?",
                        format!("{} goes to the client as soon as you send it.", image.describe()),
                        "Send image",
                    ),
                };
                view! {
                    <ConfirmDialog
                        title=title.to_owned()
                        message=message
                        confirm_label=confirm_label
                        on_confirm=Callback::new(move |()| match pending.clone() {
                            Pending::RecentText(_) => send(true),
                            Pending::RecentImage(_, image) => send_image(image, true),
                            Pending::Pasted(image) | Pending::Dropped(image) => send_image(image, false),
                        })
                        on_cancel=Callback::new(move |()| {
                            confirm.set(None);
                            let end = text.with_untracked(String::len);
                            focus_at(end);
                        })
                    />
                }
            })}
        </form>
    }
}
