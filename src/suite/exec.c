/* Running a suite: see exec.h. The ladder, the plan, the cells through run/'s measurement
 * functions, their rows and events into the store, the status line and its ETA. */
#include "exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../gguf/gguf.h"
#include "../record/bench_row.h"
#include "../record/fields.h"
#include "../record/memsum.h"
#include "../report/bench_report.h"
#include "../run/batched.h"
#include "../run/bench.h"
#include "../run/corpus.h"
#include "../run/ctxmax.h"
#include "../run/mem.h"
#include "../run/prompts.h"
#include "../run/quality.h"
#include "../run/quantize.h"
#include "../run/sweep.h"
#include "../store/store.h"
#include "../util/clock.h"
#include "../util/exit.h"
#include "../util/log.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/strmap.h"
#include "../util/util.h"
#include "eta.h"

static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* ---------------------------------------------------------------- the ladder */

int suite_make_ladder(const struct suite *s, const struct suite_opts *o, bool *made, char *err)
{
    (void)err;
    const struct suite_ladder *l = &s->ladder;
    *made = false;
    if (!s->has_ladder)
        return 0;
    if (mkdir(l->dir, 0777) < 0 && access(l->dir, W_OK) < 0) {
        set_err(err, "%s: ladder directory '%s' cannot be made or written", s->file, l->dir);
        return QB_EXIT_INPUT;
    }
    int failed = 0;
    for (int i = 0; i < l->n_types && !sig_caught(); i++) {
        char path[PATH_MAX], e[QB_ERR_LEN];
        suite_rung_path(l, i, path, sizeof(path));
        long long n_layer;
        if (access(path, F_OK) == 0 && check_model_file(path, &n_layer, e) == 0)
            continue; /* made by an earlier run: renamed into place whole */
        log_printf("quantbench: run: quantizing '%s' to %s\n", l->source, l->types[i]);
        struct quantize_params qp = {.in = l->source,
                                     .out = path,
                                     .ftype = l->ftypes[i],
                                     .threads = (int)sysconf(_SC_NPROCESSORS_ONLN),
                                     .imatrix = l->imatrix,
                                     .verbose = o->verbose,
                                     .timeout_s = o->timeout_s};
        struct quantize_result qr;
        uint64_t t0 = monotime_ns();
        if (run_quantize(&qp, &qr, e) < 0) {
            log_printf("quantbench: run: rung %s could not be made: %s; its cells are left out\n",
                       l->types[i], e);
            failed++;
            continue;
        }
        *made = true;
        log_printf("quantbench: run: made '%s' in %.1f s\n", path, (monotime_ns() - t0) / 1e9);
    }
    if (sig_caught()) {
        set_err(err, "interrupted while making the ladder");
        return sig_exit_code();
    }
    return failed ? QB_EXIT_PARTIAL : 0;
}

/* ---------------------------------------------------------------- state */

struct run_state {
    const struct suite *s;
    const struct suite_cells *cells;
    struct store *st;
    int64_t run_id;
    const struct suite_opts *o;
    struct suite_result *res;
    bool *todo;             /* to measure in this run (the plan) */
    bool *pending;          /* ... and not measured or reused yet */
    bool *retried_by_other; /* another run held its claim (its result then counts) */
    bool *loaded;           /* a model's file was loaded in this run (its page cache is warm) */
    struct eta_cell *ec;
    struct eta eta;
    int n_todo, n_done; /* cells to run in this run, and run so far */
    uint64_t t0;        /* the run's start (monotonic) */
    int cur;            /* the cell running, -1 none */
    uint64_t cur_t0;
    double cur_started; /* unix time */
    bool tty;
    bool line;    /* a status line is on the terminal */
    bool stopped; /* a write failed: run nothing further */
    char err[QB_ERR_LEN];
};

static void fmt_dur(double s, char *buf, size_t n)
{
    if (s < 0) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* Seconds the run has left (eta.h), or -1 when nothing yet gives an estimate */
static double eta_now(struct run_state *r)
{
    double cur_el = r->cur >= 0 ? (monotime_ns() - r->cur_t0) / 1e9 : 0;
    return eta_left(&r->eta, r->cur, cur_el);
}

/* The run's clock in an event's payload: elapsed_s, and eta_s (null: no estimate yet), so
 * a dashboard opened at any time shows the same ETA as the status line */
static void add_clock(struct run_state *r, cJSON *p)
{
    cJSON_AddNumberToObject(p, "elapsed_s", (monotime_ns() - r->t0) / 1e9);
    double left = eta_now(r);
    if (left < 0)
        cJSON_AddNullToObject(p, "eta_s");
    else
        cJSON_AddNumberToObject(p, "eta_s", left);
}

static void event(struct run_state *r, int cell, const char *kind, cJSON *payload);

/* the status line (a terminal) or a plain line (otherwise; only when say); a said line
 * is also a "log" event (the dashboard's log tail) */
static void status(struct run_state *r, const char *what, bool say)
{
    if (r->o->progress == PROGRESS_OFF && !(say && r->st))
        return;
    double el = (monotime_ns() - r->t0) / 1e9;
    char e1[32], e2[32];
    fmt_dur(el, e1, sizeof(e1));
    fmt_dur(eta_now(r), e2, sizeof(e2));
    const struct suite_cell *c = r->cur >= 0 ? &r->cells->c[r->cur] : NULL;
    if (say) { /* the event keeps the raw text: its reader escapes for where it shows it */
        cJSON *p = cJSON_CreateObject();
        char head[64];
        snprintf(head, sizeof(head), "cell %d/%d", r->n_done + (c ? 1 : 0), r->n_todo);
        cJSON_AddStringToObject(p, "cell", head);
        cJSON_AddStringToObject(p, "model", c ? base_name(r->s->models[c->model].path) : "");
        cJSON_AddStringToObject(p, "test", c ? c->name : "");
        cJSON_AddStringToObject(p, "text", what);
        add_clock(r, p);
        event(r, c ? c->idx : -1, "log", p);
    }
    if (r->o->progress == PROGRESS_OFF)
        return;
    /* names and reasons come from files and workers: escaped for the terminal */
    char *model = c ? str_escape(base_name(r->s->models[c->model].path), 0) : NULL;
    char *name = c ? str_escape(c->name, 0) : NULL, *w = str_escape(what, 0);
    char line[1024];
    snprintf(line, sizeof(line), "quantbench: run: cell %d/%d %s %s%s%s  elapsed %s  ETA %s",
             r->n_done + (c ? 1 : 0), r->n_todo, model ? model : "", name ? name : "",
             w[0] ? "  " : "", w, e1, e2);
    free(model);
    free(name);
    free(w);
    if (r->tty) {
        fprintf(stderr, "\r\033[K%.*s", 160, line);
        r->line = true;
    } else if (say) {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

static void status_clear(struct run_state *r)
{
    if (r->tty && r->line) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    r->line = false;
}

/* one event; a write that fails stops the run (the database cannot be written) */
static void event(struct run_state *r, int cell, const char *kind, cJSON *payload)
{
    if (r->st && !r->stopped) {
        char e[QB_ERR_LEN];
        if (store_add_event(r->st, r->run_id, cell, kind, payload, e) < 0) {
            snprintf(r->err, sizeof(r->err), "an event could not be stored: %.800s", e);
            r->stopped = true;
        }
    }
    cJSON_Delete(payload);
}

static void cell_start(struct run_state *r, int i)
{
    const struct suite_cell *c = &r->cells->c[i];
    r->cur = i;
    r->cur_t0 = monotime_ns();
    r->cur_started = unix_now();
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "model", r->s->models[c->model].path);
    cJSON_AddStringToObject(p, "test", c->name);
    cJSON_AddStringToObject(p, "key", c->key);
    cJSON_AddNumberToObject(p, "n", r->n_done + 1);
    cJSON_AddNumberToObject(p, "of", r->n_todo);
    add_clock(r, p);
    event(r, c->idx, "cell_started", p);
    status(r, "", true);
}

static void cell_units(struct run_state *r, long done, long total, const char *unit)
{
    if (r->cur < 0)
        return;
    char what[64];
    snprintf(what, sizeof(what), "%ld/%ld %s", done, total, unit);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "done", (double)done);
    cJSON_AddNumberToObject(p, "total", (double)total);
    cJSON_AddStringToObject(p, "unit", unit);
    event(r, r->cells->c[r->cur].idx, "cell_progress", p);
    status(r, what, false);
}

/* The cell in flight ended: its rows stored with it, or (interrupted) nothing stored.
 * figures: what the event and the line show (owned, may be NULL). */
static void cell_end(struct run_state *r, const char *status_name, const char *reason,
                     const char *const *kinds, const cJSON *const *rows, int n, cJSON *figures)
{
    const struct suite_cell *c = &r->cells->c[r->cur];
    double took = (monotime_ns() - r->cur_t0) / 1e9;
    bool ok = !strcmp(status_name, "ok");
    bool interrupted = !strcmp(status_name, "interrupted") || sig_caught();
    if (interrupted) { /* not a result: the next run measures it again */
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "duration_s", took);
        event(r, c->idx, "cell_interrupted", p);
        cJSON_Delete(figures);
        r->res->interrupted = true;
        r->cur = -1;
        return;
    }
    /* the key names the model's content as it was when the run began: a file replaced
     * since gave rows of another model, which must not be stored under this key */
    char now_id[160], e0[QB_ERR_LEN];
    bool changed = r->cells->model_id && r->cells->model_id[c->model][0] &&
                   (file_quick_id(r->s->models[c->model].path, now_id, e0) < 0 ||
                    strcmp(now_id, r->cells->model_id[c->model]) != 0);
    if (changed) {
        status_name = "error";
        ok = false;
        reason = "the model file changed during the run: this cell is not stored (run again)";
    }
    if (r->st && !r->stopped && !changed) {
        struct store_cell sc = {.key = c->key,
                                .model = r->s->models[c->model].path,
                                .test = c->name,
                                .settings = NULL,
                                .status = status_name,
                                .reason = reason ? reason : "",
                                .stderr_tail = ok || !reason ? "" : reason,
                                .started = r->cur_started,
                                .ended = unix_now()};
        char *settings = cJSON_PrintUnformatted(c->settings);
        sc.settings = settings;
        char e[QB_ERR_LEN];
        if (store_add_cell(r->st, r->run_id, &sc, kinds, rows, n, NULL, e) < 0) {
            snprintf(r->err, sizeof(r->err), "cell %d (%s) could not be stored: %.800s", c->idx + 1,
                     c->name, e);
            r->stopped = true;
        }
        free(settings);
    }
    if (r->st) {
        char e[QB_ERR_LEN];
        store_release_claims(r->st, r->run_id, c->key, e); /* stored now: no one waits */
    }
    eta_done(&r->eta, r->cur, took);
    r->res->n_run++;
    if (ok)
        r->res->n_ok++;
    else
        r->res->n_failed++;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "status", status_name);
    cJSON_AddNumberToObject(p, "duration_s", took);
    if (!ok)
        cJSON_AddStringToObject(p, "reason", reason ? reason : "");
    char fig[160] = "";
    if (figures) {
        for (const cJSON *it = figures->child; it; it = it->next) {
            size_t u = strlen(fig);
            if (cJSON_IsNumber(it))
                snprintf(fig + u, sizeof(fig) - u, "%s%s %.4g", u ? ", " : "", it->string,
                         it->valuedouble);
        }
        cJSON_AddItemToObject(p, "figures", figures);
    }
    add_clock(r, p);
    event(r, c->idx, ok ? "cell_finished" : "cell_failed", p);
    char what[QB_ERR_LEN + 200];
    char d[32];
    fmt_dur(took, d, sizeof(d));
    if (ok)
        snprintf(what, sizeof(what), "ok in %s%s%s", d, fig[0] ? ": " : "", fig);
    else
        snprintf(what, sizeof(what), "%s after %s: %s", status_name, d, reason ? reason : "");
    status(r, what, true);
    r->n_done++;
    if (!ok && r->tty) { /* a failure stays on the terminal */
        status_clear(r);
        char *m = str_escape(base_name(r->s->models[c->model].path), 0);
        log_printf("quantbench: run: cell %d %s %s %s\n", c->idx + 1, m, c->name, what);
        free(m);
    }
    r->cur = -1;
}

/* Whether this process measures pending cell i now. Another run of the same suite on this
 * database may have stored it since the plan was made (it is reused, not measured twice),
 * or be measuring it (it stays pending: the run comes back to it). --fresh measures what
 * is stored, but still never a cell another run is measuring. */
static bool take(struct run_state *r, int i)
{
    if (!r->st)
        return true;
    char status[32], e[QB_ERR_LEN];
    double d;
    if (!r->o->fresh &&
        store_find_cell(r->st, r->cells->c[i].key, status, sizeof(status), &d, e) == 1 &&
        (!r->o->retry_failed || !strcmp(status, "ok") || r->retried_by_other[i])) {
        r->pending[i] = false;
        r->ec[i].skip = true;
        r->res->n_reused++;
        return false;
    }
    int got = store_claim_cell(r->st, r->cells->c[i].key, r->run_id, e);
    if (got < 0) {
        snprintf(r->err, sizeof(r->err), "cell %d could not be claimed: %.800s", i + 1, e);
        r->stopped = true;
        return false;
    }
    if (got == 0) { /* another run measures it now; with --retry-failed its result counts */
        r->retried_by_other[i] = true;
        return false;
    }
    r->pending[i] = false;
    return true;
}

/* ---------------------------------------------------------------- bench */

struct bench_ud {
    struct run_state *r;
    const int *cell; /* the plan cell of each test, in order */
    int next;        /* the test bench_run hands next */
    bool cold;       /* the worker's load read the file from the disk */
};

static void bench_start(void *ud, const struct bench_row *row)
{
    (void)row;
    struct bench_ud *b = ud;
    cell_start(b->r, b->cell[b->next]);
}

static void bench_row_cb(void *ud, struct bench_row *row)
{
    struct bench_ud *b = ud;
    struct run_state *r = b->r;
    if (r->cur != b->cell[b->next]) /* a test that failed before it started */
        cell_start(r, b->cell[b->next]);
    b->next++;
    cJSON *j = bench_row_json(row);
    cJSON_AddBoolToObject(j, "load_cold", b->cold); /* the suite's: see run_bench_cells */
    const char *kind = "bench";
    const cJSON *rows[] = {j};
    cJSON *fig = cJSON_CreateObject();
    if (row->status == BENCH_STATUS_OK) {
        if (row->t.pt.n_prompt && row->t.pt.n_gen) {
            cJSON_AddNumberToObject(fig, "pp t/s", row->pp_ts.mean);
            cJSON_AddNumberToObject(fig, "tg t/s", row->tg_ts.mean);
        } else {
            cJSON_AddNumberToObject(fig, "t/s", row->ts.mean);
        }
    }
    cell_end(r, bench_status_name(row->status), row->status == BENCH_STATUS_OK ? NULL : row->error,
             &kind, rows, 1, fig);
    cJSON_Delete(j);
}

static bool bench_stop(void *ud)
{
    struct bench_ud *b = ud;
    return b->r->stopped || sig_caught();
}

/* the bench cells from..to-1 that need running (one model, one load) in one worker */
static void run_bench_cells(struct run_state *r, int from, int to)
{
    const struct suite_cell *first = &r->cells->c[from];
    struct bench_plan p = {0};
    p.procs = 1;
    p.verbose = r->o->verbose;
    p.timeout_s = r->o->timeout_s;
    struct bench_group *g = bench_plan_group(&p, r->s->models[first->model].path, &first->mp);
    int *cell = xcalloc((size_t)(to - from), sizeof(int));
    int n = 0;
    for (int i = from; i < to && !r->stopped; i++) {
        if (!r->pending[i] || !take(r, i))
            continue;
        const struct suite_cell *c = &r->cells->c[i];
        const struct suite_test *t = &r->s->tests[c->test];
        struct work_test w;
        bench_test_init(&w);
        w.cp = c->cp;
        w.cp.n_threads_batch = w.pt.n_threads = w.cp.n_threads;
        w.pt.n_batch = (int)w.cp.n_batch;
        w.pt.reps = t->reps;
        w.pt.no_warmup = t->no_warmup;
        w.pt.n_depth = c->depth;
        bench_group_add(g, &w, c->pp, c->tg);
        cell[n++] = i;
    }
    /* the first load of a model in this run reads it from the disk (evicted from the page
     * cache), the later ones from memory: the table's cold and warm load times */
    bool cold = false;
    if (n && !r->loaded[first->model])
        cold = file_evict(r->s->models[first->model].path) == 0;
    r->loaded[first->model] = true;
    struct bench_ud b = {r, cell, 0, cold};
    struct bench_sink sink = {bench_start, bench_row_cb, bench_stop, &b};
    if (n)
        bench_run(&p, &sink);
    if (r->cur >= 0) /* stopped inside a test */
        cell_end(r, "interrupted", NULL, NULL, NULL, 0, NULL);
    bench_plan_free(&p);
    free(cell);
}

/* ---------------------------------------------------------------- mem, quality */

static void mem_cell(struct run_state *r, int i)
{
    const struct suite_cell *c = &r->cells->c[i];
    const struct suite_test *t = &r->s->tests[c->test];
    cell_start(r, i);
    struct mem_run_params p;
    mem_run_params_init(&p);
    const char *model = r->s->models[c->model].path;
    p.model = model;
    p.mp = c->mp;
    p.cp = c->cp;
    p.verbose = r->o->verbose;
    p.timeout_s = r->o->timeout_s;
    struct mem_run_want w = {.dry = false, .measure = t->measure, .fill = t->fill, .budget = 0};
    struct mem_model m;
    memset(&m, 0, sizeof(m));
    char e[QB_ERR_LEN] = "";
    const char *models[] = {model};
    /* partial: the estimate is there, the measurement failed (its status and reason) */
    int rc = mem_run(&p, models, 1, &w, NULL, &m, e);
    bool estimated = rc == 0 || rc == QB_EXIT_PARTIAL;
    cJSON *row = estimated ? mem_model_row_json(&p, &m) : NULL;
    const char *st = "ok", *why = NULL;
    if (!estimated) {
        st = "error";
        why = e[0] ? e : "the estimate failed";
    } else if (t->measure && !m.have_meas) {
        st = bench_status_name(m.meas_status == BENCH_STATUS_OK ? BENCH_STATUS_ERROR
                                                                : m.meas_status);
        why = m.meas_err[0] ? m.meas_err : "the measurement failed";
    }
    cJSON *fig = cJSON_CreateObject();
    if (m.have_meas)
        cJSON_AddNumberToObject(fig, "peak RSS MiB", m.meas.rss_peak / 1048576.0);
    const char *kind = "mem";
    const cJSON *rows[] = {row};
    cell_end(r, st, why, &kind, rows, row ? 1 : 0, fig);
    cJSON_Delete(row);
    mem_model_release(&m);
}

struct quality_ud {
    struct run_state *r;
    const struct suite_cell *c;
    cJSON *row;
    double ppl;
};

static void quality_row_cb(const struct quality_row *qr, void *ud)
{
    struct quality_ud *q = ud;
    q->row = quality_row_new(qr, 1);
    q->ppl = qr->ppl;
}

static void quality_units(long done, long total, void *ud)
{
    cell_units(ud, done, total, "chunks");
}

/* The base model's log-probabilities for a KL-divergence cell: a file kept in the cache
 * (~/.cache/quantbench/bases, $QB_BASE_DIR) under the cell's base, text and chunking, made
 * by the base model's own quality run the first time (the worker writes it beside and
 * renames it into place: a kill leaves none half-written). NULL with err. */
static char *base_file(struct run_state *r, const struct suite_cell *c, const char *text,
                       const struct quality_params *qp, enum qb_kind *kind, char *err)
{
    const struct suite_test *t = &r->s->tests[c->test];
    char bid[160], tid[160];
    *kind = QB_KIND_INPUT;
    if (file_quick_id(t->base, bid, err) < 0 || file_quick_id(text, tid, err) < 0)
        return NULL;
    char *id = xasprintf("%s|%s|%u|%d|%s", bid, tid, qp->cp.n_ctx, qp->n_chunks, r->o->build);
    struct sha256 h;
    uint8_t d[32];
    char hex[65];
    sha256_init(&h);
    sha256_update(&h, id, strlen(id));
    sha256_final(&h, d);
    sha256_hex(d, hex);
    free(id);
    const char *env = getenv("QB_BASE_DIR"), *home = getenv("HOME");
    char *dir = env && env[0]
                    ? xstrdup(env)
                    : xasprintf("%s/.cache/quantbench/bases", home && home[0] ? home : "/tmp");
    if (mkdir_p(dir) < 0) {
        set_err(err, "cannot make '%s': %s", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    char *path = xasprintf("%s/%.32s.bin", dir, hex);
    free(dir);
    if (access(path, F_OK) == 0) {
        *kind = QB_KIND_OK;
        return path;
    }
    cell_units(r, 0, 1, "base log-probabilities");
    struct quality_params bp = *qp;
    bp.model = t->base;
    bp.mode = WORK_PPL_SAVE_BASE;
    bp.text = text;
    bp.base = path;
    bp.topk = 0;
    struct quality_sink sink = {NULL, NULL, NULL, NULL};
    *kind = quality_run(&bp, &sink, err);
    if (*kind != QB_KIND_OK) {
        char e2[QB_ERR_LEN];
        snprintf(e2, sizeof(e2), "the base model's log-probabilities: %.900s", err);
        snprintf(err, QB_ERR_LEN, "%s", e2);
        free(path);
        return NULL;
    }
    return path;
}

static void quality_cell(struct run_state *r, int i)
{
    const struct suite_cell *c = &r->cells->c[i];
    const struct suite_test *t = &r->s->tests[c->test];
    cell_start(r, i);
    char e[QB_ERR_LEN] = "";
    char *path = t->file ? xstrdup(t->file) : corpus_path(t->corpus, e);
    struct quality_ud q = {r, c, NULL, 0};
    enum qb_kind kind = QB_KIND_INPUT;
    if (path) {
        struct engine_ctx_params cp = c->cp;
        if (cp.n_ubatch > cp.n_batch)
            cp.n_ubatch = cp.n_batch;
        struct quality_params p = {.model = r->s->models[c->model].path,
                                   .mp = c->mp,
                                   .cp = cp,
                                   .mode = WORK_PPL_PLAIN,
                                   .text = path,
                                   .corpus = t->file ? NULL : t->corpus,
                                   .n_chunks = t->chunks > 0 ? t->chunks : -1,
                                   .seed = 1,
                                   .verbose = r->o->verbose,
                                   .timeout_s = r->o->timeout_s};
        char *base = NULL;
        kind = QB_KIND_OK;
        if (t->base && (base = base_file(r, c, path, &p, &kind, e)) != NULL) {
            p.mode = WORK_PPL_KLD;
            p.base = base;
            p.text = NULL;
            kind = quality_check_base(base, p.model, NULL, e);
        }
        if (kind == QB_KIND_OK && !sig_caught()) {
            struct quality_sink sink = {quality_row_cb, &q, quality_units, r};
            kind = quality_run(&p, &sink, e);
        } else if (sig_caught()) {
            kind = QB_KIND_INTERRUPTED;
        }
        free(base);
    }
    free(path);
    cJSON *fig = cJSON_CreateObject();
    if (q.row && kind == QB_KIND_OK) {
        cJSON_AddNumberToObject(fig, "ppl", q.ppl);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(q.row, "kld");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(k, "kld");
        if (cJSON_IsNumber(m))
            cJSON_AddNumberToObject(fig, "kld", m->valuedouble);
    }
    const char *k = "quality";
    const cJSON *rows[] = {q.row};
    const char *st = kind == QB_KIND_OK ? "ok"
                     : kind == QB_KIND_INTERRUPTED
                         ? "interrupted"
                         : bench_status_name(bench_status_of(kind, false));
    cell_end(r, st, kind == QB_KIND_OK ? NULL : e, &k, rows, q.row && kind == QB_KIND_OK ? 1 : 0,
             fig);
    cJSON_Delete(q.row);
}

/* ---------------------------------------------------------------- sweep, batched, ctxmax */

/* the rows of a cell with several (sweep's depths, batched's combinations) */
struct rows {
    cJSON **v;
    const char **kinds;
    int n;
    enum bench_status status; /* the first failure's, OK when none */
    char why[QB_ERR_LEN];
};

static void rows_add(struct rows *r, const char *kind, cJSON *row, enum bench_status st,
                     const char *why)
{
    r->v = xrealloc(r->v, (size_t)(r->n + 1) * sizeof(*r->v));
    r->kinds = xrealloc(r->kinds, (size_t)(r->n + 1) * sizeof(*r->kinds));
    r->v[r->n] = row;
    r->kinds[r->n++] = kind;
    if (st != BENCH_STATUS_OK && r->status == BENCH_STATUS_OK) {
        r->status = st;
        snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
    }
}

/* the cell ends with its rows; failed rows are kept as rows, the cell takes the first
 * failure's status */
static void rows_end(struct run_state *r, struct rows *rs, cJSON *fig)
{
    cell_end(r, bench_status_name(rs->status), rs->status == BENCH_STATUS_OK ? NULL : rs->why,
             rs->kinds, (const cJSON *const *)rs->v, rs->n, fig);
    for (int i = 0; i < rs->n; i++)
        cJSON_Delete(rs->v[i]);
    free(rs->v);
    free(rs->kinds);
}

struct sweep_ud {
    struct run_state *r;
    struct sweep_row_args args;
    struct rows rows;
};

static void sweep_units_cb(void *ud, long done, long total)
{
    struct sweep_ud *u = ud;
    cell_units(u->r, done, total, "depths");
}

static void sweep_point_cb(void *ud, const struct runner *rn, const struct sweep_point *pt,
                           const cJSON *mem, enum bench_status status, const char *err)
{
    struct sweep_ud *u = ud;
    cJSON *row = sweep_row_json(&u->args, rn, pt, mem, bench_status_name(status), err);
    rows_add(&u->rows, "sweep", row, status, err);
}

/* a run function's stop callback; ud: a struct whose first member is the run state */
static bool run_stop(void *ud)
{
    struct run_state *r = *(struct run_state **)ud;
    return r->stopped || sig_caught();
}

static void sweep_cell(struct run_state *r, int i)
{
    const struct suite_cell *c = &r->cells->c[i];
    const struct suite_test *t = &r->s->tests[c->test];
    cell_start(r, i);
    struct sweep_params sp = {.n_gen = t->sweep_n ? t->sweep_n : (int)c->cp.n_ubatch / 4,
                              .reps = t->reps,
                              .stride = 1,
                              .no_warmup = t->no_warmup,
                              .seed = 1};
    struct run_load ld = {
        r->s->models[c->model].path, c->mp, {0, 0}, r->o->verbose, r->o->timeout_s};
    struct sweep_ud u = {r, {&c->mp, &c->cp, &sp, 0}, {0}};
    struct sweep_sink sink = {sweep_units_cb, sweep_point_cb, run_stop, &u};
    int n_points;
    enum bench_status status;
    char e[QB_ERR_LEN] = "";
    if (run_sweep(&ld, &c->cp, &sp, &sink, &u.args.wall_ns, &n_points, &status, e) < 0 &&
        u.rows.status == BENCH_STATUS_OK) {
        u.rows.status = status == BENCH_STATUS_OK ? BENCH_STATUS_ERROR : status;
        snprintf(u.rows.why, sizeof(u.rows.why), "%s", e);
    }
    /* every row carries the whole sweep's wall time, known at its end */
    for (int k = 0; k < u.rows.n; k++)
        cJSON_ReplaceItemInObject(u.rows.v[k], "sweep_wall_ns",
                                  cJSON_CreateNumber((double)u.args.wall_ns));
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "depths", n_points);
    rows_end(r, &u.rows, fig);
}

struct batched_ud {
    struct run_state *r;
    const struct suite_cell *c;
    struct rows rows;
    long done, total;
};

static void batched_row_cb(void *ud, const struct runner *rn, const struct batched_params *bp,
                           const struct batched_result *res, const cJSON *mem,
                           enum bench_status status, const char *err)
{
    struct batched_ud *u = ud;
    cJSON *row =
        batched_row_json(&u->c->mp, &u->c->cp, rn, bp, res, mem, bench_status_name(status), err);
    rows_add(&u->rows, "batched", row, status, err);
    cell_units(u->r, ++u->done, u->total, "combinations");
}

static void batched_cell(struct run_state *r, int i)
{
    const struct suite_cell *c = &r->cells->c[i];
    const struct suite_test *t = &r->s->tests[c->test];
    cell_start(r, i);
    struct run_load ld = {
        r->s->models[c->model].path, c->mp, {0, 0}, r->o->verbose, r->o->timeout_s};
    struct batched_grid g = {
        t->npp,
        t->ntg,
        t->npl,
        (size_t)t->n_npp,
        (size_t)t->n_ntg,
        (size_t)t->n_npl,
        {.shared = t->shared, .reps = t->reps, .no_warmup = t->no_warmup, .seed = 1}};
    struct batched_ud u = {r, c, {0}, 0, (long)t->n_npp * t->n_ntg * t->n_npl};
    struct batched_sink sink = {batched_row_cb, run_stop, &u};
    run_batched(&ld, &c->cp, &g, &sink);
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "combinations", u.rows.n);
    rows_end(r, &u.rows, fig);
}

static void ctxmax_probe_cb(int k, const struct ctxmax_probe *p, int done, int total, void *ud)
{
    (void)k;
    (void)p;
    cell_units(ud, done, total, "probes");
}

static void ctxmax_cell(struct run_state *r, int i)
{
    const struct suite_cell *c = &r->cells->c[i];
    const struct suite_test *t = &r->s->tests[c->test];
    cell_start(r, i);
    struct ctxmax_params cp = {.step = t->step, .max = t->max, .budget = 0};
    mem_run_params_init(&cp.run);
    const char *model = r->s->models[c->model].path;
    cp.run.mp = c->mp;
    cp.run.cp = c->cp;
    cp.run.verbose = r->o->verbose;
    cp.run.timeout_s = r->o->timeout_s;
    struct ctxmax_events ev = {.on_probe = ctxmax_probe_cb, .ud = r};
    struct ctxmax_model cm;
    memset(&cm, 0, sizeof(cm));
    int n_run = 0;
    char e[QB_ERR_LEN] = "";
    const char *models[] = {model};
    int rc = ctxmax_run(&cp, models, 1, &ev, &cm, &n_run, e);
    cJSON *row = rc == 0 && n_run == 1 ? ctxmax_row_json(&cp, model, &cm) : NULL;
    const char *st = row && cm.answer > 0 ? "ok" : cm.interrupted ? "interrupted" : "error";
    const char *why = st[0] == 'o' ? NULL : e[0] ? e : "no context ran";
    cJSON *fig = cJSON_CreateObject();
    if (row)
        cJSON_AddNumberToObject(fig, "n_ctx_max", cm.answer);
    const char *kind = "ctxmax";
    const cJSON *rows[] = {row};
    cell_end(r, st, why, &kind, rows, row ? 1 : 0, fig);
    cJSON_Delete(row);
    ctxmax_model_release(&cm);
}

/* ---------------------------------------------------------------- prompts */

struct prompts_ud {
    struct run_state *r;
    struct rows rows;
    double score;
    int n_graded;
    char tokens[2048]; /* an answer's text since the last token event */
    long n_tok;        /* its tokens so far */
    uint64_t flushed;  /* when the last token event went out */
    int item;
};

/* an answer's tokens go out as events (the dashboard shows them live), a few at a time */
static void tokens_flush(struct prompts_ud *u)
{
    if (!u->tokens[0] || u->r->cur < 0)
        return;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "item", u->item);
    cJSON_AddNumberToObject(p, "n", (double)u->n_tok);
    cJSON_AddStringToObject(p, "text", u->tokens);
    event(u->r, u->r->cells->c[u->r->cur].idx, "tokens", p);
    u->tokens[0] = '\0';
    u->flushed = monotime_ns();
}

static void prompts_start_cb(void *ud, int index)
{
    struct prompts_ud *u = ud;
    u->item = index;
    u->n_tok = 0;
    u->tokens[0] = '\0';
    u->flushed = monotime_ns();
    cell_units(u->r, index, u->r->s->tests[u->r->cells->c[u->r->cur].test].set.n, "prompts");
}

static void prompts_token_cb(void *ud, int index, long n, const char *text)
{
    struct prompts_ud *u = ud;
    (void)index;
    u->n_tok = n;
    size_t have = strlen(u->tokens), add = strlen(text);
    if (have + add + 1 > sizeof(u->tokens)) {
        tokens_flush(u);
        have = 0;
    }
    if (add < sizeof(u->tokens))
        memcpy(u->tokens + have, text, add + 1);
    if (monotime_ns() - u->flushed > 250000000ull) /* a quarter of a second */
        tokens_flush(u);
}

static void prompts_answer_cb(void *ud, const struct prompts_answer *a)
{
    struct prompts_ud *u = ud;
    tokens_flush(u);
    cJSON *row = prompts_row_json(a);
    const cJSON *gs = cJSON_GetObjectItemCaseSensitive(row, "grade_score");
    if (cJSON_IsNumber(gs)) {
        u->score += gs->valuedouble;
        u->n_graded++;
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "id", a->item->id);
    cJSON_AddStringToObject(p, "status", bench_status_name(a->status));
    cJSON_AddNumberToObject(p, "ttft_ms", a->ttft_ms);
    cJSON_AddNumberToObject(p, "gen_tps", a->gen_tps);
    cJSON_AddItemToObject(p, "grade",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(row, "grade"), 1));
    event(u->r, u->r->cells->c[u->r->cur].idx, "answer", p);
    rows_add(&u->rows, "prompts", row, a->status, a->error);
}

static void prompts_cell(struct run_state *r, int i)
{
    const struct suite_cell *c = &r->cells->c[i];
    const struct suite_test *t = &r->s->tests[c->test];
    cell_start(r, i);
    struct prompts_item *items = xcalloc((size_t)(t->set.n ? t->set.n : 1), sizeof(*items));
    for (int k = 0; k < t->set.n; k++)
        items[k] = (struct prompts_item){t->set.items[k].id, t->set.items[k].category,
                                         t->set.items[k].system, t->set.items[k].prompt,
                                         t->set.items[k].grader};
    struct prompts_params p;
    memset(&p, 0, sizeof(p));
    p.ld = (struct run_load){
        r->s->models[c->model].path, c->mp, {0, 0}, r->o->verbose, r->o->timeout_s};
    p.cp = c->cp;
    if (p.cp.n_ubatch > p.cp.n_batch)
        p.cp.n_ubatch = p.cp.n_batch;
    p.gen = t->gen;
    p.system = t->system;
    p.set = t->set.name;
    p.items = items;
    p.n_items = t->set.n;
    struct prompts_ud u;
    memset(&u, 0, sizeof(u));
    u.r = r;
    struct prompts_sink sink = {prompts_start_cb, prompts_token_cb, prompts_answer_cb, run_stop,
                                &u};
    int n_ok = 0;
    prompts_run(&p, &sink, &n_ok);
    free(items);
    cJSON *fig = cJSON_CreateObject();
    if (u.n_graded)
        cJSON_AddNumberToObject(fig, "score", u.score / u.n_graded);
    rows_end(r, &u.rows, fig);
}

/* ---------------------------------------------------------------- the run */

static bool is_bench(const struct suite *s, const struct suite_cell *c)
{
    return s->tests[c->test].kind == SUITE_BENCH;
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 1;
}

/* a cell's class and work for the ETA */
static void eta_of(const struct suite *s, const struct suite_cell *c, struct eta_cell *e)
{
    const struct suite_test *t = &s->tests[c->test];
    double size = (double)file_size(s->models[c->model].path) / 1e6;
    e->known_s = -1;
    e->skip = false;
    switch (t->kind) {
    case SUITE_BENCH:
        e->cls = c->pp && c->tg ? 2 : c->tg ? 1 : 0;
        e->work = size * (t->reps + 1) * (c->pp + c->tg) + size * c->depth * 0.2;
        break;
    case SUITE_SWEEP:
        e->cls = 3;
        e->work = size * c->cp.n_ctx * t->reps;
        break;
    case SUITE_BATCHED: {
        double tok = 0;
        for (int a = 0; a < t->n_npp; a++)
            for (int b = 0; b < t->n_ntg; b++)
                for (int p = 0; p < t->n_npl; p++)
                    tok += (double)(t->npp[a] + t->ntg[b]) * t->npl[p];
        e->cls = 4;
        e->work = size * tok * t->reps;
        break;
    }
    case SUITE_MEM:
        e->cls = 5;
        e->work = size * (t->fill ? c->cp.n_ctx : 1);
        break;
    case SUITE_CTXMAX:
        e->cls = 6;
        e->work = size;
        break;
    case SUITE_PROMPTS:
        e->cls = 8;
        e->work = size * t->set.n * (t->gen.max_tokens + 64);
        break;
    case SUITE_QUALITY:
        e->cls = 7;
        e->work = size * c->cp.n_ctx * (t->chunks > 0 ? t->chunks : 16);
        break;
    }
    if (e->work <= 0)
        e->work = 1;
}

/* which cells run: *known the stored duration of each (< 0 none) */
static int plan_todo(const struct suite_cells *cells, struct store *st, const struct suite_opts *o,
                     bool *todo, bool *same, double *known, char (*stored)[32], char *err)
{
    for (int i = 0; i < cells->n && !sig_caught(); i++) {
        same[i] = false;
        const struct suite_cell *c = &cells->c[i];
        known[i] = -1;
        stored[i][0] = '\0';
        todo[i] = c->key[0] != '\0';
        if (o->shard_to > o->shard_from && (i < o->shard_from || i >= o->shard_to)) {
            todo[i] = false; /* another shard's: not looked up, not run */
            continue;
        }
        if (!st || !c->key[0])
            continue;
        double d;
        int f = store_find_cell(st, c->key, stored[i], sizeof(stored[i]), &d, err);
        if (f < 0)
            return -1;
        if (f == 0)
            continue;
        known[i] = d;
        todo[i] = o->fresh || (o->retry_failed && strcmp(stored[i], "ok") != 0);
    }
    /* cells of the same key (the same file under two names, the same settings spelled
     * twice) are measured once: the first in run order */
    struct strmap seen;
    strmap_init(&seen);
    for (int i = 0; i < cells->n; i++) {
        if (!todo[i])
            continue;
        if (strmap_get(&seen, cells->c[i].key) >= 0) {
            todo[i] = false;
            same[i] = true;
        } else {
            strmap_put(&seen, cells->c[i].key, i);
        }
    }
    strmap_release(&seen);
    return sig_caught() ? set_err(err, "interrupted while planning the suite") : 0;
}

int suite_run(const struct suite *s, const struct suite_cells *cells, struct store *st,
              int64_t run_id, const struct suite_opts *o, struct suite_result *res, char *err)
{
    memset(res, 0, sizeof(*res));
    res->n_cells = cells->n;
    struct run_state r;
    memset(&r, 0, sizeof(r));
    r.s = s;
    r.cells = cells;
    r.st = st;
    r.run_id = run_id;
    r.o = o;
    r.res = res;
    r.cur = -1;
    r.tty = o->progress == PROGRESS_ON || (o->progress == PROGRESS_AUTO && isatty(2));
    r.todo = xcalloc((size_t)cells->n, sizeof(bool));
    r.pending = xcalloc((size_t)cells->n, sizeof(bool));
    r.retried_by_other = xcalloc((size_t)cells->n, sizeof(bool));
    r.loaded = xcalloc((size_t)(s->n_models > 0 ? s->n_models : 1), sizeof(bool));
    r.ec = xcalloc((size_t)cells->n, sizeof(*r.ec));
    double *known = xcalloc((size_t)cells->n, sizeof(double));
    char(*stored)[32] = xcalloc((size_t)cells->n, sizeof(*stored));
    int ret = 0;
    bool *same = xcalloc((size_t)cells->n, sizeof(bool));
    if (plan_todo(cells, st, o, r.todo, same, known, stored, err) < 0) {
        ret = QB_EXIT_FAIL;
        goto out;
    }
    /* the plan, whole, before the first cell */
    if (st) {
        struct store_plan_cell *pc = xcalloc((size_t)cells->n, sizeof(*pc));
        char **texts = xcalloc((size_t)cells->n, sizeof(char *));
        char **groups = xcalloc((size_t)cells->n, sizeof(char *));
        for (int i = 0; i < cells->n; i++) {
            const struct suite_cell *c = &cells->c[i];
            texts[i] = cJSON_PrintUnformatted(c->settings);
            groups[i] = xasprintf("%d %s%s%s", c->group, s->models[c->model].path,
                                  c->group_text[0] ? " " : "", c->group_text);
            pc[i] = (struct store_plan_cell){c->idx,  c->key,  groups[i], s->models[c->model].path,
                                             c->name, texts[i]};
        }
        char *doc = cJSON_PrintUnformatted(s->doc);
        int rc = store_add_plan(st, run_id, doc, pc, cells->n, err);
        free(doc);
        for (int i = 0; i < cells->n; i++) {
            free(texts[i]);
            free(groups[i]);
        }
        free(texts);
        free(groups);
        free(pc);
        if (rc < 0) {
            ret = QB_EXIT_FAIL;
            goto out;
        }
    }
    int n_same = 0;
    for (int i = 0; i < cells->n; i++) {
        eta_of(s, &cells->c[i], &r.ec[i]);
        r.ec[i].known_s = known[i];
        r.ec[i].skip = !r.todo[i];
        if (r.todo[i])
            r.n_todo++;
        else if (o->shard_to > o->shard_from && (i < o->shard_from || i >= o->shard_to))
            res->n_other_shard++;
        else if (same[i])
            n_same++;
        else if (cells->c[i].key[0])
            res->n_reused++;
        else
            res->n_missing++;
    }
    eta_init(&r.eta, r.ec, cells->n);
    r.t0 = monotime_ns();
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "suite", s->name);
    cJSON_AddNumberToObject(p, "cells", cells->n);
    cJSON_AddNumberToObject(p, "to_run", r.n_todo);
    cJSON_AddNumberToObject(p, "reused", res->n_reused);
    event(&r, -1, "run_started", p);
    if (res->n_reused)
        log_printf("quantbench: run: %d of %d cells are stored already (reused; --fresh measures "
                   "them again%s)\n",
                   res->n_reused, cells->n,
                   o->retry_failed ? "" : ", --retry-failed the failed ones");
    if (n_same)
        log_printf("quantbench: run: %d cells repeat another cell of this suite (the same model "
                   "content, test and settings): each is measured once\n",
                   n_same);
    memcpy(r.pending, r.todo, (size_t)cells->n * sizeof(bool));
    /* passes over the cells: a cell another run is measuring is come back to, until it is
     * stored (by that run) or its claim is free (that run died) */
    for (bool waited = false;; waited = true) {
        if (waited) {
            for (int k = 0; k < 10 && !sig_caught(); k++)
                usleep(100000);
        }
        for (int i = 0; i < cells->n && !r.stopped && !sig_caught();) {
            const struct suite_cell *c = &cells->c[i];
            if (!r.pending[i]) {
                i++;
                continue;
            }
            if (is_bench(s, c)) { /* every bench cell of this model load, in one worker */
                int j = i;
                while (j < cells->n && is_bench(s, &cells->c[j]) && cells->c[j].model == c->model &&
                       cells->c[j].load == c->load)
                    j++;
                run_bench_cells(&r, i, j);
                i = j;
                continue;
            }
            if (take(&r, i)) {
                switch (s->tests[c->test].kind) {
                case SUITE_MEM: mem_cell(&r, i); break;
                case SUITE_QUALITY: quality_cell(&r, i); break;
                case SUITE_SWEEP: sweep_cell(&r, i); break;
                case SUITE_BATCHED: batched_cell(&r, i); break;
                case SUITE_CTXMAX: ctxmax_cell(&r, i); break;
                case SUITE_PROMPTS: prompts_cell(&r, i); break;
                case SUITE_BENCH: break; /* above */
                }
            }
            i++;
        }
        bool left = false;
        for (int i = 0; i < cells->n && !left; i++)
            left = r.pending[i];
        if (!left || r.stopped || sig_caught() || res->interrupted)
            break;
        if (!waited)
            log_printf("quantbench: run: waiting for cells another run of this suite is "
                       "measuring on this database\n");
    }
    if (st) {
        char e[QB_ERR_LEN];
        store_release_claims(st, run_id, NULL, e); /* what it did not get to */
    }
    status_clear(&r);
    if (sig_caught())
        res->interrupted = true;
    p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "run", res->n_run);
    cJSON_AddNumberToObject(p, "ok", res->n_ok);
    cJSON_AddNumberToObject(p, "failed", res->n_failed);
    cJSON_AddBoolToObject(p, "interrupted", res->interrupted);
    cJSON_AddNumberToObject(p, "duration_s", (monotime_ns() - r.t0) / 1e9);
    bool was_stopped = r.stopped;
    event(&r, -1, "run_finished", p);
    if (was_stopped || r.stopped) {
        set_err(err, "%s", r.err);
        ret = QB_EXIT_FAIL;
    } else if (res->interrupted) {
        set_err(err, "interrupted: the finished cells are kept; run again to go on");
        ret = sig_caught() ? sig_exit_code() : QB_EXIT_FAIL;
    } else if (res->n_failed || res->n_missing) {
        ret = QB_EXIT_PARTIAL;
    } else {
        /* reused cells that failed before make the suite's result partial too */
        for (int i = 0; i < cells->n; i++)
            if (!r.todo[i] && stored[i][0] && strcmp(stored[i], "ok"))
                ret = QB_EXIT_PARTIAL;
    }
    eta_release(&r.eta);
out:
    free(same);
    free(r.todo);
    free(r.pending);
    free(r.retried_by_other);
    free(r.loaded);
    free(r.ec);
    free(known);
    free(stored);
    return ret;
}

int suite_dry_run(const struct suite *s, const struct suite_cells *cells, struct store *st,
                  const struct suite_opts *o, char *err)
{
    bool *todo = xcalloc((size_t)cells->n, sizeof(bool));
    bool *same = xcalloc((size_t)cells->n, sizeof(bool));
    double *known = xcalloc((size_t)cells->n, sizeof(double));
    char(*stored)[32] = xcalloc((size_t)cells->n, sizeof(*stored));
    int ret = 0;
    if (plan_todo(cells, st, o, todo, same, known, stored, err) < 0) {
        ret = QB_EXIT_FAIL;
        goto out;
    }
    printf("| # | model | test | settings | action | est. time |\n");
    printf("|--:|-------|------|----------|--------|----------:|\n");
    double total = 0;
    bool all_known = true;
    for (int i = 0; i < cells->n; i++) {
        const struct suite_cell *c = &cells->c[i];
        struct eta_cell e;
        eta_of(s, c, &e);
        bool other = o->shard_to > o->shard_from && (i < o->shard_from || i >= o->shard_to);
        bool runs = !other && (todo[i] || !c->key[0]); /* a rung to be made: its cells run */
        const char *action = other                     ? "another shard's"
                             : !c->key[0]              ? "run (rung to be made)"
                             : same[i]                 ? "same as an earlier cell"
                             : !stored[i][0]           ? "run"
                             : !todo[i]                ? "reuse"
                             : strcmp(stored[i], "ok") ? "retry"
                                                       : "rerun";
        /* the recorded duration, else a rough one: about 1 s per 100 MB x 1000 tokens */
        double est = known[i] >= 0 ? known[i] : e.work / 1e5;
        char d[32];
        if (runs) {
            fmt_dur(est, d, sizeof(d));
            total += est;
            all_known &= known[i] >= 0;
        } else {
            snprintf(d, sizeof(d), "0:00");
        }
        char *m = str_escape(base_name(s->models[c->model].path), STR_ESC_MD);
        char *g = str_escape(c->group_text, STR_ESC_MD), *nm = str_escape(c->name, STR_ESC_MD);
        printf("| %d | %s | %s | %s | %s | %s%s |\n", c->idx + 1, m, nm, g, action,
               runs && known[i] < 0 ? "~" : "", d);
        free(m);
        free(g);
        free(nm);
    }
    char d[32];
    fmt_dur(total, d, sizeof(d));
    printf("\n%d cells; estimated time %s%s\n", cells->n, all_known ? "" : "~", d);
    if (!all_known)
        printf("(~: no recorded duration for that cell's key yet; a rough guess from the "
               "model's size and the tokens)\n");
out:
    free(todo);
    free(same);
    free(known);
    free(stored);
    return ret;
}
