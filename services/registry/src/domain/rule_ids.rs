//! The registry's rule ids: the `type` of each FAILED_PRECONDITION violation, which clients
//! switch on. Stable: a rule keeps its id for as long as it exists. The same table is in
//! the header of `proto/xiaokang/registry/v1/registry.proto`.

xk_runtime::rule_ids! {
    /// RecordExit: the household is not poor (already exited, monitored only, or removed).
    NOT_POOR,
    /// RecordExit: the exit year is before the identified year or after the decision date.
    EXIT_YEAR_OUT_OF_ORDER,
    /// RecordExit: no per-capita income is recorded for the exit year.
    NO_INCOME_FOR_EXIT_YEAR,
    /// RecordExit: the exit year's per-capita income is below that year's poverty line.
    INCOME_BELOW_POVERTY_LINE,
    /// RecordMonitoring: the household has an open monitoring case already.
    MONITORING_ALREADY_OPEN,
    /// RecordMonitoring: the category does not fit the household's status.
    CATEGORY_DOES_NOT_FIT_STATUS,
    /// RecordMonitoring: the category is not in force in the year of the case
    /// (sudden hardship before its policy year).
    CATEGORY_NOT_IN_FORCE,
    /// AdvanceMonitoring: the household has no open monitoring case.
    NO_OPEN_MONITORING,
    /// AdvanceMonitoring: the stage does not follow the current one.
    STAGE_OUT_OF_ORDER,
    /// AdvanceMonitoring: the new stage would take effect before the previous one.
    DATE_BEFORE_LAST_STAGE,
    /// RemoveMember: the head cannot leave while other members remain.
    HEAD_WITH_MEMBERS,
    /// UpdateHousehold: a removed household cannot be changed.
    HOUSEHOLD_REMOVED,
    /// UpdateHousehold: a removed member cannot come back as a current member.
    MEMBER_REMOVED,
}

#[cfg(test)]
mod tests {
    /// The proto's header lists every id (and no other), so a client reading the contract
    /// sees what it may switch on.
    #[test]
    fn the_proto_header_lists_every_rule_id() {
        let proto = include_str!("../../../../proto/xiaokang/registry/v1/registry.proto");
        let header: String = proto
            .lines()
            .take_while(|l| !l.starts_with("package"))
            .collect::<Vec<_>>()
            .join("\n");
        let listed: Vec<&str> = header
            .lines()
            .filter_map(|l| l.strip_prefix("// | `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let mut want = super::ALL.to_vec();
        want.sort_unstable();
        let mut got = listed.clone();
        got.sort_unstable();
        assert_eq!(got, want, "proto header table vs rule_ids");
    }
}
