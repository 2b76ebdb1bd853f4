-- 0002: the user directory and sessions (Security issue). Never edit once landed.
-- Same meaning as the SQLite adapter's 0002.

CREATE TABLE users (
    username   TEXT PRIMARY KEY,
    version    INTEGER NOT NULL CHECK (version >= 1),
    disabled   BOOLEAN NOT NULL,
    account    JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Only the SHA-256 of a session's or token's secret is kept.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('browser', 'api_token')),
    username     TEXT NOT NULL REFERENCES users (username),
    last_seen_at TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    session      JSONB NOT NULL
);
CREATE INDEX sessions_open_by_user ON sessions (username) WHERE ended_at IS NULL;

-- Audit records name the session (or API token) a user acted through.
ALTER TABLE audit_log ADD COLUMN session_id TEXT;

-- The transaction that wrote each audit record, so the checkpointer sequences only records
-- whose transactions (and every earlier one) have finished: a log position, once given, is
-- never preceded by a record committed later.
ALTER TABLE audit_log ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The audit trail's Merkle log (RFC 6962); see the SQLite adapter's 0002 for the meaning.
CREATE TABLE audit_leaves (
    leaf_index BIGINT PRIMARY KEY,
    seq        BIGINT NOT NULL UNIQUE,
    leaf_hash  TEXT NOT NULL
);
CREATE TABLE audit_checkpoints (
    tree_size  BIGINT PRIMARY KEY,
    root       TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    key_id     TEXT NOT NULL,
    signature  TEXT NOT NULL,
    frontier   JSONB NOT NULL
);
CREATE TRIGGER audit_leaves_no_update_delete BEFORE UPDATE OR DELETE ON audit_leaves
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
