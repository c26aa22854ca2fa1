/* Between llama.c and llama_ext.cpp (the C++ shim over llama.cpp's llama-ext.h). */
#ifndef QB_ENGINE_EXT_H
#define QB_ENGINE_EXT_H
#include <stddef.h>

#include <ggml-backend.h>
#ifdef __cplusplus
extern "C" {
#endif
struct llama_context;
typedef void (*qb_breakdown_fn)(void *ud, ggml_backend_buffer_type_t buft, size_t model,
                                size_t context, size_t compute);
/* Calls fn once per buffer type with llama.cpp's exact byte counts; -1 if unavailable.
 * Where the memory lives is llama.c's to decide (one rule for this path and the log's). */
int qb_llama_breakdown(const struct llama_context *ctx, qb_breakdown_fn fn, void *ud);
#ifdef __cplusplus
}
#endif
#endif
