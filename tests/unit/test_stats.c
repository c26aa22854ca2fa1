/* util/stats and util/args */
#include <stdlib.h>

#include "../../src/record/args.h"
#include "../../src/util/stats.h"
#include "../../src/util/util.h"
#include "test.h"

void test_stats_basic(void)
{
    double x[] = {4, 1, 3, 2};
    struct stats s = stats_compute(x, 4);
    CHECK(s.n == 4);
    CHECK_NEAR(s.mean, 2.5, 1e-12);
    CHECK_NEAR(s.median, 2.5, 1e-12);
    CHECK_NEAR(s.min, 1, 0);
    CHECK_NEAR(s.max, 4, 0);
    CHECK_NEAR(s.stddev, 1.2909944487358056, 1e-12); /* sample (n-1) stddev */
    struct stats one = stats_compute(x, 1);
    CHECK(one.stddev == 0 && one.ci95 == 0 && one.median == 4);
    struct stats none = stats_compute(NULL, 0);
    CHECK(none.n == 0 && none.mean == 0);
}

void test_stats_ci(void)
{
    double x[] = {10, 12, 11, 13, 9};
    struct stats s = stats_compute(x, 5);
    /* t(0.975, 4) = 2.776; sd = 1.5811; half-width = 2.776 * 1.5811 / sqrt(5) */
    CHECK_NEAR(s.ci95, 2.776 * 1.5811388300841898 / 2.23606797749979, 1e-9);
    CHECK_NEAR(stats_t975(1), 12.706, 1e-9);
    CHECK_NEAR(stats_t975(1000), 1.96, 1e-9);
}

void test_args_lists(void)
{
    char err[QB_ERR_LEN];
    struct int_list l = {0};
    CHECK(int_list_parse(&l, "-t", "1,2,8", 1, 64, err) == 0);
    CHECK(l.n == 3 && l.v[0] == 1 && l.v[2] == 8);
    CHECK(int_list_parse(&l, "-t", "16", 1, 64, err) == 0); /* repeats append */
    CHECK(l.n == 4 && l.v[3] == 16);
    int_list_release(&l);
    struct int_list neg = {0};
    CHECK(int_list_parse(&neg, "-ngl", "-1,0", -1, 100, err) == 0);
    CHECK(neg.n == 2 && neg.v[0] == -1 && neg.v[1] == 0);
    int_list_release(&neg);
    struct str_list s = {0};
    str_list_split(&s, "a.gguf,,b.gguf", ',');
    CHECK(s.n == 2);
    CHECK_STR(s.v[1], "b.gguf");
    str_list_release(&s);
}

void test_args_ranges(void)
{
    char err[QB_ERR_LEN];
    struct int_list l = {0};
    CHECK(int_list_parse(&l, "-t", "8-32+8", 1, 64, err) == 0);
    CHECK(l.n == 4 && l.v[0] == 8 && l.v[3] == 32);
    int_list_release(&l);
    CHECK(int_list_parse(&l, "-p", "64-512*2", 0, 4096, err) == 0);
    CHECK(l.n == 4 && l.v[0] == 64 && l.v[1] == 128 && l.v[3] == 512);
    int_list_release(&l);
    CHECK(int_list_parse(&l, "-d", "1-3", 0, 4096, err) == 0);
    CHECK(l.n == 3 && l.v[1] == 2);
    int_list_release(&l);
}

void test_args_errors(void)
{
    char err[QB_ERR_LEN];
    struct int_list l = {0};
    CHECK(int_list_parse(&l, "-t", "abc", 1, 64, err) < 0);
    CHECK_STR(err, "invalid value 'abc' for -t (expected an integer in 1..64)");
    CHECK(int_list_parse(&l, "-t", "0", 1, 64, err) < 0);
    CHECK(int_list_parse(&l, "-t", "-5", 1, 64, err) < 0);
    CHECK(int_list_parse(&l, "-t", "8-4", 1, 64, err) < 0);
    CHECK_STR(err, "range '8-4' for -t expands to nothing");
    CHECK(int_list_parse(&l, "-t", "1-8*1", 1, 64, err) < 0);
    CHECK(int_list_parse(&l, "-t", "1,,2", 1, 64, err) < 0);
    CHECK(int_list_parse(&l, "-t", "", 1, 64, err) < 0);
    CHECK(int_list_parse(&l, "-p", "0-2000000000", 0, 2000000000, err) < 0); /* too many */
    CHECK(int_list_parse(&l, "-t", "99999999999999999999", 1, 64, err) < 0);
    int_list_release(&l);
    /* a range is counted before it is expanded; so are repeats of a flag */
    CHECK(int_list_parse(&l, "-p", "1-16777216", 0, 1 << 24, err) < 0);
    CHECK_STR(err, "range '1-16777216' for -p expands to more than 100000 values");
    CHECK(l.n == 0 && l.cap == 0);
    CHECK(int_list_parse(&l, "-p", "1-60000", 0, 1 << 24, err) == 0 && l.n == 60000);
    CHECK(int_list_parse(&l, "-p", "1-60000", 0, 1 << 24, err) < 0);
    CHECK_STR(err, "too many values for -p (at most 100000)");
    CHECK(l.n == 60000);
    int_list_release(&l);
    CHECK(int_list_parse(&l, "-b", "3-1000000*10", 1, 1 << 24, err) == 0 && l.n == 6);
    CHECK(l.v[5] == 300000);
    int_list_release(&l);
    struct str_list sl = {0};
    char *many = xmalloc(2 * 100001);
    for (int i = 0; i < 100001; i++)
        memcpy(many + 2 * i, i < 100000 ? "a," : "a", 2);
    CHECK(str_list_parse(&sl, "-m", many, err) < 0 && sl.n == 0);
    CHECK_STR(err, "too many values for -m (at most 100000)");
    free(many);
    CHECK(str_list_parse(&sl, "-m", "a,b", err) == 0 && sl.n == 2);
    str_list_release(&sl);
    /* the grid: the product of the list sizes, before anything is built */
    struct grid_dim g[] = {{"-p", 100000}, {"-n", 0}, {"-b", 100000}, {"-t", 1}};
    CHECK(grid_check(g, 4, "tests", err) < 0);
    CHECK_STR(err, "the grid -p 100000 x -b 100000 has 10000000000 tests, more than the cap of "
                   "100000");
    struct grid_dim ok[] = {{"-p", 1000}, {"-b", 100}};
    CHECK(grid_check(ok, 2, "tests", err) == 0);
    struct grid_dim huge[] = {
        {"-a", 100000}, {"-b", 100000}, {"-c", 100000}, {"-d", 100000}, {"-e", 100000}};
    CHECK(grid_check(huge, 5, "tests", err) < 0);
    CHECK(strstr(err, " has 1e+25 tests,") != NULL);
    /* -ot: every pattern must compile (as llama.cpp's load would) */
    CHECK(flag_override_spec("blk\\.\\d\\.ffn_(up|down)=CPU;exps=CPU", 512, err) == 0);
    CHECK(flag_override_spec("exps=CPU;blk\\.(=CPU", 512, err) < 0);
    CHECK_STR(err, "tensor override pattern 'blk\\.(' is not a valid regex");
    uint64_t sz;
    CHECK(parse_size("2G", &sz) == 0 && sz == 2ull << 30);
    CHECK(parse_size("-1", &sz) < 0);
    /* GB = 10^9, GiB = G = 2^30, as coreutils; the same for K M T */
    CHECK(parse_size("96GB", &sz) == 0 && sz == 96000000000ull);
    CHECK(parse_size("96GiB", &sz) == 0 && sz == 96ull << 30);
    CHECK(parse_size("96gib", &sz) == 0 && sz == 96ull << 30);
    CHECK(parse_size("512MB", &sz) == 0 && sz == 512000000ull);
    CHECK(parse_size("512MiB", &sz) == 0 && sz == 512ull << 20);
    CHECK(parse_size("2TB", &sz) == 0 && sz == 2000000000000ull);
    CHECK(parse_size("2TiB", &sz) == 0 && sz == 2ull << 40);
    CHECK(parse_size("8KB", &sz) == 0 && sz == 8000);
    CHECK(parse_size("8k", &sz) == 0 && sz == 8192);
    CHECK(parse_size("1.5GiB", &sz) == 0 && sz == 3ull << 29);
    CHECK(parse_size("0.5GB", &sz) == 0 && sz == 500000000ull);
    CHECK(parse_size("4096", &sz) == 0 && sz == 4096);
    CHECK(parse_size("4096B", &sz) == 0 && sz == 4096);
    CHECK(parse_size("1.5", &sz) < 0);
    CHECK(parse_size("12XB", &sz) < 0);
    CHECK(parse_size("12GBB", &sz) < 0);
    CHECK(parse_size("12iB", &sz) < 0);
    CHECK(parse_size(" 12G", &sz) < 0);
    CHECK(parse_size("18000000000GiB", &sz) < 0); /* above 2^64 */
    CHECK(parse_size("18446744073709551615", &sz) == 0 && sz == UINT64_MAX);
    int v;
    CHECK(parse_int("12x", 0, 100, &v) < 0);
}

void test_util_escape(void)
{
    char *e;
    /* valid UTF-8 kept, controls escaped, bytes that are not UTF-8 as \xHH */
    e = str_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0);
    CHECK_STR(e, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    free(e);
    e = str_escape("a\x1b[31mb\nc\rd\te\x7f|", 0);
    CHECK_STR(e, "a\\x1b[31mb\\nc\\rd\\te\\x7f|");
    free(e);
    e = str_escape("a|b\nc", STR_ESC_MD);
    CHECK_STR(e, "a\\|b\\nc");
    free(e);
    e = str_escape("a\nb\tc\x1b", STR_ESC_KEEP_LINES);
    CHECK_STR(e, "a\nb\tc\\x1b");
    free(e);
    /* C1 CSI, a right-to-left override, a stray continuation byte, an overlong '/', a
     * surrogate, a cut sequence at the end */
    e = str_escape("\xc2\x9b|\xe2\x80\xae|\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82", 0);
    CHECK_STR(e, "\\xc2\\x9b|\\xe2\\x80\\xae|\\x80|\\xc0\\xaf|\\xed\\xa0\\x80|\\xe2\\x82");
    free(e);
    CHECK(!str_needs_escape("plain \xc3\xa9 text", STR_ESC_MD));
    CHECK(str_needs_escape("a|b", STR_ESC_MD) && !str_needs_escape("a|b", 0));
    e = str_escape("", STR_ESC_MD);
    CHECK_STR(e, "");
    free(e);
    /* a special file is refused before it is opened */
    char err[QB_ERR_LEN];
    CHECK(fopen_regular("/dev/null", err) == NULL);
    CHECK_STR(err, "'/dev/null': not a regular file");
    CHECK(fopen_regular("/", err) == NULL);
    CHECK(fopen_regular("/nonexistent/x", err) == NULL);
    CHECK_STR(err, "cannot open '/nonexistent/x': No such file or directory");
}
