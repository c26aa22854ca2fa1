/* The field tables (see fields.h). */
#include "fields.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../engine/engine.h"
#include "../measure/kld.h"
#include "../util/util.h"
#include "params.h"

/* -ctk/-ctv: kept as ggml spells the type */
static int kv_type(const char *flag, const char *v, char *dst, size_t n, char *err)
{
    const char *canon;
    if (flag_kv_type(v, flag, &canon, err) < 0)
        return -1;
    snprintf(dst, n, "%s", canon);
    return 0;
}

/* -ot: patterns that compile; "none" is "" */
static int override_spec(const char *flag, const char *v, char *dst, size_t n, char *err)
{
    (void)flag;
    if (flag_override_spec(v, n, err) < 0)
        return -1;
    snprintf(dst, n, "%s", strcmp(v, "none") ? v : "");
    return 0;
}

/* -C: a hex CPU mask (bit i = CPU i), kept as given */
static int cpu_mask(const char *flag, const char *v, char *dst, size_t n, char *err)
{
    bool mask[512];
    if (parse_cpu_mask(v, mask, 512) < 0)
        return set_err(err, "invalid value '%s' for %s (expected a hex CPU mask like 0xff)", v,
                       flag);
    if (strlen(v) >= n)
        return set_err(err, "value for %s is too long", flag);
    snprintf(dst, n, "%s", v);
    return 0;
}

static const struct field_name split_names[] = {{"none", ENGINE_SPLIT_NONE},
                                                {"layer", ENGINE_SPLIT_LAYER},
                                                {"row", ENGINE_SPLIT_ROW},
                                                {"tensor", ENGINE_SPLIT_TENSOR},
                                                {NULL, 0}};
static const struct field_name fa_names[] = {{"on", 1}, {"off", 0}, {"auto", -1}, {"1", 1},
                                             {"0", 0},  {"-1", -1}, {NULL, 0}};
static const struct field_name load_names[] = {{"auto", -1}, {"mmap", 1}, {"none", 0}, {NULL, 0}};

#define LOAD(m)                                                                                    \
    FIELD_PART_LOAD, offsetof(struct engine_model_params, m),                                      \
        sizeof(((struct engine_model_params *)0)->m)
#define CTX(m)                                                                                     \
    FIELD_PART_CTX, offsetof(struct engine_ctx_params, m),                                         \
        sizeof(((struct engine_ctx_params *)0)->m)
#define ALL  (FIELD_USE_WIRE | FIELD_USE_ROW | FIELD_USE_FLAG)
#define WIRE FIELD_USE_WIRE
#define BIG  (1 << 30)
#define FBIG (1 << 24) /* what a flag takes; tests add up past it (bench: pp + tg + depth) */
#define NGL  100000

/* clang-format off */
const struct field fields_settings[] = {
    {"n_ctx", "-c", "--ctx-size", FIELD_U32, CTX(n_ctx), "tokens", 1, BIG, FBIG, NULL, NULL,
     NULL, "N", "4096", "context size in tokens", ALL},
    {"n_batch", "-b", "--batch-size", FIELD_U32, CTX(n_batch), "tokens", 1, BIG, FBIG, NULL,
     NULL, NULL, "N", "2048", "logical batch", ALL},
    {"n_ubatch", "-ub", "--ubatch-size", FIELD_U32, CTX(n_ubatch), "tokens", 1, BIG, FBIG, NULL,
     NULL, NULL, "N", "512", "physical batch", ALL},
    {"n_threads", "-t", "--threads", FIELD_INT, CTX(n_threads), "", 1, 4096, 0, NULL, NULL, NULL,
     "N", "number of online CPUs", "threads", ALL},
    {"n_gpu_layers", "-ngl", "--n-gpu-layers", FIELD_INT, LOAD(n_gpu_layers), "layers", -1,
     1 << 20, NGL, NULL, NULL, NULL, "N", "-1", "layers on the GPU, -1 or 99 = all", ALL},
    {"n_cpu_moe", "-ncmoe", "--n-cpu-moe", FIELD_INT, LOAD(n_cpu_moe), "layers", 0, 1 << 20, NGL,
     NULL, NULL, NULL, "N", "0", "experts of the first N layers on the CPU", ALL},
    {"tensor_buft_overrides", "-ot", "--override-tensor", FIELD_STR, LOAD(overrides), "", 0, 0, 0,
     NULL, "none", override_spec, "P=B;...", "none",
     "tensors matching regex P go to buffer type B", ALL},
    {"flash_attn", "-fa", "--flash-attn", FIELD_INT, CTX(flash_attn), "", -1, 1, 0, fa_names,
     NULL, NULL, "X", "auto", "on, off or auto", ALL},
    {"type_k", "-ctk", "--cache-type-k", FIELD_STR, CTX(type_k), "", 0, 0, 0, NULL, NULL, kv_type,
     "T", "f16", "K cache type (f16, q8_0, ...)", ALL},
    {"type_v", "-ctv", "--cache-type-v", FIELD_STR, CTX(type_v), "", 0, 0, 0, NULL, NULL, kv_type,
     "T", "f16", "V cache type", ALL},
    {"no_kv_offload", "-nkvo", "--no-kv-offload", FIELD_BOOL, CTX(no_kv_offload), "", 0, 1, 0,
     NULL, NULL, NULL, "0|1", "0", "keep the KV cache in host memory", ALL},
    {"split_mode", "-sm", "--split-mode", FIELD_ENUM, LOAD(split_mode), "", 0, 3, 0, split_names,
     NULL, NULL, "M", "layer", "none, layer, row or tensor", ALL},
    {"main_gpu", "-mg", "--main-gpu", FIELD_INT, LOAD(main_gpu), "", 0, ENGINE_MAX_DEVICES - 1, 0,
     NULL, NULL, NULL, "I", "0", "GPU for split mode none", ALL},
    {"tensor_split", "-ts", "--tensor-split", FIELD_FLOATS, LOAD(tensor_split), "", 0, 0, 0, NULL,
     NULL, NULL, "A/B/..", "0", "proportions per GPU", ALL},
    {"devices", "-dev", "--device", FIELD_STR, LOAD(devices), "", 0, 0, 0, NULL, "auto", NULL,
     "D0/D1/..", "auto", "devices to offload to, none, or auto", ALL},
    {"use_mmap", "-lm", "--load-mode", FIELD_INT, LOAD(use_mmap), "", -1, 1, 0, load_names, NULL,
     NULL, "M", "auto", "auto, mmap or none", WIRE | FIELD_USE_FLAG},
    {"no_alloc", NULL, NULL, FIELD_BOOL, LOAD(no_alloc), "", 0, 1, 0, NULL, NULL, NULL,
     "0|1", "0", "plan every buffer, allocate none", WIRE},
    {"n_seq_max", NULL, NULL, FIELD_U32, CTX(n_seq_max), "sequences", 1, 4096, 0, NULL,
     NULL, NULL, "N", "1", "parallel sequences", WIRE},
    {"poll", NULL, "--poll", FIELD_INT, CTX(poll), "%", -1, 100, 0, NULL, NULL, NULL, "N", "50",
     "threadpool polling level", WIRE},
    {"cpu_mask", "-C", "--cpu-mask", FIELD_STR, CTX(cpu_mask), "", 0, 0, 0, NULL, NULL, cpu_mask,
     "MASK", "0x0", "hex CPU affinity mask", WIRE},
    {"cpu_strict", NULL, "--cpu-strict", FIELD_BOOL, CTX(cpu_strict), "", 0, 1, 0, NULL, NULL,
     NULL, "0|1", "0", "place threads strictly on the mask's CPUs", WIRE},
    {"prio", NULL, "--prio", FIELD_INT, CTX(prio), "", -1, 3, 0, NULL, NULL, NULL, "N", "0",
     "thread priority -1..3", WIRE},
    {"kv_unified", "-kvu", "--kv-unified", FIELD_BOOL, CTX(kv_unified), "", 0, 1, 0, NULL, NULL,
     NULL, "0|1", "0", "one KV stream for all sequences", WIRE},
};
/* clang-format on */
const size_t fields_n_settings = QB_ARRAY_LEN(fields_settings);

void row_settings_json(const struct engine_model_params *mp, const struct engine_ctx_params *cp,
                       int reps, uint64_t seed, cJSON *row)
{
    const void *parts[FIELD_N_PARTS] = {mp, cp};
    field_write(fields_settings, fields_n_settings, FIELD_USE_ROW, parts, FIELD_FORM_ROW, row);
    cJSON_AddNumberToObject(row, "reps", reps);
    cJSON_AddNumberToObject(row, "seed", (double)seed);
}

/* ---- a test's parameters, for the worker protocol ---- */

#define WORK(m) FIELD_PART_WORK, offsetof(struct work_test, m), sizeof(((struct work_test *)0)->m)
#define REPS    (1 << 20)
#define W(key, type, m, lo, hi, names, help)                                                       \
    {                                                                                              \
        key, NULL, NULL, type, WORK(m), "", lo, hi, 0, names, NULL, NULL, "", "", help, WIRE       \
    }

static const struct field_name kind_names[] = {{"pp_tg", WORK_PP_TG},
                                               {"sweep", WORK_SWEEP},
                                               {"batched", WORK_BATCHED},
                                               {"probe", WORK_PROBE},
                                               {"ppl", WORK_PPL},
                                               {"prompts", WORK_PROMPTS},
                                               {NULL, 0}};
static const struct field_name ppl_mode_names[] = {{"plain", WORK_PPL_PLAIN},
                                                   {"save_base", WORK_PPL_SAVE_BASE},
                                                   {"kld", WORK_PPL_KLD},
                                                   {"imatrix", WORK_PPL_IMATRIX},
                                                   {NULL, 0}};

/* clang-format off */
static const struct field work_fields[] = {
    W("id", FIELD_INT, id, 0, BIG, NULL, "echoed back in the result"),
    W("kind", FIELD_ENUM, kind, 0, WORK_PROMPTS, kind_names, "the measurement"),
    W("n_prompt", FIELD_INT, pt.n_prompt, 0, BIG, NULL, "prompt tokens"),
    W("n_gen", FIELD_INT, pt.n_gen, 0, BIG, NULL, "generated tokens"),
    W("n_depth", FIELD_INT, pt.n_depth, 0, BIG, NULL, "tokens already in the cache"),
    W("reps", FIELD_INT, pt.reps, 1, REPS, NULL, "timed repetitions (auto: the most)"),
    W("auto_reps", FIELD_BOOL, pt.auto_reps, 0, 1, NULL, "repeat until the CI target"),
    W("min_reps", FIELD_INT, pt.min_reps, 0, REPS, NULL, "auto: fewest repetitions"),
    W("rel_ci", FIELD_DOUBLE, pt.rel_ci, 0, 1e9, NULL, "auto: CI half-width / mean target"),
    W("max_time_s", FIELD_DOUBLE, pt.max_time_s, 0, 1e9, NULL, "auto: seconds of repetitions"),
    W("no_warmup", FIELD_BOOL, pt.no_warmup, 0, 1, NULL, "skip the warm-up"),
    W("seed", FIELD_U64, pt.seed, 0, 9007199254740991.0, NULL, "random-token seed"),
    W("delay_s", FIELD_DOUBLE, delay_s, 0, 1e9, NULL, "sleep before the test"),
};
static const struct field sweep_fields[] = {
    W("n_ctx", FIELD_INT, sw.n_ctx, 1, BIG, NULL, "context cells"),
    W("n_ubatch", FIELD_INT, sw.n_ubatch, 1, BIG, NULL, "depth step and prompt per depth"),
    W("n_gen", FIELD_INT, sw.n_gen, 0, BIG, NULL, "generated tokens per depth"),
    W("reps", FIELD_INT, sw.reps, 1, REPS, NULL, "repetitions per depth"),
    W("stride", FIELD_INT, sw.stride, 1, BIG, NULL, "time every k-th depth"),
};
static const struct field batched_fields[] = {
    W("pp", FIELD_INT, bt.pp, 1, BIG, NULL, "prompt tokens per sequence"),
    W("tg", FIELD_INT, bt.tg, 1, BIG, NULL, "generation steps"),
    W("pl", FIELD_INT, bt.pl, 1, 4096, NULL, "parallel sequences"),
    W("shared", FIELD_BOOL, bt.shared, 0, 1, NULL, "one prompt for every sequence"),
    W("reps", FIELD_INT, bt.reps, 1, REPS, NULL, "repetitions"),
};
static const struct field probe_fields[] = {
    W("fill", FIELD_BOOL, probe_fill, 0, 1, NULL, "decode up to n_ctx"),
    W("occupy", FIELD_BOOL, probe_occupy, 0, 1, NULL, "occupy the cells below the last ubatch"),
};
static const struct field ppl_fields[] = {
    W("text", FIELD_STR, text_path, 0, 0, NULL, "the text file"),
    W("n_ctx", FIELD_INT, pl.n_ctx, 1, BIG, NULL, "chunk size"),
    W("n_batch", FIELD_INT, pl.n_batch, 1, BIG, NULL, "batch"),
    W("n_chunks", FIELD_INT, pl.n_chunks, -1, BIG, NULL, "chunks (-1 all)"),
    W("mode", FIELD_ENUM, ppl_mode, 0, WORK_PPL_IMATRIX, ppl_mode_names, "besides the PPL"),
    W("base", FIELD_STR, base_path, 0, 0, NULL, "base log-probabilities / imatrix file"),
    W("topk", FIELD_INT, topk, 0, KLD_TOPK_MAX, NULL, "compact base: top-k (0 full)"),
    W("imx_output", FIELD_BOOL, imx_output, 0, 1, NULL, "imatrix: output.weight too"),
};
#define FLAG FIELD_USE_FLAG
static const struct field prompts_fields[] = {
    {"max_tokens", NULL, "--max-tokens", FIELD_INT, WORK(gen.max_tokens), "tokens", 1, BIG, FBIG,
     NULL, NULL, NULL, "N", "256", "tokens to generate at most", WIRE | FLAG},
    {"temp", NULL, "--temp", FIELD_DOUBLE, WORK(gen.sp.temp), "", 0, 100, 0, NULL, NULL, NULL,
     "T", "0", "temperature; 0: greedy (the most probable token)", WIRE | FLAG},
    {"top_k", NULL, "--top-k", FIELD_INT, WORK(gen.sp.top_k), "", 0, BIG, FBIG, NULL, NULL, NULL,
     "K", "40", "with --temp: draw from the K most probable (0: all)", WIRE | FLAG},
    {"top_p", NULL, "--top-p", FIELD_DOUBLE, WORK(gen.sp.top_p), "", 0, 1, 0, NULL, NULL, NULL,
     "P", "0.95", "with --temp: from the fewest tokens of probability P (1: all)", WIRE | FLAG},
    W("seed", FIELD_U64, gen.sp.seed, 0, 9007199254740991.0, NULL, "the draw's seed"),
    {"stop", NULL, "--stop", FIELD_STRS, WORK(gen.stop), "", 0, PROMPTS_MAX_STOP, 0, NULL, NULL,
     NULL, "S", "none", "end the answer at S (up to 4, given one by one)", WIRE | FLAG},
    {"system", NULL, "--system", FIELD_STRP, WORK(system), "", 0, 0, 0, NULL, NULL, NULL, "TEXT",
     "none", "the system prompt (a prompt's own wins)", WIRE | FLAG},
    W("prompt", FIELD_STRP, prompt, 0, 0, NULL, "the user's prompt"),
};
#undef FLAG
/* clang-format on */

const struct field_table fields_work = {"", work_fields, QB_ARRAY_LEN(work_fields)};
const struct field_table fields_sweep = {"sweep", sweep_fields, QB_ARRAY_LEN(sweep_fields)};
const struct field_table fields_batched = {"batched", batched_fields, QB_ARRAY_LEN(batched_fields)};
const struct field_table fields_probe = {"probe", probe_fields, QB_ARRAY_LEN(probe_fields)};
const struct field_table fields_ppl = {"ppl", ppl_fields, QB_ARRAY_LEN(ppl_fields)};
const struct field_table fields_prompts = {"prompts", prompts_fields, QB_ARRAY_LEN(prompts_fields)};
