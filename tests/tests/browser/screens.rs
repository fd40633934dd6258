//! Screens: on a phone (390×844) the pages scroll only up and down and no
//! control is cut off at the edge; on a tablet, landscape and portrait
//! (1024×768, 768×1024), every control a finger uses is at least 44 px
//! each way.

use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::{Browser, Engine};
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, open_queue, sign_in};
use wechat::OpenId;

/// The page's width beyond the viewport, in CSS pixels (0: no sideways scroll).
async fn overflow(browser: &Browser) -> i64 {
    browser
        .client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .expect("measure")
        .as_i64()
        .unwrap_or(i64::MAX)
}

/// Controls shown smaller than 44×44 px, described for the failure message.
/// Links inside running text are exempt (WCAG 2.5.5), as are hidden ones;
/// a checkbox counts with its label.
const SMALL_TARGETS: &str = r#"
const small = [];
const controls = document.querySelectorAll(
  'button, a[href], input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab], [role=option]'
);
for (const el of controls) {
  // A control inside its label is as big as the label: clicks on it count.
  const r = (el.tagName === 'INPUT' && el.closest('label') || el).getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  if (getComputedStyle(el).visibility === 'hidden') continue;
  if (el.closest('.visually-hidden, [aria-hidden=true], [inert]')) continue;
  if (el.tagName === 'A' && el.closest('p, li.prose')) continue;
  // Beyond the edge and not in a wide table that scrolls inside its card: cut off.
  const inTableScroll = (node) => {
    for (let p = node.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if ((x === 'auto' || x === 'scroll') && p.querySelector(':scope > table')) return true;
    }
    return false;
  };
  if ((r.right > window.innerWidth + 1 || r.left < -1) && !inTableScroll(el)) {
    small.push(`off-screen: ${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} ${Math.round(r.left)}..${Math.round(r.right)}`);
  } else if (r.width + 0.5 < 44 || r.height + 0.5 < 44) {
    const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '').trim().slice(0, 30);
    small.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} ${Math.round(r.width)}x${Math.round(r.height)} "${name}"`);
  }
}
// Boxes that scroll sideways other than a table's own: the page in disguise.
for (const box of document.querySelectorAll('body *')) {
  const x = getComputedStyle(box).overflowX;
  if ((x === 'auto' || x === 'scroll') && box.scrollWidth > box.clientWidth + 1
      && !box.querySelector(':scope > table')) {
    small.push(`off-screen: ${box.tagName.toLowerCase()}.${[...box.classList].join('.')} scrolls sideways by ${box.scrollWidth - box.clientWidth} px`);
  }
}
return small;
"#;

async fn small_targets(browser: &Browser) -> Vec<String> {
    let found = browser
        .client
        .execute(SMALL_TARGETS, vec![])
        .await
        .expect("measure targets");
    serde_json::from_value(found).unwrap_or_default()
}

#[tokio::test]
async fn phones_never_scroll_sideways_and_tablet_targets_are_44_px() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oScreensFollower0000000000001");
    client_writes(
        &desk,
        &follower,
        "你好，請問我嘅保單幾時到期？Policy HK-2291",
    )
    .await;

    for (width, height, label) in [
        (390, 844, "phone"),
        (1024, 768, "tablet"),
        (768, 1024, "tablet-portrait"),
    ] {
        // Firefox's windows, like Chromium's, are at least 500 px wide, and
        // only Chromium can emulate a phone's viewport over WebDriver.
        if width < 500 && Engine::current() != Engine::Chromium {
            eprintln!(
                "note: {} cannot show a {width} px viewport; the phone is checked in Chromium",
                Engine::current().name()
            );
            continue;
        }
        let browser = Browser::start(width, height).await;
        let size = format!("{width}x{height}");
        browser.goto(&app.url("/login")).await;
        browser.wait_for("input[name=email]").await;
        let viewport = browser
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("viewport");
        assert_eq!(
            viewport,
            serde_json::json!([width, height]),
            "the viewport is the screen's"
        );
        browser.screenshot(&format!("screens-login-{size}")).await;
        let mut pages = vec![(
            "login",
            overflow(&browser).await,
            small_targets(&browser).await,
        )];

        sign_in(&browser, &app, &desk.amy, PASSWORD).await;
        browser.wait_for_text(".live-indicator", "Live").await;
        open_queue(&browser, "unassigned").await;
        browser.wait_for(".conversation-item").await;
        browser.screenshot(&format!("screens-inbox-{size}")).await;
        pages.push((
            "inbox",
            overflow(&browser).await,
            small_targets(&browser).await,
        ));

        browser.click(".conversation-item").await;
        browser.wait_for_text(".message.in", "HK-2291").await;
        browser
            .screenshot(&format!("screens-conversation-{size}"))
            .await;
        pages.push((
            "conversation",
            overflow(&browser).await,
            small_targets(&browser).await,
        ));
        browser.close().await;

        let browser = Browser::start(width, height).await;
        sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
        browser.wait_for_text(".live-indicator", "Live").await;
        browser.goto(&app.url("/admin/users")).await;
        browser.wait_for("table.users-table").await;
        browser
            .screenshot(&format!("screens-admin-users-{size}"))
            .await;
        pages.push((
            "admin users",
            overflow(&browser).await,
            small_targets(&browser).await,
        ));
        browser.goto(&app.url("/admin/automation")).await;
        browser.wait_for("#rule-form").await;
        browser
            .screenshot(&format!("screens-automation-{size}"))
            .await;
        pages.push((
            "automation",
            overflow(&browser).await,
            small_targets(&browser).await,
        ));
        browser.close().await;

        for (page, sideways, found) in pages {
            assert!(
                sideways <= 0,
                "{label} {page}: {sideways} px of sideways scroll"
            );
            let (off_screen, small): (Vec<String>, Vec<String>) =
                found.into_iter().partition(|f| f.starts_with("off-screen"));
            assert!(
                off_screen.is_empty(),
                "{label} {page}: cut off {off_screen:#?}"
            );
            if label != "phone" {
                assert!(small.is_empty(), "{label} {page}: small targets {small:#?}");
            }
        }
    }
}
