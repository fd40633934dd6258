//! The live loop driven by in-memory channels: the test plays the server,
//! the clock and the network.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::executor::LocalPool;
use futures::future::{ready, LocalBoxFuture};
use futures::stream::LocalBoxStream;
use futures::task::LocalSpawnExt;
use futures::{FutureExt, StreamExt};
use shared::api::Event;
use shared::ws::{ClientMessage, ServerMessage};
use shared::{ConversationId, Seq};

use super::*;

/// The server's end of one socket the loop opened.
struct ServerEnd {
    from_client: UnboundedReceiver<ClientMessage>,
    to_client: UnboundedSender<Frame>,
    ticks: UnboundedSender<()>,
}

impl ServerEnd {
    fn say(&self, message: ServerMessage) {
        self.to_client
            .unbounded_send(Frame::Message(message))
            .expect("the loop still listens");
    }

    fn close(&self, code: Option<u16>) {
        let _ = self.to_client.unbounded_send(Frame::Closed { code });
    }

    fn tick(&self) {
        let _ = self.ticks.unbounded_send(());
    }

    /// Everything the client has sent since the last look.
    fn heard(&mut self) -> Vec<ClientMessage> {
        let mut heard = Vec::new();
        while let Ok(message) = self.from_client.try_recv() {
            heard.push(message);
        }
        heard
    }
}

#[derive(Default)]
struct World {
    offline: bool,
    refuse_opens: bool,
    /// Backoff waits never end by themselves; only a wake cuts them short.
    endless_sleeps: bool,
    token: Option<String>,
    /// What a refresh yields: a new token, or `None` when it fails.
    refreshed: Option<String>,
    refreshes: u32,
    now: f64,
    sleeps: Vec<u32>,
    sockets: Vec<ServerEnd>,
}

#[derive(Clone, Default)]
struct FakeConnector(Rc<RefCell<World>>);

impl Connector for FakeConnector {
    type Sink = UnboundedSender<ClientMessage>;
    type Stream = UnboundedReceiver<Frame>;

    fn online(&self) -> bool {
        !self.0.borrow().offline
    }

    fn open(&self) -> Option<(Self::Sink, Self::Stream)> {
        let mut world = self.0.borrow_mut();
        if world.refuse_opens {
            return None;
        }
        let (client_sink, from_client) = unbounded();
        let (to_client, client_stream) = unbounded();
        let (ticks, _) = unbounded();
        world.sockets.push(ServerEnd {
            from_client,
            to_client,
            ticks,
        });
        Some((client_sink, client_stream))
    }

    fn token(&self) -> Option<String> {
        self.0.borrow().token.clone()
    }

    fn refresh_token(&self) -> impl Future<Output = Result<(), ()>> {
        let mut world = self.0.borrow_mut();
        world.refreshes += 1;
        let refreshed = world.refreshed.take();
        let outcome = match refreshed {
            Some(token) => {
                world.token = Some(token);
                Ok(())
            }
            None => Err(()),
        };
        ready(outcome)
    }

    fn now_ms(&self) -> f64 {
        self.0.borrow().now
    }

    fn ticks(&self) -> LocalBoxStream<'static, ()> {
        let (sender, receiver) = unbounded();
        if let Some(socket) = self.0.borrow_mut().sockets.last_mut() {
            socket.ticks = sender;
        }
        receiver.boxed_local()
    }

    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()> {
        let mut world = self.0.borrow_mut();
        world.sleeps.push(ms);
        if world.endless_sleeps {
            futures::future::pending().boxed_local()
        } else {
            ready(()).boxed_local()
        }
    }

    /// The middle of the range: backoffs come out exactly 1 s, 2 s, 4 s …
    fn jitter(&self) -> f64 {
        0.5
    }
}

#[derive(Default)]
struct Seen {
    last_seq: Seq,
    viewing: Option<ConversationId>,
    statuses: Vec<LiveStatus>,
    events: Vec<Seq>,
    presence: HashMap<ConversationId, Presence>,
    presence_clears: u32,
    connections: u32,
    times: Vec<i64>,
    resyncs: Vec<Seq>,
    roster_changes: u32,
}

#[derive(Clone, Default)]
struct FakeState(Rc<RefCell<Seen>>);

impl SocketState for FakeState {
    fn last_seq(&self) -> Seq {
        self.0.borrow().last_seq
    }

    fn viewing(&self) -> Option<ConversationId> {
        self.0.borrow().viewing
    }

    fn set_status(&self, status: LiveStatus) {
        self.0.borrow_mut().statuses.push(status);
    }

    fn record(&self, event: Event) {
        let mut seen = self.0.borrow_mut();
        seen.last_seq = seen.last_seq.max(event.seq);
        seen.events.push(event.seq);
    }

    fn set_presence(&self, conversation: ConversationId, presence: Presence) {
        self.0.borrow_mut().presence.insert(conversation, presence);
    }

    fn clear_presence(&self) {
        let mut seen = self.0.borrow_mut();
        seen.presence.clear();
        seen.presence_clears += 1;
    }

    fn note_reconnected(&self) {
        self.0.borrow_mut().connections += 1;
    }

    fn server_time(&self, now: i64) {
        self.0.borrow_mut().times.push(now);
    }

    fn resync(&self, head: Seq) {
        let mut seen = self.0.borrow_mut();
        seen.last_seq = seen.last_seq.max(head);
        seen.resyncs.push(head);
    }

    fn roster_changed(&self) {
        self.0.borrow_mut().roster_changes += 1;
    }
}

/// A running loop and the handles a test drives it with.
struct Harness {
    pool: LocalPool,
    world: Rc<RefCell<World>>,
    seen: Rc<RefCell<Seen>>,
    commands: Option<UnboundedSender<Command>>,
    finished: Rc<RefCell<bool>>,
}

impl Harness {
    fn start() -> Self {
        Self::start_with(|_, _| {})
    }

    fn start_with(setup: impl FnOnce(&mut World, &mut Seen)) -> Self {
        let connector = FakeConnector::default();
        let state = FakeState::default();
        connector.0.borrow_mut().token = Some("token-1".to_owned());
        setup(&mut connector.0.borrow_mut(), &mut state.0.borrow_mut());
        let (commands, receiver) = unbounded();
        let finished = Rc::new(RefCell::new(false));
        let pool = LocalPool::new();
        let done = finished.clone();
        let (world, seen) = (connector.0.clone(), state.0.clone());
        pool.spawner()
            .spawn_local(async move {
                run(connector, state, receiver).await;
                *done.borrow_mut() = true;
            })
            .expect("the pool takes the loop");
        let mut harness = Harness {
            pool,
            world,
            seen,
            commands: Some(commands),
            finished,
        };
        harness.settle();
        harness
    }

    fn settle(&mut self) {
        self.pool.run_until_stalled();
    }

    fn sockets(&self) -> usize {
        self.world.borrow().sockets.len()
    }

    /// Runs `act` on socket `index`, then lets the loop react.
    fn on_socket<R>(&mut self, index: usize, act: impl FnOnce(&mut ServerEnd) -> R) -> R {
        let result = act(&mut self.world.borrow_mut().sockets[index]);
        self.settle();
        result
    }

    fn heard(&mut self, index: usize) -> Vec<ClientMessage> {
        self.on_socket(index, ServerEnd::heard)
    }

    fn command(&mut self, command: Command) {
        if let Some(commands) = &self.commands {
            commands.unbounded_send(command).expect("the loop runs");
        }
        self.settle();
    }

    fn set_now(&mut self, now: f64) {
        self.world.borrow_mut().now = now;
    }

    fn finished(&self) -> bool {
        *self.finished.borrow()
    }

    /// Welcome, optional replay, then live: a socket that made it.
    fn bring_live(&mut self, index: usize, replay: &[i64]) {
        self.on_socket(index, |server| {
            server.say(ServerMessage::Welcome {
                head: Seq(0),
                now: 1_000,
            });
            for seq in replay {
                server.say(ServerMessage::Event { event: event(*seq) });
            }
            server.say(ServerMessage::Live { head: Seq(0) });
        });
    }
}

fn event(seq: i64) -> Event {
    Event {
        seq: Seq(seq),
        at: 0,
        kind: "conversation.updated".to_owned(),
        actor: None,
        team: None,
        payload: serde_json::Value::Null,
    }
}

fn conversation(n: u128) -> ConversationId {
    ConversationId(uuid::Uuid::from_u128(n))
}

fn hello(token: &str, last_seq: i64) -> ClientMessage {
    ClientMessage::Hello {
        token: token.to_owned(),
        last_seq: Seq(last_seq),
    }
}

#[test]
fn the_first_message_is_a_hello_with_the_token_and_the_last_seq_seen() {
    let mut harness = Harness::start_with(|_, seen| seen.last_seq = Seq(7));
    assert_eq!(harness.sockets(), 1);
    assert_eq!(harness.heard(0), vec![hello("token-1", 7)]);
}

#[test]
fn a_welcome_connects_and_tells_the_server_time() {
    let mut harness = Harness::start();
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Welcome {
            head: Seq(3),
            now: 1_234,
        })
    });
    let seen = harness.seen.borrow();
    assert_eq!(seen.statuses, vec![LiveStatus::Connected]);
    assert_eq!(seen.times, vec![1_234]);
    assert_eq!(seen.connections, 0, "not live until the replay is done");
}

#[test]
fn replayed_events_are_recorded_and_live_re_announces_the_open_conversation() {
    let mut harness = Harness::start_with(|_, seen| seen.viewing = Some(conversation(9)));
    harness.heard(0);
    harness.bring_live(0, &[4, 5]);
    assert_eq!(harness.seen.borrow().events, vec![Seq(4), Seq(5)]);
    assert_eq!(harness.seen.borrow().connections, 1);
    assert_eq!(
        harness.heard(0),
        vec![ClientMessage::Viewing {
            conversation: Some(conversation(9))
        }]
    );
}

#[test]
fn a_resync_moves_the_last_seq_on_and_the_next_hello_carries_it() {
    let mut harness = Harness::start();
    harness.heard(0);
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Welcome {
            head: Seq(90_000),
            now: 1,
        });
        server.say(ServerMessage::Resync { head: Seq(90_000) });
        server.say(ServerMessage::Live { head: Seq(90_000) });
    });
    assert_eq!(harness.seen.borrow().resyncs, vec![Seq(90_000)]);
    assert_eq!(harness.seen.borrow().connections, 1);
    assert_eq!(harness.seen.borrow().last_seq, Seq(90_000));
}

#[test]
fn presence_messages_wait_for_live_and_are_passed_on_after() {
    let mut harness = Harness::start();
    let typing = ClientMessage::Typing {
        conversation: conversation(3),
        typing: true,
    };
    harness.command(Command::Send(typing.clone()));
    assert_eq!(
        harness.heard(0),
        vec![hello("token-1", 0)],
        "dropped before live"
    );
    harness.bring_live(0, &[]);
    harness.command(Command::Send(typing.clone()));
    assert_eq!(harness.heard(0), vec![typing]);
}

#[test]
fn presence_from_the_server_is_kept_and_cleared_when_the_socket_drops() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[]);
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Presence {
            conversation: conversation(3),
            viewers: Vec::new(),
            typing: Vec::new(),
            lock: None,
        })
    });
    assert!(harness
        .seen
        .borrow()
        .presence
        .contains_key(&conversation(3)));
    harness.on_socket(0, |server| server.close(Some(1006)));
    assert!(harness.seen.borrow().presence.is_empty());
    assert_eq!(harness.seen.borrow().presence_clears, 1);
}

#[test]
fn an_agent_coming_or_going_is_passed_on_for_the_floor() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[]);
    let agent = shared::UserId(uuid::Uuid::from_u128(7));
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Roster { user: agent })
    });
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Roster { user: agent })
    });
    assert_eq!(harness.seen.borrow().roster_changes, 2);
}

#[test]
fn a_closed_socket_reconnects_and_resumes_after_the_last_seq() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[1, 2, 3]);
    harness.on_socket(0, |server| server.close(Some(1006)));
    assert_eq!(harness.sockets(), 2);
    assert_eq!(harness.heard(1), vec![hello("token-1", 3)]);
    assert!(harness
        .seen
        .borrow()
        .statuses
        .contains(&LiveStatus::Reconnecting));
}

#[test]
fn an_ended_stream_counts_as_a_close() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[]);
    // The server drops its end: the loop's stream ends.
    harness.world.borrow_mut().sockets[0]
        .to_client
        .close_channel();
    harness.settle();
    assert_eq!(harness.sockets(), 2);
}

#[test]
fn the_backoff_doubles_while_connections_fail_and_resets_once_one_reaches_live() {
    let mut harness = Harness::start();
    for index in 0..3 {
        harness.on_socket(index, |server| server.close(None));
    }
    assert_eq!(harness.world.borrow().sleeps, vec![1_000, 2_000, 4_000]);
    harness.bring_live(3, &[]);
    harness.on_socket(3, |server| server.close(None));
    assert_eq!(harness.world.borrow().sleeps[3], 1_000);
}

#[test]
fn the_backoff_stops_growing_at_thirty_seconds_and_stays_within_a_fifth() {
    assert_eq!(backoff_ms(10, 0.5), 30_000);
    assert_eq!(backoff_ms(40, 0.5), 30_000);
    assert_eq!(backoff_ms(0, 0.0), 800);
    assert!((1_199..=1_200).contains(&backoff_ms(0, 0.999_999)));
}

#[test]
fn a_socket_that_cannot_open_is_retried_after_a_wait_that_a_wake_cuts_short() {
    let mut harness = Harness::start_with(|world, _| {
        world.refuse_opens = true;
        world.endless_sleeps = true;
    });
    assert_eq!(harness.sockets(), 0);
    assert_eq!(harness.world.borrow().sleeps, vec![1_000]);
    assert_eq!(
        harness.seen.borrow().statuses,
        vec![LiveStatus::Reconnecting]
    );
    harness.world.borrow_mut().refuse_opens = false;
    harness.command(Command::Wake);
    assert_eq!(harness.heard(0), vec![hello("token-1", 0)]);
}

#[test]
fn a_closing_for_an_expired_token_refreshes_before_saying_hello_again() {
    let mut harness = Harness::start_with(|world, _| world.refreshed = Some("token-2".to_owned()));
    harness.heard(0);
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Closing {
            code: "token_expired".to_owned(),
            message: "Your session has expired.".to_owned(),
        })
    });
    assert_eq!(harness.world.borrow().refreshes, 1);
    assert_eq!(harness.heard(1), vec![hello("token-2", 0)]);
}

#[test]
fn other_closings_reconnect_without_a_refresh() {
    let mut harness = Harness::start();
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Closing {
            code: "internal".to_owned(),
            message: "Restarting.".to_owned(),
        })
    });
    assert_eq!(harness.world.borrow().refreshes, 0);
    assert_eq!(harness.sockets(), 2);
}

#[test]
fn an_auth_close_before_the_welcome_refreshes_but_one_after_does_not() {
    let mut harness = Harness::start_with(|world, _| world.refreshed = Some("token-2".to_owned()));
    harness.on_socket(0, |server| server.close(Some(4401)));
    assert_eq!(harness.world.borrow().refreshes, 1);
    harness.bring_live(1, &[]);
    harness.on_socket(1, |server| server.close(Some(4401)));
    assert_eq!(harness.world.borrow().refreshes, 1);
    assert_eq!(harness.sockets(), 3);
}

#[test]
fn the_loop_ends_when_the_refresh_fails_and_no_session_is_left() {
    let mut harness = Harness::start();
    harness.world.borrow_mut().token = None;
    harness.on_socket(0, |server| server.close(Some(1008)));
    assert!(harness.finished());
    assert_eq!(harness.sockets(), 1);
}

#[test]
fn dropping_the_command_sender_stops_the_loop() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[]);
    harness.commands = None;
    harness.settle();
    assert!(harness.finished());
    assert_eq!(harness.sockets(), 1, "no reconnect after a stop");
}

#[test]
fn a_refreshed_token_is_passed_to_the_open_socket() {
    let mut harness = Harness::start();
    harness.heard(0);
    harness.command(Command::Reauth("token-2".to_owned()));
    assert_eq!(
        harness.heard(0),
        vec![ClientMessage::Reauth {
            token: "token-2".to_owned()
        }]
    );
}

#[test]
fn heartbeats_go_out_every_twenty_seconds() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[]);
    harness.heard(0);
    harness.set_now(5_000.0);
    harness.on_socket(0, |server| server.tick());
    assert!(harness.heard(0).is_empty());
    harness.set_now(20_000.0);
    harness.on_socket(0, |server| {
        server.say(ServerMessage::Ping);
        server.tick();
    });
    assert_eq!(harness.heard(0), vec![ClientMessage::Ping]);
}

#[test]
fn fifty_seconds_of_silence_drops_the_socket() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[]);
    harness.set_now(50_000.0);
    harness.on_socket(0, |server| server.tick());
    assert_eq!(harness.sockets(), 1, "not yet");
    harness.set_now(50_001.0);
    harness.on_socket(0, |server| server.tick());
    assert_eq!(harness.sockets(), 2);
}

#[test]
fn a_server_that_never_welcomes_is_given_up_after_ten_seconds() {
    let mut harness = Harness::start();
    harness.set_now(10_001.0);
    harness.on_socket(0, |server| server.tick());
    assert_eq!(harness.sockets(), 2);
}

#[test]
fn offline_waits_for_a_wake_before_connecting() {
    let mut harness = Harness::start_with(|world, _| world.offline = true);
    assert_eq!(harness.sockets(), 0);
    assert_eq!(harness.seen.borrow().statuses, vec![LiveStatus::Offline]);
    harness.world.borrow_mut().offline = false;
    harness.command(Command::Wake);
    assert_eq!(harness.sockets(), 1);
}

#[test]
fn a_wake_while_offline_drops_the_open_socket() {
    let mut harness = Harness::start();
    harness.bring_live(0, &[]);
    harness.world.borrow_mut().offline = true;
    harness.command(Command::Wake);
    assert!(harness
        .seen
        .borrow()
        .statuses
        .ends_with(&[LiveStatus::Offline]));
    assert_eq!(harness.sockets(), 1);
}
