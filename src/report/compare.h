/* A/B comparison of stored rows: rows of side A and side B are matched on kind, test
 * and settings (model, build and host may differ: that is what is compared); each
 * metric's samples are pooled per side and the ratio B/A gets a 95% interval (Welch
 * on the log scale by default, or a percentile bootstrap over the raw samples).
 * Works on the row objects store_query returns; prints nothing. */
#ifndef QB_COMPARE_H
#define QB_COMPARE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../util/stats.h"

enum compare_method { COMPARE_WELCH, COMPARE_BOOTSTRAP };

/* One measured quantity of a row: per-repetition values, or only a summary */
struct metric {
    const char *name; /* "t/s", "S_PP", "S_TG", "S", "PPL", "n_ctx_max" (static) */
    double *v;        /* per-repetition values (owned), NULL when only a summary */
    int n;            /* repetitions */
    double mean;      /* mean of v, or the stored summary */
    double se;        /* standard error of the mean (0 unknown) */
    double df;        /* degrees of freedom of se (0: no interval possible) */
    bool own_se;      /* se is the measurement's own standard error (PPL), not from n repeats */
};

/* The figure shown after "±" beside a metric's mean: the sample sd of its repetitions; for
 * PPL, one measurement with its own standard error, that error (llama-perplexity's). */
double metric_pm(const struct metric *m);

/* The metrics of one stored row (kind bench, sweep, batched, quality, ctxmax) into out
 * (room for 4); returns the count. Free each metric's v. */
int compare_row_metrics(const char *kind, const cJSON *row, struct metric *out);

struct compare_line {
    char *key;       /* kind|test|settings (owned) */
    char *test;      /* test name (owned) */
    cJSON *settings; /* matched settings (owned) */
    const char *metric;
    struct metric a, b; /* pooled per side */
    struct run_means {
        double *mean; /* the metric's mean in each run (owned) */
        double *id;   /* the run ids */
        int n;        /* runs */
    } runs_a, runs_b;
    bool by_runs;       /* the interval is over run means (>= 2 runs on each side) */
    struct ratio_ci ci; /* ratio b / a */
    bool significant;   /* the interval excludes 1 */
};

struct compare_result {
    struct compare_line *lines;
    int n_lines;
    int only_a, only_b; /* rows without a partner */
};

/* Match the query results (arrays from store_query) of both sides. Repetitions within
 * one run do not see how much a whole run moves (its placement, the machine's state), so:
 * with two or more runs on each side, the interval is Welch's over the run means; else it
 * is over the pooled repetitions with the run-to-run relative sd run_noise (e.g. 0.015)
 * added to each side's variance, divided by its number of runs. */
void compare_run(const cJSON *rows_a, const cJSON *rows_b, enum compare_method method,
                 double run_noise, struct compare_result *out);
void compare_release(struct compare_result *r);

/* Settings that differ between lines (a JSON array of names, the caller frees) */
cJSON *compare_varying(const struct compare_result *r);

#endif
