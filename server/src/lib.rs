//! Harbour's server: HTTP API, live socket, storage, jobs and the command line.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod canned;
pub mod channels;
pub mod checkpointer;
pub mod checkpoints;
pub mod cli;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod contacts;
pub mod demo;
pub mod demo_portal;
pub mod error;
pub mod hub;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod portal;
pub mod presence;
pub mod reply_window;
pub mod routes;
pub mod search;
pub mod secrets;
pub mod seed;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod triage;
pub mod ws;

pub use config::Config;
pub use startup::Application;
