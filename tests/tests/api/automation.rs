//! Automation rules (issue 14 §2) on the Hong Kong clock: an after-hours
//! reply that goes out once per closed stretch and explains itself, a
//! closure's own reply in the client's language, a "no reply in 30
//! minutes" overflow that fires once, keyword rules in order with `stop`,
//! and who may write rules. Time moves by the manual clock; the rules
//! engine and the job worker run by hand.

use harbour_server::automator::Automator;
use harbour_server::calendar::{format_date, local_date};
use harbour_server::jobs::Worker;
use harbour_server::sla_keeper::SlaKeeper;
use harbour_tests::desk::{conversation_of, desk, messages, post, push, summary, Desk, APP_A, KEY};
use harbour_tests::{on_both_backends, Backend};
use serde_json::{json, Value};
use shared::api::{Direction, MessageView};
use shared::Role;
use wechat::message::OpenId;
use wechat::AppId;

on_both_backends!(
    an_after_hours_reply_goes_out_once_per_closed_stretch_and_says_why,
    a_closure_replies_in_the_clients_language_once,
    no_reply_in_thirty_minutes_moves_the_conversation_once,
    keyword_rules_run_in_order_and_stop_ends_the_list,
    rules_are_checked_kept_to_their_teams_and_dry_run,
    two_nodes_act_once_across_an_evening,
);

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

pub(crate) struct Floor {
    pub(crate) desk: Desk,
    pub(crate) worker: Worker,
    pub(crate) automator: Automator,
    pub(crate) sla: SlaKeeper,
}

/// The desk with Loans open 09:00–18:00 every day and no holiday today or
/// tomorrow, its workers run by hand.
pub(crate) async fn floor(backend: Backend) -> Floor {
    let desk = desk(backend).await;
    let worker = desk.app.worker(KEY);
    let automator = Automator::new(desk.app.store.clone(), desk.app.clock.clone());
    let sla = SlaKeeper::new(desk.app.store.clone(), desk.app.clock.clone());
    // Whatever today's real date, these tests work on two working days.
    let (today, _) = local_date(desk.app.clock.now());
    for date in [Some(today), today.next_day()].into_iter().flatten() {
        desk.app
            .client
            .delete(
                desk.app
                    .url(&format!("/api/v1/holidays/{}", format_date(date))),
            )
            .bearer_auth(&desk.admin)
            .send()
            .await
            .expect("delete holiday");
    }
    // Loans works every day 09:00–18:00.
    let (code, hours) = desk
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{}/hours", desk.team_a),
            &desk.admin,
            &json!({ "weekly": vec![["09:00-18:00"]; 7] }),
        )
        .await;
    assert_eq!(code, 200, "{hours}");
    Floor {
        desk,
        worker,
        automator,
        sla,
    }
}

impl Floor {
    /// Rules act on everything that happened, then due jobs run (sends,
    /// timers), then rules act on what those did.
    pub(crate) async fn tick(&self) {
        for _ in 0..3 {
            while self.automator.pass().await.expect("automation") > 0 {}
            while self.sla.pass().await.expect("SLA clocks") > 0 {}
            self.worker.run_once().await.expect("worker");
        }
    }

    /// The follower `from` writes `text` to the Loans account.
    pub(crate) async fn writes(&self, from: &str, msg_id: u64, text: &str) {
        push(&self.desk.app, &self.desk.path_a, from, msg_id, text).await;
        use wechat::clock::Clock;
        self.desk.fake.record_follower_message(
            &AppId::new(APP_A),
            &OpenId::new(from),
            self.desk.fake.clock().now(),
        );
        self.tick().await;
    }

    /// Moves the clock on and signs the admin in again.
    pub(crate) async fn later(&mut self, ms: i64) {
        self.desk.app.clock.advance(ms);
        self.desk.admin = self.desk.app.admin_token().await;
    }

    async fn rule(&self, token: &str, body: Value) -> Value {
        let (code, rule) = post(&self.desk.app, "/api/v1/rules", token, &body).await;
        assert_eq!(code, 201, "{rule}");
        rule
    }

    fn texts_to(&self, from: &str) -> Vec<String> {
        self.desk
            .fake
            .received(&OpenId::new(from))
            .into_iter()
            .map(|m| m.body["text"]["content"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// The entries of `from`'s conversation that a rule wrote.
    async fn automated(&self, from: &str) -> Vec<MessageView> {
        let id = conversation_of(&self.desk.app, &self.desk.admin, from).await;
        messages(&self.desk.app, &self.desk.admin, id)
            .await
            .into_iter()
            .filter(|m| {
                m.fields
                    .as_ref()
                    .is_some_and(|f| f.get("rule_name").is_some())
            })
            .collect()
    }
}

fn field<'a>(message: &'a MessageView, key: &str) -> &'a Value {
    message
        .fields
        .as_ref()
        .and_then(|f| f.get(key))
        .unwrap_or(&Value::Null)
}

async fn an_after_hours_reply_goes_out_once_per_closed_stretch_and_says_why(backend: Backend) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    floor
        .rule(
            &admin,
            json!({
                "name": "After hours",
                "team": floor.desk.team_a,
                "trigger": { "kind": "message_received" },
                "conditions": { "hours": "out_of_hours" },
                "actions": [
                    { "kind": "auto_reply", "text_zh": "您好，我們會在{opens_at}回覆。",
                      "text_en": "Hello, we reply from {opens_at}." },
                    { "kind": "label", "label": "after-hours" }
                ]
            }),
        )
        .await;
    const CLIENT: &str = "o_after_hours";

    // 09:00: in hours, nothing automatic.
    floor.writes(CLIENT, 1, "你好").await;
    assert!(floor.texts_to(CLIENT).is_empty());
    assert!(floor.automated(CLIENT).await.is_empty());

    // 19:00: out of hours, one reply in Chinese, and a label.
    floor.later(10 * HOUR).await;
    floor.writes(CLIENT, 2, "請問還款日期？").await;
    let sent = floor.texts_to(CLIENT);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("您好，我們會在"), "{sent:?}");
    assert!(
        sent[0].ends_with(" 09:00回覆。"),
        "the opening time: {sent:?}"
    );
    let automated = floor.automated(CLIENT).await;
    let reply = automated
        .iter()
        .find(|m| m.direction == Direction::Out)
        .expect("the automated reply");
    assert_eq!(field(reply, "automated"), "rule");
    assert_eq!(field(reply, "rule_name"), "After hours");
    assert_eq!(field(reply, "why")["hours"], "out_of_hours");
    let because = field(reply, "because").as_str().unwrap_or_default();
    assert!(
        because.contains("outside business hours (Loans, ") && because.contains(" 18:00–"),
        "{because}"
    );
    let label = automated
        .iter()
        .find(|m| m.kind == "labels")
        .expect("the label entry");
    assert_eq!(
        label.body.as_deref(),
        Some("Rule “After hours” added after-hours")
    );
    // The client still waits for a person.
    let id = conversation_of(&floor.desk.app, &floor.desk.admin, CLIENT).await;
    let waiting = summary(&floor.desk.app, &floor.desk.admin, id).await;
    assert!(waiting.waiting_since.is_some(), "{waiting:?}");

    // 19:30: the same closed stretch, no second reply.
    floor.later(30 * MINUTE).await;
    floor.writes(CLIENT, 3, "在嗎？").await;
    assert_eq!(floor.texts_to(CLIENT).len(), 1);

    // 20:00 a person answers; 20:10 the client writes: still the same stretch.
    floor.later(30 * MINUTE).await;
    let (code, answered) = post(
        &floor.desk.app,
        &format!("/api/v1/conversations/{id}/messages"),
        &floor.desk.admin,
        &json!({ "text": "明天早上致電你。", "confirm_recent": true }),
    )
    .await;
    assert_eq!(code, 202, "{answered}");
    floor.tick().await;
    floor.later(10 * MINUTE).await;
    floor.writes(CLIENT, 4, "好的").await;
    assert_eq!(floor.texts_to(CLIENT).len(), 2, "the person's answer only");

    // The next evening is another closed stretch: one more reply.
    floor.later(22 * HOUR + 50 * MINUTE).await;
    floor.writes(CLIENT, 5, "Any news on my repayment?").await;
    let sent = floor.texts_to(CLIENT);
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent[2].starts_with("Hello, we reply from "),
        "English: {sent:?}"
    );

    // Running the rules again, as a restarted node would, does nothing more.
    let again = Automator::new(floor.desk.app.store.clone(), floor.desk.app.clock.clone());
    assert_eq!(again.pass().await.expect("pass"), 0);
    floor.tick().await;
    assert_eq!(floor.texts_to(CLIENT).len(), 3);
}

async fn a_closure_replies_in_the_clients_language_once(backend: Backend) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    let (code, closure) = post(
        &floor.desk.app,
        "/api/v1/closures",
        &admin,
        &json!({ "reason": "black_rainstorm", "ends_at": floor.desk.app.clock.now() + 3 * HOUR,
                 "reply_en": "Our office is closed under the black rainstorm signal.",
                 "reply_zh": "黑色暴雨警告生效，辦公室暫停開放。" }),
    )
    .await;
    assert_eq!(code, 201, "{closure}");
    const CLIENT: &str = "o_rainstorm";
    floor.later(MINUTE).await;
    floor.writes(CLIENT, 21, "Hello, is anyone there?").await;
    floor.writes(CLIENT, 22, "Hello?").await;
    let sent = floor.texts_to(CLIENT);
    assert_eq!(
        sent,
        ["Our office is closed under the black rainstorm signal."],
        "English only, once"
    );
    let automated = floor.automated(CLIENT).await;
    assert_eq!(automated.len(), 1);
    assert_eq!(field(&automated[0], "why")["closure"], "black_rainstorm");
    assert!(field(&automated[0], "because")
        .as_str()
        .unwrap_or_default()
        .contains("closed: black rainstorm (Loans"));

    // Once the closure ends, in hours, nothing automatic.
    let id = closure["id"].as_str().unwrap_or_default();
    let (code, _) = post(
        &floor.desk.app,
        &format!("/api/v1/closures/{id}/end"),
        &floor.desk.admin,
        &json!({}),
    )
    .await;
    assert_eq!(code, 200);
    floor.later(MINUTE).await;
    floor.writes("o_after_rain", 23, "早晨").await;
    assert!(floor.texts_to("o_after_rain").is_empty());

    // A closure set to end at a time ends then, once; the one ended by
    // hand does not end again when its set time comes.
    let (code, _) = post(
        &floor.desk.app,
        "/api/v1/closures",
        &floor.desk.admin,
        &json!({ "reason": "typhoon", "ends_at": floor.desk.app.clock.now() + HOUR }),
    )
    .await;
    assert_eq!(code, 201);
    floor.later(4 * HOUR).await;
    floor.tick().await;
    floor.tick().await;
    let ended: Vec<Value> = floor
        .desk
        .app
        .store
        .events_after(shared::Seq(0), 100_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == "closure.ended")
        .map(|e| e.payload)
        .collect();
    assert_eq!(ended.len(), 2, "{ended:?}");
    assert_eq!(ended[1]["scheduled"], true);
}

async fn no_reply_in_thirty_minutes_moves_the_conversation_once(backend: Backend) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    let app = &floor.desk.app;
    let (loans_lead, _) = app
        .user_with_role(&admin, Role::Supervisor, &[floor.desk.team_a])
        .await;
    let (claims_lead, _) = app
        .user_with_role(&admin, Role::Supervisor, &[floor.desk.team_b])
        .await;
    let (claims_agent, _) = app
        .user_with_role(&admin, Role::Agent, &[floor.desk.team_b])
        .await;
    floor
        .rule(
            &admin,
            json!({
                "name": "Overflow",
                "team": floor.desk.team_a,
                "trigger": { "kind": "no_agent_reply", "minutes": 30 },
                "conditions": { "hours": "in_hours" },
                "actions": [
                    { "kind": "transfer", "team": floor.desk.team_b },
                    { "kind": "notify", "text": "Nobody answered {name} in 30 minutes in Loans." },
                    { "kind": "priority", "priority": "urgent" },
                    { "kind": "auto_assign", "method": "least_loaded" }
                ]
            }),
        )
        .await;
    floor.writes("o_waits", 31, "有人嗎？").await;
    floor.writes("o_answered", 32, "你好").await;
    let answered = conversation_of(&floor.desk.app, &admin, "o_answered").await;
    floor.later(10 * MINUTE).await;
    let (code, _) = post(
        &floor.desk.app,
        &format!("/api/v1/conversations/{answered}/messages"),
        &floor.desk.admin,
        &json!({ "text": "您好！", "confirm_recent": true }),
    )
    .await;
    assert_eq!(code, 202);
    floor.tick().await;

    // 29 minutes after the message: not yet.
    floor.later(19 * MINUTE).await;
    floor.tick().await;
    let waits = conversation_of(&floor.desk.app, &floor.desk.admin, "o_waits").await;
    let row = summary(&floor.desk.app, &floor.desk.admin, waits).await;
    assert_eq!(row.team, Some(floor.desk.team_a));

    floor.later(2 * MINUTE).await;
    // The Claims agent is online when it moves.
    let token = |email: String| {
        let app = &floor.desk.app;
        async move {
            let session: Value = app
                .login_with(&app.new_client(), &email, harbour_tests::app::PASSWORD)
                .await
                .json()
                .await
                .expect("session");
            session["access_token"].as_str().expect("token").to_owned()
        }
    };
    let (_online, _, _) = harbour_tests::socket::hello(
        &floor.desk.app,
        &token(claims_agent.email.clone()).await,
        shared::Seq(0),
    )
    .await;
    for _ in 0..100 {
        let (_, agents) = floor
            .desk
            .app
            .get_json("/api/v1/agents", &floor.desk.admin)
            .await;
        if agents.as_array().is_some_and(|all| {
            all.iter()
                .any(|a| a["id"] == json!(claims_agent.id) && a["online"] == true)
        }) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    floor.tick().await;
    floor.tick().await;
    let row = summary(&floor.desk.app, &floor.desk.admin, waits).await;
    assert_eq!(
        row.assignee,
        Some(claims_agent.id),
        "the rule gave it to the one online"
    );
    // Claims' supervisor (the team it is in now) finds the note in
    // Mentions; Loans' no longer sees it.
    for (lead, mentioned) in [(&loans_lead, false), (&claims_lead, true)] {
        let found = harbour_tests::desk::queue(
            &floor.desk.app,
            &token(lead.email.clone()).await,
            "queue=mentions",
        )
        .await;
        assert_eq!(found.contains(&waits), mentioned, "{}", lead.name);
    }
    let notes: Vec<MessageView> = messages(&floor.desk.app, &floor.desk.admin, waits)
        .await
        .into_iter()
        .filter(|m| m.direction == Direction::Note)
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .body
            .as_deref()
            .unwrap_or_default()
            .starts_with("Nobody answered"),
        "{notes:?}"
    );
    assert_eq!(
        row.team,
        Some(floor.desk.team_b),
        "moved to the backup team"
    );
    assert_eq!(row.priority.as_str(), "urgent");
    let automated = floor.automated("o_waits").await;
    let moved: Vec<&MessageView> = automated
        .iter()
        .filter(|m| m.kind == "transferred")
        .collect();
    assert_eq!(moved.len(), 1, "once: {automated:?}");
    assert_eq!(
        moved[0].body.as_deref(),
        Some("Rule “Overflow” transferred this to Claims")
    );
    assert_eq!(
        field(moved[0], "because"),
        "no reply from a person for 30 minutes, in business hours (Loans)"
    );
    let row = summary(&floor.desk.app, &floor.desk.admin, answered).await;
    assert_eq!(row.team, Some(floor.desk.team_a), "answered in time: stays");
}

async fn keyword_rules_run_in_order_and_stop_ends_the_list(backend: Backend) {
    let floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    let (agent, _) = floor
        .desk
        .app
        .user_with_role(&admin, Role::Agent, &[floor.desk.team_a])
        .await;
    floor
        .rule(
            &admin,
            json!({
                "name": "Repayments to Amy",
                "trigger": { "kind": "message_received" },
                "conditions": { "keywords": ["還款", "repay"] },
                "actions": [
                    { "kind": "assign", "user": agent.id },
                    { "kind": "label", "label": "repayment" }
                ]
            }),
        )
        .await;
    floor
        .rule(
            &admin,
            json!({
                "name": "Assigned is urgent",
                "trigger": { "kind": "assigned" },
                "actions": [{ "kind": "priority", "priority": "high" }],
                "stop": true
            }),
        )
        .await;
    floor
        .rule(
            &admin,
            json!({
                "name": "Never reached",
                "trigger": { "kind": "assigned" },
                "actions": [{ "kind": "note", "text": "stop did not stop" }]
            }),
        )
        .await;
    // Simplified 还款 finds the Traditional keyword.
    floor.writes("o_keyword", 41, "我想查询还款").await;
    floor.writes("o_other", 42, "repayment schedule").await;
    let id = conversation_of(&floor.desk.app, &admin, "o_keyword").await;
    let row = summary(&floor.desk.app, &admin, id).await;
    assert_eq!(row.assignee, Some(agent.id));
    assert_eq!(row.priority.as_str(), "high");
    assert!(row.labels.contains(&"repayment".to_owned()), "{row:?}");
    let entries = floor.automated("o_keyword").await;
    assert!(
        entries.iter().all(|m| m.direction != Direction::Note),
        "stop ended the list: {entries:?}"
    );
    assert_eq!(field(&entries[0], "why")["keyword"], "還款");
    // "repay" is a whole word: "repayment" does not match.
    let other = conversation_of(&floor.desk.app, &admin, "o_other").await;
    let row = summary(&floor.desk.app, &admin, other).await;
    assert_eq!(row.assignee, None);
}

async fn rules_are_checked_kept_to_their_teams_and_dry_run(backend: Backend) {
    let mut floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    let app = &floor.desk.app;
    let (_, agent) = app
        .user_with_role(&admin, Role::Agent, &[floor.desk.team_a])
        .await;
    let (_, boss) = app
        .user_with_role(&admin, Role::Supervisor, &[floor.desk.team_a])
        .await;
    let (_, auditor) = app.user_with_role(&admin, Role::Compliance, &[]).await;
    let (claims_agent, _) = app
        .user_with_role(&admin, Role::Agent, &[floor.desk.team_b])
        .await;
    let base = json!({
        "name": "Tag VIPs",
        "team": floor.desk.team_a,
        "trigger": { "kind": "message_received" },
        "actions": [{ "kind": "label", "label": "vip" }]
    });
    let with = |change: Value| {
        let mut body = base.clone();
        if let (Some(body), Some(change)) = (body.as_object_mut(), change.as_object()) {
            for (k, v) in change {
                body.insert(k.clone(), v.clone());
            }
        }
        body
    };
    for (body, field) in [
        (with(json!({ "name": "  " })), "name"),
        (
            with(json!({ "trigger": { "kind": "no_agent_reply", "minutes": 0 } })),
            "trigger",
        ),
        (with(json!({ "actions": [] })), "actions"),
        (
            with(json!({ "actions": [{ "kind": "auto_reply", "text_zh": " " }] })),
            "actions",
        ),
        (
            with(json!({ "conditions": { "channels": ["sms"] } })),
            "conditions",
        ),
        (
            with(json!({ "actions": [{ "kind": "transfer", "team": floor.desk.team_a }] })),
            "actions",
        ),
        // Loans' rule cannot give its conversations to a Claims agent.
        (
            with(json!({ "actions": [{ "kind": "assign", "user": claims_agent.id }] })),
            "actions",
        ),
    ] {
        let (code, refused) = post(app, "/api/v1/rules", &admin, &body).await;
        assert_eq!(
            (code, refused["field"].as_str()),
            (422, Some(field)),
            "{refused}"
        );
    }
    // Transferred to Claims first, it may go to a Claims agent.
    let handed_on = with(json!({ "actions": [
        { "kind": "transfer", "team": floor.desk.team_b },
        { "kind": "assign", "user": claims_agent.id }
    ] }));
    let (code, body) = post(app, "/api/v1/rules", &admin, &handed_on).await;
    assert_eq!(code, 201, "{body}");
    let gone = app
        .client
        .delete(app.url(&format!(
            "/api/v1/rules/{}",
            body["id"].as_str().unwrap_or("")
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.status(), 204);
    let (code, _) = post(
        app,
        "/api/v1/rules",
        &admin,
        &json!({ "name": "no trigger" }),
    )
    .await;
    assert_eq!(code, 400, "a body that is not a rule");

    // A supervisor writes rules for their own team only.
    let (code, own) = post(app, "/api/v1/rules", &boss, &base).await;
    assert_eq!(code, 201, "{own}");
    let other = with(json!({ "team": floor.desk.team_b }));
    assert_eq!(post(app, "/api/v1/rules", &boss, &other).await.0, 403);
    assert_eq!(
        post(app, "/api/v1/rules", &boss, &with(json!({ "team": null })))
            .await
            .0,
        403
    );
    let (_, theirs) = post(app, "/api/v1/rules", &admin, &other).await;
    let (_, global) = post(app, "/api/v1/rules", &admin, &with(json!({ "team": null }))).await;
    let names = |rules: &Value| -> Vec<String> {
        rules
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (_, seen) = app.get_json("/api/v1/rules", &boss).await;
    let seen = names(&seen);
    assert!(seen.contains(&own["id"].as_str().unwrap_or("").to_owned()));
    assert!(seen.contains(&global["id"].as_str().unwrap_or("").to_owned()));
    assert!(!seen.contains(&theirs["id"].as_str().unwrap_or("").to_owned()));
    let theirs_path = format!("/api/v1/rules/{}", theirs["id"].as_str().unwrap_or(""));
    let (code, _) = app
        .send_json(reqwest::Method::PUT, &theirs_path, &boss, &base)
        .await;
    assert_eq!(code, 404, "another team's rule is not there for them");
    let (_, all) = app.get_json("/api/v1/rules", &auditor).await;
    assert_eq!(names(&all).len(), 3, "compliance reads every rule");
    assert_eq!(app.get_json("/api/v1/rules", &agent).await.0, 403);
    let own_path = format!("/api/v1/rules/{}", own["id"].as_str().unwrap_or(""));
    let (code, renamed) = app
        .send_json(
            reqwest::Method::PUT,
            &own_path,
            &boss,
            &with(json!({ "name": "Tag VIP clients", "enabled": false })),
        )
        .await;
    assert_eq!(code, 200, "{renamed}");
    assert_eq!(
        (renamed["name"].as_str(), renamed["enabled"].as_bool()),
        (Some("Tag VIP clients"), Some(false))
    );
    let gone = app
        .client
        .delete(app.url(&own_path))
        .bearer_auth(&boss)
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.status(), 204);
    let (code, _) = app
        .send_json(reqwest::Method::PUT, &own_path, &boss, &base)
        .await;
    assert_eq!(code, 404);
    assert!(app.wait_for_events("rule.deleted", 1).await >= 1);

    // The dry run: a message in hours and one after hours, then the rule.
    floor.writes("o_dry", 51, "早晨").await;
    floor.later(10 * HOUR).await;
    floor.writes("o_dry", 52, "晚上好").await;
    let (code, dry) = post(
        &floor.desk.app,
        "/api/v1/rules/dry-run",
        &floor.desk.admin,
        &json!({
            "name": "After hours",
            "team": floor.desk.team_a,
            "trigger": { "kind": "message_received" },
            "conditions": { "hours": "out_of_hours" },
            "actions": [{ "kind": "auto_reply", "text_en": "We are closed." }]
        }),
    )
    .await;
    assert_eq!(code, 200, "{dry}");
    let hits = dry["hits"].as_array().cloned().unwrap_or_default();
    assert_eq!(hits.len(), 1, "{dry}");
    assert!(hits[0]["why"]
        .as_str()
        .unwrap_or_default()
        .contains("outside business hours (Loans"));
    assert_eq!(hits[0]["actions"], json!(["reply “We are closed.”"]));
    assert!(dry["examined"].as_i64().unwrap_or_default() >= 2);
    // Nothing was sent by the dry run.
    assert!(floor.texts_to("o_dry").is_empty());
}

/// Two nodes on one database, each with its own connections, rules engine
/// and job worker, run side by side while the clock jumps across an
/// evening in ten-minute steps: each out-of-hours reply goes out once and
/// the overflow happens once.
async fn two_nodes_act_once_across_an_evening(backend: Backend) {
    let floor = floor(backend).await;
    let admin = floor.desk.admin.clone();
    floor
        .rule(
            &admin,
            json!({
                "name": "After hours", "team": floor.desk.team_a,
                "trigger": { "kind": "message_received" },
                "conditions": { "hours": "out_of_hours" },
                "actions": [{ "kind": "auto_reply", "text_en": "We are closed until {opens_at}." }]
            }),
        )
        .await;
    floor
        .rule(
            &admin,
            json!({
                "name": "Overflow", "team": floor.desk.team_a,
                "trigger": { "kind": "no_agent_reply", "minutes": 30 },
                "conditions": { "hours": "in_hours" },
                "actions": [{ "kind": "transfer", "team": floor.desk.team_b }]
            }),
        )
        .await;
    let app = &floor.desk.app;
    let floor_ref = &floor;
    let store = harbour_server::store::Store::connect(&app.db.url, &Default::default())
        .await
        .expect("the second node's connections");
    let other = Automator::new(store.clone(), app.clock.clone());
    let handlers = harbour_server::startup::job_handlers(
        &store,
        &std::sync::Arc::new(harbour_server::secrets::SecretBox::new(&KEY)),
        &app.clock,
        &app.db.data_dir(),
        &app.exports,
    )
    .expect("handlers");
    let other_worker = Worker::new(store, app.clock.clone(), handlers);
    let both = || async {
        for _ in 0..3 {
            let (a, b) = tokio::join!(
                async { while floor_ref.automator.pass().await.expect("node 1") > 0 {} },
                async { while other.pass().await.expect("node 2") > 0 {} }
            );
            let _ = (a, b);
            let (a, b) = tokio::join!(floor_ref.worker.run_once(), other_worker.run_once());
            a.expect("worker 1");
            b.expect("worker 2");
        }
    };

    // 17:20: a client writes and nobody answers; 18:00 closes the desk.
    floor.desk.app.clock.advance(8 * HOUR + 20 * MINUTE);
    push(&floor.desk.app, &floor.desk.path_a, "o_late", 61, "有人嗎").await;
    for step in 0..96 {
        if step == 8 {
            // 18:40: two clients write after hours, twice each.
            for (n, from) in [(62, "o_evening1"), (64, "o_evening2")] {
                for k in 0..2 {
                    push(&floor.desk.app, &floor.desk.path_a, from, n + k, "Hello?").await;
                    use wechat::clock::Clock;
                    floor.desk.fake.record_follower_message(
                        &AppId::new(APP_A),
                        &OpenId::new(from),
                        floor.desk.fake.clock().now(),
                    );
                }
            }
        }
        both().await;
        floor.desk.app.clock.advance(10 * MINUTE);
    }

    let mut floor = floor;
    floor.desk.admin = floor.desk.app.admin_token().await;
    for from in ["o_evening1", "o_evening2"] {
        let sent = floor.texts_to(from);
        assert_eq!(sent.len(), 1, "{from}: {sent:?}");
        assert!(sent[0].starts_with("We are closed until "), "{sent:?}");
    }
    let moved: Vec<MessageView> = floor
        .automated("o_late")
        .await
        .into_iter()
        .filter(|m| m.kind == "transferred")
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert!(
        floor.texts_to("o_late").is_empty(),
        "in hours then: no reply"
    );
}
