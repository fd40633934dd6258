//! Secrets at rest (AppSecret, Token, EncodingAESKey): sealed with
//! AES-256-GCM under a key derived from `HARBOUR_SECRET_KEY`, never logged.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};

/// Seals and opens secrets; the raw server key is used for nothing else here.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    pub fn new(server_key: &[u8; 32]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"harbour-secrets-v1");
        hasher.update(server_key);
        let key = hasher.finalize();
        SecretBox {
            cipher: Aes256Gcm::new(&key),
        }
    }

    /// A random 12-byte nonce followed by the ciphertext and tag.
    pub fn seal(&self, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| anyhow::anyhow!("sealing a secret failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < 12 + 16 {
            anyhow::bail!("a sealed secret is too short");
        }
        let (nonce, ciphertext) = sealed.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| {
                anyhow::anyhow!("a sealed secret does not open with this HARBOUR_SECRET_KEY")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::SecretBox;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let a = SecretBox::new(&[1; 32]);
        let sealed = a.seal(b"app secret").unwrap_or_default();
        assert!(!sealed.windows(10).any(|w| w == b"app secret"));
        assert_eq!(
            a.open(&sealed).ok().as_deref(),
            Some(b"app secret".as_slice())
        );
        assert!(SecretBox::new(&[2; 32]).open(&sealed).is_err());
        assert!(a.open(b"short").is_err());
    }
}
