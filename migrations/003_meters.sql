-- 003: the smart-meter rollout: metering points (the coverage denominator), meters
-- and their links to points over time, the daily coverage rows kept up to date by
-- every import, IEC message sources, and the log of every import with its errors.
-- Days are local dates in Asia/Shanghai ('YYYY-MM-DD'); intervals are [since, until)
-- with until NULL while open. Semantics: docs/coverage.md.

-- A metering point (计量点) of a station, in service on day D when since <= D < until.
-- The code is unique company-wide. customer_class is NULL when only IEC documents
-- described the point.
CREATE TABLE meter_points (
  id             INTEGER PRIMARY KEY,
  code           TEXT NOT NULL UNIQUE,
  station_id     INTEGER NOT NULL REFERENCES units(id),
  customer_class TEXT,
  since          TEXT NOT NULL,
  until          TEXT,
  CHECK (until IS NULL OR until >= since)
) STRICT;
CREATE INDEX meter_points_station ON meter_points(station_id, code);

-- A meter. key is its natural key: 'm:' || mRID, else 's:' || manufacturer || x'1f' ||
-- serial. smart: 1 smart, 0 legacy, -1 not known yet (a placeholder made by a link
-- before any MeterConfig described it; counts as not smart). installed/removed are the
-- meter's own lifecycle dates (IEC MeterConfig), NULL when not given.
CREATE TABLE meters (
  id           INTEGER PRIMARY KEY,
  key          TEXT NOT NULL UNIQUE,
  mrid         TEXT,
  serial       TEXT,
  manufacturer TEXT,
  model        TEXT,
  smart        INTEGER NOT NULL CHECK (smart IN (-1, 0, 1)),
  installed    TEXT,
  removed      TEXT,
  status       TEXT
) STRICT;

-- A meter on a metering point from since (inclusive) until until (exclusive). A smart
-- meter serves the point over this interval intersected with [installed, removed).
CREATE TABLE meter_links (
  id       INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  point_id INTEGER NOT NULL REFERENCES meter_points(id),
  since    TEXT NOT NULL,
  until    TEXT,
  UNIQUE (meter_id, point_id, since),
  CHECK (until IS NULL OR until >= since)
) STRICT;
CREATE INDEX meter_links_point ON meter_links(point_id, since);

-- Coverage per station on the days it changed: d_points/d_smart are the day's net
-- changes, points/smart the running totals as of the end of that day. Coverage of a
-- unit as of D = for each station of its subtree the last row with day <= D (one
-- index seek per station). Rebuilt for the stations an import touches, inside the
-- import's transaction.
CREATE TABLE meter_daily (
  station_id INTEGER NOT NULL,
  day        TEXT NOT NULL,
  d_points   INTEGER NOT NULL,
  d_smart    INTEGER NOT NULL,
  points     INTEGER NOT NULL,
  smart      INTEGER NOT NULL,
  PRIMARY KEY (station_id, day)
) STRICT, WITHOUT ROWID;

-- IEC 61968-100 Header/Source → the station its documents are about.
CREATE TABLE meter_source_map (
  source     TEXT PRIMARY KEY,
  station_id INTEGER NOT NULL REFERENCES units(id)
) STRICT;

-- Every import that was applied or rejected (dry runs and "already" answers leave no row).
CREATE TABLE meter_imports (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  file_name  TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  format     TEXT NOT NULL,
  station_id INTEGER REFERENCES units(id),
  status     TEXT NOT NULL CHECK (status IN ('imported', 'rejected')),
  file_id    TEXT,
  records    INTEGER NOT NULL DEFAULT 0,
  inserted   INTEGER NOT NULL DEFAULT 0,
  updated    INTEGER NOT NULL DEFAULT 0,
  unchanged  INTEGER NOT NULL DEFAULT 0,
  n_errors   INTEGER NOT NULL DEFAULT 0,
  seconds    REAL NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX meter_imports_sha ON meter_imports(sha256) WHERE status = 'imported';
CREATE INDEX meter_imports_file_id ON meter_imports(file_id) WHERE status = 'imported' AND format <> 'native';
CREATE INDEX meter_imports_station ON meter_imports(station_id, id);

CREATE TABLE meter_import_errors (
  import_id INTEGER NOT NULL REFERENCES meter_imports(id) ON DELETE CASCADE,
  seq       INTEGER NOT NULL,
  line      INTEGER NOT NULL,
  col       INTEGER NOT NULL,
  field     TEXT NOT NULL,
  message   TEXT NOT NULL,
  PRIMARY KEY (import_id, seq)
) STRICT, WITHOUT ROWID;
