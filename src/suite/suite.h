/* A suite: models x settings x tests from one JSON file (README "Suites"), validated
 * whole before anything runs, and expanded into cells: one model, one combination of
 * settings and one test each, with a content key (the model's identity, the test, its
 * settings as run, the llama.cpp build and the harness version) that a rerun finds in
 * the database. Parsing and expanding only; suite/exec.h runs the cells. */
#ifndef QB_SUITE_H
#define QB_SUITE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "../grade/set.h"
#include "../measure/prompts.h"
#include "../record/params.h"

/* The harness version in every key: a change to what a cell measures bumps it */
#define SUITE_HARNESS "quantbench-cell-1"

enum suite_kind {
    SUITE_BENCH,   /* llama-bench's pp, tg, pp+tg at a depth */
    SUITE_SWEEP,   /* sweep-bench over depths */
    SUITE_BATCHED, /* batched-bench's pp x tg x pl grid */
    SUITE_MEM,     /* the estimate and a measured load */
    SUITE_CTXMAX,  /* the largest context that runs */
    SUITE_QUALITY, /* perplexity on a corpus */
    SUITE_PROMPTS, /* a prompt set's answers, timed and graded */
};

/* One entry of "tests", with every parameter set (defaults filled in) */
struct suite_test {
    enum suite_kind kind;
    const cJSON *json; /* its object in the suite (for settings given at test level) */
    int n_pp, n_tg, n_pg, n_depth;
    int pp[64], tg[64], pg[64][2], depth[64];           /* bench: -p -n -pg -d */
    int reps;                                           /* -r (bench 5, else 1) */
    bool no_warmup;                                     /* bench, sweep, batched */
    int sweep_n;                                        /* sweep: -n (0: ubatch / 4) */
    int npp[64], ntg[64], npl[64], n_npp, n_ntg, n_npl; /* batched */
    bool shared;                                        /* batched --shared-prompt */
    bool measure, fill;                                 /* mem */
    int step, max;                                      /* ctxmax */
    char corpus[64];                                    /* quality: a corpus name, or "" */
    char *file;                                         /* quality: a text file, or NULL */
    int chunks;                                         /* quality: 0 all */
    char *base; /* quality: the base model KL-divergence is against ("source": the ladder's
                 * source), or NULL for perplexity alone */
    struct prompt_set set;         /* prompts: the set (loaded when the suite is parsed) */
    struct prompts_gen_params gen; /* prompts: max_tokens, sampling, stop strings */
    char *system;                  /* prompts: the system prompt, or NULL */
};

/* A model: a file, after globs and the ladder are expanded */
struct suite_model {
    char *path;
    const cJSON *settings;         /* its own settings (borrowed from the suite), or NULL */
    char *quant, *family, *params; /* a models.json's labels, or NULL */
    int rung;                      /* index into the ladder's types, -1 when not a rung */
};

struct suite_ladder {
    char *source;  /* the F16 / BF16 GGUF */
    char *imatrix; /* or NULL */
    char *dir;     /* where the rungs are written */
    char **types;  /* llama.cpp type names */
    int *ftypes;   /* their llama_ftype ids */
    int n_types;
};

struct suite {
    char *file; /* the suite's file name in messages ("(built-in)" for the default) */
    cJSON *doc; /* the whole suite */
    char *name; /* "name", or the file's base name */
    struct suite_model *models;
    int n_models;
    bool has_ladder;
    struct suite_ladder ladder;
    struct suite_test *tests;
    int n_tests;
};

/* Parse and validate text (the suite file's bytes) into s; file names it in messages.
 * Relative model paths are taken from the working directory. 0, or the exit code
 * (QB_EXIT_USAGE for what the suite says: an unknown key, a wrong type, a bad value, an
 * empty grid; QB_EXIT_INPUT for what it names: a model or file that is missing or no
 * GGUF) with err "FILE: JSON.PATH: what is wrong". */
int suite_parse(const char *file, const char *text, struct suite *s, char *err);
void suite_release(struct suite *s); /* accepts a zeroed one */

/* The built-in default suite (make run) on an F16 source: its JSON text (static) */
const char *suite_default_json(const char *source);

/* One cell: a model, its settings and a test, resolved */
struct suite_cell {
    int idx;                       /* in run order */
    int model;                     /* into suite.models */
    int test;                      /* into suite.tests */
    int group;                     /* model x settings combination: a row of the table to share */
    char name[48];                 /* "pp512", "tg128", "pp512+tg128", "pp512@d1024", "mem", ... */
    int pp, tg, depth;             /* bench */
    struct engine_model_params mp; /* load settings */
    struct engine_ctx_params cp;   /* context settings */
    int load;                      /* index of mp among the run's distinct loads */
    cJSON *settings;               /* the settings as rows write them, + the test's own */
    char group_text[256];          /* the group's settings "t=2 fa=on" (those given) */
    char key[65];                  /* hex SHA-256; "" until suite_keys */
};

struct suite_cells {
    struct suite_cell *c;
    int n;
    int n_groups;
    char (*model_id)[160]; /* each model's identity when the keys were made ("" none) */
};

/* Expand s into cells in run order: model, then load settings, then context settings,
 * then tests in suite order (bench's pp, tg, pp+tg at each depth as llama-bench orders
 * them). 0, or QB_EXIT_USAGE with err for an empty or too large grid or a bad value. */
int suite_expand(const struct suite *s, struct suite_cells *out, char *err);
/* The keys of the cells (each model file's quick identity is read; a ladder rung not made
 * yet keeps key ""): build is the
 * llama.cpp build's "commit build_number". 0, or QB_EXIT_INPUT with err (a model could
 * not be read). */
int suite_keys(const struct suite *s, struct suite_cells *cells, const char *build, char *err);
void suite_cells_release(struct suite_cells *c);

/* The ladder's rung file of type i: "DIR/STEM-TYPE.gguf" into buf */
void suite_rung_path(const struct suite_ladder *l, int i, char *buf, size_t n);

#endif
