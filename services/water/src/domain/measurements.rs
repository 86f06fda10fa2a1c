//! What an assessor records for one household: the measurements the four indicators are
//! graded on, in two shapes.
//!
//! - [`RawMeasurements`] is the request as it arrives (proto-shaped): numbers are `i64` so a
//!   negative value can be reported instead of wrapped, and every message field is optional
//!   so a missing one can be reported instead of defaulted.
//! - [`Measurements`] is the validated, total form that [`crate::domain::grading::grade`]
//!   works on: unsigned numbers, every message field present. Obtain one from
//!   [`crate::domain::validate::parse`], which reports every problem at once.
//!
//! The numeric measurements (litres, fetch minutes, distances, outage days) are optional
//! in both shapes: `None` is *not measured*, which is not the same as a measured 0. An
//! unmeasured value never satisfies a grading criterion that needs it (a missing distance
//! is not "within 800 m"); the store keeps it as NULL.
//!
//! The grades and the verdict are never part of either shape: the service computes them,
//! the caller does not send them (DOMAIN.md §7).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Whether the household lives in a water-rich or a water-short area; selects which
/// quantity thresholds apply, because T/CHES 18-2018 asks less water of dry areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaType {
    /// Ordinary area (the default for Gucheng): the higher quantity thresholds apply.
    WaterRich,
    /// Water-short area (< 1,000 m³ of water resources per person a year, or < 800 mm of
    /// rain): the lower quantity thresholds apply.
    WaterShort,
}

/// The kind of a scattered (household or small-group) source; recorded so the bureau can
/// plan upgrades by source type, and because it makes the supply scattered, which decides
/// what quality evidence is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScatteredKind {
    /// A dug or drilled well.
    Well,
    /// A rain-water cistern (水窖 / 水柜).
    Cistern,
    /// A spring, usually piped by gravity.
    Spring,
    /// Any other scattered source (river, pond, carted water …).
    Other,
}

/// Where the household's water comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Supply {
    /// A centralized supply scheme (集中供水工程); its quality must be shown by a lab report.
    Centralized {
        /// Identifier of the scheme in the bureau's project list, so assessments can be
        /// grouped by scheme and a failing scheme found.
        scheme_id: String,
    },
    /// A scattered source (分散供水); an on-site check is acceptable quality evidence.
    Scattered {
        /// What the source is.
        kind: ScatteredKind,
    },
}

impl Supply {
    /// True for a centralized scheme, the case in which an on-site quality check is not
    /// enough evidence.
    pub fn is_centralized(&self) -> bool {
        matches!(self, Supply::Centralized { .. })
    }
}

/// The evidence for the quality indicator. Exactly one kind is given per assessment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QualityEvidence {
    /// A laboratory test against GB 5749 (生活饮用水卫生标准); the only evidence that can
    /// reach 达标, and the only evidence accepted for a centralized scheme.
    LabReport {
        /// The report's number, so an auditor can retrieve the paper report.
        report_no: String,
        /// The laboratory that issued it, so its accreditation can be checked.
        lab: String,
        /// The date of the report; it cannot be after the assessment it supports.
        date: NaiveDate,
        /// Whether every tested parameter is within GB 5749.
        meets_gb5749: bool,
    },
    /// The assessor's on-site judgement, allowed for scattered supply only; at best 基本达标.
    OnSiteCheck {
        /// No visible impurity, colour or smell (无肉眼可见杂质、无异色异味).
        no_visible_impurity_colour_smell: bool,
        /// No harm reported from long-term use (长期饮用无不良反应).
        no_harm_long_use: bool,
    },
}

/// One validated assessment record: everything the four indicators are graded on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Measurements {
    /// Where the water comes from; decides which quality evidence is acceptable.
    pub supply: Supply,
    /// Water available per person per day, in litres; graded for quantity (水量).
    /// `None`: not measured, and quantity is 未达标.
    pub litres_per_person_day: Option<u32>,
    /// Evidence for the quality indicator (水质).
    pub quality: QualityEvidence,
    /// Water piped into the home or yard (供水入户); makes convenience 达标 by itself.
    pub piped_in: bool,
    /// Round-trip time to fetch water by hand, in minutes; graded for convenience.
    /// `None`: not measured, so it satisfies no convenience criterion.
    pub fetch_round_trip_minutes: Option<u32>,
    /// Horizontal distance to the source, in metres; an alternative route to 基本达标.
    /// `None`: not measured, so it is not within any distance.
    pub horizontal_distance_m: Option<u32>,
    /// Height difference to the source, in metres; an alternative route to 基本达标.
    /// `None`: not measured, so it is not within any height.
    pub vertical_distance_m: Option<u32>,
    /// Days without supply in the 12 months before the assessment; graded for the supply
    /// guarantee rate (供水保证率). `None`: not measured, and the guarantee is 未达标.
    pub outage_days_last_12_months: Option<u32>,
    /// Water-rich or water-short area; selects the quantity thresholds.
    pub area: AreaType,
    /// The day of the assessment; selects the policy year and must not be in the future.
    pub assessed_on: NaiveDate,
    /// True for a seasonal-shortage check (季节性缺水排查): graded like any other
    /// assessment, flagged so the dry-season round can be reported on its own.
    pub seasonal_check: bool,
}

/// The supply as it arrives: a scattered source may come without a kind (an unspecified
/// enum value), which must be reported rather than guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RawSupply {
    /// A centralized scheme; the id may be blank, which is reported.
    Centralized {
        /// Scheme identifier as sent.
        scheme_id: String,
    },
    /// A scattered source; `None` when the caller left the kind unspecified.
    Scattered {
        /// Source kind as sent.
        kind: Option<ScatteredKind>,
    },
}

/// Quality evidence as it arrives: a lab report may come without a date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RawQualityEvidence {
    /// A lab report; text fields may be blank and the date missing, which is reported.
    LabReport {
        /// Report number as sent.
        report_no: String,
        /// Laboratory as sent.
        lab: String,
        /// Report date; `None` when missing or not a real date.
        date: Option<NaiveDate>,
        /// Whether the report says the water meets GB 5749.
        meets_gb5749: bool,
    },
    /// An on-site check; both flags are plain booleans, nothing to be missing.
    OnSiteCheck {
        /// No visible impurity, colour or smell.
        no_visible_impurity_colour_smell: bool,
        /// No harm from long-term use.
        no_harm_long_use: bool,
    },
}

/// An assessment as the caller sent it, before validation (the shape the API layer maps a
/// proto request into). Field names match the proto fields so violations can name them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawMeasurements {
    /// Supply type; `None` when the oneof was not set.
    pub supply: Option<RawSupply>,
    /// Litres per person per day; signed so a negative value can be reported; `None`
    /// when not measured.
    pub litres_per_person_day: Option<i64>,
    /// Quality evidence; `None` when the caller sent none.
    pub quality: Option<RawQualityEvidence>,
    /// Piped into the home or yard.
    pub piped_in: bool,
    /// Fetch round trip in minutes; signed so a negative value can be reported; `None`
    /// when not measured.
    pub fetch_round_trip_minutes: Option<i64>,
    /// Horizontal distance in metres; signed so a negative value can be reported; `None`
    /// when not measured.
    pub horizontal_distance_m: Option<i64>,
    /// Vertical distance in metres; signed so a negative value can be reported; `None`
    /// when not measured.
    pub vertical_distance_m: Option<i64>,
    /// Outage days in the last 12 months; signed so a negative value can be reported;
    /// `None` when not measured.
    pub outage_days_last_12_months: Option<i64>,
    /// Area type; `None` (unspecified) means the policy's default area.
    pub area: Option<AreaType>,
    /// Assessment date; `None` when missing or not a real date.
    pub assessed_on: Option<NaiveDate>,
    /// Seasonal-shortage check flag.
    pub seasonal_check: bool,
}

impl From<&Supply> for RawSupply {
    fn from(s: &Supply) -> Self {
        match s {
            Supply::Centralized { scheme_id } => RawSupply::Centralized {
                scheme_id: scheme_id.clone(),
            },
            Supply::Scattered { kind } => RawSupply::Scattered { kind: Some(*kind) },
        }
    }
}

impl From<&QualityEvidence> for RawQualityEvidence {
    fn from(q: &QualityEvidence) -> Self {
        match q {
            QualityEvidence::LabReport {
                report_no,
                lab,
                date,
                meets_gb5749,
            } => RawQualityEvidence::LabReport {
                report_no: report_no.clone(),
                lab: lab.clone(),
                date: Some(*date),
                meets_gb5749: *meets_gb5749,
            },
            QualityEvidence::OnSiteCheck {
                no_visible_impurity_colour_smell,
                no_harm_long_use,
            } => RawQualityEvidence::OnSiteCheck {
                no_visible_impurity_colour_smell: *no_visible_impurity_colour_smell,
                no_harm_long_use: *no_harm_long_use,
            },
        }
    }
}

/// The raw form of a validated record (e.g. to re-validate a stored record under a new
/// policy year). Validating it again under the same policy and date succeeds.
impl From<&Measurements> for RawMeasurements {
    fn from(m: &Measurements) -> Self {
        RawMeasurements {
            supply: Some(RawSupply::from(&m.supply)),
            litres_per_person_day: m.litres_per_person_day.map(i64::from),
            quality: Some(RawQualityEvidence::from(&m.quality)),
            piped_in: m.piped_in,
            fetch_round_trip_minutes: m.fetch_round_trip_minutes.map(i64::from),
            horizontal_distance_m: m.horizontal_distance_m.map(i64::from),
            vertical_distance_m: m.vertical_distance_m.map(i64::from),
            outage_days_last_12_months: m.outage_days_last_12_months.map(i64::from),
            area: Some(m.area),
            assessed_on: Some(m.assessed_on),
            seasonal_check: m.seasonal_check,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn raw_from_measurements_keeps_every_field() {
        let m = Measurements {
            supply: Supply::Centralized {
                scheme_id: "GC-001".into(),
            },
            litres_per_person_day: Some(61),
            quality: QualityEvidence::LabReport {
                report_no: "R-1".into(),
                lab: "谷城县疾控中心".into(),
                date: d(2019, 5, 1),
                meets_gb5749: true,
            },
            piped_in: true,
            fetch_round_trip_minutes: Some(3),
            horizontal_distance_m: None,
            vertical_distance_m: Some(5),
            outage_days_last_12_months: Some(0),
            area: AreaType::WaterShort,
            assessed_on: d(2019, 6, 1),
            seasonal_check: true,
        };
        let raw = RawMeasurements::from(&m);
        assert_eq!(
            raw.supply,
            Some(RawSupply::Centralized {
                scheme_id: "GC-001".into()
            })
        );
        assert_eq!(raw.litres_per_person_day, Some(61));
        assert_eq!(
            raw.quality,
            Some(RawQualityEvidence::LabReport {
                report_no: "R-1".into(),
                lab: "谷城县疾控中心".into(),
                date: Some(d(2019, 5, 1)),
                meets_gb5749: true,
            })
        );
        assert!(raw.piped_in);
        assert_eq!(raw.fetch_round_trip_minutes, Some(3));
        assert_eq!(
            raw.horizontal_distance_m, None,
            "not measured stays not measured"
        );
        assert_eq!(raw.vertical_distance_m, Some(5));
        assert_eq!(
            raw.outage_days_last_12_months,
            Some(0),
            "a measured zero stays zero"
        );
        assert_eq!(raw.area, Some(AreaType::WaterShort));
        assert_eq!(raw.assessed_on, Some(d(2019, 6, 1)));
        assert!(raw.seasonal_check);
    }

    #[test]
    fn raw_from_scattered_and_on_site() {
        let s = Supply::Scattered {
            kind: ScatteredKind::Cistern,
        };
        assert!(!s.is_centralized());
        assert_eq!(
            RawSupply::from(&s),
            RawSupply::Scattered {
                kind: Some(ScatteredKind::Cistern)
            }
        );
        let q = QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: true,
            no_harm_long_use: false,
        };
        assert_eq!(
            RawQualityEvidence::from(&q),
            RawQualityEvidence::OnSiteCheck {
                no_visible_impurity_colour_smell: true,
                no_harm_long_use: false,
            }
        );
        assert!(
            Supply::Centralized {
                scheme_id: "x".into()
            }
            .is_centralized()
        );
    }

    #[test]
    fn area_type_serde_names() {
        #[derive(Deserialize, Serialize, PartialEq, Debug)]
        struct W {
            a: AreaType,
        }
        let w: W = toml::from_str("a = \"water_short\"").expect("parses");
        assert_eq!(w.a, AreaType::WaterShort);
        assert_eq!(
            toml::to_string(&W {
                a: AreaType::WaterRich
            })
            .expect("serializes")
            .trim(),
            "a = \"water_rich\""
        );
    }
}
