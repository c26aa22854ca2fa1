/* A/B comparison of stored rows (see compare.h). */
#include "compare.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strmap.h"
#include "../util/util.h"

static double num(const cJSON *o, const char *key, double dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(it))
        return it->valuedouble;
    if (cJSON_IsBool(it))
        return cJSON_IsTrue(it);
    return dflt;
}

double metric_pm(const struct metric *m)
{
    if (m->own_se)
        return m->se;
    return m->n > 1 ? m->se * sqrt((double)m->n) : 0;
}

/* A count from a row (repetitions, chunks): imported rows may hold anything, and a
 * double outside int's range must not be cast */
static int count_of(double v)
{
    if (!(v > 0))
        return 0;
    return v >= INT_MAX ? INT_MAX : (int)v;
}

static void metric_finish(struct metric *m)
{
    if (m->v && m->n > 0) {
        struct stats s = stats_compute(m->v, (size_t)m->n);
        m->mean = s.mean;
        m->se = m->n > 1 ? s.stddev / sqrt((double)m->n) : 0;
        m->df = m->n - 1;
    }
}

/* tokens / ns for each sample of an ns array; false when the array is absent */
static bool speeds(const cJSON *row, const char *key, double tokens, struct metric *m)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(row, key);
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    if (n <= 0 || tokens <= 0)
        return false;
    m->v = xmalloc((size_t)n * sizeof(double));
    m->n = 0;
    const cJSON *it;
    cJSON_ArrayForEach (it, arr)
        if (cJSON_IsNumber(it) && it->valuedouble > 0)
            m->v[m->n++] = tokens / (it->valuedouble / 1e9);
    if (m->n == 0) {
        free(m->v);
        m->v = NULL;
        return false;
    }
    metric_finish(m);
    return true;
}

/* A summary-only metric: mean, sd over n repetitions */
static void summary(struct metric *m, double mean, double sd, int n)
{
    m->mean = mean;
    m->n = n;
    m->se = n > 1 ? sd / sqrt((double)n) : 0;
    m->df = n > 1 ? n - 1 : 0;
}

/* m's values from a row's array of raw samples (its numbers), finished; false (m left
 * as it is) when arr is no array or holds none */
static bool metric_samples(struct metric *m, const cJSON *arr)
{
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    if (n <= 0)
        return false;
    m->v = xmalloc((size_t)n * sizeof(double));
    const cJSON *it;
    cJSON_ArrayForEach (it, arr)
        if (cJSON_IsNumber(it))
            m->v[m->n++] = it->valuedouble;
    metric_finish(m);
    return true;
}

int compare_row_metrics(const char *kind, const cJSON *row, struct metric *out)
{
    memset(out, 0, 4 * sizeof(*out));
    if (strcmp(kind, "bench") == 0) {
        struct metric *m = &out[0];
        m->name = "t/s";
        if (!metric_samples(m, cJSON_GetObjectItemCaseSensitive(row, "samples_ts"))) {
            int reps = count_of(num(row, "reps", num(row, "n_reps", 0)));
            summary(m, num(row, "avg_ts", 0), num(row, "stddev_ts", 0), reps);
        }
        if (m->mean > 0)
            return 1;
        free(m->v); /* no usable figure: nothing for the caller to free */
        m->v = NULL;
        return 0;
    }
    if (strcmp(kind, "sweep") == 0) {
        double pp = num(row, "pp", 0), tg = num(row, "tg", 0);
        out[0].name = "S_PP";
        out[1].name = "S_TG";
        if (!speeds(row, "samples_pp_ns", pp, &out[0]))
            summary(&out[0], num(row, "speed_pp", 0), num(row, "speed_pp_sd", 0), 1);
        if (!speeds(row, "samples_tg_ns", tg, &out[1]))
            summary(&out[1], num(row, "speed_tg", 0), num(row, "speed_tg_sd", 0), 1);
        return 2;
    }
    if (strcmp(kind, "batched") == 0) {
        double pp = num(row, "pp", 0), tg = num(row, "tg", 0), pl = num(row, "pl", 1);
        bool shared = num(row, "is_pp_shared", 0) != 0;
        double t_pp = shared ? pp : pp * pl, t_tg = pl * tg;
        out[0].name = "S_PP";
        out[1].name = "S_TG";
        out[2].name = "S";
        if (!speeds(row, "samples_pp_ns", t_pp, &out[0]))
            summary(&out[0], num(row, "speed_pp", 0), num(row, "speed_pp_sd", 0), 1);
        if (!speeds(row, "samples_tg_ns", t_tg, &out[1]))
            summary(&out[1], num(row, "speed_tg", 0), num(row, "speed_tg_sd", 0), 1);
        const cJSON *ap = cJSON_GetObjectItemCaseSensitive(row, "samples_pp_ns");
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(row, "samples_tg_ns");
        int n = cJSON_IsArray(ap) && cJSON_IsArray(at) ? cJSON_GetArraySize(ap) : 0;
        if (n > 0 && n == cJSON_GetArraySize(at)) {
            struct metric *m = &out[2];
            m->v = xmalloc((size_t)n * sizeof(double));
            /* side by side: cJSON_GetArrayItem(i) would walk the list each time */
            for (const cJSON *p = ap->child, *t = at->child; p && t; p = p->next, t = t->next) {
                double ns = p->valuedouble + t->valuedouble;
                if (ns > 0)
                    m->v[m->n++] = (t_pp + t_tg) / (ns / 1e9);
            }
            metric_finish(m);
        } else {
            summary(&out[2], num(row, "speed", 0), num(row, "speed_sd", 0), 1);
        }
        return 3;
    }
    if (strcmp(kind, "quality") == 0) {
        out[0].name = "PPL";
        out[0].mean = num(row, "ppl", 0);
        /* llama-perplexity's standard error; rows stored before it was named: ppl_sd */
        out[0].se = num(row, "ppl_err", num(row, "ppl_sd", 0));
        out[0].own_se = true;
        out[0].n = count_of(num(row, "n_chunks", 0));
        out[0].df = out[0].se > 0 ? fmax(1, num(row, "count", 2) - 1) : 0;
        return out[0].mean > 0 ? 1 : 0;
    }
    if (strcmp(kind, "ctxmax") == 0) {
        out[0].name = "n_ctx_max";
        summary(&out[0], num(row, "n_ctx_max", 0), 0, 1);
        return out[0].mean > 0 ? 1 : 0;
    }
    if (strcmp(kind, "load") == 0) { /* a load level: throughput, and latency per request */
        out[0].name = "out_tok/s";
        summary(&out[0], num(row, "output_throughput", 0), 0, 1);
        static const char *const names[] = {"TTFT_ms", "TPOT_ms", "E2EL_ms"};
        static const char *const keys[] = {"samples_ttft_ms", "samples_tpot_ms", "samples_e2el_ms"};
        for (int k = 0; k < 3; k++) {
            struct metric *m = &out[1 + k];
            m->name = names[k];
            metric_samples(m, cJSON_GetObjectItemCaseSensitive(row, keys[k]));
        }
        if (out[0].mean > 0)
            return 4;
        for (int k = 0; k < 4; k++) { /* no usable figure: nothing for the caller to free */
            free(out[k].v);
            out[k].v = NULL;
        }
        return 0;
    }
    if (strcmp(kind, "mem") == 0) { /* mem's estimate (imported from mem -o json) */
        out[0].name = "total_bytes";
        summary(&out[0], num(row, "total_bytes", 0), 0, 1);
        return out[0].mean > 0 ? 1 : 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- matching */

struct rowref {
    double id, run;
};

/* One kind|test|settings: its lines (one per metric) and the rows of each side */
struct cell {
    char *key;              /* kind|test|settings (owned) */
    char *kind;             /* (owned) */
    char *test;             /* (owned) */
    cJSON *settings;        /* (owned) */
    int line0;              /* its first line */
    int n_lines;            /* one per metric */
    int n_rows[2];          /* rows of A and B */
    struct rowref *rows[2]; /* their ids, when listing the unmatched (owned) */
    int cap[2];
    cJSON *differs; /* for a one-sided cell: against the closest of the other side (owned) */
};

struct compare_state {
    struct cell *cells;
    int n_cells, cap_cells;
    int cap_lines;
    struct strmap by_key; /* cell key -> cell */
    bool list;            /* keep the row ids for the unmatched list */
};

/* Pool m into acc: samples are concatenated (their statistics are computed once, by
 * compare_finish); a summary is kept only while there are no samples */
static void pool(struct metric *acc, int *cap, const struct metric *m)
{
    if (m->v) {
        if (!acc->v)
            acc->n = 0;
        if (acc->n + m->n > *cap) {
            *cap = acc->n + m->n > 2 * *cap ? acc->n + m->n : 2 * *cap;
            acc->v = xrealloc(acc->v, (size_t)*cap * sizeof(double));
        }
        memcpy(acc->v + acc->n, m->v, (size_t)m->n * sizeof(double));
        acc->n += m->n;
    } else if (!acc->v && acc->n == 0) {
        *acc = *m;
    }
}

/* Note a run's mean of the metric (a run seen again keeps its first row's mean); a
 * run's rows come together, so the last run is looked at first */
static void run_add(struct run_means *rm, double id, double mean)
{
    if (rm->n > 0 && rm->id[rm->n - 1] == id)
        return;
    for (int i = 0; i < rm->n; i++)
        if (rm->id[i] == id)
            return;
    if (rm->n == rm->cap) {
        rm->cap = rm->cap ? 2 * rm->cap : 2;
        rm->mean = xrealloc(rm->mean, (size_t)rm->cap * sizeof(double));
        rm->id = xrealloc(rm->id, (size_t)rm->cap * sizeof(double));
    }
    rm->mean[rm->n] = mean;
    rm->id[rm->n++] = id;
}

static void runs_release(struct run_means *rm)
{
    free(rm->mean);
    free(rm->id);
}

static void line_release(struct compare_line *l)
{
    free(l->key);
    free(l->test);
    cJSON_Delete(l->settings);
    free(l->a.v);
    free(l->b.v);
    runs_release(&l->runs_a);
    runs_release(&l->runs_b);
}

/* The side's mean over its runs, as a metric with one value per run */
static struct metric over_runs(const struct run_means *rm, const char *name)
{
    struct metric m = {name, NULL, rm->n, 0, 0, 0, false};
    struct stats s = stats_compute(rm->mean, (size_t)rm->n);
    m.mean = s.mean;
    m.se = s.stddev / sqrt((double)rm->n);
    m.df = rm->n - 1;
    return m;
}

/* se of a pooled side with the run-to-run noise added: relative variance noise^2 / runs */
static double with_noise(const struct metric *m, double noise, int runs)
{
    double rel = m->mean > 0 ? m->se / m->mean : 0;
    return m->mean * sqrt(rel * rel + noise * noise / (runs > 0 ? runs : 1));
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : "";
}

void compare_begin(struct compare_result *out, bool list_unmatched)
{
    memset(out, 0, sizeof(*out));
    out->st = xcalloc(1, sizeof(*out->st));
    strmap_init(&out->st->by_key);
    out->st->list = list_unmatched;
}

static int new_cell(struct compare_result *r, char *key, const cJSON *res, const struct metric *ms,
                    int n)
{
    struct compare_state *st = r->st;
    if (st->n_cells == st->cap_cells) {
        st->cap_cells = st->cap_cells ? 2 * st->cap_cells : 64;
        st->cells = xrealloc(st->cells, (size_t)st->cap_cells * sizeof(*st->cells));
    }
    int c = st->n_cells++;
    struct cell *cl = &st->cells[c];
    memset(cl, 0, sizeof(*cl));
    cl->key = key;
    cl->kind = xstrdup(str_of(res, "kind"));
    cl->test = xstrdup(str_of(res, "test"));
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(res, "settings");
    cl->settings = cJSON_IsObject(set) ? cJSON_Duplicate(set, 1) : cJSON_CreateObject();
    cl->line0 = r->n_lines;
    cl->n_lines = n;
    strmap_put(&st->by_key, key, c);
    if (r->n_lines + n > st->cap_lines) {
        st->cap_lines = st->cap_lines ? 2 * st->cap_lines : 64;
        if (st->cap_lines < r->n_lines + n)
            st->cap_lines = r->n_lines + n;
        r->lines = xrealloc(r->lines, (size_t)st->cap_lines * sizeof(*r->lines));
    }
    for (int k = 0; k < n; k++) {
        struct compare_line *l = &r->lines[r->n_lines++];
        memset(l, 0, sizeof(*l));
        l->key = xasprintf("%s|%s", key, ms[k].name);
        l->test = xstrdup(cl->test);
        l->settings = cJSON_Duplicate(cl->settings, 1);
        l->metric = ms[k].name;
        l->cell = c;
    }
    return c;
}

void compare_add(struct compare_result *r, int side, const cJSON *res)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(res, "kind");
    const cJSON *row = cJSON_GetObjectItemCaseSensitive(res, "row");
    if (!cJSON_IsString(kind) || !row || side < 0 || side > 1)
        return;
    struct metric ms[4];
    int n = compare_row_metrics(kind->valuestring, row, ms);
    if (n == 0)
        return; /* no usable figure: neither matched nor unmatched */
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(res, "settings");
    char *st_txt = cJSON_IsObject(set) ? cJSON_PrintUnformatted(set) : xstrdup("{}");
    char *key = xasprintf("%s|%s|%s", kind->valuestring, str_of(res, "test"), st_txt);
    free(st_txt);
    int c = strmap_get(&r->st->by_key, key);
    if (c < 0)
        c = new_cell(r, key, res, ms, n);
    else
        free(key);
    struct cell *cl = &r->st->cells[c];
    cl->n_rows[side]++;
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(res, "run_id");
    double run = cJSON_IsNumber(rid) ? rid->valuedouble : 0;
    if (r->st->list) {
        if (cl->n_rows[side] > cl->cap[side]) {
            cl->cap[side] = cl->cap[side] ? 2 * cl->cap[side] : 4;
            cl->rows[side] =
                xrealloc(cl->rows[side], (size_t)cl->cap[side] * sizeof(struct rowref));
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(res, "id");
        cl->rows[side][cl->n_rows[side] - 1] =
            (struct rowref){cJSON_IsNumber(id) ? id->valuedouble : 0, run};
    }
    for (int k = 0; k < n; k++) {
        /* a kind's metrics come in a fixed order; look by name should a row differ */
        int li = -1;
        for (int j = 0; j < cl->n_lines && li < 0; j++)
            if (strcmp(r->lines[cl->line0 + (k + j) % cl->n_lines].metric, ms[k].name) == 0)
                li = cl->line0 + (k + j) % cl->n_lines;
        if (li >= 0) {
            struct compare_line *l = &r->lines[li];
            pool(side == 0 ? &l->a : &l->b, side == 0 ? &l->cap_a : &l->cap_b, &ms[k]);
            run_add(side == 0 ? &l->runs_a : &l->runs_b, run, ms[k].mean);
        }
        free(ms[k].v);
    }
}

int compare_feed_row(cJSON *res, void *ctx)
{
    struct compare_feed *f = ctx;
    compare_add(f->r, f->side, res);
    f->n++;
    cJSON_Delete(res);
    return 0;
}

/* ---------------------------------------------------------------- unmatched rows */

/* Settings that differ between two cells: [{"setting", "value", "other"}] (the caller
 * frees); *n their count */
static cJSON *cell_diff(const struct cell *u, const struct cell *c, int *n)
{
    cJSON *d = cJSON_CreateArray();
    *n = 0;
    const cJSON *it;
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *from = pass ? c->settings : u->settings;
        const cJSON *to = pass ? u->settings : c->settings;
        cJSON_ArrayForEach (it, from) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(to, it->string);
            if (pass == 1 && o)
                continue; /* seen in the first pass */
            if (o && cJSON_Compare(o, it, 1))
                continue;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "setting", it->string);
            const cJSON *mine = pass ? NULL : it, *theirs = pass ? it : o;
            cJSON_AddItemToObject(e, "value", mine ? cJSON_Duplicate(mine, 1) : cJSON_CreateNull());
            cJSON_AddItemToObject(e, "other",
                                  theirs ? cJSON_Duplicate(theirs, 1) : cJSON_CreateNull());
            cJSON_AddItemToArray(d, e);
            (*n)++;
        }
    }
    return d;
}

/* kind|test|settings without one setting (NULL: none left out); the caller frees */
static char *key_without(const struct cell *c, const char *leave_out)
{
    cJSON *s = cJSON_Duplicate(c->settings, 1);
    if (leave_out)
        cJSON_DeleteItemFromObjectCaseSensitive(s, leave_out);
    char *t = cJSON_PrintUnformatted(s);
    char *k = xasprintf("%s|%s|%s", c->kind, c->test, t);
    free(t);
    cJSON_Delete(s);
    return k;
}

/* How many cells of a kind and test are compared one by one when none of the other side
 * differs in a single setting */
#define COMPARE_SCAN_MAX 256

/* Keep c as u's closest cell when it differs in fewer settings */
static void consider(const struct cell *u, const struct cell *c, int *best_n, cJSON **best)
{
    int n = 0;
    cJSON *d = cell_diff(u, c, &n);
    if (n < *best_n) {
        cJSON_Delete(*best);
        *best = d;
        *best_n = n;
    } else {
        cJSON_Delete(d);
    }
}

/* For every one-sided cell, how the closest cell of the other side with its kind and
 * test differs: first those one setting away (found by their keys with one setting left
 * out), else the fewest differences among the first COMPARE_SCAN_MAX of them */
static void find_differs(struct compare_result *r)
{
    struct compare_state *st = r->st;
    struct strmap loo[2], group[2];
    int *next[2];
    /* a side's maps are needed only when the other side has rows without a partner */
    bool need[2] = {r->only_b > 0, r->only_a > 0};
    if (!need[0] && !need[1])
        return;
    for (int s = 0; s < 2; s++) {
        strmap_init(&loo[s]);
        strmap_init(&group[s]);
        next[s] = xmalloc((size_t)(st->n_cells + 1) * sizeof(int));
    }
    /* per side: its cells by kind|test (a list through next[], in cell order) and by key
     * with one setting left out */
    for (int c = st->n_cells - 1; c >= 0; c--) {
        struct cell *cl = &st->cells[c];
        char *g = xasprintf("%s|%s", cl->kind, cl->test);
        for (int s = 0; s < 2; s++) {
            if (cl->n_rows[s] == 0 || !need[s])
                continue;
            next[s][c] = strmap_get(&group[s], g);
            strmap_put(&group[s], g, c);
            const cJSON *it;
            cJSON_ArrayForEach (it, cl->settings) {
                char *k = key_without(cl, it->string);
                strmap_put(&loo[s], k, c);
                free(k);
            }
        }
        free(g);
    }
    for (int u = 0; u < st->n_cells; u++) {
        struct cell *uc = &st->cells[u];
        if (uc->n_rows[0] > 0 && uc->n_rows[1] > 0)
            continue;
        int o = uc->n_rows[0] > 0 ? 1 : 0; /* the other side */
        int best_n = INT_MAX;
        cJSON *best = NULL;
        /* one setting away: c less x = u (c has x, u not), c less x = u less x (x
         * differs), c = u less x (u has x, c not) */
        char *k = key_without(uc, NULL);
        int c = strmap_get(&loo[o], k);
        free(k);
        if (c >= 0)
            consider(uc, &st->cells[c], &best_n, &best);
        const cJSON *it;
        cJSON_ArrayForEach (it, uc->settings) {
            k = key_without(uc, it->string);
            if ((c = strmap_get(&loo[o], k)) >= 0)
                consider(uc, &st->cells[c], &best_n, &best);
            if ((c = strmap_get(&st->by_key, k)) >= 0 && st->cells[c].n_rows[o] > 0)
                consider(uc, &st->cells[c], &best_n, &best);
            free(k);
        }
        if (!best) {
            char *g = xasprintf("%s|%s", uc->kind, uc->test);
            c = strmap_get(&group[o], g);
            free(g);
            for (int i = 0; c >= 0 && i < COMPARE_SCAN_MAX && best_n > 1; c = next[o][c], i++)
                consider(uc, &st->cells[c], &best_n, &best);
        }
        uc->differs = best ? best : cJSON_CreateArray();
    }
    for (int s = 0; s < 2; s++) {
        strmap_release(&loo[s]);
        strmap_release(&group[s]);
        free(next[s]);
    }
}

static int unmatched_order(const void *pa, const void *pb)
{
    const struct compare_unmatched *a = pa, *b = pb;
    if (a->side != b->side)
        return a->side - b->side;
    return (a->id > b->id) - (a->id < b->id);
}

static void list_unmatched(struct compare_result *r)
{
    struct compare_state *st = r->st;
    find_differs(r);
    r->unmatched = xcalloc((size_t)(r->only_a + r->only_b) + 1, sizeof(*r->unmatched));
    for (int c = 0; c < st->n_cells; c++) {
        struct cell *cl = &st->cells[c];
        if (cl->n_rows[0] > 0 && cl->n_rows[1] > 0)
            continue;
        int s = cl->n_rows[0] > 0 ? 0 : 1;
        for (int i = 0; i < cl->n_rows[s]; i++) {
            struct compare_unmatched *m = &r->unmatched[r->n_unmatched++];
            m->side = s;
            m->id = cl->rows[s][i].id;
            m->run_id = cl->rows[s][i].run;
            m->kind = cl->kind;
            m->test = cl->test;
            m->differs = cl->differs;
        }
    }
    qsort(r->unmatched, (size_t)r->n_unmatched, sizeof(*r->unmatched), unmatched_order);
}

/* ---------------------------------------------------------------- results */

void compare_finish(struct compare_result *r, enum compare_method method, double run_noise)
{
    struct compare_state *st = r->st;
    for (int c = 0; c < st->n_cells; c++) {
        const struct cell *cl = &st->cells[c];
        if (cl->n_rows[1] == 0)
            r->only_a += cl->n_rows[0];
        else if (cl->n_rows[0] == 0)
            r->only_b += cl->n_rows[1];
    }
    if (st->list)
        list_unmatched(r);
    int w = 0;
    for (int i = 0; i < r->n_lines; i++) {
        struct compare_line *l = &r->lines[i];
        const struct cell *cl = &st->cells[l->cell];
        if (cl->n_rows[0] == 0 || cl->n_rows[1] == 0) {
            line_release(l);
            continue;
        }
        metric_finish(&l->a);
        metric_finish(&l->b);
        int ka = l->runs_a.n, kb = l->runs_b.n;
        bool boot = method == COMPARE_BOOTSTRAP;
        if (ka >= 2 && kb >= 2) {
            /* the run is the unit: Welch over run means (bootstrap too: few values) */
            struct metric ra = over_runs(&l->runs_a, l->metric),
                          rb = over_runs(&l->runs_b, l->metric);
            l->ci = stats_ratio_welch(ra.mean, ra.se, ra.df, rb.mean, rb.se, rb.df);
            l->by_runs = true;
        } else if (boot && l->a.v && l->b.v && l->a.n >= COMPARE_BOOTSTRAP_MIN &&
                   l->b.n >= COMPARE_BOOTSTRAP_MIN) {
            l->ci = stats_ratio_bootstrap(l->a.v, (size_t)l->a.n, l->b.v, (size_t)l->b.n, 4000,
                                          0x51424e43ull + (unsigned long long)i);
            /* widen by the run-to-run noise in quadrature, on the log scale */
            double z = 1.959964 * run_noise * sqrt(1.0 / (ka ? ka : 1) + 1.0 / (kb ? kb : 1));
            if (l->ci.valid && l->ci.lo > 0 && l->ci.hi > 0) {
                double lr = log(l->ci.ratio), hl = lr - log(l->ci.lo), hh = log(l->ci.hi) - lr;
                l->ci.lo = exp(lr - sqrt(hl * hl + z * z));
                l->ci.hi = exp(lr + sqrt(hh * hh + z * z));
            }
        } else {
            /* a bootstrap of fewer than COMPARE_BOOTSTRAP_MIN values (or of summaries)
             * says nothing: Welch's interval, and the caller is told */
            l->fallback = boot;
            r->n_fallback += boot;
            l->ci = stats_ratio_welch(l->a.mean, with_noise(&l->a, run_noise, ka), l->a.df,
                                      l->b.mean, with_noise(&l->b, run_noise, kb), l->b.df);
        }
        l->significant = l->ci.valid && (l->ci.lo > 1 || l->ci.hi < 1);
        r->lines[w++] = *l;
    }
    r->n_lines = w;
}

void compare_run(const cJSON *rows_a, const cJSON *rows_b, enum compare_method method,
                 double run_noise, struct compare_result *out)
{
    compare_begin(out, false);
    const cJSON *res;
    cJSON_ArrayForEach (res, rows_a)
        compare_add(out, 0, res);
    cJSON_ArrayForEach (res, rows_b)
        compare_add(out, 1, res);
    compare_finish(out, method, run_noise);
}

void compare_release(struct compare_result *r)
{
    for (int i = 0; i < r->n_lines; i++)
        line_release(&r->lines[i]);
    free(r->lines);
    if (r->st) {
        for (int c = 0; c < r->st->n_cells; c++) {
            struct cell *cl = &r->st->cells[c];
            free(cl->key);
            free(cl->kind);
            free(cl->test);
            cJSON_Delete(cl->settings);
            free(cl->rows[0]);
            free(cl->rows[1]);
            cJSON_Delete(cl->differs);
        }
        free(r->st->cells);
        strmap_release(&r->st->by_key);
        free(r->st);
    }
    free(r->unmatched);
    memset(r, 0, sizeof(*r));
}

cJSON *compare_varying(const struct compare_result *r)
{
    cJSON *names = cJSON_CreateArray();
    /* every setting name seen in any line, in first-seen order, that some line lacks or
     * has with another value; those a bench test's name already says (pp512, tg128) are
     * left out. One pass per name over the lines: names are few, lines may be many. */
    static const char *const in_test[] = {"n_prompt", "n_gen", "n_ctx", NULL};
    struct strmap seen;
    strmap_init(&seen);
    for (const char *const *t = in_test; *t; t++)
        strmap_put(&seen, *t, 0);
    for (int i = 0; i < r->n_lines; i++) {
        const cJSON *it;
        cJSON_ArrayForEach (it, r->lines[i].settings) {
            if (strmap_get(&seen, it->string) >= 0)
                continue;
            strmap_put(&seen, it->string, 1);
            bool varies = i > 0; /* the lines before lack it */
            for (int k = i + 1; k < r->n_lines && !varies; k++) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(r->lines[k].settings, it->string);
                varies = !o || !cJSON_Compare(o, it, 1);
            }
            if (varies)
                cJSON_AddItemToArray(names, cJSON_CreateString(it->string));
        }
    }
    strmap_release(&seen);
    return names;
}
