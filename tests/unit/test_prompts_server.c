/* run/prompts_server.c without a server: the endpoint of a base URL, the request body,
 * and the chunks read as llama-server sent them (content, usage, timings, the server's
 * errors). */
#include <stdlib.h>

#include "../../src/run/prompts_server.h"
#include "../../src/util/util.h"
#include "test.h"

void test_prompts_server_endpoint(void)
{
    char *e = prompts_server_endpoint("http://h:1");
    CHECK_STR(e, "http://h:1/v1/chat/completions");
    free(e);
    e = prompts_server_endpoint("http://h:1/v1//");
    CHECK_STR(e, "http://h:1/v1/chat/completions");
    free(e);
    e = prompts_server_endpoint("http://h:1/openai/");
    CHECK_STR(e, "http://h:1/openai/v1/chat/completions");
    free(e);
}

struct toks {
    char text[256];
    long last;
};

static void on_tok(void *ud, long n, const char *text)
{
    struct toks *t = ud;
    CHECK(n == t->last + 1);
    t->last = n;
    size_t k = strlen(t->text);
    snprintf(t->text + k, sizeof(t->text) - k, "%s", text);
}

/* llama-server's chunks (tools/server/server-task.cpp), as it sent them for a prompt */
static const char *const chunks[] = {
    "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":null}}],\"created\":1,\"id\":\"c1\",\"model\":\"dense.gguf\","
    "\"system_fingerprint\":\"b1-de3ff81\",\"object\":\"chat.completion.chunk\"}",
    "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\" marqu\"}}],"
    "\"model\":\"dense.gguf\",\"object\":\"chat.completion.chunk\"}",
    "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"\xe8\xa8\xad\"}}],"
    "\"model\":\"dense.gguf\",\"object\":\"chat.completion.chunk\"}",
    "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"_*\"}}]}",
    "{\"choices\":[{\"finish_reason\":\"length\",\"index\":0,\"delta\":{}}]}",
    "{\"choices\":[],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":38,"
    "\"total_tokens\":41},\"timings\":{\"cache_n\":0,\"prompt_n\":38,\"prompt_ms\":151.155,"
    "\"prompt_per_second\":251.39,\"predicted_n\":3,\"predicted_ms\":9.93,"
    "\"predicted_per_second\":201.4}}",
    "[DONE]",
};

void test_prompts_server_stream(void)
{
    char err[QB_ERR_LEN];
    struct prompts_server_stream s;
    struct toks t = {"", 0};
    prompts_server_stream_init(&s);
    s.token = on_tok;
    s.token_ud = &t;
    for (size_t i = 0; i < QB_ARRAY_LEN(chunks); i++)
        CHECK(prompts_server_stream_event(&s, chunks[i], 1000 + 10 * i, err) == 0);
    CHECK_STR(s.text, " marqu\xe8\xa8\xad_*");
    CHECK_STR(t.text, s.text);
    CHECK(s.n_chunks == 3 && t.last == 3);
    CHECK(s.t_first == 1010 && s.t_last == 1030); /* the first content, not the role's */
    CHECK(s.done && s.has_usage && s.prompt_tokens == 38 && s.completion_tokens == 3);
    CHECK_STR(s.rep.finish_reason, "length");
    CHECK_STR(s.rep.model, "dense.gguf");
    CHECK_STR(s.rep.fingerprint, "b1-de3ff81");
    CHECK(s.rep.has_timings && s.rep.prompt_n == 38 && s.rep.predicted_n == 3);
    CHECK_NEAR(s.rep.prompt_ms, 151.155, 1e-9);
    CHECK_NEAR(s.rep.predicted_per_second, 201.4, 1e-9);
    prompts_server_stream_release(&s);

    /* an error the server sends in the stream, and data that is no JSON object */
    prompts_server_stream_init(&s);
    CHECK(prompts_server_stream_event(
              &s, "{\"error\":{\"code\":500,\"message\":\"slot\\nfailed\"}}", 1, err) == -1);
    CHECK_STR(err, "the server: slot\\nfailed");
    CHECK(prompts_server_stream_event(&s, "{\"error\":\"busy\"}", 1, err) == -1);
    CHECK_STR(err, "the server: busy");
    CHECK(prompts_server_stream_event(&s, "[1,2]", 1, err) == -1);
    CHECK_STR(err, "the server sent an event that is not a JSON object: '[1,2]'");
    /* an answer without content (the first token an end): timed at its finish */
    CHECK(prompts_server_stream_event(
              &s, "{\"choices\":[{\"finish_reason\":\"stop\",\"delta\":{}}]}", 77, err) == 0);
    CHECK(s.t_first == 77 && s.t_last == 77 && s.n_chunks == 0 && !s.has_usage && !s.done);
    CHECK(!s.rep.has_timings);
    prompts_server_stream_release(&s);
}

void test_prompts_server_request(void)
{
    struct prompts_params p;
    memset(&p, 0, sizeof(p));
    p.gen.max_tokens = 64;
    p.gen.sp.temp = 0;
    p.gen.sp.top_k = 40;
    p.gen.sp.top_p = 0.95;
    p.gen.sp.seed = (1ull << 32) + 5;
    snprintf(p.gen.stop[0], sizeof(p.gen.stop[0]), "%s", "END");
    struct prompts_server_params sp = {"http://h", "qwen", NULL, 0, 0, 0};
    cJSON *o = prompts_server_request(&p, &sp, "Be brief.", "Hi?");
    char *s = cJSON_PrintUnformatted(o);
    CHECK_STR(s,
              "{\"model\":\"qwen\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
              "{\"role\":\"user\",\"content\":\"Hi?\"}],\"stream\":true,\"stream_options\":"
              "{\"include_usage\":true},\"max_tokens\":64,\"temperature\":0,\"top_p\":0.95,"
              "\"top_k\":40,\"min_p\":0,\"seed\":5,\"stop\":[\"END\"],\"cache_prompt\":false}");
    free(s);
    cJSON_Delete(o);
    /* no model named, no system prompt, no stop strings: none sent */
    sp.model_name = NULL;
    p.gen.stop[0][0] = '\0';
    o = prompts_server_request(&p, &sp, "", "Hi?");
    CHECK(!cJSON_HasObjectItem(o, "model") && !cJSON_HasObjectItem(o, "stop"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "messages")) == 1);
    cJSON_Delete(o);
}
