/* The time a suite has left: each cell's duration is the one recorded for its key in an
 * earlier run when there is one, else the rate (seconds per unit of work) of the cells
 * of its class done so far in this run times its work, else the rate of all cells done
 * so far. A class is a kind of measurement (pp, tg, pp+tg, mem, ppl ...); work is what
 * makes a cell of a class longer (model bytes x tokens x repetitions). No clock inside:
 * callers say how long things took, so a fake clock can drive it. */
#ifndef QB_ETA_H
#define QB_ETA_H

#include <stdbool.h>

struct eta_cell {
    int cls;        /* its class: cells of one class run at one rate */
    double work;    /* > 0 */
    double known_s; /* its duration recorded in an earlier run; < 0 none */
    bool skip;      /* not run in this run (done before): counts nothing */
};

struct eta {
    const struct eta_cell *c; /* borrowed */
    int n;
    double *took; /* seconds each took in this run; < 0 not done */
};

void eta_init(struct eta *e, const struct eta_cell *c, int n);
void eta_release(struct eta *e);
/* cell i took seconds */
void eta_done(struct eta *e, int i, double seconds);
/* Seconds left for the cells not done, cell cur (-1 none) having run elapsed_s so far;
 * < 0 when some cell left has no estimate yet (nothing to go by) */
double eta_left(const struct eta *e, int cur, double elapsed_s);
/* The estimate for cell i alone; < 0 none */
double eta_cell(const struct eta *e, int i);

#endif
