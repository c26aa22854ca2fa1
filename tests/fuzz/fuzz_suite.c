/* libFuzzer target: suite files (quantbench run): parsing, validation, expansion into
 * cells and their keys. The model its seeds name is /tmp/qb-fuzz-suite-m.gguf, a small
 * GGUF written at start. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/gguf/gguf.h"
#include "../../src/suite/suite.h"
#include "../../src/util/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[QB_ERR_LEN];
    struct gf_writer *w = gf_writer_new();
    gf_writer_set_str(w, "general.architecture", "llama");
    gf_writer_set_u32(w, "llama.block_count", 1);
    if (gf_writer_write(w, "/tmp/qb-fuzz-suite-m.gguf", NULL, NULL, err) < 0)
        abort();
    gf_writer_free(w);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    char *text = xstrndup((const char *)data, size);
    struct suite s;
    if (suite_parse("fuzz.json", text, &s, err) == 0) {
        struct suite_cells c;
        if (suite_expand(&s, &c, err) == 0) {
            suite_keys(&s, &c, "fuzz 1", err);
            suite_cells_release(&c);
        }
    }
    suite_release(&s);
    free(text);
    return 0;
}
