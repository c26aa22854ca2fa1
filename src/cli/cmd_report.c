/* quantbench report [FILTER...]: stored rows as md, csv, json, jsonl or the dashboard's
 * page (dash/report.h) as one self-contained html file holding the API answers of the
 * rows' runs. --runs lists the runs instead, --suite RUN a suite run's table. Reads only. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dash/report.h"
#include "../record/memsum.h"
#include "../report/compare.h"
#include "../report/table.h"
#include "../store/dbrun.h"
#include "../store/store.h"
#include "../suite/share.h"
#include "cmd.h"

static const char report_help[] =
    "usage: quantbench report [FILTER...] [flags]\n"
    "       quantbench report --suite RUN [--db PATH] [-o md|csv|json|html]\n"
    "\n"
    "Prints stored result rows. A FILTER is a run id, a label, or KEY=VALUE[,KEY=VALUE]\n"
    "with keys run, label, kind, model, quant, build or any setting (n_threads=8, t=8,\n"
    "fa=1, type_k=q8_0; as in 'quantbench compare'), every value matched literally;\n"
    "several filters add their rows together; none means every row.\n"
    "\n"
    "Flags:\n"
    "  --db PATH          the results database (default $QB_DB, else ./quantbench.db)\n"
    "  -o, --output FMT   md (default), csv, json, jsonl (the stored rows whole, with their\n"
    "                     samples and metadata) or html (the dashboard of 'quantbench serve'\n"
    "                     as one self-contained file, nothing fetched: the selected rows'\n"
    "                     runs whole, with their rows, cells and events, to look at offline)\n"
    "                     md adds the quant ladder of 'quantize' rows: size, bits per\n"
    "                     weight, pp/tg t/s, PPL, KLD and same-top % per rung, the rungs no\n"
    "                     smaller rung beats on KLD marked as the frontier\n"
    "  --runs             list the runs (id, label, command, times, status, rows)\n"
    "  --suite RUN        the table to share of a suite run ('quantbench run'; RUN: its id,\n"
    "                     its label or 'last'): one row per model x settings of its plan\n"
    "                     with size, bits per weight, pp/tg t/s (± the 95% interval), TTFT,\n"
    "                     load time (cold/warm), peak host and GPU memory, PPL, KLD, same\n"
    "                     top %, prompts score and the cells that failed; '-' where no\n"
    "                     stored row gives a figure (md, csv, json, or html: the\n"
    "                     dashboard's page of that run as one self-contained file)\n"
    "  --all              include failed rows (default: status ok only)\n"
    "\n" QB_EXIT_CODES_HELP;

/* ---------------------------------------------------------------- row summaries */

static const char *str_of(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : dflt;
}

static double num_of(const cJSON *o, const char *key, double dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : dflt;
}

static const char *model_name(const cJSON *row)
{
    const char *f = str_of(row, "model_filename", NULL);
    if (f) {
        const char *slash = strrchr(f, '/');
        return slash ? slash + 1 : f;
    }
    return str_of(row, "model_type", "?");
}

/* "t/s 12.34 ± 0.56" style text of a row's metrics (the caller frees) */
static char *metrics_text(const char *kind, const cJSON *row)
{
    struct metric m[4];
    int n = compare_row_metrics(kind, row, m);
    char *s = xstrdup("");
    for (int i = 0; i < n; i++) {
        double sd = metric_pm(&m[i]);
        char *t = sd > 0
                      ? xasprintf("%s%s%s %.2f ± %.2f", s, i ? ", " : "", m[i].name, m[i].mean, sd)
                      : xasprintf("%s%s%s %.2f", s, i ? ", " : "", m[i].name, m[i].mean);
        free(s);
        s = t;
        free(m[i].v);
    }
    return s;
}

/* settings worth a column in the summary table */
static const char *const shown[] = {"n_threads", "n_gpu_layers", "n_depth",    "n_kv", "pl",
                                    "n_ubatch",  "type_k",       "flash_attn", NULL};

static char *setting(const cJSON *res, const char *name)
{
    const cJSON *it =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "settings"), name);
    return it ? table_value_text(it) : xstrdup("");
}

/* the columns of shown[] that any row has */
static unsigned used_settings(const cJSON *rows)
{
    unsigned used = 0;
    const cJSON *res;
    cJSON_ArrayForEach (res, rows) {
        const cJSON *set = cJSON_GetObjectItemCaseSensitive(res, "settings");
        for (int k = 0; shown[k]; k++)
            if (cJSON_GetObjectItemCaseSensitive(set, shown[k]))
                used |= 1u << k;
    }
    return used;
}

/* One md table of rows */
static void write_table(FILE *fp, const cJSON *rows)
{
    unsigned used = used_settings(rows);
    static const char *const fixed[] = {"id", "run", "label", "kind", "model", "test"};
    fputs("|", fp);
    for (size_t k = 0; k < QB_ARRAY_LEN(fixed); k++)
        fprintf(fp, " %s |", fixed[k]);
    for (int k = 0; shown[k]; k++)
        if (used & (1u << k))
            fprintf(fp, " %s |", shown[k]);
    fputs(" result | status |\n|", fp);
    for (size_t k = 0; k < QB_ARRAY_LEN(fixed); k++)
        fputs(k < 2 ? "---:|" : "---|", fp);
    for (int k = 0; shown[k]; k++)
        if (used & (1u << k))
            fputs("---:|", fp);
    fputs("---|---|\n", fp);
    const cJSON *res;
    cJSON_ArrayForEach (res, rows) {
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(res, "row");
        const char *kind = str_of(res, "kind", "");
        char *cells[6 + 16];
        int n = 0;
        cells[n++] = xasprintf("%.0f", num_of(res, "id", 0));
        cells[n++] = xasprintf("%.0f", num_of(res, "run_id", 0));
        cells[n++] = xstrdup(str_of(res, "label", ""));
        cells[n++] = xasprintf(
            "%s%s", kind, cJSON_IsTrue(cJSON_GetObjectItem(res, "imported")) ? " (imported)" : "");
        cells[n++] = xstrdup(model_name(row));
        cells[n++] = xstrdup(str_of(res, "test", ""));
        for (int k = 0; shown[k]; k++)
            if (used & (1u << k))
                cells[n++] = setting(res, shown[k]);
        cells[n++] = metrics_text(kind, row);
        const char *status = str_of(res, "status", "");
        const char *why = str_of(row, "error", "");
        cells[n++] = why[0] ? xasprintf("%s: %s", status, why) : xstrdup(status);
        fputs("|", fp);
        for (int k = 0; k < n; k++) {
            fputc(' ', fp);
            fput_escaped(cells[k], STR_ESC_MD, fp);
            fputs(" |", fp);
            free(cells[k]);
        }
        fputs("\n", fp);
    }
}

/* ---------------------------------------------------------------- the quant ladder */

/* quantize rows (one per rung, and the source with --bench / --quality): size, speed
 * and quality side by side, smallest first, the size / KLD frontier marked */
struct rung_pt {
    const cJSON *res, *row;
    double size, kld;
};

static int by_size(const void *a, const void *b)
{
    double x = ((const struct rung_pt *)a)->size, y = ((const struct rung_pt *)b)->size;
    return x < y ? -1 : x > y;
}

static bool has_num(const cJSON *r, const char *key)
{
    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, key));
}

/* "<key> ± <key>_sd" with that many decimals, "" when the row lacks key */
static char *mean_sd(const cJSON *r, const char *key, int decimals)
{
    if (!has_num(r, key))
        return xstrdup("");
    char sd[64];
    snprintf(sd, sizeof(sd), "%s_sd", key);
    return xasprintf("%.*f ± %.*f", decimals, num_of(r, key, 0), decimals, num_of(r, sd, 0));
}

static void write_ladder(FILE *fp, const cJSON *rows)
{
    int n = 0;
    const cJSON *res;
    cJSON_ArrayForEach (res, rows)
        n += strcmp(str_of(res, "kind", ""), "quantize") == 0;
    if (n == 0)
        return;
    struct rung_pt *p = xcalloc((size_t)n, sizeof(*p));
    n = 0;
    cJSON_ArrayForEach (res, rows) {
        if (strcmp(str_of(res, "kind", ""), "quantize") != 0)
            continue;
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(res, "row");
        p[n++] = (struct rung_pt){res, row, num_of(row, "size_mib", 0), num_of(row, "kld", -1)};
    }
    qsort(p, (size_t)n, sizeof(*p), by_size);
    static const char *const head[] = {"run",    "type", "size MiB", "bits/weight", "pp t/s",
                                       "tg t/s", "PPL",  "mean KLD", "same top %",  "frontier"};
    /* on the size / KLD frontier: no smaller rung of its run has a KLD as low */
    bool *front = xcalloc((size_t)n, sizeof(bool));
    for (int i = 0; i < n; i++) {
        front[i] = has_num(p[i].row, "kld");
        for (int j = 0; j < i && front[i]; j++)
            if (num_of(p[j].res, "run_id", 0) == num_of(p[i].res, "run_id", 0) &&
                has_num(p[j].row, "kld") && p[j].kld <= p[i].kld)
                front[i] = false;
    }
    fputs("\n## Quant ladder\n\n|", fp);
    for (size_t k = 0; k < QB_ARRAY_LEN(head); k++)
        fprintf(fp, " %s |", head[k]);
    fputs("\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n", fp);
    for (int i = 0; i < n; i++) {
        const cJSON *r = p[i].row;
        char *c[10];
        c[0] = xasprintf("%.0f", num_of(p[i].res, "run_id", 0));
        c[1] = xstrdup(str_of(r, "type", ""));
        c[2] = xasprintf("%.2f", num_of(r, "size_mib", 0));
        c[3] = xasprintf("%.2f", num_of(r, "bpw", 0));
        c[4] = mean_sd(r, "pp_ts", 2);
        c[5] = mean_sd(r, "tg_ts", 2);
        /* llama-perplexity's standard error, as quality and quantize print it (rows
         * stored before it was named ppl_err call it ppl_sd) */
        c[6] = has_num(r, "ppl") ? xasprintf("%.4f ± %.5f", num_of(r, "ppl", 0),
                                             num_of(r, "ppl_err", num_of(r, "ppl_sd", 0)))
                                 : xstrdup("");
        c[7] = mean_sd(r, "kld", 6);
        c[8] = has_num(r, "same_top_pct") ? xasprintf("%.2f", num_of(r, "same_top_pct", 0))
                                          : xstrdup("");
        c[9] = xstrdup(front[i] ? "yes" : "");
        fputs("|", fp);
        for (int k = 0; k < 10; k++) {
            fputc(' ', fp);
            fput_escaped(c[k], STR_ESC_MD, fp);
            fputs(" |", fp);
            free(c[k]);
        }
        fputs("\n", fp);
    }
    free(front);
    free(p);
}

static void write_csv(FILE *fp, const cJSON *rows)
{
    fputs("id,run_id,label,kind,model,test,status,metric,mean,sd,n,settings\n", fp);
    const cJSON *res;
    cJSON_ArrayForEach (res, rows) {
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(res, "row");
        const char *kind = str_of(res, "kind", "");
        struct metric m[4];
        int n = compare_row_metrics(kind, row, m);
        char *set = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(res, "settings"));
        for (int i = 0; i < (n ? n : 1); i++) {
            fprintf(fp, "%.0f,%.0f,", num_of(res, "id", 0), num_of(res, "run_id", 0));
            table_put_quoted(fp, str_of(res, "label", ""), '"');
            fputc(',', fp);
            fput_escaped(kind, 0, fp);
            fputc(',', fp);
            table_put_quoted(fp, model_name(row), '"');
            fputc(',', fp);
            table_put_quoted(fp, str_of(res, "test", ""), '"');
            fputc(',', fp);
            fput_escaped(str_of(res, "status", ""), 0, fp);
            fputc(',', fp);
            if (n)
                fprintf(fp, "%s,%.6g,%.6g,%d,", m[i].name, m[i].mean, metric_pm(&m[i]), m[i].n);
            else
                fputs(",,,,", fp);
            table_put_quoted(fp, set ? set : "{}", '"');
            fputc('\n', fp);
            if (n)
                free(m[i].v);
        }
        free(set);
    }
}

static void write_runs(FILE *fp, const cJSON *runs, enum bench_fmt fmt)
{
    if (fmt == BENCH_FMT_JSON || fmt == BENCH_FMT_JSONL) {
        const cJSON *r;
        if (fmt == BENCH_FMT_JSON) {
            char *t = cJSON_Print(runs);
            fprintf(fp, "%s\n", t);
            free(t);
            return;
        }
        cJSON_ArrayForEach (r, runs) {
            char *t = cJSON_PrintUnformatted(r);
            fprintf(fp, "%s\n", t);
            free(t);
        }
        return;
    }
    /* labels, hosts and imported paths come from outside: text_table escapes them */
    static const char *const heads[] = {"id",     "label", "command", "started",       "ended",
                                        "status", "rows",  "host",    "imported from", "reason"};
    struct text_table t;
    text_table_begin(&t, fp, fmt, heads, "rlllllrlll", 10);
    const cJSON *r;
    cJSON_ArrayForEach (r, runs) {
        char id[32], n[32];
        snprintf(id, sizeof(id), "%.0f", num_of(r, "id", 0));
        snprintf(n, sizeof(n), "%.0f", num_of(r, "n_results", 0));
        const char *cells[] = {id,
                               str_of(r, "label", ""),
                               str_of(r, "command", ""),
                               str_of(r, "started", ""),
                               str_of(r, "ended", ""),
                               str_of(r, "status", ""),
                               n,
                               str_of(r, "host", ""),
                               str_of(r, "imported_from", ""),
                               str_of(r, "reason", "")};
        text_table_row(&t, cells);
    }
    text_table_end(&t);
}

/* -o html: the dashboard's page of the runs the rows belong to, in the rows' order */
static int write_page(struct store *st, const cJSON *rows, char *err)
{
    int64_t *ids = xcalloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof(int64_t));
    int n = 0;
    const cJSON *res;
    cJSON_ArrayForEach (res, rows) {
        int64_t id = (int64_t)num_of(res, "run_id", 0);
        int k = 0;
        while (k < n && ids[k] != id)
            k++;
        if (k == n)
            ids[n++] = id;
    }
    int rc = dash_report_write(st, "quantbench report", ids, n, stdout, err);
    free(ids);
    return rc;
}

/* report --suite RUN: the suite table of a suite run (RUN: id, label or "last") */
static int report_suite(struct store *st, const char *run, enum bench_fmt fmt)
{
    char err[QB_ERR_LEN];
    bool last = strcmp(run, "last") == 0;
    int64_t id = last ? store_last_suite_run(st) : store_find_run(st, run);
    if (id == 0) {
        if (last)
            error("no suite run in the database");
        else
            error("no run '%s' in the database", run);
        return QB_EXIT_INPUT;
    }
    int is = store_suite_json(st, id, NULL, err);
    if (is < 0)
        return error("%s", err);
    if (is == 0) {
        error("run %lld is not a suite run", (long long)id);
        return QB_EXIT_INPUT;
    }
    int ret = QB_EXIT_OK;
    if (fmt == BENCH_FMT_HTML ? dash_report_suite(st, id, stdout, err) < 0
                              : suite_write_table(st, id, fmt, stdout, err) < 0)
        ret = error("%s", err);
    if (ret == QB_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout)))
        ret = error("cannot write results to stdout");
    return ret;
}

int cmd_report(int argc, char **argv)
{
    const char *db_path = NULL, *suite = NULL;
    enum bench_fmt fmt = BENCH_FMT_MD;
    bool html = false, runs = false, all = false;
    char **specs = xcalloc((size_t)argc + 1, sizeof(char *));
    int n_specs = 0, ret = QB_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(report_help, stdout);
            goto out_free;
        }
        if (strcmp(a, "--db") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--suite") == 0) {
            if (i + 1 >= argc) {
                ret = usage_error("report", "'%s' needs a value", a);
                goto out_free;
            }
            const char *v = argv[++i];
            if (strcmp(a, "--db") == 0) {
                db_path = v;
            } else if (strcmp(a, "--suite") == 0) {
                suite = v;
            } else {
                char err[QB_ERR_LEN];
                if (bench_fmt_flag(v, BENCH_FMTS_ROWS | BENCH_FMT_BIT(BENCH_FMT_HTML), NULL, &fmt,
                                   err) < 0) {
                    ret = usage_error("report", "%s", err);
                    goto out_free;
                }
                html = fmt == BENCH_FMT_HTML;
            }
        } else if (strcmp(a, "--runs") == 0) {
            runs = true;
        } else if (strcmp(a, "--all") == 0) {
            all = true;
        } else if (a[0] == '-' && a[1] != 0) {
            ret = usage_error("report", "unknown flag '%s'", a);
            goto out_free;
        } else {
            specs[n_specs++] = xstrdup(a);
        }
    }
    if (runs && html) {
        ret = usage_error("report", "--runs lists the runs as md, csv, json or jsonl, not html");
        goto out_free;
    }
    if (suite && (runs || n_specs > 0)) {
        ret = usage_error("report", "--suite shows one suite run: no FILTER, no --runs");
        goto out_free;
    }
    if (suite && fmt != BENCH_FMT_MD && fmt != BENCH_FMT_CSV && fmt != BENCH_FMT_JSON &&
        fmt != BENCH_FMT_HTML) {
        ret = usage_error("report", "--suite writes md, csv, json or html");
        goto out_free;
    }
    char err[QB_ERR_LEN];
    struct store_filter *f = xcalloc((size_t)n_specs + 1, sizeof(*f));
    for (int k = 0; k < n_specs; k++) {
        f[k].ok_only = !all;
        if (dbrun_parse_filter(specs[k], &f[k], err) < 0) {
            free(f);
            ret = usage_error("report", "%s", err);
            goto out_free;
        }
    }
    if (n_specs == 0)
        f[n_specs++].ok_only = !all;
    int open_rc = QB_EXIT_INPUT;
    struct store *st = dbrun_open_existing(db_path, &open_rc, err);
    cJSON *rows = NULL;
    if (!st) {
        ret = open_rc;
        error("%s", err);
        goto out;
    }
    if (suite) {
        ret = report_suite(st, suite, fmt);
        goto out;
    }
    if (runs) {
        if (store_list_runs(st, &rows, err) < 0) {
            ret = error("%s", err);
            goto out;
        }
        write_runs(stdout, rows, fmt);
        goto out;
    }
    rows = cJSON_CreateArray();
    for (int k = 0; k < n_specs; k++) {
        cJSON *part = NULL, *it;
        if (store_query(st, &f[k], &part, err) < 0) {
            ret = error("%s", err);
            goto out;
        }
        while ((it = cJSON_DetachItemFromArray(part, 0)) != NULL) {
            mem_summary_fix_row(cJSON_GetObjectItemCaseSensitive(it, "row"));
            cJSON_AddItemToArray(rows, it);
        }
        cJSON_Delete(part);
    }
    if (html) {
        if (write_page(st, rows, err) < 0) {
            ret = error("%s", err);
            goto out;
        }
    } else if (fmt == BENCH_FMT_MD) {
        write_table(stdout, rows);
        write_ladder(stdout, rows);
    } else if (fmt == BENCH_FMT_CSV) {
        write_csv(stdout, rows);
    } else if (fmt == BENCH_FMT_JSON) {
        char *t = cJSON_Print(rows);
        printf("%s\n", t);
        free(t);
    } else {
        const cJSON *it;
        cJSON_ArrayForEach (it, rows) {
            char *t = cJSON_PrintUnformatted(it);
            printf("%s\n", t);
            free(t);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        ret = error("cannot write results to stdout");
out:
    cJSON_Delete(rows);
    store_close(st);
    free(f);
out_free:
    for (int k = 0; k < n_specs; k++)
        free(specs[k]);
    free(specs);
    return ret;
}
