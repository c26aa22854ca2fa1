/* Between llama.c and llama_ext.cpp (the C++ shim over llama.cpp's llama-ext.h). */
#ifndef QB_ENGINE_EXT_H
#define QB_ENGINE_EXT_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
struct llama_context;
typedef void (*qb_breakdown_fn)(void *ud, const char *buft, const char *dev, int is_host,
                                size_t model, size_t context, size_t compute);
/* Calls fn once per buffer type with llama.cpp's exact byte counts; -1 if unavailable. */
int qb_llama_breakdown(const struct llama_context *ctx, qb_breakdown_fn fn, void *ud);
#ifdef __cplusplus
}
#endif
#endif
