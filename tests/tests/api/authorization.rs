//! Every endpoint, asked by every role and by nobody: who gets in.

use harbour_tests::{on_both_backends, spawn_app, Backend};
use serde_json::{json, Value};
use shared::Role;

on_both_backends!(every_endpoint_admits_exactly_the_roles_it_should);

/// (method, path, body, roles allowed, success status)
type Case<'a> = (&'a str, String, Option<Value>, &'a [Role], u16);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    As(Role),
}

async fn every_endpoint_admits_exactly_the_roles_it_should(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut tokens = vec![
        (Who::Nobody, String::new()),
        (Who::As(Role::Admin), admin.clone()),
    ];
    for role in [Role::Agent, Role::Supervisor, Role::Compliance] {
        tokens.push((Who::As(role), app.user_with_role(&admin, role, &[]).await.1));
    }
    let (target, _) = app.user_with_role(&admin, Role::Agent, &[]).await;
    let user_path = format!("/api/v1/users/{}", target.id);
    let password_path = format!("{user_path}/password");

    let admin_only = [Role::Admin].as_slice();
    let audit = [Role::Admin, Role::Compliance].as_slice();
    let everyone = Role::ALL.as_slice();
    // Everyone who works conversations; compliance only reads.
    let workers = [Role::Agent, Role::Supervisor, Role::Admin].as_slice();
    let channel_readers = [Role::Admin, Role::Supervisor].as_slice();
    // (method, path, body, roles allowed, success status)
    let cases: Vec<Case> = vec![
        ("GET", "/api/v1/me".into(), None, everyone, 200),
        (
            "PUT",
            "/api/v1/me/language".into(),
            Some(json!({ "language": "zh-HK" })),
            everyone,
            200,
        ),
        ("GET", "/api/v1/users".into(), None, admin_only, 200),
        ("GET", user_path.clone(), None, admin_only, 200),
        (
            "PATCH",
            user_path.clone(),
            Some(json!({ "name": "Renamed" })),
            admin_only,
            200,
        ),
        (
            "POST",
            password_path,
            Some(json!({ "password": "another long password" })),
            admin_only,
            204,
        ),
        ("GET", "/api/v1/teams".into(), None, everyone, 200),
        // The calendar: everyone reads it; admins (and a team's supervisors,
        // tested in calendar.rs) change it. No such team, holiday or closure.
        ("GET", "/api/v1/holidays".into(), None, everyone, 200),
        (
            "POST",
            "/api/v1/holidays".into(),
            Some(json!({ "date": "2099-12-31", "name": "Test day", "name_zh": "測試日" })),
            admin_only,
            201,
        ),
        (
            "DELETE",
            "/api/v1/holidays/2099-01-01".into(),
            None,
            admin_only,
            404,
        ),
        ("GET", "/api/v1/holidays.ics".into(), None, everyone, 200),
        // A JSON body is not a calendar: refused once past the role check.
        (
            "POST",
            "/api/v1/holidays/import".into(),
            Some(json!({})),
            admin_only,
            422,
        ),
        // Automation rules: admins write any, supervisors their teams'
        // (tested in automation.rs), compliance reads, agents do not see them.
        (
            "GET",
            "/api/v1/rules".into(),
            None,
            &[Role::Admin, Role::Supervisor, Role::Compliance],
            200,
        ),
        (
            "POST",
            "/api/v1/rules".into(),
            Some(json!({ "name": "Matrix", "trigger": { "kind": "resolved" },
                         "actions": [{ "kind": "label", "label": "done" }] })),
            admin_only,
            201,
        ),
        (
            "POST",
            "/api/v1/rules/dry-run".into(),
            Some(json!({ "name": "Matrix", "trigger": { "kind": "resolved" },
                         "actions": [{ "kind": "label", "label": "done" }] })),
            admin_only,
            200,
        ),
        (
            "PUT",
            format!("/api/v1/rules/{}", uuid::Uuid::new_v4()),
            Some(json!({ "name": "Matrix", "trigger": { "kind": "resolved" },
                         "actions": [{ "kind": "label", "label": "done" }] })),
            &[Role::Admin, Role::Supervisor],
            404,
        ),
        (
            "DELETE",
            format!("/api/v1/rules/{}", uuid::Uuid::new_v4()),
            None,
            &[Role::Admin, Role::Supervisor],
            404,
        ),
        // SLA policies: admins write any, supervisors their teams' (tested
        // in sla.rs), compliance reads, agents see SLAs on conversations only.
        (
            "GET",
            "/api/v1/sla-policies".into(),
            None,
            &[Role::Admin, Role::Supervisor, Role::Compliance],
            200,
        ),
        (
            "POST",
            "/api/v1/sla-policies".into(),
            Some(json!({ "name": "Matrix", "first_response_minutes": 15 })),
            admin_only,
            201,
        ),
        (
            "PUT",
            format!("/api/v1/sla-policies/{}", uuid::Uuid::new_v4()),
            Some(json!({ "name": "Matrix", "first_response_minutes": 15 })),
            &[Role::Admin, Role::Supervisor, Role::Compliance],
            404,
        ),
        (
            "DELETE",
            format!("/api/v1/sla-policies/{}", uuid::Uuid::new_v4()),
            None,
            &[Role::Admin, Role::Supervisor, Role::Compliance],
            404,
        ),
        ("GET", "/api/v1/closures".into(), None, everyone, 200),
        (
            "POST",
            "/api/v1/closures".into(),
            Some(json!({ "reason": "typhoon", "teams": [uuid::Uuid::new_v4()] })),
            admin_only,
            404,
        ),
        (
            "POST",
            format!("/api/v1/closures/{}/end", uuid::Uuid::new_v4()),
            None,
            &[Role::Admin, Role::Supervisor],
            404,
        ),
        (
            "GET",
            format!("/api/v1/teams/{}/hours", uuid::Uuid::new_v4()),
            None,
            everyone,
            404,
        ),
        (
            "PUT",
            format!("/api/v1/teams/{}/hours", uuid::Uuid::new_v4()),
            Some(json!({ "weekly": [[], [], [], [], [], [], []] })),
            admin_only,
            404,
        ),
        (
            "GET",
            format!("/api/v1/teams/{}/status", uuid::Uuid::new_v4()),
            None,
            everyone,
            404,
        ),
        (
            "PUT",
            format!(
                "/api/v1/teams/{}/exceptions/2026-12-24",
                uuid::Uuid::new_v4()
            ),
            Some(json!({ "date": "2026-12-24", "closed": true })),
            admin_only,
            404,
        ),
        (
            "DELETE",
            format!(
                "/api/v1/teams/{}/exceptions/2026-12-24",
                uuid::Uuid::new_v4()
            ),
            None,
            admin_only,
            404,
        ),
        // A team's WeCom messages: admins (there is no such team).
        (
            "PUT",
            format!("/api/v1/teams/{}/messages", uuid::Uuid::new_v4()),
            Some(json!({ "welcome_text": "Hi" })),
            admin_only,
            404,
        ),
        // Auto-assignment: the roster for those who run the floor or audit
        // it; everyone says whether they take conversations; admins (and a
        // supervisor for their own team: none here) choose a team's method.
        (
            "GET",
            "/api/v1/agents".into(),
            None,
            &[Role::Admin, Role::Supervisor, Role::Compliance],
            200,
        ),
        (
            "GET",
            "/api/v1/floor".into(),
            None,
            &[Role::Admin, Role::Supervisor, Role::Compliance],
            200,
        ),
        (
            "PUT",
            "/api/v1/me/availability".into(),
            Some(json!({ "availability": "away" })),
            everyone,
            200,
        ),
        (
            "PUT",
            format!("/api/v1/teams/{}/assignment", uuid::Uuid::new_v4()),
            Some(json!({ "assignment": "round_robin" })),
            admin_only,
            404,
        ),
        ("GET", "/api/v1/events".into(), None, audit, 200),
        ("GET", "/api/v1/audit/verify".into(), None, audit, 200),
        ("GET", "/api/v1/conversations".into(), None, everyone, 200),
        (
            "GET",
            "/api/v1/search?q=%E9%82%84%E6%AC%BE".into(),
            None,
            everyone,
            200,
        ),
        ("GET", "/api/v1/canned-responses".into(), None, workers, 200),
        (
            "POST",
            "/api/v1/canned-responses".into(),
            Some(json!({ "shortcut": "hi", "title": "Hi", "body": "Hello {{contact.name}}" })),
            workers,
            201,
        ),
        (
            "POST",
            "/api/v1/conversations/bulk".into(),
            Some(json!({ "ids": ["none"], "action": "resolve" })),
            workers,
            200,
        ),
        ("GET", "/api/v1/channels".into(), None, channel_readers, 200),
        // WeCom Customer Service: connecting is for admins (this body is
        // refused for its corpid); the accounts of an estate that does not
        // exist.
        (
            "POST",
            "/api/v1/channels/wecom-kf".into(),
            Some(
                json!({ "name": "KF", "corp_id": "not a corpid!", "corp_secret": "s", "encoding_aes_key": "k" }),
            ),
            admin_only,
            422,
        ),
        (
            "GET",
            format!("/api/v1/channels/{}/kf-accounts", uuid::Uuid::new_v4()),
            None,
            channel_readers,
            404,
        ),
        (
            "POST",
            format!(
                "/api/v1/channels/{}/kf-accounts/refresh",
                uuid::Uuid::new_v4()
            ),
            None,
            admin_only,
            404,
        ),
        (
            "PUT",
            format!(
                "/api/v1/channels/{}/kf-accounts/wkAccount",
                uuid::Uuid::new_v4()
            ),
            Some(json!({ "team": null })),
            admin_only,
            404,
        ),
        // Replying with a file and taking a WeCom session back: those who
        // work conversations (there is no such conversation).
        (
            "POST",
            format!(
                "/api/v1/conversations/{}/files?name=a.pdf",
                uuid::Uuid::new_v4()
            ),
            Some(json!({})),
            workers,
            404,
        ),
        (
            "POST",
            format!(
                "/api/v1/conversations/{}/wecom/take-back",
                uuid::Uuid::new_v4()
            ),
            Some(json!({ "end_session": false })),
            workers,
            404,
        ),
        // Anyone signed in may look a client up; there is none with this id.
        (
            "GET",
            "/api/v1/contacts/by-external-id?system=crm&id=C-404".into(),
            None,
            everyone,
            404,
        ),
        // Who looked at a client: admin and compliance (there is no such client).
        (
            "GET",
            format!("/api/v1/contacts/{}/accesses", uuid::Uuid::new_v4()),
            None,
            audit,
            404,
        ),
        // A client's complete history: admin and compliance (no such client).
        (
            "GET",
            format!("/api/v1/contacts/{}/history", uuid::Uuid::new_v4()),
            None,
            audit,
            404,
        ),
        // Evidence bundles: admin and compliance (no such client or export).
        ("GET", "/api/v1/exports".into(), None, audit, 200),
        (
            "POST",
            "/api/v1/exports".into(),
            Some(
                json!({ "contact": uuid::Uuid::new_v4(), "reason": { "category": "other", "text": "test" } }),
            ),
            audit,
            404,
        ),
        (
            "GET",
            format!("/api/v1/exports/{}", uuid::Uuid::new_v4()),
            None,
            audit,
            404,
        ),
        (
            "GET",
            format!("/api/v1/exports/{}/download", uuid::Uuid::new_v4()),
            None,
            audit,
            404,
        ),
        // Each role's user changes their own password (their sign-in carries on).
        (
            "POST",
            "/api/v1/me/password".into(),
            Some(
                json!({ "current_password": harbour_tests::app::PASSWORD, "new_password": "a different long passphrase" }),
            ),
            everyone,
            200,
        ),
    ];
    for (method, path, body, allowed, success) in &cases {
        for (who, token) in &tokens {
            let mut request = app
                .client
                .request(method.parse().expect("method"), app.url(path));
            if *who != Who::Nobody {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let status = request.send().await.expect("request").status().as_u16();
            let expected = match who {
                Who::Nobody => 401,
                Who::As(role) if allowed.contains(role) => *success,
                Who::As(_) => 403,
            };
            assert_eq!(status, expected, "{method} {path} as {who:?}");
        }
    }

    // Open by design, the same answer for everyone: browsers post CSP reports
    // without credentials; /metrics on the main address needs its own token
    // (HARBOUR_METRICS_TOKEN, unset here), never a user's.
    for (who, token) in &tokens {
        let mut report = app
            .client
            .post(app.url("/api/v1/csp-reports"))
            .header("content-type", "application/csp-report")
            .body(json!({ "csp-report": { "violated-directive": "img-src" } }).to_string());
        let mut metrics = app.client.get(app.url("/metrics"));
        if *who != Who::Nobody {
            report = report.bearer_auth(token);
            metrics = metrics.bearer_auth(token);
        }
        let report = report.send().await.expect("report").status().as_u16();
        assert_eq!(report, 204, "POST /api/v1/csp-reports as {who:?}");
        let metrics = metrics.send().await.expect("metrics").status().as_u16();
        assert_eq!(metrics, 404, "GET /metrics as {who:?}");
        // Portal sign-in is for people not yet signed in: its settings are
        // public, and trading a token needs a configured portal (none here).
        let mut settings = app.client.get(app.url("/api/v1/auth/portal"));
        let mut trade = app
            .client
            .post(app.url("/api/v1/auth/portal"))
            .json(&json!({ "token": "x.y.z" }));
        if *who != Who::Nobody {
            settings = settings.bearer_auth(token);
            trade = trade.bearer_auth(token);
        }
        let settings = settings.send().await.expect("settings").status().as_u16();
        assert_eq!(settings, 200, "GET /api/v1/auth/portal as {who:?}");
        let trade = trade.send().await.expect("trade").status().as_u16();
        assert_eq!(trade, 404, "POST /api/v1/auth/portal as {who:?}");
    }

    // Creating things: each role tries with a distinct name so successes do not collide.
    for (who, token) in &tokens {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let team = app
            .client
            .post(app.url("/api/v1/teams"))
            .bearer_auth(token)
            .json(&json!({ "name": format!("Team {tag}") }))
            .send()
            .await
            .expect("team");
        let user = app
            .client
            .post(app.url("/api/v1/users"))
            .bearer_auth(token)
            .json(&json!({ "email": format!("{tag}@example.com"), "name": "N", "role": "agent", "password": "a long enough password" }))
            .send()
            .await
            .expect("user");
        let expected = match who {
            Who::Nobody => 401,
            Who::As(Role::Admin) => 201,
            Who::As(_) => 403,
        };
        assert_eq!(
            team.status().as_u16(),
            expected,
            "POST /api/v1/teams as {who:?}"
        );
        assert_eq!(
            user.status().as_u16(),
            expected,
            "POST /api/v1/users as {who:?}"
        );
    }
}
