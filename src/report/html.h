/* The frame of quantbench's html pages (report -o html, report --suite -o html, run -o
 * html): one self-contained page whose Content-Security-Policy lets it load nothing and
 * run nothing (inline style only), with the one stylesheet they share. Text from models
 * and users goes through svg_put_text (svg.h), which escapes it for html. */
#ifndef QB_HTML_H
#define QB_HTML_H

#include <stdio.h>

/* The policy of every page: nothing fetched, no script, no form, no <base>; only the
 * page's own <style> and style attributes */
#define HTML_CSP                                                                                   \
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

/* The page's start up to and including <h1>title</h1> (title escaped; also the <title>) */
void html_page_begin(FILE *fp, const char *title);

/* The page's end: </body></html> */
void html_page_end(FILE *fp);

#endif
