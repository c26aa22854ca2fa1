/* See eta.h */
#include "eta.h"

#include <stdlib.h>

#include "../util/util.h"

void eta_init(struct eta *e, const struct eta_cell *c, int n)
{
    e->c = c;
    e->n = n;
    e->took = xcalloc((size_t)(n > 0 ? n : 1), sizeof(double));
    for (int i = 0; i < n; i++)
        e->took[i] = -1;
}

void eta_release(struct eta *e)
{
    free(e->took);
    e->took = NULL;
}

void eta_done(struct eta *e, int i, double seconds)
{
    if (i >= 0 && i < e->n)
        e->took[i] = seconds > 0 ? seconds : 0;
}

/* seconds per unit of work of the cells done in this run: of class cls, or all (cls < 0) */
static double rate(const struct eta *e, int cls)
{
    double s = 0, w = 0;
    for (int i = 0; i < e->n; i++)
        if (e->took[i] >= 0 && !e->c[i].skip && (cls < 0 || e->c[i].cls == cls)) {
            s += e->took[i];
            w += e->c[i].work;
        }
    return w > 0 ? s / w : -1;
}

double eta_cell(const struct eta *e, int i)
{
    const struct eta_cell *c = &e->c[i];
    if (c->skip)
        return 0;
    if (c->known_s >= 0)
        return c->known_s;
    double r = rate(e, c->cls);
    if (r < 0)
        r = rate(e, -1);
    return r < 0 ? -1 : r * c->work;
}

double eta_left(const struct eta *e, int cur, double elapsed_s)
{
    double left = 0;
    for (int i = 0; i < e->n; i++) {
        if (e->took[i] >= 0 || e->c[i].skip)
            continue;
        double t = eta_cell(e, i);
        if (t < 0)
            return -1;
        if (i == cur)
            t = t > elapsed_s ? t - elapsed_s : 0;
        left += t;
    }
    return left;
}
