//! The tonic trait, from the runtime's table of RPCs ([`xk_runtime::rpc_service!`]): each
//! RPC calls its handler in the module of its resource; the fan-outs get the context of
//! their upstream calls from the call's metadata ([`xk_runtime::rpc::CallContext`]: the
//! deadline budget, the request id), the at-risk stream and snapshot writes the whole
//! request, since they read more of its metadata (the principal, the raw deadline).

use xk_contracts::pb::aggregator::v1::aggregator_service_server::AggregatorService;
use xk_contracts::pb::aggregator::v1::*;

use super::at_risk::AtRiskStream;
use super::state::AggregatorApi;
use super::{household, summary};

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
        take_snapshot(TakeSnapshotRequest) -> TakeSnapshotResponse
            => AggregatorApi::take_snapshot_impl;
    }
    in_context {
        get_summary(GetSummaryRequest) -> GetSummaryResponse => summary::get_summary;
        get_household_file(GetHouseholdFileRequest) -> GetHouseholdFileResponse
            => household::get_household_file;
        check_exit_eligibility(CheckExitEligibilityRequest) -> CheckExitEligibilityResponse
            => household::check_exit_eligibility;
    }

    by_hand {
        type ListAtRiskHouseholdsStream = AtRiskStream;
    }
}
