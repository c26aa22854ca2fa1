/* Messages shared by every command (see cmd.h). A message is one line: paths, keys and
 * values from outside that it quotes are escaped (str_escape), so a newline or a terminal
 * escape sequence in a file name cannot break or forge it. */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void put_message(const char *head, const char *fmt, va_list ap, const char *tail)
{
    char *msg = xvasprintf(fmt, ap);
    fputs(head, stderr);
    fput_escaped(msg, 0, stderr);
    fputs(tail, stderr);
    free(msg);
}

#include "../util/procmem.h"
#include "../util/stats.h"

int error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put_message("quantbench: error: ", fmt, ap, "\n");
    va_end(ap);
    return QB_EXIT_FAIL;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    char head[64], tail[96];
    snprintf(head, sizeof(head), "quantbench %s: ", cmd);
    snprintf(tail, sizeof(tail), "; try 'quantbench %s --help'\n", cmd);
    va_list ap;
    va_start(ap, fmt);
    put_message(head, fmt, ap, tail);
    va_end(ap);
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
