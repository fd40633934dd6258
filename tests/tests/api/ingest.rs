//! A thousand WeChat pushes over real HTTP from the follower simulator, each
//! delivered one to three times (some copies at once): exactly a thousand
//! messages, in order per contact, on both backends. And the multi-row
//! batch that group commit writes, push by push.

use futures::StreamExt;
use harbour_server::search::{index_terms, query_terms};
use harbour_server::store::conversations::Scope;
use harbour_server::store::events::append;
use harbour_server::store::inbox::{store_inbound_batch, Inbound, Written};
use harbour_server::store::{Store, StoreOptions};
use harbour_tests::{on_both_backends, spawn_app, Backend};
use serde_json::json;
use shared::{ChannelId, MessageId};
use wechat::fake::simulator::{Activity, Simulator, SimulatorConfig};
use wechat::{AppId, Mode, OpenId, OriginalId};

on_both_backends!(a_thousand_retried_callbacks_store_a_thousand_messages_in_order);

const APP_ID: &str = "wx0123456789abcdef";
const TOKEN: &str = "ingestTokenHarbour42";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

async fn a_thousand_retried_callbacks_store_a_thousand_messages_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = app.connect_official_account(&admin, &json!({ "name": "Ingest", "app_id": APP_ID, "app_secret": "s", "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe" })).await;
    let id = channel.id;
    let config = SimulatorConfig::new(
        app.url(&format!("/wechat/oa/{id}")),
        OriginalId::new("gh_ingest"),
        AppId::new(APP_ID),
        TOKEN,
        AES_KEY,
        Mode::Safe,
    )
    .seed(7)
    .clock(app.wechat_clock());
    let simulator = Simulator::new(config).expect("simulator");

    // 40 contacts, 25 messages each; each contact's pushes go in order, contacts in parallel.
    let contacts: Vec<OpenId> = (0..40)
        .map(|c| OpenId::new(format!("oIngestContact{c:04}")))
        .collect();
    let streams = contacts.iter().enumerate().map(|(c, openid)| {
        let simulator = simulator.clone();
        async move {
            for n in 0..25usize {
                let push = simulator
                    .push(openid, Activity::Text(format!("{c}:{n} 還款 #{n}")))
                    .expect("push");
                let extra = (c + n) % 3; // one to three deliveries in all
                let reports = if n % 4 == 0 {
                    simulator.deliver_concurrently(&push, extra).await
                } else {
                    simulator.deliver_with_retries(&push, extra).await
                };
                assert!(
                    reports.iter().all(|r| r.delivered()),
                    "push {c}:{n} was not acknowledged"
                );
            }
        }
    });
    futures::stream::iter(streams)
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;

    assert_eq!(
        app.store.inbound_message_count(id).await.expect("count"),
        1000
    );
    let viewer = harbour_server::store::conversations::Viewer {
        user: shared::UserId(uuid::Uuid::new_v4()),
        scope: harbour_server::store::conversations::Scope::All,
    };
    let query = shared::api::ConversationQuery {
        limit: Some(100),
        ..Default::default()
    };
    let conversations = app
        .store
        .list_conversations(&viewer, &query)
        .await
        .expect("list")
        .conversations;
    assert_eq!(conversations.len(), 40);
    for conversation in conversations {
        let messages = app
            .store
            .conversation_messages(conversation.id, None, 100)
            .await
            .expect("messages");
        let order: Vec<usize> = messages
            .iter()
            .filter_map(|m| {
                m.body
                    .as_deref()?
                    .split(' ')
                    .next()?
                    .split(':')
                    .nth(1)?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(
            order,
            (0..25).collect::<Vec<_>>(),
            "per-contact order for {}",
            conversation.open_id
        );
    }
    let kinds = crate::auth::event_kinds(&app).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "message.received").count(),
        1000
    );
    assert_eq!(app.store.verify_chain().await.expect("verify").fault, None);
}

on_both_backends!(
    a_batch_stores_each_push_once_in_push_order,
    a_copy_committed_by_another_writer_meanwhile_is_not_stored_twice,
);

fn inbound(channel: ChannelId, open_id: &str, key: &str, kind: &str, body: &str) -> Inbound {
    Inbound {
        channel_id: channel,
        team: None,
        open_id: open_id.to_owned(),
        dedupe_key: key.to_owned(),
        kind: kind.to_owned(),
        body: Some(body.to_owned()),
        fields: json!({}),
        opens_window: kind != "event",
        subscribed: None,
        media_id: None,
        search_terms: index_terms(body),
    }
}

/// Stores one batch the way the group-commit writer does and returns what
/// each push became: the message id, or `None` for a push already stored.
async fn store_batch(store: &Store, now: i64, pushes: &[Inbound]) -> Vec<Option<MessageId>> {
    let mut tx = store.begin().await.expect("begin");
    let refs: Vec<&Inbound> = pushes.iter().collect();
    let written = store_inbound_batch(&mut tx, now, &refs)
        .await
        .expect("batch")
        .expect("no other writer");
    let mut events = Vec::new();
    let mut ids = Vec::new();
    for outcome in written {
        ids.push(match outcome {
            Written::New(stored, event) => {
                events.push(event);
                Some(stored.message_id)
            }
            Written::Seen => None,
        });
    }
    append(&mut tx, now, &events).await.expect("events");
    store.commit(tx).await.expect("commit");
    ids
}

/// The multi-row fast path of group commit: copies within the batch and of
/// pushes stored before are stored once, one contact's messages take
/// consecutive positions in push order, a resolved conversation reopens, an
/// event alone leaves the conversation not waiting, and new contacts and
/// media get their jobs.
async fn a_batch_stores_each_push_once_in_push_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = app.connect_official_account(&admin, &json!({ "name": "Batch", "app_id": APP_ID, "app_secret": "s", "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe" })).await;
    let ch = channel.id;
    let store = &app.store;

    let first = store_batch(
        store,
        1_000,
        &[
            inbound(ch, "oDora", "d1", "text", "earlier"),
            inbound(ch, "oEmma", "e1", "text", "你好"),
        ],
    )
    .await;
    assert!(first.iter().all(Option::is_some), "{first:?}");
    app.db.execute("UPDATE conversations SET status = 'resolved', waiting_since = NULL WHERE contact_id = (SELECT id FROM contacts WHERE open_id = 'oEmma')").await;

    let mut subscribe = inbound(ch, "oBen", "b1", "event", "subscribe");
    subscribe.subscribed = Some(true);
    let mut image = inbound(ch, "oCyd", "c1", "image", "[image]");
    image.media_id = Some("media-1".into());
    let second = store_batch(
        store,
        2_000,
        &[
            inbound(ch, "oAmy", "a1", "text", "想問還款日期"),
            inbound(ch, "oAmy", "a2", "text", "second"),
            subscribe,
            inbound(ch, "oAmy", "a1", "text", "想問還款日期"),
            inbound(ch, "oDora", "d1", "text", "earlier"),
            inbound(ch, "oEmma", "e2", "text", "again"),
            image,
        ],
    )
    .await;
    let stored: Vec<bool> = second.iter().map(Option::is_some).collect();
    assert_eq!(stored, [true, true, true, false, false, true, true]);

    let messages: Vec<(String, String, i64)> = app
        .db
        .query(
            "SELECT c.open_id, m.dedupe_key, m.position FROM messages m \
         JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id \
         ORDER BY c.open_id, m.position",
        )
        .await;
    let expected = [
        ("oAmy", "a1", 1),
        ("oAmy", "a2", 2),
        ("oBen", "b1", 1),
        ("oCyd", "c1", 1),
        ("oDora", "d1", 1),
        ("oEmma", "e1", 1),
        ("oEmma", "e2", 2),
    ];
    let expected: Vec<(String, String, i64)> = expected
        .iter()
        .map(|(o, k, p)| (o.to_string(), k.to_string(), *p))
        .collect();
    assert_eq!(messages, expected);

    let conversations: Vec<(String, String, Option<i64>, i64)> = app
        .db
        .query(
            "SELECT c.open_id, v.status, v.waiting_since, v.last_position FROM conversations v \
         JOIN contacts c ON c.id = v.contact_id ORDER BY c.open_id",
        )
        .await;
    let summary: Vec<(&str, &str, Option<i64>, i64)> = conversations
        .iter()
        .map(|(o, s, w, p)| (o.as_str(), s.as_str(), *w, *p))
        .collect();
    assert_eq!(
        summary,
        [
            ("oAmy", "open", Some(2_000), 2),
            ("oBen", "open", None, 1),
            ("oCyd", "open", Some(2_000), 1),
            ("oDora", "open", Some(1_000), 1),
            ("oEmma", "open", Some(2_000), 2),
        ],
        "a1 and a2 placed together, Emma reopened, Ben's event leaves him not waiting"
    );

    let jobs: Vec<(String, i64)> = app
        .db
        .query("SELECT kind, COUNT(*) FROM jobs GROUP BY kind ORDER BY kind")
        .await;
    assert_eq!(
        jobs,
        [
            ("wechat.media".to_string(), 1),
            ("wechat.profile".to_string(), 5)
        ],
        "one profile lookup per new contact, one download per media"
    );
    let events: Vec<(i64,)> = app
        .db
        .query("SELECT COUNT(*) FROM events WHERE kind = 'message.received'")
        .await;
    assert_eq!(events, [(7,)], "one event per stored message");
    let a1: Vec<(String,)> = app
        .db
        .query("SELECT id FROM messages WHERE dedupe_key = 'a1'")
        .await;
    let hits = store
        .search_messages(&Scope::All, &query_terms("還款"), 10)
        .await
        .expect("search");
    let hits: Vec<String> = hits.iter().map(|h| h.message_id.to_string()).collect();
    assert_eq!(
        hits,
        [a1[0].0.as_str()],
        "the batch indexed its messages for search"
    );
}

/// Two writers (two nodes' pools) store the same push at once. PostgreSQL:
/// the second waits on the unique key, then reports the lost race so its
/// caller can go again push by push. SQLite: the second waits for the write
/// lock, then sees the copy. Either way one message.
async fn a_copy_committed_by_another_writer_meanwhile_is_not_stored_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = app.connect_official_account(&admin, &json!({ "name": "Race", "app_id": APP_ID, "app_secret": "s", "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe" })).await;
    let ch = channel.id;
    let other = Store::connect(&app.db.url, &StoreOptions::default())
        .await
        .expect("second node");
    let push = inbound(ch, "oRace", "r1", "text", "同時到");

    let mut first = app.store.begin().await.expect("begin");
    let stored = store_inbound_batch(&mut first, 1_000, &[&push])
        .await
        .expect("first");
    assert!(matches!(stored.as_deref(), Some([Written::New(..)])));
    let second = {
        let push = push.clone();
        tokio::spawn(async move {
            let mut tx = other.begin().await.expect("begin");
            store_inbound_batch(&mut tx, 1_000, &[&push])
                .await
                .expect("second")
                .map(|written| written.iter().all(|w| matches!(w, Written::Seen)))
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.store.commit(first).await.expect("commit");
    let second = second.await.expect("task");
    match backend {
        Backend::Postgres => assert_eq!(second, None, "the lost race is reported"),
        Backend::Sqlite => assert_eq!(second, Some(true), "the copy is seen"),
    }
    let messages: Vec<(i64,)> = app
        .db
        .query("SELECT COUNT(*) FROM messages WHERE dedupe_key = 'r1'")
        .await;
    assert_eq!(messages, [(1,)]);
}
