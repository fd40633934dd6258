//! Entry point of the Harbour single-page app: installs the panic hook and
//! mounts the root component onto `<body>`.

mod api;
mod app;
mod bottom_pin;
mod canned;
mod channel_rules;
mod clock;
mod components;
mod debounce;
mod form_errors;
mod format;
mod labels;
mod message_merge;
mod notify;
mod pages;
mod queues;
mod remote;
mod shortcuts;
mod size_observer;
mod snooze;
mod state;
mod virtual_window;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
