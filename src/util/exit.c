/* Error messages (see exit.h). A message is one line: paths, keys and values from
 * outside that it quotes are escaped (str_escape), so a newline or a terminal escape
 * sequence in a file name cannot break or forge it. */
#include "exit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char *const kind_names[] = {"ok",      "usage", "input", "runtime",
                                         "timeout", "crash", "oom",   "interrupted"};

int qb_kind_exit(enum qb_kind k)
{
    switch (k) {
    case QB_KIND_OK: return QB_EXIT_OK;
    case QB_KIND_USAGE: return QB_EXIT_USAGE;
    case QB_KIND_INPUT: return QB_EXIT_INPUT;
    default: return QB_EXIT_FAIL;
    }
}

const char *qb_kind_name(enum qb_kind k)
{
    return (unsigned)k < QB_ARRAY_LEN(kind_names) ? kind_names[k] : "runtime";
}

enum qb_kind qb_kind_by_name(const char *name)
{
    for (size_t i = 0; name && i < QB_ARRAY_LEN(kind_names); i++)
        if (strcmp(name, kind_names[i]) == 0)
            return (enum qb_kind)i;
    return QB_KIND_RUNTIME;
}
