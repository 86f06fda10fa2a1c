//! The household file (一户一档, GetHouseholdFile) and CheckExitEligibility, which judges
//! the file against the poverty line the registry has in force for the year.

use futures::future::join_all;
use tonic::{Code, Status};
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_contracts::types::HouseholdId;
use xk_runtime::errors::{Violations, invalid, not_found};

use super::state::{check_year, is_absent, year_or_current};
use crate::domain::exit::exit_criteria;
use crate::domain::mask_household;
use crate::domain::section::{available, is_available, unavailable};
use crate::upstream::{
    CallCtx, EducationClient, HealthClient, HousingClient, RegistryClient, WaterClient,
};

/// A validated household id and year (0 resolved to the current year).
fn household_and_year(household_id: &str, year: i32) -> Result<(HouseholdId, i32), Status> {
    let mut v = Violations::new();
    let id = v.check("household_id", HouseholdId::parse(household_id));
    check_year(year, &mut v);
    v.into_result()?;
    let id = id.ok_or_else(|| invalid("household_id", "invalid"))?;
    Ok((id, year_or_current(year)))
}

/// GetHouseholdFile: the file of a checked household id and year.
pub(super) async fn get_household_file(
    ctx: CallCtx,
    r: GetHouseholdFileRequest,
) -> Result<GetHouseholdFileResponse, Status> {
    let (id, year) = household_and_year(&r.household_id, r.year)?;
    let file = household_file(&ctx, id.as_str(), year).await?;
    if !file.complete {
        tracing::warn!(
            household = %mask_household(id.as_str()),
            "household file served partially"
        );
    }
    Ok(GetHouseholdFileResponse { file: Some(file) })
}

/// The file and the registry's policy of the year, read in parallel. Without the
/// policy the income criterion is UNKNOWN (as without the household's incomes) and
/// the line is reported as 0; a year the registry has no policy for is
/// INVALID_ARGUMENT naming `year`.
pub(super) async fn check_exit_eligibility(
    ctx: CallCtx,
    r: CheckExitEligibilityRequest,
) -> Result<CheckExitEligibilityResponse, Status> {
    let (id, year) = household_and_year(&r.household_id, r.year)?;
    let (file, policy) = tokio::join!(
        household_file(&ctx, id.as_str(), year),
        ctx.call(
            registry::v1::GetPolicyRequest { year },
            |mut c: RegistryClient, r| async move { c.get_policy(r).await },
        ),
    );
    let mut file = file?;
    let line = match policy.and_then(|p| {
        p.policy
            .ok_or_else(|| Status::internal("GetPolicy answered without a policy"))
    }) {
        Ok(p) => p.poverty_line_fen,
        // A year before the registry's book: the caller's `year` has no policy.
        Err(s) if s.code() == Code::InvalidArgument => {
            return Err(invalid("year", format!("registry: {}", s.message())));
        }
        Err(s) => {
            if let Some(reg) = file.registry.as_mut()
                && is_available(&reg.status)
            {
                reg.status = Some(unavailable("registry", &s));
            }
            0
        }
    };
    let criteria = exit_criteria(&file, year, line);
    let eligible = criteria
        .iter()
        .all(|c| c.result == CriterionResult::Met as i32);
    Ok(CheckExitEligibilityResponse {
        eligible,
        criteria,
        poverty_line_fen: line,
    })
}

/// The household file: registry plus the household-keyed reads in parallel, then the
/// member-keyed reads (education, health) in parallel once the members are known.
async fn household_file(ctx: &CallCtx, id: &str, year: i32) -> Result<HouseholdFile, Status> {
    let household_id = || id.to_string();
    // A read keyed by the household alone: the client, its RPC and the request message.
    macro_rules! by_household {
        ($client:ident.$rpc:ident($($request:ident)::+)) => {
            ctx.call(
                $($request)::+ {
                    household_id: household_id(),
                },
                |mut c: $client, r| async move { c.$rpc(r).await },
            )
        };
    }
    let (reg, reloc, appr, wat) = tokio::join!(
        by_household!(RegistryClient.get_household(registry::v1::GetHouseholdRequest)),
        by_household!(HousingClient.get_relocation(housing::v1::GetRelocationRequest)),
        by_household!(HousingClient.get_appraisal(housing::v1::GetAppraisalRequest)),
        by_household!(WaterClient.get_household_water(water::v1::GetHouseholdWaterRequest)),
    );

    let housing = match (reloc, appr) {
        (Err(s), _) | (_, Err(s)) if !is_absent(&s) => HousingFile {
            status: Some(unavailable("housing", &s)),
            ..Default::default()
        },
        (r, a) => HousingFile {
            status: Some(available()),
            relocation: r.ok().and_then(|r| r.relocation),
            appraisal: a.ok().and_then(|a| a.appraisal),
        },
    };
    let water = match wat {
        Ok(w) => WaterFile {
            status: Some(available()),
            water: Some(w),
        },
        Err(s) if is_absent(&s) => WaterFile {
            status: Some(available()),
            water: None,
        },
        Err(s) => WaterFile {
            status: Some(unavailable("water", &s)),
            water: None,
        },
    };

    let household = match reg {
        Ok(r) => r.household,
        Err(s) if is_absent(&s) => return Err(not_found("household", id)),
        Err(s) => {
            // Without the member list the member-keyed sections cannot be asked for.
            let why = Status::new(
                s.code(),
                "the registry's member list is needed to ask for the members",
            );
            return Ok(HouseholdFile {
                household_id: household_id(),
                registry: Some(RegistryFile {
                    status: Some(unavailable("registry", &s)),
                    household: None,
                }),
                education: Some(EducationFile {
                    status: Some(unavailable("education", &why)),
                    students: vec![],
                }),
                health: Some(HealthFile {
                    status: Some(unavailable("health", &why)),
                    people: vec![],
                }),
                housing: Some(housing),
                water: Some(water),
                complete: false,
            });
        }
    };
    let members: Vec<String> = household
        .as_ref()
        .map(|h| {
            h.members
                .iter()
                .filter(|m| m.removed_on.is_none())
                .map(|m| m.resident_id.clone())
                .collect()
        })
        .unwrap_or_default();
    let (education, health) = tokio::join!(
        education_file(ctx, &members),
        health_file(ctx, &members, year)
    );
    let complete = [
        &education.status,
        &health.status,
        &housing.status,
        &water.status,
    ]
    .into_iter()
    .all(is_available);
    Ok(HouseholdFile {
        household_id: household_id(),
        registry: Some(RegistryFile {
            status: Some(available()),
            household,
        }),
        education: Some(education),
        health: Some(health),
        housing: Some(housing),
        water: Some(water),
        complete,
    })
}

/// The members' student records (a member who is not a student has none); one failed
/// read makes the section unavailable.
async fn education_file(ctx: &CallCtx, members: &[String]) -> EducationFile {
    let students = join_all(members.iter().map(|rid| {
        ctx.call(
            education::v1::GetStudentRequest {
                resident_id: rid.clone(),
            },
            |mut c: EducationClient, r| async move { c.get_student(r).await },
        )
    }))
    .await;
    let mut found = Vec::new();
    for s in students {
        match s {
            Ok(s) => found.push(s),
            Err(s) if is_absent(&s) => {}
            Err(s) => {
                return EducationFile {
                    status: Some(unavailable("education", &s)),
                    students: vec![],
                };
            }
        }
    }
    EducationFile {
        status: Some(available()),
        students: found,
    }
}

/// Each member's insurance year (a member without one is not enrolled); one failed read
/// makes the section unavailable.
async fn health_file(ctx: &CallCtx, members: &[String], year: i32) -> HealthFile {
    let years = join_all(members.iter().map(|rid| {
        ctx.call(
            health::v1::GetPersonYearRequest {
                resident_id: rid.clone(),
                coverage_year: year,
            },
            |mut c: HealthClient, r| async move { c.get_person_year(r).await },
        )
    }))
    .await;
    let mut people = Vec::new();
    for (rid, p) in members.iter().zip(years) {
        let person_year = match p {
            Ok(py) => Some(py),
            Err(s) if is_absent(&s) => None,
            Err(s) => {
                return HealthFile {
                    status: Some(unavailable("health", &s)),
                    people: vec![],
                };
            }
        };
        people.push(PersonHealth {
            resident_id: rid.clone(),
            enrolled: person_year.is_some(),
            person_year,
        });
    }
    HealthFile {
        status: Some(available()),
        people,
    }
}
