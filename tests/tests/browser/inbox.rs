//! The shared inbox with two agents of one team in two browsers: claiming,
//! the reply lock and take-over, replies, @mentions, resolving, and a
//! dropped connection that comes back with nothing missing or doubled.
//! Screenshots at 1366×768, 1024×768 and 400 px wide.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{json, Value};
use wechat::OpenId;

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{
    app_with_ui, client_writes, desk, newest_conversation, open_queue, sign_in, wait_gone,
};

/// How many elements match `css` and contain `needle`.
async fn count_with_text(browser: &Browser, css: &str, needle: &str) -> usize {
    let mut count = 0;
    for element in browser
        .client
        .find_all(Locator::Css(css))
        .await
        .expect("find")
    {
        if browser
            .text_of(&element)
            .await
            .unwrap_or_default()
            .contains(needle)
        {
            count += 1;
        }
    }
    count
}

/// Drops the live connection the way a lost network does, or brings it back.
async fn set_online(browser: &Browser, online: bool) {
    let script = format!(
        "Object.defineProperty(navigator, 'onLine', {{ configurable: true, get: () => {online} }});
         window.dispatchEvent(new Event('{}'));",
        if online { "online" } else { "offline" }
    );
    browser
        .client
        .execute(&script, vec![])
        .await
        .expect("toggle network");
}

#[tokio::test]
async fn two_agents_share_a_conversation_live() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oDeskFollower000000000000001");
    client_writes(&desk, &follower, "你好，我想問還款日期係幾時？🙏").await;
    let admin = app.admin_token().await;
    let id = newest_conversation(&app, &admin).await.id;
    let row = format!(".conversation-item[data-id='{id}']");

    let amy = Browser::start(1366, 768).await;
    let ken = Browser::start(1366, 768).await;
    sign_in(&amy, &app, &desk.amy, PASSWORD).await;
    sign_in(&ken, &app, &desk.ken, PASSWORD).await;
    for (browser, name) in [(&amy, "Amy Chan"), (&ken, "Ken Wong")] {
        browser.wait_for_text(".current-user", name).await;
        browser.wait_for_text(".live-indicator", "Live").await;
        open_queue(browser, "unassigned").await;
        browser
            .wait_for_text(".conversation-list", "還款日期")
            .await;
        browser.click(&format!("{row} .conversation-row")).await;
        browser.wait_for_text(".message.in", "還款日期").await;
    }
    // Each sees the other viewing.
    amy.wait_for_text(".presence-viewing", "Ken Wong is viewing")
        .await;
    ken.wait_for_text(".contact-panel", "oDeskFollower").await;
    ken.screenshot("inbox-three-panes-1366x768").await;
    // The header's actions fit one row; the less-used ones wait under More.
    assert_eq!(action_rows(&ken).await, 1, "the actions fit one row");
    ken.click(".more-toggle").await;
    ken.wait_for(".more-toggle[aria-expanded=true]").await;
    let snooze = ken
        .wait_for(".actions-secondary.is-open .action-snooze")
        .await;
    assert!(snooze.is_displayed().await.expect("displayed"));
    ken.screenshot("inbox-more-actions-1366x768").await;
    press(&ken, "\u{E00C}").await;
    wait_gone(&ken, ".actions-secondary.is-open").await;

    // Amy claims: Ken sees it at once.
    amy.click(".action-claim").await;
    ken.wait_for_text(".fact-assignee", "Assigned to Amy Chan")
        .await;
    wait_gone(&ken, ".action-claim").await;
    // It left Unassigned: the queue count goes, and Amy's Mine counts it.
    wait_gone(&ken, ".queue-link[data-queue=unassigned] .queue-count").await;
    amy.wait_for_text(".queue-link[data-queue=mine] .queue-count", "1")
        .await;

    // Amy starts a reply: Ken's reply box locks with her name.
    amy.fill(
        "form.composer textarea[name=text]",
        "收到，請稍等，我幫你查一查。",
    )
    .await;
    ken.wait_for_text(".presence-replying", "Amy Chan is replying")
        .await;
    ken.wait_for("form.composer textarea[name=text]:disabled")
        .await;
    ken.screenshot("inbox-reply-locked-1366x768").await;

    // Amy sends: Ken sees the reply and his box unlocks.
    amy.click("form.composer button[type=submit]").await;
    amy.wait_for_text(".message.out .delivery-state", "Sent")
        .await;
    ken.wait_for_text(".message.out", "我幫你查一查").await;
    ken.wait_for("form.composer textarea[name=text]:enabled")
        .await;
    assert_eq!(
        desk.fake.received(&follower).len(),
        1,
        "the follower got one reply"
    );

    // Amy starts again; Ken takes over, and the timeline says so for both.
    amy.fill(
        "form.composer textarea[name=text]",
        "另外想確認一下你的貸款編號",
    )
    .await;
    ken.wait_for_text(".presence-replying", "Amy Chan is replying")
        .await;
    ken.click(".take-over").await;
    for browser in [&amy, &ken] {
        browser
            .wait_for_text(
                ".message.activity",
                "Ken Wong took over the reply from Amy Chan",
            )
            .await;
    }
    amy.wait_for_text(".presence-replying", "Ken Wong is replying")
        .await;
    amy.screenshot("inbox-taken-over-1366x768").await;

    // Ken replies within 30 s of Amy: he is asked first, then it goes.
    ken.fill("form.composer textarea[name=text]", "我係 Ken，我會跟進。")
        .await;
    ken.click("form.composer button[type=submit]").await;
    ken.wait_for_text(".dialog", "replied to this client moments ago")
        .await;
    ken.screenshot("inbox-recent-reply-confirm-1366x768").await;
    ken.click(".dialog-confirm").await;
    ken.wait_for_text(".message.out", "我會跟進").await;
    amy.wait_for_text(".message.out", "我會跟進").await;

    // A note mentioning Ken, written with the @ menu, lands in his Mentions.
    amy.click(".mode-note").await;
    let note = amy
        .wait_for("form.composer textarea[name=text]:enabled")
        .await;
    note.send_keys("@Ke").await.expect("type");
    amy.wait_for_text(".suggestion-menu", "Ken Wong").await;
    note.send_keys("\u{E007}").await.expect("enter");
    note.send_keys("please check the repayment date 請跟進")
        .await
        .expect("type");
    amy.screenshot("inbox-note-mention-1366x768").await;
    amy.click("form.composer button[type=submit]").await;
    ken.wait_for_text(".message.note .mention", "@Ken Wong")
        .await;
    ken.wait_for_text(".message.note", "Internal note").await;
    open_queue(&ken, "mentions").await;
    ken.wait_for(&row).await;
    ken.screenshot("inbox-mentions-1366x768").await;

    // The connection drops for Ken; the client and Amy write meanwhile.
    set_online(&ken, false).await;
    ken.wait_for_text(".connection-bar", "offline").await;
    client_writes(&desk, &follower, "第二條訊息：我嘅編號係 L-2041").await;
    amy.click(".mode-reply").await;
    amy.wait_for_text(".message.in", "第二條訊息").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ken.screenshot("inbox-offline-1366x768").await;
    set_online(&ken, true).await;
    ken.wait_for_text(".live-indicator", "Live").await;
    ken.wait_for_text(".message.in", "第二條訊息").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        count_with_text(&ken, ".message.in", "第二條訊息").await,
        1,
        "once, not twice"
    );
    assert_eq!(count_with_text(&ken, ".message.in", "還款日期").await, 1);
    assert_eq!(count_with_text(&ken, ".message.note", "請跟進").await, 1);
    assert_eq!(count_with_text(&ken, ".message.out", "我會跟進").await, 1);
    let ids: Vec<Option<String>> = {
        let mut ids = Vec::new();
        for element in ken
            .client
            .find_all(Locator::Css(".message[data-id]"))
            .await
            .expect("find")
        {
            ids.push(element.attr("data-id").await.expect("id"));
        }
        ids
    };
    let unique: std::collections::HashSet<&Option<String>> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no entry shown twice: {ids:?}");

    // Resolving takes it out of the open queues for both.
    open_queue(&amy, "mine").await;
    amy.wait_for(&row).await;
    open_queue(&ken, &format!("team:{}", desk.team)).await;
    ken.wait_for(&row).await;
    amy.click(".action-resolve").await;
    amy.wait_for_text(".status-chip", "Resolved").await;
    wait_gone(&amy, &row).await;
    wait_gone(&ken, &row).await;
    ken.wait_for(".conversation-facts .status-chip[data-status=resolved]")
        .await;
    ken.wait_for(".action-reopen").await;
    ken.screenshot("inbox-resolved-1366x768").await;

    // A tablet: two panes, queues above the list, the contact as a drawer.
    amy.client.set_window_size(1024, 768).await.expect("resize");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The contact column went; the toggle no longer looks pressed.
    amy.wait_for(".contact-toggle[aria-pressed=false]").await;
    assert_eq!(action_rows(&amy).await, 1, "the actions fit one row");
    amy.screenshot("inbox-conversation-1024x768").await;
    amy.click(".contact-toggle").await;
    amy.wait_for(".contact-panel.is-drawer-open").await;
    amy.wait_for(".contact-toggle[aria-pressed=true]").await;
    amy.screenshot("inbox-contact-drawer-1024x768").await;
    amy.click(".contact-close").await;

    // A phone: one pane with a way back.
    amy.client.set_window_size(400, 800).await.expect("resize");
    tokio::time::sleep(Duration::from_millis(500)).await;
    amy.screenshot("inbox-conversation-400").await;
    amy.click(".conversation-back").await;
    amy.wait_for("#queue-select").await;
    amy.screenshot("inbox-list-400").await;

    amy.close().await;
    ken.close().await;
}

/// How many rows the conversation header's visible actions take.
async fn action_rows(browser: &Browser) -> usize {
    let rows = browser
        .client
        .execute(
            "const bar = document.querySelector('.conversation-actions');
             const centres = [...bar.querySelectorAll('button, select')]
               .map(el => el.getBoundingClientRect())
               .filter(box => box.width > 0 && box.height > 0)
               .map(box => box.top + box.height / 2)
               .sort((a, b) => a - b);
             let rows = centres.length ? 1 : 0;
             for (let i = 1; i < centres.length; i++) if (centres[i] - centres[i - 1] > 10) rows++;
             return rows;",
            vec![],
        )
        .await
        .expect("action rows");
    rows.as_u64().unwrap_or_default() as usize
}

async fn press(browser: &Browser, keys: &str) {
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys(keys)
        .await
        .expect("keys");
}

/// The id of the highlighted row (rows redraw as they change, so ask the page).
async fn selected_id(browser: &Browser) -> Option<String> {
    for _ in 0..50 {
        let id = browser
            .client
            .execute(
                "const row = document.querySelector('.conversation-item.is-selected'); return row ? row.dataset.id : null;",
                vec![],
            )
            .await
            .expect("script");
        if let Some(id) = id.as_str() {
            return Some(id.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

#[tokio::test]
async fn an_agent_works_the_inbox_from_the_keyboard() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let followers = [
        ("oKeysFollower00000000000001", "第一位客戶：想問利率"),
        ("oKeysFollower00000000000002", "我想改還款日期 loan L-2041"),
        ("oKeysFollower00000000000003", "Hello, is anyone there? 👋"),
    ];
    for (open_id, text) in followers {
        client_writes(&desk, &OpenId::new(open_id), text).await;
        app.clock.advance(60_000);
    }
    let session: Value = app
        .login_with(&app.new_client(), &desk.amy, PASSWORD)
        .await
        .json()
        .await
        .expect("session");
    let token = session["access_token"].as_str().unwrap_or_default();
    let response = app
        .client
        .post(app.url("/api/v1/canned-responses"))
        .bearer_auth(token)
        .json(&json!({ "shortcut": "thanks", "title": "Thank the client", "body": "多謝你聯絡我哋，我係 {{agent.name}}。" }))
        .send()
        .await
        .expect("canned");
    assert_eq!(response.status(), 201, "canned response saved");

    let amy = Browser::start(1366, 768).await;
    sign_in(&amy, &app, &desk.amy, PASSWORD).await;
    amy.wait_for_text(".live-indicator", "Live").await;
    open_queue(&amy, "unassigned").await;
    amy.wait_for_text(".conversation-list", "Hello, is anyone there")
        .await;

    // j and k walk the list, newest first.
    press(&amy, "j").await;
    amy.wait_for_text(".message.in", "Hello, is anyone there")
        .await;
    let newest = selected_id(&amy).await;
    press(&amy, "j").await;
    amy.wait_for_text(".message.in", "L-2041").await;
    press(&amy, "k").await;
    amy.wait_for_text(".message.in", "Hello, is anyone there")
        .await;
    assert_eq!(selected_id(&amy).await, newest);

    // ? shows the shortcuts; Escape closes them.
    press(&amy, "?").await;
    amy.wait_for_text(".shortcut-help", "Resolve the conversation")
        .await;
    amy.screenshot("inbox-shortcuts-1366x768").await;
    press(&amy, "\u{E00C}").await;
    wait_gone(&amy, ".shortcut-help").await;

    // r focuses the reply; /tha offers the canned response with its variables filled in.
    press(&amy, "r").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let active = amy.client.active_element().await.expect("focus");
    active.send_keys("/tha").await.expect("type");
    amy.wait_for_text(".suggestion-menu", "/thanks").await;
    amy.screenshot("inbox-canned-1366x768").await;
    active.send_keys("\u{E007}").await.expect("enter");
    let value = amy
        .wait_for("form.composer textarea[name=text]")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(value, "多謝你聯絡我哋，我係 Amy Chan。");
    amy.wait_for("form.composer textarea[name=text]")
        .await
        .clear()
        .await
        .expect("clear");

    // The contact: the server's complaint sits under the field it names.
    amy.click(".contact-edit").await;
    amy.fill("#contact-email", "not an email").await;
    amy.click(".contact-form button[type=submit]").await;
    amy.wait_for("#contact-email-error").await;
    amy.screenshot("inbox-contact-error-1366x768").await;
    amy.fill("#contact-email", "wong@example.com").await;
    amy.fill("#contact-name", "黃小明").await;
    amy.fill("#contact-external_ids", "crm = C-10293").await;
    amy.click(".contact-form button[type=submit]").await;
    amy.wait_for_text(".contact-panel", "C-10293").await;
    amy.wait_for_text(".conversation-title-name", "黃小明")
        .await;
    amy.wait_for_text(".conversation-list", "黃小明").await;

    // Search finds a message and opens its conversation at it.
    amy.click(".nav-search").await;
    amy.fill("#search-input", "L-2041").await;
    amy.wait_for_text(".search-results", "L-2041").await;
    amy.screenshot("inbox-search-1366x768").await;
    amy.click(".search-result[data-conversation]").await;
    amy.wait_for_text(".message.is-found", "L-2041").await;

    // e resolves the open conversation.
    amy.click(".timeline").await;
    press(&amy, "e").await;
    amy.wait_for(".conversation-facts .status-chip[data-status=resolved]")
        .await;

    // Tick the other two and resolve them at once. Rows redraw as live
    // changes land (a read, a status), so each is looked up as it is ticked.
    // First the resolved one leaves the list.
    let mut ids = Value::Null;
    for _ in 0..100 {
        ids = amy
            .client
            .execute(
                "return [...document.querySelectorAll('.conversation-item')].map(r => r.dataset.id);",
                vec![],
            )
            .await
            .expect("row ids");
        if ids.as_array().is_some_and(|ids| ids.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for id in ids
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_str)
    {
        let tick = format!(".conversation-item[data-id='{id}'] .row-check input");
        for attempt in 0.. {
            let ticked = match amy.wait_for(&tick).await.click().await {
                Ok(_) => true,
                Err(_) if attempt < 5 => false,
                Err(error) => panic!("tick {id}: {error}"),
            };
            if ticked {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    amy.wait_for_text(".bulk-count", "2 selected").await;
    amy.screenshot("inbox-bulk-1366x768").await;
    amy.click(".bulk-actions .button").await;
    amy.wait_for_text(".bulk-outcome", "Resolved 2 conversations")
        .await;
    wait_gone(&amy, ".conversation-item").await;
    amy.screenshot("inbox-empty-queue-1366x768").await;
    amy.close().await;
}
