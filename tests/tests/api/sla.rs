//! SLAs (issue 14 §4) on the Hong Kong clock: clocks that count business
//! hours only, pause while pending and through a closure, stop on a
//! person's reply and on resolve, start again on a new message; a warning
//! and a breach recorded once each, the breach in the timeline; the list
//! shows the clock that matters; who may write policies; and two nodes
//! recording each breach once. Time moves by the manual clock; the clocks,
//! rules and jobs run by hand.

use crate::automation::floor;
use harbour_server::jobs::Worker;
use harbour_server::sla_keeper::SlaKeeper;
use harbour_tests::desk::{conversation_of, messages, post, push, summary, KEY};
use harbour_tests::{on_both_backends, Backend, TestApp};
use serde_json::{json, Value};
use shared::sla::{SlaMetric, SlaPause};
use shared::Role;

on_both_backends!(
    a_first_response_counts_business_hours_warns_breaches_once_and_shows,
    pending_and_a_closure_pause_the_clock_and_resolve_stops_it,
    policies_are_checked_and_kept_to_their_teams,
    two_nodes_record_each_breach_once,
    the_floor_shows_sla_pressure_and_todays_figures_with_their_conversations,
    a_reply_logged_before_the_deadline_is_never_a_breach_however_late_the_clocks_look,
    a_rule_acts_once_when_a_breach_is_near,
);

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

/// How many events of `kind` the log holds about conversations.
async fn events(app: &TestApp, kind: &str) -> Vec<Value> {
    app.store
        .events_after(shared::Seq(0), 1_000_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.payload)
        .collect()
}

async fn policy(app: &TestApp, token: &str, body: Value) -> Value {
    let (code, policy) = post(app, "/api/v1/sla-policies", token, &body).await;
    assert_eq!(code, 201, "{policy}");
    policy
}

async fn a_first_response_counts_business_hours_warns_breaches_once_and_shows(backend: Backend) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    let app = &floor.desk.app;
    let made = policy(
        app,
        &admin,
        json!({ "name": "Loans standard", "team": floor.desk.team_a,
                "first_response_minutes": 30, "next_response_minutes": 20,
                "resolution_minutes": 240, "warn_minutes": 10 }),
    )
    .await;
    assert_eq!(made["warn_minutes"], 10);
    let start = app.clock.now(); // 09:00
    const CLIENT: &str = "o_sla_late";

    // 17:40: twenty minutes of today are left, so the first response is
    // due at 09:10 tomorrow; the warning comes at 18:00.
    floor.later(8 * HOUR + 40 * MINUTE).await;
    floor.writes(CLIENT, 1, "我想查詢還款").await;
    let id = conversation_of(&floor.desk.app, &floor.desk.admin, CLIENT).await;
    let shown = summary(&floor.desk.app, &floor.desk.admin, id)
        .await
        .sla
        .expect("an SLA shows");
    let tomorrow = start + 24 * HOUR;
    assert_eq!(shown.metric, SlaMetric::FirstResponse);
    assert_eq!(shown.due_at, Some(tomorrow + 10 * MINUTE));
    assert_eq!(shown.warn_at, Some(start + 9 * HOUR));
    assert_eq!(shown.breached_at, None);

    // 18:05: warned once; the evening and night do not count.
    floor.later(25 * MINUTE).await;
    floor.tick().await;
    floor.tick().await;
    let warnings = events(&floor.desk.app, "sla.warning").await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["metric"], "first_response");
    assert!(events(&floor.desk.app, "sla.breached").await.is_empty());

    // 09:11 tomorrow: breached at 09:10, once, and the timeline says so.
    floor.later(15 * HOUR + 6 * MINUTE).await;
    floor.tick().await;
    floor.tick().await;
    let breaches = events(&floor.desk.app, "sla.breached").await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0]["breached_at"], tomorrow + 10 * MINUTE);
    assert_eq!(breaches[0]["policy_name"], "Loans standard");
    let entries = messages(&floor.desk.app, &floor.desk.admin, id).await;
    let entry = entries
        .iter()
        .find(|m| m.kind == "sla_breached")
        .expect("a breach entry");
    let fields = entry.fields.clone().unwrap_or_default();
    assert_eq!(
        (&fields["metric"], &fields["target_minutes"]),
        (&json!("first_response"), &json!(30))
    );
    let shown = summary(&floor.desk.app, &floor.desk.admin, id)
        .await
        .sla
        .expect("an SLA shows");
    assert_eq!(shown.breached_at, Some(tomorrow + 10 * MINUTE));

    // 09:15 a person answers: the response clock stops; resolution shows,
    // due at 12:40 (20 minutes yesterday, 220 today).
    floor.later(4 * MINUTE).await;
    let (code, sent) = post(
        &floor.desk.app,
        &format!("/api/v1/conversations/{id}/messages"),
        &floor.desk.admin,
        &json!({ "text": "我們現在為你查詢。", "confirm_recent": true }),
    )
    .await;
    assert_eq!(code, 202, "{sent}");
    floor.tick().await;
    let shown = summary(&floor.desk.app, &floor.desk.admin, id)
        .await
        .sla
        .expect("resolution shows");
    assert_eq!(shown.metric, SlaMetric::Resolution);
    assert_eq!(shown.due_at, Some(tomorrow + 3 * HOUR + 40 * MINUTE));
    assert_eq!(shown.breached_at, None);

    // 09:30 the client writes again: the next response is due at 09:50.
    floor.later(15 * MINUTE).await;
    floor.writes(CLIENT, 2, "好，謝謝").await;
    let shown = summary(&floor.desk.app, &floor.desk.admin, id)
        .await
        .sla
        .expect("next response shows");
    assert_eq!(shown.metric, SlaMetric::NextResponse);
    assert_eq!(shown.due_at, Some(tomorrow + 50 * MINUTE));
    // Still one breach and one warning, however often the clocks look.
    floor.tick().await;
    assert_eq!(events(&floor.desk.app, "sla.breached").await.len(), 1);
    assert_eq!(events(&floor.desk.app, "sla.warning").await.len(), 1);
}

async fn pending_and_a_closure_pause_the_clock_and_resolve_stops_it(backend: Backend) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    policy(
        &floor.desk.app,
        &admin,
        json!({ "name": "Everyone", "first_response_minutes": 30, "resolution_minutes": 120 }),
    )
    .await;
    let start = floor.desk.app.clock.now(); // 09:00
    const CLIENT: &str = "o_sla_pause";

    // 10:00 the client writes: first response due 10:30.
    floor.later(HOUR).await;
    floor.writes(CLIENT, 1, "Hello").await;
    let id = conversation_of(&floor.desk.app, &floor.desk.admin, CLIENT).await;
    let sla = summary(&floor.desk.app, &floor.desk.admin, id).await.sla;
    assert_eq!(sla.and_then(|s| s.due_at), Some(start + HOUR + 30 * MINUTE));

    // 10:10 marked pending: paused with 20 minutes left, however long.
    floor.later(10 * MINUTE).await;
    let action = format!("/api/v1/conversations/{id}/actions");
    let (code, body) = post(
        &floor.desk.app,
        &action,
        &floor.desk.admin,
        &json!({ "action": "pending" }),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    floor.tick().await;
    floor.later(3 * HOUR).await;
    floor.tick().await;
    let paused = summary(&floor.desk.app, &floor.desk.admin, id)
        .await
        .sla
        .expect("a paused SLA shows");
    assert_eq!(paused.paused, Some(SlaPause::Pending));
    assert_eq!(paused.left_ms, 20 * MINUTE);
    assert!(events(&floor.desk.app, "sla.breached").await.is_empty());

    // 13:10 the client writes: counting again, due 13:30. A typhoon
    // closure from 13:15 to 14:15 moves it to 14:30.
    floor.writes(CLIENT, 2, "Any news?").await;
    let sla = summary(&floor.desk.app, &floor.desk.admin, id).await.sla;
    assert_eq!(
        sla.and_then(|s| s.due_at),
        Some(start + 4 * HOUR + 30 * MINUTE)
    );
    floor.later(5 * MINUTE).await;
    let (code, closure) = post(
        &floor.desk.app,
        "/api/v1/closures",
        &floor.desk.admin,
        &json!({ "reason": "typhoon", "ends_at": start + 5 * HOUR + 15 * MINUTE }),
    )
    .await;
    assert_eq!(code, 201, "{closure}");
    floor.tick().await;
    let sla = summary(&floor.desk.app, &floor.desk.admin, id).await.sla;
    assert_eq!(
        sla.and_then(|s| s.due_at),
        Some(start + 5 * HOUR + 30 * MINUTE)
    );
    // 14:20: not breached yet, though 13:30 has passed.
    floor.later(HOUR + 5 * MINUTE).await;
    floor.tick().await;
    assert!(events(&floor.desk.app, "sla.breached").await.is_empty());

    // 14:25 resolved: every clock stops and nothing shows or breaches.
    floor.later(5 * MINUTE).await;
    let (code, body) = post(
        &floor.desk.app,
        &action,
        &floor.desk.admin,
        &json!({ "action": "resolve" }),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    floor.tick().await;
    assert_eq!(
        summary(&floor.desk.app, &floor.desk.admin, id).await.sla,
        None
    );
    floor.later(HOUR).await;
    floor.tick().await;
    assert!(events(&floor.desk.app, "sla.breached").await.is_empty());

    // 15:25 the client writes again: a new cycle asks for the next response
    // (there is no such target here) and resolution from zero.
    floor.writes(CLIENT, 3, "One more question").await;
    let sla = summary(&floor.desk.app, &floor.desk.admin, id)
        .await
        .sla
        .expect("resolution again");
    assert_eq!(sla.metric, SlaMetric::Resolution);
    assert_eq!(sla.due_at, Some(floor.desk.app.clock.now() + 2 * HOUR));
}

async fn policies_are_checked_and_kept_to_their_teams(backend: Backend) {
    let floor = floor(backend).await;
    let app = &floor.desk.app;
    let admin = floor.desk.admin.clone();
    let bad = [
        (json!({ "name": "", "first_response_minutes": 5 }), "name"),
        (json!({ "name": "None" }), "first_response_minutes"),
        (
            json!({ "name": "Long", "resolution_minutes": 200_000 }),
            "resolution_minutes",
        ),
        (
            json!({ "name": "Warn", "first_response_minutes": 5, "warn_minutes": 5 }),
            "warn_minutes",
        ),
        (
            json!({ "name": "Ghost", "team": uuid::Uuid::new_v4(), "first_response_minutes": 5 }),
            "team",
        ),
    ];
    for (body, field) in bad {
        let (code, error) = post(app, "/api/v1/sla-policies", &admin, &body).await;
        assert_eq!(code, 422, "{body} → {error}");
        assert_eq!(error["field"], field, "{error}");
    }
    let (code, error) = post(
        app,
        "/api/v1/sla-policies",
        &admin,
        &json!({ "name": "Typo", "first_response_minutes": "ten" }),
    )
    .await;
    assert_eq!(code, 400, "{error}");

    // A supervisor of Loans writes Loans' policy, not Claims' nor one for
    // everyone; the default warning is five minutes, less for short targets.
    let (_, supervisor) = app
        .user_with_role(&admin, Role::Supervisor, &[floor.desk.team_a])
        .await;
    let loans = policy(
        app,
        &supervisor,
        json!({ "name": "Loans", "team": floor.desk.team_a, "first_response_minutes": 6 }),
    )
    .await;
    assert_eq!(loans["warn_minutes"], 3);
    for body in [
        json!({ "name": "Claims", "team": floor.desk.team_b, "first_response_minutes": 15 }),
        json!({ "name": "All", "first_response_minutes": 15 }),
    ] {
        let (code, _) = post(app, "/api/v1/sla-policies", &supervisor, &body).await;
        assert_eq!(code, 403, "{body}");
    }
    // One policy per team and label.
    let (code, error) = post(
        app,
        "/api/v1/sla-policies",
        &admin,
        &json!({ "name": "Loans again", "team": floor.desk.team_a, "first_response_minutes": 9 }),
    )
    .await;
    assert_eq!((code, &error["field"]), (422, &json!("team")), "{error}");
    // Past the API's look (two saves at one moment), the database refuses
    // the second policy of a scope, as the API would.
    let twin = shared::sla::SaveSlaPolicy {
        name: "Loans twin".into(),
        team: Some(floor.desk.team_a),
        label: None,
        first_response_minutes: Some(9),
        next_response_minutes: None,
        resolution_minutes: None,
        warn_minutes: None,
    };
    let admin_id = app
        .store
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.role == Role::Admin)
        .expect("an admin")
        .id;
    let refused = app
        .store
        .save_sla_policy(app.clock.now(), admin_id, None, &twin, 3)
        .await
        .expect_err("a second policy for Loans");
    assert!(
        matches!(&refused, harbour_server::error::AppError::Validation { field, .. } if field == "team"),
        "{refused:?}"
    );
    let claims = policy(
        app,
        &admin,
        json!({ "name": "Claims VIP", "team": floor.desk.team_b, "label": " VIP ",
                "first_response_minutes": 15, "resolution_minutes": 60 }),
    )
    .await;
    assert_eq!(claims["label"], "VIP");
    assert_eq!(claims["warn_minutes"], 5);

    // The supervisor reads their team's and not Claims'; agents read none.
    let (code, seen) = app.get_json("/api/v1/sla-policies", &supervisor).await;
    assert_eq!(code, 200);
    let names: Vec<&str> = seen
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["Loans"]);
    let (_, agent) = app
        .user_with_role(&admin, Role::Agent, &[floor.desk.team_a])
        .await;
    let (code, _) = app.get_json("/api/v1/sla-policies", &agent).await;
    assert_eq!(code, 403);
    let claims_path = format!(
        "/api/v1/sla-policies/{}",
        claims["id"].as_str().unwrap_or("")
    );
    let (code, _) = app
        .send_json(
            reqwest::Method::DELETE,
            &claims_path,
            &supervisor,
            &json!({}),
        )
        .await;
    assert_eq!(code, 404, "Claims' policy is not the supervisor's to see");

    // Changing and deleting are events.
    let loans_path = format!(
        "/api/v1/sla-policies/{}",
        loans["id"].as_str().unwrap_or("")
    );
    let (code, changed) = app
        .send_json(
            reqwest::Method::PUT,
            &loans_path,
            &supervisor,
            &json!({ "name": "Loans", "team": floor.desk.team_a, "first_response_minutes": 20, "warn_minutes": 4 }),
        )
        .await;
    assert_eq!(code, 200, "{changed}");
    assert_eq!(
        (&changed["first_response_minutes"], &changed["warn_minutes"]),
        (&json!(20), &json!(4))
    );
    let (code, _) = app
        .send_json(
            reqwest::Method::DELETE,
            &loans_path,
            &supervisor,
            &json!({}),
        )
        .await;
    assert_eq!(code, 204);
    assert_eq!(events(app, "sla_policy.saved").await.len(), 3);
    assert_eq!(events(app, "sla_policy.deleted").await.len(), 1);
}

async fn two_nodes_record_each_breach_once(backend: Backend) {
    let floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    let app = &floor.desk.app;
    policy(
        app,
        &admin,
        json!({ "name": "Fast", "team": floor.desk.team_a, "first_response_minutes": 30,
                "resolution_minutes": 120, "warn_minutes": 10 }),
    )
    .await;
    let store = harbour_server::store::Store::connect(&app.db.url, &Default::default())
        .await
        .expect("the second node's connections");
    let other = SlaKeeper::new(store.clone(), app.clock.clone());
    let handlers = harbour_server::startup::job_handlers(
        &store,
        &std::sync::Arc::new(harbour_server::secrets::SecretBox::new(&KEY)),
        &app.clock,
        &app.db.data_dir(),
        &app.exports,
    )
    .expect("handlers");
    let other_worker = Worker::new(store, app.clock.clone(), handlers);
    let floor_ref = &floor;
    let both = || async {
        for _ in 0..2 {
            let (a, b) = tokio::join!(
                async { while floor_ref.sla.pass().await.expect("node 1") > 0 {} },
                async { while other.pass().await.expect("node 2") > 0 {} }
            );
            let _ = (a, b);
            let (a, b) = tokio::join!(floor_ref.worker.run_once(), other_worker.run_once());
            a.expect("worker 1");
            b.expect("worker 2");
        }
    };
    // Five clients write at 09:00 and nobody answers; the clock moves ten
    // minutes at a time across the day and the night. Each conversation
    // warns at 09:20 and 10:50 and breaches at 09:30 and 11:00.
    for n in 0..5 {
        push(
            app,
            &floor.desk.path_a,
            &format!("o_sla_two{n}"),
            100 + n,
            "Hello?",
        )
        .await;
    }
    for _ in 0..72 {
        both().await;
        app.clock.advance(10 * MINUTE);
    }
    let breaches = events(app, "sla.breached").await;
    // Each conversation breaches first response and resolution, once each.
    assert_eq!(breaches.len(), 10, "{breaches:?}");
    let warnings = events(app, "sla.warning").await;
    assert_eq!(warnings.len(), 10, "{warnings:?}");
    let mut per: Vec<(String, String)> = breaches
        .iter()
        .map(|b| (b["conversation"].to_string(), b["metric"].to_string()))
        .collect();
    per.sort();
    per.dedup();
    assert_eq!(per.len(), 10);
}

async fn the_floor_shows_sla_pressure_and_todays_figures_with_their_conversations(
    backend: Backend,
) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    policy(
        &floor.desk.app,
        &admin,
        json!({ "name": "Loans", "team": floor.desk.team_a, "first_response_minutes": 30,
                "resolution_minutes": 240, "warn_minutes": 10 }),
    )
    .await;
    // 09:00 two clients write.
    floor.writes("o_floor_answered", 1, "Hello").await;
    floor.writes("o_floor_waiting", 2, "Hello?").await;
    let answered = conversation_of(&floor.desk.app, &admin, "o_floor_answered").await;
    let waiting = conversation_of(&floor.desk.app, &admin, "o_floor_waiting").await;
    // 09:10 the first is answered, 09:15 resolved.
    floor.later(10 * MINUTE).await;
    let (code, sent) = post(
        &floor.desk.app,
        &format!("/api/v1/conversations/{answered}/messages"),
        &floor.desk.admin,
        &json!({ "text": "Hi, how can I help?", "confirm_recent": true }),
    )
    .await;
    assert_eq!(code, 202, "{sent}");
    floor.later(5 * MINUTE).await;
    let (code, body) = post(
        &floor.desk.app,
        &format!("/api/v1/conversations/{answered}/actions"),
        &floor.desk.admin,
        &json!({ "action": "resolve" }),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    floor.tick().await;

    // 09:25: the second is past its warning.
    floor.later(10 * MINUTE).await;
    floor.tick().await;
    let team_a = json!(floor.desk.team_a);
    let loans = |view: &Value| {
        view["teams"]
            .as_array()
            .and_then(|teams| teams.iter().find(|t| t["id"] == team_a).cloned())
            .expect("the Loans card")
    };
    let (code, view) = floor
        .desk
        .app
        .get_json("/api/v1/floor", &floor.desk.admin)
        .await;
    assert_eq!(code, 200, "{view}");
    let card = loans(&view);
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids(&card["sla_at_risk"]), [waiting.to_string()]);
    assert!(ids(&card["sla_breached"]).is_empty());
    let today = &card["today"];
    assert_eq!(ids(&today["came_in"]).len(), 2, "{today}");
    assert_eq!(ids(&today["first_responses"]), [answered.to_string()]);
    assert_eq!(today["first_responses"][0]["ms"], 10 * MINUTE);
    assert_eq!(ids(&today["resolved"]), [answered.to_string()]);
    assert_eq!(today["resolved"][0]["ms"], 15 * MINUTE);
    assert!(today["resolved"][0]["agent"].is_string());

    // 09:31: breached, and today's breaches say which.
    floor.later(6 * MINUTE).await;
    floor.tick().await;
    let (_, view) = floor
        .desk
        .app
        .get_json("/api/v1/floor", &floor.desk.admin)
        .await;
    let card = loans(&view);
    assert_eq!(ids(&card["sla_breached"]), [waiting.to_string()]);
    assert!(ids(&card["sla_at_risk"]).is_empty());
    assert_eq!(ids(&card["today"]["breaches"]), [waiting.to_string()]);
    assert_eq!(card["today"]["breaches"][0]["metric"], "first_response");
    // A supervisor of Claims sees none of it.
    let (_, lead) = floor
        .desk
        .app
        .user_with_role(&floor.desk.admin, Role::Supervisor, &[floor.desk.team_b])
        .await;
    let (_, theirs) = floor.desk.app.get_json("/api/v1/floor", &lead).await;
    assert!(theirs["teams"]
        .as_array()
        .is_some_and(|teams| teams.iter().all(|t| t["id"] != json!(floor.desk.team_a))));
}

async fn a_reply_logged_before_the_deadline_is_never_a_breach_however_late_the_clocks_look(
    backend: Backend,
) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    policy(
        &floor.desk.app,
        &admin,
        json!({ "name": "Loans", "team": floor.desk.team_a, "first_response_minutes": 30 }),
    )
    .await;
    // 10:00 a client writes; the clocks arm a timer for the warning.
    floor.later(HOUR).await;
    floor.writes("o_sla_close_call", 1, "Hello").await;
    let id = conversation_of(&floor.desk.app, &floor.desk.admin, "o_sla_close_call").await;
    // 10:29 a person answers, and nothing reads the log until 11:00, when
    // the timers run first.
    floor.later(29 * MINUTE).await;
    let (code, sent) = post(
        &floor.desk.app,
        &format!("/api/v1/conversations/{id}/messages"),
        &floor.desk.admin,
        &json!({ "text": "Sorry to keep you waiting.", "confirm_recent": true }),
    )
    .await;
    assert_eq!(code, 202, "{sent}");
    floor.later(31 * MINUTE).await;
    floor.worker.run_once().await.expect("timers");
    floor.worker.run_once().await.expect("timers");
    floor.tick().await;
    floor.tick().await;
    assert!(events(&floor.desk.app, "sla.breached").await.is_empty());
    assert_eq!(events(&floor.desk.app, "sla.warning").await.len(), 1);
    assert_eq!(
        summary(&floor.desk.app, &floor.desk.admin, id).await.sla,
        None,
        "answered, and no resolution target"
    );
}

async fn a_rule_acts_once_when_a_breach_is_near(backend: Backend) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    policy(
        &floor.desk.app,
        &admin,
        json!({ "name": "Loans", "team": floor.desk.team_a, "first_response_minutes": 30,
                "warn_minutes": 10 }),
    )
    .await;
    let (code, rule) = post(
        &floor.desk.app,
        "/api/v1/rules",
        &admin,
        &json!({ "name": "Nearly late", "team": floor.desk.team_a,
                 "trigger": { "kind": "sla_at_risk" },
                 "actions": [{ "kind": "priority", "priority": "urgent" }] }),
    )
    .await;
    assert_eq!(code, 201, "{rule}");
    floor.writes("o_sla_nearly", 1, "Hello").await;
    let id = conversation_of(&floor.desk.app, &floor.desk.admin, "o_sla_nearly").await;
    floor.later(19 * MINUTE).await;
    floor.tick().await;
    assert_eq!(
        summary(&floor.desk.app, &floor.desk.admin, id)
            .await
            .priority,
        shared::api::Priority::Normal
    );
    // 09:21: past the warning; the rule raises the priority, once.
    floor.later(2 * MINUTE).await;
    floor.tick().await;
    floor.tick().await;
    assert_eq!(
        summary(&floor.desk.app, &floor.desk.admin, id)
            .await
            .priority,
        shared::api::Priority::Urgent
    );
    let entries = messages(&floor.desk.app, &floor.desk.admin, id).await;
    let raised: Vec<_> = entries.iter().filter(|m| m.kind == "priority").collect();
    assert_eq!(raised.len(), 1, "{raised:?}");
    let why = raised[0].fields.clone().unwrap_or_default();
    assert_eq!(why["why"]["trigger"], "sla_at_risk", "{why}");
}
