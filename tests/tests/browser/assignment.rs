//! Auto-assignment in the app: the admin makes the desk round-robin on the
//! Teams page and sets Amy's capacity on the Users page; a client writes
//! while nobody is signed in; Amy signs in and the conversation is hers at
//! once, the timeline saying which rule gave it and why; she sets herself
//! Away and it goes back to the team.

use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{
    app_with_ui, client_writes, desk, newest_conversation, open_queue, sign_in, wait_gone,
};
use wechat::OpenId;

#[tokio::test]
async fn an_agent_who_comes_online_is_given_the_waiting_client_and_away_hands_it_back() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let admin = app.admin_token().await;
    let (_, users) = app.get_json("/api/v1/users", &admin).await;
    let amy_id = users
        .as_array()
        .and_then(|all| all.iter().find(|u| u["email"] == desk.amy.as_str()))
        .map(|u| u["id"].as_str().unwrap_or_default().to_owned())
        .expect("Amy");

    let browser = Browser::start(1366, 768).await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for(".live-indicator").await;
    browser.goto(&app.url("/admin/teams")).await;
    let team_menu = format!("tr[data-team-id='{}'] .cell-assignment select", desk.team);
    browser
        .wait_for(&team_menu)
        .await
        .select_by_value("round_robin")
        .await
        .expect("choose round-robin");
    browser
        .wait_for_text(".cell-assignment .cell-note", "assignment saved")
        .await;
    browser.screenshot("teams-assignment-1366x768").await;
    browser.goto(&app.url("/admin/users")).await;
    browser
        .wait_for(&format!(
            "tr[data-user-id='{amy_id}'] .cell-capacity select"
        ))
        .await
        .select_by_value("3")
        .await
        .expect("choose a capacity");
    browser
        .wait_for_text(".row-detail", "may now hold 3 conversations")
        .await;
    browser.screenshot("users-capacity-1366x768").await;
    // The admin links Amy to the firm's portal, which knows her by another
    // email; the ID shows under hers.
    let row = format!("tr[data-user-id='{amy_id}']");
    browser.click(&format!("{row} button.user-portal")).await;
    browser
        .fill(&format!("#user-{amy_id}-portal"), "  staff-1042 ")
        .await;
    browser
        .click(".row-detail form.inline-form button[type=submit]")
        .await;
    browser
        .wait_for_text(&format!("{row} .person-portal"), "staff-1042")
        .await;
    browser
        .wait_for_text(".row-detail", "linked to the portal")
        .await;
    browser.screenshot("users-portal-1366x768").await;
    browser.click("#sign-out").await;
    browser.wait_for("input[name=email]").await;

    // Nobody is online: the client waits in the pool.
    let follower = OpenId::new("oAssignFollower0000000000001");
    client_writes(&desk, &follower, "請問今日可以幫我處理還款嗎？").await;
    let id = newest_conversation(&app, &admin).await.id;
    assert_eq!(newest_conversation(&app, &admin).await.assignee, None);

    // Amy signs in: it is hers at once, and says why.
    sign_in(&browser, &app, &desk.amy, PASSWORD).await;
    browser.wait_for_text(".live-indicator", "Live").await;
    browser
        .wait_for_text(".queue-link[data-queue=mine] .queue-count", "1")
        .await;
    open_queue(&browser, "mine").await;
    browser
        .click(&format!(
            ".conversation-item[data-id='{id}'] .conversation-row"
        ))
        .await;
    let line = browser
        .wait_for_text(
            ".message.activity",
            "Auto-assignment assigned this to Amy Chan",
        )
        .await;
    assert!(
        line.contains("round-robin in HK Desk 香港 (1 online)"),
        "{line}"
    );
    browser.wait_for_text("#availability", "Available").await;
    browser.screenshot("assignment-given-1366x768").await;

    // Away: the conversation goes back to the team.
    browser.click("#availability").await;
    browser.wait_for_text("#availability", "Away").await;
    wait_gone(&browser, ".queue-link[data-queue=mine] .queue-count").await;
    browser
        .wait_for_text(".message.activity", "Amy Chan is away")
        .await;
    browser.screenshot("assignment-away-1366x768").await;
    assert_eq!(newest_conversation(&app, &admin).await.assignee, None);
    browser.close().await;
}
