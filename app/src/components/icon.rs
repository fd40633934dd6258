//! Line icons drawn inline as SVG (paths after Lucide, ISC licence), so they
//! inherit the text colour and need no extra request.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconKind {
    Anchor,
    Inbox,
    Users,
    Teams,
    Channels,
    SignOut,
    Alert,
    Lock,
    Message,
    Compass,
    Image,
    Paperclip,
    Voice,
    Back,
    Send,
    Search,
    Chevron,
    Calendar,
}

impl IconKind {
    fn paths(self) -> &'static [&'static str] {
        match self {
            IconKind::Anchor => &["M12 22V8", "M5 12H2a10 10 0 0 0 20 0h-3", "M15 5a3 3 0 1 1-6 0a3 3 0 0 1 6 0z"],
            IconKind::Inbox => &[
                "M22 12h-6l-2 3h-4l-2-3H2",
                "M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z",
            ],
            IconKind::Users => &[
                "M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2",
                "M13 7a4 4 0 1 1-8 0a4 4 0 0 1 8 0z",
                "M22 21v-2a4 4 0 0 0-3-3.87",
                "M16 3.13a4 4 0 0 1 0 7.75",
            ],
            IconKind::Teams => &[
                "M16 20V4a2 2 0 0 0-2-2h-4a2 2 0 0 0-2 2v16",
                "M4 6h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2z",
            ],
            // Lucide "radio": an account that messages arrive through.
            IconKind::Channels => &[
                "M4.9 19.1C1 15.2 1 8.8 4.9 4.9",
                "M7.8 16.2c-2.3-2.3-2.3-6.1 0-8.5",
                "M14 12a2 2 0 1 1-4 0a2 2 0 0 1 4 0z",
                "M16.2 7.8c2.3 2.3 2.3 6.1 0 8.5",
                "M19.1 4.9C23 8.8 23 15.1 19.1 19",
            ],
            IconKind::SignOut => &["M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4", "M16 17l5-5-5-5", "M21 12H9"],
            IconKind::Alert => &[
                "M10.29 3.86 1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3L13.71 3.86a2 2 0 0 0-3.42 0z",
                "M12 9v4",
                "M12 17h.01",
            ],
            IconKind::Lock => &[
                "M5 11h14a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2z",
                "M7 11V7a5 5 0 0 1 10 0v4",
            ],
            IconKind::Message => &["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"],
            IconKind::Compass => &[
                "M22 12a10 10 0 1 1-20 0a10 10 0 0 1 20 0z",
                "m16.24 7.76-2.12 6.36-6.36 2.12 2.12-6.36 6.36-2.12z",
            ],
            // Lucide "calendar": hours and holidays.
            IconKind::Calendar => &[
                "M5 4h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
                "M16 2v4",
                "M8 2v4",
                "M3 10h18",
            ],
            // Lucide "paperclip": attach a file.
            IconKind::Paperclip => &["m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l8.57-8.57A4 4 0 1 1 18 8.84l-8.59 8.57a2 2 0 0 1-2.83-2.83l8.49-8.48"],
            IconKind::Image => &[
                "M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z",
                "M11 9a2 2 0 1 1-4 0a2 2 0 0 1 4 0z",
                "m21 15-3.086-3.086a2 2 0 0 0-2.828 0L6 21",
            ],
            IconKind::Voice => &[
                "M12 2a3 3 0 0 0-3 3v7a3 3 0 0 0 6 0V5a3 3 0 0 0-3-3z",
                "M19 10v2a7 7 0 0 1-14 0v-2",
                "M12 19v3",
            ],
            IconKind::Back => &["m12 19-7-7 7-7", "M19 12H5"],
            IconKind::Send => &["m22 2-7 20-4-9-9-4z", "M22 2 11 13"],
            IconKind::Search => &["M19 11a8 8 0 1 1-16 0a8 8 0 0 1 16 0z", "m21 21-4.3-4.3"],
            IconKind::Chevron => &["m6 9 6 6 6-6"],
        }
    }
}

/// A decorative icon; the text beside it (or an `aria-label` on the control)
/// carries the meaning.
#[component]
pub fn Icon(kind: IconKind, #[prop(optional)] class: &'static str) -> impl IntoView {
    let class = if class.is_empty() {
        "icon".to_owned()
    } else {
        format!("icon {class}")
    };
    view! {
        <svg
            class=class
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.75"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            {kind.paths().iter().map(|d| view! { <path d=*d /> }).collect_view()}
        </svg>
    }
}
