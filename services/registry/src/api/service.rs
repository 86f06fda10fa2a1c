//! The tonic trait, from the runtime's table of RPCs ([`xk_runtime::rpc_service!`]): each
//! RPC calls the handler of the same name (an inherent method, which Rust prefers to the
//! trait's), a write under the request id's claim for the caller the auth layer
//! identified (a change to one household through the one handler of them all,
//! `changes::apply`), and the handler's error becomes the status through the runtime's one
//! mapping.

use tonic::{Request, Response, Status};
use xk_contracts::pb::registry::v1::registry_service_server::RegistryService;
use xk_contracts::pb::registry::v1::*;

use super::reads::ExportStream;
use super::{RegistryApi, changes};

xk_runtime::rpc_service! {
    impl RegistryService for RegistryApi;
    writes {
        create_household(CreateHouseholdRequest) -> CreateHouseholdResponse;
        update_household(UpdateHouseholdRequest) -> UpdateHouseholdResponse;
        upsert_village(UpsertVillageRequest) -> UpsertVillageResponse;
        record_disaster_expense(RecordDisasterExpenseRequest) -> RecordDisasterExpenseResponse;
    }
    writes via changes::apply {
        record_income(RecordIncomeRequest) -> RecordIncomeResponse;
        record_exit(RecordExitRequest) -> RecordExitResponse;
        record_monitoring(RecordMonitoringRequest) -> RecordMonitoringResponse;
        advance_monitoring(AdvanceMonitoringRequest) -> AdvanceMonitoringResponse;
        remove_member(RemoveMemberRequest) -> RemoveMemberResponse;
    }
    reads {
        get_household(GetHouseholdRequest) -> GetHouseholdResponse;
        list_households(ListHouseholdsRequest) -> ListHouseholdsResponse;
        list_villages(ListVillagesRequest) -> ListVillagesResponse;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse;
        list_disaster_expenses(ListDisasterExpensesRequest) -> ListDisasterExpensesResponse;
    }
    imports {
        import_households(ImportHouseholdsRequest) -> ImportHouseholdsResponse;
    }

    by_hand {
        type ExportHouseholdsStream = ExportStream;

        async fn export_households(
            &self,
            req: Request<ExportHouseholdsRequest>,
        ) -> Result<Response<Self::ExportHouseholdsStream>, Status> {
            Ok(Response::new(self.export_households(req.into_inner())?))
        }

        async fn get_policy(
            &self,
            req: Request<GetPolicyRequest>,
        ) -> Result<Response<GetPolicyResponse>, Status> {
            self.get_policy_impl(req.into_inner()).map(Response::new)
        }
    }
}
