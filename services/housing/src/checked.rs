//! A relocation record that passed every check, and the wire numbers of the site types.
//!
//! The api checks a wire record into a [`Checked`] ([`crate::api::convert::check_relocation`]),
//! sets its site's type once the site is read ([`Checked::at_site`]), and hands it to
//! the store, which derives its columns from the facts. Living beside both rather than in
//! either keeps the store from using the api.

use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;

use crate::domain::milestones::{moved_in_on, validate_prerequisites};
use crate::domain::policy::Policy;
use crate::domain::relocation::RelocationFacts;
use crate::domain::rules::SITE;
use crate::domain::site::{CentralizedKind, ScatteredKind, SiteType};

/// The wire enum of a site type.
pub fn site_type_to_pb(t: SiteType) -> pb::SiteType {
    use CentralizedKind as C;
    use ScatteredKind as S;
    match t {
        SiteType::Centralized(C::CountyTown) => pb::SiteType::CentralizedCountyTown,
        SiteType::Centralized(C::MarketTown) => pb::SiteType::CentralizedMarketTown,
        SiteType::Centralized(C::CentralVillage) => pb::SiteType::CentralizedCentralVillage,
        SiteType::Centralized(C::IndustrialPark) => pb::SiteType::CentralizedIndustrialPark,
        SiteType::Scattered(S::FillingIn) => pb::SiteType::ScatteredFillingIn,
        SiteType::Scattered(S::WithRelatives) => pb::SiteType::ScatteredWithRelatives,
    }
}

/// The domain site type of a wire number; `None` for unspecified or unknown.
pub fn site_type_from_pb(v: i32) -> Option<SiteType> {
    use CentralizedKind as C;
    use ScatteredKind as S;
    Some(match pb::SiteType::try_from(v).ok()? {
        pb::SiteType::Unspecified => return None,
        pb::SiteType::CentralizedCountyTown => SiteType::Centralized(C::CountyTown),
        pb::SiteType::CentralizedMarketTown => SiteType::Centralized(C::MarketTown),
        pb::SiteType::CentralizedCentralVillage => SiteType::Centralized(C::CentralVillage),
        pb::SiteType::CentralizedIndustrialPark => SiteType::Centralized(C::IndustrialPark),
        pb::SiteType::ScatteredFillingIn => SiteType::Scattered(S::FillingIn),
        pb::SiteType::ScatteredWithRelatives => SiteType::Scattered(S::WithRelatives),
    })
}

/// A relocation record that passed every check, with what the store derives from it.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The normalized record (output-only fields set, etag cleared) as it will be stored.
    pub record: pb::Relocation,
    /// The domain's view of it; the derived columns come from these.
    pub facts: RelocationFacts,
    /// The policy of its batch year, for the derived flags that depend on figures.
    pub policy: Policy,
    /// Where the record sits in its request (`relocation.`, `batch[0].relocations[3].`),
    /// so the rules checked once the site is known name the request's fields.
    pub prefix: String,
}

impl Checked {
    /// Sets the type of the record's site and the output-only fields that follow from it,
    /// once the milestones pass the prerequisites of that site type. `None` is a site that
    /// does not exist: a broken SITE rule. Every write of a relocation (create, import,
    /// update, each milestone RPC) passes through here, so no path can store a handover or
    /// a move-in without the steps before it. Breaches name the request's fields.
    pub fn at_site(mut self, site_type: Option<SiteType>) -> Result<Self, ApiError> {
        let Some(t) = site_type else {
            return Err(ApiError::rule(
                SITE,
                format!("{}site_id", self.prefix),
                format!(
                    "no resettlement site {}; create it first",
                    self.record.site_id
                ),
            ));
        };
        validate_prerequisites(t, &self.facts.milestones)
            .or_else(|errs| ApiError::check(&format!("{}milestones.", self.prefix), errs))?;
        self.facts.site_type = t;
        let on = moved_in_on(t, &self.facts.milestones);
        self.record.site_type = site_type_to_pb(t) as i32;
        self.record.moved_in = on.is_some();
        self.record.moved_in_on = on.map(date_to_pb);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_types_round_trip() {
        for n in 1..=6 {
            let t = site_type_from_pb(n).expect("known");
            assert_eq!(site_type_to_pb(t) as i32, n);
        }
        assert_eq!(site_type_from_pb(0), None);
        assert_eq!(site_type_from_pb(99), None);
    }
}
