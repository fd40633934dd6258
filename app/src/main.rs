//! Entry point of the Harbour single-page app: installs the panic hook and
//! mounts the root component onto `<body>`.

// The `i18n` module: `Locale`, `use_i18n` and the `t!` macros, generated at
// compile time from app/locales/*.json. The macro is deprecated in favour of
// leptos_i18n_build in build.rs, which compiles ICU's data exporter and a
// WebAssembly runtime into the build script; the macro makes the same module.
#[allow(deprecated)]
mod translations {
    leptos_i18n::load_locales!();
}
use translations::i18n;

mod api;
mod app;
mod bottom_pin;
mod canned;
mod channel_rules;
mod clock;
mod components;
mod debounce;
mod focus_trap;
mod form_errors;
mod format;
mod labels;
mod language;
mod message_merge;
mod notify;
mod pages;
mod portal;
mod queues;
mod remembered;
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
