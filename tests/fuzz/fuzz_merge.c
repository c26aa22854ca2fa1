/* libFuzzer target: a results database from outside (a task's of a Slurm job array)
 * through merge: judged on open (not SQLite, another application's, newer, corrupt),
 * read through its private copy and migrated, merged twice into an empty database and
 * summed up per suite (make fuzz). The bytes are written to a file first: SQLite reads
 * files. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/store/store.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[256];
    if (!path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof(path), "%s/qb-fuzz-merge-%ld.db", tmp && tmp[0] ? tmp : "/tmp",
                 (long)getpid());
        setenv("QB_DB_BUSY_MS", "0", 1);
    }
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    char err[QB_ERR_LEN];
    enum store_fail why;
    struct store *src = store_open_as(path, 0, STORE_SNAPSHOT, &why, err);
    struct store *dst = src ? store_open(":memory:", 0, err) : NULL;
    for (int k = 0; dst && k < 2; k++) {
        struct store_merge_count n = {0};
        cJSON *conflicts = NULL, *suites = NULL;
        if (store_begin(dst, err) == 0) {
            if (store_merge(dst, src, "fuzz.db", &n, &conflicts, err) == 0)
                store_commit(dst, err);
            else
                store_rollback(dst);
        }
        if (store_suite_summary(dst, &suites, err) == 0)
            cJSON_Delete(suites);
        cJSON_Delete(conflicts);
    }
    store_close(dst);
    store_close(src);
    unlink(path);
    return 0;
}
