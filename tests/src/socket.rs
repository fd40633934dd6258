//! The live socket from a test's side: connect, say hello and collect the
//! replay, send client messages, and read the server's, typed.

use crate::TestApp;
use futures::{SinkExt, StreamExt};
use shared::api::Event;
use shared::ws::{ClientMessage, ServerMessage};
use shared::Seq;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket to `app` that has not said hello yet.
pub async fn open(app: &TestApp) -> Socket {
    let url = format!("ws://127.0.0.1:{}/api/v1/ws", app.port);
    tokio_tungstenite::connect_async(url)
        .await
        .expect("connect")
        .0
}

pub async fn send(socket: &mut Socket, message: &ClientMessage) {
    let text = serde_json::to_string(message).expect("json");
    socket.send(Message::Text(text.into())).await.expect("send");
}

/// The next server message; `None` when the socket closed or stayed quiet for 10 s.
pub async fn next_message(socket: &mut Socket) -> Option<ServerMessage> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .ok()??
            .ok()?;
        match frame {
            Message::Text(text) => return serde_json::from_str(&text).ok(),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Says hello and collects the replay up to `Live`.
pub async fn hello(app: &TestApp, token: &str, last_seq: Seq) -> (Socket, Vec<Event>, Seq) {
    let mut socket = open(app).await;
    send(
        &mut socket,
        &ClientMessage::Hello {
            token: token.into(),
            last_seq,
        },
    )
    .await;
    assert!(matches!(
        next_message(&mut socket).await,
        Some(ServerMessage::Welcome { .. })
    ));
    let mut replayed = Vec::new();
    loop {
        match next_message(&mut socket).await {
            Some(ServerMessage::Event { event }) => replayed.push(event),
            Some(ServerMessage::Live { head }) => return (socket, replayed, head),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Waits for live events until one of `kind` arrives.
pub async fn live_until(socket: &mut Socket, kind: &str) -> Vec<Event> {
    let mut got = Vec::new();
    while let Some(message) = next_message(socket).await {
        if let ServerMessage::Event { event } = message {
            let done = event.kind == kind;
            got.push(event);
            if done {
                return got;
            }
        }
    }
    panic!("socket closed before a {kind} event; got {got:?}");
}
