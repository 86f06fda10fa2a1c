//! What the list RPCs share: an optional region prefix, and the page a request asks for
//! and the token of the next one. A leaf: it uses no other api module.

use xk_contracts::types::RegionPrefix;
use xk_runtime::Violations;
use xk_runtime::paging;

/// The canonical form of an optional region prefix (empty: no filter); a bad one is added
/// to `v` under `field`.
pub fn optional_prefix(v: &mut Violations, field: &str, s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    v.check(field, RegionPrefix::parse(s))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

/// The page a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Rows in the page.
    pub size: u64,
    /// The last key of the previous page (none for the first page).
    pub after: Option<String>,
}

impl Page {
    /// Reads `page_size` and `page_token` (which must have been issued for the same
    /// `fingerprint` of the filter); bad ones are added to `v`.
    pub fn read(v: &mut Violations, page_size: i32, page_token: &str, fingerprint: &str) -> Page {
        let size = v.check("page_size", paging::page_size(page_size));
        let after = v
            .check("page_token", paging::decode_token(page_token, fingerprint))
            .flatten();
        Page {
            size: size.unwrap_or(paging::DEFAULT_PAGE_SIZE),
            after,
        }
    }

    /// How many rows to fetch: one more than the page, to tell whether another follows.
    pub fn fetch(&self) -> u64 {
        self.size + 1
    }

    /// Cuts rows fetched with [`Page::fetch`] to the page and returns the next page's
    /// token (empty after the last page).
    pub fn cut<T>(&self, rows: &mut Vec<T>, fingerprint: &str, key: impl Fn(&T) -> &str) -> String {
        if rows.len() as u64 > self.size {
            rows.truncate(self.size as usize);
            rows.last()
                .map(|r| paging::encode_token(fingerprint, key(r)))
                .unwrap_or_default()
        } else {
            String::new()
        }
    }
}
