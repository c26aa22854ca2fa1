/* quantbench bench: llama-bench's grid (pp, tg, pp+tg at depths, over thread
 * counts, batch sizes, cache types, offload settings, ...), run in worker processes,
 * one per model load, each reused for every test it can serve. A worker that dies or
 * times out costs only its row: the row is written with the cause and the grid goes on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../record/bench_row.h"
#include "../report/bench_report.h"
#include "../run/bench.h"
#include "../run/runner.h"
#include "../util/log.h"
#include "args.h"
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

struct bench_opts {
    struct str_list models;
    struct int_list n_prompt, n_gen, pg, n_depth, n_threads, ngl, ncmoe, sm, mg, n_batch, n_ubatch,
        fa, nkvo, lm, poll, cpu_strict;
    struct str_list ctk, ctv, cpu_mask, ts, dev, ot;
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
    struct int_list *ils[] = {&o->n_prompt,  &o->n_gen,   &o->pg,       &o->n_depth,
                              &o->n_threads, &o->ngl,     &o->ncmoe,    &o->sm,
                              &o->mg,        &o->n_batch, &o->n_ubatch, &o->fa,
                              &o->nkvo,      &o->lm,      &o->poll,     &o->cpu_strict};
    struct str_list *sls[] = {&o->models, &o->ctk, &o->ctv, &o->cpu_mask, &o->ts, &o->dev, &o->ot};
    for (size_t i = 0; i < QB_ARRAY_LEN(ils); i++)
        int_list_release(ils[i]);
    for (size_t i = 0; i < QB_ARRAY_LEN(sls); i++)
        str_list_release(sls[i]);
}

static void default_ints(struct int_list *l, int v)
{
    if (l->n == 0)
        int_list_push(l, v);
}

static void default_strs(struct str_list *l, const char *v)
{
    if (l->n == 0)
        str_list_add(l, v);
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

static int check_kv_types(const struct str_list *l, const char *flag, char *err)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *canon;
        if (flag_kv_type(l->v[i], flag, &canon, err) < 0)
            return -1;
        snprintf(l->v[i], strlen(l->v[i]) + 1, "%s", canon);
    }
    return 0;
}

static int check_masks(const struct str_list *l, char *err)
{
    bool mask[512];
    for (size_t i = 0; i < l->n; i++)
        if (parse_cpu_mask(l->v[i], mask, 512) < 0)
            return set_err(err, "invalid value '%s' for -C (expected a hex CPU mask like 0xff)",
                           l->v[i]);
    return 0;
}

/* "0.5/0.5": up to ENGINE_MAX_DEVICES non-negative proportions */
static int parse_tensor_split(const char *s, float *out, char *err)
{
    char *copy = xstrdup(s), *p = copy;
    int n = 0, ret = 0;
    for (int i = 0; i < ENGINE_MAX_DEVICES; i++)
        out[i] = 0;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        double v;
        if (n == ENGINE_MAX_DEVICES || parse_double(p, &v) < 0 || v < 0) {
            ret = set_err(err,
                          "invalid value '%s' for -ts (expected proportions like 3/1, at "
                          "most %d)",
                          s, ENGINE_MAX_DEVICES);
            break;
        }
        out[n++] = (float)v;
        if (!slash)
            break;
        p = slash + 1;
    }
    free(copy);
    return ret;
}

static int check_overrides(const struct str_list *l, char *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (flag_override_spec(l->v[i], sizeof(((struct engine_model_params *)0)->overrides), err) <
            0)
            return -1;
    return 0;
}

/* flags that take a value, space-delimited, for the "needs a value" message */
static const char value_flags[] =
    " -m --model -p --n-prompt -n --n-gen -pg -d --n-depth -r --repetitions --ci-target "
    "--min-reps --max-reps --max-time --procs -t --threads -C --cpu-mask --cpu-strict --poll "
    "--prio "
    "--numa -ngl --n-gpu-layers -ncmoe --n-cpu-moe -sm --split-mode -mg --main-gpu -ts "
    "--tensor-split -dev --device -ot --override-tensor -b --batch-size -ub --ubatch-size -ctk "
    "--cache-type-k -ctv --cache-type-v -fa --flash-attn -nkvo --no-kv-offload -lm --load-mode "
    "-mmp --mmap --delay --seed --timeout -o --output -oe --output-err ";

static bool takes_value(const char *flag)
{
    char key[64];
    snprintf(key, sizeof(key), " %s ", flag);
    return flag[0] == '-' && strlen(flag) < 60 && strstr(value_flags, key) != NULL;
}

/* the number of tests, from the list sizes alone, before the grid is built */
static int check_grid_size(const struct bench_opts *o, char *err)
{
    uint64_t n_kinds = o->pg.n / 2; /* tests per setting: each pp, each tg, each pp+tg */
    for (size_t i = 0; i < o->n_prompt.n; i++)
        n_kinds += o->n_prompt.v[i] > 0;
    for (size_t i = 0; i < o->n_gen.n; i++)
        n_kinds += o->n_gen.v[i] > 0;
    const struct grid_dim dims[] = {
        {"-m", o->models.n},    {"-p/-n/-pg", n_kinds}, {"-d", o->n_depth.n},
        {"-t", o->n_threads.n}, {"-C", o->cpu_mask.n},  {"--cpu-strict", o->cpu_strict.n},
        {"--poll", o->poll.n},  {"-ngl", o->ngl.n},     {"-ncmoe", o->ncmoe.n},
        {"-sm", o->sm.n},       {"-mg", o->mg.n},       {"-ts", o->ts.n},
        {"-dev", o->dev.n},     {"-ot", o->ot.n},       {"-lm", o->lm.n},
        {"-b", o->n_batch.n},   {"-ub", o->n_ubatch.n}, {"-ctk", o->ctk.n},
        {"-ctv", o->ctv.n},     {"-fa", o->fa.n},       {"-nkvo", o->nkvo.n},
    };
    return grid_check(dims, QB_ARRAY_LEN(dims), "tests", err);
}

static int parse_args(int argc, char **argv, struct bench_opts *o, char *err)
{
    static const char *const fa_names[] = {"on", "off", "auto", "1", "0", "-1"};
    static const int fa_vals[] = {1, 0, -1, 1, 0, -1};
    static const char *const lm_names[] = {"auto", "mmap", "none"};
    static const int lm_vals[] = {-1, 1, 0};
    static const char *const mmp_names[] = {"0", "1"};
    static const int mmp_vals[] = {0, 1};
    static const char *const sm_names[] = {"none", "layer", "row", "tensor"};
    static const int sm_vals[] = {ENGINE_SPLIT_NONE, ENGINE_SPLIT_LAYER, ENGINE_SPLIT_ROW,
                                  ENGINE_SPLIT_TENSOR};
    const int big = 1 << 24;
    memset(o, 0, sizeof(*o));
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
            return set_err(err, takes_value(a) ? "%s needs a value" : "unknown flag '%s'", a);
        const char *v = argv[++i];
        int rc = 0;
        const unsigned fmts = BENCH_FMTS_ROWS | BENCH_FMT_BIT(BENCH_FMT_SQL);
        if (!strcmp(a, "-m") || !strcmp(a, "--model"))
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
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads"))
            rc = int_list_parse(&o->n_threads, a, v, 1, 4096, err);
        else if (!strcmp(a, "-C") || !strcmp(a, "--cpu-mask")) {
            if ((rc = str_list_parse(&o->cpu_mask, a, v, err)) == 0)
                rc = check_masks(&o->cpu_mask, err);
        } else if (!strcmp(a, "--cpu-strict"))
            rc = int_list_parse(&o->cpu_strict, a, v, 0, 1, err);
        else if (!strcmp(a, "--poll"))
            rc = int_list_parse(&o->poll, a, v, 0, 100, err);
        else if (!strcmp(a, "--prio")) {
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
        } else if (!strcmp(a, "-ngl") || !strcmp(a, "--n-gpu-layers"))
            rc = int_list_parse(&o->ngl, a, v, -1, 100000, err);
        else if (!strcmp(a, "-ncmoe") || !strcmp(a, "--n-cpu-moe"))
            rc = int_list_parse(&o->ncmoe, a, v, 0, 100000, err);
        else if (!strcmp(a, "-sm") || !strcmp(a, "--split-mode"))
            rc = parse_named(&o->sm, a, v, sm_names, sm_vals, QB_ARRAY_LEN(sm_names), err);
        else if (!strcmp(a, "-mg") || !strcmp(a, "--main-gpu"))
            rc = int_list_parse(&o->mg, a, v, 0, ENGINE_MAX_DEVICES - 1, err);
        else if (!strcmp(a, "-ts") || !strcmp(a, "--tensor-split")) {
            rc = str_list_parse(&o->ts, a, v, err);
            float tmp[ENGINE_MAX_DEVICES];
            for (size_t k = 0; k < o->ts.n && rc == 0; k++)
                rc = parse_tensor_split(o->ts.v[k], tmp, err);
        } else if (!strcmp(a, "-dev") || !strcmp(a, "--device")) {
            rc = str_list_parse(&o->dev, a, v, err);
            for (size_t k = 0; k < o->dev.n && rc == 0; k++)
                if (strlen(o->dev.v[k]) >= sizeof(((struct engine_model_params *)0)->devices))
                    rc = set_err(err, "value for -dev is too long");
        } else if (!strcmp(a, "-ot") || !strcmp(a, "--override-tensor")) {
            if ((rc = str_list_parse(&o->ot, a, v, err)) == 0)
                rc = check_overrides(&o->ot, err);
        } else if (!strcmp(a, "-b") || !strcmp(a, "--batch-size"))
            rc = int_list_parse(&o->n_batch, a, v, 1, big, err);
        else if (!strcmp(a, "-ub") || !strcmp(a, "--ubatch-size"))
            rc = int_list_parse(&o->n_ubatch, a, v, 1, big, err);
        else if (!strcmp(a, "-ctk") || !strcmp(a, "--cache-type-k")) {
            if ((rc = str_list_parse(&o->ctk, a, v, err)) == 0)
                rc = check_kv_types(&o->ctk, a, err);
        } else if (!strcmp(a, "-ctv") || !strcmp(a, "--cache-type-v")) {
            if ((rc = str_list_parse(&o->ctv, a, v, err)) == 0)
                rc = check_kv_types(&o->ctv, a, err);
        } else if (!strcmp(a, "-fa") || !strcmp(a, "--flash-attn"))
            rc = parse_named(&o->fa, a, v, fa_names, fa_vals, QB_ARRAY_LEN(fa_names), err);
        else if (!strcmp(a, "-nkvo") || !strcmp(a, "--no-kv-offload"))
            rc = int_list_parse(&o->nkvo, a, v, 0, 1, err);
        else if (!strcmp(a, "-lm") || !strcmp(a, "--load-mode"))
            rc = parse_named(&o->lm, a, v, lm_names, lm_vals, QB_ARRAY_LEN(lm_names), err);
        else if (!strcmp(a, "-mmp") || !strcmp(a, "--mmap"))
            rc = parse_named(&o->lm, a, v, mmp_names, mmp_vals, QB_ARRAY_LEN(mmp_names), err);
        else if (!strcmp(a, "--delay")) {
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
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    default_ints(&o->n_prompt, 512);
    default_ints(&o->n_gen, 128);
    default_ints(&o->n_depth, 0);
    default_ints(&o->n_threads, ncpu > 0 ? (int)ncpu : 4);
    default_ints(&o->ngl, -1);
    default_ints(&o->ncmoe, 0);
    default_ints(&o->sm, ENGINE_SPLIT_LAYER);
    default_ints(&o->mg, 0);
    default_ints(&o->n_batch, 2048);
    default_ints(&o->n_ubatch, 512);
    default_ints(&o->fa, -1);
    default_ints(&o->nkvo, 0);
    default_ints(&o->lm, -1);
    default_ints(&o->poll, 50);
    default_ints(&o->cpu_strict, 0);
    default_strs(&o->ctk, "f16");
    default_strs(&o->ctv, "f16");
    default_strs(&o->cpu_mask, "0x0");
    default_strs(&o->ts, "0");
    default_strs(&o->dev, "auto");
    default_strs(&o->ot, "none");
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

static void add_tests(const struct bench_opts *o, struct bench_group *g)
{
    /* clang-format off */
    for (size_t ib = 0; ib < o->n_batch.n; ib++)
    for (size_t iu = 0; iu < o->n_ubatch.n; iu++)
    for (size_t ik = 0; ik < o->ctk.n; ik++)
    for (size_t iv = 0; iv < o->ctv.n; iv++)
    for (size_t inv = 0; inv < o->nkvo.n; inv++)
    for (size_t ifa = 0; ifa < o->fa.n; ifa++)
    for (size_t im = 0; im < o->cpu_mask.n; im++)
    for (size_t is = 0; is < o->cpu_strict.n; is++)
    for (size_t ipl = 0; ipl < o->poll.n; ipl++)
    for (size_t it = 0; it < o->n_threads.n; it++)
    for (size_t id = 0; id < o->n_depth.n; id++) {
                                                /* clang-format on */
                                                struct work_test t;
                                                bench_test_init(&t);
                                                t.cp.n_batch = (uint32_t)o->n_batch.v[ib];
                                                t.cp.n_ubatch = (uint32_t)o->n_ubatch.v[iu];
                                                snprintf(t.cp.type_k, sizeof(t.cp.type_k), "%s",
                                                         o->ctk.v[ik]);
                                                snprintf(t.cp.type_v, sizeof(t.cp.type_v), "%s",
                                                         o->ctv.v[iv]);
                                                t.cp.no_kv_offload = o->nkvo.v[inv];
                                                t.cp.flash_attn = o->fa.v[ifa];
                                                snprintf(t.cp.cpu_mask, sizeof(t.cp.cpu_mask), "%s",
                                                         o->cpu_mask.v[im]);
                                                t.cp.cpu_strict = o->cpu_strict.v[is];
                                                t.cp.poll = o->poll.v[ipl];
                                                t.cp.prio = o->prio;
                                                t.cp.n_threads = t.cp.n_threads_batch =
                                                    o->n_threads.v[it];
                                                t.delay_s = o->delay_s;
                                                t.pt.n_depth = o->n_depth.v[id];
                                                t.pt.n_batch = o->n_batch.v[ib];
                                                t.pt.n_threads = o->n_threads.v[it];
                                                t.pt.reps = o->auto_reps ? o->max_reps : o->reps;
                                                t.pt.auto_reps = o->auto_reps;
                                                t.pt.min_reps = o->min_reps;
                                                t.pt.rel_ci = o->ci_target_pct / 100.0;
                                                t.pt.max_time_s = o->max_time_s;
                                                t.pt.no_warmup = o->no_warmup;
                                                t.pt.seed = o->seed;
                                                for (size_t ip = 0; ip < o->n_prompt.n; ip++)
                                                    if (o->n_prompt.v[ip] > 0)
                                                        bench_group_add(g, &t, o->n_prompt.v[ip],
                                                                        0);
                                                for (size_t ig = 0; ig < o->n_gen.n; ig++)
                                                    if (o->n_gen.v[ig] > 0)
                                                        bench_group_add(g, &t, 0, o->n_gen.v[ig]);
                                                for (size_t ipg = 0; ipg + 1 < o->pg.n; ipg += 2)
                                                    bench_group_add(g, &t, o->pg.v[ipg],
                                                                    o->pg.v[ipg + 1]);
                                            }
}

static void build_grid(const struct bench_opts *o, struct bench_plan *p)
{
    char err[QB_ERR_LEN];
    /* clang-format off */
    for (size_t m = 0; m < o->models.n; m++)
    for (size_t a = 0; a < o->ngl.n; a++)
    for (size_t c = 0; c < o->ncmoe.n; c++)
    for (size_t s = 0; s < o->sm.n; s++)
    for (size_t mg = 0; mg < o->mg.n; mg++)
    for (size_t ts = 0; ts < o->ts.n; ts++)
    for (size_t d = 0; d < o->dev.n; d++)
    for (size_t ot = 0; ot < o->ot.n; ot++)
    for (size_t b = 0; b < o->lm.n; b++) {
                                        /* clang-format on */
                                        struct engine_model_params mp =
                                            engine_model_params_default();
                                        struct bench_group *g =
                                            bench_plan_group(p, o->models.v[m], &mp);
                                        g->mp.n_gpu_layers = o->ngl.v[a];
                                        g->mp.n_cpu_moe = o->ncmoe.v[c];
                                        g->mp.split_mode = (enum engine_split_mode)o->sm.v[s];
                                        g->mp.main_gpu = o->mg.v[mg];
                                        parse_tensor_split(o->ts.v[ts], g->mp.tensor_split,
                                                           err); /* validated earlier */
                                        if (strcmp(o->dev.v[d], "auto"))
                                            snprintf(g->mp.devices, sizeof(g->mp.devices), "%s",
                                                     o->dev.v[d]);
                                        if (strcmp(o->ot.v[ot], "none"))
                                            snprintf(g->mp.overrides, sizeof(g->mp.overrides), "%s",
                                                     o->ot.v[ot]);
                                        g->mp.use_mmap = o->lm.v[b];
                                        add_tests(o, g);
                                    }
}

static bool ints_vary(const struct int_list *l, int def)
{
    return l->n > 1 || l->v[0] != def;
}

static bool strs_vary(const struct str_list *l, const char *def)
{
    return l->n > 1 || strcmp(l->v[0], def);
}

/* llama-bench's rule: a column appears when its flag has several values or a
 * non-default one (ngl and threads also by backend, decided at the first row) */
static unsigned md_columns(const struct bench_opts *o)
{
    unsigned c = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c |= ints_vary(&o->ngl, -1) ? BENCH_COL_NGL : 0;
    c |= ints_vary(&o->ncmoe, 0) ? BENCH_COL_NCMOE : 0;
    c |= ints_vary(&o->n_threads, ncpu > 0 ? (int)ncpu : 4) ? BENCH_COL_THREADS : 0;
    c |= strs_vary(&o->cpu_mask, "0x0") ? BENCH_COL_CPU_MASK : 0;
    c |= ints_vary(&o->cpu_strict, 0) ? BENCH_COL_CPU_STRICT : 0;
    c |= ints_vary(&o->poll, 50) ? BENCH_COL_POLL : 0;
    c |= ints_vary(&o->n_batch, 2048) ? BENCH_COL_BATCH : 0;
    c |= ints_vary(&o->n_ubatch, 512) ? BENCH_COL_UBATCH : 0;
    c |= strs_vary(&o->ctk, "f16") ? BENCH_COL_TYPE_K : 0;
    c |= strs_vary(&o->ctv, "f16") ? BENCH_COL_TYPE_V : 0;
    c |= ints_vary(&o->mg, 0) ? BENCH_COL_MG : 0;
    c |= ints_vary(&o->sm, ENGINE_SPLIT_LAYER) ? BENCH_COL_SM : 0;
    c |= ints_vary(&o->nkvo, 0) ? BENCH_COL_NKVO : 0;
    c |= ints_vary(&o->fa, -1) ? BENCH_COL_FA : 0;
    c |= strs_vary(&o->dev, "auto") ? BENCH_COL_DEV : 0;
    c |= strs_vary(&o->ts, "0") ? BENCH_COL_TS : 0;
    c |= strs_vary(&o->ot, "none") ? BENCH_COL_OT : 0;
    c |= ints_vary(&o->lm, -1) ? BENCH_COL_LM : 0;
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
        for (size_t k = 0; k < o->ngl.n; k++)
            if (ngl_too_many(o->ngl.v[k], n_layer)) {
                *exit_code = usage_error(
                    "bench", "-ngl %d is more than the %lld layers (+ output) of '%s' (99 = all)",
                    o->ngl.v[k], n_layer, o->models.v[i]);
                return -1;
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
