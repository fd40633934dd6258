//! `user/info` (PROTOCOL.md §5.7): what WeChat still tells about a follower.
//! Nicknames and avatars are no longer returned.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::message::OpenId;

/// One user's profile as `user/info` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Whether the user follows the account; when not, the rest is mostly absent.
    #[serde(deserialize_with = "flag", serialize_with = "as_flag")]
    pub subscribe: bool,
    /// The user.
    pub openid: OpenId,
    /// e.g. `zh_CN`.
    #[serde(default)]
    pub language: Option<String>,
    /// Unix seconds of the (latest) follow.
    #[serde(default)]
    pub subscribe_time: Option<i64>,
    /// The Open Platform-wide id, when the account is bound to one.
    #[serde(default)]
    pub unionid: Option<String>,
    /// The remark we set (the only name the inbox can show).
    #[serde(default)]
    pub remark: Option<String>,
    /// Legacy group id.
    #[serde(default)]
    pub groupid: Option<i64>,
    /// Tags on the user.
    #[serde(default)]
    pub tagid_list: Vec<i64>,
    /// How the user followed, e.g. `ADD_SCENE_QR_CODE`.
    #[serde(default)]
    pub subscribe_scene: Option<String>,
    /// Numeric QR scene.
    #[serde(default)]
    pub qr_scene: Option<i64>,
    /// String QR scene.
    #[serde(default)]
    pub qr_scene_str: Option<String>,
}

/// `subscribe` is `0`/`1`; accept a boolean too.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Number(i64),
        Bool(bool),
    }
    Ok(match Flag::deserialize(deserializer)? {
        Flag::Number(n) => n != 0,
        Flag::Bool(b) => b,
    })
}

/// Written back the way WeChat does, as `0`/`1`.
fn as_flag<S: Serializer>(value: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u8(u8::from(*value))
}
