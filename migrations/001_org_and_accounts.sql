-- 001: the org model (units, halls, people, leader links) and accounts
-- (logins, sessions, API tokens), plus server secrets and the audit log.
-- Times are unix seconds (UTC). Codes are the stable public identifiers.

CREATE TABLE units (
  id        INTEGER PRIMARY KEY,
  code      TEXT NOT NULL UNIQUE,
  name      TEXT NOT NULL,
  name_en   TEXT,
  kind      TEXT NOT NULL CHECK (kind IN ('company', 'department', 'station', 'team')),
  parent_id INTEGER REFERENCES units(id),
  sort      INTEGER NOT NULL DEFAULT 0,
  CHECK ((kind = 'company') = (parent_id IS NULL))
) STRICT;
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE halls (
  id          INTEGER PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  name_en     TEXT,
  station_id  INTEGER NOT NULL REFERENCES units(id),
  address     TEXT,
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  key_version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX halls_station ON halls(station_id);

-- Opening hours: one row per opening interval; weekday 1 = Monday .. 7 = Sunday,
-- times as 'HH:MM' local time (Asia/Shanghai).
CREATE TABLE hall_hours (
  hall_id INTEGER NOT NULL REFERENCES halls(id) ON DELETE CASCADE,
  weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  opens   TEXT NOT NULL,
  closes  TEXT NOT NULL,
  PRIMARY KEY (hall_id, weekday, opens),
  CHECK (opens < closes)
) STRICT;

CREATE TABLE people (
  id      INTEGER PRIMARY KEY,
  code    TEXT NOT NULL UNIQUE,
  name    TEXT NOT NULL,
  name_en TEXT,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  title   TEXT
) STRICT;
CREATE INDEX people_unit ON people(unit_id);

-- head: heads the unit; deputy: deputy head of the unit; supervises: a deputy's
-- supervised department (分管部门); liaises: a leader's liaison unit (联系单位).
CREATE TABLE leader_links (
  person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  unit_id   INTEGER NOT NULL REFERENCES units(id),
  kind      TEXT NOT NULL CHECK (kind IN ('head', 'deputy', 'supervises', 'liaises')),
  PRIMARY KEY (person_id, unit_id, kind)
) STRICT;
CREATE INDEX leader_links_unit ON leader_links(unit_id);

-- Every org file applied, for the record and for "already loaded" answers.
CREATE TABLE org_loads (
  id        INTEGER PRIMARY KEY,
  sha256    TEXT NOT NULL,
  file_name TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  created   INTEGER NOT NULL,
  updated   INTEGER NOT NULL,
  unchanged INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  login         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'station')),
  unit_id       INTEGER REFERENCES units(id),
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at    INTEGER NOT NULL,
  CHECK (role <> 'station' OR unit_id IS NOT NULL)
) STRICT;

-- Session ids are 256-bit random values; only their SHA-256 is stored.
CREATE TABLE sessions (
  id_hash    BLOB PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- API tokens: shown once at creation, stored as SHA-256.
CREATE TABLE api_tokens (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  token_hash BLOB NOT NULL UNIQUE,
  hall_id    INTEGER REFERENCES halls(id),
  created_at INTEGER NOT NULL,
  last_used  INTEGER,
  revoked_at INTEGER
) STRICT;

-- Server-side keys (CSRF, survey-code MACs), generated on first use, never exported.
CREATE TABLE secrets (
  name       TEXT PRIMARY KEY,
  value      BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,
  at     INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT
) STRICT;
