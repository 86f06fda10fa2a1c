//! Page sizes and opaque page tokens.
//!
//! Lists are keyset-paged: a token holds the last key of the page and a fingerprint of the
//! filter it was issued for, so a token cannot be replayed against a different filter
//! (INVALID_ARGUMENT) and pages stay stable while rows are added.

use sha2::{Digest, Sha256};

/// Page size when the caller sends 0.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// Largest page; larger requests are coerced down (AIP-158).
pub const MAX_PAGE_SIZE: u64 = 1000;

/// Validates a requested page size: negative is an error, 0 is the default, large is capped.
pub fn page_size(requested: i32) -> Result<u64, String> {
    match requested {
        n if n < 0 => Err(format!("must not be negative, got {n}")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as u64).min(MAX_PAGE_SIZE)),
    }
}

fn fingerprint(filter: &str) -> String {
    hex::encode(&Sha256::digest(filter.as_bytes())[..8])
}

/// A token continuing after `last_key` under `filter`.
pub fn encode_token(filter: &str, last_key: &str) -> String {
    format!(
        "{}.{}",
        fingerprint(filter),
        hex::encode(last_key.as_bytes())
    )
}

/// The key to continue after, or `None` for the first page.
pub fn decode_token(token: &str, filter: &str) -> Result<Option<String>, String> {
    if token.is_empty() {
        return Ok(None);
    }
    let (fp, key) = token
        .split_once('.')
        .ok_or_else(|| "not a token this service issued".to_string())?;
    if fp != fingerprint(filter) {
        return Err("the token was issued for a different filter".into());
    }
    let bytes = hex::decode(key).map_err(|_| "not a token this service issued".to_string())?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| "not a token this service issued".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sizes() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(5), Ok(5));
        assert_eq!(page_size(5000), Ok(MAX_PAGE_SIZE));
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn token_bound_to_filter() {
        let t = encode_token("region=420625", "HH000123");
        assert_eq!(
            decode_token(&t, "region=420625"),
            Ok(Some("HH000123".into()))
        );
        assert!(decode_token(&t, "region=420626").is_err());
        assert!(decode_token("garbage", "region=420625").is_err());
        assert_eq!(decode_token("", "x"), Ok(None));
    }

    proptest! {
        #[test]
        fn tokens_round_trip(filter in ".{0,40}", key in ".{0,40}") {
            let t = encode_token(&filter, &key);
            prop_assert_eq!(decode_token(&t, &filter), Ok(Some(key)));
        }
    }
}
