//! The API suite: the real server over real HTTP and WebSockets, every test
//! on SQLite and on PostgreSQL.

mod access;
mod assignment;
mod auth;
mod authorization;
mod automation;
mod calendar;
mod callbacks;
mod channels;
mod cli;
mod collab;
mod crash;
mod edge;
mod evidence;
mod export;
mod first_admin;
mod inbox;
mod ingest;
mod jobs;
mod language;
mod live;
mod media;
mod operability;
mod portal;
mod replies;
mod sigterm;
mod sla;
mod socket_rights;
mod store;
mod users;
mod wecom;
mod wecom_crash;
