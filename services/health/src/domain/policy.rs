//! Policy configuration: the numbers the settlement rules read, one table per coverage year.
//!
//! Policy numbers change almost every year, so none is a literal in the rules: they live in
//! `policy.toml` (embedded as [`DEFAULT_POLICY_TOML`]) or in a TOML string the caller gives,
//! and are read through [`Policy`]. A [`PolicyBook`] (the runtime's book of [`Policy`])
//! holds every year; its `for_year` picks the table in force for a coverage year (the
//! latest year not after it), and none before the book's first year: the service refuses
//! such a year as INVALID_ARGUMENT rather than judge it by rules made later.
//!
//! All amounts are fen (`i64`), all rates basis points (`u32`, 10 000 = 100%); see
//! [`super::money`] for the rounding rule. Every struct rejects unknown keys, so a misspelt
//! key in the TOML is an error, not a silently ignored default.
//!
//! Validation ([`Policy::validate`], run by [`book_from_toml`] and by [`super::settle`]) checks
//! structure only: amounts are not negative, rates are at most 100%, and the poor's terms are
//! never worse than the general ones (which catches swapped columns). It holds no policy
//! number of its own.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
pub use xk_runtime::policy::PolicyError;

use super::money::{BP_SCALE, apply_bp};

/// The county's default policy book, `services/health/policy.toml`, embedded at build time.
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../policy.toml");

/// Level of a designated institution (定点医疗机构). The basic-insurance deductible and rate
/// depend on it: the higher the level, the higher the deductible and the lower the rate, to
/// steer care to the lowest level able to give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstitutionLevel {
    /// Village clinic (村卫生室).
    Village,
    /// Township health centre (乡镇卫生院).
    Township,
    /// County hospital (县级医院).
    County,
    /// Prefecture-level city hospital (市级医院).
    City,
    /// Provincial hospital (省级医院).
    Province,
}

impl InstitutionLevel {
    /// Every level, lowest first.
    pub const ALL: [Self; 5] = [
        Self::Village,
        Self::Township,
        Self::County,
        Self::City,
        Self::Province,
    ];
}

xk_runtime::labels! {
    /// The level's key in the policy TOML (and in field paths of validation messages).
    #[must_use]
    pub fn as_str for InstitutionLevel {
        Village => "village",
        Township => "township",
        County => "county",
        City => "city",
        Province => "province",
    }
}

/// One coverage year's policy: everything the four layers and enrolment read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Enrolment: the individual premium and who pays it for the registered poor.
    pub premium: Premium,
    /// Layer 1, basic medical insurance (居民基本医疗保险).
    pub basic: BasicInsurance,
    /// Layer 2, serious-illness insurance (大病保险).
    pub serious_illness: SeriousIllness,
    /// Layer 3, medical assistance (医疗救助), registered poor only.
    pub medical_assistance: MedicalAssistance,
    /// Layer 4, supplementary insurance (补充医疗保险, Hubei's "985"), registered poor only.
    pub supplementary: Supplementary,
}

/// Enrolment terms for the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Premium {
    /// The individual premium of basic medical insurance for the coverage year, in fen
    /// (22 000 for 2019). Needed to record what enrolment costs and who paid it.
    pub individual_fen: i64,
    /// Share of the individual premium the government pays for a registered-poor person
    /// (10 000 = all of it, as Gucheng does). Kept as a rate, not a flag, because other
    /// counties pay part of it.
    pub poor_government_share_bp: u32,
}

/// Who pays a person's individual premium: the result of [`Premium::split`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PremiumSplit {
    /// Paid by the government (the county), in fen: the registered poor's subsidy.
    pub government_fen: i64,
    /// Paid by the person, in fen: the rest of the individual premium.
    pub personal_fen: i64,
}

impl Premium {
    /// Splits the individual premium between government and person. The government pays
    /// `floor(individual * share)` for a registered-poor person and nothing otherwise; the
    /// person pays the rest.
    #[must_use]
    pub fn split(&self, registered_poor: bool) -> PremiumSplit {
        let government_fen = if registered_poor {
            apply_bp(self.individual_fen, self.poor_government_share_bp)
        } else {
            0
        };
        PremiumSplit {
            government_fen,
            personal_fen: self.individual_fen - government_fen,
        }
    }
}

/// Basic-insurance terms at one place of care: the general terms and the poor's raised rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicTerms {
    /// Deductible (起付线) in fen before the poor's reduction. The deductible is annual: what
    /// the person already paid toward a deductible this year counts against it.
    pub deductible_fen: i64,
    /// Reimbursement rate above the deductible for everyone not registered poor.
    pub rate_bp: u32,
    /// Raised reimbursement rate for the registered poor (local); at least `rate_bp`.
    pub poor_rate_bp: u32,
}

/// Basic-insurance terms for each institution level, for one side of the county border.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelTable {
    /// Village clinic terms.
    pub village: BasicTerms,
    /// Township health-centre terms.
    pub township: BasicTerms,
    /// County hospital terms.
    pub county: BasicTerms,
    /// City hospital terms.
    pub city: BasicTerms,
    /// Provincial hospital terms.
    pub province: BasicTerms,
}

impl LevelTable {
    /// The terms for one level.
    #[must_use]
    pub const fn get(&self, level: InstitutionLevel) -> &BasicTerms {
        match level {
            InstitutionLevel::Village => &self.village,
            InstitutionLevel::Township => &self.township,
            InstitutionLevel::County => &self.county,
            InstitutionLevel::City => &self.city,
            InstitutionLevel::Province => &self.province,
        }
    }
}

/// Layer 1: basic medical insurance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicInsurance {
    /// Share of the deductible a registered-poor person still pays at an in-county
    /// institution (0 = waived, 5 000 = halved). The poor's deductible is scaled, not
    /// replaced, so it follows the level table.
    pub poor_deductible_in_county_bp: u32,
    /// Share of the deductible a registered-poor person still pays out of the county.
    pub poor_deductible_out_of_county_bp: u32,
    /// Terms at in-county institutions, by level.
    pub in_county: LevelTable,
    /// Terms at institutions outside the county, by level (care sought outside the county is
    /// usually reimbursed less).
    pub out_of_county: LevelTable,
    /// Terms for chronic-illness outpatient care (门诊慢特病), whatever the institution's
    /// level or place: such care has its own rate, separate from inpatient care.
    pub chronic_outpatient: BasicTerms,
}

/// Layer 2: serious-illness insurance on the year's cumulative in-policy personal burden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriousIllness {
    /// Annual deductible in fen on the cumulative burden, for everyone not registered poor.
    pub deductible_fen: i64,
    /// Rate above the deductible for everyone not registered poor. No cap.
    pub rate_bp: u32,
    /// Lowered annual deductible for the registered poor (≈ half); at most `deductible_fen`.
    pub poor_deductible_fen: i64,
    /// Rate for the registered poor (65%); at least `rate_bp`. No cap.
    pub poor_rate_bp: u32,
}

/// Layer 3: medical assistance for the registered poor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicalAssistance {
    /// Share of the in-policy cost left after layers 1 and 2 that assistance pays (≥ 70%).
    pub rate_bp: u32,
    /// The most assistance pays one person in a coverage year, in fen (local).
    pub annual_cap_fen: i64,
}

/// Layer 4: supplementary insurance for the registered poor's in-county in-policy care
/// (Hubei's "985": reimbursed to ~90% inpatient, ~80% chronic outpatient, and personal
/// payment at most 5,000 yuan a year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supplementary {
    /// The most a registered-poor person pays in a coverage year for in-county in-policy
    /// care (inpatient and chronic outpatient together), in fen: the published 5,000 yuan.
    pub annual_personal_cap_fen: i64,
    /// Share of an in-county inpatient case's in-policy cost that all four layers together
    /// reimburse at least (the "9"); 0 disables this top-up, leaving only the cap.
    pub inpatient_target_bp: u32,
    /// Same for an in-county chronic outpatient case (the "8").
    pub chronic_outpatient_target_bp: u32,
}

/// One way a policy table breaks the structural rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation {
    /// Dotted path of the offending key inside the year's table, as in the TOML
    /// (e.g. `basic.in_county.county.rate_bp`), so the editor of the file can find it.
    pub field: String,
    /// What is wrong with it, with the value found.
    pub problem: String,
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// Collects violations with their field paths.
#[derive(Default)]
struct Checker {
    violations: Vec<PolicyViolation>,
}

impl Checker {
    fn push(&mut self, field: String, problem: String) {
        self.violations.push(PolicyViolation { field, problem });
    }

    fn amount(&mut self, field: &str, fen: i64) {
        if fen < 0 {
            self.push(field.to_owned(), format!("{fen} fen is negative"));
        }
    }

    fn rate(&mut self, field: &str, bp: u32) {
        if bp > BP_SCALE {
            self.push(
                field.to_owned(),
                format!("{bp} bp exceeds {BP_SCALE} bp (100%)"),
            );
        }
    }

    fn rate_not_below(&mut self, field: &str, poor_bp: u32, general_field: &str, general_bp: u32) {
        if poor_bp < general_bp {
            self.push(
                field.to_owned(),
                format!(
                    "{poor_bp} bp is below {general_field} ({general_bp} bp): the poor's rate is never lower"
                ),
            );
        }
    }

    fn terms(&mut self, path: &str, t: &BasicTerms) {
        self.amount(&format!("{path}.deductible_fen"), t.deductible_fen);
        self.rate(&format!("{path}.rate_bp"), t.rate_bp);
        self.rate(&format!("{path}.poor_rate_bp"), t.poor_rate_bp);
        self.rate_not_below(
            &format!("{path}.poor_rate_bp"),
            t.poor_rate_bp,
            "rate_bp",
            t.rate_bp,
        );
    }
}

impl Policy {
    /// Checks the structural rules (see the module doc); every violation is returned.
    ///
    /// # Errors
    /// The list of violations, when there is at least one.
    pub fn validate(&self) -> Result<(), Vec<PolicyViolation>> {
        let mut c = Checker::default();

        c.amount("premium.individual_fen", self.premium.individual_fen);
        c.rate(
            "premium.poor_government_share_bp",
            self.premium.poor_government_share_bp,
        );

        let b = &self.basic;
        c.rate(
            "basic.poor_deductible_in_county_bp",
            b.poor_deductible_in_county_bp,
        );
        c.rate(
            "basic.poor_deductible_out_of_county_bp",
            b.poor_deductible_out_of_county_bp,
        );
        for (side, table) in [
            ("in_county", &b.in_county),
            ("out_of_county", &b.out_of_county),
        ] {
            for level in InstitutionLevel::ALL {
                c.terms(&format!("basic.{side}.{level}"), table.get(level));
            }
        }
        c.terms("basic.chronic_outpatient", &b.chronic_outpatient);

        let s = &self.serious_illness;
        c.amount("serious_illness.deductible_fen", s.deductible_fen);
        c.amount("serious_illness.poor_deductible_fen", s.poor_deductible_fen);
        c.rate("serious_illness.rate_bp", s.rate_bp);
        c.rate("serious_illness.poor_rate_bp", s.poor_rate_bp);
        c.rate_not_below(
            "serious_illness.poor_rate_bp",
            s.poor_rate_bp,
            "serious_illness.rate_bp",
            s.rate_bp,
        );
        if s.poor_deductible_fen > s.deductible_fen {
            c.push(
                "serious_illness.poor_deductible_fen".to_owned(),
                format!(
                    "{} fen is above serious_illness.deductible_fen ({} fen): the poor's deductible is never higher",
                    s.poor_deductible_fen, s.deductible_fen
                ),
            );
        }

        let a = &self.medical_assistance;
        c.rate("medical_assistance.rate_bp", a.rate_bp);
        c.amount("medical_assistance.annual_cap_fen", a.annual_cap_fen);

        let u = &self.supplementary;
        c.amount(
            "supplementary.annual_personal_cap_fen",
            u.annual_personal_cap_fen,
        );
        c.rate("supplementary.inpatient_target_bp", u.inpatient_target_bp);
        c.rate(
            "supplementary.chronic_outpatient_target_bp",
            u.chronic_outpatient_target_bp,
        );

        if c.violations.is_empty() {
            Ok(())
        } else {
            Err(c.violations)
        }
    }
}

/// The policy book health settles with: the runtime's effective-dated book of [`Policy`].
pub type PolicyBook = xk_runtime::policy::PolicyBook<Policy>;

/// The TOML shape: `[years.2019.premium]`, … (the runtime's book keys years at the top
/// level; health's file keeps its `years` table, so operators' files stay valid).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBook {
    years: BTreeMap<String, Policy>,
}

/// Parses and validates a book from TOML text of the same shape as `policy.toml`.
///
/// # Errors
/// [`PolicyError`] naming the unparsable text (with its line in `text`), a year key that
/// is not all digits, an empty book, or the first invalid year with every violation in it.
pub fn book_from_toml(text: &str) -> Result<PolicyBook, PolicyError> {
    // Parsed here first so that a parse error points into the operator's own text.
    let raw: RawBook = toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
    // The runtime reads a key with i32's parser, which takes "+2020"; a coverage year
    // is written in digits only.
    if let Some(key) = raw
        .years
        .keys()
        .find(|k| k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(PolicyError::BadYear(key.clone()));
    }
    let by_year = toml::to_string(&raw.years).map_err(|e| PolicyError::Parse(e.to_string()))?;
    PolicyBook::from_toml_checked(&by_year, |policy: &Policy| {
        policy.validate().map_err(|violations| {
            violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })
    })
}

/// The county's default book ([`DEFAULT_POLICY_TOML`]), parsed and validated.
///
/// # Errors
/// Only if the embedded file is broken, which the crate's tests rule out.
pub fn embedded_book() -> Result<PolicyBook, PolicyError> {
    book_from_toml(DEFAULT_POLICY_TOML)
}

#[cfg(test)]
mod tests;
