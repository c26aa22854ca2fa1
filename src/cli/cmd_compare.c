/* quantbench compare A B: stored rows of two runs, labels or filters matched on test
 * and settings; mean A, mean B, delta %, a 95% interval of the ratio B/A and a marker
 * when it excludes 1. Optionally an SVG chart of the metric against the setting that
 * varies. Reads the database only. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/compare.h"
#include "../report/svg.h"
#include "../report/table.h"
#include "../store/dbrun.h"
#include "../store/store.h"
#include "../util/log.h"
#include "../util/strmap.h"
#include "cmd.h"

static const char compare_help[] =
    "usage: quantbench compare A B [flags]\n"
    "\n"
    "Compares stored results: rows of A and B are matched on kind, test and settings (the\n"
    "model, build and host may differ: that is what is compared). For each match: mean A,\n"
    "mean B (pooled over A's and B's repetitions), delta %, a 95% confidence interval of\n"
    "the ratio B/A, and '*' when the interval excludes 1. Compare two runs of the same\n"
    "build (A/A) to see the noise floor.\n"
    "\n"
    "A and B are each:\n"
    "  N                       a run id (see 'quantbench report --runs')\n"
    "  NAME                    every run with this --label\n"
    "  KEY=VALUE[,KEY=VALUE]   a filter: run, label, kind (bench, sweep, batched, quality,\n"
    "                          ctxmax, mem), model (part of the path or type), quant (e.g.\n"
    "                          Q4_K), build (commit prefix or build number), or any setting\n"
    "                          by its field, llama-bench flag or long name (n_threads=8,\n"
    "                          t=8, threads=8; fa=1, type_k=q8_0, ot=exps=CPU, ngl=99); every\n"
    "                          value matches literally\n"
    "\n"
    "Flags:\n"
    "  --db PATH          the results database (default $QB_DB, else ./quantbench.db)\n"
    "  -o, --output FMT   md (default), csv, json or jsonl (one match per line)\n"
    "  --method M         welch (default: on the log scale, works with summaries too) or\n"
    "                     bootstrap (percentile, 4000 resamples of the raw samples)\n"
    "  --plot FILE.svg    draw each metric against the setting that varies (depth,\n"
    "                     threads, B, ...) with one line per side and error bars (sd)\n"
    "  --run-noise PCT    run-to-run relative sd assumed where a side has one run\n"
    "                     (default 2: the sd between fresh runs of the demo model's tests\n"
    "                     on the dev machine was 1.2-1.9%; 0 = trust the repetitions\n"
    "                     alone). Repetitions within a run do not see how much a whole\n"
    "                     run moves; with two or more runs on each side the interval is\n"
    "                     over the run means instead\n"
    "  --all              include failed rows (default: status ok only)\n"
    "  --unmatched        also list the rows without a partner (md, json), each with the\n"
    "                     settings in which the closest row of the other side differs\n"
    "\n"
    "The bootstrap needs 5 raw samples on each side; a row with fewer gets Welch's\n"
    "interval, and a warning says how many did.\n"
    "\n" QB_EXIT_CODES_HELP;

static double sd_of(const struct metric *m)
{
    return metric_pm(m);
}

static void put_value(FILE *fp, const struct metric *m)
{
    if (m->n > 1)
        fprintf(fp, "%.2f ± %.2f (%d)", m->mean, sd_of(m), m->n);
    else
        fprintf(fp, "%.2f", m->mean);
}

static char *setting_text(const cJSON *settings, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(settings, name);
    return it ? table_value_text(it) : xstrdup("");
}

/* "n_threads=4 (B: 8), n_ctx=none (B: 512)", or what the other side lacks (the caller frees) */
static char *differs_text(const struct compare_unmatched *u)
{
    const char *other = u->side ? "A" : "B";
    if (cJSON_GetArraySize(u->differs) == 0)
        return strcmp(u->kind, "bench") == 0 ? xasprintf("%s has no %s row", other, u->test)
                                             : xasprintf("%s has no %s row", other, u->kind);
    char *t = xstrdup("");
    const cJSON *d;
    cJSON_ArrayForEach (d, u->differs) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "value"),
                    *o = cJSON_GetObjectItemCaseSensitive(d, "other");
        char *vt = cJSON_IsNull(v) ? xstrdup("none") : table_value_text(v),
             *ot = cJSON_IsNull(o) ? xstrdup("none") : table_value_text(o);
        char *n =
            xasprintf("%s%s%s=%s (%s: %s)", t, t[0] ? ", " : "",
                      cJSON_GetObjectItemCaseSensitive(d, "setting")->valuestring, vt, other, ot);
        free(vt);
        free(ot);
        free(t);
        t = n;
    }
    return t;
}

static void write_unmatched_md(FILE *fp, const struct compare_result *r)
{
    if (r->n_unmatched == 0)
        return;
    fprintf(fp,
            "%sunmatched rows (and the settings in which the closest row of the other side "
            "differs):\n\n| side | run | row | test | differs |\n|---|---:|---:|---|---|\n",
            r->n_lines ? "\n" : "");
    for (int i = 0; i < r->n_unmatched; i++) {
        const struct compare_unmatched *u = &r->unmatched[i];
        char *d = differs_text(u);
        fprintf(fp, "| %s | %.0f | %.0f | %s | %s |\n", u->side ? "B" : "A", u->run_id, u->id,
                u->test, d);
        free(d);
    }
}

static cJSON *unmatched_json(const struct compare_result *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < r->n_unmatched; i++) {
        const struct compare_unmatched *u = &r->unmatched[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "side", u->side ? "B" : "A");
        cJSON_AddNumberToObject(o, "run_id", u->run_id);
        cJSON_AddNumberToObject(o, "id", u->id);
        cJSON_AddStringToObject(o, "kind", u->kind);
        cJSON_AddStringToObject(o, "test", u->test);
        cJSON_AddItemToObject(o, "differs", cJSON_Duplicate(u->differs, 1));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static void write_md(FILE *fp, const struct compare_result *r, const cJSON *vary, const char *a,
                     const char *b, double run_noise, bool listed)
{
    const cJSON *v;
    fputs("| test |", fp);
    cJSON_ArrayForEach (v, vary)
        fprintf(fp, " %s |", v->valuestring);
    fputs(" metric | A | B | Δ% | 95% CI of B/A | sig |\n|---|", fp);
    cJSON_ArrayForEach (v, vary)
        fputs("---:|", fp);
    fputs("---|---:|---:|---:|---:|:---:|\n", fp);
    int n_sig = 0;
    for (int i = 0; i < r->n_lines; i++) {
        const struct compare_line *l = &r->lines[i];
        /* settings (an -ot pattern's '|', a device name) escaped for the table */
        fputs("| ", fp);
        fput_escaped(l->test, STR_ESC_MD, fp);
        fputs(" |", fp);
        cJSON_ArrayForEach (v, vary) {
            char *t = setting_text(l->settings, v->valuestring);
            fputc(' ', fp);
            fput_escaped(t, STR_ESC_MD, fp);
            fputs(" |", fp);
            free(t);
        }
        fprintf(fp, " %s | ", l->metric);
        put_value(fp, &l->a);
        fputs(" | ", fp);
        put_value(fp, &l->b);
        fprintf(fp, " | %+.2f | ", (l->ci.ratio - 1) * 100);
        if (l->ci.valid)
            fprintf(fp, "[%.4f, %.4f]", l->ci.lo, l->ci.hi);
        else
            fputs("n/a", fp);
        fprintf(fp, " | %s |\n", l->significant ? "*" : "");
        n_sig += l->significant;
    }
    fputs("\nA: ", fp);
    fput_escaped(a, 0, fp);
    fputs(" · B: ", fp);
    fput_escaped(b, 0, fp);
    fprintf(fp, " · %d matched, %d significant", r->n_lines, n_sig);
    if (r->only_a || r->only_b)
        fprintf(fp, " · unmatched rows: %d in A, %d in B%s", r->only_a, r->only_b,
                listed ? "" : " (--unmatched lists them)");
    if (r->n_fallback)
        fprintf(fp, " · %d with fewer than %d samples a side: Welch's interval, not bootstrap",
                r->n_fallback, COMPARE_BOOTSTRAP_MIN);
    int by_runs = 0;
    for (int i = 0; i < r->n_lines; i++)
        by_runs += r->lines[i].by_runs;
    if (by_runs == r->n_lines)
        fputs(" · intervals over run means", fp);
    else
        fprintf(fp, " · run-to-run noise %.1f%% assumed%s", run_noise,
                by_runs ? " where a side has one run" : "");
    fputs("\n", fp);
    write_unmatched_md(fp, r);
}

static cJSON *line_json(const struct compare_line *l, enum compare_method method)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "test", l->test);
    cJSON_AddItemToObject(o, "settings", cJSON_Duplicate(l->settings, 1));
    cJSON_AddStringToObject(o, "metric", l->metric);
    const struct metric *m[2] = {&l->a, &l->b};
    const char *pre[2] = {"a", "b"};
    for (int k = 0; k < 2; k++) {
        char key[16];
        snprintf(key, sizeof(key), "%s_mean", pre[k]);
        cJSON_AddNumberToObject(o, key, m[k]->mean);
        snprintf(key, sizeof(key), "%s_sd", pre[k]);
        cJSON_AddNumberToObject(o, key, sd_of(m[k]));
        snprintf(key, sizeof(key), "%s_n", pre[k]);
        cJSON_AddNumberToObject(o, key, m[k]->n);
    }
    cJSON_AddNumberToObject(o, "ratio", l->ci.ratio);
    cJSON_AddNumberToObject(o, "delta_pct", (l->ci.ratio - 1) * 100);
    if (l->ci.valid) {
        cJSON_AddNumberToObject(o, "ci95_lo", l->ci.lo);
        cJSON_AddNumberToObject(o, "ci95_hi", l->ci.hi);
    } else {
        cJSON_AddNullToObject(o, "ci95_lo");
        cJSON_AddNullToObject(o, "ci95_hi");
    }
    cJSON_AddBoolToObject(o, "significant", l->significant);
    cJSON_AddNumberToObject(o, "runs_a", l->runs_a.n);
    cJSON_AddNumberToObject(o, "runs_b", l->runs_b.n);
    cJSON_AddBoolToObject(o, "by_runs", l->by_runs);
    /* the interval actually used: bootstrap falls back to Welch on too few samples */
    cJSON_AddStringToObject(o, "method",
                            method == COMPARE_BOOTSTRAP && !l->by_runs && !l->fallback ? "bootstrap"
                                                                                       : "welch");
    return o;
}

static void write_csv(FILE *fp, const struct compare_result *r)
{
    fputs("test,settings,metric,a_mean,a_sd,a_n,b_mean,b_sd,b_n,ratio,delta_pct,ci95_lo,ci95_hi,"
          "significant\n",
          fp);
    for (int i = 0; i < r->n_lines; i++) {
        const struct compare_line *l = &r->lines[i];
        char *set = cJSON_PrintUnformatted(l->settings);
        table_put_quoted(fp, l->test, '"');
        fputc(',', fp);
        table_put_quoted(fp, set, '"');
        free(set);
        fprintf(fp, ",%s,%.6g,%.6g,%d,%.6g,%.6g,%d,%.6g,%.4f,", l->metric, l->a.mean, sd_of(&l->a),
                l->a.n, l->b.mean, sd_of(&l->b), l->b.n, l->ci.ratio, (l->ci.ratio - 1) * 100);
        if (l->ci.valid)
            fprintf(fp, "%.6g,%.6g", l->ci.lo, l->ci.hi);
        else
            fputc(',', fp);
        fprintf(fp, ",%d\n", l->significant);
    }
}

/* settings that make a good x axis, in order of preference */
static const char *const x_prefs[] = {"n_depth",  "n_kv",    "n_threads",    "pl",
                                      "n_prompt", "pp",      "n_gen",        "tg",
                                      "n_ubatch", "n_batch", "n_gpu_layers", NULL};

static double setting_num(const cJSON *settings, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(settings, name);
    return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

/* The chart's group of a line: metric, test without its depth, other varying settings */
static char *group_name(const struct compare_line *l, const cJSON *vary, const char *x)
{
    char *g = xasprintf("%s %.*s", l->metric, (int)strcspn(l->test, " @"), l->test);
    const cJSON *v;
    cJSON_ArrayForEach (v, vary) {
        if (x && strcmp(v->valuestring, x) == 0)
            continue;
        char *t = setting_text(l->settings, v->valuestring),
             *n = xasprintf("%s %s=%s", g, v->valuestring, t);
        free(t);
        free(g);
        g = n;
    }
    return g;
}

static int write_plot(const char *path, const struct compare_result *r, const cJSON *vary,
                      const char *a, const char *b, char *err)
{
    const char *x = NULL;
    for (const char *const *p = x_prefs; *p && !x; p++) {
        const cJSON *v;
        cJSON_ArrayForEach (v, vary)
            if (strcmp(v->valuestring, *p) == 0)
                x = *p;
    }
    /* groups: distinct group names (found by a map), each gives an A and a B series */
    int n = r->n_lines, n_groups = 0;
    char **names = xcalloc((size_t)n + 1, sizeof(char *));
    int *grp = xcalloc((size_t)n + 1, sizeof(int)), *size = xcalloc((size_t)n + 1, sizeof(int));
    struct strmap by_name;
    strmap_init(&by_name);
    for (int i = 0; i < n; i++) {
        char *g = group_name(&r->lines[i], vary, x);
        int k = strmap_get(&by_name, g);
        if (k < 0) {
            k = n_groups++;
            strmap_put(&by_name, g, k);
            names[k] = g;
        } else {
            free(g);
        }
        grp[i] = k;
        size[k]++;
    }
    strmap_release(&by_name);
    struct chart_series *s = xcalloc((size_t)(2 * n_groups) + 1, sizeof(*s));
    /* each series has room for its own points only */
    size_t *off = xcalloc((size_t)n_groups + 1, sizeof(size_t));
    for (int k = 1; k <= n_groups; k++)
        off[k] = off[k - 1] + (size_t)size[k - 1];
    double *buf = xcalloc(2 * 3 * (size_t)n + 1, sizeof(double));
    char **labels = xcalloc((size_t)(2 * n_groups) + 1, sizeof(char *));
    for (int k = 0; k < n_groups; k++) {
        for (int side = 0; side < 2; side++) {
            struct chart_series *cs = &s[2 * k + side];
            labels[2 * k + side] = xasprintf("%s: %s", side ? "B" : "A", names[k]);
            cs->name = labels[2 * k + side];
            double *xs = buf + (size_t)side * 3 * (size_t)n + 3 * off[k], *ys = xs + size[k],
                   *es = ys + size[k];
            cs->x = xs;
            cs->y = ys;
            cs->err = es;
        }
    }
    for (int i = 0; i < n; i++) {
        for (int side = 0; side < 2; side++) {
            int k = grp[i];
            struct chart_series *cs = &s[2 * k + side];
            double *xs = buf + (size_t)side * 3 * (size_t)n + 3 * off[k], *ys = xs + size[k],
                   *es = ys + size[k];
            const struct metric *m = side ? &r->lines[i].b : &r->lines[i].a;
            double xv = x ? setting_num(r->lines[i].settings, x) : i;
            svg_point_insert(xs, ys, es, &cs->n, xv, m->mean, sd_of(m));
        }
    }
    int ret = 0;
    FILE *fp = fopen(path, "w");
    if (!fp) {
        ret = set_err(err, "cannot write '%s'", path);
    } else {
        char *title = xasprintf("A = %s, B = %s", a, b);
        struct chart c = {title, x ? x : "row", "mean (error bars: sd)", s, 2 * n_groups, false};
        svg_chart(fp, &c, 1000, 480, true);
        free(title);
        if (fclose(fp) != 0)
            ret = set_err(err, "cannot write '%s'", path);
    }
    for (int k = 0; k < n_groups; k++)
        free(names[k]);
    for (int k = 0; k < 2 * n_groups; k++)
        free(labels[k]);
    free(names);
    free(labels);
    free(grp);
    free(size);
    free(off);
    free(s);
    free(buf);
    return ret;
}

int cmd_compare(int argc, char **argv)
{
    const char *db_path = NULL, *plot = NULL, *side[2] = {NULL, NULL};
    enum bench_fmt fmt = BENCH_FMT_MD;
    enum compare_method method = COMPARE_WELCH;
    bool all = false, unmatched = false;
    double run_noise = COMPARE_RUN_NOISE_PCT;
    int n_side = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(compare_help, stdout);
            return QB_EXIT_OK;
        }
        bool has_v = i + 1 < argc;
        if (strcmp(a, "--db") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--method") == 0 || strcmp(a, "--plot") == 0 ||
            strcmp(a, "--run-noise") == 0) {
            if (!has_v)
                return usage_error("compare", "'%s' needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--db") == 0) {
                db_path = v;
            } else if (strcmp(a, "--run-noise") == 0) {
                if (parse_double(v, &run_noise) < 0 || run_noise < 0 || run_noise > 100)
                    return usage_error("compare",
                                       "invalid value '%s' for --run-noise (percent, 0..100)", v);
            } else if (strcmp(a, "--plot") == 0) {
                size_t n = strlen(v);
                if (n < 5 || strcmp(v + n - 4, ".svg") != 0)
                    return usage_error("compare", "--plot writes SVG: give a FILE.svg, not '%s'",
                                       v);
                plot = v;
            } else if (strcmp(a, "--method") == 0) {
                if (strcmp(v, "welch") == 0)
                    method = COMPARE_WELCH;
                else if (strcmp(v, "bootstrap") == 0)
                    method = COMPARE_BOOTSTRAP;
                else
                    return usage_error("compare", "unknown method '%s' (welch or bootstrap)", v);
            } else {
                char err[QB_ERR_LEN];
                if (bench_fmt_flag(v, BENCH_FMTS_ROWS, NULL, &fmt, err) < 0)
                    return usage_error("compare", "%s", err);
            }
        } else if (strcmp(a, "--all") == 0) {
            all = true;
        } else if (strcmp(a, "--unmatched") == 0) {
            unmatched = true;
        } else if (a[0] == '-' && a[1] != 0) {
            return usage_error("compare", "unknown flag '%s'", a);
        } else if (n_side < 2) {
            side[n_side++] = a;
        } else {
            return usage_error("compare", "more than two sides given ('%s')", a);
        }
    }
    if (n_side < 2)
        return usage_error("compare", "need two sides, A and B");
    if (unmatched && fmt == BENCH_FMT_CSV)
        return usage_error("compare", "--unmatched lists rows in md or json output, not csv");
    char err[QB_ERR_LEN];
    struct store_filter f[2];
    char *spec[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        memset(&f[k], 0, sizeof(f[k]));
        spec[k] = xstrdup(side[k]);
        f[k].ok_only = !all;
        if (dbrun_parse_filter(spec[k], &f[k], err) < 0) {
            free(spec[0]);
            free(spec[1]);
            return usage_error("compare", "%s: %s", k ? "B" : "A", err);
        }
    }
    int ret = QB_EXIT_OK;
    cJSON *vary = NULL;
    struct compare_result r;
    compare_begin(&r, unmatched);
    int open_rc = QB_EXIT_INPUT;
    struct store *st = dbrun_open_existing(db_path, &open_rc, err);
    if (!st) {
        ret = open_rc;
        error("%s", err);
        goto out;
    }
    /* rows go from the query into the matching one at a time: memory grows with the
     * distinct tests and settings, not with the rows */
    for (int k = 0; k < 2; k++) {
        struct compare_feed feed = {&r, k, 0};
        if (store_query_each(st, &f[k], compare_feed_row, &feed, err) != 0) {
            ret = error("%s", err);
            goto out;
        }
        if (feed.n == 0) {
            ret = QB_EXIT_INPUT;
            error("%s ('%s') matches no stored rows", k ? "B" : "A", side[k]);
            goto out;
        }
    }
    compare_finish(&r, method, run_noise / 100);
    if (r.n_lines == 0 && (!unmatched || fmt == BENCH_FMT_CSV)) {
        ret = error("no rows of A ('%s') and B ('%s') have the same test and settings", side[0],
                    side[1]);
        goto out;
    }
    if (r.n_fallback)
        log_warn("the bootstrap needs %d samples on each side: %d of %d rows have fewer and "
                 "use Welch's interval",
                 COMPARE_BOOTSTRAP_MIN, r.n_fallback, r.n_lines);
    vary = compare_varying(&r);
    if (fmt == BENCH_FMT_MD && r.n_lines == 0) {
        write_unmatched_md(stdout, &r); /* nothing matched: how the rows differ */
    } else if (fmt == BENCH_FMT_MD) {
        write_md(stdout, &r, vary, side[0], side[1], run_noise, unmatched);
    } else if (fmt == BENCH_FMT_CSV) {
        write_csv(stdout, &r);
    } else if (fmt == BENCH_FMT_JSONL) {
        for (int i = 0; i < r.n_lines; i++) {
            cJSON *o = line_json(&r.lines[i], method);
            char *txt = cJSON_PrintUnformatted(o);
            printf("%s\n", txt);
            free(txt);
            cJSON_Delete(o);
        }
    } else {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < r.n_lines; i++)
            cJSON_AddItemToArray(arr, line_json(&r.lines[i], method));
        if (unmatched) { /* an object only when asked: the array stays as it was */
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "matched", arr);
            cJSON_AddItemToObject(o, "unmatched", unmatched_json(&r));
            arr = o;
        }
        char *txt = cJSON_Print(arr);
        printf("%s\n", txt);
        free(txt);
        cJSON_Delete(arr);
    }
    if (plot && write_plot(plot, &r, vary, side[0], side[1], err) < 0) {
        ret = error("%s", err);
        goto out;
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        ret = error("cannot write results to stdout");
    else if (r.n_lines == 0)
        ret = error("no rows of A ('%s') and B ('%s') have the same test and settings", side[0],
                    side[1]);
out:
    cJSON_Delete(vary);
    compare_release(&r);
    store_close(st);
    free(spec[0]);
    free(spec[1]);
    return ret;
}
