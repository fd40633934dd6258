//! WeChat's customer-service reply window, decided without a database: a
//! client's message opens 48 hours in which the account may send up to 5
//! replies; an unfollowed client gets none. The store reads the facts
//! (`ContactWindow`), this module says what they allow at `now`.

use shared::api::WindowRefusal;

/// How long a client's message keeps the window open.
pub const WINDOW_MS: i64 = 48 * 3_600_000;
/// Replies allowed per window.
pub const REPLIES_PER_WINDOW: i64 = 5;

/// What the window depends on, as stored for one contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactWindow {
    pub subscribed: bool,
    /// When the client last wrote (Unix ms), if ever.
    pub last_inbound_at: Option<i64>,
    /// Replies sent since then.
    pub replies_in_window: i64,
    /// WeCom Customer Service: the servicer who holds the session in the
    /// WeCom client (state 3), when one does, and since when. A session
    /// ends after 48 hours without WeCom saying so: an older hold is over.
    pub held_by: Option<(String, i64)>,
    /// WeCom Customer Service: when the session last ended (state 4). WeCom
    /// takes nothing from the inbox until the client writes again.
    pub session_ended_at: Option<i64>,
}

impl ContactWindow {
    /// When the window closes, if it is open at `now`.
    pub fn closes_at(&self, now: i64) -> Option<i64> {
        self.last_inbound_at
            .map(|at| at + WINDOW_MS)
            .filter(|closes| *closes > now)
    }

    /// Replies that may still go out at `now`.
    pub fn replies_left(&self, now: i64) -> i64 {
        if self.closes_at(now).is_some() {
            (REPLIES_PER_WINDOW - self.replies_in_window).max(0)
        } else {
            0
        }
    }

    /// Whether a servicer holds the session in WeCom's own client at `now`.
    pub fn held_at(&self, now: i64) -> bool {
        self.holder(now).is_some()
    }

    fn holder(&self, now: i64) -> Option<&String> {
        self.held_by
            .as_ref()
            .filter(|(_, since)| since + WINDOW_MS > now)
            .map(|(servicer, _)| servicer)
    }

    /// Why a reply cannot go out at `now`, if it cannot.
    pub fn refusal(&self, now: i64) -> Option<WindowRefusal> {
        if let Some(servicer) = self.holder(now) {
            return Some(WindowRefusal::HeldInWecom {
                servicer: servicer.clone(),
            });
        }
        if !self.subscribed {
            return Some(WindowRefusal::Unfollowed);
        }
        if let (Some(ended), Some(wrote)) = (self.session_ended_at, self.last_inbound_at) {
            if ended >= wrote && wrote + WINDOW_MS > now {
                return Some(WindowRefusal::SessionEnded);
            }
        }
        match self.last_inbound_at {
            None => Some(WindowRefusal::NotWritten),
            Some(at) if at + WINDOW_MS <= now => Some(WindowRefusal::Closed {
                hours_ago: (now - at - WINDOW_MS) / 3_600_000,
            }),
            Some(_) if self.replies_in_window >= REPLIES_PER_WINDOW => {
                Some(WindowRefusal::RepliesSpent {
                    replies: REPLIES_PER_WINDOW,
                })
            }
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WROTE: i64 = 1_000_000;
    const HOUR: i64 = 3_600_000;

    fn window(replies: i64) -> ContactWindow {
        ContactWindow {
            subscribed: true,
            last_inbound_at: Some(WROTE),
            replies_in_window: replies,
            held_by: None,
            session_ended_at: None,
        }
    }

    #[test]
    fn a_clients_message_opens_48_hours_for_five_replies() {
        let open = window(0);
        assert_eq!(open.closes_at(WROTE), Some(WROTE + 48 * HOUR));
        assert_eq!(open.replies_left(WROTE + HOUR), 5);
        assert_eq!(open.refusal(WROTE + 47 * HOUR), None);
        assert_eq!(window(3).replies_left(WROTE), 2);
    }

    #[test]
    fn the_window_closes_at_48_hours_to_the_millisecond() {
        let open = window(0);
        assert!(open.closes_at(WROTE + 48 * HOUR - 1).is_some());
        assert_eq!(open.closes_at(WROTE + 48 * HOUR), None);
        assert_eq!(open.replies_left(WROTE + 48 * HOUR), 0);
        let refusal = open
            .refusal(WROTE + 48 * HOUR)
            .map(|r| r.sentence())
            .unwrap_or_default();
        assert!(refusal.contains("less than an hour ago"), "{refusal}");
        let later = open
            .refusal(WROTE + 51 * HOUR)
            .map(|r| r.sentence())
            .unwrap_or_default();
        assert!(later.contains("3 h ago"), "{later}");
    }

    #[test]
    fn the_sixth_reply_and_an_unfollowed_client_are_refused() {
        let spent = window(5);
        assert_eq!(spent.replies_left(WROTE), 0);
        assert!(spent
            .refusal(WROTE)
            .map(|r| r.sentence())
            .is_some_and(|r| r.contains("5 replies")));
        let gone = ContactWindow {
            subscribed: false,
            ..window(0)
        };
        assert!(gone
            .refusal(WROTE)
            .map(|r| r.sentence())
            .is_some_and(|r| r.contains("unfollowed")));
        let silent = ContactWindow {
            last_inbound_at: None,
            ..window(0)
        };
        assert!(silent
            .refusal(WROTE)
            .map(|r| r.sentence())
            .is_some_and(|r| r.contains("not written yet")));
        assert_eq!(silent.closes_at(WROTE), None);
    }

    #[test]
    fn a_session_a_wecom_servicer_holds_refuses_replies_and_names_them() {
        let held = ContactWindow {
            held_by: Some(("zhangsan".into(), WROTE)),
            ..window(0)
        };
        assert!(held
            .refusal(WROTE)
            .map(|r| r.sentence())
            .is_some_and(|r| r.starts_with("zhangsan is handling") && r.contains("WeCom client")));
        // A session lasts 48 hours at most, whether or not WeCom said it ended.
        let stale = ContactWindow {
            held_by: Some(("zhangsan".into(), WROTE - 49 * HOUR)),
            ..window(0)
        };
        assert_eq!(stale.refusal(WROTE), None);
    }

    #[test]
    fn an_ended_wecom_session_refuses_until_the_client_writes_again() {
        let ended = ContactWindow {
            session_ended_at: Some(WROTE + HOUR),
            ..window(0)
        };
        assert_eq!(
            ended.refusal(WROTE + 2 * HOUR),
            Some(WindowRefusal::SessionEnded)
        );
        let wrote_again = ContactWindow {
            last_inbound_at: Some(WROTE + 3 * HOUR),
            ..ended.clone()
        };
        assert_eq!(wrote_again.refusal(WROTE + 4 * HOUR), None);
    }
}
