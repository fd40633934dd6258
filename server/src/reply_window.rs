//! WeChat's customer-service reply window, decided without a database: a
//! client's message opens 48 hours in which the account may send up to 5
//! replies; an unfollowed client gets none. The store reads the facts
//! (`ContactWindow`), this module says what they allow at `now`.

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

    /// Why a reply cannot go out at `now`, as a sentence for the agent.
    pub fn refusal(&self, now: i64) -> Option<String> {
        if let Some((servicer, _)) = self
            .held_by
            .as_ref()
            .filter(|(_, since)| since + WINDOW_MS > now)
        {
            return Some(format!(
                "{servicer} is handling this conversation in the WeCom client; the inbox can send again once the session is handed back or ends."
            ));
        }
        if !self.subscribed {
            return Some(
                "This client has unfollowed the account, so WeChat will not deliver replies."
                    .into(),
            );
        }
        match self.last_inbound_at {
            None => Some(
                "This client has not written yet, so WeChat has no reply window open.".into(),
            ),
            Some(at) if at + WINDOW_MS <= now => {
                let hours = (now - at - WINDOW_MS) / 3_600_000;
                Some(format!(
                    "WeChat closed the reply window {} ago. Send a template message instead.",
                    if hours < 1 {
                        "less than an hour".to_owned()
                    } else {
                        format!("{hours} h")
                    }
                ))
            }
            Some(_) if self.replies_in_window >= REPLIES_PER_WINDOW => Some(
                "You have sent 5 replies since the client last wrote; wait for them to write again."
                    .into(),
            ),
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
        let refusal = open.refusal(WROTE + 48 * HOUR).unwrap_or_default();
        assert!(refusal.contains("less than an hour ago"), "{refusal}");
        let later = open.refusal(WROTE + 51 * HOUR).unwrap_or_default();
        assert!(later.contains("3 h ago"), "{later}");
    }

    #[test]
    fn the_sixth_reply_and_an_unfollowed_client_are_refused() {
        let spent = window(5);
        assert_eq!(spent.replies_left(WROTE), 0);
        assert!(spent
            .refusal(WROTE)
            .is_some_and(|r| r.contains("5 replies")));
        let gone = ContactWindow {
            subscribed: false,
            ..window(0)
        };
        assert!(gone
            .refusal(WROTE)
            .is_some_and(|r| r.contains("unfollowed")));
        let silent = ContactWindow {
            last_inbound_at: None,
            ..window(0)
        };
        assert!(silent
            .refusal(WROTE)
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
            .is_some_and(|r| r.starts_with("zhangsan is handling") && r.contains("WeCom client")));
        // A session lasts 48 hours at most, whether or not WeCom said it ended.
        let stale = ContactWindow {
            held_by: Some(("zhangsan".into(), WROTE - 49 * HOUR)),
            ..window(0)
        };
        assert_eq!(stale.refusal(WROTE), None);
    }
}
