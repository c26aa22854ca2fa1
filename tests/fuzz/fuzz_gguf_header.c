/* libFuzzer target: the GGUF reader's header-only mode on arbitrary bytes (make fuzz), fed as
 * mem feeds it over HTTP: a cut start of the file, grown to what each GF_NEED_MORE asks for.
 * Whatever the cut, the answer is the one from the whole buffer, and a request for more
 * always asks for more than it has. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/gguf/gguf.h"
#include "../../src/mem/estimate.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    if (size < 1)
        return 0;
    size_t have = 1 + (size_t)data[0] * 16; /* the first read: 1..4081 bytes */
    data++;
    size--;
    struct gf_file *whole = NULL, *f = NULL;
    uint64_t need = 0;
    int rw = gf_read_header_mem(data, size, size, "fuzz", &whole, &need, err);
    if (rw == GF_NEED_MORE || need)
        abort(); /* the whole file never needs more */
    int rc;
    for (;;) {
        size_t n = have < size ? have : size;
        rc = gf_read_header_mem(data, n, size, "fuzz", &f, &need, err);
        if (rc != GF_NEED_MORE)
            break;
        if (need <= n || n == size)
            abort(); /* more wanted must be more than held, and only while some is left */
        have = need > size ? size : (size_t)need;
    }
    if ((rc == 0) != (rw == 0) ||
        (rc == 0 && (f->n_kv != whole->n_kv || f->n_tensors != whole->n_tensors ||
                     f->data_offset != whole->data_offset)))
        abort(); /* a cut start gave another answer than the whole */
    if (rc == 0) {
        struct mem_params p;
        struct mem_estimate e;
        mem_params_default(&p);
        p.n_gpus = 1;
        p.n_ctx = 32768;
        snprintf(p.type_k, sizeof(p.type_k), "q8_0");
        snprintf(p.type_v, sizeof(p.type_v), "q8_0");
        mem_estimate(f, &p, &e, err);
        mem_plan(&e, NULL);
    }
    gf_free(f);
    gf_free(whole);
    return 0;
}
