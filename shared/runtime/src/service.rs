//! What every service's API value holds: its own database and its policy book. Each
//! service used to declare the same struct and constructor; [`service_api!`] declares the
//! service's own type around the one [`Backend`] (the service's type must be its own, so
//! that it can implement the generated tonic trait and carry inherent handlers).

use std::sync::Arc;

use crate::db::Db;
use crate::policy::PolicyBook;

/// A service's database and its effective-dated policy, shared by every clone of the API
/// value (tonic clones it per connection).
#[derive(Debug)]
pub struct Backend<P> {
    /// The service's own database.
    pub db: Db,
    /// The service's policy numbers by policy year.
    pub policy: Arc<PolicyBook<P>>,
}

// Not derived: a derive would ask `P: Clone`, and the book is shared, not copied.
impl<P> Clone for Backend<P> {
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            policy: Arc::clone(&self.policy),
        }
    }
}

impl<P> Backend<P> {
    /// The backend over a migrated database, judging by `policy`.
    pub fn new(db: Db, policy: PolicyBook<P>) -> Self {
        Self {
            db,
            policy: Arc::new(policy),
        }
    }
}

/// Declares a service's API type: a newtype of [`Backend`] of the service's policy, with
/// `new(db, policy)` and its fields (`db`, `policy`) readable through `Deref`.
///
/// ```ignore
/// xk_runtime::service_api! {
///     /// The water service implementation.
///     pub struct WaterApi(Backend<Thresholds>);
/// }
/// ```
#[macro_export]
macro_rules! service_api {
    ($(#[$attr:meta])* $vis:vis struct $name:ident(Backend<$policy:ty>);) => {
        $(#[$attr])*
        #[derive(Clone)]
        $vis struct $name($crate::service::Backend<$policy>);

        impl $name {
            /// A service over a migrated database, judging by `policy`.
            $vis fn new(db: $crate::Db, policy: $crate::policy::PolicyBook<$policy>) -> Self {
                Self($crate::service::Backend::new(db, policy))
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::service::Backend<$policy>;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }
    };
}
