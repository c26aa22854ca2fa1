/* The parameters of one unit of work for a worker: the test (what to measure, the
 * context it needs) and the process settings of the worker that runs it. Typed; the
 * protocol (run/proto.c) converts them to and from JSON. */
#ifndef QB_PARAMS_H
#define QB_PARAMS_H

#include <stdbool.h>

#include "../engine/engine.h"
#include "../measure/batched.h"
#include "../measure/pp_tg.h"
#include "../measure/ppl.h"
#include "../measure/prompts.h"
#include "../measure/sweep.h"

/* One test to run in a loaded worker: the context it needs and what to measure. */
enum work_kind {
    WORK_PP_TG = 0,   /* bench: pt */
    WORK_SWEEP = 1,   /* sweep: sw */
    WORK_BATCHED = 2, /* batched: bt */
    WORK_PROBE = 3,   /* mem --measure, ctxmax: create the context, optionally fill it */
    WORK_PPL = 4,     /* quality: perplexity of a text file */
    WORK_PROMPTS = 5, /* prompts: the answer to one prompt */
};

/* What a WORK_PPL run does besides the perplexity of its text */
enum work_ppl_mode {
    WORK_PPL_PLAIN = 0,     /* the perplexity only */
    WORK_PPL_SAVE_BASE = 1, /* also write the log-probabilities into base_path */
    WORK_PPL_KLD = 2,       /* KL-divergence against base_path (its tokens, not a text's) */
    WORK_PPL_IMATRIX = 3,   /* collect an importance matrix into base_path */
};

struct work_test {
    int id;                      /* echoed back in the result */
    enum work_kind kind;         /* which measurement, and which params below apply */
    struct sweep_params sw;      /* kind WORK_SWEEP */
    struct batched_params bt;    /* kind WORK_BATCHED */
    struct engine_ctx_params cp; /* context to create for this test */
    struct pp_tg_params pt;      /* what to measure */
    double delay_s;              /* sleep before the test (cool-down, llama-bench's --delay) */
    bool probe_fill;   /* WORK_PROBE: decode up to n_ctx (the last ubatch and one token at depth) */
    bool probe_occupy; /* WORK_PROBE with probe_fill: occupy the cells below the last ubatch
                        * with zeros instead of decoding them (engine_seq_occupy) */
    struct ppl_params pl;        /* WORK_PPL */
    char text_path[1024];        /* WORK_PPL: the text, read and tokenized by the worker */
    enum work_ppl_mode ppl_mode; /* WORK_PPL: what besides the perplexity */
    char base_path[1024];        /* WORK_PPL: base log-probabilities (llama-perplexity's format) */
    int topk;        /* WORK_PPL_SAVE_BASE: 0 llama-perplexity's format, k: compact top-k */
    bool imx_output; /* WORK_PPL_IMATRIX: also output.weight (llama-imatrix
                      * --process-output) */
    struct prompts_gen_params gen; /* WORK_PROMPTS: max_tokens, sampling, stop strings */
    const char *system;            /* WORK_PROMPTS: the system prompt ("" or NULL: none) */
    const char *prompt; /* WORK_PROMPTS: the user's prompt. Both borrowed: from the caller
                         * (proto_run_req), or the request parsed (proto_parse_run) */
};

/* Settings of a model load beyond the engine's: process-wide ones. */
struct work_load {
    int numa; /* NUMA strategy (engine_numa_init), applied on the worker's first load */
    int prio; /* process priority (engine_set_process_priority) */
};

#endif
