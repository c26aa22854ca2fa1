/* The suite table (see suite_table.h): the figures of each group are read once from its
 * cells' rows into a JSON object (NaN while unknown, null in the JSON); the md and CSV
 * writers only format those objects. */
#include "suite_table.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/stats.h"
#include "../util/util.h"

#define GIB ((double)(1u << 30))
#define MIB ((double)(1u << 20))

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* A finite number of o, else NaN (missing, null, text) */
static double num_of(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) && isfinite(it->valuedouble) ? it->valuedouble : NAN;
}

/* A number that is a measurement only when above 0 (a row writes 0 for "not measured") */
static double positive_of(const cJSON *o, const char *key)
{
    double v = num_of(o, key);
    return v > 0 ? v : NAN;
}

static bool is_status(const cJSON *o, const char *status)
{
    const char *s = str_of(o, "status");
    return s && strcmp(s, status) == 0;
}

/* A row that measured: its status ok, or no status at all */
static bool row_ok(const cJSON *row)
{
    return !cJSON_HasObjectItem(row, "status") || is_status(row, "ok");
}

/* Test names as the plan gives them: pp512, tg128, pp512+tg128 (maybe with a depth) */
static bool test_pp(const char *t)
{
    return t && strncmp(t, "pp", 2) == 0 && !strstr(t, "tg");
}

static bool test_tg(const char *t)
{
    return t && strncmp(t, "tg", 2) == 0 && !strstr(t, "pp");
}

static bool test_pg(const char *t)
{
    return t && strstr(t, "pp") && strstr(t, "tg");
}

/* The first ok row of kind in an ok cell, NULL when none */
static const cJSON *cell_row(const cJSON *cell, const char *kind)
{
    if (!is_status(cell, "ok"))
        return NULL;
    const cJSON *r;
    cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(cell, "rows")) {
        const char *k = str_of(r, "kind");
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(r, "row");
        if (k && strcmp(k, kind) == 0 && cJSON_IsObject(row) && row_ok(row))
            return row;
    }
    return NULL;
}

/* The statistics of a bench row's per-repetition t/s; false when it has none */
static bool row_speed(const cJSON *row, struct stats *st)
{
    const cJSON *smp = cJSON_GetObjectItemCaseSensitive(row, "samples_ts");
    int n = cJSON_GetArraySize(smp);
    if (!cJSON_IsArray(smp) || n == 0)
        return false;
    double *x = xmalloc((size_t)n * sizeof(double));
    size_t k = 0;
    const cJSON *v;
    cJSON_ArrayForEach (v, smp)
        if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
            x[k++] = v->valuedouble;
    if (k > 0)
        *st = stats_compute(x, k);
    free(x);
    return k > 0;
}

static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* A group's cells are those of cells whose "group" is name */
static bool in_group(const cJSON *cell, const char *name)
{
    const char *g = str_of(cell, "group");
    return g && strcmp(g, name) == 0;
}

/* The speed of the first cell of the group whose test passes is_test and has an ok bench
 * row with samples: "<p>_test", "<p>_ts", "<p>_ci95" into o; the row (NULL when none) */
static const cJSON *add_speed(cJSON *o, const cJSON *cells, const char *name,
                              bool (*is_test)(const char *), const char *p)
{
    const cJSON *c;
    cJSON_ArrayForEach (c, cells) {
        const char *test = str_of(c, "test");
        const cJSON *row = in_group(c, name) && is_test(test) ? cell_row(c, "bench") : NULL;
        struct stats st;
        if (row && row_speed(row, &st)) {
            char key[32];
            snprintf(key, sizeof(key), "%s_test", p);
            cJSON_AddStringToObject(o, key, test);
            snprintf(key, sizeof(key), "%s_ts", p);
            add_num(o, key, st.mean);
            snprintf(key, sizeof(key), "%s_ci95", p);
            add_num(o, key, st.ci95);
            return row;
        }
    }
    char key[32];
    snprintf(key, sizeof(key), "%s_test", p);
    cJSON_AddNullToObject(o, key);
    snprintf(key, sizeof(key), "%s_ts", p);
    cJSON_AddNullToObject(o, key);
    snprintf(key, sizeof(key), "%s_ci95", p);
    cJSON_AddNullToObject(o, key);
    return NULL;
}

/* The figures of group name (see suite_table.h) into a new object */
static cJSON *group_json(const cJSON *cells, const char *name, const cJSON *settings)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *first = NULL, *c, *r;
    cJSON_ArrayForEach (c, cells)
        if (in_group(c, name) && !first)
            first = c;
    const char *path = str_of(first, "model");
    const char *slash = path ? strrchr(path, '/') : NULL;
    cJSON_AddStringToObject(o, "group", name);
    cJSON_AddStringToObject(o, "model", slash ? slash + 1 : path ? path : "");
    cJSON_AddStringToObject(o, "model_path", path ? path : "");
    cJSON_AddItemToObject(o, "settings", cJSON_Duplicate(settings, 1));

    /* every row of the group, failed cells' too: size, memory peaks */
    double size = NAN, n_params = NAN, host = NAN, gpu = NAN;
    cJSON_ArrayForEach (c, cells) {
        if (!in_group(c, name))
            continue;
        cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(c, "rows")) {
            const cJSON *row = cJSON_GetObjectItemCaseSensitive(r, "row");
            if (isnan(size) && !isnan(positive_of(row, "model_size"))) {
                size = positive_of(row, "model_size");
                n_params = positive_of(row, "model_n_params");
            }
            double h = positive_of(row, "rss_peak_bytes"), g = positive_of(row, "mem_gpu_bytes");
            if (!isnan(h) && !(host >= h))
                host = h;
            if (!isnan(g) && !(gpu >= g))
                gpu = g;
        }
    }
    add_num(o, "size_gib", size / GIB);
    add_num(o, "bpw", 8 * size / n_params);

    const cJSON *pp = add_speed(o, cells, name, test_pp, "pp");
    add_speed(o, cells, name, test_tg, "tg");
    double ttft = NAN;
    cJSON_ArrayForEach (c, cells) {
        const cJSON *row =
            in_group(c, name) && test_pg(str_of(c, "test")) ? cell_row(c, "bench") : NULL;
        if (row && !isnan(positive_of(row, "ttft_ns"))) {
            ttft = positive_of(row, "ttft_ns") / 1e6;
            break;
        }
    }
    if (isnan(ttft) && pp)
        ttft = positive_of(pp, "t_pp_ns") / 1e6;
    add_num(o, "ttft_ms", ttft);

    /* the loads of the bench and mem rows in plan order. A suite's bench rows say whether
     * their load read the file from the disk (load_cold: run evicts it from the page cache
     * before a model's first load); rows without the flag count the first load as cold.
     * Rows measured by one worker share its load (the same load_ns to the nanosecond),
     * which is counted once */
    double *loads = NULL, cold_sum = 0, warm_sum = 0;
    int n_loads = 0, n_cold = 0, n_warm = 0;
    cJSON_ArrayForEach (c, cells) {
        if (!in_group(c, name) || !is_status(c, "ok"))
            continue;
        cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(c, "rows")) {
            const char *k = str_of(r, "kind");
            const cJSON *row = cJSON_GetObjectItemCaseSensitive(r, "row");
            double ns = positive_of(row, "load_ns");
            if (!k || (strcmp(k, "bench") != 0 && strcmp(k, "mem") != 0) || isnan(ns) ||
                (!strcmp(k, "bench") && !row_ok(row)))
                continue;
            bool seen = false;
            for (int i = 0; i < n_loads && !seen; i++)
                seen = loads[i] == ns;
            if (seen)
                continue;
            loads = xrealloc(loads, (size_t)(n_loads + 1) * sizeof(double));
            loads[n_loads++] = ns;
            const cJSON *flag = cJSON_GetObjectItemCaseSensitive(row, "load_cold");
            bool cold = cJSON_IsBool(flag) ? cJSON_IsTrue(flag)
                                           : !strcmp(k, "bench") && n_cold == 0 && n_warm == 0;
            if (cold) {
                cold_sum += ns / 1e9;
                n_cold++;
            } else {
                warm_sum += ns / 1e9;
                n_warm++;
            }
        }
    }
    add_num(o, "load_cold_s", n_cold ? cold_sum / n_cold : NAN);
    add_num(o, "load_warm_s", n_warm ? warm_sum / n_warm : NAN);
    free(loads);
    add_num(o, "peak_host_mib", host / MIB);
    add_num(o, "peak_gpu_mib", gpu / MIB);

    /* the prompts score: the mean grade_score of the group's graded answers (each a row) */
    const cJSON *q = NULL;
    double score_sum = 0;
    int n_graded = 0;
    cJSON_ArrayForEach (c, cells) {
        if (!in_group(c, name))
            continue;
        if (!q)
            q = cell_row(c, "quality");
        if (!is_status(c, "ok") && !is_status(c, "error") && !is_status(c, "crashed") &&
            !is_status(c, "timeout") && !is_status(c, "oom"))
            continue; /* missing: not measured yet */
        cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(c, "rows")) {
            const char *k = str_of(r, "kind");
            const cJSON *row = cJSON_GetObjectItemCaseSensitive(r, "row");
            const cJSON *gs = cJSON_GetObjectItemCaseSensitive(row, "grade_score");
            if (k && !strcmp(k, "prompts") && cJSON_IsNumber(gs)) {
                score_sum += gs->valuedouble;
                n_graded++;
            }
        }
    }
    const cJSON *kld = cJSON_GetObjectItemCaseSensitive(q, "kld");
    add_num(o, "ppl", num_of(q, "ppl"));
    add_num(o, "ppl_err", num_of(q, "ppl_err"));
    add_num(o, "kld", num_of(kld, "kld"));
    add_num(o, "same_top_pct", 100 * num_of(kld, "same_top"));
    add_num(o, "prompts", n_graded ? score_sum / n_graded : NAN);

    cJSON *failed = cJSON_AddArrayToObject(o, "failed");
    cJSON_ArrayForEach (c, cells) {
        if (!in_group(c, name) || is_status(c, "ok"))
            continue;
        cJSON *f = cJSON_CreateObject();
        const char *test = str_of(c, "test"), *status = str_of(c, "status");
        const char *reason = str_of(c, "reason");
        cJSON_AddStringToObject(f, "test", test ? test : "");
        cJSON_AddStringToObject(f, "status", status ? status : "");
        cJSON_AddStringToObject(f, "reason", reason ? reason : "");
        cJSON_AddItemToArray(failed, f);
    }
    return o;
}

/* Two groups' values of one setting are the same (a group without it differs) */
static bool same_value(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    return cJSON_Compare(a, b, true);
}

cJSON *suite_table_json(const cJSON *cells)
{
    /* the groups in plan order, each with the settings of its cells (the first cell
     * that has a setting gives its value) */
    cJSON *names = cJSON_CreateArray(), *sets = cJSON_CreateArray();
    const cJSON *c;
    cJSON_ArrayForEach (c, cells) {
        const char *g = str_of(c, "group");
        if (!g)
            continue;
        int i = 0;
        const cJSON *n;
        cJSON_ArrayForEach (n, names) {
            if (strcmp(n->valuestring, g) == 0)
                break;
            i++;
        }
        if (!n) {
            cJSON_AddItemToArray(names, cJSON_CreateString(g));
            cJSON_AddItemToArray(sets, cJSON_CreateObject());
        }
        cJSON *set = cJSON_GetArrayItem(sets, i);
        const cJSON *kv;
        cJSON_ArrayForEach (kv, cJSON_GetObjectItemCaseSensitive(c, "settings"))
            if (!cJSON_HasObjectItem(set, kv->string))
                cJSON_AddItemToObject(set, kv->string, cJSON_Duplicate(kv, 1));
    }
    /* only the settings that differ between groups (or some group lacks) are shown */
    cJSON *shown = cJSON_CreateObject();
    const cJSON *set, *kv;
    cJSON_ArrayForEach (set, sets) {
        cJSON_ArrayForEach (kv, set) {
            if (cJSON_HasObjectItem(shown, kv->string))
                continue;
            bool differ = false;
            const cJSON *other;
            cJSON_ArrayForEach (other, sets)
                differ |= !same_value(kv, cJSON_GetObjectItemCaseSensitive(other, kv->string));
            if (differ)
                cJSON_AddTrueToObject(shown, kv->string);
        }
    }
    cJSON *out = cJSON_CreateArray();
    const cJSON *n;
    int i = 0;
    cJSON_ArrayForEach (n, names) {
        const cJSON *all = cJSON_GetArrayItem(sets, i++);
        cJSON *diff = cJSON_CreateObject();
        cJSON_ArrayForEach (kv, all)
            if (cJSON_HasObjectItem(shown, kv->string))
                cJSON_AddItemToObject(diff, kv->string, cJSON_Duplicate(kv, 1));
        cJSON_AddItemToArray(out, group_json(cells, n->valuestring, diff));
        cJSON_Delete(diff);
    }
    cJSON_Delete(names);
    cJSON_Delete(sets);
    cJSON_Delete(shown);
    return out;
}

/* ---------------------------------------------------------------- md and csv */

/* printf of one figure, "-" when it is unknown (the caller frees) */
static char *fig(const cJSON *o, const char *key, const char *fmt)
{
    double v = num_of(o, key);
    return isnan(v) ? xstrdup("-") : xasprintf(fmt, v);
}

/* "mean ± err" of two figures, "mean" alone without err, "-" without mean */
static char *fig_pm(const cJSON *o, const char *key, const char *err_key, const char *fmt,
                    const char *err_fmt)
{
    double v = num_of(o, key), e = num_of(o, err_key);
    if (isnan(v))
        return xstrdup("-");
    char a[64], b[64];
    snprintf(a, sizeof(a), fmt, v);
    if (isnan(e))
        return xstrdup(a);
    snprintf(b, sizeof(b), err_fmt, e);
    return xasprintf("%s ± %s", a, b);
}

/* "k=v k=v" of the settings shown */
static char *settings_text(const cJSON *set)
{
    char *s = xstrdup("");
    const cJSON *kv;
    cJSON_ArrayForEach (kv, set) {
        char *v = table_value_text(kv);
        char *t = xasprintf("%s%s%s=%s", s, s[0] ? " " : "", kv->string, v);
        free(v);
        free(s);
        s = t;
    }
    return s;
}

/* "test:status,test:status" of the failed cells */
static char *failed_text(const cJSON *failed)
{
    char *s = xstrdup("");
    const cJSON *f;
    cJSON_ArrayForEach (f, failed) {
        const char *test = str_of(f, "test"), *status = str_of(f, "status");
        char *t =
            xasprintf("%s%s%s:%s", s, s[0] ? "," : "", test ? test : "", status ? status : "");
        free(s);
        s = t;
    }
    return s;
}

enum { N_COLS = 15 };

static const char *const heads[N_COLS] = {
    "model",  "settings", "size GiB",           "bpw",           "pp t/s",
    "tg t/s", "TTFT ms",  "load s (cold/warm)", "peak host MiB", "peak GPU MiB",
    "PPL",    "KLD",      "same top %",         "prompts",       "failed"};

/* The N_COLS texts of a row of the table (the caller frees each). PPL with 2 decimals as
 * report's quality rows show it (a PPL in the thousands has no use for more) */
static void row_cells(const cJSON *o, char *cell[N_COLS])
{
    int k = 0;
    cell[k++] = xstrdup(str_of(o, "model") ? str_of(o, "model") : "");
    cell[k++] = settings_text(cJSON_GetObjectItemCaseSensitive(o, "settings"));
    cell[k++] = fig(o, "size_gib", "%.2f");
    cell[k++] = fig(o, "bpw", "%.2f");
    cell[k++] = fig_pm(o, "pp_ts", "pp_ci95", "%.2f", "%.2f");
    cell[k++] = fig_pm(o, "tg_ts", "tg_ci95", "%.2f", "%.2f");
    cell[k++] = fig(o, "ttft_ms", "%.2f");
    double cold = num_of(o, "load_cold_s"), warm = num_of(o, "load_warm_s");
    if (!isnan(cold) && !isnan(warm))
        cell[k++] = xasprintf("%.2f/%.2f", cold, warm);
    else
        cell[k++] = fig(o, isnan(cold) ? "load_warm_s" : "load_cold_s", "%.2f");
    cell[k++] = fig(o, "peak_host_mib", "%.2f");
    cell[k++] = fig(o, "peak_gpu_mib", "%.2f");
    cell[k++] = fig_pm(o, "ppl", "ppl_err", "%.2f", "%.2f");
    cell[k++] = fig(o, "kld", "%.6f");
    cell[k++] = fig(o, "same_top_pct", "%.2f");
    cell[k++] = fig(o, "prompts", "%.2f");
    cell[k++] = failed_text(cJSON_GetObjectItemCaseSensitive(o, "failed"));
}

cJSON *suite_table_texts(const cJSON *rows)
{
    cJSON *o = cJSON_CreateObject(), *hs = cJSON_AddArrayToObject(o, "heads");
    cJSON *out = cJSON_AddArrayToObject(o, "rows");
    for (int i = 0; i < N_COLS; i++)
        cJSON_AddItemToArray(hs, cJSON_CreateString(heads[i]));
    const cJSON *r;
    cJSON_ArrayForEach (r, rows) {
        char *cell[N_COLS];
        row_cells(r, cell);
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; i < N_COLS; i++) {
            cJSON_AddItemToArray(a, cJSON_CreateString(cell[i]));
            free(cell[i]);
        }
        cJSON_AddItemToArray(out, a);
    }
    return o;
}

static void write_text(FILE *fp, const cJSON *rows, enum bench_fmt fmt)
{
    struct text_table t;
    text_table_begin(&t, fp, fmt, heads, "llrrrrrrrrrrrrl", N_COLS);
    const cJSON *o;
    cJSON_ArrayForEach (o, rows) {
        char *cell[N_COLS];
        row_cells(o, cell);
        text_table_row(&t, (const char *const *)cell);
        for (int i = 0; i < N_COLS; i++)
            free(cell[i]);
    }
    text_table_end(&t);
}

int suite_table_write(FILE *fp, const cJSON *cells, enum bench_fmt fmt, char *err)
{
    if (fmt != BENCH_FMT_MD && fmt != BENCH_FMT_CSV && fmt != BENCH_FMT_JSON)
        return set_err(err, "the suite table is written as md, csv or json only");
    if (!cJSON_IsArray(cells))
        return set_err(err, "the suite's cells are not a JSON array");
    cJSON *rows = suite_table_json(cells);
    if (fmt == BENCH_FMT_JSON) {
        char *t = cJSON_Print(rows);
        fprintf(fp, "%s\n", t);
        free(t);
    } else {
        write_text(fp, rows, fmt);
    }
    cJSON_Delete(rows);
    return 0;
}
