-- Indicators and unit scores: the indicator catalog (loaded from an indicator file,
-- forms/indicators-1.xsd), the inputs per unit and period (manual actuals and scores,
-- deductions and bonuses), and period closing (snapshots with a content hash).
-- Periods are 'YYYY' or 'YYYYQn'; days are local dates in Asia/Shanghai; times are
-- unix seconds. Described in docs/indicators.md.

-- An indicator of the catalog. Indicators missing from a later catalog file are
-- retired (active = 0), never deleted: inputs and closed periods refer to them.
CREATE TABLE indicators (
  id                    INTEGER PRIMARY KEY,
  code                  TEXT NOT NULL UNIQUE,
  name                  TEXT NOT NULL,
  name_en               TEXT,
  kind                  TEXT NOT NULL CHECK (kind IN ('customer-evaluation', 'coverage', 'manual')),
  direction             TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
  supervisor_id         INTEGER NOT NULL REFERENCES people(id),
  responsible_unit_id   INTEGER NOT NULL REFERENCES units(id),
  responsible_person_id INTEGER NOT NULL REFERENCES people(id),
  handler_id            INTEGER NOT NULL REFERENCES people(id),
  evaluator_unit_id     INTEGER REFERENCES units(id),
  sort                  INTEGER NOT NULL,
  active                INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  digest                TEXT NOT NULL,  -- SHA-256 of the indicator as read from the file
  CHECK (kind <> 'manual' OR evaluator_unit_id IS NOT NULL)
) STRICT;

-- The weight of an indicator in the score of every unit of a kind.
CREATE TABLE indicator_weights (
  indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
  unit_kind    TEXT NOT NULL CHECK (unit_kind IN ('company', 'department', 'station', 'team')),
  weight       REAL NOT NULL CHECK (weight > 0 AND weight <= 100),
  PRIMARY KEY (indicator_id, unit_kind)
) STRICT, WITHOUT ROWID;

-- Scoring method and parameters in force from a period on (until the next row's
-- from_day): targets can rise year to year. Unused parameters are NULL.
CREATE TABLE indicator_params (
  indicator_id  INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
  from_day      TEXT NOT NULL,   -- first day of from_period
  from_period   TEXT NOT NULL,
  method        TEXT NOT NULL CHECK (method IN ('bands', 'step', 'direct')),
  threshold     REAL,
  target        REAL,
  benchmark     REAL,
  delta         REAL,
  points        REAL,
  max_deduction REAL,
  bonus         REAL,
  max_bonus     REAL,
  whole_steps   INTEGER NOT NULL DEFAULT 0 CHECK (whole_steps IN (0, 1)),
  score_max     REAL,
  min_actual    REAL,
  max_actual    REAL,
  PRIMARY KEY (indicator_id, from_day)
) STRICT, WITHOUT ROWID;

-- Dated steps of an indicator for one unit (时间节点).
CREATE TABLE indicator_milestones (
  id           INTEGER PRIMARY KEY,
  indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
  unit_id      INTEGER NOT NULL REFERENCES units(id),
  due          TEXT NOT NULL,
  name         TEXT NOT NULL,
  done_at      INTEGER,
  done_by      TEXT
) STRICT;
CREATE INDEX indicator_milestones_due ON indicator_milestones(due);
CREATE INDEX indicator_milestones_unit ON indicator_milestones(unit_id);

-- Every catalog file applied.
CREATE TABLE indicator_loads (
  id        INTEGER PRIMARY KEY,
  sha256    TEXT NOT NULL,
  file_name TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  created   INTEGER NOT NULL,
  updated   INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  retired   INTEGER NOT NULL
) STRICT;

-- A period's state. No row: open. Closing stores the snapshot below; reopening
-- (admins only) sets state back to 'open'; every change is in score_period_events.
CREATE TABLE score_periods (
  period      TEXT PRIMARY KEY,
  state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  changed_at  INTEGER NOT NULL,
  changed_by  TEXT NOT NULL,
  snapshot_id INTEGER REFERENCES score_snapshots(id)
) STRICT;

CREATE TABLE score_period_events (
  id      INTEGER PRIMARY KEY,
  period  TEXT NOT NULL,
  action  TEXT NOT NULL CHECK (action IN ('close', 'reopen')),
  at      INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  reason  TEXT,
  sha256  TEXT           -- the snapshot's hash for 'close'
) STRICT;
CREATE INDEX score_period_events_period ON score_period_events(period, id);

-- What a closed period's report is made of: its inputs and scores as canonical JSON
-- and the SHA-256 of that text. Never updated; a re-close adds a new snapshot.
CREATE TABLE score_snapshots (
  id         INTEGER PRIMARY KEY,
  period     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  content    TEXT NOT NULL,
  sha256     TEXT NOT NULL
) STRICT;
CREATE INDEX score_snapshots_period ON score_snapshots(period, id);

-- A manual indicator's actual or score for a unit and period, entered by the
-- evaluating department. One current row per (indicator, unit, period); the history
-- of changes is kept in score_manual_history.
CREATE TABLE score_manual (
  indicator_id INTEGER NOT NULL REFERENCES indicators(id),
  unit_id      INTEGER NOT NULL REFERENCES units(id),
  period       TEXT NOT NULL,
  actual       REAL,
  score        REAL,
  note         TEXT,
  entered_by   TEXT NOT NULL,   -- login
  entered_at   INTEGER NOT NULL,
  PRIMARY KEY (indicator_id, unit_id, period),
  CHECK ((actual IS NULL) <> (score IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX score_manual_period ON score_manual(period, indicator_id);

CREATE TABLE score_manual_history (
  id           INTEGER PRIMARY KEY,
  indicator_id INTEGER NOT NULL,
  unit_id      INTEGER NOT NULL,
  period       TEXT NOT NULL,
  actual       REAL,
  score        REAL,
  note         TEXT,
  entered_by   TEXT NOT NULL,
  entered_at   INTEGER NOT NULL
) STRICT;

-- Deductions (扣分) and bonuses (加分) of a unit in a period. Proposed ones (e.g. for
-- overdue survey follow-ups, found automatically) count only once a person confirms.
CREATE TABLE score_adjustments (
  id           INTEGER PRIMARY KEY,
  unit_id      INTEGER NOT NULL REFERENCES units(id),
  period       TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('deduction', 'bonus')),
  points       REAL NOT NULL CHECK (points > 0 AND points <= 100),
  reason       TEXT NOT NULL,
  evidence     TEXT,
  source       TEXT NOT NULL CHECK (source IN ('inspection', 'internal-audit', 'supervision',
                                               'public-opinion', 'overdue-followup', 'other')),
  indicator_id INTEGER REFERENCES indicators(id),
  followup_id  INTEGER UNIQUE REFERENCES survey_followups(id),
  state        TEXT NOT NULL CHECK (state IN ('proposed', 'confirmed', 'rejected')),
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  decided_by   TEXT,
  decided_at   INTEGER
) STRICT;
CREATE INDEX score_adjustments_period ON score_adjustments(period, unit_id);
