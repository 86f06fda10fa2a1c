//! Records and dates the domain's unit tests share.

use chrono::NaiveDate;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, HealthCondition, Household, Income, LabourCapacity, Member, Monitoring,
    MonitoringCategory, MonitoringStage, PovertyCause, Relation,
};
use xk_contracts::types::ResidentId;
use xk_runtime::ApiError;

use crate::policy::RegistryPolicy;

/// The built-in policy of 2019.
pub fn policy() -> RegistryPolicy {
    crate::policy::load(None)
        .unwrap()
        .for_year(2019)
        .unwrap()
        .clone()
}

/// A date that exists.
pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A healthy, fully able member born 1980-01-01 with sequence `seq`.
pub fn member(seq: u16, relation: Relation) -> Member {
    Member {
        resident_id: ResidentId::build("420625", d(1980, 1, 1), seq)
            .as_str()
            .to_string(),
        name: format!("成员{seq}"),
        relation: relation as i32,
        health: HealthCondition::Healthy as i32,
        labour: LabourCapacity::Full as i32,
        registered_year: 0,
        removed_on: None,
        removal_reason: 0,
    }
}

/// A household of head and spouse identified in 2014.
pub fn household(id: &str, status: ArchiveStatus) -> Household {
    Household {
        household_id: id.into(),
        village_code: "420625100201".into(),
        members: vec![member(11, Relation::Head), member(12, Relation::Spouse)],
        causes: vec![PovertyCause::Illness as i32],
        status: status as i32,
        identified_year: 2014,
        exited_year: 0,
        monitoring: None,
        incomes: vec![],
        timeline: vec![],
        etag: String::new(),
    }
}

/// A case of category `c` identified on 2019-05-01.
pub fn monitoring(c: MonitoringCategory) -> Monitoring {
    Monitoring {
        category: c as i32,
        stage: MonitoringStage::Identified as i32,
        identified_on: Some(date_to_pb(d(2019, 5, 1))),
        stage_changed_on: None,
    }
}

/// A year's per-capita income.
pub fn income(year: i32, fen: i64) -> Income {
    Income {
        year,
        per_capita_net_income_fen: fen,
    }
}

/// The rule id of a single-breach error, or what else the error was.
pub fn rule_of(e: &ApiError) -> String {
    match e {
        ApiError::Rule(breaches) => breaches
            .iter()
            .map(|b| b.rule)
            .collect::<Vec<_>>()
            .join(","),
        other => format!("not a rule breach: {other:?}"),
    }
}
