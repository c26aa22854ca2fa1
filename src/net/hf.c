/* The Hugging Face Hub client (see hf.h). Every request goes through get(): one libcurl
 * easy handle kept for the process (its connections reused), redirects followed here hop
 * by hop so that the token goes to the endpoint's origin only, the answer's headers that
 * matter kept per hop, and the body handed to a sink only for the last hop's 2xx answer.
 * SIGINT / SIGTERM end a transfer through libcurl's progress callback. */
#include "hf.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/progress.h"
#include "../util/sha256.h"
#include "../util/sig.h"
#include "../util/util.h"
#include "stream.h"

#define HF_MAX_HOPS    10
#define HF_MAX_LISTING (256u << 20) /* bytes of one tree page accepted */
#define HF_MAX_PAGES   1000
#define HF_TRIES       4           /* a download's tries after dropped connections */
#define HF_SYNC_BYTES  (64u << 20) /* fdatasync a partial this often */
#define HF_STALL_S     60          /* under one byte per second this long: dropped */

void hf_files_free(struct hf_files *fs)
{
    if (!fs)
        return;
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->v[i].url);
        free(fs->v[i].path);
    }
    free(fs->v);
    fs->v = NULL;
    fs->n = 0;
}

static struct hf_file *files_add(struct hf_files *fs)
{
    fs->v = xrealloc(fs->v, (fs->n + 1) * sizeof(*fs->v));
    struct hf_file *f = &fs->v[fs->n++];
    memset(f, 0, sizeof(*f));
    return f;
}

const char *hf_endpoint(void)
{
    static char ep[1024];
    const char *e = getenv("HF_ENDPOINT");
    if (!e || !e[0])
        return "https://huggingface.co";
    snprintf(ep, sizeof(ep), "%s", e);
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/')
        ep[--n] = '\0';
    return ep;
}

/* ---------------------------------------------------------------- requests */

/* the headers of one hop's answer that matter here */
struct hop_headers {
    char content_range[128];
    char etag[160];
    char link_next[2048];
};

struct request;
/* a 2xx answer's body: the first call of a hop has first set; 0 goes on, -1 ends the
 * transfer with err (done: it ended on purpose, nothing is wrong) */
typedef int (*sink_fn)(struct request *q, const char *b, size_t n, bool first, char *err);

struct request {
    const char *url;   /* the first hop's URL */
    const char *at;    /* this hop's URL (for messages) */
    const char *range; /* "A-" or "A-B" for a Range header; NULL none */
    sink_fn sink;      /* where a 2xx body goes; NULL: dropped */
    void *ud;          /* the sink's */
    /* results */
    long status;          /* the last hop's */
    struct hop_headers h; /* the last hop's */
    char linked_size[32]; /* X-Linked-Size of any hop (the Hub's, before the CDN) */
    char linked_etag[160];
    bool done;      /* the sink ended the transfer on purpose */
    char body[512]; /* an error answer's start */
    size_t body_len;
    char sink_err[QB_ERR_LEN];
    bool in_2xx;  /* this hop is a 2xx answer */
    bool started; /* the sink has had this hop's first bytes */
    CURL *c;
};

static CURL *handle(char *err)
{
    static CURL *c;
    if (c)
        return c;
    if (net_curl_init(err) < 0)
        return NULL;
    c = curl_easy_init();
    if (!c)
        set_err(err, "libcurl: cannot make a handle");
    return c;
}

/* whether a and b have the same scheme, host and port */
static bool same_origin(const char *a, const char *b)
{
    CURLU *ua = curl_url(), *ub = curl_url();
    bool same = false;
    char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
    if (!ua || !ub || curl_url_set(ua, CURLUPART_URL, a, 0) != CURLUE_OK ||
        curl_url_set(ub, CURLUPART_URL, b, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(ua, CURLUPART_SCHEME, &sa, 0) || curl_url_get(ub, CURLUPART_SCHEME, &sb, 0) ||
        curl_url_get(ua, CURLUPART_HOST, &ha, 0) || curl_url_get(ub, CURLUPART_HOST, &hb, 0) ||
        curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT) ||
        curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT))
        goto out;
    same = !strcasecmp(sa, sb) && !strcasecmp(ha, hb) && !strcmp(pa, pb);
out:
    curl_free(sa);
    curl_free(sb);
    curl_free(ha);
    curl_free(hb);
    curl_free(pa);
    curl_free(pb);
    curl_url_cleanup(ua);
    curl_url_cleanup(ub);
    return same;
}

/* the value of header line b (len bytes) when it is name's, trimmed, into out */
static bool header_value(const char *b, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(b, name, nl) || b[nl] != ':')
        return false;
    const char *v = b + nl + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl >= cap)
        vl = cap - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return true;
}

/* the URL of a Link header's rel="next" into out ("" none) */
void hf_link_next(const char *v, char *out, size_t cap)
{
    out[0] = '\0';
    for (const char *p = v; (p = strchr(p, '<'));) {
        const char *e = strchr(p, '>');
        if (!e)
            return;
        const char *semi = e + 1, *comma = strchr(semi, ',');
        size_t seg = comma ? (size_t)(comma - semi) : strlen(semi);
        char params[256];
        snprintf(params, sizeof(params), "%.*s", (int)(seg < 255 ? seg : 255), semi);
        if (strstr(params, "rel=\"next\"") || strstr(params, "rel=next")) {
            size_t n = (size_t)(e - p - 1);
            if (n < cap) {
                memcpy(out, p + 1, n);
                out[n] = '\0';
            }
            return;
        }
        p = e;
    }
}

static size_t on_header(char *b, size_t size, size_t n, void *ud)
{
    struct request *q = ud;
    size_t len = size * n;
    char v[2048];
    if (len >= 5 && !strncmp(b, "HTTP/", 5)) { /* a new answer (a hop, or a 100) */
        memset(&q->h, 0, sizeof(q->h));
        q->started = false;
    } else if (!header_value(b, len, "content-range", q->h.content_range,
                             sizeof(q->h.content_range)) &&
               !header_value(b, len, "etag", q->h.etag, sizeof(q->h.etag)) &&
               !header_value(b, len, "x-linked-size", q->linked_size, sizeof(q->linked_size)) &&
               !header_value(b, len, "x-linked-etag", q->linked_etag, sizeof(q->linked_etag)) &&
               header_value(b, len, "link", v, sizeof(v))) {
        hf_link_next(v, q->h.link_next, sizeof(q->h.link_next));
    }
    return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *ud)
{
    struct request *q = ud;
    size_t len = size * n;
    if (!q->started) {
        long st = 0;
        curl_easy_getinfo(q->c, CURLINFO_RESPONSE_CODE, &st);
        q->in_2xx = st >= 200 && st < 300;
        q->status = st;
    }
    bool first = !q->started;
    q->started = true;
    if (!q->in_2xx) {
        net_keep_start(q->body, sizeof(q->body), &q->body_len, b, len);
        return len;
    }
    if (q->sink && q->sink(q, b, len, first, q->sink_err) < 0)
        return 0; /* CURLE_WRITE_ERROR */
    return len;
}

static int on_xfer(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
    return sig_caught() ? 1 : 0;
}

/* whether rc is a connection that broke mid-way (worth a resumed try) */
static bool dropped(CURLcode rc)
{
    return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
           rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SEND_ERROR;
}

/* GET q->url, redirects followed. 0 for a 2xx answer (q->status, q->h of the last hop),
 * 1 for another answer the caller reads itself (416), -1 with *kind and err (*drop: the
 * connection broke mid-way). */
static int get(struct request *q, enum qb_kind *kind, bool *drop, char *err)
{
    *kind = QB_KIND_RUNTIME;
    if (drop)
        *drop = false;
    CURL *c = handle(err);
    if (!c)
        return -1;
    q->c = c;
    const char *ep = hf_endpoint();
    const char *token = getenv("HF_TOKEN");
    for (const char *t = token; t && *t; t++)
        if ((unsigned char)*t < 0x20 || *t == 0x7f) {
            *kind = QB_KIND_USAGE;
            return set_err(err, "HF_TOKEN holds a control character");
        }
    char *url = xstrdup(q->url);
    int ret = -1;
    for (int hop = 0; hop < HF_MAX_HOPS; hop++) {
        struct curl_slist *hd = NULL;
        char line[4096];
        if (token && token[0] && same_origin(url, ep)) {
            snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
            hd = curl_slist_append(hd, line);
        }
        char cerr[CURL_ERROR_SIZE] = "";
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "quantbench");
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)HF_STALL_S);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
        if (q->range)
            curl_easy_setopt(c, CURLOPT_RANGE, q->range);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, q);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
        q->at = url;
        q->status = 0;
        q->started = false;
        q->done = false;
        q->body[0] = '\0';
        q->body_len = 0;
        q->sink_err[0] = '\0';
        memset(&q->h, 0, sizeof(q->h));
        CURLcode rc = curl_easy_perform(c);
        long st = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
        q->status = st;
        char *loc = NULL;
        if (rc == CURLE_OK && st >= 300 && st < 400)
            curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
        char *next = loc ? xstrdup(loc) : NULL;
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(hd);
        if (rc == CURLE_WRITE_ERROR && q->done) {
            ret = 0;
            goto out;
        }
        if (rc == CURLE_WRITE_ERROR) {
            set_err(err, "%s", q->sink_err);
            goto out;
        }
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
            *kind = QB_KIND_INTERRUPTED;
            set_err(err, "interrupted");
            goto out;
        }
        if (rc != CURLE_OK) {
            if (drop)
                *drop = dropped(rc);
            if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
                *kind = QB_KIND_INPUT;
            set_err(err, "'%s': %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
            goto out;
        }
        if (next) {
            free(url);
            url = next;
            continue;
        }
        if (st >= 200 && st < 300) {
            ret = 0;
        } else if (st == 416) {
            ret = 1;
        } else if (st == 404) {
            *kind = QB_KIND_INPUT;
            set_err(err, "'%s': not found (HTTP 404)", url);
        } else if (st == 401 || st == 403) {
            set_err(err, "'%s': HTTP %ld: access denied (%s)", url, st,
                    token && token[0] ? "HF_TOKEN was refused"
                                      : "a gated or private repository needs a token in HF_TOKEN");
        } else if (st >= 300 && st < 400) {
            set_err(err, "'%s': HTTP %ld without a Location", url, st);
        } else {
            set_err(err, "'%s': HTTP %ld", url, st);
        }
        goto out;
    }
    set_err(err, "'%s': more than %d redirects", q->url, HF_MAX_HOPS);
out:
    if (ret >= 0)
        *kind = QB_KIND_OK;
    free(url);
    return ret;
}

/* ---------------------------------------------------------------- listing */

static bool hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool safe_path(const char *p)
{
    if (!p[0] || p[0] == '/' || strlen(p) > 1024)
        return false;
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
            return false;
    for (const char *s = p;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        if (!e)
            return true;
        s = e + 1;
    }
}

int hf_tree_parse(const char *buf, size_t len, struct hf_files *out, char *err)
{
    cJSON *j = cJSON_ParseWithLength(buf, len);
    if (!j || !cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return set_err(err, "the tree listing is not a JSON array");
    }
    const cJSON *it;
    cJSON_ArrayForEach (it, j) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(it, "size");
        const cJSON *lfs = cJSON_GetObjectItemCaseSensitive(it, "lfs");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "file") || !cJSON_IsString(path) ||
            !safe_path(path->valuestring))
            continue;
        double sz = cJSON_IsNumber(size) ? size->valuedouble : 0;
        const char *oid = "";
        if (cJSON_IsObject(lfs)) {
            const cJSON *lo = cJSON_GetObjectItemCaseSensitive(lfs, "oid");
            const cJSON *ls = cJSON_GetObjectItemCaseSensitive(lfs, "size");
            if (!cJSON_IsString(lo) || !hex64(lo->valuestring))
                continue;
            oid = lo->valuestring;
            if (cJSON_IsNumber(ls))
                sz = ls->valuedouble;
        }
        if (!(sz >= 0 && sz < 18e18))
            continue;
        struct hf_file *f = files_add(out);
        f->path = xstrdup(path->valuestring);
        f->size = (uint64_t)sz;
        for (int i = 0; oid[i]; i++)
            f->sha256[i] = (char)tolower((unsigned char)oid[i]);
    }
    cJSON_Delete(j);
    return 0;
}

/* ---------------------------------------------------------------- selection */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* the name of p without ".gguf" and the split suffix; *index, *count of the split */
static void gguf_prefix(const char *p, char *prefix, size_t cap, int *index, int *count)
{
    size_t n = strlen(p);
    *index = *count = 1;
    if (n >= 5 && !strcasecmp(p + n - 5, ".gguf"))
        n -= 5;
    /* "-00001-of-00003" */
    if (n >= 15) {
        const char *s = p + n - 15;
        bool ok = s[0] == '-' && !strncasecmp(s + 6, "-of-", 4);
        for (int i = 1; ok && i < 6; i++)
            ok = isdigit((unsigned char)s[i]);
        for (int i = 10; ok && i < 15; i++)
            ok = isdigit((unsigned char)s[i]);
        if (ok && n > 15) {
            *index = (int)strtol(s + 1, NULL, 10); /* five digits, checked above */
            *count = (int)strtol(s + 10, NULL, 10);
            n -= 15;
        }
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(prefix, p, n);
    prefix[n] = '\0';
}

void hf_gguf_tag(const char *path, char tag[64], int *index, int *count)
{
    char prefix[1100];
    gguf_prefix(path, prefix, sizeof(prefix), index, count);
    tag[0] = '\0';
    size_t n = strlen(prefix), k = n;
    while (k > 0 && (isalnum((unsigned char)prefix[k - 1]) || prefix[k - 1] == '_'))
        k--;
    if (k == n || k == 0 || (prefix[k - 1] != '-' && prefix[k - 1] != '.') || n - k >= 64)
        return;
    for (size_t i = k; i < n; i++)
        tag[i - k] = (char)toupper((unsigned char)prefix[i]);
    tag[n - k] = '\0';
}

/* a model's GGUF file, not a projector, an imatrix or a draft model (llama.cpp's rule) */
static bool is_model(const char *path)
{
    if (!ends_with(path, ".gguf"))
        return false;
    const char *b = base_name(path);
    static const char *const not [] = {"mmproj",  "imatrix", "mtp-",
                                       "eagle3-", "dflash-", "dspark-"};
    for (size_t i = 0; i < QB_ARRAY_LEN(not ); i++)
        if (strstr(b, not [i]))
            return false;
    return true;
}

/* whether path holds quant followed by '.' or '-', case-insensitively */
static bool has_tag(const char *path, const char *quant)
{
    size_t q = strlen(quant);
    for (const char *p = path; *p; p++)
        if (!strncasecmp(p, quant, q) && (p[q] == '.' || p[q] == '-'))
            return true;
    return false;
}

static void copy_file(struct hf_files *out, const struct hf_file *f)
{
    struct hf_file *g = files_add(out);
    g->url = f->url ? xstrdup(f->url) : NULL;
    g->path = xstrdup(f->path);
    g->size = f->size;
    memcpy(g->sha256, f->sha256, sizeof(g->sha256));
}

int hf_select(const struct hf_files *files, const char *quant, struct hf_files *out, char *err)
{
    static const char *const dflt[] = {"Q4_K_M", "Q8_0"};
    const char *one[1] = {quant};
    const char *const *tags = quant && quant[0] ? one : dflt;
    size_t n_tags = quant && quant[0] ? 1 : QB_ARRAY_LEN(dflt);
    const struct hf_file *pick = NULL;
    int idx, cnt;
    char tag[64];
    for (size_t t = 0; t < n_tags && !pick; t++)
        for (size_t i = 0; i < files->n && !pick; i++) {
            hf_gguf_tag(files->v[i].path, tag, &idx, &cnt);
            if (is_model(files->v[i].path) && has_tag(files->v[i].path, tags[t]) && idx == 1)
                pick = &files->v[i];
        }
    for (size_t i = 0; i < files->n && !pick && !(quant && quant[0]); i++) {
        hf_gguf_tag(files->v[i].path, tag, &idx, &cnt);
        if (is_model(files->v[i].path) && idx == 1)
            pick = &files->v[i];
    }
    if (!pick) {
        char list[768] = "";
        size_t len = 0;
        for (size_t i = 0; i < files->n; i++) {
            if (!is_model(files->v[i].path))
                continue;
            hf_gguf_tag(files->v[i].path, tag, &idx, &cnt);
            if (!tag[0] || idx != 1)
                continue;
            char key[68];
            snprintf(key, sizeof(key), "%s, ", tag);
            bool seen = false;
            for (const char *p = list; (p = strstr(p, tag)); p++)
                if ((p == list || p[-1] == ' ') && !strncmp(p + strlen(tag), ", ", 2))
                    seen = true;
            if (!seen && len + strlen(key) < sizeof(list) - 4)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s", key);
        }
        if (len >= 2)
            list[len - 2] = '\0';
        if (quant && quant[0])
            return set_err(err, "no GGUF file matches the quant '%s'; quants available: %s", quant,
                           len ? list : "none");
        return set_err(err, "no GGUF model file in the repository");
    }
    char prefix[1100], p2[1100];
    gguf_prefix(pick->path, prefix, sizeof(prefix), &idx, &cnt);
    if (cnt <= 1) {
        copy_file(out, pick);
        return 0;
    }
    /* every part, in order 1..cnt */
    for (int k = 1; k <= cnt; k++) {
        const struct hf_file *part = NULL;
        for (size_t i = 0; i < files->n && !part; i++) {
            int ix, cn;
            gguf_prefix(files->v[i].path, p2, sizeof(p2), &ix, &cn);
            if (ix == k && cn == cnt && !strcmp(p2, prefix))
                part = &files->v[i];
        }
        if (!part) {
            hf_files_free(out);
            return set_err(err, "'%s': part %d of %d is not in the repository", pick->path, k, cnt);
        }
        copy_file(out, part);
    }
    return 0;
}

/* ---------------------------------------------------------------- resolve */

/* s with every byte but unreserved ones (and '/' when keep_slash) as %XX; caller frees */
static char *pct(const char *s, bool keep_slash)
{
    size_t n = strlen(s);
    char *o = xmalloc(n * 3 + 1), *w = o;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p) || (keep_slash && *p == '/'))
            *w++ = (char)*p;
        else
            w += snprintf(w, 4, "%%%02X", *p);
    }
    *w = '\0';
    return o;
}

struct membuf {
    char *b;
    size_t n;
};

static int sink_mem(struct request *q, const char *b, size_t n, bool first, char *err)
{
    (void)first;
    struct membuf *m = q->ud;
    if (m->n + n > HF_MAX_LISTING)
        return set_err(err, "'%s': the tree listing is over %u MiB", q->url, HF_MAX_LISTING >> 20);
    m->b = xrealloc(m->b, m->n + n + 1);
    memcpy(m->b + m->n, b, n);
    m->n += n;
    return 0;
}

static bool repo_ok(const char *r)
{
    const char *s = strchr(r, '/');
    if (!s || s == r || !s[1] || strchr(s + 1, '/'))
        return false;
    for (const char *p = r; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-._/", *p))
            return false;
    return !strstr(r, "..");
}

int hf_resolve(const char *spec, const char *revision, struct hf_files *out, enum qb_kind *kind,
               char *err)
{
    memset(out, 0, sizeof(*out));
    *kind = QB_KIND_INPUT;
    if (!revision || !revision[0])
        revision = "main";
    if (!strncasecmp(spec, "http://", 7) || !strncasecmp(spec, "https://", 8)) {
        CURLU *u = curl_url();
        char *path = NULL;
        int bad = !u || curl_url_set(u, CURLUPART_URL, spec, 0) != CURLUE_OK ||
                  curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK;
        const char *b = bad ? "" : base_name(path);
        int ret = 0;
        if (bad || !b[0] || !safe_path(b))
            ret = set_err(err, "'%s': not a URL of a file", spec);
        else {
            struct hf_file *f = files_add(out);
            f->url = xstrdup(spec);
            f->path = xstrdup(b);
            *kind = QB_KIND_OK;
        }
        curl_free(path);
        curl_url_cleanup(u);
        return ret;
    }
    char repo[512];
    const char *colon = strchr(spec, ':');
    size_t rl = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *quant = colon ? colon + 1 : NULL;
    if (rl >= sizeof(repo))
        return set_err(err, "'%s': the repository name is too long", spec);
    memcpy(repo, spec, rl);
    repo[rl] = '\0';
    if (!repo_ok(repo))
        return set_err(err, "'%s': not OWNER/NAME[:QUANT] or an http(s) URL", spec);
    if (quant && (!quant[0] || strchr(quant, ':') || strchr(quant, '/')))
        return set_err(err, "'%s': the quant after ':' must be a tag such as Q4_K_M", spec);
    const char *ep = hf_endpoint();
    char *rev = pct(revision, false);
    char *url = xasprintf("%s/api/models/%s/tree/%s?recursive=true", ep, repo, rev);
    struct hf_files all = {0};
    int ret = -1;
    for (int page = 0; url && page < HF_MAX_PAGES; page++) {
        struct membuf m = {0};
        struct request q = {.url = url, .sink = sink_mem, .ud = &m};
        if (get(&q, kind, NULL, err) != 0) {
            if (q.status == 416)
                set_err(err, "'%s': HTTP 416", url);
            if (q.status == 404) /* the Hub's 404s: no such repository or revision */
                set_err(err, "'%s': no such repository or revision '%s' (HTTP 404)", repo,
                        revision);
            free(m.b);
            goto out;
        }
        if (hf_tree_parse(m.b ? m.b : "", m.n, &all, err) < 0) {
            *kind = QB_KIND_RUNTIME;
            set_err(err, "'%s': the tree listing is not a JSON array", url);
            free(m.b);
            goto out;
        }
        free(m.b);
        free(url);
        url = q.h.link_next[0] ? xstrdup(q.h.link_next) : NULL;
    }
    *kind = QB_KIND_INPUT;
    if (hf_select(&all, quant, out, err) < 0) {
        char e2[QB_ERR_LEN];
        snprintf(e2, sizeof(e2), "%s", err);
        set_err(err, "'%s': %s", repo, e2);
        goto out;
    }
    for (size_t i = 0; i < out->n; i++) {
        char *p = pct(out->v[i].path, true);
        out->v[i].url = xasprintf("%s/%s/resolve/%s/%s", ep, repo, rev, p);
        free(p);
    }
    *kind = QB_KIND_OK;
    ret = 0;
out:
    if (ret < 0)
        hf_files_free(out);
    hf_files_free(&all);
    free(url);
    free(rev);
    return ret;
}

/* ---------------------------------------------------------------- ranges */

/* "bytes A-B/T" into a, b, t (t 0 for '*'); -1 when it is not that */
int hf_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *t)
{
    unsigned long long x, y, z = 0;
    char tail[32] = "";
    if (strncasecmp(s, "bytes ", 6))
        return -1;
    if (sscanf(s + 6, "%llu-%llu/%31s", &x, &y, tail) != 3 || y < x)
        return -1;
    if (strcmp(tail, "*")) {
        char *end;
        errno = 0;
        z = strtoull(tail, &end, 10);
        if (errno || *end || z <= y)
            return -1;
    }
    *a = x, *b = y, *t = z;
    return 0;
}

static void linked_into(const struct request *q, struct hf_file *f)
{
    if (!f->size && q->linked_size[0]) {
        char *end;
        unsigned long long v = strtoull(q->linked_size, &end, 10);
        if (!*end)
            f->size = v;
    }
    if (!f->sha256[0]) {
        char e[160];
        const char *src = q->linked_etag[0] ? q->linked_etag : "";
        size_t n = strlen(src);
        if (n >= 2 && src[0] == '"' && src[n - 1] == '"')
            snprintf(e, sizeof(e), "%.*s", (int)(n - 2), src + 1);
        else
            snprintf(e, sizeof(e), "%s", src);
        if (hex64(e))
            for (int i = 0; i < 65; i++)
                f->sha256[i] = (char)tolower((unsigned char)e[i]);
    }
}

struct range_read {
    uint64_t offset; /* asked */
    size_t n;
    uint8_t *buf;
    size_t got;
    uint64_t skip;  /* bytes still to drop (a 200 answer) */
    uint64_t total; /* the file's size when said */
};

static int sink_range(struct request *q, const char *b, size_t n, bool first, char *err)
{
    struct range_read *r = q->ud;
    if (first) {
        r->got = 0;
        r->skip = 0;
        if (q->status == 206) {
            uint64_t a, e, t;
            if (hf_content_range(q->h.content_range, &a, &e, &t) < 0 || a != r->offset)
                return set_err(err,
                               "'%s': a 206 answer with Content-Range '%s' for bytes %" PRIu64 "-",
                               q->at, q->h.content_range, r->offset);
            r->total = t;
        } else {
            r->skip = r->offset; /* the server ignored Range: the whole file comes */
        }
    }
    if (r->skip) {
        size_t k = r->skip < n ? (size_t)r->skip : n;
        r->skip -= k;
        b += k;
        n -= k;
    }
    size_t k = n < r->n - r->got ? n : r->n - r->got;
    memcpy(r->buf + r->got, b, k);
    r->got += k;
    if (r->got == r->n) {
        q->done = true; /* enough: end the transfer */
        return -1;
    }
    return 0;
}

int hf_read_range(const char *url, uint64_t offset, size_t n, void *buf, size_t *got,
                  uint64_t *total, enum qb_kind *kind, char *err)
{
    *got = 0;
    *total = 0;
    if (n == 0) {
        *kind = QB_KIND_OK;
        return 0;
    }
    char range[64];
    snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, offset, offset + n - 1);
    struct range_read r = {.offset = offset, .n = n, .buf = buf};
    struct request q = {.url = url, .range = range, .sink = sink_range, .ud = &r};
    int rc = get(&q, kind, NULL, err);
    if (rc == 1) { /* 416: offset at or past the end */
        *kind = QB_KIND_OK;
        uint64_t t;
        if (sscanf(q.h.content_range, "bytes */%" SCNu64, &t) == 1)
            *total = t;
        return 0;
    }
    if (rc < 0)
        return -1;
    struct hf_file f = {0};
    linked_into(&q, &f);
    *got = r.got;
    *total = r.total ? r.total : f.size;
    return 0;
}

int hf_probe(struct hf_file *f, enum qb_kind *kind, char *err)
{
    uint8_t b;
    struct range_read r = {.offset = 0, .n = 1, .buf = &b};
    struct request q = {.url = f->url, .range = "0-0", .sink = sink_range, .ud = &r};
    int rc = get(&q, kind, NULL, err);
    if (rc < 0)
        return -1;
    *kind = QB_KIND_OK;
    linked_into(&q, f);
    if (!f->size && r.total)
        f->size = r.total;
    return 0;
}

/* ---------------------------------------------------------------- download */

struct dl {
    const struct hf_file *f;
    const struct hf_progress *pg;
    const char *part;
    char *state; /* the partial's hash state file (state_save) */
    int fd;
    struct sha256 sha;
    uint64_t have;      /* bytes in the partial (hashed) */
    uint64_t asked;     /* the Range's start of this request */
    uint64_t size;      /* the file's, when known */
    uint64_t synced;    /* have at the last fdatasync */
    uint64_t t0_ns;     /* this run's start */
    uint64_t got_run;   /* bytes received in this run */
    uint64_t last_line; /* monotime of the last progress line */
    bool restarted;     /* a 200 answer to a Range restarted the file */
    char name[256];
};

static void mib_text(char *b, size_t n, double v)
{
    if (v >= 1 << 30)
        snprintf(b, n, "%.2f GiB", v / (1 << 30));
    else
        snprintf(b, n, "%.1f MiB", v / (1 << 20));
}

static void show(struct dl *d, bool last)
{
    if (!d->pg || !d->pg->on)
        return;
    uint64_t now = monotime_ns();
    double iv = d->pg->tty ? 0.25 : PROGRESS_INTERVAL_S;
    if (!last && d->last_line && (double)(now - d->last_line) / 1e9 < iv)
        return;
    d->last_line = now;
    double el = (double)(now - d->t0_ns) / 1e9;
    double rate = el > 0 ? (double)d->got_run / el : 0;
    char have[32], size[32], rt[32], eta[32] = "?";
    mib_text(have, sizeof(have), (double)d->have);
    mib_text(size, sizeof(size), (double)d->size);
    mib_text(rt, sizeof(rt), rate);
    if (d->size && rate > 0)
        snprintf(eta, sizeof(eta), "%.0f s", (double)(d->size - d->have) / rate);
    fprintf(stderr, "%spull '%s': %s of %s (%.0f%%), %s/s, ETA %s%s", d->pg->tty ? "\r" : "",
            d->name, have, d->size ? size : "?",
            d->size ? 100.0 * (double)d->have / (double)d->size : 0.0, rt, eta,
            d->pg->tty && !last ? "\033[K" : "\n");
    fflush(stderr);
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The SHA-256 state of a partial's first bytes, kept beside it (NAME.part.sha256) each time
 * the partial is made durable: a resume then hashes only the bytes after it, not a 200 GB
 * partial again (about 20 minutes at our SHA-256's speed). It is written after the data's
 * fdatasync and renamed into place, so its offset never passes the partial's durable bytes;
 * a state that belongs to other bytes can only make the final hash differ (the partial is
 * then deleted), never place a wrong file. */
static void state_save(struct dl *d)
{
    if (d->have == 0 || fdatasync(d->fd) < 0)
        return;
    char *tmp = xasprintf("%s.tmp", d->state);
    FILE *fp = fopen(tmp, "w");
    if (fp) {
        fprintf(fp, "qb-sha256-state 1 %" PRIu64 " %zu", d->sha.len, d->sha.n);
        for (int i = 0; i < 8; i++)
            fprintf(fp, " %08" PRIx32, d->sha.h[i]);
        fputc(' ', fp);
        for (size_t i = 0; i < d->sha.n; i++)
            fprintf(fp, "%02x", d->sha.buf[i]);
        fputs(" end\n", fp);
    }
    if (fp && fclose(fp) == 0 && rename(tmp, d->state) == 0)
        d->synced = d->have;
    else
        unlink(tmp);
    free(tmp);
}

/* the state at path into s when it is well-formed and covers at most max bytes */
static bool state_load(const char *path, uint64_t max, struct sha256 *s)
{
    char line[512];
    FILE *fp = fopen(path, "r");
    bool ok = fp && fgets(line, sizeof(line), fp);
    if (fp)
        fclose(fp);
    if (!ok)
        return false;
    struct sha256 t;
    memset(&t, 0, sizeof(t));
    int at = 0;
    if (sscanf(line, "qb-sha256-state 1 %" SCNu64 " %zu%n", &t.len, &t.n, &at) != 2 || t.n >= 64 ||
        t.len > max || t.len % 64 != t.n)
        return false;
    const char *p = line + at;
    for (int i = 0; i < 8; i++) {
        int k = 0;
        if (sscanf(p, " %8" SCNx32 "%n", &t.h[i], &k) != 1)
            return false;
        p += k;
    }
    while (*p == ' ')
        p++;
    if (strlen(p) < 2 * t.n)
        return false;
    for (size_t i = 0; i < t.n; i++) {
        unsigned v;
        if (sscanf(p + 2 * i, "%2x", &v) != 1)
            return false;
        t.buf[i] = (uint8_t)v;
    }
    if (strcmp(p + 2 * t.n, t.n ? " end\n" : "end\n"))
        return false;
    *s = t;
    return true;
}

static int sink_file(struct request *q, const char *b, size_t n, bool first, char *err)
{
    struct dl *d = q->ud;
    if (first) {
        if (q->status == 206) {
            uint64_t a, e, t;
            if (hf_content_range(q->h.content_range, &a, &e, &t) < 0 || a != d->asked ||
                (d->size && t && t != d->size))
                return set_err(err,
                               "'%s': the server answered bytes %" PRIu64 "- with Content-Range "
                               "'%s'",
                               q->at, d->asked, q->h.content_range);
            if (!d->size && t)
                d->size = t;
        } else if (d->asked > 0 || d->have > 0) {
            /* a 200 to a Range: the whole file again, from byte 0 */
            if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
                return set_err(err, "'%s': %s", d->part, strerror(errno));
            sha256_init(&d->sha);
            d->have = d->synced = 0;
            d->restarted = true;
            unlink(d->state);
        }
    }
    if (d->size && d->have + n > d->size)
        return set_err(err, "'%s': the server sent more than the file's %" PRIu64 " bytes", q->at,
                       d->size);
    if (write_all(d->fd, b, n) < 0)
        return set_err(err, "'%s': write failed: %s", d->part, strerror(errno ? errno : EIO));
    sha256_update(&d->sha, b, n);
    d->have += n;
    d->got_run += n;
    if (d->have - d->synced >= HF_SYNC_BYTES)
        state_save(d);
    show(d, false);
    return 0;
}

/* hash bytes [s->len, end) of fd into s (the state of the bytes before); -1 with err */
static int hash_fd(int fd, uint64_t end, struct sha256 *s, const char *path, char *err)
{
    static char buf[1 << 20];
    uint64_t n = end - s->len;
    if (lseek(fd, (off_t)s->len, SEEK_SET) < 0)
        return set_err(err, "'%s': %s", path, strerror(errno));
    while (n) {
        if (sig_caught())
            return set_err(err, "interrupted");
        ssize_t r = read(fd, buf, n < sizeof(buf) ? (size_t)n : sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return set_err(err, "'%s': cannot read: %s", path, r < 0 ? strerror(errno) : "short");
        sha256_update(s, buf, (size_t)r);
        n -= (uint64_t)r;
    }
    return 0;
}

/* A file whose SHA-256 was checked carries a mark in an extended attribute: the hash, the
 * size and the mtime it had then. While size and mtime stay the same it is not hashed
 * again (a 200 GB model is minutes of reading); a file system without user attributes
 * (some network ones) keeps no mark and the file is hashed each time. */
#define HF_MARK "user.quantbench.sha256"

static int mark_text(char *v, size_t cap, const struct stat *st, const char *hex)
{
    return snprintf(v, cap, "%s %llu %lld.%09ld", hex, (unsigned long long)st->st_size,
                    (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
}

static void mark_checked(const char *path, const char *hex)
{
    struct stat st;
    char v[160];
    if (stat(path, &st) == 0)
        (void)setxattr(path, HF_MARK, v, (size_t)mark_text(v, sizeof(v), &st, hex), 0);
}

static bool marked(const char *path, const struct stat *st, const char *hex)
{
    char v[160], want[160];
    ssize_t n = getxattr(path, HF_MARK, v, sizeof(v) - 1);
    if (n <= 0)
        return false;
    v[n] = '\0';
    mark_text(want, sizeof(want), st, hex);
    return !strcmp(v, want);
}

/* whether path is a complete copy of f: HF_KEPT_HASHED (size and hash, hashed now),
 * HF_KEPT_MARKED (size, and its mark from an earlier check), else HF_FETCHED (not one) */
static enum hf_kept complete(const char *path, const struct hf_file *f)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !f->size || (uint64_t)st.st_size != f->size)
        return HF_FETCHED;
    if (!f->sha256[0])
        return HF_KEPT_HASHED; /* nothing to hash against: the size is the check */
    if (marked(path, &st, f->sha256))
        return HF_KEPT_MARKED;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return HF_FETCHED;
    struct sha256 s;
    char e[QB_ERR_LEN];
    sha256_init(&s);
    int rc = hash_fd(fd, f->size, &s, path, e);
    close(fd);
    if (rc < 0)
        return HF_FETCHED;
    uint8_t d[32];
    char hex[65];
    sha256_final(&s, d);
    sha256_hex(d, hex);
    if (strcmp(hex, f->sha256))
        return HF_FETCHED;
    mark_checked(path, hex);
    return HF_KEPT_HASHED;
}

int hf_download(const struct hf_file *f, const char *dir, const struct hf_progress *pg,
                enum hf_kept *kept, enum qb_kind *kind, char *err)
{
    *kind = QB_KIND_RUNTIME;
    *kept = HF_FETCHED;
    const char *b = base_name(f->path);
    if (!b[0] || !safe_path(b)) {
        *kind = QB_KIND_INPUT;
        return set_err(err, "'%s': not a file name to write", f->path);
    }
    char *final = xasprintf("%s/%s", dir, b), *part = xasprintf("%s/%s.part", dir, b);
    struct dl d;
    memset(&d, 0, sizeof(d));
    d.f = f;
    d.pg = pg;
    d.part = part;
    d.state = xasprintf("%s.sha256", part);
    d.size = f->size;
    d.fd = -1;
    snprintf(d.name, sizeof(d.name), "%s", b);
    int ret = -1;
    if ((*kept = complete(final, f)) != HF_FETCHED) {
        *kind = QB_KIND_OK;
        ret = 0;
        goto out;
    }
    if (sig_caught()) {
        *kind = QB_KIND_INTERRUPTED;
        set_err(err, "interrupted");
        goto out;
    }
    d.fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (d.fd < 0) {
        set_err(err, "'%s': cannot open: %s", part, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(d.fd, &st) < 0) {
        set_err(err, "'%s': %s", part, strerror(errno));
        goto out;
    }
    d.have = (uint64_t)st.st_size;
    if (d.size && d.have > d.size) /* longer than the file: not a prefix of it */
        d.have = 0;
    sha256_init(&d.sha);
    if (d.have > 0 && !state_load(d.state, d.have, &d.sha))
        sha256_init(&d.sha);
    if (d.have > 0 && pg && pg->on) {
        char sz[32], from[32];
        mib_text(sz, sizeof(sz), (double)d.have);
        mib_text(from, sizeof(from), (double)d.sha.len);
        fprintf(stderr, "pull '%s': resuming the partial's %s (hashing it from %s)\n", b, sz, from);
    }
    if (d.have > 0 && hash_fd(d.fd, d.have, &d.sha, part, err) < 0) {
        if (sig_caught())
            *kind = QB_KIND_INTERRUPTED;
        goto out;
    }
    if (d.have == 0) {
        sha256_init(&d.sha);
        unlink(d.state); /* another partial's */
        if (ftruncate(d.fd, 0) < 0) {
            set_err(err, "'%s': %s", part, strerror(errno));
            goto out;
        }
    }
    if (lseek(d.fd, (off_t)d.have, SEEK_SET) < 0) {
        set_err(err, "'%s': %s", part, strerror(errno));
        goto out;
    }
    d.synced = d.have;
    d.t0_ns = monotime_ns();
    for (int try = 0; !(d.size && d.have == d.size); try++) {
        char range[40];
        snprintf(range, sizeof(range), "%" PRIu64 "-", d.have);
        d.asked = d.have;
        struct request q = {
            .url = f->url, .range = d.have ? range : NULL, .sink = sink_file, .ud = &d};
        bool drop = false;
        int rc = get(&q, kind, &drop, err);
        if (rc == 0 && !d.size) /* a URL whose size nothing said: what came is the file */
            d.size = d.have;
        if (rc == 0 && d.have < d.size)
            drop = true, rc = -1,
            set_err(err, "'%s': the answer ended at byte %" PRIu64 " of %" PRIu64, f->url, d.have,
                    d.size);
        if (rc == 1) {
            set_err(err, "'%s': HTTP 416 for bytes %" PRIu64 "- of a %" PRIu64 "-byte file", f->url,
                    d.have, d.size);
            *kind = QB_KIND_RUNTIME;
            goto out;
        }
        if (rc == 0)
            break;
        if (!drop || try + 1 >= HF_TRIES) {
            if (drop) {
                char e2[QB_ERR_LEN];
                snprintf(e2, sizeof(e2), "%s", err);
                set_err(err, "%s (after %d tries; the partial '%s' resumes next time)", e2,
                        HF_TRIES, part);
            }
            goto out;
        }
        if (pg && pg->on) {
            if (pg->tty)
                fputc('\n', stderr);
            fprintf(stderr, "pull '%s': %s; resuming at byte %" PRIu64 "\n", b, err, d.have);
        }
        sleep(1);
    }
    if (d.restarted && pg && pg->on)
        fprintf(stderr, "%spull '%s': the server ignored Range: restarted from byte 0\n",
                pg->tty ? "\n" : "", b);
    show(&d, true);
    if (fsync(d.fd) < 0) {
        set_err(err, "'%s': write failed: %s", part, strerror(errno));
        goto out;
    }
    if (d.size && d.have != d.size) {
        set_err(err, "'%s': %" PRIu64 " bytes, the file has %" PRIu64, part, d.have, d.size);
        goto out;
    }
    if (f->sha256[0]) {
        uint8_t dg[32];
        char hex[65];
        sha256_final(&d.sha, dg);
        sha256_hex(dg, hex);
        if (strcmp(hex, f->sha256)) {
            unlink(part);
            unlink(d.state);
            set_err(err,
                    "'%s': sha256 %s, the repository says %s: the download is corrupt, its partial "
                    "deleted",
                    b, hex, f->sha256);
            goto out;
        }
    }
    unlink(d.state);
    if (rename(part, final) < 0) {
        set_err(err, "cannot rename '%s' to '%s': %s", part, final, strerror(errno));
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    if (f->sha256[0])
        mark_checked(final, f->sha256);
    *kind = QB_KIND_OK;
    ret = 0;
out:
    if (ret < 0 && *kind == QB_KIND_OK) /* a failure after a good answer: the hash, a rename */
        *kind = QB_KIND_RUNTIME;
    if (d.fd >= 0) {
        if (ret < 0 && access(part, F_OK) == 0)
            state_save(&d); /* a resume need not hash it all again */
        close(d.fd);
    }
    free(d.state);
    free(final);
    free(part);
    return ret;
}
