//! The user directory and sessions on SQLite. Writes run inside the writer task's
//! transaction (group commit), like every other write.

use crate::SqliteStore;
use crate::rows::{internal, ts_text, write_error};
use bluelamp_domain::Username;
use bluelamp_store::{
    DirectoryChange, DirectoryOp, DirectoryOutcome, DuplicateCandidate, Session, StoreError,
    StoreResult, UserAccount,
};
use sqlx::{Row, Sqlite, Transaction};

fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Internal(e.to_string()))
}

pub(crate) fn account_from_json(s: &str) -> StoreResult<UserAccount> {
    serde_json::from_str(s).map_err(|e| StoreError::Internal(format!("bad user account: {e}")))
}

pub(crate) fn session_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Session> {
    let json: String = row.try_get("session").map_err(internal)?;
    serde_json::from_str(&json).map_err(|e| StoreError::Internal(format!("bad session: {e}")))
}

impl SqliteStore {
    pub(crate) async fn directory_in(
        tx: &mut Transaction<'_, Sqlite>,
        change: DirectoryChange,
    ) -> StoreResult<DirectoryOutcome> {
        let mut out = DirectoryOutcome::default();
        for op in change.ops {
            match op {
                DirectoryOp::PutUser {
                    account,
                    base_version,
                } => {
                    let mut account = *account;
                    let name = account.principal.username.as_str().to_string();
                    let current: Option<i64> =
                        sqlx::query_scalar("SELECT version FROM users WHERE username = ?")
                            .bind(&name)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err(internal)?;
                    match (base_version, current) {
                        (None, None) => account.version = 1,
                        (None, Some(_)) => {
                            return Err(StoreError::Constraint(format!(
                                "the user name {name} is already taken"
                            )));
                        }
                        (Some(base), Some(now)) if base == now => account.version = base + 1,
                        (Some(base), Some(now)) => {
                            return Err(StoreError::Constraint(format!(
                                "user {name} has changed since version {base} (now version {now})"
                            )));
                        }
                        (Some(_), None) => {
                            return Err(StoreError::Constraint(format!("no user {name}")));
                        }
                    }
                    sqlx::query(
                        "INSERT INTO users (username, version, disabled, account, updated_at) \
                         VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET \
                         version = excluded.version, disabled = excluded.disabled, \
                         account = excluded.account, updated_at = excluded.updated_at",
                    )
                    .bind(&name)
                    .bind(account.version)
                    .bind(account.disabled)
                    .bind(to_json(&account)?)
                    .bind(ts_text(account.updated_at))
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
                    if account.disabled {
                        out.sessions_ended += Self::end_user_sessions(
                            tx,
                            &account.principal.username,
                            account.updated_at,
                        )
                        .await?;
                    }
                    out.users.push(account);
                }
                DirectoryOp::CreateSession(session) => {
                    sqlx::query(
                        "INSERT INTO sessions (id_hash, kind, username, last_seen_at, ended_at, session) \
                         VALUES (?, ?, ?, ?, NULL, ?)",
                    )
                    .bind(&session.id_hash)
                    .bind(session.kind.as_str())
                    .bind(session.username.as_str())
                    .bind(ts_text(session.last_seen_at))
                    .bind(to_json(&*session)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
                }
                DirectoryOp::TouchSession { id_hash, at } => {
                    sqlx::query(
                        "UPDATE sessions SET last_seen_at = ?1, \
                         session = json_set(session, '$.last_seen_at', ?1) \
                         WHERE id_hash = ?2 AND ended_at IS NULL",
                    )
                    .bind(ts_text(at))
                    .bind(&id_hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
                }
                DirectoryOp::EndSession { id_hash, at } => {
                    let done = sqlx::query(
                        "UPDATE sessions SET ended_at = ?1, \
                         session = json_set(session, '$.ended_at', ?1) \
                         WHERE id_hash = ?2 AND ended_at IS NULL",
                    )
                    .bind(ts_text(at))
                    .bind(&id_hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
                    out.sessions_ended += done.rows_affected();
                }
                DirectoryOp::EndUserSessions { username, at } => {
                    out.sessions_ended += Self::end_user_sessions(tx, &username, at).await?;
                }
                DirectoryOp::PutGrant {
                    grant,
                    base_version,
                } => {
                    let mut grant = *grant;
                    let current: Option<i64> =
                        sqlx::query_scalar("SELECT version FROM access_grants WHERE id = ?")
                            .bind(&grant.id)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err(internal)?;
                    grant.version = match (base_version, current) {
                        (None, None) => 1,
                        (Some(base), Some(now)) if base == now => base + 1,
                        _ => {
                            return Err(StoreError::Constraint(format!(
                                "the request {} has changed since it was read",
                                grant.id
                            )));
                        }
                    };
                    sqlx::query(
                        "INSERT INTO access_grants (id, username, record_id, status, version, \
                         requested_at, grant_json) VALUES (?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                         version = excluded.version, grant_json = excluded.grant_json",
                    )
                    .bind(&grant.id)
                    .bind(grant.username.as_str())
                    .bind(grant.record_id.to_string())
                    .bind(grant.status.as_str())
                    .bind(grant.version)
                    .bind(ts_text(grant.requested_at))
                    .bind(to_json(&grant)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
                    out.grants.push(grant);
                }
                DirectoryOp::PutCandidates(candidates) => {
                    for c in candidates {
                        sqlx::query(
                            "INSERT INTO duplicate_candidates (a, b, status, weight, found_at, \
                             candidate_json) VALUES (?, ?, ?, ?, ?, ?) \
                             ON CONFLICT (a, b) DO UPDATE SET weight = excluded.weight, \
                             found_at = excluded.found_at, candidate_json = excluded.candidate_json \
                             WHERE duplicate_candidates.status = 'open'",
                        )
                        .bind(c.a.to_string())
                        .bind(c.b.to_string())
                        .bind(c.status.as_str())
                        .bind(c.weight)
                        .bind(ts_text(c.found_at))
                        .bind(to_json(&c)?)
                        .execute(&mut **tx)
                        .await
                        .map_err(write_error)?;
                    }
                }
                DirectoryOp::DecideCandidate {
                    a,
                    b,
                    status,
                    by,
                    at,
                } => {
                    let json: Option<String> = sqlx::query_scalar(
                        "SELECT candidate_json FROM duplicate_candidates WHERE a = ? AND b = ?",
                    )
                    .bind(a.to_string())
                    .bind(b.to_string())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(internal)?;
                    let mut c: DuplicateCandidate = match json {
                        Some(j) => serde_json::from_str(&j).map_err(|e| {
                            StoreError::Internal(format!("bad duplicate candidate: {e}"))
                        })?,
                        None => DuplicateCandidate::new(a, b, 0.0, String::new(), "review", at),
                    };
                    c.status = status;
                    c.decided_by = Some(by);
                    c.decided_at = Some(at);
                    sqlx::query(
                        "INSERT INTO duplicate_candidates (a, b, status, weight, found_at, \
                         candidate_json) VALUES (?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (a, b) DO UPDATE SET status = excluded.status, \
                         candidate_json = excluded.candidate_json",
                    )
                    .bind(c.a.to_string())
                    .bind(c.b.to_string())
                    .bind(c.status.as_str())
                    .bind(c.weight)
                    .bind(ts_text(c.found_at))
                    .bind(to_json(&c)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
                }
                DirectoryOp::WithdrawOpenCandidatesOf(id) => {
                    sqlx::query(
                        "DELETE FROM duplicate_candidates WHERE status = 'open' AND (a = ? OR b = ?)",
                    )
                    .bind(id.to_string())
                    .bind(id.to_string())
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
                }
            }
        }
        if let Some(audit) = change.audit {
            Self::insert_audit(tx, audit).await?;
        }
        Ok(out)
    }

    async fn end_user_sessions(
        tx: &mut Transaction<'_, Sqlite>,
        username: &Username,
        at: jiff::Timestamp,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = ?1, session = json_set(session, '$.ended_at', ?1) \
             WHERE username = ?2 AND ended_at IS NULL",
        )
        .bind(ts_text(at))
        .bind(username.as_str())
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
        Ok(done.rows_affected())
    }
}

impl SqliteStore {
    /// Appends Merkle leaves and their checkpoint inside the writer's transaction.
    pub(crate) async fn audit_append_in(
        tx: &mut Transaction<'_, Sqlite>,
        leaves: Vec<bluelamp_store::LeafRow>,
        cp: bluelamp_store::CheckpointRow,
    ) -> StoreResult<()> {
        for chunk in leaves.chunks(300) {
            let mut q = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO audit_leaves (leaf_index, seq, leaf_hash) ",
            );
            q.push_values(chunk, |mut b, l| {
                b.push_bind(l.leaf_index)
                    .push_bind(l.seq)
                    .push_bind(l.leaf_hash.clone());
            });
            q.build().execute(&mut **tx).await.map_err(write_error)?;
        }
        // The auditors' search index, for the records just given their place.
        if let (Some(first), Some(last)) = (leaves.first(), leaves.last()) {
            for sql in [
                "INSERT OR IGNORE INTO audit_index (seq, user_id, action, at) \
                 SELECT a.seq, a.user_id, a.action, a.at FROM audit_leaves l \
                 JOIN audit_log a ON a.seq = l.seq WHERE l.leaf_index BETWEEN ? AND ?",
                "INSERT OR IGNORE INTO audit_subjects (record_id, seq) \
                 SELECT json_extract(j.value, '$.id'), a.seq FROM audit_leaves l \
                 JOIN audit_log a ON a.seq = l.seq, json_each(a.subjects) j \
                 WHERE l.leaf_index BETWEEN ? AND ?",
            ] {
                sqlx::query(sql)
                    .bind(first.leaf_index)
                    .bind(last.leaf_index)
                    .execute(&mut **tx)
                    .await
                    .map_err(write_error)?;
            }
        }
        sqlx::query(
            "INSERT INTO audit_checkpoints (tree_size, root, at, key_id, signature, frontier) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(cp.tree_size)
        .bind(&cp.root)
        .bind(ts_text(cp.at))
        .bind(&cp.key_id)
        .bind(&cp.signature)
        .bind(cp.frontier.to_string())
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
        Ok(())
    }
}

pub(crate) fn checkpoint_from_row(
    row: &sqlx::sqlite::SqliteRow,
) -> StoreResult<bluelamp_store::CheckpointRow> {
    let at: String = row.try_get("at").map_err(internal)?;
    let frontier: String = row.try_get("frontier").map_err(internal)?;
    Ok(bluelamp_store::CheckpointRow {
        tree_size: row.try_get("tree_size").map_err(internal)?,
        root: row.try_get("root").map_err(internal)?,
        at: at
            .parse()
            .map_err(|e| StoreError::Internal(format!("bad checkpoint time: {e}")))?,
        key_id: row.try_get("key_id").map_err(internal)?,
        signature: row.try_get("signature").map_err(internal)?,
        frontier: serde_json::from_str(&frontier)
            .map_err(|e| StoreError::Internal(format!("bad checkpoint frontier: {e}")))?,
    })
}
