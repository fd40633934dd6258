//! Sign-in, throttling, refresh-token rotation and reuse, sign-out.

use harbour_server::client_address::TrustedProxies;
use harbour_tests::app::{spawn_app_on, ADMIN_EMAIL, PASSWORD};
use harbour_tests::{on_both_backends, spawn_app, Backend, TestApp, TestDb};
use serde_json::Value;
use shared::api::Session;

on_both_backends!(
    signing_in_returns_a_token_and_an_httponly_refresh_cookie,
    a_wrong_password_gets_a_readable_error_and_is_logged,
    repeated_failures_throttle_the_account,
    guesses_sent_at_once_are_throttled_like_guesses_in_a_row,
    a_stranger_elsewhere_cannot_lock_a_user_out,
    forwarded_for_counts_only_from_a_trusted_proxy,
    ipv6_addresses_are_throttled_by_their_64,
    old_sign_in_attempts_are_pruned,
    a_burst_of_sign_ins_beyond_the_password_checks_gets_429,
    many_failures_from_one_address_throttle_that_address,
    refresh_rotates_and_reuse_revokes_the_family,
    a_session_ends_after_its_absolute_lifetime,
    refresh_and_logout_refuse_another_site,
    logout_revokes_the_refresh_token,
    an_expired_access_token_is_refused_with_token_expired,
    a_deactivated_user_cannot_sign_in_or_refresh,
);

async fn signing_in_returns_a_token_and_an_httponly_refresh_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.starts_with("harbour_refresh="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("; Secure"), "Secure by default: {cookie}");
    let session: Session = response.json().await.expect("session");
    assert_eq!(session.user.email, ADMIN_EMAIL);
    let (status, me) = app.get_json("/api/v1/me", &session.access_token).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], ADMIN_EMAIL);
    // Emails are matched without regard to case or surrounding spaces.
    let again = app
        .login_with(&app.new_client(), "  ADMIN@example.com ", PASSWORD)
        .await;
    assert_eq!(again.status(), 200);
    let kinds = event_kinds(&app).await;
    assert!(
        kinds.iter().filter(|k| *k == "auth.login").count() >= 2,
        "{kinds:?}"
    );
}

async fn a_wrong_password_gets_a_readable_error_and_is_logged(backend: Backend) {
    let app = spawn_app(backend).await;
    for (email, password) in [
        (ADMIN_EMAIL, "wrong password!!"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ] {
        let response = app.login_with(&app.client, email, password).await;
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["message"], "The email or password is not correct.");
    }
    let kinds = event_kinds(&app).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "auth.login_failed").count(),
        2,
        "{kinds:?}"
    );
}

async fn repeated_failures_throttle_the_account(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..5 {
        assert_eq!(
            app.login_with(&app.client, ADMIN_EMAIL, "wrong password!!")
                .await
                .status(),
            401
        );
    }
    // Even the right password is refused while throttled.
    let response = app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "too_many_requests");
    // The window passes.
    app.clock.advance(16 * 60 * 1000);
    assert_eq!(
        app.login_with(&app.client, ADMIN_EMAIL, PASSWORD)
            .await
            .status(),
        200
    );
}

/// Ten wrong guesses sent at the same moment: the attempt counts before the
/// slow password check, so no more than five are ever evaluated.
async fn guesses_sent_at_once_are_throttled_like_guesses_in_a_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let guesses = (0..10).map(|_| app.login_with(&app.client, ADMIN_EMAIL, "wrong password!!"));
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(evaluated <= 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [401, 429].contains(s)),
        "{statuses:?}"
    );
    let kinds = event_kinds(&app).await;
    assert!(
        kinds.iter().filter(|k| *k == "auth.login_failed").count() <= 5,
        "{kinds:?}"
    );
}

async fn login_from(app: &TestApp, address: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", address)
        .json(&serde_json::json!({ "email": ADMIN_EMAIL, "password": password }))
        .send()
        .await
        .expect("login")
}

/// Behind a trusted proxy, five wrong guesses from one address throttle
/// that address for this account, not the account everywhere.
async fn a_stranger_elsewhere_cannot_lock_a_user_out(backend: Backend) {
    let app = spawn_app_on(TestDb::new(backend).await, |config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").expect("proxies");
    })
    .await;
    for _ in 0..5 {
        let guess = login_from(&app, "203.0.113.66", "wrong password!!").await;
        assert_eq!(guess.status(), 401);
    }
    assert_eq!(
        login_from(&app, "203.0.113.66", PASSWORD).await.status(),
        429
    );
    assert_eq!(
        login_from(&app, "198.51.100.10", PASSWORD).await.status(),
        200,
        "the user, at their own desk"
    );
}

/// An IPv6 subscriber holds a whole /64: its addresses share one throttle.
async fn ipv6_addresses_are_throttled_by_their_64(backend: Backend) {
    let app = spawn_app_on(TestDb::new(backend).await, |config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").expect("proxies");
    })
    .await;
    for i in 1..=5 {
        let guess = login_from(&app, &format!("2001:db8:1:2::{i:x}"), "wrong password!!").await;
        assert_eq!(guess.status(), 401);
    }
    assert_eq!(
        login_from(&app, "2001:db8:1:2:ffff::99", PASSWORD)
            .await
            .status(),
        429
    );
    assert_eq!(
        login_from(&app, "2001:db8:1:3::1", PASSWORD).await.status(),
        200
    );
}

/// Without a trusted proxy, X-Forwarded-For is anyone's to write: changing
/// it does not escape the throttle.
async fn forwarded_for_counts_only_from_a_trusted_proxy(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..5 {
        let guess = login_from(&app, &format!("203.0.113.{i}"), "wrong password!!").await;
        assert_eq!(guess.status(), 401);
    }
    assert_eq!(
        login_from(&app, "198.51.100.10", PASSWORD).await.status(),
        429
    );
}

/// When every password check is busy the answer is 429 with Retry-After,
/// at once, instead of queueing ~19 MiB per sign-in.
async fn a_burst_of_sign_ins_beyond_the_password_checks_gets_429(backend: Backend) {
    let app = spawn_app_on(TestDb::new(backend).await, |config| {
        config.max_password_checks = 0;
    })
    .await;
    let busy = app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(busy.status(), 429);
    assert_eq!(
        busy.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
}

/// Attempts older than the window are forgotten, not kept for ever.
async fn old_sign_in_attempts_are_pruned(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..3 {
        app.login_with(&app.client, ADMIN_EMAIL, "wrong password!!")
            .await;
    }
    let count = || async {
        app.db
            .query::<(i64,)>("SELECT COUNT(*) FROM login_failures")
            .await[0]
            .0
    };
    assert!(count().await >= 3);
    let window = harbour_server::routes::THROTTLE_WINDOW_MS;
    let kept = app
        .store
        .prune_login_failures(app.clock.now() - window)
        .await;
    assert_eq!(kept.ok(), Some(0), "recent attempts still count");
    app.clock.advance(window + 1);
    let pruned = app
        .store
        .prune_login_failures(app.clock.now() - window)
        .await
        .expect("prune");
    assert!(pruned >= 3);
    assert_eq!(count().await, 0);
}

async fn many_failures_from_one_address_throttle_that_address(backend: Backend) {
    let app = spawn_app(backend).await;
    // Different accounts each time, so only the per-address limit can trip.
    for i in 0..20 {
        let response = app
            .login_with(
                &app.client,
                &format!("guess{i}@example.com"),
                "wrong password!!",
            )
            .await;
        assert_eq!(response.status(), 401, "attempt {i}");
    }
    let response = app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(response.status(), 429);
    app.clock.advance(16 * 60 * 1000);
    assert_eq!(
        app.login_with(&app.client, ADMIN_EMAIL, PASSWORD)
            .await
            .status(),
        200
    );
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    let first_cookie = set_cookie_value(&login);
    // A client that keeps the old cookie, like a thief would.
    let thief = reqwest::Client::new();
    let refreshed = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .expect("refresh");
    assert_eq!(refreshed.status(), 200);
    let second_cookie = set_cookie_value(&refreshed);
    assert_ne!(first_cookie, second_cookie, "the refresh token rotates");
    let session: Session = refreshed.json().await.expect("session");
    assert_eq!(
        app.get_json("/api/v1/me", &session.access_token).await.0,
        200
    );

    // A second tab that refreshed at the same moment with the same cookie
    // is not a thief: it gets a session, and nothing is revoked.
    let other_tab = thief
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("harbour_refresh={first_cookie}"))
        .send()
        .await
        .expect("other tab");
    assert_eq!(other_tab.status(), 200, "within the grace");
    assert!(
        other_tab.headers().get("set-cookie").is_none(),
        "an access token, but no new refresh token: the copy gains nothing lasting"
    );
    // Later, the old token coming back is reuse.
    app.clock.advance(11_000);
    let reuse = thief
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("harbour_refresh={first_cookie}"))
        .send()
        .await
        .expect("reuse");
    assert_eq!(reuse.status(), 401);
    // The reuse ended the whole family, including the legitimate newer token.
    let after = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .expect("refresh");
    assert_eq!(after.status(), 401);
    assert!(event_kinds(&app)
        .await
        .contains(&"auth.refresh_reused".to_string()));
}

/// However often it is refreshed, a sign-in ends after the absolute
/// lifetime (12 h by default).
async fn a_session_ends_after_its_absolute_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    let refresh = || async {
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .send()
            .await
            .expect("refresh")
    };
    for _ in 0..11 {
        app.clock.advance(3_600_000);
        assert_eq!(refresh().await.status(), 200);
    }
    let last = refresh().await;
    let cookie = last
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.contains("Max-Age=3600"),
        "the cookie ends with the session: {cookie}"
    );
    app.clock.advance(3_600_000);
    assert_eq!(refresh().await.status(), 401, "12 hours after signing in");
}

/// Refresh and sign-out act on the cookie alone: a request another site
/// makes the browser send is refused, and changes nothing.
async fn refresh_and_logout_refuse_another_site(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    let own = app.url("");
    let own = own.trim_end_matches('/');
    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        for (name, value) in [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            let refused = app
                .client
                .post(app.url(path))
                .header(name, value)
                .send()
                .await
                .expect("post");
            assert_eq!(refused.status(), 403, "{path} with {name}: {value}");
        }
    }
    let allowed = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("origin", own)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("refresh");
    assert_eq!(allowed.status(), 200, "the app itself, origin {own}");
}

async fn logout_revokes_the_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.login_with(&app.client, ADMIN_EMAIL, PASSWORD).await;
    let cookie = set_cookie_value(&login);
    let out = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 204);
    let replay = reqwest::Client::new()
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("harbour_refresh={cookie}"))
        .send()
        .await
        .expect("refresh");
    assert_eq!(replay.status(), 401);
    assert!(event_kinds(&app).await.contains(&"auth.logout".to_string()));
}

async fn an_expired_access_token_is_refused_with_token_expired(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.admin_token().await;
    app.clock.advance(16 * 60 * 1000);
    let (status, body) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "token_expired");
    // The refresh cookie still works and yields a fresh token.
    let refreshed: Session = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .expect("refresh")
        .json()
        .await
        .expect("session");
    assert_eq!(
        app.get_json("/api/v1/me", &refreshed.access_token).await.0,
        200
    );
    let (status, body) = app.get_json("/api/v1/me", "not-a-token").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}

async fn a_deactivated_user_cannot_sign_in_or_refresh(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (user, token) = app.user_with_role(&admin, shared::Role::Agent, &[]).await;
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", user.id)))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "active": false }))
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), 200);
    let (status, body) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("account_disabled"))
    );
    let login = app
        .login_with(&app.new_client(), &user.email, harbour_tests::app::PASSWORD)
        .await;
    assert_eq!(login.status(), 403);
}

fn set_cookie_value(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.strip_prefix("harbour_refresh="))
        .unwrap_or_default()
        .to_owned()
}

pub async fn event_kinds(app: &harbour_tests::TestApp) -> Vec<String> {
    app.store
        .events_after(shared::Seq(0), 10_000)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}
