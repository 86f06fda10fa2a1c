//! Page sizes and opaque page tokens.
//!
//! Lists are keyset-paged: a token holds the last key of the page and a fingerprint of the
//! filter it was issued for, so a token cannot be replayed against a different filter
//! (INVALID_ARGUMENT) and pages stay stable while rows are added.

use std::ops::RangeInclusive;

use sha2::{Digest, Sha256};
use xk_contracts::types::RegionPrefix;

use crate::errors::Violations;

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

/// A validated request of a list of one year's rows under a required region prefix (what
/// the aggregator's village walk reads: a village's figures of the year, page by page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearRegionPage {
    /// The region prefix (digits).
    pub prefix: String,
    /// Rows per page.
    pub size: u64,
    /// The key to continue after, or `None` for the first page.
    pub after: Option<String>,
    /// The filter the page tokens are bound to.
    pub filter: String,
}

/// Validates the `year` (required, within `years`), `region_prefix` (required),
/// `page_size` and `page_token` fields of such a list into `v`; `list` names the list in
/// the tokens' filter, so a token of one list or filter is refused by another.
pub fn year_region_page(
    v: &mut Violations,
    list: &str,
    year: i32,
    years: RangeInclusive<i32>,
    region_prefix: &str,
    page_size: i32,
    page_token: &str,
) -> YearRegionPage {
    if !years.contains(&year) {
        v.add(
            "year",
            format!(
                "required: a year between {} and {}, got {year}",
                years.start(),
                years.end()
            ),
        );
    }
    let prefix = if region_prefix.is_empty() {
        v.add(
            "region_prefix",
            "required: a 6-, 9- or 12-digit region prefix",
        );
        None
    } else {
        v.check("region_prefix", RegionPrefix::parse(region_prefix))
    };
    let prefix = prefix.map(|p| p.as_str().to_string()).unwrap_or_default();
    let size = v
        .check("page_size", self::page_size(page_size))
        .unwrap_or(DEFAULT_PAGE_SIZE);
    let filter = format!("{list};y={year};r={prefix}");
    let after = v
        .check("page_token", decode_token(page_token, &filter))
        .flatten();
    YearRegionPage {
        prefix,
        size,
        after,
        filter,
    }
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

    #[test]
    fn year_region_pages_name_every_bad_field_and_bind_tokens_to_the_filter() {
        let mut v = Violations::new();
        let p = year_region_page(&mut v, "things", 2020, 2000..=2100, "420625100", 5, "");
        assert!(v.is_empty());
        assert_eq!((p.prefix.as_str(), p.size, p.after), ("420625100", 5, None));
        let token = encode_token(&p.filter, "HH000001");
        let mut v = Violations::new();
        let next = year_region_page(&mut v, "things", 2020, 2000..=2100, "420625100", 0, &token);
        assert!(v.is_empty());
        assert_eq!(next.after.as_deref(), Some("HH000001"));
        assert_eq!(next.size, DEFAULT_PAGE_SIZE);
        // Another year, prefix or list: the token is refused.
        for (list, year, prefix) in [
            ("things", 2021, "420625100"),
            ("things", 2020, "420625"),
            ("others", 2020, "420625100"),
        ] {
            let mut v = Violations::new();
            year_region_page(&mut v, list, year, 2000..=2100, prefix, 0, &token);
            let fields: Vec<&str> = v.items().iter().map(|(f, _)| f.as_str()).collect();
            assert_eq!(fields, ["page_token"], "{list} {year} {prefix}");
        }
        let mut v = Violations::new();
        year_region_page(&mut v, "things", 1999, 2000..=2100, "", -1, "x");
        let fields: Vec<&str> = v.items().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["year", "region_prefix", "page_size", "page_token"]);
    }
}
