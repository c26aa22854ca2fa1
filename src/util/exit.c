/* Error messages (see exit.h). A message is one line: paths, keys and values from
 * outside that it quotes are escaped (str_escape), so a newline or a terminal escape
 * sequence in a file name cannot break or forge it. */
#include "exit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

static void put_message(const char *head, const char *fmt, va_list ap, const char *tail)
{
    char *msg = xvasprintf(fmt, ap);
    fputs(head, stderr);
    fput_escaped(msg, 0, stderr);
    fputs(tail, stderr);
    free(msg);
}

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
