//! The appsecret and access tokens never appear in `Debug` output or error
//! messages, whatever went wrong.

use std::time::Duration;

use wechat::client::{paths, ApiClient, ApiError, AppSecret};
use wechat::AppId;

use crate::helpers::{follower, spawn_world, APPID, SECRET};

fn assert_clean(what: &str, text: &str, token: &str) {
    assert!(!text.contains(SECRET), "{what} shows the appsecret: {text}");
    assert!(
        token.is_empty() || !text.contains(token),
        "{what} shows the token: {text}"
    );
}

fn assert_error_clean(error: &ApiError, token: &str) {
    assert_clean("Debug", &format!("{error:?}"), token);
    assert_clean("Display", &error.to_string(), token);
}

#[tokio::test]
async fn debug_of_the_client_shows_neither_secret_nor_token() {
    let world = spawn_world().await;
    let token = world.client.access_token().await.expect("token");
    assert_eq!(world.fake.current_token(&world.appid), Some(token.clone()));

    let debug = format!("{:?} {:?}", world.client, token);
    assert_clean("client Debug", &debug, token.expose());
    assert!(debug.contains(APPID), "the appid is not secret: {debug}");
}

#[tokio::test]
async fn no_error_from_the_fake_shows_a_secret() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    let token = world.client.access_token().await.expect("token");
    let mut errors = Vec::new();
    for &code in ApiError::KNOWN_ERRCODES {
        // Injected twice so token errors fail the retry as well.
        world.fake.fail_next(paths::CUSTOM_SEND, code);
        world.fake.fail_next(paths::CUSTOM_SEND, code);
        let error = world.send_text(&openid, "x").await.expect_err("injected");
        errors.push(error);
        // Drain a fault a successful first attempt left behind.
        let _ = world.send_text(&openid, "drain").await;
    }
    let current = world.fake.current_token(&world.appid).expect("some token");
    for error in &errors {
        assert_error_clean(error, token.expose());
        assert_error_clean(error, current.expose());
    }
}

#[tokio::test]
async fn a_failed_token_fetch_does_not_leak_the_secret_in_its_url() {
    // A port nobody listens on: the request URL carries `secret=`.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let client = ApiClient::builder(AppId::new(APPID), AppSecret::new(SECRET))
        .base_url(format!("http://{addr}"))
        .build()
        .expect("client");

    let error = client.access_token().await.expect_err("refused");

    assert!(matches!(error, ApiError::Transport { .. }));
    assert!(error.is_ambiguous());
    assert_error_clean(&error, "");
}

#[tokio::test]
async fn a_timed_out_call_does_not_leak_the_token() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    let client = ApiClient::builder(AppId::new(APPID), AppSecret::new(SECRET))
        .base_url(world.fake.base_url())
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let token = client.access_token().await.expect("token");
    world
        .fake
        .delay_next(paths::CUSTOM_SEND, Duration::from_secs(2));

    let send = wechat::client::CustomSend::new(
        openid.clone(),
        wechat::client::CustomMessage::text("slow"),
    );
    let error = client.send(&send).await.expect_err("timed out");

    assert!(matches!(error, ApiError::Transport { .. }), "{error:?}");
    assert_error_clean(&error, token.expose());
}

#[tokio::test]
async fn a_delayed_call_still_succeeds_within_the_timeout() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    world
        .fake
        .delay_next(paths::CUSTOM_SEND, Duration::from_millis(300));
    let started = std::time::Instant::now();
    world.send_text(&openid, "patient").await.expect("send");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(world.texts_received(&openid), ["patient"]);
}
