/* The suite's ETA on a fake engine with a fake clock: cells of several classes on models of
 * several sizes, each taking what a hidden speed per class says (with jitter); after half
 * the cells the estimate must be within 10% of the time really left. */
#include <math.h>
#include <stdlib.h>

#include "../../src/suite/eta.h"
#include "../../src/util/rng.h"
#include "test.h"

/* the fake engine: seconds per (MB x token) of each class, and the cells' true time */
static const double class_rate[] = {2e-6, 3e-5, 1.2e-5, 4e-3, 9e-6};

static double fake_duration(const struct eta_cell *c, uint64_t *rng)
{
    double u = (double)(rng_next(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    double jitter = 1.0 + 0.1 * (u - 0.5);                         /* +-5% */
    return class_rate[c->cls] * c->work * jitter;
}

void test_suite_eta(void)
{
    /* 4 models (quant ladder: sizes 340, 250, 190, 150 MB) x 5 tests, in run order */
    const double size[] = {340, 250, 190, 150};
    const double tokens[] = {512 * 6, 128 * 6, 640 * 6, 1, 512 * 16};
    struct eta_cell c[20];
    double truth[20];
    uint64_t rng = 42;
    int n = 0;
    for (int m = 0; m < 4; m++)
        for (int k = 0; k < 5; k++, n++) {
            c[n] = (struct eta_cell){.cls = k, .work = size[m] * tokens[k], .known_s = -1};
            truth[n] = fake_duration(&c[n], &rng);
        }
    struct eta e;
    eta_init(&e, c, n);
    CHECK(eta_left(&e, -1, 0) < 0); /* nothing to go by yet */
    double clock = 0;               /* the fake clock */
    for (int i = 0; i < n / 2; i++) {
        clock += truth[i];
        eta_done(&e, i, truth[i]);
    }
    double left = 0;
    for (int i = n / 2; i < n; i++)
        left += truth[i];
    double est = eta_left(&e, -1, 0);
    CHECK(est > 0);
    CHECK(fabs(est - left) <= 0.10 * left);
    /* halfway into the next cell the elapsed part is taken off */
    double mid = eta_left(&e, n / 2, truth[n / 2] / 2);
    CHECK(mid < est && mid > est - truth[n / 2]);
    /* a recorded duration wins over the rate */
    c[n - 1].known_s = 1000;
    CHECK_NEAR(eta_cell(&e, n - 1), 1000, 1e-9);
    /* cells stored before count nothing */
    c[n - 1].skip = true;
    CHECK(eta_left(&e, -1, 0) < est);
    /* a class never seen falls back on the rate of all cells done */
    struct eta_cell d[3] = {{.cls = 0, .work = 10, .known_s = -1},
                            {.cls = 1, .work = 10, .known_s = -1},
                            {.cls = 9, .work = 20, .known_s = -1}};
    struct eta e2;
    eta_init(&e2, d, 3);
    eta_done(&e2, 0, 5);
    eta_done(&e2, 1, 15);
    CHECK_NEAR(eta_left(&e2, -1, 0), 20, 1e-9); /* (5 + 15) / 20 per unit x 20 */
    eta_release(&e2);
    eta_release(&e);
}
