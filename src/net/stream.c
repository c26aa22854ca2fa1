/* The reading of one streamed answer (see stream.h). */
#include "stream.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "../util/clock.h"

int net_curl_init(char *err)
{
    static bool done;
    if (done)
        return 0;
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return set_err(err, "libcurl: %s", curl_easy_strerror(rc));
    done = true;
    return 0;
}

size_t net_stream_header(char *b, size_t size, size_t n, void *ud)
{
    struct net_stream *s = ud;
    size_t len = size * n;
    s->last_ns = monotime_ns();
    static const char ct[] = "content-type:";
    if (len > sizeof(ct) - 1 && !strncasecmp(b, ct, sizeof(ct) - 1)) {
        const char *v = b + sizeof(ct) - 1;
        size_t vl = len - (sizeof(ct) - 1);
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl >= s->content_type_n)
            vl = s->content_type_n - 1;
        memcpy(s->content_type, v, vl);
        s->content_type[vl] = '\0';
    }
    return len;
}

size_t net_stream_body(char *b, size_t size, size_t n, void *ud)
{
    struct net_stream *s = ud;
    size_t len = size * n;
    s->last_ns = monotime_ns();
    if (!s->status_known) {
        long st = 0;
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &st);
        *s->status = st;
        s->ok_status = st >= 200 && st < 300;
        s->status_known = true;
    }
    if (!s->ok_status) { /* an error's body: its start, for the reason */
        net_keep_start(s->body, s->body_n, &s->body_len, b, len);
        return len;
    }
    if (sse_feed(&s->sse, b, len, s->cb_err) < 0) {
        s->stopped = true;
        return 0; /* libcurl ends the transfer: CURLE_WRITE_ERROR */
    }
    return len;
}

void *net_stream_headers(const char *const *more)
{
    static const char *const ours[] = {"Content-Type: application/json",
                                       "Accept: text/event-stream", "Expect:"};
    struct curl_slist *hd = NULL, *t;
    for (size_t i = 0; i < QB_ARRAY_LEN(ours); i++)
        if ((t = curl_slist_append(hd, ours[i])))
            hd = t;
    for (const char *const *k = more; k && *k; k++)
        if ((t = curl_slist_append(hd, *k)))
            hd = t;
    return hd;
}

void net_stream_setup(void *h, const char *url, const char *body, void *hd,
                      double connect_timeout_s, double timeout_s, struct net_stream *s)
{
    s->h = h;
    curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, (struct curl_slist *)hd);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "quantbench");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* our handlers stay ours */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     net_ms(connect_timeout_s > 0 ? connect_timeout_s : 30));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, net_ms(timeout_s));
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, net_stream_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, net_stream_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
}

void net_keep_start(char *buf, size_t cap, size_t *len, const char *b, size_t n)
{
    size_t room = cap - 1 - *len;
    size_t k = n < room ? n : room;
    memcpy(buf + *len, b, k);
    *len += k;
    buf[*len] = '\0';
}

long net_ms(double s)
{
    return s <= 0 ? 0 : s * 1000 > 2e9 ? 2000000000L : (long)(s * 1000 + 0.5);
}
