//! The live-socket session loop without a network: channels stand in for
//! the socket, an in-memory log for the database.

use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use harbour_server::auth::AuthUser;
use harbour_server::error::AppError;
use harbour_server::ws::{run_session, Incoming, SessionBackend, SessionConfig, SessionEnd};
use shared::api::Event;
use shared::ws::{ClientMessage, ServerMessage};
use shared::{Role, Seq, TeamId, UserId};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

struct FakeBackend {
    log: Mutex<Vec<Event>>,
    live: broadcast::Sender<Arc<Event>>,
    user: AuthUser,
}

impl FakeBackend {
    fn new(role: Role, teams: Vec<TeamId>, capacity: usize) -> Arc<Self> {
        let user = AuthUser {
            id: UserId(uuid::Uuid::new_v4()),
            role,
            name: "Amy".into(),
            teams,
            session: None,
            expires_at: 0,
            must_change_password: false,
        };
        Arc::new(FakeBackend {
            log: Mutex::new(Vec::new()),
            live: broadcast::channel(capacity).0,
            user,
        })
    }

    /// Appends to the log and, if `publish`, broadcasts like the hub does.
    fn commit(&self, team: Option<TeamId>, publish: bool) -> Seq {
        let mut log = self.log.lock().expect("log");
        let seq = Seq(log.len() as i64 + 1);
        let event = Event {
            seq,
            at: 0,
            kind: "test".into(),
            actor: None,
            team,
            payload: serde_json::json!({ "n": seq.0 }),
        };
        log.push(event.clone());
        if publish {
            let _ = self.live.send(Arc::new(event));
        }
        seq
    }
}

impl SessionBackend for FakeBackend {
    async fn authenticate(&self, token: &str) -> Result<AuthUser, AppError> {
        if token == "good" {
            Ok(self.user.clone())
        } else {
            Err(AppError::Unauthenticated)
        }
    }
    async fn events_after(&self, after: Seq, limit: i64) -> anyhow::Result<Vec<Event>> {
        let log = self.log.lock().expect("log");
        Ok(log
            .iter()
            .filter(|e| e.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.live.subscribe()
    }
    async fn head(&self) -> anyhow::Result<Seq> {
        Ok(Seq(self.log.lock().expect("log").len() as i64))
    }
}

struct Client {
    to_server: mpsc::UnboundedSender<Incoming>,
    from_server: mpsc::Receiver<ServerMessage>,
    session: tokio::task::JoinHandle<SessionEnd>,
}

fn start(backend: &Arc<FakeBackend>, buffer: usize, config: SessionConfig) -> Client {
    let (to_server, incoming) = mpsc::unbounded();
    let (outgoing, from_server) = mpsc::channel(buffer);
    let backend = backend.clone();
    let session =
        tokio::spawn(async move { run_session(outgoing, incoming, &*backend, &config).await });
    Client {
        to_server,
        from_server,
        session,
    }
}

impl Client {
    fn say(&self, message: ClientMessage) {
        self.to_server.unbounded_send(Ok(message)).expect("say");
    }
    async fn hear(&mut self) -> ServerMessage {
        tokio::time::timeout(Duration::from_secs(120), self.from_server.next())
            .await
            .expect("in time")
            .expect("a message")
    }
    async fn hear_events_until_live(&mut self) -> Vec<i64> {
        assert!(matches!(self.hear().await, ServerMessage::Welcome { .. }));
        let mut seqs = Vec::new();
        loop {
            match self.hear().await {
                ServerMessage::Event { event } => seqs.push(event.seq.0),
                ServerMessage::Live { .. } => return seqs,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_client_gets_what_it_missed_then_live_events_each_once() {
    let backend = FakeBackend::new(Role::Admin, vec![], 64);
    for _ in 0..5 {
        backend.commit(None, true);
    }
    let mut client = start(&backend, 64, SessionConfig::default());
    client.say(ClientMessage::Hello {
        token: "good".into(),
        last_seq: Seq(2),
    });
    assert_eq!(client.hear_events_until_live().await, vec![3, 4, 5]);
    backend.commit(None, true);
    backend.commit(None, true);
    for expected in [6, 7] {
        match client.hear().await {
            ServerMessage::Event { event } => assert_eq!(event.seq.0, expected),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_hole_in_the_broadcast_is_filled_from_the_log() {
    let backend = FakeBackend::new(Role::Admin, vec![], 64);
    let mut client = start(&backend, 64, SessionConfig::default());
    client.say(ClientMessage::Hello {
        token: "good".into(),
        last_seq: Seq(0),
    });
    assert!(client.hear_events_until_live().await.is_empty());
    backend.commit(None, false); // committed but its broadcast was lost
    backend.commit(None, true);
    let mut seqs = Vec::new();
    for _ in 0..2 {
        if let ServerMessage::Event { event } = client.hear().await {
            seqs.push(event.seq.0);
        }
    }
    assert_eq!(seqs, vec![1, 2]);
}

#[tokio::test]
async fn an_agent_hears_only_their_teams() {
    let (mine, theirs) = (TeamId(uuid::Uuid::new_v4()), TeamId(uuid::Uuid::new_v4()));
    let backend = FakeBackend::new(Role::Agent, vec![mine], 64);
    backend.commit(Some(theirs), true);
    backend.commit(Some(mine), true);
    backend.commit(None, true);
    let mut client = start(&backend, 64, SessionConfig::default());
    client.say(ClientMessage::Hello {
        token: "good".into(),
        last_seq: Seq(0),
    });
    assert_eq!(client.hear_events_until_live().await, vec![2]);
    backend.commit(Some(theirs), true);
    backend.commit(Some(mine), true);
    match client.hear().await {
        ServerMessage::Event { event } => assert_eq!(event.seq.0, 5),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_bad_token_or_a_missing_hello_closes_with_a_reason() {
    let backend = FakeBackend::new(Role::Admin, vec![], 8);
    let mut client = start(&backend, 8, SessionConfig::default());
    client.say(ClientMessage::Hello {
        token: "forged".into(),
        last_seq: Seq(0),
    });
    assert!(
        matches!(client.hear().await, ServerMessage::Closing { code, .. } if code == "unauthenticated")
    );
    assert_eq!(
        client.session.await.expect("join"),
        SessionEnd::Unauthenticated("unauthenticated".into())
    );

    let mut client = start(&backend, 8, SessionConfig::default());
    client.say(ClientMessage::Ping);
    assert!(
        matches!(client.hear().await, ServerMessage::Closing { code, .. } if code == "bad_message")
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off() {
    let backend = FakeBackend::new(Role::Admin, vec![], 1024);
    let config = SessionConfig {
        send_timeout: Duration::from_millis(200),
        ..SessionConfig::default()
    };
    // Room for 4 messages; the client then never reads again.
    let client = start(&backend, 4, config);
    client.say(ClientMessage::Hello {
        token: "good".into(),
        last_seq: Seq(0),
    });
    for _ in 0..50 {
        backend.commit(None, true);
    }
    let end = tokio::time::timeout(Duration::from_secs(5), client.session)
        .await
        .expect("ends")
        .expect("join");
    assert_eq!(end, SessionEnd::TooSlow);
}

#[tokio::test]
async fn a_client_that_falls_behind_the_broadcast_is_cut_off() {
    // A tiny broadcast buffer stands in for the hub's bounded one.
    let backend = FakeBackend::new(Role::Admin, vec![], 2);
    let mut client = start(&backend, 1024, SessionConfig::default());
    client.say(ClientMessage::Hello {
        token: "good".into(),
        last_seq: Seq(0),
    });
    assert!(client.hear_events_until_live().await.is_empty());
    // Give the session no chance to drain between sends.
    for _ in 0..20 {
        backend.commit(None, true);
    }
    let mut closing = None;
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_secs(5), client.from_server.next()).await
    {
        if let ServerMessage::Closing { code, .. } = message {
            closing = Some(code);
            break;
        }
    }
    assert_eq!(closing.as_deref(), Some("too_slow"));
}

#[tokio::test(start_paused = true)]
async fn heartbeats_flow_and_a_silent_client_is_closed() {
    let backend = FakeBackend::new(Role::Admin, vec![], 8);
    let mut client = start(&backend, 64, SessionConfig::default());
    client.say(ClientMessage::Hello {
        token: "good".into(),
        last_seq: Seq(0),
    });
    assert!(client.hear_events_until_live().await.is_empty());
    client.say(ClientMessage::Ping);
    assert_eq!(client.hear().await, ServerMessage::Pong);
    assert_eq!(client.hear().await, ServerMessage::Ping);
    // The client goes silent; within the idle timeout plus a beat it is closed.
    let mut closed = false;
    for _ in 0..5 {
        if let ServerMessage::Closing { code, .. } = client.hear().await {
            assert_eq!(code, "idle");
            closed = true;
            break;
        }
    }
    assert!(closed);
    let _ = client.to_server.close().await;
}
