/* Shared by mem and ctxmax: estimate from GGUF metadata, probes in a worker (llama.cpp's
 * dry run, a real load with a full-context decode), and printing. */
#ifndef QB_MEMCMD_H
#define QB_MEMCMD_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../gguf/gguf.h"
#include "../mem/estimate.h"
#include "../util/util.h"
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

struct memcmd_model {
    const char *path;
    struct gf_file *f;
    struct mem_params mp;
    struct mem_estimate est;
    cJSON *dry, *meas; /* the worker's "mem" objects, or NULL */
    char dry_err[QB_ERR_LEN], meas_err[QB_ERR_LEN];
    char other_hw[QB_ERR_LEN]; /* why the estimate is for other hardware than this
                                * machine's (--gpus, -dev), "" when it is for this one */
    uint32_t fit_ctx;          /* --budget: largest context that fits (0 none) */
    bool fit_capped;           /* fit_ctx is the model's training context: more would fit */
};

void memcmd_init(struct memcmd *mc);
/* -np, --kv-unified, --gpus, -dev: 1 taken (*used_value when it ate v), 0 not ours, -1 err */
int memcmd_flag(struct memcmd *mc, const char *a, const char *v, bool *used_value, char *err);
/* Fill mp from the flags for so->model: GPUs from --gpus, else as many as -dev names,
 * else the ones this build sees */
void memcmd_params(const struct memcmd *mc, const struct single_opts *so, struct mem_params *mp);
/* Read so->model and estimate (and m->other_hw); 0 or an exit code (message printed). */
int memcmd_estimate(const struct memcmd *mc, const struct single_opts *so, struct memcmd_model *m,
                    const char *cmd);
/* A probe in a fresh worker: dry (no_alloc) or real, fill = decode the whole context.
 * 0 with *mem the worker's mem object (+ "probe_ns", "load_ns"), -1 with err. */
int memcmd_probe(const struct memcmd *mc, const struct single_opts *so, bool dry, bool fill,
                 cJSON **mem, char *err);
/* --budget: each model's largest context (a multiple of 256, at most its training
 * context) whose estimate fits beside the others' */
void memcmd_budget(const struct memcmd *mc, const struct single_opts *so, struct memcmd_model *m,
                   int n, uint64_t budget);
/* Whether the models' estimates together fit budget (on the budget's device) */
bool memcmd_fits(const struct memcmd_model *m, int n, uint64_t budget);
int memcmd_print(const struct memcmd *mc, const struct single_opts *so,
                 const struct memcmd_model *m, int n, uint64_t budget);
void memcmd_model_release(struct memcmd_model *m);

/* "the estimate is for other hardware (...); ..." when m->other_hw is set (static, do not
 * free; overwritten by the next call) */
const char *memcmd_other_hw_note(const struct memcmd_model *m);

/* Sum of a worker mem object's buffers on dev ("CPU" = host; NULL = all) */
uint64_t memcmd_measured_total(const cJSON *mem, const char *dev);
cJSON *memcmd_estimate_json(const struct mem_estimate *e);

#endif
