//! Media in an open conversation: an agent sends an image from the composer,
//! chosen, pasted or dropped (checked in the page before it uploads, the
//! typed reply kept; the image is not fetched again as it goes out), and a
//! client's AMR voice note plays in the page. Screenshots at 1366×768.

use std::time::Duration;

use wechat::client::paths;
use wechat::fake::simulator::{sample_picture, sample_voice, Activity};
use wechat::OpenId;

use harbour_tests::app::PASSWORD;
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, client_writes, desk, open_queue, sign_in};

const DRAFT: &str = "稍後再覆你 (draft, not sent yet)";

/// The reply box's current text.
async fn draft(browser: &Browser) -> String {
    browser
        .wait_for("form.composer textarea[name=text]")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

/// Polls `script` (which returns a boolean) until it is true.
async fn wait_until(browser: &Browser, script: &str, what: &str) {
    for _ in 0..100 {
        let done = browser
            .client
            .execute(script, vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what} never happened");
}

/// The `n`th image shows in the timeline, the typed reply is kept, and the
/// follower has received exactly `n` messages, the last an image.
async fn image_went_out(
    browser: &Browser,
    fake: &wechat::fake::FakeWeChat,
    follower: &OpenId,
    n: usize,
    what: &str,
) {
    let showing = format!(
        "return document.querySelectorAll('.message.out[data-kind=image] img.media-image').length === {n};"
    );
    wait_until(browser, &showing, &format!("{what} showing")).await;
    assert_eq!(draft(browser).await, DRAFT, "the typed reply was kept");
    for _ in 0..100 {
        if fake.received(follower).len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received = fake.received(follower);
    assert_eq!(received.len(), n, "{what} went out once");
    assert_eq!(received[n - 1].msgtype, "image");
}

/// No refusal is showing under the composer.
async fn assert_no_composer_error(browser: &Browser) {
    let errors = browser
        .client
        .find_all(fantoccini::Locator::Css(".composer-error"))
        .await
        .expect("find errors");
    assert!(errors.is_empty(), "the earlier refusal is gone");
}

/// Drags a file called `name` of type `kind` over the reply box, firing
/// `events` (`dragenter`, `dragover`, `drop`) in turn.
async fn drag_file(browser: &Browser, events: &[&str], bytes: &[u8], name: &str, kind: &str) {
    let script = "const [events, bytes, name, type] = arguments;
         const area = document.querySelector('form.composer textarea[name=text]');
         const data = new DataTransfer();
         data.items.add(new File([new Uint8Array(bytes)], name, { type }));
         for (const kind of events) {
             area.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true, cancelable: true }));
         }";
    browser
        .client
        .execute(
            script,
            vec![
                serde_json::json!(events),
                serde_json::json!(bytes),
                serde_json::json!(name),
                serde_json::json!(kind),
            ],
        )
        .await
        .expect("drag a file");
}

/// Whether the composer shows itself as a drop target.
async fn drop_target(browser: &Browser) -> bool {
    browser
        .client
        .execute(
            "return !!document.querySelector('form.composer.is-drop-target .composer-drop-hint');",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

#[tokio::test]
async fn an_agent_sends_an_image_and_hears_a_voice_note() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let follower = OpenId::new("oMediaFollower00000000000001");
    client_writes(&desk, &follower, "可唔可以傳張還款收據相俾我？").await;
    let sent = desk
        .simulator
        .send(
            &follower,
            Activity::Voice {
                media: sample_voice(3),
                recognition: None,
            },
        )
        .await
        .expect("push voice");
    assert!(sent.delivered());

    let amy = Browser::start(1366, 768).await;
    sign_in(&amy, &app, &desk.amy, PASSWORD).await;
    amy.wait_for_text(".current-user", "Amy Chan").await;
    amy.wait_for_text(".live-indicator", "Live").await;
    open_queue(&amy, "unassigned").await;
    // The row previews the latest message: the voice note.
    amy.wait_for_text(".conversation-list", "Voice message")
        .await;
    amy.click(".conversation-row").await;
    amy.wait_for_text(".message.in", "還款收據").await;

    // Something typed before the image stays in the reply box throughout.
    amy.fill("form.composer textarea[name=text]", DRAFT).await;
    amy.wait_for("form.composer .attach-image-button:enabled")
        .await;
    amy.screenshot("composer-attach-image-1366x768").await;

    let files = tempfile::tempdir().expect("temp dir");
    let input = "form.composer input#composer-image[type=file]";

    // Checked in the page: too large, or not an image, never uploads.
    let large = files.path().join("scan.png");
    let mut bytes = sample_picture(1).bytes;
    bytes.resize(2 * 1024 * 1024 + 1, 0);
    std::fs::write(&large, &bytes).expect("write large");
    amy.wait_for(input)
        .await
        .send_keys(&large.display().to_string())
        .await
        .expect("choose large");
    amy.wait_for_text(".composer-error", "WeChat takes images up to 2 MB")
        .await;
    let text = files.path().join("notes.png");
    std::fs::write(&text, "not a picture at all").expect("write text");
    amy.wait_for(input)
        .await
        .send_keys(&text.display().to_string())
        .await
        .expect("choose text");
    amy.wait_for_text(".composer-error", "is not a JPG, PNG or GIF image")
        .await;
    amy.screenshot("composer-image-refused-1366x768").await;
    assert!(desk.fake.received(&follower).is_empty(), "nothing went out");

    // WeChat is slow to take it, so the image shows while it is still going out.
    desk.fake
        .delay_next(paths::CUSTOM_SEND, Duration::from_secs(3));
    let picture = files.path().join("receipt.png");
    std::fs::write(&picture, sample_picture(4).bytes).expect("write png");
    amy.wait_for(input)
        .await
        .send_keys(&picture.display().to_string())
        .await
        .expect("choose png");
    let image = ".message.out[data-kind=image]";
    amy.wait_for(&format!("{image} img.media-image")).await;
    wait_until(
        &amy,
        "const img = document.querySelector('.message.out[data-kind=image] img.media-image');
         return !!img && img.complete && img.naturalWidth === 48;",
        "the sent image showing",
    )
    .await;
    // Mark the element: the status changing must not rebuild it (nor fetch the file again).
    let before = amy
        .client
        .execute(
            "const row = document.querySelector('.message.out[data-kind=image]');
             const img = row.querySelector('img.media-image');
             img.harbourMark = true;
             return [img.getAttribute('src'), row.querySelector('.delivery-state').dataset.state];",
            vec![],
        )
        .await
        .expect("mark the image");
    let (src, state) = (before[0].as_str().unwrap_or_default(), before[1].as_str());
    assert!(src.starts_with("blob:"), "a blob URL: {src}");
    assert_ne!(state, Some("sent"), "the image showed before it was sent");
    amy.wait_for_text(&format!("{image} .delivery-state"), "Sent")
        .await;
    let after = amy
        .client
        .execute(
            "const img = document.querySelector('.message.out[data-kind=image] img.media-image');
             return [img.getAttribute('src'), img.harbourMark === true, img.complete, img.naturalWidth,
                     document.querySelectorAll('.message.out[data-kind=image] .media-loading').length];",
            vec![],
        )
        .await
        .expect("the image after");
    assert_eq!(after[0].as_str(), Some(src), "same blob URL once sent");
    assert_eq!(
        after[1].as_bool(),
        Some(true),
        "same <img> element once sent"
    );
    assert_eq!(after[2].as_bool(), Some(true), "still loaded");
    assert_eq!(after[3].as_i64(), Some(48));
    assert_eq!(after[4].as_i64(), Some(0), "no “Loading the file…”");
    assert_eq!(draft(&amy).await, DRAFT, "the typed reply was kept");
    assert_no_composer_error(&amy).await;

    let received = desk.fake.received(&follower);
    assert_eq!(received.len(), 1, "the follower got exactly one message");
    assert_eq!(received[0].msgtype, "image");
    assert!(
        received[0]
            .body
            .pointer("/image/media_id")
            .and_then(|v| v.as_str())
            .is_some_and(|id| !id.is_empty()),
        "an image by media id: {}",
        received[0].body
    );

    // A pasted image is asked about first, then goes out the same way.
    let paste = "const area = document.querySelector('form.composer textarea[name=text]');
         const data = new DataTransfer();
         data.items.add(new File([new Uint8Array(arguments[0])], 'image.png', { type: 'image/png' }));
         const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
         // Firefox leaves a constructed event's clipboardData empty; the
         // page reads the property, so give it the data in every engine.
         Object.defineProperty(paste, 'clipboardData', { value: data });
         area.dispatchEvent(paste);";
    amy.client
        .execute(paste, vec![serde_json::json!(sample_picture(2).bytes)])
        .await
        .expect("paste");
    amy.wait_for_text(".dialog", "Send the pasted image?").await;
    amy.wait_for_text(".dialog", "goes to the client as soon as you send it")
        .await;
    amy.screenshot("composer-paste-image-confirm-1366x768")
        .await;
    // Slow the upload down enough to see the composer while it goes.
    let slow_uploads = "const fetch = window.fetch;
         window.fetch = (request, ...rest) => String(request.url || request).includes('/images')
             ? new Promise(done => setTimeout(done, 1500)).then(() => fetch(request, ...rest))
             : fetch(request, ...rest);";
    amy.client
        .execute(slow_uploads, vec![])
        .await
        .expect("slow uploads");
    amy.click(".dialog-confirm").await;
    amy.wait_for_text(".attach-image-button", "Sending image…")
        .await;
    amy.wait_for("form.composer button[type=submit]:disabled")
        .await;
    amy.screenshot("composer-sending-image-1366x768").await;
    image_went_out(&amy, &desk.fake, &follower, 2, "the pasted image").await;

    // Dropped on the reply box: refused like the button when not an image…
    drag_file(
        &amy,
        &["dragenter", "dragover", "drop"],
        b"not a picture at all",
        "notes.txt",
        "text/plain",
    )
    .await;
    amy.wait_for_text(
        ".composer-error",
        "“notes.txt” is not a JPG, PNG or GIF image. Choose one of those to send.",
    )
    .await;
    assert!(!drop_target(&amy).await, "the highlight goes with the drop");
    // …and a picture is highlighted while over it, asked about, then sent.
    let dropped = sample_picture(3).bytes;
    drag_file(
        &amy,
        &["dragenter", "dragover"],
        &dropped,
        "scan.png",
        "image/png",
    )
    .await;
    assert!(
        drop_target(&amy).await,
        "the composer shows it takes the drop"
    );
    amy.screenshot("composer-drop-image-1366x768").await;
    drag_file(&amy, &["drop"], &dropped, "scan.png", "image/png").await;
    assert!(!drop_target(&amy).await, "the highlight goes with the drop");
    amy.wait_for_text(".dialog", "Send the dropped image?")
        .await;
    amy.wait_for_text(".dialog", "“scan.png”").await;
    assert_no_composer_error(&amy).await;
    amy.click(".dialog-confirm").await;
    image_went_out(&amy, &desk.fake, &follower, 3, "the dropped image").await;

    // A note takes no images: no highlight, and a drop does nothing.
    amy.click("form.composer .mode-note").await;
    amy.wait_for("form.composer.is-note").await;
    drag_file(
        &amy,
        &["dragenter", "dragover"],
        &dropped,
        "scan.png",
        "image/png",
    )
    .await;
    assert!(!drop_target(&amy).await, "notes are no drop target");
    drag_file(&amy, &["drop"], &dropped, "scan.png", "image/png").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let dialogs = amy
        .client
        .find_all(fantoccini::Locator::Css(".dialog"))
        .await
        .expect("find dialogs");
    assert!(dialogs.is_empty(), "nothing asked about");
    amy.click("form.composer .mode-reply").await;
    assert_eq!(draft(&amy).await, DRAFT, "the typed reply was kept");
    assert_eq!(
        desk.fake.received(&follower).len(),
        3,
        "nothing more went out"
    );

    // The client's AMR voice note plays (the server decodes it to WAV) and
    // the original can still be downloaded.
    let voice = ".message.in[data-kind=voice]";
    amy.wait_for(&format!("{voice} audio[src^='blob:']")).await;
    wait_until(
        &amy,
        "const a = document.querySelector('.message.in[data-kind=voice] audio');
         return !!a && a.readyState >= 1 && isFinite(a.duration) && a.duration > 2.5;",
        "the voice note loading as playable audio",
    )
    .await;
    amy.wait_for_text(
        &format!("{voice} button.media-download"),
        "Download the recording",
    )
    .await;
    amy.screenshot("timeline-image-and-voice-1366x768").await;
    amy.close().await;
}
