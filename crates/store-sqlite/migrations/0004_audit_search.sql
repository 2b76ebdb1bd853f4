-- 0004: searching the audit trail by user, record, action and time (auditors' pages).
-- Never edit once landed.

CREATE INDEX audit_log_by_user ON audit_log (user_id, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- Which audit records name which record. An index only, derived from audit_log.subjects
-- (which `bluelamp audit verify` checks); filled by a trigger so no write path can forget.
CREATE TABLE audit_subjects (
    record_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO audit_subjects (record_id, seq)
    SELECT json_extract(j.value, '$.id'), a.seq FROM audit_log a, json_each(a.subjects) j;
CREATE TRIGGER audit_subjects_index AFTER INSERT ON audit_log
BEGIN
    INSERT OR IGNORE INTO audit_subjects (record_id, seq)
        SELECT json_extract(value, '$.id'), NEW.seq FROM json_each(NEW.subjects);
END;
