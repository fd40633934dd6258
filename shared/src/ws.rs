//! The live-socket protocol at `/api/v1/ws`: tagged JSON messages both ways.
//!
//! The client authenticates with its first message (never a token in the
//! URL), names the last `seq` it saw, and the server replays what it missed
//! before streaming live events.

use crate::api::Event;
use crate::{ConversationId, Seq, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Must be the first message. `last_seq` is 0 for a client that has seen nothing.
    Hello {
        token: String,
        last_seq: Seq,
    },
    /// Sent by the client when its access token was refreshed.
    Reauth {
        token: String,
    },
    Ping,
    /// The conversation this tab has open (`None`: none). Others see who is viewing.
    Viewing {
        conversation: Option<ConversationId>,
    },
    /// The user is (or stopped) typing in the conversation's composer.
    Typing {
        conversation: ConversationId,
        typing: bool,
    },
    /// Take or renew the reply lock (every few seconds while composing).
    /// Refused while someone else holds it; the answer is a `Presence`.
    Lock {
        conversation: ConversationId,
    },
    /// Let go of the reply lock (sent, cancelled, or left the conversation).
    Unlock {
        conversation: ConversationId,
    },
    /// Take the reply lock from whoever holds it; logged in the timeline.
    TakeOver {
        conversation: ConversationId,
    },
}

/// Someone in a presence list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

/// Who may reply right now; dies with the holder's socket or after
/// `expires_at` without renewal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyLock {
    pub holder: Person,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Authenticated; replay of missed events follows, then `Live`. `now`
    /// is the server's time (Unix ms): the app's "now" is server time, never
    /// the browser's clock alone.
    Welcome {
        head: Seq,
        #[serde(default)]
        now: i64,
    },
    /// Replay is done; everything after this is live.
    Live {
        head: Seq,
    },
    /// The client was too far behind to replay: it must reload what it
    /// shows (lists, the open conversation) and carry on from `head`.
    /// `Live` follows.
    Resync {
        head: Seq,
    },
    Event {
        event: Event,
    },
    Ping,
    Pong,
    /// The server's clock jumped (a test moved it, or an operator fixed
    /// it): its time now, in Unix ms.
    Time {
        now: i64,
    },
    /// Who is viewing and typing in a conversation and who holds its reply
    /// lock; sent whenever that changes, to everyone who may see it.
    Presence {
        conversation: ConversationId,
        viewers: Vec<Person>,
        typing: Vec<Person>,
        lock: Option<ReplyLock>,
    },
    /// `user`'s first socket opened or their last one closed, on some
    /// node (whether they are online may have changed), or they changed
    /// their availability, or an admin their capacity. Sent to admins,
    /// compliance and the supervisors of the user's teams, whose floor
    /// looks again.
    Roster {
        user: UserId,
    },
    /// The server is closing the socket for this reason.
    Closing {
        code: String,
        message: String,
    },
}
