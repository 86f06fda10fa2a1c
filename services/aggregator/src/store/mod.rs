//! The aggregator's own database: monthly snapshots only (it owns no other data).

pub mod migration;

/// The `snapshots` table: one stored summary per month and region prefix.
pub mod snapshot {
    use sea_orm::entity::prelude::*;

    /// One snapshot.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "snapshots")]
    pub struct Model {
        /// `<month>/<prefix>`: one snapshot per month and region, the meeting's record;
        /// the id sorts by month, so keyset paging lists months in order.
        #[sea_orm(primary_key, auto_increment = false)]
        pub snapshot_id: String,
        /// YYYY-MM.
        pub month: String,
        /// The region prefix summarized (for the list filter).
        pub region_prefix: String,
        /// The encoded `Summary` message: stored as taken, so later changes in the
        /// services do not rewrite history.
        pub summary: Vec<u8>,
        /// Principal that took it (audit; also in the audit log).
        pub taken_by: String,
        /// When it was taken.
        pub taken_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
