-- 0008: the duplicate candidates that name a record, found from either side: a person's page
-- leaves out the pairs a reviewer has decided are two people, and a merge withdraws the
-- merged record's open pairs. The primary key (a, b) finds a record on the smaller side;
-- this index finds it on the other. Never edit once landed.

CREATE INDEX duplicate_candidates_by_b ON duplicate_candidates (b);
