-- 007: hall-code survey responses leave the ticket index. ticket_id was UNIQUE as a
-- column constraint (002), whose index holds a NULL entry for every hall-code response,
-- so each stored response wrote a page of that index too. A partial unique index over
-- ticket responses keeps "one response per ticket" and leaves hall-code responses out.
-- A column constraint cannot be changed in place: the table is rebuilt (foreign keys are
-- off while a migration runs and checked before it commits; survey_followups keeps
-- referring to survey_responses by name). Columns, ids and checks are as in 002. (The
-- client-hash index went in 005.) On a large database this copies every response once.
CREATE TABLE survey_responses_007 (
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
INSERT INTO survey_responses_007(id, hall_id, form, submitted_at, day, hour, rating, satisfied, answers, choices,
                                 comment, verified, ticket_id, instance, client_hash, duration_s, flags,
                                 flag_reasons)
  SELECT id, hall_id, form, submitted_at, day, hour, rating, satisfied, answers, choices, comment, verified,
         ticket_id, instance, client_hash, duration_s, flags, flag_reasons
  FROM survey_responses ORDER BY id;
DROP TABLE survey_responses;
ALTER TABLE survey_responses_007 RENAME TO survey_responses;
CREATE INDEX survey_responses_hall_day ON survey_responses(hall_id, day);
CREATE UNIQUE INDEX survey_responses_ticket ON survey_responses(ticket_id) WHERE ticket_id IS NOT NULL;
