/* bench as a function: a plan of tests (llama-bench's pp, tg and pp+tg at a depth) in
 * groups, one group per model load, run in worker processes; every test gives one typed
 * row (struct bench_row) to the caller's callback, failed ones too (with their status and
 * reason). bench, quantize's rungs and the suite call this; nobody parses bench's output.
 *
 *   struct bench_plan p = {0};
 *   struct bench_group *g = bench_plan_group(&p, "m.gguf", &mp);
 *   struct work_test t;
 *   bench_test_init(&t);            -- llama-bench's defaults
 *   bench_group_add(g, &t, 512, 0); -- pp512
 *   bench_run(&p, &sink);
 *   bench_plan_free(&p);
 */
#ifndef QB_RUN_BENCH_H
#define QB_RUN_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/engine.h"
#include "../record/bench_row.h"
#include "../record/params.h"

/* The tests of one model load */
struct bench_group {
    char *model;                   /* the model's file (owned) */
    struct engine_model_params mp; /* its load settings */
    struct work_test *tests;       /* in run order; ids are their indexes */
    size_t n_tests;
};

struct bench_plan {
    struct bench_group *groups;
    size_t n_groups;
    struct work_load wl; /* process settings of every worker (numa, priority) */
    int procs;           /* > 1: each test's repetitions spread over this many fresh workers */
    int verbose;         /* worker verbosity; > 0 echoes its stderr */
    double timeout_s;    /* per load and per test; 0 = none */
};

/* What bench_run hands its caller. Every callback may be NULL. */
struct bench_sink {
    /* before a test runs: its row so far (model, settings; no samples), for progress */
    void (*start)(void *ud, const struct bench_row *row);
    /* a finished row (ok or not; bench_row_finish done); released after the call */
    void (*row)(void *ud, struct bench_row *row);
    /* true: run no further test (e.g. a row could not be stored); SIGINT / SIGTERM stop
     * the run too (util/sig.h) */
    bool (*stop)(void *ud);
    void *ud;
};

/* llama-bench's defaults for a test: batch 2048, ubatch 512, f16 caches, flash attention
 * auto, poll 50, no CPU mask, threads = online CPUs, 5 repetitions, seed 1 */
void bench_test_init(struct work_test *t);

/* A new group at the end of p (the model's name is copied) */
struct bench_group *bench_plan_group(struct bench_plan *p, const char *model,
                                     const struct engine_model_params *mp);
/* Append t as a pp / tg / pp+tg test of pp prompt and tg generated tokens; its context
 * is pp + tg + its depth */
void bench_group_add(struct bench_group *g, const struct work_test *t, int pp, int tg);
size_t bench_plan_tests(const struct bench_plan *p);
void bench_plan_free(struct bench_plan *p);

/* Run every test of p in order, each row to sink->row. A model that does not load fails
 * every test of its group the same way. */
void bench_run(const struct bench_plan *p, const struct bench_sink *sink);

#endif
