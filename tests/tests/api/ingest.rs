//! A thousand WeChat pushes over real HTTP from the follower simulator, each
//! delivered one to three times (some copies at once): exactly a thousand
//! messages, in order per contact, on both backends.

use futures::StreamExt;
use harbour_tests::{on_both_backends, spawn_app, Backend};
use serde_json::json;
use wechat::fake::simulator::{Activity, Simulator, SimulatorConfig};
use wechat::{AppId, Mode, OpenId, OriginalId};

on_both_backends!(a_thousand_retried_callbacks_store_a_thousand_messages_in_order);

const APP_ID: &str = "wx0123456789abcdef";
const TOKEN: &str = "ingestToken42";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

async fn a_thousand_retried_callbacks_store_a_thousand_messages_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let channel = app.connect_official_account(&admin, &json!({ "name": "Ingest", "app_id": APP_ID, "app_secret": "s", "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe" })).await;
    let id = channel["id"].as_str().unwrap_or_default().to_owned();
    let config = SimulatorConfig::new(
        app.url(&format!("/wechat/oa/{id}")),
        OriginalId::new("gh_ingest"),
        AppId::new(APP_ID),
        TOKEN,
        AES_KEY,
        Mode::Safe,
    )
    .seed(7);
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
        app.store.inbound_message_count(&id).await.expect("count"),
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
            .conversation_messages(&conversation.id, None, 100)
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
