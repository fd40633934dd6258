//! Browser tests: headless Chromium drives the Trunk-built app served by the
//! real server. Each test saves screenshots under `target/screenshots/`.

use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, sign_in};

mod access;
mod accessibility;
mod assignment;
mod automation;
mod calendar;
mod clock;
mod compliance;
mod composer_media;
mod csp;
mod floor;
mod inbox;
mod inbox_scale;
mod keyboard;
mod language;
mod portal;
mod screens;
mod sla;
mod wecom;

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
async fn an_account_with_a_printed_password_chooses_its_own_first() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let admin = app.admin_token().await;
    let (_, me) = app.get_json("/api/v1/me", &admin).await;
    let id = me["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    app.store
        .require_password_change(id)
        .await
        .expect("require a change");
    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser
        .wait_for_text("h1", "Choose your own password")
        .await;
    browser.screenshot("change-password-1366x768").await;
    browser.fill("input[name=current_password]", PASSWORD).await;
    browser
        .fill("input[name=new_password]", "my own long passphrase")
        .await;
    browser
        .fill("input[name=confirm]", "my own long passphrase typo")
        .await;
    browser.click("button[type=submit]").await;
    browser
        .wait_for_text("#confirm-password-error", "not the same")
        .await;
    browser
        .fill("input[name=confirm]", "my own long passphrase")
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text(".current-user", "Ada Admin").await;
    browser.wait_for_text(".live-indicator", "Live").await;
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
    // A team's WeCom welcome is written on the Teams page.
    let admin = app.admin_token().await;
    let team = harbour_tests::desk::create_team(&app, &admin, "Loans 貸款組").await;
    browser.goto(&app.url("/admin/teams")).await;
    browser
        .wait_for_text("#team-messages-team", "Loans 貸款組")
        .await;
    browser
        .fill("#team-welcome", "歡迎！我哋會盡快回覆。Welcome!")
        .await;
    browser
        .click("#team-messages-form button[type=submit]")
        .await;
    browser
        .wait_for_text("#team-messages-form", "messages are saved")
        .await;
    let (_, teams) = app.get_json("/api/v1/teams", &admin).await;
    let saved = teams
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|t| t["id"] == team.id.to_string().as_str())
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        saved["welcome_text"], "歡迎！我哋會盡快回覆。Welcome!",
        "{teams}"
    );
    browser.screenshot("admin-teams-1024x768").await;
    // A reload keeps the session (silent refresh from the cookie).
    browser.goto(&app.url("/no/such/page")).await;
    browser.wait_for_text("main", "not").await;
    browser.screenshot("not-found-1024x768").await;
    browser.close().await;
}

#[tokio::test]
async fn a_wechat_message_appears_live_and_the_reply_reaches_the_follower() {
    use wechat::client::AppSecret;
    use wechat::fake::simulator::{Activity, Simulator, SimulatorConfig};
    use wechat::{AppId, Mode, OpenId, OriginalId};

    let Some(app) = app_with_ui().await else {
        return;
    };
    let fake = std::sync::Arc::new(app.fake_wechat().await);
    let (app_id, secret, token) = (
        "wxb40b40b40b40b40b",
        "browser-secret",
        "browserTokenHarbour1",
    );
    fake.register_app(&AppId::new(app_id), &AppSecret::new(secret));
    let admin = app.admin_token().await;
    let body = serde_json::json!({ "name": "HK Lending 公眾號", "app_id": app_id, "app_secret": secret, "token": token, "mode": "plain", "api_base": fake.base_url() });
    let channel = app.connect_official_account(&admin, &body).await;

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for_text(".current-user", "Ada Admin").await;
    browser.goto(&app.url("/inbox")).await;
    browser.wait_for_text(".live-indicator", "Live").await;
    // New conversations wait in Unassigned until someone claims them.
    browser.click(".queue-link[data-queue=unassigned]").await;

    // A follower writes while the page is open: no reload.
    let follower = OpenId::new("oBrowserFollower00000000001");
    let target = app.url(&channel.callback_path);
    let config = SimulatorConfig::new(
        target,
        OriginalId::new("gh_browser"),
        AppId::new(app_id),
        token,
        "",
        Mode::Plain,
    )
    .fake(fake.clone())
    .clock(app.wechat_clock());
    let simulator = Simulator::new(config).expect("simulator");
    let sent = simulator
        .send(
            &follower,
            Activity::Text("你好，我想問還款日期係幾時？🙏".into()),
        )
        .await
        .expect("push");
    assert!(sent.delivered());
    browser
        .wait_for_text(".conversation-list", "還款日期")
        .await;
    browser.click(".conversation-row").await;
    browser.wait_for_text(".message.in", "還款日期").await;

    browser
        .fill(
            "form.composer textarea[name=text]",
            "收到，請稍等，我幫你查一查。",
        )
        .await;
    browser.click("form.composer button[type=submit]").await;
    browser
        .wait_for_text(".message.out .delivery-state", "Sent")
        .await;
    browser.screenshot("inbox-reply-sent-1366x768").await;
    let received = fake.received(&follower);
    assert_eq!(received.len(), 1, "the follower got the reply exactly once");
    assert_eq!(received[0].text(), Some("收到，請稍等，我幫你查一查。"));

    browser
        .client
        .set_window_size(1024, 768)
        .await
        .expect("resize");
    browser.screenshot("inbox-conversation-1024x768").await;
    browser.close().await;
}

#[tokio::test]
async fn an_admin_connects_an_official_account_and_agents_cannot_open_channels() {
    use fantoccini::Locator;
    use shared::Role;

    let Some(app) = app_with_ui().await else {
        return;
    };
    let admin = app.admin_token().await;
    let (agent, _) = app.user_with_role(&admin, Role::Agent, &[]).await;
    let (app_id, aes_key) = (
        "wx1a2b3c4d5e6f7a8b",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    );

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for_text(".current-user", "Ada Admin").await;
    browser.wait_for("a.nav-link[href='/admin/channels']").await;
    browser.goto(&app.url("/channels")).await;
    browser
        .wait_for_text(".state-empty", "No channels yet")
        .await;
    browser.screenshot("channels-empty-1366x768").await;

    let form = "#official-account-form";
    browser
        .fill(&format!("{form} input[name=name]"), "HK Lending 公眾號")
        .await;
    browser
        .fill(&format!("{form} input[name=app_id]"), app_id)
        .await;
    browser
        .fill(
            &format!("{form} input[name=app_secret]"),
            "0123456789abcdef0123456789abcdef",
        )
        .await;
    browser
        .fill(&format!("{form} input[name=token]"), "harbourFormToken1")
        .await;
    // One character short: the form says so before anything is sent.
    browser
        .fill(
            &format!("{form} input[name=encoding_aes_key]"),
            &aes_key[..42],
        )
        .await;
    browser.click(&format!("{form} button[type=submit]")).await;
    browser
        .wait_for_text("#channel-aes-key-error", "has 42 characters")
        .await;
    browser.screenshot("channels-field-error-1366x768").await;
    for secret in ["app_secret", "token", "encoding_aes_key"] {
        let input = browser
            .wait_for(&format!("{form} input[name={secret}]"))
            .await;
        assert_eq!(
            input.attr("type").await.expect("type").as_deref(),
            Some("password")
        );
        assert_eq!(
            input
                .attr("autocomplete")
                .await
                .expect("autocomplete")
                .as_deref(),
            Some("off")
        );
    }

    browser
        .fill(&format!("{form} input[name=encoding_aes_key]"), aes_key)
        .await;
    browser.click(&format!("{form} button[type=submit]")).await;
    browser.wait_for_text("tbody.channel.is-new", app_id).await;

    // The page shows the same callback URL the API gives, on this origin.
    let (status, channels) = app.get_json("/api/v1/channels", &admin).await;
    assert_eq!(status, 200);
    let channels: Vec<shared::api::Channel> = serde_json::from_value(channels).expect("channels");
    let channel = &channels[0];
    assert_eq!(channel.name, "HK Lending 公眾號");
    assert_eq!(channel.mode, shared::api::CallbackMode::Safe);
    let callback = app.url(&channel.callback_path);
    let shown = browser
        .wait_for("tbody.channel.is-new .callback-url")
        .await
        .text()
        .await
        .expect("callback text");
    assert_eq!(shown, callback);

    // The form is empty again: no secret stays in the page.
    for field in ["name", "app_id", "app_secret", "token", "encoding_aes_key"] {
        let value = browser
            .wait_for(&format!("{form} input[name={field}]"))
            .await
            .prop("value")
            .await
            .expect("value");
        assert_eq!(value.as_deref(), Some(""), "{field} was not cleared");
    }
    browser.wait_for_text(".form-success", "is connected").await;
    browser.screenshot("channels-connected-1366x768").await;

    // Copy answers either way: copied, or (where the browser refuses) how to copy by hand.
    browser.click("tbody.channel.is-new .copy-button").await;
    browser
        .wait_for("tbody.channel.is-new .copy-button:not([data-outcome=idle])")
        .await;

    // Connecting the same account again is refused in the banner.
    browser
        .fill(&format!("{form} input[name=name]"), "Again")
        .await;
    browser
        .fill(&format!("{form} input[name=app_id]"), app_id)
        .await;
    browser
        .fill(&format!("{form} input[name=app_secret]"), "another")
        .await;
    browser
        .fill(&format!("{form} input[name=token]"), "harbourFormToken1")
        .await;
    browser
        .fill(&format!("{form} input[name=encoding_aes_key]"), aes_key)
        .await;
    browser.click(&format!("{form} button[type=submit]")).await;
    browser
        .wait_for_text(".form-error", "That WeChat account is already connected.")
        .await;
    browser.screenshot("channels-refused-1366x768").await;
    browser.close().await;

    // On a tablet, after a reload: the list comes from the server, and a
    // plain-mode account for a team needs no EncodingAESKey.
    let response = app
        .client
        .post(app.url("/api/v1/teams"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "Retail desk" }))
        .send()
        .await
        .expect("create team");
    assert_eq!(response.status(), 201);
    let team: serde_json::Value = response.json().await.expect("team");
    let browser = Browser::start(1024, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for_text(".current-user", "Ada Admin").await;
    browser.goto(&app.url("/admin/channels")).await;
    browser
        .wait_for_text("table.channels-table", "HK Lending 公眾號")
        .await;
    browser
        .fill(&format!("{form} input[name=name]"), "Retail 零售")
        .await;
    browser
        .fill(&format!("{form} input[name=app_id]"), "wxfedcba9876543210")
        .await;
    browser
        .fill(&format!("{form} input[name=app_secret]"), "retail-secret")
        .await;
    // No Token typed: Harbour makes one and shows it this once.
    browser
        .wait_for(&format!("{form} select[name=mode]"))
        .await
        .select_by_value("plain")
        .await
        .expect("choose plain mode");
    let team_id = team["id"].as_str().unwrap_or_default();
    browser
        .wait_for(&format!(
            "{form} select[name=team] option[value='{team_id}']"
        ))
        .await;
    browser
        .wait_for(&format!("{form} select[name=team]"))
        .await
        .select_by_value(team_id)
        .await
        .expect("choose team");
    browser.click(&format!("{form} button[type=submit]")).await;
    let row = browser
        .wait_for_text("tbody.channel.is-new", "wxfedcba9876543210")
        .await;
    assert!(row.contains("Retail desk"), "the team is shown: {row}");
    assert!(row.contains("Plain text"), "the mode is shown: {row}");
    let token = browser
        .wait_for("[data-testid=generated-token]")
        .await
        .text()
        .await
        .expect("the generated token");
    assert_eq!(token.len(), 32, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    browser.screenshot("channels-connected-1024x768").await;
    browser.close().await;

    // An agent has no Channels link and is told the page is for administrators.
    let browser = Browser::start(1024, 768).await;
    sign_in(&browser, &app, &agent.email, PASSWORD).await;
    browser.wait_for_text(".current-user", &agent.name).await;
    let links = browser
        .client
        .find_all(Locator::Css("a[href='/admin/channels']"))
        .await
        .expect("find links");
    assert!(links.is_empty(), "agents see no Channels link");
    browser.goto(&app.url("/channels")).await;
    browser
        .wait_for_text(".state-error", "Only administrators")
        .await;
    browser.screenshot("channels-forbidden-1024x768").await;
    browser.close().await;
}
