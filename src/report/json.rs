//! The summary as JSON for machines. Field names are the proto field names (snake_case), so
//! they are as stable as the contract itself; a test checks every proto field is present.
//!
//! Written by hand rather than with pbjson or serde derives on the generated code: those
//! would change the shared contracts crate's build for one consumer, and the canonical
//! proto3 JSON mapping writes int64 as strings and lowerCamelCase names, which is awkward
//! for the scripts that read county figures. Here counts are JSON numbers (all far below
//! 2^53), enums are their proto names, an unknown exception is `null` (never 0), and the
//! as-of date is both a `{year, month, day}` object and an ISO `as_of_iso` string.

use serde_json::{Map, Value, json};
use xk_contracts::pb::aggregator::v1::{ExceptionCounts, SectionState, SectionStatus, Summary};
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::{education, health, housing, registry, water};

/// A JSON object of the named fields of a message, each under its own name.
macro_rules! object {
    ($m:expr; $($f:ident),* $(,)?) => {{
        let m = $m;
        let mut o = Map::new();
        $( o.insert(stringify!($f).to_string(), json!(m.$f)); )*
        Value::Object(o)
    }};
}

fn status(s: Option<&SectionStatus>) -> Value {
    match s {
        None => Value::Null,
        Some(s) => json!({
            "state": SectionState::try_from(s.state)
                .map(|v| v.as_str_name().to_string())
                .unwrap_or_else(|_| s.state.to_string()),
            "code": s.code,
            "message": s.message,
        }),
    }
}

fn registry_counts(c: &registry::v1::RegionCounts) -> Value {
    object!(c; region_code, archive_households, archive_people, poor_households, poor_people,
        exited_households, exited_people, identified_in_year_households,
        identified_in_year_people, exited_in_year_households, exited_in_year_people,
        baseline_people, baseline_removed_people, monitored_households, monitored_people,
        unstable_exited_households, unstable_exited_people, edge_households, edge_people,
        sudden_hardship_households, sudden_hardship_people, monitoring_alerts, villages,
        communities, poor_villages, poor_villages_income_met)
}

fn education_counts(c: &education::v1::RegionCounts) -> Value {
    object!(c; region_code, students, guaranteed, not_guaranteed, not_guaranteed_without_case,
        in_county, outside_county, outside_province, special_school, inclusive_class,
        home_teaching, deferral, exemption, dropped_out, never_enrolled, open_cases,
        outside_with_letter, letters_sent, letters_confirmed, letters_overdue,
        incoming_students, incoming_with_subsidy, incoming_subsidy_fen, students_with_subsidy,
        subsidy_fen, survey_children_surveyed, survey_unable_to_attend_physical,
        survey_placed_nearby, survey_taught_at_home)
}

fn health_counts(c: &health::v1::RegionHealth) -> Value {
    object!(c; region_code, insured_people, registered_poor_insured, premiums_fen,
        government_paid_fen, personal_paid_fen, cases, people_with_cases, total_cost_fen,
        basic_fen, serious_illness_fen, medical_assistance_fen, supplementary_fen,
        personal_in_policy_fen, personal_total_fen, people_over_cap)
}

fn housing_counts(c: &housing::v1::RegionCounts) -> Value {
    object!(c; region_code, relocated_households, relocated_people, moved_in_households,
        moved_in_people, demolition_required_households, demolished_households,
        reclaimed_centi_mu, with_support_households, with_labour_households,
        with_employment_households, appraised_a, appraised_b, appraised_c, appraised_d,
        dangerous_not_renovated)
}

fn water_counts(c: &water::v1::WaterCounts) -> Value {
    object!(c; region_code, households, people, safe_households, safe_people,
        basically_safe_households, basically_safe_people, unsafe_households, unsafe_people,
        quantity_failed_households, quality_failed_households, convenience_failed_households,
        supply_guarantee_failed_households, seasonal_checked_households,
        seasonal_checked_people, seasonal_shortage_households, seasonal_shortage_people)
}

fn exceptions(c: &ExceptionCounts) -> Value {
    object!(c; region_code, children_out_of_school_without_case, uninsured_registered_people,
        people_over_cap, relocated_not_moved_in_households,
        relocated_without_employment_households, unsafe_water_households, unsafe_water_people)
}

/// `{status, total, groups}` of one section; `total` is `null` when absent.
fn section<T>(
    status_: Option<&SectionStatus>,
    total: Option<&T>,
    groups: &[T],
    f: fn(&T) -> Value,
) -> Value {
    json!({
        "status": status(status_),
        "total": total.map(f),
        "groups": groups.iter().map(f).collect::<Vec<_>>(),
    })
}

/// The summary as a JSON value.
pub fn to_value(s: &Summary) -> Value {
    let sec = |v: Option<Value>| v.unwrap_or(Value::Null);
    json!({
        "region_prefix": s.region_prefix,
        "group_by": RegionLevel::try_from(s.group_by)
            .map(|v| v.as_str_name().to_string())
            .unwrap_or_else(|_| s.group_by.to_string()),
        "as_of": s.as_of.as_ref().map(|d| json!({"year": d.year, "month": d.month, "day": d.day})),
        "as_of_iso": s.as_of.as_ref().map(|_| super::as_of(s)),
        "year": s.year,
        "registry": sec(s.registry.as_ref().map(|r| section(r.status.as_ref(), r.total.as_ref(), &r.groups, registry_counts))),
        "education": sec(s.education.as_ref().map(|r| section(r.status.as_ref(), r.total.as_ref(), &r.groups, education_counts))),
        "health": sec(s.health.as_ref().map(|r| section(r.status.as_ref(), r.total.as_ref(), &r.groups, health_counts))),
        "housing": sec(s.housing.as_ref().map(|r| section(r.status.as_ref(), r.total.as_ref(), &r.groups, housing_counts))),
        "water": sec(s.water.as_ref().map(|r| section(r.status.as_ref(), r.total.as_ref(), &r.groups, water_counts))),
        "exceptions_total": s.exceptions_total.as_ref().map(exceptions),
        "exceptions_groups": s.exceptions_groups.iter().map(exceptions).collect::<Vec<_>>(),
        "complete": s.complete,
    })
}

/// The summary as pretty-printed JSON text.
pub fn render(s: &Summary) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(s)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost::Message;
    use prost_types::FileDescriptorSet;

    use super::*;
    use crate::report::sample;

    /// The field names of a message in the contracts' descriptors.
    fn proto_fields(full_name: &str) -> BTreeSet<String> {
        let fds = FileDescriptorSet::decode(xk_contracts::FILE_DESCRIPTOR_SET).unwrap();
        for f in &fds.file {
            let package = f.package();
            for m in &f.message_type {
                if format!("{package}.{}", m.name()) == full_name {
                    return m.field.iter().map(|f| f.name().to_string()).collect();
                }
            }
        }
        panic!("no message {full_name}");
    }

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn every_proto_field_is_in_the_json_under_its_own_name() {
        let v = to_value(&sample::county());
        let mut summary_keys = keys(&v);
        summary_keys.remove("as_of_iso");
        assert_eq!(summary_keys, proto_fields("xiaokang.aggregator.v1.Summary"));
        for (section, message) in [
            ("registry", "xiaokang.registry.v1.RegionCounts"),
            ("education", "xiaokang.education.v1.RegionCounts"),
            ("health", "xiaokang.health.v1.RegionHealth"),
            ("housing", "xiaokang.housing.v1.RegionCounts"),
            ("water", "xiaokang.water.v1.WaterCounts"),
        ] {
            assert_eq!(
                keys(&v[section]["total"]),
                proto_fields(message),
                "{section}"
            );
            assert_eq!(
                keys(&v[section]["status"]),
                proto_fields("xiaokang.aggregator.v1.SectionStatus")
            );
        }
        assert_eq!(
            keys(&v["exceptions_total"]),
            proto_fields("xiaokang.aggregator.v1.ExceptionCounts")
        );
    }

    #[test]
    fn carries_the_figures_as_numbers() {
        let v: Value = serde_json::from_str(&render(&sample::county())).unwrap();
        assert_eq!(v["registry"]["total"]["archive_people"], 49_494);
        assert_eq!(v["registry"]["total"]["baseline_people"], 51_125);
        assert_eq!(v["registry"]["groups"].as_array().unwrap().len(), 11);
        assert_eq!(v["group_by"], "REGION_LEVEL_TOWNSHIP");
        assert_eq!(v["as_of_iso"], "2019-12-31");
        assert_eq!(v["registry"]["status"]["state"], "SECTION_STATE_AVAILABLE");
    }

    #[test]
    fn unknown_is_null_and_unavailable_is_stated() {
        let v = to_value(&sample::county_without_health());
        assert_eq!(v["health"]["status"]["state"], "SECTION_STATE_UNAVAILABLE");
        assert_eq!(v["health"]["status"]["code"], 14);
        assert!(v["health"]["total"].is_null());
        assert!(v["exceptions_total"]["people_over_cap"].is_null());
        assert_eq!(v["exceptions_total"]["unsafe_water_households"], 0);
        assert_eq!(v["complete"], false);
    }
}
