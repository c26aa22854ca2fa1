/* bench_run's rows written, stored and counted (see bench_out.h). */
#include "bench_out.h"

#include <stdio.h>
#include <string.h>

#include "../store/dbrun.h"
#include "../util/clock.h"
#include "../util/exit.h"
#include "../util/log.h"
#include "../util/procmem.h"
#include "cmd.h"

static void on_row(void *ud, struct bench_row *row)
{
    struct bench_out *st = ud;
    st->n_noisy += row->noisy;
    if (row->status == BENCH_STATUS_OK) {
        st->n_ok++;
    } else if (row->status == BENCH_STATUS_INTERRUPTED) {
        st->n_failed++; /* said once, by main */
    } else {
        st->n_failed++;
        char name[64];
        bench_test_name(row, name, sizeof(name));
        log_error("'%s' %s t=%d: %s: %s", row->model_filename, name, row->t.cp.n_threads,
                  bench_status_name(row->status), row->error);
    }
    st->n_done++;
    bench_report_row(&st->rp, row);
    bench_report_row(&st->rp_err, row);
    cJSON *j = bench_row_json(row);
    dbrun_row("bench", j);
    cJSON_Delete(j);
    if (st->also)
        st->also(st->also_ud, row);
}

static void fmt_duration(double s, char *buf, size_t n)
{
    if (s >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%.0fs", s);
}

/* "[#####.....] 3/12 'm.gguf' pp512 @ d2048 t=2, ETA 1m05s" before each test */
static void on_start(void *ud, const struct bench_row *r)
{
    const struct bench_out *st = ud;
    if (!st->progress)
        return;
    char bar[21], name[64], eta[32] = "?";
    size_t filled = st->n_tests ? 20 * st->n_done / st->n_tests : 0;
    for (size_t i = 0; i < 20; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[20] = '\0';
    bench_test_name(r, name, sizeof(name));
    if (st->n_done > 0) {
        double spent = (double)(monotime_ns() - st->t_start) / 1e9;
        fmt_duration(spent / (double)st->n_done * (double)(st->n_tests - st->n_done), eta,
                     sizeof(eta));
    }
    log_printf("quantbench: [%s] %zu/%zu '%s' %s t=%d, ETA %s\n", bar, st->n_done + 1, st->n_tests,
               r->model_filename, name, r->t.cp.n_threads, eta);
}

void bench_out_begin(struct bench_out *out, const struct bench_plan *plan, bool progress,
                     enum bench_fmt fmt, enum bench_fmt fmt_err, unsigned cols)
{
    memset(out, 0, sizeof(*out));
    out->progress = progress;
    out->t_start = monotime_ns();
    out->load_start = proc_load_average();
    out->n_tests = bench_plan_tests(plan);
    bench_report_begin(&out->rp, stdout, fmt, cols);
    bench_report_begin(&out->rp_err, stderr, fmt_err, cols);
}

struct bench_sink bench_out_sink(struct bench_out *out)
{
    return (struct bench_sink){on_start, on_row, dbrun_stopped_cb, out};
}

int bench_out_end(struct bench_out *out)
{
    bench_report_end(&out->rp);
    bench_report_end(&out->rp_err);
    warn_noisy(out->n_noisy, (int)out->n_done, out->load_start);
    if (fflush(stdout) != 0 || ferror(stdout))
        return error("cannot write results to stdout");
    if (out->n_failed)
        return out->n_ok ? QB_EXIT_PARTIAL : QB_EXIT_FAIL;
    return QB_EXIT_OK;
}
