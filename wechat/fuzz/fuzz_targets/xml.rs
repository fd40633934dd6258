//! Fuzz target: the callback XML reader and the typed message view must never
//! panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat::xml;
use wechat::InboundMessage;

fuzz_target!(|data: &[u8]| {
    let _ = xml::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(message) = InboundMessage::from_xml(text) {
            let _ = message.dedupe_key();
        }
    }
});
