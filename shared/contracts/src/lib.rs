//! xiaokang's contracts: the code generated from `proto/`, the validated value types that
//! every service parses its input into, and conversions between the two.
//!
//! Module map:
//! - [`pb`]: generated messages, clients and servers, one module per proto package
//!   (`pb::registry::v1`, …), nested as the packages are so cross-package references resolve.
//! - [`types`]: validated newtypes (`ResidentId`, `RegionCode`, `RegionPrefix`,
//!   `HouseholdId`, `Fen`) and date helpers, each with `parse`.
//! - [`convert`]: `common.v1.Date` to and from `chrono::NaiveDate`.
//! - [`requests`]: what the runtime needs of a request message ([`ImportBatch`]: an import
//!   batch's RPC, request id and records).
//! - [`pages`]: what the runtime needs of a paged list's response ([`ListPage`]: built
//!   from its rows and the next page's token), derived from the contracts by build.rs.
//! - [`summaries`]: what the runtime needs of a summary of groups and their total
//!   ([`summaries::RegionSummary`]), derived the same way.
//! - [`FILE_DESCRIPTOR_SET`]: every contract's descriptors, served by server reflection.

#![warn(missing_docs)]

pub mod convert;
pub mod pages;
pub mod requests;
pub mod summaries;
pub mod types;

pub use pages::ListPage;
pub use requests::ImportBatch;

/// Generated code, one module per proto package (`pb::registry::v1`, …), nested as the
/// packages are so cross-package references resolve. Written by build.rs from the protos
/// found under `proto/`.
// No allow(missing_docs) here: prost copies every proto comment onto its item and tonic
// marks its own client/server plumbing allow(missing_docs), so an undocumented proto
// element is the only thing this lint flags in pb, and it should.
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/xiaokang_packages.rs"));
}

/// The encoded `FileDescriptorSet` of every contract, for server reflection (v1 and v1alpha).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/xiaokang_descriptor.bin"));
