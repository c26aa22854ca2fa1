/* A worker process holding one model configuration loaded, for the commands that
 * run work items against it (bench, sweep, batched). A worker that refuses, dies or
 * times out is reported through a kind (util/exit.h), the row status it gives, and a
 * message; the next call starts a fresh worker and loads the model again. */
#ifndef QB_RUNNER_H
#define QB_RUNNER_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../engine/worker.h"
#include "../record/bench_row.h"
#include "proto.h"

struct runner_info {
    uint64_t load_ns;               /* model load time of the current worker */
    struct engine_model_info model; /* description, size, parameters */
    struct engine_build_info build; /* llama.cpp build and devices */
};

struct runner {
    const char *model;             /* borrowed */
    struct engine_model_params mp; /* load settings */
    struct work_load wl;           /* process settings */
    int verbose;                   /* worker verbosity; > 0 echoes its stderr */
    double timeout_s;              /* per load and per call; 0 = none */
    struct worker *w;              /* current worker or NULL */
    bool loaded;                   /* w holds the model */
    struct runner_info info;       /* valid while loaded */
    enum qb_kind kind;             /* of the last failure of runner_ensure / runner_call:
                                    * what the worker said, or how it died; OK after a
                                    * success */

    /* a run's units (depths, chunks) as the worker reports them; may be NULL */
    void (*on_units)(long done, long total, void *ud);
    void *units_ud; /* passed to on_units */
    /* an answer's tokens as the worker samples them (n-th, the text it made visible,
     * borrowed for the call); may be NULL */
    void (*on_token)(long n, const char *text, void *ud);
    void *token_ud; /* passed to on_token */
};

void runner_init(struct runner *r, const char *model, const struct engine_model_params *mp,
                 const struct work_load *wl, int verbose, double timeout_s);
/* Start a worker and load the model if needed. -1: r->kind says what kind of failure it
 * was, *status follows it (bench_status_of: LOAD_FAILED when llama.cpp refused the model,
 * err having its cause; CRASHED, OOM, TIMEOUT or INTERRUPTED by SIGINT / SIGTERM) and err
 * says why. */
int runner_ensure(struct runner *r, enum bench_status *status, char *err);
/* Send req (after runner_ensure) and wait for its answer; 0 with *resp the "result"
 * object (caller frees), or -1 with r->kind the kind of the failure (the one the worker's
 * error gave: input, runtime, oom; or its death's), *status following it (ERROR when the
 * worker refused, CRASHED, OOM, TIMEOUT or INTERRUPTED) and err. */
int runner_call(struct runner *r, const cJSON *req, cJSON **resp, enum bench_status *status,
                char *err);
/* After a failed call: remove what the worker was writing as path (its "path.tmp.PID"). */
void runner_remove_tmp(const struct runner *r, const char *path);
void runner_release(struct runner *r); /* stops the worker */

/* Fill r->info from a worker's "loaded" answer (its load time, model and build objects,
 * every field required); -1 with err naming the first missing one */
int runner_take_loaded(struct runner *r, const cJSON *resp, char *err);

/* Add the build, model and host a row came from (what is known: after a failed load
 * only the file and host). */
void runner_row_meta(const struct runner *r, cJSON *row);
/* The same for model as in describes it (a quantize rung: the build that made it) */
void row_meta(cJSON *row, const char *model, const struct runner_info *in);

/* A model file must be a complete GGUF: -1 with err otherwise; *n_layer from its
 * metadata (0 if unknown). */
int check_model_file(const char *path, long long *n_layer, char *err);
/* Whether model names a model not on this machine: an http(s) URL, or a Hugging Face
 * OWNER/NAME[:QUANT] that is no file here (a name ending in .gguf is always a path) */
bool model_is_remote(const char *model);
/* header_only (mem): the header alone must be whole (tensor data past the end allowed), and
 * a remote model (model_is_remote) passes unread (n_layer 0) */
int check_model_header(const char *path, bool header_only, long long *n_layer, char *err);

#endif
