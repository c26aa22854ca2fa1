/* The front-end's one html document (page.h): the embedded app (assets.h) inline, its
 * scripts allowed by their sha256 hashes in the Content-Security-Policy, and for the
 * static report the API answers it needs as JSON in a <script type="application/json">
 * block that no text from the data can end (every '<' is written \u003c). */
#include "page.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/sha256.h"
#include "../util/util.h"
#include "assets.h"

const struct dash_asset *dash_asset_find(const char *name)
{
    for (const struct dash_asset *a = dash_assets; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

/* base64 of n bytes into out (4 * ((n + 2) / 3) + 1 bytes) */
static void base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* "'sha256-<base64>'" of a script's text as CSP hashes it (the bytes between the tags) */
static void csp_hash(const unsigned char *s, size_t n, char out[64])
{
    struct sha256 h;
    uint8_t d[32];
    sha256_init(&h);
    sha256_update(&h, s, n);
    sha256_final(&h, d);
    char b[48];
    base64(d, sizeof(d), b);
    snprintf(out, 64, "'sha256-%s'", b);
}

/* text escaped for html text and attribute values */
static void put_escaped(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

/* JSON text with every '<' as \u003c: '<' occurs only inside JSON strings, where the
 * escape means the same character, and without it no "</script" can end the block */
static void put_json_inline(FILE *fp, const char *json)
{
    for (; *json; json++) {
        if (*json == '<')
            fputs("\\u003c", fp);
        else
            fputc(*json, fp);
    }
}

int dash_page_build(const char *title, const cJSON *data, struct dash_page *out, char *err)
{
    memset(out, 0, sizeof(*out));
    static const char *const names[] = {"uPlot.iife.min.js", "app.js", "uPlot.min.css", "app.css"};
    const struct dash_asset *a[4];
    for (int i = 0; i < 4; i++)
        if (!(a[i] = dash_asset_find(names[i])))
            return set_err(err, "the front-end asset '%s' is not built in", names[i]);
    char *json = NULL;
    if (data) {
        if (!cJSON_IsObject(data))
            return set_err(err, "the report's data is not a JSON object");
        json = cJSON_PrintUnformatted(data);
        if (!json)
            return set_err(err, "the report's data cannot be written as JSON");
    }
    char h0[64], h1[64];
    csp_hash(a[0]->data, a[0]->len, h0);
    csp_hash(a[1]->data, a[1]->len, h1);
    snprintf(out->csp, sizeof(out->csp),
             "default-src 'none'; script-src %s %s; style-src 'unsafe-inline'; img-src data:; "
             "%sbase-uri 'none'; form-action 'none'",
             h0, h1, data ? "" : "connect-src 'self'; ");

    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp) {
        free(json);
        return set_err(err, "no memory for the page");
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", fp);
    fprintf(fp, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", out->csp);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<link rel=\"icon\" href=\"data:,\">\n<title>",
          fp);
    put_escaped(fp, title ? title : "quantbench");
    fputs("</title>\n<style>\n", fp);
    fwrite(a[2]->data, 1, a[2]->len, fp);
    fputs("\n", fp);
    fwrite(a[3]->data, 1, a[3]->len, fp);
    fprintf(fp, "</style>\n</head>\n<body data-mode=\"%s\">\n<header id=\"qb-head\"><h1>",
            data ? "static" : "live");
    put_escaped(fp, title ? title : "quantbench");
    fputs("</h1><nav id=\"qb-nav\"></nav></header>\n<main id=\"qb-main\"><p>This page needs "
          "JavaScript.</p></main>\n",
          fp);
    if (json) {
        fputs("<script type=\"application/json\" id=\"qb-data\">", fp);
        put_json_inline(fp, json);
        fputs("</script>\n", fp);
        free(json);
    }
    fputs("<script>", fp);
    fwrite(a[0]->data, 1, a[0]->len, fp);
    fputs("</script>\n<script>", fp);
    fwrite(a[1]->data, 1, a[1]->len, fp);
    fputs("</script>\n</body>\n</html>\n", fp);
    if (fclose(fp) != 0 || !buf) {
        free(buf);
        return set_err(err, "no memory for the page");
    }
    out->html = buf;
    out->len = len;
    return 0;
}

void dash_page_free(struct dash_page *p)
{
    free(p->html);
    p->html = NULL;
    p->len = 0;
}
