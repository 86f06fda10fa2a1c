//! Follow-up support (后续扶持): AddSupportMeasure, once the household counts as moved in.

use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;
use xk_runtime::clock::today;
use xk_runtime::idempotency::Idempotent;

use super::convert::{household, measure_from_pb, past_date};
use super::relocations::{Target, change};
use super::{HousingApi, Write};
use crate::domain::rules::MILESTONE_ORDER;

/// AddSupportMeasure: one more measure on the household's record.
impl Write for pb::AddSupportMeasureRequest {
    type Reply = pb::AddSupportMeasureResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let today = today();
        let mut v = household(&self.household_id);
        let Some(measure) = self.measure else {
            v.add("measure", "required");
            return Err(v.into());
        };
        if measure_from_pb(measure.kind).is_none() {
            v.add(
                "measure.kind",
                format!("required: a known measure, got {}", measure.kind),
            );
        }
        past_date(
            &mut v,
            "measure.started_on",
            measure.started_on.as_ref(),
            true,
            today,
        );
        past_date(
            &mut v,
            "measure.ended_on",
            measure.ended_on.as_ref(),
            false,
            today,
        );
        v.into_result()?;
        let edit = |record: &mut pb::Relocation| {
            if !record.moved_in {
                return Err(ApiError::rule(
                    MILESTONE_ORDER,
                    "milestones.moved_in",
                    "follow-up support starts after move-in: the household does not count as moved in",
                ));
            }
            record.support.push(measure);
            Ok(())
        };
        change(api, idem, Target::household(&self.household_id), edit).await
    }
}
