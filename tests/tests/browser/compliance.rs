//! The compliance workspace: an officer finds a client by their CRM id,
//! reads their whole history, exports it with a reason, downloads the
//! bundle (an access event), and the bundle's transcript reads well.

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, newest_conversation, sign_in};
use serde_json::json;
use shared::Role;
use std::io::Read;
use wechat::OpenId;

#[tokio::test]
async fn compliance_finds_a_client_reads_the_history_and_exports_it() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oComplianceFollower000000001");
    client_writes(&desk, &follower, "你好，想查合約單據。").await;
    let admin = app.admin_token().await;
    let conversation = newest_conversation(&app, &admin).await;
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/contacts/{}", conversation.contact_id),
            &admin,
            &json!({ "name": "陳大文 Chan Tai Man", "external_ids": { "crm": "C-8841" } }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{}/notes", conversation.id),
            &admin,
            &json!({ "text": "Asked for the March contract notes." }),
        )
        .await;
    assert!(status == 200 || status == 201);
    let (officer, _) = app.user_with_role(&admin, Role::Compliance, &[]).await;

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, &officer.email, PASSWORD).await;
    browser.wait_for(".current-user").await;
    browser.click("a.nav-link[href='/compliance']").await;
    browser.fill("#find-client-query", "C-8841").await;
    browser.click(".find-client button[type=submit]").await;
    browser.wait_for_text(".client-hit-link", "陳大文").await;
    browser.click(".client-hit-link").await;
    browser
        .wait_for_text(".history-list .message.in", "合約單據")
        .await;
    browser
        .wait_for_text(".history-list .note", "March contract notes")
        .await;
    browser.screenshot("compliance-history-1366x768").await;
    let violations = browser.axe_violations().await.unwrap_or_default();
    assert!(violations.is_empty(), "{violations:#?}");

    // A reason is required; then the bundle builds and downloads.
    browser.click(".export-form button[type=submit]").await;
    browser
        .wait_for_text("#export-reason-error", "Say why")
        .await;
    browser.fill("#export-reason", "SFC enquiry 2026/117").await;
    browser.click(".export-form button[type=submit]").await;
    browser
        .wait_for(".export-item[data-status='ready'] .export-download")
        .await;
    browser
        .client
        .execute(
            "document.querySelector('.export-item').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scroll");
    browser.screenshot("compliance-export-ready-1366x768").await;
    browser.click(".export-download").await;
    let downloads = app.wait_for_events("access.export_download", 1).await;
    assert_eq!(downloads, 1, "the download from the page is recorded");

    // The transcript in the bundle, opened from disk as its reader would.
    let session: shared::api::Session = app
        .login_with(&app.new_client(), &officer.email, PASSWORD)
        .await
        .json()
        .await
        .expect("session");
    let (_, exports) = app.get_json("/api/v1/exports", &session.access_token).await;
    let id = exports[0]["id"].as_str().expect("an export").to_owned();
    let bundle = app.export_bundle(&session.access_token, &id).await;
    let dir = app.db.data_dir().join("unzipped");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bundle)).expect("zip");
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("entry");
        let path = dir.join(entry.name());
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        std::fs::write(&path, bytes).expect("write");
    }
    let transcript = dir
        .join("transcript.html")
        .canonicalize()
        .expect("transcript");
    browser
        .goto(&format!("file://{}", transcript.display()))
        .await;
    browser.wait_for_text("h1", "陳大文").await;
    browser.wait_for_text("table", "合約單據").await;
    browser.screenshot("export-transcript-1366x768").await;
    browser.close().await;

    // The workspace in Traditional Chinese, on a tablet.
    let browser = Browser::start_in(1024, 768, "zh-HK").await;
    sign_in(&browser, &app, &officer.email, PASSWORD).await;
    browser.wait_for(".current-user").await;
    browser
        .goto(&app.url(&format!("/compliance/{}", conversation.contact_id)))
        .await;
    browser
        .wait_for_text(".history-list .message.in", "合約單據")
        .await;
    browser.wait_for_text(".export-panel h2", "匯出").await;
    browser
        .screenshot("compliance-history-zh-HK-1024x768")
        .await;
    browser.close().await;
}
