/* What every command shares beyond util/exit.h (see cmd.h). */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "../util/procmem.h"
#include "../util/stats.h"

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
