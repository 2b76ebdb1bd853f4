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

/// Migration 0009: the database refuses to rewrite or delete version rows.
#[tokio::test]
async fn version_rows_are_written_once() {
    let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
    let path = dir.join("bluelamp.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let sql = async |statement: String| {
        sqlx::query(&statement)
            .execute(&pool)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    bluelamp_store::conformance::version_rows_are_written_once(&store, sql).await;
}

/// A database written before migration 0007 (every version row holding its content) is
/// upgraded in place: its history reads as before, and later changes keep every version.
#[tokio::test]
async fn a_database_from_before_0007_keeps_its_history() {
    use bluelamp_domain::{Marking, RecordId};
    use bluelamp_store_sqlite::MIGRATIONS;

    let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bluelamp.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
         checksum TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT 'then')",
    )
    .execute(&pool)
    .await
    .unwrap();
    for m in MIGRATIONS.iter().filter(|m| m.version < 7) {
        sqlx::raw_sql(m.sql).execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)")
            .bind(m.version)
            .bind(m.name)
            .bind(m.checksum())
            .execute(&pool)
            .await
            .unwrap();
    }
    // One person as the store wrote it before 0007: the current content in both tables.
    let id = RecordId(uuid::Uuid::now_v7());
    let marking = serde_json::to_string(&Marking::official()).unwrap();
    let body = r#"{"family_name":"Old","given_names":"John"}"#;
    sqlx::query(
        "INSERT INTO records (id, kind, version, classification, marking, summary, sort_key, \
         body, status, created_at, created_by, updated_at, updated_by) VALUES \
         (?, 'person', 1, 1, ?, 'OLD, John', 'old, john', ?, 'active', \
         '2026-01-01T00:00:00.000000Z', 'PC 1 Old', '2026-01-01T00:00:00.000000Z', 'PC 1 Old')",
    )
    .bind(id.to_string())
    .bind(&marking)
    .bind(body)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO record_versions (record_id, version, kind, classification, marking, \
         summary, body, status, change, changed_at, changed_by, changed_by_name, audit_id) \
         VALUES (?, 1, 'person', 1, ?, 'OLD, John', ?, 'active', 'create', \
         '2026-01-01T00:00:00.000000Z', 'pc.1', 'PC 1 Old', ?)",
    )
    .bind(id.to_string())
    .bind(&marking)
    .bind(body)
    .bind(uuid::Uuid::now_v7().to_string())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = SqliteStore::open(&path).await.unwrap();
    bluelamp_store::conformance::a_record_from_before_0007_keeps_its_history(&store, id).await;
}
