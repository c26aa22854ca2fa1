/* stderr logger (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

enum log_level log_level_current = LOG_LEVEL_WARN;

void log_set_level(enum log_level level)
{
    log_level_current = level;
}

static const char *prefix(enum log_level level)
{
    switch (level) {
    case LOG_LEVEL_ERROR: return "error: ";
    case LOG_LEVEL_WARN: return "warning: ";
    default: return "";
    }
}

void log_write(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "quantbench: %s", prefix(level));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void log_raw(enum log_level level, const char *text)
{
    if (level <= log_level_current)
        fputs(text, stderr);
}
