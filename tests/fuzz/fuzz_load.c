/* libFuzzer target: a server's answer to a load request, as bytes split where the first
 * byte says, through the event parser (net/sse.c) and each event through load's chunk
 * reader (run/load.c: choices, usage, llama-server's timings); then the request's summary
 * (run/load.c: load_summary) as a successful one when it has chunks and usage. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/net/sse.h"
#include "../../src/run/load.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t clock_ns;

static int on_event(void *ud, const char *event, const char *d, size_t len, char *err)
{
    (void)event;
    (void)len;
    load_chunk(ud, d, clock_ns += 1000, err); /* an error ends nothing here: go on */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    if (size < 1)
        return 0;
    size_t cut = data[0] % size;
    struct load_rec r;
    memset(&r, 0, sizeof(r));
    r.prompt_tokens = r.completion_tokens = r.cached_tokens = -1;
    r.prompt_len = -1;
    clock_ns = 1000;
    r.send_ns = r.issue_ns = clock_ns;
    struct sse_parser s;
    sse_init(&s, 1 << 16, on_event, &r);
    if (sse_feed(&s, (const char *)data + 1, cut, err) == 0)
        sse_feed(&s, (const char *)data + 1 + cut, size - 1 - cut, err);
    sse_release(&s);
    r.end_ns = clock_ns + 1;
    r.ok = r.n_t > 0 && r.has_usage;
    struct load_params p;
    memset(&p, 0, sizeof(p));
    p.burstiness = 1;
    p.slo_tpot = 1;
    cJSON_Delete(load_summary(&p, &r, 1, 1000, 1, 1));
    load_rec_release(&r);
    return 0;
}
