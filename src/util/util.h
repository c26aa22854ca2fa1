/* Small helpers shared by every module: allocation that cannot fail (out of
 * memory is fatal, as in redis zmalloc), error-buffer filling, and strict number
 * parsing. Nothing here prints except the out-of-memory abort. */
#ifndef QB_UTIL_H
#define QB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
char *xvasprintf(const char *fmt, va_list ap) QB_FMT(1, 0);

/* Text from outside (GGUF metadata, paths, labels, other tools' files) made safe for a
 * terminal or a table: control characters (C0, DEL, C1 as UTF-8, line separators and
 * bidirectional overrides) become \n, \r, \t or \xHH per byte (ESC: \x1b), bytes that
 * are not valid UTF-8 become \xHH, valid UTF-8 is kept. STR_ESC_MD also writes '|' as '\|' (a
 * markdown cell); STR_ESC_KEEP_LINES keeps newlines, carriage returns and tabs (a quoted CSV field,
 * a multi-line log). A backslash is kept as is. Returns a new string; the caller frees it. */
#define STR_ESC_MD         1u
#define STR_ESC_KEEP_LINES 2u
char *str_escape(const char *s, unsigned flags);
/* true when str_escape(s, flags) would change s */
bool str_needs_escape(const char *s, unsigned flags);
/* Write s to fp through str_escape */
void fput_escaped(const char *s, unsigned flags, FILE *fp);

/* Fill err (QB_ERR_LEN bytes, may be NULL) with a message; always returns -1. */
int set_err(char *err, const char *fmt, ...) QB_FMT(2, 3);

/* Strict parsers: the whole string must be a number in range; 0 ok, -1 otherwise. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int parse_int(const char *s, int min, int max, int *out);
int parse_double(const char *s, double *out);
/* A size in bytes: a number (a fraction allowed with a unit) and an optional unit, as
 * coreutils reads them: KiB MiB GiB TiB and bare K M G T are powers of 1024, KB MB GB TB
 * powers of 1000 (96GB = 96e9, 96GiB = 96G = 96 * 2^30), B or none bytes; the prefix in
 * either case. 0 ok; -1 on anything else or a value above 2^64 - 1. */
int parse_size(const char *s, uint64_t *out);

/* Hex CPU mask ("0xff", "F0") into n flags, CPU i = bit i; 0 ok, -1 on a bad digit or a
 * bit at or above n. */
int parse_cpu_mask(const char *hex, bool *mask, int n);

/* Online CPUs and physical memory in bytes (0 when unknown). */
void host_cpus_ram(int *cpus, uint64_t *ram_bytes);

/* Open a file for reading only when it is a regular file: stat first, then open with
 * O_NONBLOCK (a FIFO, a device or a socket would block or never end) and check the
 * descriptor again. A stream (the caller fcloses it), or NULL with err ("'PATH': not a
 * regular file", "cannot open 'PATH': ..."). */
FILE *fopen_regular(const char *path, char *err);

/* A whole regular file, NUL-terminated (the caller frees); NULL with err (those of
 * fopen_regular, "'X' is larger than N bytes"). */
/* Drop path's pages from the page cache (written back first), so the next read of it is
 * from the disk: a cold load. 0, or -1 with errno (the file stays as it was). */
int file_evict(const char *path);
/* mkdir -p: path and every directory above it (0777 less the umask); 0, or -1 with errno */
int mkdir_p(const char *path);
char *read_file(const char *path, uint64_t max, size_t *len, char *err);

/* Write text to path atomically (a temporary file beside it, renamed over it); -1 with err
 * ("cannot write 'PATH': ..."). */
int write_file_atomic(const char *path, const char *text, char *err);

/* Human sizes: "123.45 MiB" into buf, returns buf */
const char *fmt_bytes(char *buf, size_t n, uint64_t bytes);

/* Whether two paths name one file: the same device and inode when both exist, else the
 * same real path (a path that does not exist yet is its directory's real path and its
 * name). For "never write over an input". */
bool same_file(const char *a, const char *b);

/* Whether a file can be made in dir (one is created and removed: permissions, a read-only
 * mount, root's overrides all count); -1 with err ("cannot write to 'DIR': ..."). */
int dir_check_writable(const char *dir, char *err);

#endif
