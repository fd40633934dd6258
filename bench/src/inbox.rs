//! `cargo xtask bench inbox [--conversations N] [--messages M]`: on a
//! `harbour seed` data set (default 100,000 conversations, 1,000,000
//! messages), on SQLite and on PostgreSQL, times the first page of each
//! queue, one conversation's latest 50 messages and a search for a
//! two-character Chinese word against a primary-key lookup of one row; then
//! the fan-out of one new message to 1,000 live sockets against a bare
//! broadcast of the same bytes to 1,000 sockets.

use axum::extract::ws::{Message as AxumMessage, WebSocketUpgrade};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use harbour_server::search::query_terms;
use harbour_server::secrets::SecretBox;
use harbour_server::seed::{seed, SeedOptions};
use harbour_server::store::conversations::{Scope, Viewer};
use harbour_tests::app::spawn_app_on;
use harbour_tests::{Backend, TestDb};
use shared::api::ConversationQuery;
use shared::ws::{ClientMessage, ServerMessage};
use shared::{Seq, UserId};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const SAMPLES: usize = 200;
const SOCKETS: usize = 1_000;
const FAN_OUT_ROUNDS: usize = 20;
const KEY: [u8; 32] = [21; 32];

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Timing {
    pub p50: Duration,
    pub p99: Duration,
}

pub fn timing(mut samples: Vec<Duration>) -> Timing {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Timing {
        p50: at(0.50),
        p99: at(0.99),
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn row(backend: Backend, what: &str, t: &Timing, baseline: &Timing) {
    println!(
        "| {backend:?} | {what} | {} | {} | {} | {:.1} |",
        ms(t.p50),
        ms(t.p99),
        ms(baseline.p50),
        t.p50.as_secs_f64() / baseline.p50.as_secs_f64().max(1e-9)
    );
}

/// Times `work` SAMPLES times after a short warm-up.
async fn measure<F, Fut>(mut work: F) -> Timing
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..20 {
        work(i).await;
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let started = Instant::now();
        work(i).await;
        samples.push(started.elapsed());
    }
    timing(samples)
}

pub fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.windows(2)
        .find(|w| w[0] == name)
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(default)
}

pub async fn run(args: &[String]) {
    let options = SeedOptions {
        conversations: arg(args, "--conversations", 100_000),
        messages: arg(args, "--messages", 1_000_000),
        ..Default::default()
    };
    println!(
        "Data set: {} conversations, {} messages, {} teams × {} agents.\n",
        options.conversations, options.messages, options.teams, options.agents_per_team
    );
    println!("| backend | measurement | p50 | p99 | baseline p50 | p50 / baseline |");
    println!("|---|---|---|---|---|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && !harbour_tests::db::postgres_available().await {
            continue;
        }
        one_backend(backend, &options).await;
    }
}

async fn one_backend(backend: Backend, options: &SeedOptions) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let secrets = SecretBox::new(&KEY);
    let now = harbour_tests::app::test_start();
    let seeded = seed(&store, &secrets, now, options).await.expect("seed");
    eprintln!("{backend:?}: seeded in {:.1} s", seeded.seconds);
    let (email, team) = seeded.agents[0].clone();
    let agent: UserId = store
        .credentials(&email)
        .await
        .expect("agent")
        .expect("the seeded agent")
        .user
        .id;
    let ids = store.team_conversation_ids(team, 1000).await.expect("ids");
    // Give the agent some mentions, like a working day would.
    let teams = [team];
    let viewer = Viewer {
        user: agent,
        scope: Scope::Teams(&teams),
    };
    let admin = Viewer {
        user: agent,
        scope: Scope::All,
    };

    let baseline = measure(|i| {
        let (store, id) = (&store, ids[i % ids.len()]);
        async move {
            let _ = store.conversation_status(id).await.expect("lookup");
        }
    })
    .await;
    row(
        backend,
        "primary-key lookup of one row (baseline)",
        &baseline,
        &baseline,
    );
    for (queue, who) in [
        ("mine", &viewer),
        ("unassigned", &viewer),
        ("team", &viewer),
        ("mentions", &viewer),
        ("all", &admin),
    ] {
        for sort in ["activity", "waiting"] {
            let query = ConversationQuery {
                queue: Some(queue.into()),
                sort: Some(sort.into()),
                limit: Some(50),
                ..Default::default()
            };
            let t = measure(|_| {
                let (store, query) = (&store, &query);
                async move {
                    store.list_conversations(who, query).await.expect("queue");
                }
            })
            .await;
            row(
                backend,
                &format!("queue {queue}, by {sort}: first 50"),
                &t,
                &baseline,
            );
        }
    }
    let t = measure(|i| {
        let (store, id) = (&store, ids[i % ids.len()]);
        async move {
            store
                .conversation_messages(id, None, 50)
                .await
                .expect("messages");
        }
    })
    .await;
    row(
        backend,
        "one conversation's latest 50 messages",
        &t,
        &baseline,
    );
    let terms = query_terms("還款");
    let t = measure(|_| {
        let (store, scope, terms) = (&store, &viewer.scope, &terms);
        async move {
            store
                .search_messages(scope, terms, 20)
                .await
                .expect("search");
        }
    })
    .await;
    row(
        backend,
        "search 還款 (agent's team, newest 20)",
        &t,
        &baseline,
    );
    let t = measure(|_| {
        let (store, terms) = (&store, &terms);
        async move {
            store
                .search_messages(&Scope::All, terms, 20)
                .await
                .expect("search");
        }
    })
    .await;
    row(backend, "search 還款 (all teams, newest 20)", &t, &baseline);

    store.close().await;
    fan_out(backend, db, &email, &options.password, team).await;
}

async fn open(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("connect")
        .0
}

async fn fan_out(backend: Backend, db: TestDb, email: &str, password: &str, team: shared::TeamId) {
    let app = spawn_app_on(db, |config| {
        config.run_workers = false;
        config.secret_key = harbour_server::config::Secret::new(KEY);
    })
    .await;
    let token: serde_json::Value = app
        .login_with(&app.new_client(), email, password)
        .await
        .json()
        .await
        .expect("session");
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let channel = app
        .store
        .list_channels()
        .await
        .expect("channels")
        .into_iter()
        .find(|c| c.team == Some(team))
        .expect("the team's channel")
        .id;
    let url = format!("ws://127.0.0.1:{}/api/v1/ws", app.port);
    let head = app.store.head().await.expect("head");
    let mut sockets = Vec::with_capacity(SOCKETS);
    for _ in 0..SOCKETS {
        let mut socket = open(&url).await;
        let hello = ClientMessage::Hello {
            token: token.clone(),
            last_seq: head,
        };
        let text = serde_json::to_string(&hello).expect("json");
        socket
            .send(Message::Text(text.into()))
            .await
            .expect("hello");
        wait_for(&mut socket, |m| matches!(m, ServerMessage::Live { .. })).await;
        sockets.push(socket);
    }
    let readers: Vec<_> = sockets.into_iter().map(spawn_reader).collect();
    let mut samples = Vec::new();
    for round in 0..FAN_OUT_ROUNDS {
        let create_time = harbour_tests::app::test_start() / 1000;
        // A URL is bound to its first body: each round signs its own nonce.
        let (timestamp, nonce) = (create_time.to_string(), format!("99{round}"));
        let signature =
            wechat::signature::signature(harbour_server::seed::SEED_TOKEN, &timestamp, &nonce);
        let from = format!("oFanOut{round}");
        let xml = format!(
            "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
             <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 {round}]]></Content>\
             <MsgId>{}</MsgId></xml>",
            900_000 + round
        );
        let started = Instant::now();
        let push = app
            .client
            .post(app.url(&format!(
                "/wechat/oa/{channel}?signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={from}"
            )))
            .body(xml)
            .send()
            .await
            .expect("push");
        assert_eq!(push.status(), 200);
        samples.push(last_arrival(&readers, started).await);
    }
    let harbour = timing(samples);
    let baseline = bare_broadcast().await;
    row(
        backend,
        "fan-out of one new message to 1,000 sockets (last arrival)",
        &harbour,
        &baseline,
    );
}

/// Each reader reports the instant it receives a `message.received` event.
struct Reader {
    arrivals: tokio::sync::mpsc::UnboundedReceiver<Instant>,
}

fn spawn_reader(mut socket: Socket) -> tokio::sync::Mutex<Reader> {
    let (tx, arrivals) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Text(text) = frame {
                if text.contains("\"message.received\"") {
                    let _ = tx.send(Instant::now());
                }
            }
        }
    });
    tokio::sync::Mutex::new(Reader { arrivals })
}

async fn last_arrival(readers: &[tokio::sync::Mutex<Reader>], started: Instant) -> Duration {
    let mut last = started;
    for reader in readers {
        let mut reader = reader.lock().await;
        let at = tokio::time::timeout(Duration::from_secs(30), reader.arrivals.recv())
            .await
            .expect("every socket receives the message")
            .expect("reader alive");
        last = last.max(at);
    }
    last - started
}

async fn wait_for(socket: &mut Socket, done: impl Fn(&ServerMessage) -> bool) {
    while let Some(Ok(frame)) = socket.next().await {
        if let Message::Text(text) = frame {
            if let Ok(message) = serde_json::from_str::<ServerMessage>(&text) {
                if done(&message) {
                    return;
                }
            }
        }
    }
    panic!("the socket closed early");
}

/// A plain axum WebSocket server broadcasting the same bytes to 1,000 sockets.
async fn bare_broadcast() -> Timing {
    let (sender, _) = tokio::sync::broadcast::channel::<Arc<String>>(64);
    let sender = Arc::new(sender);
    let for_route = sender.clone();
    let router = axum::Router::new().route(
        "/ws",
        get(move |ws: WebSocketUpgrade| {
            let mut receiver = for_route.subscribe();
            async move {
                ws.on_upgrade(move |mut socket| async move {
                    while let Ok(text) = receiver.recv().await {
                        if socket
                            .send(AxumMessage::Text(text.as_str().into()))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mut readers = Vec::new();
    for _ in 0..SOCKETS {
        readers.push(spawn_reader(open(&url).await));
    }
    while sender.receiver_count() < SOCKETS {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut samples = Vec::new();
    for round in 0..FAN_OUT_ROUNDS {
        let event = shared::ws::ServerMessage::Event {
            event: shared::api::Event {
                seq: Seq(round as i64 + 1),
                at: 0,
                kind: "message.received".into(),
                actor: None,
                team: None,
                payload: serde_json::json!({ "conversation": uuid::Uuid::new_v4(), "message": uuid::Uuid::new_v4(), "body": format!("你好 {round}") }),
            },
        };
        let text = Arc::new(serde_json::to_string(&event).expect("json"));
        let started = Instant::now();
        sender.send(text).expect("broadcast");
        samples.push(last_arrival(&readers, started).await);
    }
    timing(samples)
}
