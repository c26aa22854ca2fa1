/* libFuzzer target: base log-probability files (llama-perplexity's _logits_ format and
 * our compact one) through the reader and the KLD row code (make fuzz). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/measure/kld.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    if (!size)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    struct kld_file kf;
    if (kld_file_read(f, "fuzz", &kf, err) == 0) {
        if (kf.n_vocab <= (1 << 16)) {
            float *logits = xcalloc((size_t)kf.n_vocab, sizeof(float));
            struct kld_acc acc = {0};
            for (int i = 0; i < 64 && kld_file_next(&kf, err) == 0; i++) {
                int tok = kf.tokens[i % kf.n_ctx];
                if (kf.k)
                    kld_row_topk(&acc, logits, kf.n_vocab, kf.k,
                                 (const uint32_t *)(const void *)kf.row, tok);
                else
                    kld_row(&acc, logits, kf.n_vocab, kf.row, tok);
            }
            struct kld_stats st;
            kld_finish(&acc, &st);
            free(acc.kld_values);
            free(acc.p_diff_values);
            free(logits);
        }
        kld_file_close(&kf);
    }
    return 0;
}
