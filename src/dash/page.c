/* A minimal page (page.h) until the front-end (web/) lands: a valid html document with its
 * title and, for the static report, the data in <script type="application/json"
 * id="qb-data"> (every '<' written \u003c, so no text can close the element). The lead
 * takes W's page.c, which draws the views, at merge. */
#include "page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

/* nothing to run (the data element is not a script that runs), nothing fetched */
#define PAGE_CSP                                                                                   \
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

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

int dash_page_build(const char *title, const cJSON *data, struct dash_page *out, char *err)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->csp, sizeof(out->csp), "%s%s", PAGE_CSP, data ? "" : "; connect-src 'self'");
    char *json = data ? cJSON_PrintUnformatted(data) : NULL;
    if (data && !json)
        return set_err(err, "the page's data cannot be written as JSON");
    FILE *fp = open_memstream(&out->html, &out->len);
    if (!fp) {
        free(json);
        return set_err(err, "no memory for the page");
    }
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n<title>",
            out->csp);
    put_escaped(fp, title);
    fputs("</title></head><body>\n<h1>", fp);
    put_escaped(fp, title);
    fputs("</h1>\n", fp);
    if (json) {
        fputs("<script type=\"application/json\" id=\"qb-data\">", fp);
        for (const char *c = json; *c; c++)
            if (*c == '<')
                fputs("\\u003c", fp);
            else
                fputc(*c, fp);
        fputs("</script>\n", fp);
    }
    fputs("</body></html>\n", fp);
    free(json);
    if (fclose(fp) != 0) {
        free(out->html);
        memset(out, 0, sizeof(*out));
        return set_err(err, "no memory for the page");
    }
    return 0;
}

void dash_page_free(struct dash_page *p)
{
    free(p->html);
    p->html = NULL;
    p->len = 0;
}
