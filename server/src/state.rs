//! `AppState`: what every handler can reach. Cheap to clone; no globals.

use crate::auth::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::secrets::SecretBox;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub hub: Hub,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub keys: Arc<TokenKeys>,
    pub metrics: Arc<Metrics>,
    pub secrets: Arc<SecretBox>,
}
