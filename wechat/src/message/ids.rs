//! Typed identifiers that appear in Official Account messages and API calls.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value received from or destined for WeChat.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The id as WeChat spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A user's per-account openid (`FromUserName` of a push, `ToUserName` of a reply).
    OpenId
);
string_id!(
    /// An account's original id, `gh_` + 12 hex (`ToUserName` of a push).
    OriginalId
);
string_id!(
    /// An Official Account's `appid`, `wx` + 16 hex (the receive id of its
    /// ciphertexts, and the key of its API credentials).
    AppId
);
string_id!(
    /// A temporary media id; the file expires three days after upload.
    MediaId
);
string_id!(
    /// A WeCom organisation's `corpid`, `ww` + 16 hex (the receive id of its
    /// callbacks' ciphertexts).
    CorpId
);
string_id!(
    /// A WeCom Customer Service account, `wk…` (`open_kfid`).
    OpenKfId
);
string_id!(
    /// A WeChat user as one WeCom organisation sees them, `wm…`
    /// (`external_userid`).
    ExternalUserId
);
string_id!(
    /// A WeCom Customer Service message id (`msgid`): WeChat's for what it
    /// returns from `kf/sync_msg`, ours for what we send (at most 32 bytes
    /// of `[0-9a-zA-Z_-]`, unique per account).
    KfMsgId
);
string_id!(
    /// The key under which a push is deduplicated across retries:
    /// `msg:<MsgId>` for messages, `evt:<FromUserName>:<CreateTime>:<Event>`
    /// for events, `raw:<sha1 of the XML>` when neither applies.
    DedupeKey
);

/// A 64-bit message id (`MsgId`, or `MsgID` in job-finish events). Kept as an
/// integer, never a float, so large ids stay exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(u64);

impl MsgId {
    /// Wraps a numeric id.
    pub const fn new(id: u64) -> Self {
        MsgId(id)
    }

    /// The numeric id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for MsgId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(MsgId)
    }
}
