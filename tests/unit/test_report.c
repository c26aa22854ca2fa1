/* bench rows and their md / json output */
#include <stdlib.h>

#include "../../src/report/bench_report.h"
#include "../../src/util/util.h"
#include "test.h"

static void make_row(struct bench_row *r)
{
    memset(r, 0, sizeof(*r));
    r->model_filename = xstrdup("m.gguf");
    r->mp = engine_model_params_default();
    r->t.cp = engine_ctx_params_default();
    r->t.cp.n_threads = 2;
    r->t.pt.n_prompt = 512;
    r->t.pt.n_depth = 2048;
    r->t.pt.reps = 2;
    snprintf(r->model.desc, sizeof(r->model.desc), "llama 150M F16");
    r->model.size = 300 * 1024 * 1024;
    r->model.n_params = 150000000;
    snprintf(r->build.backends, sizeof(r->build.backends), "CPU");
    snprintf(r->build.commit, sizeof(r->build.commit), "abc1234");
    r->build.build_number = 42;
    r->n = 2;
    r->samples_ns = xcalloc(2, sizeof(uint64_t));
    r->pp_ns = xcalloc(2, sizeof(uint64_t));
    r->tg_ns = xcalloc(2, sizeof(uint64_t));
    r->ttft_ns = xcalloc(2, sizeof(uint64_t));
    r->samples_ns[0] = r->pp_ns[0] = 1000000000; /* 512 t/s */
    r->samples_ns[1] = r->pp_ns[1] = 500000000;  /* 1024 t/s */
    bench_row_finish(r);
}

void test_bench_row_stats(void)
{
    struct bench_row r;
    make_row(&r);
    struct stats s = r.ts;
    CHECK_NEAR(s.mean, 768, 1e-9);
    CHECK_NEAR(s.stddev, 362.038671967, 1e-6);
    CHECK(r.avg_ns == 750000000);
    CHECK(r.stddev_ns == 353553391);
    bench_row_release(&r);
}

static char *capture(enum bench_fmt fmt, unsigned cols, struct bench_row *r, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct bench_report rp;
    bench_report_begin(&rp, fp, fmt, cols);
    for (int i = 0; i < n; i++)
        bench_report_row(&rp, &r[i]);
    bench_report_end(&rp);
    fclose(fp);
    return buf;
}

void test_bench_report_md(void)
{
    struct bench_row r[2];
    make_row(&r[0]);
    make_row(&r[1]);
    r[1].status = BENCH_STATUS_CRASHED;
    snprintf(r[1].error, sizeof(r[1].error), "worker killed by signal 11 (SIGSEGV)");
    char *out = capture(BENCH_FMT_MD, BENCH_COL_THREADS, r, 2);
    CHECK(strstr(out, "| model                          |       size |     params | backend    "
                      "| threads |            test |                  t/s |") != NULL);
    CHECK(strstr(out, "| llama 150M F16                 | 300.00 MiB |   150.00 M | CPU        "
                      "|       2 |   pp512 @ d2048 |      768.00 ± 362.04 |") != NULL);
    CHECK(strstr(out, "crashed |") != NULL);
    CHECK(strstr(out, "\nbuild: abc1234 (42)\n") != NULL);
    free(out);
    bench_row_release(&r[0]);
    bench_row_release(&r[1]);
}

void test_bench_report_json(void)
{
    struct bench_row r[2];
    make_row(&r[0]);
    make_row(&r[1]);
    char *out = capture(BENCH_FMT_JSON, 0, r, 2);
    cJSON *a = cJSON_Parse(out);
    CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 2);
    cJSON *o = cJSON_GetArrayItem(a, 0);
    /* llama-bench's fields and ours */
    static const char *fields[] = {"build_commit",   "build_number",
                                   "cpu_info",       "gpu_info",
                                   "backends",       "model_filename",
                                   "model_type",     "model_size",
                                   "model_n_params", "n_batch",
                                   "n_ubatch",       "n_threads",
                                   "cpu_mask",       "cpu_strict",
                                   "poll",           "type_k",
                                   "type_v",         "n_gpu_layers",
                                   "n_cpu_moe",      "split_mode",
                                   "main_gpu",       "no_kv_offload",
                                   "flash_attn",     "devices",
                                   "tensor_split",   "tensor_buft_overrides",
                                   "load_mode",      "lazy_mode",
                                   "embeddings",     "no_op_offload",
                                   "no_host",        "fit_target",
                                   "fit_min_ctx",    "n_prompt",
                                   "n_gen",          "n_depth",
                                   "test_time",      "avg_ns",
                                   "stddev_ns",      "avg_ts",
                                   "stddev_ts",      "samples_ns",
                                   "samples_ts",     "status",
                                   "median_ts",      "ci95_ts",
                                   "pp_avg_ts",      "t_pp_ns",
                                   "load_ns",        "ctx_ns",
                                   "host",           "host_cpus",
                                   "host_ram_bytes"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!cJSON_GetObjectItemCaseSensitive(o, fields[i]))
            fprintf(stderr, "  missing field %s\n", fields[i]);
        CHECK(cJSON_GetObjectItemCaseSensitive(o, fields[i]) != NULL);
    }
    CHECK_NEAR(cJSON_GetObjectItem(o, "avg_ts")->valuedouble, 768, 1e-9);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "samples_ts")) == 2);
    CHECK_STR(cJSON_GetObjectItem(o, "status")->valuestring, "ok");
    cJSON_Delete(a);
    free(out);
    out = capture(BENCH_FMT_JSONL, 0, r, 2);
    char *nl = strchr(out, '\n');
    CHECK(nl && strchr(nl + 1, '\n') && !strchr(strchr(nl + 1, '\n') + 1, '\n'));
    free(out);
    bench_row_release(&r[0]);
    bench_row_release(&r[1]);
}

/* noisy: the t/s 95% CI half-width above 5% of the mean, set once by bench_row_finish and
 * carried by md ("noisy" column) and json ("noisy") */
void test_bench_row_noisy(void)
{
    struct bench_row r[2];
    make_row(&r[0]); /* 512 and 1024 t/s: half-width 3253 of 768 */
    make_row(&r[1]);
    r[1].samples_ns = xrealloc(r[1].samples_ns, 3 * sizeof(uint64_t));
    r[1].pp_ns = xrealloc(r[1].pp_ns, 3 * sizeof(uint64_t));
    r[1].tg_ns = xrealloc(r[1].tg_ns, 3 * sizeof(uint64_t));
    r[1].ttft_ns = xrealloc(r[1].ttft_ns, 3 * sizeof(uint64_t));
    r[1].n = 3;
    uint64_t steady[3] = {1000000000, 1010000000, 990000000}; /* +-1%: half-width 2.5% */
    for (int i = 0; i < 3; i++) {
        r[1].samples_ns[i] = r[1].pp_ns[i] = steady[i];
        r[1].tg_ns[i] = r[1].ttft_ns[i] = 0;
    }
    bench_row_finish(&r[0]);
    bench_row_finish(&r[1]);
    CHECK(r[0].noisy);
    CHECK(!r[1].noisy);
    char *out = capture(BENCH_FMT_MD, BENCH_COL_THREADS, r, 2);
    CHECK(strstr(out, "| noisy |\n") != NULL); /* header */
    CHECK(strstr(out, "768.00 ± 362.04 |") && strstr(out, " | noisy |\n| llama"));
    CHECK(strstr(out, "|       |\n\nbuild:") != NULL); /* the steady row: blank */
    free(out);
    out = capture(BENCH_FMT_JSON, 0, r, 2);
    cJSON *a = cJSON_Parse(out);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "noisy")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "noisy")));
    cJSON_Delete(a);
    free(out);
    /* one sample, or a failed row, is never noisy */
    r[1].n = 1;
    r[1].samples_ns[0] = 1;
    bench_row_finish(&r[1]);
    CHECK(!r[1].noisy);
    r[0].status = BENCH_STATUS_CRASHED;
    bench_row_finish(&r[0]);
    CHECK(!r[0].noisy);
    /* the threshold itself: {100, 100 + d} has half-width 12.706 * d / 2 and mean
     * 100 + d / 2, which meet 5% at d = 5 / (6.353 - 0.025) */
    const double d = 5 / (12.706 / 2 - 0.025);
    double x[2] = {100, 100 + 0.99 * d};
    struct stats s = stats_compute(x, 2);
    CHECK(!stats_noisy(&s));
    x[1] = 100 + 1.01 * d;
    s = stats_compute(x, 2);
    CHECK(stats_noisy(&s));
    bench_row_release(&r[0]);
    bench_row_release(&r[1]);
}
