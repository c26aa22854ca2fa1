/* libFuzzer target: other tools' result files (llama-bench json/jsonl/csv/sql/md,
 * batched-bench and sweep-bench md/jsonl) through the importer, and every parsed row
 * through the metrics compare and report use (make fuzz). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/report/compare.h"
#include "../../src/report/import.h"
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
    }
    import_release(&r);
    return 0;
}
