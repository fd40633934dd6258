//! What happens after a push is stored: the media job keeps a copy of the
//! follower's picture in the content-addressed store and serves it only to
//! people who may see the conversation; the profile job asks WeChat about a
//! new contact; access tokens are shared through the database; and a
//! database that cannot commit makes the callback answer 5xx, never
//! `success`, with the retry stored exactly once.

use harbour_server::channels::clients::DbTokenCache;
use harbour_server::config::Secret;
use harbour_server::secrets::SecretBox;
use harbour_tests::app::spawn_app_on;
use harbour_tests::desk::{messages, queue};
use harbour_tests::{on_both_backends, Backend, TestApp, TestDb};
use serde_json::json;
use shared::api::MediaState;
use shared::{ConversationId, Role};
use sqlx::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechat::client::{AppSecret, MediaType};
use wechat::fake::simulator::{sample_picture, sample_voice, FollowerMedia};
use wechat::fake::FakeWeChat;
use wechat::message::MediaId;
use wechat::{ApiClient, AppId, OpenId};

on_both_backends!(
    a_followers_picture_is_kept_and_shown_only_to_its_team,
    a_followers_voice_note_plays_in_a_browser_as_wav,
    nodes_share_one_access_token_through_the_database,
    a_database_that_cannot_commit_gets_a_retry_not_a_success,
    a_file_is_kept_as_what_its_bytes_are_not_what_it_claims,
    files_no_message_names_are_swept,
);

const APP_ID: &str = "wxfa4e5d6c7b8a9013";
const APP_SECRET: &str = "fake-secret-for-media-tests";
const TOKEN: &str = "harbourMediaToken2";
const FOLLOWER: &str = "oFollowerMedia00000000000001";
const KEY: [u8; 32] = [11; 32];

async fn setup(backend: Backend) -> (FakeWeChat, TestApp, String, String) {
    let db = TestDb::new(backend).await;
    let app = spawn_app_on(db, |config| {
        config.run_workers = false;
        config.secret_key = Secret::new(KEY);
    })
    .await;
    let fake = app.fake_wechat().await;
    fake.register_app(&AppId::new(APP_ID), &AppSecret::new(APP_SECRET));
    let admin = app.admin_token().await;
    let channel = app
        .connect_official_account(
            &admin,
            &json!({ "name": "Clinic", "app_id": APP_ID, "app_secret": APP_SECRET, "token": TOKEN, "mode": "plain", "api_base": fake.base_url() }),
        )
        .await;
    let path = channel.callback_path.clone();
    (fake, app, admin, path)
}

/// Posts a plain-mode push signed with the channel's token.
async fn push(app: &TestApp, path: &str, xml: &str) -> reqwest::Response {
    app.post_plain(path, TOKEN, FOLLOWER, xml).await
}

fn text_xml(app: &TestApp, msg_id: u64, text: &str) -> String {
    app.plain_text_xml(FOLLOWER, msg_id, text)
}

/// The follower sends `media`: the fake WeChat keeps it as the platform
/// does, and Harbour gets a push whose message fields `fields` writes.
async fn follower_sends(
    fake: &FakeWeChat,
    app: &TestApp,
    path: &str,
    media_type: MediaType,
    media: &FollowerMedia,
    fields: impl FnOnce(&MediaId) -> String,
) {
    let media_id = fake
        .store_follower_media(
            &AppId::new(APP_ID),
            media_type,
            &media.filename,
            &media.content_type,
            media.bytes.clone(),
        )
        .expect("media");
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_clinic]]></ToUserName><FromUserName><![CDATA[{FOLLOWER}]]></FromUserName>\
         <CreateTime>{}</CreateTime>{}</xml>",
        app.clock.now() / 1000,
        fields(&media_id)
    );
    let answer = push(app, path, &xml).await.text().await.unwrap_or_default();
    assert_eq!(answer, "success");
}

async fn only_conversation(app: &TestApp, token: &str) -> ConversationId {
    queue(app, token, "").await[0]
}

async fn a_followers_picture_is_kept_and_shown_only_to_its_team(backend: Backend) {
    let (fake, app, admin, path) = setup(backend).await;
    {
        use wechat::clock::Clock;
        let now = fake.clock().now();
        fake.record_follow(&AppId::new(APP_ID), &OpenId::new(FOLLOWER), now);
    }
    let picture = sample_picture(3);
    follower_sends(&fake, &app, &path, MediaType::Image, &picture, |id| {
        format!(
            "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[{}]]></PicUrl>\
             <MediaId><![CDATA[{}]]></MediaId><MsgId>7001</MsgId>",
            fake.media_url(id),
            id.as_str()
        )
    })
    .await;
    let conversation = only_conversation(&app, &admin).await;
    let shown = messages(&app, &admin, conversation).await;
    let media = shown[0].media.as_ref().expect("media");
    assert_eq!(media.state, MediaState::Pending, "{shown:?}");
    let message = shown[0].id;
    let media_path = format!("/api/v1/messages/{message}/media");
    let early = app
        .client
        .get(app.url(&media_path))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("media");
    assert_eq!(early.status(), 409, "a file still being fetched says so");

    let worker = app.worker(KEY);
    worker.run_once().await.expect("worker");

    let shown = messages(&app, &admin, conversation).await;
    let media = shown[0].media.as_ref().expect("media");
    assert_eq!(media.state, MediaState::Stored, "{shown:?}");
    assert_eq!(
        media.content_type.as_deref(),
        Some(picture.content_type.as_str())
    );
    assert_eq!(media.size, Some(picture.bytes.len() as i64));

    // The copy is named by its sha256 under the data dir.
    let sha256 = harbour_server::channels::media::sha256_hex(&picture.bytes);
    let kept = app
        .db
        .data_dir()
        .join("media")
        .join(&sha256[..2])
        .join(&sha256);
    assert_eq!(std::fs::read(&kept).expect("the kept file"), picture.bytes);

    let served = app
        .client
        .get(app.url(&media_path))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("media");
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.headers()["content-type"]
            .to_str()
            .unwrap_or_default(),
        picture.content_type
    );
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.expect("bytes").to_vec(), picture.bytes);

    // The channel has no team: only roles that see every team may fetch it.
    for (role, expected) in [
        (Role::Agent, 404),
        (Role::Supervisor, 404),
        (Role::Compliance, 200),
    ] {
        let (_, token) = app.user_with_role(&admin, role, &[]).await;
        let (status, _) = app.get_json(&media_path, &token).await;
        assert_eq!(status, expected, "{role:?}");
    }
    let anonymous = app
        .client
        .get(app.url(&media_path))
        .send()
        .await
        .expect("media");
    assert_eq!(anonymous.status(), 401);

    // The profile job asked WeChat about the new contact, once.
    assert_eq!(fake.calls(wechat::client::paths::USER_INFO), 1);
    let state: Vec<(String,)> = app
        .db
        .query(&format!(
            "SELECT profile_state FROM contacts WHERE open_id = '{FOLLOWER}'"
        ))
        .await;
    assert_eq!(state, [("fetched".to_owned(),)]);
    worker.run_once().await.expect("worker");
    assert_eq!(fake.calls(wechat::client::paths::USER_INFO), 1);
    assert_eq!(fake.calls(wechat::client::paths::MEDIA_GET), 1);
}

/// WeChat voice notes are AMR, which browsers cannot play: `?as=wav` serves
/// the same recording decoded to WAV; without it the original is served.
async fn a_followers_voice_note_plays_in_a_browser_as_wav(backend: Backend) {
    let (fake, app, admin, path) = setup(backend).await;
    let voice = sample_voice(2);
    follower_sends(&fake, &app, &path, MediaType::Voice, &voice, |id| {
        format!(
            "<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[{}]]></MediaId>\
             <Format><![CDATA[amr]]></Format><MsgId>7002</MsgId>",
            id.as_str()
        )
    })
    .await;
    app.worker(KEY).run_once().await.expect("worker");
    let conversation = only_conversation(&app, &admin).await;
    let shown = messages(&app, &admin, conversation).await;
    assert_eq!(shown[0].kind, "voice", "{shown:?}");
    assert_eq!(
        shown[0].media.as_ref().map(|m| m.state),
        Some(MediaState::Stored),
        "{shown:?}"
    );
    let message = shown[0].id;
    let fetch = |query: &'static str| {
        app.client
            .get(app.url(&format!("/api/v1/messages/{message}/media{query}")))
            .bearer_auth(&admin)
            .send()
    };

    let wav = fetch("?as=wav").await.expect("wav");
    assert_eq!(wav.status(), 200);
    assert_eq!(wav.headers()["content-type"], "audio/wav");
    let wav_tag = wav.headers()["etag"].clone();
    let wav = wav.bytes().await.expect("bytes");
    assert_eq!(&wav[..4], b"RIFF");
    // Two seconds at 8 kHz, 16-bit mono, after a 44-byte header.
    assert_eq!(wav.len(), 44 + 2 * 8_000 * 2);

    let original = fetch("").await.expect("original");
    assert_eq!(original.status(), 200);
    assert_ne!(
        original.headers()["etag"],
        wav_tag,
        "two different files, two tags"
    );
    assert_eq!(original.bytes().await.expect("bytes").to_vec(), voice.bytes);

    let odd = fetch("?as=flac").await.expect("odd");
    assert_eq!(odd.status(), 422);
}

async fn nodes_share_one_access_token_through_the_database(backend: Backend) {
    let (fake, app, _admin, _path) = setup(backend).await;
    let secrets = Arc::new(SecretBox::new(&KEY));
    // Two nodes: two clients with nothing in common but the database.
    let node = || {
        ApiClient::builder(AppId::new(APP_ID), AppSecret::new(APP_SECRET))
            .base_url(fake.base_url())
            .token_cache(Arc::new(DbTokenCache::new(
                app.store.clone(),
                secrets.clone(),
            )))
            .build()
            .expect("client")
    };
    let (first, second, third) = (node(), node(), node());
    // Both find no token at once, while WeChat is slow to answer.
    fake.delay_next(wechat::client::paths::TOKEN, Duration::from_millis(300));
    let (a, b) = tokio::join!(first.access_token(), second.access_token());
    let (a, b) = (a.expect("token"), b.expect("token"));
    if backend == Backend::Postgres {
        // Several nodes are a PostgreSQL deployment: they take turns.
        assert_eq!(a.expose(), b.expose());
        assert_eq!(fake.tokens_issued(&AppId::new(APP_ID)), 1);
    }
    let issued = fake.tokens_issued(&AppId::new(APP_ID));
    let c = third.access_token().await.expect("token");
    assert!(
        [a.expose(), b.expose()].contains(&c.expose()),
        "a node finds the stored token"
    );
    assert_eq!(fake.tokens_issued(&AppId::new(APP_ID)), issued);
    // Sealed at rest: the token itself is nowhere in the row.
    let rows: Vec<(Vec<u8>,)> = app
        .db
        .query(&format!(
            "SELECT sealed FROM access_tokens WHERE app_id = '{APP_ID}'"
        ))
        .await;
    let sealed = rows.into_iter().next().expect("row").0;
    let needle = a.expose().as_bytes();
    assert!(!sealed.windows(needle.len()).any(|w| w == needle));
}

async fn a_database_that_cannot_commit_gets_a_retry_not_a_success(backend: Backend) {
    let (_fake, app, admin, path) = setup(backend).await;
    assert_eq!(
        push(&app, &path, &text_xml(&app, 8001, "first"))
            .await
            .status(),
        200
    );

    // Another process holds the write lock for longer than WeChat waits.
    let release = hold_write_lock(&app, backend, Duration::from_secs(6)).await;
    let started = Instant::now();
    let refused = push(
        &app,
        &path,
        &text_xml(&app, 8002, "while the database is stuck"),
    )
    .await;
    let status = refused.status().as_u16();
    let body = refused.text().await.unwrap_or_default();
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered within WeChat's 5 s"
    );
    assert!(
        !body.contains("sqlx") && !body.contains("lock"),
        "no internals: {body}"
    );
    release.await.expect("lock holder");

    // WeChat retries; exactly one copy of each message exists.
    assert_eq!(
        push(
            &app,
            &path,
            &text_xml(&app, 8002, "while the database is stuck")
        )
        .await
        .text()
        .await
        .unwrap_or_default(),
        "success"
    );
    let conversation = only_conversation(&app, &admin).await;
    let (_, messages) = app
        .get_json(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &admin,
        )
        .await;
    let bodies: Vec<&str> = messages
        .as_array()
        .map(|m| m.iter().filter_map(|m| m["body"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        bodies,
        ["first", "while the database is stuck"],
        "{messages}"
    );
}

/// Takes the database's write lock from outside Harbour and holds it for
/// `hold`; the returned task ends once it is released.
async fn hold_write_lock(
    app: &TestApp,
    backend: Backend,
    hold: Duration,
) -> tokio::task::JoinHandle<()> {
    let url = app.db.url.clone();
    let (locked, is_locked) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        match backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("connect");
                sqlx::query("BEGIN EXCLUSIVE")
                    .execute(&mut conn)
                    .await
                    .expect("lock");
                let _ = locked.send(());
                tokio::time::sleep(hold).await;
                sqlx::query("COMMIT")
                    .execute(&mut conn)
                    .await
                    .expect("unlock");
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                let mut tx = conn.begin().await.expect("begin");
                sqlx::query("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await
                    .expect("lock");
                let _ = locked.send(());
                tokio::time::sleep(hold).await;
                tx.commit().await.expect("unlock");
            }
        }
    });
    is_locked.await.expect("the lock was taken");
    task
}

/// The follower sends an "image" of `bytes` claiming `claimed`; the job
/// runs; the message's media as the API shows it, and its path.
async fn image_from_follower(
    fake: &FakeWeChat,
    app: &TestApp,
    admin: &str,
    path: &str,
    msg_id: u64,
    claimed: &str,
    bytes: Vec<u8>,
) -> (shared::api::MediaView, String) {
    let media = FollowerMedia {
        filename: "photo.png".into(),
        content_type: claimed.into(),
        bytes,
    };
    let before: Vec<shared::MessageId> = match queue(app, admin, "").await.first() {
        Some(conversation) => messages(app, admin, *conversation)
            .await
            .iter()
            .map(|m| m.id)
            .collect(),
        None => Vec::new(),
    };
    follower_sends(fake, app, path, MediaType::Image, &media, |id| {
        format!(
            "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[{}]]></PicUrl>\
             <MediaId><![CDATA[{}]]></MediaId><MsgId>{msg_id}</MsgId>",
            fake.media_url(id),
            id.as_str()
        )
    })
    .await;
    app.worker(KEY).run_once().await.expect("worker");
    let conversation = only_conversation(app, admin).await;
    let shown = messages(app, admin, conversation).await;
    let message = shown
        .iter()
        .find(|m| m.media.is_some() && !before.contains(&m.id))
        .expect("the new media message");
    (
        message.media.clone().expect("media"),
        format!("/api/v1/messages/{}/media", message.id),
    )
}

async fn a_file_is_kept_as_what_its_bytes_are_not_what_it_claims(backend: Backend) {
    let (fake, app, admin, path) = setup(backend).await;
    let page = b"<html><script>fetch('/api/v1/users')</script></html>".to_vec();
    let (media, media_path) =
        image_from_follower(&fake, &app, &admin, &path, 9001, "image/png", page.clone()).await;
    assert_eq!(media.state, MediaState::Stored);
    assert_eq!(
        media.content_type.as_deref(),
        Some("application/octet-stream")
    );
    let served = app
        .client
        .get(app.url(&media_path))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("media");
    assert_eq!(served.headers()["content-type"], "application/octet-stream");
    let disposition = served.headers()["content-disposition"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(
        served.bytes().await.expect("bytes").to_vec(),
        page,
        "kept, not lost"
    );

    // A real WebP claiming to be a GIF is shown as the WebP it is.
    let mut webp = b"RIFF\x24\x00\x00\x00WEBPVP8 ".to_vec();
    webp.extend_from_slice(&[0; 32]);
    let (media, media_path) =
        image_from_follower(&fake, &app, &admin, &path, 9002, "image/gif", webp).await;
    assert_eq!(media.content_type.as_deref(), Some("image/webp"));
    let served = app
        .client
        .get(app.url(&media_path))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("media");
    assert_eq!(served.headers()["content-type"], "image/webp");
    assert_eq!(served.headers()["content-disposition"], "inline");
}

/// A server answering in WeChat's name with a file larger than any WeChat
/// keeps is cut off at the limit, not read into memory whole.
#[tokio::test]
async fn a_download_larger_than_harbour_keeps_is_refused() {
    use axum::routing::get;
    let huge = vec![0_u8; harbour_server::channels::media::MAX_MEDIA_BYTES + 1];
    let hostile = axum::Router::new()
        .route(
            "/cgi-bin/token",
            get(|| async { axum::Json(json!({ "access_token": "T", "expires_in": 7200 })) }),
        )
        .route(
            "/cgi-bin/media/get",
            get(move || {
                let huge = huge.clone();
                async move { ([("content-type", "image/jpeg")], huge) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, hostile).await });
    let client = ApiClient::builder(AppId::new(APP_ID), AppSecret::new(APP_SECRET))
        .base_url(format!("http://{address}"))
        .build()
        .expect("client");
    let refused = client
        .download_media(&MediaId::new("m"))
        .await
        .expect_err("too large");
    assert_eq!(refused.code(), "bad_response", "{refused}");
    assert!(
        refused.to_string().contains("larger than 20 MB"),
        "{refused}"
    );
}

async fn files_no_message_names_are_swept(backend: Backend) {
    let (fake, app, admin, path) = setup(backend).await;
    let picture = sample_picture(5);
    image_from_follower(
        &fake,
        &app,
        &admin,
        &path,
        9004,
        "image/png",
        picture.bytes.clone(),
    )
    .await;
    let store = harbour_server::channels::media::MediaStore::new(&app.db.data_dir());
    let orphan = store
        .put(b"an upload whose reply was refused")
        .await
        .expect("put");
    let later = std::time::SystemTime::now() + Duration::from_secs(1);
    let removed = harbour_server::channels::media::sweep_orphans(&app.store, &store, later)
        .await
        .expect("sweep");
    assert_eq!(removed, 1);
    assert!(store.read(&orphan).await.is_err(), "the orphan is gone");
    let kept = harbour_server::channels::media::sha256_hex(&picture.bytes);
    assert_eq!(store.read(&kept).await.expect("kept"), picture.bytes);
    // An old orphan uploaded again is fresh: a reply is about to name it.
    let again = store
        .put(b"an image sent last week, and again now")
        .await
        .expect("put");
    let path = app
        .db
        .data_dir()
        .join("media")
        .join(&again[..2])
        .join(&again);
    std::fs::File::options()
        .append(true)
        .open(&path)
        .and_then(|f| {
            f.set_modified(std::time::SystemTime::now() - Duration::from_secs(7 * 86_400))
        })
        .expect("age the file");
    store
        .put(b"an image sent last week, and again now")
        .await
        .expect("put again");
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    harbour_server::channels::media::sweep_orphans(&app.store, &store, hour_ago)
        .await
        .expect("sweep");
    assert!(
        store.read(&again).await.is_ok(),
        "the re-uploaded file stays"
    );
    // A file written after the cut-off is left alone: it may be about to be named.
    let fresh = store.put(b"an upload being queued").await.expect("put");
    let earlier = std::time::SystemTime::now() - Duration::from_secs(3600);
    harbour_server::channels::media::sweep_orphans(&app.store, &store, earlier)
        .await
        .expect("sweep");
    assert!(store.read(&fresh).await.is_ok());
}
