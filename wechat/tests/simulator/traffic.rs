//! The traffic generator: seeded and deterministic, a realistic mix, and a
//! paced live run.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use wechat::clock::ManualClock;
use wechat::fake::simulator::{Activity, Language, Traffic, DEFAULT_FOLLOWERS};
use wechat::Mode;

use crate::helpers::{config_for, simulator, Receiver};

fn kind(activity: &Activity) -> &'static str {
    match activity {
        Activity::Text(_) => "text",
        Activity::Image(_) => "image",
        Activity::Voice { .. } => "voice",
        Activity::Location(_) => "location",
        Activity::Link(_) => "link",
        Activity::Subscribe { .. } => "subscribe",
        Activity::Unsubscribe => "unsubscribe",
        Activity::Click { .. } => "click",
    }
}

#[test]
fn traffic_from_a_fixed_seed_is_deterministic() {
    let first: Vec<_> = Traffic::new(42).take(500).collect();
    let again: Vec<_> = Traffic::new(42).take(500).collect();
    let other: Vec<_> = Traffic::new(43).take(500).collect();

    assert_eq!(first, again);
    assert_ne!(first, other);
}

#[test]
fn the_follower_pool_is_forty_distinct_people() {
    let traffic = Traffic::new(1);
    let followers = traffic.followers();

    assert_eq!(followers.len(), DEFAULT_FOLLOWERS);
    assert_eq!(DEFAULT_FOLLOWERS, 40);
    let openids: HashSet<_> = followers.iter().map(|f| f.openid.clone()).collect();
    assert_eq!(openids.len(), 40);
    assert!(openids
        .iter()
        .all(|id| id.as_str().len() == 28 && id.as_str().starts_with('o')));
    for language in [
        Language::Cantonese,
        Language::SimplifiedChinese,
        Language::English,
    ] {
        assert!(
            followers.iter().any(|f| f.language == language),
            "{language:?}"
        );
    }
}

#[test]
fn traffic_mixes_languages_emoji_media_places_and_events() {
    let items: Vec<_> = Traffic::new(9).take(3000).collect();

    let kinds: HashSet<_> = items.iter().map(|(_, a)| kind(a)).collect();
    for expected in [
        "text",
        "image",
        "voice",
        "location",
        "link",
        "subscribe",
        "unsubscribe",
        "click",
    ] {
        assert!(kinds.contains(expected), "no {expected} in {kinds:?}");
    }
    let texts: Vec<&str> = items
        .iter()
        .filter_map(|(_, a)| match a {
            Activity::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        texts.iter().any(|t| t.contains('係') || t.contains('唔')),
        "Cantonese"
    );
    assert!(
        texts.iter().any(|t| t.contains("还款")),
        "Simplified Chinese"
    );
    assert!(texts.iter().any(|t| t.starts_with("Hi, ")), "English");
    assert!(
        texts.iter().any(|t| t.chars().any(|c| c as u32 >= 0x1F300)),
        "emoji"
    );
    for (_, activity) in &items {
        if let Activity::Location(place) = activity {
            let lat: f64 = place.latitude.parse().expect("latitude");
            let lon: f64 = place.longitude.parse().expect("longitude");
            assert!(
                (22.1..22.6).contains(&lat) && (113.8..114.5).contains(&lon),
                "{place:?}"
            );
        }
        if let Activity::Click { event_key } = activity {
            assert!(event_key.starts_with("MENU_"));
        }
    }
}

#[test]
fn unfollowers_only_come_back_by_following_again() {
    let traffic = Traffic::new(5);
    let mut following: std::collections::HashMap<_, Option<bool>> = traffic
        .followers()
        .iter()
        .map(|f| (f.openid.clone(), None))
        .collect();
    for (follower, activity) in traffic.take(5000) {
        let state = following
            .get_mut(&follower.openid)
            .expect("a known follower");
        match activity {
            Activity::Subscribe { .. } => {
                assert_ne!(*state, Some(true), "a follower followed twice");
                *state = Some(true);
            }
            Activity::Unsubscribe => {
                assert_ne!(*state, Some(false), "an unfollower unfollowed");
                *state = Some(false);
            }
            _ => assert_ne!(*state, Some(false), "an unfollower wrote"),
        }
    }
}

#[test]
fn simulators_with_the_same_seed_build_identical_pushes() {
    let build = || {
        let clock = ManualClock::default();
        let config = config_for("http://127.0.0.1:9/wechat/oa/1", Mode::Safe)
            .seed(11)
            .clock(Arc::new(clock.clone()));
        let sim = simulator(config);
        sim.traffic()
            .take(200)
            .map(|(follower, activity)| {
                clock.advance(Duration::from_millis(700));
                sim.push(&follower.openid, activity).expect("push")
            })
            .collect::<Vec<_>>()
    };

    let first = build();
    let again = build();

    assert_eq!(first, again);
    let msg_ids: Vec<_> = first.iter().filter_map(|p| p.msg_id).collect();
    let unique: HashSet<_> = msg_ids.iter().collect();
    assert!(msg_ids.len() > 100);
    assert_eq!(unique.len(), msg_ids.len(), "MsgIds repeat");
}

#[tokio::test]
async fn run_live_sends_about_the_requested_rate_and_all_are_accepted() {
    let receiver = Receiver::for_mode(Mode::Safe).await;
    let sim = simulator(config_for(&receiver.url, Mode::Safe));

    let summary = sim.run_live(40.0, Some(Duration::from_millis(500))).await;

    assert!((8..=40).contains(&summary.pushes), "{summary:?}");
    assert_eq!(summary.delivered, summary.pushes, "{summary:?}");
    assert_eq!(summary.failed(), 0);
    assert_eq!(summary.build_errors, 0);
    assert_eq!(receiver.requests().len(), summary.pushes);
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    assert!(summary.mean_latency() <= summary.max_latency);
}
