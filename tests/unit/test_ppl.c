/* measure/ppl against the fake engine (whose logits row is l[j] = 0.1 * (j % 7)): chunks,
 * BOS in front of each, the scored half, chunks per decode and decodes per chunk, and the
 * perplexity computed here independently */
#include <math.h>
#include <stdlib.h>

#include "../../src/measure/ppl.h"
#include "../../src/util/util.h"
#include "fake_engine.h"
#include "test.h"

static double expected_nll(const int32_t *tok, int n_tokens, int n_ctx, int n_chunk, long *count)
{
    int n_vocab = fake_cfg.n_vocab;
    double sum = 0, nll = 0;
    for (int j = 0; j < n_vocab; j++)
        sum += expf(0.1f * (float)(j % 7) - 0.6f);
    *count = 0;
    for (int c = 0; c < n_chunk; c++)
        for (int k = n_ctx / 2; k < n_ctx - 1; k++) {
            int t = tok[c * n_ctx + k + 1];
            nll += -((double)(0.1f * (float)(t % 7) - 0.6f) - log(sum));
            (*count)++;
        }
    (void)n_tokens;
    return nll;
}

void test_ppl_method(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    int32_t tok[100];
    for (int i = 0; i < 100; i++)
        tok[i] = (i * 37 + 3) % fake_cfg.n_vocab;
    long count;
    double nll = expected_nll(tok, 100, 16, 6, &count);
    int batches[3] = {16, 64, 8}, decodes[3] = {6, 2, 12};
    for (int b = 0; b < 3; b++) {
        fake_engine_reset();
        struct ppl_params p = {.n_ctx = 16, .n_batch = batches[b], .n_chunks = 0};
        struct ppl_result r;
        CHECK(ppl_run(e, tok, 100, &p, NULL, &r, err) == 0);
        CHECK(r.n_chunks == 6 && r.count == count && r.count == 6 * 7);
        CHECK(fake_stats.decodes == decodes[b]);
        CHECK(fake_stats.tokens == 6 * 16);
        CHECK(fake_stats.clears == (b == 1 ? 2 : 6)); /* an empty cache per decode group */
        CHECK(fake_stats.bad_positions == 0);
        CHECK(fake_stats.n_first == 6); /* one sequence start per chunk */
        for (int i = 0; i < fake_stats.n_first && i < 64; i++)
            CHECK(fake_stats.first_tokens[i] == fake_cfg.bos); /* BOS replaced token 0 */
        CHECK(fabs(r.nll - nll) <= 1e-9 * nll);
        CHECK(fabs(r.ppl - exp(nll / (double)count)) <= 1e-9 * r.ppl);
        CHECK(fabs(r.chunk_ppl[5] - r.ppl) <= 1e-12 * r.ppl);
        CHECK(r.ppl_err > 0);
        free(r.chunk_ppl);
    }
    /* --chunks, and a text shorter than two chunks */
    fake_engine_reset();
    struct ppl_params p = {.n_ctx = 16, .n_batch = 16, .n_chunks = 2};
    struct ppl_result r;
    CHECK(ppl_run(e, tok, 100, &p, NULL, &r, err) == 0 && r.n_chunks == 2 &&
          fake_stats.decodes == 2);
    free(r.chunk_ppl);
    p.n_ctx = 64;
    CHECK(ppl_run(e, tok, 100, &p, NULL, &r, err) < 0);
    CHECK_STR(err, "the text tokenizes to 100 tokens; perplexity with -c 64 needs at least 128 "
                   "(two chunks)");
    free(r.chunk_ppl);
    engine_close(e);
}
