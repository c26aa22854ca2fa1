/* The results database: SQLite, WAL mode, a schema version with migrations from the
 * first version on. One run per command invocation; hosts, builds and models are kept
 * once and referenced; every result row keeps its full JSON (settings, samples,
 * metadata) besides indexed columns for the common settings. Each result is written
 * in its own transaction, so a killed writer loses at most the row in flight; any
 * number of processes may write at once (writes wait for each other's locks).
 * This is the only file set that includes sqlite3.h; rows go in and out as cJSON. */
#ifndef QB_STORE_H
#define QB_STORE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 3
#define STORE_APPLICATION_ID 0x51424e43 /* "QBNC" in the SQLite header */

struct store;

enum store_access {
    STORE_WRITE, /* the file must be writable (or its directory, to create it) */
    STORE_READ,  /* it must exist; on read-only media it is read as it is, unchanged */
};

enum store_fail {
    STORE_FAIL_IO,      /* could not create, write or read it (says nothing of the file) */
    STORE_FAIL_REFUSED, /* not SQLite, corrupt, another application's, or a newer schema */
    STORE_FAIL_BUSY,    /* it kept changing while it was checked (no verdict): try again */
};

/* Open or create (STORE_WRITE) the database at path (":memory:" for a private one),
 * migrating it to STORE_SCHEMA_VERSION. An existing file is judged on what SQLite reads,
 * its -wal or -journal included, without writing to any of them: one that is not
 * SQLite, is corrupt (SQLite's quick_check), belongs to another application or has a
 * newer schema is refused with a one-line err and left byte-for-byte untouched; one that
another writer keeps changing (checkpoints, a restarted log) longer than store_busy_ms()
fails with STORE_FAIL_BUSY rather than be judged on a torn read. A new
 * file appears whole (made beside it and linked into place). STORE_READ on a file that
 * cannot be written opens it read-only (through a private copy when it has a log or an
 * older schema). Returns the handle (close with store_close) or NULL with err and *why
 * (why may be NULL). max_version (0 = current) stops the migrations at an earlier
 * version; tests use it to make old databases. */
struct store *store_open_as(const char *path, int max_version, enum store_access access,
                            enum store_fail *why, char *err);
/* store_open_as(path, max_version, STORE_WRITE, NULL, err) */
struct store *store_open(const char *path, int max_version, char *err);
void store_close(struct store *s); /* accepts NULL */

/* 0 when a database can be written at path (the file, or a new one in its directory:
 * a file is made there and removed), else -1 with err. Nothing else is changed. */
int store_writable(const char *path, char *err);

/* How long a write waits for another writer's lock and retries a failed write (disk
 * full, I/O error) with back-off before it gives up, in ms: $QB_DB_BUSY_MS, default
 * 30000. A handle starts with it; store_set_busy_ms changes that handle's. */
int64_t store_busy_ms(void);
void store_set_busy_ms(struct store *s, int64_t ms);

/* The schema version of an open database */
int store_version(struct store *s);

/* Start a run: the command, its argument vector as one JSON array text, an optional
 * label (NULL) and where it was imported from (NULL for measured runs). *run_id is the
 * new run. The host (name, CPU model and flags, cores, RAM, OS) is read here. */
int store_run_begin(struct store *s, const char *command, const char *argv_json, const char *label,
                    const char *imported_from, int64_t *run_id, char *err);
/* End a run with a status ("ok", "partial", "failed", "interrupted") */
int store_run_end(struct store *s, int64_t run_id, const char *status, char *err);
/* The same with the reason it ended so (NULL: none), kept in the run */
int store_run_end_why(struct store *s, int64_t run_id, const char *status, const char *reason,
                      char *err);

/* Add one result row of kind ("bench", "sweep", "batched", "quality", "ctxmax", "mem")
 * to a run in one transaction: its build, model and GPUs are taken from the row's
 * fields (build_commit, model_id, gpu_info, ...). line is the source line of an
 * imported row (0 otherwise). The row is borrowed. */
int store_add_result(struct store *s, int64_t run_id, const char *kind, const cJSON *row, int line,
                     char *err);

/* The settings rows are matched on (compare) and can be filtered by (compare, report):
 * the row field, llama-bench's short flag for it and its long flag or table column
 * (NULL when none); a filter key is any of the three, '-' read as '_'. NULL-terminated
 * by field; static, do not free. */
struct store_setting {
    const char *field; /* "n_threads" */
    const char *flag;  /* "t" (-t) */
    const char *name;  /* "threads" (--threads, the md column) */
};
const struct store_setting *store_settings(void);

/* The field of a setting named by its field, flag or long name; NULL when unknown
 * (static, do not free). */
const char *store_setting_field(const char *key);

#define STORE_FILTER_MAX_SETTINGS 16

/* Which rows a query returns; NULL / 0 fields match anything. Every string matches
 * literally (no wildcards). */
struct store_filter {
    int64_t run_id;    /* one run */
    const char *label; /* the run's label */
    const char *kind;  /* bench, sweep, batched, ... */
    const char *model; /* substring of the model's path or type */
    const char *quant; /* substring of the model type ("Q4_0"), any case */
    const char *build; /* prefix of the llama.cpp commit (any case), or the build number */
    bool ok_only;      /* only rows with status ok */
    struct {
        const char *field; /* a store_settings field */
        const char *value; /* the setting's value: a number, on/off/true/false, or text */
    } set[STORE_FILTER_MAX_SETTINGS]; /* every one must match */
    int n_set;                        /* settings in set */
};

/* Rows matching f in insertion order: a JSON array (the caller frees) of objects
 * {"id", "run_id", "label", "kind", "status", "imported", "line", "row": {...}, "test",
 * "settings": {...}} where settings are the fields rows are matched on. */
int store_query(struct store *s, const struct store_filter *f, cJSON **rows, char *err);

/* The same rows one at a time, without holding them all: fn gets each object (its own,
 * to free or keep) and ctx; a non-zero return from fn stops the query and is returned. */
int store_query_each(struct store *s, const struct store_filter *f,
                     int (*fn)(cJSON *res, void *ctx), void *ctx, char *err);

/* A file imported before, by the SHA-256 (hex) of its bytes: the run it became, 0 none */
int64_t store_find_import(struct store *s, const char *sha256_hex);
/* Note that run_id was imported from a file with this SHA-256 (hex) */
int store_note_import(struct store *s, const char *sha256_hex, int64_t run_id, char *err);

/* One transaction around several calls (all of a file's rows or none). Writes between
 * store_begin and store_commit / store_rollback join it instead of committing on their
 * own; a transaction open otherwise (left by accident) is never joined: the next write
 * rolls it back first, or fails when it cannot. store_commit retries while another
 * writer's lock is in the way, but not once SQLite rolled the transaction back itself
 * (disk full, I/O error): then it fails and the transaction is over. */
int store_begin(struct store *s, char *err);
int store_commit(struct store *s, char *err);
void store_rollback(struct store *s); /* accepts a store without a transaction */

/* fn(s, arg, err) in one write transaction, retried whole (fn again from the start:
 * it must only write through s, and fail with -1 and err) while the failure may pass
 * (another writer's lock, disk full, I/O error) for store_busy_ms(); writes inside join
 * it. All of fn's writes are stored or none. 0, or -1 with err (" (after X s of
 * retries)" added when it gave up on a failure that may pass). */
int store_tx(struct store *s, int (*fn)(struct store *, void *, char *), void *arg, char *err);

/* Tests only: run sql on the connection as it is (no transaction, no retry) */
int store_test_exec(struct store *s, const char *sql, char *err);

/* Runs, newest first: a JSON array of {"id", "label", "command", "argv", "started",
 * "ended", "status", "imported_from", "host", "n_results", "reason"} (the caller frees). */
int store_list_runs(struct store *s, cJSON **runs, char *err);

/* The newest run with this label, or with this id when label is all digits; 0 none */
int64_t store_find_run(struct store *s, const char *label_or_id);

#endif
