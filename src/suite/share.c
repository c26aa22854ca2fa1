/* The table to share of a stored suite run (see share.h). */
#include "share.h"

#include <stdlib.h>
#include <string.h>

#include "../record/memsum.h"
#include "../report/suite_table.h"
#include "../store/store.h"
#include "../util/util.h"

int suite_write_table(struct store *st, int64_t run_id, enum bench_fmt fmt, FILE *fp, char *err)
{
    if (fmt != BENCH_FMT_MD && fmt != BENCH_FMT_CSV && fmt != BENCH_FMT_JSON)
        return set_err(err, "the suite table is written as md, csv or json only");
    cJSON *cells = NULL;
    if (store_suite_cells(st, run_id, &cells, err) < 0)
        return -1;
    const cJSON *c, *r;
    cJSON_ArrayForEach (c, cells)
        cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(c, "rows"))
            mem_summary_fix_row(cJSON_GetObjectItemCaseSensitive(r, "row"));
    int rc = suite_table_write(fp, cells, fmt, err);
    cJSON_Delete(cells);
    return rc;
}
