//! Temporary media: upload and download round-trip, the 3-day expiry, the
//! size and format rules, and follower media.

use std::time::Duration;

use wechat::client::{
    Action, ApiError, CustomMessage, CustomSend, DownloadedMedia, MediaType, MediaUpload,
};

use crate::helpers::{follower, spawn_world, HOUR};

fn file(media_type: MediaType, filename: &str, content_type: &str, len: usize) -> MediaUpload {
    MediaUpload {
        media_type,
        filename: filename.into(),
        content_type: content_type.into(),
        bytes: (0..len).map(|i| (i % 251) as u8).collect(),
    }
}

#[tokio::test]
async fn an_uploaded_image_downloads_as_the_same_bytes() {
    let world = spawn_world().await;
    let upload = file(MediaType::Image, "cat.jpg", "image/jpeg", 300_000);

    let uploaded = world.client.upload_media(&upload).await.expect("upload");
    assert_eq!(uploaded.media_type, MediaType::Image);
    let downloaded = world
        .client
        .download_media(&uploaded.media_id)
        .await
        .expect("download");

    assert_eq!(
        downloaded,
        DownloadedMedia::File {
            content_type: "image/jpeg".into(),
            filename: Some("cat.jpg".into()),
            bytes: upload.bytes,
        }
    );
}

#[tokio::test]
async fn a_video_downloads_as_a_link_to_its_bytes() {
    let world = spawn_world().await;
    let upload = file(MediaType::Video, "clip.mp4", "video/mp4", 50_000);
    let uploaded = world.client.upload_media(&upload).await.expect("upload");

    let downloaded = world
        .client
        .download_media(&uploaded.media_id)
        .await
        .expect("download");
    let DownloadedMedia::VideoUrl(url) = downloaded else {
        panic!("videos come as a link, got {downloaded:?}");
    };
    let bytes = reqwest::get(&url)
        .await
        .expect("link answers")
        .bytes()
        .await
        .expect("body");
    assert_eq!(bytes.as_ref(), upload.bytes.as_slice());
}

#[tokio::test]
async fn media_older_than_three_days_is_an_invalid_media_id() {
    let world = spawn_world().await;
    let openid = follower(1);
    let upload = file(MediaType::Image, "cat.png", "image/png", 1000);
    let uploaded = world.client.upload_media(&upload).await.expect("upload");

    world.advance(72 * HOUR - Duration::from_secs(1));
    world
        .client
        .download_media(&uploaded.media_id)
        .await
        .expect("still there");
    world.advance(Duration::from_secs(1));

    let error = world
        .client
        .download_media(&uploaded.media_id)
        .await
        .expect_err("expired");
    assert!(matches!(error, ApiError::InvalidMediaId { .. }));
    assert_eq!(error.errcode(), Some(40007));
    assert_eq!(error.action(), Action::ReuploadMedia);

    world.follower_writes(&openid);
    let send = CustomSend::new(
        openid.clone(),
        CustomMessage::image(uploaded.media_id.clone()),
    );
    let error = world.client.send(&send).await.expect_err("expired media");
    assert!(matches!(error, ApiError::InvalidMediaId { .. }));
    assert!(world.fake.received(&openid).is_empty());
}

#[tokio::test]
async fn an_uploaded_image_can_be_sent_to_a_follower() {
    let world = spawn_world().await;
    let openid = follower(1);
    world.follower_writes(&openid);
    let upload = file(MediaType::Image, "map.gif", "image/gif", 10);
    let uploaded = world.client.upload_media(&upload).await.expect("upload");
    let send = CustomSend::new(
        openid.clone(),
        CustomMessage::image(uploaded.media_id.clone()),
    );
    world.client.send(&send).await.expect("send");

    let received = world.fake.received(&openid);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].msgtype, "image");
    assert_eq!(
        received[0].body["image"]["media_id"],
        uploaded.media_id.as_str()
    );
}

#[tokio::test]
async fn oversize_uploads_are_refused_per_type() {
    let world = spawn_world().await;
    let cases = [
        (
            MediaType::Image,
            "big.jpg",
            "image/jpeg",
            10 * 1024 * 1024 + 1,
        ),
        (
            MediaType::Voice,
            "long.amr",
            "audio/amr",
            2 * 1024 * 1024 + 1,
        ),
        (MediaType::Thumb, "t.jpg", "image/jpeg", 64 * 1024 + 1),
    ];
    for (media_type, name, content_type, len) in cases {
        let error = world
            .client
            .upload_media(&file(media_type, name, content_type, len))
            .await
            .expect_err("too large");
        let expected = match media_type {
            MediaType::Image => 40009,
            MediaType::Voice => 40010,
            _ => 40012,
        };
        assert_eq!(error.errcode(), Some(expected), "{media_type}");
        assert!(matches!(error.action(), Action::TellAgent(_)));
    }
    let at_limit = file(MediaType::Thumb, "t.jpg", "image/jpeg", 64 * 1024);
    world
        .client
        .upload_media(&at_limit)
        .await
        .expect("at the limit");
}

#[tokio::test]
async fn a_file_of_the_wrong_format_or_empty_is_refused() {
    let world = spawn_world().await;
    let error = world
        .client
        .upload_media(&file(MediaType::Voice, "song.wav", "audio/wav", 10))
        .await
        .expect_err("wav");
    assert!(matches!(error, ApiError::InvalidFileType { .. }));
    let error = world
        .client
        .upload_media(&file(MediaType::Image, "empty.jpg", "image/jpeg", 0))
        .await
        .expect_err("empty");
    assert!(matches!(error, ApiError::InvalidFileSize { .. }));
}

#[tokio::test]
async fn media_a_follower_sent_can_be_downloaded_until_it_expires() {
    let world = spawn_world().await;
    let media_id = world
        .fake
        .store_follower_media(
            &world.appid,
            MediaType::Voice,
            "note.amr",
            "audio/amr",
            vec![1, 2, 3],
        )
        .expect("stored");
    let downloaded = world.client.download_media(&media_id).await.expect("fresh");
    assert!(matches!(downloaded, DownloadedMedia::File { ref bytes, .. } if bytes == &[1, 2, 3]));

    world.advance(73 * HOUR);
    let error = world
        .client
        .download_media(&media_id)
        .await
        .expect_err("expired");
    assert!(matches!(error, ApiError::InvalidMediaId { .. }));
}
