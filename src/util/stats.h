/* Summary statistics of repeated measurements: mean, sample stddev (n-1, as
 * llama-bench), median, min, max and a 95% confidence interval of the mean from
 * Student's t. Pure functions, no allocation visible to the caller. */
#ifndef QB_STATS_H
#define QB_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct stats {
    size_t n;      /* number of samples */
    double mean;   /* arithmetic mean */
    double stddev; /* sample standard deviation (n-1); 0 when n < 2 */
    double median; /* middle value, mean of the two middle ones for even n */
    double min;    /* smallest sample */
    double max;    /* largest sample */
    double ci95;   /* half-width of the 95% CI of the mean; 0 when n < 2 */
};

/* numpy.percentile(x, q) with numpy's default "linear" method, on sorted x[0..n): with
 * h = (n - 1) q / 100, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]); 0 for n = 0.
 * Who uses which: load (run/load.c) this one, vllm bench serve's; stats_compute's median is
 * its q = 50; KL-divergence percentiles (measure/kld.c) the same interpolation in float, as
 * llama-perplexity; the bootstrap's interval (below) plain order statistics. */
double stats_percentile_linear(const double *sorted, size_t n, double q);

/* Summarize x[0..n); n may be 0 (all fields 0). */
struct stats stats_compute(const double *x, size_t n);

/* Too spread to be taken as a result: the 95% CI half-width of the mean is above
 * STATS_NOISY_REL of the mean. Needs n >= 2 (one sample says nothing of its spread). */
#define STATS_NOISY_REL 0.05
bool stats_noisy(const struct stats *s);

/* Two-sided 97.5% quantile of Student's t with df degrees of freedom (df >= 1). */
double stats_t975(size_t df);

/* The ratio of two means, b / a, with a 95% confidence interval. */
struct ratio_ci {
    double ratio; /* mean b / mean a */
    double lo;    /* lower bound of the 95% interval */
    double hi;    /* upper bound */
    int valid;    /* 0 when there is too little data for an interval */
};

/* Welch's interval on the log scale: log(b/a) +- t(df) * sqrt(se_a^2/a^2 + se_b^2/b^2),
 * df by Welch-Satterthwaite (rounded down). se_* are standard errors of the means and
 * df_* their degrees of freedom (n - 1); df 0 on either side gives no interval. */
struct ratio_ci stats_ratio_welch(double mean_a, double se_a, double df_a, double mean_b,
                                  double se_b, double df_b);

/* Percentile bootstrap of mean(b) / mean(a): iters resamples of each side with
 * replacement, from a fixed seed (the same input gives the same interval). */
struct ratio_ci stats_ratio_bootstrap(const double *a, size_t na, const double *b, size_t nb,
                                      int iters, unsigned long long seed);

#endif
