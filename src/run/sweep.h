/* sweep as a function: llama-sweep-bench's PP and TG speed at each depth of one context,
 * in one worker; each timed depth is a typed point handed to the caller. */
#ifndef QB_RUN_SWEEP_H
#define QB_RUN_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "../measure/sweep.h"
#include "../record/bench_row.h"
#include "run.h"

struct runner;

struct sweep_sink {
    /* depths done of total, as the worker reports them; may be NULL */
    void (*units)(void *ud, long done, long total);
    /* one timed depth: pt with the worker that ran it (rn: model, build, load time) and its
     * memory report (may be NULL); or, when the sweep failed, pt NULL with its status and
     * reason */
    void (*point)(void *ud, const struct runner *rn, const struct sweep_point *pt, const cJSON *mem,
                  enum bench_status status, const char *err);
    bool (*stop)(void *ud); /* true: hand no further point; may be NULL */
    void *ud;
};

/* Sweep the context cp (n_ctx cells, n_ubatch per depth) with sp's n_gen, reps, stride,
 * warm-up and seed. 0 with *wall_ns the whole sweep's time (set before the first point is
 * handed out) and *n_points the depths, or -1 with *status and err after the failure went
 * to the sink. */
int run_sweep(const struct run_load *ld, const struct engine_ctx_params *cp,
              const struct sweep_params *sp, const struct sweep_sink *sink, uint64_t *wall_ns,
              int *n_points, enum bench_status *status, char *err);

#endif
