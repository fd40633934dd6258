//! Reusable pieces of the interface, one component per file.

pub mod activity_feed;
pub mod admin_only;
pub mod app_shell;
pub mod connection_bar;
pub mod empty_state;
pub mod error_state;
pub mod field_error;
pub mod icon;
pub mod live_indicator;
pub mod new_team_form;
pub mod new_user_form;
pub mod page_header;
pub mod reset_password_form;
pub mod side_nav;
pub mod skeleton_rows;
pub mod team_picker;
pub mod top_bar;
pub mod user_row;
pub mod users_table;
