/* The front-end: one html document holding the whole app (its script, its stylesheet and
 * the charting library, embedded in the binary at build time) for both the live dashboard
 * (`quantbench serve`: the app asks the server's /api) and the self-contained report
 * (`report -o html`, `run -o html`: the API answers its pages need travel inside the
 * file). One renderer for both: a chart fixed once is fixed everywhere. */
#ifndef QB_DASH_PAGE_H
#define QB_DASH_PAGE_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct dash_page {
    char *html;     /* the document (owned) */
    size_t len;     /* its bytes */
    char csp[1024]; /* its Content-Security-Policy (also in its <meta>): a server sends it as
                       the header of the page */
};

/* Build the page titled title (escaped). data NULL: the live dashboard. Otherwise the
 * static report: an object {"<path>?<query>": answer, ...} of dash_api_get answers the
 * app looks up instead of fetching (borrowed). 0, or -1 with err. */
int dash_page_build(const char *title, const cJSON *data, struct dash_page *out, char *err);
void dash_page_free(struct dash_page *p); /* accepts a zeroed page */

#endif
