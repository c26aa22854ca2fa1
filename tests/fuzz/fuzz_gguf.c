/* libFuzzer target: the GGUF reader on arbitrary bytes (make fuzz). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../src/gguf/gguf.h"
#include "../../src/mem/estimate.h"
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
        /* and the memory estimator on its metadata: CPU only, then a GPU with overrides */
        struct mem_params p;
        struct mem_estimate e;
        mem_params_default(&p);
        p.n_ctx = 4096;
        p.repack = true;
        mem_estimate(f, &p, &e, err);
        p.n_gpus = 2;
        p.n_gpu_layers = 3;
        p.n_seq = 3;
        p.flash_attn = 0;
        snprintf(p.overrides, sizeof(p.overrides), "blk\\.\\d+\\.ffn_.*=CPU;exps=CUDA1");
        mem_estimate(f, &p, &e, err);
        gf_free(f);
    }
    return 0;
}
