//! Resettlement sites: CreateSite, UpdateSite, DeleteSite. A site's type decides the
//! move-in rule of the households resettled there, so it cannot change, nor the site go,
//! while there are any.

use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::write::{self, Audit, RecordStore};
use xk_runtime::{ApiError, Violations};

use super::convert::{id, village};
use super::{HousingApi, Write};
use crate::checked::site_type_from_pb;
use crate::domain::is_blank;
use crate::domain::rules::SITE;
use crate::store::sites::{self, Sites};

/// Longest site name accepted: a resettlement site's full name (县+镇+安置点) fits many
/// times over; without a bound, a client could store megabytes in one name.
pub const MAX_SITE_NAME_CHARS: usize = 100;

/// Checks a site's own fields; every path starts with `site.`.
fn check_site(site: &pb::Site) -> Violations {
    let mut v = Violations::new();
    id(&mut v, "site.site_id", &site.site_id);
    if is_blank(&site.name) {
        v.add("site.name", "required");
    } else if site.name.chars().count() > MAX_SITE_NAME_CHARS {
        v.add(
            "site.name",
            format!("at most {MAX_SITE_NAME_CHARS} characters"),
        );
    }
    village(&mut v, "site.village_code", &site.village_code);
    if site_type_from_pb(site.r#type).is_none() {
        v.add(
            "site.type",
            format!("required: a known site type, got {}", site.r#type),
        );
    }
    v
}

/// CreateSite: a new site at version 1; ALREADY_EXISTS if the id is taken.
impl Write for pb::CreateSiteRequest {
    type Reply = pb::CreateSiteResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let mut site = self.site.unwrap_or_default();
        check_site(&site).into_result()?;
        site.etag.clear();
        api.db
            .write(idem, async |txn| {
                let stored = sites::insert(&**txn, &site, "site.site_id").await?;
                let response = pb::CreateSiteResponse { site: Some(stored) };
                Ok((response, Audit::new(&site.site_id, "created")))
            })
            .await
    }
}

/// UpdateSite: replaces name, village and type, based on the etag sent.
impl Write for pb::UpdateSiteRequest {
    type Reply = pb::UpdateSiteResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let site = self.site.unwrap_or_default();
        let mut v = check_site(&site);
        if site.etag.is_empty() {
            v.add(
                "site.etag",
                "required: send the etag of the version you changed",
            );
        }
        v.into_result()?;
        let (site_id, etag) = (site.site_id.clone(), site.etag.clone());
        let change = |stored: &mut sites::SiteDraft| {
            if stored.site.r#type != site.r#type && stored.households > 0 {
                return Err(ApiError::rule(
                    SITE,
                    "site.type",
                    format!(
                        "{} households are resettled at site {site_id}; its type decides their \
                         move-in rule and cannot change",
                        stored.households
                    ),
                ));
            }
            stored.site = site;
            Ok("updated".to_string())
        };
        let respond = |saved: sites::SiteDraft| pb::UpdateSiteResponse {
            site: Some(saved.site),
        };
        write::update(
            &api.db,
            &Sites,
            idem,
            &site_id,
            Some(&etag),
            change,
            respond,
        )
        .await
    }
}

/// DeleteSite: only a site no household is resettled at.
impl Write for pb::DeleteSiteRequest {
    type Reply = pb::DeleteSiteResponse;

    async fn handle(self, api: &HousingApi, idem: &Idempotent) -> Result<Self::Reply, ApiError> {
        let mut v = Violations::new();
        id(&mut v, "site_id", &self.site_id);
        v.into_result()?;
        let site_id = self.site_id.as_str();
        api.db
            .write(idem, async |txn| {
                let stored = Sites.lock(txn, site_id).await?;
                if stored.households > 0 {
                    return Err(ApiError::rule(
                        SITE,
                        "site_id",
                        format!(
                            "{} households are resettled at site {site_id}",
                            stored.households
                        ),
                    ));
                }
                sites::delete(&**txn, site_id).await?;
                let response = pb::DeleteSiteResponse {
                    site: Some(stored.site),
                };
                Ok((response, Audit::new(site_id, "deleted")))
            })
            .await
    }
}
