/* The results store: schema creation and migration, rows in and out, refusal of
 * files that are not ours (left byte-for-byte untouched); and the ratio intervals
 * compare uses. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/report/compare.h"
#include "../../src/store/store.h"
#include "../../src/util/rng.h"
#include "../../src/util/stats.h"
#include "../../src/util/util.h"
#include "test.h"

static cJSON *bench_row(int n_prompt, int n_gen, double ts, const char *commit)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "build_commit", commit);
    cJSON_AddNumberToObject(r, "build_number", 42);
    cJSON_AddStringToObject(r, "model_filename", "/m/demo-Q4_0.gguf");
    cJSON_AddStringToObject(r, "model_id", "123:aa:bb");
    cJSON_AddStringToObject(r, "model_type", "llama 1B Q4_0");
    cJSON_AddNumberToObject(r, "model_size", 123);
    cJSON_AddNumberToObject(r, "n_prompt", n_prompt);
    cJSON_AddNumberToObject(r, "n_gen", n_gen);
    cJSON_AddNumberToObject(r, "n_depth", 0);
    cJSON_AddNumberToObject(r, "n_threads", 2);
    cJSON_AddStringToObject(r, "type_k", "f16");
    cJSON_AddBoolToObject(r, "flash_attn", 0);
    cJSON_AddNumberToObject(r, "avg_ts", ts);
    double s[3] = {ts - 1, ts, ts + 1};
    cJSON_AddItemToObject(r, "samples_ts", cJSON_CreateDoubleArray(s, 3));
    cJSON_AddStringToObject(r, "status", "ok");
    return r;
}

static char *tmp_path(const char *name)
{
    const char *dir = getenv("TMPDIR");
    return xasprintf("%s/qb-unit-%d-%s", dir && dir[0] ? dir : "/tmp", (int)getpid(), name);
}

static void write_bytes(const char *path, const char *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    fwrite(data, 1, n, fp);
    fclose(fp);
}

static void remove_db(const char *path)
{
    char *w = xasprintf("%s-wal", path), *m = xasprintf("%s-shm", path);
    unlink(path);
    unlink(w);
    unlink(m);
    free(w);
    free(m);
}

void test_store_rows(void)
{
    char err[QB_ERR_LEN];
    struct store *s = store_open(":memory:", 0, err);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(store_version(s) == STORE_SCHEMA_VERSION);
    int64_t r1 = 0, r2 = 0;
    CHECK(store_run_begin(s, "bench", "[\"bench\"]", "main", NULL, &r1, err) == 0);
    cJSON *a = bench_row(512, 0, 100, "abc1234"), *b = bench_row(0, 128, 20, "abc1234");
    CHECK(store_add_result(s, r1, "bench", a, 0, err) == 0);
    CHECK(store_add_result(s, r1, "bench", b, 0, err) == 0);
    CHECK(store_run_end(s, r1, "ok", err) == 0);
    CHECK(store_run_begin(s, "bench", "[]", "pr-1", NULL, &r2, err) == 0);
    cJSON *c = bench_row(512, 0, 110, "def5678");
    CHECK(store_add_result(s, r2, "bench", c, 0, err) == 0);

    cJSON *rows = NULL;
    struct store_filter f = {0};
    CHECK(store_query(s, &f, &rows, err) == 0);
    CHECK(cJSON_GetArraySize(rows) == 3);
    cJSON *first = cJSON_GetArrayItem(rows, 0);
    CHECK_STR(cJSON_GetObjectItem(first, "label")->valuestring, "main");
    cJSON *row = cJSON_GetObjectItem(first, "row");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(row, "samples_ts")) == 3);
    CHECK(cJSON_GetObjectItem(row, "avg_ts")->valuedouble == 100);
    cJSON_Delete(rows);

    f.label = "pr-1";
    CHECK(store_query(s, &f, &rows, err) == 0 && cJSON_GetArraySize(rows) == 1);
    cJSON_Delete(rows);
    f.label = NULL;
    f.build = "abc";
    CHECK(store_query(s, &f, &rows, err) == 0 && cJSON_GetArraySize(rows) == 2);
    cJSON_Delete(rows);
    f.build = NULL;
    f.quant = "q4_0";
    CHECK(store_query(s, &f, &rows, err) == 0 && cJSON_GetArraySize(rows) == 3);
    cJSON_Delete(rows);
    f.quant = "Q8_0";
    CHECK(store_query(s, &f, &rows, err) == 0 && cJSON_GetArraySize(rows) == 0);
    cJSON_Delete(rows);

    CHECK(store_find_run(s, "main") == r1);
    CHECK(store_find_run(s, "pr-1") == r2);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)r2);
    CHECK(store_find_run(s, id) == r2);
    CHECK(store_find_run(s, "nope") == 0);
    cJSON *runs = NULL;
    CHECK(store_list_runs(s, &runs, err) == 0 && cJSON_GetArraySize(runs) == 2);
    CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(runs, 1), "n_results")->valueint == 2);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(runs, 1), "status")->valuestring, "ok");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(runs, 0), "status")->valuestring, "running");
    cJSON_Delete(runs);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    store_close(s);
}

void test_store_migrate(void)
{
    char err[QB_ERR_LEN], *path = tmp_path("migrate.db");
    remove_db(path);
    struct store *s = store_open(path, 1, err);
    CHECK(s != NULL);
    if (!s)
        goto out;
    CHECK(store_version(s) == 1);
    int64_t run = 0;
    cJSON *a = bench_row(512, 0, 100, "abc");
    CHECK(store_run_begin(s, "bench", "[]", "old", NULL, &run, err) == 0);
    /* a version-1 database has no source_line column: the insert must fail cleanly */
    CHECK(store_add_result(s, run, "bench", a, 0, err) < 0);
    store_close(s);

    s = store_open(path, 0, err); /* migrates 1 -> current, keeping the run */
    CHECK(s != NULL);
    if (!s) {
        cJSON_Delete(a);
        goto out;
    }
    CHECK(store_version(s) == STORE_SCHEMA_VERSION);
    CHECK(store_find_run(s, "old") == run);
    CHECK(store_add_result(s, run, "bench", a, 7, err) == 0);
    cJSON *rows = NULL;
    struct store_filter f = {.label = "old"};
    CHECK(store_query(s, &f, &rows, err) == 0 && cJSON_GetArraySize(rows) == 1);
    CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "line")->valueint == 7);
    cJSON_Delete(rows);
    /* version 3: a run keeps the reason it failed */
    CHECK(store_run_end_why(s, run, "failed", "a row could not be stored", err) == 0);
    cJSON *runs = NULL;
    CHECK(store_list_runs(s, &runs, err) == 0 && cJSON_GetArraySize(runs) == 1);
    const cJSON *why = cJSON_GetObjectItem(cJSON_GetArrayItem(runs, 0), "reason");
    CHECK(cJSON_IsString(why) && strcmp(why->valuestring, "a row could not be stored") == 0);
    cJSON_Delete(runs);
    cJSON_Delete(a);
    store_close(s);
out:
    remove_db(path);
    free(path);
}

/* A transaction left open by accident (not store_begin's) is not joined: a row written
 * after it is committed (it used to join it and be lost at close); store_begin's is
 * joined, and store_commit after SQLite ended it says so instead of retrying */
void test_store_stray_tx(void)
{
    char err[QB_ERR_LEN], *path = tmp_path("stray.db");
    remove_db(path);
    struct store *s = store_open(path, 0, err);
    CHECK(s != NULL);
    if (!s)
        goto out;
    int64_t run = 0;
    cJSON *a = bench_row(512, 0, 100, "abc");
    CHECK(store_run_begin(s, "bench", "[]", "stray", NULL, &run, err) == 0);
    CHECK(store_test_exec(s, "BEGIN", err) == 0); /* e.g. after a ROLLBACK that failed */
    CHECK(store_add_result(s, run, "bench", a, 1, err) == 0);
    CHECK(store_run_end(s, run, "ok", err) == 0);
    /* inside store_begin's transaction the writes join it and are kept by the commit */
    CHECK(store_begin(s, err) == 0);
    CHECK(store_add_result(s, run, "bench", a, 2, err) == 0);
    CHECK(store_commit(s, err) == 0);
    /* and dropped by a rollback */
    CHECK(store_begin(s, err) == 0);
    CHECK(store_add_result(s, run, "bench", a, 3, err) == 0);
    store_rollback(s);
    /* a commit with no transaction of ours fails instead of joining anything */
    CHECK(store_commit(s, err) < 0);
    store_close(s);
    s = store_open(path, 0, err);
    CHECK(s != NULL);
    if (s) {
        cJSON *rows = NULL;
        struct store_filter f = {.label = "stray"};
        CHECK(store_query(s, &f, &rows, err) == 0 && cJSON_GetArraySize(rows) == 2);
        CHECK(rows && cJSON_GetArraySize(rows) == 2 &&
              cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "line")->valueint == 1 &&
              cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "line")->valueint == 2);
        cJSON_Delete(rows);
        cJSON *runs = NULL;
        CHECK(store_list_runs(s, &runs, err) == 0 && cJSON_GetArraySize(runs) == 1);
        const cJSON *st = cJSON_GetObjectItem(cJSON_GetArrayItem(runs, 0), "status");
        CHECK(cJSON_IsString(st) && strcmp(st->valuestring, "ok") == 0);
        cJSON_Delete(runs);
    }
    cJSON_Delete(a);
    store_close(s);
out:
    remove_db(path);
    free(path);
}

/* Open must fail with the expected text and leave the file's bytes as they were */
static void check_refused(const char *path, const char *want)
{
    char err[QB_ERR_LEN] = "";
    size_t n0 = 0, n1 = 0;
    char *before = read_file(path, 1 << 24, &n0, err);
    struct store *s = store_open(path, 0, err);
    CHECK(s == NULL);
    store_close(s);
    CHECK(strstr(err, want) != NULL);
    if (!strstr(err, want))
        fprintf(stderr, "  got: %s\n", err);
    char e2[QB_ERR_LEN];
    char *after = read_file(path, 1 << 24, &n1, e2);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
}

void test_store_refuse(void)
{
    char err[QB_ERR_LEN], *path = tmp_path("refuse.db");
    remove_db(path);
    write_bytes(path, "not a database at all, just text\n", 33);
    check_refused(path, "is not a SQLite database");

    /* a newer schema */
    remove_db(path);
    struct store *s = store_open(path, 0, err);
    CHECK(s != NULL);
    store_close(s);
    remove_db(path); /* rebuild with a higher user_version through a second handle */
    s = store_open(path, 0, err);
    store_close(s);
    {
        char *cmd = xasprintf("sqlite3 '%s' 'PRAGMA user_version = 99' 2>/dev/null", path);
        int rc = system(cmd);
        free(cmd);
        if (rc == 0)
            check_refused(path, "has schema version 99, newer than");
    }

    /* another application's SQLite file */
    remove_db(path);
    {
        char *cmd = xasprintf("sqlite3 '%s' 'CREATE TABLE t(x); INSERT INTO t VALUES(1)' "
                              "2>/dev/null",
                              path);
        int rc = system(cmd);
        free(cmd);
        if (rc == 0)
            check_refused(path, "is not a quantbench database");
    }

    /* ours, then damaged in the middle of its pages */
    remove_db(path);
    s = store_open(path, 0, err);
    int64_t run = 0;
    CHECK(s && store_run_begin(s, "bench", "[]", NULL, NULL, &run, err) == 0);
    for (int i = 0; s && i < 40; i++) {
        cJSON *a = bench_row(512 + i, 0, 100, "abc");
        store_add_result(s, run, "bench", a, 0, err);
        cJSON_Delete(a);
    }
    store_close(s); /* the last close checkpoints the WAL into the file */
    size_t n = 0;
    char *data = read_file(path, 1 << 24, &n, err);
    CHECK(data && n > 8192);
    if (data && n > 8192) {
        for (size_t i = 4096 + 8; i < n; i += 97)
            data[i] = (char)(data[i] ^ 0x5a);
        write_bytes(path, data, n);
        check_refused(path, "is corrupt");
    }
    free(data);
    remove_db(path);
    free(path);
}

/* Welch's interval on known normal data covers the true ratio about 95% of the time;
 * the bootstrap's does too, a little less at small n (it is known to be narrow). */
void test_ratio_ci(void)
{
    uint64_t seed = 7;
    int trials = 2000, cover_w = 0, cover_b = 0, excl_aa = 0;
    for (int t = 0; t < trials; t++) {
        double a[8], b[8];
        for (int i = 0; i < 8; i++) {
            /* Box-Muller from two uniforms */
            double u1 = ((double)(rng_next(&seed) >> 11) + 1) / 9007199254740993.0;
            double u2 = (double)(rng_next(&seed) >> 11) / 9007199254740992.0;
            double z1 = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
            double z2 = sqrt(-2 * log(u1)) * sin(2 * M_PI * u2);
            a[i] = 100 + 4 * z1;
            b[i] = 110 + 4 * z2;
        }
        struct stats sa = stats_compute(a, 8), sb = stats_compute(b, 8);
        struct ratio_ci w =
            stats_ratio_welch(sa.mean, sa.stddev / sqrt(8), 7, sb.mean, sb.stddev / sqrt(8), 7);
        CHECK(w.valid);
        cover_w += w.lo <= 1.1 && 1.1 <= w.hi;
        struct ratio_ci bs = stats_ratio_bootstrap(a, 8, b, 8, 400, (unsigned long long)t);
        cover_b += bs.lo <= 1.1 && 1.1 <= bs.hi;
        /* A/A: the same distribution on both sides */
        for (int i = 0; i < 8; i++)
            b[i] = b[i] - 10;
        sb = stats_compute(b, 8);
        w = stats_ratio_welch(sa.mean, sa.stddev / sqrt(8), 7, sb.mean, sb.stddev / sqrt(8), 7);
        excl_aa += w.lo > 1 || w.hi < 1;
    }
    double cw = (double)cover_w / trials, cb = (double)cover_b / trials;
    double fp = (double)excl_aa / trials;
    CHECK(cw > 0.93 && cw < 0.975);
    CHECK(cb > 0.88 && cb < 0.975);
    CHECK(fp < 0.07);
    if (!(cw > 0.93 && cw < 0.975 && cb > 0.88 && fp < 0.07))
        fprintf(stderr, "  coverage welch %.3f bootstrap %.3f, A/A false positives %.3f\n", cw, cb,
                fp);
    /* too little data: no interval */
    struct ratio_ci none = stats_ratio_welch(100, 0, 0, 110, 1, 4);
    CHECK(!none.valid && fabs(none.ratio - 1.1) < 1e-12);
}

/* compare's metrics: batched-bench's S_PP, S_TG, S from the raw times (shared prompt or
 * not), bench's t/s samples, summaries of imported rows; matching on settings */
void test_compare_metrics(void)
{
    cJSON *row = cJSON_Parse("{\"pp\": 100, \"tg\": 10, \"pl\": 4, \"is_pp_shared\": 0,"
                             " \"samples_pp_ns\": [1e9, 2e9], \"samples_tg_ns\": [5e8, 5e8]}");
    struct metric m[4];
    CHECK(compare_row_metrics("batched", row, m) == 3);
    CHECK_STR(m[0].name, "S_PP");
    CHECK_NEAR(m[0].v[0], 400, 1e-9);
    CHECK_NEAR(m[0].v[1], 200, 1e-9);
    CHECK_NEAR(m[0].mean, 300, 1e-9);
    CHECK_NEAR(m[1].mean, 80, 1e-9);        /* 4 x 10 tokens in 0.5 s */
    CHECK_NEAR(m[2].v[0], 440 / 1.5, 1e-9); /* (400 + 40) / (1 + 0.5) */
    CHECK(m[0].df == 1 && m[0].n == 2);
    for (int i = 0; i < 3; i++)
        free(m[i].v);
    cJSON_ReplaceItemInObject(row, "is_pp_shared", cJSON_CreateNumber(1));
    compare_row_metrics("batched", row, m);
    CHECK_NEAR(m[0].v[0], 100, 1e-9); /* one shared prompt */
    for (int i = 0; i < 3; i++)
        free(m[i].v);
    cJSON_Delete(row);

    row = cJSON_Parse("{\"pp\": 512, \"tg\": 128, \"n_kv\": 0, \"speed_pp\": 400.5,"
                      " \"speed_tg\": 30.25}");
    CHECK(compare_row_metrics("sweep", row, m) == 2);
    CHECK(m[0].v == NULL && m[0].mean == 400.5 && m[0].df == 0);
    cJSON_Delete(row);

    /* two sides: matched on settings, the unmatched counted */
    const char *a = "[{\"kind\":\"bench\",\"test\":\"pp512\",\"settings\":{\"n_threads\":2},"
                    "\"row\":{\"samples_ts\":[100,102,98]}},"
                    "{\"kind\":\"bench\",\"test\":\"tg128\",\"settings\":{\"n_threads\":2},"
                    "\"row\":{\"samples_ts\":[20,21,19]}}]";
    const char *b = "[{\"kind\":\"bench\",\"test\":\"pp512\",\"settings\":{\"n_threads\":2},"
                    "\"row\":{\"samples_ts\":[110,112,108]}},"
                    "{\"kind\":\"bench\",\"test\":\"pp512\",\"settings\":{\"n_threads\":2},"
                    "\"row\":{\"samples_ts\":[110,112,108]}},"
                    "{\"kind\":\"bench\",\"test\":\"pp512\",\"settings\":{\"n_threads\":4},"
                    "\"row\":{\"samples_ts\":[1,2,3]}}]";
    cJSON *ja = cJSON_Parse(a), *jb = cJSON_Parse(b);
    struct compare_result r;
    compare_run(ja, jb, COMPARE_WELCH, 0, &r);
    CHECK(r.n_lines == 1);
    CHECK(r.only_a == 1 && r.only_b == 1);
    if (r.n_lines == 1) {
        CHECK(r.lines[0].b.n == 6); /* B's two runs pooled */
        CHECK_NEAR(r.lines[0].ci.ratio, 1.1, 1e-12);
        CHECK(r.lines[0].significant);
    }
    compare_release(&r);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
}

/* a key of 64 hex digits from a short name, as the suite makes them */
static const char *cell_key(const char *name, char *buf)
{
    snprintf(buf, 65, "%-64s", name);
    for (char *p = buf; *p; p++)
        if (*p == ' ')
            *p = '0';
    return buf;
}

static const char *jstr_of(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double jnum_of(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : -12345;
}

/* Plan, cells and events in and out: a suite run's cells with the newest stored cell of
 * each key (from any run) and its rows; the rest missing; a rerun's cell wins */
void test_store_suite(void)
{
    char err[QB_ERR_LEN], ka[65], kb[65], kc[65];
    struct store *s = store_open(":memory:", 0, err);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t r1 = 0, r2 = 0, plain = 0;
    CHECK(store_run_begin(s, "bench", "[]", NULL, NULL, &plain, err) == 0);
    CHECK(store_run_begin(s, "run", "[\"run\",\"s.json\"]", "suite", NULL, &r1, err) == 0);
    struct store_plan_cell plan[] = {
        {0, cell_key("a", ka), "g1", "/m/a.gguf", "pp512", "{\"n_threads\":2}"},
        {1, cell_key("b", kb), "g1", "/m/a.gguf", "tg128", "{\"n_threads\":2}"},
        {2, cell_key("c", kc), "g2", "/m/b.gguf", "mem", "{}"},
    };
    CHECK(store_add_plan(s, r1, "{\"models\":[\"a\",\"b\"]}", plan, 3, err) == 0);
    /* once per run */
    CHECK(store_add_plan(s, r1, "{}", plan, 1, err) < 0);
    /* bad settings text: nothing stored */
    struct store_plan_cell bad = {0, ka, "g", "m", "t", "[1]"};
    CHECK(store_add_plan(s, plain, "{}", &bad, 1, err) < 0);
    CHECK(strstr(err, "settings are not a JSON object") != NULL);
    char *suite = NULL;
    CHECK(store_suite_json(s, r1, &suite, err) == 1 && suite &&
          strcmp(suite, "{\"models\":[\"a\",\"b\"]}") == 0);
    free(suite);
    CHECK(store_suite_json(s, plain, NULL, err) == 0);
    CHECK(store_last_suite_run(s) == r1);

    char status[32] = "";
    double dur = -1;
    CHECK(store_find_cell(s, ka, status, sizeof(status), &dur, err) == 0);

    cJSON *a = bench_row(512, 0, 100, "abc"), *b = bench_row(0, 128, 20, "abc");
    const char *kinds[] = {"bench"};
    const cJSON *rows_a[] = {a};
    struct store_cell ca = {ka, "/m/a.gguf", "pp512", "{\"n_threads\":2}", "ok", "",
                            "", 100,         102.5};
    int64_t id_a = 0;
    CHECK(store_add_cell(s, r1, &ca, kinds, rows_a, 1, &id_a, err) == 0 && id_a > 0);
    struct store_cell cb = {.key = kb,
                            .model = "/m/a.gguf",
                            .test = "tg128",
                            .settings = "{\"n_threads\":2}",
                            .status = "crashed",
                            .reason = "worker died (signal 9)",
                            .stderr_tail = "last line\n",
                            .started = 103,
                            .ended = 104};
    CHECK(store_add_cell(s, r1, &cb, NULL, NULL, 0, NULL, err) == 0);
    /* an unknown status is refused */
    struct store_cell cx = cb;
    cx.status = "skipped";
    CHECK(store_add_cell(s, r1, &cx, NULL, NULL, 0, NULL, err) < 0);
    CHECK(strstr(err, "unknown status 'skipped'") != NULL);

    CHECK(store_find_cell(s, ka, status, sizeof(status), &dur, err) == 1);
    CHECK_STR(status, "ok");
    CHECK_NEAR(dur, 2.5, 1e-9);
    CHECK(store_find_cell(s, kb, status, sizeof(status), &dur, err) == 1);
    CHECK_STR(status, "crashed");

    cJSON *cells = NULL;
    CHECK(store_suite_cells(s, r1, &cells, err) == 0 && cJSON_GetArraySize(cells) == 3);
    const cJSON *c0 = cJSON_GetArrayItem(cells, 0), *c1 = cJSON_GetArrayItem(cells, 1),
                *c2 = cJSON_GetArrayItem(cells, 2);
    CHECK(jnum_of(c0, "idx") == 0 && jnum_of(c2, "idx") == 2);
    CHECK_STR(jstr_of(c0, "key"), ka);
    CHECK_STR(jstr_of(c0, "group"), "g1");
    CHECK_STR(jstr_of(c0, "model"), "/m/a.gguf");
    CHECK_STR(jstr_of(c0, "test"), "pp512");
    CHECK(jnum_of(cJSON_GetObjectItem(c0, "settings"), "n_threads") == 2);
    CHECK_STR(jstr_of(c0, "status"), "ok");
    CHECK_NEAR(jnum_of(c0, "duration_s"), 2.5, 1e-9);
    CHECK(jnum_of(c0, "measured_in") == r1);
    const cJSON *rows = cJSON_GetObjectItem(c0, "rows");
    CHECK(cJSON_GetArraySize(rows) == 1);
    CHECK_STR(jstr_of(cJSON_GetArrayItem(rows, 0), "kind"), "bench");
    CHECK(jnum_of(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "row"), "n_prompt") == 512);
    CHECK_STR(jstr_of(c1, "status"), "crashed");
    CHECK_STR(jstr_of(c1, "reason"), "worker died (signal 9)");
    CHECK_STR(jstr_of(c1, "stderr_tail"), "last line\n");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(c1, "rows")) == 0);
    CHECK_STR(jstr_of(c2, "status"), "missing");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(c2, "duration_s")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(c2, "measured_in")));
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(c2, "rows")));
    cJSON_Delete(cells);

    /* a rerun (another run, the same plan) stores the crashed cell again: the newest wins
     * in both runs' tables; the first run's cell a is still found from the second */
    CHECK(store_run_begin(s, "run", "[]", "suite", NULL, &r2, err) == 0);
    CHECK(store_add_plan(s, r2, "{}", plan, 3, err) == 0);
    const cJSON *rows_b[] = {b};
    cb.status = "ok";
    cb.reason = "";
    cb.started = 200;
    cb.ended = 201;
    CHECK(store_add_cell(s, r2, &cb, kinds, rows_b, 1, NULL, err) == 0);
    CHECK(store_find_cell(s, kb, status, sizeof(status), &dur, err) == 1);
    CHECK_STR(status, "ok");
    CHECK_NEAR(dur, 1, 1e-9);
    CHECK(store_last_suite_run(s) == r2);
    for (int k = 0; k < 2; k++) {
        CHECK(store_suite_cells(s, k ? r2 : r1, &cells, err) == 0);
        c0 = cJSON_GetArrayItem(cells, 0);
        c1 = cJSON_GetArrayItem(cells, 1);
        CHECK(jnum_of(c0, "measured_in") == r1);
        CHECK(jnum_of(c1, "measured_in") == r2);
        CHECK_STR(jstr_of(c1, "status"), "ok");
        rows = cJSON_GetObjectItem(c1, "rows");
        CHECK(cJSON_GetArraySize(rows) == 1);
        CHECK(jnum_of(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "row"), "n_gen") == 128);
        cJSON_Delete(cells);
    }
    /* cell rows are result rows too, with their cell; rows of other commands have none */
    struct store_filter f = {.run_id = r2};
    CHECK(store_query(s, &f, &cells, err) == 0 && cJSON_GetArraySize(cells) == 1);
    cJSON_Delete(cells);
    CHECK(store_add_result(s, plain, "bench", a, 0, err) == 0);

    /* not a suite run */
    cells = NULL;
    CHECK(store_suite_cells(s, plain, &cells, err) < 0 && cells == NULL);
    char want[64];
    snprintf(want, sizeof(want), "run %lld is not a suite run", (long long)plain);
    CHECK_STR(err, want);
    CHECK(store_suite_cells(s, 99, &cells, err) < 0);
    CHECK_STR(err, "run 99 is not a suite run");

    /* events: run-level and per cell, in order, after an id, of one run or all */
    cJSON *pl = cJSON_Parse("{\"cells\":3}");
    CHECK(store_add_event(s, r1, -1, "run_started", pl, err) == 0);
    CHECK(store_add_event(s, r1, 0, "cell_started", NULL, err) == 0);
    CHECK(store_add_event(s, r2, 1, "cell_done", pl, err) == 0);
    CHECK(store_add_event(s, r1, -1, "", NULL, err) < 0);
    cJSON *ev = NULL;
    CHECK(store_events(s, r1, 0, &ev, err) == 0 && cJSON_GetArraySize(ev) == 2);
    const cJSON *e0 = cJSON_GetArrayItem(ev, 0), *e1 = cJSON_GetArrayItem(ev, 1);
    CHECK_STR(jstr_of(e0, "kind"), "run_started");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(e0, "cell")));
    CHECK(jnum_of(cJSON_GetObjectItem(e0, "payload"), "cells") == 3);
    CHECK(jnum_of(e0, "run_id") == r1);
    CHECK(jnum_of(e0, "time") > 1.7e9);
    CHECK_STR(jstr_of(e1, "kind"), "cell_started");
    CHECK(jnum_of(e1, "cell") == 0);
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(e1, "payload")) &&
          cJSON_GetArraySize(cJSON_GetObjectItem(e1, "payload")) == 0);
    int64_t first = (int64_t)jnum_of(e0, "id");
    CHECK(jnum_of(e1, "id") > first);
    cJSON_Delete(ev);
    CHECK(store_events(s, 0, first, &ev, err) == 0 && cJSON_GetArraySize(ev) == 2);
    CHECK_STR(jstr_of(cJSON_GetArrayItem(ev, 1), "kind"), "cell_done");
    cJSON_Delete(ev);
    CHECK(store_events(s, 0, 0, &ev, err) == 0 && cJSON_GetArraySize(ev) == 3);
    cJSON_Delete(ev);
    cJSON_Delete(pl);
    cJSON_Delete(a);
    cJSON_Delete(b);
    store_close(s);
}

/* store_add_cell is all or nothing: a row that fails (one without a kind, one an insert
 * trigger refuses) leaves no cell and no row of it, also after the first row went in */
void test_store_cell_atomic(void)
{
    char err[QB_ERR_LEN], k1[65];
    struct store *s = store_open(":memory:", 0, err);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t run = 0;
    CHECK(store_run_begin(s, "run", "[]", NULL, NULL, &run, err) == 0);
    struct store_plan_cell plan = {0, cell_key("k1", k1), "g", "/m/a.gguf", "pp512+tg128", "{}"};
    CHECK(store_add_plan(s, run, "{}", &plan, 1, err) == 0);
    cJSON *a = bench_row(512, 128, 50, "abc");
    const cJSON *rows[] = {a, a};
    const char *kinds_bad[] = {"bench", NULL}, *kinds[] = {"bench", "bench"};
    struct store_cell c = {k1, "/m/a.gguf", "pp512+tg128", "{}", "ok", "", "", 1, 2};
    int64_t id = -1;
    CHECK(store_add_cell(s, run, &c, kinds_bad, rows, 2, &id, err) < 0);
    CHECK(strstr(err, "a result row has no kind") != NULL);
    CHECK(id == -1);
    /* a failure inside SQLite at the second row */
    CHECK(store_test_exec(s,
                          "CREATE TEMP TRIGGER no_second BEFORE INSERT ON results WHEN "
                          "(SELECT count(*) FROM results WHERE cell_id = NEW.cell_id) > 0 "
                          "BEGIN SELECT RAISE(ABORT, 'forced failure'); END",
                          err) == 0);
    CHECK(store_add_cell(s, run, &c, kinds, rows, 2, &id, err) < 0);
    CHECK(strstr(err, "forced failure") != NULL);
    char status[16];
    CHECK(store_find_cell(s, k1, status, sizeof(status), NULL, err) == 0);
    cJSON *res = NULL;
    struct store_filter f = {.run_id = run};
    CHECK(store_query(s, &f, &res, err) == 0 && cJSON_GetArraySize(res) == 0);
    cJSON_Delete(res);
    CHECK(store_suite_cells(s, run, &res, err) == 0);
    CHECK_STR(jstr_of(cJSON_GetArrayItem(res, 0), "status"), "missing");
    cJSON_Delete(res);
    /* and once the trigger is gone, the same call stores the cell and both rows */
    CHECK(store_test_exec(s, "DROP TRIGGER no_second", err) == 0);
    CHECK(store_add_cell(s, run, &c, kinds, rows, 2, &id, err) == 0 && id > 0);
    CHECK(store_find_cell(s, k1, status, sizeof(status), NULL, err) == 1);
    CHECK(store_query(s, &f, &res, err) == 0 && cJSON_GetArraySize(res) == 2);
    cJSON_Delete(res);
    cJSON_Delete(a);
    store_close(s);
}

/* A version-3 database (before suites) migrates to the current one keeping its runs and
 * rows, which have no cell; suites can then be stored in it */
void test_store_migrate_v3(void)
{
    char err[QB_ERR_LEN], k[65], *path = tmp_path("migrate3.db");
    remove_db(path);
    struct store *s = store_open(path, 3, err);
    CHECK(s != NULL);
    if (!s)
        goto out;
    CHECK(store_version(s) == 3);
    int64_t run = 0;
    cJSON *a = bench_row(512, 0, 100, "abc");
    CHECK(store_run_begin(s, "bench", "[]", "v3", NULL, &run, err) == 0);
    /* the suite tables are not there yet */
    struct store_plan_cell plan = {0, cell_key("v3", k), "g", "/m/a.gguf", "pp512", "{}"};
    CHECK(store_add_plan(s, run, "{}", &plan, 1, err) < 0);
    /* a row as a version-3 build stored it (there was no cell_id column) */
    char *sql = xasprintf("INSERT INTO results(run_id, kind, test, status, settings, row, "
                          "created) VALUES(%lld, 'bench', 'pp512', 'ok', '{}', "
                          "'{\"n_prompt\":512}', '2026-01-01T00:00:00Z')",
                          (long long)run);
    CHECK(store_test_exec(s, sql, err) == 0);
    free(sql);
    store_close(s);
    s = store_open(path, 0, err);
    CHECK(s != NULL);
    if (!s) {
        cJSON_Delete(a);
        goto out;
    }
    CHECK(store_version(s) == STORE_SCHEMA_VERSION);
    CHECK(store_find_run(s, "v3") == run);
    cJSON *res = NULL;
    struct store_filter f = {.label = "v3"};
    CHECK(store_query(s, &f, &res, err) == 0 && cJSON_GetArraySize(res) == 1);
    cJSON_Delete(res);
    CHECK(store_add_result(s, run, "bench", a, 0, err) == 0);
    CHECK(store_suite_json(s, run, NULL, err) == 0);
    int64_t srun = 0;
    CHECK(store_run_begin(s, "run", "[]", "suite", NULL, &srun, err) == 0);
    CHECK(store_add_plan(s, srun, "{}", &plan, 1, err) == 0);
    struct store_cell c = {k, "/m/a.gguf", "pp512", "{}", "ok", "", "", 1, 2};
    const char *kinds[] = {"bench"};
    const cJSON *rows[] = {a};
    CHECK(store_add_cell(s, srun, &c, kinds, rows, 1, NULL, err) == 0);
    cJSON *cells = NULL;
    CHECK(store_suite_cells(s, srun, &cells, err) == 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(cells, 0), "rows")) == 1);
    cJSON_Delete(cells);
    CHECK(store_add_event(s, srun, -1, "run_done", NULL, err) == 0);
    cJSON_Delete(a);
    store_close(s);
out:
    remove_db(path);
    free(path);
}

/* A shard's database: the whole plan of cells a and b, the cells of ran (NULL: none)
 * stored ok with a row of speed ts, and a plain row */
static struct store *shard_db(const char *path, const char *ran, double ts, char *err)
{
    char ka[65], kb[65];
    struct store_plan_cell plan[] = {
        {0, cell_key("a", ka), "g1", "/m/a.gguf", "pp512", "{}"},
        {1, cell_key("b", kb), "g1", "/m/a.gguf", "tg128", "{}"},
    };
    remove_db(path);
    struct store *s = store_open(path, 0, err);
    int64_t run = 0;
    CHECK(s && store_run_begin(s, "run", "[\"run\"]", NULL, NULL, &run, err) == 0);
    CHECK(s && store_add_plan(s, run, "{\"name\":\"t\"}", plan, 2, err) == 0);
    for (int i = 0; s && ran && i < 2; i++) {
        if (!strchr(ran, "ab"[i]))
            continue;
        cJSON *row = bench_row(i == 0 ? 512 : 0, i == 0 ? 0 : 128, ts, "abc");
        struct store_cell c = {plan[i].key, "/m/a.gguf", plan[i].test, "{}", "ok", "", "", 1, 2};
        const char *kinds[] = {"bench"};
        const cJSON *rows[] = {row};
        CHECK(store_add_cell(s, run, &c, kinds, rows, 1, NULL, err) == 0);
        CHECK(store_add_event(s, run, i, "cell_finished", NULL, err) == 0);
        cJSON_Delete(row);
    }
    cJSON *plain = bench_row(16, 0, ts, "abc");
    CHECK(s && store_add_result(s, run, "bench", plain, 0, err) == 0);
    cJSON_Delete(plain);
    CHECK(s && store_run_end(s, run, "ok", err) == 0);
    store_close(s);
    enum store_fail why;
    return store_open_as(path, 0, STORE_SNAPSHOT, &why, err);
}

void test_store_merge(void)
{
    char err[QB_ERR_LEN];
    char *pa = tmp_path("merge-a.db"), *pb = tmp_path("merge-b.db"), *pc = tmp_path("merge-c.db");
    struct store *a = shard_db(pa, "a", 100, err), *b = shard_db(pb, "b", 50, err);
    struct store *c = shard_db(pc, "a", 99, err); /* cell a again, other results */
    struct store *d = store_open(":memory:", 0, err);
    cJSON *conflicts = NULL, *cells = NULL, *sum = NULL;
    CHECK(a && b && c && d);
    if (!a || !b || !c || !d)
        goto out;
    struct store_merge_count n[4];
    memset(n, 0, sizeof(n));
    CHECK(store_merge(d, a, "a.db", &n[0], &conflicts, err) < 0); /* no transaction */
    CHECK(store_begin(d, err) == 0);
    CHECK(store_merge(d, a, "a.db", &n[0], &conflicts, err) == 0);
    CHECK(store_merge(d, b, "b.db", &n[1], &conflicts, err) == 0);
    CHECK(store_commit(d, err) == 0);
    CHECK(n[0].runs_added == 1 && n[0].cells_added == 1 && n[0].rows_added == 2);
    CHECK(n[1].runs_added == 1 && n[1].cells_added == 1 && n[1].rows_added == 2);
    CHECK(n[0].events_added == 1 && n[1].conflicts == 0);
    /* the suite: both shards' cells under either run */
    int64_t last = store_last_suite_run(d);
    CHECK(last == 2);
    CHECK(store_suite_cells(d, 1, &cells, err) == 0 && cJSON_GetArraySize(cells) == 2);
    const cJSON *cell;
    cJSON_ArrayForEach (cell, cells)
        CHECK(strcmp(cJSON_GetObjectItem(cell, "status")->valuestring, "ok") == 0);
    CHECK(store_suite_summary(d, &sum, err) == 0 && cJSON_GetArraySize(sum) == 1);
    const cJSON *s0 = cJSON_GetArrayItem(sum, 0);
    CHECK(cJSON_GetObjectItem(s0, "runs")->valueint == 2);
    CHECK(cJSON_GetObjectItem(s0, "cells")->valueint == 2);
    CHECK(cJSON_GetObjectItem(s0, "ok")->valueint == 2);
    CHECK(cJSON_GetObjectItem(s0, "missing")->valueint == 0);
    CHECK(cJSON_GetObjectItem(s0, "run_id")->valueint == 2);
    /* again: nothing added; then the conflicting shard: reported, not stored */
    memset(n, 0, sizeof(n));
    CHECK(store_begin(d, err) == 0);
    CHECK(store_merge(d, a, "a.db", &n[0], &conflicts, err) == 0);
    CHECK(store_merge(d, b, "b.db", &n[1], &conflicts, err) == 0);
    CHECK(store_merge(d, c, "c.db", &n[2], &conflicts, err) == 0);
    CHECK(store_commit(d, err) == 0);
    CHECK(n[0].runs_added == 0 && n[0].cells_added == 0 && n[0].rows_added == 0);
    CHECK(n[0].runs_same == 1 && n[0].cells_same == 1 && n[0].rows_same == 2);
    CHECK(n[0].events_added == 0 && n[1].rows_added == 0);
    CHECK(n[2].runs_added == 1 && n[2].cells_added == 0 && n[2].conflicts == 1);
    CHECK(n[2].rows_added == 1); /* its plain row: a run of its own */
    CHECK(cJSON_GetArraySize(conflicts) == 1);
    CHECK(strstr(cJSON_GetArrayItem(conflicts, 0)->valuestring, "c.db run 1 has other results") &&
          strstr(cJSON_GetArrayItem(conflicts, 0)->valuestring, "(from run 1 of a.db)"));
    cJSON_Delete(cells);
    cells = NULL;
    CHECK(store_suite_cells(d, store_last_suite_run(d), &cells, err) == 0);
    const cJSON *rows = cJSON_GetObjectItem(cJSON_GetArrayItem(cells, 0), "rows");
    CHECK(cJSON_GetArraySize(rows) == 1 &&
          cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "row"), "avg_ts")
                  ->valuedouble == 100);
out:
    cJSON_Delete(conflicts);
    cJSON_Delete(cells);
    cJSON_Delete(sum);
    store_close(a);
    store_close(b);
    store_close(c);
    store_close(d);
    remove_db(pa);
    remove_db(pb);
    remove_db(pc);
    free(pa);
    free(pb);
    free(pc);
}

void test_store_network_fs(void)
{
    const char *old = getenv("QB_TEST_FSTYPE");
    char *keep = old ? xstrdup(old) : NULL;
    setenv("QB_TEST_FSTYPE", "nfs", 1);
    CHECK(store_network_fs("/nowhere/x.db") && !strcmp(store_network_fs("/nowhere/x.db"), "nfs"));
    setenv("QB_TEST_FSTYPE", "gpfs", 1);
    CHECK(store_network_fs(".") && !strcmp(store_network_fs("."), "gpfs"));
    setenv("QB_TEST_FSTYPE", "local", 1);
    CHECK(store_network_fs(".") == NULL);
    setenv("QB_TEST_FSTYPE", "zfs", 1);
    CHECK(store_network_fs(".") == NULL);
    /* /proc is procfs: statfs answers, and it is not a network filesystem */
    unsetenv("QB_TEST_FSTYPE");
    CHECK(store_network_fs("/proc/self/stat") == NULL);
    char err[QB_ERR_LEN];
    setenv("QB_TEST_FSTYPE", "lustre", 1);
    struct store *s = store_open(":memory:", 0, err);
    CHECK(s && store_journal_note(s) == NULL); /* no file, no journal mode */
    store_close(s);
    char *p = tmp_path("nfs.db");
    remove_db(p);
    s = store_open(p, 0, err);
    CHECK(s && store_journal_note(s) && strstr(store_journal_note(s), "(lustre)"));
    store_close(s);
    char *w = xasprintf("%s-wal", p);
    CHECK(access(w, F_OK) != 0);
    free(w);
    remove_db(p);
    free(p);
    if (keep)
        setenv("QB_TEST_FSTYPE", keep, 1);
    else
        unsetenv("QB_TEST_FSTYPE");
    free(keep);
}
