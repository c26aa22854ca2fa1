/* quantize as a function: one GGUF to one llama.cpp file type with llama.cpp's quantizer,
 * in a worker process of its own (a crash or an out-of-memory costs only that file). The
 * output appears whole or not at all: the worker writes "OUT.tmp.PID", which is renamed
 * into place once it succeeded and removed otherwise. */
#ifndef QB_RUN_QUANTIZE_H
#define QB_RUN_QUANTIZE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "../engine/engine.h"

struct quantize_params {
    const char *in;      /* source GGUF (F32, F16 or BF16 weights) */
    const char *out;     /* the file to make */
    int ftype;           /* llama.cpp file type id (gguf/gguf.h's llama_ftype names) */
    int threads;         /* quantizer threads */
    const char *imatrix; /* importance matrix file, or NULL / "" */
    int verbose;         /* worker verbosity; > 0 echoes its stderr */
    double timeout_s;    /* 0 = none */
};

struct quantize_result {
    uint64_t ns;                    /* the quantizer's time */
    struct engine_build_info build; /* the llama.cpp build that made it */
};

/* 0 with *res, or -1 with err (the worker's reason, or why it died) */
int run_quantize(const struct quantize_params *qp, struct quantize_result *res, char *err);

/* The ladder's <name> of a source: its file name without .gguf and a trailing -F16, -BF16
 * or -F32 (rungs are "<name>-<TYPE>.gguf"); the caller frees */
char *quantize_stem(const char *path);

#endif
