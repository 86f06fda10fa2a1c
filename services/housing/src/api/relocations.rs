//! Relocated households: CreateRelocation and UpdateRelocation, plus what every write of a
//! relocation shares: registering new records ([`register`], also the import's) and
//! changing one stored record ([`change`], also each milestone RPC's).

use prost::Message;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;
use xk_runtime::clock::today;
use xk_runtime::db::WriteTxn;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::write::{self, Audit};

use super::convert::check_relocation;
use super::{HousingApi, Write};
use crate::checked::Checked;
use crate::store::relocations::{self, Relocations};
use crate::store::sites;

/// Stores new relocated households in `txn`: sets each one's site type (every missing site
/// or missing prerequisite of the whole batch at once), refuses a household registered
/// already (ALREADY_EXISTS naming its `household_id` field), inserts the rest. Returns them
/// as stored.
pub(super) async fn register(
    txn: &WriteTxn,
    checked: &[Checked],
) -> Result<Vec<Checked>, ApiError> {
    let site_ids: Vec<&str> = checked.iter().map(|c| c.record.site_id.as_str()).collect();
    let types = sites::types(&**txn, &site_ids).await?;
    let mut at_sites = Vec::with_capacity(checked.len());
    let mut broken = Vec::new();
    for c in checked {
        match c.clone().at_site(types.get(&c.record.site_id).copied()) {
            Ok(c) => at_sites.push(c),
            Err(e) => broken.push(e),
        }
    }
    if let Some(e) = ApiError::merge(broken) {
        return Err(e);
    }
    let ids: Vec<&str> = at_sites
        .iter()
        .map(|c| c.record.household_id.as_str())
        .collect();
    if let Some(j) = relocations::find_existing(&**txn, &ids).await? {
        return Err(ApiError::AlreadyExists {
            what: "relocation",
            name: ids[j].to_string(),
            field: format!("{}household_id", at_sites[j].prefix),
        });
    }
    relocations::insert(&**txn, &at_sites).await?;
    Ok(at_sites)
}

/// Which stored record a [`change`] is of, and how its request names things.
pub(super) struct Target<'a> {
    /// The household.
    pub household_id: &'a str,
    /// The etag the change is based on, if the request sent one.
    pub etag: Option<&'a str>,
    /// The site the change moves the household to; `None` keeps its own.
    pub moving_to: Option<&'a str>,
    /// The request's path to the record (`relocation.`), or empty when the request's own
    /// fields are the record's.
    pub prefix: &'a str,
}

impl<'a> Target<'a> {
    /// The record of `household_id`, changed in place by a milestone RPC.
    pub fn household(household_id: &'a str) -> Self {
        Target {
            household_id,
            etag: None,
            moving_to: None,
            prefix: "",
        }
    }
}

/// A response that carries the relocation as stored (UpdateRelocation's and each
/// milestone RPC's), so [`change`] can answer any of them.
pub(super) trait RelocationReply: Message + Default {
    /// The response carrying `relocation`.
    fn of(relocation: pb::Relocation) -> Self;
}

/// Implements [`RelocationReply`] for responses whose one field is the relocation.
macro_rules! relocation_reply {
    ($($response:ident),*) => {$(
        impl RelocationReply for pb::$response {
            fn of(relocation: pb::Relocation) -> Self {
                pb::$response {
                    relocation: Some(relocation),
                }
            }
        }
    )*};
}

relocation_reply!(
    UpdateRelocationResponse,
    RecordMoveInResponse,
    RecordDemolitionResponse,
    RecordReclamationResponse,
    AddSupportMeasureResponse
);

/// One idempotent change of a stored relocation: lock it with the type of its site, check
/// the etag if sent, let `edit` apply the RPC's own rule and change, re-check the whole
/// record against every rule, store it with fresh derived columns, and answer with it.
pub(super) async fn change<R: RelocationReply>(
    api: &HousingApi,
    idem: &Idempotent,
    target: Target<'_>,
    edit: impl FnOnce(&mut pb::Relocation) -> Result<(), ApiError> + Send,
) -> Result<R, ApiError> {
    let (today, policy, prefix) = (today(), &*api.policy, target.prefix);
    let apply = |draft: &mut relocations::Draft| {
        edit(&mut draft.record)?;
        let checked =
            check_relocation(&draft.record, prefix, today, policy)?.at_site(draft.site_type)?;
        let detail = format!(
            "{}moved in, etag {}",
            if checked.record.moved_in { "" } else { "not " },
            draft.version + 1
        );
        draft.checked = Some(checked);
        Ok(detail)
    };
    let store = Relocations {
        moving_to: target.moving_to,
    };
    let (id, etag) = (target.household_id, target.etag);
    write::update(&api.db, &store, idem, id, etag, apply, |stored| {
        R::of(stored.record)
    })
    .await
}

/// CreateRelocation: a new relocated household at version 1.
impl Write for pb::CreateRelocationRequest {
    type Reply = pb::CreateRelocationResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let Some(relocation) = &self.relocation else {
            return Err(ApiError::invalid("relocation", "required"));
        };
        let checked = check_relocation(relocation, "relocation.", today(), &api.policy)?;
        api.db
            .write(idem, async |txn| {
                let stored = register(txn, std::slice::from_ref(&checked)).await?;
                let mut record = stored
                    .into_iter()
                    .next()
                    .map(|c| c.record)
                    .unwrap_or_default();
                record.etag = "1".into();
                let audit = Audit::new(&record.household_id, "created");
                let response = pb::CreateRelocationResponse {
                    relocation: Some(record),
                };
                Ok((response, audit))
            })
            .await
    }
}

/// UpdateRelocation: replaces the whole record, based on the etag sent.
impl Write for pb::UpdateRelocationRequest {
    type Reply = pb::UpdateRelocationResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let Some(new) = self.relocation else {
            return Err(ApiError::invalid("relocation", "required"));
        };
        if new.etag.is_empty() {
            return Err(ApiError::invalid(
                "relocation.etag",
                "required: send the etag of the version you changed",
            ));
        }
        // Everything that needs no stored state is checked before the transaction.
        check_relocation(&new, "relocation.", today(), &api.policy)?;
        let (household_id, etag, site_id) = (
            new.household_id.clone(),
            new.etag.clone(),
            new.site_id.clone(),
        );
        let target = Target {
            household_id: &household_id,
            etag: Some(&etag),
            moving_to: Some(&site_id),
            prefix: "relocation.",
        };
        let edit = |record: &mut pb::Relocation| {
            *record = new;
            Ok(())
        };
        change(api, idem, target, edit).await
    }
}
