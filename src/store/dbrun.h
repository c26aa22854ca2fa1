/* The measuring commands' link to the results database: main() takes the database
 * flags (--db PATH, --label NAME, --no-db) out of argv and checks an existing file
 * before the command runs; the command hands each result row to dbrun_row as it is
 * written; main() ends the run with the command's exit code. The run is created at
 * the first row, so a usage error or --help leaves no run behind. One run per
 * process, hence module state. */
#ifndef QB_DBRUN_H
#define QB_DBRUN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

struct store;

/* Remove the database flags from argv (updating *argc) and open an existing database
 * (refusing one that is corrupt, foreign or newer: QB_EXIT_INPUT) or check that a new
 * one can be made (QB_EXIT_FAIL otherwise), before any work. 0, or an exit code after
 * printing the error. The path is --db, else $QB_DB, else ./quantbench.db; --no-db or
 * QB_DB=none turns storing off. */
int dbrun_setup(const char *command, int *argc, char **argv);

/* Store one result row of kind (borrowed); the first row creates the run. Locks and
 * failing writes are retried (store_busy_ms); a row that still cannot be stored is
 * reported on stderr, the run is ended 'failed' with the reason, and dbrun_stopped()
 * becomes true: the command stops measuring. */
void dbrun_row(const char *kind, const cJSON *row);

/* For a command that writes more than rows (run: its plan, cells and events): open the
 * database and begin the run now. 0 with *st and *run_id (the handle stays dbrun's:
 * dbrun_finish ends the run and closes it), or 0 with *st NULL when storing is off; -1
 * with err and *exit_code when the database cannot be opened or written. */
int dbrun_begin(struct store **st, int64_t *run_id, int *exit_code, char *err);

/* The database's path (static), or NULL when storing is off */
const char *dbrun_path(void);

/* True once a row could not be stored */
bool dbrun_stopped(void);
/* dbrun_stopped() as a run function's stop callback (ud unused): a row that cannot be
 * stored stops the measuring */
bool dbrun_stopped_cb(void *ud);
/* True when the measuring loops stop: a row could not be stored, or SIGINT/SIGTERM came */
bool dbrun_should_stop(void);

/* End the run (status from the exit code) and close; returns the exit code to use:
 * rc, or QB_EXIT_FAIL when rows could not be stored and rc was 0, partial or a signal's
 * (the run is 'failed' then, whatever came after). */
int dbrun_finish(int rc);

struct store_filter;

/* For the commands that read the database (compare, report): open the one at path
 * (NULL: $QB_DB, else ./quantbench.db), which must exist; on read-only media it is read
 * as it is. NULL with err and *exit_code (QB_EXIT_INPUT: missing, refused; QB_EXIT_FAIL:
 * it could not be read, or another writer kept it changing) otherwise. */
struct store *dbrun_open_existing(const char *path, int *exit_code, char *err);

/* A side or filter given on the command line into f (strings point into spec, which
 * is modified): all digits = a run id; key=value[,key=value...] with keys run, label,
 * kind, model, quant, build and any setting of store_settings (by field, llama-bench
 * flag or long name: n_threads, t, threads); anything else = a label. -1 with err (which
 * lists the keys) on an unknown key. */
int dbrun_parse_filter(char *spec, struct store_filter *f, char *err);

/* The help text for the flags (static) */
extern const char dbrun_help[];

#endif
