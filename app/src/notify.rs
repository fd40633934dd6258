//! Telling the agent about new messages in their queues: the unread count
//! in the tab title, and (opted in) a short tone and a desktop notification.

use wasm_bindgen::JsCast;

/// "(3) Harbour", or "Harbour" when nothing is unread.
pub fn title_for(unread: usize) -> String {
    match unread {
        0 => "Harbour".to_owned(),
        n => format!("({n}) Harbour"),
    }
}

pub fn set_title(unread: usize) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&title_for(unread));
    }
}

/// A soft two-note chime; browsers allow it once the page has been used.
pub fn chime() {
    let Ok(context) = web_sys::AudioContext::new() else {
        return;
    };
    let start = context.current_time();
    for (offset, pitch) in [(0.0, 880.0), (0.12, 1_174.66)] {
        let (Ok(oscillator), Ok(gain)) = (context.create_oscillator(), context.create_gain())
        else {
            return;
        };
        oscillator.frequency().set_value(pitch);
        let level = gain.gain();
        let _ = level.set_value_at_time(0.0001, start + offset);
        let _ = level.exponential_ramp_to_value_at_time(0.15, start + offset + 0.02);
        let _ = level.exponential_ramp_to_value_at_time(0.0001, start + offset + 0.25);
        let _ = oscillator.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&context.destination());
        let _ = oscillator.start_with_when(start + offset);
        let _ = oscillator.stop_with_when(start + offset + 0.3);
    }
}

pub fn permission_granted() -> bool {
    web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
}

/// Asks the browser for permission to show desktop notifications.
pub fn ask_permission() {
    let _ = web_sys::Notification::request_permission();
}

/// A desktop notification that opens the conversation when clicked.
pub fn desktop(title: &str, body: &str, href: String) {
    if !permission_granted() {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag(&href);
    if let Ok(notification) = web_sys::Notification::new_with_options(title, &options) {
        let click = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
                let _ = window.location().set_href(&href);
            }
        });
        notification.set_onclick(Some(click.as_ref().unchecked_ref()));
        click.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_counts_unread_conversations() {
        assert_eq!(title_for(0), "Harbour");
        assert_eq!(title_for(3), "(3) Harbour");
    }
}
