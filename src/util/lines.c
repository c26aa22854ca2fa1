/* A growing buffer of bytes cut into lines (see lines.h). */
#include "lines.h"

#include <string.h>

#include "util.h"

void lines_add(struct lines *l, const char *p, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        l->cap = (l->len + n + 1) * 2;
        l->buf = xrealloc(l->buf, l->cap);
    }
    memcpy(l->buf + l->len, p, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

/* Pop one complete line (without '\n') into a new string, or NULL. */
char *lines_pop(struct lines *l)
{
    char *nl = l->len ? memchr(l->buf, '\n', l->len) : NULL;
    if (!nl)
        return NULL;
    size_t n = (size_t)(nl - l->buf);
    char *line = xstrndup(l->buf, n);
    memmove(l->buf, nl + 1, l->len - n - 1);
    l->len -= n + 1;
    l->buf[l->len] = '\0';
    return line;
}
