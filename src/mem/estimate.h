/* Memory a llama.cpp model and context will take, from GGUF metadata alone (no weights
 * read, no llama.cpp): weights, KV cache, compute and output buffers per buffer type
 * and device, following llama.cpp 0.5.0's placement rules (see
 * ../shared/research/memory.md; docs in README "Memory"). */
#ifndef QB_MEM_ESTIMATE_H
#define QB_MEM_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../gguf/gguf.h"

#define MEM_MAX_PARTS 8
#define MEM_MAX_GPUS  8
/* per GPU, beyond llama.cpp's buffers: cuBLAS workspace and the CUDA pool (measured) */
#define MEM_CUDA_RUNTIME (6ull << 20)

struct mem_params {
    int n_gpu_layers;          /* -1 = all */
    int n_gpus;                /* GPUs to place layers on (0: CPU only) */
    float split[MEM_MAX_GPUS]; /* -ts proportions; all 0 = even */
    uint32_t n_ctx;            /* requested context (0 = training context) */
    uint32_t n_batch, n_ubatch;
    uint32_t n_seq; /* parallel sequences */
    bool kv_unified;
    char type_k[16], type_v[16];
    int flash_attn;      /* -1 auto (on where supported), 0, 1 */
    char overrides[512]; /* "regex=BUFT;..." BUFT: CPU or CUDAn */
    int n_cpu_moe;
    bool no_kv_offload;
    int use_mmap;       /* -1 auto (mmap), 0, 1 */
    bool repack;        /* the CPU repacks some quant types (CPU_REPACK) */
    bool repack_avx512; /* ... Q2_K too */
};

struct mem_part {
    char buft[32]; /* "CPU", "CPU_Mapped", "CPU_REPACK", "CUDA0", "CUDA_Host" */
    char dev[32];  /* "CPU" or "CUDA0" */
    bool host;
    uint64_t model, context, compute, output;
};

/* A margin where the model is not exact and llama.cpp may allocate more than estimated
 * (measured on an H100, bench/results/h100-notes.md; on the CPU, README "Memory"): added
 * to the plan a budget is checked against, shown as its own line */
struct mem_bound {
    char dev[32];   /* the device it applies to ("CUDA0", "CPU") */
    uint64_t bytes; /* the margin */
    char why[192];  /* what is not modelled exactly, and the margin's rule */
};
#define MEM_MAX_BOUNDS 4

struct mem_estimate {
    int n;
    struct mem_part p[MEM_MAX_PARTS];
    uint32_t n_ctx;     /* after llama.cpp's padding */
    uint32_t n_ctx_seq; /* cells per sequence stream */
    bool flash_attn;    /* resolved */
    int n_layer;
    uint32_t n_ctx_train; /* the model's training context (<arch>.context_length; 0 none) */
    uint64_t kv_per_cell; /* KV bytes of one cell over all layers and streams */
    char unmatched[128];  /* an -ot pattern that matched no tensor ("" if none) */
    int n_bound;
    struct mem_bound bound[MEM_MAX_BOUNDS];
};

void mem_params_default(struct mem_params *p);

/* 0 ok; -1 with err: the model's metadata is unusable; -2 with err: the settings are
 * (unknown buffer type or bad regex in an override, quantized V without FA, ...). */
int mem_estimate(const struct gf_file *f, const struct mem_params *p, struct mem_estimate *e,
                 char *err);

/* Sum over the parts of one device ("CPU" = all host memory); dev NULL: everything. */
uint64_t mem_total(const struct mem_estimate *e, const char *dev);
/* The margins (struct mem_bound) on dev (NULL: all) */
uint64_t mem_bounds(const struct mem_estimate *e, const char *dev);
/* The plan: mem_total plus mem_bounds, what a budget must hold */
uint64_t mem_plan(const struct mem_estimate *e, const char *dev);

#endif
