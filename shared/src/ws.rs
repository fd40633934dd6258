//! The live-socket protocol at `/api/v1/ws`: tagged JSON messages both ways.
//!
//! The client authenticates with its first message (never a token in the
//! URL), names the last `seq` it saw, and the server replays what it missed
//! before streaming live events.

use crate::api::Event;
use crate::Seq;
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Authenticated; replay of missed events follows, then `Live`.
    Welcome {
        head: Seq,
    },
    /// Replay is done; everything after this is live.
    Live {
        head: Seq,
    },
    Event {
        event: Event,
    },
    Ping,
    Pong,
    /// The server is closing the socket for this reason.
    Closing {
        code: String,
        message: String,
    },
}
