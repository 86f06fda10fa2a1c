//! Reading a ListAtRiskHouseholds stream.

use std::time::Duration;

use xk_contracts::pb::aggregator::v1::*;

use crate::county::{Agg, YEAR};

/// Every message of one stream, or the status it failed with.
pub async fn stream(
    c: &mut Agg,
    req: ListAtRiskHouseholdsRequest,
    deadline: Option<Duration>,
) -> Result<Vec<ListAtRiskHouseholdsResponse>, tonic::Status> {
    let mut r = tonic::Request::new(req);
    if let Some(d) = deadline {
        r.set_timeout(d);
    }
    let mut s = c.list_at_risk_households(r).await?.into_inner();
    let mut out = Vec::new();
    while let Some(m) = s.message().await? {
        out.push(m);
    }
    Ok(out)
}

/// A request for `prefix` in the county's year.
pub fn req(prefix: &str, batch: i32, token: &str) -> ListAtRiskHouseholdsRequest {
    ListAtRiskHouseholdsRequest {
        region_prefix: prefix.into(),
        year: YEAR,
        batch_size: batch,
        resume_token: token.into(),
        as_of: None,
    }
}

/// Every household of the messages, in order.
pub fn households(msgs: &[ListAtRiskHouseholdsResponse]) -> Vec<AtRiskHousehold> {
    msgs.iter().flat_map(|m| m.households.clone()).collect()
}

/// (household id, reason kinds), in stream order.
pub fn kinds(hs: &[AtRiskHousehold]) -> Vec<(String, Vec<RiskKind>)> {
    hs.iter()
        .map(|h| {
            (
                h.household_id.clone(),
                h.reasons
                    .iter()
                    .map(|r| RiskKind::try_from(r.kind).unwrap())
                    .collect(),
            )
        })
        .collect()
}
