//! The aggregator's migrations, oldest first. The runtime's own tables come first.

mod m20261202_000001_snapshots;

xk_runtime::migrator!(
    /// The aggregator's migrator.
    Migrator: m20261202_000001_snapshots::Migration,
);
