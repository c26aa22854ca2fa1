/* libFuzzer target: the GGUF reader on arbitrary bytes (make fuzz). */
#include <stddef.h>
#include <stdint.h>

#include "../../src/gguf/gguf.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    struct gf_file *f = NULL;
    if (gf_read_mem(data, size, "fuzz", &f, err) == 0) {
        /* exercise the lookups on whatever parsed */
        gf_get_str(f, "general.architecture");
        gf_get_int(f, "llama.block_count", 0);
        gf_get_float(f, "llama.rope.freq_base", 0);
        gf_get_arr_n(f, "tokenizer.ggml.tokens");
        gf_free(f);
    }
    return 0;
}
