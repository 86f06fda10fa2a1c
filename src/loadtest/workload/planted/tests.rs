//! The ids and villages the warm-up plants are valid and distinct.

use xk_contracts::types::ResidentId;

use super::{resident, village};
use crate::fixtures::{COUNTY, county_today};

#[test]
fn resident_ids_of_a_run_are_valid_and_distinct() {
    let today = county_today();
    let mut seen = std::collections::HashSet::new();
    for slot in (0..5_000).chain(1_000_000..1_005_000) {
        let id = resident("321654", slot).unwrap();
        assert!(ResidentId::parse(&id, today).is_ok(), "{id}");
        assert!(seen.insert(id));
    }
}

#[test]
fn villages_are_in_the_county() {
    for n in 0..100 {
        let v = village(n);
        assert_eq!(v.len(), 12);
        assert!(v.starts_with(COUNTY));
    }
}
