//! Who is looking at and typing in each conversation, and the reply lock:
//! the first agent who starts a reply holds a short lock, renewed while they
//! compose; others see "Ken is replying" and cannot send until it is let go,
//! expires, dies with the holder's socket, or is explicitly taken over.
//!
//! Presence lives in memory (it is about open sockets, which belong to one
//! node); changes go out to every socket that may see the conversation. With
//! several nodes (PostgreSQL), each node also announces its part of a room
//! (a [`Share`]) to the others, which merge it with their own: viewers and
//! typists are the union, and when two nodes granted the lock at the same
//! moment every node picks the same holder (a take-over beats any earlier
//! lock; otherwise the earlier lock wins), and the other node drops its own.
//! A node that stops announcing is forgotten after [`SHARE_TTL_MS`].

use serde::{Deserialize, Serialize};
use shared::ws::{Person, ReplyLock, ServerMessage};
use shared::{ConversationId, TeamId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// How long a lock lasts without renewal; clients renew every few seconds.
pub const LOCK_TTL_MS: i64 = 15_000;

/// One socket.
pub type SessionId = u64;

/// How long another node's part of a room is kept without a fresh
/// announcement (nodes announce every room they hold every few seconds).
pub const SHARE_TTL_MS: i64 = 15_000;

/// One node's part of a room, as announced to the other nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub node: String,
    pub conversation: ConversationId,
    pub team: Option<TeamId>,
    pub viewers: Vec<Person>,
    pub typing: Vec<Person>,
    pub lock: Option<SharedLock>,
}

/// A lock as nodes compare it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedLock {
    pub person: Person,
    pub expires_at: i64,
    /// Raised by each take-over, so a take-over beats the lock it took.
    pub epoch: u64,
    /// When this holder took it; of two locks of one epoch the earlier wins.
    pub since: i64,
}

impl SharedLock {
    /// Orders locks the same way on every node: the greatest wins.
    fn rank(&self) -> (u64, std::cmp::Reverse<i64>, std::cmp::Reverse<String>) {
        (
            self.epoch,
            std::cmp::Reverse(self.since),
            std::cmp::Reverse(self.person.id.to_string()),
        )
    }
}

/// A presence change and the team whose members may see it.
#[derive(Clone, Debug)]
pub struct PresenceUpdate {
    pub team: Option<TeamId>,
    pub message: ServerMessage,
}

#[derive(Clone)]
struct Held {
    session: SessionId,
    lock: SharedLock,
}

#[derive(Default)]
struct Room {
    team: Option<TeamId>,
    viewers: Vec<(SessionId, Person)>,
    typing: Vec<(SessionId, Person)>,
    lock: Option<Held>,
    /// Other nodes' parts, by node, with when each was last heard.
    remote: HashMap<String, (Share, i64)>,
}

impl Room {
    /// Whether `session` views, types or holds the lock here.
    fn holds(&self, session: SessionId) -> bool {
        self.viewers.iter().any(|(s, _)| *s == session)
            || self.typing.iter().any(|(s, _)| *s == session)
            || self.lock.as_ref().is_some_and(|l| l.session == session)
    }

    /// Drops everything `session` held here.
    fn forget(&mut self, session: SessionId) {
        self.viewers.retain(|(s, _)| *s != session);
        self.typing.retain(|(s, _)| *s != session);
        if self.lock.as_ref().is_some_and(|l| l.session == session) {
            self.lock = None;
        }
    }

    fn is_local_empty(&self) -> bool {
        self.viewers.is_empty() && self.typing.is_empty() && self.lock.is_none()
    }

    fn is_empty(&self) -> bool {
        self.is_local_empty() && self.remote.is_empty()
    }

    /// Forgets what ran out: this node's lock, other nodes' locks, and the
    /// parts of nodes not heard from lately.
    fn prune(&mut self, now: i64) {
        if self.lock.as_ref().is_some_and(|l| l.lock.expires_at <= now) {
            self.lock = None;
        }
        self.remote
            .retain(|_, (_, heard)| *heard + SHARE_TTL_MS > now);
        for (share, _) in self.remote.values_mut() {
            if share.lock.as_ref().is_some_and(|l| l.expires_at <= now) {
                share.lock = None;
            }
        }
    }

    /// The lock every node agrees on, if any.
    fn winner(&self) -> Option<&SharedLock> {
        self.lock
            .iter()
            .map(|held| &held.lock)
            .chain(
                self.remote
                    .values()
                    .filter_map(|(share, _)| share.lock.as_ref()),
            )
            .max_by_key(|lock| lock.rank())
    }

    /// The highest take-over count seen in this room.
    fn epoch(&self) -> u64 {
        self.winner().map_or(0, |lock| lock.epoch)
    }

    /// Drops this node's lock when another node's beats it.
    fn yield_lock(&mut self) {
        let beaten = match (&self.lock, self.winner()) {
            (Some(mine), Some(best)) => mine.lock.rank() < best.rank(),
            _ => false,
        };
        if beaten {
            self.lock = None;
        }
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
    rooms: Arc<Mutex<HashMap<ConversationId, Room>>>,
    updates: broadcast::Sender<Arc<PresenceUpdate>>,
    next_session: Arc<std::sync::atomic::AtomicU64>,
    /// This node, in the shares it announces.
    node: String,
    shares: broadcast::Sender<Share>,
}

impl Default for Presence {
    fn default() -> Self {
        Presence {
            rooms: Arc::default(),
            updates: broadcast::channel(4096).0,
            next_session: Arc::default(),
            node: uuid::Uuid::new_v4().to_string(),
            shares: broadcast::channel(4096).0,
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

    /// This node's shares, to announce to the other nodes.
    pub fn subscribe_shares(&self) -> broadcast::Receiver<Share> {
        self.shares.subscribe()
    }

    fn lock_rooms(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies `change` to the conversation's room and announces the result
    /// to this node's sockets and, when this node's part changed, to the
    /// other nodes.
    fn change<T>(
        &self,
        conversation: ConversationId,
        team: Option<TeamId>,
        now: i64,
        change: impl FnOnce(&mut Room) -> T,
    ) -> T {
        let (result, update, share) = {
            let mut rooms = self.lock_rooms();
            let room = rooms.entry(conversation).or_default();
            room.team = team.or(room.team);
            room.prune(now);
            let before = self.share(conversation, room);
            let result = change(room);
            room.yield_lock();
            let update = snapshot(conversation, room);
            let share = self.share(conversation, room);
            if room.is_empty() {
                rooms.remove(&conversation);
            }
            (result, update, (share != before).then_some(share))
        };
        let _ = self.updates.send(Arc::new(update));
        if let Some(share) = share {
            let _ = self.shares.send(share);
        }
        result
    }

    /// This node's part of a room.
    fn share(&self, conversation: ConversationId, room: &Room) -> Share {
        Share {
            node: self.node.clone(),
            conversation,
            team: room.team,
            viewers: unique(&room.viewers),
            typing: unique(&room.typing),
            lock: room.lock.as_ref().map(|held| held.lock.clone()),
        }
    }

    /// Takes in another node's part of a room.
    pub fn apply_remote(&self, share: Share, now: i64) {
        if share.node == self.node {
            return;
        }
        let conversation = share.conversation;
        self.change(conversation, share.team, now, |room| {
            if share.viewers.is_empty() && share.typing.is_empty() && share.lock.is_none() {
                room.remote.remove(&share.node);
            } else {
                room.remote.insert(share.node.clone(), (share, now));
            }
        });
    }

    /// Announces every room this node has a part in again, so that nodes
    /// that started later learn them and nodes keep them fresh.
    pub fn announce_all(&self) {
        let shares: Vec<Share> = self
            .lock_rooms()
            .iter()
            .filter(|(_, room)| !room.is_local_empty())
            .map(|(id, room)| self.share(*id, room))
            .collect();
        for share in shares {
            let _ = self.shares.send(share);
        }
    }

    /// The session now views `conversation` (and no other).
    pub fn view(
        &self,
        session: SessionId,
        person: &Person,
        conversation: ConversationId,
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
        conversation: ConversationId,
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
        conversation: ConversationId,
        team: Option<TeamId>,
        now: i64,
    ) -> LockOutcome {
        self.change(conversation, team, now, |room| match room.winner() {
            Some(best) if best.person.id != person.id => LockOutcome::HeldBy(best.person.clone()),
            best => {
                let (epoch, since) = best.map_or((0, now), |own| (own.epoch, own.since));
                room.lock = Some(Held {
                    session,
                    lock: SharedLock {
                        person: person.clone(),
                        expires_at: now + LOCK_TTL_MS,
                        epoch,
                        since,
                    },
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
        conversation: ConversationId,
        team: Option<TeamId>,
        now: i64,
    ) -> Option<Person> {
        self.change(conversation, team, now, |room| {
            let previous = room
                .winner()
                .map(|l| l.person.clone())
                .filter(|p| p.id != person.id);
            let epoch = room.epoch() + 1;
            room.lock = Some(Held {
                session,
                lock: SharedLock {
                    person: person.clone(),
                    expires_at: now + LOCK_TTL_MS,
                    epoch,
                    since: now,
                },
            });
            previous
        })
    }

    pub fn unlock(&self, session: SessionId, conversation: ConversationId, now: i64) {
        self.change(conversation, None, now, |room| {
            if room.lock.as_ref().is_some_and(|l| l.session == session) {
                room.lock = None;
            }
            room.typing.retain(|(s, _)| *s != session);
        });
    }

    /// Who holds the conversation's lock now, if anyone.
    pub fn holder(&self, conversation: ConversationId, now: i64) -> Option<(UserId, String)> {
        let mut rooms = self.lock_rooms();
        let room = rooms.get_mut(&conversation)?;
        room.prune(now);
        room.winner().map(|l| (l.person.id, l.person.name.clone()))
    }

    /// Drops everything a closed socket held.
    pub fn leave(&self, session: SessionId, now: i64) {
        self.leave_views(session, now, None);
    }

    /// Drops what the session held in one conversation (its user may no
    /// longer see it); announces only when there was something.
    pub fn leave_room(&self, session: SessionId, conversation: ConversationId, now: i64) {
        self.leave_where(session, now, |id, _| id == conversation);
    }

    /// Drops what the session held in conversations of teams its user may
    /// no longer see.
    pub fn leave_unless_allowed(
        &self,
        session: SessionId,
        now: i64,
        allowed: impl Fn(Option<TeamId>) -> bool,
    ) {
        self.leave_where(session, now, |_, team| !allowed(team));
    }

    /// The conversation moved to `team`: from now on only those who may see
    /// that team hear who views and types in it. Idempotent, so every
    /// socket that sees the transfer may call it.
    pub fn move_to_team(&self, conversation: ConversationId, team: Option<TeamId>, now: i64) {
        let moved = self
            .lock_rooms()
            .get_mut(&conversation)
            .is_some_and(|room| {
                let moved = room.team != team;
                room.team = team;
                moved
            });
        if moved {
            self.change(conversation, team, now, |_| ());
        }
    }

    /// Removes the session from every room except `keep`, announcing each change.
    fn leave_views(&self, session: SessionId, now: i64, keep: Option<ConversationId>) {
        self.leave_where(session, now, |id, _| Some(id) != keep);
    }

    /// Removes the session from the rooms `drop` picks (by conversation and
    /// team), announcing each change.
    fn leave_where(
        &self,
        session: SessionId,
        now: i64,
        drop: impl Fn(ConversationId, Option<TeamId>) -> bool,
    ) {
        let touched: Vec<ConversationId> = self
            .lock_rooms()
            .iter()
            .filter(|(id, room)| drop(**id, room.team) && room.holds(session))
            .map(|(id, _)| *id)
            .collect();
        for conversation in touched {
            self.change(conversation, None, now, |room| room.forget(session));
        }
    }

    /// Announces locks that ran out without renewal, and other nodes' parts
    /// that went stale.
    pub fn expire(&self, now: i64) {
        let expired: Vec<ConversationId> = self
            .lock_rooms()
            .iter()
            .filter(|(_, room)| {
                room.lock.as_ref().is_some_and(|l| l.lock.expires_at <= now)
                    || room.remote.values().any(|(share, heard)| {
                        *heard + SHARE_TTL_MS <= now
                            || share.lock.as_ref().is_some_and(|l| l.expires_at <= now)
                    })
            })
            .map(|(id, _)| *id)
            .collect();
        for conversation in expired {
            self.change(conversation, None, now, |_| {});
        }
    }

    /// Runs [`Presence::expire`] every second and [`Presence::announce_all`]
    /// every five.
    pub fn start_sweeper(&self, clock: crate::clock::Clock) -> tokio::task::JoinHandle<()> {
        let presence = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            for round in 0u64.. {
                tick.tick().await;
                presence.expire(clock.now());
                if round % 5 == 4 {
                    presence.announce_all();
                }
            }
        })
    }
}

/// The room as this node's sockets see it: this node's part and every
/// other node's, merged.
fn snapshot(conversation: ConversationId, room: &Room) -> PresenceUpdate {
    let merged = |local: &[(SessionId, Person)], remote: fn(&Share) -> &Vec<Person>| {
        let mut people = unique(local);
        for (share, _) in room.remote.values() {
            for person in remote(share) {
                if !people.iter().any(|p| p.id == person.id) {
                    people.push(person.clone());
                }
            }
        }
        people
    };
    PresenceUpdate {
        team: room.team,
        message: ServerMessage::Presence {
            conversation,
            viewers: merged(&room.viewers, |share| &share.viewers),
            typing: merged(&room.typing, |share| &share.typing),
            lock: room.winner().map(|l| ReplyLock {
                holder: l.person.clone(),
                expires_at: l.expires_at,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: ConversationId = ConversationId(uuid::Uuid::from_u128(1));

    fn person(name: &str, n: u128) -> Person {
        Person {
            id: UserId(uuid::Uuid::from_u128(n)),
            name: name.to_owned(),
        }
    }

    /// Delivers every share `from` announced since the last call to `to`.
    fn relay(from: &mut broadcast::Receiver<Share>, to: &Presence, now: i64) {
        while let Ok(share) = from.try_recv() {
            to.apply_remote(share, now);
        }
    }

    #[test]
    fn two_nodes_agree_on_viewers_and_on_one_lock_holder() {
        let (a, b) = (Presence::default(), Presence::default());
        let (mut from_a, mut from_b) = (a.subscribe_shares(), b.subscribe_shares());
        let (amy, ken) = (person("Amy", 1), person("Ken", 2));
        let (sa, sb) = (a.new_session(), b.new_session());

        // Amy views on A and Ken on B: both nodes show both.
        a.view(sa, &amy, C1, None, 1_000);
        b.view(sb, &ken, C1, None, 1_000);
        relay(&mut from_a, &b, 1_000);
        relay(&mut from_b, &a, 1_000);
        let mut updates = a.subscribe();
        a.typing(sa, &amy, C1, None, false, 1_001);
        let Ok(update) = updates.try_recv() else {
            panic!("no update")
        };
        let ServerMessage::Presence { viewers, .. } = &update.message else {
            panic!("not presence")
        };
        assert_eq!(viewers.len(), 2, "{viewers:?}");

        // Both start a reply before hearing of the other: the earlier wins everywhere.
        assert_eq!(a.lock(sa, &amy, C1, None, 2_000), LockOutcome::Granted);
        assert_eq!(b.lock(sb, &ken, C1, None, 2_001), LockOutcome::Granted);
        relay(&mut from_a, &b, 2_002);
        relay(&mut from_b, &a, 2_002);
        assert_eq!(a.holder(C1, 2_003).map(|h| h.0), Some(amy.id));
        assert_eq!(b.holder(C1, 2_003).map(|h| h.0), Some(amy.id));
        assert_eq!(
            b.lock(sb, &ken, C1, None, 2_004),
            LockOutcome::HeldBy(amy.clone())
        );

        // Ken takes over on B: A agrees, and Amy's lock is gone on A.
        assert_eq!(b.take_over(sb, &ken, C1, None, 3_000), Some(amy.clone()));
        relay(&mut from_b, &a, 3_001);
        relay(&mut from_a, &b, 3_001);
        assert_eq!(a.holder(C1, 3_002).map(|h| h.0), Some(ken.id));
        assert_eq!(b.holder(C1, 3_002).map(|h| h.0), Some(ken.id));
        assert_eq!(
            a.lock(sa, &amy, C1, None, 3_003),
            LockOutcome::HeldBy(ken.clone())
        );

        // Ken's socket closes: A hears the lock go.
        b.leave(sb, 4_000);
        relay(&mut from_b, &a, 4_000);
        assert_eq!(a.holder(C1, 4_001), None);
    }

    #[test]
    fn a_silent_node_is_forgotten() {
        let (a, b) = (Presence::default(), Presence::default());
        let mut from_a = a.subscribe_shares();
        let amy = person("Amy", 1);
        let sa = a.new_session();
        a.lock(sa, &amy, C1, None, 1_000);
        relay(&mut from_a, &b, 1_000);
        assert_eq!(b.holder(C1, 1_001).map(|h| h.0), Some(amy.id));
        // A keeps renewing but its announcements stop arriving (it died).
        assert_eq!(b.holder(C1, 1_000 + SHARE_TTL_MS), None);
    }
}
