/* Diagnostics on stderr with a level filter; the level is tested before any
 * formatting happens (redis serverLog). stdout is never written here. */
#ifndef QB_LOG_H
#define QB_LOG_H

#include "util.h"

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

extern enum log_level log_level_current;

void log_set_level(enum log_level level);
void log_write(enum log_level level, const char *fmt, ...) QB_FMT(2, 3);
/* printf to stderr, always (a progress line, a row's error): one line, what it quotes
 * escaped (str_escape), a final newline kept */
void log_printf(const char *fmt, ...) QB_FMT(1, 2);
/* Write a message that already carries its own newline/prefix handling (llama.cpp's log);
 * control characters other than newlines and tabs are escaped */
void log_raw(enum log_level level, const char *text);

#define LOG_AT(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) <= log_level_current)                                                            \
            log_write((lvl), __VA_ARGS__);                                                         \
    } while (0)
#define log_error(...) LOG_AT(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  LOG_AT(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  LOG_AT(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) LOG_AT(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
