/* worker processes: this test binary re-executes itself as a worker (with the
 * fake engine), so the whole protocol and the death reporting run for real. */
#include <signal.h>
#include <stdlib.h>

#include "../../src/engine/worker.h"
#include "../../src/run/proto.h"
#include "../../src/util/sig.h"
#include "../../src/util/util.h"
#include "test.h"

static cJSON *load_req(const char *model)
{
    struct engine_model_params mp = engine_model_params_default();
    struct work_load wl = {0, 0};
    return proto_load_req(model, &mp, &wl);
}

static cJSON *run_req(int id)
{
    struct work_test t;
    memset(&t, 0, sizeof(t));
    t.id = id;
    t.cp = engine_ctx_params_default();
    t.cp.n_threads = 1;
    t.pt.n_prompt = 32;
    t.pt.n_gen = 4;
    t.pt.n_batch = 16;
    t.pt.reps = 2;
    t.pt.n_threads = 1;
    return proto_run_req(&t);
}

void test_worker_roundtrip(void)
{
    char err[QB_ERR_LEN];
    struct worker *w = worker_start(0, false, err);
    CHECK(w != NULL);
    if (!w)
        return;
    cJSON *req = load_req("fine.gguf"), *resp = NULL;
    CHECK(worker_call(w, req, 10, &resp, err) == 0);
    cJSON_Delete(req);
    CHECK_STR(cJSON_GetObjectItem(resp, "ev")->valuestring, "loaded");
    cJSON_Delete(resp);
    req = run_req(3);
    CHECK(worker_call(w, req, 10, &resp, err) == 0);
    cJSON_Delete(req);
    CHECK_STR(cJSON_GetObjectItem(resp, "ev")->valuestring, "result");
    CHECK(cJSON_GetObjectItem(resp, "id")->valueint == 3);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(resp, "samples_ns")) == 2);
    cJSON_Delete(resp);
    CHECK(worker_alive(w));
    worker_stop(w);
}

void test_worker_death(void)
{
    char err[QB_ERR_LEN];
    const char *kinds[] = {"segv", "abort", "exit", "hang"};
    const char *want[] = {"killed by signal 11 (SIGSEGV)", "killed by signal 6 (SIGABRT)",
                          "exited with status 3", "timed out after 1 s"};
    /* the kind of each failure, not guessed from its wording */
    const enum qb_kind kind[] = {QB_KIND_CRASH, QB_KIND_CRASH, QB_KIND_CRASH, QB_KIND_TIMEOUT};
    for (int k = 0; k < 4; k++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "%s:crashme", kinds[k]);
        setenv("QB_TEST_FAULT", spec, 1);
        struct worker *w = worker_start(0, false, err);
        CHECK(w != NULL);
        if (!w)
            continue;
        cJSON *req = load_req("crashme.gguf"), *resp = NULL;
        CHECK(worker_call(w, req, 10, &resp, err) == 0);
        cJSON_Delete(req);
        cJSON_Delete(resp);
        req = run_req(1);
        CHECK(worker_call(w, req, 1, &resp, err) < 0);
        cJSON_Delete(req);
        CHECK(resp == NULL);
        CHECK(!worker_alive(w));
        if (!strstr(err, want[k]))
            fprintf(stderr, "  got: %s\n", err);
        CHECK(strstr(err, want[k]) != NULL);
        CHECK(worker_failure(w) == kind[k]);
        CHECK(strstr(err, "out-of-memory") == NULL); /* our own SIGKILL is not the OOM killer */
        /* the tail of its stderr is reported */
        CHECK(strstr(worker_stderr_tail(w), "test fault") != NULL);
        if (k < 3)
            CHECK(strstr(err, "last words: test fault") != NULL);
        worker_stop(w);
    }
    /* SIGINT during a call: the worker (hanging) is killed at once, the kind says so, and
     * no new worker starts until the signal is forgotten */
    setenv("QB_TEST_FAULT", "hang:crashme", 1);
    CHECK(sig_install(err) == 0);
    struct worker *h = worker_start(0, false, err);
    CHECK(h != NULL);
    if (h) {
        cJSON *req = load_req("crashme.gguf"), *resp = NULL;
        CHECK(worker_call(h, req, 10, &resp, err) == 0);
        cJSON_Delete(req);
        cJSON_Delete(resp);
        raise(SIGINT);
        CHECK(sig_caught() == SIGINT && sig_exit_code() == 130);
        req = run_req(1);
        CHECK(worker_call(h, req, 0, &resp, err) < 0);
        cJSON_Delete(req);
        CHECK_STR(err, "interrupted by SIGINT");
        CHECK(worker_failure(h) == QB_KIND_INTERRUPTED);
        CHECK(!worker_alive(h));
        worker_stop(h);
    }
    CHECK(worker_start(0, false, err) == NULL);
    CHECK_STR(err, "interrupted by SIGINT");
    sig_clear();
    unsetenv("QB_TEST_FAULT");
    /* the next worker is fine */
    struct worker *w = worker_start(0, false, err);
    cJSON *req = load_req("crashme.gguf"), *resp = NULL;
    CHECK(w && worker_call(w, req, 10, &resp, err) == 0);
    cJSON_Delete(req);
    cJSON_Delete(resp);
    worker_stop(w);
}
