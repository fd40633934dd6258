//! The live loop's browser side: a `gloo` WebSocket to `/api/v1/ws` with
//! JSON frames, the session's token, the browser's clock, timers and
//! online flag.

use std::pin::Pin;

use futures::future::{ready, LocalBoxFuture};
use futures::stream::LocalBoxStream;
use futures::{FutureExt, Sink, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::{IntervalStream, TimeoutFuture};
use shared::ws::{ClientMessage, ServerMessage};

use super::socket::{Connector, Frame, TICK_MS};
use crate::api::client::{TokenSource, API_BASE};

/// Connects from the browser, signed in with `tokens`.
#[derive(Clone, Copy)]
pub struct BrowserConnector<T> {
    pub tokens: T,
}

impl<T: TokenSource> Connector for BrowserConnector<T> {
    type Sink = Pin<Box<dyn Sink<ClientMessage, Error = WebSocketError>>>;
    type Stream = LocalBoxStream<'static, Frame>;

    fn online(&self) -> bool {
        browser_online()
    }

    fn open(&self) -> Option<(Self::Sink, Self::Stream)> {
        let socket = WebSocket::open(&socket_url()?).ok()?;
        let (sink, stream) = socket.split();
        let sink = sink.with(|message: ClientMessage| {
            // Our own enum always serialises; an empty frame would only be refused.
            let text = serde_json::to_string(&message).unwrap_or_default();
            ready(Ok::<_, WebSocketError>(Message::Text(text)))
        });
        Some((Box::pin(sink), stream.map(to_frame).boxed_local()))
    }

    fn token(&self) -> Option<String> {
        self.tokens.current_token()
    }

    async fn refresh_token(&self) -> Result<(), ()> {
        self.tokens.renew_token().await.map(|_| ()).map_err(|_| ())
    }

    /// The browser's clock, for heartbeats and silence only: those measure
    /// how long the socket has been quiet, not what time it is.
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn ticks(&self) -> LocalBoxStream<'static, ()> {
        IntervalStream::new(TICK_MS).boxed_local()
    }

    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()> {
        TimeoutFuture::new(ms).boxed_local()
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }
}

fn to_frame(incoming: Result<Message, WebSocketError>) -> Frame {
    match incoming {
        Ok(Message::Text(text)) => match serde_json::from_str::<ServerMessage>(&text) {
            Ok(message) => Frame::Message(message),
            Err(_) => Frame::Unreadable,
        },
        Ok(Message::Bytes(_)) => Frame::Unreadable,
        Err(WebSocketError::ConnectionClose(close)) => Frame::Closed {
            code: Some(close.code),
        },
        Err(_) => Frame::Closed { code: None },
    }
}

fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().ok()?;
    Some(format!("{scheme}://{host}{API_BASE}/ws"))
}

fn browser_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}
