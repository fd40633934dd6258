//! Keeping a conversation's timeline whole as pages arrive: the newest page
//! after a live event, older pages as the reader scrolls back. Messages are
//! kept once each, in `position` order.

use shared::api::MessageView;

/// Merges `page` into `loaded`. When the page does not reach back to what
/// is loaded (more came in than one page holds), the page replaces it, so
/// the timeline never shows a silent gap. Returns whether older messages
/// may exist before the result.
pub fn merge_newest(
    loaded: &mut Vec<MessageView>,
    page: Vec<MessageView>,
    page_full: bool,
) -> bool {
    let overlaps = page
        .first()
        .is_some_and(|first| loaded.iter().any(|m| m.position >= first.position));
    if loaded.is_empty() || (page_full && !overlaps) {
        *loaded = page;
        return page_full;
    }
    for message in page {
        match loaded.iter_mut().find(|m| m.id == message.id) {
            Some(slot) => *slot = message,
            None => loaded.push(message),
        }
    }
    loaded.sort_by_key(|m| m.position);
    false
}

/// Puts an older page in front; duplicates (a message on both pages) are kept once.
pub fn prepend_older(loaded: &mut Vec<MessageView>, page: Vec<MessageView>) {
    let mut merged: Vec<MessageView> = page
        .into_iter()
        .filter(|m| !loaded.iter().any(|l| l.id == m.id))
        .collect();
    merged.append(loaded);
    merged.sort_by_key(|m| m.position);
    *loaded = merged;
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::{DeliveryState, Direction};
    use shared::{ConversationId, MessageId};

    /// The id of message `name` (a letter, so tests read as before).
    fn id(name: char) -> MessageId {
        MessageId(uuid::Uuid::from_u128(name.into()))
    }

    fn message(name: char, position: i64) -> MessageView {
        MessageView {
            id: id(name),
            conversation_id: ConversationId(uuid::Uuid::from_u128(1)),
            direction: Direction::In,
            kind: "text".into(),
            body: Some(name.to_string()),
            status: None,
            error: None,
            author: None,
            author_name: None,
            position,
            created_at: position,
            media: None,
            fields: None,
            recalled_at: None,
        }
    }

    fn ids(list: &[MessageView]) -> Vec<MessageId> {
        list.iter().map(|m| m.id).collect()
    }

    #[test]
    fn a_refetch_adds_new_messages_once_and_updates_changed_ones() {
        let mut loaded = vec![message('a', 1), message('b', 2)];
        let mut b = message('b', 2);
        b.status = Some(DeliveryState::Sent);
        merge_newest(&mut loaded, vec![b, message('c', 3)], false);
        assert_eq!(ids(&loaded), [id('a'), id('b'), id('c')]);
        assert_eq!(loaded[1].status, Some(DeliveryState::Sent));
        // The same page again (a replayed event) doubles nothing.
        merge_newest(&mut loaded, vec![message('b', 2), message('c', 3)], false);
        assert_eq!(ids(&loaded), [id('a'), id('b'), id('c')]);
    }

    #[test]
    fn a_full_page_that_skips_ahead_replaces_the_timeline() {
        let mut loaded = vec![message('a', 1), message('b', 2)];
        let has_older = merge_newest(&mut loaded, vec![message('y', 90), message('z', 91)], true);
        assert_eq!(ids(&loaded), [id('y'), id('z')]);
        assert!(has_older);
    }

    #[test]
    fn older_pages_go_in_front_without_duplicates() {
        let mut loaded = vec![message('c', 3), message('d', 4)];
        prepend_older(
            &mut loaded,
            vec![message('a', 1), message('b', 2), message('c', 3)],
        );
        assert_eq!(ids(&loaded), [id('a'), id('b'), id('c'), id('d')]);
    }
}
