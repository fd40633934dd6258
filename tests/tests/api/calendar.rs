//! The calendar over HTTP (issue 14 §1): a team's hours with a lunch break,
//! a closure that shuts the desk until it ends, an exception, a holiday of
//! an admin's, and who may change them. Time moves by the manual clock.

use harbour_server::calendar::{format_date, local_date};
use harbour_tests::desk::{create_team, post};
use harbour_tests::{on_both_backends, spawn_app, Backend, TestApp};
use serde_json::{json, Value};
use shared::Role;

on_both_backends!(
    hours_closures_exceptions_and_holidays_decide_when_a_team_is_open,
    a_teams_supervisor_sets_its_hours_and_closes_it_and_no_one_else_below_admin,
    holidays_go_out_and_come_back_as_icalendar,
);

const HOUR: i64 = 3_600_000;

async fn status(app: &TestApp, token: &str, team: shared::TeamId) -> Value {
    let (code, status) = app
        .get_json(&format!("/api/v1/teams/{team}/status"), token)
        .await;
    assert_eq!(code, 200, "{status}");
    status
}

async fn delete(app: &TestApp, token: &str, path: &str) -> u16 {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("delete")
        .status()
        .as_u16()
}

/// Moves the clock on by `ms` and signs the admin in again (access tokens
/// last minutes, not hours).
async fn later(app: &TestApp, ms: i64) -> String {
    app.clock.advance(ms);
    app.admin_token().await
}

fn every_day(windows: &[&str]) -> Value {
    json!({ "weekly": vec![windows; 7] })
}

async fn hours_closures_exceptions_and_holidays_decide_when_a_team_is_open(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let team = create_team(&app, &admin, "HK Desk 香港").await.id;
    // The clock starts at 09:00 Hong Kong time on today's date.
    let (today, midnight) = local_date(app.clock.now());
    let tomorrow = today.next_day().expect("a tomorrow");
    let (today, tomorrow) = (format_date(today), format_date(tomorrow));

    // Hong Kong's general holidays were filled in: seventeen in 2026.
    let (_, holidays) = app.get_json("/api/v1/holidays", &admin).await;
    let in_2026 = holidays
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|h| h["date"].as_str().is_some_and(|d| d.starts_with("2026-")))
                .count()
        })
        .unwrap_or_default();
    assert_eq!(in_2026, 17, "{holidays}");
    // Whatever today's real date, this test works on two working days.
    for date in [&today, &tomorrow] {
        delete(&app, &admin, &format!("/api/v1/holidays/{date}")).await;
    }

    // Every day 09:00–12:00 and 13:00–18:00, with a lunch break.
    let hours = format!("/api/v1/teams/{team}/hours");
    for (body, field) in [
        (every_day(&["09:00-12:00", "11:00-13:00"]), "weekly"),
        (every_day(&["9am-5pm"]), "weekly"),
        (json!({ "weekly": [[], [], []] }), "weekly"),
    ] {
        let (code, refused) = app
            .send_json(reqwest::Method::PUT, &hours, &admin, &body)
            .await;
        assert_eq!(
            (code, refused["field"].as_str()),
            (422, Some(field)),
            "{refused}"
        );
    }
    let (code, saved) = app
        .send_json(
            reqwest::Method::PUT,
            &hours,
            &admin,
            &every_day(&["13:00–18:00", "09:00-12:00"]),
        )
        .await;
    assert_eq!(code, 200, "{saved}");
    assert_eq!(saved["weekly"][2], json!(["09:00–12:00", "13:00–18:00"]));

    let open = status(&app, &admin, team).await;
    assert_eq!(
        (&open["open"], &open["until"]),
        (&json!(true), &json!(midnight + 12 * HOUR))
    );
    let admin = later(&app, 3 * HOUR + 30 * 60_000).await; // 12:30
    let lunch = status(&app, &admin, team).await;
    assert_eq!(
        (&lunch["open"], &lunch["because"], &lunch["opens_at"]),
        (
            &json!(false),
            &json!("out_of_hours"),
            &json!(midnight + 13 * HOUR)
        )
    );

    // Typhoon signal 8 at 12:30, to be lowered at 15:00.
    let (code, closure) = post(
        &app,
        "/api/v1/closures",
        &admin,
        &json!({ "reason": "typhoon", "ends_at": midnight + 15 * HOUR,
                 "reply_en": "We are closed for the typhoon.", "reply_zh": "颱風期間暫停服務。" }),
    )
    .await;
    assert_eq!(code, 201, "{closure}");
    let admin = later(&app, HOUR).await; // 13:30
    let closed = status(&app, &admin, team).await;
    assert_eq!(
        (
            &closed["because"],
            &closed["closure"]["reason"],
            &closed["opens_at"]
        ),
        (
            &json!("closure"),
            &json!("typhoon"),
            &json!(midnight + 15 * HOUR)
        )
    );
    // Lowered early, by hand: open again at once; ending it twice is refused.
    let end = format!(
        "/api/v1/closures/{}/end",
        closure["id"].as_str().expect("an id")
    );
    let (code, ended) = post(&app, &end, &admin, &json!({})).await;
    assert_eq!(code, 200, "{ended}");
    assert_eq!(status(&app, &admin, team).await["open"], true);
    let (code, again) = post(&app, &end, &admin, &json!({})).await;
    assert_eq!(
        (code, again["reason"].as_str()),
        (409, Some("closure_ended"))
    );
    let (_, current) = app.get_json("/api/v1/closures", &admin).await;
    assert_eq!(current, json!([]), "no closure in force");

    // Tomorrow is closed by an exception, then by a holiday of the admin's.
    let exception = format!("/api/v1/teams/{team}/exceptions/{tomorrow}");
    let (code, set) = app
        .send_json(
            reqwest::Method::PUT,
            &exception,
            &admin,
            &json!({ "closed": true }),
        )
        .await;
    assert_eq!(code, 200, "{set}");
    let admin = later(&app, 20 * HOUR + 30 * 60_000).await; // tomorrow 10:00
    let shut = status(&app, &admin, team).await;
    assert_eq!(shut["because"], "exception", "{shut}");
    assert_eq!(delete(&app, &admin, &exception).await, 204);
    let holiday = json!({ "date": tomorrow, "name": "Harbour Day", "name_zh": "海港日" });
    let (code, added) = post(&app, "/api/v1/holidays", &admin, &holiday).await;
    assert_eq!(code, 201, "{added}");
    let (code, twice) = post(&app, "/api/v1/holidays", &admin, &holiday).await;
    assert_eq!(
        (code, twice["reason"].as_str()),
        (409, Some("holiday_exists"))
    );
    let festive = status(&app, &admin, team).await;
    assert_eq!(
        (&festive["because"], &festive["holiday"]),
        (&json!("holiday"), &json!("Harbour Day"))
    );
    let (code, refused) = post(
        &app,
        "/api/v1/holidays",
        &admin,
        &json!({ "date": "2026-02-30", "name": "x", "name_zh": "x" }),
    )
    .await;
    assert_eq!((code, refused["field"].as_str()), (422, Some("date")));
}

async fn a_teams_supervisor_sets_its_hours_and_closes_it_and_no_one_else_below_admin(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let desk = create_team(&app, &admin, "Desk A").await.id;
    let other = create_team(&app, &admin, "Desk B").await.id;
    let (_, boss) = app.user_with_role(&admin, Role::Supervisor, &[desk]).await;
    let (_, agent) = app.user_with_role(&admin, Role::Agent, &[desk]).await;
    let body = every_day(&["09:00-18:00"]);
    for (token, team, expected) in [(&boss, desk, 200), (&boss, other, 403), (&agent, desk, 403)] {
        let (code, _) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/teams/{team}/hours"),
                token,
                &body,
            )
            .await;
        assert_eq!(code, expected, "hours of {team}");
    }
    // A supervisor closes their own team, not every team, and not another's.
    for (teams, expected) in [
        (json!([desk]), 201),
        (json!([desk, other]), 403),
        (Value::Null, 403),
    ] {
        let (code, answer) = post(
            &app,
            "/api/v1/closures",
            &boss,
            &json!({ "reason": "black_rainstorm", "teams": teams }),
        )
        .await;
        assert_eq!(code, expected, "{teams}: {answer}");
    }
    let (code, refused) = post(
        &app,
        "/api/v1/closures",
        &admin,
        &json!({ "reason": "other" }),
    )
    .await;
    assert_eq!((code, refused["field"].as_str()), (422, Some("text")));
    // The other team is not closed by the supervisor's closure.
    let (_, saved) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{other}/hours"),
            &admin,
            &every_day(&["00:00-24:00"]),
        )
        .await;
    assert_eq!(saved["weekly"][0], json!(["00:00–24:00"]));
    assert_eq!(status(&app, &agent, other).await["open"], true);
    assert_eq!(status(&app, &agent, desk).await["because"], "closure");
}

/// The holidays export as an iCalendar file and import back: a removed one
/// returns, the rest are kept as they are, and a file that is not a
/// calendar is refused with its field named.
async fn holidays_go_out_and_come_back_as_icalendar(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let response = app
        .client
        .get(app.url("/api/v1/holidays.ics"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("ics");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/calendar")));
    let ics = response.text().await.expect("text");
    assert!(ics.contains("SUMMARY:Lunar New Year's Day"), "{ics}");
    assert_eq!(
        delete(&app, &admin, "/api/v1/holidays/2027-02-09").await,
        204
    );
    let import = |body: String| {
        app.client
            .post(app.url("/api/v1/holidays/import"))
            .bearer_auth(&admin)
            .header("content-type", "text/calendar")
            .body(body)
            .send()
    };
    let imported: Value = import(ics)
        .await
        .expect("import")
        .json()
        .await
        .expect("json");
    assert_eq!(imported["added"][0]["date"], "2027-02-09", "{imported}");
    assert_eq!(imported["added"][0]["name_zh"], "農曆年初四");
    assert_eq!(
        (&imported["unchanged"], &imported["refused"]),
        (&json!(33), &json!([]))
    );
    let refused = import("hello".into()).await.expect("import");
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.expect("json");
    assert_eq!(refused["field"], "calendar");
}
