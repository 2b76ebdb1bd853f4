-- 0006: duplicate candidates: pairs of person records that may be one person, found by the
-- batch scan or by the check on each new or changed person, for review (Search issue).
-- Never edit once landed.

CREATE TABLE duplicate_candidates (
    a              TEXT NOT NULL,                -- the pair's smaller record id
    b              TEXT NOT NULL,                -- the other
    status         TEXT NOT NULL CHECK (status IN ('open', 'not_duplicate', 'merged')),
    weight         DOUBLE PRECISION NOT NULL,              -- the match score when last found
    found_at       TIMESTAMPTZ NOT NULL,
    candidate_json TEXT NOT NULL,                -- JSON: the DuplicateCandidate
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE INDEX duplicate_candidates_by_status ON duplicate_candidates (status, weight DESC);
