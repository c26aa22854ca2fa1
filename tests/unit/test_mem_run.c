/* mem and ctxmax as run functions (src/run/mem.h, src/run/ctxmax.h): the probes run in
 * real worker processes (this binary with the fake engine), the estimate reads a model
 * that synth writes; the results and events come back typed. */
#include <stdlib.h>
#include <unistd.h>

#include "../../src/cli/cmd.h"
#include "../../src/run/ctxmax.h"
#include "../../src/run/mem.h"
#include "../../src/util/exit.h"
#include "test.h"

/* a tiny F32 llama model (training context 1024); the caller frees the path */
static char *synth_model(void)
{
    char *path = xasprintf("/tmp/qb-unit-mem-%ld.gguf", (long)getpid());
    const char *argv[] = {"synth", "-o",   path,  "--layers", "1",    "--embd", "64", "--heads",
                          "2",     "--ff", "128", "--ctx",    "1024", "--type", "F32"};
    int rc = cmd_synth((int)(sizeof(argv) / sizeof(argv[0])), (char **)argv);
    CHECK(rc == 0);
    if (rc != 0) {
        free(path);
        return NULL;
    }
    return path;
}

static struct mem_run_params small_params(const char *model)
{
    struct mem_run_params p;
    mem_run_params_init(&p);
    p.model = model;
    p.cp.n_ctx = 64;
    p.cp.n_batch = 32;
    p.cp.n_ubatch = 16;
    p.cp.n_threads = p.cp.n_threads_batch = 1;
    p.timeout_s = 20;
    return p;
}

void test_mem_probe(void)
{
    struct mem_run_params p = small_params("fine.gguf");
    struct mem_probe pr;
    enum bench_status st = BENCH_STATUS_OK;
    char err[QB_ERR_LEN] = "";
    CHECK(mem_run_probe(&p, MEM_PROBE_FILL, &pr, &st, err) == 0);
    /* the fake engine's one CPU buffer: 1 MiB of weights, 4096 bytes of KV */
    CHECK(pr.have_bufs && pr.bufs.exact && pr.bufs.n == 1);
    CHECK_STR(pr.bufs.b[0].buft, "CPU");
    CHECK(pr.bufs.b[0].host && pr.bufs.b[0].model == 1u << 20 && pr.bufs.b[0].context == 4096);
    CHECK(mem_probe_total(&pr, "CPU") == (1u << 20) + 4096 && mem_probe_total(&pr, "CUDA0") == 0);
    CHECK(pr.have_rss && pr.rss_peak >= pr.rss && pr.rss > 0);
    CHECK(pr.n_dev == 1 && pr.n_dev_before == 1 && !pr.dev[0].gpu);
    CHECK(mem_probe_gpu_used(&pr) == 0);
    /* the row form: the worker's object with the parent's timings added */
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(pr.json, "buffers")) == 1);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(pr.json, "probe_ns")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(pr.json, "load_ns")));
    mem_probe_release(&pr);
    mem_probe_release(&pr); /* released twice: a no-op */

    /* a probe whose worker dies is a failure of kind CRASHED, not a message to sort */
    setenv("QB_TEST_FAULT_CTX", "64", 1);
    CHECK(mem_run_probe(&p, MEM_PROBE_FILL, &pr, &st, err) < 0);
    unsetenv("QB_TEST_FAULT_CTX");
    CHECK(st == BENCH_STATUS_CRASHED);
    CHECK(strstr(err, "SIGSEGV") != NULL);
    CHECK(pr.json == NULL);
}

struct seen {
    int starts, rows, stop_after;
    int done[8], total[8], n;
    int estimates;
};

static void on_estimate(const struct mem_model *m, void *ud)
{
    (void)m;
    ((struct seen *)ud)->estimates++;
}

static void on_start(int k, const struct ctxmax_model *c, void *ud)
{
    (void)k;
    (void)c;
    ((struct seen *)ud)->starts++;
}

static void on_probe(int k, const struct ctxmax_probe *p, int done, int total, void *ud)
{
    (void)k;
    (void)p;
    struct seen *s = ud;
    if (s->n < 8) {
        s->done[s->n] = done;
        s->total[s->n++] = total;
    }
}

static int on_row(int k, const struct ctxmax_model *c, void *ud)
{
    (void)k;
    (void)c;
    struct seen *s = ud;
    return ++s->rows == s->stop_after;
}

void test_mem_run_estimate(void)
{
    char *model = synth_model();
    if (!model)
        return;
    struct mem_run_params p = small_params(NULL);
    const char *models[] = {model, model};
    struct mem_model m[2];
    memset(m, 0, sizeof(m));
    struct mem_run_want w = {.dry = true, .measure = true, .fill = true, .budget = 1ull << 40};
    struct seen s = {0};
    struct mem_run_events ev = {.on_estimate = on_estimate, .ud = &s};
    char err[QB_ERR_LEN] = "";
    CHECK(mem_run(&p, models, 2, &w, &ev, m, err) == 0);
    CHECK(s.estimates == 2);
    CHECK(m[0].have_dry && m[0].have_meas && m[1].have_dry && m[1].have_meas);
    CHECK(m[0].est.n_ctx_train == 1024 && !m[0].other_hw[0]);
    /* a budget far above the model: each one's training context, marked capped */
    CHECK(m[0].fit_ctx == 1024 && m[0].fit_capped && m[1].fit_ctx == 1024);
    /* what a budget holds: the plans, the estimates and their bounds */
    CHECK(mem_models_need(m, 2) == 2 * mem_plan(&m[0].est, "CPU"));
    CHECK(mem_plan(&m[0].est, "CPU") == mem_total(&m[0].est, "CPU") + mem_bounds(&m[0].est, "CPU"));
    CHECK(m[0].fit_np >= 1 && m[0].fit_np_ctx == m[0].est.n_ctx_seq);
    CHECK_STR(mem_model_budget_dev(&m[0]), "CPU");
    for (int k = 0; k < 2; k++)
        mem_model_release(&m[k]);

    /* an estimate for other hardware cannot be measured here: a usage error, no probe */
    p.gpus = 2;
    memset(m, 0, sizeof(m));
    CHECK(mem_run(&p, models, 1, &w, NULL, m, err) == QB_EXIT_USAGE);
    CHECK_STR(err, "--measure loads the model on this machine, the estimate is for other "
                   "hardware (--gpus 2, and this machine has 0 GPUs)");
    CHECK(!m[0].have_dry && !m[0].have_meas);
    mem_model_release(&m[0]);

    /* a file that is not there: an input error naming it */
    const char *missing[] = {"/nonexistent/x.gguf"};
    p.gpus = -1;
    memset(m, 0, sizeof(m));
    CHECK(mem_run(&p, missing, 1, &w, NULL, m, err) == QB_EXIT_INPUT);
    CHECK(strstr(err, "'/nonexistent/x.gguf'") != NULL);
    mem_model_release(&m[0]);
    unlink(model);
    free(model);
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

static const char *str_of(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* mem's row for the suite: settings, status, the estimate nested and its total flat, the
 * probes, the measurement's peaks flat; a failed measurement says how in status */
void test_mem_model_row(void)
{
    char *model = synth_model();
    if (!model)
        return;
    struct mem_run_params p = small_params(NULL);
    p.seed = 7;
    const char *models[] = {model};
    struct mem_model m;
    memset(&m, 0, sizeof(m));
    struct mem_run_want w = {.dry = true, .measure = true, .fill = true, .budget = 1ull << 40};
    char err[QB_ERR_LEN] = "";
    CHECK(mem_run(&p, models, 1, &w, NULL, &m, err) == 0);
    cJSON *row = mem_model_row_json(&p, &m);
    CHECK_STR(row->child->string, "model_filename");
    CHECK_STR(str_of(row, "model_filename"), model);
    CHECK(str_of(row, "model_id") && strchr(str_of(row, "model_id"), ':'));
    CHECK(num_of(row, "n_ctx") == 64 && num_of(row, "n_ubatch") == 16);
    CHECK(num_of(row, "reps") == 1 && num_of(row, "seed") == 7 && num_of(row, "n_seq") == 1);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(row, "kv_unified")));
    CHECK_STR(str_of(row, "status"), "ok");
    CHECK_STR(str_of(row, "error"), "");
    const cJSON *est = cJSON_GetObjectItemCaseSensitive(row, "estimate");
    /* the estimate has llama.cpp's context (padded to 256), the settings what was asked */
    CHECK(num_of(est, "n_ctx") == 256 && num_of(est, "n_ctx_train") == 1024);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(est, "parts")) == m.est.n);
    CHECK(num_of(est, "total_bytes") == (double)mem_total(&m.est, NULL));
    CHECK(num_of(row, "total_bytes") == num_of(est, "total_bytes") &&
          num_of(est, "total_bytes") > 0);
    CHECK(num_of(row, "fit_ctx") == 1024);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "fit_ctx_capped")));
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(row, "dry_run")));
    const cJSON *meas = cJSON_GetObjectItemCaseSensitive(row, "measured");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meas, "buffers")) == 1);
    CHECK(num_of(row, "rss_peak_bytes") == (double)m.meas.rss_peak && m.meas.rss_peak > 0);
    CHECK(num_of(row, "rss_peak_bytes") == num_of(meas, "rss_peak"));
    CHECK(num_of(row, "load_ns") == (double)m.meas.load_ns);
    CHECK(num_of(row, "load_ns") == num_of(meas, "load_ns"));
    CHECK(num_of(row, "mem_gpu_bytes") == 0); /* the fake engine's one buffer is the host's */
    /* the fields after the settings, in order */
    static const char *const tail[] = {
        "n_seq",          "kv_unified",    "status",         "error",   "estimate",
        "total_bytes",    "fit_ctx",       "fit_ctx_capped", "dry_run", "measured",
        "rss_peak_bytes", "mem_gpu_bytes", "load_ns"};
    const size_t n_tail = sizeof(tail) / sizeof(tail[0]);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(row, "seed");
    for (size_t i = 0; i < n_tail; i++) {
        it = it ? it->next : NULL;
        CHECK(it && !strcmp(it->string, tail[i]));
    }
    CHECK(it && !it->next);
    cJSON_Delete(row);
    mem_model_release(&m);

    /* the measurement's worker dies: the row says how, and has no measurement */
    struct mem_run_want w2 = {.measure = true, .fill = true};
    setenv("QB_TEST_FAULT_CTX", "64", 1);
    memset(&m, 0, sizeof(m));
    CHECK(mem_run(&p, models, 1, &w2, NULL, &m, err) == QB_EXIT_PARTIAL);
    unsetenv("QB_TEST_FAULT_CTX");
    row = mem_model_row_json(&p, &m);
    CHECK_STR(str_of(row, "status"), "crashed");
    CHECK(str_of(row, "error") && strstr(str_of(row, "error"), "SIGSEGV"));
    CHECK(!cJSON_GetObjectItemCaseSensitive(row, "measured"));
    CHECK(!cJSON_GetObjectItemCaseSensitive(row, "dry_run"));
    CHECK(num_of(row, "rss_peak_bytes") == 0 && num_of(row, "load_ns") == 0);
    CHECK(num_of(row, "fit_ctx") == 0 && num_of(row, "total_bytes") > 0);
    cJSON_Delete(row);
    mem_model_release(&m);
    unlink(model);
    free(model);
}

void test_ctxmax_interpolate(void)
{
    const uint64_t M = 1048576;
    /* the 1.1B-shaped case of bench/results/ctxmax_scale.md: 6400 fit at 1913 MiB, 10496
     * peaked at 2393 MiB; a 2 GiB budget meets the line at 7424 (step 256: 25 .. 41 -> 29) */
    CHECK(ctxmax_interpolate(25, 1913 * M, 41, 2393 * M, 2048 * M) == 29);
    /* always strictly inside the interval */
    CHECK(ctxmax_interpolate(10, 100, 20, 200, 101) == 11);
    CHECK(ctxmax_interpolate(10, 100, 20, 200, 199) == 19);
    /* nothing to tell: an end unmeasured, no growth, a closed interval, the limit outside */
    CHECK(ctxmax_interpolate(10, 0, 20, 200, 150) == 0);
    CHECK(ctxmax_interpolate(10, 100, 20, 0, 150) == 0);
    CHECK(ctxmax_interpolate(10, 200, 20, 200, 150) == 0);
    CHECK(ctxmax_interpolate(10, 100, 11, 200, 150) == 0);
    CHECK(ctxmax_interpolate(10, 100, 20, 200, 250) == 0);
    CHECK(ctxmax_interpolate(0, 100, 20, 200, 150) == 0);
}

void test_ctxmax_run(void)
{
    char *model = synth_model();
    if (!model)
        return;
    struct ctxmax_params cp = {.run = small_params(NULL), .step = 256, .max = 1024};
    const char *models[] = {model, model};
    struct ctxmax_model c[2];
    struct seen s = {.stop_after = 1};
    struct ctxmax_events ev = {.on_estimate = on_estimate,
                               .on_start = on_start,
                               .on_probe = on_probe,
                               .on_row = on_row,
                               .ud = &s};
    char err[QB_ERR_LEN] = "";
    int n_run = -1;
    /* the probe of 1024 dies: the search goes on below it, 768 runs */
    setenv("QB_TEST_FAULT_CTX", "1024", 1);
    memset(c, 0, sizeof(c));
    CHECK(ctxmax_run(&cp, models, 2, &ev, c, &n_run, err) == 0);
    unsetenv("QB_TEST_FAULT_CTX");
    /* both estimated before any probe; on_row asked to stop after the first model */
    CHECK(s.estimates == 2 && s.starts == 1 && s.rows == 1 && n_run == 1);
    CHECK(c[0].max == 1024 && c[0].seed == 1024 && c[0].answer == 768 && !c[0].interrupted);
    /* two cheap probes, then the answer checked by a full decode */
    CHECK(c[0].n == 3 && c[0].searched == 768 && c[0].checked && c[0].stepped_down == 0);
    if (c[0].n == 3) {
        CHECK(c[0].p[0].n_ctx == 1024 && !c[0].p[0].ok && strstr(c[0].p[0].reason, "SIGSEGV"));
        CHECK(c[0].p[1].n_ctx == 768 && c[0].p[1].ok && c[0].p[1].rss_peak > 0);
        CHECK(!c[0].p[1].full && !c[0].p[1].check);
        CHECK(c[0].p[1].occupied);
        CHECK(c[0].p[2].n_ctx == 768 && c[0].p[2].ok && c[0].p[2].full && c[0].p[2].check);
    }
    /* progress: probes done against what the search may still need, the check counted */
    CHECK(s.n == 3 && s.done[0] == 1 && s.total[0] == 4 && s.done[1] == 2 && s.total[1] == 3 &&
          s.done[2] == 3 && s.total[2] == 3);
    for (int k = 0; k < 2; k++)
        ctxmax_model_release(&c[k]);

    /* the params checked against the model before any probe */
    cp.max = 100;
    memset(c, 0, sizeof(c));
    memset(&s, 0, sizeof(s));
    CHECK(ctxmax_run(&cp, models, 1, &ev, c, &n_run, err) == QB_EXIT_USAGE);
    CHECK_STR(err, "--max 100 is below --step 256");
    CHECK(n_run == 0 && s.starts == 0);
    ctxmax_model_release(&c[0]);
    unlink(model);
    free(model);
}
