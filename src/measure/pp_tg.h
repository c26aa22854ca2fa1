/* pp / tg / pp+tg at a depth, as DESIGN.md defines them and llama-bench measures
 * them: random tokens (BOS first when the vocabulary adds one), prompt in n_batch
 * chunks timed from the first decode to the synchronize after the last, generation
 * as single-token decodes each synchronized, one untimed warm-up, the depth filled
 * once and restored from a snapshot before every repetition. Knows engine.h only. */
#ifndef QB_PP_TG_H
#define QB_PP_TG_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"

struct pp_tg_params {
    int n_prompt;   /* prompt tokens per repetition (0 = none) */
    int n_gen;      /* generated tokens per repetition (0 = none) */
    int n_depth;    /* tokens already in the KV cache before each repetition */
    int n_batch;    /* prompt chunk size */
    int reps;       /* timed repetitions */
    int n_threads;  /* threads (generation and batch) */
    bool no_warmup; /* skip the untimed warm-up */
    uint64_t seed;  /* token generator seed */
};

struct pp_tg_result {
    int n;              /* repetitions done */
    uint64_t *total_ns; /* per repetition: prompt + generation time */
    uint64_t *pp_ns;    /* per repetition: prompt time (0 if no prompt) */
    uint64_t *tg_ns;    /* per repetition: generation time (0 if no generation) */
    uint64_t *ttft_ns;  /* per repetition: prompt + first generated token (0 if either is absent) */
    uint64_t warmup_ns; /* time the warm-up took (0 if skipped) */
    uint64_t depth_ns;  /* time to fill the depth once (0 if none) */
};

/* Run the test on e, whose context must already exist with n_ctx >= depth+prompt+gen.
 * r's arrays are allocated here (free with pp_tg_result_release). 0 ok, -1 with err;
 * on failure r holds the repetitions that completed. */
int pp_tg_run(struct engine *e, const struct pp_tg_params *p, struct pp_tg_result *r, char *err);
void pp_tg_result_release(struct pp_tg_result *r);

/* Tokens per second of repetition i as llama-bench counts it: (prompt+gen)/total */
double pp_tg_ts(const struct pp_tg_params *p, uint64_t ns);

#endif
