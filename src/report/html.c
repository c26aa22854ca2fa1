/* The html page frame (see html.h). */
#include "html.h"

#include "svg.h"

/* Tables are right-aligned (figures) but for their text columns: the rows of report
 * (label, kind, model), the suite table (model, settings, failed; a figure "a ± b" kept on
 * one line) and its cell lists (test, status, reason). A failed cell or group is shaded. */
static const char style[] =
    "body{font-family:sans-serif;margin:2em;color:#222}\n"
    "table{border-collapse:collapse;font-size:13px;margin:1em 0}\n"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
    "th{background:#f3f3f3}.rows td:nth-child(3),.rows td:nth-child(4),"
    ".rows td:nth-child(5){text-align:left}\n"
    ".suite tr>:nth-child(-n+2),.suite tr>:last-child,.cells tr>:nth-child(-n+3)"
    "{text-align:left}.suite td{white-space:nowrap}\n"
    "tr.failed td{background:#fbe3e3}.suite tr.failed td:last-child{color:#a00;font-weight:bold}\n"
    "details{margin:.3em 0}summary{cursor:pointer}\n"
    "figure{margin:1em 0}\n";

void html_page_begin(FILE *fp, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"" HTML_CSP "\">\n<title>",
          fp);
    svg_put_text(fp, title);
    fprintf(fp, "</title>\n<style>\n%s</style></head><body>\n<h1>", style);
    svg_put_text(fp, title);
    fputs("</h1>\n", fp);
}

void html_page_end(FILE *fp)
{
    fputs("</body></html>\n", fp);
}
