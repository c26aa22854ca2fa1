/* run/prompts.c through real workers (this binary with the fake engine): canned answers
 * per prompt streamed token by token, a prompt too long for the context as a row with its
 * status while the rest run, a worker dying at one prompt and the rest in a fresh one, and
 * the row's fields. */
#include <stdlib.h>
#include <unistd.h>

#include "../../src/grade/set.h"
#include "../../src/run/prompts.h"
#include "../../src/util/util.h"
#include "test.h"

#define N_ITEMS 5

struct got {
    int starts[N_ITEMS], answers, last_index;
    char streamed[N_ITEMS][512];
    long last_n[N_ITEMS];
    char status[N_ITEMS][32], text[N_ITEMS][512], error[N_ITEMS][256], stop[N_ITEMS][16];
    int n_gen[N_ITEMS], n_prompt[N_ITEMS];
    double ttft[N_ITEMS], tps[N_ITEMS], total[N_ITEMS];
    cJSON *row[N_ITEMS];
    enum qb_kind kind[N_ITEMS];
};

static void on_start(void *ud, int index)
{
    struct got *g = ud;
    g->starts[index]++;
}

static void on_token(void *ud, int index, long n, const char *text)
{
    struct got *g = ud;
    CHECK(n == g->last_n[index] + 1); /* every token, in order */
    g->last_n[index] = n;
    size_t k = strlen(g->streamed[index]);
    snprintf(g->streamed[index] + k, sizeof(g->streamed[index]) - k, "%s", text);
}

static void on_answer(void *ud, const struct prompts_answer *a)
{
    struct got *g = ud;
    int i = a->index;
    CHECK(i == g->answers); /* in order, one each */
    g->answers++;
    snprintf(g->status[i], sizeof(g->status[i]), "%s", bench_status_name(a->status));
    snprintf(g->text[i], sizeof(g->text[i]), "%s", a->text);
    snprintf(g->error[i], sizeof(g->error[i]), "%s", a->error);
    snprintf(g->stop[i], sizeof(g->stop[i]), "%s", a->stop_reason);
    g->n_gen[i] = a->n_gen_tokens;
    g->n_prompt[i] = a->n_prompt_tokens;
    g->ttft[i] = a->ttft_ms;
    g->tps[i] = a->gen_tps;
    g->total[i] = a->total_ms;
    g->kind[i] = a->kind;
    g->row[i] = prompts_row_json(a);
}

static bool stop_after_one(void *ud)
{
    return ((struct got *)ud)->answers >= 1;
}

static void got_release(struct got *g)
{
    for (int i = 0; i < N_ITEMS; i++)
        cJSON_Delete(g->row[i]);
    memset(g, 0, sizeof(*g));
}

static char long_prompt[600];

static const struct prompts_item items[N_ITEMS] = {
    {"explain", "explanation", NULL, "Explain what a hash table is.", NULL},
    {"arith", "arithmetic", NULL, "What is 15 * 23?", NULL},
    {"long", "", NULL, long_prompt, NULL},
    {"code", "code", "You write Python.", "Write factorial(n). boom", NULL},
    {"logic", "logic", NULL, "Who owns the fish?", NULL},
};

static struct prompts_params params(void)
{
    struct prompts_params p;
    memset(&p, 0, sizeof(p));
    p.ld.model = "fake.gguf";
    p.ld.mp = engine_model_params_default();
    p.ld.timeout_s = 30;
    p.cp = engine_ctx_params_default();
    p.cp.n_ctx = 256;
    p.cp.n_threads = p.cp.n_threads_batch = 1;
    p.gen.max_tokens = 64;
    p.gen.sp = engine_sampler_params_default();
    snprintf(p.gen.stop[0], PROMPTS_STOP_LEN, "<END>");
    p.system = "Be brief.";
    p.items = items;
    p.n_items = N_ITEMS;
    return p;
}

/* the fake engine's canned answers (JSON lines {key, answer}) in a new file: its name into
 * path (a mkstemp template), and $QB_FAKE_ANSWERS naming it */
static void fake_answers(char *path, const char *lines)
{
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, lines, strlen(lines)) == (ssize_t)strlen(lines));
    close(fd);
    setenv("QB_FAKE_ANSWERS", path, 1);
}

void test_prompts_run(void)
{
    memset(long_prompt, 'x', sizeof(long_prompt) - 1); /* 600 tokens: more than -c 256 */
    char path[] = "/tmp/qb-fake-answers.XXXXXX";
    fake_answers(path,
                 "{\"key\":\"hash table\",\"answer\":\"A table of buckets.\"}\n"
                 "{\"key\":\"15 * 23\",\"answer\":\"15 * 23 = 345.\\nAnswer: 345<END>junk\"}\n"
                 "{\"key\":\"factorial\",\"answer\":\"```python\\ndef f(n): ...\\n```\"}\n");
    setenv("QB_FAKE_ANSWER", "The fish: the German.", 1);

    struct prompts_params p = params();
    struct got g;
    memset(&g, 0, sizeof(g));
    struct prompts_sink sink = {on_start, on_token, on_answer, NULL, &g};
    int n_ok = -1;
    enum qb_kind k = prompts_run(&p, &sink, &n_ok);
    /* the too-long prompt: a row with its status and reason, the rest answered */
    CHECK(k == QB_KIND_INPUT && n_ok == 4 && g.answers == 5);
    for (int i = 0; i < N_ITEMS; i++)
        CHECK(g.starts[i] == 1);
    CHECK_STR(g.status[2], "error");
    CHECK(g.kind[2] == QB_KIND_INPUT);
    CHECK(strstr(g.error[2], "does not fit the context of 256 (-c)") != NULL);
    CHECK_STR(g.stop[2], "error");
    CHECK(g.n_gen[2] == 0 && g.text[2][0] == '\0' && g.last_n[2] == 0);
    /* the canned answers, streamed as they came; a stop string ends one */
    CHECK_STR(g.text[0], "A table of buckets.");
    CHECK_STR(g.text[1], "15 * 23 = 345.\nAnswer: 345");
    CHECK_STR(g.stop[1], "stop");
    CHECK_STR(g.text[3], "```python\ndef f(n): ...\n```");
    CHECK_STR(g.text[4], "The fish: the German.");
    for (int i = 0; i < N_ITEMS; i++) {
        if (i == 2)
            continue;
        CHECK_STR(g.status[i], "ok");
        CHECK_STR(g.streamed[i], g.text[i]);
        CHECK(g.last_n[i] == g.n_gen[i]);
        CHECK(g.n_prompt[i] > 0 && g.ttft[i] > 0 && g.total[i] >= g.ttft[i] && g.tps[i] > 0);
    }
    CHECK_STR(g.stop[0], "eog");
    CHECK(g.n_gen[0] == (int)strlen("A table of buckets.") + 1);
    /* the row */
    cJSON *r = g.row[1];
    const char *str_keys[][2] = {
        {"id", "arith"},         {"category", "arithmetic"},       {"prompt", "What is 15 * 23?"},
        {"system", "Be brief."}, {"stop_reason", "stop"},          {"status", "ok"},
        {"error", ""},           {"chat_template", "chatml-none"}, {"model_filename", "fake.gguf"}};
    for (size_t i = 0; i < QB_ARRAY_LEN(str_keys); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, str_keys[i][0]);
        CHECK(cJSON_IsString(v));
        if (cJSON_IsString(v))
            CHECK_STR(v->valuestring, str_keys[i][1]);
    }
    const char *num_keys[] = {"n_prompt_tokens", "ttft_ms",      "prompt_tps", "gen_tps", "gen_ms",
                              "total_ms",        "n_gen_tokens", "max_tokens", "temp",    "top_k",
                              "top_p",           "n_ctx",        "n_batch",    "seed",    "ctx_ns",
                              "warmup_ns"};
    for (size_t i = 0; i < QB_ARRAY_LEN(num_keys); i++)
        CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, num_keys[i])));
    CHECK(cJSON_GetObjectItemCaseSensitive(r, "n_ctx")->valueint == 256);
    CHECK(cJSON_GetObjectItemCaseSensitive(r, "max_tokens")->valueint == 64);
    const cJSON *stops = cJSON_GetObjectItemCaseSensitive(r, "stop");
    CHECK(cJSON_GetArraySize(stops) == 1 &&
          !strcmp(cJSON_GetArrayItem(stops, 0)->valuestring, "<END>"));
    /* one context for all: created and warmed up for the first prompt only */
    CHECK(cJSON_GetObjectItemCaseSensitive(g.row[0], "warmup_ns")->valuedouble > 0);
    CHECK(cJSON_GetObjectItemCaseSensitive(g.row[1], "ctx_ns")->valuedouble == 0);
    CHECK(cJSON_GetObjectItemCaseSensitive(g.row[1], "warmup_ns")->valuedouble == 0);
    /* an item's own system prompt wins */
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(g.row[3], "system")->valuestring,
              "You write Python.");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(g.row[2], "status")->valuestring, "error");
    CHECK(strstr(cJSON_GetObjectItemCaseSensitive(g.row[2], "error")->valuestring, "(-c)"));
    got_release(&g);

    /* a worker that dies at a prompt: that row says so, the rest run in a fresh worker */
    setenv("QB_TEST_FAULT_PROMPT", "boom", 1);
    k = prompts_run(&p, &sink, &n_ok);
    unsetenv("QB_TEST_FAULT_PROMPT");
    CHECK(k == QB_KIND_INPUT && n_ok == 3 && g.answers == 5);
    CHECK_STR(g.status[3], "crashed");
    CHECK(g.kind[3] == QB_KIND_CRASH && strstr(g.error[3], "SIGSEGV") != NULL);
    CHECK_STR(g.status[4], "ok");
    CHECK_STR(g.text[4], "The fish: the German.");
    /* the fresh worker's context is new: created and warmed up again */
    CHECK(cJSON_GetObjectItemCaseSensitive(g.row[4], "warmup_ns")->valuedouble > 0);
    got_release(&g);

    /* the caller's stop (a row that could not be stored): no further prompt */
    struct prompts_sink s2 = sink;
    s2.stop = stop_after_one;
    k = prompts_run(&p, &s2, &n_ok);
    CHECK(k == QB_KIND_OK && n_ok == 1 && g.answers == 1 && g.starts[1] == 0);
    got_release(&g);
    unsetenv("QB_FAKE_ANSWERS");
    unsetenv("QB_FAKE_ANSWER");
    unlink(path);
}

/* the built-in set answered right by the fake engine's canned answers: every answer graded
 * pass (the code one skipped only where no Python is installed), the grade in the row */
void test_prompts_graded(void)
{
    char err[QB_ERR_LEN];
    struct prompt_set s;
    CHECK(prompt_set_load("builtin", &s, err) == 0);
    char path[] = "/tmp/qb-fake-answers.XXXXXX";
    fake_answers(
        path,
        "{\"key\":\"sky is blue\",\"answer\":\"Sunlight scatters off the molecules of the air; "
        "shorter wavelengths (blue) scatter most: Rayleigh scattering.\"}\n"
        "{\"key\":\"15 \xc3\x97 23\",\"answer\":\"15 x 23 = 15 x 20 + 15 x 3 = 300 + 45.\\n"
        "Answer: 345\"}\n"
        "{\"key\":\"muffins\",\"answer\":\"Tuesday: 48 x 1.25 = 60. 108 muffins x $3.\\n"
        "Answer: $324.00\"}\n"
        "{\"key\":\"factorial\",\"answer\":\"```python\\ndef factorial(n):\\n    if n < 0:\\n"
        "        raise ValueError(n)\\n    r = 1\\n    for i in range(2, n + 1):\\n"
        "        r *= i\\n    return r\\n```\"}\n"
        "{\"key\":\"Who owns the cat\",\"answer\":\"<think>Bob has the fish, Alice not the dog"
        "</think>Answer: Alice\"}\n");
    unsetenv("QB_FAKE_ANSWER");
    struct prompts_item *it = xcalloc((size_t)s.n, sizeof(*it));
    for (int i = 0; i < s.n; i++)
        it[i] = (struct prompts_item){s.items[i].id, s.items[i].category, s.items[i].system,
                                      s.items[i].prompt, s.items[i].grader};
    struct prompts_params p = params();
    p.cp.n_ctx = 1024;
    p.gen.max_tokens = 400;
    p.gen.stop[0][0] = '\0';
    p.items = it;
    p.n_items = s.n;
    struct got g;
    memset(&g, 0, sizeof(g));
    struct prompts_sink sink = {on_start, on_token, on_answer, NULL, &g};
    int n_ok = -1;
    CHECK(s.n == N_ITEMS);
    CHECK(prompts_run(&p, &sink, &n_ok) == QB_KIND_OK && n_ok == N_ITEMS);
    bool python = system("command -v python3 >/dev/null 2>&1") == 0;
    for (int i = 0; i < N_ITEMS && i < s.n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(g.row[i], "grade");
        const char *want = !python && !strcmp(s.items[i].id, "code-factorial") ? "skipped" : "pass";
        if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0)
            fprintf(
                stderr, "  %s: grade %s: %s\n", s.items[i].id,
                cJSON_IsString(v) ? v->valuestring : "(none)",
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g.row[i], "grade_detail")));
        CHECK(cJSON_IsString(v) && !strcmp(v->valuestring, want));
        CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(g.row[i], "grader_version")));
    }
    got_release(&g);
    free(it);
    prompt_set_release(&s);
    unlink(path);
    unsetenv("QB_FAKE_ANSWERS");
}
