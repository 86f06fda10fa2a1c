//! What the runtime's paging needs of a paged `List*` response without knowing the
//! service: how to answer with a page of rows and the next page's token. Every contract
//! writes a paged list the same way (the rows, then `next_page_token`), so build.rs
//! derives the implementations from the descriptors rather than a table restating them.

/// The response of a paged list RPC.
pub trait ListPage {
    /// One row of the page.
    type Row;

    /// The response carrying `rows` and `next_page_token` (empty after the last page).
    fn page(rows: Vec<Self::Row>, next_page_token: String) -> Self;
}

/// A paged list request whose one filter is an optional region prefix; derived by
/// build.rs for every `List…Request` of exactly these fields.
pub trait RegionListRequest {
    /// The region prefix sent (unchecked), empty for every region.
    fn region_prefix(&self) -> &str;
    /// The page size sent (unchecked).
    fn page_size(&self) -> i32;
    /// The page token sent, empty for the first page.
    fn page_token(&self) -> &str;
}

/// A paged list request for one year under a required region prefix, and no other
/// filter; derived by build.rs for every `List…Request` of exactly these fields.
pub trait YearRegionListRequest {
    /// The year sent (unchecked).
    fn year(&self) -> i32;
    /// The region prefix sent (unchecked).
    fn region_prefix(&self) -> &str;
    /// The page size sent (unchecked).
    fn page_size(&self) -> i32;
    /// The page token sent, empty for the first page.
    fn page_token(&self) -> &str;
}

include!(concat!(env!("OUT_DIR"), "/xiaokang_list_pages.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb;

    /// The rows go to the response's one repeated field, whatever the contract calls it.
    #[test]
    fn a_page_fills_the_rows_field_and_the_token() {
        let rows = vec![pb::water::v1::Scheme {
            scheme_id: "S1".into(),
            ..Default::default()
        }];
        let page = pb::water::v1::ListSchemesResponse::page(rows.clone(), "next".into());
        assert_eq!(
            (page.schemes, page.next_page_token.as_str()),
            (rows, "next")
        );
        let areas = pb::water::v1::ListVillageAreasResponse::page(Vec::new(), String::new());
        assert!(areas.village_areas.is_empty() && areas.next_page_token.is_empty());
    }
}
