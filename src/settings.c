/* settings.c — the settings table and the catalogue of known settings (settings.h). */
#include "settings.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survey.h"

static const struct settings_def defs[] = {
	{"survey.ticket_ttl_hours", SETTINGS_INT, 1, 24 * 90, "24", "评价码有效期（小时）", "Ticket lifetime (hours)", 0},
	{"survey.followup_days", SETTINGS_INT, 1, 365, "15", "差评跟进期限（天）", "Follow-up due time (days)", 0},
	{"survey.unsatisfied_max", SETTINGS_INT, 0, 5, "2", "评分不高于此值时开启跟进", "Ratings at or below this open a follow-up", 0},
	{"survey.min_sample", SETTINGS_INT, 0, 1000000, "30", "足够样本的最少份数", "Responses needed for a sufficient sample", 0},
	{"survey.min_breakdown", SETTINGS_INT, 0, 1000000, "5", "少于此份数的分组不显示", "Smaller groups are not shown", 0},
	{"survey.verified_only", SETTINGS_BOOL, 0, 1, "0", "指标只计验证评价（评价码）", "The indicator counts ticket responses only", 0},
	{"survey.fast_seconds", SETTINGS_INT, 0, 3600, "5", "答题快于此秒数视为可疑", "Completion faster than this (seconds) is flagged", 0},
	{"survey.burst_max", SETTINGS_INT, 1, 1000, "2", "同一客户端每小时对同一营业厅的评价上限", "Responses per client and hall per hour before flagging", 1},
	{"coverage.target_date", SETTINGS_DAY, 0, 0, "2026-12-31", "智能表全覆盖目标日期", "Full smart-meter coverage target date", 0},
	{"coverage.window_days", SETTINGS_INT, 1, 3650, "90", "预计进度所用的近期天数", "Days of recent progress used for the projection", 0},
};

const struct settings_def *settings_defs(size_t *n)
{
	*n = sizeof defs / sizeof defs[0];
	return defs;
}

const struct settings_def *settings_def_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof defs / sizeof defs[0]; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

enum gs_result settings_check(const struct settings_def *def, const char *value, char *err, size_t errlen)
{
	if (!value || !*value) {
		snprintf(err, errlen, "enter a value");
		return GS_ERR_INVALID;
	}
	if (def->type == SETTINGS_DAY) {
		if (strlen(value) != 10 || survey_day_number(value) < 0) {
			snprintf(err, errlen, "enter a date YYYY-MM-DD");
			return GS_ERR_INVALID;
		}
		return GS_OK;
	}
	char *end = NULL;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno || !end || *end || end == value || v < def->min || v > def->max) {
		snprintf(err, errlen, "enter a whole number from %ld to %ld", def->min, def->max);
		return GS_ERR_INVALID;
	}
	return GS_OK;
}

enum gs_result settings_get(struct db *db, const char *name, char *out, size_t len, int *found)
{
	if (len)
		out[0] = '\0';
	*found = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT value FROM settings WHERE name = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row > 0) {
		*found = 1;
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}

static atomic_ulong generation = 1;

void settings_changed(void)
{
	atomic_fetch_add(&generation, 1);
}

unsigned long settings_generation(void)
{
	return atomic_load(&generation);
}

enum gs_result settings_set(struct db *db, const char *name, const char *value)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO settings(name, value) VALUES(?1, ?2) "
				       "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return db_step_done(db, st);
}
