/* measure/prompts.c on the fake engine: a canned answer streamed token by token, stop
 * strings across tokens, end of generation, max_tokens, a full context, a prompt too
 * long, UTF-8 kept valid. */
#include <stdlib.h>

#include "../../src/measure/prompts.h"
#include "../../src/util/util.h"
#include "fake_engine.h"
#include "test.h"

/* what the token callback saw */
struct seen {
    char text[4096];
    size_t len;
    int calls, last_n, empty;
};

static void on_token(void *ud, int n, const char *text, size_t len)
{
    struct seen *s = ud;
    CHECK(n == s->calls + 1); /* once per sampled token, in order */
    s->calls++;
    s->last_n = n;
    s->empty += len == 0;
    if (s->len + len < sizeof(s->text)) {
        memcpy(s->text + s->len, text, len);
        s->len += len;
        s->text[s->len] = '\0';
    }
}

static struct prompts_gen_params params(struct seen *s)
{
    struct prompts_gen_params p;
    memset(&p, 0, sizeof(p));
    p.max_tokens = 256;
    p.sp = engine_sampler_params_default();
    p.n_ctx = 4096;
    p.n_batch = 16;
    p.token = on_token;
    p.token_ud = s;
    memset(s, 0, sizeof(*s));
    return p;
}

/* the answer to "Hi" with p; 0 or -1 as prompts_gen */
static int answer(struct engine *e, const struct prompts_gen_params *p, const char *canned,
                  struct prompts_gen_result *r, char *err)
{
    int32_t *tok;
    int n;
    enum engine_chat_tmpl tmpl;
    memset(p->token_ud, 0, sizeof(struct seen));
    fake_cfg.answer = canned;
    CHECK(prompts_tokenize(e, NULL, "Hi", &tok, &n, &tmpl, err) == 0);
    int rc = prompts_gen(e, tok, n, p, r, err);
    free(tok);
    fake_cfg.answer = NULL;
    return rc;
}

void test_prompts_stream(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct seen s;
    struct prompts_gen_params p = params(&s);
    struct prompts_gen_result r;
    /* the chat through the template: system first, the assistant's turn opened */
    int32_t *tok;
    int n;
    enum engine_chat_tmpl tmpl;
    CHECK(prompts_tokenize(e, "Be brief.", "Hi", &tok, &n, &tmpl, err) == 0);
    const char *want = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                       "<|im_start|>assistant\n";
    CHECK(n == (int)strlen(want) + 1 && tok[0] == fake_cfg.bos && tok[1] == '<');
    CHECK(tmpl == ENGINE_CHAT_CHATML_NONE);
    free(tok);
    CHECK(prompts_tokenize(e, "", "Hi", &tok, &n, &tmpl, err) == 0); /* "" is no system */
    CHECK(n == (int)strlen("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n") + 1);
    free(tok);

    /* a canned answer, every token to the callback, EOG counted */
    fake_engine_reset();
    CHECK(answer(e, &p, "Hello, world.", &r, err) == 0);
    CHECK_STR(r.text, "Hello, world.");
    CHECK(r.len == 13 && r.n_gen_tokens == 14 && r.stop == PROMPTS_STOP_EOG);
    CHECK_STR(s.text, "Hello, world.");
    CHECK(s.calls == 14 && s.empty == 1); /* the EOG token shows nothing */
    CHECK(r.n_prompt_tokens == n && fake_stats.clears >= 1);
    /* the prompt in -b pieces, then one decode per token but the last */
    CHECK(fake_stats.decodes == (n + 15) / 16 + 13);
    CHECK(fake_stats.samples == 14);
    /* 1 us per token decoded (the fake's): TTFT covers the prompt, the rest 13 steps */
    CHECK(r.ttft_ns >= (uint64_t)n * 1000 && r.gen_ns >= 13 * 1000);
    CHECK(r.total_ns == r.ttft_ns + r.gen_ns);
    CHECK_NEAR(prompts_gen_tps(&r), 13e9 / (double)r.gen_ns, 1e-9);
    CHECK_STR(prompts_stop_name(r.stop), "eog");
    prompts_gen_result_release(&r);
    engine_close(e);
}

void test_prompts_stop(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct seen s;
    struct prompts_gen_params p = params(&s);
    struct prompts_gen_result r;
    snprintf(p.stop[0], PROMPTS_STOP_LEN, "never");
    snprintf(p.stop[2], PROMPTS_STOP_LEN, "STOP"); /* unused slots between are skipped */
    /* "ST" of "STX" is held back until X says it is no stop; "STOP" spans four tokens and
     * ends the answer there, itself and what follows removed */
    CHECK(answer(e, &p, "ab STX cd STOP ef", &r, err) == 0);
    CHECK_STR(r.text, "ab STX cd ");
    CHECK(r.stop == PROMPTS_STOP_STRING && r.n_gen_tokens == 14);
    CHECK_STR(s.text, "ab STX cd ");
    CHECK(s.calls == 14 && s.empty == 6); /* S T of STX, S T O P of STOP */
    CHECK_STR(prompts_stop_name(r.stop), "stop");
    prompts_gen_result_release(&r);
    /* the earliest of two stop strings; one found at the very start */
    snprintf(p.stop[1], PROMPTS_STOP_LEN, "cd");
    CHECK(answer(e, &p, "ab STOP cd", &r, err) == 0);
    CHECK_STR(r.text, "ab ");
    prompts_gen_result_release(&r);
    CHECK(answer(e, &p, "cd and more", &r, err) == 0);
    CHECK_STR(r.text, "");
    CHECK(r.n_gen_tokens == 2 && r.stop == PROMPTS_STOP_STRING);
    prompts_gen_result_release(&r);
    /* a held-back start of a stop string is given at the end (EOG) */
    CHECK(answer(e, &p, "ab ST", &r, err) == 0);
    CHECK_STR(r.text, "ab ST");
    CHECK_STR(s.text, "ab ST");
    CHECK(r.stop == PROMPTS_STOP_EOG);
    prompts_gen_result_release(&r);
    engine_close(e);
}

void test_prompts_limits(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct seen s;
    struct prompts_gen_params p = params(&s);
    struct prompts_gen_result r;
    /* an EOG at once: one token, no text, no speed */
    CHECK(answer(e, &p, "", &r, err) == 0);
    CHECK(r.n_gen_tokens == 1 && r.len == 0 && r.stop == PROMPTS_STOP_EOG);
    CHECK(r.gen_ns == 0 && prompts_gen_tps(&r) == 0 && s.calls == 1);
    prompts_gen_result_release(&r);
    /* max_tokens */
    p = params(&s);
    p.max_tokens = 5;
    snprintf(p.stop[0], PROMPTS_STOP_LEN, "abcdeX"); /* held back, then given at the end */
    CHECK(answer(e, &p, "abcdefgh", &r, err) == 0);
    CHECK_STR(r.text, "abcde");
    CHECK_STR(s.text, "abcde");
    CHECK(r.n_gen_tokens == 5 && r.stop == PROMPTS_STOP_LENGTH && s.empty == 4);
    CHECK_STR(prompts_stop_name(r.stop), "length");
    prompts_gen_result_release(&r);
    /* the context full: llama-server stops when prompt + tokens reach n_ctx */
    int32_t *tok;
    int n;
    enum engine_chat_tmpl tmpl;
    CHECK(prompts_tokenize(e, NULL, "Hi", &tok, &n, &tmpl, err) == 0);
    p = params(&s);
    p.n_ctx = n + 3;
    memset(&s, 0, sizeof(s));
    fake_cfg.answer = "abcdefgh";
    CHECK(prompts_gen(e, tok, n, &p, &r, err) == 0);
    CHECK_STR(r.text, "abc");
    CHECK(r.n_gen_tokens == 3 && r.stop == PROMPTS_STOP_LENGTH);
    prompts_gen_result_release(&r);
    /* a prompt that does not fit: an error naming both sizes, nothing decoded */
    p.n_ctx = n;
    fake_engine_reset();
    CHECK(prompts_gen(e, tok, n, &p, &r, err) < 0);
    char want[128];
    snprintf(want, sizeof(want), "the prompt of %d tokens does not fit the context of %d (-c)", n,
             n);
    CHECK_STR(err, want);
    CHECK(fake_stats.decodes == 0 && r.text == NULL);
    prompts_gen_result_release(&r);
    CHECK(prompts_check_length(n, n + 1, err) == 0);
    /* a decode that fails: -1 with the engine's message */
    p.n_ctx = 4096;
    fake_cfg.fail_decode_after = 1;
    fake_engine_reset();
    CHECK(prompts_gen(e, tok, n, &p, &r, err) < 0);
    CHECK_STR(err, "fake: decode failed");
    prompts_gen_result_release(&r);
    fake_cfg.fail_decode_after = -1;
    fake_cfg.answer = NULL;
    free(tok);
    /* the warm-up (of a new context): BOS and EOS once, the cache cleared after */
    engine_memory_clear(e);
    fake_engine_reset();
    CHECK(prompts_warmup(e, err) == 0);
    CHECK(fake_stats.decodes == 1 && fake_stats.tokens == 2 && fake_stats.clears == 1);
    CHECK(fake_stats.first_tokens[0] == fake_cfg.bos);
    engine_close(e);
}

void test_prompts_utf8(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct seen s;
    struct prompts_gen_params p = params(&s);
    struct prompts_gen_result r;
    /* "é" in two byte tokens: nothing shown until the character is whole */
    CHECK(answer(e, &p, "a\xc3\xa9", &r, err) == 0);
    CHECK_STR(r.text, "a\xc3\xa9");
    CHECK(s.calls == 4 && s.empty == 2);
    prompts_gen_result_release(&r);
    /* a stray byte, a character cut short by another, one open at the end: U+FFFD each
     * (as llama-server's JSON writes them) */
    CHECK(answer(e, &p,
                 "\xff"
                 "b\xe2\x82"
                 "c\xc3",
                 &r, err) == 0);
    CHECK_STR(r.text, "\xef\xbf\xbd"
                      "b\xef\xbf\xbd"
                      "c\xef\xbf\xbd");
    CHECK_STR(s.text, r.text);
    prompts_gen_result_release(&r);
    /* overlong and surrogate forms are not UTF-8 either */
    CHECK(answer(e, &p, "\xc0\xaf\xed\xa0\x80", &r, err) == 0);
    CHECK(strstr(r.text, "\xed\xa0") == NULL && strstr(r.text, "\xc0") == NULL);
    prompts_gen_result_release(&r);
    engine_close(e);
}
