//! [`crate::entities!`]: the sea-orm entity modules of a service's tables without the
//! derives and impl blocks every one of them repeats.

/// Declares sea-orm entity modules, one per table: each gets the prelude, its `Model` with
/// the fields given (`Clone, Debug, PartialEq, Eq, DeriveEntityModel`, the table name), an
/// empty `Relation` (the services navigate no relations; they join in SQL) and the default
/// `ActiveModelBehavior`.
///
/// ```ignore
/// xk_runtime::entities! {
///     /// `villages`: ...
///     pub mod village = "villages" {
///         /// 12-digit code.
///         #[sea_orm(primary_key, auto_increment = false)]
///         pub village_code: String,
///     }
/// }
/// ```
#[macro_export]
macro_rules! entities {
    ($(
        $(#[$module_meta:meta])*
        pub mod $module:ident = $table:tt { $($fields:tt)* }
    )*) => {$(
        $(#[$module_meta])*
        pub mod $module {
            use ::sea_orm::entity::prelude::*;

            #[doc = concat!("A row of `", $table, "`.")]
            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model { $($fields)* }

            /// No relations are navigated.
            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    )*};
}
