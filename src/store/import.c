/* Reading llama-bench, llama-batched-bench and sweep-bench output (see import.h). */
#include "import.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../record/fields.h"
#include "../util/util.h"

/* llama-bench's field types (its get_field_type): the rest are strings */
static const char *const int_fields[] = {
    "build_number", "n_batch",        "n_ubatch",     "n_threads",  "poll",
    "model_size",   "model_n_params", "n_gpu_layers", "main_gpu",   "n_prompt",
    "n_gen",        "n_depth",        "avg_ns",       "stddev_ns",  "no_op_offload",
    "n_cpu_moe",    "fit_target",     "fit_min_ctx",  "flash_attn", NULL};
static const char *const bool_fields[] = {"f16_kv",  "no_kv_offload", "cpu_strict", "embeddings",
                                          "no_host", "use_mmap",      NULL};
static const char *const float_fields[] = {"avg_ts", "stddev_ts", NULL};

static bool in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (strcmp(*l, s) == 0)
            return true;
    return false;
}

static bool parse_num(const char *s, double *v)
{
    return s[0] && parse_double(s, v) == 0;
}

/* A value of llama-bench's csv/sql (text) as its JSON type */
static cJSON *typed_value(const char *field, const char *v)
{
    double d;
    if ((in_list(int_fields, field) || in_list(float_fields, field)) && parse_num(v, &d))
        return cJSON_CreateNumber(d);
    if (in_list(bool_fields, field) && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0))
        return cJSON_CreateBool(v[0] == '1');
    if (in_list(bool_fields, field) && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0))
        return cJSON_CreateBool(v[0] == 't');
    return cJSON_CreateString(v);
}

/* Fields stored as integers (the results' indexed columns, the build, the model) or
 * counted with (repetitions, chunks): a whole number, exactly representable, so that
 * no cast of a double to an integer type is undefined. llama-bench's integers first. */
static const char *const whole_fields[] = {"pp",        "tg",    "pl",   "n_kv",   "n_parallel",
                                           "n_ctx",     "n_seq", "reps", "n_reps", "n_chunks",
                                           "n_ctx_max", "step",  "max",  NULL};
#define WHOLE_MAX 9007199254740992.0 /* 2^53 */

/* Every number of a row finite and, for the integer fields, whole and within 2^53 */
static int check_numbers(const cJSON *v, const char *field, bool top, char *msg, size_t n)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d))
            return snprintf(msg, n, "the value of '%.60s' is not a finite number", field), -1;
        bool whole = top && (in_list(int_fields, field) || in_list(whole_fields, field));
        if (whole && fabs(d) > WHOLE_MAX)
            return snprintf(msg, n, "'%.60s' = %.15g is out of range (more than 2^53 in magnitude)",
                            field, d),
                   -1;
        if (whole && d != floor(d))
            return snprintf(msg, n, "'%.60s' = %.15g is not a whole number", field, d), -1;
        return 0;
    }
    const cJSON *it;
    cJSON_ArrayForEach (it, v)
        if (check_numbers(it, it->string ? it->string : field, false, msg, n) < 0)
            return -1;
    return 0;
}

/* ---------------------------------------------------------------- lines */

struct lines {
    char *buf; /* NUL-terminated copy with each line ended by NUL */
    char **l;  /* line starts */
    int n;
};

static void lines_split(const char *text, size_t len, struct lines *ls)
{
    ls->buf = xmalloc(len + 1);
    memcpy(ls->buf, text, len);
    ls->buf[len] = 0;
    int cap = 64;
    ls->l = xmalloc((size_t)cap * sizeof(char *));
    ls->n = 0;
    char *p = ls->buf, *end = ls->buf + len;
    while (p < end || (p == end && ls->n == 0)) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r')
            e[-1] = 0;
        *e = 0;
        if (ls->n == cap) {
            cap *= 2;
            ls->l = xrealloc(ls->l, (size_t)cap * sizeof(char *));
        }
        ls->l[ls->n++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
}

static void lines_release(struct lines *ls)
{
    free(ls->buf);
    free(ls->l);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

static void add_row(struct import_result *r, cJSON *row, int line)
{
    cJSON_AddItemToArray(r->rows, row);
    if ((r->n & (r->n - 1)) == 0) /* 0, 1, 2, 4, ...: room doubles */
        r->lines = xrealloc(r->lines, (size_t)(r->n ? 2 * r->n : 1) * sizeof(int));
    r->lines[r->n++] = line;
}

static int fail(int *err_line, int line, char *err, const char *what)
{
    *err_line = line;
    return line > 0 ? set_err(err, "line %d: %s", line, what) : set_err(err, "%s", what);
}

/* ---------------------------------------------------------------- json / jsonl */

/* Every number of a row checked (see check_numbers); -1 with err at line */
static int check_row(const cJSON *o, int line, int *err_line, char *err)
{
    char msg[200];
    const cJSON *it;
    cJSON_ArrayForEach (it, o)
        if (check_numbers(it, it->string, true, msg, sizeof(msg)) < 0)
            return fail(err_line, line, err, msg);
    return 0;
}

/* quantbench mem -o json: {"models": [{"parts", "devices", "total_bytes", ...}], "budget"} */
static bool is_mem_doc(const cJSON *o)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "models");
    const cJSON *first = cJSON_IsArray(m) ? m->child : NULL;
    return cJSON_IsObject(first) && cJSON_GetObjectItemCaseSensitive(first, "total_bytes") &&
           cJSON_GetObjectItemCaseSensitive(first, "devices");
}

static const char *json_kind(const cJSON *o)
{
    if (!cJSON_IsObject(o))
        return NULL;
    if (cJSON_GetObjectItemCaseSensitive(o, "avg_ts") &&
        cJSON_GetObjectItemCaseSensitive(o, "n_prompt"))
        return "bench";
    if (cJSON_GetObjectItemCaseSensitive(o, "pl") && cJSON_GetObjectItemCaseSensitive(o, "speed"))
        return "batched";
    if (cJSON_GetObjectItemCaseSensitive(o, "n_kv") &&
        cJSON_GetObjectItemCaseSensitive(o, "speed_pp") &&
        cJSON_GetObjectItemCaseSensitive(o, "speed_tg"))
        return "sweep";
    if (cJSON_GetObjectItemCaseSensitive(o, "n_ctx_max") &&
        cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "probes")))
        return "ctxmax"; /* quantbench ctxmax -o json */
    if (is_mem_doc(o))
        return "mem";
    return NULL;
}

static const char *kind_tool(const char *kind)
{
    return strcmp(kind, "bench") == 0     ? "llama-bench"
           : strcmp(kind, "batched") == 0 ? "llama-batched-bench"
           : strcmp(kind, "sweep") == 0   ? "sweep-bench"
           : strcmp(kind, "ctxmax") == 0  ? "quantbench ctxmax"
                                          : "quantbench mem";
}

#define NOT_A_RESULT                                                                               \
    "not a llama-bench, llama-batched-bench, sweep-bench, quantbench ctxmax or quantbench mem "    \
    "result object"

/* Check one JSON row and add it (taking it); a mem document becomes a row per model */
static int take_json_row(struct import_result *r, cJSON *o, int line, int *err_line, char *err)
{
    const char *kind = json_kind(o);
    if (!kind) {
        cJSON_Delete(o);
        return fail(err_line, line, err, NOT_A_RESULT);
    }
    if (r->kind && strcmp(r->kind, kind) != 0) {
        cJSON_Delete(o);
        return fail(err_line, line, err, "a result of another tool than the lines before it");
    }
    r->kind = kind;
    if (!r->tool)
        r->tool = kind_tool(kind);
    if (strcmp(kind, "mem") == 0) {
        cJSON *models = cJSON_DetachItemFromObjectCaseSensitive(o, "models");
        const cJSON *budget = cJSON_GetObjectItemCaseSensitive(o, "budget");
        cJSON *m;
        int ret = 0;
        while (ret == 0 && (m = cJSON_DetachItemFromArray(models, 0)) != NULL) {
            if (!cJSON_IsObject(m)) {
                cJSON_Delete(m);
                ret = fail(err_line, line, err, "a mem 'models' entry that is not an object");
                break;
            }
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(m, "model");
            if (cJSON_IsString(path) && !cJSON_GetObjectItemCaseSensitive(m, "model_filename"))
                cJSON_AddStringToObject(m, "model_filename", path->valuestring);
            if (budget && !cJSON_GetObjectItemCaseSensitive(m, "budget"))
                cJSON_AddItemToObject(m, "budget", cJSON_Duplicate(budget, 1));
            if (!cJSON_GetObjectItemCaseSensitive(m, "status"))
                cJSON_AddStringToObject(m, "status", "ok");
            ret = check_row(m, line, err_line, err);
            if (ret == 0)
                add_row(r, m, line);
            else
                cJSON_Delete(m);
        }
        cJSON_Delete(models);
        cJSON_Delete(o);
        return ret;
    }
    if (check_row(o, line, err_line, err) < 0) {
        cJSON_Delete(o);
        return -1;
    }
    if (!cJSON_GetObjectItemCaseSensitive(o, "status"))
        cJSON_AddStringToObject(o, "status", "ok");
    add_row(r, o, line);
    return 0;
}

/* Lines counted forward from a known position (never from the start again) */
struct line_pos {
    const char *at;
    int line;
};

static int line_at(struct line_pos *lp, const char *p)
{
    for (; lp->at < p; lp->at++)
        lp->line += *lp->at == '\n';
    return lp->line;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* One JSON value at p; *line where it starts; NULL with err (the line of the error) */
static cJSON *json_value(const char *p, const char *end, struct line_pos *lp, const char **next,
                         int *line, int *err_line, char *err, const char *what)
{
    *line = line_at(lp, p);
    const char *stop = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &stop, 0);
    if (!v) {
        const char *at = cJSON_GetErrorPtr();
        int l = *line;
        if (at && at >= p && at <= end) {
            struct line_pos e = *lp;
            l = line_at(&e, at);
        }
        fail(err_line, l, err, what);
        return NULL;
    }
    *next = stop;
    return v;
}

/* llama-bench -o json (one array), jsonl (a value per line), and our commands' -o json
 * (one pretty-printed object after another): every value with the line it starts on */
static int parse_json(const char *text, size_t len, struct import_result *r, int *err_line,
                      char *err)
{
    const char *p = skip_ws(text, text + len), *end = text + len;
    struct line_pos lp = {text, 1};
    int line;
    if (*p == '[') {
        r->format = "json";
        p = skip_ws(p + 1, end);
        if (p < end && *p == ']') {
            p = skip_ws(p + 1, end);
            return p == end ? fail(err_line, 1, err, "an empty JSON array")
                            : fail(err_line, line_at(&lp, p), err, "text after the JSON array");
        }
        for (;;) {
            const char *next = NULL;
            cJSON *v = json_value(p, end, &lp, &next, &line, err_line, err, "malformed JSON");
            if (!v)
                return -1;
            if (take_json_row(r, v, line, err_line, err) < 0)
                return -1;
            p = skip_ws(next, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == ']')
                break;
            return fail(err_line, line_at(&lp, p < end ? p : end), err, "malformed JSON");
        }
        p = skip_ws(p + 1, end);
        if (p != end)
            return fail(err_line, line_at(&lp, p), err, "text after the JSON array");
        return 0;
    }
    r->format = "jsonl";
    while (p < end) {
        const char *next = NULL;
        cJSON *v = json_value(p, end, &lp, &next, &line, err_line, err, "malformed JSON line");
        if (!v)
            return -1;
        if (take_json_row(r, v, line, err_line, err) < 0)
            return -1;
        if (line_at(&lp, next) > line)
            r->format = "json"; /* an object over several lines: our commands' -o json */
        p = skip_ws(next, end);
    }
    return 0;
}

/* ---------------------------------------------------------------- csv */

/* Split one csv line ("a","b""c",d) into fields (pointers into the line, unquoted in
 * place); -1 on an unterminated quote */
static int csv_fields(char *s, char ***out, int *n)
{
    int cap = 16;
    char **f = xmalloc((size_t)cap * sizeof(char *));
    *n = 0;
    for (;;) {
        char *w = s, *start = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s) {
                    free(f);
                    return -1;
                }
                if (*s == '"' && s[1] == '"') {
                    *w++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    *w++ = *s++;
                }
            }
            if (*s && *s != ',') {
                free(f);
                return -1;
            }
        } else {
            while (*s && *s != ',')
                *w++ = *s++;
        }
        char sep = *s;
        *w = 0;
        if (*n == cap) {
            cap *= 2;
            f = xrealloc(f, (size_t)cap * sizeof(char *));
        }
        f[(*n)++] = start;
        if (sep != ',')
            break;
        s++;
    }
    *out = f;
    return 0;
}

static int parse_csv(struct lines *ls, int first, struct import_result *r, int *err_line, char *err)
{
    r->format = "csv";
    r->kind = "bench";
    char **head = NULL;
    int n_head = 0;
    if (csv_fields(ls->l[first], &head, &n_head) < 0)
        return fail(err_line, first + 1, err, "unterminated quote in the header");
    int ret = 0;
    for (int i = first + 1; i < ls->n && ret == 0; i++) {
        if (!trim(ls->l[i])[0])
            continue;
        char **v = NULL;
        int n = 0;
        if (csv_fields(ls->l[i], &v, &n) < 0) {
            ret = fail(err_line, i + 1, err, "unterminated quote");
            break;
        }
        if (n != n_head) {
            char msg[96];
            snprintf(msg, sizeof(msg), "%d fields, the header has %d", n, n_head);
            ret = fail(err_line, i + 1, err, msg);
        } else {
            cJSON *o = cJSON_CreateObject();
            for (int k = 0; k < n; k++)
                cJSON_AddItemToObject(o, head[k], typed_value(head[k], v[k]));
            ret = take_json_row(r, o, i + 1, err_line, err);
        }
        free(v);
    }
    free(head);
    if (ret == 0 && r->n == 0)
        ret = fail(err_line, first + 1, err, "a header without rows");
    return ret;
}

/* ---------------------------------------------------------------- sql */

/* Our bench -o sql fills llama_bench (llama-bench's columns) and quantbench_bench (every
 * field: numbers bare, text quoted, arrays as text) with the same rows */
static const char *const our_bools[] = {"embeddings", "no_host", "warmup", "mmap",
                                        "mem_exact",  "noisy",   NULL};

/* a bool of ours: one of our_bools or a bool setting of the settings table */
static bool our_bool(const char *field)
{
    const struct field *f = field_by_key(fields_settings, fields_n_settings, field);
    return in_list(our_bools, field) || (f && f->type == FIELD_BOOL);
}
static const char *const our_arrays[] = {
    "samples_ns",      "samples_ts",  "samples_pp_ns", "samples_tg_ns",
    "samples_ttft_ns", "mem_buffers", "mem_devices",   NULL};

/* An array field of quantbench_bench: JSON text, or numbers separated by spaces */
static cJSON *our_array(const char *v)
{
    if (v[0] == '[') {
        cJSON *j = cJSON_Parse(v);
        if (cJSON_IsArray(j))
            return j;
        cJSON_Delete(j);
        return NULL;
    }
    cJSON *a = cJSON_CreateArray();
    char num[64];
    for (const char *p = v;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t k = strcspn(p, " ");
        double d;
        if (k >= sizeof(num)) {
            cJSON_Delete(a);
            return NULL;
        }
        memcpy(num, p, k);
        num[k] = 0;
        if (!parse_num(num, &d)) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, cJSON_CreateNumber(d));
        p += k;
    }
    return a;
}

/* A value of an INSERT as its JSON type: llama-bench's by its field types; ours by how
 * it was written (bare = number or bool, quoted = text or an array) */
static cJSON *sql_value(bool ours, bool quoted, const char *field, const char *v)
{
    double d;
    if (ours && !quoted && parse_num(v, &d)) {
        if (our_bool(field) && (d == 0 || d == 1))
            return cJSON_CreateBool(d == 1);
        return cJSON_CreateNumber(d);
    }
    if (ours && quoted && in_list(our_arrays, field)) {
        cJSON *a = our_array(v);
        if (a)
            return a;
    }
    return typed_value(field, v);
}

/* INSERT INTO t (a, b) VALUES ('x', 'y'); -> the table's name (in s) and the row; -1 when
 * malformed */
static int sql_insert(char *s, char **table, cJSON **out)
{
    char *lp = strchr(s, '('), *rp = lp ? strchr(lp, ')') : NULL;
    if (!lp || !rp)
        return -1;
    *lp = 0;
    *table = trim(s + strlen("INSERT INTO"));
    bool ours = strcmp(*table, "quantbench_bench") == 0;
    *rp = 0;
    char *vals = strstr(rp + 1, "VALUES");
    if (!vals)
        return -1;
    vals = strchr(vals, '(');
    if (!vals)
        return -1;
    vals++;
    cJSON *o = cJSON_CreateObject();
    char *name = lp + 1;
    for (;;) {
        char *comma = strchr(name, ',');
        if (comma)
            *comma = 0;
        char *nm = trim(name);
        /* the value: '...' with '' for a quote, or a bare number */
        while (isspace((unsigned char)*vals))
            vals++;
        char *w = vals, *start = vals;
        bool quoted = *vals == '\'';
        if (quoted) {
            vals++;
            for (;;) {
                if (!*vals) {
                    cJSON_Delete(o);
                    return -1;
                }
                if (*vals == '\'' && vals[1] == '\'') {
                    *w++ = '\'';
                    vals += 2;
                } else if (*vals == '\'') {
                    vals++;
                    break;
                } else {
                    *w++ = *vals++;
                }
            }
        } else {
            while (*vals && *vals != ',' && *vals != ')')
                *w++ = *vals++;
        }
        while (isspace((unsigned char)*vals))
            vals++;
        char sep = *vals;
        *w = 0;
        if (!nm[0] || (sep != ',' && sep != ')')) {
            cJSON_Delete(o);
            return -1;
        }
        cJSON_AddItemToObject(o, nm, sql_value(ours, quoted, nm, quoted ? start : trim(start)));
        vals++;
        if (!comma || sep == ')') {
            if (comma || sep != ')') {
                cJSON_Delete(o);
                return -1; /* more names than values or the other way round */
            }
            break;
        }
        name = comma + 1;
    }
    *out = o;
    return 0;
}

/* A llama_bench row and a quantbench_bench row written for the same test */
static bool same_row(const cJSON *lb, const cJSON *ours)
{
    static const char *const keys[] = {"build_commit", "model_filename", "n_prompt", "n_gen",
                                       "n_depth",      "test_time",      "avg_ns",   NULL};
    for (const char *const *k = keys; *k; k++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(lb, *k),
                    *b = cJSON_GetObjectItemCaseSensitive(ours, *k);
        if ((a || b) && !cJSON_Compare(a, b, 1))
            return false;
    }
    return true;
}

static int parse_sql(struct lines *ls, struct import_result *r, int *err_line, char *err)
{
    r->format = "sql";
    bool in_create = false;
    struct import_result t[2]; /* the rows of llama_bench and of quantbench_bench */
    memset(t, 0, sizeof(t));
    t[0].rows = cJSON_CreateArray();
    t[1].rows = cJSON_CreateArray();
    int ret = 0;
    for (int i = 0; i < ls->n && ret == 0; i++) {
        char *s = trim(ls->l[i]);
        if (!s[0])
            continue;
        if (strncmp(s, "CREATE TABLE", 12) == 0) {
            in_create = !strstr(s, ");");
            continue;
        }
        if (in_create) {
            in_create = strcmp(s, ");") != 0;
            continue;
        }
        if (strncmp(s, "INSERT INTO", 11) != 0) {
            ret = fail(err_line, i + 1, err, "expected INSERT INTO or CREATE TABLE");
            break;
        }
        cJSON *o = NULL;
        char *table = NULL;
        if (sql_insert(s, &table, &o) < 0) {
            ret = fail(err_line, i + 1, err, "malformed INSERT (names and values do not match)");
            break;
        }
        int k = strcmp(table, "llama_bench") == 0        ? 0
                : strcmp(table, "quantbench_bench") == 0 ? 1
                                                         : -1;
        if (k < 0) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "INSERT INTO '%.60s', not llama-bench's llama_bench or quantbench's "
                     "quantbench_bench",
                     table);
            cJSON_Delete(o);
            ret = fail(err_line, i + 1, err, msg);
            break;
        }
        ret = take_json_row(&t[k], o, i + 1, err_line, err);
    }
    if (ret == 0 && t[0].n + t[1].n == 0)
        ret = fail(err_line, 0, err, "no INSERT rows");
    if (ret == 0) {
        /* our file has each row in both tables: quantbench_bench's (every field) count,
         * and a llama_bench row only where ours lacks its partner (a cut-off file) */
        r->kind = "bench";
        r->tool = t[1].n > 0 ? "quantbench bench" : "llama-bench";
        cJSON *o;
        for (int j = 0; (o = cJSON_DetachItemFromArray(t[1].rows, 0)) != NULL; j++)
            add_row(r, o, t[1].lines[j]);
        const cJSON *ours = r->rows->child; /* quantbench_bench's row j, side by side */
        for (int j = 0; (o = cJSON_DetachItemFromArray(t[0].rows, 0)) != NULL; j++) {
            if (j < t[1].n && ours && same_row(o, ours))
                cJSON_Delete(o); /* the llama_bench copy of it */
            else
                add_row(r, o, t[0].lines[j]);
            if (j < t[1].n && ours)
                ours = ours->next;
        }
    }
    import_release(&t[0]);
    import_release(&t[1]);
    return ret;
}

/* ---------------------------------------------------------------- markdown */

/* "36.04 MiB" -> bytes; "1.24 B" (params) -> count */
static bool scaled(const char *s, bool bytes, double *out)
{
    char num[64];
    size_t k = strcspn(s, " ");
    if (k == 0 || k >= sizeof(num))
        return false;
    memcpy(num, s, k);
    num[k] = 0;
    double v;
    if (!parse_num(num, &v))
        return false;
    const char *u = s + k;
    while (*u == ' ')
        u++;
    static const char *const bu[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    static const char *const pu[] = {"", "K", "M", "B", "T"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(u, bytes ? bu[i] : pu[i]) == 0) {
            double m = 1;
            for (int j = 0; j < i; j++)
                m *= bytes ? 1024 : 1000;
            *out = floor(v * m + 0.5); /* a whole count of bytes or parameters */
            return true;
        }
    }
    return false;
}

/* "123.45 ± 1.23" or "123.45" */
static bool mean_sd(const char *s, double *mean, double *sd)
{
    char buf[96];
    snprintf(buf, sizeof(buf), "%s", s);
    char *pm = strstr(buf, "±");
    *sd = 0;
    if (pm) {
        *pm = 0;
        if (!parse_num(trim(pm + strlen("±")), sd))
            return false;
    }
    return parse_num(trim(buf), mean);
}

/* Digits at *s as a count (no sign, at most 2^53: sscanf's %d overflows undefined);
 * *s moves past them */
static bool md_count(const char **s, double *out)
{
    const char *p = *s;
    double v = 0;
    if (!isdigit((unsigned char)*p))
        return false;
    for (; isdigit((unsigned char)*p); p++) {
        v = v * 10 + (*p - '0');
        if (v > WHOLE_MAX)
            return false;
    }
    *out = v;
    *s = p;
    return true;
}

/* "pp512", "tg128", "pp512+tg128", each with an optional " @ d2048" */
static bool bench_test(const char *s, cJSON *o)
{
    double p = 0, g = 0, d = 0;
    if (strncmp(s, "pp", 2) == 0) {
        s += 2;
        if (!md_count(&s, &p))
            return false;
        if (strncmp(s, "+tg", 3) == 0) {
            s += 3;
            if (!md_count(&s, &g))
                return false;
        }
    } else if (strncmp(s, "tg", 2) == 0) {
        s += 2;
        if (!md_count(&s, &g))
            return false;
    } else {
        return false;
    }
    while (*s == ' ')
        s++;
    if (*s == '@') {
        s++;
        while (*s == ' ')
            s++;
        if (*s++ != 'd' || !md_count(&s, &d))
            return false;
        while (*s == ' ')
            s++;
    }
    if (*s)
        return false;
    cJSON_AddNumberToObject(o, "n_prompt", p);
    cJSON_AddNumberToObject(o, "n_gen", g);
    cJSON_AddNumberToObject(o, "n_depth", d);
    return true;
}

/* llama-bench's footer "build: COMMIT (NUMBER)"; false when s is not one */
static bool md_footer(const char *s, char *commit, size_t n, double *number)
{
    if (strncmp(s, "build: ", 7) != 0)
        return false;
    s += 7;
    size_t k = strcspn(s, " \t");
    if (k == 0 || k >= n)
        return false;
    memcpy(commit, s, k);
    commit[k] = 0;
    s += k;
    while (*s == ' ')
        s++;
    return *s++ == '(' && md_count(&s, number) && *s == ')';
}

static const struct {
    const char *head, *field;
} md_names[] = {
    {"model", "model_type"},
    {"backend", "backends"},
    {"ngl", "n_gpu_layers"},
    {"threads", "n_threads"},
    {"fa", "flash_attn"},
    {"dev", "devices"},
    {"ts", "tensor_split"},
    {"ot", "tensor_buft_overrides"},
    {"mmap", "use_mmap"},
    {"embd", "embeddings"},
    {"nkvo", "no_kv_offload"},
    {"sm", "split_mode"},
    {"mg", "main_gpu"},
    {"PP", "pp"},
    {"TG", "tg"},
    {"B", "pl"},
    {"N_KV", "n_kv"},
    {"T_PP s", "t_pp"},
    {"S_PP t/s", "speed_pp"},
    {"T_TG s", "t_tg"},
    {"S_TG t/s", "speed_tg"},
    {"T s", "t"},
    {"S t/s", "speed"},
};

/* columns that must hold a number */
static const char *const md_numeric[] = {
    "pp",       "tg",    "pl",        "n_kv",         "t_pp",    "t_tg",     "t", "speed_pp",
    "speed_tg", "speed", "n_threads", "n_gpu_layers", "n_batch", "n_ubatch", NULL};

static const char *md_field(const char *head)
{
    for (size_t i = 0; i < QB_ARRAY_LEN(md_names); i++)
        if (strcmp(md_names[i].head, head) == 0)
            return md_names[i].field;
    return head;
}

/* Cells of a "| a | b |" line, trimmed (pointers into the line); count in *n */
static char **md_cells(char *s, int *n)
{
    s = trim(s);
    if (*s != '|')
        return NULL;
    s++;
    size_t len = strlen(s);
    if (len && s[len - 1] == '|')
        s[len - 1] = 0;
    int cap = 16;
    char **c = xmalloc((size_t)cap * sizeof(char *));
    *n = 0;
    for (char *p = s;;) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = 0;
        if (*n == cap) {
            cap *= 2;
            c = xrealloc(c, (size_t)cap * sizeof(char *));
        }
        c[(*n)++] = trim(p);
        if (!bar)
            break;
        p = bar + 1;
    }
    return c;
}

/* llama-batched-bench's settings line, "FUNC: n_kv_max = 4096, n_batch = 2048, ...": FUNC
 * is the function that printed it ("main" in older releases, "llama_batched_bench" in
 * v0.5.0); the text after "FUNC:", or NULL for another line */
static const char *batched_settings_line(const char *s)
{
    size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
    if (k == 0 || s[k] != ':')
        return NULL;
    const char *rest = s + k + 1;
    rest += strspn(rest, " ");
    return strncmp(rest, "n_kv_max", 8) == 0 ? s + k + 1 : NULL;
}

/* "key = value, key = value" (llama-batched-bench's settings line) into o */
static void kv_pairs(const char *s, cJSON *o)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *p = buf, *next; p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = 0;
        char *eq = strchr(p, '=');
        if (!eq)
            continue;
        *eq = 0;
        char *k = trim(p), *v = trim(eq + 1);
        double d;
        if (k[0] && parse_num(v, &d))
            cJSON_AddNumberToObject(o, k, d);
    }
}

static int md_value(const char *field, const char *cell, cJSON *o)
{
    double v, sd;
    if (strcmp(field, "model_size") == 0 || strcmp(field, "size") == 0) {
        if (!scaled(cell, true, &v))
            return -1;
        cJSON_AddNumberToObject(o, "model_size", v);
    } else if (strcmp(field, "params") == 0) {
        if (!scaled(cell, false, &v))
            return -1;
        cJSON_AddNumberToObject(o, "model_n_params", v);
    } else if (strcmp(field, "test") == 0) {
        if (!bench_test(cell, o))
            return -1;
    } else if (strcmp(field, "t/s") == 0) {
        if (!mean_sd(cell, &v, &sd))
            return -1;
        cJSON_AddNumberToObject(o, "avg_ts", v);
        cJSON_AddNumberToObject(o, "stddev_ts", sd);
    } else if (strncmp(field, "speed", 5) == 0 && strstr(cell, "±")) {
        if (!mean_sd(cell, &v, &sd))
            return -1;
        cJSON_AddNumberToObject(o, field, v);
        char *k = xasprintf("%s_sd", field);
        cJSON_AddNumberToObject(o, k, sd);
        free(k);
    } else if (parse_num(cell, &v)) {
        cJSON_AddNumberToObject(o, field, v);
    } else if (in_list(md_numeric, field)) {
        return -1;
    } else {
        cJSON_AddStringToObject(o, field, cell);
    }
    return 0;
}

static int parse_md(struct lines *ls, struct import_result *r, int *err_line, char *err)
{
    cJSON *common = cJSON_CreateObject();
    char **head = NULL;
    int n_head = 0, ret = 0, table_start = r->n;
    bool sep_seen = false;
    for (int i = 0; i < ls->n && ret == 0; i++) {
        char *s = trim(ls->l[i]);
        const char *settings = batched_settings_line(s);
        if (settings) {
            kv_pairs(settings, common); /* llama-batched-bench's settings line */
            continue;
        }
        char commit[64];
        double number;
        if (md_footer(s, commit, sizeof(commit), &number)) {
            /* llama-bench's footer: the build of the rows above it */
            for (int k = table_start; k < r->n; k++) {
                cJSON *row = cJSON_GetArrayItem(r->rows, k);
                cJSON_AddStringToObject(row, "build_commit", commit);
                cJSON_AddNumberToObject(row, "build_number", number);
            }
            continue;
        }
        if (s[0] != '|') {
            if (head && sep_seen) { /* a table ended */
                free(head);
                head = NULL;
                sep_seen = false;
            }
            continue;
        }
        int n = 0;
        char **c = md_cells(s, &n);
        if (!head) {
            head = c;
            n_head = n;
            table_start = r->n;
            bool bench = false, batched = false, sweep = false;
            for (int k = 0; k < n; k++) {
                bench |= strcmp(c[k], "t/s") == 0;
                batched |= strcmp(c[k], "B") == 0;
                sweep |= strcmp(c[k], "N_KV") == 0;
            }
            const char *kind = bench ? "bench" : batched ? "batched" : sweep ? "sweep" : NULL;
            if (!kind)
                ret = fail(err_line, i + 1, err,
                           "a table that is not llama-bench's, llama-batched-bench's or "
                           "sweep-bench's");
            else if (r->kind && strcmp(r->kind, kind) != 0)
                ret = fail(err_line, i + 1, err, "tables of more than one tool");
            r->kind = kind;
            continue;
        }
        if (!sep_seen) {
            sep_seen = n > 0 && strspn(c[0], "-: ") == strlen(c[0]) && c[0][0];
            free(c);
            if (!sep_seen)
                ret = fail(err_line, i + 1, err, "expected the |---| line under the header");
            continue;
        }
        if (n != n_head) {
            char msg[96];
            snprintf(msg, sizeof(msg), "%d cells, the header has %d", n, n_head);
            ret = fail(err_line, i + 1, err, msg);
        } else {
            cJSON *o = cJSON_Duplicate(common, 1);
            for (int k = 0; k < n && ret == 0; k++) {
                const char *field = md_field(head[k]);
                if (md_value(field, c[k], o) < 0) {
                    char msg[160];
                    snprintf(msg, sizeof(msg), "bad value '%.60s' in column '%.40s'", c[k],
                             head[k]);
                    ret = fail(err_line, i + 1, err, msg);
                }
            }
            if (ret == 0)
                ret = check_row(o, i + 1, err_line, err);
            if (ret == 0) {
                cJSON_AddStringToObject(o, "status", "ok");
                add_row(r, o, i + 1);
            } else {
                cJSON_Delete(o);
            }
        }
        free(c);
    }
    free(head);
    cJSON_Delete(common);
    r->format = "md";
    if (ret == 0 && r->n == 0)
        ret = fail(err_line, 0, err, "no table rows");
    return ret;
}

/* ---------------------------------------------------------------- entry */

int import_parse(const char *text, size_t len, struct import_result *out, int *err_line, char *err)
{
    memset(out, 0, sizeof(*out));
    out->rows = cJSON_CreateArray();
    *err_line = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 byte order mark */
        text += 3;
        len -= 3;
    }
    size_t i = 0;
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    if (i == len)
        return fail(err_line, 0, err, "empty file");
    if (memchr(text, 0, len))
        return fail(err_line, 0, err, "a binary file (NUL bytes), not a result file");
    if (text[i] == '[' || text[i] == '{')
        return parse_json(text, len, out, err_line, err);
    struct lines ls;
    lines_split(text, len, &ls);
    int first = 0;
    while (first < ls.n && !trim(ls.l[first])[0])
        first++;
    int ret;
    const char *f = ls.l[first];
    if (strncmp(f, "CREATE TABLE", 12) == 0 || strncmp(f, "INSERT INTO", 11) == 0)
        ret = parse_sql(&ls, out, err_line, err);
    else if (strncmp(f, "build_commit,", 13) == 0 || strncmp(f, "\"build_commit\",", 15) == 0)
        ret = parse_csv(&ls, first, out, err_line, err);
    else {
        bool md = false;
        for (int k = 0; k < ls.n && !md; k++)
            md = trim(ls.l[k])[0] == '|';
        ret = md ? parse_md(&ls, out, err_line, err)
                 : fail(err_line, 0, err,
                        "unrecognised format (expected llama-bench json, jsonl, csv, sql or md; "
                        "llama-batched-bench md or jsonl; sweep-bench md or jsonl; quantbench "
                        "bench sql, ctxmax or mem json)");
    }
    lines_release(&ls);
    if (ret == 0 && !out->tool)
        out->tool = kind_tool(out->kind);
    return ret;
}

void import_release(struct import_result *r)
{
    cJSON_Delete(r->rows);
    free(r->lines);
    memset(r, 0, sizeof(*r));
}
