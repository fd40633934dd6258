//! The live-socket session: authenticate by first message, replay what the
//! client missed from the log, then stream live events the user may see.
//! Generic over `Sink`/`Stream` so it is tested without a network.

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::presence::{Presence, PresenceUpdate, SessionId};
use crate::roster::RosterChange;
use futures::{Sink, SinkExt, Stream, StreamExt};
use shared::api::Event;
use shared::ws::{ClientMessage, Person, ServerMessage};
use shared::{ConversationId, Seq, TeamId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{timeout, Instant};

/// What a session needs from the rest of the server.
pub trait SessionBackend: Send + Sync {
    fn authenticate(&self, token: &str) -> impl Future<Output = Result<AuthUser, AppError>> + Send;
    fn events_after(
        &self,
        after: Seq,
        limit: i64,
    ) -> impl Future<Output = anyhow::Result<Vec<Event>>> + Send;
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
    fn head(&self) -> impl Future<Output = anyhow::Result<Seq>> + Send;
    /// Presence and reply locks, when this backend keeps them.
    fn presence(&self) -> Option<&Presence> {
        None
    }
    /// The user's sign-in read again after something about it changed:
    /// their rights now, or why the sign-in has ended.
    fn recheck(&self, user: &AuthUser) -> impl Future<Output = Result<AuthUser, AppError>> + Send {
        let user = user.clone();
        async move { Ok(user) }
    }
    /// The team each of `conversations` belongs to now (absent: unknown).
    fn conversation_teams(
        &self,
        _conversations: &[ConversationId],
    ) -> impl Future<Output = anyhow::Result<HashMap<ConversationId, Option<TeamId>>>> + Send {
        async { Ok(HashMap::new()) }
    }
    /// `Some(team)` when the conversation exists.
    fn conversation_team(
        &self,
        _conversation: ConversationId,
    ) -> impl Future<Output = Option<Option<TeamId>>> + Send {
        async { None }
    }
    fn now(&self) -> i64 {
        0
    }
    /// Wakes when the server's clock jumps, so the app can follow it.
    fn clock_jumps(&self) -> Option<tokio::sync::watch::Receiver<i64>> {
        None
    }
    /// Turns true when the server begins to stop.
    fn stopping(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        None
    }
    /// Agents coming online and going, for those who watch the floor.
    fn roster(&self) -> Option<broadcast::Receiver<Arc<RosterChange>>> {
        None
    }
    /// A socket of `user` opened (`true`) or closed, for auto-assignment's
    /// presence.
    fn connection(&self, _user: shared::UserId, _open: bool) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// Records in the timeline that `user` took the reply over from `from`.
    fn log_take_over(
        &self,
        _user: &AuthUser,
        _conversation: ConversationId,
        _from: &Person,
    ) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Whether `user` may see `event`. Admin and compliance see everything;
/// others see events of their teams, and events they caused themselves.
/// The inbox work refines this per conversation.
pub fn visible_to(user: &AuthUser, event: &Event) -> bool {
    visible_in(user, event, event.team)
}

/// [`visible_to`], with `team` the team the event's conversation has now.
fn visible_in(user: &AuthUser, event: &Event, team: Option<TeamId>) -> bool {
    if user.role.sees_all_teams() {
        return true;
    }
    // What someone read is for admins and compliance, not the reader's screen.
    if event.kind.starts_with("access.") {
        return false;
    }
    match team {
        Some(team) => user.teams.contains(&team),
        None => event.actor == Some(user.id),
    }
}

/// The conversation an event is about, if any.
fn conversation_of(event: &Event) -> Option<ConversationId> {
    event.payload.get("conversation")?.as_str()?.parse().ok()
}

/// Every conversation an event is about: `conversation`, or the
/// `conversations` a contact's change touched.
fn conversations_of(event: &Event) -> Vec<ConversationId> {
    if let Some(one) = conversation_of(event) {
        return vec![one];
    }
    event
        .payload
        .get("conversations")
        .and_then(|all| all.as_array())
        .map(|all| {
            all.iter()
                .filter_map(|c| c.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `event` may change what `user`'s sign-in may do, or end it: a
/// change to their account, a password reset, a sign-out or a stolen
/// refresh token.
fn touches_rights(user: &AuthUser, event: &Event) -> bool {
    const KINDS: [&str; 5] = [
        "user.updated",
        "user.password_reset",
        "user.password_changed",
        "auth.logout",
        "auth.refresh_reused",
    ];
    KINDS.contains(&event.kind.as_str())
        && event.payload.get("user").and_then(|u| u.as_str()) == Some(&user.id.to_string())
}

/// The team a transfer moved a conversation to, when `event` is one.
fn transferred_to(event: &Event) -> Option<(ConversationId, Option<TeamId>)> {
    if event.kind != "conversation.updated" || event.payload["action"] != "transferred" {
        return None;
    }
    let team = event.payload["fields"]["team"]
        .as_str()
        .and_then(|t| t.parse().ok());
    Some((conversation_of(event)?, team))
}

#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub hello_timeout: Duration,
    pub heartbeat: Duration,
    /// Close when the client has said nothing for this long.
    pub idle_timeout: Duration,
    /// Close when one message cannot be handed to the client within this time.
    pub send_timeout: Duration,
    /// A client further behind than this many events is told to `Resync`
    /// (reload its views) instead of replaying the log.
    pub max_replay: i64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            hello_timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(10),
            max_replay: 5_000,
        }
    }
}

/// Why a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    ClientClosed,
    Unauthenticated(String),
    BadMessage,
    TooSlow,
    Idle,
    ServerError,
    /// The server is restarting; the client reconnects.
    ServerStopping,
}

/// A message the client sent, or a reason it could not be read.
pub type Incoming = Result<ClientMessage, String>;

pub async fn run_session<Si, St, B>(
    mut sink: Si,
    mut stream: St,
    backend: &B,
    config: &SessionConfig,
) -> SessionEnd
where
    Si: Sink<ServerMessage> + Unpin,
    St: Stream<Item = Incoming> + Unpin,
    B: SessionBackend,
{
    let (token, last_seq) = match timeout(config.hello_timeout, stream.next()).await {
        Ok(Some(Ok(ClientMessage::Hello { token, last_seq }))) => (token, last_seq),
        Ok(None) => return SessionEnd::ClientClosed,
        Err(_) => {
            return close(
                &mut sink,
                SessionEnd::Idle,
                "The socket sent no hello in time.",
            )
            .await
        }
        Ok(Some(_)) => {
            return close(
                &mut sink,
                SessionEnd::BadMessage,
                "The first message must be a hello.",
            )
            .await
        }
    };
    // Subscribe before reading the user and the log, so nothing committed
    // in between is missed (a change to the user's rights included);
    // likewise to clock jumps before telling the time in `Welcome`.
    let live = backend.subscribe();
    let clock_jumps = backend.clock_jumps();
    let mut user = match backend.authenticate(&token).await {
        Ok(user) => user,
        Err(err) => {
            return close(
                &mut sink,
                SessionEnd::Unauthenticated(err.code().as_str().into()),
                &err.to_string(),
            )
            .await
        }
    };
    let Ok(head) = backend.head().await else {
        return SessionEnd::ServerError;
    };
    if !send(
        &mut sink,
        ServerMessage::Welcome {
            head,
            now: backend.now(),
        },
        config,
    )
    .await
    {
        return SessionEnd::TooSlow;
    }
    let mut sent_up_to = last_seq;
    if head.0 - last_seq.0 > config.max_replay {
        // Too far behind to replay: the client reloads its views instead.
        if !send(&mut sink, ServerMessage::Resync { head }, config).await {
            return SessionEnd::TooSlow;
        }
        sent_up_to = head;
    } else if let Err(end) = replay(
        &mut sink,
        backend,
        &mut user,
        None,
        &mut sent_up_to,
        None,
        config,
    )
    .await
    {
        return end;
    }
    if !send(
        &mut sink,
        ServerMessage::Live {
            head: sent_up_to.max(head),
        },
        config,
    )
    .await
    {
        return SessionEnd::TooSlow;
    }

    let session = backend
        .presence()
        .map(Presence::new_session)
        .unwrap_or_default();
    let who = user.id;
    backend.connection(who, true).await;
    let end = stream_live(
        &mut sink,
        &mut stream,
        backend,
        config,
        &mut user,
        sent_up_to,
        live,
        clock_jumps,
        session,
    )
    .await;
    if let Some(presence) = backend.presence() {
        presence.leave(session, backend.now());
    }
    backend.connection(who, false).await;
    end
}

/// The live part of a session, until it ends.
#[allow(clippy::too_many_arguments)]
async fn stream_live<Si, St, B>(
    sink: &mut Si,
    stream: &mut St,
    backend: &B,
    config: &SessionConfig,
    user: &mut AuthUser,
    mut sent_up_to: Seq,
    mut live: broadcast::Receiver<Arc<Event>>,
    mut clock_jumps: Option<tokio::sync::watch::Receiver<i64>>,
    session: SessionId,
) -> SessionEnd
where
    Si: Sink<ServerMessage> + Unpin,
    St: Stream<Item = Incoming> + Unpin,
    B: SessionBackend,
{
    let mut presence_updates = backend.presence().map(Presence::subscribe);
    let mut roster = backend.roster();
    let mut heartbeat = tokio::time::interval(config.heartbeat);
    heartbeat.reset();
    let mut last_heard = Instant::now();
    let expiry = tokio::time::sleep(until_expiry(backend, user));
    tokio::pin!(expiry);
    let mut stopping = backend.stopping();
    loop {
        if token_expired(backend, user) {
            return close(
                sink,
                SessionEnd::Unauthenticated(AppError::TokenExpired.code().as_str().into()),
                &AppError::TokenExpired.to_string(),
            )
            .await;
        }
        tokio::select! {
            incoming = stream.next() => {
                last_heard = Instant::now();
                match incoming {
                    None => return SessionEnd::ClientClosed,
                    Some(Ok(ClientMessage::Ping)) => {
                        if !send(sink, ServerMessage::Pong, config).await { return SessionEnd::TooSlow; }
                    }
                    Some(Ok(ClientMessage::Reauth { token })) => match backend.authenticate(&token).await {
                        Ok(fresh) if fresh.id == user.id => {
                            *user = fresh;
                            leave_what_user_cannot_see(backend, user, Some(session));
                            expiry.as_mut().reset(Instant::now() + until_expiry(backend, user));
                        }
                        Ok(_) => return close(sink, SessionEnd::BadMessage, "A socket cannot change whose it is; open a new one.").await,
                        Err(err) => return close(sink, SessionEnd::Unauthenticated(err.code().as_str().into()), &err.to_string()).await,
                    },
                    Some(Ok(ClientMessage::Hello { .. })) | Some(Err(_)) => {
                        return close(sink, SessionEnd::BadMessage, "The socket sent a message Harbour does not understand.").await;
                    }
                    Some(Ok(message)) => on_presence(backend, user, session, message).await,
                }
            }
            Some(update) = next_latest(&mut presence_updates) => {
                if presence_visible(user, &update) && !send(sink, update.message.clone(), config).await {
                    return SessionEnd::TooSlow;
                }
            }
            Some(change) = next_latest(&mut roster) => {
                if roster_visible(user, &change)
                    && !send(sink, ServerMessage::Roster { user: change.user }, config).await
                {
                    return SessionEnd::TooSlow;
                }
            }
            () = server_stops(&mut stopping) => {
                return close(sink, SessionEnd::ServerStopping, "Harbour is restarting; the app reconnects by itself in a moment.").await;
            }
            () = &mut expiry => {
                // Checked at the top of the loop; a manual clock may not be there yet.
                expiry.as_mut().reset(Instant::now() + until_expiry(backend, user));
            }
            received = live.recv() => match received {
                Ok(event) => {
                    // Rights first, even for an event the replay already sent:
                    // the user may have changed while the session began.
                    if let Err(end) = follow_rights(sink, backend, user, Some(session), &event).await {
                        return end;
                    }
                    if event.seq <= sent_up_to { continue; }
                    if event.seq.0 > sent_up_to.0 + 1 {
                        // Fill any hole from the log so order and completeness hold.
                        let until = Seq(event.seq.0 - 1);
                        if let Err(end) = replay(sink, backend, user, Some(session), &mut sent_up_to, Some(until), config).await {
                            return end;
                        }
                    }
                    if visible_to(user, &event)
                        && !send(sink, ServerMessage::Event { event: (*event).clone() }, config).await
                    {
                        return SessionEnd::TooSlow;
                    }
                    sent_up_to = event.seq;
                }
                Err(RecvError::Lagged(_)) => {
                    return close(sink, SessionEnd::TooSlow, "This connection fell too far behind; reconnect to catch up.").await;
                }
                Err(RecvError::Closed) => return SessionEnd::ServerError,
            },
            Some(now) = next_jump(&mut clock_jumps) => {
                // The token's expiry is checked at the top of the loop.
                if !send(sink, ServerMessage::Time { now }, config).await { return SessionEnd::TooSlow; }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > config.idle_timeout {
                    return close(sink, SessionEnd::Idle, "The connection was idle for too long.").await;
                }
                if !send(sink, ServerMessage::Ping, config).await { return SessionEnd::TooSlow; }
            }
        }
    }
}

/// How long until the user's access token expires, by the server's clock
/// (at least a second, so a clock that stands still is not polled hot).
fn until_expiry<B: SessionBackend>(backend: &B, user: &AuthUser) -> Duration {
    if user.expires_at <= 0 {
        return Duration::from_secs(24 * 3600);
    }
    let left = (user.expires_at - backend.now()).max(1_000);
    Duration::from_millis(u64::try_from(left).unwrap_or(1_000))
}

fn token_expired<B: SessionBackend>(backend: &B, user: &AuthUser) -> bool {
    user.expires_at > 0 && backend.now() >= user.expires_at
}

/// Keeps the session within the user's rights as `event` changes them: a
/// change to their account or sign-in reloads them (or ends the session),
/// and a transfer moves the conversation's presence to its new team.
/// `session`: the presence session, once there is one.
async fn follow_rights<Si, B>(
    sink: &mut Si,
    backend: &B,
    user: &mut AuthUser,
    session: Option<SessionId>,
    event: &Event,
) -> Result<(), SessionEnd>
where
    Si: Sink<ServerMessage> + Unpin,
    B: SessionBackend,
{
    if touches_rights(user, event) {
        match backend.recheck(user).await {
            Ok(fresh) => {
                *user = fresh;
                leave_what_user_cannot_see(backend, user, session);
            }
            Err(err) => {
                let end = SessionEnd::Unauthenticated(err.code().as_str().into());
                return Err(close(sink, end, &err.to_string()).await);
            }
        }
    }
    if let (Some((conversation, team)), Some(presence)) =
        (transferred_to(event), backend.presence())
    {
        let now = backend.now();
        presence.move_to_team(conversation, team, now);
        if let Some(session) = session.filter(|_| !user.scope().allows(team)) {
            presence.leave_room(session, conversation, now);
        }
    }
    Ok(())
}

/// Drops the session's presence in conversations of teams the user may no
/// longer see.
fn leave_what_user_cannot_see<B: SessionBackend>(
    backend: &B,
    user: &AuthUser,
    session: Option<SessionId>,
) {
    if let (Some(presence), Some(session)) = (backend.presence(), session) {
        let scope = user.scope();
        presence.leave_unless_allowed(session, backend.now(), |team| scope.allows(team));
    }
}

/// The next presence update or roster change, skipping any this socket was
/// too slow for (presence is a snapshot each time, so a later one
/// supersedes what was missed; the floor also looks again by itself);
/// `None` when the backend has none (the branch then never fires).
async fn next_latest<T: Clone>(updates: &mut Option<broadcast::Receiver<T>>) -> Option<T> {
    let Some(receiver) = updates else {
        return std::future::pending().await;
    };
    loop {
        match receiver.recv().await {
            Ok(update) => return Some(update),
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return std::future::pending().await,
        }
    }
}

/// Those who may watch the floor hear of the agents on it: admins and
/// compliance of everyone, a supervisor of their teams' members.
fn roster_visible(user: &AuthUser, change: &RosterChange) -> bool {
    match user.role {
        shared::Role::Admin | shared::Role::Compliance => true,
        shared::Role::Supervisor => change.teams.iter().any(|t| user.teams.contains(t)),
        shared::Role::Agent => false,
    }
}

/// Resolves once the server begins to stop; never without a signal.
async fn server_stops(stopping: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    if let Some(receiver) = stopping {
        if receiver.wait_for(|stop| *stop).await.is_ok() {
            return;
        }
    }
    std::future::pending().await
}

/// The server's time after its clock jumped; `None` when the clock cannot
/// jump (the branch then never fires).
async fn next_jump(jumps: &mut Option<tokio::sync::watch::Receiver<i64>>) -> Option<i64> {
    let Some(receiver) = jumps else {
        return std::future::pending().await;
    };
    match receiver.changed().await {
        Ok(()) => Some(*receiver.borrow_and_update()),
        Err(_) => std::future::pending().await,
    }
}

fn presence_visible(user: &AuthUser, update: &PresenceUpdate) -> bool {
    user.scope().allows(update.team)
}

/// Viewing, typing and the reply lock, for conversations the user may see.
/// Compliance views but never types or locks.
async fn on_presence<B: SessionBackend>(
    backend: &B,
    user: &AuthUser,
    session: SessionId,
    message: ClientMessage,
) {
    let Some(presence) = backend.presence() else {
        return;
    };
    let now = backend.now();
    let person = Person {
        id: user.id,
        name: user.name.clone(),
    };
    let conversation = match &message {
        ClientMessage::Viewing { conversation: None } => {
            presence.leave(session, now);
            return;
        }
        ClientMessage::Viewing {
            conversation: Some(c),
        }
        | ClientMessage::Typing {
            conversation: c, ..
        }
        | ClientMessage::Lock { conversation: c }
        | ClientMessage::Unlock { conversation: c }
        | ClientMessage::TakeOver { conversation: c } => *c,
        _ => return,
    };
    let Some(team) = backend.conversation_team(conversation).await else {
        return;
    };
    if !user.scope().allows(team) {
        return;
    }
    let writes = user.role != shared::Role::Compliance;
    match message {
        ClientMessage::Viewing { .. } => presence.view(session, &person, conversation, team, now),
        ClientMessage::Typing { typing, .. } if writes => {
            presence.typing(session, &person, conversation, team, typing, now)
        }
        ClientMessage::Lock { .. } if writes => {
            presence.lock(session, &person, conversation, team, now);
        }
        ClientMessage::Unlock { .. } => presence.unlock(session, conversation, now),
        ClientMessage::TakeOver { .. } if writes => {
            if let Some(from) = presence.take_over(session, &person, conversation, team, now) {
                backend.log_take_over(user, conversation, &from).await;
            }
        }
        _ => {}
    }
}

/// Sends the visible events after `sent_up_to` (up to `until`, or the end
/// of the log), following any change to the user's rights on the way.
async fn replay<Si, B>(
    sink: &mut Si,
    backend: &B,
    user: &mut AuthUser,
    session: Option<SessionId>,
    sent_up_to: &mut Seq,
    until: Option<Seq>,
    config: &SessionConfig,
) -> Result<(), SessionEnd>
where
    Si: Sink<ServerMessage> + Unpin,
    B: SessionBackend,
{
    const PAGE: i64 = 500;
    loop {
        let page = backend
            .events_after(*sent_up_to, PAGE)
            .await
            .map_err(|_| SessionEnd::ServerError)?;
        let full = page.len() as i64 == PAGE;
        let mut conversations: Vec<ConversationId> =
            page.iter().flat_map(conversations_of).collect();
        conversations.sort_unstable();
        conversations.dedup();
        let teams = if conversations.is_empty() || user.role.sees_all_teams() {
            HashMap::new()
        } else {
            backend
                .conversation_teams(&conversations)
                .await
                .map_err(|_| SessionEnd::ServerError)?
        };
        for event in page {
            if until.is_some_and(|u| event.seq > u) {
                return Ok(());
            }
            follow_rights(sink, backend, user, session, &event).await?;
            if visible_in_replay(user, &event, &teams)
                && !send(
                    sink,
                    ServerMessage::Event {
                        event: event.clone(),
                    },
                    config,
                )
                .await
            {
                return Err(SessionEnd::TooSlow);
            }
            *sent_up_to = event.seq;
        }
        if !full {
            return Ok(());
        }
    }
}

/// Whether `user` may see `event` when it is replayed: by the team its
/// conversations have now (`teams`), not the one they had when it was
/// written. Events for one person (no team) stay theirs, and a transfer's
/// notices stay with the teams they were written for (the old team learns
/// the conversation left).
fn visible_in_replay(
    user: &AuthUser,
    event: &Event,
    teams: &HashMap<ConversationId, Option<TeamId>>,
) -> bool {
    if event.team.is_none() || transferred_to(event).is_some() {
        return visible_to(user, event);
    }
    let now: Vec<Option<TeamId>> = conversations_of(event)
        .iter()
        .filter_map(|c| teams.get(c).copied())
        .collect();
    if now.is_empty() {
        return visible_to(user, event);
    }
    now.into_iter().any(|team| visible_in(user, event, team))
}

async fn send<Si>(sink: &mut Si, message: ServerMessage, config: &SessionConfig) -> bool
where
    Si: Sink<ServerMessage> + Unpin,
{
    matches!(
        timeout(config.send_timeout, sink.send(message)).await,
        Ok(Ok(()))
    )
}

async fn close<Si>(sink: &mut Si, end: SessionEnd, message: &str) -> SessionEnd
where
    Si: Sink<ServerMessage> + Unpin,
{
    let code = match &end {
        SessionEnd::Unauthenticated(code) => code.clone(),
        SessionEnd::BadMessage => "bad_message".into(),
        SessionEnd::TooSlow => "too_slow".into(),
        SessionEnd::Idle => "idle".into(),
        SessionEnd::ServerStopping => "server_restarting".into(),
        SessionEnd::ClientClosed | SessionEnd::ServerError => "closing".into(),
    };
    let closing = ServerMessage::Closing {
        code,
        message: message.to_owned(),
    };
    let _ = timeout(Duration::from_secs(1), sink.send(closing)).await;
    let _ = timeout(Duration::from_secs(1), sink.close()).await;
    end
}
