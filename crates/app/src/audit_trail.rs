//! Reading the audit trail: the auditors' search and the feed for a monitoring centre. Only
//! roles the policies allow (auditors, professional standards, operator processes) may read
//! it, and every read is itself audited with what it asked and what it returned.
//!
//! The feed is the Merkle log in order: each audit record with its leaf index and leaf hash
//! (and the exact canonical bytes that were hashed), and after the record that completes a
//! signed checkpoint, the checkpoint. A consumer that keeps the feed from leaf 0 can recompute
//! every checkpoint's root and check its signature with the deployment's public key; one that
//! stops can resume from the tree size of the last checkpoint it checked.

use crate::access::decision_details;
use crate::{Access, AppError, Caller};
use bluelamp_audit::canonical::record_bytes;
use bluelamp_audit::merkle;
use bluelamp_authz::Action;
use bluelamp_domain::{AuditAction, Clock, time};
use bluelamp_store::{AuditQuery, AuditRow, CheckpointRow, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The most records one search or one feed read returns.
pub const MAX_PAGE: u32 = 10_000;

#[derive(Clone)]
pub struct AuditTrail {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    access: Access,
}

impl AuditTrail {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, access: Access) -> Self {
        Self {
            store,
            clock,
            access,
        }
    }

    /// Audit records matching the query, newest first (the read is audited).
    pub async fn search(
        &self,
        caller: &Caller,
        mut query: AuditQuery,
    ) -> Result<Vec<AuditRow>, AppError> {
        let decision = self
            .access
            .require_system_action(
                caller,
                Action::ReadAudit,
                AuditAction::ReadAudit,
                "search the audit trail",
            )
            .await?;
        query.limit = query.limit.clamp(1, MAX_PAGE);
        let rows = self.store.audit_search(&query).await?;
        let entry = caller
            .audit(&self.clock, AuditAction::ReadAudit)
            .with_details(json!({
                "search": {
                    "user_id": query.user_id,
                    "record_id": query.record_id,
                    "action": query.action.map(|a| a.as_str()),
                    "from": query.from.map(time::to_rfc3339),
                    "to": query.to.map(time::to_rfc3339),
                    "before_seq": query.before_seq,
                    "limit": query.limit,
                },
                "returned_seqs": rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
                "decision": decision_details(&decision),
            }));
        // Nothing is shown unless the record of showing it is written.
        self.store.audit_only(entry).await?;
        Ok(rows)
    }

    /// Up to `limit` feed lines from leaf `from_leaf` on (the read is audited).
    pub async fn feed(
        &self,
        caller: &Caller,
        from_leaf: i64,
        limit: u32,
    ) -> Result<Vec<Value>, AppError> {
        let decision = self
            .access
            .require_system_action(
                caller,
                Action::ReadAudit,
                AuditAction::ReadAudit,
                "read the audit feed",
            )
            .await?;
        let lines = feed_lines(self.store.as_ref(), from_leaf, limit.clamp(1, MAX_PAGE)).await?;
        let last_leaf = lines
            .iter()
            .rev()
            .find_map(|l| l.get("leaf_index").and_then(Value::as_i64));
        let entry = caller
            .audit(&self.clock, AuditAction::ReadAudit)
            .with_details(json!({
                "feed": { "from_leaf": from_leaf, "limit": limit, "last_leaf": last_leaf },
                "decision": decision_details(&decision),
            }));
        self.store.audit_only(entry).await?;
        Ok(lines)
    }
}

/// The feed from leaf `from_leaf`: records in log order, each checkpoint after the record
/// that completes it. A leaf whose record has gone from the trail is reported as missing
/// (`bluelamp audit verify` says more).
pub async fn feed_lines(
    store: &dyn Store,
    from_leaf: i64,
    limit: u32,
) -> Result<Vec<Value>, AppError> {
    let from_leaf = from_leaf.max(0);
    let leaves = store.audit_leaves(from_leaf, limit).await?;
    let Some((last, _)) = leaves.last() else {
        return Ok(Vec::new());
    };
    let last_index = last.leaf_index;
    let checkpoints: HashMap<i64, CheckpointRow> = store
        .audit_checkpoints()
        .await?
        .into_iter()
        .filter(|c| c.tree_size > from_leaf && c.tree_size <= last_index + 1)
        .map(|c| (c.tree_size, c))
        .collect();
    let mut out = Vec::with_capacity(leaves.len() + checkpoints.len());
    for (leaf, row) in leaves {
        out.push(match row {
            Some(row) => record_line(leaf.leaf_index, &leaf.leaf_hash, &row),
            None => json!({
                "type": "missing_record",
                "leaf_index": leaf.leaf_index,
                "leaf_hash": leaf.leaf_hash,
                "seq": leaf.seq,
            }),
        });
        if let Some(cp) = checkpoints.get(&(leaf.leaf_index + 1)) {
            out.push(checkpoint_line(cp));
        }
    }
    Ok(out)
}

fn record_line(leaf_index: i64, stored_hash: &str, row: &AuditRow) -> Value {
    let bytes = record_bytes(row.seq, &row.entry);
    let canonical = String::from_utf8_lossy(&bytes).into_owned();
    let record: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    json!({
        "type": "audit_record",
        "leaf_index": leaf_index,
        // As the log holds it; a consumer checks it against the canonical bytes.
        "leaf_hash": stored_hash,
        "computed_leaf_hash": hex::encode(merkle::leaf_hash(&bytes)),
        "seq": row.seq,
        "canonical": canonical,
        "record": record,
    })
}

fn checkpoint_line(cp: &CheckpointRow) -> Value {
    json!({
        "type": "checkpoint",
        "tree_size": cp.tree_size,
        "root": cp.root,
        "at": time::to_rfc3339_micros(cp.at),
        "key_id": cp.key_id,
        "signature": cp.signature,
    })
}

/// One feed line as an RFC 5424 syslog message with RFC 6587 octet-counting framing, for a
/// monitoring centre's TCP collector: facility 13 (log audit); severity warning for refused
/// or failed actions and missing records, notice for checkpoints, informational otherwise.
/// The structured data names the leaf and seq; the message is the JSON line.
pub fn syslog_frame(line: &Value, hostname: &str) -> String {
    let kind = line.get("type").and_then(Value::as_str).unwrap_or("audit");
    let outcome = line
        .pointer("/record/outcome")
        .and_then(Value::as_str)
        .unwrap_or("");
    let severity = match kind {
        "missing_record" => 4,
        "checkpoint" => 5,
        _ if matches!(outcome, "denied" | "failed") => 4,
        _ => 6,
    };
    let pri = 13 * 8 + severity;
    let at = line
        .pointer("/record/at")
        .or_else(|| line.get("at"))
        .and_then(Value::as_str)
        .unwrap_or("-");
    let sd = match kind {
        "checkpoint" => format!(
            "[bluelamp@32473 tree_size=\"{}\"]",
            line.get("tree_size").and_then(Value::as_i64).unwrap_or(0)
        ),
        _ => format!(
            "[bluelamp@32473 leaf=\"{}\" seq=\"{}\"]",
            line.get("leaf_index").and_then(Value::as_i64).unwrap_or(0),
            line.get("seq").and_then(Value::as_i64).unwrap_or(0)
        ),
    };
    let host: String = hostname
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(255)
        .collect();
    let host = if host.is_empty() { "-".into() } else { host };
    let msg = format!(
        "<{pri}>1 {at} {host} bluelamp - {} {sd} {}",
        kind,
        serde_json::to_string(line).unwrap_or_default()
    );
    format!("{} {msg}", msg.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_frames_are_octet_counted_rfc_5424() {
        let line = json!({"type": "audit_record", "leaf_index": 7, "seq": 9,
            "record": {"at": "2026-11-30T10:00:00.000001Z", "outcome": "denied"}});
        let frame = syslog_frame(&line, "custody-1");
        let (len, msg) = frame.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), msg.len());
        assert!(
            msg.starts_with("<108>1 2026-11-30T10:00:00.000001Z custody-1 bluelamp - audit_record [bluelamp@32473 leaf=\"7\" seq=\"9\"] {"),
            "{msg}"
        );
        let cp = json!({"type": "checkpoint", "tree_size": 1000, "at": "2026-11-30T10:00:00Z"});
        assert!(syslog_frame(&cp, "").contains("<109>1 2026-11-30T10:00:00Z - bluelamp - checkpoint [bluelamp@32473 tree_size=\"1000\"]"));
    }
}
