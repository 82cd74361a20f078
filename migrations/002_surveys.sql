-- 002: customer-evaluation surveys: the form versions served, single-use tickets,
-- responses (no personal data: no IP, only a daily-keyed client hash), follow-ups of
-- bad ratings, and the daily aggregates statistics read instead of raw rows.
-- Days are local dates in Asia/Shanghai ('YYYY-MM-DD'); times are unix seconds.

-- Settings an administrator may change; absent rows mean the built-in default.
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Every form version ever served. A version's content never changes once stored:
-- a changed form must carry a new version, so old answers keep their meaning.
CREATE TABLE survey_forms (
  id        INTEGER PRIMARY KEY,
  form_id   TEXT NOT NULL,
  version   TEXT NOT NULL,
  sha256    TEXT NOT NULL,
  source    TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  UNIQUE (form_id, version)
) STRICT;

-- Single-use survey links for one served customer. Only the SHA-256 of the
-- ticket is stored.
CREATE TABLE survey_tickets (
  id         INTEGER PRIMARY KEY,
  hall_id    INTEGER NOT NULL REFERENCES halls(id),
  token_hash BLOB NOT NULL UNIQUE,
  issued_at  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  issued_by  TEXT NOT NULL,
  used_at    INTEGER
) STRICT;
CREATE INDEX survey_tickets_hall ON survey_tickets(hall_id, issued_at);

-- flags is a bit set (see survey.h); flag_reasons says why, for the audit list.
CREATE TABLE survey_responses (
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
  ticket_id    INTEGER UNIQUE REFERENCES survey_tickets(id),
  instance     TEXT NOT NULL UNIQUE,
  client_hash  BLOB,
  duration_s   INTEGER,
  flags        INTEGER NOT NULL DEFAULT 0,
  flag_reasons TEXT
) STRICT;
CREATE INDEX survey_responses_hall_day ON survey_responses(hall_id, day);
CREATE INDEX survey_responses_client ON survey_responses(client_hash, hall_id, submitted_at);

-- Aggregates, folded from new response rows in set-based batches (settings row
-- survey.folded_upto holds the last folded response id; statistics fold what is
-- pending before they read, so they never miss a stored response). A row's scope is a hall
-- (scope = halls.id > 0) or a unit (scope = -units.id < 0): each response counts once
-- for its hall and once for every unit above the hall's station, so a company's
-- statistics read one short run of rows however many halls it has. Unit rows follow
-- the org tree as it was when the response was folded; after an org file changes the
-- tree, survey_aggregates_rebuild() derives them again from the hall rows (settings
-- row survey.aggregates_org records the org load they match).
CREATE TABLE survey_daily (
  scope     INTEGER NOT NULL,
  day       TEXT NOT NULL,
  verified  INTEGER NOT NULL,
  flagged   INTEGER NOT NULL,
  n1        INTEGER NOT NULL DEFAULT 0,
  n2        INTEGER NOT NULL DEFAULT 0,
  n3        INTEGER NOT NULL DEFAULT 0,
  n4        INTEGER NOT NULL DEFAULT 0,
  n5        INTEGER NOT NULL DEFAULT 0,
  satisfied INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, day, verified, flagged)
) STRICT, WITHOUT ROWID;

-- Hour-of-day counts of unflagged responses (weekday follows from day).
CREATE TABLE survey_hourly (
  scope     INTEGER NOT NULL,
  day       TEXT NOT NULL,
  hour      INTEGER NOT NULL,
  n         INTEGER NOT NULL DEFAULT 0,
  satisfied INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, day, hour)
) STRICT, WITHOUT ROWID;

-- Answer counts of the choice questions (other than the rating) of unflagged responses.
CREATE TABLE survey_answer_daily (
  scope    INTEGER NOT NULL,
  day      TEXT NOT NULL,
  question TEXT NOT NULL,
  value    TEXT NOT NULL,
  n        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, day, question, value)
) STRICT, WITHOUT ROWID;

-- Closed loop: a bad rating opens a follow-up for the hall's station.
CREATE TABLE survey_followups (
  id          INTEGER PRIMARY KEY,
  response_id INTEGER NOT NULL UNIQUE REFERENCES survey_responses(id),
  hall_id     INTEGER NOT NULL REFERENCES halls(id),
  opened_at   INTEGER NOT NULL,
  due_at      INTEGER NOT NULL,
  closed_at   INTEGER,
  closed_by   TEXT,
  note        TEXT
) STRICT;
CREATE INDEX survey_followups_open ON survey_followups(closed_at, due_at);
CREATE INDEX survey_followups_hall ON survey_followups(hall_id);
