/* The table to share of a stored suite run (see share.h). */
#include "share.h"

#include <stdlib.h>
#include <string.h>

#include "../record/memsum.h"
#include "../report/suite_table.h"
#include "../store/store.h"
#include "../util/util.h"

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* The suite's name as the run knew it (its run_started event: the suite's "name", else its
 * file's base name), else the stored suite's "name", into *name (NULL when neither says;
 * it points into *own, which the caller frees); -1 with err when the store fails */
static int suite_name(struct store *st, int64_t run_id, const char **name, cJSON **own, char *err)
{
    *name = NULL;
    *own = NULL;
    if (store_events(st, run_id, 0, own, err) < 0)
        return -1;
    const cJSON *e;
    cJSON_ArrayForEach (e, *own) {
        const char *kind = str_of(e, "kind");
        const char *s = str_of(cJSON_GetObjectItemCaseSensitive(e, "payload"), "suite");
        if (kind && strcmp(kind, "run_started") == 0 && s) {
            *name = s;
            return 0;
        }
    }
    cJSON_Delete(*own);
    *own = NULL;
    char *text = NULL;
    if (store_suite_json(st, run_id, &text, err) < 0)
        return -1;
    *own = text ? cJSON_Parse(text) : NULL;
    free(text);
    *name = str_of(*own, "name");
    return 0;
}

static int write_page(struct store *st, int64_t run_id, const cJSON *cells, FILE *fp, char *err)
{
    cJSON *runs = NULL, *own = NULL;
    const char *name;
    if (store_list_runs(st, &runs, err) < 0)
        return -1;
    if (suite_name(st, run_id, &name, &own, err) < 0) {
        cJSON_Delete(runs);
        return -1;
    }
    const cJSON *run = NULL, *r;
    cJSON_ArrayForEach (r, runs) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        if (cJSON_IsNumber(id) && (int64_t)id->valuedouble == run_id)
            run = r;
    }
    char fallback[48];
    if (!name) {
        snprintf(fallback, sizeof(fallback), "of run %lld", (long long)run_id);
        name = fallback;
    }
    struct suite_page page = {name,
                              (long long)run_id,
                              str_of(run, "label"),
                              str_of(run, "started"),
                              str_of(run, "ended"),
                              str_of(run, "status")};
    int rc = suite_table_page(fp, cells, &page, err);
    cJSON_Delete(own);
    cJSON_Delete(runs);
    return rc;
}

int suite_write_table(struct store *st, int64_t run_id, enum bench_fmt fmt, FILE *fp, char *err)
{
    if (fmt != BENCH_FMT_MD && fmt != BENCH_FMT_CSV && fmt != BENCH_FMT_JSON &&
        fmt != BENCH_FMT_HTML)
        return set_err(err, "the suite table is written as md, csv, json or html only");
    cJSON *cells = NULL;
    if (store_suite_cells(st, run_id, &cells, err) < 0)
        return -1;
    const cJSON *c, *r;
    cJSON_ArrayForEach (c, cells)
        cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(c, "rows"))
            mem_summary_fix_row(cJSON_GetObjectItemCaseSensitive(r, "row"));
    int rc = fmt == BENCH_FMT_HTML ? write_page(st, run_id, cells, fp, err)
                                   : suite_table_write(fp, cells, fmt, err);
    cJSON_Delete(cells);
    return rc;
}
