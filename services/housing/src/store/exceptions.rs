//! The exceptions ListExceptions pages through: relocated households by their derived
//! columns, then dangerous houses not renovated, each as of a day.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;

use super::entities::{appraisal, relocation};
use crate::domain::ExceptionKind;
use xk_runtime::query::Keyset;

/// The SQL condition of one relocation exception as of `as_of`; must agree with
/// [`relocation_kinds`].
fn relocation_condition(kind: ExceptionKind, as_of: NaiveDate) -> Option<Condition> {
    use relocation::Column as C;
    Some(match kind {
        ExceptionKind::NotMovedIn => Condition::any()
            .add(C::MovedInOn.is_null())
            .add(C::MovedInOn.gt(as_of)),
        ExceptionKind::NotDemolishedAfterGrace => Condition::all()
            .add(C::DemolitionDue.is_not_null())
            .add(C::DemolitionDue.lt(as_of)),
        ExceptionKind::NoEmployment => Condition::all().add(C::EmploymentOk.eq(false)),
        ExceptionKind::OverAreaWithoutReason => Condition::all().add(C::OverAreaNoReason.eq(true)),
        ExceptionKind::NoFollowUpSupport => Condition::all()
            .add(C::MovedInOn.lte(as_of))
            .add(C::HasSupport.eq(false)),
        ExceptionKind::DebtAtOrOverCap | ExceptionKind::DangerousNotRenovated => return None,
    })
}

/// The relocation exceptions [`ListExceptions`](crate::api) reports, in enum order.
/// Debt at or over the cap is refused on every write, so no stored record has it.
pub const RELOCATION_KINDS: [ExceptionKind; 5] = [
    ExceptionKind::NotMovedIn,
    ExceptionKind::NotDemolishedAfterGrace,
    ExceptionKind::NoEmployment,
    ExceptionKind::OverAreaWithoutReason,
    ExceptionKind::NoFollowUpSupport,
];

/// The exceptions of one row as of `as_of`; must agree with [`relocation_condition`].
fn relocation_kinds(r: &relocation::Model, as_of: NaiveDate) -> Vec<ExceptionKind> {
    let moved = r.moved_in_on.is_some_and(|d| d <= as_of);
    let mut out = Vec::new();
    if !moved {
        out.push(ExceptionKind::NotMovedIn);
    }
    if r.demolition_due.is_some_and(|d| d < as_of) {
        out.push(ExceptionKind::NotDemolishedAfterGrace);
    }
    if !r.employment_ok {
        out.push(ExceptionKind::NoEmployment);
    }
    if r.over_area_no_reason {
        out.push(ExceptionKind::OverAreaWithoutReason);
    }
    if moved && !r.has_support {
        out.push(ExceptionKind::NoFollowUpSupport);
    }
    out
}

/// One household with its exceptions: (household id, village code, kinds).
pub type ExceptionRow = (String, String, Vec<ExceptionKind>);

/// One page of relocated households with an exception (of `kind`, or any) on `as_of`.
pub async fn relocations<C: ConnectionTrait>(
    conn: &C,
    kind: Option<ExceptionKind>,
    as_of: NaiveDate,
    page: Keyset<'_>,
) -> Result<Vec<ExceptionRow>, ApiError> {
    let kinds: Vec<ExceptionKind> = match kind {
        Some(k) => vec![k],
        None => RELOCATION_KINDS.to_vec(),
    };
    let mut any = Condition::any();
    let mut some = false;
    for k in kinds {
        if let Some(c) = relocation_condition(k, as_of) {
            any = any.add(c);
            some = true;
        }
    }
    if !some || page.limit == 0 {
        return Ok(Vec::new());
    }
    use relocation::Column as C;
    let select = relocation::Entity::find().filter(any);
    let rows = page
        .rows(conn, select, (C::OriginVillageCode, C::HouseholdId))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut kinds = relocation_kinds(&r, as_of);
            if let Some(k) = kind {
                kinds.retain(|x| *x == k);
            }
            (r.household_id, r.origin_village_code, kinds)
        })
        .collect())
}

/// One page of appraised households with a dangerous house not renovated on `as_of`.
pub async fn appraisals<C: ConnectionTrait>(
    conn: &C,
    as_of: NaiveDate,
    page: Keyset<'_>,
) -> Result<Vec<ExceptionRow>, ApiError> {
    use appraisal::Column as C;
    let dangerous = [pb::Grade::C as i32, pb::Grade::D as i32];
    // Dangerous and not renovated by `as_of` (a later renovation does not count yet).
    let select = appraisal::Entity::find()
        .filter(C::Grade.is_in(dangerous))
        .filter(C::AppraisedOn.lte(as_of))
        .filter(
            Condition::any()
                .add(C::RenovationCompletedOn.is_null())
                .add(C::RenovationCompletedOn.gt(as_of)),
        );
    let rows = page
        .rows(conn, select, (C::VillageCode, C::HouseholdId))
        .await?;
    let row = |r: appraisal::Model| {
        let kinds = vec![ExceptionKind::DangerousNotRenovated];
        (r.household_id, r.village_code, kinds)
    };
    Ok(rows.into_iter().map(row).collect())
}
