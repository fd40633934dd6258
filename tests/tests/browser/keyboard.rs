//! Keyboard only: an agent signs in, opens a conversation, claims it,
//! replies and resolves it without a pointer. Focus is visible at every
//! step, and a dialog keeps focus inside and gives it back when it closes.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use harbour_tests::app::PASSWORD;
use harbour_tests::browser::{Browser, Engine};
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk};
use wechat::OpenId;

const TAB: char = '\u{E004}';
const ENTER: char = '\u{E007}';
const ESCAPE: char = '\u{E00C}';
const SHIFT: char = '\u{E008}';
const CONTROL: char = '\u{E009}';

/// Presses `keys` together (held in order, released in reverse).
async fn chord(browser: &Browser, keys: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    for key in keys {
        actions = actions.then(KeyAction::Down { value: *key });
    }
    for key in keys.iter().rev() {
        actions = actions.then(KeyAction::Up { value: *key });
    }
    browser
        .client
        .perform_actions(actions)
        .await
        .expect("press keys");
    browser
        .client
        .release_actions()
        .await
        .expect("release keys");
}

async fn press(browser: &Browser, key: char) {
    chord(browser, &[key]).await;
}

async fn type_text(browser: &Browser, text: &str) {
    for key in text.chars() {
        press(browser, key).await;
    }
}

/// What has focus, and whether it shows (an outline or a ring); `None`
/// when nothing but the page has it.
const FOCUS: &str = r#"
const el = document.activeElement;
if (!el || el === document.body) return null;
const s = getComputedStyle(el);
const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none');
return { visible: ring, what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} (focus-visible: ${el.matches(':focus-visible')}, outline: ${s.outlineStyle} ${s.outlineWidth})` };
"#;

async fn focused(browser: &Browser) -> Option<(bool, String)> {
    let found = browser.client.execute(FOCUS, vec![]).await.expect("focus");
    let visible = found["visible"].as_bool()?;
    Some((
        visible,
        found["what"].as_str().unwrap_or_default().to_owned(),
    ))
}

async fn focus_is_on(browser: &Browser, css: &str) -> bool {
    browser
        .client
        .execute(
            "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("match")
        .as_bool()
        .unwrap_or(false)
}

/// Tabs forward until `css` has focus, checking that every stop shows it.
async fn tab_to(browser: &Browser, css: &str) {
    for _ in 0..80 {
        if focus_is_on(browser, css).await {
            return;
        }
        press(browser, TAB).await;
        if let Some((visible, what)) = focused(browser).await {
            assert!(visible, "focus on {what} cannot be seen");
        }
    }
    panic!("Tab never reached {css}");
}

#[tokio::test]
async fn an_agent_works_a_conversation_with_the_keyboard_alone() {
    // Firefox over Marionette: synthesized keys do not count as keyboard use
    // for :focus-visible (not even with `browser.display.show_focus_rings`),
    // and an Enter on a button sometimes brings no click, so the walk is
    // judged in Chromium and WebKit.
    if Engine::current() == Engine::Firefox {
        eprintln!("note: the keyboard-only walk runs in Chromium and WebKit");
        return;
    }
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oKeyboardFollower000000000001");
    client_writes(&desk, &follower, "Hello, is my transfer through?").await;

    let browser = Browser::start(1366, 768).await;
    browser.goto(&app.url("/login")).await;
    browser.wait_for("input[name=email]:focus").await;
    type_text(&browser, &desk.amy).await;
    press(&browser, TAB).await;
    type_text(&browser, PASSWORD).await;
    press(&browser, ENTER).await;
    browser.wait_for_text(".live-indicator", "Live").await;

    tab_to(&browser, ".queue-link[data-queue='unassigned']").await;
    press(&browser, ENTER).await;
    browser
        .wait_for(".queue-link[data-queue='unassigned'][aria-current=true]")
        .await;
    tab_to(&browser, ".conversation-row").await;
    press(&browser, ENTER).await;
    browser.wait_for_text(".message.in", "transfer").await;

    // A dialog takes focus, keeps it while tabbing, and gives it back.
    // The row may be drawn anew meanwhile: the same link to the same conversation counts.
    const WHERE: &str =
        "return document.activeElement && document.activeElement.getAttribute('href');";
    let before = browser.client.execute(WHERE, vec![]).await.expect("where");
    assert!(
        before.as_str().is_some_and(|h| h.starts_with("/inbox/")),
        "{before}"
    );
    type_text(&browser, "?").await;
    browser.wait_for(".shortcut-help").await;
    for _ in 0..6 {
        assert!(
            focus_is_on(&browser, ".shortcut-help, .shortcut-help *").await,
            "focus left the dialog: {:?}",
            focused(&browser).await
        );
        press(&browser, TAB).await;
    }
    chord(&browser, &[SHIFT, TAB]).await;
    assert!(focus_is_on(&browser, ".shortcut-help, .shortcut-help *").await);
    press(&browser, ESCAPE).await;
    harbour_tests::browser_desk::wait_gone(&browser, ".shortcut-help").await;
    // Back on the row, and still there once live updates have redrawn it.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        browser.client.execute(WHERE, vec![]).await.expect("where"),
        before,
        "focus went back where it was"
    );

    tab_to(&browser, "button.action-claim").await;
    press(&browser, ENTER).await;
    browser.wait_for("button.action-resolve").await;
    browser.screenshot("keyboard-claimed-1366x768").await;

    // `r` goes to the reply box; Ctrl+Enter sends.
    harbour_tests::browser_desk::wait_gone(&browser, "button.action-claim").await;
    type_text(&browser, "r").await;
    browser.wait_for("#composer-text:focus").await;
    type_text(&browser, "Yes, it arrived this morning.").await;
    chord(&browser, &[CONTROL, ENTER]).await;
    browser
        .wait_for_text(".message.out .delivery-state", "Sent")
        .await;

    tab_to(&browser, "button.action-resolve").await;
    // Space, the other key that presses a button.
    press(&browser, ' ').await;
    browser.wait_for("button.action-reopen").await;
    browser.screenshot("keyboard-resolved-1366x768").await;
    let received = desk.fake.received(&follower);
    assert_eq!(received.len(), 1, "the reply went out once");
    browser.close().await;
}
