//! Sending what the composer holds: a reply, a note or an image, with one
//! way of handling the answer. A reply moments after a colleague's asks
//! first; refusals and errors keep the text so nothing is lost.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Colleague;
use shared::{ConversationId, ErrorCode};

use super::draft::{Draft, Mode};
use super::mentions::mentioned_ids;
use super::outgoing_file::{self, OutgoingFile};
use super::outgoing_image::{self, OutgoingImage};
use crate::api::{self, ApiError};
use crate::components::confirm_dialog::ConfirmDialog;
use crate::i18n::{t_string, use_i18n};
use crate::state::auth::AuthState;

/// What the confirmation dialog, when open, is asking about.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// A colleague replied moments ago (the server's sentence): send the text too?
    RecentText(String),
    /// The same, for an image.
    RecentImage(String, OutgoingImage),
    /// The same, for a file.
    RecentFile(String, OutgoingFile),
    /// An image was pasted: send it?
    Pasted(OutgoingImage),
    /// An image was dropped on the composer: send it?
    Dropped(OutgoingImage),
}

/// Where an image to send came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The Attach image button: sent straight away.
    Chosen,
    /// Pasted or dropped: asked about first.
    Pasted,
    Dropped,
}

/// What went out, so its answer is handled alike.
enum Sent {
    Text,
    Image(OutgoingImage),
    File(OutgoingFile),
}

/// A refusal of an image before it uploads, shown like the server's.
pub fn image_refusal(sentence: String) -> ApiError {
    let mut refusal = ApiError::validation(sentence);
    refusal.body.field = Some("image".to_owned());
    refusal
}

/// Sends for the composer and keeps what the send means for its view.
#[derive(Clone, Copy)]
pub struct Sender {
    pub busy: RwSignal<bool>,
    pub sending_image: RwSignal<bool>,
    pub sending_file: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
    pub confirm: RwSignal<Option<Pending>>,
    auth: AuthState,
    conversation: ConversationId,
    draft: Draft,
    colleagues: Signal<Vec<Colleague>>,
    /// Replies are closed or a colleague holds the lock.
    disabled: Signal<bool>,
    on_change: Callback<()>,
}

impl Sender {
    pub fn new(
        auth: AuthState,
        conversation: ConversationId,
        draft: Draft,
        colleagues: Signal<Vec<Colleague>>,
        disabled: Signal<bool>,
        on_change: Callback<()>,
    ) -> Self {
        Sender {
            busy: RwSignal::new(false),
            sending_image: RwSignal::new(false),
            sending_file: RwSignal::new(false),
            error: RwSignal::new(None),
            confirm: RwSignal::new(None),
            auth,
            conversation,
            draft,
            colleagues,
            disabled,
            on_change,
        }
    }

    fn can_send(&self) -> bool {
        !self.busy.get_untracked()
            && !self.sending_image.get_untracked()
            && !self.sending_file.get_untracked()
            && !self.disabled.get_untracked()
    }

    /// Sends the draft as a reply or a note.
    pub fn send_text(self, confirm_recent: bool) {
        if !self.can_send() {
            return;
        }
        let body = self.draft.text.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let auth = self.auth;
        let id = self.conversation;
        let note = self.draft.mode.get_untracked() == Mode::Note;
        let mentions = self.colleagues.with_untracked(|c| mentioned_ids(&body, c));
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
            self.busy.try_set(false);
            self.settle(Sent::Text, outcome);
        });
    }

    /// Images go out on their own; the text being written stays as it is.
    pub fn send_image(self, image: OutgoingImage, confirm_recent: bool) {
        if !self.can_send() {
            return;
        }
        self.sending_image.set(true);
        self.error.set(None);
        self.confirm.set(None);
        let auth = self.auth;
        let id = self.conversation;
        spawn_local(async move {
            let outcome = api::conversations::send_image(
                auth,
                id,
                image.content_type,
                &image.bytes,
                confirm_recent,
            )
            .await
            .map(|_| ());
            self.sending_image.try_set(false);
            // The Attach button was disabled under the keyboard's focus: give it
            // to the reply box rather than leave it nowhere.
            if document()
                .active_element()
                .is_none_or(|e| e.tag_name() == "BODY")
            {
                if let Some(Some(area)) = self.draft.textarea.try_get_untracked() {
                    let _ = area.focus();
                }
            }
            self.settle(Sent::Image(image), outcome);
        });
    }

    /// The one place a send's answer is handled, for text and images alike.
    fn settle(self, sent: Sent, outcome: Result<(), ApiError>) {
        let failure = match outcome {
            Ok(()) => {
                if let Sent::Text = sent {
                    self.draft.clear();
                }
                self.confirm.try_set(None);
                self.on_change.run(());
                return;
            }
            Err(failure) => failure,
        };
        match failure.code() {
            ErrorCode::RecentReply => {
                let message = failure.message().to_owned();
                self.confirm.try_set(Some(match sent {
                    Sent::Text => Pending::RecentText(message),
                    Sent::Image(image) => Pending::RecentImage(message, image),
                    Sent::File(file) => Pending::RecentFile(message, file),
                }));
            }
            _ => {
                // Refused (the lock, the reply window): what changed is worth a refetch.
                let refused = failure.status == 409;
                self.confirm.try_set(None);
                self.error.try_set(Some(failure));
                if refused {
                    self.on_change.run(());
                }
            }
        }
    }

    /// Queues a file reply (WeCom Customer Service).
    pub fn send_file(self, file: OutgoingFile, confirm_recent: bool) {
        if !self.can_send() {
            return;
        }
        self.sending_file.set(true);
        self.error.set(None);
        self.confirm.set(None);
        let auth = self.auth;
        let id = self.conversation;
        spawn_local(async move {
            let outcome =
                api::conversations::send_file(auth, id, &file.name, &file.bytes, confirm_recent)
                    .await
                    .map(|_| ());
            self.sending_file.try_set(false);
            self.settle(Sent::File(file), outcome);
        });
    }

    /// A file chosen with "Attach file": checked, read, and sent.
    pub fn take_any_file(self, file: web_sys::File) {
        if self.sending_file.get_untracked() || self.disabled.get_untracked() {
            return;
        }
        self.error.set(None);
        self.sending_file.set(true);
        spawn_local(async move {
            let read = outgoing_file::read(file).await;
            self.sending_file.try_set(false);
            match read {
                Ok(file) => self.send_file(file, false),
                Err(sentence) => {
                    let mut refusal = ApiError::validation(sentence);
                    refusal.body.field = Some("file".to_owned());
                    self.error.try_set(Some(refusal));
                }
            }
        });
    }

    /// A chosen file goes straight out; a pasted or dropped one is asked about first.
    pub fn take_file(self, file: web_sys::File, source: Source) {
        if self.sending_image.get_untracked() || self.disabled.get_untracked() {
            return;
        }
        self.error.set(None);
        // Reading counts as sending, so a second choice waits its turn.
        self.sending_image.set(true);
        spawn_local(async move {
            let read = outgoing_image::read(file).await;
            self.sending_image.try_set(false);
            match read {
                Ok(image) => match source {
                    Source::Chosen => self.send_image(image, false),
                    Source::Pasted => {
                        self.confirm.try_set(Some(Pending::Pasted(image)));
                    }
                    Source::Dropped => {
                        self.confirm.try_set(Some(Pending::Dropped(image)));
                    }
                },
                Err(sentence) => {
                    self.error.try_set(Some(image_refusal(sentence)));
                }
            }
        });
    }
}

/// Asks before a send the composer should not make on its own.
#[component]
pub fn SendConfirmation(sender: Sender, draft: Draft) -> impl IntoView {
    let i18n = use_i18n();
    // The words are closures, so a language switch re-words the open dialog
    // without rebuilding it (and moving the focus).
    let goes_out = move |image: &OutgoingImage| -> TextProp {
        let described = image.describe();
        TextProp::from(move || {
            format!(
                "{}{described}{}",
                t_string!(i18n, send.goes_out_before),
                t_string!(i18n, send.goes_out_after)
            )
        })
    };
    let anyway = move || TextProp::from(move || t_string!(i18n, send.anyway));
    let send_image = move || TextProp::from(move || t_string!(i18n, send.image));
    move || {
        sender.confirm.get().map(|pending| {
            let (title, message, confirm_label): (TextProp, TextProp, TextProp) = match &pending {
                Pending::RecentText(message) => (
                    TextProp::from(move || t_string!(i18n, send.reply_too)),
                    TextProp::from(message.clone()),
                    anyway(),
                ),
                Pending::RecentImage(message, _) => (
                    TextProp::from(move || t_string!(i18n, send.image_too)),
                    TextProp::from(message.clone()),
                    anyway(),
                ),
                Pending::RecentFile(message, _) => (
                    TextProp::from(move || t_string!(i18n, file.file_too)),
                    TextProp::from(message.clone()),
                    anyway(),
                ),
                Pending::Pasted(image) => (
                    TextProp::from(move || t_string!(i18n, send.pasted)),
                    goes_out(image),
                    send_image(),
                ),
                Pending::Dropped(image) => (
                    TextProp::from(move || t_string!(i18n, send.dropped)),
                    goes_out(image),
                    send_image(),
                ),
            };
            view! {
                <ConfirmDialog
                    title=title
                    message=message
                    confirm_label=confirm_label
                    on_confirm=Callback::new(move |()| match pending.clone() {
                        Pending::RecentText(_) => sender.send_text(true),
                        Pending::RecentImage(_, image) => sender.send_image(image, true),
                        Pending::RecentFile(_, file) => sender.send_file(file, true),
                        Pending::Pasted(image) | Pending::Dropped(image) => {
                            sender.send_image(image, false)
                        }
                    })
                    on_cancel=Callback::new(move |()| {
                        sender.confirm.set(None);
                        draft.focus_end();
                    })
                />
            }
        })
    }
}
