//! The words the inbox shows for contacts, previews, WeChat events, delivery
//! states and the reply window. Plain functions, so they are easy to test
//! and to translate later.

use shared::api::{DeliveryState, ReplyWindow, WindowRefusal};

use crate::format::time_left;
use crate::i18n::td_string;
use crate::language::current_locale;

/// Waiting longer than this turns the waiting badge amber.
pub const WAITING_TOO_LONG_MS: i64 = 10 * 60 * 1000;

/// The contact's name, or "WeChat user · 3f9a1c" from the openid's tail.
pub fn contact_label(name: Option<&str>, open_id: &str) -> String {
    match name.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => name.to_owned(),
        None => {
            let chars: Vec<char> = open_id.chars().collect();
            let tail: String = chars[chars.len().saturating_sub(6)..].iter().collect();
            format!(
                "{} · {tail}",
                td_string!(current_locale(), labels.wechat_user)
            )
        }
    }
}

/// What a message without text is, e.g. "Image".
pub fn placeholder(kind: &str) -> Option<&'static str> {
    let locale = current_locale();
    match kind {
        "image" => Some(td_string!(locale, labels.image)),
        "voice" => Some(td_string!(locale, labels.voice)),
        "video" | "shortvideo" => Some(td_string!(locale, labels.video)),
        "location" => Some(td_string!(locale, labels.location)),
        "link" => Some(td_string!(locale, labels.link)),
        "file" => Some(td_string!(locale, labels.file)),
        "business_card" => Some(td_string!(locale, labels.business_card)),
        "miniprogram" => Some(td_string!(locale, labels.miniprogram)),
        _ => None,
    }
}

/// The words for an event the list preview also names by itself (the
/// others show as the client's text would).
fn preview_event(name: &str) -> Option<&'static str> {
    let locale = current_locale();
    Some(match name {
        "subscribe" => td_string!(locale, labels.subscribed),
        "unsubscribe" => td_string!(locale, labels.unsubscribed),
        // WeCom Customer Service events.
        "enter_session" => td_string!(locale, labels.opened_chat),
        "msg_send_fail" => td_string!(locale, labels.not_delivered),
        "user_recall_msg" => td_string!(locale, labels.recalled_message),
        "session_status_change" => td_string!(locale, labels.session_changed),
        "servicer_recall_msg" => td_string!(locale, labels.colleague_recalled),
        _ => return None,
    })
}

/// A WeChat event (its `Event` name, or a WeCom Customer Service
/// `event_type`) as a sentence about the contact.
pub fn event_label(name: Option<&str>) -> String {
    let name = name.unwrap_or_default();
    if let Some(words) = preview_event(name) {
        return words.to_owned();
    }
    let locale = current_locale();
    let text = match name {
        "SCAN" => td_string!(locale, labels.scanned),
        "CLICK" => td_string!(locale, labels.clicked),
        "VIEW" => td_string!(locale, labels.viewed),
        "LOCATION" => td_string!(locale, labels.located),
        "" => td_string!(locale, labels.event),
        other => return format!("{}{other}", td_string!(locale, labels.event_named_before)),
    };
    text.to_owned()
}

/// The list preview: the newest message's text, or what kind it was.
pub fn preview_label(preview: Option<&str>) -> String {
    match preview.map(str::trim) {
        None | Some("") => td_string!(current_locale(), labels.no_messages).to_owned(),
        Some(text) => preview_event(text)
            .or_else(|| placeholder(text))
            .map_or_else(|| text.to_owned(), str::to_owned),
    }
}

/// An outbound message's delivery: (its state, for `data-state`; words to
/// show). No status yet reads as queued.
pub fn delivery_text(
    status: Option<DeliveryState>,
    error: Option<&str>,
) -> (DeliveryState, String) {
    let reason = |fallback: &str| {
        error
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .unwrap_or(fallback)
            .to_owned()
    };
    let locale = current_locale();
    let state = status.unwrap_or(DeliveryState::Queued);
    let text = match state {
        DeliveryState::Queued => td_string!(locale, delivery.queued).to_owned(),
        DeliveryState::Sending => td_string!(locale, delivery.sending).to_owned(),
        DeliveryState::Sent => td_string!(locale, delivery.sent).to_owned(),
        DeliveryState::Failed => format!(
            "{}{}",
            td_string!(locale, delivery.failed_before),
            reason(td_string!(locale, delivery.not_accepted))
        ),
        DeliveryState::Unknown => format!(
            "{}{}",
            td_string!(locale, delivery.unknown_before),
            reason(td_string!(locale, delivery.not_confirmed))
        ),
    };
    (state, text)
}

/// How urgent the reply window looks: drives its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowTone {
    Open,
    /// Open, but closing within two hours or down to its last reply.
    Closing,
    Closed,
}

impl WindowTone {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowTone::Open => "open",
            WindowTone::Closing => "closing",
            WindowTone::Closed => "closed",
        }
    }
}

/// Why WeChat will not take a reply, in the user's language.
pub fn refusal_sentence(refusal: &WindowRefusal) -> String {
    let locale = current_locale();
    match refusal {
        WindowRefusal::HeldInWecom { servicer } => format!(
            "{}{servicer}{}",
            td_string!(locale, window.held_in_wecom_before),
            td_string!(locale, window.held_in_wecom_after)
        ),
        WindowRefusal::SessionEnded => td_string!(locale, window.session_ended).to_owned(),
        WindowRefusal::Unfollowed => td_string!(locale, window.unfollowed).to_owned(),
        WindowRefusal::NotWritten => td_string!(locale, window.not_written).to_owned(),
        WindowRefusal::Closed { .. } => td_string!(locale, window.closed).to_owned(),
        WindowRefusal::RepliesSpent { replies } => format!(
            "{}{replies}{}",
            td_string!(locale, window.replies_spent_before),
            td_string!(locale, window.replies_spent_after)
        ),
    }
}

/// "3 replies left · closes in 31 h", or why no reply can go out.
pub fn window_summary(window: &ReplyWindow, now_ms: i64) -> (WindowTone, String) {
    if let Some(refused) = &window.refused {
        return (WindowTone::Closed, refusal_sentence(refused));
    }
    // A server that words its refusal only in English.
    if let Some(refusal) = window.refusal.as_deref().filter(|r| !r.trim().is_empty()) {
        return (WindowTone::Closed, refusal.to_owned());
    }
    let locale = current_locale();
    let closes_at = window.closes_at.filter(|_| window.open);
    if !window.open || closes_at.is_some_and(|at| at <= now_ms) {
        return (
            WindowTone::Closed,
            td_string!(locale, window.closed).to_owned(),
        );
    }
    let replies = match window.replies_left {
        1 => td_string!(locale, window.one_reply_left).to_owned(),
        n => format!(
            "{}{}{}",
            td_string!(locale, window.replies_left_before),
            n.max(0),
            td_string!(locale, window.replies_left_after)
        ),
    };
    let text = match closes_at {
        Some(at) => format!(
            "{replies}{}{}{}",
            td_string!(locale, window.closes_in_before),
            time_left(at, now_ms),
            td_string!(locale, window.closes_in_after)
        ),
        None => replies,
    };
    let closing =
        window.replies_left <= 1 || closes_at.is_some_and(|at| at - now_ms < 2 * 60 * 60 * 1000);
    let tone = if closing {
        WindowTone::Closing
    } else {
        WindowTone::Open
    };
    (tone, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(open: bool, closes_at: Option<i64>, left: i64, refusal: Option<&str>) -> ReplyWindow {
        ReplyWindow {
            open,
            closes_at,
            replies_left: left,
            replies_per_window: 5,
            refusal: refusal.map(str::to_owned),
            refused: None,
            sends_files: false,
        }
    }

    #[test]
    fn unnamed_contacts_show_the_openid_tail() {
        assert_eq!(contact_label(None, "oABCDEF123456"), "WeChat user · 123456");
        assert_eq!(contact_label(Some("  "), "abc"), "WeChat user · abc");
        assert_eq!(contact_label(Some("陳大文"), "o1"), "陳大文");
    }

    #[test]
    fn previews_name_non_text_messages() {
        assert_eq!(preview_label(Some("image")), "Image");
        assert_eq!(preview_label(Some("subscribe")), "Followed the account");
        assert_eq!(preview_label(Some("你好")), "你好");
        assert_eq!(preview_label(None), "No messages yet");
    }

    #[test]
    fn delivery_states_read_as_words() {
        assert_eq!(delivery_text(Some(DeliveryState::Sent), None).1, "Sent ✓");
        assert_eq!(
            delivery_text(
                Some(DeliveryState::Failed),
                Some("The reply window closed.")
            )
            .1,
            "Failed – The reply window closed."
        );
        assert_eq!(
            delivery_text(Some(DeliveryState::Unknown), None).0,
            DeliveryState::Unknown
        );
        assert_eq!(delivery_text(None, None).1, "Queued");
    }

    #[test]
    fn the_window_summary_counts_replies_and_hours() {
        let hour = 60 * 60 * 1000;
        let open = window(true, Some(31 * hour + 5), 3, None);
        assert_eq!(
            window_summary(&open, 0),
            (
                WindowTone::Open,
                "3 replies left · closes in 31 h".to_owned()
            )
        );
        let last = window(true, Some(hour), 1, None);
        assert_eq!(window_summary(&last, 0).0, WindowTone::Closing);
        let refused = window(false, None, 0, Some("WeChat closed the reply window."));
        assert_eq!(
            window_summary(&refused, 0),
            (
                WindowTone::Closed,
                "WeChat closed the reply window.".to_owned()
            )
        );
        // The reason as data wins over the server's English.
        let held = ReplyWindow {
            refused: Some(WindowRefusal::HeldInWecom {
                servicer: "zhangsan".into(),
            }),
            ..window(true, Some(hour), 3, Some("in English"))
        };
        let (tone, text) = window_summary(&held, 0);
        assert_eq!(tone, WindowTone::Closed);
        assert!(text.starts_with("zhangsan is handling"), "{text}");
        let spent = WindowRefusal::RepliesSpent { replies: 5 };
        assert!(refusal_sentence(&spent).contains("sent 5 replies"));
    }
}
