//! The appsecret and access tokens, wrapped so that `Debug` never prints them,
//! and scrubbing for URLs and messages that might carry them.

use std::fmt;

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps the secret value.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The secret itself, for the one place that must send or store it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_string!(
    /// An Official Account's `appsecret`: only ever sent to `cgi-bin/token`.
    AppSecret
);
secret_string!(
    /// A WeCom app's `corpsecret`: only ever sent to `cgi-bin/gettoken`.
    CorpSecret
);
secret_string!(
    /// An `access_token`: valid for up to two hours, sent as a query parameter.
    AccessToken
);

/// What replaces a secret in anything printed.
pub const REDACTED: &str = "<redacted>";

/// Query parameters whose values are secrets.
const SECRET_PARAMS: [&str; 3] = ["access_token", "secret", "corpsecret"];

/// `url` with the values of `access_token`, `secret` and `corpsecret`
/// replaced, so it can be logged or put into an error.
pub fn redact_url(url: &str) -> String {
    let Some((base, rest)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (rest, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{base}?{}", query.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `text` with every occurrence of each non-empty secret replaced, for
/// messages that come from outside (an `errmsg`, a transport error).
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .fold(redact_urls_in(text), |text, secret| {
            text.replace(secret, REDACTED)
        })
}

/// Redacts every URL-looking word of `text`.
fn redact_urls_in(text: &str) -> String {
    if !SECRET_PARAMS.iter().any(|name| text.contains(name)) {
        return text.to_owned();
    }
    text.split(' ')
        .map(|word| {
            if word.contains('?') {
                redact_url(word)
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret() {
        let secret = AppSecret::new("0123456789abcdef0123456789abcdef");
        let token = AccessToken::new("TOKEN-VALUE");
        assert_eq!(format!("{secret:?}"), "AppSecret(<redacted>)");
        assert!(!format!("{token:?}").contains("TOKEN-VALUE"));
    }

    #[test]
    fn a_url_keeps_everything_but_its_secrets() {
        let url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S3CR3T#x";
        assert_eq!(
            redact_url(url),
            "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=<redacted>#x"
        );
        assert_eq!(
            redact_url("http://h/cgi-bin/media/get?access_token=T0K&media_id=m"),
            "http://h/cgi-bin/media/get?access_token=<redacted>&media_id=m"
        );
    }

    #[test]
    fn scrubbing_removes_urls_and_known_values() {
        let text = "error sending request for url (http://h/x?access_token=abc) with T0K";
        let scrubbed = scrub(text, &["T0K", ""]);
        assert!(!scrubbed.contains("abc"));
        assert!(!scrubbed.contains("T0K"));
    }
}
