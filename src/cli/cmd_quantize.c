/* quantbench quantize: the quantization ladder of one F16/BF16/F32 model through
 * llama.cpp's quantizer, one worker per type (a crash or an out-of-memory costs only that
 * rung), skipping rungs already made from the same source (a sidecar FILE.source holds
 * the source's quick identity: size and SHA-256 of its first and last MiB). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../gguf/gguf.h"
#include "../gguf/imatrix.h"
#include "../record/args.h"
#include "../report/table.h"
#include "../run/corpus.h"
#include "../run/quality.h"
#include "../run/quantize.h"
#include "../run/runner.h"
#include "../store/dbrun.h"
#include "../util/clock.h"
#include "../util/json.h"
#include "../util/log.h"
#include "../util/progress.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "bench_out.h"
#include "cmd.h"
#include "single.h"

static const char quantize_help[] =
    "usage: quantbench quantize -m MODEL --types T1,T2,... -o DIR [flags]\n"
    "\n"
    "Quantize MODEL (F16, BF16 or F32) to every type with llama.cpp's quantizer, one worker\n"
    "per type, into DIR/<name>-<TYPE>.gguf. A rung already made from the same source and\n"
    "importance matrix (the sidecar <file>.source matches the source's size and SHA-256 of\n"
    "its first and last MiB, and the matrix's, and the file's type is right) is skipped.\n"
    "With --bench and --quality the source and every rung are measured in this one run\n"
    "(stored rows of kinds quantize, bench and quality); 'quantbench report' shows the\n"
    "ladder: size, speed, quality, and the size / KLD frontier.\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  -m, --model FILE            the source model\n"
    "  --types LIST                llama-quantize type names, e.g. Q8_0,Q6_K,Q4_K_M,Q3_K_L\n"
    "  -o, --out-dir DIR           where the rungs go (created if missing)\n"
    "  --imatrix FILE              an importance matrix (llama-imatrix's GGUF or legacy .dat),\n"
    "                              used as llama-quantize --imatrix uses it\n"
    "  --imatrix-from TEXT         compute it first, as llama-imatrix does (same file, byte for\n"
    "                              byte), over TEXT in chunks of -c: DIR/<name>.imatrix.gguf,\n"
    "                              reused while the source, text, -c and --chunks are the same\n"
    "  --process-output            --imatrix-from also collects output.weight (as\n"
    "                              llama-imatrix --process-output)\n"
    "  --bench                     pp and tg speed of the source and every rung (bench -p -n -r)\n"
    "  --quality                   PPL of the source over -f/--corpus, its log-probabilities\n"
    "                              kept in DIR/<name>.base.bin, and PPL, KL-divergence and\n"
    "                              same-top-token % of every rung against them\n"
    "  -f, --file TEXT             the text for --quality\n"
    "  --corpus NAME               a named text instead of -f (see 'quality --corpus list')\n"
    "  -c, --ctx-size N            tokens per chunk for --imatrix-from and --quality [512]\n"
    "  --chunks N                  chunks for --imatrix-from and --quality [all]\n"
    "  -p, -n, -r N                --bench: prompt tokens [512], generated tokens [128],\n"
    "                              repetitions [3]\n"
    "  -t, --threads N             threads [online CPUs]\n"
    "  --timeout S                 seconds per rung [0 = none]\n"
    "  --format FMT                md, csv, json or jsonl [md]\n"
    "  --progress, --no-progress   rungs done with an ETA on stderr [on when stderr is a\n"
    "                              terminal]\n"
    "  -v, --verbose               llama.cpp's log (-v -v)\n"
    "\n"
    "Columns: type, file, size, bits per weight, rung (source, made, skipped, failed),\n"
    "seconds; with --bench pp and tg t/s; with --quality PPL, mean KLD, same top %.\n"
    "\n" QB_EXIT_CODES_HELP;

static const struct table_col quantize_cols[] = {
    {"type", "type", -8, TABLE_INT},        {"file", "file", -40, TABLE_INT},
    {"size_mib", "size MiB", 10, TABLE_F2}, {"bpw", "bits/weight", 11, TABLE_F2},
    {"action", "rung", -8, TABLE_INT},      {"time_s", "time s", 8, TABLE_F2},
};

/* file type, tensor bytes and weights of a GGUF; -1 with err */
static int gguf_facts(const char *path, int *ftype, uint64_t *bytes, uint64_t *params, char *err)
{
    struct gf_file *f;
    if (gf_read_file(path, &f, err) < 0)
        return -1;
    *ftype = (int)gf_get_int(f, "general.file_type", -1);
    *bytes = *params = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        uint64_t n = 1;
        for (uint32_t d = 0; d < f->tensors[i].n_dims; d++)
            n *= (uint64_t)f->tensors[i].ne[d];
        *params += n;
        *bytes += f->tensors[i].n_bytes;
    }
    gf_free(f);
    return 0;
}

static bool sidecar_matches(const char *path, const char *want)
{
    char *side = xasprintf("%s.source", path), err[QB_ERR_LEN];
    size_t len;
    char *got = read_file(side, 4096, &len, err);
    bool ok = got && strcmp(got, want) == 0;
    free(got);
    free(side);
    return ok;
}

static int write_sidecar(const char *path, const char *text, char *err)
{
    char *side = xasprintf("%s.source", path);
    int rc = write_file_atomic(side, text, err);
    free(side);
    return rc;
}

/* ---- what quantize measures besides the rungs (--imatrix-from, --bench, --quality) ---- */

struct qopts {
    const char *model, *dir, *types, *imatrix, *imatrix_from, *text, *corpus;
    int threads, verbose, n_ctx, n_chunks, n_prompt, n_gen, reps;
    bool bench, quality, process_output;
    double timeout_s;
    enum bench_fmt fmt;
    enum progress_mode progress; /* --progress / --no-progress */
};

/* One rung (or the source, as rung 0 when measured): its file and what was measured */
struct rung {
    char *type, *path;
    bool ok;
    cJSON *row;                     /* the ladder row */
    bool made;                      /* made now (build says by what) */
    struct engine_build_info build; /* the llama.cpp build of the worker that made it */
    uint64_t bytes, params;         /* the file's weights */
};

/* a quality run's progress, and its row */
struct quality_out {
    struct progress prog;
    const struct single_opts *o; /* the settings of the quality rows; NULL: none stored */
    bool got;                    /* a row came */
    double ppl, ppl_err;         /* its PPL */
    int n_chunks;                /* chunks scored */
    bool has_kld;                /* kld holds its KL-divergence statistics */
    struct kld_stats kld;
};

/* the row of a quality run: stored as quality's own (a rung's or the source's), its
 * figures kept for the ladder */
static void on_quality_row(const struct quality_row *r, void *ud)
{
    struct quality_out *qo = ud;
    if (qo->o) {
        cJSON *row = quality_row_new(r, qo->o->reps);
        dbrun_row("quality", row);
        cJSON_Delete(row);
    }
    qo->got = true;
    qo->ppl = r->ppl;
    qo->ppl_err = r->ppl_err;
    qo->n_chunks = r->n_chunks;
    qo->has_kld = r->has_kld;
    qo->kld = r->kld;
}

/* --imatrix-from: llama-imatrix's statistics of the source over the text, into path
 * (kept, and reused while the source, text and settings are the same) */
static int make_imatrix(const struct qopts *q, const char *srcid, const char *path, char *err)
{
    char tid[160];
    if (file_quick_id(q->imatrix_from, tid, err) < 0)
        return QB_EXIT_INPUT;
    char *want = xasprintf("%s text=%s c=%d chunks=%d output=%d\n", srcid, tid, q->n_ctx,
                           q->n_chunks, q->process_output);
    int ret = QB_EXIT_OK;
    if (sidecar_matches(path, want)) {
        log_printf("quantize: importance matrix '%s' is up to date\n", path);
        free(want);
        return ret;
    }
    struct single_opts o;
    single_opts_init(&o);
    o.cp.n_threads = o.cp.n_threads_batch = q->threads;
    o.cp.n_ctx = (uint32_t)q->n_ctx;
    o.cp.n_batch = (uint32_t)(2048 > q->n_ctx ? 2048 : q->n_ctx); /* llama-imatrix's -b */
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    struct quality_params p = {.model = q->model,
                               .mp = o.mp,
                               .cp = o.cp,
                               .mode = WORK_PPL_IMATRIX,
                               .text = q->imatrix_from,
                               .base = tmp,
                               .n_chunks = q->n_chunks,
                               .imx_output = q->process_output,
                               .verbose = q->verbose,
                               .timeout_s = q->timeout_s};
    struct quality_out qo = {.o = NULL};
    progress_begin(&qo.prog, q->progress, "quantize: importance matrix", "chunk", 0);
    struct quality_sink sink = {on_quality_row, &qo, progress_units, &qo.prog};
    enum qb_kind kind = quality_run(&p, &sink, err);
    progress_end(&qo.prog);
    bool ok = kind == QB_KIND_OK;
    if (ok && rename(tmp, path) != 0) {
        set_err(err, "cannot rename '%s': %s", tmp, strerror(errno));
        ok = false;
        kind = QB_KIND_RUNTIME;
    }
    if (ok && write_sidecar(path, want, err) < 0) {
        ok = false;
        kind = QB_KIND_RUNTIME;
    }
    if (ok) {
        log_printf("quantize: importance matrix '%s' from '%s': %d chunks of %d, PPL %.4f\n", path,
                   q->imatrix_from, qo.n_chunks, q->n_ctx, qo.ppl);
    } else if (sig_caught()) {
        unlink(tmp);
        ret = sig_exit_code(); /* said by main */
    } else {
        unlink(tmp);
        ret = qb_kind_exit(kind);
    }
    free(tmp);
    free(want);
    return ret;
}

/* --imatrix FILE: readable, and made for this model */
static int check_imatrix(const char *path, const char *model, char *err)
{
    struct imatrix im;
    if (imatrix_read_file(path, &im, err) < 0)
        return -1;
    struct gf_file *g;
    int rc = gf_read_file(model, &g, err);
    if (rc == 0) {
        char why[QB_ERR_LEN];
        if (imatrix_check_model(&im, g, why) < 0)
            rc = set_err(err, "'%s' is not an importance matrix of '%s': %s", path, model, why);
        gf_free(g);
    }
    imatrix_free(&im);
    return rc;
}

/* the rungs of a --bench run, and each bench row's t/s added to its rung's row */
struct rung_bench {
    struct rung *r;
    int n;
};

static void rung_bench_row(void *ud, const struct bench_row *row)
{
    const struct rung_bench *rb = ud;
    if (row->status != BENCH_STATUS_OK)
        return; /* left null */
    bool pp = row->t.pt.n_prompt > 0;
    const struct stats s = row->ts;
    for (int i = 0; i < rb->n; i++) {
        if (!rb->r[i].ok || strcmp(rb->r[i].path, row->model_filename) != 0)
            continue;
        cJSON_AddNumberToObject(rb->r[i].row, pp ? "pp_ts" : "tg_ts", s.mean);
        cJSON_AddNumberToObject(rb->r[i].row, pp ? "pp_ts_sd" : "tg_ts_sd", s.stddev);
    }
}

/* --bench: pp and tg of the source and every rung, one bench run over them all (its rows
 * stored as bench's) */
static void bench_rungs(const struct qopts *q, struct rung *r, int n, int *failed)
{
    struct bench_plan plan = {0};
    struct engine_model_params mp = engine_model_params_default();
    struct work_test t;
    bench_test_init(&t);
    t.cp.n_threads = t.cp.n_threads_batch = t.pt.n_threads = q->threads;
    t.pt.reps = q->reps;
    for (int i = 0; i < n; i++)
        if (r[i].ok) {
            struct bench_group *g = bench_plan_group(&plan, r[i].path, &mp);
            bench_group_add(g, &t, q->n_prompt, 0);
            bench_group_add(g, &t, 0, q->n_gen);
        }
    if (!plan.n_groups)
        return;
    plan.verbose = 0;
    struct bench_out out;
    bench_out_begin(&out, &plan, q->progress == PROGRESS_ON, BENCH_FMT_NONE, BENCH_FMT_NONE, 0);
    struct rung_bench rb = {r, n};
    out.also = rung_bench_row;
    out.also_ud = &rb;
    struct bench_sink sink = bench_out_sink(&out);
    bench_run(&plan, &sink);
    bench_plan_free(&plan);
    if (bench_out_end(&out) != QB_EXIT_OK)
        (*failed)++;
}

/* --quality: PPL of the source with its log-probabilities saved, then PPL and
 * KL-divergence of every rung against them; each a row of kind quality */
static void quality_rungs(const struct qopts *q, struct rung *r, int n, int *failed, int *input)
{
    char *stem = quantize_stem(q->model);
    char *base = xasprintf("%s/%s.base.bin", q->dir, stem);
    free(stem);
    struct single_opts o; /* quality's settings: its defaults, -t, and -c for the source */
    single_opts_init(&o);
    o.cp.n_ctx = 512;
    o.cp.n_threads = o.cp.n_threads_batch = q->threads;
    o.progress = q->progress;
    for (int i = 0; i < n && !sig_caught(); i++) {
        if (!r[i].ok)
            continue;
        char err[QB_ERR_LEN];
        o.model = r[i].path;
        struct quality_params p = {.model = r[i].path,
                                   .mp = o.mp,
                                   .cp = o.cp,
                                   .mode = WORK_PPL_KLD,
                                   .base = base,
                                   .seed = o.seed,
                                   .verbose = o.verbose,
                                   .timeout_s = o.timeout_s};
        enum qb_kind kind = QB_KIND_OK;
        if (i == 0) { /* the source: its PPL, and the base file the rungs are held against */
            p.mode = WORK_PPL_SAVE_BASE;
            p.text = q->text;
            p.cp.n_ctx = (uint32_t)q->n_ctx;
            p.n_chunks = q->n_chunks;
        } else {
            kind = quality_check_base(base, r[i].path, NULL, err);
        }
        struct quality_out qo = {.o = &o};
        if (kind == QB_KIND_OK) {
            progress_begin(&qo.prog, o.progress, "quality", "chunk", 0);
            struct quality_sink sink = {on_quality_row, &qo, progress_units, &qo.prog};
            kind = quality_run(&p, &sink, err);
            progress_end(&qo.prog);
        }
        if (kind != QB_KIND_OK || !qo.got) {
            if (kind != QB_KIND_INTERRUPTED)
                error("%s", err);
            (*failed)++;
            if (kind == QB_KIND_INPUT)
                *input = 1;
            if (i == 0) /* no base: nothing to hold the rungs against */
                break;
            continue;
        }
        const struct kld_stats *k = qo.has_kld ? &qo.kld : NULL;
        cJSON_AddNumberToObject(r[i].row, "ppl", qo.ppl);
        cJSON_AddNumberToObject(r[i].row, "ppl_err", qo.ppl_err);
        cJSON_AddNumberToObject(r[i].row, "kld", k ? k->kld : 0);
        cJSON_AddNumberToObject(r[i].row, "kld_sd", k ? k->kld_err : 0);
        cJSON_AddNumberToObject(r[i].row, "same_top_pct", k ? 100 * k->same_top : 100);
        cJSON_AddNumberToObject(r[i].row, "same_top_pct_sd", k ? 100 * k->same_top_err : 0);
    }
    free(base);
}

/* llama.cpp's quantizer takes F32, F16 or BF16 weights: llama-quantize refuses to
 * requantize a quantized tensor unless --allow-requantize (which warns of a severe loss
 * of quality), and we do not offer that. -1 with err for a quantized source. */
static int check_source_types(const char *path, char *err)
{
    struct gf_file *f;
    if (gf_read_file(path, &f, err) < 0)
        return -1;
    int rc = 0;
    for (uint64_t i = 0; i < f->n_tensors && rc == 0; i++) {
        const struct ggml_type_info *ti = ggml_type_info(f->tensors[i].type);
        if (ti && ti->blck == 1)
            continue;
        const char *ft = llama_ftype_name_short((int)gf_get_int(f, "general.file_type", -1));
        rc = set_err(err,
                     "'%s' is already quantized (%s, tensor '%s' is %s): quantize takes an F32, "
                     "F16 or BF16 model, as llama-quantize does (it refuses to requantize)",
                     path, ft ? ft : "?", f->tensors[i].name, ti ? ti->name : "of an unknown type");
    }
    gf_free(f);
    return rc;
}

/* Outputs never replace inputs: each file quantize writes against each it reads. */
struct io_file {
    char what[64]; /* "the model (-m)", "the Q8_0 rung", ... */
    char *path;    /* owned */
};

static void io_add(struct io_file *f, int *n, const char *what, char *path)
{
    snprintf(f[*n].what, sizeof(f[*n].what), "%s", what);
    f[(*n)++].path = path;
}

/* every file this ladder writes (the rungs, importance matrix, base log-probabilities and
 * their sidecars) against every file it reads; -1 with err naming both */
static int quantize_overwrites(const struct qopts *q, const char *stem, const struct str_list *tl,
                               const int *ft, char *err)
{
    struct io_file in[4], *out = xcalloc(2 * tl->n + 4, sizeof(*out));
    int n_in = 0, n_out = 0, rc = 0;
    io_add(in, &n_in, "the model (-m)", xstrdup(q->model));
    if (q->imatrix)
        io_add(in, &n_in, "the importance matrix (--imatrix)", xstrdup(q->imatrix));
    if (q->imatrix_from)
        io_add(in, &n_in, "the text (--imatrix-from)", xstrdup(q->imatrix_from));
    if (q->text)
        io_add(in, &n_in, q->corpus ? "the corpus text" : "the text (-f)", xstrdup(q->text));
    for (size_t k = 0; k < tl->n; k++) {
        const char *tname = llama_ftype_name_short(ft[k]);
        char what[64], *path = xasprintf("%s/%s-%s.gguf", q->dir, stem, tname);
        snprintf(what, sizeof(what), "the %s rung", tname);
        io_add(out, &n_out, what, path);
        io_add(out, &n_out, what, xasprintf("%s.source", path));
    }
    if (q->imatrix_from) {
        char *path = xasprintf("%s/%s.imatrix.gguf", q->dir, stem);
        io_add(out, &n_out, "the importance matrix", path);
        io_add(out, &n_out, "the importance matrix", xasprintf("%s.source", path));
    }
    if (q->quality) {
        char *path = xasprintf("%s/%s.base.bin", q->dir, stem);
        io_add(out, &n_out, "the base log-probabilities", path);
        io_add(out, &n_out, "the base log-probabilities", xasprintf("%s.model", path));
    }
    for (int i = 0; i < n_out && rc == 0; i++)
        for (int k = 0; k < n_in && rc == 0; k++)
            if (same_file(in[k].path, out[i].path))
                rc = set_err(err, "%s '%s' would overwrite %s '%s' (choose another -o)",
                             out[i].what, out[i].path, in[k].what, in[k].path);
    for (int i = 0; i < n_in; i++)
        free(in[i].path);
    for (int i = 0; i < n_out; i++)
        free(out[i].path);
    free(out);
    return rc;
}

static int parse_quantize_flags(int argc, char **argv, struct qopts *q)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(quantize_help, stdout);
            return -1;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            q->verbose++;
            continue;
        }
        if (!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) {
            q->progress = a[2] == 'p' ? PROGRESS_ON : PROGRESS_OFF;
            continue;
        }
        if (!strcmp(a, "--bench") || !strcmp(a, "--quality") || !strcmp(a, "--process-output")) {
            *(a[2] == 'b' ? &q->bench : a[2] == 'q' ? &q->quality : &q->process_output) = true;
            continue;
        }
        if (!v)
            return usage_error("quantize", "%s needs a value", a);
        i++;
        struct {
            const char *s1, *s2;
            int *out, lo, hi;
        } ints[] = {
            {"-t", "--threads", &q->threads, 1, 4096},
            {"-c", "--ctx-size", &q->n_ctx, 4, 1 << 20},
            {"--chunks", NULL, &q->n_chunks, 1, 1 << 24},
            {"-p", "--n-prompt", &q->n_prompt, 1, 1 << 20},
            {"-n", "--n-gen", &q->n_gen, 1, 1 << 20},
            {"-r", "--repetitions", &q->reps, 1, 1000},
        };
        bool done = false;
        for (size_t k = 0; k < QB_ARRAY_LEN(ints) && !done; k++) {
            if (strcmp(a, ints[k].s1) != 0 && !(ints[k].s2 && strcmp(a, ints[k].s2) == 0))
                continue;
            if (parse_int(v, ints[k].lo, ints[k].hi, ints[k].out) < 0)
                return usage_error("quantize",
                                   "invalid value '%s' for %s (expected an integer in %d..%d)", v,
                                   a, ints[k].lo, ints[k].hi);
            done = true;
        }
        if (done)
            continue;
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            /* the ladder of one source: a second model (-m B, -m A,B) is a mistake */
            if (q->model || strchr(v, ','))
                return usage_error("quantize",
                                   "more than one model given ('%s'); quantize makes the ladder "
                                   "of one source model",
                                   v);
            q->model = v;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--out-dir")) {
            q->dir = v;
        } else if (!strcmp(a, "--types")) {
            q->types = v;
        } else if (!strcmp(a, "--imatrix")) {
            q->imatrix = v;
        } else if (!strcmp(a, "--imatrix-from")) {
            q->imatrix_from = v;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
            q->text = v;
        } else if (!strcmp(a, "--corpus")) {
            q->corpus = v;
        } else if (!strcmp(a, "--timeout")) {
            if (parse_double(v, &q->timeout_s) < 0 || q->timeout_s < 0)
                return usage_error("quantize",
                                   "invalid value '%s' for --timeout (seconds, 0 = none)", v);
        } else if (!strcmp(a, "--format")) {
            char err[QB_ERR_LEN];
            if (bench_fmt_flag(v, BENCH_FMTS_ROWS, NULL, &q->fmt, err) < 0)
                return usage_error("quantize", "%s", err);
        } else {
            return usage_error("quantize", "unknown flag '%s'", a);
        }
    }
    if (!q->model || !q->dir || !q->types)
        return usage_error("quantize", "missing %s",
                           !q->model   ? "-m MODEL"
                           : !q->types ? "--types LIST"
                                       : "-o DIR");
    if (q->imatrix && q->imatrix_from)
        return usage_error("quantize", "--imatrix and --imatrix-from exclude each other");
    if (q->text && q->corpus)
        return usage_error("quantize", "-f and --corpus exclude each other");
    if (q->quality && !q->text && !q->corpus)
        return usage_error("quantize", "--quality needs -f TEXT or --corpus NAME");
    return 0;
}

/* one input file that must exist (the text files; the model is checked as a GGUF) */
static int need_file(const char *path)
{
    char err[QB_ERR_LEN];
    FILE *f = path ? fopen_regular(path, err) : NULL;
    if (path && !f)
        return error("%s", err), -1;
    if (f)
        fclose(f);
    return 0;
}

static void add_cols(struct table_col *cols, int *n, const struct qopts *q)
{
    static const struct table_col bench_cols[] = {
        {"pp_ts", "pp t/s", 16, TABLE_MEAN_SD},
        {"tg_ts", "tg t/s", 14, TABLE_MEAN_SD},
    };
    static const struct table_col quality_cols[] = {
        {"ppl", "PPL", 16, TABLE_MEAN_ERR},
        {"kld", "mean KLD", 18, TABLE_MEAN_SD4},
        {"same_top_pct", "same top %", 14, TABLE_MEAN_SD},
    };
    memcpy(cols, quantize_cols, sizeof(quantize_cols));
    *n = (int)QB_ARRAY_LEN(quantize_cols);
    if (q->bench)
        for (size_t i = 0; i < QB_ARRAY_LEN(bench_cols); i++)
            cols[(*n)++] = bench_cols[i];
    if (q->quality)
        for (size_t i = 0; i < QB_ARRAY_LEN(quality_cols); i++)
            cols[(*n)++] = quality_cols[i];
}

int cmd_quantize(int argc, char **argv)
{
    struct qopts q = {.threads = (int)sysconf(_SC_NPROCESSORS_ONLN),
                      .n_ctx = 512,
                      .n_chunks = -1,
                      .n_prompt = 512,
                      .n_gen = 128,
                      .reps = 3,
                      .fmt = BENCH_FMT_MD};
    char err[QB_ERR_LEN];
    int prc = parse_quantize_flags(argc, argv, &q);
    if (prc)
        return prc < 0 ? QB_EXIT_OK : prc;
    struct str_list tl = {0};
    str_list_split(&tl, q.types, ',');
    if (tl.n == 0) {
        str_list_release(&tl);
        return usage_error("quantize", "--types '%s' names no type (e.g. Q8_0,Q6_K,Q4_K_M)",
                           q.types);
    }
    int *ft = xcalloc(tl.n, sizeof(int));
    for (size_t k = 0; k < tl.n; k++) {
        ft[k] = llama_ftype_by_name(tl.v[k]);
        int rc = 0;
        if (ft[k] < 0)
            rc = usage_error("quantize",
                             "unknown quantization type '%s' (llama-quantize's names: Q8_0, "
                             "Q6_K, Q5_K_M, Q4_K_M, Q3_K_L, IQ4_XS, ...)",
                             tl.v[k]);
        for (size_t j = 0; j < k && rc == 0; j++)
            if (ft[j] == ft[k]) /* the same file twice */
                rc = usage_error("quantize", "type '%s' is listed twice in --types", tl.v[k]);
        if (rc) {
            free(ft);
            str_list_release(&tl);
            return rc;
        }
    }
    char id[160];
    long long n_layer;
    int ret = QB_EXIT_OK;
    const char *imatrix = q.imatrix;
    char *stem = quantize_stem(q.model), *imx_made = NULL, *corpus_file = NULL;
    if (q.corpus && (q.text = corpus_file = corpus_path(q.corpus, err)) == NULL) {
        error("%s", err);
        ret = QB_EXIT_INPUT;
    } else if (check_model_file(q.model, &n_layer, err) < 0 ||
               file_quick_id(q.model, id, err) < 0 || check_source_types(q.model, err) < 0) {
        error("%s", err);
        ret = QB_EXIT_INPUT;
    } else if (need_file(q.text) < 0 || need_file(q.imatrix_from) < 0) {
        ret = QB_EXIT_INPUT;
    } else if (q.imatrix && check_imatrix(q.imatrix, q.model, err) < 0) {
        error("%s", err);
        ret = QB_EXIT_INPUT;
    } else if (quantize_overwrites(&q, stem, &tl, ft, err) < 0) {
        ret = usage_error("quantize", "%s", err);
    } else if (mkdir(q.dir, 0777) < 0 && errno != EEXIST) {
        error("cannot create '%s': %s", q.dir, strerror(errno));
        ret = QB_EXIT_FAIL;
    } else if (dir_check_writable(q.dir, err) < 0) {
        error("%s", err);
        ret = QB_EXIT_FAIL;
    } else if (q.imatrix_from) {
        imx_made = xasprintf("%s/%s.imatrix.gguf", q.dir, stem);
        ret = make_imatrix(&q, id, imx_made, err);
        if (ret && !sig_caught())
            error("%s", err);
        imatrix = imx_made;
    }
    if (ret) {
        free(corpus_file);
        free(stem);
        free(imx_made);
        free(ft);
        str_list_release(&tl);
        return ret;
    }
    char imx_id[160] = "none";
    if (imatrix && file_quick_id(imatrix, imx_id, err) < 0) {
        free(corpus_file);
        free(stem);
        free(imx_made);
        free(ft);
        str_list_release(&tl);
        return error("%s", err), QB_EXIT_INPUT;
    }
    /* rung 0 is the source, measured alongside the rungs with --bench / --quality */
    const bool measure = q.bench || q.quality;
    const int n_r = (int)tl.n + 1;
    struct rung *rg = xcalloc((size_t)n_r, sizeof(*rg));
    int failed = 0;
    {
        int src_ft = -1;
        uint64_t bytes = 0, params = 0;
        rg[0].path = xstrdup(q.model);
        rg[0].ok = measure && gguf_facts(q.model, &src_ft, &bytes, &params, err) == 0;
        rg[0].bytes = bytes;
        rg[0].params = params;
        const char *sname = llama_ftype_name_short(src_ft);
        rg[0].type = xstrdup(sname ? sname : "source");
        rg[0].row = cJSON_CreateObject();
        cJSON_AddStringToObject(rg[0].row, "type", rg[0].type);
        cJSON_AddStringToObject(rg[0].row, "file", q.model);
        cJSON_AddNumberToObject(rg[0].row, "size_mib", (double)bytes / 1048576.0);
        cJSON_AddNumberToObject(rg[0].row, "size_bytes", (double)bytes);
        cJSON_AddNumberToObject(rg[0].row, "n_params", (double)params);
        cJSON_AddNumberToObject(rg[0].row, "bpw",
                                params ? 8.0 * (double)bytes / (double)params : 0);
        cJSON_AddNumberToObject(rg[0].row, "ftype", src_ft);
        cJSON_AddStringToObject(rg[0].row, "action", "source");
        cJSON_AddStringToObject(rg[0].row, "status", "ok");
        cJSON_AddStringToObject(rg[0].row, "error", "");
        cJSON_AddNumberToObject(rg[0].row, "time_s", 0);
    }
    struct progress prog;
    progress_begin(&prog, q.progress, "quantize", "rung", (long)tl.n);
    int n_done = 1; /* rungs with a row: all, or up to the one SIGINT / SIGTERM cut */
    for (size_t k = 0; k < tl.n && !sig_caught(); k++, n_done++) {
        const char *tname = llama_ftype_name_short(ft[k]);
        struct rung *r = &rg[k + 1];
        r->type = xstrdup(tname);
        r->path = xasprintf("%s/%s-%s.gguf", q.dir, stem, tname);
        char *want = xasprintf("%s ftype=%d imatrix=%s\n", id, ft[k], imx_id);
        int have_ft = -1;
        uint64_t bytes = 0, params = 0;
        const char *status = "made";
        char reason[QB_ERR_LEN] = "";
        uint64_t t0 = monotime_ns();
        if (sidecar_matches(r->path, want) &&
            gguf_facts(r->path, &have_ft, &bytes, &params, err) == 0 && have_ft == ft[k]) {
            status = "skipped";
        } else {
            struct quantize_params qp = {q.model, r->path,   ft[k],      q.threads,
                                         imatrix, q.verbose, q.timeout_s};
            struct quantize_result res;
            bool ok = run_quantize(&qp, &res, reason) == 0;
            r->made = ok;
            r->build = res.build; /* the build that made it */
            if (ok && (write_sidecar(r->path, want, reason) < 0 ||
                       gguf_facts(r->path, &have_ft, &bytes, &params, reason) < 0))
                ok = false;
            if (!ok) {
                r->made = false;
                if (sig_caught()) { /* said once, by main */
                    status = "interrupted";
                } else {
                    status = "failed";
                    failed++;
                    progress_clear(&prog);
                    log_printf("quantbench: error: %s: %s\n", tname, reason);
                }
            }
        }
        r->ok = strcmp(status, "failed") != 0 && strcmp(status, "interrupted") != 0;
        r->bytes = bytes;
        r->params = params;
        cJSON *row = r->row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "type", tname);
        cJSON_AddStringToObject(row, "file", r->path);
        cJSON_AddNumberToObject(row, "size_mib", (double)bytes / 1048576.0);
        cJSON_AddNumberToObject(row, "size_bytes", (double)bytes);
        cJSON_AddNumberToObject(row, "n_params", (double)params);
        cJSON_AddNumberToObject(row, "bpw", params ? 8.0 * (double)bytes / (double)params : 0);
        cJSON_AddNumberToObject(row, "ftype", have_ft);
        cJSON_AddStringToObject(row, "action", status);
        cJSON_AddStringToObject(row, "status", r->ok ? "ok" : status);
        cJSON_AddStringToObject(row, "error", reason);
        cJSON_AddNumberToObject(row, "time_s", (double)(monotime_ns() - t0) / 1e9);
        free(want);
        progress_update(&prog, (long)k + 1);
    }
    progress_end(&prog);
    int input = 0; /* a measurement refused its input (a text too short, say) */
    if (q.bench && !sig_caught())
        bench_rungs(&q, rg, n_done, &failed);
    if (q.quality && !sig_caught())
        quality_rungs(&q, rg, n_done, &failed, &input);
    struct table_col cols[QB_ARRAY_LEN(quantize_cols) + 5];
    int n_cols;
    add_cols(cols, &n_cols, &q);
    struct table_out out;
    table_begin(&out, stdout, q.fmt, cols, n_cols);
    for (int i = measure ? 0 : 1; i < n_done && !dbrun_stopped(); i++) {
        cJSON *row = rg[i].row;
        /* every row with the same keys (csv); a figure that could not be measured is null
         * ("-" in md) */
        const char *keys[] = {"pp_ts", "pp_ts_sd", "tg_ts", "tg_ts_sd"};
        const char *qkeys[] = {"ppl",    "ppl_err",      "kld",
                               "kld_sd", "same_top_pct", "same_top_pct_sd"};
        for (size_t k = 0; q.bench && k < QB_ARRAY_LEN(keys); k++)
            if (!cJSON_HasObjectItem(row, keys[k]))
                cJSON_AddNullToObject(row, keys[k]);
        for (size_t k = 0; q.quality && k < QB_ARRAY_LEN(qkeys); k++)
            if (!cJSON_HasObjectItem(row, qkeys[k]))
                cJSON_AddNullToObject(row, qkeys[k]);
        cJSON_AddStringToObject(row, "imatrix", imatrix ? imatrix : "");
        cJSON_AddStringToObject(row, "source", q.model);
        cJSON_AddStringToObject(row, "source_id", id);
        /* where the row came from: the file (model), host, and the build that made it */
        struct runner_info info;
        memset(&info, 0, sizeof(info));
        if (rg[i].made)
            info.build = rg[i].build;
        snprintf(info.model.desc, sizeof(info.model.desc), "%s", rg[i].type);
        info.model.size = rg[i].bytes;
        info.model.n_params = rg[i].params;
        row_meta(row, rg[i].path, &info);
        table_row(&out, row);
        dbrun_row("quantize", row);
    }
    table_end(&out);
    for (int i = 0; i < n_r; i++) {
        free(rg[i].type);
        free(rg[i].path);
        cJSON_Delete(rg[i].row);
    }
    free(rg);
    free(corpus_file);
    free(stem);
    free(imx_made);
    free(ft);
    str_list_release(&tl);
    return input ? QB_EXIT_INPUT : failed ? QB_EXIT_PARTIAL : QB_EXIT_OK;
}
