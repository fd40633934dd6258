//! One module per page (route).

pub mod automation;
pub mod calendar;
pub mod change_password;
pub mod channels;
pub mod compliance;
pub mod floor;
pub mod inbox;
pub mod login;
pub mod not_found;
pub mod teams;
pub mod users;
