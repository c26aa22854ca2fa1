/* The dashboard's JSON API (dash/api.h) on a private store filled through the store API:
 * a suite run in flight (cells stored, failed, running, missing; events), two plain runs
 * for compare, a run whose model name holds markup; each endpoint's answer field by
 * field, every 400 / 404, and the query decoding (dash/url.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dash/api.h"
#include "../../src/dash/page.h"
#include "../../src/dash/report.h"
#include "../../src/dash/url.h"
#include "../../src/store/store.h"
#include "../../src/util/util.h"
#include "test.h"

#define EVIL_MODEL "/m/<script>alert(1)</script>\"><img onerror=x>.gguf"

static cJSON *row_of(double ts, const char *model, const char *status)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "build_commit", "abc1234");
    cJSON_AddNumberToObject(r, "build_number", 42);
    cJSON_AddStringToObject(r, "model_filename", model);
    cJSON_AddStringToObject(r, "model_id", "123:aa:bb");
    cJSON_AddStringToObject(r, "model_type", "llama 1B Q4_0");
    cJSON_AddNumberToObject(r, "model_size", 123);
    cJSON_AddNumberToObject(r, "n_prompt", 512);
    cJSON_AddNumberToObject(r, "n_gen", 0);
    cJSON_AddNumberToObject(r, "n_depth", 0);
    cJSON_AddNumberToObject(r, "n_threads", 2);
    cJSON_AddStringToObject(r, "type_k", "f16");
    cJSON_AddBoolToObject(r, "flash_attn", 0);
    cJSON_AddNumberToObject(r, "avg_ts", ts);
    double s[5] = {ts - 1, ts - 0.5, ts, ts + 0.5, ts + 1};
    cJSON_AddItemToObject(r, "samples_ts", cJSON_CreateDoubleArray(s, 5));
    cJSON_AddStringToObject(r, "status", status);
    return r;
}

static const char *key_of(char c, char *buf)
{
    memset(buf, c, 64);
    buf[64] = 0;
    return buf;
}

static const char *str_at(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static bool null_at(const cJSON *o, const char *k)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void add_event(struct store *s, int64_t run, int cell, const char *kind, const char *payload)
{
    char err[QB_ERR_LEN];
    cJSON *p = cJSON_Parse(payload);
    CHECK(p != NULL);
    CHECK(store_add_event(s, run, cell, kind, p, err) == 0);
    cJSON_Delete(p);
}

struct fixture {
    struct store *s;
    int64_t plain_a, plain_b, suite, evil;
};

static int fixture_make(struct fixture *fx)
{
    char err[QB_ERR_LEN], k0[65], k1[65], k2[65];
    memset(fx, 0, sizeof(*fx));
    struct store *s = fx->s = store_open(":memory:", 0, err);
    CHECK(s != NULL);
    if (!s)
        return -1;
    /* two plain bench runs of one setting, B 10% faster; A also has a failed row */
    CHECK(store_run_begin(s, "bench", "[\"bench\"]", "base", NULL, &fx->plain_a, err) == 0);
    cJSON *ra = row_of(100, "/m/demo-Q4_0.gguf", "ok"), *rf = row_of(0, "/m/x.gguf", "oom");
    CHECK(store_add_result(s, fx->plain_a, "bench", ra, 0, err) == 0);
    CHECK(store_add_result(s, fx->plain_a, "bench", rf, 0, err) == 0);
    CHECK(store_test_exec(s, "UPDATE runs SET started = '2026-12-02T03:00:00Z' WHERE id = 1",
                          err) == 0);
    CHECK(store_run_end(s, fx->plain_a, "partial", err) == 0);
    CHECK(store_test_exec(s, "UPDATE runs SET ended = '2026-12-02T03:00:42Z' WHERE id = 1", err) ==
          0);
    CHECK(store_run_begin(s, "bench", "[\"bench\"]", "pr", NULL, &fx->plain_b, err) == 0);
    cJSON *rb = row_of(110, "/m/demo-Q4_0.gguf", "ok");
    CHECK(store_add_result(s, fx->plain_b, "bench", rb, 0, err) == 0);
    CHECK(store_run_end(s, fx->plain_b, "ok", err) == 0);

    /* a suite run in flight: cell 0 ok, 1 crashed, 2 running, (3 missing, not reached) */
    CHECK(store_run_begin(s, "run", "[\"run\",\"s.json\"]", NULL, NULL, &fx->suite, err) == 0);
    struct store_plan_cell plan[] = {
        {0, key_of('a', k0), "g1", "/m/a.gguf", "pp512", "{\"n_threads\":2}"},
        {1, key_of('b', k1), "g1", "/m/a.gguf", "tg128", "{\"n_threads\":2}"},
        {2, key_of('c', k2), "g2", "/m/b.gguf", "mem", "{}"},
        {3, "d", "g2", "/m/b.gguf", "prompts builtin", "{}"},
    };
    CHECK(store_add_plan(s, fx->suite, "{\"name\":\"tiny\",\"models\":[\"a\",\"b\"]}", plan, 4,
                         err) == 0);
    add_event(s, fx->suite, -1, "run_started", "{\"suite\":\"tiny\",\"cells\":4}");
    add_event(s, fx->suite, 0, "cell_started", "{\"n\":1,\"elapsed_s\":0.5,\"eta_s\":null}");
    cJSON *r0 = row_of(500, "/m/a.gguf", "ok");
    const char *kinds[] = {"bench"};
    const cJSON *rows0[] = {r0};
    struct store_cell c0 = {k0, "/m/a.gguf", "pp512", "{\"n_threads\":2}", "ok", "", "", 100, 102};
    CHECK(store_add_cell(s, fx->suite, &c0, kinds, rows0, 1, NULL, err) == 0);
    add_event(s, fx->suite, 0, "cell_finished",
              "{\"status\":\"ok\",\"elapsed_s\":2.5,\"eta_s\":9}");
    add_event(s, fx->suite, 1, "cell_started", "{\"n\":2,\"elapsed_s\":2.6,\"eta_s\":8}");
    struct store_cell c1 = {k1,
                            "/m/a.gguf",
                            "tg128",
                            "{\"n_threads\":2}",
                            "crashed",
                            "worker died (signal 9)",
                            "last line\n",
                            103,
                            104};
    CHECK(store_add_cell(s, fx->suite, &c1, NULL, NULL, 0, NULL, err) == 0);
    add_event(s, fx->suite, 1, "cell_failed",
              "{\"status\":\"crashed\",\"elapsed_s\":4,\"eta_s\":6}");
    add_event(s, fx->suite, 2, "cell_started", "{\"n\":3,\"elapsed_s\":4.5,\"eta_s\":5.5}");
    add_event(s, fx->suite, 2, "tokens", "{\"id\":\"p1\",\"text\":\"hel\"}");
    add_event(s, fx->suite, 2, "log", "{\"text\":\"loading\",\"elapsed_s\":5,\"eta_s\":5}");

    /* a run whose model's name is markup */
    CHECK(store_run_begin(s, "bench", "[\"bench\"]", "<b>x</b>", NULL, &fx->evil, err) == 0);
    cJSON *re = row_of(50, EVIL_MODEL, "ok");
    CHECK(store_add_result(s, fx->evil, "bench", re, 0, err) == 0);
    CHECK(store_run_end(s, fx->evil, "ok", err) == 0);
    cJSON_Delete(ra);
    cJSON_Delete(rf);
    cJSON_Delete(rb);
    cJSON_Delete(r0);
    cJSON_Delete(re);
    return 0;
}

/* GET path?query that must answer 200 */
static cJSON *get_ok(struct store *s, const char *path, const char *query)
{
    char err[QB_ERR_LEN] = "";
    cJSON *out = NULL;
    int status = 0;
    int rc = dash_api_get(s, path, query, &out, &status, err);
    if (rc != 0 || status != 200 || !out) {
        fprintf(stderr, "  GET %s?%s: %d %s\n", path, query ? query : "", status, err);
        test_failures++;
    }
    return out;
}

/* GET path?query that must fail with status and an err holding want */
static void get_fails(struct store *s, const char *path, const char *query, int status,
                      const char *want)
{
    char err[QB_ERR_LEN] = "";
    cJSON *out = (cJSON *)1;
    int st = 0;
    int rc = dash_api_get(s, path, query, &out, &st, err);
    if (rc != -1 || st != status || out != NULL || !strstr(err, want)) {
        fprintf(stderr, "  GET %s?%s: rc %d status %d (want %d) err '%s' (want '%s')\n", path,
                query ? query : "", rc, st, status, err, want);
        test_failures++;
    }
}

void test_dash_url(void)
{
    char err[QB_ERR_LEN], *o = NULL;
    const char *ok[][2] = {
        {"abc", "abc"},
        {"a+b", "a b"},
        {"%41%62c", "Abc"},
        {"%3c%3E", "<>"},
        {"%25", "%"},
        {"", ""},
        {"%E2%9C%93", "\xe2\x9c\x93"},
        {"x%2Cy=1", "x,y=1"},
        {"%2B+", "+ "},
    };
    for (size_t i = 0; i < QB_ARRAY_LEN(ok); i++) {
        o = NULL;
        CHECK(dash_url_decode(ok[i][0], strlen(ok[i][0]), &o, err) == 0);
        CHECK_STR(o, ok[i][1]);
        free(o);
    }
    /* only the n bytes given are read */
    CHECK(dash_url_decode("ab%41", 2, &o, err) == 0);
    CHECK_STR(o, "ab");
    free(o);
    CHECK(dash_url_decode("a%4", 3, &o, err) < 0); /* the escape is cut by n */
    const char *bad[] = {"%", "%4", "a%g1", "%%41", "%00", "x%00y", "%0", "%-1"};
    for (size_t i = 0; i < QB_ARRAY_LEN(bad); i++) {
        o = (char *)1;
        err[0] = 0;
        CHECK(dash_url_decode(bad[i], strlen(bad[i]), &o, err) < 0);
        CHECK(o == (char *)1); /* nothing given back */
        CHECK(err[0] != 0);
    }
    CHECK(dash_url_decode("%00", 3, &o, err) < 0 && strstr(err, "%00") != NULL);
    CHECK(dash_url_decode("a%zz", 4, &o, err) < 0 && strstr(err, "malformed") != NULL);
}

void test_dash_api_runs(void)
{
    struct fixture fx;
    if (fixture_make(&fx) < 0)
        return;
    struct store *s = fx.s;
    cJSON *info = get_ok(s, "/api/info", NULL);
    CHECK(str_at(info, "version") && str_at(info, "llama_commit"));
    CHECK_STR(str_at(info, "db"), ":memory:");
    CHECK(num_at(info, "now") > 1.7e9);
    cJSON_Delete(info);

    cJSON *runs = get_ok(s, "/api/runs", "");
    CHECK(cJSON_GetArraySize(runs) == 4);
    const cJSON *evil = cJSON_GetArrayItem(runs, 0), *suite = cJSON_GetArrayItem(runs, 1),
                *a = cJSON_GetArrayItem(runs, 3);
    /* newest first, store_list_runs' fields and the suite's name */
    CHECK(num_at(evil, "id") == fx.evil && num_at(a, "id") == fx.plain_a);
    CHECK_STR(str_at(evil, "label"), "<b>x</b>"); /* raw: whoever shows it escapes */
    CHECK(null_at(evil, "suite"));
    CHECK_STR(str_at(suite, "suite"), "tiny");
    CHECK_STR(str_at(suite, "command"), "run");
    CHECK(null_at(suite, "ended"));
    CHECK_STR(str_at(a, "status"), "partial");
    CHECK_STR(str_at(a, "label"), "base");
    CHECK(num_at(a, "n_results") == 2);
    CHECK_STR(str_at(a, "argv"), "[\"bench\"]");
    CHECK(cJSON_GetObjectItemCaseSensitive(a, "host") != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(a, "reason") != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(a, "imported_from") != NULL);
    cJSON_Delete(runs);
    store_close(s);
}

void test_dash_api_run(void)
{
    struct fixture fx;
    if (fixture_make(&fx) < 0)
        return;
    struct store *s = fx.s;
    char q[64];
    snprintf(q, sizeof(q), "id=%lld", (long long)fx.suite);
    cJSON *o = get_ok(s, "/api/run", q);
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(o, "run"),
                *suite = cJSON_GetObjectItemCaseSensitive(o, "suite"),
                *cells = cJSON_GetObjectItemCaseSensitive(o, "cells"),
                *prog = cJSON_GetObjectItemCaseSensitive(o, "progress");
    CHECK(num_at(run, "id") == fx.suite);
    CHECK_STR(str_at(run, "suite"), "tiny");
    CHECK_STR(str_at(suite, "name"), "tiny");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(suite, "models")) == 2);
    CHECK(cJSON_GetArraySize(cells) == 4);
    const cJSON *c0 = cJSON_GetArrayItem(cells, 0), *c1 = cJSON_GetArrayItem(cells, 1),
                *c3 = cJSON_GetArrayItem(cells, 3);
    CHECK_STR(str_at(c0, "status"), "ok");
    CHECK_STR(str_at(c0, "group"), "g1");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c0, "rows")) == 1);
    CHECK_STR(str_at(c1, "status"), "crashed");
    CHECK_STR(str_at(c1, "reason"), "worker died (signal 9)");
    CHECK_STR(str_at(c3, "status"), "missing");
    CHECK_STR(str_at(c3, "test"), "prompts builtin");
    /* 2 stored (1 not ok), cell 2 started and not finished, the clock of the newest
     * event that has one (the log line) */
    /* the table to share: a row per group, g1 with its crashed cell */
    const cJSON *table = cJSON_GetObjectItemCaseSensitive(o, "table");
    CHECK(cJSON_GetArraySize(table) == 2);
    const cJSON *g1 = cJSON_GetArrayItem(table, 0), *g2 = cJSON_GetArrayItem(table, 1);
    CHECK_STR(str_at(g1, "group"), "g1");
    CHECK_NEAR(num_at(g1, "pp_ts"), 500, 1e-9);
    const cJSON *f1 = cJSON_GetObjectItemCaseSensitive(g1, "failed");
    CHECK(cJSON_GetArraySize(f1) == 1);
    CHECK_STR(str_at(cJSON_GetArrayItem(f1, 0), "status"), "crashed");
    CHECK_STR(str_at(g2, "group"), "g2");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g2, "failed")) == 2);
    CHECK(num_at(prog, "cells") == 4);
    CHECK(num_at(prog, "done") == 2);
    CHECK(num_at(prog, "failed") == 1);
    CHECK(num_at(prog, "running") == 2);
    CHECK(num_at(prog, "elapsed_s") == 5);
    CHECK(num_at(prog, "eta_s") == 5);
    cJSON_Delete(o);

    /* the cell finishes and the run ends: nothing running, no ETA, the last clock */
    char err[QB_ERR_LEN];
    add_event(s, fx.suite, 2, "cell_finished", "{\"status\":\"ok\",\"elapsed_s\":6,\"eta_s\":1}");
    o = get_ok(s, "/api/run", q);
    prog = cJSON_GetObjectItemCaseSensitive(o, "progress");
    CHECK(null_at(prog, "running"));
    CHECK(num_at(prog, "eta_s") == 1);
    cJSON_Delete(o);
    CHECK(store_run_end(s, fx.suite, "interrupted", err) == 0);
    o = get_ok(s, "/api/run", q);
    prog = cJSON_GetObjectItemCaseSensitive(o, "progress");
    CHECK(null_at(prog, "running") && null_at(prog, "eta_s"));
    CHECK(num_at(prog, "elapsed_s") == 6);
    CHECK(num_at(prog, "done") == 2); /* cell 2's rows were never stored */
    cJSON_Delete(o);
    /* a started cell of a run that ended is not running */
    add_event(s, fx.suite, 3, "cell_started", "{\"elapsed_s\":7,\"eta_s\":1}");
    o = get_ok(s, "/api/run", q);
    CHECK(null_at(cJSON_GetObjectItemCaseSensitive(o, "progress"), "running"));
    cJSON_Delete(o);

    /* a plain run: no suite, no cells, progress from its rows */
    snprintf(q, sizeof(q), "id=%lld", (long long)fx.plain_a);
    o = get_ok(s, "/api/run", q);
    prog = cJSON_GetObjectItemCaseSensitive(o, "progress");
    CHECK(num_at(cJSON_GetObjectItemCaseSensitive(o, "run"), "id") == fx.plain_a);
    CHECK(null_at(o, "suite") && null_at(o, "cells") && null_at(o, "table"));
    CHECK(num_at(prog, "cells") == 2 && num_at(prog, "done") == 2);
    CHECK(num_at(prog, "failed") == 1);
    CHECK(null_at(prog, "running") && null_at(prog, "eta_s") && null_at(prog, "elapsed_s"));
    cJSON_Delete(o);
    store_close(s);
}

void test_dash_api_rows_events(void)
{
    struct fixture fx;
    if (fixture_make(&fx) < 0)
        return;
    struct store *s = fx.s;
    char q[96];
    snprintf(q, sizeof(q), "run=%lld", (long long)fx.plain_a);
    cJSON *rows = get_ok(s, "/api/rows", q);
    CHECK(cJSON_GetArraySize(rows) == 2);
    const cJSON *r0 = cJSON_GetArrayItem(rows, 0);
    CHECK(num_at(r0, "run_id") == fx.plain_a);
    CHECK_STR(str_at(r0, "kind"), "bench");
    CHECK_STR(str_at(r0, "label"), "base");
    CHECK_STR(str_at(r0, "status"), "ok");
    CHECK_STR(str_at(r0, "test"), "pp512");
    CHECK(num_at(cJSON_GetObjectItemCaseSensitive(r0, "row"), "avg_ts") == 100);
    CHECK(num_at(cJSON_GetObjectItemCaseSensitive(r0, "settings"), "n_threads") == 2);
    CHECK_STR(str_at(cJSON_GetArrayItem(rows, 1), "status"), "oom");
    cJSON_Delete(rows);
    snprintf(q, sizeof(q), "run=%lld&kind=bench", (long long)fx.plain_a);
    rows = get_ok(s, "/api/rows", q);
    CHECK(cJSON_GetArraySize(rows) == 2);
    cJSON_Delete(rows);
    snprintf(q, sizeof(q), "run=%lld&kind=mem", (long long)fx.plain_a);
    rows = get_ok(s, "/api/rows", q);
    CHECK(cJSON_IsArray(rows) && cJSON_GetArraySize(rows) == 0);
    cJSON_Delete(rows);
    /* a suite run's rows are its cells' rows */
    snprintf(q, sizeof(q), "run=%lld", (long long)fx.suite);
    rows = get_ok(s, "/api/rows", q);
    CHECK(cJSON_GetArraySize(rows) == 1);
    cJSON_Delete(rows);

    /* the markup in a model's name comes back as it is, a JSON string */
    snprintf(q, sizeof(q), "run=%lld", (long long)fx.evil);
    rows = get_ok(s, "/api/rows", q);
    const cJSON *row = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rows, 0), "row");
    CHECK_STR(str_at(row, "model_filename"), EVIL_MODEL);
    char *text = cJSON_PrintUnformatted(rows);
    CHECK(strstr(text, "\\\"><img onerror=x>") != NULL);
    free(text);
    cJSON_Delete(rows);

    snprintf(q, sizeof(q), "run=%lld", (long long)fx.suite);
    cJSON *ev = get_ok(s, "/api/events", q);
    CHECK(cJSON_GetArraySize(ev) == 8);
    const cJSON *e0 = cJSON_GetArrayItem(ev, 0), *e1 = cJSON_GetArrayItem(ev, 1);
    CHECK_STR(str_at(e0, "kind"), "run_started");
    CHECK(null_at(e0, "cell"));
    CHECK(num_at(e0, "run_id") == fx.suite);
    CHECK(num_at(cJSON_GetObjectItemCaseSensitive(e0, "payload"), "cells") == 4);
    CHECK_STR(str_at(e1, "kind"), "cell_started");
    CHECK(num_at(e1, "cell") == 0);
    CHECK(num_at(e1, "time") > 1.7e9);
    double id1 = num_at(e1, "id");
    snprintf(q, sizeof(q), "run=%lld&after=%.0f", (long long)fx.suite, id1);
    cJSON *later = get_ok(s, "/api/events", q);
    CHECK(cJSON_GetArraySize(later) == 6);
    CHECK(num_at(cJSON_GetArrayItem(later, 0), "id") > id1);
    cJSON_Delete(later);
    /* after=0 is all of them; another run's events are not here */
    snprintf(q, sizeof(q), "run=%lld&after=0", (long long)fx.suite);
    later = get_ok(s, "/api/events", q);
    CHECK(cJSON_GetArraySize(later) == 8);
    cJSON_Delete(later);
    snprintf(q, sizeof(q), "run=%lld", (long long)fx.plain_b);
    later = get_ok(s, "/api/events", q);
    CHECK(cJSON_IsArray(later) && cJSON_GetArraySize(later) == 0);
    cJSON_Delete(later);
    cJSON_Delete(ev);
    store_close(s);
}

void test_dash_api_compare(void)
{
    struct fixture fx;
    if (fixture_make(&fx) < 0)
        return;
    struct store *s = fx.s;
    cJSON *o = get_ok(s, "/api/compare", "a=1&b=2");
    CHECK_STR(str_at(o, "a"), "1");
    CHECK_STR(str_at(o, "b"), "2");
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(o, "lines");
    CHECK(cJSON_GetArraySize(lines) == 1);
    const cJSON *l = cJSON_GetArrayItem(lines, 0);
    CHECK_STR(str_at(l, "kind"), "bench");
    CHECK_STR(str_at(l, "test"), "pp512");
    CHECK_STR(str_at(l, "metric"), "t/s");
    CHECK(num_at(cJSON_GetObjectItemCaseSensitive(l, "settings"), "n_threads") == 2);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(l, "a"),
                *b = cJSON_GetObjectItemCaseSensitive(l, "b");
    CHECK_NEAR(num_at(a, "mean"), 100, 1e-9);
    CHECK_NEAR(num_at(b, "mean"), 110, 1e-9);
    CHECK(num_at(a, "n") == 5 && num_at(b, "n") == 5);
    CHECK_NEAR(num_at(a, "pm"), sqrt(2.5 / 4), 1e-9); /* the sample sd of the 5 */
    CHECK_NEAR(num_at(l, "ratio"), 1.1, 1e-9);
    double lo = num_at(l, "lo"), hi = num_at(l, "hi");
    CHECK(lo < 1.1 && hi > 1.1 && lo > 1.0); /* 2% run noise: still excludes 1 */
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "significant")));
    /* the failed row of A is not compared (ok rows only) */
    CHECK(num_at(o, "only_a") == 0 && num_at(o, "only_b") == 0);
    cJSON_Delete(o);
    /* labels and filters as `compare` takes them, decoded; the bootstrap */
    o = get_ok(s, "/api/compare", "a=base&b=label%3Dpr%2Cthreads%3D2&method=bootstrap");
    CHECK_STR(str_at(o, "b"), "label=pr,threads=2");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "lines")) == 1);
    cJSON_Delete(o);
    /* the markup run against A: its model differs, the test and settings match */
    o = get_ok(s, "/api/compare", "a=1&b=4&method=welch");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "lines")) == 1);
    cJSON_Delete(o);
    get_fails(s, "/api/compare", "a=1&b=nosuchlabel", 404, "'b' ('nosuchlabel') matches no");
    get_fails(s, "/api/compare", "a=99&b=1", 404, "'a' ('99') matches no");
    get_fails(s, "/api/compare", "a=1", 400, "parameter 'b' is missing");
    get_fails(s, "/api/compare", "b=1", 400, "parameter 'a' is missing");
    get_fails(s, "/api/compare", "a=1&b=2&method=t", 400, "parameter 'method'");
    get_fails(s, "/api/compare", "a=1&b=colour%3Dred", 400, "parameter 'b': unknown filter key");
    get_fails(s, "/api/compare", "a=1&b=2&a=3", 400, "'a' is given twice");
    store_close(s);
}

void test_dash_api_errors(void)
{
    struct fixture fx;
    if (fixture_make(&fx) < 0)
        return;
    struct store *s = fx.s;
    /* unknown paths */
    get_fails(s, "/api/nope", NULL, 404, "no such path '/api/nope'");
    get_fails(s, "/api/run/", "id=1", 404, "no such path");
    get_fails(s, "/", NULL, 404, "no such path");
    get_fails(s, "/api/runs/../info", NULL, 404, "no such path");
    get_fails(s, "/api/run\x1b", NULL, 404, "'/api/run\\x1b'"); /* shown escaped */
    /* no such run */
    get_fails(s, "/api/run", "id=99", 404, "no run 99");
    get_fails(s, "/api/rows", "run=99", 404, "no run 99");
    get_fails(s, "/api/events", "run=99", 404, "no run 99");
    /* ids that are not integers */
    const char *bad_ids[] = {
        "abc", "1.5", "-1", "0", "+1", "%201", "1e3", "0x1", "99999999999999999999", "1%20"};
    for (size_t i = 0; i < QB_ARRAY_LEN(bad_ids); i++) {
        char q[64];
        snprintf(q, sizeof(q), "id=%s", bad_ids[i]);
        get_fails(s, "/api/run", q, 400, "parameter 'id' is not an integer");
        snprintf(q, sizeof(q), "run=%s", bad_ids[i]);
        get_fails(s, "/api/rows", q, 400, "parameter 'run' is not an integer");
        get_fails(s, "/api/events", q, 400, "parameter 'run' is not an integer");
    }
    get_fails(s, "/api/events", "run=3&after=x", 400, "parameter 'after' is not an integer");
    get_fails(s, "/api/events", "run=3&after=-1", 400, "parameter 'after'");
    /* missing, unknown, repeated, empty */
    get_fails(s, "/api/run", NULL, 400, "parameter 'id' is missing");
    get_fails(s, "/api/run", "", 400, "parameter 'id' is missing");
    get_fails(s, "/api/rows", "kind=bench", 400, "parameter 'run' is missing");
    get_fails(s, "/api/run", "id=1&run=1", 400, "unknown parameter 'run' (it takes id)");
    get_fails(s, "/api/rows", "run=1&x=1", 400, "unknown parameter 'x' (it takes run or kind)");
    get_fails(s, "/api/compare", "a=1&b=1&c=1", 400, "it takes a, b or method");
    get_fails(s, "/api/runs", "x=1", 400, "unknown parameter 'x' (it takes none)");
    get_fails(s, "/api/info", "a", 400, "unknown parameter 'a'");
    get_fails(s, "/api/run", "id=1&id=1", 400, "parameter 'id' is given twice");
    get_fails(s, "/api/run", "i%64=1&id=2", 400, "parameter 'id' is given twice"); /* decoded */
    get_fails(s, "/api/run", "id=", 400, "parameter 'id' has no value");
    get_fails(s, "/api/run", "id", 400, "parameter 'id' has no value");
    get_fails(s, "/api/run", "id=1&", 400, "an empty parameter");
    get_fails(s, "/api/run", "&id=1", 400, "an empty parameter");
    get_fails(s, "/api/run", "id=1&&kind=x", 400, "an empty parameter");
    /* malformed escapes, %00 */
    get_fails(s, "/api/run", "id=1%", 400, "parameter 'id': malformed");
    get_fails(s, "/api/run", "id=%00", 400, "parameter 'id': %00");
    get_fails(s, "/api/rows", "run=1&kind=be%0", 400, "parameter 'kind': malformed");
    get_fails(s, "/api/run", "i%zz=1", 400, "unknown parameter 'i%zz'");
    /* what came from the request is shown escaped in a message */
    get_fails(s, "/api/run", "id=%1b%5b31m", 400, "not an integer of at least 1: '\\x1b[31m'");
    get_fails(s, "/api/run", "%1bx=1", 400, "unknown parameter '\\x1bx' (it takes id)");
    get_fails(s, "/api/run", "\x1b=1", 400, "unknown parameter '\\x1b' (it takes id)");
    get_fails(s, "/api/compare", "a=1&b=x%0a%3D1", 400, "unknown filter key 'x\\n'");
    get_fails(s, "/api/compare", "a=1&b=%e2%80%ae", 404, "('\\xe2\\x80\\xae') matches no");
    /* over-long values, raw or decoded */
    char *longv = xmalloc(DASH_API_VALUE_MAX * 3 + 32);
    strcpy(longv, "run=1&kind=");
    size_t k = strlen(longv);
    memset(longv + k, 'x', DASH_API_VALUE_MAX + 1);
    longv[k + DASH_API_VALUE_MAX + 1] = 0;
    get_fails(s, "/api/rows", longv, 400, "parameter 'kind' is longer than 512 bytes");
    longv[k + DASH_API_VALUE_MAX] = 0; /* exactly the limit: taken */
    cJSON *o = get_ok(s, "/api/rows", longv);
    CHECK(cJSON_GetArraySize(o) == 0);
    cJSON_Delete(o);
    /* 100 escapes and 413 bytes: 713 bytes raw, 513 decoded */
    longv[k] = 0;
    for (int i = 0; i < 100; i++)
        strcat(longv, "%41");
    memset(longv + strlen(longv), 'y', DASH_API_VALUE_MAX + 1 - 100);
    longv[k + 300 + DASH_API_VALUE_MAX + 1 - 100] = 0;
    get_fails(s, "/api/rows", longv, 400, "parameter 'kind' is longer than 512 bytes");
    free(longv);
    /* the database failing is a 500 */
    char err[QB_ERR_LEN];
    CHECK(store_test_exec(s, "DROP TABLE events", err) == 0);
    get_fails(s, "/api/events", "run=1", 500, "no such table: events");
    get_fails(s, "/api/run", "id=3", 500, "no such table: events");
    o = get_ok(s, "/api/run", "id=1"); /* a plain run reads no events */
    cJSON_Delete(o);
    char longname[128];
    snprintf(longname, sizeof(longname), "%0100d=1", 0);
    get_fails(s, "/api/run", longname, 400, "unknown parameter");
    store_close(s);
}

/* The static report's data: what dash_api_get answers, keyed by the canonical URLs, the
 * selected runs only, without tokens events; the page embeds it with no '<' left */
void test_dash_report(void)
{
    struct fixture fx;
    if (fixture_make(&fx) < 0)
        return;
    struct store *s = fx.s;
    char err[QB_ERR_LEN];
    int64_t ids[] = {fx.suite, fx.evil, fx.suite};
    cJSON *data = NULL;
    CHECK(dash_report_data(s, ids, 3, &data, err) == 0);
    /* the runs, and three answers per run (no /api/info: the same runs, the same data) */
    CHECK(cJSON_GetArraySize(data) == 1 + 2 * 3);
    CHECK(cJSON_GetObjectItemCaseSensitive(data, "/api/info") == NULL);
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(data, "/api/runs");
    CHECK(cJSON_GetArraySize(runs) == 2);
    CHECK(num_at(cJSON_GetArrayItem(runs, 0), "id") == fx.evil);
    CHECK(num_at(cJSON_GetArrayItem(runs, 1), "id") == fx.suite);
    char key[64];
    snprintf(key, sizeof(key), "/api/run?id=%lld", (long long)fx.suite);
    cJSON *want = get_ok(s, "/api/run", key + strlen("/api/run?"));
    CHECK(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(data, key), want, 1));
    cJSON_Delete(want);
    snprintf(key, sizeof(key), "/api/rows?run=%lld", (long long)fx.evil);
    want = get_ok(s, "/api/rows", key + strlen("/api/rows?"));
    CHECK(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(data, key), want, 1));
    cJSON_Delete(want);
    snprintf(key, sizeof(key), "/api/events?run=%lld", (long long)fx.suite);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(data, key), *e;
    CHECK(cJSON_GetArraySize(ev) == 7); /* 8 less the tokens event */
    cJSON_ArrayForEach (e, ev)
        CHECK(strcmp(str_at(e, "kind"), "tokens") != 0);
    snprintf(key, sizeof(key), "/api/run?id=%lld", (long long)fx.plain_a);
    CHECK(cJSON_GetObjectItemCaseSensitive(data, key) == NULL); /* not selected */

    struct dash_page p;
    CHECK(dash_page_build("<i>t</i> & \"x\"", data, &p, err) == 0);
    CHECK(p.len == strlen(p.html));
    CHECK(strstr(p.html, "<title>&lt;i&gt;t&lt;/i&gt; &amp; &quot;x&quot;</title>") != NULL);
    CHECK(strstr(p.html, "Content-Security-Policy") != NULL && strstr(p.csp, "default-src 'none'"));
    CHECK(strstr(p.html, "http://") == NULL && strstr(p.html, "https://") == NULL);
    const char *open = "<script type=\"application/json\" id=\"qb-data\">";
    const char *d = strstr(p.html, open);
    CHECK(d != NULL);
    if (d) {
        d += strlen(open);
        const char *end = strstr(d, "</script>");
        CHECK(end != NULL);
        if (end) {
            char *json = xstrndup(d, (size_t)(end - d));
            CHECK(strchr(json, '<') == NULL); /* the model's <script> cannot close it */
            CHECK(strstr(json, "\\u003cscript>alert(1)\\u003c/script>") != NULL);
            cJSON *back = cJSON_Parse(json);
            CHECK(cJSON_Compare(back, data, 1)); /* \u003c reads back as '<' */
            cJSON_Delete(back);
            free(json);
        }
    }
    dash_page_free(&p);
    dash_page_free(&p); /* twice is harmless */
    /* the live page: no data, may connect to its server */
    CHECK(dash_page_build("live", NULL, &p, err) == 0);
    CHECK(strstr(p.html, "id=\"qb-data\"") == NULL && strstr(p.csp, "connect-src 'self'"));
    dash_page_free(&p);
    cJSON_Delete(data);
    /* a run that does not exist: no data */
    int64_t none[] = {fx.suite, 99};
    data = (cJSON *)1;
    CHECK(dash_report_data(s, none, 2, &data, err) < 0 && data == NULL);
    CHECK(strstr(err, "no run 99") != NULL);
    store_close(s);
}
