//! What the shared runtime needs to know of a service's request messages without knowing
//! the service: here, which RPC an import batch belongs to and its request id. Implemented
//! here, beside the generated types, because the runtime may not implement a trait for
//! them and the services may not implement this one.

use crate::pb;

/// One batch of a client-streaming `Import*` RPC: each batch carries its own request id
/// and its records, and is committed as its own idempotent transaction.
pub trait ImportBatch {
    /// The RPC that carries the batches, for the idempotency key and the audit log.
    const METHOD: &'static str;

    /// The name of the repeated field that holds the batch's records (`households`), the
    /// field path the batch's size is checked under.
    const RECORDS: &'static str;

    /// The batch's request id (a retry with the same id is answered from the first run).
    fn request_id(&self) -> &str;

    /// How many records the batch holds.
    fn records(&self) -> usize;
}

/// Implements [`ImportBatch`] for batch messages that have a `request_id` field, given
/// each one's RPC and its records field.
macro_rules! import_batches {
    ($($batch:ty => $method:literal, $records:ident;)+) => {
        $(impl ImportBatch for $batch {
            const METHOD: &'static str = $method;
            const RECORDS: &'static str = stringify!($records);

            fn request_id(&self) -> &str {
                &self.request_id
            }

            fn records(&self) -> usize {
                self.$records.len()
            }
        })+
    };
}

import_batches! {
    pb::registry::v1::ImportHouseholdsRequest => "ImportHouseholds", households;
    pb::education::v1::ImportStudentsRequest => "ImportStudents", students;
    pb::housing::v1::ImportRelocationsRequest => "ImportRelocations", relocations;
    pb::health::v1::ImportEnrolmentsRequest => "ImportEnrolments", enrolments;
    pb::water::v1::ImportAssessmentsRequest => "ImportAssessments", assessments;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The method is the one whose request the batch is: `ImportXRequest` → `ImportX`.
    fn method_matches<B: ImportBatch + Default>() {
        let name = std::any::type_name::<B>();
        assert!(
            name.ends_with(&format!("::{}Request", B::METHOD)),
            "{name} vs {}",
            B::METHOD
        );
    }

    #[test]
    fn every_batch_names_its_rpc_and_carries_its_request_id() {
        method_matches::<pb::registry::v1::ImportHouseholdsRequest>();
        method_matches::<pb::education::v1::ImportStudentsRequest>();
        method_matches::<pb::housing::v1::ImportRelocationsRequest>();
        method_matches::<pb::health::v1::ImportEnrolmentsRequest>();
        method_matches::<pb::water::v1::ImportAssessmentsRequest>();
        type Water = pb::water::v1::ImportAssessmentsRequest;
        let batch = Water {
            request_id: "batch-7".into(),
            assessments: vec![Default::default(); 2],
        };
        assert_eq!(batch.request_id(), "batch-7");
        assert_eq!((Water::RECORDS, batch.records()), ("assessments", 2));
    }
}
