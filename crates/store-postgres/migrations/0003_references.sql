-- 0003: counters for human reference series (Custody issue). Never edit once landed.

-- One row per series, e.g. 'custody:CENTRAL:2026'; `last` is the last number issued.
CREATE TABLE reference_counters (
    scope TEXT PRIMARY KEY,
    last  BIGINT NOT NULL CHECK (last >= 1)
);
