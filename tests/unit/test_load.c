/* run/load: the percentiles against numpy (tests/data/load/percentiles.json), the chunk
 * reader, a level's summary from known chunk times (vllm bench serve's formulas), the
 * arrival schedule and the loopback rule. */
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/run/load.h"
#include "../../src/util/stats.h"
#include "../../src/util/util.h"
#include "load_same.h"
#include "test.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* tests/data/load/percentiles.json beside the build folder the test binary is in */
static char *golden_path(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return xstrdup("tests/data/load/percentiles.json");
    exe[n] = '\0';
    char *top = dirname(dirname(exe));
    return xasprintf("%s/tests/data/load/percentiles.json", top);
}

void test_load_percentiles(void)
{
    char err[QB_ERR_LEN];
    char *path = golden_path();
    size_t len = 0;
    char *text = read_file(path, 1 << 20, &len, err);
    CHECK(text != NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *c;
    int n_cases = 0;
    cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(j, "cases")) {
        const cJSON *xs = cJSON_GetObjectItemCaseSensitive(c, "x");
        int n = cJSON_GetArraySize(xs);
        double *x = xmalloc((size_t)(n ? n : 1) * sizeof(double));
        for (int i = 0; i < n; i++)
            x[i] = cJSON_GetArrayItem(xs, i)->valuedouble;
        qsort(x, (size_t)n, sizeof(double), cmp_double);
        const cJSON *qs = cJSON_GetObjectItemCaseSensitive(c, "q");
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(c, "want");
        for (int k = 0; k < cJSON_GetArraySize(qs); k++) {
            double q = cJSON_GetArrayItem(qs, k)->valuedouble;
            double w = cJSON_GetArrayItem(want, k)->valuedouble;
            double got = stats_percentile_linear(x, (size_t)n, q);
            CHECK_NEAR(got, w, 1e-9 * (fabs(w) + 1));
        }
        free(x);
        n_cases++;
    }
    CHECK(n_cases == 7);
    cJSON_Delete(j);
    free(text);
    free(path);
}

/* load_chunk reads the common token event with a scanner of its own and hands the rest to
 * cJSON: every event, read either way, leaves the same record and answer (each case alone,
 * and all of them one after another on one record) */
void test_load_chunk_scanner(void)
{
    static const char *const cases[] = {
        /* llama-server's and vLLM's token events */
        "{\"choices\":[{\"text\":\"ab\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],"
        "\"created\":1733,\"model\":\"m.gguf\",\"system_fingerprint\":\"b1-x\",\"object\":"
        "\"text_completion\",\"id\":\"cmpl-1\"}",
        "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
        "{\"role\":\"assistant\",\"content\":\"h\\u00e9\",\"reasoning_content\":null},"
        "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}",
        "{\"choices\":[{\"delta\":{\"content\":\"x y\",\"reasoning_content\":\"think\"},"
        "\"finish_reason\":\"stop\"}],\"timings\":null,\"error\":null}",
        /* escapes: decoded lengths; \u and surrogate pairs go to cJSON */
        "{\"choices\":[{\"text\":\"a\\nb\\\"c\\\\d\\/e\\tf\\bg\\fh\\r\"}]}",
        "{\"choices\":[{\"text\":\"\\ud83d\\ude00!\"}]}",
        "{\"choices\":[{\"text\":\"\\ud83d\"}]}",
        "{\"choices\":[{\"text\":\"\\q\"}]}",
        "{\"choices\":[{\"text\":\"a\\u0000b\"}]}",
        "{\"choices\":[{\"text\":\"raw \xc3\xa9 \xff bytes\"}]}",
        "{\"choices\":[{\"text\":\"tab\tin it\"}]}",
        /* finish_reason: long, escaped, not a string */
        "{\"choices\":[{\"finish_reason\":\"0123456789012345678901234567890123456789\"}]}",
        "{\"choices\":[{\"finish_reason\":\"st\\\"op\"}]}",
        "{\"choices\":[{\"finish_reason\":7}]}",
        /* the first of a key twice, as cJSON finds it */
        "{\"choices\":[],\"choices\":[{\"text\":\"zz\"}]}",
        "{\"choices\":[{\"text\":\"a\",\"text\":\"bcd\",\"finish_reason\":\"x\","
        "\"finish_reason\":\"y\"}]}",
        "{\"error\":null,\"error\":{\"message\":\"late\"},\"choices\":[{}]}",
        /* keys with escapes: cJSON decodes them */
        "{\"ch\\u006fices\":[{\"text\":\"abc\"}]}",
        "{\"cho\\/ices\":[{\"text\":\"abc\"}]}",
        "{\"choices\":[{\"te\\u0078t\":\"abc\"}]}",
        /* choices of other shapes */
        "{\"choices\":[7]}",
        "{\"choices\":[[{\"text\":\"no\"}]]}",
        "{\"choices\":[\"s\"]}",
        "{\"choices\":{\"text\":\"no\"}}",
        "{\"choices\":[ ]}",
        "{\"choices\":null}",
        "{\"choices\":[{\"delta\":\"no\",\"text\":5}]}",
        "{\"choices\":[{\"delta\":{\"content\":[1],\"reasoning_content\":\"rc\"}}]}",
        /* numbers and literals, JSON's grammar and what cJSON allows beyond it */
        "{\"choices\":[{\"text\":\"n\"}],\"a\":-0.5e+10,\"b\":0,\"c\":[true,false,null,1E3]}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":01}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":+1}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":.5}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":1.}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":1e}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":tru}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":nullx}",
        "{\"choices\":[{\"text\":\"n\"}],\"a\":-}",
        /* whitespace, trailing bytes, broken objects */
        " \r\n\t{ \"choices\" : [ { \"text\" : \"w\" } ] } ",
        "{\"choices\":[{\"text\":\"a\"}]} trailing",
        "{\"choices\":[{\"text\":\"a\"}],}",
        "{\"choices\":[{\"text\":\"a\"}]",
        "{\"choices\" [1]}",
        "{\"choices\":[1,]}",
        "{",
        "{\x01\"choices\":[1]}",
        "{\"choices\":[1]\x0b}",
        "[{\"choices\":[1]}]",
        "\"str\"",
        "",
        "[DONE]",
        "[DONE] more",
        "\xef\xbb\xbf{\"choices\":[1]}",
        /* once a request: usage, timings, an error */
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,"
        "\"prompt_tokens_details\":{\"cached_tokens\":2}},\"timings\":{\"prompt_n\":5,"
        "\"prompt_ms\":1.5,\"cache_n\":2,\"predicted_n\":3,\"predicted_ms\":4,"
        "\"predicted_per_token_ms\":2}}",
        "{\"choices\":[{\"text\":\"u\"}],\"usage\":{\"prompt_tokens\":1}}",
        "{\"error\":\"plain\"}",
        "{\"error\":{\"message\":\"no slot\"}}",
        "{\"error\":false}",
    };
    const size_t n = sizeof(cases) / sizeof(cases[0]);
    struct load_rec all[2];
    memset(all, 0, sizeof(all));
    for (int k = 0; k < 2; k++)
        all[k].prompt_tokens = all[k].completion_tokens = all[k].cached_tokens = -1;
    char deep[400];
    size_t dl = 0;
    dl += (size_t)snprintf(deep, sizeof(deep), "{\"choices\":[{\"text\":\"d\"}],\"x\":");
    for (int k = 0; k < 70; k++)
        deep[dl++] = '[';
    for (int k = 0; k < 70; k++)
        deep[dl++] = ']';
    snprintf(deep + dl, sizeof(deep) - dl, "}");
    for (size_t i = 0; i <= n; i++) {
        const char *c = i < n ? cases[i] : deep;
        struct load_rec r[2];
        memset(r, 0, sizeof(r));
        char err[2][QB_ERR_LEN] = {"", ""};
        r[0].prompt_tokens = r[0].completion_tokens = r[0].cached_tokens = -1;
        r[1] = r[0];
        int rc0 = load_chunk(&r[0], c, 10 + i, err[0]);
        int rc1 = load_chunk_json(&r[1], c, 10 + i, err[1]);
        char e0[QB_ERR_LEN] = "", e1[QB_ERR_LEN] = "";
        int ra = load_chunk(&all[0], c, 10 + i, e0), rb = load_chunk_json(&all[1], c, 10 + i, e1);
        if (rc0 != rc1 || (rc0 < 0 && strcmp(err[0], err[1])) || !load_rec_same(&r[0], &r[1]) ||
            ra != rb || strcmp(e0, e1))
            fprintf(stderr, "  the two paths differ on case %zu: %s\n", i, c);
        CHECK(rc0 == rc1 && load_rec_same(&r[0], &r[1]) && ra == rb);
        CHECK(rc0 == 0 || !strcmp(err[0], err[1]));
        CHECK(!strcmp(e0, e1));
        load_rec_release(&r[0]);
        load_rec_release(&r[1]);
    }
    CHECK(load_rec_same(&all[0], &all[1]));
    CHECK(all[0].n_t > 20 && all[0].has_usage && all[0].done);
    load_rec_release(&all[0]);
    load_rec_release(&all[1]);
}

void test_load_chunk(void)
{
    char err[QB_ERR_LEN];
    struct load_rec r;
    memset(&r, 0, sizeof(r));
    r.prompt_tokens = r.completion_tokens = r.cached_tokens = -1;
    CHECK(load_chunk(&r, "{\"choices\":[{\"text\":\"ab\",\"finish_reason\":null}]}", 10, err) == 0);
    CHECK(load_chunk(&r, "{\"choices\":[{\"text\":\"\"}]}", 20, err) ==
          0); /* empty: still a chunk */
    CHECK(load_chunk(
              &r, "{\"choices\":[{\"delta\":{\"content\":\"cde\"},\"finish_reason\":\"length\"}]}",
              30, err) == 0);
    CHECK(r.n_t == 3 && r.t[0] == 10 && r.t[2] == 30 && r.text_bytes == 5);
    CHECK_STR(r.finish, "length");
    /* usage and timings: no choices, no chunk */
    CHECK(load_chunk(&r,
                     "{\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,"
                     "\"prompt_tokens_details\":{\"cached_tokens\":2}},\"timings\":{\"prompt_n\":5,"
                     "\"prompt_ms\":1.5,\"cache_n\":2,\"predicted_n\":3,\"predicted_ms\":4,"
                     "\"predicted_per_token_ms\":2}}",
                     40, err) == 0);
    CHECK(r.n_t == 3 && r.has_usage && r.prompt_tokens == 7 && r.completion_tokens == 3);
    CHECK(r.cached_tokens == 2 && r.has_timings && r.s_prompt_ms == 1.5 && r.s_cache_n == 2);
    CHECK(r.s_predicted_per_token_ms == 2 && !r.done);
    CHECK(load_chunk(&r, " [DONE]", 50, err) == 0 && r.done);
    CHECK(load_chunk(&r, "{\"choices\": [", 60, err) < 0);
    CHECK_STR(err, "malformed event: not a JSON object: '{\"choices\": ['");
    CHECK(load_chunk(&r, "{\"error\":{\"message\":\"no slot\"}}", 60, err) < 0);
    CHECK_STR(err, "the server: no slot");
    CHECK(r.n_t == 3);
    load_rec_release(&r);
}

/* a successful request sent at send (ms), its chunks at t[] (ms), out tokens */
static void rec_ok(struct load_rec *r, double send, const double *t, int n, int out, int prompt)
{
    memset(r, 0, sizeof(*r));
    r->ok = true;
    r->issue_ns = r->send_ns = (uint64_t)(1e9 + send * 1e6);
    r->t = xmalloc((size_t)n * sizeof(uint64_t));
    for (int i = 0; i < n; i++)
        r->t[i] = (uint64_t)(1e9 + t[i] * 1e6);
    r->n_t = r->cap_t = (size_t)n;
    r->end_ns = r->t[n - 1];
    r->has_usage = true;
    r->completion_tokens = out;
    r->prompt_len = prompt;
    r->cached_tokens = -1;
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void test_load_summary(void)
{
    struct load_params p;
    memset(&p, 0, sizeof(p));
    p.burstiness = 1;
    p.slo_ttft = 15;
    struct load_rec r[3];
    const double a[] = {10, 20, 30, 40}, b[] = {20, 50}, c[] = {1500};
    rec_ok(&r[0], 0, a, 4, 4, 8);   /* TTFT 10, E2EL 40, TPOT 10, ITL 10 10 10 */
    rec_ok(&r[1], 0, b, 2, 3, 16);  /* TTFT 20, E2EL 50, TPOT 15, ITL 30 */
    memset(&r[2], 0, sizeof(r[2])); /* a failure, ended at 1500 ms */
    r[2].send_ns = r[2].issue_ns = (uint64_t)1e9;
    r[2].end_ns = (uint64_t)(1e9 + c[0] * 1e6);
    snprintf(r[2].cause, sizeof(r[2].cause), "http_500");
    cJSON *o = load_summary(&p, r, 3, (uint64_t)1e9, 2, INFINITY);
    CHECK_NEAR(num_of(o, "duration"), 1.5, 1e-12); /* to the last request's end, failed or not */
    CHECK(num_of(o, "completed") == 2 && num_of(o, "failed") == 1);
    CHECK(num_of(o, "total_input_tokens") == 24 && num_of(o, "total_output_tokens") == 7);
    CHECK_NEAR(num_of(o, "request_throughput"), 2 / 1.5, 1e-12);
    CHECK_NEAR(num_of(o, "output_throughput"), 7 / 1.5, 1e-12);
    CHECK_NEAR(num_of(o, "total_token_throughput"), 31 / 1.5, 1e-12);
    CHECK_NEAR(num_of(o, "request_goodput"), 1 / 1.5, 1e-12); /* TTFT 10 <= 15, 20 > 15 */
    CHECK_NEAR(num_of(o, "mean_ttft_ms"), 15, 1e-9);
    CHECK_NEAR(num_of(o, "std_ttft_ms"), 5, 1e-9); /* population std */
    CHECK_NEAR(num_of(o, "p99_ttft_ms"), 10 + 0.99 * 10, 1e-9);
    CHECK_NEAR(num_of(o, "mean_tpot_ms"), 12.5, 1e-9);
    CHECK_NEAR(num_of(o, "qb_tpot_token_weighted_ms"), (30.0 + 30) / (3 + 2), 1e-9);
    CHECK_NEAR(num_of(o, "mean_itl_ms"), 60.0 / 4, 1e-9); /* pooled: 10 10 10 30 */
    CHECK_NEAR(num_of(o, "median_itl_ms"), 10, 1e-9);
    CHECK_NEAR(num_of(o, "mean_e2el_ms"), 45, 1e-9);
    CHECK(num_of(o, "max_output_tokens_per_s") == 6 && num_of(o, "max_concurrent_requests") == 2);
    CHECK(num_of(o, "max_concurrency") == 2);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(o, "request_rate")->valuestring, "inf");
    /* one failure in three: +inf; p50 of {10, 20, inf} is 20, p90 falls between 20 and inf */
    CHECK_NEAR(num_of(o, "qb_p50_ttft_ms_failed_inf"), 20, 1e-9);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "qb_p90_ttft_ms_failed_inf")));
    CHECK(num_of(cJSON_GetObjectItemCaseSensitive(o, "qb_failures"), "http_500") == 1);
    cJSON_Delete(o);
    load_rec_release(&r[0]);
    load_rec_release(&r[1]);
    /* nothing at all: zeros, as vLLM's np.mean(x or 0) */
    o = load_summary(&p, NULL, 0, 5, 0, 3);
    CHECK(num_of(o, "mean_ttft_ms") == 0 && num_of(o, "duration") == 0 &&
          num_of(o, "request_rate") == 3);
    cJSON_Delete(o);
}

void test_load_schedule(void)
{
    struct load_params p;
    memset(&p, 0, sizeof(p));
    p.burstiness = 1;
    uint64_t due[50], again[50];
    load_schedule(&p, 10, 50, 7, due);
    load_schedule(&p, 10, 50, 7, again);
    CHECK(due[49] == 5000000000u && !memcmp(due, again, sizeof(due)));
    bool mono = true;
    for (int i = 1; i < 50; i++)
        mono &= due[i] >= due[i - 1];
    CHECK(mono && due[0] > 0);
    load_schedule(&p, 10, 50, 8, again);
    CHECK(memcmp(due, again, sizeof(due)) != 0);
    load_schedule(&p, INFINITY, 50, 7, due);
    CHECK(due[0] == 0 && due[49] == 0);
    /* a linear ramp 1 -> 100/s: the gaps shrink (in the mean) and no rescaling */
    p.ramp = LOAD_RAMP_LINEAR;
    p.ramp_start = 1;
    p.ramp_end = 100;
    load_schedule(&p, 100, 50, 7, due);
    CHECK(due[9] > due[49] - due[39]);
}

void test_load_loopback(void)
{
    CHECK(load_url_is_loopback("http://127.0.0.1:8080"));
    CHECK(load_url_is_loopback("http://127.3.2.1"));
    CHECK(load_url_is_loopback("https://localhost/v1"));
    CHECK(load_url_is_loopback("http://[::1]:80"));
    CHECK(!load_url_is_loopback("http://192.0.2.1:8080"));
    CHECK(!load_url_is_loopback("http://127.0.0.1.example.com"));
    CHECK(!load_url_is_loopback("http://localhost.example.com:1"));
    CHECK(!load_url_is_loopback("http://example.com/127.0.0.1"));
}
