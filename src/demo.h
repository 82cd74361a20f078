/* demo.h — the demo county: a fictional county supply company (org, halls, people)
 * and demo logins, loaded by `gridscore init --demo`. Later modules add survey
 * responses and meter rollouts to it. */
#ifndef GS_DEMO_H
#define GS_DEMO_H

#include <stdio.h>

#include "db.h"
#include "gs.h"

/* Loads (or refreshes) the demo county into db and writes the demo logins with fresh
 * random passwords to out. Running it again keeps the data and resets the passwords. */
enum gs_result demo_load(struct db *db, FILE *out);

/* The demo's smart-meter rollout (demo_rollout.c): generates each station's metering
 * points and two years of installations as native rollout files, one per station and
 * quarter, and imports them with meter_import_run. Called by demo_load once the org is
 * in; deterministic but relative to today. Writes a summary line to out. */
enum gs_result demo_rollout_load(struct db *db, FILE *out);

#endif
