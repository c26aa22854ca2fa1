/* ctxmax's measurement: the largest context (a multiple of a step) that loads AND runs.
 * Each probe is a fresh worker that loads the model, creates the context, occupies the
 * cells below the last ubatch without decoding them and decodes that ubatch and one token
 * at full depth (mem.h's MEM_PROBE_DEPTH: the buffers and pages of a full decode at the
 * cost of a load and one ubatch). Seeded with mem's estimate, then galloping from the
 * seed and bisection; a probe that runs out of memory, crashes, times out or (with a
 * budget, on the host) peaks above the budget has failed, and the search goes on. The
 * answer is then checked once by a real full decode (MEM_PROBE_FILL); where that fails
 * the answer steps down until one passes (4 checks at most, then there is no answer). full_fill:
 * every probe a full decode (the old way, quadratic in n_ctx), no check. No printing: results and
 * progress go to the caller's callbacks. */
#ifndef QB_RUN_CTXMAX_H
#define QB_RUN_CTXMAX_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

struct ctxmax_params {
    struct mem_run_params run; /* the settings; run.model and run.cp.n_ctx are set per probe */
    int step;                  /* granularity of the answer */
    int max;                   /* largest context to try; 0 = the model's training context */
    uint64_t budget;           /* host bytes a probe's peak RSS may take; 0 = none */
    bool full_fill;            /* every probe decodes the whole context; no final check */
    bool no_check;             /* no final check (its full decode is what the probes avoid) */
};

struct ctxmax_probe {
    uint32_t n_ctx;
    bool ok;
    char reason[QB_ERR_LEN]; /* why it failed, "" */
    uint64_t rss_peak;       /* bytes, the worker's peak RSS */
    uint64_t gpu_used;       /* bytes the probe took on the GPUs */
    double time_s;           /* the whole probe, worker start to its end */
    bool full;               /* a full decode (MEM_PROBE_FILL), else MEM_PROBE_DEPTH */
    bool occupied;           /* the cells below the last ubatch were occupied, not decoded */
    bool check;              /* the final check of the answer (a full decode) */
};

/* One model's search: what mem's estimate says before any probe, then the probes */
struct ctxmax_model {
    struct mem_model m;     /* the estimate at one step */
    int max;                /* the params' max, else the training context; a multiple of step */
    uint64_t limit;         /* the memory the estimate must fit (budget, or a GPU's free) */
    int seed;               /* mem's estimate of the answer */
    struct ctxmax_probe *p; /* the probes in the order they ran (ctxmax_model_release) */
    int n;                  /* probes in p */
    int answer;             /* the largest context that ran (and passed the check); 0: none */
    int searched;           /* the search's answer before the final check */
    bool checked;           /* the final full decode passed at answer */
    int stepped_down;       /* steps the answer went down because the check failed */
    bool interrupted;       /* a signal ended the search: answer is the largest so far */
};

/* What a ctxmax run tells as it goes; any may be NULL. k is the model's index. */
struct ctxmax_events {
    void (*on_estimate)(const struct mem_model *m, void *ud);        /* each model's estimate */
    void (*on_start)(int k, const struct ctxmax_model *c, void *ud); /* before k's probes */
    /* after each probe: probes done, and done plus what the search may still need (the
     * final check counted as one) */
    void (*on_probe)(int k, const struct ctxmax_probe *p, int done, int total, void *ud);
    /* model k's search ended (c is complete); nonzero: run no further model */
    int (*on_row)(int k, const struct ctxmax_model *c, void *ud);
    void *ud; /* passed to each */
};

/* Estimate every model of models[0..n) and check the params against it, all before the
 * first probe, into c[0..n) (zeroed by the caller; ctxmax_model_release each); then
 * search them one after the other until a signal or on_row says stop. Returns 0 with
 * *n_run the models searched; or QB_EXIT_INPUT / QB_EXIT_USAGE with err before any probe
 * (a --max below --step, a budget below the weights, a model's estimate). */
int ctxmax_run(const struct ctxmax_params *p, const char *const *models, int n,
               const struct ctxmax_events *ev, struct ctxmax_model *c, int *n_run, char *err);

/* A model's search as its row (kind ctxmax; what ctxmax -o json prints): model (and
 * model_filename, model_id), status (ok, failed, or interrupted: the largest context so
 * far), n_ctx_max, the search's settings and estimate, the final check (searched_n_ctx,
 * checked, stepped_down, full_fill) and every probe (with fill: "occupied", "decoded" or
 * "full", and check). The caller frees it (cJSON_Delete). */
cJSON *ctxmax_row_json(const struct ctxmax_params *cp, const char *model,
                       const struct ctxmax_model *c);

/* How a probe filled the context below its last ubatch: "full" (a full decode),
 * "occupied" (zeros, not decoded) or "decoded" (a DEPTH probe that fell back, or one that
 * failed before it could tell) */
/* Where the line through the measured memory m_good at step good (it fit) and m_bad at
 * step bad (it did not) meets limit, in steps strictly between them (the search probes
 * there); 0 where it cannot tell (an end not measured, memory not growing, the interval
 * closed, the limit outside the two). */
int ctxmax_interpolate(int good, uint64_t m_good, int bad, uint64_t m_bad, uint64_t limit);

const char *ctxmax_probe_fill(const struct ctxmax_probe *p);

void ctxmax_model_release(struct ctxmax_model *c); /* accepts a zeroed one */

#endif
