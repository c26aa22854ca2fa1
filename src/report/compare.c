/* A/B comparison of stored rows (see compare.h). */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int compare_row_metrics(const char *kind, const cJSON *row, struct metric *out)
{
    memset(out, 0, 4 * sizeof(*out));
    if (strcmp(kind, "bench") == 0) {
        struct metric *m = &out[0];
        m->name = "t/s";
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(row, "samples_ts");
        int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
        if (n > 0) {
            m->v = xmalloc((size_t)n * sizeof(double));
            const cJSON *it;
            cJSON_ArrayForEach (it, arr)
                if (cJSON_IsNumber(it))
                    m->v[m->n++] = it->valuedouble;
            metric_finish(m);
        } else {
            int reps = (int)num(row, "reps", num(row, "n_reps", 0));
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
            for (int i = 0; i < n; i++) {
                double ns =
                    cJSON_GetArrayItem(ap, i)->valuedouble + cJSON_GetArrayItem(at, i)->valuedouble;
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
        out[0].n = (int)num(row, "n_chunks", 0);
        out[0].df = out[0].se > 0 ? fmax(1, num(row, "count", 2) - 1) : 0;
        return out[0].mean > 0 ? 1 : 0;
    }
    if (strcmp(kind, "ctxmax") == 0) {
        out[0].name = "n_ctx_max";
        summary(&out[0], num(row, "n_ctx_max", 0), 0, 1);
        return out[0].mean > 0 ? 1 : 0;
    }
    return 0;
}

/* Pool m into acc: samples are concatenated; summaries are kept when there are none */
static void pool(struct metric *acc, const struct metric *m)
{
    if (m->v) {
        if (!acc->v)
            acc->n = 0;
        acc->v = xrealloc(acc->v, (size_t)(acc->n + m->n) * sizeof(double));
        memcpy(acc->v + acc->n, m->v, (size_t)m->n * sizeof(double));
        acc->n += m->n;
        metric_finish(acc);
    } else if (!acc->v && acc->n == 0) {
        *acc = *m;
    }
}

/* Note a run's mean of the metric (a run seen again keeps its first row's mean) */
static void run_add(struct run_means *rm, double id, double mean)
{
    for (int i = 0; i < rm->n; i++)
        if (rm->id[i] == id)
            return;
    rm->mean = xrealloc(rm->mean, (size_t)(rm->n + 1) * sizeof(double));
    rm->id = xrealloc(rm->id, (size_t)(rm->n + 1) * sizeof(double));
    rm->mean[rm->n] = mean;
    rm->id[rm->n++] = id;
}

static void runs_release(struct run_means *rm)
{
    free(rm->mean);
    free(rm->id);
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

static char *line_key(const cJSON *res, const char *metric)
{
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(res, "settings");
    char *st = set ? cJSON_PrintUnformatted(set) : xstrdup("{}");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(res, "kind");
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(res, "test");
    char *key = xasprintf("%s|%s|%s|%s", cJSON_IsString(kind) ? kind->valuestring : "",
                          cJSON_IsString(test) ? test->valuestring : "", st, metric);
    free(st);
    return key;
}

static int find_line(const struct compare_result *r, const char *key)
{
    for (int i = 0; i < r->n_lines; i++)
        if (strcmp(r->lines[i].key, key) == 0)
            return i;
    return -1;
}

/* Add one side's rows: side 0 creates lines, side 1 only fills existing ones */
static void add_side(struct compare_result *r, const cJSON *rows, int side, int *cap,
                     int *unmatched)
{
    const cJSON *res;
    cJSON_ArrayForEach (res, rows) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(res, "kind");
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(res, "row");
        if (!cJSON_IsString(kind) || !row)
            continue;
        struct metric ms[4];
        int n = compare_row_metrics(kind->valuestring, row, ms);
        bool matched = n == 0;
        for (int k = 0; k < n; k++) {
            char *key = line_key(res, ms[k].name);
            int i = find_line(r, key);
            if (i < 0 && side == 0) {
                if (r->n_lines == *cap) {
                    *cap = *cap ? 2 * *cap : 16;
                    r->lines = xrealloc(r->lines, (size_t)*cap * sizeof(*r->lines));
                }
                i = r->n_lines++;
                struct compare_line *l = &r->lines[i];
                memset(l, 0, sizeof(*l));
                l->key = key;
                key = NULL;
                const cJSON *test = cJSON_GetObjectItemCaseSensitive(res, "test");
                l->test = xstrdup(cJSON_IsString(test) ? test->valuestring : "");
                const cJSON *set = cJSON_GetObjectItemCaseSensitive(res, "settings");
                l->settings = set ? cJSON_Duplicate(set, 1) : cJSON_CreateObject();
                l->metric = ms[k].name;
            }
            free(key);
            if (i >= 0) {
                pool(side == 0 ? &r->lines[i].a : &r->lines[i].b, &ms[k]);
                const cJSON *rid = cJSON_GetObjectItemCaseSensitive(res, "run_id");
                run_add(side == 0 ? &r->lines[i].runs_a : &r->lines[i].runs_b,
                        cJSON_IsNumber(rid) ? rid->valuedouble : 0, ms[k].mean);
                matched = true;
            }
            free(ms[k].v);
        }
        if (!matched)
            (*unmatched)++;
    }
}

void compare_run(const cJSON *rows_a, const cJSON *rows_b, enum compare_method method,
                 double run_noise, struct compare_result *out)
{
    memset(out, 0, sizeof(*out));
    int cap = 0;
    add_side(out, rows_a, 0, &cap, &out->only_a);
    add_side(out, rows_b, 1, &cap, &out->only_b);
    /* drop lines B never matched */
    int w = 0;
    for (int i = 0; i < out->n_lines; i++) {
        struct compare_line *l = &out->lines[i];
        if (l->b.n == 0 && l->b.mean == 0) {
            out->only_a++;
            free(l->key);
            free(l->test);
            cJSON_Delete(l->settings);
            free(l->a.v);
            runs_release(&l->runs_a);
            runs_release(&l->runs_b);
            continue;
        }
        int ka = l->runs_a.n, kb = l->runs_b.n;
        if (ka >= 2 && kb >= 2) {
            /* the run is the unit: Welch over run means (bootstrap too: few values) */
            struct metric ra = over_runs(&l->runs_a, l->metric),
                          rb = over_runs(&l->runs_b, l->metric);
            l->ci = stats_ratio_welch(ra.mean, ra.se, ra.df, rb.mean, rb.se, rb.df);
            l->by_runs = true;
        } else if (method == COMPARE_BOOTSTRAP && l->a.v && l->b.v) {
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
            l->ci = stats_ratio_welch(l->a.mean, with_noise(&l->a, run_noise, ka), l->a.df,
                                      l->b.mean, with_noise(&l->b, run_noise, kb), l->b.df);
        }
        l->significant = l->ci.valid && (l->ci.lo > 1 || l->ci.hi < 1);
        out->lines[w++] = *l;
    }
    out->n_lines = w;
}

void compare_release(struct compare_result *r)
{
    for (int i = 0; i < r->n_lines; i++) {
        free(r->lines[i].key);
        free(r->lines[i].test);
        cJSON_Delete(r->lines[i].settings);
        free(r->lines[i].a.v);
        free(r->lines[i].b.v);
        runs_release(&r->lines[i].runs_a);
        runs_release(&r->lines[i].runs_b);
    }
    free(r->lines);
    memset(r, 0, sizeof(*r));
}

cJSON *compare_varying(const struct compare_result *r)
{
    cJSON *names = cJSON_CreateArray();
    if (r->n_lines == 0)
        return names;
    /* every setting name seen in any line, in first-seen order; those a bench test's name
     * already says (pp512, tg128) are left out */
    static const char *const in_test[] = {"n_prompt", "n_gen", "n_ctx", NULL};
    for (int i = 0; i < r->n_lines; i++) {
        const cJSON *it;
        cJSON_ArrayForEach (it, r->lines[i].settings) {
            bool seen = false;
            const cJSON *nm;
            cJSON_ArrayForEach (nm, names)
                seen |= strcmp(nm->valuestring, it->string) == 0;
            for (const char *const *t = in_test; *t && !seen; t++)
                seen = strcmp(*t, it->string) == 0;
            if (seen)
                continue;
            bool varies = false;
            for (int k = 0; k < r->n_lines && !varies; k++) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(r->lines[k].settings, it->string);
                varies = !o || !cJSON_Compare(o, it, 1);
            }
            if (varies)
                cJSON_AddItemToArray(names, cJSON_CreateString(it->string));
        }
    }
    return names;
}
