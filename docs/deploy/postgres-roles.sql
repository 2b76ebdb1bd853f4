-- Least privilege on PostgreSQL. Run as the database owner (the role that runs
-- `bluelamp migrate`), once, and again after each upgrade's migration. Bluelamp then serves
-- as `bluelamp_app`: it reads and writes records, the directory and the outbox, but can only
-- ADD to the audit trail. It cannot change, delete or truncate audit records, and it cannot
-- drop or disable the triggers that guard them: only the owner can. (The Merkle log and its
-- signed checkpoints still catch anyone who does, owner included: `bluelamp audit verify`.)
--
-- Give bluelamp_app a password or certificate in your usual way, and point
-- `--database-url` at it for `bluelamp serve`; keep the owner for `bluelamp migrate`.
-- This file is run as written by the PostgreSQL test suite.

CREATE ROLE bluelamp_app LOGIN;
GRANT USAGE ON SCHEMA public TO bluelamp_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO bluelamp_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO bluelamp_app;
-- The audit trail, its Merkle leaves and signed checkpoints: append only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_leaves, audit_checkpoints FROM bluelamp_app;
-- The record of applied migrations is the owner's.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM bluelamp_app;
