//! Admin management of users and teams, and the error body it returns.

use harbour_tests::app::PASSWORD;
use harbour_tests::{on_both_backends, spawn_app, Backend};
use serde_json::{json, Value};
use shared::api::{Team, User};
use shared::Role;

on_both_backends!(
    an_admin_creates_a_user_in_a_team_and_changes_their_role,
    validation_errors_name_the_field_and_duplicates_conflict,
    resetting_a_password_ends_old_sessions,
    the_last_admin_cannot_be_demoted,
);

async fn an_admin_creates_a_user_in_a_team_and_changes_their_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let team: Team = app
        .client
        .post(app.url("/api/v1/teams"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "HK Desk 香港" }))
        .send()
        .await
        .expect("team")
        .json()
        .await
        .expect("team json");
    let (user, _) = app.user_with_role(&admin, Role::Agent, &[team.id]).await;
    assert_eq!(user.teams.len(), 1);
    assert_eq!(user.teams[0].name, "HK Desk 香港");
    let changed: User = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", user.id)))
        .bearer_auth(&admin)
        .json(&json!({ "role": "supervisor", "teams": [] }))
        .send()
        .await
        .expect("patch")
        .json()
        .await
        .expect("user");
    assert_eq!(changed.role, Role::Supervisor);
    assert!(changed.teams.is_empty());
    let (_, teams) = app.get_json("/api/v1/teams", &admin).await;
    assert_eq!(teams[0]["member_count"], 0);
    let (_, users) = app.get_json("/api/v1/users", &admin).await;
    assert_eq!(users.as_array().map(Vec::len), Some(2));
    let kinds = crate::auth::event_kinds(&app).await;
    for kind in ["team.created", "user.created", "user.updated"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

async fn validation_errors_name_the_field_and_duplicates_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let post = |body: Value| {
        app.client
            .post(app.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let cases = [
        (
            json!({ "email": "nope", "name": "N", "role": "agent", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "email": "a@example.com", "name": "  ", "role": "agent", "password": PASSWORD }),
            "name",
        ),
        (
            json!({ "email": "a@example.com", "name": "N", "role": "agent", "password": "short" }),
            "password",
        ),
        (
            json!({ "email": "a@example.com", "name": "N", "role": "agent", "password": PASSWORD, "teams": [uuid::Uuid::new_v4()] }),
            "teams",
        ),
    ];
    for (body, field) in cases {
        let response = post(body).await.expect("post");
        assert_eq!(response.status(), 422);
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["code"], "validation");
        assert_eq!(error["field"], field);
        assert!(
            error["message"].as_str().is_some_and(|m| m.ends_with('.')),
            "{error}"
        );
    }
    // Nothing was half-created by the failed attempts.
    let (_, users) = app.get_json("/api/v1/users", &admin).await;
    assert_eq!(users.as_array().map(Vec::len), Some(1));

    let ok =
        json!({ "email": "Dup@Example.com", "name": "N", "role": "agent", "password": PASSWORD });
    assert_eq!(post(ok.clone()).await.expect("post").status(), 201);
    let again = post(
        json!({ "email": "dup@example.com", "name": "N", "role": "agent", "password": PASSWORD }),
    )
    .await
    .expect("post");
    assert_eq!(again.status(), 409);
    let bad_role = post(
        json!({ "email": "x@example.com", "name": "N", "role": "root", "password": PASSWORD }),
    )
    .await
    .expect("post");
    assert_eq!(bad_role.status(), 400);
    let body: Value = bad_role.json().await.expect("json");
    assert_eq!(body["code"], "bad_request");
    let not_json = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("post");
    assert_eq!(not_json.status(), 400);
}

async fn resetting_a_password_ends_old_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (user, _) = app.user_with_role(&admin, Role::Agent, &[]).await;
    let agent_client = app.new_client();
    assert_eq!(
        app.login_with(&agent_client, &user.email, PASSWORD)
            .await
            .status(),
        200
    );
    let reset = app
        .client
        .post(app.url(&format!("/api/v1/users/{}/password", user.id)))
        .bearer_auth(&admin)
        .json(&json!({ "password": "a brand new passphrase" }))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 204);
    assert_eq!(
        agent_client
            .post(app.url("/api/v1/auth/refresh"))
            .send()
            .await
            .expect("refresh")
            .status(),
        401
    );
    assert_eq!(
        app.login_with(&app.new_client(), &user.email, PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login_with(&app.new_client(), &user.email, "a brand new passphrase")
            .await
            .status(),
        200
    );
}

async fn the_last_admin_cannot_be_demoted(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (_, me) = app.get_json("/api/v1/me", &admin).await;
    let response = app
        .client
        .patch(app.url(&format!(
            "/api/v1/users/{}",
            me["id"].as_str().unwrap_or_default()
        )))
        .bearer_auth(&admin)
        .json(&json!({ "role": "agent" }))
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), 409);
    let (other, _) = app.user_with_role(&admin, Role::Admin, &[]).await;
    let demote_other = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", other.id)))
        .bearer_auth(&admin)
        .json(&json!({ "role": "agent" }))
        .send()
        .await
        .expect("patch");
    assert_eq!(demote_other.status(), 200);
}
