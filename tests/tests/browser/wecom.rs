//! WeCom Customer Service in the browser: a customer's message arrives
//! live in the agent's queue, the agent's reply reaches the fake customer
//! once, and what a colleague typed in the WeCom client and a recalled
//! message show for what they are. Screenshots at 1366×768.

use serde_json::json;
use wechat::client::CorpSecret;
use wechat::kf::KfCallbackConfig;
use wechat::message::CorpId;

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, create_agent, open_queue, sign_in};

const CORP_ID: &str = "wwb4b4b4b4b4b4b4b4";
const TOKEN: &str = "browserKfTokenHarbour";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

#[tokio::test]
async fn a_wecom_customer_is_answered_live_from_the_inbox() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let admin = app.admin_token().await;
    let team = harbour_tests::desk::create_team(&app, &admin, "WeCom Desk 客服組")
        .await
        .id
        .to_string();
    let amy = create_agent(&app, &admin, "Amy Chan", &team).await;
    let fake = app.fake_wechat().await;
    let corp = CorpId::new(CORP_ID);
    fake.register_corp(&corp, &CorpSecret::new("browser-kf-secret"));
    let account = fake.add_kf_account(&corp, "Harbour 客服");
    let (status, connected) = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/channels/wecom-kf",
            &admin,
            &json!({ "name": "WeCom 微信客服", "corp_id": CORP_ID, "corp_secret": "browser-kf-secret",
                     "token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": fake.base_url(), "team": team }),
        )
        .await;
    assert_eq!(status, 201, "{connected}");
    let path = connected["callback_path"]
        .as_str()
        .expect("a path")
        .to_owned();
    let config = KfCallbackConfig::new(TOKEN, AES_KEY, &corp).expect("config");
    fake.set_kf_callback(&corp, app.url(&path), config);
    let customer = fake.add_kf_customer("陳大文", None);

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, &amy, PASSWORD).await;
    browser.wait_for_text(".live-indicator", "Live").await;
    open_queue(&browser, "unassigned").await;

    // The customer writes in WeChat: pulled, and in the queue live.
    fake.kf_customer_says(&account, &customer, "你好，我想問保單幾時續期？");
    browser
        .wait_for_text(".conversation-list", "保單幾時續期")
        .await;
    browser.click(".conversation-item .conversation-row").await;
    browser.wait_for_text(".message.in", "保單幾時續期").await;

    // Amy answers; the customer gets it once, through kf/send_msg.
    browser
        .fill(
            "form.composer textarea[name=text]",
            "你好！下個月一號續期，我會再提你。",
        )
        .await;
    browser.click("form.composer button[type=submit]").await;
    browser
        .wait_for_text(".message.out .delivery-state", "Sent")
        .await;
    let received = fake.kf_received(&customer);
    assert_eq!(received.len(), 1, "the customer got one reply");
    assert_eq!(
        received[0].text(),
        Some("你好！下個月一號續期，我會再提你。")
    );

    // A colleague answers from the WeCom client; the customer recalls a slip.
    fake.kf_servicer_says(
        &account,
        &customer,
        "zhangsan",
        "我係同事張三，補充一下：可以網上續期。",
    );
    browser
        .wait_for_text(".message.out .message-author", "zhangsan")
        .await;
    let slip = fake.kf_customer_says(&account, &customer, "打錯字");
    browser.wait_for_text(".message.in", "打錯字").await;
    fake.kf_recall(&account, &customer, &slip);
    browser
        .wait_for_text(".message-recalled", "Recalled by the client")
        .await;
    browser.screenshot("wecom-conversation-1366x768").await;

    // A file goes out through WeCom under the name it was chosen with.
    let files = tempfile::tempdir().expect("temp dir");
    let note = files.path().join("contract-note-2026-12.pdf");
    std::fs::write(&note, b"%PDF-1.4\n% Harbour contract note\n").expect("write pdf");
    browser
        .wait_for("form.composer .composer-file-button:enabled")
        .await;
    browser
        .wait_for("form.composer input#composer-file[type=file]")
        .await
        .send_keys(&note.display().to_string())
        .await
        .expect("choose the file");
    browser
        .wait_for_text(
            ".message.out[data-kind=file] .media-file",
            "contract-note-2026-12.pdf",
        )
        .await;
    browser
        .wait_for_text(".message.out[data-kind=file] .delivery-state", "Sent")
        .await;
    let received = fake.kf_received(&customer);
    assert_eq!(
        received.last().map(|r| r.msgtype.as_str()),
        Some("file"),
        "the customer got the file"
    );

    // A colleague takes the session in the WeCom client: the composer says
    // who, and Take back ends their session once Amy agrees to.
    fake.kf_servicer_takes(&account, &customer, "lisi");
    browser
        .wait_for_text(".composer-refusal", "lisi is handling")
        .await;
    browser.click(".take-back-button").await;
    browser.wait_for_text(".dialog-message", "lisi").await;
    browser.screenshot("wecom-take-back-1366x768").await;
    browser.click(".dialog .dialog-confirm").await;
    browser
        .wait_for_text(".composer-refusal", "session with this client has ended")
        .await;
    browser
        .wait_for_text(".timeline", "ended lisi's WeCom session")
        .await;
    assert_eq!(
        fake.kf_session_state(&account, &customer),
        wechat::kf::SessionState::Ended
    );

    // The same conversation in Traditional Chinese.
    let hk = Browser::start_in(1366, 768, "zh-HK").await;
    sign_in(&hk, &app, &amy, PASSWORD).await;
    open_queue(&hk, "unassigned").await;
    hk.click(".conversation-item .conversation-row").await;
    hk.wait_for_text(".composer-refusal", "企業微信對話已結束")
        .await;
    hk.wait_for_text(".message.out[data-kind=file] .media-file", "contract-note")
        .await;
    hk.screenshot("wecom-conversation-zh-HK-1366x768").await;
    hk.close().await;

    // The estate is on the Channels page with its /wechat/kf callback.
    let admin_browser = Browser::start(1366, 768).await;
    sign_in(
        &admin_browser,
        &app,
        harbour_tests::app::ADMIN_EMAIL,
        PASSWORD,
    )
    .await;
    admin_browser.wait_for_text(".live-indicator", "Live").await;
    admin_browser.goto(&app.url("/admin/channels")).await;
    admin_browser.wait_for_text("main", "/wechat/kf/").await;
    // Its accounts: fetched from WeCom, each mapped to a team on the spot.
    admin_browser.click(".kf-accounts .kf-refresh").await;
    admin_browser
        .wait_for_text(".kf-account", "Harbour 客服")
        .await;
    admin_browser
        .wait_for(&format!(".kf-account[data-open-kfid='{account}'] select"))
        .await
        .select_by_value(&team)
        .await
        .expect("choose the team");
    admin_browser.wait_for(".kf-saved").await;
    let (_, listed) = app
        .get_json(
            &format!(
                "/api/v1/channels/{}/kf-accounts",
                connected["id"].as_str().expect("an id")
            ),
            &admin,
        )
        .await;
    assert_eq!(listed[0]["team"], team.as_str(), "{listed}");
    admin_browser.screenshot("channels-wecom-1366x768").await;
    // The form connects an estate too, in WeCom's words.
    admin_browser
        .client
        .execute(
            "document.querySelector('#channel-kind').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .expect("scroll to the form");
    admin_browser
        .wait_for("#channel-kind")
        .await
        .select_by_value("wecom_kf")
        .await
        .expect("choose WeCom");
    admin_browser
        .wait_for_text("label[for=channel-app-id]", "Corp ID")
        .await;
    admin_browser
        .screenshot("channels-connect-wecom-1366x768")
        .await;
    admin_browser.close().await;
    browser.close().await;
}
