//! The store conformance suite on SQLite, plus checks that only SQLite can make.

// Test code: a failed expectation panics, which is how a test reports it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bluelamp_store::{Store, store_conformance_tests};
use bluelamp_store_sqlite::SqliteStore;
use std::sync::Arc;

async fn fresh() -> Arc<dyn Store> {
    let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
    Arc::new(SqliteStore::open(&dir.join("bluelamp.db")).await.unwrap())
}

store_conformance_tests!(fresh());

#[tokio::test]
async fn audit_rows_cannot_be_changed_or_deleted() {
    let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
    let path = dir.join("bluelamp.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let entry = bluelamp_domain::AuditEntry::new(
        "2026-01-01T00:00:00Z".parse().unwrap(),
        bluelamp_domain::Actor::system("test"),
        bluelamp_domain::AuditAction::View,
        "test",
        Default::default(),
    );
    store.audit_only(entry).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let upd = sqlx::query("UPDATE audit_log SET user_id = 'someone else'")
        .execute(&pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
    assert!(del.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn reopening_applies_no_migration_twice_and_keeps_data() {
    let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
    let path = dir.join("bluelamp.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let entry = bluelamp_domain::AuditEntry::new(
        "2026-01-01T00:00:00Z".parse().unwrap(),
        bluelamp_domain::Actor::system("test"),
        bluelamp_domain::AuditAction::View,
        "test",
        Default::default(),
    );
    store.audit_only(entry).await.unwrap();
    drop(store);
    let again = SqliteStore::open(&path).await.unwrap();
    assert_eq!(again.audit_entries(0, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_edited_migration_is_refused_at_start() {
    let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
    let path = dir.join("bluelamp.db");
    drop(SqliteStore::open(&path).await.unwrap());
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE schema_migrations SET checksum = 'edited'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(err.to_string().contains("never be edited"), "{err}");
}
