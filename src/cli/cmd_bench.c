/* quantbench bench: llama-bench's grid (pp, tg, pp+tg at depths, over thread
 * counts, batch sizes, cache types, offload settings, ...), run in worker processes,
 * one per model load, each reused for every test it can serve. A worker that dies or
 * times out costs only its row: the row is written with the cause and the grid goes on. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../record/args.h"
#include "../record/bench_row.h"
#include "../record/field.h"
#include "../record/fields.h"
#include "../report/bench_report.h"
#include "../run/bench.h"
#include "../run/runner.h"
#include "../util/log.h"
#include "bench_out.h"
#include "cmd.h"

static const char *const bench_help[] = {
    "usage: quantbench bench -m MODEL [flags]\n"
    "\n"
    "Prompt processing (pp) and text generation (tg) speed, as llama-bench measures it.\n"
    "Every flag below that takes a value takes a comma list (numbers also ranges a-b,\n"
    "a-b+step, a-b*mult) and may repeat; the tests are the Cartesian product, grouped so\n"
    "each model configuration loads once.\n"
    "\n"
    "Tests (defaults in brackets):\n"
    "  -m, --model FILE            GGUF model(s) (required)\n"
    "  -p, --n-prompt N            prompt tokens [512]; 0 disables pp tests\n"
    "  -n, --n-gen N               generated tokens [128]; 0 disables tg tests\n"
    "  -pg PP,TG                   a pp+tg test: prompt then generation [none]\n"
    "  -d, --n-depth N             tokens already in the KV cache [0]; filled once per\n"
    "                              model load and depth, restored before each repetition\n"
    "  -r, --repetitions N|auto    timed repetitions [5]; auto: repeat until the 95% CI\n"
    "                              half-width is under --ci-target of the mean, at least\n"
    "                              --min-reps, at most --max-reps, or --max-time is spent\n"
    "  --ci-target PCT             auto: CI half-width target in percent [2]\n"
    "  --min-reps N                auto: fewest repetitions [3]\n"
    "  --max-reps N                auto: most repetitions [100]\n"
    "  --max-time S                auto: seconds of timed repetitions per test [30]\n"
    "  --procs N                   spread each test's repetitions over N fresh worker\n"
    "                              processes (model loaded in each) [1], so the samples\n"
    "                              carry the process-to-process variation too\n"
    "  --no-warmup                 skip the untimed warm-up run\n"
    "  --delay S                   seconds to sleep before each test (cool-down) [0]\n"
    "  --seed N                    random-token seed [1]\n"
    "\n"
    "Threads and CPU:\n"
    "  -t, --threads N             threads [number of online CPUs]\n"
    "  -C, --cpu-mask HEX          threadpool CPU affinity mask, CPU i = bit i [0x0 = none]\n"
    "  --cpu-strict 0|1            pin threads strictly to the mask [0]\n"
    "  --poll 0..100               threadpool busy-polling level [50]\n"
    "  --prio -1..3                process and thread priority: low, normal, medium, high,\n"
    "                              realtime [0] (one value)\n"
    "  --numa MODE                 distribute, isolate or numactl [off] (one value)\n"
    "\n",
    "Model loading and offload:\n"
    "  -ngl, --n-gpu-layers N      layers on the GPU, -1 or 99 = all [-1]\n"
    "  -ncmoe, --n-cpu-moe N       keep the experts of the first N layers on the CPU [0]\n"
    "  -sm, --split-mode M         none, layer, row or tensor [layer]\n"
    "  -mg, --main-gpu I           GPU for split mode none [0]\n"
    "  -ts, --tensor-split A/B/..  proportions per GPU [0]\n"
    "  -dev, --device D0/D1/..     devices to offload to, none, or auto [auto]\n"
    "  -ot, --override-tensor P=B;...  tensors matching regex P go to buffer type B\n"
    "                              (e.g. exps=CPU); alternatives separated by ',' [none]\n"
    "  -lm, --load-mode M          auto, mmap or none [auto]; -mmp 0|1 is accepted too\n"
    "\n"
    "Context:\n"
    "  -b, --batch-size N          logical batch [2048]\n"
    "  -ub, --ubatch-size N        physical batch [512]\n"
    "  -ctk, --cache-type-k T      K cache type: f16, bf16, f32, q8_0, q4_0, q4_1, iq4_nl,\n"
    "                              q5_0, q5_1 [f16]\n"
    "  -ctv, --cache-type-v T      V cache type [f16]\n"
    "  -fa, --flash-attn X         on, off or auto (1, 0, -1) [auto]\n"
    "  -nkvo, --no-kv-offload 0|1  keep the KV cache in host memory [0]\n"
    "\n"
    "Output:\n"
    "  -o, --output FMT            md (llama-bench's table), csv, json, jsonl, sql [md]\n"
    "  -oe, --output-err FMT       also write FMT (or none) to stderr [none]\n"
    "  --progress                  progress with the current test and an ETA on stderr\n"
    "  --mem                       md: memory columns (host and GPU MiB llama.cpp allocated,\n"
    "                              peak RSS); json/csv/sql rows always carry mem_* fields\n"
    "  --timeout S                 seconds a worker may take per model load or test [0 = none]\n"
    "  -v, --verbose               show load progress (-v -v: llama.cpp's log too)\n"
    "\n"
    "t/s is the mean +/- sample stddev of per-repetition t/s (llama-bench's). The md table\n"
    "adds pp t/s, tg t/s and TTFT for pp+tg tests, and model load and context creation\n"
    "time. csv/json/jsonl/sql rows carry llama-bench's fields plus the raw samples, median,\n"
    "min, max, 95% CI, pp/tg parts, TTFT, load, context, warm-up and depth-fill times, and\n"
    "the row's status (ok, error, crashed, oom, timeout, load_failed, interrupted) with its\n"
    "reason. sql writes llama-bench's table llama_bench and quantbench_bench with every\n"
    "field.\n"
    "\n" QB_EXIT_CODES_HELP,
    NULL};

/* ---- the settings bench runs over ----
 * Each is a field of record/fields.h (its flag, type, range, names and checks), taking a
 * comma list of values. They are listed in the order the grid's size names them; grid
 * order (which loop is outermost) is load_order, then ctx_order. */
struct dim_def {
    const char *key; /* in fields_settings */
    unsigned col;    /* its md column, shown when it varies (llama-bench's rule) */
    int lo;          /* bench's smallest value where it differs from the table's */
};
#define LO_TABLE INT_MIN
static const struct dim_def dim_defs[] = {
    {"n_threads", BENCH_COL_THREADS, LO_TABLE},
    {"cpu_mask", BENCH_COL_CPU_MASK, LO_TABLE},
    {"cpu_strict", BENCH_COL_CPU_STRICT, LO_TABLE},
    {"poll", BENCH_COL_POLL, 0}, /* -1 (no threadpool) is batched's, not a flag value */
    {"n_gpu_layers", BENCH_COL_NGL, LO_TABLE},
    {"n_cpu_moe", BENCH_COL_NCMOE, LO_TABLE},
    {"split_mode", BENCH_COL_SM, LO_TABLE},
    {"main_gpu", BENCH_COL_MG, LO_TABLE},
    {"tensor_split", BENCH_COL_TS, LO_TABLE},
    {"devices", BENCH_COL_DEV, LO_TABLE},
    {"tensor_buft_overrides", BENCH_COL_OT, LO_TABLE},
    {"use_mmap", BENCH_COL_LM, LO_TABLE},
    {"n_batch", BENCH_COL_BATCH, LO_TABLE},
    {"n_ubatch", BENCH_COL_UBATCH, LO_TABLE},
    {"type_k", BENCH_COL_TYPE_K, LO_TABLE},
    {"type_v", BENCH_COL_TYPE_V, LO_TABLE},
    {"flash_attn", BENCH_COL_FA, LO_TABLE},
    {"no_kv_offload", BENCH_COL_NKVO, LO_TABLE},
};
#define N_DIMS QB_ARRAY_LEN(dim_defs)
/* groups: one model load per combination of these (indexes into dim_defs) */
static const int load_order[] = {4, 5, 6, 7, 8, 9, 10, 11};
/* tests of a group: every combination of these, then every depth, pp, tg and pp+tg */
static const int ctx_order[] = {12, 13, 14, 15, 17, 16, 1, 2, 3, 0};

struct dim {
    const struct field *f;
    size_t n;            /* values given; 0: the default alone */
    size_t cap;          /* values vals has room for */
    unsigned char *vals; /* n values of f->size bytes, as they lie in their struct */
};

struct bench_opts {
    struct str_list models;
    struct int_list n_prompt, n_gen, pg, n_depth;
    struct dim dims[N_DIMS];
    struct engine_model_params def_mp; /* the defaults of the load settings */
    struct work_test def_t;            /* the defaults of a test (llama-bench's) */
    int reps;
    int procs; /* --procs: repetitions spread over this many fresh workers */
    bool auto_reps;
    int min_reps, max_reps;
    double ci_target_pct, max_time_s;
    bool no_warmup;
    uint64_t seed;
    double timeout_s, delay_s;
    int numa, prio;
    enum bench_fmt fmt, fmt_err;
    bool progress;
    bool mem_cols; /* --mem */
    int verbose;
};

static void opts_release(struct bench_opts *o)
{
    struct int_list *ils[] = {&o->n_prompt, &o->n_gen, &o->pg, &o->n_depth};
    for (size_t i = 0; i < QB_ARRAY_LEN(ils); i++)
        int_list_release(ils[i]);
    str_list_release(&o->models);
    for (size_t i = 0; i < N_DIMS; i++)
        free(o->dims[i].vals);
}

/* The settings' parts of a model load and a test (record/field.h's FIELD_PART_*) */
static void parts_of(struct engine_model_params *mp, struct work_test *t, void *parts[])
{
    parts[FIELD_PART_LOAD] = mp;
    parts[FIELD_PART_CTX] = t ? &t->cp : NULL;
}

/* the bytes of f's member in parts */
static unsigned char *member(const struct field *f, void *const *parts)
{
    return (unsigned char *)parts[f->part] + f->off;
}

static void dims_init(struct bench_opts *o)
{
    for (size_t i = 0; i < N_DIMS; i++)
        o->dims[i].f = field_by_key(fields_settings, fields_n_settings, dim_defs[i].key);
    o->def_mp = engine_model_params_default();
    bench_test_init(&o->def_t);
}

/* The setting whose flag is a (-mmp / --mmap: use_mmap, *mmp set), or NULL */
static struct dim *dim_of_flag(struct bench_opts *o, const char *a, bool *mmp)
{
    *mmp = !strcmp(a, "-mmp") || !strcmp(a, "--mmap");
    for (size_t i = 0; i < N_DIMS; i++) {
        const struct field *f = o->dims[i].f;
        if (*mmp ? !strcmp(f->key, "use_mmap")
                 : (f->flag && !strcmp(a, f->flag)) || (f->lflag && !strcmp(a, f->lflag)))
            return &o->dims[i];
    }
    return NULL;
}

static const struct dim *dim_of_key(const struct bench_opts *o, const char *key)
{
    for (size_t i = 0; i < N_DIMS; i++)
        if (!strcmp(o->dims[i].f->key, key))
            return &o->dims[i];
    return NULL;
}

/* f's integer x into its member at p */
static void set_int(const struct field *f, unsigned char *p, int x)
{
    if (f->type == FIELD_U32)
        *(uint32_t *)p = (uint32_t)x;
    else if (f->type == FIELD_BOOL)
        *(bool *)p = x;
    else
        *(int *)p = x;
}

/* room for n more values in d (lists of a flag's 100000 values grow once, not per value) */
static void dim_reserve(struct dim *d, size_t n)
{
    if (d->n + n > d->cap) {
        d->cap = d->n + n > 2 * d->cap ? d->n + n : 2 * d->cap;
        d->vals = xrealloc(d->vals, d->cap * d->f->size);
    }
}

static void dim_push(struct dim *d, const unsigned char *v)
{
    dim_reserve(d, 1);
    memcpy(d->vals + d->n * d->f->size, v, d->f->size);
    d->n++;
}

/* the values of flag a (v: a comma list; numbers also ranges a-b, a-b+step, a-b*mult;
 * names where the setting has them) appended to d; -1 with err */
static int dim_parse(struct dim *d, const char *a, const char *v, bool mmp, int lo, char *err)
{
    const struct field *f = d->f;
    struct engine_model_params mp;
    struct work_test t;
    void *parts[FIELD_N_PARTS];
    memset(&mp, 0, sizeof(mp));
    memset(&t, 0, sizeof(t));
    parts_of(&mp, &t, parts);
    unsigned char *p = member(f, parts);
    struct str_list items = {0};
    int rc = 0;
    if (mmp || f->names) { /* by name: -fa on,off  -sm row  -lm mmap  -mmp 0,1 */
        str_list_split(&items, v, ',');
        if (items.n == 0)
            rc = set_err(err, "empty value for %s", a);
        for (size_t i = 0; i < items.n && rc == 0; i++) {
            if (!mmp)
                rc = field_parse_flag(f, a, items.v[i], parts, err);
            else if (!strcmp(items.v[i], "0") || !strcmp(items.v[i], "1"))
                set_int(f, p, items.v[i][0] == '1');
            else
                rc = set_err(err, "invalid value '%s' for %s", items.v[i], a);
            if (rc == 0)
                dim_push(d, p);
        }
    } else if (f->type == FIELD_INT || f->type == FIELD_U32 || f->type == FIELD_BOOL) {
        struct int_list l = {0};
        rc = int_list_parse(&l, a, v, lo == LO_TABLE ? (int)f->lo : lo,
                            (int)(f->flag_hi ? f->flag_hi : f->hi), err);
        dim_reserve(d, l.n);
        for (size_t i = 0; i < l.n && rc == 0; i++) {
            set_int(f, p, l.v[i]);
            dim_push(d, p);
        }
        int_list_release(&l);
    } else { /* strings and -ts's proportions, each checked as the table says */
        rc = str_list_parse(&items, a, v, err);
        dim_reserve(d, items.n);
        for (size_t i = 0; i < items.n && rc == 0; i++)
            if ((rc = field_parse_flag(f, a, items.v[i], parts, err)) == 0)
                dim_push(d, p);
    }
    str_list_release(&items);
    return rc;
}

/* Value i of d (the default when none was given) into parts */
static void dim_apply(const struct dim *d, size_t i, void *const *parts)
{
    if (d->n)
        memcpy(member(d->f, parts), d->vals + i * d->f->size, d->f->size);
}

/* Step idx[0..n) (value indexes of dims order[]) to the next combination, the last
 * fastest; false after the last */
static bool dims_next(const struct bench_opts *o, const int *order, size_t n, size_t *idx)
{
    for (size_t k = n; k-- > 0;) {
        size_t m = o->dims[order[k]].n ? o->dims[order[k]].n : 1;
        if (++idx[k] < m)
            return true;
        idx[k] = 0;
    }
    return false;
}

static void default_ints(struct int_list *l, int v)
{
    if (l->n == 0)
        int_list_push(l, v);
}

static int parse_named(struct int_list *l, const char *flag, const char *spec,
                       const char *const *names, const int *values, size_t n_names, char *err)
{
    struct str_list items = {0};
    str_list_split(&items, spec, ',');
    int ret = 0;
    if (items.n == 0)
        ret = set_err(err, "empty value for %s", flag);
    for (size_t i = 0; i < items.n && ret == 0; i++) {
        size_t k;
        for (k = 0; k < n_names && strcmp(items.v[i], names[k]) != 0; k++)
            ;
        if (k == n_names) {
            ret = set_err(err, "invalid value '%s' for %s", items.v[i], flag);
            break;
        }
        int_list_push(l, values[k]);
    }
    str_list_release(&items);
    return ret;
}

/* bench's own flags that take a value (the settings' are in fields_settings) */
static const char *const value_flags[] = {
    "-m",         "--model",   "-p",     "--n-prompt",    "-n",          "--n-gen",    "-pg",
    "-d",         "--n-depth", "-r",     "--repetitions", "--ci-target", "--min-reps", "--max-reps",
    "--max-time", "--procs",   "--prio", "--numa",        "--delay",     "--seed",     "--timeout",
    "-o",         "--output",  "-oe",    "--output-err",  NULL};

/* whether flag takes a value, for the "needs a value" message */
static bool takes_value(struct bench_opts *o, const char *flag)
{
    bool mmp;
    for (int i = 0; value_flags[i]; i++)
        if (!strcmp(flag, value_flags[i]))
            return true;
    return dim_of_flag(o, flag, &mmp) != NULL;
}

/* the number of tests, from the list sizes alone, before the grid is built */
static int check_grid_size(const struct bench_opts *o, char *err)
{
    uint64_t n_kinds = o->pg.n / 2; /* tests per setting: each pp, each tg, each pp+tg */
    for (size_t i = 0; i < o->n_prompt.n; i++)
        n_kinds += o->n_prompt.v[i] > 0;
    for (size_t i = 0; i < o->n_gen.n; i++)
        n_kinds += o->n_gen.v[i] > 0;
    struct grid_dim dims[3 + N_DIMS] = {
        {"-m", o->models.n}, {"-p/-n/-pg", n_kinds}, {"-d", o->n_depth.n}};
    for (size_t i = 0; i < N_DIMS; i++) {
        const struct field *f = o->dims[i].f;
        dims[3 + i] = (struct grid_dim){f->flag ? f->flag : f->lflag, o->dims[i].n};
    }
    return grid_check(dims, QB_ARRAY_LEN(dims), "tests", err);
}

static int parse_args(int argc, char **argv, struct bench_opts *o, char *err)
{
    const int big = 1 << 24;
    memset(o, 0, sizeof(*o));
    dims_init(o);
    o->reps = 5;
    o->procs = 1;
    o->min_reps = 3;
    o->max_reps = 100;
    o->ci_target_pct = 2;
    o->max_time_s = 30;
    o->seed = 1;
    o->fmt = BENCH_FMT_MD;
    o->fmt_err = BENCH_FMT_NONE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-warmup")) {
            o->no_warmup = true;
            continue;
        }
        if (!strcmp(a, "--progress")) {
            o->progress = true;
            continue;
        }
        if (!strcmp(a, "--mem")) {
            o->mem_cols = true;
            continue;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose++;
            continue;
        }
        if (i + 1 >= argc)
            return set_err(err, takes_value(o, a) ? "%s needs a value" : "unknown flag '%s'", a);
        const char *v = argv[++i];
        int rc = 0;
        bool mmp;
        struct dim *d = dim_of_flag(o, a, &mmp);
        const unsigned fmts = BENCH_FMTS_ROWS | BENCH_FMT_BIT(BENCH_FMT_SQL);
        if (d)
            rc = dim_parse(d, a, v, mmp, dim_defs[d - o->dims].lo, err);
        else if (!strcmp(a, "-m") || !strcmp(a, "--model"))
            rc = str_list_parse(&o->models, a, v, err);
        else if (!strcmp(a, "-p") || !strcmp(a, "--n-prompt"))
            rc = int_list_parse(&o->n_prompt, a, v, 0, big, err);
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-gen"))
            rc = int_list_parse(&o->n_gen, a, v, 0, big, err);
        else if (!strcmp(a, "-pg")) {
            struct int_list pair = {0};
            rc = int_list_parse(&pair, a, v, 0, big, err);
            if (rc == 0 && (pair.n != 2 || pair.v[0] <= 0 || pair.v[1] <= 0))
                rc = set_err(err, "invalid value '%s' for -pg (expected PP,TG, both above 0)", v);
            if (rc == 0) {
                int_list_push(&o->pg, pair.v[0]);
                int_list_push(&o->pg, pair.v[1]);
            }
            int_list_release(&pair);
        } else if (!strcmp(a, "-d") || !strcmp(a, "--n-depth"))
            rc = int_list_parse(&o->n_depth, a, v, 0, big, err);
        else if (!strcmp(a, "-r") || !strcmp(a, "--repetitions")) {
            if (!strcmp(v, "auto"))
                o->auto_reps = true;
            else if (parse_int(v, 1, 100000, &o->reps) < 0)
                rc = set_err(err,
                             "invalid value '%s' for %s (expected an integer in 1..100000 "
                             "or auto)",
                             v, a);
        } else if (!strcmp(a, "--ci-target")) {
            if (parse_double(v, &o->ci_target_pct) < 0 || o->ci_target_pct <= 0 ||
                o->ci_target_pct >= 100)
                rc = set_err(err, "invalid value '%s' for --ci-target (percent, above 0)", v);
        } else if (!strcmp(a, "--procs")) {
            if (parse_int(v, 1, 64, &o->procs) < 0)
                rc = set_err(err, "invalid value '%s' for --procs (expected 1..64)", v);
        } else if (!strcmp(a, "--min-reps")) {
            if (parse_int(v, 2, 100000, &o->min_reps) < 0)
                rc = set_err(err, "invalid value '%s' for --min-reps (expected 2..100000)", v);
        } else if (!strcmp(a, "--max-reps")) {
            if (parse_int(v, 2, 100000, &o->max_reps) < 0)
                rc = set_err(err, "invalid value '%s' for --max-reps (expected 2..100000)", v);
        } else if (!strcmp(a, "--max-time")) {
            if (parse_double(v, &o->max_time_s) < 0 || o->max_time_s <= 0)
                rc = set_err(err, "invalid value '%s' for --max-time (seconds, above 0)", v);
        } else if (!strcmp(a, "--prio")) {
            if (parse_int(v, -1, 3, &o->prio) < 0)
                rc = set_err(err, "invalid value '%s' for --prio (expected -1..3)", v);
        } else if (!strcmp(a, "--numa")) {
            static const char *const numa_names[] = {"distribute", "isolate", "numactl"};
            struct int_list l = {0};
            static const int numa_vals[] = {1, 2, 3};
            rc = parse_named(&l, a, v, numa_names, numa_vals, 3, err);
            if (rc == 0 && l.n != 1)
                rc = set_err(err, "--numa takes one value");
            if (rc == 0)
                o->numa = l.v[0];
            int_list_release(&l);
        } else if (!strcmp(a, "--delay")) {
            if (parse_double(v, &o->delay_s) < 0 || o->delay_s < 0)
                rc = set_err(err, "invalid value '%s' for --delay (seconds, 0 or more)", v);
        } else if (!strcmp(a, "--seed")) {
            int64_t s;
            if (parse_i64(v, 0, (1ll << 53) - 1, &s) < 0)
                rc = set_err(err, "invalid value '%s' for --seed", v);
            o->seed = (uint64_t)s;
        } else if (!strcmp(a, "--timeout")) {
            if (parse_double(v, &o->timeout_s) < 0 || o->timeout_s < 0)
                rc = set_err(err, "invalid value '%s' for --timeout (seconds, 0 = none)", v);
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            rc = bench_fmt_flag(v, fmts, NULL, &o->fmt, err);
        } else if (!strcmp(a, "-oe") || !strcmp(a, "--output-err")) {
            rc = bench_fmt_flag(v, fmts | BENCH_FMT_BIT(BENCH_FMT_NONE), "-oe", &o->fmt_err, err);
        } else
            return set_err(err, "unknown flag '%s'", a);
        if (rc < 0)
            return -1;
    }
    if (o->models.n == 0)
        return set_err(err, "missing -m MODEL");
    if (o->auto_reps && o->min_reps > o->max_reps)
        return set_err(err, "--min-reps %d exceeds --max-reps %d", o->min_reps, o->max_reps);
    if (o->procs > 1 && o->auto_reps)
        return set_err(err, "--procs needs a fixed -r, not auto");
    if (o->procs > o->reps && !o->auto_reps)
        return set_err(err, "--procs %d needs -r of at least %d", o->procs, o->procs);
    default_ints(&o->n_prompt, 512);
    default_ints(&o->n_gen, 128);
    default_ints(&o->n_depth, 0);
    bool any = o->pg.n > 0;
    for (size_t i = 0; i < o->n_prompt.n; i++)
        any |= o->n_prompt.v[i] > 0;
    for (size_t i = 0; i < o->n_gen.n; i++)
        any |= o->n_gen.v[i] > 0;
    if (!any)
        return set_err(err, "nothing to run: -p and -n are all 0 and there is no -pg");
    return check_grid_size(o, err);
}

/* ---- the grid ---- */

/* The tests of group g: every combination of the context settings (ctx_order), each at
 * every depth, as pp, tg and pp+tg tests */
static void add_tests(const struct bench_opts *o, struct bench_group *g)
{
    size_t idx[QB_ARRAY_LEN(ctx_order)] = {0};
    do {
        struct work_test t = o->def_t;
        void *parts[FIELD_N_PARTS];
        parts_of(NULL, &t, parts);
        for (size_t k = 0; k < QB_ARRAY_LEN(ctx_order); k++)
            dim_apply(&o->dims[ctx_order[k]], idx[k], parts);
        t.cp.prio = o->prio;
        t.cp.n_threads_batch = t.pt.n_threads = t.cp.n_threads;
        t.pt.n_batch = (int)t.cp.n_batch;
        t.delay_s = o->delay_s;
        t.pt.reps = o->auto_reps ? o->max_reps : o->reps;
        t.pt.auto_reps = o->auto_reps;
        t.pt.min_reps = o->min_reps;
        t.pt.rel_ci = o->ci_target_pct / 100.0;
        t.pt.max_time_s = o->max_time_s;
        t.pt.no_warmup = o->no_warmup;
        t.pt.seed = o->seed;
        for (size_t id = 0; id < o->n_depth.n; id++) {
            t.pt.n_depth = o->n_depth.v[id];
            for (size_t ip = 0; ip < o->n_prompt.n; ip++)
                if (o->n_prompt.v[ip] > 0)
                    bench_group_add(g, &t, o->n_prompt.v[ip], 0);
            for (size_t ig = 0; ig < o->n_gen.n; ig++)
                if (o->n_gen.v[ig] > 0)
                    bench_group_add(g, &t, 0, o->n_gen.v[ig]);
            for (size_t ipg = 0; ipg + 1 < o->pg.n; ipg += 2)
                bench_group_add(g, &t, o->pg.v[ipg], o->pg.v[ipg + 1]);
        }
    } while (dims_next(o, ctx_order, QB_ARRAY_LEN(ctx_order), idx));
}

/* The plan: for each model, a group per combination of the load settings (load_order) */
static void build_grid(const struct bench_opts *o, struct bench_plan *p)
{
    for (size_t m = 0; m < o->models.n; m++) {
        size_t idx[QB_ARRAY_LEN(load_order)] = {0};
        do {
            struct engine_model_params mp = o->def_mp;
            void *parts[FIELD_N_PARTS];
            parts_of(&mp, NULL, parts);
            for (size_t k = 0; k < QB_ARRAY_LEN(load_order); k++)
                dim_apply(&o->dims[load_order[k]], idx[k], parts);
            add_tests(o, bench_plan_group(p, o->models.v[m], &mp));
        } while (dims_next(o, load_order, QB_ARRAY_LEN(load_order), idx));
    }
}

/* llama-bench's rule: a column appears when its flag has several values or a
 * non-default one (ngl and threads also by backend, decided at the first row) */
static unsigned md_columns(const struct bench_opts *o)
{
    unsigned c = 0;
    struct engine_model_params mp = o->def_mp;
    struct work_test t = o->def_t;
    void *def[FIELD_N_PARTS];
    parts_of(&mp, &t, def);
    for (size_t i = 0; i < N_DIMS; i++) {
        const struct dim *d = &o->dims[i];
        if (d->n > 1 || (d->n == 1 && memcmp(d->vals, member(d->f, def), d->f->size) != 0))
            c |= dim_defs[i].col;
    }
    c |= o->pg.n ? BENCH_COL_PG : 0;
    c |= o->mem_cols ? BENCH_COL_MEM : 0;
    return c;
}

/* ---- running ---- */

/* every model must be a readable, complete GGUF, and -ngl must fit it, before anything runs */
static int check_models(const struct bench_opts *o, int *exit_code)
{
    char err[QB_ERR_LEN];
    for (size_t i = 0; i < o->models.n; i++) {
        long long n_layer;
        if (check_model_file(o->models.v[i], &n_layer, err) < 0) {
            error("%s", err);
            *exit_code = QB_EXIT_INPUT;
            return -1;
        }
        const struct dim *ngl = dim_of_key(o, "n_gpu_layers");
        for (size_t k = 0; k < ngl->n; k++) {
            int v;
            memcpy(&v, ngl->vals + k * sizeof(v), sizeof(v));
            if (ngl_too_many(v, n_layer)) {
                *exit_code = usage_error(
                    "bench", "-ngl %d is more than the %lld layers (+ output) of '%s' (99 = all)",
                    v, n_layer, o->models.v[i]);
                return -1;
            }
        }
    }
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            for (int k = 0; bench_help[k]; k++)
                fputs(bench_help[k], stdout);
            return QB_EXIT_OK;
        }
    struct bench_opts o;
    char err[QB_ERR_LEN];
    int rc = QB_EXIT_OK;
    if (parse_args(argc, argv, &o, err) < 0) {
        opts_release(&o);
        return usage_error("bench", "%s", err);
    }
    if (check_models(&o, &rc) < 0) {
        opts_release(&o);
        return rc;
    }
    log_set_level(o.verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
    struct bench_plan plan = {0};
    build_grid(&o, &plan);
    plan.wl.numa = o.numa;
    plan.wl.prio = o.prio;
    plan.procs = o.procs;
    plan.verbose = o.verbose;
    plan.timeout_s = o.timeout_s;
    struct bench_out out;
    bench_out_begin(&out, &plan, o.progress, o.fmt, o.fmt_err, md_columns(&o));
    struct bench_sink sink = bench_out_sink(&out);
    bench_run(&plan, &sink);
    bench_plan_free(&plan);
    opts_release(&o);
    return bench_out_end(&out);
}
