/* Flags shared by the commands that run one model configuration (sweep, batched):
 * llama-bench's names, one value each. */
#ifndef QB_SINGLE_H
#define QB_SINGLE_H

#include <stdbool.h>

#include "../engine/engine.h"
#include "../engine/proto.h"
#include "../report/table.h"

struct single_opts {
    const char *model;             /* -m */
    struct engine_model_params mp; /* -ngl -ncmoe -ot -lm/-mmp */
    struct engine_ctx_params cp;   /* -c -b -ub -t -fa -ctk -ctv -nkvo */
    int reps;                      /* -r */
    bool no_warmup;                /* --no-warmup */
    uint64_t seed;                 /* --seed */
    double timeout_s;              /* --timeout */
    enum bench_fmt fmt;            /* -o */
    int verbose;                   /* -v */
    bool mem_cols;                 /* --mem: memory columns in md */
};

/* Defaults: n_ctx 4096, n_batch 2048, n_ubatch 512, threads = online CPUs, 1 rep, md. */
void single_opts_init(struct single_opts *o);

/* Try flag a (with value v, which may be NULL). Returns 1 and sets *used_value when it
 * is one of the shared flags, 0 when it is not, -1 with err for a bad value. */
int single_opts_flag(struct single_opts *o, const char *a, const char *v, bool *used_value,
                     char *err);

/* The shared part of the help text (static). */
extern const char single_opts_help[];

/* Check the model file and the flags against it; prints the error and returns the exit
 * code, or 0 when all is well. cmd names the command for usage errors. */
int single_opts_check(const struct single_opts *o, const char *cmd);

/* Add the configuration fields every row carries (settings, not results). */
void single_opts_json(const struct single_opts *o, cJSON *row);

#endif
