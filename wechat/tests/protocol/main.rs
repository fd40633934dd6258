//! One test binary for the wechat crate: every shared fixture vector, plus
//! property tests for the parsers and the crypto envelope.

mod encrypted;
mod fixtures;
mod plain;
mod properties;
mod reply;
mod verify;
