/* A minimal stand-in for the front-end (page.h) on the server's branch: a page that lists
 * the runs and follows the event stream, its one inline script allowed by its sha256 in
 * the Content-Security-Policy. The real app (web/, embedded at build time) replaces it. */
#include "page.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/sha256.h"
#include "../util/util.h"

/* textContent only: nothing from the database is ever parsed as html */
static const char script[] =
    "const q=(s)=>document.querySelector(s);"
    "function line(el,t){const d=document.createElement('div');d.textContent=t;"
    "el.appendChild(d);}"
    "fetch('/api/runs').then(r=>r.json()).then(rs=>{for(const r of rs)"
    "line(q('#runs'),r.id+' '+r.command+' '+(r.label||'')+' '+r.status);});"
    "const es=new EventSource('/api/stream');"
    "es.onmessage=(m)=>{const e=JSON.parse(m.data);"
    "line(q('#events'),e.id+' run '+e.run_id+' '+e.kind+' '+JSON.stringify(e.payload));};";

static void base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* text for html (the caller frees) */
static char *html_escape(const char *s)
{
    size_t n = 0;
    char *o = xmalloc(6 * strlen(s) + 1);
    for (; *s; s++) {
        const char *r = *s == '<'    ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '&'  ? "&amp;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&#39;"
                                     : NULL;
        if (r) {
            memcpy(o + n, r, strlen(r));
            n += strlen(r);
        } else {
            o[n++] = *s;
        }
    }
    o[n] = '\0';
    return o;
}

int dash_page_build(const char *title, const cJSON *data, struct dash_page *out, char *err)
{
    memset(out, 0, sizeof(*out));
    if (data)
        return set_err(err, "the static report needs the front-end (not on this branch)");
    struct sha256 h;
    uint8_t d[32];
    char b[48];
    sha256_init(&h);
    sha256_update(&h, script, strlen(script));
    sha256_final(&h, d);
    base64(d, sizeof(d), b);
    snprintf(out->csp, sizeof(out->csp),
             "default-src 'none'; script-src 'sha256-%s'; connect-src 'self'; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
             b);
    char *t = html_escape(title);
    out->html = xasprintf("<!doctype html><html><head><meta charset=\"utf-8\">"
                          "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">"
                          "<title>%s</title></head><body><h1>%s</h1><h2>runs</h2>"
                          "<div id=\"runs\"></div><h2>events</h2><div id=\"events\"></div>"
                          "<script>%s</script></body></html>\n",
                          out->csp, t, t, script);
    free(t);
    out->len = strlen(out->html);
    return 0;
}

void dash_page_free(struct dash_page *p)
{
    free(p->html);
    memset(p, 0, sizeof(*p));
}
