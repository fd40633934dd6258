//! The live socket over a real connection: authentication by first message,
//! replay after a reconnect with each event exactly once, team filtering.

use harbour_server::store::events::{append, NewEvent};
use harbour_tests::desk::create_team;
use harbour_tests::socket::{hello, live_until, next_message, open, send};
use harbour_tests::{on_both_backends, spawn_app, Backend};
use serde_json::json;
use shared::ws::{ClientMessage, ServerMessage};
use shared::{Role, Seq};

on_both_backends!(
    a_reconnecting_client_gets_each_missed_event_exactly_once,
    a_socket_without_a_valid_hello_is_closed_with_a_reason,
    an_agent_receives_only_events_of_their_teams,
    the_server_tells_the_app_its_time_and_every_jump_of_its_clock,
);

async fn a_reconnecting_client_gets_each_missed_event_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.admin_token().await;
    let (mut socket, replayed, head) = hello(&app, &token, Seq(0)).await;
    assert!(replayed.iter().any(|e| e.kind == "auth.login"));
    assert_eq!(replayed.last().map(|e| e.seq), Some(head));

    create_team(&app, &token, "Live one").await;
    let live = live_until(&mut socket, "team.created").await;
    let last_seen = live.last().map(|e| e.seq).expect("an event");
    socket.close(None).await.expect("close");

    // While the client is away, five changes happen.
    for i in 0..5 {
        create_team(&app, &token, &format!("While away {i}")).await;
    }
    let (mut socket, missed, _) = hello(&app, &token, last_seen).await;
    let names: Vec<_> = missed
        .iter()
        .filter_map(|e| e.payload["name"].as_str())
        .collect();
    assert_eq!(
        names,
        (0..5)
            .map(|i| format!("While away {i}"))
            .collect::<Vec<_>>()
    );
    let seqs: Vec<i64> = missed.iter().map(|e| e.seq.0).collect();
    assert_eq!(
        seqs,
        (last_seen.0 + 1..=last_seen.0 + 5).collect::<Vec<_>>(),
        "each once, in order"
    );

    // And live events continue after the replay without repeats.
    create_team(&app, &token, "After return").await;
    let after = live_until(&mut socket, "team.created").await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].seq.0, last_seen.0 + 6);
}

async fn a_socket_without_a_valid_hello_is_closed_with_a_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut socket = open(&app).await;
    send(
        &mut socket,
        &ClientMessage::Hello {
            token: "forged".into(),
            last_seq: Seq(0),
        },
    )
    .await;
    match next_message(&mut socket).await {
        Some(ServerMessage::Closing { code, .. }) => assert_eq!(code, "unauthenticated"),
        other => panic!("unexpected {other:?}"),
    }
    let mut socket = open(&app).await;
    send(&mut socket, &ClientMessage::Ping).await;
    match next_message(&mut socket).await {
        Some(ServerMessage::Closing { code, .. }) => assert_eq!(code, "bad_message"),
        other => panic!("unexpected {other:?}"),
    }
}

async fn an_agent_receives_only_events_of_their_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let team_a = create_team(&app, &admin, "Team A").await;
    let team_b = create_team(&app, &admin, "Team B").await;
    let (agent, agent_token) = app.user_with_role(&admin, Role::Agent, &[team_a.id]).await;
    let (_, replayed, _) = hello(&app, &agent_token, Seq(0)).await;
    assert!(
        replayed
            .iter()
            .all(|e| e.team == Some(team_a.id) || e.actor == Some(agent.id)),
        "{replayed:?}"
    );
    assert!(!replayed.iter().any(|e| e.team == Some(team_b.id)));

    let (mut socket, _, _) = hello(&app, &agent_token, Seq(0)).await;
    for (team, marker) in [(team_b.id, "for B"), (team_a.id, "for A")] {
        let mut tx = app.store.begin().await.expect("begin");
        let event = NewEvent::new("test.team_scoped", None, json!({ "marker": marker }))
            .in_team(Some(team));
        append(&mut tx, app.clock.now(), &[event])
            .await
            .expect("append");
        app.store.commit(tx).await.expect("commit");
    }
    let got = live_until(&mut socket, "test.team_scoped").await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].payload["marker"], "for A");
}

async fn the_server_tells_the_app_its_time_and_every_jump_of_its_clock(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.admin_token().await;
    let stamped = |response: &reqwest::Response| {
        response
            .headers()
            .get(shared::SERVER_TIME_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok())
    };
    // Every API answer carries the server's time, errors too.
    let response = app
        .client
        .get(app.url("/api/v1/teams"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("teams");
    assert_eq!(stamped(&response), Some(app.clock.now()));
    let response = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .expect("404");
    assert_eq!(response.status(), 404);
    assert_eq!(stamped(&response), Some(app.clock.now()));

    let mut socket = open(&app).await;
    send(
        &mut socket,
        &ClientMessage::Hello {
            token: token.clone(),
            last_seq: Seq(0),
        },
    )
    .await;
    match next_message(&mut socket).await {
        Some(ServerMessage::Welcome { now, .. }) => assert_eq!(now, app.clock.now()),
        other => panic!("expected a welcome, got {other:?}"),
    }
    while !matches!(
        next_message(&mut socket).await,
        Some(ServerMessage::Live { .. }) | None
    ) {}

    // A jump of 48 hours reaches the open socket at once.
    let before = app.clock.now();
    app.clock.advance(48 * 60 * 60 * 1000);
    loop {
        match next_message(&mut socket).await {
            Some(ServerMessage::Time { now }) => {
                assert_eq!(now, before + 48 * 60 * 60 * 1000);
                break;
            }
            Some(_) => continue,
            None => panic!("the socket closed before telling the new time"),
        }
    }
}
