//! The timeline of a relocated household after registration: RecordMoveIn,
//! RecordDemolition, RecordReclamation. Each checks its request, then changes the stored
//! record through [`change`], which re-checks the whole record (the order of the
//! milestones, the prerequisites at the household's site type) before it is stored.

use chrono::NaiveDate;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::api_error::Breach;
use xk_runtime::clock::today;
use xk_runtime::enums::known;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Violations};

use super::convert::{household, past_date};
use super::relocations::{RelocationReply, Target, change};
use super::{HousingApi, Write};
use crate::domain::rules::{DEMOLITION_EXEMPT, MILESTONE_ORDER};

/// A step the record does not allow (yet, or any more): MILESTONE_ORDER on `field`.
fn out_of_order(field: &str, description: &str) -> ApiError {
    ApiError::rule(MILESTONE_ORDER, field, description)
}

/// RecordMoveIn: the key handover and/or the day the family moved in.
impl Write for pb::RecordMoveInRequest {
    type Reply = pb::RecordMoveInResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let (today, mut v) = (today(), household(&self.household_id));
        let handover = past_date(
            &mut v,
            "key_handover",
            self.key_handover.as_ref(),
            false,
            today,
        );
        let moved = past_date(&mut v, "moved_in", self.moved_in.as_ref(), false, today);
        if self.key_handover.is_none() && self.moved_in.is_none() {
            v.add("moved_in", "send key_handover, moved_in or both");
        }
        v.into_result()?;
        let edit = |record: &mut pb::Relocation| {
            // No move-in before completion and acceptance: the prerequisites are checked on the
            // whole record once the site is known, as on every other write.
            if record.moved_in {
                return Err(out_of_order(
                    "milestones.moved_in",
                    "the household already counts as moved in; correct it with UpdateRelocation",
                ));
            }
            let m = record.milestones.get_or_insert_with(Default::default);
            if let Some(d) = handover {
                m.key_handover = Some(date_to_pb(d));
            }
            if let Some(d) = moved {
                m.moved_in = Some(date_to_pb(d));
            }
            Ok(())
        };
        change(api, idem, Target::household(&self.household_id), edit).await
    }
}

/// A milestone dated by one required field (`date`: its name and value), not in the
/// future: the household and the date checked, then `more` of the request's own fields;
/// once all pass, the stored record changed by `edit` given the date and re-checked whole
/// ([`change`]).
async fn dated_milestone<R: RelocationReply>(
    api: &HousingApi,
    idem: &Idempotent,
    household_id: &str,
    (field, date): (&str, Option<&Date>),
    more: impl FnOnce(&mut Violations),
    edit: impl FnOnce(&mut pb::Relocation, Option<NaiveDate>) -> Result<(), ApiError> + Send,
) -> Result<R, ApiError> {
    let mut v = household(household_id);
    let on = past_date(&mut v, field, date, true, today());
    more(&mut v);
    v.into_result()?;
    change(api, idem, Target::household(household_id), |r| edit(r, on)).await
}

/// RecordDemolition: the old house demolished, once the household counts as moved in.
impl Write for pb::RecordDemolitionRequest {
    type Reply = pb::RecordDemolitionResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let on = ("demolished_on", self.demolished_on.as_ref());
        dated_milestone(api, idem, &self.household_id, on, |_| {}, demolish).await
    }
}

/// The demolition's own rule: after move-in, not for an exempt house, and once.
fn demolish(record: &mut pb::Relocation, on: Option<NaiveDate>) -> Result<(), ApiError> {
    if !record.moved_in {
        return Err(out_of_order(
            "milestones.moved_in",
            "no demolition before move-in: the household does not count as moved in",
        ));
    }
    let exempt = record
        .old_house
        .as_ref()
        .is_some_and(|o| !o.demolition_exempt_reason.is_empty());
    if exempt {
        return Err(ApiError::rule(
            DEMOLITION_EXEMPT,
            "old_house.demolition_exempt_reason",
            "the old house is exempt from demolition",
        ));
    }
    let m = record.milestones.get_or_insert_with(Default::default);
    if m.demolished.is_some() {
        return Err(out_of_order(
            "milestones.demolished",
            "the demolition is recorded already; correct it with UpdateRelocation",
        ));
    }
    m.demolished = on.map(date_to_pb);
    Ok(())
}

/// RecordReclamation: the old homestead's reclamation accepted, once it is demolished.
impl Write for pb::RecordReclamationRequest {
    type Reply = pb::RecordReclamationResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let (area, land) = (self.reclaimed_centi_mu, self.land_type);
        let more = |v: &mut Violations| {
            if area <= 0 {
                v.add(
                    "reclaimed_centi_mu",
                    format!("must be positive, got {area} × 0.01 mu"),
                );
            }
            v.check("land_type", known::<pb::LandType>(land, "land type"));
        };
        let edit = |record: &mut pb::Relocation, on: Option<NaiveDate>| {
            let m = record.milestones.get_or_insert_with(Default::default);
            if m.demolished.is_none() {
                return Err(out_of_order(
                    "milestones.demolished",
                    "no reclamation before demolition: the old house is not demolished",
                ));
            }
            if m.reclamation_accepted.is_some() {
                return Err(out_of_order(
                    "milestones.reclamation_accepted",
                    "the reclamation is recorded already; correct it with UpdateRelocation",
                ));
            }
            m.reclamation_accepted = on.map(date_to_pb);
            let o = record.old_house.get_or_insert_with(Default::default);
            o.reclaimed_centi_mu = area;
            o.land_type = land;
            Ok(())
        };
        let on = ("accepted_on", self.accepted_on.as_ref());
        let changed = dated_milestone(api, idem, &self.household_id, on, more, edit).await;
        // The record's field is named after the request's where the request supplied it.
        changed.map_err(|e| rename(e, "old_house.reclaimed_centi_mu", "reclaimed_centi_mu"))
    }
}

/// Renames a field in an error (a record's path to the request field it came from).
fn rename(e: ApiError, from: &str, to: &str) -> ApiError {
    let fix = |f: &str| if f == from { to } else { f }.to_string();
    match e {
        ApiError::Rule(breaches) => ApiError::Rule(
            breaches
                .into_iter()
                .map(|b| Breach {
                    subject: fix(&b.subject),
                    ..b
                })
                .collect(),
        ),
        ApiError::Invalid(v) => {
            let mut out = Violations::new();
            for (field, description) in v.items() {
                out.add(fix(field), description);
            }
            ApiError::Invalid(out)
        }
        other => other,
    }
}
