//! What the simulator sends is what `callback::receive` accepts, in plain,
//! compatible and safe mode, for every kind of push it builds.

use std::sync::Arc;
use std::time::Duration;

use wechat::clock::ManualClock;
use wechat::fake::simulator::{
    sample_picture, sample_voice, Activity, LinkCard, Place, Push, PushContent,
};
use wechat::message::{Event, Header, MessageBody, MessageKind};
use wechat::{Mode, OpenId, OriginalId, Query};

use crate::helpers::{config_for, follower, simulator, Receiver, ACCOUNT, MODES};

/// The typed view `receive` should produce for `push`.
fn expected_kind(push: &Push) -> MessageKind {
    let header = Header {
        to: OriginalId::new(ACCOUNT),
        from: push.from.clone(),
        create_time: push.create_time,
    };
    let event = |event| MessageKind::Event {
        header: header.clone(),
        event,
    };
    let body = match push.content.clone() {
        PushContent::Text { content } => MessageBody::Text { content },
        PushContent::Image { pic_url, media_id } => MessageBody::Image { pic_url, media_id },
        PushContent::Voice {
            media_id,
            format,
            recognition,
        } => MessageBody::Voice {
            media_id,
            format,
            recognition,
        },
        PushContent::Location(place) => MessageBody::Location {
            latitude: place.latitude,
            longitude: place.longitude,
            scale: place.scale.to_string(),
            label: place.label,
        },
        PushContent::Link(link) => MessageBody::Link {
            title: link.title,
            description: link.description,
            url: link.url,
        },
        PushContent::Subscribe { event_key, ticket } => {
            return event(Event::Subscribe { event_key, ticket })
        }
        PushContent::Unsubscribe => return event(Event::Unsubscribe),
        PushContent::Click { event_key } => return event(Event::Click { event_key }),
    };
    MessageKind::Message {
        header: header.clone(),
        msg_id: push.msg_id.expect("messages carry a MsgId"),
        body,
    }
}

fn every_activity() -> Vec<Activity> {
    vec![
        Activity::text("你好，我想問還款日期係幾時？🙏"),
        Activity::text("还款日期是什么时候？😊 a]]>b <c> & d"),
        Activity::text("  Hi, is my claim approved?\n"),
        Activity::Image(sample_picture(3)),
        Activity::Voice {
            media: sample_voice(2),
            recognition: Some("我想問下我嘅還款日期".into()),
        },
        Activity::Voice {
            media: sample_voice(1),
            recognition: None,
        },
        Activity::Location(Place {
            latitude: "22.281956".into(),
            longitude: "114.158168".into(),
            scale: 16,
            label: "香港特別行政區中西區皇后大道中99號".into(),
        }),
        Activity::Link(LinkCard {
            title: "Claim form".into(),
            description: "My completed claim form".into(),
            url: "https://example.com/claims/C-5521?lang=en&step=2".into(),
        }),
        Activity::Subscribe { scene: None },
        Activity::Subscribe {
            scene: Some("branch_central".into()),
        },
        Activity::Unsubscribe,
        Activity::click("MENU_BALANCE"),
    ]
}

#[tokio::test]
async fn text_with_chinese_and_emoji_round_trips_in_every_mode() {
    for mode in MODES {
        let receiver = Receiver::for_mode(mode).await;
        let sim = simulator(config_for(&receiver.url, mode));
        let push = sim
            .push(&follower(), Activity::text("唔該晒！請問利率幾多？👍😅"))
            .expect("push");

        let report = sim.deliver(&push).await;

        assert!(report.delivered(), "{mode:?}: {report:?}");
        assert_eq!(report.final_body(), Some("success"));
        assert_eq!(report.attempts.len(), 1);
        let stored = receiver.stored();
        assert_eq!(stored.len(), 1, "{mode:?}");
        let MessageKind::Message {
            header,
            msg_id,
            body,
        } = stored[0].kind()
        else {
            panic!("{mode:?}: not a message: {:?}", stored[0]);
        };
        assert_eq!(header.from, follower());
        assert_eq!(Some(*msg_id), push.msg_id);
        assert_eq!(
            body,
            &MessageBody::Text {
                content: "唔該晒！請問利率幾多？👍😅".into()
            }
        );
        assert_eq!(stored[0].raw_xml(), push.xml, "{mode:?}");
    }
}

#[tokio::test]
async fn every_kind_of_push_round_trips_in_every_mode() {
    for mode in MODES {
        let receiver = Receiver::for_mode(mode).await;
        // A second apart: two `subscribe`s by one follower in the same
        // second share a dedupe key, on WeChat too.
        let clock = ManualClock::default();
        let sim = simulator(config_for(&receiver.url, mode).clock(Arc::new(clock.clone())));
        for activity in every_activity() {
            clock.advance(Duration::from_secs(1));
            let push = sim.push(&follower(), activity).expect("push");
            let report = sim.deliver(&push).await;
            assert!(
                report.delivered(),
                "{mode:?} {:?}: {report:?}",
                push.content
            );
            let stored = receiver.stored();
            let message = stored
                .iter()
                .find(|m| m.dedupe_key() == push.dedupe_key())
                .unwrap_or_else(|| panic!("{mode:?}: {:?} was not stored", push.content));
            assert_eq!(message.kind(), &expected_kind(&push), "{mode:?}");
        }
        assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    }
}

#[tokio::test]
async fn the_query_and_body_carry_what_wechat_sends_in_each_mode() {
    for mode in MODES {
        let receiver = Receiver::for_mode(mode).await;
        let sim = simulator(config_for(&receiver.url, mode));
        let push = sim.push(&follower(), Activity::text("hi")).expect("push");
        sim.deliver(&push).await;

        let request = &receiver.requests()[0];
        let query = Query::parse(&request.query).expect("query");
        let names: Vec<&str> = query.pairs().map(|(name, _)| name).collect();
        let body = std::str::from_utf8(&request.body).expect("utf-8");
        match mode {
            Mode::Plain => {
                assert_eq!(names, ["signature", "timestamp", "nonce", "openid"]);
                assert_eq!(body, push.xml);
            }
            Mode::Compatible | Mode::Safe => {
                assert_eq!(
                    names,
                    [
                        "signature",
                        "timestamp",
                        "nonce",
                        "openid",
                        "encrypt_type",
                        "msg_signature"
                    ]
                );
                assert_eq!(query.get("encrypt_type"), Some("aes"));
                assert!(body.contains("<Encrypt><![CDATA["));
                // Safe mode hides everything but the account; compatible
                // mode keeps the plaintext copy in front of `Encrypt`.
                assert_eq!(body.contains("<FromUserName>"), mode == Mode::Compatible);
            }
        }
        assert_eq!(query.get("openid"), Some(follower().as_str()));
        assert_eq!(
            query.get("timestamp"),
            Some(push.create_time.to_string().as_str())
        );
    }
}

#[tokio::test]
async fn query_values_are_percent_encoded() {
    let receiver = Receiver::for_mode(Mode::Safe).await;
    let sim = simulator(config_for(&receiver.url, Mode::Safe));
    let odd = OpenId::new("o+odd/openid=with&signs");

    let report = sim.send(&odd, Activity::text("hello")).await.expect("push");

    assert!(report.delivered(), "{report:?}");
    let raw = &receiver.requests()[0].query;
    assert!(
        raw.contains("openid=o%2Bodd%2Fopenid%3Dwith%26signs"),
        "{raw}"
    );
    assert_eq!(
        Query::parse(raw).expect("query").get("openid"),
        Some(odd.as_str())
    );
    assert_eq!(receiver.stored()[0].header().map(|h| &h.from), Some(&odd));
}

#[tokio::test]
async fn a_push_for_another_token_is_refused_by_the_receiver() {
    let receiver = Receiver::for_mode(Mode::Plain).await;
    let mut config = config_for(&receiver.url, Mode::Plain);
    config.token = "someOtherToken".into();
    let sim = simulator(config);

    let report = sim
        .send(&follower(), Activity::text("hi"))
        .await
        .expect("push");

    assert!(!report.delivered());
    assert_eq!(report.final_status(), Some(400));
    assert!(receiver.stored().is_empty());
    assert_eq!(receiver.refused()[0], "signature_mismatch");
}
