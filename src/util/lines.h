/* A growing buffer of bytes read from a pipe, cut into lines: the worker protocol's
 * both sides read with it. */
#ifndef QB_LINES_H
#define QB_LINES_H

#include <stddef.h>

struct lines {
    char *buf;
    size_t len, cap;
};

/* Append n bytes (the buffer stays NUL-terminated) */
void lines_add(struct lines *l, const char *p, size_t n);
/* Pop one complete line (without '\n') into a new string (the caller's), or NULL. */
char *lines_pop(struct lines *l);

#endif
