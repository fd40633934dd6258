//! One test binary for the wechat protocol core: every shared fixture vector,
//! API request snapshots, and property tests for the parsers and the crypto
//! envelope.

mod encrypted;
mod fixtures;
mod kf;
mod plain;
mod properties;
mod reply;
mod requests;
mod verify;
