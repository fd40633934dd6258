//! The Official Account `POST` callback: verify the signatures, decrypt when
//! the push is encrypted, and parse it into an [`InboundMessage`].

use std::fmt;

use thiserror::Error;

use crate::crypto::{CryptoError, MessageCrypto};
use crate::message::InboundMessage;
use crate::query::Query;
use crate::signature::{required, verify_msg_signature, verify_signature, SignatureError};
use crate::xml::{self, XmlError, MAX_XML_LEN};

/// The message encryption mode an administrator chose for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// 明文: plaintext pushes only.
    Plain,
    /// 兼容: WeChat sends the plaintext elements with `Encrypt` appended;
    /// only the decrypted copy is used, and a push without `Encrypt` is
    /// refused (nothing else would authenticate its body).
    Compatible,
    /// 安全: encrypted pushes only.
    Safe,
}

/// One account's callback credentials.
#[derive(Clone)]
pub struct CallbackConfig {
    mode: Mode,
    token: String,
    crypto: Option<MessageCrypto>,
}

impl fmt::Debug for CallbackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: never print it.
        f.debug_struct("CallbackConfig")
            .field("mode", &self.mode)
            .field("crypto", &self.crypto)
            .finish_non_exhaustive()
    }
}

impl CallbackConfig {
    /// A plaintext-mode account: only the token is needed.
    pub fn plain(token: impl Into<String>) -> Self {
        CallbackConfig {
            mode: Mode::Plain,
            token: token.into(),
            crypto: None,
        }
    }

    /// A compatible-mode account.
    pub fn compatible(
        token: impl Into<String>,
        encoding_aes_key: &str,
        appid: impl Into<String>,
    ) -> Result<Self, CryptoError> {
        Self::encrypted(Mode::Compatible, token, encoding_aes_key, appid)
    }

    /// A safe-mode account.
    pub fn safe(
        token: impl Into<String>,
        encoding_aes_key: &str,
        appid: impl Into<String>,
    ) -> Result<Self, CryptoError> {
        Self::encrypted(Mode::Safe, token, encoding_aes_key, appid)
    }

    fn encrypted(
        mode: Mode,
        token: impl Into<String>,
        encoding_aes_key: &str,
        appid: impl Into<String>,
    ) -> Result<Self, CryptoError> {
        Ok(CallbackConfig {
            mode,
            token: token.into(),
            crypto: Some(MessageCrypto::new(encoding_aes_key, appid)?),
        })
    }

    /// The configured mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The envelope, for compatible and safe accounts (e.g. to seal replies).
    pub fn crypto(&self) -> Option<&MessageCrypto> {
        self.crypto.as_ref()
    }
}

/// Why a push was refused. Answer non-200 and store nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallbackError {
    /// A parameter is missing or a signature does not match.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// `encrypt_type` is neither absent, `raw` nor `aes`.
    #[error("the encrypt_type `{0}` is not supported")]
    UnsupportedEncryptType(String),
    /// The push's encryption does not match the account's mode.
    #[error("an {} push reached a {mode:?}-mode account", if *.encrypted { "encrypted" } else { "unencrypted" })]
    ModeNotEnabled {
        /// The account's mode.
        mode: Mode,
        /// Whether the push was encrypted.
        encrypted: bool,
    },
    /// The ciphertext could not be opened.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The body (or decrypted message) is not acceptable XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
}

impl CallbackError {
    /// Stable machine code; matches the fixtures' `reason` where they name one.
    pub fn code(&self) -> &'static str {
        match self {
            CallbackError::Signature(err) => err.code(),
            CallbackError::UnsupportedEncryptType(_) => "unsupported_encrypt_type",
            CallbackError::ModeNotEnabled { .. } => "encryption_mode_not_enabled",
            CallbackError::Crypto(err) => err.code(),
            CallbackError::Xml(err) => err.code(),
        }
    }
}

/// Verifies and parses one `POST` push.
///
/// `query` must come from [`Query::parse`] on the raw query string (never a
/// form decoder). Always checks `signature`; with `encrypt_type=aes` also
/// checks `msg_signature` over `Encrypt` and uses only the decrypted XML.
pub fn receive(
    config: &CallbackConfig,
    query: &Query,
    body: &[u8],
) -> Result<InboundMessage, CallbackError> {
    if body.len() > MAX_XML_LEN {
        return Err(XmlError::TooLarge.into());
    }
    let timestamp = required(query, "timestamp")?;
    let nonce = required(query, "nonce")?;
    verify_signature(
        &config.token,
        timestamp,
        nonce,
        required(query, "signature")?,
    )?;

    let encrypted = match query.get("encrypt_type") {
        None | Some("raw") => false,
        Some("aes") => true,
        Some(other) => return Err(CallbackError::UnsupportedEncryptType(other.to_owned())),
    };
    let crypto = match (config.mode, encrypted, &config.crypto) {
        (Mode::Compatible | Mode::Safe, true, Some(crypto)) => crypto,
        // Compatible mode signs the body only through `msg_signature` over
        // `Encrypt`: a push without it could be any body under a replayed URL.
        (Mode::Plain, false, _) => {
            let xml = std::str::from_utf8(body).map_err(|_| XmlError::InvalidUtf8)?;
            return Ok(InboundMessage::from_xml(xml)?);
        }
        (mode, encrypted, _) => return Err(CallbackError::ModeNotEnabled { mode, encrypted }),
    };

    let msg_signature = required(query, "msg_signature")?;
    let envelope = xml::parse_encrypted_envelope(body)?;
    verify_msg_signature(
        &config.token,
        timestamp,
        nonce,
        &envelope.encrypt,
        msg_signature,
    )?;
    let decrypted = crypto.decrypt_to_string(&envelope.encrypt)?;
    Ok(InboundMessage::from_xml(decrypted)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::signature;

    const TOKEN: &str = "inboxTestToken2024";
    const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    const BODY: &[u8] = b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>\
        <CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>9</MsgId></xml>";

    fn signed_query(extra: &str) -> Query {
        let sig = signature(TOKEN, "1", "2");
        Query::parse(&format!("signature={sig}&timestamp=1&nonce=2{extra}")).expect("query")
    }

    #[test]
    fn a_plaintext_push_to_a_safe_mode_account_is_rejected() {
        let config = CallbackConfig::safe(TOKEN, KEY, "wx1").expect("config");
        let err = receive(&config, &signed_query(""), BODY).expect_err("plaintext refused");
        assert_eq!(err.code(), "encryption_mode_not_enabled");
    }

    #[test]
    fn an_encrypted_push_to_a_plaintext_account_is_rejected() {
        let config = CallbackConfig::plain(TOKEN);
        let err = receive(&config, &signed_query("&encrypt_type=aes"), BODY).expect_err("refused");
        assert_eq!(err.code(), "encryption_mode_not_enabled");
    }

    #[test]
    fn a_compatible_account_refuses_a_push_without_encrypt() {
        // Only `signature` covers such a push, and it signs the URL, not the body.
        let config = CallbackConfig::compatible(TOKEN, KEY, "wx1").expect("config");
        let err = receive(&config, &signed_query(""), BODY).expect_err("refused");
        assert_eq!(err.code(), "encryption_mode_not_enabled");
    }

    #[test]
    fn an_unknown_encrypt_type_is_rejected() {
        let config = CallbackConfig::plain(TOKEN);
        let err =
            receive(&config, &signed_query("&encrypt_type=rot13"), BODY).expect_err("refused");
        assert_eq!(err.code(), "unsupported_encrypt_type");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let config = CallbackConfig::plain(TOKEN);
        assert!(!format!("{config:?}").contains(TOKEN));
    }
}
