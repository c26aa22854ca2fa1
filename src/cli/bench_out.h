/* What a command does with bench_run's rows (run/bench.h): write them (md, csv, json,
 * jsonl, sql; stdout and -oe's stderr), store them in the run's database, say each
 * failure on one line, show progress with an ETA, and count them for the exit code and
 * the noise warning. bench and quantize --bench use it. */
#ifndef QB_BENCH_OUT_H
#define QB_BENCH_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "../report/bench_report.h"
#include "../run/bench.h"

struct bench_out {
    struct bench_report rp, rp_err;
    bool progress;          /* a line before each test */
    int n_failed, n_ok;     /* rows */
    int n_noisy;            /* rows whose t/s is too spread (bench_row_finish) */
    double load_start;      /* load average when the run began (-1 unknown) */
    size_t n_tests, n_done; /* for the progress line */
    uint64_t t_start;
    /* also called with each row, after it is written and stored; may be NULL */
    void (*also)(void *ud, const struct bench_row *row);
    void *also_ud;
};

/* Begin the outputs (BENCH_FMT_NONE: none) for the tests of plan */
void bench_out_begin(struct bench_out *out, const struct bench_plan *plan, bool progress,
                     enum bench_fmt fmt, enum bench_fmt fmt_err, unsigned cols);
/* The sink that feeds out (stops when a row could not be stored) */
struct bench_sink bench_out_sink(struct bench_out *out);
/* End the outputs and warn of noisy rows; the exit code: 0, QB_EXIT_PARTIAL when some
 * rows failed, QB_EXIT_FAIL when all did or stdout could not be written */
int bench_out_end(struct bench_out *out);

#endif
