/* Line charts as standalone SVG: one polyline per series with points and error
 * bars, linear axes with ticks, a legend. Used by `compare --plot` (the html pages are
 * the dashboard's, drawn by its front-end); needs no script and no outside file. */
#ifndef QB_SVG_H
#define QB_SVG_H

#include <stdbool.h>
#include <stdio.h>

struct chart_series {
    const char *name;  /* legend text */
    int n;             /* points */
    const double *x;   /* x values, ascending */
    const double *y;   /* y values */
    const double *err; /* half-height of the error bar per point, or NULL */
};

struct chart {
    const char *title;
    const char *x_label;
    const char *y_label;
    const struct chart_series *series;
    int n_series;
    bool scatter; /* points only, no lines (e.g. model size against t/s) */
};

/* Write the chart as an <svg> element (width x height px); standalone adds the XML
 * declaration for a .svg file. */
void svg_chart(FILE *fp, const struct chart *c, int width, int height, bool standalone);

/* Insert the point (x, y, err) into the arrays of *n points, keeping x ascending (the
 * arrays have room for one more) */
void svg_point_insert(double *xs, double *ys, double *es, int *n, double x, double y, double err);

/* s with & < > " escaped for XML text and attributes, and control characters and bytes
 * that are not UTF-8 as str_escape writes them */
void svg_put_text(FILE *fp, const char *s);

#endif
