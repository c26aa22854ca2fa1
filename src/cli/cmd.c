/* Messages shared by every command (see cmd.h). */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>

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
