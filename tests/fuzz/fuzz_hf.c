/* libFuzzer target: the Hub's answers as net/hf.c reads them. The first byte splits the
 * input: the head is a quant tag (and, as text, a Content-Range and a Link header), the
 * rest a tree listing (hf_tree_parse), whose files go through the quant selection
 * (hf_select) and the tag reader (hf_gguf_tag). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/net/hf.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    if (size < 1)
        return 0;
    size_t cut = data[0] % size;
    char *head = xstrndup((const char *)data + 1, cut);
    uint64_t a, b, t;
    if (hf_content_range(head, &a, &b, &t) == 0 && (b < a || (t && t <= b)))
        abort();
    char next[64];
    hf_link_next(head, next, sizeof(next));
    if (strlen(next) >= sizeof(next))
        abort();
    struct hf_files fs = {0}, out = {0};
    if (hf_tree_parse((const char *)data + 1 + cut, size - 1 - cut, &fs, err) == 0) {
        for (size_t i = 0; i < fs.n; i++) {
            char tag[64];
            int idx, cnt;
            hf_gguf_tag(fs.v[i].path, tag, &idx, &cnt);
            if (strlen(tag) >= sizeof(tag) || strlen(fs.v[i].sha256) % 64)
                abort();
        }
        if (hf_select(&fs, head, &out, err) == 0 && out.n == 0)
            abort(); /* a selection holds a file */
        hf_files_free(&out);
    }
    hf_files_free(&fs);
    free(head);
    return 0;
}
