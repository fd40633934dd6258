//! Browser tests: headless Chromium drives the Trunk-built app served by the
//! real server. Each test saves screenshots under `target/screenshots/`.

use harbour_tests::app::{spawn_app_on, ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::{dist_dir, Browser};
use harbour_tests::{Backend, TestApp, TestDb};

async fn app_with_ui() -> Option<TestApp> {
    let dist = dist_dir()?;
    let db = TestDb::new(Backend::Sqlite).await;
    Some(spawn_app_on(db, move |config| config.dist_dir = dist).await)
}

async fn sign_in(browser: &Browser, app: &TestApp, email: &str, password: &str) {
    browser.goto(&app.url("/login")).await;
    browser.fill("input[name=email]", email).await;
    browser.fill("input[name=password]", password).await;
    browser.click("button[type=submit]").await;
}

#[tokio::test]
async fn an_admin_signs_in_creates_a_user_and_signs_out() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let browser = Browser::start(1366, 768).await;
    browser.goto(&app.url("/login")).await;
    browser.wait_for("input[name=email]").await;
    browser.screenshot("login-1366x768").await;

    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for_text(".current-user", "Ada Admin").await;
    browser.wait_for_text(".live-indicator", "Live").await;
    browser.screenshot("shell-1366x768").await;

    browser.goto(&app.url("/admin/users")).await;
    browser
        .wait_for_text("table.users-table", ADMIN_EMAIL)
        .await;
    browser
        .fill("#new-user-form input[name=name]", "陳大文 Chan Tai Man")
        .await;
    browser
        .fill("#new-user-form input[name=email]", "chan@example.com")
        .await;
    browser
        .fill(
            "#new-user-form input[name=password]",
            "a long enough password",
        )
        .await;
    browser.click("#new-user-form button[type=submit]").await;
    browser
        .wait_for_text("table.users-table", "chan@example.com")
        .await;
    browser.screenshot("admin-users-1366x768").await;
    // The user really exists on the server, not only in the page.
    let users = app.store.list_users().await.expect("users");
    assert!(users
        .iter()
        .any(|u| u.email == "chan@example.com" && u.name == "陳大文 Chan Tai Man"));

    browser.click("#sign-out").await;
    browser.wait_for("input[name=email]").await;
    // Signed out means the refresh cookie is gone: a reload stays on sign-in.
    browser.goto(&app.url("/inbox")).await;
    browser.wait_for("input[name=email]").await;
    browser.close().await;
}

#[tokio::test]
async fn a_wrong_password_shows_a_readable_error() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, "not the password").await;
    browser
        .wait_for_text(".form-error", "The email or password is not correct.")
        .await;
    browser.screenshot("login-error-1366x768").await;
    browser.close().await;
}

#[tokio::test]
async fn the_shell_fits_a_tablet_and_unknown_pages_are_friendly() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let browser = Browser::start(1024, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for_text(".current-user", "Ada Admin").await;
    browser.screenshot("shell-1024x768").await;
    browser.goto(&app.url("/admin/teams")).await;
    browser.wait_for("main").await;
    browser.screenshot("admin-teams-1024x768").await;
    // A reload keeps the session (silent refresh from the cookie).
    browser.goto(&app.url("/no/such/page")).await;
    browser.wait_for_text("main", "not").await;
    browser.screenshot("not-found-1024x768").await;
    browser.close().await;
}
