-- 0001: the POLE store, its version history, the audit trail and the outbox.
-- Never edit this file once landed: add a new numbered migration instead. The SQLite
-- adapter has a migration with the same number and the same meaning; see its comments for
-- what each column holds. SQL here stays portable to PostgreSQL-compatible distributed
-- engines (no advisory locks, no extensions).

CREATE TABLE records (
    id             UUID PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('person', 'object', 'location', 'event', 'link')),
    version        BIGINT NOT NULL CHECK (version >= 1),
    classification SMALLINT NOT NULL CHECK (classification BETWEEN 1 AND 3),
    marking        JSONB NOT NULL,
    summary        TEXT NOT NULL,
    sort_key       TEXT NOT NULL,
    subtype        TEXT,
    body           JSONB NOT NULL,
    link_from      UUID REFERENCES records (id),
    link_to        UUID REFERENCES records (id),
    link_role      TEXT,
    status         TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL,
    CHECK ((kind = 'link') = (link_from IS NOT NULL AND link_to IS NOT NULL AND link_role IS NOT NULL))
);
-- COLLATE "C" so ordering and prefix LIKE match SQLite's byte order and can use the index.
CREATE INDEX records_kind_sort ON records (kind, sort_key COLLATE "C");
CREATE INDEX records_kind_updated ON records (kind, updated_at);
CREATE INDEX records_kind_subtype_sort ON records (kind, subtype, sort_key COLLATE "C") WHERE subtype IS NOT NULL;
CREATE INDEX records_link_from ON records (link_from) WHERE link_from IS NOT NULL;
CREATE INDEX records_link_to ON records (link_to) WHERE link_to IS NOT NULL;

CREATE TABLE record_versions (
    record_id       UUID NOT NULL REFERENCES records (id),
    version         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    classification  SMALLINT NOT NULL,
    marking         JSONB NOT NULL,
    summary         TEXT NOT NULL,
    body            JSONB NOT NULL,
    status          TEXT NOT NULL,
    change          TEXT NOT NULL CHECK (change IN ('create', 'update', 'end')),
    changed_at      TIMESTAMPTZ NOT NULL,
    changed_by      TEXT NOT NULL,
    changed_by_name TEXT NOT NULL,
    audit_id        UUID NOT NULL,
    PRIMARY KEY (record_id, version)
);

CREATE TABLE audit_log (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             UUID NOT NULL UNIQUE,
    at             TIMESTAMPTZ NOT NULL,
    user_id        TEXT NOT NULL,
    user_name      TEXT NOT NULL,
    action         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    service        TEXT NOT NULL,
    correlation_id TEXT,
    source_address TEXT,
    user_agent     TEXT,
    subjects       JSONB NOT NULL,
    details        JSONB NOT NULL
);
-- Append-only. (The Security issue also removes UPDATE/DELETE/TRUNCATE from the
-- application's database role, so that not even the application's own account can do it.)
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

CREATE TABLE outbox (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    payload      JSONB NOT NULL,
    delivered_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
