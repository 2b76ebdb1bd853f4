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
async fn version_rows_are_written_once() {
    let store = PgStore::connect(&fresh_database().await).await.unwrap();
    let sql = async |statement: String| {
        sqlx::query(&statement)
            .execute(store.pool())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    bluelamp_store::conformance::version_rows_are_written_once(&store, sql).await;
    let err = sqlx::query("TRUNCATE record_versions")
        .execute(store.pool())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never deleted"), "{err}");
}

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

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --ignored (.ci/run does)"]
async fn the_application_role_can_only_append_to_the_audit_trail() {
    // The owner migrates, then applies docs/deploy/postgres-roles.sql as written (with a
    // role name of this test's own, as roles are shared by every database on the server).
    let url = fresh_database().await;
    let owner = PgStore::connect(&url).await.unwrap();
    let role = format!(
        "bluelamp_app_{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    let script =
        include_str!("../../../docs/deploy/postgres-roles.sql").replace("bluelamp_app", &role);
    for statement in script
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        sqlx::query(statement).execute(owner.pool()).await.unwrap();
    }
    let app_url = url.replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    assert_ne!(app_url, url, "the test URL names the postgres user");
    let app = PgStore::connect(&app_url).await.unwrap();
    let entry = bluelamp_domain::AuditEntry::new(
        "2026-01-01T00:00:00Z".parse().unwrap(),
        bluelamp_domain::Actor::system("test"),
        bluelamp_domain::AuditAction::View,
        "test",
        Default::default(),
    );
    app.audit_only(entry).await.unwrap();
    assert_eq!(
        app.next_reference("role-test").await.unwrap(),
        1,
        "ordinary writes work"
    );
    for sql in [
        "UPDATE audit_log SET user_id = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DELETE FROM audit_checkpoints",
        "DROP TRIGGER audit_log_no_update_delete ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'x', 'y')",
    ] {
        let err = sqlx::query(sql).execute(app.pool()).await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("permission denied") || msg.contains("must be owner"),
            "{sql}: {msg}"
        );
    }
    app.pool().close().await;
    sqlx::query(&format!("REASSIGN OWNED BY {role} TO postgres"))
        .execute(owner.pool())
        .await
        .unwrap();
    sqlx::query(&format!("DROP OWNED BY {role}"))
        .execute(owner.pool())
        .await
        .unwrap();
    sqlx::query(&format!("DROP ROLE {role}"))
        .execute(owner.pool())
        .await
        .unwrap();
    owner.pool().close().await;
}

/// A database written before migration 0007 (every version row holding its content) is
/// upgraded in place: its history reads as before, and later changes keep every version.
/// The SQLite suite holds the same.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with --ignored (.ci/run does)"]
async fn a_database_from_before_0007_keeps_its_history() {
    use bluelamp_domain::{Marking, RecordId};
    use bluelamp_store_postgres::MIGRATIONS;

    let url = fresh_database().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
         checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    for m in MIGRATIONS.iter().filter(|m| m.version < 7) {
        sqlx::raw_sql(m.sql).execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(m.checksum())
            .execute(&pool)
            .await
            .unwrap();
    }
    // One person as the store wrote it before 0007: the current content in both tables.
    let id = RecordId(uuid::Uuid::now_v7());
    let marking = serde_json::to_value(Marking::official()).unwrap();
    let body = serde_json::json!({"family_name": "Old", "given_names": "John"});
    sqlx::query(
        "INSERT INTO records (id, kind, version, classification, marking, summary, sort_key, \
         body, status, created_at, created_by, updated_at, updated_by) VALUES \
         ($1, 'person', 1, 1, $2, 'OLD, John', 'old, john', $3, 'active', \
         '2026-01-01T00:00:00Z', 'PC 1 Old', '2026-01-01T00:00:00Z', 'PC 1 Old')",
    )
    .bind(id.0)
    .bind(&marking)
    .bind(&body)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO record_versions (record_id, version, kind, classification, marking, \
         summary, body, status, change, changed_at, changed_by, changed_by_name, audit_id) \
         VALUES ($1, 1, 'person', 1, $2, 'OLD, John', $3, 'active', 'create', \
         '2026-01-01T00:00:00Z', 'pc.1', 'PC 1 Old', $4)",
    )
    .bind(id.0)
    .bind(&marking)
    .bind(&body)
    .bind(uuid::Uuid::now_v7())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = PgStore::connect(&url).await.unwrap();
    bluelamp_store::conformance::a_record_from_before_0007_keeps_its_history(&store, id).await;
    // The old row keeps its content; the new current version leaves it to `records`.
    let kept: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT version, body IS NOT NULL FROM record_versions WHERE record_id = $1 ORDER BY version",
    )
    .bind(id.0)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(kept, vec![(1, true), (2, false)]);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --ignored (.ci/run does)"]
async fn a_record_whose_classification_column_was_changed_is_left_out() {
    let store = PgStore::connect(&fresh_database().await).await.unwrap();
    let id = bluelamp_domain::RecordId(uuid::Uuid::now_v7());
    let untouched = bluelamp_domain::RecordId(uuid::Uuid::now_v7());
    let new = |id| {
        bluelamp_store::WriteOp::Insert(bluelamp_store::NewRecord {
            id,
            kind: bluelamp_domain::RecordKind::Person,
            marking: bluelamp_domain::Marking::official(),
            summary: "HAND, Ed".into(),
            subtype: None,
            body: serde_json::json!({"family_name": "Hand"}),
            link: None,
        })
    };
    store
        .apply(bluelamp_store::Change {
            ops: vec![new(id), new(untouched)],
            audit: bluelamp_domain::AuditEntry::new(
                "2026-01-01T00:00:00Z".parse().unwrap(),
                bluelamp_domain::Actor::system("test"),
                bluelamp_domain::AuditAction::Create,
                "test",
                Default::default(),
            ),
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(store.load(&[id, untouched]).await.unwrap().len(), 2);
    sqlx::query("UPDATE records SET classification = 3 WHERE id = $1")
        .bind(id.0)
        .execute(store.pool())
        .await
        .unwrap();
    assert!(store.load(&[id]).await.unwrap().is_empty(), "left out");
    // Scans (a reindex, a duplicate scan) go on without it.
    let kind = bluelamp_domain::RecordKind::Person;
    let scanned = store.scan(kind, None, 10).await.unwrap();
    assert_eq!(
        scanned.iter().map(|r| r.id).collect::<Vec<_>>(),
        [untouched]
    );
    let scanned = store.scan_json(kind, None, 10).await.unwrap();
    assert_eq!(
        scanned.iter().map(|r| r.id).collect::<Vec<_>>(),
        [untouched]
    );
    // And the index following the store loads without it.
    let loaded = store.load_json(&[id, untouched]).await.unwrap();
    assert_eq!(loaded.iter().map(|r| r.id).collect::<Vec<_>>(), [untouched]);
}
