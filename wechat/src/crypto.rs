//! The AES message envelope shared by Official Accounts and WeCom: AES-256-CBC
//! with IV = key[..16] over `random(16) | msg_len(4, BE) | msg | receive_id`,
//! PKCS#7-padded to 32-byte blocks, carried as base64.
//!
//! The receive id is the OA `appid` or the WeCom `corpid`. Decryption checks
//! every step in the order PROTOCOL.md §2.4 lists and never panics.

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;
use thiserror::Error;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Length of an EncodingAESKey as configured in the admin console.
pub const ENCODING_AES_KEY_LEN: usize = 43;
/// Length of the random prefix in front of every plaintext.
pub const RANDOM_PREFIX_LEN: usize = 16;
/// WeChat pads to 32-byte blocks, not the AES block size.
const PAD_BLOCK: usize = 32;
const AES_BLOCK: usize = 16;
/// random(16) + msg_len(4).
const HEADER_LEN: usize = RANDOM_PREFIX_LEN + 4;

/// Why a key could not be loaded or an envelope could not be opened or sealed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    /// The EncodingAESKey is not exactly 43 characters.
    #[error("the EncodingAESKey must be exactly 43 characters")]
    BadKeyLength,
    /// The EncodingAESKey is not base64.
    #[error("the EncodingAESKey is not valid base64")]
    BadKeyEncoding,
    /// The `Encrypt` value is empty.
    #[error("the ciphertext is empty")]
    EmptyCiphertext,
    /// The `Encrypt` value is not standard padded base64.
    #[error("the ciphertext is not valid base64")]
    BadBase64,
    /// The decoded ciphertext is not a multiple of the AES block size.
    #[error("the ciphertext length is not a multiple of 16 bytes")]
    BadCiphertextLength,
    /// The last plaintext byte is not a valid 32-byte-block PKCS#7 pad.
    #[error("the plaintext padding is invalid")]
    BadPadding,
    /// Fewer than 20 bytes remain after removing the padding.
    #[error("the plaintext is too short to hold its header")]
    PlaintextTooShort,
    /// The declared message length runs past the end of the plaintext.
    #[error("the declared message length exceeds the plaintext")]
    BadMsgLen,
    /// The trailing receive id is not the configured appid/corpid.
    #[error("the ciphertext was made for another appid or corpid")]
    ReceiveIdMismatch,
    /// The decrypted message is not UTF-8.
    #[error("the decrypted message is not valid UTF-8")]
    InvalidUtf8,
    /// The message to encrypt does not fit the 32-bit length field.
    #[error("the message is too long to encrypt")]
    MessageTooLong,
    /// The operating system's random source failed.
    #[error("no randomness was available to encrypt")]
    RandomUnavailable,
}

impl CryptoError {
    /// Stable machine code for logs and API answers; matches the fixtures' `reason`.
    pub fn code(&self) -> &'static str {
        match self {
            CryptoError::BadKeyLength => "bad_key_length",
            CryptoError::BadKeyEncoding => "bad_key_encoding",
            CryptoError::EmptyCiphertext => "empty_ciphertext",
            CryptoError::BadBase64 => "invalid_base64",
            CryptoError::BadCiphertextLength => "ciphertext_length_not_block_multiple",
            CryptoError::BadPadding => "invalid_padding",
            CryptoError::PlaintextTooShort => "plaintext_too_short",
            CryptoError::BadMsgLen => "invalid_msg_len",
            CryptoError::ReceiveIdMismatch => "receive_id_mismatch",
            CryptoError::InvalidUtf8 => "invalid_utf8",
            CryptoError::MessageTooLong => "message_too_long",
            CryptoError::RandomUnavailable => "random_unavailable",
        }
    }
}

/// Decodes an EncodingAESKey into the 32-byte AES key.
///
/// The 43rd character usually carries non-zero bits that base64 padding
/// discards (non-canonical base64); like the official SDKs we accept them.
pub fn decode_encoding_aes_key(encoding_aes_key: &str) -> Result<[u8; 32], CryptoError> {
    if encoding_aes_key.len() != ENCODING_AES_KEY_LEN {
        return Err(CryptoError::BadKeyLength);
    }
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bytes = LENIENT
        .decode(encoding_aes_key)
        .map_err(|_| CryptoError::BadKeyEncoding)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| CryptoError::BadKeyLength)
}

/// One account's envelope: the AES key plus the receive id it must carry.
#[derive(Clone)]
pub struct MessageCrypto {
    key: [u8; 32],
    receive_id: String,
}

impl std::fmt::Debug for MessageCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never print it.
        f.debug_struct("MessageCrypto")
            .field("receive_id", &self.receive_id)
            .finish_non_exhaustive()
    }
}

impl MessageCrypto {
    /// Loads an account from its EncodingAESKey and receive id (OA `appid`
    /// or WeCom `corpid`).
    pub fn new(encoding_aes_key: &str, receive_id: impl Into<String>) -> Result<Self, CryptoError> {
        Ok(MessageCrypto {
            key: decode_encoding_aes_key(encoding_aes_key)?,
            receive_id: receive_id.into(),
        })
    }

    /// The appid/corpid every envelope of this account carries.
    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// Encrypts `msg` with a fresh random prefix from the OS CSPRNG and
    /// returns the base64 `Encrypt` value.
    pub fn encrypt(&self, msg: &[u8]) -> Result<String, CryptoError> {
        let mut prefix = [0u8; RANDOM_PREFIX_LEN];
        OsRng
            .try_fill_bytes(&mut prefix)
            .map_err(|_| CryptoError::RandomUnavailable)?;
        self.encrypt_with_prefix(msg, prefix)
    }

    /// Encrypts `msg` with the given random prefix. Deterministic: meant for
    /// test vectors; production code uses [`MessageCrypto::encrypt`].
    pub fn encrypt_with_prefix(
        &self,
        msg: &[u8],
        prefix: [u8; RANDOM_PREFIX_LEN],
    ) -> Result<String, CryptoError> {
        let msg_len = u32::try_from(msg.len()).map_err(|_| CryptoError::MessageTooLong)?;
        let unpadded = HEADER_LEN + msg.len() + self.receive_id.len();
        let pad = PAD_BLOCK - unpadded % PAD_BLOCK;
        let mut buf = Vec::with_capacity(unpadded + pad);
        buf.extend_from_slice(&prefix);
        buf.extend_from_slice(&msg_len.to_be_bytes());
        buf.extend_from_slice(msg);
        buf.extend_from_slice(self.receive_id.as_bytes());
        // pad ∈ 1..=32, so the cast cannot truncate.
        buf.resize(unpadded + pad, pad as u8);

        let len = buf.len();
        let ciphertext = Aes256CbcEnc::new(&self.key.into(), &self.iv().into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .map_err(|_| CryptoError::BadCiphertextLength)?;
        Ok(STANDARD.encode(ciphertext))
    }

    /// Opens a base64 `Encrypt` value and returns the message bytes, after
    /// checking length, padding, `msg_len` bounds and the receive id.
    ///
    /// The `msg_signature` must already have been verified by the caller.
    pub fn decrypt(&self, encrypt: &str) -> Result<Vec<u8>, CryptoError> {
        if encrypt.is_empty() {
            return Err(CryptoError::EmptyCiphertext);
        }
        let mut buf = STANDARD
            .decode(encrypt)
            .map_err(|_| CryptoError::BadBase64)?;
        if buf.is_empty() {
            return Err(CryptoError::EmptyCiphertext);
        }
        if buf.len() % AES_BLOCK != 0 {
            return Err(CryptoError::BadCiphertextLength);
        }
        let plaintext = Aes256CbcDec::new(&self.key.into(), &self.iv().into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::BadCiphertextLength)?;

        let body = strip_padding(plaintext)?;
        let (msg_len_bytes, rest) = body
            .get(RANDOM_PREFIX_LEN..)
            .and_then(|after_prefix| after_prefix.split_first_chunk::<4>())
            .ok_or(CryptoError::PlaintextTooShort)?;
        let msg_len = usize::try_from(u32::from_be_bytes(*msg_len_bytes))
            .map_err(|_| CryptoError::BadMsgLen)?;
        if msg_len > rest.len() {
            return Err(CryptoError::BadMsgLen);
        }
        let (msg, receive_id) = rest.split_at(msg_len);
        if receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::ReceiveIdMismatch);
        }
        Ok(msg.to_vec())
    }

    /// Like [`MessageCrypto::decrypt`], and also requires the message to be UTF-8.
    pub fn decrypt_to_string(&self, encrypt: &str) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt(encrypt)?).map_err(|_| CryptoError::InvalidUtf8)
    }

    fn iv(&self) -> [u8; AES_BLOCK] {
        let mut iv = [0u8; AES_BLOCK];
        iv.copy_from_slice(&self.key[..AES_BLOCK]);
        iv
    }
}

/// Removes a 32-byte-block PKCS#7 pad, checking every pad byte (stricter than
/// the official SDKs, which only read the last one).
fn strip_padding(plaintext: &[u8]) -> Result<&[u8], CryptoError> {
    let &pad = plaintext.last().ok_or(CryptoError::BadPadding)?;
    let pad = usize::from(pad);
    if pad == 0 || pad > PAD_BLOCK || pad > plaintext.len() {
        return Err(CryptoError::BadPadding);
    }
    let (body, padding) = plaintext.split_at(plaintext.len() - pad);
    if padding.iter().any(|&b| usize::from(b) != pad) {
        return Err(CryptoError::BadPadding);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

    #[test]
    fn a_non_canonical_encoding_aes_key_is_accepted() {
        let key = decode_encoding_aes_key(KEY).expect("fixture key decodes");
        assert_eq!(key[..4], [0x91, 0x6c, 0x4f, 0x11]);
    }

    #[test]
    fn keys_of_the_wrong_length_are_rejected() {
        assert_eq!(
            decode_encoding_aes_key(&KEY[..42]),
            Err(CryptoError::BadKeyLength)
        );
        assert_eq!(
            decode_encoding_aes_key(&format!("{KEY}=")),
            Err(CryptoError::BadKeyLength)
        );
    }

    #[test]
    fn keys_with_non_base64_characters_are_rejected() {
        let bad = format!("{}!", &KEY[..42]);
        assert_eq!(
            decode_encoding_aes_key(&bad),
            Err(CryptoError::BadKeyEncoding)
        );
    }

    #[test]
    fn padding_fills_a_whole_32_byte_block_when_already_aligned() {
        // 20 header bytes + 12-byte receive id = 32: a full block of 0x20 follows.
        let crypto = MessageCrypto::new(KEY, "wx0123456789").expect("key");
        let encrypted = crypto.encrypt_with_prefix(b"", [7; 16]).expect("encrypts");
        assert_eq!(STANDARD.decode(&encrypted).map(|b| b.len()), Ok(64));
        assert_eq!(crypto.decrypt(&encrypted), Ok(Vec::new()));
    }

    #[test]
    fn padding_with_inconsistent_bytes_is_rejected() {
        let mut plaintext = vec![b'a'; 30];
        plaintext.extend_from_slice(&[1, 2]);
        assert_eq!(strip_padding(&plaintext), Err(CryptoError::BadPadding));
        assert_eq!(strip_padding(&[]), Err(CryptoError::BadPadding));
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let crypto = MessageCrypto::new(KEY, "wx1").expect("key");
        assert!(!format!("{crypto:?}").contains("145"));
    }
}
