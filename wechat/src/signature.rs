//! Callback signatures: sha1 over the byte-wise sorted, concatenated inputs,
//! as lower-case hex, compared in constant time.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use thiserror::Error;

use crate::query::Query;

/// Why a signature check failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// A query parameter the check needs is absent.
    #[error("the query parameter `{0}` is missing")]
    MissingParameter(&'static str),
    /// `signature` does not match sha1(sort(token, timestamp, nonce)).
    #[error("the request signature does not match")]
    SignatureMismatch,
    /// `msg_signature` does not match sha1(sort(token, timestamp, nonce, Encrypt)).
    #[error("the message signature does not match")]
    MsgSignatureMismatch,
}

impl SignatureError {
    /// Stable machine code for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::MissingParameter(_) => "missing_parameter",
            SignatureError::SignatureMismatch => "signature_mismatch",
            SignatureError::MsgSignatureMismatch => "msg_signature_mismatch",
        }
    }
}

/// The plain request signature: `hex(sha1(sort(token, timestamp, nonce)))`.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sorted_sha1_hex(&mut [token, timestamp, nonce])
}

/// The message signature: `hex(sha1(sort(token, timestamp, nonce, encrypt)))`,
/// where `encrypt` is the base64 text exactly as it appears in the XML.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sorted_sha1_hex(&mut [token, timestamp, nonce, encrypt])
}

/// Checks a plain `signature` received from WeChat.
pub fn verify_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    received: &str,
) -> Result<(), SignatureError> {
    if digest_eq(&signature(token, timestamp, nonce), received) {
        Ok(())
    } else {
        Err(SignatureError::SignatureMismatch)
    }
}

/// Checks a `msg_signature` received from WeChat over the raw `Encrypt` text.
pub fn verify_msg_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
    received: &str,
) -> Result<(), SignatureError> {
    if digest_eq(&msg_signature(token, timestamp, nonce, encrypt), received) {
        Ok(())
    } else {
        Err(SignatureError::MsgSignatureMismatch)
    }
}

/// Checks an Official Account `GET` URL verification and returns the
/// `echostr` to send back as the whole `text/plain` body.
///
/// The query must carry `signature`, `timestamp`, `nonce` and `echostr`. On
/// any error the caller answers non-200 and must not echo anything.
pub fn verify_url(token: &str, query: &Query) -> Result<String, SignatureError> {
    let received = required(query, "signature")?;
    let timestamp = required(query, "timestamp")?;
    let nonce = required(query, "nonce")?;
    let echostr = required(query, "echostr")?;
    verify_signature(token, timestamp, nonce, received)?;
    Ok(echostr.to_owned())
}

pub(crate) fn required<'q>(
    query: &'q Query,
    name: &'static str,
) -> Result<&'q str, SignatureError> {
    query
        .get(name)
        .ok_or(SignatureError::MissingParameter(name))
}

fn sorted_sha1_hex(parts: &mut [&str]) -> String {
    // `str` ordering is byte-wise, which is what WeChat specifies.
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts.iter() {
        hasher.update(part.as_bytes());
    }
    to_lower_hex(&hasher.finalize())
}

fn to_lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Constant-time equality of two hex digests. Exact, case-sensitive: the
/// platform always sends lower-case. Lengths are public, so an early length
/// mismatch leaks nothing useful.
fn digest_eq(expected: &str, received: &str) -> bool {
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_worked_example_signs_to_the_documented_digest() {
        assert_eq!(
            signature("inboxTestToken2024", "1717000000", "1320562132"),
            "b8e995ac11da84392a2ac37a46a1db9edf2cd738"
        );
    }

    #[test]
    fn upper_case_digests_are_rejected() {
        let result = verify_signature(
            "inboxTestToken2024",
            "1717000000",
            "1320562132",
            "B8E995AC11DA84392A2AC37A46A1DB9EDF2CD738",
        );
        assert_eq!(result, Err(SignatureError::SignatureMismatch));
    }

    #[test]
    fn a_truncated_digest_is_rejected() {
        let result = verify_signature("t", "1", "2", "");
        assert_eq!(result, Err(SignatureError::SignatureMismatch));
    }
}
