/* error kinds: from where they arise (a worker's error event, a worker's death, the GGUF
 * parser) to the exit code and the row status, never read from a message's words */
#include <stdlib.h>

#include "../../src/gguf/gguf.h"
#include "../../src/record/bench_row.h"
#include "../../src/run/runner.h"
#include "../../src/util/exit.h"
#include "fake_engine.h"
#include "test.h"

void test_error_kinds(void)
{
    /* names round-trip; exit codes and statuses follow the kind */
    for (int k = QB_KIND_OK; k <= QB_KIND_INTERRUPTED; k++)
        CHECK(qb_kind_by_name(qb_kind_name((enum qb_kind)k)) == (enum qb_kind)k);
    CHECK(qb_kind_by_name(NULL) == QB_KIND_RUNTIME &&
          qb_kind_by_name("nonsense") == QB_KIND_RUNTIME);
    CHECK(qb_kind_exit(QB_KIND_OK) == QB_EXIT_OK && qb_kind_exit(QB_KIND_USAGE) == QB_EXIT_USAGE);
    CHECK(qb_kind_exit(QB_KIND_INPUT) == QB_EXIT_INPUT &&
          qb_kind_exit(QB_KIND_OOM) == QB_EXIT_FAIL);
    CHECK(qb_kind_exit(QB_KIND_RUNTIME) == QB_EXIT_FAIL &&
          qb_kind_exit(QB_KIND_CRASH) == QB_EXIT_FAIL);
    CHECK(bench_status_of(QB_KIND_OOM, false) == BENCH_STATUS_OOM);
    CHECK(bench_status_of(QB_KIND_OOM, true) == BENCH_STATUS_OOM);
    CHECK(bench_status_of(QB_KIND_RUNTIME, true) == BENCH_STATUS_LOAD_FAILED);
    CHECK(bench_status_of(QB_KIND_INPUT, false) == BENCH_STATUS_ERROR);
    CHECK(bench_status_of(QB_KIND_CRASH, false) == BENCH_STATUS_CRASHED);
    CHECK(bench_status_of(QB_KIND_TIMEOUT, false) == BENCH_STATUS_TIMEOUT);
    CHECK(bench_status_of(QB_KIND_INTERRUPTED, true) == BENCH_STATUS_INTERRUPTED);

    /* the parser's code for a file that is no GGUF at all, apart from a broken one */
    char err[QB_ERR_LEN];
    struct gf_file *f = NULL;
    CHECK(gf_read_mem("", 0, "e", &f, err) == GF_NOT_GGUF);
    CHECK(gf_read_mem("not a model", 11, "t", &f, err) == GF_NOT_GGUF);
    CHECK(gf_read_mem("GGUF\x63\0\0\0", 8, "v", &f, err) == -1); /* version 99 */

    /* a worker (the fake engine) whose run fails out of memory, or that dies of a
     * std::bad_alloc: the kind reaches the runner, the status follows it */
    const char *faults[] = {"oom:oomy", "badalloc:oomy", "segv:oomy"};
    const enum qb_kind want[] = {QB_KIND_OOM, QB_KIND_OOM, QB_KIND_CRASH};
    const enum bench_status want_st[] = {BENCH_STATUS_OOM, BENCH_STATUS_OOM, BENCH_STATUS_CRASHED};
    for (size_t i = 0; i < QB_ARRAY_LEN(faults); i++) {
        setenv("QB_TEST_FAULT", faults[i], 1);
        struct engine_model_params mp = engine_model_params_default();
        struct work_load wl = {0, 0};
        struct runner rn;
        runner_init(&rn, "oomy.gguf", &mp, &wl, 0, 10);
        enum bench_status st = BENCH_STATUS_OK;
        CHECK(runner_ensure(&rn, &st, err) == 0 && rn.kind == QB_KIND_OK);
        struct work_test t = {
            .kind = WORK_PROBE, .cp = engine_ctx_params_default(), .pt = {.reps = 1}};
        cJSON *req = proto_run_req(&t), *resp = NULL;
        CHECK(runner_call(&rn, req, &resp, &st, err) < 0 && resp == NULL);
        CHECK(rn.kind == want[i]);
        CHECK(st == want_st[i]);
        if (i == 0)
            CHECK_STR(err, "test fault 'oom' injected: out of memory");
        cJSON_Delete(req);
        runner_release(&rn);
    }
    unsetenv("QB_TEST_FAULT");

    /* an engine failure's kind lasts until the next one, or until it is cleared: the
     * worker clears it before each test, so a later failure of the test's own (not the
     * engine's) is not reported as the earlier OOM */
    struct engine *e = fake_engine_open();
    struct fake_engine_cfg saved = fake_cfg;
    fake_cfg.fail_decode_after = 0;
    fake_cfg.fail_oom = true;
    int32_t tok = 1;
    CHECK(engine_decode(e, &tok, 1, err) < 0 && engine_last_error_kind() == QB_KIND_OOM);
    engine_clear_error_kind();
    CHECK(engine_last_error_kind() == QB_KIND_RUNTIME);
    engine_close(e);
    fake_cfg = saved;
    fake_engine_reset();
}
