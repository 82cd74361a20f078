-- 006: the import log names who imported with an API token (the token's name; user_id
-- stays NULL for tokens and for the command line). Semantics: docs/coverage.md.
ALTER TABLE meter_imports ADD COLUMN actor TEXT;
