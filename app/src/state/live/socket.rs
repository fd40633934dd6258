//! The live connection's loop, free of the browser: generic over the socket's
//! `Sink`/`Stream` and over what it reads and updates, so it is tested with
//! in-memory channels. It says hello with the last `seq` seen, sends
//! heartbeats, notices silence and reconnects with jittered backoff.

use std::future::Future;

use futures::channel::mpsc::UnboundedReceiver;
use futures::future::LocalBoxFuture;
use futures::stream::LocalBoxStream;
use futures::{select, FutureExt, Sink, SinkExt, Stream, StreamExt};
use shared::api::Event;
use shared::ws::{ClientMessage, Person, ReplyLock, ServerMessage};
use shared::{ConversationId, ErrorCode, Seq};

/// How often the loop wakes to send a heartbeat or notice silence.
pub const TICK_MS: u32 = 5_000;
/// The server pings every ~20 s; we ping at the same pace.
const PING_EVERY_MS: f64 = 20_000.0;
/// No word from the server for this long means the socket is dead.
const SILENCE_LIMIT_MS: f64 = 50_000.0;
/// The server must answer `Hello` within this time.
const WELCOME_TIMEOUT_MS: f64 = 10_000.0;
const BACKOFF_START_MS: f64 = 1_000.0;
const BACKOFF_MAX_MS: f64 = 30_000.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    /// First connection after sign-in is being made.
    Connecting,
    Connected,
    /// The connection dropped; the app is trying again with backoff.
    Reconnecting,
    /// The browser reports no network.
    Offline,
}

impl LiveStatus {
    /// State name used as CSS class and `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "connecting",
            LiveStatus::Connected => "connected",
            LiveStatus::Reconnecting => "reconnecting",
            LiveStatus::Offline => "offline",
        }
    }
}

/// Who else is in a conversation right now, as the server last said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Presence {
    pub viewers: Vec<Person>,
    pub typing: Vec<Person>,
    pub lock: Option<ReplyLock>,
}

/// What the rest of the app can tell the loop.
#[derive(Debug)]
pub enum Command {
    /// The access token was refreshed; pass it to the server.
    Reauth(String),
    /// The network may have changed; stop waiting and look again.
    Wake,
    /// Pass a presence message (viewing, typing, the reply lock) to the
    /// server; dropped while disconnected, as presence dies with a socket.
    Send(ClientMessage),
}

/// One thing heard on the socket.
#[derive(Debug)]
pub enum Frame {
    Message(ServerMessage),
    /// Proof of life the app does not read: a binary frame, or a message type
    /// from a newer server (skipped so an older app keeps working).
    Unreadable,
    /// The socket closed or failed, with the close code when there was one.
    Closed {
        code: Option<u16>,
    },
}

/// What the loop needs from outside: the network, the session's token and time.
pub trait Connector {
    type Sink: Sink<ClientMessage> + Unpin;
    type Stream: Stream<Item = Frame> + Unpin;

    /// Whether the device says it has a network at all.
    fn online(&self) -> bool;
    /// Opens a socket, or `None` when it could not even be started.
    fn open(&self) -> Option<(Self::Sink, Self::Stream)>;
    fn token(&self) -> Option<String>;
    /// Refreshes the session; `Err` when that failed.
    fn refresh_token(&self) -> impl Future<Output = Result<(), ()>>;
    /// A clock for heartbeats and silence only, in ms.
    fn now_ms(&self) -> f64;
    /// Wakes the loop every [`TICK_MS`].
    fn ticks(&self) -> LocalBoxStream<'static, ()>;
    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()>;
    /// A random number in `0.0..1.0`, to spread reconnects.
    fn jitter(&self) -> f64;
}

/// What the loop reads from and tells the app's live state.
pub trait SocketState {
    fn last_seq(&self) -> Seq;
    /// The conversation this tab has open, re-announced once live.
    fn viewing(&self) -> Option<ConversationId>;
    fn set_status(&self, status: LiveStatus);
    fn record(&self, event: Event);
    fn set_presence(&self, conversation: ConversationId, presence: Presence);
    fn clear_presence(&self);
    /// A connection reached live events: views catch up on what they missed.
    fn note_reconnected(&self);
    /// The server could not replay what was missed: carry on from `head`,
    /// and views reload what they show.
    fn resync(&self, head: Seq);
    /// The server said what time it is (Unix ms).
    fn server_time(&self, now: i64);
    /// An agent came online or went: the floor looks again.
    fn roster_changed(&self);
}

/// How one socket's life ended.
#[derive(Debug, PartialEq, Eq)]
enum SocketEnd {
    /// The app asked the loop to stop (sign-out).
    Stopped,
    /// The socket closed or failed; `reached_live` says whether it got as
    /// far as live events, which resets the backoff.
    Dropped { reached_live: bool },
    /// The server refused the token; refresh before trying again.
    TokenRejected,
}

/// Keeps a connection until the command sender is dropped or the session is gone.
pub async fn run<C, S>(connector: C, state: S, mut commands: UnboundedReceiver<Command>)
where
    C: Connector,
    S: SocketState,
{
    let mut attempt: u32 = 0;
    loop {
        if !connector.online() {
            state.set_status(LiveStatus::Offline);
            match commands.next().await {
                None => return,
                Some(_) => continue,
            }
        }
        let Some(token) = connector.token() else {
            return;
        };
        let end = match connector.open() {
            Some((sink, stream)) => {
                serve_socket(&connector, sink, stream, token, &state, &mut commands).await
            }
            None => SocketEnd::Dropped {
                reached_live: false,
            },
        };
        state.clear_presence();
        match end {
            SocketEnd::Stopped => return,
            SocketEnd::Dropped { reached_live: true } => attempt = 0,
            SocketEnd::Dropped {
                reached_live: false,
            } => {}
            SocketEnd::TokenRejected => {
                if connector.refresh_token().await.is_err() && connector.token().is_none() {
                    return;
                }
            }
        }
        state.set_status(if connector.online() {
            LiveStatus::Reconnecting
        } else {
            LiveStatus::Offline
        });
        let mut wait = connector
            .sleep(backoff_ms(attempt, connector.jitter()))
            .fuse();
        attempt = attempt.saturating_add(1);
        loop {
            select! {
                () = wait => break,
                command = commands.next() => match command {
                    None => return,
                    Some(Command::Wake) => break,
                    // Not connected: the next Hello carries the new token anyway,
                    // and presence is announced afresh once live.
                    Some(Command::Reauth(_) | Command::Send(_)) => {}
                },
            }
        }
    }
}

/// Talks to one open socket until it closes or the loop is stopped.
async fn serve_socket<C, S>(
    connector: &C,
    mut sink: C::Sink,
    stream: C::Stream,
    token: String,
    state: &S,
    commands: &mut UnboundedReceiver<Command>,
) -> SocketEnd
where
    C: Connector,
    S: SocketState,
{
    let mut stream = stream.fuse();
    let mut ticks = connector.ticks().fuse();
    let opened_at = connector.now_ms();
    let mut last_heard = opened_at;
    let mut last_ping = opened_at;
    let mut welcomed = false;
    let mut reached_live = false;

    let hello = ClientMessage::Hello {
        token,
        last_seq: state.last_seq(),
    };
    if send(&mut sink, hello).await.is_err() {
        return SocketEnd::Dropped { reached_live };
    }
    loop {
        select! {
            incoming = stream.next() => match incoming {
                Some(Frame::Message(message)) => {
                    last_heard = connector.now_ms();
                    match message {
                        ServerMessage::Welcome { now, .. } => {
                            state.server_time(now);
                            welcomed = true;
                            state.set_status(LiveStatus::Connected);
                        }
                        ServerMessage::Live { .. } => {
                            reached_live = true;
                            state.set_status(LiveStatus::Connected);
                            state.note_reconnected();
                            // Presence belongs to a socket: say again what this tab views.
                            if let Some(viewing) = state.viewing() {
                                let message = ClientMessage::Viewing { conversation: Some(viewing) };
                                if send(&mut sink, message).await.is_err() {
                                    return SocketEnd::Dropped { reached_live };
                                }
                            }
                        }
                        ServerMessage::Presence { conversation, viewers, typing, lock } => {
                            state.set_presence(conversation, Presence { viewers, typing, lock });
                        }
                        ServerMessage::Event { event } => state.record(event),
                        ServerMessage::Resync { head } => state.resync(head),
                        ServerMessage::Time { now } => state.server_time(now),
                        ServerMessage::Roster { .. } => state.roster_changed(),
                        ServerMessage::Ping | ServerMessage::Pong => {}
                        ServerMessage::Closing { code, .. } => {
                            return if rejects_token(&code) {
                                SocketEnd::TokenRejected
                            } else {
                                SocketEnd::Dropped { reached_live }
                            };
                        }
                    }
                }
                Some(Frame::Unreadable) => last_heard = connector.now_ms(),
                Some(Frame::Closed { code: Some(code) }) if !welcomed && is_auth_close(code) => {
                    return SocketEnd::TokenRejected;
                }
                Some(Frame::Closed { .. }) | None => return SocketEnd::Dropped { reached_live },
            },
            command = commands.next() => match command {
                // Dropping the socket halves closes it.
                None => return SocketEnd::Stopped,
                Some(Command::Reauth(token)) => {
                    if send(&mut sink, ClientMessage::Reauth { token }).await.is_err() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
                Some(Command::Wake) => {
                    if !connector.online() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
                Some(Command::Send(message)) => {
                    if reached_live && send(&mut sink, message).await.is_err() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
            },
            _ = ticks.next() => {
                let now = connector.now_ms();
                let silent = now - last_heard > SILENCE_LIMIT_MS;
                let unwelcomed = !welcomed && now - opened_at > WELCOME_TIMEOUT_MS;
                if silent || unwelcomed {
                    return SocketEnd::Dropped { reached_live };
                }
                if now - last_ping >= PING_EVERY_MS {
                    last_ping = now;
                    if send(&mut sink, ClientMessage::Ping).await.is_err() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
            },
        }
    }
}

async fn send<Si>(sink: &mut Si, message: ClientMessage) -> Result<(), ()>
where
    Si: Sink<ClientMessage> + Unpin,
{
    sink.send(message).await.map_err(|_| ())
}

/// `Closing` codes that mean "this token is no good": refresh and retry
/// (a refresh that fails, as after signing out elsewhere or a deactivation,
/// ends the loop).
fn rejects_token(code: &str) -> bool {
    let code = serde_json::from_value::<ErrorCode>(serde_json::Value::String(code.to_owned()));
    matches!(
        code,
        Ok(ErrorCode::TokenExpired | ErrorCode::Unauthenticated | ErrorCode::AccountDisabled)
    )
}

/// WebSocket close codes a server may use to refuse authentication.
fn is_auth_close(code: u16) -> bool {
    matches!(code, 1008 | 4001 | 4401 | 4403)
}

/// 1 s, 2 s, 4 s … capped at 30 s, each within ±20 % (`jitter` in
/// `0.0..1.0`) so that a server restart is not greeted by every client at
/// the same instant.
fn backoff_ms(attempt: u32, jitter: f64) -> u32 {
    let base = (BACKOFF_START_MS * 2f64.powi(attempt.min(16) as i32)).min(BACKOFF_MAX_MS);
    let jittered = base * (0.8 + 0.4 * jitter);
    jittered as u32
}

#[cfg(test)]
mod tests;
