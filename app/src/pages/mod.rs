//! One module per page (route).

pub mod inbox;
pub mod login;
pub mod not_found;
pub mod teams;
pub mod users;
