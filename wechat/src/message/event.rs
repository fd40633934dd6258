//! Official Account events (`MsgType=event`) as typed values.

use crate::xml::{Fields, Value};

use super::MsgId;

/// An event push. Known events missing a required element, and events this
/// crate does not model, are [`Event::Other`]; their elements stay in the
/// message's field map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `subscribe`: a follow. Through a parametric QR code `event_key` is
    /// `qrscene_<scene>` and `ticket` is set (see [`Event::qr_scene`]).
    Subscribe {
        /// `EventKey`, if sent.
        event_key: Option<String>,
        /// `Ticket`, if sent.
        ticket: Option<String>,
    },
    /// `unsubscribe`: an unfollow.
    Unsubscribe,
    /// `SCAN`: an existing follower scanned a parametric QR code.
    Scan {
        /// `EventKey`: the scene, without prefix.
        event_key: String,
        /// `Ticket`, if sent.
        ticket: Option<String>,
    },
    /// `LOCATION`: a periodic location report; decimal strings.
    Location {
        /// `Latitude`.
        latitude: String,
        /// `Longitude`.
        longitude: String,
        /// `Precision`.
        precision: String,
    },
    /// `CLICK`: a click-type menu button.
    Click {
        /// `EventKey`.
        event_key: String,
    },
    /// `VIEW`: a menu link was opened.
    View {
        /// `EventKey`: the URL.
        url: String,
        /// `MenuId`, if sent.
        menu_id: Option<String>,
    },
    /// `TEMPLATESENDJOBFINISH`: the result of a template message.
    TemplateSendJobFinish {
        /// `MsgID` (or `MsgId`), as returned by `template/send`.
        msg_id: MsgId,
        /// `Status`: `success`, `failed:user block`, `failed: system failed`.
        status: String,
    },
    /// `MASSSENDJOBFINISH`: a broadcast finished. Counts are approximate;
    /// `CopyrightCheckResult` and `ArticleUrlResult` stay in the field map.
    MassSendJobFinish {
        /// `MsgID` (or `MsgId`).
        msg_id: MsgId,
        /// `Status`, e.g. `send success`, `sendsuccess`, `send fail`, `err(NNNNN)`.
        status: String,
        /// `TotalCount`.
        total_count: Option<u64>,
        /// `FilterCount`.
        filter_count: Option<u64>,
        /// `SentCount`.
        sent_count: Option<u64>,
        /// `ErrorCount`.
        error_count: Option<u64>,
    },
    /// `scancode_push`: a menu scan button; the result is also shown to the user.
    ScanCodePush {
        /// `EventKey`.
        event_key: String,
        /// `ScanCodeInfo`.
        info: ScanCodeInfo,
    },
    /// `scancode_waitmsg`: a menu scan button waiting for our message.
    ScanCodeWaitMsg {
        /// `EventKey`.
        event_key: String,
        /// `ScanCodeInfo`.
        info: ScanCodeInfo,
    },
    /// `pic_sysphoto`: the camera menu button; images follow as messages.
    PicSysPhoto {
        /// `EventKey`.
        event_key: String,
        /// `SendPicsInfo`.
        pics: SendPicsInfo,
    },
    /// `pic_photo_or_album`: the camera-or-album menu button.
    PicPhotoOrAlbum {
        /// `EventKey`.
        event_key: String,
        /// `SendPicsInfo`.
        pics: SendPicsInfo,
    },
    /// `pic_weixin`: the WeChat-album menu button.
    PicWeixin {
        /// `EventKey`.
        event_key: String,
        /// `SendPicsInfo`.
        pics: SendPicsInfo,
    },
    /// `location_select`: the location menu button.
    LocationSelect {
        /// `EventKey`.
        event_key: String,
        /// `SendLocationInfo`.
        location: SendLocationInfo,
    },
    /// `view_miniprogram`: the menu opened a mini program.
    ViewMiniprogram {
        /// `EventKey`: the page path.
        page_path: String,
        /// `MenuId`, if sent.
        menu_id: Option<String>,
    },
    /// `subscribe_msg_popup_event`: subscription-notification consent results.
    SubscribeMsgPopup {
        /// Each `List` item under `SubscribeMsgPopupEvent`.
        items: Vec<Fields>,
    },
    /// `subscribe_msg_change_event`: consent changed in settings.
    SubscribeMsgChange {
        /// Each `List` item under `SubscribeMsgChangeEvent`.
        items: Vec<Fields>,
    },
    /// `subscribe_msg_sent_event`: subscription-notification delivery results.
    SubscribeMsgSent {
        /// Each `List` item under `SubscribeMsgSentEvent`.
        items: Vec<Fields>,
    },
    /// Any other event (e.g. legacy `kf_create_session`), or a known one
    /// without its required elements.
    Other {
        /// The `Event` element.
        name: String,
    },
}

/// `ScanCodeInfo` of a menu scan event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCodeInfo {
    /// `ScanType`, e.g. `qrcode`, `barcode`.
    pub scan_type: String,
    /// `ScanResult`: the decoded content.
    pub scan_result: String,
}

/// `SendPicsInfo` of a menu photo event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPicsInfo {
    /// `Count`, as sent.
    pub count: String,
    /// `PicList/item/PicMd5Sum`, in order.
    pub pic_md5_sums: Vec<String>,
}

/// `SendLocationInfo` of a `location_select` event; decimal strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendLocationInfo {
    /// `Location_X` (latitude).
    pub latitude: String,
    /// `Location_Y` (longitude).
    pub longitude: String,
    /// `Scale`.
    pub scale: String,
    /// `Label`.
    pub label: String,
    /// `Poiname`, if sent.
    pub poiname: Option<String>,
}

impl Event {
    /// Builds the typed event named `name` from the push's fields.
    pub(super) fn from_fields(name: &str, fields: &Fields) -> Event {
        typed(name, fields).unwrap_or_else(|| Event::Other {
            name: name.to_owned(),
        })
    }

    /// The QR-code scene of a `subscribe` via parametric code (prefix
    /// `qrscene_` stripped) or of a `SCAN`.
    pub fn qr_scene(&self) -> Option<&str> {
        match self {
            Event::Subscribe {
                event_key: Some(key),
                ..
            } => key.strip_prefix("qrscene_"),
            Event::Scan { event_key, .. } => Some(event_key),
            _ => None,
        }
    }
}

fn typed(name: &str, fields: &Fields) -> Option<Event> {
    let text = |name| fields.text(name).map(str::to_owned);
    let job_msg_id = || {
        fields
            .text("MsgID")
            .or_else(|| fields.text("MsgId"))?
            .parse::<MsgId>()
            .ok()
    };
    let count = |name| fields.text(name).and_then(|n| n.parse().ok());
    Some(match name {
        "subscribe" => Event::Subscribe {
            event_key: text("EventKey"),
            ticket: text("Ticket"),
        },
        "unsubscribe" => Event::Unsubscribe,
        "SCAN" => Event::Scan {
            event_key: text("EventKey")?,
            ticket: text("Ticket"),
        },
        "LOCATION" => Event::Location {
            latitude: text("Latitude")?,
            longitude: text("Longitude")?,
            precision: text("Precision")?,
        },
        "CLICK" => Event::Click {
            event_key: text("EventKey")?,
        },
        "VIEW" => Event::View {
            url: text("EventKey")?,
            menu_id: text("MenuId"),
        },
        "TEMPLATESENDJOBFINISH" => Event::TemplateSendJobFinish {
            msg_id: job_msg_id()?,
            status: text("Status")?,
        },
        "MASSSENDJOBFINISH" => Event::MassSendJobFinish {
            msg_id: job_msg_id()?,
            status: text("Status")?,
            total_count: count("TotalCount"),
            filter_count: count("FilterCount"),
            sent_count: count("SentCount"),
            error_count: count("ErrorCount"),
        },
        "scancode_push" => Event::ScanCodePush {
            event_key: text("EventKey")?,
            info: scan_code_info(fields)?,
        },
        "scancode_waitmsg" => Event::ScanCodeWaitMsg {
            event_key: text("EventKey")?,
            info: scan_code_info(fields)?,
        },
        "pic_sysphoto" => Event::PicSysPhoto {
            event_key: text("EventKey")?,
            pics: send_pics_info(fields)?,
        },
        "pic_photo_or_album" => Event::PicPhotoOrAlbum {
            event_key: text("EventKey")?,
            pics: send_pics_info(fields)?,
        },
        "pic_weixin" => Event::PicWeixin {
            event_key: text("EventKey")?,
            pics: send_pics_info(fields)?,
        },
        "location_select" => Event::LocationSelect {
            event_key: text("EventKey")?,
            location: send_location_info(fields)?,
        },
        "view_miniprogram" => Event::ViewMiniprogram {
            page_path: text("EventKey")?,
            menu_id: text("MenuId"),
        },
        "subscribe_msg_popup_event" => Event::SubscribeMsgPopup {
            items: list_items(fields, "SubscribeMsgPopupEvent"),
        },
        "subscribe_msg_change_event" => Event::SubscribeMsgChange {
            items: list_items(fields, "SubscribeMsgChangeEvent"),
        },
        "subscribe_msg_sent_event" => Event::SubscribeMsgSent {
            items: list_items(fields, "SubscribeMsgSentEvent"),
        },
        _ => return None,
    })
}

fn scan_code_info(fields: &Fields) -> Option<ScanCodeInfo> {
    let info = fields.map("ScanCodeInfo")?;
    Some(ScanCodeInfo {
        scan_type: info.text("ScanType")?.to_owned(),
        scan_result: info.text("ScanResult")?.to_owned(),
    })
}

fn send_pics_info(fields: &Fields) -> Option<SendPicsInfo> {
    let info = fields.map("SendPicsInfo")?;
    let pic_md5_sums = match info.get("PicList") {
        // `<PicList></PicList>` with no items parses as empty text.
        Some(Value::Text(_)) | None => Vec::new(),
        Some(list) => list
            .as_map()?
            .get("item")
            .map(Value::items)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| item.as_map()?.text("PicMd5Sum").map(str::to_owned))
            .collect(),
    };
    Some(SendPicsInfo {
        count: info.text("Count")?.to_owned(),
        pic_md5_sums,
    })
}

fn send_location_info(fields: &Fields) -> Option<SendLocationInfo> {
    let info = fields.map("SendLocationInfo")?;
    let text = |name| info.text(name).map(str::to_owned);
    Some(SendLocationInfo {
        latitude: text("Location_X")?,
        longitude: text("Location_Y")?,
        scale: text("Scale")?,
        label: text("Label")?,
        poiname: text("Poiname"),
    })
}

/// The `List` items under `container`, one [`Fields`] each.
fn list_items(fields: &Fields, container: &str) -> Vec<Fields> {
    fields
        .map(container)
        .and_then(|c| c.get("List"))
        .map(Value::items)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| item.as_map().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::message::{InboundMessage, MessageKind};

    use super::*;

    fn event_of(body: &str) -> Event {
        let xml = format!(
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>\
             <CreateTime>1</CreateTime><MsgType>event</MsgType>{body}</xml>"
        );
        match InboundMessage::from_xml(xml).map(|m| m.kind().clone()) {
            Ok(MessageKind::Event { event, .. }) => event,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn photo_events_list_every_picture_checksum() {
        let event = event_of(
            "<Event>pic_weixin</Event><EventKey>K</EventKey><SendPicsInfo><Count>2</Count>\
             <PicList><item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item>\
             </PicList></SendPicsInfo>",
        );
        let Event::PicWeixin { pics, .. } = event else {
            panic!("expected pic_weixin, got {event:?}");
        };
        assert_eq!(pics.pic_md5_sums, ["a", "b"]);
    }

    #[test]
    fn location_select_reads_the_nested_location() {
        let event = event_of(
            "<Event>location_select</Event><EventKey>L</EventKey><SendLocationInfo>\
             <Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Scale>15</Scale>\
             <Label>here</Label><Poiname></Poiname></SendLocationInfo>",
        );
        let Event::LocationSelect { location, .. } = event else {
            panic!("expected location_select, got {event:?}");
        };
        assert_eq!(location.latitude, "23.1");
        assert_eq!(location.poiname.as_deref(), Some(""));
    }

    #[test]
    fn job_finish_events_accept_either_msg_id_spelling() {
        let event =
            event_of("<Event>TEMPLATESENDJOBFINISH</Event><MsgId>5</MsgId><Status>x</Status>");
        assert!(matches!(event, Event::TemplateSendJobFinish { msg_id, .. } if msg_id.get() == 5));
    }

    #[test]
    fn unknown_and_incomplete_events_are_kept_by_name() {
        assert_eq!(
            event_of("<Event>kf_create_session</Event>"),
            Event::Other {
                name: "kf_create_session".to_owned()
            }
        );
        assert_eq!(
            event_of("<Event>CLICK</Event>"),
            Event::Other {
                name: "CLICK".to_owned()
            }
        );
    }

    #[test]
    fn the_qr_scene_strips_the_subscribe_prefix() {
        let event = event_of("<Event>subscribe</Event><EventKey>qrscene_42</EventKey>");
        assert_eq!(event.qr_scene(), Some("42"));
    }
}
