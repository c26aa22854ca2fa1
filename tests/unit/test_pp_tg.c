/* measure/pp_tg against the fake engine: exact call patterns */
#include <stdlib.h>

#include "../../src/measure/pp_tg.h"
#include "../../src/util/util.h"
#include "fake_engine.h"
#include "test.h"

void test_pp_tg_counts(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct pp_tg_params p = {
        .n_prompt = 512, .n_gen = 0, .n_batch = 128, .reps = 3, .n_threads = 2, .seed = 5};
    struct pp_tg_result r;
    CHECK(pp_tg_run(e, &p, NULL, &r, err) == 0);
    CHECK(r.n == 3);
    /* warm-up + 3 reps, each 512 tokens in 4 chunks of 128 */
    CHECK(fake_stats.decodes == 16);
    CHECK(fake_stats.tokens == 4 * 512);
    CHECK(fake_stats.max_batch == 128);
    CHECK(fake_stats.bad_tokens == 0);
    CHECK(fake_stats.last_threads == 2);
    /* BOS first in every prompt (warm-up + reps) */
    CHECK(fake_stats.n_first == 4);
    for (int i = 0; i < fake_stats.n_first; i++)
        CHECK(fake_stats.first_tokens[i] == fake_cfg.bos);
    for (int i = 0; i < r.n; i++) {
        CHECK(r.total_ns[i] >= 512 * 1000); /* at least the simulated cost */
        CHECK(r.pp_ns[i] > 0 && r.tg_ns[i] == 0 && r.ttft_ns[i] == 0);
    }
    CHECK(r.warmup_ns > 0);
    pp_tg_result_release(&r);

    /* tg: one decode + one sync per token, warm-up is one token */
    fake_engine_reset();
    struct pp_tg_params g = {.n_gen = 16, .n_batch = 128, .reps = 2, .n_threads = 1};
    CHECK(pp_tg_run(e, &g, NULL, &r, err) == 0);
    CHECK(fake_stats.decodes == 1 + 2 * 16);
    CHECK(fake_stats.syncs == 1 + 2 * 16);
    CHECK(fake_stats.max_batch == 1);
    CHECK_NEAR(pp_tg_ts(&g, 1000000000ull), 16.0, 1e-9);
    pp_tg_result_release(&r);

    /* pp+tg: ttft recorded, no warm-up when asked */
    fake_engine_reset();
    struct pp_tg_params pg = {
        .n_prompt = 64, .n_gen = 8, .n_batch = 64, .reps = 2, .n_threads = 1, .no_warmup = true};
    CHECK(pp_tg_run(e, &pg, NULL, &r, err) == 0);
    CHECK(fake_stats.decodes == 2 * (1 + 8));
    CHECK(r.warmup_ns == 0);
    for (int i = 0; i < r.n; i++) {
        CHECK(r.ttft_ns[i] > r.pp_ns[i]);
        CHECK(r.ttft_ns[i] < r.total_ns[i]);
        CHECK(r.pp_ns[i] + r.tg_ns[i] <= r.total_ns[i]);
    }
    pp_tg_result_release(&r);
    engine_close(e);
}

void test_pp_tg_depth(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct pp_tg_params p = {.n_gen = 4, .n_depth = 300, .n_batch = 128, .reps = 4, .n_threads = 1};
    struct pp_tg_result r;
    CHECK(pp_tg_run(e, &p, NULL, &r, err) == 0);
    /* depth filled once (3 chunks), saved once, restored before reps 2..4 */
    CHECK(fake_stats.saves == 1);
    CHECK(fake_stats.restores == 3);
    CHECK(fake_stats.decodes == 1 + 3 + 4 * 4);
    CHECK(fake_stats.clears == 1 + 4 + 1); /* + the clear before the one fill */
    CHECK(r.depth_ns > 0);
    pp_tg_result_release(&r);
    engine_close(e);
}

void test_pp_tg_decode_error(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    fake_cfg.fail_decode_after = 5;
    struct pp_tg_params p = {.n_gen = 4, .n_batch = 8, .reps = 3, .n_threads = 1};
    struct pp_tg_result r;
    CHECK(pp_tg_run(e, &p, NULL, &r, err) < 0);
    CHECK_STR(err, "fake: decode failed");
    CHECK(r.n == 1); /* the first repetition completed (warm-up 1 + 4 decodes) */
    pp_tg_result_release(&r);
    fake_cfg.fail_decode_after = -1;
    engine_close(e);
}

void test_pp_tg_depth_cache(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct depth_cache dc = {0};
    struct pp_tg_result r;
    /* two tests at depth 300 share one fill; depth 100 fills anew */
    struct pp_tg_params a = {.n_prompt = 64,
                             .n_depth = 300,
                             .n_batch = 128,
                             .reps = 3,
                             .n_threads = 1,
                             .no_warmup = true};
    CHECK(pp_tg_run(e, &a, &dc, &r, err) == 0);
    CHECK(r.depth_fills == 1 && r.depth_ns > 0);
    pp_tg_result_release(&r);
    int tokens_before = fake_stats.tokens;
    struct pp_tg_params b = {
        .n_gen = 4, .n_depth = 300, .n_batch = 128, .reps = 3, .n_threads = 1, .no_warmup = true};
    CHECK(pp_tg_run(e, &b, &dc, &r, err) == 0);
    CHECK(r.depth_fills == 0 && r.depth_ns == 0);
    CHECK(fake_stats.tokens - tokens_before == 3 * 4); /* no depth tokens decoded again */
    pp_tg_result_release(&r);
    CHECK(dc.fills == 1);
    struct pp_tg_params c = {
        .n_gen = 4, .n_depth = 100, .n_batch = 128, .reps = 2, .n_threads = 1, .no_warmup = true};
    CHECK(pp_tg_run(e, &c, &dc, &r, err) == 0);
    CHECK(r.depth_fills == 1 && dc.fills == 2 && dc.depth == 100);
    pp_tg_result_release(&r);
    /* a snapshot the context refuses is refilled, not trusted */
    fake_cfg.fail_restore = true;
    CHECK(pp_tg_run(e, &c, &dc, &r, err) == 0);
    CHECK(r.depth_fills == 2); /* every repetition had to refill */
    pp_tg_result_release(&r);
    fake_cfg.fail_restore = false;
    depth_cache_release(&dc);
    engine_close(e);
}

void test_pp_tg_auto_reps(void)
{
    char err[QB_ERR_LEN];
    struct engine *e = fake_engine_open();
    struct pp_tg_result r;
    /* a target any spread meets: stops as soon as min_reps are in (no timing assumption) */
    struct pp_tg_params p = {.n_prompt = 32,
                             .n_batch = 32,
                             .reps = 50,
                             .n_threads = 1,
                             .no_warmup = true,
                             .auto_reps = true,
                             .min_reps = 4,
                             .rel_ci = 100,
                             .max_time_s = 100};
    CHECK(pp_tg_run(e, &p, NULL, &r, err) == 0);
    CHECK(r.n == 4 && r.stop == PP_TG_STOP_CI);
    pp_tg_result_release(&r);
    /* an impossible target: runs to the repetition cap */
    p.rel_ci = 0;
    p.reps = 7;
    CHECK(pp_tg_run(e, &p, NULL, &r, err) == 0);
    CHECK(r.n == 7 && r.stop == PP_TG_STOP_REPS);
    pp_tg_result_release(&r);
    /* ... or to the time budget */
    p.reps = 100000;
    p.max_time_s = 0.02;
    fake_cfg.ns_per_token = 100000; /* 3.2 ms per repetition */
    CHECK(pp_tg_run(e, &p, NULL, &r, err) == 0);
    CHECK(r.stop == PP_TG_STOP_TIME && r.n >= 4 && r.n < 50);
    pp_tg_result_release(&r);
    fake_cfg.ns_per_token = 1000;
    /* fixed repetitions are exactly that many */
    struct pp_tg_params f = {.n_gen = 2, .n_batch = 8, .reps = 3, .n_threads = 1};
    CHECK(pp_tg_run(e, &f, NULL, &r, err) == 0);
    CHECK(r.n == 3 && r.stop == PP_TG_STOP_REPS);
    pp_tg_result_release(&r);
    engine_close(e);
}
