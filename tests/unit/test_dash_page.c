/* dash_page_build: the scripts the page carries are exactly those whose hashes its
 * Content-Security-Policy allows, the title is escaped, and the static report's data
 * never holds a raw '<' (no text can end its block) yet parses back to the same JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dash/assets.h"
#include "../../src/dash/page.h"
#include "../../src/util/sha256.h"
#include "../../src/util/util.h"
#include "test.h"

/* the text between the n-th "<script>" (no attributes) and its "</script>", NULL none */
static char *nth_script(const char *html, int n)
{
    const char *p = html;
    for (int i = 0; i <= n; i++) {
        p = strstr(p, "<script>");
        if (!p)
            return NULL;
        p += strlen("<script>");
    }
    const char *e = strstr(p, "</script>");
    return e ? xstrndup(p, (size_t)(e - p)) : NULL;
}

/* 'sha256-…' of s as a browser computes it, through an independent base64 (a table walk
 * on 6-bit groups of the whole bit string) */
static void hash_of(const char *s, char *out)
{
    struct sha256 h;
    uint8_t d[33] = {0};
    sha256_init(&h);
    sha256_update(&h, s, strlen(s));
    sha256_final(&h, d);
    const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char b[48];
    int k = 0;
    for (int bit = 0; bit < 256; bit += 6) {
        int v = 0;
        for (int j = 0; j < 6; j++) {
            int at = bit + j;
            v = v << 1 | (at < 256 ? (d[at / 8] >> (7 - at % 8)) & 1 : 0);
        }
        b[k++] = tab[v];
    }
    b[k++] = '=';
    b[k] = '\0';
    sprintf(out, "'sha256-%s'", b);
}

void test_dash_page(void)
{
    char err[QB_ERR_LEN];
    struct dash_page p;
    CHECK(dash_page_build("a <b>&\"x\" 'y'", NULL, &p, err) == 0);
    CHECK(p.html && p.len == strlen(p.html));
    CHECK(strstr(p.html, "<title>a &lt;b&gt;&amp;&quot;x&quot; &#39;y&#39;</title>") != NULL);
    CHECK(strstr(p.html, "<b>") == NULL);
    CHECK(strstr(p.html, "id=\"qb-data\"") == NULL);
    CHECK(strstr(p.csp, "connect-src 'self'") != NULL);
    CHECK(strncmp(p.csp, "default-src 'none'; script-src 'sha256-", 39) == 0);
    /* the policy is also the page's own <meta> */
    char *meta = xasprintf("<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">", p.csp);
    CHECK(strstr(p.html, meta) != NULL);
    free(meta);
    /* two scripts, both allowed by hash, and no third */
    int n = 0;
    for (char *s; (s = nth_script(p.html, n)); n++) {
        char h[80];
        hash_of(s, h);
        CHECK(strstr(p.csp, h) != NULL);
        CHECK(strlen(s) > 1000);
        free(s);
    }
    CHECK(n == 2);
    const struct dash_asset *app = dash_asset_find("app.js");
    CHECK(app && app->len > 0 && strstr(p.html, (const char *)app->data));
    CHECK(dash_asset_find("nope.js") == NULL);
    CHECK(!strstr(p.html, "http://") && !strstr(p.html, "https://")); /* no outside URL */
    dash_page_free(&p);
    CHECK(p.html == NULL);
    dash_page_free(&p);

    /* the static report: data inline, '<' never raw, no connect-src */
    cJSON *d = cJSON_CreateObject();
    cJSON *runs = cJSON_AddArrayToObject(d, "/api/runs");
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "label", "</script><script>alert(1)</script><!--");
    cJSON_AddStringToObject(r, "model", "\"><img onerror=x src=y>");
    cJSON_AddItemToArray(runs, r);
    CHECK(dash_page_build(NULL, d, &p, err) == 0);
    CHECK(strstr(p.html, "<title>quantbench</title>") != NULL);
    CHECK(strstr(p.csp, "connect-src") == NULL);
    const char *open = "<script type=\"application/json\" id=\"qb-data\">";
    const char *b = strstr(p.html, open);
    CHECK(b != NULL);
    if (b) {
        b += strlen(open);
        const char *e = strstr(b, "</script>");
        CHECK(e != NULL);
        char *text = e ? xstrndup(b, (size_t)(e - b)) : xstrdup("");
        CHECK(strchr(text, '<') == NULL);
        CHECK(strstr(text, "\\u003c/script>\\u003cscript>") != NULL);
        cJSON *back = cJSON_Parse(text);
        CHECK(back && cJSON_Compare(back, d, true));
        cJSON_Delete(back);
        free(text);
    }
    CHECK(strstr(p.html, "<img") == NULL);
    dash_page_free(&p);
    /* data that is not an object is refused */
    cJSON *arr = cJSON_CreateArray();
    CHECK(dash_page_build("t", arr, &p, err) == -1 && p.html == NULL);
    CHECK(strstr(err, "not a JSON object") != NULL);
    cJSON_Delete(arr);
    cJSON_Delete(d);
}
