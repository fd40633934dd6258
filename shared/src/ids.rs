//! Typed identifiers, so a user id is never passed where a team id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Declares a UUID newtype. Written on the wire and in the database as the
/// hyphenated form, or with `simple` as the 32 hex digits without hyphens
/// (channel ids, which appear in callback URLs). Both forms parse.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        uuid_id!($(#[$doc])* $name, hyphenated);
    };
    ($(#[$doc:meta])* $name:ident, $format:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.$format().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        /// For `#[sqlx(try_from = "String")]` on a row's id column.
        impl TryFrom<String> for $name {
            type Error = uuid::Error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

uuid_id!(
    /// A person who signs in to Harbour.
    UserId
);
uuid_id!(
    /// A team of agents; teams limit which conversations an agent sees.
    TeamId
);
uuid_id!(
    /// A connected channel (an Official Account); part of its callback URL.
    ChannelId,
    simple
);
uuid_id!(
    /// A client on one channel (one openid).
    ContactId
);
uuid_id!(
    /// One client's thread with the team on one channel.
    ConversationId
);
uuid_id!(
    /// A message, note or activity line in a conversation.
    MessageId
);
uuid_id!(
    /// A background job (a send, a media download, a wake-up).
    JobId
);
uuid_id!(
    /// A saved reply.
    CannedResponseId
);
uuid_id!(
    /// An evidence bundle of one client's history.
    ExportId
);

/// Position of an event in the append-only log: gapless and strictly increasing.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Seq(pub i64);

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_wire_form() {
        let hyphenated = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let id: ConversationId = hyphenated.parse().expect("ok");
        assert_eq!(id.to_string(), hyphenated);
        assert_eq!(
            serde_json::to_string(&id).expect("ok"),
            format!("\"{hyphenated}\"")
        );
        let channel: ChannelId = "67e5504410b1426f9247bb680e5fe0c8".parse().expect("ok");
        assert_eq!(channel.to_string(), "67e5504410b1426f9247bb680e5fe0c8");
        assert_eq!(
            serde_json::from_str::<ChannelId>("\"67e5504410b1426f9247bb680e5fe0c8\"").expect("ok"),
            channel
        );
        assert!(serde_json::from_str::<ContactId>("\"no-such-contact\"").is_err());
        assert!("nope".parse::<MessageId>().is_err());
    }
}
