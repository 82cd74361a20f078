-- 008: the newest comments of a scope without sorting its range. The dashboard and unit
-- pages show the ten newest comments of a unit over a date range; with only the
-- (hall_id, day) index that meant reading and sorting every response of the scope in
-- the range (millions for a company). This partial index holds the commented responses
-- only, newest last, with the hall, so survey_responses_each walks it backwards and
-- stops after the ten that belong to the scope (see survey.c). id is a column of its own
-- so that "newest first, then the higher id" needs no sort. Responses without a comment
-- do not enter it.
CREATE INDEX survey_responses_commented ON survey_responses(day, submitted_at, id, hall_id)
  WHERE comment IS NOT NULL;
