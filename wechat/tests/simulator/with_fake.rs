//! The simulator keeps the fake WeChat informed: follower media can be
//! fetched by `PicUrl` and downloaded by `MediaId`, and follows, messages and
//! unfollows open and close the reply window.

use std::sync::Arc;

use wechat::client::{ApiClient, ApiError, AppSecret, CustomMessage, CustomSend, DownloadedMedia};
use wechat::fake::simulator::{sample_picture, sample_voice, Activity, PushContent};
use wechat::fake::FakeWeChat;
use wechat::{AppId, Mode, OpenId};

use crate::helpers::{config_for, simulator, Receiver, APPID};

const SECRET: &str = "SeCrEt0123456789SeCrEt0123456789";

struct World {
    fake: Arc<FakeWeChat>,
    client: ApiClient,
    receiver: Receiver,
}

async fn world() -> World {
    let fake = Arc::new(FakeWeChat::start("127.0.0.1:0").await.expect("fake starts"));
    fake.register_app(&AppId::new(APPID), &AppSecret::new(SECRET));
    let client = ApiClient::builder(AppId::new(APPID), AppSecret::new(SECRET))
        .base_url(fake.base_url())
        .build()
        .expect("client");
    World {
        fake,
        client,
        receiver: Receiver::for_mode(Mode::Safe).await,
    }
}

async fn reply(world: &World, to: &OpenId) -> Result<(), ApiError> {
    let send = CustomSend::new(to.clone(), CustomMessage::text("收到，我哋會盡快覆你"));
    world.client.send(&send).await
}

#[tokio::test]
async fn an_image_push_points_at_media_the_api_can_download() {
    let world = world().await;
    let sim = simulator(config_for(&world.receiver.url, Mode::Safe).fake(Arc::clone(&world.fake)));
    let picture = sample_picture(5);
    let who = OpenId::new("oImageSender000000000000000");

    let push = sim
        .push(&who, Activity::Image(picture.clone()))
        .expect("push");
    assert!(sim.deliver(&push).await.delivered());

    let PushContent::Image { pic_url, media_id } = &push.content else {
        panic!("not an image: {:?}", push.content);
    };
    assert!(pic_url.starts_with(world.fake.base_url()), "{pic_url}");
    let fetched = reqwest::get(pic_url.as_str())
        .await
        .expect("PicUrl answers")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(fetched.as_ref(), picture.bytes.as_slice());
    let downloaded = world
        .client
        .download_media(media_id)
        .await
        .expect("download");
    assert_eq!(
        downloaded,
        DownloadedMedia::File {
            content_type: picture.content_type,
            filename: Some(picture.filename),
            bytes: picture.bytes,
        }
    );
}

#[tokio::test]
async fn a_voice_push_carries_a_media_id_the_api_can_download() {
    let world = world().await;
    let sim = simulator(config_for(&world.receiver.url, Mode::Safe).fake(Arc::clone(&world.fake)));
    let voice = sample_voice(3);
    let who = OpenId::new("oVoiceSender000000000000000");

    let push = sim
        .push(
            &who,
            Activity::Voice {
                media: voice.clone(),
                recognition: None,
            },
        )
        .expect("push");

    let PushContent::Voice {
        media_id, format, ..
    } = &push.content
    else {
        panic!("not a voice note: {:?}", push.content);
    };
    assert_eq!(format, "amr");
    let downloaded = world
        .client
        .download_media(media_id)
        .await
        .expect("download");
    assert!(matches!(downloaded, DownloadedMedia::File { bytes, .. } if bytes == voice.bytes));
}

#[tokio::test]
async fn a_follower_message_opens_the_window_and_an_unfollow_closes_it() {
    let world = world().await;
    let sim = simulator(config_for(&world.receiver.url, Mode::Safe).fake(Arc::clone(&world.fake)));
    let who = OpenId::new("oWindowTester00000000000000");

    let before = reply(&world, &who)
        .await
        .expect_err("a stranger cannot be messaged");
    assert_eq!(before.errcode(), Some(40003));

    sim.send(&who, Activity::Subscribe { scene: None })
        .await
        .expect("push");
    let followed = reply(&world, &who)
        .await
        .expect_err("a follow opens no window");
    assert_eq!(followed.errcode(), Some(45015));

    sim.send(&who, Activity::text("我想搵真人客服"))
        .await
        .expect("push");
    reply(&world, &who).await.expect("the window is open");

    sim.send(&who, Activity::Unsubscribe).await.expect("push");
    let after = reply(&world, &who)
        .await
        .expect_err("an unfollower cannot be messaged");
    assert_eq!(after.errcode(), Some(43004));
    assert_eq!(world.receiver.stored().len(), 3);
}
