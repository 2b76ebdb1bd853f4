//! The store conformance suite on PostgreSQL. These tests need a running server, so they are
//! ignored by a plain `cargo test`; `.ci/run` runs them with `--ignored` and they fail loudly
//! when PostgreSQL cannot be reached. Point them elsewhere with BLUELAMP_TEST_POSTGRES_URL
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). Each test gets its own database.

// Test code: a failed expectation panics, which is how a test reports it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bluelamp_store::{Store, store_conformance_tests};
use bluelamp_store_postgres::PgStore;
use std::sync::Arc;

fn admin_url() -> String {
    std::env::var("BLUELAMP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates an empty database for one test and returns its URL.
async fn fresh_database() -> String {
    let admin = admin_url();
    let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required for this suite and could not be reached at {admin}: {e}")
    });
    let name = format!("bluelamp_test_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("BLUELAMP_TEST_POSTGRES_URL must end in /database"),
    }
}

async fn fresh() -> Arc<dyn Store> {
    Arc::new(PgStore::connect(&fresh_database().await).await.unwrap())
}

store_conformance_tests!(fresh(), #[ignore = "needs PostgreSQL: run with --ignored (.ci/run does)"]);

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --ignored (.ci/run does)"]
async fn audit_rows_cannot_be_changed_deleted_or_truncated() {
    let url = fresh_database().await;
    let store = PgStore::connect(&url).await.unwrap();
    let entry = bluelamp_domain::AuditEntry::new(
        "2026-01-01T00:00:00Z".parse().unwrap(),
        bluelamp_domain::Actor::system("test"),
        bluelamp_domain::AuditAction::View,
        "test",
        Default::default(),
    );
    store.audit_only(entry).await.unwrap();
    for sql in [
        "UPDATE audit_log SET user_id = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(sql).execute(store.pool()).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(store.audit_entries(0, 10).await.unwrap().len(), 1);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --ignored (.ci/run does)"]
async fn an_edited_migration_is_refused_at_start() {
    let url = fresh_database().await;
    let store = PgStore::connect(&url).await.unwrap();
    sqlx::query("UPDATE schema_migrations SET checksum = 'edited'")
        .execute(store.pool())
        .await
        .unwrap();
    let err = PgStore::connect(&url).await.unwrap_err();
    assert!(err.to_string().contains("never be edited"), "{err}");
}
