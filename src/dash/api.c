/* The dashboard's read-only JSON API (see api.h): each endpoint parses its query strictly
 * (known names once each, decoded, bounded), then answers from the store and the compare
 * code. Nothing here writes to the database. */
#include "api.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../record/memsum.h"
#include "../report/compare.h"
#include "../report/suite_table.h"
#include "../store/dbrun.h"
#include "../store/store.h"
#include "../util/util.h"
#include "url.h"

#ifndef QB_VERSION
#define QB_VERSION "0.1.0"
#endif
#ifndef QB_LLAMA_COMMIT
#define QB_LLAMA_COMMIT "unknown"
#endif

/* ---- the query string ---- */

#define PARAMS_MAX 4

/* The decoded values of a query's parameters, by their place in the endpoint's list of
 * names (NULL: not given; owned) */
struct params {
    char *v[PARAMS_MAX];
};

static void params_free(struct params *p)
{
    for (int i = 0; i < PARAMS_MAX; i++) {
        free(p->v[i]);
        p->v[i] = NULL;
    }
}

/* Text from the request as an error message shows it: safe for any reader (a terminal, a
 * log, a page: str_escape) and cut to 700 bytes, which leaves room in err for the rest
 * (the caller frees) */
static char *shown(const char *s)
{
    char *t = str_escape(s, 0);
    if (strlen(t) > 700)
        memcpy(t + 697, "...", 4); /* with its NUL */
    return t;
}

/* set_err with the one text from the request (t, shown) last */
static int err_shown(char *err, const char *fmt, const char *path, const char *name, const char *t)
{
    char *v = shown(t);
    set_err(err, fmt, path, name, v);
    free(v);
    return -1;
}

/* The names an endpoint takes, "a, b or c", into buf */
static void names_text(const char *const *names, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; names[i] && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s",
                              i == 0         ? ""
                              : names[i + 1] ? ", "
                                             : " or ",
                              names[i]);
}

/* query ("name=value&..."; NULL or "" none) into p by names (NULL-terminated): 0, or -1
 * with err on an empty part, a name not in names, one given twice, a value that is empty,
 * longer than DASH_API_VALUE_MAX or does not decode */
static int params_parse(const char *path, const char *query, const char *const *names,
                        struct params *p, char *err)
{
    memset(p, 0, sizeof(*p));
    char takes[128];
    names_text(names, takes, sizeof(takes));
    /* every part between '&'s, a trailing one's empty part included */
    for (const char *s = query && query[0] ? query : NULL; s;) {
        size_t len = strcspn(s, "&");
        const char *eq = memchr(s, '=', len);
        size_t nlen = eq ? (size_t)(eq - s) : len;
        char *name = NULL, *value = NULL, derr[QB_ERR_LEN];
        if (len == 0) {
            params_free(p);
            return set_err(err, "%s: an empty parameter in the query", path);
        }
        if (nlen > 32 || dash_url_decode(s, nlen, &name, derr) < 0) {
            char *raw = xstrndup(s, nlen > 32 ? 32 : nlen), *t = shown(raw);
            params_free(p);
            set_err(err, "%s: unknown parameter '%s' (it takes %s)", path, t,
                    names[0] ? takes : "none");
            free(raw);
            free(t);
            return -1;
        }
        int k = -1;
        for (int i = 0; names[i]; i++)
            if (strcmp(names[i], name) == 0)
                k = i;
        if (k < 0) {
            char *t = shown(name);
            set_err(err, "%s: unknown parameter '%s' (it takes %s)", path, t,
                    names[0] ? takes : "none");
            free(t);
            free(name);
            params_free(p);
            return -1;
        }
        free(name);
        if (p->v[k]) {
            params_free(p);
            return set_err(err, "%s: parameter '%s' is given twice", path, names[k]);
        }
        size_t vlen = eq ? len - nlen - 1 : 0;
        if (vlen == 0) {
            params_free(p);
            return set_err(err, "%s: parameter '%s' has no value", path, names[k]);
        }
        if (vlen > 3 * DASH_API_VALUE_MAX || dash_url_decode(eq + 1, vlen, &value, derr) < 0 ||
            strlen(value) > DASH_API_VALUE_MAX) {
            bool too_long = vlen > 3 * DASH_API_VALUE_MAX || value;
            free(value);
            params_free(p);
            if (too_long)
                return set_err(err, "%s: parameter '%s' is longer than %d bytes", path, names[k],
                               DASH_API_VALUE_MAX);
            return set_err(err, "%s: parameter '%s': %s", path, names[k], derr);
        }
        p->v[k] = value;
        s = s[len] == '&' ? s + len + 1 : NULL;
    }
    return 0;
}

/* A parameter that must be given */
static int params_need(const char *path, const struct params *p, const char *const *names, int k,
                       char *err)
{
    if (!p->v[k])
        return set_err(err, "%s: parameter '%s' is missing", path, names[k]);
    return 0;
}

/* A decimal integer in min..INT64_MAX: digits only (no sign, no spaces) */
static int param_int(const char *path, const char *name, const char *v, int64_t min, int64_t *out,
                     char *err)
{
    if (!v[0] || strspn(v, "0123456789") != strlen(v) || parse_i64(v, min, INT64_MAX, out) < 0)
        return err_shown(err,
                         min ? "%s: parameter '%s' is not an integer of at least 1: '%s'"
                             : "%s: parameter '%s' is not an integer of at least 0: '%s'",
                         path, name, v);
    return 0;
}

/* ---- runs ---- */

/* The run object of run_id (store_list_runs' + "suite": its suite's name or null) into
 * *out, or NULL when there is no such run: 0, or -1 with err */
static int run_object(struct store *st, int64_t run_id, cJSON **out, char *err);

static void add_suite_name(struct store *st, cJSON *run)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "id");
    char *text = NULL, e[QB_ERR_LEN];
    cJSON *suite = NULL;
    if (cJSON_IsNumber(id) && store_suite_json(st, (int64_t)id->valuedouble, &text, e) == 1)
        suite = cJSON_Parse(text);
    free(text);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(suite, "name");
    if (cJSON_IsString(name))
        cJSON_AddStringToObject(run, "suite", name->valuestring);
    else if (suite) /* a suite run whose suite has no name */
        cJSON_AddStringToObject(run, "suite", "");
    else
        cJSON_AddNullToObject(run, "suite");
    cJSON_Delete(suite);
}

/* Rows stored before host buffer types were classified get their memory figures made
 * again, as report shows them (memsum.h) */
static void fix_rows(cJSON *rows)
{
    cJSON *r;
    cJSON_ArrayForEach (r, rows)
        mem_summary_fix_row(cJSON_GetObjectItemCaseSensitive(r, "row"));
}

static int api_runs(struct store *st, cJSON **out, char *err)
{
    cJSON *runs = NULL;
    if (store_list_runs(st, &runs, err) < 0)
        return -1;
    cJSON *r;
    cJSON_ArrayForEach (r, runs)
        add_suite_name(st, r);
    *out = runs;
    return 0;
}

static int run_object(struct store *st, int64_t run_id, cJSON **out, char *err)
{
    cJSON *runs = NULL;
    *out = NULL;
    if (store_list_runs(st, &runs, err) < 0)
        return -1;
    for (cJSON *r = runs->child; r; r = r->next) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        if (cJSON_IsNumber(id) && (int64_t)id->valuedouble == run_id) {
            *out = cJSON_DetachItemViaPointer(runs, r);
            add_suite_name(st, *out);
            break;
        }
    }
    cJSON_Delete(runs);
    return 0;
}

/* The run named by parameter name (value v) must exist: 0 with *run (the caller's, may be
 * NULL to drop it), or -1 with *status 400 / 404 / 500 */
static int need_run(struct store *st, const char *path, const char *name, const char *v,
                    int64_t *id, cJSON **run, int *status, char *err)
{
    cJSON *r = NULL;
    *status = 400;
    if (param_int(path, name, v, 1, id, err) < 0)
        return -1;
    *status = 500;
    if (run_object(st, *id, &r, err) < 0)
        return -1;
    if (!r) {
        *status = 404;
        return set_err(err, "%s: no run %lld", path, (long long)*id);
    }
    if (run)
        *run = r;
    else
        cJSON_Delete(r);
    return 0;
}

static void add_num_or_null(cJSON *o, const char *key, bool have, double v)
{
    if (have)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* A suite run's progress: done and failed from its cells' stored statuses, the cell
 * running and the clock from its newest events */
static int suite_progress(struct store *st, int64_t run_id, bool ended, const cJSON *cells,
                          cJSON *prog, char *err)
{
    int n = 0, done = 0, failed = 0;
    const cJSON *c;
    cJSON_ArrayForEach (c, cells) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");
        n++;
        if (cJSON_IsString(s) && strcmp(s->valuestring, "missing") != 0) {
            done++;
            failed += strcmp(s->valuestring, "ok") != 0;
        }
    }
    cJSON *events = NULL;
    if (store_events(st, run_id, 0, &events, err) < 0)
        return -1;
    int running = -1;
    bool have_el = false, have_eta = false;
    double el = 0, eta = 0;
    const cJSON *e;
    cJSON_ArrayForEach (e, events) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind"),
                    *cell = cJSON_GetObjectItemCaseSensitive(e, "cell"),
                    *p = cJSON_GetObjectItemCaseSensitive(e, "payload");
        if (!cJSON_IsString(kind))
            continue;
        const char *k = kind->valuestring;
        int idx = cJSON_IsNumber(cell) ? (int)cell->valuedouble : -1;
        if (strcmp(k, "cell_started") == 0)
            running = idx;
        else if ((strcmp(k, "cell_finished") == 0 || strcmp(k, "cell_failed") == 0 ||
                  strcmp(k, "cell_interrupted") == 0) &&
                 idx == running)
            running = -1;
        const cJSON *pe = cJSON_GetObjectItemCaseSensitive(p, "elapsed_s");
        if (cJSON_IsNumber(pe)) { /* the newest event with the run's clock */
            have_el = true;
            el = pe->valuedouble;
            const cJSON *pt = cJSON_GetObjectItemCaseSensitive(p, "eta_s");
            have_eta = cJSON_IsNumber(pt);
            eta = have_eta ? pt->valuedouble : 0;
        }
    }
    cJSON_Delete(events);
    cJSON_AddNumberToObject(prog, "cells", n);
    cJSON_AddNumberToObject(prog, "done", done);
    cJSON_AddNumberToObject(prog, "failed", failed);
    add_num_or_null(prog, "running", !ended && running >= 0, running);
    add_num_or_null(prog, "eta_s", !ended && have_eta, eta);
    add_num_or_null(prog, "elapsed_s", have_el, el);
    return 0;
}

/* A plain run's progress: its rows (failed: those whose status is not ok) */
static int rows_progress(struct store *st, int64_t run_id, cJSON *prog, char *err)
{
    struct store_filter f;
    memset(&f, 0, sizeof(f));
    f.run_id = run_id;
    cJSON *rows = NULL;
    if (store_query(st, &f, &rows, err) < 0)
        return -1;
    int n = 0, failed = 0;
    const cJSON *r;
    cJSON_ArrayForEach (r, rows) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "status");
        n++;
        failed += !cJSON_IsString(s) || strcmp(s->valuestring, "ok") != 0;
    }
    cJSON_Delete(rows);
    cJSON_AddNumberToObject(prog, "cells", n);
    cJSON_AddNumberToObject(prog, "done", n);
    cJSON_AddNumberToObject(prog, "failed", failed);
    cJSON_AddNullToObject(prog, "running");
    cJSON_AddNullToObject(prog, "eta_s");
    cJSON_AddNullToObject(prog, "elapsed_s"); /* the run's started and ended say it */
    return 0;
}

static int api_run(struct store *st, const char *path, const char *query, cJSON **out, int *status,
                   char *err)
{
    static const char *const names[] = {"id", NULL};
    struct params p;
    *status = 400;
    if (params_parse(path, query, names, &p, err) < 0 || params_need(path, &p, names, 0, err) < 0) {
        params_free(&p);
        return -1;
    }
    int64_t id = 0;
    cJSON *run = NULL;
    int rc = need_run(st, path, "id", p.v[0], &id, &run, status, err);
    params_free(&p);
    if (rc < 0)
        return -1;
    *status = 500;
    char *suite_text = NULL;
    int is_suite = store_suite_json(st, id, &suite_text, err);
    if (is_suite < 0) {
        cJSON_Delete(run);
        return -1;
    }
    cJSON *o = cJSON_CreateObject(), *prog = cJSON_CreateObject();
    bool ended = !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(run, "ended"));
    cJSON_AddItemToObject(o, "run", run);
    if (is_suite) {
        cJSON *suite = cJSON_Parse(suite_text), *cells = NULL;
        cJSON_AddItemToObject(o, "suite", suite ? suite : cJSON_CreateNull());
        if (store_suite_cells(st, id, &cells, err) < 0 ||
            suite_progress(st, id, ended, cells, prog, err) < 0) {
            free(suite_text);
            cJSON_Delete(cells);
            cJSON_Delete(prog);
            cJSON_Delete(o);
            return -1;
        }
        const cJSON *c;
        cJSON_ArrayForEach (c, cells)
            fix_rows(cJSON_GetObjectItemCaseSensitive(c, "rows"));
        cJSON_AddItemToObject(o, "cells", cells);
        cJSON *table = suite_table_json(cells);
        cJSON_AddItemToObject(o, "table", table);
        cJSON_AddItemToObject(o, "table_text", suite_table_texts(table));
    } else {
        cJSON_AddNullToObject(o, "suite");
        cJSON_AddNullToObject(o, "cells");
        cJSON_AddNullToObject(o, "table");
        cJSON_AddNullToObject(o, "table_text");
        if (rows_progress(st, id, prog, err) < 0) {
            cJSON_Delete(prog);
            cJSON_Delete(o);
            return -1;
        }
    }
    free(suite_text);
    cJSON_AddItemToObject(o, "progress", prog);
    *out = o;
    return 0;
}

static int api_rows(struct store *st, const char *path, const char *query, cJSON **out, int *status,
                    char *err)
{
    static const char *const names[] = {"run", "kind", NULL};
    struct params p;
    *status = 400;
    if (params_parse(path, query, names, &p, err) < 0 || params_need(path, &p, names, 0, err) < 0) {
        params_free(&p);
        return -1;
    }
    struct store_filter f;
    memset(&f, 0, sizeof(f));
    int rc = need_run(st, path, "run", p.v[0], &f.run_id, NULL, status, err);
    if (rc == 0) {
        *status = 500;
        f.kind = p.v[1];
        rc = store_query(st, &f, out, err);
        if (rc == 0)
            fix_rows(*out);
    }
    params_free(&p);
    return rc;
}

static int api_events(struct store *st, const char *path, const char *query, cJSON **out,
                      int *status, char *err)
{
    static const char *const names[] = {"run", "after", NULL};
    struct params p;
    *status = 400;
    if (params_parse(path, query, names, &p, err) < 0 || params_need(path, &p, names, 0, err) < 0) {
        params_free(&p);
        return -1;
    }
    int64_t run_id = 0, after = 0;
    int rc = p.v[1] ? param_int(path, "after", p.v[1], 0, &after, err) : 0;
    if (rc == 0)
        rc = need_run(st, path, "run", p.v[0], &run_id, NULL, status, err);
    if (rc == 0) {
        *status = 500;
        rc = store_events(st, run_id, after, out, err);
    }
    params_free(&p);
    return rc;
}

/* ---- compare ---- */

static cJSON *metric_json(const struct metric *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "mean", m->mean);
    cJSON_AddNumberToObject(o, "pm", metric_pm(m));
    cJSON_AddNumberToObject(o, "n", m->n);
    return o;
}

static cJSON *line_json(const struct compare_line *l)
{
    cJSON *o = cJSON_CreateObject();
    /* the line's key is kind|test|settings|metric */
    char *kind = xstrndup(l->key, strcspn(l->key, "|"));
    cJSON_AddStringToObject(o, "kind", kind);
    free(kind);
    cJSON_AddStringToObject(o, "test", l->test);
    cJSON_AddItemToObject(o, "settings", cJSON_Duplicate(l->settings, 1));
    cJSON_AddStringToObject(o, "metric", l->metric);
    cJSON_AddItemToObject(o, "a", metric_json(&l->a));
    cJSON_AddItemToObject(o, "b", metric_json(&l->b));
    cJSON_AddNumberToObject(o, "ratio", l->ci.ratio);
    add_num_or_null(o, "lo", l->ci.valid, l->ci.lo);
    add_num_or_null(o, "hi", l->ci.valid, l->ci.hi);
    cJSON_AddBoolToObject(o, "significant", l->significant);
    return o;
}

static int api_compare(struct store *st, const char *path, const char *query, cJSON **out,
                       int *status, char *err)
{
    static const char *const names[] = {"a", "b", "method", NULL};
    struct params p;
    *status = 400;
    if (params_parse(path, query, names, &p, err) < 0 || params_need(path, &p, names, 0, err) < 0 ||
        params_need(path, &p, names, 1, err) < 0) {
        params_free(&p);
        return -1;
    }
    enum compare_method method = COMPARE_WELCH;
    if (p.v[2] && strcmp(p.v[2], "bootstrap") == 0) {
        method = COMPARE_BOOTSTRAP;
    } else if (p.v[2] && strcmp(p.v[2], "welch") != 0) {
        err_shown(err, "%s: parameter '%s' is welch or bootstrap, not '%s'", path, "method",
                  p.v[2]);
        params_free(&p);
        return -1;
    }
    struct store_filter f[2];
    char *spec[2];
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        char e[QB_ERR_LEN];
        memset(&f[k], 0, sizeof(f[k]));
        f[k].ok_only = true;
        spec[k] = xstrdup(p.v[k]);
        if (rc == 0 && dbrun_parse_filter(spec[k], &f[k], e) < 0)
            rc = err_shown(err, "%s: parameter '%s': %s", path, names[k], e);
    }
    struct compare_result r;
    compare_begin(&r, false);
    for (int k = 0; k < 2 && rc == 0; k++) {
        struct compare_feed feed = {&r, k, 0};
        *status = 500;
        if (store_query_each(st, &f[k], compare_feed_row, &feed, err) != 0) {
            rc = -1;
        } else if (feed.n == 0) {
            *status = 404;
            rc = err_shown(err, "%s: parameter '%s' ('%s') matches no stored rows", path, names[k],
                           p.v[k]);
        }
    }
    if (rc == 0) {
        compare_finish(&r, method, COMPARE_RUN_NOISE_PCT / 100);
        cJSON *o = cJSON_CreateObject(), *lines = cJSON_CreateArray();
        cJSON_AddStringToObject(o, "a", p.v[0]);
        cJSON_AddStringToObject(o, "b", p.v[1]);
        for (int i = 0; i < r.n_lines; i++)
            cJSON_AddItemToArray(lines, line_json(&r.lines[i]));
        cJSON_AddItemToObject(o, "lines", lines);
        cJSON_AddNumberToObject(o, "only_a", r.only_a);
        cJSON_AddNumberToObject(o, "only_b", r.only_b);
        *out = o;
    }
    compare_release(&r);
    free(spec[0]);
    free(spec[1]);
    params_free(&p);
    return rc;
}

/* ---- the rest ---- */

static int api_info(struct store *st, cJSON **out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", QB_VERSION);
    cJSON_AddStringToObject(o, "llama_commit", QB_LLAMA_COMMIT);
    cJSON_AddStringToObject(o, "db", store_path(st));
    cJSON_AddNumberToObject(o, "now", (double)ts.tv_sec + ts.tv_nsec / 1e9);
    *out = o;
    return 0;
}

int dash_api_get(struct store *st, const char *path, const char *query, cJSON **out,
                 int *http_status, char *err)
{
    static const char *const none[] = {NULL};
    *out = NULL;
    *http_status = 400;
    int rc;
    if (strcmp(path, "/api/info") == 0 || strcmp(path, "/api/runs") == 0) {
        struct params p;
        if (params_parse(path, query, none, &p, err) < 0)
            return -1;
        *http_status = 500;
        rc = path[5] == 'i' ? api_info(st, out) : api_runs(st, out, err);
    } else if (strcmp(path, "/api/run") == 0) {
        rc = api_run(st, path, query, out, http_status, err);
    } else if (strcmp(path, "/api/rows") == 0) {
        rc = api_rows(st, path, query, out, http_status, err);
    } else if (strcmp(path, "/api/events") == 0) {
        rc = api_events(st, path, query, out, http_status, err);
    } else if (strcmp(path, "/api/compare") == 0) {
        rc = api_compare(st, path, query, out, http_status, err);
    } else {
        char *shown = str_escape(path, 0);
        set_err(err, "no such path '%.200s'", shown);
        free(shown);
        *http_status = 404;
        return -1;
    }
    if (rc < 0) {
        cJSON_Delete(*out);
        *out = NULL;
        return -1;
    }
    *http_status = 200;
    return 0;
}
