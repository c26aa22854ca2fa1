/* The self-contained report's data and page (see report.h). */
#include "report.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "api.h"
#include "page.h"

/* data[path?query] = dash_api_get's answer */
static int put_answer(struct store *st, cJSON *data, const char *path, const char *query,
                      cJSON **answer, char *err)
{
    cJSON *o = NULL;
    int status = 0;
    char e[QB_ERR_LEN];
    if (dash_api_get(st, path, query, &o, &status, e) < 0)
        return set_err(err, "%s", e);
    char *key = query && query[0] ? xasprintf("%s?%s", path, query) : xstrdup(path);
    cJSON_AddItemToObject(data, key, o);
    free(key);
    if (answer)
        *answer = o;
    return 0;
}

static bool listed(const int64_t *ids, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

int dash_report_data(struct store *st, const int64_t *run_ids, int n, cJSON **out, char *err)
{
    cJSON *data = cJSON_CreateObject(), *runs = NULL;
    *out = NULL;
    /* no /api/info: its clock would make two reports of the same runs differ */
    if (put_answer(st, data, "/api/runs", NULL, &runs, err) < 0)
        goto fail;
    /* the runs of the report only: a run listed is one the file can show */
    for (cJSON *r = runs->child, *next; r; r = next) {
        next = r->next;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        if (!cJSON_IsNumber(id) || !listed(run_ids, n, (int64_t)id->valuedouble))
            cJSON_Delete(cJSON_DetachItemViaPointer(runs, r));
    }
    for (int i = 0; i < n; i++) {
        if (listed(run_ids, i, run_ids[i]))
            continue;
        char q[40];
        snprintf(q, sizeof(q), "id=%lld", (long long)run_ids[i]);
        if (put_answer(st, data, "/api/run", q, NULL, err) < 0)
            goto fail;
        cJSON *events = NULL;
        snprintf(q, sizeof(q), "run=%lld", (long long)run_ids[i]);
        if (put_answer(st, data, "/api/rows", q, NULL, err) < 0 ||
            put_answer(st, data, "/api/events", q, &events, err) < 0)
            goto fail;
        for (cJSON *e = events->child, *next; e; e = next) {
            next = e->next;
            const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind");
            if (cJSON_IsString(kind) && strcmp(kind->valuestring, "tokens") == 0)
                cJSON_Delete(cJSON_DetachItemViaPointer(events, e));
        }
    }
    *out = data;
    return 0;
fail:
    cJSON_Delete(data);
    return -1;
}

int dash_report_write(struct store *st, const char *title, const int64_t *run_ids, int n, FILE *fp,
                      char *err)
{
    cJSON *data = NULL;
    if (dash_report_data(st, run_ids, n, &data, err) < 0)
        return -1;
    struct dash_page p;
    memset(&p, 0, sizeof(p));
    int rc = dash_page_build(title, data, &p, err);
    cJSON_Delete(data);
    if (rc == 0 && fwrite(p.html, 1, p.len, fp) != p.len)
        rc = set_err(err, "cannot write the page");
    dash_page_free(&p);
    return rc;
}

int dash_report_suite(struct store *st, int64_t run_id, FILE *fp, char *err)
{
    char q[40];
    snprintf(q, sizeof(q), "id=%lld", (long long)run_id);
    cJSON *o = NULL;
    int status = 0;
    if (dash_api_get(st, "/api/run", q, &o, &status, err) < 0)
        return -1;
    const cJSON *name =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "run"), "suite");
    char *title = cJSON_IsString(name) && name->valuestring[0]
                      ? xasprintf("quantbench suite %s", name->valuestring)
                      : xasprintf("quantbench suite of run %lld", (long long)run_id);
    cJSON_Delete(o);
    int rc = dash_report_write(st, title, &run_id, 1, fp, err);
    free(title);
    return rc;
}
