//! The exit criteria of one household (CheckExitEligibility), judged from its file.

use xk_contracts::pb::aggregator::v1::{
    CriterionResult, EducationFile, ExitCriterion, HealthFile, HouseholdFile, HousingFile,
    RegistryFile, SectionStatus, WaterFile,
};
use xk_contracts::pb::{housing, water};

use super::section::is_available;

/// One service's section of a household file: its status says whether the rest is there.
trait Section {
    fn status(&self) -> &Option<SectionStatus>;
}

macro_rules! sections {
    ($($file:ty),+) => {
        $(impl Section for $file {
            fn status(&self) -> &Option<SectionStatus> {
                &self.status
            }
        })+
    };
}

sections!(
    RegistryFile,
    EducationFile,
    HealthFile,
    HousingFile,
    WaterFile
);

/// A criterion judged from its section: UNKNOWN with the section's reason when the service
/// did not answer (or the section is missing), otherwise MET with the detail `judge` gives
/// or NOT_MET with the reason it gives.
fn judged<S: Section>(
    name: &str,
    section: &Option<S>,
    judge: impl FnOnce(&S) -> Result<String, String>,
) -> ExitCriterion {
    let (result, detail) = match section {
        Some(s) if is_available(s.status()) => match judge(s) {
            Ok(detail) => (CriterionResult::Met, detail),
            Err(detail) => (CriterionResult::NotMet, detail),
        },
        _ => {
            let status = section.as_ref().and_then(|s| s.status().as_ref());
            let why = status.map(|s| s.message.as_str()).unwrap_or("");
            (CriterionResult::Unknown, format!("unavailable: {why}"))
        }
    };
    ExitCriterion {
        name: name.to_string(),
        result: result as i32,
        detail,
    }
}

/// MET with `met` when none of the counted items fails, NOT_MET with `not_met` otherwise.
fn met_unless_any(failing: usize, met: String, not_met: String) -> Result<String, String> {
    if failing == 0 { Ok(met) } else { Err(not_met) }
}

/// The exit criteria of a household from its file: per-capita income of `year` at or
/// above `poverty_line_fen`; every student guaranteed; every current member insured for
/// the year; relocated households moved in and no unrenovated C/D house; drinking water
/// 安全 or 基本安全. A section that is unavailable makes its criterion UNKNOWN (not met).
pub fn exit_criteria(file: &HouseholdFile, year: i32, poverty_line_fen: i64) -> Vec<ExitCriterion> {
    let income = judged("INCOME", &file.registry, |reg| {
        let income = reg
            .household
            .as_ref()
            .and_then(|h| h.incomes.iter().find(|i| i.year == year))
            .map(|i| i.per_capita_net_income_fen);
        match income {
            None => Err(format!("no income recorded for {year}")),
            Some(fen) if fen >= poverty_line_fen => Ok(format!(
                "{fen} fen per person in {year}, line {poverty_line_fen}"
            )),
            Some(fen) => Err(format!(
                "{fen} fen per person in {year} is below the line of {poverty_line_fen}"
            )),
        }
    });
    let students = judged("EDUCATION", &file.education, |edu| {
        let not = edu
            .students
            .iter()
            .filter(|s| !s.student.as_ref().is_some_and(|s| s.guaranteed))
            .count();
        met_unless_any(
            not,
            format!("{} student(s), all guaranteed", edu.students.len()),
            format!("{not} student(s) not guaranteed"),
        )
    });
    let insured = judged("HEALTH", &file.health, |hea| {
        let not = hea.people.iter().filter(|p| !p.enrolled).count();
        met_unless_any(
            not,
            format!("{} member(s) insured for {year}", hea.people.len()),
            format!("{not} member(s) not insured for {year}"),
        )
    });
    let housed = judged("HOUSING", &file.housing, |hou| {
        let not_moved = hou.relocation.as_ref().is_some_and(|r| !r.moved_in);
        let dangerous = hou.appraisal.as_ref().is_some_and(|a| {
            let cd =
                a.grade == housing::v1::Grade::C as i32 || a.grade == housing::v1::Grade::D as i32;
            cd && a.renovation_completed_on.is_none()
        });
        match (not_moved, dangerous) {
            (false, false) => Ok("housing safe".into()),
            (true, _) => Err("relocated but not moved in".into()),
            (false, true) => Err("house graded C/D and not renovated".into()),
        }
    });
    let drinking = judged("WATER", &file.water, |wat| {
        let verdict = wat
            .water
            .as_ref()
            .and_then(|w| w.current.as_ref())
            .and_then(|a| a.grading.as_ref())
            .map(|g| g.verdict);
        match verdict {
            None => Err("no water assessment".into()),
            Some(v)
                if v == water::v1::Verdict::Safe as i32
                    || v == water::v1::Verdict::BasicallySafe as i32 =>
            {
                Ok("safe or basically safe".into())
            }
            Some(_) => Err("drinking water unsafe".into()),
        }
    });
    vec![income, students, insured, housed, drinking]
}

#[cfg(test)]
mod tests {
    use super::super::section::{available, unavailable};
    use super::*;
    use tonic::Status;
    use xk_contracts::pb::registry;

    #[test]
    fn exit_criteria_need_every_guarantee_and_unknown_is_not_met() {
        use xk_contracts::pb::aggregator::v1::*;
        let mut file = HouseholdFile {
            household_id: "HH1".into(),
            registry: Some(RegistryFile {
                status: Some(available()),
                household: Some(registry::v1::Household {
                    incomes: vec![registry::v1::Income {
                        year: 2019,
                        per_capita_net_income_fen: 500_000,
                    }],
                    ..Default::default()
                }),
            }),
            education: Some(EducationFile {
                status: Some(available()),
                students: vec![],
            }),
            health: Some(HealthFile {
                status: Some(available()),
                people: vec![PersonHealth {
                    resident_id: "x".into(),
                    enrolled: true,
                    person_year: None,
                }],
            }),
            housing: Some(HousingFile {
                status: Some(available()),
                relocation: None,
                appraisal: None,
            }),
            water: Some(WaterFile {
                status: Some(available()),
                water: Some(water::v1::GetHouseholdWaterResponse {
                    current: Some(water::v1::Assessment {
                        grading: Some(water::v1::Grading {
                            verdict: water::v1::Verdict::BasicallySafe as i32,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            }),
            complete: true,
        };
        let met = |c: &[ExitCriterion]| c.iter().all(|c| c.result == CriterionResult::Met as i32);
        assert!(met(&exit_criteria(&file, 2019, 321_800)));
        // Below the line; another year without income.
        let c = exit_criteria(&file, 2019, 600_000);
        assert_eq!(c[0].result, CriterionResult::NotMet as i32);
        let c = exit_criteria(&file, 2020, 321_800);
        assert_eq!(c[0].result, CriterionResult::NotMet as i32);
        // An uninsured member, a relocation not moved in, water down.
        file.health.as_mut().unwrap().people[0].enrolled = false;
        file.housing.as_mut().unwrap().relocation = Some(housing::v1::Relocation::default());
        file.water.as_mut().unwrap().status =
            Some(unavailable("water", &Status::unavailable("down")));
        let c = exit_criteria(&file, 2019, 321_800);
        let results: Vec<i32> = c.iter().map(|c| c.result).collect();
        assert_eq!(
            results,
            [
                CriterionResult::Met as i32,
                CriterionResult::Met as i32,
                CriterionResult::NotMet as i32,
                CriterionResult::NotMet as i32,
                CriterionResult::Unknown as i32,
            ]
        );
    }
}
