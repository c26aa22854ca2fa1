/* measure/sweep and measure/batched against the fake engine: the depth sequence,
 * the KV removals between depths, batch layout and the speed formulas */
#include <stdlib.h>

#include "../../src/measure/batched.h"
#include "../../src/measure/sweep.h"
#include "../../src/util/util.h"
#include "fake_engine.h"
#include "test.h"

void test_sweep_sequence(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct sweep_params p = {
        .n_ctx = 64, .n_ubatch = 16, .n_gen = 4, .reps = 2, .stride = 1, .n_threads = 1};
    struct sweep_result r;
    CHECK(sweep_run(e, &p, &r, err) == 0);
    CHECK(r.n_points == 4);
    for (int i = 0; i < r.n_points; i++) {
        CHECK(r.points[i].n_kv == 16 * i);
        CHECK(r.points[i].n == 2 && r.points[i].pp_ns[1] > 0 && r.points[i].tg_ns[1] > 0);
    }
    /* warm-up 1; per depth 2 x 4 single tokens + 2 ubatches */
    CHECK(fake_stats.decodes == 1 + 4 * (2 * 4 + 2));
    CHECK(fake_stats.tokens == 1 + 4 * (2 * 4 + 2 * 16));
    /* per depth: each tg run removed (2), the extra pp run removed (1) */
    CHECK(fake_stats.seq_rms == 4 * 3);
    CHECK(fake_stats.bad_positions == 0); /* every decode continued at n_kv */
    CHECK(fake_stats.seq_len[0] == 64);   /* the kept ubatches fill the context */
    sweep_result_release(&r);

    fake_engine_reset();
    engine_memory_clear(e);
    p.stride = 2;
    p.reps = 1;
    CHECK(sweep_run(e, &p, &r, err) == 0);
    CHECK(r.n_points == 2 && r.points[0].n_kv == 0 && r.points[1].n_kv == 32);
    CHECK(fake_stats.seq_rms == 2); /* only the timed depths' tg runs */
    CHECK(fake_stats.bad_positions == 0 && fake_stats.seq_len[0] == 64);
    sweep_result_release(&r);
    engine_close(e);
}

void test_batched_layout(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct batched_params p = {
        .pp = 8, .tg = 3, .pl = 4, .n_batch = 16, .n_ctx = 64, .reps = 2, .n_threads = 1};
    struct batched_result r;
    CHECK(batched_run(e, &p, &r, err) == 0);
    CHECK(r.n == 2 && r.n_kv == 44);
    /* warm-up 16 tokens (1 decode); per rep 32 prompt tokens in 2 chunks, 3 steps of 4 */
    CHECK(fake_stats.decodes == 1 + 2 * (2 + 3));
    CHECK(fake_stats.tokens == 16 + 2 * (32 + 12));
    CHECK(fake_stats.bad_positions == 0);
    for (int j = 0; j < 4; j++)
        CHECK(fake_stats.seq_len[j] == 11);
    for (int i = 0; i < r.n; i++)
        CHECK(r.ttft_ns[i] > r.pp_ns[i] && r.ttft_ns[i] < r.pp_ns[i] + r.tg_ns[i] + 1000000000);
    batched_result_release(&r);

    /* shared prompt: decoded once, copied to the other 3 sequences */
    fake_engine_reset();
    p.shared = true;
    p.no_warmup = true;
    p.reps = 1;
    CHECK(batched_run(e, &p, &r, err) == 0);
    CHECK(fake_stats.seq_cps == 3);
    CHECK(fake_stats.tokens == 8 + 1 + 12); /* prompt, the dummy token, 3 steps of 4 */
    CHECK(fake_stats.bad_positions == 0);
    CHECK(r.n_kv == 4 * 8 + 4 * 3);
    batched_result_release(&r);

    /* a combination that does not fit is refused before any decode */
    fake_engine_reset();
    p.shared = false;
    p.n_ctx = 40;
    CHECK(batched_run(e, &p, &r, err) < 0);
    CHECK_STR(err, "needs 44 KV cells (B=4 x (PP 8 + TG 3)), the context has 40");
    CHECK(fake_stats.decodes == 0);
    batched_result_release(&r);
    engine_close(e);
}

void test_batched_speeds(void)
{
    struct batched_params p = {.pp = 512, .tg = 64, .pl = 4};
    double s_pp, s_tg, s;
    batched_speeds(&p, 2000000000ull, 1000000000ull, &s_pp, &s_tg, &s);
    CHECK_NEAR(s_pp, 4 * 512 / 2.0, 1e-9);
    CHECK_NEAR(s_tg, 4 * 64 / 1.0, 1e-9);
    CHECK_NEAR(s, (4 * 512 + 4 * 64) / 3.0, 1e-9);
    p.shared = true;
    batched_speeds(&p, 2000000000ull, 1000000000ull, &s_pp, &s_tg, &s);
    CHECK_NEAR(s_pp, 512 / 2.0, 1e-9);
    CHECK_NEAR(s, (512 + 4 * 64) / 3.0, 1e-9);
    CHECK(batched_n_kv(&p) == 4 * 512 + 4 * 64);
}
