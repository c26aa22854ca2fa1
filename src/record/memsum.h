/* The memory fields every result row carries: what llama.cpp allocated (weights, KV
 * cache, compute and output buffers) summed over the host and the GPUs, the worker's
 * RSS and peak RSS, whether weights are mmap'd, and the per-buffer and per-device
 * detail, from the "mem" object a worker sends with each result. */
#ifndef QB_MEMSUM_H
#define QB_MEMSUM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

struct mem_summary {
    bool have;                             /* the worker sent one */
    bool exact;                            /* llama.cpp's byte counts (else its MiB log lines) */
    bool mmap;                             /* weights in a CPU_Mapped buffer */
    uint64_t weights, kv, compute, output; /* over every buffer type */
    uint64_t host, gpu;                    /* the same, split by where it lives */
    uint64_t rss, rss_peak;                /* the worker process */
};

void mem_summary_from(const cJSON *mem, struct mem_summary *s);
/* Add mem_* fields (and mem_buffers / mem_devices detail when mem is given) to row. */
void mem_summary_add(cJSON *row, const struct mem_summary *s, const cJSON *mem);

/* A stored row's mem_host_bytes / mem_gpu_bytes (and its buffers' host flags) made again
 * from its mem_buffers: rows stored before host buffer types were classified by their
 * device counted CPU_REPACK as GPU memory. A row without them is left as it is. */
void mem_summary_fix_row(cJSON *row);

#endif
