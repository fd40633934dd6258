//! Harbour inside the firm's portal: the example portal page on another
//! site frames Harbour, signs the agent in with a token it hands over by
//! `postMessage` (with third-party cookies blocked, as every test browser
//! here is set to), hears the unread count and the current view, and opens
//! a client by their CRM id. A page on a site the allowlist does not name
//! cannot show Harbour at all.

use harbour_server::demo_portal::{router, PortalPerson, PortalSigner};
use harbour_server::portal::{KeySource, PortalConfig};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui_and, client_writes, desk, newest_conversation};
use harbour_tests::TestApp;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use wechat::OpenId;

/// Serves the example portal page (framing `app`) on a port of its own;
/// returns its origin, named `localhost` so it is another site than
/// Harbour's 127.0.0.1.
async fn serve_portal(
    listener: tokio::net::TcpListener,
    app: &TestApp,
    signer: Arc<PortalSigner>,
    email: &str,
) -> String {
    let port = listener.local_addr().expect("address").port();
    let person = PortalPerson {
        subject: "portal-staff-0042".into(),
        email: email.into(),
        name: "Amy Chan".into(),
    };
    let portal = router(&app.address, signer, person, app.clock.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, portal).await;
    });
    format!("http://localhost:{port}")
}

async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
}

/// The text of `css` on the portal page (outside the frame).
async fn portal_text(browser: &Browser, css: &str) -> String {
    let element = browser.wait_for(css).await;
    browser.text_of(&element).await.unwrap_or_default()
}

async fn wait_portal_text(browser: &Browser, css: &str, wanted: impl Fn(&str) -> bool) -> String {
    let mut seen = String::new();
    for _ in 0..100 {
        seen = portal_text(browser, css).await;
        if wanted(&seen) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{css} never became what was wanted; last: {seen:?}");
}

#[tokio::test]
async fn the_portal_signs_the_agent_in_and_opens_a_client_by_crm_id() {
    let (allowed, unlisted) = (listener().await, listener().await);
    let allowed_origin = format!(
        "http://localhost:{}",
        allowed.local_addr().expect("address").port()
    );
    let signer = Arc::new(PortalSigner::generate(&allowed_origin, "harbour").expect("key"));
    let portal = PortalConfig::new(
        &allowed_origin,
        "harbour",
        KeySource::Jwks(signer.jwks()),
        None,
    )
    .expect("portal config");
    let frame_ancestors = allowed_origin.clone();
    let Some(app) = app_with_ui_and(move |config| {
        config.portal = Some(portal);
        config.frame_ancestors = frame_ancestors;
    })
    .await
    else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oPortalFollower00000000000001");
    client_writes(&desk, &follower, "你好，想查詢合約單據。").await;
    // The CRM knows this client as C-2041.
    let admin = app.admin_token().await;
    let newest = newest_conversation(&app, &admin).await;
    let (conversation, contact) = (newest.id, newest.contact_id);
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/contacts/{contact}"),
            &admin,
            &json!({ "external_ids": { "crm": "C-2041" } }),
        )
        .await;
    assert_eq!(status, 200);

    let portal_url = serve_portal(allowed, &app, signer.clone(), &desk.amy).await;
    let browser = Browser::start(1366, 768).await;
    browser.goto(&format!("{portal_url}/")).await;
    // Signed in through the portal: Harbour reports an unread conversation
    // and the view it shows.
    wait_portal_text(&browser, "#unread", |t| t == "1").await;
    wait_portal_text(&browser, "#view", |t| t.starts_with("/inbox")).await;

    // The portal asks for the client by CRM id: Harbour opens their conversation.
    browser
        .fill("#open-contact input[name=client]", "C-2041")
        .await;
    browser.click("#open-contact button").await;
    let wanted = format!("/inbox/{conversation}");
    wait_portal_text(&browser, "#view", |t| t == wanted).await;
    let frame = browser.wait_for("iframe#harbour").await;
    frame.enter_frame().await.expect("enter Harbour's frame");
    browser
        .wait_for_text(".conversation-view, main", "合約單據")
        .await;
    browser
        .client
        .enter_parent_frame()
        .await
        .expect("leave frame");
    browser.screenshot("portal-signed-in-1366x768").await;
    let log = portal_text(&browser, "#log").await;
    assert!(log.contains("harbour.signed_in"), "{log}");
    assert!(
        !log.contains("eyJ"),
        "no token travels back to the portal: {log}"
    );

    // The same page on a site the allowlist does not name shows no Harbour.
    let unlisted_url = serve_portal(unlisted, &app, signer, &desk.amy).await;
    browser.goto(&format!("{unlisted_url}/")).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        portal_text(&browser, "#log").await,
        "",
        "Harbour said nothing"
    );
    let frame = browser.wait_for("iframe#harbour").await;
    frame.enter_frame().await.expect("enter the frame");
    let inside = browser
        .client
        .execute(
            "return document.querySelectorAll('.app-frame, .login-title, #main').length;",
            vec![],
        )
        .await
        .expect("look inside");
    assert_eq!(inside, json!(0), "the browser refused to frame Harbour");
    browser
        .client
        .enter_parent_frame()
        .await
        .expect("leave frame");
    browser.screenshot("portal-unlisted-origin-refused").await;
    browser.close().await;
}
