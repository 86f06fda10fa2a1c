//! The tonic service: request validation, the parallel fan-outs, the household file, and
//! the snapshot store. Rules live in [`crate::domain`] and [`crate::risk`]; every call to
//! a service goes through [`crate::upstream::CallCtx::call`].
//!
//! | module | what it holds |
//! |---|---|
//! | `state` | [`AggregatorApi`], the upstream context of an incoming call, shared request checks |
//! | `summary` | GetSummary and the five-service fan-out TakeSnapshot shares |
//! | `household` | the household file (GetHouseholdFile) and CheckExitEligibility |
//! | `snapshots` | TakeSnapshot, ListSnapshots, GetSnapshot |
//! | `at_risk` | ListAtRiskHouseholds: the village-by-village walk and its reads |
//! | `service` | the tonic trait: each RPC calls its handler |
//!
//! Dependencies run one way: `service` -> the handler modules -> `state`.

mod at_risk;
mod household;
mod service;
mod snapshots;
mod state;
mod summary;

pub use state::AggregatorApi;
