//! The WeChat protocol crate: signatures, the AES envelope, XML, API clients
//! and a fake WeChat. It is filled in by the Official Account channel work;
//! for now it only holds the callback signature check the server will use.

/// WeChat's URL-verification signature: sha1 of the sorted, concatenated
/// token, timestamp and nonce, as lowercase hex.
pub fn signature_inputs_sorted<'a>(token: &'a str, timestamp: &'a str, nonce: &'a str) -> [&'a str; 3] {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_inputs_are_sorted_lexicographically() {
        assert_eq!(signature_inputs_sorted("b", "c", "a"), ["a", "b", "c"]);
    }
}
