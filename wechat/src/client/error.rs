//! Every errcode PROTOCOL.md lists as a typed [`ApiError`], and the
//! [`Action`] the caller should take for each (PROTOCOL.md §5.8, §6.7).
//!
//! Codes marked [unverified] in PROTOCOL.md, and the media codes it does not
//! list (40004-40012, 41005, 41006: WeChat's global return-code table), are
//! mapped the same way; unknown codes become [`ApiError::Other`] (give up).

use std::time::Duration;

use thiserror::Error;

use super::token::TokenCacheError;

/// How long to wait before retrying, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry.
    pub first_delay: Duration,
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// Whether each further wait doubles.
    pub doubling: bool,
}

impl Backoff {
    /// `-1` system busy, transport failures: 1 s, 2 s, then stop (3 attempts).
    pub const BUSY: Backoff = Backoff {
        first_delay: Duration::from_secs(1),
        max_attempts: 3,
        doubling: true,
    };
    /// 45011 per-minute limit: wait at least a minute.
    pub const NEXT_MINUTE: Backoff = Backoff {
        first_delay: Duration::from_secs(60),
        max_attempts: 3,
        doubling: false,
    };
    /// 45009 daily quota: try once an hour until the quota resets (or an
    /// operator clears it).
    pub const HOURLY_FOR_A_DAY: Backoff = Backoff {
        first_delay: Duration::from_secs(3600),
        max_attempts: 25,
        doubling: false,
    };

    /// The wait before attempt number `attempt` (the first retry is attempt
    /// 2), or `None` when no attempts are left.
    pub fn delay_before(&self, attempt: u32) -> Option<Duration> {
        if attempt < 2 || attempt > self.max_attempts {
            return None;
        }
        if !self.doubling {
            return Some(self.first_delay);
        }
        let doublings = (attempt - 2).min(16);
        Some(self.first_delay.saturating_mul(1 << doublings))
    }
}

/// What to do about a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Transient: try again later. For sends, keep them idempotent on our side.
    Retry(Backoff),
    /// The token was rejected: refresh it once and retry once. [`ApiClient`]
    /// already does this, so a caller only sees it when the retry was
    /// rejected too: alert (secret changed, IP whitelist) rather than loop.
    ///
    /// [`ApiClient`]: super::ApiClient
    RefreshToken,
    /// The media id expired (3 days) or belongs to another account: upload the
    /// file again and resend once. A user's expired media is gone for good.
    ReuploadMedia,
    /// Permanent (configuration or a bug): log it and alert; do not retry.
    GiveUp,
    /// Permanent and something the agent can act on: show them this sentence.
    TellAgent(&'static str),
}

/// The sentence for 45015.
pub const WINDOW_CLOSED: &str = "WeChat closed the reply window: the client has not written for 48 hours. Send a template message instead.";
/// The sentence for 45047.
pub const REPLY_LIMIT: &str =
    "You have sent 5 replies since the client last wrote; wait for them to write again.";

macro_rules! api_errors {
    ($(
        $code:expr => $(#[$doc:meta])* $variant:ident, $machine:literal, $what:literal, $action:expr;
    )*) => {
        /// A failed Official Account (or WeCom) API call.
        ///
        /// `errmsg` is WeChat's text (with its `rid`), secrets scrubbed; branch
        /// on the variant, never on the text.
        #[derive(Debug, Clone, PartialEq, Eq, Error)]
        #[non_exhaustive]
        pub enum ApiError {
            $(
                $(#[$doc])*
                #[error("{} (errcode {}): {errmsg}", $what, $code)]
                $variant {
                    /// WeChat's `errmsg`.
                    errmsg: String,
                },
            )*
            /// An errcode this crate does not know.
            #[error("WeChat returned errcode {code}: {errmsg}")]
            Other {
                /// The `errcode`.
                code: i64,
                /// WeChat's `errmsg`.
                errmsg: String,
            },
            /// 45009 from a WeCom API: the call frequency limit (on an Official
            /// Account the same code means the daily quota, [`ApiError::DailyQuotaExceeded`]).
            /// For `kf/sync_msg`, pass the callback's `token`.
            #[error("WeCom's call frequency limit was hit (errcode 45009): {errmsg}")]
            KfRateLimited {
                /// WeChat's `errmsg`.
                errmsg: String,
            },
            /// The request did not complete (connection, timeout). For a send the
            /// outcome is unknown: see [`ApiError::is_ambiguous`].
            #[error("could not reach WeChat for {path}: {message}")]
            Transport {
                /// The API path, without query.
                path: String,
                /// What went wrong, secrets scrubbed.
                message: String,
            },
            /// WeChat answered with something this client cannot read.
            #[error("WeChat sent an unreadable answer to {path}: {message}")]
            BadResponse {
                /// The API path, without query.
                path: String,
                /// What was wrong with it.
                message: String,
            },
            /// Reading or writing the shared token failed.
            #[error(transparent)]
            TokenCache(#[from] TokenCacheError),
        }

        impl ApiError {
            /// The error for a non-zero `errcode`.
            pub fn from_errcode(code: i64, errmsg: impl Into<String>) -> Self {
                let errmsg = errmsg.into();
                $(
                    if code == $code {
                        return ApiError::$variant { errmsg };
                    }
                )*
                ApiError::Other { code, errmsg }
            }

            /// WeChat's `errcode`, when the error came from one.
            pub fn errcode(&self) -> Option<i64> {
                match self {
                    $( ApiError::$variant { .. } => Some($code), )*
                    ApiError::Other { code, .. } => Some(*code),
                    ApiError::KfRateLimited { .. } => Some(45009),
                    _ => None,
                }
            }

            /// A stable machine name for the error, e.g. `reply_window_closed`.
            pub fn code(&self) -> &'static str {
                match self {
                    $( ApiError::$variant { .. } => $machine, )*
                    ApiError::Other { .. } => "wechat_error",
                    ApiError::KfRateLimited { .. } => "kf_rate_limited",
                    ApiError::Transport { .. } => "transport",
                    ApiError::BadResponse { .. } => "bad_response",
                    ApiError::TokenCache(_) => "token_cache",
                }
            }

            /// What the caller should do.
            pub fn action(&self) -> Action {
                match self {
                    $( ApiError::$variant { .. } => $action, )*
                    ApiError::Other { .. } | ApiError::BadResponse { .. } => Action::GiveUp,
                    ApiError::KfRateLimited { .. } => Action::Retry(Backoff::NEXT_MINUTE),
                    ApiError::Transport { .. } | ApiError::TokenCache(_) => {
                        Action::Retry(Backoff::BUSY)
                    }
                }
            }

            /// Every errcode with a variant of its own.
            pub const KNOWN_ERRCODES: &'static [i64] = &[$( $code ),*];
        }
    };
}

api_errors! {
    -1 =>
        /// `-1`: system busy.
        SystemBusy, "system_busy", "WeChat is busy", Action::Retry(Backoff::BUSY);
    40001 =>
        /// 40001: the token is invalid or not the latest (or a wrong secret when fetching one).
        InvalidCredential, "invalid_credential", "WeChat rejected the credential", Action::RefreshToken;
    40014 =>
        /// 40014: invalid access_token.
        InvalidAccessToken, "invalid_access_token", "WeChat rejected the access token", Action::RefreshToken;
    42001 =>
        /// 42001: the access token expired.
        AccessTokenExpired, "access_token_expired", "the access token expired", Action::RefreshToken;
    41001 =>
        /// 41001: no access token was sent (a bug).
        AccessTokenMissing, "access_token_missing", "the request carried no access token", Action::GiveUp;
    40013 =>
        /// 40013: unknown appid.
        InvalidAppId, "invalid_appid", "WeChat does not know this appid", Action::GiveUp;
    40125 =>
        /// 40125: wrong appsecret.
        InvalidAppSecret, "invalid_appsecret", "the appsecret is wrong", Action::GiveUp;
    40164 =>
        /// 40164: this server's IP is not in the API whitelist [unverified].
        IpNotWhitelisted, "ip_not_whitelisted", "this server's IP address is not in the API whitelist", Action::GiveUp;
    40003 =>
        /// 40003: the openid is malformed or belongs to another account.
        InvalidOpenId, "invalid_openid", "the openid is not valid for this account", Action::GiveUp;
    40004 =>
        /// 40004: the upload's `type` is not image, voice, video or thumb.
        InvalidMediaType, "invalid_media_type", "the media type is invalid", Action::GiveUp;
    40005 =>
        /// 40005: the file format does not fit the media type.
        InvalidFileType, "invalid_file_type", "the file type is not accepted", Action::TellAgent("WeChat does not accept this file type: images must be JPG, PNG or GIF, voice AMR or MP3, video MP4, thumbnails JPG.");
    40006 =>
        /// 40006: the file size is invalid (e.g. empty).
        InvalidFileSize, "invalid_file_size", "the file size is invalid", Action::TellAgent("WeChat refused the file because of its size.");
    40007 =>
        /// 40007: the media id expired (3 days) or belongs to another account.
        InvalidMediaId, "invalid_media_id", "the media id is invalid or expired", Action::ReuploadMedia;
    40008 =>
        /// 40008: unknown message type.
        InvalidMessageType, "invalid_message_type", "the message type is invalid", Action::GiveUp;
    40009 =>
        /// 40009: image over the size limit.
        ImageTooLarge, "image_too_large", "the image is too large", Action::TellAgent("The image is too large for WeChat: keep images under 10 MB (2 MB is safest).");
    40010 =>
        /// 40010: voice over the size limit.
        VoiceTooLarge, "voice_too_large", "the voice file is too large", Action::TellAgent("The voice message is too large for WeChat: at most 2 MB and 60 seconds.");
    40011 =>
        /// 40011: video over the size limit.
        VideoTooLarge, "video_too_large", "the video is too large", Action::TellAgent("The video is too large for WeChat: at most 10 MB.");
    40012 =>
        /// 40012: thumbnail over the size limit.
        ThumbTooLarge, "thumb_too_large", "the thumbnail is too large", Action::TellAgent("The thumbnail is too large for WeChat: at most 64 KB.");
    41005 =>
        /// 41005: the upload carried no file.
        MediaDataMissing, "media_data_missing", "the upload carried no file", Action::GiveUp;
    41006 =>
        /// 41006: no media id was sent.
        MediaIdMissing, "media_id_missing", "the request carried no media id", Action::GiveUp;
    43004 =>
        /// 43004: the recipient does not follow the account.
        NotFollowing, "not_following", "the recipient does not follow the account", Action::TellAgent("The client no longer follows the account, so WeChat will not deliver messages to them.");
    43101 =>
        /// 43101: the user refused the subscription notification.
        UserRefused, "user_refused", "the user refuses this message", Action::TellAgent("The client has not agreed to receive this notification.");
    44004 =>
        /// 44004: empty content.
        EmptyContent, "empty_content", "the content is empty", Action::TellAgent("WeChat does not deliver empty messages.");
    45002 =>
        /// 45002: content too long.
        ContentTooLong, "content_too_long", "the content is too long", Action::TellAgent("The message is too long for WeChat; split it into shorter messages.");
    45008 =>
        /// 45008: more than one article in a news message.
        TooManyArticles, "too_many_articles", "too many articles", Action::TellAgent("A link card may hold only one article.");
    45009 =>
        /// 45009: the API's daily quota is used up.
        DailyQuotaExceeded, "daily_quota_exceeded", "the API's daily quota is used up", Action::Retry(Backoff::HOURLY_FOR_A_DAY);
    45011 =>
        /// 45011: per-minute frequency limit.
        RateLimited, "rate_limited", "the API's per-minute limit was hit", Action::Retry(Backoff::NEXT_MINUTE);
    45015 =>
        /// 45015: outside the 48-hour window (or the user unfollowed).
        ReplyWindowClosed, "reply_window_closed", "the reply window is closed", Action::TellAgent(WINDOW_CLOSED);
    45047 =>
        /// 45047: the window's 5 messages are used up.
        ReplyLimitReached, "reply_limit_reached", "the window's reply count is used up", Action::TellAgent(REPLY_LIMIT);
    45028 =>
        /// 45028: no broadcast quota left.
        NoMassQuota, "no_mass_quota", "no broadcast quota is left", Action::TellAgent("No broadcast quota is left for this period; ask an administrator.");
    45065 =>
        /// 45065: a broadcast with this clientmsgid was already submitted [unverified].
        DuplicateMassMessage, "duplicate_mass_message", "this broadcast was already submitted", Action::GiveUp;
    45066 =>
        /// 45066: a broadcast was resubmitted too soon [unverified].
        MassResentTooSoon, "mass_resent_too_soon", "the broadcast was resubmitted too soon", Action::Retry(Backoff::NEXT_MINUTE);
    48001 =>
        /// 48001: the API is not authorised for this account.
        ApiUnauthorized, "api_unauthorized", "this account may not use the API", Action::GiveUp;
    40096 =>
        /// 40096 (WeCom): invalid external_userid.
        InvalidExternalUserId, "invalid_external_userid", "the external_userid is invalid", Action::GiveUp;
    95000 =>
        /// 95000 (WeCom): invalid open_kfid [secondary source].
        InvalidOpenKfId, "invalid_open_kfid", "the open_kfid is invalid", Action::GiveUp;
    95004 =>
        /// 95004 (WeCom): the open_kfid does not exist [secondary source].
        OpenKfIdNotFound, "open_kfid_not_found", "the open_kfid does not exist", Action::GiveUp;
    95011 =>
        /// 95011 (WeCom): the account is used in the WeCom client [secondary source].
        KfAccountInClient, "kf_account_in_client", "the account is used in the WeCom client", Action::GiveUp;
    95012 =>
        /// 95012 (WeCom): the account is not used in the WeCom client [secondary source].
        KfAccountNotInClient, "kf_account_not_in_client", "the account is not used in the WeCom client", Action::GiveUp;
    95017 =>
        /// 95017 (WeCom): API management is off for this account [secondary source].
        KfApiDisabled, "kf_api_disabled", "API management is off for this account", Action::GiveUp;
    95016 =>
        /// 95016 (WeCom): the session may not move to that state [unverified code].
        KfIllegalTransition, "kf_illegal_transition", "the session cannot change to that state", Action::GiveUp;
    95018 =>
        /// 95018 (WeCom): a human servicer owns the session.
        KfSessionNotOwned, "kf_session_not_owned", "the session is not in a state the API may send in", Action::TellAgent("A colleague is handling this conversation in the WeCom client; the inbox can send again once it is handed back.");
}

impl ApiError {
    /// The error for a non-zero `errcode` from a WeCom API, where a few codes
    /// mean something else than on an Official Account (PROTOCOL.md §6.7).
    pub fn from_wecom_errcode(code: i64, errmsg: impl Into<String>) -> Self {
        match code {
            45009 => ApiError::KfRateLimited {
                errmsg: errmsg.into(),
            },
            _ => ApiError::from_errcode(code, errmsg),
        }
    }

    /// Whether the call may have taken effect even though it failed (a send
    /// whose answer was lost). Do not resend those without an operator.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, ApiError::Transport { .. })
    }

    /// The sentence to show an agent, when the action is [`Action::TellAgent`].
    pub fn agent_sentence(&self) -> Option<&'static str> {
        match self.action() {
            Action::TellAgent(sentence) => Some(sentence),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_one_is_system_busy_and_retried_with_doubling_waits() {
        let error = ApiError::from_errcode(-1, "system error");
        assert_eq!(
            error,
            ApiError::SystemBusy {
                errmsg: "system error".into()
            }
        );
        assert_eq!(error.errcode(), Some(-1));
        assert!(error.to_string().contains("(errcode -1)"));
        let Action::Retry(backoff) = error.action() else {
            panic!("-1 must be retried");
        };
        let waits: Vec<_> = (2..=4).map(|n| backoff.delay_before(n)).collect();
        assert_eq!(
            waits,
            [
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(2)),
                None
            ]
        );
    }

    #[test]
    fn every_known_errcode_round_trips_through_its_variant() {
        for &code in ApiError::KNOWN_ERRCODES {
            let error = ApiError::from_errcode(code, "x");
            assert_eq!(error.errcode(), Some(code));
            assert!(!matches!(error, ApiError::Other { .. }), "{code}");
            assert!(error.to_string().contains(&format!("(errcode {code})")));
        }
    }

    #[test]
    fn wecom_45009_is_a_frequency_limit_not_a_daily_quota() {
        let wecom = ApiError::from_wecom_errcode(45009, "api freq out of limit");
        assert_eq!(wecom.errcode(), Some(45009));
        assert_eq!(wecom.action(), Action::Retry(Backoff::NEXT_MINUTE));
        let oa = ApiError::from_errcode(45009, "reach max api daily quota limit");
        assert_eq!(oa.action(), Action::Retry(Backoff::HOURLY_FOR_A_DAY));
        // Every other code means the same on both.
        assert_eq!(
            ApiError::from_wecom_errcode(95018, "x"),
            ApiError::from_errcode(95018, "x")
        );
    }

    #[test]
    fn every_kf_errcode_in_the_protocol_has_a_typed_error_and_action() {
        let expected = [
            (-1, "system_busy"),
            (40014, "invalid_access_token"),
            (42001, "access_token_expired"),
            (40096, "invalid_external_userid"),
            (45009, "kf_rate_limited"),
            (95000, "invalid_open_kfid"),
            (95004, "open_kfid_not_found"),
            (95011, "kf_account_in_client"),
            (95012, "kf_account_not_in_client"),
            (95016, "kf_illegal_transition"),
            (95017, "kf_api_disabled"),
            (95018, "kf_session_not_owned"),
        ];
        for (code, machine) in expected {
            let error = ApiError::from_wecom_errcode(code, "x");
            assert_eq!(error.code(), machine, "{code}");
            assert_eq!(error.errcode(), Some(code));
        }
        // 95018 is never retried: the caller reads the session state instead.
        assert!(matches!(
            ApiError::from_wecom_errcode(95018, "x").action(),
            Action::TellAgent(_)
        ));
        // Other 950xx codes are permanent.
        assert_eq!(
            ApiError::from_wecom_errcode(95099, "x").action(),
            Action::GiveUp
        );
    }

    #[test]
    fn an_unknown_errcode_is_kept_and_given_up_on() {
        let error = ApiError::from_errcode(99999, "new");
        assert_eq!(error.errcode(), Some(99999));
        assert_eq!(error.action(), Action::GiveUp);
    }

    #[test]
    fn window_errors_tell_the_agent_in_plain_english() {
        assert_eq!(
            ApiError::from_errcode(45015, "").agent_sentence(),
            Some(WINDOW_CLOSED)
        );
        assert_eq!(
            ApiError::from_errcode(45047, "").agent_sentence(),
            Some(REPLY_LIMIT)
        );
    }
}
