/* What the measurement functions of the run layer share: the model they load and how.
 * Each measurement (run/bench.h, run/sweep.h, run/batched.h, ...) takes one of these and
 * its typed parameters, runs in worker processes (run/runner.h), and hands typed rows to
 * the caller's sink. */
#ifndef QB_RUN_H
#define QB_RUN_H

#include "../engine/engine.h"
#include "../record/params.h"

/* A model to load in a worker, and the worker's settings */
struct run_load {
    const char *model;             /* its file (borrowed) */
    struct engine_model_params mp; /* load settings */
    struct work_load wl;           /* process settings (numa, priority) */
    int verbose;                   /* worker verbosity; > 0 echoes its stderr */
    double timeout_s;              /* per load and per call; 0 = none */
};

#endif
