//! The tonic trait, from the runtime's table of RPCs ([`xk_runtime::rpc_service!`]): each
//! RPC calls its handler in the module of its resource; the fan-outs and snapshot writes
//! get the whole request, since they read its metadata (principal, deadline, request id).

use xk_contracts::pb::aggregator::v1::aggregator_service_server::AggregatorService;
use xk_contracts::pb::aggregator::v1::*;

use super::at_risk::AtRiskStream;
use super::state::AggregatorApi;

xk_runtime::rpc_service! {
    impl AggregatorService for AggregatorApi;
    reads {
        list_snapshots(ListSnapshotsRequest) -> ListSnapshotsResponse
            => AggregatorApi::list_snapshots_impl;
        get_snapshot(GetSnapshotRequest) -> GetSnapshotResponse
            => AggregatorApi::get_snapshot_impl;
    }
    with_metadata {
        list_at_risk_households(ListAtRiskHouseholdsRequest) -> AtRiskStream
            => AggregatorApi::list_at_risk_impl;
        get_summary(GetSummaryRequest) -> GetSummaryResponse => AggregatorApi::get_summary_impl;
        get_household_file(GetHouseholdFileRequest) -> GetHouseholdFileResponse
            => AggregatorApi::get_household_file_impl;
        take_snapshot(TakeSnapshotRequest) -> TakeSnapshotResponse
            => AggregatorApi::take_snapshot_impl;
        check_exit_eligibility(CheckExitEligibilityRequest) -> CheckExitEligibilityResponse
            => AggregatorApi::check_exit_eligibility_impl;
    }

    by_hand {
        type ListAtRiskHouseholdsStream = AtRiskStream;
    }
}
