/* mem's output: per model its estimate next to llama.cpp's dry run and the measurement
 * (md, csv, json, jsonl), and with a budget whether the models fit together and each
 * one's largest context that fits beside the others. */
#ifndef QB_MEMPRINT_H
#define QB_MEMPRINT_H

#include <stdint.h>

#include "../report/table.h"
#include "../run/mem.h"

/* m[0..n) as fmt on stdout (what md says in prose about a model goes to stderr in csv);
 * budget 0: none. 0, or -1 when stdout cannot be written. */
int mem_print(enum bench_fmt fmt, const struct mem_model *m, int n, uint64_t budget);

#endif
