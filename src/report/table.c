/* Row output (see table.h). */
#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

int bench_fmt_parse(const char *s, bool allow_none)
{
    static const struct {
        const char *name;
        enum bench_fmt fmt;
    } f[] = {{"md", BENCH_FMT_MD},       {"csv", BENCH_FMT_CSV}, {"json", BENCH_FMT_JSON},
             {"jsonl", BENCH_FMT_JSONL}, {"sql", BENCH_FMT_SQL}, {"none", BENCH_FMT_NONE}};
    for (size_t i = 0; i < QB_ARRAY_LEN(f); i++)
        if (strcmp(s, f[i].name) == 0 && (allow_none || f[i].fmt != BENCH_FMT_NONE))
            return (int)f[i].fmt;
    return -1;
}

/* every format's name, in the order --help and errors list them */
static const struct {
    const char *name;
    enum bench_fmt fmt;
} fmt_names[] = {{"md", BENCH_FMT_MD},       {"csv", BENCH_FMT_CSV}, {"json", BENCH_FMT_JSON},
                 {"jsonl", BENCH_FMT_JSONL}, {"sql", BENCH_FMT_SQL}, {"html", BENCH_FMT_HTML},
                 {"none", BENCH_FMT_NONE}};

const char *bench_fmt_names(unsigned accepted, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < QB_ARRAY_LEN(fmt_names) && used < n; i++)
        if (accepted & BENCH_FMT_BIT(fmt_names[i].fmt)) {
            int k = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", fmt_names[i].name);
            if (k < 0)
                break;
            used += (size_t)k;
        }
    return buf;
}

int bench_fmt_flag(const char *v, unsigned accepted, const char *flag, enum bench_fmt *fmt,
                   char *err)
{
    for (size_t i = 0; i < QB_ARRAY_LEN(fmt_names); i++)
        if (strcmp(v, fmt_names[i].name) == 0 && (accepted & BENCH_FMT_BIT(fmt_names[i].fmt))) {
            *fmt = fmt_names[i].fmt;
            return 0;
        }
    char names[128];
    return set_err(err, "invalid output format '%s'%s%s (%s)", v, flag ? " for " : "",
                   flag ? flag : "", bench_fmt_names(accepted, names, sizeof(names)));
}

void csv_put_field(FILE *fp, const char *s)
{
    /* quoted: what a CSV reader would split, or what str_escape must escape */
    if (strpbrk(s, ",\"\r\n") || str_needs_escape(s, STR_ESC_KEEP_LINES))
        table_put_quoted(fp, s, '"');
    else
        fputs(s, fp);
}

void text_table_begin(struct text_table *t, FILE *fp, enum bench_fmt fmt, const char *const *heads,
                      const char *align, int n_cols)
{
    memset(t, 0, sizeof(*t));
    t->fp = fp;
    t->fmt = fmt;
    t->heads = heads;
    t->align = align;
    t->n_cols = n_cols;
}

static void text_table_line(struct text_table *t, const char *const *cells)
{
    for (int i = 0; i < t->n_cols; i++) {
        const char *c = cells[i] ? cells[i] : "";
        if (t->fmt == BENCH_FMT_CSV) {
            if (i)
                fputc(',', t->fp);
            csv_put_field(t->fp, c);
        } else {
            fputs(i ? " | " : "| ", t->fp);
            fput_escaped(c, STR_ESC_MD, t->fp); /* a cell may hold a path or llama.cpp's words */
        }
    }
    fputs(t->fmt == BENCH_FMT_CSV ? "\n" : " |\n", t->fp);
}

static void text_table_header(struct text_table *t)
{
    if (t->header_done)
        return;
    text_table_line(t, t->heads);
    if (t->fmt != BENCH_FMT_CSV) {
        fputc('|', t->fp);
        for (int i = 0; i < t->n_cols; i++)
            fputs(t->align && t->align[i] == 'r' ? "---:|" : "---|", t->fp);
        fputc('\n', t->fp);
    }
    t->header_done = true;
}

void text_table_row(struct text_table *t, const char *const *cells)
{
    text_table_header(t);
    text_table_line(t, cells);
}

void text_table_end(struct text_table *t)
{
    text_table_header(t);
}

char *table_value_text(const cJSON *it)
{
    if (cJSON_IsString(it))
        return xstrdup(it->valuestring);
    if (cJSON_IsBool(it))
        return xstrdup(cJSON_IsTrue(it) ? "1" : "0");
    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (d == floor(d) && fabs(d) < 9.0e15)
            return xasprintf("%.0f", d);
        return xasprintf("%.6f", d);
    }
    if (cJSON_IsObject(it) || (cJSON_IsArray(it) && cJSON_IsObject(it->child))) {
        char *j = cJSON_PrintUnformatted(it);
        char *r = xstrdup(j ? j : "");
        cJSON_free(j);
        return r;
    }
    if (cJSON_IsArray(it)) {
        size_t cap = 64, len = 0;
        char *s = xmalloc(cap);
        s[0] = '\0';
        const cJSON *e;
        cJSON_ArrayForEach (e, it) {
            char *t = table_value_text(e);
            size_t k = strlen(t);
            if (len + k + 2 > cap) {
                cap = 2 * (len + k + 2);
                s = xrealloc(s, cap);
            }
            len += (size_t)snprintf(s + len, cap - len, "%s%s", len ? " " : "", t);
            free(t);
        }
        return s;
    }
    return xstrdup("");
}

void table_put_quoted(FILE *fp, const char *s, char q)
{
    /* a quoted field carries newlines and tabs, but no terminal escape */
    char *e = str_escape(s, STR_ESC_KEEP_LINES);
    fputc(q, fp);
    for (const char *c = e; *c; c++) {
        if (*c == q)
            fputc(q, fp);
        fputc(*c, fp);
    }
    fputc(q, fp);
    free(e);
}

/* The first row's keys make the header; every row is written in their order (a key a
 * row lacks is an empty field), so the columns hold whatever rows follow (a failed model's
 * row among another's) */
static void csv_row(struct table_out *t, const cJSON *o)
{
    const cJSON *it;
    if (!t->header_done) {
        bool first = true;
        t->csv_keys = cJSON_CreateArray();
        cJSON_ArrayForEach (it, o) {
            fputs(first ? "" : ",", t->fp);
            csv_put_field(t->fp, it->string);
            cJSON_AddItemToArray(t->csv_keys, cJSON_CreateString(it->string));
            first = false;
        }
        fputc('\n', t->fp);
        t->header_done = true;
    }
    bool first = true;
    const cJSON *k;
    if (!t->csv_keys) { /* the header was written by an earlier table_out (bench_report) */
        cJSON_ArrayForEach (it, o) {
            char *s = table_value_text(it);
            fputs(first ? "" : ",", t->fp);
            table_put_quoted(t->fp, s, '"');
            free(s);
            first = false;
        }
        fputc('\n', t->fp);
        return;
    }
    cJSON_ArrayForEach (k, t->csv_keys) {
        it = cJSON_GetObjectItemCaseSensitive(o, k->valuestring);
        char *s = table_value_text(it);
        fputs(first ? "" : ",", t->fp);
        table_put_quoted(t->fp, s, '"');
        free(s);
        first = false;
    }
    fputc('\n', t->fp);
}

static int abs_i(int x)
{
    return x < 0 ? -x : x;
}

static void md_header(struct table_out *t)
{
    fputc('|', t->fp);
    for (int i = 0; i < t->n_cols; i++)
        fprintf(t->fp, " %*s |", t->cols[i].width, t->cols[i].head);
    fputs("\n|", t->fp);
    for (int i = 0; i < t->n_cols; i++) {
        fputc(' ', t->fp);
        for (int k = 0; k < abs_i(t->cols[i].width) - 1; k++)
            fputc('-', t->fp);
        fprintf(t->fp, "%s |", t->cols[i].width > 0 ? ":" : "-");
    }
    fputc('\n', t->fp);
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

static void md_row(struct table_out *t, const cJSON *o)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    bool ok = !cJSON_IsString(st) || strcmp(st->valuestring, "ok") == 0;
    fputc('|', t->fp);
    for (int i = 0; i < t->n_cols; i++) {
        const struct table_col *c = &t->cols[i];
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, c->key);
        char v[128], sd_key[64];
        int width = c->width;
        const bool missing = cJSON_IsNull(it) && ok; /* a figure not measured: "-" */
        snprintf(v, sizeof(v), "-");
        if (!missing)
            switch (c->kind) {
            case TABLE_INT: snprintf(v, sizeof(v), "%.0f", num(o, c->key)); break;
            case TABLE_F2: snprintf(v, sizeof(v), ok ? "%.2f" : "-", num(o, c->key)); break;
            case TABLE_F3: snprintf(v, sizeof(v), ok ? "%.3f" : "-", num(o, c->key)); break;
            case TABLE_MIB:
                snprintf(v, sizeof(v), ok ? "%.2f" : "-", num(o, c->key) / 1048576.0);
                break;
            case TABLE_MEAN_SD:
            case TABLE_MEAN_SD4:
            case TABLE_MEAN_ERR:
                if (ok) {
                    snprintf(sd_key, sizeof(sd_key), "%s_%s", c->key,
                             c->kind == TABLE_MEAN_ERR ? "err" : "sd");
                    snprintf(v, sizeof(v),
                             c->kind == TABLE_MEAN_SD    ? "%.2f ± %.2f"
                             : c->kind == TABLE_MEAN_ERR ? "%.4f ± %.5f"
                                                         : "%.4f ± %.4f",
                             num(o, c->key), num(o, sd_key));
                    width += width > 0 ? 1 : -1; /* the ± is two bytes */
                } else {
                    snprintf(v, sizeof(v), "%s", st->valuestring);
                }
                break;
            case TABLE_FLAG: snprintf(v, sizeof(v), "%s", cJSON_IsTrue(it) ? c->head : ""); break;
            }
        if (cJSON_IsString(it) && c->kind == TABLE_INT)
            snprintf(v, sizeof(v), "%s", it->valuestring);
        char *e = str_escape(v, STR_ESC_MD);
        fprintf(t->fp, " %*s |", width, e);
        free(e);
    }
    fputc('\n', t->fp);
    const cJSON *commit = cJSON_GetObjectItemCaseSensitive(o, "build_commit");
    if (cJSON_IsString(commit) && commit->valuestring[0])
        snprintf(t->footer, sizeof(t->footer), "build: %s (%.0f)", commit->valuestring,
                 num(o, "build_number"));
}

void table_begin(struct table_out *t, FILE *fp, enum bench_fmt fmt, const struct table_col *cols,
                 int n_cols)
{
    memset(t, 0, sizeof(*t));
    t->fp = fp;
    t->fmt = fmt;
    t->cols = cols;
    t->n_cols = n_cols;
    if (fmt == BENCH_FMT_JSON)
        fputs("[\n", fp);
    if (fp)
        fflush(fp);
}

void table_row(struct table_out *t, const cJSON *o)
{
    if (t->fmt == BENCH_FMT_NONE)
        return;
    if (t->fmt == BENCH_FMT_MD) {
        if (!t->header_done) {
            md_header(t);
            t->header_done = true;
        }
        md_row(t, o);
    } else if (t->fmt == BENCH_FMT_CSV) {
        csv_row(t, o);
    } else {
        char *s = t->fmt == BENCH_FMT_JSON ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
        if (t->fmt == BENCH_FMT_JSON)
            fprintf(t->fp, "%s%s", t->n_rows ? ",\n" : "", s);
        else
            fprintf(t->fp, "%s\n", s);
        free(s);
    }
    t->n_rows++;
    fflush(t->fp);
}

void table_end(struct table_out *t)
{
    cJSON_Delete(t->csv_keys);
    t->csv_keys = NULL;
    if (t->fmt == BENCH_FMT_NONE)
        return;
    if (t->fmt == BENCH_FMT_JSON)
        fputs(t->n_rows ? "\n]\n" : "]\n", t->fp);
    else if (t->fmt == BENCH_FMT_MD && t->footer[0]) {
        fputc('\n', t->fp);
        fput_escaped(t->footer, STR_ESC_MD, t->fp);
        fputc('\n', t->fp);
    }
    fflush(t->fp);
}

int table_cols_mem(const struct table_col *base, int n, bool mem, struct table_col *out)
{
    static const struct table_col mem_cols[] = {
        {"mem_host_bytes", "host MiB", 9, TABLE_MIB},
        {"mem_gpu_bytes", "GPU MiB", 9, TABLE_MIB},
        {"rss_peak_bytes", "peak RSS MiB", 12, TABLE_MIB},
    };
    int k = 0;
    for (int i = 0; i < n; i++)
        out[k++] = base[i];
    for (int i = 0; mem && i < 3; i++)
        out[k++] = mem_cols[i];
    return k;
}
