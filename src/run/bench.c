/* bench as a function (see bench.h). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/json.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "proto.h"
#include "runner.h"

void bench_test_init(struct work_test *t)
{
    memset(t, 0, sizeof(*t));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = ncpu > 0 ? (int)ncpu : 4;
    t->kind = WORK_PP_TG;
    t->cp = engine_ctx_params_default();
    t->cp.n_batch = 2048;
    t->cp.n_ubatch = 512;
    snprintf(t->cp.type_k, sizeof(t->cp.type_k), "f16");
    snprintf(t->cp.type_v, sizeof(t->cp.type_v), "f16");
    snprintf(t->cp.cpu_mask, sizeof(t->cp.cpu_mask), "0x0");
    t->cp.flash_attn = -1;
    t->cp.poll = 50;
    t->cp.n_threads = t->cp.n_threads_batch = threads;
    t->pt.n_batch = 2048;
    t->pt.n_threads = threads;
    t->pt.reps = 5;
    t->pt.seed = 1;
}

struct bench_group *bench_plan_group(struct bench_plan *p, const char *model,
                                     const struct engine_model_params *mp)
{
    p->groups = xrealloc(p->groups, (p->n_groups + 1) * sizeof(*p->groups));
    struct bench_group *g = &p->groups[p->n_groups++];
    memset(g, 0, sizeof(*g));
    g->model = xstrdup(model);
    g->mp = *mp;
    return g;
}

void bench_group_add(struct bench_group *g, const struct work_test *t, int pp, int tg)
{
    g->tests = xrealloc(g->tests, (g->n_tests + 1) * sizeof(*t));
    struct work_test *n = &g->tests[g->n_tests];
    *n = *t;
    n->id = (int)g->n_tests;
    n->pt.n_prompt = pp;
    n->pt.n_gen = tg;
    n->cp.n_ctx = (uint32_t)(pp + tg + t->pt.n_depth);
    g->n_tests++;
}

size_t bench_plan_tests(const struct bench_plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_groups; i++)
        n += p->groups[i].n_tests;
    return n;
}

void bench_plan_free(struct bench_plan *p)
{
    for (size_t i = 0; i < p->n_groups; i++) {
        free(p->groups[i].model);
        free(p->groups[i].tests);
    }
    free(p->groups);
    p->groups = NULL;
    p->n_groups = 0;
}

struct bench_state {
    const struct bench_plan *p;
    const struct bench_sink *sink;
    char host[128];
};

/* the caller asked to stop (a row could not be stored) */
static bool stopped(const struct bench_state *st)
{
    return st->sink->stop && st->sink->stop(st->sink->ud);
}

/* no further test: the caller's stop, or SIGINT / SIGTERM */
static bool should_stop(const struct bench_state *st)
{
    return stopped(st) || sig_caught();
}

static void start(const struct bench_state *st, const struct bench_row *r)
{
    if (st->sink->start)
        st->sink->start(st->sink->ud, r);
}

static void emit(const struct bench_state *st, struct bench_row *r)
{
    bench_row_finish(r);
    if (st->sink->row)
        st->sink->row(st->sink->ud, r);
}

/* Fill row from a result message; -1 (err set) if it is malformed. */
static int take_result(const cJSON *resp, struct bench_row *row, char *err)
{
    int n1, n2, n3, n4;
    struct json_reader jr = {0};
    row->ctx_ns = (uint64_t)jr_num(&jr, resp, "ctx_ns");
    row->warmup_ns = (uint64_t)jr_num(&jr, resp, "warmup_ns");
    row->depth_ns = (uint64_t)jr_num(&jr, resp, "depth_ns");
    row->depth_fills = (int)jr_num(&jr, resp, "depth_fills");
    jr_str(&jr, resp, "reps_stop", row->reps_stop, sizeof(row->reps_stop));
    if (jr.failed)
        return set_err(err, "%s", jr.err);
    if (json_get_u64_array(resp, "samples_ns", &row->samples_ns, &n1, err) < 0 ||
        json_get_u64_array(resp, "pp_ns", &row->pp_ns, &n2, err) < 0 ||
        json_get_u64_array(resp, "tg_ns", &row->tg_ns, &n3, err) < 0 ||
        json_get_u64_array(resp, "ttft_ns", &row->ttft_ns, &n4, err) < 0)
        return -1;
    if (n1 != n2 || n1 != n3 || n1 != n4)
        return set_err(err, "protocol: sample arrays differ in length");
    row->n = n1;
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(resp, "mem");
    row->mem = mem ? cJSON_Duplicate(mem, 1) : NULL;
    return 0;
}

static void row_init(const struct bench_state *st, const struct bench_group *g, size_t i,
                     struct bench_row *r)
{
    memset(r, 0, sizeof(*r));
    r->model_filename = xstrdup(g->model);
    char err[QB_ERR_LEN];
    if (file_quick_id(g->model, r->model_id, err) < 0)
        r->model_id[0] = '\0';
    r->mp = g->mp;
    r->t = g->tests[i];
    r->wl = st->p->wl;
    snprintf(r->host, sizeof(r->host), "%s", st->host);
    host_cpus_ram(&r->host_cpus, &r->host_ram);
    walltime_rfc3339(r->test_time, sizeof(r->test_time));
}

/* Append the samples of part (a later pass of the same test) to row */
static void row_merge(struct bench_row *row, struct bench_row *part)
{
    uint64_t **dst[4] = {&row->samples_ns, &row->pp_ns, &row->tg_ns, &row->ttft_ns};
    uint64_t *src[4] = {part->samples_ns, part->pp_ns, part->tg_ns, part->ttft_ns};
    for (int k = 0; k < 4; k++) {
        *dst[k] = xrealloc(*dst[k], (size_t)(row->n + part->n + 1) * sizeof(uint64_t));
        memcpy(*dst[k] + row->n, src[k], (size_t)part->n * sizeof(uint64_t));
    }
    row->n += part->n;
    row->depth_fills += part->depth_fills;
    row->depth_ns += part->depth_ns;
    if (part->mem) {
        cJSON_Delete(row->mem);
        row->mem = part->mem;
        part->mem = NULL;
    }
}

enum run_outcome { RUN_OK, RUN_FAILED, RUN_NOT_LOADED };

/* Run test i of g in the current worker (reps repetitions, 0: the test's own) into row;
 * on failure the row's status and error are set */
static enum run_outcome run_one(struct runner *rn, const struct bench_group *g, size_t i, int reps,
                                struct bench_row *row)
{
    char err[QB_ERR_LEN] = "";
    enum bench_status status;
    if (runner_ensure(rn, &status, err) < 0) {
        row->status = status;
        snprintf(row->error, sizeof(row->error), "%s", err);
        return RUN_NOT_LOADED;
    }
    row->model = rn->info.model;
    row->build = rn->info.build;
    row->load_ns = rn->info.load_ns;
    struct work_test t = g->tests[i];
    if (reps > 0)
        t.pt.reps = reps;
    cJSON *req = proto_run_req(&t), *resp = NULL;
    enum run_outcome out = RUN_OK;
    if (runner_call(rn, req, &resp, &status, err) < 0) {
        row->status = status;
        snprintf(row->error, sizeof(row->error), "%s", err);
        out = RUN_FAILED;
    } else if (take_result(resp, row, err) < 0) {
        row->status = BENCH_STATUS_ERROR;
        snprintf(row->error, sizeof(row->error), "%s", err);
        out = RUN_FAILED;
    }
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return out;
}

static void run_group(const struct bench_state *st, const struct bench_group *g)
{
    struct runner rn;
    runner_init(&rn, g->model, &g->mp, &st->p->wl, st->p->verbose, st->p->timeout_s);
    int procs = st->p->procs;
    if (procs <= 1) {
        for (size_t i = 0; i < g->n_tests && !should_stop(st); i++) {
            struct bench_row row;
            row_init(st, g, i, &row);
            start(st, &row);
            bool loaded = run_one(&rn, g, i, 0, &row) != RUN_NOT_LOADED;
            emit(st, &row);
            if (!loaded && row.status != BENCH_STATUS_INTERRUPTED) {
                /* a model that does not load fails every test of its group the same way */
                for (size_t k = i + 1; k < g->n_tests && !stopped(st); k++) {
                    struct bench_row r2;
                    row_init(st, g, k, &r2);
                    r2.status = row.status;
                    snprintf(r2.error, sizeof(r2.error), "%s", row.error);
                    emit(st, &r2);
                    bench_row_release(&r2);
                }
            }
            bench_row_release(&row);
            if (!loaded)
                break;
        }
        runner_release(&rn);
        return;
    }
    /* --procs: pass p runs every test of the group in a fresh worker with its share of
     * the repetitions; a row is complete (and written) after the last pass */
    struct bench_row *rows = xcalloc(g->n_tests, sizeof(*rows));
    bool *failed = xcalloc(g->n_tests, sizeof(bool));
    for (size_t i = 0; i < g->n_tests; i++)
        row_init(st, g, i, &rows[i]);
    for (int p = 0; p < procs && !sig_caught(); p++) {
        runner_release(&rn); /* a fresh process for every pass */
        for (size_t i = 0; i < g->n_tests && !sig_caught(); i++) {
            if (failed[i])
                continue;
            int reps = g->tests[i].pt.reps / procs + (p < g->tests[i].pt.reps % procs);
            struct bench_row part;
            row_init(st, g, i, &part);
            if (p == 0)
                start(st, &rows[i]);
            if (run_one(&rn, g, i, reps, &part) != RUN_OK) {
                rows[i].status = part.status;
                snprintf(rows[i].error, sizeof(rows[i].error), "pass %d of %d: %.400s", p + 1,
                         procs, part.error);
                failed[i] = true;
            } else if (p == 0) {
                bench_row_release(&rows[i]);
                rows[i] = part;
                memset(&part, 0, sizeof(part));
            } else {
                row_merge(&rows[i], &part);
            }
            bench_row_release(&part);
        }
    }
    for (size_t i = 0; i < g->n_tests; i++) {
        /* after SIGINT only the rows that ended; a row that cannot be stored stops the run */
        if ((failed[i] || !sig_caught()) && !stopped(st))
            emit(st, &rows[i]);
        bench_row_release(&rows[i]);
    }
    free(rows);
    free(failed);
    runner_release(&rn);
}

void bench_run(const struct bench_plan *p, const struct bench_sink *sink)
{
    struct bench_state st = {.p = p, .sink = sink};
    if (gethostname(st.host, sizeof(st.host)) < 0)
        snprintf(st.host, sizeof(st.host), "unknown");
    for (size_t i = 0; i < p->n_groups && !should_stop(&st); i++)
        run_group(&st, &p->groups[i]);
}
