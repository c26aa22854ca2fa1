/* quantize as a function (see quantize.h). */
#include "quantize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../engine/worker.h"
#include "../util/json.h"
#include "../util/util.h"
#include "proto.h"

int run_quantize(const struct quantize_params *qp, struct quantize_result *res, char *err)
{
    memset(res, 0, sizeof(*res));
    struct quantize_params tq = *qp;
    char *tmp = xasprintf("%s.tmp.%d", qp->out, (int)getpid());
    tq.out = tmp;
    struct worker *w = worker_start(qp->verbose, qp->verbose > 0, err);
    cJSON *req = proto_quantize_req(&tq), *resp = NULL;
    bool ok = w && worker_call(w, req, qp->timeout_s, &resp, err) == 0;
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(resp, "ev");
    if (ok && !(cJSON_IsString(ev) && !strcmp(ev->valuestring, "result"))) {
        struct json_reader jr = {0};
        char why[QB_ERR_LEN];
        jr_str(&jr, resp, "msg", why, sizeof(why));
        snprintf(err, QB_ERR_LEN, "%s", jr.failed ? jr.err : why); /* the worker's reason */
        ok = false;
    }
    double ns = 0;
    if (ok && json_get_num(resp, "ns", 0, 1e300, &ns, err) < 0)
        ok = false;
    if (ok &&
        proto_parse_build(cJSON_GetObjectItemCaseSensitive(resp, "build"), &res->build, err) < 0)
        ok = false;
    if (ok && rename(tmp, qp->out) != 0) {
        set_err(err, "cannot rename '%s': %s", tmp, strerror(errno));
        ok = false;
    }
    if (ok) {
        res->ns = (uint64_t)ns;
    } else {
        unlink(tmp); /* what the quantizer had written */
    }
    cJSON_Delete(req);
    cJSON_Delete(resp);
    worker_stop(w);
    free(tmp);
    return ok ? 0 : -1;
}

char *quantize_stem(const char *path)
{
    const char *b = strrchr(path, '/');
    char *s = xstrdup(b ? b + 1 : path);
    size_t n = strlen(s);
    if (n > 5 && strcasecmp(s + n - 5, ".gguf") == 0)
        s[n -= 5] = '\0';
    const char *suf[] = {"-F16", "-BF16", "-F32", "_F16", "_BF16", "_F32"};
    for (size_t i = 0; i < QB_ARRAY_LEN(suf); i++) {
        size_t k = strlen(suf[i]);
        if (n > k && strcasecmp(s + n - k, suf[i]) == 0) {
            s[n - k] = '\0';
            break;
        }
    }
    return s;
}
