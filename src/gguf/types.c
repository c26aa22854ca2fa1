/* Facts about ggml tensor types and llama file types, as numbers and names, so
 * that GGUF files can be read and sized without linking ggml. A hidden check
 * (`quantbench __check-types`) compares this table with the linked ggml. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "gguf.h"

static const struct ggml_type_info types[GGML_TYPE_ID_COUNT] = {
    [0] = {"f32", 1, 4},         [1] = {"f16", 1, 2},         [2] = {"q4_0", 32, 18},
    [3] = {"q4_1", 32, 20},      [6] = {"q5_0", 32, 22},      [7] = {"q5_1", 32, 24},
    [8] = {"q8_0", 32, 34},      [9] = {"q8_1", 32, 36},      [10] = {"q2_K", 256, 84},
    [11] = {"q3_K", 256, 110},   [12] = {"q4_K", 256, 144},   [13] = {"q5_K", 256, 176},
    [14] = {"q6_K", 256, 210},   [15] = {"q8_K", 256, 292},   [16] = {"iq2_xxs", 256, 66},
    [17] = {"iq2_xs", 256, 74},  [18] = {"iq3_xxs", 256, 98}, [19] = {"iq1_s", 256, 50},
    [20] = {"iq4_nl", 32, 18},   [21] = {"iq3_s", 256, 110},  [22] = {"iq2_s", 256, 82},
    [23] = {"iq4_xs", 256, 136}, [24] = {"i8", 1, 1},         [25] = {"i16", 1, 2},
    [26] = {"i32", 1, 4},        [27] = {"i64", 1, 8},        [28] = {"f64", 1, 8},
    [29] = {"iq1_m", 256, 56},   [30] = {"bf16", 1, 2},       [34] = {"tq1_0", 256, 54},
    [35] = {"tq2_0", 256, 66},   [39] = {"mxfp4", 32, 17},    [40] = {"nvfp4", 64, 36},
    [41] = {"q1_0", 128, 18},    [42] = {"q2_0", 64, 18},
};

const struct ggml_type_info *ggml_type_info(uint32_t id)
{
    if (id >= GGML_TYPE_ID_COUNT || !types[id].name)
        return NULL;
    return &types[id];
}

int ggml_type_by_name(const char *name)
{
    for (int i = 0; i < GGML_TYPE_ID_COUNT; i++)
        if (types[i].name && strcasecmp(types[i].name, name) == 0)
            return i;
    return -1;
}

uint64_t ggml_tensor_nbytes(uint32_t type, const int64_t *ne, uint32_t n_dims)
{
    const struct ggml_type_info *t = ggml_type_info(type);
    if (!t || n_dims == 0 || n_dims > GF_MAX_DIMS)
        return UINT64_MAX;
    for (uint32_t d = 0; d < n_dims; d++)
        if (ne[d] < 0)
            return UINT64_MAX;
    if (ne[0] % t->blck)
        return UINT64_MAX;
    uint64_t n = (uint64_t)ne[0] / t->blck * t->size;
    for (uint32_t d = 1; d < n_dims; d++) {
        uint64_t k = (uint64_t)ne[d];
        if (k && n > UINT64_MAX / k)
            return UINT64_MAX;
        n *= k;
    }
    return n;
}

static const struct {
    const char *name;
    int ftype;
} ftypes[] = {
    {"F32", 0},
    {"F16", 1},
    {"Q4_0", 2},
    {"Q4_1", 3},
    {"Q8_0", 7},
    {"Q5_0", 8},
    {"Q5_1", 9},
    {"Q2_K", 10},
    {"Q3_K_S", 11},
    {"Q3_K_M", 12},
    {"Q3_K_L", 13},
    {"Q4_K_S", 14},
    {"Q4_K_M", 15},
    {"Q5_K_S", 16},
    {"Q5_K_M", 17},
    {"Q6_K", 18},
    {"IQ2_XXS", 19},
    {"IQ2_XS", 20},
    {"Q2_K_S", 21},
    {"IQ3_XS", 22},
    {"IQ3_XXS", 23},
    {"IQ1_S", 24},
    {"IQ4_NL", 25},
    {"IQ3_S", 26},
    {"IQ3_M", 27},
    {"IQ2_S", 28},
    {"IQ2_M", 29},
    {"IQ4_XS", 30},
    {"IQ1_M", 31},
    {"BF16", 32},
    {"TQ1_0", 36},
    {"TQ2_0", 37},
    {"MXFP4_MOE", 38},
    {"NVFP4", 39},
    {"Q1_0", 40},
    {"Q2_0", 41},
    /* aliases accepted on input (llama-quantize's) */
    {"Q3_K", 12},
    {"Q4_K", 15},
    {"Q5_K", 17},
};

const char *llama_ftype_name_short(int ftype)
{
    for (size_t i = 0; i < sizeof(ftypes) / sizeof(ftypes[0]); i++)
        if (ftypes[i].ftype == ftype)
            return ftypes[i].name;
    return NULL;
}

int llama_ftype_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(ftypes) / sizeof(ftypes[0]); i++)
        if (strcasecmp(ftypes[i].name, name) == 0)
            return ftypes[i].ftype;
    return -1;
}
