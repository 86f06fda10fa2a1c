//! Bill numbers on cases, unique per institution, and the over-cap count's column in the
//! summary's covering index.
//!
//! A case carries the institution's bill number and which settlement of that bill it is
//! (`bill_settlement`: 1, then 2 after a reversal and a new settlement, …). A reversal row
//! copies both from the settlement it reverses. The unique index on
//! (institution, bill, kind, bill_settlement) is what refuses a bill settled twice, even by
//! two transactions racing on different person-years, and a settlement reversed twice.
//! Cases stored before this migration get the bill number `legacy-<settlement id>`, so
//! they stay distinct.

use super::m20261201_000001_health_tables::{Amounts, PersonYears};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use xk_runtime::migration::{alter_table, document_number, drop_index, index};

/// Adds the bill columns and index, and widens the person-year summary index.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Kind,
    InstitutionCode,
    BillNumber,
    BillSettlement,
}

/// The summary index before this migration (without the in-county personal column).
const OLD_SUMMARY_INDEX: &str = "idx_person_years_region_summary";
/// The summary index with `in_county_personal_fen`, which the over-cap count reads.
const SUMMARY_INDEX: &str = "idx_person_years_region_summary_v2";
/// The unique bill index.
const BILL_INDEX: &str = "idx_cases_bill";

/// The person-year summary index: (coverage year, village code) then the summed columns,
/// with `in_county_personal_fen` when `with_in_county` (so the over-cap count is covered).
fn summary_index(name: &str, with_in_county: bool) -> IndexCreateStatement {
    let mut columns: Vec<DynIden> = vec![
        PersonYears::CoverageYear.into_iden(),
        PersonYears::VillageCode.into_iden(),
        PersonYears::Cases.into_iden(),
        Amounts::TotalFen.into_iden(),
        Amounts::BasicFen.into_iden(),
        Amounts::SeriousFen.into_iden(),
        Amounts::AssistanceFen.into_iden(),
        Amounts::SupplementaryFen.into_iden(),
        Amounts::PersonalInPolicyFen.into_iden(),
        Amounts::PersonalTotalFen.into_iden(),
    ];
    if with_in_county {
        columns.push(PersonYears::InCountyPersonalFen.into_iden());
    }
    index(name, PersonYears::Table, columns)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds one at a time.
        let bill_number = document_number(Cases::BillNumber).default("").take();
        alter_table(m, Cases::Table, |t| t.add_column(bill_number)).await?;
        let bill_settlement = integer(Cases::BillSettlement).default(1).take();
        alter_table(m, Cases::Table, |t| t.add_column(bill_settlement)).await?;
        // A reversal takes the number of the settlement it reverses, so the pair stays
        // one bill.
        // `||` and CAST … AS TEXT mean the same on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "UPDATE cases SET bill_number = 'legacy-' || \
                 CAST(CASE WHEN kind = 2 THEN reverses_id ELSE id END AS TEXT)",
            )
            .await?;
        let bill_columns = [
            Cases::InstitutionCode,
            Cases::BillNumber,
            Cases::Kind,
            Cases::BillSettlement,
        ];
        m.create_index(
            index(BILL_INDEX, Cases::Table, bill_columns)
                .unique()
                .take(),
        )
        .await?;
        m.create_index(summary_index(SUMMARY_INDEX, true)).await?;
        drop_index(m, OLD_SUMMARY_INDEX, PersonYears::Table).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(summary_index(OLD_SUMMARY_INDEX, false))
            .await?;
        drop_index(m, SUMMARY_INDEX, PersonYears::Table).await?;
        drop_index(m, BILL_INDEX, Cases::Table).await?;
        alter_table(m, Cases::Table, |t| t.drop_column(Cases::BillSettlement)).await?;
        alter_table(m, Cases::Table, |t| t.drop_column(Cases::BillNumber)).await
    }
}
