//! `AppState`: what every handler can reach. Cheap to clone; no globals.

use crate::auth::TokenKeys;
use crate::channels::media::MediaStore;
use crate::channels::official_account::AccountCache;
use crate::clock::Clock;
use crate::config::Config;
use crate::hub::Hub;
use crate::ingest::InboxWriter;
use crate::metrics::Metrics;
use crate::presence::Presence;
use crate::secrets::SecretBox;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub hub: Hub,
    /// Group commit for inbound WeChat pushes.
    pub inbox: InboxWriter,
    /// Opened Official Accounts, reused for a moment across callbacks.
    pub accounts: AccountCache,
    /// Opened WeCom Customer Service estates with their callback
    /// credentials, likewise.
    pub estates: crate::channels::wecom_kf::EstateCache,
    /// Inbound media files, named by sha256.
    pub media: MediaStore,
    /// Who views and types where, and the reply locks (this node's sockets).
    pub presence: Presence,
    /// Who has a socket open here, for auto-assignment.
    pub roster: crate::roster::Roster,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub keys: Arc<TokenKeys>,
    pub metrics: Arc<Metrics>,
    pub secrets: Arc<SecretBox>,
    /// Bounds the password checks running at once (see `Config::max_password_checks`).
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Bad WeChat callback signatures per address, this minute.
    pub bad_signatures: Arc<crate::channels::callback_guard::BadSignatures>,
    /// Set when the server begins to stop (sockets close, the worker winds down).
    pub shutdown: crate::shutdown::Shutdown,
    /// The node's background tasks, for `/readyz`.
    pub tasks: crate::shutdown::Tasks,
    /// Every read of client data, recorded without making the read wait.
    pub access: crate::access::AccessLog,
    /// Tells the checkpointer to sign its last checkpoint: given when a
    /// stopping node has answered every request and finished its job.
    pub final_checkpoint: crate::shutdown::Shutdown,
    /// What the export job needs: the checkpointer's prover, the key that
    /// signs manifests, how long bundles are kept.
    pub exports: crate::exports::ExportSettings,
}
