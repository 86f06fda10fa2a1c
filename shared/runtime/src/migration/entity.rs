//! [`crate::entities!`]: the sea-orm entity modules of a service's tables without the
//! derives, key attributes, shared column groups and impl blocks every one of them repeats.

/// Declares sea-orm entity modules, one per table: each gets the prelude, its `Model` with
/// the fields given (`Clone, Debug, PartialEq, Eq, DeriveEntityModel`, the table name), an
/// empty `Relation` (the services navigate no relations; they join in SQL) and the default
/// `ActiveModelBehavior`.
///
/// A table's chosen key (one column or several, never auto-incremented) is written first,
/// in a `key { … }` block; an auto-incremented key stays a field with
/// `#[sea_orm(primary_key)]`. After the table name, `+ versioned` appends the columns of a
/// versioned record that reads return whole: `version` (the etag), `doc` (the encoded
/// message) and `updated_at`, in that order, after the table's own fields.
///
/// ```ignore
/// xk_runtime::entities! {
///     /// `villages`: ...
///     pub mod village = "villages" + versioned {
///         key {
///             /// 12-digit code.
///             pub village_code: String,
///         }
///         /// Name.
///         pub name: String,
///     }
/// }
/// ```
///
/// A service's own group of columns, declared with [`crate::column_group!`] before the
/// tables, is appended alike with `+ its_name`.
///
/// Only the entities are declared here: the tables themselves are created by the
/// service's migrations ([`crate::migration::Schema`]), so nothing here changes the DDL.
#[macro_export]
macro_rules! entities {
    // The model once its key and every group are in place.
    (@model $table:tt [$($fields:tt)*]) => {
        #[doc = concat!("A row of `", $table, "`.")]
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model { $($fields)* }
    };
    // A versioned record: the etag, the encoded message reads return, the last write.
    (@model $table:tt [$($fields:tt)*] versioned $($groups:ident)*) => {
        $crate::entities!(@model $table [
            $($fields)*
            /// Optimistic-concurrency version; the etag.
            pub version: i64,
            /// The encoded record (the table's message) that reads return.
            pub doc: Vec<u8>,
            /// Last write.
            pub updated_at: DateTimeUtc,
        ] $($groups)*);
    };
    // A service's own group ([`crate::column_group!`]): its macro appends the columns and
    // hands the model back here.
    (@model $table:tt [$($fields:tt)*] $group:ident $($groups:ident)*) => {
        $group!($table [$($fields)*] $($groups)*);
    };
    // A chosen key: its columns first, each a primary-key column never auto-incremented.
    (@keyed $table:tt [$($groups:ident)*]
        key { $($(#[$($key_attr:tt)*])* pub $key:ident: $key_type:ty),+ $(,)? }
        $($fields:tt)*
    ) => {
        $crate::entities!(@model $table [
            $($(#[$($key_attr)*])* #[sea_orm(primary_key, auto_increment = false)] pub $key: $key_type,)+
            $($fields)*
        ] $($groups)*);
    };
    // No key block: the key is a field of its own (an auto-incremented id).
    (@keyed $table:tt [$($groups:ident)*] $($fields:tt)*) => {
        $crate::entities!(@model $table [$($fields)*] $($groups)*);
    };
    ($(
        $(#[$module_meta:meta])*
        pub mod $module:ident = $table:tt $(+ $group:ident)* { $($body:tt)* }
    )*) => {$(
        $(#[$module_meta])*
        pub mod $module {
            use ::sea_orm::entity::prelude::*;

            $crate::entities!(@keyed $table [$($group)*] $($body)*);

            /// No relations are navigated.
            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    )*};
}

/// Declares a group of columns that several tables of one service carry alike, for
/// [`crate::entities!`]'s `+ name`: a local macro `name!` (declared before the tables, in
/// the same file) that appends the group's fields after a table's own.
///
/// ```ignore
/// xk_runtime::column_group! {
///     /// The layers of a settlement.
///     layers {
///         /// Layer 1, fen.
///         pub basic_fen: i64,
///     }
/// }
/// ```
#[macro_export]
macro_rules! column_group {
    // `$d` is a `$` handed in, so the macro written here can have metavariables of its own.
    (@with ($d:tt) $(#[$meta:meta])* $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        macro_rules! $name {
            ($d table:tt [$d($d before:tt)*] $d($d groups:ident)*) => {
                $crate::entities!(@model $d table [$d($d before)* $($fields)*] $d($d groups)*);
            };
        }
    };
    ($(#[$meta:meta])* $name:ident { $($fields:tt)* }) => {
        $crate::column_group!(@with ($) $(#[$meta])* $name { $($fields)* });
    };
}
