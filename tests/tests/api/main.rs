//! The API suite: the real server over real HTTP and WebSockets, every test
//! on SQLite and on PostgreSQL.

mod auth;
mod cli;
mod authorization;
mod jobs;
mod live;
mod operability;
mod store;
mod users;
