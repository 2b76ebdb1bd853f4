-- 0002: the user directory and sessions (Security issue). Never edit once landed.

-- Users who may sign in. The account (roles, unit, clearance, compartments, password hash,
-- lockout state) is JSON; the columns beside it are what queries need.
CREATE TABLE users (
    username   TEXT PRIMARY KEY,               -- sign-in name, lower case
    version    INTEGER NOT NULL CHECK (version >= 1),
    disabled   INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    account    TEXT NOT NULL,                  -- JSON: the UserAccount
    updated_at TEXT NOT NULL                   -- RFC 3339 UTC
);

-- Browser sessions and personal API tokens. Only the SHA-256 of the secret is kept, so a
-- copy of the database does not let anyone act as a user.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,             -- hex SHA-256 of the cookie or token secret
    kind         TEXT NOT NULL CHECK (kind IN ('browser', 'api_token')),
    username     TEXT NOT NULL REFERENCES users (username),
    last_seen_at TEXT NOT NULL,                -- for the idle timeout
    ended_at     TEXT,                         -- signed out, timed out or ended by an administrator
    session      TEXT NOT NULL                 -- JSON: the Session
);
CREATE INDEX sessions_open_by_user ON sessions (username) WHERE ended_at IS NULL;

-- Audit records name the session (or API token) a user acted through.
ALTER TABLE audit_log ADD COLUMN session_id TEXT;

-- The audit trail's Merkle log (RFC 6962): each audit record's position (leaf index) and
-- leaf hash, assigned after commit by the checkpointer, and the signed tree heads. Append
-- only, like the trail itself; `bluelamp audit verify` recomputes everything from audit_log.
CREATE TABLE audit_leaves (
    leaf_index INTEGER PRIMARY KEY,            -- 0, 1, 2 ... without gaps
    seq        INTEGER NOT NULL UNIQUE,        -- the audit_log record at this position
    leaf_hash  TEXT NOT NULL                   -- hex SHA-256(0x00 || canonical record)
);
CREATE TABLE audit_checkpoints (
    tree_size  INTEGER PRIMARY KEY,            -- leaves covered
    root       TEXT NOT NULL,                  -- hex Merkle root
    at         TEXT NOT NULL,                  -- when signed, RFC 3339 UTC
    key_id     TEXT NOT NULL,                  -- which Ed25519 key signed it
    signature  TEXT NOT NULL,                  -- base64 Ed25519 signature of the checkpoint text
    frontier   TEXT NOT NULL                   -- JSON: the tree's perfect subtrees, to resume appending
);
CREATE TRIGGER audit_leaves_append_only_update BEFORE UPDATE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only'); END;
CREATE TRIGGER audit_leaves_append_only_delete BEFORE DELETE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
