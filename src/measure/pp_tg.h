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
    int n_prompt;      /* prompt tokens per repetition (0 = none) */
    int n_gen;         /* generated tokens per repetition (0 = none) */
    int n_depth;       /* tokens already in the KV cache before each repetition */
    int n_batch;       /* prompt chunk size */
    int reps;          /* timed repetitions; with auto_reps the most to do */
    int n_threads;     /* threads (generation and batch) */
    bool no_warmup;    /* skip the untimed warm-up */
    uint64_t seed;     /* token generator seed */
    bool auto_reps;    /* repeat until the 95% CI is narrow enough or time runs out */
    int min_reps;      /* auto: at least this many repetitions */
    double rel_ci;     /* auto: stop when ci95 half-width / mean <= this (0.02 = 2%) */
    double max_time_s; /* auto: stop once the timed repetitions took this long */
};

enum pp_tg_stop {
    PP_TG_STOP_REPS = 0, /* did the fixed (or maximum) number of repetitions */
    PP_TG_STOP_CI,       /* auto: the confidence interval reached the target */
    PP_TG_STOP_TIME,     /* auto: the time budget ran out */
};

/* The filled KV state of one depth, kept across tests so a depth is filled once per
 * model load (as llama-bench does); caller-owned, release with depth_cache_release. */
struct depth_cache {
    int depth; /* tokens in the snapshot; 0 = empty */
    void *buf; /* sequence state */
    size_t n;  /* bytes in buf */
    int fills; /* times a depth was filled (for tests and the row) */
};

void depth_cache_release(struct depth_cache *dc);

struct pp_tg_result {
    int n;              /* repetitions done */
    uint64_t *total_ns; /* per repetition: prompt + generation time */
    uint64_t *pp_ns;    /* per repetition: prompt time (0 if no prompt) */
    uint64_t *tg_ns;    /* per repetition: generation time (0 if no generation) */
    uint64_t *ttft_ns;  /* per repetition: prompt + first generated token (0 if either is absent) */
    uint64_t warmup_ns; /* time the warm-up took (0 if skipped) */
    uint64_t depth_ns;  /* time to fill the depth (0 if none or restored from the cache) */
    int depth_fills;    /* fills done by this run (0 when the cache served it) */
    enum pp_tg_stop stop; /* why the repetitions ended */
};

/* Run the test on e, whose context must already exist with n_ctx >= depth+prompt+gen.
 * dc may be NULL (the depth is then filled once for this run). r's arrays are
 * allocated here (free with pp_tg_result_release). 0 ok, -1 with err; on failure r
 * holds the repetitions that completed. */
int pp_tg_run(struct engine *e, const struct pp_tg_params *p, struct depth_cache *dc,
              struct pp_tg_result *r, char *err);
void pp_tg_result_release(struct pp_tg_result *r);
const char *pp_tg_stop_name(enum pp_tg_stop s); /* static, do not free */

/* Tokens per second of repetition i as llama-bench counts it: (prompt+gen)/total */
double pp_tg_ts(const struct pp_tg_params *p, uint64_t ns);

#endif
