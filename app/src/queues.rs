//! The inbox's queues (Mine, Unassigned, a team, All, Mentions) with their
//! sort and filters: the query string the server expects, whether a changed
//! conversation still belongs in the list shown, and where it goes.

use std::cmp::Ordering;

use shared::api::{ConversationSummary, Status};
use shared::{ChannelId, ConversationId, TeamId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    Mine,
    Unassigned,
    Team(TeamId),
    All,
    Mentions,
}

impl Queue {
    /// How the queue is stored in the browser between visits.
    pub fn key(self) -> String {
        match self {
            Queue::Mine => "mine".into(),
            Queue::Unassigned => "unassigned".into(),
            Queue::Team(team) => format!("team:{team}"),
            Queue::All => "all".into(),
            Queue::Mentions => "mentions".into(),
        }
    }

    pub fn from_key(key: &str) -> Option<Queue> {
        Some(match key {
            "mine" => Queue::Mine,
            "unassigned" => Queue::Unassigned,
            "all" => Queue::All,
            "mentions" => Queue::Mentions,
            other => Queue::Team(other.strip_prefix("team:")?.parse().ok()?),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Newest activity first.
    Activity,
    /// Longest-waiting client first.
    Waiting,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Activity => "activity",
            Sort::Waiting => "waiting",
        }
    }
}

/// What narrows a queue down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filters {
    /// Empty means the server's default (open and pending).
    pub statuses: Vec<String>,
    pub label: Option<String>,
    pub channel: Option<ChannelId>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            statuses: vec![Status::Open.to_string(), Status::Pending.to_string()],
            label: None,
            channel: None,
        }
    }
}

/// One list the inbox shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub queue: Queue,
    pub sort: Sort,
    pub filters: Filters,
}

fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

impl ListQuery {
    /// `/conversations?…` for one page of this list.
    pub fn path(&self, limit: usize, after: Option<&str>) -> String {
        let (queue, team) = match self.queue {
            Queue::Mine => ("mine", None),
            Queue::Unassigned => ("unassigned", None),
            Queue::Team(team) => ("team", Some(team)),
            Queue::All => ("all", None),
            Queue::Mentions => ("mentions", None),
        };
        let mut path = format!(
            "/conversations?queue={queue}&sort={}&limit={limit}",
            self.sort.as_str()
        );
        if let Some(team) = team {
            path.push_str(&format!("&team={team}"));
        }
        if !self.filters.statuses.is_empty() {
            path.push_str(&format!(
                "&status={}",
                encode(&self.filters.statuses.join(","))
            ));
        }
        if let Some(label) = &self.filters.label {
            path.push_str(&format!("&label={}", encode(label)));
        }
        if let Some(channel) = self.filters.channel {
            path.push_str(&format!("&channel={channel}"));
        }
        if let Some(after) = after {
            path.push_str(&format!("&after={}", encode(after)));
        }
        path
    }

    /// Whether `c` belongs in this list, as far as the app can tell.
    /// `None` when only the server knows (who was mentioned).
    pub fn admits(&self, c: &ConversationSummary, me: UserId) -> Option<bool> {
        let statuses: &[String] = &self.filters.statuses;
        let status_ok = if statuses.is_empty() {
            self.queue == Queue::Mentions || matches!(c.status, Status::Open | Status::Pending)
        } else {
            statuses.iter().any(|s| s == c.status.as_str())
        };
        let label_ok = self
            .filters
            .label
            .as_ref()
            .is_none_or(|l| c.labels.contains(l));
        let channel_ok = self.filters.channel.is_none_or(|ch| ch == c.channel_id);
        if !(status_ok && label_ok && channel_ok) {
            return Some(false);
        }
        match self.queue {
            Queue::Mine => Some(c.assignee == Some(me)),
            Queue::Unassigned => Some(c.assignee.is_none()),
            Queue::Team(team) => Some(c.team == Some(team)),
            Queue::All => Some(true),
            Queue::Mentions => None,
        }
    }
}

/// The order of two conversations under `sort` (the server's order: the
/// id breaks ties the same way its cursor does).
pub fn compare(a: &ConversationSummary, b: &ConversationSummary, sort: Sort) -> Ordering {
    match sort {
        Sort::Activity => b
            .last_message_at
            .cmp(&a.last_message_at)
            .then_with(|| b.id.cmp(&a.id)),
        Sort::Waiting => a
            .waiting_since
            .unwrap_or(i64::MAX)
            .cmp(&b.waiting_since.unwrap_or(i64::MAX))
            .then_with(|| a.id.cmp(&b.id)),
    }
}

/// Whether `changed`, put at `index`, keeps the list in order.
pub fn stays_in_place(
    list: &[ConversationSummary],
    index: usize,
    changed: &ConversationSummary,
    sort: Sort,
) -> bool {
    let before_ok = index == 0 || compare(&list[index - 1], changed, sort) != Ordering::Greater;
    let after_ok =
        index + 1 >= list.len() || compare(changed, &list[index + 1], sort) != Ordering::Greater;
    before_ok && after_ok
}

/// How a changed conversation lands in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Same place, new content.
    InPlace,
    /// Moved, added or removed.
    Moved,
    /// Not shown before or after.
    Nothing,
}

/// Puts `changed` (or, when `None`, removes conversation `id`) where it
/// belongs. A conversation that sorts after everything loaded is left for
/// the next page to bring, unless every page is loaded (`complete`).
pub fn place(
    list: &mut Vec<ConversationSummary>,
    id: ConversationId,
    changed: Option<ConversationSummary>,
    sort: Sort,
    complete: bool,
) -> Placement {
    let old = list.iter().position(|c| c.id == id);
    let Some(changed) = changed else {
        return match old {
            Some(index) => {
                list.remove(index);
                Placement::Moved
            }
            None => Placement::Nothing,
        };
    };
    if let Some(index) = old {
        if stays_in_place(list, index, &changed, sort) {
            list[index] = changed;
            return Placement::InPlace;
        }
        list.remove(index);
    }
    let at = list.partition_point(|c| compare(c, &changed, sort) == Ordering::Less);
    if at == list.len() && !complete {
        return if old.is_some() {
            Placement::Moved
        } else {
            Placement::Nothing
        };
    }
    list.insert(at, changed);
    Placement::Moved
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The id of conversation `name` (a letter, so tests read as before).
    pub fn conversation(name: char) -> ConversationId {
        ConversationId(uuid::Uuid::from_u128(name.into()))
    }

    pub fn summary(name: char, last: i64) -> ConversationSummary {
        ConversationSummary {
            id: conversation(name),
            channel_id: ChannelId(uuid::Uuid::from_u128(1)),
            channel_name: "HK".into(),
            contact_id: shared::ContactId(uuid::Uuid::from_u128(0x100 + u128::from(name))),
            contact_name: None,
            open_id: format!("o{name}"),
            team: None,
            team_name: None,
            status: shared::api::Status::Open,
            snoozed_until: None,
            priority: shared::api::Priority::Normal,
            labels: vec![],
            assignee: None,
            assignee_name: None,
            last_message_at: last,
            preview: None,
            waiting_since: None,
            sla: None,
            unread: false,
        }
    }

    /// The conversations' letters, in list order.
    fn names(list: &[ConversationSummary]) -> String {
        list.iter()
            .map(|c| {
                let letter = u32::try_from(c.id.0.as_u128()).ok();
                letter
                    .and_then(char::from_u32)
                    .expect("a test conversation")
            })
            .collect()
    }

    #[test]
    fn queue_keys_round_trip() {
        let team = TeamId(uuid::Uuid::from_u128(7));
        for queue in [
            Queue::Mine,
            Queue::Unassigned,
            Queue::Team(team),
            Queue::All,
            Queue::Mentions,
        ] {
            assert_eq!(Queue::from_key(&queue.key()), Some(queue));
        }
        assert_eq!(Queue::from_key("team:nonsense"), None);
    }

    #[test]
    fn the_query_string_carries_queue_sort_and_filters() {
        let query = ListQuery {
            queue: Queue::Unassigned,
            sort: Sort::Waiting,
            filters: Filters {
                statuses: vec!["open".into()],
                label: Some("VIP 客戶".into()),
                channel: None,
            },
        };
        assert_eq!(
            query.path(200, Some("123:abc")),
            "/conversations?queue=unassigned&sort=waiting&limit=200&status=open&label=VIP%20%E5%AE%A2%E6%88%B6&after=123%3Aabc"
        );
    }

    #[test]
    fn membership_follows_the_queue_and_filters() {
        let me = UserId(uuid::Uuid::from_u128(1));
        let mine = ListQuery {
            queue: Queue::Mine,
            sort: Sort::Activity,
            filters: Filters::default(),
        };
        let mut c = summary('a', 1);
        assert_eq!(mine.admits(&c, me), Some(false));
        c.assignee = Some(me);
        assert_eq!(mine.admits(&c, me), Some(true));
        c.status = Status::Resolved;
        assert_eq!(
            mine.admits(&c, me),
            Some(false),
            "resolved leaves the open queue"
        );
        let mentions = ListQuery {
            queue: Queue::Mentions,
            sort: Sort::Activity,
            filters: Filters::default(),
        };
        c.status = Status::Open;
        assert_eq!(mentions.admits(&c, me), None);
    }

    #[test]
    fn a_new_message_moves_a_conversation_to_the_top() {
        let mut list = vec![summary('c', 30), summary('b', 20), summary('a', 10)];
        let placement = place(
            &mut list,
            conversation('a'),
            Some(summary('a', 40)),
            Sort::Activity,
            false,
        );
        assert_eq!(placement, Placement::Moved);
        assert_eq!(names(&list), "acb");
    }

    #[test]
    fn a_change_that_keeps_the_order_updates_in_place() {
        let mut list = vec![summary('c', 30), summary('b', 20), summary('a', 10)];
        let mut b = summary('b', 20);
        b.unread = true;
        assert_eq!(
            place(&mut list, conversation('b'), Some(b), Sort::Activity, false),
            Placement::InPlace
        );
        assert!(list[1].unread);
    }

    #[test]
    fn removals_and_rows_beyond_the_loaded_pages() {
        let mut list = vec![summary('c', 30), summary('b', 20)];
        assert_eq!(
            place(&mut list, conversation('b'), None, Sort::Activity, false),
            Placement::Moved
        );
        assert_eq!(names(&list), "c");
        // Older than all loaded rows: the next page will bring it.
        assert_eq!(
            place(
                &mut list,
                conversation('z'),
                Some(summary('z', 1)),
                Sort::Activity,
                false
            ),
            Placement::Nothing
        );
        assert_eq!(
            place(
                &mut list,
                conversation('z'),
                Some(summary('z', 1)),
                Sort::Activity,
                true
            ),
            Placement::Moved
        );
        assert_eq!(names(&list), "cz");
    }

    #[test]
    fn the_waiting_sort_puts_the_longest_wait_first_and_non_waiting_last() {
        let mut waiting_long = summary('a', 1);
        waiting_long.waiting_since = Some(100);
        let mut waiting_short = summary('b', 2);
        waiting_short.waiting_since = Some(500);
        let mut list = vec![waiting_short, summary('c', 3)];
        place(
            &mut list,
            conversation('a'),
            Some(waiting_long),
            Sort::Waiting,
            false,
        );
        assert_eq!(names(&list), "abc");
    }
}
