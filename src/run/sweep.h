/* sweep as a function: llama-sweep-bench's PP and TG speed at each depth of one context,
 * in one worker; each timed depth is a typed point handed to the caller. */
#ifndef QB_RUN_SWEEP_H
#define QB_RUN_SWEEP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"
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

/* What a sweep's rows say besides a point: the settings it ran with */
struct sweep_row_args {
    const struct engine_model_params *mp; /* load settings */
    const struct engine_ctx_params *cp;   /* the context: n_ubatch is the prompt per depth */
    const struct sweep_params *sp;        /* n_gen, reps and seed */
    uint64_t wall_ns;                     /* the whole sweep's time (run_sweep's; 0 failed) */
};

/* The row of one timed depth pt (sweep-bench's fields n_kv, pp, tg, t_pp, speed_pp, t_tg,
 * speed_tg, then the sds, samples, noisy, status, error, settings, where it came from
 * (runner_row_meta), memory (mem may be NULL) and sweep_wall_ns); or, pt NULL, the row of
 * a failed sweep with status and error. The caller frees it (cJSON_Delete). */
cJSON *sweep_row_json(const struct sweep_row_args *a, const struct runner *rn,
                      const struct sweep_point *pt, const cJSON *mem, const char *status,
                      const char *error);

#endif
