//! WeCom Customer Service (微信客服), PROTOCOL.md §6: the callback that says
//! "pull" ([`callback`]), the entries `kf/sync_msg` returns ([`message`]),
//! what we send and the session state machine ([`send`]), and the API
//! client ([`KfClient`]).

pub mod callback;
mod client;
pub mod message;
pub mod send;

pub use callback::{receive, verify_url, KfCallback, KfCallbackConfig, SyncNotice};
pub use client::KfClient;
pub use message::{
    send_failure_reason, KfBody, KfEvent, KfMediaKind, KfMessage, Origin, SyncMsgPage,
    SyncMsgRequest, MAX_SYNC_LIMIT,
};
pub use send::{
    Customers, KfAccount, KfCustomer, KfEventSend, KfMenu, KfOutbound, KfSend, MenuClick, MenuItem,
    MenuText, MenuView, ServiceState, SessionState, StateChange, MAX_MSGID_BYTES, MAX_TEXT_BYTES,
};
