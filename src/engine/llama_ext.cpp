/* The one C++ file: llama.cpp's exact per-buffer-type memory breakdown lives in its
 * staging C++ header src/llama-ext.h (llama_get_memory_breakdown returns a std::map),
 * not in llama.h. This shim hands it to llama.c as plain C. Built only when the
 * llama.cpp source tree is known (LLAMA_SRCDIR); otherwise llama.c falls back to the
 * MiB figures of llama.cpp's "buffer size" log lines. */
#include <ggml-backend.h>
#include <llama.h>

#include "llama-ext.h"

#include "engine_ext.h"

extern "C" int qb_llama_breakdown(const struct llama_context *ctx, qb_breakdown_fn fn, void *ud)
{
    if (!ctx)
        return -1;
    try {
        llama_memory_breakdown mb = llama_get_memory_breakdown(ctx);
        for (const auto &kv : mb)
            fn(ud, kv.first, kv.second.model, kv.second.context, kv.second.compute);
    } catch (...) {
        return -1;
    }
    return 0;
}
