/* OUR model API. The rest of quantbench runs models only through this header;
 * src/engine/llama.c implements it on llama.cpp (the only file that includes
 * llama.h) and tests/unit/fake_engine.c implements it without any model.
 * Errors: functions return 0 / -1 and fill err (QB_ERR_LEN bytes) with a
 * message, and engine_last_error_kind() says what kind of failure it was; llama.cpp's
 * own return codes never leave the implementation. */
#ifndef QB_ENGINE_H
#define QB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/exit.h"

#define ENGINE_MAX_DEVICES 16
/* parallel sequences one context may hold: llama.cpp's LLAMA_MAX_SEQ (llama-cparams.h,
 * not in llama.h); a context asked for more is refused when it is created */
#define ENGINE_MAX_SEQ 256

enum engine_split_mode {
    ENGINE_SPLIT_NONE = 0,
    ENGINE_SPLIT_LAYER = 1,
    ENGINE_SPLIT_ROW = 2,
    ENGINE_SPLIT_TENSOR = 3,
};

struct engine_model_params {
    int n_gpu_layers;                       /* layers on GPU; -1 = all */
    enum engine_split_mode split_mode;      /* how to split over GPUs */
    int main_gpu;                           /* GPU for split mode none */
    float tensor_split[ENGINE_MAX_DEVICES]; /* proportions per device; all 0 = default */
    char devices[256];                      /* comma list of device names; "" = all, "none" = CPU */
    int use_mmap;                           /* 1 mmap, 0 read into memory, -1 llama.cpp's choice */
    char overrides[512];                    /* "regex=BUFT;regex=BUFT" (e.g. "exps=CPU"); "" none */
    int n_cpu_moe;                          /* keep the experts of the first N layers on the CPU */
    bool no_alloc; /* dry run: plan every buffer, allocate none, read no weights */
    /* called during load with progress in [0,1]; may be NULL */
    void (*progress)(float p, void *ud);
    void *progress_ud; /* passed to progress */
};

struct engine_ctx_params {
    uint32_t n_ctx;      /* context size in tokens */
    uint32_t n_batch;    /* logical batch */
    uint32_t n_ubatch;   /* physical batch */
    uint32_t n_seq_max;  /* parallel sequences */
    int flash_attn;      /* -1 auto, 0 off, 1 on */
    char type_k[16];     /* K cache ggml type name ("f16") */
    char type_v[16];     /* V cache ggml type name */
    int n_threads;       /* threads for generation */
    int n_threads_batch; /* threads for batches */
    int poll;            /* threadpool polling level 0..100 (llama-bench: 50); -1: attach no
                          * threadpool (llama.cpp's default threading, as batched-bench) */
    char cpu_mask[80];   /* hex CPU affinity mask of the threadpool; "0x0" = no affinity */
    bool cpu_strict;     /* place threads strictly on the mask's CPUs */
    int prio;            /* thread priority -1 low, 0 normal, 1 medium, 2 high, 3 realtime */
    bool no_kv_offload;  /* keep KV cache on the CPU */
    bool kv_unified;     /* one KV stream for all sequences */
};

struct engine_model_info {
    char desc[128];      /* llama.cpp's description, e.g. "llama 150M Q4_K - Medium" */
    uint64_t size;       /* bytes of weights */
    uint64_t n_params;   /* parameters */
    int32_t n_vocab;     /* vocabulary size */
    bool add_bos;        /* the vocabulary adds BOS to prompts */
    int32_t bos;         /* BOS token id (-1 none) */
    int32_t eos;         /* EOS token id (-1 none) */
    int32_t n_layer;     /* transformer blocks */
    int32_t n_ctx_train; /* training context */
};

struct engine_build_info {
    char version[64];      /* llama.cpp version string */
    char commit[64];       /* llama.cpp commit (from the build) */
    int build_number;      /* llama.cpp build number (commit count) */
    char backends[128];    /* llama-bench's "backends" value, e.g. "CPU" or "CUDA" */
    char cpu_info[256];    /* CPU description */
    char gpu_info[256];    /* GPU descriptions joined with ", "; "" if none */
    char system_info[512]; /* llama_print_system_info() */
};

struct engine;
struct imatrix; /* gguf/imatrix.h */

struct engine_model_params engine_model_params_default(void);
struct engine_ctx_params engine_ctx_params_default(void);

/* The kind of the last failure of an engine call in this process (read it right after the
 * call returned -1 or NULL): QB_KIND_OOM when llama.cpp could not allocate memory (a
 * model's weights, a context's cache or compute buffers, a decode's), else
 * QB_KIND_RUNTIME. */
enum qb_kind engine_last_error_kind(void);
/* Forget the last failure's kind (RUNTIME again): a caller about to run something that
 * may fail for reasons of its own, not the engine's, calls this first, so an earlier
 * failure's kind (an OOM) is not reported for it */
void engine_clear_error_kind(void);

/* Initialize backends and route llama.cpp's log into ours; call once per process. */
void engine_global_init(int verbosity);
void engine_build_info(struct engine_build_info *bi);
/* NUMA strategy: 0 off, 1 distribute, 2 isolate, 3 numactl; call before the first load. */
void engine_numa_init(int strategy);
/* Process priority as llama.cpp's tools set it (-1 low .. 3 realtime); -1 with err. */
int engine_set_process_priority(int prio, char *err);

/* Load a model. Returns a handle (free with engine_close) or NULL with err. */
struct engine *engine_open(const char *path, const struct engine_model_params *mp, char *err);
void engine_close(struct engine *e); /* frees the context, then the model; accepts NULL */
void engine_model_info(const struct engine *e, struct engine_model_info *mi);

/* Collect an importance matrix (llama-imatrix's statistics: per layer weight and expert,
 * and output.weight too when output, the sums of the squared input columns and the rows
 * seen) into im from every decode of
 * the contexts created from now on (call before engine_ctx_create); _end stops, -1 with
 * err when a value was not finite or a shape changed. */
void engine_imatrix_begin(struct engine *e, struct imatrix *im, bool output);
int engine_imatrix_end(struct engine *e, char *err);

/* Create the (single) context, replacing an earlier one. */
int engine_ctx_create(struct engine *e, const struct engine_ctx_params *cp, char *err);
void engine_ctx_free(struct engine *e);
void engine_set_threads(struct engine *e, int n_threads, int n_threads_batch);

/* Decode n tokens of sequence 0 continuing its positions (no logits kept but the last). */
int engine_decode(struct engine *e, const int32_t *tokens, int n, char *err);
/* One token of a multi-sequence batch */
struct engine_tok {
    int32_t token; /* token id */
    int32_t pos;   /* position in its sequence */
    int32_t seq;   /* sequence id, < n_seq_max */
    bool logits;   /* compute logits for it */
};

/* Decode a batch of explicitly placed tokens (split into n_batch chunks by the caller). */
int engine_decode_tokens(struct engine *e, const struct engine_tok *t, int n, char *err);
/* Logits of the i-th token of the last decoded batch (it must have asked for them); the
 * rows of a batch's outputs follow each other in batch order. NULL with err if absent. */
const float *engine_logits(struct engine *e, int i, char *err);
/* Tokenize text as llama.cpp's tools do (add_special: BOS where the vocabulary adds it;
 * special tokens not parsed). *out is the caller's (free()); -1 with err. */
int engine_tokenize(const struct engine *e, const char *text, size_t len, bool add_special,
                    int32_t **out, int *n, char *err);
/* The text of n tokens (special tokens give none; the leading space a vocabulary adds
 * removed, so engine_tokenize with add_special gives them back after BOS). *out is the
 * caller's, NUL-terminated; -1 with err (an id outside the vocabulary). */
int engine_detokenize(const struct engine *e, const int32_t *tokens, int n, char **out, size_t *len,
                      char *err);

/* ---- generation (measure/prompts.c) ---- */

/* One message of a chat; both strings borrowed */
struct engine_chat_msg {
    const char *role;    /* "system", "user" or "assistant" */
    const char *content; /* its text */
};

/* The template engine_chat_apply used */
enum engine_chat_tmpl {
    ENGINE_CHAT_MODEL = 0,              /* the model's own (GGUF tokenizer.chat_template) */
    ENGINE_CHAT_CHATML_NONE = 1,        /* llama.cpp's "chatml": the GGUF has no template */
    ENGINE_CHAT_CHATML_UNSUPPORTED = 2, /* "chatml": llama.cpp's C API (which has no jinja
                                         * engine) does not know the model's template */
};
/* "model", "chatml-none", "chatml-unsupported" (static) */
const char *engine_chat_tmpl_name(enum engine_chat_tmpl t);

/* The chat msgs[0..n) as the model's chat template writes it, with the assistant's turn
 * opened (llama_chat_apply_template, add_ass); when the model has no template, or one
 * llama.cpp's built-in list does not recognize, llama.cpp's "chatml" (what llama-server
 * falls back to), *used saying which. *out is the caller's (free()); -1 with err. */
int engine_chat_apply(const struct engine *e, const struct engine_chat_msg *msgs, int n, char **out,
                      enum engine_chat_tmpl *used, char *err);
/* Tokenize a templated chat as llama-server does: BOS where the vocabulary adds it, and
 * the special tokens the template wrote as text (<|im_start|>) parsed into their ids; a
 * BOS the template wrote itself is not doubled. *out is the caller's (free()); -1 with
 * err. */
int engine_tokenize_chat(const struct engine *e, const char *text, size_t len, int32_t **out,
                         int *n, char *err);
/* Whether tok ends a generation (EOS, EOT, ...: llama_vocab_is_eog) */
bool engine_token_is_eog(const struct engine *e, int32_t tok);
/* The text of one token as llama-server streams it (special tokens rendered as nothing);
 * *len its bytes (not NUL-terminated). The buffer is the engine's, valid until the next
 * call; NULL with err for an id outside the vocabulary. */
const char *engine_token_piece(struct engine *e, int32_t tok, size_t *len, char *err);

/* How to pick each token: greedy when temp <= 0 (argmax: reproducible), else llama.cpp's
 * chain top-k -> top-p -> temperature -> a draw seeded with seed (llama-server's order,
 * without its min-p, typical-p, penalties and DRY: they are off here) */
struct engine_sampler_params {
    double temp;   /* temperature; <= 0: greedy */
    int top_k;     /* keep the k most probable; <= 0: all */
    double top_p;  /* keep the smallest set of probability >= top_p; >= 1: all */
    uint64_t seed; /* the draw's seed (its low 32 bits; 0xffffffff means a random one in
                    * llama.cpp, so it is not reproducible) */
};
/* greedy; top_k 40, top_p 0.95 (llama-server's, for a temp > 0), seed 1 */
struct engine_sampler_params engine_sampler_params_default(void);

struct engine_sampler;
/* A sampler for e's vocabulary (the model's suppressed tokens, GGUF
 * tokenizer.ggml.suppress_tokens, never drawn, as llama-server); free with
 * engine_sampler_free (accepts NULL). NULL with err. */
struct engine_sampler *engine_sampler_new(const struct engine *e,
                                          const struct engine_sampler_params *sp, char *err);
void engine_sampler_free(struct engine_sampler *s);
/* The next token from the logits of the last token of the last decode (which waits for
 * them), accepted into the sampler's state; -1 with err when there are none. */
int engine_sampler_sample(struct engine_sampler *s, struct engine *e, int32_t *tok, char *err);

/* Remove positions [p0, p1) of sequence seq (p1 < 0: to the end); -1 with err if refused. */
int engine_seq_rm(struct engine *e, int seq, int p0, int p1, char *err);
/* Copy sequence src's cells to dst (all positions). */
void engine_seq_cp(struct engine *e, int src, int dst);

/* Wait for queued work to finish. */
void engine_synchronize(struct engine *e);
/* Drop all KV cache / memory contents. */
void engine_memory_clear(struct engine *e);

/* Snapshot sequence seq into a new buffer (*buf is the caller's, free()); restore it. */
int engine_seq_save(struct engine *e, int seq, void **buf, size_t *n, char *err);
int engine_seq_restore(struct engine *e, int seq, const void *buf, size_t n, char *err);
/* Make the next tokens of sequence seq (empty before) run at depth n without decoding n
 * tokens: n cells (positions 0..n-1) written with zero keys and values in llama.cpp's
 * sequence state layout (learnt from the state of one decoded token) and restored, then
 * all but the top one (position n-1) emptied again. The next decode (positions n..) runs
 * the graph of depth n (n_kv, the mask and every buffer as after n decoded tokens, the
 * cache's pages written) while attention skips the empty, masked cells. The zeros are
 * read from untouched anonymous pages (the kernel's zero page), so the host's RSS gains
 * nothing beyond the cache's own pages. 0; -1 with err when the memory's state is not a
 * plain KV cache's (recurrent, hybrid or SWA memory): the caller decodes instead. */
int engine_seq_occupy(struct engine *e, int seq, int n, char *err);

/* Memory as llama.cpp accounted it, per buffer type (CPU, CPU_Mapped, CPU_REPACK,
 * CUDA0, CUDA_Host, ...). In a dry run (no_alloc) the sizes are what it would allocate. */
#define ENGINE_MAX_BUFS 16
struct engine_mem_buf {
    char buft[32];    /* buffer type name */
    char dev[32];     /* its device ("CPU", "CUDA0") */
    bool host;        /* host memory (incl. pinned and mapped) */
    uint64_t model;   /* weights */
    uint64_t context; /* KV cache / recurrent state */
    uint64_t compute; /* the scheduler's compute buffer */
    uint64_t output;  /* logits/embeddings output buffer */
};
struct engine_mem {
    int n;
    struct engine_mem_buf b[ENGINE_MAX_BUFS];
    bool exact; /* bytes from llama.cpp's breakdown; false: its log lines (MiB, 2 decimals) */
};
/* Memory of the loaded model and its context (zero for a part not created yet). */
int engine_memory(const struct engine *e, struct engine_mem *m, char *err);

/* Free/total memory of each device as ggml reports it (the CPU reports free = total). */
struct engine_dev_mem {
    char name[32];  /* "CPU", "CUDA0" */
    char desc[128]; /* e.g. "NVIDIA H100 80GB HBM3" */
    bool gpu;       /* a GPU or other accelerator */
    uint64_t free, total;
};
int engine_devices_memory(struct engine_dev_mem *d, int max);

/* What the estimator needs to know of this host: GPUs, and whether the CPU backend
 * repacks Q4_0/Q4_K/IQ4_NL/MXFP4 (AVX2) and Q2_K (AVX-512) weights. */
void engine_host_caps(int *n_gpus, bool *repack, bool *repack_avx512);

/* Quantize a GGUF with llama.cpp's quantizer to a llama file type id, with an importance
 * matrix when im is not NULL (its values as llama-quantize derives them, and its file,
 * dataset, entry and chunk counts recorded under quantize.imatrix.*, as llama-quantize). */
int engine_quantize(const char *in, const char *out, int ftype, int n_threads,
                    const struct imatrix *im, const char *im_path, char *err);

/* Compare gguf/types.c with the linked ggml; -1 with err naming the first mismatch. */
int engine_check_types(char *err);

#endif
