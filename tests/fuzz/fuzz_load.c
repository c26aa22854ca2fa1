/* libFuzzer target: a server's answer to a load request, as bytes split where the first
 * byte says, through the event parser (net/sse.c) and each event through load's chunk
 * reader (run/load.c: choices, usage, llama-server's timings); then the request's summary
 * (run/load.c: load_summary) as a successful one when it has chunks and usage. Each event
 * is also read by cJSON's path alone (load_chunk_json) into a second record: the two
 * records and every answer must be the same (load_chunk's own scanner held to cJSON). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/net/sse.h"
#include "../../src/run/load.h"
#include "../../src/util/util.h"
#include "../unit/load_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t clock_ns;

static int on_event(void *ud, const char *event, const char *d, size_t len, char *err)
{
    struct load_rec *r = ud;
    char err2[QB_ERR_LEN];
    (void)event;
    (void)len;
    clock_ns += 1000;
    int a = load_chunk(&r[0], d, clock_ns, err); /* an error ends nothing here: go on */
    int b = load_chunk_json(&r[1], d, clock_ns, err2);
    if (a != b || (a < 0 && strcmp(err, err2)) || !load_rec_same(&r[0], &r[1]))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    if (size < 1)
        return 0;
    size_t cut = data[0] % size;
    struct load_rec r[2];
    memset(r, 0, sizeof(r));
    r[0].prompt_tokens = r[0].completion_tokens = r[0].cached_tokens = -1;
    r[0].prompt_len = -1;
    clock_ns = 1000;
    r[0].send_ns = r[0].issue_ns = clock_ns;
    r[1] = r[0];
    struct sse_parser s;
    sse_init(&s, 1 << 16, on_event, r);
    if (sse_feed(&s, (const char *)data + 1, cut, err) == 0)
        sse_feed(&s, (const char *)data + 1 + cut, size - 1 - cut, err);
    sse_release(&s);
    r[0].end_ns = clock_ns + 1;
    r[0].ok = r[0].n_t > 0 && r[0].has_usage;
    struct load_params p;
    memset(&p, 0, sizeof(p));
    p.burstiness = 1;
    p.slo_tpot = 1;
    cJSON_Delete(load_summary(&p, r, 1, 1000, 1, 1));
    load_rec_release(&r[0]);
    load_rec_release(&r[1]);
    return 0;
}
