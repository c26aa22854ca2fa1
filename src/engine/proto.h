/* The JSON-lines protocol between the parent and a worker process. One JSON
 * object per line. Parent -> worker: {"op":"load",...}, {"op":"run",...},
 * {"op":"quit"}. Worker -> parent: {"ev":"loaded",...}, {"ev":"result",...},
 * {"ev":"error","msg":...}. This file converts our structs to and from those
 * objects; it does no I/O. */
#ifndef QB_PROTO_H
#define QB_PROTO_H

#include <cjson/cJSON.h>

#include "../measure/batched.h"
#include "../measure/pp_tg.h"
#include "../measure/ppl.h"
#include "../measure/sweep.h"
#include "engine.h"

#define PROTO_MAX_LINE (16u << 20) /* longest line either side accepts */

/* One test to run in a loaded worker: the context it needs and what to measure. */
enum work_kind {
    WORK_PP_TG = 0,   /* bench: pt */
    WORK_SWEEP = 1,   /* sweep: sw */
    WORK_BATCHED = 2, /* batched: bt */
    WORK_PROBE = 3,   /* mem --measure, ctxmax: create the context, optionally fill it */
    WORK_PPL = 4,     /* quality: perplexity of a text file */
};

struct work_test {
    int id;                      /* echoed back in the result */
    enum work_kind kind;         /* which measurement, and which params below apply */
    struct sweep_params sw;      /* kind WORK_SWEEP */
    struct batched_params bt;    /* kind WORK_BATCHED */
    struct engine_ctx_params cp; /* context to create for this test */
    struct pp_tg_params pt;      /* what to measure */
    double delay_s;              /* sleep before the test (cool-down, llama-bench's --delay) */
    bool probe_fill; /* WORK_PROBE: decode up to n_ctx (the last ubatch and one token at depth) */
    struct ppl_params pl; /* WORK_PPL */
    char text_path[1024]; /* WORK_PPL: the text, read and tokenized by the worker */
    int ppl_mode;         /* WORK_PPL: 0 perplexity, 1 also save base_path, 2 KLD vs base_path,
                           * 3 importance matrix into base_path */
    char base_path[1024]; /* WORK_PPL: base log-probabilities (llama-perplexity's format) */
    int topk;             /* WORK_PPL mode 1: 0 llama-perplexity's format, k: compact top-k */
    bool imx_output;      /* WORK_PPL mode 3: also output.weight (llama-imatrix --process-output) */
};

/* Settings of a model load beyond the engine's: process-wide ones. */
struct work_load {
    int numa; /* NUMA strategy (engine_numa_init), applied on the worker's first load */
    int prio; /* process priority (engine_set_process_priority) */
};

/* Returned cJSON objects are the caller's (cJSON_Delete). */
cJSON *proto_load_req(const char *model, const struct engine_model_params *mp,
                      const struct work_load *wl);
cJSON *proto_run_req(const struct work_test *t);

/* Parse requests; 0 ok, -1 with err. model is borrowed from req. */
int proto_parse_load(const cJSON *req, const char **model, struct engine_model_params *mp,
                     struct work_load *wl, char *err);
int proto_parse_run(const cJSON *req, struct work_test *t, char *err);

/* Helpers for reading fields: 0 ok, -1 with err naming the field. */
int proto_get_int(const cJSON *o, const char *key, int64_t *out, char *err);
int proto_get_u64_array(const cJSON *o, const char *key, uint64_t **out, int *n, char *err);
cJSON *proto_u64_array(const uint64_t *v, int n);

#endif
