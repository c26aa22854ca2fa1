/* stderr logger (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* one line: what the message quotes from outside (paths, metadata) is escaped */
void log_write(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "quantbench: %s", prefix(level));
    fput_escaped(msg, 0, stderr);
    fputc('\n', stderr);
    free(msg);
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    bool nl = n > 0 && msg[n - 1] == '\n';
    if (nl)
        msg[n - 1] = '\0';
    fput_escaped(msg, 0, stderr);
    if (nl)
        fputc('\n', stderr);
    free(msg);
}

/* llama.cpp's lines echo the model's metadata (general.name, tokens): its newlines stay,
 * terminal escapes do not */
void log_raw(enum log_level level, const char *text)
{
    if (level <= log_level_current)
        fput_escaped(text, STR_ESC_KEEP_LINES, stderr);
}
