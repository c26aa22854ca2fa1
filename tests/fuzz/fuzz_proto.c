/* libFuzzer target: worker protocol messages as a worker or the parent parses them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/run/proto.h"
#include "../../src/util/json.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    char *s = xstrndup((const char *)data, size);
    cJSON *o = cJSON_Parse(s);
    if (o) {
        struct work_test t;
        struct engine_model_params mp;
        struct work_load wl;
        const char *model;
        proto_parse_run(o, &t, err);
        proto_parse_load(o, &model, &mp, &wl, err);
        uint64_t *v;
        int n;
        if (json_get_u64_array(o, "samples_ns", &v, &n, err) == 0)
            free(v);
        cJSON_Delete(o);
    }
    free(s);
    return 0;
}
