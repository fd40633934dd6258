//! A tiny callback receiver built on `wechat::callback::receive`, scriptable
//! to stall or fail, and simulators pointed at it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wechat::fake::simulator::{Simulator, SimulatorConfig};
use wechat::{receive, AppId, CallbackConfig, InboundMessage, Mode, OpenId, OriginalId, Query};

pub const TOKEN: &str = "inboxTestToken2024";
pub const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
pub const APPID: &str = "wx1a2b3c4d5e6f7a8b";
pub const ACCOUNT: &str = "gh_3f9a1c2b7d4e";
pub const MODES: [Mode; 3] = [Mode::Plain, Mode::Compatible, Mode::Safe];

/// What the receiver does with its next request before the usual handling.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// Waits this long first.
    Stall(Duration),
    /// Answers with this status and stores nothing.
    Status(StatusCode),
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    pub query: String,
    pub body: Bytes,
}

#[derive(Default)]
struct Log {
    requests: Vec<Request>,
    stored: Vec<InboundMessage>,
    refused: Vec<String>,
    script: VecDeque<Behaviour>,
}

struct ReceiverState {
    config: CallbackConfig,
    log: Mutex<Log>,
}

/// Harbour's callback in miniature: verifies, decrypts, parses, stores each
/// dedupe key once and answers `success`.
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
    server: JoinHandle<()>,
}

impl Receiver {
    pub async fn start(config: CallbackConfig) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(ReceiverState {
            config,
            log: Mutex::new(Log::default()),
        });
        let app = Router::new()
            .route("/wechat/oa/{channel}", post(callback))
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver serves");
        });
        Receiver {
            url: format!("http://{addr}/wechat/oa/7"),
            state,
            server,
        }
    }

    /// A receiver for an account in `mode` with the shared test credentials.
    pub async fn for_mode(mode: Mode) -> Receiver {
        Receiver::start(callback_config(mode)).await
    }

    /// Queues what the next not-yet-scripted request meets.
    pub fn then(&self, behaviour: Behaviour) {
        self.log().script.push_back(behaviour);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log().requests.clone()
    }

    pub fn stored(&self) -> Vec<InboundMessage> {
        self.log().stored.clone()
    }

    /// Error codes of pushes `receive` refused.
    pub fn refused(&self) -> Vec<String> {
        self.log().refused.clone()
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.state.log.lock().expect("receiver log")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn callback(
    State(state): State<Arc<ReceiverState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query = query.unwrap_or_default();
    let behaviour = {
        let mut log = state.log.lock().expect("receiver log");
        log.requests.push(Request {
            query: query.clone(),
            body: body.clone(),
        });
        log.script.pop_front()
    };
    match behaviour {
        Some(Behaviour::Stall(delay)) => tokio::time::sleep(delay).await,
        Some(Behaviour::Status(status)) => return status.into_response(),
        None => {}
    }
    let outcome = Query::parse(&query)
        .map_err(|err| err.code().to_owned())
        .and_then(|query| {
            receive(&state.config, &query, &body).map_err(|err| err.code().to_owned())
        });
    let mut log = state.log.lock().expect("receiver log");
    match outcome {
        Ok(message) => {
            let key = message.dedupe_key();
            if !log.stored.iter().any(|m| m.dedupe_key() == key) {
                log.stored.push(message);
            }
            "success".into_response()
        }
        Err(code) => {
            log.refused.push(code.clone());
            (StatusCode::BAD_REQUEST, code).into_response()
        }
    }
}

pub fn callback_config(mode: Mode) -> CallbackConfig {
    match mode {
        Mode::Plain => CallbackConfig::plain(TOKEN),
        Mode::Compatible => CallbackConfig::compatible(TOKEN, KEY, APPID).expect("config"),
        Mode::Safe => CallbackConfig::safe(TOKEN, KEY, APPID).expect("config"),
    }
}

/// A simulator for the test account in `mode`, aimed at `url`.
pub fn config_for(url: &str, mode: Mode) -> SimulatorConfig {
    SimulatorConfig::new(
        url,
        OriginalId::new(ACCOUNT),
        AppId::new(APPID),
        TOKEN,
        KEY,
        mode,
    )
    .seed(7)
}

pub fn simulator(config: SimulatorConfig) -> Simulator {
    Simulator::new(config).expect("simulator starts")
}

pub fn follower() -> OpenId {
    OpenId::new("oQ4Xw5tJ2pR7vY9zA1bC3dE5fG7h")
}
