/* A string -> int map (open addressing, FNV-1a hash) for matching many rows by a key
 * without a scan per row. Keys are copied; values are >= 0. Nothing else. */
#ifndef QB_STRMAP_H
#define QB_STRMAP_H

#include <stddef.h>

struct strmap {
    char **keys; /* cap slots, NULL = empty (owned) */
    int *vals;   /* the value of each slot (owned) */
    size_t cap;  /* slots, a power of two or 0 */
    size_t n;    /* keys held */
};

void strmap_init(struct strmap *m);
void strmap_release(struct strmap *m); /* frees the keys; accepts an initialized empty map */

/* The value of key, or -1 when absent */
int strmap_get(const struct strmap *m, const char *key);
/* Set key to val (>= 0), replacing a value it had */
void strmap_put(struct strmap *m, const char *key, int val);

#endif
