/* libFuzzer target: a server's HTTP/1.1 answer to load (net/h1.c), as bytes split where
 * the first byte says, the body through the event parser (net/sse.c), then the
 * connection's end. */
#include <stddef.h>
#include <stdint.h>

#include "../../src/net/h1.h"
#include "../../src/net/sse.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *ud, const char *event, const char *d, size_t len, char *err)
{
    (void)ud, (void)event, (void)d, (void)len, (void)err;
    return 0;
}

static int on_body(void *ud, const char *b, size_t n, char *err)
{
    return sse_feed(ud, b, n, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    if (size < 1)
        return 0;
    size_t cut = data[0] % size, used = 0;
    struct sse_parser s;
    sse_init(&s, 1 << 16, on_event, NULL);
    struct h1_answer a;
    h1_init(&a, on_body, &s);
    const char *b = (const char *)data + 1;
    int rc = h1_feed(&a, b, cut, &used, err);
    if (rc == 0)
        rc = h1_feed(&a, b + cut, size - 1 - cut, &used, err);
    if (rc == 0)
        h1_eof(&a, err);
    sse_pending(&s);
    sse_release(&s);
    return 0;
}
