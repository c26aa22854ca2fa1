/* batched as a function: llama-batched-bench's grid of prompt length x generation length
 * x parallel sequences over one context, in one worker; each combination gives one typed
 * result to the caller, a failed one its status and reason. */
#ifndef QB_RUN_BATCHED_H
#define QB_RUN_BATCHED_H

#include <stdbool.h>
#include <stddef.h>

#include "../measure/batched.h"
#include "../record/bench_row.h"
#include "run.h"

struct runner;

struct batched_sink {
    /* one combination bp: r with the worker that ran it (rn: model, build, load time) and
     * its memory report (may be NULL); or r NULL with the status and reason it failed */
    void (*row)(void *ud, const struct runner *rn, const struct batched_params *bp,
                const struct batched_result *r, const cJSON *mem, enum bench_status status,
                const char *err);
    bool (*stop)(void *ud); /* true: run no further combination; may be NULL */
    void *ud;
};

/* The grid: every pp x tg x pl (in that nesting), each with base's shared, reps, warm-up
 * and seed */
struct batched_grid {
    const int *pp, *tg, *pl;
    size_t n_pp, n_tg, n_pl;
    struct batched_params base;
};

/* Run the grid in one context cp (sized for the largest pl; poll -1, as batched-bench
 * attaches no threadpool). A combination that needs more KV cells than cp's n_ctx fails
 * with status error before it runs. SIGINT / SIGTERM stop it too. */
void run_batched(const struct run_load *ld, const struct engine_ctx_params *cp,
                 const struct batched_grid *g, const struct batched_sink *sink);

#endif
