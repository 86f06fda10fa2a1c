//! Supply schemes: CreateScheme, GetScheme, UpdateScheme, ListSchemes, DeleteScheme.

use xk_contracts::pb::water::v1::*;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::paging::Page;
use xk_runtime::write::{Audit, update as update_record};
use xk_runtime::{ApiError, required};

use super::WaterApi;
use super::mapping::check_scheme;
use crate::domain::{FieldViolation, rules};
use crate::store::schemes::{self as store, Schemes};

/// The scheme a create or update sends, checked (every field at once) and trimmed.
fn checked_scheme(
    scheme: Option<Scheme>,
    mut extra: Vec<FieldViolation>,
) -> Result<Scheme, ApiError> {
    let mut scheme = required(scheme, "scheme")?;
    let mut v = check_scheme(&scheme);
    v.append(&mut extra);
    ApiError::check("", v)?;
    scheme.name = scheme.name.trim().to_string();
    Ok(scheme)
}

/// CreateScheme: ALREADY_EXISTS if the id is taken.
pub(super) async fn create(
    api: &WaterApi,
    idem: Idempotent,
    req: CreateSchemeRequest,
) -> Result<CreateSchemeResponse, ApiError> {
    let mut scheme = checked_scheme(req.scheme, Vec::new())?;
    scheme.etag.clear();
    api.db
        .write(&idem, async |txn| {
            let stored = store::insert_scheme(&**txn, &scheme).await?;
            let audit = Audit::new(&scheme.scheme_id, "created");
            Ok((
                CreateSchemeResponse {
                    scheme: Some(stored),
                },
                audit,
            ))
        })
        .await
}

/// GetScheme.
pub(super) async fn get(
    api: &WaterApi,
    req: GetSchemeRequest,
) -> Result<GetSchemeResponse, ApiError> {
    if req.scheme_id.is_empty() {
        return Err(ApiError::invalid("scheme_id", "required"));
    }
    let scheme = store::get_scheme(api.db.conn(), &req.scheme_id).await?;
    Ok(GetSchemeResponse {
        scheme: Some(scheme),
    })
}

/// UpdateScheme: replaces the scheme sent, based on its etag (ABORTED when stale).
pub(super) async fn update(
    api: &WaterApi,
    idem: Idempotent,
    req: UpdateSchemeRequest,
) -> Result<UpdateSchemeResponse, ApiError> {
    let no_etag = req
        .scheme
        .as_ref()
        .is_some_and(|s| s.etag.parse::<i64>().is_err())
        .then(|| {
            FieldViolation::invalid(
                "scheme.etag",
                "required: send the etag of the version you changed",
            )
        });
    let scheme = checked_scheme(req.scheme, no_etag.into_iter().collect())?;
    let (id, sent) = (scheme.scheme_id.clone(), scheme.etag.clone());
    update_record(
        &api.db,
        &Schemes,
        &idem,
        &id,
        Some(&sent),
        move |stored| {
            stored.scheme = scheme;
            Ok("updated".to_string())
        },
        |stored| UpdateSchemeResponse {
            scheme: Some(stored.scheme),
        },
    )
    .await
}

/// ListSchemes: in id order; with a region prefix, those serving a village under it.
pub(super) async fn list(
    api: &WaterApi,
    req: ListSchemesRequest,
) -> Result<ListSchemesResponse, ApiError> {
    let page = Page::of_list("schemes", &req)?;
    let schemes = store::list_schemes(api.db.conn(), (&page).into()).await?;
    Ok(page.answer(schemes, |s| &s.scheme_id))
}

/// DeleteScheme: FAILED_PRECONDITION (SCHEME_IN_USE) while an assessment refers to it.
pub(super) async fn delete(
    api: &WaterApi,
    idem: Idempotent,
    req: DeleteSchemeRequest,
) -> Result<DeleteSchemeResponse, ApiError> {
    let id = req.scheme_id.as_str();
    if id.is_empty() {
        return Err(ApiError::invalid("scheme_id", "required"));
    }
    api.db
        .write(&idem, async |txn| {
            let stored = store::lock_scheme(&**txn, id).await?;
            let refs = store::scheme_references(&**txn, id).await?;
            if refs > 0 {
                return Err(ApiError::rule(
                    rules::SCHEME_IN_USE,
                    format!("scheme {id}"),
                    format!(
                        "scheme {id} is referred to by {refs} assessments and cannot be deleted"
                    ),
                ));
            }
            store::delete_scheme(&**txn, id).await?;
            Ok((
                DeleteSchemeResponse {
                    scheme: Some(stored.scheme),
                },
                Audit::new(id, "deleted"),
            ))
        })
        .await
}
