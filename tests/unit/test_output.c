/* The progress line and its ETA, the one -o parser, text tables as md and CSV, and the
 * exit code of a command run once per model. */
#include <stdlib.h>

#include "../../src/cli/cmd.h"
#include "../../src/cli/single.h"
#include "../../src/report/table.h"
#include "../../src/util/progress.h"
#include "test.h"

void test_progress_eta(void)
{
    char b[256];
    /* ETA = elapsed / done x remaining: 31 s for 12 of 40 -> 72 s */
    progress_format(b, sizeof(b), "quality", "chunk", 12, 40, 31.0);
    CHECK_STR(b, "quality: chunk 12/40, 31 s elapsed, ETA 72 s");
    progress_format(b, sizeof(b), "sweep", "depth", 0, 8, 0.2);
    CHECK_STR(b, "sweep: depth 0/8, 0 s elapsed, ETA ?");
    progress_format(b, sizeof(b), "ctxmax", "probe", 5, 5, 10.0);
    CHECK_STR(b, "ctxmax: probe 5/5, 10 s elapsed, ETA 0 s");
    /* plain lines: the first, the last, and one per interval between */
    struct progress p;
    progress_begin(&p, PROGRESS_OFF, "x", "unit", 10);
    CHECK(!p.on);
    CHECK(progress_due(&p, 1, p.t0_ns));
    p.last_ns = p.t0_ns + 1;
    CHECK(!progress_due(&p, 2, p.t0_ns + 1000000000ull));
    CHECK(progress_due(&p, 3, p.last_ns + (uint64_t)(PROGRESS_INTERVAL_S * 1e9)));
    CHECK(progress_due(&p, 10, p.t0_ns + 2));
    progress_update(&p, 5); /* off: prints nothing, does not crash */
    progress_end(&p);
    progress_begin(&p, PROGRESS_ON, "x", "unit", 10);
    CHECK(p.on);
}

void test_output_formats(void)
{
    char err[QB_ERR_LEN];
    enum bench_fmt f = BENCH_FMT_NONE;
    CHECK(bench_fmt_flag("jsonl", BENCH_FMTS_ROWS, NULL, &f, err) == 0 && f == BENCH_FMT_JSONL);
    CHECK(bench_fmt_flag("sql", BENCH_FMTS_ROWS, NULL, &f, err) == -1);
    CHECK_STR(err, "invalid output format 'sql' (md, csv, json, jsonl)");
    CHECK(bench_fmt_flag("x", BENCH_FMTS_ROWS | BENCH_FMT_BIT(BENCH_FMT_NONE), "-oe", &f, err) ==
          -1);
    CHECK_STR(err, "invalid output format 'x' for -oe (md, csv, json, jsonl, none)");
    CHECK(bench_fmt_flag("html", BENCH_FMTS_ROWS | BENCH_FMT_BIT(BENCH_FMT_HTML), NULL, &f, err) ==
              0 &&
          f == BENCH_FMT_HTML);

    /* the same table as md and as CSV (RFC 4180: quoted only where needed, quotes doubled) */
    static const char *const heads[] = {"a", "b, c"};
    const char *row[] = {"1", "say \"hi\"\nthere"};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct text_table t;
    text_table_begin(&t, fp, BENCH_FMT_CSV, heads, NULL, 2);
    text_table_row(&t, row);
    text_table_end(&t);
    fclose(fp);
    CHECK_STR(buf, "a,\"b, c\"\n1,\"say \"\"hi\"\"\nthere\"\n");
    free(buf);
    fp = open_memstream(&buf, &len);
    const char *row2[] = {"1", "x"};
    text_table_begin(&t, fp, BENCH_FMT_MD, heads, "rl", 2);
    text_table_row(&t, row2);
    fclose(fp);
    CHECK_STR(buf, "| a | b, c |\n|---:|---|\n| 1 | x |\n");
    free(buf);

    /* csv rows: the first row's keys, later rows in their order, a missing key empty */
    fp = open_memstream(&buf, &len);
    struct table_out out;
    table_begin(&out, fp, BENCH_FMT_CSV, NULL, 0);
    cJSON *r1 = cJSON_Parse("{\"k\":1,\"s\":\"ok\",\"w\":2}");
    cJSON *r2 = cJSON_Parse("{\"s\":\"failed\",\"k\":3}");
    table_row(&out, r1);
    table_row(&out, r2);
    table_end(&out);
    fclose(fp);
    CHECK_STR(buf, "k,s,w\n\"1\",\"ok\",\"2\"\n\"3\",\"failed\",\"\"\n");
    free(buf);
    cJSON_Delete(r1);
    cJSON_Delete(r2);
}

void test_models_exit(void)
{
    struct single_opts o;
    char err[QB_ERR_LEN];
    single_opts_init(&o);
    CHECK(single_opts_add_models(&o, "a.gguf,b.gguf", err) == 0);
    CHECK(single_opts_add_models(&o, "c.gguf", err) == 0);
    CHECK(o.n_models == 3);
    CHECK_STR(o.models[0], "a.gguf");
    CHECK_STR(o.models[1], "b.gguf");
    CHECK_STR(o.models[2], "c.gguf");
    CHECK_STR(o.model, "a.gguf");
    for (int i = 0; i < SINGLE_MAX_MODELS; i++)
        single_opts_add_models(&o, "m", err);
    CHECK(single_opts_add_models(&o, "m", err) == -1);
    CHECK_STR(err, "too many models (at most 64)");

    int all_ok[] = {0, 0}, mixed[] = {0, 3}, none[] = {3, 1}, partial[] = {4, 0}, sig[] = {0, 130};
    CHECK(single_exit_code(all_ok, 2) == QB_EXIT_OK);
    CHECK(single_exit_code(mixed, 2) == QB_EXIT_PARTIAL);
    CHECK(single_exit_code(none, 2) == QB_EXIT_INPUT);
    CHECK(single_exit_code(partial, 2) == QB_EXIT_PARTIAL);
    CHECK(single_exit_code(sig, 2) == QB_EXIT_SIGINT);
}
