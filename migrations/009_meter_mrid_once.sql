-- 009: a meter's mRID is stored once. The key of a meter with an mRID is 'm:' || mRID,
-- and meters.mrid repeated it: a third of the table's bytes (and of what an import
-- writes, twice: into the WAL and back into the database file). From now on mrid holds
-- only what the key does not: NULL when key = 'm:' || mRID (the mRID is substr(key, 3)),
-- as before for any other key. Semantics: docs/coverage.md.
UPDATE meters SET mrid = NULL WHERE mrid = substr(key, 3);
