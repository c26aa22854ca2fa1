/* worker processes: this test binary re-executes itself as a worker (with the
 * fake engine), so the whole protocol and the death reporting run for real. */
#include <stdlib.h>

#include "../../src/engine/proto.h"
#include "../../src/engine/worker.h"
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
        /* the tail of its stderr is reported */
        CHECK(strstr(worker_stderr_tail(w), "test fault") != NULL);
        if (k < 3)
            CHECK(strstr(err, "last words: test fault") != NULL);
        worker_stop(w);
    }
    unsetenv("QB_TEST_FAULT");
    /* the next worker is fine */
    struct worker *w = worker_start(0, false, err);
    cJSON *req = load_req("crashme.gguf"), *resp = NULL;
    CHECK(w && worker_call(w, req, 10, &resp, err) == 0);
    cJSON_Delete(req);
    cJSON_Delete(resp);
    worker_stop(w);
}
