/* SVG line charts (see svg.h). */
#include "svg.h"

#include <math.h>
#include <stdlib.h>

#include "../util/util.h"

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                     "#9467bd", "#8c564b", "#e377c2", "#17becf"};

void svg_put_text(FILE *fp, const char *s)
{
    if (!s)
        return;
    /* control characters and bytes that are not UTF-8 are not text a page may hold */
    char *e = str_escape(s, 0);
    for (const char *c = e; *c; c++) {
        switch (*c) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*c, fp);
        }
    }
    free(e);
}

/* A "nice" tick step for the range: 1, 2 or 5 times a power of ten */
static double nice_step(double range, int ticks)
{
    if (range <= 0)
        return 1;
    double raw = range / ticks, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

void svg_chart(FILE *fp, const struct chart *c, int width, int height, bool standalone)
{
    double x0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < c->n_series; i++) {
        const struct chart_series *s = &c->series[i];
        for (int k = 0; k < s->n; k++) {
            double e = s->err ? s->err[k] : 0;
            x0 = fmin(x0, s->x[k]);
            x1 = fmax(x1, s->x[k]);
            y1 = fmax(y1, s->y[k] + e);
        }
    }
    if (!isfinite(x0)) {
        x0 = 0;
        x1 = 1;
        y1 = 1;
    }
    if (x1 <= x0) {
        x0 -= 1;
        x1 += 1;
    }
    double ystep = nice_step(y1 > 0 ? y1 : 1, 5);
    double ytop = ceil((y1 > 0 ? y1 : 1) / ystep) * ystep;
    double xstep = nice_step(x1 - x0, 6);
    const double left = 70, right = 290, top = 40, bottom = 50;
    double pw = width - left - right, ph = height - top - bottom;
#define PX(v) (left + ((v)-x0) / (x1 - x0) * pw)
#define PY(v) (top + ph - (v) / ytop * ph)
    if (standalone)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", fp);
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qb-chart\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
            width, height, width, height);
    fprintf(fp, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
    fprintf(fp, "<text class=\"title\" x=\"%g\" y=\"22\" font-size=\"15\">", left);
    svg_put_text(fp, c->title);
    fputs("</text>\n<g class=\"axes\" stroke=\"#444\">\n", fp);
    fprintf(fp, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>\n", left, top + ph, left + pw,
            top + ph);
    fprintf(fp, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>\n</g>\n", left, top, left,
            top + ph);
    fputs("<g class=\"ticks\" fill=\"#222\">\n", fp);
    for (double v = 0; v <= ytop + ystep / 2; v += ystep) {
        fprintf(fp,
                "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                left, PY(v), left + pw, PY(v), left - 6, PY(v) + 4, v);
    }
    for (double v = ceil(x0 / xstep) * xstep; v <= x1 + xstep / 1e6; v += xstep)
        fprintf(fp, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%g</text>\n", PX(v),
                top + ph + 18, v);
    fputs("</g>\n", fp);
    fprintf(fp, "<text class=\"xlabel\" x=\"%g\" y=\"%d\" text-anchor=\"middle\">", left + pw / 2,
            height - 10);
    svg_put_text(fp, c->x_label);
    fprintf(fp,
            "</text>\n<text class=\"ylabel\" transform=\"translate(16 %g) rotate(-90)\" "
            "text-anchor=\"middle\">",
            top + ph / 2);
    svg_put_text(fp, c->y_label);
    fputs("</text>\n", fp);
    for (int i = 0; i < c->n_series; i++) {
        const struct chart_series *s = &c->series[i];
        const char *col = colors[i % (int)(sizeof(colors) / sizeof(colors[0]))];
        fprintf(fp, "<g class=\"series\" data-name=\"");
        svg_put_text(fp, s->name);
        fprintf(fp, "\" stroke=\"%s\" fill=\"%s\">\n", col, col);
        if (!c->scatter && s->n > 1) {
            fputs("<polyline fill=\"none\" stroke-width=\"2\" points=\"", fp);
            for (int k = 0; k < s->n; k++)
                fprintf(fp, "%s%.1f,%.1f", k ? " " : "", PX(s->x[k]), PY(s->y[k]));
            fputs("\"/>\n", fp);
        }
        for (int k = 0; k < s->n; k++) {
            double e = s->err ? s->err[k] : 0;
            if (e > 0)
                fprintf(fp, "<line class=\"err\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                        PX(s->x[k]), PY(s->y[k] - e), PX(s->x[k]), PY(s->y[k] + e));
            fprintf(fp, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>%g: %.4g",
                    PX(s->x[k]), PY(s->y[k]), s->x[k], s->y[k]);
            if (e > 0)
                fprintf(fp, " &#177; %.3g", e);
            fputs("</title></circle>\n", fp);
        }
        fprintf(fp, "<rect x=\"%g\" y=\"%d\" width=\"12\" height=\"12\"/>", left + pw + 14,
                (int)top + 18 * i);
        fprintf(fp, "<text x=\"%g\" y=\"%d\" stroke=\"none\" fill=\"#222\">", left + pw + 32,
                (int)top + 18 * i + 10);
        svg_put_text(fp, s->name);
        fputs("</text>\n</g>\n", fp);
    }
    fputs("</svg>\n", fp);
#undef PX
#undef PY
}

void svg_point_insert(double *xs, double *ys, double *es, int *n, double x, double y, double err)
{
    int j = *n;
    while (j > 0 && xs[j - 1] > x) {
        xs[j] = xs[j - 1];
        ys[j] = ys[j - 1];
        es[j] = es[j - 1];
        j--;
    }
    xs[j] = x;
    ys[j] = y;
    es[j] = err;
    (*n)++;
}
