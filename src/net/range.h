/* A byte range of a file over HTTP (GET with Range, redirects followed): how mem reads the
 * header of a model it has not downloaded. A server that ignores Range (200 with the whole
 * file) is read only as far as the range wanted, then the transfer is cut. */
#ifndef QB_NET_RANGE_H
#define QB_NET_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/exit.h"

struct http_range {
    const char *url;
    const char *const *headers; /* more "Name: value" lines, NULL-terminated; NULL: none */
    uint64_t offset;            /* the first byte wanted */
    size_t n;                   /* bytes wanted from there */
    double timeout_s;           /* the whole request; 0: 120 s */
};

/* GET r->range into buf (room r->n): 0 with *got (fewer than r->n only at the file's end)
 * and *file_size (from Content-Range, or a 200 answer's Content-Length; UINT64_MAX when the
 * server told neither), *wire the body bytes that came (a 200 answer's skipped start too);
 * -1 with err ("'URL': ...") and *kind: input (not an http(s) URL, HTTP 404/403/401, a
 * range past the end), runtime (the rest), interrupted (SIGINT / SIGTERM). */
int http_get_range(const struct http_range *r, void *buf, size_t *got, uint64_t *file_size,
                   uint64_t *wire, enum qb_kind *kind, char *err);

#endif
