/* Percent-decoding of query names and values (see url.h). */
#include "url.h"

#include <stdlib.h>

#include "../util/util.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int dash_url_decode(const char *s, size_t n, char **out, char *err)
{
    char *d = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            d[k++] = ' ';
        } else if (s[i] != '%') {
            d[k++] = s[i];
        } else {
            int hi = i + 1 < n ? hex_digit(s[i + 1]) : -1,
                lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(d);
                return set_err(err, "malformed %%-escape at byte %zu", i + 1);
            }
            if (hi == 0 && lo == 0) {
                free(d);
                return set_err(err, "%%00 (a NUL byte) at byte %zu", i + 1);
            }
            d[k++] = (char)(hi * 16 + lo);
            i += 2;
        }
    }
    d[k] = 0;
    *out = d;
    return 0;
}
