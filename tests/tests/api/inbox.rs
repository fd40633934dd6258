//! The shared inbox over the API, on both backends: queues and filters,
//! claim/assign/transfer/unassign, statuses with snooze, priority, labels,
//! bulk actions, notes with mentions, unread state, the activity timeline,
//! and visibility: an agent of team B cannot see, list, change, or receive
//! live events of team A's conversations by any route.

use harbour_tests::desk::{
    act, conversation_of, desk, post, push, queue, queue_page, summary, timeline, Desk, KEY,
};
use harbour_tests::socket::{hello, live_until};
use harbour_tests::{on_both_backends, Backend};
use serde_json::json;
use shared::api::{BulkResult, Status};
use shared::{Role, Seq};

on_both_backends!(
    a_team_works_its_queue_and_every_change_is_in_the_timeline,
    an_agent_of_another_team_reaches_nothing_by_any_route,
);

async fn a_team_works_its_queue_and_every_change_is_in_the_timeline(backend: Backend) {
    let Desk {
        app,
        admin,
        path_a,
        team_a,
        team_b,
        ..
    } = desk(backend).await;
    let (amy, amy_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (ken, ken_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (outsider, _) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    push(&app, &path_a, "oClientOne", 1, "我想問還款日期").await;
    app.clock.advance(60_000);
    push(&app, &path_a, "oClientTwo", 2, "Hello, my claim?").await;
    let one = conversation_of(&app, &admin, "oClientOne").await;
    let two = conversation_of(&app, &admin, "oClientTwo").await;

    // Newest activity first; longest waiting first.
    assert_eq!(
        queue(&app, &amy_token, "queue=unassigned").await,
        [two, one]
    );
    assert_eq!(
        queue(&app, &amy_token, "queue=unassigned&sort=waiting").await,
        [one, two]
    );
    // Paging with the cursor walks the same order without repeats.
    let first = queue_page(&app, &amy_token, "limit=1").await;
    let next = first.next.expect("a next page");
    assert_eq!(
        queue(&app, &amy_token, &format!("limit=1&after={next}")).await,
        vec![one]
    );

    // Amy claims; Ken cannot take it from her.
    assert_eq!(
        act(&app, &amy_token, one, json!({ "action": "claim" }))
            .await
            .0,
        200
    );
    let (status, refused) = act(&app, &ken_token, one, json!({ "action": "claim" })).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&amy.name),
        "{refused}"
    );
    assert_eq!(queue(&app, &amy_token, "queue=mine").await, vec![one]);
    assert_eq!(queue(&app, &ken_token, "queue=unassigned").await, vec![two]);

    // Assigning needs someone of the conversation's team.
    let (status, _) = act(
        &app,
        &amy_token,
        one,
        json!({ "action": "assign", "user": outsider.id }),
    )
    .await;
    assert_eq!(status, 422);
    let (status, assigned) = act(
        &app,
        &amy_token,
        one,
        json!({ "action": "assign", "user": ken.id, "note": "he knows the file" }),
    )
    .await;
    assert_eq!(
        (status, assigned["assignee_name"].as_str()),
        (200, Some(ken.name.as_str()))
    );

    // Priority and labels, and filtering on them.
    act(
        &app,
        &ken_token,
        one,
        json!({ "action": "priority", "priority": "urgent" }),
    )
    .await;
    let (status, _) = act(
        &app,
        &ken_token,
        one,
        json!({ "action": "priority", "priority": "extreme" }),
    )
    .await;
    assert_eq!(status, 422);
    let (_, labelled) = act(
        &app,
        &ken_token,
        one,
        json!({ "action": "labels", "add": ["VIP", "還款"] }),
    )
    .await;
    assert_eq!(labelled["labels"], json!(["VIP", "還款"]));
    assert_eq!(queue(&app, &ken_token, "label=VIP").await, vec![one]);

    // A note mentioning Amy puts it in her Mentions queue; notes never go to WeChat.
    let (status, note) = post(
        &app,
        &format!("/api/v1/conversations/{one}/notes"),
        &ken_token,
        &json!({ "text": "@Amy can you check the 還款 schedule?", "mentions": [amy.id] }),
    )
    .await;
    assert_eq!(
        (status, note["direction"].as_str()),
        (201, Some("note")),
        "{note}"
    );
    assert_eq!(queue(&app, &amy_token, "queue=mentions").await, vec![one]);
    assert!(queue(&app, &ken_token, "queue=mentions").await.is_empty());
    let (status, _) = post(
        &app,
        &format!("/api/v1/conversations/{one}/notes"),
        &ken_token,
        &json!({ "text": "outsider?", "mentions": [outsider.id] }),
    )
    .await;
    assert_eq!(status, 422, "only the team can be mentioned");
    let sends = super::auth::event_kinds(&app)
        .await
        .iter()
        .filter(|k| *k == "message.queued")
        .count();
    assert_eq!(sends, 0);

    // Unread until read.
    assert!(summary(&app, &amy_token, one).await.unread);
    let read = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{one}/read")))
        .bearer_auth(&amy_token)
        .send()
        .await
        .expect("read");
    assert_eq!(read.status(), 204);
    assert!(super::auth::event_kinds(&app)
        .await
        .contains(&"conversation.viewed".to_owned()));
    assert!(!summary(&app, &amy_token, one).await.unread);

    // Resolve takes it out of the open queue; the client writing again reopens it.
    act(&app, &ken_token, one, json!({ "action": "resolve" })).await;
    assert_eq!(queue(&app, &ken_token, "").await, vec![two]);
    assert_eq!(queue(&app, &ken_token, "status=resolved").await, vec![one]);
    let (status, _) = act(&app, &ken_token, one, json!({ "action": "resolve" })).await;
    assert_eq!(status, 409);
    push(&app, &path_a, "oClientOne", 3, "仲有問題").await;
    assert_eq!(summary(&app, &ken_token, one).await.status, Status::Open);

    // Snooze wakes up by itself when its time comes.
    // (Short enough that the test's sign-ins stay valid.)
    let until = app.clock.now() + 300_000;
    let (status, snoozed) = act(
        &app,
        &ken_token,
        two,
        json!({ "action": "snooze", "until": until }),
    )
    .await;
    assert_eq!((status, snoozed["status"].as_str()), (200, Some("snoozed")));
    let (status, _) = act(
        &app,
        &ken_token,
        two,
        json!({ "action": "snooze", "until": 1 }),
    )
    .await;
    assert_eq!(status, 422);
    let worker = app.worker(KEY);
    worker.run_once().await.expect("worker");
    assert_eq!(
        summary(&app, &ken_token, two).await.status,
        Status::Snoozed,
        "not before its time"
    );
    app.clock.advance(300_001);
    worker.run_once().await.expect("worker");
    assert_eq!(summary(&app, &ken_token, two).await.status, Status::Open);

    // Bulk: what may be done is done, the rest says why.
    let (status, bulk) = post(
        &app,
        "/api/v1/conversations/bulk",
        &amy_token,
        &json!({ "ids": [one, two, "no-such-conversation"], "action": "resolve" }),
    )
    .await;
    assert_eq!(status, 200, "{bulk}");
    let bulk: BulkResult = serde_json::from_value(bulk).expect("a bulk result");
    assert_eq!(bulk.done, [one, two]);
    assert_eq!(bulk.failed[0].id, "no-such-conversation");

    // Transfer with a note: the conversation leaves team A.
    let (status, _) = act(
        &app,
        &ken_token,
        one,
        json!({ "action": "transfer", "team": team_b, "note": "claims question" }),
    )
    .await;
    assert_eq!(status, 204, "done, and out of Ken's sight");
    let (status, _) = app
        .get_json(&format!("/api/v1/conversations/{one}"), &ken_token)
        .await;
    assert_eq!(status, 404, "gone from team A");

    // Every change is in the timeline, in order, by name.
    let entries = timeline(&app, &admin, one).await;
    let activity: Vec<&str> = entries
        .iter()
        .filter(|(d, _)| d == "activity")
        .map(|(_, b)| b.as_str())
        .collect();
    assert_eq!(
        activity,
        [
            format!("{} claimed this", amy.name),
            format!(
                "{} assigned this to {}: “he knows the file”",
                amy.name, ken.name
            ),
            format!("{} set the priority to urgent", ken.name),
            format!("{} added VIP, 還款", ken.name),
            format!("{} resolved this", ken.name),
            format!("{} resolved this", amy.name),
            format!("{} transferred this to Claims: “claims question”", ken.name),
        ]
    );
    assert!(entries
        .iter()
        .any(|(d, b)| d == "note" && b.contains("還款 schedule")));
}

async fn an_agent_of_another_team_reaches_nothing_by_any_route(backend: Backend) {
    let Desk {
        app,
        admin,
        path_a,
        path_b,
        team_a,
        team_b,
        ..
    } = desk(backend).await;
    let (_, amy_token) = app.user_with_role(&admin, Role::Agent, &[team_a]).await;
    let (_, bob_token) = app.user_with_role(&admin, Role::Agent, &[team_b]).await;
    let (_, boss_token) = app
        .user_with_role(&admin, Role::Supervisor, &[team_b])
        .await;
    let (_, auditor_token) = app.user_with_role(&admin, Role::Compliance, &[]).await;
    let (mut bob_socket, _, _) = hello(&app, &bob_token, Seq(0)).await;
    push(&app, &path_a, "oSecret", 1, "我的貸款號碼").await;
    push(&app, &path_b, "oOpen", 2, "hello claims").await;
    let secret = conversation_of(&app, &admin, "oSecret").await;
    let open = conversation_of(&app, &admin, "oOpen").await;
    act(&app, &amy_token, secret, json!({ "action": "claim" })).await;
    post(
        &app,
        &format!("/api/v1/conversations/{secret}/notes"),
        &amy_token,
        &json!({ "text": "private" }),
    )
    .await;

    for (who, token) in [("agent", &bob_token), ("supervisor", &boss_token)] {
        for query in [
            "",
            "queue=all",
            "queue=unassigned",
            "queue=mine",
            "queue=mentions",
            "status=resolved,open",
        ] {
            assert!(
                !queue(&app, token, query).await.contains(&secret),
                "{who} {query}"
            );
        }
        assert!(
            queue(&app, token, &format!("team={team_a}"))
                .await
                .is_empty(),
            "{who} team filter"
        );
        for path in [
            format!("/api/v1/conversations/{secret}"),
            format!("/api/v1/conversations/{secret}/messages"),
            format!("/api/v1/conversations/{secret}/window"),
            format!("/api/v1/conversations/{secret}/colleagues"),
        ] {
            assert_eq!(app.get_json(&path, token).await.0, 404, "{who} GET {path}");
        }
        for action in [
            json!({ "action": "claim" }),
            json!({ "action": "resolve" }),
            json!({ "action": "labels", "add": ["x"] }),
        ] {
            assert_eq!(act(&app, token, secret, action).await.0, 404, "{who} acts");
        }
        for (path, body) in [
            (
                format!("/api/v1/conversations/{secret}/notes"),
                json!({ "text": "hi" }),
            ),
            (
                format!("/api/v1/conversations/{secret}/messages"),
                json!({ "text": "hi" }),
            ),
            (format!("/api/v1/conversations/{secret}/read"), json!({})),
            (
                format!("/api/v1/conversations/{secret}/files?name=a.pdf"),
                json!({}),
            ),
            (
                format!("/api/v1/conversations/{secret}/wecom/take-back"),
                json!({ "end_session": true }),
            ),
        ] {
            assert_eq!(
                post(&app, &path, token, &body).await.0,
                404,
                "{who} POST {path}"
            );
        }
        let (_, bulk) = post(
            &app,
            "/api/v1/conversations/bulk",
            token,
            &json!({ "ids": [secret], "action": "resolve" }),
        )
        .await;
        assert_eq!(bulk["done"], json!([]), "{who} bulk");
    }

    // Nothing of team A reached Bob's socket, live or replayed.
    act(&app, &boss_token, open, json!({ "action": "claim" })).await;
    let live = live_until(&mut bob_socket, "conversation.updated").await;
    let (_, replayed, _) = hello(&app, &bob_token, Seq(0)).await;
    for event in live.iter().chain(&replayed) {
        assert_ne!(
            event.payload["conversation"],
            secret.to_string(),
            "{event:?}"
        );
    }
    assert!(replayed
        .iter()
        .any(|e| e.payload["conversation"] == open.to_string()));

    // Compliance reads everything and changes nothing.
    assert!(queue(&app, &auditor_token, "").await.contains(&secret));
    assert_eq!(
        app.get_json(
            &format!("/api/v1/conversations/{secret}/messages"),
            &auditor_token
        )
        .await
        .0,
        200
    );
    assert_eq!(
        act(&app, &auditor_token, secret, json!({ "action": "resolve" }))
            .await
            .0,
        403
    );
    assert_eq!(
        post(
            &app,
            &format!("/api/v1/conversations/{secret}/notes"),
            &auditor_token,
            &json!({ "text": "x" })
        )
        .await
        .0,
        403
    );
    // Nobody signed in reaches anything.
    let anonymous = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{secret}/actions")))
        .json(&json!({ "action": "claim" }))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), 401);
}
