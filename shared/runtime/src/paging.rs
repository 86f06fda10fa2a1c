//! Page sizes and opaque page tokens.
//!
//! Lists are keyset-paged: a token holds the last key of the page and a fingerprint of the
//! filter it was issued for, so a token cannot be replayed against a different filter
//! (INVALID_ARGUMENT) and pages stay stable while rows are added.

use std::ops::RangeInclusive;

use sha2::{Digest, Sha256};
use tonic::Status;
use xk_contracts::ListPage;
use xk_contracts::pages::{RegionListRequest, YearRegionListRequest};

use crate::errors::Violations;

/// Page size when the caller sends 0.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// Largest page; larger requests are coerced down (AIP-158).
pub const MAX_PAGE_SIZE: u64 = 1000;
/// Latest year a year's list may name (a typo guard, as for health's coverage years).
pub const LAST_LIST_YEAR: i32 = 2100;

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

/// The page a list request asks for, checked: the region prefix it lists under (canonical;
/// empty for all, or for a list without one), the page size, the key the page starts
/// after, and the filter its tokens are bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The region prefix (digits), empty for no region filter.
    pub prefix: String,
    /// Rows per page.
    pub size: u64,
    /// The key to continue after, or `None` for the first page.
    pub after: Option<String>,
    /// The filter the page tokens are bound to.
    pub filter: String,
}

impl Page {
    /// Checks `page_size` and `page_token` (which must have been issued for `filter`)
    /// into `v`.
    pub fn read(v: &mut Violations, page_size: i32, page_token: &str, filter: String) -> Page {
        let size = v
            .check("page_size", self::page_size(page_size))
            .unwrap_or(DEFAULT_PAGE_SIZE);
        let after = v
            .check("page_token", decode_token(page_token, &filter))
            .flatten();
        Page {
            prefix: String::new(),
            size,
            after,
            filter,
        }
    }

    /// Checks an optional `region_prefix`, then `page_size` and `page_token`, into `v`;
    /// `filter` names the list and its filters given the canonical prefix, so a token is
    /// only good for the list and filter that issued it.
    pub fn under_region(
        v: &mut Violations,
        region_prefix: &str,
        page_size: i32,
        page_token: &str,
        filter: impl FnOnce(&str) -> String,
    ) -> Page {
        let prefix = crate::scope::optional_prefix(v, "region_prefix", region_prefix);
        let filter = filter(&prefix);
        Page {
            prefix,
            ..Page::read(v, page_size, page_token, filter)
        }
    }

    /// [`Page::of_region`] for a list request with no other filter, its tokens bound to
    /// the list's name and the prefix (`"{list};r={prefix}"`).
    pub fn of_list(list: &str, req: &impl RegionListRequest) -> Result<Page, Status> {
        Page::of_region(
            req.region_prefix(),
            req.page_size(),
            req.page_token(),
            |r| format!("{list};r={r}"),
        )
    }

    /// [`Page::under_region`] for a list with no other field to check: INVALID_ARGUMENT
    /// naming every bad one, else the page.
    pub fn of_region(
        region_prefix: &str,
        page_size: i32,
        page_token: &str,
        filter: impl FnOnce(&str) -> String,
    ) -> Result<Page, Status> {
        let mut v = Violations::new();
        let page = Page::under_region(&mut v, region_prefix, page_size, page_token, filter);
        v.into_result()?;
        Ok(page)
    }

    /// The response to a paged list: `rows`, fetched with [`Page::fetch`] after
    /// [`Page::after`](Page#structfield.after), cut to the page, and the next page's token
    /// (after the last row's `key`).
    pub fn answer<T, R: ListPage<Row = T>>(
        &self,
        mut rows: Vec<T>,
        key: impl FnOnce(&T) -> &str,
    ) -> R {
        let next_page_token = self.cut(&mut rows, key);
        R::page(rows, next_page_token)
    }

    /// [`Page::answer`] for a list whose key is built from several of a row's fields.
    pub fn answer_built<T, R: ListPage<Row = T>>(
        &self,
        mut rows: Vec<T>,
        key: impl FnOnce(&T) -> String,
    ) -> R {
        let next_page_token = self.cut(&mut rows, key);
        R::page(rows, next_page_token)
    }

    /// The key the page continues after, read by `parse` (a list whose key has parts);
    /// `None` for the first page, and for a key `parse` refuses, which is recorded in `v`
    /// as a token this service did not issue.
    pub fn after_parsed<'p, K>(
        &'p self,
        v: &mut Violations,
        parse: impl FnOnce(&'p str) -> Option<K>,
    ) -> Option<K> {
        let parsed = parse(self.after.as_deref()?);
        if parsed.is_none() {
            v.add("page_token", "not a token this service issued");
        }
        parsed
    }

    /// How many rows to fetch: one more than the page, to tell whether another follows.
    pub fn fetch(&self) -> u64 {
        self.size + 1
    }

    /// Cuts rows fetched with [`Page::fetch`] to the page and returns the next page's
    /// token (after the last row's `key`), empty after the last page.
    pub fn cut<'r, T, K: AsRef<str>>(
        &self,
        rows: &'r mut Vec<T>,
        key: impl FnOnce(&'r T) -> K,
    ) -> String {
        next_page_token(rows, self.size, &self.filter, key)
    }
}

/// Cuts `rows`, fetched one past a page of `size`, to the page and returns the token of
/// the next (bound to `filter`, continuing after the last row's `key`), or "" after the
/// last page.
pub fn next_page_token<'r, T, K: AsRef<str>>(
    rows: &'r mut Vec<T>,
    size: u64,
    filter: &str,
    key: impl FnOnce(&'r T) -> K,
) -> String {
    if rows.len() as u64 <= size {
        return String::new();
    }
    rows.truncate(size as usize);
    let rows: &'r Vec<T> = rows;
    rows.last()
        .map(|last| encode_token(filter, key(last).as_ref()))
        .unwrap_or_default()
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
) -> Page {
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
    let prefix = crate::scope::required_prefix(v, region_prefix)
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let filter = format!("{list};y={year};r={prefix}");
    Page {
        prefix,
        ..Page::read(v, page_size, page_token, filter)
    }
}

/// [`year_region_page`] for a list request with no other filter, its years from
/// `first_year` to [`LAST_LIST_YEAR`].
pub fn year_region_list(
    v: &mut Violations,
    list: &str,
    req: &impl YearRegionListRequest,
    first_year: i32,
) -> Page {
    year_region_page(
        v,
        list,
        req.year(),
        first_year..=LAST_LIST_YEAR,
        req.region_prefix(),
        req.page_size(),
        req.page_token(),
    )
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
    fn pages_under_a_region_cut_one_past_the_page_and_continue_after_it() {
        let mut v = Violations::new();
        let page = Page::under_region(&mut v, "420625", 2, "", |r| format!("things;r={r}"));
        assert!(v.is_empty());
        assert_eq!((page.prefix.as_str(), page.fetch()), ("420625", 3));
        let mut rows = vec!["a", "b", "c"];
        let token = page.cut(&mut rows, |r| *r);
        assert_eq!(rows, ["a", "b"]);
        let next = Page::under_region(&mut v, "420625", 2, &token, |r| format!("things;r={r}"));
        assert_eq!(next.after.as_deref(), Some("b"));
        let mut last = vec!["c"];
        assert_eq!(next.cut(&mut last, |r| r.to_string()), "");
        assert!(v.is_empty());
        Page::under_region(&mut v, "42", -1, &token, |r| format!("others;r={r}"));
        let fields: Vec<&str> = v.items().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["region_prefix", "page_size", "page_token"]);
    }

    #[test]
    fn an_answer_is_the_page_and_the_token_after_its_last_row() {
        use xk_contracts::pb::water::v1::{ListSchemesResponse, Scheme};
        let scheme = |id: &str| Scheme {
            scheme_id: id.into(),
            ..Default::default()
        };
        let mut v = Violations::new();
        let page = Page::read(&mut v, 2, "", "schemes".into());
        let rows = vec![scheme("a"), scheme("b"), scheme("c")];
        let first: ListSchemesResponse = page.answer(rows, |s| &s.scheme_id);
        assert_eq!(first.schemes, [scheme("a"), scheme("b")]);
        let next = Page::read(&mut v, 2, &first.next_page_token, "schemes".into());
        assert_eq!(next.after.as_deref(), Some("b"));
        let last: ListSchemesResponse = next.answer(vec![scheme("c")], |s| &s.scheme_id);
        assert_eq!((last.schemes.len(), last.next_page_token.as_str()), (1, ""));
        assert!(v.is_empty());
    }

    #[test]
    fn a_key_in_parts_is_parsed_or_refused_as_a_foreign_token() {
        use xk_contracts::pb::education::v1::{EducationException, ListExceptionsResponse};
        let mut v = Violations::new();
        let first = Page::read(&mut v, 1, "", "exceptions".into());
        assert_eq!(first.after_parsed(&mut v, |k| k.split_once(':')), None);
        let rows = vec![EducationException::default(); 2];
        let answer: ListExceptionsResponse = first.answer_built(rows, |_| "2:HH1".to_string());
        assert_eq!(answer.exceptions.len(), 1);
        let next = Page::read(&mut v, 1, &answer.next_page_token, "exceptions".into());
        assert_eq!(
            next.after_parsed(&mut v, |k| k.split_once(':')),
            Some(("2", "HH1"))
        );
        assert!(v.is_empty());
        assert_eq!(next.after_parsed(&mut v, |k| k.parse::<i64>().ok()), None);
        assert_eq!(
            v.items(),
            [(
                "page_token".to_string(),
                "not a token this service issued".to_string()
            )]
        );
    }

    #[test]
    fn list_requests_give_their_own_fields_to_the_page() {
        use xk_contracts::pb::registry::v1::ListDisasterExpensesRequest;
        use xk_contracts::pb::water::v1::ListSchemesRequest;
        let req = ListSchemesRequest {
            region_prefix: "420625".into(),
            page_size: 3,
            page_token: String::new(),
        };
        let page = Page::of_list("schemes", &req).unwrap();
        assert_eq!(page.filter, "schemes;r=420625");
        assert_eq!((page.prefix.as_str(), page.size), ("420625", 3));
        let bad = ListSchemesRequest {
            region_prefix: "42".into(),
            ..req
        };
        assert!(Page::of_list("schemes", &bad).is_err());
        let req = ListDisasterExpensesRequest {
            year: 2020,
            region_prefix: "420625".into(),
            page_size: 0,
            page_token: String::new(),
        };
        let mut v = Violations::new();
        let page = year_region_list(&mut v, "things", &req, 2014);
        assert_eq!(
            page,
            year_region_page(&mut v, "things", 2020, 2014..=2100, "420625", 0, "")
        );
        assert!(v.is_empty());
        year_region_list(
            &mut v,
            "things",
            &ListDisasterExpensesRequest { year: 2101, ..req },
            2014,
        );
        assert_eq!(v.items()[0].0, "year");
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
