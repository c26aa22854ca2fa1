/* sweep: PP and TG speed at increasing context depth in one pass (ik_llama.cpp's
 * llama-sweep-bench). For n_kv = 0, ub, 2ub, ... < n_ctx: time T single-token
 * generation steps at depth n_kv, remove them, time one ubatch of prompt at n_kv
 * (which stays, so the next depth is n_kv + ub). With reps > 1 each depth's tg and pp
 * are repeated (the extra pp runs removed again), so every point has a spread; with
 * stride k only every k-th depth is timed, the others are filled untimed.
 * Knows engine.h only. */
#ifndef QB_SWEEP_H
#define QB_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"

struct sweep_params {
    int n_ctx;      /* depths run while n_kv < n_ctx */
    int n_ubatch;   /* prompt tokens per step (the depth increment) */
    int n_gen;      /* generated tokens per depth (T) */
    int reps;       /* timed repetitions per depth */
    int stride;     /* time every stride-th depth (1 = all) */
    int n_threads;  /* threads */
    bool no_warmup; /* skip the one-token warm-up */
    uint64_t seed;  /* token generator seed */
    void (*progress)(void *ud, int done, int total); /* after each timed depth; may be NULL */
    void *progress_ud;                               /* passed to progress */
};

struct sweep_point {
    int n_kv;        /* depth the point was measured at */
    int n;           /* repetitions */
    uint64_t *pp_ns; /* per repetition: one ubatch of prompt */
    uint64_t *tg_ns; /* per repetition: n_gen generated tokens */
};

struct sweep_result {
    int n_points;
    struct sweep_point *points;
    uint64_t wall_ns; /* whole sweep, fills included */
};

/* Run the sweep on e (context created with n_ctx cells). 0 ok, -1 with err; on
 * failure r holds the points completed. Free r with sweep_result_release. */
int sweep_run(struct engine *e, const struct sweep_params *p, struct sweep_result *r, char *err);
void sweep_result_release(struct sweep_result *r);

#endif
