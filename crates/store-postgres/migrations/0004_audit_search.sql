-- 0004: searching the audit trail by user, record, action and time (auditors' pages).
-- Never edit once landed.

CREATE INDEX audit_log_by_user ON audit_log (user_id, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);
CREATE INDEX audit_log_by_time ON audit_log (at);
-- Records naming a record among their subjects: subjects @> '[{"id": "..."}]'.
CREATE INDEX audit_log_by_subject ON audit_log USING GIN (subjects jsonb_path_ops);
