//! Fuzz target: opening the AES envelope (and the push body around it) must
//! never panic, whatever the bytes.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use wechat::crypto::MessageCrypto;
use wechat::xml::parse_encrypted_envelope;

const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

fuzz_target!(|data: &[u8]| {
    let Ok(crypto) = MessageCrypto::new(KEY, "wx1a2b3c4d5e6f7a8b") else {
        return;
    };
    // As the `Encrypt` text itself.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crypto.decrypt(text);
    }
    // As raw ciphertext, to reach the padding, length and receive-id checks.
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let _ = crypto.decrypt(&encoded);
    // As a whole safe-mode body.
    if let Ok(envelope) = parse_encrypted_envelope(data) {
        let _ = crypto.decrypt(&envelope.encrypt);
    }
});
