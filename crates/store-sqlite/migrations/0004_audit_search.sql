-- 0004: searching the audit trail by user, record, action and time (auditors' pages).
-- Never edit once landed.
--
-- An index beside the trail, not on it: the checkpointer fills it as it gives records their
-- place in the Merkle log (one set-based insert per batch, after commit), so the write path
-- of every audited read stays as it was. Searches see a record once it is sequenced (within
-- the checkpoint interval, ten seconds by default). Derived data only: `bluelamp audit
-- verify` checks the trail itself.
CREATE TABLE audit_index (
    seq     INTEGER PRIMARY KEY,                -- audit_log.seq
    user_id TEXT NOT NULL,
    action  TEXT NOT NULL,
    at      TEXT NOT NULL                       -- RFC 3339 UTC, as in audit_log
);
CREATE INDEX audit_index_by_user ON audit_index (user_id, seq);
CREATE INDEX audit_index_by_action ON audit_index (action, seq);
CREATE INDEX audit_index_by_time ON audit_index (at);

-- Which audit records name which record.
CREATE TABLE audit_subjects (
    record_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;

-- Records already sequenced when this migration runs.
INSERT OR IGNORE INTO audit_index (seq, user_id, action, at)
    SELECT a.seq, a.user_id, a.action, a.at FROM audit_leaves l JOIN audit_log a ON a.seq = l.seq;
INSERT OR IGNORE INTO audit_subjects (record_id, seq)
    SELECT json_extract(j.value, '$.id'), a.seq
    FROM audit_leaves l JOIN audit_log a ON a.seq = l.seq, json_each(a.subjects) j;
