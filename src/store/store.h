/* The results database: SQLite, WAL mode, a schema version with migrations from the
 * first version on. One run per command invocation; hosts, builds and models are kept
 * once and referenced; every result row keeps its full JSON (settings, samples,
 * metadata) besides indexed columns for the common settings. Each result (a suite's
 * cell with its rows) is written in its own transaction, so a killed writer loses at
 * most the row (cell) in flight; any number of processes may write at once (writes
 * wait for each other's locks).
 * This is the only file set that includes sqlite3.h; rows go in and out as cJSON. */
#ifndef QB_STORE_H
#define QB_STORE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 4
#define STORE_APPLICATION_ID 0x51424e43 /* "QBNC" in the SQLite header */

struct store;

enum store_access {
    STORE_WRITE,    /* the file must be writable (or its directory, to create it) */
    STORE_READ,     /* it must exist; on read-only media it is read as it is, unchanged */
    STORE_SNAPSHOT, /* it must exist and is never written, writable or not: read through
                       a private copy taken while it held still (its log read there, an
                       older schema migrated there), so a writer going on meanwhile
                       changes nothing of what is read */
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

/* Make an open handle refuse every write from now on (SQLite's query_only), for readers
 * that must never change the file, whatever they run (the dashboard's server). 0, or -1
 * with err. */
int store_set_query_only(struct store *s, char *err);

/* 0 when a database can be written at path (the file, or a new one in its directory:
 * a file is made there and removed), else -1 with err. Nothing else is changed. */
int store_writable(const char *path, char *err);

/* How long a write waits for another writer's lock and retries a failed write (disk
 * full, I/O error) with back-off before it gives up, in ms: $QB_DB_BUSY_MS, default
 * 30000. A handle starts with it; store_set_busy_ms changes that handle's. */
int64_t store_busy_ms(void);
void store_set_busy_ms(struct store *s, int64_t ms);

/* The path the database was opened at, control characters shown as '?' (the handle's:
 * valid until store_close) */
const char *store_path(const struct store *s);

/* A database on a network filesystem (NFS, CIFS/SMB, Lustre, GPFS, BeeGFS, CephFS, ...,
 * by statfs's f_type) is not put in WAL mode, which needs every user on one host: it
 * keeps a rollback journal (journal_mode DELETE, synchronous FULL). $QB_TEST_FSTYPE (tests
 * only) stands for the filesystem's type: a name of the list ("nfs", "lustre", ...) or
 * "local". The note to print once when s was opened so, after "database 'PATH' " (one
 * line, the handle's), else NULL. */
const char *store_journal_note(const struct store *s);
/* The network filesystem's name for path (its directory when it does not exist yet),
 * NULL for a local one */
const char *store_network_fs(const char *path);

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
 * (a JSON object) to a run in one transaction: its build, model and GPUs are taken from the row's
 * fields (build_commit, model_id, gpu_info, ...). line is the source line of an
 * imported row (0 otherwise). The row is borrowed. */
int store_add_result(struct store *s, int64_t run_id, const char *kind, const cJSON *row, int line,
                     char *err);

/* ---- suite runs (quantbench run): a plan of cells, each one model x settings x test
 * with a content key; a cell that finished is stored with its rows in one transaction,
 * so a rerun skips the keys stored (in any run) and a killed run loses at most the cell
 * in flight. Every state change is also an event, for another process to follow. */

struct store_plan_cell {
    int idx;              /* 0.. in run order */
    const char *key;      /* the cell's content key */
    const char *group;    /* its model x settings group: a row of the table to share */
    const char *model;    /* the model's path */
    const char *test;     /* "pp512", "tg128", "pp512+tg128", "mem", "quality", "sweep", ... */
    const char *settings; /* a JSON object's text: the cell's settings */
};
/* A suite run's suite (JSON object text) and its plan, every cell in run order, in one
 * transaction (all or nothing); strings are borrowed. Once per run: a second plan for
 * the same run fails. -1 with err also when the suite or a cell's settings is not a JSON
 * object or a cell lacks a string. */
int store_add_plan(struct store *s, int64_t run_id, const char *suite_json,
                   const struct store_plan_cell *c, int n, char *err);

struct store_cell {
    const char *key, *model, *test, *settings; /* as in its plan cell */
    const char *status;      /* ok, crashed, oom, timeout, load_failed, error, interrupted */
    const char *reason;      /* "" when ok (NULL: "") */
    const char *stderr_tail; /* the worker's last stderr lines, "" when none (NULL: "") */
    double started, ended;   /* unix time, seconds */
};
/* A finished cell and its result rows (rows[i] of kind kinds[i], as store_add_result takes
 * them, each with results.cell_id set) in one transaction, retried like store_tx: all of
 * it is stored or none. *cell_id (may be NULL) is the new cell. Everything is borrowed.
 * -1 with err (nothing stored) also for a status not listed above, settings that are not
 * a JSON object, a row without a kind or one that is not an object. */
int store_add_cell(struct store *s, int64_t run_id, const struct store_cell *c,
                   const char *const *kinds, const cJSON *const *rows, int n, int64_t *cell_id,
                   char *err);
/* The newest stored cell with this key, in any run: 1 with its status (into status, n
 * bytes; may be NULL) and duration (ended - started, seconds; may be NULL), 0 when there
 * is none, -1 with err */
int store_find_cell(struct store *s, const char *key, char *status, size_t n, double *duration_s,
                    char *err);
/* One event (payload borrowed, a JSON object; NULL = {}) in its own short transaction,
 * timed now (unix seconds); cell: the plan idx, -1 for the run itself */
int store_add_event(struct store *s, int64_t run_id, int cell, const char *kind,
                    const cJSON *payload, char *err);
/* Events of run_id (0 = every run) with id > after_id, oldest first: a JSON array (the
 * caller frees) of {"id", "run_id", "cell" (null for the run), "kind", "payload": {...},
 * "time"} */
int store_events(struct store *s, int64_t run_id, int64_t after_id, cJSON **events, char *err);
/* A suite run's cells: its plan in order, each with the newest stored cell of its key
 * (from any run) and that cell's result rows: a JSON array (the caller frees) of {"idx",
 * "key", "group", "model", "test", "settings": {...}, "status" ("missing" when none is
 * stored), "reason", "stderr_tail", "duration_s", "measured_in" (run id; both null when
 * missing), "rows": [{"kind", "row": {...}}]}. -1 with err when run_id has no plan
 * ("run N is not a suite run"). */
int store_suite_cells(struct store *s, int64_t run_id, cJSON **cells, char *err);
/* 1 when run_id is a suite run, with its suite's JSON text in *suite_json (the caller
 * frees; suite_json may be NULL), 0 when it is not, -1 with err */
int store_suite_json(struct store *s, int64_t run_id, char **suite_json, char *err);
/* The newest suite run (the highest id with a plan); 0 when there is none */
int64_t store_last_suite_run(struct store *s);

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

/* ---- merge: the runs, suite plans, cells, rows and events of another database (src,
 * opened STORE_SNAPSHOT) into dst, content-keyed so that merging the same file twice, or
 * two files that hold the same run or cell, adds nothing:
 *  - a run by its uid (meta 'run_uid:ID', made when the run began; a run of a database
 *    made before there were uids by its command, argv, label, start, host, first event
 *    and first row), the run's end (status, ended, reason) updated when dst's is older;
 *  - a suite run keeps its plan: shards of one suite (one suite's plan, every cell in
 *    order, stored whole by each shard) are seen as one suite by their cell keys, so
 *    report --suite on any of them (or 'last') shows every shard's cells in one table;
 *  - a cell by its content (key, status, reason, times and rows): the same one is not
 *    added again; an 'ok' cell whose key dst holds as 'ok' already with other results is
 *    a CONFLICT: the first is kept, the other is not stored and is reported; a cell that
 *    did not finish ok, where dst holds an 'ok' one of its key, is superseded (not added,
 *    so it never hides the finished one);
 *  - a row outside cells by its kind, line and JSON text, counted (a run with a row twice
 *    keeps it twice); an event by its run, cell, kind, payload and time.
 * Everything is written inside one transaction of dst's, which the caller holds
 * (store_begin): one failure or a signal leaves dst as it was. */
struct store_merge_count {
    int runs_added, runs_same, runs_updated;
    int cells_added, cells_same, cells_superseded, conflicts;
    int rows_added, rows_same;
    int events_added;
};
/* src (named src_name in messages and kept as each new run's origin) into dst inside
 * dst's transaction; counts are added to *n; each conflict is one line appended to
 * *conflicts (a JSON array of strings, made when NULL; the caller frees). 0, or -1 with
 * err (also when a signal was caught: "interrupted"). */
int store_merge(struct store *dst, struct store *src, const char *src_name,
                struct store_merge_count *n, cJSON **conflicts, char *err);
/* The suites of a database, for merge's summary: a JSON array (the caller frees) of
 * {"run_id" (the newest suite run of that plan), "runs" (how many suite runs hold it),
 * "cells" (plan cells), "ok" (of them, stored ok), "missing" (none stored)} per plan */
int store_suite_summary(struct store *s, cJSON **suites, char *err);

/* Tests only: run sql on the connection as it is (no transaction, no retry) */
int store_test_exec(struct store *s, const char *sql, char *err);

/* Runs, newest first: a JSON array of {"id", "label", "command", "argv", "started",
 * "ended", "status", "imported_from", "host", "n_results", "reason"} (the caller frees). */
int store_list_runs(struct store *s, cJSON **runs, char *err);

/* The newest run with this label, or with this id when label is all digits; 0 none */
int64_t store_find_run(struct store *s, const char *label_or_id);

/* Claim cell key for run_id before measuring it, so that two runs of one suite on one
 * database do not measure a cell twice: 1 claimed (or already run_id's), 0 another run
 * holds it and lives (on this host its process runs; from another host a claim is
 * believed for a day), -1 with err. A dead process's claim is taken over. */
int store_claim_cell(struct store *s, const char *key, int64_t run_id, char *err);
/* Let go of run_id's claim of key, or of all its claims (key NULL) */
int store_release_claims(struct store *s, int64_t run_id, const char *key, char *err);

#endif
