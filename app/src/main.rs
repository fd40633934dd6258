//! Entry point of the Harbour single-page app: installs the panic hook and
//! mounts the root component onto `<body>`.

mod api;
mod app;
mod bottom_pin;
mod channel_rules;
mod clock;
mod components;
mod debounce;
mod form_errors;
mod format;
mod labels;
mod pages;
mod remote;
mod state;
mod ws;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
