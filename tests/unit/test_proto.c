/* worker protocol encoding */
#include <stdlib.h>

#include "../../src/run/proto.h"
#include "../../src/util/json.h"
#include "../../src/util/util.h"
#include "test.h"

void test_proto_roundtrip(void)
{
    char err[QB_ERR_LEN];
    struct engine_model_params mp = engine_model_params_default(), mp2;
    mp.n_gpu_layers = 12;
    mp.use_mmap = 0;
    snprintf(mp.overrides, sizeof(mp.overrides), "exps=CPU");
    mp.tensor_split[1] = 0.5f;
    struct work_load wl = {2, 1}, wl2;
    mp.n_cpu_moe = 5;
    cJSON *req = proto_load_req("m.gguf", &mp, &wl);
    char *s = cJSON_PrintUnformatted(req);
    cJSON *back = cJSON_Parse(s);
    const char *model;
    CHECK(proto_parse_load(back, &model, &mp2, &wl2, err) == 0);
    CHECK(mp2.n_cpu_moe == 5 && wl2.numa == 2 && wl2.prio == 1);
    CHECK_STR(model, "m.gguf");
    CHECK(mp2.n_gpu_layers == 12 && mp2.use_mmap == 0);
    CHECK_STR(mp2.overrides, "exps=CPU");
    CHECK_NEAR(mp2.tensor_split[1], 0.5, 1e-6);
    cJSON_Delete(back);
    cJSON_Delete(req);
    free(s);

    struct work_test t, t2;
    memset(&t, 0, sizeof(t));
    t.id = 7;
    t.cp = engine_ctx_params_default();
    t.cp.n_ctx = 2688;
    t.cp.n_threads = 3;
    snprintf(t.cp.type_k, sizeof(t.cp.type_k), "q8_0");
    t.pt.n_prompt = 512;
    t.pt.n_gen = 128;
    t.pt.n_depth = 2048;
    t.pt.reps = 5;
    t.pt.seed = 99;
    t.pt.no_warmup = true;
    t.pt.auto_reps = true;
    t.pt.min_reps = 4;
    t.pt.rel_ci = 0.02;
    t.pt.max_time_s = 30;
    t.delay_s = 1.5;
    t.cp.cpu_strict = true;
    t.cp.prio = 2;
    snprintf(t.cp.cpu_mask, sizeof(t.cp.cpu_mask), "0xff");
    req = proto_run_req(&t);
    CHECK(proto_parse_run(req, &t2, err) == 0);
    CHECK(t2.id == 7 && t2.cp.n_ctx == 2688 && t2.cp.n_threads == 3 && t2.pt.n_threads == 3);
    CHECK_STR(t2.cp.type_k, "q8_0");
    CHECK(t2.pt.n_prompt == 512 && t2.pt.n_gen == 128 && t2.pt.n_depth == 2048);
    CHECK(t2.pt.reps == 5 && t2.pt.seed == 99 && t2.pt.no_warmup);
    CHECK(t2.pt.n_batch == (int)t.cp.n_batch);
    CHECK(t2.pt.auto_reps && t2.pt.min_reps == 4 && t2.pt.rel_ci == 0.02 && t2.pt.max_time_s == 30);
    CHECK(t2.delay_s == 1.5 && t2.cp.cpu_strict && t2.cp.prio == 2);
    CHECK_STR(t2.cp.cpu_mask, "0xff");
    cJSON_Delete(req);
}

void test_proto_bad(void)
{
    char err[QB_ERR_LEN];
    struct work_test t;
    cJSON *o = cJSON_Parse("{\"op\":\"run\",\"id\":1}");
    CHECK(proto_parse_run(o, &t, err) < 0);
    CHECK(strstr(err, "n_ctx") != NULL);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"op\":\"run\",\"id\":1.5}");
    CHECK(proto_parse_run(o, &t, err) < 0);
    cJSON_Delete(o);
    uint64_t *v;
    int n;
    o = cJSON_Parse("{\"a\":[1,\"x\"]}");
    CHECK(json_get_u64_array(o, "a", &v, &n, err) < 0);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"a\":[1,2,3]}");
    CHECK(json_get_u64_array(o, "a", &v, &n, err) == 0 && n == 3 && v[2] == 3);
    free(v);
    cJSON_Delete(o);
}

/* a prompts test: its generation settings, stop strings and texts, strictly */
void test_proto_prompts(void)
{
    char err[QB_ERR_LEN];
    struct work_test t, t2;
    memset(&t, 0, sizeof(t));
    t.id = 4;
    t.kind = WORK_PROMPTS;
    t.cp = engine_ctx_params_default();
    t.cp.n_ctx = 640;
    t.cp.n_batch = 128;
    t.pt.reps = 1;
    t.gen.max_tokens = 77;
    t.gen.sp.temp = 0.7;
    t.gen.sp.top_k = 20;
    t.gen.sp.top_p = 0.9;
    t.gen.sp.seed = 123456789012ull;
    snprintf(t.gen.stop[1], PROMPTS_STOP_LEN, "\n\n");
    snprintf(t.gen.stop[3], PROMPTS_STOP_LEN, "</s>");
    t.system = "Answer in \"one\" line.";
    t.prompt = "What is 15 \xc3\x97 23?\nThink.";
    cJSON *req = proto_run_req(&t);
    char *s = cJSON_PrintUnformatted(req);
    cJSON *back = cJSON_Parse(s);
    CHECK(proto_parse_run(back, &t2, err) == 0);
    CHECK(t2.id == 4 && t2.kind == WORK_PROMPTS && t2.gen.max_tokens == 77);
    CHECK(t2.gen.sp.temp == 0.7 && t2.gen.sp.top_k == 20 && t2.gen.sp.top_p == 0.9);
    CHECK(t2.gen.sp.seed == 123456789012ull);
    /* the stop strings packed in order, the rest empty */
    CHECK_STR(t2.gen.stop[0], "\n\n");
    CHECK_STR(t2.gen.stop[1], "</s>");
    CHECK(t2.gen.stop[2][0] == '\0' && t2.gen.stop[3][0] == '\0');
    CHECK_STR(t2.system, t.system);
    CHECK_STR(t2.prompt, t.prompt);
    /* what follows from the context */
    CHECK(t2.gen.n_ctx == 640 && t2.gen.n_batch == 128);
    cJSON_Delete(back);
    free(s);
    /* strict: each field missing, or wrong */
    const char *keys[] = {"max_tokens", "temp", "top_k",  "top_p",
                          "seed",       "stop", "system", "prompt"};
    for (size_t i = 0; i < QB_ARRAY_LEN(keys); i++) {
        cJSON *r2 = cJSON_Duplicate(req, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(r2, "prompts"), keys[i]);
        CHECK(proto_parse_run(r2, &t2, err) < 0);
        CHECK(strstr(err, keys[i]) != NULL);
        cJSON_Delete(r2);
    }
    const char *bad[] = {"[\"a\",\"b\",\"c\",\"d\",\"e\"]", "[\"\"]", "[3]",
                         "[\"0123456789012345678901234567890123456789012345678901234567890123\"]"};
    for (size_t i = 0; i < QB_ARRAY_LEN(bad); i++) {
        cJSON *r2 = cJSON_Duplicate(req, 1);
        cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(r2, "prompts"), "stop",
                                               cJSON_Parse(bad[i]));
        CHECK(proto_parse_run(r2, &t2, err) < 0);
        CHECK(strstr(err, "'stop'") != NULL);
        cJSON_Delete(r2);
    }
    cJSON_Delete(req);
    /* NULL texts go as "" */
    t.system = NULL;
    req = proto_run_req(&t);
    CHECK(proto_parse_run(req, &t2, err) == 0);
    CHECK_STR(t2.system, "");
    cJSON_Delete(req);
}
