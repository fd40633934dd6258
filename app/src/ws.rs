//! The live connection to `/api/v1/ws`: authenticates with its first
//! message, resumes from the last `seq` seen, sends heartbeats, and
//! reconnects with jittered exponential backoff until the person signs out.

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::{select, FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::{IntervalStream, TimeoutFuture};
use leptos::ev;
use leptos::prelude::{window_event_listener, WindowListenerHandle};
use leptos::task::spawn_local;
use shared::ws::{ClientMessage, ServerMessage};

use crate::state::auth::AuthState;
use crate::state::live::{LiveState, LiveStatus, Presence};

/// How often the connection task wakes to send a heartbeat or notice silence.
const TICK_MS: u32 = 5_000;
/// The server pings every ~20 s; we ping at the same pace.
const PING_EVERY_MS: f64 = 20_000.0;
/// No word from the server for this long means the socket is dead.
const SILENCE_LIMIT_MS: f64 = 50_000.0;
/// The server must answer `Hello` within this time.
const WELCOME_TIMEOUT_MS: f64 = 10_000.0;
const BACKOFF_START_MS: f64 = 1_000.0;
const BACKOFF_MAX_MS: f64 = 30_000.0;

/// What the rest of the app can tell the connection task.
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

/// How one socket's life ended.
enum SocketEnd {
    /// The app asked the task to stop (sign-out).
    Stopped,
    /// The socket closed or failed; `reached_live` says whether it got as
    /// far as live events, which resets the backoff.
    Dropped { reached_live: bool },
    /// The server refused the token; refresh before trying again.
    TokenRejected,
}

/// Starts the connection task; it ends when the returned sender is dropped.
pub fn start(auth: AuthState, live: LiveState) -> UnboundedSender<Command> {
    let (sender, receiver) = unbounded();
    spawn_local(run(auth, live, receiver));
    sender
}

/// Removes the online/offline listeners when the task ends, however it ends.
struct NetworkListeners(Vec<WindowListenerHandle>);

impl NetworkListeners {
    fn register(live: LiveState) -> Self {
        let online = window_event_listener(ev::online, move |_| live.wake());
        let offline = window_event_listener(ev::offline, move |_| {
            live.set_status(LiveStatus::Offline);
            live.wake();
        });
        NetworkListeners(vec![online, offline])
    }
}

impl Drop for NetworkListeners {
    fn drop(&mut self) {
        for handle in self.0.drain(..) {
            handle.remove();
        }
    }
}

async fn run(auth: AuthState, live: LiveState, mut commands: UnboundedReceiver<Command>) {
    let _listeners = NetworkListeners::register(live);
    let mut attempt: u32 = 0;
    loop {
        if !browser_online() {
            live.set_status(LiveStatus::Offline);
            match commands.next().await {
                None => return,
                Some(_) => continue,
            }
        }
        let Some(token) = auth.access_token_untracked() else {
            return;
        };
        let end = match socket_url().and_then(|url| WebSocket::open(&url).ok()) {
            Some(socket) => serve_socket(socket, token, live, &mut commands).await,
            None => SocketEnd::Dropped {
                reached_live: false,
            },
        };
        live.clear_presence();
        match end {
            SocketEnd::Stopped => return,
            SocketEnd::Dropped { reached_live: true } => attempt = 0,
            SocketEnd::Dropped {
                reached_live: false,
            } => {}
            SocketEnd::TokenRejected => {
                if auth.refresh().await.is_err() && auth.access_token_untracked().is_none() {
                    return;
                }
            }
        }
        live.set_status(if browser_online() {
            LiveStatus::Reconnecting
        } else {
            LiveStatus::Offline
        });
        let mut wait = TimeoutFuture::new(backoff_ms(attempt)).fuse();
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

/// Talks to one open socket until it closes or the task is stopped.
async fn serve_socket(
    socket: WebSocket,
    token: String,
    live: LiveState,
    commands: &mut UnboundedReceiver<Command>,
) -> SocketEnd {
    let (mut sink, stream) = socket.split();
    let mut stream = stream.fuse();
    let mut ticks = IntervalStream::new(TICK_MS).fuse();
    let opened_at = now_ms();
    let mut last_heard = opened_at;
    let mut last_ping = opened_at;
    let mut welcomed = false;
    let mut reached_live = false;

    let hello = ClientMessage::Hello {
        token,
        last_seq: live.last_seq(),
    };
    if send(&mut sink, &hello).await.is_err() {
        return SocketEnd::Dropped { reached_live };
    }
    loop {
        select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    last_heard = now_ms();
                    // Unknown message types are skipped so an older app keeps
                    // working against a newer server.
                    match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(ServerMessage::Welcome { now, .. }) => {
                            crate::clock::learn_server_time(now, crate::clock::Heard::Socket);
                            welcomed = true;
                            live.set_status(LiveStatus::Connected);
                        }
                        Ok(ServerMessage::Live { .. }) => {
                            reached_live = true;
                            live.set_status(LiveStatus::Connected);
                            live.note_reconnected();
                            // Presence belongs to a socket: say again what this tab views.
                            if let Some(viewing) = live.viewing() {
                                let message = ClientMessage::Viewing { conversation: Some(viewing) };
                                if send(&mut sink, &message).await.is_err() {
                                    return SocketEnd::Dropped { reached_live };
                                }
                            }
                        }
                        Ok(ServerMessage::Presence { conversation, viewers, typing, lock }) => {
                            live.set_presence(conversation, Presence { viewers, typing, lock });
                        }
                        Ok(ServerMessage::Event { event }) => live.record(event),
                        Ok(ServerMessage::Time { now }) => {
                            crate::clock::learn_server_time(now, crate::clock::Heard::Socket)
                        }
                        Ok(ServerMessage::Ping | ServerMessage::Pong) | Err(_) => {}
                        Ok(ServerMessage::Closing { code, .. }) => {
                            return if rejects_token(&code) {
                                SocketEnd::TokenRejected
                            } else {
                                SocketEnd::Dropped { reached_live }
                            };
                        }
                    }
                }
                Some(Ok(Message::Bytes(_))) => last_heard = now_ms(),
                Some(Err(WebSocketError::ConnectionClose(close)))
                    if !welcomed && is_auth_close(close.code) =>
                {
                    return SocketEnd::TokenRejected;
                }
                Some(Err(_)) | None => return SocketEnd::Dropped { reached_live },
            },
            command = commands.next() => match command {
                // Dropping the socket halves closes it.
                None => return SocketEnd::Stopped,
                Some(Command::Reauth(token)) => {
                    if send(&mut sink, &ClientMessage::Reauth { token }).await.is_err() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
                Some(Command::Wake) => {
                    if !browser_online() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
                Some(Command::Send(message)) => {
                    if reached_live && send(&mut sink, &message).await.is_err() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
            },
            _ = ticks.next() => {
                let now = now_ms();
                let silent = now - last_heard > SILENCE_LIMIT_MS;
                let unwelcomed = !welcomed && now - opened_at > WELCOME_TIMEOUT_MS;
                if silent || unwelcomed {
                    return SocketEnd::Dropped { reached_live };
                }
                if now - last_ping >= PING_EVERY_MS {
                    last_ping = now;
                    if send(&mut sink, &ClientMessage::Ping).await.is_err() {
                        return SocketEnd::Dropped { reached_live };
                    }
                }
            },
        }
    }
}

async fn send<S>(sink: &mut S, message: &ClientMessage) -> Result<(), ()>
where
    S: futures::Sink<Message> + Unpin,
{
    let text = serde_json::to_string(message).map_err(|_| ())?;
    sink.send(Message::Text(text)).await.map_err(|_| ())
}

/// `Closing` codes that mean "this token is no good": refresh and retry.
fn rejects_token(code: &str) -> bool {
    matches!(code, "token_expired" | "unauthenticated")
}

/// WebSocket close codes a server may use to refuse authentication.
fn is_auth_close(code: u16) -> bool {
    matches!(code, 1008 | 4001 | 4401 | 4403)
}

/// 1 s, 2 s, 4 s … capped at 30 s, each within ±20 % so that a server
/// restart is not greeted by every client at the same instant.
fn backoff_ms(attempt: u32) -> u32 {
    let base = (BACKOFF_START_MS * 2f64.powi(attempt.min(16) as i32)).min(BACKOFF_MAX_MS);
    let jittered = base * (0.8 + 0.4 * js_sys::Math::random());
    jittered as u32
}

fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().ok()?;
    Some(format!(
        "{scheme}://{host}{}/ws",
        crate::api::client::API_BASE
    ))
}

fn browser_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

/// The browser's clock, for heartbeats and silence only: those measure
/// how long the socket has been quiet, not what time it is.
fn now_ms() -> f64 {
    js_sys::Date::now()
}
