//! Who is looking at and typing in each conversation, and the reply lock:
//! the first agent who starts a reply holds a short lock, renewed while they
//! compose; others see "Ken is replying" and cannot send until it is let go,
//! expires, dies with the holder's socket, or is explicitly taken over.
//!
//! Presence lives in this node's memory (it is about open sockets, which
//! belong to one node); changes go out to every socket that may see the
//! conversation.

use shared::ws::{Person, ReplyLock, ServerMessage};
use shared::{TeamId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// How long a lock lasts without renewal; clients renew every few seconds.
pub const LOCK_TTL_MS: i64 = 15_000;

/// One socket.
pub type SessionId = u64;

/// A presence change and the team whose members may see it.
#[derive(Clone, Debug)]
pub struct PresenceUpdate {
    pub team: Option<TeamId>,
    pub message: ServerMessage,
}

#[derive(Clone)]
struct Held {
    session: SessionId,
    person: Person,
    expires_at: i64,
}

#[derive(Default)]
struct Room {
    team: Option<TeamId>,
    viewers: Vec<(SessionId, Person)>,
    typing: Vec<(SessionId, Person)>,
    lock: Option<Held>,
}

impl Room {
    fn is_empty(&self) -> bool {
        self.viewers.is_empty() && self.typing.is_empty() && self.lock.is_none()
    }
}

/// What a lock request came to.
#[derive(Debug, PartialEq, Eq)]
pub enum LockOutcome {
    Granted,
    /// Someone else holds it.
    HeldBy(Person),
}

#[derive(Clone)]
pub struct Presence {
    rooms: Arc<Mutex<HashMap<String, Room>>>,
    updates: broadcast::Sender<Arc<PresenceUpdate>>,
    next_session: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for Presence {
    fn default() -> Self {
        Presence {
            rooms: Arc::default(),
            updates: broadcast::channel(4096).0,
            next_session: Arc::default(),
        }
    }
}

fn unique(list: &[(SessionId, Person)]) -> Vec<Person> {
    let mut people: Vec<Person> = Vec::new();
    for (_, person) in list {
        if !people.iter().any(|p| p.id == person.id) {
            people.push(person.clone());
        }
    }
    people
}

impl Presence {
    pub fn new_session(&self) -> SessionId {
        self.next_session
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<PresenceUpdate>> {
        self.updates.subscribe()
    }

    fn lock_rooms(&self) -> std::sync::MutexGuard<'_, HashMap<String, Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies `change` to the conversation's room and announces the result.
    fn change<T>(
        &self,
        conversation: &str,
        team: Option<TeamId>,
        now: i64,
        change: impl FnOnce(&mut Room) -> T,
    ) -> T {
        let (result, update) = {
            let mut rooms = self.lock_rooms();
            let room = rooms.entry(conversation.to_owned()).or_default();
            room.team = team.or(room.team);
            if room.lock.as_ref().is_some_and(|l| l.expires_at <= now) {
                room.lock = None;
            }
            let result = change(room);
            let update = snapshot(conversation, room);
            if room.is_empty() {
                rooms.remove(conversation);
            }
            (result, update)
        };
        let _ = self.updates.send(Arc::new(update));
        result
    }

    /// The session now views `conversation` (and no other).
    pub fn view(
        &self,
        session: SessionId,
        person: &Person,
        conversation: &str,
        team: Option<TeamId>,
        now: i64,
    ) {
        self.leave_views(session, now, Some(conversation));
        self.change(conversation, team, now, |room| {
            if !room.viewers.iter().any(|(s, _)| *s == session) {
                room.viewers.push((session, person.clone()));
            }
        });
    }

    pub fn typing(
        &self,
        session: SessionId,
        person: &Person,
        conversation: &str,
        team: Option<TeamId>,
        typing: bool,
        now: i64,
    ) {
        self.change(conversation, team, now, |room| {
            room.typing.retain(|(s, _)| *s != session);
            if typing {
                room.typing.push((session, person.clone()));
            }
        });
    }

    /// Takes or renews the lock, unless another user holds it.
    pub fn lock(
        &self,
        session: SessionId,
        person: &Person,
        conversation: &str,
        team: Option<TeamId>,
        now: i64,
    ) -> LockOutcome {
        self.change(conversation, team, now, |room| match &room.lock {
            Some(held) if held.person.id != person.id => LockOutcome::HeldBy(held.person.clone()),
            _ => {
                room.lock = Some(Held {
                    session,
                    person: person.clone(),
                    expires_at: now + LOCK_TTL_MS,
                });
                LockOutcome::Granted
            }
        })
    }

    /// Takes the lock whoever holds it; returns whom it was taken from.
    pub fn take_over(
        &self,
        session: SessionId,
        person: &Person,
        conversation: &str,
        team: Option<TeamId>,
        now: i64,
    ) -> Option<Person> {
        self.change(conversation, team, now, |room| {
            let previous = room
                .lock
                .take()
                .map(|l| l.person)
                .filter(|p| p.id != person.id);
            room.lock = Some(Held {
                session,
                person: person.clone(),
                expires_at: now + LOCK_TTL_MS,
            });
            previous
        })
    }

    pub fn unlock(&self, session: SessionId, conversation: &str, now: i64) {
        self.change(conversation, None, now, |room| {
            if room.lock.as_ref().is_some_and(|l| l.session == session) {
                room.lock = None;
            }
            room.typing.retain(|(s, _)| *s != session);
        });
    }

    /// Who holds the conversation's lock now, if anyone.
    pub fn holder(&self, conversation: &str, now: i64) -> Option<(UserId, String)> {
        self.lock_rooms()
            .get(conversation)
            .and_then(|room| room.lock.as_ref())
            .filter(|l| l.expires_at > now)
            .map(|l| (l.person.id, l.person.name.clone()))
    }

    /// Drops everything a closed socket held.
    pub fn leave(&self, session: SessionId, now: i64) {
        self.leave_views(session, now, None);
    }

    /// Removes the session from every room except `keep`, announcing each change.
    fn leave_views(&self, session: SessionId, now: i64, keep: Option<&str>) {
        let touched: Vec<String> = self
            .lock_rooms()
            .iter()
            .filter(|(id, room)| {
                Some(id.as_str()) != keep
                    && (room.viewers.iter().any(|(s, _)| *s == session)
                        || room.typing.iter().any(|(s, _)| *s == session)
                        || room.lock.as_ref().is_some_and(|l| l.session == session))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for conversation in touched {
            self.change(&conversation, None, now, |room| {
                room.viewers.retain(|(s, _)| *s != session);
                room.typing.retain(|(s, _)| *s != session);
                if room.lock.as_ref().is_some_and(|l| l.session == session) {
                    room.lock = None;
                }
            });
        }
    }

    /// Announces locks that ran out without renewal.
    pub fn expire(&self, now: i64) {
        let expired: Vec<String> = self
            .lock_rooms()
            .iter()
            .filter(|(_, room)| room.lock.as_ref().is_some_and(|l| l.expires_at <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for conversation in expired {
            self.change(&conversation, None, now, |_| {});
        }
    }

    /// Runs [`Presence::expire`] every second.
    pub fn start_sweeper(&self, clock: crate::clock::Clock) -> tokio::task::JoinHandle<()> {
        let presence = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                presence.expire(clock.now());
            }
        })
    }
}

fn snapshot(conversation: &str, room: &Room) -> PresenceUpdate {
    PresenceUpdate {
        team: room.team,
        message: ServerMessage::Presence {
            conversation: conversation.to_owned(),
            viewers: unique(&room.viewers),
            typing: unique(&room.typing),
            lock: room.lock.as_ref().map(|l| ReplyLock {
                holder: l.person.clone(),
                expires_at: l.expires_at,
            }),
        },
    }
}
