//! UpsertVillage and ListVillages: the villages and communities of the archive, with the
//! collective income a poor village must reach.

use chrono::Datelike;
use xk_contracts::pb::registry::v1::{
    ListVillagesRequest, ListVillagesResponse, UpsertVillageRequest, UpsertVillageResponse,
};
use xk_contracts::types::{RegionCode, VillageKind};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::paging::Page;
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, Violations, clock};

use super::RegistryApi;
use super::fields::required;
use crate::domain::validate::check_name;
use crate::policy::FIRST_YEAR;
use crate::store;

impl RegistryApi {
    /// UpsertVillage: registers a village or replaces what is known of it.
    pub(super) async fn upsert_village(
        &self,
        idem: Idempotent,
        req: UpsertVillageRequest,
    ) -> Result<UpsertVillageResponse, ApiError> {
        let village = required(req.village, "village")?;
        let mut v = Violations::new();
        let code = v.check(
            "village.village_code",
            RegionCode::parse(&village.village_code),
        );
        v.check("village.name", check_name(&village.name));
        if village.collective_income_fen < 0 {
            v.add("village.collective_income_fen", "must not be negative");
        }
        let this_year = clock::today().year();
        if village.collective_income_year != 0
            && !(FIRST_YEAR..=this_year).contains(&village.collective_income_year)
        {
            v.add(
                "village.collective_income_year",
                format!("must be 0 or between {FIRST_YEAR} and {this_year}"),
            );
        }
        v.into_result()?;
        let is_community = code.is_some_and(|c| c.village_kind() == VillageKind::Community);
        self.db
            .write(&idem, async move |txn| {
                store::upsert_village(&**txn, &village, is_community).await?;
                let audit = Audit::new(village.village_code.clone(), "upserted");
                let village = Some(village);
                Ok((UpsertVillageResponse { village }, audit))
            })
            .await
    }

    /// ListVillages: villages in code order under an optional region prefix.
    pub(super) async fn list_villages(
        &self,
        req: ListVillagesRequest,
    ) -> Result<ListVillagesResponse, ApiError> {
        let page = Page::of_list("villages", &req)?;
        let villages = store::list_villages(self.db.conn(), (&page).into()).await?;
        Ok(page.answer(villages, |x| &x.village_code))
    }
}
