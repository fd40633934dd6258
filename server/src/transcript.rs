//! `transcript.html`: the bundle's human-readable record of one client.
//! One self-contained page (its style inline, no script, nothing fetched
//! from elsewhere), printable, in Hong Kong time with English and Chinese
//! labels; images show inline from the bundle's `media/`, voice and other
//! files are links to theirs.

use crate::bundle::{Manifest, MessageLine};
use crate::checkpoints::hong_kong_time;
use std::collections::HashMap;
use std::fmt::Write;

/// One read of the client's data, for the access table.
pub struct AccessLine {
    pub at: i64,
    pub reader: String,
    pub role: String,
    pub kind: String,
    pub address: String,
}

pub struct Transcript<'a> {
    pub manifest: &'a Manifest,
    pub messages: &'a [MessageLine],
    pub accesses: &'a [AccessLine],
    /// Channel names by id.
    pub channels: &'a HashMap<String, String>,
}

const STYLE: &str = "body{font:14px/1.5 system-ui,'Noto Sans CJK TC','PingFang HK',sans-serif;color:#1b1f24;margin:2rem auto;max-width:60rem;padding:0 1rem}\
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccd;padding-bottom:.25rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dt{color:#555}dd{margin:0}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea}\
th{background:#f3f5f7;font-weight:600}td.when{white-space:nowrap;font-variant-numeric:tabular-nums;color:#444}\
tr.in td.who{color:#0b5cad}tr.out td.who{color:#1d6b38}tr.note{background:#fff8e1}tr.activity td{color:#555;font-style:italic}\
.status{font-size:.85em;color:#555}.status.failed,.status.unknown{color:#a3120b;font-weight:600}\
img{max-width:18rem;max-height:18rem;display:block;margin-top:.25rem;border:1px solid #ddd}\
.mono{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}\
@media print{body{margin:0;max-width:none}tr{break-inside:avoid}}";

impl Transcript<'_> {
    pub fn render(&self) -> String {
        let m = self.manifest;
        let name = self.client_name();
        let mut html = String::with_capacity(4096 + self.messages.len() * 300);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"zh-HK\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{title}</title><style>{STYLE}</style></head><body>\
             <h1>Client history 客戶紀錄: {title}</h1>",
            title = escape(&name),
        );
        html.push_str("<dl>");
        let contacts = m.client.as_array().cloned().unwrap_or_default();
        for contact in &contacts {
            let field = |key: &str| contact.get(key).and_then(|v| v.as_str()).unwrap_or("");
            let channel = self
                .channels
                .get(field("channel"))
                .map_or(field("channel_name"), String::as_str);
            dd(
                &mut html,
                "Channel 渠道",
                &format!(
                    "{channel} · openid {} {}",
                    field("open_id"),
                    match field("union_id") {
                        "" => String::new(),
                        union => format!("· unionid {union}"),
                    }
                ),
            );
            if !field("phone").is_empty() {
                dd(&mut html, "Phone 電話", field("phone"));
            }
        }
        let period = match (m.filter.from, m.filter.to) {
            (None, None) => "All dates 全部日期".to_owned(),
            (from, to) => format!(
                "{} – {}",
                from.map_or("…".into(), hong_kong_time),
                to.map_or("…".into(), hong_kong_time)
            ),
        };
        dd(&mut html, "Period 期間", &period);
        dd(
            &mut html,
            "Requested by 申請人",
            &format!(
                "{} ({}) · {}",
                m.requested_by.name,
                m.requested_by.role,
                hong_kong_time(m.created_at)
            ),
        );
        dd(
            &mut html,
            "Reason 原因",
            &format!("{}: {}", category_label(m.reason.category), m.reason.text),
        );
        dd(
            &mut html,
            "Proof 證明",
            &format!(
                "{} · key {} · root {}",
                m.checkpoint.describe(),
                m.key_id,
                m.checkpoint.body.root
            ),
        );
        html.push_str("</dl>");

        let _ = write!(
            html,
            "<h2>Messages 訊息 ({})</h2><table><thead><tr><th>Time 時間 (HKT)</th><th>From 由</th><th>Message 內容</th></tr></thead><tbody>",
            self.messages.len()
        );
        for message in self.messages {
            self.message_row(&mut html, message, &name);
        }
        if self.messages.is_empty() {
            html.push_str(
                "<tr><td colspan=\"3\">No messages in this period. 此期間沒有訊息。</td></tr>",
            );
        }
        html.push_str("</tbody></table>");

        let _ = write!(
            html,
            "<h2>Who looked 查閱紀錄 ({})</h2><table><thead><tr><th>Time 時間 (HKT)</th><th>Reader 查閱者</th><th>Role 角色</th><th>What 內容</th><th>Address 位址</th></tr></thead><tbody>",
            self.accesses.len()
        );
        for access in self.accesses {
            let _ = write!(
                html,
                "<tr><td class=\"when\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                escape(&hong_kong_time(access.at)),
                escape(&access.reader),
                escape(&access.role),
                escape(access_label(&access.kind)),
                escape(&access.address),
            );
        }
        html.push_str("</tbody></table>");
        let _ = writeln!(
            html,
            "<h2>Verification 核實</h2><p>Every message and event in this bundle is proven to be in Harbour's signed event log: run <code>harbour audit verify-export</code> on the ZIP with the firm's public key (key id <span class=\"mono\">{}</span>). The format is described in Harbour's <code>docs/evidence-format.md</code>.</p><p>此檔案內每項紀錄均可用公司公開金鑰核實。</p></body></html>",
            escape(&m.key_id)
        );
        html
    }

    fn client_name(&self) -> String {
        self.manifest
            .client
            .as_array()
            .and_then(|contacts| {
                contacts
                    .iter()
                    .find_map(|c| c.get("name").and_then(|n| n.as_str()))
            })
            .unwrap_or("(no name)")
            .to_owned()
    }

    fn message_row(&self, html: &mut String, message: &MessageLine, client: &str) {
        let who = match message.direction.as_str() {
            "in" => format!("{}<br><small>Client 客戶</small>", escape(client)),
            "out" => format!(
                "{}<br><small>Agent 職員</small>",
                escape(message.author_name.as_deref().unwrap_or("Harbour"))
            ),
            "note" => format!(
                "{}<br><small>Internal note 內部備註</small>",
                escape(message.author_name.as_deref().unwrap_or(""))
            ),
            _ => "<small>Activity 活動</small>".to_owned(),
        };
        let mut content = String::new();
        if let Some(body) = &message.body {
            content.push_str(&escape(body).replace('\n', "<br>"));
        } else if message.media.is_none() {
            let _ = write!(content, "[{}]", escape(&message.kind));
        }
        if let Some(media) = &message.media {
            if media.content_type.starts_with("image/") {
                let _ = write!(
                    content,
                    "<img src=\"{}\" alt=\"Image 圖片 {}\">",
                    escape(&media.file),
                    escape(&media.sha256[..12.min(media.sha256.len())])
                );
            } else {
                let _ = write!(
                    content,
                    " <a href=\"{}\">{} ({} bytes)</a>",
                    escape(&media.file),
                    if message.kind == "voice" {
                        "Voice 語音"
                    } else {
                        "File 檔案"
                    },
                    media.size
                );
            }
        }
        if let Some(status) = &message.status {
            let _ = write!(
                content,
                "<div class=\"status {}\">{}{}</div>",
                escape(status),
                status_label(status),
                message
                    .error
                    .as_deref()
                    .map(|e| format!(": {}", escape(e)))
                    .unwrap_or_default()
            );
        }
        let channel = self
            .channels
            .get(&message.channel)
            .map(|c| format!("<br><small>{}</small>", escape(c)))
            .unwrap_or_default();
        let _ = write!(
            html,
            "<tr class=\"{}\"><td class=\"when\">{}{}</td><td class=\"who\">{}</td><td>{}</td></tr>",
            escape(&message.direction),
            escape(&hong_kong_time(message.created_at)),
            channel,
            who,
            content
        );
    }
}

fn dd(html: &mut String, label: &str, value: &str) {
    let _ = write!(html, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
}

fn category_label(category: shared::api::ExportCategory) -> &'static str {
    use shared::api::ExportCategory as C;
    match category {
        C::RegulatorRequest => "Regulator request 監管機構要求",
        C::InternalReview => "Internal review 內部審查",
        C::DataAccessRequest => "Data access request 查閱資料要求",
        C::Litigation => "Litigation 訴訟",
        C::Other => "Other 其他",
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "queued" => "Queued 排隊中",
        "sending" => "Sending 傳送中",
        "sent" => "Sent 已送出",
        "failed" => "Failed 傳送失敗",
        "unknown" => "Unknown 不確定是否送達",
        _ => "",
    }
}

fn access_label(kind: &str) -> &str {
    match kind {
        "access.conversation" => "Opened the conversation 開啟對話",
        "access.timeline" => "Read messages 閱讀訊息",
        "access.media" => "Opened media 開啟媒體",
        "access.contact" => "Viewed the profile 查看資料",
        "access.search" => "Found in a search 搜尋",
        "access.accesses" => "Viewed who looked 查看查閱紀錄",
        "access.export" => "Exported the history 匯出紀錄",
        "access.export_download" => "Downloaded an export 下載匯出",
        "access.history" => "Read the full history 閱讀完整紀錄",
        other => other,
    }
}

/// Text safe inside HTML elements and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
