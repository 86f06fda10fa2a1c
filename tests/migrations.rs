//! Migrations in a scaled deployment: `xiaokang migrate` runs once; replicas started with
//! XK_MIGRATE=false refuse a database with pending migrations, and every service refuses
//! a database migrated by a newer version.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, Statement};
use tokio::net::TcpListener;
use xiaokang::testing::{TestDatabase, test_tokens};
use xk_runtime::{Db, ServeSettings};

async fn host(url: &str, settings: &ServeSettings) -> anyhow::Result<xk_runtime::HostedService> {
    let (table, _) = test_tokens();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    xiaokang::suite::host(
        xk_registry::SPEC,
        url,
        settings,
        Arc::clone(&table),
        listener,
    )
    .await
}

#[tokio::test]
async fn replicas_need_migrate_first_and_refuse_a_newer_schema() {
    let database = TestDatabase::create("migrations").await.unwrap();
    let replica = ServeSettings {
        migrate: false,
        ..Default::default()
    };
    let err = host(&database.url, &replica)
        .await
        .err()
        .expect("pending migrations refused");
    assert!(err.to_string().contains("pending"), "{err:#}");

    // `xiaokang migrate registry`, once.
    let db = Db::connect(&database.url, 1).await.unwrap();
    xiaokang::suite::migrate(xk_registry::SPEC, db.clone(), &ServeSettings::default())
        .await
        .unwrap();
    let svc = host(&database.url, &replica)
        .await
        .expect("a migrated database serves");
    svc.shutdown().await.unwrap();

    // A newer binary migrated the database further: this one refuses to start.
    db.conn()
        .execute_raw(Statement::from_string(
            db.backend(),
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)",
        ))
        .await
        .unwrap();
    db.close().await.unwrap();
    for settings in [ServeSettings::default(), replica] {
        let err = host(&database.url, &settings)
            .await
            .err()
            .expect("newer schema refused");
        assert!(err.to_string().contains("newer version"), "{err:#}");
    }
    database.drop_now().await.unwrap();
}
