/* libFuzzer target: comma lists and ranges of flag values, number parsers, -m model lists
 * and output-format names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/record/args.h"
#include "../../src/cli/single.h"
#include "../../src/report/table.h"
#include "../../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[QB_ERR_LEN];
    char *s = xstrndup((const char *)data, size);
    struct int_list l = {0};
    int_list_parse(&l, "-t", s, -1000000, 1000000, err);
    int_list_release(&l);
    struct str_list sl = {0};
    str_list_split(&sl, s, ',');
    str_list_release(&sl);
    str_list_parse(&sl, "-m", s, err);
    str_list_release(&sl);
    uint64_t u;
    double d;
    int i;
    parse_size(s, &u);
    parse_double(s, &d);
    parse_int(s, -5, 5, &i);
    static struct single_opts o; /* 16 KiB: not on the stack */
    single_opts_init(&o);
    for (int k = 0; k < 3; k++) /* repeated -m: the limits on count and bytes */
        single_opts_add_models(&o, s, err);
    enum bench_fmt f;
    bench_fmt_flag(s, BENCH_FMTS_ROWS | BENCH_FMT_BIT(BENCH_FMT_NONE), "-oe", &f, err);
    free(s);
    return 0;
}
