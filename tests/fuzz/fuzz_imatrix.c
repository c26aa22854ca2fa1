/* libFuzzer target: importance matrix files (llama-imatrix's GGUF and legacy formats)
 * through the reader, the values quantize derives, the model check and the writer
 * (make fuzz). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/gguf/imatrix.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    struct imatrix im;
    if (imatrix_read_mem(data, size, "fuzz", &im, err) < 0)
        return 0;
    for (size_t i = 0; i < im.n; i++)
        free(imatrix_values(&im, &im.e[i]));
    /* the same bytes as a model: the shape check's arithmetic on hostile dimensions */
    struct gf_file *f;
    if (gf_read_mem(data, size, "fuzz", &f, err) == 0) {
        imatrix_check_model(&im, f, err);
        gf_free(f);
    }
    char path[64];
    snprintf(path, sizeof(path), "/tmp/qb-fuzz-imatrix-%ld.gguf", (long)getpid());
    if (imatrix_write(&im, path, err) == 0) {
        struct imatrix back;
        if (imatrix_read_file(path, &back, err) < 0 || back.n != im.n)
            abort(); /* what we write we must read */
        imatrix_free(&back);
        unlink(path);
    }
    imatrix_free(&im);
    return 0;
}
