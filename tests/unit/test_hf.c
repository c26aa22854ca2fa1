/* net/hf.c's pure parts: the tree listing parser, the quant tag of a file name and the
 * selection of a quant's files (llama.cpp's -hf rule), split parts included. */
#include <stdlib.h>
#include <string.h>

#include "../../src/net/hf.h"
#include "test.h"

#define SHA_A "a21af324e180331e17cb4d92844fea760f55358b9fd62bea1612b767c4cd13b4"

static const char listing[] =
    "[{\"type\":\"file\",\"oid\":\"45b9\",\"size\":3,\"path\":\"README.md\"},"
    "{\"type\":\"directory\",\"oid\":\"5d85\",\"size\":0,\"path\":\"sub\"},"
    "{\"type\":\"file\",\"size\":134,\"path\":\"m-Q4_K_M.gguf\",\"lfs\":{\"oid\":\"" SHA_A
    "\",\"size\":3000000000,\"pointerSize\":134}},"
    "{\"type\":\"file\",\"size\":134,\"path\":\"mmproj-m-Q4_K_M.gguf\",\"lfs\":{\"oid\":\"" SHA_A
    "\",\"size\":5}},"
    "{\"type\":\"file\",\"size\":134,\"path\":\"sub/"
    "big.Q2_K-00002-of-00002.gguf\",\"lfs\":{\"oid\":"
    "\"" SHA_A "\",\"size\":7}},"
    "{\"type\":\"file\",\"size\":134,\"path\":\"sub/"
    "big.Q2_K-00001-of-00002.gguf\",\"lfs\":{\"oid\":"
    "\"" SHA_A "\",\"size\":6}},"
    "{\"type\":\"file\",\"size\":9,\"path\":\"../evil.gguf\"},"
    "{\"type\":\"file\",\"size\":9,\"path\":\"/abs-Q8_0.gguf\"},"
    "{\"type\":\"file\",\"size\":134,\"path\":\"badoid-Q8_0.gguf\",\"lfs\":{\"oid\":\"xyz\"}},"
    "{\"type\":\"file\",\"size\":134,\"path\":\"m-Q8_0.gguf\",\"lfs\":{\"oid\":\"" SHA_A
    "\",\"size\":1000}}]";

void test_hf_listing(void)
{
    char err[QB_ERR_LEN];
    struct hf_files fs = {0}, out = {0};
    CHECK(hf_tree_parse(listing, strlen(listing), &fs, err) == 0);
    /* README, the gguf files with a safe path and a good oid; no directory */
    CHECK(fs.n == 6);
    CHECK_STR(fs.v[1].path, "m-Q4_K_M.gguf");
    CHECK(fs.v[1].size == 3000000000ull);
    CHECK_STR(fs.v[1].sha256, SHA_A);
    CHECK(fs.v[0].sha256[0] == '\0' && fs.v[0].size == 3);
    CHECK(hf_tree_parse("{}", 2, &fs, err) < 0);
    CHECK(hf_tree_parse("[1,", 3, &fs, err) < 0);

    CHECK(hf_select(&fs, NULL, &out, err) == 0); /* default: Q4_K_M, not the projector */
    CHECK(out.n == 1 && !strcmp(out.v[0].path, "m-Q4_K_M.gguf"));
    hf_files_free(&out);
    CHECK(hf_select(&fs, "q8_0", &out, err) == 0);
    CHECK(out.n == 1 && !strcmp(out.v[0].path, "m-Q8_0.gguf"));
    hf_files_free(&out);
    CHECK(hf_select(&fs, "Q2_K", &out, err) == 0); /* both parts, in order */
    CHECK(out.n == 2 && !strcmp(out.v[0].path, "sub/big.Q2_K-00001-of-00002.gguf") &&
          !strcmp(out.v[1].path, "sub/big.Q2_K-00002-of-00002.gguf") && out.v[1].size == 7);
    hf_files_free(&out);
    CHECK(hf_select(&fs, "IQ1_S", &out, err) < 0);
    CHECK_STR(err, "no GGUF file matches the quant 'IQ1_S'; quants available: Q4_K_M, Q2_K, Q8_0");
    /* a split file with a part missing */
    free(fs.v[3].path);
    free(fs.v[4].path);
    fs.v[3].path = strdup("sub/big.Q2_K-00002-of-00003.gguf");
    fs.v[4].path = strdup("sub/big.Q2_K-00001-of-00003.gguf");
    CHECK(hf_select(&fs, "Q2_K", &out, err) < 0);
    CHECK_STR(err, "'sub/big.Q2_K-00001-of-00003.gguf': part 3 of 3 is not in the repository");
    hf_files_free(&fs);
}

void test_hf_tag(void)
{
    char tag[64];
    int i, n;
    hf_gguf_tag("Llama-3-8B-Instruct-q4_k_m.gguf", tag, &i, &n);
    CHECK_STR(tag, "Q4_K_M");
    CHECK(i == 1 && n == 1);
    hf_gguf_tag("UD-Q2_K_XL/DeepSeek-R1-UD-Q2_K_XL-00002-of-00005.gguf", tag, &i, &n);
    CHECK_STR(tag, "Q2_K_XL");
    CHECK(i == 2 && n == 5);
    hf_gguf_tag("model.F16.gguf", tag, &i, &n);
    CHECK_STR(tag, "F16");
    hf_gguf_tag("model.gguf", tag, &i, &n);
    CHECK_STR(tag, "");
    hf_gguf_tag("-00001-of-00002.gguf", tag, &i, &n);
    CHECK(i == 1 && n == 1);
}
