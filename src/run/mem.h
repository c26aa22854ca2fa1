/* mem's measurements: the estimate from GGUF metadata (src/mem/), probes in a fresh
 * worker (llama.cpp's dry run, a real load, a real load with a full-context decode) and
 * the --budget fit. Typed parameters in, typed results out; no printing, no flags (the
 * CLI's are in src/cli/memcmd.h, its output in src/cli/memprint.c); the estimate's JSON
 * and a model's row are made here. ctxmax builds on these (ctxmax.h). */
#ifndef QB_RUN_MEM_H
#define QB_RUN_MEM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "../gguf/gguf.h"
#include "../mem/estimate.h"
#include "../record/bench_row.h"
#include "../util/util.h"

/* One model configuration, as mem and ctxmax load it */
struct mem_run_params {
    const char *model;             /* GGUF file (borrowed) */
    struct engine_model_params mp; /* load settings; mp.devices: "" all, "none", "CUDA0,.." */
    struct engine_ctx_params cp;   /* context; cp.n_seq_max and cp.kv_unified: KV streams */
    int gpus;         /* estimate for this many GPUs; -1: as many as mp.devices names, else
                       * the GPUs this build sees */
    uint64_t seed;    /* tokens of a full-context decode */
    int verbose;      /* worker verbosity; > 0 echoes its stderr */
    double timeout_s; /* per worker load and call; 0 = none */
};

/* Defaults: engine_model_params_default(), engine_ctx_params_default(), gpus -1 */
void mem_run_params_init(struct mem_run_params *p);

/* What a probe's worker measured: llama.cpp's buffers, the process's RSS, the devices'
 * memory after the probe and before its load, and how long it took. */
struct mem_probe {
    bool have_bufs;                             /* llama.cpp's buffers were read */
    struct engine_mem bufs;                     /* per buffer type; exact: bytes, else MiB lines */
    bool have_rss;                              /* the worker read its RSS */
    uint64_t rss, rss_peak, rss_anon, rss_file; /* bytes */
    int n_dev;                                  /* devices after the probe */
    struct engine_dev_mem dev[ENGINE_MAX_DEVICES];
    int n_dev_before; /* before the load; -1: not known */
    struct engine_dev_mem dev_before[ENGINE_MAX_DEVICES];
    uint64_t probe_ns, ctx_ns, load_ns; /* the probe itself, context creation, model load */
    bool occupied; /* a DEPTH probe's cells below the last ubatch were occupied, not decoded */
    cJSON *json;   /* the row form: the worker's "mem" object as it sent it, with probe_ns,
                    * ctx_ns and load_ns added (mem_probe_release) */
};

enum mem_probe_kind {
    MEM_PROBE_DRY = 0,  /* llama.cpp's dry run: plan every buffer, allocate none */
    MEM_PROBE_LOAD = 1, /* load and create the context */
    MEM_PROBE_FILL = 2, /* load, create the context and decode it full (the peak) */
    /* load, create the context, occupy the cells below the last ubatch with zeros without
     * decoding them, then decode the last ubatch and one token at full depth: the same
     * buffers and pages as FILL at a load's cost plus one ubatch (falls back to FILL where
     * the memory is not a plain KV cache: mem_probe.occupied says which ran) */
    MEM_PROBE_DEPTH = 3,
};

/* A probe of p in a fresh worker. 0 with *out (mem_probe_release), or -1 with err and *status the
 * kind of failure (LOAD_FAILED, ERROR, CRASHED, OOM, TIMEOUT, INTERRUPTED). */
int mem_run_probe(const struct mem_run_params *p, enum mem_probe_kind kind, struct mem_probe *out,
                  enum bench_status *status, char *err);

void mem_probe_release(struct mem_probe *pr); /* frees pr->json; accepts a zeroed one */
/* Sum of a probe's buffers on dev ("CPU" = host; NULL = all) */
uint64_t mem_probe_total(const struct mem_probe *pr, const char *dev);
/* GPU memory a probe took: free before its load minus free after, summed over the GPUs
 * (other processes' use stays out of it) */
uint64_t mem_probe_gpu_used(const struct mem_probe *pr);

/* One model of a mem run: its estimate, probes and budget fit */
struct mem_model {
    const char *path;     /* borrowed */
    struct gf_file *f;    /* its metadata */
    struct mem_params mp; /* the estimate's settings */
    struct mem_estimate est;
    bool have_dry, have_meas;                       /* dry and meas hold a probe */
    struct mem_probe dry, meas;                     /* llama.cpp's dry run, the --measure probe */
    char dry_err[QB_ERR_LEN], meas_err[QB_ERR_LEN]; /* why a probe failed, "" */
    char other_hw[QB_ERR_LEN];     /* why the estimate is for other hardware than this
                                    * machine's (gpus, devices), "" when it is for this one */
    uint32_t fit_ctx;              /* budget: largest context that fits (0 none) */
    bool fit_capped;               /* fit_ctx is the model's training context: more would fit */
    enum bench_status meas_status; /* the measurement's: OK, or how it failed (meas_err) */
    bool header_only;              /* planned from the header alone (a URL, or a file without
                                    * its tensor data): no dry run, no --measure */
    bool no_data;                  /* other_hw says why the data is not here (header_only) */
    uint64_t header_bytes;         /* bytes of the file read for the plan */
    uint32_t fit_np;               /* budget: most parallel sequences of fit_np_ctx tokens
                                    * each that fit beside the others (0 none) */
    uint32_t fit_np_ctx;           /* ... the context per sequence it was solved at */
    bool fit_np_capped;            /* fit_np_ctx was cut to the training context */
};

/* The metadata and tensor directory of model, never its tensor data: a path read
 * header-only (tensor data past its end allowed: f->data_absent), or (model_is_remote) an
 * http(s) URL or a Hugging Face OWNER/NAME[:QUANT] (net/hf.h resolves it; a split model:
 * every part's header, their tensors as one file) read with Range requests: a first 1 MiB,
 * more only when the header is longer. 0 with *f and *bytes (bytes read); QB_EXIT_INPUT (no
 * GGUF, a truncated header, HTTP 404, no such quant) or QB_EXIT_FAIL (network, HTTP
 * errors), QB_EXIT_SIGINT / SIGTERM for a signal, with err. */
int mem_read_header(const char *model, struct gf_file **f, uint64_t *bytes, char *err);

/* Fill mp from p: GPUs from p->gpus, else as many as p->mp.devices names, else the ones
 * this build sees */
void mem_run_mem_params(const struct mem_run_params *p, struct mem_params *mp);

/* Read p->model's header (mem_read_header, unless m->f is set) and estimate into m. 0;
 * QB_EXIT_INPUT with err (the file or its metadata); QB_EXIT_USAGE with err (the settings: a bad
 * -ot, quantized V without flash attention, ...). An -ot pattern that matches nothing is in
 * m->est.unmatched. */
int mem_run_estimate(const struct mem_run_params *p, struct mem_model *m, char *err);

/* What a mem run does beyond the estimate */
struct mem_run_want {
    bool dry;        /* llama.cpp's dry run (n/a for an estimate for other hardware) */
    bool measure;    /* a real load; refused for other hardware */
    bool fill;       /* ... and a full-context decode */
    uint64_t budget; /* bytes; 0 = none: else each model's fit_ctx */
};

/* Things a mem run tells as it goes; any may be NULL */
struct mem_run_events {
    void (*on_estimate)(const struct mem_model *m, void *ud); /* after each model's estimate */
    void *ud;                                                 /* passed to each */
};

/* mem: estimate models[0..n) with p (p->model is ignored) into m[0..n) (zeroed by the
 * caller, released with mem_model_release), then the probes w asks for, then the budget
 * fit. Returns 0; QB_EXIT_PARTIAL when a probe failed (its *_err says why; the rest ran);
 * or, before any probe, QB_EXIT_INPUT / QB_EXIT_USAGE with err. */
int mem_run(const struct mem_run_params *p, const char *const *models, int n,
            const struct mem_run_want *w, const struct mem_run_events *ev, struct mem_model *m,
            char *err);

/* llama.cpp's most parallel sequences (LLAMA_MAX_SEQ) */
#define MEM_MAX_SEQ 256
/* budget, parallel sequences: m->fit_np, the most sequences of m's context per sequence
 * (n_ctx_seq: -c / -np as llama.cpp divides it, cut to the training context and
 * m->fit_np_capped set then) whose plan fits limit beside extra bytes; m->fit_np_ctx that
 * context */
void mem_model_fit_np(struct mem_model *m, uint64_t extra, uint64_t limit);

/* The device a budget applies to: the first GPU when there is one, else the host */
const char *mem_model_budget_dev(const struct mem_model *m);
/* The models' plans (estimates and bounds) together, on their budget devices */
uint64_t mem_models_need(const struct mem_model *m, int n);
/* Whether m's estimate at n_ctx on its budget device, plus extra bytes, fits limit */
bool mem_model_fits(const struct mem_model *m, uint32_t n_ctx, uint64_t extra, uint64_t limit);
/* The largest multiple of step below hi * step for which mem_model_fits; 0 when none */
uint32_t mem_model_fit(const struct mem_model *m, uint32_t step, uint32_t hi, uint64_t extra,
                       uint64_t limit);
/* budget: each model's largest context (a multiple of 256, at most its training context)
 * whose estimate fits beside the others' */
void mem_run_budget(struct mem_model *m, int n, uint64_t budget);
/* "the estimate is for other hardware (...); ..." when m->other_hw is set (static, do not
 * free; overwritten by the next call) */
const char *mem_model_other_hw_note(const struct mem_model *m);
void mem_model_release(struct mem_model *m); /* accepts a zeroed one */

/* An estimate as mem -o json prints it: n_ctx, n_ctx_seq, n_ctx_train, flash_attn,
 * kv_bytes_per_cell, the parts (per buffer type: buft, dev and bytes of model, context,
 * compute, output), per device their sums and total, and total_bytes. The caller frees it
 * (cJSON_Delete). */
cJSON *mem_estimate_json(const struct mem_estimate *e);

/* A model's mem result as a row (kind mem): model_filename, model_id, the settings of p
 * (row_settings_json, reps 1, p's seed; n_seq, kv_unified), status (ok, or how the
 * measurement failed) and error, the estimate (mem_estimate_json; its total_bytes also
 * flat), fit_ctx and fit_ctx_capped (0 and false without a budget), the dry run (or why it
 * failed) and the measurement when made (the probes' row forms), then the measurement's
 * rss_peak_bytes, mem_gpu_bytes and load_ns flat (0 without one). The caller frees it
 * (cJSON_Delete). */
cJSON *mem_model_row_json(const struct mem_run_params *p, const struct mem_model *m);

#endif
