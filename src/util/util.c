/* Allocation, error buffers and strict number parsing (see util.h). */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sig.h"

static void oom(size_t n)
{
    fprintf(stderr, "quantbench: fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *p = xmalloc((size_t)n + 1);
    if (vsnprintf(p, (size_t)n + 1, fmt, ap) < 0)
        p[0] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

/* Length (1..4) of the valid UTF-8 sequence at s with its code point in *cp; 0 when the
 * bytes are not one (a stray continuation byte, an overlong form, a surrogate, a cut
 * sequence: a NUL is not a continuation byte, so reading stops at the end) */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* code points a terminal acts on instead of showing: C0, DEL, C1 (CSI is U+009B), and
 * the line separators and bidirectional overrides that reorder or break a line */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* the escaped form of the sequence at s (n bytes, code point cp) into out (>= 17
 * bytes), or NULL when it is kept as is */
static const char *escape_one(const unsigned char *s, size_t n, uint32_t cp, unsigned flags,
                              char *out)
{
    bool lines = flags & STR_ESC_KEEP_LINES;
    if (n == 0) {
        snprintf(out, 17, "\\x%02x", s[0]);
        return out;
    }
    if (cp == '|' && (flags & STR_ESC_MD))
        return "\\|";
    if (!is_control(cp) || (lines && (cp == '\n' || cp == '\r' || cp == '\t')))
        return NULL;
    switch (cp) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(out + k, 17 - k, "\\x%02x", s[i]);
    return out;
}

bool str_needs_escape(const char *s, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    char tmp[17];
    while (*p) {
        uint32_t cp = 0;
        size_t n = utf8_seq(p, &cp);
        if (escape_one(p, n, cp, flags, tmp))
            return true;
        p += n ? n : 1;
    }
    return false;
}

char *str_escape(const char *s, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cap = strlen(s) + 1, len = 0;
    char *out = xmalloc(cap), tmp[17];
    while (*p) {
        uint32_t cp = 0;
        size_t n = utf8_seq(p, &cp);
        const char *e = escape_one(p, n, cp, flags, tmp);
        const char *src = e ? e : (const char *)p;
        size_t k = e ? strlen(e) : n;
        if (len + k + 1 > cap) {
            cap = 2 * (len + k + 1);
            out = xrealloc(out, cap);
        }
        memcpy(out + len, src, k);
        len += k;
        p += n ? n : 1;
    }
    out[len] = '\0';
    return out;
}

void fput_escaped(const char *s, unsigned flags, FILE *fp)
{
    if (!str_needs_escape(s, flags)) {
        fputs(s, fp);
        return;
    }
    char *e = str_escape(s, flags);
    fputs(e, fp);
    free(e);
}

int set_err(char *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, QB_ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int parse_int(const char *s, int min, int max, int *out)
{
    int64_t v;
    if (parse_i64(s, min, max, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

int parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    double frac = -1; /* the value when it has a fraction */
    if (*end == '.') {
        frac = strtod(s, &end);
        if (errno || !isfinite(frac))
            return -1;
    }
    static const char prefixes[] = "KMGT";
    uint64_t mul = 1;
    if (*end && *end != 'B' && *end != 'b') {
        const char *p = strchr(prefixes, toupper((unsigned char)*end));
        if (!p)
            return -1;
        int power = (int)(p - prefixes) + 1;
        end++;
        bool binary = true; /* K, KiB */
        if (*end == 'i')
            end++;
        else if (*end == 'B' || *end == 'b')
            binary = false; /* KB */
        for (int k = 0; k < power; k++)
            mul *= binary ? 1024 : 1000;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || (frac >= 0 && mul == 1))
        return -1;
    if (frac >= 0) {
        double b = frac * (double)mul;
        if (b >= 18446744073709551616.0)
            return -1;
        *out = (uint64_t)(b + 0.5);
        return 0;
    }
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

const char *fmt_bytes(char *buf, size_t n, uint64_t bytes)
{
    if (bytes < 1024ull * 1024 * 1024)
        snprintf(buf, n, "%.2f MiB", bytes / 1024.0 / 1024.0);
    else
        snprintf(buf, n, "%.2f GiB", bytes / 1024.0 / 1024.0 / 1024.0);
    return buf;
}

int parse_cpu_mask(const char *hex, bool *mask, int n)
{
    if (!hex || !*hex)
        return -1;
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    size_t len = strlen(hex);
    if (len == 0)
        return -1;
    for (int i = 0; i < n; i++)
        mask[i] = false;
    for (size_t k = 0; k < len; k++) {
        char c = hex[len - 1 - k];
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return -1;
        for (int b = 0; b < 4; b++) {
            if (!(v & (1 << b)))
                continue;
            size_t cpu = 4 * k + (size_t)b;
            if (cpu >= (size_t)n)
                return -1;
            mask[cpu] = true;
        }
    }
    return 0;
}

void host_cpus_ram(int *cpus, uint64_t *ram_bytes)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES),
         psize = sysconf(_SC_PAGESIZE);
    *cpus = ncpu > 0 ? (int)ncpu : 0;
    *ram_bytes = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
}

FILE *fopen_regular(const char *path, char *err)
{
    struct stat st;
    /* stat first: opening a FIFO blocks until a writer comes, even for reading */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        set_err(err, "'%s': not a regular file", path);
        return NULL;
    }
    /* and never block in open() should it have become one since */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fl < 0 ||
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        set_err(err, "'%s': not a regular file", path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        set_err(err, "cannot open '%s': %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

char *read_file(const char *path, uint64_t max, size_t *len, char *err)
{
    FILE *f = fopen_regular(path, err);
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                set_err(err, "'%s' is larger than %llu bytes", path, (unsigned long long)max);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    if (ferror(f)) {
        set_err(err, "cannot read '%s': %s", path, strerror(errno));
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

int write_file_atomic(const char *path, const char *text, char *err)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    sig_tmp_add(tmp); /* a signal that ends the process removes it */
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    int rc = 0;
    if (!ok || rename(tmp, path) != 0) {
        rc = set_err(err, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
    }
    sig_tmp_remove(tmp);
    free(tmp);
    return rc;
}

/* realpath of a file that may not exist yet: its directory's, with its name */
static char *real_path_of(const char *path)
{
    char *r = realpath(path, NULL);
    if (r)
        return r;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    char *rd = realpath(dir, NULL);
    free(dir);
    if (!rd)
        return NULL;
    r = xasprintf("%s/%s", rd, slash ? slash + 1 : path);
    free(rd);
    return r;
}

bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *ra = real_path_of(a), *rb = real_path_of(b);
    bool same = ra && rb && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

int dir_check_writable(const char *dir, char *err)
{
    char *probe = xasprintf("%s/.quantbench-write-check.%d", dir, (int)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = 0;
    if (fd < 0) {
        rc = set_err(err, "cannot write to '%s': %s", dir, strerror(errno));
    } else {
        close(fd);
        unlink(probe);
    }
    free(probe);
    return rc;
}

int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) < 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    int rc = mkdir(p, 0777) < 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

int file_evict(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* dirty pages (a rung just written) are not dropped: write them back first */
    int rc = fdatasync(fd) == 0 ? posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) : errno;
    close(fd);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}
