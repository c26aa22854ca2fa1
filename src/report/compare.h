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
    const char *name; /* "t/s", "S_PP", "S_TG", "S", "PPL", "n_ctx_max", "total_bytes", "TTFT_ms" */
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

/* The metrics of one stored row (kind bench, sweep, batched, quality, ctxmax, mem, load) into out
 * (room for 4); returns the count. Free each metric's v. */
int compare_row_metrics(const char *kind, const cJSON *row, struct metric *out);

struct compare_line {
    char *key;       /* kind|test|settings|metric (owned) */
    char *test;      /* test name (owned) */
    cJSON *settings; /* matched settings (owned) */
    const char *metric;
    struct metric a, b; /* pooled per side */
    struct run_means {
        double *mean; /* the metric's mean in each run (owned) */
        double *id;   /* the run ids */
        int n;        /* runs */
        int cap;      /* room in mean and id */
    } runs_a, runs_b;
    int cap_a, cap_b;   /* room in a.v and b.v */
    int cell;           /* the kind|test|settings this line is a metric of (internal) */
    bool by_runs;       /* the interval is over run means (>= 2 runs on each side) */
    bool fallback;      /* bootstrap asked, fewer than COMPARE_BOOTSTRAP_MIN samples on a
                           side: Welch's interval instead */
    struct ratio_ci ci; /* ratio b / a */
    bool significant;   /* the interval excludes 1 */
};

/* The bootstrap needs this many raw samples on each side (else: Welch's interval) */
#define COMPARE_BOOTSTRAP_MIN 5

/* The run-to-run relative sd assumed where a side has one run, in percent (compare_finish
 * takes it / 100): the sd between fresh runs of the demo model's tests on the dev machine
 * was 1.2-1.9% */
#define COMPARE_RUN_NOISE_PCT 2.0

/* A row without a partner on the other side, and how the closest row there differs */
struct compare_unmatched {
    int side;         /* 0 = A, 1 = B */
    double id;        /* the row's id */
    double run_id;    /* its run */
    const char *kind; /* (points into a cell's key; valid until compare_release) */
    const char *test; /* likewise */
    cJSON *differs;   /* [{"setting", "value", "other"}] against the closest row of the
                         other side with the same kind and test (borrowed from the cell;
                         value or other null where a row lacks the setting); empty when
                         the other side has no row of this kind and test */
};

struct compare_result {
    struct compare_line *lines;
    int n_lines;
    int only_a, only_b;                  /* rows without a partner */
    int n_fallback;                      /* lines that fell back from bootstrap to Welch */
    struct compare_unmatched *unmatched; /* those rows, when asked (compare_begin) */
    int n_unmatched;
    struct compare_state *st; /* matching state (internal) */
};

/* Streaming: compare_begin, then compare_add for every row of either side (objects as
 * store_query returns them, borrowed; A's rows first keeps A's order in the output),
 * then compare_finish. Memory grows with the distinct tests and settings and the
 * samples, not with the rows. list_unmatched keeps the unmatched rows' ids. */
void compare_begin(struct compare_result *out, bool list_unmatched);
void compare_add(struct compare_result *r, int side, const cJSON *res);

/* One side's rows straight from a query into the comparison: compare_feed_row is a
 * store_query_each callback (ctx a struct compare_feed) that adds the row to r's side,
 * counts it and frees it */
struct compare_feed {
    struct compare_result *r;
    int side;
    int n; /* rows seen */
};
int compare_feed_row(cJSON *res, void *ctx);
/* Repetitions within one run do not see how much a whole run moves (its placement, the
 * machine's state), so: with two or more runs on each side, the interval is Welch's over
 * the run means; else it is over the pooled repetitions with the run-to-run relative sd
 * run_noise (e.g. 0.015) added to each side's variance, divided by its number of runs. */
void compare_finish(struct compare_result *r, enum compare_method method, double run_noise);

/* All of it for two arrays from store_query */
void compare_run(const cJSON *rows_a, const cJSON *rows_b, enum compare_method method,
                 double run_noise, struct compare_result *out);
void compare_release(struct compare_result *r);

/* Settings that differ between lines (a JSON array of names, the caller frees) */
cJSON *compare_varying(const struct compare_result *r);

#endif
