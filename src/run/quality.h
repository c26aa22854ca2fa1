/* quality as one run function: the perplexity of a text by llama-perplexity's method
 * (measure/ppl.h) in a worker holding the model, optionally writing the model's
 * log-probabilities as a base file, the KL-divergence against such a file, or an
 * importance matrix as llama-imatrix collects it. Typed parameters in, a typed row to the
 * caller's callback; it prints nothing. quality and quantize (--imatrix-from, --quality)
 * run it; the quality row's JSON is made here too. */
#ifndef QB_QUALITY_H
#define QB_QUALITY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "../measure/kld.h"
#include "../record/params.h"
#include "../util/exit.h"
#include "runner.h"

struct quality_params {
    const char *model;             /* borrowed */
    struct engine_model_params mp; /* load settings */
    struct engine_ctx_params cp;   /* n_ctx: tokens per chunk (KLD: the base file's), n_batch:
                                    * per decode; the context is ppl_ctx_params' of them */
    enum work_ppl_mode mode;       /* what besides the perplexity */
    const char *text;              /* the text; NULL with KLD (the base file's tokens) */
    const char *corpus;            /* the corpus name the text is, for the row; may be NULL */
    const char *base;              /* SAVE_BASE: written; KLD: read; IMATRIX: the matrix written */
    int n_chunks;                  /* chunks to score; <= 0: all */
    int topk;                      /* SAVE_BASE: 0 llama-perplexity's format, k: compact top-k */
    bool imx_output;  /* IMATRIX: also output.weight (llama-imatrix --process-output) */
    uint64_t seed;    /* recorded in the row */
    int verbose;      /* worker verbosity */
    double timeout_s; /* per load and per run; 0 = none */
};

/* A finished run: what the row says. Pointers are valid during the row callback only. */
struct quality_row {
    const struct quality_params *p;
    const char *text;               /* the text (KLD: the base file) */
    int n_tokens, n_ctx, n_chunks;  /* tokens of the text, per chunk (as run), scored */
    long long count;                /* tokens scored */
    double nll, nll2, ppl, ppl_err; /* sums of -log p and its square; PPL and its error */
    uint64_t ppl_ns;                /* time of the decodes and scoring */
    const double *chunk_ppl;        /* running PPL after each chunk (n_chunks) */
    struct engine_ctx_params cp;    /* the context as run */
    bool has_kld;                   /* KLD: kld holds the statistics */
    struct kld_stats kld;           /* llama-perplexity's KL-divergence statistics */
    const cJSON *mem;               /* the worker's memory report (may be NULL) */
    const struct runner *rn;        /* the model, build and host it came from */
};

struct quality_sink {
    /* the row of a finished run; may be NULL */
    void (*row)(const struct quality_row *r, void *ud);
    void *ud; /* passed to row */
    /* chunks done as the worker finishes them (e.g. progress_units); may be NULL */
    void (*units)(long done, long total, void *units_ud);
    void *units_ud; /* passed to units */
};

/* Run p: on success the row goes to sink->row and QB_KIND_OK is returned (or, after it,
 * a RUNTIME failure to write SAVE_BASE's FILE.model); otherwise the kind of the failure
 * (INPUT: the text unreadable or too short, a bad base file; RUNTIME, OOM, CRASH, TIMEOUT,
 * INTERRUPTED) with err. What a failed worker was writing as p->base is removed. */
enum qb_kind quality_run(const struct quality_params *p, const struct quality_sink *sink,
                         char *err);

/* KLD: base must be a base log-probability file that model's vocabulary and, when base has
 * a FILE.model beside it, model's shape fit; QB_KIND_INPUT with err when not, and its
 * chunk size into *n_ctx when it may be NULL. */
enum qb_kind quality_check_base(const char *base, const char *model, int *n_ctx, char *err);

/* The quality fields of r into row (text, scores, base files, kld, status "ok"), then the
 * items of settings (the settings as run; may be NULL), then where it came from
 * (runner_row_meta). */
void quality_row_json(const struct quality_row *r, const cJSON *settings, cJSON *row);

/* The whole row of a quality run (kind quality; quality and quantize --quality store it):
 * quality_row_json's fields with the settings as r ran them (r->p's load and context
 * settings with r's chunk size and batches, reps, r->p's seed), then its memory. The
 * caller frees it (cJSON_Delete). */
cJSON *quality_row_new(const struct quality_row *r, int reps);

/* KL-divergence statistics to and from JSON, one field table for both (the worker sends
 * them, the row carries them); the returned object is the caller's. */
cJSON *quality_kld_json(const struct kld_stats *s);
int quality_kld_from_json(const cJSON *o, struct kld_stats *s, char *err);

#endif
