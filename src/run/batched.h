/* batched as a function: llama-batched-bench's grid of prompt length x generation length
 * x parallel sequences over one context, in one worker; each combination gives one typed
 * result to the caller, a failed one its status and reason. */
#ifndef QB_RUN_BATCHED_H
#define QB_RUN_BATCHED_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../engine/engine.h"
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

/* The row of combination bp run with load settings mp in context cp (as given to
 * run_batched): batched-bench's fields (n_kv_max = cp's n_ctx, n_batch, ..., speed), then
 * the sds, noisy, TTFT, samples, status, error, the settings (reps and seed: bp's), where
 * it came from (runner_row_meta) and memory (mem may be NULL); r NULL: a failed
 * combination's row with status and error. The caller frees it (cJSON_Delete). */
cJSON *batched_row_json(const struct engine_model_params *mp, const struct engine_ctx_params *cp,
                        const struct runner *rn, const struct batched_params *bp,
                        const struct batched_result *r, const cJSON *mem, const char *status,
                        const char *error);

#endif
