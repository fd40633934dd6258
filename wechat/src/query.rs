//! Callback query strings: strict percent-decoding (never `+` → space) into a
//! small name → value map.
//!
//! WeChat puts base64 values (`echostr`, `msg_signature` inputs) in queries; a
//! form decoder that turns `+` into a space silently corrupts them, so web
//! frameworks' form-style extractors must not be used for these parameters.

use thiserror::Error;

/// Upper bound on a query string we are willing to look at.
pub const MAX_QUERY_LEN: usize = 8 * 1024;

/// Why a query string was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// The query string is longer than [`MAX_QUERY_LEN`].
    #[error("the query string is too long")]
    TooLong,
    /// A `%` is not followed by two hex digits.
    #[error("the query string has a malformed percent escape")]
    BadEscape,
    /// The decoded bytes are not UTF-8.
    #[error("a decoded query value is not valid UTF-8")]
    InvalidUtf8,
    /// The same parameter appears twice; we refuse to guess which one counts.
    #[error("the query parameter `{0}` appears more than once")]
    Duplicate(String),
}

impl QueryError {
    /// Stable machine code for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::TooLong => "query_too_long",
            QueryError::BadEscape => "query_bad_escape",
            QueryError::InvalidUtf8 => "query_invalid_utf8",
            QueryError::Duplicate(_) => "query_duplicate_parameter",
        }
    }
}

/// A decoded query string, in the order the parameters appeared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the leading `?`).
    ///
    /// Names and values are percent-decoded; `+` stays `+`. Empty segments
    /// (`a=1&&b=2`) are skipped, a segment without `=` has an empty value.
    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        if raw.len() > MAX_QUERY_LEN {
            return Err(QueryError::TooLong);
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for segment in raw.split('&').filter(|s| !s.is_empty()) {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            let name = percent_decode(name)?;
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(QueryError::Duplicate(name));
            }
            pairs.push((name, percent_decode(value)?));
        }
        Ok(Query { pairs })
    }

    /// Builds a query from already-decoded pairs (e.g. from a test).
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Result<Self, QueryError>
    where
        N: Into<String>,
        V: Into<String>,
    {
        let mut query = Query::default();
        for (name, value) in pairs {
            let name = name.into();
            if query.get(&name).is_some() {
                return Err(QueryError::Duplicate(name));
            }
            query.pairs.push((name, value.into()));
        }
        Ok(query)
    }

    /// The decoded value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All decoded pairs in their original order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Percent-decodes `input` (RFC 3986 style). `+` is kept as a literal `+`.
///
/// A `%` must be followed by two hex digits and the result must be UTF-8.
pub fn percent_decode(input: &str) -> Result<String, QueryError> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| hex_value(*c));
            let lo = bytes.get(i + 2).and_then(|c| hex_value(*c));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(QueryError::BadEscape),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| QueryError::InvalidUtf8)
}

/// Percent-encodes `input` for a query value: everything but RFC 3986
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`, so base64's
/// `+ / =` survive a strict decoder.
pub fn percent_encode(input: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_signs_survive_decoding() {
        assert_eq!(percent_decode("a+b%2Bc%2F%3D").as_deref(), Ok("a+b+c/="));
    }

    #[test]
    fn encoding_round_trips_through_decoding() {
        let value = "a+b/c= 你好&x";
        assert_eq!(percent_encode("a+b/="), "a%2Bb%2F%3D");
        assert_eq!(percent_decode(&percent_encode(value)).as_deref(), Ok(value));
    }

    #[test]
    fn malformed_escapes_are_refused() {
        assert_eq!(percent_decode("%4"), Err(QueryError::BadEscape));
        assert_eq!(percent_decode("%zz"), Err(QueryError::BadEscape));
        assert_eq!(percent_decode("%ff"), Err(QueryError::InvalidUtf8));
    }

    #[test]
    fn duplicate_parameters_are_refused() {
        let err = Query::parse("signature=a&signature=b").expect_err("duplicate");
        assert_eq!(err.code(), "query_duplicate_parameter");
    }

    #[test]
    fn a_parameter_without_equals_has_an_empty_value() {
        let query = Query::parse("a&b=1&&").expect("valid");
        assert_eq!(query.get("a"), Some(""));
        assert_eq!(query.get("b"), Some("1"));
        assert_eq!(query.get("c"), None);
    }
}
