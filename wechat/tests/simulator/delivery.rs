//! Delivery as WeChat does it: a deadline per attempt, identical retries up
//! to three attempts in total, and forced duplicates.

use std::time::Duration;

use axum::http::StatusCode;
use wechat::fake::simulator::{
    Activity, AttemptOutcome, SimulatorConfig, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT,
};
use wechat::message::MessageKind;
use wechat::{AppId, Mode, OriginalId, Query};

use crate::helpers::{config_for, follower, simulator, Behaviour, Receiver};

const SHORT: Duration = Duration::from_millis(300);

fn msg_id_of(request: &crate::helpers::Request, receiver_mode: Mode) -> u64 {
    let query = Query::parse(&request.query).expect("query");
    let message = wechat::receive(
        &crate::helpers::callback_config(receiver_mode),
        &query,
        &request.body,
    )
    .expect("a valid push");
    match message.kind() {
        MessageKind::Message { msg_id, .. } => msg_id.get(),
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn the_default_deadline_is_five_seconds_and_three_attempts() {
    let config = SimulatorConfig::new(
        "http://127.0.0.1:8080/wechat/oa/1",
        OriginalId::new("gh_3f9a1c2b7d4e"),
        AppId::new("wx1a2b3c4d5e6f7a8b"),
        "token",
        "",
        Mode::Plain,
    );
    assert_eq!(config.timeout, DEFAULT_TIMEOUT);
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(5));
    assert_eq!(config.max_attempts, DEFAULT_MAX_ATTEMPTS);
    assert_eq!(DEFAULT_MAX_ATTEMPTS, 3);
}

#[tokio::test]
async fn a_receiver_that_stalls_past_the_deadline_gets_a_retry_with_the_same_msg_id() {
    let receiver = Receiver::for_mode(Mode::Safe).await;
    receiver.then(Behaviour::Stall(Duration::from_secs(2)));
    let sim = simulator(config_for(&receiver.url, Mode::Safe).timeout(SHORT));
    let push = sim
        .push(&follower(), Activity::text("有人嗎？"))
        .expect("push");

    let report = sim.deliver(&push).await;

    assert_eq!(report.attempts.len(), 2, "{report:?}");
    assert_eq!(report.attempts[0].outcome, AttemptOutcome::TimedOut);
    assert!(report.attempts[0].latency >= SHORT);
    assert!(report.delivered());
    assert!(report.latency >= SHORT);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(requests[0].query, requests[1].query);
    let expected = push.msg_id.expect("a message").get();
    assert_eq!(msg_id_of(&requests[0], Mode::Safe), expected);
    assert_eq!(msg_id_of(&requests[1], Mode::Safe), expected);
}

#[tokio::test]
async fn a_push_answered_with_errors_is_tried_three_times_in_total() {
    let receiver = Receiver::for_mode(Mode::Plain).await;
    for _ in 0..4 {
        receiver.then(Behaviour::Status(StatusCode::INTERNAL_SERVER_ERROR));
    }
    let sim = simulator(config_for(&receiver.url, Mode::Plain));

    let report = sim
        .send(&follower(), Activity::text("hi"))
        .await
        .expect("push");

    assert_eq!(report.attempts.len(), 3);
    assert_eq!(report.final_status(), Some(500));
    assert!(!report.delivered());
    assert_eq!(receiver.requests().len(), 3);
}

#[tokio::test]
async fn an_error_then_success_stops_retrying() {
    let receiver = Receiver::for_mode(Mode::Plain).await;
    receiver.then(Behaviour::Status(StatusCode::BAD_GATEWAY));
    let sim = simulator(config_for(&receiver.url, Mode::Plain));

    let report = sim
        .send(&follower(), Activity::text("hi"))
        .await
        .expect("push");

    let statuses: Vec<_> = report.attempts.iter().map(|a| a.status()).collect();
    assert_eq!(statuses, [Some(502), Some(200)]);
    assert_eq!(receiver.stored().len(), 1);
}

#[tokio::test]
async fn an_unreachable_callback_fails_after_three_attempts() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let url = format!("http://{addr}/wechat/oa/1");
    let sim = simulator(config_for(&url, Mode::Plain).timeout(SHORT));

    let report = sim
        .send(&follower(), Activity::text("hi"))
        .await
        .expect("push");

    assert_eq!(report.attempts.len(), 3);
    assert!(report.attempts.iter().all(|a| matches!(
        a.outcome,
        AttemptOutcome::Failed(_) | AttemptOutcome::TimedOut
    )));
    assert_eq!(report.final_status(), None);
}

#[tokio::test]
async fn concurrent_duplicates_are_stored_exactly_once() {
    for mode in [Mode::Plain, Mode::Safe] {
        let receiver = Receiver::for_mode(mode).await;
        let sim = simulator(config_for(&receiver.url, mode));
        let push = sim
            .push(&follower(), Activity::text("請問利率幾多？"))
            .expect("push");

        let reports = sim.deliver_concurrently(&push, 4).await;

        assert_eq!(reports.len(), 5);
        assert!(reports.iter().all(|r| r.delivered()));
        assert!(reports.iter().all(|r| r.dedupe_key == push.dedupe_key()));
        let requests = receiver.requests();
        assert_eq!(requests.len(), 5);
        assert!(requests.iter().all(|r| r.body == requests[0].body));
        assert_eq!(receiver.stored().len(), 1);
    }
}

#[tokio::test]
async fn sequential_duplicates_of_an_event_are_stored_exactly_once() {
    let receiver = Receiver::for_mode(Mode::Compatible).await;
    let sim = simulator(config_for(&receiver.url, Mode::Compatible));
    let push = sim
        .push(&follower(), Activity::click("MENU_BALANCE"))
        .expect("push");
    assert_eq!(push.msg_id, None);

    let reports = sim.deliver_with_retries(&push, 2).await;

    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| r.delivered()));
    assert_eq!(receiver.requests().len(), 3);
    let stored = receiver.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].dedupe_key(), push.dedupe_key());
}
