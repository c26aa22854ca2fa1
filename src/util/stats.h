/* Summary statistics of repeated measurements: mean, sample stddev (n-1, as
 * llama-bench), median, min, max and a 95% confidence interval of the mean from
 * Student's t. Pure functions, no allocation visible to the caller. */
#ifndef QB_STATS_H
#define QB_STATS_H

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

/* Summarize x[0..n); n may be 0 (all fields 0). */
struct stats stats_compute(const double *x, size_t n);

/* Two-sided 97.5% quantile of Student's t with df degrees of freedom (df >= 1). */
double stats_t975(size_t df);

#endif
