/* Running a suite's cells: the ladder first (rungs that are not there yet are made by
 * llama.cpp's quantizer), then every cell not stored yet, in run order, through the
 * measurement functions of run/ (bench's cells of one model load in one worker), each
 * cell stored with its rows in one transaction (store_add_cell) so a kill at any moment
 * loses at most the cell in flight, every state change an event in the database, and a
 * status line with an ETA on stderr. */
#ifndef QB_SUITE_EXEC_H
#define QB_SUITE_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/progress.h"
#include "suite.h"

struct store;

struct suite_opts {
    bool fresh;        /* run every cell, stored or not */
    bool retry_failed; /* run the cells whose stored result failed, too */
    int verbose;       /* worker verbosity */
    double timeout_s;  /* per load and per call; 0 = none */
    enum progress_mode progress;
    const char *build;        /* "commit build_number" of the llama.cpp in use (keys) */
    int shard_from, shard_to; /* --shard: only cells [from, to) run (the plan stays whole);
                               * both 0: every cell */
};

struct suite_result {
    int n_cells;        /* in the plan */
    int n_reused;       /* stored before: not run */
    int n_run;          /* run in this run */
    int n_ok, n_failed; /* of those run */
    int n_missing;      /* cells of rungs that could not be made */
    int n_other_shard;  /* cells of other shards (--shard): not this run's */
    bool interrupted;
};

/* Make the ladder's missing rungs (each into its temporary file, renamed into place);
 * a rung that cannot be made is said on stderr and its cells are left out (*res counts
 * them). 0, or an exit code with err when nothing can go on. */
int suite_make_ladder(const struct suite *s, const struct suite_opts *o, bool *made, char *err);

/* Run cells (keys set) of s into run run_id of st: the plan, then each cell that needs
 * it. 0 when every cell is stored ok, QB_EXIT_PARTIAL when some failed, the exit code of
 * what stopped the run otherwise (a signal, a database that cannot be written) with err. */
int suite_run(const struct suite *s, const struct suite_cells *cells, struct store *st,
              int64_t run_id, const struct suite_opts *o, struct suite_result *res, char *err);

/* --dry-run: every cell with what a run would do to it (run, reuse, retry) and its
 * estimated time, to stdout; st may be NULL (no database: every cell runs). */
int suite_dry_run(const struct suite *s, const struct suite_cells *cells, struct store *st,
                  const struct suite_opts *o, char *err);

#endif
