/* libFuzzer target: other tools' result files (llama-bench json/jsonl/csv/sql/md,
 * batched-bench and sweep-bench md/jsonl, our sql and ctxmax/mem json) through the
 * importer, every parsed row through the metrics compare and report use, and the rows
 * through compare's matching (every row on side A, every other row on side B, the
 * unmatched listed) (make fuzz). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/report/compare.h"
#include "../../src/store/import.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    int line = 0;
    struct import_result r;
    if (import_parse((const char *)data, size, &r, &line, err) == 0) {
        const cJSON *row;
        cJSON_ArrayForEach (row, r.rows) {
            struct metric m[4];
            int n = compare_row_metrics(r.kind, row, m);
            for (int i = 0; i < n; i++)
                free(m[i].v);
        }
        struct compare_result c;
        compare_begin(&c, true);
        int k = 0;
        cJSON_ArrayForEach (row, r.rows) {
            cJSON *res = cJSON_CreateObject();
            cJSON_AddStringToObject(res, "kind", r.kind);
            cJSON_AddStringToObject(res, "test", "t");
            cJSON_AddNumberToObject(res, "id", k);
            cJSON_AddNumberToObject(res, "run_id", k % 3);
            cJSON *set = cJSON_AddObjectToObject(res, "settings");
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(row, "n_threads");
            if (t)
                cJSON_AddItemToObject(set, "n_threads", cJSON_Duplicate(t, 1));
            cJSON_AddItemReferenceToObject(res, "row", (cJSON *)row);
            compare_add(&c, 0, res);
            if (k % 2)
                compare_add(&c, 1, res);
            cJSON_Delete(res);
            k++;
        }
        compare_finish(&c, k % 2 ? COMPARE_BOOTSTRAP : COMPARE_WELCH, 0.02);
        cJSON_Delete(compare_varying(&c));
        compare_release(&c);
    }
    import_release(&r);
    return 0;
}
