/* One row of `bench` results: the settings it ran with, the model, build and host
 * it came from, its outcome and every raw sample. Filled by the CLI from worker
 * messages, printed by report/bench_report.c. */
#ifndef QB_BENCH_ROW_H
#define QB_BENCH_ROW_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "../util/exit.h"
#include "../util/stats.h"
#include "../util/util.h"
#include "params.h"

enum bench_status {
    BENCH_STATUS_OK = 0,
    BENCH_STATUS_ERROR,       /* the worker reported a failure (context, decode) */
    BENCH_STATUS_CRASHED,     /* the worker died (signal, abort, OOM kill) */
    BENCH_STATUS_TIMEOUT,     /* the worker overran --timeout and was killed */
    BENCH_STATUS_LOAD_FAILED, /* the model could not be loaded (llama.cpp's cause) */
    BENCH_STATUS_OOM,         /* the worker was killed by the OOM killer or ran out of memory */
    BENCH_STATUS_INTERRUPTED  /* SIGINT / SIGTERM stopped it before it finished */
};

struct bench_row {
    char *model_filename;              /* as given on the command line */
    char model_id[160];                /* size:SHA-256 of first MiB:of last MiB ("" unread) */
    struct engine_model_params mp;     /* load settings */
    struct work_test t;                /* context settings and test */
    struct work_load wl;               /* process settings of the worker (numa, priority) */
    struct engine_model_info model;    /* from the worker (desc, size, params) */
    struct engine_build_info build;    /* llama.cpp build and devices, from the worker */
    char host[128];                    /* host name */
    int host_cpus;                     /* online CPUs */
    uint64_t host_ram;                 /* physical memory, bytes */
    char test_time[32];                /* RFC 3339 UTC start time */
    enum bench_status status;          /* outcome */
    char error[QB_ERR_LEN];            /* reason when status != OK */
    uint64_t load_ns;                  /* model load time of the worker that ran it */
    uint64_t ctx_ns;                   /* context creation time */
    uint64_t warmup_ns;                /* untimed warm-up duration */
    uint64_t depth_ns;                 /* time to fill the depth (0 when restored) */
    int depth_fills;                   /* depth fills this test did (0: cached snapshot) */
    char reps_stop[8];                 /* why repetitions ended: reps, ci, time */
    int n;                             /* samples */
    uint64_t *samples_ns;              /* per repetition total time */
    uint64_t *pp_ns, *tg_ns, *ttft_ns; /* per repetition parts */
    cJSON *mem;                        /* the worker's memory report (owned) or NULL */

    /* the summary, computed once by bench_row_finish; writers only format it */
    bool noisy;                 /* t/s too spread to trust */
    struct stats ts;            /* per-repetition t/s, (n_prompt + n_gen) / sample */
    struct stats pp_ts, tg_ts;  /* the parts' t/s (all 0 for an absent part) */
    double *samples_ts;         /* per-repetition t/s (owned; n entries) */
    uint64_t avg_ns, stddev_ns; /* llama-bench's integer mean / stddev of the samples */
    uint64_t ttft_avg_ns;       /* mean TTFT */
    uint64_t t_pp_ns, t_tg_ns;  /* mean time of the parts */
};

void bench_row_release(struct bench_row *r);
const char *bench_status_name(enum bench_status s); /* static, do not free */
/* The status of a row whose run ended with kind k (util/exit.h); at_load: it failed while
 * the model loaded (an input or runtime failure is then LOAD_FAILED, else ERROR). */
enum bench_status bench_status_of(enum qb_kind k, bool at_load);

/* Once the row holds all its samples: compute its summary (above), and noisy = its t/s
 * fails stats_noisy (the 95% CI half-width above 5% of the mean); every output and the
 * database take them from here. Again after samples were added. */
void bench_row_finish(struct bench_row *r);

/* The test's name as llama-bench prints it: "pp512", "tg128", "pp512+tg128", with
 * " @ d2048" for a depth; into buf */
void bench_test_name(const struct bench_row *r, char *buf, size_t n);

#endif
