/* settings.h — the `settings` table (name → text value; an absent row means the
 * built-in default): the known settings an administrator may change, with their
 * defaults and ranges, and one reader and one writer for every module. Knows nothing
 * of HTTP. (survey.c still writes its fold watermark itself, inside its own
 * transaction.) */
#ifndef GS_SETTINGS_H
#define GS_SETTINGS_H

#include <stddef.h>

#include "db.h"
#include "gs.h"

enum settings_type { SETTINGS_INT, SETTINGS_BOOL, SETTINGS_DAY };

/* A setting the admin page offers. */
struct settings_def {
	const char *name;         /* e.g. "survey.min_sample" */
	enum settings_type type;
	long min, max;            /* SETTINGS_INT: the allowed range */
	const char *def;          /* the built-in default as text */
	const char *zh, *en;      /* what it means */
	int at_restart;           /* read when the server starts (1) or on every use (0) */
};
/* The known settings, in display order. */
const struct settings_def *settings_defs(size_t *n);
const struct settings_def *settings_def_find(const char *name);

/* Checks value against def: GS_OK, or GS_ERR_INVALID with a message (what is allowed) in err. */
enum gs_result settings_check(const struct settings_def *def, const char *value, char *err, size_t errlen);

/* The stored value of name into out ("" and *found = 0 when absent). */
enum gs_result settings_get(struct db *db, const char *name, char *out, size_t len, int *found);
/* Stores (inserts or replaces) name = value. */
enum gs_result settings_set(struct db *db, const char *name, const char *value);

/* A counter of changes made in this process: a writer calls settings_changed() once its
 * transaction has committed, and readers that keep settings in memory (the server's
 * survey settings) read them again when settings_generation() moved. */
void settings_changed(void);
unsigned long settings_generation(void);

#endif
