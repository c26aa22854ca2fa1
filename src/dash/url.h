/* Query strings of the dashboard's requests: percent-decoding of one name or value
 * (application/x-www-form-urlencoded: %XX escapes and '+' for a space). */
#ifndef QB_DASH_URL_H
#define QB_DASH_URL_H

#include <stddef.h>

/* The n bytes at s decoded into *out (NUL-terminated, the caller frees): 0, or -1 with
 * err (nothing in *out) on a '%' not followed by two hex digits or a %00, which would cut
 * the text short where it is read as a C string */
int dash_url_decode(const char *s, size_t n, char **out, char *err);

#endif
