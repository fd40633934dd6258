//! The WeCom callback URL (PROTOCOL.md §6.2): the `GET` verification and
//! the `POST` push, both signed with `msg_signature` and encrypted for the
//! corpid. A push carries no message, only "pull": see
//! [`KfCallback::sync_notice`].

use std::fmt;

use crate::callback::CallbackError;
use crate::crypto::{CryptoError, MessageCrypto};
use crate::message::{CorpId, OpenKfId};
use crate::query::Query;
use crate::signature::{required, verify_msg_signature};
use crate::xml::{self, Fields, XmlError, MAX_XML_LEN};

/// One WeCom app's callback credentials: its `Token` and `EncodingAESKey`,
/// for its organisation's corpid.
#[derive(Clone)]
pub struct KfCallbackConfig {
    token: String,
    crypto: MessageCrypto,
}

impl fmt::Debug for KfCallbackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: never print it.
        f.debug_struct("KfCallbackConfig")
            .field("crypto", &self.crypto)
            .finish_non_exhaustive()
    }
}

impl KfCallbackConfig {
    /// The credentials; fails when the EncodingAESKey is malformed.
    pub fn new(
        token: impl Into<String>,
        encoding_aes_key: &str,
        corpid: &CorpId,
    ) -> Result<Self, CryptoError> {
        Ok(KfCallbackConfig {
            token: token.into(),
            crypto: MessageCrypto::new(encoding_aes_key, corpid.as_str())?,
        })
    }

    /// The envelope (to seal callbacks, as the fake does).
    pub fn crypto(&self) -> &MessageCrypto {
        &self.crypto
    }

    /// The token callbacks are signed with (for the fake).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Checks `msg_signature` over `encrypt` and opens it.
    fn open(&self, query: &Query, encrypt: &str) -> Result<String, CallbackError> {
        verify_msg_signature(
            &self.token,
            required(query, "timestamp")?,
            required(query, "nonce")?,
            encrypt,
            required(query, "msg_signature")?,
        )?;
        Ok(self.crypto.decrypt_to_string(encrypt)?)
    }
}

/// Checks a `GET` URL verification and returns the decrypted `echostr`, to
/// send back as the whole body (no quotes, no newline). On any error answer
/// non-200 and echo nothing.
///
/// `query` must come from [`Query::parse`] on the raw query string: the
/// `echostr` is base64 and a form decoder would turn its `+` into spaces.
pub fn verify_url(config: &KfCallbackConfig, query: &Query) -> Result<String, CallbackError> {
    let echostr = required(query, "echostr")?;
    config.open(query, echostr)
}

/// A verified, decrypted push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfCallback {
    raw_xml: String,
    fields: Fields,
}

/// What a `kf_msg_or_event` push says: pull this account's messages.
/// `Debug` leaves the Token out.
#[derive(Clone, PartialEq, Eq)]
pub struct SyncNotice {
    /// The account with something new.
    pub open_kfid: OpenKfId,
    /// Pass to `kf/sync_msg` within 10 minutes so the pull is not
    /// throttled.
    pub token: Option<String>,
    /// Unix seconds.
    pub create_time: i64,
}

impl fmt::Debug for SyncNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncNotice")
            .field("open_kfid", &self.open_kfid)
            .field("has_token", &self.token.is_some())
            .field("create_time", &self.create_time)
            .finish()
    }
}

impl KfCallback {
    /// The decrypted XML exactly as received.
    pub fn raw_xml(&self) -> &str {
        &self.raw_xml
    }

    /// Its elements.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// `Event` (`kf_msg_or_event`, `kf_account_auth_change`, …).
    pub fn event(&self) -> Option<&str> {
        self.fields.text("Event")
    }

    /// For `kf_msg_or_event`: which account to pull, and the token to pull
    /// with. `None` for any other push (keep it as a record).
    pub fn sync_notice(&self) -> Option<SyncNotice> {
        if self.event() != Some("kf_msg_or_event") {
            return None;
        }
        let open_kfid = self.fields.text("OpenKfId").filter(|id| !id.is_empty())?;
        Some(SyncNotice {
            open_kfid: OpenKfId::new(open_kfid),
            token: self
                .fields
                .text("Token")
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            create_time: self
                .fields
                .text("CreateTime")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or_default(),
        })
    }
}

/// Verifies and decrypts one `POST` push. Answer an empty `200` at once
/// and pull afterwards; on an error answer non-200 and store nothing.
pub fn receive(
    config: &KfCallbackConfig,
    query: &Query,
    body: &[u8],
) -> Result<KfCallback, CallbackError> {
    if body.len() > MAX_XML_LEN {
        return Err(XmlError::TooLarge.into());
    }
    let envelope = xml::parse_encrypted_envelope(body)?;
    let raw_xml = config.open(query, &envelope.encrypt)?;
    let fields = xml::parse(raw_xml.as_bytes())?;
    Ok(KfCallback { raw_xml, fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let config = KfCallbackConfig::new(
            "inboxTestToken2024",
            "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
            &CorpId::new("ww1"),
        )
        .expect("config");
        assert!(!format!("{config:?}").contains("inboxTestToken2024"));
    }

    #[test]
    fn a_push_without_msg_signature_is_refused() {
        let config = KfCallbackConfig::new(
            "t",
            "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
            &CorpId::new("ww1"),
        )
        .expect("config");
        let query = Query::parse("timestamp=1&nonce=2").expect("query");
        let err =
            receive(&config, &query, b"<xml><Encrypt>AAAA</Encrypt></xml>").expect_err("refused");
        assert_eq!(err.code(), "missing_parameter");
    }
}
