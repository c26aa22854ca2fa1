/* libFuzzer target: a server's answer to prompts --server, as bytes split where the first
 * byte says, through the event parser (net/sse.c) and each event through the chunk reader
 * (run/prompts_server.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/net/sse.h"
#include "../../src/run/prompts_server.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *ud, const char *event, const char *d, size_t len, char *err)
{
    (void)event;
    (void)len;
    prompts_server_stream_event(ud, d, 1, err); /* an error ends nothing here: go on */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    if (size < 1)
        return 0;
    size_t cut = data[0] % size;
    struct prompts_server_stream st;
    prompts_server_stream_init(&st);
    struct sse_parser s;
    sse_init(&s, 1 << 16, on_event, &st);
    if (sse_feed(&s, (const char *)data + 1, cut, err) == 0)
        sse_feed(&s, (const char *)data + 1 + cut, size - 1 - cut, err);
    sse_pending(&s);
    sse_release(&s);
    prompts_server_stream_release(&st);
    return 0;
}
