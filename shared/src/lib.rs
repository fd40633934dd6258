//! The one crate of types both sides of Harbour use: ids, roles, request and
//! response bodies, the JSON error body and the live-socket protocol.

pub mod api;
pub mod assignment;
pub mod automation;
pub mod closed_set;
pub mod error;
pub mod ids;
pub mod language;
pub mod media;
pub mod sla;
pub mod ws;

pub use error::{ErrorBody, ErrorCode};
pub use ids::{
    CannedResponseId, ChannelId, ContactId, ConversationId, ExportId, JobId, MessageId, Seq,
    TeamId, UserId,
};
pub use language::Language;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The response header on every API answer that carries the server's time
/// (Unix ms). The app's "now" is server time: a browser clock a day off must
/// not close (or open) the reply window.
pub const SERVER_TIME_HEADER: &str = "harbour-time";

/// What a signed-in person may do. Ordered from least to most privileged for
/// display only; permissions are checked by explicit rules, not by order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    Compliance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Agent, Role::Supervisor, Role::Compliance, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Compliance => "compliance",
            Role::Admin => "admin",
        }
    }

    /// Admin and compliance see every team's records.
    pub fn sees_all_teams(self) -> bool {
        matches!(self, Role::Admin | Role::Compliance)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "agent" => Ok(Role::Agent),
            "supervisor" => Ok(Role::Supervisor),
            "compliance" => Ok(Role::Compliance),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}`; expected agent, supervisor, compliance or admin"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).ok(),
                Some(format!("\"{}\"", role.as_str()))
            );
        }
        assert!("root".parse::<Role>().is_err());
    }
}
