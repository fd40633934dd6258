//! The WeChat simulator against a small receiver built on
//! `callback::receive`: every mode round-trips, deliveries retry like
//! WeChat, traffic is seeded and realistic, and the fake stays informed.
#![cfg(feature = "fake")]

mod delivery;
mod helpers;
mod modes;
mod traffic;
mod with_fake;
