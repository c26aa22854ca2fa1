/* The CLI part mem and ctxmax share: their flags beyond single.h's (-np, --kv-unified,
 * --gpus, -dev), their help lines, and the typed run parameters (run/mem.h) made from
 * the flags. */
#ifndef QB_MEMCMD_H
#define QB_MEMCMD_H

#include <stdbool.h>

#include "../run/mem.h"
#include "single.h"

#define MEMCMD_HELP                                                                                \
    "  -m, --model FILE            GGUF model; several: -m A -m B or -m A,B\n"                     \
    "  -c, --ctx-size N            context size in tokens [4096]\n"                                \
    "  -b, --batch-size N          logical batch [2048]\n"                                         \
    "  -ub, --ubatch-size N        physical batch [512]\n"                                         \
    "  -ngl, --n-gpu-layers N      layers on the GPU, -1 or 99 = all [-1]\n"                       \
    "  -dev, --device LIST         devices to offload to (CUDA0,CUDA1 or none) [all]\n"            \
    "  -ncmoe, --n-cpu-moe N       experts of the first N layers on the CPU [0]\n"                 \
    "  -ot, --override-tensor P=B;...  tensors matching regex P go to buffer type B [none]\n"      \
    "  -fa, --flash-attn X         on, off or auto [auto]\n"                                       \
    "  -ctk, -ctv T                K / V cache type (f16, q8_0, q4_0, ...) [f16]\n"                \
    "  -nkvo, --no-kv-offload 0|1  keep the KV cache in host memory [0]\n"                         \
    "  -lm, --load-mode M          auto, mmap or none [auto]\n"                                    \
    "  -t, --threads N             threads [online CPUs]\n"                                        \
    "  --timeout S                 seconds a worker may take [0 = none]\n"                         \
    "  -o, --output FMT            md, csv, json, jsonl [md]\n"                                    \
    "  -v, --verbose               show llama.cpp's log (-v -v)\n"

struct memcmd {
    int n_seq;         /* -np */
    bool kv_unified;   /* --kv-unified */
    int gpus;          /* --gpus; -1 = what the build sees */
    char devices[256]; /* -dev: devices to offload to, llama.cpp's list ("" all, "none") */
};

void memcmd_init(struct memcmd *mc);
/* -np, --kv-unified, --gpus, -dev: 1 taken (*used_value when it ate v), 0 not ours, -1 err */
int memcmd_flag(struct memcmd *mc, const char *a, const char *v, bool *used_value, char *err);
/* The run parameters of so's settings and mc's (p->model: so->model) */
void memcmd_run_params(const struct memcmd *mc, const struct single_opts *so,
                       struct mem_run_params *p);
/* An estimate's warning on stderr (an -ot pattern that matches no tensor): for
 * mem_run_events.on_estimate and ctxmax_events.on_estimate */
void memcmd_on_estimate(const struct mem_model *m, void *ud);

#endif
