/* Small helpers shared by every module: allocation that cannot fail (out of
 * memory is fatal, as in redis zmalloc), error-buffer filling, and strict number
 * parsing. Nothing here prints except the out-of-memory abort. */
#ifndef QB_UTIL_H
#define QB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QB_ERR_LEN      1024
#define QB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define QB_FMT(a, b)    __attribute__((format(printf, a, b)))

/* Allocation: abort with a message on out of memory. Returned memory is the caller's. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; the caller frees it */
char *xasprintf(const char *fmt, ...) QB_FMT(1, 2);

/* Fill err (QB_ERR_LEN bytes, may be NULL) with a message; always returns -1. */
int set_err(char *err, const char *fmt, ...) QB_FMT(2, 3);

/* Strict parsers: the whole string must be a number in range; 0 ok, -1 otherwise. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int parse_int(const char *s, int min, int max, int *out);
int parse_double(const char *s, double *out);
/* Size with an optional K/M/G suffix (powers of 1024) */
int parse_size(const char *s, uint64_t *out);

/* Hex CPU mask ("0xff", "F0") into n flags, CPU i = bit i; 0 ok, -1 on a bad digit or a
 * bit at or above n. */
int parse_cpu_mask(const char *hex, bool *mask, int n);

/* Online CPUs and physical memory in bytes (0 when unknown). */
void host_cpus_ram(int *cpus, uint64_t *ram_bytes);

/* Human sizes: "123.45 MiB" into buf, returns buf */
/* A whole file, NUL-terminated (the caller frees); NULL with err ("cannot open 'X': ...",
 * "'X' is larger than N bytes"). */
char *read_file(const char *path, uint64_t max, size_t *len, char *err);

/* Write text to path atomically (a temporary file beside it, renamed over it); -1 with err
 * ("cannot write 'PATH': ..."). */
int write_file_atomic(const char *path, const char *text, char *err);

const char *fmt_bytes(char *buf, size_t n, uint64_t bytes);

#endif
