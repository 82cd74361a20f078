/* rollout.h — reading meter rollout files. Two families: the native format
 * (urn:gridscore:rollout:1, validated against forms/rollout-1.xsd while streaming) and
 * IEC 61968-9 MeterConfig, UsagePointConfig and MasterDataLinkageConfig documents
 * (bare, inside an IEC 61968-100 RequestMessage/EventMessage/ResponseMessage or a
 * per-noun wrapper, any of these inside a SOAP 1.1/1.2 body). Streams with
 * xmlTextReader in constant memory, refuses any DOCTYPE, never touches the network,
 * and hands each record to a callback. Knows nothing of the database: meter.c decides
 * what the records mean for the stored history. */
#ifndef GS_ROLLOUT_H
#define GS_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

#include "gs.h"

enum rollout_format {
	ROLLOUT_UNKNOWN = 0,
	ROLLOUT_NATIVE,          /* urn:gridscore:rollout:1 */
	ROLLOUT_IEC_METER,       /* http://iec.ch/TC57/2011/MeterConfig# */
	ROLLOUT_IEC_USAGEPOINT,  /* http://iec.ch/TC57/2011/UsagePointConfig# */
	ROLLOUT_IEC_LINKAGE      /* http://iec.ch/TC57/2011/MasterDataLinkageConfig# */
};

/* "native", "iec-meterconfig", "iec-usagepointconfig", "iec-linkage", "unknown". */
const char *rollout_format_name(enum rollout_format f);

enum rollout_kind {
	ROLLOUT_POINT = 1, /* a metering point of the inventory (native <point>, IEC UsagePoint) */
	ROLLOUT_INSTALL,   /* native <install>: a smart meter put on a point */
	ROLLOUT_REMOVE,    /* native <remove>: a meter taken off a point, no successor */
	ROLLOUT_REPLACE,   /* native <replace>: old meter off, new smart meter on, same point and day */
	ROLLOUT_METER,     /* IEC Meter: a meter's own facts (smart or not, lifecycle dates) */
	ROLLOUT_LINK       /* IEC MasterDataLinkageConfig: meter <-> usage point from a day */
};

/* Said once, before the first record. Empty strings when the document has no such
 * field. Dates are normalised local days "YYYY-MM-DD" (Asia/Shanghai, UTC+8). */
struct rollout_header {
	enum rollout_format format;
	char station[65];      /* native: the station attribute; IEC: "" */
	char file_id[101];     /* native: file-id; IEC: Header/MessageID */
	char source[101];      /* IEC: Header/Source */
	char verb[33];         /* IEC: Header/Verb ("create", "change", "created", ...) */
	char noun[65];         /* IEC: the payload's noun, e.g. "MeterConfig" */
	char generated_at[11]; /* native: generated-at; IEC: Header/Timestamp (local day) */
	long line;             /* where the root element starts */
};

/* One record. Every pointer is borrowed until the callback returns; NULL when the
 * document does not give the field. Days are local "YYYY-MM-DD" (a date-time or a date
 * with a time zone is converted to the Asia/Shanghai day it falls on). */
struct rollout_record {
	enum rollout_kind kind;
	long line, column;           /* where the record's element starts */

	const char *point;           /* metering point code / UsagePoint mRID */
	const char *customer_class;  /* POINT: native class; IEC: NULL */
	const char *since;           /* POINT: in service from (inclusive) */
	const char *until;           /* POINT: out of service from (exclusive); NULL while in service */

	const char *meter;           /* the meter's mRID */
	const char *serial;
	const char *manufacturer;
	const char *model;
	int smart;                   /* 1 smart, 0 legacy, -1 not stated (METER: from amrSystem /
				      * capability; INSTALL/REPLACE new meter: 1; REMOVE: -1) */
	const char *date;            /* INSTALL/REMOVE/REPLACE: the event's day; METER: installationDate;
				      * LINK: effectiveDateTime (else createdDateTime) */
	const char *removed;         /* METER: lifecycle removalDate */
	const char *status;          /* METER: status/value as written ("installed", "removed", ...) */
	const char *replaces;        /* INSTALL: the legacy meter's id it took the place of */
	const char *old_meter;       /* REPLACE: the meter taken off (mRID) */
	const char *old_serial;
	const char *old_manufacturer;
	const char *reason;          /* REMOVE/REPLACE */
};

/* Where and what: a problem found in a file, for the import report. */
struct rollout_error {
	long line;
	long column;         /* 0 when unknown */
	char field[48];      /* element or attribute concerned, "" when none */
	char message[256];
};

#define ROLLOUT_MAX_ERRORS 100

struct rollout_errors {
	size_t n;            /* errors[0..n) kept */
	size_t total;        /* found, may exceed ROLLOUT_MAX_ERRORS */
	struct rollout_error e[ROLLOUT_MAX_ERRORS];
};

/* Records an error (kept while fewer than ROLLOUT_MAX_ERRORS, always counted). field
 * may be NULL. Used by the reader and by meter.c for the conflicts it finds. */
void rollout_error_add(struct rollout_errors *errs, long line, long column, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

struct rollout_limits {
	uint64_t max_file_bytes;  /* default 1 GiB */
	unsigned max_depth;       /* default 64 */
	size_t max_text;          /* longest text node or attribute value, default 4096 bytes */
	uint64_t max_records;     /* default 20,000,000 */
};
void rollout_limits_default(struct rollout_limits *l);

/* The callbacks. A non-GS_OK result stops the reading with that result (use it for
 * database failures); conflicts in the data are added to the errors instead, and the
 * reading goes on so that one report lists them all. */
struct rollout_sink {
	enum gs_result (*header)(void *ctx, const struct rollout_header *h);
	enum gs_result (*record)(void *ctx, const struct rollout_record *r);
	void *ctx;
};

/* Reads a rollout file from path; name is what messages call it (NULL: path).
 * GS_OK: well-formed, valid, every record delivered, errs->total == 0.
 * GS_ERR_INVALID: errs says what and where (records before and after an error may
 * still have been delivered: the caller must not keep them). GS_ERR_TOO_LARGE: a cap
 * was passed (also in errs). GS_ERR_IO: unreadable. Another result: a callback's. */
enum gs_result rollout_read_file(const char *path, const char *name, const struct rollout_limits *lim,
				 const struct rollout_sink *sink, struct rollout_errors *errs);
/* The same on a buffer (tests, fuzzing). */
enum gs_result rollout_read_memory(const char *name, const char *data, size_t len, const struct rollout_limits *lim,
				   const struct rollout_sink *sink, struct rollout_errors *errs);

/* "YYYY-MM-DD" (optionally with a zone) or an xs:dateTime → the local day in out[11].
 * 0 on success, -1 if s is not a valid date. Exposed for meter.c and tests. */
int rollout_local_day(const char *s, char out[11]);

#endif
