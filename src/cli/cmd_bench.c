/* quantbench bench: llama-bench's grid (pp, tg, pp+tg at depths, over thread
 * counts, batch sizes, cache types, ...), run in worker processes, one per model
 * load, each reused for every test it can serve. A worker that dies or times out
 * costs only its row: the row is written with the cause and the grid goes on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/worker.h"
#include "../gguf/gguf.h"
#include "../measure/bench_row.h"
#include "../report/bench_report.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "args.h"
#include "cmd.h"

static const char bench_help[] =
    "usage: quantbench bench -m MODEL [flags]\n"
    "\n"
    "Prompt processing (pp) and text generation (tg) speed, as llama-bench measures it.\n"
    "Every numeric flag takes a comma list and ranges (a-b, a-b+step, a-b*mult) and may\n"
    "repeat; the tests are the Cartesian product, grouped so each model loads once.\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  -m, --model FILE          GGUF model(s), comma list or repeated (required)\n"
    "  -p, --n-prompt N          prompt tokens [512]; 0 disables pp tests\n"
    "  -n, --n-gen N             generated tokens [128]; 0 disables tg tests\n"
    "  -pg PP,TG                 a pp+tg test (prompt then generation) [none]\n"
    "  -d, --n-depth N           tokens already in the KV cache [0]\n"
    "  -r, --repetitions N       timed repetitions per test [5]\n"
    "  -t, --threads N           threads [number of online CPUs]\n"
    "  -ngl, --n-gpu-layers N    layers offloaded to the GPU, -1 = all [-1]\n"
    "  -b, --batch-size N        logical batch [2048]\n"
    "  -ub, --ubatch-size N      physical batch [512]\n"
    "  -ctk, --cache-type-k T    K cache type: f16, bf16, f32, q8_0, q4_0, ... [f16]\n"
    "  -ctv, --cache-type-v T    V cache type [f16]\n"
    "  -fa, --flash-attn X       on|off|auto (or 1|0) [auto]\n"
    "  -nkvo, --no-kv-offload B  0|1: keep the KV cache in host memory [0]\n"
    "  -lm, --load-mode M        auto|mmap|none [auto]; -mmp 0|1 is accepted too\n"
    "  --poll N                  threadpool polling 0..100 [50]\n"
    "  --no-warmup               skip the untimed warm-up run\n"
    "  --seed N                  random-token seed [1]\n"
    "  --timeout S               seconds a worker may take per model load or test [0 = none]\n"
    "  -o, --output FMT          md (llama-bench's table), json, jsonl [md]\n"
    "  -v, --verbose             show the workers' and llama.cpp's log (-v -v: all of it)\n"
    "\n"
    "t/s is the mean +/- sample stddev of per-repetition t/s; json/jsonl rows add the\n"
    "raw samples, median, min, max, 95% CI, pp/tg parts, TTFT, load and context time.\n"
    "\n" QB_EXIT_CODES_HELP;

struct bench_opts {
    struct str_list models;
    struct int_list n_prompt, n_gen, pg, n_depth, n_threads, ngl, n_batch, n_ubatch, fa, nkvo, lm,
        poll;
    struct str_list ctk, ctv;
    int reps;
    bool no_warmup;
    uint64_t seed;
    double timeout_s;
    enum bench_fmt fmt;
    int verbose;
};

static void opts_release(struct bench_opts *o)
{
    str_list_release(&o->models);
    struct int_list *ils[] = {&o->n_prompt,  &o->n_gen, &o->pg,      &o->n_depth,
                              &o->n_threads, &o->ngl,   &o->n_batch, &o->n_ubatch,
                              &o->fa,        &o->nkvo,  &o->lm,      &o->poll};
    for (size_t i = 0; i < QB_ARRAY_LEN(ils); i++)
        int_list_release(ils[i]);
    str_list_release(&o->ctk);
    str_list_release(&o->ctv);
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

static int check_kv_types(const struct str_list *l, const char *flag, char *err)
{
    static const char *ok[] = {"f32",  "f16",    "bf16", "q8_0", "q4_0",
                               "q4_1", "iq4_nl", "q5_0", "q5_1"};
    for (size_t i = 0; i < l->n; i++) {
        size_t k;
        for (k = 0; k < QB_ARRAY_LEN(ok) && strcasecmp(l->v[i], ok[k]) != 0; k++)
            ;
        if (k == QB_ARRAY_LEN(ok))
            return set_err(err,
                           "unknown KV cache type '%s' for %s (f32, f16, bf16, q8_0, q4_0, "
                           "q4_1, iq4_nl, q5_0, q5_1)",
                           l->v[i], flag);
        snprintf(l->v[i], strlen(l->v[i]) + 1, "%s", ok[k]);
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct bench_opts *o, char *err)
{
    static const char *const fa_names[] = {"on", "off", "auto", "1", "0", "-1"};
    static const int fa_vals[] = {1, 0, -1, 1, 0, -1};
    static const char *const lm_names[] = {"auto", "mmap", "none"};
    static const int lm_vals[] = {-1, 1, 0};
    static const char *const mmp_names[] = {"0", "1"};
    static const int mmp_vals[] = {0, 1};
    const int big = 1 << 24;
    memset(o, 0, sizeof(*o));
    o->reps = 5;
    o->seed = 1;
    o->fmt = BENCH_FMT_MD;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-warmup")) {
            o->no_warmup = true;
            continue;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose++;
            continue;
        }
        if (i + 1 >= argc)
            return set_err(err, "unknown flag '%s' or missing value", a);
        const char *v = argv[++i];
        int rc = 0;
        if (!strcmp(a, "-m") || !strcmp(a, "--model"))
            str_list_split(&o->models, v, ',');
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
            if (parse_int(v, 1, 100000, &o->reps) < 0)
                rc = set_err(err, "invalid value '%s' for %s (expected an integer in 1..100000)", v,
                             a);
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads"))
            rc = int_list_parse(&o->n_threads, a, v, 1, 4096, err);
        else if (!strcmp(a, "-ngl") || !strcmp(a, "--n-gpu-layers"))
            rc = int_list_parse(&o->ngl, a, v, -1, 100000, err);
        else if (!strcmp(a, "-b") || !strcmp(a, "--batch-size"))
            rc = int_list_parse(&o->n_batch, a, v, 1, big, err);
        else if (!strcmp(a, "-ub") || !strcmp(a, "--ubatch-size"))
            rc = int_list_parse(&o->n_ubatch, a, v, 1, big, err);
        else if (!strcmp(a, "-ctk") || !strcmp(a, "--cache-type-k")) {
            str_list_split(&o->ctk, v, ',');
            rc = check_kv_types(&o->ctk, a, err);
        } else if (!strcmp(a, "-ctv") || !strcmp(a, "--cache-type-v")) {
            str_list_split(&o->ctv, v, ',');
            rc = check_kv_types(&o->ctv, a, err);
        } else if (!strcmp(a, "-fa") || !strcmp(a, "--flash-attn"))
            rc = parse_named(&o->fa, a, v, fa_names, fa_vals, QB_ARRAY_LEN(fa_names), err);
        else if (!strcmp(a, "-nkvo") || !strcmp(a, "--no-kv-offload"))
            rc = int_list_parse(&o->nkvo, a, v, 0, 1, err);
        else if (!strcmp(a, "-lm") || !strcmp(a, "--load-mode"))
            rc = parse_named(&o->lm, a, v, lm_names, lm_vals, QB_ARRAY_LEN(lm_names), err);
        else if (!strcmp(a, "-mmp") || !strcmp(a, "--mmap"))
            rc = parse_named(&o->lm, a, v, mmp_names, mmp_vals, QB_ARRAY_LEN(mmp_names), err);
        else if (!strcmp(a, "--poll"))
            rc = int_list_parse(&o->poll, a, v, 0, 100, err);
        else if (!strcmp(a, "--seed")) {
            int64_t s;
            if (parse_i64(v, 0, (1ll << 53) - 1, &s) < 0)
                rc = set_err(err, "invalid value '%s' for --seed", v);
            o->seed = (uint64_t)s;
        } else if (!strcmp(a, "--timeout")) {
            if (parse_double(v, &o->timeout_s) < 0 || o->timeout_s < 0)
                rc = set_err(err, "invalid value '%s' for --timeout (seconds, 0 = none)", v);
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!strcmp(v, "md"))
                o->fmt = BENCH_FMT_MD;
            else if (!strcmp(v, "json"))
                o->fmt = BENCH_FMT_JSON;
            else if (!strcmp(v, "jsonl"))
                o->fmt = BENCH_FMT_JSONL;
            else
                rc = set_err(err, "invalid output format '%s' (md, json, jsonl)", v);
        } else
            return set_err(err, "unknown flag '%s'", a);
        if (rc < 0)
            return -1;
    }
    if (o->models.n == 0)
        return set_err(err, "missing -m MODEL");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    default_ints(&o->n_prompt, 512);
    default_ints(&o->n_gen, 128);
    default_ints(&o->n_depth, 0);
    default_ints(&o->n_threads, ncpu > 0 ? (int)ncpu : 4);
    default_ints(&o->ngl, -1);
    default_ints(&o->n_batch, 2048);
    default_ints(&o->n_ubatch, 512);
    default_ints(&o->fa, -1);
    default_ints(&o->nkvo, 0);
    default_ints(&o->lm, -1);
    default_ints(&o->poll, 50);
    if (o->ctk.n == 0)
        str_list_add(&o->ctk, "f16");
    if (o->ctv.n == 0)
        str_list_add(&o->ctv, "f16");
    bool any = o->pg.n > 0;
    for (size_t i = 0; i < o->n_prompt.n; i++)
        any |= o->n_prompt.v[i] > 0;
    for (size_t i = 0; i < o->n_gen.n; i++)
        any |= o->n_gen.v[i] > 0;
    if (!any)
        return set_err(err, "nothing to run: -p and -n are all 0 and there is no -pg");
    return 0;
}

/* ---- the grid ---- */

struct group {
    const char *model;
    struct engine_model_params mp;
    struct work_test *tests;
    size_t n_tests;
};

static void group_add_test(struct group *g, const struct work_test *t)
{
    g->tests = xrealloc(g->tests, (g->n_tests + 1) * sizeof(*t));
    g->tests[g->n_tests] = *t;
    g->tests[g->n_tests].id = (int)g->n_tests;
    g->n_tests++;
}

static void add_pp_tg(struct group *g, struct work_test *t, int pp, int tg)
{
    t->pt.n_prompt = pp;
    t->pt.n_gen = tg;
    t->cp.n_ctx = (uint32_t)(pp + tg + t->pt.n_depth);
    group_add_test(g, t);
}

static struct group *build_grid(const struct bench_opts *o, size_t *n_groups)
{
    struct group *gs = NULL;
    size_t n = 0;
    for (size_t m = 0; m < o->models.n; m++)
        for (size_t a = 0; a < o->ngl.n; a++)
            for (size_t b = 0; b < o->lm.n; b++) {
                gs = xrealloc(gs, (n + 1) * sizeof(*gs));
                struct group *g = &gs[n++];
                memset(g, 0, sizeof(*g));
                g->model = o->models.v[m];
                g->mp = engine_model_params_default();
                g->mp.n_gpu_layers = o->ngl.v[a];
                g->mp.use_mmap = o->lm.v[b];
                for (size_t ib = 0; ib < o->n_batch.n; ib++)
                    for (size_t iu = 0; iu < o->n_ubatch.n; iu++)
                        for (size_t ik = 0; ik < o->ctk.n; ik++)
                            for (size_t iv = 0; iv < o->ctv.n; iv++)
                                for (size_t inv = 0; inv < o->nkvo.n; inv++)
                                    for (size_t ifa = 0; ifa < o->fa.n; ifa++)
                                        for (size_t ipl = 0; ipl < o->poll.n; ipl++)
                                            for (size_t it = 0; it < o->n_threads.n; it++)
                                                for (size_t id = 0; id < o->n_depth.n; id++) {
                                                    struct work_test t;
                                                    memset(&t, 0, sizeof(t));
                                                    t.cp = engine_ctx_params_default();
                                                    t.cp.n_batch = (uint32_t)o->n_batch.v[ib];
                                                    t.cp.n_ubatch = (uint32_t)o->n_ubatch.v[iu];
                                                    snprintf(t.cp.type_k, sizeof(t.cp.type_k), "%s",
                                                             o->ctk.v[ik]);
                                                    snprintf(t.cp.type_v, sizeof(t.cp.type_v), "%s",
                                                             o->ctv.v[iv]);
                                                    t.cp.no_kv_offload = o->nkvo.v[inv];
                                                    t.cp.flash_attn = o->fa.v[ifa];
                                                    t.cp.poll = o->poll.v[ipl];
                                                    t.cp.n_threads = t.cp.n_threads_batch =
                                                        o->n_threads.v[it];
                                                    t.pt.n_depth = o->n_depth.v[id];
                                                    t.pt.n_batch = o->n_batch.v[ib];
                                                    t.pt.n_threads = o->n_threads.v[it];
                                                    t.pt.reps = o->reps;
                                                    t.pt.no_warmup = o->no_warmup;
                                                    t.pt.seed = o->seed;
                                                    for (size_t ip = 0; ip < o->n_prompt.n; ip++)
                                                        if (o->n_prompt.v[ip] > 0)
                                                            add_pp_tg(g, &t, o->n_prompt.v[ip], 0);
                                                    for (size_t ig = 0; ig < o->n_gen.n; ig++)
                                                        if (o->n_gen.v[ig] > 0)
                                                            add_pp_tg(g, &t, 0, o->n_gen.v[ig]);
                                                    for (size_t ipg = 0; ipg + 1 < o->pg.n;
                                                         ipg += 2)
                                                        add_pp_tg(g, &t, o->pg.v[ipg],
                                                                  o->pg.v[ipg + 1]);
                                                }
            }
    *n_groups = n;
    return gs;
}

static unsigned md_columns(const struct bench_opts *o)
{
    unsigned c = BENCH_COL_THREADS; /* a CPU build always shows threads, as llama-bench */
    if (o->ngl.n > 1 || o->ngl.v[0] != -1)
        c |= BENCH_COL_NGL;
    if (o->n_batch.n > 1 || o->n_batch.v[0] != 2048)
        c |= BENCH_COL_BATCH;
    if (o->n_ubatch.n > 1 || o->n_ubatch.v[0] != 512)
        c |= BENCH_COL_UBATCH;
    if (o->ctk.n > 1 || strcmp(o->ctk.v[0], "f16"))
        c |= BENCH_COL_TYPE_K;
    if (o->ctv.n > 1 || strcmp(o->ctv.v[0], "f16"))
        c |= BENCH_COL_TYPE_V;
    if (o->fa.n > 1 || o->fa.v[0] != -1)
        c |= BENCH_COL_FA;
    if (o->lm.n > 1 || o->lm.v[0] != -1)
        c |= BENCH_COL_LM;
    if (o->nkvo.n > 1 || o->nkvo.v[0] != 0)
        c |= BENCH_COL_NKVO;
    return c;
}

/* ---- running ---- */

struct loaded {
    uint64_t load_ns;
    struct engine_model_info model;
    struct engine_build_info build;
};

static void copy_str(char *dst, size_t n, const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(dst, n, "%s", cJSON_IsString(it) ? it->valuestring : "");
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

static bool is_ev(const cJSON *o, const char *ev)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "ev");
    return cJSON_IsString(it) && strcmp(it->valuestring, ev) == 0;
}

static int load_model(struct worker *w, const struct group *g, double timeout_s, struct loaded *ld,
                      char *err)
{
    cJSON *req = proto_load_req(g->model, &g->mp), *resp = NULL;
    int rc = worker_call(w, req, timeout_s, &resp, err);
    cJSON_Delete(req);
    if (rc < 0)
        return -1;
    if (!is_ev(resp, "loaded")) {
        copy_str(err, QB_ERR_LEN, resp, "msg");
        if (!err[0])
            snprintf(err, QB_ERR_LEN, "worker answered a load with something else");
        cJSON_Delete(resp);
        return -1;
    }
    memset(ld, 0, sizeof(*ld));
    ld->load_ns = (uint64_t)num(resp, "load_ns");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(resp, "model");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(resp, "build");
    copy_str(ld->model.desc, sizeof(ld->model.desc), m, "type");
    ld->model.size = (uint64_t)num(m, "size");
    ld->model.n_params = (uint64_t)num(m, "n_params");
    ld->model.n_vocab = (int32_t)num(m, "n_vocab");
    ld->model.n_layer = (int32_t)num(m, "n_layer");
    ld->model.n_ctx_train = (int32_t)num(m, "n_ctx_train");
    copy_str(ld->build.version, sizeof(ld->build.version), b, "version");
    copy_str(ld->build.commit, sizeof(ld->build.commit), b, "commit");
    ld->build.build_number = (int)num(b, "build_number");
    copy_str(ld->build.backends, sizeof(ld->build.backends), b, "backends");
    copy_str(ld->build.cpu_info, sizeof(ld->build.cpu_info), b, "cpu_info");
    copy_str(ld->build.gpu_info, sizeof(ld->build.gpu_info), b, "gpu_info");
    cJSON_Delete(resp);
    return 0;
}

/* Fill row from a result message; -1 (err set) if it is malformed. */
static int take_result(const cJSON *resp, struct bench_row *row, char *err)
{
    int n1, n2, n3, n4;
    row->ctx_ns = (uint64_t)num(resp, "ctx_ns");
    row->warmup_ns = (uint64_t)num(resp, "warmup_ns");
    row->depth_ns = (uint64_t)num(resp, "depth_ns");
    if (proto_get_u64_array(resp, "samples_ns", &row->samples_ns, &n1, err) < 0 ||
        proto_get_u64_array(resp, "pp_ns", &row->pp_ns, &n2, err) < 0 ||
        proto_get_u64_array(resp, "tg_ns", &row->tg_ns, &n3, err) < 0 ||
        proto_get_u64_array(resp, "ttft_ns", &row->ttft_ns, &n4, err) < 0)
        return -1;
    if (n1 != n2 || n1 != n3 || n1 != n4)
        return set_err(err, "protocol: sample arrays differ in length");
    row->n = n1;
    return 0;
}

static enum bench_status death_status(const char *err)
{
    return strstr(err, "timed out") ? BENCH_STATUS_TIMEOUT : BENCH_STATUS_CRASHED;
}

struct run_state {
    const struct bench_opts *o;
    struct bench_report rp;
    int n_failed, n_ok;
    char host[128];
};

static void emit(struct run_state *st, struct bench_row *row)
{
    if (row->status == BENCH_STATUS_OK) {
        st->n_ok++;
    } else {
        st->n_failed++;
        char name[64];
        snprintf(name, sizeof(name), "pp%d/tg%d/d%d", row->t.pt.n_prompt, row->t.pt.n_gen,
                 row->t.pt.n_depth);
        log_error("'%s' %s: %s: %s", row->model_filename, name, bench_status_name(row->status),
                  row->error);
    }
    bench_report_row(&st->rp, row);
}

static void row_host(const struct run_state *st, struct bench_row *r)
{
    snprintf(r->host, sizeof(r->host), "%s", st->host);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES),
         psize = sysconf(_SC_PAGESIZE);
    r->host_cpus = ncpu > 0 ? (int)ncpu : 0;
    r->host_ram = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
}

static void on_progress(double p, void *ud)
{
    log_info("loading '%s': %.0f%%", (const char *)ud, p * 100);
}

static void run_group(struct run_state *st, const struct group *g)
{
    char err[QB_ERR_LEN];
    struct worker *w = NULL;
    struct loaded ld;
    bool have_model = false;
    for (size_t i = 0; i < g->n_tests; i++) {
        struct bench_row row;
        memset(&row, 0, sizeof(row));
        row.model_filename = xstrdup(g->model);
        row.mp = g->mp;
        row.t = g->tests[i];
        row_host(st, &row);
        walltime_rfc3339(row.test_time, sizeof(row.test_time));
        err[0] = '\0';
        if (!worker_alive(w)) {
            worker_stop(w);
            w = worker_start(st->o->verbose, st->o->verbose > 0, err);
            have_model = false;
            if (w && st->o->verbose)
                worker_set_progress(w, on_progress, (void *)g->model);
            if (!w) {
                row.status = BENCH_STATUS_CRASHED;
                snprintf(row.error, sizeof(row.error), "%s", err);
                emit(st, &row);
                bench_row_release(&row);
                continue;
            }
        }
        if (!have_model) {
            if (load_model(w, g, st->o->timeout_s, &ld, err) < 0) {
                row.status = worker_alive(w) ? BENCH_STATUS_LOAD_FAILED : death_status(err);
                snprintf(row.error, sizeof(row.error), "%s", err);
                emit(st, &row);
                bench_row_release(&row);
                /* a model that does not load fails every test of its group the same way */
                for (size_t k = i + 1; k < g->n_tests; k++) {
                    struct bench_row r2;
                    memset(&r2, 0, sizeof(r2));
                    r2.model_filename = xstrdup(g->model);
                    r2.mp = g->mp;
                    r2.t = g->tests[k];
                    row_host(st, &r2);
                    walltime_rfc3339(r2.test_time, sizeof(r2.test_time));
                    r2.status = BENCH_STATUS_LOAD_FAILED;
                    snprintf(r2.error, sizeof(r2.error), "%s", err);
                    emit(st, &r2);
                    bench_row_release(&r2);
                }
                break;
            }
            have_model = true;
        }
        row.model = ld.model;
        row.build = ld.build;
        row.load_ns = ld.load_ns;
        cJSON *req = proto_run_req(&g->tests[i]), *resp = NULL;
        int rc = worker_call(w, req, st->o->timeout_s, &resp, err);
        cJSON_Delete(req);
        if (rc < 0) {
            row.status = death_status(err);
            snprintf(row.error, sizeof(row.error), "%s", err);
        } else if (is_ev(resp, "result")) {
            if (take_result(resp, &row, err) < 0) {
                row.status = BENCH_STATUS_ERROR;
                snprintf(row.error, sizeof(row.error), "%s", err);
            }
        } else {
            row.status = BENCH_STATUS_ERROR;
            copy_str(row.error, sizeof(row.error), resp, "msg");
        }
        cJSON_Delete(resp);
        emit(st, &row);
        bench_row_release(&row);
    }
    worker_stop(w);
}

int cmd_bench(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(bench_help, stdout);
            return QB_EXIT_OK;
        }
    struct bench_opts o;
    char err[QB_ERR_LEN];
    if (parse_args(argc, argv, &o, err) < 0) {
        opts_release(&o);
        return usage_error("bench", "%s", err);
    }
    /* every model must be a readable, complete GGUF before anything runs */
    for (size_t i = 0; i < o.models.n; i++) {
        struct gf_file *f;
        if (gf_read_file(o.models.v[i], &f, err) < 0) {
            opts_release(&o);
            error("%s", err);
            return QB_EXIT_INPUT;
        }
        int64_t n_layer = 0;
        const char *arch = gf_get_str(f, "general.architecture");
        if (arch) {
            char key[128];
            snprintf(key, sizeof(key), "%s.block_count", arch);
            n_layer = gf_get_int(f, key, 0);
        }
        gf_free(f);
        for (size_t k = 0; k < o.ngl.n; k++)
            if (n_layer > 0 && o.ngl.v[k] > n_layer + 1) {
                int rc = usage_error("bench",
                                     "-ngl %d is more than the %lld layers (+ output) "
                                     "of '%s'",
                                     o.ngl.v[k], (long long)n_layer, o.models.v[i]);
                opts_release(&o);
                return rc;
            }
    }
    log_set_level(o.verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
    size_t n_groups;
    struct group *gs = build_grid(&o, &n_groups);
    struct run_state st;
    memset(&st, 0, sizeof(st));
    st.o = &o;
    if (gethostname(st.host, sizeof(st.host)) < 0)
        snprintf(st.host, sizeof(st.host), "unknown");
    bench_report_begin(&st.rp, stdout, o.fmt, md_columns(&o));
    for (size_t i = 0; i < n_groups; i++)
        run_group(&st, &gs[i]);
    bench_report_end(&st.rp);
    for (size_t i = 0; i < n_groups; i++)
        free(gs[i].tests);
    free(gs);
    opts_release(&o);
    if (ferror(stdout))
        return error("cannot write results to stdout");
    if (st.n_failed)
        return st.n_ok ? QB_EXIT_PARTIAL : QB_EXIT_FAIL;
    return QB_EXIT_OK;
}
