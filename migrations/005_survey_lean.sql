-- 005: fewer pages written per survey response. Each index a response enters is a page
-- its commit writes to the WAL (docs/PERFORMANCE.md), so:
-- * survey_responses_client (client hash, hall, time) goes: its random key cost every
--   response a page of its own. The server finds bursts from one client hash in an
--   in-memory window per (client hash, hall), filled at start from the last hour's
--   responses; survey_store outside the server counts them through
--   survey_responses_hall_day (docs/surveys.md).
-- * ticket_id was UNIQUE as a column constraint, whose index holds a NULL entry for
--   every hall-code response. A partial unique index over ticket responses keeps "one
--   response per ticket" and leaves hall-code responses out. A column constraint cannot
--   be changed in place: the table is rebuilt (foreign keys are off while a migration
--   runs and checked before it commits; survey_followups keeps referring to
--   survey_responses by name). Columns, ids and checks are as in 002.
DROP INDEX IF EXISTS survey_responses_client;

CREATE TABLE survey_responses_005 (
  id           INTEGER PRIMARY KEY,
  hall_id      INTEGER NOT NULL REFERENCES halls(id),
  form         INTEGER NOT NULL REFERENCES survey_forms(id),
  submitted_at INTEGER NOT NULL,
  day          TEXT NOT NULL,
  hour         INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
  rating       INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  satisfied    INTEGER NOT NULL CHECK (satisfied IN (0, 1)),
  answers      TEXT NOT NULL,
  choices      TEXT,          -- JSON [[question, value], ...] of the choice answers counted
  comment      TEXT,
  verified     INTEGER NOT NULL CHECK (verified IN (0, 1)),
  ticket_id    INTEGER REFERENCES survey_tickets(id),
  instance     TEXT NOT NULL UNIQUE,
  client_hash  BLOB,
  duration_s   INTEGER,
  flags        INTEGER NOT NULL DEFAULT 0,
  flag_reasons TEXT
) STRICT;
INSERT INTO survey_responses_005(id, hall_id, form, submitted_at, day, hour, rating, satisfied, answers, choices,
                                 comment, verified, ticket_id, instance, client_hash, duration_s, flags,
                                 flag_reasons)
  SELECT id, hall_id, form, submitted_at, day, hour, rating, satisfied, answers, choices, comment, verified,
         ticket_id, instance, client_hash, duration_s, flags, flag_reasons
  FROM survey_responses ORDER BY id;
DROP TABLE survey_responses;
ALTER TABLE survey_responses_005 RENAME TO survey_responses;
CREATE INDEX survey_responses_hall_day ON survey_responses(hall_id, day);
CREATE UNIQUE INDEX survey_responses_ticket ON survey_responses(ticket_id) WHERE ticket_id IS NOT NULL;
