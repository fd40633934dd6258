//! The supervisor's floor on a tablet: the team's card shows who waits
//! and for how long; a tap on the longest wait opens the conversation,
//! where the supervisor gives it to Ken; back on the floor Ken's load says
//! so, and a new client shows up live, without a reload; the supervisor
//! gives it to Ken from the floor itself (pick him in its "Give to…" menu,
//! then "Give") and opens Ken's queue with a tap on his name, and sets the
//! team to least-loaded from its card. Portrait too, where today's new
//! conversations open onto the conversations themselves. Ken coming online
//! and going shows on the floor as it happens.

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, sign_in};
use shared::Role;
use wechat::OpenId;

#[tokio::test]
async fn a_supervisor_watches_the_floor_and_hands_the_longest_wait_to_an_agent() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let admin = app.admin_token().await;
    let team: shared::TeamId = desk.team.parse().expect("a team id");
    let (boss, _) = app.user_with_role(&admin, Role::Supervisor, &[team]).await;
    let (_, users) = app.get_json("/api/v1/users", &admin).await;
    let ken = users
        .as_array()
        .and_then(|all| all.iter().find(|u| u["email"] == desk.ken.as_str()))
        .and_then(|u| u["id"].as_str())
        .expect("Ken")
        .to_owned();
    client_writes(
        &desk,
        &OpenId::new("oFloorFollower00000000000001"),
        "請問今日開唔開門？",
    )
    .await;

    let browser = Browser::start(1024, 768).await;
    sign_in(&browser, &app, &boss.email, PASSWORD).await;
    browser.wait_for_text(".live-indicator", "Live").await;
    browser.click("a.nav-link[href='/floor']").await;
    let card = format!(".floor-team[data-team-id='{}']", desk.team);
    browser
        .wait_for_text(&format!("{card} .floor-waiting"), "1")
        .await;
    browser
        .wait_for_text(&format!("{card} .floor-unassigned"), "1")
        .await;
    browser
        .wait_for_text(&format!("tr[data-user-id='{ken}'] .load-figure"), "0 / 10")
        .await;
    browser.screenshot("floor-1024x768").await;

    // The longest wait, a tap away: Ken takes it.
    browser.click(&format!("{card} .floor-wait")).await;
    browser.wait_for_text(".message.in", "開唔開門").await;
    browser.click(".action-assign").await;
    browser
        .click(&format!(".picker-option[data-user='{ken}']"))
        .await;
    browser
        .wait_for_text(".fact-assignee", "Assigned to Ken Wong")
        .await;
    browser.click("a.nav-link[href='/floor']").await;
    browser
        .wait_for_text(&format!("tr[data-user-id='{ken}'] .load-figure"), "1 / 10")
        .await;
    browser
        .wait_for_text(&format!("{card} .floor-unassigned"), "0")
        .await;

    // A new client shows on the floor as it happens.
    client_writes(
        &desk,
        &OpenId::new("oFloorFollower00000000000002"),
        "Hello, anyone there?",
    )
    .await;
    browser
        .wait_for_text(&format!("{card} .floor-waiting"), "2")
        .await;
    browser
        .wait_for_text(&format!("{card} .floor-unassigned"), "1")
        .await;
    browser.screenshot("floor-live-1024x768").await;

    // Giving it away without leaving the floor: the new client goes to Ken.
    browser
        .select(
            &format!("{card} ul.floor-waits > li[data-held='false'] select.floor-reassign"),
            &ken,
        )
        .await;
    // Picking only chooses: the button gives.
    browser
        .click(&format!(
            "{card} ul.floor-waits > li[data-held='false'] button.floor-give"
        ))
        .await;
    browser
        .wait_for_text(&format!("tr[data-user-id='{ken}'] .load-figure"), "2 / 10")
        .await;
    // Ken's queue, a tap on his name away.
    browser
        .click(&format!("tr[data-user-id='{ken}'] .agent-open"))
        .await;
    browser
        .wait_for(&format!(
            "tr[data-queue-of='{ken}'] .agent-queue li:nth-child(2) a"
        ))
        .await;
    browser.screenshot("floor-picked-1024x768").await;
    // The supervisor changes how the team hands out work from the floor.
    browser
        .select(&format!("{card} .floor-method select"), "least_loaded")
        .await;
    assert_eq!(app.wait_for_events("team.assignment", 1).await, 1);
    let (_, teams) = app.get_json("/api/v1/teams", &admin).await;
    let method = teams
        .as_array()
        .and_then(|all| all.iter().find(|t| t["id"] == desk.team.as_str()))
        .map(|t| t["assignment"].clone());
    assert_eq!(method, Some(serde_json::json!("least_loaded")));
    browser.close().await;

    let portrait = Browser::start(768, 1024).await;
    sign_in(&portrait, &app, &boss.email, PASSWORD).await;
    portrait.wait_for_text(".live-indicator", "Live").await;
    portrait.goto(&app.url("/floor")).await;
    portrait
        .wait_for_text(&format!("{card} .floor-waiting"), "2")
        .await;
    portrait.screenshot("floor-768x1024").await;
    // Today's figures open onto the conversations behind them.
    let came_in = format!("{card} .floor-today-figure[data-figure='came_in']");
    portrait
        .wait_for_text(&format!("{came_in} .floor-today-value"), "2")
        .await;
    portrait.click(&format!("{came_in} summary")).await;
    portrait
        .wait_for(&format!("{came_in} .floor-today-items li:nth-child(2) a"))
        .await;
    portrait.screenshot("floor-today-768x1024").await;
    portrait
        .click(&format!("{came_in} .floor-today-items li a"))
        .await;
    portrait.wait_for(".message.in").await;
    portrait.close().await;

    // Ken comes online: the floor hears it over the socket at once (by
    // itself it looks again only once a minute).
    let watcher = Browser::start(1024, 768).await;
    sign_in(&watcher, &app, &boss.email, PASSWORD).await;
    watcher.wait_for_text(".live-indicator", "Live").await;
    watcher.click("a.nav-link[href='/floor']").await;
    let ken_state = format!("tr[data-user-id='{ken}'] .agent-state");
    watcher.wait_for(&format!("{ken_state}-offline")).await;
    let session: serde_json::Value = app
        .login_with(&app.new_client(), &desk.ken, PASSWORD)
        .await
        .json()
        .await
        .expect("Ken's session");
    let token = session["access_token"].as_str().expect("Ken's token");
    let (ken_socket, _, _) = harbour_tests::socket::hello(&app, token, shared::Seq(0)).await;
    watcher.wait_for(&format!("{ken_state}-online")).await;
    drop(ken_socket);
    watcher.wait_for(&format!("{ken_state}-offline")).await;
    watcher.close().await;
}
