//! Access tokens: fetched once for many callers, refreshed early or when
//! rejected, and never refreshed more than once per call.

use std::time::Duration;

use futures::future::join_all;
use wechat::client::{paths, Action, ApiError};

use crate::helpers::{client_for, follower, spawn_world, spawn_world_sharing_the_clock};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_sends_share_one_token_fetch() {
    let world = spawn_world().await;
    let followers: Vec<_> = (0..50).map(follower).collect();
    for openid in &followers {
        world.follower_writes(openid);
    }
    let sends = followers.iter().map(|openid| {
        let client = world.client.clone();
        let openid = openid.clone();
        tokio::spawn(async move {
            let send = wechat::client::CustomSend::new(
                openid.clone(),
                wechat::client::CustomMessage::text(format!("hello {openid}")),
            );
            client.send(&send).await
        })
    });
    for result in join_all(sends).await {
        result.expect("task ran").expect("send succeeded");
    }
    assert_eq!(world.fake.tokens_issued(&world.appid), 1);
    assert_eq!(world.fake.calls(paths::TOKEN), 1);
    for openid in &followers {
        assert_eq!(world.texts_received(openid), [format!("hello {openid}")]);
    }
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_send_succeeds() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world.send_text(&openid, "first").await.expect("first send");

    world.advance(Duration::from_secs(7201));
    world.follower_writes(&openid);
    world
        .send_text(&openid, "second")
        .await
        .expect("second send");

    assert_eq!(world.fake.tokens_issued(&world.appid), 2);
    // first, then second rejected with 42001, then second retried.
    assert_eq!(world.fake.calls(paths::CUSTOM_SEND), 3);
    assert_eq!(world.texts_received(&openid), ["first", "second"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_rejected_together_cause_one_refresh() {
    let world = spawn_world().await;
    let followers: Vec<_> = (0..20).map(follower).collect();
    world.client.access_token().await.expect("token");
    world.advance(Duration::from_secs(7201));
    for openid in &followers {
        world.follower_writes(openid);
    }
    let sends = followers
        .iter()
        .map(|openid| world.send_text(openid, "after expiry"));
    for result in join_all(sends).await {
        result.expect("send succeeded after one refresh");
    }
    assert_eq!(world.fake.tokens_issued(&world.appid), 2);
}

#[tokio::test]
async fn a_client_on_the_same_clock_refreshes_before_the_token_expires() {
    let world = spawn_world_sharing_the_clock().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world.send_text(&openid, "one").await.expect("first send");

    // Inside the five-minute margin but before expiry.
    world.advance(Duration::from_secs(7200 - 299));
    world.send_text(&openid, "two").await.expect("second send");

    assert_eq!(world.fake.tokens_issued(&world.appid), 2);
    assert_eq!(
        world.fake.calls(paths::CUSTOM_SEND),
        2,
        "no call was rejected"
    );
}

#[tokio::test]
async fn an_injected_40001_refreshes_the_token_and_retries_once() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world.client.access_token().await.expect("token");
    world.fake.fail_next(paths::CUSTOM_SEND, 40001);

    world.send_text(&openid, "hi").await.expect("retried send");

    assert_eq!(world.fake.tokens_issued(&world.appid), 2);
    assert_eq!(world.fake.calls(paths::CUSTOM_SEND), 2);
    assert_eq!(world.texts_received(&openid), ["hi"]);
}

#[tokio::test]
async fn a_token_rejected_twice_is_not_refreshed_a_second_time() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world.fake.fail_next(paths::CUSTOM_SEND, 40001);
    world.fake.fail_next(paths::CUSTOM_SEND, 40014);

    let error = world.send_text(&openid, "hi").await.expect_err("gives up");

    assert!(matches!(error, ApiError::InvalidAccessToken { .. }));
    assert_eq!(error.action(), Action::RefreshToken);
    assert_eq!(world.fake.tokens_issued(&world.appid), 2);
    assert_eq!(world.fake.calls(paths::CUSTOM_SEND), 2);
    assert!(world.fake.received(&openid).is_empty());
}

#[tokio::test]
async fn a_replaced_token_keeps_working_for_five_minutes() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    let old = world.client.access_token().await.expect("token");
    // Another process fetches a token: ours is no longer the latest.
    let other = client_for(&world.fake, crate::helpers::SECRET, None);
    other.access_token().await.expect("other token");
    assert_ne!(world.fake.current_token(&world.appid), Some(old));

    world
        .send_text(&openid, "within overlap")
        .await
        .expect("old token works");
    world.advance(Duration::from_secs(301));
    world
        .send_text(&openid, "after overlap")
        .await
        .expect("refreshed");

    assert_eq!(world.fake.tokens_issued(&world.appid), 3);
    assert_eq!(
        world.texts_received(&openid),
        ["within overlap", "after overlap"]
    );
}

#[tokio::test]
async fn a_wrong_secret_or_unknown_appid_is_given_up_on() {
    let world = spawn_world().await;
    let wrong = client_for(&world.fake, "not-the-secret", None);
    let error = wrong.access_token().await.expect_err("wrong secret");
    assert!(matches!(error, ApiError::InvalidAppSecret { .. }));
    assert_eq!(error.action(), Action::GiveUp);

    let stranger = wechat::ApiClient::builder(
        wechat::AppId::new("wx0000000000000000"),
        wechat::client::AppSecret::new(crate::helpers::SECRET),
    )
    .base_url(world.fake.base_url())
    .build()
    .expect("client");
    let error = stranger.access_token().await.expect_err("unknown appid");
    assert!(matches!(error, ApiError::InvalidAppId { .. }));
}

#[tokio::test]
async fn system_busy_is_reported_for_retry_not_retried_silently() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world.fake.fail_next(paths::CUSTOM_SEND, -1);

    let error = world.send_text(&openid, "hi").await.expect_err("busy");

    assert!(matches!(error, ApiError::SystemBusy { .. }));
    assert!(matches!(error.action(), Action::Retry(_)));
    assert_eq!(world.fake.calls(paths::CUSTOM_SEND), 1);
    world.send_text(&openid, "hi").await.expect("retry works");
    assert_eq!(world.texts_received(&openid), ["hi"]);
}
