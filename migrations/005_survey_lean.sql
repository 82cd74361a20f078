-- 005: less written per survey response. The index survey_responses_client (client
-- hash, hall, time) had a random key: every stored response dirtied a page of its own
-- and wrote it to the WAL at commit. The server finds bursts from one client hash with
-- an in-memory window per (client hash, hall) instead, filled at start from the last
-- hour's responses (docs/surveys.md); survey_store outside the server counts them
-- through survey_responses_hall_day.
DROP INDEX survey_responses_client;
