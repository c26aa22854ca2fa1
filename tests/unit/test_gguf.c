/* gguf reader and writer */
#include <stdlib.h>
#include <unistd.h>

#include "../../src/gguf/gguf.h"
#include "../../src/util/util.h"
#include "test.h"

static int fill_seq(void *ud, size_t idx, void *buf, uint64_t n)
{
    (void)ud;
    for (uint64_t i = 0; i < n; i++)
        ((unsigned char *)buf)[i] = (unsigned char)(idx + i);
    return 0;
}

static char *write_tmp(void)
{
    char err[QB_ERR_LEN];
    char *path = xasprintf("/tmp/qb-unit-%ld.gguf", (long)getpid());
    struct gf_writer *w = gf_writer_new();
    gf_writer_set_str(w, "general.architecture", "llama");
    gf_writer_set_u32(w, "llama.block_count", 7);
    gf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f);
    gf_writer_set_bool(w, "x.flag", true);
    gf_writer_set_u32(w, "llama.block_count", 3); /* replaces */
    struct gf_str toks[2] = {{1, (char *)"a"}, {2, (char *)"bc"}};
    struct gf_value arr = {.type = GF_VT_ARRAY};
    arr.v.arr.type = GF_VT_STRING;
    arr.v.arr.n = 2;
    arr.v.arr.data = toks;
    gf_writer_set(w, "tokenizer.ggml.tokens", &arr);
    int64_t ne[2] = {64, 3};
    gf_writer_add_tensor(w, "a.weight", 0, ne, 2); /* f32: 768 bytes */
    gf_writer_add_tensor(w, "b.weight", 8, ne, 2); /* q8_0: 2 blocks x 34 x 3 rows */
    CHECK(gf_writer_write(w, path, fill_seq, NULL, err) == 0);
    gf_writer_free(w);
    return path;
}

void test_gguf_roundtrip(void)
{
    char err[QB_ERR_LEN];
    char *path = write_tmp();
    struct gf_file *f = NULL;
    CHECK(gf_read_file(path, &f, err) == 0);
    if (f) {
        CHECK(f->version == 3);
        CHECK(f->n_kv == 5);
        CHECK_STR(gf_get_str(f, "general.architecture"), "llama");
        CHECK(gf_get_int(f, "llama.block_count", 0) == 3);
        CHECK_NEAR(gf_get_float(f, "llama.rope.freq_base", 0), 10000.0, 1e-6);
        CHECK(gf_get_int(f, "x.flag", 0) == 1);
        CHECK(gf_get_arr_n(f, "tokenizer.ggml.tokens") == 2);
        CHECK(f->n_tensors == 2);
        CHECK_STR(f->tensors[1].name, "b.weight");
        CHECK(f->tensors[0].n_bytes == 768);
        CHECK(f->tensors[1].n_bytes == 2 * 34 * 3);
        CHECK(f->tensors[1].offset == 768);
        CHECK(f->data_offset % 32 == 0);
        CHECK(f->file_size == f->data_offset + 768 + 224);
    }
    /* header only, as mem reads it over HTTP: a cut start asks for more (GF_NEED_MORE and
     * the bytes it wants), the header alone parses with the tensor data absent */
    if (f) {
        size_t hdr = (size_t)f->data_offset, total = (size_t)f->file_size, have = 10;
        unsigned char *b = xmalloc(total);
        FILE *hp = fopen(path, "rb");
        CHECK(hp && fread(b, 1, total, hp) == total);
        if (hp)
            fclose(hp);
        struct gf_file *h = NULL;
        uint64_t need = 0;
        int rounds = 0, rc;
        while ((rc = gf_read_header_mem(b, have, total, "h", &h, &need, err)) == GF_NEED_MORE) {
            CHECK(need > have);
            have = need < total ? (size_t)need : total;
            rounds++;
        }
        CHECK(rc == 0 && rounds > 0 && have <= hdr);
        CHECK(h && h->n_tensors == 2 && !h->data_absent && h->file_size == total);
        gf_free(h);
        h = NULL;
        CHECK(gf_read_header_mem(b, hdr, hdr, "h", &h, &need, err) == 0 && need == 0);
        CHECK(h && h->data_absent && h->data_offset == hdr);
        gf_free(h);
        h = NULL;
        CHECK(gf_read_header_mem(b, hdr - 4, hdr - 4, "h", &h, &need, err) == -1);
        CHECK(strstr(err, "truncated GGUF") != NULL);
        CHECK(gf_read_mem(b, hdr, "h", &h, err) < 0); /* the strict reader stays strict */
        free(b);
    }
    gf_free(f);
    /* a truncated copy is reported as truncated */
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL);
    if (fp) {
        CHECK(ftruncate(fileno(fp), 300) == 0);
        fclose(fp);
    }
    CHECK(gf_read_file(path, &f, err) < 0);
    CHECK(strstr(err, "truncated GGUF") != NULL);
    CHECK(strstr(err, path) != NULL);
    unlink(path);
    free(path);
}

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

void test_gguf_corrupt(void)
{
    char err[QB_ERR_LEN];
    struct gf_file *f = NULL;
    unsigned char b[64];
    memset(b, 0, sizeof(b));
    CHECK(gf_read_mem(b, 0, "e", &f, err) < 0);
    CHECK_STR(err, "'e': empty file, not a GGUF model");
    CHECK(gf_read_mem("hello world, this is text", 25, "t", &f, err) < 0);
    CHECK_STR(err, "'t': not a GGUF file (bad magic)");
    memcpy(b, "GGUF", 4);
    put32(b + 4, 3);
    put64(b + 8, 1ull << 40); /* tensors */
    put64(b + 16, 0);
    CHECK(gf_read_mem(b, 24, "big", &f, err) < 0);
    CHECK_STR(err, "'big': truncated or corrupt GGUF: header claims 1099511627776 tensors, "
                   "more than the 0 bytes that follow can hold");
    put64(b + 8, 0);
    put64(b + 16, 1ull << 40); /* kvs */
    CHECK(gf_read_mem(b, 24, "kv", &f, err) < 0);
    CHECK(strstr(err, "key/value pairs") != NULL);
    put32(b + 4, 99);
    CHECK(gf_read_mem(b, 24, "v", &f, err) < 0);
    CHECK_STR(err, "'v': unsupported GGUF version 99");
    /* a key whose string length is huge */
    put32(b + 4, 3);
    put64(b + 16, 1);
    put64(b + 24, 1ull << 50);
    CHECK(gf_read_mem(b, 40, "s", &f, err) < 0);
    CHECK(strstr(err, "claims") != NULL);
    /* header cut inside the counts */
    CHECK(gf_read_mem(b, 10, "cut", &f, err) < 0);
    CHECK(strstr(err, "truncated GGUF") != NULL);
    /* an array claiming 2^60 elements */
    put64(b + 24, 1);
    b[32] = 'k';
    put32(b + 33, GF_VT_ARRAY);
    put32(b + 37, GF_VT_UINT32);
    put64(b + 41, 1ull << 60);
    CHECK(gf_read_mem(b, 49, "arr", &f, err) < 0);
    CHECK(strstr(err, "array elements") != NULL);
    /* a key twice (llama.cpp refuses it); keys that differ after a NUL are two keys */
    unsigned char d[128];
    size_t n = 0;
    memcpy(d, "GGUF", 4);
    put32(d + 4, 3);
    put64(d + 8, 0);
    put64(d + 16, 3);
    n = 24;
    const char *keys[3] = {"k\0a", "k\0b", "k\0a"};
    for (int i = 0; i < 3; i++) {
        put64(d + n, 3);
        memcpy(d + n + 8, keys[i], 3);
        put32(d + n + 11, GF_VT_UINT8);
        d[n + 15] = (unsigned char)i;
        n += 16;
    }
    CHECK(gf_read_mem(d, n, "dup", &f, err) < 0);
    CHECK_STR(err, "'dup': corrupt GGUF: duplicate key 'k'");
    put64(d + 16, 2);
    CHECK(gf_read_mem(d, n - 16, "two", &f, err) == 0 && f->n_kv == 2);
    gf_free(f);
    f = NULL;
}

void test_gguf_types(void)
{
    CHECK(ggml_type_by_name("Q4_K") == 12);
    CHECK(ggml_type_by_name("f16") == 1);
    CHECK(ggml_type_by_name("nope") == -1);
    CHECK(ggml_type_info(4) == NULL); /* retired id */
    int64_t ne[2] = {256, 10};
    CHECK(ggml_tensor_nbytes(12, ne, 2) == 1440);
    int64_t bad[1] = {100};
    CHECK(ggml_tensor_nbytes(12, bad, 1) == UINT64_MAX); /* not whole blocks */
    int64_t huge[4] = {1ll << 40, 1ll << 40, 1ll << 40, 1};
    CHECK(ggml_tensor_nbytes(0, huge, 3) == UINT64_MAX); /* overflow */
    CHECK(llama_ftype_by_name("q4_k_m") == 15);
    CHECK_STR(llama_ftype_name_short(15), "Q4_K_M");
    CHECK(llama_ftype_by_name("Q9") == -1);
}

#include "../../src/util/sha256.h"

void test_sha256(void)
{
    struct sha256 s;
    uint8_t d[32];
    char hex[65];
    sha256_init(&s);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_init(&s);
    sha256_update(&s, "abc", 3);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* 56 bytes: the padding spills into a second block; fed in odd pieces */
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_init(&s);
    for (size_t i = 0; i < strlen(m); i += 5)
        sha256_update(&s, m + i, strlen(m) - i < 5 ? strlen(m) - i : 5);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
