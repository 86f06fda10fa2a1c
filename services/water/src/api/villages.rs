//! Villages' area types: SetVillageArea, ListVillageAreas.

use xk_contracts::pb::water::v1::*;
use xk_contracts::types::RegionCode;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::paging::Page;
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, Violations, required};

use super::WaterApi;
use crate::store::villages as store;

/// SetVillageArea: sets (or replaces) whether a village is water-rich or water-short.
pub(super) async fn set(
    api: &WaterApi,
    idem: Idempotent,
    req: SetVillageAreaRequest,
) -> Result<SetVillageAreaResponse, ApiError> {
    let village_area = required(req.village_area, "village_area")?;
    let mut v = Violations::new();
    v.check(
        "village_area.village_code",
        RegionCode::parse(&village_area.village_code),
    );
    let area = match AreaType::try_from(village_area.area) {
        Ok(area @ (AreaType::WaterRich | AreaType::WaterShort)) => area,
        _ => {
            v.add(
                "village_area.area",
                format!(
                    "must be WATER_RICH or WATER_SHORT, got {}",
                    village_area.area
                ),
            );
            AreaType::Unspecified
        }
    };
    v.into_result()?;
    api.db
        .write(&idem, async |txn| {
            store::set_village_area(&**txn, &village_area.village_code, village_area.area).await?;
            let audit = Audit::new(&village_area.village_code, area.as_str_name());
            Ok((
                SetVillageAreaResponse {
                    village_area: Some(village_area),
                },
                audit,
            ))
        })
        .await
}

/// ListVillageAreas: configured villages in code order under a region prefix.
pub(super) async fn list(
    api: &WaterApi,
    req: ListVillageAreasRequest,
) -> Result<ListVillageAreasResponse, ApiError> {
    let page = Page::of_list("village_areas", &req)?;
    let rows = store::list_village_areas(api.db.conn(), (&page).into()).await?;
    let village_areas: Vec<VillageArea> = rows
        .into_iter()
        .map(|(village_code, area)| VillageArea { village_code, area })
        .collect();
    Ok(page.answer(village_areas, |x| &x.village_code))
}
