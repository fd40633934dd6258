//! Cross-crate test suite: API tests against a spawned server and browser tests.
