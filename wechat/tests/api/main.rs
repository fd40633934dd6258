//! The API client against the fake WeChat over real HTTP: tokens, the
//! 48-hour window, media, fault injection and secret hygiene.
#![cfg(feature = "fake")]

mod helpers;
mod kf;
mod media;
mod secrets;
mod token;
mod window;
