//! Proto <-> domain mapping: wire records are checked once here (ids, codes, enum
//! numbers, dates) and turned into the domain's facts; domain field paths are mapped back
//! to the wire's field names.

use chrono::NaiveDate;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::housing::v1 as pb;
use xk_contracts::types::{HouseholdId, RegionCode, not_in_future};
use xk_runtime::policy::PolicyBook;
use xk_runtime::{ApiError, Violations};

use crate::checked::Checked;
use crate::domain::FieldViolation;
use crate::domain::appraisal::Grade;
use crate::domain::milestones::Milestones;
use crate::domain::policy::Policy;
use crate::domain::relocation::{
    Demolition, Housing, LandType, OldHouse, RelocationFacts, validate_relocation,
};
use crate::domain::site::{CentralizedKind, SiteType};
use crate::domain::support::{SupportMeasure, SupportRecord};

/// The domain grade of a wire number; `None` for unspecified or unknown.
pub fn grade_from_pb(v: i32) -> Option<Grade> {
    match pb::Grade::try_from(v).ok()? {
        pb::Grade::Unspecified => None,
        pb::Grade::A => Some(Grade::A),
        pb::Grade::B => Some(Grade::B),
        pb::Grade::C => Some(Grade::C),
        pb::Grade::D => Some(Grade::D),
    }
}

fn land_type_from_pb(v: i32) -> Result<Option<LandType>, String> {
    match pb::LandType::try_from(v) {
        Ok(pb::LandType::Unspecified) => Ok(None),
        Ok(pb::LandType::Cultivated) => Ok(Some(LandType::Cultivated)),
        Ok(pb::LandType::Garden) => Ok(Some(LandType::Garden)),
        Ok(pb::LandType::Forest) => Ok(Some(LandType::Forest)),
        Ok(pb::LandType::Grassland) => Ok(Some(LandType::Grassland)),
        Ok(pb::LandType::Other) => Ok(Some(LandType::Other)),
        Err(_) => Err(format!("unknown land type {v}")),
    }
}

/// The domain measure of a wire number; `None` for unspecified or unknown.
pub fn measure_from_pb(v: i32) -> Option<SupportMeasure> {
    use pb::SupportMeasureKind as K;
    Some(match K::try_from(v).ok()? {
        K::Unspecified => return None,
        K::Employment => SupportMeasure::Employment,
        K::Industry => SupportMeasure::Industry,
        K::PublicWelfareJob => SupportMeasure::PublicWelfareJob,
        K::Training => SupportMeasure::Training,
        K::Workshop => SupportMeasure::Workshop,
        K::CommunityService => SupportMeasure::CommunityService,
        K::SchoolTransfer => SupportMeasure::SchoolTransfer,
        K::InsuranceTransfer => SupportMeasure::InsuranceTransfer,
    })
}

/// An optional wire date: absent is `None`, an impossible date is a violation.
pub fn opt_date(v: &mut Violations, field: &str, d: Option<&Date>) -> Option<NaiveDate> {
    d.and_then(|d| v.check(field, date_from_pb(d)))
}

/// A required wire date: present and real (future dates are left to the domain rules or
/// checked by the caller, so the right field is named).
pub fn req_date(v: &mut Violations, field: &str, d: Option<&Date>) -> Option<NaiveDate> {
    match d {
        None => {
            v.add(field, "required");
            None
        }
        Some(d) => v.check(field, date_from_pb(d)),
    }
}

/// A wire date not after `today`, `required` or not; the violations name `field`.
pub fn past_date(
    v: &mut Violations,
    field: &str,
    d: Option<&Date>,
    required: bool,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let date = if required {
        req_date(v, field, d)
    } else {
        opt_date(v, field, d)
    };
    if let Some(date) = date {
        v.check(field, not_in_future(date, today));
    }
    date
}

/// A required id in the household-id form (household ids and site ids share it).
pub fn id(v: &mut Violations, field: &str, s: &str) -> Option<String> {
    v.check(field, HouseholdId::parse(s))
        .map(|h| h.as_str().to_string())
}

/// The checks of a request about one household, starting with its `household_id`; the
/// caller adds the rest.
pub fn household(household_id: &str) -> Violations {
    let mut v = Violations::new();
    id(&mut v, "household_id", household_id);
    v
}

/// A required 12-digit village code.
pub fn village(v: &mut Violations, field: &str, s: &str) -> Option<String> {
    v.check(field, RegionCode::parse(s))
        .map(|c| c.as_str().to_string())
}

fn count(v: &mut Violations, field: &str, n: i32) -> u32 {
    if n < 0 {
        v.add(field, format!("must not be negative, got {n}"));
    }
    u32::try_from(n).unwrap_or(0)
}

/// The wire path of a domain violation's field (the domain names a few fields after its
/// own structure rather than the message's).
pub fn wire_field(domain: &str) -> String {
    match domain {
        "housing.members" => "members".into(),
        "old_house.demolition.reason" => "old_house.demolition_exempt_reason".into(),
        "old_house.demolished" => "milestones.demolished".into(),
        "old_house.reclamation_accepted" => "milestones.reclamation_accepted".into(),
        other => other.into(),
    }
}

/// Domain violations with wire field paths under `prefix`.
pub fn to_wire(prefix: &str, v: Vec<FieldViolation>) -> Vec<FieldViolation> {
    v.into_iter()
        .map(|x| FieldViolation {
            field: format!("{prefix}{}", wire_field(&x.field)),
            ..x
        })
        .collect()
}

/// A domain check's outcome as the service's error: its violations with wire field paths
/// under `prefix`, malformed values winning over broken rules.
pub fn domain_check(
    prefix: &str,
    outcome: Result<(), Vec<FieldViolation>>,
) -> Result<(), ApiError> {
    outcome.or_else(|errs| ApiError::check("", to_wire(prefix, errs)))
}

/// Checks the parts of a relocation that need no stored state: ids, codes, enum numbers,
/// dates, and every domain rule. `site_type` is the site's type if known (the rules do not
/// depend on it; the derived fields do, so call [`Checked::with_site_type`] once known).
/// Violations are INVALID_ARGUMENT or FAILED_PRECONDITION as the domain decides; field
/// paths start with `prefix` (e.g. `relocation.` or `batch[0].relocations[3].`).
pub fn check_relocation(
    r: &pb::Relocation,
    prefix: &str,
    today: NaiveDate,
    book: &PolicyBook<Policy>,
) -> Result<Checked, ApiError> {
    let mut v = Violations::new();
    let f = |s: &str| format!("{prefix}{s}");
    id(&mut v, &f("household_id"), &r.household_id);
    village(&mut v, &f("origin_village_code"), &r.origin_village_code);
    id(&mut v, &f("site_id"), &r.site_id);
    let this_year = chrono::Datelike::year(&today);
    let policy = if r.batch_year > this_year {
        v.add(
            f("batch_year"),
            format!("must not be after {this_year}, got {}", r.batch_year),
        );
        None
    } else {
        let p = book.for_year(r.batch_year).cloned();
        if p.is_none() {
            v.add(
                f("batch_year"),
                format!(
                    "no relocation policy applies to year {}: the policy book starts in {}",
                    r.batch_year,
                    book.first_year()
                ),
            );
        }
        p
    };
    let members = count(&mut v, &f("members"), r.members);
    let labour_members = count(&mut v, &f("labour_members"), r.labour_members);
    let employed_members = count(&mut v, &f("employed_members"), r.employed_members);
    let housing = match &r.housing {
        None => {
            v.add(f("housing"), "required");
            pb::Housing::default()
        }
        Some(h) => h.clone(),
    };
    let ms = r.milestones.unwrap_or_default();
    let mf = |s: &str| f(&format!("milestones.{s}"));
    let milestones = Milestones {
        construction_start: opt_date(
            &mut v,
            &mf("construction_start"),
            ms.construction_start.as_ref(),
        ),
        completion: opt_date(&mut v, &mf("completion"), ms.completion.as_ref()),
        acceptance: opt_date(&mut v, &mf("acceptance"), ms.acceptance.as_ref()),
        key_handover: opt_date(&mut v, &mf("key_handover"), ms.key_handover.as_ref()),
        moved_in: opt_date(&mut v, &mf("moved_in"), ms.moved_in.as_ref()),
        demolished: opt_date(&mut v, &mf("demolished"), ms.demolished.as_ref()),
        reclamation_accepted: opt_date(
            &mut v,
            &mf("reclamation_accepted"),
            ms.reclamation_accepted.as_ref(),
        ),
    };
    let old = r.old_house.clone().unwrap_or_default();
    let land_type = v
        .check(f("old_house.land_type"), land_type_from_pb(old.land_type))
        .flatten();
    let mut support = Vec::new();
    for (i, s) in r.support.iter().enumerate() {
        let sf = |x: &str| f(&format!("support[{i}].{x}"));
        let measure = measure_from_pb(s.kind);
        if measure.is_none() {
            v.add(
                sf("kind"),
                format!("required: a known measure, got {}", s.kind),
            );
        }
        let started = req_date(&mut v, &sf("started_on"), s.started_on.as_ref());
        let ended = opt_date(&mut v, &sf("ended_on"), s.ended_on.as_ref());
        if let (Some(measure), Some(started_on)) = (measure, started) {
            support.push(SupportRecord {
                measure,
                started_on,
                ended_on: ended,
            });
        }
    }
    let (false, Some(policy)) = (!v.is_empty(), policy) else {
        return Err(v.into());
    };
    let facts = RelocationFacts {
        // Placeholder until the site is read; the rules checked here do not depend on it.
        site_type: SiteType::Centralized(CentralizedKind::CountyTown),
        housing: Housing {
            members,
            area_centi_m2: housing.area_centi_m2,
            over_area_reason: (!housing.over_area_reason.is_empty())
                .then(|| housing.over_area_reason.clone()),
            build_cost_fen: housing.build_cost_fen,
            subsidy_fen: housing.subsidy_fen,
            self_raised_fen: housing.self_raised_fen,
            other_funds_fen: housing.other_funds_fen,
            debt_fen: housing.debt_fen,
        },
        milestones,
        old_house: OldHouse {
            demolition: if old.demolition_exempt_reason.is_empty() {
                Demolition::Required
            } else {
                Demolition::Exempt {
                    reason: old.demolition_exempt_reason.clone(),
                }
            },
            reclaimed_centi_mu: old.reclaimed_centi_mu,
            land_type,
        },
        labour_members,
        employed_members,
        support,
    };
    domain_check(prefix, validate_relocation(&facts, today, &policy))?;
    let mut record = r.clone();
    record.etag.clear();
    Ok(Checked {
        record,
        facts,
        policy,
        prefix: prefix.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ViolationKind;

    #[test]
    fn domain_fields_map_to_wire_fields() {
        assert_eq!(wire_field("housing.members"), "members");
        assert_eq!(
            wire_field("old_house.demolition.reason"),
            "old_house.demolition_exempt_reason"
        );
        assert_eq!(wire_field("milestones.moved_in"), "milestones.moved_in");
        let w = to_wire(
            "relocation.",
            vec![FieldViolation::invalid("housing.debt_fen", "x")],
        );
        assert_eq!(w[0].field, "relocation.housing.debt_fen");
        assert_eq!(w[0].kind, ViolationKind::InvalidArgument);
    }
}
