/* Flags shared by the commands that run one model configuration (sweep, batched, ctxmax,
 * quality, mem): llama-bench's names, one value each, but for -m: several models
 * (-m A -m B, -m A,B), run one after the other. */
#ifndef QB_SINGLE_H
#define QB_SINGLE_H

#include <stdbool.h>
#include <stdio.h>

#include "../engine/engine.h"
#include "../report/table.h"
#include "../run/proto.h"
#include "../util/progress.h"

#define SINGLE_MAX_MODELS 64 /* -m values in all */

struct single_opts {
    const char *model;                     /* the model being run: one of models[] */
    const char *models[SINGLE_MAX_MODELS]; /* -m, in order; point into model_buf */
    int n_models;
    char model_buf[16384];         /* the models' names */
    size_t model_buf_used;         /* bytes of model_buf taken */
    enum progress_mode progress;   /* --progress / --no-progress */
    struct engine_model_params mp; /* -ngl -ncmoe -ot -sm -mg -ts -dev -lm */
    struct engine_ctx_params cp;   /* -c -b -ub -t -fa -ctk -ctv -nkvo */
    int reps;                      /* -r */
    bool no_warmup;                /* --no-warmup */
    uint64_t seed;                 /* --seed */
    double timeout_s;              /* --timeout */
    enum bench_fmt fmt;            /* -o */
    int verbose;                   /* -v */
    bool mem_cols;                 /* --mem: memory columns in md */
    bool header_only;              /* mem: a model may be a URL or a file of its header alone */
};

/* Defaults: n_ctx 4096, n_batch 2048, n_ubatch 512, threads = online CPUs, 1 rep, md. */
void single_opts_init(struct single_opts *o);

/* Try flag a (with value v, which may be NULL). Returns 1 and sets *used_value when it
 * is one of the shared flags, 0 when it is not, -1 with err for a bad value. */
int single_opts_flag(struct single_opts *o, const char *a, const char *v, bool *used_value,
                     char *err);

/* Print the shared part of the help text: -m, the flags of the settings table
 * (record/fields.c), then -r ... -v. */
void single_opts_help(FILE *fp);
/* " -ub -t -ngl ...": the short flags (long where none) of the shared settings, but those
 * in skip (NULL-terminated), to fp */
void single_opts_flag_names(FILE *fp, const char *const *skip);

/* Check every model file and the flags against it (o->model is the first model after);
 * prints the error and returns the exit code, or 0 when all is well. cmd names the command
 * for usage errors. */
int single_opts_check(struct single_opts *o, const char *cmd);

/* -m VALUE: its comma-separated models appended to models[]; -1 with err when there are
 * more than SINGLE_MAX_MODELS or their names do not fit. */
int single_opts_add_models(struct single_opts *o, const char *v, char *err);

/* The exit code of a command run once per model from each run's: 0 when all gave 0, the
 * first failure's when none gave 0 or QB_EXIT_PARTIAL (4), else QB_EXIT_PARTIAL; 130/143
 * (a signal) wins over all. */
int single_exit_code(const int *rcs, int n);
/* Whether a run's exit code says a signal stopped it (130, 143): later models do not run */
bool single_stopped(int rc);

/* md columns of a row table: the model's file first when several models run, then base,
 * then with --mem host / GPU / peak RSS; out has room for n + SINGLE_EXTRA_COLS. */
#define SINGLE_EXTRA_COLS 4
int single_opts_cols(const struct single_opts *o, const struct table_col *base, int n,
                     struct table_col *out);

/* The progress label of cmd for o->model: "sweep", or "sweep 'B.gguf'" with several
 * models; into buf */
void single_opts_what(const struct single_opts *o, const char *cmd, char *buf, size_t n);

#endif
