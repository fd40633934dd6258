//! One entry of a conversation's timeline: the client's messages on the
//! left, the team's replies on the right with author and delivery state,
//! internal notes as yellow cards labelled "Internal note" (never confused
//! with what the client sees), and activity (assignments, status changes,
//! WeChat events) as quiet centred lines.

use leptos::prelude::*;
use shared::api::{DeliveryState as Delivery, Direction, MessageView};

use crate::components::activity_text::{activity_text, AutomationWhy};
use crate::components::composer::mentions::highlight;
use crate::components::delivery_state::DeliveryState;
use crate::components::icon::{Icon, IconKind};
use crate::components::media_view::MediaView;
use crate::format::{hk_clock_or_date, hk_date_time};
use crate::i18n::td_string;
use crate::labels::{event_label, placeholder};

/// Text with web addresses turned into links that open in a new tab.
fn linkified(text: &str) -> AnyView {
    let mut parts: Vec<AnyView> = Vec::new();
    let mut plain = String::new();
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        if word.starts_with("https://") || word.starts_with("http://") {
            if !plain.is_empty() {
                parts.push(std::mem::take(&mut plain).into_any());
            }
            let href = word.to_owned();
            parts.push(
                {
                    let label = href.clone();
                    view! { <a href=href target="_blank" rel="noopener noreferrer">{label}</a> }
                }
                .into_any(),
            );
            plain.push_str(&piece[word.len()..]);
        } else {
            plain.push_str(piece);
        }
    }
    if !plain.is_empty() {
        parts.push(plain.into_any());
    }
    parts.into_any()
}

/// The visible content of a client or team message.
fn content(message: &MessageView) -> AnyView {
    let kind = message.kind.as_str();
    let body = message.body.clone().filter(|b| !b.trim().is_empty());
    if let Some(media) = message.media.clone() {
        let caption = body.map(|text| view! { <span class="message-detail">{text}</span> });
        let file_name = message
            .fields
            .as_ref()
            .and_then(|f| f.get("file_name"))
            .and_then(|n| n.as_str())
            .map(str::to_owned);
        return view! {
            <MediaView
                message=message.id
                kind=kind.to_owned()
                media=media
                outbound=matches!(message.direction, Direction::Out)
                file_name=file_name
            />
            {caption}
        }
        .into_any();
    }
    match (kind, placeholder(kind)) {
        ("location", Some(label)) => view! {
            <span class="message-placeholder placeholder-location">
                <Icon kind=IconKind::Compass />
                <span class="message-placeholder-label">{label}</span>
            </span>
            {body.map(|place| view! { <span class="message-detail">{place}</span> })}
        }
        .into_any(),
        ("link", Some(label)) => view! {
            <span class="message-placeholder placeholder-link">
                <Icon kind=IconKind::Message />
                <span class="message-placeholder-label">{label}</span>
            </span>
            {body.map(|text| view! { <span class="message-detail">{linkified(&text)}</span> })}
        }
        .into_any(),
        (_, Some(label)) => {
            let icon = match kind {
                "voice" => IconKind::Voice,
                "image" | "video" | "shortvideo" => IconKind::Image,
                _ => IconKind::Message,
            };
            view! {
                <span class=format!("message-placeholder placeholder-{kind}")>
                    <Icon kind=icon />
                    <span class="message-placeholder-label">{label}</span>
                </span>
                {body.map(|text| view! { <span class="message-detail">{text}</span> })}
            }
            .into_any()
        }
        (_, None) => match body {
            Some(text) => view! { <span class="message-text">{linkified(&text)}</span> }.into_any(),
            None => view! { <span class="message-text">{format!("Unsupported message ({kind})")}</span> }.into_any(),
        },
    }
}

#[component]
pub fn MessageItem(
    message: MessageView,
    /// The message's delivery (status, error), live: it changes without the
    /// row being rebuilt.
    #[prop(into)]
    delivery: Signal<(Option<Delivery>, Option<String>)>,
    now: Signal<i64>,
    /// Colleagues' names, to highlight @mentions in notes.
    names: Signal<Vec<String>>,
) -> impl IntoView {
    let created_at = message.created_at;
    let time = move || hk_clock_or_date(created_at, now.get());
    let title = hk_date_time(created_at);
    let id = message.id.to_string();
    let position = message.position;
    // WeChat events are activity lines, whichever way they are filed; what
    // a colleague typed in the WeCom client is the team's side.
    let from_wecom_colleague = message.kind == "servicer_message";
    let shown_as = match message.kind.as_str() {
        "event" => Direction::Activity,
        "servicer_message" => Direction::Out,
        _ => message.direction,
    };

    let outbound = match shown_as {
        Direction::In => false,
        Direction::Out => true,
        Direction::Activity => return activity_line(&message, id, title, time),
        Direction::Note => return note_card(&message, id, title, time, names),
    };
    let locale = crate::language::current_locale();
    let who = if from_wecom_colleague {
        td_string!(locale, timeline.colleague_in_wecom)
    } else if outbound {
        td_string!(locale, timeline.team_reply)
    } else {
        td_string!(locale, timeline.client)
    };
    let author = if from_wecom_colleague {
        let servicer = message
            .fields
            .as_ref()
            .and_then(|f| f.get("servicer_userid"))
            .and_then(|s| s.as_str())
            .unwrap_or_default();
        Some(format!(
            "{servicer} {}",
            td_string!(locale, timeline.in_wecom)
        ))
    } else if let Some(automated) = automated_author(locale, &message) {
        Some(automated)
    } else {
        outbound.then(|| message.author_name.clone()).flatten()
    };
    let why = message
        .fields
        .as_ref()
        .and_then(|f| f.get("why"))
        .cloned()
        .map(|why| view! { <AutomationWhy why=why /> });
    let recalled = message.recalled_at.is_some().then(
        || view! { <span class="message-recalled">{td_string!(locale, timeline.recalled)}</span> },
    );
    let with_delivery = outbound && !from_wecom_colleague;
    view! {
        <li class=format!("message {}", shown_as.as_str()) data-id=id data-position=position data-kind=message.kind.clone()>
            <span class="visually-hidden">{who}</span>
            <div class="message-bubble">{content(&message)}</div>
            <div class="message-meta">
                {author.map(|name| view! { <span class="message-author">{name}</span> })}
                <time class="message-time" title=title>{time}</time>
                {recalled}
                {with_delivery.then(|| view! { <DeliveryState delivery=delivery /> })}
            </div>
            {why}
        </li>
    }
    .into_any()
}

/// "Auto-reply · Rule “After hours”" for a reply Harbour sent on its own
/// (a rule, a closure, a WeCom welcome or closing message).
fn automated_author(locale: crate::i18n::Locale, message: &MessageView) -> Option<String> {
    let fields = message.fields.as_ref()?;
    fields.get("automated")?;
    let auto = td_string!(locale, automation.auto_reply);
    let closure = fields
        .get("rule")
        .and_then(|r| r.as_str())
        .is_some_and(|r| r.starts_with("closure:"));
    Some(
        match crate::components::automation_why::rule_label(locale, Some(fields)) {
            // "Closure auto-reply" says it all.
            Some(rule) if closure => rule,
            Some(rule) => format!("{auto} · {rule}"),
            None => auto.to_owned(),
        },
    )
}

/// An assignment, status change or WeChat event: a quiet centred line.
fn activity_line(
    message: &MessageView,
    id: String,
    title: String,
    time: impl Fn() -> String + Send + Sync + 'static,
) -> AnyView {
    let position = message.position;
    let text = if message.kind == "event" {
        event_label(message.body.as_deref()).into_any()
    } else {
        activity_text(message)
    };
    view! {
        <li class="message activity" data-id=id data-position=position data-kind=message.kind.clone()>
            <span class="activity-text">{text}</span>
            <span aria-hidden="true">" · "</span>
            <time class="message-time" title=title>{time}</time>
        </li>
    }
    .into_any()
}

/// An internal note: a yellow card, @mentions highlighted.
fn note_card(
    message: &MessageView,
    id: String,
    title: String,
    time: impl Fn() -> String + Send + Sync + 'static,
    names: Signal<Vec<String>>,
) -> AnyView {
    let position = message.position;
    let author = crate::components::automation_why::rule_label(
        crate::language::current_locale(),
        message.fields.as_ref(),
    )
    .or_else(|| message.author_name.clone())
    .unwrap_or_else(|| "A colleague".to_owned());
    let body = message.body.clone().unwrap_or_default();
    let parts = move || {
        highlight(&body, &names.get())
            .into_iter()
            .map(|(text, mention)| {
                if mention {
                    view! { <span class="mention">{text}</span> }.into_any()
                } else {
                    text.into_any()
                }
            })
            .collect_view()
    };
    view! {
        <li class="message note" data-id=id data-position=position>
            <div class="note-card">
                <p class="note-label">
                    <Icon kind=IconKind::Lock />
                    <span>{move || td_string!(crate::language::current_locale(), composer.internal_note)}</span>
                    <span class="note-author">{author}</span>
                    <time class="message-time" title=title>{time}</time>
                </p>
                <p class="note-body">{parts}</p>
            </div>
        </li>
    }
    .into_any()
}
