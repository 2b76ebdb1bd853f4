//! The user directory and sessions on PostgreSQL. A directory change is one transaction,
//! retried on serialization failures like every other write.

use crate::PgStore;
use crate::rows::{Attempt, internal, to_odt, write_error};
use bluelamp_domain::Username;
use bluelamp_store::{
    DirectoryChange, DirectoryOp, DirectoryOutcome, DuplicateCandidate, Session, StoreError,
    StoreResult, UserAccount,
};
use sqlx::{Postgres, Row, Transaction};

fn candidate_text(c: &DuplicateCandidate) -> Result<String, Attempt> {
    serde_json::to_string(c).map_err(|e| Attempt::Fail(StoreError::Internal(e.to_string())))
}

fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| StoreError::Internal(e.to_string()))
}

pub(crate) fn account_from_json(v: serde_json::Value) -> StoreResult<UserAccount> {
    serde_json::from_value(v).map_err(|e| StoreError::Internal(format!("bad user account: {e}")))
}

pub(crate) fn session_from_row(row: &sqlx::postgres::PgRow) -> StoreResult<Session> {
    let json: serde_json::Value = row.try_get("session").map_err(internal)?;
    serde_json::from_value(json).map_err(|e| StoreError::Internal(format!("bad session: {e}")))
}

fn ts_json(t: jiff::Timestamp) -> serde_json::Value {
    serde_json::to_value(t).unwrap_or(serde_json::Value::Null)
}

impl PgStore {
    pub(crate) async fn directory_once(
        &self,
        change: &DirectoryChange,
    ) -> Result<DirectoryOutcome, Attempt> {
        let mut tx = self.pool.begin().await.map_err(Attempt::from_sqlx)?;
        let mut out = DirectoryOutcome::default();
        for op in &change.ops {
            match op {
                DirectoryOp::PutUser {
                    account,
                    base_version,
                } => {
                    let mut account = (**account).clone();
                    let name = account.principal.username.as_str().to_string();
                    let current: Option<i32> = sqlx::query_scalar(
                        "SELECT version FROM users WHERE username = $1 FOR UPDATE",
                    )
                    .bind(&name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Attempt::from_sqlx)?;
                    match (*base_version, current) {
                        (None, None) => account.version = 1,
                        (None, Some(_)) => {
                            return Err(Attempt::Fail(StoreError::Constraint(format!(
                                "the user name {name} is already taken"
                            ))));
                        }
                        (Some(base), Some(now)) if base == i64::from(now) => {
                            account.version = base + 1
                        }
                        (Some(base), Some(now)) => {
                            return Err(Attempt::Fail(StoreError::Constraint(format!(
                                "user {name} has changed since version {base} (now version {now})"
                            ))));
                        }
                        (Some(_), None) => {
                            return Err(Attempt::Fail(StoreError::Constraint(format!(
                                "no user {name}"
                            ))));
                        }
                    }
                    sqlx::query(
                        "INSERT INTO users (username, version, disabled, account, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO UPDATE SET \
                         version = excluded.version, disabled = excluded.disabled, \
                         account = excluded.account, updated_at = excluded.updated_at",
                    )
                    .bind(&name)
                    .bind(i32::try_from(account.version).unwrap_or(i32::MAX))
                    .bind(account.disabled)
                    .bind(to_json(&account)?)
                    .bind(to_odt(account.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error)?;
                    if account.disabled {
                        out.sessions_ended += Self::end_user_sessions(
                            &mut tx,
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
                         VALUES ($1, $2, $3, $4, NULL, $5)",
                    )
                    .bind(&session.id_hash)
                    .bind(session.kind.as_str())
                    .bind(session.username.as_str())
                    .bind(to_odt(session.last_seen_at))
                    .bind(to_json(&**session)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error)?;
                }
                DirectoryOp::TouchSession { id_hash, at } => {
                    sqlx::query(
                        "UPDATE sessions SET last_seen_at = $1, \
                         session = jsonb_set(session, '{last_seen_at}', $2) \
                         WHERE id_hash = $3 AND ended_at IS NULL",
                    )
                    .bind(to_odt(*at))
                    .bind(ts_json(*at))
                    .bind(id_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error)?;
                }
                DirectoryOp::EndSession { id_hash, at } => {
                    let done = sqlx::query(
                        "UPDATE sessions SET ended_at = $1, \
                         session = jsonb_set(session, '{ended_at}', $2) \
                         WHERE id_hash = $3 AND ended_at IS NULL",
                    )
                    .bind(to_odt(*at))
                    .bind(ts_json(*at))
                    .bind(id_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error)?;
                    out.sessions_ended += done.rows_affected();
                }
                DirectoryOp::EndUserSessions { username, at } => {
                    out.sessions_ended += Self::end_user_sessions(&mut tx, username, *at).await?;
                }
                DirectoryOp::PutGrant {
                    grant,
                    base_version,
                } => {
                    let mut grant = (**grant).clone();
                    let current: Option<i32> = sqlx::query_scalar(
                        "SELECT version FROM access_grants WHERE id = $1 FOR UPDATE",
                    )
                    .bind(&grant.id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Attempt::from_sqlx)?;
                    grant.version = match (*base_version, current) {
                        (None, None) => 1,
                        (Some(base), Some(now)) if base == i64::from(now) => base + 1,
                        _ => {
                            return Err(Attempt::Fail(StoreError::Constraint(format!(
                                "the request {} has changed since it was read",
                                grant.id
                            ))));
                        }
                    };
                    sqlx::query(
                        "INSERT INTO access_grants (id, username, record_id, status, version, \
                         requested_at, grant_json) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                         version = excluded.version, grant_json = excluded.grant_json",
                    )
                    .bind(&grant.id)
                    .bind(grant.username.as_str())
                    .bind(grant.record_id.to_string())
                    .bind(grant.status.as_str())
                    .bind(i32::try_from(grant.version).unwrap_or(i32::MAX))
                    .bind(to_odt(grant.requested_at))
                    .bind(
                        serde_json::to_string(&grant)
                            .map_err(|e| Attempt::Fail(StoreError::Internal(e.to_string())))?,
                    )
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error)?;
                    out.grants.push(grant);
                }
                DirectoryOp::PutCandidates(candidates) => {
                    for c in candidates {
                        sqlx::query(
                            "INSERT INTO duplicate_candidates (a, b, status, weight, found_at, \
                             candidate_json) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (a, b) DO UPDATE SET weight = excluded.weight, \
                             found_at = excluded.found_at, candidate_json = excluded.candidate_json \
                             WHERE duplicate_candidates.status = 'open'",
                        )
                        .bind(c.a.to_string())
                        .bind(c.b.to_string())
                        .bind(c.status.as_str())
                        .bind(c.weight)
                        .bind(to_odt(c.found_at))
                        .bind(candidate_text(c)?)
                        .execute(&mut *tx)
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
                        "SELECT candidate_json FROM duplicate_candidates \
                         WHERE a = $1 AND b = $2 FOR UPDATE",
                    )
                    .bind(a.to_string())
                    .bind(b.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Attempt::from_sqlx)?;
                    let mut c: DuplicateCandidate = match json {
                        Some(j) => serde_json::from_str(&j).map_err(|e| {
                            Attempt::Fail(StoreError::Internal(format!(
                                "bad duplicate candidate: {e}"
                            )))
                        })?,
                        None => DuplicateCandidate::new(*a, *b, 0.0, String::new(), "review", *at),
                    };
                    c.status = *status;
                    c.decided_by = Some(by.clone());
                    c.decided_at = Some(*at);
                    sqlx::query(
                        "INSERT INTO duplicate_candidates (a, b, status, weight, found_at, \
                         candidate_json) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (a, b) DO UPDATE SET status = excluded.status, \
                         candidate_json = excluded.candidate_json",
                    )
                    .bind(c.a.to_string())
                    .bind(c.b.to_string())
                    .bind(c.status.as_str())
                    .bind(c.weight)
                    .bind(to_odt(c.found_at))
                    .bind(candidate_text(&c)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error)?;
                }
                DirectoryOp::WithdrawOpenCandidatesOf(id) => {
                    sqlx::query(
                        "DELETE FROM duplicate_candidates WHERE status = 'open' AND (a = $1 OR b = $1)",
                    )
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(write_error)?;
                }
            }
        }
        if let Some(audit) = &change.audit {
            Self::insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(Attempt::from_sqlx)?;
        Ok(out)
    }

    async fn end_user_sessions(
        tx: &mut Transaction<'static, Postgres>,
        username: &Username,
        at: jiff::Timestamp,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = $1, session = jsonb_set(session, '{ended_at}', $2) \
             WHERE username = $3 AND ended_at IS NULL",
        )
        .bind(to_odt(at))
        .bind(ts_json(at))
        .bind(username.as_str())
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
        Ok(done.rows_affected())
    }
}

pub(crate) fn checkpoint_from_row(
    row: &sqlx::postgres::PgRow,
) -> StoreResult<bluelamp_store::CheckpointRow> {
    let at: time::OffsetDateTime = row.try_get("at").map_err(internal)?;
    Ok(bluelamp_store::CheckpointRow {
        tree_size: row.try_get("tree_size").map_err(internal)?,
        root: row.try_get("root").map_err(internal)?,
        at: jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos())
            .map_err(|e| StoreError::Internal(format!("bad checkpoint time: {e}")))?,
        key_id: row.try_get("key_id").map_err(internal)?,
        signature: row.try_get("signature").map_err(internal)?,
        frontier: row.try_get("frontier").map_err(internal)?,
    })
}

impl PgStore {
    pub(crate) async fn audit_append_once(
        &self,
        leaves: &[bluelamp_store::LeafRow],
        cp: &bluelamp_store::CheckpointRow,
    ) -> Result<(), Attempt> {
        let mut tx = self.pool.begin().await.map_err(Attempt::from_sqlx)?;
        for chunk in leaves.chunks(1000) {
            let mut q = sqlx::QueryBuilder::<Postgres>::new(
                "INSERT INTO audit_leaves (leaf_index, seq, leaf_hash) ",
            );
            q.push_values(chunk, |mut b, l| {
                b.push_bind(l.leaf_index)
                    .push_bind(l.seq)
                    .push_bind(l.leaf_hash.clone());
            });
            q.build().execute(&mut *tx).await.map_err(write_error)?;
        }
        sqlx::query(
            "INSERT INTO audit_checkpoints (tree_size, root, at, key_id, signature, frontier) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(cp.tree_size)
        .bind(&cp.root)
        .bind(to_odt(cp.at))
        .bind(&cp.key_id)
        .bind(&cp.signature)
        .bind(&cp.frontier)
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
        tx.commit().await.map_err(Attempt::from_sqlx)?;
        Ok(())
    }
}
