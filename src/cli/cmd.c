/* Messages shared by every command (see cmd.h). */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>

#include "../util/procmem.h"
#include "../util/stats.h"

int error(const char *fmt, ...)
{
    va_list ap;
    fputs("quantbench: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return QB_EXIT_FAIL;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "quantbench %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; try 'quantbench %s --help'\n", cmd);
    return QB_EXIT_USAGE;
}

static void load_text(char *buf, size_t n, double load)
{
    if (load < 0)
        snprintf(buf, n, "unknown");
    else
        snprintf(buf, n, "%.2f", load);
}

void warn_noisy(int n_noisy, int n_rows, double load_start)
{
    if (n_noisy <= 0)
        return;
    char a[32], b[32];
    load_text(a, sizeof(a), load_start);
    load_text(b, sizeof(b), proc_load_average());
    fprintf(stderr,
            "quantbench: warning: %d of %d rows noisy (95%% CI half-width above %.0f%% of the "
            "mean): load average %s at the start, %s at the end\n",
            n_noisy, n_rows, 100 * STATS_NOISY_REL, a, b);
}
