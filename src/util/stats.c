/* Summary statistics (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

double stats_t975(size_t df)
{
    static const double t[] = {
        0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
        2.074, 2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    };
    if (df == 0)
        return 0;
    if (df < QB_ARRAY_LEN(t))
        return t[df];
    if (df <= 40)
        return 2.021;
    if (df <= 60)
        return 2.000;
    if (df <= 120)
        return 1.980;
    return 1.960;
}

bool stats_noisy(const struct stats *s)
{
    return s->n >= 2 && s->mean > 0 && s->ci95 > STATS_NOISY_REL * s->mean;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double stats_percentile_linear(const double *x, size_t n, double q)
{
    if (n == 0)
        return 0;
    double h = (double)(n - 1) * q / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

struct stats stats_compute(const double *x, size_t n)
{
    struct stats s;
    memset(&s, 0, sizeof(s));
    s.n = n;
    if (n == 0)
        return s;
    double sum = 0;
    s.min = s.max = x[0];
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        if (x[i] < s.min)
            s.min = x[i];
        if (x[i] > s.max)
            s.max = x[i];
    }
    s.mean = sum / (double)n;
    if (n > 1) {
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += (x[i] - s.mean) * (x[i] - s.mean);
        s.stddev = sqrt(ss / (double)(n - 1));
        s.ci95 = stats_t975(n - 1) * s.stddev / sqrt((double)n);
    }
    double *sorted = xmalloc(n * sizeof(double));
    memcpy(sorted, x, n * sizeof(double));
    qsort(sorted, n, sizeof(double), cmp_double);
    s.median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    free(sorted);
    return s;
}

struct ratio_ci stats_ratio_welch(double mean_a, double se_a, double df_a, double mean_b,
                                  double se_b, double df_b)
{
    struct ratio_ci r = {0, 0, 0, 0};
    if (mean_a <= 0 || mean_b <= 0)
        return r;
    r.ratio = mean_b / mean_a;
    r.lo = r.hi = r.ratio;
    if (df_a < 1 || df_b < 1)
        return r;
    double va = (se_a / mean_a) * (se_a / mean_a), vb = (se_b / mean_b) * (se_b / mean_b);
    double v = va + vb;
    r.valid = 1;
    if (v <= 0)
        return r;
    double df = v * v / (va * va / df_a + vb * vb / df_b);
    double half = stats_t975(df < 1 ? 1 : (size_t)df) * sqrt(v);
    r.lo = exp(log(r.ratio) - half);
    r.hi = exp(log(r.ratio) + half);
    return r;
}

static double resample_mean(const double *x, size_t n, uint64_t *s)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[rng_next(s) % n];
    return sum / (double)n;
}

/* The k-th smallest of x[0..n) (x is reordered): Hoare's selection, O(n) on average, the
 * same value a full sort would put at k */
static double select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = x[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break; /* between j and i: equal to the pivot, in place */
    }
    return x[k];
}

struct ratio_ci stats_ratio_bootstrap(const double *a, size_t na, const double *b, size_t nb,
                                      int iters, unsigned long long seed)
{
    struct ratio_ci r = {0, 0, 0, 0};
    if (na == 0 || nb == 0 || iters < 20)
        return r;
    struct stats sa = stats_compute(a, na), sb = stats_compute(b, nb);
    if (sa.mean <= 0 || sb.mean <= 0)
        return r;
    r.ratio = sb.mean / sa.mean;
    r.lo = r.hi = r.ratio;
    if (na < 2 || nb < 2)
        return r;
    double *rs = xmalloc((size_t)iters * sizeof(double));
    uint64_t s = seed;
    for (int i = 0; i < iters; i++) {
        double ma = resample_mean(a, na, &s);
        rs[i] = ma > 0 ? resample_mean(b, nb, &s) / ma : r.ratio;
    }
    /* two order statistics, not a sort: compare runs this for every matched row */
    r.lo = select_kth(rs, (size_t)iters, (size_t)(0.025 * (iters - 1)));
    r.hi = select_kth(rs, (size_t)iters, (size_t)(0.975 * (iters - 1) + 0.5));
    r.valid = 1;
    free(rs);
    return r;
}
